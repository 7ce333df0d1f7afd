/* The console's commands.  Replay commands map onto the replay target's
 * monitor commands (qRcmd), whose answers are text; a command failed when
 * its answer lacks the success pattern in the table below, so scripts
 * stop at the first failure. */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "frontend/console.h"
#include "frontend/console_cmds.h"
#include "frontend/frontend.h"

#define MAX_ARGS 16

/* ---- monitor commands and their success patterns ------------------------ */

static const struct {
	const char *command;    /* first words of the monitor command */
	const char *ok;         /* extended regex its success prints */
} monitor_success[] = {
	{ "when", "^Current event: [0-9]+" },
	{ "goto", "now at event|the recording ends at event" },
	{ "diversion start", "diversion started|^diversion: active" },
	{ "diversion end", "diversion ended" },
	{ "diversion status", "^diversion: " },
	{ "implant load", "^xrr: implant .* loaded at " },
	{ "implant call", "^[^ ]+ = 0x[0-9a-f]+ " },
	{ "checksum", "^[0-9a-f]{16}  [0-9]+ bytes" },
	{ "backtrace", "^#0 " },
	{ "checkpoints", "." },
	{ "checkpoint", "^(Checkpoint|xrr: checkpoint|[0-9])" },
	{ "restart", "back at checkpoint" },
};

static bool starts_with_words(const char *cmd, const char *words)
{
	size_t n = strlen(words);
	return strncmp(cmd, words, n) == 0 && (!cmd[n] || cmd[n] == ' ');
}

static bool matches(const char *text, const char *pattern)
{
	regex_t re;
	if (regcomp(&re, pattern, REG_EXTENDED | REG_NEWLINE | REG_NOSUB) != 0)
		return false;
	bool m = regexec(&re, text, 0, NULL, 0) == 0;
	regfree(&re);
	return m;
}

/* The replay target tells GDB to flush its register cache after moves;
 * the console keeps no cache, so the hint is noise here. */
static void strip_flush_hint(struct rsp_buf *text)
{
	static const char *const hints[] = {
		" (run 'maint flush register-cache' so GDB rereads registers)",
		"(run 'maint flush register-cache' so GDB rereads registers)\n",
	};
	for (size_t h = 0; h < sizeof(hints) / sizeof(hints[0]); h++) {
		char *p;
		size_t n = strlen(hints[h]);
		while ((p = strstr(text->data, hints[h]))) {
			memmove(p, p + n, strlen(p + n) + 1);
			text->len -= n;
		}
	}
}

/* Run a monitor command, print its answer, judge it. */
static int monitor_run(struct console *con, const char *command)
{
	struct rsp_buf text;
	rsp_buf_init(&text);
	int rc = console_monitor(con, command, &text);
	if (rc == 1) {
		xrr_error("console: the server has no monitor commands");
		rc = -1;
	}
	if (rc == 0) {
		strip_flush_hint(&text);
		fputs(text.data ? text.data : "", stdout);
		if (text.len && text.data[text.len - 1] != '\n')
			putchar('\n');
		if (strstr(text.data ? text.data : "", "unknown monitor command"))
			rc = -1;
		for (size_t i = 0; rc == 0 && i < sizeof(monitor_success) /
		     sizeof(monitor_success[0]); i++) {
			if (!starts_with_words(command, monitor_success[i].command))
				continue;
			if (!matches(text.data ? text.data : "",
				     monitor_success[i].ok))
				rc = -1;
			break;
		}
	}
	rsp_buf_free(&text);
	return rc;
}

/* The words of argv from `from` on, joined by spaces, after `prefix`. */
static void join(char *out, size_t len, const char *prefix, int argc,
		 char **argv, int from)
{
	size_t n = (size_t)snprintf(out, len, "%s", prefix);
	for (int i = from; i < argc && n < len; i++)
		n += (size_t)snprintf(out + n, len - n, " %s", argv[i]);
}

static int usage_error(const char *name);

/* After a monitor command that moved the replay (goto, restart,
 * diversions): learn the thread again.  The server may still answer `?`
 * with the exit it reported last, but a successful move means the
 * process is there again. */
