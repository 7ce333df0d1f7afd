/* Remote syscalls: make a stopped tracee run one syscall for us.
 *
 * `syscall; int3` is written over the start of an executable mapping, the
 * registers point there with the arguments loaded, and the task runs until
 * the int3 traps.  orig_rax = -1 keeps the kernel's syscall-restart logic
 * (which would rewind rip and reload rax from orig_rax) out of the way.
 * Everything is saved before and restored after. */
#include "config.h"

#include "replay/task.h"
#include "replay/task_int.h"

#include <elf.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#define USER_CS_64 0x33
static const uint8_t syscall_int3[3] = { 0x0f, 0x05, 0xcc };

/* First r-xp file or anonymous mapping, not a kernel special one. */
static uint64_t find_code_address(struct process *p)
{
	char path[64], line[512];

	snprintf(path, sizeof(path), "/proc/%d/maps", (int)p->pid);
	FILE *f = fopen(path, "re");
	if (!f)
		return 0;
	uint64_t found = 0;
	while (!found && fgets(line, sizeof(line), f)) {
		unsigned long start, end;
		char perms[5];
		int name_at = 0;
		if (sscanf(line, "%lx-%lx %4s %*s %*s %*s %n", &start, &end,
			   perms, &name_at) < 3)
			continue;
		if (strcmp(perms, "r-xp") != 0 || end - start < sizeof(syscall_int3))
			continue;
		if (name_at > 0 && line[name_at] == '[')
			continue;
		found = start;
	}
	fclose(f);
	return found;
}

static int sigmask_get(pid_t tid, uint64_t *mask)
{
	return ptrace(PTRACE_GETSIGMASK, tid, (void *)sizeof(*mask), mask) < 0
	       ? -errno : 0;
}

static int sigmask_set(pid_t tid, uint64_t mask)
{
	return ptrace(PTRACE_SETSIGMASK, tid, (void *)sizeof(mask), &mask) < 0
	       ? -errno : 0;
}

/* ---- running the tracee until the stop we want ------------------------------- */

enum remote_goal { GOAL_TRAP, GOAL_SYSCALL_EXIT, GOAL_SYSCALL_ENTRY,
		   GOAL_SECCOMP_ENTRY };

static bool syscall_stop_op_is(pid_t tid, int op)
{
	struct __ptrace_syscall_info info;

	if (ptrace(PTRACE_GET_SYSCALL_INFO, tid, sizeof(info), &info) <= 0)
		return false;
	return info.op == op;
}

static bool reached_goal(struct remote_session *s, enum remote_goal goal,
			 int status)
{
	pid_t tid = s->t->tid;

	if (goal == GOAL_TRAP) {
		struct user_regs_struct r;
		if (WSTOPSIG(status) != SIGTRAP || (status >> 16) != 0 ||
		    ptrace(PTRACE_GETREGS, tid, 0, &r) < 0)
			return false;
		return r.rip == s->code_addr + sizeof(syscall_int3);
	}
	if (goal == GOAL_SECCOMP_ENTRY)
		return status >> 8 == (SIGTRAP | (PTRACE_EVENT_SECCOMP << 8));
	if (WSTOPSIG(status) != (SIGTRAP | 0x80))
		return false;
	return syscall_stop_op_is(tid, goal == GOAL_SYSCALL_ENTRY ?
				  PTRACE_SYSCALL_INFO_ENTRY :
				  PTRACE_SYSCALL_INFO_EXIT);
}

/* A signal other than ours arrived while the tracee ran for us: it can not
 * be delivered now, so it is sent again once everything is restored. */
static void defer_signal(struct remote_session *s, int sig)
{
	for (int i = 0; i < s->ndeferred; i++)
		if (s->deferred_signals[i] == sig)
			return;
	if (s->ndeferred < (int)(sizeof(s->deferred_signals) /
				 sizeof(s->deferred_signals[0])))
		s->deferred_signals[s->ndeferred++] = sig;
}

static int run_until(struct remote_session *s, enum __ptrace_request req,
		     enum remote_goal goal)
{
	struct process *p = s->p;
	struct task *t = s->t;

