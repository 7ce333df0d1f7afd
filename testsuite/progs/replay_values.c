/* Values that come from the outside world, kept in globals so a debugger
 * can compare them, during replay, with what the recording printed:
 * getrandom, getpid, clock_gettime and rdtsc.  Then a watched global and
 * worker threads for conditional breakpoints. */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>
#include <x86intrin.h>

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("O0")
#endif

uint64_t g_random;
long g_pid;
struct timespec g_ts;
uint64_t g_tsc;
volatile long g_watched;
long g_worker_sum[4];

void values_ready(void);
void worker_step(int id, int round);
void *worker(void *arg);

__attribute__((noinline)) void values_ready(void)
{
	__asm__ volatile("" ::: "memory");
}

__attribute__((noinline)) void worker_step(int id, int round)
{
	g_worker_sum[id] += round * (id + 1);
}

void *worker(void *arg)
{
	int id = (int)(intptr_t)arg;
	for (int round = 0; round < 5; round++) {
		worker_step(id, round);
		usleep(1000);
	}
	return NULL;
}

int main(void)
{
	if (getrandom(&g_random, sizeof(g_random), 0) != sizeof(g_random))
		return 1;
	g_pid = getpid();
	clock_gettime(CLOCK_REALTIME, &g_ts);
	g_tsc = __rdtsc();
	printf("random 0x%llx\npid %ld\nnsec %ld\ntsc 0x%llx\n",
	       (unsigned long long)g_random, g_pid, g_ts.tv_nsec,
	       (unsigned long long)g_tsc);
	values_ready();
	for (int i = 1; i <= 3; i++)
		g_watched = i * 100;
	pthread_t t[4];
	for (int i = 0; i < 4; i++)
		pthread_create(&t[i], NULL, worker, (void *)(intptr_t)i);
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	printf("sums %ld %ld %ld %ld\n", g_worker_sum[0], g_worker_sum[1],
	       g_worker_sum[2], g_worker_sum[3]);
	return 3;
}
