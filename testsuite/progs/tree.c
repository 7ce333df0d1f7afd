/* A small process tree for the process-tree replay tests
 * (testsuite/integration/replay-tree.sh): a forked child sends a random
 * number through a pipe, a shell is exec'd, and the program exec's
 * itself as a child ("tree child N") whose variables GDB looks at with
 * `xrr replay -p PID`.  Every process writes to stdout; the parent
 * collects exit statuses in a fixed order. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/wait.h>
#include <unistd.h>

volatile int g_reported;

/* GDB stops here in the exec'd child. */
void child_report(int value, const char *who)
{
	g_reported = value;
	printf("%s reports %d\n", who, value);
	fflush(stdout);
}

static int child_main(int argc, char **argv)
{
	int value = argc > 2 ? atoi(argv[2]) * 2 : -1;
	child_report(value, "exec'd child");
	return value == 42 ? 0 : 1;
}

static pid_t random_child(int fd_out)
{
	pid_t pid = fork();
	if (pid == 0) {
		unsigned long r = 0;
		if (getrandom(&r, sizeof(r), 0) != sizeof(r))
			_exit(1);
		if (write(fd_out, &r, sizeof(r)) != sizeof(r))
			_exit(1);
		printf("forked child sent a random number\n");
		fflush(stdout);
		_exit(5);
	}
	return pid;
}

static pid_t spawn(char *const argv[])
{
	pid_t pid = fork();
	if (pid == 0) {
		execv(argv[0], argv);
		_exit(127);
	}
	return pid;
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "child") == 0)
		return child_main(argc, argv);
	int p[2];
	if (pipe(p) < 0)
		return 1;
	printf("parent starts\n");
	fflush(stdout);
	pid_t a = random_child(p[1]);
	close(p[1]);
	unsigned long r = 0;
	if (read(p[0], &r, sizeof(r)) != sizeof(r))
		return 1;
	printf("random from the child: %016lx\n", r);
	fflush(stdout);
	int st;
	waitpid(a, &st, 0);
	printf("forked child status %d\n", WEXITSTATUS(st));
	fflush(stdout);

	char *sh[] = { "/bin/sh", "-c", "echo shell says $((6*7)); exit 4", NULL };
	pid_t b = spawn(sh);
	waitpid(b, &st, 0);
	printf("shell status %d\n", WEXITSTATUS(st));
	fflush(stdout);

	char *self[] = { "/proc/self/exe", "child", "21", NULL };
	char exe[4096];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = 0;
		self[0] = exe;
	}
	pid_t c = spawn(self);
	waitpid(c, &st, 0);
	printf("exec'd child status %d\n", WEXITSTATUS(st));
	return 0;
}
