/* Four threads each add 1 to a shared counter argv[1] times (default
 * 20000) under a hand-written test-and-set spinlock: atomic exchange to
 * take it, a read-only spin with `pause` while it is held, no system
 * call.  The threads start together from a spinning start gate, so a
 * recorder that runs one thread at a time must preempt spinners (and
 * lock holders) for the program to finish.  Output convention:
 * preempt_common.h. */
#include "preempt_common.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#define NTHREADS 4

static atomic_int lock;
static atomic_int go;
static long counter;            /* protected by lock */
static int holder = -1;         /* protected by lock: who holds it */
static long violations;         /* protected by lock */
static long per_thread[NTHREADS];
static long iterations = 20000;

static void spin_lock(void)
{
	while (atomic_exchange_explicit(&lock, 1, memory_order_acquire))
		while (atomic_load_explicit(&lock, memory_order_relaxed))
			__builtin_ia32_pause();
}

static void spin_unlock(void)
{
	atomic_store_explicit(&lock, 0, memory_order_release);
}

static void *worker(void *arg)
{
	int id = (int)(intptr_t)arg;
	while (!atomic_load_explicit(&go, memory_order_acquire))
		__builtin_ia32_pause();
	for (long i = 0; i < iterations; i++) {
		spin_lock();
		if (holder != -1)
			violations++;
		holder = id;
		counter++;
		per_thread[id]++;
		if (holder != id)
			violations++;
		holder = -1;
		spin_unlock();
	}
	return NULL;
}

int main(int argc, char **argv)
{
	if (argc > 1)
		iterations = atol(argv[1]);
	pthread_t t[NTHREADS];
	for (int i = 0; i < NTHREADS; i++)
		if (pthread_create(&t[i], NULL, worker, (void *)(intptr_t)i) != 0) {
			perror("pthread_create");
			return 1;
		}
	atomic_store_explicit(&go, 1, memory_order_release);
	for (int i = 0; i < NTHREADS; i++)
		pthread_join(t[i], NULL);
	return preempt_lock_report(counter, per_thread, NTHREADS, iterations,
				   violations);
}
