/* Unit tests for the trace format: codec helpers, header, block streams
 * (including damage: flipped bytes, truncation, a killed recorder),
 * stored files, trace directory naming, event records. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zstd.h>

#include "replay/trace.h"
#include "replay/trace_codec.h"
#include "replay/trace_events.h"
#include "testsuite/unit/cunit_main.h"

/* ---- helpers ----------------------------------------------------------- */

/* snprintf into an array, failing the test if it does not fit. */
#define FMT(buf, ...) \
	CU_ASSERT_FATAL(snprintf(buf, sizeof(buf), __VA_ARGS__) < (int)sizeof(buf))

static char tmp_root[PATH_MAX];

static int remove_entry(const char *path, const struct stat *st, int type,
			struct FTW *ftw)
{
	return remove(path);
}

static int suite_init(void)
{
	strcpy(tmp_root, "/tmp/xrr-test-trace.XXXXXX");
	return mkdtemp(tmp_root) ? 0 : -1;
}

static int suite_cleanup(void)
{
	return nftw(tmp_root, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* A fresh path under the suite's directory (one of 4 rotating buffers:
 * copy it if more calls follow). */
static const char *tmp_path(const char *name)
{
	static char buf[4][PATH_MAX];
	static int which;
	static int counter;
	char *p = buf[which++ % 4];
	if (snprintf(p, PATH_MAX, "%s/%d-%s", tmp_root, counter++, name) >= PATH_MAX)
		abort();
	return p;
}

/* Deterministic bytes: xorshift, so content differs per seed. */
static void fill_pattern(uint8_t *buf, size_t n, uint64_t seed)
{
	uint64_t x = seed * 0x9e3779b97f4a7c15ull + 1;
	for (size_t i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		buf[i] = (uint8_t)x;
	}
}

static void write_file(const char *path, const void *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_FATAL(write(fd, data, len) == (ssize_t)len);
	close(fd);
}

static off_t file_size(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 ? st.st_size : -1;
}

static void flip_byte(const char *path, off_t off)
{
	int fd = open(path, O_RDWR);
	uint8_t b;
	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_FATAL(pread(fd, &b, 1, off) == 1);
	b ^= 0x40;
	CU_ASSERT_FATAL(pwrite(fd, &b, 1, off) == 1);
	close(fd);
}

/* Offsets of the blocks of a stream file (from their headers: the
 * compressed length is the u32 at +12, the header is 28 bytes). */
static size_t block_offsets(const char *path, off_t *offs, size_t max)
{
	int fd = open(path, O_RDONLY);
	off_t off = 0, size = file_size(path);
	size_t n = 0;
	while (fd >= 0 && off + 28 <= size && n < max) {
		uint8_t h[28];
		CU_ASSERT_FATAL(pread(fd, h, 28, off) == 28);
		offs[n++] = off;
		off += 28 + (h[12] | h[13] << 8 | h[14] << 16 | (off_t)h[15] << 24);
	}
	if (fd >= 0)
		close(fd);
	return n;
}

#define REC_SIZE 120    /* + 8-byte record header = 128: 32 per 4 KiB block */
#define SMALL_BLOCK 4096

/* nrec records of REC_SIZE pattern bytes, type = index. */
static void write_fixed_stream(const char *path, int nrec, bool close_it)
{
	char err[512];
	struct trace_writer *w = trace_writer_create(path, SMALL_BLOCK, err,
						     sizeof(err));
	CU_ASSERT_FATAL(w != NULL);
	for (int i = 0; i < nrec; i++) {
		uint8_t rec[REC_SIZE];
		fill_pattern(rec, sizeof(rec), (uint64_t)i);
		CU_ASSERT_FATAL(trace_writer_append(w, (uint32_t)i, rec,
						    sizeof(rec)) == 0);
	}
	if (close_it) {
		CU_ASSERT_FATAL(trace_writer_close(w, err, sizeof(err)) == 0);
	} else {
		trace_writer_abandon(w);
	}
}

/* Read a fixed stream: every record returned must be the original; the
 * count read goes to *nread and the final status is returned. */
static enum trace_status read_fixed_stream(const char *path, int *nread,
					   char *msg, size_t msglen)
{
	char err[512];
	struct trace_reader *r = trace_reader_open(path, err, sizeof(err));
	CU_ASSERT_FATAL(r != NULL);
	struct trace_record rec;
	enum trace_status st;
	*nread = 0;
	while ((st = trace_reader_next(r, &rec)) == TRACE_RECORD) {
		uint8_t want[REC_SIZE];
		fill_pattern(want, sizeof(want), (uint64_t)*nread);
		bool same = rec.type == (uint32_t)*nread &&
			    rec.index == (uint64_t)*nread && rec.len == REC_SIZE &&
			    memcmp(rec.data, want, REC_SIZE) == 0;
		CU_ASSERT(same);
		if (!same)
			break;  /* one failure says it; thousands would not */
		(*nread)++;
	}
	snprintf(msg, msglen, "%s", trace_reader_error(r));
	trace_reader_close(r);
	return st;
}

/* ---- codec ------------------------------------------------------------- */

static void test_codec_roundtrip(void)
{
	struct trace_buf b;
	trace_buf_init(&b);
	trace_buf_put_u8(&b, 0xab);
	trace_buf_put_u16(&b, 0xbeef);
	trace_buf_put_u32(&b, 0xdeadbeef);
	trace_buf_put_u64(&b, 0x0123456789abcdefull);
	trace_buf_put_blob(&b, "xyz", 3);
	trace_buf_put_str(&b, "hello");
	trace_buf_put_str(&b, NULL);
	CU_ASSERT_FALSE(b.failed);
	/* Little-endian on the wire, whatever the host. */
	CU_ASSERT_EQUAL(b.data[1], 0xef);
	CU_ASSERT_EQUAL(b.data[2], 0xbe);

	struct trace_cursor c;
	trace_cursor_init(&c, b.data, b.len);
	CU_ASSERT_EQUAL(trace_cursor_u8(&c), 0xab);
	CU_ASSERT_EQUAL(trace_cursor_u16(&c), 0xbeef);
	CU_ASSERT_EQUAL(trace_cursor_u32(&c), 0xdeadbeef);
	CU_ASSERT_EQUAL(trace_cursor_u64(&c), 0x0123456789abcdefull);
	size_t n;
	const uint8_t *p = trace_cursor_blob(&c, &n);
	CU_ASSERT(n == 3 && p && memcmp(p, "xyz", 3) == 0);
	char *s = trace_cursor_strdup(&c);
	CU_ASSERT_STRING_EQUAL(s, "hello");
	free(s);
	s = trace_cursor_strdup(&c);
	CU_ASSERT_STRING_EQUAL(s, "");
	free(s);
	CU_ASSERT_EQUAL(trace_cursor_left(&c), 0);
	CU_ASSERT_FALSE(c.failed);
	trace_buf_free(&b);
}

static void test_codec_cursor_overrun(void)
{
	uint8_t data[12] = { 0 };
	struct trace_cursor c;
	trace_cursor_init(&c, data, sizeof(data));
	trace_cursor_u64(&c);
	CU_ASSERT_FALSE(c.failed);
	CU_ASSERT_EQUAL(trace_cursor_u64(&c), 0);      /* only 4 left */
	CU_ASSERT_TRUE(c.failed);
	CU_ASSERT_EQUAL(trace_cursor_left(&c), 0);

	/* A blob whose length claims more than there is. */
	uint8_t lie[12] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f };
	size_t n = 99;
	trace_cursor_init(&c, lie, sizeof(lie));
	CU_ASSERT_PTR_NULL(trace_cursor_blob(&c, &n));
	CU_ASSERT_EQUAL(n, 0);
	CU_ASSERT_TRUE(c.failed);

	/* A string with an embedded NUL cannot be a C string. */
	struct trace_buf b;
	trace_buf_init(&b);
	trace_buf_put_blob(&b, "a\0b", 3);
	trace_cursor_init(&c, b.data, b.len);
	CU_ASSERT_PTR_NULL(trace_cursor_strdup(&c));
	CU_ASSERT_TRUE(c.failed);
	trace_buf_free(&b);
}

static void test_crc32c_vectors(void)
{
	/* The CRC32C check value (RFC 3720 family). */
	CU_ASSERT_EQUAL(trace_crc32c(0, "123456789", 9), 0xe3069283u);
	CU_ASSERT_EQUAL(trace_crc32c(0, "", 0), 0);
	uint8_t buf[1000];
	fill_pattern(buf, sizeof(buf), 7);
	uint32_t whole = trace_crc32c(0, buf, sizeof(buf));
	uint32_t parts = trace_crc32c(trace_crc32c(0, buf, 333), buf + 333, 667);
	CU_ASSERT_EQUAL(whole, parts);
	buf[500] ^= 1;
	CU_ASSERT_NOT_EQUAL(trace_crc32c(0, buf, sizeof(buf)), whole);
}

static void sha256_hex(const void *data, size_t len, char out[65])
{
	struct trace_sha256 s;
	uint8_t d[TRACE_SHA256_SIZE];
	trace_sha256_init(&s);
	trace_sha256_update(&s, data, len);
	trace_sha256_final(&s, d);
	trace_hex(out, d, sizeof(d));
}

static void test_sha256_vectors(void)
{
	char hex[65];
	sha256_hex("", 0, hex);
	CU_ASSERT_STRING_EQUAL(hex, "e3b0c44298fc1c149afbf4c8996fb924"
				    "27ae41e4649b934ca495991b7852b855");
	sha256_hex("abc", 3, hex);
	CU_ASSERT_STRING_EQUAL(hex, "ba7816bf8f01cfea414140de5dae2223"
				    "b00361a396177a9cb410ff61f20015ad");
	const char *two = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
	sha256_hex(two, strlen(two), hex);
	CU_ASSERT_STRING_EQUAL(hex, "248d6a61d20638b8e5c026930c3e6039"
				    "a33ce45964ff2167f6ecedd419db06c1");
	/* One million 'a', fed in uneven pieces. */
	struct trace_sha256 s;
	uint8_t chunk[997], d[32];
	memset(chunk, 'a', sizeof(chunk));
	trace_sha256_init(&s);
	size_t left = 1000000;
	while (left) {
		size_t n = left < sizeof(chunk) ? left : sizeof(chunk);
		trace_sha256_update(&s, chunk, n);
		left -= n;
	}
	trace_sha256_final(&s, d);
	trace_hex(hex, d, 32);
	CU_ASSERT_STRING_EQUAL(hex, "cdc76e5c9914fb9281a1c7e284d73e67"
				    "f1809a48a497200e046d39ccc7112cd0");
}

