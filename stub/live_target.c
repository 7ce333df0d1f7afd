/* The live target: a program started under ptrace, debugged for real.
 * All-stop: when one thread reports, every other thread is stopped too;
 * events collected meanwhile stay pending and are reported on the next
 * resume, before anything runs. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "replay/task.h"
#include "stub/live_target.h"
#include "stub/process_target.h"

struct pending_event {
	struct task_stop ts;
	/* A breakpoint hit whose PC was rewound: only reported if the
	 * breakpoint is still inserted when its turn comes. */
	bool swbreak;
	uint64_t bp_addr;
};

struct live_target {
	struct target base;
	struct process proc;
	FILE *log;
	int sigchld_fd;
	bool pass[65];              /* QPassSignals, by host signal number */
	bool interrupt_requested;
	bool gone;                  /* exited, killed or detached */
	char exe[PATH_MAX];
	uint8_t *auxv;
	size_t auxv_len;
	/* Events of other threads collected while stopping everyone for a
	 * report.  They are reported (or, for passed signals, delivered) at
	 * the next resume of their thread, before anything runs. */
	struct pending_event pending[TASK_MAX_THREADS];
	size_t npending;
	struct target_stop report_next;   /* chosen by resume, given by wait */
	bool have_report_next;
	/* QCatchSyscalls: threads run with PTRACE_SYSCALL while on. */
	bool catching;
	bool catch_all;
	bool catch_which[TARGET_MAX_SYSCALL];
};

static struct live_target *LT(struct target *t)
{
	return t->priv;
}

static void lt_log(struct live_target *lt, const char *fmt, const char *arg)
{
	if (lt->log) {
		fputs("xrr: ", lt->log);
		fprintf(lt->log, fmt, arg);
		fputc('\n', lt->log);
	}
}

/* ---- threads ------------------------------------------------------------ */

static uint64_t task_xcr0(struct live_target *lt, struct task *t)
{
	uint8_t buf[XSAVE_SW_XCR0_OFFSET + 8];
	uint8_t *img = malloc(lt->proc.layout.max_size + 4096);
	uint64_t xcr0 = 0;
	if (!img)
		return 0;
	ssize_t n = task_get_xstate(&lt->proc, t, img,
				    lt->proc.layout.max_size + 4096);
	if (n >= (ssize_t)sizeof(buf))
		memcpy(&xcr0, img + XSAVE_SW_XCR0_OFFSET, 8);
	free(img);
	return xcr0;
}

static void read_comm(pid_t pid, pid_t tid, char *out, size_t len)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/task/%d/comm", pid, tid);
	out[0] = 0;
	FILE *f = fopen(path, "r");
	if (!f)
		return;
	if (fgets(out, (int)len, f))
		out[strcspn(out, "\n")] = 0;
	fclose(f);
}

static int lt_list_threads(struct target *t, struct target_thread *out,
			   size_t max)
{
	struct live_target *lt = LT(t);
	size_t n = 0;
	if (lt->gone)
		return 0;
	for (size_t i = 0; i < lt->proc.ntasks && n < max; i++) {
		struct task *task = &lt->proc.tasks[i];
		if (task->exited)
			continue;
		out[n].pid = lt->proc.pid;
		out[n].tid = task->tid;
		out[n].xcr0 = task_xcr0(lt, task);
		out[n].core = -1;
		read_comm(lt->proc.pid, task->tid, out[n].name, sizeof(out[n].name));
		n++;
	}
	return (int)n;
}

static struct task *live_task(struct live_target *lt, int64_t tid)
{
	if (lt->gone || tid <= 0)
		return NULL;
	struct task *task = process_find_task(&lt->proc, (pid_t)tid);
	return task && !task->exited ? task : NULL;
}

static bool lt_thread_alive(struct target *t, int64_t tid)
{
	return live_task(LT(t), tid) != NULL;
}

/* ---- registers and memory ------------------------------------------------ */

static int lt_get_regs(struct target *t, int64_t tid, struct x86_regfile *out)
{
	struct live_target *lt = LT(t);
	struct task *task = live_task(lt, tid);
	if (!task)
		return -ESRCH;
	return task_get_regfile(&lt->proc, task, out);
}

