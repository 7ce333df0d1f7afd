/* State shared by the stub's packet handlers (files under stub/ only). */
#ifndef XRR_STUB_INTERNAL_H
#define XRR_STUB_INTERNAL_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "protocol/rsp.h"
#include "protocol/rsp_cmd.h"
#include "protocol/tdesc.h"
#include "stub/stub.h"
#include "stub/target.h"

#define STUB_MAX_THREADS 1024
#define STUB_MAX_ACTIONS 64       /* vCont actions in one packet */

struct stub_bp;                   /* stub_bp.c */

struct stub {
	struct rsp_conn *conn;
	struct target *target;
	struct stub_options opts;
	struct tdesc tdesc;

	/* What GDB told us it understands (qSupported). */
	bool multiprocess;
	bool swbreak;
	bool hwbreak;
	bool extended;            /* `!`: extended-remote, `run` allowed */

	int64_t g_tid;            /* Hg: thread for register/memory access */
	int64_t c_tid;            /* Hc: thread for c/s/bc/bs, as GDB set it */

	struct target_stop last_stop;
	bool process_gone;        /* after W/X */

	/* qfThreadInfo/qsThreadInfo iterate over this snapshot. */
	struct target_thread threads[STUB_MAX_THREADS];
	size_t nthreads;
	size_t thread_cursor;

	bool end_session;
	enum stub_end end;
	bool send_nothing;        /* `k` has no reply */
	bool enter_noack;         /* switch off acks after this reply */

	struct rsp_buf scratch;   /* qXfer objects built on demand */

	/* Z0/Z1 breakpoints GDB inserted, with their conditions. */
	struct stub_bp *bps;
	size_t nbps, bps_cap;
	bool irq_requested;       /* GDB sent 0x03 during this resume */
	bool client_lldb;         /* the client is LLDB (stub_lldb.c) */
	char *lldb_dir;           /* LLDB's copies of a replay's files */
	unsigned lldb_list_reads; /* library lists LLDB began to read */
};

void stub_log(struct stub *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Threads: refresh the snapshot; resolve 0/-1 to a concrete tid. */
int stub_refresh_threads(struct stub *s);
int64_t stub_pick_thread(struct stub *s, int64_t tid);
int64_t stub_current_pid(struct stub *s);

/* Stop replies (T/S/W/X) for a stop. */
void stub_format_stop(struct stub *s, const struct target_stop *stop,
		      struct rsp_buf *out);
/* Send console text as O packets. */
int stub_console(struct stub *s, const char *text, size_t len);

void stub_note_initial_stop(struct stub *s);

/* After W/X: E01 in reply (gdbserver's answer without a process). */
bool stub_gone_reply(struct stub *s, struct rsp_buf *reply);

/* E.. reply from a negative errno value. */
void stub_error_reply(struct rsp_buf *reply, int err);

/* Handler groups (tables live with their handlers). */
int stub_handle_query(void *ctx, const char *args, size_t len,
		      struct rsp_buf *reply);   /* q... */
int stub_handle_set(void *ctx, const char *args, size_t len,
		    struct rsp_buf *reply);     /* Q... */
int stub_handle_v(void *ctx, const char *args, size_t len,
		  struct rsp_buf *reply);       /* v... */
int stub_handle_vfile(struct stub *s, const char *args, size_t len,
		      struct rsp_buf *reply);
/* Text in XML attributes and elements (qXfer objects). */
void stub_xml_escape(struct rsp_buf *b, const char *text);

/* LLDB's queries (stub_lldb.c). */
int stub_q_host_info(void *ctx, const char *args, size_t len,
		     struct rsp_buf *reply);
int stub_q_process_info(void *ctx, const char *args, size_t len,
			struct rsp_buf *reply);
bool stub_lldb_client(const char *qsupported, size_t len);
/* The library list LLDB loads modules from (qXfer:libraries-svr4);
 * `from_start` when LLDB reads it from offset 0 (a new read, not the
 * next chunk of the last one). */
int stub_lldb_libraries(struct stub *s, bool from_start, struct rsp_buf *out);
void stub_lldb_cleanup(struct stub *s);
/* LLDB has no end of history: a forward stop there becomes the
 * recorded exit.  0, or -1 when the target failed. */
int stub_lldb_past_history_end(struct stub *s,
			       const struct target_resume *actions, size_t n,
			       struct target_stop *stop);
/* LLDB reads `xx` bytes as 0xcc: for LLDB a register outside the
 * thread's XCR0 is an error reply to `p` (it then shows none). */
bool stub_lldb_reg_unavailable(struct stub *s, unsigned regnum,
			       const struct x86_regfile *rf);
/* What LLDB's first stop reply carries beyond GDB's. */
void stub_lldb_stop_extras(struct stub *s, const struct target_stop *stop,
			   struct rsp_buf *reply);

/* Resume with parsed actions, wait for the stop, fill the stop reply. */
int stub_resume_and_wait(struct stub *s, const struct target_resume *actions,
			 size_t n, struct rsp_buf *reply);
/* Wait for the running target, passing GDB's 0x03 on.  0 with *stop
 * filled, -1 when GDB went away, -2 when the target failed. */
int stub_wait_for_stop(struct stub *s, struct target_stop *stop);

/* Breakpoints and their conditions (stub_bp.c). */
int stub_handle_breakpoint(struct stub *s, const char *args, size_t len,
			   bool insert, struct rsp_buf *reply);
void stub_forget_breakpoints(struct stub *s);
/* Does a hit of thread tid at pc satisfy the conditions there?  True
 * when any condition is true, fails to evaluate, or there is none. */
bool stub_conditions_hold(struct stub *s, int64_t tid, uint64_t pc);
/* A forward breakpoint stop GDB must not see; *pc is where it stopped. */
bool stub_hit_is_hidden(struct stub *s, const struct target_stop *stop,
			const struct target_resume *actions, size_t n,
			uint64_t *pc);
/* Step thread tid over the breakpoints at pc: 0 when it just stepped,
 * 1 when *stop must be reported, stub_wait_for_stop's codes on failure. */
int stub_step_over(struct stub *s, int64_t tid, uint64_t pc,
		   struct target_stop *stop);

#endif
