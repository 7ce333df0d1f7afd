/* Checkpoint memory (reverse.sh): each of 40 rounds rewrites an 8 MiB
 * buffer ten times (about 20 ms of work) and makes a system call, so
 * that the replay's automatic checkpoints each come to hold the buffer's
 * pages as the replay writes them again. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SIZE (8u << 20)

int main(void)
{
	unsigned char *buf = malloc(SIZE);
	unsigned long sum = 0;
	if (!buf)
		return 1;
	for (int round = 0; round < 40; round++) {
		for (int pass = 0; pass < 10; pass++)
			memset(buf, round + pass, SIZE);
		sum += buf[round * 4096] + (unsigned long)getppid() * 0;
	}
	printf("sum %lu\n", sum);
	free(buf);
	return 0;
}