/* ---- header ------------------------------------------------------------ */

static void make_full_header(struct trace_header *h)
{
	trace_header_init(h);
	CU_ASSERT_FATAL(trace_header_fill_host(h) == 0);
	char *argv[] = { "/bin/prog", "--flag", "arg with spaces\nand newline", NULL };
	char *envp[] = { "PATH=/usr/bin", "EMPTY=", "X=\x01\xff", NULL };
	CU_ASSERT_FATAL(trace_header_set_argv(h, argv) == 0);
	CU_ASSERT_FATAL(trace_header_set_envp(h, envp) == 0);
	for (uint32_t leaf = 0; leaf < 0x20; leaf++) {
		struct cpuid_leaf l = { leaf, 0, leaf * 3, leaf * 5, leaf * 7, ~leaf };
		CU_ASSERT_FATAL(trace_header_add_cpuid(h, &l) == 0);
	}
	/* 0xD,0 was added above; all 64 sub-leaves of 0xD. */
	for (uint32_t sub = 1; sub < 64; sub++) {
		struct cpuid_leaf l = { 0xd, sub, 0x100 + sub, 0x200 + sub,
					sub & 1 ? 2 : 0, 0 };
		CU_ASSERT_FATAL(trace_header_add_cpuid(h, &l) == 0);
	}
	struct cpuid_leaf ext = { 0x80000001, 0, 1, 2, 3, 4 };
	CU_ASSERT_FATAL(trace_header_add_cpuid(h, &ext) == 0);
	h->host_xcr0 = 0x2e7;
	h->initial_xcr0 = 0x7;
	CU_ASSERT_FATAL(trace_header_set_thread_xcr0(h, 100, 0x7) == 0);
	CU_ASSERT_FATAL(trace_header_set_thread_xcr0(h, 101, 0xe7) == 0);
	CU_ASSERT_FATAL(trace_header_set_thread_xcr0(h, 100, 0x3) == 0);
	h->xsave.supported_xcr0 = 0x2e7;
	h->xsave.max_size = 2696;
	h->xsave.comp[2] = (struct xsave_component_layout){ 576, 256, false, true };
	h->xsave.comp[5] = (struct xsave_component_layout){ 1088, 64, false, true };
	h->xsave.comp[6] = (struct xsave_component_layout){ 1152, 512, true, true };
	h->xsave.comp[9] = (struct xsave_component_layout){ 2688, 8, false, true };
	h->cpuid_faulting = true;
	h->kernel_xcr0_control = true;
	h->insn_virt = 3;
	CU_ASSERT_FATAL(trace_header_set_string(&h->tick_source, "intel-pt-fake") == 0);
	h->bound_cpu = 5;
}

static void assert_strv_equal(char **a, size_t na, char **b, size_t nb)
{
	CU_ASSERT_EQUAL_FATAL(na, nb);
	for (size_t i = 0; i < na; i++)
		CU_ASSERT_STRING_EQUAL(a[i], b[i]);
	CU_ASSERT_PTR_NULL(b[nb]);
}

static void assert_headers_equal(const struct trace_header *a,
				 const struct trace_header *b)
{
	CU_ASSERT_EQUAL(b->format_major, TRACE_FORMAT_MAJOR);
	CU_ASSERT(memcmp(a->uuid, b->uuid, 16) == 0);
	CU_ASSERT_STRING_EQUAL(a->xrr_version, b->xrr_version);
	assert_strv_equal(a->argv, a->argc, b->argv, b->argc);
	assert_strv_equal(a->envp, a->envc, b->envp, b->envc);
	CU_ASSERT_STRING_EQUAL(a->cwd, b->cwd);
	CU_ASSERT_STRING_EQUAL(a->uname.sysname, b->uname.sysname);
	CU_ASSERT_STRING_EQUAL(a->uname.nodename, b->uname.nodename);
	CU_ASSERT_STRING_EQUAL(a->uname.release, b->uname.release);
	CU_ASSERT_STRING_EQUAL(a->uname.version, b->uname.version);
	CU_ASSERT_STRING_EQUAL(a->uname.machine, b->uname.machine);
	CU_ASSERT_EQUAL(a->page_size, b->page_size);
	CU_ASSERT_EQUAL_FATAL(a->ncpuid, b->ncpuid);
	CU_ASSERT(memcmp(a->cpuid, b->cpuid, a->ncpuid * sizeof(*a->cpuid)) == 0);
	CU_ASSERT_EQUAL(a->host_xcr0, b->host_xcr0);
	CU_ASSERT_EQUAL(a->initial_xcr0, b->initial_xcr0);
	CU_ASSERT_EQUAL_FATAL(a->nthread_xcr0, b->nthread_xcr0);
	for (size_t i = 0; i < a->nthread_xcr0; i++) {
		CU_ASSERT_EQUAL(a->thread_xcr0[i].tid, b->thread_xcr0[i].tid);
		CU_ASSERT_EQUAL(a->thread_xcr0[i].xcr0, b->thread_xcr0[i].xcr0);
	}
	CU_ASSERT_EQUAL(a->xsave.supported_xcr0, b->xsave.supported_xcr0);
	CU_ASSERT_EQUAL(a->xsave.max_size, b->xsave.max_size);
	for (int i = 0; i < XSAVE_MAX_COMPONENTS; i++) {
		CU_ASSERT_EQUAL(a->xsave.comp[i].supported, b->xsave.comp[i].supported);
		CU_ASSERT_EQUAL(a->xsave.comp[i].offset, b->xsave.comp[i].offset);
		CU_ASSERT_EQUAL(a->xsave.comp[i].size, b->xsave.comp[i].size);
		CU_ASSERT_EQUAL(a->xsave.comp[i].align64, b->xsave.comp[i].align64);
	}
	CU_ASSERT_EQUAL(a->cpuid_faulting, b->cpuid_faulting);
	CU_ASSERT_EQUAL(a->kernel_xcr0_control, b->kernel_xcr0_control);
	CU_ASSERT_EQUAL(a->insn_virt, b->insn_virt);
	CU_ASSERT_STRING_EQUAL(a->tick_source, b->tick_source);
	CU_ASSERT_EQUAL(a->bound_cpu, b->bound_cpu);
}

static void test_header_roundtrip(void)
{
	struct trace_header h, back;
	struct trace_buf b;
	char err[512];
	make_full_header(&h);
	CU_ASSERT_EQUAL(h.nthread_xcr0, 2);     /* tid 100 replaced, not added */
	trace_buf_init(&b);
	CU_ASSERT_FATAL(trace_header_encode(&h, &b) == 0);
	CU_ASSERT(memcmp(b.data, "xrr-trace 2.4\n", 14) == 0);
	CU_ASSERT_FATAL(trace_header_decode(&back, b.data, b.len, "hdr", err,
					    sizeof(err)) == 0);
	assert_headers_equal(&h, &back);
	for (uint32_t sub = 0; sub < 64; sub++)
		CU_ASSERT_PTR_NOT_NULL(trace_header_find_cpuid(&back, 0xd, sub));
	CU_ASSERT_EQUAL(trace_header_find_cpuid(&back, 0xd, 63)->eax, 0x100 + 63);
	CU_ASSERT_PTR_NULL(trace_header_find_cpuid(&back, 0xd, 64));
	trace_header_free(&back);

	/* Defaults survive a round trip too. */
	struct trace_header empty;
	trace_header_init(&empty);
	trace_buf_reset(&b);
	CU_ASSERT_FATAL(trace_header_encode(&empty, &b) == 0);
	CU_ASSERT_FATAL(trace_header_decode(&back, b.data, b.len, "hdr", err,
					    sizeof(err)) == 0);
	CU_ASSERT_EQUAL(back.bound_cpu, -1);
	CU_ASSERT_STRING_EQUAL(back.tick_source, "none");
	CU_ASSERT_EQUAL(back.argc, 0);
	trace_header_free(&back);
	trace_header_free(&empty);
	trace_header_free(&h);
	trace_buf_free(&b);
}

/* Replace the END entry of an encoded header with `extra` entry bytes
 * and a new END entry, as a later minor version would write. */
static void splice_entry(struct trace_buf *b, uint16_t key, uint16_t flags,
			 const char *value)
{
	b->len -= 12;   /* END: key, flags, length 4, CRC */
	trace_buf_put_u16(b, key);
	trace_buf_put_u16(b, flags);
	trace_buf_put_u32(b, (uint32_t)strlen(value));
	trace_buf_put_bytes(b, value, strlen(value));
	trace_buf_put_u16(b, 0);
	trace_buf_put_u16(b, 0);
	trace_buf_put_u32(b, 4);
	trace_buf_put_u32(b, trace_crc32c(0, b->data, b->len));
}

static void test_header_unknown_keys(void)
{
	struct trace_header h, back;
	struct trace_buf b;
	char err[512];
	make_full_header(&h);
	trace_buf_init(&b);
	CU_ASSERT_FATAL(trace_header_encode(&h, &b) == 0);
	memcpy(b.data, "xrr-trace 2.7\n", 14);  /* a newer minor version */
	splice_entry(&b, 999, 0, "something new");
	CU_ASSERT_FATAL(trace_header_decode(&back, b.data, b.len, "hdr", err,
					    sizeof(err)) == 0);
	CU_ASSERT_EQUAL(back.format_minor, 7);
	assert_headers_equal(&h, &back);
	trace_header_free(&back);

	/* The same key flagged required must be refused. */
	splice_entry(&b, 1000, 1, "must understand");
	CU_ASSERT_EQUAL(trace_header_decode(&back, b.data, b.len, "/t/version",
					    err, sizeof(err)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "trace /t/version: header entry 1000"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "required"));

	/* An older major that is still read (1.x: one process, children
	 * not recorded). */
	trace_buf_free(&b);
	trace_buf_init(&b);
	CU_ASSERT_FATAL(trace_header_encode(&h, &b) == 0);
	memcpy(b.data, "xrr-trace 1.3\n", 14);
	splice_entry(&b, 998, 0, "old");
	CU_ASSERT_FATAL(trace_header_decode(&back, b.data, b.len, "hdr", err,
					    sizeof(err)) == 0);
	CU_ASSERT_EQUAL(back.format_major, 1);
	CU_ASSERT_EQUAL(back.format_minor, 3);
	trace_header_free(&back);
	trace_header_free(&h);
	trace_buf_free(&b);
}