static int lt_set_regs(struct target *t, int64_t tid,
		       const struct x86_regfile *in, char *err, size_t errlen)
{
	struct live_target *lt = LT(t);
	struct task *task = live_task(lt, tid);
	if (!task)
		return -ESRCH;
	int rc = task_set_regfile(&lt->proc, task, in);
	if (rc < 0)
		snprintf(err, errlen, "%s", lt->proc.err);
	return rc;
}

static ssize_t lt_read_memory(struct target *t, uint64_t addr, void *buf,
			      size_t len)
{
	struct live_target *lt = LT(t);
	if (lt->gone)
		return -ESRCH;
	return process_read_memory_clean(&lt->proc, addr, buf, len);
}

static ssize_t lt_write_memory(struct target *t, uint64_t addr,
			       const void *buf, size_t len, char *err,
			       size_t errlen)
{
	struct live_target *lt = LT(t);
	if (lt->gone)
		return -ESRCH;
	return process_write_memory(&lt->proc, addr, buf, len);
}

/* ---- breakpoints and watchpoints ---------------------------------------- */

static int lt_insert_bp(struct target *t, enum target_bp_type type,
			uint64_t addr, size_t kind)
{
	struct live_target *lt = LT(t);
	if (lt->gone)
		return -ESRCH;
	return process_target_insert_bp(&lt->proc, type, addr, kind);
}

static int lt_remove_bp(struct target *t, enum target_bp_type type,
			uint64_t addr, size_t kind)
{
	struct live_target *lt = LT(t);
	if (lt->gone)
		return -ESRCH;
	return process_target_remove_bp(&lt->proc, type, addr, kind);
}

/* ---- execution control ---------------------------------------------------- */

static const struct target_resume *action_for(const struct target_resume *a,
					      size_t n, pid_t tid)
{
	for (size_t i = 0; i < n; i++)
		if (a[i].tid == tid || a[i].tid == -1)
			return &a[i];
	return NULL;
}

static bool pending_is_stale(struct live_target *lt,
			     const struct pending_event *ev)
{
	return ev->swbreak && !process_has_breakpoint(&lt->proc, ev->bp_addr);
}

static void drop_pending(struct live_target *lt, size_t i)
{
	memmove(&lt->pending[i], &lt->pending[i + 1],
		(lt->npending - i - 1) * sizeof(lt->pending[0]));
	lt->npending--;
}

static bool pending_for(struct live_target *lt, pid_t tid)
{
	for (size_t i = 0; i < lt->npending; i++)
		if (lt->pending[i].ts.tid == tid)
			return true;
	return false;
}

static void pending_to_stop(struct live_target *lt,
			    const struct pending_event *ev,
			    struct target_stop *stop);
static void fill_stop(struct live_target *lt, struct target_stop *stop,
		      pid_t tid, int signo);

/* gdbserver's rule: if a thread about to be resumed has an unreported
 * event, report it now and resume nothing. */
static bool take_reportable_pending(struct live_target *lt,
				    const struct target_resume *actions,
				    size_t n)
{
	for (size_t i = 0; i < lt->npending;) {
		struct pending_event *ev = &lt->pending[i];
		if (!action_for(actions, n, ev->ts.tid)) {
			i++;
			continue;
		}
		if (pending_is_stale(lt, ev)) {
			/* GDB removed the breakpoint meanwhile: the thread
			 * simply re-executes the original instruction. */
			drop_pending(lt, i);
			continue;
		}
		pending_to_stop(lt, ev, &lt->report_next);
		lt->have_report_next = true;
		drop_pending(lt, i);
		return true;
	}
	return false;
}

/* How a thread continues: to its next syscall stop while catching. */
static enum task_resume_mode run_mode(struct live_target *lt)
{
	return lt->catching ? TASK_RESUME_SYSCALL : TASK_RESUME_CONT;
}

/* A syscall stop GDB asked to catch: *stop filled, true. */
static bool syscall_caught(struct live_target *lt, struct task *task,
			   const struct task_stop *ts, struct target_stop *stop)
{
	struct user_regs_struct regs;
	if (!lt->catching || !task || task_get_gregs(&lt->proc, task, &regs) < 0)
		return false;
	long nr = (long)regs.orig_rax;
	if (nr < 0 || nr >= TARGET_MAX_SYSCALL ||
	    (!lt->catch_all && !lt->catch_which[nr]))
		return false;
	fill_stop(lt, stop, ts->tid, SIGTRAP);
	stop->reason = ts->in_syscall_entry ? TARGET_REASON_SYSCALL_ENTRY
					    : TARGET_REASON_SYSCALL_RETURN;
	stop->syscall_nr = (int)nr;
	return true;
}

