/* Exits with the status in argv[1], or dies by the signal given with
 * "--signal N". */

/* Code as written for debuggers: automake puts the user's CFLAGS (-O2 by
 * default) after the program's -O0. */
#ifndef __clang__
#pragma GCC optimize("O0")
#endif
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc > 2 && strcmp(argv[1], "--signal") == 0) {
		int sig = atoi(argv[2]);
		signal(sig, SIG_DFL);
		kill(getpid(), sig);
		pause();
		return 126;
	}
	return argc > 1 ? atoi(argv[1]) : 0;
}
