/* Unit tests for the agent-expression evaluator: each opcode family with
 * hand-assembled bytecode, the error cases (which make a condition true)
 * and the stack and step limits. */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "protocol/agent_expr.h"
#include "testsuite/unit/cunit_main.h"

/* Opcodes, by their ax.def numbers. */
enum {
	ADD = 0x02, SUB = 0x03, MUL = 0x04, DIV_S = 0x05, DIV_U = 0x06,
	REM_S = 0x07, REM_U = 0x08, LSH = 0x09, RSH_S = 0x0a, RSH_U = 0x0b,
	TRACE = 0x0c, LOG_NOT = 0x0e, AND = 0x0f, OR = 0x10, XOR = 0x11,
	NOT = 0x12, EQ = 0x13, LT_S = 0x14, LT_U = 0x15, EXT = 0x16,
	REF8 = 0x17, REF16 = 0x18, REF32 = 0x19, REF64 = 0x1a,
	REF_DOUBLE = 0x1c, IF_GOTO = 0x20, GOTO = 0x21, C8 = 0x22, C16 = 0x23,
	C32 = 0x24, C64 = 0x25, REG = 0x26, END = 0x27, DUP = 0x28, POP = 0x29,
	ZEXT = 0x2a, SWAP = 0x2b, GETV = 0x2c, SETV = 0x2d, PICK = 0x32,
	ROT = 0x33, PRINTF = 0x34,
};

/* ---- a fake machine: 16 registers, 64 bytes of memory at 0x1000 -------- */

#define MEM_BASE 0x1000u
static uint8_t mem[64];
static uint64_t regs[16];
static unsigned mem_reads, reg_reads;

static int fake_reg(void *ctx, unsigned regnum, uint64_t *value)
{
	reg_reads++;
	if (regnum >= 16)
		return -EINVAL;
	*value = regs[regnum];
	return 0;
}

static int fake_mem(void *ctx, uint64_t addr, void *buf, size_t len)
{
	mem_reads++;
	if (addr < MEM_BASE || addr + len > MEM_BASE + sizeof(mem))
		return -EFAULT;
	memcpy(buf, mem + (addr - MEM_BASE), len);
	return 0;
}

static const struct ax_access acc = { fake_reg, fake_mem, NULL };

static int setup(void)
{
	for (size_t i = 0; i < sizeof(mem); i++)
		mem[i] = (uint8_t)(0x11 * (i + 1));
	for (int i = 0; i < 16; i++)
		regs[i] = 0x100u + (uint64_t)i;
	return 0;
}

static enum ax_status run(const uint8_t *code, size_t len, uint64_t *v)
{
	*v = 0xdeadbeef;
	return ax_eval(code, len, &acc, v);
}

#define EVAL_OK(expected, ...) do { \
	const uint8_t c_[] = { __VA_ARGS__ }; \
	uint64_t v_; \
	CU_ASSERT_EQUAL(run(c_, sizeof(c_), &v_), AX_OK); \
	CU_ASSERT_EQUAL(v_, (uint64_t)(expected)); \
} while (0)

#define EVAL_ERR(status, ...) do { \
	const uint8_t c_[] = { __VA_ARGS__ }; \
	uint64_t v_; \
	CU_ASSERT_EQUAL(run(c_, sizeof(c_), &v_), status); \
	CU_ASSERT_TRUE(ax_condition_true(c_, sizeof(c_), &acc)); \
} while (0)

/* ---- arithmetic and logic ------------------------------------------------- */

