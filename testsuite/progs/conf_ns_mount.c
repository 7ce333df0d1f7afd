/* A user and mount namespace: a tmpfs mount, a bind mount of one of its
 * directories, files created and read through both names, a file on the
 * tmpfs mapped into memory, the mount API (fsopen, fsconfig, fsmount,
 * move_mount, mount_setattr, open_tree, fspick), a program copied onto
 * the tmpfs and run from
 * there (a path that exists only in this mount namespace), umount, and
 * pivot_root into a second tmpfs with the old root detached, where a
 * copy of the program runs as /prog (the system's /usr and libraries
 * bind-mounted in).  Recorded, that run warns on stderr that xrr's
 * preload library is not in that root (docs/recording.md).
 *
 * The work happens in a child, whose namespace dies with it; the parent
 * made the (empty) directories under /tmp and removes them.  Paths are
 * never printed (mkdtemp names them), only what was found there. */
#include "conf_ns.h"

#include <dirent.h>
#include <stdint.h>
#include <linux/magic.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>

/* The mount API (Linux 5.2; mount_setattr 5.12), by number: older C
 * libraries have no wrappers. */
#ifndef FSOPEN_CLOEXEC
#define FSOPEN_CLOEXEC 0x00000001
#define FSPICK_CLOEXEC 0x00000001
#define FSMOUNT_CLOEXEC 0x00000001
#define FSCONFIG_SET_STRING 1
#define FSCONFIG_CMD_CREATE 6
#define MOVE_MOUNT_F_EMPTY_PATH 0x00000004
#define OPEN_TREE_CLONE 1
#define MOUNT_ATTR_RDONLY 0x00000001
#endif

struct mount_attr_v0 {
	uint64_t attr_set, attr_clr, propagation, userns_fd;
};

static char base[64], dir_a[96], dir_b[96], dir_root[96];

static int put(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -1;
	int rc = write_str(fd, text);
	close(fd);
	return rc;
}

/* Does the file hold exactly text? */
static int holds(const char *path, const char *text)
{
	char buf[256];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	ssize_t n = read_full(fd, buf, sizeof buf - 1);
	close(fd);
	if (n < 0)
		return 0;
	buf[n] = 0;
	return strcmp(buf, text) == 0;
}

static int copy_file(const char *from, const char *to)
{
	char buf[65536];
	int in = open(from, O_RDONLY | O_CLOEXEC);
	int out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
	int rc = in >= 0 && out >= 0 ? 0 : -1;
	for (ssize_t n; rc == 0 && (n = read(in, buf, sizeof buf)) != 0;)
		rc = n < 0 ? -1 : write_full(out, buf, (size_t)n);
	if (in >= 0)
		close(in);
	if (out >= 0 && close(out) < 0)
		rc = -1;
	return rc;
}

/* Entries of a directory other than . and .. (-1: unreadable). */
static int entries(const char *path)
{
	DIR *d = opendir(path);
	if (!d)
		return -1;
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

static void tmpfs_and_bind(void)
{
	char path[160], other[160];

	check("tmpfs mounted",
	      mount("xrr-ns-tmpfs", dir_a, "tmpfs", 0, "size=4m,mode=755") == 0);
	struct statfs sf;
	check("the directory is a tmpfs now",
	      statfs(dir_a, &sf) == 0 && sf.f_type == TMPFS_MAGIC);
	snprintf(path, sizeof path, "%s/file", dir_a);
	check("a file written on the tmpfs", put(path, "on the tmpfs\n") == 0);
	check("... and read back", holds(path, "on the tmpfs\n"));

	/* Mapped: the recorder reads it through the program's fd. */
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	char *m = fd >= 0 ? mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fd, 0)
			  : MAP_FAILED;
	check("the file mapped shows its bytes",
	      m != MAP_FAILED && memcmp(m, "on the tmpfs\n", 13) == 0);
	if (m != MAP_FAILED)
		munmap(m, 4096);
	if (fd >= 0)
		close(fd);

	snprintf(path, sizeof path, "%s/sub", dir_a);
	check("a directory on the tmpfs", mkdir(path, 0755) == 0);
	snprintf(path, sizeof path, "%s/sub/inner", dir_a);
	check("a file in it", put(path, "inner\n") == 0);
	snprintf(path, sizeof path, "%s/sub", dir_a);
	check("bind mount of the directory",
	      mount(path, dir_b, NULL, MS_BIND, NULL) == 0);
	snprintf(path, sizeof path, "%s/inner", dir_b);
	check("the file read through the bind mount", holds(path, "inner\n"));
	snprintf(path, sizeof path, "%s/made-through-bind", dir_b);
	snprintf(other, sizeof other, "%s/sub/made-through-bind", dir_a);
	check("a file created through the bind mount", put(path, "via b\n") == 0);
	check("... read under its tmpfs name", holds(other, "via b\n"));
	check("umount of the bind mount", umount2(dir_b, 0) == 0);
	snprintf(path, sizeof path, "%s/inner", dir_b);
	check("the file is gone from the unmounted directory",
	      access(path, F_OK) < 0 && errno == ENOENT);
}

