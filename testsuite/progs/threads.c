/* Starts N worker threads (argv[1], default 4) that each sum a range in
 * worker(); joins them and prints the totals.  With "spin" as argv[2] the
 * workers spin forever instead (for stopping a busy process). */

/* Code as written for debuggers: automake puts the user's CFLAGS (-O2 by
 * default) after the program's -O0. */
#ifndef __clang__
#pragma GCC optimize("O0")
#endif
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_THREADS 64

struct job {
	int id;
	long result;
	int spin;
};

void *worker(void *arg);

static volatile long spin_counter;

__attribute__((noinline)) void *worker(void *arg)
{
	struct job *job = arg;
	long sum = 0;

	if (job->spin)
		for (;;)
			spin_counter++;
	for (int i = 0; i <= 1000 * (job->id + 1); i++)
		sum += i;
	job->result = sum;
	return NULL;
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 4;
	int spin = argc > 2 && strcmp(argv[2], "spin") == 0;
	pthread_t tids[MAX_THREADS];
	struct job jobs[MAX_THREADS];

	if (n < 1 || n > MAX_THREADS)
		n = 4;
	for (int i = 0; i < n; i++) {
		jobs[i] = (struct job){ .id = i, .spin = spin };
		if (pthread_create(&tids[i], NULL, worker, &jobs[i]) != 0) {
			perror("pthread_create");
			return 1;
		}
	}
	if (spin)
		for (;;)
			spin_counter++;
	for (int i = 0; i < n; i++)
		pthread_join(tids[i], NULL);
	for (int i = 0; i < n; i++)
		printf("thread %d: %ld\n", i, jobs[i].result);
	return 0;
}