static void test_header_damage(void)
{
	struct trace_header h, back;
	struct trace_buf b;
	char err[512];
	make_full_header(&h);
	trace_buf_init(&b);
	CU_ASSERT_FATAL(trace_header_encode(&h, &b) == 0);

	b.data[b.len / 2] ^= 0x10;
	CU_ASSERT_EQUAL(trace_header_decode(&back, b.data, b.len, "/t/version",
					    err, sizeof(err)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "/t/version"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "corrupted"));
	b.data[b.len / 2] ^= 0x10;

	/* Every truncation is an error, never a crash or a partial header. */
	for (size_t len = 0; len < b.len; len += 7)
		CU_ASSERT_EQUAL(trace_header_decode(&back, b.data, len, "/t/v",
						    err, sizeof(err)), -1);
	CU_ASSERT_EQUAL(trace_header_decode(&back, b.data, b.len - 1, "/t/v",
					    err, sizeof(err)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "truncated"));
	CU_ASSERT_EQUAL(trace_header_decode(&back, "garbage\n", 8, "/t/v", err,
					    sizeof(err)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "not an xrr trace header"));
	trace_header_free(&h);
	trace_buf_free(&b);
}

/* ---- streams ----------------------------------------------------------- */

static void test_stream_many_blocks(void)
{
	const char *path = tmp_path("many");
	char err[512];
	struct trace_writer *w = trace_writer_create(path, SMALL_BLOCK, err,
						     sizeof(err));
	CU_ASSERT_FATAL(w != NULL);
	uint8_t buf[3000];
	size_t total = 0;
	for (uint32_t i = 0; i < 5000; i++) {
		size_t len = (i * 37) % sizeof(buf);
		fill_pattern(buf, len, i);
		CU_ASSERT_FATAL(trace_writer_append(w, i ^ 0x5a5a, buf, len) == 0);
		total += len;
	}
	CU_ASSERT_EQUAL(trace_writer_records(w), 5000);
	CU_ASSERT_FATAL(trace_writer_close(w, err, sizeof(err)) == 0);
	off_t offs[4096];
	CU_ASSERT(block_offsets(path, offs, 4096) > total / SMALL_BLOCK);

	struct trace_reader *r = trace_reader_open(path, err, sizeof(err));
	CU_ASSERT_FATAL(r != NULL);
	struct trace_record rec;
	uint32_t i = 0;
	while (trace_reader_next(r, &rec) == TRACE_RECORD) {
		size_t len = (i * 37) % sizeof(buf);
		fill_pattern(buf, len, i);
		CU_ASSERT_EQUAL(rec.type, i ^ 0x5a5a);
		CU_ASSERT_EQUAL_FATAL(rec.len, len);
		CU_ASSERT(memcmp(rec.data, buf, len) == 0);
		i++;
	}
	CU_ASSERT_EQUAL(i, 5000);
	CU_ASSERT_EQUAL(trace_reader_next(r, &rec), TRACE_EOF);
	trace_reader_close(r);
}

static void test_stream_large_records(void)
{
	const char *path = tmp_path("large");
	char err[512];
	static const size_t sizes[] = { 5, 100000, 0, SMALL_BLOCK - 8,
					SMALL_BLOCK, 3 * SMALL_BLOCK + 1, 1 };
	const size_t n = sizeof(sizes) / sizeof(sizes[0]);
	uint8_t *buf = malloc(100000);
	struct trace_writer *w = trace_writer_create(path, SMALL_BLOCK, err,
						     sizeof(err));
	CU_ASSERT_FATAL(w && buf);
	for (size_t i = 0; i < n; i++) {
		fill_pattern(buf, sizes[i], i + 100);
		CU_ASSERT_FATAL(trace_writer_append(w, 7, buf, sizes[i]) == 0);
	}
	/* Too large to be a record: refused, and the stream stays usable. */
	CU_ASSERT_EQUAL(trace_writer_append(w, 7, buf, (size_t)TRACE_RECORD_MAX + 1), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(trace_writer_error(w), "above the maximum"));
	CU_ASSERT_FATAL(trace_writer_close(w, err, sizeof(err)) == 0);

	struct trace_reader *r = trace_reader_open(path, err, sizeof(err));
	CU_ASSERT_FATAL(r != NULL);
	struct trace_record rec;
	for (size_t i = 0; i < n; i++) {
		CU_ASSERT_EQUAL_FATAL(trace_reader_next(r, &rec), TRACE_RECORD);
		fill_pattern(buf, sizes[i], i + 100);
		CU_ASSERT_EQUAL_FATAL(rec.len, sizes[i]);
		CU_ASSERT(memcmp(rec.data, buf, sizes[i]) == 0);
	}
	CU_ASSERT_EQUAL(trace_reader_next(r, &rec), TRACE_EOF);
	trace_reader_close(r);
	free(buf);
}

static void test_stream_empty(void)
{
	const char *path = tmp_path("empty");
	char err[512], msg[512];
	int nread;
	write_fixed_stream(path, 0, true);
	CU_ASSERT_EQUAL(read_fixed_stream(path, &nread, msg, sizeof(msg)), TRACE_EOF);
	CU_ASSERT_EQUAL(nread, 0);
	CU_ASSERT_PTR_NULL(trace_reader_open(tmp_path("absent"), err, sizeof(err)));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "cannot open"));
}

static void test_stream_flipped_payload_byte(void)
{
	/* Pattern bytes do not compress: zstd stores them raw, so the flip
	 * reaches the checksum rather than the decompressor. */
	const char *path = tmp_path("flip");
	char msg[512], want[PATH_MAX + 64];
	off_t offs[64];
	int nread;
	write_fixed_stream(path, 200, true);
	CU_ASSERT_FATAL(block_offsets(path, offs, 64) > 4);
	flip_byte(path, offs[2] + 28 + 1000);
	CU_ASSERT_EQUAL(read_fixed_stream(path, &nread, msg, sizeof(msg)),
			TRACE_CORRUPT);
	CU_ASSERT_EQUAL(nread, 64);     /* blocks 0 and 1 */
	FMT(want, "trace %s: block at offset %lld: checksum"
		 " mismatch (file corrupted?)", path, (long long)offs[2]);
	CU_ASSERT_STRING_EQUAL(msg, want);
}

static void test_stream_flipped_header_byte(void)
{
	const char *path = tmp_path("fliph");
	char msg[512], want[PATH_MAX + 64];
	off_t offs[64];
	int nread;
	write_fixed_stream(path, 200, true);
	CU_ASSERT_FATAL(block_offsets(path, offs, 64) > 4);
	flip_byte(path, offs[3] + 13);          /* compressed length */
	CU_ASSERT_EQUAL(read_fixed_stream(path, &nread, msg, sizeof(msg)),
			TRACE_CORRUPT);
	CU_ASSERT_EQUAL(nread, 96);
	FMT(want, "trace %s: block at offset %lld: header"
		 " checksum mismatch (file corrupted?)", path, (long long)offs[3]);
	CU_ASSERT_STRING_EQUAL(msg, want);
}

static void test_stream_truncated(void)
{
	const char *path = tmp_path("trunc");
	char msg[512];
	off_t offs[64];
	int nread;
	write_fixed_stream(path, 200, true);
	CU_ASSERT_FATAL(block_offsets(path, offs, 64) > 4);

	/* Mid-block: the prefix is readable, and it is truncation. */
	CU_ASSERT_FATAL(truncate(path, offs[3] + 100) == 0);
	CU_ASSERT_EQUAL(read_fixed_stream(path, &nread, msg, sizeof(msg)),
			TRACE_TRUNCATED);
	CU_ASSERT_EQUAL(nread, 96);
	CU_ASSERT_PTR_NOT_NULL(strstr(msg, path));
	CU_ASSERT_PTR_NOT_NULL(strstr(msg, "cut short"));
	CU_ASSERT_PTR_NOT_NULL(strstr(msg, "96 records before it are valid"));

	/* Exactly at a block boundary: no end marker, still truncation. */
	CU_ASSERT_FATAL(truncate(path, offs[2]) == 0);
	CU_ASSERT_EQUAL(read_fixed_stream(path, &nread, msg, sizeof(msg)),
			TRACE_TRUNCATED);
	CU_ASSERT_EQUAL(nread, 64);
	CU_ASSERT_PTR_NOT_NULL(strstr(msg, "without an end-of-stream marker"));

	/* Inside a block header. */
	CU_ASSERT_FATAL(truncate(path, offs[1] + 10) == 0);
	CU_ASSERT_EQUAL(read_fixed_stream(path, &nread, msg, sizeof(msg)),
			TRACE_TRUNCATED);
	CU_ASSERT_EQUAL(nread, 32);
	CU_ASSERT_PTR_NOT_NULL(strstr(msg, "header cut short"));
}

/* Every possible truncation of a small stream is reported as truncation
 * (never as corruption), after at most the records written.  The file is
 * cut shorter step by step: rewriting it each time is slow on ext4. */
static void test_stream_every_truncation(void)
{
	const char *path = tmp_path("every");
	char msg[512];
	int nread, full, failures = 0;
	write_fixed_stream(path, 70, true);
	CU_ASSERT_EQUAL(read_fixed_stream(path, &full, msg, sizeof(msg)), TRACE_EOF);
	CU_ASSERT_EQUAL(full, 70);
	for (off_t len = file_size(path) - 1; len >= 0; len--) {
		CU_ASSERT_FATAL(truncate(path, len) == 0);
		enum trace_status st = read_fixed_stream(path, &nread, msg,
							 sizeof(msg));
		if (st != TRACE_TRUNCATED || nread > full)
			failures++;
	}
	CU_ASSERT_EQUAL(failures, 0);
}

