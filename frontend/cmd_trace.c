/* Reading traces: xrr info, xrr dump, xrr ps, xrr ls. */
#include "config.h"

#include <cpuid.h>
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/ucontext.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/xcr0.h"
#include "frontend/check.h"
#include "frontend/frontend.h"
#include "replay/recorder.h"
#include "replay/replayer.h"
#include "replay/symbols.h"
#include "replay/task.h"
#include "replay/syscalls.h"
#include "replay/trace.h"
#include "replay/trace_events.h"
#include "replay/syscallbuf.h"
#include "replay/trace_procs.h"

/* ---- common ------------------------------------------------------------------ */

static struct trace *open_trace_arg(const char *arg)
{
	char dir[PATH_MAX], err[512];

	if (xrr_resolve_trace(arg, dir, sizeof(dir), err, sizeof(err)) < 0) {
		xrr_error("%s", err);
		return NULL;
	}
	struct trace *t = trace_open(dir, err, sizeof(err));
	if (!t)
		xrr_error("%s", err);
	return t;
}

static bool wants_help(int argc, char **argv, const char *help)
{
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			fputs(help, stdout);
			return true;
		}
	return false;
}

/* The reason a recording stopped early, if the recorder left one. */
static bool read_error_file(const char *dir, char *out, size_t outlen)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/error", dir);
	FILE *f = fopen(path, "re");
	if (!f)
		return false;
	if (!fgets(out, (int)outlen, f))
		out[0] = 0;
	fclose(f);
	out[strcspn(out, "\n")] = 0;
	return true;
}

static const char *state_words(const struct trace *t)
{
	switch (trace_state(t)) {
	case TRACE_COMPLETE:
		return "complete";
	case TRACE_RECORDING:
		return "incomplete (being recorded right now)";
	case TRACE_INCOMPLETE:
		return "incomplete (the recorder stopped without closing it)";
	}
	return "?";
}

static void status_words(char *buf, size_t len, int status)
{
	char sb[32];

	if (WIFEXITED(status))
		snprintf(buf, len, "exited with status %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status)) {
		const char *n = syscall_signal_name(WTERMSIG(status), sb, sizeof(sb));
		snprintf(buf, len, "killed by %s", n ? n : "a signal");
	} else
		snprintf(buf, len, "wait status %#x", status);
}

/* Reports a stream's end: 0 clean or expected, 1 damage. */
static int stream_end(const struct trace *t, struct trace_reader *rd,
		      enum trace_status st, const char *what)
{
	if (st == TRACE_EOF)
		return 0;
	xrr_error("%s%s", trace_reader_error(rd), what);
	if (st == TRACE_TRUNCATED && trace_state(t) != TRACE_COMPLETE)
		return 0;       /* a recording cut short ends like that */
	return 1;
}

/* ---- event iteration (events + data + annotations) ------------------------------ */

struct data_bytes {
	uint64_t addr;
	uint8_t *bytes;
	size_t len;
};

struct event_iter {
	const struct trace *t;
	struct trace_reader *ev, *data;
	bool data_ok;
	struct note_syscall_inputs note;
	uint8_t *note_copy;
	bool have_note;
	struct data_bytes writes[64];
	size_t nwrites;
	uint64_t index;
	struct trace_event cur;
	bool have_cur;
	enum trace_status status;
};

static int iter_open(struct event_iter *it, const struct trace *t)
{
	char err[512];

	memset(it, 0, sizeof(*it));
	it->t = t;
	it->ev = trace_stream_reader(t, TRACE_STREAM_EVENTS, err, sizeof(err));
	if (!it->ev) {
		xrr_error("%s", err);
		return -1;
	}
	it->data = trace_stream_reader(t, TRACE_STREAM_DATA, err, sizeof(err));
	it->data_ok = it->data != NULL;
	return 0;
}

static void iter_clear(struct event_iter *it)
{
	for (size_t i = 0; i < it->nwrites; i++)
		free(it->writes[i].bytes);
	it->nwrites = 0;
	if (it->have_cur)
		trace_event_free(&it->cur);
	it->have_cur = false;
}

static void iter_close(struct event_iter *it)
{
	iter_clear(it);
	free(it->note_copy);
	trace_reader_close(it->ev);
	if (it->data)
		trace_reader_close(it->data);
}

/* Take the next n data records (the bytes of this event's writes). */
static void take_data(struct event_iter *it, const struct trace_mem_write *w,
		      size_t n, bool keep)
{
	for (size_t i = 0; i < n && it->data_ok; i++) {
		struct trace_record rec;
		if (trace_reader_next(it->data, &rec) != TRACE_RECORD) {
			it->data_ok = false;
			break;
		}
		if (!keep || it->nwrites == 64 || rec.len != w[i].len)
			continue;
		struct data_bytes *d = &it->writes[it->nwrites];
		d->bytes = malloc(rec.len ? rec.len : 1);
		if (!d->bytes)
			continue;
		memcpy(d->bytes, rec.data, rec.len);
		d->addr = w[i].addr;
		d->len = rec.len;
		it->nwrites++;
	}
}

