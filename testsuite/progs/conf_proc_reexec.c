/* execve of itself (/proc/self/exe) with arguments and an environment
 * variable: stage 1 prints, execs stage 2, which checks that its pid,
 * parent and an fd without O_CLOEXEC survived, that an O_CLOEXEC fd did
 * not, then execs stage 3 through a relative argv[0]-independent path. */
#include "conf_proc.h"
#include <fcntl.h>

int main(int argc, char **argv)
{
	if (argc == 1) {
		int keep = open("/dev/null", O_RDONLY);
		int gone = open("/dev/null", O_RDONLY | O_CLOEXEC);
		char spid[32], sppid[32], skeep[16], sgone[16];
		snprintf(spid, sizeof spid, "%d", (int)getpid());
		snprintf(sppid, sizeof sppid, "%d", (int)getppid());
		snprintf(skeep, sizeof skeep, "%d", keep);
		snprintf(sgone, sizeof sgone, "%d", gone);
		printf("stage 1: exec of myself with 5 arguments\n");
		fflush(stdout);
		char *args[] = { argv[0], "stage2", spid, sppid, skeep, sgone, NULL };
		char *env[] = { "CONF_REEXEC=forty-two", NULL };
		execve("/proc/self/exe", args, env);
		conf_fail("execve");
		return conf_finish("reexec");
	}
	if (argc == 6 && strcmp(argv[1], "stage2") == 0) {
		printf("stage 2: %d arguments\n", argc);
		check("same pid after exec", atoi(argv[2]) == getpid());
		check("same parent after exec", atoi(argv[3]) == getppid());
		check("fd without O_CLOEXEC still open", fcntl(atoi(argv[4]), F_GETFD) >= 0);
		check("O_CLOEXEC fd closed", fcntl(atoi(argv[5]), F_GETFD) < 0 && errno == EBADF);
		const char *v = getenv("CONF_REEXEC");
		printf("environment variable: %s\n", v ? v : "(unset)");
		check("environment passed", v && strcmp(v, "forty-two") == 0);
		check("only the one variable", getenv("PATH") == NULL);
		fflush(stdout);
		if (conf_failed)
			return conf_finish("reexec");
		char *args[] = { "third-name", "stage3", NULL };
		execv("/proc/self/exe", args);
		conf_fail("execv");
		return conf_finish("reexec");
	}
	if (argc == 2 && strcmp(argv[1], "stage3") == 0) {
		printf("stage 3: argv[0] is %s\n", argv[0]);
		check("argv[0] as given", strcmp(argv[0], "third-name") == 0);
		return conf_finish("reexec");
	}
	printf("unexpected arguments\n");
	return 1;
}
