/* ptrace by a recorded program (docs/ptrace-emulation.md,
 * docs/recording.md "ptrace by a recorded program").
 *
 * xrr is the real tracer of every recorded thread, so a recorded tracer
 * A (strace, GDB, a crash reporter) cannot really trace a recorded
 * thread B: the recorder plays the kernel's part.
 *
 * - B's stops for A (signal delivery, its faults and A's int3s, steps,
 *   syscall entry and exit under PTRACE_SYSCALL, exec/fork/clone/exit
 *   events, group-stops of a seized B) hold B: it is not scheduled until
 *   A resumes it; A gets a SIGCHLD for each.
 * - A's requests on B are answered from B's real state and recorded as
 *   skipped syscalls with the bytes A received; what A changes in B
 *   (registers, memory, steps) is applied and written as EV_TRACE_STOP,
 *   so that replay does the same to B at the same point.
 * - A's wait4 gets a held stop at once, or by interrupting the wait4 it
 *   blocks in, or after waiting at its exit stop when the kernel finds
 *   no child but tracees live. */
#include "replay/recorder_internal.h"

#include <elf.h>
#include <errno.h>
#include <linux/audit.h>
#include <sys/ptrace.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "replay/syscallbuf.h"
#include "replay/task.h"

/* Kernel-internal restart codes seen at a syscall exit. */
#define ERESTARTSYS_ 512

/* A's ptrace(2): recorded as a skipped syscall; its outputs are the
 * rthread's answer regions. */
const struct syscall_desc rec_ptrace_desc = {
	.nr = SYS_ptrace,
	.name = "ptrace",
	.nargs = 4,
	.replay = SC_EMULATE,
	.arg = { SA_INT, SA_LONG, SA_HEX, SA_HEX },
};

static int set_result(struct recorder *r, struct rthread *t, int64_t result)
{
	struct user_regs_struct g = t->entry_regs;
	struct task *tk = rec_task_of(t);

	g.orig_rax = (uint64_t)-1;      /* the kernel runs nothing */
	g.rax = (uint64_t)result;
	if (!tk || task_set_gregs(t->proc, tk, &g) < 0)
		return rec_fail(r, "thread %d: answering its %s: %s",
				(int)t->tid, syscall_name(t->nr), t->proc->err);
	return 0;
}

/* Bytes for A's memory, also recorded (the event's writes). */
static int give(struct recorder *r, struct rthread *a, uint64_t addr,
		const void *bytes, size_t len)
{
	if (!addr || !len)
		return 0;
	if (process_write_memory(a->proc, addr, bytes, len) != (ssize_t)len)
		return -EFAULT;
	if (a->nanswer_regions < RT_MAX_ANSWER_REGIONS)
		a->answer_regions[a->nanswer_regions++] =
			(struct sc_region){ addr, len };
	(void)r;
	return 0;
}

static pid_t parent_of(pid_t pid);

/* b traced by tracer_pid from now on (resumed as if by PTRACE_CONT).
 * real_child: b leads a child process of the tracer, whose death the
 * tracer learns through its real wait4.  0, or -1 (rec_fail called). */
static int new_tracee(struct recorder *r, struct rthread *b, pid_t tracer_pid,
		      bool seized, uint32_t options)
{
	b->tracee = calloc(1, sizeof(*b->tracee));
	if (!b->tracee)
		return rec_fail(r, "out of memory");
	b->tracee->tracer_pid = tracer_pid;
	b->tracee->real_child = b->tid == b->proc->pid &&
				parent_of(b->proc->pid) == tracer_pid;
	b->tracee->seized = seized;
	b->tracee->options = options;
	b->tracee->resume = PTRACE_CONT;
	return 0;
}

static pid_t parent_of(pid_t pid)
{
	char path[64], line[256];
	pid_t ppid = 0;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	FILE *f = fopen(path, "re");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "PPid: %d", &ppid) == 1)
			break;
	fclose(f);
	return ppid;
}

/* B, when it is an emulated tracee of A's process. */
static struct rthread *tracee_of(struct recorder *r, struct rthread *a,
				 pid_t pid)
{
	struct rthread *b = rec_find_thread(r, pid);

	return b && b->tracee && b->tracee->tracer_pid == a->proc->pid ? b : NULL;
}

/* ---- B's stops -------------------------------------------------------------- */

/* Threads of tracer_pid blocked in the kernel's wait4 for tid (or any)
 * are interrupted: the call ends with -ERESTARTSYS at its exit stop,
 * where rec_ptrace_exit gives it the report instead. */
static void interrupt_waiters(struct recorder *r, pid_t tracer_pid, pid_t tid)
{
	for (size_t i = 0; i < r->nthreads; i++) {
		struct rthread *a = &r->threads[i];
		if (a->state != RT_SYSCALL || a->nr != SYS_wait4 || a->skipped ||
		    a->ptrace_waking || a->proc->pid != tracer_pid)
			continue;
		pid_t want = (pid_t)a->args[0];
		if (want != -1 && want != tid)
			continue;
		struct task *tk = rec_task_of(a);
		if (tk && ptrace(PTRACE_INTERRUPT, a->tid, 0, 0) == 0) {
			a->ptrace_waking = true;
			tk->interrupt_pending = true;
		}
	}
}

static int wake_parked_waiters(struct recorder *r);

static int get_regs_of(struct rthread *b, struct user_regs_struct *g)
{
	struct task *tk = rec_task_of(b);

	return tk && task_get_gregs(b->proc, tk, g) == 0 ? 0 : -ESRCH;
}

/* The kernel's SIGCHLD to the tracer for a tracee's stop or death
 * (debuggers wait for it): sent by xrr, its siginfo fixed when it
 * arrives (rec_ptrace_sigchld_info). */
static void notify_tracer(struct recorder *r, pid_t tracer_pid, pid_t tid,
			  int code, int status)
{
	if (r->ntrace_sigchld == REC_MAX_TRACE_EXITS)
		return;
	siginfo_t *si = &r->trace_sigchld[r->ntrace_sigchld].si;
	memset(si, 0, sizeof(*si));
	si->si_signo = SIGCHLD;
	si->si_code = code;
	si->si_pid = tid;
	si->si_uid = getuid();
	si->si_status = status;
	r->trace_sigchld[r->ntrace_sigchld++].tracer_pid = tracer_pid;
	kill(tracer_pid, SIGCHLD);
}

