/* The replay session: lifecycle, the event loop, signals and rdtsc.
 *
 * Only one thread runs at a time: the one the next recorded event belongs
 * to.  Events that need no execution (a signal delivery, the program's
 * end, thread bookkeeping) are settled before anything runs; then that
 * thread runs under PTRACE_SYSEMU until its next syscall, trapped rdtsc or
 * fault, which must be the recorded event. */
#include "config.h"

#include "replay/replay_int.h"
#include "replay/seccomp_filter.h"
#include "replay/syscallbuf.h"
#include "replay/insn_virt.h"
#include "replay/syscalls.h"
#include "replay/task_int.h"
#include "replay/trace_procs.h"
#include "replay/fdtable.h"
#include "replay/symbols.h"

#include <errno.h>
#include <inttypes.h>
#include <libgen.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

/* ---- messages ---------------------------------------------------------------- */

static pid_t current_rec_tid(const struct replayer *r)
{
	return r->have_ev ? r->ev.tid : r->target_pid;
}

static struct task *thread_task(struct replayer *r,
				const struct replay_thread *th);

/* " [at main (hello.c:12)]": where thread tid is, when that can be
 * told (it is stopped and its pc is in a stored file). */
static void append_location(struct replayer *r, pid_t tid, char *msg,
			    size_t len)
{
	struct replay_thread *th = replay_thread_by_rec(r, tid);
	struct task *t = th && th->rp ? thread_task(r, th) : NULL;
	struct sym_table *st = replayer_symbols(r);
	struct sym_location loc;
	char err[256], where[400];

	if (!t || !st || sym_task_location(st, &th->rp->proc, t, &loc, err,
					   sizeof(err)) < 0 || !loc.object[0])
		return;
	size_t used = strlen(msg);
	if (used < len)
		snprintf(msg + used, len - used, " [at %s]",
			 sym_format(&loc, where, sizeof(where)));
}

/* Fill stop with "replay <verb> at event N (tid T): <what> [at LOC]". */
static void stop_with_message(struct replayer *r, struct replay_stop *stop,
			      enum replay_stop_kind kind, const char *verb,
			      const char *fmt, va_list ap)
{
	char what[400];

	vsnprintf(what, sizeof(what), fmt, ap);
	stop->kind = kind;
	stop->tid = current_rec_tid(r);
	stop->event = r->ev_index;
	snprintf(stop->message, sizeof(stop->message),
		 "replay %s at event %llu (tid %d): %s", verb,
		 (unsigned long long)r->ev_index, (int)stop->tid, what);
	append_location(r, stop->tid, stop->message, sizeof(stop->message));
}

int replay_diverged(struct replayer *r, struct replay_stop *stop,
		    const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	stop_with_message(r, stop, REPLAY_STOP_DIVERGED, "diverged", fmt, ap);
	va_end(ap);
	r->diverged = true;
	snprintf(r->divergence, sizeof(r->divergence), "%s", stop->message);
	return 1;
}

int replay_error(struct replayer *r, struct replay_stop *stop,
		 const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	stop_with_message(r, stop, REPLAY_STOP_ERROR, "failed", fmt, ap);
	va_end(ap);
	return 1;
}

/* ---- threads ------------------------------------------------------------------- */

/* Recorded tids are unique among live threads only: a live one wins
 * over an exited one that had the same number. */
struct replay_thread *replay_thread_by_rec(struct replayer *r, pid_t rec)
{
	struct replay_thread *dead = NULL;

	for (size_t i = 0; i < r->nthreads; i++)
		if (r->threads[i].rec_tid == rec) {
			if (!r->threads[i].exited)
				return &r->threads[i];
			dead = &r->threads[i];
		}
	return dead;
}

/* A slot for a new thread of rp (exited threads' slots are reused). */
struct replay_thread *replay_thread_new(struct replayer *r, pid_t rec,
					 struct replay_proc *rp)
{
	struct replay_thread *th = NULL;

	for (size_t i = 0; i < r->nthreads && !th; i++)
		if (r->threads[i].exited)
			th = &r->threads[i];
	if (!th) {
		if (r->nthreads == REPLAY_MAX_THREADS)
			return NULL;
		th = &r->threads[r->nthreads++];
	}
	fdtable_free(th->fdt);
	memset(th, 0, sizeof(*th));
	th->rec_tid = rec;
	th->rp = rp;
	return th;
}

void replay_use_proc(struct replayer *r, struct replay_proc *rp)
{
	r->rp = rp;
	r->proc = &rp->proc;
	if (r->iv && r->iv_owner != rp) {
		/* The table gets rp's patched sites; the previous owner's
		 * go back to it. */
		if (r->iv_owner)
			insn_virt_swap_sites(r->iv, &r->iv_owner->sites);
		insn_virt_swap_sites(r->iv, &rp->sites);
		r->iv_owner = rp;
	}
}

void replay_use_thread(struct replayer *r, struct replay_thread *th)
{
	if (th && th->rp)
		replay_use_proc(r, th->rp);
}

static struct replay_proc *proc_by_rec(struct replayer *r, pid_t rec_pid)
{
	for (size_t i = 0; i < r->nprocs; i++)
		if (r->procs[i]->rec_pid == rec_pid && !r->procs[i]->exited)
			return r->procs[i];
	for (size_t i = 0; i < r->nprocs; i++)
		if (r->procs[i]->rec_pid == rec_pid)
			return r->procs[i];
	return NULL;
}

struct replay_proc *replay_target_proc(const struct replayer *r)
{
	return proc_by_rec((struct replayer *)r, r->target_pid);
}

void replay_proc_release(struct replay_proc *rp)
{
	insn_site_set_free(&rp->sites);
	if (rp->proc.pid > 0) {
		process_kill(&rp->proc);
		process_free(&rp->proc);
	}
	free(rp->auxv);
	free(rp->exec_path);
	rp->auxv = NULL;
	rp->exec_path = NULL;
}

static void free_proc(struct replay_proc *rp)
{
	replay_proc_release(rp);
	free(rp);
}

/* Forget a process whose replay ended: its threads, its real process. */
static void drop_proc(struct replayer *r, struct replay_proc *rp)
{
	for (size_t i = 0; i < r->nthreads; i++)
		if (r->threads[i].rp == rp) {
			r->threads[i].exited = true;
			r->threads[i].rp = NULL;
			replay_runq_remove(r, r->threads[i].rec_tid);
		}
	for (size_t i = 0; i < r->nprocs; i++)
		if (r->procs[i] == rp) {
			r->procs[i] = r->procs[--r->nprocs];
			break;
		}
	if (r->rp == rp) {
		r->rp = NULL;
		r->proc = NULL;
	}
	if (r->iv_owner == rp) {
		insn_virt_swap_sites(r->iv, &rp->sites);
		r->iv_owner = NULL;
	}
	free_proc(rp);
}

struct replay_proc *replay_proc_new(struct replayer *r)
{
	if (r->nprocs == REPLAY_MAX_PROCS)
		return NULL;
	struct replay_proc *rp = calloc(1, sizeof(*rp));
	if (rp)
		r->procs[r->nprocs++] = rp;
	return rp;
}

struct replay_thread *replay_thread_by_real(struct replayer *r, pid_t real)
{
	for (size_t i = 0; i < r->nthreads; i++)
		if (r->threads[i].real_tid == real && !r->threads[i].exited)
			return &r->threads[i];
	return NULL;
}

static struct task *thread_task(struct replayer *r,
				const struct replay_thread *th)
{
	(void)r;
	if (!th || th->exited || !th->real_tid || !th->rp)
		return NULL;
	struct task *t = process_find_task(&th->rp->proc, th->real_tid);
	return t && !t->exited ? t : NULL;
}

/* ---- the exec stub ---------------------------------------------------------------- */

static bool executable(const char *path)
{
	return access(path, X_OK) == 0;
}

/* opts->exec_stub, $XRR_EXEC_STUB, next to xrr (build tree), or
 * ../libexec/xrr next to it (installed as pkglibexec). */
