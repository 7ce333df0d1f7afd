/* Runs for argv[1] seconds (default 30), printing a line every 10 ms:
 * something to kill while it is being recorded. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

int main(int argc, char **argv)
{
	int secs = argc > 1 ? atoi(argv[1]) : 30;
	for (int i = 0; i < secs * 100; i++) {
		printf("tick %d\n", i);
		fflush(stdout);
		struct timespec nap = { 0, 10 * 1000 * 1000 };
		nanosleep(&nap, NULL);
	}
	return 0;
}