void rec_ptrace_sigchld_info(struct recorder *r, struct rthread *t,
			     siginfo_t *si)
{
	if (si->si_signo != SIGCHLD || si->si_code != SI_USER ||
	    si->si_pid != getpid())
		return;
	for (size_t i = 0; i < r->ntrace_sigchld; i++) {
		if (r->trace_sigchld[i].tracer_pid != t->proc->pid)
			continue;
		*si = r->trace_sigchld[i].si;
		memmove(&r->trace_sigchld[i], &r->trace_sigchld[i + 1],
			(r->ntrace_sigchld - i - 1) * sizeof(r->trace_sigchld[0]));
		r->ntrace_sigchld--;
		return;
	}
}

/* A's waiters learn of b's new stop (wait status `status`). */
static void report(struct recorder *r, struct rthread *b, enum rec_trace_at at,
		   int status)
{
	struct rec_tracee *tr = b->tracee;

	tr->has_stop = true;
	tr->at = at;
	tr->status = status;
	tr->reported = false;
	notify_tracer(r, tr->tracer_pid, b->tid, CLD_TRAPPED, (status >> 8) & 0xff);
	wake_parked_waiters(r);
	interrupt_waiters(r, tr->tracer_pid, b->tid);
}

#define EVENT_STATUS(sig, event) ((((event) << 8 | (sig)) << 8) | 0x7f)

/* EV_TRACE_STOP (trace_events.h): b stopped here, or at its fault, or
 * after a step; then these registers and bytes of its process set (the
 * bytes read from it now). */
static int emit_stop(struct recorder *r, struct rthread *b,
		     enum trace_stop_kind kind, int signo,
		     const struct user_regs_struct *regs,
		     const struct sc_region *regions, size_t n)
{
	struct trace_event ev = { .type = EV_TRACE_STOP, .tid = b->tid };
	struct process *caller = r->proc;

	ev.u.trace_stop.kind = (uint8_t)kind;
	ev.u.trace_stop.signo = signo;
	if (regs) {
		ev.u.trace_stop.has_regs = true;
		ev.u.trace_stop.regs = *regs;
	}
	r->proc = b->proc;
	int rc = rec_emit_writes(r, &ev, &ev.u.trace_stop.writes,
				 &ev.u.trace_stop.nwrites, regions, n);
	r->proc = caller;
	return rc;
}

static int emit_trace_stop(struct recorder *r, struct rthread *b,
			   const struct sc_region *regions, size_t n)
{
	return emit_stop(r, b, TRACE_STOP_HERE, 0, NULL, regions, n);
}

/* Hold b at a stop A must see (wait status `status`). */
static int hold(struct recorder *r, struct rthread *b, enum rec_trace_at at,
		int status)
{
	b->state = RT_TRACE_STOPPED;
	if (r->current == b)
		r->current = NULL;
	/* Held after its last event, in user code's way: replay must not
	 * run it on either (at a syscall entry or exit, or inside execve,
	 * it waits anyway). */
	if ((at == TRACE_AT_SIGNAL || at == TRACE_AT_TRAP) &&
	    emit_trace_stop(r, b, NULL, 0) < 0)
		return -1;
	report(r, b, at, status);
	return 1;
}

static int trap_status(const struct rec_tracee *tr)
{
	int sig = SIGTRAP | (tr->options & PTRACE_O_TRACESYSGOOD ? 0x80 : 0);
	return (sig << 8) | 0x7f;
}

static int syscall_entry_stop(struct recorder *r, struct rthread *b)
{
	struct rec_tracee *tr = b->tracee;

	/* (Its continuation comes here again: reported already.)  xrr's
	 * own private calls are not the program's. */
	if (!tr || tr->resume != PTRACE_SYSCALL || tr->in_entry ||
	    syscallbuf_private_nr(b->nr))
		return 0;
	tr->in_entry = true;
	return hold(r, b, TRACE_AT_ENTRY, trap_status(tr));
}

int rec_ptrace_syscall_exit(struct recorder *r, struct rthread *b,
			    bool vfork_like)
{
	struct rec_tracee *tr = b->tracee;

	if (!tr)
		return 0;
	if (vfork_like && tr->options & PTRACE_O_TRACEVFORKDONE &&
	    !tr->vfork_done_reported) {
		struct user_regs_struct g;
		tr->vfork_done_reported = true;
		tr->event_msg = get_regs_of(b, &g) == 0 ? g.rax : 0;
		return hold(r, b, TRACE_AT_VFORK_DONE,
			    EVENT_STATUS(SIGTRAP, PTRACE_EVENT_VFORK_DONE));
	}
	tr->vfork_done_reported = false;
	bool reported = tr->in_entry;
	tr->in_entry = false;
	if (!reported || tr->resume != PTRACE_SYSCALL)
		return 0;
	return hold(r, b, TRACE_AT_EXIT, trap_status(tr));
}

int rec_ptrace_group_stop(struct recorder *r, struct rthread *b)
{
	struct rec_tracee *tr = b->tracee;

	if (!tr || !tr->seized)
		return 0;
	report(r, b, TRACE_AT_GROUP, EVENT_STATUS(SIGSTOP, PTRACE_EVENT_STOP));
	return 0;
}

int rec_ptrace_group_continued(struct recorder *r, struct rthread *b)
{
	struct rec_tracee *tr = b->tracee;

	if (!tr || !tr->has_stop || tr->at != TRACE_AT_GROUP)
		return 0;
	if (!tr->listening) {
		/* Reported once it listens (strace: SEIZE, INTERRUPT,
		 * SIGCONT, then wait and LISTEN). */
		tr->trap_pending = true;
		b->state = RT_TRACE_STOPPED;
		if (r->current == b)
			r->current = NULL;
		return 1;
	}
	tr->trap_pending = false;
	return hold(r, b, TRACE_AT_TRAP, EVENT_STATUS(SIGTRAP, PTRACE_EVENT_STOP))
	       < 0 ? -1 : 1;
}

/* An int3 the tracer put there (the byte before rip), a fault of b's own
 * instruction, or the trap after a PTRACE_SINGLESTEP: b stops for its
 * tracer right there, and replay makes it get there the same way. */
