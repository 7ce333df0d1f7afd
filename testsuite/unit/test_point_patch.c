/* The conditional-trap trampoline (replay/point_patch.h) on real code:
 * small loops are assembled into an RWX buffer of this process, the
 * trampoline is put on an RWX page within rel32 reach (writable: the
 * trampoline keeps its scratch slots there), the loop head is patched
 * with the jump, and the loop is run as a function on a stack of its own
 * with every general register loaded from a table.  A SIGTRAP handler (on
 * an alternate stack, so nothing near the loop's rsp is written by the
 * kernel) copies the context; the test then checks rip, all 16
 * registers, eflags and the 512 bytes below rsp against the target, and
 * that the loop's stack is byte for byte as it was filled. */
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

#include "replay/point.h"
#include "replay/point_patch.h"
#include "testsuite/unit/cunit_main.h"

#define PAGE 4096
#define CODE_PAGES 2
#define DATA_OFF PAGE           /* data words live on the second page */
#define STACK_SIZE (64 * 1024)
#define STACK_PATTERN 0xa5
#define BELOW_RSP 512           /* bytes below rsp checked at the trap */

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
static uint8_t stack_ref[STACK_SIZE];   /* what stack_buf was filled with */
static struct code cur;

static uint64_t data_addr(size_t off)
{
	return (uint64_t)(uintptr_t)(code_buf + DATA_OFF + off);
}

#define HOST_RSP_SLOT data_addr(0)
#define TABLE data_addr(8)      /* a constant the rip-relative loop adds */
#define COUNTER data_addr(16)   /* the memory-progress loop's counter */
#define OTHER data_addr(24)     /* a word that never changes */
#define TABLE_A data_addr(512)  /* the flags loop's operands, */
#define TABLE_B data_addr(1024)
#define TABLE_OUT data_addr(2048) /* and its lahf/seto per pass */
#define FLAGS_N 50              /* passes of the flags loop (tables fit) */

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

/* Loop F, flags from an instruction the test picks: rsi, rbx point at
 * tables A and B, rdx at OUT; pass k computes OP r8,r9 on A[k], B[k],
 * and the point is right after it, where the flags are OP's:
 *      [std]
 *   L: mov eax,0                  (rax is 0 at the point)
 *      mov r8,[rsi+rcx*8]; mov r9,[rbx+rcx*8]
 *      OP r8,r9                   cmp, add or sub
 *   P: lea rcx,[rcx+1]; mov r10,r8        (7 bytes: displaced)
 *      lahf; seto al; mov [rdx+rcx*8],rax (the flags at P, as they came
 *      cmp rcx,rdi; jne L                  out of the trampoline)
 *      cld
 * Returns the offset of P. */
enum flag_op { OP_CMP = 0x39, OP_ADD = 0x01, OP_SUB = 0x29 };
static enum flag_op loop_op;
static bool loop_std;
static size_t loop_point;

static size_t put_loop_flags(struct code *c)
{
	if (loop_std)
		PUT(c, 0xfd);                           /* std */
	size_t l = c->len;
	PUT(c, 0xb8, 0, 0, 0, 0,                        /* mov eax,0 */
	    0x4c, 0x8b, 0x04, 0xce,                     /* mov r8,[rsi+rcx*8] */
	    0x4c, 0x8b, 0x0c, 0xcb);                    /* mov r9,[rbx+rcx*8] */
	uint8_t op[3] = { 0x4d, (uint8_t)loop_op, 0xc8 };       /* OP r8,r9 */
	put(c, op, sizeof(op));
	loop_point = c->len;
	PUT(c, 0x48, 0x8d, 0x49, 0x01,                  /* lea rcx,[rcx+1] */
	    0x4d, 0x89, 0xc2,                           /* mov r10,r8 */
	    0x9f, 0x0f, 0x90, 0xc0,                     /* lahf; seto al */
	    0x48, 0x89, 0x04, 0xca,                     /* mov [rdx+rcx*8],rax */
	    0x48, 0x39, 0xf9);                          /* cmp rcx,rdi */
	put_jne_back(c, l);
	PUT(c, 0xfc);                                   /* cld */
	return l;
}

/* Offsets in code_buf of places inside the branch loops below. */
static size_t mark_a, mark_b, mark_c;
static size_t loop_pad;         /* loop H: nops after its jmp */

/* A rel8 branch (opcode op) to `label`, filled in at once (backward) or
 * by fix_rel8 (forward); returns where its rel8 is. */
static size_t put_rel8(struct code *c, uint8_t op, size_t label)
{
	uint8_t j[2] = { op, (uint8_t)(int8_t)((long)label - (long)(c->len + 2)) };
	put(c, j, 2);
	return c->len - 1;
}

static void fix_rel8(struct code *c, size_t at)
{
	c->b[at] = (uint8_t)(int8_t)((long)c->len - (long)(at + 1));
}

