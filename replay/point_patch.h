/* Finding an execution point fast without a PMU: a conditional-trap
 * trampoline.
 *
 * Without performance counters a point inside a loop is named by its
 * state: rip, the 16 general registers and some 8-byte memory words.
 * An int3 at rip would cost a ptrace stop per iteration.  Instead the
 * replayer maps a page near rip, writes the trampoline built here into
 * it and overwrites the instructions at rip with `jmp rel32` to it.  The
 * trampoline compares the registers, then the memory words, with the
 * target in-process (a few ns per pass) and executes int3 only on a full
 * match; otherwise it runs the displaced instructions, relocated, and
 * jumps back to rip + displaced.
 *
 * The page must be mapped writable as well as executable
 * (PROT_READ|PROT_WRITE|PROT_EXEC): the trampoline keeps rax and the
 * arithmetic flags in two scratch slots of its own, after its code and
 * constants, on the next 2 KB boundary (flags by lahf/seto, back by
 * add/sahf: no pushfq).  So the
 * slots are per trampoline, not per thread: only one thread may be inside
 * a given trampoline at a time, and no signal handler may run the patched
 * code while a thread is inside it (replay runs one thread at a time and
 * removes the patch before anything else happens).
 * lahf/sahf in 64-bit mode need CPUID 0x80000001 ECX bit 0, present on
 * every x86-64 CPU since 2006 (x86-64-v2).
 *
 * Guarantees the replayer relies on:
 *   - when the match int3 traps, every general register and eflags hold
 *     what they held when the thread arrived at rip; rip is match_trap;
 *   - the trampoline writes no memory but its own slots inside
 *     [tramp_addr, tramp_addr + tramp_len): nothing on the thread's stack,
 *     below rsp or above, red zone or not (beyond what the displaced
 *     instructions write themselves: a displaced call's return address);
 *   - on no match, the displaced instructions run with identical effect
 *     and execution continues where they lead: rip + displaced, or the
 *     original destination of a branch among them (rip itself for a
 *     back-edge: the next arrival is compared too); every way out of the
 *     trampoline leaves its page;
 *   - resuming at match_trap without changing anything also continues
 *     the program correctly (the int3 is followed by a jump into the
 *     displaced instructions), so the replayer may remove the patch or
 *     simply let the thread go on.
 * Memory words are read only once all 16 registers match, in order; a
 * word must be readable then (a fault would be reported at an address
 * inside the trampoline).  No vector or x87 state is touched.
 *
 * Pure computation: no ptrace, no I/O. */
#ifndef XRR_REPLAY_POINT_PATCH_H
#define XRR_REPLAY_POINT_PATCH_H

#include <stddef.h>
#include <stdint.h>

#define POINT_MAX_WORDS 16
#define POINT_MAX_DISPLACED 16
/* Code, constants and scratch slots; the slots start the 2 KB-aligned
 * block after the code, so a trampoline is at most a page. */
#define POINT_TRAMP_MAX 4096
struct point_word {
	uint64_t addr;
	uint64_t value;
};

/* General registers, in the order of point_target.gpr. */
enum point_gpr {
	POINT_RAX, POINT_RBX, POINT_RCX, POINT_RDX, POINT_RSI, POINT_RDI,
	POINT_RBP, POINT_RSP, POINT_R8, POINT_R9, POINT_R10, POINT_R11,
	POINT_R12, POINT_R13, POINT_R14, POINT_R15, POINT_NGPR
};

struct point_target {
	uint64_t rip;
	/* At the point, in this order: rax rbx rcx rdx rsi rdi rbp rsp
	 * r8 r9 r10 r11 r12 r13 r14 r15 (enum point_gpr). */
	uint64_t gpr[POINT_NGPR];
	uint16_t skip_gpr;                      /* bit r: gpr[r] not compared */
	size_t nwords;                          /* <= POINT_MAX_WORDS */
	struct point_word words[POINT_MAX_WORDS];  /* must hold these too */
};

struct point_patch {
	uint64_t rip;
	size_t displaced;                   /* bytes overwritten at rip, >= 5 */
	uint8_t orig[POINT_MAX_DISPLACED];  /* original bytes there (to restore) */
	uint8_t jump[POINT_MAX_DISPLACED];  /* to write at rip: jmp rel32, int3s */
	uint64_t tramp_addr;
	uint8_t tramp[POINT_TRAMP_MAX];
	size_t tramp_len;
	uint64_t match_trap;    /* rip of the SIGTRAP of the match int3
				 * (the address just after it) */
	/* For each byte offset from rip where a displaced instruction
	 * starts: the offset in tramp of its relocated copy (0: none, and
	 * for rip itself).  A thread standing inside the displaced bytes
	 * goes on there, the same instructions with the same effect (a
	 * loop that lies wholly in them never leaves them by steps). */
	uint16_t moved_to[POINT_MAX_DISPLACED];
};

/* Builds the trampoline for target t, to live at tramp_addr.
 *
 * code: the original bytes at t->rip (code_len >= 32 when available;
 * never with breakpoints or other patches inside).
 * safe_len: how many bytes from rip may be displaced, i.e. no branch
 * targets in (rip, rip + safe_len) (the caller knows them; 0..16, more
 * is treated as 16).
 * tramp_addr must be within rel32 reach of rip and of every rip-relative
 * operand of the displaced instructions.
 *
 * tramp_len counts the slots: write all of tramp[0, tramp_len) to the
 * page (the slots start zeroed; their content between passes is the
 * trampoline's, and need not be restored).
 *
 * Whole instructions are taken from rip until at least 5 bytes.  Relative
 * branches among them are re-encoded to their original destinations
 * (jcc and jmp rel8/rel32, call rel32 as push of its return address and
 * jmp, loop/loope/loopne/jrcxz/jecxz rel8); a destination inside the
 * displaced bytes other than rip is refused.  After a jmp only padding
 * (nop, int3) may be covered; a call ends the window (it returns to
 * the instruction after it, which stays in place).  Refused: anything else whose
 * effect depends on its address or changes control flow (indirect jumps
 * and calls, branches with an operand-size prefix, ret,
 * syscall/sysenter, int/int3/int1/into, ud0/ud1/ud2, hlt,
 * xbegin/xabort), the instructions the tracer traps and emulates (cpuid,
 * rdtsc, rdtscp, xgetbv, the xsave/xrstor family), eip-relative
 * operands, undecodable bytes, and memory words that overlap the patched
 * bytes or the trampoline (its slots included).
 *
 * Returns 0, or -1 with a reason in why ("instruction at rip+3 (ret) is
 * a return").  */
int point_patch_build(struct point_patch *p, const struct point_target *t,
		      const uint8_t *code, size_t code_len, size_t safe_len,
		      uint64_t tramp_addr, char *why, size_t whylen);

#endif