static int moved(struct console *con, int rc)
{
	int64_t tid = con->tid;
	if (console_refresh_stop(con) < 0)
		return -1;
	if (rc == 0 && con->gone) {
		con->gone = false;
		con->tid = tid;
	}
	return rc;
}

/* ---- commands --------------------------------------------------------- */

static int con_when(struct console *con, int argc, char **argv)
{
	(void)argv;
	if (argc != 1)
		return usage_error("when");
	return monitor_run(con, "when");
}

static int con_goto(struct console *con, int argc, char **argv)
{
	char *end, command[64];
	if (argc != 2)
		return usage_error("goto");
	errno = 0;
	unsigned long long event = strtoull(argv[1], &end, 0);
	if (errno || end == argv[1] || *end || argv[1][0] == '-') {
		xrr_error("console: goto: '%s' is not an event number", argv[1]);
		return -1;
	}
	snprintf(command, sizeof(command), "goto %llu", event);
	if (con->gone && console_rerun(con) < 0)
		return -1;
	return moved(con, monitor_run(con, command));
}

static int con_continue(struct console *con, int argc, char **argv)
{
	(void)argv;
	if (argc != 1)
		return usage_error("continue");
	return console_resume(con, "vCont;c");
}

static int con_step(struct console *con, int argc, char **argv)
{
	char packet[48];
	char *end;
	unsigned long count = 1;
	if (argc > 2)
		return usage_error("step");
	if (argc == 2) {
		count = strtoul(argv[1], &end, 0);
		if (*end || !count || count > 100000) {
			xrr_error("console: step: '%s' is not a count (1-100000)",
				  argv[1]);
			return -1;
		}
	}
	for (unsigned long i = 0; i < count; i++) {
		if (con->tid > 0)
			snprintf(packet, sizeof(packet), "vCont;s:%llx",
				 (long long)con->tid);
		else
			snprintf(packet, sizeof(packet), "vCont;s");
		if (console_resume(con, packet) < 0)
			return -1;
	}
	return 0;
}

static int con_run(struct console *con, int argc, char **argv)
{
	(void)argv;
	if (argc != 1)
		return usage_error("run");
	if (console_rerun(con) < 0)
		return -1;
	long long event = console_current_event(con, NULL);
	printf("started again%s", event >= 0 ? "" : "\n");
	if (event >= 0)
		printf(" at event %lld\n", event);
	return 0;
}

static int con_reverse_continue(struct console *con, int argc, char **argv)
{
	(void)argv;
	if (argc != 1)
		return usage_error("reverse-continue");
	return console_resume(con, "bc");
}

static int con_reverse_step(struct console *con, int argc, char **argv)
{
	(void)argv;
	if (argc != 1)
		return usage_error("reverse-step");
	return console_resume(con, "bs");
}

static int con_break(struct console *con, int argc, char **argv)
{
	uint64_t addr;
	char packet[64], where[300];
	struct rsp_buf reply;

	if (argc != 2)
		return usage_error("break");
	if (console_parse_addr(con, argv[1], &addr) < 0)
		return -1;
	if (con->nbps == CONSOLE_MAX_BPS) {
		xrr_error("console: %d breakpoints already (delete some)",
			  CONSOLE_MAX_BPS);
		return -1;
	}
	snprintf(packet, sizeof(packet), "Z0,%" PRIx64 ",1", addr);
	rsp_buf_init(&reply);
	int rc = rsp_client_request(&con->conn, packet, &reply, NULL);
	if (rc < 0)
		console_lost(con);
	else if (strcmp(reply.data, "OK") != 0) {
		xrr_error("console: break %s: the server refused a breakpoint "
			  "at 0x%" PRIx64 " (%s)", argv[1], addr,
			  reply.len ? reply.data : "unsupported");
		rc = -1;
	}
	rsp_buf_free(&reply);
	if (rc < 0)
		return -1;
	struct console_bp *bp = &con->bps[con->nbps++];
	bp->number = con->next_bp++;
	bp->addr = addr;
	printf("breakpoint %d at 0x%" PRIx64 " (%s)\n", bp->number, addr,
	       console_describe_addr(con, addr, where, sizeof(where)));
	return 0;
}

