/* Unit tests for protocol/tdesc.c: register table, target.xml and g/p
 * encoding, plus an acceptance check that feeds every generated XML to
 * the real GDB and compares GDB's own register numbering with ours.
 *
 * Expected sizes are worked out here from the architecture (GDB's amd64
 * feature files), not read back from the code under test. */
#include "config.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/x86_regfile.h"
#include "protocol/tdesc.h"
#include "testsuite/unit/cunit_main.h"

/* Bytes and register counts per feature. */
#define CORE_BYTES (17 * 8 + 7 * 4 + 8 * 10 + 8 * 4)   /* gprs+rip, eflags+sregs, st, fctrl.. */
#define CORE_REGS 40
#define SSE_BYTES (16 * 16 + 4)
#define SSE_REGS 17
#define LINUX_BYTES 8
#define SEGMENTS_BYTES 16
#define AVX_BYTES (16 * 16)
#define AVX512_BYTES (16 * 16 + 16 * 16 + 8 * 8 + 32 * 32)
#define AVX512_REGS (16 + 16 + 8 + 32)
#define PKEYS_BYTES 4
#define XSTATE_BYTES 8

/* Everything up to and including segments: always present. */
#define BASE_BYTES (CORE_BYTES + SSE_BYTES + LINUX_BYTES + SEGMENTS_BYTES)
#define BASE_REGS (CORE_REGS + SSE_REGS + 1 + 2)

static const uint64_t unions[] = { 0x7, 0xe7, 0x2e7, 0x602e7 };

static void build(struct tdesc *td, uint64_t u)
{
	char err[256] = "";
	int rc = tdesc_build(td, u, err, sizeof(err));
	if (rc != 0)
		fprintf(stderr, "tdesc_build(%#llx): %s\n", (unsigned long long)u, err);
	CU_ASSERT_FATAL(rc == 0);
}

static const struct tdesc_reg *reg(const struct tdesc *td, const char *name)
{
	const struct tdesc_reg *r = tdesc_find_reg(td, name);
	if (!r)
		fprintf(stderr, "register %s missing\n", name);
	CU_ASSERT_FATAL(r != NULL);
	return r;
}

static void test_counts_and_sizes(void)
{
	static const struct {
		uint64_t u;
		size_t nregs, g_size;
	} want[] = {
		{ 0x3, BASE_REGS + 1, BASE_BYTES + XSTATE_BYTES },
		{ 0x7, BASE_REGS + 16 + 1, BASE_BYTES + AVX_BYTES + XSTATE_BYTES },
		{ 0xe7, BASE_REGS + 16 + AVX512_REGS + 1,
		  BASE_BYTES + AVX_BYTES + AVX512_BYTES + XSTATE_BYTES },
		{ 0x2e7, BASE_REGS + 16 + AVX512_REGS + 2,
		  BASE_BYTES + AVX_BYTES + AVX512_BYTES + PKEYS_BYTES + XSTATE_BYTES },
		/* AMX adds no registers GDB knows about. */
		{ 0x602e7, BASE_REGS + 16 + AVX512_REGS + 2,
		  BASE_BYTES + AVX_BYTES + AVX512_BYTES + PKEYS_BYTES + XSTATE_BYTES },
	};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		struct tdesc td;
		build(&td, want[i].u);
		CU_ASSERT_EQUAL(td.nregs, want[i].nregs);
		CU_ASSERT_EQUAL(td.g_size, want[i].g_size);
		CU_ASSERT_EQUAL(td.xcr0_union, want[i].u);
		tdesc_free(&td);
	}
	CU_ASSERT_EQUAL(BASE_REGS + 16 + AVX512_REGS + 2, 150);
}

