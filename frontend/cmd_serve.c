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
#include "frontend/serve_session.h"

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
	"LLDB connects with: lldb -o 'gdb-remote 127.0.0.1:N'\n"
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

static int parse_listen(const char *text, struct serve_args *a)
{
	static char host[256];
	if (serve_parse_host_port(text, host, sizeof(host), &a->port) < 0 ||
	    !strchr(text, ':')) {
		xrr_error("--listen wants HOST:PORT, got '%s'", text);
		return -1;
	}
	a->host = host[0] ? host : "127.0.0.1";
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
			if (parse_listen(optarg, a) < 0)
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

static bool program_alive(struct target *t)
{
	return live_target_alive(t);
}

int cmd_serve(int argc, char **argv)
{
	struct serve_args a;
	int rc = parse_serve_args(argc, argv, &a);
	if (rc >= 0)
		return rc;
	/* A vanished GDB must not kill us with SIGPIPE before we clean up. */
	signal(SIGPIPE, SIG_IGN);
	struct serve_where where = {
		.host = a.host, .port = a.port, .unix_path = a.unix_path,
		.stdio = a.stdio, .once = a.once, .verbose = a.verbose,
	};
	struct serve_session session;
	if (serve_session_open(&session, &where, program_alive) < 0)
		return 1;
	char err[512];
	struct target *target = live_target_start(a.argv, stderr, err, sizeof(err));
	if (!target) {
		xrr_error("%s", err);
		serve_session_close(&session);
		return 1;
	}
	int status = serve_session_run(&session, target);
	if (live_target_alive(target))
		fprintf(stderr, "xrr: GDB is gone; killing the program\n");
	serve_session_close(&session);
	live_target_destroy(target);
	return status;
}
