/* XSAVE layouts (CPUID leaf 0xD) and decoding of NT_X86_XSTATE images.
 *
 * Every offset of an extended component comes from the layout, i.e. from
 * CPUID(0xD, i).EBX of the machine that produced the image: AMD Zen 4 and
 * Intel place the AVX-512 components differently under the same XCR0.
 * Only the legacy FXSAVE region and the header have fixed offsets. */
#include "config.h"

#include "replay/xsave.h"

#include <cpuid.h>
#include <errno.h>
#include <string.h>

/* FXSAVE (64-bit format) legacy region. */
#define FX_FCW 0
#define FX_FSW 2
#define FX_FTW 4        /* abridged tag: one bit per physical register */
#define FX_FOP 6
#define FX_FIP 8        /* GDB reads fioff from the low half, fiseg above */
#define FX_FISEG 12
#define FX_FDP 16
#define FX_FOSEG 20
#define FX_MXCSR 24
#define FX_ST 32        /* st0-7, 16-byte slots, 10 bytes used */
#define FX_XMM 160      /* xmm0-15 */

#define XSTATE_BV_OFFSET 512

#define FCTRL_INIT 0x37f
#define MXCSR_INIT 0x1f80
#define FTAG_ALL_EMPTY 0xffff

enum x87_tag { TAG_VALID = 0, TAG_ZERO = 1, TAG_SPECIAL = 2, TAG_EMPTY = 3 };

/* ---- layouts ------------------------------------------------------------ */

static bool host_cpuid(void *ctx, uint32_t leaf, uint32_t subleaf,
		       struct cpuid_leaf *out)
{
	(void)ctx;
	unsigned int max_leaf = __get_cpuid_max(0, NULL);

	if (leaf > max_leaf)
		return false;
	out->leaf = leaf;
	out->subleaf = subleaf;
	__cpuid_count(leaf, subleaf, out->eax, out->ebx, out->ecx, out->edx);
	return true;
}

static bool host_has_osxsave(void)
{
	struct cpuid_leaf c;

	/* CPUID.1:ECX bit 26 XSAVE, bit 27 OSXSAVE (XGETBV usable). */
	return host_cpuid(NULL, 1, 0, &c) && (c.ecx & (1u << 26)) &&
	       (c.ecx & (1u << 27));
}

int xsave_layout_from_cpuid(struct xsave_layout *l, cpuid_fn fn, void *ctx)
{
	struct cpuid_leaf c;

	memset(l, 0, sizeof(*l));
	if (!fn(ctx, 0xd, 0, &c))
		return -ENODEV;
	l->supported_xcr0 = ((uint64_t)c.edx << 32) | c.eax;
	l->max_size = c.ecx;
	if ((l->supported_xcr0 & (XCR0_X87 | XCR0_SSE)) !=
	    (XCR0_X87 | XCR0_SSE) ||
	    l->max_size < XSAVE_HEADER_OFFSET + XSAVE_HEADER_SIZE)
		return -EINVAL;

	/* Components 0 and 1 live in the fixed legacy region. */
	l->comp[XCR0_BIT_X87] = (struct xsave_component_layout){
		.offset = 0, .size = FX_XMM, .supported = true };
	l->comp[XCR0_BIT_SSE] = (struct xsave_component_layout){
		.offset = FX_XMM, .size = 256, .supported = true };

	for (int i = 2; i < XSAVE_MAX_COMPONENTS; i++) {
		if (!(l->supported_xcr0 & (1ull << i)))
			continue;
		if (!fn(ctx, 0xd, (uint32_t)i, &c))
			return -EINVAL;
		struct xsave_component_layout *comp = &l->comp[i];
		comp->size = c.eax;
		comp->offset = c.ebx;
		comp->align64 = (c.ecx & 2) != 0;
		comp->supported = true;
		if (comp->size == 0 ||
		    comp->offset < XSAVE_HEADER_OFFSET + XSAVE_HEADER_SIZE ||
		    (uint64_t)comp->offset + comp->size > l->max_size)
			return -EINVAL;
	}
	return 0;
}

int xsave_layout_host(struct xsave_layout *l)
{
	if (!host_has_osxsave()) {
		memset(l, 0, sizeof(*l));
		return -ENODEV;
	}
	return xsave_layout_from_cpuid(l, host_cpuid, NULL);
}

uint64_t xsave_host_xcr0(void)
{
	uint32_t lo, hi;

	if (!host_has_osxsave())
		return 0;
	__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	return ((uint64_t)hi << 32) | lo;
}

