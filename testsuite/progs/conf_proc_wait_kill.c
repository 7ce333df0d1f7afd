/* Wait statuses of children killed by the parent: SIGKILL, SIGTERM
 * (default action), SIGTERM caught by a handler that exits 3, and
 * SIGINT ignored by the child (it then exits 0 when told). */
#include "conf_proc.h"

static void on_term(int sig) { _exit(3); }

/* Fork a child that signals readiness and then waits on the pipe `go`. */
static pid_t start(int mode, int *go_w)
{
	int ready[2], go[2];
	if (pipe(ready) < 0 || pipe(go) < 0)
		return -1;
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		close(ready[0]);
		close(go[1]);
		if (mode == 1)
			signal(SIGTERM, on_term);
		if (mode == 2)
			signal(SIGINT, SIG_IGN);
		send_token(ready[1]);
		_exit(wait_token(go[0]) ? 0 : 1);
	}
	close(ready[1]);
	close(go[0]);
	wait_token(ready[0]);
	close(ready[0]);
	*go_w = go[1];
	return pid;
}

int main(void)
{
	int go, st;
	pid_t pid = start(0, &go);
	kill(pid, SIGKILL);
	check("SIGKILL: collected", wait_for(pid, &st, 0) == pid);
	describe_status("child 1", st);
	check("killed by SIGKILL", WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
	check("no core dump", !WCOREDUMP(st));
	close(go);

	pid = start(0, &go);
	kill(pid, SIGTERM);
	check("SIGTERM: collected", wait_for(pid, &st, 0) == pid);
	describe_status("child 2", st);
	check("killed by SIGTERM", WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM);
	close(go);

	pid = start(1, &go);
	kill(pid, SIGTERM);
	check("caught SIGTERM: collected", wait_for(pid, &st, 0) == pid);
	describe_status("child 3", st);
	check("handler exited 3", WIFEXITED(st) && WEXITSTATUS(st) == 3);
	close(go);

	pid = start(2, &go);
	kill(pid, SIGINT);
	check("ignored SIGINT: still running", wait_for(pid, &st, WNOHANG) == 0);
	send_token(go);
	close(go);
	check("ignored SIGINT: collected", wait_for(pid, &st, 0) == pid);
	describe_status("child 4", st);
	check("exited 0", WIFEXITED(st) && WEXITSTATUS(st) == 0);
	return conf_finish("wait_kill");
}
