/* Replay checkpoints by fork (docs/reverse.md, "Checkpoints").
 *
 * A checkpoint is a frozen copy of the replayed process, forked from its
 * stopped thread through injected syscalls (diversion_fork) and never run
 * again, plus a copy of the replayer's bookkeeping: the trace cursor, the
 * threads with their fd models, the run queue and the flags that tell the
 * replay loop what to do next.  Restoring forks a new live process from
 * the frozen one (which so stays as it was and can be restored again),
 * puts its thread into the stop the original thread was in, kills the old
 * live process and installs a fresh copy of the bookkeeping.
 *
 * Only what can be made exact is accepted: one process with one live
 * thread, no shared writable memory, nothing of replay's own in the code
 * (a point search, instruction virtualisation).  The rest is refused with
 * the reason, and the caller checkpoints elsewhere. */
#include "config.h"

#include "replay/diversion.h"
#include "replay/fdtable.h"
#include "replay/insn_virt.h"
#include "replay/replay_int.h"
#include "replay/task_int.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/wait.h>

struct replay_checkpoint {
	/* The replayer as it stood.  Its pointers are the checkpoint's
	 * own: cloned readers, copied fd tables, procs[0] == rp; ev and mm
	 * are empty (decoded again from the readers on restore). */
	struct replayer *snap;
	/* The frozen copy (rp->proc) with the process's replay fields. */
	struct replay_proc *rp;
	size_t thread;                  /* the live one, in snap->threads */
	/* Its registers and stop, which the frozen copy does not keep:
	 * diversion_fork puts a copy of a thread in a syscall-entry stop
	 * back on its syscall instruction. */
	struct user_regs_struct regs;
	bool at_entry;
	/* rip follows a syscall instruction (else a signal handler was
	 * entered at the entry stop). */
	bool after_syscall;
	struct task_stop last_stop;
};

/* Where in the scratch page (replay_space.c) a syscall instruction of
 * replay's own sits: the one replay_space_start_final_syscall uses. */
#define SCRATCH_SYSCALL_OFFSET 64

/* ---- messages ------------------------------------------------------------- */

