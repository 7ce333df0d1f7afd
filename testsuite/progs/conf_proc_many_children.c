/* Many short children: 50 concurrent children each write their index into
 * one pipe (one byte, atomic) and exit with it; the parent collects them
 * in any order and checks each index once.  Then 10 children, one at a
 * time, each print a line. */
#include "conf_proc.h"

#define N 50

int main(void)
{
	int p[2];
	if (pipe(p) < 0) {
		conf_fail("pipe");
		return conf_finish("many_children");
	}
	pid_t pids[N];
	fflush(stdout);
	for (int i = 0; i < N; i++) {
		pids[i] = fork();
		if (pids[i] < 0) {
			conf_fail("fork");
			return conf_finish("many_children");
		}
		if (pids[i] == 0) {
			unsigned char b = (unsigned char)i;
			write_full(p[1], &b, 1);
			_exit(i + 1);
		}
	}
	close(p[1]);
	int seen[N] = { 0 }, statuses[N] = { 0 }, collected = 0, bytes = 0;
	unsigned char buf[N + 1];
	ssize_t n;
	while ((n = read(p[0], buf, sizeof buf)) > 0)
		for (ssize_t k = 0; k < n; k++, bytes++)
			if (buf[k] < N)
				seen[buf[k]]++;
	for (;;) {
		int st;
		pid_t r = wait_for(-1, &st, 0);
		if (r < 0)
			break;
		collected++;
		for (int i = 0; i < N; i++)
			if (pids[i] == r && WIFEXITED(st))
				statuses[i] = WEXITSTATUS(st);
	}
	int once = 1, right = 1;
	for (int i = 0; i < N; i++) {
		once &= seen[i] == 1;
		right &= statuses[i] == i + 1;
	}
	printf("children collected: %d, bytes read: %d\n", collected, bytes);
	check("50 children collected", collected == N);
	check("each index written once", once && bytes == N);
	check("each child's status is its index plus one", right);
	for (int i = 0; i < 10; i++) {
		fflush(stdout);
		pid_t pid = fork();
		if (pid == 0) {
			printf("sequential child %d\n", i);
			exit(0);
		}
		int st;
		if (wait_for(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
			conf_failed++;
	}
	return conf_finish("many_children");
}
