/* xrr replay [-a] [-q] [-s PORT | --stdio] [-g EVENT] [TRACE]
 *
 * -a replays to the end without a debugger and exits with the program's
 * recorded status (a death by signal N as 128+N, like a shell).  A
 * divergence or replay failure prints its message and exits 1. */
#include "config.h"

#include "frontend/check.h"
#include "frontend/frontend.h"
#include "frontend/replay_cli.h"
#include "replay/replayer.h"
#include "replay/trace.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#define REPLAY_FAILED 1

static void usage(FILE *out)
{
	fprintf(out,
		"usage: xrr replay [-a] [-q] [-s [HOST:]PORT | --stdio] "
		"[-g EVENT] [-p PID | -f PID] [--gdb PATH] [TRACE]\n"
		"  -a, --autopilot  replay to the end without a debugger; exit "
		"with the\n"
		"                   program's recorded status (128+N for signal "
		"N),\n"
		"                   1 after a divergence or replay failure\n"
		"  -q, --quiet      do not echo the program's output\n"
		"  -s, --dbgport    serve GDB on PORT instead of launching it\n"
		"                   (LLDB: lldb -o 'gdb-remote HOST:PORT')\n"
		"      --stdio      serve GDB on stdin/stdout\n"
		"  -g, --goto       start debugging at event EVENT (a debugger "
		"that connects\n"
		"                   meanwhile is kept waiting)\n"
		"  -p, --onprocess  debug recorded process PID from its first "
		"exec\n"
		"                   (its fork if it never execs); the others "
		"are replayed\n"
		"                   around it (`xrr ps` lists them)\n"
		"  -f, --onfork     debug recorded process PID from its fork\n"
		"      --gdb PATH   the debugger to launch\n"
		"TRACE defaults to the latest trace.  The launched GDB loads "
		"xrr-gdb.py\n"
		"(xrr-diversion start|end|status, xrr-implant, xrr-checksum; "
		"$XRR_GDB_SCRIPT\n"
		"overrides where it is found).\n");
}

static int parse_event(const char *s, uint64_t *out)
{
	char *end;

	errno = 0;
	unsigned long long v = strtoull(s, &end, 0);
	if (errno || end == s || *end)
		return -1;
	*out = v;
	return 0;
}

/* 0: parsed; 1: --help printed; -1: bad usage (message printed). */
static int parse_replay_cli(int argc, char **argv, struct replay_cli *cli)
{
	enum { OPT_STDIO = 256, OPT_GDB };
	static const struct option longopts[] = {
		{ "autopilot", no_argument, NULL, 'a' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "dbgport", required_argument, NULL, 's' },
		{ "stdio", no_argument, NULL, OPT_STDIO },
		{ "goto", required_argument, NULL, 'g' },
		{ "gdb", required_argument, NULL, OPT_GDB },
		{ "onprocess", required_argument, NULL, 'p' },
		{ "onfork", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	memset(cli, 0, sizeof(*cli));
	optind = 1;
	while ((c = getopt_long(argc, argv, "+aqs:g:p:f:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'a': cli->autopilot = true; break;
		case 'q': cli->quiet = true; break;
		case 's': cli->port = optarg; break;
		case OPT_STDIO: cli->stdio = true; break;
		case OPT_GDB: cli->gdb = optarg; break;
		case 'g':
			if (parse_event(optarg, &cli->goto_event) < 0) {
				xrr_error("replay: -g %s: not an event number",
					  optarg);
				return -1;
			}
			cli->have_goto = true;
			break;
		case 'p': case 'f': {
			uint64_t pid;
			if (parse_event(optarg, &pid) < 0 || !pid ||
			    pid > 0x7fffffff) {
				xrr_error("replay: -%c %s: not a process id "
					  "(`xrr ps` lists the trace's)", c,
					  optarg);
				return -1;
			}
			cli->target_pid = (int)pid;
			cli->from_fork = c == 'f';
			break;
		}
		case 'h':
			usage(stdout);
			return 1;
		default:
			usage(stderr);
			return -1;
		}
	}
	if (argc - optind > 1) {
		xrr_error("replay: one TRACE at most");
		usage(stderr);
		return -1;
	}
	cli->trace = optind < argc ? argv[optind] : NULL;
	if (cli->autopilot && (cli->port || cli->stdio)) {
		xrr_error("replay: -a runs without a debugger; -s and --stdio "
			  "need one");
		return -1;
	}
	return 0;
}

static int resolve_trace(struct replay_cli *cli)
{
	char err[512];

	if (xrr_resolve_trace(cli->trace, cli->trace_dir,
			      sizeof(cli->trace_dir), err, sizeof(err)) < 0) {
		xrr_error("replay: %s", err);
		return -1;
	}
	return 0;
}

static int autopilot(const struct replay_cli *cli)
{
	struct replay_options opts = {
		.echo_output = !cli->quiet,
		.target_pid = cli->target_pid,
		.from_fork = cli->from_fork,
		.whole_tree = true,     /* every process's output, to the end */
	};
	char err[1024];
	struct replay_stop stop;
	struct replayer *r = replayer_open(cli->trace_dir, &opts, err,
					   sizeof(err));

	if (!r) {
		xrr_error("replay: %s", err);
		return REPLAY_FAILED;
	}
	int status = REPLAY_FAILED;
	for (;;) {
		if (replayer_resume(r, false, 0, &stop, -1) < 0) {
			xrr_error("replay: internal error");
			break;
		}
		if (stop.kind == REPLAY_STOP_END) {
			status = xrr_shell_status(stop.exit_status);
			break;
		}
		if (stop.kind == REPLAY_STOP_DIVERGED ||
		    stop.kind == REPLAY_STOP_ERROR) {
			fflush(stdout);
			xrr_error("%s", stop.message);
			break;
		}
		/* Signals and anything else: a debugger would look; we go on. */
	}
	fflush(stdout);
	replayer_close(r);
	return status;
}

int cmd_replay(int argc, char **argv)
{
	struct replay_cli cli;
	int rc = parse_replay_cli(argc, argv, &cli);

	if (rc != 0)
		return rc > 0 ? 0 : 2;
	if (resolve_trace(&cli) < 0)
		return REPLAY_FAILED;
	/* Components this host lacks: refuse with xrr check's report. */
	if (xrr_check_before_replay(cli.trace_dir, stderr))
		return REPLAY_FAILED;
	if (cli.autopilot)
		return autopilot(&cli);
	return cmd_replay_gdb(&cli);
}
