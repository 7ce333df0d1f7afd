/* execve from a thread that is not the main one: the kernel ends every
 * other thread, the main one included, and gives the execing thread the
 * process's pid.  Self-checking: the new image checks the pid it kept and
 * that it is single-threaded; ends with PASS. */
#include <dirent.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char *self;
static char pidarg[32];

static void *execer(void *arg)
{
	(void)arg;
	execl(self, self, "after", pidarg, (char *)NULL);
	perror("execl");
	exit(1);
}

static void *sleeper(void *arg)
{
	(void)arg;
	for (;;)
		pause();
	return NULL;
}

static int count_threads(void)
{
	DIR *d = opendir("/proc/self/task");
	int n = 0;
	struct dirent *e;
	while (d && (e = readdir(d)))
		n += e->d_name[0] != '.';
	if (d)
		closedir(d);
	return n;
}

int main(int argc, char **argv)
{
	if (argc > 2 && strcmp(argv[1], "after") == 0) {
		int same = atoi(argv[2]) == (int)getpid();
		int threads = count_threads();
		printf("new image keeps the pid: %s\n", same ? "yes" : "no");
		printf("single-threaded: %s\n", threads == 1 ? "yes" : "no");
		if (!same || threads != 1)
			return 1;
		printf("PASS conf_proc_exec_thread\n");
		return 0;
	}
	self = argv[0];
	snprintf(pidarg, sizeof(pidarg), "%d", (int)getpid());
	printf("three threads; the third one execs\n");
	fflush(stdout);
	pthread_t a, b;
	pthread_create(&a, NULL, sleeper, NULL);
	pthread_create(&b, NULL, execer, NULL);
	for (;;)
		pause();
}
