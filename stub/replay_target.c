/* The replay target: struct target over the replay engine. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/xcr0.h"
#include "protocol/rsp_cmd.h"
#include "replay/insn_virt.h"
#include "replay/symbols.h"
#include "replay/task.h"
#include "replay/timeline.h"
#include "replay/trace.h"
#include "replay/xsave.h"
#include "stub/replay_diversion.h"
#include "stub/process_target.h"
#include "stub/replay_target.h"

struct replay_target {
	struct target base;
	struct replayer *r;
	/* Every move of the replay goes through its timeline, which names
	 * positions and goes backwards (replay/timeline.h). */
	struct timeline *tl;
	bool step;
	bool reverse;              /* bc/bs */
	pid_t step_tid;
	target_stop_filter filter;
	void *filter_ctx;
	bool interrupt_requested;
	bool at_end;               /* end of history reported once */
	bool exited;               /* ...and reported as an exit */
	int exit_status;
	char trace_dir[4096];
	struct replay_options opts;
	/* The thread of the last stop: a diversion forks it. */
	pid_t last_tid;
	/* While a diversion is active every op goes to its copy
	 * (stub/replay_diversion.h, docs/diversions.md). */
	struct replay_diversion *div;
	bool div_running;          /* the copy was resumed, not yet waited */
};

static struct replay_target *RT(struct target *t)
{
	return t->priv;
}

/* ---- diversions ------------------------------------------------------------ */

static pid_t current_tid(struct replay_target *rt)
{
	pid_t tids[TASK_MAX_THREADS];
	if (rt->last_tid > 0 && replayer_task(rt->r, rt->last_tid))
		return rt->last_tid;
	return replayer_threads(rt->r, tids, TASK_MAX_THREADS) ? tids[0] : 0;
}

static int start_diversion(struct replay_target *rt, pid_t tid, char *err,
			   size_t errlen)
{
	if (rt->div)
		return 0;
	if (rt->at_end && rt->exited) {
		snprintf(err, errlen, "the recorded program has exited: "
			 "nothing to divert");
		return -ESRCH;
	}
	FILE *out = rt->opts.echo_stdout ? rt->opts.echo_stdout : stdout;
	FILE *errs = rt->opts.echo_stderr ? rt->opts.echo_stderr : stderr;
	rt->div = replay_diversion_start(rt->r, tid > 0 ? tid : current_tid(rt),
					 out, errs, err, errlen);
	rt->div_running = false;
	return rt->div ? 0 : -EIO;
}

static void end_diversion(struct replay_target *rt)
{
	replay_diversion_end(rt->div);
	rt->div = NULL;
	rt->div_running = false;
}


/* ---- threads and registers ------------------------------------------------ */

static int rt_list_threads(struct target *t, struct target_thread *out,
			   size_t max)
{
	struct replay_target *rt = RT(t);
	if (rt->div && max) {
		struct x86_regfile rf;
		out[0] = (struct target_thread){
			.pid = replayer_recorded_pid(rt->r),
			.tid = replay_diversion_tid(rt->div),
			.xcr0 = replay_diversion_get_regs(rt->div, &rf) == 0
				? rf.xcr0 : 0,
			.core = -1,
		};
		return 1;
	}
	pid_t tids[TASK_MAX_THREADS];
	size_t n = replayer_threads(rt->r, tids, TASK_MAX_THREADS);
	if (n > TASK_MAX_THREADS)
		n = TASK_MAX_THREADS;
	size_t k = 0;
	for (size_t i = 0; i < n && k < max; i++, k++) {
		out[k] = (struct target_thread){
			.pid = replayer_recorded_pid(rt->r),
			.tid = tids[i],
			.xcr0 = replayer_thread_xcr0(rt->r, tids[i]),
			.core = -1,
		};
	}
	return (int)k;
}

static bool rt_thread_alive(struct target *t, int64_t tid)
{
	struct replay_target *rt = RT(t);
	if (rt->div)
		return tid == replay_diversion_tid(rt->div);
	return tid > 0 && replayer_task(rt->r, (pid_t)tid) != NULL;
}

static int rt_get_regs(struct target *t, int64_t tid, struct x86_regfile *out)
{
	struct replay_target *rt = RT(t);
	if (rt->div)
		return tid == replay_diversion_tid(rt->div)
		       ? replay_diversion_get_regs(rt->div, out) : -ESRCH;
	struct task *task = replayer_task(rt->r, (pid_t)tid);
	if (!task)
		return -ESRCH;
	int rc = task_get_regfile(replayer_process(rt->r), task, out);
	if (rc == 0)
		out->xcr0 = replayer_thread_xcr0(rt->r, (pid_t)tid);
	return rc;
}

