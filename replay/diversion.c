/* Process copies for diversions.
 *
 * clone() is injected into a stopped task through a remote-syscall
 * session.  Both sides of the fork return onto the session's `int3` after
 * `syscall`; the child must never get there untraced (SIGTRAP would kill
 * it), so CLONE_PTRACE makes it ours from birth: a seized tracee's child
 * starts with a ptrace trap stop before its first user instruction.  The
 * child then gets the registers, xstate, mask and code bytes that the
 * session saved from the parent before it planted anything. */
#include "config.h"

#include "replay/diversion.h"
#include "replay/task_int.h"

#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>

static void reap_pid(pid_t pid)
{
	int status;

	kill(pid, SIGKILL);
	while (task_wait_status(pid, &status) == 0 && WIFSTOPPED(status))
		;
}

/* A struct process describing the stopped child, sharing the parent's
 * view of the (copied) address space. */
static void init_copy(struct process *copy, const struct process *orig,
		      pid_t pid, int status)
{
	memset(copy, 0, sizeof(*copy));
	copy->pid = pid;
	copy->mem_fd = -1;
	copy->layout = orig->layout;
	copy->rsys_addr = orig->rsys_addr;
	/* The int3 bytes of software breakpoints were copied with memory. */
	memcpy(copy->bps, orig->bps, sizeof(orig->bps[0]) * orig->nbps);
	copy->nbps = orig->nbps;
	/* Debug registers are not inherited by fork; task_hw_apply below
	 * programs them from these slots. */
	memcpy(copy->hw, orig->hw, sizeof(copy->hw));

	struct task *ct = &copy->tasks[0];
	copy->ntasks = 1;
	ct->tid = pid;
	ct->stopped = true;
	ct->last_stop.tid = pid;
	ct->last_stop.kind = TASK_STOP_INTERRUPT;
	ct->last_stop.event = PTRACE_EVENT_STOP;
	ct->last_stop.signo = WSTOPSIG(status);
	ct->last_stop.raw_status = status;
}

/* Is there a syscall instruction before rip (under a breakpoint's int3
 * too)?  Not when the registers were set to a signal handler's. */
static bool follows_syscall(struct process *p, uint64_t rip)
{
	uint8_t b[2];

	return process_read_memory_clean(p, rip - 2, b, 2) == 2 &&
	       task_syscall_insn(b);
}

/* Give the stopped child the parent's pre-injection state. */
static int restore_child(struct remote_session *s, struct process *copy)
{
	struct task *ct = &copy->tasks[0];
	struct user_regs_struct r = s->saved_regs;
	int rc;

	if (s->code_addr &&
	    task_mem_write_raw(copy, s->code_addr, s->saved_code,
			       sizeof(s->saved_code)) !=
	    (ssize_t)sizeof(s->saved_code))
		return task_fail(copy, EIO, "diversion_fork(%d): restoring "
				 "code at 0x%llx", (int)copy->pid,
				 (unsigned long long)s->code_addr);
	if (s->was_syscall_entry && follows_syscall(copy, r.rip)) {
		/* The parent goes back into its syscall-entry stop; the copy
		 * has no such stop, so it re-executes the syscall. */
		r.rip -= 2;
		r.rax = r.orig_rax;
		r.orig_rax = (unsigned long long)-1;
	} else if (s->was_syscall_entry) {
		/* A signal handler was entered at the stop: the parent skips
		 * the call and runs the handler, and so does the copy (no
		 * syscall restart on its way out of its first stop). */
		r.orig_rax = (unsigned long long)-1;
	}
	if ((rc = task_set_gregs(copy, ct, &r)) < 0)
		return rc;
	if (s->saved_xstate &&
	    (rc = task_set_xstate(copy, ct, s->saved_xstate,
				  s->xstate_len)) < 0)
		return rc;
	if (ptrace(PTRACE_SETSIGMASK, copy->pid, (void *)sizeof(s->saved_mask),
		   &s->saved_mask) < 0)
		return task_fail(copy, errno, "diversion_fork(%d): "
				 "SETSIGMASK", (int)copy->pid);
	return task_hw_apply(copy, ct);
}

static int adopt_child(struct remote_session *s, pid_t pid,
		       struct process *copy)
{
	struct process *orig = s->p;
	int status;
	int rc = task_wait_status(pid, &status);

	if (rc < 0)
		return task_fail(orig, -rc, "diversion_fork: waitpid(%d)",
				 (int)pid);
	if (!WIFSTOPPED(status))
		return task_fail(orig, ECHILD, "diversion_fork: copy %d ended "
				 "before its first stop (status 0x%x)",
				 (int)pid, status);
	init_copy(copy, orig, pid, status);
	if ((rc = restore_child(s, copy)) < 0) {
		memcpy(orig->err, copy->err, sizeof(orig->err));
		reap_pid(pid);
		copy->exited = true;
		copy->tasks[0].exited = true;
		return rc;
	}
	return 0;
}

static long inject_clone(struct remote_session *s, long flags, long *child)
{
	const long args[6] = { flags, 0, 0, 0, 0, 0 };

	return task_remote_call(s, SYS_clone, args, child);
}

int diversion_fork(struct process *orig, struct task *t, struct process *copy)
{
	struct remote_session s;
	long child = 0;
	int rc = task_remote_begin(&s, orig, t);

	if (rc < 0)
		return rc;
	/* CLONE_PARENT: the copy is a sibling, not a child, of the replayed
	 * process, whose wait()s and SIGCHLDs must not see it.  Init
	 * processes may not use it (EINVAL): then a plain child. */
	rc = (int)inject_clone(&s, CLONE_PARENT | CLONE_PTRACE | SIGCHLD,
			       &child);
	if (rc == 0 && child == -EINVAL)
		rc = (int)inject_clone(&s, CLONE_PTRACE | SIGCHLD, &child);
	if (rc == 0 && child < 0)
		rc = task_fail(orig, (int)-child, "diversion_fork(%d): clone",
			       (int)t->tid);
	if (rc == 0)
		rc = adopt_child(&s, (pid_t)child, copy);
	int end = task_remote_end(&s);
	if (rc == 0 && end < 0) {
		diversion_kill(copy);
		rc = end;
	}
	return rc;
}

void diversion_kill(struct process *copy)
{
	process_kill(copy);
	process_free(copy);
}
