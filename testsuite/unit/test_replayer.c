/* Unit tests of the replay engine's pure parts: where the scratch pages
 * go, the order and flags mappings are recreated with, syscall matching,
 * and the test hook that alters a record. */
#include "config.h"

#include <CUnit/CUnit.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include "replay/recorder.h"
#include "replay/replay_int.h"
#include "testsuite/unit/cunit_main.h"

#include <elf.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static void test_scratch_avoids_used_ranges(void)
{
	struct replay_range used[] = {
		{ 0x6ffff0000000ull - 0x1000, 0x6ffff0000000ull + 0x3000 },
		{ 0x400000, 0x401000 },
	};
	uint64_t a = replay_plan_scratch(used, 2);

	CU_ASSERT(a != 0);
	CU_ASSERT(a % REPLAY_PAGE == 0);
	for (size_t i = 0; i < 2; i++)
		CU_ASSERT(a + REPLAY_SCRATCH_LEN <= used[i].start ||
			  a >= used[i].end);
	/* Nothing in the way: the first candidate. */
	CU_ASSERT_EQUAL(replay_plan_scratch(NULL, 0), 0x6ffff0000000ull);
}

static void test_scratch_none_free(void)
{
	struct replay_range all = { 0, REPLAY_USER_TOP };

	CU_ASSERT_EQUAL(replay_plan_scratch(&all, 1), 0);
}

static void test_order_stack_first(void)
{
	struct trace_mapping maps[4] = {
		{ .start = 0x7ffff7fc0000, .end = 0x7ffff7fc1000, .path = "/lib/ld.so",
		  .file = { "ab" } },
		{ .start = 0x7ffffffde000, .end = 0x7ffffffff000, .path = "[stack]" },
		{ .start = 0x555555554000, .end = 0x555555555000, .path = "/bin/x",
		  .file = { "cd" } },
		{ .start = 0x7ffff7fc4000, .end = 0x7ffff7fc6000, .path = "[vdso]" },
	};
	size_t order[4];

	replay_plan_order(maps, 4, order);
	CU_ASSERT_EQUAL(order[0], 1);
	CU_ASSERT_EQUAL(order[1], 2);
	CU_ASSERT_EQUAL(order[2], 0);
	CU_ASSERT_EQUAL(order[3], 3);
}

static void test_map_kinds_and_flags(void)
{
	struct trace_mapping file = { .path = "/bin/x", .file = { "ab" },
				      .flags = MAP_SHARED };
	struct trace_mapping stack = { .path = "[stack]" };
	struct trace_mapping anon = { .path = "", .flags = MAP_PRIVATE };
	struct trace_mapping vsys = { .start = 0xffffffffff600000ull,
				      .path = "[vsyscall]" };

	CU_ASSERT_EQUAL(replay_map_kind(&file), REPLAY_MAP_FILE);
	CU_ASSERT_EQUAL(replay_map_flags(&file), MAP_PRIVATE | MAP_FIXED);
	CU_ASSERT_EQUAL(replay_map_kind(&stack), REPLAY_MAP_STACK);
	CU_ASSERT(replay_map_flags(&stack) & MAP_GROWSDOWN);
	CU_ASSERT_EQUAL(replay_map_kind(&anon), REPLAY_MAP_ANON);
	CU_ASSERT_EQUAL(replay_map_flags(&anon),
			MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED);
	CU_ASSERT_EQUAL(replay_map_kind(&vsys), REPLAY_MAP_SKIP);
}

static void test_syscall_match(void)
{
	struct ev_syscall rec = { .number = SYS_write,
				  .args = { 1, 0x1000, 6, 0, 0, 0 } };
	uint64_t same[6] = { 1, 0x1000, 6, 0, 0, 0 };
	uint64_t other[6] = { 1, 0x1000, 7, 0, 0, 0 };
	char msg[480] = "";

	CU_ASSERT_TRUE(replay_syscall_matches(&rec, SYS_write, same, msg,
					      sizeof(msg)));
	CU_ASSERT_FALSE(replay_syscall_matches(&rec, SYS_write, other, msg,
					       sizeof(msg)));
	CU_ASSERT_PTR_NOT_NULL(strstr(msg, "expected write(0x1, 0x1000, 0x6"));
	CU_ASSERT_PTR_NOT_NULL(strstr(msg, "got write(0x1, 0x1000, 0x7"));
	CU_ASSERT_FALSE(replay_syscall_matches(&rec, SYS_read, same, msg,
					       sizeof(msg)));
	CU_ASSERT_PTR_NOT_NULL(strstr(msg, "got read("));
	/* write has three arguments: leftovers in r10, r8, r9 do not count. */
	uint64_t leftovers[6] = { 1, 0x1000, 6, 0x34bce6c3198d3, 7, 8 };
	CU_ASSERT_TRUE(replay_syscall_matches(&rec, SYS_write, leftovers, msg,
					      sizeof(msg)));
	/* An unknown number: all six. */
	rec.number = 0x7000;
	CU_ASSERT_FALSE(replay_syscall_matches(&rec, 0x7000, leftovers, msg,
					       sizeof(msg)));
}

