/* The recorder's main loop: one thread runs user code at a time; threads
 * switch, and asynchronous signals are delivered, at system calls and at
 * points in user code the recorder chooses when a time slice ends or a
 * signal arrives (recorder_point.c, docs/preemption.md).  The order in
 * which events are written is the schedule replay follows. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>
#include <x86intrin.h>

#include "replay/ns_view.h"
#include "replay/recorder_internal.h"
#include "replay/syscall_bpf.h"
#include "replay/syscallbuf.h"
#include "replay/trace_codec.h"
#include "replay/xsave.h"

#ifndef CLONE_VM
#define CLONE_VM 0x00000100
#define CLONE_VFORK 0x00004000
#define CLONE_THREAD 0x00010000
#endif

enum {
	NR_SCHED_YIELD = 24,
	NR_MMAP = 9, NR_SHMAT = 30, NR_CLONE = 56, NR_FORK = 57, NR_VFORK = 58,
	NR_EXECVE = 59, NR_EXIT = 60, NR_EXIT_GROUP = 231, NR_EXECVEAT = 322,
	NR_CLONE3 = 435,
};

/* A non-blocking syscall that takes longer than this while other threads
 * wait is treated as blocking (it may wait for one of them). */
#define PROMPT_EXIT_NS (20 * 1000 * 1000ull)
#define WATCHDOG_AFTER_S 5
/* Time slices while another thread is ready or a signal waits: short
 * first (a spinning thread is stopped after this much wasted time), then
 * doubling for a thread that keeps computing (each preemption costs a
 * probe of ~0.3-3 ms, docs/preemption.md). */
#define SLICE_BASE_NS (2 * 1000 * 1000ull)
#define SLICE_MAX_NS (32 * 1000 * 1000ull)

/* A syscall that changes the address space every thread shares: its
 * event must come before any other thread's, as the kernel ordered them
 * (another thread's mmap may get the range its munmap freed; replay
 * performs both in the events' order).  It never waits for another
 * thread, so the turn is not given away while it runs. */
static bool changes_address_space(long nr)
{
	switch (nr) {
	case SYS_mmap: case SYS_munmap: case SYS_mremap: case SYS_mprotect:
	case SYS_pkey_mprotect: case SYS_brk: case SYS_madvise:
	case SYS_shmat: case SYS_shmdt:
		return true;
	default:
		return false;
	}
}

/* ---- threads ------------------------------------------------------------------ */

struct rthread *rec_find_thread(struct recorder *r, pid_t tid)
{
	for (size_t i = 0; i < r->nthreads; i++)
		if (r->threads[i].tid == tid && r->threads[i].state != RT_DEAD)
			return &r->threads[i];
	return NULL;
}

/* Slots of dead threads are reused: a shell loop makes hundreds of
 * short processes one after the other. */
static struct rthread *add_thread(struct recorder *r, pid_t tid,
				  struct process *proc)
{
	struct rthread *t = NULL;

	for (size_t i = 0; i < r->nthreads && !t; i++)
		if (r->threads[i].state == RT_DEAD)
			t = &r->threads[i];
	if (!t) {
		if (r->nthreads == REC_MAX_THREADS) {
			rec_fail(r, "more than %d threads and processes alive"
				 " at once", REC_MAX_THREADS);
			return NULL;
		}
		t = &r->threads[r->nthreads++];
	}
	memset(t, 0, sizeof(*t));
	t->tid = tid;
	t->proc = proc;
	t->state = RT_READY;
	r->ticks->attach(NULL, tid);
	return t;
}

struct task *rec_task_of(struct rthread *t)
{
	return process_find_task(t->proc, t->tid);
}

/* Act on t's process from now on (memory reads, /proc files, the
 * patched sites of --xcr0). */
static void use_thread(struct recorder *r, struct rthread *t)
{
	r->proc = t->proc;
	rec_xcr0_use_process(r, t->proc);
}

static int get_regs(struct recorder *r, struct rthread *t,
		    struct user_regs_struct *regs)
{
	struct task *tk = rec_task_of(t);

	if (!tk || task_get_gregs(t->proc, tk, regs) < 0)
		return rec_fail(r, "event %" PRIu64 ": registers of thread %d:"
				" %s", r->nevents, (int)t->tid, t->proc->err);
	return 0;
}

static int set_regs(struct recorder *r, struct rthread *t,
		    const struct user_regs_struct *regs)
{
	struct task *tk = rec_task_of(t);

	if (!tk || task_set_gregs(t->proc, tk, regs) < 0)
		return rec_fail(r, "event %" PRIu64 ": setting registers of"
				" thread %d: %s", r->nevents, (int)t->tid,
				t->proc->err);
	return 0;
}

static int resume(struct recorder *r, struct rthread *t,
		  enum task_resume_mode mode, int sig)
{
	struct task *tk = rec_task_of(t);
	int rc = tk ? task_resume(t->proc, tk, mode, sig) : -ESRCH;

	if (rc < 0) {
		/* Killed meanwhile (exit_group of another thread, SIGKILL
		 * from outside): its exit status is on its way. */
		if (!tk || tk->exited || rc == -ESRCH)
			return 0;
		return rec_fail(r, "resuming thread %d: %s", (int)t->tid,
				t->proc->err);
	}
	return 0;
}

static int resume_user(struct recorder *r, struct rthread *t,
		       bool may_release);
static int interrupt_with_deferred(struct recorder *r, struct rthread *t);

/* Resume into user code from a point an event marks (syscall exit,
 * handler entry, emulated rdtsc), releasing one deferred signal if any:
 * replay delivers it right after the thread's event. */
static int run_user(struct recorder *r, struct rthread *t)
{
	return resume_user(r, t, true);
}

/* After t's syscall event: its user code, unless its emulated tracer
 * must see it first (the stop after an execve). */
static int after_syscall(struct recorder *r, struct rthread *t)
{
	if (t->trace_exec_stop) {
		t->trace_exec_stop = false;
		int held = rec_ptrace_after_exec(r, t);
		if (held)
			return held < 0 ? -1 : 0;
	}
	return run_user(r, t);
}

/* Resume into user code; deferred signals are released only where an
 * event marks the point (may_release), else they keep waiting. */
static int resume_user(struct recorder *r, struct rthread *t, bool may_release)
{
	int sig = 0;

	use_thread(r, t);
	struct task *tk = rec_task_of(t);
	if (tk && task_get_gregs(t->proc, tk, &t->boundary_regs) == -ESRCH) {
		/* Killed while it waited for its turn (another process's
		 * SIGKILL acts at once, even on a stopped tracee): its death
		 * comes through waitpid like any other. */
		t->boundary_valid = false;
		return 0;
	}
	if (get_regs(r, t, &t->boundary_regs) < 0)
		return -1;
	t->boundary_valid = may_release;
	if (may_release && t->ndeferred && !t->releasing) {
		/* Re-sent by the kernel at this stop; it is dequeued before
		 * any user instruction and comes back as a signal stop with
		 * boundary_regs, where its original siginfo is restored. */
		sig = t->deferred[0].si_signo;
		t->releasing = true;
	}
	/* A new turn starts a new slice; a resume within the turn (after a
	 * syscall, a handler entry) does not. */
	if (r->current != t || !t->slice_ns)
		t->slice_start_ns = rec_now_ns();
	if (!t->slice_ns)
		t->slice_ns = SLICE_BASE_NS;
	t->state = RT_USER;
	r->current = t;
	atomic_store(&r->watch_tid, t->tid);
	atomic_store(&r->watch_signal, t->ndeferred ? t->deferred[0].si_signo : 0);
	return resume(r, t, TASK_RESUME_SYSCALL, sig);
}

/* ---- the in-process syscall buffer ---------------------------------------------- */

/* The calls t's buffer made since its last stop go into the trace
 * before anything this stop records. */
static int take_buffered_calls(struct recorder *r, struct rthread *t,
			       bool force)
{
	struct trace_event ev = { .type = EV_SYSCALLBUF, .tid = t->tid };
	char err[256];

	/* Gone, or on its way out after exit/exit_group (the records were
	 * taken at that call's entry): no memory to read. */
	if (!t->sb_buffer || t->state == RT_EXITING || t->state == RT_DEAD)
		return 0;
	int rc = syscallbuf_collect(t->proc, t->sb_buffer, force,
				    &ev.u.syscallbuf, err, sizeof(err));
	if (rc < 0)
		return rec_fail(r, "recording stopped: thread %d: %s",
				(int)t->tid, err);
	if (rc == 0)
		return 0;
	rc = rec_emit(r, &ev);
	ev.u.syscallbuf.records = NULL;         /* syscallbuf.c's */
	trace_event_free(&ev);
	return rc;
}

/* Stopped inside the library (a buffered call in progress, or on its
 * way in or out): no point may be chosen there, record and replay run
 * different code inside it. */
static bool in_buffered_call(struct recorder *r, struct rthread *t)
{
	struct user_regs_struct g;
	struct task *tk = rec_task_of(t);

	if (!t->sb_code_end)
		return false;
	if (t->sb_buffer && syscallbuf_locked(t->proc, t->sb_buffer))
		return true;
	if (!tk || task_get_gregs(t->proc, tk, &g) < 0)
		return false;
	return (g.rip >= t->sb_code_start && g.rip < t->sb_code_end) ||
	       (g.rip >= XRR_SB_PAGE_ADDR &&
		g.rip < XRR_SB_PAGE_ADDR + XRR_SB_PAGE_SIZE);
}

/* t is inside the library while a signal waits or another thread should
 * run: its next buffered call makes a syscall stop first (a flush), where
 * both happen.  Replay sees the request in the EV_SYSCALLBUF. */
static int ask_for_syscall_stop(struct recorder *r, struct rthread *t)
{
	/* Without a buffer of its own yet it makes a syscall (the
	 * registration) before any buffered call anyway. */
	return t->sb_buffer ? take_buffered_calls(r, t, true) : 0;
}

/* The library's private calls (syscallbuf/syscallbuf_abi.h), at their
 * exit: the kernel said ENOSYS, the recorder answers.  Replay answers
 * them from the EV_SYSCALL like any emulated call. */
