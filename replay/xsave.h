/* XSAVE layouts and decoding of XSAVE images into register values.
 *
 * Offsets come from CPUID leaf 0xD, never from a table of Intel offsets:
 * AMD Zen 4 puts every AVX-512 component elsewhere.  A layout can be
 * taken from this host or built from recorded CPUID leaves (traces). */
#ifndef XRR_REPLAY_XSAVE_H
#define XRR_REPLAY_XSAVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/user.h>

#include "common/x86_regfile.h"

#define XSAVE_MAX_COMPONENTS 64
#define XSAVE_LEGACY_SIZE 512
#define XSAVE_HEADER_OFFSET 512
#define XSAVE_HEADER_SIZE 64
/* Linux stores the thread's XCR0 here in NT_X86_XSTATE regsets. */
#define XSAVE_SW_XCR0_OFFSET 464

struct xsave_component_layout {
	uint32_t offset;   /* standard-format offset (CPUID 0xD,i EBX) */
	uint32_t size;     /* CPUID 0xD,i EAX */
	bool align64;      /* CPUID 0xD,i ECX bit 1 (compacted format) */
	bool supported;
};

struct xsave_layout {
	uint64_t supported_xcr0;      /* CPUID 0xD,0 EDX:EAX */
	uint32_t max_size;            /* CPUID 0xD,0 ECX */
	struct xsave_component_layout comp[XSAVE_MAX_COMPONENTS];
};

/* One CPUID answer (a trace stores a table of these). */
struct cpuid_leaf {
	uint32_t leaf, subleaf;
	uint32_t eax, ebx, ecx, edx;
};

typedef bool (*cpuid_fn)(void *ctx, uint32_t leaf, uint32_t subleaf,
			 struct cpuid_leaf *out);

/* Layout from any CPUID source (this host, a trace's records): sub-leaf 0
 * and every supported sub-leaf from 2 up.  Returns 0, -ENODEV (no leaf
 * 0xD) or -EINVAL (inconsistent answers). */
int xsave_layout_from_cpuid(struct xsave_layout *l, cpuid_fn fn, void *ctx);
/* Layout of this machine (executes CPUID). */
int xsave_layout_host(struct xsave_layout *l);
/* This machine's XCR0 (XGETBV 0); 0 without OSXSAVE. */
uint64_t xsave_host_xcr0(void);

/* FXSAVE keeps one "not empty" bit per physical x87 register; GDB wants
 * the full tag word (2 bits each: valid, zero, special, empty), which is
 * derived from the registers' contents (st in stack order, TOP from
 * fstat bits 11-13). */
/* st points to 8 registers. */
uint32_t xsave_expand_ftag(uint8_t abridged, uint32_t fstat,
			   const uint8_t st[][10]);
uint8_t xsave_abridge_ftag(uint32_t ftag);

/* Decode an NT_X86_XSTATE image (standard format) plus general registers
 * (regs may be NULL) into GDB's register file.  rf->xcr0 comes from bytes
 * 464-471 (0 there: an FXSAVE-only image, x87|SSE).  Components enabled in
 * XCR0 but clear in XSTATE_BV read as their init values (0; fctrl 0x37f,
 * ftag 0xffff; mxcsr 0x1f80 only when both SSE and AVX are clear, as XSAVE
 * stores MXCSR for either).  fiseg/foseg are the 32-bit upper halves of
 * the 64-bit FIP/FDP, as GDB reads them.  Returns 0 or -EINVAL (image too
 * short, or a component in its XCR0 the layout does not know). */
int xsave_decode(const struct xsave_layout *l, const void *image, size_t len,
		 const struct user_regs_struct *regs, struct x86_regfile *rf);
/* Write rf's FPU/vector registers back into an image (normally one just
 * read from the thread; setting XSTATE_BV bits for the components written,
 * those of rf->xcr0) and its GPRs into regs (may be NULL). */
int xsave_encode(const struct xsave_layout *l, const struct x86_regfile *rf,
		 void *image, size_t len, struct user_regs_struct *regs);

#endif
