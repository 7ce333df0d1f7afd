/* q, Q and v packets: capabilities, thread lists, qXfer objects, monitor
 * commands, signal passing and vCont. */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "common/xcr0.h"
#include "stub/signals.h"
#include "stub/stub_internal.h"

#define SUBTABLE_SIZE(t) (sizeof(t) / sizeof((t)[0]))

/* ---- qSupported ------------------------------------------------------------ */

static bool feature_listed(const char *args, size_t len, const char *name)
{
	size_t nl = strlen(name);
	for (const char *p = args, *end = args + len; p < end;) {
		const char *semi = memchr(p, ';', (size_t)(end - p));
		size_t flen = semi ? (size_t)(semi - p) : (size_t)(end - p);
		if (flen == nl && memcmp(p, name, nl) == 0)
			return true;
		p += flen + 1;
	}
	return false;
}

static int q_supported(void *ctx, const char *a, size_t n,
		       struct rsp_buf *reply)
{
	struct stub *s = ctx;
	const struct target_ops *ops = s->target->ops;
	s->multiprocess = feature_listed(a, n, ":multiprocess+") ||
			  feature_listed(a, n, "multiprocess+");
	s->swbreak = feature_listed(a, n, "swbreak+") ||
		     feature_listed(a, n, ":swbreak+");
	s->hwbreak = feature_listed(a, n, "hwbreak+") ||
		     feature_listed(a, n, ":hwbreak+");
	s->client_lldb = stub_lldb_client(a, n);
	rsp_buf_printf(reply,
		       "PacketSize=%zx;QStartNoAckMode+;qXfer:features:read+;"
		       "qXfer:threads:read+;vContSupported+",
		       s->opts.max_payload);
	if (s->multiprocess)
		rsp_buf_append_str(reply, ";multiprocess+");
	if (s->swbreak)
		rsp_buf_append_str(reply, ";swbreak+");
	if (s->hwbreak)
		rsp_buf_append_str(reply, ";hwbreak+");
	if (ops->get_auxv)
		rsp_buf_append_str(reply, ";qXfer:auxv:read+");
	if (s->client_lldb && ops->get_auxv && ops->exec_file)
		rsp_buf_append_str(reply, ";qXfer:libraries-svr4:read+");
	if (ops->exec_file)
		rsp_buf_append_str(reply, ";qXfer:exec-file:read+");
	if (ops->get_siginfo)
		rsp_buf_append_str(reply, ";qXfer:siginfo:read+");
	if (ops->set_pass_signals)
		rsp_buf_append_str(reply, ";QPassSignals+");
	/* Z0/Z1 conditions are evaluated here (stub_bp.c), so GDB does not
	 * hear of the hits where they are false. */
	rsp_buf_append_str(reply, ";ConditionalBreakpoints+");
	if (s->target->reverse_supported)
		rsp_buf_append_str(reply, ";ReverseContinue+;ReverseStep+");
	if (ops->catch_syscalls)
		rsp_buf_append_str(reply, ";QCatchSyscalls+");
	return 0;
}

/* ---- threads ------------------------------------------------------------------ */

static void append_thread_list(struct stub *s, struct rsp_buf *reply)
{
	/* Everything in one reply; qsThreadInfo then ends the list. */
	rsp_buf_append_str(reply, "m");
	for (size_t i = 0; i < s->nthreads; i++) {
		if (i)
			rsp_buf_append_str(reply, ",");
		rsp_format_thread_id(reply, s->multiprocess, s->threads[i].pid,
				     s->threads[i].tid);
	}
	s->thread_cursor = s->nthreads;
}

static int q_f_thread_info(void *ctx, const char *a, size_t n,
			   struct rsp_buf *reply)
{
	struct stub *s = ctx;
	if (s->process_gone || stub_refresh_threads(s) <= 0) {
		rsp_buf_append_str(reply, "l");
		return 0;
	}
	append_thread_list(s, reply);
	return 0;
}

static int q_s_thread_info(void *ctx, const char *a, size_t n,
			   struct rsp_buf *reply)
{
	rsp_buf_append_str(reply, "l");
	return 0;
}

static int q_current_thread(void *ctx, const char *a, size_t n,
			    struct rsp_buf *reply)
{
	struct stub *s = ctx;
	int64_t tid = stub_pick_thread(s, s->g_tid);
	if (tid <= 0) {
		stub_error_reply(reply, ESRCH);
		return 0;
	}
	rsp_buf_append_str(reply, "QC");
	rsp_format_thread_id(reply, s->multiprocess, stub_current_pid(s), tid);
	return 0;
}