static int answer_private_call(struct recorder *r, struct rthread *t)
{
	struct user_regs_struct g;
	char err[256];
	int64_t answer = -ENOSYS;

	if (!syscallbuf_private_nr(t->nr) || !r->syscall_buffer)
		return 0;
	if (t->nr == XRR_SYS_SB_REGISTER) {
		if (syscallbuf_check_buffer(t->proc, t->args[0], t->args[1], err,
					    sizeof(err)) < 0)
			return rec_fail(r, "recording stopped: thread %d: %s",
					(int)t->tid, err);
		/* Under a seccomp filter of the program's: traced calls
		 * only (recorder_seccomp.c). */
		if (syscallbuf_set_mode(t->proc, t->seccomp_mode || t->tracee
					? XRR_SB_MODE_DISABLED
					: XRR_SB_MODE_RECORD) < 0 ||
		    syscallbuf_set_terminal(t->proc) < 0)
			return rec_fail(r, "recording stopped: thread %d: "
					"setting the syscall buffer's mode: %s",
					(int)t->tid, strerror(errno));
		t->sb_buffer = t->args[0];
		t->sb_code_start = t->args[3];
		t->sb_code_end = t->args[4];
		answer = 0;
	} else if (t->nr == XRR_SYS_SB_FLUSH) {
		answer = 0;     /* taken at this call's entry stop */
	}
	if (get_regs(r, t, &g) < 0)
		return -1;
	g.rax = (uint64_t)answer;
	return set_regs(r, t, &g);
}

/* ---- syscalls ------------------------------------------------------------------- */

static void syscall_args(const struct user_regs_struct *g, uint64_t a[6])
{
	a[0] = g->rdi; a[1] = g->rsi; a[2] = g->rdx;
	a[3] = g->r10; a[4] = g->r8; a[5] = g->r9;
}

/* Bytes of input arguments for `xrr dump` (an optional annotation). */
static int note_inputs(struct recorder *r, struct rthread *t)
{
	const struct syscall_desc *d = t->desc;
	struct trace_buf b;
	uint8_t bytes[512];
	uint32_t count = 0;

	trace_buf_init(&b);
	trace_buf_put_u32(&b, (uint32_t)t->tid);
	size_t count_at = b.len;
	trace_buf_put_u32(&b, 0);
	for (int i = 0; i < d->nargs && i < SC_MAX_ARGS; i++) {
		size_t want;
		if (d->arg[i] == SA_PATH)
			want = sizeof(bytes);
		else if (d->arg[i] == SA_BUF_IN && i + 1 < SC_MAX_ARGS)
			want = t->args[i + 1] < 64 ? t->args[i + 1] : 64;
		else
			continue;
		if (!t->args[i] || !want)
			continue;
		/* Shorter near the end of a mapping. */
		size_t got = 0;
		while (got < want) {
			ssize_t n = process_read_memory(r->proc, t->args[i] + got,
							bytes + got, want - got);
			if (n <= 0)
				break;
			got += (size_t)n;
		}
		trace_buf_put_u64(&b, t->args[i]);
		trace_buf_put_blob(&b, bytes, got);
		count++;
	}
	int rc = 0;
	if (count) {
		memcpy(b.data + count_at, &count, 4);
		if (trace_writer_append(r->w[TRACE_STREAM_EVENTS],
					TRACE_NOTE_SYSCALL_INPUTS, b.data, b.len) < 0)
			rc = rec_fail(r, "writing the events stream: %s",
				      trace_writer_error(r->w[TRACE_STREAM_EVENTS]));
	}
	trace_buf_free(&b);
	return rc;
}

static bool is_vfork_like(const struct rthread *t, uint64_t flags)
{
	if (t->nr == NR_VFORK)
		return true;
	return (t->nr == NR_CLONE || t->nr == NR_CLONE3) &&
	       (flags & (CLONE_VM | CLONE_VFORK)) == (CLONE_VM | CLONE_VFORK) &&
	       !(flags & CLONE_THREAD);
}

static uint64_t clone_flags_of(struct recorder *r, const struct rthread *t)
{
	uint64_t flags = 0;

	if (t->nr == NR_CLONE)
		return t->args[0];
	if (t->nr == NR_VFORK)
		return CLONE_VM | CLONE_VFORK;
	if (t->nr == NR_CLONE3 && t->args[0])
		rec_read_fn(r, t->args[0], &flags, sizeof(flags));
	return flags;
}

/* A CLONE_VM|CLONE_VFORK child (vfork, posix_spawn) ran unrecorded in
 * our memory until it exec'd: keep what it may have written there, the
 * parent's stack above rsp and the child's stack mapping. */
static size_t vfork_regions(struct recorder *r, struct rthread *t,
			    const struct user_regs_struct *g,
			    struct sc_region *out, size_t n)
{
	uint64_t start, end;

	if (rec_mapping_of(r, g->rsp, &start, &end) == 0) {
		uint64_t from = g->rsp - 128 >= start ? g->rsp - 128 : start;
		out[n++] = (struct sc_region){ from, end - from };
	}
	uint64_t child_sp = t->nr == NR_CLONE ? t->args[1] : 0;
	if (t->nr == NR_CLONE3 && t->args[0]) {
		uint64_t ca[6] = { 0 };     /* flags pidfd child_tid parent_tid exit_signal stack */
		uint64_t size = 0;
		if (rec_read_fn(r, t->args[0], ca, sizeof(ca)) == 0 &&
		    rec_read_fn(r, t->args[0] + 48, &size, sizeof(size)) == 0)
			child_sp = ca[5] + size;
	}
	if (child_sp && rec_mapping_of(r, child_sp - 1, &start, &end) == 0 &&
	    !(start <= g->rsp && g->rsp < end))
		out[n++] = (struct sc_region){ start, end - start };
	return n;
}

#define MAX_REGIONS 256

static int record_thread_create(struct recorder *r, struct rthread *t,
				uint64_t flags)
{
	struct rthread *nt = rec_find_thread(r, t->new_tid);
	struct trace_event ev = { .type = EV_THREAD_CREATE, .tid = t->tid };

	ev.u.thread_create.new_tid = t->new_tid;
	ev.u.thread_create.clone_flags = flags;
	ev.u.thread_create.xcr0 = nt ? nt->xcr0 : 0;
	ev.u.thread_create.ns_tid = ns_view_tid(t->new_tid);
	t->new_tid = 0;
	trace_header_set_thread_xcr0(trace_header_mut(r->trace),
				     ev.u.thread_create.new_tid,
				     ev.u.thread_create.xcr0);
	if (rec_emit(r, &ev) < 0)
		return -1;
	return rec_ptrace_new_thread(r, nt);
}

/* The syscall-exit stop of t: write its EV_SYSCALL (or EV_EXEC). */
#define K_ERESTART_RESTARTBLOCK 516

/* The kernel's writes for t's call. restart_syscall (the kernel's
 * continuation of a call a signal interrupted) writes what the original
 * call writes: its row is used with its arguments, which the thread
 * noted when that call came back with ERESTART_RESTARTBLOCK. */
static int restart_aware_effects(struct rthread *t, int64_t result,
				 struct sc_region *regions, size_t max,
				 char *err, size_t errlen, struct recorder *r)
{
	const struct syscall_desc *d = t->desc;
	const uint64_t *args = t->args;
	const struct sc_entry_state *est = &t->est;

	if (t->nr == SYS_restart_syscall && !t->skipped && t->restart.valid) {
		d = t->restart.desc;
		args = t->restart.args;
		est = &t->restart.est;
	}
	int n = syscall_memory_effects(d, args, result, est, rec_read_fn, r,
				       regions, max, err, errlen);
	if (n >= 0 && !t->skipped && result == -K_ERESTART_RESTARTBLOCK &&
	    d && d->replay != SC_UNSUPPORTED) {
		/* Copied first: args may point into t->restart itself. */
		uint64_t keep[SC_MAX_ARGS];
		struct sc_entry_state kest = *est;
		memcpy(keep, args, sizeof(keep));
		memcpy(t->restart.args, keep, sizeof(keep));
		t->restart.desc = d;
		t->restart.est = kest;
		t->restart.valid = true;
	} else if (t->nr == SYS_restart_syscall && !t->skipped) {
		t->restart.valid = false;
	}
	return n;
}

static int finish_syscall(struct recorder *r, struct rthread *t)
{
	struct user_regs_struct g;
	struct sc_region regions[MAX_REGIONS];
	char err[512];

	t->exit_pending = false;
	t->trace_exec_stop = false;
	struct task *tk = rec_task_of(t);
	if (tk && task_get_gregs(t->proc, tk, &g) == -ESRCH)
		/* Killed in its syscall (another process's SIGKILL acts at
		 * once): the syscall never returns, so no event; its death
		 * comes through waitpid and is recorded as such. */
		return 0;
	if (get_regs(r, t, &g) < 0)
		return -1;
	if (t->exec_pending) {
		t->exec_pending = false;
		t->trace_exec_stop = t->tracee != NULL;
		return rec_record_exec(r, t);
	}
	int64_t result = (int64_t)g.rax;
	int n = restart_aware_effects(t, result, regions, MAX_REGIONS - 2,
				      err, sizeof(err), r);
	if (n < 0)
		return rec_fail(r, "thread %d: %s", (int)t->tid, err);
	uint64_t flags = clone_flags_of(r, t);
	if (is_vfork_like(t, flags) && result > 0)
		n = (int)vfork_regions(r, t, &g, regions, (size_t)n);
	size_t nreg = (size_t)n;
	bool answered = t->skipped;
	for (size_t i = 0; i < t->nanswer_regions && nreg < MAX_REGIONS; i++)
		regions[nreg++] = t->answer_regions[i];
	if (!answered && t->nr == NR_MMAP && result >= 0 && !(t->args[3] & MAP_ANONYMOUS) &&
	    (int)t->args[4] >= 0 &&
	    rec_record_mmap(r, t, (uint64_t)result, t->args[1], t->args[2],
			    t->args[3], (int)t->args[4], t->args[5], regions,
			    &nreg, MAX_REGIONS) < 0)
		return -1;
	if (!answered && t->nr == NR_SHMAT && result >= 0 &&
	    rec_record_shmat(r, t, (uint64_t)result, t->args[2], regions,
			     &nreg, MAX_REGIONS) < 0)
		return -1;
	/* The control page the registration filled in (the recorder's
	 * stdout and stderr): replay writes the same. */
	if (((t->desc == &syscallbuf_private_desc &&
	      t->nr == XRR_SYS_SB_REGISTER && result == 0) ||
	     t->sb_control_changed) && nreg < MAX_REGIONS)
		regions[nreg++] = (struct sc_region){
			XRR_SB_CONTROL_ADDR, sizeof(struct xrr_sb_control) };
	t->sb_control_changed = false;
	n = (int)nreg;
	if (!answered && rec_xcr0_syscall(r, t->nr, t->args, result) < 0)
		return -1;
	if (note_inputs(r, t) < 0)
		return -1;
	struct trace_event ev = { .type = EV_SYSCALL, .tid = t->tid };
	ev.u.syscall.number = t->nr;
	memcpy(ev.u.syscall.args, t->args, sizeof(t->args));
	ev.u.syscall.result = result;
	ev.u.syscall.regs = g;
	if (answered)
		ev.u.syscall.flags = EV_SYSCALL_SKIPPED | t->skip_reason;
	if (rec_emit_writes(r, &ev, &ev.u.syscall.writes, &ev.u.syscall.nwrites,
			    regions, (size_t)n) < 0)
		return -1;
	if (t->new_tid && result > 0)
		return record_thread_create(r, t, flags);
	return rec_sitepatch_after_syscall(r, t, &g);
}

