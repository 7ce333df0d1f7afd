/* The conditional-trap trampoline (replay/point_patch.h) on real code:
 * small loops are assembled into an RWX buffer of this process, the
 * trampoline is put on a page within rel32 reach, the loop head is
 * patched with the jump, and the loop is run as a function on a stack of
 * its own with every general register loaded from a table.  A SIGTRAP
 * handler (on an alternate stack, so nothing near the loop's rsp is
 * written by the kernel) copies the context; the test then checks rip,
 * all 16 registers, eflags and the red zone against the target. */
#include "config.h"

#include <CUnit/CUnit.h>
#include <setjmp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#include "replay/point_patch.h"
#include "testsuite/unit/cunit_main.h"

#define PAGE 4096
#define CODE_PAGES 2
#define DATA_OFF PAGE           /* data words live on the second page */
#define STACK_SIZE (64 * 1024)
#define STACK_PATTERN 0xa5

/* ---- a tiny assembler for the test loops -------------------------------- */

struct code {
	uint8_t *b;
	size_t len;
};

static void put(struct code *c, const uint8_t *bytes, size_t n)
{
	memcpy(c->b + c->len, bytes, n);
	c->len += n;
}

#define PUT(c, ...) do { \
	static const uint8_t bytes_[] = { __VA_ARGS__ }; \
	put((c), bytes_, sizeof(bytes_)); \
} while (0)

/* An instruction ending in a disp32 to `target`, rip-relative. */
static void put_riprel(struct code *c, const uint8_t *op, size_t n,
		       uint64_t target)
{
	put(c, op, n);
	int32_t d = (int32_t)(target - ((uint64_t)(uintptr_t)(c->b + c->len) + 4));
	memcpy(c->b + c->len, &d, 4);
	c->len += 4;
}

#define PUT_RIPREL(c, target, ...) do { \
	static const uint8_t op_[] = { __VA_ARGS__ }; \
	put_riprel((c), op_, sizeof(op_), (target)); \
} while (0)

static void put_jne_back(struct code *c, size_t label)
{
	uint8_t j[2] = { 0x75, (uint8_t)(int8_t)((long)label - (long)(c->len + 2)) };
	put(c, j, 2);
}

/* ---- the runner: every register from a table, a stack of its own -------- */

static uint8_t *code_buf;       /* CODE_PAGES pages, RWX */
static uint8_t *tramp_page;     /* one RWX page within rel32 reach */
static uint8_t *stack_buf;
static struct code cur;

static uint64_t data_addr(size_t off)
{
	return (uint64_t)(uintptr_t)(code_buf + DATA_OFF + off);
}

#define HOST_RSP_SLOT data_addr(0)
#define TABLE data_addr(8)      /* a constant the rip-relative loop adds */
#define COUNTER data_addr(16)   /* the memory-progress loop's counter */
#define OTHER data_addr(24)     /* a word that never changes */

/* run(regs): saves the callee-saved registers and rsp, loads all 16
 * registers from regs[] (enum point_gpr order; rdi last), falls into the
 * loop body. */
static void put_prologue(struct code *c)
{
	PUT(c, 0x53, 0x55, 0x41, 0x54, 0x41, 0x55, 0x41, 0x56, 0x41, 0x57);
	PUT_RIPREL(c, HOST_RSP_SLOT, 0x48, 0x89, 0x25); /* mov [slot],rsp */
	PUT(c, 0x48, 0x8b, 0x07,                /* mov rax,[rdi] */
	    0x48, 0x8b, 0x5f, 0x08,             /* rbx */
	    0x48, 0x8b, 0x4f, 0x10,             /* rcx */
	    0x48, 0x8b, 0x57, 0x18,             /* rdx */
	    0x48, 0x8b, 0x77, 0x20,             /* rsi */
	    0x48, 0x8b, 0x6f, 0x30,             /* rbp */
	    0x48, 0x8b, 0x67, 0x38,             /* rsp */
	    0x4c, 0x8b, 0x47, 0x40, 0x4c, 0x8b, 0x4f, 0x48,     /* r8 r9 */
	    0x4c, 0x8b, 0x57, 0x50, 0x4c, 0x8b, 0x5f, 0x58,     /* r10 r11 */
	    0x4c, 0x8b, 0x67, 0x60, 0x4c, 0x8b, 0x6f, 0x68,     /* r12 r13 */
	    0x4c, 0x8b, 0x77, 0x70, 0x4c, 0x8b, 0x7f, 0x78,     /* r14 r15 */
	    0x48, 0x8b, 0x7f, 0x28);            /* rdi */
}

