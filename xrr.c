/* xrr: record-and-replay debugger for x86-64 Linux. */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "frontend/frontend.h"
#include "replay/trace.h"

const struct subcommand xrr_subcommands[] = {
	{ "record", "record a program into a trace directory", cmd_record },
	{ "replay", "replay a trace under GDB (or to the end with -a)", cmd_replay },
	{ "serve", "debug a live program with GDB (like gdbserver)", cmd_serve },
	{ "info", "describe a trace: header, machine, XCR0, completeness", cmd_info },
	{ "dump", "list a trace's events", cmd_dump },
	{ "ps", "list the processes and threads a trace recorded", cmd_ps },
	{ "ls", "list the traces in the trace directory", cmd_ls },
	{ "check", "can this host replay a trace? (XCR0, XSAVE layout, ISA controls)", cmd_check },
	{ "checksum", "XXH3-64 of replayed memory at events, computed in a diversion", cmd_checksum },
	{ "console", "an interactive replay frontend (readline, scripts; speaks RSP)", cmd_console },
	{ "pack", "make a trace travel: one archive (-o FILE), or self-contained in place", cmd_pack },
	{ "unpack", "restore a packed trace archive and check it", cmd_unpack },
	{ NULL, NULL, NULL },
};

void xrr_error(const char *fmt, ...)
{
	va_list ap;
	fputs("xrr: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int xrr_resolve_trace(const char *arg, char *dir, size_t dirlen, char *err,
		      size_t errlen)
{
	char root[4096];

	if (trace_default_root(root, sizeof(root), err, errlen) < 0)
		return -1;
	return trace_resolve(root, arg, dir, dirlen, err, errlen);
}

int xrr_shell_status(int wait_status)
{
	if (WIFSIGNALED(wait_status))
		return 128 + WTERMSIG(wait_status);
	return WEXITSTATUS(wait_status);
}

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: xrr [--help] [--version] COMMAND [ARGS]\n"
		"\n"
		"Record-and-replay debugging for x86-64 Linux, served to GDB.\n"
		"\n"
		"Commands:\n");
	for (const struct subcommand *c = xrr_subcommands; c->name; c++)
		fprintf(out, "  %-10s %s\n", c->name, c->summary);
	fprintf(out,
		"\n"
		"Run 'xrr COMMAND --help' for a command's options.\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	const char *cmd = argv[1];
	if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 ||
	    strcmp(cmd, "help") == 0) {
		usage(stdout);
		return 0;
	}
	if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "-V") == 0) {
		printf("xrr %s\n", PACKAGE_VERSION);
		return 0;
	}
	for (const struct subcommand *c = xrr_subcommands; c->name; c++)
		if (strcmp(c->name, cmd) == 0)
			return c->run(argc - 1, argv + 1);
	xrr_error("unknown command '%s' (run 'xrr --help' for the list)", cmd);
	return 2;
}