/* exit/exit_group do not return: their event is written at entry. */
static int record_noreturn(struct recorder *r, struct rthread *t)
{
	struct trace_event ev = { .type = EV_SYSCALL, .tid = t->tid };

	if (note_inputs(r, t) < 0)
		return -1;
	ev.u.syscall.number = t->nr;
	memcpy(ev.u.syscall.args, t->args, sizeof(t->args));
	ev.u.syscall.result = 0;
	ev.u.syscall.regs = t->entry_regs;
	return rec_emit(r, &ev);
}

/* exit_group or a fatal signal: the process's other threads never run
 * again (the kernel is killing them; their exits follow). */
static void process_ending(struct recorder *r, struct process *p)
{
	for (size_t i = 0; i < r->nthreads; i++)
		if (r->threads[i].proc == p && r->threads[i].state == RT_READY)
			r->threads[i].state = RT_EXITING;
}

static int refuse(struct recorder *r, struct rthread *t, const char *why)
{
	return rec_fail(r, "recording stopped: thread %d: %s", (int)t->tid, why);
}

/* A write to the recorder's own stdout or stderr (as fd 1, 2 or a
 * duplicate) keeps the turn until it returns, so that the order of the
 * events is the order the output reached the terminal in, which replay
 * -a reproduces.  Should it block for long, the 20 ms rule lets the
 * others run anyway (a full pipe). */
static bool writes_recorder_output(struct recorder *r, struct rthread *t)
{
	char path[64];
	struct stat st;

	if (t->nr != SYS_write && t->nr != SYS_writev && t->nr != SYS_pwrite64 &&
	    t->nr != SYS_pwritev && t->nr != SYS_pwritev2)
		return false;
	snprintf(path, sizeof(path), "/proc/%d/fd/%d", (int)t->tid,
		 (int)t->args[0]);
	if (stat(path, &st) < 0)
		return false;
	return (st.st_dev == r->out_id[0] && st.st_ino == r->out_id[1]) ||
	       (st.st_dev == r->err_id[0] && st.st_ino == r->err_id[1]);
}

static int syscall_entry_stop(struct recorder *r, struct rthread *t)
{
	char err[512];

	if (get_regs(r, t, &t->entry_regs) < 0)
		return -1;
	t->nr = (long)t->entry_regs.orig_rax;
	syscall_args(&t->entry_regs, t->args);
	t->new_tid = 0;
	t->skipped = false;
	t->nanswer_regions = 0;
	int answered = rec_seccomp_entry(r, t, t->seccomp_data);
	t->skip_reason = EV_SYSCALL_BY_SECCOMP;
	if (answered > 0)
		t->desc = &rec_seccomp_answered_desc;
	if (answered == 0) {
		answered = rec_ptrace_entry(r, t);
		t->skip_reason = EV_SYSCALL_BY_PTRACE;
	}
	if (answered < 0)
		return -1;
	if (answered == 2)
		return 0;       /* held for its tracer, at this entry */
	if (answered) {
		/* Skipped, its result set: only the exit stop is left. */
		t->skipped = true;
		memset(&t->est, 0, sizeof(t->est));
		t->writes_output = t->blocking = false;
		t->state = RT_SYSCALL;
		return resume(r, t, TASK_RESUME_SYSCALL, 0);
	}
	t->desc = r->syscall_buffer && syscallbuf_private_nr(t->nr)
		  ? &syscallbuf_private_desc
		  : syscall_check(t->nr, t->args, r->nevents, err, sizeof(err));
	if (!t->desc)
		return refuse(r, t, err);
	memset(&t->est, 0, sizeof(t->est));
	if (syscall_entry(t->desc, t->args, rec_read_fn, r, &t->est, err,
			  sizeof(err)) < 0)
		return refuse(r, t, err);
	t->new_tid = 0;
	t->slice_ns = SLICE_BASE_NS;
	t->writes_output = writes_recorder_output(r, t);
	t->blocking = syscall_may_block(t->desc, t->args) && !t->writes_output;
	/* A vfork parent waits for its child's exec or exit. */
	if (is_vfork_like(t, clone_flags_of(r, t)))
		t->blocking = true;
	if (t->nr == NR_EXIT_GROUP) {
		if (record_noreturn(r, t) < 0)
			return -1;
		process_ending(r, t->proc);
		r->current = NULL;
		t->state = RT_EXITING;
		return resume(r, t, TASK_RESUME_SYSCALL, 0);
	}
	if (t->nr == NR_EXIT) {
		if (record_noreturn(r, t) < 0)
			return -1;
		t->state = RT_EXITING;
		/* The leader's death is only reported once every thread is
		 * gone: others must run meanwhile. */
		if (t->tid == t->proc->pid)
			r->current = NULL;
		return resume(r, t, TASK_RESUME_SYSCALL, 0);
	}
	t->state = RT_SYSCALL;
	if (t->blocking && r->current == t)
		r->current = NULL;      /* let another thread run meanwhile */
	if (t->blocking && t->ndeferred && interrupt_with_deferred(r, t) < 0)
		return -1;
	return resume(r, t, TASK_RESUME_SYSCALL, 0);
}

/* t waits for a system call to deliver a signal it got in user code
 * (t->deferred), and the call it enters may block: natively the signal
 * would have come first, so it must not wait behind the call (a child
 * sent SIGTERM and then blocked in read would wait for ever).  Sent
 * again for real, the signal interrupts the call the way one arriving
 * during it does; it comes back as a signal stop after the call's exit,
 * where the original siginfo is delivered (t->releasing).  tgkill, not
 * a signal on the resume: a seccomp entry stop ignores that one. */
static int interrupt_with_deferred(struct recorder *r, struct rthread *t)
{
	if (t->releasing)
		return 0;       /* already sent again */
	if (syscall(SYS_tgkill, t->proc->pid, t->tid,
		    t->deferred[0].si_signo) < 0 && errno != ESRCH)
		return rec_fail(r, "thread %d: sending signal %d again: %s",
				(int)t->tid, t->deferred[0].si_signo,
				strerror(errno));
	t->releasing = true;
	if (r->debug)
		fprintf(stderr, "xrr-rec: tid %d signal %d sent again before "
			"a blocking call\n", (int)t->tid,
			t->deferred[0].si_signo);
	return 0;
}

static bool others_ready(struct recorder *r, const struct rthread *t)
{
	for (size_t i = 0; i < r->nthreads; i++)
		if (&r->threads[i] != t && r->threads[i].state == RT_READY)
			return true;
	return false;
}

/* No event marks a new thread's first stretch of user code, so it must
 * run at a point replay can find: right after the clone's events, before
 * its creator's next stretch (the replayer's order). */
static int clone_made_thread(struct recorder *r, struct rthread *t)
{
	pid_t child = t->new_tid;

	if (finish_syscall(r, t) < 0)
		return -1;
	struct rthread *c = rec_find_thread(r, child);
	if (!c || c->state != RT_READY || r->done)
		return run_user(r, t);
	r->then_run = t->tid;   /* t: events written, stretch still to run */
	return run_user(r, c);
}

static bool interrupted_by_ignored(const struct rthread *t);

/* Under ptrace the kernel queues even signals the thread ignores (for the
 * tracer to see), and they interrupt blocking calls that then return
 * EINTR (epoll_wait, ...), where natively nothing would have happened:
 * such a call is restarted as if the signal never came, and the
 * interrupted attempt is not recorded. */
static int restart_if_ignored_interrupt(struct recorder *r, struct rthread *t,
					bool *restarted)
{
	struct user_regs_struct g;

	*restarted = false;
	if (get_regs(r, t, &g) < 0)
		return -1;
	if ((int64_t)g.rax != -EINTR || !interrupted_by_ignored(t))
		return 0;
	g.rax = g.orig_rax;
	g.rip -= 2;
	if (set_regs(r, t, &g) < 0)
		return -1;
	*restarted = true;
	return resume(r, t, TASK_RESUME_SYSCALL, 0);
}

static int syscall_exit_stop(struct recorder *r, struct rthread *t)
{
	if (t->state != RT_SYSCALL)
		return rec_fail(r, "thread %d: syscall-exit stop without an"
				" entry (state %d)", (int)t->tid, (int)t->state);
	if (rec_seccomp_exit(r, t) < 0)
		return -1;
	int parked = rec_ptrace_exit(r, t);
	if (parked)
		return parked < 0 ? -1 : 0;     /* a tracer waiting for reports */
	if (rec_ptrace_mem_write(r, t) < 0)
		return -1;
	/* (An EINTR a seccomp filter answered is no interruption.) */
	bool restarted = false;
	if (!t->exec_pending && !t->new_tid && !t->skipped &&
	    restart_if_ignored_interrupt(r, t, &restarted) < 0)
		return -1;
	if (restarted)
		return 0;       /* its entry stop comes again */
	if (answer_private_call(r, t) < 0)
		return -1;
	if (!t->new_tid &&
	    rec_ptrace_syscall_exit(r, t, is_vfork_like(t, clone_flags_of(r, t))))
		return 0;       /* held for its tracer; exit_pending when resumed */
	t->exit_pending = true;
	t->state = RT_READY;
	if (r->current != t)
		return 0;       /* a blocking syscall came back: wait for a turn */
	if (t->new_tid && !t->exec_pending)
		return clone_made_thread(r, t);
	/* Round robin at syscall boundaries once the slice is used up keeps
	 * busy threads from starving the others; sched_yield gives the turn
	 * away at once. */
	/* Not after output to the recorder's stdout/stderr: its event is
	 * written now, so the events keep the order the output had. */
	/* Not after a change of the shared address space either: another
	 * thread's mmap may get the range it freed, so its event must come
	 * first (replay performs them in the events' order). */
	if (others_ready(r, t) && !t->exec_pending && !t->writes_output &&
	    !changes_address_space(t->nr) &&
	    (t->nr == NR_SCHED_YIELD ||
	     rec_now_ns() - t->slice_start_ns >= t->slice_ns)) {
		r->current = NULL;
		return 0;
	}
	if (finish_syscall(r, t) < 0)
		return -1;
	return after_syscall(r, t);
}

