/* Serving a target to GDB: transports and the connection loop shared by
 * `xrr serve` and `xrr replay`. */
#ifndef XRR_FRONTEND_SERVE_SESSION_H
#define XRR_FRONTEND_SERVE_SESSION_H

#include <stdbool.h>

#include "protocol/rsp.h"
#include "stub/target.h"

struct serve_where {
	const char *host;        /* NULL: 127.0.0.1 */
	int port;                /* 0: pick a free one */
	const char *unix_path;   /* Unix socket instead of TCP */
	bool stdio;              /* stdin/stdout (target remote | xrr ...) */
	bool once;               /* stop after the first connection */
	bool verbose;            /* log packets */
	bool extended;           /* suggest `target extended-remote` */
};

struct serve_session {
	struct serve_where where;
	struct rsp_listener listener;
	struct rsp_transport stdio;
	/* A connection taken while serve_session_prepare's work ran. */
	struct rsp_conn first;
	bool have_first;
	/* Whether the target is still worth reconnecting to. */
	bool (*alive)(struct target *t);
};

/* Take stdin/stdout for the protocol (the program then gets /dev/null
 * and stderr), or open the listener and announce it on stderr. */
int serve_session_open(struct serve_session *s, const struct serve_where *w,
		       bool (*alive)(struct target *));
/* Run `work` (the replay to -g's event) before serving, without a
 * debugger that connects meanwhile timing out: on stdio, or when one
 * connects to the listener during the work, its first packets are acked
 * at once and it is kept waiting (rsp_conn_busy) until the work is done.
 * Returns work's value. */
int serve_session_prepare(struct serve_session *s, int (*work)(void *ctx),
			  void *ctx);
/* Serve connections until the target is done with.  Returns 0, or 1
 * when the stub failed. */
int serve_session_run(struct serve_session *s, struct target *target);
void serve_session_close(struct serve_session *s);

/* Parse "HOST:PORT", "[::1]:PORT" or "PORT". */
int serve_parse_host_port(const char *text, char *host, size_t hostlen,
			  int *port);

#endif
