/* Running a diversion under its syscall policy (replay/diversion_run.h).
 *
 * The copy runs under PTRACE_SYSCALL.  A syscall the policy answers
 * itself is skipped at its entry stop (orig_rax = -1, so the kernel runs
 * nothing) and gets its result written into rax at the exit stop. */
#include "config.h"

#include "replay/diversion_run.h"
#include "replay/install_paths.h"
#include "replay/task_int.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

#define SYNTHETIC_TSC_STEP 1000u

static struct task *copy_task(struct process *copy)
{
	return copy->ntasks ? &copy->tasks[0] : NULL;
}

/* ---- syscall policy --------------------------------------------------------- */

enum verdict { PERFORM, ANSWER };

/* A pid argument naming the replayed process/thread becomes the copy's;
 * any other target is outside the diversion. */
static bool own_pid(const struct diversion_env *env, long pid)
{
	return pid == env->recorded_pid || pid == env->recorded_tid;
}

static enum verdict signal_policy(struct process *copy,
				  struct diversion_env *env,
				  struct user_regs_struct *g, bool *changed)
{
	long nr = (long)g->orig_rax;
	if (nr == SYS_tgkill || nr == SYS_rt_tgsigqueueinfo) {
		if (!own_pid(env, (long)g->rdi) || !own_pid(env, (long)g->rsi))
			return ANSWER;
		g->rdi = g->rsi = (unsigned long long)copy->pid;
	} else {
		if (!own_pid(env, (long)g->rdi))
			return ANSWER;
		g->rdi = (unsigned long long)copy->pid;
	}
	*changed = true;
	return PERFORM;
}

/* fds 1 and 2: show the bytes on our streams, as the replay echoes. */
static long emulate_write(struct process *copy, struct diversion_env *env,
			  const struct user_regs_struct *g)
{
	FILE *f = g->rdi == 1 ? env->out : env->err;
	size_t len = g->rdx > (1u << 20) ? (1u << 20) : (size_t)g->rdx;
	char *buf = malloc(len ? len : 1);
	if (!buf)
		return -ENOMEM;
	ssize_t n = process_read_memory(copy, g->rsi, buf, len);
	if (n > 0 && f) {
		fwrite(buf, 1, (size_t)n, f);
		fflush(f);
	}
	free(buf);
	return n < 0 ? -EFAULT : n;
}

static enum verdict policy(struct process *copy, struct diversion_env *env,
			   struct user_regs_struct *g, long *result,
			   bool *changed)
{
	switch ((long)g->orig_rax) {
	case SYS_getpid:
		*result = env->recorded_pid;
		return ANSWER;
	case SYS_gettid:
		*result = env->recorded_tid;
		return ANSWER;
	case SYS_fork: case SYS_vfork: case SYS_clone: case SYS_clone3:
		*result = -ENOSYS;
		return ANSWER;
	case SYS_kill: case SYS_tkill: case SYS_tgkill:
	case SYS_rt_sigqueueinfo: case SYS_rt_tgsigqueueinfo:
		*result = -ENOSYS;
		return signal_policy(copy, env, g, changed);
	case SYS_write:
		if (g->rdi != 1 && g->rdi != 2)
			return PERFORM;
		*result = emulate_write(copy, env, g);
		return ANSWER;
	case SYS_read: case SYS_readv: case SYS_pread64:
		if (g->rdi != 0)
			return PERFORM;
		*result = 0;
		return ANSWER;
	default:
		return PERFORM;
	}
}

static int syscall_entry(struct process *copy, struct diversion_env *env,
			 struct task *t)
{
	struct user_regs_struct g;
	long result = 0;
	bool changed = false;
	if (task_get_gregs(copy, t, &g) < 0)
		return -1;
	env->syscalls++;
	if (policy(copy, env, &g, &result, &changed) == ANSWER) {
		env->denied++;
		env->emulating = true;
		env->emulated_result = result;
		g.orig_rax = (unsigned long long)-1;
		changed = true;
	}
	return changed ? task_set_gregs(copy, t, &g) : 0;
}