__attribute__((format(printf, 4, 5)))
static bool refuse(const struct replayer *r, char *err, size_t errlen,
		    const char *fmt, ...)
{
	char what[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	snprintf(err, errlen, "no checkpoint at event %" PRIu64 ": %s",
		 r->ev_index, what);
	return false;
}

/* ---- what can be frozen ------------------------------------------------------ */

/* "a, b, c" of the recorded pids of the replay's processes. */
static void list_procs(const struct replayer *r, char *out, size_t len)
{
	size_t used = 0;

	out[0] = '\0';
	for (size_t i = 0; i < r->nprocs && used + 16 < len; i++)
		used += (size_t)snprintf(out + used, len - used, "%s%d",
					 i ? ", " : "",
					 (int)r->procs[i]->rec_pid);
}

/* Live threads of the replay, their recorded tids listed in out. */
static size_t live_threads(const struct replayer *r, char *out, size_t len,
			   size_t *last)
{
	size_t n = 0, used = 0;

	out[0] = '\0';
	for (size_t i = 0; i < r->nthreads; i++) {
		if (r->threads[i].exited)
			continue;
		if (used + 16 < len)
			used += (size_t)snprintf(out + used, len - used, "%s%d",
						 n ? ", " : "",
						 (int)r->threads[i].rec_tid);
		*last = i;
		n++;
	}
	return n;
}

/* The replayer's own state: refused when it is not a plain stop between
 * events of one process. */
static bool replay_state_ok(const struct replayer *r, char *err,
			    size_t errlen)
{
	char pids[200];

	if (r->diverged)
		return refuse(r, err, errlen, "the replay diverged (%s)",
			      r->divergence);
	if (r->ended)
		return refuse(r, err, errlen, "the replay is at its end: "
			      "there is nothing left to replay from here");
	if (r->announced)
		return refuse(r, err, errlen, "signal %d of thread %d is "
			      "announced and not delivered yet", r->ev.u.signal.signo,
			      (int)r->ev.tid);
	if (r->psearch.armed)
		return refuse(r, err, errlen, "the search for a preemption "
			      "point is armed: its trap is in the code");
	if (r->iv)
		return refuse(r, err, errlen, "instruction virtualisation "
			      "(an `xrr record --xcr0` trace) patches the code "
			      "and keeps tables that are not copied yet");
	if (r->nshms)
		return refuse(r, err, errlen, "%zu SysV shared memory "
			      "segment(s) were attached: their memory would be "
			      "shared by the checkpoint and the live replay",
			      r->nshms);
	list_procs(r, pids, sizeof(pids));
	if (r->nprocs != 1)
		return refuse(r, err, errlen, "%zu replayed processes exist "
			      "(recorded pids %s): a checkpoint forks a single "
			      "process", r->nprocs, pids);
	if (r->procs[0]->exited)
		return refuse(r, err, errlen, "process %d has exited", (int)
			      r->procs[0]->rec_pid);
	return true;
}

/* The one live thread and its task, stopped; NULL with err. */
static struct task *only_thread(struct replayer *r, size_t *index,
				char *err, size_t errlen)
{
	char tids[200];
	size_t n = live_threads(r, tids, sizeof(tids), index);
	struct replay_thread *th = &r->threads[*index];

	if (n == 0) {
		refuse(r, err, errlen, "no thread of process %d is alive",
		       (int)r->procs[0]->rec_pid);
		return NULL;
	}
	if (n > 1) {
		refuse(r, err, errlen, "%zu threads are alive (recorded tids "
		       "%s): a checkpoint forks one thread and cannot "
		       "re-create the others exactly yet", n, tids);
		return NULL;
	}
	struct task *t = th->rp == r->procs[0] ?
			 process_find_task(&th->rp->proc, th->real_tid) : NULL;
	if (!t || t->exited || !t->stopped) {
		refuse(r, err, errlen, "thread %d (real %d) is not stopped",
		       (int)th->rec_tid, (int)th->real_tid);
		return NULL;
	}
	if (th->rp->proc.npending) {
		refuse(r, err, errlen, "stops of process %d are queued for "
		       "the replay loop", (int)th->rp->rec_pid);
		return NULL;
	}
	return t;
}

static bool kernel_says_entry(pid_t tid)
{
	struct __ptrace_syscall_info info;

	return ptrace(PTRACE_GET_SYSCALL_INFO, tid, sizeof(info), &info) > 0 &&
	       info.op == PTRACE_SYSCALL_INFO_ENTRY;
}

/* The thread's stop must be one a copy can be put back into: a plain or
 * signal stop, a syscall exit, or a syscall entry (which the copy enters
 * again through a syscall instruction). */
static bool stop_ok(const struct replayer *r, struct replay_checkpoint *c,
		    pid_t rec_tid, struct task *t, char *err, size_t errlen)
{
	struct process *p = &r->procs[0]->proc;
	enum task_stop_kind k = t->last_stop.kind;
	uint8_t insn[2];

	if (k != TASK_STOP_SYSCALL && k != TASK_STOP_SIGNAL &&
	    k != TASK_STOP_INTERRUPT && k != TASK_STOP_GROUP)
		return refuse(r, err, errlen, "thread %d is in a ptrace event "
			      "stop (kind %d) inside a syscall", (int)rec_tid,
			      (int)k);
	if (task_get_gregs(p, t, &c->regs) < 0)
		return refuse(r, err, errlen, "thread %d: %s", (int)rec_tid,
			      p->err);
	c->at_entry = k == TASK_STOP_SYSCALL && kernel_says_entry(t->tid);
	c->after_syscall = process_read_memory_clean(p, c->regs.rip - 2, insn,
						     2) == 2 &&
			   task_syscall_insn(insn);
	c->last_stop = t->last_stop;
	if (c->at_entry && !c->after_syscall && !r->scratch)
		return refuse(r, err, errlen, "thread %d is in a signal "
			      "handler entered at a syscall-entry stop, and "
			      "replay has no scratch page to re-enter one",
			      (int)rec_tid);
	return true;
}

/* ---- memory a fork would not copy privately ---------------------------------- */

struct mapping_line {
	unsigned long start, end;
	char perms[5];
	char name[160];
};

static bool vmflag(const char *flags, const char *f)
{
	size_t n = strlen(f);

	for (const char *p = strstr(flags, f); p; p = strstr(p + 1, f))
		if ((p == flags || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\n' ||
						     !p[n]))
			return true;
	return false;
}

/* Why mapping m (with smaps' VmFlags) keeps a fork from freezing the
 * memory, or NULL. */
static const char *unfreezable(const struct mapping_line *m,
			       const char *flags)
{
	bool shared = m->perms[3] == 's' || vmflag(flags, "sh");

	if (shared && (m->perms[1] == 'w' || vmflag(flags, "mw")))
		return "is shared and writable: writes would reach the "
		       "checkpoint's copy too";
	if (vmflag(flags, "dc"))
		return "is MADV_DONTFORK: a fork leaves it out";
	if (vmflag(flags, "wf"))
		return "is MADV_WIPEONFORK: a fork gets it zeroed";
	return NULL;
}

/* A mapping's first line in smaps ("start-end perms offset dev inode
 * name"); other lines ("AnonHugePages: ...") leave m as it was. */
static void parse_header(const char *line, struct mapping_line *m)
{
	struct mapping_line h = { 0 };
	int name_at = 0;

	if (sscanf(line, "%lx-%lx %4s %*s %*s %*s %n", &h.start, &h.end,
		   h.perms, &name_at) < 3 || name_at == 0)
		return;
	snprintf(h.name, sizeof(h.name), "%s", line + name_at);
	h.name[strcspn(h.name, "\n")] = '\0';
	*m = h;
}

static bool memory_ok(const struct replayer *r, pid_t pid, char *err,
		      size_t errlen)
{
	char path[64], line[512];
	struct mapping_line m = { 0 };
	const char *why = NULL;

	snprintf(path, sizeof(path), "/proc/%d/smaps", (int)pid);
	FILE *f = fopen(path, "re");
	if (!f)
		return refuse(r, err, errlen, "reading %s: %s", path,
			      strerror(errno));
	while (!why && fgets(line, sizeof(line), f)) {
		if (strncmp(line, "VmFlags:", 8) == 0)
			why = unfreezable(&m, line + 8);
		else
			parse_header(line, &m);
	}
	fclose(f);
	if (why)
		return refuse(r, err, errlen, "the mapping %#lx-%#lx %s (%s) %s",
			      m.start, m.end, m.perms, m.name[0] ? m.name :
			      "anonymous", why);
	return true;
}

/* ---- the frozen copy --------------------------------------------------------- */

/* SIGKILL a copy and reap it by its pid: a copy is our child
 * (CLONE_PARENT), and a stop or its end may already have been collected
 * by a process_wait of the live replay, which keeps it for its owner
 * (task_wait_status takes those first).  Waiting for any child, as
 * process_kill does, could then wait for good. */
static void kill_copy(struct process *copy)
{
	int status;

	kill(copy->pid, SIGKILL);
	while (task_wait_status(copy->pid, &status) == 0 &&
	       !WIFEXITED(status) && !WIFSIGNALED(status))
		;
	copy->exited = true;
	process_free(copy);
}

/* Nothing of the debugger's in the copy: fork copied the int3 bytes of
 * its breakpoints and diversion_fork the debug registers. */
static int strip_copy(struct process *copy)
{
	for (size_t i = 0; i < copy->nbps; i++)
		if (task_mem_write_raw(copy, copy->bps[i].addr,
				       &copy->bps[i].saved, 1) != 1)
			return task_fail(copy, EIO, "checkpoint copy %d: "
					 "removing the breakpoint at %#" PRIx64,
					 (int)copy->pid, copy->bps[i].addr);
	copy->nbps = 0;
	memset(copy->hw, 0, sizeof(copy->hw));
	return task_hw_apply(copy, &copy->tasks[0]);
}

static int freeze(struct replayer *r, struct task *t,
		  struct replay_checkpoint *c, char *err, size_t errlen)
{
	struct process *live = &r->procs[0]->proc;

	if (diversion_fork(live, t, &c->rp->proc) < 0) {
		snprintf(err, errlen, "forking process %d (real %d) for a "
			 "checkpoint at event %" PRIu64 ": %s",
			 (int)r->procs[0]->rec_pid, (int)live->pid, r->ev_index,
			 live->err);
		return -1;
	}
	if (strip_copy(&c->rp->proc) < 0) {
		snprintf(err, errlen, "%s", c->rp->proc.err);
		kill_copy(&c->rp->proc);
		return -1;
	}
	return 0;
}

/* ---- copies of the bookkeeping ----------------------------------------------- */

/* Each thread slot holds a reference to its fd table; slots that share a
 * table (CLONE_FILES) share the copy too. */
static int copy_fdts(struct replay_thread *dst, const struct replay_thread *src,
		     size_t n)
{
	for (size_t i = 0; i < n; i++)
		dst[i].fdt = NULL;
	for (size_t i = 0; i < n; i++) {
		if (!src[i].fdt)
			continue;
		for (size_t j = 0; j < i && !dst[i].fdt; j++)
			if (src[j].fdt == src[i].fdt)
				dst[i].fdt = fdtable_share(dst[j].fdt);
		if (!dst[i].fdt && !(dst[i].fdt = fdtable_fork(src[i].fdt)))
			return -1;
	}
	return 0;
}

static void free_fdts(struct replay_thread *th, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		fdtable_free(th[i].fdt);
		th[i].fdt = NULL;
	}
}

