/* The conditional-trap trampoline of replay/point_patch.h.
 *
 * Layout (offsets from tramp_addr; K_x are 8-byte constants in a pool
 * after the code, S_x the two scratch slots after the pool, all read and
 * written rip-relative so no register or stack is needed for them):
 *
 *   mov [rip+S_RAX],rax     48 89 05 d32
 *   lahf                    9f           ah = SF ZF 0 AF 0 PF 1 CF
 *   seto al                 0f 90 c0     al = OF (0 or 1)
 *   mov [rip+S_FLAGS],ax    66 89 05 d32
 *   mov rax,[rip+S_RAX]     48 8b 05 d32 rax whole again for its compare
 *   cmp REG,[rip+K_REG]     x16 (rax rbx ... r15, rsp as it is), each
 *   jne nomatch               followed by jne nomatch (0f 85 rel32)
 *   movabs rax,[ADDR]       x nwords (rax is scratch now: it is in S_RAX)
 *   cmp rax,[rip+K_WORD]
 *   jne nomatch
 *   RESTORE                 see below
 *   int3                    full match: the tracer sees the state at rip
 *   jmp displaced           eb 11: resuming at match_trap goes on correctly
 * nomatch:
 *   RESTORE
 * displaced:
 *   <instructions from rip, rip-relative operands relocated, relative
 *    branches re-encoded to their original destinations (below)>
 *   jmp rip+displaced       unless the window ended in a jmp or call
 *   <int3 padding to 8>  <pool: K_x>  <int3 padding to 2 KB (absolute)>
 *   S_RAX (8 bytes)  S_FLAGS (8 bytes, 2 used; zero before the first pass)
 *
 * RESTORE, 17 bytes:
 *   mov ax,[rip+S_FLAGS]    66 8b 05 d32
 *   add al,0x7f             04 7f        OF = (al == 1): 1+127 overflows,
 *                                        0+127 does not
 *   sahf                    9e           SF ZF AF PF CF from ah; OF kept
 *   mov rax,[rip+S_RAX]     48 8b 05 d32 flags untouched
 *
 * cmp and jne change only CF PF AF ZF SF OF; lahf/seto/sahf/add/mov
 * touch nothing else either, so DF, IF, TF, AC and the rest of eflags are
 * never changed, and the six arithmetic flags come back bit for bit.
 * Nothing is pushed: the thread's stack, red zone or not, is not written.
 *
 * The no-match path, taken on almost every pass, falls straight through
 * into the displaced instructions.
 *
 * Relative branches in the window go where they went from rip, never
 * into the trampoline's copy: a destination inside the displaced bytes
 * is refused, except rip itself, where the jump to the trampoline is (a
 * loop's back-edge to rip re-enters the compare, and every branch
 * leaves the trampoline's page, which step_out_of_matcher relies on):
 *   jcc rel8/rel32          0f 8x rel32
 *   jmp rel8/rel32          e9 rel32; ends the window: after it only
 *                           padding (nop, int3) may be covered
 *   call rel32              push qword [rip+K_RET]; e9 rel32 (K_RET the
 *                           original return address: rsp, the stack
 *                           and the flags as the call leaves them); the
 *                           window ends with it (the return lands on
 *                           the original code after it)
 *   loop/jrcxz/jecxz rel8   the same with rel8 2; eb 05; e9 rel32 */
#include "config.h"

#include "replay/point_patch.h"

#include "replay/code_bytes.h"

#include <Zydis/Zydis.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define JMP_REL32_LEN 5
/* The scratch slots start the next 2 KB-aligned block after the code and
 * pool: a store near code being executed is self-modifying code to the
 * CPU (a pipeline flush per pass).  Intel's rule: no store into the
 * aligned 1 KB block being executed, no code fetched from the aligned
 * 2 KB block being written.  AMD checks per cache line. */
#define SLOT_ALIGN 2048
#define SLOT_RAX 0
#define SLOT_FLAGS 8
#define SLOTS_LEN 16
/* Bytes of RESTORE (above). */
#define RESTORE_LEN 17
/* Instructions naming a slot: 3 in the save, 2 in each RESTORE. */
#define SLOT_REFS 7

