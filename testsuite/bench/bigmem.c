/* Benchmark subject for debugger memory reads and stepping: fills a
 * 64 MiB buffer, then calls bench_checkpoint() where the debugger stops,
 * then runs a long loop of simple instructions to single-step through. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define BUF_SIZE (64u << 20)

uint8_t *bench_buffer;
volatile uint64_t bench_sink;

void bench_checkpoint(void);
__attribute__((noinline)) void bench_checkpoint(void)
{
	__asm__ volatile("" ::: "memory");
}

int main(void)
{
	bench_buffer = malloc(BUF_SIZE);
	if (!bench_buffer)
		return 1;
	for (uint32_t i = 0; i < BUF_SIZE; i++)
		bench_buffer[i] = (uint8_t)(i * 2654435761u >> 24);
	bench_checkpoint();
	uint64_t x = 0;
	for (uint64_t i = 0; i < 100000000; i++)
		x += i ^ (x >> 3);
	bench_sink = x;
	printf("%llu\n", (unsigned long long)bench_sink);
	return 0;
}
