/* Shared between the recorder's files. */
#ifndef XRR_REPLAY_RECORDER_INTERNAL_H
#define XRR_REPLAY_RECORDER_INTERNAL_H

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/user.h>

#include "replay/insn_virt.h"
#include "replay/recorder.h"
#include "replay/seccomp_filter.h"
#include "replay/syscalls.h"
#include "replay/task.h"
#include "replay/tick_source.h"
#include "replay/trace.h"
#include "replay/trace_events.h"

enum rthread_state {
	RT_USER,        /* current, running user code */
	RT_SYSCALL,     /* resumed from syscall entry: inside the kernel */
	RT_READY,       /* stopped, waiting for its turn */
	RT_SIGNAL,      /* single-stepping into a signal handler */
	RT_EXITING,     /* entered exit(); waiting for it to be gone */
	RT_DEAD,
	RT_TRACE_STOPPED, /* held for its emulated tracer (recorder_ptrace.c) */
	RT_GROUP_STOPPED, /* job-control stop (SIGSTOP...) until SIGCONT */
	RT_TRACE_WAITING, /* a tracer's wait4 at its exit stop, waiting for a
			     tracee's report (recorder_ptrace.c) */
};

/* A tracee's death its tracer has still to be told of. */
struct rec_trace_exit {
	pid_t tracer_pid, tid;
	int status;
};
#define REC_MAX_TRACE_EXITS 256

/* Where an emulated tracee is held for its tracer. */
enum rec_trace_at {
	TRACE_AT_SIGNAL,        /* signal-delivery stop (siginfo) */
	TRACE_AT_ENTRY,         /* syscall entry under PTRACE_SYSCALL */
	TRACE_AT_EXIT,          /* syscall exit under PTRACE_SYSCALL */
	TRACE_AT_EXEC,          /* an event stop inside a syscall: EXEC,
				   FORK, VFORK, CLONE (on to its exit) */
	TRACE_AT_GROUP,         /* group-stop of a seized tracee (it is
				   really stopped: RT_GROUP_STOPPED) */
	TRACE_AT_TRAP,          /* PTRACE_EVENT_STOP|SIGTRAP: INTERRUPT,
				   or SIGCONT while listening */
	TRACE_AT_EXIT_EVENT,    /* PTRACE_EVENT_EXIT, at exit/exit_group */
	TRACE_AT_VFORK_DONE,    /* PTRACE_EVENT_VFORK_DONE, at the exit stop
				   of a vfork (before the exit's report) */
};

/* A recorded thread traced by a recorded program (stage 1: it called
 * PTRACE_TRACEME; docs/ptrace-emulation.md). */
struct rec_tracee {
	pid_t tracer_pid;       /* the tracing process */
	uint32_t options;       /* PTRACE_O_* it set */
	bool seized;            /* PTRACE_SEIZE, not TRACEME */
	bool real_child;        /* the leader of a child of the tracer: its
				   death comes through the real wait4 */
	long resume;            /* PTRACE_CONT or PTRACE_SYSCALL */
	bool in_entry;          /* this syscall's entry was reported */
	bool exit_reported;     /* its PTRACE_EVENT_EXIT was */
	bool vfork_done_reported; /* this vfork's VFORK_DONE was */
	/* The stop it is in for its tracer (RT_TRACE_STOPPED, or
	 * RT_GROUP_STOPPED for TRACE_AT_GROUP). */
	bool has_stop;
	enum rec_trace_at at;
	int status;             /* as wait4 reports it */
	bool reported;          /* wait4 returned it already */
	bool listening;         /* PTRACE_LISTEN in its group-stop */
	bool trap_pending;      /* an EVENT_STOP|SIGTRAP still to come */
	siginfo_t siginfo;
	unsigned long event_msg;
};

#define RT_MAX_ANSWER_REGIONS 4

#define RT_MAX_DEFERRED 32

