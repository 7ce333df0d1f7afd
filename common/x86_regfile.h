/* The x86-64 register file as GDB sees it, in decoded form.
 *
 * This is plain data shared by the layers: replay/ fills it from ptrace
 * (user_regs_struct plus an XSAVE image decoded with the machine's own
 * layout), protocol/ encodes it into `g`/`p` replies through the target
 * description's register table.  Nothing here depends on an XSAVE layout:
 * vector registers are stored as their architectural pieces. */
#ifndef XRR_COMMON_X86_REGFILE_H
#define XRR_COMMON_X86_REGFILE_H

#include <stdint.h>

/* XCR0 component bit numbers (Intel SDM vol. 1, 13.1). */
enum xcr0_bit {
	XCR0_BIT_X87 = 0,
	XCR0_BIT_SSE = 1,
	XCR0_BIT_AVX = 2,
	XCR0_BIT_BNDREGS = 3,
	XCR0_BIT_BNDCSR = 4,
	XCR0_BIT_OPMASK = 5,
	XCR0_BIT_ZMM_HI256 = 6,
	XCR0_BIT_HI16_ZMM = 7,
	XCR0_BIT_PKRU = 9,
	XCR0_BIT_XTILECFG = 17,
	XCR0_BIT_XTILEDATA = 18,
	XCR0_BIT_APX = 19,
};

#define XCR0_X87 (1ull << XCR0_BIT_X87)
#define XCR0_SSE (1ull << XCR0_BIT_SSE)
#define XCR0_AVX (1ull << XCR0_BIT_AVX)
#define XCR0_OPMASK (1ull << XCR0_BIT_OPMASK)
#define XCR0_ZMM_HI256 (1ull << XCR0_BIT_ZMM_HI256)
#define XCR0_HI16_ZMM (1ull << XCR0_BIT_HI16_ZMM)
#define XCR0_AVX512 (XCR0_OPMASK | XCR0_ZMM_HI256 | XCR0_HI16_ZMM)
#define XCR0_PKRU (1ull << XCR0_BIT_PKRU)

/* General registers in GDB's amd64 order. */
enum x86_gpr {
	X86_RAX, X86_RBX, X86_RCX, X86_RDX, X86_RSI, X86_RDI, X86_RBP, X86_RSP,
	X86_R8, X86_R9, X86_R10, X86_R11, X86_R12, X86_R13, X86_R14, X86_R15,
	X86_RIP,
	X86_NGPR
};

struct x86_regfile {
	uint64_t gpr[X86_NGPR];
	uint32_t eflags;
	uint32_t cs, ss, ds, es, fs, gs;
	/* x87: st registers as 80-bit values; control words widened to 32 bits
	 * the way GDB's g packet carries them.  ftag is the full 16-bit tag
	 * word (FSAVE style), not FXSAVE's abridged byte. */
	uint8_t st[8][10];
	uint32_t fctrl, fstat, ftag, fiseg, fioff, foseg, fooff, fop;
	uint8_t xmm[32][16];   /* bits 0-127 of zmm0-31 (xmm16-31 need AVX-512) */
	uint32_t mxcsr;
	uint64_t orig_rax;
	uint64_t fs_base, gs_base;
	uint8_t ymmh[32][16];  /* bits 128-255 of zmm0-31 */
	uint8_t zmmh[32][32];  /* bits 256-511 of zmm0-31 */
	uint64_t k[8];
	uint32_t pkru;
	/* The XCR0 this thread runs with: registers of components outside it
	 * are reported unavailable. */
	uint64_t xcr0;
};

#endif
