/* Instruction virtualisation: the decoder finds CPUID/XGETBV/XSAVE family
 * only at real instruction boundaries (not inside immediates), counts
 * what no run reaches, and site records survive the trace encoding. */
#include "config.h"

#include <CUnit/CUnit.h>
#include <stdlib.h>
#include <string.h>

#include "replay/insn_virt.h"
#include "replay/trace_codec.h"
#include "testsuite/unit/cunit_main.h"

/* mov eax,0x00a20f00 (0f a2 inside the immediate); cpuid; xgetbv;
 * xsavec64 [rcx]; xrstor [rcx]; xsaveopt [rcx]; mov eax,0xd0010f
 * (0f 01 d0 inside); ret. */
static const uint8_t code[] = {
	0xb8, 0x00, 0x0f, 0xa2, 0x00,
	0x0f, 0xa2,
	0x0f, 0x01, 0xd0,
	0x48, 0x0f, 0xc7, 0x21,
	0x0f, 0xae, 0x29,
	0x0f, 0xae, 0x31,
	0xb8, 0x0f, 0x01, 0xd0, 0x00,
	0xc3,
};

static void test_boundaries(void)
{
	struct insn_scan s = { 0 };
	uint64_t start = 0x1000;

	CU_ASSERT_EQUAL(insn_virt_scan_code(code, sizeof(code), 0x1000, &start, 1, &s), 0);
	CU_ASSERT_EQUAL(s.nsites, 5);
	CU_ASSERT_EQUAL(s.undecodable, 0);
	if (s.nsites == 5) {
		CU_ASSERT_EQUAL(s.sites[0].addr, 0x1005);
		CU_ASSERT_EQUAL(s.sites[0].kind, INSN_CPUID);
		CU_ASSERT_EQUAL(s.sites[1].addr, 0x1007);
		CU_ASSERT_EQUAL(s.sites[1].kind, INSN_XGETBV);
		CU_ASSERT_EQUAL(s.sites[1].len, 3);
		CU_ASSERT_EQUAL(s.sites[2].kind, INSN_XSAVE);   /* xsavec64 */
		CU_ASSERT_EQUAL(s.sites[2].len, 4);
		CU_ASSERT_STRING_EQUAL(insn_site_mnemonic(&s.sites[2]), "xsavec64");
		CU_ASSERT_EQUAL(s.sites[3].kind, INSN_XRSTOR);
		CU_ASSERT_EQUAL(s.sites[4].kind, INSN_XSAVE);   /* xsaveopt */
		CU_ASSERT_EQUAL(memcmp(s.sites[0].orig, "\x0f\xa2", 2), 0);
	}
	insn_scan_free(&s);
}

static void test_unreached_and_shared_start(void)
{
	struct insn_scan s = { 0 };
	/* Start in the middle (at the cpuid): the 5 bytes before are not
	 * reached; a duplicated start must not end its own run. */
	uint64_t starts[] = { 0x1005, 0x1005 };

	CU_ASSERT_EQUAL(insn_virt_scan_code(code, sizeof(code), 0x1000, starts, 2, &s), 0);
	CU_ASSERT_EQUAL(s.undecodable, 5);
	CU_ASSERT_EQUAL(s.nsites, 5);
	insn_scan_free(&s);
	/* A start inside the immediate: decodes "0f a2" there as a cpuid,
	 * which is why only real starts are used. */
	uint64_t bad = 0x1002;
	CU_ASSERT_EQUAL(insn_virt_scan_code(code, sizeof(code), 0x1000, &bad, 1, &s), 0);
	CU_ASSERT_EQUAL(s.sites[0].addr, 0x1002);
	insn_scan_free(&s);
}

static void test_records(void)
{
	struct insn_scan s = { 0 };
	uint64_t start = 0x1000, ev;
	struct trace_buf b;
	struct insn_site *back;
	size_t n;

	insn_virt_scan_code(code, sizeof(code), 0x1000, &start, 1, &s);
	trace_buf_init(&b);
	insn_sites_encode(42, s.sites, s.nsites, &b);
	CU_ASSERT_EQUAL(insn_sites_decode(b.data, b.len, &ev, &back, &n), 0);
	CU_ASSERT_EQUAL(ev, 42);
	CU_ASSERT_EQUAL(n, s.nsites);
	for (size_t i = 0; i < n && i < s.nsites; i++) {
		CU_ASSERT_EQUAL(back[i].addr, s.sites[i].addr);
		CU_ASSERT_EQUAL(back[i].len, s.sites[i].len);
		CU_ASSERT_EQUAL(memcmp(back[i].orig, s.sites[i].orig, back[i].len), 0);
	}
	free(back);
	/* Cut short, and a bad length: refused. */
	CU_ASSERT_EQUAL(insn_sites_decode(b.data, b.len - 1, &ev, &back, &n), -1);
	b.data[12 + 8 + 3] = 99;
	CU_ASSERT_EQUAL(insn_sites_decode(b.data, b.len, &ev, &back, &n), -1);
	trace_buf_free(&b);
	insn_scan_free(&s);
}

static const struct unit_test tests[] = {
	{ "sites only at instruction boundaries", test_boundaries },
	{ "unreached bytes counted; duplicate starts", test_unreached_and_shared_start },
	{ "site records encode and decode", test_records },
	{ NULL, NULL },
};
static const struct unit_suite suites[] = {
	{ "insn virt decoding", tests, NULL, NULL },
};
UNIT_MAIN(suites)
