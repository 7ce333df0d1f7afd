/* Deterministic replay of a trace.
 *
 * The replayer re-executes the recorded program in a real process: it
 * execs a tiny stub, rebuilds the recorded address space from the trace
 * (EV_EXEC), loads the recorded registers, then runs the program under
 * PTRACE_SYSEMU, answering every syscall, rdtsc and signal from the
 * trace.  It knows nothing of RSP: the stub's replay target drives it
 * through this interface (breakpoints, watchpoints and memory go through
 * the task layer on replayer_process()). */
#ifndef XRR_REPLAY_REPLAYER_H
#define XRR_REPLAY_REPLAYER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "replay/task.h"
#include "replay/trace.h"

struct replayer;

struct replay_options {
	/* Reproduce the program's recorded writes to fds 1 and 2 on our
	 * stdout/stderr (rr does); false for -q. */
	bool echo_output;
	FILE *echo_stdout, *echo_stderr;   /* NULL: stdout / stderr */
	FILE *log;                         /* diagnostics (stderr) */
	/* Path of the exec stub program; NULL: found next to xrr. */
	const char *exec_stub;
	/* The process shown to the caller (registers, memory, threads,
	 * stops, END): a recorded pid, 0 for the first process.  The
	 * others are replayed around it.  replayer_open replays up to
	 * its first exec (or its fork when it never execs, or always its
	 * fork with from_fork). */
	pid_t target_pid;
	bool from_fork;
	/* END only once every process's events are replayed (replay -a:
	 * orphans outlive the first process); else at the target's exit. */
	bool whole_tree;
};

enum replay_stop_kind {
	REPLAY_STOP_BREAKPOINT,   /* a software breakpoint: PC at its address */
	REPLAY_STOP_HW_BREAK,     /* hardware breakpoint */
	REPLAY_STOP_WATCH,        /* write or access watchpoint: watch_addr */
	REPLAY_STOP_STEP,         /* single step finished */
	REPLAY_STOP_SIGNAL,       /* the program received a recorded signal */
	REPLAY_STOP_INTERRUPTED,  /* interrupt_fd became readable */
	REPLAY_STOP_EVENT,        /* reached the event asked for (goto) */
	REPLAY_STOP_GUARD,        /* a guarded page was accessed (watch_addr):
				   * stopped before the instruction runs */
	REPLAY_STOP_END,          /* end of the trace: exit_status valid */
	REPLAY_STOP_SYSCALL_ENTRY,  /* a caught syscall (syscall_nr), before
				    * the recorded call is replayed */
	REPLAY_STOP_SYSCALL_RETURN, /* ...and with its result in place */
	REPLAY_STOP_DIVERGED,     /* replay diverged: message filled */
	REPLAY_STOP_ERROR,        /* internal failure: message filled */
};

struct replay_stop {
	enum replay_stop_kind kind;
	pid_t tid;                /* recorded thread id */
	int signo;
	uint64_t watch_addr;
	bool watch_access;        /* awatch rather than watch */
	bool watch_read;          /* rwatch (with watch_access) */
	int exit_status;          /* wait status, for REPLAY_STOP_END */
	int syscall_nr;           /* REPLAY_STOP_SYSCALL_ENTRY/RETURN */
	uint64_t event;           /* event number at the stop */
	/* The stop is the state right after an event, no instruction run
	 * since (a breakpoint at the first instruction of a signal
	 * handler the replay just entered). */
	bool at_event;
	char message[512];        /* divergence / error text */
};

/* Open a trace and prepare the replay, stopped before the program's
 * first instruction.  NULL with a message on failure (bad trace, no
 * exec stub, address space cannot be rebuilt, ...). */
struct replayer *replayer_open(const char *trace_dir,
			       const struct replay_options *opts, char *err,
			       size_t errlen);
void replayer_close(struct replayer *r);
/* Start over from the beginning (GDB's `run`). */
int replayer_restart(struct replayer *r, char *err, size_t errlen);

/* Run (step: one instruction of `tid`) until something to report.  All
 * threads stop when this returns.  `interrupt_fd` may be -1. */
int replayer_resume(struct replayer *r, bool step, pid_t tid,
		    struct replay_stop *stop, int interrupt_fd);
/* Replay forward until event `event` is the next to be replayed. */
int replayer_goto(struct replayer *r, uint64_t event, struct replay_stop *stop);
/* The next event to be replayed (`monitor when`). */
uint64_t replayer_current_event(const struct replayer *r);
bool replayer_at_end(const struct replayer *r);

/* The live process behind the replay (the target process): registers,
 * memory, breakpoints and watchpoints go through the task layer on it. */
struct process *replayer_process(struct replayer *r);
/* Threads: recorded tid <-> the task replaying it. */
size_t replayer_threads(struct replayer *r, pid_t *recorded_tids, size_t max);
struct task *replayer_task(struct replayer *r, pid_t recorded_tid);
pid_t replayer_recorded_pid(const struct replayer *r);   /* the target's */
/* Each thread's recorded XCR0 (what the program saw). */
uint64_t replayer_thread_xcr0(struct replayer *r, pid_t recorded_tid);

/* What the recorded program saw, for GDB. */
const struct trace *replayer_trace(const struct replayer *r);
int replayer_auxv(struct replayer *r, const void **data, size_t *len);
/* Stopped at a signal of recorded thread tid (REPLAY_STOP_SIGNAL): its
 * recorded siginfo (GDB's $_siginfo) into buf; -1 otherwise. */
int replayer_stop_siginfo(const struct replayer *r, pid_t tid, void *buf,
			  size_t len);