static int remove_bp(struct console *con, size_t i)
{
	char packet[64];
	struct rsp_buf reply;
	snprintf(packet, sizeof(packet), "z0,%" PRIx64 ",1", con->bps[i].addr);
	rsp_buf_init(&reply);
	int rc = rsp_client_request(&con->conn, packet, &reply, NULL);
	if (rc < 0)
		console_lost(con);
	rsp_buf_free(&reply);
	con->bps[i] = con->bps[--con->nbps];
	return rc;
}

static int con_delete(struct console *con, int argc, char **argv)
{
	if (argc == 1) {
		while (con->nbps)
			if (remove_bp(con, 0) < 0)
				return -1;
		return 0;
	}
	for (int a = 1; a < argc; a++) {
		char *end;
		long n = strtol(argv[a], &end, 10);
		size_t i = 0;
		while (i < con->nbps && con->bps[i].number != n)
			i++;
		if (*end || i == con->nbps) {
			xrr_error("console: delete: no breakpoint '%s'", argv[a]);
			return -1;
		}
		if (remove_bp(con, i) < 0)
			return -1;
	}
	return 0;
}

/* What `regs` alone shows: the general registers, then xcr0. */
static const char *const general_regs[] = {
	"rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "rsp",
	"r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15",
	"rip", "eflags", "cs", "ss", "ds", "es", "fs", "gs",
	"fs_base", "gs_base", "xcr0",
};

static int con_regs(struct console *con, int argc, char **argv)
{
	if (argc == 1) {
		for (size_t i = 0; i < sizeof(general_regs) / sizeof(general_regs[0]); i++)
			if (tdesc_xml_find(&con->regs, general_regs[i]) &&
			    console_print_reg(con, general_regs[i]) < 0)
				return -1;
		return 0;
	}
	for (int i = 1; i < argc; i++) {
		const char *name = argv[i][0] == '$' ? argv[i] + 1 : argv[i];
		if (console_print_reg(con, name) < 0)
			return -1;
	}
	return 0;
}

#define MAX_EXAMINE (1u << 20)

static void hexdump(uint64_t addr, const uint8_t *b, size_t n)
{
	for (size_t off = 0; off < n; off += 16) {
		size_t row = n - off < 16 ? n - off : 16;
		printf("0x%016" PRIx64 ":", addr + off);
		for (size_t i = 0; i < 16; i++) {
			if (i < row)
				printf(" %02x", b[off + i]);
			else
				fputs("   ", stdout);
		}
		fputs("  ", stdout);
		for (size_t i = 0; i < row; i++) {
			uint8_t c = b[off + i];
			putchar(c >= 0x20 && c < 0x7f ? c : '.');
		}
		putchar('\n');
	}
}

static int con_examine(struct console *con, int argc, char **argv)
{
	uint64_t addr;
	char *end;
	if (argc != 3)
		return usage_error("x");
	if (console_parse_addr(con, argv[1], &addr) < 0)
		return -1;
	errno = 0;
	unsigned long long len = strtoull(argv[2], &end, 0);
	if (errno || *end || !len || len > MAX_EXAMINE) {
		xrr_error("console: x: LEN '%s' must be 1 to %u bytes", argv[2],
			  MAX_EXAMINE);
		return -1;
	}
	uint8_t *b = malloc(len);
	if (!b)
		return -1;
	long got = rsp_client_read_memory(&con->conn, addr, b, len);
	int rc = -1;
	if (got < 0)
		console_lost(con);
	else if (got == 0)
		xrr_error("console: x: cannot read memory at 0x%" PRIx64, addr);
	else {
		hexdump(addr, b, (size_t)got);
		if ((unsigned long long)got < len)
			xrr_error("console: x: memory ends at 0x%" PRIx64
				  " (%ld of %llu bytes read)", addr + got, got, len);
		else
			rc = 0;
	}
	free(b);
	return rc;
}

