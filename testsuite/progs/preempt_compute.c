/* Single-threaded compute with no timers and no other thread: nothing
 * else is ever runnable, so a recorder should never interrupt it (the
 * "no cost when nothing else is runnable" benchmark in
 * testsuite/bench/preempt-bench.sh).  argv[1] rounds (default 16000,
 * about 0.3 s) of an integer hash over a 64 KiB buffer; no system call
 * in the loop.  Prints the result (deterministic). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
	long rounds = argc > 1 ? atol(argv[1]) : 16000;
	static uint32_t buf[16384];
	uint64_t h = 0xcbf29ce484222325ull;
	for (int i = 0; i < 16384; i++)
		buf[i] = (uint32_t)i * 2654435761u;
	for (long r = 0; r < rounds; r++)
		for (int i = 0; i < 16384; i++) {
			h = (h ^ buf[i]) * 0x100000001b3ull;
			buf[i] = (uint32_t)(h >> 17) + (uint32_t)r;
		}
	printf("rounds: %ld\n", rounds);
	printf("result: %016llx\n", (unsigned long long)h);
	printf("ok\n");
	return 0;
}