/* Writes that change nothing are accepted, and so is orig_rax: GDB sets
 * it to -1 around `run` and inferior calls to stop syscall restarting,
 * which the replay controls anyway.  Any other write starts a diversion
 * (the replay itself is never changed) and goes to its copy. */
static int rt_set_regs(struct target *t, int64_t tid,
		       const struct x86_regfile *in, char *err, size_t errlen)
{
	struct replay_target *rt = RT(t);
	struct x86_regfile cur, want = *in;
	int rc = rt_get_regs(t, tid, &cur);
	if (rc < 0)
		return rc;
	if (!rt->div) {
		want.orig_rax = cur.orig_rax;
		want.xcr0 = cur.xcr0;
		if (memcmp(&want, &cur, sizeof(cur)) == 0)
			return 0;
		if ((rc = start_diversion(rt, (pid_t)tid, err, errlen)) < 0)
			return rc;
	}
	return replay_diversion_set_regs(rt->div, in);
}

/* GDB sees the program's own bytes: not our breakpoints, and not the
 * traps that virtualise CPUID/XGETBV/XSAVE (--xcr0 recordings). */
static ssize_t rt_read_memory(struct target *t, uint64_t addr, void *buf,
			      size_t len)
{
	struct replayer *r = RT(t)->r;
	if (RT(t)->div)
		return replay_diversion_read(RT(t)->div, addr, buf, len);
	ssize_t n = process_read_memory_clean(replayer_process(r), addr, buf, len);
	struct insn_virt *iv = replayer_insn_virt(r);
	if (n > 0 && iv)
		insn_virt_original_bytes(iv, addr, buf, (size_t)n);
	return n;
}

static ssize_t rt_write_memory(struct target *t, uint64_t addr,
			       const void *buf, size_t len, char *err,
			       size_t errlen)
{
	struct replay_target *rt = RT(t);
	int rc = start_diversion(rt, 0, err, errlen);
	if (rc < 0)
		return rc;
	return replay_diversion_write(rt->div, addr, buf, len);
}

/* ---- breakpoints --------------------------------------------------------------- */

/* Breakpoints go to the replay and, during a diversion, to its copy too:
 * GDB's view of what is inserted stays true when the diversion ends. */
/* Hardware breakpoints are int3s in a replay: nothing else writes its
 * code.  Watchpoints are the timeline's (debug registers where they
 * fire, else checked step by step). */
static enum timeline_bp timeline_type(enum target_bp_type type)
{
	switch (type) {
	case TARGET_WP_WRITE:
		return TIMELINE_WATCH;
	case TARGET_WP_READ:
		return TIMELINE_RWATCH;
	case TARGET_WP_ACCESS:
		return TIMELINE_AWATCH;
	default:
		return TIMELINE_BREAK;
	}
}

static uint64_t timeline_len(enum target_bp_type type, size_t kind)
{
	return timeline_type(type) == TIMELINE_BREAK ? 1 : kind;
}

static int rt_insert_bp(struct target *t, enum target_bp_type type,
			uint64_t addr, size_t kind)
{
	struct replay_target *rt = RT(t);
	int rc = timeline_insert(rt->tl, timeline_type(type), addr,
				 timeline_len(type, kind));
	if (rc == 0 && rt->div) {
		rc = process_target_insert_bp(replay_diversion_process(rt->div),
					      type, addr, kind);
		if (rc < 0)
			timeline_remove(rt->tl, timeline_type(type), addr,
					timeline_len(type, kind));
	}
	return rc;
}

static int rt_remove_bp(struct target *t, enum target_bp_type type,
			uint64_t addr, size_t kind)
{
	struct replay_target *rt = RT(t);
	int rc = timeline_remove(rt->tl, timeline_type(type), addr,
				 timeline_len(type, kind));
	if (rt->div) {
		int rc2 = process_target_remove_bp(
			replay_diversion_process(rt->div), type, addr, kind);
		if (rc == 0)
			rc = rc2;
	}
	return rc;
}

/* ---- execution --------------------------------------------------------------------- */

/* The action for the diverted thread (its own, else the default). */
static int resume_diversion(struct replay_target *rt,
			    const struct target_resume *actions, size_t n)
{
	pid_t tid = replay_diversion_tid(rt->div);
	for (size_t i = 0; i < n; i++) {
		if (actions[i].tid != tid && actions[i].tid != RSP_ID_ALL &&
		    actions[i].tid != 0)
			continue;
		int rc = replay_diversion_resume(rt->div, actions[i].step,
						 actions[i].signo);
		rt->div_running = rc == 0;
		return rc;
	}
	return -ESRCH;
}

