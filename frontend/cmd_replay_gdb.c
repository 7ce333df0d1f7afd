/* xrr replay under GDB: serve the replay over the remote protocol and,
 * unless told to only serve, launch GDB connected to it (as rr does). */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "frontend/frontend.h"
#include "frontend/replay_cli.h"
#include "frontend/serve_session.h"
#include "replay/install_paths.h"
#include "stub/replay_target.h"

/* The replay can always be reconnected to: it does not run on its own. */
static bool replay_alive(struct target *t)
{
	return true;
}

static int replay_exit_code(struct target *t)
{
	int status = replay_target_exit_status(t);
	return status < 0 ? 0 : xrr_shell_status(status);
}

/* GDB runs as our child; we serve it until it disconnects.  GDB gets the
 * terminal; ^C goes to both of us, and only GDB should act on it. */
static pid_t launch_gdb(const struct replay_cli *cli, int port)
{
	char target_cmd[64];
	snprintf(target_cmd, sizeof(target_cmd),
		 "target extended-remote 127.0.0.1:%d", port);
	const char *gdb = cli->gdb ? cli->gdb : getenv("XRR_GDB");
	if (!gdb)
		gdb = "gdb";
	/* GDB's commands for xrr (xrr-diversion, xrr-implant, ...),
	 * sourced before it connects. */
	char helper[4096], err[4096 + 200];
	bool have_helper = install_find_data_file("xrr-gdb.py",
						  "XRR_GDB_SCRIPT",
						  "GDB helper", helper,
						  sizeof(helper), err,
						  sizeof(err)) == 0;
	if (!have_helper)
		fprintf(stderr, "xrr: warning: %s; GDB starts without the "
			"xrr-* commands\n", err);
	pid_t pid = fork();
	if (pid == 0) {
		/* GDB loads the executable and libraries the program ran from
		 * the trace, through the stub (sysroot "target:"). */
		if (have_helper)
			execlp(gdb, gdb, "-q", "-iex", "set sysroot target:",
			       "-ix", helper, "-ex", target_cmd, (char *)NULL);
		else
			execlp(gdb, gdb, "-q", "-iex", "set sysroot target:",
			       "-ex", target_cmd, (char *)NULL);
		fprintf(stderr, "xrr: cannot run %s: %s\n", gdb, strerror(errno));
		_exit(127);
	}
	return pid;
}

struct goto_work {
	struct target *target;
	uint64_t event;
	char err[1024];
};

static int goto_event(void *ctx)
{
	struct goto_work *w = ctx;
	return replay_target_goto(w->target, w->event, w->err, sizeof(w->err));
}

int cmd_replay_gdb(struct replay_cli *cli)
{
	/* Extended-remote, so GDB's `run` restarts the replay. */
	struct serve_where where = { .host = "127.0.0.1", .extended = true };
	static char host[256];
	bool launch = !cli->port && !cli->stdio;
	if (cli->stdio) {
		where.stdio = true;
	} else if (cli->port) {
		if (serve_parse_host_port(cli->port, host, sizeof(host),
					  &where.port) < 0) {
			xrr_error("replay: -s wants [HOST:]PORT, got '%s'", cli->port);
			return 2;
		}
		if (host[0])
			where.host = host;
	} else {
		where.once = true;   /* our own GDB: one connection */
	}
	where.verbose = getenv("XRR_TRACE_PACKETS") != NULL;

	struct serve_session session;
	if (serve_session_open(&session, &where, replay_alive) < 0)
		return 1;
	struct replay_options opts = {
		.echo_output = !cli->quiet,
		/* In stdio mode stdout is the protocol channel. */
		.echo_stdout = cli->stdio ? stderr : NULL,
		.target_pid = cli->target_pid,
		.from_fork = cli->from_fork,
	};
	char err[1024];
	struct target *target = replay_target_open(cli->trace_dir, &opts, err,
						   sizeof(err));
	if (!target) {
		xrr_error("replay: %s", err);
		serve_session_close(&session);
		return 1;
	}
	/* A debugger already connected (stdio) or connecting meanwhile is
	 * kept waiting, however long the replay to the event takes. */
	static struct goto_work work;
	work.target = target;
	work.event = cli->goto_event;
	if (cli->have_goto &&
	    serve_session_prepare(&session, goto_event, &work) < 0) {
		xrr_error("replay: -g %llu: %s",
			  (unsigned long long)cli->goto_event, work.err);
		replay_target_close(target);
		serve_session_close(&session);
		return 1;
	}
	pid_t gdb = -1;
	if (launch) {
		signal(SIGINT, SIG_IGN);
		gdb = launch_gdb(cli, session.listener.port);
	}
	int status = serve_session_run(&session, target);
	if (gdb > 0) {
		int ws;
		while (waitpid(gdb, &ws, 0) < 0 && errno == EINTR)
			;
	}
	if (status == 0)
		status = replay_exit_code(target);
	replay_target_close(target);
	serve_session_close(&session);
	return status;
}
