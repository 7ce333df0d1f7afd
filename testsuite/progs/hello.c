/* Prints one line.  add() and hello_global give debuggers something to
 * break on and to print. */

/* Code as written for debuggers: automake puts the user's CFLAGS (-O2 by
 * default) after the program's -O0. */
#ifndef __clang__
#pragma GCC optimize("O0")
#endif
#include <stdio.h>

int hello_global = 42;

int add(int a, int b);

__attribute__((noinline)) int add(int a, int b)
{
	return a + b;
}

int main(void)
{
	hello_global = add(hello_global, 1);
	printf("hello %d\n", hello_global);
	return 0;
}
