/* GDB agent-expression evaluator for breakpoint conditions.
 *
 * The opcode table below is data: numbers, operand sizes and stack
 * effects as gdbsupport/ax.def assigns them, and the semantics of
 * gdb/doc/agentexpr.texi (operands big-endian; memory in the target's
 * own order, little-endian here; values are 64-bit).  The loop checks
 * every operand and stack effect before an opcode runs, so the handlers
 * below cannot read or write outside the code or the stack. */
#include "config.h"

#include <string.h>

#include "protocol/agent_expr.h"

struct ax_vm {
	const uint8_t *code;
	size_t len;
	size_t pc;                      /* offset of the next opcode */
	uint64_t stack[AX_STACK_MAX];
	size_t depth;
	const struct ax_access *acc;
	bool done;                      /* `end` reached */
};

struct ax_op;
typedef enum ax_status (*ax_exec_fn)(struct ax_vm *vm, const struct ax_op *op,
				     uint64_t operand);
/* false: the operation has no result (division by zero). */
typedef bool (*ax_binary_fn)(uint64_t a, uint64_t b, uint64_t *out);

struct ax_op {
	const char *name;
	uint8_t operand_bytes;   /* big-endian operand after the opcode */
	uint8_t pops, pushes;    /* checked before the handler runs */
	ax_exec_fn exec;         /* NULL: a real opcode a condition may not use */
	ax_binary_fn binary;     /* for exec_binary */
	uint8_t width;           /* ref: bytes read */
};

static uint64_t pop(struct ax_vm *vm)
{
	return vm->stack[--vm->depth];
}

static void push(struct ax_vm *vm, uint64_t v)
{
	vm->stack[vm->depth++] = v;
}

/* Signed views of stack values (two's complement, as GDB's LONGEST). */
static int64_t sv(uint64_t v)
{
	return (int64_t)v;
}

/* ---- binary operations: a is next-to-top, b is the top ------------------ */

static bool b_add(uint64_t a, uint64_t b, uint64_t *r) { *r = a + b; return true; }
static bool b_sub(uint64_t a, uint64_t b, uint64_t *r) { *r = a - b; return true; }
static bool b_mul(uint64_t a, uint64_t b, uint64_t *r) { *r = a * b; return true; }
static bool b_and(uint64_t a, uint64_t b, uint64_t *r) { *r = a & b; return true; }
static bool b_or(uint64_t a, uint64_t b, uint64_t *r) { *r = a | b; return true; }
static bool b_xor(uint64_t a, uint64_t b, uint64_t *r) { *r = a ^ b; return true; }
static bool b_equal(uint64_t a, uint64_t b, uint64_t *r) { *r = a == b; return true; }
static bool b_less_u(uint64_t a, uint64_t b, uint64_t *r) { *r = a < b; return true; }

static bool b_less_s(uint64_t a, uint64_t b, uint64_t *r)
{
	*r = sv(a) < sv(b);
	return true;
}

/* INT64_MIN / -1 overflows (and traps on x86): it wraps to INT64_MIN, the
 * remainder is 0, as two's complement arithmetic gives. */
static bool b_div_s(uint64_t a, uint64_t b, uint64_t *r)
{
	if (b == 0)
		return false;
	*r = sv(b) == -1 ? 0 - a : (uint64_t)(sv(a) / sv(b));
	return true;
}

static bool b_rem_s(uint64_t a, uint64_t b, uint64_t *r)
{
	if (b == 0)
		return false;
	*r = sv(b) == -1 ? 0 : (uint64_t)(sv(a) % sv(b));
	return true;
}

static bool b_div_u(uint64_t a, uint64_t b, uint64_t *r)
{
	if (b == 0)
		return false;
	*r = a / b;
	return true;
}

static bool b_rem_u(uint64_t a, uint64_t b, uint64_t *r)
{
	if (b == 0)
		return false;
	*r = a % b;
	return true;
}

/* Shifts by 64 or more are undefined in C; the bytecode means "all bits
 * shifted out". */
static bool b_lsh(uint64_t a, uint64_t b, uint64_t *r)
{
	*r = b >= 64 ? 0 : a << b;
	return true;
}