	for (;;) {
		int status;
		if (ptrace(req, t->tid, 0, 0) < 0)
			return task_fail(p, errno, "remote syscall(%d): resume",
					 (int)t->tid);
		int rc = task_wait_status(t->tid, &status);
		if (rc < 0)
			return task_fail(p, -rc, "remote syscall(%d): wait",
					 (int)t->tid);
		if (WIFEXITED(status) || WIFSIGNALED(status)) {
			task_mark_exited(p, t, status);
			return task_fail(p, ESRCH, "remote syscall(%d): task "
					 "ended (status 0x%x)", (int)t->tid,
					 status);
		}
		if (reached_goal(s, goal, status))
			return 0;
		int sig = WSTOPSIG(status);
		int event = status >> 16;
		if (event == PTRACE_EVENT_STOP)
			t->interrupt_pending = false;
		else if (!event && sig != SIGTRAP && sig != (SIGTRAP | 0x80))
			defer_signal(s, sig);
		/* Event stops, syscall stops and our own stray traps (a
		 * watchpoint hit by the kernel on our behalf) just go on. */
	}
}

/* ---- session ------------------------------------------------------------------------ */

static int save_state(struct remote_session *s)
{
	struct process *p = s->p;
	struct task *t = s->t;
	int rc;

	if ((rc = task_get_gregs(p, t, &s->saved_regs)) < 0)
		return rc;
	if (s->saved_regs.cs != USER_CS_64)
		return task_fail(p, ENOTSUP, "remote syscall(%d): not a 64-bit "
				 "task (cs 0x%llx)", (int)t->tid,
				 (unsigned long long)s->saved_regs.cs);
	s->xstate_len = p->layout.max_size;
	if (s->xstate_len) {
		s->saved_xstate = calloc(1, s->xstate_len);
		if (!s->saved_xstate)
			return task_fail(p, ENOMEM, "remote syscall(%d)",
					 (int)t->tid);
		ssize_t n = task_get_xstate(p, t, s->saved_xstate,
					    s->xstate_len);
		if (n < 0)
			return (int)n;
		s->xstate_len = (size_t)n;
	}
	if ((rc = sigmask_get(t->tid, &s->saved_mask)) < 0)
		return task_fail(p, -rc, "remote syscall(%d): GETSIGMASK",
				 (int)t->tid);
	/* Resuming a signal-delivery-stop delivers last_siginfo; our own
	 * SIGTRAP stop would replace it. */
	if (t->last_stop.kind == TASK_STOP_SIGNAL)
		s->have_siginfo = ptrace(PTRACE_GETSIGINFO, t->tid, 0,
					 &s->saved_siginfo) == 0;
	s->state_saved = true;
	return 0;
}

static int plant_code(struct remote_session *s)
{
	struct process *p = s->p;

	if (!p->rsys_addr)
		p->rsys_addr = find_code_address(p);
	if (!p->rsys_addr)
		return task_fail(p, ENOEXEC, "remote syscall(%d): no executable "
				 "mapping", (int)p->pid);
	s->code_addr = p->rsys_addr;
	if (task_mem_read_raw(p, s->code_addr, s->saved_code,
			      sizeof(s->saved_code)) != sizeof(s->saved_code) ||
	    task_mem_write_raw(p, s->code_addr, syscall_int3,
			       sizeof(syscall_int3)) != sizeof(syscall_int3)) {
		s->code_addr = 0;
		return task_fail(p, EIO, "remote syscall(%d): writing code at "
				 "0x%llx", (int)p->pid,
				 (unsigned long long)p->rsys_addr);
	}
	return 0;
}

/* Do the task's registers still point after a syscall instruction, as
 * its bytes are now?  Not when a signal handler was entered at the stop
 * (the replayer writes the handler's registers there), nor under a
 * breakpoint's int3. */
static bool after_syscall_insn(struct remote_session *s)
{
	uint8_t insn[2];

	return task_mem_read_raw(s->p, s->saved_regs.rip - 2, insn, 2) == 2 &&
	       task_syscall_insn(insn);
}

/* At syscall-entry the kernel is about to run the task's own syscall; with
 * orig_rax = -1 it skips it and we continue from syscall-exit. */
static int leave_syscall_entry(struct remote_session *s)
{
	struct user_regs_struct r = s->saved_regs;
	int rc;

	r.orig_rax = (unsigned long long)-1;
	if ((rc = task_set_gregs(s->p, s->t, &r)) < 0)
		return rc;
	return run_until(s, PTRACE_SYSCALL, GOAL_SYSCALL_EXIT);
}

