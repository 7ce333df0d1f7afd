/* Encoding helpers for the trace format (see trace_codec.h). */
#include "config.h"

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

/* ---- SHA-256 (FIPS 180-4) ------------------------------------------------- */

static const uint32_t sha256_k[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1,
	0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
	0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
	0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147,
	0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
	0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
	0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
	0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
	0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

static uint32_t ror32(uint32_t x, int n)
{
	return (x >> n) | (x << (32 - n));
}

static void sha256_compress(uint32_t st[8], const uint8_t blk[64])
{
	uint32_t w[64];
	for (int i = 0; i < 16; i++)
		w[i] = (uint32_t)blk[4 * i] << 24 | (uint32_t)blk[4 * i + 1] << 16 |
		       (uint32_t)blk[4 * i + 2] << 8 | blk[4 * i + 3];
	for (int i = 16; i < 64; i++) {
		uint32_t s0 = ror32(w[i - 15], 7) ^ ror32(w[i - 15], 18) ^ (w[i - 15] >> 3);
		uint32_t s1 = ror32(w[i - 2], 17) ^ ror32(w[i - 2], 19) ^ (w[i - 2] >> 10);
		w[i] = w[i - 16] + s0 + w[i - 7] + s1;
	}
	uint32_t a = st[0], b = st[1], c = st[2], d = st[3];
	uint32_t e = st[4], f = st[5], g = st[6], h = st[7];
	for (int i = 0; i < 64; i++) {
		uint32_t t1 = h + (ror32(e, 6) ^ ror32(e, 11) ^ ror32(e, 25)) +
			      ((e & f) ^ (~e & g)) + sha256_k[i] + w[i];
		uint32_t t2 = (ror32(a, 2) ^ ror32(a, 13) ^ ror32(a, 22)) +
			      ((a & b) ^ (a & c) ^ (b & c));
		h = g; g = f; f = e; e = d + t1;
		d = c; c = b; b = a; a = t1 + t2;
	}
	st[0] += a; st[1] += b; st[2] += c; st[3] += d;
	st[4] += e; st[5] += f; st[6] += g; st[7] += h;
}

void trace_sha256_init(struct trace_sha256 *s)
{
	static const uint32_t iv[8] = {
		0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
		0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
	};
	memcpy(s->state, iv, sizeof(iv));
	s->total = 0;
	s->used = 0;
}

void trace_sha256_update(struct trace_sha256 *s, const void *data, size_t len)
{
	const uint8_t *p = data;
	s->total += len;
	while (len) {
		size_t take = 64 - s->used;
		if (take > len)
			take = len;
		memcpy(s->block + s->used, p, take);
		s->used += take;
		p += take;
		len -= take;
		if (s->used == 64) {
			sha256_compress(s->state, s->block);
			s->used = 0;
		}
	}
}

void trace_sha256_final(struct trace_sha256 *s, uint8_t out[TRACE_SHA256_SIZE])
{
	uint64_t bits = s->total * 8;
	uint8_t pad[72] = { 0x80 };
	size_t padlen = (s->used < 56 ? 56 : 120) - s->used;
	for (int i = 0; i < 8; i++)
		pad[padlen + i] = (uint8_t)(bits >> (56 - 8 * i));
	trace_sha256_update(s, pad, padlen + 8);
	for (int i = 0; i < 8; i++) {
		out[4 * i] = (uint8_t)(s->state[i] >> 24);
		out[4 * i + 1] = (uint8_t)(s->state[i] >> 16);
		out[4 * i + 2] = (uint8_t)(s->state[i] >> 8);
		out[4 * i + 3] = (uint8_t)s->state[i];
	}
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