int rec_ptrace_fault(struct recorder *r, struct rthread *b, const siginfo_t *si)
{
	struct rec_tracee *tr = b->tracee;
	struct user_regs_struct g;
	enum trace_stop_kind kind;

	if (!tr || get_regs_of(b, &g) < 0)
		return 0;
	if (tr->resume == PTRACE_SINGLESTEP && si->si_signo == SIGTRAP &&
	    si->si_code == 2 /* TRAP_TRACE */) {
		kind = TRACE_STOP_STEP;
	} else if (rec_synchronous_signal(si)) {
		kind = TRACE_STOP_FAULT;
	} else if (si->si_signo == SIGTRAP && si->si_code == SI_KERNEL) {
		uint8_t byte = 0;
		if (process_read_memory(b->proc, g.rip - 1, &byte, 1) != 1 ||
		    byte != 0xcc)
			return 0;
		kind = TRACE_STOP_FAULT;
	} else {
		return 0;
	}
	tr->siginfo = *si;
	b->state = RT_TRACE_STOPPED;
	if (r->current == b)
		r->current = NULL;
	if (emit_stop(r, b, kind, kind == TRACE_STOP_FAULT ? si->si_signo : 0,
		      NULL, NULL, 0) < 0)
		return -1;
	report(r, b, TRACE_AT_SIGNAL, (si->si_signo << 8) | 0x7f);
	return 1;
}

int rec_ptrace_signal(struct recorder *r, struct rthread *b, const siginfo_t *si)
{
	struct rec_tracee *tr = b->tracee;

	if (!tr || si->si_signo == SIGKILL)
		return 0;
	tr->siginfo = *si;
	return hold(r, b, TRACE_AT_SIGNAL, (si->si_signo << 8) | 0x7f);
}

int rec_ptrace_exec_event(struct recorder *r, struct rthread *b,
			  pid_t former_tid)
{
	struct rec_tracee *tr = b->tracee;

	if (!tr || !(tr->options & PTRACE_O_TRACEEXEC))
		return 0;
	/* Inside execve, before its exit stop (replay holds it at the
	 * execve's entry anyway). */
	tr->event_msg = (unsigned long)former_tid;
	return hold(r, b, TRACE_AT_EXEC,
		    EVENT_STATUS(SIGTRAP, PTRACE_EVENT_EXEC));
}

static unsigned option_for(int event)
{
	switch (event) {
	case PTRACE_EVENT_FORK: return PTRACE_O_TRACEFORK;
	case PTRACE_EVENT_VFORK: return PTRACE_O_TRACEVFORK;
	case PTRACE_EVENT_CLONE: return PTRACE_O_TRACECLONE;
	default: return 0;
	}
}

/* c's first stop for the tracer it inherited. */
static int first_stop(struct recorder *r, struct rthread *c)
{
	c->before_group_stop = RT_READY;
	return hold(r, c, TRACE_AT_TRAP, c->tracee->seized
		    ? EVENT_STATUS(SIGTRAP, PTRACE_EVENT_STOP)
		    : (SIGSTOP << 8) | 0x7f);
}

int rec_ptrace_fork_event(struct recorder *r, struct rthread *b,
			  struct rthread *c, int event)
{
	struct rec_tracee *tr = b->tracee;

	if (!tr || !c || !(tr->options & option_for(event)))
		return 0;
	if (new_tracee(r, c, tr->tracer_pid, tr->seized, tr->options) < 0)
		return -1;
	if (event == PTRACE_EVENT_CLONE && c->proc == b->proc)
		c->trace_first_stop = true;     /* after EV_THREAD_CREATE */
	else if (first_stop(r, c) < 0)
		return -1;
	tr->event_msg = (unsigned long)c->tid;
	return hold(r, b, TRACE_AT_EXEC, EVENT_STATUS(SIGTRAP, event));
}

int rec_ptrace_new_thread(struct recorder *r, struct rthread *c)
{
	if (!c || !c->trace_first_stop)
		return 0;
	c->trace_first_stop = false;
	return first_stop(r, c) < 0 ? -1 : 0;
}

int rec_ptrace_after_exec(struct recorder *r, struct rthread *b)
{
	struct rec_tracee *tr = b->tracee;

	if (!tr || tr->options & PTRACE_O_TRACEEXEC)
		return 0;
	/* Without the option the kernel sends SIGTRAP after execve. */
	memset(&tr->siginfo, 0, sizeof(tr->siginfo));
	tr->siginfo.si_signo = SIGTRAP;
	tr->siginfo.si_code = SI_USER;
	return hold(r, b, TRACE_AT_SIGNAL, (SIGTRAP << 8) | 0x7f);
}

/* ---- A's wait4 -------------------------------------------------------------- */

/* A report for a waiter of A's process (pid `want`, -1: any): a
 * stop of a tracee, or the death of one that is not A's own child (the
 * kernel tells the tracer; a child's death comes through A's real
 * wait4).  Taken: its tid and status; 0 when there is none. */
static pid_t take_report(struct recorder *r, struct rthread *a, pid_t want,
			 int *status)
{
	for (size_t i = 0; i < r->nthreads; i++) {
		struct rthread *b = &r->threads[i];
		if (b->tracee && b->tracee->has_stop && !b->tracee->reported &&
		    b->tracee->tracer_pid == a->proc->pid &&
		    (want == -1 || want == b->tid)) {
			b->tracee->reported = true;
			*status = b->tracee->status;
			return b->tid;
		}
	}
	for (size_t i = 0; i < r->ntrace_exits; i++) {
		struct rec_trace_exit *e = &r->trace_exits[i];
		if (e->tracer_pid != a->proc->pid ||
		    (want != -1 && want != e->tid))
			continue;
		pid_t tid = e->tid;
		*status = e->status;
		*e = r->trace_exits[--r->ntrace_exits];
		return tid;
	}
	return 0;
}

/* Live tracees of A's process that are not its own children. */
static bool has_foreign_tracees(struct recorder *r, struct rthread *a)
{
	for (size_t i = 0; i < r->nthreads; i++) {
		struct rthread *b = &r->threads[i];
		if (b->state != RT_DEAD && b->tracee &&
		    b->tracee->tracer_pid == a->proc->pid &&
		    !b->tracee->real_child)
			return true;
	}
	return false;
}

