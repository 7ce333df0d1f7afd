/* ptrace task layer: processes and threads under ptrace, their stops,
 * registers, memory, breakpoints and remote syscalls.
 *
 * Knows nothing of RSP; the stub's live target and the recorder/replayer
 * are built on it. */
#ifndef XRR_REPLAY_TASK_H
#define XRR_REPLAY_TASK_H

#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/user.h>

#include "common/x86_regfile.h"
#include "replay/xsave.h"

#define TASK_MAX_THREADS 256
#define TASK_MAX_BREAKPOINTS 1024
#define TASK_NUM_DEBUGREGS 4
#define TASK_MAX_PENDING 64

enum task_stop_kind {
	TASK_STOP_SYSCALL,      /* syscall-stop (entry or exit, see in_syscall) */
	TASK_STOP_SIGNAL,       /* signal-delivery-stop: signo, siginfo */
	TASK_STOP_GROUP,        /* group-stop (SIGSTOP & co under PTRACE_LISTEN semantics) */
	TASK_STOP_EXEC,         /* PTRACE_EVENT_EXEC */
	TASK_STOP_CLONE,        /* PTRACE_EVENT_CLONE/FORK/VFORK: new_tid */
	TASK_STOP_EXIT_EVENT,   /* PTRACE_EVENT_EXIT: about to exit */
	TASK_STOP_EXITED,       /* thread gone: exit_status (WIFEXITED) */
	TASK_STOP_KILLED,       /* thread gone: killed by signo */
	TASK_STOP_SECCOMP,
	TASK_STOP_INTERRUPT,    /* PTRACE_EVENT_STOP with SIGTRAP: stopped by
				 * PTRACE_INTERRUPT, nothing else to report */
};

struct task_stop {
	pid_t tid;
	enum task_stop_kind kind;
	int signo;
	int exit_status;
	int event;              /* PTRACE_EVENT_* for event stops */
	pid_t new_tid;          /* for TASK_STOP_CLONE; for TASK_STOP_EXEC
				 * the tid the execing thread had before */
	bool in_syscall_entry;  /* for TASK_STOP_SYSCALL */
	/* An entry reported by a seccomp filter: the SECCOMP_RET_DATA of
	 * the filter whose SECCOMP_RET_TRACE won (0 for xrr's own). */
	uint16_t seccomp_data;
	bool by_seccomp;        /* the stop was PTRACE_EVENT_SECCOMP */
	siginfo_t siginfo;      /* for TASK_STOP_SIGNAL */
	int raw_status;
};

enum task_resume_mode {
	TASK_RESUME_CONT,
	TASK_RESUME_SYSCALL,
	TASK_RESUME_SINGLESTEP,
	TASK_RESUME_SYSEMU,
	TASK_RESUME_SYSEMU_SINGLESTEP,
};

struct task {
	pid_t tid;
	bool stopped;           /* in a ptrace stop */
	bool exited;
	bool in_syscall;        /* between syscall entry and exit stops */
	struct task_stop last_stop;
	uint64_t debugreg[8];   /* shadow of DR0-DR7 */
	enum task_resume_mode last_resume;
	/* A PTRACE_INTERRUPT was sent but the stop collected was another
	 * one; the interrupt's own stop may still come and is swallowed. */
	bool interrupt_pending;
};

struct breakpoint {
	uint64_t addr;
	uint8_t saved;          /* original byte under the int3 */
	int refcount;
};

struct hw_slot {
	bool used;
	int type;               /* enum hw_type */
	uint64_t addr;
	int len;
};

struct process {
	pid_t pid;              /* thread-group id */
	struct task tasks[TASK_MAX_THREADS];
	size_t ntasks;
	struct breakpoint bps[TASK_MAX_BREAKPOINTS];
	size_t nbps;
	struct hw_slot hw[TASK_NUM_DEBUGREGS];
	struct xsave_layout layout;
	int mem_fd;             /* /proc/PID/mem, opened lazily (-1) */
	bool exited;
	int exit_status;        /* wait status once the whole process ended */
	/* Stops collected by process_stop_all, returned by process_wait. */
	struct task_stop pending[TASK_MAX_PENDING];
	size_t npending;
	uint64_t rsys_addr;     /* where remote syscalls run; 0: not chosen */
	/* A seccomp filter (spawn_options.seccomp_filter) reports the
	 * process's syscall entries: TASK_RESUME_SYSCALL from user code is
	 * PTRACE_CONT, and a seccomp stop is a TASK_STOP_SYSCALL entry.
	 * Inherited by children (filters survive fork and exec). */
	bool seccomp_stops;
	/* Last failure with context ("task_set_xstate(1234): ..."). */
	char err[256];
};

