/* 300 child processes alive at once, each waiting on a pipe until the
 * parent has made them all, then exiting with its index modulo 7.
 * Self-checking: the statuses add up; ends with PASS. */
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#define N 300

int main(void)
{
	int p[2];
	pid_t kids[N];
	int expected = 0, sum = 0, made = 0;

	if (pipe(p) < 0)
		return 1;
	for (int i = 0; i < N; i++) {
		kids[i] = fork();
		if (kids[i] == 0) {
			char c;
			if (read(p[0], &c, 1) != 1)
				_exit(100);
			_exit(i % 7);
		}
		made += kids[i] > 0;
		expected += i % 7;
	}
	close(p[0]);
	for (int i = 0; i < N; i++)
		if (write(p[1], "x", 1) != 1)
			return 1;
	for (int i = 0; i < N; i++) {
		int st = 0;
		if (kids[i] > 0 && waitpid(kids[i], &st, 0) == kids[i] &&
		    WIFEXITED(st))
			sum += WEXITSTATUS(st);
	}
	printf("%d children made, all alive at once: %s\n", N,
	       made == N ? "yes" : "no");
	printf("their statuses add up: %s\n", sum == expected ? "yes" : "no");
	if (made != N || sum != expected)
		return 1;
	printf("PASS many_alive\n");
	return 0;
}
