/* SIGUSR1 sent by one thread with tgkill into another thread that
 * computes in a loop without system calls (the loop's state is on the
 * stack and in a global: code as written, -O0).  The SA_SIGINFO handler
 * saves the interrupted rip (uc_mcontext.gregs[REG_RIP]), the loop
 * counter and a hash of the interrupted registers; the loop stops once
 * the handler has run.  Checks: the handler ran, in the computing
 * thread, for a tgkill from this process, with the rip inside the loop's
 * function, and the loop went on at most one iteration after it.
 * The rip, counter and hash are printed as "v:" lines (preempt_common.h):
 * they differ natively from run to run but must be equal in a replay
 * (testsuite/integration/preempt.sh also reads the handler's rip under
 * GDB and compares it with "v: handler rip").
 *
 * The loop gives up after LOOP_CAP iterations (several seconds) so that a
 * recorder that never delivers the signal inside it still lets the
 * program end, with "inside loop: no". */
#ifndef __clang__
#pragma GCC optimize("O0")
#endif
#include "preempt_common.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define LOOP_CAP 1500000000ull

static volatile sig_atomic_t got_signal;
static volatile int in_loop;
static volatile pid_t worker_tid;
static volatile uint64_t loop_counter;  /* the loop's counter, as it goes */
static uint64_t final_counter, final_acc;

/* What the handler saw. */
static int handler_runs;
static uint64_t sig_rip, sig_counter, sig_hash;
static int sig_code, sig_from_us, sig_in_worker;
static pthread_t worker_thread;

PREEMPT_SECTION_BOUNDS(preempt_tgkill_loop);

void compute_until_signaled(void);
PREEMPT_LOOP_FN(preempt_tgkill_loop) void compute_until_signaled(void)
{
	uint64_t i = 0, acc = 1;
	in_loop = 1;
	while (!got_signal && i < LOOP_CAP) {
		acc = acc * 6364136223846793005ull + i;
		i++;
		loop_counter = i;
	}
	final_counter = i;
	final_acc = acc;
}

void on_usr1(int sig, siginfo_t *si, void *uc);
void on_usr1(int sig, siginfo_t *si, void *uc)
{
	ucontext_t *ctx = uc;
	handler_runs++;
	sig_rip = (uint64_t)ctx->uc_mcontext.gregs[REG_RIP];
	sig_counter = loop_counter;
	sig_hash = preempt_hash_regs(ctx);
	sig_code = si->si_code;
	sig_from_us = si->si_pid == getpid();
	sig_in_worker = pthread_equal(pthread_self(), worker_thread);
	got_signal = 1;
}

static void *worker(void *arg)
{
	(void)arg;
	worker_tid = (pid_t)syscall(SYS_gettid);
	compute_until_signaled();
	return NULL;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

int main(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_usr1;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);

	int err = pthread_create(&worker_thread, NULL, worker, NULL);
	if (err != 0) {
		fprintf(stderr, "pthread_create: %s\n", strerror(err));
		return 1;
	}
	/* Wait (sleeping, not spinning) until the worker computes, then let
	 * it compute a little longer so that the signal lands mid-loop. */
	for (int i = 0; i < 10000 && !in_loop; i++)
		sleep_ms(1);
	sleep_ms(20);
	int sent = syscall(SYS_tgkill, getpid(), worker_tid, SIGUSR1) == 0;
	pthread_join(worker_thread, NULL);

	int ran = handler_runs == 1;
	int inside = ran && PREEMPT_IN_SECTION(preempt_tgkill_loop, sig_rip);
	int started = ran && sig_counter > 0;
	int stopped = ran && final_counter >= sig_counter && final_counter - sig_counter <= 1;
	printf("tgkill sent: %s\n", preempt_yesno(sent));
	printf("handler ran once: %s\n", preempt_yesno(ran));
	printf("signal: SIGUSR1 from tgkill of this process: %s\n",
	       preempt_yesno(ran && sig_code == SI_TKILL && sig_from_us));
	printf("handler ran in the computing thread: %s\n", preempt_yesno(ran && sig_in_worker));
	printf("inside loop: %s\n", preempt_yesno(inside));
	printf("loop had started counting: %s\n", preempt_yesno(started));
	printf("loop stopped within one iteration of the handler: %s\n", preempt_yesno(stopped));
	printf("v: handler rip %#llx (loop %#llx-%#llx)\n", (unsigned long long)sig_rip,
	       (unsigned long long)(uintptr_t)__start_preempt_tgkill_loop,
	       (unsigned long long)(uintptr_t)__stop_preempt_tgkill_loop);
	printf("v: counter at signal %llu, at end %llu, acc %#llx\n",
	       (unsigned long long)sig_counter, (unsigned long long)final_counter,
	       (unsigned long long)final_acc);
	printf("v: interrupted registers hash %#018llx\n", (unsigned long long)sig_hash);
	int ok = sent && ran && sig_code == SI_TKILL && sig_from_us && sig_in_worker && inside && started && stopped;
	printf("%s\n", ok ? "ok" : "FAILED");
	return ok ? 0 : 1;
}