/* The result is in rax. */
static void put_epilogue(struct code *c)
{
	PUT_RIPREL(c, HOST_RSP_SLOT, 0x48, 0x8b, 0x25); /* mov rsp,[slot] */
	PUT(c, 0x41, 0x5f, 0x41, 0x5e, 0x41, 0x5d, 0x41, 0x5c, 0x5d, 0x5b,
	    0xc3);
}

/* Loop A, registers only: returns (3n << 32) + n.
 *   L: inc rax; add rbx,3; cmp rax,rdi; jne L; shl rbx,32; add rax,rbx */
static size_t put_loop_regs(struct code *c)
{
	size_t l = c->len;

	PUT(c, 0x48, 0xff, 0xc0, 0x48, 0x83, 0xc3, 0x03, 0x48, 0x39, 0xf8);
	put_jne_back(c, l);
	PUT(c, 0x48, 0xc1, 0xe3, 0x20, 0x48, 0x01, 0xd8);
	return l;
}

/* Loop B, a rip-relative load in the displaced window: returns 5n.
 *   L: inc rcx; add rax,[rip+TABLE]; cmp rcx,rdi; jne L */
static size_t put_loop_riprel(struct code *c)
{
	size_t l = c->len;

	PUT(c, 0x48, 0xff, 0xc1);
	PUT_RIPREL(c, TABLE, 0x48, 0x03, 0x05);
	PUT(c, 0x48, 0x39, 0xf9);
	put_jne_back(c, l);
	return l;
}

/* Loop C, progress only in memory (registers equal on every pass):
 *   L: inc qword [rip+COUNTER]; cmp [rip+COUNTER],rdi; jne L;
 *      mov rax,[rip+COUNTER] */
static size_t put_loop_memory(struct code *c)
{
	size_t l = c->len;

	PUT_RIPREL(c, COUNTER, 0x48, 0xff, 0x05);
	PUT_RIPREL(c, COUNTER, 0x48, 0x39, 0x3d);
	put_jne_back(c, l);
	PUT_RIPREL(c, COUNTER, 0x48, 0x8b, 0x05);
	return l;
}

/* Assembles prologue, one loop, epilogue; returns the loop head. */
static uint64_t assemble(size_t (*loop)(struct code *))
{
	memset(code_buf, 0xcc, DATA_OFF);
	memset(code_buf + DATA_OFF, 0, PAGE);
	*(uint64_t *)(uintptr_t)TABLE = 5;
	*(uint64_t *)(uintptr_t)OTHER = 7;
	cur = (struct code){ .b = code_buf };
	put_prologue(&cur);
	size_t l = loop(&cur);
	put_epilogue(&cur);
	return (uint64_t)(uintptr_t)(code_buf + l);
}

/* Distinct register values; rdi is the iteration count, rsp a stack of
 * the test's own filled with a pattern. */
static void initial_regs(uint64_t regs[POINT_NGPR], uint64_t n)
{
	for (int i = 0; i < POINT_NGPR; i++)
		regs[i] = 0x1111111111111111ull * (uint64_t)(i + 1) + 0x0102;
	regs[POINT_RAX] = 0;
	regs[POINT_RBX] = 0x10;
	regs[POINT_RCX] = 0;
	regs[POINT_RDI] = n;
	memset(stack_buf, STACK_PATTERN, STACK_SIZE);
	regs[POINT_RSP] = (uint64_t)(uintptr_t)(stack_buf + STACK_SIZE - PAGE);
}

/* ---- signals ------------------------------------------------------------- */

static sigjmp_buf jump_out;
static volatile sig_atomic_t last_sig, ntraps;
static volatile bool resume_on_trap;
static greg_t trap_gregs[NGREG];
static uint8_t trap_redzone[128];
static uint64_t trap_counter;