static int find_stub(struct replayer *r, char *err, size_t errlen)
{
	const char *env = getenv("XRR_EXEC_STUB");
	char self[PATH_MAX];
	ssize_t n;

	if (r->opts.exec_stub || (env && *env)) {
		snprintf(r->stub_path, sizeof(r->stub_path), "%s",
			 r->opts.exec_stub ? r->opts.exec_stub : env);
		if (executable(r->stub_path))
			return 0;
		snprintf(err, errlen, "exec stub %s: %s", r->stub_path,
			 strerror(errno));
		return -1;
	}
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n < 0) {
		snprintf(err, errlen, "readlink /proc/self/exe: %s",
			 strerror(errno));
		return -1;
	}
	self[n] = '\0';
	char *dir = dirname(self);
	snprintf(r->stub_path, sizeof(r->stub_path), "%s/xrr-exec-stub", dir);
	if (executable(r->stub_path))
		return 0;
	snprintf(r->stub_path, sizeof(r->stub_path),
		 "%s/../libexec/xrr/xrr-exec-stub", dir);
	if (executable(r->stub_path))
		return 0;
	snprintf(err, errlen, "exec stub xrr-exec-stub not found next to %s "
		 "or in %s/../libexec/xrr (set XRR_EXEC_STUB)", self, dir);
	return -1;
}

/* ---- starting and stopping ------------------------------------------------------------ */

static void stop_replay(struct replayer *r)
{
	while (r->nprocs)
		drop_proc(r, r->procs[r->nprocs - 1]);
	for (size_t i = 0; i < r->nthreads; i++) {
		fdtable_free(r->threads[i].fdt);
		r->threads[i].fdt = NULL;
	}
	replay_cursor_close(r);
	replay_virt_close(r);
	replay_shm_forget(r);
	r->nthreads = 0;
	r->nrunq = 0;
	r->ended = r->diverged = r->root_exited = false;
	r->announced = false;
}

static int usable_cpu(int cpu)
{
	cpu_set_t set;

	if (cpu < 0 || cpu >= CPU_SETSIZE ||
	    sched_getaffinity(0, sizeof(set), &set) < 0 || !CPU_ISSET(cpu, &set))
		return -1;
	return cpu;
}

static int spawn_stub(struct replayer *r, char *err, size_t errlen)
{
	struct spawn_options so = SPAWN_OPTIONS_DEFAULT;
	char *argv[] = { r->stub_path, NULL };
	char *envp[] = { NULL };

	so.disable_aslr = true;
	/* On the recording's CPU, what the kernel itself writes for the
	 * program (rseq cpu ids) is what it wrote then. */
	so.cpu = usable_cpu(trace_header(r->trace)->bound_cpu);
	r->cpu = so.cpu;
	/* rdtsc and rdtscp fault (SIGSEGV) so that they can be answered
	 * from the trace; the setting survives the exec. */
	so.trap_tsc = true;
	/* Recorded children are forked by their replayed parent: traced
	 * from birth, never running unwatched. */
	so.trace_fork = true;
	struct replay_proc *rp = replay_proc_new(r);
	if (!rp) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	replay_use_proc(r, rp);
	if (process_spawn(r->proc, argv, envp, &so, err, errlen) < 0)
		return -1;
	return 0;
}

static int start_replay(struct replayer *r, char *err, size_t errlen)
{
	const struct trace_header *h = trace_header(r->trace);

	memset(&r->psearch, 0, sizeof(r->psearch));
	if (replay_cursor_open(r, err, errlen) < 0 ||
	    replay_virt_open(r, err, errlen) < 0 ||
	    replay_cursor_advance(r, err, errlen) < 0)
		return -1;
	if (!r->have_ev) {
		snprintf(err, errlen, "trace %s has no events", r->trace_dir);
		return -1;
	}
	if (spawn_stub(r, err, errlen) < 0 ||
	    replay_space_build(r, err, errlen) < 0 ||
	    replay_virt_after_exec(r, err, errlen) < 0)
		return -1;
	r->root_pid = r->ev.tid;
	r->rp->rec_pid = r->ev.tid;
	if (!r->target_pid)
		r->target_pid = r->root_pid;
	struct replay_thread *th = replay_thread_new(r, r->ev.tid, r->rp);
	th->real_tid = r->proc->pid;
	th->xcr0 = r->ev.u.exec.xcr0 ? r->ev.u.exec.xcr0 : h->initial_xcr0;
	th->fdt = fdtable_new_initial();
	if (!th->fdt) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	r->nrunq = 1;
	r->runq[0] = r->ev.tid;
	return replay_cursor_advance(r, err, errlen);
}

/* Where a process other than the first is shown from: after its first
 * exec, or its fork (-f, or when it never execs).  r->start_event. */
static int find_start(struct replayer *r, char *err, size_t errlen)
{
	struct trace_proc *procs;
	size_t n;

	r->start_event = 0;
	if (!r->target_pid)
		return 0;
	if (trace_procs_read(r->trace, &procs, &n, NULL, err, errlen) < 0)
		return -1;
	const struct trace_proc *p = trace_procs_find(procs, n, r->target_pid);
	int rc = 0;
	if (!p) {
		snprintf(err, errlen, "trace %s has no process %d (`xrr ps` "
			 "lists its processes)", r->trace_dir, (int)r->target_pid);
		rc = -1;
	} else if (p->fork_event != TRACE_NO_EVENT) {
		bool at_exec = !r->opts.from_fork &&
			       p->exec_event != TRACE_NO_EVENT;
		r->start_event = (at_exec ? p->exec_event : p->fork_event) + 1;
	}
	trace_procs_free(procs, n);
	return rc;
}

static int go_to_start(struct replayer *r, char *err, size_t errlen)
{
	struct replay_stop stop;

	if (!r->start_event)
		return 0;
	if (replayer_goto(r, r->start_event, &stop) < 0 ||
	    stop.kind != REPLAY_STOP_EVENT) {
		snprintf(err, errlen, "replaying up to process %d (event %"
			 PRIu64 "): %s", (int)r->target_pid, r->start_event,
			 stop.message[0] ? stop.message : "it ended before");
		return -1;
	}
	return 0;
}

struct replayer *replayer_open(const char *trace_dir,
			       const struct replay_options *opts, char *err,
			       size_t errlen)
{
	struct replayer *r = calloc(1, sizeof(*r));

	if (!r) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (opts)
		r->opts = *opts;
	snprintf(r->trace_dir, sizeof(r->trace_dir), "%s", trace_dir);
	r->debug = getenv("XRR_REPLAY_DEBUG") != NULL;
	/* Test hook: a slow replay, to check that debuggers never time out
	 * on long requests (testsuite/integration/longops-gdb.sh). */
	const char *slow = getenv("XRR_TEST_SLOW_REPLAY_MS");
	if (slow)
		r->slow_ms = (unsigned)strtoul(slow, NULL, 10);
	if (replay_alter_parse(getenv("XRR_TEST_ALTER_EVENT"), &r->alter, err,
			       errlen) < 0 ||
	    find_stub(r, err, errlen) < 0)
		goto fail;
	r->trace = trace_open(trace_dir, err, errlen);
	if (!r->trace)
		goto fail;
	r->target_pid = r->opts.target_pid;
	if (find_start(r, err, errlen) < 0 || start_replay(r, err, errlen) < 0 ||
	    go_to_start(r, err, errlen) < 0)
		goto fail;
	return r;
fail:
	replayer_close(r);
	return NULL;
}

void replayer_close(struct replayer *r)
{
	if (!r)
		return;
	stop_replay(r);
	sym_table_free(r->syms);
	if (r->trace)
		trace_close(r->trace, NULL, 0);
	free(r);
}

int replayer_restart(struct replayer *r, char *err, size_t errlen)
{
	stop_replay(r);
	if (start_replay(r, err, errlen) < 0)
		return -1;
	return go_to_start(r, err, errlen);
}

/* ---- signals ------------------------------------------------------------------------------ */

static int siginfo_code(const struct ev_signal *s)
{
	int32_t code;

	memcpy(&code, s->siginfo + 8, sizeof(code));
	return code;
}

/* A fault the thread's own instruction causes (a seccomp filter's SIGSYS
 * included), delivered where it happens; anything else (kill, tgkill,
 * timers) was delivered by the recorder at the thread's syscall boundary,
 * i.e. right now. */