/* Hardware register numbers of enum point_gpr, for ModRM.reg. */
static const uint8_t hw_reg[POINT_NGPR] = {
	0, 3, 1, 2, 6, 7, 5, 4, 8, 9, 10, 11, 12, 13, 14, 15
};




/* ---- the displaced instructions -------------------------------------- */

/* How a displaced instruction is re-emitted in the trampoline. */
enum moved_kind {
	MOVED_PLAIN,    /* copied (a rip-relative disp32 relocated) */
	MOVED_JCC,      /* jcc rel8/rel32 -> jcc rel32 to the same target */
	MOVED_JMP,      /* jmp rel8/rel32 -> jmp rel32; ends the window */
	MOVED_CALL,     /* call rel32 -> push return address, jmp rel32;
			 * ends the window */
	MOVED_LOOP,     /* loop/loope/loopne/jrcxz/jecxz rel8 -> the same
			 * with rel8 2, over a short jmp, to a jmp rel32 */
	MOVED_PAD,      /* nop or int3 after a jmp: covered, never run */
};

struct moved_insn {
	size_t off, len;        /* in the original code, from rip */
	enum moved_kind kind;
	bool riprel;
	size_t disp_off;        /* of the disp32 inside the instruction */
	uint64_t target;        /* absolute address the operand names, or
				 * the branch's destination */
	uint8_t cc;             /* MOVED_JCC: the condition (opcode & 15) */
};

struct window {
	size_t n, len;
	bool falls_through;     /* false after a jmp or a call */
	struct moved_insn insn[POINT_MAX_DISPLACED];
};

static bool is_traced_mnemonic(ZydisMnemonic m)
{
	/* The tracer makes these trap (rdtsc faulting, insn_virt's ud2
	 * at recorded sites) and emulates them; a copy in the trampoline
	 * would run natively and escape that. */
	switch (m) {
	case ZYDIS_MNEMONIC_CPUID: case ZYDIS_MNEMONIC_RDTSC:
	case ZYDIS_MNEMONIC_RDTSCP: case ZYDIS_MNEMONIC_XGETBV:
	case ZYDIS_MNEMONIC_XSAVE: case ZYDIS_MNEMONIC_XSAVE64:
	case ZYDIS_MNEMONIC_XSAVEOPT: case ZYDIS_MNEMONIC_XSAVEOPT64:
	case ZYDIS_MNEMONIC_XSAVEC: case ZYDIS_MNEMONIC_XSAVEC64:
	case ZYDIS_MNEMONIC_XRSTOR: case ZYDIS_MNEMONIC_XRSTOR64:
		return true;
	default:
		return false;
	}
}

/* Why an instruction cannot run elsewhere than at its address, or NULL.
 * Relative jcc, jmp, call, loop and jrcxz are classified before this
 * (branch_kind) and re-encoded instead. */
static const char *refusal(const ZydisDecodedInstruction *insn,
			   const ZydisDecodedOperand *ops)
{
	switch (insn->meta.category) {
	case ZYDIS_CATEGORY_COND_BR: return "is a conditional branch";
	case ZYDIS_CATEGORY_UNCOND_BR: return "is an indirect or prefixed jump";
	case ZYDIS_CATEGORY_CALL: return "is an indirect or prefixed call";
	case ZYDIS_CATEGORY_RET: return "is a return";
	case ZYDIS_CATEGORY_SYSCALL:
	case ZYDIS_CATEGORY_SYSRET: return "is a system call";
	case ZYDIS_CATEGORY_INTERRUPT: return "raises an interrupt";
	default: break;
	}
	switch (insn->mnemonic) {
	case ZYDIS_MNEMONIC_UD0: case ZYDIS_MNEMONIC_UD1:
	case ZYDIS_MNEMONIC_UD2: return "is an undefined-opcode trap";
	case ZYDIS_MNEMONIC_HLT: return "is hlt (faults, reported at its address)";
	default: break;
	}
	if (is_traced_mnemonic(insn->mnemonic))
		return "is trapped and emulated by the tracer";
	/* Anything the tables above missed: a relative immediate or rip as
	 * a register operand means control flow. */
	for (size_t i = 0; i < insn->operand_count; i++) {
		const ZydisDecodedOperand *o = &ops[i];
		if (o->type == ZYDIS_OPERAND_TYPE_IMMEDIATE && o->imm.is_relative)
			return "is a relative branch";
		if (o->type == ZYDIS_OPERAND_TYPE_REGISTER &&
		    (o->reg.value == ZYDIS_REGISTER_RIP ||
		     o->reg.value == ZYDIS_REGISTER_EIP))
			return "reads or writes rip";
		if (o->type == ZYDIS_OPERAND_TYPE_MEMORY &&
		    o->mem.base == ZYDIS_REGISTER_EIP)
			return "uses eip-relative addressing";
	}
	return NULL;
}