static const struct target_thread *find_thread(struct stub *s, int64_t tid)
{
	for (size_t i = 0; i < s->nthreads; i++)
		if (s->threads[i].tid == tid)
			return &s->threads[i];
	return NULL;
}

static void thread_extra_text(const struct target_thread *t, char *out,
			      size_t len)
{
	snprintf(out, len, "xcr0=%#" PRIx64, t->xcr0);
}

static int q_thread_extra_info(void *ctx, const char *a, size_t n,
			       struct rsp_buf *reply)
{
	struct stub *s = ctx;
	const char *p = a, *end = a + n;
	struct rsp_thread_id id;
	if (!rsp_expect_char(&p, end, ',') || !rsp_parse_thread_id(&p, end, &id)) {
		stub_error_reply(reply, EINVAL);
		return 0;
	}
	stub_refresh_threads(s);
	const struct target_thread *t = find_thread(s, id.tid);
	if (!t) {
		stub_error_reply(reply, ESRCH);
		return 0;
	}
	char text[64];
	thread_extra_text(t, text, sizeof(text));
	rsp_buf_append_hex(reply, text, strlen(text));
	return 0;
}

static int q_attached(void *ctx, const char *a, size_t n,
		      struct rsp_buf *reply)
{
	struct stub *s = ctx;
	/* 0: we created the process, so GDB kills it on quit (gdbserver's
	 * behaviour for a program it started).  A replay is "attached": GDB
	 * detaches, which ends the replay without side effects. */
	rsp_buf_append_str(reply, s->target->is_replay ? "1" : "0");
	return 0;
}

static int q_symbol(void *ctx, const char *a, size_t n, struct rsp_buf *reply)
{
	rsp_buf_append_str(reply, "OK");
	return 0;
}

/* ---- qXfer ------------------------------------------------------------------------ */

void stub_xml_escape(struct rsp_buf *b, const char *text)
{
	for (; *text; text++) {
		switch (*text) {
		case '<': rsp_buf_append_str(b, "&lt;"); break;
		case '>': rsp_buf_append_str(b, "&gt;"); break;
		case '&': rsp_buf_append_str(b, "&amp;"); break;
		case '"': rsp_buf_append_str(b, "&quot;"); break;
		default: rsp_buf_append(b, text, 1); break;
		}
	}
}

static void build_threads_xml(struct stub *s, struct rsp_buf *b)
{
	rsp_buf_append_str(b, "<?xml version=\"1.0\"?>\n<threads>\n");
	if (!s->process_gone)
		stub_refresh_threads(s);
	for (size_t i = 0; i < s->nthreads && !s->process_gone; i++) {
		const struct target_thread *t = &s->threads[i];
		char text[64];
		rsp_buf_append_str(b, "<thread id=\"");
		rsp_format_thread_id(b, s->multiprocess, t->pid, t->tid);
		rsp_buf_append_str(b, "\"");
		if (t->core >= 0)
			rsp_buf_printf(b, " core=\"%x\"", t->core);
		if (t->name[0]) {
			rsp_buf_append_str(b, " name=\"");
			stub_xml_escape(b, t->name);
			rsp_buf_append_str(b, "\"");
		}
		thread_extra_text(t, text, sizeof(text));
		rsp_buf_printf(b, ">%s</thread>\n", text);
	}
	rsp_buf_append_str(b, "</threads>\n");
}

