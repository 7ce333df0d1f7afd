/* SIGALRM from a one-shot ITIMER_REAL timer (20 ms) fires into a compute
 * loop without system calls, three rounds.  The loop (optimised, -O2)
 * only makes progress in memory: `counter++` on a volatile global until
 * the handler sets a flag, the case where the registers at two
 * iterations are the same.  The handler records where it interrupted:
 * rip (uc_mcontext.gregs[REG_RIP]), the counter, a hash of the
 * interrupted registers.  Checks per round: the handler ran once, inside
 * the loop's function, after the loop had counted, and the loop stopped
 * at most one iteration later.  Output convention: preempt_common.h; the
 * "v: round N handler rip" lines are also compared with what GDB reads
 * from the handler's ucontext in a replay
 * (testsuite/integration/preempt.sh).
 *
 * Each loop gives up after LOOP_CAP iterations (seconds) so that a
 * recorder that never delivers the signal inside it lets the program end
 * with "inside loop: no". */
#ifndef __clang__
#pragma GCC optimize("O0")
#endif
#include "preempt_common.h"

#include <signal.h>
#include <string.h>
#include <sys/time.h>

#define ROUNDS 3
#define LOOP_CAP 2000000000ull

static volatile sig_atomic_t fired;
static volatile uint64_t counter;

struct seen {
	int runs;
	uint64_t rip, counter, hash;
};
static struct seen seen[ROUNDS];
static volatile int round_now;

PREEMPT_SECTION_BOUNDS(preempt_alarm_loop);

void alarm_loop(uint64_t cap);
#ifndef __clang__
__attribute__((optimize("O2")))
#endif
PREEMPT_LOOP_FN(preempt_alarm_loop) void alarm_loop(uint64_t cap)
{
	while (!fired && counter < cap)
		counter++;
}

void on_alarm(int sig, siginfo_t *si, void *uc);
void on_alarm(int sig, siginfo_t *si, void *uc)
{
	ucontext_t *ctx = uc;
	struct seen *s = &seen[round_now];
	if (s->runs++ == 0) {
		s->rip = (uint64_t)ctx->uc_mcontext.gregs[REG_RIP];
		s->counter = counter;
		s->hash = preempt_hash_regs(ctx);
	}
	fired = 1;
}

int main(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_alarm;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, NULL);

	int ok = 1;
	uint64_t final[ROUNDS];
	for (int r = 0; r < ROUNDS; r++) {
		round_now = r;
		counter = 0;
		fired = 0;
		struct itimerval it = { { 0, 0 }, { 0, 20000 } };
		setitimer(ITIMER_REAL, &it, NULL);
		alarm_loop(LOOP_CAP);
		final[r] = counter;
		struct itimerval off = { { 0, 0 }, { 0, 0 } };
		setitimer(ITIMER_REAL, &off, NULL);
	}
	for (int r = 0; r < ROUNDS; r++) {
		struct seen *s = &seen[r];
		int ran = s->runs == 1;
		int inside = ran && PREEMPT_IN_SECTION(preempt_alarm_loop, s->rip);
		int started = ran && s->counter > 0;
		int stopped = ran && final[r] >= s->counter && final[r] - s->counter <= 1;
		printf("round %d: handler ran once: %s\n", r + 1, preempt_yesno(ran));
		printf("round %d: inside loop: %s\n", r + 1, preempt_yesno(inside));
		printf("round %d: loop had started counting: %s\n", r + 1, preempt_yesno(started));
		printf("round %d: loop stopped within one iteration of the handler: %s\n", r + 1,
		       preempt_yesno(stopped));
		ok = ok && ran && inside && started && stopped;
	}
	printf("v: loop %#llx-%#llx\n", (unsigned long long)(uintptr_t)__start_preempt_alarm_loop,
	       (unsigned long long)(uintptr_t)__stop_preempt_alarm_loop);
	for (int r = 0; r < ROUNDS; r++) {
		printf("v: round %d handler rip %#llx\n", r + 1, (unsigned long long)seen[r].rip);
		printf("v: round %d counter at signal %llu, at end %llu, registers hash %#018llx\n", r + 1,
		       (unsigned long long)seen[r].counter, (unsigned long long)final[r],
		       (unsigned long long)seen[r].hash);
	}
	printf("%s\n", ok ? "ok" : "FAILED");
	return ok ? 0 : 1;
}