/* Write a report into A's wait4 outputs (status, a zeroed rusage). */
static int answer_wait(struct recorder *r, struct rthread *a, pid_t tid,
		       int status)
{
	uint8_t rusage[144] = { 0 };

	if (a->args[1] && give(r, a, a->args[1], &status, sizeof(status)) < 0)
		return -EFAULT;
	if (a->args[3] && give(r, a, a->args[3], rusage, sizeof(rusage)) < 0)
		return -EFAULT;
	return tid;
}

static int wait_entry(struct recorder *r, struct rthread *a)
{
	pid_t want = (pid_t)a->args[0];
	int status;

	if (want != -1 && want > 0 && !tracee_of(r, a, want)) {
		bool reported_exit = false;
		for (size_t i = 0; i < r->ntrace_exits; i++)
			reported_exit |= r->trace_exits[i].tid == want &&
					 r->trace_exits[i].tracer_pid ==
					 a->proc->pid;
		if (!reported_exit)
			return 0;
	}
	if (want < -1 || want == 0)
		return 0;       /* process groups: the kernel's */
	pid_t tid = take_report(r, a, want, &status);
	if (!tid)
		return 0;       /* the kernel's wait4 (exits, or it blocks) */
	if (set_result(r, a, answer_wait(r, a, tid, status)) < 0)
		return -1;
	return 1;
}

/* A parked waiter (its wait4 found no child but tracees): answer it if
 * a report has come. */
static int wake_parked_waiters(struct recorder *r)
{
	for (size_t i = 0; i < r->nthreads; i++) {
		struct rthread *a = &r->threads[i];
		int status;
		if (a->state != RT_TRACE_WAITING)
			continue;
		pid_t tid = take_report(r, a, (pid_t)a->args[0], &status);
		if (!tid)
			continue;
		struct user_regs_struct g;
		struct task *tk = rec_task_of(a);
		if (!tk || task_get_gregs(a->proc, tk, &g) < 0)
			continue;
		g.rax = (uint64_t)(int64_t)answer_wait(r, a, tid, status);
		if (task_set_gregs(a->proc, tk, &g) < 0)
			return rec_fail(r, "thread %d: answering its wait4: %s",
					(int)a->tid, a->proc->err);
		a->state = RT_READY;
		a->exit_pending = true;
	}
	return 0;
}

int rec_ptrace_exit(struct recorder *r, struct rthread *a)
{
	struct user_regs_struct g;
	struct task *tk = rec_task_of(a);
	bool waking = a->ptrace_waking;

	a->ptrace_waking = false;
	if (a->nr != SYS_wait4 || a->skipped || !tk ||
	    task_get_gregs(a->proc, tk, &g) < 0)
		return 0;
	int64_t rv = (int64_t)g.rax;
	pid_t want = (pid_t)a->args[0];
	bool interrupted = waking && (rv == -ERESTARTSYS_ || rv == -EINTR);
	bool no_child = rv == -ECHILD && (want == -1 || tracee_of(r, a, want));
	if (!interrupted && !no_child)
		return 0;
	int status;
	pid_t tid = take_report(r, a, want, &status);
	if (tid) {
		g.rax = (uint64_t)(int64_t)answer_wait(r, a, tid, status);
	} else if (no_child && has_foreign_tracees(r, a)) {
		if (a->args[2] & WNOHANG) {
			g.rax = 0;      /* tracees, none to report */
		} else {
			a->state = RT_TRACE_WAITING;
			if (r->current == a)
				r->current = NULL;
			return 1;       /* parked until a report comes */
		}
	} else {
		return 0;
	}
	if (task_set_gregs(a->proc, tk, &g) < 0)
		return rec_fail(r, "thread %d: answering its wait4: %s",
				(int)a->tid, a->proc->err);
	return 0;
}

/* ---- A's requests ------------------------------------------------------------- */

static const char *request_name(long req)
{
	static const struct { long req; const char *name; } names[] = {
		{ PTRACE_TRACEME, "PTRACE_TRACEME" },
		{ PTRACE_PEEKTEXT, "PTRACE_PEEKTEXT" },
		{ PTRACE_PEEKDATA, "PTRACE_PEEKDATA" },
		{ PTRACE_PEEKUSER, "PTRACE_PEEKUSER" },
		{ PTRACE_POKETEXT, "PTRACE_POKETEXT" },
		{ PTRACE_POKEDATA, "PTRACE_POKEDATA" },
		{ PTRACE_POKEUSER, "PTRACE_POKEUSER" },
		{ PTRACE_CONT, "PTRACE_CONT" },
		{ PTRACE_KILL, "PTRACE_KILL" },
		{ PTRACE_SINGLESTEP, "PTRACE_SINGLESTEP" },
		{ PTRACE_GETREGS, "PTRACE_GETREGS" },
		{ PTRACE_SETREGS, "PTRACE_SETREGS" },
		{ PTRACE_GETFPREGS, "PTRACE_GETFPREGS" },
		{ PTRACE_SETFPREGS, "PTRACE_SETFPREGS" },
		{ PTRACE_ATTACH, "PTRACE_ATTACH" },
		{ PTRACE_DETACH, "PTRACE_DETACH" },
		{ PTRACE_SYSCALL, "PTRACE_SYSCALL" },
		{ PTRACE_SYSEMU, "PTRACE_SYSEMU" },
		{ PTRACE_SYSEMU_SINGLESTEP, "PTRACE_SYSEMU_SINGLESTEP" },
		{ PTRACE_SETOPTIONS, "PTRACE_SETOPTIONS" },
		{ PTRACE_GETEVENTMSG, "PTRACE_GETEVENTMSG" },
		{ PTRACE_GETSIGINFO, "PTRACE_GETSIGINFO" },
		{ PTRACE_SETSIGINFO, "PTRACE_SETSIGINFO" },
		{ PTRACE_GETREGSET, "PTRACE_GETREGSET" },
		{ PTRACE_SETREGSET, "PTRACE_SETREGSET" },
		{ PTRACE_SEIZE, "PTRACE_SEIZE" },
		{ PTRACE_INTERRUPT, "PTRACE_INTERRUPT" },
		{ PTRACE_LISTEN, "PTRACE_LISTEN" },
		{ PTRACE_PEEKSIGINFO, "PTRACE_PEEKSIGINFO" },
		{ PTRACE_GETSIGMASK, "PTRACE_GETSIGMASK" },
		{ PTRACE_SETSIGMASK, "PTRACE_SETSIGMASK" },
		{ PTRACE_SECCOMP_GET_FILTER, "PTRACE_SECCOMP_GET_FILTER" },
		{ PTRACE_GET_SYSCALL_INFO, "PTRACE_GET_SYSCALL_INFO" },
	};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].req == req)
			return names[i].name;
	return NULL;
}

