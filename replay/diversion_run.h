/* Running a diversion: a process copy (replay/diversion.h) executes for
 * real, under PTRACE_SYSCALL, with a policy that keeps it from reaching
 * outside itself.
 *
 * Syscalls run for real except: getpid/gettid answer the recorded ids
 * (the program compares them with what it saw); signals sent to the
 * recorded pid or tid go to the copy itself, signals to any other process
 * and fork/vfork/clone/clone3 answer -ENOSYS (a diversion must not create
 * or disturb anything outside it); writes to fds 1 and 2 are shown on the
 * given streams instead (the copy's fds are xrr's, and in --stdio mode
 * xrr's stdout is GDB's protocol channel); reads from fd 0 see end of
 * file for the same reason.  rdtsc/rdtscp fault in a replayed process
 * (PR_SET_TSC, inherited by the copy) and are answered from a synthetic
 * increasing counter.
 *
 * Knows nothing of RSP; the replay target (stub/replay_diversion.c) and
 * `xrr checksum` drive it. */
#ifndef XRR_REPLAY_DIVERSION_RUN_H
#define XRR_REPLAY_DIVERSION_RUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "replay/task.h"

struct diversion_env {
	pid_t recorded_pid, recorded_tid;
	uint64_t tsc;            /* last synthetic rdtsc value */
	FILE *out, *err;         /* writes to fds 1 and 2; NULL: dropped */
	/* Private state of the run loop. */
	bool running, stepping;
	bool emulating;          /* a skipped syscall: result at its exit */
	long emulated_result;
	uint64_t syscalls, denied, rdtscs;
};

enum diversion_stop_kind {
	DIVERSION_STOP_BREAKPOINT,   /* int3 of a breakpoint: rip moved back */
	DIVERSION_STOP_HW_BREAK,     /* debug register: addr, hw_type */
	DIVERSION_STOP_STEP,
	DIVERSION_STOP_SIGNAL,       /* signo, not yet delivered */
	DIVERSION_STOP_EXITED,       /* status: wait status */
	DIVERSION_STOP_KILLED,       /* status: wait status */
	DIVERSION_STOP_INTERRUPTED,  /* interrupt_fd readable, still running */
	DIVERSION_STOP_ERROR,        /* message */
};

struct diversion_stop {
	enum diversion_stop_kind kind;
	int signo;
	int status;
	uint64_t addr;               /* fault address or watchpoint */
	int hw_type;                 /* enum hw_type for HW_BREAK */
	char message[300];
};

/* Start the copy's single task: one instruction (step) or until the next
 * stop worth reporting; signo is delivered (0: none). */
int diversion_resume(struct process *copy, struct diversion_env *env,
		     bool step, int signo);
/* Wait for that stop, applying the policy meanwhile.  interrupt_fd may
 * be -1.  Returns 0 with *stop filled (INTERRUPTED: call again later, or
 * diversion_interrupt). */
int diversion_wait(struct process *copy, struct diversion_env *env,
		   struct diversion_stop *stop, int interrupt_fd);
/* Stop a running copy (^C); it is then stopped, nothing left to wait. */
int diversion_interrupt(struct process *copy, struct diversion_env *env);

/* "killed by signal 11 (Segmentation fault)" / "exited with status 3". */
void diversion_describe_status(char *out, size_t len, int status);

/* The checksum implant: $XRR_CHECKSUM_IMPLANT, <dir of xrr>/implants/
 * xrr-checksum.so (build tree), or the installed pkglibdir copy. */
int diversion_checksum_implant_path(char *out, size_t len, char *err,
				    size_t errlen);

#endif
