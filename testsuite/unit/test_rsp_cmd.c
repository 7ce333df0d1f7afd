/* Unit tests for the command table and the argument parsers. */
#include "config.h"

#include <string.h>

#include "protocol/rsp_cmd.h"
#include "testsuite/unit/cunit_main.h"

/* ---- command table ----------------------------------------------------- */

static int h_generic(void *ctx, const char *args, size_t args_len,
		     struct rsp_buf *reply)
{
	int *calls = ctx;

	(*calls)++;
	rsp_buf_append_str(reply, "args=");
	rsp_buf_append(reply, args, args_len);
	return 7;
}

static const struct rsp_command table[] = {
	{ "q", RSP_MATCH_PREFIX, h_generic },
	{ "qC", RSP_MATCH_WORD, h_generic },
	{ "qXfer", RSP_MATCH_WORD, h_generic },
	{ "qXfer:features:read", RSP_MATCH_WORD, h_generic },
	{ "m", RSP_MATCH_PREFIX, h_generic },
	{ "vCont", RSP_MATCH_WORD, h_generic },
	{ "vCont?", RSP_MATCH_WORD, h_generic },
	{ "vMustReplyEmpty", RSP_MATCH_WORD, h_generic },
};
#define NTABLE (sizeof(table) / sizeof(table[0]))

static const struct rsp_command *lookup(const char *pkt, const char **args,
					size_t *args_len)
{
	return rsp_command_lookup(table, NTABLE, pkt, strlen(pkt), args,
				  args_len);
}

static void test_lookup_longest_match(void)
{
	const char *args;
	size_t n;
	const char *pkt = "qXfer:features:read:target.xml:0,fff";

	CU_ASSERT_PTR_EQUAL(lookup(pkt, &args, &n), &table[3]);
	CU_ASSERT_PTR_EQUAL(args, pkt + strlen("qXfer:features:read"));
	CU_ASSERT_EQUAL(n, strlen(":target.xml:0,fff"));
	CU_ASSERT_PTR_EQUAL(lookup("qXfer:auxv:read::0,10", &args, &n),
			    &table[2]);
	CU_ASSERT_NSTRING_EQUAL(args, ":auxv:read::0,10", n);
	CU_ASSERT_PTR_EQUAL(lookup("vCont?", &args, &n), &table[6]);
	CU_ASSERT_EQUAL(n, 0);
	CU_ASSERT_PTR_EQUAL(lookup("vCont;c:p1.-1", &args, &n), &table[5]);
	CU_ASSERT_NSTRING_EQUAL(args, ";c:p1.-1", n);
	/* order in the table does not matter */
	struct rsp_command rev[2] = { table[3], table[2] };
	CU_ASSERT_PTR_EQUAL(rsp_command_lookup(rev, 2, pkt, strlen(pkt), &args,
					       &n), &rev[0]);
}

static void test_lookup_word_terminators(void)
{
	const char *args;
	size_t n;

	/* "qXferFoo" is not qXfer, but the "q" prefix still takes it */
	CU_ASSERT_PTR_EQUAL(lookup("qXferFoo", &args, &n), &table[0]);
	CU_ASSERT_NSTRING_EQUAL(args, "XferFoo", n);
	/* qC alone, not qCRC */
	CU_ASSERT_PTR_EQUAL(lookup("qC", &args, &n), &table[1]);
	CU_ASSERT_PTR_EQUAL(lookup("qCRC:0,10", &args, &n), &table[0]);
	CU_ASSERT_PTR_EQUAL(lookup("qC:x", &args, &n), &table[1]);
	CU_ASSERT_PTR_EQUAL(lookup("qC,x", &args, &n), &table[1]);
	CU_ASSERT_PTR_EQUAL(lookup("qC;x", &args, &n), &table[1]);
	CU_ASSERT_PTR_EQUAL(lookup("qC.x", &args, &n), &table[0]);
	/* "vContX" matches no word, and there is no "v" prefix */
	CU_ASSERT_PTR_NULL(lookup("vContX", &args, &n));
	/* prefix match: arguments right after the name */
	CU_ASSERT_PTR_EQUAL(lookup("m1000,4", &args, &n), &table[4]);
	CU_ASSERT_NSTRING_EQUAL(args, "1000,4", n);
}

