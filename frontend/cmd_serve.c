/* xrr serve: debug a live program with GDB, like gdbserver. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "frontend/frontend.h"
#include "protocol/rsp.h"
#include "stub/live_target.h"
#include "stub/stub.h"

static const char serve_help[] =
	"Usage: xrr serve [--listen HOST:PORT | --port N | --stdio | --unix PATH]\n"
	"                 [--once] [-v] -- PROG [ARGS...]\n"
	"\n"
	"Start PROG under ptrace, stopped at its first instruction, and serve it to\n"
	"GDB over the remote protocol, as gdbserver does.\n"
	"\n"
	"  --port N            listen on 127.0.0.1:N (0 picks a free port)\n"
	"  --listen HOST:PORT  listen on HOST; a non-loopback HOST must be given\n"
	"                      explicitly and draws a warning: there is no\n"
	"                      authentication\n"
	"  --unix PATH         listen on a Unix socket\n"
	"  --stdio             talk over stdin/stdout, for\n"
	"                        gdb -ex 'target remote | xrr serve --stdio -- PROG'\n"
	"                      (diagnostics go to stderr only)\n"
	"  --once              exit after the first connection closes\n"
	"  -v, --verbose       log every packet to stderr\n"
	"\n"
	"Default: --port 0 on 127.0.0.1.\n"
	"\n"
	"What happens to PROG (gdbserver's semantics for a program it started):\n"
	"  GDB 'detach'        PROG is detached and keeps running; xrr exits\n"
	"  GDB 'kill', 'quit'  PROG is killed; xrr exits\n"
	"  PROG exits          the exit status (or fatal signal) is reported to GDB;\n"
	"                      xrr exits when GDB disconnects\n"
	"  connection lost     with --stdio or --once PROG is killed and xrr exits;\n"
	"                      otherwise PROG stays stopped and xrr waits for GDB\n"
	"                      to reconnect\n"
	"If xrr itself dies, the kernel kills PROG (PTRACE_O_EXITKILL).\n";

struct serve_args {
	const char *host;
	int port;
	const char *unix_path;
	bool stdio;
	bool once;
	bool verbose;
	char **argv;
};

static int parse_host_port(const char *text, struct serve_args *a)
{
	const char *colon = strrchr(text, ':');
	if (!colon) {
		xrr_error("--listen wants HOST:PORT, got '%s'", text);
		return -1;
	}
	static char host[256];
	size_t hl = (size_t)(colon - text);
	if (hl >= sizeof(host)) {
		xrr_error("--listen: host name too long");
		return -1;
	}
	memcpy(host, text, hl);
	host[hl] = 0;
	/* "[::1]:1234" */
	if (hl >= 2 && host[0] == '[' && host[hl - 1] == ']') {
		memmove(host, host + 1, hl - 2);
		host[hl - 2] = 0;
	}
	char *end;
	long port = strtol(colon + 1, &end, 10);
	if (*end || port < 0 || port > 65535) {
		xrr_error("--listen: bad port '%s'", colon + 1);
		return -1;
	}
	a->host = host[0] ? host : "127.0.0.1";
	a->port = (int)port;
	return 0;
}