static const int gpr_reg[POINT_NGPR] = {
	REG_RAX, REG_RBX, REG_RCX, REG_RDX, REG_RSI, REG_RDI, REG_RBP, REG_RSP,
	REG_R8, REG_R9, REG_R10, REG_R11, REG_R12, REG_R13, REG_R14, REG_R15,
};

/* Copies what the test checks; asserting here would be unsafe. */
static void on_signal(int sig, siginfo_t *si, void *ucv)
{
	const ucontext_t *uc = ucv;

	(void)si;
	last_sig = sig;
	if (sig == SIGTRAP) {
		ntraps++;
		memcpy(trap_gregs, uc->uc_mcontext.gregs, sizeof(trap_gregs));
		memcpy(trap_redzone,
		       (const void *)(uintptr_t)(uc->uc_mcontext.gregs[REG_RSP] - 128),
		       sizeof(trap_redzone));
		trap_counter = *(volatile uint64_t *)(uintptr_t)COUNTER;
		if (resume_on_trap)
			return;
	}
	siglongjmp(jump_out, 1);
}

static void handle(int sig, bool on)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_signal;
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
	sigemptyset(&sa.sa_mask);
	if (!on)
		sa.sa_handler = SIG_DFL, sa.sa_flags = 0;
	sigaction(sig, &sa, NULL);
}

static void handlers(bool on)
{
	static const int sigs[] = { SIGTRAP, SIGSEGV, SIGILL, SIGBUS, SIGALRM };

	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		handle(sigs[i], on);
}

typedef uint64_t (*run_fn)(const uint64_t *regs);

/* Runs the assembled code; returns its rax, or sets *sig to the signal
 * that ended it (SIGTRAP for the match; SIGALRM if it never ended). */
static uint64_t run(const uint64_t regs[POINT_NGPR], int *sig)
{
	static volatile uint64_t result;
	run_fn fn;

	memcpy(&fn, &(void *){ code_buf }, sizeof(fn));
	last_sig = 0;
	ntraps = 0;
	result = 0;
	handlers(true);
	alarm(20);
	if (sigsetjmp(jump_out, 1) == 0)
		result = fn(regs);
	alarm(0);
	handlers(false);
	*sig = last_sig;
	return result;
}

/* ---- expected flags ------------------------------------------------------ */

/* eflags after `cmp a,b` (a - b), read with pushfq below the red zone. */
static uint64_t flags_cmp(uint64_t a, uint64_t b)
{
	uint64_t f;

	__asm__ volatile("lea -128(%%rsp),%%rsp\n\t"
			 "cmp %2,%1\n\t"
			 "pushfq\n\t"
			 "popq %0\n\t"
			 "lea 128(%%rsp),%%rsp"
			 : "=&r"(f) : "r"(a), "r"(b) : "cc");
	return f;
}

/* eflags after `cmp a,b` then `inc c` (inc keeps CF). */
static uint64_t flags_cmp_inc(uint64_t a, uint64_t b, uint64_t c)
{
	uint64_t f;

	__asm__ volatile("lea -128(%%rsp),%%rsp\n\t"
			 "cmp %2,%1\n\t"
			 "inc %3\n\t"
			 "pushfq\n\t"
			 "popq %0\n\t"
			 "lea 128(%%rsp),%%rsp"
			 : "=&r"(f), "+r"(a), "+r"(b), "+r"(c) : : "cc");
	return f;
}

/* ---- patching ------------------------------------------------------------ */

static char why[256];

static int build(struct point_patch *p, const struct point_target *t,
		 size_t safe_len)
{
	why[0] = 0;
	return point_patch_build(p, t, (const uint8_t *)(uintptr_t)t->rip, 32,
				 safe_len, (uint64_t)(uintptr_t)tramp_page,
				 why, sizeof(why));
}

static void apply(const struct point_patch *p)
{
	memset(tramp_page, 0xcc, PAGE);
	memcpy(tramp_page, p->tramp, p->tramp_len);
	memcpy((void *)(uintptr_t)p->rip, p->jump, p->displaced);
}

static void target_at(struct point_target *t, uint64_t rip,
		      const uint64_t regs[POINT_NGPR])
{
	memset(t, 0, sizeof(*t));
	t->rip = rip;
	memcpy(t->gpr, regs, sizeof(t->gpr));
}

