/* prctl(PR_SET_PDEATHSIG): the main program becomes a child subreaper,
 * forks a middle process, which forks a grandchild that asks for SIGUSR1
 * when its parent dies.  The middle process exits; the grandchild's
 * handler runs, it reports through a pipe and exits 21; the main program
 * (its new parent, as subreaper) collects it. */
#include "conf_proc.h"
#include <sys/prctl.h>

static volatile sig_atomic_t got;

static void on_usr1(int sig) { got = 1; }

int main(void)
{
	check("PR_SET_CHILD_SUBREAPER", prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0);
	int ready[2], rep[2], die[2];
	if (pipe(ready) < 0 || pipe(rep) < 0 || pipe(die) < 0) {
		conf_fail("pipe");
		return conf_finish("pdeathsig");
	}
	sigset_t block, old;
	sigemptyset(&block);
	sigaddset(&block, SIGUSR1);
	sigprocmask(SIG_BLOCK, &block, &old);
	pid_t main_pid = getpid();
	fflush(stdout);
	pid_t middle = fork();
	if (middle == 0) {
		close(die[1]);
		pid_t gc = fork();
		if (gc == 0) {
			close(ready[0]);
			close(rep[0]);
			signal(SIGUSR1, on_usr1);
			prctl(PR_SET_PDEATHSIG, SIGUSR1, 0, 0, 0);
			int sig = 0;
			prctl(PR_GET_PDEATHSIG, &sig, 0, 0, 0);
			int parent_is_middle = getppid() != main_pid;
			send_token(ready[1]);
			while (!got)
				sigsuspend(&old);
			char msg[200];
			snprintf(msg, sizeof msg,
				 "grandchild: PR_GET_PDEATHSIG is SIGUSR1: %s\n"
				 "grandchild: first parent was the middle process: %s\n"
				 "grandchild: SIGUSR1 handled after the parent died: yes\n"
				 "grandchild: new parent is the subreaper: %s\n",
				 sig == SIGUSR1 ? "yes" : "no",
				 parent_is_middle ? "yes" : "no",
				 getppid() == main_pid ? "yes" : "no");
			write_str(rep[1], msg);
			_exit(21);
		}
		/* Exit when the main program says so. */
		_exit(wait_token(die[0]) ? 0 : 1);
	}
	close(ready[1]);
	close(rep[1]);
	close(die[0]);
	check("grandchild ready", wait_token(ready[0]));
	send_token(die[1]);
	int st;
	check("middle collected", wait_for(middle, &st, 0) == middle);
	check("middle exited 0", WIFEXITED(st) && WEXITSTATUS(st) == 0);
	char buf[512] = { 0 };
	ssize_t n = read_full(rep[0], buf, sizeof buf - 1);
	printf("%s", n > 0 ? buf : "no report from the grandchild\n");
	check("grandchild report all yes", n > 0 && strstr(buf, ": no") == NULL);
	pid_t r = wait_for(-1, &st, 0);
	check("subreaper collects the grandchild", r > 0 && r != middle);
	describe_status("grandchild", st);
	check("exited 21", WIFEXITED(st) && WEXITSTATUS(st) == 21);
	sigprocmask(SIG_SETMASK, &old, NULL);
	return conf_finish("pdeathsig");
}
