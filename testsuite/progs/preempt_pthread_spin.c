/* Four threads each add 1 to a shared counter argv[1] times (default
 * 20000) under pthread_spin_lock (glibc's spinlock spins in user space,
 * never a system call), after a spinning start gate.  Output convention:
 * preempt_common.h. */
#include "preempt_common.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#define NTHREADS 4

static pthread_spinlock_t lock;
static atomic_int go;
static long counter;            /* protected by lock */
static int holder = -1;         /* protected by lock */
static long violations;         /* protected by lock */
static long per_thread[NTHREADS];
static long iterations = 20000;

static void *worker(void *arg)
{
	int id = (int)(intptr_t)arg;
	while (!atomic_load_explicit(&go, memory_order_acquire))
		__builtin_ia32_pause();
	for (long i = 0; i < iterations; i++) {
		pthread_spin_lock(&lock);
		if (holder != -1)
			violations++;
		holder = id;
		counter++;
		per_thread[id]++;
		if (holder != id)
			violations++;
		holder = -1;
		pthread_spin_unlock(&lock);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	if (argc > 1)
		iterations = atol(argv[1]);
	if (pthread_spin_init(&lock, PTHREAD_PROCESS_PRIVATE) != 0) {
		perror("pthread_spin_init");
		return 1;
	}
	pthread_t t[NTHREADS];
	for (int i = 0; i < NTHREADS; i++)
		if (pthread_create(&t[i], NULL, worker, (void *)(intptr_t)i) != 0) {
			perror("pthread_create");
			return 1;
		}
	atomic_store_explicit(&go, 1, memory_order_release);
	for (int i = 0; i < NTHREADS; i++)
		pthread_join(t[i], NULL);
	pthread_spin_destroy(&lock);
	return preempt_lock_report(counter, per_thread, NTHREADS, iterations,
				   violations);
}