static int lt_catch_syscalls(struct target *t, bool on, const bool *which)
{
	struct live_target *lt = LT(t);
	lt->catching = on;
	lt->catch_all = on && !which;
	for (int i = 0; i < TARGET_MAX_SYSCALL; i++)
		lt->catch_which[i] = on && which && which[i];
	return 0;
}

static int lt_resume(struct target *t, const struct target_resume *actions,
		     size_t n)
{
	struct live_target *lt = LT(t);
	if (lt->gone)
		return -ESRCH;
	lt->interrupt_requested = false;
	if (take_reportable_pending(lt, actions, n))
		return 0;
	for (size_t i = 0; i < lt->proc.ntasks; i++) {
		struct task *task = &lt->proc.tasks[i];
		if (task->exited || !task->stopped)
			continue;
		const struct target_resume *act = action_for(actions, n, task->tid);
		if (!act || pending_for(lt, task->tid))
			continue;
		int rc = task_resume(&lt->proc, task,
				     act->step ? TASK_RESUME_SINGLESTEP
					       : run_mode(lt),
				     act->signo);
		if (rc < 0 && rc != -ESRCH)
			return rc;
	}
	return 0;
}

static void fill_stop(struct live_target *lt, struct target_stop *stop,
		      pid_t tid, int signo)
{
	memset(stop, 0, sizeof(*stop));
	stop->kind = TARGET_STOP_SIGNAL;
	stop->pid = lt->proc.pid;
	stop->tid = tid;
	stop->signo = signo;
}

static int rewind_if_breakpoint(struct live_target *lt, struct task *task,
				uint64_t *addr)
{
	struct user_regs_struct regs;
	if (task_get_gregs(&lt->proc, task, &regs) < 0)
		return 0;
	if (!process_has_breakpoint(&lt->proc, regs.rip - 1))
		return 0;
	regs.rip -= 1;
	if (task_set_gregs(&lt->proc, task, &regs) < 0)
		return 0;
	*addr = regs.rip;
	return 1;
}

/* Classify a SIGTRAP: breakpoint, watchpoint, step. */
static void classify_trap(struct live_target *lt, struct task *task,
			  const struct task_stop *ts, struct target_stop *stop)
{
	uint64_t addr;
	enum hw_type type;
	if (task_hw_hit(&lt->proc, task, &addr, &type) >= 0) {
		stop->reason = type == HW_EXECUTE ? TARGET_REASON_HWBREAK
			     : type == HW_WRITE ? TARGET_REASON_WATCH
						: TARGET_REASON_AWATCH;
		stop->watch_addr = addr;
		return;
	}
	/* SI_KERNEL: int3.  A single-step reports TRAP_TRACE instead. */
	if (ts->siginfo.si_code == SI_KERNEL && rewind_if_breakpoint(lt, task, &addr))
		stop->reason = TARGET_REASON_SWBREAK;
}

/* Whether a stop matters to GDB once everything is stopped anyway. */
static bool worth_keeping(struct live_target *lt, const struct task_stop *ts)
{
	switch (ts->kind) {
	case TASK_STOP_SIGNAL:
	case TASK_STOP_GROUP:
		return true;
	case TASK_STOP_EXITED:
	case TASK_STOP_KILLED:
		return lt->proc.exited;
	case TASK_STOP_SYSCALL: {
		struct target_stop caught;
		return syscall_caught(lt, process_find_task(&lt->proc, ts->tid),
				      ts, &caught);
	}
	default:
		/* clone (the new thread is now known and stopped), exec,
		 * exit events, our own interrupts: nothing to report. */
		return false;
	}
}

/* All-stop: stop every thread and keep what they were doing meanwhile. */
static void stop_everyone(struct live_target *lt)
{
	process_stop_all(&lt->proc);
	struct task_stop ts;
	while (lt->proc.npending && process_wait(&lt->proc, &ts, WNOHANG) == 1) {
		if (!worth_keeping(lt, &ts) || lt->npending == TASK_MAX_THREADS)
			continue;
		struct pending_event *ev = &lt->pending[lt->npending++];
		memset(ev, 0, sizeof(*ev));
		ev->ts = ts;
		struct task *task = process_find_task(&lt->proc, ts.tid);
		if (task && ts.kind == TASK_STOP_SIGNAL && ts.signo == SIGTRAP &&
		    ts.siginfo.si_code == SI_KERNEL)
			ev->swbreak = rewind_if_breakpoint(lt, task, &ev->bp_addr);
	}
}