/* Numbers and offsets GDB's amd64 target uses for the same layout. */
static void test_offsets(void)
{
	static const struct {
		const char *name;
		unsigned regnum;
		size_t g_offset;
		unsigned bitsize;
	} want[] = {
		{ "rax", 0, 0, 64 },
		{ "rbp", 6, 48, 64 },
		{ "rsp", 7, 56, 64 },
		{ "r8", 8, 64, 64 },
		{ "rip", 16, 128, 64 },
		{ "eflags", 17, 136, 32 },
		{ "gs", 23, 160, 32 },
		{ "st0", 24, 164, 80 },
		{ "st7", 31, 234, 80 },
		{ "fctrl", 32, 244, 32 },
		{ "fop", 39, 272, 32 },
		{ "xmm0", 40, CORE_BYTES, 128 },
		{ "mxcsr", 56, CORE_BYTES + 256, 32 },
		{ "orig_rax", 57, CORE_BYTES + SSE_BYTES, 64 },
		{ "fs_base", 58, CORE_BYTES + SSE_BYTES + 8, 64 },
		{ "gs_base", 59, CORE_BYTES + SSE_BYTES + 16, 64 },
		{ "ymm0h", 60, BASE_BYTES, 128 },
		{ "ymm15h", 75, BASE_BYTES + 15 * 16, 128 },
		{ "xmm16", 76, BASE_BYTES + AVX_BYTES, 128 },
		{ "ymm16h", 92, BASE_BYTES + AVX_BYTES + 256, 128 },
		{ "k0", 108, BASE_BYTES + AVX_BYTES + 512, 64 },
		{ "zmm0h", 116, BASE_BYTES + AVX_BYTES + 576, 256 },
		{ "zmm31h", 147, BASE_BYTES + AVX_BYTES + 576 + 31 * 32, 256 },
		{ "pkru", 148, BASE_BYTES + AVX_BYTES + AVX512_BYTES, 32 },
		{ "xcr0", 149, BASE_BYTES + AVX_BYTES + AVX512_BYTES + 4, 64 },
	};
	CU_ASSERT_EQUAL(CORE_BYTES, 276);
	CU_ASSERT_EQUAL(BASE_BYTES, 560);
	struct tdesc td;
	build(&td, 0x2e7);
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		const struct tdesc_reg *r = reg(&td, want[i].name);
		CU_ASSERT_EQUAL(r->regnum, want[i].regnum);
		CU_ASSERT_EQUAL(r->g_offset, want[i].g_offset);
		CU_ASSERT_EQUAL(r->bitsize, want[i].bitsize);
		CU_ASSERT_PTR_EQUAL(&td.regs[r->regnum], r);
	}
	CU_ASSERT_EQUAL(td.rip_regnum, 16);
	CU_ASSERT_EQUAL(td.rsp_regnum, 7);
	CU_ASSERT_EQUAL(td.rbp_regnum, 6);
	CU_ASSERT_EQUAL(td.xcr0_regnum, 149);
	tdesc_free(&td);

	/* Without AVX-512 the xcr0 register follows ymm15h directly. */
	build(&td, 0x7);
	CU_ASSERT_EQUAL(td.xcr0_regnum, 76);
	CU_ASSERT_EQUAL(reg(&td, "xcr0")->g_offset, BASE_BYTES + AVX_BYTES);
	CU_ASSERT_PTR_NULL(tdesc_find_reg(&td, "zmm0h"));
	CU_ASSERT_PTR_NULL(tdesc_find_reg(&td, "pkru"));
	CU_ASSERT_PTR_NULL(tdesc_find_reg(&td, "nosuchreg"));
	tdesc_free(&td);
}

/* Offsets are contiguous and in regnum order, for every union. */
static void test_table_contiguous(void)
{
	for (size_t u = 0; u < sizeof(unions) / sizeof(unions[0]); u++) {
		struct tdesc td;
		build(&td, unions[u]);
		size_t off = 0;
		for (size_t i = 0; i < td.nregs; i++) {
			CU_ASSERT_EQUAL(td.regs[i].regnum, i);
			CU_ASSERT_EQUAL(td.regs[i].g_offset, off);
			CU_ASSERT_EQUAL(td.regs[i].bitsize % 8, 0);
			CU_ASSERT_PTR_NOT_NULL(td.regs[i].feature);
			off += td.regs[i].bitsize / 8;
		}
		CU_ASSERT_EQUAL(off, td.g_size);
		tdesc_free(&td);
	}
}

/* Every byte of the register file is carried by exactly one register. */
static void test_table_covers_regfile(void)
{
	struct x86_regfile *z = NULL;
	(void)z;
	const size_t fields = sizeof(z->gpr) + sizeof(z->eflags) + 6 * 4 +
		sizeof(z->st) + 8 * 4 + sizeof(z->xmm) + sizeof(z->mxcsr) +
		sizeof(z->orig_rax) + 16 + sizeof(z->ymmh) + sizeof(z->zmmh) +
		sizeof(z->k) + sizeof(z->pkru) + sizeof(z->xcr0);
	unsigned char used[sizeof(struct x86_regfile)] = { 0 };
	struct tdesc td;
	build(&td, 0x2e7);
	size_t covered = 0;
	for (size_t i = 0; i < td.nregs; i++) {
		const struct tdesc_reg *r = &td.regs[i];
		CU_ASSERT_FATAL(r->file_offset + r->bitsize / 8 <= sizeof(used));
		for (size_t b = 0; b < r->bitsize / 8; b++) {
			CU_ASSERT_EQUAL(used[r->file_offset + b], 0);
			used[r->file_offset + b] = 1;
			covered++;
		}
	}
	CU_ASSERT_EQUAL(covered, fields);
	CU_ASSERT_EQUAL(reg(&td, "rip")->file_offset,
			offsetof(struct x86_regfile, gpr[X86_RIP]));
	CU_ASSERT_EQUAL(reg(&td, "ymm17h")->file_offset,
			offsetof(struct x86_regfile, ymmh[17]));
	CU_ASSERT_EQUAL(reg(&td, "zmm20h")->file_offset,
			offsetof(struct x86_regfile, zmmh[20]));
	CU_ASSERT_EQUAL(reg(&td, "ftag")->file_offset,
			offsetof(struct x86_regfile, ftag));
	CU_ASSERT_EQUAL(reg(&td, "es")->file_offset,
			offsetof(struct x86_regfile, es));
	tdesc_free(&td);
}

