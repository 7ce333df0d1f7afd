/* Internals of the replay engine shared by replay/replay_*.c and the unit
 * tests: the replayer state, the event cursor, address-space planning and
 * syscall matching. */
#ifndef XRR_REPLAY_REPLAY_INT_H
#define XRR_REPLAY_REPLAY_INT_H

#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stddef.h>
#include <stdint.h>

#include "replay/insn_virt.h"
#include "replay/replayer.h"
#include "replay/trace_events.h"

#define REPLAY_PAGE 4096ull
/* Our own page (syscall;int3 for remote syscalls) and a page for the paths
 * the tracee opens. */
#define REPLAY_SCRATCH_LEN (2 * REPLAY_PAGE)
/* Top of the 47-bit user address space. */
#define REPLAY_USER_TOP 0x7ffffffff000ull

struct replay_range {
	uint64_t start, end;
};

/* ---- address-space planning (pure, unit tested) ------------------------ */

/* An address for the scratch pages that overlaps none of `used` (the
 * recording's mappings at exec and later, and the stub's own), or 0. */
uint64_t replay_plan_scratch(const struct replay_range *used, size_t nused);
/* The order to recreate EV_EXEC's mappings in: the stack first, then by
 * address.  Fills order[0..n) with indexes into maps. */
void replay_plan_order(const struct trace_mapping *maps, size_t n,
		       size_t *order);
enum replay_map_kind {
	REPLAY_MAP_FILE,        /* from the trace's stored copy */
	REPLAY_MAP_ANON,        /* anonymous, recorded bytes written */
	REPLAY_MAP_STACK,       /* anonymous, grows down */
	REPLAY_MAP_SKIP,        /* [vsyscall]: not ours to make */
};
enum replay_map_kind replay_map_kind(const struct trace_mapping *m);
/* mmap flags to recreate m with (always MAP_FIXED, file copies private). */
int replay_map_flags(const struct trace_mapping *m);

/* ---- matching (pure, unit tested) -------------------------------------- */

/* Does the syscall the task is making match the recorded one?  true, or
 * false with "expected X, got Y" in msg. */
bool replay_syscall_matches(const struct ev_syscall *rec, long nr,
			    const uint64_t args[6], char *msg, size_t msglen);

/* XRR_TEST_ALTER_EVENT=N:field=V (field: result, nr, arg0..arg5): a test
 * hook that changes one recorded syscall as it is read. */
struct replay_alter {
	bool active;
	uint64_t event;
	char field[16];
	int64_t value;
};
int replay_alter_parse(const char *spec, struct replay_alter *a, char *err,
		       size_t errlen);
/* Apply to ev (event number index) if it is the one. */
void replay_alter_apply(const struct replay_alter *a, uint64_t index,
			struct trace_event *ev);

/* ---- the replayer ------------------------------------------------------- */

/* One replayed process: a real process rebuilt from the trace (the
 * first from the exec stub, later ones forked from their recorded
 * parent at its EV_FORK). */
/* A recorded mapping known by name ([heap], [stack], [vdso], [vvar]):
 * replay makes them anonymous; /proc/PID/maps shows the names again. */
struct replay_named_map {
	uint64_t start, end;
	char name[12];
};
#define REPLAY_MAX_NAMED_MAPS 8

struct replay_proc {
	struct process proc;
	pid_t rec_pid;                  /* recorded pid */
	/* Its pid in its own pid namespace (EV_FORK's ns_tid, 2.3), 0 when
	 * unknown; another number than rec_pid: it lives in a pid
	 * namespace of its own, where its calls return other tids. */
	pid_t ns_pid;
	bool exited;                    /* its EV_EXIT was replayed */
	int exit_status;
	uint64_t brk_end;               /* page end of the heap we mapped */
	bool brk_known;
	bool at_exit_group;             /* a thread is in exit_group */
	/* Made with CLONE_VM (vfork, posix_spawn) and not exec'd since:
	 * its memory is its parent's, as in the recording. */
	bool shares_mm;
	/* --xcr0 traces: its patched sites, while another process's are
	 * in the replayer's table (replayer->iv_owner). */
	struct insn_site_set sites;
	uint8_t *auxv;
	size_t auxv_len;
	char *exec_path;
	/* The named mappings of its last exec (replay_procfs.c). */
	struct replay_named_map named[REPLAY_MAX_NAMED_MAPS];
	size_t nnamed;
};

struct fdtable;

