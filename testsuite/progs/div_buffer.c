/* A heap buffer with known contents for checksum tests: 64 MiB (or the
 * MiB count in argv[1]) filled from a xorshift generator, then handed to
 * checkpoint(), where the tests stop.  Prints the first word so that a
 * replay has recorded output to reproduce. */
#ifndef __clang__
#pragma GCC optimize("O0")
#endif
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

unsigned char *div_buf;
size_t div_len;

__attribute__((noinline)) int checkpoint(unsigned char *buf, size_t len);
__attribute__((noinline)) int checkpoint(unsigned char *buf, size_t len)
{
	return buf[0] + (int)(len & 1);
}

int main(int argc, char **argv)
{
	size_t mib = argc > 1 ? strtoul(argv[1], NULL, 10) : 64;
	uint64_t x = 0x9e3779b97f4a7c15ull, *w;
	div_len = mib << 20;
	div_buf = malloc(div_len);
	if (!div_buf)
		return 1;
	w = (uint64_t *)div_buf;
	for (size_t i = 0; i < div_len / 8; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		w[i] = x;
	}
	printf("buffer %zu MiB first %016llx\n", mib,
	       (unsigned long long)w[0]);
	checkpoint(div_buf, div_len);
	printf("done %d\n", div_buf[div_len - 1]);
	return 0;
}
