/* Replay checkpoints by fork (replay/replay_checkpoint.c) on real
 * recordings: a replay restored from a checkpoint must go on exactly as
 * the original did (echoed output, exit status, registers and extended
 * state at later events), as often as it is restored, also after the
 * replay ended; states that cannot be frozen exactly are refused with
 * their reason.  Times and costs are printed for the log. */
#include "config.h"

#include <CUnit/CUnit.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "replay/recorder.h"
#include "replay/replayer.h"
#include "testsuite/unit/cunit_main.h"

/* ---- recording ------------------------------------------------------------ */

static char tmpdir[64];
static char signals_trace[256], files_trace[256], threads_trace[256];
static char mmap_trace[256], shm_trace[256], bigmem_trace[256];

static int record(const char *trace, char **argv)
{
	struct recorder_options o = { .argv = argv, .path = argv[0], .cpu = -1,
				      .trace_dir = trace };
	struct recorder_result res;

	/* The program's own output would mix with CUnit's. */
	fflush(stdout);
	int saved = dup(1), null = open("/dev/null", O_WRONLY);
	dup2(null, 1);
	int rc = recorder_run(&o, &res);
	dup2(saved, 1);
	close(saved);
	close(null);
	if (rc < 0)
		fprintf(stderr, "recording %s: %s\n", argv[0], res.error);
	return rc < 0 ? -1 : 0;
}

/* bigmem is built with the project's flags, sanitizers included, and
 * LeakSanitizer's exit check cannot run under ptrace. */
static int record_bigmem(char **argv)
{
	const char *old = getenv("ASAN_OPTIONS");
	char *saved = old ? strdup(old) : NULL;

	setenv("ASAN_OPTIONS", "detect_leaks=0", 1);
	int rc = record(bigmem_trace, argv);
	if (saved)
		setenv("ASAN_OPTIONS", saved, 1);
	else
		unsetenv("ASAN_OPTIONS");
	free(saved);
	return rc;
}

static int record_all(void)
{
	char files_dir[128];
	char *sig_argv[] = { PROGS_DIR "/signals", NULL };
	char *files_argv[] = { PROGS_DIR "/rec_files", files_dir, NULL };
	char *thr_argv[] = { PROGS_DIR "/threads", "3", NULL };
	char *mmap_argv[] = { PROGS_DIR "/conf_sys_mmap", NULL };
	char *shm_argv[] = { PROGS_DIR "/conf_sys_shm", NULL };
	char *big_argv[] = { PROGS_DIR "/../bench/bigmem", NULL };

	snprintf(tmpdir, sizeof(tmpdir), "/tmp/xrr-test-ckpt.XXXXXX");
	if (!mkdtemp(tmpdir))
		return -1;
	snprintf(signals_trace, sizeof(signals_trace), "%s/signals", tmpdir);
	snprintf(files_trace, sizeof(files_trace), "%s/files", tmpdir);
	snprintf(threads_trace, sizeof(threads_trace), "%s/threads", tmpdir);
	snprintf(mmap_trace, sizeof(mmap_trace), "%s/mmap", tmpdir);
	snprintf(shm_trace, sizeof(shm_trace), "%s/shm", tmpdir);
	snprintf(bigmem_trace, sizeof(bigmem_trace), "%s/bigmem", tmpdir);
	snprintf(files_dir, sizeof(files_dir), "%s/files.d", tmpdir);
	return record(signals_trace, sig_argv) < 0 ||
	       record(files_trace, files_argv) < 0 ||
	       record(threads_trace, thr_argv) < 0 ||
	       record(mmap_trace, mmap_argv) < 0 ||
	       record(shm_trace, shm_argv) < 0 ||
	       record_bigmem(big_argv) < 0 ? -1 : 0;
}

static int cleanup(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return tmpdir[0] && system(cmd) != 0 ? -1 : 0;
}

/* ---- a replay whose echoed output goes to a file ---------------------------- */

struct session {
	struct replayer *r;
	FILE *echo;
};