/* Flipping any single byte: never a crash, never a wrong record (the
 * reader checks every record it returns), and an error status. */
static void test_stream_every_flip(void)
{
	const char *path = tmp_path("flips");
	char msg[512];
	int nread, undetected = 0;
	write_fixed_stream(path, 40, true);
	for (off_t i = 0; i < file_size(path); i++) {
		flip_byte(path, i);
		if (read_fixed_stream(path, &nread, msg, sizeof(msg)) == TRACE_EOF)
			undetected++;
		flip_byte(path, i);
	}
	/* Every byte is under a CRC (header) or zstd's parser plus a CRC
	 * (payload), so no flip may go unnoticed. */
	CU_ASSERT_EQUAL(undetected, 0);
	CU_ASSERT_EQUAL(read_fixed_stream(path, &nread, msg, sizeof(msg)), TRACE_EOF);
}

static void test_stream_data_after_end(void)
{
	const char *path = tmp_path("after");
	char msg[512];
	int nread;
	write_fixed_stream(path, 10, true);
	int fd = open(path, O_WRONLY | O_APPEND);
	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_FATAL(write(fd, "junk", 4) == 4);
	close(fd);
	CU_ASSERT_EQUAL(read_fixed_stream(path, &nread, msg, sizeof(msg)),
			TRACE_CORRUPT);
	CU_ASSERT_EQUAL(nread, 10);
	CU_ASSERT_PTR_NOT_NULL(strstr(msg, "after the end-of-stream marker"));
}

/* A stream file holding `raw` as its uncompressed bytes (one block, then
 * END), built by hand: the writer cannot produce damaged records. */
static void write_raw_stream(const char *path, const void *raw, size_t n)
{
	size_t bound = ZSTD_compressBound(n);
	size_t ebound = ZSTD_compressBound(0);
	uint8_t *out = malloc(2 * 28 + bound + ebound);
	CU_ASSERT_FATAL(out != NULL);
	size_t clen = ZSTD_compress(out + 28, bound, raw, n, 1);
	CU_ASSERT_FATAL(!ZSTD_isError(clen));
	size_t end = 28 + clen;
	size_t eclen = ZSTD_compress(out + end + 28, ebound, "", 0, 1);
	CU_ASSERT_FATAL(!ZSTD_isError(eclen));
	const uint32_t h[2][6] = {
		{ 0x42525258u, 0, 0, (uint32_t)clen, (uint32_t)n,
		  trace_crc32c(0, raw, n) },
		{ 0x42525258u, 1, 1, (uint32_t)eclen, 0, 0 },
	};
	for (int b = 0; b < 2; b++) {
		uint8_t *at = out + (b ? end : 0);
		for (int i = 0; i < 6; i++)
			for (int k = 0; k < 4; k++)
				at[4 * i + k] = (uint8_t)(h[b][i] >> (8 * k));
		uint32_t crc = trace_crc32c(0, at, 24);
		for (int k = 0; k < 4; k++)
			at[24 + k] = (uint8_t)(crc >> (8 * k));
	}
	write_file(path, out, end + 28 + eclen);
	free(out);
}

/* A record header claiming nearly 1 GiB with a few bytes behind it is
 * damage: reported as such, without allocating the claimed size (the
 * child's address space is too small for it). */
static void test_stream_huge_length_is_corrupt(void)
{
	const char *path = tmp_path("huge");
	uint8_t raw[8 + 100] = { 7, 0, 0, 0, 0xff, 0xff, 0xff, 0x3f };
	write_raw_stream(path, raw, sizeof(raw));
	pid_t pid = fork();
	CU_ASSERT_FATAL(pid >= 0);
	if (pid == 0) {
		bool asan = false;
#if defined(__SANITIZE_ADDRESS__)
		asan = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
		asan = true;
#endif
#endif
		unsigned long pages = 0;
		FILE *f = fopen("/proc/self/statm", "r");
		if (!f || fscanf(f, "%lu", &pages) != 1)
			_exit(2);
		fclose(f);
		/* ASan reserves terabytes of shadow: no limit there */
		struct rlimit rl = { .rlim_cur = pages * 4096ul + (256ul << 20),
				     .rlim_max = RLIM_INFINITY };
		if (!asan && setrlimit(RLIMIT_AS, &rl) < 0)
			_exit(2);
		char err[512];
		struct trace_record rec;
		struct trace_reader *r = trace_reader_open(path, err, sizeof(err));
		if (!r)
			_exit(3);
		enum trace_status st = trace_reader_next(r, &rec);
		bool ok = st == TRACE_CORRUPT &&
			  strstr(trace_reader_error(r), "cut by the end-of-stream"
				 " marker at offset");
		if (!ok)
			fprintf(stderr, "huge length: %d %s\n", st,
				trace_reader_error(r));
		trace_reader_close(r);
		_exit(ok ? 0 : 1);
	}
	int status;
	CU_ASSERT_FATAL(waitpid(pid, &status, 0) == pid);
	CU_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static void test_stream_abandoned_writer(void)
{
	/* Not closed: full blocks are on disk, the open one is lost. */
	const char *path = tmp_path("abandon");
	char msg[512];
	int nread;
	write_fixed_stream(path, 100, false);
	CU_ASSERT_EQUAL(read_fixed_stream(path, &nread, msg, sizeof(msg)),
			TRACE_TRUNCATED);
	CU_ASSERT_EQUAL(nread, 96);
}

/* ---- trace directories --------------------------------------------------- */

static struct trace *create_trace(const char *dir, struct trace_header *h)
{
	char err[512];
	make_full_header(h);
	struct trace *t = trace_create(dir, h, err, sizeof(err));
	if (!t)
		fprintf(stderr, "%s\n", err);
	CU_ASSERT_FATAL(t != NULL);
	return t;
}

static void write_rdtsc_events(struct trace *t, int from, int n)
{
	struct trace_writer *w = trace_stream_writer(t, TRACE_STREAM_EVENTS);
	CU_ASSERT_FATAL(w != NULL);
	for (int i = from; i < from + n; i++) {
		struct trace_event ev = { .type = EV_RDTSC, .tid = 42,
					  .u.rdtsc = { .value = (uint64_t)i * 1000,
						       .rip = 0x401000 } };
		CU_ASSERT_FATAL(trace_event_write(w, &ev) == 0);
	}
}

/* Events read back; returns the final status. */
static enum trace_status count_rdtsc_events(const struct trace *t, int *n,
					    char *err, size_t errlen)
{
	struct trace_reader *r = trace_stream_reader(t, TRACE_STREAM_EVENTS,
						     err, errlen);
	CU_ASSERT_FATAL(r != NULL);
	struct trace_event ev;
	enum trace_status st;
	*n = 0;
	while ((st = trace_event_read(r, &ev, err, errlen)) == TRACE_RECORD) {
		CU_ASSERT_EQUAL(ev.type, EV_RDTSC);
		CU_ASSERT_EQUAL(ev.u.rdtsc.value, (uint64_t)*n * 1000);
		trace_event_free(&ev);
		(*n)++;
	}
	trace_reader_close(r);
	return st;
}

static bool exists_in(const char *dir, const char *name)
{
	char p[PATH_MAX];
	FMT(p, "%s/%s", dir, name);
	return access(p, F_OK) == 0;
}

static void test_trace_complete_roundtrip(void)
{
	const char *dir = tmp_path("complete");
	char err[512];
	struct trace_header h;
	struct trace *t = create_trace(dir, &h);
	CU_ASSERT_TRUE(exists_in(dir, "incomplete"));
	CU_ASSERT_FALSE(exists_in(dir, "version"));
	write_rdtsc_events(t, 0, 1000);
	CU_ASSERT_FATAL(trace_header_set_thread_xcr0(trace_header_mut(t), 43, 0xe7) == 0);
	CU_ASSERT_FATAL(trace_close(t, err, sizeof(err)) == 0);
	CU_ASSERT_FALSE(exists_in(dir, "incomplete"));
	CU_ASSERT_TRUE(exists_in(dir, "version"));
	for (int s = 0; s < TRACE_NSTREAMS; s++)
		CU_ASSERT_TRUE(exists_in(dir, trace_stream_name(s)));

	t = trace_open(dir, err, sizeof(err));
	CU_ASSERT_FATAL(t != NULL);
	CU_ASSERT_EQUAL(trace_state(t), TRACE_COMPLETE);
	/* The header written at close includes what was added meanwhile. */
	CU_ASSERT_FATAL(trace_header_set_thread_xcr0(&h, 43, 0xe7) == 0);
	assert_headers_equal(&h, trace_header(t));
	int n;
	CU_ASSERT_EQUAL(count_rdtsc_events(t, &n, err, sizeof(err)), TRACE_EOF);
	CU_ASSERT_EQUAL(n, 1000);
	struct trace_reader *r = trace_stream_reader(t, TRACE_STREAM_TASKS, err,
						     sizeof(err));
	struct trace_record rec;
	CU_ASSERT_EQUAL(trace_reader_next(r, &rec), TRACE_EOF);
	trace_reader_close(r);
	CU_ASSERT_EQUAL(trace_close(t, err, sizeof(err)), 0);
	trace_header_free(&h);

	/* A directory that is not empty is not reused. */
	h.argc = 0;
	make_full_header(&h);
	CU_ASSERT_PTR_NULL(trace_create(dir, &h, err, sizeof(err)));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "not empty"));
	trace_header_free(&h);
}

