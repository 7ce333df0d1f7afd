/* Reverse execution across threads (testsuite/integration/reverse.sh):
 * two threads each change their own global through a function, with a
 * system call each round.  -O0. */

/* Code as written for debuggers: automake puts the user's CFLAGS (-O2 by
 * default) after the program's -O0. */
#ifndef __clang__
#pragma GCC optimize("O0")
#endif
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

long left_value, right_value;

void set_left(long v) { left_value = v; }
void set_right(long v) { right_value = v; }

static void *right(void *arg)
{
	for (long i = 1; i <= 20; i++) {
		set_right(i * 7);
		getppid();
	}
	return arg;
}

int main(void)
{
	pthread_t t;
	pthread_create(&t, NULL, right, NULL);
	for (long i = 1; i <= 20; i++) {
		set_left(i * 5);
		getppid();
	}
	pthread_join(t, NULL);
	printf("left %ld right %ld\n", left_value, right_value);
	return 0;
}