static bool synchronous_signal(const struct ev_signal *s)
{
	switch (s->signo) {
	case SIGSEGV: case SIGBUS: case SIGILL: case SIGFPE: case SIGTRAP:
		return siginfo_code(s) > 0 && siginfo_code(s) != SI_KERNEL;
	case SIGSYS:
		return siginfo_code(s) == SIGSYS_SECCOMP_CODE;
	}
	return false;
}

bool replay_seccomp_trap(const struct ev_signal *s, long nr)
{
	int32_t syscall_nr;

	/* siginfo's _sigsys: call address at 16, syscall at 24. */
	memcpy(&syscall_nr, s->siginfo + 24, sizeof(syscall_nr));
	return s->signo == SIGSYS && siginfo_code(s) == SIGSYS_SECCOMP_CODE &&
	       syscall_nr == nr;
}

/* Write the recorded frame and enter the handler as recorded.  Without a
 * frame the signal had no handler (it was ignored, or it killed the
 * program, which the next event says). */
static int deliver_signal(struct replayer *r, struct replay_stop *stop)
{
	const struct ev_signal *s = &r->ev.u.signal;
	struct replay_thread *th = replay_thread_by_rec(r, r->ev.tid);
	struct task *t = thread_task(r, th);

	if (!t)
		return replay_error(r, stop, "signal %d for unknown thread %d",
				    s->signo, (int)r->ev.tid);
	replay_use_thread(r, th);
	if (!s->frame_len) {
		/* A fatal default action: nothing of the process runs
		 * again; its thread exits and EV_EXIT follow. */
		th->rp->at_exit_group = true;
		for (size_t i = 0; i < r->nthreads; i++)
			if (r->threads[i].rp == th->rp)
				replay_runq_remove(r, r->threads[i].rec_tid);
		return 0;
	}
	/* It runs on from the handler, before anyone else. */
	th->parked = false;
	replay_runq_push(r, th->rec_tid, true);
	if (s->frame_len) {
		if (process_write_memory(r->proc, s->frame_addr, s->frame,
					 s->frame_len) != (ssize_t)s->frame_len)
			return replay_error(r, stop, "writing the signal frame "
					    "at 0x%" PRIx64 ": %s",
					    s->frame_addr, r->proc->err);
		if (task_set_gregs(r->proc, t, &s->regs) < 0)
			return replay_error(r, stop, "entering the handler: %s",
					    r->proc->err);
	}
	return 0;
}

static int announce_signal(struct replayer *r, struct replay_stop *stop)
{
	r->announced = true;
	stop->kind = REPLAY_STOP_SIGNAL;
	stop->tid = r->ev.tid;
	stop->signo = r->ev.u.signal.signo;
	stop->event = r->ev_index;
	return 1;
}

/* ---- events that need no execution ------------------------------------------------------------ */

/* The end GDB sees: the target process's recorded status. */
static int end_of_program(struct replayer *r, struct replay_stop *stop)
{
	struct replay_proc *tp = replay_target_proc(r);

	r->ended = true;
	if (tp && tp->exited)
		r->exit_status = tp->exit_status;
	stop->kind = REPLAY_STOP_END;
	stop->tid = r->target_pid;
	stop->exit_status = r->exit_status;
	stop->event = r->ev_index;
	return 1;
}

/* EV_EXIT of one process.  1: the replay ends here (the target's end,
 * unless the whole tree is replayed); 0: go on.  Other processes are
 * killed now: nothing they do is in the trace any more. */
static int process_exit(struct replayer *r, struct replay_stop *stop)
{
	struct replay_proc *rp = proc_by_rec(r, r->ev.tid);

	if (r->ev.tid == r->root_pid)
		r->root_exited = true;
	if (!rp)
		return 0;       /* a 1.x trace, or never started */
	rp->exited = true;
	rp->exit_status = r->ev.u.exit.status;
	if (rp->rec_pid == r->target_pid) {
		if (!r->opts.whole_tree)
			return end_of_program(r, stop);
		return 0;       /* kept for a look at its last state */
	}
	drop_proc(r, rp);
	return 0;
}

static void note_thread(struct replayer *r, pid_t rec, uint64_t xcr0,
			struct replay_proc *rp)
{
	struct replay_thread *th = replay_thread_by_rec(r, rec);

	if (!th || th->exited)
		th = rp ? replay_thread_new(r, rec, rp) : NULL;
	if (th)
		th->xcr0 = xcr0;
}

/* EV_THREAD_CREATE of a thread the clone just replayed made: it gets
 * its recorded tid (the clone's result was its tid in its own pid
 * namespace, which differs from it inside pid namespaces). */
static void name_new_thread(struct replayer *r, struct replay_proc *rp,
			    pid_t rec)
{
	for (size_t i = 0; rp && i < r->nthreads; i++) {
		struct replay_thread *t = &r->threads[i];
		if (t->rp != rp || t->exited || !t->naming)
			continue;
		t->naming = false;
		for (size_t k = 0; k < r->nrunq; k++)
			if (r->runq[k] == t->rec_tid)
				r->runq[k] = rec;
		t->rec_tid = rec;
	}
}

static bool in_target(struct replayer *r, pid_t rec_tid)
{
	struct replay_thread *th = replay_thread_by_rec(r, rec_tid);

	return th && th->rp && th->rp->rec_pid == r->target_pid;
}

/* A thread another thread's execve killed (the trace says SIGKILL): it
 * must not run again, and its task must go, as the kernel's exec made it
 * go.  It is made to call exit from our scratch page, wherever it is
 * stopped.  0, or -1 with err. */
static int kill_thread(struct replayer *r, struct replay_thread *th,
		       char *err, size_t errlen)
{
	struct task *t = thread_task(r, th);
	struct task_stop ts;

	if (!t)
		return 0;
	replay_use_thread(r, th);
	if (th->real_tid == r->proc->pid) {
		/* The leader, killed by another thread's execve: the task
		 * layer reaches the process's memory through its pid, so it
		 * stays, stopped for good, and is forgotten. */
		th->exited = true;
		th->parked = false;
		replay_runq_remove(r, th->rec_tid);
		return 0;
	}
	if (replay_space_start_final_syscall(r, t, SYS_exit, 0, 0, 0) < 0)
		goto fail;
	while (!t->exited)
		if (process_wait(r->proc, &ts, 0) != 1)
			goto fail;
	th->exited = true;
	th->parked = false;
	replay_runq_remove(r, th->rec_tid);
	return 0;
fail:
	snprintf(err, errlen, "ending thread %d, killed by an execve: %.160s",
		 (int)th->rec_tid, r->proc->err);
	return -1;
}

static struct process *breakpoint_owner(struct replayer *r);

/* A breakpoint of the debugger at the first instruction of the handler
 * th was just put in: a stop there, as when the kernel enters a handler
 * (resuming steps over a breakpoint at the current pc). */
static bool handler_breakpoint(struct replayer *r, struct replay_thread *th,
			       struct replay_stop *stop)
{
	struct task *t = thread_task(r, th);
	struct user_regs_struct g;

	if (!t || breakpoint_owner(r) != r->proc ||
	    !in_target(r, th->rec_tid) || task_get_gregs(r->proc, t, &g) < 0 ||
	    !process_has_breakpoint(r->proc, g.rip))
		return false;
	stop->kind = REPLAY_STOP_BREAKPOINT;
	stop->tid = th->rec_tid;
	stop->event = r->ev_index;
	stop->at_event = true;
	return true;
}

/* One instruction of th (its tracer's PTRACE_SINGLESTEP). */
static int step_once(struct replayer *r, struct replay_thread *th,
		     struct task *t, char *err, size_t errlen)
{
	struct task_stop ts;

	if (task_resume(r->proc, t, TASK_RESUME_SINGLESTEP, 0) < 0)
		goto fail;
	do {
		if (process_wait(r->proc, &ts, 0) != 1)
			goto fail;
	} while (ts.tid != t->tid);
	if (ts.kind == TASK_STOP_SIGNAL && ts.signo == SIGTRAP)
		return 0;
	snprintf(err, errlen, "thread %d, stepped for its tracer, stopped "
		 "otherwise (kind %d, signal %d)", (int)th->rec_tid,
		 (int)ts.kind, ts.signo);
	return -1;
fail:
	snprintf(err, errlen, "stepping thread %d for its tracer: %.160s",
		 (int)th->rec_tid, r->proc->err);
	return -1;
}