struct spawn_options {
	bool disable_aslr;      /* personality(ADDR_NO_RANDOMIZE) */
	int cpu;                /* bind to this CPU, or -1 */
	bool trap_tsc;          /* prctl(PR_SET_TSC, PR_TSC_SIGSEGV) */
	const char *cwd;        /* NULL: inherit */
	bool trace_fork;        /* PTRACE_O_TRACEFORK|TRACEVFORK */
	bool trace_exit;        /* PTRACE_O_TRACEEXIT (TASK_STOP_EXIT_EVENT) */
	const char *path;       /* program to exec; NULL: argv[0] (lets the
				 * program keep the argv[0] the user typed) */
	/* Before exec, install a seccomp filter under which every syscall
	 * stops as a syscall entry (process.seccomp_stops), except, when
	 * seccomp_untraced_ip is nonzero, those whose instruction pointer
	 * (the address after `syscall`) is that one: they run without any
	 * ptrace stop.  Sets PR_SET_NO_NEW_PRIVS first when the filter
	 * needs it.  The filter returns SECCOMP_RET_TRACE with data 0. */
	bool seccomp_filter;
	uint64_t seccomp_untraced_ip;
};
#define SPAWN_OPTIONS_DEFAULT { .cpu = -1 }

/* Fork, PTRACE_TRACEME-free seize (PTRACE_O_EXITKILL|TRACECLONE|TRACEEXEC|
 * TRACESYSGOOD), exec `argv` (argv[0] is the path; envp NULL: environ)
 * and stop at the first instruction after exec (the task is stopped,
 * last_stop TASK_STOP_EXEC).  opts may be NULL (SPAWN_OPTIONS_DEFAULT).
 * Return 0, or -1 with a message naming the program and errno. */
int process_spawn(struct process *p, char *const argv[], char *const envp[],
		  const struct spawn_options *opts, char *err, size_t errlen);
/* Run the calling (tracer) thread on `cpu`, where the tracees are bound:
 * every ptrace stop then wakes the tracer without a cross-CPU wake-up
 * (measured here: about 3x faster per syscall stop).  Returns whether the
 * affinity was changed; *saved is what tracer_unbind puts back. */
bool tracer_bind(int cpu, cpu_set_t *saved);
void tracer_unbind(bool bound, const cpu_set_t *saved);

/* 1 when rdtsc faults under PR_SET_TSC(PR_TSC_SIGSEGV) on this machine,
 * 0 when it does not (some VMs), -1 when the probe could not run. */
int task_probe_tsc_trap(void);

/* Kill (SIGKILL) and reap everything. */
void process_kill(struct process *p);
/* Remove breakpoints and debug registers, then detach every thread. */
int process_detach(struct process *p);
void process_free(struct process *p);

struct task *process_find_task(struct process *p, pid_t tid);

/* Wait for the next stop of any task of p.  flags: 0 or WNOHANG.  New
 * threads are added and exited ones marked as a side effect: after a
 * TASK_STOP_CLONE the new thread is known, stopped (its initial stop is
 * swallowed) and carries the hardware breakpoints; resume it when wanted.
 * After TASK_STOP_EXEC software and hardware breakpoints are gone (new
 * image; the kernel clears debug registers at exec).  Stops of tasks
 * belonging to another struct process traced by this thread are kept
 * for that process's process_wait.  Returns 1 with *stop filled, 0 when
 * WNOHANG found nothing, -1 on error (errno set; ECHILD: nothing left). */
int process_wait(struct process *p, struct task_stop *stop, int flags);
/* process_wait over several processes (a recorded process tree): the
 * next stop of any task of ps[0..n), *which the index of its process.
 * Stops of tasks none of them knows yet are kept (a fork child's first
 * stop may come before its parent's fork event). */
int process_wait_any(struct process *const *ps, size_t n, size_t *which,
		     struct task_stop *stop, int flags);
/* A child process (fork, vfork, clone without CLONE_THREAD) of a traced
 * process is traced too (PTRACE_O_TRACEFORK, auto-attached): make `child`
 * a process of its own for `pid`, stopped at its first stop, with the
 * parent's XSAVE layout and remote-syscall address, and the parent's
 * software breakpoints removed from its copy of the code (shares_memory,
 * CLONE_VM: there is no copy).  0, or -1 when
 * it is gone already (child->exited, child->exit_status). */
int process_adopt_child(struct process *child, const struct process *parent,
			pid_t pid, bool shares_memory);
/* A task in a group-stop (TASK_STOP_GROUP) stays stopped, as without a
 * tracer, until SIGCONT: then it stops again (TASK_STOP_INTERRUPT,
 * PTRACE_EVENT_STOP with SIGTRAP) and can be resumed.  PTRACE_LISTEN. */
int task_listen(struct process *p, struct task *t);
int task_resume(struct process *p, struct task *t, enum task_resume_mode mode,
		int signo);
/* Stop every running task (PTRACE_INTERRUPT) and collect the stops; other
 * stops seen meanwhile are queued and returned by later process_wait.
 * Returns 0 or -errno. */
int process_stop_all(struct process *p);

/* Put a stop back: the next process_wait (or process_wait_any) returns
 * it first.  For callers that waited for one task and collected another's
 * stop meanwhile.  0, or -1 when the queue is full. */