static int rt_resume(struct target *t, const struct target_resume *actions,
		     size_t n)
{
	struct replay_target *rt = RT(t);
	rt->step = false;
	rt->reverse = n && actions[0].reverse;
	rt->interrupt_requested = false;
	if (rt->div && !replay_diversion_over(rt->div) &&
	    !replay_diversion_back_at_start(rt->div)) {
		if (rt->reverse)
			return -ENOTSUP;   /* no history in a diversion */
		return resume_diversion(rt, actions, n);
	}
	/* GDB put back the registers it saved (an inferior call is over),
	 * or the copy is gone: the replay goes on as if nothing happened. */
	if (rt->div)
		end_diversion(rt);
	/* Signals GDB asks to deliver are ignored: a replay delivers exactly
	 * the recorded ones. */
	for (size_t i = 0; i < n; i++)
		if (actions[i].step) {
			rt->step = true;
			rt->step_tid = actions[i].tid > 0 ? (pid_t)actions[i].tid : 0;
			break;
		}
	return 0;
}

static void stop_at(struct replay_target *rt, struct target_stop *stop,
		    pid_t tid, int signo)
{
	memset(stop, 0, sizeof(*stop));
	stop->kind = TARGET_STOP_SIGNAL;
	stop->pid = replayer_recorded_pid(rt->r);
	stop->tid = tid > 0 && replayer_task(rt->r, tid) ? tid : stop->pid;
	stop->signo = signo;
	rt->last_tid = (pid_t)stop->tid;
}

static void describe_status(char *out, size_t len, int status)
{
	if (WIFSIGNALED(status))
		snprintf(out, len, "was killed by signal %d (%s)", WTERMSIG(status),
			 strsignal(WTERMSIG(status)));
	else
		snprintf(out, len, "exited with status %d", WEXITSTATUS(status));
}

/* The end of the trace: first a stop GDB reports as the end of history,
 * then, when continued again, the recorded exit. */
static void end_of_history(struct replay_target *rt, struct target_stop *stop,
			   pid_t tid, int status)
{
	char how[80];
	rt->exit_status = status;
	if (!rt->at_end) {
		rt->at_end = true;
		stop_at(rt, stop, tid, SIGTRAP);
		stop->reason = TARGET_REASON_REPLAY_END;
		describe_status(how, sizeof(how), status);
		snprintf(stop->message, sizeof(stop->message),
			 "xrr: end of the recording: the program %s\n", how);
		return;
	}
	memset(stop, 0, sizeof(*stop));
	stop->pid = replayer_recorded_pid(rt->r);
	stop->tid = stop->pid;
	rt->exited = true;
	if (WIFSIGNALED(status)) {
		stop->kind = TARGET_STOP_KILLED;
		stop->signo = WTERMSIG(status);
	} else {
		stop->kind = TARGET_STOP_EXITED;
		stop->status = WEXITSTATUS(status);
	}
}

static void translate_stop(struct replay_target *rt,
			   const struct replay_stop *rs,
			   struct target_stop *stop)
{
	switch (rs->kind) {
	case REPLAY_STOP_BREAKPOINT:
		stop_at(rt, stop, rs->tid, SIGTRAP);
		stop->reason = TARGET_REASON_SWBREAK;
		break;
	case REPLAY_STOP_HW_BREAK:
		stop_at(rt, stop, rs->tid, SIGTRAP);
		stop->reason = TARGET_REASON_HWBREAK;
		break;
	case REPLAY_STOP_WATCH:
		stop_at(rt, stop, rs->tid, SIGTRAP);
		stop->reason = rs->watch_read ? TARGET_REASON_RWATCH
			       : rs->watch_access ? TARGET_REASON_AWATCH
			       : TARGET_REASON_WATCH;
		stop->watch_addr = rs->watch_addr;
		break;
	case REPLAY_STOP_STEP:
	case REPLAY_STOP_EVENT:
	case REPLAY_STOP_GUARD:         /* the timeline's own, never shown */
		stop_at(rt, stop, rs->tid, SIGTRAP);
		break;
	case REPLAY_STOP_SIGNAL:
		stop_at(rt, stop, rs->tid, rs->signo);
		break;
	case REPLAY_STOP_INTERRUPTED:
		stop_at(rt, stop, rs->tid, SIGINT);
		break;
	case REPLAY_STOP_END:
		end_of_history(rt, stop, rs->tid, rs->exit_status);
		break;
	case REPLAY_STOP_SYSCALL_ENTRY:
	case REPLAY_STOP_SYSCALL_RETURN:
		stop_at(rt, stop, rs->tid, SIGTRAP);
		stop->reason = rs->kind == REPLAY_STOP_SYSCALL_ENTRY
			       ? TARGET_REASON_SYSCALL_ENTRY
			       : TARGET_REASON_SYSCALL_RETURN;
		stop->syscall_nr = rs->syscall_nr;
		break;
	case REPLAY_STOP_DIVERGED:
	case REPLAY_STOP_ERROR:
		/* Never continue past a divergence: every later resume
		 * reports it again. */
		stop_at(rt, stop, rs->tid, SIGTRAP);
		snprintf(stop->message, sizeof(stop->message), "%s%s\n",
			 strncmp(rs->message, "xrr: ", 5) ? "xrr: " : "",
			 rs->message);
		break;
	}
}