const char *replayer_exec_path(const struct replayer *r);  /* as recorded */
/* Open the trace's stored copy of a file the program mapped, by its
 * recorded path: an fd, or -errno. */
int replayer_open_recorded_file(struct replayer *r, const char *path);

/* The symbolizer of the replayed trace's stored files (replay/symbols.h),
 * made on first use and freed with the replayer; NULL if out of memory. */
struct sym_table;
struct sym_table *replayer_symbols(struct replayer *r);
/* Where recorded thread tid of the target process is now, as
 * "main (hello.c:12)" (sym_format); false when it cannot be told. */
bool replayer_thread_location(struct replayer *r, pid_t tid, char *buf,
			      size_t len);

/* The /proc files GDB reads about the target process, named with its
 * recorded pid ("/proc/PID/maps", "/proc/PID/task/TID/maps", cmdline,
 * status), as the recorded program would have shown them
 * (replay_procfs.c): an fd to read, or -ENOENT for other paths. */
int replayer_open_proc_file(struct replayer *r, const char *path);
/* readlink of /proc/PID/exe: the recorded executable; or -ENOENT. */
ssize_t replayer_readlink_proc_file(struct replayer *r, const char *path,
				    char *buf, size_t len);

/* Instruction virtualisation of an `xrr record --xcr0` trace (CPUID,
 * XGETBV, XSAVE* patched to ud2 in the replayed process), or NULL: reads
 * for GDB put the original bytes back with insn_virt_original_bytes(). */
struct insn_virt;
struct insn_virt *replayer_insn_virt(struct replayer *r);

/* Syscall catchpoints (GDB's catch syscall): the target process's
 * syscalls whose which[nr] is set (nr < REPLAY_MAX_CATCH_NR; which NULL:
 * every one), or none when !on.  They stop a run only while armed. */
#define REPLAY_MAX_CATCH_NR 1024
void replayer_catch_syscalls(struct replayer *r, bool on, const bool *which);
enum replay_catch_arm {
	REPLAY_CATCH_OFF,       /* no syscall stops (seeks, scans) */
	REPLAY_CATCH_USER,      /* the caught ones, entry and return */
	REPLAY_CATCH_ANY_ENTRY, /* the entry of whatever syscall comes next
				 * (the timeline re-reaching a caught entry) */
};
void replayer_arm_syscall_catch(struct replayer *r, enum replay_catch_arm arm);

/* ---- for the timeline (reverse execution, replay/timeline.h) ---- */
/* replayer_resume, stopping also (REPLAY_STOP_EVENT) once `event` is the
 * next event to replay; UINT64_MAX: no such limit. */
int replayer_run_to(struct replayer *r, uint64_t event, bool step, pid_t tid,
		    struct replay_stop *stop, int interrupt_fd);
/* Echo the program's output (off while the timeline re-replays). */
void replayer_set_echo(struct replayer *r, bool on);
/* The thread whose turn it is to run user code (recorded tid). */
pid_t replayer_running_thread(const struct replayer *r);
/* The event the replay starts from (after the debugged process's exec). */
uint64_t replayer_start_event(const struct replayer *r);

/* Watch memory by page protection (replay/replay_guard.c): the page of
 * [addr, addr+len) is made read-only (`reads`: inaccessible) in the
 * target process; an access to it stops the replay (REPLAY_STOP_GUARD,
 * watch_addr the address accessed) before the instruction runs, and
 * resuming runs it with the page open.  Counted per page.  Only for a
 * replay of one process.  0 or -errno. */
int replayer_guard(struct replayer *r, uint64_t addr, uint64_t len,
		   bool reads);
int replayer_unguard(struct replayer *r, uint64_t addr, uint64_t len);
/* Remove every guard (before a checkpoint is made). */
void replayer_unguard_all(struct replayer *r);
bool replayer_has_guards(const struct replayer *r);

/* ---- checkpoints (replay/replay_checkpoint.c, docs/reverse.md) ---- */
struct replay_checkpoint;
/* Freeze a copy of the replay as it stands (stopped between events, as
 * replayer_goto / replayer_resume leave it): a forked copy of the process
 * that never runs, and the replayer's bookkeeping.  Breakpoints and
 * watchpoints inserted in the live process are not part of it.  NULL
 * with the reason in err when this state cannot be checkpointed exactly
 * (more than one process or live thread, shared writable memory, the
 * end, a divergence, ...). */
struct replay_checkpoint *replayer_checkpoint(struct replayer *r, char *err,
					      size_t errlen);
/* Make the replay continue from c (c stays intact and can be restored
 * again): a new live process is forked from c's copy, the old one is
 * killed, and replayer_process() keeps returning the same pointer.  The
 * live process then has no breakpoints/watchpoints inserted; the caller
 * re-inserts its own.  The replayer's options (echo) stay as they are.
 * 0, or -1 with err and the replay unchanged. */
int replayer_restore(struct replayer *r, const struct replay_checkpoint *c,
		     char *err, size_t errlen);
/* A checkpoint belongs to the replayer it was made from (it stays valid
 * across replayer_restart) and holds a stopped process until freed:
 * this kills and reaps it.  NULL is ignored. */
void replay_checkpoint_free(struct replay_checkpoint *c);
/* replayer_current_event at the checkpoint. */
uint64_t replay_checkpoint_event(const struct replay_checkpoint *c);
/* Resident memory the checkpoint costs now, in bytes: Private_Dirty of
 * its frozen copy (/proc/PID/smaps_rollup), which grows as the live
 * replay writes to pages they shared. */
uint64_t replay_checkpoint_cost(const struct replay_checkpoint *c);

#endif
