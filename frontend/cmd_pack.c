/* xrr pack [-o FILE] [TRACE] and xrr unpack FILE [DIR]: traces that
 * travel (replay/trace_pack.h does the work; this is the command line
 * and the progress line). */
#include "config.h"

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "frontend/check.h"
#include "frontend/frontend.h"
#include "replay/trace.h"
#include "replay/trace_pack.h"

static const char pack_help[] =
	"Usage: xrr pack [-o FILE] [-q] [TRACE]\n"
	"\n"
	"Make TRACE (default: latest-trace) replayable and debuggable on\n"
	"another machine, without the recorded program's files.\n"
	"\n"
	"  -o, --output FILE  write the trace as one archive FILE (a tar\n"
	"                     stream compressed with zstd; `tar --zstd -xf`\n"
	"                     opens it, `xrr unpack` restores it); '-' is\n"
	"                     stdout.  The trace directory is not changed.\n"
	"  -q, --quiet        no summary line\n"
	"\n"
	"Without -o the trace directory itself is made self-contained.\n"
	"\n"
	"A trace already holds copies of every file the program mapped.\n"
	"Packing adds the separate debug info GDB finds on this machine for\n"
	"them: by build-id (DIR/.build-id/xx/yyyy.debug) or .gnu_debuglink\n"
	"(next to the file, in .debug/ there, DIR/<the file's directory>/),\n"
	"DIR each directory of $XRR_DEBUG_FILE_DIRECTORY (':'-separated,\n"
	"default /usr/lib/debug).  On replay GDB gets them through the\n"
	"replay target at the paths it asks for (sysroot target:).\n"
	"A progress line is shown when stderr is a terminal.\n";

static const char unpack_help[] =
	"Usage: xrr unpack [-q] FILE [DIR]\n"
	"\n"
	"Restore the trace archived in FILE (written by xrr pack; '-' is\n"
	"stdin) into DIR, which must not exist or be empty; without DIR into\n"
	"the trace directory ($XRR_TRACE_DIR, ...) under the trace's own name,\n"
	"and latest-trace then points at it.  Member names that leave the\n"
	"directory, links, devices, damaged or truncated archives and stored\n"
	"files that do not match their hash are refused, and nothing is\n"
	"left behind.  Then runs `xrr check` on the trace and prints its\n"
	"report; the exit status is check's (0 replayable here, 1 not), or 2\n"
	"when the archive could not be unpacked.\n"
	"\n"
	"  -q, --quiet        no summary line before the check report\n";

/* ---- the progress line ------------------------------------------------------- */

struct progress_line {
	const char *verb;
	double last;            /* seconds, CLOCK_MONOTONIC */
	bool shown;
};

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void human(char *out, size_t len, uint64_t bytes)
{
	if (bytes < 1024 * 1024)
		snprintf(out, len, "%.1f KiB", (double)bytes / 1024);
	else
		snprintf(out, len, "%.1f MiB", (double)bytes / (1024 * 1024));
}

/* One line on stderr, redrawn at most ten times a second, erased at the
 * end so that what follows starts on a clean line. */
static void show_progress(const struct trace_pack_progress *p, void *arg)
{
	struct progress_line *pl = arg;
	double t = now();
	if (p->done) {
		if (pl->shown)
			fputs("\r\033[K", stderr);
		pl->shown = false;
		return;
	}
	if (pl->shown && t - pl->last < 0.1)
		return;
	pl->last = t;
	pl->shown = true;
	char b[32], tb[32];
	human(b, sizeof(b), p->bytes);
	if (p->total_bytes) {
		human(tb, sizeof(tb), p->total_bytes);
		fprintf(stderr, "\r\033[Kxrr: %s %s / %s (%u%%), %u / %u files",
			pl->verb, b, tb,
			(unsigned)(p->bytes * 100 / p->total_bytes), p->files,
			p->total_files);
	} else {
		fprintf(stderr, "\r\033[Kxrr: %s %s, %u files", pl->verb, b,
			p->files);
	}
	fflush(stderr);
}

static void setup_progress(struct trace_pack_opts *opts,
			   struct progress_line *pl, const char *verb)
{
	memset(pl, 0, sizeof(*pl));
	pl->verb = verb;
	if (isatty(STDERR_FILENO)) {
		opts->progress = show_progress;
		opts->progress_arg = pl;
	}
}

