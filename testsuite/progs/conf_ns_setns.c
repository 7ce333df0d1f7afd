/* setns into a child's namespaces.  The child is made by clone3 with
 * CLONE_NEWUTS|CLONE_NEWIPC (in a user namespace of its own when not
 * root), names its host and waits.  Then, in helpers of ours:
 *  - setns(open("/proc/CHILD/ns/uts"), CLONE_NEWUTS): the helper sees
 *    the child's host name, its /proc/self/ns/uts names the child's;
 *  - setns(pidfd, CLONE_NEWUTS|CLONE_NEWIPC) (Linux 5.8): both at once;
 *  - setns with the wrong type fails with EINVAL, the caller unchanged;
 *  - setns(/proc/INIT/ns/pid, CLONE_NEWPID) into a pid namespace whose
 *    init is a grandchild: the helper's next child is a member (pid 2,
 *    parent 0), the helper itself is not.
 * Our own namespaces never change. */
#include "conf_ns.h"

#include <stdint.h>
#include <sys/utsname.h>

#define INNER "xrr-inner"

struct clone_args_v0 {
	uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack,
		 stack_size, tls;
};

static int host_is(const char *name)
{
	char h[256];
	return gethostname(h, sizeof h) == 0 && strcmp(h, name) == 0;
}

/* Run fn in a helper process; its checks print there and its failures
 * come back as its status. */
static void in_helper(const char *what, void (*fn)(pid_t), pid_t arg)
{
	fflush(stdout);
	pid_t h = fork();
	if (h == 0) {
		fn(arg);
		fflush(stdout);
		_exit(conf_failed ? 1 : 0);
	}
	int st;
	char line[128];
	snprintf(line, sizeof line, "%s: helper passed", what);
	check(line, h > 0 && wait_for(h, &st, 0) == h && WIFEXITED(st) &&
		    WEXITSTATUS(st) == 0);
}

/* Not root: the child's namespaces belong to its user namespace, where
 * a process of its owner has every capability once it joins. */
static void join_user_ns(pid_t child)
{
	char path[64];

	if (geteuid() == 0)
		return;
	snprintf(path, sizeof path, "/proc/%d/ns/user", (int)child);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || setns(fd, CLONE_NEWUSER) < 0)
		conf_fail("joining the child's user namespace");
	if (fd >= 0)
		close(fd);
}

static void by_path(pid_t child)
{
	char path[64], self[64];

	join_user_ns(child);

	snprintf(path, sizeof path, "/proc/%d/ns/uts", (int)child);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	check("ns file opened", fd >= 0);
	check("not in the child's UTS namespace yet",
	      same_ns(path, "/proc/self/ns/uts") == 0);
	check("setns(ns file, CLONE_NEWUTS)", setns(fd, CLONE_NEWUTS) == 0);
	snprintf(self, sizeof self, "/proc/%d/ns/uts", (int)getpid());
	check("now in it (same ns link)", same_ns(path, self) == 1);
	check("the child's host name is ours now", host_is(INNER));
	close(fd);
}

static void by_pidfd(pid_t child)
{
	int fd = (int)syscall(SYS_pidfd_open, child, 0);
	if (fd < 0) {
		printf("pidfd_open: unavailable (%s)\n", errname(errno));
		return;
	}
	int user = geteuid() == 0 ? 0 : CLONE_NEWUSER;
	if (setns(fd, CLONE_NEWUTS | CLONE_NEWIPC | user) < 0) {
		/* Kernels before 5.8 take no pidfd here. */
		printf("setns(pidfd): unavailable (%s)\n", errname(errno));
		close(fd);
		return;
	}
	printf("setns(pidfd, CLONE_NEWUTS|CLONE_NEWIPC): done\n");
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/ns/ipc", (int)child);
	check("in the child's IPC namespace", same_ns(path, "/proc/self/ns/ipc") == 1);
	check("the child's host name is ours now", host_is(INNER));
	close(fd);
}

static void wrong_type(pid_t child)
{
	char path[64];

	join_user_ns(child);
	snprintf(path, sizeof path, "/proc/%d/ns/uts", (int)child);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	check("setns(uts file, CLONE_NEWIPC) fails with EINVAL",
	      setns(fd, CLONE_NEWIPC) < 0 && errno == EINVAL);
	check("still in our own UTS namespace", !host_is(INNER));
	close(fd);
}