static enum target_wait_result wait_diversion(struct replay_target *rt,
					     struct target_stop *stop,
					     int interrupt_fd)
{
	pid_t tid = replay_diversion_tid(rt->div);
	if (rt->interrupt_requested) {
		rt->interrupt_requested = false;
		rt->div_running = false;
		replay_diversion_interrupt(rt->div);
		stop_at(rt, stop, tid, SIGINT);
		return TARGET_WAIT_STOPPED;
	}
	enum target_wait_result w = replay_diversion_wait(rt->div, stop,
							  interrupt_fd);
	if (w != TARGET_WAIT_STOPPED)
		return w;
	rt->div_running = false;
	if (replay_diversion_over(rt->div)) {
		/* The copy exited or died: report a stop in the replay, where
		 * the diversion started, with the copy's fate as a message. */
		char message[sizeof(stop->message)];
		memcpy(message, stop->message, sizeof(message));
		end_diversion(rt);
		stop_at(rt, stop, tid, SIGTRAP);
		memcpy(stop->message, message, sizeof(message));
	}
	return TARGET_WAIT_STOPPED;
}

/* bc/bs: backwards, through the timeline.  The end of history is left
 * behind; at the start GDB hears replaylog:begin. */
static enum target_wait_result wait_reverse(struct replay_target *rt,
					    struct target_stop *stop,
					    int interrupt_fd)
{
	struct replay_stop rs;
	bool begin = false;
	if (rt->exited) {
		memset(stop, 0, sizeof(*stop));
		stop->kind = TARGET_STOP_EXITED;
		stop->pid = stop->tid = replayer_recorded_pid(rt->r);
		stop->status = WEXITSTATUS(rt->exit_status);
		return TARGET_WAIT_STOPPED;
	}
	timeline_reverse(rt->tl, rt->step, rt->step_tid, &rs, &begin,
			 interrupt_fd);
	rt->at_end = false;
	if (rs.kind == REPLAY_STOP_INTERRUPTED) {
		stop_at(rt, stop, rs.tid, SIGINT);
		return TARGET_WAIT_STOPPED;
	}
	translate_stop(rt, &rs, stop);
	if (begin)
		stop->reason = TARGET_REASON_REPLAY_BEGIN;
	return TARGET_WAIT_STOPPED;
}

static enum target_wait_result rt_wait(struct target *t,
				       struct target_stop *stop,
				       int interrupt_fd)
{
	struct replay_target *rt = RT(t);
	if (rt->div)
		return wait_diversion(rt, stop, interrupt_fd);
	if (rt->interrupt_requested) {
		rt->interrupt_requested = false;
		stop_at(rt, stop, 0, SIGINT);
		return TARGET_WAIT_STOPPED;
	}
	if (rt->reverse)
		return wait_reverse(rt, stop, interrupt_fd);
	if (rt->at_end) {
		/* Continuing past the end of history ends the program. */
		end_of_history(rt, stop, 0, rt->exit_status);
		return TARGET_WAIT_STOPPED;
	}
	struct replay_stop rs;
	timeline_resume(rt->tl, rt->step, rt->step_tid, &rs, interrupt_fd);
	if (rs.kind == REPLAY_STOP_INTERRUPTED)
		return TARGET_WAIT_INTERRUPTED;
	translate_stop(rt, &rs, stop);
	return TARGET_WAIT_STOPPED;
}

static int rt_interrupt(struct target *t)
{
	RT(t)->interrupt_requested = true;
	return 0;
}

static int rt_kill(struct target *t)
{
	if (RT(t)->div)
		end_diversion(RT(t));
	/* The replay process stays until the target is closed or restarted:
	 * a replay has nothing to clean up in the world. */
	return 0;
}

