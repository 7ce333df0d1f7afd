/* Patched syscall sites: a `syscall` instruction of the program's own
 * code (libgomp's futex wakes, glibc's internal calls) that the syscall
 * buffer's wrappers never see is routed into the buffer library.
 *
 * The recorder, having seen a site make a call the library buffers,
 * replaces the whole instructions just before the `syscall` (at least 5
 * bytes, none a branch, a trapped instruction or a branch target) by a
 * jump to a trampoline on a page near it:
 *
 *   <the displaced instructions, rip-relative operands relocated>
 *   lea -128(%rsp),%rsp          skip the red zone
 *   call *hook(%rip)             xrr_sb_site_hook (syscallbuf/preload.c)
 *   lea 128(%rsp),%rsp
 *   jmp <after the syscall>      buffered: rax holds the result
 *   lea 128(%rsp),%rsp           declined: the hook returns here
 *   jmp <the syscall>            (XRR_SB_SITE_DECLINE bytes further on)
 *   <hook address>
 *
 * The `syscall` instruction itself and everything after it stay as they
 * are: a thread stopped in that call (or at its restart) goes on
 * correctly, and so does one standing at an instruction boundary past
 * the jump's 5 bytes.  The recorder writes the patch as EV_PATCH so
 * replay makes the same one at the same moment (docs/syscallbuf.md). */
#ifndef XRR_REPLAY_SITEPATCH_H
#define XRR_REPLAY_SITEPATCH_H

#include <stddef.h>
#include <stdint.h>

#define SITEPATCH_JUMP_LEN 5
/* Bytes decoded on each side of the site to find instruction boundaries
 * and the branches that land near it. */
#define SITEPATCH_SCAN 256
#define SITEPATCH_MAX_TRAMP 128

struct sitepatch {
	uint64_t syscall_addr;  /* the `syscall` instruction */
	uint64_t start;         /* the first displaced instruction: the jump */
	size_t displaced;       /* bytes from start to the syscall */
	uint8_t jump[SITEPATCH_JUMP_LEN];
	uint64_t tramp_addr;
	uint8_t tramp[SITEPATCH_MAX_TRAMP];
	size_t tramp_len;       /* 8-byte multiple */
};

/* Plan the patch of the `syscall` at syscall_addr.  code holds the
 * tracee's bytes [base, base + len), as much of SITEPATCH_SCAN on each
 * side as is mapped.  Fills p->start and p->displaced; 0, or -1 with a
 * reason in why. */
int sitepatch_plan(struct sitepatch *p, const uint8_t *code, size_t len,
		   uint64_t base, uint64_t syscall_addr, char *why,
		   size_t whylen);

/* Build the trampoline at tramp_addr (within rel32 reach of the site
 * and of every rip-relative operand moved) and the jump, for a planned
 * p; code/len/base as for sitepatch_plan.  0, or -1 with why. */
int sitepatch_build(struct sitepatch *p, const uint8_t *code, size_t len,
		    uint64_t base, uint64_t hook, uint64_t tramp_addr,
		    char *why, size_t whylen);

#endif
