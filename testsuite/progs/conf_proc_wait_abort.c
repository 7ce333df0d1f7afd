/* A child prints a line and calls abort(): the parent sees SIGABRT; a
 * second child blocks SIGABRT and catches nothing, abort() still kills it;
 * a third has a SIGABRT handler that returns, abort() still kills it. */
#include "conf_proc.h"
#include <sys/resource.h>

static void on_abrt(int sig)
{
	static const char msg[] = "child 3: SIGABRT handler ran\n";
	write_full(1, msg, sizeof msg - 1);
}

int main(void)
{
	struct rlimit rl = { 0, 0 };
	setrlimit(RLIMIT_CORE, &rl);
	for (int mode = 1; mode <= 3; mode++) {
		fflush(stdout);
		pid_t pid = fork();
		if (pid == 0) {
			if (mode == 2) {
				sigset_t s;
				sigemptyset(&s);
				sigaddset(&s, SIGABRT);
				sigprocmask(SIG_BLOCK, &s, NULL);
			}
			if (mode == 3)
				signal(SIGABRT, on_abrt);
			printf("child %d: calling abort\n", mode);
			fflush(stdout);
			abort();
		}
		int st;
		check("collected", wait_for(pid, &st, 0) == pid);
		char who[32];
		snprintf(who, sizeof who, "child %d", mode);
		describe_status(who, st);
		check("killed by SIGABRT", WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT);
	}
	return conf_finish("wait_abort");
}
