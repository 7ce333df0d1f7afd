/* XSAVE model: XCR0 legality, sizes, image conversion between the Intel
 * and AMD Zen 4 layouts (fake CPUID leaf 0xD tables: this machine is a
 * Zen 4, so the Intel side can only be exercised through a table), and
 * CPUID masking for a virtual XCR0. */
#include "config.h"

#include <CUnit/CUnit.h>
#include <string.h>

#include "replay/xsave_model.h"
#include "testsuite/unit/cunit_main.h"

struct fake_cpu {
	const struct cpuid_leaf *leaves;
	size_t n;
};

static bool fake_cpuid(void *ctx, uint32_t leaf, uint32_t sub,
		       struct cpuid_leaf *out)
{
	const struct fake_cpu *c = ctx;

	for (size_t i = 0; i < c->n; i++)
		if (c->leaves[i].leaf == leaf && c->leaves[i].subleaf == sub) {
			*out = c->leaves[i];
			return true;
		}
	if (leaf != 0xd)
		return false;
	*out = (struct cpuid_leaf){ .leaf = leaf, .subleaf = sub };
	return true;
}

/* Ice Lake server: XCR0 0x2e7, Intel offsets (SDM table 13-1 as CPUs
 * report it). */
static const struct cpuid_leaf intel_leaves[] = {
	{ 0xd, 0, 0x2e7, 2696, 2696, 0 },
	{ 0xd, 1, 0xf, 2704, 0x1900, 0 },
	{ 0xd, 2, 256, 576, 0, 0 },
	{ 0xd, 5, 64, 1088, 0, 0 },
	{ 0xd, 6, 512, 1152, 0, 0 },
	{ 0xd, 7, 1024, 1664, 0, 0 },
	{ 0xd, 9, 8, 2688, 0, 0 },
};
/* AMD Zen 4 with PKRU: every AVX-512 component and PKRU elsewhere. */
static const struct cpuid_leaf amd_leaves[] = {
	{ 0xd, 0, 0x2e7, 2440, 2440, 0 },
	{ 0xd, 1, 0xf, 2480, 0x1800, 0 },
	{ 0xd, 2, 256, 576, 0, 0 },
	{ 0xd, 5, 64, 832, 0, 0 },
	{ 0xd, 6, 512, 896, 0, 0 },
	{ 0xd, 7, 1024, 1408, 0, 0 },
	{ 0xd, 9, 8, 2432, 0, 0 },
	{ 0xd, 11, 16, 0, 1, 0 },       /* CET_U, supervisor */
};

static struct xsave_layout intel, amd;

static int load_layouts(void)
{
	struct fake_cpu i = { intel_leaves, sizeof(intel_leaves) / sizeof(intel_leaves[0]) };
	struct fake_cpu a = { amd_leaves, sizeof(amd_leaves) / sizeof(amd_leaves[0]) };

	if (xsave_layout_from_cpuid(&intel, fake_cpuid, &i) < 0 ||
	    xsave_layout_from_cpuid(&amd, fake_cpuid, &a) < 0)
		return -1;
	return 0;
}

/* ---- legality ---- */

static void expect_illegal(uint64_t xcr0, uint64_t supported, const char *words)
{
	char why[256] = "";

	CU_ASSERT_EQUAL(xsave_model_check(xcr0, supported, why, sizeof(why)), -1);
	if (!strstr(why, words))
		fprintf(stderr, "\n%#llx: got \"%s\", want \"%s\"\n",
			(unsigned long long)xcr0, why, words);
	CU_ASSERT_PTR_NOT_NULL(strstr(why, words));
}

