/* ptrace task layer: spawning, stops, resuming and registers.
 *
 * Tasks are attached with PTRACE_SEIZE, so group-stops and PTRACE_INTERRUPT
 * stops arrive as PTRACE_EVENT_STOP and never look like signals. */
#include "config.h"

#include "replay/task.h"
#include "replay/task_int.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include <elf.h>

extern char **environ;

int task_fail(struct process *p, int err, const char *fmt, ...)
{
	va_list ap;
	char what[192];

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (p)
		snprintf(p->err, sizeof(p->err), "%s: %s", what,
			 strerror(err));
	return -err;
}

/* ---- stops kept for later ---------------------------------------------
 *
 * waitpid(-1) may return a thread we do not know yet (a new thread's first
 * stop can precede its creator's clone event) or one of another traced
 * process.  Such statuses wait here.  ptrace is per tracer thread, so the
 * store is too. */

#define STASH_MAX 256

static _Thread_local struct {
	pid_t tid;
	int status;
} stash[STASH_MAX];
static _Thread_local size_t nstash;

static void stash_put(pid_t tid, int status)
{
	if (nstash == STASH_MAX) {
		/* Should not happen; losing the oldest is better than
		 * losing the newest (which may be an exit). */
		memmove(&stash[0], &stash[1], sizeof(stash[0]) * (STASH_MAX - 1));
		nstash--;
	}
	stash[nstash].tid = tid;
	stash[nstash].status = status;
	nstash++;
}

static bool stash_take_at(size_t i, pid_t *tid, int *status)
{
	*tid = stash[i].tid;
	*status = stash[i].status;
	memmove(&stash[i], &stash[i + 1], sizeof(stash[0]) * (nstash - i - 1));
	nstash--;
	return true;
}

static bool stash_take_tid(pid_t tid, int *status)
{
	pid_t got;

	for (size_t i = 0; i < nstash; i++)
		if (stash[i].tid == tid)
			return stash_take_at(i, &got, status);
	return false;
}

static bool stash_take_process(struct process *p, pid_t *tid, int *status)
{
	for (size_t i = 0; i < nstash; i++) {
		struct task *t = process_find_task(p, stash[i].tid);
		if (t && !t->exited)
			return stash_take_at(i, tid, status);
	}
	return false;
}

int task_wait_status(pid_t tid, int *status)
{
	if (stash_take_tid(tid, status))
		return 0;
	for (;;) {
		pid_t r = waitpid(tid, status, __WALL);
		if (r == tid)
			return 0;
		if (r < 0 && errno != EINTR)
			return -errno;
	}
}

/* ---- tasks ------------------------------------------------------------------ */

struct task *process_find_task(struct process *p, pid_t tid)
{
	for (size_t i = 0; i < p->ntasks; i++)
		if (p->tasks[i].tid == tid)
			return &p->tasks[i];
	return NULL;
}

/* Slots of exited threads (never the leader's) are reused. */
static struct task *add_task(struct process *p, pid_t tid)
{
	struct task *t = NULL;

	for (size_t i = 1; i < p->ntasks && !t; i++)
		if (p->tasks[i].exited)
			t = &p->tasks[i];
	if (!t) {
		if (p->ntasks == TASK_MAX_THREADS)
			return NULL;
		t = &p->tasks[p->ntasks++];
	}
	memset(t, 0, sizeof(*t));
	t->tid = tid;
	return t;
}

static void process_init(struct process *p)
{
	memset(p, 0, sizeof(*p));
	p->mem_fd = -1;
}

/* ---- spawning ----------------------------------------------------------------- */

enum spawn_stage { STAGE_SETUP_PERSONALITY, STAGE_SETUP_AFFINITY,
		   STAGE_SETUP_TSC, STAGE_SETUP_CWD, STAGE_SETUP_SECCOMP,
		   STAGE_EXEC };

static const char *const stage_names[] = {
	"personality(ADDR_NO_RANDOMIZE)", "sched_setaffinity",
	"prctl(PR_SET_TSC)", "chdir", "seccomp(SECCOMP_SET_MODE_FILTER)",
	"execve",
};

struct spawn_report {
	int stage;
	int err;
};

