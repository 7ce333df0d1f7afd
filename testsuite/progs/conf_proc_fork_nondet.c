/* Children read nondeterministic values (getrandom, clock_gettime,
 * getpid, getppid) and send them through a pipe; the parent checks them
 * for consistency and prints verdicts only. */
#include "conf_proc.h"
#include <sys/random.h>
#include <time.h>

struct report {
	unsigned char rnd[16];
	struct timespec mono, real;
	pid_t pid, ppid;
};

static int ts_le(struct timespec a, struct timespec b)
{
	return a.tv_sec < b.tv_sec || (a.tv_sec == b.tv_sec && a.tv_nsec <= b.tv_nsec);
}

int main(void)
{
	struct report rep[2];
	pid_t pids[2];
	struct timespec before, after;
	clock_gettime(CLOCK_MONOTONIC, &before);
	for (int i = 0; i < 2; i++) {
		int p[2];
		if (pipe(p) < 0) {
			conf_fail("pipe");
			return conf_finish("fork_nondet");
		}
		fflush(stdout);
		pids[i] = fork();
		if (pids[i] == 0) {
			struct report r;
			memset(&r, 0, sizeof r);
			close(p[0]);
			if (getrandom(r.rnd, sizeof r.rnd, 0) != (ssize_t)sizeof r.rnd)
				_exit(2);
			clock_gettime(CLOCK_MONOTONIC, &r.mono);
			clock_gettime(CLOCK_REALTIME, &r.real);
			r.pid = getpid();
			r.ppid = getppid();
			if (write_full(p[1], &r, sizeof r) < 0)
				_exit(3);
			_exit(0);
		}
		close(p[1]);
		ssize_t n = read_full(p[0], &rep[i], sizeof rep[i]);
		close(p[0]);
		int st;
		wait_for(pids[i], &st, 0);
		printf("child %d:\n", i);
		check("  report complete", n == (ssize_t)sizeof rep[i]);
		check("  exited 0", WIFEXITED(st) && WEXITSTATUS(st) == 0);
		check("  getpid matches the fork result", rep[i].pid == pids[i]);
		check("  getppid matches the parent's getpid", rep[i].ppid == getpid());
		int nonzero = 0;
		for (size_t k = 0; k < sizeof rep[i].rnd; k++)
			nonzero |= rep[i].rnd[k];
		check("  random bytes not all zero", nonzero != 0);
		check("  monotonic time after the parent's start", ts_le(before, rep[i].mono));
		check("  realtime after 2020", rep[i].real.tv_sec > 1577836800);
	}
	clock_gettime(CLOCK_MONOTONIC, &after);
	check("monotonic times in fork order", ts_le(rep[0].mono, rep[1].mono));
	check("monotonic times before the parent's end", ts_le(rep[1].mono, after));
	check("the two children's random bytes differ", memcmp(rep[0].rnd, rep[1].rnd, 16) != 0);
	check("the two children have different pids", rep[0].pid != rep[1].pid);
	/* The parent's own random bytes, used in a deterministic way only. */
	unsigned char mine[8];
	check("parent getrandom works", getrandom(mine, sizeof mine, 0) == (ssize_t)sizeof mine);
	return conf_finish("fork_nondet");
}