static int refuse_request(struct recorder *r, struct rthread *a, long req,
			  const char *why)
{
	const char *name = request_name(req);

	if (name)
		return rec_fail(r, "recording stopped: thread %d: ptrace(%s): "
				"%s (docs/ptrace-emulation.md)", (int)a->tid,
				name, why);
	return rec_fail(r, "recording stopped: thread %d: ptrace request "
			"%#lx: %s (docs/ptrace-emulation.md)", (int)a->tid,
			req, why);
}

static int check_options(struct recorder *r, struct rthread *a, long req,
			 uint64_t options)
{
	if (options & ~(uint64_t)(PTRACE_O_TRACESYSGOOD | PTRACE_O_TRACEEXEC |
				  PTRACE_O_TRACEEXIT | PTRACE_O_EXITKILL |
				  PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK |
				  PTRACE_O_TRACECLONE | PTRACE_O_TRACEVFORKDONE))
		return refuse_request(r, a, req, "options other than "
				      "TRACESYSGOOD, TRACEEXEC, TRACEEXIT, "
				      "EXITKILL, TRACEFORK, TRACEVFORK, "
				      "TRACEVFORKDONE and TRACECLONE are not "
				      "recorded yet (TRACESECCOMP)");
	return 0;
}

/* Every call the tracer may see must be b's own: b's syscall buffer off,
 * in replay too, before it runs again (it has not run since its last
 * event: the tracer runs now). */
static long disable_buffer(struct recorder *r, struct rthread *b)
{
	int mode = syscallbuf_get_mode(b->proc);
	if (mode < 0 || mode == XRR_SB_MODE_DISABLED)
		return 0;
	if (syscallbuf_set_mode(b->proc, XRR_SB_MODE_DISABLED) < 0)
		return rec_fail(r, "thread %d: turning the syscall buffer off: "
				"%s", (int)b->tid, strerror(errno));
	const struct sc_region page = { XRR_SB_CONTROL_ADDR,
					sizeof(struct xrr_sb_control) };
	return emit_trace_stop(r, b, &page, 1) < 0 ? -1 : 0;
}

/* The credentials the kernel's attach check compares, from
 * /proc/PID/status: real, effective and saved uids and gids, and the
 * effective capabilities. */
struct ptrace_creds {
	unsigned uid[3], gid[3];
	uint64_t cap_eff;
};

static bool read_creds(pid_t tid, struct ptrace_creds *c)
{
	char path[64], line[256];
	int got = 0;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)tid);
	FILE *f = fopen(path, "re");
	if (!f)
		return false;
	while (fgets(line, sizeof(line), f)) {
		unsigned long long cap;
		if (sscanf(line, "Uid: %u %u %u", &c->uid[0], &c->uid[1],
			   &c->uid[2]) == 3)
			got |= 1;
		else if (sscanf(line, "Gid: %u %u %u", &c->gid[0], &c->gid[1],
				&c->gid[2]) == 3)
			got |= 2;
		else if (sscanf(line, "CapEff: %llx", &cap) == 1) {
			c->cap_eff = cap;
			got |= 4;
		}
	}
	fclose(f);
	return got == 7;
}

#define CAP_SYS_PTRACE_BIT 19

/* May thread a attach to thread b?  The kernel's credential rule for
 * PTRACE_MODE_ATTACH_REALCREDS, which the recorder (root, the real
 * tracer of both) would never meet: a's real uid and gid are b's real,
 * effective and saved ones, or a has CAP_SYS_PTRACE. Not modelled:
 * b's dumpable flag, Yama's ptrace_scope, capabilities held in a user
 * namespace other than the one the recorder sees. */
static bool may_attach(const struct rthread *a, const struct rthread *b)
{
	struct ptrace_creds ca, cb;

	if (!read_creds(a->tid, &ca) || !read_creds(b->tid, &cb))
		return true;    /* gone: the next steps say so */
	if (ca.cap_eff & (1ULL << CAP_SYS_PTRACE_BIT))
		return true;
	for (int i = 0; i < 3; i++)
		if (cb.uid[i] != ca.uid[0] || cb.gid[i] != ca.gid[0])
			return false;
	return true;
}

/* PTRACE_SEIZE: traced from now on, not stopped; a tracee in a
 * group-stop reports it (PTRACE_EVENT_STOP with the stop signal). */
static long seize(struct recorder *r, struct rthread *a, pid_t pid)
{
	struct rthread *b = rec_find_thread(r, pid);

	if (!b || b->proc == a->proc)
		return b ? -EPERM : -ESRCH;
	if (b->tracee || !may_attach(a, b))
		return -EPERM;
	if (check_options(r, a, PTRACE_SEIZE, a->args[3]) < 0)
		return -1;
	if (new_tracee(r, b, a->proc->pid, true, (uint32_t)a->args[3]) < 0)
		return -1;
	if (b->state == RT_GROUP_STOPPED)
		report(r, b, TRACE_AT_GROUP,
		       EVENT_STATUS(SIGSTOP, PTRACE_EVENT_STOP));
	return disable_buffer(r, b);
}

/* PTRACE_ATTACH: traced from now on, and sent SIGSTOP, whose delivery
 * is its first stop for the tracer (as the kernel does). */
static long attach(struct recorder *r, struct rthread *a, pid_t pid)
{
	struct rthread *b = rec_find_thread(r, pid);

	if (!b || b->proc == a->proc)
		return b ? -EPERM : -ESRCH;
	if (b->tracee || !may_attach(a, b))
		return -EPERM;
	if (new_tracee(r, b, a->proc->pid, false, 0) < 0)
		return -1;
	if (syscall(SYS_tgkill, b->proc->pid, b->tid, SIGSTOP) < 0)
		return -errno;
	return disable_buffer(r, b);
}