/* ---- rdtsc ---------------------------------------------------------------------- */

static int emulate_rdtsc(struct recorder *r, struct rthread *t,
			 struct user_regs_struct *g, bool rdtscp)
{
	struct trace_event ev = { .type = EV_RDTSC, .tid = t->tid };
	unsigned int aux = 0;
	uint64_t v = rdtscp ? __rdtscp(&aux) : __rdtsc();

	/* IA32_TSC_AUX is (node << 12) | cpu on Linux; the program runs on
	 * the bound CPU, not necessarily where xrr does. */
	aux = (aux & ~0xfffu) | (unsigned int)r->cpu;
	ev.u.rdtsc.value = v;
	ev.u.rdtsc.rip = g->rip;
	ev.u.rdtsc.rdtscp = rdtscp;
	ev.u.rdtsc.tsc_aux = rdtscp ? aux : 0;
	g->rax = v & 0xffffffffu;
	g->rdx = v >> 32;
	if (rdtscp)
		g->rcx = aux;
	g->rip += rdtscp ? 3 : 2;
	if (set_regs(r, t, g) < 0 || rec_emit(r, &ev) < 0)
		return -1;
	return run_user(r, t);
}

/* A SIGSEGV from PR_TSC_SIGSEGV: si_code SI_KERNEL at rdtsc/rdtscp. */
static int try_rdtsc(struct recorder *r, struct rthread *t,
		     const struct task_stop *st, bool *handled)
{
	struct user_regs_struct g;
	uint8_t insn[3] = { 0 };

	*handled = false;
	if (st->signo != SIGSEGV || st->siginfo.si_code != SI_KERNEL)
		return 0;
	if (get_regs(r, t, &g) < 0)
		return -1;
	if (process_read_memory(r->proc, g.rip, insn, 3) < 2 || insn[0] != 0x0f)
		return 0;
	bool rdtscp = insn[1] == 0x01 && insn[2] == 0xf9;
	if (insn[1] != 0x31 && !rdtscp)
		return 0;
	*handled = true;
	return emulate_rdtsc(r, t, &g, rdtscp);
}

/* ---- signals -------------------------------------------------------------------- */

bool rec_synchronous_signal(const siginfo_t *si)
{
	switch (si->si_signo) {
	case SIGSEGV: case SIGBUS: case SIGILL: case SIGFPE: case SIGTRAP:
		return si->si_code > 0 && si->si_code != SI_KERNEL;
	case SIGSYS:
		/* A seccomp filter's SECCOMP_RET_TRAP, at its syscall. */
		return si->si_code == SIGSYS_SECCOMP_CODE;
	default:
		return false;
	}
}

enum disposition { DISP_CAUGHT, DISP_IGNORED, DISP_FATAL, DISP_STOP,
		   DISP_UNRECORDABLE };

/* One mask line ("SigCgt:\t0000000000004002") of /proc/PID/task/TID/status. */
static uint64_t status_mask(const char *text, const char *key)
{
	const char *p = strstr(text, key);
	return p ? strtoull(p + strlen(key), NULL, 16) : 0;
}

/* /proc/PID/task/TID/status into text ("" when unreadable). */
static bool read_task_status(pid_t pid, pid_t tid, char *text, size_t size)
{
	char name[64];

	snprintf(name, sizeof(name), "/proc/%d/task/%d/status", (int)pid,
		 (int)tid);
	int fd = open(name, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, text, size - 1) : -1;
	if (fd >= 0)
		close(fd);
	text[n > 0 ? n : 0] = 0;
	return n > 0;
}

/* What delivering sig would do, from the thread's status text. */
static enum disposition disposition_in(const char *text, int sig)
{
	uint64_t bit = 1ull << (sig - 1);

	if (status_mask(text, "SigCgt:") & bit)
		return DISP_CAUGHT;
	if (status_mask(text, "SigIgn:") & bit)
		return DISP_IGNORED;
	/* The init of a pid namespace gets no default action but SIGKILL's
	 * and SIGSTOP's: natively the kernel drops such a signal when it
	 * is sent, traced it reports it and then drops it. */
	if (sig != SIGKILL && sig != SIGSTOP && ns_view_is_pid_ns_init(text))
		return DISP_IGNORED;
	switch (sig) {
	case SIGCHLD: case SIGURG: case SIGWINCH: case SIGCONT:
		return DISP_IGNORED;
	case SIGSTOP: case SIGTSTP: case SIGTTIN: case SIGTTOU:
		return DISP_STOP;
	default:
		return DISP_FATAL;
	}
}

static enum disposition signal_disposition(struct recorder *r, pid_t tid,
					   const siginfo_t *si)
{
	char text[4096];
	int sig = si->si_signo;

	/* r->proc: the thread's */
	read_task_status(r->proc->pid, tid, text, sizeof(text));
	/* A fault without a handler kills a namespace's init natively, but
	 * not a traced one (the kernel keeps it unkillable for debuggers):
	 * it would fault again and again here. */
	if (rec_synchronous_signal(si) && ns_view_is_pid_ns_init(text) &&
	    !(status_mask(text, "SigCgt:") & (1ull << (sig - 1))))
		return DISP_UNRECORDABLE;
	return disposition_in(text, sig);
}

static int record_fatal_signal(struct recorder *r, struct rthread *t,
			       const siginfo_t *si)
{
	struct trace_event ev = { .type = EV_SIGNAL, .tid = t->tid };

	ev.u.signal.signo = si->si_signo;
	memcpy(ev.u.signal.siginfo, si, sizeof(ev.u.signal.siginfo));
	if (get_regs(r, t, &ev.u.signal.regs) < 0 || rec_emit(r, &ev) < 0)
		return -1;
	process_ending(r, t->proc);
	return resume(r, t, TASK_RESUME_CONT, si->si_signo);
}

/* Deliver now (a deterministic point): the kernel builds the frame while
 * we single-step, and stops at the handler's first instruction. */
static int deliver_signal(struct recorder *r, struct rthread *t,
			  const siginfo_t *si)
{
	struct task *tk = rec_task_of(t);

	/* A traced thread's signal goes to its tracer first. */
	int held = t->trace_delivering ? 0 : rec_ptrace_signal(r, t, si);
	if (held)
		return held < 0 ? -1 : 0;
	t->trace_delivering = false;
	if (r->debug)
		fprintf(stderr, "xrr-rec: tid %d signal %d delivered\n",
			(int)t->tid, si->si_signo);

	switch (signal_disposition(r, t->tid, si)) {
	case DISP_UNRECORDABLE:
		return rec_fail(r, "recording stopped: thread %d, of the init of"
				" a pid namespace, faulted with signal %d and"
				" has no handler for it: natively the fault"
				" kills it, but the kernel keeps a traced"
				" namespace init alive (it would fault again"
				" and again)", (int)t->tid, si->si_signo);
	case DISP_IGNORED:
		return run_user(r, t);
	case DISP_FATAL:
		return record_fatal_signal(r, t, si);
	case DISP_STOP:
		return resume(r, t, TASK_RESUME_SYSCALL, si->si_signo);
	case DISP_CAUGHT:
		break;
	}
	if (tk && ptrace(PTRACE_SETSIGINFO, t->tid, 0, si) < 0)
		return rec_fail(r, "thread %d: PTRACE_SETSIGINFO: %s",
				(int)t->tid, strerror(errno));
	t->delivering = *si;
	t->state = RT_SIGNAL;
	return resume(r, t, TASK_RESUME_SINGLESTEP, si->si_signo);
}

/* rt_sigframe: pretcode, then a ucontext whose mcontext points at the
 * xsave area; the frame ends with that area (its extended_size). */
static int frame_extent(struct recorder *r, uint64_t rsp, uint64_t *len)
{
	uint64_t fpstate = 0;
	uint32_t ext = 0;
	const uint64_t fp_ptr = rsp + 8 + offsetof(ucontext_t, uc_mcontext.fpregs);

	if (rec_read_fn(r, fp_ptr, &fpstate, 8) < 0)
		return -1;
	if (fpstate && rec_read_fn(r, fpstate + 464 + 4, &ext, 4) == 0 &&
	    fpstate > rsp && ext >= 512 && ext <= 65536 &&
	    fpstate + ext - rsp <= 1u << 20) {
		*len = fpstate + ext - rsp;
		return 0;
	}
	*len = 8 + sizeof(ucontext_t) + sizeof(siginfo_t);
	return 0;
}

static int handler_entry_stop(struct recorder *r, struct rthread *t)
{
	struct trace_event ev = { .type = EV_SIGNAL, .tid = t->tid };
	struct user_regs_struct g;
	uint64_t len;

	if (get_regs(r, t, &g) < 0)
		return -1;
	if (frame_extent(r, g.rsp, &len) < 0)
		return rec_fail(r, "event %" PRIu64 ": thread %d: cannot read"
				" the frame of signal %d at %#llx", r->nevents,
				(int)t->tid, t->delivering.si_signo, g.rsp);
	uint8_t *frame = malloc(len);
	if (!frame || rec_read_fn(r, g.rsp, frame, len) < 0) {
		free(frame);
		return rec_fail(r, "event %" PRIu64 ": thread %d: reading the"
				" signal frame", r->nevents, (int)t->tid);
	}
	ev.u.signal.signo = t->delivering.si_signo;
	memcpy(ev.u.signal.siginfo, &t->delivering, sizeof(ev.u.signal.siginfo));
	ev.u.signal.frame_addr = g.rsp;
	ev.u.signal.frame = frame;
	ev.u.signal.frame_len = len;
	ev.u.signal.regs = g;
	int rc = rec_emit(r, &ev);
	free(frame);
	if (rc < 0)
		return -1;
	return run_user(r, t);
}

static bool at_boundary(struct recorder *r, struct rthread *t)
{
	struct user_regs_struct g;

	if (!t->boundary_valid || get_regs(r, t, &g) < 0)
		return false;
	return memcmp(&g, &t->boundary_regs, sizeof(g)) == 0;
}