/* The trap happened at the target state: rip, registers, flags, and the
 * 128 bytes below rsp still hold the stack pattern. */
static void check_trap(const struct point_patch *p,
		       const struct point_target *t, uint64_t eflags)
{
	CU_ASSERT_EQUAL(ntraps, 1);
	CU_ASSERT_EQUAL((uint64_t)trap_gregs[REG_RIP], p->match_trap);
	for (int i = 0; i < POINT_NGPR; i++) {
		if ((uint64_t)trap_gregs[gpr_reg[i]] != t->gpr[i])
			printf("\n  gpr %d: 0x%llx, want 0x%llx", i,
			       (unsigned long long)trap_gregs[gpr_reg[i]],
			       (unsigned long long)t->gpr[i]);
		CU_ASSERT_EQUAL((uint64_t)trap_gregs[gpr_reg[i]], t->gpr[i]);
	}
	if ((uint64_t)trap_gregs[REG_EFL] != eflags)
		printf("\n  eflags 0x%llx, want 0x%llx",
		       (unsigned long long)trap_gregs[REG_EFL],
		       (unsigned long long)eflags);
	CU_ASSERT_EQUAL((uint64_t)trap_gregs[REG_EFL], eflags);
	uint8_t pattern[128];
	memset(pattern, STACK_PATTERN, sizeof(pattern));
	CU_ASSERT_EQUAL(memcmp(trap_redzone, pattern, sizeof(pattern)), 0);
}

/* ---- tests --------------------------------------------------------------- */

/* Loop A, the point at the loop head in pass k: rax = k, rbx = 16 + 3k,
 * flags from the cmp of pass k - 1. */
static void test_match_loop_head(void)
{
	const uint64_t n = 1000, k = 777;
	uint64_t regs[POINT_NGPR];
	struct point_target t;
	struct point_patch p;
	int sig;

	uint64_t rip = assemble(put_loop_regs);
	initial_regs(regs, n);
	target_at(&t, rip, regs);
	t.gpr[POINT_RAX] = k;
	t.gpr[POINT_RBX] = 0x10 + 3 * k;
	CU_ASSERT_EQUAL_FATAL(build(&p, &t, 10), 0);
	CU_ASSERT_EQUAL(p.displaced, 7);        /* inc rax; add rbx,3 */
	apply(&p);
	run(regs, &sig);
	CU_ASSERT_EQUAL(sig, SIGTRAP);
	check_trap(&p, &t, flags_cmp(k, n));
	CU_ASSERT_EQUAL(trap_gregs[REG_RAX], (greg_t)k);
}

/* Loop A, the point one instruction in (add rbx,3): rax = k + 1,
 * rbx = 16 + 3k, flags from cmp then inc. */
static void test_match_second_insn(void)
{
	const uint64_t n = 1000, k = 500;
	uint64_t regs[POINT_NGPR];
	struct point_target t;
	struct point_patch p;
	int sig;

	uint64_t rip = assemble(put_loop_regs) + 3;
	initial_regs(regs, n);
	target_at(&t, rip, regs);
	t.gpr[POINT_RAX] = k + 1;
	t.gpr[POINT_RBX] = 0x10 + 3 * k;
	/* add rbx,3 and cmp rax,rdi; the jne after them may not move. */
	CU_ASSERT_EQUAL_FATAL(build(&p, &t, 7), 0);
	CU_ASSERT_EQUAL(p.displaced, 7);
	apply(&p);
	run(regs, &sig);
	CU_ASSERT_EQUAL(sig, SIGTRAP);
	check_trap(&p, &t, flags_cmp_inc(k, n, k));
}

/* No pass matches: the loop ends with its normal result, and the
 * trampoline did run (flags pushed just below the red zone). */