struct rthread {
	pid_t tid;
	struct process *proc;   /* the process it belongs to */
	enum rthread_state state;
	bool exit_pending;      /* READY at a syscall-exit stop not yet recorded */
	bool exec_pending;      /* saw PTRACE_EVENT_EXEC; EV_EXEC at the exit */
	pid_t exec_former_tid;  /* its tid before a non-leader execve, or 0 */
	bool blocking;          /* its syscall let other threads run */
	bool writes_output;     /* ... writes to xrr's own stdout/stderr */
	/* The syscall in progress. */
	long nr;
	uint64_t args[SC_MAX_ARGS];
	const struct syscall_desc *desc;
	struct sc_entry_state est;
	struct user_regs_struct entry_regs;
	/* The last call the kernel left for restart_syscall (it returned
	 * ERESTART_RESTARTBLOCK: nanosleep, clock_nanosleep, poll, futex
	 * waits): a restart_syscall's writes are that call's. */
	struct {
		bool valid;
		uint64_t args[SC_MAX_ARGS];
		const struct syscall_desc *desc;
		struct sc_entry_state est;
	} restart;
	pid_t new_tid;          /* thread made by this clone, 0: none */
	/* Asynchronous signals waiting for the next syscall boundary. */
	siginfo_t deferred[RT_MAX_DEFERRED];
	int ndeferred;
	bool releasing;         /* deferred[0] was re-sent at a boundary */
	/* Registers when last resumed from a deterministic point: a signal
	 * stop with exactly these has run no user code since. */
	struct user_regs_struct boundary_regs;
	bool boundary_valid;
	siginfo_t delivering;   /* RT_SIGNAL: the signal going in */
	uint64_t xcr0;
	/* Preemption (recorder_point.c): READY at an EV_POINT, its
	 * EV_RESUME due when it runs again. */
	bool point_pending;
	bool interrupt_sent;    /* PTRACE_INTERRUPT for its time slice */
	/* Its in-process syscall buffer (replay/syscallbuf.h), 0: none.
	 * A child starts with its creator's: a fork copies it, a vfork or
	 * thread without its own TLS shares it. */
	uint64_t sb_buffer;
	/* The library's code [start, end): no point is chosen there. */
	uint64_t sb_code_start, sb_code_end;
	uint64_t slice_start_ns;
	uint64_t slice_ns;      /* current length of its time slice */
	/* The program's own seccomp (recorder_seccomp.c): the mode it set
	 * (SECCOMP_MODE_*; inherited by new threads and children, kept
	 * across execve), the data of the filter stop of the syscall in
	 * progress (0: xrr's own filter), a filter being installed, and
	 * whether its event carries the syscall buffer's control page. */
	uint8_t seccomp_mode;
	uint16_t seccomp_data;
	struct seccomp_install *seccomp_install;
	bool sb_control_changed;
	/* The syscall in progress was answered by the recorder (a seccomp
	 * answer, an emulated ptrace request or wait4): the kernel ran
	 * nothing; its event is EV_SYSCALL_SKIPPED with these outputs
	 * besides the table's. */
	bool skipped;
	uint32_t skip_reason;   /* EV_SYSCALL_BY_* */
	struct sc_region answer_regions[RT_MAX_ANSWER_REGIONS];
	size_t nanswer_regions;
	/* ptrace by recorded programs (recorder_ptrace.c): its emulated
	 * tracer, or NULL; resumed by it (the scheduler continues the held
	 * stop: continue_traced); a signal going in on its tracer's word;
	 * a wait4 of this (tracer) thread interrupted to report a stop. */
	struct rec_tracee *tracee;
	bool trace_continue;
	enum rec_trace_at trace_cont_at;
	int trace_cont_signal;
	siginfo_t trace_cont_siginfo;
	bool trace_delivering;
	bool ptrace_waking;
	bool trace_exec_stop;   /* its execve is recorded: the tracer's stop */
	bool trace_first_stop;  /* a new traced thread: its first stop */
	/* RT_GROUP_STOPPED: the state it had when the stop came. */
	enum rthread_state before_group_stop;
};

/* Processes, and threads of all of them, alive at once (a shell
 * pipeline, make -j, a test that starts hundreds of children). */
