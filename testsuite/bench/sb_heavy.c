/* The syscall-heavy program of testsuite/bench/syscallbuf-bench.sh:
 * ITERS iterations (argv[1], default 100000) of four small system calls
 * made through glibc's wrappers, which is what the in-process syscall
 * buffer (syscallbuf/preload.c) interposes:
 *   getppid(),
 *   a 64-byte pread() of a small file (argv[2], or a 4 KiB file this
 *     program writes itself in $TMPDIR or /tmp and removes at the end),
 *   a 16-byte write() to /dev/null, opened here (so its fd is > 2),
 *   clock_gettime(CLOCK_MONOTONIC).
 * Prints one summary line that is the same natively, recorded and
 * replayed: the counts, a checksum of the bytes read, and whether every
 * result was as expected (same parent, full reads and writes, a clock
 * that never goes back). */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define FILE_SIZE 4096
#define READ_SIZE 64
#define WRITE_SIZE 16

static int make_file(char *path, size_t len)
{
	const char *dir = getenv("TMPDIR");
	char buf[FILE_SIZE];
	int fd;

	snprintf(path, len, "%s/sb_heavy.XXXXXX", dir && *dir ? dir : "/tmp");
	fd = mkstemp(path);
	if (fd < 0)
		return -1;
	for (int i = 0; i < FILE_SIZE; i++)
		buf[i] = (char)(i * 31 + 7);
	if (write(fd, buf, sizeof buf) != (ssize_t)sizeof buf) {
		close(fd);
		unlink(path);
		return -1;
	}
	return fd;
}

int main(int argc, char **argv)
{
	long iters = argc > 1 ? atol(argv[1]) : 100000;
	char path[4096] = "";
	int own = argc <= 2;
	int fd = own ? make_file(path, sizeof path) : open(argv[2], O_RDONLY);
	int null = open("/dev/null", O_WRONLY);
	const char out[WRITE_SIZE] = "sb_heavy 16 byte";
	unsigned char buf[READ_SIZE];
	unsigned long sum = 0, bad = 0;
	struct timespec prev = { 0, 0 }, ts;
	pid_t parent = getppid();

	if (fd < 0 || null < 0) {
		perror("sb_heavy: open");
		return 1;
	}
	for (long i = 0; i < iters; i++) {
		off_t off = (off_t)(i * READ_SIZE) % (FILE_SIZE - READ_SIZE);

		if (getppid() != parent)
			bad++;
		if (pread(fd, buf, READ_SIZE, off) != READ_SIZE)
			bad++;
		for (int k = 0; k < READ_SIZE; k++)
			sum = sum * 131 + buf[k];
		if (write(null, out, WRITE_SIZE) != WRITE_SIZE)
			bad++;
		if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0 ||
		    ts.tv_sec < prev.tv_sec ||
		    (ts.tv_sec == prev.tv_sec && ts.tv_nsec < prev.tv_nsec))
			bad++;
		prev = ts;
	}
	close(null);
	close(fd);
	if (own)
		unlink(path);
	printf("sb_heavy: %ld iterations, %ld calls, checksum %016lx, "
	       "unexpected results %lu\n",
	       iters, 4 * iters, sum, bad);
	return bad != 0;
}