/* EV_TRACE_STOP (trace_events.h): th stopped for its emulated tracer.
 * 0: done; -1: th must run to its fault first (queued); 1: stop filled. */
static int trace_stop(struct replayer *r, struct replay_thread *th,
		      struct replay_stop *stop)
{
	const struct ev_trace_stop *ts = &r->ev.u.trace_stop;
	struct task *t = th ? thread_task(r, th) : NULL;
	char err[256] = "";

	if (!t)
		return replay_error(r, stop, "EV_TRACE_STOP of unknown thread %d",
				    (int)r->ev.tid);
	if (ts->kind == TRACE_STOP_FAULT && !r->announced) {
		if (th->parked)
			return replay_diverged(r, stop, "thread %d reached a "
					       "syscall where it stopped at "
					       "signal %d for its tracer",
					       (int)th->rec_tid, ts->signo);
		/* signal_stop takes its fault for this event. */
		replay_runq_push(r, th->rec_tid, true);
		return -1;
	}
	r->announced = false;
	/* It runs no further before its next event (run_parked runs it
	 * then); one parked at its syscall entry stays parked. */
	replay_runq_remove(r, th->rec_tid);
	replay_use_thread(r, th);
	if (ts->kind == TRACE_STOP_STEP && step_once(r, th, t, err, sizeof(err)) < 0)
		return replay_diverged(r, stop, "%s", err);
	if (ts->has_regs && task_set_gregs(r->proc, t, &ts->regs) < 0)
		return replay_error(r, stop, "registers its tracer set in thread "
				    "%d: %s", (int)th->rec_tid, r->proc->err);
	if (replay_write_memory(r, ts->writes, ts->nwrites, err, sizeof(err)) < 0)
		return replay_error(r, stop, "%s", err);
	return 0;
}

/* EV_PATCH (trace_events.h): the recorder patched a syscall site of the
 * thread's process (replay/sitepatch.h); do the same here, a new
 * trampoline page first. */
int replay_patch_site(struct replayer *r, struct replay_thread *th,
		      struct replay_stop *stop)
{
	const struct ev_patch *pa = &r->ev.u.patch;
	struct task *t = th ? thread_task(r, th) : NULL;
	char err[256] = "";

	if (!t)
		return replay_error(r, stop, "EV_PATCH of unknown thread %d",
				    (int)r->ev.tid);
	replay_use_thread(r, th);
	if (pa->page) {
		long args[6] = { (long)pa->page, 4096, PROT_READ | PROT_EXEC,
				 MAP_PRIVATE | MAP_ANONYMOUS |
				 MAP_FIXED_NOREPLACE, -1, 0 };
		long res;
		if (task_remote_syscall(r->proc, t, SYS_mmap, args, &res) < 0)
			return replay_error(r, stop, "mapping the trampoline page "
					    "%#" PRIx64 " of the syscall site at %#"
					    PRIx64 ": %s", pa->page, pa->site,
					    r->proc->err);
		if (res != (long)pa->page)
			return replay_diverged(r, stop, "the trampoline page %#"
					       PRIx64 " of the syscall site at %#"
					       PRIx64 " could not be mapped there "
					       "(%ld)", pa->page, pa->site, res);
	}
	if (replay_write_memory(r, pa->writes, pa->nwrites, err, sizeof(err)) < 0)
		return replay_error(r, stop, "%s", err);
	return 0;
}

/* 1: stop filled; 0: the next event needs its thread to run. */
static int settle(struct replayer *r, uint64_t target, struct replay_stop *stop)
{
	char err[256] = "";

	for (;;) {
		if (r->ended)
			return end_of_program(r, stop);
		if (target != UINT64_MAX && r->ev_index >= target) {
			stop->kind = REPLAY_STOP_EVENT;
			stop->tid = current_rec_tid(r);
			stop->event = r->ev_index;
			return 1;
		}
		if (!r->have_ev) {
			struct replay_proc *tp = replay_target_proc(r);
			if (r->root_exited && tp && tp->exited)
				return end_of_program(r, stop);
			return replay_error(r, stop, "the trace ends without the "
					    "program's exit (recording "
					    "interrupted?)");
		}
		struct replay_thread *th = replay_thread_by_rec(r, r->ev.tid);
		switch (r->ev.type) {
		case EV_EXIT:
			if (process_exit(r, stop))
				return 1;
			break;
		case EV_THREAD_CREATE:
			name_new_thread(r, th ? th->rp : NULL,
					r->ev.u.thread_create.new_tid);
			note_thread(r, r->ev.u.thread_create.new_tid,
				    r->ev.u.thread_create.xcr0,
				    th ? th->rp : NULL);
			break;
		case EV_XCR0_CHANGE:
			note_thread(r, r->ev.tid, r->ev.u.xcr0_change.new_xcr0,
				    th ? th->rp : NULL);
			break;
		case EV_SYSCALLBUF:
			if (replay_syscallbuf_batch(r, stop))
				return 1;
			break;
		case EV_TRACE_STOP: {
			int rc = trace_stop(r, th, stop);
			if (rc)
				return rc > 0 ? 1 : 0;
			break;
		}
		case EV_PATCH:
			/* Applied at its thread's syscall exit already
			 * (replay_syscall), unless that call took another
			 * way. */
			if (replay_patch_site(r, th, stop))
				return 1;
			break;
		case EV_RESUME:
			/* When the recorder resumed it, nobody else was in
			 * the middle of user code: those still to run their
			 * stretch here run first. */
			if (r->nrunq)
				return 0;
			if (!th || !th->at_point)
				return replay_diverged(r, stop, "thread %d resumes "
						       "from a point it is not at",
						       (int)r->ev.tid);
			replay_point_resume(r, th);
			break;
		case EV_THREAD_EXIT:
			/* Exited already, or killed by another thread's
			 * exit_group: nothing to run.  Killed by an exec in
			 * its process: ended here. */
			/* Or by a seccomp filter's kill (SIGSYS without a
			 * signal event): ended here too. */
			if (th && !th->exited && th->rp &&
			    !th->rp->at_exit_group &&
			    WIFSIGNALED(r->ev.u.thread_exit.status) &&
			    (WTERMSIG(r->ev.u.thread_exit.status) == SIGKILL ||
			     WTERMSIG(r->ev.u.thread_exit.status) == SIGSYS)) {
				if (kill_thread(r, th, err, sizeof(err)) < 0)
					return replay_error(r, stop, "%s", err);
				break;
			}
			if (th && !th->exited && th->rp &&
			    !th->rp->at_exit_group)
				return 0;
			if (th && th->rp && th->rp->at_exit_group)
				th->exited = true;
			break;
		case EV_SIGNAL:
			/* Only the debugged process's signals stop the
			 * replay; the others' are delivered on the way. */
			if (!r->announced && !synchronous_signal(&r->ev.u.signal) &&
			    in_target(r, r->ev.tid))
				return announce_signal(r, stop);
			if (!r->announced && !synchronous_signal(&r->ev.u.signal))
				r->announced = true;
			if (!r->announced)
				return 0;
			r->announced = false;
			if (deliver_signal(r, stop))
				return 1;
			bool entered = r->ev.u.signal.frame_len != 0;
			if (replay_cursor_advance(r, err, sizeof(err)) < 0)
				return replay_error(r, stop, "%s", err);
			if (entered && th && handler_breakpoint(r, th, stop))
				return 1;
			continue;
		default:
			return 0;
		}
		if (replay_cursor_advance(r, err, sizeof(err)) < 0)
			return replay_error(r, stop, "%s", err);
	}
}

/* ---- stops of the running thread ---------------------------------------------------------------- */

int replay_seccomp_sigsys(struct replayer *r, struct task *t,
			  struct replay_stop *stop)
{
	struct user_regs_struct g = r->entry_regs;

	g.rax = g.orig_rax;
	if (task_set_gregs(r->proc, t, &g) < 0)
		return replay_error(r, stop, "seccomp SIGSYS: %s", r->proc->err);
	if (!in_target(r, r->ev.tid)) {
		r->announced = true;    /* delivered by settle */
		return 0;
	}
	return announce_signal(r, stop);
}