static bool is_jcc(ZydisMnemonic m)
{
	switch (m) {
	case ZYDIS_MNEMONIC_JO: case ZYDIS_MNEMONIC_JNO:
	case ZYDIS_MNEMONIC_JB: case ZYDIS_MNEMONIC_JNB:
	case ZYDIS_MNEMONIC_JZ: case ZYDIS_MNEMONIC_JNZ:
	case ZYDIS_MNEMONIC_JBE: case ZYDIS_MNEMONIC_JNBE:
	case ZYDIS_MNEMONIC_JS: case ZYDIS_MNEMONIC_JNS:
	case ZYDIS_MNEMONIC_JP: case ZYDIS_MNEMONIC_JNP:
	case ZYDIS_MNEMONIC_JL: case ZYDIS_MNEMONIC_JNL:
	case ZYDIS_MNEMONIC_JLE: case ZYDIS_MNEMONIC_JNLE:
		return true;
	default:
		return false;
	}
}

/* A relative branch the trampoline can re-encode (MOVED_PLAIN: not
 * one).  Only the plain encodings: with an operand-size prefix a near
 * branch truncates rip to 16 bits on AMD, and xbegin is refused as
 * well. */
static enum moved_kind branch_kind(const ZydisDecodedInstruction *insn,
				   const ZydisDecodedOperand *ops)
{
	if (insn->operand_count_visible < 1 ||
	    ops[0].type != ZYDIS_OPERAND_TYPE_IMMEDIATE ||
	    !ops[0].imm.is_relative ||
	    (insn->attributes & ZYDIS_ATTRIB_HAS_OPERANDSIZE))
		return MOVED_PLAIN;
	switch (insn->mnemonic) {
	case ZYDIS_MNEMONIC_JMP:
		return MOVED_JMP;
	case ZYDIS_MNEMONIC_CALL:
		return MOVED_CALL;
	case ZYDIS_MNEMONIC_LOOP: case ZYDIS_MNEMONIC_LOOPE:
	case ZYDIS_MNEMONIC_LOOPNE: case ZYDIS_MNEMONIC_JRCXZ:
	case ZYDIS_MNEMONIC_JECXZ:
		/* rel8 only; its byte is the instruction's last. */
		return insn->raw.imm[0].size == 8 &&
		       insn->raw.imm[0].offset + 1 == insn->length ?
		       MOVED_LOOP : MOVED_PLAIN;
	default:
		break;
	}
	if (!is_jcc(insn->mnemonic))
		return MOVED_PLAIN;
	/* 7x rel8 or 0f 8x rel32: the condition is the low nibble. */
	if ((insn->opcode_map == ZYDIS_OPCODE_MAP_DEFAULT &&
	     (insn->opcode & 0xf0) == 0x70) ||
	    (insn->opcode_map == ZYDIS_OPCODE_MAP_0F &&
	     (insn->opcode & 0xf0) == 0x80))
		return MOVED_JCC;
	return MOVED_PLAIN;
}

/* Padding after a jmp: bytes nothing falls into and, by patch_safe,
 * nothing seen jumps into.  Only nop and int3 are taken: other code
 * after a jmp is there to be jumped to from somewhere. */
