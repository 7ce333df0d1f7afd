/* Process groups and sessions: setpgid for a child and its two
 * grandchildren, getpgid / getpgrp / getsid relations, kill(-pgid)
 * reaching the whole group and nobody else, setsid in another child. */
#include "conf_proc.h"

int main(void)
{
	check("getpgrp equals getpgid(0)", getpgrp() == getpgid(0));
	check("getsid(0) equals getsid(getpid())", getsid(0) == getsid(getpid()));
	int ready[2], res[2];
	if (pipe(ready) < 0 || pipe(res) < 0) {
		conf_fail("pipe");
		return conf_finish("pgrp");
	}
	fflush(stdout);
	pid_t leader = fork();
	if (leader == 0) {
		close(ready[0]);
		close(res[0]);
		setpgid(0, 0);
		/* The leader survives the group's SIGTERM to report on the others. */
		signal(SIGTERM, SIG_IGN);
		pid_t gc[2];
		for (int i = 0; i < 2; i++) {
			gc[i] = fork();
			if (gc[i] == 0) {
				signal(SIGTERM, SIG_DFL);
				send_token(ready[1]);
				for (;;)
					pause();
			}
		}
		char r[3] = { '0', '0', '\n' };
		for (int i = 0; i < 2; i++) {
			int st;
			if (wait_for(gc[i], &st, 0) == gc[i] && WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM)
				r[i] = '1';
		}
		write_full(res[1], r, 3);
		_exit(0);
	}
	close(res[1]);
	/* Both sides call setpgid so that neither order races. */
	setpgid(leader, leader);
	/* A bystander in our own group, which kill(-pgid) must not reach. */
	int by_go[2];
	if (pipe(by_go) < 0) {
		conf_fail("pipe");
		return conf_finish("pgrp");
	}
	fflush(stdout);
	pid_t bystander = fork();
	if (bystander == 0) {
		close(by_go[1]);
		_exit(wait_token(by_go[0]) ? 5 : 6);
	}
	close(by_go[0]);
	close(ready[1]);
	int tokens = 0;
	for (int i = 0; i < 2; i++)
		tokens += wait_token(ready[0]);
	check("both grandchildren ready", tokens == 2);
	check("the child leads its process group", getpgid(leader) == leader);
	check("the child's group is not ours", getpgid(leader) != getpgrp());
	check("the child stays in our session", getsid(leader) == getsid(0));
	check("the bystander is in our group", getpgid(bystander) == getpgrp());
	check("kill(-pgid, 0) finds the group", kill(-leader, 0) == 0);
	check("kill(-pgid, SIGTERM) succeeds", kill(-leader, SIGTERM) == 0);
	int st;
	check("leader collected", wait_for(leader, &st, 0) == leader);
	describe_status("leader (ignoring SIGTERM)", st);
	check("leader exited 0", WIFEXITED(st) && WEXITSTATUS(st) == 0);
	char r[4] = { 0 };
	ssize_t n = read_full(res[0], r, 3);
	printf("grandchildren killed by SIGTERM: %s", n == 3 ? r : "?\n");
	check("both grandchildren killed by SIGTERM", n == 3 && r[0] == '1' && r[1] == '1');
	send_token(by_go[1]);
	check("bystander collected", wait_for(bystander, &st, 0) == bystander);
	check("bystander untouched, exited 5", WIFEXITED(st) && WEXITSTATUS(st) == 5);
	check("kill(-pgid) on a vanished group fails with ESRCH", kill(-leader, 0) < 0 && errno == ESRCH);

	/* setsid in a child: new session and group, both its own pid. */
	int p[2];
	if (pipe(p) < 0) {
		conf_fail("pipe");
		return conf_finish("pgrp");
	}
	fflush(stdout);
	pid_t s = fork();
	if (s == 0) {
		close(p[0]);
		pid_t old_sid = getsid(0);
		pid_t sid = setsid();
		char msg[200];
		snprintf(msg, sizeof msg,
			 "setsid returns the pid: %s\n"
			 "new session differs from the old: %s\n"
			 "getsid(0) is the pid: %s\n"
			 "getpgrp is the pid: %s\n"
			 "second setsid fails with EPERM: %s\n",
			 sid == getpid() ? "yes" : "no",
			 sid != old_sid ? "yes" : "no",
			 getsid(0) == getpid() ? "yes" : "no",
			 getpgrp() == getpid() ? "yes" : "no",
			 setsid() < 0 && errno == EPERM ? "yes" : "no");
		write_str(p[1], msg);
		_exit(0);
	}
	close(p[1]);
	char buf[256] = { 0 };
	read_full(p[0], buf, sizeof buf - 1);
	printf("%s", buf);
	check("setsid child reported all yes", strstr(buf, "no\n") == NULL && buf[0]);
	check("setsid child collected", wait_for(s, &st, 0) == s && WIFEXITED(st) && WEXITSTATUS(st) == 0);
	check("setsid fails for a group leader, or we are not one",
	      getpgrp() == getpid() ? (setsid() < 0 && errno == EPERM) : 1);
	return conf_finish("pgrp");
}
