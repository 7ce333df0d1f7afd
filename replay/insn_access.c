/* One instruction's kind and memory accesses, from Zydis and the
 * registers (replay/insn_access.h).
 *
 * Zydis lists every memory operand, hidden ones included, with its size
 * and read/write actions, and computes base + index*scale + disp from a
 * register context.  What it leaves to the caller is done here: segment
 * bases (fs/gs), where push and call store (Zydis names the slot [rsp],
 * the store goes below it), pop to an rsp-based operand (addressed after
 * the pop), the whole range of a rep string instruction and its
 * direction, and the few instructions whose operand Zydis gives without
 * their real extent (enter, xlat, clzero). */
#include "config.h"

#include "replay/insn_access.h"

#include <Zydis/Zydis.h>
#include <string.h>

#define LEN(a) (sizeof(a) / sizeof((a)[0]))
#define EFLAGS_DF 0x400ULL
#define CACHE_LINE 64

/* ---- knowledge as data ------------------------------------------------- */

/* Trap in user mode, trapped or emulated by a tracer, or results a
 * replay cannot reproduce (see INSN_TRAPS).  Zydis's privileged
 * attribute covers some privileged instructions but not all of them
 * (lgdt, cli, getsec are not marked in 4.0), so they are listed. */
static const ZydisMnemonic trap_mnemonics[] = {
	ZYDIS_MNEMONIC_CPUID, ZYDIS_MNEMONIC_RDTSC, ZYDIS_MNEMONIC_RDTSCP,
	ZYDIS_MNEMONIC_RDPMC, ZYDIS_MNEMONIC_XGETBV,
	ZYDIS_MNEMONIC_UD0, ZYDIS_MNEMONIC_UD1, ZYDIS_MNEMONIC_UD2,
	ZYDIS_MNEMONIC_HLT,
	/* UMIP: the kernel emulates these for user mode. */
	ZYDIS_MNEMONIC_SGDT, ZYDIS_MNEMONIC_SIDT, ZYDIS_MNEMONIC_SLDT,
	ZYDIS_MNEMONIC_STR, ZYDIS_MNEMONIC_SMSW,
	/* Privileged: #GP or #UD at CPL 3. */
	ZYDIS_MNEMONIC_LGDT, ZYDIS_MNEMONIC_LIDT, ZYDIS_MNEMONIC_LLDT,
	ZYDIS_MNEMONIC_LTR, ZYDIS_MNEMONIC_LMSW, ZYDIS_MNEMONIC_CLTS,
	ZYDIS_MNEMONIC_CLI, ZYDIS_MNEMONIC_STI, ZYDIS_MNEMONIC_INVD,
	ZYDIS_MNEMONIC_WBINVD, ZYDIS_MNEMONIC_INVLPG, ZYDIS_MNEMONIC_INVLPGA,
	ZYDIS_MNEMONIC_INVPCID, ZYDIS_MNEMONIC_RDMSR, ZYDIS_MNEMONIC_WRMSR,
	ZYDIS_MNEMONIC_SWAPGS, ZYDIS_MNEMONIC_SYSEXIT, ZYDIS_MNEMONIC_MONITOR,
	ZYDIS_MNEMONIC_MWAIT, ZYDIS_MNEMONIC_XSETBV, ZYDIS_MNEMONIC_GETSEC,
	ZYDIS_MNEMONIC_RSM,
};

/* Whole categories that trap or give unreproducible values: int n and
 * int1 (int 0x80 is a syscall, tested first), port I/O, sysret,
 * virtualisation, and the random/processor-id/counter reads. */
static const ZydisInstructionCategory trap_categories[] = {
	ZYDIS_CATEGORY_INTERRUPT, ZYDIS_CATEGORY_IO, ZYDIS_CATEGORY_IOSTRINGOP,
	ZYDIS_CATEGORY_SYSRET, ZYDIS_CATEGORY_VTX, ZYDIS_CATEGORY_PCONFIG,
	ZYDIS_CATEGORY_RDPID, ZYDIS_CATEGORY_RDPRU, ZYDIS_CATEGORY_RDRAND,
	ZYDIS_CATEGORY_RDSEED,
};

