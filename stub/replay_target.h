/* The replay target: GDB debugs a recorded execution.  Implements struct
 * target on the replay engine (replay/replayer.h).  Reads are served
 * from the replayed process; writes are refused (the replay must not be
 * disturbed); files GDB asks for come from the trace's own copies. */
#ifndef XRR_STUB_REPLAY_TARGET_H
#define XRR_STUB_REPLAY_TARGET_H

#include "replay/replayer.h"
#include "stub/target.h"

struct target *replay_target_open(const char *trace_dir,
				  const struct replay_options *opts,
				  char *err, size_t errlen);
void replay_target_close(struct target *t);
/* The program's recorded exit status once the end was reached (wait
 * status), or -1 while the replay has not reached it. */
int replay_target_exit_status(struct target *t);
/* Run forward to an event before GDB connects (-g EVENT). */
int replay_target_goto(struct target *t, uint64_t event, char *err,
		       size_t errlen);

#endif