static void keep_note(struct event_iter *it, const struct trace_record *rec)
{
	free(it->note_copy);
	it->have_note = false;
	it->note_copy = malloc(rec->len ? rec->len : 1);
	if (!it->note_copy)
		return;
	memcpy(it->note_copy, rec->data, rec->len);
	it->have_note = note_syscall_inputs_decode(&it->note, it->note_copy,
						   rec->len) == 0;
}

/* TRACE_RECORD with it->cur, or the end status. */
static enum trace_status iter_next(struct event_iter *it)
{
	struct trace_record rec;

	iter_clear(it);
	for (;;) {
		enum trace_status st = trace_reader_next(it->ev, &rec);
		if (st != TRACE_RECORD)
			return it->status = st;
		if (rec.type == TRACE_NOTE_SYSCALL_INPUTS) {
			keep_note(it, &rec);
			continue;
		}
		int d = trace_event_decode(&it->cur, rec.type, rec.data, rec.len);
		if (d == 1)
			continue;       /* optional record this xrr does not know */
		if (d < 0) {
			xrr_error("trace %s/events: record %" PRIu64 " (event %"
				  PRIu64 ", %s) is malformed", trace_dir(it->t),
				  rec.index, it->index, trace_event_name(rec.type));
			return it->status = TRACE_CORRUPT;
		}
		it->have_cur = true;
		if (it->cur.type == EV_EXEC)
			take_data(it, it->cur.u.exec.mem, it->cur.u.exec.nmem, false);
		else if (it->cur.type == EV_SYSCALL)
			take_data(it, it->cur.u.syscall.writes,
				  it->cur.u.syscall.nwrites, true);
		if (it->cur.type != EV_SYSCALL)
			it->have_note = false;
		it->index++;
		return TRACE_RECORD;
	}
}

/* Tracee memory as far as the trace knows it around one syscall. */
static int iter_read(void *ctx, uint64_t addr, void *buf, size_t len)
{
	struct event_iter *it = ctx;

	for (size_t i = 0; i < it->nwrites; i++) {
		const struct data_bytes *d = &it->writes[i];
		if (addr >= d->addr && addr + len <= d->addr + d->len) {
			memcpy(buf, d->bytes + (addr - d->addr), len);
			return 0;
		}
	}
	for (size_t i = 0; it->have_note && i < it->note.n; i++) {
		const struct note_input *in = &it->note.in[i];
		if (addr < in->addr || addr >= in->addr + in->len)
			continue;
		size_t have = (size_t)(in->addr + in->len - addr);
		memset(buf, 0, len);
		memcpy(buf, in->bytes + (addr - in->addr), have < len ? have : len);
		return 0;
	}
	return -1;
}

/* ---- xrr dump ------------------------------------------------------------------ */

static const char dump_help[] =
	"Usage: xrr dump [--backtrace] [TRACE] [EVENT | FROM-TO | FROM-]\n"
	"\n"
	"One line per event: number, thread, kind and details (syscalls with\n"
	"decoded arguments and result, signals, rdtsc values, threads, exec,\n"
	"exit).  TRACE defaults to the latest trace.\n"
	"\n"
	"Under each event that has an instruction address (syscalls, signals,\n"
	"rdtsc, points, exec), an `at` line names it: function+offset and\n"
	"file:line from the trace's stored files (DWARF line tables), or the\n"
	"ELF symbol and file where there is no DWARF.  Nothing is replayed.\n"
	"\n"
	"  -b, --backtrace   replay the trace (the first process) and show, at\n"
	"                    each syscall and signal, the thread's call stack:\n"
	"                    #N  ADDRESS in FUNCTION (FILE:LINE), from the\n"
	"                    files' CFI (.eh_frame/.debug_frame)\n";

static void dump_syscall(struct event_iter *it, char *line, size_t len)
{
	const struct ev_syscall *s = &it->cur.u.syscall;
	bool mine = it->have_note && it->note.tid == it->cur.tid;

	if (!mine)
		it->have_note = false;
	if (syscallbuf_private_nr((long)s->number)) {
		/* The syscall buffer library's own calls (docs/syscallbuf.md). */
		static const char *const names[] = { "register", "flush", "wait" };
		snprintf(line, len, "xrr_syscallbuf_%s(%#" PRIx64 ", %#" PRIx64
			 ", %#" PRIx64 ") = %" PRId64,
			 names[s->number - XRR_SYS_SB_REGISTER], s->args[0],
			 s->args[1], s->args[2], s->result);
		it->have_note = false;
		return;
	}
	syscall_format_call(line, len, (long)s->number, s->args, s->result,
			    iter_read, it);
	it->have_note = false;
	/* Nothing ran: the program's own seccomp filter answered, or the
	 * recorder did as its tracer's kernel. */
	size_t used = strlen(line);
	if (s->flags & EV_SYSCALL_SKIPPED && used < len)
		snprintf(line + used, len - used, " [%s]",
			 s->flags & EV_SYSCALL_BY_PTRACE ? "ptrace emulated"
			 : s->flags & EV_SYSCALL_BY_SECCOMP ? "seccomp filter"
			 : "skipped");
}

static size_t buffered_calls(const struct ev_syscallbuf *sb)
{
	struct xrr_sb_record rec;
	const uint8_t *data;
	size_t pos = 0, ndata, n = 0;

	while (syscallbuf_next_record(sb, &pos, &rec, &data, &ndata) == 1)
		n++;
	return n;
}

