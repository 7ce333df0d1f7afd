/* libFuzzer target: every RSP argument parser, the command table and the
 * qXfer chunker on arbitrary (not NUL-terminated) input. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/rsp_cmd.h"
#include "testsuite/fuzz/fuzz_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);


static int h_nop(void *ctx, const char *args, size_t args_len,
		 struct rsp_buf *reply)
{
	const char *end = ctx;

	/* the arguments must lie inside the packet */
	check(args + args_len == end);
	rsp_buf_append(reply, args, args_len);
	return 0;
}

static const struct rsp_command table[] = {
	{ "q", RSP_MATCH_PREFIX, h_nop },
	{ "qC", RSP_MATCH_WORD, h_nop },
	{ "qXfer", RSP_MATCH_WORD, h_nop },
	{ "qXfer:features:read", RSP_MATCH_WORD, h_nop },
	{ "m", RSP_MATCH_PREFIX, h_nop },
	{ "M", RSP_MATCH_PREFIX, h_nop },
	{ "vCont", RSP_MATCH_WORD, h_nop },
	{ "vCont?", RSP_MATCH_WORD, h_nop },
	{ "H", RSP_MATCH_PREFIX, h_nop },
};

static void fuzz_numbers(const char *s, const char *end)
{
	const char *p = s;
	uint64_t v, a, l;

	if (rsp_parse_hex_u64(&p, end, &v))
		check(p > s && p <= end);
	else
		check(p == s);
	p = s;
	if (rsp_parse_addr_len(&p, end, &a, &l)) {
		check(p > s && p <= end);
		check(l == 0 || a + (l - 1) >= a);
	} else {
		check(p == s);
	}
	p = s;
	(void)rsp_expect_char(&p, end, ',');
	check(p == s || p == s + 1);
}

static void fuzz_thread_id(const char *s, const char *end)
{
	const char *p = s;
	struct rsp_thread_id id;

	if (!rsp_parse_thread_id(&p, end, &id)) {
		check(p == s);
		return;
	}
	check(p > s && p <= end);
	check(id.pid >= RSP_ID_ALL && id.tid >= RSP_ID_ALL);
	/* what we parsed, we can print and parse again */
	struct rsp_buf b;
	struct rsp_thread_id again;
	rsp_buf_init(&b);
	rsp_format_thread_id(&b, true, id.pid, id.tid);
	const char *q = b.data;
	check(rsp_parse_thread_id(&q, b.data + b.len, &again));
	check(q == b.data + b.len);
	check(again.pid == id.pid && again.tid == id.tid);
	rsp_buf_free(&b);
}

static void fuzz_decoders(const char *s, size_t size)
{
	uint8_t out[64];

	long n = rsp_hex_decode(s, size, out, sizeof(out));
	check(n == -1 || (n >= 0 && (size_t)n == size / 2 && n <= 64));
	n = rsp_binary_decode(s, size, out, sizeof(out));
	check(n >= -1 && n <= 64 && (n < 0 || (size_t)n <= size));
}

static void fuzz_dispatch(const char *s, size_t size)
{
	const char *args;
	size_t args_len;
	struct rsp_buf reply;
	const struct rsp_command *cmd = rsp_command_lookup(
		table, sizeof(table) / sizeof(table[0]), s, size, &args,
		&args_len);

	if (cmd) {
		check(args >= s && args + args_len == s + size);
		check(memcmp(s, cmd->name, strlen(cmd->name)) == 0);
	}
	rsp_buf_init(&reply);
	check(rsp_dispatch(table, sizeof(table) / sizeof(table[0]),
			   (void *)(s + size), s, size, &reply) == 0);
	check(cmd || reply.len == 0);
	rsp_buf_free(&reply);
}

static void fuzz_qxfer(const char *s, size_t size)
{
	static const char object[] = "<target><architecture>i386:x86-64"
				     "</architecture></target>";
	struct rsp_buf r;
	const char *p = s;
	uint64_t off, len;

	rsp_buf_init(&r);
	int rc = rsp_qxfer_reply(&r, object, sizeof(object) - 1, s, size);
	bool valid = rsp_parse_addr_len(&p, s + size, &off, &len) &&
		     p == s + size;
	check(rc == (valid ? 0 : -1));
	if (rc == 0) {
		check(r.len >= 1 && (r.data[0] == 'm' || r.data[0] == 'l'));
		check(r.len - 1 <= len);
		if (off < sizeof(object) - 1)
			check(memcmp(r.data + 1, object + off, r.len - 1) == 0);
		else
			check(r.len == 1 && r.data[0] == 'l');
	} else {
		check(r.len == 0);
	}
	rsp_buf_free(&r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* A private copy with no terminator, so any read past `size`
	 * is caught by AddressSanitizer. */
	char *s = malloc(size ? size : 1);
	if (!s)
		return 0;
	memcpy(s, data, size);
	const char *end = s + size;

	fuzz_numbers(s, end);
	fuzz_thread_id(s, end);
	fuzz_decoders(s, size);
	fuzz_dispatch(s, size);
	fuzz_qxfer(s, size);
	free(s);
	return 0;
}