static bool rdtsc_at(struct replayer *r, uint64_t rip, bool *rdtscp)
{
	uint8_t insn[3];

	if (process_read_memory_clean(r->proc, rip, insn, 3) < 2)
		return false;
	*rdtscp = insn[0] == 0x0f && insn[1] == 0x01 && insn[2] == 0xf9;
	return (insn[0] == 0x0f && insn[1] == 0x31) || *rdtscp;
}

static int replay_rdtsc(struct replayer *r, struct task *t,
			struct replay_stop *stop)
{
	struct user_regs_struct g;
	bool rdtscp;
	char err[256] = "";

	if (task_get_gregs(r->proc, t, &g) < 0)
		return replay_error(r, stop, "%s", r->proc->err);
	if (!rdtsc_at(r, g.rip, &rdtscp))
		return -1;      /* a real SIGSEGV */
	const struct ev_rdtsc *e = &r->ev.u.rdtsc;
	if (!r->have_ev || r->ev.type != EV_RDTSC)
		return replay_diverged(r, stop, "expected %s, got rdtsc at 0x%llx",
				       r->have_ev ? trace_event_name(r->ev.type)
						  : "the end", g.rip);
	if (e->rip != g.rip || e->rdtscp != rdtscp)
		return replay_diverged(r, stop, "expected rdtsc at 0x%" PRIx64
				       ", got it at 0x%llx", e->rip, g.rip);
	g.rax = e->value & 0xffffffffu;
	g.rdx = e->value >> 32;
	if (rdtscp)
		g.rcx = e->tsc_aux;
	g.rip += rdtscp ? 3 : 2;
	if (task_set_gregs(r->proc, t, &g) < 0)
		return replay_error(r, stop, "%s", r->proc->err);
	if (replay_cursor_advance(r, err, sizeof(err)) < 0)
		return replay_error(r, stop, "%s", err);
	return 0;
}

/* A ud2 of instruction virtualisation: emulated, no event.  0: done;
 * 1: a real SIGILL or a fault of the emulated instruction (the recorded
 * EV_SIGNAL must follow); -1: stop filled. */
static int virt_trap(struct replayer *r, struct task *t,
		     struct replay_stop *stop)
{
	struct replay_thread *th = replay_thread_by_real(r, t->tid);
	siginfo_t fault;
	char err[256] = "";
	int rc = replay_virt_trap(r, t, th ? th->xcr0 : 0, &fault, err,
				  sizeof(err));

	if (rc < 0) {
		replay_error(r, stop, "instruction virtualisation: %s", err);
		return -1;
	}
	return rc == INSN_TRAP_EMULATED ? 0 : 1;
}

/* The breakpoints in the memory a thread of the current process runs:
 * its own, or the target's when it shares the target's memory (a vfork
 * child of the debugged process runs the parent's code, int3s included). */
static struct process *breakpoint_owner(struct replayer *r)
{
	struct replay_proc *tp = replay_target_proc(r);

	if (!r->proc->nbps && r->rp && r->rp->shares_mm && tp && tp != r->rp)
		return &tp->proc;
	return r->proc;
}

static int debug_trap(struct replayer *r, struct task *t,
		      const struct task_stop *ts, struct replay_stop *stop)
{
	uint64_t addr;
	enum hw_type type;

	if (task_hw_hit(r->proc, t, &addr, &type) >= 0) {
		stop->kind = type == HW_EXECUTE ? REPLAY_STOP_HW_BREAK
						: REPLAY_STOP_WATCH;
		stop->watch_addr = addr;
		stop->watch_access = type == HW_ACCESS;
		return 1;
	}
	struct user_regs_struct g;
	if (ts->siginfo.si_code == 0x80 && task_get_gregs(r->proc, t, &g) == 0 &&
	    process_has_breakpoint(breakpoint_owner(r), g.rip - 1)) {
		g.rip--;
		task_set_gregs(r->proc, t, &g);
		if (breakpoint_owner(r) != r->proc)
			return -1;      /* the debugged parent's, not ours: on */
		stop->kind = REPLAY_STOP_BREAKPOINT;
		return 1;
	}
	return 0;
}

static bool fault_signal(int signo, int code)
{
	return ((signo == SIGSEGV || signo == SIGBUS || signo == SIGILL ||
		 signo == SIGFPE || signo == SIGTRAP) && code > 0) ||
	       (signo == SIGSYS && code == SIGSYS_SECCOMP_CODE);
}

static int signal_stop(struct replayer *r, struct task *t,
		       const struct task_stop *ts, bool step,
		       struct replay_stop *stop)
{
	int signo = ts->signo;

	if (signo == SIGTRAP) {
		int hit = debug_trap(r, t, ts, stop);
		if (hit)
			return hit > 0 ? 1 : 0;
		if (step && ts->siginfo.si_code != 0x80)
			return 0;       /* the step itself */
	}
	if (signo == SIGSEGV && r->nguards &&
	    replay_guard_fault(r, replay_thread_by_real(r, t->tid), t, ts, stop))
		return 1;
	if (signo == SIGSEGV) {
		int rc = replay_rdtsc(r, t, stop);
		if (rc >= 0)
			return rc;
	}
	if (signo == SIGILL && r->iv) {
		int rc = virt_trap(r, t, stop);
		if (rc <= 0)
			return rc == 0 ? 0 : 1;
	}
	if (r->have_ev && r->ev.type == EV_SIGNAL && r->ev.tid ==
	    replay_thread_by_real(r, t->tid)->rec_tid &&
	    r->ev.u.signal.signo == signo) {
		if (!in_target(r, r->ev.tid)) {
			r->announced = true;    /* delivered by settle */
			return 0;
		}
		return announce_signal(r, stop);
	}
	/* Its fault, which its emulated tracer took (EV_TRACE_STOP). */
	if (r->have_ev && r->ev.type == EV_TRACE_STOP &&
	    r->ev.u.trace_stop.kind == TRACE_STOP_FAULT &&
	    r->ev.u.trace_stop.signo == signo &&
	    r->ev.tid == replay_thread_by_real(r, t->tid)->rec_tid) {
		r->announced = true;
		return 0;
	}
	if (fault_signal(signo, ts->siginfo.si_code)) {
		struct user_regs_struct g;
		task_get_gregs(r->proc, t, &g);
		return replay_diverged(r, stop, "expected %s, got signal %d at "
				       "0x%llx", r->have_ev ?
				       trace_event_name(r->ev.type) : "the end",
				       signo, g.rip);
	}
	return 0;       /* from outside (a terminal's SIGWINCH): dropped */
}

/* ---- running ------------------------------------------------------------------------------------------- */

/* The recorder lets a thread run its user code right after its event is
 * written, up to its next syscall.  So after an event of thread T, T runs
 * now ("fresh") until its next syscall entry; if that syscall is not the
 * next event, T waits there ("parked") until it is.  A new thread runs
 * its first stretch before its creator's next one, as the recorder's
 * round robin does. */

void replay_runq_push(struct replayer *r, pid_t rec, bool front)
{
	replay_runq_remove(r, rec);
	if (r->nrunq == REPLAY_MAX_THREADS)
		return;
	if (front) {
		memmove(&r->runq[1], &r->runq[0], r->nrunq * sizeof(r->runq[0]));
		r->runq[0] = rec;
	} else {
		r->runq[r->nrunq] = rec;
	}
	r->nrunq++;
}

void replay_runq_remove(struct replayer *r, pid_t rec)
{
	for (size_t i = 0; i < r->nrunq; i++)
		if (r->runq[i] == rec) {
			memmove(&r->runq[i], &r->runq[i + 1],
				(r->nrunq - i - 1) * sizeof(r->runq[0]));
			r->nrunq--;
			return;
		}
}

/* 1: a stop; 0: interrupt_fd readable; -1: error. */
static int wait_stop(struct replayer *r, struct task_stop *ts, int ifd)
{
	if (ifd < 0)
		return process_wait(r->proc, ts, 0) == 1 ? 1 : -1;
	/* Naps from 10 us, doubling to 1 ms: a stop that comes soon is seen
	 * soon (a point search resumes the thread many times), one that
	 * takes long costs few wake-ups. */
	for (long nap_ns = 10000;; nap_ns = nap_ns < 1000000 ? nap_ns * 2 : nap_ns) {
		int n = process_wait(r->proc, ts, WNOHANG);
		if (n != 0)
			return n == 1 ? 1 : -1;
		struct pollfd pfd = { .fd = ifd, .events = POLLIN };
		struct timespec nap = { 0, nap_ns };
		if (ppoll(&pfd, 1, &nap, NULL) > 0)
			return 0;
	}
}