/* What a buffered call's record tells of the memory it read: its path
 * argument (XRR_SB_REC_PATH), at whichever argument points to it. */
struct record_memory {
	const struct xrr_sb_record *rec;
	const uint8_t *path;
	size_t path_len;        /* with the NUL */
};

static int record_read(void *ctx, uint64_t addr, void *buf, size_t len)
{
	const struct record_memory *m = ctx;

	for (int i = 0; m->path && i < 6; i++) {
		if (addr < m->rec->args[i] || addr >= m->rec->args[i] + m->path_len)
			continue;
		size_t off = (size_t)(addr - m->rec->args[i]);
		size_t have = m->path_len - off;
		memset(buf, 0, len);
		memcpy(buf, m->path + off, have < len ? have : len);
		return 0;
	}
	return -1;
}

/* The calls of an EV_SYSCALLBUF, one line each under it. */
static void dump_buffered_calls(const struct ev_syscallbuf *sb, int tid)
{
	struct xrr_sb_record rec;
	const uint8_t *data;
	size_t pos = 0, ndata;
	char line[1024];

	while (syscallbuf_next_record(sb, &pos, &rec, &data, &ndata) == 1) {
		struct record_memory m = { .rec = &rec };
		if (rec.flags & XRR_SB_REC_PATH) {
			const uint8_t *nul = memchr(data, 0, ndata);
			if (nul) {
				m.path = data;
				m.path_len = (size_t)(nul - data) + 1;
			}
		}
		syscall_format_call(line, sizeof(line), (long)rec.nr,
				    (const uint64_t *)rec.args, rec.result,
				    record_read, &m);
		printf("%6s %7d   buffered #%llu: %s\n", "", tid,
		       (unsigned long long)rec.seq, line);
	}
}

static void describe_event(struct event_iter *it, char *line, size_t len)
{
	const struct trace_event *e = &it->cur;
	char sb[32], st[64];

	switch (e->type) {
	case EV_SYSCALL:
		dump_syscall(it, line, len);
		return;
	case EV_EXEC:
		snprintf(line, len, "exec rip=%#llx rsp=%#llx xcr0=%#" PRIx64
			 " mappings=%zu memory-regions=%zu",
			 e->u.exec.regs.rip, e->u.exec.regs.rsp, e->u.exec.xcr0,
			 e->u.exec.nmaps, e->u.exec.nmem);
		return;
	case EV_RDTSC:
		if (e->u.rdtsc.rdtscp)
			snprintf(line, len, "rdtscp = %#" PRIx64 " aux=%#x at %#" PRIx64,
				 e->u.rdtsc.value, e->u.rdtsc.tsc_aux, e->u.rdtsc.rip);
		else
			snprintf(line, len, "rdtsc = %#" PRIx64 " at %#" PRIx64,
				 e->u.rdtsc.value, e->u.rdtsc.rip);
		return;
	case EV_SIGNAL: {
		const char *n = syscall_signal_name(e->u.signal.signo, sb, sizeof(sb));
		if (e->u.signal.frame_len)
			snprintf(line, len, "signal %s frame %#" PRIx64 " (%zu bytes)"
				 " handler %#llx", n ? n : "?", e->u.signal.frame_addr,
				 e->u.signal.frame_len, e->u.signal.regs.rip);
		else
			snprintf(line, len, "signal %s (default action) at %#llx",
				 n ? n : "?", e->u.signal.regs.rip);
		return;
	}
	case EV_THREAD_CREATE:
		snprintf(line, len, "thread-create %d flags=%#" PRIx64 " xcr0=%#"
			 PRIx64, e->u.thread_create.new_tid,
			 e->u.thread_create.clone_flags, e->u.thread_create.xcr0);
		return;
	case EV_FORK:
		snprintf(line, len, "fork: process %d flags=%#" PRIx64 " xcr0=%#"
			 PRIx64, e->u.fork.new_tid, e->u.fork.clone_flags,
			 e->u.fork.xcr0);
		return;
	case EV_THREAD_EXIT:
		status_words(st, sizeof(st), e->u.thread_exit.status);
		snprintf(line, len, "thread-exit (%s)", st);
		return;
	case EV_EXIT:
		status_words(st, sizeof(st), e->u.exit.status);
		snprintf(line, len, "exit (%s)", st);
		return;
	case EV_XCR0_CHANGE:
		snprintf(line, len, "xcr0-change %#" PRIx64 " -> %#" PRIx64,
			 e->u.xcr0_change.old_xcr0, e->u.xcr0_change.new_xcr0);
		return;
	case EV_POINT:
		snprintf(line, len, "point (%s) rip=%#llx rsp=%#llx %s, %zu "
			 "memory range%s, %zu bytes",
			 e->u.point.reason == POINT_PREEMPT ? "preemption"
							   : "async signal",
			 e->u.point.regs.rip, e->u.point.regs.rsp,
			 e->u.point.flags & POINT_LOOP ? "loop" : "straight",
			 e->u.point.nranges, e->u.point.nranges == 1 ? "" : "s",
			 e->u.point.nbytes);
		return;
	case EV_RESUME:
		snprintf(line, len, "resume (runs on from its point)");
		return;
	case EV_TRACE_STOP: {
		const struct ev_trace_stop *ts = &e->u.trace_stop;
		const char *n = syscall_signal_name(ts->signo, sb, sizeof(sb));
		snprintf(line, len, "stopped for its tracer (ptrace)%s%s%s%s, "
			 "%zu write%s",
			 ts->kind == TRACE_STOP_FAULT ? " at its signal " : "",
			 ts->kind == TRACE_STOP_FAULT && n ? n : "",
			 ts->kind == TRACE_STOP_STEP ? " after one step" : "",
			 ts->has_regs ? ", registers set" : "", ts->nwrites,
			 ts->nwrites == 1 ? "" : "s");
		return;
	}
	case EV_PATCH: {
		const struct ev_patch *pa = &e->u.patch;
		snprintf(line, len, "patched the syscall at %#" PRIx64 ": jump "
			 "at %#" PRIx64 " to a trampoline at %#" PRIx64 "%s",
			 pa->site, pa->nwrites > 1 ? pa->writes[1].addr : 0,
			 pa->nwrites ? pa->writes[0].addr : 0,
			 pa->page ? " (page mapped)" : "");
		return;
	}
	case EV_SYSCALLBUF:
		snprintf(line, len, "syscallbuf: %zu buffered call%s (buffer %#"
			 PRIx64 ", bytes %" PRIu64 "-%" PRIu64 ")",
			 buffered_calls(&e->u.syscallbuf),
			 buffered_calls(&e->u.syscallbuf) == 1 ? "" : "s",
			 e->u.syscallbuf.buffer, e->u.syscallbuf.offset,
			 e->u.syscallbuf.offset + e->u.syscallbuf.len);
		return;
	}
	snprintf(line, len, "%s", trace_event_name(e->type));
}

