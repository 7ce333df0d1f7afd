/* Reverse execution through a signal handler (reverse.sh): SIGUSR1
 * raised each round, its handler changes a global.  -O0. */

/* Code as written for debuggers: automake puts the user's CFLAGS (-O2 by
 * default) after the program's -O0. */
#ifndef __clang__
#pragma GCC optimize("O0")
#endif
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

volatile long handled;

void on_usr1(int sig)
{
	handled += sig;        /* line HANDLER */
}

int main(void)
{
	signal(SIGUSR1, on_usr1);
	for (int i = 0; i < 5; i++) {
		raise(SIGUSR1);
		handled *= 2;   /* line AFTER */
	}
	printf("handled %ld\n", handled);
	return 0;
}