/* args: "<object>:read:<annex>:<offset>,<length>" */
static int q_xfer(void *ctx, const char *a, size_t n, struct rsp_buf *reply)
{
	struct stub *s = ctx;
	const char *end = a + n;
	char object[32], annex[256];
	const char *p = a;
	if (!rsp_expect_char(&p, end, ':'))
		goto bad;
	const char *colon = memchr(p, ':', (size_t)(end - p));
	if (!colon || (size_t)(colon - p) >= sizeof(object))
		goto bad;
	memcpy(object, p, (size_t)(colon - p));
	object[colon - p] = 0;
	p = colon + 1;
	if ((size_t)(end - p) < 5 || memcmp(p, "read:", 5) != 0)
		return 0;   /* writes are not supported: empty reply */
	p += 5;
	colon = memchr(p, ':', (size_t)(end - p));
	if (!colon || (size_t)(colon - p) >= sizeof(annex))
		goto bad;
	memcpy(annex, p, (size_t)(colon - p));
	annex[colon - p] = 0;
	p = colon + 1;

	const struct target_ops *ops = s->target->ops;
	const void *data = NULL;
	size_t size = 0;
	rsp_buf_reset(&s->scratch);
	if (strcmp(object, "features") == 0) {
		if (strcmp(annex, "target.xml") != 0) {
			stub_error_reply(reply, ENOENT);
			return 0;
		}
		data = s->client_lldb ? s->tdesc.lldb_xml : s->tdesc.xml;
		size = s->client_lldb ? s->tdesc.lldb_xml_len : s->tdesc.xml_len;
	} else if (strcmp(object, "threads") == 0) {
		build_threads_xml(s, &s->scratch);
		data = s->scratch.data;
		size = s->scratch.len;
	} else if (strcmp(object, "auxv") == 0 && ops->get_auxv) {
		if (stub_gone_reply(s, reply))
			return 0;
		if (ops->get_auxv(s->target, &data, &size) < 0) {
			stub_error_reply(reply, EIO);
			return 0;
		}
	} else if (strcmp(object, "exec-file") == 0 && ops->exec_file) {
		char path[4096];
		uint64_t pid = 0;
		const char *ap = annex;
		if (*annex && !rsp_parse_hex_u64(&ap, annex + strlen(annex), &pid))
			goto bad;
		if (ops->exec_file(s->target, pid ? (int64_t)pid : stub_current_pid(s),
				   path, sizeof(path)) < 0) {
			stub_error_reply(reply, ENOENT);
			return 0;
		}
		rsp_buf_append_str(&s->scratch, path);
		data = s->scratch.data;
		size = s->scratch.len;
	} else if (strcmp(object, "libraries-svr4") == 0 && s->client_lldb) {
		const char *op = p;
		uint64_t offset;
		if (!rsp_parse_hex_u64(&op, end, &offset))
			goto bad;
		if (stub_lldb_libraries(s, offset == 0, &s->scratch) < 0) {
			stub_error_reply(reply, ENOENT);
			return 0;
		}
		data = s->scratch.data;
		size = s->scratch.len;
	} else if (strcmp(object, "siginfo") == 0 && ops->get_siginfo) {
		static uint8_t si[128];
		if (stub_gone_reply(s, reply))
			return 0;
		int64_t tid = stub_pick_thread(s, s->g_tid);
		if (ops->get_siginfo(s->target, tid, si, sizeof(si)) < 0) {
			stub_error_reply(reply, EIO);
			return 0;
		}
		data = si;
		size = sizeof(si);
	} else {
		return 0;   /* unknown object: empty reply */
	}
	if (rsp_qxfer_reply(reply, data, size, p, (size_t)(end - p)) < 0)
		goto bad;
	return 0;
bad:
	rsp_buf_reset(reply);
	stub_error_reply(reply, EINVAL);
	return 0;
}

/* ---- monitor ------------------------------------------------------------------------ */

static void monitor_xcr0(struct stub *s, struct rsp_buf *out)
{
	char text[160];
	rsp_buf_printf(out, "target description covers %s\n",
		       xcr0_format(text, sizeof(text), s->target->xcr0_union));
	if (s->process_gone) {
		rsp_buf_append_str(out, "the process has exited\n");
		return;
	}
	stub_refresh_threads(s);
	for (size_t i = 0; i < s->nthreads; i++)
		rsp_buf_printf(out, "thread %" PRId64 ": xcr0 = %s\n",
			       s->threads[i].tid,
			       xcr0_format(text, sizeof(text), s->threads[i].xcr0));
}

static const char monitor_help_text[] =
	"xrr monitor commands:\n"
	"  help               this list\n"
	"  xcr0               each thread's XCR0 and the description's union\n";

static int q_rcmd(void *ctx, const char *a, size_t n, struct rsp_buf *reply)
{
	struct stub *s = ctx;
	if (n < 1 || a[0] != ',') {
		stub_error_reply(reply, EINVAL);
		return 0;
	}
	char cmd[1024];
	long len = rsp_hex_decode(a + 1, n - 1, cmd, sizeof(cmd) - 1);
	if (len < 0) {
		stub_error_reply(reply, EINVAL);
		return 0;
	}
	cmd[len] = 0;
	struct rsp_buf out;
	rsp_buf_init(&out);
	int rc = 1;
	if (strcmp(cmd, "help") == 0) {
		rsp_buf_append_str(&out, monitor_help_text);
		if (s->target->ops->monitor)
			s->target->ops->monitor(s->target, "help", &out);
		rc = 0;
	} else if (strcmp(cmd, "xcr0") == 0) {
		monitor_xcr0(s, &out);
		rc = 0;
	} else if (s->target->ops->monitor) {
		rc = s->target->ops->monitor(s->target, cmd, &out);
	}
	if (rc == 1)
		rsp_buf_printf(&out, "xrr: unknown monitor command '%s' "
			       "(try 'monitor help')\n", cmd);
	else if (rc < 0 && out.len == 0)
		rsp_buf_printf(&out, "xrr: monitor %s: %s\n", cmd, strerror(-rc));
	if (out.len && stub_console(s, out.data, out.len) < 0)
		s->end_session = true;
	rsp_buf_free(&out);
	rsp_buf_append_str(reply, "OK");
	return 0;
}