static void test_no_match_runs_through(void)
{
	const uint64_t n = 1000;
	uint64_t regs[POINT_NGPR];
	struct point_target t;
	struct point_patch p;
	int sig;

	uint64_t rip = assemble(put_loop_regs);
	initial_regs(regs, n);
	target_at(&t, rip, regs);
	t.gpr[POINT_RAX] = n + 5;
	CU_ASSERT_EQUAL_FATAL(build(&p, &t, 10), 0);
	apply(&p);
	uint64_t r = run(regs, &sig);
	CU_ASSERT_EQUAL(sig, 0);
	CU_ASSERT_EQUAL(r, ((0x10 + 3 * n) << 32) + n);
	const uint8_t *rsp = (const uint8_t *)(uintptr_t)regs[POINT_RSP];
	uint8_t pattern[128];
	memset(pattern, STACK_PATTERN, sizeof(pattern));
	CU_ASSERT_EQUAL(memcmp(rsp - 128, pattern, 128), 0);
	CU_ASSERT_NOT_EQUAL(memcmp(rsp - 136, pattern, 8), 0);
}

/* Each register is compared: the right pass with one register off by
 * one never traps. */
static void test_each_register_compared(void)
{
	const uint64_t n = 300, k = 100;
	uint64_t regs[POINT_NGPR];
	struct point_target t;
	struct point_patch p;
	int sig;

	for (int r = 0; r < POINT_NGPR; r++) {
		uint64_t rip = assemble(put_loop_regs);
		initial_regs(regs, n);
		target_at(&t, rip, regs);
		t.gpr[POINT_RAX] = k;
		t.gpr[POINT_RBX] = 0x10 + 3 * k;
		t.gpr[r] += 1;
		CU_ASSERT_EQUAL_FATAL(build(&p, &t, 10), 0);
		apply(&p);
		uint64_t res = run(regs, &sig);
		if (sig != 0)
			printf("\n  register %d off by one still trapped", r);
		CU_ASSERT_EQUAL(sig, 0);
		CU_ASSERT_EQUAL(res, ((0x10 + 3 * n) << 32) + n);
	}
}

/* Resuming at match_trap unchanged goes on with the program. */
static void test_resume_after_match(void)
{
	const uint64_t n = 1000, k = 10;
	uint64_t regs[POINT_NGPR];
	struct point_target t;
	struct point_patch p;
	int sig;

	uint64_t rip = assemble(put_loop_regs);
	initial_regs(regs, n);
	target_at(&t, rip, regs);
	t.gpr[POINT_RAX] = k;
	t.gpr[POINT_RBX] = 0x10 + 3 * k;
	CU_ASSERT_EQUAL_FATAL(build(&p, &t, 10), 0);
	apply(&p);
	resume_on_trap = true;
	uint64_t r = run(regs, &sig);
	resume_on_trap = false;
	CU_ASSERT_EQUAL(sig, SIGTRAP);
	CU_ASSERT_EQUAL(ntraps, 1);
	CU_ASSERT_EQUAL(r, ((0x10 + 3 * n) << 32) + n);
}

/* Loop B: a rip-relative add among the displaced instructions. */
static void test_riprel_displaced(void)
{
	const uint64_t n = 2000, k = 300;
	uint64_t regs[POINT_NGPR];
	struct point_target t;
	struct point_patch p;
	int sig;

	uint64_t rip = assemble(put_loop_riprel);
	initial_regs(regs, n);
	target_at(&t, rip, regs);
	t.gpr[POINT_RAX] = 5 * k;
	t.gpr[POINT_RCX] = k;
	CU_ASSERT_EQUAL_FATAL(build(&p, &t, 13), 0);
	CU_ASSERT_EQUAL(p.displaced, 10);       /* inc rcx; add rax,[rip+x] */
	apply(&p);
	run(regs, &sig);
	CU_ASSERT_EQUAL(sig, SIGTRAP);
	check_trap(&p, &t, flags_cmp(k, n));

	/* Not matching: 5 per pass through the relocated load. */
	t.gpr[POINT_RCX] = k + 1;
	assemble(put_loop_riprel);
	CU_ASSERT_EQUAL_FATAL(build(&p, &t, 13), 0);
	apply(&p);
	CU_ASSERT_EQUAL(run(regs, &sig), 5 * n);
	CU_ASSERT_EQUAL(sig, 0);
}

/* Loop C: registers are the same on every pass, only the counter in
 * memory tells pass k. */
