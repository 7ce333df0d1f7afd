/* Seam for an in-process syscall buffer (a later issue).
 *
 * Stopping at every syscall costs two ptrace stops (~80 us here).  rr
 * avoids most of them with a preloaded library that performs common
 * syscalls itself and logs {number, args, result, bytes written} into a
 * buffer shared with the recorder.  When that exists here, the recorder
 * drains the buffer at each ptrace stop of the thread, before handling the
 * stop, through syscallbuf_flush(): each buffered call becomes an ordinary
 * EV_SYSCALL (so the replayer needs no new event kind) in the order the
 * thread made them.  Today no buffer exists and the flush is empty. */
#ifndef XRR_REPLAY_SYSCALLBUF_H
#define XRR_REPLAY_SYSCALLBUF_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "replay/syscalls.h"

/* One syscall performed in the tracee without a ptrace stop. */
struct syscallbuf_entry {
	int64_t number;
	uint64_t args[SC_MAX_ARGS];
	int64_t result;
	const struct sc_region *writes; /* regions the call wrote */
	size_t nwrites;
	const uint8_t *bytes;           /* their bytes, concatenated */
};

/* The recorder's sink: record one buffered syscall of tid as an event. */
typedef int (*syscallbuf_record_fn)(void *recorder, pid_t tid,
				    const struct syscallbuf_entry *e);

/* Drain tid's buffer in order.  Returns the number of entries recorded or
 * -1.  Without a buffer (now) it records nothing and returns 0. */
int syscallbuf_flush(pid_t tid, syscallbuf_record_fn record, void *recorder);

#endif