static void resume_quietly(struct live_target *lt, struct task *task, int signo)
{
	if (task && !task->exited && task->stopped)
		task_resume(&lt->proc, task, task->last_resume == TASK_RESUME_SINGLESTEP
			    ? TASK_RESUME_SINGLESTEP : run_mode(lt), signo);
}

/* Turn one task-layer stop into a report, or handle it silently.
 * Returns true when *stop should go to GDB. */
static bool handle_task_stop(struct live_target *lt, const struct task_stop *ts,
			     struct target_stop *stop)
{
	struct task *task = process_find_task(&lt->proc, ts->tid);
	switch (ts->kind) {
	case TASK_STOP_EXITED:
	case TASK_STOP_KILLED:
		if (!lt->proc.exited)
			return false;   /* one thread gone, others remain */
		memset(stop, 0, sizeof(*stop));
		stop->pid = lt->proc.pid;
		stop->tid = ts->tid;
		if (WIFSIGNALED(lt->proc.exit_status)) {
			stop->kind = TARGET_STOP_KILLED;
			stop->signo = WTERMSIG(lt->proc.exit_status);
		} else {
			stop->kind = TARGET_STOP_EXITED;
			stop->status = WEXITSTATUS(lt->proc.exit_status);
		}
		lt->gone = true;
		return true;
	case TASK_STOP_CLONE: {
		resume_quietly(lt, task, 0);
		struct task *child = process_find_task(&lt->proc, ts->new_tid);
		resume_quietly(lt, child, 0);
		return false;
	}
	case TASK_STOP_SIGNAL:
		if (ts->signo == SIGTRAP) {
			fill_stop(lt, stop, ts->tid, SIGTRAP);
			classify_trap(lt, task, ts, stop);
			return true;
		}
		if (ts->signo > 0 && ts->signo < 65 && lt->pass[ts->signo]) {
			resume_quietly(lt, task, ts->signo);
			return false;
		}
		fill_stop(lt, stop, ts->tid, ts->signo);
		return true;
	case TASK_STOP_GROUP:
		fill_stop(lt, stop, ts->tid, ts->signo);
		return true;
	case TASK_STOP_SYSCALL:
		if (syscall_caught(lt, task, ts, stop))
			return true;
		resume_quietly(lt, task, 0);
		return false;
	case TASK_STOP_EXEC:
	case TASK_STOP_EXIT_EVENT:
	case TASK_STOP_SECCOMP:
	case TASK_STOP_INTERRUPT:
		resume_quietly(lt, task, 0);
		return false;
	}
	return false;
}

static void pending_to_stop(struct live_target *lt,
			    const struct pending_event *ev,
			    struct target_stop *stop)
{
	const struct task_stop *ts = &ev->ts;
	if (ts->kind == TASK_STOP_EXITED || ts->kind == TASK_STOP_KILLED) {
		handle_task_stop(lt, ts, stop);
		return;
	}
	if (ts->kind == TASK_STOP_SYSCALL &&
	    syscall_caught(lt, process_find_task(&lt->proc, ts->tid), ts, stop))
		return;
	fill_stop(lt, stop, ts->tid, ts->signo);
	if (ev->swbreak) {
		stop->reason = TARGET_REASON_SWBREAK;
	} else if (ts->kind == TASK_STOP_SIGNAL && ts->signo == SIGTRAP) {
		struct task *task = process_find_task(&lt->proc, ts->tid);
		if (task)
			classify_trap(lt, task, ts, stop);
	}
}

static void drain_sigchld(struct live_target *lt)
{
	struct signalfd_siginfo si;
	while (read(lt->sigchld_fd, &si, sizeof(si)) == (ssize_t)sizeof(si))
		;
}

