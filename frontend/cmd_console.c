/* xrr console [-q] [-k] [TRACE | HOST:PORT]
 *
 * An interactive replay frontend speaking RSP: with TRACE it runs its own
 * `xrr replay --stdio TRACE` over a socketpair, with HOST:PORT it joins a
 * running `xrr replay -s PORT`.  On a terminal it reads lines with
 * readline (history, completion of commands, symbols, registers, event
 * numbers); otherwise it reads a script from stdin, prints only the
 * commands' output, and stops at the first failed command with status 1
 * unless told to keep going (-k or `set keep-going on`). */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <readline/history.h>
#include <readline/readline.h>

#include "frontend/console.h"
#include "frontend/console_cmds.h"
#include "frontend/frontend.h"
#include "frontend/serve_session.h"

#define EXIT_FAILED 1
#define EXIT_USAGE 2
#define HISTORY_LINES 1000

static void usage(FILE *out)
{
	fprintf(out,
		"usage: xrr console [-q] [-k] [TRACE | HOST:PORT]\n"
		"  An interactive replay frontend: when, goto EVENT, continue, "
		"step, break,\n"
		"  regs (xcr0, zmmN...), x ADDR LEN, bt, checksum, diversion, "
		"implant, call.\n"
		"  TRACE        replay it (runs 'xrr replay --stdio TRACE'); "
		"defaults to the\n"
		"               latest trace\n"
		"  HOST:PORT    connect to a running 'xrr replay -s PORT'\n"
		"  -q, --quiet  do not echo the replayed program's output "
		"(on stderr)\n"
		"  -k, --keep-going\n"
		"               scripts: run every command even after one "
		"failed\n"
		"On a terminal: readline with history in $XRR_CONSOLE_HISTORY "
		"(default\n"
		"~/.xrr_console_history) and tab completion.  Otherwise commands "
		"come from\n"
		"stdin (xrr console TRACE < script), only their output is "
		"printed, and the\n"
		"first failed command ends the script with status 1 (unless -k "
		"or\n"
		"'set keep-going on').  'help' lists the commands.\n");
}

/* ---- completion ----------------------------------------------------------- */

static struct console *completing;
static char **candidates;
static size_t ncandidates, candidates_cap;

static void clear_candidates(void)
{
	for (size_t i = 0; i < ncandidates; i++)
		free(candidates[i]);
	ncandidates = 0;
}

static void add_candidate(const char *word)
{
	if (!word || !*word)
		return;
	if (ncandidates == candidates_cap) {
		size_t cap = candidates_cap ? 2 * candidates_cap : 256;
		char **p = realloc(candidates, cap * sizeof(*p));
		if (!p)
			return;
		candidates = p;
		candidates_cap = cap;
	}
	char *copy = strdup(word);
	if (copy)
		candidates[ncandidates++] = copy;
}

static char *candidate_generator(const char *text, int state)
{
	static size_t next;
	size_t len = strlen(text);
	if (state == 0)
		next = 0;
	while (next < ncandidates) {
		const char *c = candidates[next++];
		if (strncmp(c, text, len) == 0)
			return strdup(c);
	}
	return NULL;
}

/* Events worth going to: the current one and the checkpoints'. */
static void add_events(struct console *con)
{
	struct rsp_buf text;
	char num[32];
	long long now = console_current_event(con, NULL);
	if (now >= 0) {
		snprintf(num, sizeof(num), "%lld", now);
		add_candidate(num);
	}
	rsp_buf_init(&text);
	if (console_monitor(con, "checkpoints", &text) == 0 && text.data) {
		for (const char *p = text.data; (p = strstr(p, "event "));) {
			p += 6;
			long long ev = strtoll(p, NULL, 10);
			snprintf(num, sizeof(num), "%lld", ev);
			add_candidate(num);
		}
	}
	rsp_buf_free(&text);
}

static void add_words(const char *words)
{
	char buf[256], *save = NULL;
	snprintf(buf, sizeof(buf), "%s", words);
	for (char *w = strtok_r(buf, " ", &save); w; w = strtok_r(NULL, " ", &save))
		add_candidate(w);
}

/* Which word of the line `start` begins, and the first two words. */
static int word_index(int start, char *first, char *second, size_t len)
{
	int index = 0;
	const char *p = rl_line_buffer;
	first[0] = second[0] = 0;
	while (p - rl_line_buffer < start) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (p - rl_line_buffer >= start)
			break;
		size_t n = strcspn(p, " \t");
		if (index == 0)
			snprintf(first, len, "%.*s", (int)n, p);
		else if (index == 1)
			snprintf(second, len, "%.*s", (int)n, p);
		p += n;
		index++;
	}
	return index;
}

static const struct console_command *command_named(const char *name)
{
	for (const struct console_command *c = console_commands; c->name; c++)
		if (strcmp(c->name, name) == 0 ||
		    (c->alias && strcmp(c->alias, name) == 0))
			return c;
	return NULL;
}

