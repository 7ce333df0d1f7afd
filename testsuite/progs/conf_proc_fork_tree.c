/* A fork tree of three levels: the main process forks two children, each
 * forks two grandchildren.  Every grandchild exits with its own code, each
 * child collects them with waitpid and exits with their sum, and the main
 * process checks WEXITSTATUS at every level.  Each process prints a line;
 * the order is fixed by waiting for one process before forking the next. */
#include "conf_proc.h"

static int grandchild_code(int c, int g) { return 10 * (c + 1) + g + 1; }

static void child(int c)
{
	int sum = 0;
	printf("child %d starts\n", c);
	for (int g = 0; g < 2; g++) {
		fflush(stdout);
		pid_t pid = fork();
		if (pid < 0)
			_exit(100);
		if (pid == 0) {
			printf("grandchild %d.%d exits with %d\n", c, g, grandchild_code(c, g));
			fflush(stdout);
			_exit(grandchild_code(c, g));
		}
		int st;
		if (wait_for(pid, &st, 0) != pid || !WIFEXITED(st)) {
			printf("child %d: grandchild %d not collected\n", c, g);
			fflush(stdout);
			_exit(101);
		}
		printf("child %d: grandchild %d status %d\n", c, g, WEXITSTATUS(st));
		sum += WEXITSTATUS(st);
	}
	printf("child %d exits with %d\n", c, sum);
	fflush(stdout);
	exit(sum);
}

int main(void)
{
	printf("fork tree: 3 levels\n");
	for (int c = 0; c < 2; c++) {
		fflush(stdout);
		pid_t pid = fork();
		if (pid < 0) {
			conf_fail("fork");
			break;
		}
		if (pid == 0)
			child(c);
		int st;
		pid_t r = wait_for(pid, &st, 0);
		check("waitpid returns the fork result", r == pid);
		int want = grandchild_code(c, 0) + grandchild_code(c, 1);
		printf("child %d status: exited %s, code %d\n", c,
		       WIFEXITED(st) ? "yes" : "no", WEXITSTATUS(st));
		check("child status is the sum of its grandchildren's", WIFEXITED(st) && WEXITSTATUS(st) == want);
	}
	/* Both children at once, no output from them: collected in reverse order. */
	pid_t pids[2];
	for (int c = 0; c < 2; c++) {
		fflush(stdout);
		pids[c] = fork();
		if (pids[c] == 0) {
			pid_t g = fork();
			if (g == 0)
				_exit(3 + c);
			int st;
			wait_for(g, &st, 0);
			_exit(WIFEXITED(st) ? WEXITSTATUS(st) * 2 : 99);
		}
	}
	for (int c = 1; c >= 0; c--) {
		int st;
		pid_t r = wait_for(pids[c], &st, 0);
		check("concurrent child collected by pid", r == pids[c]);
		check("concurrent child status doubled its grandchild's", WIFEXITED(st) && WEXITSTATUS(st) == 2 * (3 + c));
	}
	int st;
	check("no child left (ECHILD)", wait_for(-1, &st, 0) < 0 && errno == ECHILD);
	return conf_finish("fork_tree");
}
