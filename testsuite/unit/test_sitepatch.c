/* Patched syscall sites (replay/sitepatch.h): which instructions before a
 * `syscall` the jump may replace, and the trampoline run for real: a
 * small function in an RWX page of this process is patched, its
 * trampoline put on the next page, and it is called with a stand-in for
 * the library's hook that either answers the call (rax = 12345) or
 * declines it (the real syscall runs). */
#include "config.h"

#include <CUnit/CUnit.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "replay/sitepatch.h"
#include "syscallbuf/syscallbuf_abi.h"
#include "testsuite/unit/cunit_main.h"

#define BASE 0x400000ull

/* code placed at BASE + pad: the syscall's address is returned. */
static uint64_t place(uint8_t *buf, size_t cap, size_t pad,
		      const uint8_t *code, size_t n, size_t sys_off)
{
	memset(buf, 0x90, cap);         /* nops before it */
	memcpy(buf + pad, code, n);
	return BASE + pad + sys_off;
}

static void test_mov_imm_eax(void)
{
	/* mov $202,%eax; syscall; ret */
	static const uint8_t code[] = { 0xb8, 0xca, 0, 0, 0, 0x0f, 0x05, 0xc3 };
	uint8_t buf[64];
	struct sitepatch p;
	char why[160];
	uint64_t sys = place(buf, sizeof(buf), 16, code, sizeof(code), 5);

	CU_ASSERT_EQUAL_FATAL(sitepatch_plan(&p, buf, sizeof(buf), BASE, sys,
					     why, sizeof(why)), 0);
	CU_ASSERT_EQUAL(p.start, sys - 5);
	CU_ASSERT_EQUAL(p.displaced, 5);
}

static void test_libgomp_shape(void)
{
	/* mov $0xca,%r8d; mov $1,%edx; mov %r8d,%eax; syscall: the last two
	 * (8 bytes) move, the first stays. */
	static const uint8_t code[] = {
		0x41, 0xb8, 0xca, 0, 0, 0,      /* mov $0xca,%r8d */
		0xba, 0x01, 0, 0, 0,            /* mov $1,%edx */
		0x44, 0x89, 0xc0,               /* mov %r8d,%eax */
		0x0f, 0x05, 0xc3,
	};
	uint8_t buf[64];
	struct sitepatch p;
	char why[160];
	uint64_t sys = place(buf, sizeof(buf), 8, code, sizeof(code), 14);

	CU_ASSERT_EQUAL_FATAL(sitepatch_plan(&p, buf, sizeof(buf), BASE, sys,
					     why, sizeof(why)), 0);
	CU_ASSERT_EQUAL(p.start, sys - 8);
	CU_ASSERT_EQUAL(p.displaced, 8);
}

