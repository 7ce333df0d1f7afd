/* vfork + exec: /bin/echo prints a line, /bin/true exits 0, /bin/false
 * exits 1, a missing program makes the child _exit(127). */
#include "conf_proc.h"

static int run(const char *path, char *const argv[])
{
	fflush(stdout);
	pid_t pid = vfork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		execv(path, argv);
		_exit(127);
	}
	int st;
	if (wait_for(pid, &st, 0) != pid)
		return -1;
	return st;
}

int main(void)
{
	char *echo[] = { "echo", "hello from echo after vfork", NULL };
	int st = run("/bin/echo", echo);
	describe_status("echo", st);
	check("echo exited 0", st >= 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0);
	char *tr[] = { "true", NULL };
	st = run("/bin/true", tr);
	check("true exited 0", st >= 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0);
	char *fa[] = { "false", NULL };
	st = run("/bin/false", fa);
	check("false exited 1", st >= 0 && WIFEXITED(st) && WEXITSTATUS(st) == 1);
	char *no[] = { "missing", NULL };
	st = run("/nonexistent/program", no);
	check("missing program: child exited 127", st >= 0 && WIFEXITED(st) && WEXITSTATUS(st) == 127);
	char *sh[] = { "sh", "-c", "echo from sh after vfork; exit 4", NULL };
	st = run("/bin/sh", sh);
	check("sh exited 4", st >= 0 && WIFEXITED(st) && WEXITSTATUS(st) == 4);
	return conf_finish("vfork_exec");
}
