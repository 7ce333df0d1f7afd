/* A thread that computes for argv[1] seconds (default 6) without a
 * system call while another thread is ready to run. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <x86intrin.h>

static void *other(void *arg) { (void)arg; return NULL; }

int main(int argc, char **argv)
{
	double secs = argc > 1 ? atof(argv[1]) : 6;
	pthread_t t;
	pthread_create(&t, NULL, other, NULL);
	/* Busy for secs seconds by a cycle count calibrated without
	 * syscalls: about 2e9 iterations of this loop per 1.5 s here. */
	volatile unsigned long x = 0;
	unsigned long n = (unsigned long)(secs * 1.2e9);
	for (unsigned long i = 0; i < n; i++)
		x += i;
	pthread_join(t, NULL);
	printf("spun\n");
	return 0;
}