static bool is_padding(const ZydisDecodedInstruction *insn)
{
	return insn->mnemonic == ZYDIS_MNEMONIC_NOP ||
	       insn->mnemonic == ZYDIS_MNEMONIC_INT3;
}

/* Fills m for a rip-relative memory operand, if the instruction has one. */
static void note_riprel(struct moved_insn *m, uint64_t at,
			const ZydisDecodedInstruction *insn,
			const ZydisDecodedOperand *ops)
{
	for (size_t i = 0; i < insn->operand_count; i++) {
		if (ops[i].type != ZYDIS_OPERAND_TYPE_MEMORY ||
		    ops[i].mem.base != ZYDIS_REGISTER_RIP)
			continue;
		/* In 64-bit mode rip-relative always has a disp32. */
		m->riprel = true;
		m->disp_off = insn->raw.disp.offset;
		m->target = at + insn->length + (uint64_t)insn->raw.disp.value;
		return;
	}
}

/* One decoded instruction of the window at rip+off as m; -1 with why. */
static int take_insn(struct window *w, struct moved_insn *m, uint64_t rip,
		     size_t off, const ZydisDecodedInstruction *insn,
		     const ZydisDecodedOperand *ops, char *why, size_t whylen)
{
	const char *mn = ZydisMnemonicGetString(insn->mnemonic);

	memset(m, 0, sizeof(*m));
	m->off = off;
	m->len = insn->length;
	if (!w->falls_through) {
		if (!is_padding(insn)) {
			code_say(why, whylen, "instruction at rip+%zu (%s) follows a "
			    "jmp inside the 5 bytes and is not padding (nop, "
			    "int3): it is there to be jumped to", off,
			    mn ? mn : "?");
			return -1;
		}
		m->kind = MOVED_PAD;
		return 0;
	}
	m->kind = branch_kind(insn, ops);
	if (m->kind == MOVED_PLAIN) {
		const char *no = refusal(insn, ops);
		if (no) {
			code_say(why, whylen, "instruction at rip+%zu (%s) %s", off,
			    mn ? mn : "?", no);
			return -1;
		}
		note_riprel(m, rip + off, insn, ops);
		return 0;
	}
	if (ZYAN_FAILED(ZydisCalcAbsoluteAddress(insn, &ops[0], rip + off,
						 &m->target))) {
		code_say(why, whylen, "no target for the branch at rip+%zu (%s)",
		    off, mn ? mn : "?");
		return -1;
	}
	m->cc = (uint8_t)(insn->opcode & 0x0f);
	if (m->kind == MOVED_JMP)
		w->falls_through = false;
	/* A call returns to the instruction after it, which must stay
	 * where it is: the window ends with the call (a call rel32 is 5
	 * bytes, so it always reaches the jump's 5). */
	if (m->kind == MOVED_CALL)
		w->falls_through = false;
	return 0;
}

/* A branch of the window that lands inside what the jump covers would
 * land in a jmp's rel32 or its int3 padding.  rip itself is fine: the
 * jump to the trampoline is there, and a back-edge to rip is an arrival
 * the matcher must compare. */
static int check_inner_targets(const struct window *w, uint64_t rip,
			       char *why, size_t whylen)
{
	for (size_t i = 0; i < w->n; i++) {
		const struct moved_insn *m = &w->insn[i];
		if (m->kind == MOVED_PLAIN || m->kind == MOVED_PAD)
			continue;
		if (m->target > rip && m->target < rip + w->len) {
			code_say(why, whylen, "branch at rip+%zu goes to rip+%llu, "
			    "inside the displaced bytes", m->off,
			    (unsigned long long)(m->target - rip));
			return -1;
		}
	}
	return 0;
}

/* Whole instructions from rip until at least 5 bytes, all within limit:
 * straight code and relative branches; after a jmp only padding. */
