/* A diversion of the replay target: a copy of the replayed process at the
 * current point (replay/diversion.h), running for real under the policy
 * of replay/diversion_run.h, presented to GDB with the recorded pid and
 * the recorded tid of the thread it was forked from.  The replay itself
 * is never modified.  docs/diversions.md has the rules. */
#ifndef XRR_STUB_REPLAY_DIVERSION_H
#define XRR_STUB_REPLAY_DIVERSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "replay/replayer.h"
#include "stub/target.h"

struct replay_diversion;

/* Fork the replay's stopped thread rec_tid.  out/err: where the copy's
 * writes to fds 1 and 2 appear (NULL: dropped).  NULL with err filled. */
struct replay_diversion *replay_diversion_start(struct replayer *r,
						pid_t rec_tid, FILE *out,
						FILE *errs, char *err,
						size_t errlen);
void replay_diversion_end(struct replay_diversion *d);

pid_t replay_diversion_tid(const struct replay_diversion *d);
pid_t replay_diversion_copy_pid(const struct replay_diversion *d);
/* The copy is gone (exited, killed): the target should end it. */
bool replay_diversion_over(const struct replay_diversion *d);

int replay_diversion_get_regs(struct replay_diversion *d,
			      struct x86_regfile *out);
int replay_diversion_set_regs(struct replay_diversion *d,
			      const struct x86_regfile *in);
ssize_t replay_diversion_read(struct replay_diversion *d, uint64_t addr,
			      void *buf, size_t len);
ssize_t replay_diversion_write(struct replay_diversion *d, uint64_t addr,
			       const void *buf, size_t len);
struct process *replay_diversion_process(struct replay_diversion *d);

/* The diverted thread's registers equal the replay's where it started
 * (orig_rax, xcr0 and components outside the recorded XCR0 aside): GDB
 * has put back what it saved around an inferior call. */
bool replay_diversion_back_at_start(struct replay_diversion *d);

int replay_diversion_resume(struct replay_diversion *d, bool step,
			    int signo);
enum target_wait_result replay_diversion_wait(struct replay_diversion *d,
					      struct target_stop *stop,
					      int interrupt_fd);
int replay_diversion_interrupt(struct replay_diversion *d);

/* monitor diversion status / implant ... / checksum ...: console text in
 * out.  Returns 0, or 1 for a command it does not know. */
void replay_diversion_status(struct replay_diversion *d, struct rsp_buf *out);
int replay_diversion_monitor(struct replay_diversion *d, const char *cmd,
			     struct rsp_buf *out);

#endif
