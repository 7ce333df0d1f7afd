/* A file mapped MAP_SHARED by a parent and, independently, by its
 * children: one after exec (it opens the file by name and maps it, as a
 * test harness's results page is shared with the programs it runs), one
 * after a plain fork. The parent sees every change through its own
 * mapping, which it made before any child existed. Then the file grows
 * and the parent's mapping grows over it with mremap. */
#include "conf_proc.h"
#include <fcntl.h>
#include <stdint.h>
#include <sys/mman.h>

struct page {
	uint32_t counter;
	char note[60];
};

static struct page *map_file(const char *path)
{
	int fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	return p == MAP_FAILED ? NULL : p;
}

/* The child's part: its own mapping of the file, one more count. */
static int child_update(const char *path, const char *note)
{
	struct page *p = map_file(path);
	if (!p)
		return 2;
	p->counter++;
	snprintf(p->note, sizeof(p->note), "%s", note);
	return 0;
}

static void run_child(const char *path, char **argv, int execs)
{
	pid_t pid = fork();
	int st;

	if (pid == 0) {
		if (execs) {
			char *args[] = { argv[0], "child", (char *)path, NULL };
			execv("/proc/self/exe", args);
			_exit(3);
		}
		_exit(child_update(path, "from a forked child"));
	}
	if (pid < 0 || wait_for(pid, &st, 0) != pid) {
		conf_fail("fork/wait");
		return;
	}
	describe_status("child", st);
}

int main(int argc, char **argv)
{
	char path[64];

	if (argc == 3 && strcmp(argv[1], "child") == 0)
		return child_update(argv[2], "from an exec'd child");
	snprintf(path, sizeof(path), "/dev/shm/xrr-conf-shared-%d", (int)getpid());
	int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0 || ftruncate(fd, 4096) < 0) {
		/* no /dev/shm: a file system that shares as well */
		snprintf(path, sizeof(path), "/tmp/xrr-conf-shared-%d", (int)getpid());
		fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		if (fd < 0 || ftruncate(fd, 4096) < 0) {
			conf_fail("create the shared file");
			return conf_finish("shared_file");
		}
	}
	close(fd);
	struct page *mine = map_file(path);
	if (!mine) {
		conf_fail("map the shared file");
		unlink(path);
		return conf_finish("shared_file");
	}
	mine->counter = 10;

	run_child(path, argv, 1);
	check("the exec'd child's count reached my mapping", mine->counter == 11);
	check("and its note", strcmp(mine->note, "from an exec'd child") == 0);

	run_child(path, argv, 0);
	check("the forked child's count reached my mapping", mine->counter == 12);
	check("and its note", strcmp(mine->note, "from a forked child") == 0);

	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0 || ftruncate(fd, 3 * 4096) < 0) {
		conf_fail("grow the file");
	} else {
		char *big = mremap(mine, 4096, 3 * 4096, MREMAP_MAYMOVE);
		check("mremap over the grown file", big != MAP_FAILED);
		if (big != MAP_FAILED) {
			big[2 * 4096 + 10] = 'z';
			char c = 0;
			check("its third page reaches the file",
			      pread(fd, &c, 1, 2 * 4096 + 10) == 1 && c == 'z');
		}
	}
	if (fd >= 0)
		close(fd);
	unlink(path);
	return conf_finish("shared_file");
}