static void test_arithmetic(void)
{
	EVAL_OK(7, C8, 3, C8, 4, ADD, END);
	EVAL_OK(-1, C8, 3, C8, 4, SUB, END);     /* next-to-top minus top */
	EVAL_OK(12, C8, 3, C8, 4, MUL, END);
	EVAL_OK(0, C64, 0x80, 0, 0, 0, 0, 0, 0, 0, C8, 2, MUL, END);   /* wraps */
	EVAL_OK(3, C8, 14, C8, 4, DIV_U, END);
	EVAL_OK(2, C8, 14, C8, 4, REM_U, END);
	/* -14 / 4 = -3 rem -2 (C truncation, as GDB's LONGEST) */
	EVAL_OK(-3, C8, 0xf2, EXT, 8, C8, 4, DIV_S, END);
	EVAL_OK(-2, C8, 0xf2, EXT, 8, C8, 4, REM_S, END);
	/* INT64_MIN / -1 and its remainder do not trap */
	EVAL_OK(0x8000000000000000ull, C64, 0x80, 0, 0, 0, 0, 0, 0, 0,
		C8, 0xff, EXT, 8, DIV_S, END);
	EVAL_OK(0, C64, 0x80, 0, 0, 0, 0, 0, 0, 0, C8, 0xff, EXT, 8, REM_S, END);
}

static void test_shifts(void)
{
	EVAL_OK(0x50, C8, 5, C8, 4, LSH, END);
	EVAL_OK(0, C8, 5, C8, 64, LSH, END);
	EVAL_OK(0x0f, C8, 0xf0, C8, 4, RSH_U, END);
	EVAL_OK(-1, C8, 0xf0, EXT, 8, C8, 4, RSH_S, END);       /* 0xff..ff */
	EVAL_OK(-2, C8, 0xf0, EXT, 8, C8, 3, RSH_S, END);
	EVAL_OK(0x1e, C8, 0xf0, C8, 3, RSH_S, END);            /* positive */
	EVAL_OK(-1, C8, 0x80, EXT, 8, C8, 200, RSH_S, END);
	EVAL_OK(0, C8, 0x70, C8, 200, RSH_S, END);
	EVAL_OK(0, C8, 0x70, C8, 64, RSH_U, END);
}

static void test_bits_and_comparisons(void)
{
	EVAL_OK(0x0c, C8, 0x0e, C8, 0x3c, AND, END);
	EVAL_OK(0x3e, C8, 0x0e, C8, 0x3c, OR, END);
	EVAL_OK(0x32, C8, 0x0e, C8, 0x3c, XOR, END);
	EVAL_OK(~(uint64_t)0x0e, C8, 0x0e, NOT, END);
	EVAL_OK(1, C8, 0, LOG_NOT, END);
	EVAL_OK(0, C8, 9, LOG_NOT, END);
	EVAL_OK(1, C8, 37, C8, 37, EQ, END);
	EVAL_OK(0, C8, 37, C8, 38, EQ, END);
	EVAL_OK(1, C8, 0xff, EXT, 8, C8, 1, LT_S, END);    /* -1 < 1 */
	EVAL_OK(0, C8, 0xff, EXT, 8, C8, 1, LT_U, END);    /* not unsigned */
	EVAL_OK(1, C8, 1, C8, 2, LT_U, END);
	EVAL_OK(0, C8, 2, C8, 2, LT_S, END);
}

static void test_extensions(void)
{
	EVAL_OK(-1, C8, 0xff, EXT, 8, END);
	EVAL_OK(0x7f, C8, 0x7f, EXT, 8, END);
	EVAL_OK(-0x8000, C16, 0x80, 0x00, EXT, 16, END);
	EVAL_OK(0xfffffffffffffff0ull, C8, 0xf0, EXT, 5, END);     /* bit 4 set */
	EVAL_OK(0x1234, C16, 0x12, 0x34, EXT, 64, END);   /* no effect */
	EVAL_OK(0x34, C16, 0x12, 0x34, ZEXT, 8, END);
	EVAL_OK(0x1ff, C8, 0xff, EXT, 8, ZEXT, 9, END);
	EVAL_OK(0, C8, 0xff, ZEXT, 0, END);
	EVAL_OK(-1, C8, 0xff, EXT, 8, ZEXT, 64, END);
	EVAL_ERR(AX_ERR_BAD_OPERAND, C8, 1, EXT, 0, END);
}

/* ---- constants, registers, memory ------------------------------------------------ */

