/* Sends itself SIGUSR1 three times and lets an interval timer deliver
 * SIGALRM three times; prints how many of each the handlers saw; exits 1 unless 3 and 3. */

/* Code as written for debuggers: automake puts the user's CFLAGS (-O2 by
 * default) after the program's -O0. */
#ifndef __clang__
#pragma GCC optimize("O0")
#endif
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

static volatile sig_atomic_t usr1_count;
static volatile sig_atomic_t alrm_count;

static void on_usr1(int sig)
{
	(void)sig;
	usr1_count++;
}

static void on_alrm(int sig)
{
	(void)sig;
	alrm_count++;
}

int main(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr1;
	sigaction(SIGUSR1, &sa, NULL);
	sa.sa_handler = on_alrm;
	sigaction(SIGALRM, &sa, NULL);

	for (int i = 0; i < 3; i++)
		raise(SIGUSR1);

	struct itimerval it = { { 0, 10000 }, { 0, 10000 } };
	setitimer(ITIMER_REAL, &it, NULL);
	while (alrm_count < 3)
		pause();
	it = (struct itimerval){ { 0, 0 }, { 0, 0 } };
	setitimer(ITIMER_REAL, &it, NULL);

	printf("usr1 %d alrm %d\n", (int)usr1_count, (int)alrm_count);
	return usr1_count == 3 && alrm_count == 3 ? 0 : 1;
}