static void into_pid_ns(pid_t init)
{
	char path[64];

	snprintf(path, sizeof path, "/proc/%d/ns/pid", (int)init);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	check("setns(pid ns file, CLONE_NEWPID)", setns(fd, CLONE_NEWPID) == 0);
	close(fd);
	check("our own pid namespace is unchanged",
	      same_ns(path, "/proc/self/ns/pid") == 0);
	check("our children's is the init's",
	      same_ns(path, "/proc/self/ns/pid_for_children") == 1);
	fflush(stdout);
	pid_t k = fork();
	if (k == 0)
		_exit(getpid() == 2 && getppid() == 0 ? 0 : 1);
	int st;
	check("our next child is pid 2 there, its parent outside",
	      k > 0 && wait_for(k, &st, 0) == k && WIFEXITED(st) &&
	      WEXITSTATUS(st) == 0);
}

int main(void)
{
	int go[2], ready[2];
	char self_uts_before[128];
	ssize_t n = readlink("/proc/self/ns/uts", self_uts_before,
			     sizeof self_uts_before - 1);
	self_uts_before[n > 0 ? n : 0] = 0;
	if (pipe(go) < 0 || pipe(ready) < 0) {
		conf_fail("pipe");
		return conf_finish("ns_setns");
	}
	uint64_t user = geteuid() == 0 ? 0 : CLONE_NEWUSER;
	struct clone_args_v0 ca = { 0 };
	ca.flags = CLONE_NEWUTS | CLONE_NEWIPC | user;
	ca.exit_signal = SIGCHLD;
	fflush(stdout);
	long child = syscall(SYS_clone3, &ca, sizeof ca);
	if (child < 0 && errno == ENOSYS) {
		ca.flags = 0;   /* no clone3: fork, then unshare */
		child = fork();
	}
	if (child == 0) {
		close(go[1]);
		close(ready[0]);
		if (!ca.flags && unshare(CLONE_NEWUTS | CLONE_NEWIPC | (int)user) < 0)
			_exit(20);
		if (user && map_root(getuid(), getgid()) < 0)
			_exit(20);
		if (sethostname(INNER, strlen(INNER)) < 0)
			_exit(21);
		send_token(ready[1]);
		wait_token(go[0]);
		_exit(0);
	}
	close(go[0]);
	close(ready[1]);
	if (child < 0 || !wait_token(ready[0])) {
		printf("UTS and IPC namespaces: unavailable\n");
		if (child > 0)
			wait_for((pid_t)child, NULL, 0);
		return conf_finish("ns_setns");
	}
	printf("UTS and IPC namespaces: made by clone3\n");
	in_helper("by /proc/PID/ns/uts", by_path, (pid_t)child);
	in_helper("by pidfd", by_pidfd, (pid_t)child);
	in_helper("wrong type", wrong_type, (pid_t)child);
	send_token(go[1]);
	int st;
	check("the namespace child exited 0", wait_for((pid_t)child, &st, 0) == child &&
	      WIFEXITED(st) && WEXITSTATUS(st) == 0);

	/* A pid namespace with a waiting init, made by a helper. */
	int ip[2], igo[2];
	if (pipe(ip) < 0 || pipe(igo) < 0) {
		conf_fail("pipe");
		return conf_finish("ns_setns");
	}
	fflush(stdout);
	pid_t maker = fork();
	if (maker == 0) {
		close(ip[0]);
		close(igo[1]);
		if (geteuid() != 0 &&
		    (unshare(CLONE_NEWUSER) < 0 || map_root(geteuid(), getegid()) < 0))
			_exit(20);
		if (unshare(CLONE_NEWPID) < 0)
			_exit(20);
		pid_t init = fork();
		if (init == 0) {
			wait_token(igo[0]);
			_exit(0);
		}
		/* Not root: only a process of our user namespace may join
		 * the pid namespace; we do, before the init is told to go. */
		if (user)
			into_pid_ns(init);
		/* Report the init's pid (in our namespace, not its own). */
		if (write_full(ip[1], &init, sizeof init) < 0)
			_exit(21);
		wait_for(init, NULL, 0);
		fflush(stdout);
		_exit(conf_failed ? 1 : 0);
	}
	close(ip[1]);
	close(igo[0]);
	pid_t init = 0;
	if (read_full(ip[0], &init, sizeof init) != sizeof init) {
		printf("pid namespace: unavailable\n");
		close(igo[1]);
		wait_for(maker, NULL, 0);
		return conf_finish("ns_setns");
	}
	if (!user)
		in_helper("into a pid namespace", into_pid_ns, init);
	send_token(igo[1]);
	close(igo[1]);
	check("the pid namespace's maker passed", wait_for(maker, &st, 0) == maker &&
	      WIFEXITED(st) && WEXITSTATUS(st) == 0);

	char self_uts_after[128];
	n = readlink("/proc/self/ns/uts", self_uts_after, sizeof self_uts_after - 1);
	self_uts_after[n > 0 ? n : 0] = 0;
	check("our own UTS namespace never changed",
	      strcmp(self_uts_before, self_uts_after) == 0);
	return conf_finish("ns_setns");
}
