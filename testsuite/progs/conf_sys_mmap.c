/* Mappings the recorder cannot take from a stored copy of a file:
 * /dev/zero (private and shared), a 1 GiB sparse memfd, a shared file
 * mapping written by a child process, and mremap in its forms (grow,
 * move, fixed, DONTUNMAP).  Self-checking: prints facts, ends with PASS. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

static int failures;

static void check(const char *what, int ok)
{
	printf("%s: %s\n", what, ok ? "ok" : "FAILED");
	failures += !ok;
}

int main(void)
{
	int z = open("/dev/zero", O_RDWR);
	int *zs = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, z, 0);
	int *zp = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE, z, 0);
	check("/dev/zero mappings", zs != MAP_FAILED && zp != MAP_FAILED);

	const size_t big = 1ul << 30;
	int m = memfd_create("conf", 0);
	check("memfd of 1 GiB", m >= 0 && ftruncate(m, (off_t)big) == 0 &&
	      pwrite(m, "memfd data", 10, 5000) == 10);
	char *mm = mmap(NULL, big, PROT_READ | PROT_WRITE, MAP_SHARED, m, 0);
	check("memfd mapped shared", mm != MAP_FAILED);
	char *mp = mmap(NULL, 8192, PROT_READ, MAP_PRIVATE, m, 0);
	check("memfd mapped private", mp != MAP_FAILED);

	char path[] = "/tmp/conf-mmap-XXXXXX";
	int f = mkstemp(path);
	unlink(path);
	check("file for a shared mapping", f >= 0 && ftruncate(f, 8192) == 0 &&
	      pwrite(f, "file data", 9, 100) == 9);
	char *fm = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, f, 0);
	check("file mapped shared", fm != MAP_FAILED);

	pid_t c = fork();
	if (c == 0) {
		zs[0] = 42;
		zp[0] = 7;
		strcpy(mm + (big >> 1), "child wrote the memfd");
		strcpy(fm + 200, "child wrote the file");
		_exit(0);
	}
	int st;
	waitpid(c, &st, 0);
	check("child exited", WIFEXITED(st) && WEXITSTATUS(st) == 0);
	check("shared /dev/zero sees the child's write", zs[0] == 42);
	check("private /dev/zero does not", zp[0] == 0);
	check("memfd data before the mapping", memcmp(mm + 5000, "memfd data", 10) == 0);
	check("memfd private copy of the data", memcmp(mp + 5000, "memfd data", 10) == 0);
	check("memfd sees the child's write", strcmp(mm + (big >> 1), "child wrote the memfd") == 0);
	check("file data before the mapping", memcmp(fm + 100, "file data", 9) == 0);
	check("shared file sees the child's write", strcmp(fm + 200, "child wrote the file") == 0);

	char *g = mmap(NULL, 8192, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	strcpy(g, "moved along");
	g = mremap(g, 8192, 1 << 20, MREMAP_MAYMOVE);
	check("mremap grows", g != MAP_FAILED && strcmp(g, "moved along") == 0);
	char *h = mremap(g, 1 << 20, 1 << 20, MREMAP_MAYMOVE | MREMAP_DONTUNMAP);
	check("mremap DONTUNMAP", h != MAP_FAILED && strcmp(h, "moved along") == 0 &&
	      g[0] == 0);
	char *dst = mmap(NULL, 1 << 21, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *k = mremap(h, 1 << 20, 1 << 20, MREMAP_MAYMOVE | MREMAP_FIXED, dst);
	check("mremap FIXED", k == dst && strcmp(k, "moved along") == 0);
	char *s = mremap(k, 1 << 20, 4096, 0);
	check("mremap shrinks in place", s == k && strcmp(s, "moved along") == 0);
	if (failures)
		return 1;
	printf("PASS conf_sys_mmap\n");
	return 0;
}