static bool b_rsh_u(uint64_t a, uint64_t b, uint64_t *r)
{
	*r = b >= 64 ? 0 : a >> b;
	return true;
}

static bool b_rsh_s(uint64_t a, uint64_t b, uint64_t *r)
{
	bool negative = a >> 63;
	uint64_t shifted = b >= 64 ? 0 : (negative ? ~a : a) >> b;
	*r = negative ? ~shifted : shifted;
	return true;
}

/* ---- handlers ------------------------------------------------------------- */

static enum ax_status exec_binary(struct ax_vm *vm, const struct ax_op *op,
				  uint64_t operand)
{
	uint64_t b = pop(vm), a = pop(vm), r;
	if (!op->binary(a, b, &r))
		return AX_ERR_DIVIDE_BY_ZERO;
	push(vm, r);
	return AX_OK;
}

static enum ax_status exec_log_not(struct ax_vm *vm, const struct ax_op *op,
				   uint64_t operand)
{
	push(vm, pop(vm) == 0);
	return AX_OK;
}

static enum ax_status exec_bit_not(struct ax_vm *vm, const struct ax_op *op,
				   uint64_t operand)
{
	push(vm, ~pop(vm));
	return AX_OK;
}

/* Sign-extend from `operand` bits; 64 or more leaves the value alone. */
static enum ax_status exec_ext(struct ax_vm *vm, const struct ax_op *op,
			       uint64_t operand)
{
	if (operand == 0)
		return AX_ERR_BAD_OPERAND;
	uint64_t v = pop(vm);
	if (operand < 64) {
		uint64_t sign = 1ull << (operand - 1);
		v &= (1ull << operand) - 1;
		v = (v ^ sign) - sign;
	}
	push(vm, v);
	return AX_OK;
}

static enum ax_status exec_zero_ext(struct ax_vm *vm, const struct ax_op *op,
				    uint64_t operand)
{
	uint64_t v = pop(vm);
	if (operand < 64)
		v &= (1ull << operand) - 1;
	push(vm, v);
	return AX_OK;
}

static enum ax_status exec_ref(struct ax_vm *vm, const struct ax_op *op,
			       uint64_t operand)
{
	uint8_t bytes[8];
	uint64_t addr = pop(vm), v = 0;
	if (vm->acc->read_mem(vm->acc->ctx, addr, bytes, op->width) < 0)
		return AX_ERR_MEMORY;
	for (size_t i = op->width; i-- > 0;)
		v = v << 8 | bytes[i];
	push(vm, v);
	return AX_OK;
}

static enum ax_status exec_const(struct ax_vm *vm, const struct ax_op *op,
				 uint64_t operand)
{
	push(vm, operand);
	return AX_OK;
}

static enum ax_status exec_reg(struct ax_vm *vm, const struct ax_op *op,
			       uint64_t operand)
{
	uint64_t v;
	if (vm->acc->read_reg(vm->acc->ctx, (unsigned)operand, &v) < 0)
		return AX_ERR_REGISTER;
	push(vm, v);
	return AX_OK;
}

static enum ax_status jump_to(struct ax_vm *vm, uint64_t target)
{
	if (target >= vm->len)
		return AX_ERR_BAD_JUMP;
	vm->pc = (size_t)target;
	return AX_OK;
}

static enum ax_status exec_if_goto(struct ax_vm *vm, const struct ax_op *op,
				   uint64_t operand)
{
	return pop(vm) ? jump_to(vm, operand) : AX_OK;
}

static enum ax_status exec_goto(struct ax_vm *vm, const struct ax_op *op,
				uint64_t operand)
{
	return jump_to(vm, operand);
}

static enum ax_status exec_end(struct ax_vm *vm, const struct ax_op *op,
			       uint64_t operand)
{
	if (vm->depth == 0)
		return AX_ERR_NO_RESULT;
	vm->done = true;
	return AX_OK;
}

static enum ax_status exec_dup(struct ax_vm *vm, const struct ax_op *op,
			       uint64_t operand)
{
	push(vm, vm->stack[vm->depth - 1]);
	return AX_OK;
}

