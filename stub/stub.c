/* The stub's session loop and its core packets: registers, memory,
 * breakpoints, execution control, thread selection, detach and kill.
 * Query (q/Q), v and vFile packets live in their own files. */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "stub/signals.h"
#include "stub/stub_internal.h"

void stub_log(struct stub *s, const char *fmt, ...)
{
	if (!s->opts.log)
		return;
	va_list ap;
	va_start(ap, fmt);
	fputs("xrr: ", s->opts.log);
	vfprintf(s->opts.log, fmt, ap);
	fputc('\n', s->opts.log);
	va_end(ap);
}

void stub_error_reply(struct rsp_buf *reply, int err)
{
	rsp_buf_reset(reply);
	if (err < 0)
		err = -err;
	rsp_buf_printf(reply, "E%02x", (err & 0xff) ? (err & 0xff) : 1);
}

/* After W/X there is no process: gdbserver answers E01 to what needs
 * one (registers, memory, auxv).  A replay's process still exists at its
 * end, but answering from it makes GDB 13 crash in `info
 * sharedlibrary` (it reads the exited program's link map). */
bool stub_gone_reply(struct stub *s, struct rsp_buf *reply)
{
	if (!s->process_gone)
		return false;
	rsp_buf_reset(reply);
	rsp_buf_append_str(reply, "E01");
	return true;
}

/* ---- threads ------------------------------------------------------------ */

int stub_refresh_threads(struct stub *s)
{
	int n = s->target->ops->list_threads(s->target, s->threads,
					     STUB_MAX_THREADS);
	if (n < 0)
		return n;
	s->nthreads = (size_t)n;
	return n;
}

/* A concrete thread for "any" (0) or "all" (-1): the last stopped thread
 * when it still exists, else the first. */
int64_t stub_pick_thread(struct stub *s, int64_t tid)
{
	if (tid > 0)
		return tid;
	if (s->last_stop.tid > 0 && !s->process_gone &&
	    s->target->ops->thread_alive(s->target, s->last_stop.tid))
		return s->last_stop.tid;
	if (stub_refresh_threads(s) > 0)
		return s->threads[0].tid;
	return -1;
}

int64_t stub_current_pid(struct stub *s)
{
	if (s->last_stop.pid > 0)
		return s->last_stop.pid;
	if (stub_refresh_threads(s) > 0)
		return s->threads[0].pid;
	return 1;
}

/* ---- stop replies --------------------------------------------------------- */

static void append_expedited(struct stub *s, int64_t tid, struct rsp_buf *out)
{
	struct x86_regfile rf;
	if (s->target->ops->get_regs(s->target, tid, &rf) < 0)
		return;
	const int regs[] = { s->tdesc.rbp_regnum, s->tdesc.rsp_regnum,
			     s->tdesc.rip_regnum };
	for (size_t i = 0; i < sizeof(regs) / sizeof(regs[0]); i++) {
		rsp_buf_printf(out, "%02x:", regs[i]);
		tdesc_encode_reg(&s->tdesc, (unsigned)regs[i], &rf, out);
		rsp_buf_append_str(out, ";");
	}
}

static void append_reason(struct stub *s, const struct target_stop *stop,
			  struct rsp_buf *out)
{
	switch (stop->reason) {
	case TARGET_REASON_SWBREAK:
		if (s->swbreak)
			rsp_buf_append_str(out, "swbreak:;");
		break;
	case TARGET_REASON_HWBREAK:
		if (s->hwbreak)
			rsp_buf_append_str(out, "hwbreak:;");
		break;
	case TARGET_REASON_WATCH:
		rsp_buf_printf(out, "watch:%" PRIx64 ";", stop->watch_addr);
		break;
	case TARGET_REASON_RWATCH:
		rsp_buf_printf(out, "rwatch:%" PRIx64 ";", stop->watch_addr);
		break;
	case TARGET_REASON_AWATCH:
		rsp_buf_printf(out, "awatch:%" PRIx64 ";", stop->watch_addr);
		break;
	case TARGET_REASON_REPLAY_END:
		rsp_buf_append_str(out, "replaylog:end;");
		break;
	case TARGET_REASON_REPLAY_BEGIN:
		rsp_buf_append_str(out, "replaylog:begin;");
		break;
	case TARGET_REASON_SYSCALL_ENTRY:
		rsp_buf_printf(out, "syscall_entry:%x;", stop->syscall_nr);
		break;
	case TARGET_REASON_SYSCALL_RETURN:
		rsp_buf_printf(out, "syscall_return:%x;", stop->syscall_nr);
		break;
	case TARGET_REASON_NONE:
		break;
	}
}