static void test_alter_hook(void)
{
	struct replay_alter a;
	char err[256];
	struct trace_event ev = { .type = EV_SYSCALL };

	CU_ASSERT_EQUAL(replay_alter_parse("12:result=-2", &a, err, sizeof(err)), 0);
	CU_ASSERT_TRUE(a.active);
	replay_alter_apply(&a, 11, &ev);
	CU_ASSERT_EQUAL(ev.u.syscall.result, 0);
	replay_alter_apply(&a, 12, &ev);
	CU_ASSERT_EQUAL(ev.u.syscall.result, -2);
	CU_ASSERT_EQUAL(replay_alter_parse("3:arg2=0x10", &a, err, sizeof(err)), 0);
	replay_alter_apply(&a, 3, &ev);
	CU_ASSERT_EQUAL(ev.u.syscall.args[2], 0x10);
	CU_ASSERT_EQUAL(replay_alter_parse("3:arg9=1", &a, err, sizeof(err)), -1);
	CU_ASSERT_EQUAL(replay_alter_parse("x", &a, err, sizeof(err)), -1);
	CU_ASSERT_EQUAL(replay_alter_parse(NULL, &a, err, sizeof(err)), 0);
	CU_ASSERT_FALSE(a.active);
}


/* ---- a live replay of a recorded program --------------------------------- */

static char hello_trace[256];
static const struct replay_options quiet_opts = { .exec_stub = EXEC_STUB };

static int record_hello(void)
{
	char tmpl[] = "/tmp/xrr-test-replayer.XXXXXX";
	char *argv[] = { PROGS_DIR "/hello", NULL };
	struct recorder_options o = { .argv = argv, .path = argv[0], .cpu = -1 };
	struct recorder_result res;

	if (!mkdtemp(tmpl))
		return -1;
	snprintf(hello_trace, sizeof(hello_trace), "%s/trace", tmpl);
	o.trace_dir = hello_trace;
	/* The program's own output would mix with CUnit's. */
	fflush(stdout);
	int saved = dup(1), null = open("/dev/null", O_WRONLY);
	dup2(null, 1);
	int rc = recorder_run(&o, &res);
	dup2(saved, 1);
	close(saved);
	close(null);
	if (rc < 0)
		fprintf(stderr, "recording hello: %s\n", res.error);
	return rc < 0 ? -1 : 0;
}

static int cleanup_trace(void)
{
	char cmd[600];

	if (!hello_trace[0])
		return 0;
	snprintf(cmd, sizeof(cmd), "rm -rf '%.*s'", (int)(strrchr(hello_trace, '/') - hello_trace),
		 hello_trace);
	return system(cmd) == 0 ? 0 : -1;
}

/* Address of `name` in the replayed hello: the ELF symbol plus the load
 * bias (AT_ENTRY minus e_entry). */
static uint64_t symbol_address(struct replayer *r, const char *name)
{
	const void *auxv;
	size_t len;
	uint64_t at_entry = 0, found = 0;

	if (replayer_auxv(r, &auxv, &len) < 0)
		return 0;
	for (size_t off = 0; off + 16 <= len; off += 16) {
		uint64_t kv[2];
		memcpy(kv, (const uint8_t *)auxv + off, 16);
		if (kv[0] == AT_ENTRY)
			at_entry = kv[1];
	}
	elf_version(EV_CURRENT);
	int fd = open(PROGS_DIR "/hello", O_RDONLY);
	Elf *e = fd >= 0 ? elf_begin(fd, ELF_C_READ, NULL) : NULL;
	GElf_Ehdr eh;
	if (!e || !gelf_getehdr(e, &eh))
		goto out;
	for (Elf_Scn *scn = NULL; (scn = elf_nextscn(e, scn)) && !found;) {
		GElf_Shdr sh;
		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_SYMTAB)
			continue;
		Elf_Data *d = elf_getdata(scn, NULL);
		for (size_t i = 0; d && i < sh.sh_size / sh.sh_entsize; i++) {
			GElf_Sym sym;
			const char *n;
			if (gelf_getsym(d, (int)i, &sym) &&
			    (n = elf_strptr(e, sh.sh_link, sym.st_name)) &&
			    strcmp(n, name) == 0 && sym.st_value) {
				found = sym.st_value + (at_entry - eh.e_entry);
				break;
			}
		}
	}