static int pick_window(struct window *w, uint64_t rip, const uint8_t *code,
		       size_t code_len, size_t limit, char *why, size_t whylen)
{
	ZydisDecoder dec;

	ZydisDecoderInit(&dec, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64);
	memset(w, 0, sizeof(*w));
	w->falls_through = true;
	while (w->len < JMP_REL32_LEN) {
		ZydisDecodedInstruction insn;
		ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
		size_t off = w->len;

		if (off >= limit) {
			code_say(why, whylen, "only %zu bytes at rip may be displaced "
			    "and a jmp rel32 needs 5", limit);
			return -1;
		}
		/* Decode with all bytes known so a long instruction is
		 * reported as too long, not as undecodable. */
		if (ZYAN_FAILED(ZydisDecoderDecodeFull(&dec, code + off,
				code_len - off, &insn, ops))) {
			code_say(why, whylen, "cannot decode the instruction at rip+%zu",
			    off);
			return -1;
		}
		if (take_insn(w, &w->insn[w->n], rip, off, &insn, ops, why,
			      whylen) < 0)
			return -1;
		if (off + insn.length > limit) {
			const char *mn = ZydisMnemonicGetString(insn.mnemonic);
			code_say(why, whylen, "instruction at rip+%zu (%s, %u bytes) "
			    "ends past the %zu bytes that may be displaced", off,
			    mn ? mn : "?", (unsigned)insn.length, limit);
			return -1;
		}
		w->n++;
		w->len += insn.length;
	}
	return check_inner_targets(w, rip, why, whylen);
}

/* ---- a tiny assembler --------------------------------------------------- */

/* Registers, words, and the return address of a displaced call. */
#define POOL_MAX (POINT_NGPR + POINT_MAX_WORDS + 1)

struct tasm {
	uint8_t *b;
	size_t len;
	bool overflow;
	uint64_t pool[POOL_MAX];
	size_t pool_ref[POOL_MAX];      /* offset of each referring disp32 */
	size_t npool;
	size_t jne[POINT_NGPR + POINT_MAX_WORDS];  /* rel32 fields to nomatch */
	size_t njne;
	size_t slot_ref[SLOT_REFS];     /* disp32 fields naming a slot, */
	size_t slot_of[SLOT_REFS];      /* and which (SLOT_RAX/SLOT_FLAGS) */
	size_t nslot_ref;
};

static void emit(struct tasm *a, const uint8_t *bytes, size_t n)
{
	if (a->len + n > POINT_TRAMP_MAX) {
		a->overflow = true;
		return;
	}
	memcpy(a->b + a->len, bytes, n);
	a->len += n;
}

#define EMIT(a, ...) do { \
	static const uint8_t bytes_[] = { __VA_ARGS__ }; \
	emit((a), bytes_, sizeof(bytes_)); \
} while (0)

static void emit_u64(struct tasm *a, uint64_t v)
{
	uint8_t b[8];

	for (int i = 0; i < 8; i++)
		b[i] = (uint8_t)(v >> (8 * i));
	emit(a, b, sizeof(b));
}

/* A disp32/rel32 placeholder; returns where it is. */
static size_t emit_hole(struct tasm *a)
{
	static const uint8_t zero[4];
	size_t at = a->len;

	emit(a, zero, sizeof(zero));
	return at;
}

/* A disp32 naming a new pool constant `value`. */
static void emit_pool_ref(struct tasm *a, uint64_t value)
{
	if (a->npool == POOL_MAX) {
		a->overflow = true;
		return;
	}
	a->pool[a->npool] = value;
	a->pool_ref[a->npool++] = emit_hole(a);
}

/* cmp REG,[rip+K] with K = value in the pool. */
static void emit_cmp_const(struct tasm *a, unsigned hw, uint64_t value)
{
	uint8_t op[3] = {
		(uint8_t)(0x48 | (hw >= 8 ? 0x04 : 0)),        /* REX.W, REX.R */
		0x3b,                                           /* cmp r64, r/m64 */
		(uint8_t)(0x05 | (hw & 7) << 3),                /* [rip+disp32] */
	};

	emit(a, op, sizeof(op));
	emit_pool_ref(a, value);
}

static size_t emit_jne(struct tasm *a)
{
	EMIT(a, 0x0f, 0x85);
	return emit_hole(a);
}

