/* A SIGCHLD handler counts and reaps children (waitpid WNOHANG in a
 * loop, since SIGCHLDs merge); the main program waits with sigsuspend
 * until all five are reaped and checks their statuses. */
#include "conf_proc.h"

static volatile sig_atomic_t signals_seen, reaped, status_sum;

static void on_chld(int sig)
{
	int saved = errno, st;
	signals_seen++;
	while (waitpid(-1, &st, WNOHANG) > 0) {
		reaped++;
		if (WIFEXITED(st))
			status_sum += WEXITSTATUS(st);
	}
	errno = saved;
}

int main(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_chld;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART | SA_NOCLDSTOP;
	sigaction(SIGCHLD, &sa, NULL);
	sigset_t block, old;
	sigemptyset(&block);
	sigaddset(&block, SIGCHLD);
	sigprocmask(SIG_BLOCK, &block, &old);
	for (int i = 1; i <= 5; i++) {
		fflush(stdout);
		pid_t pid = fork();
		if (pid < 0) {
			conf_fail("fork");
			break;
		}
		if (pid == 0)
			_exit(i);
	}
	while (reaped < 5)
		sigsuspend(&old);
	sigprocmask(SIG_SETMASK, &old, NULL);
	printf("reaped %d children, sum of statuses %d\n", (int)reaped, (int)status_sum);
	check("five children reaped by the handler", reaped == 5);
	check("sum of exit statuses is 15", status_sum == 15);
	check("at least one SIGCHLD handled", signals_seen >= 1 && signals_seen <= 5);

	/* One more child: blocked SIGCHLD stays pending until sigwait. */
	sigprocmask(SIG_BLOCK, &block, NULL);
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0)
		_exit(9);
	int sig = 0;
	sigwait(&block, &sig);
	check("sigwait returns SIGCHLD", sig == SIGCHLD);
	int st;
	check("child collected after sigwait", wait_for(pid, &st, 0) == pid);
	check("status 9", WIFEXITED(st) && WEXITSTATUS(st) == 9);

	/* SIGCHLD ignored: children are reaped by the kernel, wait finds none. */
	signal(SIGCHLD, SIG_IGN);
	sigprocmask(SIG_SETMASK, &old, NULL);
	fflush(stdout);
	pid = fork();
	if (pid == 0)
		_exit(1);
	pid_t r = wait_for(-1, &st, 0);
	check("SIG_IGN for SIGCHLD: wait reports ECHILD", r < 0 && errno == ECHILD);
	return conf_finish("sigchld");
}