static int rt_detach(struct target *t)
{
	if (RT(t)->div)
		end_diversion(RT(t));
	return 0;
}

static int rt_restart(struct target *t, char *err, size_t errlen)
{
	struct replay_target *rt = RT(t);
	if (rt->div)
		end_diversion(rt);
	rt->at_end = rt->exited = false;
	rt->interrupt_requested = false;
	return timeline_restart(rt->tl, err, errlen);
}

/* ---- what the program saw ------------------------------------------------------------ */

static int rt_get_auxv(struct target *t, const void **data, size_t *len)
{
	return replayer_auxv(RT(t)->r, data, len);
}

/* The signal GDB was told about: the recorded siginfo. */
static int rt_get_siginfo(struct target *t, int64_t tid, void *buf, size_t len)
{
	return replayer_stop_siginfo(RT(t)->r, (pid_t)tid, buf, len) < 0
	       ? -EINVAL : 0;
}

static int rt_exec_file(struct target *t, int64_t pid, char *out, size_t len)
{
	const char *path = replayer_exec_path(RT(t)->r);
	if (!path)
		return -ENOENT;
	snprintf(out, len, "%s", path);
	return 0;
}

/* The stored file whose recorded path has the same last component as
 * `path`, when exactly one does: GDB asks for the names the program
 * used (/lib64/ld-linux-x86-64.so.2, PT_INTERP) while the trace records
 * the resolved ones (/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2). */
static int open_by_basename(struct replay_target *rt, const char *path)
{
	const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	char err[256], match[4096] = "";
	int matches = 0;
	struct trace_reader *rd = trace_stream_reader(replayer_trace(rt->r),
						      TRACE_STREAM_FILEMAP,
						      err, sizeof(err));
	if (!rd)
		return -ENOENT;
	struct trace_record rec;
	while (trace_reader_next(rd, &rec) == TRACE_RECORD) {
		struct trace_file_entry e;
		if (rec.type != TRACE_REC_FILE_STORED ||
		    trace_file_entry_decode(&e, rec.data, rec.len) != 0)
			continue;
		const char *eb = strrchr(e.path, '/') ? strrchr(e.path, '/') + 1
						       : e.path;
		if (strcmp(eb, base) == 0 && strcmp(match, e.path) != 0) {
			snprintf(match, sizeof(match), "%s", e.path);
			matches++;
		}
		trace_file_entry_free(&e);
	}
	trace_reader_close(rd);
	return matches == 1 ? replayer_open_recorded_file(rt->r, match) : -ENOENT;
}

/* Files GDB reads come from the trace's copies only, never the host's:
 * the host may not have them, or may have other versions. */
static int rt_file_open(struct target *t, const char *path, int flags, int mode)
{
	struct replay_target *rt = RT(t);
	/* The recorded program's /proc files (replay/replay_procfs.c). */
	if (strncmp(path, "/proc/", 6) == 0)
		return replayer_open_proc_file(rt->r, path);
	int fd = replayer_open_recorded_file(rt->r, path);
	if (fd == -ENOENT && strstr(path, "//")) {
		/* GDB joins debug directories and file names with a '/' of
		 * its own (/usr/lib/debug//OBJDIR/NAME.debug); the trace
		 * names the debug files xrr pack added with one. */
		char merged[4096];
		size_t n = 0;
		for (const char *p = path; *p && n + 1 < sizeof(merged); p++)
			if (*p != '/' || n == 0 || merged[n - 1] != '/')
				merged[n++] = *p;
		merged[n] = 0;
		fd = replayer_open_recorded_file(rt->r, merged);
	}
	if (fd == -ENOENT)
		fd = open_by_basename(rt, path);
	return fd;
}



static ssize_t rt_file_readlink(struct target *t, const char *path, char *buf,
				size_t len)
{
	return replayer_readlink_proc_file(RT(t)->r, path, buf, len);
}

/* ---- monitor commands ------------------------------------------------------------------- */

static int monitor_goto(struct replay_target *rt, const char *arg,
			struct rsp_buf *out)
{
	char *end;
	uint64_t event = strtoull(arg, &end, 0);
	if (end == arg || *end) {
		rsp_buf_printf(out, "xrr: monitor goto wants an event number, "
			       "got '%s'\n", arg);
		return 0;
	}
	char err[300] = "";
	if (replay_target_goto(&rt->base, event, err, sizeof(err)) < 0) {
		rsp_buf_printf(out, "xrr: goto %" PRIu64 ": %s\n", event, err);
		return 0;
	}
	if (rt->at_end && event > replayer_current_event(rt->r))
		rsp_buf_printf(out, "xrr: the recording ends at event %" PRIu64
			       "; stopped there\n", replayer_current_event(rt->r));
	else
		rsp_buf_printf(out, "xrr: now at event %" PRIu64,
			       replayer_current_event(rt->r));
	rsp_buf_append_str(out, " (run 'maint flush register-cache' so GDB "
			   "rereads registers)\n");
	return 0;
}

