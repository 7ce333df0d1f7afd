/* Unit tests for protocol/tdesc_xml.c, the client's reader of target
 * descriptions: every description the server side builds (tdesc.c) must
 * read back with the same names, sizes, numbers and g offsets, and bad
 * documents must be refused with a message. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "protocol/tdesc.h"
#include "protocol/tdesc_xml.h"
#include "testsuite/unit/cunit_main.h"

static const uint64_t unions[] = { 0x7, 0xe7, 0x2e7, 0x602e7 };

static void test_round_trip(void)
{
	for (size_t u = 0; u < sizeof(unions) / sizeof(unions[0]); u++) {
		struct tdesc td;
		struct tdesc_xml x;
		char err[256] = "";
		CU_ASSERT_FATAL(tdesc_build(&td, unions[u], err, sizeof(err)) == 0);
		int rc = tdesc_xml_parse(td.xml, td.xml_len, &x, err, sizeof(err));
		if (rc != 0)
			fprintf(stderr, "union %#llx: %s\n",
				(unsigned long long)unions[u], err);
		CU_ASSERT_FATAL(rc == 0);
		CU_ASSERT_EQUAL(x.nregs, td.nregs);
		CU_ASSERT_EQUAL(x.g_size, td.g_size);
		for (size_t i = 0; i < td.nregs && i < x.nregs; i++) {
			const struct tdesc_reg *want = &td.regs[i];
			const struct tdesc_xml_reg *got = tdesc_xml_find(&x, want->name);
			CU_ASSERT_PTR_NOT_NULL_FATAL(got);
			CU_ASSERT_EQUAL(got->regnum, want->regnum);
			CU_ASSERT_EQUAL(got->bitsize, want->bitsize);
			CU_ASSERT_EQUAL(got->g_offset, want->g_offset);
			CU_ASSERT_STRING_EQUAL(got->feature, want->feature);
		}
		const struct tdesc_xml_reg *xcr0 = tdesc_xml_find(&x, "xcr0");
		CU_ASSERT_PTR_NOT_NULL_FATAL(xcr0);
		CU_ASSERT_STRING_EQUAL(xcr0->feature, "org.xrr.xstate");
		CU_ASSERT_EQUAL(tdesc_xml_find(&x, "zmm0h") != NULL,
				(unions[u] & 0xe0) != 0);
		tdesc_xml_free(&x);
		tdesc_free(&td);
	}
}

/* An explicit regnum restarts the numbering, as in GDB. */
static void test_explicit_regnum(void)
{
	static const char xml[] =
		"<target><feature name=\"f\">"
		"<reg name=\"a\" bitsize=\"64\"/>"
		"<reg name=\"b\" bitsize=\"32\" regnum=\"10\"/>"
		"<reg name=\"c\" bitsize=\"128\"/>"
		"</feature></target>";
	struct tdesc_xml x;
	char err[256];
	CU_ASSERT_FATAL(tdesc_xml_parse(xml, sizeof(xml) - 1, &x, err,
					sizeof(err)) == 0);
	CU_ASSERT_EQUAL(tdesc_xml_find(&x, "a")->regnum, 0);
	CU_ASSERT_EQUAL(tdesc_xml_find(&x, "b")->regnum, 10);
	CU_ASSERT_EQUAL(tdesc_xml_find(&x, "c")->regnum, 11);
	CU_ASSERT_EQUAL(tdesc_xml_find(&x, "c")->g_offset, 12);
	CU_ASSERT_EQUAL(x.g_size, 28);
	tdesc_xml_free(&x);
}

static void refused(const char *xml, const char *why)
{
	struct tdesc_xml x;
	char err[256] = "";
	CU_ASSERT_EQUAL(tdesc_xml_parse(xml, strlen(xml), &x, err, sizeof(err)), -1);
	if (!strstr(err, why))
		fprintf(stderr, "expected '%s' in '%s'\n", why, err);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, why));
	CU_ASSERT_EQUAL(x.nregs, 0);
	CU_ASSERT_PTR_NULL(x.regs);
}

static void test_bad_documents(void)
{
	refused("<target><reg name=\"a\" bitsize=\"64\">", "line 1");
	refused("<target><reg bitsize=\"64\"/></target>", "without a name");
	refused("<target><reg name=\"a\"/></target>", "no usable bitsize");
	refused("<target><reg name=\"a\" bitsize=\"12\"/></target>",
		"no usable bitsize");
	refused("<target><reg name=\"a\" bitsize=\"8\" regnum=\"x\"/></target>",
		"bad regnum");
	refused("<target><xi:include href=\"64bit-core.xml\"/></target>",
		"64bit-core.xml");
	refused("<target></target>", "no registers");
	refused("", "line 1");
}

static const struct unit_test tests[] = {
	{ "descriptions read back as built", test_round_trip },
	{ "regnum attributes", test_explicit_regnum },
	{ "bad documents refused", test_bad_documents },
	{ NULL, NULL },
};

static const struct unit_suite suites[] = {
	{ "tdesc_xml", tests, NULL, NULL },
};

UNIT_MAIN(suites)