#define REC_MAX_PROCS 1024
#define REC_MAX_THREADS 1024

struct recorder {
	const struct recorder_options *opts;
	struct recorder_result *res;
	/* The process of the thread being handled: recorder_exec.c,
	 * recorder_events.c and recorder_xcr0.c act on it. */
	struct process *proc;
	/* Every live process of the tree; procs[i] is calloc'd. */
	struct process *procs[REC_MAX_PROCS];
	size_t nprocs;
	/* --xcr0 by instruction virtualisation: each process's patched
	 * sites (parallel to procs); the table holds those of iv_owner. */
	struct insn_site_set proc_sites[REC_MAX_PROCS];
	struct process *iv_owner;
	pid_t root_pid;         /* the process xrr started */
	/* XRR_RECORD_DEBUG: every stop and scheduling decision to stderr. */
	bool debug;
	struct trace *trace;
	struct trace_writer *w[TRACE_NSTREAMS];
	const struct tick_source_ops *ticks;
	int cpu;
	struct rthread threads[REC_MAX_THREADS];
	size_t nthreads;
	struct rthread *current;
	size_t rr_cursor;       /* round-robin position */
	/* The creator of a new thread, which gets the turn right after the
	 * new thread's first stretch (0: none). */
	pid_t then_run;
	bool done;
	int sigchld_fd;         /* SIGCHLD as a signalfd (wait_prompt), -1 */
	uint64_t nevents;       /* index of the next event */
	uint64_t last_flush_ns;
	bool unflushed;
	size_t xstate_size;
	/* --xcr0 (replay/recorder_xcr0.c): the virtual XCR0, the kernel's
	 * ARCH_SET_XCR0 option if that backend is used, else the sites. */
	uint64_t virt_xcr0;
	int kernel_xcr0_option;
	struct insn_virt *iv;
	/* Read by the watchdog thread. */
	_Atomic uint64_t progress_ns;   /* last time a stop was handled */
	_Atomic int watch_tid;          /* current thread in user code, or 0 */
	_Atomic int watch_waiting;      /* threads ready to run */
	_Atomic int watch_signal;       /* a deferred signal of the current */
	_Atomic bool watch_stop;
	/* The watchdog naps on this, and is woken at the end at once. */
	pthread_mutex_t watch_lock;
	pthread_cond_t watch_wake;
	/* The in-process syscall buffer is on (LD_PRELOAD and the seccomp
	 * filter were set up for the program). */
	bool syscall_buffer;
	/* Patched syscall sites (recorder_sitepatch.c), per process. */
	struct rec_site_proc *site_procs;
	size_t nsite_procs;
	char preload_path[4096];
	char **spawn_envp;      /* the program's environment with LD_PRELOAD */
	/* st_dev, st_ino of xrr's own stdout and stderr (0 0: closed). */
	uint64_t out_id[2], err_id[2];
	/* What the programs' rewritten seccomp filters answer. */
	struct seccomp_answers seccomp_answers;
	/* Deaths of emulated tracees their tracers have not waited for. */
	struct rec_trace_exit trace_exits[REC_MAX_TRACE_EXITS];
	size_t ntrace_exits;
	/* SIGCHLDs sent to tracers, oldest first, with their real siginfo. */
	struct { pid_t tracer_pid; siginfo_t si; } trace_sigchld[REC_MAX_TRACE_EXITS];
	size_t ntrace_sigchld;
};

/* A live recorded thread by tid, or NULL. */
struct rthread *rec_find_thread(struct recorder *r, pid_t tid);
/* t's task in the task layer (NULL once gone). */
struct task *rec_task_of(struct rthread *t);

