/* What a tracer sees of its tracee's signals and who may attach:
 * a child that asked to be traced sends itself signals of every kind of
 * disposition (fatal, stopping, ignored by default, explicitly ignored,
 * real-time); each one stops it for the tracer, which lets it go on
 * without the signal. An unprivileged process may not attach to a
 * process of another user (EPERM); run without root, that check prints
 * as a category. */
#include "conf_sys.h"

#include <pwd.h>
#include <signal.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <unistd.h>

static void traced_child_sends(int sig, int ignore_it, const char *what)
{
	char name[96];
	int st = 0;
	pid_t c = fork();

	if (c == 0) {
		if (ignore_it)
			signal(sig, SIG_IGN);
		ptrace(PTRACE_TRACEME, 0, 0, 0);
		kill(getpid(), sig);
		_exit(7);
	}
	snprintf(name, sizeof(name), "%s: stops for its tracer", what);
	CHECK(c > 0 && waitpid(c, &st, 0) == c && WIFSTOPPED(st) &&
		      WSTOPSIG(st) == sig, name);
	if (c > 0 && WIFSTOPPED(st)) {
		ptrace(PTRACE_CONT, c, 0, 0);   /* without the signal */
		snprintf(name, sizeof(name), "%s: then exits with 7", what);
		CHECK(waitpid(c, &st, 0) == c && WIFEXITED(st) &&
			      WEXITSTATUS(st) == 7, name);
	} else if (c > 0) {
		kill(c, SIGKILL);
		waitpid(c, &st, 0);
	}
}

static void attach_other_user(void)
{
	struct passwd *pw = getpwnam("nobody");
	int st;

	if (geteuid() != 0 || !pw) {
		printf("attach to another user's process: not tried (no root or no nobody)\n");
		return;
	}
	pid_t victim = fork();
	if (victim == 0) {
		pause();
		_exit(0);
	}
	pid_t attacher = fork();
	if (attacher == 0) {
		if (setgid(pw->pw_gid) < 0 || setuid(pw->pw_uid) < 0)
			_exit(3);
		errno = 0;
		long rc = ptrace(PTRACE_ATTACH, victim, 0, 0);
		_exit(rc == -1 && errno == EPERM ? 0 : 1);
	}
	CHECK(waitpid(attacher, &st, 0) == attacher && WIFEXITED(st) &&
		      WEXITSTATUS(st) == 0,
	      "nobody's PTRACE_ATTACH to root's process: EPERM");
	kill(victim, SIGKILL);
	waitpid(victim, &st, 0);
}

int main(void)
{
	traced_child_sends(SIGHUP, 0, "SIGHUP (fatal by default)");
	traced_child_sends(SIGUSR1, 0, "SIGUSR1 (fatal by default)");
	traced_child_sends(SIGTSTP, 0, "SIGTSTP (stops by default)");
	traced_child_sends(SIGCHLD, 0, "SIGCHLD (ignored by default)");
	traced_child_sends(SIGWINCH, 0, "SIGWINCH (ignored by default)");
	traced_child_sends(SIGUSR2, 1, "SIGUSR2 set to SIG_IGN");
	traced_child_sends(SIGRTMIN + 1, 0, "SIGRTMIN+1");
	attach_other_user();
	return conf_finish("conf_ptrace_signals");
}
