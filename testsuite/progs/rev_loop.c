/* Reverse-execution test program (testsuite/integration/reverse.sh): a
 * loop that changes a global through a function, with a system call
 * every ten rounds and a buffer filled by read().  Built -O0 so GDB sees
 * every variable.  Prints what it computed so the test can compare GDB's
 * values with the program's own. */

/* Code as written for debuggers: automake puts the user's CFLAGS (-O2 by
 * default) after the program's -O0. */
#ifndef __clang__
#pragma GCC optimize("O0")
#endif
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

long counter;                   /* changed by bump() every round */
long history[64];               /* counter after each round */
char filled[32];                /* written by read() */
static int calls;

long bump(long round)
{
	calls++;
	counter = counter * 3 + round;  /* line BUMP */
	counter %= 100003;
	return counter;
}

static void checkpoint_syscall(int round)
{
	int fd = open("/proc/self/stat", O_RDONLY);   /* a syscall every 10 */
	if (fd >= 0) {
		ssize_t n = read(fd, filled, sizeof(filled) - 1);
		if (n > 0)
			filled[n] = 0;
		close(fd);
	}
	(void)round;
}

int main(void)
{
	long sum = 0, *heap = calloc(1, sizeof(long)); /* stack, heap */

	for (int round = 0; round < 50; round++) {
		sum += bump(round);             /* line CALL */
		history[round] = counter; *heap += counter;
		if (round % 10 == 9)
			checkpoint_syscall(round);
	}
	for (int round = 0; round < 50; round++)
		printf("round %d counter %ld\n", round, history[round]);
	printf("calls %d sum %ld filled %.4s heap %ld\n", calls, sum, filled,
	       *heap);
	free(heap);
	return 0;
}