static bool parse_range(const char *s, uint64_t *from, uint64_t *to)
{
	char *end;

	if (!*s || !strchr("0123456789", *s))
		return false;
	*from = strtoull(s, &end, 10);
	*to = *from;
	if (*end == '-') {
		*to = end[1] ? strtoull(end + 1, &end, 10) : UINT64_MAX;
		if (end[0] == '-')
			end++;
	}
	return *end == 0 && *from <= *to;
}

/* The instruction address an event happened at, if it has one: where
 * a handled signal interrupted the thread is in the frame the kernel
 * wrote (its ucontext after the return address). */
static bool event_address(const struct trace_event *e, uint64_t *addr)
{
	size_t rip_at = 8 + offsetof(ucontext_t, uc_mcontext.gregs[REG_RIP]);

	switch (e->type) {
	case EV_SYSCALL:
		*addr = e->u.syscall.regs.rip;
		return true;
	case EV_SIGNAL:
		if (e->u.signal.frame_len >= rip_at + 8)
			memcpy(addr, e->u.signal.frame + rip_at, 8);
		else
			*addr = e->u.signal.regs.rip;
		return true;
	case EV_RDTSC:
		*addr = e->u.rdtsc.rip;
		return true;
	case EV_POINT:
		*addr = e->u.point.regs.rip;
		return true;
	case EV_EXEC:
		*addr = e->u.exec.regs.rip;
		return true;
	case EV_TRACE_STOP:
		*addr = e->u.trace_stop.regs.rip;
		return e->u.trace_stop.has_regs;
	case EV_PATCH:
		*addr = e->u.patch.site;
		return true;
	}
	return false;
}

/* xrr dump --backtrace: a replay of the trace's first process, moved
 * to each syscall and signal as the dump reaches it. */
struct dump_replay {
	struct replayer *r;
	bool stopped;           /* diverged or failed: no more backtraces */
};

#define DUMP_MAX_FRAMES 64

static void print_frames(struct dump_replay *dr, pid_t tid)
{
	struct sym_frame frames[DUMP_MAX_FRAMES];
	char err[300], line[600];
	struct task *t = replayer_task(dr->r, tid);

	if (!t)
		return;         /* a thread of another process */
	ssize_t k = sym_task_backtrace(replayer_symbols(dr->r),
				       replayer_process(dr->r), t, frames,
				       DUMP_MAX_FRAMES, err, sizeof(err));
	if (k < 0)
		printf("%6s %7d   (no backtrace: %s)\n", "", tid, err);
	for (ssize_t i = 0; i < k; i++)
		printf("%6s %7d   %s\n", "", tid,
		       sym_format_frame((size_t)i, &frames[i], line, sizeof(line)));
}

static bool thread_ends_or_execs(const struct trace_event *e)
{
	long nr = (long)e->u.syscall.number;
	return e->type == EV_SYSCALL &&
	       (nr == SYS_exit || nr == SYS_exit_group || nr == SYS_execve ||
		nr == SYS_execveat);
}

/* Run until thread tid is at its syscall instruction (a breakpoint
 * there) while event n is next: the thread of an exit or execve does
 * not come back to where it was.  False if it stopped elsewhere. */
