/* pidfd_open + poll + waitid(P_PIDFD): the descriptor is not readable
 * while the child runs, becomes readable when it exits; pidfd_send_signal
 * kills a second child. */
#include "conf_proc.h"
#include <poll.h>
#include <sys/syscall.h>

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

static pid_t start(int *go_w)
{
	int go[2];
	if (pipe(go) < 0)
		return -1;
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		close(go[1]);
		_exit(wait_token(go[0]) ? 21 : 22);
	}
	close(go[0]);
	*go_w = go[1];
	return pid;
}

int main(void)
{
	int go;
	pid_t pid = start(&go);
	int fd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (fd < 0 && errno == ENOSYS) {
		close(go);
		wait_for(pid, NULL, 0);
		printf("pidfd_open not available here: nothing to check\n");
		return conf_finish("pidfd");
	}
	check("pidfd_open succeeded", fd >= 0);
	struct pollfd p = { fd, POLLIN, 0 };
	check("not readable while the child runs", poll(&p, 1, 0) == 0);
	send_token(go);
	close(go);
	p.revents = 0;
	check("readable once the child exited", poll(&p, 1, 10000) == 1 && (p.revents & POLLIN));
	siginfo_t si;
	memset(&si, 0, sizeof si);
	check("waitid(P_PIDFD) succeeds", waitid((idtype_t)P_PIDFD, (id_t)fd, &si, WEXITED) == 0);
	check("siginfo: the child, CLD_EXITED, status 21",
	      si.si_pid == pid && si.si_code == CLD_EXITED && si.si_status == 21);
	close(fd);

	pid = start(&go);
	fd = (int)syscall(SYS_pidfd_open, pid, 0);
	check("second pidfd_open", fd >= 0);
	check("pidfd_send_signal SIGTERM", syscall(SYS_pidfd_send_signal, fd, SIGTERM, NULL, 0) == 0);
	p.fd = fd;
	p.revents = 0;
	check("readable after the signal", poll(&p, 1, 10000) == 1);
	int st;
	check("waitpid still works on it", wait_for(pid, &st, 0) == pid);
	describe_status("second child", st);
	check("killed by SIGTERM", WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM);
	check("waitid(P_PIDFD) of a reaped child: ECHILD",
	      waitid((idtype_t)P_PIDFD, (id_t)fd, &si, WEXITED | WNOHANG) < 0 && errno == ECHILD);
	close(fd);
	close(go);
	return conf_finish("pidfd");
}