static enum ax_status exec_pop(struct ax_vm *vm, const struct ax_op *op,
			       uint64_t operand)
{
	pop(vm);
	return AX_OK;
}

static enum ax_status exec_swap(struct ax_vm *vm, const struct ax_op *op,
				uint64_t operand)
{
	uint64_t b = pop(vm), a = pop(vm);
	push(vm, b);
	push(vm, a);
	return AX_OK;
}

/* pick n: copy the item n below the top (pick 0 is dup); GDB emits it
 * for DWARF's DW_OP_pick and DW_OP_over. */
static enum ax_status exec_pick(struct ax_vm *vm, const struct ax_op *op,
				uint64_t operand)
{
	if (operand >= vm->depth)
		return AX_ERR_BAD_OPERAND;
	push(vm, vm->stack[vm->depth - 1 - operand]);
	return AX_OK;
}

/* rot: a b c => c a b, DWARF's DW_OP_rot (the top becomes the third
 * item), which is what GDB emits it for and what gdbserver does. */
static enum ax_status exec_rot(struct ax_vm *vm, const struct ax_op *op,
			       uint64_t operand)
{
	uint64_t c = pop(vm), b = pop(vm), a = pop(vm);
	push(vm, c);
	push(vm, a);
	push(vm, b);
	return AX_OK;
}

/* ---- the opcode table ------------------------------------------------------- */

#define BIN(n, f) { n, 0, 2, 1, exec_binary, f, 0 }
#define REF(n, w) { n, 0, 1, 1, exec_ref, NULL, w }
#define REFUSED(n) { n, 0, 0, 0, NULL, NULL, 0 }

static const struct ax_op ax_ops[256] = {
	[0x01] = REFUSED("float"),
	[0x02] = BIN("add", b_add),
	[0x03] = BIN("sub", b_sub),
	[0x04] = BIN("mul", b_mul),
	[0x05] = BIN("div_signed", b_div_s),
	[0x06] = BIN("div_unsigned", b_div_u),
	[0x07] = BIN("rem_signed", b_rem_s),
	[0x08] = BIN("rem_unsigned", b_rem_u),
	[0x09] = BIN("lsh", b_lsh),
	[0x0a] = BIN("rsh_signed", b_rsh_s),
	[0x0b] = BIN("rsh_unsigned", b_rsh_u),
	[0x0c] = REFUSED("trace"),
	[0x0d] = REFUSED("trace_quick"),
	[0x0e] = { "log_not", 0, 1, 1, exec_log_not, NULL, 0 },
	[0x0f] = BIN("bit_and", b_and),
	[0x10] = BIN("bit_or", b_or),
	[0x11] = BIN("bit_xor", b_xor),
	[0x12] = { "bit_not", 0, 1, 1, exec_bit_not, NULL, 0 },
	[0x13] = BIN("equal", b_equal),
	[0x14] = BIN("less_signed", b_less_s),
	[0x15] = BIN("less_unsigned", b_less_u),
	[0x16] = { "ext", 1, 1, 1, exec_ext, NULL, 0 },
	[0x17] = REF("ref8", 1),
	[0x18] = REF("ref16", 2),
	[0x19] = REF("ref32", 4),
	[0x1a] = REF("ref64", 8),
	[0x1b] = REFUSED("ref_float"),
	[0x1c] = REFUSED("ref_double"),
	[0x1d] = REFUSED("ref_long_double"),
	[0x1e] = REFUSED("l_to_d"),
	[0x1f] = REFUSED("d_to_l"),
	[0x20] = { "if_goto", 2, 1, 0, exec_if_goto, NULL, 0 },
	[0x21] = { "goto", 2, 0, 0, exec_goto, NULL, 0 },
	[0x22] = { "const8", 1, 0, 1, exec_const, NULL, 0 },
	[0x23] = { "const16", 2, 0, 1, exec_const, NULL, 0 },
	[0x24] = { "const32", 4, 0, 1, exec_const, NULL, 0 },
	[0x25] = { "const64", 8, 0, 1, exec_const, NULL, 0 },
	[0x26] = { "reg", 2, 0, 1, exec_reg, NULL, 0 },
	[0x27] = { "end", 0, 0, 0, exec_end, NULL, 0 },
	[0x28] = { "dup", 0, 1, 2, exec_dup, NULL, 0 },
	[0x29] = { "pop", 0, 1, 0, exec_pop, NULL, 0 },
	[0x2a] = { "zero_ext", 1, 1, 1, exec_zero_ext, NULL, 0 },
	[0x2b] = { "swap", 0, 2, 2, exec_swap, NULL, 0 },
	[0x2c] = REFUSED("getv"),
	[0x2d] = REFUSED("setv"),
	[0x2e] = REFUSED("tracev"),
	[0x2f] = REFUSED("tracenz"),
	[0x30] = REFUSED("trace16"),
	/* 0x31 is a placeholder in ax.def, no opcode. */
	[0x32] = { "pick", 1, 0, 1, exec_pick, NULL, 0 },
	[0x33] = { "rot", 0, 3, 3, exec_rot, NULL, 0 },
	[0x34] = REFUSED("printf"),
};