static int syscall_exit(struct process *copy, struct diversion_env *env,
			struct task *t)
{
	struct user_regs_struct g;
	if (!env->emulating)
		return 0;
	env->emulating = false;
	if (task_get_gregs(copy, t, &g) < 0)
		return -1;
	g.rax = (unsigned long long)env->emulated_result;
	return task_set_gregs(copy, t, &g);
}

/* ---- rdtsc ---------------------------------------------------------------------- */

/* 1: an rdtsc/rdtscp was answered; 0: a real SIGSEGV; -1: error. */
static int emulate_rdtsc(struct process *copy, struct diversion_env *env,
			 struct task *t)
{
	struct user_regs_struct g;
	uint8_t insn[3] = { 0 };
	if (task_get_gregs(copy, t, &g) < 0)
		return -1;
	if (process_read_memory_clean(copy, g.rip, insn, 3) < 2)
		return 0;
	bool rdtscp = insn[0] == 0x0f && insn[1] == 0x01 && insn[2] == 0xf9;
	if (!rdtscp && !(insn[0] == 0x0f && insn[1] == 0x31))
		return 0;
	env->tsc += SYNTHETIC_TSC_STEP;
	env->rdtscs++;
	g.rax = env->tsc & 0xffffffffu;
	g.rdx = env->tsc >> 32;
	if (rdtscp)
		g.rcx = 0;
	g.rip += rdtscp ? 3 : 2;
	return task_set_gregs(copy, t, &g) < 0 ? -1 : 1;
}

/* ---- the run loop ------------------------------------------------------------------ */

static bool at_syscall_insn(struct process *copy, struct task *t)
{
	struct user_regs_struct g;
	uint8_t insn[2];
	return task_get_gregs(copy, t, &g) == 0 &&
	       process_read_memory_clean(copy, g.rip, insn, 2) == 2 &&
	       insn[0] == 0x0f && insn[1] == 0x05;
}

/* Stepping onto a syscall instruction runs it under PTRACE_SYSCALL so
 * that the policy still applies; the step ends at its exit stop. */
static int continue_copy(struct process *copy, struct diversion_env *env,
			 struct task *t, int signo)
{
	enum task_resume_mode mode = TASK_RESUME_SYSCALL;
	if (env->stepping && !at_syscall_insn(copy, t))
		mode = TASK_RESUME_SINGLESTEP;
	if (task_resume(copy, t, mode, signo) < 0)
		return -1;
	env->running = true;
	return 0;
}

int diversion_resume(struct process *copy, struct diversion_env *env,
		     bool step, int signo)
{
	struct task *t = copy_task(copy);
	if (!t || t->exited)
		return task_fail(copy, ESRCH, "diversion %d: no thread left",
				 (int)copy->pid);
	env->stepping = step;
	return continue_copy(copy, env, t, signo);
}

static void fill(struct diversion_stop *stop, enum diversion_stop_kind kind,
		 int signo)
{
	memset(stop, 0, sizeof(*stop));
	stop->kind = kind;
	stop->signo = signo;
}

/* SIGTRAP: our breakpoint, a debug register, a finished step, or the
 * program's own trap. */
static void classify_trap(struct process *copy, struct diversion_env *env,
			  struct task *t, struct diversion_stop *stop)
{
	struct user_regs_struct g;
	uint64_t addr;
	enum hw_type type;
	if (task_hw_hit(copy, t, &addr, &type) >= 0) {
		fill(stop, DIVERSION_STOP_HW_BREAK, SIGTRAP);
		stop->addr = addr;
		stop->hw_type = (int)type;
		return;
	}
	if (task_get_gregs(copy, t, &g) == 0 &&
	    process_has_breakpoint(copy, g.rip - 1) &&
	    t->last_stop.siginfo.si_code != TRAP_TRACE) {
		g.rip -= 1;
		task_set_gregs(copy, t, &g);
		fill(stop, DIVERSION_STOP_BREAKPOINT, SIGTRAP);
		return;
	}
	fill(stop, env->stepping ? DIVERSION_STOP_STEP
				 : DIVERSION_STOP_SIGNAL, SIGTRAP);
}