static const char flush_hint[] =
	" (run 'maint flush register-cache' so GDB rereads registers)\n";

static int monitor_diversion(struct replay_target *rt, const char *arg,
			     struct rsp_buf *out)
{
	char err[400] = "";
	if (strcmp(arg, "start") == 0) {
		if (rt->div) {
			replay_diversion_status(rt->div, out);
			return 0;
		}
		if (start_diversion(rt, 0, err, sizeof(err)) < 0) {
			rsp_buf_printf(out, "xrr: %s\n", err);
			return 0;
		}
		replay_diversion_status(rt->div, out);
		rsp_buf_append_str(out, "xrr: diversion started");
		rsp_buf_append_str(out, flush_hint);
	} else if (strcmp(arg, "end") == 0) {
		if (!rt->div) {
			rsp_buf_append_str(out, "xrr: no diversion is active\n");
			return 0;
		}
		end_diversion(rt);
		rsp_buf_printf(out, "xrr: diversion ended; back in the replay "
			       "at event %" PRIu64, replayer_current_event(rt->r));
		rsp_buf_append_str(out, flush_hint);
	} else if (strcmp(arg, "status") == 0 || !*arg) {
		if (rt->div)
			replay_diversion_status(rt->div, out);
		else
			rsp_buf_printf(out, "diversion: none (replaying, next "
				       "event %" PRIu64 ")\n",
				       replayer_current_event(rt->r));
	} else {
		rsp_buf_append_str(out, "xrr: monitor diversion start|end|status\n");
	}
	return 0;
}

/* implant ... and checksum ...: in the diversion, started if needed. */
static int monitor_in_diversion(struct replay_target *rt, const char *cmd,
				struct rsp_buf *out)
{
	char err[400] = "";
	if (!rt->div && start_diversion(rt, 0, err, sizeof(err)) < 0) {
		rsp_buf_printf(out, "xrr: %s\n", err);
		return 0;
	}
	return replay_diversion_monitor(rt->div, cmd, out);
}

/* Checkpoints: console text from the timeline into out. */
static int monitor_checkpoint(struct replay_target *rt, const char *cmd,
			      struct rsp_buf *out)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	if (!f)
		return -ENOMEM;
	const char *arg = strchr(cmd, ' ') ? strchr(cmd, ' ') + 1 : "";
	bool moved = false;
	if (rt->div && strcmp(cmd, "checkpoints") != 0) {
		fprintf(f, "xrr: end the diversion first (monitor diversion "
			"end)\n");
	} else if (strncmp(cmd, "checkpoints", 11) == 0) {
		timeline_checkpoints(rt->tl, f);
	} else if (strncmp(cmd, "checkpoint", 10) == 0) {
		timeline_checkpoint(rt->tl, arg, f);
	} else if (strncmp(cmd, "restart", 7) == 0) {
		struct replay_stop rs;
		if (!*arg)
			fprintf(f, "xrr: monitor restart N|NAME\n");
		else if (timeline_restart_checkpoint(rt->tl, arg, &rs, f) == 0)
			moved = true;
	} else {
		if (!*arg)
			fprintf(f, "xrr: monitor delete-checkpoint N|NAME\n");
		else
			timeline_delete_checkpoint(rt->tl, arg, f);
	}
	if (moved) {
		rt->at_end = rt->exited = false;
		fprintf(f, "%s", flush_hint + 1);
	}
	fclose(f);
	rsp_buf_append_str(out, text ? text : "");
	free(text);
	return 0;
}

/* `when`: the event number on a line of its own (scripts parse it),
 * then where the current thread is. */
static int monitor_when(struct replay_target *rt, struct rsp_buf *out)
{
	char where[512];
	pid_t tid = current_tid(rt);

	rsp_buf_printf(out, "Current event: %" PRIu64 "\n",
		       replayer_current_event(rt->r));
	if (!rt->div && tid > 0 &&
	    replayer_thread_location(rt->r, tid, where, sizeof(where)))
		rsp_buf_printf(out, "Thread %d at %s\n", (int)tid, where);
	return 0;
}

