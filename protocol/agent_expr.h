/* GDB agent expressions (gdb/doc/agentexpr.texi): the bytecode GDB sends
 * with a breakpoint (`Z0,addr,kind;X<len>,<hex>`) so the stub evaluates
 * the condition itself instead of reporting every hit.
 *
 * Knows nothing of ptrace or targets: registers (by GDB's register
 * number, i.e. the target description's) and memory come through
 * callbacks.  Only what a condition needs is evaluated; tracing, printf,
 * trace-state variables and floating point are refused as errors.  The
 * stack and the number of executed opcodes are bounded, so bytecode with
 * a loop or a runaway push cannot hang or overflow the stub. */
#ifndef XRR_PROTOCOL_AGENT_EXPR_H
#define XRR_PROTOCOL_AGENT_EXPR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define AX_STACK_MAX 100       /* gdbserver's bound, too */
#define AX_STEPS_MAX 65536     /* opcodes one evaluation may execute */

enum ax_status {
	AX_OK = 0,
	AX_ERR_EMPTY,          /* no bytecode at all */
	AX_ERR_BAD_OPCODE,     /* a byte that is no opcode */
	AX_ERR_UNSUPPORTED,    /* trace, printf, setv, float, ...: not for conditions */
	AX_ERR_TRUNCATED,      /* operand or `end` missing at the end of the code */
	AX_ERR_BAD_OPERAND,    /* ext 0, pick beyond the stack */
	AX_ERR_BAD_JUMP,       /* goto/if_goto outside the code */
	AX_ERR_UNDERFLOW,
	AX_ERR_OVERFLOW,
	AX_ERR_DIVIDE_BY_ZERO,
	AX_ERR_REGISTER,       /* the register callback failed */
	AX_ERR_MEMORY,         /* the memory callback failed */
	AX_ERR_TOO_MANY_STEPS,
	AX_ERR_NO_RESULT,      /* `end` with an empty stack */
};

/* Where values come from.  read_reg fills *value (zero-extended) and
 * returns 0, or a negative value when the register cannot be read;
 * read_mem reads exactly len bytes and returns 0, or a negative value. */
struct ax_access {
	int (*read_reg)(void *ctx, unsigned regnum, uint64_t *value);
	int (*read_mem)(void *ctx, uint64_t addr, void *buf, size_t len);
	void *ctx;
};

/* Run the bytecode; on AX_OK *result is the top of the stack at `end`. */
enum ax_status ax_eval(const uint8_t *code, size_t len,
		       const struct ax_access *acc, uint64_t *result);

/* A breakpoint condition: true when the value is non-zero, and true on
 * any error too, as gdbserver does, so that a condition the stub cannot
 * evaluate stops the program and the user sees it. */
bool ax_condition_true(const uint8_t *code, size_t len,
		       const struct ax_access *acc);

const char *ax_status_text(enum ax_status st);
/* Name of an opcode ("add", "ref32"), or NULL when the byte is none. */
const char *ax_opcode_name(uint8_t op);

#endif