static const ZydisInstructionCategory branch_categories[] = {
	ZYDIS_CATEGORY_COND_BR, ZYDIS_CATEGORY_UNCOND_BR, ZYDIS_CATEGORY_CALL,
	ZYDIS_CATEGORY_RET,     /* ret, retf, iret */
};

/* A memory operand that is named but not read or written as data:
 * hints, cache maintenance, and the operand of ud0/ud1 (they fault
 * before any access). */
static const ZydisMnemonic no_access_mnemonics[] = {
	ZYDIS_MNEMONIC_CLFLUSH, ZYDIS_MNEMONIC_CLFLUSHOPT, ZYDIS_MNEMONIC_CLWB,
	ZYDIS_MNEMONIC_CLDEMOTE, ZYDIS_MNEMONIC_UD0, ZYDIS_MNEMONIC_UD1,
	ZYDIS_MNEMONIC_INVLPG,
};

static const ZydisInstructionCategory no_access_categories[] = {
	ZYDIS_CATEGORY_PREFETCH, ZYDIS_CATEGORY_PREFETCHWT1,
	ZYDIS_CATEGORY_NOP, ZYDIS_CATEGORY_WIDENOP,
};

/* The XSAVE family.  fxsave/fxrstor have a fixed 512-byte area that
 * Zydis sizes exactly; the others touch as much as XCR0 and EDX:EAX
 * select, and Zydis gives only the legacy area and header. */
static const struct {
	ZydisMnemonic mnemonic;
	unsigned flags;
} xstate_mnemonics[] = {
	{ ZYDIS_MNEMONIC_FXSAVE, INSN_XSTATE },
	{ ZYDIS_MNEMONIC_FXSAVE64, INSN_XSTATE },
	{ ZYDIS_MNEMONIC_FXRSTOR, INSN_XSTATE },
	{ ZYDIS_MNEMONIC_FXRSTOR64, INSN_XSTATE },
	{ ZYDIS_MNEMONIC_XSAVE, INSN_XSTATE | INSN_UNKNOWN_MEM },
	{ ZYDIS_MNEMONIC_XSAVE64, INSN_XSTATE | INSN_UNKNOWN_MEM },
	{ ZYDIS_MNEMONIC_XSAVEOPT, INSN_XSTATE | INSN_UNKNOWN_MEM },
	{ ZYDIS_MNEMONIC_XSAVEOPT64, INSN_XSTATE | INSN_UNKNOWN_MEM },
	{ ZYDIS_MNEMONIC_XSAVEC, INSN_XSTATE | INSN_UNKNOWN_MEM },
	{ ZYDIS_MNEMONIC_XSAVEC64, INSN_XSTATE | INSN_UNKNOWN_MEM },
	{ ZYDIS_MNEMONIC_XSAVES, INSN_XSTATE | INSN_UNKNOWN_MEM },
	{ ZYDIS_MNEMONIC_XSAVES64, INSN_XSTATE | INSN_UNKNOWN_MEM },
	{ ZYDIS_MNEMONIC_XRSTOR, INSN_XSTATE | INSN_UNKNOWN_MEM },
	{ ZYDIS_MNEMONIC_XRSTOR64, INSN_XSTATE | INSN_UNKNOWN_MEM },
	{ ZYDIS_MNEMONIC_XRSTORS, INSN_XSTATE | INSN_UNKNOWN_MEM },
	{ ZYDIS_MNEMONIC_XRSTORS64, INSN_XSTATE | INSN_UNKNOWN_MEM },
};

/* The general registers Zydis may name as base or index, in their
 * 64-bit and 32-bit (address-size prefix 0x67) forms. */