static bool open_session(struct session *s, const char *trace)
{
	char err[512] = "";
	struct replay_options o = { .exec_stub = EXEC_STUB, .echo_output = true };

	s->echo = tmpfile();
	if (!s->echo)
		return false;
	o.echo_stdout = o.echo_stderr = s->echo;
	s->r = replayer_open(trace, &o, err, sizeof(err));
	if (!s->r)
		fprintf(stderr, "replayer_open %s: %s\n", trace, err);
	return s->r != NULL;
}

static void close_session(struct session *s)
{
	replayer_close(s->r);
	if (s->echo)
		fclose(s->echo);
}

static long echo_pos(struct session *s)
{
	fflush(s->echo);
	return ftell(s->echo);
}

/* The echoed bytes from `from` on (malloc'd, NUL-terminated). */
static char *echo_since(struct session *s, long from)
{
	long end = echo_pos(s);
	char *buf = calloc(1, (size_t)(end - from) + 1);

	if (buf && pread(fileno(s->echo), buf, (size_t)(end - from), from) !=
	    end - from)
		buf[0] = '\0';
	return buf;
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* ---- what a run shows: registers and extended state of the running
 * thread at an event, output and status at the end --------------------------- */

/* General registers as ptrace shows them, and the whole register file
 * decoded from the XSAVE image: compared decoded, because the kernel
 * may store an all-zero component either way (XSTATE_BV bit set or
 * clear), which is the same state. */
struct regs_seen {
	struct user_regs_struct g;
	struct x86_regfile rf;
};

struct run_seen {
	struct regs_seen mid, end;
	char *out;
	int status;
	enum replay_stop_kind kind;
};

static bool take_regs(struct replayer *r, struct regs_seen *s)
{
	pid_t tids[8];

	memset(s, 0, sizeof(*s));
	if (replayer_threads(r, tids, 8) < 1)
		return false;
	struct process *p = replayer_process(r);
	struct task *t = replayer_task(r, tids[0]);
	return t && task_get_gregs(p, t, &s->g) == 0 &&
	       task_get_regfile(p, t, &s->rf) == 0;
}

static bool regs_equal(const struct regs_seen *a, const struct regs_seen *b,
		       const char *where)
{
	bool gsame = memcmp(&a->g, &b->g, sizeof(a->g)) == 0;
	bool fsame = memcmp(&a->rf, &b->rf, sizeof(a->rf)) == 0;

	if (!gsame || !fsame)
		printf("\n  registers differ at %s: rip %#llx/%#llx rax %#llx/"
		       "%#llx orig_rax %#llx/%#llx rsp %#llx/%#llx eflags "
		       "%#llx/%#llx; register file %s\n", where, a->g.rip,
		       b->g.rip, a->g.rax, b->g.rax, a->g.orig_rax,
		       b->g.orig_rax, a->g.rsp, b->g.rsp, a->g.eflags,
		       b->g.eflags, fsame ? "same" : "differs");
	return gsame && fsame;
}

/* From where the replay stands: to event mid (registers), to the end
 * (output since now, status, registers). */
static void run_to_end(struct session *s, uint64_t mid, struct run_seen *seen)
{
	struct replay_stop stop;
	long from = echo_pos(s);

	memset(seen, 0, sizeof(*seen));
	if (mid) {
		CU_ASSERT_EQUAL(replayer_goto(s->r, mid, &stop), 0);
		CU_ASSERT_EQUAL(stop.kind, REPLAY_STOP_EVENT);
		CU_ASSERT_TRUE(take_regs(s->r, &seen->mid));
	}
	CU_ASSERT_EQUAL(replayer_goto(s->r, UINT64_MAX, &stop), 0);
	seen->kind = stop.kind;
	seen->status = stop.exit_status;
	if (stop.kind != REPLAY_STOP_END)
		printf("\n  run to the end stopped with kind %d: %s\n",
		       (int)stop.kind, stop.message);
	CU_ASSERT_EQUAL(stop.kind, REPLAY_STOP_END);
	CU_ASSERT_TRUE(take_regs(s->r, &seen->end));
	seen->out = echo_since(s, from);
}

static void expect_same_run(const struct run_seen *a, const struct run_seen *b,
			    bool mid)
{
	CU_ASSERT_EQUAL(a->kind, b->kind);
	CU_ASSERT_EQUAL(a->status, b->status);
	CU_ASSERT_PTR_NOT_NULL_FATAL(a->out);
	CU_ASSERT_PTR_NOT_NULL_FATAL(b->out);
	CU_ASSERT_STRING_EQUAL(a->out, b->out);
	if (mid)
		CU_ASSERT_TRUE(regs_equal(&a->mid, &b->mid, "the middle event"));
	CU_ASSERT_TRUE(regs_equal(&a->end, &b->end, "the end"));
}

static uint64_t count_events(const char *trace)
{
	struct session s;
	struct replay_stop stop;

	if (!open_session(&s, trace))
		return 0;
	replayer_goto(s.r, UINT64_MAX, &stop);
	uint64_t n = replayer_current_event(s.r);
	close_session(&s);
	return n;
}

/* ---- tests ---------------------------------------------------------------------- */

static struct replay_checkpoint *timed_checkpoint(struct replayer *r,
						  double *ms)
{
	char err[512] = "";
	double t0 = now_ms();
	struct replay_checkpoint *c = replayer_checkpoint(r, err, sizeof(err));

	*ms = now_ms() - t0;
	if (!c)
		printf("\n  checkpoint refused: %s\n", err);
	return c;
}

static int timed_restore(struct replayer *r, const struct replay_checkpoint *c,
			 double *ms)
{
	char err[512] = "";
	double t0 = now_ms();
	int rc = replayer_restore(r, c, err, sizeof(err));

	*ms = now_ms() - t0;
	if (rc < 0)
		printf("\n  restore failed: %s\n", err);
	return rc;
}

/* Checkpoint at E1, run to the end; restore, run again: the same output,
 * status and registers, twice; and the held process pointer stays. */
static void roundtrip(const char *trace, const char *name)
{
	struct session s;
	struct replay_stop stop;
	struct run_seen first, again, third;
	double ck_ms, rs1_ms, rs2_ms;

	uint64_t n = count_events(trace);
	CU_ASSERT_FATAL(n > 10);
	uint64_t e1 = n / 3, mid = (n * 2) / 3;
	CU_ASSERT_TRUE_FATAL(open_session(&s, trace));
	CU_ASSERT_EQUAL(replayer_goto(s.r, e1, &stop), 0);
	struct process *held = replayer_process(s.r);
	struct regs_seen at_ckpt, restored;
	CU_ASSERT_TRUE(take_regs(s.r, &at_ckpt));
	struct replay_checkpoint *c = timed_checkpoint(s.r, &ck_ms);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_EQUAL(replay_checkpoint_event(c), e1);
	uint64_t cost0 = replay_checkpoint_cost(c);
	run_to_end(&s, mid, &first);
	uint64_t cost1 = replay_checkpoint_cost(c);
	/* After the end: the replay comes back. */
	CU_ASSERT_TRUE(replayer_at_end(s.r));
	CU_ASSERT_EQUAL(timed_restore(s.r, c, &rs1_ms), 0);
	CU_ASSERT_FALSE(replayer_at_end(s.r));
	CU_ASSERT_EQUAL(replayer_current_event(s.r), e1);
	CU_ASSERT_PTR_EQUAL(replayer_process(s.r), held);
	CU_ASSERT_TRUE(take_regs(s.r, &restored));
	CU_ASSERT_TRUE(regs_equal(&at_ckpt, &restored, "the checkpoint"));
	run_to_end(&s, mid, &again);
	expect_same_run(&first, &again, true);
	/* The programs check themselves: status 0 is their verdict. */
	CU_ASSERT_TRUE(WIFEXITED(again.status) && WEXITSTATUS(again.status) == 0);
	CU_ASSERT_EQUAL(timed_restore(s.r, c, &rs2_ms), 0);
	run_to_end(&s, mid, &third);
	expect_same_run(&first, &third, true);
	printf("\n  %s: %" PRIu64 " events, checkpoint at %" PRIu64 ": "
	       "%.2f ms, restore %.2f ms and %.2f ms, cost %" PRIu64
	       " KiB at once, %" PRIu64 " KiB after the run to the end, "
	       "output %zu bytes, status %#x\n", name, n, e1, ck_ms, rs1_ms,
	       rs2_ms, cost0 / 1024, cost1 / 1024, strlen(first.out),
	       first.status);
	free(first.out);
	free(again.out);
	free(third.out);
	replay_checkpoint_free(c);
	close_session(&s);
}

static void test_roundtrip_signals(void)
{
	roundtrip(signals_trace, "signals");
}

static void test_roundtrip_files(void)
{
	roundtrip(files_trace, "rec_files");
}

struct sweep_stats {
	int made, refused, checked, stepped;
	double ck_ms, rs_ms;
	char reasons[4][200];
	int nreasons;
};

/* Refusal reasons, told apart by their words (numbers vary). */
static bool same_words(const char *a, const char *b)
{
	for (;; a++, b++) {
		while (*a >= '0' && *a <= '9')
			a++;
		while (*b >= '0' && *b <= '9')
			b++;
		if (*a != *b)
			return false;
		if (!*a)
			return true;
	}
}

static void note_refusal(struct sweep_stats *st, const char *err)
{
	const char *why = strchr(err, ':');

	why = why ? why + 2 : err;
	for (int i = 0; i < st->nreasons; i++)
		if (same_words(st->reasons[i], why))
			return;
	if (st->nreasons < 4)
		snprintf(st->reasons[st->nreasons++], sizeof(st->reasons[0]),
			 "%s", why);
}

/* From a checkpoint made where the replay stands: the rest of the
 * replay, then again after a restore; the registers right after the
 * restore are those at the checkpoint.  false: refused. */
static bool check_here(struct session *s, const struct run_seen *ref,
		       const char *expect_out, struct sweep_stats *st)
{
	char err[512] = "", where[96];
	struct regs_seen before, after;
	struct run_seen a, b;
	uint64_t e = replayer_current_event(s->r);

	CU_ASSERT_TRUE(take_regs(s->r, &before));
	double t0 = now_ms();
	struct replay_checkpoint *c = replayer_checkpoint(s->r, err, sizeof(err));
	st->ck_ms += now_ms() - t0;
	if (!c) {
		st->refused++;
		note_refusal(st, err);
		return false;
	}
	run_to_end(s, 0, &a);
	t0 = now_ms();
	CU_ASSERT_EQUAL(replayer_restore(s->r, c, err, sizeof(err)), 0);
	st->rs_ms += now_ms() - t0;
	snprintf(where, sizeof(where), "the checkpoint of event %" PRIu64, e);
	CU_ASSERT_TRUE(take_regs(s->r, &after));
	CU_ASSERT_TRUE(regs_equal(&before, &after, where));
	run_to_end(s, 0, &b);
	CU_ASSERT_PTR_NOT_NULL_FATAL(a.out);
	CU_ASSERT_PTR_NOT_NULL_FATAL(b.out);
	CU_ASSERT_STRING_EQUAL(b.out, a.out);
	if (expect_out)
		CU_ASSERT_STRING_EQUAL(b.out, expect_out);
	CU_ASSERT_EQUAL(b.status, ref->status);
	snprintf(where, sizeof(where), "the end, checkpointed at event %"
		 PRIu64, e);
	CU_ASSERT_TRUE(regs_equal(&a.end, &ref->end, where));
	snprintf(where, sizeof(where), "the end, restored from event %" PRIu64, e);
	CU_ASSERT_TRUE(regs_equal(&b.end, &ref->end, where));
	free(a.out);
	free(b.out);
	/* Back to the checkpoint for what comes next. */
	CU_ASSERT_EQUAL(replayer_restore(s->r, c, err, sizeof(err)), 0);
	replay_checkpoint_free(c);
	st->made++;
	return true;
}

/* At event e, and two instructions further (a position between events,
 * as a reverse step leaves the replay): checkpoints, or their refusals. */
static void sweep_one(struct session *s, const struct run_seen *ref,
		      const long *pos, uint64_t e, struct sweep_stats *st)
{
	struct replay_stop stop;

	/* The steps of a refused state two instructions after e - 1 may
	 * have replayed several events (a syscall, then a signal). */
	if (replayer_current_event(s->r) > e)
		return;
	CU_ASSERT_EQUAL(replayer_goto(s->r, e, &stop), 0);
	if (check_here(s, ref, ref->out + pos[e], st))
		st->checked++;
	for (int i = 0; i < 2; i++) {
		CU_ASSERT_EQUAL(replayer_resume(s->r, true, 0, &stop, -1), 0);
		if (stop.kind != REPLAY_STOP_STEP)
			return;
	}
	if (check_here(s, ref, NULL, st))
		st->stepped++;
}

/* Every event: where the thread stands in each of the states the replay
 * loop leaves (after an emulated or a performed syscall, parked at a
 * syscall to come, after rdtsc, in a signal handler, at a preemption
 * point), a checkpoint either restores exactly or is refused. */
static void sweep(const char *trace, const char *name, int min_made)
{
	struct session s;
	struct run_seen ref;
	struct replay_stop stop;
	struct sweep_stats st = { 0 };

	uint64_t n = count_events(trace);
	CU_ASSERT_FATAL(n > 10);
	long *pos = calloc(n + 1, sizeof(*pos));
	CU_ASSERT_PTR_NOT_NULL_FATAL(pos);
	/* The reference: output offsets at each event, then the end. */
	CU_ASSERT_TRUE_FATAL(open_session(&s, trace));
	uint64_t first = replayer_current_event(s.r);
	long base = echo_pos(&s);
	for (uint64_t e = first; e < n; e++) {
		CU_ASSERT_EQUAL(replayer_goto(s.r, e, &stop), 0);
		pos[e] = echo_pos(&s) - base;
	}
	run_to_end(&s, 0, &ref);
	free(ref.out);
	ref.out = echo_since(&s, base);
	char err[512] = "";
	CU_ASSERT_EQUAL(replayer_restart(s.r, err, sizeof(err)), 0);
	for (uint64_t e = first; e < n; e++)
		sweep_one(&s, &ref, pos, e, &st);
	printf("\n  %s: %" PRIu64 " events; restored exactly: %d at an event,"
	       " %d two steps after one; %d refused; mean checkpoint %.2f ms,"
	       " restore %.2f ms\n", name, n - first, st.checked, st.stepped,
	       st.refused, st.ck_ms / (st.made + st.refused),
	       st.made ? st.rs_ms / st.made : 0.0);
	for (int i = 0; i < st.nreasons; i++)
		printf("  refused: %s\n", st.reasons[i]);
	CU_ASSERT(st.checked >= min_made);
	CU_ASSERT_EQUAL(st.checked + st.stepped, st.made);
	free(ref.out);
	free(pos);
	close_session(&s);
}

static void test_sweep_signals(void)
{
	sweep(signals_trace, "signals", 60);
}

static void test_sweep_files(void)
{
	sweep(files_trace, "rec_files", 60);
}

/* Shared and forked memory: refused while a shared writable mapping or
 * a second process exists, exact before. */
static void test_sweep_mmap(void)
{
	sweep(mmap_trace, "conf_sys_mmap", 20);
}

/* Threads: refused while more than one is alive, with the reason; fine
 * before the first is made and after the last is joined. */
static void test_threads(void)
{
	struct session s;
	struct replay_stop stop;
	char err[512];
	int alone = 0, refused = 0;

	uint64_t n = count_events(threads_trace);
	CU_ASSERT_TRUE_FATAL(open_session(&s, threads_trace));
	for (uint64_t e = replayer_current_event(s.r); e < n; e++) {
		pid_t tids[8];
		CU_ASSERT_EQUAL(replayer_goto(s.r, e, &stop), 0);
		size_t nt = replayer_threads(s.r, tids, 8);
		err[0] = '\0';
		struct replay_checkpoint *c = replayer_checkpoint(s.r, err,
								  sizeof(err));
		if (nt > 1) {
			CU_ASSERT_PTR_NULL(c);
			CU_ASSERT_PTR_NOT_NULL(strstr(err, "threads are alive"));
			CU_ASSERT_PTR_NOT_NULL(strstr(err, "cannot re-create"));
			if (refused++ == 0)
				printf("\n  event %" PRIu64 ", %zu threads: %s\n",
				       e, nt, err);
		} else if (c) {
			alone++;
		}
		replay_checkpoint_free(c);
	}
	printf("  threads: %d single-thread checkpoints, %d refused\n", alone,
	       refused);
	CU_ASSERT(refused > 0);
	CU_ASSERT(alone > 0);
	close_session(&s);
	/* Those of a single thread (before the first pthread_create, after
	 * the last join) restore exactly. */
	sweep(threads_trace, "threads", 20);
}

/* A restore while the replay has two processes (the child of a fork
 * alive) ends both and continues from the one process of the
 * checkpoint. */
static void test_restore_over_fork(void)
{
	struct session s;
	struct replay_stop stop;
	struct run_seen a, b;
	char err[512];
	bool two = false;

	uint64_t n = count_events(mmap_trace);
	CU_ASSERT_TRUE_FATAL(open_session(&s, mmap_trace));
	CU_ASSERT_EQUAL(replayer_goto(s.r, 5, &stop), 0);
	struct replay_checkpoint *c = replayer_checkpoint(s.r, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	run_to_end(&s, 0, &a);
	CU_ASSERT_EQUAL(replayer_restore(s.r, c, err, sizeof(err)), 0);
	for (uint64_t e = 6; e < n && !two; e++) {
		CU_ASSERT_EQUAL(replayer_goto(s.r, e, &stop), 0);
		struct replay_checkpoint *t = replayer_checkpoint(s.r, err,
								  sizeof(err));
		two = !t && strstr(err, "2 replayed processes exist");
		replay_checkpoint_free(t);
	}
	CU_ASSERT_TRUE_FATAL(two);
	CU_ASSERT_EQUAL(replayer_restore(s.r, c, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(replayer_current_event(s.r), 5);
	run_to_end(&s, 0, &b);
	expect_same_run(&a, &b, false);
	CU_ASSERT_PTR_NOT_NULL(strstr(b.out, "PASS conf_sys_mmap"));
	CU_ASSERT_TRUE(WIFEXITED(b.status) && WEXITSTATUS(b.status) == 0);
	free(a.out);
	free(b.out);
	replay_checkpoint_free(c);
	close_session(&s);
}

static int count_fds(void)
{
	int n = 0;
	char path[64];

	for (int fd = 0; fd < 1024; fd++) {
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		n += access(path, F_OK) == 0;
	}
	return n;
}

/* Checkpoints leave nothing behind once freed: no descriptors (readers,
 * /proc/PID/mem), no processes (frozen copies are reaped). */
static void test_nothing_left(void)
{
	struct session s;
	struct replay_stop stop;
	struct replay_checkpoint *c[4];
	char err[512];
	int fds = count_fds();

	CU_ASSERT_TRUE_FATAL(open_session(&s, files_trace));
	for (int i = 0; i < 4; i++) {
		CU_ASSERT_EQUAL(replayer_goto(s.r, 10 + 10 * (uint64_t)i, &stop), 0);
		c[i] = replayer_checkpoint(s.r, err, sizeof(err));
		CU_ASSERT_PTR_NOT_NULL_FATAL(c[i]);
	}
	for (int i = 3; i >= 0; i--)
		CU_ASSERT_EQUAL(replayer_restore(s.r, c[i], err, sizeof(err)), 0);
	for (int i = 0; i < 4; i++)
		replay_checkpoint_free(c[i]);
	CU_ASSERT_EQUAL(replayer_goto(s.r, UINT64_MAX, &stop), 0);
	CU_ASSERT_EQUAL(stop.kind, REPLAY_STOP_END);
	close_session(&s);
	CU_ASSERT_EQUAL(count_fds(), fds);
	int status;
	CU_ASSERT_EQUAL(waitpid(-1, &status, WNOHANG | __WALL), -1);
}

/* The debugger's breakpoints and watchpoints are not in a checkpoint:
 * after a restore the live process has none and runs to the end. */
static void test_no_breakpoints(void)
{
	struct session s;
	struct replay_stop stop;
	struct run_seen seen;
	double ms;

	uint64_t n = count_events(signals_trace);
	CU_ASSERT_TRUE_FATAL(open_session(&s, signals_trace));
	CU_ASSERT_EQUAL(replayer_goto(s.r, n / 2, &stop), 0);
	pid_t tid;
	CU_ASSERT_EQUAL_FATAL(replayer_threads(s.r, &tid, 1), 1);
	struct process *p = replayer_process(s.r);
	struct user_regs_struct g;
	CU_ASSERT_EQUAL(task_get_gregs(p, replayer_task(s.r, tid), &g), 0);
	/* The code the thread runs next, and a word of its stack. */
	CU_ASSERT_EQUAL(process_insert_breakpoint(p, g.rip), 0);
	CU_ASSERT_EQUAL(process_insert_hw(p, HW_WRITE, g.rsp & ~7ull, 8), 0);
	struct replay_checkpoint *c = timed_checkpoint(s.r, &ms);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	/* The live replay keeps them. */
	CU_ASSERT_TRUE(process_has_breakpoint(p, g.rip));
	CU_ASSERT_EQUAL(timed_restore(s.r, c, &ms), 0);
	CU_ASSERT_PTR_EQUAL(replayer_process(s.r), p);
	CU_ASSERT_EQUAL(p->nbps, 0);
	CU_ASSERT_FALSE(p->hw[0].used);
	uint8_t b;
	CU_ASSERT_EQUAL(process_read_memory(p, g.rip, &b, 1), 1);
	CU_ASSERT_NOT_EQUAL(b, 0xcc);
	run_to_end(&s, 0, &seen);
	free(seen.out);
	replay_checkpoint_free(c);
	close_session(&s);
}

/* Does a checkpoint at some event of the trace fail with `why`? */
static bool refused_somewhere(const char *trace, const char *why)
{
	struct session s;
	struct replay_stop stop;
	char err[512];
	bool seen = false;

	uint64_t n = count_events(trace);
	if (!open_session(&s, trace))
		return false;
	for (uint64_t e = replayer_current_event(s.r); e < n && !seen; e++) {
		replayer_goto(s.r, e, &stop);
		err[0] = '\0';
		struct replay_checkpoint *c = replayer_checkpoint(s.r, err,
								  sizeof(err));
		if (!c && strstr(err, why)) {
			printf("\n  %s", err);
			seen = true;
		}
		replay_checkpoint_free(c);
	}
	close_session(&s);
	return seen;
}

static void expect_refusal(struct replayer *r, const char *why)
{
	char err[512] = "";
	struct replay_checkpoint *c = replayer_checkpoint(r, err, sizeof(err));

	CU_ASSERT_PTR_NULL(c);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, why));
	printf("\n  %s", err);
	replay_checkpoint_free(c);
}

/* States that cannot be frozen exactly say why; a diverged replay comes
 * back from a checkpoint made before. */
static void test_refusals(void)
{
	struct session s;
	struct replay_stop stop;
	char err[512];

	CU_ASSERT_TRUE(refused_somewhere(mmap_trace, "shared and writable"));
	CU_ASSERT_TRUE(refused_somewhere(mmap_trace, "replayed processes exist"));
	CU_ASSERT_TRUE(refused_somewhere(shm_trace, "SysV shared memory"));
	/* A signal announced to the debugger, not yet delivered. */
	CU_ASSERT_TRUE_FATAL(open_session(&s, signals_trace));
	do {
		CU_ASSERT_EQUAL(replayer_resume(s.r, false, 0, &stop, -1), 0);
	} while (stop.kind != REPLAY_STOP_SIGNAL && stop.kind != REPLAY_STOP_END);
	CU_ASSERT_EQUAL(stop.kind, REPLAY_STOP_SIGNAL);
	expect_refusal(s.r, "announced");
	CU_ASSERT_EQUAL(replayer_goto(s.r, UINT64_MAX, &stop), 0);
	expect_refusal(s.r, "at its end");
	close_session(&s);
	/* A divergence at event 3: sticky, until a restore. */
	setenv("XRR_TEST_ALTER_EVENT", "3:arg0=4096", 1);
	bool opened = open_session(&s, signals_trace);
	unsetenv("XRR_TEST_ALTER_EVENT");
	CU_ASSERT_TRUE_FATAL(opened);
	CU_ASSERT_EQUAL(replayer_goto(s.r, 2, &stop), 0);
	struct replay_checkpoint *c = replayer_checkpoint(s.r, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_EQUAL(replayer_goto(s.r, UINT64_MAX, &stop), 0);
	CU_ASSERT_EQUAL(stop.kind, REPLAY_STOP_DIVERGED);
	expect_refusal(s.r, "diverged");
	CU_ASSERT_EQUAL(replayer_restore(s.r, c, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(replayer_current_event(s.r), 2);
	CU_ASSERT_EQUAL(replayer_goto(s.r, 3, &stop), 0);
	CU_ASSERT_EQUAL(stop.kind, REPLAY_STOP_EVENT);
	CU_ASSERT_EQUAL(replayer_goto(s.r, UINT64_MAX, &stop), 0);
	CU_ASSERT_EQUAL(stop.kind, REPLAY_STOP_DIVERGED);
	CU_ASSERT_EQUAL(stop.event, 3);
	replay_checkpoint_free(c);
	close_session(&s);
}

/* Resident memory of a process, from /proc/PID/status (KiB). */
static long rss_kib(pid_t pid)
{
	char path[64], line[256];
	long kb = -1;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	FILE *f = fopen(path, "re");
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %ld kB", &kb) == 1)
			break;
	if (f)
		fclose(f);
	return kb;
}

/* What a checkpoint of a process with 64 MiB resident costs: the fork
 * copies page tables, not pages; the copy's own memory grows only with
 * what the live replay writes afterwards. */
static void test_bigmem_costs(void)
{
	struct session s;
	struct replay_stop stop;
	struct run_seen a, b;
	double ck_ms, rs_ms;

	uint64_t n = count_events(bigmem_trace);
	CU_ASSERT_FATAL(n > 3);
	CU_ASSERT_TRUE_FATAL(open_session(&s, bigmem_trace));
	/* The write of the result is next: the buffer is full. */
	CU_ASSERT_EQUAL(replayer_goto(s.r, n - 2, &stop), 0);
	long rss = rss_kib(replayer_process(s.r)->pid);
	struct replay_checkpoint *c = timed_checkpoint(s.r, &ck_ms);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	uint64_t cost0 = replay_checkpoint_cost(c);
	run_to_end(&s, 0, &a);
	CU_ASSERT_EQUAL(timed_restore(s.r, c, &rs_ms), 0);
	run_to_end(&s, 0, &b);
	expect_same_run(&a, &b, false);
	printf("\n  bigmem: %ld KiB resident: checkpoint %.2f ms, restore "
	       "%.2f ms, cost %" PRIu64 " KiB at once, %" PRIu64 " KiB after"
	       " two runs to the end\n", rss, ck_ms, rs_ms, cost0 / 1024,
	       replay_checkpoint_cost(c) / 1024);
	CU_ASSERT(rss > 60 * 1024);
	free(a.out);
	free(b.out);
	replay_checkpoint_free(c);
	close_session(&s);
}

static const struct unit_test tests[] = {
	{ "signals: checkpoint, end, restore twice: same run", test_roundtrip_signals },
	{ "rec_files: checkpoint, end, restore twice: same run", test_roundtrip_files },
	{ "signals: every event restores exactly or is refused", test_sweep_signals },
	{ "rec_files: every event restores exactly or is refused", test_sweep_files },
	{ "conf_sys_mmap: every event restores exactly or is refused", test_sweep_mmap },
	{ "threads: refused while several are alive", test_threads },
	{ "refusals say why; a diverged replay is restored", test_refusals },
	{ "a restore ends a fork's child too", test_restore_over_fork },
	{ "freed checkpoints leave no fds or processes", test_nothing_left },
	{ "no breakpoints or watchpoints after a restore", test_no_breakpoints },
	{ "bigmem: times and cost with 64 MiB resident", test_bigmem_costs },
	{ NULL, NULL },
};

static const struct unit_suite suites[] = {
	{ "replay checkpoints", tests, record_all, cleanup },
};

UNIT_MAIN(suites)
