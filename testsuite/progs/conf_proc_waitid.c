/* waitid: P_ALL with WNOHANG while every child still runs (si_pid 0),
 * WNOWAIT (the child stays waitable), P_PID, P_PGID, P_ALL, and the
 * siginfo fields (si_pid, si_code, si_status, si_signo). */
#include "conf_proc.h"

static int do_waitid(idtype_t t, id_t id, siginfo_t *si, int flags)
{
	int r;
	memset(si, 0, sizeof *si);
	do
		r = waitid(t, id, si, flags);
	while (r < 0 && errno == EINTR);
	return r;
}

int main(void)
{
	int go[3][2];
	pid_t pids[3];
	for (int i = 0; i < 3; i++) {
		if (pipe(go[i]) < 0) {
			conf_fail("pipe");
			return conf_finish("waitid");
		}
		fflush(stdout);
		pids[i] = fork();
		if (pids[i] == 0) {
			close(go[i][1]);
			if (i == 2)
				setpgid(0, 0);
			_exit(wait_token(go[i][0]) ? 10 + i : 99);
		}
		close(go[i][0]);
	}
	setpgid(pids[2], pids[2]);
	siginfo_t si;
	int r = do_waitid(P_ALL, 0, &si, WEXITED | WNOHANG);
	check("P_ALL|WNOHANG with all running: returns 0", r == 0);
	check("P_ALL|WNOHANG with all running: si_pid 0", si.si_pid == 0);

	send_token(go[1][1]);
	r = do_waitid(P_PID, (id_t)pids[1], &si, WEXITED | WNOWAIT);
	check("P_PID|WNOWAIT: child 1", r == 0 && si.si_pid == pids[1]);
	check("siginfo: SIGCHLD, CLD_EXITED, status 11",
	      si.si_signo == SIGCHLD && si.si_code == CLD_EXITED && si.si_status == 11);
	r = do_waitid(P_PID, (id_t)pids[1], &si, WEXITED);
	check("P_PID again after WNOWAIT: same child, status 11", r == 0 && si.si_pid == pids[1] && si.si_status == 11);
	r = do_waitid(P_PID, (id_t)pids[1], &si, WEXITED | WNOHANG);
	check("P_PID of a reaped child: ECHILD", r < 0 && errno == ECHILD);

	send_token(go[2][1]);
	r = do_waitid(P_PGID, (id_t)pids[2], &si, WEXITED);
	check("P_PGID: child 2 in its own group", r == 0 && si.si_pid == pids[2] && si.si_status == 12);

	kill(pids[0], SIGKILL);
	r = do_waitid(P_ALL, 0, &si, WEXITED);
	check("P_ALL: child 0", r == 0 && si.si_pid == pids[0]);
	check("siginfo: CLD_KILLED by SIGKILL", si.si_code == CLD_KILLED && si.si_status == SIGKILL);
	r = do_waitid(P_ALL, 0, &si, WEXITED | WNOHANG);
	check("P_ALL with no children: ECHILD", r < 0 && errno == ECHILD);
	for (int i = 0; i < 3; i++)
		close(go[i][1]);
	return conf_finish("waitid");
}
