/* system(): the shell's output on our stdout and its exit status. */
#include "conf_proc.h"

int main(void)
{
	check("system(NULL) finds a shell", system(NULL) != 0);
	fflush(stdout);
	int st = system("echo from system; exit 3");
	describe_status("system", st);
	check("status 3", st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 3);
	fflush(stdout);
	st = system("echo first; echo second | tr a-z A-Z");
	check("pipeline in system exited 0", st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0);
	fflush(stdout);
	st = system("kill -TERM $$");
	describe_status("shell that killed itself", st);
	check("killed by SIGTERM", st != -1 && WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM);
	fflush(stdout);
	st = system("exit 255");
	check("status 255", st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 255);
	return conf_finish("system");
}