static void test_trace_recording_state(void)
{
	const char *dir = tmp_path("recording");
	char err[512];
	struct trace_header h;
	struct trace *t = create_trace(dir, &h);
	write_rdtsc_events(t, 0, 10);
	CU_ASSERT_FATAL(trace_writer_flush(trace_stream_writer(t, TRACE_STREAM_EVENTS)) == 0);

	struct trace *rt = trace_open(dir, err, sizeof(err));
	CU_ASSERT_FATAL(rt != NULL);
	CU_ASSERT_EQUAL(trace_state(rt), TRACE_RECORDING);
	int n;
	CU_ASSERT_EQUAL(count_rdtsc_events(rt, &n, err, sizeof(err)), TRACE_TRUNCATED);
	CU_ASSERT_EQUAL(n, 10);
	trace_close(rt, err, sizeof(err));

	/* A rewritten `incomplete` carries the update. */
	CU_ASSERT_FATAL(trace_header_set_thread_xcr0(trace_header_mut(t), 7, 0x3) == 0);
	CU_ASSERT_FATAL(trace_update_header(t, err, sizeof(err)) == 0);
	rt = trace_open(dir, err, sizeof(err));
	CU_ASSERT_FATAL(rt != NULL);
	CU_ASSERT_EQUAL(trace_header(rt)->nthread_xcr0, 3);
	trace_close(rt, err, sizeof(err));

	CU_ASSERT_FATAL(trace_close(t, err, sizeof(err)) == 0);
	rt = trace_open(dir, err, sizeof(err));
	CU_ASSERT_FATAL(rt != NULL);
	CU_ASSERT_EQUAL(trace_state(rt), TRACE_COMPLETE);
	trace_close(rt, err, sizeof(err));
	trace_header_free(&h);
}

/* A child records, flushes 300 events, buffers 5 more, then dies without
 * closing: by _exit, or by SIGKILL from us. */
static void record_and_die(const char *dir, bool sigkill)
{
	int ready[2];
	CU_ASSERT_FATAL(pipe(ready) == 0);
	pid_t pid = fork();
	CU_ASSERT_FATAL(pid >= 0);
	if (pid == 0) {
		struct trace_header h;
		struct trace *t = create_trace(dir, &h);
		write_rdtsc_events(t, 0, 300);
		trace_writer_flush(trace_stream_writer(t, TRACE_STREAM_EVENTS));
		write_rdtsc_events(t, 300, 5);
		if (write(ready[1], "x", 1) != 1 || !sigkill)
			_exit(0);
		for (;;)
			pause();
	}
	close(ready[1]);
	char c;
	CU_ASSERT_EQUAL(read(ready[0], &c, 1), 1);
	close(ready[0]);
	if (sigkill)
		kill(pid, SIGKILL);
	int status;
	CU_ASSERT_EQUAL(waitpid(pid, &status, 0), pid);
	CU_ASSERT_EQUAL(sigkill ? WIFSIGNALED(status) : WIFEXITED(status), 1);
}

static void check_incomplete_trace(const char *dir)
{
	char err[512];
	struct trace *t = trace_open(dir, err, sizeof(err));
	CU_ASSERT_FATAL(t != NULL);
	CU_ASSERT_EQUAL(trace_state(t), TRACE_INCOMPLETE);
	CU_ASSERT_STRING_EQUAL(trace_header(t)->argv[0], "/bin/prog");
	int n;
	CU_ASSERT_EQUAL(count_rdtsc_events(t, &n, err, sizeof(err)), TRACE_TRUNCATED);
	CU_ASSERT_EQUAL(n, 300);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "/events: ends at offset"));
	trace_close(t, err, sizeof(err));
}

static void test_trace_recorder_exits_without_close(void)
{
	const char *dir = tmp_path("exited");
	record_and_die(dir, false);
	check_incomplete_trace(dir);
}

static void test_trace_recorder_killed(void)
{
	const char *dir = tmp_path("killed");
	record_and_die(dir, true);
	check_incomplete_trace(dir);
}

static void test_trace_version_mismatch(void)
{
	const char *dir = tmp_path("major");
	char err[512], path[PATH_MAX], want[PATH_MAX + 128];
	struct trace_header h;
	struct trace *t = create_trace(dir, &h);
	CU_ASSERT_FATAL(trace_close(t, err, sizeof(err)) == 0);
	trace_header_free(&h);
	FMT(path, "%s/version", dir);
	int fd = open(path, O_WRONLY);
	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_FATAL(pwrite(fd, "xrr-trace 9.4", 13, 0) == 13);
	close(fd);
	CU_ASSERT_PTR_NULL(trace_open(dir, err, sizeof(err)));
	FMT(want, "trace %s: trace format version 9.4 is not"
		 " supported (this xrr reads formats %d.x to %d.x)", path,
		 TRACE_FORMAT_MAJOR_OLDEST, TRACE_FORMAT_MAJOR);
	CU_ASSERT_STRING_EQUAL(err, want);
	CU_ASSERT_PTR_NULL(trace_open(tmp_root, err, sizeof(err)));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "not an xrr trace"));
}

/* ---- stored files -------------------------------------------------------- */

static int count_stored(const char *dir)
{
	char p[PATH_MAX];
	FMT(p, "%s/files", dir);
	int n = 0;
	DIR *d = opendir(p);
	struct dirent *e;
	while (d && (e = readdir(d)))
		n += e->d_name[0] != '.';
	if (d)
		closedir(d);
	return n;
}

static void test_file_store_dedup(void)
{
	char dir[PATH_MAX], a[PATH_MAX], b[PATH_MAX], c[PATH_MAX], err[512];
	FMT(dir, "%s", tmp_path("store"));
	FMT(a, "%s", tmp_path("a.so"));
	FMT(b, "%s", tmp_path("b.so"));
	FMT(c, "%s", tmp_path("c.so"));
	write_file(a, "same content", 12);
	write_file(b, "same content", 12);
	write_file(c, "other", 5);
	struct trace_header h;
	struct trace *t = create_trace(dir, &h);
	struct trace_file_id ia, ib, ia2, ic;
	CU_ASSERT_FATAL(trace_store_file(t, a, &ia, err, sizeof(err)) == 0);
	CU_ASSERT_FATAL(trace_store_file(t, b, &ib, err, sizeof(err)) == 0);
	CU_ASSERT_FATAL(trace_store_file(t, a, &ia2, err, sizeof(err)) == 0);
	CU_ASSERT_FATAL(trace_store_file(t, c, &ic, err, sizeof(err)) == 0);
	CU_ASSERT_STRING_EQUAL(ia.hex, ib.hex);
	CU_ASSERT_STRING_EQUAL(ia.hex, ia2.hex);
	CU_ASSERT_STRING_NOT_EQUAL(ia.hex, ic.hex);
	CU_ASSERT_EQUAL(count_stored(dir), 2);
	CU_ASSERT_EQUAL(trace_store_file(t, tmp_path("none"), &ic, err, sizeof(err)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "cannot store"));
	CU_ASSERT_FATAL(trace_close(t, err, sizeof(err)) == 0);

	/* The filemap says where each copy came from. */
	t = trace_open(dir, err, sizeof(err));
	CU_ASSERT_FATAL(t != NULL);
	struct trace_reader *r = trace_stream_reader(t, TRACE_STREAM_FILEMAP, err,
						     sizeof(err));
	struct trace_record rec;
	const char *paths[] = { a, b, c };
	int n = 0;
	while (trace_reader_next(r, &rec) == TRACE_RECORD && n < 3) {
		struct trace_file_entry e;
		CU_ASSERT_EQUAL(rec.type, TRACE_REC_FILE_STORED);
		CU_ASSERT_FATAL(trace_file_entry_decode(&e, rec.data, rec.len) == 0);
		CU_ASSERT_STRING_EQUAL(e.path, paths[n]);
		CU_ASSERT_EQUAL(e.size, n == 2 ? 5 : 12);
		CU_ASSERT_STRING_EQUAL(e.id.hex, n == 2 ? ic.hex : ia.hex);
		trace_file_entry_free(&e);
		n++;
	}
	CU_ASSERT_EQUAL(n, 3);
	trace_reader_close(r);
	int fd = trace_open_file(t, ia.hex, err, sizeof(err));
	char buf[32];
	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_EQUAL(read(fd, buf, sizeof(buf)), 12);
	CU_ASSERT(memcmp(buf, "same content", 12) == 0);
	close(fd);
	CU_ASSERT_EQUAL(trace_verify_file(t, ia.hex, err, sizeof(err)), 0);
	trace_close(t, err, sizeof(err));
	trace_header_free(&h);
}

static void test_file_store_is_a_copy(void)
{
	const char *dir = tmp_path("copy");
	char lib[PATH_MAX], err[512], buf[64];
	FMT(lib, "%s", tmp_path("lib.so"));
	write_file(lib, "version one of the library", 26);
	struct trace_header h;
	struct trace *t = create_trace(dir, &h);
	struct trace_file_id first, second;
	CU_ASSERT_FATAL(trace_store_file(t, lib, &first, err, sizeof(err)) == 0);

	/* Changed in place (same inode, same size): the copy must not see it. */
	int fd = open(lib, O_WRONLY);
	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_FATAL(pwrite(fd, "VERSION TWO", 11, 0) == 11);
	struct timespec later[2] = { { 0, UTIME_OMIT }, { time(NULL) + 10, 0 } };
	CU_ASSERT_FATAL(futimens(fd, later) == 0);
	close(fd);
	fd = trace_open_file(t, first.hex, err, sizeof(err));
	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_EQUAL(read(fd, buf, sizeof(buf)), 26);
	CU_ASSERT(memcmp(buf, "version one of the library", 26) == 0);
	close(fd);

	/* Stored again after the change: new content, new id. */
	CU_ASSERT_FATAL(trace_store_file(t, lib, &second, err, sizeof(err)) == 0);
	CU_ASSERT_STRING_NOT_EQUAL(first.hex, second.hex);
	CU_ASSERT_EQUAL(count_stored(dir), 2);
	CU_ASSERT_FATAL(trace_close(t, err, sizeof(err)) == 0);
	trace_header_free(&h);
}

