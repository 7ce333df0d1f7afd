/* A child stops itself with SIGSTOP (as strace's child does before its
 * tracer seizes it) and must stay stopped until its parent sends
 * SIGCONT: the child's line comes after the parent's, and the parent's
 * waitpid(WUNTRACED) sees the stop, then WCONTINUED the continue.  Also
 * a stop that finds the child blocked in read: it resumes the read. */
#include "conf_proc.h"

#include <poll.h>

static void stop_then_report(int out, int go)
{
	char b;

	raise(SIGSTOP);
	printf("child: after its stop\n");
	fflush(stdout);
	(void)!write(out, "c", 1);      /* after its line: a fixed order */
	(void)!read(go, &b, 1);         /* alive until the parent has seen
					   it continued */
	_exit(3);
}

int main(void)
{
	int pipefd[2], gofd[2], st;
	char c = 0;

	setvbuf(stdout, NULL, _IONBF, 0);
	if (pipe(pipefd) < 0 || pipe(gofd) < 0) {
		conf_fail("pipe");
		return conf_finish("self_stop");
	}
	pid_t pid = fork();
	if (pid == 0)
		stop_then_report(pipefd[1], gofd[0]);
	check("waitpid WUNTRACED: stopped by SIGSTOP",
	      wait_for(pid, &st, WUNTRACED) == pid && WIFSTOPPED(st) &&
	      WSTOPSIG(st) == SIGSTOP);
	/* Had the child run on, its byte would be in the pipe now. */
	usleep(100000);
	struct pollfd pfd = { .fd = pipefd[0], .events = POLLIN };
	check("nothing from the stopped child", poll(&pfd, 1, 0) == 0);
	printf("parent: sending SIGCONT\n");
	kill(pid, SIGCONT);
	/* The child prints its line before its byte: read first, print
	 * after, for a fixed order. */
	int got = read(pipefd[0], &c, 1) == 1 && c == 'c';
	check("waitpid WCONTINUED", wait_for(pid, &st, WCONTINUED) == pid &&
	      WIFCONTINUED(st));
	check("the child's byte after SIGCONT", got);
	(void)!write(gofd[1], "g", 1);
	check("exit 3", wait_for(pid, &st, 0) == pid && WIFEXITED(st) &&
	      WEXITSTATUS(st) == 3);

	/* Stopped while blocked in read: the read goes on after SIGCONT. */
	int go[2];
	if (pipe(go) < 0)
		conf_fail("pipe");
	pid = fork();
	if (pid == 0) {
		char b;
		_exit(read(go[0], &b, 1) == 1 && b == 'g' ? 4 : 5);
	}
	usleep(50000);
	kill(pid, SIGSTOP);
	check("blocked child stopped", wait_for(pid, &st, WUNTRACED) == pid &&
	      WIFSTOPPED(st));
	kill(pid, SIGCONT);
	(void)!write(go[1], "g", 1);
	check("its read completed: exit 4", wait_for(pid, &st, 0) == pid &&
	      WIFEXITED(st) && WEXITSTATUS(st) == 4);
	return conf_finish("self_stop");
}
