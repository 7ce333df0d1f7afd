/* Writes watched_counter with known values (1, 2, 4, 8, 16) for
 * watchpoint tests, then prints it. */

/* Code as written for debuggers: automake puts the user's CFLAGS (-O2 by
 * default) after the program's -O0. */
#ifndef __clang__
#pragma GCC optimize("O0")
#endif
#include <stdio.h>

volatile long watched_counter;

int main(void)
{
	for (int i = 0; i < 5; i++)
		watched_counter = 1L << i;
	printf("watched_counter %ld\n", watched_counter);
	return 0;
}
