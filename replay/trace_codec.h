/* Small encoding helpers shared by the trace format: a growable output
 * buffer, a bounds-checked input cursor, CRC32C and SHA-256.
 *
 * All integers are little-endian.  Both the buffer and the cursor have a
 * sticky failure flag so that an encoder or decoder can make a run of
 * calls and check once at the end: a cursor never reads outside its
 * bytes, it just returns zeros once it has run past the end. */
#ifndef XRR_REPLAY_TRACE_CODEC_H
#define XRR_REPLAY_TRACE_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct trace_buf {
	uint8_t *data;
	size_t len, cap;
	bool failed;            /* an allocation failed; contents incomplete */
};

void trace_buf_init(struct trace_buf *b);
void trace_buf_free(struct trace_buf *b);
void trace_buf_reset(struct trace_buf *b);      /* len = 0, keeps memory */
/* Reserve n more bytes and return where they start (NULL on failure). */
uint8_t *trace_buf_grow(struct trace_buf *b, size_t n);
void trace_buf_put_bytes(struct trace_buf *b, const void *p, size_t n);
void trace_buf_put_u8(struct trace_buf *b, uint8_t v);
void trace_buf_put_u16(struct trace_buf *b, uint16_t v);
void trace_buf_put_u32(struct trace_buf *b, uint32_t v);
void trace_buf_put_u64(struct trace_buf *b, uint64_t v);
/* u64 length, then the bytes. */
void trace_buf_put_blob(struct trace_buf *b, const void *p, size_t n);
/* A blob without the terminating NUL (NULL encodes as ""). */
void trace_buf_put_str(struct trace_buf *b, const char *s);

struct trace_cursor {
	const uint8_t *data;
	size_t len, pos;
	bool failed;            /* read past the end, or a bad length */
};

void trace_cursor_init(struct trace_cursor *c, const void *data, size_t len);
size_t trace_cursor_left(const struct trace_cursor *c);
uint8_t trace_cursor_u8(struct trace_cursor *c);
uint16_t trace_cursor_u16(struct trace_cursor *c);
uint32_t trace_cursor_u32(struct trace_cursor *c);
uint64_t trace_cursor_u64(struct trace_cursor *c);
/* Copy n bytes out (zero-filled on failure). */
void trace_cursor_bytes(struct trace_cursor *c, void *out, size_t n);
/* Point at the next n bytes without copying; NULL on failure. */
const uint8_t *trace_cursor_take(struct trace_cursor *c, size_t n);
/* A blob written by trace_buf_put_blob: *n gets its length. */
const uint8_t *trace_cursor_blob(struct trace_cursor *c, size_t *n);
/* A string: malloc'd, NUL-terminated; NULL on failure (and on embedded
 * NULs, which no C string could have produced). */
char *trace_cursor_strdup(struct trace_cursor *c);

/* CRC32C (Castagnoli), the iSCSI/ext4 checksum: SSE4.2 where available.
 * Start with crc = 0; pass the previous result to continue. */
uint32_t trace_crc32c(uint32_t crc, const void *data, size_t len);

#define TRACE_SHA256_SIZE 32
/* libcrypto's SHA-256 (SHA-NI where the CPU has it): stored files are
 * hashed at every recording.  Opaque here: a SHA256_CTX inside. */
struct trace_sha256 {
	_Alignas(16) unsigned char ctx[128];
};
void trace_sha256_init(struct trace_sha256 *s);
void trace_sha256_update(struct trace_sha256 *s, const void *data, size_t len);
void trace_sha256_final(struct trace_sha256 *s, uint8_t out[TRACE_SHA256_SIZE]);
/* Lower-case hex of n bytes into out (2n+1 bytes). */
void trace_hex(char *out, const uint8_t *bytes, size_t n);

#endif
