/* A profiling timer in a compute-bound loop: ITIMER_PROF every 2 ms of
 * CPU time while a loop without system calls runs for about 0.3 s
 * (argv[1] scales the work: iterations in millions, default 280).
 *
 * The loop is written in assembly so that its state is in known
 * registers at every instruction: counter i in r8, accumulator acc in
 * r9 (acc = seed + 0 + 1 + ... + (i-1)), a mixed value in r10.  The
 * SIGPROF handler reads them from its ucontext together with the
 * interrupted rip, counts the signal as inside the loop (rip between
 * the loop's first and last instruction) or outside it, checks that
 * acc is what it must be at that rip for that i, and hashes rip, i, acc
 * and every general register.  Deterministic checks: the loop's
 * results, at least 10 signals delivered, most of them (>= 80%) inside
 * the loop ("inside: most", else "inside: few INSIDE/ALL"), the loop's
 * state consistent at every signal.  The counts, first rip and hash are
 * "v:" lines (preempt_common.h). */
#ifndef __clang__
#pragma GCC optimize("O0")
#endif
#include "preempt_common.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#define SEED 0x0123456789abcdefull

/* uint64_t sigprof_loop(uint64_t n, uint64_t seed, uint64_t out[2]):
 * returns n; out[0] = acc, out[1] = mix. */
__asm__(
	"	.pushsection preempt_sigprof_loop,\"ax\",@progbits\n"
	"	.globl	sigprof_loop\n"
	"	.hidden	sigprof_loop\n"
	"	.type	sigprof_loop, @function\n"
	"sigprof_loop:\n"
	"	.cfi_startproc\n"
	"	xorl	%r8d, %r8d\n"                   /* i = 0 */
	"	movq	%rsi, %r9\n"                    /* acc = seed */
	"	movq	%rsi, %r10\n"                   /* mix = seed */
	"	movabsq	$0x9e3779b97f4a7c15, %r11\n"
	"	testq	%rdi, %rdi\n"
	"	je	sigprof_loop_end\n"
	"	.globl	sigprof_loop_top\n"
	"	.hidden	sigprof_loop_top\n"
	"sigprof_loop_top:\n"                           /* acc = seed + i(i-1)/2 */
	"	addq	%r8, %r9\n"
	"	.globl	sigprof_loop_added\n"
	"	.hidden	sigprof_loop_added\n"
	"sigprof_loop_added:\n"                         /* acc = seed + i(i+1)/2 */
	"	imulq	%r11, %r10\n"
	"	xorq	%r9, %r10\n"
	"	incq	%r8\n"
	"	.globl	sigprof_loop_incd\n"
	"	.hidden	sigprof_loop_incd\n"
	"sigprof_loop_incd:\n"                          /* acc = seed + i(i-1)/2 */
	"	cmpq	%rdi, %r8\n"
	"	jb	sigprof_loop_top\n"
	"	.globl	sigprof_loop_end\n"
	"	.hidden	sigprof_loop_end\n"
	"sigprof_loop_end:\n"
	"	movq	%r9, (%rdx)\n"
	"	movq	%r10, 8(%rdx)\n"
	"	movq	%r8, %rax\n"
	"	ret\n"
	"	.cfi_endproc\n"
	"	.size	sigprof_loop, .-sigprof_loop\n"
	"	.popsection\n");

uint64_t sigprof_loop(uint64_t n, uint64_t seed, uint64_t out[2]);
extern const char sigprof_loop_top[] __attribute__((visibility("hidden")));
extern const char sigprof_loop_added[] __attribute__((visibility("hidden")));
extern const char sigprof_loop_incd[] __attribute__((visibility("hidden")));
extern const char sigprof_loop_end[] __attribute__((visibility("hidden")));

static volatile int nsig, inside, bad_state;
static uint64_t first_rip, first_counter, hash = 0x510e527fade682d1ull;

static uint64_t acc_before(uint64_t i) { return SEED + (i * (i - 1)) / 2; }
static uint64_t acc_after(uint64_t i) { return SEED + (i * (i + 1)) / 2; }

void on_prof(int sig, siginfo_t *si, void *uc);
void on_prof(int sig, siginfo_t *si, void *uc)
{
	ucontext_t *ctx = uc;
	uint64_t rip = (uint64_t)ctx->uc_mcontext.gregs[REG_RIP];
	uint64_t i = (uint64_t)ctx->uc_mcontext.gregs[REG_R8];
	uint64_t acc = (uint64_t)ctx->uc_mcontext.gregs[REG_R9];
	uintptr_t top = (uintptr_t)sigprof_loop_top, added = (uintptr_t)sigprof_loop_added;
	uintptr_t incd = (uintptr_t)sigprof_loop_incd, end = (uintptr_t)sigprof_loop_end;
	if (rip >= top && rip < end) {
		inside++;
		uint64_t want = rip >= added && rip < incd ? acc_after(i) : acc_before(i);
		if (acc != want)
			bad_state++;
	}
	if (nsig++ == 0) {
		first_rip = rip;
		first_counter = i;
	}
	hash = preempt_mix(hash, rip);
	hash = preempt_mix(hash, i);
	hash = preempt_mix(hash, acc);
	hash = preempt_mix(hash, preempt_hash_regs(ctx));
}

int main(int argc, char **argv)
{
	uint64_t millions = argc > 1 ? strtoull(argv[1], NULL, 0) : 280;
	uint64_t n = millions * 1000000ull;

	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_prof;
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGPROF, &sa, NULL);

	uint64_t out[2];
	struct itimerval it = { { 0, 2000 }, { 0, 2000 } };
	setitimer(ITIMER_PROF, &it, NULL);
	uint64_t done = sigprof_loop(n, SEED, out);
	struct itimerval off = { { 0, 0 }, { 0, 0 } };
	setitimer(ITIMER_PROF, &off, NULL);

	int all = nsig, in = inside, bad = bad_state;
	int result_ok = done == n && out[0] == acc_before(n);
	int enough = all >= 10;
	int most = all > 0 && in * 5 >= all * 4;
	printf("iterations: %llu\n", (unsigned long long)done);
	printf("acc: %#llx (closed form: %s)\n", (unsigned long long)out[0], preempt_yesno(result_ok));
	printf("mix: %#llx\n", (unsigned long long)out[1]);
	if (enough)
		printf("signals delivered: at least 10\n");
	else
		printf("signals delivered: only %d\n", all);
	if (most)
		printf("inside: most\n");
	else
		printf("inside: few %d/%d\n", in, all);
	printf("loop state consistent at every signal: %s\n", preempt_yesno(bad == 0));
	printf("v: signals %d, inside the loop %d, outside it %d\n", all, in, all - in);
	printf("v: first handler rip %#llx counter %llu (loop %#llx-%#llx)\n",
	       (unsigned long long)first_rip, (unsigned long long)first_counter,
	       (unsigned long long)(uintptr_t)sigprof_loop_top,
	       (unsigned long long)(uintptr_t)sigprof_loop_end);
	printf("v: hash of interrupted rip, loop state and registers %#018llx\n", (unsigned long long)hash);
	int ok = result_ok && enough && most && bad == 0;
	printf("%s\n", ok ? "ok" : "FAILED");
	return ok ? 0 : 1;
}
