/* Patched syscall sites: planning and building (replay/sitepatch.h). */
#include "config.h"

#include "replay/sitepatch.h"

#include "replay/code_bytes.h"
#include "replay/insn_access.h"
#include "syscallbuf/syscallbuf_abi.h"

#include <Zydis/Zydis.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/* After the hook's call: lea 128(%rsp),%rsp (8) and jmp rel32 (5), then
 * the declined path the hook returns to. */
#define LEA_UP_LEN 8
#define JMP_LEN 5
_Static_assert(LEA_UP_LEN + JMP_LEN == XRR_SB_SITE_DECLINE,
	       "the hook's decline offset is the trampoline's layout");

#define MAX_CHAIN (SITEPATCH_SCAN + 1)


static bool decode(const uint8_t *code, size_t len, uint64_t base,
		   uint64_t at, struct insn_info *info)
{
	struct user_regs_struct none = { 0 };
	size_t off = (size_t)(at - base);

	if (at < base || off >= len)
		return false;
	size_t avail = len - off < 15 ? len - off : 15;
	return insn_decode_access(code + off, avail, at, &none, info) == 0;
}

/* Instruction starts from `from` up to exactly `to` (none when the
 * decode does not land there); relative branch targets collected. */
static size_t chain(const uint8_t *code, size_t len, uint64_t base,
		    uint64_t from, uint64_t to, uint64_t *starts,
		    uint64_t *targets, size_t *ntargets, size_t maxtargets)
{
	struct insn_info info;
	size_t n = 0;
	uint64_t at = from;

	while (at < to && n < MAX_CHAIN) {
		if (!decode(code, len, base, at, &info))
			return 0;
		starts[n++] = at;
		if ((info.flags & INSN_RELATIVE) && *ntargets < maxtargets)
			targets[(*ntargets)++] = info.branch_target;
		at += info.len;
	}
	return at == to ? n : 0;
}

/* Instructions that must run where they are, or cannot run twice. */
static const char *refusal(const struct insn_info *info)
{
	if (info->flags & INSN_SYSCALL)
		return "a system call";
	if (info->flags & INSN_TRAPS)
		return "trapped or emulated";
	if (info->flags & (INSN_BRANCH | INSN_RELATIVE))
		return "a branch";
	if (info->flags & INSN_XSTATE)
		return "an XSAVE-family instruction";
	return NULL;
}

int sitepatch_plan(struct sitepatch *p, const uint8_t *code, size_t len,
		   uint64_t base, uint64_t syscall_addr, char *why,
		   size_t whylen)
{
	uint64_t starts[MAX_CHAIN], targets[2 * MAX_CHAIN];
	size_t ntargets = 0, n = 0;
	struct insn_info info;

	memset(p, 0, sizeof(*p));
	p->syscall_addr = syscall_addr;
	if (syscall_addr < base || syscall_addr + 2 > base + len ||
	    code[syscall_addr - base] != 0x0f ||
	    code[syscall_addr - base + 1] != 0x05) {
		code_say(why, whylen, "no syscall instruction at %#llx",
		    (unsigned long long)syscall_addr);
		return -1;
	}
	/* Boundaries: the farthest start whose decode runs exactly onto
	 * the syscall (x86 decoding falls into step within a few
	 * instructions), as the point placement does. */
	uint64_t lo = syscall_addr - base > SITEPATCH_SCAN
		      ? syscall_addr - SITEPATCH_SCAN : base;
	for (uint64_t from = lo; from < syscall_addr && !n; from++) {
		ntargets = 0;
		n = chain(code, len, base, from, syscall_addr, starts, targets,
			  &ntargets, MAX_CHAIN);
	}
	if (!n) {
		code_say(why, whylen, "no instruction boundaries found before "
		    "%#llx", (unsigned long long)syscall_addr);
		return -1;
	}
	/* And the branches of the code after it. */
	for (uint64_t at = syscall_addr;
	     at < base + len && ntargets < 2 * MAX_CHAIN &&
	     decode(code, len, base, at, &info); at += info.len)
		if (info.flags & INSN_RELATIVE)
			targets[ntargets++] = info.branch_target;
	/* The last instructions before it, at least the jump's 5 bytes. */
	size_t j = n;
	while (j > 0) {
		j--;
		if (!decode(code, len, base, starts[j], &info))
			return -1;
		const char *no = refusal(&info);
		if (no) {
			code_say(why, whylen, "the instruction at %#llx, before the "
			    "syscall at %#llx, is %s",
			    (unsigned long long)starts[j],
			    (unsigned long long)syscall_addr, no);
			return -1;
		}
		if (syscall_addr - starts[j] >= SITEPATCH_JUMP_LEN)
			break;
	}
	if (syscall_addr - starts[j] < SITEPATCH_JUMP_LEN) {
		code_say(why, whylen, "fewer than %d bytes of code before the "
		    "syscall at %#llx", SITEPATCH_JUMP_LEN,
		    (unsigned long long)syscall_addr);
		return -1;
	}
	p->start = starts[j];
	p->displaced = (size_t)(syscall_addr - p->start);
	for (size_t k = 0; k < ntargets; k++)
		if (targets[k] > p->start &&
		    targets[k] < p->start + SITEPATCH_JUMP_LEN) {
			code_say(why, whylen, "a branch lands at %#llx, inside the "
			    "jump's bytes", (unsigned long long)targets[k]);
			return -1;
		}
	return 0;
}