static bool run_to_syscall_insn(struct dump_replay *dr, uint64_t n,
				const struct trace_event *e,
				struct replay_stop *stop)
{
	struct process *p = replayer_process(dr->r);
	uint64_t insn = e->u.syscall.regs.rip - 2;      /* syscall: 0f 05 */

	if (process_insert_breakpoint(p, insn) < 0)
		return false;
	int rc = replayer_run_to(dr->r, n + 1, false, 0, stop, -1);
	process_remove_breakpoint(p, insn);
	return rc == 0 && stop->kind == REPLAY_STOP_BREAKPOINT &&
	       stop->tid == e->tid && replayer_current_event(dr->r) == n;
}

/* Show the stack of event n's thread at the event: after the syscall
 * returned (the same pc and frames as at its entry), at the recorded
 * signal before its delivery, at the syscall instruction for a thread
 * that will not return. */
static void dump_backtrace(struct dump_replay *dr, uint64_t n,
			   const struct trace_event *e)
{
	struct replay_stop stop = { .kind = REPLAY_STOP_ERROR };
	pid_t tid = e->tid;
	bool there = false;

	if (dr->stopped || n < replayer_current_event(dr->r))
		return;
	if (replayer_current_event(dr->r) < n &&
	    replayer_goto(dr->r, n, &stop) < 0)
		stop.kind = REPLAY_STOP_ERROR;
	if (replayer_current_event(dr->r) == n) {
		if (thread_ends_or_execs(e)) {
			there = run_to_syscall_insn(dr, n, e, &stop);
		} else {
			int rc = replayer_run_to(dr->r, n + 1, false, 0, &stop, -1);
			there = rc == 0 &&
				((stop.kind == REPLAY_STOP_SIGNAL &&
				  replayer_current_event(dr->r) == n) ||
				 replayer_current_event(dr->r) == n + 1);
		}
	}
	if (!there) {
		printf("%6s %7d   (no backtrace from here on: %s)\n", "", tid,
		       stop.message[0] ? stop.message
				       : "the replay stopped elsewhere");
		dr->stopped = true;
		/* A divergence leaves its thread where it went astray. */
		if (stop.kind != REPLAY_STOP_DIVERGED || stop.tid != tid)
			return;
	}
	print_frames(dr, tid);
}

static void dump_location(struct sym_table *st, struct sym_tracker *tr,
			  const struct trace_event *e)
{
	struct sym_location loc;
	char line[600];
	uint64_t addr;

	if (!st || !tr || !event_address(e, &addr))
		return;
	sym_lookup(st, sym_tracker_space(tr, e->tid), addr, false, &loc);
	printf("%6s %7d   at %s\n", "", e->tid, sym_format(&loc, line,
							   sizeof(line)));
}

static int open_dump_replay(struct dump_replay *dr, const struct trace *t)
{
	struct replay_options opts = { .echo_output = false };
	char err[1024];

	if (xrr_check_before_replay(trace_dir(t), stderr))
		return -1;
	dr->r = replayer_open(trace_dir(t), &opts, err, sizeof(err));
	if (!dr->r) {
		xrr_error("dump --backtrace: %s", err);
		return -1;
	}
	return 0;
}

int cmd_dump(int argc, char **argv)
{
	const char *trace_arg = NULL;
	uint64_t from = 0, to = UINT64_MAX;
	bool backtrace = false;

	if (wants_help(argc, argv, dump_help))
		return 0;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--backtrace") == 0 ||
		    strcmp(argv[i], "-b") == 0)
			backtrace = true;
		else if (!parse_range(argv[i], &from, &to) && !trace_arg)
			trace_arg = argv[i];
		else if (!parse_range(argv[i], &from, &to)) {
			fputs(dump_help, stderr);
			return 2;
		}
	}
	struct trace *t = open_trace_arg(trace_arg);
	struct event_iter it;
	struct dump_replay dr = { 0 };
	char err[512];
	if (!t)
		return 1;
	if ((backtrace && open_dump_replay(&dr, t) < 0) ||
	    iter_open(&it, t) < 0) {
		replayer_close(dr.r);
		trace_close(t, NULL, 0);
		return 1;
	}
	/* Symbols are a help, never a reason to fail the dump. */
	struct sym_table *st = sym_table_open(t);
	struct sym_tracker *tr = sym_tracker_open(t, err, sizeof(err));
	char line[2048];
	enum trace_status st_end;
	while ((st_end = iter_next(&it)) == TRACE_RECORD) {
		uint64_t n = it.index - 1;
		if (tr)
			sym_tracker_event(tr, n, &it.cur);
		if (n < from)
			continue;
		if (n > to)
			break;
		describe_event(&it, line, sizeof(line));
		printf("%6" PRIu64 " %7d %s\n", n, it.cur.tid, line);
		if (it.cur.type == EV_SYSCALLBUF)
			dump_buffered_calls(&it.cur.u.syscallbuf, it.cur.tid);
		if (backtrace && !dr.stopped && (it.cur.type == EV_SYSCALL ||
						 it.cur.type == EV_SIGNAL) &&
		    replayer_task(dr.r, it.cur.tid))
			dump_backtrace(&dr, n, &it.cur);
		else
			dump_location(st, tr, &it.cur);
	}
	int rc = 0;
	if (st_end != TRACE_RECORD && st_end != TRACE_CORRUPT)
		rc = stream_end(t, it.ev, st_end, "");
	else if (st_end == TRACE_CORRUPT)
		rc = stream_end(t, it.ev, st_end, "") | 1;
	sym_tracker_free(tr);
	sym_table_free(st);
	iter_close(&it);
	replayer_close(dr.r);
	trace_close(t, NULL, 0);
	return rc;
}