/* An instruction ending in the disp32 of [rip+slot]. */
static void emit_slot_op(struct tasm *a, const uint8_t *op, size_t n,
			 size_t slot)
{
	emit(a, op, n);
	if (a->nslot_ref == SLOT_REFS) {
		a->overflow = true;
		return;
	}
	a->slot_of[a->nslot_ref] = slot;
	a->slot_ref[a->nslot_ref++] = emit_hole(a);
}

#define EMIT_SLOT(a, slot, ...) do { \
	static const uint8_t op_[] = { __VA_ARGS__ }; \
	emit_slot_op((a), op_, sizeof(op_), (slot)); \
} while (0)

/* rax and the six arithmetic flags into their slots; rax as it was. */
static void emit_save(struct tasm *a)
{
	EMIT_SLOT(a, SLOT_RAX, 0x48, 0x89, 0x05);       /* mov [rip+S_RAX],rax */
	EMIT(a, 0x9f);                                  /* lahf */
	EMIT(a, 0x0f, 0x90, 0xc0);                      /* seto al */
	EMIT_SLOT(a, SLOT_FLAGS, 0x66, 0x89, 0x05);     /* mov [rip+S_FLAGS],ax */
	EMIT_SLOT(a, SLOT_RAX, 0x48, 0x8b, 0x05);       /* mov rax,[rip+S_RAX] */
}

/* RESTORE: flags, then rax, from the slots (RESTORE_LEN bytes). */
static void emit_restore(struct tasm *a)
{
	EMIT_SLOT(a, SLOT_FLAGS, 0x66, 0x8b, 0x05);     /* mov ax,[rip+S_FLAGS] */
	EMIT(a, 0x04, 0x7f);                            /* add al,0x7f: OF */
	EMIT(a, 0x9e);                                  /* sahf */
	EMIT_SLOT(a, SLOT_RAX, 0x48, 0x8b, 0x05);       /* mov rax,[rip+S_RAX] */
}

/* Points the rel32 fields at `label`. */
static void bind(struct tasm *a, const size_t *fields, size_t n, size_t label)
{
	for (size_t i = 0; i < n; i++)
		if (fields[i] + 4 <= a->len)
			code_put_le32(a->b + fields[i],
				 (int32_t)(label - (fields[i] + 4)));
}

/* ---- the trampoline ----------------------------------------------------- */

static void emit_compares(struct tasm *a, const struct point_target *t)
{
	emit_save(a);
	for (unsigned r = 0; r < POINT_NGPR; r++) {
		if (t->skip_gpr & (1u << r))
			continue;
		emit_cmp_const(a, hw_reg[r], t->gpr[r]);
		a->jne[a->njne++] = emit_jne(a);
	}
	for (size_t i = 0; i < t->nwords; i++) {
		EMIT(a, 0x48, 0xa1);            /* movabs rax,[moffs64] */
		emit_u64(a, t->words[i].addr);
		emit_cmp_const(a, 0, t->words[i].value);
		a->jne[a->njne++] = emit_jne(a);
	}
}

/* The match int3, then the no-match exit, which ends where the displaced
 * instructions start; *trap is the offset just after the int3. */
static void emit_exits(struct tasm *a, size_t *trap)
{
	emit_restore(a);
	EMIT(a, 0xcc);                          /* int3 */
	*trap = a->len;
	EMIT(a, 0xeb, RESTORE_LEN);             /* jmp displaced */
	bind(a, a->jne, a->njne, a->len);
	emit_restore(a);                        /* nomatch */
}

/* A rel32 field just emitted at `at` (the instruction ends after it)
 * pointed at the absolute address `to`. */
static int fill_rel32(struct tasm *a, uint64_t tramp_addr, size_t at,
		      uint64_t to, const char *what, char *why, size_t whylen)
{
	int32_t rel;

	if (a->overflow)
		return 0;
	if (!code_rel32(tramp_addr + at + 4, to, &rel)) {
		code_say(why, whylen, "%s 0x%llx is out of rel32 reach of the "
		    "trampoline at 0x%llx", what, (unsigned long long)to,
		    (unsigned long long)tramp_addr);
		return -1;
	}
	code_put_le32(a->b + at, rel);
	return 0;
}

