/* Busy-wait flags in threads that block every signal: the main thread
 * blocks all signals (pthread_sigmask) before it starts a worker, which
 * inherits the mask and blocks all signals again itself; then for 10
 * rounds the worker announces the round and busy-waits for the main
 * thread's answer, which busy-waits for the announcement.  No system
 * call while either waits.  A recorder that preempts with a signal of its
 * own cannot interrupt these threads: it needs PTRACE_INTERRUPT.  Output
 * convention: preempt_common.h. */
#include "preempt_common.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>

#define ROUNDS 10

static atomic_int announced;    /* round the worker is waiting in */
static atomic_int answered;     /* round the main thread answered */
static int worker_unblocked = -1;
static int main_unblocked = -1;
static int worker_rounds;

/* Signals left unblocked by a full mask; SIGKILL and SIGSTOP cannot be
 * blocked and glibc keeps its two internal signals (32, 33) out of any
 * mask it sets, so those are not counted. */
static int unblocked_signals(void)
{
	sigset_t cur;
	if (pthread_sigmask(SIG_SETMASK, NULL, &cur) != 0)
		return -1;
	int n = 0;
	for (int sig = 1; sig <= 64; sig++) {
		if (sig == SIGKILL || sig == SIGSTOP || sig == 32 || sig == 33)
			continue;
		if (!sigismember(&cur, sig))
			n++;
	}
	return n;
}

static int block_all(void)
{
	sigset_t all;
	sigfillset(&all);
	return pthread_sigmask(SIG_BLOCK, &all, NULL);
}

static void *worker(void *arg)
{
	(void)arg;
	block_all();
	worker_unblocked = unblocked_signals();
	for (int r = 1; r <= ROUNDS; r++) {
		atomic_store_explicit(&announced, r, memory_order_release);
		while (atomic_load_explicit(&answered, memory_order_acquire) != r)
			;
		worker_rounds++;
	}
	return NULL;
}

int main(void)
{
	if (block_all() != 0) {
		perror("pthread_sigmask");
		return 1;
	}
	main_unblocked = unblocked_signals();
	pthread_t t;
	int err = pthread_create(&t, NULL, worker, NULL);
	if (err != 0) {
		fprintf(stderr, "pthread_create: %s\n", strerror(err));
		return 1;
	}
	int rounds = 0;
	for (int r = 1; r <= ROUNDS; r++) {
		while (atomic_load_explicit(&announced, memory_order_acquire) != r)
			;
		atomic_store_explicit(&answered, r, memory_order_release);
		rounds++;
	}
	pthread_join(t, NULL);
	printf("rounds: main %d, worker %d\n", rounds, worker_rounds);
	printf("all signals blocked in the main thread: %s\n", preempt_yesno(main_unblocked == 0));
	printf("all signals blocked in the worker: %s\n", preempt_yesno(worker_unblocked == 0));
	int ok = rounds == ROUNDS && worker_rounds == ROUNDS && main_unblocked == 0 && worker_unblocked == 0;
	printf("%s\n", ok ? "ok" : "FAILED");
	return ok ? 0 : 1;
}
