/* Checkpoint memory (reverse.sh): each of 160 rounds rewrites a 32 MiB
 * buffer four times (10-20 ms of work) and makes a system call, so
 * that the replay's automatic checkpoints each come to hold the buffer's
 * pages as the replay writes them again. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SIZE (32u << 20)

int main(void)
{
	unsigned char *buf = malloc(SIZE);
	volatile unsigned long sum = 0;
	if (!buf)
		return 1;
	for (int round = 0; round < 160; round++) {
		for (int pass = 0; pass < 4; pass++) {
			memset(buf, round + pass, SIZE);
			/* The compiler must not drop stores it can see past. */
			__asm__ volatile("" : : "r"(buf) : "memory");
			sum += buf[(round * 4096 + pass) % SIZE];
		}
		sum += (unsigned long)getppid() * 0;
	}
	printf("sum %lu\n", (unsigned long)sum);
	free(buf);
	return 0;
}
