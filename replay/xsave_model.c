/* XCR0 legality, XSAVE sizes, image conversion between layouts and
 * CPUID masking for a virtual XCR0 (replay/xsave_model.h). */
#include "config.h"

#include "replay/xsave_model.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/xcr0.h"

#define BIT(n) (1ull << (n))
#define XSTATE_BV_OFFSET 512
#define XCOMP_BV_OFFSET 520
#define XSAVE_MIN_SIZE (XSAVE_HEADER_OFFSET + XSAVE_HEADER_SIZE)

#define M_BNDREGS BIT(XCR0_BIT_BNDREGS)
#define M_BNDCSR BIT(XCR0_BIT_BNDCSR)
#define M_AMX (BIT(XCR0_BIT_XTILECFG) | BIT(XCR0_BIT_XTILEDATA))
#define M_APX BIT(XCR0_BIT_APX)

/* ---- legality ------------------------------------------------------------ */

enum rule_kind {
	RULE_ALL_OR_NONE,       /* every bit of group, or none */
	RULE_NEEDS,             /* any bit of group needs all of `needs` */
	RULE_NEVER_TOGETHER,    /* not all bits of group at once */
};

struct xcr0_rule {
	enum rule_kind kind;
	uint64_t group, needs;
	const char *why;
};

/* XSETBV's #GP conditions (SDM vol. 1 13.3) and KVM's extra APX rule,
 * checked in this order so the message names the first rule broken. */
static const struct xcr0_rule rules[] = {
	{ RULE_NEEDS, XCR0_AVX, XCR0_SSE, "AVX requires SSE" },
	{ RULE_ALL_OR_NONE, M_BNDREGS | M_BNDCSR, 0,
	  "BNDREGS and BNDCSR must be enabled together" },
	{ RULE_ALL_OR_NONE, XCR0_AVX512, 0,
	  "opmask, ZMM_Hi256 and Hi16_ZMM must be enabled together" },
	{ RULE_NEEDS, XCR0_AVX512, XCR0_AVX,
	  "AVX-512 (opmask, ZMM_Hi256, Hi16_ZMM) requires AVX" },
	{ RULE_ALL_OR_NONE, M_AMX, 0,
	  "XTILECFG and XTILEDATA must be enabled together" },
	{ RULE_NEVER_TOGETHER, M_BNDREGS | M_APX, 0,
	  "BNDREGS and APX can not be enabled together (APX reuses the"
	  " BNDREGS area)" },
};

uint64_t xsave_model_supervisor_mask(void)
{
	uint64_t m = 0;

	for (size_t i = 0; i < xcr0_component_count; i++)
		if (!xcr0_components[i].user)
			m |= BIT(xcr0_components[i].bit);
	return m;
}

static bool rule_broken(const struct xcr0_rule *r, uint64_t xcr0)
{
	uint64_t have = xcr0 & r->group;

	switch (r->kind) {
	case RULE_ALL_OR_NONE:
		return have != 0 && have != r->group;
	case RULE_NEEDS:
		return have != 0 && (xcr0 & r->needs) != r->needs;
	case RULE_NEVER_TOGETHER:
		return have == r->group;
	}
	return false;
}

/* "zmm_hi256|hi16_zmm" for the bits of m. */
static void names_of(uint64_t m, char *out, size_t outlen)
{
	char buf[200];

	xcr0_format(buf, sizeof(buf), m);
	const char *open = strchr(buf, '(');
	snprintf(out, outlen, "%s", open ? open + 1 : buf);
	size_t n = strlen(out);
	if (n && out[n - 1] == ')')
		out[n - 1] = 0;
}

