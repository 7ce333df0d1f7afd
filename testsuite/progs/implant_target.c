/* Target of the implant and diversion tests (testsuite/unit/test_implant.c).
 *
 *   implant_target buffers        4 MiB of known bytes
 *   implant_target bigmem MIB     MIB mebibytes, every page touched
 *   implant_target threads        the same 4 MiB, with 3 more threads
 *
 * Stops at an int3 with rdi = buffer, rsi = length (the tracer reads them
 * from the registers), then checks that the buffer still holds its bytes:
 * prints "implant_target: ok" and exits 0, or exits 3. */
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int release[2];

static uint8_t pattern(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return (uint8_t)(*x >> 56);
}

static void fill(uint8_t *b, size_t len)
{
	uint64_t x = 0x9e3779b97f4a7c15ull;

	for (size_t i = 0; i < len; i++)
		b[i] = pattern(&x);
}

static int intact(const uint8_t *b, size_t len)
{
	uint64_t x = 0x9e3779b97f4a7c15ull;

	for (size_t i = 0; i < len; i++)
		if (b[i] != pattern(&x))
			return 0;
	return 1;
}

static void *waiter(void *arg)
{
	char c;

	(void)arg;
	while (read(release[0], &c, 1) < 0)
		;
	return NULL;
}

/* Something recognisable in the extended state, for xstate comparisons. */
__attribute__((target("avx512f")))
static void mark_avx512(void)
{
	__asm__ volatile("vpternlogd $0xff, %%zmm5, %%zmm5, %%zmm5\n\t"
			 "vpternlogd $0xff, %%zmm21, %%zmm21, %%zmm21"
			 ::: "xmm5", "xmm21");
}

static void mark_vector_registers(void)
{
	__builtin_cpu_init();
	if (__builtin_cpu_supports("avx512f"))
		mark_avx512();
	else if (__builtin_cpu_supports("avx2"))
		__asm__ volatile("vpcmpeqd %%ymm5, %%ymm5, %%ymm5" ::: "xmm5");
}

static void stop_here(void *buf, size_t len)
{
	mark_vector_registers();
	__asm__ volatile("int3" :: "D"(buf), "S"(len) : "memory");
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "buffers";
	size_t len = 4u << 20;
	pthread_t th[3];
	int nthreads = 0;
	sigset_t set;

	/* A non-empty mask, so that mask restoration can be checked. */
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, NULL);
	if (strcmp(mode, "bigmem") == 0)
		len = (size_t)atoi(argc > 2 ? argv[2] : "64") << 20;
	uint8_t *buf = malloc(len);
	if (!buf)
		return 2;
	if (strcmp(mode, "bigmem") == 0)
		memset(buf, 0x5a, len);
	else
		fill(buf, len);
	if (strcmp(mode, "threads") == 0) {
		if (pipe(release) < 0)
			return 2;
		for (; nthreads < 3; nthreads++)
			pthread_create(&th[nthreads], NULL, waiter, NULL);
	}
	stop_here(buf, len);
	if (nthreads) {
		if (write(release[1], "xxx", 3) != 3)
			return 2;
		for (int i = 0; i < nthreads; i++)
			pthread_join(th[i], NULL);
	}
	if (strcmp(mode, "bigmem") != 0 && !intact(buf, len))
		return 3;
	printf("implant_target: ok\n");
	return 0;
}
