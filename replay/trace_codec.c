/* Encoding helpers for the trace format (see trace_codec.h). */
#include "config.h"

#define OPENSSL_API_COMPAT 10101
#include <openssl/sha.h>

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "replay/trace_codec.h"

/* ---- output buffer ------------------------------------------------------ */

void trace_buf_init(struct trace_buf *b)
{
	memset(b, 0, sizeof(*b));
}

void trace_buf_free(struct trace_buf *b)
{
	free(b->data);
	trace_buf_init(b);
}

void trace_buf_reset(struct trace_buf *b)
{
	b->len = 0;
	b->failed = false;
}

uint8_t *trace_buf_grow(struct trace_buf *b, size_t n)
{
	if (b->failed)
		return NULL;
	if (n > b->cap - b->len || !b->data) {
		size_t want = b->cap ? b->cap : 256;
		while (want - b->len < n) {
			if (want > SIZE_MAX / 2) {
				b->failed = true;
				return NULL;
			}
			want *= 2;
		}
		uint8_t *p = realloc(b->data, want);
		if (!p) {
			b->failed = true;
			return NULL;
		}
		b->data = p;
		b->cap = want;
	}
	uint8_t *at = b->data + b->len;
	b->len += n;
	return at;
}

void trace_buf_put_bytes(struct trace_buf *b, const void *p, size_t n)
{
	uint8_t *at = trace_buf_grow(b, n);
	if (at && n)
		memcpy(at, p, n);
}

static void put_le(struct trace_buf *b, uint64_t v, size_t width)
{
	uint8_t *at = trace_buf_grow(b, width);
	if (!at)
		return;
	for (size_t i = 0; i < width; i++)
		at[i] = (uint8_t)(v >> (8 * i));
}

void trace_buf_put_u8(struct trace_buf *b, uint8_t v) { put_le(b, v, 1); }
void trace_buf_put_u16(struct trace_buf *b, uint16_t v) { put_le(b, v, 2); }
void trace_buf_put_u32(struct trace_buf *b, uint32_t v) { put_le(b, v, 4); }
void trace_buf_put_u64(struct trace_buf *b, uint64_t v) { put_le(b, v, 8); }

void trace_buf_put_blob(struct trace_buf *b, const void *p, size_t n)
{
	trace_buf_put_u64(b, n);
	trace_buf_put_bytes(b, p, n);
}

void trace_buf_put_str(struct trace_buf *b, const char *s)
{
	trace_buf_put_blob(b, s ? s : "", s ? strlen(s) : 0);
}

/* ---- input cursor ------------------------------------------------------- */

void trace_cursor_init(struct trace_cursor *c, const void *data, size_t len)
{
	c->data = data;
	c->len = len;
	c->pos = 0;
	c->failed = false;
}

size_t trace_cursor_left(const struct trace_cursor *c)
{
	return c->failed ? 0 : c->len - c->pos;
}

const uint8_t *trace_cursor_take(struct trace_cursor *c, size_t n)
{
	if (c->failed || n > c->len - c->pos) {
		c->failed = true;
		return NULL;
	}
	const uint8_t *at = c->data + c->pos;
	c->pos += n;
	return at;
}

static uint64_t get_le(struct trace_cursor *c, size_t width)
{
	const uint8_t *at = trace_cursor_take(c, width);
	uint64_t v = 0;
	for (size_t i = 0; at && i < width; i++)
		v |= (uint64_t)at[i] << (8 * i);
	return v;
}

uint8_t trace_cursor_u8(struct trace_cursor *c) { return (uint8_t)get_le(c, 1); }
uint16_t trace_cursor_u16(struct trace_cursor *c) { return (uint16_t)get_le(c, 2); }
uint32_t trace_cursor_u32(struct trace_cursor *c) { return (uint32_t)get_le(c, 4); }
uint64_t trace_cursor_u64(struct trace_cursor *c) { return get_le(c, 8); }

