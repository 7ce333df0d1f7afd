/* Two threads that spend their time in a loop of tiny instructions
 * ending in its back-edge:
 *
 *   1: inc %eax; cmp %edx,%eax; jne 1b      (2 + 2 + 2 bytes)
 *
 * No 5 bytes of it are free of a branch, so replay's in-tracee matcher
 * can be placed in it only by relocating the jne (docs/preemption.md,
 * "How replay finds it"); without that, a preemption point in the loop is
 * found by the int3 search, one ptrace stop per iteration, millions of
 * them per time slice.  The outer step's counter is kept in a register
 * through the loop, so every arrival at the loop's instructions has
 * registers of its own.
 *
 * argv[1]: outer steps per thread (default 300, each 2^20 iterations,
 * about 0.3 s of CPU in all).  Prints each thread's result
 * (deterministic) and "ok". */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define NTHREADS 2
#define INNER (1u << 20)

static __attribute__((noinline)) uint32_t count_to(uint32_t to, long step)
{
	uint32_t n = 0;

	/* eax and edx: the 2-byte encodings (no REX prefix). */
	__asm__ volatile("1:\n\t"
			 "inc %%eax\n\t"
			 "cmp %%edx,%%eax\n\t"
			 "jne 1b"
			 : "+a"(n) : "d"(to), "r"(step) : "cc");
	return n;
}

static long steps = 300;
static uint64_t results[NTHREADS];

static void *worker(void *arg)
{
	long id = (long)arg;
	uint64_t h = 0xcbf29ce484222325ull + (uint64_t)id;

	for (long i = 0; i < steps; i++) {
		uint32_t n = count_to(INNER - (uint32_t)(i & 7), i);
		h = (h ^ n ^ (uint64_t)i) * 0x100000001b3ull;
	}
	results[id] = h;
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t th[NTHREADS];

	if (argc > 1)
		steps = atol(argv[1]);
	for (long id = 0; id < NTHREADS; id++)
		if (pthread_create(&th[id], NULL, worker, (void *)id)) {
			printf("pthread_create failed\nFAILED\n");
			return 1;
		}
	for (int id = 0; id < NTHREADS; id++)
		pthread_join(th[id], NULL);
	for (int id = 0; id < NTHREADS; id++)
		printf("thread %d: %016llx\n", id, (unsigned long long)results[id]);
	printf("ok\n");
	return 0;
}