struct replay_thread {
	struct replay_proc *rp;         /* its process */
	/* Which of its fds reach the recorder's stdout/stderr
	 * (replay/fdtable.h): what replay echoes. */
	struct fdtable *fdt;
	pid_t rec_tid;
	pid_t real_tid;
	uint64_t xcr0;
	bool exited;
	uint64_t rseq_args[4];          /* its rseq registration, if [0] */
	/* Stopped at a syscall entry that is not its turn yet (it got
	 * there under a single step): handled when its event comes. */
	bool parked;
	/* Made by a clone just replayed, not named by its recorded tid yet:
	 * its EV_THREAD_CREATE, next, says it (the clone's result is its
	 * tid in its pid namespace). */
	bool naming;
	/* Its fork/vfork/clone was performed at the EV_FORK; the
	 * EV_SYSCALL that follows only sets the recorded result. */
	bool fork_done;
	/* Preempted at an EV_POINT: runs again at its EV_RESUME. */
	bool at_point;
	/* Stopped by a guard fault (replay_guard.c) at this rip: resuming
	 * runs that instruction with the guarded pages open first. */
	uint64_t guard_pc;
	/* At the syscall buffer's XRR_SYS_SB_WAIT: its records are in an
	 * EV_SYSCALLBUF not reached yet (replay_syscallbuf.c). */
	bool sb_waiting;
	/* Stopped at its syscall's entry for a syscall catchpoint: the
	 * syscall is replayed when it goes on. */
	bool entry_caught;
};

struct point_patch;

/* The search for the next EV_POINT (replay_point.c): an int3 of ours at
 * the point's rip, or (fast) a jump there to a matcher on a page of
 * ours near it. */
struct replay_point_search {
	bool armed;
	uint64_t addr;
	uint8_t saved;
	struct process *proc;
	bool fast;
	struct point_patch *patch;
	uint64_t page;
	uint64_t arrivals;      /* traps that did not match (XRR_REPLAY_DEBUG) */
	/* Per event (ev_index + 1 of the event they describe): the matcher
	 * cannot go at this point (not tried again at every arrival), and
	 * arrivals of the int3 search so far (a notice when they are many). */
	uint64_t no_fast_event;
	uint64_t slow_event, slow_arrivals;
};

#define REPLAY_MAX_PROCS 1024
#define REPLAY_MAX_THREADS 1024     /* of all processes, alive at once */

struct replayer {
	struct replay_options opts;
	char trace_dir[PATH_MAX];
	char stub_path[PATH_MAX];
	struct trace *trace;

	/* Event cursor: `ev` is the next event to replay, number ev_index. */
	struct trace_reader *events, *data, *mmaps;
	struct trace_event ev;
	bool have_ev;
	bool ev_eof;
	uint64_t ev_index;
	unsigned slow_ms;   /* XRR_TEST_SLOW_REPLAY_MS: pause per event (tests) */
	struct trace_mmap_record mm;    /* next mmaps record, if have_mm */
	bool have_mm;
	struct replay_alter alter;
	/* Instruction virtualisation (replay_virt.c); iv NULL when unused. */
	struct insn_virt *iv;
	struct trace_reader *tasks;
	struct insn_site *sites;        /* the next sites record, if have_sites */
	size_t nsites;
	uint64_t sites_event;
	bool have_sites;
	bool debug;                     /* $XRR_REPLAY_DEBUG: log events */
	/* Source locations for messages and callers (replay/symbols.h),
	 * made on first use. */
	struct sym_table *syms;

	/* Live processes; rp is the one being acted on and proc its
	 * struct process (replay_space.c, replay_syscall.c use them). */
	struct replay_proc *procs[REPLAY_MAX_PROCS];
	size_t nprocs;
	struct replay_proc *rp;
	struct process *proc;
	struct replay_proc *iv_owner;   /* whose sites iv holds */
	pid_t target_pid;               /* the process GDB debugs (recorded) */
	uint64_t start_event;           /* replayed up to here at open */
	pid_t root_pid;                 /* the first process (recorded) */
	bool root_exited;
	int cpu;                        /* the tracee's CPU, or -1 */
	uint64_t scratch;

	struct replay_thread threads[REPLAY_MAX_THREADS];
	size_t nthreads;
	/* Threads to run now, in order (recorded tids), see replayer.c. */
	pid_t runq[REPLAY_MAX_THREADS];
	size_t nrunq;

	/* SysV segments attached so far (shms), and files mapped
	 * MAP_SHARED (sfiles; 2.4 traces name them by device and inode):
	 * one memfd of ours each, which every replayed attachment or
	 * mapping maps, so that they share as the recorded ones did
	 * (replay_syscall.c). A checkpoint is refused while a segment is
	 * attached, or while a shared writable mapping exists (then it
	 * starts with no sfiles: later mappings get fresh memfds). */
	struct replay_shm {
		int32_t shmid;          /* -1 for a file */
		uint64_t dev, ino;      /* 0, 0 for a SysV segment */
		int memfd;
		uint64_t size;
	} *shms, *sfiles;
	size_t nshms, nsfiles;

