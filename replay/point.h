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
