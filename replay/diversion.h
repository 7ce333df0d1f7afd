/* Process copies for diversions: fork a stopped tracee through injected
 * syscalls, leaving the original exactly as it was.
 *
 * The copy is what a diversion runs (inferior calls, implants) so that the
 * replayed process itself is never mutated; killing the copy ends the
 * diversion. */
#ifndef XRR_REPLAY_DIVERSION_H
#define XRR_REPLAY_DIVERSION_H

#include "replay/task.h"

/* Fork `orig` from its stopped task `t` into `copy` (storage provided by the
 * caller, overwritten).  Every other task of orig should be stopped too.
 *
 * The copy has one thread (the forked `t`), stopped under our ptrace before
 * it has run any instruction of the program, with t's registers, extended
 * state and signal mask as they were before the injection; orig's software
 * breakpoints (present in the copied memory) and hardware breakpoints are
 * carried over.  If t was in a syscall-entry stop, the copy is placed on
 * the syscall instruction (rip - 2, rax = the syscall number) so that
 * resuming it performs the syscall; unless its registers were set to a
 * signal handler's at that stop (rip - 2 is no syscall instruction):
 * then the copy starts in the handler.  The copy's parent is orig's parent
 * (CLONE_PARENT: the replayed process gets no child, no SIGCHLD, no
 * zombie), except when orig is an init process.
 *
 * orig comes out byte-for-byte untouched: registers, xstate, memory, mask.
 * Returns 0, or -errno with orig->err saying why (no copy then exists). */
int diversion_fork(struct process *orig, struct task *t, struct process *copy);

/* End a diversion: SIGKILL the copy, reap it, release its resources. */
void diversion_kill(struct process *copy);

#endif