int xsave_model_check(uint64_t xcr0, uint64_t supported, char *why,
		      size_t whylen)
{
	char names[256];
	uint64_t sup = xcr0 & xsave_model_supervisor_mask();

	if (!(xcr0 & XCR0_X87)) {
		snprintf(why, whylen, "bit 0 (x87) must be set");
		return -1;
	}
	if (sup) {
		names_of(sup, names, sizeof(names));
		snprintf(why, whylen, "supervisor component%s %s can not be"
			 " set in XCR0 (they belong in IA32_XSS)",
			 (sup & (sup - 1)) ? "s" : "", names);
		return -1;
	}
	if (xcr0 & ~supported) {
		names_of(xcr0 & ~supported, names, sizeof(names));
		snprintf(why, whylen, "%s not supported by this CPU (CPUID(0xD,0)"
			 " EDX:EAX = %#" PRIx64 ")", names, supported);
		return -1;
	}
	for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++)
		if (rule_broken(&rules[i], xcr0)) {
			snprintf(why, whylen, "%s", rules[i].why);
			return -1;
		}
	return 0;
}

uint64_t xsave_model_host_xcr0(void)
{
	const char *env = getenv("XRR_HOST_XCR0");
	uint64_t v;

	if (env && *env && xcr0_parse(env, &v) && v)
		return v;
	return xsave_host_xcr0();
}

/* ---- sizes --------------------------------------------------------------- */

uint32_t xsave_model_size(const struct xsave_layout *l, uint64_t xcr0)
{
	uint32_t size = XSAVE_MIN_SIZE;

	for (int i = 2; i < XSAVE_MAX_COMPONENTS; i++) {
		if (!(xcr0 & BIT(i)))
			continue;
		const struct xsave_component_layout *c = &l->comp[i];
		if (!c->supported)
			return 0;
		if (c->offset + c->size > size)
			size = c->offset + c->size;
	}
	return size;
}

uint32_t xsave_model_compact_size(const struct xsave_layout *l, uint64_t rfbm)
{
	uint32_t size = XSAVE_MIN_SIZE;

	for (int i = 2; i < XSAVE_MAX_COMPONENTS; i++) {
		if (!(rfbm & BIT(i)) || !l->comp[i].supported)
			continue;
		if (l->comp[i].align64)
			size = (size + 63) & ~63u;
		size += l->comp[i].size;
	}
	return size;
}

/* ---- conversion ---------------------------------------------------------- */

uint64_t xsave_model_image_xcr0(const void *image, size_t len)
{
	uint64_t v = 0;

	if (len >= XSAVE_SW_XCR0_OFFSET + 8)
		memcpy(&v, (const uint8_t *)image + XSAVE_SW_XCR0_OFFSET, 8);
	if (!v && len >= XSTATE_BV_OFFSET + 8)
		memcpy(&v, (const uint8_t *)image + XSTATE_BV_OFFSET, 8);
	return v ? v : XCR0_X87 | XCR0_SSE;
}

static int component_name(int bit, char *out, size_t outlen)
{
	const struct xcr0_component *c = xcr0_component_by_bit(bit);

	if (c)
		return snprintf(out, outlen, "%s (bit %d)", c->name, bit);
	return snprintf(out, outlen, "bit %d", bit);
}

/* Copy component i from src (layout from) to dst (layout to). */
static int move_component(int i, const struct xsave_layout *from,
			  const uint8_t *src, size_t srclen,
			  const struct xsave_layout *to, uint8_t *dst,
			  char *err, size_t errlen)
{
	const struct xsave_component_layout *a = &from->comp[i], *b = &to->comp[i];
	char name[64];

	component_name(i, name, sizeof(name));
	if (!a->supported || !b->supported || a->size != b->size) {
		snprintf(err, errlen, "component %s: %s", name,
			 !a->supported ? "unknown to the source layout" :
			 !b->supported ? "not supported by the target layout" :
			 "sizes differ between the layouts");
		return -1;
	}
	if ((size_t)a->offset + a->size > srclen) {
		snprintf(err, errlen, "component %s: image of %zu bytes ends"
			 " before its offset %u + %u", name, srclen, a->offset,
			 a->size);
		return -1;
	}
	memcpy(dst + b->offset, src + a->offset, a->size);
	return 0;
}