static const struct {
	ZydisRegister r64, r32;
	size_t offset;
} gprs[] = {
#define GPR(n64, n32, field) \
	{ ZYDIS_REGISTER_##n64, ZYDIS_REGISTER_##n32, \
	  offsetof(struct user_regs_struct, field) }
	GPR(RAX, EAX, rax), GPR(RCX, ECX, rcx), GPR(RDX, EDX, rdx),
	GPR(RBX, EBX, rbx), GPR(RSP, ESP, rsp), GPR(RBP, EBP, rbp),
	GPR(RSI, ESI, rsi), GPR(RDI, EDI, rdi), GPR(R8, R8D, r8),
	GPR(R9, R9D, r9), GPR(R10, R10D, r10), GPR(R11, R11D, r11),
	GPR(R12, R12D, r12), GPR(R13, R13D, r13), GPR(R14, R14D, r14),
	GPR(R15, R15D, r15),
#undef GPR
};

static bool mnemonic_in(const ZydisMnemonic *list, size_t n, ZydisMnemonic m)
{
	for (size_t i = 0; i < n; i++)
		if (list[i] == m)
			return true;
	return false;
}

static bool category_in(const ZydisInstructionCategory *list, size_t n,
			ZydisInstructionCategory c)
{
	for (size_t i = 0; i < n; i++)
		if (list[i] == c)
			return true;
	return false;
}

/* ---- what the instruction is ------------------------------------------- */

struct decoded {
	ZydisDecodedInstruction insn;
	ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
};

static bool is_string(const ZydisDecodedInstruction *insn)
{
	return insn->meta.category == ZYDIS_CATEGORY_STRINGOP ||
	       insn->meta.category == ZYDIS_CATEGORY_IOSTRINGOP;
}

static bool has_rep(const ZydisDecodedInstruction *insn)
{
	return insn->attributes & (ZYDIS_ATTRIB_HAS_REP | ZYDIS_ATTRIB_HAS_REPE |
				   ZYDIS_ATTRIB_HAS_REPNE);
}

static bool is_syscall(const struct decoded *d)
{
	if (d->insn.meta.category == ZYDIS_CATEGORY_SYSCALL)
		return true;    /* syscall, sysenter */
	return d->insn.mnemonic == ZYDIS_MNEMONIC_INT &&
	       d->ops[0].type == ZYDIS_OPERAND_TYPE_IMMEDIATE &&
	       d->ops[0].imm.value.u == 0x80;
}

static bool traps(const ZydisDecodedInstruction *insn)
{
	return (insn->attributes & ZYDIS_ATTRIB_IS_PRIVILEGED) ||
	       mnemonic_in(trap_mnemonics, LEN(trap_mnemonics),
			   insn->mnemonic) ||
	       category_in(trap_categories, LEN(trap_categories),
			   insn->meta.category);
}

static unsigned xstate_flags(ZydisMnemonic m)
{
	for (size_t i = 0; i < LEN(xstate_mnemonics); i++)
		if (xstate_mnemonics[i].mnemonic == m)
			return xstate_mnemonics[i].flags;
	return 0;
}

static unsigned kind_flags(const struct decoded *d)
{
	const ZydisDecodedInstruction *insn = &d->insn;
	unsigned f = xstate_flags(insn->mnemonic);

	if (is_syscall(d))
		f |= INSN_SYSCALL;
	else if (traps(insn))
		f |= INSN_TRAPS;
	if (category_in(branch_categories, LEN(branch_categories),
			insn->meta.category))
		f |= INSN_BRANCH;
	if (is_string(insn) && has_rep(insn))
		f |= INSN_REP;
	return f;
}

/* The target of a direct branch (jmp/jcc/call/loop/jrcxz rel, xbegin). */
static void branch_target(const struct decoded *d, uint64_t rip,
			  struct insn_info *out)
{
	if (!(out->flags & INSN_BRANCH))
		return;
	for (unsigned i = 0; i < d->insn.operand_count; i++) {
		const ZydisDecodedOperand *op = &d->ops[i];
		ZyanU64 target;
		if (op->type != ZYDIS_OPERAND_TYPE_IMMEDIATE ||
		    !op->imm.is_relative)
			continue;
		if (ZYAN_FAILED(ZydisCalcAbsoluteAddress(&d->insn, op, rip,
							 &target)))
			return;
		out->branch_target = target;
		out->flags |= INSN_RELATIVE;
		return;
	}
}