/* ---- little-endian field access ----------------------------------------- */

static uint64_t get_le(const uint8_t *p, size_t n)
{
	uint64_t v = 0;

	for (size_t i = 0; i < n; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

static void put_le(uint8_t *p, size_t n, uint64_t v)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* ---- x87 tag word ------------------------------------------------------- */

/* Classify an 80-bit register the way the full FSAVE tag word does. */
static enum x87_tag x87_classify(const uint8_t st[10])
{
	uint32_t exponent = (uint32_t)get_le(st + 8, 2) & 0x7fff;
	uint64_t mantissa = get_le(st, 8);
	bool integer_bit = (mantissa >> 63) != 0;

	if (exponent == 0x7fff)
		return TAG_SPECIAL;
	if (exponent == 0)
		return mantissa == 0 ? TAG_ZERO : TAG_SPECIAL;
	return integer_bit ? TAG_VALID : TAG_SPECIAL;
}

uint32_t xsave_expand_ftag(uint8_t abridged, uint32_t fstat,
			   const uint8_t st[][10])
{
	unsigned top = (fstat >> 11) & 7;
	uint32_t tag = 0;

	/* Tag bits are indexed by physical register; st(i) is physical
	 * register (top + i) mod 8. */
	for (unsigned phys = 0; phys < 8; phys++) {
		enum x87_tag t = TAG_EMPTY;

		if (abridged & (1u << phys))
			t = x87_classify(st[(phys - top) & 7]);
		tag |= (uint32_t)t << (2 * phys);
	}
	return tag;
}

uint8_t xsave_abridge_ftag(uint32_t ftag)
{
	uint8_t abridged = 0;

	for (unsigned phys = 0; phys < 8; phys++)
		if (((ftag >> (2 * phys)) & 3) != TAG_EMPTY)
			abridged |= (uint8_t)(1u << phys);
	return abridged;
}

/* ---- general registers -------------------------------------------------- */

static void gprs_from_user(struct x86_regfile *rf,
			   const struct user_regs_struct *r)
{
	uint64_t *g = rf->gpr;

	g[X86_RAX] = r->rax; g[X86_RBX] = r->rbx; g[X86_RCX] = r->rcx;
	g[X86_RDX] = r->rdx; g[X86_RSI] = r->rsi; g[X86_RDI] = r->rdi;
	g[X86_RBP] = r->rbp; g[X86_RSP] = r->rsp;
	g[X86_R8] = r->r8; g[X86_R9] = r->r9; g[X86_R10] = r->r10;
	g[X86_R11] = r->r11; g[X86_R12] = r->r12; g[X86_R13] = r->r13;
	g[X86_R14] = r->r14; g[X86_R15] = r->r15; g[X86_RIP] = r->rip;
	rf->eflags = (uint32_t)r->eflags;
	rf->cs = (uint32_t)r->cs; rf->ss = (uint32_t)r->ss;
	rf->ds = (uint32_t)r->ds; rf->es = (uint32_t)r->es;
	rf->fs = (uint32_t)r->fs; rf->gs = (uint32_t)r->gs;
	rf->fs_base = r->fs_base;
	rf->gs_base = r->gs_base;
	rf->orig_rax = r->orig_rax;
}

static void gprs_to_user(struct user_regs_struct *r,
			 const struct x86_regfile *rf)
{
	const uint64_t *g = rf->gpr;

	r->rax = g[X86_RAX]; r->rbx = g[X86_RBX]; r->rcx = g[X86_RCX];
	r->rdx = g[X86_RDX]; r->rsi = g[X86_RSI]; r->rdi = g[X86_RDI];
	r->rbp = g[X86_RBP]; r->rsp = g[X86_RSP];
	r->r8 = g[X86_R8]; r->r9 = g[X86_R9]; r->r10 = g[X86_R10];
	r->r11 = g[X86_R11]; r->r12 = g[X86_R12]; r->r13 = g[X86_R13];
	r->r14 = g[X86_R14]; r->r15 = g[X86_R15]; r->rip = g[X86_RIP];
	/* eflags stays 64 bits wide in the kernel's view; upper bits are 0. */
	r->eflags = rf->eflags;
	r->cs = rf->cs; r->ss = rf->ss; r->ds = rf->ds; r->es = rf->es;
	r->fs = rf->fs; r->gs = rf->gs;
	r->fs_base = rf->fs_base;
	r->gs_base = rf->gs_base;
	r->orig_rax = rf->orig_rax;
}

/* ---- image checks --------------------------------------------------------- */

/* The XCR0 an image was saved under; an image without the software bytes
 * (plain FXSAVE contents) is taken as x87|SSE. */
static uint64_t image_xcr0(const uint8_t *img)
{
	uint64_t xcr0 = get_le(img + XSAVE_SW_XCR0_OFFSET, 8);

	return xcr0 ? xcr0 : (XCR0_X87 | XCR0_SSE);
}

/* Every component in xcr0 must be known to the layout and fit in len. */
static int check_components(const struct xsave_layout *l, uint64_t xcr0,
			    size_t len)
{
	if (len < XSAVE_HEADER_OFFSET + XSAVE_HEADER_SIZE)
		return -EINVAL;
	for (int i = 2; i < XSAVE_MAX_COMPONENTS; i++) {
		if (!(xcr0 & (1ull << i)))
			continue;
		const struct xsave_component_layout *c = &l->comp[i];
		if (!c->supported || (uint64_t)c->offset + c->size > len)
			return -EINVAL;
	}
	return 0;
}

/* ---- decode ----------------------------------------------------------------- */

static void decode_x87(struct x86_regfile *rf, const uint8_t *img, bool init)
{
	if (init) {
		/* FNINIT state: all registers empty. */
		memset(rf->st, 0, sizeof(rf->st));
		rf->fctrl = FCTRL_INIT;
		rf->fstat = 0;
		rf->ftag = FTAG_ALL_EMPTY;
		rf->fiseg = rf->fioff = rf->foseg = rf->fooff = rf->fop = 0;
		return;
	}
	for (int i = 0; i < 8; i++)
		memcpy(rf->st[i], img + FX_ST + 16 * i, 10);
	rf->fctrl = (uint32_t)get_le(img + FX_FCW, 2);
	rf->fstat = (uint32_t)get_le(img + FX_FSW, 2);
	rf->ftag = xsave_expand_ftag(img[FX_FTW], rf->fstat,
				     (const uint8_t (*)[10])rf->st);
	rf->fop = (uint32_t)get_le(img + FX_FOP, 2) & 0x7ff;
	rf->fioff = (uint32_t)get_le(img + FX_FIP, 4);
	rf->fiseg = (uint32_t)get_le(img + FX_FISEG, 4);
	rf->fooff = (uint32_t)get_le(img + FX_FDP, 4);
	rf->foseg = (uint32_t)get_le(img + FX_FOSEG, 4);
}

static void decode_extended(const struct xsave_layout *l,
			    struct x86_regfile *rf, const uint8_t *img,
			    uint64_t present)
{
	if (present & XCR0_AVX) {
		const uint8_t *c = img + l->comp[XCR0_BIT_AVX].offset;
		for (int i = 0; i < 16; i++)
			memcpy(rf->ymmh[i], c + 16 * i, 16);
	}
	if (present & XCR0_OPMASK) {
		const uint8_t *c = img + l->comp[XCR0_BIT_OPMASK].offset;
		for (int i = 0; i < 8; i++)
			rf->k[i] = get_le(c + 8 * i, 8);
	}
	if (present & XCR0_ZMM_HI256) {
		const uint8_t *c = img + l->comp[XCR0_BIT_ZMM_HI256].offset;
		for (int i = 0; i < 16; i++)
			memcpy(rf->zmmh[i], c + 32 * i, 32);
	}
	if (present & XCR0_HI16_ZMM) {
		const uint8_t *c = img + l->comp[XCR0_BIT_HI16_ZMM].offset;
		for (int i = 0; i < 16; i++) {
			const uint8_t *z = c + 64 * i;
			memcpy(rf->xmm[16 + i], z, 16);
			memcpy(rf->ymmh[16 + i], z + 16, 16);
			memcpy(rf->zmmh[16 + i], z + 32, 32);
		}
	}
	if (present & XCR0_PKRU)
		rf->pkru = (uint32_t)get_le(img + l->comp[XCR0_BIT_PKRU].offset, 4);
}

int xsave_decode(const struct xsave_layout *l, const void *image, size_t len,
		 const struct user_regs_struct *regs, struct x86_regfile *rf)
{
	const uint8_t *img = image;

	memset(rf, 0, sizeof(*rf));
	if (regs)
		gprs_from_user(rf, regs);
	if (len < XSAVE_HEADER_OFFSET + XSAVE_HEADER_SIZE)
		return -EINVAL;
	uint64_t xcr0 = image_xcr0(img);
	int err = check_components(l, xcr0, len);
	if (err)
		return err;
	rf->xcr0 = xcr0;

	/* Components outside XSTATE_BV are in their init state, whatever
	 * bytes the image holds there. */
	uint64_t bv = get_le(img + XSTATE_BV_OFFSET, 8) & xcr0;

	decode_x87(rf, img, !(bv & XCR0_X87));
	if (bv & XCR0_SSE)
		for (int i = 0; i < 16; i++)
			memcpy(rf->xmm[i], img + FX_XMM + 16 * i, 16);
	/* MXCSR belongs to SSE but XSAVE also saves it for AVX; Linux and
	 * GDB take it from the image when either bit is set. */
	if (bv & (XCR0_SSE | XCR0_AVX))
		rf->mxcsr = (uint32_t)get_le(img + FX_MXCSR, 4);
	else
		rf->mxcsr = MXCSR_INIT;
	decode_extended(l, rf, img, bv);
	return 0;
}

/* ---- encode ----------------------------------------------------------------- */

static void encode_x87(uint8_t *img, const struct x86_regfile *rf)
{
	for (int i = 0; i < 8; i++) {
		memcpy(img + FX_ST + 16 * i, rf->st[i], 10);
		memset(img + FX_ST + 16 * i + 10, 0, 6);
	}
	put_le(img + FX_FCW, 2, rf->fctrl);
	put_le(img + FX_FSW, 2, rf->fstat);
	img[FX_FTW] = xsave_abridge_ftag(rf->ftag);
	put_le(img + FX_FOP, 2, rf->fop & 0x7ff);
	put_le(img + FX_FIP, 4, rf->fioff);
	put_le(img + FX_FISEG, 4, rf->fiseg);
	put_le(img + FX_FDP, 4, rf->fooff);
	put_le(img + FX_FOSEG, 4, rf->foseg);
}

static void encode_extended(const struct xsave_layout *l, uint8_t *img,
			    const struct x86_regfile *rf, uint64_t xcr0)
{
	if (xcr0 & XCR0_AVX) {
		uint8_t *c = img + l->comp[XCR0_BIT_AVX].offset;
		for (int i = 0; i < 16; i++)
			memcpy(c + 16 * i, rf->ymmh[i], 16);
	}
	if (xcr0 & XCR0_OPMASK) {
		uint8_t *c = img + l->comp[XCR0_BIT_OPMASK].offset;
		for (int i = 0; i < 8; i++)
			put_le(c + 8 * i, 8, rf->k[i]);
	}
	if (xcr0 & XCR0_ZMM_HI256) {
		uint8_t *c = img + l->comp[XCR0_BIT_ZMM_HI256].offset;
		for (int i = 0; i < 16; i++)
			memcpy(c + 32 * i, rf->zmmh[i], 32);
	}
	if (xcr0 & XCR0_HI16_ZMM) {
		uint8_t *c = img + l->comp[XCR0_BIT_HI16_ZMM].offset;
		for (int i = 0; i < 16; i++) {
			uint8_t *z = c + 64 * i;
			memcpy(z, rf->xmm[16 + i], 16);
			memcpy(z + 16, rf->ymmh[16 + i], 16);
			memcpy(z + 32, rf->zmmh[16 + i], 32);
		}
	}
	if (xcr0 & XCR0_PKRU)
		put_le(img + l->comp[XCR0_BIT_PKRU].offset, 4, rf->pkru);
}

/* Components encode knows how to write. */
#define XSAVE_ENCODABLE (XCR0_X87 | XCR0_SSE | XCR0_AVX | XCR0_AVX512 | \
			 XCR0_PKRU)

int xsave_encode(const struct xsave_layout *l, const struct x86_regfile *rf,
		 void *image, size_t len, struct user_regs_struct *regs)
{
	uint8_t *img = image;

	if (regs)
		gprs_to_user(regs, rf);
	if (len < XSAVE_HEADER_OFFSET + XSAVE_HEADER_SIZE)
		return -EINVAL;
	uint64_t xcr0 = (rf->xcr0 ? rf->xcr0 : image_xcr0(img)) &
			XSAVE_ENCODABLE;
	int err = check_components(l, xcr0, len);
	if (err)
		return err;

	encode_x87(img, rf);
	for (int i = 0; i < 16; i++)
		memcpy(img + FX_XMM + 16 * i, rf->xmm[i], 16);
	put_le(img + FX_MXCSR, 4, rf->mxcsr);
	encode_extended(l, img, rf, xcr0);

	uint64_t bv = get_le(img + XSTATE_BV_OFFSET, 8);
	put_le(img + XSTATE_BV_OFFSET, 8, bv | xcr0);
	return 0;
}
