/* A pipeline built by hand: a writer child | sort | uniq -c, with
 * pipe + fork + dup2 + exec; the parent reads the last pipe and checks
 * the result, then runs `sort -r` with its output on our stdout. */
#include "conf_proc.h"

static pid_t spawn(int in, int out, int closefds[], int nclose, char *const argv[])
{
	fflush(stdout);
	pid_t pid = fork();
	if (pid != 0)
		return pid;
	if (in >= 0 && dup2(in, 0) < 0)
		_exit(126);
	if (out >= 0 && dup2(out, 1) < 0)
		_exit(126);
	for (int i = 0; i < nclose; i++)
		close(closefds[i]);
	execvp(argv[0], argv);
	_exit(127);
}

int main(void)
{
	int a[2], b[2], c[2];
	if (pipe(a) < 0 || pipe(b) < 0 || pipe(c) < 0) {
		conf_fail("pipe");
		return conf_finish("pipeline");
	}
	int all[6] = { a[0], a[1], b[0], b[1], c[0], c[1] };
	fflush(stdout);
	pid_t writer = fork();
	if (writer == 0) {
		for (int i = 0; i < 6; i++)
			if (all[i] != a[1])
				close(all[i]);
		static const char *words[] = { "pear", "apple", "fig", "apple", "pear", "apple", "kiwi" };
		for (int i = 0; i < 7; i++) {
			write_str(a[1], words[i]);
			write_str(a[1], "\n");
		}
		_exit(0);
	}
	char *sort[] = { "sort", NULL };
	char *uniq[] = { "uniq", "-c", NULL };
	pid_t s = spawn(a[0], b[1], all, 6, sort);
	pid_t u = spawn(b[0], c[1], all, 6, uniq);
	for (int i = 0; i < 6; i++)
		if (all[i] != c[0])
			close(all[i]);
	char buf[512] = { 0 };
	ssize_t n = read_full(c[0], buf, sizeof buf - 1);
	close(c[0]);
	/* Normalise uniq's padding. */
	char norm[512] = { 0 };
	size_t k = 0;
	for (ssize_t i = 0; i < n && k < sizeof norm - 1; i++) {
		if (buf[i] == ' ' && (k == 0 || norm[k - 1] == '\n' || norm[k - 1] == ' '))
			continue;
		norm[k++] = buf[i];
	}
	printf("pipeline output:\n%s", norm);
	check("counts are right", strcmp(norm, "3 apple\n1 fig\n1 kiwi\n2 pear\n") == 0);
	pid_t pids[3] = { writer, s, u };
	const char *names[3] = { "writer", "sort", "uniq" };
	for (int i = 0; i < 3; i++) {
		int st;
		pid_t r = wait_for(pids[i], &st, 0);
		printf("%s: collected %s, ", names[i], r == pids[i] ? "yes" : "no");
		describe_status("status", st);
		check("exited 0", r == pids[i] && WIFEXITED(st) && WEXITSTATUS(st) == 0);
	}
	/* sort -r with its stdout ours: its output comes before our next line. */
	int d[2];
	if (pipe(d) < 0) {
		conf_fail("pipe");
		return conf_finish("pipeline");
	}
	char *rsort[] = { "sort", "-r", NULL };
	int dfds[2] = { d[0], d[1] };
	printf("sort -r on our stdout:\n");
	pid_t r = spawn(d[0], -1, dfds, 2, rsort);
	close(d[0]);
	write_str(d[1], "b\nc\na\n");
	close(d[1]);
	int st;
	check("sort -r collected", wait_for(r, &st, 0) == r && WIFEXITED(st) && WEXITSTATUS(st) == 0);
	return conf_finish("pipeline");
}
