/* The connection loop shared by `xrr serve` and `xrr replay`. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "frontend/frontend.h"
#include "frontend/serve_session.h"
#include "stub/stub.h"

int serve_parse_host_port(const char *text, char *host, size_t hostlen,
			  int *port)
{
	const char *colon = strrchr(text, ':');
	const char *port_text = colon ? colon + 1 : text;
	size_t hl = colon ? (size_t)(colon - text) : 0;
	if (hl >= hostlen)
		return -1;
	memcpy(host, text, hl);
	host[hl] = 0;
	if (hl >= 2 && host[0] == '[' && host[hl - 1] == ']') {
		memmove(host, host + 1, hl - 2);
		host[hl - 2] = 0;
	}
	char *end;
	long p = strtol(port_text, &end, 10);
	if (!*port_text || *end || p < 0 || p > 65535)
		return -1;
	*port = (int)p;
	return 0;
}

/* In stdio mode stdin/stdout carry the protocol: keep them for the
 * connection and give the program /dev/null as stdin and our stderr as
 * stdout, as gdbserver does, so its output never corrupts the channel. */
static int claim_stdio(struct rsp_transport *tr)
{
	int in = fcntl(0, F_DUPFD_CLOEXEC, 3);
	int out = fcntl(1, F_DUPFD_CLOEXEC, 3);
	int null = open("/dev/null", O_RDONLY);
	if (in < 0 || out < 0 || null < 0 || dup2(null, 0) < 0 || dup2(2, 1) < 0) {
		xrr_error("cannot set up stdio mode: %s", strerror(errno));
		return -1;
	}
	close(null);
	rsp_transport_stdio(tr);
	tr->in_fd = in;
	tr->out_fd = out;
	return 0;
}

static int open_listener(struct serve_session *s)
{
	const struct serve_where *w = &s->where;
	char err[256];
	if (w->unix_path) {
		if (rsp_listen_unix(&s->listener, w->unix_path, err, sizeof(err)) < 0) {
			xrr_error("%s", err);
			return -1;
		}
		fprintf(stderr, "xrr: listening on %s (gdb -ex 'target %s %s')\n",
			w->unix_path, w->extended ? "extended-remote" : "remote",
			w->unix_path);
		return 0;
	}
	const char *host = w->host ? w->host : "127.0.0.1";
	if (!rsp_host_is_loopback(host))
		fprintf(stderr,
			"xrr: warning: listening on %s, which is not loopback: anyone who "
			"can reach it controls the program (the protocol has no "
			"authentication)\n", host);
	if (rsp_listen_tcp(&s->listener, host, w->port, err, sizeof(err)) < 0) {
		xrr_error("%s", err);
		return -1;
	}
	fprintf(stderr, "xrr: listening on %s:%d (gdb -ex 'target %s %s:%d')\n",
		host, s->listener.port, w->extended ? "extended-remote" : "remote",
		host, s->listener.port);
	return 0;
}

int serve_session_open(struct serve_session *s, const struct serve_where *w,
		       bool (*alive)(struct target *))
{
	memset(s, 0, sizeof(*s));
	s->where = *w;
	s->listener.fd = -1;
	s->alive = alive;
	if (w->stdio)
		return claim_stdio(&s->stdio);
	return open_listener(s);
}

/* While the work runs, a debugger that connects is taken in and kept
 * patient; `done` (a pipe) ends the watch. */
struct accept_watch {
	struct serve_session *s;
	int done[2];
};

static void *watch_for_debugger(void *arg)
{
	struct accept_watch *w = arg;
	struct serve_session *s = w->s;
	struct pollfd fds[2] = {
		{ .fd = s->listener.fd, .events = POLLIN },
		{ .fd = w->done[0], .events = POLLIN },
	};
	for (;;) {
		if (poll(fds, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			return NULL;
		}
		if (fds[1].revents)
			return NULL;
		if (!fds[0].revents)
			continue;
		struct rsp_transport tr;
		char err[256];
		if (rsp_accept(&s->listener, &tr, err, sizeof(err)) < 0)
			continue;   /* serve_session_run reports a broken listener */
		rsp_conn_init(&s->first, &tr, RSP_DEFAULT_MAX_PAYLOAD);
		s->have_first = true;
		(void)rsp_conn_busy(&s->first);
		return NULL;
	}
}

int serve_session_prepare(struct serve_session *s, int (*work)(void *ctx),
			  void *ctx)
{
	if (s->where.stdio) {
		/* GDB is already writing into the pipe. */
		rsp_conn_init(&s->first, &s->stdio, RSP_DEFAULT_MAX_PAYLOAD);
		s->have_first = true;
		(void)rsp_conn_busy(&s->first);
		int rc = work(ctx);
		rsp_conn_ready(&s->first);
		return rc;
	}
	struct accept_watch w = { .s = s };
	pthread_t watcher;
	if (s->listener.fd < 0 || s->where.once ||
	    pipe2(w.done, O_CLOEXEC) < 0)
		return work(ctx);   /* our own GDB starts after the work */
	if (pthread_create(&watcher, NULL, watch_for_debugger, &w) != 0) {
		close(w.done[0]);
		close(w.done[1]);
		return work(ctx);
	}
	int rc = work(ctx);
	(void)!write(w.done[1], "", 1);
	pthread_join(watcher, NULL);
	close(w.done[0]);
	close(w.done[1]);
	if (s->have_first)
		rsp_conn_ready(&s->first);
	return rc;
}

int serve_session_run(struct serve_session *s, struct target *target)
{
	struct stub_options opts = { .log = stderr, .verbose = s->where.verbose };
	for (;;) {
		struct rsp_transport tr;
		char err[256];
		struct rsp_conn local, *conn = &local;
		if (s->have_first) {
			/* Taken in by serve_session_prepare (its helper thread
			 * knows it by address: served in place). */
			conn = &s->first;
			s->have_first = false;
		} else {
			if (s->where.stdio) {
				tr = s->stdio;
			} else if (rsp_accept(&s->listener, &tr, err,
					      sizeof(err)) < 0) {
				xrr_error("%s", err);
				return 1;
			}
			rsp_conn_init(conn, &tr, RSP_DEFAULT_MAX_PAYLOAD);
		}
		enum stub_end end = stub_serve(conn, target, &opts);
		rsp_conn_close(conn);
		bool alive = s->alive(target);
		if (end == STUB_END_DISCONNECTED && !s->where.stdio &&
		    !s->where.once && alive) {
			fprintf(stderr, "xrr: GDB disconnected; waiting for it to "
				"reconnect\n");
			continue;
		}
		return end == STUB_END_ERROR ? 1 : 0;
	}
}

void serve_session_close(struct serve_session *s)
{
	if (s->have_first)
		rsp_conn_close(&s->first);
	s->have_first = false;
	if (s->listener.fd >= 0)
		rsp_listener_close(&s->listener);
	s->listener.fd = -1;
}
