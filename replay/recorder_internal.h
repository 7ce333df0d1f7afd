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
};

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
	char preload_path[4096];
	char **spawn_envp;      /* the program's environment with LD_PRELOAD */
	/* st_dev, st_ino of xrr's own stdout and stderr (0 0: closed). */
	uint64_t out_id[2], err_id[2];
	/* What the programs' rewritten seccomp filters answer. */
	struct seccomp_answers seccomp_answers;
};

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

/* si_code of a seccomp filter's SIGSYS (SYS_SECCOMP, which glibc
 * shows only to some feature sets). */
#define SIGSYS_SECCOMP_CODE 1

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

/* recorder_bpf.c: the bpf describer (replay/syscall_bpf.h); ctx is the
 * recorder, as for rec_read_fn. */
struct sc_bpf_obj;
int rec_bpf_describe(void *ctx, int fd, struct sc_bpf_obj *out);

#endif