/* ---- which memory it touches ------------------------------------------- */

struct access_ctx {
	const struct decoded *d;
	const struct user_regs_struct *regs;
	uint64_t rip;
	ZydisRegisterContext zregs;
	struct insn_info *out;
};

static void fill_registers(ZydisRegisterContext *z,
			   const struct user_regs_struct *regs)
{
	memset(z, 0, sizeof(*z));
	for (size_t i = 0; i < LEN(gprs); i++) {
		uint64_t v;
		memcpy(&v, (const char *)regs + gprs[i].offset, sizeof(v));
		z->values[gprs[i].r64] = v;
		z->values[gprs[i].r32] = (uint32_t)v;
	}
}

static void add_access(struct insn_info *out, uint64_t addr, uint64_t len,
		       bool read, bool write)
{
	if (!len || !(read || write))
		return;
	if (out->naccess == INSN_MAX_ACCESS) {
		out->flags |= INSN_UNKNOWN_MEM;
		return;
	}
	out->access[out->naccess++] = (struct insn_access){
		.addr = addr, .len = len, .read = read, .write = write,
	};
}

/* In 64-bit mode only fs and gs have a base. */
static uint64_t segment_base(ZydisRegister seg,
			     const struct user_regs_struct *regs)
{
	if (seg == ZYDIS_REGISTER_FS)
		return regs->fs_base;
	if (seg == ZYDIS_REGISTER_GS)
		return regs->gs_base;
	return 0;
}

static int operand_address(const struct access_ctx *c,
			   const ZydisDecodedOperand *op, uint64_t *addr)
{
	ZyanU64 ea;

	if (ZYAN_FAILED(ZydisCalcAbsoluteAddressEx(&c->d->insn, op, c->rip,
						   &c->zregs, &ea)))
		return -1;
	*addr = ea + segment_base(op->mem.segment, c->regs);
	return 0;
}

static bool is_stack_pointer(ZydisRegister r)
{
	return r == ZYDIS_REGISTER_RSP || r == ZYDIS_REGISTER_ESP ||
	       r == ZYDIS_REGISTER_SP;
}

/* Zydis names the slot push and call store into as a hidden [rsp]
 * write; the store goes to rsp - size. */
static bool is_push_slot(const ZydisDecodedOperand *op)
{
	return op->visibility == ZYDIS_OPERAND_VISIBILITY_HIDDEN &&
	       is_stack_pointer(op->mem.base) &&
	       (op->actions & ZYDIS_OPERAND_ACTION_MASK_WRITE);
}

/* pop [rsp+d] addresses its destination with rsp after the pop (SDM,
 * POP: "computes the effective address after it increments"). */
static bool is_pop_to_stack(const struct decoded *d,
			    const ZydisDecodedOperand *op)
{
	return d->insn.meta.category == ZYDIS_CATEGORY_POP &&
	       op->visibility == ZYDIS_OPERAND_VISIBILITY_EXPLICIT &&
	       is_stack_pointer(op->mem.base);
}

/* One iteration at rsi/rdi, or with rep all rcx of them: forwards from
 * the register, or with DF set backwards ending at it. */
static void string_access(struct access_ctx *c, const ZydisDecodedOperand *op,
			  bool read, bool write)
{
	const ZydisDecodedInstruction *insn = &c->d->insn;
	uint64_t size = op->size / 8, count = 1, addr;

	if (has_rep(insn))
		count = c->zregs.values[insn->address_width == 32 ?
					ZYDIS_REGISTER_ECX :
					ZYDIS_REGISTER_RCX];
	if (!count || !size)
		return;
	if (count > INSN_REP_MAX_BYTES / size) {
		count = INSN_REP_MAX_BYTES / size;
		c->out->flags |= INSN_UNKNOWN_MEM;
	}
	if (operand_address(c, op, &addr) < 0) {
		c->out->flags |= INSN_UNKNOWN_MEM;
		return;
	}
	if (c->regs->eflags & EFLAGS_DF)
		addr -= (count - 1) * size;
	add_access(c->out, addr, count * size, read, write);
}