static void test_legal(void)
{
	char why[256];

	CU_ASSERT_EQUAL(xsave_model_check(0x7, 0xe7, why, sizeof(why)), 0);
	CU_ASSERT_EQUAL(xsave_model_check(0x3, 0xe7, why, sizeof(why)), 0);
	CU_ASSERT_EQUAL(xsave_model_check(0x1, 0xe7, why, sizeof(why)), 0);
	CU_ASSERT_EQUAL(xsave_model_check(0xe7, 0xe7, why, sizeof(why)), 0);
	CU_ASSERT_EQUAL(xsave_model_check(0x602e7, 0x602ff, why, sizeof(why)), 0);
	CU_ASSERT_EQUAL(xsave_model_check(0x1f, 0x1f, why, sizeof(why)), 0);
}

static void test_illegal(void)
{
	expect_illegal(0x6, 0xe7, "bit 0 (x87) must be set");
	expect_illegal(0x5, 0xe7, "AVX requires SSE");
	expect_illegal(0x27, 0xe7, "opmask, ZMM_Hi256 and Hi16_ZMM must be enabled together");
	expect_illegal(0x67, 0xe7, "opmask, ZMM_Hi256 and Hi16_ZMM must be enabled together");
	expect_illegal(0xe3, 0xe7, "AVX-512 (opmask, ZMM_Hi256, Hi16_ZMM) requires AVX");
	expect_illegal(0x207, 0xe7, "pkru not supported by this CPU");
	expect_illegal(0xf, 0x1f, "BNDREGS and BNDCSR must be enabled together");
	expect_illegal(0x20007, 0x602e7, "XTILECFG and XTILEDATA must be enabled together");
	expect_illegal(0x107, 0xfff, "supervisor component pt can not be set");
	expect_illegal(0x8001f, 0x8001f, "BNDREGS and APX can not be enabled together");
}

/* ---- sizes ---- */

static void test_sizes(void)
{
	CU_ASSERT_EQUAL(xsave_model_size(&intel, 0x7), 832);
	CU_ASSERT_EQUAL(xsave_model_size(&amd, 0x7), 832);
	CU_ASSERT_EQUAL(xsave_model_size(&amd, 0x3), 576);
	CU_ASSERT_EQUAL(xsave_model_size(&intel, 0xe7), 2688);
	CU_ASSERT_EQUAL(xsave_model_size(&amd, 0xe7), 2432);
	CU_ASSERT_EQUAL(xsave_model_size(&intel, 0x2e7), 2696);
	CU_ASSERT_EQUAL(xsave_model_size(&amd, 0x2e7), 2440);
	CU_ASSERT_EQUAL(xsave_model_size(&amd, 0x60007), 0);   /* no AMX */
	CU_ASSERT_EQUAL(xsave_model_compact_size(&amd, 0xe7), 2432);
	CU_ASSERT_EQUAL(xsave_model_compact_size(&intel, 0x207), 840);
}

/* ---- conversion ---- */

static void fill_component(uint8_t *img, const struct xsave_layout *l, int bit)
{
	memset(img + l->comp[bit].offset, 0x10 + bit, l->comp[bit].size);
}

static bool component_is(const uint8_t *img, const struct xsave_layout *l,
			 int bit, uint8_t v)
{
	for (uint32_t i = 0; i < l->comp[bit].size; i++)
		if (img[l->comp[bit].offset + i] != v)
			return false;
	return true;
}

static void make_image(uint8_t *img, size_t len, const struct xsave_layout *l,
		       uint64_t xcr0, uint64_t bv)
{
	memset(img, 0, len);
	for (int i = 0; i < 512; i++)
		img[i] = (uint8_t)i;
	memcpy(img + 464, &xcr0, 8);
	memcpy(img + 512, &bv, 8);
	memset(img + 520, 0, 8);
	for (int b = 2; b < 10; b++)
		if (bv & (1ull << b))
			fill_component(img, l, b);
}

