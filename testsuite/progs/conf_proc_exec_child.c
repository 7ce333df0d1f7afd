/* exec from a child: the child re-executes this program in a child mode
 * (it prints, checks that its argument is its parent's pid and exits 9), then a child execs
 * sh -c with output and an exit code, then a child's exec fails. */
#include "conf_proc.h"

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "child-mode") == 0) {
		printf("child after exec: running in child mode\n");
		printf("child after exec: parent is the forker: %s\n",
		       atoi(argv[2]) == getppid() ? "yes" : "no");
		return atoi(argv[2]) == getppid() ? 9 : 8;
	}
	int st;
	fflush(stdout);
	char spid[32];
	snprintf(spid, sizeof spid, "%d", (int)getpid());
	pid_t pid = fork();
	if (pid == 0) {
		char *args[] = { argv[0], "child-mode", spid, NULL };
		execv("/proc/self/exe", args);
		_exit(127);
	}
	check("exec'd child collected", wait_for(pid, &st, 0) == pid);
	describe_status("exec'd child", st);
	check("exited 9", WIFEXITED(st) && WEXITSTATUS(st) == 9);

	printf("parent: before sh\n");
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		execl("/bin/sh", "sh", "-c", "echo child via sh; echo to stderr >&2; exit 6", (char *)NULL);
		_exit(127);
	}
	check("sh child collected", wait_for(pid, &st, 0) == pid);
	describe_status("sh child", st);
	check("exited 6", WIFEXITED(st) && WEXITSTATUS(st) == 6);

	int p[2];
	if (pipe(p) < 0) {
		conf_fail("pipe");
		return conf_finish("exec_child");
	}
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		close(p[0]);
		execl("/nonexistent/program", "missing", (char *)NULL);
		int e = errno;
		write_full(p[1], &e, sizeof e);
		_exit(127);
	}
	close(p[1]);
	int e = 0;
	read_full(p[0], &e, sizeof e);
	check("failed exec reports ENOENT", e == ENOENT);
	check("failed exec child collected", wait_for(pid, &st, 0) == pid);
	check("exited 127", WIFEXITED(st) && WEXITSTATUS(st) == 127);
	return conf_finish("exec_child");
}
