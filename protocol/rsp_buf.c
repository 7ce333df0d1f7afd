/* Growable, binary-safe byte buffer used for packet payloads and frames. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/rsp.h"

/* Running out of memory while building a packet leaves nothing sensible to
 * send, so treat it as fatal rather than threading errors through every
 * reply builder. */
static void rsp_buf_reserve(struct rsp_buf *b, size_t extra)
{
	if (extra > SIZE_MAX - b->len - 1) {
		fprintf(stderr, "xrr: rsp_buf: size overflow (%zu + %zu)\n",
			b->len, extra);
		abort();
	}
	size_t need = b->len + extra + 1;	/* + NUL terminator */
	if (need <= b->cap)
		return;
	size_t cap = b->cap ? b->cap : 64;
	while (cap < need)
		cap = cap > SIZE_MAX / 2 ? need : cap * 2;
	char *p = realloc(b->data, cap);
	if (!p) {
		fprintf(stderr, "xrr: rsp_buf: out of memory growing to %zu bytes\n",
			cap);
		abort();
	}
	b->data = p;
	b->cap = cap;
}

void rsp_buf_init(struct rsp_buf *b)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	rsp_buf_reserve(b, 0);
	b->data[0] = '\0';
}

void rsp_buf_free(struct rsp_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
}

void rsp_buf_reset(struct rsp_buf *b)
{
	if (!b->data)
		rsp_buf_reserve(b, 0);
	b->len = 0;
	b->data[0] = '\0';
}

void rsp_buf_append(struct rsp_buf *b, const void *data, size_t len)
{
	rsp_buf_reserve(b, len);
	if (len)
		memcpy(b->data + b->len, data, len);
	b->len += len;
	b->data[b->len] = '\0';
}

void rsp_buf_append_str(struct rsp_buf *b, const char *s)
{
	rsp_buf_append(b, s, strlen(s));
}

void rsp_buf_vprintf(struct rsp_buf *b, const char *fmt, va_list ap)
{
	va_list ap2;

	va_copy(ap2, ap);
	int n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0) {
		fprintf(stderr, "xrr: rsp_buf: bad format \"%s\"\n", fmt);
		abort();
	}
	rsp_buf_reserve(b, (size_t)n);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
}

void rsp_buf_printf(struct rsp_buf *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	rsp_buf_vprintf(b, fmt, ap);
	va_end(ap);
}

int rsp_hex_digit(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

void rsp_buf_append_hex(struct rsp_buf *b, const void *data, size_t len)
{
	static const char digits[] = "0123456789abcdef";
	const uint8_t *in = data;

	if (len > SIZE_MAX / 2) {
		fprintf(stderr, "xrr: rsp_buf: hex of %zu bytes overflows\n", len);
		abort();
	}
	rsp_buf_reserve(b, 2 * len);
	char *out = b->data + b->len;
	for (size_t i = 0; i < len; i++) {
		*out++ = digits[in[i] >> 4];
		*out++ = digits[in[i] & 0xf];
	}
	b->len += 2 * len;
	b->data[b->len] = '\0';
}
