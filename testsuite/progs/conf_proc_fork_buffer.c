/* stdio buffers across fork: text left in the stdout buffer (not
 * flushed) is duplicated in the child and printed by both; a write(2)
 * before the fork is not.  The child then writes through its own buffer
 * and the parent prints after collecting it. */
#include "conf_proc.h"

int main(void)
{
	/* Make the buffering the same whatever stdout is. */
	static char buf[4096];
	setvbuf(stdout, buf, _IOFBF, sizeof buf);
	write_str(1, "written with write(2) before the fork\n");
	printf("buffered before the fork (printed twice)\n");
	pid_t pid = fork();
	if (pid == 0) {
		printf("child: buffered after the fork\n");
		exit(0); /* flushes the inherited line and ours */
	}
	int st;
	int got = wait_for(pid, &st, 0) == pid;
	printf("parent: after the child\n");
	check("child collected", got);
	check("child exited 0", WIFEXITED(st) && WEXITSTATUS(st) == 0);
	return conf_finish("fork_buffer");
}