static void test_memory_word(void)
{
	const uint64_t n = 10000, k = 4242;
	uint64_t regs[POINT_NGPR];
	struct point_target t;
	struct point_patch p;
	int sig;

	uint64_t rip = assemble(put_loop_memory);
	initial_regs(regs, n);
	target_at(&t, rip, regs);
	t.nwords = 2;
	t.words[0] = (struct point_word){ OTHER, 7 };
	t.words[1] = (struct point_word){ COUNTER, k };
	CU_ASSERT_EQUAL_FATAL(build(&p, &t, 7), 0);
	CU_ASSERT_EQUAL(p.displaced, 7);        /* inc qword [rip+counter] */
	apply(&p);
	run(regs, &sig);
	CU_ASSERT_EQUAL(sig, SIGTRAP);
	check_trap(&p, &t, flags_cmp(k, n));
	CU_ASSERT_EQUAL(trap_counter, k);

	/* A second word that never holds its value: no trap, and the
	 * relocated read-modify-write counted every pass. */
	rip = assemble(put_loop_memory);
	t.words[0].value = 8;
	CU_ASSERT_EQUAL_FATAL(build(&p, &t, 7), 0);
	apply(&p);
	CU_ASSERT_EQUAL(run(regs, &sig), n);
	CU_ASSERT_EQUAL(sig, 0);
}

/* The jump at rip, the saved bytes, the largest trampoline. */
static void test_layout(void)
{
	uint64_t regs[POINT_NGPR];
	struct point_target t;
	struct point_patch p;

	uint64_t rip = assemble(put_loop_riprel);
	initial_regs(regs, 10);
	target_at(&t, rip, regs);
	t.nwords = POINT_MAX_WORDS;
	for (size_t i = 0; i < POINT_MAX_WORDS; i++)
		t.words[i] = (struct point_word){ COUNTER + 8 * i, i };
	CU_ASSERT_EQUAL_FATAL(build(&p, &t, 16), 0);
	CU_ASSERT_EQUAL(p.displaced, 10);
	CU_ASSERT_EQUAL(memcmp(p.orig, (void *)(uintptr_t)rip, 10), 0);
	CU_ASSERT_EQUAL(p.jump[0], 0xe9);
	int32_t rel;
	memcpy(&rel, p.jump + 1, 4);
	CU_ASSERT_EQUAL(rip + 5 + (uint64_t)(int64_t)rel, p.tramp_addr);
	for (size_t i = 5; i < p.displaced; i++)
		CU_ASSERT_EQUAL(p.jump[i], 0xcc);
	CU_ASSERT(p.tramp_len <= POINT_TRAMP_MAX);
	CU_ASSERT(p.match_trap > p.tramp_addr &&
		  p.match_trap < p.tramp_addr + p.tramp_len);
	CU_ASSERT_EQUAL(p.tramp[p.match_trap - p.tramp_addr - 1], 0xcc);
	printf("\n  largest trampoline: %zu bytes ", p.tramp_len);
}

static void expect_refusal(const uint8_t *code, size_t len, size_t safe_len,
			   uint64_t rip, uint64_t tramp, const char *words)
{
	struct point_target t;
	struct point_patch p;
	uint8_t buf[32];

	memset(buf, 0x90, sizeof(buf));
	memcpy(buf, code, len);
	memset(&t, 0, sizeof(t));
	t.rip = rip;
	why[0] = 0;
	CU_ASSERT_EQUAL(point_patch_build(&p, &t, buf, sizeof(buf), safe_len,
					  tramp, why, sizeof(why)), -1);
	if (!strstr(why, words))
		printf("\n  why \"%s\" lacks \"%s\"", why, words);
	CU_ASSERT_PTR_NOT_NULL(strstr(why, words));
}