/* ---- xrr info ------------------------------------------------------------------ */

static const char info_help[] =
	"Usage: xrr info [TRACE]\n"
	"\n"
	"Describe a trace: state, program, machine (CPUID summary, XCR0, XSAVE\n"
	"layout), streams and events.  TRACE defaults to the latest trace.\n";

static const struct cpuid_leaf *leaf(const struct trace_header *h,
				     uint32_t l, uint32_t s)
{
	static const struct cpuid_leaf zero;
	const struct cpuid_leaf *c = trace_header_find_cpuid(h, l, s);
	return c ? c : &zero;
}

static void print_cpu(const struct trace_header *h)
{
	char vendor[13], brand[49] = { 0 };
	const struct cpuid_leaf *l0 = leaf(h, 0, 0), *l1 = leaf(h, 1, 0);
	const struct cpuid_leaf *l7 = leaf(h, 7, 0), *ld1 = leaf(h, 0xd, 1);

	memcpy(vendor, &l0->ebx, 4);
	memcpy(vendor + 4, &l0->edx, 4);
	memcpy(vendor + 8, &l0->ecx, 4);
	vendor[12] = 0;
	for (uint32_t i = 0; i < 3; i++) {
		const struct cpuid_leaf *b = leaf(h, 0x80000002u + i, 0);
		memcpy(brand + 16 * i, &b->eax, 4);
		memcpy(brand + 16 * i + 4, &b->ebx, 4);
		memcpy(brand + 16 * i + 8, &b->ecx, 4);
		memcpy(brand + 16 * i + 12, &b->edx, 4);
	}
	uint32_t fam = (l1->eax >> 8) & 0xf, model = (l1->eax >> 4) & 0xf;
	if (fam == 0xf)
		fam += (l1->eax >> 20) & 0xff;
	if (fam >= 6)
		model |= ((l1->eax >> 16) & 0xf) << 4;
	const char *p = brand;
	while (*p == ' ')
		p++;
	printf("cpu:          %s, family %#x model %#x stepping %u%s%s\n", vendor,
	       fam, model, l1->eax & 0xf, *p ? ", " : "", p);
	printf("cpuid:        %zu leaves and sub-leaves recorded\n", h->ncpuid);
	static const struct { int reg; int bit; const char *name; } f[] = {
		{ 1, 26, "xsave" }, { 1, 27, "osxsave" }, { 1, 28, "avx" },
		{ 7, 5, "avx2" }, { 7, 16, "avx512f" }, { 7, 17, "avx512dq" },
		{ 7, 28, "avx512cd" }, { 7, 30, "avx512bw" }, { 7, 31, "avx512vl" },
		{ 8, 1, "avx512vbmi" }, { 8, 11, "avx512vnni" }, { 9, 1, "xsavec" },
	};
	printf("features:    ");
	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		uint32_t v = f[i].reg == 1 ? l1->ecx : f[i].reg == 7 ? l7->ebx :
			     f[i].reg == 8 ? l7->ecx : ld1->eax;
		if (v >> f[i].bit & 1)
			printf(" %s", f[i].name);
	}
	printf("\n");
}

static void print_xstate(const struct trace_header *h)
{
	char buf[256];

	printf("host xcr0:    %s\n", xcr0_format(buf, sizeof(buf), h->host_xcr0));
	printf("initial xcr0: %s\n", xcr0_format(buf, sizeof(buf), h->initial_xcr0));
	for (size_t i = 0; i < h->nthread_xcr0; i++)
		printf("  thread %-6d %s\n", h->thread_xcr0[i].tid,
		       xcr0_format(buf, sizeof(buf), h->thread_xcr0[i].xcr0));
	printf("xsave:        supported %s, max size %u bytes\n",
	       xcr0_format(buf, sizeof(buf), h->xsave.supported_xcr0),
	       h->xsave.max_size);
	for (int i = 2; i < XSAVE_MAX_COMPONENTS; i++) {
		const struct xsave_component_layout *c = &h->xsave.comp[i];
		const struct xcr0_component *xc = xcr0_component_by_bit(i);
		if (!c->supported)
			continue;
		printf("  component %-2d %-10s offset %5u size %5u%s\n", i,
		       xc ? xc->name : "?", c->offset, c->size,
		       c->align64 ? " (64-byte aligned when compacted)" : "");
	}
}

static uint64_t file_size(const char *dir, const char *name)
{
	char path[PATH_MAX];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return stat(path, &st) == 0 ? (uint64_t)st.st_size : 0;
}

static uint64_t dir_size(const char *dir, size_t *count)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	uint64_t total = 0;

	if (!d)
		return 0;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		total += file_size(dir, e->d_name);
		if (count)
			(*count)++;
	}
	closedir(d);
	return total;
}

