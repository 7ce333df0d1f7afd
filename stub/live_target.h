/* The live target: a program started under ptrace and debugged for real,
 * like gdbserver does.  Implements struct target on the replay/ task
 * layer. */
#ifndef XRR_STUB_LIVE_TARGET_H
#define XRR_STUB_LIVE_TARGET_H

#include <stdio.h>

#include "stub/target.h"

/* Start argv[0] (searched in PATH when it has no slash) stopped at its
 * first instruction.  Returns NULL with a message in err (naming the
 * program and the errno text) when it cannot be started. */
struct target *live_target_start(char *const argv[], FILE *log, char *err,
				 size_t errlen);
/* Kill the program if it still runs and free everything. */
void live_target_destroy(struct target *t);
/* Whether the program is still there (not exited, killed or detached). */
bool live_target_alive(struct target *t);

#endif
