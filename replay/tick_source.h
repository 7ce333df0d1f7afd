/* Where "ticks" (a deterministic progress count inside a thread) come from.
 *
 * The seam for a PMU: every event record carries a ticks field.  With the
 * source "none" it is always 0, and the only points replay can find again
 * are system calls, trapped instructions and synchronous signals; so the
 * recorder switches threads and delivers asynchronous signals only there.
 * A PMU source (retired conditional branches through perf_event_open,
 * where the machine has one) would implement these operations and let the
 * recorder also preempt a thread at a tick count (interrupt_after), which
 * is what rr does. */
#ifndef XRR_REPLAY_TICK_SOURCE_H
#define XRR_REPLAY_TICK_SOURCE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct tick_source_ops {
	const char *name;               /* recorded in the header */
	/* Start counting for a new thread; 0 or -errno. */
	int (*attach)(void *state, pid_t tid);
	void (*detach)(void *state, pid_t tid);
	/* Ticks of tid so far (0 without a counter). */
	uint64_t (*read)(void *state, pid_t tid);
	/* Ask for a stop after `ticks` more; false: this source cannot
	 * interrupt (then threads switch only at system calls). */
	bool (*interrupt_after)(void *state, pid_t tid, uint64_t ticks);
};

/* The source this machine supports.  Only "none" exists so far. */
const struct tick_source_ops *tick_source_select(void);

#endif
