/* Signal handlers with timers: an interval timer (SIGALRM) counted in a
 * handler while the program sleeps in sigsuspend; a POSIX timer (SIGRTMIN)
 * with si_value checked in an SA_SIGINFO handler; a SIGSEGV caught from a
 * deliberate fault and skipped with siglongjmp. */
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

static volatile sig_atomic_t alarms, rt_ok, rt_count;
static sigjmp_buf env;
static int *volatile nowhere;

static void on_alarm(int sig) { (void)sig; alarms++; }

static void on_rt(int sig, siginfo_t *si, void *uc)
{
	(void)sig; (void)uc;
	rt_ok = si->si_code == SI_TIMER && si->si_value.sival_int == 42;
	rt_count++;
}

static void on_segv(int sig) { (void)sig; siglongjmp(env, 1); }

int main(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	sigaction(SIGALRM, &sa, NULL);
	sa.sa_handler = on_segv;
	sigaction(SIGSEGV, &sa, NULL);
	sa.sa_handler = NULL;
	sa.sa_sigaction = on_rt;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGRTMIN, &sa, NULL);

	sigset_t block, old;
	sigemptyset(&block);
	sigaddset(&block, SIGALRM);
	sigprocmask(SIG_BLOCK, &block, &old);
	struct itimerval it = { { 0, 5000 }, { 0, 5000 } };
	setitimer(ITIMER_REAL, &it, NULL);
	while (alarms < 5)
		sigsuspend(&old);
	struct itimerval off = { { 0, 0 }, { 0, 0 } };
	setitimer(ITIMER_REAL, &off, NULL);
	/* The timer kept running after the fifth alarm: an expiry before
	 * setitimer(off) (a preempted or traced program is late) left SIGALRM
	 * pending, and unblocking it would make a sixth.  Take it while it is
	 * still blocked. */
	struct timespec zero = { 0, 0 };
	sigtimedwait(&block, NULL, &zero);
	sigprocmask(SIG_SETMASK, &old, NULL);
	printf("alarms %d\n", (int)alarms);

	timer_t tid;
	struct sigevent sev;
	memset(&sev, 0, sizeof(sev));
	sev.sigev_notify = SIGEV_SIGNAL;
	sev.sigev_signo = SIGRTMIN;
	sev.sigev_value.sival_int = 42;
	timer_create(CLOCK_MONOTONIC, &sev, &tid);
	struct itimerspec ts = { { 0, 0 }, { 0, 2000000 } };
	timer_settime(tid, 0, &ts, NULL);
	while (!rt_count) {
		struct timespec nap = { 0, 1000000 };
		nanosleep(&nap, NULL);
	}
	timer_delete(tid);
	printf("posix timer %s\n", rt_ok ? "ok" : "bad siginfo");

	if (sigsetjmp(env, 1) == 0) {
		*nowhere = 1;
		printf("no fault?\n");
	} else {
		printf("caught SIGSEGV\n");
	}
	return 0;
}