static void test_lookup_respects_length(void)
{
	const char *args;
	size_t n;
	/* not NUL-terminated where the packet ends */
	const char buf[] = "vMustReplyEmptyXYZ";

	CU_ASSERT_PTR_EQUAL(rsp_command_lookup(table, NTABLE, buf, 15, &args,
					       &n), &table[7]);
	CU_ASSERT_EQUAL(n, 0);
	CU_ASSERT_PTR_NULL(rsp_command_lookup(table, NTABLE, buf, 18, &args,
					      &n));
	CU_ASSERT_PTR_NULL(rsp_command_lookup(table, NTABLE, buf, 4, &args,
					      &n));
	CU_ASSERT_PTR_NULL(rsp_command_lookup(table, NTABLE, "", 0, &args, &n));
}

static void test_dispatch(void)
{
	struct rsp_buf reply;
	int calls = 0;

	rsp_buf_init(&reply);
	CU_ASSERT_EQUAL(rsp_dispatch(table, NTABLE, &calls, "m10,2", 5, &reply),
			7);
	CU_ASSERT_EQUAL(calls, 1);
	CU_ASSERT_STRING_EQUAL(reply.data, "args=10,2");
	/* unknown: empty reply, handler not called, 0 */
	CU_ASSERT_EQUAL(rsp_dispatch(table, NTABLE, &calls, "Z0,1000,1", 9,
				     &reply), 0);
	CU_ASSERT_EQUAL(calls, 1);
	CU_ASSERT_EQUAL(reply.len, 0);
	rsp_buf_free(&reply);
}

/* ---- numbers ------------------------------------------------------------ */

static bool parse_hex(const char *s, uint64_t *v, size_t *consumed)
{
	const char *p = s;
	bool ok = rsp_parse_hex_u64(&p, s + strlen(s), v);

	*consumed = (size_t)(p - s);
	return ok;
}

static void test_parse_hex_u64(void)
{
	uint64_t v;
	size_t n;

	CU_ASSERT_TRUE(parse_hex("1f", &v, &n));
	CU_ASSERT_EQUAL(v, 0x1f);
	CU_ASSERT_EQUAL(n, 2);
	CU_ASSERT_TRUE(parse_hex("DEADbeef,4", &v, &n));
	CU_ASSERT_EQUAL(v, 0xdeadbeef);
	CU_ASSERT_EQUAL(n, 8);
	CU_ASSERT_TRUE(parse_hex("ffffffffffffffff", &v, &n));
	CU_ASSERT_EQUAL(v, UINT64_MAX);
	/* leading zeros are not significant digits */
	CU_ASSERT_TRUE(parse_hex("00000000000000000001", &v, &n));
	CU_ASSERT_EQUAL(v, 1);
	CU_ASSERT_EQUAL(n, 20);
	/* 17 significant digits overflow; the cursor stays put */
	v = 42;
	CU_ASSERT_FALSE(parse_hex("10000000000000000", &v, &n));
	CU_ASSERT_EQUAL(n, 0);
	CU_ASSERT_EQUAL(v, 42);
	CU_ASSERT_FALSE(parse_hex("", &v, &n));
	CU_ASSERT_FALSE(parse_hex("g", &v, &n));
	CU_ASSERT_FALSE(parse_hex(",1", &v, &n));
	CU_ASSERT_FALSE(parse_hex("-1", &v, &n));
	/* `end` bounds the parse */
	const char *s = "1234", *p = s;
	CU_ASSERT_TRUE(rsp_parse_hex_u64(&p, s + 2, &v));
	CU_ASSERT_EQUAL(v, 0x12);
	CU_ASSERT_PTR_EQUAL(p, s + 2);
	p = s;
	CU_ASSERT_FALSE(rsp_parse_hex_u64(&p, s, &v));
}

