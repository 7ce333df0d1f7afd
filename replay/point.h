/* Points in user code named by state (docs/preemption.md): what the
 * recorder and the replayer both need to agree on when a thread is "at"
 * a recorded EV_POINT.  Pure functions; no ptrace. */
#ifndef XRR_REPLAY_POINT_H
#define XRR_REPLAY_POINT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/user.h>

#include "replay/trace_events.h"

/* Hash of the x87 and SSE registers (st0-7, xmm0-15, mxcsr): loops whose
 * only progress is in a vector register still name distinct points. */
uint64_t point_fp_hash(const struct user_fpregs_struct *fp);

/* Registers that name the point: rip, rsp and every general register,
 * fs/gs base.  Not eflags (a breakpoint stop adds RF; rr leaves flags
 * out too: they are undefined after some instructions), not orig_rax
 * (-1 in user code, whatever stop reported it), not the selectors. */
bool point_regs_match(const struct user_regs_struct *want,
		      const struct user_regs_struct *have);
/* The same, leaving out the general registers in `skip` (bit i: the
 * i-th of rax rbx rcx rdx rsi rdi rbp rsp r8-r15, point_patch.h's
 * enum point_gpr order). */
bool point_regs_match_except(const struct user_regs_struct *want,
			     const struct user_regs_struct *have,
			     uint16_t skip);
/* The general registers of g in that order. */
void point_gprs(const struct user_regs_struct *g, uint64_t out[16]);
/* Which of g's general registers hold a time-stamp counter value read
 * in the last minute or so, given the counter now: where rdtsc is not
 * trapped, replay reads other values, so such a register cannot name
 * the point (ld.so keeps its start time in one for a while). */
uint16_t point_tsc_regs(const struct user_regs_struct *g, uint64_t tsc_now);

/* A set of memory ranges, merged as they are added, up to the limits of
 * an EV_POINT (POINT_MAX_RANGES, POINT_MAX_BYTES).  Ranges that do not
 * fit are left out and counted: the signature is then weaker, not
 * wrong, and the next event still checks the schedule. */
struct point_range_set {
	struct point_range r[POINT_MAX_RANGES];
	size_t n;
	size_t bytes;
	size_t dropped;
};
void point_ranges_add(struct point_range_set *s, uint64_t addr, uint64_t len);

#endif
