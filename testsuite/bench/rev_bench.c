/* The program of testsuite/bench/reverse-bench.sh: ROUNDS rounds (argv[1],
 * default 20000) of a few hundred instructions each with one system call
 * (an event), mark() every 100 rounds (the breakpoint of the benchmark),
 * and `flag` (flag_page.v) written once, in the middle (the watchpoint's trigger, half
 * the rounds before the end). */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

volatile long g;
/* The watched variable on a page of its own: a watchpoint by page
 * protection then stops only for it, not for g's writes (which a
 * watch on g's page would make cost a fault each: docs/reverse.md). */
volatile struct {
	long v;
	char pad[4096 - sizeof(long)];
} flag_page __attribute__((aligned(4096)));
#define flag flag_page.v

__attribute__((noinline)) void mark(long round)
{
	g += round;
}

int main(int argc, char **argv)
{
	long rounds = argc > 1 ? atol(argv[1]) : 20000;
	for (long r = 0; r < rounds; r++) {
		g = g * 7 + r;
		for (int k = 0; k < 50; k++)
			g ^= g >> 3;
		if (r % 100 == 0)
			mark(r);
		if (r == rounds / 2)
			flag = r;
		getppid();
	}
	printf("g %ld flag %ld\n", g, flag);
	return 0;
}