long xsave_model_convert(const struct xsave_layout *from, const void *src,
			 size_t srclen, const struct xsave_layout *to,
			 uint64_t to_xcr0, void *dst, size_t dstlen,
			 char *err, size_t errlen)
{
	const uint8_t *s = src;
	uint8_t *d = dst;
	uint64_t bv, comp_bv;
	uint32_t size = xsave_model_size(to, to_xcr0);

	if (srclen < XSAVE_MIN_SIZE) {
		snprintf(err, errlen, "XSAVE image of %zu bytes is shorter than"
			 " the legacy region and header (%d)", srclen,
			 XSAVE_MIN_SIZE);
		return -1;
	}
	if (!size || size > dstlen) {
		snprintf(err, errlen, "target XCR0 %#" PRIx64 " needs %u bytes"
			 " (buffer %zu)%s", to_xcr0, size, dstlen,
			 size ? "" : ": component unknown to the target layout");
		return -1;
	}
	memcpy(&bv, s + XSTATE_BV_OFFSET, 8);
	memcpy(&comp_bv, s + XCOMP_BV_OFFSET, 8);
	if (comp_bv & BIT(63)) {
		snprintf(err, errlen, "XSAVE image is in compacted format");
		return -1;
	}
	uint64_t lost = bv & ~to_xcr0 & ~(XCR0_X87 | XCR0_SSE);
	if (lost) {
		int bit = __builtin_ctzll(lost);
		char name[64];
		component_name(bit, name, sizeof(name));
		snprintf(err, errlen, "component %s is in use in the image but"
			 " not in the target XCR0 %#" PRIx64, name, to_xcr0);
		return -1;
	}
	memset(d, 0, size);
	memcpy(d, s, XSAVE_LEGACY_SIZE);
	memcpy(d + XSAVE_SW_XCR0_OFFSET, &to_xcr0, 8);
	bv &= to_xcr0;
	memcpy(d + XSTATE_BV_OFFSET, &bv, 8);
	for (int i = 2; i < XSAVE_MAX_COMPONENTS; i++)
		if ((bv & BIT(i)) &&
		    move_component(i, from, s, srclen, to, d, err, errlen) < 0)
			return -1;
	return size;
}

uint64_t xsave_model_layout_differences(const struct xsave_layout *a,
					const struct xsave_layout *b)
{
	uint64_t diff = 0;

	for (int i = 2; i < XSAVE_MAX_COMPONENTS; i++) {
		const struct xsave_component_layout *x = &a->comp[i], *y = &b->comp[i];
		if (x->supported && y->supported &&
		    (x->offset != y->offset || x->size != y->size))
			diff |= BIT(i);
	}
	return diff;
}

/* ---- CPUID --------------------------------------------------------------- */

enum cpuid_reg { R_EAX, R_EBX, R_ECX, R_EDX };

/* A feature bit that means nothing to a program unless XCR0 enables
 * `needs` (the OS-support check every correct program makes). */
struct cpuid_feature {
	uint32_t leaf, subleaf;
	enum cpuid_reg reg;
	int bit;
	uint64_t needs;
	const char *name;
};

