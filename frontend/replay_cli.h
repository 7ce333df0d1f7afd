/* `xrr replay` options, parsed in one place (frontend/cmd_replay.c) so
 * that the GDB modes can be added without touching the parsing. */
#ifndef XRR_FRONTEND_REPLAY_CLI_H
#define XRR_FRONTEND_REPLAY_CLI_H

#include <stdbool.h>
#include <stdint.h>

struct replay_cli {
	bool autopilot;         /* -a: replay to the end, no debugger */
	bool quiet;             /* -q: do not echo the program's output */
	const char *port;       /* -s PORT: serve GDB on PORT ([HOST:]PORT) */
	bool stdio;             /* --stdio: serve GDB on stdin/stdout */
	bool have_goto;         /* -g EVENT: start the debugger at EVENT */
	uint64_t goto_event;
	const char *gdb;        /* --gdb PATH: the debugger to launch */
	int target_pid;         /* -p/-f PID: debug that process, 0: the first */
	bool from_fork;         /* -f: from its fork rather than its exec */
	const char *trace;      /* TRACE, NULL: latest-trace */
	char trace_dir[4096];   /* resolved */
};

/* The GDB modes (everything but -a): frontend/cmd_replay_gdb.c. */
int cmd_replay_gdb(struct replay_cli *cli);

#endif