static void operand_access(struct access_ctx *c, const ZydisDecodedOperand *op)
{
	bool read = op->actions & ZYDIS_OPERAND_ACTION_MASK_READ;
	bool write = op->actions & ZYDIS_OPERAND_ACTION_MASK_WRITE;
	uint64_t addr, len = op->size / 8;

	if (op->type != ZYDIS_OPERAND_TYPE_MEMORY ||
	    op->mem.type == ZYDIS_MEMOP_TYPE_AGEN)  /* lea: no access */
		return;
	/* Vector indices (gather/scatter) are not in user_regs_struct;
	 * MPX bound tables are found through BNDCFGU. */
	if (op->mem.type != ZYDIS_MEMOP_TYPE_MEM) {
		c->out->flags |= INSN_UNKNOWN_MEM;
		return;
	}
	if (!read && !write)
		return;
	if (is_string(&c->d->insn)) {
		string_access(c, op, read, write);
		return;
	}
	/* Size 0: Zydis does not know it (AMX tile rows and stride). */
	if (!len || operand_address(c, op, &addr) < 0) {
		c->out->flags |= INSN_UNKNOWN_MEM;
		return;
	}
	if (is_push_slot(op))
		addr -= len;
	else if (is_pop_to_stack(c->d, op))
		addr += len;
	add_access(c->out, addr, len, read, write);
}

/* enter size, level: push rbp; copy level-1 frame pointers from the old
 * frame; push the new frame pointer (when level > 0).  Zydis names only
 * the first push. */
static void enter_access(struct access_ctx *c)
{
	uint64_t w = c->d->insn.operand_width / 8;
	uint64_t level = c->d->ops[1].imm.value.u & 31;
	uint64_t pushes = level ? level + 1 : 1;

	add_access(c->out, c->regs->rsp - pushes * w, pushes * w, false, true);
	if (level > 1)
		add_access(c->out, c->regs->rbp - (level - 1) * w,
			   (level - 1) * w, true, false);
}

/* xlat reads [rbx + al]; Zydis names [rbx] only. */
static void xlat_access(struct access_ctx *c)
{
	const ZydisDecodedOperand *op = NULL;
	uint64_t ea;

	for (unsigned i = 0; i < c->d->insn.operand_count && !op; i++)
		if (c->d->ops[i].type == ZYDIS_OPERAND_TYPE_MEMORY)
			op = &c->d->ops[i];
	if (!op) {
		c->out->flags |= INSN_UNKNOWN_MEM;
		return;
	}
	ea = c->zregs.values[op->mem.base] + (uint8_t)c->regs->rax;
	if (c->d->insn.address_width == 32)
		ea = (uint32_t)ea;
	add_access(c->out, ea + segment_base(op->mem.segment, c->regs), 1,
		   true, false);
}

/* clzero zeroes the cache line holding rax; Zydis names no memory. */
static void clzero_access(struct access_ctx *c)
{
	uint64_t a = c->zregs.values[c->d->insn.address_width == 32 ?
				     ZYDIS_REGISTER_EAX : ZYDIS_REGISTER_RAX];

	add_access(c->out, a & ~(uint64_t)(CACHE_LINE - 1), CACHE_LINE,
		   false, true);
}

static const struct {
	ZydisMnemonic mnemonic;
	void (*list)(struct access_ctx *c);
} special_access[] = {
	{ ZYDIS_MNEMONIC_ENTER, enter_access },
	{ ZYDIS_MNEMONIC_XLAT, xlat_access },
	{ ZYDIS_MNEMONIC_CLZERO, clzero_access },
};