#define AVX512 XCR0_AVX512
static const struct cpuid_feature features[] = {
	{ 1, 0, R_ECX, 12, XCR0_AVX, "fma" },
	{ 1, 0, R_ECX, 28, XCR0_AVX, "avx" },
	{ 1, 0, R_ECX, 29, XCR0_AVX, "f16c" },
	{ 7, 0, R_EBX, 5, XCR0_AVX, "avx2" },
	{ 7, 0, R_ECX, 9, XCR0_AVX, "vaes" },
	{ 7, 0, R_ECX, 10, XCR0_AVX, "vpclmulqdq" },
	{ 7, 1, R_EAX, 4, XCR0_AVX, "avx_vnni" },
	{ 7, 0, R_EBX, 16, AVX512, "avx512f" },
	{ 7, 0, R_EBX, 17, AVX512, "avx512dq" },
	{ 7, 0, R_EBX, 21, AVX512, "avx512ifma" },
	{ 7, 0, R_EBX, 26, AVX512, "avx512pf" },
	{ 7, 0, R_EBX, 27, AVX512, "avx512er" },
	{ 7, 0, R_EBX, 28, AVX512, "avx512cd" },
	{ 7, 0, R_EBX, 30, AVX512, "avx512bw" },
	{ 7, 0, R_EBX, 31, AVX512, "avx512vl" },
	{ 7, 0, R_ECX, 1, AVX512, "avx512vbmi" },
	{ 7, 0, R_ECX, 6, AVX512, "avx512vbmi2" },
	{ 7, 0, R_ECX, 11, AVX512, "avx512vnni" },
	{ 7, 0, R_ECX, 12, AVX512, "avx512bitalg" },
	{ 7, 0, R_ECX, 14, AVX512, "avx512vpopcntdq" },
	{ 7, 0, R_EDX, 2, AVX512, "avx512_4vnniw" },
	{ 7, 0, R_EDX, 3, AVX512, "avx512_4fmaps" },
	{ 7, 0, R_EDX, 8, AVX512, "avx512_vp2intersect" },
	{ 7, 0, R_EDX, 23, AVX512, "avx512_fp16" },
	{ 7, 1, R_EAX, 5, AVX512, "avx512_bf16" },
	{ 7, 0, R_EDX, 22, M_AMX, "amx_bf16" },
	{ 7, 0, R_EDX, 24, M_AMX, "amx_tile" },
	{ 7, 0, R_EDX, 25, M_AMX, "amx_int8" },
	{ 7, 1, R_EDX, 21, M_APX, "apx_f" },
};

static uint32_t *reg_of(struct cpuid_leaf *c, enum cpuid_reg r)
{
	switch (r) {
	case R_EAX: return &c->eax;
	case R_EBX: return &c->ebx;
	case R_ECX: return &c->ecx;
	case R_EDX: return &c->edx;
	}
	return &c->eax;
}

static void mask_features(uint64_t virt_xcr0, struct cpuid_leaf *c)
{
	for (size_t i = 0; i < sizeof(features) / sizeof(features[0]); i++) {
		const struct cpuid_feature *f = &features[i];
		if (f->leaf != c->leaf || f->subleaf != c->subleaf)
			continue;
		if ((virt_xcr0 & f->needs) != f->needs)
			*reg_of(c, f->reg) &= ~(1u << f->bit);
	}
}

static void mask_leaf_d(const struct xsave_layout *l, uint64_t real_xcr0,
			uint64_t virt_xcr0, struct cpuid_leaf *c)
{
	if (c->subleaf == 0) {
		uint32_t size = xsave_model_size(l, virt_xcr0);
		if (size)
			c->ebx = size;
		return;
	}
	if (c->subleaf == 1) {
		/* EBX: XSAVES size of XCR0|XSS; keep the XSS part. */
		uint32_t real = xsave_model_compact_size(l, real_xcr0);
		uint32_t virt = xsave_model_compact_size(l, virt_xcr0);
		if (c->ebx >= real)
			c->ebx = c->ebx - real + virt;
		return;
	}
	if (c->subleaf >= 64)
		return;
	/* Supervisor components (ECX bit 0) are IA32_XSS's: untouched. */
	if (!(c->ecx & 1) && !(virt_xcr0 & BIT(c->subleaf)))
		c->eax = c->ebx = c->ecx = c->edx = 0;
}

void xsave_model_mask_cpuid(const struct xsave_layout *l, uint64_t real_xcr0,
			    uint64_t virt_xcr0, struct cpuid_leaf *c)
{
	if (c->leaf == 0xd)
		mask_leaf_d(l, real_xcr0, virt_xcr0, c);
	else
		mask_features(virt_xcr0, c);
}
