/* Output that goes elsewhere than the terminal: fds 1 and 2 pointed at
 * /dev/null, a file and a pipe, duplicated and restored, closed on exec.
 * `xrr replay -a` must show exactly what reached the recorder's stdout
 * and stderr (testsuite/integration/replay-tree.sh). */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void say(int fd, const char *s)
{
	if (write(fd, s, strlen(s)) < 0)
		_exit(1);
}

int main(int argc, char **argv)
{
	char path[] = "/tmp/xrr-redirect-XXXXXX";
	int file = mkstemp(path);
	int null = open("/dev/null", O_WRONLY);
	if (file < 0 || null < 0)
		return 1;
	unlink(path);
	(void)argc;
	(void)argv;

	say(1, "stdout: shown\n");
	say(2, "stderr: shown\n");
	int saved_out = dup(1), saved_err = fcntl(2, F_DUPFD_CLOEXEC, 10);
	dup2(null, 1);
	say(1, "stdout to /dev/null: hidden\n");
	dup2(file, 2);
	say(2, "stderr to a file: hidden\n");
	say(saved_out, "a copy of stdout: shown\n");
	say(saved_err, "a copy of stderr: shown\n");
	dup2(saved_out, 1);
	dup2(1, 2);                             /* 2>&1 */
	say(2, "stderr as stdout: shown on stdout\n");
	dup2(saved_err, 2);
	close(saved_out);

	/* A child whose stdout is a pipe, read back by the parent. */
	int p[2];
	if (pipe(p) < 0)
		return 1;
	pid_t pid = fork();
	if (pid == 0) {
		dup2(p[1], 1);
		close(p[0]);
		say(1, "child to the pipe: hidden\n");
		say(2, "child stderr: shown\n");
		_exit(0);
	}
	close(p[1]);
	char buf[64] = { 0 };
	ssize_t n = read(p[0], buf, sizeof(buf) - 1);
	waitpid(pid, NULL, 0);
	printf("parent read %zd bytes from the child\n", n);
	fflush(stdout);

	/* A shell whose stdout is the file; its stderr is the terminal. */
	pid = fork();
	if (pid == 0) {
		dup2(file, 1);
		execl("/bin/sh", "sh", "-c", "echo shell to the file: hidden; "
		      "echo shell stderr: shown >&2", (char *)NULL);
		_exit(127);
	}
	waitpid(pid, NULL, 0);
	/* fd 1 closed, then reused by an open: not the terminal any more. */
	close(1);
	int again = open("/dev/null", O_WRONLY);
	say(again, "reused fd 1: hidden\n");
	say(2, "done\n");
	return 0;
}