/* ---- the loop ------------------------------------------------------------------- */

static uint64_t read_operand(const uint8_t *p, size_t n)
{
	uint64_t v = 0;
	for (size_t i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

static enum ax_status step(struct ax_vm *vm)
{
	const struct ax_op *op = &ax_ops[vm->code[vm->pc]];
	if (!op->name)
		return AX_ERR_BAD_OPCODE;
	if (!op->exec)
		return AX_ERR_UNSUPPORTED;
	if (vm->len - vm->pc - 1 < op->operand_bytes)
		return AX_ERR_TRUNCATED;
	if (vm->depth < op->pops)
		return AX_ERR_UNDERFLOW;
	if (vm->depth - op->pops + op->pushes > AX_STACK_MAX)
		return AX_ERR_OVERFLOW;
	uint64_t operand = read_operand(vm->code + vm->pc + 1, op->operand_bytes);
	vm->pc += 1u + op->operand_bytes;
	return op->exec(vm, op, operand);
}

enum ax_status ax_eval(const uint8_t *code, size_t len,
		       const struct ax_access *acc, uint64_t *result)
{
	if (len == 0)
		return AX_ERR_EMPTY;
	struct ax_vm vm = { .code = code, .len = len, .acc = acc };
	for (unsigned steps = 0; steps < AX_STEPS_MAX; steps++) {
		if (vm.pc >= vm.len)
			return AX_ERR_TRUNCATED;    /* ran off the end */
		enum ax_status st = step(&vm);
		if (st != AX_OK)
			return st;
		if (vm.done) {
			*result = vm.stack[vm.depth - 1];
			return AX_OK;
		}
	}
	return AX_ERR_TOO_MANY_STEPS;
}

bool ax_condition_true(const uint8_t *code, size_t len,
		       const struct ax_access *acc)
{
	uint64_t v = 0;
	return ax_eval(code, len, acc, &v) != AX_OK || v != 0;
}

static const char *const status_text[] = {
	[AX_OK] = "ok",
	[AX_ERR_EMPTY] = "empty expression",
	[AX_ERR_BAD_OPCODE] = "unknown opcode",
	[AX_ERR_UNSUPPORTED] = "opcode not supported in conditions",
	[AX_ERR_TRUNCATED] = "expression ends in the middle",
	[AX_ERR_BAD_OPERAND] = "bad operand",
	[AX_ERR_BAD_JUMP] = "jump outside the expression",
	[AX_ERR_UNDERFLOW] = "stack underflow",
	[AX_ERR_OVERFLOW] = "stack overflow",
	[AX_ERR_DIVIDE_BY_ZERO] = "division by zero",
	[AX_ERR_REGISTER] = "register not readable",
	[AX_ERR_MEMORY] = "memory not readable",
	[AX_ERR_TOO_MANY_STEPS] = "too many steps",
	[AX_ERR_NO_RESULT] = "end with an empty stack",
};

const char *ax_status_text(enum ax_status st)
{
	if ((size_t)st >= sizeof(status_text) / sizeof(status_text[0]) ||
	    !status_text[st])
		return "unknown status";
	return status_text[st];
}

const char *ax_opcode_name(uint8_t op)
{
	return ax_ops[op].name;
}