static int fill_stop(struct replayer *r, struct replay_stop *stop,
		     enum replay_stop_kind kind, pid_t tid)
{
	stop->kind = kind;
	stop->tid = tid;
	stop->event = r->ev_index;
	return 1;
}

/* Seccomp filters never see uprobe (336): the kernel lets it through
 * them (Linux 6.17), so a recording with the syscall buffer's filter
 * has no event for it.  Outside a uprobe trampoline, the only place a
 * program can call it, the kernel answers ENXIO: so does replay. */
#define NR_UPROBE 336
static bool unseen_uprobe_call(struct replayer *r, struct replay_thread *th,
			       struct user_regs_struct *g)
{
	if ((long)g->orig_rax != NR_UPROBE ||
	    (r->have_ev && r->ev.type == EV_SYSCALL &&
	     r->ev.tid == th->rec_tid && r->ev.u.syscall.number == NR_UPROBE))
		return false;
	g->rax = (uint64_t)-ENXIO;
	return true;
}

/* Is th's syscall nr one to stop at, now? */
static bool catches(struct replayer *r, struct replay_thread *th, long nr)
{
	if (r->catch_arm == REPLAY_CATCH_OFF || !in_target(r, th->rec_tid) ||
	    nr < 0 || nr >= REPLAY_MAX_CATCH_NR)
		return false;
	if (r->catch_arm == REPLAY_CATCH_ANY_ENTRY)
		return true;
	return r->catch_on && (r->catch_all || r->catch_which[nr]);
}

/* After th's syscall nr was replayed: does the thread stand where the
 * call returns (not gone with exit or exit_group, not inside a fork
 * whose result comes with a later event)? */
static bool returns_here(struct replayer *r, struct replay_thread *th, long nr)
{
	return r->catch_arm == REPLAY_CATCH_USER && nr != SYS_exit &&
	       nr != SYS_exit_group && !th->exited && !th->fork_done &&
	       !(th->rp && (th->rp->at_exit_group || th->rp->exited)) &&
	       thread_task(r, th);
}

/* A syscall entry of th: its event now, or it waits. */
static int thread_syscall_entry(struct replayer *r, struct replay_thread *th,
			 struct task *t, struct replay_stop *stop)
{
	bool its_turn = r->have_ev && (r->ev.tid == th->rec_tid ||
				       (r->ev.type == EV_EXIT && th->rp &&
					r->ev.tid == th->rp->rec_pid));
	struct user_regs_struct g;

	if (task_get_gregs(r->proc, t, &g) < 0)
		return replay_error(r, stop, "%s", r->proc->err);
	if ((long)g.orig_rax == XRR_SYS_SB_WAIT)
		return replay_syscallbuf_wait(r, th, t, stop);
	if (unseen_uprobe_call(r, th, &g))
		return task_set_gregs(r->proc, t, &g) < 0
		       ? replay_error(r, stop, "%s", r->proc->err) : 0;
	if (!its_turn) {
		th->parked = true;
		replay_runq_remove(r, th->rec_tid);
		return 0;
	}
	th->parked = false;
	replay_use_thread(r, th);
	long nr = (long)g.orig_rax;
	/* A fork's second pass (its EV_SYSCALL) was caught at the first. */
	bool again = th->entry_caught || th->fork_done;
	if (!again && catches(r, th, nr)) {
		th->entry_caught = true;
		stop->syscall_nr = (int)nr;
		return fill_stop(r, stop, REPLAY_STOP_SYSCALL_ENTRY, th->rec_tid);
	}
	bool caught = th->entry_caught || catches(r, th, nr);
	th->entry_caught = false;
	int rc = replay_syscall(r, t, stop);
	if (rc)
		return rc;
	if (th->rp && th->rp->at_exit_group)
		/* Its process runs no more. */
		for (size_t i = 0; i < r->nthreads; i++)
			if (r->threads[i].rp == th->rp)
				replay_runq_remove(r, r->threads[i].rec_tid);
	if (th->fork_done) {
		/* Inside its fork until the fork's EV_SYSCALL. */
		th->parked = true;
		replay_runq_remove(r, th->rec_tid);
	}
	if (caught && returns_here(r, th, nr)) {
		stop->syscall_nr = (int)nr;
		return fill_stop(r, stop, REPLAY_STOP_SYSCALL_RETURN, th->rec_tid);
	}
	return 0;
}

/* The next event's thread stands at its caught syscall entry. */
static struct replay_thread *caught_at_entry(struct replayer *r)
{
	struct replay_thread *th = r->have_ev
				   ? replay_thread_by_rec(r, r->ev.tid) : NULL;
	return th && th->entry_caught && thread_task(r, th) ? th : NULL;
}

void replayer_catch_syscalls(struct replayer *r, bool on, const bool *which)
{
	r->catch_on = on;
	r->catch_all = on && !which;
	for (size_t i = 0; i < REPLAY_MAX_CATCH_NR; i++)
		r->catch_which[i] = on && which && which[i];
}

void replayer_arm_syscall_catch(struct replayer *r, enum replay_catch_arm arm)
{
	r->catch_arm = arm;
}

static struct breakpoint *lift_breakpoint_at_pc(struct replayer *r,
						struct task *t)
{
	struct user_regs_struct g;
	struct process *owner = breakpoint_owner(r);

	if (!owner->nbps || task_get_gregs(r->proc, t, &g) < 0)
		return NULL;
	for (size_t i = 0; i < owner->nbps; i++) {
		struct breakpoint *b = &owner->bps[i];
		if (b->addr == g.rip) {
			task_mem_write_raw(r->proc, b->addr, &b->saved, 1);
			return b;
		}
	}
	return NULL;
}

static void put_back_breakpoint(struct replayer *r, struct breakpoint *b)
{
	static const uint8_t int3 = 0xcc;

	if (b)
		task_mem_write_raw(r->proc, b->addr, &int3, 1);
}

/* th's next event is its EV_POINT: is it there now?  0: no; 1: yes, the
 * event is done; 2: an error, stop filled. */
static int point_here(struct replayer *r, struct replay_thread *th,
		      struct task *t, struct replay_stop *stop)
{
	char err[256] = "";
	bool match;

	if (!replay_point_next(r, th))
		return 0;
	if (replay_point_matches(r, t, &match) < 0) {
		replay_error(r, stop, "event %" PRIu64 ": comparing thread %d "
			     "with its point: %s", r->ev_index,
			     (int)th->rec_tid, r->proc->err);
		return 2;
	}
	if (!match)
		return 0;
	if (replay_point_reached(r, th, err, sizeof(err)) < 0) {
		replay_error(r, stop, "%s", err);
		return 2;
	}
	return 1;
}

/* Running th towards its point: armed unless it sits on the point's rip
 * after a mismatch or in a syscall stop (then one step first, like a
 * breakpoint step-over). */
static bool seek_point(struct replayer *r, struct replay_thread *th,
		       struct task *t, bool step)
{
	struct user_regs_struct g;

	if (step || !replay_point_next(r, th))
		return false;
	/* At the entry of a syscall replay emulated: one step first, out of
	 * the syscall (a remote mmap for the matcher from there would make
	 * the kernel run that syscall after all). */
	if (t->last_stop.kind == TASK_STOP_SYSCALL)
		return false;
	if (task_get_gregs(r->proc, t, &g) < 0)
		return false;
	return g.rip != r->ev.u.point.regs.rip;
}

/* A trap of the point search: 1 the point (event done), 2 a stop filled
 * (a debugger's breakpoint at the same address, an error), 0 another
 * arrival: run on. */
static int point_trap(struct replayer *r, struct replay_thread *th,
		      struct task *t, struct replay_stop *stop)
{
	int here = point_here(r, th, t, stop);
	if (here)
		return here;
	struct user_regs_struct g;
	if (task_get_gregs(r->proc, t, &g) == 0 &&
	    process_has_breakpoint(breakpoint_owner(r), g.rip) &&
	    breakpoint_owner(r) == r->proc) {
		stop->kind = REPLAY_STOP_BREAKPOINT;
		stop->tid = th->rec_tid;
		stop->event = r->ev_index;
		return 2;
	}
	return 0;
}

