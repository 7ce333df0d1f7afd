/* A child process through posix_spawn (CLONE_VM|CLONE_VFORK in glibc)
 * and one through system(): children run unrecorded; the parent sees
 * their output and statuses through recorded syscalls. */
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>

extern char **environ;

int main(void)
{
	pid_t pid;
	char *argv[] = { "echo", "from the child", NULL };
	fflush(stdout);
	int rc = posix_spawnp(&pid, "echo", NULL, NULL, argv, environ);
	if (rc) { printf("posix_spawn failed %d\n", rc); return 1; }
	int status;
	waitpid(pid, &status, 0);
	printf("child exited %d\n", WEXITSTATUS(status));
	char *bad[] = { "/nonexistent/prog", NULL };
	rc = posix_spawn(&pid, "/nonexistent/prog", NULL, NULL, bad, environ);
	printf("missing program: %s\n", rc ? "error reported" : "started?");
	fflush(stdout);
	int s = system("exit 3");
	printf("system status %d\n", WEXITSTATUS(s));
	return 0;
}