/* ---- the trampoline ----------------------------------------------------- */

struct tasm {
	uint8_t *b;
	size_t len, cap;
	bool overflow;
};

static void emit(struct tasm *a, const void *bytes, size_t n)
{
	if (a->len + n > a->cap) {
		a->overflow = true;
		return;
	}
	memcpy(a->b + a->len, bytes, n);
	a->len += n;
}



/* op (1 byte) + rel32 to `to`; false when out of reach. */
static bool emit_rel(struct tasm *a, uint64_t tramp, const uint8_t *op,
		     size_t oplen, uint64_t to)
{
	uint8_t b[8];
	int32_t rel;

	memcpy(b, op, oplen);
	if (!code_rel32(tramp + a->len + oplen + 4, to, &rel))
		return false;
	code_put_le32(b + oplen, rel);
	emit(a, b, oplen + 4);
	return true;
}

/* The displaced instructions, rip-relative operands pointed at what
 * they named. */
static int emit_displaced(struct tasm *a, const struct sitepatch *p,
			  const uint8_t *code, size_t len, uint64_t base,
			  char *why, size_t whylen)
{
	ZydisDecoder dec;

	ZydisDecoderInit(&dec, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64);
	for (uint64_t at = p->start; at < p->syscall_addr;) {
		ZydisDecodedInstruction insn;
		ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
		size_t off = (size_t)(at - base);

		if (ZYAN_FAILED(ZydisDecoderDecodeFull(&dec, code + off,
						       len - off, &insn, ops))) {
			code_say(why, whylen, "cannot decode %#llx",
			    (unsigned long long)at);
			return -1;
		}
		size_t here = a->len;
		emit(a, code + off, insn.length);
		for (size_t i = 0; i < insn.operand_count; i++) {
			const ZydisDecodedOperand *o = &ops[i];
			int32_t rel;

			if (o->type == ZYDIS_OPERAND_TYPE_REGISTER &&
			    (o->reg.value == ZYDIS_REGISTER_RIP ||
			     o->reg.value == ZYDIS_REGISTER_EIP)) {
				code_say(why, whylen, "the instruction at %#llx reads "
				    "rip", (unsigned long long)at);
				return -1;
			}
			if (o->type != ZYDIS_OPERAND_TYPE_MEMORY ||
			    o->mem.base != ZYDIS_REGISTER_RIP || a->overflow)
				continue;
			uint64_t target = at + insn.length +
					  (uint64_t)insn.raw.disp.value;
			if (!code_rel32(p->tramp_addr + here + insn.length, target,
				   &rel)) {
				code_say(why, whylen, "the operand of the instruction "
				    "at %#llx is out of reach of the "
				    "trampoline", (unsigned long long)at);
				return -1;
			}
			code_put_le32(a->b + here + insn.raw.disp.offset, rel);
		}
		at += insn.length;
	}
	return 0;
}

int sitepatch_build(struct sitepatch *p, const uint8_t *code, size_t len,
		    uint64_t base, uint64_t hook, uint64_t tramp_addr,
		    char *why, size_t whylen)
{
	static const uint8_t lea_down[] = { 0x48, 0x8d, 0x64, 0x24, 0x80 };
	static const uint8_t lea_up[LEA_UP_LEN] = { 0x48, 0x8d, 0xa4, 0x24,
						    0x80, 0x00, 0x00, 0x00 };
	static const uint8_t call_ind[] = { 0xff, 0x15 };
	static const uint8_t jmp[] = { 0xe9 };
	struct tasm a = { .b = p->tramp, .cap = sizeof(p->tramp) };

	p->tramp_addr = tramp_addr;
	if (emit_displaced(&a, p, code, len, base, why, whylen) < 0)
		return -1;
	emit(&a, lea_down, sizeof(lea_down));
	/* call *pool(%rip): the pool's place is known once the code is. */
	size_t call_at = a.len;
	emit(&a, call_ind, sizeof(call_ind));
	emit(&a, "\0\0\0\0", 4);
	emit(&a, lea_up, sizeof(lea_up));
	bool ok = emit_rel(&a, tramp_addr, jmp, 1, p->syscall_addr + 2);
	emit(&a, lea_up, sizeof(lea_up));
	ok = ok && emit_rel(&a, tramp_addr, jmp, 1, p->syscall_addr);
	while (a.len % 8 && !a.overflow)
		emit(&a, "\xcc", 1);
	size_t pool = a.len;
	emit(&a, &hook, sizeof(hook));
	int32_t to_site;
	if (a.overflow || !ok ||
	    !code_rel32(p->start + SITEPATCH_JUMP_LEN, tramp_addr, &to_site)) {
		code_say(why, whylen, "the trampoline at %#llx is out of reach of "
			 "the site at %#llx", (unsigned long long)tramp_addr,
			 (unsigned long long)p->syscall_addr);
		return -1;
	}
	/* The pool is a few bytes after the call, on the same page. */
	code_put_le32(p->tramp + call_at + 2, (int32_t)(pool - (call_at + 6)));
	p->tramp_len = a.len;
	p->jump[0] = 0xe9;
	code_put_le32(p->jump + 1, to_site);
	return 0;
}