static void test_expect_char(void)
{
	const char *s = ":x", *p = s;

	CU_ASSERT_FALSE(rsp_expect_char(&p, s + 2, ','));
	CU_ASSERT_PTR_EQUAL(p, s);
	CU_ASSERT_TRUE(rsp_expect_char(&p, s + 2, ':'));
	CU_ASSERT_PTR_EQUAL(p, s + 1);
	CU_ASSERT_FALSE(rsp_expect_char(&p, s + 1, 'x'));   /* at end */
}

static bool parse_al(const char *s, uint64_t *a, uint64_t *l, size_t *used)
{
	const char *p = s;
	bool ok = rsp_parse_addr_len(&p, s + strlen(s), a, l);

	*used = (size_t)(p - s);
	return ok;
}

static void test_parse_addr_len(void)
{
	uint64_t a, l;
	size_t n;

	CU_ASSERT_TRUE(parse_al("1000,4", &a, &l, &n));
	CU_ASSERT_EQUAL(a, 0x1000);
	CU_ASSERT_EQUAL(l, 4);
	CU_ASSERT_EQUAL(n, 6);
	CU_ASSERT_TRUE(parse_al("7ffff7dd1000,1000:abcd", &a, &l, &n));
	CU_ASSERT_EQUAL(a, 0x7ffff7dd1000ull);
	CU_ASSERT_EQUAL(l, 0x1000);
	CU_ASSERT_EQUAL(n, strlen("7ffff7dd1000,1000"));
	/* the very last byte of the address space is fine */
	CU_ASSERT_TRUE(parse_al("ffffffffffffffff,1", &a, &l, &n));
	CU_ASSERT_TRUE(parse_al("ffffffffffffffff,0", &a, &l, &n));
	CU_ASSERT_TRUE(parse_al("0,ffffffffffffffff", &a, &l, &n));
	/* ranges that wrap around are rejected, cursor untouched */
	CU_ASSERT_FALSE(parse_al("ffffffffffffffff,2", &a, &l, &n));
	CU_ASSERT_EQUAL(n, 0);
	CU_ASSERT_FALSE(parse_al("fffffffffffffff0,11", &a, &l, &n));
	CU_ASSERT_TRUE(parse_al("1,ffffffffffffffff", &a, &l, &n));
	CU_ASSERT_FALSE(parse_al("2,ffffffffffffffff", &a, &l, &n));
	CU_ASSERT_FALSE(parse_al("10000000000000000,1", &a, &l, &n));
	CU_ASSERT_FALSE(parse_al("1000", &a, &l, &n));
	CU_ASSERT_FALSE(parse_al("1000,", &a, &l, &n));
	CU_ASSERT_FALSE(parse_al(",4", &a, &l, &n));
	CU_ASSERT_FALSE(parse_al("1000;4", &a, &l, &n));
	CU_ASSERT_FALSE(parse_al("", &a, &l, &n));
}

static void test_hex_decode(void)
{
	uint8_t out[4];

	memset(out, 0xaa, sizeof(out));
	CU_ASSERT_EQUAL(rsp_hex_decode("00ff7F", 6, out, sizeof(out)), 3);
	CU_ASSERT_EQUAL(out[0], 0x00);
	CU_ASSERT_EQUAL(out[1], 0xff);
	CU_ASSERT_EQUAL(out[2], 0x7f);
	CU_ASSERT_EQUAL(out[3], 0xaa);
	CU_ASSERT_EQUAL(rsp_hex_decode("", 0, out, sizeof(out)), 0);
	CU_ASSERT_EQUAL(rsp_hex_decode("abc", 3, out, sizeof(out)), -1);
	CU_ASSERT_EQUAL(rsp_hex_decode("0g", 2, out, sizeof(out)), -1);
	CU_ASSERT_EQUAL(rsp_hex_decode("xx", 2, out, sizeof(out)), -1);
	CU_ASSERT_EQUAL(rsp_hex_decode("0102030405", 10, out, sizeof(out)), -1);
	CU_ASSERT_EQUAL(rsp_hex_decode("01020304", 8, out, sizeof(out)), 4);
}