void stub_format_stop(struct stub *s, const struct target_stop *stop,
		      struct rsp_buf *out)
{
	switch (stop->kind) {
	case TARGET_STOP_EXITED:
		rsp_buf_printf(out, "W%02x", stop->status & 0xff);
		if (s->multiprocess)
			rsp_buf_printf(out, ";process:%" PRIx64, stop->pid);
		return;
	case TARGET_STOP_KILLED:
		rsp_buf_printf(out, "X%02x", gdb_signal_from_host(stop->signo));
		if (s->multiprocess)
			rsp_buf_printf(out, ";process:%" PRIx64, stop->pid);
		return;
	case TARGET_STOP_SIGNAL:
		break;
	}
	rsp_buf_printf(out, "T%02x", gdb_signal_from_host(stop->signo));
	append_expedited(s, stop->tid, out);
	rsp_buf_append_str(out, "thread:");
	rsp_format_thread_id(out, s->multiprocess, stop->pid, stop->tid);
	rsp_buf_append_str(out, ";");
	for (size_t i = 0; i < s->nthreads; i++)
		if (s->threads[i].tid == stop->tid && s->threads[i].core >= 0)
			rsp_buf_printf(out, "core:%x;", s->threads[i].core);
	append_reason(s, stop, out);
}

int stub_console(struct stub *s, const char *text, size_t len)
{
	/* Chunks well under any PacketSize GDB could have negotiated. */
	const size_t chunk = 1024;
	struct rsp_buf pkt;
	rsp_buf_init(&pkt);
	int rc = 0;
	for (size_t off = 0; off < len && rc == 0; off += chunk) {
		size_t n = len - off < chunk ? len - off : chunk;
		rsp_buf_reset(&pkt);
		rsp_buf_append_str(&pkt, "O");
		rsp_buf_append_hex(&pkt, text + off, n);
		rc = rsp_conn_send(s->conn, pkt.data, pkt.len);
	}
	rsp_buf_free(&pkt);
	return rc;
}

/* ---- execution control ------------------------------------------------------ */

/* A 0x03 from GDB while the target runs: stop it (the stop arrives
 * through wait as SIGINT).  Returns rsp_conn_poll_interrupt's value. */
static int pass_interrupt(struct stub *s)
{
	int irq = rsp_conn_poll_interrupt(s->conn);
	if (irq > 0) {
		s->irq_requested = true;
		s->target->ops->interrupt(s->target);
	}
	return irq;
}

int stub_wait_for_stop(struct stub *s, struct target_stop *stop)
{
	/* GDB waits for a stop reply as long as it takes, and the wait
	 * below watches the connection for ^C itself. */
	rsp_conn_ready(s->conn);
	for (;;) {
		if (rsp_conn_has_buffered_input(s->conn) && pass_interrupt(s) < 0)
			return -1;
		enum target_wait_result r =
			s->target->ops->wait(s->target, stop, s->conn->t.in_fd);
		if (r == TARGET_WAIT_STOPPED)
			return 0;
		if (r == TARGET_WAIT_ERROR)
			return -2;
		if (pass_interrupt(s) < 0)
			return -1;
	}
}

/* GDB asked to stop while hidden hits went by: the thread's stop is the
 * interrupt GDB waits for.  (A target resets a pending interrupt when
 * resumed, so going on would lose it.) */
static void as_interrupt(struct target_stop *stop)
{
	stop->signo = SIGINT;
	stop->reason = TARGET_REASON_NONE;
}

/* The same actions once more; their signals were delivered already. */
static int resume_again(struct stub *s, const struct target_resume *actions,
			size_t n)
{
	struct target_resume again[STUB_MAX_ACTIONS];
	memcpy(again, actions, n * sizeof(again[0]));
	for (size_t i = 0; i < n; i++)
		again[i].signo = 0;
	return s->target->ops->resume(s->target, again, n);
}

/* Wait for a stop GDB must see: a forward hit of a breakpoint whose
 * conditions are all false is stepped over and the resume repeated
 * (ConditionalBreakpoints+).  Returns stub_wait_for_stop's codes. */