/* PTRACE_INTERRUPT: a stopped tracee traps again once it is let go
 * (after LISTEN and SIGCONT); a running one stops where it is. */
static long interrupt(struct recorder *r, struct rthread *b)
{
	if (!b->tracee->seized)
		return -EIO;
	if (b->tracee->has_stop) {
		b->tracee->trap_pending = true;
		return 0;
	}
	if (b->state == RT_READY) {
		b->before_group_stop = RT_READY;
		return hold(r, b, TRACE_AT_TRAP,
			    EVENT_STATUS(SIGTRAP, PTRACE_EVENT_STOP)) < 0 ? -1 : 0;
	}
	/* In a syscall: it is not stopped there (an approximation: the
	 * kernel would end the call early and restart it). */
	return 0;
}

/* PTRACE_LISTEN: in a group-stop, stay stopped but report what comes
 * (SIGCONT). */
static long listen_(struct recorder *r, struct rthread *b)
{
	struct rec_tracee *tr = b->tracee;

	if (!tr->seized || tr->at != TRACE_AT_GROUP)
		return -EIO;
	tr->listening = true;
	tr->reported = true;
	if (tr->trap_pending && b->state == RT_TRACE_STOPPED) {
		/* SIGCONT came already. */
		tr->trap_pending = false;
		report(r, b, TRACE_AT_TRAP,
		       EVENT_STATUS(SIGTRAP, PTRACE_EVENT_STOP));
	}
	return 0;
}

static int traceme(struct recorder *r, struct rthread *b)
{
	if (b->tracee)
		return -EPERM;
	pid_t parent = parent_of(b->proc->pid);
	bool recorded = false;
	for (size_t i = 0; i < r->nthreads; i++)
		recorded |= r->threads[i].state != RT_DEAD &&
			    r->threads[i].proc->pid == parent;
	if (!recorded)
		return -EPERM;  /* its parent is not in the recording */
	if (new_tracee(r, b, parent, false, 0) < 0)
		return -1;
	/* Every call the tracer may see must be the program's own. */
	return rec_syscallbuf_disable(r, b) < 0 ? -1 : 0;
}


static long syscall_info(struct recorder *r, struct rthread *a,
			 struct rthread *b)
{
	struct __ptrace_syscall_info info;
	struct user_regs_struct g;
	size_t size;

	if (get_regs_of(b, &g) < 0)
		return -ESRCH;
	memset(&info, 0, sizeof(info));
	info.arch = AUDIT_ARCH_X86_64;
	info.instruction_pointer = g.rip;
	info.stack_pointer = g.rsp;
	switch (b->tracee->at) {
	case TRACE_AT_ENTRY:
		info.op = PTRACE_SYSCALL_INFO_ENTRY;
		info.entry.nr = g.orig_rax;
		info.entry.args[0] = g.rdi; info.entry.args[1] = g.rsi;
		info.entry.args[2] = g.rdx; info.entry.args[3] = g.r10;
		info.entry.args[4] = g.r8; info.entry.args[5] = g.r9;
		size = offsetof(struct __ptrace_syscall_info, entry.args) +
		       sizeof(info.entry.args);
		break;
	case TRACE_AT_EXIT:
		info.op = PTRACE_SYSCALL_INFO_EXIT;
		info.exit.rval = (int64_t)g.rax;
		info.exit.is_error = (int64_t)g.rax < 0 && (int64_t)g.rax >= -4095;
		size = offsetof(struct __ptrace_syscall_info, exit.is_error) +
		       sizeof(info.exit.is_error);
		break;
	default:
		info.op = PTRACE_SYSCALL_INFO_NONE;
		size = offsetof(struct __ptrace_syscall_info, entry);
		break;
	}
	size_t give_len = a->args[2] < size ? a->args[2] : size;
	if (give(r, a, a->args[3], &info, give_len) < 0)
		return -EFAULT;
	return (long)size;
}

static long peek_user(struct recorder *r, struct rthread *a, struct rthread *b)
{
	struct user_regs_struct g;
	uint64_t off = a->args[2], word = 0;

	if (off & 7 || off >= sizeof(struct user))
		return -EIO;
	if (get_regs_of(b, &g) < 0)
		return -ESRCH;
	if (off < sizeof(g))
		memcpy(&word, (uint8_t *)&g + off, 8);
	/* The rest of struct user (debug registers, sizes) reads as 0. */
	return give(r, a, a->args[3], &word, 8) < 0 ? -EFAULT : 0;
}

static long peek_data(struct recorder *r, struct rthread *a, struct rthread *b)
{
	uint64_t word;

	if (process_read_memory(b->proc, a->args[2], &word, 8) != 8)
		return -EIO;
	return give(r, a, a->args[3], &word, 8) < 0 ? -EFAULT : 0;
}

/* GETREGSET: the real regset of B, as much as A's iovec holds. */
static long get_regset(struct recorder *r, struct rthread *a, struct rthread *b)
{
	struct iovec iov, local;
	uint8_t buf[16384];

	if (process_read_memory(a->proc, a->args[3], &iov, sizeof(iov)) !=
	    (ssize_t)sizeof(iov))
		return -EFAULT;
	local.iov_base = buf;
	local.iov_len = iov.iov_len < sizeof(buf) ? iov.iov_len : sizeof(buf);
	if (ptrace(PTRACE_GETREGSET, b->tid, a->args[2], &local) < 0)
		return -errno;
	if (give(r, a, (uint64_t)iov.iov_base, buf, local.iov_len) < 0)
		return -EFAULT;
	iov.iov_len = local.iov_len;
	return give(r, a, a->args[3], &iov, sizeof(iov)) < 0 ? -EFAULT : 0;
}

/* The registers A sets in B: applied now, and for replay. */
static long set_regs_of(struct recorder *r, struct rthread *b,
			const struct user_regs_struct *g)
{
	struct task *tk = rec_task_of(b);
	struct user_regs_struct now;

	if (!tk || task_set_gregs(b->proc, tk, g) < 0 ||
	    task_get_gregs(b->proc, tk, &now) < 0)
		return -ESRCH;
	return emit_stop(r, b, TRACE_STOP_HERE, 0, &now, NULL, 0) < 0 ? -1 : 0;
}