static int con_bt(struct console *con, int argc, char **argv)
{
	(void)argv;
	struct rsp_buf text;
	uint64_t pc;
	char where[300];
	if (argc != 1)
		return usage_error("bt");
	rsp_buf_init(&text);
	int rc = console_monitor(con, "backtrace", &text);
	bool have = rc == 0 && text.data &&
		    !strstr(text.data, "unknown monitor command");
	if (rc < 0) {
		rsp_buf_free(&text);
		return -1;
	}
	if (have) {
		fputs(text.data, stdout);
		rsp_buf_free(&text);
		return 0;
	}
	rsp_buf_free(&text);
	fprintf(stderr, "xrr: console: this server has no backtrace support "
		"(monitor backtrace); showing the current frame only\n");
	if (console_read_pc(con, &pc) < 0)
		return -1;
	char src[256];
	console_source_at(con, pc, NULL, src, sizeof(src));
	printf("#0  0x%016" PRIx64 " in %s%s%s%s\n", pc,
	       console_describe_addr(con, pc, where, sizeof(where)),
	       src[0] ? " (" : "", src, src[0] ? ")" : "");
	return 0;
}

static int con_checksum(struct console *con, int argc, char **argv)
{
	char command[1024];
	size_t n;
	if (argc == 2 && strcmp(argv[1], "--writable") == 0)
		return monitor_run(con, "checksum --writable");
	if (argc < 3 || argc % 2 == 0)
		return usage_error("checksum");
	n = (size_t)snprintf(command, sizeof(command), "checksum");
	for (int i = 1; i + 1 < argc; i += 2) {
		uint64_t addr;
		char *end;
		errno = 0;
		unsigned long long len = strtoull(argv[i + 1], &end, 0);
		if (console_parse_addr(con, argv[i], &addr) < 0)
			return -1;
		if (errno || *end || argv[i + 1][0] == '-') {
			xrr_error("console: checksum: LEN '%s' is not a number",
				  argv[i + 1]);
			return -1;
		}
		n += (size_t)snprintf(command + n, sizeof(command) - n,
				      " 0x%" PRIx64 " %llu", addr, len);
		if (n >= sizeof(command)) {
			xrr_error("console: checksum: too many ranges");
			return -1;
		}
	}
	return monitor_run(con, command);
}

static int con_diversion(struct console *con, int argc, char **argv)
{
	char command[64];
	if (argc != 2 || (strcmp(argv[1], "start") && strcmp(argv[1], "end") &&
			  strcmp(argv[1], "status")))
		return usage_error("diversion");
	snprintf(command, sizeof(command), "diversion %s", argv[1]);
	int rc = monitor_run(con, command);
	return strcmp(argv[1], "status") ? moved(con, rc) : rc;
}

static int con_implant(struct console *con, int argc, char **argv)
{
	char command[PATH_MAX + 32], path[PATH_MAX];
	if (argc < 3 || (strcmp(argv[1], "load") && strcmp(argv[1], "call")))
		return usage_error("implant");
	if (strcmp(argv[1], "load") == 0) {
		if (argc != 3)
			return usage_error("implant");
		/* The server opens the file: give it an absolute name when
		 * the file is here (our own server shares our filesystem). */
		const char *file = realpath(argv[2], path) ? path : argv[2];
		snprintf(command, sizeof(command), "implant load %s", file);
		return monitor_run(con, command);
	}
	join(command, sizeof(command), "implant call", argc, argv, 2);
	return monitor_run(con, command);
}

/* An implant call needs a diversion: starting one silently here would
 * change where later commands run, so say what to do instead. */
static int con_call(struct console *con, int argc, char **argv)
{
	struct rsp_buf text;
	char command[1024];
	if (argc < 2)
		return usage_error("call");
	rsp_buf_init(&text);
	int rc = console_monitor(con, "diversion status", &text);
	bool active = rc == 0 && text.data && strstr(text.data, "diversion: active");
	rsp_buf_free(&text);
	if (rc < 0)
		return -1;
	if (!active) {
		xrr_error("console: call %s: calls run in a diversion with an "
			  "implant loaded: 'diversion start', then 'implant "
			  "load FILE'", argv[1]);
		return -1;
	}
	join(command, sizeof(command), "implant call", argc, argv, 1);
	return monitor_run(con, command);
}