/* jmp rel32 to an absolute address. */
static int emit_jmp_to(struct tasm *a, uint64_t tramp_addr, uint64_t to,
		       const char *what, char *why, size_t whylen)
{
	EMIT(a, 0xe9);
	return fill_rel32(a, tramp_addr, emit_hole(a), to, what, why, whylen);
}

/* A relative branch of the window, to its original destination (which
 * is never inside the displaced bytes but may be rip itself: the jump
 * to the trampoline, so a back-edge re-enters the compare). */
static int emit_branch(struct tasm *a, const struct moved_insn *m,
		       const uint8_t *code, uint64_t rip, uint64_t tramp_addr,
		       char *why, size_t whylen)
{
	static const char dest[] = "branch destination";
	uint8_t jcc[2] = { 0x0f, (uint8_t)(0x80 | m->cc) };

	switch (m->kind) {
	case MOVED_JCC:
		emit(a, jcc, sizeof(jcc));
		return fill_rel32(a, tramp_addr, emit_hole(a), m->target,
				  dest, why, whylen);
	case MOVED_JMP:
		return emit_jmp_to(a, tramp_addr, m->target, dest, why, whylen);
	case MOVED_CALL:
		/* push qword [rip+K] with K the original return address,
		 * then jmp: rsp, [rsp] and the flags (push changes none)
		 * exactly as the call leaves them. */
		EMIT(a, 0xff, 0x35);
		emit_pool_ref(a, rip + m->off + m->len);
		return emit_jmp_to(a, tramp_addr, m->target, dest, why, whylen);
	case MOVED_LOOP:
		/* The same loop/jrcxz (prefixes kept) over `jmp +5` to a
		 * jmp rel32: taken, it lands on the jmp rel32. */
		emit(a, code + m->off, m->len - 1);
		EMIT(a, 0x02, 0xeb, 0x05);
		return emit_jmp_to(a, tramp_addr, m->target, dest, why, whylen);
	default:
		return 0;
	}
}

static int emit_displaced(struct tasm *a, const struct window *w,
			  const uint8_t *code, uint64_t rip,
			  uint64_t tramp_addr, uint16_t *moved_to,
			  char *why, size_t whylen)
{
	for (size_t i = 0; i < w->n; i++) {
		const struct moved_insn *m = &w->insn[i];
		size_t at = a->len;
		int32_t rel;

		if (m->kind == MOVED_PAD)
			continue;
		if (m->off)
			moved_to[m->off] = (uint16_t)at;
		if (m->kind != MOVED_PLAIN) {
			if (emit_branch(a, m, code, rip, tramp_addr, why,
					whylen) < 0)
				return -1;
			continue;
		}
		emit(a, code + m->off, m->len);
		if (!m->riprel || a->overflow)
			continue;
		if (!code_rel32(tramp_addr + at + m->len, m->target, &rel)) {
			code_say(why, whylen, "rip-relative operand of the instruction "
			    "at rip+%zu (0x%llx) is out of rel32 reach of the "
			    "trampoline at 0x%llx", m->off,
			    (unsigned long long)m->target,
			    (unsigned long long)tramp_addr);
			return -1;
		}
		code_put_le32(a->b + at + m->disp_off, rel);
	}
	return 0;
}

/* After the window, unless it ended in a jmp or a call. */
static int emit_jump_back(struct tasm *a, const struct window *w,
			  uint64_t tramp_addr, uint64_t rip, char *why,
			  size_t whylen)
{
	if (!w->falls_through)
		return 0;
	return emit_jmp_to(a, tramp_addr, rip + w->len, "rip+displaced",
			   why, whylen);
}

/* int3s up to an address (tramp_addr + len) aligned to `align`. */
static void emit_pad(struct tasm *a, uint64_t tramp_addr, uint64_t align)
{
	static const uint8_t int3 = 0xcc;

	while ((tramp_addr + a->len) % align && !a->overflow)
		emit(a, &int3, 1);
}