struct cursor_copy {
	struct trace_reader *events, *data, *mmaps;
};

static void cursor_copy_free(struct cursor_copy *k)
{
	trace_reader_close(k->events);
	trace_reader_close(k->data);
	trace_reader_close(k->mmaps);
	memset(k, 0, sizeof(*k));
}

static int cursor_copy(struct cursor_copy *k, const struct replayer *from,
		       char *err, size_t errlen)
{
	memset(k, 0, sizeof(*k));
	if ((k->events = trace_reader_clone(from->events, err, errlen)) &&
	    (k->data = trace_reader_clone(from->data, err, errlen)) &&
	    (k->mmaps = trace_reader_clone(from->mmaps, err, errlen)))
		return 0;
	cursor_copy_free(k);
	return -1;
}

/* The process's replay fields, its auxv and exec path copied; its
 * struct process left as it is in dst. */
static int copy_proc_fields(struct replay_proc *dst,
			    const struct replay_proc *src)
{
	dst->rec_pid = src->rec_pid;
	dst->ns_pid = src->ns_pid;
	dst->exited = src->exited;
	dst->exit_status = src->exit_status;
	dst->brk_end = src->brk_end;
	dst->brk_known = src->brk_known;
	dst->at_exit_group = src->at_exit_group;
	dst->shares_mm = src->shares_mm;
	memcpy(dst->named, src->named, sizeof(dst->named));
	dst->nnamed = src->nnamed;
	memset(&dst->sites, 0, sizeof(dst->sites));     /* iv refused */
	dst->auxv = NULL;
	dst->auxv_len = 0;
	dst->exec_path = NULL;
	if (src->auxv) {
		if (!(dst->auxv = malloc(src->auxv_len)))
			return -1;
		memcpy(dst->auxv, src->auxv, src->auxv_len);
		dst->auxv_len = src->auxv_len;
	}
	if (src->exec_path && !(dst->exec_path = strdup(src->exec_path)))
		return -1;
	return 0;
}

