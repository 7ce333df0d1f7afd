/* Orphan: the parent exits first while its child keeps running; the
 * child notices (EOF on a pipe, then getppid changes), prints its lines
 * after the parent is gone and ends the output with the PASS line.  The
 * program's status is the parent's (0); whoever runs it must wait for
 * its stdout to close to see the orphan's lines. */
#include "conf_proc.h"
#include <time.h>

int main(void)
{
	int p[2], ready[2];
	if (pipe(p) < 0 || pipe(ready) < 0) {
		conf_fail("pipe");
		return conf_finish("orphan");
	}
	pid_t parent = getpid();
	printf("parent forks the child\n");
	fflush(stdout);
	pid_t pid = fork();
	if (pid < 0) {
		conf_fail("fork");
		return conf_finish("orphan");
	}
	if (pid == 0) {
		close(p[1]);
		close(ready[0]);
		int parent_first = getppid() == parent;
		send_token(ready[1]);
		close(ready[1]);
		char c;
		ssize_t n = read_full(p[0], &c, 1);
		/* The pipe closes before the child is re-parented: wait for that. */
		int tries = 0;
		struct timespec ms = { 0, 1000000 };
		while (getppid() == parent && tries++ < 10000)
			nanosleep(&ms, NULL);
		printf("orphan: parent was the original one: %s\n", parent_first ? "yes" : "no");
		printf("orphan: EOF on the pipe: %s\n", n == 0 ? "yes" : "no");
		printf("orphan: re-parented: %s\n", getppid() != parent ? "yes" : "no");
		printf("orphan: not a process group leader: %s\n", getpgid(0) != getpid() ? "yes" : "no");
		if (parent_first && n == 0 && getppid() != parent)
			printf("PASS orphan\n");
		else
			printf("FAIL orphan\n");
		fflush(stdout);
		_exit(0);
	}
	close(p[0]);
	close(ready[1]);
	/* Leave only once the child has seen us as its parent. */
	check("child started", wait_token(ready[0]));
	int st;
	check("child still running when the parent leaves", wait_for(pid, &st, WNOHANG) == 0);
	printf("parent exits now, the child prints the rest\n");
	fflush(stdout);
	return conf_failed ? 1 : 0;
}