static int q_tstatus(void *ctx, const char *a, size_t n, struct rsp_buf *reply)
{
	return 0;   /* no tracepoints: empty */
}

static const struct rsp_command query_commands[] = {
	{ "Supported", RSP_MATCH_WORD, q_supported },
	{ "fThreadInfo", RSP_MATCH_WORD, q_f_thread_info },
	{ "sThreadInfo", RSP_MATCH_WORD, q_s_thread_info },
	{ "C", RSP_MATCH_WORD, q_current_thread },
	{ "ThreadExtraInfo", RSP_MATCH_WORD, q_thread_extra_info },
	{ "Attached", RSP_MATCH_WORD, q_attached },
	{ "Symbol", RSP_MATCH_WORD, q_symbol },
	{ "Xfer", RSP_MATCH_WORD, q_xfer },
	{ "Rcmd", RSP_MATCH_WORD, q_rcmd },
	{ "TStatus", RSP_MATCH_WORD, q_tstatus },
	/* LLDB (stub_lldb.c) */
	{ "HostInfo", RSP_MATCH_WORD, stub_q_host_info },
	{ "ProcessInfo", RSP_MATCH_WORD, stub_q_process_info },
};

int stub_handle_query(void *ctx, const char *args, size_t len,
		      struct rsp_buf *reply)
{
	return rsp_dispatch(query_commands, SUBTABLE_SIZE(query_commands), ctx,
			    args, len, reply);
}

/* ---- Q packets ------------------------------------------------------------------------ */

static int set_start_noack(void *ctx, const char *a, size_t n,
			   struct rsp_buf *reply)
{
	struct stub *s = ctx;
	rsp_buf_append_str(reply, "OK");
	s->enter_noack = true;
	return 0;
}

static int set_pass_signals(void *ctx, const char *a, size_t n,
			    struct rsp_buf *reply)
{
	struct stub *s = ctx;
	if (!s->target->ops->set_pass_signals)
		return 0;
	bool pass[65] = { false };
	const char *p = a, *end = a + n;
	if (!rsp_expect_char(&p, end, ':'))
		goto bad;
	while (p < end) {
		uint64_t sig;
		if (!rsp_parse_hex_u64(&p, end, &sig))
			goto bad;
		int host = gdb_signal_to_host((int)sig);
		if (host > 0 && host <= 64)
			pass[host] = true;
		if (p < end && !rsp_expect_char(&p, end, ';'))
			goto bad;
	}
	s->target->ops->set_pass_signals(s->target, pass, 65);
	rsp_buf_append_str(reply, "OK");
	return 0;
bad:
	stub_error_reply(reply, EINVAL);
	return 0;
}

/* QCatchSyscalls:0 | QCatchSyscalls:1[;NR]... (hex): GDB's `catch
 * syscall`; no number means every syscall. */
static int set_catch_syscalls(void *ctx, const char *a, size_t n,
			      struct rsp_buf *reply)
{
	struct stub *s = ctx;
	static bool which[TARGET_MAX_SYSCALL];
	const char *p = a, *end = a + n;
	bool any = false;
	if (!s->target->ops->catch_syscalls)
		return 0;
	if (!rsp_expect_char(&p, end, ':') || p >= end ||
	    (*p != '0' && *p != '1'))
		goto bad;
	bool on = *p++ == '1';
	memset(which, 0, sizeof(which));
	while (on && p < end) {
		uint64_t nr;
		if (!rsp_expect_char(&p, end, ';') ||
		    !rsp_parse_hex_u64(&p, end, &nr))
			goto bad;
		if (nr < TARGET_MAX_SYSCALL)
			which[nr] = true;
		any = true;
	}
	if (p != end)
		goto bad;
	int rc = s->target->ops->catch_syscalls(s->target, on,
						any ? which : NULL);
	if (rc < 0)
		stub_error_reply(reply, rc);
	else
		rsp_buf_append_str(reply, "OK");
	return 0;
bad:
	stub_error_reply(reply, EINVAL);
	return 0;
}