out:
	if (e)
		elf_end(e);
	if (fd >= 0)
		close(fd);
	return found;
}

static uint64_t pc_of(struct replayer *r, pid_t tid)
{
	struct user_regs_struct g;
	struct task *t = replayer_task(r, tid);

	if (!t || task_get_gregs(replayer_process(r), t, &g) < 0)
		return 0;
	return g.rip;
}

static struct replayer *open_hello(void)
{
	char err[512] = "";
	struct replayer *r = replayer_open(hello_trace, &quiet_opts, err,
					   sizeof(err));

	if (!r)
		fprintf(stderr, "replayer_open: %s\n", err);
	return r;
}

static void test_open_state(void)
{
	struct replayer *r = open_hello();
	pid_t tids[4];
	const void *auxv;
	size_t len;

	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	CU_ASSERT_EQUAL(replayer_current_event(r), 1);  /* EV_EXEC replayed */
	CU_ASSERT_FALSE(replayer_at_end(r));
	CU_ASSERT_EQUAL(replayer_threads(r, tids, 4), 1);
	CU_ASSERT_EQUAL(tids[0], replayer_recorded_pid(r));
	CU_ASSERT_PTR_NOT_NULL(strstr(replayer_exec_path(r), "/hello"));
	CU_ASSERT_EQUAL(replayer_auxv(r, &auxv, &len), 0);
	CU_ASSERT(len >= 16 && len % 16 == 0);
	CU_ASSERT_NOT_EQUAL(replayer_thread_xcr0(r, tids[0]), 0);
	/* The first instruction: ld.so's entry, as recorded. */
	CU_ASSERT_NOT_EQUAL(pc_of(r, tids[0]), 0);
	int fd = replayer_open_recorded_file(r, replayer_exec_path(r));
	CU_ASSERT(fd >= 0);
	if (fd >= 0)
		close(fd);
	CU_ASSERT(replayer_open_recorded_file(r, "/no/such/file") < 0);
	replayer_close(r);
}

static void test_breakpoint_step_end(void)
{
	struct replayer *r = open_hello();
	struct replay_stop stop;

	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	uint64_t add = symbol_address(r, "add");
	CU_ASSERT_NOT_EQUAL_FATAL(add, 0);
	CU_ASSERT_EQUAL(process_insert_breakpoint(replayer_process(r), add), 0);
	CU_ASSERT_EQUAL(replayer_resume(r, false, 0, &stop, -1), 0);
	CU_ASSERT_EQUAL(stop.kind, REPLAY_STOP_BREAKPOINT);
	CU_ASSERT_EQUAL(stop.tid, replayer_recorded_pid(r));
	CU_ASSERT_EQUAL(pc_of(r, stop.tid), add);
	/* The breakpoint byte stays hidden from clean reads. */
	uint8_t b;
	CU_ASSERT_EQUAL(process_read_memory_clean(replayer_process(r), add, &b, 1), 1);
	CU_ASSERT_NOT_EQUAL(b, 0xcc);
	/* Step one instruction off the breakpoint (it stays inserted). */
	CU_ASSERT_EQUAL(replayer_resume(r, true, stop.tid, &stop, -1), 0);
	CU_ASSERT_EQUAL(stop.kind, REPLAY_STOP_STEP);
	uint64_t pc = pc_of(r, stop.tid);
	CU_ASSERT(pc > add && pc < add + 16);
	CU_ASSERT_TRUE(process_has_breakpoint(replayer_process(r), add));
	/* add() runs once: the next stop is the end, not the breakpoint. */
	CU_ASSERT_EQUAL(replayer_resume(r, false, 0, &stop, -1), 0);
	CU_ASSERT_EQUAL(stop.kind, REPLAY_STOP_END);
	CU_ASSERT_TRUE(WIFEXITED(stop.exit_status));
	CU_ASSERT_EQUAL(WEXITSTATUS(stop.exit_status), 0);
	CU_ASSERT_TRUE(replayer_at_end(r));
	/* The program is still there to look at. */
	CU_ASSERT_NOT_EQUAL(pc_of(r, stop.tid), 0);
	/* And the end stays the end. */
	CU_ASSERT_EQUAL(replayer_resume(r, false, 0, &stop, -1), 0);
	CU_ASSERT_EQUAL(stop.kind, REPLAY_STOP_END);
	replayer_close(r);
}