int process_queue_stop(struct process *p, const struct task_stop *stop);
/* Registers. */
int task_get_gregs(struct process *p, struct task *t,
		   struct user_regs_struct *regs);
int task_set_gregs(struct process *p, struct task *t,
		   const struct user_regs_struct *regs);
/* x87 and SSE registers (the legacy FXSAVE area). */
int task_get_fpregs(struct process *p, struct task *t,
		    struct user_fpregs_struct *fp);
/* Raw NT_X86_XSTATE image; returns its size or -errno. */
ssize_t task_get_xstate(struct process *p, struct task *t, void *buf,
			size_t len);
int task_set_xstate(struct process *p, struct task *t, const void *buf,
		    size_t len);
/* Everything GDB shows, decoded with p->layout. */
int task_get_regfile(struct process *p, struct task *t,
		     struct x86_regfile *rf);
int task_set_regfile(struct process *p, struct task *t,
		     const struct x86_regfile *rf);

/* Memory: process_vm_readv/writev, falling back to /proc/PID/mem (which
 * can write read-only code pages).  Return bytes transferred or -errno. */
ssize_t process_read_memory(struct process *p, uint64_t addr, void *buf,
			    size_t len);
ssize_t process_write_memory(struct process *p, uint64_t addr,
			     const void *buf, size_t len);
/* Reads that GDB makes: breakpoint bytes replaced by the originals. */
ssize_t process_read_memory_clean(struct process *p, uint64_t addr,
				  void *buf, size_t len);

/* Software breakpoints (int3), refcounted per address.
 * process_write_memory keeps them: bytes written under a breakpoint
 * update its saved byte. */
int process_insert_breakpoint(struct process *p, uint64_t addr);
int process_remove_breakpoint(struct process *p, uint64_t addr);
bool process_has_breakpoint(const struct process *p, uint64_t addr);

/* Hardware breakpoints/watchpoints through DR0-DR3/DR7, applied to every
 * thread (and to new ones); every live thread must be stopped.  type: 0
 * execute (len 1), 1 write, 3 read/write; len 1, 2, 4 or 8, addr aligned
 * to len.  Return 0 or -errno (-ENOSPC: all four slots in use). */
enum hw_type { HW_EXECUTE = 0, HW_WRITE = 1, HW_ACCESS = 3 };
int process_insert_hw(struct process *p, enum hw_type type, uint64_t addr,
		      int len);
int process_remove_hw(struct process *p, enum hw_type type, uint64_t addr,
		      int len);
/* 1 when a write watchpoint through the debug registers fires on this
 * machine, 0 when it does not (some VMs), -1 when the probe failed. */
int task_probe_hw_watch(void);
/* After a SIGTRAP: which debug register fired (DR6), or -1. Fills the
 * slot's address and type; clears DR6. */
int task_hw_hit(struct process *p, struct task *t, uint64_t *addr,
		enum hw_type *type);

/* Remote syscalls: run `nr(args[0..5])` inside stopped task t (registers,
 * xstate, signal mask, pending siginfo and code are saved and restored;
 * signals other than SIGTRAP are blocked while it runs).  A task stopped
 * at syscall-entry is returned to the same syscall-entry stop.  At an
 * exec or clone event stop the task's syscall is first let finish (its
 * result lands in rax, no syscall-exit stop is reported for it, and
 * t->last_stop becomes TASK_STOP_INTERRUPT).  Not
 * possible at exit, seccomp and vfork event stops (-ENOTSUP).  Other
 * threads should be stopped.  Returns 0 with *result the raw return value
 * (-errno when the syscall failed), or -errno when the mechanism failed
 * (p->err says why). */
int task_remote_syscall(struct process *p, struct task *t, long nr,
			const long args[6], long *result);

/* The same in steps, to run several syscalls under one save/restore
 * (checkpoints, diversions). */
struct remote_session {
	struct process *p;
	struct task *t;
	struct user_regs_struct saved_regs;
	uint8_t *saved_xstate;
	size_t xstate_len;
	uint64_t saved_mask;
	siginfo_t saved_siginfo;
	bool have_siginfo;
	bool was_syscall_entry;
	/* That entry stop came under PTRACE_SYSEMU: the kernel skips the
	 * call when the task resumes, and must still after the session. */
	bool entry_emulated;
	/* The bytes before rip are the task's own syscall instruction, to
	 * re-enter the stop through (not so when a signal handler was
	 * entered at the stop, or a breakpoint covers it). */
	bool entry_own_insn;
	bool state_saved;          /* the fields above are valid */
	bool failed;               /* a step failed: p->err tells which */
	uint64_t code_addr;        /* where syscall;int3 is planted, or 0 */
	uint8_t saved_code[3];
	int deferred_signals[8];   /* arrived while running; re-sent at end */
	int ndeferred;
};
int task_remote_begin(struct remote_session *s, struct process *p,
		      struct task *t);
int task_remote_call(struct remote_session *s, long nr, const long args[6],
		     long *result);
/* Restores everything; returns 0 or the first error. */
int task_remote_end(struct remote_session *s);

#endif
