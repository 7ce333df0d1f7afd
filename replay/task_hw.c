/* Hardware breakpoints and watchpoints: DR0-DR3 hold addresses, DR7 says
 * which are enabled and for what, DR6 says which fired.  Linux exposes
 * them through PTRACE_POKEUSER into struct user's u_debugreg, per thread,
 * and new threads start without them. */
#include "config.h"

#include "replay/task.h"
#include "replay/task_int.h"

#include <errno.h>
#include <stddef.h>
#include <sys/ptrace.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <signal.h>
#include <unistd.h>

#define DR6_HIT_MASK 0xfull

static long debugreg_offset(int i)
{
	return (long)(offsetof(struct user, u_debugreg) +
		      (size_t)i * sizeof(((struct user *)0)->u_debugreg[0]));
}

/* DR7 LEN encoding: 1 -> 00, 2 -> 01, 8 -> 10, 4 -> 11. */
static uint64_t len_bits(int len)
{
	switch (len) {
	case 2: return 1;
	case 8: return 2;
	case 4: return 3;
	default: return 0;
	}
}

static uint64_t dr7_for(const struct process *p)
{
	uint64_t dr7 = 0;

	for (int i = 0; i < TASK_NUM_DEBUGREGS; i++) {
		const struct hw_slot *s = &p->hw[i];
		if (!s->used)
			continue;
		dr7 |= 1ull << (2 * i);                         /* L<i> */
		dr7 |= (uint64_t)s->type << (16 + 4 * i);       /* R/W<i> */
		dr7 |= len_bits(s->len) << (18 + 4 * i);        /* LEN<i> */
	}
	return dr7;
}

static int poke_dr(struct process *p, struct task *t, int i, uint64_t v)
{
	if (ptrace(PTRACE_POKEUSER, t->tid, (void *)debugreg_offset(i),
		   (void *)(uintptr_t)v) < 0)
		return task_fail(p, errno, "poke DR%d(%d, 0x%llx)", i,
				 (int)t->tid, (unsigned long long)v);
	t->debugreg[i] = v;
	return 0;
}

int task_hw_apply(struct process *p, struct task *t)
{
	/* Disable first so that no address change meets an enabled slot
	 * with a stale length (the kernel validates each write). */
	int rc = poke_dr(p, t, 7, 0);

	for (int i = 0; i < TASK_NUM_DEBUGREGS && rc == 0; i++)
		if (p->hw[i].used)
			rc = poke_dr(p, t, i, p->hw[i].addr);
	uint64_t dr7 = dr7_for(p);
	if (rc == 0 && dr7)
		rc = poke_dr(p, t, 7, dr7);
	return rc;
}

static int apply_all(struct process *p)
{
	for (size_t i = 0; i < p->ntasks; i++) {
		struct task *t = &p->tasks[i];
		if (t->exited)
			continue;
		if (!t->stopped)
			return task_fail(p, ESRCH, "hw breakpoints: thread %d "
					 "is running", (int)t->tid);
		int rc = task_hw_apply(p, t);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static int check_hw_args(struct process *p, enum hw_type type, uint64_t addr,
			 int len)
{
	if (type != HW_EXECUTE && type != HW_WRITE && type != HW_ACCESS)
		return task_fail(p, EINVAL, "hw breakpoint type %d", (int)type);
	if (len != 1 && len != 2 && len != 4 && len != 8)
		return task_fail(p, EINVAL, "hw breakpoint length %d", len);
	if (type == HW_EXECUTE && len != 1)
		return task_fail(p, EINVAL, "hw execute breakpoint length %d",
				 len);
	if (addr % (uint64_t)len)
		return task_fail(p, EINVAL, "hw breakpoint 0x%llx not aligned "
				 "to %d", (unsigned long long)addr, len);
	return 0;
}

int process_insert_hw(struct process *p, enum hw_type type, uint64_t addr,
		      int len)
{
	int rc = check_hw_args(p, type, addr, len);
	if (rc < 0)
		return rc;
	int slot = -1;
	for (int i = 0; i < TASK_NUM_DEBUGREGS && slot < 0; i++)
		if (!p->hw[i].used)
			slot = i;
	if (slot < 0)
		return task_fail(p, ENOSPC, "process_insert_hw(%d): all debug "
				 "registers in use", (int)p->pid);
	p->hw[slot] = (struct hw_slot){ true, (int)type, addr, len };
	rc = apply_all(p);
	if (rc < 0) {
		p->hw[slot].used = false;
		apply_all(p);
	}
	return rc;
}

int process_remove_hw(struct process *p, enum hw_type type, uint64_t addr,
		      int len)
{
	for (int i = 0; i < TASK_NUM_DEBUGREGS; i++) {
		struct hw_slot *s = &p->hw[i];
		if (s->used && s->type == (int)type && s->addr == addr &&
		    s->len == len) {
			s->used = false;
			return apply_all(p);
		}
	}
	return task_fail(p, ENOENT, "process_remove_hw(%d, 0x%llx)",
			 (int)p->pid, (unsigned long long)addr);
}

int task_hw_hit(struct process *p, struct task *t, uint64_t *addr,
		enum hw_type *type)
{
	errno = 0;
	long dr6 = ptrace(PTRACE_PEEKUSER, t->tid, (void *)debugreg_offset(6), 0);
	if (errno)
		return task_fail(p, errno, "task_hw_hit(%d): DR6", (int)t->tid);
	poke_dr(p, t, 6, 0);
	for (int i = 0; i < TASK_NUM_DEBUGREGS; i++) {
		if (!((uint64_t)dr6 & DR6_HIT_MASK & (1ull << i)))
			continue;
		if (!p->hw[i].used)
			continue;
		if (addr)
			*addr = p->hw[i].addr;
		if (type)
			*type = (enum hw_type)p->hw[i].type;
		return i;
	}
	return -1;
}

/* A child that writes a watched variable three times: do the debug
 * registers fire?  Some VMs accept DR7 and never raise #DB. */
static volatile long probe_target;

int task_probe_hw_watch(void)
{
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (pid == 0) {
		if (ptrace(PTRACE_TRACEME, 0, 0, 0) < 0)
			_exit(2);
		raise(SIGSTOP);
		for (int i = 0; i < 3; i++)
			probe_target = i + 1;
		_exit(0);
	}
	int status, hits = 0;
	if (waitpid(pid, &status, 0) != pid || !WIFSTOPPED(status))
		return -1;
	unsigned long dr7 = 1ul | (1ul << 16) | (3ul << 18);   /* slot 0: write, 8 bytes */
	if (ptrace(PTRACE_POKEUSER, pid, offsetof(struct user, u_debugreg[0]),
		   (void *)&probe_target) < 0 ||
	    ptrace(PTRACE_POKEUSER, pid, offsetof(struct user, u_debugreg[7]),
		   (void *)dr7) < 0) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		return 0;
	}
	for (;;) {
		if (ptrace(PTRACE_CONT, pid, 0, 0) < 0 ||
		    waitpid(pid, &status, 0) != pid || !WIFSTOPPED(status))
			break;
		hits += WSTOPSIG(status) == SIGTRAP;
	}
	return hits == 3 ? 1 : 0;
}