static void test_convert_intel_to_amd(void)
{
	uint8_t src[4096], dst[4096], back[4096];
	char err[256];

	make_image(src, sizeof(src), &intel, 0x2e7, 0x2e7);
	long n = xsave_model_convert(&intel, src, 2696, &amd, 0x2e7, dst,
				     sizeof(dst), err, sizeof(err));
	CU_ASSERT_EQUAL(n, 2440);
	int bits[] = { 2, 5, 6, 7, 9 };
	for (size_t i = 0; i < 5; i++)
		CU_ASSERT_TRUE(component_is(dst, &amd, bits[i], (uint8_t)(0x10 + bits[i])));
	/* 832 is unused on Intel (MPX's hole) and opmask on Zen 4. */
	CU_ASSERT_EQUAL(dst[832], 0x15);
	CU_ASSERT_EQUAL(src[832], 0x00);
	CU_ASSERT_EQUAL(memcmp(dst, src, 464), 0);
	n = xsave_model_convert(&amd, dst, (size_t)n, &intel, 0x2e7, back,
				sizeof(back), err, sizeof(err));
	CU_ASSERT_EQUAL(n, 2696);
	CU_ASSERT_EQUAL(memcmp(back, src, 2696), 0);
}

static void test_convert_to_smaller(void)
{
	uint8_t src[4096], dst[4096];
	char err[256] = "";
	uint64_t bv;

	/* AVX-512 enabled but in init state: dropped. */
	make_image(src, sizeof(src), &amd, 0xe7, 0x7);
	long n = xsave_model_convert(&amd, src, 2432, &intel, 0x7, dst,
				     sizeof(dst), err, sizeof(err));
	CU_ASSERT_EQUAL(n, 832);
	memcpy(&bv, dst + 512, 8);
	CU_ASSERT_EQUAL(bv, 0x7);
	CU_ASSERT_EQUAL(dst[464], 0x7);
	/* In use: refused with the component named. */
	make_image(src, sizeof(src), &amd, 0xe7, 0x67);
	n = xsave_model_convert(&amd, src, 2432, &intel, 0x7, dst, sizeof(dst),
				err, sizeof(err));
	CU_ASSERT_EQUAL(n, -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "opmask"));
	/* Short image. */
	n = xsave_model_convert(&amd, src, 1000, &intel, 0x67, dst, sizeof(dst),
				err, sizeof(err));
	CU_ASSERT_EQUAL(n, -1);
	/* Target buffer too small. */
	n = xsave_model_convert(&amd, src, 2432, &intel, 0xe7, dst, 1000, err,
				sizeof(err));
	CU_ASSERT_EQUAL(n, -1);
}

static void test_layout_differences(void)
{
	CU_ASSERT_EQUAL(xsave_model_layout_differences(&intel, &amd),
			(1ull << 5) | (1ull << 6) | (1ull << 7) | (1ull << 9));
	CU_ASSERT_EQUAL(xsave_model_layout_differences(&amd, &amd), 0);
}

/* ---- CPUID masking (this machine's leaf 1 and 7 answers) ---- */

static void test_mask_leaf7(void)
{
	struct cpuid_leaf l7 = { 7, 0, 1, 0xf1bf07ab, 0x405fc6, 0x10 };
	struct cpuid_leaf c = l7;

	xsave_model_mask_cpuid(&amd, 0xe7, 0xe7, &c);
	CU_ASSERT_EQUAL(memcmp(&c, &l7, sizeof(c)), 0);
	xsave_model_mask_cpuid(&amd, 0xe7, 0x7, &c);
	CU_ASSERT_EQUAL(c.ebx & (1u << 16), 0);          /* avx512f */
	CU_ASSERT_EQUAL(c.ebx & 0xd4230000u, 0);
	CU_ASSERT_NOT_EQUAL(c.ebx & (1u << 5), 0);       /* avx2 stays */
	CU_ASSERT_EQUAL(c.ecx & ((1u << 1) | (1u << 6) | (1u << 11) | (1u << 12) | (1u << 14)), 0);
	CU_ASSERT_NOT_EQUAL(c.ecx & (1u << 9), 0);       /* vaes stays */
	c = l7;
	xsave_model_mask_cpuid(&amd, 0xe7, 0x3, &c);
	CU_ASSERT_EQUAL(c.ebx & (1u << 5), 0);
	CU_ASSERT_EQUAL(c.ecx & (1u << 9), 0);
}