/* Bytes A writes into B's memory: written now, and for replay. */
static long write_tracee(struct recorder *r, struct rthread *b, uint64_t addr,
			 const void *bytes, size_t len)
{
	if (process_write_memory(b->proc, addr, bytes, len) != (ssize_t)len)
		return -EIO;
	const struct sc_region reg = { addr, len };
	return emit_stop(r, b, TRACE_STOP_HERE, 0, NULL, &reg, 1) < 0 ? -1 : 0;
}

static long poke_user(struct recorder *r, struct rthread *a, struct rthread *b)
{
	struct user_regs_struct g;
	uint64_t off = a->args[2], word = a->args[3];

	if (off & 7 || off >= sizeof(struct user))
		return -EIO;
	if (off >= sizeof(g))
		return refuse_request(r, a, PTRACE_POKEUSER, "writes past the "
				      "general registers (debug registers) are "
				      "not recorded yet");
	if (get_regs_of(b, &g) < 0)
		return -ESRCH;
	memcpy((uint8_t *)&g + off, &word, 8);
	return set_regs_of(r, b, &g);
}

static long set_regs_request(struct recorder *r, struct rthread *a,
			     struct rthread *b, long req)
{
	struct user_regs_struct g;
	uint64_t from = a->args[3];

	if (req == PTRACE_SETREGSET) {
		struct iovec iov;
		if (a->args[2] != NT_PRSTATUS)
			return refuse_request(r, a, req, "regsets other than "
					      "NT_PRSTATUS are not recorded yet");
		if (process_read_memory(a->proc, a->args[3], &iov, sizeof(iov))
		    != (ssize_t)sizeof(iov) || iov.iov_len < sizeof(g))
			return -EFAULT;
		from = (uint64_t)iov.iov_base;
	}
	if (process_read_memory(a->proc, from, &g, sizeof(g)) !=
	    (ssize_t)sizeof(g))
		return -EFAULT;
	return set_regs_of(r, b, &g);
}

int rec_ptrace_mem_write(struct recorder *r, struct rthread *a)
{
	char path[64], target[128];

	if (a->nr != SYS_pwrite64 || (int64_t)a->args[2] <= 0 || a->skipped)
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/fd/%d", (int)a->tid,
		 (int)a->args[0]);
	ssize_t n = readlink(path, target, sizeof(target) - 1);
	if (n <= 0)
		return 0;
	target[n] = 0;
	int pid = 0, tid = 0;
	if (sscanf(target, "/proc/%d/task/%d/mem", &pid, &tid) != 2 &&
	    (sscanf(target, "/proc/%d/mem", &pid) != 1 || (tid = pid, 0)))
		return 0;
	if (strcmp(target + strlen(target) - 4, "/mem") != 0)
		return 0;
	struct rthread *b = rec_find_thread(r, tid);
	if (!b)
		return 0;
	struct user_regs_struct g;
	struct task *tk = rec_task_of(a);
	if (!tk || task_get_gregs(a->proc, tk, &g) < 0 || (int64_t)g.rax <= 0)
		return 0;
	if (b->proc == a->proc) {
		/* Into its own memory (GDB checks that /proc/self/mem is
		 * writable): part of its event. */
		if (a->nanswer_regions == RT_MAX_ANSWER_REGIONS)
			return rec_fail(r, "thread %d: too many writes to record "
					"for one syscall", (int)a->tid);
		a->answer_regions[a->nanswer_regions++] = (struct sc_region){
			a->args[3], (uint64_t)(int64_t)g.rax };
		return 0;
	}
	if (!b->tracee || !b->tracee->has_stop)
		return rec_fail(r, "recording stopped: thread %d wrote into the "
				"memory of thread %d through %s, which is not "
				"stopped for it as its tracee: not recorded",
				(int)a->tid, (int)tid, target);
	const struct sc_region reg = { a->args[3], (uint64_t)(int64_t)g.rax };
	return emit_stop(r, b, TRACE_STOP_HERE, 0, NULL, &reg, 1) < 0 ? -1 : 0;
}

/* CONT, SYSCALL, DETACH: B runs again when the scheduler gets to it,
 * from the stop it was held at (continue_traced in recorder.c). */
static long resume_tracee(struct rthread *b, long req, int sig)
{
	struct rec_tracee *tr = b->tracee;

	if (!tr->has_stop)
		return -ESRCH;
	if (sig < 0 || sig >= 65)
		return -EIO;
	if (b->state == RT_GROUP_STOPPED)
		return -EBUSY;  /* see request(): refused before */
	tr->has_stop = false;
	tr->listening = false;
	tr->resume = req;
	b->trace_cont_at = tr->at;
	b->trace_cont_signal = sig;
	b->trace_cont_siginfo = tr->siginfo;
	b->state = RT_READY;
	b->trace_continue = true;
	return 0;
}