static void print_streams(const struct trace *t)
{
	char files[PATH_MAX];
	size_t nfiles = 0;

	printf("streams:     ");
	for (int s = 0; s < TRACE_NSTREAMS; s++)
		printf(" %s %" PRIu64 " B%s", trace_stream_name((enum trace_stream)s),
		       file_size(trace_dir(t), trace_stream_name((enum trace_stream)s)),
		       s + 1 < TRACE_NSTREAMS ? "," : "\n");
	snprintf(files, sizeof(files), "%s/files", trace_dir(t));
	uint64_t fb = dir_size(files, &nfiles);
	printf("stored files: %zu, %" PRIu64 " bytes\n", nfiles, fb);
}

static int print_event_count(const struct trace *t)
{
	struct event_iter it;
	uint64_t syscalls = 0, signals = 0, rdtsc = 0, processes = 0;
	uint64_t buffered = 0, batches = 0;
	enum trace_status st;

	if (iter_open(&it, t) < 0)
		return 1;
	while ((st = iter_next(&it)) == TRACE_RECORD) {
		syscalls += it.cur.type == EV_SYSCALL;
		signals += it.cur.type == EV_SIGNAL;
		rdtsc += it.cur.type == EV_RDTSC;
		processes += it.cur.type == EV_FORK || it.index == 1;
		if (it.cur.type == EV_SYSCALLBUF) {
			batches++;
			buffered += buffered_calls(&it.cur.u.syscallbuf);
		}
	}
	printf("processes:    %" PRIu64 " (`xrr ps` lists them)\n", processes);
	printf("events:       %" PRIu64 " (%" PRIu64 " syscalls, %" PRIu64
	       " signals, %" PRIu64 " rdtsc)%s\n", it.index, syscalls, signals,
	       rdtsc, st == TRACE_EOF ? "" : ", then:");
	if (batches)
		printf("buffered:     %" PRIu64 " syscalls in %" PRIu64 " batches "
		       "(the in-process syscall buffer)\n", buffered, batches);
	int rc = st == TRACE_EOF ? 0 : stream_end(t, it.ev, st, "");
	iter_close(&it);
	return rc;
}

int cmd_info(int argc, char **argv)
{
	if (wants_help(argc, argv, info_help))
		return 0;
	if (argc > 2) {
		fputs(info_help, stderr);
		return 2;
	}
	struct trace *t = open_trace_arg(argc > 1 ? argv[1] : NULL);
	if (!t)
		return 1;
	const struct trace_header *h = trace_header(t);
	char err[512];
	printf("trace:        %s\n", trace_dir(t));
	printf("state:        %s\n", state_words(t));
	if (read_error_file(trace_dir(t), err, sizeof(err)))
		printf("stopped:      %s\n", err);
	printf("format:       %u.%u, recorded by xrr %s\n", h->format_major,
	       h->format_minor, h->xrr_version ? h->xrr_version : "?");
	printf("command:     ");
	for (size_t i = 0; i < h->argc; i++)
		printf(" %s", h->argv[i]);
	printf("\ncwd:          %s\n", h->cwd ? h->cwd : "?");
	printf("host:         %s %s %s (%s)\n", h->uname.sysname ? h->uname.sysname : "?",
	       h->uname.release ? h->uname.release : "?",
	       h->uname.machine ? h->uname.machine : "?",
	       h->uname.nodename ? h->uname.nodename : "?");
	print_cpu(h);
	printf("bound cpu:    %d\n", h->bound_cpu);
	printf("rdtsc:        %s\n", h->rdtsc_trapped ? "trapped (values recorded)"
			     : "not trapped on the recording machine (values not recorded)");
	printf("tick source:  %s\n", h->tick_source ? h->tick_source : "none");
	printf("cpuid faulting: %s, kernel xcr0 control: %s\n",
	       h->cpuid_faulting ? "yes" : "no", h->kernel_xcr0_control ? "yes" : "no");
	print_xstate(h);
	print_streams(t);
	int rc = print_event_count(t);
	trace_close(t, NULL, 0);
	return rc;
}

/* ---- xrr ps ---------------------------------------------------------------------- */

static const char ps_help[] =
	"Usage: xrr ps [TRACE]\n"
	"\n"
	"Every process the trace recorded, in the order they were made: pid,\n"
	"parent pid, how it ended (exit status or fatal signal), the events\n"
	"where it was forked and first exec'd, how many threads it had, and\n"
	"its command line (of its\n"
	"last exec; a child that never exec'd shows its parent's).  Debug one\n"
	"with `xrr replay -p PID` (from its exec) or `-f PID` (from its fork).\n"
	"When a process lived in a pid namespace of its own, an NSPID column\n"
	"shows its pid there (1 for the namespace's init); PID is always the\n"
	"recorded pid, as seen from xrr's namespace, which -p and -f take.\n";

/* Its pid in its own namespace when that is another number, else 0. */
static pid_t ps_ns_pid(const struct trace_proc *p)
{
	return p->ns_pid && p->ns_pid != p->pid ? p->ns_pid : 0;
}

static void ps_event(char *buf, size_t len, uint64_t ev)
{
	if (ev == TRACE_NO_EVENT)
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "%" PRIu64, ev);
}

