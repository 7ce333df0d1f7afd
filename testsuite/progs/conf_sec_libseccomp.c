/* Filters built with libseccomp, as real programs build them (arch
 * checks, argument comparisons, a binary tree of rules): a deny list with
 * argument conditions loaded with TSYNC while a thread runs, then in a
 * child an allow list whose default answers ENOSYS, and a Debian binary
 * (/bin/true, /bin/echo) exec'd under the inherited filter. */
#include "conf_sys.h"

#include <fcntl.h>
#include <pthread.h>
#include <seccomp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static pthread_barrier_t loaded, done;
static volatile int thread_errno = -1;

static void *worker(void *arg)
{
	(void)arg;
	pthread_barrier_wait(&loaded);
	thread_errno = mkdir("/tmp/xrr-conf-sec-never", 0700) < 0 ? errno : 0;
	pthread_barrier_wait(&done);
	return NULL;
}

static int run(const char *path, const char *arg)
{
	int st = -1;

	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		execl(path, path, arg, (char *)NULL);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &st, 0) != pid)
		return -1;
	return st;
}

static void deny_list(void)
{
	pthread_t th;
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);

	CHECK(ctx != NULL, "seccomp_init(ALLOW)");
	CHECK(seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EROFS), SCMP_SYS(mkdir), 0) == 0 &&
	      seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EROFS), SCMP_SYS(mkdirat), 0) == 0,
	      "rule: mkdir EROFS");
	CHECK(seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EAFNOSUPPORT), SCMP_SYS(socket), 1,
			       SCMP_A0(SCMP_CMP_EQ, AF_INET)) == 0,
	      "rule: socket(AF_INET) EAFNOSUPPORT");
	CHECK(seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1) == 0, "TSYNC attribute");

	pthread_barrier_init(&loaded, NULL, 2);
	pthread_barrier_init(&done, NULL, 2);
	pthread_create(&th, NULL, worker, NULL);
	CHECK(seccomp_load(ctx) == 0, "seccomp_load");
	seccomp_release(ctx);
	pthread_barrier_wait(&loaded);
	pthread_barrier_wait(&done);
	pthread_join(th, NULL);
	CHECK(thread_errno == EROFS, "running thread: mkdir EROFS (TSYNC)");

	CHECK(mkdir("/tmp/xrr-conf-sec-never", 0700) == -1 && errno == EROFS,
	      "mkdir: EROFS");
	int s = socket(AF_INET, SOCK_STREAM, 0);
	CHECK(s == -1 && errno == EAFNOSUPPORT, "socket(AF_INET): EAFNOSUPPORT");
	s = socket(AF_UNIX, SOCK_STREAM, 0);
	CHECK(s >= 0, "socket(AF_UNIX): allowed");
	if (s >= 0)
		close(s);
	int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	char magic[4] = { 0 };
	CHECK(fd >= 0 && read(fd, magic, 4) == 4 && memcmp(magic, "\177ELF", 4) == 0,
	      "open and read allowed");
	if (fd >= 0)
		close(fd);
	int st = run("/bin/true", NULL);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "/bin/true under the filter");
	st = run("/bin/echo", "echo under the filter");
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "/bin/echo under the filter");
}

static const int allowed[] = {
	SCMP_SYS(read), SCMP_SYS(write), SCMP_SYS(exit), SCMP_SYS(exit_group),
	SCMP_SYS(rt_sigreturn), SCMP_SYS(brk), SCMP_SYS(mmap), SCMP_SYS(munmap),
	SCMP_SYS(fstat), SCMP_SYS(newfstatat), SCMP_SYS(close),
};

/* In a child: only what is listed, ENOSYS for the rest. */
static void allow_list_child(void)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ERRNO(ENOSYS));

	if (!ctx)
		_exit(90);
	for (size_t i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++)
		if (seccomp_rule_add(ctx, SCMP_ACT_ALLOW, allowed[i], 0) < 0)
			_exit(91);
	if (seccomp_load(ctx) < 0)
		_exit(92);
	long ppid = syscall(SYS_getppid);
	int e = errno;
	printf("allow list: getppid %s\n", ppid == -1 && e == ENOSYS ? "ENOSYS" : "allowed?");
	printf("allow list: write still allowed\n");
	fflush(stdout);
	_exit(ppid == -1 && e == ENOSYS ? 0 : 93);
}

int main(void)
{
	int st = -1;

	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0)
		allow_list_child();
	CHECK(pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) &&
	      WEXITSTATUS(st) == 0, "allow-list child passed");
	deny_list();
	return conf_finish("conf_sec_libseccomp");
}