static void test_components(void)
{
	static const struct {
		const char *name;
		int component;
	} want[] = {
		{ "rax", TDESC_ALWAYS }, { "rip", TDESC_ALWAYS },
		{ "eflags", TDESC_ALWAYS }, { "gs", TDESC_ALWAYS },
		{ "orig_rax", TDESC_ALWAYS }, { "fs_base", TDESC_ALWAYS },
		{ "gs_base", TDESC_ALWAYS }, { "xcr0", TDESC_ALWAYS },
		{ "st0", XCR0_BIT_X87 }, { "fop", XCR0_BIT_X87 },
		{ "xmm0", XCR0_BIT_SSE }, { "xmm15", XCR0_BIT_SSE },
		{ "mxcsr", XCR0_BIT_SSE }, { "ymm15h", XCR0_BIT_AVX },
		{ "xmm16", XCR0_BIT_HI16_ZMM }, { "ymm31h", XCR0_BIT_HI16_ZMM },
		{ "zmm0h", XCR0_BIT_ZMM_HI256 }, { "zmm15h", XCR0_BIT_ZMM_HI256 },
		{ "zmm16h", XCR0_BIT_HI16_ZMM }, { "k7", XCR0_BIT_OPMASK },
		{ "pkru", XCR0_BIT_PKRU },
	};
	struct tdesc td;
	build(&td, 0x2e7);
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		const struct tdesc_reg *r = reg(&td, want[i].name);
		CU_ASSERT_EQUAL(r->component, want[i].component);
	}
	CU_ASSERT_TRUE(tdesc_reg_available(reg(&td, "rax"), 0));
	CU_ASSERT_TRUE(tdesc_reg_available(reg(&td, "ymm0h"), 0x7));
	CU_ASSERT_FALSE(tdesc_reg_available(reg(&td, "ymm0h"), 0x3));
	CU_ASSERT_FALSE(tdesc_reg_available(reg(&td, "zmm0h"), 0x7));
	CU_ASSERT_TRUE(tdesc_reg_available(reg(&td, "zmm0h"), 0x47));
	CU_ASSERT_FALSE(tdesc_reg_available(reg(&td, "zmm16h"), 0x67));
	CU_ASSERT_STRING_EQUAL(reg(&td, "k0")->feature, "org.gnu.gdb.i386.avx512");
	CU_ASSERT_STRING_EQUAL(reg(&td, "xcr0")->feature, "org.xrr.xstate");
	tdesc_free(&td);
}

static int count_substr(const char *hay, const char *needle)
{
	int n = 0;
	for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

static void test_xml_features(void)
{
	static const char *const optional[] = {
		"<feature name=\"org.gnu.gdb.i386.avx\">",
		"<feature name=\"org.gnu.gdb.i386.avx512\">",
		"<feature name=\"org.gnu.gdb.i386.pkeys\">",
	};
	static const struct {
		uint64_t u;
		bool has[3];
	} want[] = {
		{ 0x3, { false, false, false } },
		{ 0x7, { true, false, false } },
		{ 0xe7, { true, true, false } },
		{ 0x2e7, { true, true, true } },
		{ 0x207, { true, false, true } },
		{ 0x27, { true, true, false } },   /* opmask alone is enough */
	};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		struct tdesc td;
		build(&td, want[i].u);
		CU_ASSERT_EQUAL(strlen(td.xml), td.xml_len);
		CU_ASSERT_PTR_NOT_NULL(strstr(td.xml, "<architecture>i386:x86-64</architecture>"));
		CU_ASSERT_PTR_NOT_NULL(strstr(td.xml, "<osabi>GNU/Linux</osabi>"));
		CU_ASSERT_PTR_NULL(strstr(td.xml, "xi:include"));
		CU_ASSERT_PTR_NOT_NULL(strstr(td.xml, "<feature name=\"org.gnu.gdb.i386.core\">"));
		CU_ASSERT_PTR_NOT_NULL(strstr(td.xml, "<feature name=\"org.gnu.gdb.i386.sse\">"));
		CU_ASSERT_PTR_NOT_NULL(strstr(td.xml, "<feature name=\"org.gnu.gdb.i386.linux\">"));
		CU_ASSERT_PTR_NOT_NULL(strstr(td.xml, "<feature name=\"org.gnu.gdb.i386.segments\">"));
		CU_ASSERT_PTR_NOT_NULL(strstr(td.xml, "<feature name=\"org.xrr.xstate\">"));
		CU_ASSERT_PTR_NULL(strstr(td.xml, "mpx"));
		for (int f = 0; f < 3; f++)
			CU_ASSERT_EQUAL(strstr(td.xml, optional[f]) != NULL, want[i].has[f]);
		/* vec128 is defined once per feature that uses it. */
		CU_ASSERT_EQUAL(count_substr(td.xml, "<union id=\"vec128\">"),
				want[i].has[1] ? 2 : 1);
		CU_ASSERT_EQUAL(count_substr(td.xml, "<feature "),
				5 + want[i].has[0] + want[i].has[1] + want[i].has[2]);
		CU_ASSERT_EQUAL(count_substr(td.xml, "</feature>"),
				count_substr(td.xml, "<feature "));
		tdesc_free(&td);
	}
}

/* The XML declares exactly the table's registers, in the same order and
 * with the same sizes, each inside the feature the table names. */
static void test_xml_matches_table(void)
{
	for (size_t u = 0; u < sizeof(unions) / sizeof(unions[0]); u++) {
		struct tdesc td;
		build(&td, unions[u]);
		const char *p = td.xml;
		size_t i = 0;
		for (; (p = strstr(p, "<reg name=\"")); p++, i++) {
			char name[32], feature[64];
			unsigned bits;
			CU_ASSERT_FATAL(i < td.nregs);
			CU_ASSERT_FATAL(sscanf(p, "<reg name=\"%31[^\"]\" bitsize=\"%u\"",
					       name, &bits) == 2);
			CU_ASSERT_STRING_EQUAL(name, td.regs[i].name);
			CU_ASSERT_EQUAL(bits, td.regs[i].bitsize);
			/* Nearest <feature> opening before this register. */
			const char *f = p;
			while (f > td.xml && strncmp(f, "<feature name=\"", 15) != 0)
				f--;
			CU_ASSERT_FATAL(sscanf(f, "<feature name=\"%63[^\"]\"", feature) == 1);
			CU_ASSERT_STRING_EQUAL(feature, td.regs[i].feature);
		}
		CU_ASSERT_EQUAL(i, td.nregs);
		tdesc_free(&td);
	}
}

