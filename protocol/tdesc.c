/* x86-64 target description (target.xml) and register table.
 *
 * Both come from the same static data: a list of features, each with the
 * types it defines, and a list of register groups ("xmm%u", 16 registers
 * of 128 bits at xmm[0], owned by SSE).  Expanding the groups of every
 * feature present in the XCR0 union, in order, yields GDB's register
 * numbers and g-packet offsets, so the XML and the table cannot drift
 * apart.  Register names, sizes, types and order follow GDB's own amd64
 * feature files, since GDB's amd64 code looks registers up by name and
 * refuses descriptions that differ. */
#include "config.h"

#include "protocol/tdesc.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/xcr0.h"

/* ---- types --------------------------------------------------------------
 * GDB scopes types to the feature that defines them, so sse and avx512
 * each carry their own copy of vec128. */

struct flag_field {
	const char *name;
	unsigned bit;
};

static const struct flag_field eflags_fields[] = {
	{ "CF", 0 }, { "", 1 }, { "PF", 2 }, { "AF", 4 }, { "ZF", 6 },
	{ "SF", 7 }, { "TF", 8 }, { "IF", 9 }, { "DF", 10 }, { "OF", 11 },
	{ "NT", 14 }, { "RF", 16 }, { "VM", 17 }, { "AC", 18 }, { "VIF", 19 },
	{ "VIP", 20 }, { "ID", 21 },
};

