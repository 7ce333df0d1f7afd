/* Syscall-heavy benchmark: argv[1] iterations of getppid + a 64-byte
 * pread from a file. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 20000;
	int fd = open("/proc/self/exe", O_RDONLY);
	char buf[64];
	long sum = 0;
	for (long i = 0; i < n; i++) {
		sum += getppid() > 0;
		sum += pread(fd, buf, sizeof(buf), (i * 64) % 4096) == 64;
	}
	printf("%ld\n", sum);
	return 0;
}
