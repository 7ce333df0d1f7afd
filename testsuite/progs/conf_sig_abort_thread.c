/* A non-main thread calls abort() while the main thread waits in
 * pthread_join: the whole process dies by SIGABRT (status 134).  Lines
 * printed before are flushed. */
#include "conf_proc.h"
#include <pthread.h>
#include <sys/resource.h>

static void *aborter(void *p)
{
	printf("thread: calling abort\n");
	printf("DIE abort_thread by signal %d\n", SIGABRT);
	fflush(stdout);
	abort();
}

int main(void)
{
	struct rlimit rl = { 0, 0 };
	setrlimit(RLIMIT_CORE, &rl);
	printf("main: starting the thread\n");
	fflush(stdout);
	pthread_t t;
	if (pthread_create(&t, NULL, aborter, NULL)) {
		printf("FAIL abort_thread (pthread_create)\n");
		return 1;
	}
	pthread_join(t, NULL);
	printf("FAIL abort_thread (main thread survived)\n");
	return 1;
}