	bool ended;
	int exit_status;
	bool diverged;                  /* never continue past one */
	char divergence[512];
	/* The next event, a signal, was reported (REPLAY_STOP_SIGNAL) and
	 * is delivered when replay resumes. */
	bool announced;
	bool stepping;                  /* the current resume is a step */
	/* Registers at the syscall-entry stop being replayed. */
	struct user_regs_struct entry_regs;
	struct replay_point_search psearch;
	/* Page-protection watchpoints of the timeline (replay_guard.c):
	 * pages of the target process made read-only (or inaccessible),
	 * whose faults stop the replay before the access. */
	struct replay_guard {
		uint64_t page;
		int orig_prot;          /* what the program had */
		int prot;               /* what we set */
		bool reads;             /* reads fault too (PROT_NONE) */
		int refs;
		bool applied;
	} guards[16];
	size_t nguards;
	bool guards_dirty;              /* a performed syscall changed maps */
	/* Syscall catchpoints (replayer_catch_syscalls). */
	bool catch_on, catch_all;
	bool catch_which[REPLAY_MAX_CATCH_NR];
	enum replay_catch_arm catch_arm;
};

/* Cursor (replay_cursor.c). */
int replay_cursor_open(struct replayer *r, char *err, size_t errlen);
void replay_cursor_close(struct replayer *r);
/* Read the next event into r->ev (have_ev false at the end). */
int replay_cursor_advance(struct replayer *r, char *err, size_t errlen);
/* The next data record (bytes of one memory write). */
int replay_cursor_data(struct replayer *r, const uint8_t **bytes,
		       size_t *len, char *err, size_t errlen);
/* The mmaps record made by event `index` (NULL if none). */
const struct trace_mmap_record *replay_cursor_mmap(struct replayer *r,
						   uint64_t index);

/* Address space (replay_space.c). */
int replay_space_build(struct replayer *r, char *err, size_t errlen);
/* EV_EXEC of a later execve by t (stopped at it). */
int replay_space_exec(struct replayer *r, struct task *t, char *err,
		      size_t errlen);
/* t runs nr(a0, a1, a2), a call that does not come back (exit,
 * execve), from the scratch page: started, not waited for. */
int replay_space_start_final_syscall(struct replayer *r, struct task *t,
				     long nr, uint64_t a0, uint64_t a1,
				     uint64_t a2);
/* The same for a process that shares its memory with another (vfork,
 * CLONE_VM): a real exec of the stub first, then the rebuild. */
int replay_space_exec_fresh(struct replayer *r, struct task *t, char *err,
			    size_t errlen);
/* Open path inside the tracee (O_CLOEXEC added): its fd, or -1 with err. */
long replay_space_open_path_in_tracee(struct replayer *r, struct task *t,
				      const char *path, int flags, char *err,
				      size_t errlen);
/* Open the trace's copy of a stored file inside the tracee: fd or -errno. */
long replay_space_open_in_tracee(struct replayer *r, struct task *t,
				 const char *file_id, char *err, size_t errlen);
/* Apply a memory-write list (bytes from the data stream). */
int replay_write_memory(struct replayer *r,
			const struct trace_mem_write *w, size_t n,
			char *err, size_t errlen);

/* Instruction virtualisation (replay_virt.c). */
int replay_virt_open(struct replayer *r, char *err, size_t errlen);
void replay_virt_close(struct replayer *r);
/* Sites of the EV_EXEC just rebuilt (event r->ev_index). */
int replay_virt_after_exec(struct replayer *r, char *err, size_t errlen);
/* After a performed mmap/mprotect/munmap (event r->ev_index). */
int replay_virt_after_syscall(struct replayer *r, const struct ev_syscall *s,
			      char *err, size_t errlen);
/* A SIGILL: enum insn_trap_result, or -1 with err. */
int replay_virt_trap(struct replayer *r, struct task *t, uint64_t xcr0,
		     siginfo_t *fault, char *err, size_t errlen);

/* The in-process syscall buffer (replay_syscallbuf.c): the current
 * event is an EV_SYSCALLBUF, its records go into the thread's buffer;
 * th stopped at XRR_SYS_SB_WAIT.  0, or 1 with stop filled. */
int replay_syscallbuf_batch(struct replayer *r, struct replay_stop *stop);
int replay_syscallbuf_wait(struct replayer *r, struct replay_thread *th,
			   struct task *t, struct replay_stop *stop);

/* Set the syscall result register of t.  0 or -1 (r->proc->err). */
int replay_set_rax(struct replayer *r, struct task *t, int64_t value);

/* Where a write of the current event's thread to fd is echoed (its
 * descriptor leads to the recorder's stdout or stderr), or NULL. */