static int defer_signal(struct recorder *r, struct rthread *t,
			const siginfo_t *si)
{
	/* A standard signal that already waits is not queued twice: the
	 * kernel keeps one pending instance of it (a fast timer firing
	 * while the thread is in the syscall buffer's library, say). */
	for (int i = 0; i < t->ndeferred && si->si_signo < SIGRTMIN; i++)
		if (t->deferred[i].si_signo == si->si_signo)
			return resume(r, t, TASK_RESUME_SYSCALL, 0);
	if (t->ndeferred == RT_MAX_DEFERRED)
		return rec_fail(r, "thread %d: more than %d signals waiting for"
				" a system call", (int)t->tid, RT_MAX_DEFERRED);
	if (r->debug)
		fprintf(stderr, "xrr-rec: tid %d signal %d deferred\n",
			(int)t->tid, si->si_signo);
	t->deferred[t->ndeferred++] = *si;
	atomic_store(&r->watch_signal, t->deferred[0].si_signo);
	return resume(r, t, TASK_RESUME_SYSCALL, 0);
}

static siginfo_t take_deferred(struct rthread *t)
{
	siginfo_t si = t->deferred[0];

	memmove(&t->deferred[0], &t->deferred[1],
		sizeof(si) * (size_t)(t->ndeferred - 1));
	t->ndeferred--;
	t->releasing = false;
	return si;
}

/* Pending (thread or process), unblocked signals that are all ignored. */
static bool interrupted_by_ignored(const struct rthread *t)
{
	char text[4096];

	if (!read_task_status(t->proc->pid, t->tid, text, sizeof(text)))
		return false;
	uint64_t pending = (status_mask(text, "SigPnd:") |
			    status_mask(text, "ShdPnd:")) &
			   ~status_mask(text, "SigBlk:");
	if (!pending)
		return false;
	for (int sig = 1; sig <= 64; sig++)
		if ((pending & (1ull << (sig - 1))) &&
		    disposition_in(text, sig) != DISP_IGNORED)
			return false;
	return true;
}

/* ---- points: preemption and signals in user code (recorder_point.c) ---------------- */

/* t, running user code, was stopped by its time slice or by an
 * asynchronous signal (then in t->deferred): find a point, and there
 * deliver the first waiting signal, or give the turn to another thread. */
static int stop_at_point(struct recorder *r, struct rthread *t)
{
	struct trace_event ev = { .type = EV_POINT, .tid = t->tid };
	bool spinning;

	/* Inside the syscall buffer's library: its next buffered call
	 * stops at a syscall instead, soon (buffered calls never block). */
	bool in_library = in_buffered_call(r, t);
	int rc = in_library ? 0 : rec_point_probe(r, t, &ev.u.point, &spinning);
	if (rc < 0)
		return -1;
	if (rc == 2)
		return 0;       /* stopped for another reason: dispatched next */
	if (rc == 1 && in_buffered_call(r, t)) {
		/* The probe stepped into it: no point there either. */
		trace_event_free(&ev);
		rc = 0;
		in_library = true;
	}
	if (in_library && ask_for_syscall_stop(r, t) < 0)
		return -1;
	if (rc == 0) {
		/* A syscall or trapped instruction is near: the signals
		 * wait for it, and the slice starts again. */
		t->slice_start_ns = rec_now_ns();
		return resume(r, t, TASK_RESUME_SYSCALL, 0);
	}
	bool for_signal = t->ndeferred > 0;
	ev.u.point.reason = for_signal ? POINT_SIGNAL : POINT_PREEMPT;
	rc = rec_emit(r, &ev);
	trace_event_free(&ev);  /* clears ev */
	if (rc < 0)
		return -1;
	if (for_signal) {
		siginfo_t si = take_deferred(t);
		return deliver_signal(r, t, &si);
	}
	/* A thread that computes is preempted less often than one that
	 * spins (whose time is wasted until another thread runs). */
	if (!spinning && t->slice_ns < SLICE_MAX_NS)
		t->slice_ns *= 2;
	t->state = RT_READY;
	t->point_pending = true;
	r->current = NULL;
	atomic_store(&r->watch_tid, 0);
	return 0;
}

/* The PTRACE_INTERRUPT of t's time slice stopped it. */
static int slice_stop(struct recorder *r, struct rthread *t)
{
	if (t->state != RT_USER || r->current != t ||
	    (!others_ready(r, t) && !t->ndeferred)) {
		t->slice_start_ns = rec_now_ns();
		return resume(r, t, t->state == RT_SIGNAL ? TASK_RESUME_SINGLESTEP
							  : TASK_RESUME_SYSCALL, 0);
	}
	return stop_at_point(r, t);
}

/* A preempted thread gets the turn again: EV_RESUME, then the first
 * waiting signal is delivered right there (it is still in the SIGTRAP
 * stop of its point, where a signal can go in). */
static int resume_from_point(struct recorder *r, struct rthread *t)
{
	struct trace_event ev = { .type = EV_RESUME, .tid = t->tid };

	t->point_pending = false;
	if (rec_emit(r, &ev) < 0)
		return -1;
	if (t->ndeferred) {
		siginfo_t si = take_deferred(t);
		t->state = RT_USER;
		r->current = t;
		return deliver_signal(r, t, &si);
	}
	return resume_user(r, t, false);
}

static int signal_stop(struct recorder *r, struct rthread *t,
		       const struct task_stop *st_in)
{
	bool handled;
	/* A SIGCHLD xrr sent for an emulated tracee's stop gets the
	 * siginfo the kernel would have given (recorder_ptrace.c). */
	struct task_stop copy = *st_in;
	const struct task_stop *st = &copy;
	rec_ptrace_sigchld_info(r, t, &copy.siginfo);

	if (t->state == RT_SIGNAL) {
		if (st->signo == SIGTRAP)
			return handler_entry_stop(r, t);
		/* Another signal before the handler: after this one. */
		if (t->ndeferred < RT_MAX_DEFERRED)
			t->deferred[t->ndeferred++] = st->siginfo;
		return resume(r, t, TASK_RESUME_SINGLESTEP, 0);
	}
	/* An ignored signal does nothing natively (the kernel queues it
	 * only because we trace): drop it, wherever it arrives. Unless a
	 * recorded tracer traces the thread: natively its tracer sees
	 * every signal, ignored ones too (recorder_ptrace.c). */
	if (!t->tracee &&
	    !rec_synchronous_signal(&st->siginfo) && st->signo != SIGILL &&
	    st->signo != SIGSEGV &&
	    signal_disposition(r, t->tid, &st->siginfo) == DISP_IGNORED) {
		if (r->debug)
			fprintf(stderr, "xrr-rec: tid %d signal %d ignored\n",
				(int)t->tid, st->signo);
		return resume(r, t, TASK_RESUME_SYSCALL, 0);
	}
	if (st->signo == SIGILL) {
		/* A patched CPUID/XGETBV/XSAVE site (recorder_xcr0.c). */
		siginfo_t fault;
		int v = rec_xcr0_trap(r, t, &fault);
		if (v < 0)
			return -1;
		/* No event marks an emulated CPUID/XGETBV/XSAVE, so no
		 * deferred signal may be released here. */
		if (v == 1)
			return resume_user(r, t, false);
		if (v == 2)
			return deliver_signal(r, t, &fault);
	}
	if (try_rdtsc(r, t, st, &handled) < 0 || handled)
		return handled ? 0 : -1;
	int held = rec_ptrace_fault(r, t, &st->siginfo);
	if (held)
		return held < 0 ? -1 : 0;
	if (rec_synchronous_signal(&st->siginfo))
		return deliver_signal(r, t, &st->siginfo);
	if (at_boundary(r, t)) {
		if (t->releasing && t->ndeferred &&
		    st->signo == t->deferred[0].si_signo) {
			siginfo_t si = take_deferred(t);
			return deliver_signal(r, t, &si);
		}
		return deliver_signal(r, t, &st->siginfo);
	}
	/* In the middle of user code: at a point chosen from here. */
	if (t->state == RT_USER && r->current == t &&
	    t->ndeferred < RT_MAX_DEFERRED && !t->releasing) {
		t->deferred[t->ndeferred++] = st->siginfo;
		return stop_at_point(r, t);
	}
	return defer_signal(r, t, &st->siginfo);
}

/* ---- clone, exec, exit ------------------------------------------------------------ */

static int add_process(struct recorder *r, struct process *p)
{
	if (r->nprocs == REC_MAX_PROCS)
		return rec_fail(r, "more than %d processes alive at once",
				REC_MAX_PROCS);
	r->procs[r->nprocs++] = p;
	return 0;
}

static void remove_process(struct recorder *r, struct process *p)
{
	rec_xcr0_drop_process(r, p);
	rec_sitepatch_forget(r, p);
	for (size_t i = 0; i < r->nprocs; i++)
		if (r->procs[i] == p) {
			r->procs[i] = r->procs[--r->nprocs];
			break;
		}
	if (r->proc == p)
		r->proc = NULL;
	process_free(p);
	free(p);
}

/* A child process (fork, vfork, clone without CLONE_THREAD, posix_spawn):
 * recorded like a thread of its own process.  EV_FORK is written now, at
 * the parent's fork event, before the parent's EV_SYSCALL: a vfork
 * parent's syscall returns only after the child's exec or exit, whose
 * events replay can only produce once the child exists. */
static int fork_stop(struct recorder *r, struct rthread *t,
		     const struct task_stop *st, uint64_t flags)
{
	struct process *cp = calloc(1, sizeof(*cp));

	if (!cp)
		return rec_fail(r, "child process %d: out of memory",
				(int)st->new_tid);
	if (process_adopt_child(cp, t->proc, st->new_tid,
				(flags & CLONE_VM) != 0) < 0) {
		/* Killed before its first instruction: nothing it did. */
		free(cp);
		return resume(r, t, TASK_RESUME_SYSCALL, 0);
	}
	if (add_process(r, cp) < 0) {
		free(cp);
		return -1;
	}
	struct rthread *nt = add_thread(r, st->new_tid, cp);
	if (!nt || rec_xcr0_fork(r, t->proc, cp) < 0)
		return -1;
	nt->sb_buffer = flags & CLONE_SETTLS ? 0 : t->sb_buffer;
	nt->sb_code_start = t->sb_code_start;
	nt->sb_code_end = t->sb_code_end;
	nt->seccomp_mode = t->seccomp_mode;
	use_thread(r, nt);
	nt->xcr0 = rec_thread_xcr0(r, nt);
	if (rec_xcr0_new_thread(r, nt->tid) < 0)
		return -1;
	use_thread(r, t);
	struct trace_event ev = { .type = EV_FORK, .tid = t->tid };
	ev.u.fork.new_tid = st->new_tid;
	ev.u.fork.clone_flags = flags;
	ev.u.fork.xcr0 = nt->xcr0;
	/* The child's own pid (1 for a new pid namespace's init): what
	 * the kernel stored at CLONE_CHILD_SETTID, what xrr ps shows. */
	ev.u.fork.ns_tid = ns_view_tid(st->new_tid);
	trace_header_set_thread_xcr0(trace_header_mut(r->trace), nt->tid,
				     nt->xcr0);
	if (rec_emit(r, &ev) < 0)
		return -1;
	int held = rec_ptrace_fork_event(r, t, nt, st->event);
	if (held)
		return held < 0 ? -1 : 0;
	return resume(r, t, TASK_RESUME_SYSCALL, 0);
}