/* fsopen, fsconfig, fsmount, move_mount, mount_setattr, open_tree and
 * fspick, on dir_b (free again after tmpfs_and_bind). */
static void mount_api(void)
{
	char path[160];

	int fs = (int)syscall(SYS_fsopen, "tmpfs", FSOPEN_CLOEXEC);
	if (fs < 0) {
		printf("mount API: unavailable (%s)\n", errname(errno));
		return;
	}
	check("fsconfig size=1m", syscall(SYS_fsconfig, fs, FSCONFIG_SET_STRING,
					  "size", "1m", 0) == 0);
	check("fsconfig create", syscall(SYS_fsconfig, fs, FSCONFIG_CMD_CREATE,
					 NULL, NULL, 0) == 0);
	int mnt = (int)syscall(SYS_fsmount, fs, FSMOUNT_CLOEXEC, 0);
	check("fsmount", mnt >= 0);
	check("move_mount onto the directory",
	      syscall(SYS_move_mount, mnt, "", AT_FDCWD, dir_b,
		      MOVE_MOUNT_F_EMPTY_PATH) == 0);
	close(mnt);
	close(fs);
	snprintf(path, sizeof path, "%s/new-api", dir_b);
	check("a file on the new mount", put(path, "new api\n") == 0 &&
					 holds(path, "new api\n"));
	struct mount_attr_v0 attr = { .attr_set = MOUNT_ATTR_RDONLY };
	check("mount_setattr read-only",
	      syscall(SYS_mount_setattr, AT_FDCWD, dir_b, 0, &attr, sizeof attr) == 0);
	snprintf(path, sizeof path, "%s/refused", dir_b);
	check("writing there fails with EROFS",
	      put(path, "x") < 0 && errno == EROFS);
	check("umount of the new mount", umount2(dir_b, 0) == 0);

	int tree = (int)syscall(SYS_open_tree, AT_FDCWD, dir_a,
				OPEN_TREE_CLONE | O_CLOEXEC);
	check("open_tree(OPEN_TREE_CLONE) of the tmpfs", tree >= 0);
	check("the clone attached by move_mount",
	      syscall(SYS_move_mount, tree, "", AT_FDCWD, dir_b,
		      MOVE_MOUNT_F_EMPTY_PATH) == 0);
	close(tree);
	snprintf(path, sizeof path, "%s/file", dir_b);
	check("the tmpfs file under the clone", holds(path, "on the tmpfs\n"));
	check("umount of the clone", umount2(dir_b, 0) == 0);
	int pick = (int)syscall(SYS_fspick, AT_FDCWD, dir_a, FSPICK_CLOEXEC);
	check("fspick of the tmpfs", pick >= 0);
	if (pick >= 0)
		close(pick);
}

/* A copy of this program on the tmpfs, run from there. */
static void exec_from_tmpfs(void)
{
	char prog[160];

	snprintf(prog, sizeof prog, "%s/prog", dir_a);
	check("this program copied onto the tmpfs",
	      copy_file("/proc/self/exe", prog) == 0);
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		char *argv[] = { prog, "--from-tmpfs", NULL };
		execv(prog, argv);
		_exit(127);
	}
	int st;
	check("the copy ran", pid > 0 && wait_for(pid, &st, 0) == pid);
	if (pid > 0)
		describe_status("the copy", st);
}

/* The system's program directories in the new root, for a dynamically
 * linked program: bind mounts of directories, copies of symlinks
 * (/lib -> usr/lib). */