/* The replayer's process pointers, from `from` to `to` (NULL: none). */
static void repoint(struct replayer *s, const struct replay_proc *from,
		    struct replay_proc *to)
{
	for (size_t i = 0; i < s->nthreads; i++)
		s->threads[i].rp = s->threads[i].rp == from ? to : NULL;
	s->procs[0] = to;
	s->nprocs = 1;
	s->rp = to;
	s->proc = &to->proc;
	s->iv_owner = NULL;
}

/* Is the record the events reader returned last the current event?  The
 * cursor is re-decoded from it on restore. */
static bool event_rereadable(const struct replayer *r)
{
	struct trace_record rec;
	struct trace_event ev;

	if (!r->have_ev)
		return true;
	if (!trace_reader_last(r->events, &rec) ||
	    trace_event_decode(&ev, rec.type, rec.data, rec.len) != 0)
		return false;
	bool same = ev.type == r->ev.type && ev.tid == r->ev.tid;
	trace_event_free(&ev);
	return same;
}

/* *r by value, then every pointer in it replaced by the checkpoint's own
 * copy or cleared: nothing of r's is reachable from the snapshot. */
static int snapshot(struct replay_checkpoint *c, const struct replayer *r,
		    char *err, size_t errlen)
{
	struct cursor_copy k;

	if (!event_rereadable(r)) {
		snprintf(err, errlen, "event %" PRIu64 ": the events reader no "
			 "longer holds the current event's record", r->ev_index);
		return -1;
	}
	if (cursor_copy(&k, r, err, errlen) < 0)
		return -1;
	struct replayer *s = c->snap = malloc(sizeof(*s));
	if (!s) {
		cursor_copy_free(&k);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	*s = *r;
	s->events = k.events;
	s->data = k.data;
	s->mmaps = k.mmaps;
	memset(&s->ev, 0, sizeof(s->ev));
	memset(&s->mm, 0, sizeof(s->mm));
	s->iv = NULL;
	s->tasks = NULL;
	s->sites = NULL;
	s->have_sites = false;
	s->shms = NULL;
	s->sfiles = NULL;
	s->nsfiles = 0;
	memset(&s->psearch, 0, sizeof(s->psearch));
	repoint(s, r->procs[0], c->rp);
	if (copy_fdts(s->threads, r->threads, r->nthreads) < 0 ||
	    copy_proc_fields(c->rp, r->procs[0]) < 0) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}

/* ---- making and freeing ---------------------------------------------------------- */

void replay_checkpoint_free(struct replay_checkpoint *c)
{
	if (!c)
		return;
	if (c->snap) {
		trace_reader_close(c->snap->events);
		trace_reader_close(c->snap->data);
		trace_reader_close(c->snap->mmaps);
		free_fdts(c->snap->threads, c->snap->nthreads);
		free(c->snap);
	}
	if (c->rp) {
		if (c->rp->proc.pid > 0)
			kill_copy(&c->rp->proc);
		free(c->rp->auxv);
		free(c->rp->exec_path);
		free(c->rp);
	}
	free(c);
}

static struct replay_checkpoint *checkpoint_new(void)
{
	struct replay_checkpoint *c = calloc(1, sizeof(*c));

	if (c && !(c->rp = calloc(1, sizeof(*c->rp)))) {
		free(c);
		return NULL;
	}
	return c;
}

struct replay_checkpoint *replayer_checkpoint(struct replayer *r, char *err,
					      size_t errlen)
{
	size_t index = 0;
	struct task *t = NULL;

	if (!replay_state_ok(r, err, errlen) ||
	    !(t = only_thread(r, &index, err, errlen)))
		return NULL;
	struct replay_checkpoint *c = checkpoint_new();
	if (!c) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	c->thread = index;
	if (!stop_ok(r, c, r->threads[index].rec_tid, t, err, errlen) ||
	    !memory_ok(r, r->procs[0]->proc.pid, err, errlen) ||
	    freeze(r, t, c, err, errlen) < 0) {
		c->rp->proc.pid = 0;    /* no copy to kill */
		replay_checkpoint_free(c);
		return NULL;
	}
	if (snapshot(c, r, err, errlen) < 0) {
		replay_checkpoint_free(c);
		return NULL;
	}
	return c;
}

uint64_t replay_checkpoint_event(const struct replay_checkpoint *c)
{
	return c->snap->ev_index;
}

/* Private_Dirty of the frozen copy: the pages only it still holds, which
 * grow as the live replay writes to memory they shared at the fork. */
uint64_t replay_checkpoint_cost(const struct replay_checkpoint *c)
{
	char path[64], line[256];
	unsigned long long kb = 0;

	snprintf(path, sizeof(path), "/proc/%d/smaps_rollup",
		 (int)c->rp->proc.pid);
	FILE *f = fopen(path, "re");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Private_Dirty: %llu kB", &kb) == 1)
			break;
	fclose(f);
	return (uint64_t)kb * 1024;
}

/* ---- restoring ------------------------------------------------------------------- */

/* Everything a restore needs, made before anything of the live replay is
 * touched: a failure leaves the replay as it was. */
struct staged {
	struct process *np;             /* the new live process */
	struct replay_proc *fields;     /* its replay fields (proc unused) */
	struct cursor_copy k;
	struct trace_event ev;
	bool have_ev;
	struct trace_mmap_record mm;
	bool have_mm;
	struct replay_thread *th;       /* fd tables, per thread slot */
	size_t nth;
};

static void staged_free(struct staged *st)
{
	if (st->np && st->np->pid > 0)
		kill_copy(st->np);
	free(st->np);
	if (st->fields) {
		free(st->fields->auxv);
		free(st->fields->exec_path);
		free(st->fields);
	}
	cursor_copy_free(&st->k);
	if (st->have_ev)
		trace_event_free(&st->ev);
	if (st->have_mm)
		trace_mapping_free(&st->mm.map);
	if (st->th)
		free_fdts(st->th, st->nth);
	free(st->th);
	memset(st, 0, sizeof(*st));
}

static bool restart_code(uint64_t rax)
{
	int64_t v = (int64_t)rax;

	return v == -512 || v == -513 || v == -514 || v == -516;
}

/* The copy of a thread that sat in a syscall-entry stop executes a
 * syscall instruction under PTRACE_SYSEMU and so stops at an entry whose
 * call the kernel skips, as the original's; there it gets the original's
 * registers (the result in rax and rip after the instruction, or -ENOSYS
 * and the call still to come when parked, or a signal handler's).  The
 * instruction is the thread's own, re-executed, or, when a handler was
 * entered at the stop, one of replay's scratch page. */
static int reenter_syscall(struct process *np, const struct replay_checkpoint *c)
{
	static const uint8_t syscall_insn[2] = { 0x0f, 0x05 };
	struct task *t = &np->tasks[0];
	struct user_regs_struct g = c->regs;
	struct task_stop ts;

	g.rip = c->after_syscall ? g.rip - 2 :
		c->snap->scratch + SCRATCH_SYSCALL_OFFSET;
	g.rax = g.orig_rax;
	g.orig_rax = (uint64_t)-1;
	if ((!c->after_syscall &&
	     task_mem_write_raw(np, g.rip, syscall_insn, 2) != 2) ||
	    task_set_gregs(np, t, &g) < 0 ||
	    task_resume(np, t, TASK_RESUME_SYSEMU, 0) < 0 ||
	    process_wait(np, &ts, 0) != 1)
		return -1;
	if (ts.tid != t->tid || ts.kind != TASK_STOP_SYSCALL ||
	    !ts.in_syscall_entry || !kernel_says_entry(t->tid))
		return task_fail(np, EPROTO, "restored thread %d: stop of kind "
				 "%d (status %#x) instead of the syscall entry "
				 "at %#llx", (int)t->tid, (int)ts.kind,
				 ts.raw_status, g.rip);
	return task_set_gregs(np, t, &c->regs);
}

/* Any other stop: the copy's own (an interrupt stop on its way back to
 * user mode) resumes like the original's with the same registers, except
 * that the kernel's restart logic runs on that way: with orig_rax >= 0 a
 * restart code in rax would rewind rip, which the original, past its
 * syscall's exit, does not do. */
static int place_thread(struct process *np, const struct replay_checkpoint *c)
{
	struct task *t = &np->tasks[0];
	struct user_regs_struct g = c->regs;

	if (c->at_entry)
		return reenter_syscall(np, c);
	if ((int64_t)g.orig_rax >= 0 && restart_code(g.rax))
		g.orig_rax = (uint64_t)-1;
	/* A syscall-exit stop makes the replay loop step before it arms a
	 * point search (replayer.c, seek_point): the copy says the same. */
	if (c->last_stop.kind == TASK_STOP_SYSCALL) {
		t->last_stop = c->last_stop;
		t->last_stop.tid = t->tid;
	}
	return task_set_gregs(np, t, &g);
}

static int fork_live(struct staged *st, const struct replay_checkpoint *c,
		     char *err, size_t errlen)
{
	struct process *frozen = &c->rp->proc;

	if (!(st->np = calloc(1, sizeof(*st->np)))) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (diversion_fork(frozen, &frozen->tasks[0], st->np) < 0) {
		snprintf(err, errlen, "forking the checkpoint of event %" PRIu64
			 " (process %d, frozen copy %d): %s", c->snap->ev_index,
			 (int)c->rp->rec_pid, (int)frozen->pid, frozen->err);
		st->np->pid = 0;
		return -1;
	}
	if (place_thread(st->np, c) < 0) {
		snprintf(err, errlen, "restoring the checkpoint of event %"
			 PRIu64 ": %s", c->snap->ev_index, st->np->err);
		return -1;
	}
	return 0;
}

/* The current event and mmaps record, decoded again from the records the
 * cloned readers hold. */
static int stage_cursor(struct staged *st, const struct replayer *snap,
			char *err, size_t errlen)
{
	struct trace_record rec;

	if (cursor_copy(&st->k, snap, err, errlen) < 0)
		return -1;
	if (snap->have_ev) {
		if (!trace_reader_last(st->k.events, &rec) ||
		    trace_event_decode(&st->ev, rec.type, rec.data, rec.len)) {
			snprintf(err, errlen, "event %" PRIu64 ": decoding it "
				 "again from the checkpoint's reader failed",
				 snap->ev_index);
			return -1;
		}
		st->have_ev = true;
		replay_alter_apply(&snap->alter, snap->ev_index, &st->ev);
	}
	if (snap->have_mm) {
		if (!trace_reader_last(st->k.mmaps, &rec) ||
		    trace_mmap_decode(&st->mm, rec.data, rec.len) != 0) {
			snprintf(err, errlen, "event %" PRIu64 ": decoding the "
				 "mmaps record again failed", snap->ev_index);
			return -1;
		}
		st->have_mm = true;
	}
	return 0;
}

static int stage(struct staged *st, const struct replay_checkpoint *c,
		 char *err, size_t errlen)
{
	const struct replayer *snap = c->snap;

	memset(st, 0, sizeof(*st));
	if (fork_live(st, c, err, errlen) < 0 ||
	    stage_cursor(st, snap, err, errlen) < 0)
		return -1;
	st->nth = snap->nthreads;
	st->th = calloc(st->nth ? st->nth : 1, sizeof(*st->th));
	st->fields = calloc(1, sizeof(*st->fields));
	if (!st->th || !st->fields ||
	    copy_fdts(st->th, snap->threads, st->nth) < 0 ||
	    copy_proc_fields(st->fields, c->rp) < 0) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}

/* The replay_proc whose struct process callers may hold
 * (replayer_process): it is reused, so that pointer stays valid. */
static struct replay_proc *held_proc(struct replayer *r)
{
	struct replay_proc *tp = replay_target_proc(r);

	if (tp)
		return tp;
	return r->rp ? r->rp : r->nprocs ? r->procs[0] : NULL;
}

/* Kill every live process (keep's too, its struct stays) and drop the
 * bookkeeping that points into them. */
static void end_live(struct replayer *r, struct replay_proc *keep)
{
	if (r->psearch.armed && r->psearch.fast)
		free(r->psearch.patch);
	for (size_t i = 0; i < r->nprocs; i++) {
		replay_proc_release(r->procs[i]);
		if (r->procs[i] != keep)
			free(r->procs[i]);
	}
	r->nprocs = 0;
	free_fdts(r->threads, r->nthreads);
	replay_cursor_close(r);
	replay_shm_forget(r);
}

/* The snapshot's state, with the staged copies in place of its
 * pointers.  The caller's settings (opts: echo goes off while a timeline
 * re-replays) are not replay state and stay. */
static void install(struct replayer *r, const struct replay_checkpoint *c,
		    struct staged *st, struct replay_proc *keep)
{
	/* What is not the replay's position but the session's: options,
	 * the debugger's syscall catchpoints, the symbol cache (made on
	 * first use, perhaps after the checkpoint; freed with r). */
	struct replay_options opts = r->opts;
	bool debug = r->debug;
	unsigned slow_ms = r->slow_ms;
	struct sym_table *syms = r->syms;
	bool catch_on = r->catch_on, catch_all = r->catch_all;
	bool catch_which[REPLAY_MAX_CATCH_NR];
	memcpy(catch_which, r->catch_which, sizeof(catch_which));

	*r = *c->snap;
	r->opts = opts;
	r->debug = debug;
	r->slow_ms = slow_ms;
	r->syms = syms;
	r->catch_on = catch_on;
	r->catch_all = catch_all;
	memcpy(r->catch_which, catch_which, sizeof(catch_which));
	r->events = st->k.events;
	r->data = st->k.data;
	r->mmaps = st->k.mmaps;
	r->ev = st->ev;
	r->mm = st->mm;
	for (size_t i = 0; i < r->nthreads; i++)
		r->threads[i].fdt = st->th[i].fdt;
	*keep = *st->fields;
	keep->proc = *st->np;
	repoint(r, c->rp, keep);
	r->threads[c->thread].real_tid = keep->proc.pid;
	free(st->th);
	free(st->fields);
	free(st->np);
	memset(st, 0, sizeof(*st));
}

int replayer_restore(struct replayer *r, const struct replay_checkpoint *c,
		     char *err, size_t errlen)
{
	struct staged st;

	if (c->snap->trace != r->trace) {
		snprintf(err, errlen, "the checkpoint of event %" PRIu64
			 " belongs to another replay", c->snap->ev_index);
		return -1;
	}
	struct replay_proc *keep = held_proc(r), *fresh = NULL;
	if (!keep && !(keep = fresh = calloc(1, sizeof(*keep)))) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (stage(&st, c, err, errlen) < 0) {
		staged_free(&st);
		free(fresh);
		return -1;
	}
	end_live(r, keep);
	install(r, c, &st, keep);
	return 0;
}