#define MONITOR_MAX_FRAMES 64

/* `backtrace [TID]` (`bt`): the replayed thread's call stack from its
 * CFI, in the format of `xrr dump --backtrace`. */
static int monitor_backtrace(struct replay_target *rt, const char *arg,
			     struct rsp_buf *out)
{
	struct sym_frame frames[MONITOR_MAX_FRAMES];
	char err[300], line[600], *end;
	pid_t tid = current_tid(rt);

	if (rt->div) {
		rsp_buf_append_str(out, "xrr: backtrace shows the replay; end "
				   "the diversion first (monitor diversion end)\n");
		return 0;
	}
	if (*arg) {
		tid = (pid_t)strtol(arg, &end, 10);
		if (end == arg || *end || tid <= 0) {
			rsp_buf_printf(out, "xrr: monitor backtrace [TID], got "
				       "'%s'\n", arg);
			return 0;
		}
	}
	struct task *t = tid > 0 ? replayer_task(rt->r, tid) : NULL;
	struct sym_table *st = replayer_symbols(rt->r);
	if (!t || !st) {
		rsp_buf_printf(out, "xrr: no live thread %d in the replay\n",
			       (int)tid);
		return 0;
	}
	ssize_t n = sym_task_backtrace(st, replayer_process(rt->r), t, frames,
				       MONITOR_MAX_FRAMES, err, sizeof(err));
	if (n < 0)
		rsp_buf_printf(out, "xrr: backtrace of thread %d: %s\n",
			       (int)tid, err);
	for (ssize_t i = 0; i < n; i++)
		rsp_buf_printf(out, "%s\n", sym_format_frame((size_t)i,
				&frames[i], line, sizeof(line)));
	return 0;
}

static bool is_word(const char *cmd, const char *word)
{
	size_t n = strlen(word);
	return strncmp(cmd, word, n) == 0 && (!cmd[n] || cmd[n] == ' ');
}

static int rt_monitor(struct target *t, const char *cmd, struct rsp_buf *out)
{
	struct replay_target *rt = RT(t);
	if (strcmp(cmd, "help") == 0) {
		rsp_buf_append_str(out,
			"  when               the number of the next event to replay, and\n"
			"                     where the current thread is (function, file:line)\n"
			"  backtrace [TID]    the thread's call stack from the trace's files\n"
			"                     (alias bt; DWARF lines, CFI frames)\n"
			"  goto EVENT         replay to EVENT (backwards from the nearest checkpoint)\n"
			"  checkpoint [NAME]  remember this moment of the replay\n"
			"  checkpoints        list them, with the memory they hold\n"
			"  restart N|NAME     go back (or forward) to a checkpoint\n"
			"  delete-checkpoint N|NAME\n"
			"  trace              the trace being replayed\n"
			"  diversion start|end|status\n"
			"                     run a copy of the replayed process for real\n"
			"  implant load PATH  load an implant into the diversion\n"
			"  implant call SYMBOL [ARGS...]\n"
			"                     call an implant function in the diversion\n"
			"  checksum ADDR LEN [ADDR LEN...] | --writable\n"
			"                     XXH3-64 of memory, computed in the diversion\n");
		return 0;
	}
	if (strncmp(cmd, "diversion", 9) == 0 && (!cmd[9] || cmd[9] == ' '))
		return monitor_diversion(rt, cmd[9] ? cmd + 10 : "", out);
	if (strncmp(cmd, "implant ", 8) == 0 || strncmp(cmd, "checksum ", 9) == 0)
		return monitor_in_diversion(rt, cmd, out);
	if (is_word(cmd, "checkpoint") || is_word(cmd, "checkpoints") ||
	    is_word(cmd, "restart") || is_word(cmd, "delete-checkpoint"))
		return monitor_checkpoint(rt, cmd, out);
	if (strcmp(cmd, "when") == 0)
		return monitor_when(rt, out);
	if (is_word(cmd, "backtrace") || is_word(cmd, "bt")) {
		const char *arg = strchr(cmd, ' ');
		return monitor_backtrace(rt, arg ? arg + 1 : "", out);
	}
	if (strncmp(cmd, "goto ", 5) == 0)
		return monitor_goto(rt, cmd + 5, out);
	if (strcmp(cmd, "trace") == 0) {
		rsp_buf_printf(out, "%s\n", rt->trace_dir);
		return 0;
	}
	return 1;
}

static bool rt_filter(void *ctx, pid_t tid, uint64_t pc)
{
	struct replay_target *rt = ctx;
	return !rt->filter || rt->filter(rt->filter_ctx, tid, pc);
}