static void child_report(int fd, int stage, int err)
{
	struct spawn_report r = { stage, err };

	if (write(fd, &r, sizeof(r)) < 0) {
		/* Nothing left to tell anyone. */
	}
	_exit(127);
}

/* Allow syscalls made from `ip` (seccomp_data.instruction_pointer is
 * the address after the syscall instruction), trace all others; ip 0
 * (never the address after a syscall) traces all.  Without
 * CAP_SYS_ADMIN the kernel wants PR_SET_NO_NEW_PRIVS first. */
static int install_tracing_filter(uint64_t ip)
{
	struct sock_filter code[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			 offsetof(struct seccomp_data, instruction_pointer)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)ip, 0, 3),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			 offsetof(struct seccomp_data, instruction_pointer) + 4),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)(ip >> 32), 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRACE),
	};
	struct sock_fprog prog = {
		.len = (unsigned short)(sizeof(code) / sizeof(code[0])),
		.filter = code,
	};

	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) == 0)
		return 0;
	if (errno != EACCES ||
	    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -1;
	return (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog);
}

/* In the child: set up, wait until the parent has seized us, exec. */
static void child_run(char *const argv[], char *const envp[],
		      const struct spawn_options *o, int go_fd, int report_fd)
{
	if (o->disable_aslr && personality(ADDR_NO_RANDOMIZE) < 0)
		child_report(report_fd, STAGE_SETUP_PERSONALITY, errno);
	if (o->cpu >= 0) {
		cpu_set_t set;
		CPU_ZERO(&set);
		CPU_SET(o->cpu, &set);
		if (sched_setaffinity(0, sizeof(set), &set) < 0)
			child_report(report_fd, STAGE_SETUP_AFFINITY, errno);
	}
	if (o->trap_tsc && prctl(PR_SET_TSC, PR_TSC_SIGSEGV, 0, 0, 0) < 0)
		child_report(report_fd, STAGE_SETUP_TSC, errno);
	if (o->cwd && chdir(o->cwd) < 0)
		child_report(report_fd, STAGE_SETUP_CWD, errno);

	char go;
	while (read(go_fd, &go, 1) < 0 && errno == EINTR)
		;
	/* Last: from here every syscall stops at the tracer (which has
	 * seized us with PTRACE_O_TRACESECCOMP by now). */
	if (o->seccomp_filter &&
	    install_tracing_filter(o->seccomp_untraced_ip) < 0)
		child_report(report_fd, STAGE_SETUP_SECCOMP, errno);
	execve(o->path ? o->path : argv[0], argv, envp ? envp : environ);
	child_report(report_fd, STAGE_EXEC, errno);
}

static long seize_options(const struct spawn_options *o)
{
	long opts = PTRACE_O_EXITKILL | PTRACE_O_TRACECLONE |
		    PTRACE_O_TRACEEXEC | PTRACE_O_TRACESYSGOOD;

	if (o->trace_fork)
		opts |= PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK;
	if (o->trace_exit)
		opts |= PTRACE_O_TRACEEXIT;
	if (o->seccomp_filter)
		opts |= PTRACE_O_TRACESECCOMP;
	return opts;
}

static void reap_child(pid_t pid)
{
	int status;

	kill(pid, SIGKILL);
	while (waitpid(pid, &status, __WALL) < 0 && errno == EINTR)
		;
}

/* After the go signal: the exec event stop means exec succeeded; the
 * child ending first means a set-up step failed, and the report pipe
 * says which (a CLOEXEC pipe: empty when exec itself ran).  Stops come
 * first: under a seccomp filter the execve itself stops at its entry. */
