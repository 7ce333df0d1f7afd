/* Writes from a buffer the kernel cannot read fail with EFAULT (or an
 * earlier error) and nothing else happens: the program is not killed,
 * nothing is written. To a regular file (write, pwrite, pwritev2 with
 * and without RWF_NOWAIT) and to a pipe. */
#define _GNU_SOURCE
#include "conf_sys.h"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

/* NULL, hidden from the compiler's checks of constant arguments */
static char *volatile nowhere;

int main(void)
{
	char path[] = "/tmp/xrr-conf-efault-XXXXXX";
	int fd = mkstemp(path);
	int p[2];
	struct stat st;

	CHECK(fd >= 0 && pipe(p) == 0, "a file and a pipe");
	if (fd < 0)
		return conf_finish("conf_sys_efault");
	unlink(path);
	errno = 0;
	CHECK(write(fd, nowhere, 16) == -1 && errno == EFAULT, "write(file, NULL): EFAULT");
	errno = 0;
	CHECK(pwrite(fd, nowhere, 16, 0) == -1 && errno == EFAULT, "pwrite(file, NULL): EFAULT");
	struct iovec bad = { NULL, 16 };
	errno = 0;
	CHECK(pwritev2(fd, &bad, 1, 0, RWF_NOWAIT) == -1, "pwritev2(file, NULL, RWF_NOWAIT) fails");
	errno = 0;
	CHECK(pwritev2(fd, &bad, 1, 0, 0) == -1 && errno == EFAULT, "pwritev2(file, NULL): EFAULT");
	CHECK(fstat(fd, &st) == 0 && st.st_size == 0, "the file is still empty");
	errno = 0;
	CHECK(write(p[1], nowhere, 16) == -1 && errno == EFAULT, "write(pipe, NULL): EFAULT");
	int n = -1;
	CHECK(ioctl(p[0], FIONREAD, &n) == 0 && n == 0, "the pipe is still empty");
	CHECK(write(fd, "ok", 2) == 2, "a good write after them");
	return conf_finish("conf_sys_efault");
}