static void test_constants(void)
{
	EVAL_OK(0xab, C8, 0xab, END);              /* no sign extension */
	EVAL_OK(0xabcd, C16, 0xab, 0xcd, END);     /* big-endian */
	EVAL_OK(0x12345678, C32, 0x12, 0x34, 0x56, 0x78, END);
	EVAL_OK(0x0123456789abcdefull,
		C64, 0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, END);
}

static void test_registers(void)
{
	regs[5] = 37;
	EVAL_OK(37, REG, 0, 5, END);
	EVAL_OK(1, REG, 0, 5, C8, 37, EQ, END);
	EVAL_OK(0x10f, REG, 0, 15, END);
	reg_reads = 0;
	EVAL_ERR(AX_ERR_REGISTER, REG, 0x01, 0x00, END);   /* register 256 */
	CU_ASSERT_TRUE(reg_reads > 0);
}

static void test_memory(void)
{
	/* mem[i] = 0x11 * (i + 1): little-endian loads */
	EVAL_OK(0x11, C16, 0x10, 0x00, REF8, END);
	EVAL_OK(0x3322, C16, 0x10, 0x01, REF16, END);
	EVAL_OK(0x55443322, C16, 0x10, 0x01, REF32, END);
	EVAL_OK(0x9988776655443322ull, C16, 0x10, 0x01, REF64, END);
	/* a loaded byte is unsigned until ext */
	mem[3] = 0xfe;
	EVAL_OK(0xfe, C16, 0x10, 0x03, REF8, END);
	EVAL_OK(-2, C16, 0x10, 0x03, REF8, EXT, 8, END);
	/* register plus offset, as GDB builds a local's address */
	regs[6] = MEM_BASE + 16;
	EVAL_OK(0x99, REG, 0, 6, C8, 0xf8, EXT, 8, ADD, REF8, END);
	EVAL_ERR(AX_ERR_MEMORY, C16, 0x20, 0x00, REF32, END);
	EVAL_ERR(AX_ERR_MEMORY, C16, 0x10, 0x3e, REF32, END);  /* straddles */
}

/* ---- stack and control flow ---------------------------------------------------------- */

static void test_stack_ops(void)
{
	EVAL_OK(10, C8, 5, DUP, ADD, END);
	EVAL_OK(5, C8, 5, C8, 6, POP, END);
	EVAL_OK(1, C8, 5, C8, 6, SWAP, SUB, END);          /* 6 - 5 */
	EVAL_OK(6, C8, 5, C8, 6, PICK, 0, END);
	EVAL_OK(5, C8, 5, C8, 6, PICK, 1, END);
	EVAL_OK(7, C8, 7, C8, 5, C8, 6, PICK, 2, END);
	/* rot: a b c => c a b */
	EVAL_OK(2, C8, 1, C8, 2, C8, 3, ROT, END);
	EVAL_OK(1, C8, 1, C8, 2, C8, 3, ROT, POP, END);
	EVAL_OK(3, C8, 1, C8, 2, C8, 3, ROT, POP, POP, END);
	EVAL_ERR(AX_ERR_BAD_OPERAND, C8, 5, PICK, 1, END);
	EVAL_ERR(AX_ERR_UNDERFLOW, C8, 5, ADD, END);
	EVAL_ERR(AX_ERR_UNDERFLOW, C8, 1, C8, 2, ROT, END);
	EVAL_ERR(AX_ERR_UNDERFLOW, POP, END);
	EVAL_ERR(AX_ERR_UNDERFLOW, SWAP, END);
	EVAL_ERR(AX_ERR_NO_RESULT, END);
}