/* Loop G, a back-edge inside the displaced window (no 5 bytes without
 * it): returns n.
 *   L: inc eax; cmp eax,edi; jne L */
static size_t put_loop_backedge(struct code *c)
{
	size_t l = c->len;

	PUT(c, 0xff, 0xc0, 0x39, 0xf8);
	put_rel8(c, 0x75, l);
	return l;
}

/* Loop H, a forward jcc and a jmp: returns ((16 + 3(n-1)) << 32) + n.
 *   L: inc eax; cmp eax,edi
 *   A: je OUT
 *   B: add ebx,3
 *   C: jmp L
 *      nop x loop_pad
 * OUT: shl rbx,32; add rax,rbx */
static size_t put_loop_fwd(struct code *c)
{
	size_t l = c->len;

	PUT(c, 0xff, 0xc0, 0x39, 0xf8);
	mark_a = c->len;
	size_t out = put_rel8(c, 0x74, 0);
	mark_b = c->len;
	PUT(c, 0x83, 0xc3, 0x03);
	mark_c = c->len;
	put_rel8(c, 0xeb, l);
	for (size_t i = 0; i < loop_pad; i++)
		PUT(c, 0x90);
	fix_rel8(c, out);
	PUT(c, 0x48, 0xc1, 0xe3, 0x20, 0x48, 0x01, 0xd8);
	return l;
}

/* Loop K, a call: returns ((16 + 3n) << 32) + n.
 *   L: inc eax
 *   A: call F
 *      cmp eax,edi; jne L; jmp OUT
 *   F: add ebx,3; ret
 * OUT: shl rbx,32; add rax,rbx */
static size_t put_loop_call(struct code *c)
{
	size_t l = c->len;

	PUT(c, 0xff, 0xc0);
	mark_a = c->len;
	PUT(c, 0xe8, 0, 0, 0, 0);
	size_t call_end = c->len;
	PUT(c, 0x39, 0xf8);
	put_rel8(c, 0x75, l);
	size_t out = put_rel8(c, 0xeb, 0);
	int32_t rel = (int32_t)(c->len - call_end);
	memcpy(c->b + call_end - 4, &rel, 4);
	PUT(c, 0x83, 0xc3, 0x03, 0xc3);
	fix_rel8(c, out);
	PUT(c, 0x48, 0xc1, 0xe3, 0x20, 0x48, 0x01, 0xd8);
	return l;
}

/* Loop I, the loop instruction (rcx counts down from n): returns
 * 16 + 3n.
 *   L: add ebx,3; loop L; mov rax,rbx */
static size_t put_loop_loop(struct code *c)
{
	size_t l = c->len;

	PUT(c, 0x83, 0xc3, 0x03);
	put_rel8(c, 0xe2, l);
	PUT(c, 0x48, 0x89, 0xd8);
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
	memcpy(stack_ref, stack_buf, STACK_SIZE);
	regs[POINT_RSP] = (uint64_t)(uintptr_t)(stack_buf + STACK_SIZE - PAGE);
}

/* A pattern that differs from byte to byte, instead of STACK_PATTERN. */
static void fill_stack_varied(void)
{
	for (size_t i = 0; i < STACK_SIZE; i++)
		stack_buf[i] = (uint8_t)(i * 37 + 11 + (i >> 8));
	memcpy(stack_ref, stack_buf, STACK_SIZE);
}

/* The loop's whole stack, below its rsp and above, as it was filled. */
static bool stack_untouched(void)
{
	for (size_t i = 0; i < STACK_SIZE; i++)
		if (stack_buf[i] != stack_ref[i]) {
			printf("\n  stack byte at rsp%+ld changed: 0x%02x, "
			       "was 0x%02x", (long)i - (STACK_SIZE - PAGE),
			       stack_buf[i], stack_ref[i]);
			return false;
		}
	return true;
}

/* ---- signals ------------------------------------------------------------- */

static sigjmp_buf jump_out;
static volatile sig_atomic_t last_sig, ntraps;
static volatile bool resume_on_trap;
static greg_t trap_gregs[NGREG];
static uint8_t trap_below[BELOW_RSP];   /* [rsp - BELOW_RSP, rsp) */
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
		memcpy(trap_below,
		       (const void *)(uintptr_t)(uc->uc_mcontext.gregs[REG_RSP] -
						 BELOW_RSP),
		       sizeof(trap_below));
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

/* eflags after `add a,b` and `sub a,b` (a += b, a -= b). */
static uint64_t flags_add(uint64_t a, uint64_t b)
{
	uint64_t f;

	__asm__ volatile("lea -128(%%rsp),%%rsp\n\t"
			 "add %2,%1\n\t"
			 "pushfq\n\t"
			 "popq %0\n\t"
			 "lea 128(%%rsp),%%rsp"
			 : "=&r"(f), "+r"(a) : "r"(b) : "cc");
	return f;
}