static int wait_visible_stop(struct stub *s, const struct target_resume *actions,
			     size_t n, struct target_stop *stop)
{
	int rc = stub_wait_for_stop(s, stop);
	uint64_t pc;
	while (rc == 0 && n <= STUB_MAX_ACTIONS &&
	       stub_hit_is_hidden(s, stop, actions, n, &pc)) {
		int irq = rsp_conn_poll_interrupt(s->conn);
		if (irq < 0)
			return -1;
		if (irq > 0 || s->irq_requested) {
			as_interrupt(stop);
			return 0;
		}
		rc = stub_step_over(s, stop->tid, pc, stop);
		if (rc != 0)
			return rc > 0 ? 0 : rc;
		if (s->irq_requested) {
			as_interrupt(stop);
			return 0;
		}
		if (resume_again(s, actions, n) < 0)
			return -2;
		rc = stub_wait_for_stop(s, stop);
	}
	return rc;
}

int stub_resume_and_wait(struct stub *s, const struct target_resume *actions,
			 size_t n, struct rsp_buf *reply)
{
	if (s->process_gone) {
		stub_format_stop(s, &s->last_stop, reply);
		return 0;
	}
	s->irq_requested = false;
	int rc = s->target->ops->resume(s->target, actions, n);
	if (rc < 0) {
		stub_log(s, "resume failed: %s", strerror(-rc));
		stub_error_reply(reply, rc);
		return 0;
	}
	struct target_stop stop;
	memset(&stop, 0, sizeof(stop));
	rc = wait_visible_stop(s, actions, n, &stop);
	if (rc == -1) {
		/* GDB went away while the program ran. */
		s->end_session = true;
		s->end = STUB_END_DISCONNECTED;
		s->send_nothing = true;
		return 0;
	}
	if (rc < 0) {
		stub_error_reply(reply, EIO);
		return 0;
	}
	if (stop.message[0] && stub_console(s, stop.message, strlen(stop.message)) < 0) {
		s->end_session = true;
		s->end = STUB_END_DISCONNECTED;
		s->send_nothing = true;
		return 0;
	}
	if (stub_lldb_past_history_end(s, actions, n, &stop) < 0) {
		stub_error_reply(reply, EIO);
		return 0;
	}
	s->last_stop = stop;
	if (stop.kind != TARGET_STOP_SIGNAL) {
		s->process_gone = true;
	} else {
		/* GDB takes the stopped thread as its general thread; its
		 * continue thread stays what it last set with Hc. */
		s->g_tid = stop.tid;
		stub_refresh_threads(s);
	}
	stub_format_stop(s, &stop, reply);
	return 0;
}

/* c [addr], s [addr], C sig[;addr], S sig[;addr]: legacy resume of the
 * Hc thread (stepping) or of everything (continuing). */
static int legacy_resume(struct stub *s, const char *args, size_t len,
			 bool step, bool with_signal, struct rsp_buf *reply)
{
	const char *p = args, *end = args + len;
	uint64_t sig = 0;
	if (with_signal && !rsp_parse_hex_u64(&p, end, &sig)) {
		stub_error_reply(reply, EINVAL);
		return 0;
	}
	struct target_resume action = {
		.tid = step ? stub_pick_thread(s, s->c_tid) : RSP_ID_ALL,
		.step = step,
		.signo = gdb_signal_to_host((int)sig),
	};
	return stub_resume_and_wait(s, &action, 1, reply);
}

static int handle_c(void *ctx, const char *a, size_t n, struct rsp_buf *r)
{
	return legacy_resume(ctx, a, n, false, false, r);
}
static int handle_C(void *ctx, const char *a, size_t n, struct rsp_buf *r)
{
	return legacy_resume(ctx, a, n, false, true, r);
}
static int handle_s(void *ctx, const char *a, size_t n, struct rsp_buf *r)
{
	return legacy_resume(ctx, a, n, true, false, r);
}
static int handle_S(void *ctx, const char *a, size_t n, struct rsp_buf *r)
{
	return legacy_resume(ctx, a, n, true, true, r);
}

/* bc, bs: reverse-continue and reverse-stepi.  GDB never uses vCont
 * backwards; it names the thread with Hc first (Hc0: any). */