/* Fail the recording with a message; returns -1. */
int rec_fail(struct recorder *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
uint64_t rec_now_ns(void);

/* Events: write ev (its writes' bytes are read from the tracee now and go
 * to the data stream first).  Returns 0 or -1 (rec_fail called). */
int rec_emit(struct recorder *r, struct trace_event *ev);
int rec_emit_writes(struct recorder *r, struct trace_event *ev,
		    struct trace_mem_write **slot, size_t *nslot,
		    const struct sc_region *regions, size_t n);
int rec_read_fn(void *ctx, uint64_t addr, void *buf, size_t len);
int rec_flush(struct recorder *r);

/* A fault of the thread's own instruction (delivered where it happens),
 * not a signal sent to it. */
bool rec_synchronous_signal(const siginfo_t *si);

/* recorder_point.c: from t's stop in user code, step to a point replay
 * can find again and fill pt (reason left 0).  1: t is at the point (a
 * SIGTRAP stop, so a signal can be delivered there); 0: no point before
 * a syscall or trapped instruction (t stopped at an instruction
 * boundary; resume it); 2: t stopped for something else, queued for the
 * main loop; -1: rec_fail called.  *spinning: the loop iteration left
 * every register as it was (a spin wait). */
int rec_point_probe(struct recorder *r, struct rthread *t, struct ev_point *pt,
		    bool *spinning);

/* recorder_seccomp.c: at a syscall entry stop (t->entry_regs, nr and
 * args read): 1 when the program's filter answered the call (t->desc to
 * be rec_seccomp_answered_desc), 0 to go on, -1 (rec_fail called).  At
 * its exit stop, first: rec_seccomp_exit. */
extern const struct syscall_desc rec_seccomp_answered_desc;
int rec_seccomp_entry(struct recorder *r, struct rthread *t, uint16_t data);
int rec_seccomp_exit(struct recorder *r, struct rthread *t);
void rec_seccomp_forget(struct rthread *t);
/* Turn t's process's syscall buffer to DISABLED (its library makes the
 * program's own calls, traced, and none of its own), as part of t's
 * current syscall event.  0, or -1 (rec_fail called). */
int rec_syscallbuf_disable(struct recorder *r, struct rthread *t);

/* recorder_ptrace.c (docs/ptrace-emulation.md).  At t's syscall entry:
 * 1 when the recorder answered it (ptrace, wait4: t->desc and
 * t->skipped set), 2 when t is held for its tracer, 0 to go on, -1
 * (rec_fail called).  The others: 1 when t is held, else 0. */
extern const struct syscall_desc rec_ptrace_desc;
int rec_ptrace_entry(struct recorder *r, struct rthread *t);
int rec_ptrace_syscall_exit(struct recorder *r, struct rthread *t,
			    bool vfork_like);
int rec_ptrace_signal(struct recorder *r, struct rthread *t,
		      const siginfo_t *si);
/* A signal stop of t that its tracer takes at once: an int3 it put, a
 * fault, the trap after its PTRACE_SINGLESTEP.  1 when held, 0, -1. */
int rec_ptrace_fault(struct recorder *r, struct rthread *t,
		     const siginfo_t *si);
/* At t's pwrite64 exit: bytes it wrote into a tracee through
 * /proc/PID/mem are recorded for the tracee.  0 or -1 (rec_fail). */
int rec_ptrace_mem_write(struct recorder *r, struct rthread *t);
int rec_ptrace_after_exec(struct recorder *r, struct rthread *t);
/* At t's PTRACE_EVENT_EXEC (its tid before the exec): the tracer's
 * event stop when it asked for it. */
int rec_ptrace_exec_event(struct recorder *r, struct rthread *t,
			  pid_t former_tid);
/* At t's fork/vfork/clone event (PTRACE_EVENT_*) that made child c: c is
 * traced too when the tracer asked (TRACEFORK...), and t stops for it.
 * A new process's first stop is now (its EV_FORK is written); a new
 * thread's comes with its EV_THREAD_CREATE (rec_ptrace_new_thread). */
int rec_ptrace_fork_event(struct recorder *r, struct rthread *t,
			  struct rthread *c, int event);
int rec_ptrace_new_thread(struct recorder *r, struct rthread *c);
/* A SIGCHLD for t that xrr sent (an emulated tracee stopped or died):
 * *si becomes the CLD_TRAPPED/CLD_EXITED/... siginfo the kernel sends. */
void rec_ptrace_sigchld_info(struct recorder *r, struct rthread *t,
			     siginfo_t *si);
/* t's process stopped for job control, or went on after SIGCONT: what a
 * seizing tracer sees.  1 when t stays held for it, else 0; -1 on error. */
int rec_ptrace_group_stop(struct recorder *r, struct rthread *t);
int rec_ptrace_group_continued(struct recorder *r, struct rthread *t);
/* At t's syscall exit stop, first: a wait4 interrupted for a stop gets
 * it as its result; one that found no child while tracees live waits
 * (RT_TRACE_WAITING) until one reports.  0, 1 (parked), -1 (rec_fail
 * called). */
int rec_ptrace_exit(struct recorder *r, struct rthread *t);
/* t is gone (wait status): its tracer is told when the kernel would not
 * (t is not its child); its relation, and the tracees of its process if
 * it led it, are dropped. */
void rec_ptrace_forget(struct recorder *r, struct rthread *t, int status);

/* recorder_exec.c */
int rec_fill_cpuid(struct trace_header *h, int cpu, char *err, size_t errlen);
/* The initial state after an exec (t stopped at the execve exit). */
int rec_record_exec(struct recorder *r, struct rthread *t);
/* A file mapping made by mmap at event `event`. */
int rec_record_mmap(struct recorder *r, struct rthread *t, uint64_t addr,
		    uint64_t len, uint64_t prot, uint64_t flags, int fd,
		    uint64_t offset, struct sc_region *regions, size_t *nregions,
		    size_t max);
/* shmat: its extent (mmaps record) and contents (regions). */
int rec_record_shmat(struct recorder *r, struct rthread *t, uint64_t addr,
		     uint64_t shmflg, struct sc_region *regions,
		     size_t *nregions, size_t max);
/* Region [start, end) of the mapping containing addr, from /proc maps. */
int rec_mapping_of(struct recorder *r, uint64_t addr, uint64_t *start,
		   uint64_t *end);
uint64_t rec_thread_xcr0(struct recorder *r, struct rthread *t);

/* recorder_xcr0.c: --xcr0 (docs/xcr0.md). */
int rec_xcr0_setup(struct recorder *r, struct trace_header *h, char *err,
		   size_t errlen);
int rec_xcr0_start(struct recorder *r);
void rec_xcr0_finish(struct recorder *r);
uint64_t rec_xcr0_of_thread(struct recorder *r, uint64_t real);
int rec_xcr0_exec(struct recorder *r, struct rthread *t);
int rec_xcr0_new_thread(struct recorder *r, pid_t tid);
int rec_xcr0_syscall(struct recorder *r, long nr, const uint64_t *args,
		     int64_t result);
/* enum insn_trap_result, or -1 (rec_fail called). */
int rec_xcr0_trap(struct recorder *r, struct rthread *t, siginfo_t *fault);
/* Make the site table p's (before acting on p). */
void rec_xcr0_use_process(struct recorder *r, struct process *p);
/* A new process: its sites start as a copy of its parent's. */
int rec_xcr0_fork(struct recorder *r, struct process *parent,
		  struct process *child);
/* A process is gone: drop its sites. */
void rec_xcr0_drop_process(struct recorder *r, struct process *p);

/* recorder_sitepatch.c: at t's syscall-exit stop (its EV_SYSCALL
 * written), patch the site of a call the syscall buffer could have made
 * (replay/sitepatch.h) and write EV_PATCH.  0, or -1 (rec_fail called). */
int rec_sitepatch_after_syscall(struct recorder *r, struct rthread *t,
				const struct user_regs_struct *g);
/* p's address space is gone or new (exit, exec): forget its sites. */
void rec_sitepatch_forget(struct recorder *r, struct process *p);
void rec_sitepatch_free(struct recorder *r);

/* recorder_bpf.c: the bpf describer (replay/syscall_bpf.h); ctx is the
 * recorder, as for rec_read_fn. */
struct sc_bpf_obj;
int rec_bpf_describe(void *ctx, int fd, struct sc_bpf_obj *out);

#endif