static char **complete(const char *text, int start, int end)
{
	char first[64], second[64];
	struct console *con = completing;
	(void)end;

	rl_attempted_completion_over = 1;   /* no file names unless asked */
	clear_candidates();
	int index = word_index(start, first, second, sizeof(first));
	const struct console_command *c = index ? command_named(first) : NULL;
	if (index == 0 || (c && c->complete == COMPLETE_COMMAND)) {
		for (c = console_commands; c->name; c++)
			add_candidate(c->name);
	} else if (!c) {
		return NULL;
	} else if (c->complete == COMPLETE_SYMBOL) {
		for (size_t i = 0; i < con->nsyms; i++)
			add_candidate(con->syms[i].name);
	} else if (c->complete == COMPLETE_EVENT) {
		add_events(con);
	} else if (c->complete == COMPLETE_REGISTER) {
		const char *name;
		for (size_t i = 0; (name = console_register_name(con, i)); i++)
			add_candidate(name);
	} else if (c->complete == COMPLETE_WORDS && index == 1) {
		add_words(c->words);
	} else if (c->complete == COMPLETE_FILE) {
		/* implant load FILE | implant call SYMBOL */
		if (index == 1) {
			add_words("load call");
		} else if (index == 2 && strcmp(second, "load") == 0) {
			rl_attempted_completion_over = 0;
			return NULL;
		}
	}
	return rl_completion_matches(text, candidate_generator);
}

/* ---- reading lines ---------------------------------------------------------- */

static void history_path(char *out, size_t len)
{
	const char *env = getenv("XRR_CONSOLE_HISTORY");
	const char *home = getenv("HOME");
	if (env)
		snprintf(out, len, "%s", env);
	else if (home)
		snprintf(out, len, "%s/.xrr_console_history", home);
	else
		out[0] = 0;
}

/* A line, malloc'd, or NULL at the end of input. */
static char *read_line(bool interactive)
{
	if (interactive)
		return readline("(xrr) ");
	size_t cap = 0;
	char *line = NULL;
	ssize_t n = getline(&line, &cap, stdin);
	if (n < 0) {
		free(line);
		return NULL;
	}
	if (n > 0 && line[n - 1] == '\n')
		line[n - 1] = 0;
	return line;
}

static int console_loop(struct console *con)
{
	char hist[4096];
	bool failed = false;
	int status = 0;

	if (con->interactive) {
		completing = con;
		rl_readline_name = "xrr-console";
		rl_attempted_completion_function = complete;
		rl_completer_word_break_characters = " \t";
		history_path(hist, sizeof(hist));
		stifle_history(HISTORY_LINES);
		if (hist[0])
			read_history(hist);
	}
	for (;;) {
		char *line = read_line(con->interactive);
		if (!line)
			break;
		size_t len = strlen(line);   /* completion leaves a space */
		while (len && (line[len - 1] == ' ' || line[len - 1] == '\t'))
			line[--len] = 0;
		if (con->interactive && line[strspn(line, " \t")])
			add_history(line);
		int rc = console_run_line(con, line);
		free(line);
		if (rc == 1)
			break;
		if (rc < 0) {
			failed = true;
			if (con->broken || (!con->interactive && !con->keep_going))
				break;
		}
	}
	if (con->interactive) {
		if (hist[0] && write_history(hist) != 0)
			fprintf(stderr, "xrr: console: cannot write the history "
				"to %s\n", hist);
		clear_candidates();
		free(candidates);
		candidates = NULL;
		candidates_cap = 0;
		rl_clear_history();
	}
	if (failed)
		status = EXIT_FAILED;
	return status;
}

/* ---- arguments ----------------------------------------------------------- */

/* HOST:PORT (or [V6]:PORT) that is not a trace's name. */
static bool looks_like_address(const char *arg, char *host, size_t hostlen,
			       int *port)
{
	struct stat st;
	const char *colon = strrchr(arg, ':');
	if (!colon || !colon[1] || strspn(colon + 1, "0123456789") !=
	    strlen(colon + 1) || stat(arg, &st) == 0)
		return false;
	if (serve_parse_host_port(arg, host, hostlen, port) < 0)
		return false;
	if (!host[0])
		snprintf(host, hostlen, "127.0.0.1");
	return true;
}

int cmd_console(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "quiet", no_argument, NULL, 'q' },
		{ "keep-going", no_argument, NULL, 'k' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	bool quiet = false, keep_going = false;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "+qkh", longopts, NULL)) != -1) {
		switch (c) {
		case 'q': quiet = true; break;
		case 'k': keep_going = true; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	if (argc - optind > 1) {
		xrr_error("console: one TRACE or HOST:PORT at most");
		usage(stderr);
		return EXIT_USAGE;
	}
	const char *arg = optind < argc ? argv[optind] : NULL;
	char host[256], dir[4096], err[512];
	int port = 0;
	struct console con;
	int rc;

	if (arg && looks_like_address(arg, host, sizeof(host), &port)) {
		rc = console_open(&con, NULL, quiet, host, port);
	} else {
		if (xrr_resolve_trace(arg, dir, sizeof(dir), err, sizeof(err)) < 0) {
			xrr_error("console: %s", err);
			return EXIT_FAILED;
		}
		rc = console_open(&con, dir, quiet, NULL, 0);
	}
	if (rc < 0)
		return EXIT_FAILED;
	con.keep_going = keep_going;
	con.interactive = isatty(STDIN_FILENO);
	int status = console_loop(&con);
	console_close(&con);
	return status;
}