FILE *replay_echo_stream(struct replayer *r, uint64_t fd);

/* Syscalls (replay_syscall.c). */
/* Close the SysV segments' memfds (the replay starts over or ends). */
void replay_shm_forget(struct replayer *r);
int replay_syscall(struct replayer *r, struct task *t,
		   struct replay_stop *stop);
/* The recorded signal is a seccomp filter's SIGSYS (SECCOMP_RET_TRAP)
 * for syscall nr: the kernel skipped the call and sent it. */
bool replay_seccomp_trap(const struct ev_signal *s, long nr);
/* t is at that syscall's entry: skip it as the kernel did (rax back to
 * the number) and deliver the signal.  Returns as the signal stops do. */
int replay_seccomp_sigsys(struct replayer *r, struct task *t,
			  struct replay_stop *stop);

/* Threads and processes. */
void replay_use_thread(struct replayer *r, struct replay_thread *th);
void replay_use_proc(struct replayer *r, struct replay_proc *rp);
/* The process shown to the caller (-p PID, else the first), if alive. */
struct replay_proc *replay_target_proc(const struct replayer *r);
struct replay_thread *replay_thread_new(struct replayer *r, pid_t rec,
					 struct replay_proc *rp);
struct replay_proc *replay_proc_new(struct replayer *r);
/* Kill a replayed process and free what it holds (not rp itself). */
void replay_proc_release(struct replay_proc *rp);
/* The fork of EV_FORK, performed by t (at its fork/vfork/clone entry). */
int replay_fork(struct replayer *r, struct task *t, struct replay_stop *stop);
void replay_runq_push(struct replayer *r, pid_t rec, bool front);
/* EV_PATCH (the current event, of thread th): map its page, write its
 * code.  0, or 1 with stop filled (an error). */
int replay_patch_site(struct replayer *r, struct replay_thread *th,
		      struct replay_stop *stop);
void replay_runq_remove(struct replayer *r, pid_t rec);
struct replay_thread *replay_thread_by_rec(struct replayer *r, pid_t rec);
struct replay_thread *replay_thread_by_real(struct replayer *r, pid_t real);

/* Points (replay_point.c): is the next event th's EV_POINT? */
bool replay_point_next(const struct replayer *r, const struct replay_thread *th);
/* XRR_REPLAY_DEBUG: the next event's point in full (registers, memory). */
void replay_point_log(const struct replayer *r, FILE *f);
/* Is t (stopped) at the next event's point?  -1: r->proc->err says why. */
int replay_point_matches(struct replayer *r, struct task *t, bool *match);
/* th is at its point: the event is done (a preempted thread waits). */
int replay_point_reached(struct replayer *r, struct replay_thread *th,
			 char *err, size_t errlen);
/* EV_RESUME: th runs on from its point, before anyone else. */
void replay_point_resume(struct replayer *r, struct replay_thread *th);
/* Make t trap when it arrives at the point's rip (0), or 2: t stands in
 * the middle of the code the matcher's jump would cover: step it first.
 * replay_point_disarm undoes it
 * (always before a stop is reported or memory is shown; t, stopped, is
 * first stepped out of the matcher if it is inside). */
int replay_point_arm(struct replayer *r, struct task *t);
int replay_point_disarm(struct replayer *r, struct task *t);
/* A signal of t (armed) in the middle of the code the matcher's jump
 * replaced: the program branched there, which the recorder had not seen. */
bool replay_point_jumped_in(struct replayer *r, struct task *t,
			    const struct task_stop *ts);
/* After a stop of t: 0 not the search's; 1 its trap, t's rip set to the
 * point's (where it arrived) for point_here to decide; 2 the matcher's
 * trap on a partial match that was no match: resume t, still armed. */
int replay_point_trap(struct replayer *r, struct task *t,
		      const struct task_stop *ts);

/* Guards (replay_guard.c). */
/* Put the guards' protection on (again) through stopped task t. */
int replay_guard_apply(struct replayer *r, struct task *t);
/* A SIGSEGV of t: the guard's fault (1: stop filled, REPLAY_STOP_GUARD)
 * or not (0). */
int replay_guard_fault(struct replayer *r, struct replay_thread *th,
		       struct task *t, const struct task_stop *ts,
		       struct replay_stop *stop);
/* th stopped at a guard fault and resumed: run the faulting instruction
 * with the pages open.  0: done (t stopped after it), -1: error. */
int replay_guard_step_over(struct replayer *r, struct replay_thread *th,
			   struct task *t);

/* Fill stop as a divergence at the current event (always returns 1). */
int replay_diverged(struct replayer *r, struct replay_stop *stop,
		    const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int replay_error(struct replayer *r, struct replay_stop *stop,
		 const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