static uint64_t flags_sub(uint64_t a, uint64_t b)
{
	uint64_t f;

	__asm__ volatile("lea -128(%%rsp),%%rsp\n\t"
			 "sub %2,%1\n\t"
			 "pushfq\n\t"
			 "popq %0\n\t"
			 "lea 128(%%rsp),%%rsp"
			 : "=&r"(f), "+r"(a) : "r"(b) : "cc");
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
 * 512 bytes below rsp (red zone and beyond) still hold what the stack was
 * filled with. */
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
	uint64_t rsp = (uint64_t)trap_gregs[REG_RSP];
	uint64_t lo = (uint64_t)(uintptr_t)stack_buf + BELOW_RSP;
	CU_ASSERT_FATAL(rsp >= lo && rsp <= lo - BELOW_RSP + STACK_SIZE);
	CU_ASSERT_EQUAL(memcmp(trap_below, stack_ref + (rsp - lo),
			       BELOW_RSP), 0);
}

/* The trampoline's scratch slots, found from its first instruction,
 * mov [rip+S_RAX],rax (S_FLAGS follows S_RAX). */
static const uint8_t *tramp_slots(const struct point_patch *p)
{
	int32_t d;

	CU_ASSERT_FATAL(p->tramp[0] == 0x48 && p->tramp[1] == 0x89 &&
			p->tramp[2] == 0x05);
	memcpy(&d, p->tramp + 3, 4);
	return tramp_page + 7 + d;
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

/* No pass matches: the loop ends with its normal result, the trampoline
 * did run (its slots hold rax and the flags of the last arrival) and the
 * stack was not written. */
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
	CU_ASSERT(stack_untouched());
	/* The last arrival: pass n - 1, rax = n - 1, flags of the cmp
	 * that ended pass n - 2; lahf's ah is eflags' low byte, al OF. */
	const uint8_t *slots = tramp_slots(&p);
	uint64_t rax;
	uint16_t fl;
	memcpy(&rax, slots, 8);
	memcpy(&fl, slots + 8, 2);
	uint64_t f = flags_cmp(n - 1, n);
	CU_ASSERT_EQUAL(rax, n - 1);
	CU_ASSERT_EQUAL(fl, (uint16_t)((f & 0xff) << 8 | ((f >> 11) & 1)));
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

/* A register left out (a time-stamp counter value replay reads anew)
 * does not stop the match. */
static void test_skipped_register(void)
{
	const uint64_t n = 300, k = 100;
	uint64_t regs[POINT_NGPR];
	struct point_target t;
	struct point_patch p;
	int sig;

	uint64_t rip = assemble(put_loop_regs);
	initial_regs(regs, n);
	target_at(&t, rip, regs);
	t.gpr[POINT_RAX] = k;
	t.gpr[POINT_RBX] = 0x10 + 3 * k;
	t.gpr[POINT_R9] += 12345;
	t.skip_gpr = 1u << POINT_R9;
	CU_ASSERT_EQUAL_FATAL(build(&p, &t, 10), 0);
	apply(&p);
	run(regs, &sig);
	CU_ASSERT_EQUAL(sig, SIGTRAP);
}

/* Which registers look like a recent time-stamp counter value. */
static void test_tsc_regs(void)
{
	struct user_regs_struct g, h;
	const uint64_t now = 1ull << 50;

	memset(&g, 0, sizeof(g));
	g.r9 = now - 1000;              /* read a moment ago */
	g.rax = 0x7ffff7fc06e8;         /* a pointer */
	g.rbx = now + 5;                /* not yet read: not one */
	g.rsp = now - 5;                /* never rsp */
	g.r15 = now - (1ull << 40);     /* long ago */
	CU_ASSERT_EQUAL(point_tsc_regs(&g, now), 1u << POINT_R9);
	CU_ASSERT_EQUAL(point_tsc_regs(&g, 1000), 0);   /* machine just up */
	h = g;
	h.r9 = now + 777;
	CU_ASSERT_FALSE(point_regs_match(&g, &h));
	CU_ASSERT_TRUE(point_regs_match_except(&g, &h, 1u << POINT_R9));
	CU_ASSERT_FALSE(point_regs_match_except(&g, &h, 1u << POINT_R8));
	h.rip = g.rip + 1;
	CU_ASSERT_FALSE(point_regs_match_except(&g, &h, 1u << POINT_R9));
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

/* Nothing below rsp (nor above) is written: many non-matching arrivals
 * through the register compares and through a memory word, a match, and
 * a resume after a match, on a stack filled with a varied pattern. */
static void test_stack_untouched(void)
{
	const uint64_t n = 200000, k = 123456;
	uint64_t regs[POINT_NGPR];
	struct point_target t;
	struct point_patch p;
	int sig;

	/* Loop C, all registers equal on every pass, the word never. */
	uint64_t rip = assemble(put_loop_memory);
	initial_regs(regs, n);
	fill_stack_varied();
	target_at(&t, rip, regs);
	t.nwords = 2;
	t.words[0] = (struct point_word){ OTHER, 7 };
	t.words[1] = (struct point_word){ COUNTER, n + 1 };
	CU_ASSERT_EQUAL_FATAL(build(&p, &t, 7), 0);
	apply(&p);
	CU_ASSERT_EQUAL(run(regs, &sig), n);
	CU_ASSERT_EQUAL(sig, 0);
	CU_ASSERT(stack_untouched());

	/* Loop C again, matching at pass k: at the trap and after. */
	rip = assemble(put_loop_memory);
	t.words[1].value = k;
	CU_ASSERT_EQUAL_FATAL(build(&p, &t, 7), 0);
	apply(&p);
	run(regs, &sig);
	CU_ASSERT_EQUAL(sig, SIGTRAP);
	check_trap(&p, &t, flags_cmp(k, n));
	CU_ASSERT(stack_untouched());

	/* Loop A, registers mismatching at rax on every pass but one,
	 * resumed after its match. */
	rip = assemble(put_loop_regs);
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
	check_trap(&p, &t, flags_cmp(k, n));
	CU_ASSERT(stack_untouched());
}

struct flags_case {
	enum flag_op op;
	uint64_t a, b;
};

static const struct flags_case flags_cases[] = {
	{ OP_CMP, 1, 2 },                       /* CF SF AF PF */
	{ OP_CMP, 5, 5 },                       /* ZF PF */
	{ OP_CMP, 0x8000000000000000ull, 1 },   /* OF AF PF */
	{ OP_ADD, 0x7fffffffffffffffull, 1 },   /* OF SF AF PF */
	{ OP_SUB, 3, 1 },                       /* none */
	{ OP_ADD, ~0ull, 1 },                   /* CF ZF AF PF */
	{ OP_SUB, 0x10, 1 },                    /* AF PF */
	{ OP_ADD, 0x8000000000000000ull, 0x8000000000000000ull }, /* CF OF ZF PF */
	{ OP_CMP, 0, 0x8000000000000000ull },   /* CF OF SF PF */
};
#define NFLAGS_CASES (sizeof(flags_cases) / sizeof(flags_cases[0]))

static uint64_t case_result(const struct flags_case *fc)
{
	return fc->op == OP_ADD ? fc->a + fc->b :
	       fc->op == OP_SUB ? fc->a - fc->b : fc->a;
}

static uint64_t case_flags(const struct flags_case *fc)
{
	return fc->op == OP_ADD ? flags_add(fc->a, fc->b) :
	       fc->op == OP_SUB ? flags_sub(fc->a, fc->b) :
				  flags_cmp(fc->a, fc->b);
}

/* Assembles loop F with its tables (assemble clears the data page);
 * returns P. */
static uint64_t assemble_flags(const struct flags_case *pass)
{
	assemble(put_loop_flags);
	for (size_t i = 0; i < FLAGS_N; i++) {
		((uint64_t *)(uintptr_t)TABLE_A)[i] = pass[i].a;
		((uint64_t *)(uintptr_t)TABLE_B)[i] = pass[i].b;
	}
	return (uint64_t)(uintptr_t)code_buf + loop_point;
}

/* Loop F's registers at P in pass k, from the tables. */
static void flags_target(struct point_target *t, uint64_t rip,
			 const uint64_t regs[POINT_NGPR], uint64_t k,
			 const struct flags_case *pass)
{
	target_at(t, rip, regs);
	t->gpr[POINT_RAX] = 0;
	t->gpr[POINT_RCX] = k;
	t->gpr[POINT_R8] = case_result(&pass[k]);
	t->gpr[POINT_R9] = pass[k].b;
	t->gpr[POINT_R10] = case_result(&pass[k - 1]);
}

/* The six arithmetic flags at the point, exactly, each in both states
 * (every case is the matched pass once; the other passes cycle through
 * all cases, so every non-matching arrival carries different flags),
 * with and without a memory word (rax as scratch), with DF clear and set.
 * On a match eflags is compared whole with what the same instruction
 * leaves natively; on no match, lahf/seto right after the displaced
 * instructions must read, pass for pass, what they read unpatched. */
static void test_flags_exact(void)
{
	const uint64_t k = 37;
	const uint64_t arith = 0x8d5;   /* CF PF AF ZF SF OF */
	uint64_t seen_set = 0, seen_clear = 0;
	static uint64_t plain_out[FLAGS_N + 1];
	struct flags_case pass[FLAGS_N];
	uint64_t regs[POINT_NGPR];
	struct point_target t;
	struct point_patch p;
	int sig;

	for (size_t c = 0; c < NFLAGS_CASES; c++)
	for (int df = 0; df <= 1; df++) {
		for (size_t i = 0; i < FLAGS_N; i++)
			pass[i] = flags_cases[(i + c) % NFLAGS_CASES];
		pass[k] = flags_cases[c];
		loop_op = flags_cases[c].op;
		loop_std = df;
		/* Every pass has the same op (the loop has one), its own
		 * operands. */
		for (size_t i = 0; i < FLAGS_N; i++)
			pass[i].op = loop_op;
		uint64_t want = case_flags(&pass[k]) | (df ? 0x400 : 0);
		seen_set |= want & arith;
		seen_clear |= ~want & arith;

		/* Unpatched, for the per-pass flags. */
		uint64_t rip = assemble_flags(pass);
		initial_regs(regs, FLAGS_N);
		regs[POINT_RSI] = TABLE_A;
		regs[POINT_RBX] = TABLE_B;
		regs[POINT_RDX] = TABLE_OUT;
		run(regs, &sig);
		CU_ASSERT_EQUAL(sig, 0);
		memcpy(plain_out, (void *)(uintptr_t)TABLE_OUT, sizeof(plain_out));
		/* lahf/seto agree with pushfq on the matched pass. */
		CU_ASSERT_EQUAL(plain_out[k + 1],
				(want & 0xff) << 8 | ((want >> 11) & 1));

		for (int words = 0; words <= 1; words++) {
			/* A match at pass k. */
			assemble_flags(pass);
			flags_target(&t, rip, regs, k, pass);
			t.nwords = (size_t)words;
			t.words[0] = (struct point_word){ OTHER, 7 };
			CU_ASSERT_EQUAL_FATAL(build(&p, &t, 7), 0);
			CU_ASSERT_EQUAL(p.displaced, 7);
			apply(&p);
			run(regs, &sig);
			CU_ASSERT_EQUAL(sig, SIGTRAP);
			if ((uint64_t)trap_gregs[REG_EFL] != want)
				printf("\n  case %zu df %d words %d:", c, df,
				       words);
			check_trap(&p, &t, want);
			CU_ASSERT(stack_untouched());

			/* No match (the word's value is never there, or
			 * rcx never reaches it): flags pass for pass. */
			assemble_flags(pass);
			if (words)
				t.words[0].value = 8;
			else
				t.gpr[POINT_RCX] = FLAGS_N + 5;
			CU_ASSERT_EQUAL_FATAL(build(&p, &t, 7), 0);
			apply(&p);
			run(regs, &sig);
			CU_ASSERT_EQUAL(sig, 0);
			CU_ASSERT_EQUAL(memcmp((void *)(uintptr_t)TABLE_OUT,
					       plain_out, sizeof(plain_out)), 0);
			CU_ASSERT(stack_untouched());
		}
	}
	/* The cases cover both states of each of the six flags. */
	CU_ASSERT_EQUAL(seen_set, arith);
	CU_ASSERT_EQUAL(seen_clear, arith);
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
	/* The scratch slots close the trampoline, zeroed, on a 2 KB
	 * boundary; the 1 KB before them hold no code or constants. */
	size_t so = (size_t)(tramp_slots(&p) - tramp_page);
	CU_ASSERT_EQUAL(so + 16, p.tramp_len);
	CU_ASSERT_EQUAL((p.tramp_addr + so) % 2048, 0);
	for (size_t i = 0; i < 16; i++)
		CU_ASSERT_EQUAL(p.tramp[so + i], 0);
	for (size_t i = so - 1024; i < so; i++)
		CU_ASSERT_EQUAL(p.tramp[i], 0xcc);
	printf("\n  largest trampoline: %zu bytes (slots at +%zu) ",
	       p.tramp_len, so);
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
	/* jmp to rip+3, inside the 5 bytes (nops after it as padding). */
	static const uint8_t jmp8[] = { 0x90, 0xeb, 0x00 };
	/* jne +1 over a nop, to rip+3. */
	static const uint8_t jcc_in[] = { 0x75, 0x01, 0x90, 0x90, 0x90 };
	/* jmp +2, then code that is not padding. */
	static const uint8_t jmp_code[] = { 0xeb, 0x10, 0x48, 0x89, 0xc3 };
	/* jmp rel16 (operand-size prefix), xbegin. */
	static const uint8_t jmp16[] = { 0x66, 0xe9, 0x10, 0x00 };
	static const uint8_t xbegin[] = { 0xc7, 0xf8, 0x10, 0, 0, 0 };
	static const uint8_t ret[] = { 0x90, 0x90, 0xc3 };
	static const uint8_t sys[] = { 0x0f, 0x05 };
	static const uint8_t ud2[] = { 0x0f, 0x0b };
	static const uint8_t int3[] = { 0x90, 0xcc };
	static const uint8_t jmp_ind[] = { 0xff, 0xe0 };         /* jmp rax */
	static const uint8_t call_ind[] = { 0xff, 0xd0 };        /* call rax */
	static const uint8_t rdtsc[] = { 0x0f, 0x31 };
	static const uint8_t bad[] = { 0x06 };                  /* push es */
	static const uint8_t nops[] = { 0x90, 0x90, 0x90, 0x90, 0x90, 0x90 };
	/* mov rax,[rip-0x7fff0000]: reachable from rip, not from near+3G. */
	static const uint8_t far_load[] = { 0x48, 0x8b, 0x05,
					    0x00, 0x00, 0x01, 0x80 };
	/* lea eax,[eip+0] */
	static const uint8_t eiprel[] = { 0x67, 0x8d, 0x05, 0, 0, 0, 0 };

	expect_refusal(jmp8, sizeof(jmp8), 16, rip, near,
		       "branch at rip+1 goes to rip+3, inside the displaced");
	expect_refusal(jcc_in, sizeof(jcc_in), 16, rip, near,
		       "branch at rip+0 goes to rip+3");
	expect_refusal(jmp_code, sizeof(jmp_code), 16, rip, near,
		       "rip+2 (mov) follows a jmp");
	expect_refusal(jmp16, sizeof(jmp16), 16, rip, near,
		       "indirect or prefixed jump");
	expect_refusal(xbegin, sizeof(xbegin), 16, rip, near, "xbegin");
	expect_refusal(ret, sizeof(ret), 16, rip, near, "is a return");
	expect_refusal(sys, sizeof(sys), 16, rip, near, "system call");
	expect_refusal(ud2, sizeof(ud2), 16, rip, near, "undefined-opcode");
	expect_refusal(int3, sizeof(int3), 16, rip, near, "interrupt");
	expect_refusal(jmp_ind, sizeof(jmp_ind), 16, rip, near,
		       "indirect or prefixed jump");
	expect_refusal(call_ind, sizeof(call_ind), 16, rip, near,
		       "indirect or prefixed call");
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
	/* Nothing writes the stack: the red zone, below it, just below rsp
	 * are all fine. */
	static const uint64_t below[] = { 136, 144, 128, 8, 512 };
	for (size_t i = 0; i < sizeof(below) / sizeof(below[0]); i++) {
		t.words[0] = (struct point_word){ 0x7ffff000 - below[i], 0 };
		CU_ASSERT_EQUAL(point_patch_build(&p, &t, code, sizeof(code),
						  16, 0x500000, why,
						  sizeof(why)), 0);
	}
	t.words[0].addr = 0x400003;
	CU_ASSERT_EQUAL(point_patch_build(&p, &t, code, sizeof(code), 16,
					  0x500000, why, sizeof(why)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(why, "patched bytes"));
	t.words[0].addr = 0x500010;
	CU_ASSERT_EQUAL(point_patch_build(&p, &t, code, sizeof(code), 16,
					  0x500000, why, sizeof(why)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(why, "the trampoline"));
	/* The scratch slots are the trampoline's, the last byte included;
	 * the word just past it is not. */
	t.words[0].addr = 0x600000;
	CU_ASSERT_EQUAL_FATAL(point_patch_build(&p, &t, code, sizeof(code), 16,
						0x500000, why, sizeof(why)), 0);
	size_t len = p.tramp_len;
	uint64_t slot_words[] = { 0x500000 + len - 16, 0x500000 + len - 8,
				  0x500000 + len - 1 };
	for (size_t i = 0; i < 3; i++) {
		t.words[0].addr = slot_words[i];
		CU_ASSERT_EQUAL(point_patch_build(&p, &t, code, sizeof(code),
						  16, 0x500000, why,
						  sizeof(why)), -1);
		CU_ASSERT_PTR_NOT_NULL(strstr(why, "the trampoline"));
	}
	t.words[0].addr = 0x500000 + len;
	CU_ASSERT_EQUAL(point_patch_build(&p, &t, code, sizeof(code), 16,
					  0x500000, why, sizeof(why)), 0);
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

/* ---- relative branches in the displaced window ----------------------- */

static uint64_t at_mark(size_t off)
{
	return (uint64_t)(uintptr_t)code_buf + off;
}

/* One branch loop patched at rip: a match at the target (registers,
 * eflags, the stack as the unpatched code leaves it), then, with rax off
 * so that nothing matches, the loop's own result and stack.  ret_addr:
 * a call's return address expected just below rsp (0: none). */
static void check_branch_loop(size_t (*loop)(struct code *),
			      const uint64_t regs[POINT_NGPR],
			      struct point_target *t, uint64_t eflags,
			      size_t displaced, uint64_t want,
			      uint64_t ret_addr)
{
	struct point_patch p;
	int sig;

	assemble(loop);
	if (ret_addr) {
		/* The native call leaves its return address there. */
		size_t at = (size_t)(regs[POINT_RSP] -
				     (uint64_t)(uintptr_t)stack_buf) - 8;
		memcpy(stack_ref + at, &ret_addr, 8);
	}
	int rc = build(&p, t, 16);
	if (rc)
		printf("\n  refused: %s", why);
	CU_ASSERT_EQUAL_FATAL(rc, 0);
	CU_ASSERT_EQUAL(p.displaced, displaced);
	apply(&p);
	run(regs, &sig);
	CU_ASSERT_EQUAL(sig, SIGTRAP);
	check_trap(&p, t, eflags);

	assemble(loop);
	t->gpr[POINT_RAX] += 1u << 20;
	CU_ASSERT_EQUAL_FATAL(build(&p, t, 16), 0);
	apply(&p);
	CU_ASSERT_EQUAL(run(regs, &sig), want);
	CU_ASSERT_EQUAL(sig, 0);
	CU_ASSERT(stack_untouched());
}

/* Loop G: the window is inc, cmp and the jne back to rip; every arrival
 * through the back-edge is compared (pass k matches; without a match
 * the slot holds rax of the last arrival, pass n - 1). */
static void test_backedge_in_window(void)
{
	const uint64_t n = 1000, k = 777;
	uint64_t regs[POINT_NGPR];
	struct point_target t;
	struct point_patch p;
	int sig;

	uint64_t rip = assemble(put_loop_backedge);
	initial_regs(regs, n);
	target_at(&t, rip, regs);
	t.gpr[POINT_RAX] = k;
	check_branch_loop(put_loop_backedge, regs, &t, flags_cmp(k, n),
			  6, n, 0);

	assemble(put_loop_backedge);
	t.gpr[POINT_RAX] = n + 5;
	CU_ASSERT_EQUAL_FATAL(build(&p, &t, 16), 0);
	apply(&p);
	CU_ASSERT_EQUAL(run(regs, &sig), n);
	uint64_t last;
	memcpy(&last, tramp_slots(&p), 8);
	CU_ASSERT_EQUAL(last, n - 1);
	/* Nothing to fall back to under 6 bytes: the jne is needed. */
	assemble(put_loop_backedge);
	CU_ASSERT_EQUAL(build(&p, &t, 5), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(why, "ends past the 5 bytes"));
}

/* Loop H: a forward je out of the loop, then the jmp back to its head,
 * and the jmp followed by padding. */
static void test_forward_jcc_and_jmp(void)
{
	const uint64_t n = 1000, k = 321;
	const uint64_t want = ((0x10 + 3 * (n - 1)) << 32) + n;
	uint64_t regs[POINT_NGPR];
	struct point_target t;
	struct point_patch p;

	/* At je OUT (je; add ebx,3): rax k, rbx before this pass's add. */
	loop_pad = 0;
	assemble(put_loop_fwd);
	initial_regs(regs, n);
	target_at(&t, at_mark(mark_a), regs);
	t.gpr[POINT_RAX] = k;
	t.gpr[POINT_RBX] = 0x10 + 3 * (k - 1);
	check_branch_loop(put_loop_fwd, regs, &t, flags_cmp(k, n), 5,
			  want, 0);

	/* At add ebx,3 (add; jmp L): the window ends with the jmp. */
	assemble(put_loop_fwd);
	target_at(&t, at_mark(mark_b), regs);
	t.gpr[POINT_RAX] = k;
	t.gpr[POINT_RBX] = 0x10 + 3 * (k - 1);
	check_branch_loop(put_loop_fwd, regs, &t, flags_cmp(k, n), 5,
			  want, 0);

	/* At jmp L: what follows is the exit code, not padding. */
	assemble(put_loop_fwd);
	target_at(&t, at_mark(mark_c), regs);
	CU_ASSERT_EQUAL(build(&p, &t, 16), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(why, "not padding"));

	/* With three nops after it: jmp and padding, flags from the add. */
	loop_pad = 3;
	assemble(put_loop_fwd);
	target_at(&t, at_mark(mark_c), regs);
	t.gpr[POINT_RAX] = k;
	t.gpr[POINT_RBX] = 0x10 + 3 * k;
	check_branch_loop(put_loop_fwd, regs, &t,
			  flags_add(0x10 + 3 * (k - 1), 3), 5, want, 0);
	/* The padding must be within what may be displaced. */
	assemble(put_loop_fwd);
	CU_ASSERT_EQUAL(build(&p, &t, 4), -1);
	loop_pad = 0;
}

/* Loop K: the call is re-encoded as push of the original return address
 * and jmp; F returns into the original code. */
static void test_call_in_window(void)
{
	const uint64_t n = 1000, k = 600;
	const uint64_t want = ((0x10 + 3 * n) << 32) + n;
	uint64_t regs[POINT_NGPR];
	struct point_target t;

	/* At the loop head: inc eax; call F (7 bytes). */
	uint64_t rip = assemble(put_loop_call);
	uint64_t ret = at_mark(mark_a) + 5;
	initial_regs(regs, n);
	target_at(&t, rip, regs);
	t.gpr[POINT_RAX] = k;
	t.gpr[POINT_RBX] = 0x10 + 3 * k;
	check_branch_loop(put_loop_call, regs, &t, flags_cmp(k, n), 7,
			  want, ret);

	/* At the call alone: flags from the inc after the cmp. */
	initial_regs(regs, n);
	assemble(put_loop_call);
	target_at(&t, at_mark(mark_a), regs);
	t.gpr[POINT_RAX] = k;
	t.gpr[POINT_RBX] = 0x10 + 3 * (k - 1);
	check_branch_loop(put_loop_call, regs, &t,
			  flags_cmp_inc(k - 1, n, k - 1), 5, want, ret);
}

/* Loop I: loop rel8 over a short jmp to a jmp rel32. */
static void test_loop_insn_in_window(void)
{
	const uint64_t n = 1000, k = 999;
	uint64_t regs[POINT_NGPR];
	struct point_target t;

	uint64_t rip = assemble(put_loop_loop);
	initial_regs(regs, n);
	regs[POINT_RCX] = n;
	target_at(&t, rip, regs);
	t.gpr[POINT_RCX] = n - k;
	t.gpr[POINT_RBX] = 0x10 + 3 * k;
	check_branch_loop(put_loop_loop, regs, &t,
			  flags_add(0x10 + 3 * (k - 1), 3), 5, 0x10 + 3 * n, 0);
}

/* The re-encoded branches, read back from the trampoline: each goes
 * where the original went. */
static void test_branch_encodings(void)
{
	const uint64_t rip = 0x400000, tramp = 0x500000;
	struct point_target t;
	struct point_patch p;
	uint8_t code[32];

	memset(code, 0x90, sizeof(code));
	memset(&t, 0, sizeof(t));
	t.rip = rip;
	/* jne -0x10 (to rip - 0x0e); jmp rel32 +0x1000. */
	static const uint8_t jj[] = { 0x75, 0xf0, 0xe9, 0x00, 0x10, 0, 0 };
	memcpy(code, jj, sizeof(jj));
	CU_ASSERT_EQUAL_FATAL(point_patch_build(&p, &t, code, sizeof(code), 16,
						tramp, why, sizeof(why)), 0);
	CU_ASSERT_EQUAL(p.displaced, 7);
	/* The trampoline's last code: 0f 85 rel32, e9 rel32, then int3
	 * padding (no jump back after a jmp). */
	const uint8_t *j = NULL;
	for (size_t i = 0; i + 11 <= p.tramp_len; i++)
		if (p.tramp[i] == 0x0f && p.tramp[i + 1] == 0x85 &&
		    p.tramp[i + 6] == 0xe9) {
			j = p.tramp + i;
		}
	CU_ASSERT_PTR_NOT_NULL_FATAL(j);
	size_t off = (size_t)(j - p.tramp);
	int32_t r1, r2;
	memcpy(&r1, j + 2, 4);
	memcpy(&r2, j + 7, 4);
	CU_ASSERT_EQUAL(tramp + off + 6 + (uint64_t)(int64_t)r1, rip + 2 - 0x10);
	CU_ASSERT_EQUAL(tramp + off + 11 + (uint64_t)(int64_t)r2,
			rip + 7 + 0x1000);
	CU_ASSERT_EQUAL(j[11], 0xcc);
	/* A thread standing on the jmp goes on at its copy. */
	CU_ASSERT_EQUAL(p.moved_to[0], 0);
	CU_ASSERT_EQUAL(p.moved_to[1], 0);
	CU_ASSERT_EQUAL(p.moved_to[2], off + 6);

	/* A destination out of rel32 reach of the trampoline. */
	static const uint8_t far_jmp[] = { 0xe9, 0xf0, 0xff, 0xff, 0x7f };
	memcpy(code, far_jmp, sizeof(far_jmp));
	CU_ASSERT_EQUAL(point_patch_build(&p, &t, code, sizeof(code), 16,
					  rip - 0x100000, why, sizeof(why)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(why, "branch destination"));
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
	{ "a skipped register is not", test_skipped_register },
	{ "resuming at match_trap continues the program", test_resume_after_match },
	{ "rip-relative operand relocated", test_riprel_displaced },
	{ "memory words tell passes apart", test_memory_word },
	{ "nothing below rsp is written", test_stack_untouched },
	{ "all six arithmetic flags and DF exact", test_flags_exact },
	{ "jcc back-edge to rip inside the window", test_backedge_in_window },
	{ "forward jcc, jmp, jmp and padding", test_forward_jcc_and_jmp },
	{ "call as push of its return address and jmp", test_call_in_window },
	{ "loop instruction in the window", test_loop_insn_in_window },
	{ "speed of a non-matching pass", test_speed },
	{ NULL, NULL },
};
static const struct unit_test build_tests[] = {
	{ "jump, saved bytes, largest trampoline", test_layout },
	{ "refused instructions and reach", test_refusals },
	{ "refused memory words", test_bad_words },
	{ "re-encoded branch destinations", test_branch_encodings },
	{ "time-stamp counter registers", test_tsc_regs },
	{ NULL, NULL },
};
static const struct unit_suite suites[] = {
	{ "point patch in this process", run_tests, setup, teardown },
	{ "point patch building", build_tests, setup, teardown },
};
UNIT_MAIN(suites)
