/* posix_spawn + waitpid: a child whose stdout is redirected into a pipe by
 * file actions (the parent reads it), one writing to our stdout, one with
 * an exit code, one in its own process group, and a missing program. */
#include "conf_proc.h"
#include <spawn.h>

extern char **environ;

int main(void)
{
	int p[2];
	if (pipe(p) < 0) {
		conf_fail("pipe");
		return conf_finish("posix_spawn");
	}
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, p[1], 1);
	posix_spawn_file_actions_addclose(&fa, p[0]);
	posix_spawn_file_actions_addclose(&fa, p[1]);
	char *echo[] = { "echo", "through the pipe", NULL };
	pid_t pid;
	fflush(stdout);
	int rc = posix_spawn(&pid, "/bin/echo", &fa, NULL, echo, environ);
	posix_spawn_file_actions_destroy(&fa);
	check("posix_spawn with file actions succeeded", rc == 0);
	close(p[1]);
	char buf[128] = { 0 };
	ssize_t n = read_full(p[0], buf, sizeof buf - 1);
	close(p[0]);
	printf("read from the child: %s", n > 0 ? buf : "(nothing)\n");
	check("pipe content is the echo", strcmp(buf, "through the pipe\n") == 0);
	int st;
	check("waitpid returns the spawned pid", rc == 0 && wait_for(pid, &st, 0) == pid);
	check("echo exited 0", WIFEXITED(st) && WEXITSTATUS(st) == 0);

	char *direct[] = { "echo", "spawned echo on our stdout", NULL };
	fflush(stdout);
	rc = posix_spawnp(&pid, "echo", NULL, NULL, direct, environ);
	/* Nothing printed until the child, which writes to our stdout, is collected. */
	pid_t r = rc == 0 ? wait_for(pid, &st, 0) : -1;
	check("posix_spawnp succeeded", rc == 0);
	check("second child collected", rc == 0 && r == pid);
	check("second child exited 0", WIFEXITED(st) && WEXITSTATUS(st) == 0);

	char *code[] = { "sh", "-c", "exit 5", NULL };
	posix_spawnattr_t at;
	posix_spawnattr_init(&at);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP);
	posix_spawnattr_setpgroup(&at, 0);
	rc = posix_spawnp(&pid, "sh", NULL, &at, code, environ);
	posix_spawnattr_destroy(&at);
	check("posix_spawnp in a new process group succeeded", rc == 0);
	if (rc == 0) {
		pid_t pg = getpgid(pid);
		/* The child may already be a zombie: its group is still readable. */
		check("child leads its own process group", pg == pid || (pg < 0 && errno == ESRCH));
		check("third child collected", wait_for(pid, &st, 0) == pid);
		describe_status("sh -c 'exit 5'", st);
		check("status 5", WIFEXITED(st) && WEXITSTATUS(st) == 5);
	}

	char *bad[] = { "missing", NULL };
	rc = posix_spawn(&pid, "/nonexistent/program", NULL, NULL, bad, environ);
	if (rc == 0) {
		/* Older glibc reports the failure as exit status 127. */
		wait_for(pid, &st, 0);
		check("missing program reported", WIFEXITED(st) && WEXITSTATUS(st) == 127);
	} else {
		check("missing program reported", rc == ENOENT);
	}
	return conf_finish("posix_spawn");
}
