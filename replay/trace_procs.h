/* The processes of a trace, from its events stream: who forked whom,
 * when each exec'd and ended, its command line.  For `xrr ps`, for
 * `xrr replay -p/-f PID` (where to start) and for tests. */
#ifndef XRR_REPLAY_TRACE_PROCS_H
#define XRR_REPLAY_TRACE_PROCS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "replay/trace.h"

#define TRACE_NO_EVENT UINT64_MAX

struct trace_proc {
	pid_t pid;              /* recorded pid */
	pid_t ppid;             /* recorded parent, 0 for the first */
	/* Its pid in its own pid namespace (EV_FORK's ns_tid, 2.3), when
	 * known; 0 for the first process and for older traces. */
	pid_t ns_pid;
	uint64_t fork_event;    /* its EV_FORK, TRACE_NO_EVENT for the first */
	uint64_t exec_event;    /* its first EV_EXEC, or TRACE_NO_EVENT */
	uint64_t exit_event;    /* its EV_EXIT, or TRACE_NO_EVENT */
	int exit_status;        /* wait status, when exit_event is set */
	size_t nexecs;
	size_t nthreads;        /* threads it ever had, the first included */
	char **argv;            /* of its last exec, else its parent's */
	size_t argc;
};

/* Read the events stream of t.  0 with *procs (in order of creation)
 * and *n, or -1 with err naming the file and offset of the damage.  A
 * stream cut short (incomplete trace) is not an error: what was read is
 * returned, and *complete (if non-NULL) says whether the stream ended
 * properly. */
int trace_procs_read(const struct trace *t, struct trace_proc **procs,
		     size_t *n, bool *complete, char *err, size_t errlen);
void trace_procs_free(struct trace_proc *procs, size_t n);
/* The entry for pid (the last one, if the pid was reused), or NULL. */
const struct trace_proc *trace_procs_find(const struct trace_proc *procs,
					  size_t n, pid_t pid);

#endif