static void test_file_open_and_verify_errors(void)
{
	const char *dir = tmp_path("verify");
	char lib[PATH_MAX], err[512], stored[PATH_MAX];
	FMT(lib, "%s", tmp_path("v.so"));
	write_file(lib, "payload", 7);
	struct trace_header h;
	struct trace *t = create_trace(dir, &h);
	struct trace_file_id id;
	CU_ASSERT_FATAL(trace_store_file(t, lib, &id, err, sizeof(err)) == 0);
	CU_ASSERT_FATAL(trace_close(t, err, sizeof(err)) == 0);
	trace_header_free(&h);

	t = trace_open(dir, err, sizeof(err));
	CU_ASSERT_FATAL(t != NULL);
	CU_ASSERT_EQUAL(trace_open_file(t, "../version", err, sizeof(err)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "not a stored file id"));
	char absent[TRACE_FILE_ID_LEN + 1];
	memset(absent, 'a', TRACE_FILE_ID_LEN);
	absent[TRACE_FILE_ID_LEN] = 0;
	CU_ASSERT_EQUAL(trace_open_file(t, absent, err, sizeof(err)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "cannot open"));

	FMT(stored, "%s/files/%s", dir, id.hex);
	CU_ASSERT_FATAL(chmod(stored, 0644) == 0);
	flip_byte(stored, 3);
	CU_ASSERT_EQUAL(trace_verify_file(t, id.hex, err, sizeof(err)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "corrupted"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, id.hex));
	trace_close(t, err, sizeof(err));
}

/* ---- naming -------------------------------------------------------------- */

static void test_naming_prog_n_and_latest(void)
{
	char root[PATH_MAX], out[PATH_MAX], want[PATH_MAX], err[512];
	FMT(root, "%s/deep/traces", tmp_path("names"));
	CU_ASSERT_FATAL(trace_make_dir(root, "/usr/bin/prog", out, sizeof(out),
				       err, sizeof(err)) == 0);
	FMT(want, "%s/prog-0", root);
	CU_ASSERT_STRING_EQUAL(out, want);
	CU_ASSERT_FATAL(trace_make_dir(root, "prog", out, sizeof(out), err,
				       sizeof(err)) == 0);
	FMT(want, "%s/prog-1", root);
	CU_ASSERT_STRING_EQUAL(out, want);
	FMT(want, "%s/prog-7", root);
	CU_ASSERT_FATAL(mkdir(want, 0755) == 0);
	FMT(want, "%s/prog-x", root);   /* not a number */
	CU_ASSERT_FATAL(mkdir(want, 0755) == 0);
	CU_ASSERT_FATAL(trace_make_dir(root, "./prog", out, sizeof(out), err,
				       sizeof(err)) == 0);
	FMT(want, "%s/prog-8", root);
	CU_ASSERT_STRING_EQUAL(out, want);
	CU_ASSERT_FATAL(trace_make_dir(root, "prog2", out, sizeof(out), err,
				       sizeof(err)) == 0);
	FMT(want, "%s/prog2-0", root);
	CU_ASSERT_STRING_EQUAL(out, want);

	FMT(want, "%s/prog-8", root);
	CU_ASSERT_FATAL(trace_set_latest(root, want, err, sizeof(err)) == 0);
	CU_ASSERT_FATAL(trace_set_latest(root, out, err, sizeof(err)) == 0);
	char link[PATH_MAX], target[PATH_MAX];
	FMT(link, "%s/latest-trace", root);
	ssize_t n = readlink(link, target, sizeof(target) - 1);
	CU_ASSERT_FATAL(n > 0);
	target[n] = 0;
	CU_ASSERT_STRING_EQUAL(target, "prog2-0");      /* relative */

	char canon_root[PATH_MAX];
	CU_ASSERT_FATAL(realpath(root, canon_root) != NULL);
	CU_ASSERT_FATAL(trace_resolve(root, NULL, out, sizeof(out), err,
				      sizeof(err)) == 0);
	FMT(want, "%s/prog2-0", canon_root);
	CU_ASSERT_STRING_EQUAL(out, want);
	CU_ASSERT_FATAL(trace_resolve(root, "prog-1", out, sizeof(out), err,
				      sizeof(err)) == 0);
	FMT(want, "%s/prog-1", canon_root);
	CU_ASSERT_STRING_EQUAL(out, want);
	FMT(link, "%s/prog-7/", root);
	CU_ASSERT_FATAL(trace_resolve(root, link, out, sizeof(out), err,
				      sizeof(err)) == 0);
	FMT(want, "%s/prog-7", canon_root);
	CU_ASSERT_STRING_EQUAL(out, want);
	CU_ASSERT_EQUAL(trace_resolve(root, "nope-3", out, sizeof(out), err,
				      sizeof(err)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "no trace named nope-3"));
	FMT(link, "%s/empty", tmp_root);
	CU_ASSERT_EQUAL(trace_resolve(link, "", out, sizeof(out), err,
				      sizeof(err)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "latest-trace does not exist"));
}

static void restore_env(const char *name, char *saved)
{
	if (saved)
		setenv(name, saved, 1);
	else
		unsetenv(name);
	free(saved);
}

static char *save_env(const char *name)
{
	const char *v = getenv(name);
	return v ? strdup(v) : NULL;
}

static void test_default_root_env(void)
{
	char *trace_dir = save_env("XRR_TRACE_DIR");
	char *xdg = save_env("XDG_DATA_HOME");
	char *home = save_env("HOME");
	char out[PATH_MAX], err[512];
	setenv("XRR_TRACE_DIR", "/x/traces", 1);
	setenv("XDG_DATA_HOME", "/xdg", 1);
	setenv("HOME", "/home/u", 1);
	CU_ASSERT(trace_default_root(out, sizeof(out), err, sizeof(err)) == 0);
	CU_ASSERT_STRING_EQUAL(out, "/x/traces");
	unsetenv("XRR_TRACE_DIR");
	CU_ASSERT(trace_default_root(out, sizeof(out), err, sizeof(err)) == 0);
	CU_ASSERT_STRING_EQUAL(out, "/xdg/xrr");
	setenv("XDG_DATA_HOME", "", 1);
	CU_ASSERT(trace_default_root(out, sizeof(out), err, sizeof(err)) == 0);
	CU_ASSERT_STRING_EQUAL(out, "/home/u/.local/share/xrr");
	unsetenv("HOME");
	CU_ASSERT_EQUAL(trace_default_root(out, sizeof(out), err, sizeof(err)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "XRR_TRACE_DIR"));
	restore_env("XRR_TRACE_DIR", trace_dir);
	restore_env("XDG_DATA_HOME", xdg);
	restore_env("HOME", home);
}

/* ---- events -------------------------------------------------------------- */

static struct trace_mem_write writes[] = { { 0x7ffd0000, 16 }, { 0x601000, 4096 } };
static struct trace_mapping maps[] = {
	{ 0x400000, 0x401000, 5, 2, 0, "/bin/prog", { "" } },
	{ 0x7ffd0000, 0x7fff0000, 3, 0x22, 0, "[stack]", { "" } },
};
static uint8_t xstate[832] = { 1, 2, 3 };
static uint8_t frame[200] = { 9, 8, 7 };

static char *exec_argv[] = { "sort", "-r" };
static struct point_range point_ranges[] = { { 0x601000, 16 }, { 0x7ffe0000, 8 } };
static uint8_t point_bytes[24] = { 1, 2, 3, 4, [23] = 0x55 };
#define NEVENTS 12

static void make_events(struct trace_event *ev)
{
	memset(ev, 0, NEVENTS * sizeof(*ev));
	memset(maps[0].file.hex, 'c', TRACE_FILE_ID_LEN);
	ev[0] = (struct trace_event){ .type = EV_EXEC, .tid = 10, .ticks = 0 };
	ev[0].u.exec = (struct ev_exec){ .xstate = xstate, .xstate_len = sizeof(xstate),
					 .xcr0 = 0x7, .maps = maps, .nmaps = 2,
					 .mem = writes, .nmem = 2,
					 .argv = exec_argv, .argc = 2 };
	ev[0].u.exec.regs.rip = 0x401000;
	ev[0].u.exec.regs.rsp = 0x7ffe0000;
	ev[1] = (struct trace_event){ .type = EV_SYSCALL, .tid = 10, .ticks = 5 };
	ev[1].u.syscall = (struct ev_syscall){ .number = 0, .args = { 3, 0x601000, 4096, 0, 0, 0 },
					       .result = -14, .writes = writes, .nwrites = 2 };
	ev[1].u.syscall.regs.rax = (uint64_t)-14;
	ev[1].u.syscall.regs.orig_rax = 0;
	ev[2] = (struct trace_event){ .type = EV_RDTSC, .tid = 11,
				      .u.rdtsc = { 123456789, 0x401234, 3, true } };
	ev[3] = (struct trace_event){ .type = EV_SIGNAL, .tid = 11 };
	ev[3].u.signal = (struct ev_signal){ .signo = 11, .frame_addr = 0x7ffd1000,
					     .frame = frame, .frame_len = sizeof(frame) };
	ev[3].u.signal.siginfo[0] = 11;
	ev[3].u.signal.siginfo[127] = 0xee;
	ev[3].u.signal.regs.rip = 0x401500;
	ev[4] = (struct trace_event){ .type = EV_THREAD_CREATE, .tid = 10,
				      .u.thread_create = { 12, 0x3d0f00, 0xe7, 12 } };
	ev[5] = (struct trace_event){ .type = EV_THREAD_EXIT, .tid = 12,
				      .u.thread_exit = { 0 } };
	ev[6] = (struct trace_event){ .type = EV_XCR0_CHANGE, .tid = 11,
				      .u.xcr0_change = { 0x7, 0xe7 } };
	ev[7] = (struct trace_event){ .type = EV_EXIT, .tid = 10,
				      .u.exit = { 3 << 8 } };
	ev[8] = (struct trace_event){ .type = EV_FORK, .tid = 10,
				      .u.fork = { 13, 0x4111, 0xe7, 1 } };
	ev[9] = (struct trace_event){ .type = EV_POINT, .tid = 11 };
	ev[9].u.point = (struct ev_point){ .reason = POINT_SIGNAL,
					   .flags = POINT_LOOP,
					   .fp_hash = 0x1234567890abcdefull,
					   .patch_safe = 7, .skip = 0,
					   .ranges = point_ranges, .nranges = 2,
					   .bytes = point_bytes,
					   .nbytes = sizeof(point_bytes) };
	ev[9].u.point.regs.rip = 0x401777;
	ev[9].u.point.regs.r15 = 42;
	ev[9].u.point.seq_addr = 0x7ff7f0000020;
	ev[9].u.point.seq = 4711;
	ev[9].u.point.tsc_regs = 0x0201;       /* rax and r9 */
	ev[10] = (struct trace_event){ .type = EV_RESUME, .tid = 11 };
	ev[11] = (struct trace_event){ .type = EV_PATCH, .tid = 11 };
	ev[11].u.patch = (struct ev_patch){ .site = 0x7ffff7f83088,
					    .page = 0x7ffff8f83000,
					    .writes = writes, .nwrites = 2 };
}