static int reverse_resume(struct stub *s, bool step, struct rsp_buf *reply)
{
	if (!s->target->reverse_supported) {
		rsp_buf_append_str(reply, "E.this target cannot execute backwards");
		return 0;
	}
	struct target_resume action = {
		.tid = s->c_tid > 0 ? s->c_tid : RSP_ID_ALL,
		.step = step,
		.reverse = true,
	};
	return stub_resume_and_wait(s, &action, 1, reply);
}

static int handle_bc(void *ctx, const char *a, size_t n, struct rsp_buf *r)
{
	return reverse_resume(ctx, false, r);
}
static int handle_bs(void *ctx, const char *a, size_t n, struct rsp_buf *r)
{
	return reverse_resume(ctx, true, r);
}

static int handle_stop_query(void *ctx, const char *a, size_t n,
			     struct rsp_buf *reply)
{
	struct stub *s = ctx;
	stub_format_stop(s, &s->last_stop, reply);
	stub_lldb_stop_extras(s, &s->last_stop, reply);
	return 0;
}

/* ---- registers ------------------------------------------------------------- */

/* The Hg thread's registers; false with an E.. reply when they cannot
 * be read. */
static bool current_regs(struct stub *s, int64_t *tid, struct x86_regfile *rf,
			 struct rsp_buf *reply)
{
	if (stub_gone_reply(s, reply))
		return false;
	*tid = stub_pick_thread(s, s->g_tid);
	int rc = *tid <= 0 ? -ESRCH
			   : s->target->ops->get_regs(s->target, *tid, rf);
	if (rc < 0)
		stub_error_reply(reply, rc);
	return rc >= 0;
}

static int handle_g(void *ctx, const char *a, size_t n, struct rsp_buf *reply)
{
	struct stub *s = ctx;
	struct x86_regfile rf;
	int64_t tid;
	if (!current_regs(s, &tid, &rf, reply))
		return 0;
	tdesc_encode_g(&s->tdesc, &rf, reply);
	return 0;
}

static void store_regs(struct stub *s, int64_t tid,
		       const struct x86_regfile *rf, struct rsp_buf *reply)
{
	char err[200] = "";
	int rc = s->target->ops->set_regs(s->target, tid, rf, err, sizeof(err));
	if (rc < 0) {
		if (err[0]) {
			stub_log(s, "%s", err);
			/* GDB 13 shows the text of an E.<message> reply. */
			rsp_buf_reset(reply);
			rsp_buf_printf(reply, "E.%s", err);
		} else {
			stub_error_reply(reply, rc);
		}
		return;
	}
	rsp_buf_append_str(reply, "OK");
}

static int handle_G(void *ctx, const char *a, size_t n, struct rsp_buf *reply)
{
	struct stub *s = ctx;
	struct x86_regfile rf;
	int64_t tid;
	if (!current_regs(s, &tid, &rf, reply))
		return 0;
	if (tdesc_decode_g(&s->tdesc, a, n, &rf) < 0) {
		stub_error_reply(reply, EINVAL);
		return 0;
	}
	store_regs(s, tid, &rf, reply);
	return 0;
}

static int handle_p(void *ctx, const char *a, size_t n, struct rsp_buf *reply)
{
	struct stub *s = ctx;
	const char *p = a, *end = a + n;
	uint64_t regnum;
	if (!rsp_parse_hex_u64(&p, end, &regnum) || p != end ||
	    regnum >= s->tdesc.nregs) {
		stub_error_reply(reply, EINVAL);
		return 0;
	}
	struct x86_regfile rf;
	int64_t tid;
	if (!current_regs(s, &tid, &rf, reply))
		return 0;
	if (stub_lldb_reg_unavailable(s, (unsigned)regnum, &rf)) {
		stub_error_reply(reply, ENODATA);
		return 0;
	}
	tdesc_encode_reg(&s->tdesc, (unsigned)regnum, &rf, reply);
	return 0;
}