static void test_xml_xcr0_flags(void)
{
	static const char *const fields[] = {
		"<field name=\"x87\" start=\"0\" end=\"0\"/>",
		"<field name=\"sse\" start=\"1\" end=\"1\"/>",
		"<field name=\"avx\" start=\"2\" end=\"2\"/>",
		"<field name=\"opmask\" start=\"5\" end=\"5\"/>",
		"<field name=\"zmm_hi256\" start=\"6\" end=\"6\"/>",
		"<field name=\"hi16_zmm\" start=\"7\" end=\"7\"/>",
		"<field name=\"pkru\" start=\"9\" end=\"9\"/>",
		"<field name=\"xtiledata\" start=\"18\" end=\"18\"/>",
	};
	struct tdesc td;
	build(&td, 0x7);
	const char *flags = strstr(td.xml, "<flags id=\"xcr0_flags\" size=\"8\">");
	CU_ASSERT_PTR_NOT_NULL_FATAL(flags);
	const char *end = strstr(flags, "</flags>");
	CU_ASSERT_PTR_NOT_NULL_FATAL(end);
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		const char *f = strstr(flags, fields[i]);
		CU_ASSERT(f != NULL && f < end);
	}
	/* Supervisor-only components never appear in XCR0. */
	CU_ASSERT(strstr(flags, "\"pt\"") == NULL || strstr(flags, "\"pt\"") > end);
	CU_ASSERT_PTR_NOT_NULL(strstr(end, "<reg name=\"xcr0\" bitsize=\"64\" "
				      "type=\"xcr0_flags\" group=\"system\"/>"));
	/* The core and sse flag types GDB's amd64 code expects. */
	CU_ASSERT_PTR_NOT_NULL(strstr(td.xml, "<flags id=\"i386_eflags\" size=\"4\">"));
	CU_ASSERT_PTR_NOT_NULL(strstr(td.xml, "<field name=\"ZF\" start=\"6\" end=\"6\"/>"));
	CU_ASSERT_PTR_NOT_NULL(strstr(td.xml, "<flags id=\"i386_mxcsr\" size=\"4\">"));
	CU_ASSERT_PTR_NOT_NULL(strstr(td.xml, "<field name=\"FZ\" start=\"15\" end=\"15\"/>"));
	tdesc_free(&td);
}

/* Types and groups as GDB's amd64 features declare them. */
static void test_xml_reg_types(void)
{
	static const char *const want[] = {
		"<reg name=\"rax\" bitsize=\"64\" type=\"int64\"/>",
		"<reg name=\"rbp\" bitsize=\"64\" type=\"data_ptr\"/>",
		"<reg name=\"rsp\" bitsize=\"64\" type=\"data_ptr\"/>",
		"<reg name=\"rip\" bitsize=\"64\" type=\"code_ptr\"/>",
		"<reg name=\"eflags\" bitsize=\"32\" type=\"i386_eflags\"/>",
		"<reg name=\"ds\" bitsize=\"32\" type=\"int32\"/>",
		"<reg name=\"st3\" bitsize=\"80\" type=\"i387_ext\"/>",
		"<reg name=\"fop\" bitsize=\"32\" type=\"int\" group=\"float\"/>",
		"<reg name=\"xmm9\" bitsize=\"128\" type=\"vec128\"/>",
		"<reg name=\"mxcsr\" bitsize=\"32\" type=\"i386_mxcsr\" group=\"vector\"/>",
		"<reg name=\"orig_rax\" bitsize=\"64\" type=\"int\"/>",
		"<reg name=\"gs_base\" bitsize=\"64\" type=\"int\"/>",
		"<reg name=\"ymm7h\" bitsize=\"128\" type=\"uint128\"/>",
		"<reg name=\"xmm31\" bitsize=\"128\" type=\"vec128\"/>",
		"<reg name=\"ymm20h\" bitsize=\"128\" type=\"uint128\"/>",
		"<reg name=\"k5\" bitsize=\"64\" type=\"uint64\"/>",
		"<reg name=\"zmm17h\" bitsize=\"256\" type=\"v2ui128\"/>",
		"<reg name=\"pkru\" bitsize=\"32\" type=\"uint32\"/>",
		"<vector id=\"v2ui128\" type=\"uint128\" count=\"2\"/>",
		"<field name=\"v8_bfloat16\" type=\"v8bf16\"/>",
		"<field name=\"uint128\" type=\"uint128\"/>",
	};
	struct tdesc td;
	build(&td, 0x2e7);
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		bool found = strstr(td.xml, want[i]) != NULL;
		if (!found)
			fprintf(stderr, "missing from XML: %s\n", want[i]);
		CU_ASSERT(found);
	}
	tdesc_free(&td);
}