static void test_jumps(void)
{
	/* if (1) 0x22 else 0x11 */
	EVAL_OK(0x22, C8, 1, IF_GOTO, 0, 10, C8, 0x11, GOTO, 0, 12, C8, 0x22, END);
	EVAL_OK(0x11, C8, 0, IF_GOTO, 0, 10, C8, 0x11, GOTO, 0, 12, C8, 0x22, END);
	/* a bounded loop: count 5 down to 0, summing 1 each round */
	EVAL_OK(5,
		C8, 0, C8, 5,                           /* 0: sum n */
		DUP, LOG_NOT, IF_GOTO, 0, 21,           /* 4: n == 0 -> out */
		C8, 1, SUB, SWAP, C8, 1, ADD, SWAP,     /* 9: n--, sum++ */
		GOTO, 0, 4,                             /* 17 */
		POP,                                    /* 20: (unused) */
		POP, END);                              /* 21: drop n */
	EVAL_ERR(AX_ERR_BAD_JUMP, GOTO, 0, 4, END);
	EVAL_ERR(AX_ERR_BAD_JUMP, C8, 1, IF_GOTO, 0xff, 0xff, END);
	EVAL_ERR(AX_ERR_UNDERFLOW, IF_GOTO, 0, 0, END);
}

/* ---- refused and malformed code; limits ------------------------------------------------- */

static void test_refused_opcodes(void)
{
	EVAL_ERR(AX_ERR_UNSUPPORTED, C8, 1, C8, 4, TRACE, C8, 1, END);
	EVAL_ERR(AX_ERR_UNSUPPORTED, GETV, 0, 1, END);
	EVAL_ERR(AX_ERR_UNSUPPORTED, C8, 1, SETV, 0, 1, END);
	EVAL_ERR(AX_ERR_UNSUPPORTED, PRINTF, 0, 0, 1, 0, END);
	EVAL_ERR(AX_ERR_UNSUPPORTED, C8, 0x10, REF_DOUBLE, END);
	EVAL_ERR(AX_ERR_UNSUPPORTED, 0x01, END);          /* float prefix */
	EVAL_ERR(AX_ERR_BAD_OPCODE, 0x00, END);
	EVAL_ERR(AX_ERR_BAD_OPCODE, 0x31, END);           /* ax.def's filler */
	EVAL_ERR(AX_ERR_BAD_OPCODE, C8, 1, 0xff, END);
	CU_ASSERT_STRING_EQUAL(ax_opcode_name(0x33), "rot");
	CU_ASSERT_STRING_EQUAL(ax_opcode_name(0x0c), "trace");
	CU_ASSERT_PTR_NULL(ax_opcode_name(0x31));
}

static void test_malformed(void)
{
	uint64_t v;
	CU_ASSERT_EQUAL(ax_eval(NULL, 0, &acc, &v), AX_ERR_EMPTY);
	EVAL_ERR(AX_ERR_TRUNCATED, C8, 1);                 /* no end */
	EVAL_ERR(AX_ERR_TRUNCATED, C8);                    /* operand missing */
	EVAL_ERR(AX_ERR_TRUNCATED, C64, 1, 2, 3);
	EVAL_ERR(AX_ERR_TRUNCATED, REG, 0);
	EVAL_ERR(AX_ERR_TRUNCATED, C8, 1, IF_GOTO, 0);
	EVAL_ERR(AX_ERR_DIVIDE_BY_ZERO, C8, 1, C8, 0, DIV_U, END);
	EVAL_ERR(AX_ERR_DIVIDE_BY_ZERO, C8, 1, C8, 0, DIV_S, END);
	EVAL_ERR(AX_ERR_DIVIDE_BY_ZERO, C8, 1, C8, 0, REM_U, END);
	EVAL_ERR(AX_ERR_DIVIDE_BY_ZERO, C8, 1, C8, 0, REM_S, END);
}

static void test_stack_limit(void)
{
	uint8_t code[2 * AX_STACK_MAX + 3];
	size_t n = 0;
	for (int i = 0; i < AX_STACK_MAX; i++) {
		code[n++] = C8;
		code[n++] = (uint8_t)i;
	}
	code[n++] = END;
	uint64_t v;
	CU_ASSERT_EQUAL(ax_eval(code, n, &acc, &v), AX_OK);   /* exactly full */
	CU_ASSERT_EQUAL(v, AX_STACK_MAX - 1);
	code[n - 1] = DUP;
	code[n++] = END;
	CU_ASSERT_EQUAL(ax_eval(code, n, &acc, &v), AX_ERR_OVERFLOW);
	CU_ASSERT_TRUE(ax_condition_true(code, n, &acc));
	/* pushing in a loop overflows instead of running on */
	const uint8_t push_loop[] = { C8, 1, GOTO, 0, 0 };
	CU_ASSERT_EQUAL(ax_eval(push_loop, sizeof(push_loop), &acc, &v),
			AX_ERR_OVERFLOW);
}

