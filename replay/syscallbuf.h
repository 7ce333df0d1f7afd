/* The in-process syscall buffer, seen from xrr (docs/syscallbuf.md).
 *
 * Recorded programs get syscallbuf/xrr-preload.so, which makes common
 * system calls itself, without ptrace stops, and appends a record of
 * each (result and the bytes the kernel wrote) to a buffer of its thread
 * (layout: syscallbuf/syscallbuf_abi.h).  This module is what the
 * recorder and the replayer do with those buffers:
 *
 *   recorder, at every ptrace stop of a thread with a buffer:
 *       syscallbuf_collect: the records since the last stop, as an
 *       EV_SYSCALLBUF, and marks them taken (header.flushed);
 *   recorder, at the library's XRR_SYS_SB_REGISTER:
 *       syscallbuf_check_buffer, syscallbuf_set_mode(RECORD);
 *   replayer, at an EV_SYSCALLBUF (the thread has not run them yet):
 *       syscallbuf_prefill: the records back at their offsets;
 *   replayer after restoring an address space, diversions:
 *       syscallbuf_set_mode(REPLAY / OFF);
 *   both, to read a flushed batch (dump, the descriptor model):
 *       syscallbuf_next_record. */
#ifndef XRR_REPLAY_SYSCALLBUF_H
#define XRR_REPLAY_SYSCALLBUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "replay/syscalls.h"
#include "replay/task.h"
#include "replay/trace_events.h"
#include "syscallbuf/syscallbuf_abi.h"

/* The preload library's file: $XRR_PRELOAD, else next to the running
 * xrr (build tree: syscallbuf/xrr-preload.so), else the installed
 * pkglibdir copy (replay/install_paths.h).  0 and the path in buf, or
 * -1 with a message. */
int syscallbuf_find_library(char *buf, size_t size, char *err, size_t errlen);

/* Is there a valid buffer header at `buffer` in p?  0, or -1 with why. */
int syscallbuf_check_buffer(struct process *p, uint64_t buffer, uint64_t size,
			    char *err, size_t errlen);

/* The control page's mode (XRR_SB_MODE_*), or -1 when p has none. */
int syscallbuf_get_mode(struct process *p);
/* Set the library's mode in p's control page (XRR_SB_MODE_*).  0 when
 * p has no control page (no library: nothing to do), -1 on error. */
int syscallbuf_set_mode(struct process *p, unsigned mode);

/* Write this process's (the recorder's) stdout and stderr identities
 * into p's control page: the library keeps large writes to them on the
 * ptrace path.  The caller records the control page as the
 * registration's memory effect, so replay has the same values.  0, or
 * -1 with errno. */
int syscallbuf_set_terminal(struct process *p);

/* Is a buffered call in progress in the buffer (a stop inside the
 * library's critical section)?  false when unreadable. */
bool syscallbuf_locked(struct process *p, uint64_t buffer);

/* Take the records added since the last collect.  force: the thread
 * stopped inside the library, and its next buffered call is to make a
 * syscall stop first (header.force_seq, recorded in *out too).  1: *out
 * filled (its records are this module's, valid until the next collect:
 * do not free them), 0: nothing new, -1: the buffer is damaged or
 * unreadable (message in err). */
int syscallbuf_collect(struct process *p, uint64_t buffer, bool force,
		       struct ev_syscallbuf *out, char *err, size_t errlen);

/* Replay: put sb's records back into p's buffer.  0 or -1 with err. */
int syscallbuf_prefill(struct process *p, const struct ev_syscallbuf *sb,
		       char *err, size_t errlen);

/* Iterate sb's records: *pos starts at 0.  1: *rec and its output bytes
 * (*data, *ndata) filled, 0: no more, -1: malformed. */
int syscallbuf_next_record(const struct ev_syscallbuf *sb, size_t *pos,
			   struct xrr_sb_record *rec, const uint8_t **data,
			   size_t *ndata);

/* How the recorder records the library's private calls: emulated in
 * replay (the recorded result), no memory effects. */
extern const struct syscall_desc syscallbuf_private_desc;

/* The private syscall numbers of the library. */
static inline bool syscallbuf_private_nr(long nr)
{
	return nr == XRR_SYS_SB_REGISTER || nr == XRR_SYS_SB_FLUSH ||
	       nr == XRR_SYS_SB_WAIT;
}

#endif
