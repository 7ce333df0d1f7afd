/* Compute-bound benchmark: argv[1] rounds of an integer hash over a
 * 64 KiB buffer; no system calls in the loop. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
	long rounds = argc > 1 ? atol(argv[1]) : 2000;
	static uint32_t buf[16384];
	uint64_t h = 1469598103934665603ull;
	for (int i = 0; i < 16384; i++)
		buf[i] = (uint32_t)i * 2654435761u;
	for (long r = 0; r < rounds; r++)
		for (int i = 0; i < 16384; i++) {
			h = (h ^ buf[i]) * 1099511628211ull;
			buf[i] = (uint32_t)(h >> 17);
		}
	printf("%016llx\n", (unsigned long long)h);
	return 0;
}
