/* WIFSTOPPED / WIFCONTINUED: the parent stops a child with SIGSTOP and
 * SIGTSTP (waitpid WUNTRACED), continues it with SIGCONT (waitpid
 * WCONTINUED, and waitid WCONTINUED), then tells it to exit. */
#include "conf_proc.h"

int main(void)
{
	int ready[2], go[2];
	if (pipe(ready) < 0 || pipe(go) < 0) {
		conf_fail("pipe");
		return conf_finish("wait_stop");
	}
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		close(ready[0]);
		close(go[1]);
		send_token(ready[1]);
		int n = 0;
		while (wait_token(go[0])) {
			n++;
			send_token(ready[1]);
		}
		_exit(n);
	}
	close(ready[1]);
	close(go[0]);
	wait_token(ready[0]);
	int st;
	kill(pid, SIGSTOP);
	check("SIGSTOP: waitpid WUNTRACED returns the child", wait_for(pid, &st, WUNTRACED) == pid);
	describe_status("child", st);
	check("stopped by SIGSTOP", WIFSTOPPED(st) && WSTOPSIG(st) == SIGSTOP);
	check("nothing more to report (WNOHANG)", wait_for(pid, &st, WNOHANG | WUNTRACED | WCONTINUED) == 0);
	kill(pid, SIGCONT);
	check("SIGCONT: waitpid WCONTINUED returns the child", wait_for(pid, &st, WCONTINUED) == pid);
	describe_status("child", st);
	check("continued", WIFCONTINUED(st));
	send_token(go[1]);
	check("child answers after SIGCONT", wait_token(ready[0]));

	kill(pid, SIGTSTP);
	check("SIGTSTP: waitpid WUNTRACED returns the child", wait_for(pid, &st, WUNTRACED) == pid);
	describe_status("child", st);
	check("stopped by SIGTSTP", WIFSTOPPED(st) && WSTOPSIG(st) == SIGTSTP);
	kill(pid, SIGCONT);
	siginfo_t si;
	memset(&si, 0, sizeof si);
	int r;
	do
		r = waitid(P_PID, (id_t)pid, &si, WCONTINUED);
	while (r < 0 && errno == EINTR);
	check("waitid WCONTINUED", r == 0 && si.si_pid == pid && si.si_code == CLD_CONTINUED);
	send_token(go[1]);
	check("child answers again", wait_token(ready[0]));
	close(go[1]);
	check("collected", wait_for(pid, &st, 0) == pid);
	describe_status("child", st);
	check("exited with the number of tokens (2)", WIFEXITED(st) && WEXITSTATUS(st) == 2);
	return conf_finish("wait_stop");
}