static void test_step_limit(void)
{
	uint64_t v;
	const uint8_t spin[] = { GOTO, 0, 0, END };
	CU_ASSERT_EQUAL(ax_eval(spin, sizeof(spin), &acc, &v),
			AX_ERR_TOO_MANY_STEPS);
	CU_ASSERT_TRUE(ax_condition_true(spin, sizeof(spin), &acc));
	/* a loop that reads memory every round stops at the limit too */
	mem_reads = 0;
	const uint8_t reading[] = { C16, 0x10, 0x00, REF8, POP, GOTO, 0, 0 };
	CU_ASSERT_EQUAL(ax_eval(reading, sizeof(reading), &acc, &v),
			AX_ERR_TOO_MANY_STEPS);
	CU_ASSERT_TRUE(mem_reads > 0 && mem_reads <= AX_STEPS_MAX / 4 + 1);
}

static void test_condition_truth(void)
{
	const uint8_t yes[] = { C8, 2, END }, no[] = { C8, 0, END };
	CU_ASSERT_TRUE(ax_condition_true(yes, sizeof(yes), &acc));
	CU_ASSERT_FALSE(ax_condition_true(no, sizeof(no), &acc));
	/* only the low bits count as GDB computed them: a 64-bit non-zero */
	const uint8_t high[] = { C64, 0x80, 0, 0, 0, 0, 0, 0, 0, END };
	CU_ASSERT_TRUE(ax_condition_true(high, sizeof(high), &acc));
	CU_ASSERT_STRING_EQUAL(ax_status_text(AX_ERR_MEMORY), "memory not readable");
	CU_ASSERT_STRING_EQUAL(ax_status_text((enum ax_status)999), "unknown status");
}

/* The shape of GDB's bytecode for `i == 37` with i an int at -0x14(%rbp):
 * the local's address from a register, a 32-bit load, sign extension. */
static void test_gdb_shaped_condition(void)
{
	const uint8_t i_is_37[4] = { 37, 0, 0, 0 };
	regs[6] = MEM_BASE + 0x20;         /* rbp */
	memcpy(mem + 0x20 - 0x14, i_is_37, sizeof(i_is_37));
	const uint8_t cond[] = {
		REG, 0, 6, C8, 0x14, SUB, REF32, EXT, 32, C8, 37, EQ, END,
	};
	CU_ASSERT_TRUE(ax_condition_true(cond, sizeof(cond), &acc));
	mem[0x20 - 0x14] = 36;
	CU_ASSERT_FALSE(ax_condition_true(cond, sizeof(cond), &acc));
}

static const struct unit_test eval_tests[] = {
	{ "arithmetic", test_arithmetic },
	{ "shifts", test_shifts },
	{ "bits and comparisons", test_bits_and_comparisons },
	{ "ext and zero_ext", test_extensions },
	{ "constants", test_constants },
	{ "registers", test_registers },
	{ "memory", test_memory },
	{ "dup pop swap pick rot", test_stack_ops },
	{ "if_goto and goto", test_jumps },
	{ "GDB-shaped condition", test_gdb_shaped_condition },
	{ NULL, NULL },
};

static const struct unit_test error_tests[] = {
	{ "refused opcodes", test_refused_opcodes },
	{ "malformed code", test_malformed },
	{ "stack limit", test_stack_limit },
	{ "step limit", test_step_limit },
	{ "condition truth", test_condition_truth },
	{ NULL, NULL },
};

static const struct unit_suite suites[] = {
	{ "agent expressions", eval_tests, setup, NULL },
	{ "agent expression errors and limits", error_tests, setup, NULL },
};

UNIT_MAIN(suites)