static int handle_P(void *ctx, const char *a, size_t n, struct rsp_buf *reply)
{
	struct stub *s = ctx;
	const char *p = a, *end = a + n;
	uint64_t regnum;
	if (!rsp_parse_hex_u64(&p, end, &regnum) ||
	    !rsp_expect_char(&p, end, '=') || regnum >= s->tdesc.nregs) {
		stub_error_reply(reply, EINVAL);
		return 0;
	}
	struct x86_regfile rf;
	int64_t tid;
	if (!current_regs(s, &tid, &rf, reply))
		return 0;
	if (tdesc_decode_reg(&s->tdesc, (unsigned)regnum, p,
			     (size_t)(end - p), &rf) < 0) {
		stub_error_reply(reply, EINVAL);
		return 0;
	}
	store_regs(s, tid, &rf, reply);
	return 0;
}

/* ---- memory ------------------------------------------------------------------ */

static int handle_m(void *ctx, const char *a, size_t n, struct rsp_buf *reply)
{
	struct stub *s = ctx;
	const char *p = a, *end = a + n;
	uint64_t addr, len;
	if (!rsp_parse_addr_len(&p, end, &addr, &len) || p != end) {
		stub_error_reply(reply, EINVAL);
		return 0;
	}
	if (stub_gone_reply(s, reply))
		return 0;
	size_t max = s->opts.max_payload / 2;
	if (len > max)
		len = max;
	if (len == 0)
		return 0;
	uint8_t *buf = malloc(len);
	if (!buf) {
		stub_error_reply(reply, ENOMEM);
		return 0;
	}
	ssize_t got = s->target->ops->read_memory(s->target, addr, buf, len);
	if (got <= 0)
		stub_error_reply(reply, got < 0 ? (int)got : EFAULT);
	else
		rsp_buf_append_hex(reply, buf, (size_t)got);
	free(buf);
	return 0;
}

static void write_memory(struct stub *s, uint64_t addr, const void *data,
			 size_t len, struct rsp_buf *reply)
{
	if (len == 0) {
		rsp_buf_append_str(reply, "OK");
		return;
	}
	char err[200] = "";
	ssize_t rc = s->target->ops->write_memory(s->target, addr, data, len,
						  err, sizeof(err));
	if (rc == (ssize_t)len) {
		rsp_buf_append_str(reply, "OK");
	} else if (err[0]) {
		stub_log(s, "%s", err);
		rsp_buf_reset(reply);
		rsp_buf_printf(reply, "E.%s", err);
	} else {
		stub_error_reply(reply, rc < 0 ? (int)rc : EFAULT);
	}
}

/* M addr,len:hex  and  X addr,len:binary */
static int handle_write(struct stub *s, const char *a, size_t n, bool binary,
			struct rsp_buf *reply)
{
	const char *p = a, *end = a + n;
	uint64_t addr, len;
	if (!rsp_parse_addr_len(&p, end, &addr, &len) ||
	    !rsp_expect_char(&p, end, ':') || len > s->opts.max_payload) {
		stub_error_reply(reply, EINVAL);
		return 0;
	}
	uint8_t *buf = malloc(len ? len : 1);
	if (!buf) {
		stub_error_reply(reply, ENOMEM);
		return 0;
	}
	long got = binary ? rsp_binary_decode(p, (size_t)(end - p), buf, len)
			  : rsp_hex_decode(p, (size_t)(end - p), buf, len);
	if (got != (long)len)
		stub_error_reply(reply, EINVAL);
	else
		write_memory(s, addr, buf, len, reply);
	free(buf);
	return 0;
}

static int handle_M(void *ctx, const char *a, size_t n, struct rsp_buf *reply)
{
	return handle_write(ctx, a, n, false, reply);
}

static int handle_X(void *ctx, const char *a, size_t n, struct rsp_buf *reply)
{
	return handle_write(ctx, a, n, true, reply);
}

/* ---- breakpoints --------------------------------------------------------------- */

static int handle_Z(void *ctx, const char *a, size_t n, struct rsp_buf *reply)
{
	return stub_handle_breakpoint(ctx, a, n, true, reply);
}

static int handle_z(void *ctx, const char *a, size_t n, struct rsp_buf *reply)
{
	return stub_handle_breakpoint(ctx, a, n, false, reply);
}

/* ---- threads, detach, kill ----------------------------------------------------- */