static int clone_stop(struct recorder *r, struct rthread *t,
		      const struct task_stop *st)
{
	uint64_t flags = clone_flags_of(r, t);

	if (st->event != PTRACE_EVENT_CLONE || !(flags & CLONE_THREAD))
		return fork_stop(r, t, st, flags);
	struct rthread *nt = add_thread(r, st->new_tid, t->proc);
	if (!nt)
		return -1;
	/* A new thread has its own TLS, so its own buffer once it makes a
	 * bufferable call; a clone without CLONE_SETTLS uses its creator's. */
	nt->sb_buffer = flags & CLONE_SETTLS ? 0 : t->sb_buffer;
	nt->sb_code_start = t->sb_code_start;
	nt->sb_code_end = t->sb_code_end;
	nt->seccomp_mode = t->seccomp_mode;
	nt->xcr0 = rec_thread_xcr0(r, nt);
	if (rec_xcr0_new_thread(r, nt->tid) < 0)
		return -1;
	t->new_tid = st->new_tid;
	int held = rec_ptrace_fork_event(r, t, nt, st->event);
	if (held)
		return held < 0 ? -1 : 0;
	return resume(r, t, TASK_RESUME_SYSCALL, 0);
}

/* A thread other than the leader called execve: the kernel gave it the
 * leader's tid (the stop comes under that tid) and the leader is gone
 * without a report.  The execing thread's record takes the new tid; its
 * EV_EXEC still names the tid it had (exec_former_tid). */
static struct rthread *exec_by_other_thread(struct recorder *r,
					    struct rthread *leader,
					    pid_t former)
{
	struct rthread *t = rec_find_thread(r, former);

	if (!t || t == leader || t->proc != leader->proc)
		return leader;
	struct trace_event ev = { .type = EV_THREAD_EXIT, .tid = leader->tid };
	ev.u.thread_exit.status = SIGKILL;
	leader->state = RT_DEAD;
	if (r->current == leader)
		r->current = NULL;
	if (rec_emit(r, &ev) < 0)
		return NULL;
	t->exec_former_tid = former;
	t->tid = leader->tid;
	leader->tid = 0;
	if (r->current == t)
		atomic_store(&r->watch_tid, t->tid);
	return t;
}

static int exec_stop(struct recorder *r, struct rthread *t,
		     const struct task_stop *st)
{
	if (st->new_tid && st->new_tid != t->tid &&
	    !(t = exec_by_other_thread(r, t, st->new_tid)))
		return -1;
	if (t->state != RT_SYSCALL ||
	    (t->nr != NR_EXECVE && t->nr != NR_EXECVEAT))
		return rec_fail(r, "recording stopped: thread %d: an exec stop "
				"outside execve (state %d, syscall %ld)",
				(int)t->tid, (int)t->state, t->nr);
	/* Other threads of its process died in the exec. */
	for (size_t i = 0; i < r->nthreads; i++) {
		struct rthread *o = &r->threads[i];
		if (o == t || o->state == RT_DEAD || o->proc != t->proc)
			continue;
		struct trace_event ev = { .type = EV_THREAD_EXIT, .tid = o->tid };
		ev.u.thread_exit.status = SIGKILL;
		o->state = RT_DEAD;
		if (rec_emit(r, &ev) < 0)
			return -1;
	}
	t->exec_pending = true;
	t->ndeferred = 0;
	t->sb_buffer = 0;       /* a new image loads the library afresh */
	t->sb_code_start = t->sb_code_end = 0;
	rec_sitepatch_forget(r, t->proc);
	int held = rec_ptrace_exec_event(r, t, t->exec_former_tid ?
					 t->exec_former_tid : t->tid);
	if (held)
		return held < 0 ? -1 : 0;
	return resume(r, t, TASK_RESUME_SYSCALL, 0);
}

static int thread_gone(struct recorder *r, struct rthread *t,
		       const struct task_stop *st)
{
	bool leader = t->tid == t->proc->pid;
	struct trace_event ev = { .type = leader ? EV_EXIT : EV_THREAD_EXIT,
				  .tid = t->tid };

	ev.u.exit.status = st->raw_status;
	/* A thread that never called exit was killed: by another thread's
	 * execve (the kernel reports those as exits with status 0), an
	 * exit_group or a fatal signal.  Replay must not run it. */
	if (!leader && t->state != RT_EXITING && !WIFSIGNALED(st->raw_status))
		ev.u.exit.status = SIGKILL;
	t->state = RT_DEAD;
	rec_seccomp_forget(t);
	rec_ptrace_forget(r, t, st->raw_status);
	r->ticks->detach(NULL, t->tid);
	if (r->current == t)
		r->current = NULL;
	if (rec_emit(r, &ev) < 0)
		return -1;
	if (!leader)
		return 0;
	/* Threads of the process not reported gone (killed with it). */
	for (size_t i = 0; i < r->nthreads; i++) {
		struct rthread *o = &r->threads[i];
		if (o->proc == t->proc && o->state != RT_DEAD) {
			o->state = RT_DEAD;
			if (r->current == o)
				r->current = NULL;
		}
	}
	if (t->tid == r->root_pid) {
		r->res->program_ended = true;
		r->res->wait_status = st->raw_status;
	}
	remove_process(r, t->proc);
	/* Orphans outlive the process xrr started: the recording ends
	 * when the whole tree is gone. */
	if (r->nprocs == 0)
		r->done = true;
	return 0;
}

/* ---- job control ---------------------------------------------------------------- */

/* A stop signal (SIGSTOP, SIGTSTP, ...) stopped t's process: it stays
 * stopped, as it would without a tracer, until SIGCONT (its parent's
 * waitpid(WUNTRACED) and the others' view depend on it). */
static int group_stop(struct recorder *r, struct rthread *t)
{
	struct task *tk = rec_task_of(t);

	t->before_group_stop = t->state;
	t->state = RT_GROUP_STOPPED;
	if (r->current == t)
		r->current = NULL;
	if (!tk || task_listen(t->proc, tk) < 0)
		return tk && !tk->exited
		       ? rec_fail(r, "thread %d: keeping it stopped: %s",
				  (int)t->tid, t->proc->err)
		       : 0;
	return rec_ptrace_group_stop(r, t);
}

/* SIGCONT woke it: on from where the stop found it.  In user code it
 * waits for its turn; in a syscall it goes on inside the kernel. */
static int group_continued(struct recorder *r, struct rthread *t)
{
	int held = rec_ptrace_group_continued(r, t);
	if (held)
		return held < 0 ? -1 : 0;       /* its tracer lets it go */
	if (t->before_group_stop == RT_SYSCALL) {
		t->state = RT_SYSCALL;
		return resume(r, t, TASK_RESUME_SYSCALL, 0);
	}
	t->state = RT_READY;
	return 0;
}

/* ---- dispatch ------------------------------------------------------------------- */

static int dispatch(struct recorder *r, const struct task_stop *st)
{
	struct rthread *t = rec_find_thread(r, st->tid);

	if (!t)
		return 0;       /* a detached child's late report */
	if (r->debug)
		fprintf(stderr, "xrr-rec: tid %d stop kind %d sig %d entry %d "
			"state %d current %d deferred %d event %llu\n",
			(int)st->tid, (int)st->kind, st->signo,
			(int)st->in_syscall_entry, (int)t->state,
			r->current ? (int)r->current->tid : 0, t->ndeferred,
			(unsigned long long)r->nevents);
	use_thread(r, t);
	/* Another stop than the interrupt's came first.  The kernel drops
	 * a pending PTRACE_INTERRUPT at any trap that comes before it
	 * ("any trap clears pending STOP trap"), unless the thread was in
	 * a trap already when it was sent; so its stop may come later or
	 * never, and is taken as a slice stop or ignored when it does. */
	if (st->kind != TASK_STOP_INTERRUPT)
		t->interrupt_sent = false;
	/* After an exec the buffer is gone with the old image (its records
	 * were taken at the execve's entry stop), after an exit too. */
	if (st->kind == TASK_STOP_EXEC) {
		t->sb_buffer = 0;
		t->sb_code_start = t->sb_code_end = 0;
		rec_sitepatch_forget(r, t->proc);
	}
	if (st->kind != TASK_STOP_EXITED && st->kind != TASK_STOP_KILLED &&
	    take_buffered_calls(r, t, false) < 0)
		return -1;
	switch (st->kind) {
	case TASK_STOP_SYSCALL:
		if (st->in_syscall_entry) {
			t->seccomp_data = st->by_seccomp ? st->seccomp_data : 0;
			return syscall_entry_stop(r, t);
		}
		return syscall_exit_stop(r, t);
	case TASK_STOP_SIGNAL:
		return signal_stop(r, t, st);
	case TASK_STOP_INTERRUPT:
		t->interrupt_sent = false;
		if (t->state == RT_GROUP_STOPPED)
			return group_continued(r, t);
		return slice_stop(r, t);
	case TASK_STOP_CLONE:
		return clone_stop(r, t, st);
	case TASK_STOP_EXEC:
		return exec_stop(r, t, st);
	case TASK_STOP_EXITED:
	case TASK_STOP_KILLED:
		return thread_gone(r, t, st);
	case TASK_STOP_GROUP:
		if (t->state == RT_USER || t->state == RT_SYSCALL)
			return group_stop(r, t);
		/* fall through */
	case TASK_STOP_EXIT_EVENT:
	case TASK_STOP_SECCOMP:
		return resume(r, t, t->state == RT_SIGNAL ? TASK_RESUME_SINGLESTEP
							   : TASK_RESUME_SYSCALL, 0);
	}
	return 0;
}

/* ---- scheduling --------------------------------------------------------------------- */

static struct rthread *pick_ready(struct recorder *r)
{
	for (size_t k = 0; k < r->nthreads; k++) {
		size_t i = (r->rr_cursor + 1 + k) % r->nthreads;
		if (r->threads[i].state == RT_READY) {
			r->rr_cursor = i;
			return &r->threads[i];
		}
	}
	return NULL;
}