static void test_mask_leaf1(void)
{
	struct cpuid_leaf l1 = { 1, 0, 0xa10f11, 0x1020800, 0xfffa3203, 0x178bfbff };
	struct cpuid_leaf c = l1;

	xsave_model_mask_cpuid(&amd, 0xe7, 0x7, &c);
	CU_ASSERT_EQUAL(c.ecx, l1.ecx);
	xsave_model_mask_cpuid(&amd, 0xe7, 0x3, &c);
	CU_ASSERT_EQUAL(c.ecx & (1u << 28), 0);          /* avx */
	CU_ASSERT_EQUAL(c.ecx & (1u << 12), 0);          /* fma */
	CU_ASSERT_EQUAL(c.ecx & (1u << 29), 0);          /* f16c */
	CU_ASSERT_NOT_EQUAL(c.ecx & (1u << 27), 0);      /* osxsave stays */
	CU_ASSERT_NOT_EQUAL(c.ecx & (1u << 26), 0);      /* xsave stays */
}

static void test_mask_leaf_d(void)
{
	struct cpuid_leaf c = { 0xd, 0, 0x2e7, 2440, 2440, 0 };

	xsave_model_mask_cpuid(&amd, 0x2e7, 0x7, &c);
	CU_ASSERT_EQUAL(c.ebx, 832);
	CU_ASSERT_EQUAL(c.eax, 0x2e7);   /* still what the CPU supports */
	CU_ASSERT_EQUAL(c.ecx, 2440);
	c = (struct cpuid_leaf){ 0xd, 1, 0xf, 2480, 0x1800, 0 };
	xsave_model_mask_cpuid(&amd, 0x2e7, 0x7, &c);
	CU_ASSERT_EQUAL(c.ebx, 2480 - 2440 + 832);
	CU_ASSERT_EQUAL(c.eax, 0xf);
	c = (struct cpuid_leaf){ 0xd, 5, 64, 832, 0, 0 };
	xsave_model_mask_cpuid(&amd, 0x2e7, 0x7, &c);
	CU_ASSERT_EQUAL(c.eax | c.ebx | c.ecx | c.edx, 0);
	c = (struct cpuid_leaf){ 0xd, 2, 256, 576, 0, 0 };
	xsave_model_mask_cpuid(&amd, 0x2e7, 0x7, &c);
	CU_ASSERT_EQUAL(c.ebx, 576);
	c = (struct cpuid_leaf){ 0xd, 11, 16, 0, 1, 0 };   /* supervisor */
	xsave_model_mask_cpuid(&amd, 0x2e7, 0x7, &c);
	CU_ASSERT_EQUAL(c.eax, 16);
}

static const struct unit_test legality_tests[] = {
	{ "legal values", test_legal },
	{ "each rule named", test_illegal },
	{ NULL, NULL },
};
static const struct unit_test layout_tests[] = {
	{ "sizes (0x7 is 832 bytes)", test_sizes },
	{ "Intel to Zen 4 and back", test_convert_intel_to_amd },
	{ "to a smaller XCR0", test_convert_to_smaller },
	{ "layout differences", test_layout_differences },
	{ NULL, NULL },
};
static const struct unit_test cpuid_tests[] = {
	{ "leaf 7 AVX-512 and AVX2", test_mask_leaf7 },
	{ "leaf 1 AVX, OSXSAVE", test_mask_leaf1 },
	{ "leaf 0xD sizes and sub-leaves", test_mask_leaf_d },
	{ NULL, NULL },
};
static const struct unit_suite suites[] = {
	{ "xcr0 legality", legality_tests, NULL, NULL },
	{ "xsave layouts", layout_tests, load_layouts, NULL },
	{ "cpuid masking", cpuid_tests, load_layouts, NULL },
};
UNIT_MAIN(suites)