static int parse_serve_args(int argc, char **argv, struct serve_args *a)
{
	static const struct option options[] = {
		{ "port", required_argument, NULL, 'p' },
		{ "listen", required_argument, NULL, 'l' },
		{ "unix", required_argument, NULL, 'u' },
		{ "stdio", no_argument, NULL, 's' },
		{ "once", no_argument, NULL, 'o' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	memset(a, 0, sizeof(*a));
	a->host = "127.0.0.1";
	int modes = 0, c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+p:l:u:sovh", options, NULL)) != -1) {
		switch (c) {
		case 'p': {
			char *end;
			long port = strtol(optarg, &end, 10);
			if (*end || port < 0 || port > 65535) {
				xrr_error("--port: bad port '%s'", optarg);
				return 2;
			}
			a->port = (int)port;
			modes++;
			break;
		}
		case 'l':
			if (parse_host_port(optarg, a) < 0)
				return 2;
			modes++;
			break;
		case 'u': a->unix_path = optarg; modes++; break;
		case 's': a->stdio = true; modes++; break;
		case 'o': a->once = true; break;
		case 'v': a->verbose = true; break;
		case 'h': fputs(serve_help, stdout); return 0;
		default:
			fputs(serve_help, stderr);
			return 2;
		}
	}
	if (modes > 1) {
		xrr_error("serve: choose one of --port, --listen, --unix and --stdio");
		return 2;
	}
	if (optind >= argc) {
		xrr_error("serve: no program given (xrr serve [OPTIONS] -- PROG [ARGS])");
		return 2;
	}
	a->argv = argv + optind;
	return -1;
}

static int open_listener(const struct serve_args *a, struct rsp_listener *l)
{
	char err[256];
	if (a->unix_path) {
		if (rsp_listen_unix(l, a->unix_path, err, sizeof(err)) < 0) {
			xrr_error("%s", err);
			return -1;
		}
		fprintf(stderr, "xrr: listening on %s (gdb -ex 'target remote %s')\n",
			a->unix_path, a->unix_path);
		return 0;
	}
	if (!rsp_host_is_loopback(a->host))
		fprintf(stderr,
			"xrr: warning: listening on %s, which is not loopback: anyone who "
			"can reach it controls the program (the protocol has no "
			"authentication)\n", a->host);
	if (rsp_listen_tcp(l, a->host, a->port, err, sizeof(err)) < 0) {
		xrr_error("%s", err);
		return -1;
	}
	fprintf(stderr, "xrr: listening on %s:%d (gdb -ex 'target remote %s:%d')\n",
		a->host, l->port, a->host, l->port);
	return 0;
}

/* In --stdio mode stdin/stdout carry the protocol: keep them for the
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

/* Serve connections until the program is gone or GDB is done with it. */
static int serve_loop(const struct serve_args *a, struct target *target,
		      const struct rsp_transport *stdio)
{
	struct rsp_listener l = { .fd = -1 };
	if (!a->stdio && open_listener(a, &l) < 0)
		return 1;
	struct stub_options opts = { .log = stderr, .verbose = a->verbose };
	int status = 0;
	for (;;) {
		struct rsp_transport tr;
		char err[256];
		if (a->stdio) {
			tr = *stdio;
		} else if (rsp_accept(&l, &tr, err, sizeof(err)) < 0) {
			xrr_error("%s", err);
			status = 1;
			break;
		}
		struct rsp_conn conn;
		rsp_conn_init(&conn, &tr, RSP_DEFAULT_MAX_PAYLOAD);
		enum stub_end end = stub_serve(&conn, target, &opts);
		rsp_conn_close(&conn);
		if (end == STUB_END_DISCONNECTED && !a->stdio && !a->once &&
		    live_target_alive(target)) {
			fprintf(stderr, "xrr: GDB disconnected; the program stays "
				"stopped until GDB reconnects\n");
			continue;
		}
		if (end == STUB_END_DISCONNECTED && live_target_alive(target))
			fprintf(stderr, "xrr: GDB disconnected; killing the program\n");
		if (end == STUB_END_ERROR)
			status = 1;
		break;
	}
	if (l.fd >= 0)
		rsp_listener_close(&l);
	return status;
}

int cmd_serve(int argc, char **argv)
{
	struct serve_args a;
	int rc = parse_serve_args(argc, argv, &a);
	if (rc >= 0)
		return rc;
	/* A vanished GDB must not kill us with SIGPIPE before we clean up. */
	signal(SIGPIPE, SIG_IGN);
	struct rsp_transport stdio;
	if (a.stdio && claim_stdio(&stdio) < 0)
		return 1;
	char err[512];
	struct target *target = live_target_start(a.argv, stderr, err, sizeof(err));
	if (!target) {
		xrr_error("%s", err);
		return 1;
	}
	int status = serve_loop(&a, target, &stdio);
	live_target_destroy(target);
	return status;
}