static void test_binary_decode(void)
{
	uint8_t out[8];
	const char in[] = "a}]b}\x03\x00}\x04}\x0a";

	CU_ASSERT_EQUAL(rsp_binary_decode(in, sizeof(in) - 1, out, sizeof(out)),
			7);
	CU_ASSERT_EQUAL(memcmp(out, "a}b#\0$*", 7), 0);
	CU_ASSERT_EQUAL(rsp_binary_decode("ab}", 3, out, sizeof(out)), -1);
	CU_ASSERT_EQUAL(rsp_binary_decode("123456789", 9, out, sizeof(out)), -1);
	CU_ASSERT_EQUAL(rsp_binary_decode("12345678", 8, out, sizeof(out)), 8);
	CU_ASSERT_EQUAL(rsp_binary_decode("", 0, out, sizeof(out)), 0);
}

/* ---- thread ids ---------------------------------------------------------- */

static bool parse_tid(const char *s, struct rsp_thread_id *id, size_t *used)
{
	const char *p = s;
	bool ok = rsp_parse_thread_id(&p, s + strlen(s), id);

	*used = (size_t)(p - s);
	return ok;
}

static void test_thread_id_multiprocess(void)
{
	struct rsp_thread_id id;
	size_t n;

	CU_ASSERT_TRUE(parse_tid("p1.2", &id, &n));
	CU_ASSERT_EQUAL(id.pid, 1);
	CU_ASSERT_EQUAL(id.tid, 2);
	CU_ASSERT_EQUAL(n, 4);
	CU_ASSERT_TRUE(parse_tid("p3e8.3f2;rest", &id, &n));
	CU_ASSERT_EQUAL(id.pid, 0x3e8);
	CU_ASSERT_EQUAL(id.tid, 0x3f2);
	CU_ASSERT_EQUAL(n, strlen("p3e8.3f2"));
	CU_ASSERT_TRUE(parse_tid("p-1", &id, &n));
	CU_ASSERT_EQUAL(id.pid, RSP_ID_ALL);
	CU_ASSERT_EQUAL(id.tid, RSP_ID_ALL);
	CU_ASSERT_TRUE(parse_tid("p1.-1", &id, &n));
	CU_ASSERT_EQUAL(id.pid, 1);
	CU_ASSERT_EQUAL(id.tid, RSP_ID_ALL);
	CU_ASSERT_TRUE(parse_tid("p7", &id, &n));
	CU_ASSERT_EQUAL(id.pid, 7);
	CU_ASSERT_EQUAL(id.tid, RSP_ID_ALL);
	CU_ASSERT_TRUE(parse_tid("p0.0", &id, &n));
	CU_ASSERT_EQUAL(id.pid, RSP_ID_ANY);
	CU_ASSERT_EQUAL(id.tid, RSP_ID_ANY);
}

static void test_thread_id_plain(void)
{
	struct rsp_thread_id id;
	size_t n;

	CU_ASSERT_TRUE(parse_tid("-1", &id, &n));
	CU_ASSERT_EQUAL(id.pid, RSP_ID_ANY);
	CU_ASSERT_EQUAL(id.tid, RSP_ID_ALL);
	CU_ASSERT_EQUAL(n, 2);
	CU_ASSERT_TRUE(parse_tid("0", &id, &n));
	CU_ASSERT_EQUAL(id.pid, RSP_ID_ANY);
	CU_ASSERT_EQUAL(id.tid, RSP_ID_ANY);
	CU_ASSERT_TRUE(parse_tid("1f", &id, &n));
	CU_ASSERT_EQUAL(id.tid, 0x1f);
	CU_ASSERT_TRUE(parse_tid("7fffffffffffffff", &id, &n));
	CU_ASSERT_EQUAL(id.tid, INT64_MAX);
}