static void test_refusals(void)
{
	/* je +2 right before: a branch cannot move. */
	static const uint8_t branch[] = { 0x74, 0x02, 0x89, 0xc0, 0x0f, 0x05,
					  0xc3, 0xc3 };
	/* jmp back into the middle of what the jump would cover. */
	static const uint8_t target[] = {
		0x89, 0xc0,                     /* mov %eax,%eax */
		0x89, 0xc0,                     /* mov %eax,%eax  <- lands here */
		0x89, 0xc0,                     /* mov %eax,%eax */
		0x0f, 0x05,
		0xeb, 0xf8,                     /* jmp -8: to the second mov */
	};
	/* cpuid is trapped by the tracer (--xcr0): never copied. */
	static const uint8_t cpuid[] = { 0x0f, 0xa2, 0x89, 0xc0, 0x89, 0xc0,
					 0x0f, 0x05 };
	uint8_t buf[64];
	struct sitepatch p;
	char why[160] = "";
	uint64_t sys;

	sys = place(buf, sizeof(buf), 16, branch, sizeof(branch), 4);
	CU_ASSERT_EQUAL(sitepatch_plan(&p, buf, sizeof(buf), BASE, sys, why,
				       sizeof(why)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(why, "branch"));
	sys = place(buf, sizeof(buf), 16, target, sizeof(target), 6);
	CU_ASSERT_EQUAL(sitepatch_plan(&p, buf, sizeof(buf), BASE, sys, why,
				       sizeof(why)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(why, "lands"));
	sys = place(buf, sizeof(buf), 16, cpuid, sizeof(cpuid), 6);
	CU_ASSERT_EQUAL(sitepatch_plan(&p, buf, sizeof(buf), BASE, sys, why,
				       sizeof(why)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(why, "trapped"));
	/* The mapping starts 3 bytes before the syscall. */
	static const uint8_t shortc[] = { 0x89, 0xc0, 0x90, 0x0f, 0x05 };
	CU_ASSERT_EQUAL(sitepatch_plan(&p, shortc, sizeof(shortc), BASE,
				       BASE + 3, why, sizeof(why)), -1);
	/* No syscall there at all. */
	CU_ASSERT_EQUAL(sitepatch_plan(&p, shortc, sizeof(shortc), BASE,
				       BASE + 1, why, sizeof(why)), -1);
}

/* ---- run for real ------------------------------------------------------------ */

/* Stand-ins for xrr_sb_site_hook: answer with 12345, or decline. */
long test_hook_answer(void);
long test_hook_decline(void);
__asm__(".text\n"
	"test_hook_answer:\n\t"
	"mov $12345, %eax\n\t"
	"ret\n"
	"test_hook_decline:\n\t"
	"addq $" XRR_SB_SITE_DECLINE_STR ", (%rsp)\n\t"
	"ret\n");

static void run_patched(uint64_t hook, long want, int expect_word)
{
	/* mov $39,%eax (getpid); mov data(%rip),%edi; syscall;
	 * mov %edi,data+4(%rip); ret: the rip-relative load is what moves
	 * into the trampoline. */
	uint8_t *page = mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE | PROT_EXEC,
			     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CU_ASSERT_FATAL(page != MAP_FAILED);
	uint8_t *fn = page + 64;
	int32_t *data = (int32_t *)(page + 2 * 4096);
	*data = expect_word;
	memset(page, 0x90, 64);
	size_t n = 0;
	fn[n++] = 0xb8; fn[n++] = 39; fn[n++] = 0; fn[n++] = 0; fn[n++] = 0;
	fn[n++] = 0x8b; fn[n++] = 0x3d;                 /* mov disp32(%rip),%edi */
	int32_t d = (int32_t)((uint8_t *)data - (fn + n + 4));
	memcpy(fn + n, &d, 4);
	n += 4;
	size_t sys_off = n;
	fn[n++] = 0x0f; fn[n++] = 0x05;
	fn[n++] = 0x89; fn[n++] = 0x3d;                 /* mov %edi,disp32(%rip) */
	d = (int32_t)((uint8_t *)(data + 1) - (fn + n + 4));
	memcpy(fn + n, &d, 4);
	n += 4;
	fn[n++] = 0xc3;
	uint64_t base = (uint64_t)(uintptr_t)page;
	uint64_t sys = (uint64_t)(uintptr_t)(fn + sys_off);
	uint64_t tramp = base + 4096;
	struct sitepatch p;
	char why[160] = "";

	CU_ASSERT_EQUAL_FATAL(sitepatch_plan(&p, page, 4096, base, sys, why,
					     sizeof(why)), 0);
	CU_ASSERT_EQUAL(p.start, (uint64_t)(uintptr_t)fn + 5);  /* the load */
	CU_ASSERT_EQUAL_FATAL(sitepatch_build(&p, page, 4096, base, hook, tramp,
					      why, sizeof(why)), 0);
	memcpy((void *)(uintptr_t)tramp, p.tramp, p.tramp_len);
	memcpy((void *)(uintptr_t)p.start, p.jump, SITEPATCH_JUMP_LEN);
	long (*f)(void) = (long (*)(void))(uintptr_t)fn;
	CU_ASSERT_EQUAL(f(), want);
	CU_ASSERT_EQUAL(data[1], expect_word);  /* edi kept through it */
	munmap(page, 3 * 4096);
}

static void test_run_answered(void)
{
	run_patched((uint64_t)(uintptr_t)test_hook_answer, 12345, 41);
}

static void test_run_declined(void)
{
	run_patched((uint64_t)(uintptr_t)test_hook_decline, getpid(), 42);
}

static void test_out_of_reach(void)
{
	static const uint8_t code[] = { 0xb8, 0xca, 0, 0, 0, 0x0f, 0x05, 0xc3 };
	uint8_t buf[64];
	struct sitepatch p;
	char why[160] = "";
	uint64_t sys = place(buf, sizeof(buf), 16, code, sizeof(code), 5);

	CU_ASSERT_EQUAL_FATAL(sitepatch_plan(&p, buf, sizeof(buf), BASE, sys,
					     why, sizeof(why)), 0);
	CU_ASSERT_EQUAL(sitepatch_build(&p, buf, sizeof(buf), BASE, 0x1234,
					BASE + (8ull << 30), why, sizeof(why)),
			-1);
	CU_ASSERT_PTR_NOT_NULL(strstr(why, "reach"));
}

static const struct unit_test plan_tests[] = {
	{ "mov $nr,%eax before the syscall", test_mov_imm_eax },
	{ "libgomp's futex wake", test_libgomp_shape },
	{ "refused: branch, branch target, trapped, too short", test_refusals },
	{ "trampoline out of reach", test_out_of_reach },
	{ NULL, NULL },
};

static const struct unit_test run_tests[] = {
	{ "answered by the hook", test_run_answered },
	{ "declined: the real syscall", test_run_declined },
	{ NULL, NULL },
};

static const struct unit_suite suites[] = {
	{ "sitepatch plan", plan_tests, NULL, NULL },
	{ "sitepatch run", run_tests, NULL, NULL },
};

int main(void)
{
	return unit_run(suites, sizeof(suites) / sizeof(suites[0]));
}