static int handle_H(void *ctx, const char *a, size_t n, struct rsp_buf *reply)
{
	struct stub *s = ctx;
	const char *p = a + 1, *end = a + n;
	struct rsp_thread_id id;
	if (n < 2 || (a[0] != 'g' && a[0] != 'c') ||
	    !rsp_parse_thread_id(&p, end, &id) || p != end) {
		stub_error_reply(reply, EINVAL);
		return 0;
	}
	if (id.tid > 0 && !s->target->ops->thread_alive(s->target, id.tid)) {
		stub_error_reply(reply, ESRCH);
		return 0;
	}
	if (a[0] == 'g')
		s->g_tid = id.tid;
	else
		s->c_tid = id.tid;
	rsp_buf_append_str(reply, "OK");
	return 0;
}

static int handle_T(void *ctx, const char *a, size_t n, struct rsp_buf *reply)
{
	struct stub *s = ctx;
	const char *p = a, *end = a + n;
	struct rsp_thread_id id;
	if (!rsp_parse_thread_id(&p, end, &id) || p != end || id.tid <= 0) {
		stub_error_reply(reply, EINVAL);
		return 0;
	}
	if (!s->process_gone && s->target->ops->thread_alive(s->target, id.tid))
		rsp_buf_append_str(reply, "OK");
	else
		stub_error_reply(reply, ESRCH);
	return 0;
}

static int handle_D(void *ctx, const char *a, size_t n, struct rsp_buf *reply)
{
	struct stub *s = ctx;
	int rc = s->process_gone ? 0 : s->target->ops->detach(s->target);
	if (rc < 0) {
		stub_error_reply(reply, rc);
		return 0;
	}
	rsp_buf_append_str(reply, "OK");
	s->end_session = true;
	s->end = STUB_END_DETACHED;
	return 0;
}

static int handle_k(void *ctx, const char *a, size_t n, struct rsp_buf *reply)
{
	struct stub *s = ctx;
	if (!s->process_gone)
		s->target->ops->kill(s->target);
	s->process_gone = true;
	s->send_nothing = true;   /* `k` has no reply */
	/* In extended-remote mode GDB may `run` again. */
	if (!s->extended) {
		s->end_session = true;
		s->end = STUB_END_KILLED;
	}
	return 0;
}

static int handle_extended(void *ctx, const char *a, size_t n,
			   struct rsp_buf *reply)
{
	struct stub *s = ctx;
	s->extended = true;
	rsp_buf_append_str(reply, "OK");
	return 0;
}

static const struct rsp_command core_commands[] = {
	{ "?", RSP_MATCH_PREFIX, handle_stop_query },
	{ "g", RSP_MATCH_PREFIX, handle_g },
	{ "G", RSP_MATCH_PREFIX, handle_G },
	{ "p", RSP_MATCH_PREFIX, handle_p },
	{ "P", RSP_MATCH_PREFIX, handle_P },
	{ "m", RSP_MATCH_PREFIX, handle_m },
	{ "M", RSP_MATCH_PREFIX, handle_M },
	{ "X", RSP_MATCH_PREFIX, handle_X },
	{ "Z", RSP_MATCH_PREFIX, handle_Z },
	{ "z", RSP_MATCH_PREFIX, handle_z },
	{ "c", RSP_MATCH_PREFIX, handle_c },
	{ "C", RSP_MATCH_PREFIX, handle_C },
	{ "s", RSP_MATCH_PREFIX, handle_s },
	{ "S", RSP_MATCH_PREFIX, handle_S },
	{ "bc", RSP_MATCH_WORD, handle_bc },
	{ "bs", RSP_MATCH_WORD, handle_bs },
	{ "H", RSP_MATCH_PREFIX, handle_H },
	{ "T", RSP_MATCH_PREFIX, handle_T },
	{ "D", RSP_MATCH_PREFIX, handle_D },
	{ "k", RSP_MATCH_PREFIX, handle_k },
	{ "!", RSP_MATCH_PREFIX, handle_extended },
	{ "q", RSP_MATCH_PREFIX, stub_handle_query },
	{ "Q", RSP_MATCH_PREFIX, stub_handle_set },
	{ "v", RSP_MATCH_PREFIX, stub_handle_v },
};

/* ---- session loop ----------------------------------------------------------------- */

/* The target's view of breakpoint conditions, for the hits it finds
 * without reporting them (reverse-continue scans forward). */
static bool stop_filter(void *ctx, int64_t tid, uint64_t pc)
{
	return stub_conditions_hold(ctx, tid, pc);
}

