/* A parent attaches to its running child the way crash reporters and
 * debuggers attach to a live process: PTRACE_ATTACH (the child's
 * SIGSTOP is the first stop), PTRACE_GETREGS, PTRACE_PEEKDATA of a value
 * the child computed, PTRACE_DETACH; the child goes on and reports. */
#include "conf_sys.h"

#include <signal.h>
#include <sys/ptrace.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile long secret;

int main(void)
{
	int to_child[2], to_parent[2];
	char b;

	if (pipe(to_child) < 0 || pipe(to_parent) < 0)
		return 1;
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		secret = 0x5eed1234;
		(void)!write(to_parent[1], "r", 1);
		/* Blocked here while the parent looks at it. */
		if (read(to_child[0], &b, 1) != 1)
			_exit(90);
		printf("child: went on after the detach\n");
		fflush(stdout);
		_exit(7);
	}
	CHECK(read(to_parent[0], &b, 1) == 1, "the child is ready");
	CHECK(ptrace(PTRACE_ATTACH, pid, 0, 0) == 0, "PTRACE_ATTACH");
	int st = 0;
	CHECK(waitpid(pid, &st, 0) == pid && WIFSTOPPED(st) && WSTOPSIG(st) == SIGSTOP,
	      "first stop: SIGSTOP");
	struct user_regs_struct regs;
	CHECK(ptrace(PTRACE_GETREGS, pid, 0, &regs) == 0 && regs.rip != 0,
	      "PTRACE_GETREGS");
	errno = 0;
	long word = ptrace(PTRACE_PEEKDATA, pid, (void *)&secret, 0);
	CHECK(errno == 0 && word == 0x5eed1234, "PTRACE_PEEKDATA reads the child's value");
	CHECK(ptrace(PTRACE_DETACH, pid, 0, 0) == 0, "PTRACE_DETACH");
	(void)!write(to_child[1], "g", 1);
	CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 7,
	      "the child exited 7");
	return conf_finish("conf_ptrace_attach");
}