/* Event stops inside a syscall (exec, clone, fork) come before the kernel
 * stores the syscall's return value in rax, so it would overwrite our
 * syscall number.  Let that syscall finish first; the task keeps its
 * result in the restored registers.  Only rax differs from before. */
static int finish_syscall(struct remote_session *s)
{
	struct user_regs_struct r;
	int rc = run_until(s, PTRACE_SYSCALL, GOAL_SYSCALL_EXIT);

	if (rc == 0)
		rc = task_get_gregs(s->p, s->t, &r);
	if (rc == 0) {
		s->saved_regs.rax = r.rax;
		/* No longer inside the syscall: from now on the task is in
		 * a plain stop with nothing to deliver. */
		s->t->last_stop.kind = TASK_STOP_INTERRUPT;
		s->t->last_stop.event = PTRACE_EVENT_STOP;
		s->t->last_stop.signo = SIGTRAP;
	}
	return rc;
}

static bool stop_inside_syscall(const struct task_stop *st)
{
	return st->kind == TASK_STOP_EXEC ||
	       (st->kind == TASK_STOP_CLONE && st->event != PTRACE_EVENT_VFORK);
}

/* Stops from which no syscall can be run. */
static bool stop_unusable(const struct task_stop *st)
{
	return st->kind == TASK_STOP_EXIT_EVENT ||
	       st->kind == TASK_STOP_SECCOMP ||
	       (st->kind == TASK_STOP_CLONE && st->event == PTRACE_EVENT_VFORK);
}

int task_remote_begin(struct remote_session *s, struct process *p,
		      struct task *t)
{
	bool entry;
	int rc;

	memset(s, 0, sizeof(*s));
	s->p = p;
	s->t = t;
	if (t->exited || !t->stopped)
		return task_fail(p, ESRCH, "remote syscall(%d): not stopped",
				 (int)t->tid);
	if (stop_unusable(&t->last_stop))
		return task_fail(p, ENOTSUP, "remote syscall(%d): not from this "
				 "kind of stop (%d)", (int)t->tid,
				 (int)t->last_stop.kind);
	if ((rc = save_state(s)) < 0)
		goto fail;
	/* SIGTRAP stays unblocked: the kernel resets the handler of a
	 * blocked synchronous signal to SIG_DFL when forcing it. */
	uint64_t block = ~0ull & ~(1ull << (SIGTRAP - 1));
	if ((rc = sigmask_set(t->tid, block)) < 0) {
		rc = task_fail(p, -rc, "remote syscall(%d): SETSIGMASK",
			       (int)t->tid);
		goto fail;
	}
	/* A seccomp filter's stop is an entry too (process.seccomp_stops). */
	entry = t->last_stop.kind == TASK_STOP_SYSCALL &&
		t->last_stop.in_syscall_entry &&
		(syscall_stop_op_is(t->tid, PTRACE_SYSCALL_INFO_ENTRY) ||
		 syscall_stop_op_is(t->tid, PTRACE_SYSCALL_INFO_SECCOMP));
	/* Read before our code may cover it. */
	s->entry_own_insn = entry && after_syscall_insn(s);
	if ((rc = plant_code(s)) < 0)
		goto fail;
	s->was_syscall_entry = entry;
	s->entry_emulated = t->last_resume == TASK_RESUME_SYSEMU ||
			    t->last_resume == TASK_RESUME_SYSEMU_SINGLESTEP;
	if (s->was_syscall_entry && (rc = leave_syscall_entry(s)) < 0)
		goto fail;
	if (stop_inside_syscall(&t->last_stop) && (rc = finish_syscall(s)) < 0)
		goto fail;
	return 0;
fail:
	s->failed = true;
	task_remote_end(s);
	return rc;
}

int task_remote_call(struct remote_session *s, long nr, const long args[6],
		     long *result)
{
	struct user_regs_struct r = s->saved_regs;
	int rc;

	if (!s->code_addr || s->t->exited)
		return task_fail(s->p, EINVAL, "remote syscall: no session");
	r.rax = (unsigned long long)nr;
	r.rdi = (unsigned long long)args[0];
	r.rsi = (unsigned long long)args[1];
	r.rdx = (unsigned long long)args[2];
	r.r10 = (unsigned long long)args[3];
	r.r8 = (unsigned long long)args[4];
	r.r9 = (unsigned long long)args[5];
	r.rip = s->code_addr;
	r.orig_rax = (unsigned long long)-1;
	rc = task_set_gregs(s->p, s->t, &r);
	if (rc == 0)
		rc = run_until(s, PTRACE_CONT, GOAL_TRAP);
	if (rc == 0)
		rc = task_get_gregs(s->p, s->t, &r);
	if (rc < 0) {
		s->failed = true;
		return rc;
	}
	*result = (long)r.rax;
	return 0;
}