static int spawn_collect(struct process *p, pid_t pid, int report_fd,
			 const char *prog, char *err, size_t errlen)
{
	struct spawn_report r;
	ssize_t n;

	for (;;) {
		int status;
		int e = task_wait_status(pid, &status);
		if (e < 0) {
			snprintf(err, errlen, "%s: waitpid(%d): %s", prog,
				 (int)pid, strerror(-e));
			return -1;
		}
		if (!WIFSTOPPED(status)) {
			while ((n = read(report_fd, &r, sizeof(r))) < 0 &&
			       errno == EINTR)
				;
			if (n == (ssize_t)sizeof(r))
				snprintf(err, errlen, "%s: %s: %s", prog,
					 stage_names[r.stage], strerror(r.err));
			else
				snprintf(err, errlen, "%s: child %d ended before"
					 " exec (status 0x%x)", prog, (int)pid,
					 status);
			return -1;
		}
		if (status >> 8 == (SIGTRAP | (PTRACE_EVENT_EXEC << 8)))
			break;
		/* Anything before exec (a stray signal, the filter's stop
		 * at execve) goes on. */
		int sig = (status >> 16) ? 0 : WSTOPSIG(status);
		ptrace(PTRACE_CONT, pid, 0, sig);
	}
	struct task *t = add_task(p, pid);
	t->stopped = true;
	t->last_stop.tid = pid;
	t->last_stop.kind = TASK_STOP_EXEC;
	t->last_stop.event = PTRACE_EVENT_EXEC;
	t->last_stop.signo = SIGTRAP;
	return 0;
}

int process_spawn(struct process *p, char *const argv[], char *const envp[],
		  const struct spawn_options *opts, char *err, size_t errlen)
{
	static const struct spawn_options defaults = SPAWN_OPTIONS_DEFAULT;
	const struct spawn_options *o = opts ? opts : &defaults;
	int go[2], report[2];

	process_init(p);
	if (!argv || !argv[0]) {
		snprintf(err, errlen, "process_spawn: no program");
		return -1;
	}
	if (pipe2(go, O_CLOEXEC) < 0 || pipe2(report, O_CLOEXEC) < 0) {
		snprintf(err, errlen, "%s: pipe2: %s", argv[0], strerror(errno));
		return -1;
	}
	pid_t pid = fork();
	if (pid < 0) {
		snprintf(err, errlen, "%s: fork: %s", argv[0], strerror(errno));
		close(go[0]); close(go[1]); close(report[0]); close(report[1]);
		return -1;
	}
	if (pid == 0) {
		close(go[1]);
		close(report[0]);
		child_run(argv, envp, o, go[0], report[1]);
	}
	close(go[0]);
	close(report[1]);
	p->pid = pid;
	p->seccomp_stops = o->seccomp_filter;
	int rc = 0;
	if (ptrace(PTRACE_SEIZE, pid, 0, seize_options(o)) < 0) {
		snprintf(err, errlen, "%s: PTRACE_SEIZE(%d): %s", argv[0],
			 (int)pid, strerror(errno));
		reap_child(pid);
		rc = -1;
	}
	/* Closing the go pipe lets the child exec. */
	close(go[1]);
	if (rc == 0)
		rc = spawn_collect(p, pid, report[0], argv[0], err, errlen);
	close(report[0]);
	if (rc == 0 && xsave_layout_host(&p->layout) < 0) {
		/* No XSAVE: registers beyond the GPRs are unavailable. */
		memset(&p->layout, 0, sizeof(p->layout));
	}
	return rc;
}

/* Does PR_SET_TSC(PR_TSC_SIGSEGV) make rdtsc fault here?  Some VMs
 * ignore it (the hypervisor answers rdtsc itself). */