static void assert_events_equal(const struct trace_event *a,
				const struct trace_event *b)
{
	CU_ASSERT_EQUAL_FATAL(a->type, b->type);
	CU_ASSERT_EQUAL(a->tid, b->tid);
	CU_ASSERT_EQUAL(a->ticks, b->ticks);
	const struct ev_exec *ea = &a->u.exec, *eb = &b->u.exec;
	switch (a->type) {
	case EV_EXEC:
		CU_ASSERT(memcmp(&ea->regs, &eb->regs, sizeof(ea->regs)) == 0);
		CU_ASSERT(eb->xstate_len == ea->xstate_len &&
			  memcmp(ea->xstate, eb->xstate, ea->xstate_len) == 0);
		CU_ASSERT_EQUAL(ea->xcr0, eb->xcr0);
		CU_ASSERT_EQUAL_FATAL(eb->nmaps, 2);
		for (int i = 0; i < 2; i++) {
			CU_ASSERT_EQUAL(ea->maps[i].start, eb->maps[i].start);
			CU_ASSERT_EQUAL(ea->maps[i].end, eb->maps[i].end);
			CU_ASSERT_EQUAL(ea->maps[i].prot, eb->maps[i].prot);
			CU_ASSERT_EQUAL(ea->maps[i].flags, eb->maps[i].flags);
			CU_ASSERT_STRING_EQUAL(ea->maps[i].path, eb->maps[i].path);
			CU_ASSERT_STRING_EQUAL(ea->maps[i].file.hex, eb->maps[i].file.hex);
		}
		CU_ASSERT(eb->nmem == 2 && memcmp(eb->mem, writes, sizeof(writes)) == 0);
		CU_ASSERT_EQUAL_FATAL(eb->argc, 2);
		CU_ASSERT_STRING_EQUAL(eb->argv[0], "sort");
		CU_ASSERT_STRING_EQUAL(eb->argv[1], "-r");
		break;
	case EV_SYSCALL:
		CU_ASSERT_EQUAL(a->u.syscall.number, b->u.syscall.number);
		CU_ASSERT(memcmp(a->u.syscall.args, b->u.syscall.args, 48) == 0);
		CU_ASSERT_EQUAL(a->u.syscall.result, b->u.syscall.result);
		CU_ASSERT(memcmp(&a->u.syscall.regs, &b->u.syscall.regs,
				 sizeof(a->u.syscall.regs)) == 0);
		CU_ASSERT(b->u.syscall.nwrites == 2 &&
			  memcmp(b->u.syscall.writes, writes, sizeof(writes)) == 0);
		break;
	case EV_SIGNAL:
		CU_ASSERT_EQUAL(a->u.signal.signo, b->u.signal.signo);
		CU_ASSERT(memcmp(a->u.signal.siginfo, b->u.signal.siginfo, 128) == 0);
		CU_ASSERT_EQUAL(a->u.signal.frame_addr, b->u.signal.frame_addr);
		CU_ASSERT(b->u.signal.frame_len == sizeof(frame) &&
			  memcmp(b->u.signal.frame, frame, sizeof(frame)) == 0);
		CU_ASSERT(memcmp(&a->u.signal.regs, &b->u.signal.regs,
				 sizeof(a->u.signal.regs)) == 0);
		break;
	case EV_POINT: {
		const struct ev_point *pa = &a->u.point, *pb = &b->u.point;
		CU_ASSERT_EQUAL(pa->reason, pb->reason);
		CU_ASSERT_EQUAL(pa->flags, pb->flags);
		CU_ASSERT(memcmp(&pa->regs, &pb->regs, sizeof(pa->regs)) == 0);
		CU_ASSERT_EQUAL(pa->fp_hash, pb->fp_hash);
		CU_ASSERT_EQUAL(pa->patch_safe, pb->patch_safe);
		CU_ASSERT_EQUAL(pa->skip, pb->skip);
		CU_ASSERT_FATAL(pb->nranges == pa->nranges);
		for (size_t i = 0; i < pa->nranges; i++) {
			CU_ASSERT_EQUAL(pa->ranges[i].addr, pb->ranges[i].addr);
			CU_ASSERT_EQUAL(pa->ranges[i].len, pb->ranges[i].len);
		}
		CU_ASSERT(pb->nbytes == pa->nbytes &&
			  memcmp(pa->bytes, pb->bytes, pa->nbytes) == 0);
		CU_ASSERT_EQUAL(pa->seq_addr, pb->seq_addr);
		CU_ASSERT_EQUAL(pa->seq, pb->seq);
		CU_ASSERT_EQUAL(pa->tsc_regs, pb->tsc_regs);
		break;
	}
	case EV_PATCH:
		CU_ASSERT_EQUAL(a->u.patch.site, b->u.patch.site);
		CU_ASSERT_EQUAL(a->u.patch.page, b->u.patch.page);
		CU_ASSERT(b->u.patch.nwrites == 2 &&
			  memcmp(b->u.patch.writes, writes, sizeof(writes)) == 0);
		break;
	default:
		/* Plain scalars: compare the union bytes. */
		CU_ASSERT(memcmp(&a->u, &b->u, sizeof(a->u)) == 0);
	}
}

static void test_events_roundtrip(void)
{
	struct trace_event ev[NEVENTS], back;
	struct trace_buf b;
	make_events(ev);
	trace_buf_init(&b);
	for (int i = 0; i < NEVENTS; i++) {
		trace_buf_reset(&b);
		CU_ASSERT_FATAL(trace_event_encode(&ev[i], &b) == 0);
		CU_ASSERT_FATAL(trace_event_decode(&back, ev[i].type, b.data, b.len) == 0);
		assert_events_equal(&ev[i], &back);
		CU_ASSERT_STRING_NOT_EQUAL(trace_event_name(ev[i].type), "unknown");
		trace_event_free(&back);
	}
	trace_buf_free(&b);
}

/* A point whose ranges do not add up to its bytes, or that is larger
 * than the recorder ever writes, is malformed. */
static void test_events_point_limits(void)
{
	struct trace_event ev[NEVENTS], back;
	struct trace_buf b;
	make_events(ev);
	trace_buf_init(&b);
	struct ev_point *p = &ev[9].u.point;
	p->nbytes = 20;         /* ranges say 24 */
	CU_ASSERT_FATAL(trace_event_encode(&ev[9], &b) == 0);
	CU_ASSERT_EQUAL(trace_event_decode(&back, EV_POINT, b.data, b.len), -1);
	p->nbytes = sizeof(point_bytes);
	p->reason = 7;
	trace_buf_reset(&b);
	CU_ASSERT_FATAL(trace_event_encode(&ev[9], &b) == 0);
	CU_ASSERT_EQUAL(trace_event_decode(&back, EV_POINT, b.data, b.len), -1);
	p->reason = POINT_PREEMPT;
	struct point_range many[POINT_MAX_RANGES + 1];
	uint8_t *big = calloc(1, sizeof(many) / sizeof(many[0]));
	for (size_t i = 0; i < POINT_MAX_RANGES + 1; i++)
		many[i] = (struct point_range){ 0x1000 + 16 * i, 1 };
	p->ranges = many;
	p->nranges = POINT_MAX_RANGES + 1;
	p->bytes = big;
	p->nbytes = POINT_MAX_RANGES + 1;
	trace_buf_reset(&b);
	CU_ASSERT_FATAL(trace_event_encode(&ev[9], &b) == 0);
	CU_ASSERT_EQUAL(trace_event_decode(&back, EV_POINT, b.data, b.len), -1);
	p->nranges = POINT_MAX_RANGES;
	p->nbytes = POINT_MAX_RANGES;
	trace_buf_reset(&b);
	CU_ASSERT_FATAL(trace_event_encode(&ev[9], &b) == 0);
	CU_ASSERT_EQUAL(trace_event_decode(&back, EV_POINT, b.data, b.len), 0);
	trace_event_free(&back);
	free(big);
	trace_buf_free(&b);
}

/* A patch's page must be a page-aligned user address. */
static void test_events_patch_page(void)
{
	struct trace_event ev[NEVENTS], back;
	struct trace_buf b;
	make_events(ev);
	trace_buf_init(&b);
	ev[11].u.patch.page = 0x7ffff8f83010;
	CU_ASSERT_FATAL(trace_event_encode(&ev[11], &b) == 0);
	CU_ASSERT_EQUAL(trace_event_decode(&back, EV_PATCH, b.data, b.len), -1);
	trace_buf_reset(&b);
	ev[11].u.patch.page = 1ull << 47;
	CU_ASSERT_FATAL(trace_event_encode(&ev[11], &b) == 0);
	CU_ASSERT_EQUAL(trace_event_decode(&back, EV_PATCH, b.data, b.len), -1);
	trace_buf_free(&b);
}