/* The constants, then the scratch slots (zero until the first pass). */
static void emit_data(struct tasm *a, uint64_t tramp_addr)
{
	static const uint8_t zero[SLOTS_LEN];

	/* Aligned so no compare ever splits a cache line. */
	emit_pad(a, tramp_addr, 8);
	for (size_t i = 0; i < a->npool; i++) {
		size_t at = a->len;
		emit_u64(a, a->pool[i]);
		bind(a, &a->pool_ref[i], 1, at);
	}
	emit_pad(a, tramp_addr, SLOT_ALIGN);
	size_t slots = a->len;
	emit(a, zero, sizeof(zero));
	for (size_t i = 0; i < a->nslot_ref; i++)
		bind(a, &a->slot_ref[i], 1, slots + a->slot_of[i]);
}

/* ---- checks and the entry point ---------------------------------------- */

static bool overlaps(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	return a < b + blen && b < a + alen;
}

/* A word the trampoline itself changes or hides cannot be compared.  It
 * writes only its own slots; the stack is not written. */
static int check_words(const struct point_patch *p, const struct point_target *t,
		       char *why, size_t whylen)
{
	for (size_t i = 0; i < t->nwords; i++) {
		uint64_t w = t->words[i].addr;
		const char *what = NULL;

		if (overlaps(w, 8, p->rip, p->displaced))
			what = "the patched bytes at rip";
		else if (overlaps(w, 8, p->tramp_addr, p->tramp_len))
			what = "the trampoline";
		if (what) {
			code_say(why, whylen, "memory word %zu at 0x%llx overlaps %s",
			    i, (unsigned long long)w, what);
			return -1;
		}
	}
	return 0;
}

static int build_jump(struct point_patch *p, char *why, size_t whylen)
{
	int32_t rel;

	if (!code_rel32(p->rip + JMP_REL32_LEN, p->tramp_addr, &rel)) {
		code_say(why, whylen, "trampoline at 0x%llx is out of rel32 reach "
		    "of rip 0x%llx", (unsigned long long)p->tramp_addr,
		    (unsigned long long)p->rip);
		return -1;
	}
	memset(p->jump, 0xcc, sizeof(p->jump));
	p->jump[0] = 0xe9;
	code_put_le32(p->jump + 1, rel);
	return 0;
}

static int assemble(struct point_patch *p, const struct point_target *t,
		    const struct window *w, const uint8_t *code,
		    char *why, size_t whylen)
{
	struct tasm a = { .b = p->tramp };
	size_t trap;

	emit_compares(&a, t);
	emit_exits(&a, &trap);
	if (emit_displaced(&a, w, code, p->rip, p->tramp_addr, p->moved_to,
			   why, whylen) < 0 ||
	    emit_jump_back(&a, w, p->tramp_addr, p->rip, why, whylen) < 0)
		return -1;
	emit_data(&a, p->tramp_addr);
	if (a.overflow) {
		code_say(why, whylen, "trampoline exceeds %d bytes", POINT_TRAMP_MAX);
		return -1;
	}
	p->tramp_len = a.len;
	p->match_trap = p->tramp_addr + trap;
	return 0;
}

int point_patch_build(struct point_patch *p, const struct point_target *t,
		      const uint8_t *code, size_t code_len, size_t safe_len,
		      uint64_t tramp_addr, char *why, size_t whylen)
{
	struct window w;
	size_t limit = safe_len < POINT_MAX_DISPLACED ? safe_len
						      : POINT_MAX_DISPLACED;

	memset(p, 0, sizeof(*p));
	p->rip = t->rip;
	p->tramp_addr = tramp_addr;
	if (t->nwords > POINT_MAX_WORDS) {
		code_say(why, whylen, "%zu memory words, at most %d", t->nwords,
		    POINT_MAX_WORDS);
		return -1;
	}
	if (limit > code_len)
		limit = code_len;
	if (build_jump(p, why, whylen) < 0 ||
	    pick_window(&w, t->rip, code, code_len, limit, why, whylen) < 0)
		return -1;
	p->displaced = w.len;
	memcpy(p->orig, code, w.len);
	memset(p->jump + w.len, 0, sizeof(p->jump) - w.len);
	if (assemble(p, t, &w, code, why, whylen) < 0 ||
	    check_words(p, t, why, whylen) < 0)
		return -1;
	return 0;
}
