/* A thread that computes for argv[1] seconds (default 6) without a
 * system call while another thread is ready to run. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

/* Ready to run again soon after the main thread started spinning. */
static void *other(void *arg)
{
	(void)arg;
	struct timespec nap = { 0, 200 * 1000 * 1000 };
	nanosleep(&nap, NULL);
	return NULL;
}

int main(int argc, char **argv)
{
	double secs = argc > 1 ? atof(argv[1]) : 6;
	pthread_t t;
	pthread_create(&t, NULL, other, NULL);
	/* Busy for about secs seconds (loop speed measured here). */
	volatile unsigned long x = 0;
	unsigned long n = (unsigned long)(secs * 3.2e9);
	for (unsigned long i = 0; i < n; i++)
		x += i;
	pthread_join(t, NULL);
	printf("spun\n");
	return 0;
}
