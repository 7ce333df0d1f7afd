/* Double-fork daemon: the child starts a new session, forks the
 * grandchild and exits; the grandchild, re-parented, waits until the
 * parent has collected the child, checks that its parent changed and
 * writes into a pipe that the original parent reads to EOF. */
#include "conf_proc.h"

int main(void)
{
	int data[2], go[2], ready[2];
	if (pipe(data) < 0 || pipe(go) < 0 || pipe(ready) < 0) {
		conf_fail("pipe");
		return conf_finish("daemon");
	}
	fflush(stdout);
	pid_t child = fork();
	if (child < 0) {
		conf_fail("fork");
		return conf_finish("daemon");
	}
	if (child == 0) {
		close(data[0]);
		close(go[1]);
		if (setsid() < 0)
			_exit(10);
		pid_t gc = fork();
		if (gc < 0)
			_exit(11);
		if (gc == 0) {
			close(ready[0]);
			pid_t first_parent = getppid();
			send_token(ready[1]);
			close(ready[1]);
			/* The parent sends the token once the child is collected. */
			if (!wait_token(go[0]))
				_exit(12);
			char msg[300];
			snprintf(msg, sizeof msg,
				 "daemon: re-parented: %s\n"
				 "daemon: session is the dead child's: %s\n"
				 "daemon: not a process group leader: %s\n"
				 "daemon: not a session leader: %s\n",
				 getppid() != first_parent ? "yes" : "no",
				 getsid(0) == first_parent ? "yes" : "no",
				 getpgid(0) != getpid() ? "yes" : "no",
				 getsid(0) != getpid() ? "yes" : "no");
			write_str(data[1], msg);
			_exit(0);
		}
		/* Exit once the grandchild has seen us as its parent. */
		close(ready[1]);
		_exit(wait_token(ready[0]) ? 0 : 13);
	}
	close(ready[0]);
	close(ready[1]);
	close(data[1]);
	close(go[0]);
	int st;
	check("child collected", wait_for(child, &st, 0) == child);
	check("child exited 0", WIFEXITED(st) && WEXITSTATUS(st) == 0);
	send_token(go[1]);
	close(go[1]);
	char buf[512] = { 0 };
	ssize_t n = read_full(data[0], buf, sizeof buf - 1);
	printf("%s", n > 0 ? buf : "nothing from the daemon\n");
	check("daemon wrote its report", n > 0);
	check("daemon re-parented", strstr(buf, "re-parented: yes") != NULL);
	check("daemon in the child's session", strstr(buf, "dead child's: yes") != NULL);
	check("no child of ours left", wait_for(-1, &st, WNOHANG) < 0 && errno == ECHILD);
	return conf_finish("daemon");
}