static void test_refusals(void)
{
	const uint64_t rip = 0x400000, near = 0x500000;
	/* cmp rax,rdi; jne: the jne is in the window. */
	static const uint8_t jcc[] = { 0x48, 0x39, 0xf8, 0x75, 0xf5 };
	static const uint8_t jmp8[] = { 0x90, 0xeb, 0x00 };
	static const uint8_t call[] = { 0xe8, 0, 0, 0, 0 };
	static const uint8_t ret[] = { 0x90, 0x90, 0xc3 };
	static const uint8_t sys[] = { 0x0f, 0x05 };
	static const uint8_t ud2[] = { 0x0f, 0x0b };
	static const uint8_t int3[] = { 0x90, 0xcc };
	static const uint8_t loop[] = { 0xe2, 0xfe };
	static const uint8_t jmp_ind[] = { 0xff, 0xe0 };         /* jmp rax */
	static const uint8_t rdtsc[] = { 0x0f, 0x31 };
	static const uint8_t bad[] = { 0x06 };                  /* push es */
	static const uint8_t nops[] = { 0x90, 0x90, 0x90, 0x90, 0x90, 0x90 };
	/* mov rax,[rip-0x7fff0000]: reachable from rip, not from near+3G. */
	static const uint8_t far_load[] = { 0x48, 0x8b, 0x05,
					    0x00, 0x00, 0x01, 0x80 };
	/* lea eax,[eip+0] */
	static const uint8_t eiprel[] = { 0x67, 0x8d, 0x05, 0, 0, 0, 0 };

	expect_refusal(jcc, sizeof(jcc), 16, rip, near,
		       "instruction at rip+3 (jnz) is a conditional branch");
	expect_refusal(jmp8, sizeof(jmp8), 16, rip, near, "rip+1 (jmp) is a jump");
	expect_refusal(call, sizeof(call), 16, rip, near, "is a call");
	expect_refusal(ret, sizeof(ret), 16, rip, near, "is a return");
	expect_refusal(sys, sizeof(sys), 16, rip, near, "system call");
	expect_refusal(ud2, sizeof(ud2), 16, rip, near, "undefined-opcode");
	expect_refusal(int3, sizeof(int3), 16, rip, near, "interrupt");
	expect_refusal(loop, sizeof(loop), 16, rip, near, "conditional branch");
	expect_refusal(jmp_ind, sizeof(jmp_ind), 16, rip, near, "is a jump");
	expect_refusal(rdtsc, sizeof(rdtsc), 16, rip, near, "emulated");
	expect_refusal(bad, sizeof(bad), 16, rip, near, "cannot decode");
	expect_refusal(eiprel, sizeof(eiprel), 16, rip, near, "eip-relative");
	expect_refusal(nops, sizeof(nops), 4, rip, near, "only 4 bytes");
	expect_refusal(nops, sizeof(nops), 0, rip, near, "only 0 bytes");
	/* nop; then a 7-byte load ending past safe_len 5. */
	static const uint8_t long_insn[] = { 0x90, 0x48, 0x8b, 0x05, 0, 0, 0, 0 };
	expect_refusal(long_insn, sizeof(long_insn), 5, rip, near,
		       "ends past the 5 bytes");
	expect_refusal(nops, sizeof(nops), 16, rip, rip + 0xc0000000ull,
		       "out of rel32 reach of rip");
	expect_refusal(nops, sizeof(nops), 16, rip, rip - 0x80000010ull,
		       "out of rel32 reach of rip");
	expect_refusal(far_load, sizeof(far_load), 16, rip,
		       rip + 0x10000000ull, "rip-relative operand");
}