static const struct rsp_command set_commands[] = {
	{ "StartNoAckMode", RSP_MATCH_WORD, set_start_noack },
	{ "PassSignals", RSP_MATCH_WORD, set_pass_signals },
	{ "CatchSyscalls", RSP_MATCH_WORD, set_catch_syscalls },
};

int stub_handle_set(void *ctx, const char *args, size_t len,
		    struct rsp_buf *reply)
{
	return rsp_dispatch(set_commands, SUBTABLE_SIZE(set_commands), ctx,
			    args, len, reply);
}

/* ---- v packets ------------------------------------------------------------------------ */

static int v_cont_query(void *ctx, const char *a, size_t n,
			struct rsp_buf *reply)
{
	rsp_buf_append_str(reply, "vCont;c;C;s;S");
	return 0;
}

/* vCont;action[:thread-id];... */
static int v_cont(void *ctx, const char *a, size_t n, struct rsp_buf *reply)
{
	struct stub *s = ctx;
	struct target_resume actions[STUB_MAX_ACTIONS];
	size_t count = 0;
	const char *p = a, *end = a + n;
	while (p < end) {
		if (!rsp_expect_char(&p, end, ';') || p >= end ||
		    count == sizeof(actions) / sizeof(actions[0]))
			goto bad;
		char kind = *p++;
		uint64_t sig = 0;
		struct target_resume *act = &actions[count++];
		if (kind == 'C' || kind == 'S') {
			if (!rsp_parse_hex_u64(&p, end, &sig))
				goto bad;
		} else if (kind != 'c' && kind != 's') {
			goto bad;
		}
		act->step = (kind == 's' || kind == 'S');
		act->reverse = false;
		act->signo = gdb_signal_to_host((int)sig);
		act->tid = RSP_ID_ALL;
		if (p < end && *p == ':') {
			struct rsp_thread_id id;
			p++;
			if (!rsp_parse_thread_id(&p, end, &id))
				goto bad;
			act->tid = id.tid > 0 ? id.tid : RSP_ID_ALL;
		}
	}
	if (count == 0)
		goto bad;
	return stub_resume_and_wait(s, actions, count, reply);
bad:
	stub_error_reply(reply, EINVAL);
	return 0;
}

static int v_kill(void *ctx, const char *a, size_t n, struct rsp_buf *reply)
{
	struct stub *s = ctx;
	if (!s->process_gone)
		s->target->ops->kill(s->target);
	s->process_gone = true;
	rsp_buf_append_str(reply, "OK");
	if (!s->extended) {
		s->end_session = true;
		s->end = STUB_END_KILLED;
	}
	return 0;
}

/* vRun;filename;args: extended-remote `run`.  A target that can restart
 * its program (a replay) starts over; the program and arguments are the
 * target's own, whatever GDB names. */
static int v_run(void *ctx, const char *a, size_t n, struct rsp_buf *reply)
{
	struct stub *s = ctx;
	char err[300] = "";
	if (!s->target->ops->restart) {
		rsp_buf_append_str(reply, "E.this target cannot run its program again");
		return 0;
	}
	if (s->target->ops->restart(s->target, err, sizeof(err)) < 0 ||
	    stub_refresh_threads(s) <= 0) {
		stub_log(s, "restart failed: %s", err);
		rsp_buf_printf(reply, "E.restart failed: %s", err);
		return 0;
	}
	stub_note_initial_stop(s);
	stub_format_stop(s, &s->last_stop, reply);
	return 0;
}

static int v_file(void *ctx, const char *a, size_t n, struct rsp_buf *reply)
{
	return stub_handle_vfile(ctx, a, n, reply);
}

static const struct rsp_command v_commands[] = {
	{ "Cont?", RSP_MATCH_PREFIX, v_cont_query },
	{ "Cont", RSP_MATCH_WORD, v_cont },
	{ "Kill", RSP_MATCH_WORD, v_kill },
	{ "Run", RSP_MATCH_WORD, v_run },
	{ "File", RSP_MATCH_WORD, v_file },
};

int stub_handle_v(void *ctx, const char *args, size_t len,
		  struct rsp_buf *reply)
{
	return rsp_dispatch(v_commands, SUBTABLE_SIZE(v_commands), ctx, args,
			    len, reply);
}
