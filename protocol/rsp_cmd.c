/* Command table dispatch and the argument parsers handlers share. */
#include "config.h"

#include <limits.h>
#include <string.h>

#include "protocol/rsp_cmd.h"

static bool is_word_end(char c)
{
	return c == ':' || c == ',' || c == ';';
}

static bool command_matches(const struct rsp_command *cmd, const char *pkt,
			    size_t len, size_t *name_len)
{
	size_t n = strlen(cmd->name);

	if (n > len || memcmp(pkt, cmd->name, n) != 0)
		return false;
	if (cmd->match == RSP_MATCH_WORD && n < len && !is_word_end(pkt[n]))
		return false;
	*name_len = n;
	return true;
}

const struct rsp_command *rsp_command_lookup(const struct rsp_command *table,
					     size_t n, const char *pkt,
					     size_t len, const char **args,
					     size_t *args_len)
{
	const struct rsp_command *best = NULL;
	size_t best_len = 0;

	for (size_t i = 0; i < n; i++) {
		size_t name_len;
		if (!command_matches(&table[i], pkt, len, &name_len))
			continue;
		if (!best || name_len > best_len) {
			best = &table[i];
			best_len = name_len;
		}
	}
	if (best) {
		*args = pkt + best_len;
		*args_len = len - best_len;
	}
	return best;
}

int rsp_dispatch(const struct rsp_command *table, size_t n, void *ctx,
		 const char *pkt, size_t len, struct rsp_buf *reply)
{
	const char *args;
	size_t args_len;

	rsp_buf_reset(reply);
	const struct rsp_command *cmd = rsp_command_lookup(table, n, pkt, len,
							   &args, &args_len);
	if (!cmd)
		return 0;
	return cmd->handler(ctx, args, args_len, reply);
}

bool rsp_parse_hex_u64(const char **p, const char *end, uint64_t *out)
{
	const char *s = *p;
	uint64_t v = 0;

	if (s >= end || rsp_hex_digit(*s) < 0)
		return false;
	for (; s < end && rsp_hex_digit(*s) >= 0; s++) {
		if (v >> 60)
			return false;   /* a 17th significant digit */
		v = v << 4 | (uint64_t)rsp_hex_digit(*s);
	}
	*out = v;
	*p = s;
	return true;
}

bool rsp_expect_char(const char **p, const char *end, char c)
{
	if (*p >= end || **p != c)
		return false;
	(*p)++;
	return true;
}

bool rsp_parse_addr_len(const char **p, const char *end, uint64_t *addr,
			uint64_t *len)
{
	const char *s = *p;
	uint64_t a, l;

	if (!rsp_parse_hex_u64(&s, end, &a) || !rsp_expect_char(&s, end, ',') ||
	    !rsp_parse_hex_u64(&s, end, &l))
		return false;
	/* The range must not wrap: the last byte is a + l - 1. */
	if (l > 0 && a + (l - 1) < a)
		return false;
	*addr = a;
	*len = l;
	*p = s;
	return true;
}

long rsp_hex_decode(const char *hex, size_t hex_len, void *out, size_t max)
{
	uint8_t *o = out;

	if (hex_len % 2 != 0 || hex_len / 2 > max || hex_len / 2 > LONG_MAX)
		return -1;
	for (size_t i = 0; i < hex_len; i += 2) {
		int hi = rsp_hex_digit(hex[i]), lo = rsp_hex_digit(hex[i + 1]);
		if (hi < 0 || lo < 0)
			return -1;
		o[i / 2] = (uint8_t)(hi << 4 | lo);
	}
	return (long)(hex_len / 2);
}

long rsp_binary_decode(const char *in, size_t in_len, void *out, size_t max)
{
	uint8_t *o = out;
	size_t n = 0;

	for (size_t i = 0; i < in_len; i++) {
		uint8_t c = (uint8_t)in[i];
		if (c == '}') {
			if (++i == in_len)
				return -1;   /* escape with nothing after it */
			c = (uint8_t)in[i] ^ 0x20;
		}
		if (n == max || n == LONG_MAX)
			return -1;
		o[n++] = c;
	}
	return (long)n;
}

/* One thread-id component: "-1" (all) or a hex number that fits int64. */
static bool parse_id(const char **p, const char *end, int64_t *out)
{
	const char *s = *p;
	uint64_t v;

	if (s < end && *s == '-') {
		s++;
		if (s >= end || *s != '1')
			return false;
		s++;
		/* "-10" is not "-1" followed by "0". */
		if (s < end && rsp_hex_digit(*s) >= 0)
			return false;
		*out = RSP_ID_ALL;
		*p = s;
		return true;
	}
	if (!rsp_parse_hex_u64(&s, end, &v) || v > INT64_MAX)
		return false;
	*out = (int64_t)v;
	*p = s;
	return true;
}

bool rsp_parse_thread_id(const char **p, const char *end,
			 struct rsp_thread_id *out)
{
	const char *s = *p;
	struct rsp_thread_id id;

	if (s < end && *s == 'p') {
		s++;
		if (!parse_id(&s, end, &id.pid))
			return false;
		id.tid = RSP_ID_ALL;
		if (s < end && *s == '.') {
			s++;
			if (!parse_id(&s, end, &id.tid))
				return false;
		}
	} else {
		id.pid = RSP_ID_ANY;
		if (!parse_id(&s, end, &id.tid))
			return false;
	}
	*out = id;
	*p = s;
	return true;
}

static void format_id(struct rsp_buf *b, int64_t id)
{
	if (id == RSP_ID_ALL)
		rsp_buf_append_str(b, "-1");
	else
		rsp_buf_printf(b, "%llx", (unsigned long long)id);
}

void rsp_format_thread_id(struct rsp_buf *b, bool multiprocess, int64_t pid,
			  int64_t tid)
{
	if (multiprocess) {
		rsp_buf_append_str(b, "p");
		format_id(b, pid);
		rsp_buf_append_str(b, ".");
	}
	format_id(b, tid);
}

int rsp_qxfer_reply(struct rsp_buf *reply, const void *object, size_t size,
		    const char *args, size_t args_len)
{
	const char *p = args, *end = args + args_len;
	uint64_t offset, length;

	/* rsp_parse_addr_len also rejects ranges that wrap, which no
	 * honest GDB request does. */
	if (!rsp_parse_addr_len(&p, end, &offset, &length) || p != end)
		return -1;
	if (offset >= size) {
		rsp_buf_append_str(reply, "l");
		return 0;
	}
	size_t avail = size - (size_t)offset;
	size_t n = length < avail ? (size_t)length : avail;
	rsp_buf_append_str(reply, n < avail ? "m" : "l");
	rsp_buf_append(reply, (const char *)object + offset, n);
	return 0;
}
