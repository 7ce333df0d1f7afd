/* A loop for the target-side breakpoint-condition tests
 * (testsuite/integration/cond-gdb.sh): visit() is called with i = 0..99
 * and counts its calls in a global, so conditions can test a local of
 * main (i), a global (cond_calls) or a register ($rdi at visit's entry).
 * Prints what it counted so a test sees the program ran to the end. */

/* Code as written for debuggers: automake puts the user's CFLAGS (-O2 by
 * default) after the program's -O0. */
#ifndef __clang__
#pragma GCC optimize("O0")
#endif
#include <stdio.h>

volatile int cond_calls;
long cond_sum;

void visit(int i);

__attribute__((noinline)) void visit(int i)
{
	cond_calls++;
	cond_sum += i;
}

int main(void)
{
	for (int i = 0; i < 100; i++)
		visit(i);               /* line CALL */
	printf("cond_loop %d %ld\n", cond_calls, cond_sum);
	return 0;
}
