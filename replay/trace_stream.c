/* Record streams: records packed into zstd-compressed, checksummed blocks.
 *
 * A stream file is a sequence of blocks, each a 28-byte header followed
 * by a zstd frame.  The uncompressed bytes of consecutive blocks form one
 * byte sequence of records {u32 type, u32 length, bytes}; a record may
 * continue into the next block, so block size bounds memory, not record
 * size.  The last block of a closed stream is an empty one flagged END:
 * without it the stream was cut short (recorder killed), which readers
 * report as truncation rather than corruption.  Layout details are in
 * docs/trace-format.md. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zstd.h>

#include "replay/trace.h"
#include "replay/trace_codec.h"

#define BLOCK_MAGIC 0x42525258u         /* "XRRB" little-endian */
#define BLOCK_HEADER_SIZE 28
#define BLOCK_FLAG_END 1u
#define RECORD_HEADER_SIZE 8
/* A record's buffer grows by at most this much ahead of its bytes. */
#define RECORD_CHUNK (1u << 20)
/* Fast enough to keep up with a recorder; traces are mostly registers
 * and memory, which compress well even at low levels. */
#define ZSTD_LEVEL 1

struct block_header {
	uint32_t magic, flags, seq, clen, ulen, data_crc, header_crc;
};

static void encode_block_header(uint8_t out[BLOCK_HEADER_SIZE],
				const struct block_header *h)
{
	struct trace_buf b;
	trace_buf_init(&b);
	trace_buf_put_u32(&b, h->magic);
	trace_buf_put_u32(&b, h->flags);
	trace_buf_put_u32(&b, h->seq);
	trace_buf_put_u32(&b, h->clen);
	trace_buf_put_u32(&b, h->ulen);
	trace_buf_put_u32(&b, h->data_crc);
	uint32_t hcrc = b.failed ? 0 : trace_crc32c(0, b.data, b.len);
	trace_buf_put_u32(&b, hcrc);
	if (!b.failed)
		memcpy(out, b.data, BLOCK_HEADER_SIZE);
	trace_buf_free(&b);
}

static void decode_block_header(const uint8_t in[BLOCK_HEADER_SIZE],
				struct block_header *h)
{
	struct trace_cursor c;
	trace_cursor_init(&c, in, BLOCK_HEADER_SIZE);
	h->magic = trace_cursor_u32(&c);
	h->flags = trace_cursor_u32(&c);
	h->seq = trace_cursor_u32(&c);
	h->clen = trace_cursor_u32(&c);
	h->ulen = trace_cursor_u32(&c);
	h->data_crc = trace_cursor_u32(&c);
	h->header_crc = trace_cursor_u32(&c);
}

/* ---- writer --------------------------------------------------------------- */

struct trace_writer {
	char *path;
	int fd;
	size_t block_size;
	uint8_t *pending;       /* uncompressed bytes of the open block */
	size_t used;
	uint8_t *out;           /* block header + compressed frame */
	size_t out_cap;
	ZSTD_CCtx *cctx;
	uint32_t seq;
	uint64_t offset;        /* where the next block goes */
	uint64_t records;
	bool failed;
	char err[512];
};

__attribute__((format(printf, 2, 3)))
static void writer_fail(struct trace_writer *w, const char *fmt, ...)
{
	if (w->failed)
		return;         /* keep the first cause */
	int n = snprintf(w->err, sizeof(w->err), "trace %s: ", w->path);
	va_list ap;
	va_start(ap, fmt);
	if (n > 0 && (size_t)n < sizeof(w->err))
		vsnprintf(w->err + n, sizeof(w->err) - n, fmt, ap);
	va_end(ap);
	w->failed = true;
}

