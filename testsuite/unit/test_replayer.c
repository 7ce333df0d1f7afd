/* Unit tests of the replay engine's pure parts: where the scratch pages
 * go, the order and flags mappings are recreated with, syscall matching,
 * and the test hook that alters a record. */
#include "config.h"

#include <CUnit/CUnit.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include "replay/replay_int.h"
#include "testsuite/unit/cunit_main.h"

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
};

int main(void)
{
	return unit_run(suites, sizeof(suites) / sizeof(suites[0]));
}