static void test_reject_bad_unions(void)
{
	static const uint64_t bad[] = { 0, 0x1, 0x2, 0x4, 0x6, 0xe3, 0x23 };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct tdesc td;
		char err[256] = "";
		CU_ASSERT_EQUAL(tdesc_build(&td, bad[i], err, sizeof(err)), -1);
		CU_ASSERT(err[0] != '\0');
		CU_ASSERT_PTR_NULL(td.xml);
		CU_ASSERT_PTR_NULL(td.regs);
		tdesc_free(&td);   /* harmless after a failure */
	}
	struct tdesc td;
	char err[256] = "";
	CU_ASSERT_EQUAL(tdesc_build(&td, 0x1, err, sizeof(err)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "SSE"));
	CU_ASSERT_EQUAL(tdesc_build(&td, 0xe3, err, sizeof(err)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "AVX"));
	/* A NULL err buffer is allowed. */
	CU_ASSERT_EQUAL(tdesc_build(&td, 0x2, NULL, 0), -1);
}

/* A register file where every byte differs, so misplaced copies show. */
static void fill_pattern(struct x86_regfile *rf, uint64_t xcr0)
{
	unsigned char *p = (unsigned char *)rf;
	for (size_t i = 0; i < sizeof(*rf); i++)
		p[i] = (unsigned char)(i * 7 + 3);
	rf->xcr0 = xcr0;
}

static void hex_at(const struct rsp_buf *b, size_t byte_off, size_t nbytes,
		   char *out)
{
	CU_ASSERT_FATAL(2 * (byte_off + nbytes) <= b->len);
	memcpy(out, b->data + 2 * byte_off, 2 * nbytes);
	out[2 * nbytes] = '\0';
}

static void test_encode_values(void)
{
	struct tdesc td;
	build(&td, 0x2e7);
	struct x86_regfile rf;
	memset(&rf, 0, sizeof(rf));
	rf.xcr0 = 0x2e7;
	rf.gpr[X86_RIP] = 0x1122334455667788ull;
	rf.mxcsr = 0x1f80;
	rf.k[7] = 0xff;
	rf.zmmh[31][31] = 0xab;
	rf.pkru = 0x55555554;
	struct rsp_buf b;
	rsp_buf_init(&b);
	tdesc_encode_g(&td, &rf, &b);
	CU_ASSERT_EQUAL(b.len, 2 * td.g_size);
	char hex[80];
	hex_at(&b, 128, 8, hex);
	CU_ASSERT_STRING_EQUAL(hex, "8877665544332211");
	hex_at(&b, CORE_BYTES + 256, 4, hex);
	CU_ASSERT_STRING_EQUAL(hex, "801f0000");
	hex_at(&b, reg(&td, "k7")->g_offset, 8, hex);
	CU_ASSERT_STRING_EQUAL(hex, "ff00000000000000");
	hex_at(&b, reg(&td, "zmm31h")->g_offset + 31, 1, hex);
	CU_ASSERT_STRING_EQUAL(hex, "ab");
	hex_at(&b, reg(&td, "pkru")->g_offset, 4, hex);
	CU_ASSERT_STRING_EQUAL(hex, "54555555");
	hex_at(&b, td.g_size - 8, 8, hex);
	CU_ASSERT_STRING_EQUAL(hex, "e702000000000000");
	rsp_buf_free(&b);
	tdesc_free(&td);
}