static void test_bad_words(void)
{
	struct point_target t;
	struct point_patch p;
	uint8_t code[32];

	memset(code, 0x90, sizeof(code));
	memset(&t, 0, sizeof(t));
	t.rip = 0x400000;
	t.gpr[POINT_RSP] = 0x7ffff000;
	t.nwords = 1;
	t.words[0] = (struct point_word){ 0x7ffff000 - 136, 0 };
	CU_ASSERT_EQUAL(point_patch_build(&p, &t, code, sizeof(code), 16,
					  0x500000, why, sizeof(why)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(why, "below the red zone"));
	/* The red zone itself is fine: nothing writes it. */
	t.words[0].addr = 0x7ffff000 - 128;
	CU_ASSERT_EQUAL(point_patch_build(&p, &t, code, sizeof(code), 16,
					  0x500000, why, sizeof(why)), 0);
	t.words[0].addr = 0x400003;
	CU_ASSERT_EQUAL(point_patch_build(&p, &t, code, sizeof(code), 16,
					  0x500000, why, sizeof(why)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(why, "patched bytes"));
	t.words[0].addr = 0x500010;
	CU_ASSERT_EQUAL(point_patch_build(&p, &t, code, sizeof(code), 16,
					  0x500000, why, sizeof(why)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(why, "the trampoline"));
	t.nwords = POINT_MAX_WORDS + 1;
	CU_ASSERT_EQUAL(point_patch_build(&p, &t, code, sizeof(code), 16,
					  0x500000, why, sizeof(why)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(why, "at most"));
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Cost per pass of a non-matching trampoline, for the record. */
static void test_speed(void)
{
	const uint64_t n = 20000000;
	uint64_t regs[POINT_NGPR];
	struct point_target t;
	struct point_patch p;
	int sig;

	assemble(put_loop_memory);
	initial_regs(regs, n);
	double t0 = now();
	CU_ASSERT_EQUAL(run(regs, &sig), n);
	double plain = now() - t0;

	uint64_t rip = assemble(put_loop_memory);
	target_at(&t, rip, regs);
	t.nwords = 1;
	t.words[0] = (struct point_word){ COUNTER, n + 1 };
	CU_ASSERT_EQUAL_FATAL(build(&p, &t, 7), 0);
	apply(&p);
	t0 = now();
	CU_ASSERT_EQUAL(run(regs, &sig), n);
	double patched = now() - t0;
	CU_ASSERT_EQUAL(sig, 0);
	printf("\n  %.2f ns per pass plain, %.2f ns with the trampoline "
	       "(all 16 registers and one word compared) ",
	       plain * 1e9 / (double)n, patched * 1e9 / (double)n);
}

/* ---- setup ---------------------------------------------------------------- */

/* An RWX page within rel32 reach of code_buf, found by trying addresses
 * around it (MAP_FIXED_NOREPLACE never replaces a mapping). */
static uint8_t *map_near(uint8_t *base)
{
	for (long i = 1; i < 4096; i++) {
		for (int s = -1; s <= 1; s += 2) {
			uintptr_t a = (uintptr_t)base + (uintptr_t)(s * i * 0x10000L);
			void *m = mmap((void *)a, PAGE,
				       PROT_READ | PROT_WRITE | PROT_EXEC,
				       MAP_PRIVATE | MAP_ANONYMOUS |
				       MAP_FIXED_NOREPLACE, -1, 0);
			if (m == MAP_FAILED)
				continue;
			if ((uintptr_t)m == a)
				return m;
			munmap(m, PAGE);  /* old kernels ignore the flag */
		}
	}
	return NULL;
}

static int setup(void)
{
	static uint8_t altstack[64 * 1024];
	stack_t ss = { .ss_sp = altstack, .ss_size = sizeof(altstack) };

	code_buf = mmap(NULL, CODE_PAGES * PAGE,
			PROT_READ | PROT_WRITE | PROT_EXEC,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	stack_buf = mmap(NULL, STACK_SIZE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (code_buf == MAP_FAILED || stack_buf == MAP_FAILED)
		return -1;
	tramp_page = map_near(code_buf);
	if (!tramp_page || sigaltstack(&ss, NULL) < 0)
		return -1;
	return 0;
}

static int teardown(void)
{
	munmap(code_buf, CODE_PAGES * PAGE);
	munmap(stack_buf, STACK_SIZE);
	munmap(tramp_page, PAGE);
	return 0;
}

static const struct unit_test run_tests[] = {
	{ "match at a loop head: registers, eflags, red zone", test_match_loop_head },
	{ "match one instruction into the loop", test_match_second_insn },
	{ "no match runs the displaced instructions", test_no_match_runs_through },
	{ "every register is compared", test_each_register_compared },
	{ "resuming at match_trap continues the program", test_resume_after_match },
	{ "rip-relative operand relocated", test_riprel_displaced },
	{ "memory words tell passes apart", test_memory_word },
	{ "speed of a non-matching pass", test_speed },
	{ NULL, NULL },
};
static const struct unit_test build_tests[] = {
	{ "jump, saved bytes, largest trampoline", test_layout },
	{ "refused instructions and reach", test_refusals },
	{ "refused memory words", test_bad_words },
	{ NULL, NULL },
};
static const struct unit_suite suites[] = {
	{ "point patch in this process", run_tests, setup, teardown },
	{ "point patch building", build_tests, setup, teardown },
};
UNIT_MAIN(suites)