static int write_all(int fd, const uint8_t *p, size_t n)
{
	while (n) {
		ssize_t k = write(fd, p, n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return k < 0 ? -errno : -EIO;
		p += k;
		n -= (size_t)k;
	}
	return 0;
}

static void writer_free(struct trace_writer *w)
{
	if (w->fd >= 0)
		close(w->fd);
	ZSTD_freeCCtx(w->cctx);
	free(w->pending);
	free(w->out);
	free(w->path);
	free(w);
}

struct trace_writer *trace_writer_create(const char *path, size_t block_size,
					 char *err, size_t errlen)
{
	if (block_size == 0)
		block_size = TRACE_BLOCK_SIZE_DEFAULT;
	if (block_size > TRACE_BLOCK_SIZE_MAX) {
		snprintf(err, errlen, "trace %s: block size %zu above the maximum %u",
			 path, block_size, TRACE_BLOCK_SIZE_MAX);
		return NULL;
	}
	struct trace_writer *w = calloc(1, sizeof(*w));
	if (!w) {
		snprintf(err, errlen, "trace %s: out of memory", path);
		return NULL;
	}
	w->fd = -1;
	w->block_size = block_size;
	w->out_cap = BLOCK_HEADER_SIZE + ZSTD_compressBound(block_size);
	w->path = strdup(path);
	w->pending = malloc(block_size);
	w->out = malloc(w->out_cap);
	w->cctx = ZSTD_createCCtx();
	if (!w->path || !w->pending || !w->out || !w->cctx) {
		snprintf(err, errlen, "trace %s: out of memory", path);
		writer_free(w);
		return NULL;
	}
	w->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (w->fd < 0) {
		snprintf(err, errlen, "trace %s: cannot create: %s", path,
			 strerror(errno));
		writer_free(w);
		return NULL;
	}
	return w;
}

/* Compress the pending bytes into one block and write it with a single
 * write(), so a killed recorder leaves at most one partial block. */
static int emit_block(struct trace_writer *w, uint32_t flags)
{
	if (w->failed)
		return -1;
	size_t clen = ZSTD_compressCCtx(w->cctx, w->out + BLOCK_HEADER_SIZE,
					w->out_cap - BLOCK_HEADER_SIZE,
					w->pending, w->used, ZSTD_LEVEL);
	if (ZSTD_isError(clen)) {
		writer_fail(w, "block at offset %" PRIu64 ": compression failed: %s",
			    w->offset, ZSTD_getErrorName(clen));
		return -1;
	}
	struct block_header h = {
		.magic = BLOCK_MAGIC, .flags = flags, .seq = w->seq,
		.clen = (uint32_t)clen, .ulen = (uint32_t)w->used,
		.data_crc = trace_crc32c(0, w->pending, w->used),
	};
	encode_block_header(w->out, &h);
	int rc = write_all(w->fd, w->out, BLOCK_HEADER_SIZE + clen);
	if (rc < 0) {
		writer_fail(w, "block at offset %" PRIu64 ": write failed: %s",
			    w->offset, strerror(-rc));
		return -1;
	}
	w->offset += BLOCK_HEADER_SIZE + clen;
	w->seq++;
	w->used = 0;
	return 0;
}

static int write_stream_bytes(struct trace_writer *w, const uint8_t *p,
			      size_t n)
{
	while (n) {
		size_t take = w->block_size - w->used;
		if (take > n)
			take = n;
		memcpy(w->pending + w->used, p, take);
		w->used += take;
		p += take;
		n -= take;
		if (w->used == w->block_size && emit_block(w, 0) < 0)
			return -1;
	}
	return 0;
}

int trace_writer_append(struct trace_writer *w, uint32_t type,
			const void *data, size_t len)
{
	if (w->failed)
		return -1;
	if (len > TRACE_RECORD_MAX) {
		/* Not sticky: the stream itself is still fine. */
		snprintf(w->err, sizeof(w->err),
			 "trace %s: record of %zu bytes above the maximum %u",
			 w->path, len, TRACE_RECORD_MAX);
		return -1;
	}
	uint8_t rh[RECORD_HEADER_SIZE];
	for (int i = 0; i < 4; i++) {
		rh[i] = (uint8_t)(type >> (8 * i));
		rh[4 + i] = (uint8_t)(len >> (8 * i));
	}
	if (write_stream_bytes(w, rh, sizeof(rh)) < 0 ||
	    write_stream_bytes(w, data, len) < 0)
		return -1;
	w->records++;
	return 0;
}

int trace_writer_flush(struct trace_writer *w)
{
	if (w->failed)
		return -1;
	return w->used ? emit_block(w, 0) : 0;
}

int trace_writer_close(struct trace_writer *w, char *err, size_t errlen)
{
	trace_writer_flush(w);
	emit_block(w, BLOCK_FLAG_END);
	if (!w->failed && fsync(w->fd) < 0)
		writer_fail(w, "fsync failed: %s", strerror(errno));
	if (!w->failed) {
		int rc = close(w->fd);
		w->fd = -1;     /* closed, even if close() reported an error */
		if (rc < 0)
			writer_fail(w, "close failed: %s", strerror(errno));
	}
	int rc = w->failed ? -1 : 0;
	if (rc < 0)
		snprintf(err, errlen, "%s", w->err);
	writer_free(w);
	return rc;
}

void trace_writer_abandon(struct trace_writer *w)
{
	writer_free(w);
}

const char *trace_writer_error(const struct trace_writer *w)
{
	return w->err;
}

uint64_t trace_writer_records(const struct trace_writer *w)
{
	return w->records;
}

/* ---- reader --------------------------------------------------------------- */

struct trace_reader {
	char *path;
	int fd;
	uint64_t offset;        /* file offset of the next block */
	uint64_t block_offset;  /* of the block being consumed */
	uint32_t seq;           /* expected sequence number of the next block */
	uint8_t *block;         /* its uncompressed bytes */
	size_t block_len, block_pos, block_cap;
	uint8_t *comp;
	size_t comp_cap;
	ZSTD_DCtx *dctx;
	struct trace_buf record;
	/* The record last returned (its bytes are `record`), for
	 * trace_reader_last. */
	bool have_last;
	uint32_t last_type;
	uint64_t last_offset;
	uint64_t records;       /* returned so far */
	enum trace_status status;
	char err[512];
};

__attribute__((format(printf, 3, 4)))
static enum trace_status reader_fail(struct trace_reader *r,
				     enum trace_status st, const char *fmt, ...)
{
	int n = snprintf(r->err, sizeof(r->err), "trace %s: ", r->path);
	va_list ap;
	va_start(ap, fmt);
	if (n > 0 && (size_t)n < sizeof(r->err))
		vsnprintf(r->err + n, sizeof(r->err) - n, fmt, ap);
	va_end(ap);
	r->status = st;
	return st;
}

struct trace_reader *trace_reader_open(const char *path, char *err,
				       size_t errlen)
{
	struct trace_reader *r = calloc(1, sizeof(*r));
	if (!r || !(r->path = strdup(path)) || !(r->dctx = ZSTD_createDCtx())) {
		snprintf(err, errlen, "trace %s: out of memory", path);
		if (r) {
			free(r->path);
			free(r);
		}
		return NULL;
	}
	trace_buf_init(&r->record);
	r->status = TRACE_RECORD;
	r->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (r->fd < 0) {
		snprintf(err, errlen, "trace %s: cannot open: %s", path,
			 strerror(errno));
		trace_reader_close(r);
		return NULL;
	}
	return r;
}

void trace_reader_close(struct trace_reader *r)
{
	if (!r)
		return;
	if (r->fd >= 0)
		close(r->fd);
	ZSTD_freeDCtx(r->dctx);
	trace_buf_free(&r->record);
	free(r->block);
	free(r->comp);
	free(r->path);
	free(r);
}

const char *trace_reader_error(const struct trace_reader *r)
{
	return r->err;
}

const char *trace_reader_path(const struct trace_reader *r)
{
	return r->path;
}

/* Bytes read at off (fewer only at end of file), or -errno. */
static ssize_t read_at(int fd, void *buf, size_t n, uint64_t off)
{
	size_t got = 0;
	while (got < n) {
		ssize_t k = pread(fd, (uint8_t *)buf + got, n - got,
				  (off_t)(off + got));
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return -errno;
		if (k == 0)
			break;
		got += (size_t)k;
	}
	return (ssize_t)got;
}

static bool reserve(uint8_t **buf, size_t *cap, size_t n)
{
	if (n <= *cap)
		return true;
	uint8_t *p = realloc(*buf, n);
	if (!p)
		return false;
	*buf = p;
	*cap = n;
	return true;
}

static enum trace_status read_block_header(struct trace_reader *r,
					   struct block_header *h)
{
	uint8_t raw[BLOCK_HEADER_SIZE];
	uint64_t off = r->offset;
	ssize_t got = read_at(r->fd, raw, sizeof(raw), off);
	if (got < 0)
		return reader_fail(r, TRACE_IO_ERROR, "read at offset %" PRIu64
				   ": %s", off, strerror((int)-got));
	if (got == 0)
		return reader_fail(r, TRACE_TRUNCATED, "ends at offset %" PRIu64
				   " without an end-of-stream marker (recording"
				   " interrupted?); %" PRIu64 " records before it"
				   " are valid", off, r->records);
	if (got < BLOCK_HEADER_SIZE)
		return reader_fail(r, TRACE_TRUNCATED, "block at offset %" PRIu64
				   ": header cut short (%zd of %d bytes; recording"
				   " interrupted?); %" PRIu64 " records before it"
				   " are valid", off, got, BLOCK_HEADER_SIZE,
				   r->records);
	decode_block_header(raw, h);
	if (h->magic != BLOCK_MAGIC)
		return reader_fail(r, TRACE_CORRUPT, "block at offset %" PRIu64
				   ": bad magic 0x%08" PRIx32 " (not a trace stream,"
				   " or corrupted)", off, h->magic);
	if (trace_crc32c(0, raw, BLOCK_HEADER_SIZE - 4) != h->header_crc)
		return reader_fail(r, TRACE_CORRUPT, "block at offset %" PRIu64
				   ": header checksum mismatch (file corrupted?)",
				   off);
	if (h->seq != r->seq)
		return reader_fail(r, TRACE_CORRUPT, "block at offset %" PRIu64
				   ": sequence number %" PRIu32 ", expected %" PRIu32
				   " (file corrupted?)", off, h->seq, r->seq);
	if (h->ulen > TRACE_BLOCK_SIZE_MAX ||
	    h->clen > ZSTD_compressBound(h->ulen) ||
	    ((h->flags & BLOCK_FLAG_END) && h->ulen != 0) ||
	    (h->flags & ~BLOCK_FLAG_END))
		return reader_fail(r, TRACE_CORRUPT, "block at offset %" PRIu64
				   ": impossible header (flags 0x%" PRIx32
				   ", %" PRIu32 " -> %" PRIu32 " bytes)", off,
				   h->flags, h->clen, h->ulen);
	return TRACE_RECORD;
}

static enum trace_status read_block_payload(struct trace_reader *r,
					    const struct block_header *h)
{
	uint64_t off = r->offset;
	if (!reserve(&r->comp, &r->comp_cap, h->clen) ||
	    !reserve(&r->block, &r->block_cap, h->ulen ? h->ulen : 1))
		return reader_fail(r, TRACE_IO_ERROR, "block at offset %" PRIu64
				   ": out of memory", off);
	ssize_t got = read_at(r->fd, r->comp, h->clen, off + BLOCK_HEADER_SIZE);
	if (got < 0)
		return reader_fail(r, TRACE_IO_ERROR, "read at offset %" PRIu64
				   ": %s", off, strerror((int)-got));
	if ((size_t)got < h->clen)
		return reader_fail(r, TRACE_TRUNCATED, "block at offset %" PRIu64
				   ": cut short (%zd of %" PRIu32 " bytes; recording"
				   " interrupted?); %" PRIu64 " records before it"
				   " are valid", off, got, h->clen, r->records);
	size_t n = ZSTD_decompressDCtx(r->dctx, r->block, h->ulen, r->comp,
				       h->clen);
	if (ZSTD_isError(n))
		return reader_fail(r, TRACE_CORRUPT, "block at offset %" PRIu64
				   ": decompression failed: %s (file corrupted?)",
				   off, ZSTD_getErrorName(n));
	if (n != h->ulen || trace_crc32c(0, r->block, n) != h->data_crc)
		return reader_fail(r, TRACE_CORRUPT, "block at offset %" PRIu64
				   ": checksum mismatch (file corrupted?)", off);
	return TRACE_RECORD;
}

/* The END block must be the last thing in the file. */
static enum trace_status check_nothing_after_end(struct trace_reader *r)
{
	uint8_t byte;
	ssize_t got = read_at(r->fd, &byte, 1, r->offset);
	if (got < 0)
		return reader_fail(r, TRACE_IO_ERROR, "read at offset %" PRIu64
				   ": %s", r->offset, strerror((int)-got));
	if (got)
		return reader_fail(r, TRACE_CORRUPT, "unexpected data at offset %"
				   PRIu64 " after the end-of-stream marker",
				   r->offset);
	r->status = TRACE_EOF;
	return TRACE_EOF;
}

/* Load the next block: TRACE_RECORD, or TRACE_EOF at the END block, or
 * an error. */
static enum trace_status load_block(struct trace_reader *r)
{
	struct block_header h;
	enum trace_status st = read_block_header(r, &h);
	if (st == TRACE_RECORD)
		st = read_block_payload(r, &h);
	if (st != TRACE_RECORD)
		return st;
	r->block_offset = r->offset;
	r->offset += BLOCK_HEADER_SIZE + h.clen;
	r->seq++;
	r->block_len = h.ulen;
	r->block_pos = 0;
	if (h.flags & BLOCK_FLAG_END)
		return check_nothing_after_end(r);
	return TRACE_RECORD;
}

/* Make at least one unread byte available. */
static enum trace_status ensure_bytes(struct trace_reader *r)
{
	while (r->block_pos == r->block_len) {
		enum trace_status st = load_block(r);
		if (st != TRACE_RECORD)
			return st;
	}
	return TRACE_RECORD;
}

/* Copy n stream bytes, crossing blocks.  Running into the END marker
 * here means a record was cut by it: the writer never does that. */
static enum trace_status pull(struct trace_reader *r, uint8_t *dst, size_t n)
{
	while (n) {
		enum trace_status st = ensure_bytes(r);
		if (st == TRACE_EOF)
			return reader_fail(r, TRACE_CORRUPT, "record %" PRIu64
					   " cut by the end-of-stream marker at"
					   " offset %" PRIu64, r->records,
					   r->block_offset);
		if (st != TRACE_RECORD)
			return st;
		size_t take = r->block_len - r->block_pos;
		if (take > n)
			take = n;
		memcpy(dst, r->block + r->block_pos, take);
		r->block_pos += take;
		dst += take;
		n -= take;
	}
	return TRACE_RECORD;
}

enum trace_status trace_reader_next(struct trace_reader *r,
				    struct trace_record *rec)
{
	if (r->status != TRACE_RECORD)
		return r->status;
	enum trace_status st = ensure_bytes(r);
	uint64_t start = r->block_offset;       /* where the record begins */
	uint8_t rh[RECORD_HEADER_SIZE];
	if (st == TRACE_RECORD)
		st = pull(r, rh, sizeof(rh));
	if (st != TRACE_RECORD)
		return st;
	struct trace_cursor c;
	trace_cursor_init(&c, rh, sizeof(rh));
	uint32_t type = trace_cursor_u32(&c);
	uint32_t len = trace_cursor_u32(&c);
	if (len > TRACE_RECORD_MAX)
		return reader_fail(r, TRACE_CORRUPT, "record %" PRIu64 " in block"
				   " at offset %" PRIu64 ": length %" PRIu32
				   " above the maximum", r->records, start, len);
	/* Memory follows the bytes that arrive, a chunk at a time: a
	 * damaged length is reported as damage without first allocating
	 * up to TRACE_RECORD_MAX. */
	r->have_last = false;
	trace_buf_reset(&r->record);
	for (uint32_t got = 0;; ) {
		uint32_t chunk = len - got < RECORD_CHUNK ? len - got : RECORD_CHUNK;
		uint8_t *at = trace_buf_grow(&r->record, chunk);
		if (!at)
			return reader_fail(r, TRACE_IO_ERROR, "record %" PRIu64
					   " in block at offset %" PRIu64 ": out"
					   " of memory for %" PRIu32 " bytes",
					   r->records, start, len);
		if (chunk == 0)
			break;
		st = pull(r, at, chunk);
		if (st != TRACE_RECORD)
			return st;
		got += chunk;
	}
	rec->type = type;
	rec->len = len;
	rec->data = r->record.data;
	rec->index = r->records++;
	rec->offset = start;
	r->have_last = true;
	r->last_type = type;
	r->last_offset = start;
	return TRACE_RECORD;
}

bool trace_reader_last(const struct trace_reader *r, struct trace_record *rec)
{
	if (!r->have_last)
		return false;
	rec->type = r->last_type;
	rec->len = (uint32_t)r->record.len;
	rec->data = r->record.data;
	rec->index = r->records - 1;
	rec->offset = r->last_offset;
	return true;
}

static bool copy_bytes(uint8_t **dst, size_t *cap, const uint8_t *src,
		       size_t n)
{
	*dst = malloc(n ? n : 1);
	*cap = n ? n : 1;
	if (*dst && n)
		memcpy(*dst, src, n);
	return *dst != NULL;
}

/* A clone decompresses on its own (its own zstd context and buffers) and
 * reads through its own descriptor: pread keeps no shared file offset,
 * but each reader closes its fd. */
struct trace_reader *trace_reader_clone(const struct trace_reader *r,
					char *err, size_t errlen)
{
	struct trace_reader *c = calloc(1, sizeof(*c));

	if (c) {
		*c = *r;
		c->fd = -1;
		c->path = NULL;
		c->block = c->comp = NULL;
		c->block_cap = c->comp_cap = 0;
		c->dctx = NULL;
		trace_buf_init(&c->record);
		c->path = strdup(r->path);
		c->dctx = ZSTD_createDCtx();
	}
	bool ok = c && c->path && c->dctx &&
		  copy_bytes(&c->block, &c->block_cap, r->block, r->block_len);
	if (ok && r->record.len)
		trace_buf_put_bytes(&c->record, r->record.data, r->record.len);
	ok = ok && !c->record.failed;
	if (!ok) {
		snprintf(err, errlen, "trace %s: cloning its reader: out of "
			 "memory", r->path);
	} else if ((c->fd = fcntl(r->fd, F_DUPFD_CLOEXEC, 0)) < 0) {
		snprintf(err, errlen, "trace %s: cloning its reader: dup: %s",
			 r->path, strerror(errno));
		ok = false;
	}
	if (!ok) {
		trace_reader_close(c);
		return NULL;
	}
	return c;
}
