/* The replay's timeline: positions, checkpoints and reverse execution.
 *
 * Without a PMU there are no tick counts to name a moment of a replay.
 * The timeline names a position by the event it follows and the moves
 * that reached it from there (docs/reverse.md): "after event E, the n-th
 * arrival at address X, then k single steps of thread T".  Every such
 * name is exact, because replay between two events is deterministic.
 * Going backwards is going forwards again from an earlier checkpoint (or
 * the start) to just before the present, remembering the last moment a
 * breakpoint or watchpoint would have stopped, and seeking to it.
 *
 * The timeline drives the replayer for every forward and backward move
 * of a debugging session, so that it always knows where the replay is.
 * It knows nothing of RSP. */
#ifndef XRR_REPLAY_TIMELINE_H
#define XRR_REPLAY_TIMELINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "replay/replayer.h"

struct timeline;

/* Is a breakpoint hit of thread tid at pc one the debugger wants to see
 * (its condition true)?  NULL: every hit is. */
typedef bool (*timeline_filter)(void *ctx, pid_t tid, uint64_t pc);

enum timeline_bp {
	TIMELINE_BREAK,         /* software breakpoint (int3) */
	TIMELINE_WATCH,         /* write watchpoint */
	TIMELINE_RWATCH,        /* read watchpoint */
	TIMELINE_AWATCH,        /* access watchpoint */
};

struct timeline *timeline_open(struct replayer *r, char *err, size_t errlen);
void timeline_close(struct timeline *tl);
void timeline_set_filter(struct timeline *tl, timeline_filter fn, void *ctx);
/* The user's echo setting (replay output shown when running forward). */
void timeline_set_echo(struct timeline *tl, bool on);

/* Breakpoints and watchpoints of the debugger, kept across seeks.
 * 0, or -errno. */
int timeline_insert(struct timeline *tl, enum timeline_bp type,
		    uint64_t addr, uint64_t len);
int timeline_remove(struct timeline *tl, enum timeline_bp type,
		    uint64_t addr, uint64_t len);

/* Forward: continue, or one instruction of tid. */
int timeline_resume(struct timeline *tl, bool step, pid_t tid,
		    struct replay_stop *stop, int interrupt_fd);
/* Backward: to the previous visible stop (REPLAY_STOP_BREAKPOINT,
 * WATCH with the state before the writing instruction, SIGNAL), or
 * un-execute one instruction of tid (REPLAY_STOP_STEP).  At the start of
 * the replay: REPLAY_STOP_EVENT with event == the start and begin set. */
int timeline_reverse(struct timeline *tl, bool step, pid_t tid,
		     struct replay_stop *stop, bool *begin, int interrupt_fd);
/* Go to the moment event `event` is next (backwards through the nearest
 * checkpoint).  0, or -1 with err. */
int timeline_goto(struct timeline *tl, uint64_t event,
		  struct replay_stop *stop, char *err, size_t errlen);
/* Back to the start (GDB's run). */
int timeline_restart(struct timeline *tl, char *err, size_t errlen);

/* User checkpoints (monitor checkpoint ...): console text to out. */
int timeline_checkpoint(struct timeline *tl, const char *name, FILE *out);
int timeline_checkpoints(struct timeline *tl, FILE *out);
int timeline_restart_checkpoint(struct timeline *tl, const char *which,
				struct replay_stop *stop, FILE *out);
int timeline_delete_checkpoint(struct timeline *tl, const char *which,
			       FILE *out);
/* The current position in words ("event 12, 3rd arrival at 0x401136"). */
void timeline_describe(struct timeline *tl, char *out, size_t len);

/* Counters for tests and benchmarks. */
struct timeline_stats {
	uint64_t seeks, restores, restarts, steps, scans;
	uint64_t checkpoints_made, checkpoints_live, checkpoint_bytes;
};
void timeline_stats(const struct timeline *tl, struct timeline_stats *out);

#endif