static int count_ready(struct recorder *r)
{
	int n = 0;

	for (size_t i = 0; i < r->nthreads; i++)
		n += r->threads[i].state == RT_READY;
	return n;
}

/* Give the turn to a waiting thread, if nobody has it. */
/* t's recorded syscall event if one is pending, then its user code. */
static int finish_and_run(struct recorder *r, struct rthread *t)
{
	if (t->exit_pending && finish_syscall(r, t) < 0)
		return -1;
	return r->done ? 0 : after_syscall(r, t);
}

/* On inside the syscall t was stopped in (no turn held meanwhile). */
static int back_into_syscall(struct recorder *r, struct rthread *t)
{
	t->state = RT_SYSCALL;
	if (r->current == t)
		r->current = NULL;
	return resume(r, t, TASK_RESUME_SYSCALL, 0);
}

/* PTRACE_SINGLESTEP from its tracer: one instruction (with the signal
 * it passes, whose handler's first instruction is then the step). */
static int step_traced(struct recorder *r, struct rthread *t, int sig)
{
	t->state = RT_USER;
	r->current = t;
	atomic_store(&r->watch_tid, t->tid);
	return resume(r, t, TASK_RESUME_SINGLESTEP, sig);
}

/* Its emulated tracer resumed t (recorder_ptrace.c): go on from the stop
 * it was held at. */
static int continue_traced(struct recorder *r, struct rthread *t)
{
	int sig = t->trace_cont_signal;

	t->trace_continue = false;
	switch (t->trace_cont_at) {
	case TRACE_AT_ENTRY:
	case TRACE_AT_EXIT_EVENT:
		return syscall_entry_stop(r, t);        /* its entry, again */
	case TRACE_AT_VFORK_DONE:
		/* Its exit stop is next, if the tracer wants it. */
		if (rec_ptrace_syscall_exit(r, t, true))
			return 0;
		/* fall through */
	case TRACE_AT_EXIT:
		t->exit_pending = true;
		return finish_and_run(r, t);
	case TRACE_AT_SIGNAL:
		if (t->tracee && t->tracee->resume == PTRACE_SINGLESTEP)
			return step_traced(r, t, sig);
		if (!sig)
			return run_user(r, t);  /* the tracer suppressed it */
		if (sig != t->trace_cont_siginfo.si_signo) {
			/* Another signal than the one stopped at. */
			memset(&t->trace_cont_siginfo, 0, sizeof(siginfo_t));
			t->trace_cont_siginfo.si_signo = sig;
			t->trace_cont_siginfo.si_code = SI_USER;
		}
		t->trace_delivering = true;
		return deliver_signal(r, t, &t->trace_cont_siginfo);
	case TRACE_AT_TRAP:
	case TRACE_AT_GROUP:
		/* On from where its stop found it. */
		if (t->before_group_stop == RT_SYSCALL)
			return back_into_syscall(r, t);
		return finish_and_run(r, t);
	case TRACE_AT_EXEC:
		return back_into_syscall(r, t); /* on to execve's exit stop */
	}
	return run_user(r, t);
}

static int schedule(struct recorder *r)
{
	if (r->current)
		return 0;
	struct rthread *t = NULL;
	if (r->then_run) {
		t = rec_find_thread(r, r->then_run);
		r->then_run = 0;
		if (t && t->state == RT_READY)
			r->rr_cursor = (size_t)(t - r->threads);
		else
			t = NULL;
	}
	if (!t)
		t = pick_ready(r);
	if (!t)
		return 0;
	r->current = t;
	t->slice_start_ns = rec_now_ns();     /* its turn, its slice */
	use_thread(r, t);
	if (t->point_pending)
		return resume_from_point(r, t);
	if (t->trace_continue)
		return continue_traced(r, t);
	return finish_and_run(r, t);
}

static int wait_any(struct recorder *r, struct task_stop *st, int flags)
{
	size_t which;

	return process_wait_any(r->procs, r->nprocs, &which, st, flags);
}

/* Wait for the current thread's non-blocking syscall a short while only:
 * it may be waiting for another thread (a full pipe). */
/* Until the deadline, for the next SIGCHLD (every tracee stop sends one
 * to its tracer; blocked and read through r->sigchld_fd), or a short
 * nap when there is no such fd. */
static void nap_until_stop(struct recorder *r, uint64_t deadline,
			   long *pause_ns)
{
	if (r->sigchld_fd < 0) {
		struct timespec ts = { 0, *pause_ns };
		nanosleep(&ts, NULL);
		if (*pause_ns < 200000)
			*pause_ns *= 2;
		return;
	}
	uint64_t now = rec_now_ns();
	uint64_t left = deadline > now ? deadline - now : 0;
	struct timespec ts = { (time_t)(left / 1000000000ull),
			       (long)(left % 1000000000ull) };
	struct pollfd pfd = { .fd = r->sigchld_fd, .events = POLLIN };
	if (ppoll(&pfd, 1, &ts, NULL) > 0) {
		struct signalfd_siginfo si;
		while (read(r->sigchld_fd, &si, sizeof(si)) == sizeof(si))
			;
	}
}

static int wait_prompt(struct recorder *r, struct task_stop *st)
{
	uint64_t deadline = rec_now_ns() + PROMPT_EXIT_NS;
	long pause_ns = 2000;

	for (;;) {
		int got = wait_any(r, st, WNOHANG);
		if (got != 0)
			return got;
		if (rec_now_ns() > deadline) {
			r->current->blocking = true;
			r->current = NULL;
			return 0;
		}
		nap_until_stop(r, deadline, &pause_ns);
	}
}

/* SIGCHLD through a signalfd, for wait_prompt: blocked in this thread
 * before the watchdog thread starts (it inherits the mask), after the
 * program started (so that it does not inherit it). */
static bool open_sigchld_fd(struct recorder *r, sigset_t *saved)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	r->sigchld_fd = -1;
	if (pthread_sigmask(SIG_BLOCK, &set, saved) != 0)
		return false;
	r->sigchld_fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	return true;
}

static void close_sigchld_fd(struct recorder *r, const sigset_t *saved)
{
	if (r->sigchld_fd >= 0)
		close(r->sigchld_fd);
	r->sigchld_fd = -1;
	pthread_sigmask(SIG_SETMASK, saved, NULL);
}

/* The current thread runs user code while others are ready or a signal
 * waits for it: at the end of its slice it is interrupted
 * (PTRACE_INTERRUPT works whatever signals it blocks). */
static bool slice_applies(struct recorder *r)
{
	struct rthread *t = r->current;

	/* (Not during one instruction its emulated tracer steps: the
	 * point a slice would end at is no place the tracer knows.) */
	return t && t->state == RT_USER && !t->interrupt_sent &&
	       !(t->tracee && t->tracee->resume == PTRACE_SINGLESTEP) &&
	       (t->ndeferred || others_ready(r, t));
}

static int wait_slice(struct recorder *r, struct task_stop *st)
{
	struct rthread *t = r->current;
	uint64_t deadline = t->slice_start_ns + t->slice_ns;
	long pause_ns = 2000;

	for (;;) {
		int got = wait_any(r, st, WNOHANG);
		if (got != 0)
			return got;
		if (rec_now_ns() >= deadline)
			break;
		nap_until_stop(r, deadline, &pause_ns);
	}
	if (ptrace(PTRACE_INTERRUPT, t->tid, 0, 0) == 0)
		t->interrupt_sent = true;
	return wait_any(r, st, 0);
}

static int wait_stop(struct recorder *r, struct task_stop *st)
{
	atomic_store(&r->watch_waiting, count_ready(r));
	if (slice_applies(r))
		return wait_slice(r, st);
	if (r->current && r->current->state == RT_SYSCALL &&
	    !changes_address_space(r->current->nr) && others_ready(r, r->current))
		return wait_prompt(r, st);
	if (r->unflushed && rec_now_ns() - r->last_flush_ns > 20 * 1000 * 1000ull &&
	    rec_flush(r) < 0)
		return -1;
	return wait_any(r, st, 0);
}

static int loop(struct recorder *r)
{
	while (!r->done) {
		struct task_stop st;
		/* A turn may end at once (a thread held for its tracer as
		 * it starts): then the next ready thread's. */
		for (size_t turns = 0; turns <= r->nthreads; turns++) {
			if (schedule(r) < 0)
				return -1;
			if (r->current || r->done || !count_ready(r))
				break;
		}
		if (r->done)
			break;
		int got = wait_stop(r, &st);
		if (got < 0) {
			if (r->res->failed)
				return -1;
			return rec_fail(r, "waiting for the program: %s",
					r->nprocs ? r->procs[0]->err
						  : strerror(errno));
		}
		atomic_store(&r->progress_ns, rec_now_ns());
		if (got == 0)
			continue;
		if (r->current && r->current->tid == st.tid)
			atomic_store(&r->watch_tid, 0);
		if (dispatch(r, &st) < 0)
			return -1;
	}
	return r->res->failed ? -1 : 0;
}

/* ---- watchdog --------------------------------------------------------------------- */

/* A thread is preempted at points the probe finds.  One whose probes keep
 * failing (a trapped instruction in every iteration of its loop) cannot
 * be: say so instead of hanging silently. */
static void *watchdog(void *arg)
{
	struct recorder *r = arg;
	uint64_t warned_at = 0;

	while (!atomic_load(&r->watch_stop)) {
		/* Naps the recorder can cut short: it joins this thread at
		 * the end, and every recording would wait out the nap. */
		struct timespec until;
		clock_gettime(CLOCK_MONOTONIC, &until);
		until.tv_nsec += 50 * 1000 * 1000;
		if (until.tv_nsec >= 1000000000) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000;
		}
		pthread_mutex_lock(&r->watch_lock);
		if (!atomic_load(&r->watch_stop))
			pthread_cond_timedwait(&r->watch_wake, &r->watch_lock,
					       &until);
		pthread_mutex_unlock(&r->watch_lock);
		if (atomic_load(&r->watch_stop))
			break;
		int tid = atomic_load(&r->watch_tid);
		uint64_t since = atomic_load(&r->progress_ns);
		uint64_t secs = (rec_now_ns() - since) / 1000000000ull;
		int waiting = atomic_load(&r->watch_waiting);
		int sig = atomic_load(&r->watch_signal);
		if (!tid || secs < WATCHDOG_AFTER_S || since <= warned_at ||
		    (!waiting && !sig))
			continue;
		warned_at = since + (uint64_t)WATCHDOG_AFTER_S * 1000000000ull;
		if (waiting)
			fprintf(stderr, "xrr: thread %d has run %" PRIu64 " s without"
				" a system call while %d thread%s wait%s, and xrr"
				" found no point to preempt it at (see"
				" docs/preemption.md)\n",
				tid, secs, waiting, waiting == 1 ? "" : "s",
				waiting == 1 ? "s" : "");
		else
			fprintf(stderr, "xrr: thread %d has run %" PRIu64 " s without"
				" a system call; signal %d waits for its next system"
				" call: xrr found no point to deliver it at (see"
				" docs/preemption.md)\n", tid, secs, sig);
	}
	return NULL;
}

