/* Exit statuses through several generations: for codes across 0..255 a
 * chain main -> g1 -> g2 -> g3: g3 exits with the code, g2 and g1 each
 * exit with their child's status plus one (mod 256).  Also exit(256) and
 * exit(-1), and every status 0..255 from direct children, 8 at a time. */
#include "conf_proc.h"

static _Noreturn void chain(int depth, int code)
{
	/* Each generation forks the next and exits with its status plus one. */
	for (; depth > 0; depth--) {
		pid_t pid = fork();
		if (pid < 0)
			_exit(250);
		if (pid != 0) {
			int st;
			if (wait_for(pid, &st, 0) != pid || !WIFEXITED(st))
				_exit(251);
			_exit((WEXITSTATUS(st) + 1) & 255);
		}
	}
	_exit(code);
}

static int run_child(int code)
{
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0)
		exit(code);
	int st;
	if (wait_for(pid, &st, 0) != pid || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

int main(void)
{
	static const int codes[] = { 0, 1, 2, 42, 126, 127, 128, 129, 200, 253, 254, 255 };
	for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
		fflush(stdout);
		pid_t pid = fork();
		if (pid == 0)
			chain(2, codes[i]);
		int st;
		pid_t r = wait_for(pid, &st, 0);
		int want = (codes[i] + 2) & 255;
		printf("code %3d through 3 generations: %3d (expected %3d)\n", codes[i],
		       r == pid && WIFEXITED(st) ? WEXITSTATUS(st) : -1, want);
		if (!(r == pid && WIFEXITED(st) && WEXITSTATUS(st) == want))
			conf_failed++;
	}
	check("exit(256) gives 0", run_child(256) == 0);
	check("exit(-1) gives 255", run_child(-1) == 255);
	int bad = 0;
	for (int base = 0; base < 256; base += 8) {
		pid_t pids[8];
		fflush(stdout);
		for (int k = 0; k < 8; k++) {
			pids[k] = fork();
			if (pids[k] == 0)
				_exit(base + k);
		}
		for (int k = 7; k >= 0; k--) {
			int st;
			if (wait_for(pids[k], &st, 0) != pids[k] || !WIFEXITED(st) || WEXITSTATUS(st) != base + k)
				bad++;
		}
	}
	printf("statuses 0..255 from direct children, mismatches: %d\n", bad);
	check("every status 0..255 seen", bad == 0);
	return conf_finish("exit_chain");
}