static int populate(void)
{
	static const char *const dirs[] = { "/usr", "/lib", "/lib64", "/lib32",
					    "/libx32", "/bin" };
	char to[160], link[160];
	int rc = 0;

	for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
		struct stat st;
		snprintf(to, sizeof to, "%s%s", dir_root, dirs[i]);
		if (lstat(dirs[i], &st) < 0)
			continue;
		if (S_ISLNK(st.st_mode)) {
			ssize_t n = readlink(dirs[i], link, sizeof link - 1);
			link[n > 0 ? n : 0] = 0;
			if (n <= 0 || symlink(link, to) < 0)
				rc = -1;
		} else if (S_ISDIR(st.st_mode)) {
			if (mkdir(to, 0755) < 0 ||
			    mount(dirs[i], to, NULL, MS_BIND | MS_REC, NULL) < 0)
				rc = -1;
		}
	}
	snprintf(to, sizeof to, "%s/prog", dir_root);
	if (copy_file("/proc/self/exe", to) < 0)
		rc = -1;
	return rc;
}

static void pivot(void)
{
	char old[160], path[160];

	check("tmpfs for the new root",
	      mount("xrr-ns-root", dir_root, "tmpfs", 0, "size=16m") == 0);
	check("the new root has /usr, the libraries and this program",
	      populate() == 0);
	snprintf(old, sizeof old, "%s/old", dir_root);
	snprintf(path, sizeof path, "%s/marker", dir_root);
	check("put_old made", mkdir(old, 0755) == 0);
	check("a marker in the new root", put(path, "new root\n") == 0);
	if (syscall(SYS_pivot_root, dir_root, old) < 0) {
		printf("pivot_root: unavailable (%s)\n", errname(errno));
		return;
	}
	printf("pivot_root: done\n");
	check("chdir to the new root", chdir("/") == 0);
	check("the marker is at /marker", holds("/marker", "new root\n"));
	snprintf(path, sizeof path, "/old%s/file", dir_a);
	check("the old root is under /old, tmpfs file included",
	      holds(path, "on the tmpfs\n"));
	check("the old root detached", umount2("/old", MNT_DETACH) == 0);
	check("/old is empty now", entries("/old") == 0);
	check("a file written in the new root", put("/written", "after\n") == 0);
	check("... and read back", holds("/written", "after\n"));
	/* /prog exists only there, named from the new root. */
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		char *argv[] = { "/prog", "--from-new-root", NULL };
		execv("/prog", argv);
		_exit(127);
	}
	int st;
	check("/prog ran", pid > 0 && wait_for(pid, &st, 0) == pid);
	if (pid > 0)
		describe_status("/prog", st);
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "--from-tmpfs") == 0) {
		printf("the copy on the tmpfs runs\n");
		return 0;
	}
	if (argc > 1 && strcmp(argv[1], "--from-new-root") == 0) {
		printf("the copy in the new root runs, /marker: %s\n",
		       holds("/marker", "new root\n") ? "there" : "missing");
		return 0;
	}
	snprintf(base, sizeof base, "/tmp/xrr-ns-mount-XXXXXX");
	if (!mkdtemp(base)) {
		conf_fail("mkdtemp");
		return conf_finish("ns_mount");
	}
	snprintf(dir_a, sizeof dir_a, "%s/a", base);
	snprintf(dir_b, sizeof dir_b, "%s/b", base);
	snprintf(dir_root, sizeof dir_root, "%s/root", base);
	if (mkdir(dir_a, 0755) < 0 || mkdir(dir_b, 0755) < 0 ||
	    mkdir(dir_root, 0755) < 0)
		conf_fail("mkdir");
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		if (!ns_unshare("user and mount", CLONE_NEWNS, 1))
			_exit(0);
		check("mounts made private",
		      mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0);
		tmpfs_and_bind();
		mount_api();
		exec_from_tmpfs();
		pivot();
		fflush(stdout);
		_exit(conf_failed ? 1 : 0);
	}
	int st;
	check("the namespace child ran", pid > 0 && wait_for(pid, &st, 0) == pid);
	check("the namespace child passed", pid > 0 && WIFEXITED(st) &&
					    WEXITSTATUS(st) == 0);
	/* Its mounts died with its namespace: the directories are empty. */
	check("nothing of the mounts is left here",
	      entries(dir_a) == 0 && entries(dir_b) == 0 && entries(dir_root) == 0);
	rmdir(dir_a);
	rmdir(dir_b);
	rmdir(dir_root);
	check("the directories removed", rmdir(base) == 0);
	return conf_finish("ns_mount");
}
