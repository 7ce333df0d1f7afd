/* Patched syscall sites (replay/sitepatch.h, docs/syscallbuf.md): code
 * that makes its own `syscall` instruction, as libgomp and glibc do
 * inside themselves, never reaches the buffer library's wrappers; the
 * recorder patches such a site once it has made a call the library can
 * buffer.  Four threads each make, from their own inline `syscall`s:
 * futex wakes nobody waits for (libgomp's shape: the number moved
 * from a register), getpid and gettid, clock_gettime and a site shared
 * by a bufferable call and one that is not (getppid, then a FUTEX_WAIT
 * that returns at once: the site declines it to the traced path).  A
 * mutex with contention adds glibc's own futex wakes.  Self-checking;
 * lines starting "v: " differ between native runs, the rest never. */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/futex.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define NTHREADS 4
#define ROUNDS 20000

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static long counter;
static int nobody;              /* a futex word no thread waits on */
static int failures;

/* libgomp's futex_wake: the number comes from a register. */
static long raw_wake(int *addr, int nr)
{
	register long r10 __asm__("r10") = 0;
	long ret;

	__asm__ volatile("mov %1, %%eax\n\tsyscall"
			 : "=&a"(ret)
			 : "r"(nr), "D"(addr), "S"(FUTEX_WAKE_PRIVATE), "d"(1),
			   "r"(r10)
			 : "rcx", "r11", "memory");
	return ret;
}

/* One site, any call: getppid is buffered, FUTEX_WAIT is not. */
static long raw_call3(long nr, long a, long b, long c)
{
	register long r10 __asm__("r10") = 0;
	long ret;

	__asm__ volatile("mov %1, %%rax\n\tsyscall"
			 : "=&a"(ret)
			 : "r"(nr), "D"(a), "S"(b), "d"(c), "r"(r10)
			 : "rcx", "r11", "memory");
	return ret;
}

static long raw_getpid(void)
{
	long ret;

	__asm__ volatile("mov $39, %%eax\n\tsyscall"
			 : "=a"(ret) : : "rcx", "r11", "memory");
	return ret;
}

static long raw_clock(struct timespec *ts)
{
	long ret;

	__asm__ volatile("mov $228, %%eax\n\tsyscall"
			 : "=a"(ret)
			 : "D"(CLOCK_MONOTONIC), "S"(ts)
			 : "rcx", "r11", "memory");
	return ret;
}

static void check(int ok, const char *what, long got)
{
	if (!ok) {
		__atomic_add_fetch(&failures, 1, __ATOMIC_RELAXED);
		fprintf(stderr, "FAIL %s (%ld)\n", what, got);
	}
}

/* Where GDB stops in the tests: after a round's patched wake. */
__attribute__((noinline)) static void round_done(long id, int i, long w)
{
	__asm__ volatile("" : : "r"(id), "r"(i), "r"(w) : "memory");
}

static void *worker(void *arg)
{
	long id = (long)(intptr_t)arg;
	long pid = getpid(), ppid = getppid();
	struct timespec last = { 0, 0 }, now;
	uint64_t h = 1469598103934665603ull ^ (uint64_t)id;

	for (int i = 0; i < ROUNDS; i++) {
		long w = raw_wake(&nobody, SYS_futex);
		check(w == 0, "futex wake woke someone", w);
		if (i % 4 == 0) {
			long p = raw_getpid();
			check(p == pid, "raw getpid", p);
			long c = raw_clock(&now);
			check(c == 0, "raw clock_gettime", c);
			check(now.tv_sec > last.tv_sec ||
			      (now.tv_sec == last.tv_sec &&
			       now.tv_nsec >= last.tv_nsec),
			      "monotonic clock went back", now.tv_nsec);
			last = now;
			h = (h ^ (uint64_t)now.tv_nsec) * 1099511628211ull;
		}
		if (i % 100 == 0) {
			long q = raw_call3(SYS_getppid, 0, 0, 0);
			check(q == ppid, "raw getppid", q);
			/* The word is not 1: EAGAIN at once, never blocks. */
			long r = raw_call3(SYS_futex, (long)&nobody,
					   FUTEX_WAIT_PRIVATE, 1);
			check(r == -EAGAIN, "futex wait on a changed word", r);
		}
		pthread_mutex_lock(&lock);
		counter++;
		pthread_mutex_unlock(&lock);
		round_done(id, i, w);
	}
	return (void *)(uintptr_t)h;
}

int main(void)
{
	pthread_t t[NTHREADS];
	uint64_t mix = 0;

	for (long i = 0; i < NTHREADS; i++)
		if (pthread_create(&t[i], NULL, worker, (void *)(intptr_t)i)) {
			perror("pthread_create");
			return 1;
		}
	for (int i = 0; i < NTHREADS; i++) {
		void *h;
		pthread_join(t[i], &h);
		mix ^= (uint64_t)(uintptr_t)h;
	}
	printf("counter %ld (want %d)\n", counter, NTHREADS * ROUNDS);
	printf("v: clock hash %016llx\n", (unsigned long long)mix);
	if (counter != NTHREADS * ROUNDS || failures) {
		printf("FAILED: %d checks\n", failures);
		return 1;
	}
	printf("all checks passed\n");
	return 0;
}