static const struct flag_field mxcsr_fields[] = {
	{ "IE", 0 }, { "DE", 1 }, { "ZE", 2 }, { "OE", 3 }, { "UE", 4 },
	{ "PE", 5 }, { "DAZ", 6 }, { "IM", 7 }, { "DM", 8 }, { "ZM", 9 },
	{ "OM", 10 }, { "UM", 11 }, { "PM", 12 }, { "FZ", 15 },
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static void emit_flags(struct rsp_buf *b, const char *id, unsigned size,
		       const struct flag_field *f, size_t n)
{
	rsp_buf_printf(b, "<flags id=\"%s\" size=\"%u\">\n", id, size);
	for (size_t i = 0; i < n; i++)
		rsp_buf_printf(b, "<field name=\"%s\" start=\"%u\" end=\"%u\"/>\n",
			       f[i].name, f[i].bit, f[i].bit);
	rsp_buf_append_str(b, "</flags>\n");
}

/* The 128-bit views GDB offers for an xmm register: vector id, element
 * type, element count, and the union member naming it. */
static const struct {
	const char *id, *elem, *field;
	unsigned count;
} vec128_views[] = {
	{ "v8bf16", "bfloat16", "v8_bfloat16", 8 },
	{ "v8h", "ieee_half", "v8_half", 8 },
	{ "v4f", "ieee_single", "v4_float", 4 },
	{ "v2d", "ieee_double", "v2_double", 2 },
	{ "v16i8", "int8", "v16_int8", 16 },
	{ "v8i16", "int16", "v8_int16", 8 },
	{ "v4i32", "int32", "v4_int32", 4 },
	{ "v2i64", "int64", "v2_int64", 2 },
};

static void emit_vector(struct rsp_buf *b, const char *id, const char *elem,
			unsigned count)
{
	rsp_buf_printf(b, "<vector id=\"%s\" type=\"%s\" count=\"%u\"/>\n",
		       id, elem, count);
}

static void emit_vec128(struct rsp_buf *b)
{
	for (size_t i = 0; i < NELEM(vec128_views); i++)
		emit_vector(b, vec128_views[i].id, vec128_views[i].elem,
			    vec128_views[i].count);
	rsp_buf_append_str(b, "<union id=\"vec128\">\n");
	for (size_t i = 0; i < NELEM(vec128_views); i++)
		rsp_buf_printf(b, "<field name=\"%s\" type=\"%s\"/>\n",
			       vec128_views[i].field, vec128_views[i].id);
	rsp_buf_append_str(b, "<field name=\"uint128\" type=\"uint128\"/>\n"
			   "</union>\n");
}

static void types_core(struct rsp_buf *b)
{
	emit_flags(b, "i386_eflags", 4, eflags_fields, NELEM(eflags_fields));
}

static void types_sse(struct rsp_buf *b)
{
	emit_vec128(b);
	emit_flags(b, "i386_mxcsr", 4, mxcsr_fields, NELEM(mxcsr_fields));
}

static void types_avx512(struct rsp_buf *b)
{
	emit_vec128(b);
	emit_vector(b, "v2ui128", "uint128", 2);
}

/* One field per component a user XCR0 can hold, named as everywhere else
 * in xrr, so `p $xcr0` reads like `xrr info`. */
static void types_xstate(struct rsp_buf *b)
{
	rsp_buf_append_str(b, "<flags id=\"xcr0_flags\" size=\"8\">\n");
	for (size_t i = 0; i < xcr0_component_count; i++) {
		const struct xcr0_component *c = &xcr0_components[i];
		if (c->user)
			rsp_buf_printf(b, "<field name=\"%s\" start=\"%d\" end=\"%d\"/>\n",
				       c->name, c->bit, c->bit);
	}
	rsp_buf_append_str(b, "</flags>\n");
}

/* ---- features ------------------------------------------------------- */

enum feature_id {
	F_CORE, F_SSE, F_LINUX, F_SEGMENTS, F_AVX, F_AVX512, F_PKEYS, F_XSTATE,
	F_COUNT
};

static const struct feature {
	const char *name;
	uint64_t any_of;        /* present when the union has one; 0: always */
	void (*types)(struct rsp_buf *b);
} features[F_COUNT] = {
	[F_CORE] = { "org.gnu.gdb.i386.core", 0, types_core },
	[F_SSE] = { "org.gnu.gdb.i386.sse", 0, types_sse },
	[F_LINUX] = { "org.gnu.gdb.i386.linux", 0, NULL },
	[F_SEGMENTS] = { "org.gnu.gdb.i386.segments", 0, NULL },
	[F_AVX] = { "org.gnu.gdb.i386.avx", XCR0_AVX, NULL },
	[F_AVX512] = { "org.gnu.gdb.i386.avx512", XCR0_AVX512, types_avx512 },
	[F_PKEYS] = { "org.gnu.gdb.i386.pkeys", XCR0_PKRU, NULL },
	[F_XSTATE] = { "org.xrr.xstate", 0, types_xstate },
};

static bool feature_present(enum feature_id f, uint64_t xcr0_union)
{
	return !features[f].any_of || (xcr0_union & features[f].any_of);
}

/* ---- register groups ---------------------------------------------------
 * `names` is either a printf pattern with one %u (index first..) or a
 * space-separated list of `count` names.  Registers of a group lie in the
 * register file `stride` bytes apart starting at `file_offset`. */

struct reg_group {
	enum feature_id feature;
	const char *names;
	unsigned first, count;
	unsigned bitsize;
	const char *type;
	const char *group;      /* GDB register group, or NULL */
	size_t file_offset, stride;
	int component;
};

#define RF(member) offsetof(struct x86_regfile, member)
#define RF_SIZE(member) sizeof(((struct x86_regfile *)0)->member)

/* The lists below rely on these fields being adjacent. */
static_assert(RF(ss) == RF(cs) + 4 && RF(gs) == RF(cs) + 20,
	      "segment selectors must be consecutive");
static_assert(RF(fop) == RF(fctrl) + 28, "x87 control words must be consecutive");
static_assert(RF(gs_base) == RF(fs_base) + 8, "fs_base/gs_base adjacent");
static_assert(RF_SIZE(eflags) == 4 && RF_SIZE(mxcsr) == 4 &&
	      RF_SIZE(pkru) == 4 && RF_SIZE(xcr0) == 8 &&
	      RF_SIZE(st[0]) == 10 && RF_SIZE(zmmh[0]) == 32,
	      "register file fields must match the description's bitsizes");

static const struct reg_group reg_groups[] = {
	{ F_CORE, "rax rbx rcx rdx rsi rdi", 0, 6, 64, "int64", NULL,
	  RF(gpr[X86_RAX]), 8, TDESC_ALWAYS },
	{ F_CORE, "rbp rsp", 0, 2, 64, "data_ptr", NULL,
	  RF(gpr[X86_RBP]), 8, TDESC_ALWAYS },
	{ F_CORE, "r%u", 8, 8, 64, "int64", NULL,
	  RF(gpr[X86_R8]), 8, TDESC_ALWAYS },
	{ F_CORE, "rip", 0, 1, 64, "code_ptr", NULL,
	  RF(gpr[X86_RIP]), 8, TDESC_ALWAYS },
	{ F_CORE, "eflags", 0, 1, 32, "i386_eflags", NULL,
	  RF(eflags), 4, TDESC_ALWAYS },
	{ F_CORE, "cs ss ds es fs gs", 0, 6, 32, "int32", NULL,
	  RF(cs), 4, TDESC_ALWAYS },
	{ F_CORE, "st%u", 0, 8, 80, "i387_ext", NULL,
	  RF(st), 10, XCR0_BIT_X87 },
	{ F_CORE, "fctrl fstat ftag fiseg fioff foseg fooff fop", 0, 8, 32,
	  "int", "float", RF(fctrl), 4, XCR0_BIT_X87 },
	{ F_SSE, "xmm%u", 0, 16, 128, "vec128", NULL,
	  RF(xmm), 16, XCR0_BIT_SSE },
	{ F_SSE, "mxcsr", 0, 1, 32, "i386_mxcsr", "vector",
	  RF(mxcsr), 4, XCR0_BIT_SSE },
	{ F_LINUX, "orig_rax", 0, 1, 64, "int", NULL,
	  RF(orig_rax), 8, TDESC_ALWAYS },
	{ F_SEGMENTS, "fs_base gs_base", 0, 2, 64, "int", NULL,
	  RF(fs_base), 8, TDESC_ALWAYS },
	{ F_AVX, "ymm%uh", 0, 16, 128, "uint128", NULL,
	  RF(ymmh), 16, XCR0_BIT_AVX },
	/* Registers 16-31 exist only with Hi16_ZMM, whatever their width;
	 * the upper halves of zmm0-15 belong to ZMM_Hi256. */
	{ F_AVX512, "xmm%u", 16, 16, 128, "vec128", NULL,
	  RF(xmm[16]), 16, XCR0_BIT_HI16_ZMM },
	{ F_AVX512, "ymm%uh", 16, 16, 128, "uint128", NULL,
	  RF(ymmh[16]), 16, XCR0_BIT_HI16_ZMM },
	{ F_AVX512, "k%u", 0, 8, 64, "uint64", NULL,
	  RF(k), 8, XCR0_BIT_OPMASK },
	{ F_AVX512, "zmm%uh", 0, 16, 256, "v2ui128", NULL,
	  RF(zmmh), 32, XCR0_BIT_ZMM_HI256 },
	{ F_AVX512, "zmm%uh", 16, 16, 256, "v2ui128", NULL,
	  RF(zmmh[16]), 32, XCR0_BIT_HI16_ZMM },
	{ F_PKEYS, "pkru", 0, 1, 32, "uint32", NULL,
	  RF(pkru), 4, XCR0_BIT_PKRU },
	{ F_XSTATE, "xcr0", 0, 1, 64, "xcr0_flags", "system",
	  RF(xcr0), 8, TDESC_ALWAYS },
};

#define NAME_MAX_LEN 16

/* Name `i` of group `g` into out (NAME_MAX_LEN bytes). */
static void group_reg_name(const struct reg_group *g, unsigned i, char *out)
{
	if (strchr(g->names, '%')) {
		snprintf(out, NAME_MAX_LEN, g->names, g->first + i);
		return;
	}
	const char *p = g->names;
	for (unsigned k = 0; k < i; k++)
		p = strchr(p, ' ') + 1;
	size_t n = strcspn(p, " ");
	memcpy(out, p, n);
	out[n] = '\0';
}

static size_t count_regs(uint64_t xcr0_union)
{
	size_t n = 0;
	for (size_t i = 0; i < NELEM(reg_groups); i++)
		if (feature_present(reg_groups[i].feature, xcr0_union))
			n += reg_groups[i].count;
	return n;
}

/* Fill the table in feature order (the order of reg_groups).  Names live
 * in the same allocation, after the array, so tdesc_free frees once. */
static int build_table(struct tdesc *td)
{
	size_t n = count_regs(td->xcr0_union);
	struct tdesc_reg *regs = calloc(1, n * (sizeof(*regs) + NAME_MAX_LEN));
	if (!regs)
		return -1;
	char *names = (char *)(regs + n);
	size_t r = 0, off = 0;
	for (size_t gi = 0; gi < NELEM(reg_groups); gi++) {
		const struct reg_group *g = &reg_groups[gi];
		if (!feature_present(g->feature, td->xcr0_union))
			continue;
		for (unsigned i = 0; i < g->count; i++, r++) {
			char *name = names + r * NAME_MAX_LEN;
			group_reg_name(g, i, name);
			regs[r] = (struct tdesc_reg){
				.name = name,
				.bitsize = g->bitsize,
				.regnum = (unsigned)r,
				.g_offset = off,
				.file_offset = g->file_offset + i * g->stride,
				.component = g->component,
				.feature = features[g->feature].name,
			};
			off += g->bitsize / 8;
		}
	}
	td->regs = regs;
	td->nregs = n;
	td->g_size = off;
	return 0;
}

/* ---- XML -------------------------------------------------------------- */

/* LLDB (the `lldb` flavour) takes registers wider than 128 bits only as
 * vectors it is told about, and builds no zmm registers of its own. */
static void emit_lldb_attrs(struct rsp_buf *b, unsigned bitsize)
{
	if (bitsize > 128)
		rsp_buf_append_str(b, " encoding=\"vector\" format=\"vector-uint8\"");
}

static void emit_feature(struct rsp_buf *b, enum feature_id f, bool lldb)
{
	rsp_buf_printf(b, "<feature name=\"%s\">\n", features[f].name);
	if (features[f].types)
		features[f].types(b);
	for (size_t gi = 0; gi < NELEM(reg_groups); gi++) {
		const struct reg_group *g = &reg_groups[gi];
		if (g->feature != f)
			continue;
		for (unsigned i = 0; i < g->count; i++) {
			char name[NAME_MAX_LEN];
			group_reg_name(g, i, name);
			rsp_buf_printf(b, "<reg name=\"%s\" bitsize=\"%u\" type=\"%s\"",
				       name, g->bitsize, g->type);
			if (g->group)
				rsp_buf_printf(b, " group=\"%s\"", g->group);
			if (lldb)
				emit_lldb_attrs(b, g->bitsize);
			rsp_buf_append_str(b, "/>\n");
		}
	}
	rsp_buf_append_str(b, "</feature>\n");
}

/* Whole registers LLDB assembles from the pieces GDB's features define:
 * zmmN = xmmN + ymmNh + zmmNh, and ymm16-31 (LLDB 15 builds ymm0-15
 * itself).  They take register numbers after the real ones and are
 * never read by number: LLDB reads their pieces. */
static void emit_lldb_composites(const struct tdesc *td, struct rsp_buf *b)
{
	static const struct {
		const char *name, *pieces[3];
		unsigned first, count, bitsize;
	} composites[] = {
		{ "ymm%u", { "xmm%u", "ymm%uh", NULL }, 16, 16, 256 },
		{ "zmm%u", { "xmm%u", "ymm%uh", "zmm%uh" }, 0, 32, 512 },
	};
	unsigned regnum = (unsigned)td->nregs;
	rsp_buf_append_str(b, "<feature name=\"org.xrr.lldb.composite\">\n");
	for (size_t c = 0; c < NELEM(composites); c++) {
		for (unsigned i = composites[c].first;
		     i < composites[c].first + composites[c].count; i++) {
			char name[NAME_MAX_LEN], piece[NAME_MAX_LEN], nums[64] = "";
			bool complete = true;
			for (size_t k = 0; k < 3 && composites[c].pieces[k]; k++) {
				snprintf(piece, sizeof(piece), composites[c].pieces[k], i);
				const struct tdesc_reg *r = tdesc_find_reg(td, piece);
				if (!r) {
					complete = false;
					break;
				}
				size_t used = strlen(nums);
				snprintf(nums + used, sizeof(nums) - used, "%s%u",
					 k ? "," : "", r->regnum);
			}
			if (!complete)
				continue;
			snprintf(name, sizeof(name), composites[c].name, i);
			rsp_buf_printf(b, "<reg name=\"%s\" bitsize=\"%u\" regnum=\"%u\" "
				       "value_regnums=\"%s\" group=\"vector\"",
				       name, composites[c].bitsize, regnum++, nums);
			emit_lldb_attrs(b, composites[c].bitsize);
			rsp_buf_append_str(b, "/>\n");
		}
	}
	rsp_buf_append_str(b, "</feature>\n");
}

static void build_xml(const struct tdesc *td, struct rsp_buf *b, bool lldb)
{
	rsp_buf_append_str(b, "<?xml version=\"1.0\"?>\n"
			   "<!DOCTYPE target SYSTEM \"gdb-target.dtd\">\n"
			   "<target version=\"1.0\">\n"
			   "<architecture>i386:x86-64</architecture>\n"
			   "<osabi>GNU/Linux</osabi>\n");
	for (int f = 0; f < F_COUNT; f++)
		if (feature_present((enum feature_id)f, td->xcr0_union))
			emit_feature(b, (enum feature_id)f, lldb);
	if (lldb)
		emit_lldb_composites(td, b);
	rsp_buf_append_str(b, "</target>\n");
}

/* ---- build / lookup ----------------------------------------------------- */

static int check_union(uint64_t u, char *err, size_t errlen)
{
	char desc[256];
	const char *why = NULL;
	if (!(u & XCR0_X87) || !(u & XCR0_SSE))
		why = "x87 and SSE state are required on x86-64";
	else if ((u & XCR0_AVX512) && !(u & XCR0_AVX))
		why = "AVX-512 state requires AVX (GDB rejects avx512 without avx)";
	if (!why)
		return 0;
	if (err && errlen)
		snprintf(err, errlen, "unusable XCR0 %s: %s",
			 xcr0_format(desc, sizeof(desc), u), why);
	return -1;
}

static int find_regnum(const struct tdesc *td, const char *name)
{
	const struct tdesc_reg *r = tdesc_find_reg(td, name);
	return r ? (int)r->regnum : -1;
}

int tdesc_build(struct tdesc *td, uint64_t xcr0_union, char *err,
		size_t errlen)
{
	memset(td, 0, sizeof(*td));
	if (check_union(xcr0_union, err, errlen) < 0)
		return -1;
	td->xcr0_union = xcr0_union;
	if (build_table(td) < 0) {
		if (err && errlen)
			snprintf(err, errlen, "out of memory");
		return -1;
	}
	struct rsp_buf b;
	rsp_buf_init(&b);
	build_xml(td, &b, false);
	td->xml = b.data;       /* ownership moves to td */
	td->xml_len = b.len;
	rsp_buf_init(&b);
	build_xml(td, &b, true);
	td->lldb_xml = b.data;
	td->lldb_xml_len = b.len;
	td->xcr0_regnum = find_regnum(td, "xcr0");
	td->rip_regnum = find_regnum(td, "rip");
	td->rsp_regnum = find_regnum(td, "rsp");
	td->rbp_regnum = find_regnum(td, "rbp");
	return 0;
}

void tdesc_free(struct tdesc *td)
{
	free(td->regs);
	free(td->xml);
	free(td->lldb_xml);
	memset(td, 0, sizeof(*td));
}

const struct tdesc_reg *tdesc_find_reg(const struct tdesc *td,
				       const char *name)
{
	for (size_t i = 0; i < td->nregs; i++)
		if (strcmp(td->regs[i].name, name) == 0)
			return &td->regs[i];
	return NULL;
}

bool tdesc_reg_available(const struct tdesc_reg *r, uint64_t xcr0)
{
	return r->component == TDESC_ALWAYS || (xcr0 >> r->component) & 1;
}

/* ---- g / p encoding ----------------------------------------------------- */

static void encode_one(const struct tdesc_reg *r, const struct x86_regfile *rf,
		       struct rsp_buf *out)
{
	size_t n = r->bitsize / 8;
	if (tdesc_reg_available(r, rf->xcr0)) {
		rsp_buf_append_hex(out, (const char *)rf + r->file_offset, n);
		return;
	}
	for (size_t i = 0; i < n; i++)
		rsp_buf_append(out, "xx", 2);
}

void tdesc_encode_g(const struct tdesc *td, const struct x86_regfile *rf,
		    struct rsp_buf *out)
{
	for (size_t i = 0; i < td->nregs; i++)
		encode_one(&td->regs[i], rf, out);
}

int tdesc_encode_reg(const struct tdesc *td, unsigned regnum,
		     const struct x86_regfile *rf, struct rsp_buf *out)
{
	if (regnum >= td->nregs)
		return -1;
	encode_one(&td->regs[regnum], rf, out);
	return 0;
}

/* One hex byte: 0-255, XX_BYTE for "xx", or -1. */
#define XX_BYTE 256
static int hex_byte(const char *p)
{
	if (p[0] == 'x' && p[1] == 'x')
		return XX_BYTE;
	int hi = rsp_hex_digit(p[0]), lo = rsp_hex_digit(p[1]);
	return hi < 0 || lo < 0 ? -1 : hi << 4 | lo;
}

/* Check `nbytes` hex pairs and, when dst is non-NULL, store them there,
 * leaving xx bytes alone.  Callers check a whole packet with dst NULL
 * first so a bad packet cannot half-update the register file. */
static int decode_bytes(const char *hex, size_t nbytes, uint8_t *dst)
{
	for (size_t i = 0; i < nbytes; i++) {
		int v = hex_byte(hex + 2 * i);
		if (v < 0)
			return -1;
		if (dst && v != XX_BYTE)
			dst[i] = (uint8_t)v;
	}
	return 0;
}

int tdesc_decode_g(const struct tdesc *td, const char *hex, size_t len,
		   struct x86_regfile *rf)
{
	if (len != 2 * td->g_size || decode_bytes(hex, td->g_size, NULL) < 0)
		return -1;
	for (size_t i = 0; i < td->nregs; i++) {
		const struct tdesc_reg *r = &td->regs[i];
		decode_bytes(hex + 2 * r->g_offset, r->bitsize / 8,
			     (uint8_t *)rf + r->file_offset);
	}
	return 0;
}

int tdesc_decode_reg(const struct tdesc *td, unsigned regnum, const char *hex,
		     size_t len, struct x86_regfile *rf)
{
	if (regnum >= td->nregs)
		return -1;
	const struct tdesc_reg *r = &td->regs[regnum];
	size_t n = r->bitsize / 8;
	if (len != 2 * n || decode_bytes(hex, n, NULL) < 0)
		return -1;
	return decode_bytes(hex, n, (uint8_t *)rf + r->file_offset);
}