/* 1: report *stop; 0: resumed, keep waiting; -1: error. */
static int handle_stop(struct process *copy, struct diversion_env *env,
		       const struct task_stop *ts, struct diversion_stop *stop)
{
	struct task *t = copy_task(copy);
	switch (ts->kind) {
	case TASK_STOP_EXITED:
	case TASK_STOP_KILLED:
		fill(stop, ts->kind == TASK_STOP_EXITED ? DIVERSION_STOP_EXITED
						       : DIVERSION_STOP_KILLED,
		     ts->signo);
		stop->status = ts->raw_status;   /* a wait status */
		return 1;
	case TASK_STOP_SYSCALL:
		if ((ts->in_syscall_entry ? syscall_entry(copy, env, t)
					  : syscall_exit(copy, env, t)) < 0)
			return -1;
		if (!ts->in_syscall_entry && env->stepping) {
			fill(stop, DIVERSION_STOP_STEP, SIGTRAP);
			return 1;
		}
		return continue_copy(copy, env, t, 0) < 0 ? -1 : 0;
	case TASK_STOP_SIGNAL:
		if (ts->signo == SIGSEGV) {
			int rc = emulate_rdtsc(copy, env, t);
			if (rc < 0)
				return -1;
			if (rc > 0 && env->stepping) {
				fill(stop, DIVERSION_STOP_STEP, SIGTRAP);
				return 1;
			}
			if (rc > 0)
				return continue_copy(copy, env, t, 0) < 0 ? -1 : 0;
		}
		if (ts->signo == SIGTRAP) {
			classify_trap(copy, env, t, stop);
			return 1;
		}
		fill(stop, DIVERSION_STOP_SIGNAL, ts->signo);
		stop->addr = (uint64_t)(uintptr_t)ts->siginfo.si_addr;
		return 1;
	case TASK_STOP_INTERRUPT:
		if (env->stepping) {
			fill(stop, DIVERSION_STOP_STEP, SIGTRAP);
			return 1;
		}
		return continue_copy(copy, env, t, 0) < 0 ? -1 : 0;
	default:
		/* Exit events, group stops: nothing to show. */
		return continue_copy(copy, env, t, 0) < 0 ? -1 : 0;
	}
}

static int next_stop(struct process *copy, struct task_stop *ts, int ifd)
{
	if (ifd < 0)
		return process_wait(copy, ts, 0) == 1 ? 1 : -1;
	for (int idle = 0;; idle++) {
		int n = process_wait(copy, ts, WNOHANG);
		if (n != 0)
			return n == 1 ? 1 : -1;
		struct pollfd pfd = { .fd = ifd, .events = POLLIN };
		if (poll(&pfd, 1, idle < 8 ? idle : 10) > 0)
			return 0;
	}
}

int diversion_wait(struct process *copy, struct diversion_env *env,
		   struct diversion_stop *stop, int interrupt_fd)
{
	for (;;) {
		struct task_stop ts;
		int n = next_stop(copy, &ts, interrupt_fd);
		if (n == 0) {
			fill(stop, DIVERSION_STOP_INTERRUPTED, 0);
			return 0;
		}
		int rc = n < 0 ? -1 : handle_stop(copy, env, &ts, stop);
		if (rc < 0) {
			env->running = false;
			fill(stop, DIVERSION_STOP_ERROR, 0);
			snprintf(stop->message, sizeof(stop->message),
				 "diversion %d: %s", (int)copy->pid,
				 copy->err[0] ? copy->err : strerror(errno));
			return 0;
		}
		if (rc > 0) {
			env->running = false;
			return 0;
		}
	}
}

int diversion_interrupt(struct process *copy, struct diversion_env *env)
{
	if (!env->running)
		return 0;
	env->running = false;
	return process_stop_all(copy);
}

void diversion_describe_status(char *out, size_t len, int status)
{
	if (WIFSIGNALED(status))
		snprintf(out, len, "killed by signal %d (%s)", WTERMSIG(status),
			 strsignal(WTERMSIG(status)));
	else
		snprintf(out, len, "exited with status %d", WEXITSTATUS(status));
}

/* ---- the checksum implant ------------------------------------------------------------ */

int diversion_checksum_implant_path(char *out, size_t len, char *err,
				    size_t errlen)
{
	return install_find_private_file("xrr-checksum.so", "implants",
					 "XRR_CHECKSUM_IMPLANT",
					 "checksum implant", out, len, err,
					 errlen);
}
