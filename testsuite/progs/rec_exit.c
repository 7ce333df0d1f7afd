/* Ends as told: "code N" exits with N, "signal N" dies by signal N,
 * "segv" faults without a handler. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int *volatile nowhere;

int main(int argc, char **argv)
{
	if (argc > 2 && strcmp(argv[1], "code") == 0)
		return atoi(argv[2]);
	if (argc > 2 && strcmp(argv[1], "signal") == 0) {
		signal(atoi(argv[2]), SIG_DFL);
		raise(atoi(argv[2]));
	}
	if (argc > 1 && strcmp(argv[1], "segv") == 0)
		*nowhere = 1;
	return 0;
}
