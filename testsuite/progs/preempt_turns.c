/* Two threads pass a turn argv[1] times (default 400) by spinning on a
 * shared atomic int, with no system call while they wait: each pass needs
 * the other thread to run while this one spins.  Under a recorder that
 * runs one thread at a time this finishes only if a spinning thread is
 * preempted.  Output convention: preempt_common.h. */
#include "preempt_common.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

static atomic_int turn;         /* whose turn: 0 main, 1 the other thread */
static atomic_int passes;       /* turns taken so far, by both threads */
static int taken[2];            /* turns taken by each thread */
static int out_of_order;        /* a thread saw a count of the wrong parity */
static int total = 400;

static void take_turns(int me)
{
	for (int k = me; k < total; k += 2) {
		/* The spin: plain loads, no pause, no system call. */
		while (atomic_load_explicit(&turn, memory_order_acquire) != me)
			;
		int n = atomic_load_explicit(&passes, memory_order_relaxed);
		if (n % 2 != me || n != k)
			out_of_order++;
		atomic_store_explicit(&passes, n + 1, memory_order_relaxed);
		taken[me]++;
		atomic_store_explicit(&turn, 1 - me, memory_order_release);
	}
}

static void *other(void *arg)
{
	(void)arg;
	take_turns(1);
	return NULL;
}

int main(int argc, char **argv)
{
	if (argc > 1)
		total = atoi(argv[1]);
	if (total < 2 || total % 2) {
		fprintf(stderr, "usage: preempt_turns [EVEN_COUNT]\n");
		return 2;
	}
	pthread_t t;
	if (pthread_create(&t, NULL, other, NULL) != 0) {
		perror("pthread_create");
		return 1;
	}
	take_turns(0);
	pthread_join(t, NULL);
	int n = atomic_load(&passes);
	printf("passes: %d\n", n);
	printf("turns taken: main %d, other %d\n", taken[0], taken[1]);
	printf("alternated: %s\n", preempt_yesno(out_of_order == 0));
	int ok = n == total && taken[0] == total / 2 && taken[1] == total / 2 && out_of_order == 0;
	printf("%s\n", ok ? "ok" : "FAILED");
	return ok ? 0 : 1;
}
