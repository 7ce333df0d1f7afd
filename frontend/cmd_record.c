/* xrr record: run a program under the recorder into a trace directory. */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/xcr0.h"
#include "frontend/frontend.h"
#include "replay/recorder.h"
#include "replay/syscalls.h"
#include "replay/trace.h"

static const char record_help[] =
	"Usage: xrr record [-o DIR] [--cpu N] [--] PROG [ARGS...]\n"
	"\n"
	"Run PROG and record it into a trace directory for `xrr replay`.\n"
	"PROG's stdin, stdout and stderr are its own; xrr exits with PROG's\n"
	"exit status (128+N and a message if a signal N killed it).\n"
	"\n"
	"  -o, --output DIR  record into DIR (must be absent or empty); default:\n"
	"                    TRACE_ROOT/PROG-N, TRACE_ROOT from $XRR_TRACE_DIR,\n"
	"                    else $XDG_DATA_HOME/xrr, else ~/.local/share/xrr,\n"
	"                    and TRACE_ROOT/latest-trace points at it\n"
	"  --cpu N           bind PROG to CPU N (default: the CPU xrr starts on)\n"
	"  --xcr0 MASK       the program sees XCR0 = MASK (0x7, 231, x87|sse|avx):\n"
	"                    XGETBV, CPUID and XSAVE agree on it (docs/xcr0.md)\n"
	"  --disable-avx512  --xcr0 with the host XCR0 minus opmask/ZMM (bits 5-7)\n"
	"  --no-syscall-buffer\n"
	"                    no in-process syscall buffer: every system call goes\n"
	"                    through ptrace stops (slower; docs/syscallbuf.md)\n"
	"\n"
	"See docs/recording.md for what is recorded.\n";

/* PROG as execve wants it: a name without '/' is looked up in $PATH. */
static int resolve_program(const char *prog, char *out, size_t outlen)
{
	if (strchr(prog, '/')) {
		snprintf(out, outlen, "%s", prog);
		return access(out, X_OK) == 0 ? 0 : -errno;
	}
	const char *path = getenv("PATH");
	if (!path || !*path)
		path = "/usr/local/bin:/usr/bin:/bin";
	int last = -ENOENT;
	while (*path) {
		const char *colon = strchr(path, ':');
		size_t n = colon ? (size_t)(colon - path) : strlen(path);
		struct stat st;
		snprintf(out, outlen, "%.*s%s%s", (int)n, n ? path : ".",
			 "/", prog);
		if (stat(out, &st) == 0 && S_ISREG(st.st_mode)) {
			if (access(out, X_OK) == 0)
				return 0;
			last = -EACCES;
		}
		path += n + (colon ? 1 : 0);
		if (!colon)
			break;
	}
	return last;
}

static int choose_dir(const char *opt_dir, const char *prog, char *dir,
		      size_t dirlen, char *root, size_t rootlen)
{
	char err[512];

	root[0] = 0;
	if (opt_dir) {
		snprintf(dir, dirlen, "%s", opt_dir);
		return 0;
	}
	if (trace_default_root(root, rootlen, err, sizeof(err)) < 0 ||
	    trace_make_dir(root, prog, dir, dirlen, err, sizeof(err)) < 0) {
		xrr_error("%s", err);
		return -1;
	}
	return 0;
}

static int program_status(int status)
{
	if (WIFSIGNALED(status)) {
		char buf[32];
		const char *name = syscall_signal_name(WTERMSIG(status), buf,
						       sizeof(buf));
		xrr_error("the program was killed by %s%s",
			  name ? name : "signal", WCOREDUMP(status) ?
			  " (core dumped)" : "");
	}
	return WIFEXITED(status) || WIFSIGNALED(status) ? xrr_shell_status(status) : 1;
}

/* --xcr0 / --disable-avx512: refused before anything starts, naming the
 * rule an illegal mask breaks. */
static int record_xcr0_option(uint64_t *xcr0, bool no_avx512)
{
	char err[512];

	if (no_avx512)
		*xcr0 = (*xcr0 ? *xcr0 : xsave_host_xcr0()) &
			~(uint64_t)XCR0_AVX512;
	if (*xcr0 && rec_xcr0_validate(*xcr0, err, sizeof(err)) < 0) {
		xrr_error("record: %s", err);
		return -1;
	}
	return 0;
}

int cmd_record(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "cpu", required_argument, NULL, 'c' },
		{ "xcr0", required_argument, NULL, 'x' },
		{ "disable-avx512", no_argument, NULL, 'A' },
		{ "no-syscall-buffer", no_argument, NULL, 'B' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *out_dir = NULL;
	int cpu = -1, c;
	uint64_t xcr0 = 0;
	bool no_avx512 = false, no_buffer = false;

	while ((c = getopt_long(argc, argv, "+o:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'o':
			out_dir = optarg;
			break;
		case 'c':
			cpu = atoi(optarg);
			break;
		case 'x':
			if (!xcr0_parse(optarg, &xcr0) || !xcr0) {
				xrr_error("record: --xcr0 %s: not a mask (0x7, 231,"
					  " x87|sse|avx)", optarg);
				return 2;
			}
			break;
		case 'A':
			no_avx512 = true;
			break;
		case 'B':
			no_buffer = true;
			break;
		case 'h':
			fputs(record_help, stdout);
			return 0;
		default:
			fputs(record_help, stderr);
			return 2;
		}
	}
	if (optind >= argc) {
		xrr_error("record: no program given (xrr record --help)");
		return 2;
	}
	if (record_xcr0_option(&xcr0, no_avx512) < 0)
		return 2;
	char path[PATH_MAX], dir[PATH_MAX], root[PATH_MAX];
	int e = resolve_program(argv[optind], path, sizeof(path));
	if (e < 0) {
		xrr_error("record: %s: %s", argv[optind], strerror(-e));
		return 127;
	}
	if (choose_dir(out_dir, argv[optind], dir, sizeof(dir), root,
		       sizeof(root)) < 0)
		return 1;
	fprintf(stderr, "xrr: saving trace to %s\n", dir);
	struct recorder_options o = {
		.argv = argv + optind, .path = path, .trace_dir = dir, .cpu = cpu,
		.xcr0 = xcr0, .no_syscall_buffer = no_buffer,
	};
	struct recorder_result res;
	/* ^C and ^\ are the program's to handle: it is in our process group. */
	signal(SIGINT, SIG_IGN);
	signal(SIGQUIT, SIG_IGN);
	int rc = recorder_run(&o, &res);
	char err[512];
	if (root[0] && trace_set_latest(root, dir, err, sizeof(err)) < 0)
		xrr_error("%s", err);
	if (rc < 0) {
		xrr_error("%s", res.error);
		xrr_error("trace %s ends at event %llu", dir,
			  (unsigned long long)res.events);
		return 1;
	}
	return program_status(res.wait_status);
}