static void test_goto_and_restart(void)
{
	struct replayer *r = open_hello();
	struct replay_stop stop;
	char err[512];

	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	CU_ASSERT_EQUAL(replayer_goto(r, 10, &stop), 0);
	CU_ASSERT_EQUAL(stop.kind, REPLAY_STOP_EVENT);
	CU_ASSERT_EQUAL(replayer_current_event(r), 10);
	CU_ASSERT_EQUAL(replayer_goto(r, 5, &stop), -1);   /* backwards */
	CU_ASSERT_EQUAL(replayer_restart(r, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(replayer_current_event(r), 1);
	CU_ASSERT_EQUAL(replayer_goto(r, 5, &stop), 0);
	CU_ASSERT_EQUAL(replayer_current_event(r), 5);
	CU_ASSERT_EQUAL(replayer_resume(r, false, 0, &stop, -1), 0);
	CU_ASSERT_EQUAL(stop.kind, REPLAY_STOP_END);
	replayer_close(r);
}

static void test_interrupt(void)
{
	struct replayer *r = open_hello();
	struct replay_stop stop;
	int fds[2];

	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	CU_ASSERT_EQUAL_FATAL(pipe(fds), 0);
	CU_ASSERT_EQUAL(write(fds[1], "x", 1), 1);
	CU_ASSERT_EQUAL(replayer_resume(r, false, 0, &stop, fds[0]), 0);
	/* Readable from the start: the first wait notices it (or the
	 * program ends first, which hello may). */
	CU_ASSERT(stop.kind == REPLAY_STOP_INTERRUPTED ||
		  stop.kind == REPLAY_STOP_END);
	if (stop.kind == REPLAY_STOP_INTERRUPTED) {
		char c;
		CU_ASSERT_EQUAL(read(fds[0], &c, 1), 1);
		CU_ASSERT_EQUAL(replayer_resume(r, false, 0, &stop, fds[0]), 0);
		CU_ASSERT_EQUAL(stop.kind, REPLAY_STOP_END);
	}
	close(fds[0]);
	close(fds[1]);
	replayer_close(r);
}

static void test_divergence_sticks(void)
{
	struct replayer *r;
	struct replay_stop stop;

	setenv("XRR_TEST_ALTER_EVENT", "3:arg0=4096", 1);
	r = open_hello();
	unsetenv("XRR_TEST_ALTER_EVENT");
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	CU_ASSERT_EQUAL(replayer_resume(r, false, 0, &stop, -1), 0);
	CU_ASSERT_EQUAL(stop.kind, REPLAY_STOP_DIVERGED);
	CU_ASSERT_EQUAL(stop.event, 3);
	CU_ASSERT_PTR_NOT_NULL(strstr(stop.message, "replay diverged at event 3 (tid "));
	CU_ASSERT_PTR_NOT_NULL(strstr(stop.message, "expected "));
	CU_ASSERT_EQUAL(replayer_resume(r, false, 0, &stop, -1), 0);
	CU_ASSERT_EQUAL(stop.kind, REPLAY_STOP_DIVERGED);
	CU_ASSERT_EQUAL(stop.event, 3);
	replayer_close(r);
}

static const struct unit_test live_tests[] = {
	{ "open: state before the first instruction", test_open_state },
	{ "breakpoint, step, end with the exit status", test_breakpoint_step_end },
	{ "goto an event, restart", test_goto_and_restart },
	{ "interrupt_fd stops a resume", test_interrupt },
	{ "a divergence is reported again, never continued", test_divergence_sticks },
	{ NULL, NULL },
};

static const struct unit_test plan_tests[] = {
	{ "scratch pages avoid used ranges", test_scratch_avoids_used_ranges },
	{ "no room for scratch pages", test_scratch_none_free },
	{ "stack recreated first, then by address", test_order_stack_first },
	{ "mapping kinds and mmap flags", test_map_kinds_and_flags },
	{ NULL, NULL },
};

static const struct unit_test match_tests[] = {
	{ "syscall number and all six arguments", test_syscall_match },
	{ "XRR_TEST_ALTER_EVENT parsing and effect", test_alter_hook },
	{ NULL, NULL },
};

static const struct unit_suite suites[] = {
	{ "replay plan", plan_tests, NULL, NULL },
	{ "replay matching", match_tests, NULL, NULL },
	{ "live replay of hello", live_tests, record_hello, cleanup_trace },
};

int main(void)
{
	return unit_run(suites, sizeof(suites) / sizeof(suites[0]));
}