static int stub_init(struct stub *s, struct rsp_conn *conn,
		     struct target *target, const struct stub_options *opts)
{
	memset(s, 0, sizeof(*s));
	s->conn = conn;
	s->target = target;
	s->opts = *opts;
	if (!s->opts.max_payload)
		s->opts.max_payload = STUB_DEFAULT_PACKET_SIZE;
	rsp_buf_init(&s->scratch);
	char err[200];
	if (tdesc_build(&s->tdesc, target->xcr0_union, err, sizeof(err)) < 0) {
		stub_log(s, "cannot describe the target's registers: %s", err);
		return -1;
	}
	if (stub_refresh_threads(s) <= 0) {
		stub_log(s, "the target has no threads to debug");
		return -1;
	}
	stub_note_initial_stop(s);
	if (target->ops->set_stop_filter)
		target->ops->set_stop_filter(target, stop_filter, s);
	return 0;
}

/* The target is stopped at the program's first instruction, as after an
 * exec or attach (at start and after a restart). */
void stub_note_initial_stop(struct stub *s)
{
	memset(&s->last_stop, 0, sizeof(s->last_stop));
	s->last_stop.kind = TARGET_STOP_SIGNAL;
	s->last_stop.signo = SIGTRAP;
	s->last_stop.pid = s->threads[0].pid;
	s->last_stop.tid = s->threads[0].tid;
	s->g_tid = s->c_tid = s->threads[0].tid;
	s->process_gone = false;
	/* A new process: nothing of GDB's is inserted in it. */
	stub_forget_breakpoints(s);
}

static void stub_fini(struct stub *s)
{
	/* The filter's context is this stub, which is about to go. */
	if (s->target && s->target->ops->set_stop_filter)
		s->target->ops->set_stop_filter(s->target, NULL, NULL);
	stub_forget_breakpoints(s);
	stub_lldb_cleanup(s);
	tdesc_free(&s->tdesc);
	rsp_buf_free(&s->scratch);
}

static void handle_packet(struct stub *s, const char *pkt, size_t len,
			  struct rsp_buf *reply)
{
	rsp_buf_reset(reply);
	s->send_nothing = false;
	s->enter_noack = false;
	if (s->opts.verbose)
		stub_log(s, "<- %.*s", (int)(len > 200 ? 200 : len), pkt);
	/* However long the work takes, GDB sees an ack at once and then
	 * keepalives, never a silence it would time out on. */
	(void)rsp_conn_busy(s->conn);
	rsp_dispatch(core_commands, sizeof(core_commands) / sizeof(core_commands[0]),
		     s, pkt, len, reply);
	rsp_conn_ready(s->conn);
	if (s->send_nothing)
		return;
	if (s->opts.verbose)
		stub_log(s, "-> %.*s", (int)(reply->len > 200 ? 200 : reply->len),
			 reply->data);
	if (rsp_conn_send(s->conn, reply->data, reply->len) < 0) {
		s->end_session = true;
		s->end = STUB_END_DISCONNECTED;
	}
	if (s->enter_noack)
		rsp_conn_set_noack(s->conn, true);
}

enum stub_end stub_serve(struct rsp_conn *conn, struct target *target,
			 const struct stub_options *opts)
{
	struct stub s;
	if (stub_init(&s, conn, target, opts) < 0) {
		stub_fini(&s);
		return STUB_END_ERROR;
	}
	struct rsp_buf reply;
	rsp_buf_init(&reply);
	while (!s.end_session) {
		const char *pkt;
		size_t len;
		enum rsp_recv_status st = rsp_conn_recv(conn, &pkt, &len);
		if (st == RSP_RECV_PACKET) {
			handle_packet(&s, pkt, len, &reply);
		} else if (st == RSP_RECV_REJECTED) {
			stub_log(&s, "ignored a packet: %s", conn->error);
		} else if (st == RSP_RECV_INTERRUPT) {
			/* ^C while stopped: nothing runs, nothing to stop. */
		} else {
			if (st == RSP_RECV_ERROR)
				stub_log(&s, "connection error: %s", conn->error);
			s.end = s.process_gone ? STUB_END_EXITED
					       : STUB_END_DISCONNECTED;
			break;
		}
	}
	if (s.end == STUB_END_DISCONNECTED && s.process_gone)
		s.end = STUB_END_EXITED;
	rsp_buf_free(&reply);
	stub_fini(&s);
	return s.end;
}