static int con_checkpoint(struct console *con, int argc, char **argv)
{
	char command[256];
	join(command, sizeof(command), argv[0], argc, argv, 1);
	return monitor_run(con, command);
}

static int con_restart(struct console *con, int argc, char **argv)
{
	char command[256];
	if (argc != 2)
		return usage_error("restart");
	join(command, sizeof(command), "restart", argc, argv, 1);
	if (con->gone && console_rerun(con) < 0)
		return -1;
	return moved(con, monitor_run(con, command));
}

static int con_monitor(struct console *con, int argc, char **argv)
{
	char command[1024];
	if (argc < 2)
		return usage_error("monitor");
	join(command, sizeof(command), argv[1], argc, argv, 2);
	return monitor_run(con, command);
}

static int con_set(struct console *con, int argc, char **argv)
{
	if (argc != 3 || strcmp(argv[1], "keep-going") ||
	    (strcmp(argv[2], "on") && strcmp(argv[2], "off")))
		return usage_error("set");
	con->keep_going = strcmp(argv[2], "on") == 0;
	return 0;
}

static int con_help(struct console *con, int argc, char **argv);

static int con_quit(struct console *con, int argc, char **argv)
{
	(void)con, (void)argc, (void)argv;
	return 1;
}

const struct console_command console_commands[] = {
	{ "when", NULL, "when", "the current event (and where, if the "
	  "server knows)", con_when, COMPLETE_NONE, NULL },
	{ "goto", NULL, "goto EVENT", "replay to EVENT (backwards from a "
	  "checkpoint)", con_goto, COMPLETE_EVENT, NULL },
	{ "continue", "c", "continue", "run to the next breakpoint or the "
	  "end (^C interrupts)", con_continue, COMPLETE_NONE, NULL },
	{ "step", "s", "step [N]", "execute N instructions (default 1)",
	  con_step, COMPLETE_NONE, NULL },
	{ "run", NULL, "run", "start the replay over from the beginning "
	  "(breakpoints stay)", con_run, COMPLETE_NONE, NULL },
	{ "reverse-continue", "rc", "reverse-continue", "run backwards to the "
	  "previous breakpoint or the start", con_reverse_continue,
	  COMPLETE_NONE, NULL },
	{ "reverse-step", "rs", "reverse-step", "one instruction backwards",
	  con_reverse_step, COMPLETE_NONE, NULL },
	{ "break", "b", "break SYMBOL|ADDR", "stop when execution reaches it",
	  con_break, COMPLETE_SYMBOL, NULL },
	{ "delete", NULL, "delete [N...]", "delete breakpoints (all without "
	  "N)", con_delete, COMPLETE_NONE, NULL },
	{ "regs", NULL, "regs [NAME...]", "registers (the general ones without "
	  "NAME; xcr0, xmmN, ymmN, zmmN, kN...)", con_regs, COMPLETE_REGISTER,
	  NULL },
	{ "x", NULL, "x ADDR LEN", "LEN bytes of memory at ADDR, in hex and "
	  "ASCII", con_examine, COMPLETE_SYMBOL, NULL },
	{ "bt", "backtrace", "bt", "the call stack (from the server's monitor "
	  "backtrace)", con_bt, COMPLETE_NONE, NULL },
	{ "checksum", NULL, "checksum ADDR LEN [ADDR LEN...]|--writable",
	  "XXH3-64 of memory, computed in a diversion", con_checksum,
	  COMPLETE_SYMBOL, NULL },
	{ "diversion", NULL, "diversion start|end|status", "run a copy of the "
	  "replayed process for real", con_diversion, COMPLETE_WORDS,
	  "start end status" },
	{ "implant", NULL, "implant load FILE | implant call SYMBOL [ARGS...]",
	  "load an implant into the diversion, or call one of its functions",
	  con_implant, COMPLETE_FILE, NULL },
	{ "call", NULL, "call SYMBOL [ARGS...]", "call an implant function "
	  "(up to 6 integer arguments) in the diversion", con_call,
	  COMPLETE_NONE, NULL },
	{ "checkpoint", NULL, "checkpoint [NAME]", "remember this moment of the "
	  "replay", con_checkpoint, COMPLETE_NONE, NULL },
	{ "checkpoints", NULL, "checkpoints", "list the checkpoints",
	  con_checkpoint, COMPLETE_NONE, NULL },
	{ "restart", NULL, "restart N|NAME", "go to a checkpoint", con_restart,
	  COMPLETE_NONE, NULL },
	{ "monitor", NULL, "monitor TEXT", "send any monitor command to the "
	  "server", con_monitor, COMPLETE_NONE, NULL },
	{ "set", NULL, "set keep-going on|off", "scripts: go on after a failed "
	  "command (default off: stop with status 1)", con_set, COMPLETE_WORDS,
	  "keep-going" },
	{ "help", NULL, "help [COMMAND]", "this list, or one command's usage",
	  con_help, COMPLETE_COMMAND, NULL },
	{ "quit", "q", "quit", "leave (the server keeps running when it is "
	  "not ours)", con_quit, COMPLETE_NONE, NULL },
	{ NULL, NULL, NULL, NULL, NULL, COMPLETE_NONE, NULL },
};