int cmd_ps(int argc, char **argv)
{
	if (wants_help(argc, argv, ps_help))
		return 0;
	struct trace *t = open_trace_arg(argc > 1 ? argv[1] : NULL);
	struct trace_proc *procs;
	size_t n;
	bool complete;
	char err[1024];

	if (!t)
		return 1;
	if (trace_procs_read(t, &procs, &n, &complete, err, sizeof(err)) < 0) {
		xrr_error("ps: %s", err);
		trace_close(t, NULL, 0);
		return 1;
	}
	/* The NSPID column only for traces that had pid namespaces. */
	bool ns_column = false;
	for (size_t i = 0; i < n; i++)
		ns_column = ns_column || ps_ns_pid(&procs[i]) != 0;
	printf("%-8s ", "PID");
	if (ns_column)
		printf("%-8s ", "NSPID");
	printf("%-8s %-16s %-7s %-7s %-7s %s\n", "PPID", "EXIT",
	       "FORK", "EXEC", "THREADS", "COMMAND");
	for (size_t i = 0; i < n; i++) {
		const struct trace_proc *p = &procs[i];
		char end[64], fork_ev[24], exec_ev[24], ppid[16];
		if (p->exit_event == TRACE_NO_EVENT)
			snprintf(end, sizeof(end), "%s",
				 complete ? "not recorded" : "(trace ends)");
		else if (WIFSIGNALED(p->exit_status))
			snprintf(end, sizeof(end), "%d (SIG%s)",
				 -WTERMSIG(p->exit_status),
				 sigabbrev_np(WTERMSIG(p->exit_status)) ?
				 sigabbrev_np(WTERMSIG(p->exit_status)) : "?");
		else
			snprintf(end, sizeof(end), "%d",
				 WEXITSTATUS(p->exit_status));
		ps_event(fork_ev, sizeof(fork_ev), p->fork_event);
		ps_event(exec_ev, sizeof(exec_ev), p->exec_event);
		snprintf(ppid, sizeof(ppid), p->ppid ? "%d" : "-", (int)p->ppid);
		printf("%-8d ", (int)p->pid);
		if (ns_column) {
			char nspid[16];
			snprintf(nspid, sizeof(nspid), ps_ns_pid(p) ? "%d" : "-",
				 (int)ps_ns_pid(p));
			printf("%-8s ", nspid);
		}
		printf("%-8s %-16s %-7s %-7s %-7zu", ppid, end, fork_ev,
		       exec_ev, p->nthreads);
		for (size_t k = 0; k < p->argc; k++)
			printf(" %s", p->argv[k]);
		printf("\n");
	}
	if (!complete)
		printf("(the trace ends here: %s)\n", state_words(t));
	trace_procs_free(procs, n);
	trace_close(t, NULL, 0);
	return 0;
}

/* ---- xrr ls ---------------------------------------------------------------------- */

static const char ls_help[] =
	"Usage: xrr ls\n"
	"\n"
	"The traces in the trace directory ($XRR_TRACE_DIR, else\n"
	"$XDG_DATA_HOME/xrr, else ~/.local/share/xrr): size and state; `*`\n"
	"marks latest-trace.\n";

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int cmd_ls(int argc, char **argv)
{
	char root[PATH_MAX], err[512], latest[PATH_MAX] = "";

	if (wants_help(argc, argv, ls_help))
		return 0;
	if (trace_default_root(root, sizeof(root), err, sizeof(err)) < 0) {
		xrr_error("%s", err);
		return 1;
	}
	DIR *d = opendir(root);
	if (!d) {
		if (errno == ENOENT) {
			printf("no traces in %s\n", root);
			return 0;
		}
		xrr_error("%s: %s", root, strerror(errno));
		return 1;
	}
	char lpath[PATH_MAX + 16];
	snprintf(lpath, sizeof(lpath), "%s/latest-trace", root);
	ssize_t ln = readlink(lpath, latest, sizeof(latest) - 1);
	latest[ln > 0 ? ln : 0] = 0;
	char *names[4096];
	size_t n = 0;
	struct dirent *e;
	while ((e = readdir(d)) && n < 4096)
		if (e->d_name[0] != '.' && strcmp(e->d_name, "latest-trace") != 0)
			names[n++] = strdup(e->d_name);
	closedir(d);
	qsort(names, n, sizeof(names[0]), name_cmp);
	printf("%-1s %-32s %12s  %s\n", "", "TRACE", "BYTES", "STATE");
	for (size_t i = 0; i < n; i++) {
		char dir[PATH_MAX + 300], files[PATH_MAX + 320];
		snprintf(dir, sizeof(dir), "%s/%s", root, names[i]);
		struct trace *t = trace_open(dir, err, sizeof(err));
		if (t) {
			snprintf(files, sizeof(files), "%s/files", dir);
			uint64_t bytes = dir_size(dir, NULL) + dir_size(files, NULL);
			const char *base = strrchr(latest, '/');
			bool is_latest = strcmp(base ? base + 1 : latest, names[i]) == 0;
			printf("%-1s %-32s %12" PRIu64 "  %s\n", is_latest ? "*" : "",
			       names[i], bytes, state_words(t));
			trace_close(t, NULL, 0);
		}
		free(names[i]);
	}
	return 0;
}
