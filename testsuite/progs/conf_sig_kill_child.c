/* Signals between processes: the parent sends SIGUSR1 to its child three
 * times; the child's handler counts, the child replies through a pipe each
 * time (sigsuspend with SIGUSR1 blocked otherwise: no race).  Then the
 * child sends SIGUSR2 to its parent, whose SA_SIGINFO handler checks
 * si_pid and si_code; a queued sigqueue value goes the same way. */
#include "conf_proc.h"

static volatile sig_atomic_t usr1, usr2, usr2_from_child, rt_value;
static volatile pid_t expected_sender;

static void on_usr1(int sig) { usr1++; }

static void on_usr2(int sig, siginfo_t *si, void *uc)
{
	usr2++;
	usr2_from_child = si->si_pid == expected_sender && si->si_code == SI_USER;
}

static void on_rt(int sig, siginfo_t *si, void *uc)
{
	if (si->si_code == SI_QUEUE)
		rt_value = si->si_value.sival_int;
}

int main(void)
{
	sigset_t block, old;
	sigemptyset(&block);
	sigaddset(&block, SIGUSR1);
	sigaddset(&block, SIGUSR2);
	sigaddset(&block, SIGRTMIN);
	sigprocmask(SIG_BLOCK, &block, &old);
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_usr1;
	sigaction(SIGUSR1, &sa, NULL);
	sa.sa_flags = SA_SIGINFO;
	sa.sa_sigaction = on_usr2;
	sigaction(SIGUSR2, &sa, NULL);
	sa.sa_sigaction = on_rt;
	sigaction(SIGRTMIN, &sa, NULL);

	int reply[2], go[2];
	if (pipe(reply) < 0 || pipe(go) < 0) {
		conf_fail("pipe");
		return conf_finish("kill_child");
	}
	expected_sender = 0;
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		close(reply[0]);
		close(go[1]);
		while (usr1 < 3) {
			int before = usr1;
			while (usr1 == before)
				sigsuspend(&old);
			char msg[64];
			snprintf(msg, sizeof msg, "child: SIGUSR1 number %d\n", (int)usr1);
			write_str(reply[1], msg);
		}
		/* Wait for the go, then signal the parent twice. */
		if (!wait_token(go[0]))
			_exit(2);
		kill(getppid(), SIGUSR2);
		union sigval v = { .sival_int = 4242 };
		sigqueue(getppid(), SIGRTMIN, v);
		_exit(0);
	}
	close(reply[1]);
	close(go[0]);
	expected_sender = pid;
	for (int i = 0; i < 3; i++) {
		kill(pid, SIGUSR1);
		char buf[64] = { 0 };
		ssize_t n = 0;
		while (n < 1 || buf[n - 1] != '\n') {
			ssize_t r = read(reply[0], buf + n, sizeof buf - 1 - (size_t)n);
			if (r <= 0)
				break;
			n += r;
		}
		printf("%s", n > 0 ? buf : "no reply\n");
	}
	send_token(go[1]);
	int st;
	check("child collected", wait_for(pid, &st, 0) == pid);
	check("child exited 0", WIFEXITED(st) && WEXITSTATUS(st) == 0);
	/* Both signals are pending (blocked): take them now. */
	sigprocmask(SIG_SETMASK, &old, NULL);
	check("SIGUSR2 received once", usr2 == 1);
	check("SIGUSR2 came from the child (si_pid, SI_USER)", usr2_from_child);
	check("sigqueue value 4242 received", rt_value == 4242);
	return conf_finish("kill_child");
}
