/* execve from the main thread while two other threads exist (one blocked
 * in read, one in a sleep loop): the threads vanish, the new program
 * (this one again, in its second stage) runs single-threaded, then a
 * child does the same with /bin/echo. */
#include "conf_proc.h"
#include <dirent.h>
#include <pthread.h>
#include <time.h>

static int pipefd[2];

static void *blocked(void *p)
{
	char c;
	while (read(pipefd[0], &c, 1) < 0 && errno == EINTR)
		;
	return NULL;
}

static void *sleeper(void *p)
{
	struct timespec ms = { 0, 1000000 };
	for (;;)
		nanosleep(&ms, NULL);
	return NULL;
}

static int count_threads(void)
{
	DIR *d = opendir("/proc/self/task");
	int n = 0;
	struct dirent *e;
	while (d && (e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	if (d)
		closedir(d);
	return n;
}

int main(int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "stage2") == 0) {
		printf("stage 2: threads after exec: %d\n", count_threads());
		check("single-threaded after exec", count_threads() == 1);
		fflush(stdout);
		pid_t pid = fork();
		if (pid == 0) {
			pthread_t t;
			if (pipe(pipefd) < 0 || pthread_create(&t, NULL, blocked, NULL))
				_exit(100);
			execl("/bin/echo", "echo", "child: exec of echo with a second thread alive", (char *)NULL);
			_exit(127);
		}
		int st;
		check("child collected", wait_for(pid, &st, 0) == pid);
		check("child's echo exited 0", WIFEXITED(st) && WEXITSTATUS(st) == 0);
		return conf_finish("exec_threads");
	}
	pthread_t a, b;
	if (pipe(pipefd) < 0 || pthread_create(&a, NULL, blocked, NULL) ||
	    pthread_create(&b, NULL, sleeper, NULL)) {
		conf_fail("setup");
		return conf_finish("exec_threads");
	}
	struct timespec ms = { 0, 1000000 };
	while (count_threads() < 3)
		nanosleep(&ms, NULL);
	printf("stage 1: three threads, exec of myself\n");
	fflush(stdout);
	char *args[] = { argv[0], "stage2", NULL };
	execv("/proc/self/exe", args);
	conf_fail("execv");
	return conf_finish("exec_threads");
}