/* Forward continues of the replay stop at the recorded syscalls (not a
 * diversion's: those run for real, uncaught). */
static int rt_catch_syscalls(struct target *t, bool on, const bool *which)
{
	replayer_catch_syscalls(RT(t)->r, on, which);
	return 0;
}

static void rt_set_stop_filter(struct target *t, target_stop_filter fn,
			       void *ctx)
{
	struct replay_target *rt = RT(t);
	rt->filter = fn;
	rt->filter_ctx = ctx;
	timeline_set_filter(rt->tl, rt_filter, rt);
}

static const struct target_ops replay_ops = {
	.list_threads = rt_list_threads,
	.thread_alive = rt_thread_alive,
	.get_regs = rt_get_regs,
	.set_regs = rt_set_regs,
	.read_memory = rt_read_memory,
	.write_memory = rt_write_memory,
	.insert_breakpoint = rt_insert_bp,
	.remove_breakpoint = rt_remove_bp,
	.resume = rt_resume,
	.wait = rt_wait,
	.interrupt = rt_interrupt,
	.kill = rt_kill,
	.detach = rt_detach,
	.get_auxv = rt_get_auxv,
	.exec_file = rt_exec_file,
	.get_siginfo = rt_get_siginfo,
	.file_open = rt_file_open,
	.file_pread = target_fd_pread,
	.file_close = target_fd_close,
	.file_fstat = target_fd_fstat,
	.file_readlink = rt_file_readlink,
	.monitor = rt_monitor,
	.restart = rt_restart,
	.set_stop_filter = rt_set_stop_filter,
	.catch_syscalls = rt_catch_syscalls,
};

/* ---- setup ----------------------------------------------------------------------------------- */

/* Every XCR0 the session may show: each recorded thread's, plus this
 * host's (diversions run with it). */
static uint64_t xcr0_union(struct replay_target *rt)
{
	const struct trace_header *h = trace_header(replayer_trace(rt->r));
	uint64_t u = h->initial_xcr0 | xsave_host_xcr0();
	for (size_t i = 0; i < h->nthread_xcr0; i++)
		u |= h->thread_xcr0[i].xcr0;
	return u ? u : XCR0_X87 | XCR0_SSE;
}

int replay_target_goto(struct target *t, uint64_t event, char *err,
		       size_t errlen)
{
	struct replay_target *rt = RT(t);
	if (rt->div)
		end_diversion(rt);
	if (event < replayer_start_event(rt->r)) {
		/* The debugged process (-p/-f) starts later than that. */
		snprintf(err, errlen, "event %llu comes before process %d's "
			 "start (event %llu here): pick a later one",
			 (unsigned long long)event,
			 (int)replayer_recorded_pid(rt->r),
			 (unsigned long long)replayer_start_event(rt->r));
		return -1;
	}
	struct replay_stop rs;
	memset(&rs, 0, sizeof(rs));
	if (timeline_goto(rt->tl, event, &rs, err, errlen) < 0)
		return -1;
	rt->at_end = rt->exited = false;
	if (rs.kind == REPLAY_STOP_END) {
		rt->at_end = true;
		rt->exit_status = rs.exit_status;
	}
	return 0;
}

int replay_target_exit_status(struct target *t)
{
	return RT(t)->exited || RT(t)->at_end ? RT(t)->exit_status : -1;
}

struct target *replay_target_open(const char *trace_dir,
				  const struct replay_options *opts,
				  char *err, size_t errlen)
{
	struct replay_target *rt = calloc(1, sizeof(*rt));
	if (!rt) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	rt->opts = *opts;
	snprintf(rt->trace_dir, sizeof(rt->trace_dir), "%s", trace_dir);
	rt->r = replayer_open(trace_dir, &rt->opts, err, errlen);
	if (!rt->r) {
		free(rt);
		return NULL;
	}
	rt->tl = timeline_open(rt->r, err, errlen);
	if (!rt->tl) {
		replayer_close(rt->r);
		free(rt);
		return NULL;
	}
	timeline_set_echo(rt->tl, rt->opts.echo_output);
	rt->base.ops = &replay_ops;
	rt->base.name = "replay";
	rt->base.is_replay = true;
	rt->base.reverse_supported = true;
	rt->base.priv = rt;
	rt->base.xcr0_union = xcr0_union(rt);
	return &rt->base;
}

void replay_target_close(struct target *t)
{
	if (!t)
		return;
	if (RT(t)->div)
		end_diversion(RT(t));
	timeline_close(RT(t)->tl);
	replayer_close(RT(t)->r);
	free(RT(t));
}
