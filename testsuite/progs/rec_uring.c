/* Makes a system call the recorder does not support: io_uring_setup
 * (425), called through syscall() so no library hides it. */
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(void)
{
	unsigned char params[120];
	memset(params, 0, sizeof(params));
	printf("before io_uring\n");
	fflush(stdout);
	long fd = syscall(425, 4, params);
	printf("io_uring_setup returned %ld\n", fd);
	return 0;
}