/* ---- xrr pack ------------------------------------------------------------------- */

static void pack_summary(const char *dir, const char *archive,
			 const struct trace_pack_stats *s)
{
	char a[32], b[32], d[32];
	human(b, sizeof(b), s->bytes);
	human(d, sizeof(d), s->debug_bytes);
	if (archive) {
		human(a, sizeof(a), s->archive_bytes);
		fprintf(stderr, "xrr: packed %s into %s: %u files, %s (%s"
			" compressed), %u separate debug files (%s)\n", dir,
			archive, s->files, b, a, s->debug_files, d);
	} else if (s->debug_files) {
		fprintf(stderr, "xrr: %s is self-contained: %u separate debug"
			" files (%s) copied in\n", dir, s->debug_files, d);
	} else {
		fprintf(stderr, "xrr: %s is self-contained (it holds every"
			" mapped file; no separate debug files to add)\n", dir);
	}
}

int cmd_pack(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *archive = NULL;
	bool quiet = false;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "o:qh", longopts, NULL)) != -1) {
		if (c == 'o') {
			archive = optarg;
		} else if (c == 'q') {
			quiet = true;
		} else if (c == 'h') {
			fputs(pack_help, stdout);
			return 0;
		} else {
			fputs(pack_help, stderr);
			return 2;
		}
	}
	if (argc - optind > 1) {
		xrr_error("pack: one TRACE at most (run 'xrr pack --help')");
		return 2;
	}
	if (archive && !*archive) {
		xrr_error("pack: -o wants a file name");
		return 2;
	}
	char dir[4096], err[1024];
	if (xrr_resolve_trace(optind < argc ? argv[optind] : NULL, dir,
			      sizeof(dir), err, sizeof(err)) < 0) {
		xrr_error("pack: %s", err);
		return 2;
	}
	struct trace_pack_opts opts = { 0 };
	struct progress_line pl;
	struct trace_pack_stats stats;
	setup_progress(&opts, &pl, archive ? "packing" : "copying debug files");
	int rc = archive ? trace_pack_write(dir, archive, &opts, &stats, err,
					    sizeof(err))
			 : trace_pack_in_place(dir, &opts, &stats, err,
					       sizeof(err));
	if (rc < 0) {
		xrr_error("pack: %s", err);
		return 1;
	}
	if (!quiet)
		pack_summary(dir, archive && strcmp(archive, "-") ? archive
			     : archive ? "stdout" : NULL, &stats);
	return 0;
}

/* ---- xrr unpack ------------------------------------------------------------------- */

int cmd_unpack(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	bool quiet = false;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "qh", longopts, NULL)) != -1) {
		if (c == 'q') {
			quiet = true;
		} else if (c == 'h') {
			fputs(unpack_help, stdout);
			return 0;
		} else {
			fputs(unpack_help, stderr);
			return 2;
		}
	}
	if (optind >= argc || argc - optind > 2) {
		fputs(unpack_help, stderr);
		return 2;
	}
	const char *archive = argv[optind];
	const char *dest = optind + 1 < argc ? argv[optind + 1] : NULL;
	char root[4096], dir[4200], err[1024];
	if (!dest) {
		if (trace_default_root(root, sizeof(root), err, sizeof(err)) < 0) {
			xrr_error("unpack: %s", err);
			return 2;
		}
	}
	struct trace_pack_opts opts = { 0 };
	struct progress_line pl;
	struct trace_pack_stats stats;
	setup_progress(&opts, &pl, "unpacking");
	if (trace_unpack(archive, dest ? dest : root, !dest, dir, sizeof(dir),
			 &opts, &stats, err, sizeof(err)) < 0) {
		xrr_error("unpack: %s", err);
		return 2;
	}
	if (!dest && trace_set_latest(root, dir, err, sizeof(err)) < 0)
		xrr_error("unpack: warning: %s", err);
	if (!quiet) {
		char b[32];
		human(b, sizeof(b), stats.bytes);
		fprintf(stderr, "xrr: unpacked %s into %s: %u files, %s\n",
			archive, dir, stats.files, b);
	}
	fflush(stderr);
	return xrr_check_trace(dir, false, stdout);
}
