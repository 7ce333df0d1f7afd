/* The root process is killed by its own child: the child waits for the
 * parent's go, then sends it SIGKILL and exits 0 after seeing it gone
 * (getppid changes).  The program's status is 137. */
#include "conf_proc.h"
#include <time.h>

int main(void)
{
	int go[2];
	if (pipe(go) < 0) {
		printf("FAIL killed_by_child (pipe)\n");
		return 1;
	}
	pid_t parent = getpid();
	printf("parent: forking the child that will kill me\n");
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		close(go[1]);
		if (!wait_token(go[0]))
			_exit(1);
		kill(parent, SIGKILL);
		struct timespec ms = { 0, 1000000 };
		for (int i = 0; i < 10000 && getppid() == parent; i++)
			nanosleep(&ms, NULL);
		_exit(0);
	}
	close(go[0]);
	printf("DIE killed_by_child by signal %d\n", SIGKILL);
	fflush(stdout);
	send_token(go[1]);
	for (;;)
		pause();
}
