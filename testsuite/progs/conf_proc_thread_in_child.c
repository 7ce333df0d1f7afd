/* Threads in a child process: the child starts three threads that sum
 * disjoint ranges and meet at a mutex-protected total, joins them, prints
 * the total and exits with a code derived from it; the parent then also
 * starts a thread that forks (the child of a thread is single-threaded). */
#include "conf_proc.h"
#include <pthread.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static long total;

static void *summer(void *p)
{
	long k = (long)p, s = 0;
	for (long i = k * 1000 + 1; i <= (k + 1) * 1000; i++)
		s += i;
	pthread_mutex_lock(&lock);
	total += s;
	pthread_mutex_unlock(&lock);
	return (void *)s;
}

static void *forker(void *p)
{
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		/* Only this thread exists in the child. */
		printf("child of a thread: running\n");
		fflush(stdout);
		_exit(31);
	}
	int st;
	if (wait_for(pid, &st, 0) != pid || !WIFEXITED(st))
		return (void *)-1L;
	return (void *)(long)WEXITSTATUS(st);
}

int main(void)
{
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		pthread_t t[3];
		for (long k = 0; k < 3; k++)
			if (pthread_create(&t[k], NULL, summer, (void *)k))
				_exit(90);
		long parts = 0;
		for (int k = 0; k < 3; k++) {
			void *r;
			pthread_join(t[k], &r);
			parts += (long)r;
		}
		printf("child: three threads summed 1..3000 to %ld (parts %s)\n", total,
		       parts == total ? "agree" : "disagree");
		fflush(stdout);
		exit(total == 4501500 && parts == total ? 0 : 1);
	}
	int st;
	check("child collected", wait_for(pid, &st, 0) == pid);
	describe_status("threaded child", st);
	check("exited 0", WIFEXITED(st) && WEXITSTATUS(st) == 0);
	check("parent's total untouched", total == 0);

	pthread_t t;
	void *r = NULL;
	fflush(stdout);
	int rc = pthread_create(&t, NULL, forker, NULL);
	if (rc == 0)
		pthread_join(t, &r);
	/* Printed after the join: the thread's child prints meanwhile. */
	check("thread started", rc == 0);
	check("thread's child exited 31", (long)r == 31);
	return conf_finish("thread_in_child");
}