static enum target_wait_result lt_wait(struct target *t,
				       struct target_stop *stop,
				       int interrupt_fd)
{
	struct live_target *lt = LT(t);
	if (lt->have_report_next) {
		lt->have_report_next = false;
		*stop = lt->report_next;
		return TARGET_WAIT_STOPPED;
	}
	for (;;) {
		if (lt->interrupt_requested) {
			lt->interrupt_requested = false;
			fill_stop(lt, stop, lt->proc.pid, SIGINT);
			if (!live_task(lt, lt->proc.pid) && lt->proc.ntasks)
				for (size_t i = 0; i < lt->proc.ntasks; i++)
					if (!lt->proc.tasks[i].exited) {
						stop->tid = lt->proc.tasks[i].tid;
						break;
					}
			return TARGET_WAIT_STOPPED;
		}
		struct task_stop ts;
		int r = process_wait(&lt->proc, &ts, WNOHANG);
		if (r < 0) {
			lt_log(lt, "waiting for the program failed: %s", strerror(errno));
			return TARGET_WAIT_ERROR;
		}
		if (r == 1) {
			if (handle_task_stop(lt, &ts, stop)) {
				if (!lt->gone)
					stop_everyone(lt);
				return TARGET_WAIT_STOPPED;
			}
			continue;
		}
		struct pollfd pfd[2] = {
			{ .fd = lt->sigchld_fd, .events = POLLIN },
			{ .fd = interrupt_fd, .events = POLLIN },
		};
		if (poll(pfd, interrupt_fd >= 0 ? 2 : 1, -1) < 0 && errno != EINTR)
			return TARGET_WAIT_ERROR;
		if (pfd[0].revents)
			drain_sigchld(lt);
		if (interrupt_fd >= 0 && pfd[1].revents)
			return TARGET_WAIT_INTERRUPTED;
	}
}

static int lt_interrupt(struct target *t)
{
	struct live_target *lt = LT(t);
	if (lt->gone)
		return 0;
	stop_everyone(lt);
	lt->interrupt_requested = true;
	return 0;
}

static int lt_kill(struct target *t)
{
	struct live_target *lt = LT(t);
	if (!lt->gone)
		process_kill(&lt->proc);
	lt->gone = true;
	return 0;
}

static int lt_detach(struct target *t)
{
	struct live_target *lt = LT(t);
	if (lt->gone)
		return 0;
	int rc = process_detach(&lt->proc);
	lt->gone = true;
	return rc;
}

/* ---- auxv, exec file, siginfo, host files ------------------------------------ */

static int lt_get_auxv(struct target *t, const void **data, size_t *len)
{
	struct live_target *lt = LT(t);
	if (!lt->auxv)
		return -ENOENT;
	*data = lt->auxv;
	*len = lt->auxv_len;
	return 0;
}

static int lt_exec_file(struct target *t, int64_t pid, char *out, size_t len)
{
	struct live_target *lt = LT(t);
	snprintf(out, len, "%s", lt->exe);
	return 0;
}

static int lt_get_siginfo(struct target *t, int64_t tid, void *buf, size_t len)
{
	struct live_target *lt = LT(t);
	struct task *task = live_task(lt, tid);
	if (!task || task->last_stop.kind != TASK_STOP_SIGNAL)
		return -EINVAL;
	memset(buf, 0, len);
	memcpy(buf, &task->last_stop.siginfo,
	       len < sizeof(siginfo_t) ? len : sizeof(siginfo_t));
	return 0;
}

static int lt_file_open(struct target *t, const char *path, int flags, int mode)
{
	int fd = open(path, flags | O_CLOEXEC, mode);
	return fd < 0 ? -errno : fd;
}




static ssize_t lt_file_readlink(struct target *t, const char *path, char *buf,
				size_t len)
{
	ssize_t n = readlink(path, buf, len);
	return n < 0 ? -errno : n;
}

static void lt_set_pass_signals(struct target *t, const bool *pass, int nsig)
{
	struct live_target *lt = LT(t);
	for (int i = 0; i < 65; i++)
		lt->pass[i] = i < nsig && pass[i];
}

