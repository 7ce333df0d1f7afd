/* Shared by the preempt_* programs (testsuite/integration/preempt.sh,
 * testsuite/bench/preempt-bench.sh): threads that wait for each other by
 * spinning, and asynchronous signals that land in loops without system
 * calls.
 *
 * Output convention: a line that starts with "v: " carries a value that
 * may differ from one native run to the next (an address under ASLR, a
 * count that depends on timing, a hash of interrupted registers) but must
 * be equal between a recording and its replay.  Every other line is
 * deterministic: the same in every native run and under `xrr record`.
 * The tests compare native and recorded output without the "v: " lines,
 * and recorded and replayed output in full.
 *
 * The programs exit 0 when their checks pass and 1 otherwise; the output
 * says which check failed. */
#ifndef XRR_TESTSUITE_PREEMPT_COMMON_H
#define XRR_TESTSUITE_PREEMPT_COMMON_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdint.h>
#include <stdio.h>
#include <ucontext.h>

/* A function whose code is alone in section SECT, so that the linker's
 * __start_SECT and __stop_SECT bound it: "was the interrupted rip inside
 * the loop" is then a comparison with two addresses, whatever the
 * compiler did to the loop.  Not inlined or cloned (a copy elsewhere
 * would be outside the bounds). */
#if defined(__clang__)
#define PREEMPT_LOOP_FN(sect) __attribute__((noinline, used, section(#sect)))
#else
#define PREEMPT_LOOP_FN(sect) __attribute__((noinline, noclone, used, section(#sect)))
#endif
#define PREEMPT_SECTION_BOUNDS(sect)                                              \
	extern const char __start_##sect[] __attribute__((visibility("hidden"))); \
	extern const char __stop_##sect[] __attribute__((visibility("hidden")))
#define PREEMPT_IN_SECTION(sect, rip)                           \
	((uintptr_t)(rip) >= (uintptr_t)__start_##sect && \
	 (uintptr_t)(rip) < (uintptr_t)__stop_##sect)

static inline uint64_t preempt_mix(uint64_t h, uint64_t v)
{
	/* splitmix64's finaliser over (h ^ v): cheap, async-signal-safe. */
	uint64_t z = h ^ v;
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* Hash of where an interrupted context was: rip, rsp and the general
 * registers.  Not eflags (a debugger's breakpoint stop may leave RF in
 * the saved flags), not err/trapno/cr2 (they describe the kernel's last
 * trap of the thread, which a debugger's own traps change), not the
 * segment selectors.  Equal in a recording and its replay when the
 * signal is delivered at the same point. */
static inline uint64_t preempt_hash_regs(const ucontext_t *uc)
{
	static const int regs[] = {
		REG_R8, REG_R9, REG_R10, REG_R11, REG_R12, REG_R13, REG_R14,
		REG_R15, REG_RDI, REG_RSI, REG_RBP, REG_RBX, REG_RDX, REG_RAX,
		REG_RCX, REG_RSP, REG_RIP,
	};
	uint64_t h = 0x6a09e667f3bcc908ull;
	for (unsigned i = 0; i < sizeof(regs) / sizeof(regs[0]); i++)
		h = preempt_mix(h, (uint64_t)uc->uc_mcontext.gregs[regs[i]]);
	return h;
}

static inline const char *preempt_yesno(int b) { return b ? "yes" : "no"; }

/* The lock programs' report: the counter, each thread's share, and
 * whether two threads were ever inside at once.  The exit status. */
static inline int preempt_lock_report(long counter, const long *per_thread,
				      int nthreads, long iterations,
				      long violations)
{
	printf("counter: %ld\n", counter);
	printf("per thread:");
	for (int i = 0; i < nthreads; i++)
		printf(" %ld", per_thread[i]);
	printf("\n");
	printf("mutual exclusion violations: %ld\n", violations);
	int ok = counter == nthreads * iterations && violations == 0;
	for (int i = 0; i < nthreads; i++)
		ok = ok && per_thread[i] == iterations;
	printf("%s\n", ok ? "ok" : "FAILED");
	return ok ? 0 : 1;
}

#endif
