/* What one instruction is and which memory it touches, given the
 * registers it starts with.
 *
 * The recorder single-steps one iteration of a loop to learn the memory
 * the iteration reads and writes, and must not step into instructions
 * replay cannot stop in the same way: syscalls, instructions that trap
 * or that the tracer emulates, rep-string instructions (one rip for many
 * iterations), memory it cannot bound.
 * This decodes one instruction with Zydis (64-bit mode) and answers both.
 *
 * Addresses are linear: fs:/gs: operands include regs->fs_base/gs_base,
 * other segments have base 0 in 64-bit mode.  Memory is listed as it is
 * architecturally touched, not as the cache sees it: lea, nop, prefetch*
 * and cache-line flushes touch nothing; masked vector loads and stores
 * are listed at full vector size, broadcasts at the element they read. */
#ifndef XRR_REPLAY_INSN_ACCESS_H
#define XRR_REPLAY_INSN_ACCESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/user.h>

#define INSN_MAX_ACCESS 8
/* A rep string instruction lists its whole range (rcx elements) up to
 * this many bytes; beyond it the range is cut here and INSN_UNKNOWN_MEM
 * is set. */
#define INSN_REP_MAX_BYTES (1u << 20)

enum insn_kind_flags {
	/* syscall, sysenter, int 0x80 */
	INSN_SYSCALL = 1 << 0,
	/* Faults or traps in user mode (int3, int n, int1, ud0/1/2, hlt,
	 * in/out/ins/outs, privileged and UMIP-emulated instructions), is
	 * trapped on purpose by a tracer (cpuid, rdtsc, rdtscp; xgetbv,
	 * which instruction virtualisation patches), or returns a value a
	 * replay cannot reproduce by running it (rdpid, rdpmc, rdpru,
	 * rdrand, rdseed). */
	INSN_TRAPS = 1 << 1,
	/* A rep/repe/repne-prefixed string instruction: the same rip for
	 * many iterations. */
	INSN_REP = 1 << 2,
	/* Changes control flow: jmp, jcc, call, ret, loop, jrcxz, iret,
	 * xbegin (to its abort handler). */
	INSN_BRANCH = 1 << 3,
	/* A direct branch: branch_target is valid. */
	INSN_RELATIVE = 1 << 4,
	/* Touches memory that is not (all) listed: gathers and scatters
	 * (vector indices are not in user_regs_struct), the XSAVE family
	 * (size depends on XCR0 and the requested features: the listed
	 * access is the 576-byte legacy area and header only), AMX tile
	 * loads and stores (shape from the tile configuration), MPX bound
	 * tables, a rep range cut at INSN_REP_MAX_BYTES, more than
	 * INSN_MAX_ACCESS accesses. */
	INSN_UNKNOWN_MEM = 1 << 5,
	/* Reads or writes an XSAVE-format area: xsave*, xrstor*,
	 * fxsave*, fxrstor* (fxsave/fxrstor: exactly 512 bytes, listed). */
	INSN_XSTATE = 1 << 6,
};

struct insn_access {
	uint64_t addr;
	uint64_t len;           /* bytes */
	bool read;
	bool write;             /* both for read-modify-write (add [m],r,
				 * xchg, lock ops, cmpxchg); conditional
				 * writes (cmpxchg, masked stores) count */
};

struct insn_info {
	unsigned len;           /* bytes */
	unsigned flags;         /* enum insn_kind_flags */
	uint64_t branch_target; /* INSN_RELATIVE: absolute target */
	uint16_t mnemonic;      /* ZydisMnemonic, for reports */
	size_t naccess;
	struct insn_access access[INSN_MAX_ACCESS];
};

/* Decode the instruction at rip (code: its bytes, avail >= 1; 15 is
 * always enough) and, with the registers as they are before it executes,
 * list its memory accesses: explicit memory operands (base + index*scale
 * + disp, rip-relative, fs/gs base), sized by operand size, and implicit
 * ones: the stack of push/pop/call/ret/enter/leave/iret, rsi/rdi of
 * string instructions (backwards when regs->eflags has DF; with a rep
 * prefix the whole rcx-element range), rbx+al of xlat, the line clzero
 * zeroes.  0 on success, -1 when the bytes are no valid instruction. */
int insn_decode_access(const uint8_t *code, size_t avail, uint64_t rip,
		       const struct user_regs_struct *regs,
		       struct insn_info *out);

/* A plain store (mov to memory from a general register or an
 * immediate): what it writes where, for running it without the
 * hardware (a guard's page, replay_guard.c). */
struct insn_store {
	uint64_t addr;
	unsigned len;           /* 1, 2, 4 or 8 */
	uint8_t bytes[8];       /* the first len are written */
	unsigned insn_len;
};
/* 0 when the instruction at rip is such a store (out filled), else -1. */
int insn_plain_store(const uint8_t *code, size_t avail, uint64_t rip,
		     const struct user_regs_struct *regs,
		     struct insn_store *out);

/* The mnemonic of a decoded instruction ("mov", "rep movsb" is "movsb"). */
const char *insn_info_mnemonic(const struct insn_info *info);

#endif