/* The step over a breakpoint ended on another one: a hit, as when the
 * int3 there would run next (gdbserver reports it so too). */
static bool landed_on_breakpoint(struct replayer *r, struct task *t,
				 const struct task_stop *ts)
{
	struct user_regs_struct g;
	return ts->signo == SIGTRAP && ts->siginfo.si_code != 0x80 &&
	       breakpoint_owner(r) == r->proc &&
	       task_get_gregs(r->proc, t, &g) == 0 &&
	       process_has_breakpoint(r->proc, g.rip);
}

/* Resume th (one step or until something happens) and handle the stop.
 * 1: stop filled. */
static int run_thread(struct replayer *r, struct replay_thread *th, bool step,
		      struct replay_stop *stop, int ifd)
{
	struct task *t = thread_task(r, th);
	struct task_stop ts;

	if (!t)
		return replay_error(r, stop, "thread %d is not running",
				    (int)th->rec_tid);
	replay_use_thread(r, th);
	if (r->nguards && r->guards_dirty && replay_guard_apply(r, t) < 0)
		return replay_error(r, stop, "watching memory by page "
				    "protection: %s", r->proc->err);
	if (th->guard_pc && !r->proc->npending) {
		/* Stopped by a guard before an access: that instruction
		 * first, with the pages open (it is the step asked for). */
		int done = replay_guard_step_over(r, th, t);
		if (done < 0)
			return replay_error(r, stop, "running the instruction a "
					    "guard stopped: %s", r->proc->err);
		if (done && step && !r->proc->npending)
			return 0;
	}
	struct breakpoint *over = NULL;
	bool seeking = false;
	if (r->proc->npending) {
		process_wait(r->proc, &ts, 0);
	} else {
		int here = point_here(r, th, t, stop);
		if (here)
			return here == 2;
		/* Leaving a caller's breakpoint: one instruction without it,
		 * then it is back (gdbserver's step-over). */
		over = lift_breakpoint_at_pc(r, t);
		seeking = !over && seek_point(r, th, t, step);
		int armed = seeking ? replay_point_arm(r, t) : 0;
		if (armed < 0)
			return replay_error(r, stop, "event %" PRIu64 ": setting"
					    " up the search for thread %d's "
					    "point: %s", r->ev_index,
					    (int)th->rec_tid, r->proc->err);
		if (armed == 2)
			seeking = false;        /* one step, then again */
		bool one = step || over ||
			   (!seeking && replay_point_next(r, th));
		int w, ours;
		do {
			if (task_resume(r->proc, t, one ?
					TASK_RESUME_SYSEMU_SINGLESTEP :
					TASK_RESUME_SYSEMU, 0) < 0) {
				replay_point_disarm(r, t);
				return replay_error(r, stop, "%s", r->proc->err);
			}
			w = wait_stop(r, &ts, over ? -1 : ifd);
			ours = seeking && w > 0 && ts.tid == t->tid ?
			       replay_point_trap(r, t, &ts) : 0;
		} while (ours == 2);
		if (w > 0 && ts.tid == t->tid && !ours &&
		    replay_point_jumped_in(r, t, &ts)) {
			replay_point_disarm(r, t);
			return replay_diverged(r, stop, "thread %d branched into "
					       "the instructions replay had "
					       "replaced at %#llx to find its "
					       "point; replay with "
					       "XRR_POINT_SLOW=1 to search by "
					       "int3 instead", (int)th->rec_tid,
					       r->ev.u.point.regs.rip);
		}
		put_back_breakpoint(r, over);
		if (w == 0)
			process_stop_all(r->proc);
		if (replay_point_disarm(r, t) < 0)
			return replay_error(r, stop, "event %" PRIu64 ": ending "
					    "the search for thread %d's point: "
					    "%s", r->ev_index, (int)th->rec_tid,
					    r->proc->err);
		if (w < 0)
			return replay_error(r, stop, "%s", r->proc->err);
		if (w == 0)
			return fill_stop(r, stop, REPLAY_STOP_INTERRUPTED,
					 th->rec_tid);
		if (ours)
			return point_trap(r, th, t, stop) == 2;
		if (!step && !over && !seeking && ts.tid == t->tid &&
		    ts.kind == TASK_STOP_SIGNAL && ts.signo == SIGTRAP &&
		    ts.siginfo.si_code != SI_KERNEL && replay_point_next(r, th))
			return 0;       /* stepped off the point's rip */
	}
	struct replay_thread *sth = replay_thread_by_real(r, ts.tid);
	struct task *st = sth ? thread_task(r, sth) : NULL;
	if (!sth || !st)
		return 0;
	replay_use_thread(r, sth);
	stop->tid = sth->rec_tid;
	switch (ts.kind) {
	case TASK_STOP_SYSCALL:
		return ts.in_syscall_entry ? thread_syscall_entry(r, sth, st, stop) : 0;
	case TASK_STOP_SIGNAL:
		if (over && !step && landed_on_breakpoint(r, st, &ts)) {
			stop->kind = REPLAY_STOP_BREAKPOINT;
			stop->event = r->ev_index;
			return 1;
		}
		return signal_stop(r, st, &ts, step || over, stop);
	case TASK_STOP_EXITED: case TASK_STOP_KILLED:
		sth->exited = true;
		replay_runq_remove(r, sth->rec_tid);
		return replay_error(r, stop, "thread %d ended unexpectedly "
				    "(status 0x%x)", (int)sth->rec_tid,
				    ts.raw_status);
	default:
		return 0;
	}
}

/* The next event's thread waits at its syscall: replay it there. */
static int run_parked(struct replayer *r, struct replay_stop *stop)
{
	struct replay_thread *th = replay_thread_by_rec(r, r->ev.tid);
	struct task *t = thread_task(r, th);

	if (!t)
		return replay_diverged(r, stop, "expected %s of thread %d, "
				       "which does not exist",
				       trace_event_name(r->ev.type),
				       (int)r->ev.tid);
	if (th->sb_waiting)
		return replay_diverged(r, stop, "thread %d waits for buffered "
				       "calls the trace does not have before "
				       "its %s", (int)th->rec_tid,
				       trace_event_name(r->ev.type));
	if (!th->parked) {
		/* Not run since it was made or since its signal: run it. */
		replay_runq_push(r, th->rec_tid, false);
		return 0;
	}
	replay_runq_push(r, th->rec_tid, true);
	return thread_syscall_entry(r, th, t, stop);
}

static int settle(struct replayer *r, uint64_t target, struct replay_stop *stop);
static int run_next(struct replayer *r, struct replay_stop *stop, int ifd);
static pid_t next_to_run(const struct replayer *r);

static int step_thread(struct replayer *r, pid_t tid, struct replay_stop *stop,
		       int ifd)
{
	struct replay_thread *th = replay_thread_by_rec(r, tid);

	if (!th || !thread_task(r, th))
		return replay_error(r, stop, "no thread %d to step", (int)tid);
	/* Preempted: the others run until it gets its turn back. */
	while (th->at_point) {
		if (settle(r, UINT64_MAX, stop))
			return 1;
		int rc = run_next(r, stop, ifd);
		if (rc)
			return rc;
	}
	if (th->parked || th->entry_caught) {
		/* Stepping over its syscall: only when it is its turn. */
		if (r->have_ev && r->ev.tid == tid) {
			replay_runq_push(r, tid, true);
			int rc = thread_syscall_entry(r, th, thread_task(r, th), stop);
			if (rc)
				return rc;
		}
		return fill_stop(r, stop, REPLAY_STOP_STEP, tid);
	}
	int rc = run_thread(r, th, true, stop, ifd);
	if (rc)
		return rc;
	/* A step that arrives at its point: the event happens here. */
	if (point_here(r, th, thread_task(r, th), stop) == 2)
		return 1;
	return fill_stop(r, stop, REPLAY_STOP_STEP, tid);
}