/* Put the task back into the syscall-entry stop it was in: run a syscall
 * instruction (its own at rip - 2, else our planted one) with rax = the
 * syscall number, under PTRACE_SYSEMU if that is how it got there; the
 * caller then puts its registers back.  The kernel decides at the stop
 * whether the call runs when the task resumes: reached under
 * PTRACE_SYSCALL, a later PTRACE_SYSEMU resume would perform it. */
static int reenter_syscall(struct remote_session *s)
{
	struct user_regs_struct r = s->saved_regs;
	int rc;

	r.rip = s->entry_own_insn ? r.rip - 2 : s->code_addr;
	if (!r.rip)
		return task_fail(s->p, ENOTSUP, "remote syscall(%d): no syscall "
				 "instruction to re-enter through (rip 0x%llx)",
				 (int)s->t->tid,
				 (unsigned long long)s->saved_regs.rip);
	r.rax = s->saved_regs.orig_rax;
	if ((rc = task_set_gregs(s->p, s->t, &r)) < 0)
		return rc;
	/* Under a seccomp filter the entry the tracer knows is the filter's
	 * stop, which comes after PTRACE_SYSCALL's entry stop. */
	if (s->p->seccomp_stops && !s->entry_emulated)
		return run_until(s, PTRACE_CONT, GOAL_SECCOMP_ENTRY);
	return run_until(s, s->entry_emulated ? PTRACE_SYSEMU : PTRACE_SYSCALL,
			 GOAL_SYSCALL_ENTRY);
}

static void keep_first(int *rc, int r)
{
	if (*rc == 0 && r < 0)
		*rc = r;
}

int task_remote_end(struct remote_session *s)
{
	struct process *p = s->p;
	struct task *t = s->t;
	char first_err[sizeof(p->err)];
	int rc = 0;

	/* The failure that ended the session is the one worth reporting. */
	memcpy(first_err, p->err, sizeof(first_err));
	/* Before the code goes: the re-entry may need its syscall. */
	if (s->was_syscall_entry && s->state_saved && !t->exited)
		keep_first(&rc, reenter_syscall(s));
	if (s->code_addr && !p->exited &&
	    task_mem_write_raw(p, s->code_addr, s->saved_code,
			       sizeof(s->saved_code)) !=
	    (ssize_t)sizeof(s->saved_code))
		rc = task_fail(p, EIO, "remote syscall(%d): restoring code at "
			       "0x%llx", (int)p->pid,
			       (unsigned long long)s->code_addr);
	if (t->exited || !s->state_saved)
		goto out;
	keep_first(&rc, task_set_gregs(p, t, &s->saved_regs));
	if (s->saved_xstate)
		keep_first(&rc, task_set_xstate(p, t, s->saved_xstate,
						s->xstate_len));
	int m = sigmask_set(t->tid, s->saved_mask);
	if (m < 0)
		keep_first(&rc, task_fail(p, -m, "remote syscall(%d): "
					  "restoring mask", (int)t->tid));
	if (s->have_siginfo)
		ptrace(PTRACE_SETSIGINFO, t->tid, 0, &s->saved_siginfo);
	for (int i = 0; i < s->ndeferred; i++)
		syscall(SYS_tgkill, p->pid, t->tid, s->deferred_signals[i]);
out:
	if (s->failed)
		memcpy(p->err, first_err, sizeof(first_err));
	free(s->saved_xstate);
	s->saved_xstate = NULL;
	s->code_addr = 0;
	return rc;
}

int task_remote_syscall(struct process *p, struct task *t, long nr,
			const long args[6], long *result)
{
	struct remote_session s;
	int rc = task_remote_begin(&s, p, t);

	if (rc < 0)
		return rc;
	rc = task_remote_call(&s, nr, args, result);
	int end = task_remote_end(&s);
	return rc < 0 ? rc : end;
}