int task_probe_tsc_trap(void)
{
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (pid == 0) {
		unsigned int lo, hi;
		if (prctl(PR_SET_TSC, PR_TSC_SIGSEGV, 0, 0, 0) < 0)
			_exit(2);
		__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
		(void)lo;
		(void)hi;
		_exit(0);
	}
	int status;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	if (WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV)
		return 1;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

/* ---- classifying stops -------------------------------------------------------- */

static bool is_stop_signal(int sig)
{
	return sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN ||
	       sig == SIGTTOU;
}

static bool syscall_stop_is_entry(struct task *t)
{
	/* Under PTRACE_SYSEMU only entries are reported (the call is
	 * skipped): no need to ask (one ptrace call per replayed event). */
	if (t->last_resume == TASK_RESUME_SYSEMU ||
	    t->last_resume == TASK_RESUME_SYSEMU_SINGLESTEP)
		return true;
	struct __ptrace_syscall_info info;
	long n = ptrace(PTRACE_GET_SYSCALL_INFO, t->tid, sizeof(info), &info);

	if (n > 0)
		return info.op == PTRACE_SYSCALL_INFO_ENTRY;
	/* Old kernel: stops alternate. */
	return !t->in_syscall;
}

void task_mark_exited(struct process *p, struct task *t, int status)
{
	t->exited = true;
	t->stopped = false;
	if (t->tid == p->pid) {
		p->exited = true;
		p->exit_status = status;
	}
}

/* Tgid of a task, from /proc (0 if unknown). */
static pid_t thread_group_of(pid_t tid)
{
	char path[64], text[1024];

	snprintf(path, sizeof(path), "/proc/%d/status", (int)tid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, text, sizeof(text) - 1) : -1;
	if (fd >= 0)
		close(fd);
	if (n <= 0)
		return 0;
	text[n] = 0;
	const char *t = strstr(text, "\nTgid:");
	return t ? (pid_t)strtol(t + 6, NULL, 10) : 0;
}

/* The new thread of a clone event: consume its first stop and give it the
 * debug registers. */
static void adopt_thread(struct process *p, pid_t new_tid)
{
	struct task *nt = process_find_task(p, new_tid);
	int status;

	if (!nt)
		nt = add_task(p, new_tid);
	if (!nt) {
		task_fail(p, EMFILE, "adopt_thread(%d): too many threads",
			  (int)new_tid);
		return;
	}
	if (task_wait_status(new_tid, &status) < 0 || !WIFSTOPPED(status)) {
		task_mark_exited(p, nt, status);
		return;
	}
	nt->stopped = true;
	nt->last_stop.tid = new_tid;
	nt->last_stop.kind = TASK_STOP_INTERRUPT;
	nt->last_stop.signo = WSTOPSIG(status);
	nt->last_stop.raw_status = status;
	task_hw_apply(p, nt);
}

/* Exec replaced the address space and killed the other threads. */
static void after_exec(struct process *p, struct task *t)
{
	for (size_t i = 0; i < p->ntasks; i++)
		if (&p->tasks[i] != t)
			p->tasks[i].exited = true;
	task_mem_forget(p);
	memset(p->hw, 0, sizeof(p->hw));
	memset(t->debugreg, 0, sizeof(t->debugreg));
	t->in_syscall = false;
}

static void classify_event(struct process *p, struct task *t, int event,
			   struct task_stop *stop)
{
	unsigned long msg = 0;

	ptrace(PTRACE_GETEVENTMSG, t->tid, 0, &msg);
	stop->event = event;
	switch (event) {
	case PTRACE_EVENT_CLONE:
		stop->kind = TASK_STOP_CLONE;
		stop->new_tid = (pid_t)msg;
		/* A clone without CLONE_THREAD whose exit signal is not
		 * SIGCHLD is reported as a clone too: a new process, which
		 * its owner adopts like a fork's child. */
		if (thread_group_of(stop->new_tid) == p->pid)
			adopt_thread(p, stop->new_tid);
		break;
	case PTRACE_EVENT_FORK:
	case PTRACE_EVENT_VFORK:
		/* A new process, auto-attached; its owner adopts it. */
		stop->kind = TASK_STOP_CLONE;
		stop->new_tid = (pid_t)msg;
		break;
	case PTRACE_EVENT_EXEC:
		stop->kind = TASK_STOP_EXEC;
		/* The thread that called execve: another thread than the
		 * leader took the leader's tid, which this stop carries. */
		stop->new_tid = (pid_t)msg;
		after_exec(p, t);
		break;
	case PTRACE_EVENT_EXIT:
		stop->kind = TASK_STOP_EXIT_EVENT;
		stop->exit_status = (int)msg;
		break;
	case PTRACE_EVENT_SECCOMP:
		stop->kind = TASK_STOP_SECCOMP;
		stop->by_seccomp = true;
		stop->seccomp_data = (uint16_t)msg;
		if (p->seccomp_stops) {
			/* The filter reports entries: the same stop as a
			 * PTRACE_SYSCALL entry (rax -ENOSYS, orig_rax the
			 * number), and PTRACE_SYSCALL from here stops at
			 * its exit. */
			stop->kind = TASK_STOP_SYSCALL;
			stop->in_syscall_entry = true;
			t->in_syscall = true;
		}
		break;
	default:
		stop->kind = TASK_STOP_INTERRUPT;
		break;
	}
}

/* Fill *stop from a wait status.  Returns false when the stop is ours to
 * swallow (a stale PTRACE_INTERRUPT; the task was resumed again). */
static bool classify(struct process *p, struct task *t, int status,
		     struct task_stop *stop)
{
	memset(stop, 0, sizeof(*stop));
	stop->tid = t->tid;
	stop->raw_status = status;
	if (WIFEXITED(status) || WIFSIGNALED(status)) {
		stop->kind = WIFEXITED(status) ? TASK_STOP_EXITED
					       : TASK_STOP_KILLED;
		stop->exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : 0;
		stop->signo = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
		task_mark_exited(p, t, status);
		t->last_stop = *stop;
		return true;
	}
	int sig = WSTOPSIG(status);
	int event = status >> 16;

	t->stopped = true;
	stop->signo = sig;
	if (sig == (SIGTRAP | 0x80)) {
		stop->kind = TASK_STOP_SYSCALL;
		stop->signo = SIGTRAP;
		stop->in_syscall_entry = syscall_stop_is_entry(t);
		t->in_syscall = stop->in_syscall_entry;
	} else if (event == PTRACE_EVENT_STOP) {
		stop->event = event;
		stop->kind = is_stop_signal(sig) ? TASK_STOP_GROUP
						 : TASK_STOP_INTERRUPT;
		if (stop->kind == TASK_STOP_INTERRUPT && t->interrupt_pending) {
			t->interrupt_pending = false;
			task_resume(p, t, t->last_resume, 0);
			return false;
		}
	} else if (event) {
		classify_event(p, t, event, stop);
	} else {
		stop->kind = TASK_STOP_SIGNAL;
		ptrace(PTRACE_GETSIGINFO, t->tid, 0, &stop->siginfo);
	}
	t->last_stop = *stop;
	return true;
}

/* Next wait status of a task of one of ps[0..n); *pp gets its process.
 * 1: got one, 0: WNOHANG and none, <0: -errno. */
static int next_status_any(struct process *const *ps, size_t n, int flags,
			   struct process **pp, struct task **tp, int *status)
{
	for (;;) {
		pid_t tid = 0;
		bool kept = false;
		for (size_t i = 0; i < n && !kept; i++)
			kept = stash_take_process(ps[i], &tid, status);
		if (!kept) {
			tid = waitpid(-1, status, __WALL | flags);
			if (tid == 0)
				return 0;
			if (tid < 0) {
				if (errno == EINTR)
					continue;
				return -errno;
			}
		}
		for (size_t i = 0; i < n; i++) {
			struct task *t = process_find_task(ps[i], tid);
			if (t && !t->exited) {
				*pp = ps[i];
				*tp = t;
				return 1;
			}
		}
		/* Not ours yet (a new child's first stop before its fork
		 * event was handled), or a late report of a dead thread. */
		bool known = false;
		for (size_t i = 0; i < n && !known; i++)
			known = process_find_task(ps[i], tid) != NULL;
		if (!known)
			stash_put(tid, *status);
	}
}

static int next_status(struct process *p, int flags, struct task **tp,
		       int *status)
{
	struct process *owner;

	return next_status_any(&p, 1, flags, &owner, tp, status);
}

static int take_pending(struct process *p, struct task_stop *stop)
{
	*stop = p->pending[0];
	memmove(&p->pending[0], &p->pending[1],
		sizeof(p->pending[0]) * (p->npending - 1));
	p->npending--;
	return 1;
}

int process_wait_any(struct process *const *ps, size_t n, size_t *which,
		     struct task_stop *stop, int flags)
{
	for (size_t i = 0; i < n; i++)
		if (ps[i]->npending) {
			*which = i;
			return take_pending(ps[i], stop);
		}
	for (;;) {
		struct process *p = NULL;
		struct task *t = NULL;
		int status;
		int r = next_status_any(ps, n, flags, &p, &t, &status);
		if (r <= 0) {
			if (r < 0) {
				if (n)
					task_fail(ps[0], -r, "process_wait(%d)",
						  (int)ps[0]->pid);
				errno = -r;
				return -1;
			}
			return 0;
		}
		for (size_t i = 0; i < n; i++)
			if (ps[i] == p)
				*which = i;
		if (classify(p, t, status, stop))
			return 1;
	}
}

int process_wait(struct process *p, struct task_stop *stop, int flags)
{
	size_t which;

	return process_wait_any(&p, 1, &which, stop, flags);
}

int process_adopt_child(struct process *child, const struct process *parent,
			pid_t pid, bool shares_memory)
{
	int status;

	process_init(child);
	child->pid = pid;
	child->layout = parent->layout;
	child->rsys_addr = parent->rsys_addr;
	child->seccomp_stops = parent->seccomp_stops;
	struct task *t = add_task(child, pid);
	if (task_wait_status(pid, &status) < 0 || !WIFSTOPPED(status)) {
		task_mark_exited(child, t, status);
		return -1;
	}
	t->stopped = true;
	t->last_stop.tid = pid;
	t->last_stop.kind = TASK_STOP_INTERRUPT;
	t->last_stop.signo = WSTOPSIG(status);
	t->last_stop.raw_status = status;
	/* A fork copies the parent's code: its breakpoints are in the
	 * child's memory too, but belong to the parent's session.  (In
	 * shared memory they stay: they are the parent's own bytes.) */
	for (size_t i = 0; i < parent->nbps && !shares_memory; i++)
		task_mem_write_raw(child, parent->bps[i].addr,
				   &parent->bps[i].saved, 1);
	return 0;
}

/* ---- resuming and stopping ----------------------------------------------------- */

static enum __ptrace_request resume_request(enum task_resume_mode mode)
{
	switch (mode) {
	case TASK_RESUME_SYSCALL: return PTRACE_SYSCALL;
	case TASK_RESUME_SINGLESTEP: return PTRACE_SINGLESTEP;
	case TASK_RESUME_SYSEMU: return PTRACE_SYSEMU;
	case TASK_RESUME_SYSEMU_SINGLESTEP: return PTRACE_SYSEMU_SINGLESTEP;
	case TASK_RESUME_CONT: break;
	}
	return PTRACE_CONT;
}

/* Under a seccomp filter entries come as seccomp stops: from anywhere
 * but inside a syscall (after its entry, at an exec/clone/fork event stop
 * on the way to its exit), "run to the next syscall stop" is PTRACE_CONT
 * (a PTRACE_SYSCALL would stop at every entry the filter lets through). */
static enum __ptrace_request request_for(const struct process *p,
					 const struct task *t,
					 enum task_resume_mode mode)
{
	/* in_syscall, not the last stop's kind: an interrupt or group stop
	 * may come in the middle of a (blocking) syscall, whose exit stop
	 * must still be reported. */
	const struct task_stop *st = &t->last_stop;
	bool in_syscall = t->in_syscall || st->kind == TASK_STOP_EXEC ||
			  st->kind == TASK_STOP_CLONE;

	if (mode == TASK_RESUME_SYSCALL && p->seccomp_stops && !in_syscall)
		return PTRACE_CONT;
	return resume_request(mode);
}

int task_listen(struct process *p, struct task *t)
{
	if (t->exited || !t->stopped)
		return task_fail(p, ESRCH, "task_listen(%d): not stopped",
				 (int)t->tid);
	if (ptrace(PTRACE_LISTEN, t->tid, 0, 0) < 0)
		return task_fail(p, errno, "task_listen(%d)", (int)t->tid);
	t->stopped = false;
	t->interrupt_pending = false;
	return 0;
}

int task_resume(struct process *p, struct task *t, enum task_resume_mode mode,
		int signo)
{
	if (t->exited || !t->stopped)
		return task_fail(p, ESRCH, "task_resume(%d): not stopped",
				 (int)t->tid);
	if (ptrace(request_for(p, t, mode), t->tid, 0, signo) < 0)
		return task_fail(p, errno, "task_resume(%d)", (int)t->tid);
	t->stopped = false;
	t->last_resume = mode;
	return 0;
}

static bool all_stopped(const struct process *p)
{
	for (size_t i = 0; i < p->ntasks; i++)
		if (!p->tasks[i].exited && !p->tasks[i].stopped)
			return false;
	return true;
}

int process_queue_stop(struct process *p, const struct task_stop *stop)
{
	if (p->npending == TASK_MAX_PENDING)
		return task_fail(p, EOVERFLOW, "process_stop_all(%d): stop queue",
				 (int)p->pid);
	p->pending[p->npending++] = *stop;
	return 0;
}

int process_stop_all(struct process *p)
{
	bool interrupted[TASK_MAX_THREADS] = { false };

	for (size_t i = 0; i < p->ntasks; i++) {
		struct task *t = &p->tasks[i];
		if (t->exited || t->stopped)
			continue;
		/* ESRCH: exiting; its exit status is collected below. */
		if (ptrace(PTRACE_INTERRUPT, t->tid, 0, 0) == 0)
			interrupted[i] = true;
	}
	int rc = 0;
	while (!all_stopped(p)) {
		struct task *t;
		struct task_stop stop;
		int status;
		int r = next_status(p, 0, &t, &status);
		if (r < 0)
			return task_fail(p, -r, "process_stop_all(%d)",
					 (int)p->pid);
		size_t i = (size_t)(t - p->tasks);
		bool was_interrupted = interrupted[i];
		t->interrupt_pending = false;
		if (!classify(p, t, status, &stop))
			continue;
		if (stop.kind == TASK_STOP_INTERRUPT && was_interrupted) {
			interrupted[i] = false;
			continue;
		}
		/* Another stop won the race: the interrupt may still be
		 * owed (if this stop predates it); swallow it later. */
		if (was_interrupted && t->stopped)
			t->interrupt_pending = true;
		interrupted[i] = false;
		if (process_queue_stop(p, &stop) < 0)
			rc = -EOVERFLOW;
	}
	return rc;
}

/* ---- ending --------------------------------------------------------------------- */

void process_kill(struct process *p)
{
	if (p->pid <= 0 || p->exited)
		return;
	kill(p->pid, SIGKILL);
	/* The leader's status comes only once every traced thread has been
	 * reaped, so wait until then; statuses of threads we never heard of
	 * are consumed too. */
	while (!p->exited) {
		int status;
		pid_t tid = waitpid(-1, &status, __WALL);
		if (tid < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		struct task *t = process_find_task(p, tid);
		if (t && (WIFEXITED(status) || WIFSIGNALED(status)))
			task_mark_exited(p, t, status);
		else if (!t && tid != p->pid)
			stash_put(tid, status);
	}
	/* Forget kept statuses of our own threads. */
	for (size_t i = 0; i < p->ntasks; i++) {
		int status;
		while (stash_take_tid(p->tasks[i].tid, &status))
			;
		p->tasks[i].exited = true;
		p->tasks[i].stopped = false;
	}
	p->npending = 0;
}

int process_detach(struct process *p)
{
	int rc = process_stop_all(p);

	if (rc < 0)
		return rc;
	while (p->nbps > 0) {
		p->bps[0].refcount = 1;
		process_remove_breakpoint(p, p->bps[0].addr);
	}
	memset(p->hw, 0, sizeof(p->hw));
	for (size_t i = 0; i < p->ntasks; i++) {
		struct task *t = &p->tasks[i];
		if (t->exited)
			continue;
		task_hw_apply(p, t);
		/* A signal the task was about to receive is not lost. */
		int sig = 0;
		if (t->last_stop.kind == TASK_STOP_SIGNAL &&
		    t->last_stop.signo != SIGTRAP)
			sig = t->last_stop.signo;
		if (ptrace(PTRACE_DETACH, t->tid, 0, sig) < 0 && rc == 0)
			rc = task_fail(p, errno, "process_detach(%d)",
				       (int)t->tid);
		t->exited = true;
		t->stopped = false;
	}
	p->npending = 0;
	return rc;
}

void process_free(struct process *p)
{
	if (p->mem_fd >= 0)
		close(p->mem_fd);
	p->mem_fd = -1;
}

/* ---- registers ------------------------------------------------------------------- */

int task_get_gregs(struct process *p, struct task *t,
		   struct user_regs_struct *regs)
{
	if (ptrace(PTRACE_GETREGS, t->tid, 0, regs) < 0)
		return task_fail(p, errno, "task_get_gregs(%d)", (int)t->tid);
	return 0;
}

int task_get_fpregs(struct process *p, struct task *t,
		    struct user_fpregs_struct *fp)
{
	if (ptrace(PTRACE_GETFPREGS, t->tid, 0, fp) < 0)
		return task_fail(p, errno, "task_get_fpregs(%d)", (int)t->tid);
	return 0;
}

int task_set_gregs(struct process *p, struct task *t,
		   const struct user_regs_struct *regs)
{
	if (ptrace(PTRACE_SETREGS, t->tid, 0, regs) < 0)
		return task_fail(p, errno, "task_set_gregs(%d)", (int)t->tid);
	return 0;
}

ssize_t task_get_xstate(struct process *p, struct task *t, void *buf,
			size_t len)
{
	struct iovec iov = { buf, len };

	if (ptrace(PTRACE_GETREGSET, t->tid, (void *)NT_X86_XSTATE, &iov) < 0)
		return task_fail(p, errno, "task_get_xstate(%d)", (int)t->tid);
	return (ssize_t)iov.iov_len;
}

int task_set_xstate(struct process *p, struct task *t, const void *buf,
		    size_t len)
{
	struct iovec iov = { (void *)buf, len };

	if (ptrace(PTRACE_SETREGSET, t->tid, (void *)NT_X86_XSTATE, &iov) < 0)
		return task_fail(p, errno, "task_set_xstate(%d)", (int)t->tid);
	return 0;
}

static size_t xstate_buffer_size(const struct process *p)
{
	return p->layout.max_size ? p->layout.max_size : XSAVE_LEGACY_SIZE +
	       XSAVE_HEADER_SIZE;
}

int task_get_regfile(struct process *p, struct task *t,
		     struct x86_regfile *rf)
{
	struct user_regs_struct regs;
	size_t size = xstate_buffer_size(p);
	uint8_t *img = calloc(1, size);
	int rc;

	if (!img)
		return task_fail(p, ENOMEM, "task_get_regfile(%d)", (int)t->tid);
	rc = task_get_gregs(p, t, &regs);
	ssize_t n = rc ? rc : task_get_xstate(p, t, img, size);
	if (n < 0) {
		rc = (int)n;
	} else {
		rc = xsave_decode(&p->layout, img, (size_t)n, &regs, rf);
		if (rc < 0)
			task_fail(p, -rc, "task_get_regfile(%d): decode",
				  (int)t->tid);
	}
	free(img);
	return rc;
}

int task_set_regfile(struct process *p, struct task *t,
		     const struct x86_regfile *rf)
{
	struct user_regs_struct regs;
	size_t size = xstate_buffer_size(p);
	uint8_t *img = calloc(1, size);
	int rc;

	if (!img)
		return task_fail(p, ENOMEM, "task_set_regfile(%d)", (int)t->tid);
	/* Start from the live image: header and components rf does not
	 * describe stay as they are. */
	ssize_t n = task_get_xstate(p, t, img, size);
	rc = n < 0 ? (int)n : task_get_gregs(p, t, &regs);
	if (rc == 0) {
		rc = xsave_encode(&p->layout, rf, img, (size_t)n, &regs);
		if (rc < 0)
			task_fail(p, -rc, "task_set_regfile(%d): encode",
				  (int)t->tid);
	}
	if (rc == 0)
		rc = task_set_xstate(p, t, img, (size_t)n);
	if (rc == 0)
		rc = task_set_gregs(p, t, &regs);
	free(img);
	return rc;
}

bool tracer_bind(int cpu, cpu_set_t *saved)
{
	cpu_set_t one;

	if (cpu < 0 || cpu >= CPU_SETSIZE ||
	    sched_getaffinity(0, sizeof(*saved), saved) < 0)
		return false;
	CPU_ZERO(&one);
	CPU_SET(cpu, &one);
	return sched_setaffinity(0, sizeof(one), &one) == 0;
}

void tracer_unbind(bool bound, const cpu_set_t *saved)
{
	if (bound)
		sched_setaffinity(0, sizeof(*saved), saved);
}
