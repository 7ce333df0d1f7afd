/* xrr checksum [TRACE] --at EVENT[,EVENT...] (--range ADDR:LEN... |
 * --writable): XXH3-64 of replayed memory at events, without GDB.
 *
 * At each event (in increasing order, one replay) the replayed process
 * is copied (a diversion: the replay is not touched), the checksum
 * implant is loaded into the copy and run there, and the copy is killed.
 * The hashes are those of `monitor checksum` under GDB. */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frontend/frontend.h"
#include "replay/diversion.h"
#include "replay/diversion_run.h"
#include "replay/implant.h"
#include "replay/insn_virt.h"
#include "replay/replayer.h"
#include "replay/trace.h"

#define MAX_EVENTS 256
#define MAX_RANGES 256

struct checksum_cli {
	uint64_t events[MAX_EVENTS];
	size_t nevents;
	struct implant_range ranges[MAX_RANGES];
	size_t nranges;
	bool writable;
	const char *trace;
	char trace_dir[4096];
	char implant[4096];
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: xrr checksum [TRACE] --at EVENT[,EVENT...] "
		"(--range ADDR:LEN ... | --writable)\n"
		"XXH3-64 of memory of the replayed program at each EVENT,\n"
		"computed by the checksum implant in a copy of the process.\n"
		"One line per event: event, hash, bytes, implementation path.\n");
}

static bool parse_u64(const char *s, char **end, uint64_t *v)
{
	bool hex = s[0] == '0' && (s[1] == 'x' || s[1] == 'X');
	errno = 0;
	*v = strtoull(s, end, hex ? 16 : 10);
	return *end != s && errno == 0;
}

static int parse_events(struct checksum_cli *cli, const char *arg)
{
	const char *p = arg;
	while (*p) {
		char *end;
		if (cli->nevents == MAX_EVENTS ||
		    !parse_u64(p, &end, &cli->events[cli->nevents]) ||
		    (*end && *end != ',')) {
			xrr_error("checksum: --at %s: event numbers separated by "
				  "commas", arg);
			return -1;
		}
		cli->nevents++;
		p = *end ? end + 1 : end;
	}
	return 0;
}