static void list_accesses(struct access_ctx *c)
{
	const ZydisDecodedInstruction *insn = &c->d->insn;

	if (mnemonic_in(no_access_mnemonics, LEN(no_access_mnemonics),
			insn->mnemonic) ||
	    category_in(no_access_categories, LEN(no_access_categories),
			insn->meta.category))
		return;
	for (size_t i = 0; i < LEN(special_access); i++)
		if (special_access[i].mnemonic == insn->mnemonic) {
			special_access[i].list(c);
			return;
		}
	for (unsigned i = 0; i < insn->operand_count; i++)
		operand_access(c, &c->d->ops[i]);
}

/* ---- entry points ------------------------------------------------------ */

/* One 64-bit instruction with all its operands. */
static int decode_full(const uint8_t *code, size_t avail, struct decoded *d)
{
	ZydisDecoder dec;
	if (avail > ZYDIS_MAX_INSTRUCTION_LENGTH)
		avail = ZYDIS_MAX_INSTRUCTION_LENGTH;
	if (ZYAN_FAILED(ZydisDecoderInit(&dec, ZYDIS_MACHINE_MODE_LONG_64,
					 ZYDIS_STACK_WIDTH_64)) ||
	    ZYAN_FAILED(ZydisDecoderDecodeFull(&dec, code, avail, &d->insn,
					       d->ops)))
		return -1;
	return 0;
}

int insn_decode_access(const uint8_t *code, size_t avail, uint64_t rip,
		       const struct user_regs_struct *regs,
		       struct insn_info *out)
{
	struct decoded d;
	struct access_ctx c;

	memset(out, 0, sizeof(*out));
	if (!code || !avail || !regs || decode_full(code, avail, &d) < 0)
		return -1;
	out->len = d.insn.length;
	out->mnemonic = (uint16_t)d.insn.mnemonic;
	out->flags = kind_flags(&d);
	branch_target(&d, rip, out);

	c.d = &d;
	c.regs = regs;
	c.rip = rip;
	c.out = out;
	fill_registers(&c.zregs, regs);
	list_accesses(&c);
	return 0;
}

const char *insn_info_mnemonic(const struct insn_info *info)
{
	const char *m = ZydisMnemonicGetString((ZydisMnemonic)info->mnemonic);
	return m ? m : "?";
}

int insn_plain_store(const uint8_t *code, size_t avail, uint64_t rip,
		     const struct user_regs_struct *regs,
		     struct insn_store *out)
{
	struct decoded d;
	struct insn_info info;

	if (insn_decode_access(code, avail, rip, regs, &info) < 0 ||
	    info.naccess != 1 || !info.access[0].write ||
	    info.access[0].read || info.access[0].len > 8 || info.flags ||
	    decode_full(code, avail, &d) < 0 ||
	    d.insn.mnemonic != ZYDIS_MNEMONIC_MOV ||
	    d.insn.operand_count_visible != 2 ||
	    d.ops[0].type != ZYDIS_OPERAND_TYPE_MEMORY)
		return -1;
	uint64_t value;
	const ZydisDecodedOperand *src = &d.ops[1];
	if (src->type == ZYDIS_OPERAND_TYPE_IMMEDIATE) {
		value = (uint64_t)src->imm.value.s;
	} else if (src->type == ZYDIS_OPERAND_TYPE_REGISTER) {
		ZydisRegister r = src->reg.value;
		if (r == ZYDIS_REGISTER_AH || r == ZYDIS_REGISTER_BH ||
		    r == ZYDIS_REGISTER_CH || r == ZYDIS_REGISTER_DH)
			return -1;
		ZydisRegister big = ZydisRegisterGetLargestEnclosing(
			ZYDIS_MACHINE_MODE_LONG_64, r);
		size_t i = 0;
		while (i < LEN(gprs) && gprs[i].r64 != big)
			i++;
		if (i == LEN(gprs))
			return -1;      /* not a general register */
		memcpy(&value, (const char *)regs + gprs[i].offset,
		       sizeof(value));
	} else {
		return -1;
	}
	out->addr = info.access[0].addr;
	out->len = (unsigned)info.access[0].len;
	memcpy(out->bytes, &value, sizeof(out->bytes));  /* little-endian */
	out->insn_len = info.len;
	return 0;
}