static void test_thread_id_malformed(void)
{
	static const char *const bad[] = {
		"", "p", "p.", "p1.", "p.1", "x", "-", "-2", "-10", "p-1.",
		"pp1", "p-2", "p1.-", "8000000000000000", "p8000000000000000",
		"p1.10000000000000000", ".1",
	};
	struct rsp_thread_id id = { 123, 456 };
	size_t n;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		bool ok = parse_tid(bad[i], &id, &n);
		CU_ASSERT_FALSE(ok);
		CU_ASSERT_EQUAL(n, 0);
		if (ok)
			fprintf(stderr, "accepted bad thread id \"%s\"\n", bad[i]);
	}
	CU_ASSERT_EQUAL(id.pid, 123);
	CU_ASSERT_EQUAL(id.tid, 456);
}

static void test_format_thread_id(void)
{
	struct rsp_buf b;

	rsp_buf_init(&b);
	rsp_format_thread_id(&b, true, 0x3e8, 0x3f2);
	CU_ASSERT_STRING_EQUAL(b.data, "p3e8.3f2");
	rsp_buf_reset(&b);
	rsp_format_thread_id(&b, true, RSP_ID_ALL, RSP_ID_ALL);
	CU_ASSERT_STRING_EQUAL(b.data, "p-1.-1");
	rsp_buf_reset(&b);
	rsp_format_thread_id(&b, false, 0x3e8, 0x1f);
	CU_ASSERT_STRING_EQUAL(b.data, "1f");
	rsp_buf_reset(&b);
	rsp_format_thread_id(&b, false, 1, RSP_ID_ALL);
	CU_ASSERT_STRING_EQUAL(b.data, "-1");
	rsp_buf_reset(&b);
	rsp_format_thread_id(&b, false, 1, RSP_ID_ANY);
	CU_ASSERT_STRING_EQUAL(b.data, "0");

	/* formatting and parsing agree */
	struct rsp_thread_id id;
	const char *p;
	rsp_buf_reset(&b);
	rsp_format_thread_id(&b, true, 0x12345, RSP_ID_ALL);
	p = b.data;
	CU_ASSERT_TRUE(rsp_parse_thread_id(&p, b.data + b.len, &id));
	CU_ASSERT_EQUAL(id.pid, 0x12345);
	CU_ASSERT_EQUAL(id.tid, RSP_ID_ALL);
	CU_ASSERT_PTR_EQUAL(p, b.data + b.len);
	rsp_buf_free(&b);
}

/* ---- qXfer ---------------------------------------------------------------- */

static int qxfer(struct rsp_buf *reply, const char *obj, size_t size,
		 const char *args)
{
	rsp_buf_reset(reply);
	return rsp_qxfer_reply(reply, obj, size, args, strlen(args));
}

static void test_qxfer_chunks(void)
{
	struct rsp_buf r;
	const char *obj = "hello world";

	rsp_buf_init(&r);
	CU_ASSERT_EQUAL(qxfer(&r, obj, 11, "0,5"), 0);
	CU_ASSERT_STRING_EQUAL(r.data, "mhello");
	CU_ASSERT_EQUAL(qxfer(&r, obj, 11, "5,5"), 0);
	CU_ASSERT_STRING_EQUAL(r.data, "m worl");
	CU_ASSERT_EQUAL(qxfer(&r, obj, 11, "a,5"), 0);
	CU_ASSERT_STRING_EQUAL(r.data, "ld");
	CU_ASSERT_EQUAL(qxfer(&r, obj, 11, "6,5"), 0);
	CU_ASSERT_STRING_EQUAL(r.data, "lworld");
	CU_ASSERT_EQUAL(qxfer(&r, obj, 11, "0,b"), 0);
	CU_ASSERT_STRING_EQUAL(r.data, "lhello world");
	CU_ASSERT_EQUAL(qxfer(&r, obj, 11, "0,fff"), 0);
	CU_ASSERT_STRING_EQUAL(r.data, "lhello world");
	rsp_buf_free(&r);
}