/* A thread without AVX-512 inside a description that has it. */
static void test_unavailable_xx(void)
{
	struct tdesc td;
	build(&td, 0xe7);
	struct x86_regfile rf;
	fill_pattern(&rf, 0x7);
	struct rsp_buf b;
	rsp_buf_init(&b);
	tdesc_encode_g(&td, &rf, &b);
	CU_ASSERT_EQUAL_FATAL(b.len, 2 * td.g_size);
	for (size_t i = 0; i < td.nregs; i++) {
		const struct tdesc_reg *r = &td.regs[i];
		bool avx512 = strcmp(r->feature, "org.gnu.gdb.i386.avx512") == 0;
		size_t xs = 0;
		for (size_t c = 0; c < r->bitsize / 4; c++)
			xs += b.data[2 * r->g_offset + c] == 'x';
		CU_ASSERT_EQUAL(xs, avx512 ? r->bitsize / 4 : 0);
	}
	/* p of the same registers. */
	rsp_buf_reset(&b);
	CU_ASSERT_EQUAL(tdesc_encode_reg(&td, reg(&td, "zmm0h")->regnum, &rf, &b), 0);
	CU_ASSERT_EQUAL(b.len, 64);
	CU_ASSERT_EQUAL(strspn(b.data, "x"), 64);
	rsp_buf_reset(&b);
	CU_ASSERT_EQUAL(tdesc_encode_reg(&td, reg(&td, "ymm0h")->regnum, &rf, &b), 0);
	CU_ASSERT_EQUAL(b.len, 32);
	CU_ASSERT_EQUAL(strspn(b.data, "0123456789abcdef"), 32);
	/* With only x87|SSE even ymm0h goes, but never the core registers. */
	rf.xcr0 = 0x3;
	rsp_buf_reset(&b);
	tdesc_encode_reg(&td, reg(&td, "ymm0h")->regnum, &rf, &b);
	CU_ASSERT_STRING_EQUAL(b.data, "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
	rsp_buf_reset(&b);
	tdesc_encode_reg(&td, (unsigned)td.rip_regnum, &rf, &b);
	CU_ASSERT_EQUAL(strchr(b.data, 'x'), NULL);
	rsp_buf_free(&b);
	tdesc_free(&td);
}

static void test_p_xcr0(void)
{
	struct tdesc td;
	build(&td, 0xe7);
	struct x86_regfile rf;
	memset(&rf, 0, sizeof(rf));
	struct rsp_buf b;
	rsp_buf_init(&b);
	rf.xcr0 = 0x7;
	CU_ASSERT_EQUAL(tdesc_encode_reg(&td, (unsigned)td.xcr0_regnum, &rf, &b), 0);
	CU_ASSERT_STRING_EQUAL(b.data, "0700000000000000");
	rsp_buf_reset(&b);
	rf.xcr0 = 0xe7;
	tdesc_encode_reg(&td, (unsigned)td.xcr0_regnum, &rf, &b);
	CU_ASSERT_STRING_EQUAL(b.data, "e700000000000000");
	rsp_buf_reset(&b);
	CU_ASSERT_EQUAL(tdesc_encode_reg(&td, (unsigned)td.nregs, &rf, &b), -1);
	CU_ASSERT_EQUAL(b.len, 0);
	rsp_buf_free(&b);
	tdesc_free(&td);
}

static void test_round_trip(void)
{
	for (size_t u = 0; u < sizeof(unions) / sizeof(unions[0]); u++) {
		struct tdesc td;
		build(&td, unions[u]);
		struct x86_regfile src, dst;
		fill_pattern(&src, unions[u]);
		memset(&dst, 0, sizeof(dst));
		struct rsp_buf b;
		rsp_buf_init(&b);
		tdesc_encode_g(&td, &src, &b);
		CU_ASSERT_EQUAL_FATAL(tdesc_decode_g(&td, b.data, b.len, &dst), 0);
		for (size_t i = 0; i < td.nregs; i++) {
			const struct tdesc_reg *r = &td.regs[i];
			CU_ASSERT(memcmp((char *)&src + r->file_offset,
					 (char *)&dst + r->file_offset,
					 r->bitsize / 8) == 0);
		}
		CU_ASSERT_EQUAL(dst.gpr[X86_RIP], src.gpr[X86_RIP]);
		CU_ASSERT_EQUAL(dst.xcr0, unions[u]);
		CU_ASSERT(memcmp(dst.ymmh, src.ymmh, sizeof(src.ymmh[0]) * 16) == 0);
		/* P of one register, upper-case hex accepted. */
		const struct tdesc_reg *r = reg(&td, "r15");
		CU_ASSERT_EQUAL(tdesc_decode_reg(&td, r->regnum, "0123456789ABCDEF",
						 16, &dst), 0);
		CU_ASSERT_EQUAL(dst.gpr[X86_R15], 0xefcdab8967452301ull);
		rsp_buf_free(&b);
		tdesc_free(&td);
	}
}

/* xx bytes in G/P leave the register file alone. */
static void test_decode_xx(void)
{
	struct tdesc td;
	build(&td, 0xe7);
	struct x86_regfile src, dst;
	fill_pattern(&src, 0x7);
	src.gpr[X86_RAX] = 42;
	memset(&dst, 0xcd, sizeof(dst));
	struct rsp_buf b;
	rsp_buf_init(&b);
	tdesc_encode_g(&td, &src, &b);
	CU_ASSERT_EQUAL(tdesc_decode_g(&td, b.data, b.len, &dst), 0);
	CU_ASSERT_EQUAL(dst.gpr[X86_RAX], 42);
	CU_ASSERT_EQUAL(dst.xcr0, 0x7);
	CU_ASSERT(memcmp(dst.ymmh[3], src.ymmh[3], 16) == 0);
	CU_ASSERT_EQUAL(dst.zmmh[0][0], 0xcd);
	CU_ASSERT_EQUAL(dst.zmmh[31][31], 0xcd);
	CU_ASSERT_EQUAL(dst.k[0], 0xcdcdcdcdcdcdcdcdull);
	CU_ASSERT_EQUAL(dst.xmm[16][0], 0xcd);
	const struct tdesc_reg *k1 = reg(&td, "k1");
	CU_ASSERT_EQUAL(tdesc_decode_reg(&td, k1->regnum, "xxxxxxxxxxxxxxxx", 16, &dst), 0);
	CU_ASSERT_EQUAL(dst.k[1], 0xcdcdcdcdcdcdcdcdull);
	rsp_buf_free(&b);
	tdesc_free(&td);
}

static void test_decode_errors(void)
{
	struct tdesc td;
	build(&td, 0x7);
	struct x86_regfile src, dst, before;
	fill_pattern(&src, 0x7);
	memset(&dst, 0x11, sizeof(dst));
	before = dst;
	struct rsp_buf b;
	rsp_buf_init(&b);
	tdesc_encode_g(&td, &src, &b);
	CU_ASSERT_EQUAL(tdesc_decode_g(&td, b.data, b.len - 2, &dst), -1);
	CU_ASSERT_EQUAL(tdesc_decode_g(&td, b.data, b.len - 1, &dst), -1);
	CU_ASSERT_EQUAL(tdesc_decode_g(&td, b.data, 0, &dst), -1);
	rsp_buf_append_str(&b, "00");
	CU_ASSERT_EQUAL(tdesc_decode_g(&td, b.data, b.len, &dst), -1);
	b.len -= 2;
	/* A bad digit at the very end must not leave earlier registers half
	 * written. */
	b.data[b.len - 1] = 'g';
	CU_ASSERT_EQUAL(tdesc_decode_g(&td, b.data, b.len, &dst), -1);
	b.data[b.len - 1] = '0';
	b.data[10] = 'x';       /* lone x: neither a digit nor an xx pair */
	CU_ASSERT_EQUAL(tdesc_decode_g(&td, b.data, b.len, &dst), -1);
	CU_ASSERT(memcmp(&dst, &before, sizeof(dst)) == 0);

	unsigned rip = (unsigned)td.rip_regnum;
	CU_ASSERT_EQUAL(tdesc_decode_reg(&td, rip, "00112233445566", 14, &dst), -1);
	CU_ASSERT_EQUAL(tdesc_decode_reg(&td, rip, "001122334455667788", 18, &dst), -1);
	CU_ASSERT_EQUAL(tdesc_decode_reg(&td, rip, "00112233445566zz", 16, &dst), -1);
	CU_ASSERT_EQUAL(tdesc_decode_reg(&td, rip, "x0112233445566ff", 16, &dst), -1);
	CU_ASSERT_EQUAL(tdesc_decode_reg(&td, (unsigned)td.nregs, "00", 2, &dst), -1);
	CU_ASSERT_EQUAL(tdesc_decode_reg(&td, 100000, "00", 2, &dst), -1);
	CU_ASSERT(memcmp(&dst, &before, sizeof(dst)) == 0);
	rsp_buf_free(&b);
	tdesc_free(&td);
}

/* ---- GDB acceptance -------------------------------------------------- */

static const char *gdb_path(void)
{
	const char *g = getenv("GDB");
	return g && *g && strcmp(g, "no") != 0 ? g : "gdb";
}

static bool gdb_available(void)
{
	char cmd[512];
	snprintf(cmd, sizeof(cmd), "command -v '%s' >/dev/null 2>&1", gdb_path());
	return system(cmd) == 0;
}

/* Run GDB on `xml` and return its whole transcript (stdout+stderr). */
static void run_gdb(const char *xml, size_t len, struct rsp_buf *out)
{
	char path[] = "/tmp/xrr-tdesc-XXXXXX";
	int fd = mkstemp(path);
	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_FATAL(write(fd, xml, len) == (ssize_t)len);
	close(fd);
	char cmd[1024];
	snprintf(cmd, sizeof(cmd),
		 "DEBUGINFOD_URLS= '%s' -nx -batch -ex 'set tdesc filename %s' "
		 "-ex 'maint print remote-registers' -ex 'ptype $xcr0' 2>&1",
		 gdb_path(), path);
	FILE *p = popen(cmd, "r");
	CU_ASSERT_FATAL(p != NULL);
	char buf[4096];
	size_t n;
	while ((n = fread(buf, 1, sizeof(buf), p)) > 0)
		rsp_buf_append(out, buf, n);
	pclose(p);
	unlink(path);
}

/* Compare GDB's remote register map with the table.  Returns how many
 * registers GDB numbers and places exactly as the table does; *other
 * counts remote registers GDB has that the table lacks or places
 * differently (printed when `report`, to help when the test fails). */
static size_t check_gdb_map(const struct tdesc *td, const char *transcript,
			    size_t *other, bool report)
{
	size_t matched = 0;
	*other = 0;
	for (const char *line = transcript; line && *line;
	     line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
		char name[64], type[64];
		int nr, rel, off, size, rnr, goff;
		if (sscanf(line, "%63s %d %d %d %d %63s %d %d", name, &nr, &rel,
			   &off, &size, type, &rnr, &goff) != 8)
			continue;
		const struct tdesc_reg *r = tdesc_find_reg(td, name);
		if (r && (unsigned)rnr == r->regnum &&
		    (size_t)goff == r->g_offset &&
		    (unsigned)size * 8 == r->bitsize) {
			matched++;
			continue;
		}
		(*other)++;
		if (report)
			fprintf(stderr, "GDB: %s remote %d offset %d size %d; "
				"table: %d %zd %d\n", name, rnr, goff, size,
				r ? (int)r->regnum : -1,
				r ? (ssize_t)r->g_offset : -1,
				r ? (int)r->bitsize / 8 : -1);
	}
	return matched;
}

static void test_gdb_accepts(void)
{
	if (!gdb_available()) {
		printf("\n  [skipped: %s not found]\n", gdb_path());
		return;
	}
	for (size_t u = 0; u < sizeof(unions) / sizeof(unions[0]); u++) {
		struct tdesc td;
		build(&td, unions[u]);
		struct rsp_buf out;
		rsp_buf_init(&out);
		run_gdb(td.xml, td.xml_len, &out);
		bool clean = !strstr(out.data, "warning") && !strstr(out.data, "rror");
		if (!clean)
			fprintf(stderr, "GDB on %#llx:\n%s\n",
				(unsigned long long)unions[u], out.data);
		CU_ASSERT(clean);
		size_t other;
		CU_ASSERT_EQUAL(check_gdb_map(&td, out.data, &other, true), td.nregs);
		CU_ASSERT_EQUAL(other, 0);
		CU_ASSERT_PTR_NOT_NULL(strstr(out.data, "type = flag xcr0_flags {"));
		CU_ASSERT_PTR_NOT_NULL(strstr(out.data, "bool hi16_zmm @7;"));
		/* GDB composes the pseudo registers from our pieces. */
		bool avx512 = td.xcr0_union & XCR0_AVX512;
		CU_ASSERT_EQUAL(strstr(out.data, "\n zmm31 ") != NULL, avx512);
		CU_ASSERT_EQUAL(strstr(out.data, "\n zmm31h ") != NULL, avx512);
		CU_ASSERT_PTR_NOT_NULL(strstr(out.data, "\n ymm15 "));
		rsp_buf_free(&out);
		tdesc_free(&td);
	}
}

/* The acceptance check must be able to fail: GDB rejects a description
 * with an undefined type, and the transcript shows it. */
static void test_gdb_rejects_broken(void)
{
	if (!gdb_available()) {
		printf("\n  [skipped: %s not found]\n", gdb_path());
		return;
	}
	struct tdesc td;
	build(&td, 0x7);
	char *bad = strdup(td.xml);
	CU_ASSERT_FATAL(bad != NULL);
	char *t = strstr(bad, "type=\"xcr0_flags\"");
	CU_ASSERT_FATAL(t != NULL);
	memcpy(t, "type=\"xcr0_flagz\"", 17);
	struct rsp_buf out;
	rsp_buf_init(&out);
	run_gdb(bad, strlen(bad), &out);
	CU_ASSERT_PTR_NOT_NULL(strstr(out.data, "warning"));
	size_t other;
	CU_ASSERT(check_gdb_map(&td, out.data, &other, false) < td.nregs);
	rsp_buf_free(&out);
	free(bad);
	tdesc_free(&td);
}

/* LLDB's flavour: GDB's registers in GDB's order (the g/p numbers are
 * shared), 256-bit pieces marked as vectors, then whole ymm16-31 and
 * zmm0-31 made of the pieces' numbers; GDB's XML has none of that. */
static void test_lldb_xml(void)
{
	for (size_t u = 0; u < sizeof(unions) / sizeof(unions[0]); u++) {
		struct tdesc td;
		build(&td, unions[u]);
		CU_ASSERT_PTR_NULL(strstr(td.xml, "value_regnums"));
		CU_ASSERT_PTR_NULL(strstr(td.xml, "encoding="));
		CU_ASSERT_EQUAL(strlen(td.lldb_xml), td.lldb_xml_len);
		const char *p = td.lldb_xml;
		size_t i = 0;
		for (; i < td.nregs && (p = strstr(p, "<reg name=\"")); p++, i++) {
			char name[32];
			unsigned bits;
			CU_ASSERT_FATAL(sscanf(p, "<reg name=\"%31[^\"]\" bitsize=\"%u\"",
					       name, &bits) == 2);
			CU_ASSERT_STRING_EQUAL(name, td.regs[i].name);
			const char *end = strchr(p, '>');
			bool vector = strstr(p, "encoding=\"vector\"") &&
				      strstr(p, "encoding=\"vector\"") < end;
			CU_ASSERT_EQUAL(vector, bits > 128);
		}
		CU_ASSERT_EQUAL(i, td.nregs);
		bool avx512 = (unions[u] & 0xe0) == 0xe0;
		const char *z0 = strstr(td.lldb_xml, "<reg name=\"zmm0\"");
		const char *y16 = strstr(td.lldb_xml, "<reg name=\"ymm16\"");
		CU_ASSERT_EQUAL(z0 != NULL, avx512);
		CU_ASSERT_EQUAL(y16 != NULL, avx512);
		if (z0 && y16) {
			unsigned regnum, a, b, c;
			CU_ASSERT_FATAL(sscanf(z0, "<reg name=\"zmm0\" bitsize=\"512\" "
					       "regnum=\"%u\" value_regnums=\"%u,%u,%u\"",
					       &regnum, &a, &b, &c) == 4);
			CU_ASSERT_EQUAL(regnum, td.nregs + 16);   /* after ymm16-31 */
			CU_ASSERT_EQUAL(a, reg(&td, "xmm0")->regnum);
			CU_ASSERT_EQUAL(b, reg(&td, "ymm0h")->regnum);
			CU_ASSERT_EQUAL(c, reg(&td, "zmm0h")->regnum);
			CU_ASSERT_FATAL(sscanf(y16, "<reg name=\"ymm16\" bitsize=\"256\" "
					       "regnum=\"%u\" value_regnums=\"%u,%u\"",
					       &regnum, &a, &b) == 3);
			CU_ASSERT_EQUAL(regnum, td.nregs);
			CU_ASSERT_EQUAL(a, reg(&td, "xmm16")->regnum);
			CU_ASSERT_EQUAL(b, reg(&td, "ymm16h")->regnum);
			CU_ASSERT_PTR_NOT_NULL(strstr(td.lldb_xml, "<reg name=\"zmm31\""));
		}
		tdesc_free(&td);
	}
}

static const struct unit_test tests[] = {
	{ "counts and g size per union", test_counts_and_sizes },
	{ "register numbers and g offsets", test_offsets },
	{ "table contiguous for every union", test_table_contiguous },
	{ "table covers the register file once", test_table_covers_regfile },
	{ "owning XCR0 components", test_components },
	{ "features present per union", test_xml_features },
	{ "XML registers match the table", test_xml_matches_table },
	{ "xcr0 flags type", test_xml_xcr0_flags },
	{ "register types and groups", test_xml_reg_types },
	{ "bad unions rejected", test_reject_bad_unions },
	{ "g encodes values little endian", test_encode_values },
	{ "xx for components outside the thread XCR0", test_unavailable_xx },
	{ "p of xcr0", test_p_xcr0 },
	{ "G round trip", test_round_trip },
	{ "xx in G leaves registers alone", test_decode_xx },
	{ "decode errors", test_decode_errors },
	{ "GDB accepts every description", test_gdb_accepts },
	{ "GDB check detects a broken description", test_gdb_rejects_broken },
	{ "LLDB flavour: same registers, whole zmm", test_lldb_xml },
	{ NULL, NULL },
};

static const struct unit_suite suites[] = {
	{ "tdesc", tests, NULL, NULL },
};

UNIT_MAIN(suites)