static int parse_range(struct checksum_cli *cli, const char *arg)
{
	char *end;
	struct implant_range *r = &cli->ranges[cli->nranges];
	if (cli->nranges == MAX_RANGES || !parse_u64(arg, &end, &r->addr) ||
	    *end != ':' || !parse_u64(end + 1, &end, &r->len) || *end) {
		xrr_error("checksum: --range %s: ADDR:LEN (decimal or 0x-hex)",
			  arg);
		return -1;
	}
	cli->nranges++;
	return 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* 0: run; 1: help shown; -1: bad usage. */
static int parse_cli(int argc, char **argv, struct checksum_cli *cli)
{
	static const struct option longopts[] = {
		{ "at", required_argument, NULL, 'a' },
		{ "range", required_argument, NULL, 'r' },
		{ "writable", no_argument, NULL, 'w' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;
	memset(cli, 0, sizeof(*cli));
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		if ((c == 'a' && parse_events(cli, optarg) < 0) ||
		    (c == 'r' && parse_range(cli, optarg) < 0))
			return -1;
		if (c == 'w')
			cli->writable = true;
		if (c == 'h') {
			usage(stdout);
			return 1;
		}
		if (c == '?') {
			usage(stderr);
			return -1;
		}
	}
	cli->trace = optind < argc ? argv[optind++] : NULL;
	if (optind < argc || !cli->nevents ||
	    cli->writable == (cli->nranges > 0)) {
		xrr_error("checksum: one TRACE at most, --at, and either "
			  "--range or --writable");
		usage(stderr);
		return -1;
	}
	qsort(cli->events, cli->nevents, sizeof(cli->events[0]), cmp_u64);
	return 0;
}

/* The thread to copy: the one stopped at the event, else the first. */
static struct task *event_task(struct replayer *r, pid_t tid)
{
	pid_t tids[TASK_MAX_THREADS];
	struct task *t = tid > 0 ? replayer_task(r, tid) : NULL;
	if (!t && replayer_threads(r, tids, TASK_MAX_THREADS))
		t = replayer_task(r, tids[0]);
	return t;
}

static int checksum_copy(const struct checksum_cli *cli, struct process *copy,
			 uint64_t event)
{
	struct task *t = &copy->tasks[0];
	struct implant_range *wr = NULL;
	const struct implant_range *ranges = cli->ranges;
	size_t n = cli->nranges;
	uint64_t hash, bytes = 0;
	int path = 0, rc = -1;
	struct implant *im = implant_load(copy, t, cli->implant);
	if (!im) {
		xrr_error("checksum: event %" PRIu64 ": loading %s: %s", event,
			  cli->implant, copy->err);
		return -1;
	}
	if (cli->writable && implant_writable_ranges(copy, im, &wr, &n) < 0) {
		xrr_error("checksum: event %" PRIu64 ": writable ranges: %s",
			  event, copy->err);
		goto out;
	}
	if (cli->writable)
		ranges = wr;
	if (implant_checksum(copy, t, im, ranges, n, CHECKSUM_PATH_AUTO, &hash,
			     &path) < 0) {
		xrr_error("checksum: event %" PRIu64 ": %s", event, copy->err);
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		bytes += ranges[i].len;
	printf("event %" PRIu64 " %016" PRIx64 " %" PRIu64 " bytes %s\n",
	       event, hash, bytes, implant_checksum_path_name(path));
	fflush(stdout);
	rc = 0;
out:
	free(wr);
	implant_unload(NULL, NULL, im);
	return rc;
}

static int checksum_at(const struct checksum_cli *cli, struct replayer *r,
		       uint64_t event)
{
	struct replay_stop stop;
	memset(&stop, 0, sizeof(stop));
	if (replayer_goto(r, event, &stop) < 0 ||
	    stop.kind == REPLAY_STOP_DIVERGED || stop.kind == REPLAY_STOP_ERROR) {
		xrr_error("checksum: event %" PRIu64 ": %s", event,
			  stop.message[0] ? stop.message : "event out of range");
		return -1;
	}
	if (stop.kind == REPLAY_STOP_END && replayer_current_event(r) < event) {
		xrr_error("checksum: event %" PRIu64 ": the recording ends at "
			  "event %" PRIu64, event, replayer_current_event(r));
		return -1;
	}
	struct task *t = event_task(r, stop.tid);
	struct process *copy = calloc(1, sizeof(*copy));
	if (!t || !copy) {
		free(copy);
		xrr_error("checksum: event %" PRIu64 ": no thread to copy", event);
		return -1;
	}
	int rc = diversion_fork(replayer_process(r), t, copy);
	if (rc < 0) {
		xrr_error("checksum: event %" PRIu64 ": %s", event,
			  replayer_process(r)->err);
		free(copy);
		return -1;
	}
	struct insn_virt *iv = replayer_insn_virt(r);
	if (iv)
		insn_virt_unpatch_all(iv, copy);
	rc = checksum_copy(cli, copy, event);
	diversion_kill(copy);
	free(copy);
	return rc;
}

int cmd_checksum(int argc, char **argv)
{
	struct checksum_cli cli;
	char err[1024];
	int rc = parse_cli(argc, argv, &cli);
	if (rc != 0)
		return rc > 0 ? 0 : 2;
	if (xrr_resolve_trace(cli.trace, cli.trace_dir, sizeof(cli.trace_dir),
			      err, sizeof(err)) < 0 ||
	    diversion_checksum_implant_path(cli.implant, sizeof(cli.implant),
					    err, sizeof(err)) < 0) {
		xrr_error("checksum: %s", err);
		return 1;
	}
	struct replay_options opts = { .echo_output = false };
	struct replayer *r = replayer_open(cli.trace_dir, &opts, err,
					   sizeof(err));
	if (!r) {
		xrr_error("checksum: %s", err);
		return 1;
	}
	int status = 0;
	for (size_t i = 0; i < cli.nevents && status == 0; i++)
		if (checksum_at(&cli, r, cli.events[i]) < 0)
			status = 1;
	replayer_close(r);
	return status;
}