static const struct console_command *find_command(const char *name)
{
	for (const struct console_command *c = console_commands; c->name; c++)
		if (strcmp(c->name, name) == 0 ||
		    (c->alias && strcmp(c->alias, name) == 0))
			return c;
	return NULL;
}

static int usage_error(const char *name)
{
	const struct console_command *c = find_command(name);
	xrr_error("console: usage: %s", c ? c->usage : name);
	return -1;
}

static int con_help(struct console *con, int argc, char **argv)
{
	(void)con;
	if (argc > 1) {
		const struct console_command *c = find_command(argv[1]);
		if (!c) {
			xrr_error("console: help: no command '%s'", argv[1]);
			return -1;
		}
		printf("%s\n    %s%s%s\n", c->usage, c->help,
		       c->alias ? "; short form: " : "", c->alias ? c->alias : "");
		return 0;
	}
	for (const struct console_command *c = console_commands; c->name; c++)
		printf("  %-44s %s\n", c->usage, c->help);
	printf("Addresses are numbers, symbols or $REGISTER, with +/-OFFSET.\n"
	       "Scripts (stdin not a terminal) stop at the first failed "
	       "command\nwith status 1, unless 'set keep-going on'.\n");
	return 0;
}

const char *console_register_name(const struct console *con, size_t i)
{
	static char pseudo[16];
	if (i < con->regs.nregs)
		return con->regs.regs[i].name;
	i -= con->regs.nregs;
	if (i >= 64)
		return NULL;
	/* ymm0..31, zmm0..31, when their pieces exist. */
	snprintf(pseudo, sizeof(pseudo), "%s%zu", i < 32 ? "ymm" : "zmm", i % 32);
	char piece[16];
	snprintf(piece, sizeof(piece), "%s%zuh", i < 32 ? "ymm" : "zmm", i % 32);
	return tdesc_xml_find(&con->regs, piece) ? pseudo : "";
}

int console_run_line(struct console *con, const char *line)
{
	char buf[4096], *argv[MAX_ARGS + 1], *save = NULL;
	int argc = 0;

	snprintf(buf, sizeof(buf), "%s", line);
	for (char *w = strtok_r(buf, " \t\r\n", &save); w;
	     w = strtok_r(NULL, " \t\r\n", &save)) {
		if (argc == MAX_ARGS) {
			xrr_error("console: more than %d words", MAX_ARGS);
			return -1;
		}
		argv[argc++] = w;
	}
	argv[argc] = NULL;
	if (argc == 0 || argv[0][0] == '#')
		return 0;
	const struct console_command *c = find_command(argv[0]);
	if (!c) {
		xrr_error("console: unknown command '%s' (help lists them)",
			  argv[0]);
		return -1;
	}
	int rc = c->run(con, argc, argv);
	fflush(stdout);
	return rc;
}
