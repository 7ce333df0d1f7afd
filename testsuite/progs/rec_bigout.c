/* Large output: argv[1] MiB (default 16) of numbered lines to stdout. */
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
	long mib = argc > 1 ? atol(argv[1]) : 16;
	long bytes = 0, line = 0;
	while (bytes < mib << 20)
		bytes += printf("%08ld the quick brown fox jumps over the lazy dog\n", line++);
	return 0;
}