void trace_cursor_bytes(struct trace_cursor *c, void *out, size_t n)
{
	const uint8_t *at = trace_cursor_take(c, n);
	if (at)
		memcpy(out, at, n);
	else if (n)
		memset(out, 0, n);
}

const uint8_t *trace_cursor_blob(struct trace_cursor *c, size_t *n)
{
	uint64_t len = trace_cursor_u64(c);
	/* Compare before narrowing: a corrupt length must not wrap. */
	if (len > trace_cursor_left(c)) {
		c->failed = true;
		*n = 0;
		return NULL;
	}
	*n = (size_t)len;
	return trace_cursor_take(c, *n);
}

char *trace_cursor_strdup(struct trace_cursor *c)
{
	size_t n;
	const uint8_t *p = trace_cursor_blob(c, &n);
	if (!p)
		return NULL;
	if (memchr(p, 0, n)) {
		c->failed = true;
		return NULL;
	}
	char *s = malloc(n + 1);
	if (!s) {
		c->failed = true;
		return NULL;
	}
	memcpy(s, p, n);
	s[n] = 0;
	return s;
}

/* ---- CRC32C ------------------------------------------------------------- */

#define CRC32C_POLY_REFLECTED 0x82f63b78u

static uint32_t crc32c_table[256];
static pthread_once_t crc32c_table_once = PTHREAD_ONCE_INIT;

static void crc32c_make_table(void)
{
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;
		for (int k = 0; k < 8; k++)
			c = (c >> 1) ^ (CRC32C_POLY_REFLECTED & -(c & 1));
		crc32c_table[i] = c;
	}
}

static uint32_t crc32c_soft(uint32_t crc, const uint8_t *p, size_t len)
{
	pthread_once(&crc32c_table_once, crc32c_make_table);
	while (len--)
		crc = crc32c_table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
	return crc;
}

__attribute__((target("sse4.2")))
static uint32_t crc32c_sse42(uint32_t crc, const uint8_t *p, size_t len)
{
	uint64_t c = crc;
	for (; len >= 8; p += 8, len -= 8) {
		uint64_t word;
		memcpy(&word, p, 8);
		c = __builtin_ia32_crc32di(c, word);
	}
	uint32_t c32 = (uint32_t)c;
	while (len--)
		c32 = __builtin_ia32_crc32qi(c32, *p++);
	return c32;
}

uint32_t trace_crc32c(uint32_t crc, const void *data, size_t len)
{
	/* Pre- and post-inversion as the standard defines, so that chunked
	 * calls compose. */
	crc = ~crc;
	if (__builtin_cpu_supports("sse4.2"))
		crc = crc32c_sse42(crc, data, len);
	else
		crc = crc32c_soft(crc, data, len);
	return ~crc;
}

/* ---- SHA-256 (FIPS 180-4), from libcrypto ------------------------------------ */

/* OpenSSL 3 deprecates the one-shot-free SHA256_* API but keeps it (and
 * its SHA-NI/AVX code); it needs no allocation, unlike EVP. */

_Static_assert(sizeof(SHA256_CTX) <= sizeof(((struct trace_sha256 *)0)->ctx),
	       "struct trace_sha256 holds a SHA256_CTX");

void trace_sha256_init(struct trace_sha256 *s)
{
	SHA256_Init((SHA256_CTX *)s->ctx);
}

void trace_sha256_update(struct trace_sha256 *s, const void *data, size_t len)
{
	SHA256_Update((SHA256_CTX *)s->ctx, data, len);
}

void trace_sha256_final(struct trace_sha256 *s, uint8_t out[TRACE_SHA256_SIZE])
{
	SHA256_Final(out, (SHA256_CTX *)s->ctx);
}

void trace_hex(char *out, const uint8_t *bytes, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[bytes[i] >> 4];
		out[2 * i + 1] = digits[bytes[i] & 15];
	}
	out[2 * n] = 0;
}
