/* The demo's program (scripts/demo): four threads fill a 4 MiB buffer
 * with a pattern, each its own quarter, using AVX-512 when the CPU and
 * the OS (XCR0) allow it and SSE2 otherwise, then main reports which
 * path ran and a sum of the buffer.  Recorded with `--xcr0 0x7` it takes
 * the SSE2 path, as it would on a machine without AVX-512; a debugger
 * breaks at filled() to look at the buffer (4 MiB: GDB reads it through
 * a pipe in the demo). */
#include <immintrin.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NTHREADS 4
#define BUF_BYTES (4u << 20)

static uint8_t *buf;
static const char *path;

struct slice {
	uint8_t *start;
	size_t len;
	uint64_t seed;
};

/* Lane i of word w holds seed * (w + i + 1): different everywhere, and
 * the same whichever path wrote it. */
__attribute__((target("avx512f")))
static void fill_avx512(const struct slice *s)
{
	__m512i lanes = _mm512_set_epi64(8, 7, 6, 5, 4, 3, 2, 1);
	__m512i seed = _mm512_set1_epi64((long long)s->seed);
	__m512i step = _mm512_set1_epi64(8);
	for (size_t off = 0; off < s->len; off += 64) {
		_mm512_storeu_si512(s->start + off, _mm512_mullox_epi64(lanes, seed));
		lanes = _mm512_add_epi64(lanes, step);
	}
}

static void fill_sse2(const struct slice *s)
{
	uint64_t n = 1;
	for (size_t off = 0; off < s->len; off += 16, n += 2) {
		__m128i v = _mm_set_epi64x((long long)(s->seed * (n + 1)),
					   (long long)(s->seed * n));
		_mm_storeu_si128((__m128i *)(s->start + off), v);
	}
}

static void *fill(void *arg)
{
	const struct slice *s = arg;
	if (strcmp(path, "avx512") == 0)
		fill_avx512(s);
	else
		fill_sse2(s);
	return NULL;
}

/* A debugger breaks here: the buffer is complete. */
__attribute__((noinline)) void filled(void *b, size_t len)
{
	__asm__ volatile("" : : "r"(b), "r"(len) : "memory");
}

int main(void)
{
	/* __builtin_cpu_supports checks CPUID and, through XGETBV, that
	 * the OS enabled the ZMM state: both say no under --xcr0 0x7. */
	__builtin_cpu_init();
	path = __builtin_cpu_supports("avx512f") ? "avx512" : "sse2";
	buf = aligned_alloc(64, BUF_BYTES);
	if (!buf)
		return 1;
	pthread_t th[NTHREADS];
	struct slice sl[NTHREADS];
	for (int i = 0; i < NTHREADS; i++) {
		sl[i].len = BUF_BYTES / NTHREADS;
		sl[i].start = buf + (size_t)i * sl[i].len;
		sl[i].seed = 0x9e3779b97f4a7c15ull * (uint64_t)(i + 1);
		if (pthread_create(&th[i], NULL, fill, &sl[i]) != 0)
			return 1;
	}
	for (int i = 0; i < NTHREADS; i++)
		pthread_join(th[i], NULL);
	filled(buf, BUF_BYTES);
	uint64_t sum = 0;
	for (size_t i = 0; i < BUF_BYTES / 8; i++)
		sum += ((uint64_t *)buf)[i];
	printf("filled %u MiB with %d threads on the %s path; sum %016llx\n",
	       BUF_BYTES >> 20, NTHREADS, path, (unsigned long long)sum);
	free(buf);
	return 0;
}