static const struct target_ops live_ops = {
	.list_threads = lt_list_threads,
	.thread_alive = lt_thread_alive,
	.get_regs = lt_get_regs,
	.set_regs = lt_set_regs,
	.read_memory = lt_read_memory,
	.write_memory = lt_write_memory,
	.insert_breakpoint = lt_insert_bp,
	.remove_breakpoint = lt_remove_bp,
	.resume = lt_resume,
	.wait = lt_wait,
	.interrupt = lt_interrupt,
	.kill = lt_kill,
	.detach = lt_detach,
	.get_auxv = lt_get_auxv,
	.exec_file = lt_exec_file,
	.get_siginfo = lt_get_siginfo,
	.file_open = lt_file_open,
	.file_pread = target_fd_pread,
	.file_close = target_fd_close,
	.file_fstat = target_fd_fstat,
	.file_readlink = lt_file_readlink,
	.set_pass_signals = lt_set_pass_signals,
	.catch_syscalls = lt_catch_syscalls,
};

/* ---- start ------------------------------------------------------------------ */

/* execvp's search, done here so the traced exec is of a full path. */
static int find_program(const char *name, char *out, size_t len)
{
	if (strchr(name, '/')) {
		if (access(name, F_OK) < 0)
			return -errno;
		snprintf(out, len, "%s", name);
		return 0;
	}
	const char *path = getenv("PATH");
	if (!path)
		path = "/usr/local/bin:/usr/bin:/bin";
	int err = -ENOENT;
	for (const char *p = path; *p;) {
		const char *colon = strchr(p, ':');
		size_t dl = colon ? (size_t)(colon - p) : strlen(p);
		snprintf(out, len, "%.*s/%s", (int)dl, dl ? p : ".", name);
		if (access(out, X_OK) == 0)
			return 0;
		if (errno == EACCES)
			err = -EACCES;
		p += dl + (colon ? 1 : 0);
		if (!colon)
			break;
	}
	return err;
}

static void read_auxv(struct live_target *lt)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/auxv", lt->proc.pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	size_t cap = 4096;
	lt->auxv = malloc(cap);
	ssize_t n;
	while (lt->auxv && (n = read(fd, lt->auxv + lt->auxv_len,
				     cap - lt->auxv_len)) > 0) {
		lt->auxv_len += (size_t)n;
		if (lt->auxv_len == cap)
			lt->auxv = realloc(lt->auxv, cap *= 2);
	}
	close(fd);
}

static uint64_t description_xcr0(struct live_target *lt)
{
	struct task *task = live_task(lt, lt->proc.pid);
	uint64_t xcr0 = task ? task_xcr0(lt, task) : 0;
	/* A process cannot gain components; every thread shares this. */
	return xcr0 ? xcr0 : xsave_host_xcr0();
}

struct target *live_target_start(char *const argv[], FILE *log, char *err,
				 size_t errlen)
{
	struct live_target *lt = calloc(1, sizeof(*lt));
	if (!lt) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	lt->log = log;
	lt->sigchld_fd = -1;
	int rc = find_program(argv[0], lt->exe, sizeof(lt->exe));
	if (rc < 0) {
		snprintf(err, errlen, "cannot start '%s': %s", argv[0], strerror(-rc));
		free(lt);
		return NULL;
	}
	/* SIGCHLD through a signalfd so wait() can also watch GDB's socket. */
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigprocmask(SIG_BLOCK, &set, NULL);
	lt->sigchld_fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (lt->sigchld_fd < 0) {
		snprintf(err, errlen, "signalfd: %s", strerror(errno));
		free(lt);
		return NULL;
	}
	char **args = (char **)argv;
	char *saved = args[0];
	args[0] = lt->exe;
	struct spawn_options opts = SPAWN_OPTIONS_DEFAULT;
	rc = process_spawn(&lt->proc, args, NULL, &opts, err, errlen);
	args[0] = saved;
	if (rc < 0) {
		close(lt->sigchld_fd);
		free(lt);
		return NULL;
	}
	char real[PATH_MAX];
	if (realpath(lt->exe, real))
		snprintf(lt->exe, sizeof(lt->exe), "%s", real);
	read_auxv(lt);
	lt->base.ops = &live_ops;
	lt->base.name = "live";
	lt->base.priv = lt;
	lt->base.xcr0_union = description_xcr0(lt);
	return &lt->base;
}

bool live_target_alive(struct target *t)
{
	return !LT(t)->gone;
}

void live_target_destroy(struct target *t)
{
	if (!t)
		return;
	struct live_target *lt = LT(t);
	if (!lt->gone)
		process_kill(&lt->proc);
	process_free(&lt->proc);
	if (lt->sigchld_fd >= 0)
		close(lt->sigchld_fd);
	free(lt->auxv);
	free(lt);
}