/* ---- setup --------------------------------------------------------------------- */

static int make_header(struct recorder *r, struct trace_header *h,
		       char *err, size_t errlen)
{
	extern char **environ;

	trace_header_init(h);
	if (trace_header_fill_host(h) < 0 ||
	    trace_header_set_argv(h, r->opts->argv) < 0 ||
	    trace_header_set_envp(h, r->opts->envp ? r->opts->envp : environ) < 0 ||
	    trace_header_set_string(&h->tick_source, r->ticks->name) < 0) {
		snprintf(err, errlen, "trace header: out of memory");
		return -1;
	}
	if (rec_fill_cpuid(h, r->cpu, err, errlen) < 0)
		return -1;
	h->host_xcr0 = xsave_host_xcr0();
	if (xsave_layout_host(&h->xsave) < 0)
		memset(&h->xsave, 0, sizeof(h->xsave));
	h->bound_cpu = r->cpu;
	h->insn_virt = TRACE_INSN_VIRT_NONE;
	h->rdtsc_trapped = task_probe_tsc_trap() != 0;
	if (!h->rdtsc_trapped)
		fprintf(stderr, "xrr: warning: rdtsc does not trap on this "
			"machine (PR_SET_TSC has no effect here, as in some "
			"VMs): the values the program reads with rdtsc and "
			"rdtscp are not recorded, and replay gives it other "
			"ones\n");
	return rec_xcr0_setup(r, h, err, errlen);
}

static int pick_cpu(const struct recorder_options *o)
{
	if (o->cpu >= 0)
		return o->cpu;
	int cpu = sched_getcpu();
	return cpu < 0 ? 0 : cpu;
}

static int open_trace(struct recorder *r)
{
	struct trace_header h;
	char err[512];

	if (make_header(r, &h, err, sizeof(err)) < 0) {
		trace_header_free(&h);
		return rec_fail(r, "%s", err);
	}
	r->trace = trace_create(r->opts->trace_dir, &h, err, sizeof(err));
	trace_header_free(&h);
	if (!r->trace)
		return rec_fail(r, "%s", err);
	for (int s = 0; s < TRACE_NSTREAMS; s++)
		r->w[s] = trace_stream_writer(r->trace, (enum trace_stream)s);
	return rec_xcr0_start(r);
}

/* The program's environment with the library first in LD_PRELOAD (the
 * loader maps it before the program's own preloads). */
static char **preload_environment(const char *lib, char **envp)
{
	extern char **environ;
	char **src = envp ? envp : environ;
	size_t n = 0;

	while (src[n])
		n++;
	char **env = calloc(n + 2, sizeof(*env));
	if (!env)
		return NULL;
	size_t k = 0;
	bool done = false;
	for (size_t i = 0; i < n; i++) {
		if (!done && strncmp(src[i], "LD_PRELOAD=", 11) == 0) {
			const char *old = src[i] + 11;
			if (asprintf(&env[k], "LD_PRELOAD=%s%s%s", lib,
				     *old ? ":" : "", old) < 0)
				env[k] = NULL;
			done = true;
		} else {
			env[k] = strdup(src[i]);
		}
		if (!env[k++])
			goto fail;
	}
	if (!done && asprintf(&env[k++], "LD_PRELOAD=%s", lib) < 0)
		goto fail;
	return env;
fail:
	for (size_t i = 0; i < k; i++)
		free(env[i]);
	free(env);
	return NULL;
}

static void free_environment(char **env)
{
	for (size_t i = 0; env && env[i]; i++)
		free(env[i]);
	free(env);
}

/* The in-process syscall buffer, unless turned off or not installed
 * (then every syscall takes the ptrace path, as with
 * --no-syscall-buffer, and a warning says why). */
static int setup_syscall_buffer(struct recorder *r)
{
	char err[512];

	if (r->opts->no_syscall_buffer)
		return 0;
	if (syscallbuf_find_library(r->preload_path, sizeof(r->preload_path),
				    err, sizeof(err)) < 0) {
		fprintf(stderr, "xrr: warning: %s; recording without it\n", err);
		return 0;
	}
	r->spawn_envp = preload_environment(r->preload_path, r->opts->envp);
	if (!r->spawn_envp)
		return rec_fail(r, "out of memory for the program's environment");
	r->syscall_buffer = true;
	return 0;
}

static int start_program(struct recorder *r)
{
	struct spawn_options so = SPAWN_OPTIONS_DEFAULT;
	char err[512];

	so.disable_aslr = true;
	so.cpu = r->cpu;
	so.trap_tsc = true;
	so.trace_fork = true;      /* every child is recorded */
	so.path = r->opts->path;
	/* Every syscall stops at its entry through a seccomp filter
	 * (one mechanism with or without the buffer, and programs' own
	 * filters stack on it: recorder_seccomp.c); the buffer's stub
	 * runs untraced. */
	so.seccomp_filter = true;
	if (r->syscall_buffer)
		so.seccomp_untraced_ip = XRR_SB_UNTRACED_IP;
	if (process_spawn(r->proc, r->opts->argv,
			  r->spawn_envp ? r->spawn_envp : r->opts->envp, &so,
			  err, sizeof(err)) < 0)
		return rec_fail(r, "%s", err);
	r->xstate_size = r->proc->layout.max_size ? r->proc->layout.max_size : 4096;
	r->root_pid = r->proc->pid;
	if (add_process(r, r->proc) < 0)
		return -1;
	struct rthread *t = add_thread(r, r->proc->pid, r->proc);
	if (!t)
		return -1;
	/* process_spawn stops at the exec event; EV_EXEC is written at the
	 * execve's exit stop, where the program's first instruction is next. */
	t->state = RT_SYSCALL;
	t->nr = NR_EXECVE;
	t->exec_pending = true;
	r->current = t;
	return resume(r, t, TASK_RESUME_SYSCALL, 0);
}

/* A stopped recording is marked where readers look: `error` next to the
 * header, with the reason. */
static void write_error_file(const char *dir, const char *msg)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/error", dir);
	FILE *f = fopen(path, "we");
	if (f) {
		fprintf(f, "%s\n", msg);
		fclose(f);
	}
}

static void close_trace(struct recorder *r)
{
	char err[512];

	if (!r->trace)
		return;
	if (r->res->failed)
		write_error_file(r->opts->trace_dir, r->res->error);
	trace_update_header(r->trace, err, sizeof(err));
	if (trace_close(r->trace, err, sizeof(err)) < 0 && !r->res->failed) {
		snprintf(r->res->error, sizeof(r->res->error), "%s", err);
		r->res->failed = true;
	}
	r->trace = NULL;
}

int recorder_run(const struct recorder_options *o, struct recorder_result *res)
{
	struct recorder *r = calloc(1, sizeof(*r));
	pthread_t wd;
	bool have_wd = false;

	memset(res, 0, sizeof(*res));
	if (!r || !(r->proc = calloc(1, sizeof(*r->proc)))) {
		free(r);
		snprintf(res->error, sizeof(res->error), "out of memory");
		res->failed = true;
		return -1;
	}
	struct process *initial = r->proc;
	r->opts = o;
	r->res = res;
	r->debug = getenv("XRR_RECORD_DEBUG") != NULL;
	syscall_set_bpf_describer(rec_bpf_describe);
	r->ticks = tick_source_select();
	r->cpu = pick_cpu(o);
	r->last_flush_ns = rec_now_ns();
	struct stat out_st;
	if (fstat(1, &out_st) == 0) {
		r->out_id[0] = out_st.st_dev;
		r->out_id[1] = out_st.st_ino;
	}
	if (fstat(2, &out_st) == 0) {
		r->err_id[0] = out_st.st_dev;
		r->err_id[1] = out_st.st_ino;
	}
	int rc = setup_syscall_buffer(r);
	if (rc == 0)
		rc = open_trace(r);
	if (rc == 0)
		rc = start_program(r);
	sigset_t saved_mask;
	bool sigchld_blocked = false;
	r->sigchld_fd = -1;
	if (rc == 0)
		sigchld_blocked = open_sigchld_fd(r, &saved_mask);
	if (rc == 0) {
		pthread_condattr_t ca;
		pthread_condattr_init(&ca);
		pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
		pthread_cond_init(&r->watch_wake, &ca);
		pthread_condattr_destroy(&ca);
		pthread_mutex_init(&r->watch_lock, NULL);
		atomic_store(&r->progress_ns, rec_now_ns());
		have_wd = pthread_create(&wd, NULL, watchdog, r) == 0;
		/* After the watchdog starts: it keeps every CPU. */
		cpu_set_t saved;
		bool bound = tracer_bind(r->cpu, &saved);
		rc = loop(r);
		tracer_unbind(bound, &saved);
	}
	if (have_wd) {
		pthread_mutex_lock(&r->watch_lock);
		atomic_store(&r->watch_stop, true);
		pthread_cond_signal(&r->watch_wake);
		pthread_mutex_unlock(&r->watch_lock);
		pthread_join(wd, NULL);
		pthread_cond_destroy(&r->watch_wake);
		pthread_mutex_destroy(&r->watch_lock);
	}
	if (sigchld_blocked)
		close_sigchld_fd(r, &saved_mask);
	/* A recording stopped early takes the whole tree with it. */
	for (size_t i = 0; i < r->nprocs; i++)
		if (rc < 0)
			process_kill(r->procs[i]);
	while (r->nprocs)
		remove_process(r, r->procs[0]);
	if (!r->root_pid) {
		/* Never started: not in procs. */
		if (initial->pid > 0)
			process_free(initial);
		free(initial);
	}
	close_trace(r);
	rec_xcr0_finish(r);
	rec_sitepatch_free(r);
	free_environment(r->spawn_envp);
	for (size_t i = 0; i < r->nthreads; i++) {
		rec_seccomp_forget(&r->threads[i]);
		free(r->threads[i].tracee);     /* a recording stopped early */
	}
	seccomp_answers_free(&r->seccomp_answers);
	free(r);
	return res->failed ? -1 : 0;
}