static long request(struct recorder *r, struct rthread *a, long req)
{
	pid_t pid = (pid_t)a->args[1];
	struct rthread *b = tracee_of(r, a, pid);
	struct user_regs_struct g;
	siginfo_t si;

	if (req == PTRACE_TRACEME)
		return traceme(r, a);
	switch (req) {
	case PTRACE_SETFPREGS: case PTRACE_SETSIGMASK:
		return refuse_request(r, a, req, "writes into the tracee's "
				      "floating-point state or signal mask are "
				      "not recorded yet");
	case PTRACE_ATTACH:
		return attach(r, a, pid);
	case PTRACE_SEIZE:
		return seize(r, a, pid);
	case PTRACE_SYSEMU: case PTRACE_SYSEMU_SINGLESTEP:
		return refuse_request(r, a, req, "emulating the tracee's "
				      "syscalls is not recorded yet");
	}
	/* The kernel's answer for a process that is not A's stopped tracee. */
	if (!b || (!b->tracee->has_stop && req != PTRACE_KILL &&
		   req != PTRACE_INTERRUPT))
		return -ESRCH;
	if (b->state == RT_GROUP_STOPPED &&
	    (req == PTRACE_CONT || req == PTRACE_SYSCALL || req == PTRACE_DETACH))
		return refuse_request(r, a, req, "resuming a tracee still in "
				      "its group-stop (before SIGCONT) is not "
				      "recorded yet");
	switch (req) {
	case PTRACE_CONT:
	case PTRACE_SYSCALL:
		return resume_tracee(b, req, (int)a->args[3]);
	case PTRACE_SINGLESTEP:
		if (b->tracee->at != TRACE_AT_SIGNAL && b->tracee->at != TRACE_AT_TRAP)
			return refuse_request(r, a, req, "stepping from a "
					      "syscall or event stop is not "
					      "recorded yet");
		return resume_tracee(b, req, (int)a->args[3]);
	case PTRACE_POKETEXT: case PTRACE_POKEDATA: {
		uint64_t word = a->args[3];
		return write_tracee(r, b, a->args[2], &word, 8);
	}
	case PTRACE_POKEUSER:
		return poke_user(r, a, b);
	case PTRACE_SETREGS: case PTRACE_SETREGSET:
		return set_regs_request(r, a, b, req);
	case PTRACE_SETSIGINFO:
		if (process_read_memory(a->proc, a->args[3], &si, sizeof(si)) !=
		    (ssize_t)sizeof(si))
			return -EFAULT;
		b->tracee->siginfo = si;
		return 0;
	case PTRACE_KILL:
		kill(b->tid, SIGKILL);
		return 0;
	case PTRACE_INTERRUPT:
		return interrupt(r, b);
	case PTRACE_LISTEN:
		return listen_(r, b);
	case PTRACE_DETACH: {
		long rc = resume_tracee(b, PTRACE_CONT, (int)a->args[3]);
		free(b->tracee);
		b->tracee = NULL;
		return rc;
	}
	case PTRACE_SETOPTIONS:
		if (check_options(r, a, req, a->args[3]) < 0)
			return -1;
		b->tracee->options = (uint32_t)a->args[3];
		return 0;
	case PTRACE_GETREGS:
		if (get_regs_of(b, &g) < 0)
			return -ESRCH;
		return give(r, a, a->args[3], &g, sizeof(g)) < 0 ? -EFAULT : 0;
	case PTRACE_PEEKTEXT: case PTRACE_PEEKDATA:
		return peek_data(r, a, b);
	case PTRACE_PEEKUSER:
		return peek_user(r, a, b);
	case PTRACE_GETSIGINFO:
		if (b->tracee->at != TRACE_AT_SIGNAL)
			memset(&si, 0, sizeof(si));
		else
			si = b->tracee->siginfo;
		if (b->tracee->at != TRACE_AT_SIGNAL) {
			si.si_signo = SIGTRAP;
			si.si_code = b->tracee->status >> 8;
		}
		return give(r, a, a->args[3], &si, sizeof(si)) < 0 ? -EFAULT : 0;
	case PTRACE_GETEVENTMSG:
		return give(r, a, a->args[3], &b->tracee->event_msg, 8) < 0
		       ? -EFAULT : 0;
	case PTRACE_GETREGSET:
	case PTRACE_GETFPREGS:
		if (req == PTRACE_GETFPREGS) {
			uint8_t fx[512];
			if (ptrace(PTRACE_GETFPREGS, b->tid, 0, fx) < 0)
				return -errno;
			return give(r, a, a->args[3], fx, sizeof(fx)) < 0
			       ? -EFAULT : 0;
		}
		return get_regset(r, a, b);
	case PTRACE_GET_SYSCALL_INFO:
		return syscall_info(r, a, b);
	default:
		return refuse_request(r, a, req, "not recorded yet");
	}
}

int rec_ptrace_entry(struct recorder *r, struct rthread *t)
{
	if (t->nr == SYS_wait4) {
		char err[256];
		int rc = wait_entry(r, t);
		if (rc > 0) {
			t->desc = syscall_check(t->nr, t->args, r->nevents,
						err, sizeof(err));
			t->skipped = true;
		}
		return rc;
	}
	if (t->nr != SYS_ptrace) {
		if (syscall_entry_stop(r, t))
			return 2;
		struct rec_tracee *tr = t->tracee;
		if (tr && (t->nr == SYS_exit_group || t->nr == SYS_exit) &&
		    tr->options & PTRACE_O_TRACEEXIT && !tr->exit_reported) {
			/* PTRACE_EVENT_EXIT, with the status to come. */
			tr->exit_reported = true;
			tr->event_msg = (t->args[0] & 0xff) << 8;
			return hold(r, t, TRACE_AT_EXIT_EVENT,
				    EVENT_STATUS(SIGTRAP, PTRACE_EVENT_EXIT))
			       < 0 ? -1 : 2;
		}
		return 0;
	}
	long res = request(r, t, (long)t->args[0]);
	if (r->res->failed)
		return -1;
	if (set_result(r, t, res) < 0)
		return -1;
	t->desc = &rec_ptrace_desc;
	t->skipped = true;
	return 1;
}

void rec_ptrace_forget(struct recorder *r, struct rthread *t, int status)
{
	if (t->tracee && !t->tracee->real_child &&
	    r->ntrace_exits < REC_MAX_TRACE_EXITS) {
		r->trace_exits[r->ntrace_exits++] = (struct rec_trace_exit){
			t->tracee->tracer_pid, t->tid, status };
		notify_tracer(r, t->tracee->tracer_pid, t->tid,
			      WIFSIGNALED(status) ? CLD_KILLED : CLD_EXITED,
			      WIFSIGNALED(status) ? WTERMSIG(status)
						  : WEXITSTATUS(status));
		wake_parked_waiters(r);
		interrupt_waiters(r, t->tracee->tracer_pid, t->tid);
	}
	free(t->tracee);
	t->tracee = NULL;
	if (t->tid != t->proc->pid)
		return;
	/* A tracer process gone: its tracees go on as if detached. */
	for (size_t i = 0; i < r->nthreads; i++) {
		struct rthread *b = &r->threads[i];
		if (!b->tracee || b->tracee->tracer_pid != t->proc->pid ||
		    b->state == RT_DEAD)
			continue;
		if (b->state == RT_TRACE_STOPPED)
			resume_tracee(b, PTRACE_CONT, 0);
		free(b->tracee);
		b->tracee = NULL;
	}
}