/* Any shortened event record fails to decode, cleanly. */
static void test_events_truncated_decode(void)
{
	struct trace_event ev[NEVENTS], back;
	struct trace_buf b;
	make_events(ev);
	trace_buf_init(&b);
	int wrongly_accepted = 0, legacy_accepted = 0, legacy_syscalls = 0;
	int nsyscalls = 0, npoints = 0, legacy_points = 0;
	/* EV_EXEC without its argv (appended in 2.0) is a 1.x record:
	 * "sort", "-r" are 8+4 and 8+2 bytes after the 8-byte count.
	 * EV_THREAD_CREATE and EV_FORK without their u32 ns_tid (appended
	 * in 2.3) are 2.2 records. */
	const size_t exec_argv_bytes = 8 + 12 + 10;
	for (int i = 0; i < NEVENTS; i++) {
		trace_buf_reset(&b);
		CU_ASSERT_FATAL(trace_event_encode(&ev[i], &b) == 0);
		for (size_t len = 0; len < b.len; len++) {
			uint8_t *copy = malloc(len ? len : 1);
			memcpy(copy, b.data, len);
			bool legacy = ev[i].type == EV_EXEC &&
				      len == b.len - exec_argv_bytes;
			/* EV_SYSCALL without its flags (2.3) is a 2.2 one. */
			bool legacy_syscall = ev[i].type == EV_SYSCALL &&
					      len == b.len - 4;
			bool no_ns_tid = (ev[i].type == EV_THREAD_CREATE ||
					  ev[i].type == EV_FORK) && len == b.len - 4;
			/* EV_POINT without seq_addr, seq, tsc_regs (2.4) is a
			 * 2.3 one. */
			bool no_seq = ev[i].type == EV_POINT && len == b.len - 20;
			if (trace_event_decode(&back, ev[i].type, copy, len) != -1) {
				if (legacy && back.u.exec.argc == 0)
					legacy_accepted++;
				else if (legacy_syscall && back.u.syscall.flags == 0)
					legacy_syscalls++;
				else if (no_ns_tid && back.u.fork.ns_tid == 0 &&
					 back.u.fork.new_tid == ev[i].u.fork.new_tid)
					legacy_accepted++;
				else if (no_seq && back.u.point.seq_addr == 0 &&
					 back.u.point.seq == 0 &&
					 back.u.point.tsc_regs == 0)
					legacy_points++;
				else
					wrongly_accepted++;
				trace_event_free(&back);
			}
			free(copy);
		}
	}
	for (int i = 0; i < NEVENTS; i++) {
		nsyscalls += ev[i].type == EV_SYSCALL;
		npoints += ev[i].type == EV_POINT;
	}
	CU_ASSERT_EQUAL(wrongly_accepted, 0);
	CU_ASSERT_EQUAL(legacy_accepted, 3);
	CU_ASSERT(npoints > 0);
	CU_ASSERT_EQUAL(legacy_points, npoints);
	CU_ASSERT(nsyscalls > 0);
	CU_ASSERT_EQUAL(legacy_syscalls, nsyscalls);
	CU_ASSERT_EQUAL(trace_event_decode(&back, 0x12345, b.data, b.len), 1);
	trace_buf_free(&b);
}

static void test_events_stream_unknown_types(void)
{
	const char *path = tmp_path("ev-unknown");
	char err[512];
	struct trace_event ev[NEVENTS], back;
	make_events(ev);
	struct trace_writer *w = trace_writer_create(path, 0, err, sizeof(err));
	CU_ASSERT_FATAL(w != NULL);
	CU_ASSERT_FATAL(trace_event_write(w, &ev[1]) == 0);
	CU_ASSERT_FATAL(trace_writer_append(w, 0x77, "optional", 8) == 0);
	CU_ASSERT_FATAL(trace_event_write(w, &ev[2]) == 0);
	CU_ASSERT_FATAL(trace_writer_append(w, TRACE_TYPE_REQUIRED | 0x77, "x", 1) == 0);
	CU_ASSERT_FATAL(trace_writer_close(w, err, sizeof(err)) == 0);

	struct trace_reader *r = trace_reader_open(path, err, sizeof(err));
	CU_ASSERT_FATAL(r != NULL);
	CU_ASSERT_EQUAL(trace_event_read(r, &back, err, sizeof(err)), TRACE_RECORD);
	CU_ASSERT_EQUAL(back.type, EV_SYSCALL);
	trace_event_free(&back);
	CU_ASSERT_EQUAL(trace_event_read(r, &back, err, sizeof(err)), TRACE_RECORD);
	CU_ASSERT_EQUAL(back.type, EV_RDTSC);   /* the optional one skipped */
	trace_event_free(&back);
	CU_ASSERT_EQUAL(trace_event_read(r, &back, err, sizeof(err)), TRACE_CORRUPT);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "event 3: unknown required record"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, path));
	trace_reader_close(r);
}

/* A malformed event names the file and the offset of its block. */
static void test_events_malformed_names_offset(void)
{
	const char *path = tmp_path("ev-malformed");
	char err[512], want[64];
	struct trace_event ev[NEVENTS], back;
	struct trace_record rec;
	make_events(ev);
	struct trace_writer *w = trace_writer_create(path, 0, err, sizeof(err));
	CU_ASSERT_FATAL(w != NULL);
	CU_ASSERT_FATAL(trace_event_write(w, &ev[1]) == 0);
	CU_ASSERT_FATAL(trace_writer_flush(w) == 0);
	CU_ASSERT_FATAL(trace_writer_append(w, EV_SYSCALL, "short", 5) == 0);
	CU_ASSERT_FATAL(trace_writer_close(w, err, sizeof(err)) == 0);

	/* where the second block starts */
	struct trace_reader *r = trace_reader_open(path, err, sizeof(err));
	CU_ASSERT_FATAL(r != NULL);
	CU_ASSERT_FATAL(trace_reader_next(r, &rec) == TRACE_RECORD);
	CU_ASSERT_EQUAL(rec.offset, 0);
	CU_ASSERT_FATAL(trace_reader_next(r, &rec) == TRACE_RECORD);
	CU_ASSERT_FATAL(rec.offset > 0);
	FMT(want, "at offset %llu", (unsigned long long)rec.offset);
	trace_reader_close(r);

	r = trace_reader_open(path, err, sizeof(err));
	CU_ASSERT_FATAL(r != NULL);
	CU_ASSERT_EQUAL(trace_event_read(r, &back, err, sizeof(err)), TRACE_RECORD);
	trace_event_free(&back);
	CU_ASSERT_EQUAL(trace_event_read(r, &back, err, sizeof(err)), TRACE_CORRUPT);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "event 1: malformed record"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, path));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, want));
	trace_reader_close(r);
}

static void test_mmap_record_roundtrip(void)
{
	struct trace_mmap_record m = { .event = 17, .tid = 10, .map = maps[0],
				       .shared_dev = 0x803, .shared_ino = 4242 }, back;
	struct trace_buf b;
	memset(m.map.file.hex, 'd', TRACE_FILE_ID_LEN);
	trace_buf_init(&b);
	CU_ASSERT_FATAL(trace_mmap_encode(&m, &b) == 0);
	CU_ASSERT_FATAL(trace_mmap_decode(&back, b.data, b.len) == 0);
	CU_ASSERT_EQUAL(back.event, 17);
	CU_ASSERT_EQUAL(back.tid, 10);
	CU_ASSERT_EQUAL(back.map.start, 0x400000);
	CU_ASSERT_STRING_EQUAL(back.map.path, "/bin/prog");
	CU_ASSERT_STRING_EQUAL(back.map.file.hex, m.map.file.hex);
	CU_ASSERT_EQUAL(back.shared_dev, 0x803);
	CU_ASSERT_EQUAL(back.shared_ino, 4242);
	trace_mapping_free(&back.map);
	/* a 2.3 record ends with the mapping: no shared file */
	CU_ASSERT_FATAL(trace_mmap_decode(&back, b.data, b.len - 16) == 0);
	CU_ASSERT_EQUAL(back.shared_dev, 0);
	CU_ASSERT_EQUAL(back.shared_ino, 0);
	CU_ASSERT_STRING_EQUAL(back.map.path, "/bin/prog");
	trace_mapping_free(&back.map);
	CU_ASSERT_EQUAL(trace_mmap_decode(&back, b.data, b.len - 17), -1);
	trace_buf_free(&b);
}

static const struct unit_test tests[] = {
	{ "codec round trip", test_codec_roundtrip },
	{ "codec cursor overrun", test_codec_cursor_overrun },
	{ "crc32c vectors", test_crc32c_vectors },
	{ "sha256 vectors", test_sha256_vectors },
	{ "header round trip (all fields, 64 sub-leaves of 0xD)", test_header_roundtrip },
	{ "header unknown keys: optional skipped, required refused", test_header_unknown_keys },
	{ "header damage detected", test_header_damage },
	{ "stream round trip across many blocks", test_stream_many_blocks },
	{ "stream records larger than a block", test_stream_large_records },
	{ "stream empty, and missing file", test_stream_empty },
	{ "stream flipped payload byte names file and offset", test_stream_flipped_payload_byte },
	{ "stream flipped header byte", test_stream_flipped_header_byte },
	{ "stream truncated: prefix readable", test_stream_truncated },
	{ "stream every truncation is truncation", test_stream_every_truncation },
	{ "stream every flipped byte is caught", test_stream_every_flip },
	{ "stream data after end marker", test_stream_data_after_end },
	{ "stream writer abandoned", test_stream_abandoned_writer },
	{ "stream huge record length is damage", test_stream_huge_length_is_corrupt },
	{ "trace complete round trip", test_trace_complete_roundtrip },
	{ "trace state while recording", test_trace_recording_state },
	{ "trace recorder exits without close", test_trace_recorder_exits_without_close },
	{ "trace recorder SIGKILLed", test_trace_recorder_killed },
	{ "trace major version mismatch refused", test_trace_version_mismatch },
	{ "file store deduplicates", test_file_store_dedup },
	{ "file store keeps a copy", test_file_store_is_a_copy },
	{ "file open/verify errors", test_file_open_and_verify_errors },
	{ "naming PROG-N, latest-trace, resolve", test_naming_prog_n_and_latest },
	{ "default root from the environment", test_default_root_env },
	{ "events round trip", test_events_roundtrip },
	{ "events truncated decode", test_events_truncated_decode },
	{ "events: a patch's page", test_events_patch_page },
	{ "events: point limits", test_events_point_limits },
	{ "events stream unknown types", test_events_stream_unknown_types },
	{ "events malformed record: file and offset", test_events_malformed_names_offset },
	{ "mmap record round trip", test_mmap_record_roundtrip },
	{ NULL, NULL },
};

static const struct unit_suite suites[] = {
	{ "trace", tests, suite_init, suite_cleanup },
};

UNIT_MAIN(suites)