static void test_qxfer_past_end(void)
{
	struct rsp_buf r;
	const char *obj = "hello world";

	rsp_buf_init(&r);
	CU_ASSERT_EQUAL(qxfer(&r, obj, 11, "b,5"), 0);
	CU_ASSERT_STRING_EQUAL(r.data, "l");
	CU_ASSERT_EQUAL(qxfer(&r, obj, 11, "1000,5"), 0);
	CU_ASSERT_STRING_EQUAL(r.data, "l");
	CU_ASSERT_EQUAL(qxfer(&r, obj, 0, "0,5"), 0);
	CU_ASSERT_STRING_EQUAL(r.data, "l");
	rsp_buf_free(&r);
}

static void test_qxfer_binary_and_reassembly(void)
{
	struct rsp_buf r, whole;
	uint8_t obj[300];

	for (size_t i = 0; i < sizeof(obj); i++)
		obj[i] = (uint8_t)(i * 31);
	rsp_buf_init(&r);
	rsp_buf_init(&whole);
	/* read it back the way GDB does, in chunks until 'l' */
	for (size_t off = 0;; ) {
		char args[32];
		snprintf(args, sizeof(args), "%zx,40", off);
		CU_ASSERT_EQUAL_FATAL(qxfer(&r, (const char *)obj, sizeof(obj),
					    args), 0);
		CU_ASSERT_FATAL(r.len >= 1);
		rsp_buf_append(&whole, r.data + 1, r.len - 1);
		off += r.len - 1;
		if (r.data[0] == 'l')
			break;
		CU_ASSERT_EQUAL_FATAL(r.data[0], 'm');
		CU_ASSERT_EQUAL(r.len, 1 + 0x40);
	}
	CU_ASSERT_EQUAL(whole.len, sizeof(obj));
	CU_ASSERT_EQUAL(memcmp(whole.data, obj, sizeof(obj)), 0);
	rsp_buf_free(&r);
	rsp_buf_free(&whole);
}

static void test_qxfer_malformed(void)
{
	static const char *const bad[] = {
		"", "0", "0,", ",5", "x,1", "0,5x", "0,5:", "0;5",
		"10000000000000000,1", "ffffffffffffffff,2",
	};
	struct rsp_buf r;

	rsp_buf_init(&r);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		rsp_buf_reset(&r);
		rsp_buf_append_str(&r, "keep");
		CU_ASSERT_EQUAL(rsp_qxfer_reply(&r, "abc", 3, bad[i],
						strlen(bad[i])), -1);
		/* a failed call leaves the reply alone */
		CU_ASSERT_STRING_EQUAL(r.data, "keep");
	}
	rsp_buf_free(&r);
}

static const struct unit_test table_tests[] = {
	{ "longest match", test_lookup_longest_match },
	{ "word terminators", test_lookup_word_terminators },
	{ "respects length", test_lookup_respects_length },
	{ "dispatch and unknown", test_dispatch },
	{ NULL, NULL },
};

static const struct unit_test parse_tests[] = {
	{ "hex u64", test_parse_hex_u64 },
	{ "expect char", test_expect_char },
	{ "addr,len", test_parse_addr_len },
	{ "hex decode", test_hex_decode },
	{ "binary decode", test_binary_decode },
	{ "thread id multiprocess", test_thread_id_multiprocess },
	{ "thread id plain", test_thread_id_plain },
	{ "thread id malformed", test_thread_id_malformed },
	{ "format thread id", test_format_thread_id },
	{ NULL, NULL },
};

static const struct unit_test qxfer_tests[] = {
	{ "chunks", test_qxfer_chunks },
	{ "past end", test_qxfer_past_end },
	{ "binary and reassembly", test_qxfer_binary_and_reassembly },
	{ "malformed", test_qxfer_malformed },
	{ NULL, NULL },
};

static const struct unit_suite suites[] = {
	{ "rsp command table", table_tests, NULL, NULL },
	{ "rsp argument parsing", parse_tests, NULL, NULL },
	{ "rsp qXfer", qxfer_tests, NULL, NULL },
};

UNIT_MAIN(suites)