/* Run the thread whose turn it is, to its next stop.  1: stop filled. */
static int run_next(struct replayer *r, struct replay_stop *stop, int ifd)
{
	struct replay_thread *caught = caught_at_entry(r);
	if (caught) {
		/* Its syscall, then on (it never runs past it unreplayed). */
		replay_runq_push(r, caught->rec_tid, true);
		return thread_syscall_entry(r, caught, thread_task(r, caught),
					    stop);
	}
	if (!r->nrunq)
		return run_parked(r, stop);
	struct replay_thread *th = replay_thread_by_rec(r, r->runq[0]);
	if (!th || th->exited) {
		replay_runq_remove(r, r->runq[0]);
		return 0;
	}
	return run_thread(r, th, false, stop, ifd);
}

static int run(struct replayer *r, bool step, pid_t step_tid, uint64_t target,
	       struct replay_stop *stop, int ifd)
{
	for (;;) {
		if (settle(r, target, stop))
			return 0;
		if (step) {
			/* 0: whoever a continue would run, known only now
			 * that the events before it are settled. */
			step_thread(r, step_tid ? step_tid : next_to_run(r),
				    stop, ifd);
			return 0;
		}
		if (run_next(r, stop, ifd))
			return 0;
	}
}

/* While replaying, our thread runs on the tracee's CPU: every stop is a
 * wake-up of the other side, and on the same CPU it costs no
 * cross-CPU interrupt (measured: a third less time per syscall here). */
static int run_bound(struct replayer *r, bool step, pid_t tid,
		     uint64_t target, struct replay_stop *stop, int ifd)
{
	cpu_set_t saved;
	bool bound = tracer_bind(r->cpu, &saved);
	int rc = run(r, step, tid, target, stop, ifd);

	tracer_unbind(bound, &saved);
	return rc;
}

int replayer_resume(struct replayer *r, bool step, pid_t tid,
		    struct replay_stop *stop, int interrupt_fd)
{
	memset(stop, 0, sizeof(*stop));
	if (r->diverged) {
		stop->kind = REPLAY_STOP_DIVERGED;
		stop->event = r->ev_index;
		snprintf(stop->message, sizeof(stop->message), "%s",
			 r->divergence);
		return 0;
	}
	if (step && !replay_thread_by_rec(r, tid))
		tid = r->nrunq ? r->runq[0] : current_rec_tid(r);
	return run_bound(r, step, tid, UINT64_MAX, stop, interrupt_fd);
}

int replayer_goto(struct replayer *r, uint64_t event, struct replay_stop *stop)
{
	memset(stop, 0, sizeof(*stop));
	if (r->ev_index > event)
		return -1;      /* backwards: restart first */
	for (;;) {
		int rc = run_bound(r, false, 0, event, stop, -1);
		if (rc < 0 || stop->kind != REPLAY_STOP_SIGNAL)
			return rc;
	}
}

/* ---- accessors ------------------------------------------------------------------------------------------- */

uint64_t replayer_current_event(const struct replayer *r)
{
	return r->ev_index;
}

bool replayer_at_end(const struct replayer *r)
{
	return r->ended;
}

struct process *replayer_process(struct replayer *r)
{
	struct replay_proc *tp = replay_target_proc(r);

	return tp ? &tp->proc : r->proc;
}

size_t replayer_threads(struct replayer *r, pid_t *recorded_tids, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < r->nthreads; i++)
		if (thread_task(r, &r->threads[i]) &&
		    r->threads[i].rp->rec_pid == r->target_pid) {
			if (n < max)
				recorded_tids[n] = r->threads[i].rec_tid;
			n++;
		}
	return n;
}

/* Threads of the target process only: the caller uses them with
 * replayer_process(). */
struct task *replayer_task(struct replayer *r, pid_t recorded_tid)
{
	struct replay_thread *th = replay_thread_by_rec(r, recorded_tid);

	if (!th || !th->rp || th->rp->rec_pid != r->target_pid)
		return NULL;
	return thread_task(r, th);
}

pid_t replayer_recorded_pid(const struct replayer *r)
{
	return r->target_pid;
}

uint64_t replayer_thread_xcr0(struct replayer *r, pid_t recorded_tid)
{
	struct replay_thread *th = replay_thread_by_rec(r, recorded_tid);

	return th ? th->xcr0 : trace_header(r->trace)->initial_xcr0;
}

const struct trace *replayer_trace(const struct replayer *r)
{
	return r->trace;
}

int replayer_auxv(struct replayer *r, const void **data, size_t *len)
{
	struct replay_proc *tp = replay_target_proc(r);

	if (!tp || !tp->auxv)
		return -1;
	*data = tp->auxv;
	*len = tp->auxv_len;
	return 0;
}

int replayer_stop_siginfo(const struct replayer *r, pid_t tid, void *buf,
			  size_t len)
{
	const struct ev_signal *s = &r->ev.u.signal;

	if (!r->announced || !r->have_ev || r->ev.type != EV_SIGNAL ||
	    r->ev.tid != tid)
		return -1;
	memset(buf, 0, len);
	memcpy(buf, s->siginfo, len < sizeof(s->siginfo) ? len : sizeof(s->siginfo));
	return 0;
}

const char *replayer_exec_path(const struct replayer *r)
{
	struct replay_proc *tp = replay_target_proc(r);

	return tp && tp->exec_path ? tp->exec_path : "";
}

/* The file the recorded mapping of `path` came from, by the filemap. */
struct sym_table *replayer_symbols(struct replayer *r)
{
	if (!r->syms)
		r->syms = sym_table_open(r->trace);
	return r->syms;
}

bool replayer_thread_location(struct replayer *r, pid_t tid, char *buf,
			      size_t len)
{
	struct task *t = replayer_task(r, tid);
	struct sym_table *st = replayer_symbols(r);
	struct sym_location loc;
	char err[256];

	if (!t || !st || sym_task_location(st, replayer_process(r), t, &loc,
					   err, sizeof(err)) < 0)
		return false;
	sym_format(&loc, buf, len);
	return true;
}

int replayer_open_recorded_file(struct replayer *r, const char *path)
{
	char err[256];
	struct trace_file_entry *v;
	size_t n;
	char id[TRACE_FILE_ID_LEN + 1] = "";

	if (trace_filemap_load(r->trace, &v, &n, err, sizeof(err)) < 0)
		return -EIO;
	for (size_t i = 0; i < n; i++)      /* the last record for path */
		if (strcmp(v[i].path, path) == 0)
			snprintf(id, sizeof(id), "%s", v[i].id.hex);
	trace_file_entries_free(v, n);
	if (!id[0])
		return -ENOENT;
	int fd = trace_open_file(r->trace, id, err, sizeof(err));
	return fd < 0 ? -EIO : fd;
}

/* ---- for the timeline (replay/timeline.c) ---------------------------------------------------------- */

/* The thread a plain continue would run next: the first live one of the
 * run queue, else the one whose event is next (parked at its syscall). */
static pid_t next_to_run(const struct replayer *r)
{
	for (size_t i = 0; i < r->nrunq; i++) {
		struct replay_thread *th =
			replay_thread_by_rec((struct replayer *)r, r->runq[i]);
		if (th && !th->exited && thread_task((struct replayer *)r, th))
			return th->rec_tid;
	}
	if (r->have_ev) {
		struct replay_thread *th =
			replay_thread_by_rec((struct replayer *)r, r->ev.tid);
		if (th && !th->exited && thread_task((struct replayer *)r, th))
			return th->rec_tid;
	}
	return current_rec_tid(r);
}

int replayer_run_to(struct replayer *r, uint64_t event, bool step, pid_t tid,
		    struct replay_stop *stop, int interrupt_fd)
{
	memset(stop, 0, sizeof(*stop));
	if (r->diverged)
		return replayer_resume(r, step, tid, stop, interrupt_fd);
	if (step) {
		struct replay_thread *th = replay_thread_by_rec(r, tid);
		if (!th || th->exited || !thread_task(r, th))
			tid = 0;
	}
	return run_bound(r, step, tid, event, stop, interrupt_fd);
}

void replayer_set_echo(struct replayer *r, bool on)
{
	r->opts.echo_output = on;
}

pid_t replayer_running_thread(const struct replayer *r)
{
	return next_to_run(r);
}

uint64_t replayer_start_event(const struct replayer *r)
{
	return r->start_event;
}
