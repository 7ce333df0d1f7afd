/* libFuzzer target: the trace reader (replay/trace*.c) on arbitrary
 * bytes.  Whatever a trace directory holds, opening and reading it must
 * either work or fail with a message naming the file (and, for stream
 * damage, the byte offset); never crash, leak memory or file
 * descriptors.
 *
 * Input: one mode byte, then mode-specific bytes (all integers
 * little-endian).
 *
 *   mode & 3 == 0  DIR_RAW: sections { u8 kind, u32 len, bytes } written
 *                  verbatim as the files of a trace directory, which is
 *                  then opened and read completely (header, every stream,
 *                  every event, mmaps, tasks and filemap records, stored
 *                  files by id, the process table).
 *   mode & 3 == 1  DIR_FRAMED: the same, but header sections get their END
 *                  entry and CRC appended, and stream sections are
 *                  { u8 flags, u16 block_size, uncompressed record bytes }
 *                  packed into valid checksummed zstd blocks here, so the
 *                  fuzzer reaches the record decoders; the block reader is
 *                  then checked against the records the bytes contain.
 *   mode & 3 >= 2  MEMORY: { u8 which, bytes } for one in-memory decoder
 *                  (event, mmap record, filemap record, insn sites,
 *                  header, header without its END entry) with a
 *                  decode/encode/decode round trip.
 *   mode & 0x80    (DIR_*) write a minimal valid header first.
 *   mode & 0x40    (DIR_*) ... as `incomplete` instead of `version`.
 *
 * Section kinds: 0 version, 1 incomplete, 2-6 the streams events, data,
 * mmaps, tasks, filemap, 7 a stored file named by its SHA-256, 8 a stored
 * file named by its first 32 bytes (in hex; mostly a wrong hash), 9 a
 * directory in place of file kind bytes[0] % 7 (read errors).
 *
 * `fuzz_trace --make-seeds TRACE OUTDIR` writes seed inputs made from a
 * real trace directory; testsuite/fuzz/seeds-fuzz_trace/ came from
 *   env -i PATH=/usr/bin:/bin xrr record -o TRACE -- /bin/true */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#include "replay/insn_virt.h"
#include "replay/trace.h"
#include "replay/trace_codec.h"
#include "replay/trace_events.h"
#include "replay/trace_procs.h"
#include "testsuite/fuzz/fuzz_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);


enum mode { MODE_DIR_RAW, MODE_DIR_FRAMED, MODE_MEMORY };
#define MODE_SYNTH_HEADER 0x80u
#define MODE_SYNTH_INCOMPLETE 0x40u

enum section_kind {
	SEC_VERSION, SEC_INCOMPLETE,
	SEC_EVENTS, SEC_DATA, SEC_MMAPS, SEC_TASKS, SEC_FILEMAP,
	SEC_STORED, SEC_STORED_NAMED, SEC_DIRECTORY,
	SEC_NKINDS
};

enum mem_which {
	MEM_EVENT, MEM_MMAP, MEM_FILEMAP, MEM_SITES, MEM_HEADER,
	MEM_HEADER_FRAMED, MEM_NWHICH
};

/* Framed stream flags. */
#define FR_NO_END 1u            /* leave out the END block */
#define FR_TRAILING 2u          /* one byte after the END block */
#define FR_CUT_LAST 4u          /* drop the file's last byte */

#define BLOCK_MAGIC 0x42525258u
#define BLOCK_HEADER_SIZE 28

static const char *const file_names[] = {
	[SEC_VERSION] = "version", [SEC_INCOMPLETE] = "incomplete",
	[SEC_EVENTS] = "events", [SEC_DATA] = "data", [SEC_MMAPS] = "mmaps",
	[SEC_TASKS] = "tasks", [SEC_FILEMAP] = "filemap",
};

static char trace_dir_path[] = "/tmp/xrr-fuzz-trace.XXXXXX";
static bool have_dir;
static int fd_probe = -1;

/* ---- small helpers ------------------------------------------------------- */

static uint32_t get_u32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static void put_u32_at(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static char *path_in(const char *name)
{
	char *p;
	check(asprintf(&p, "%s/%s", trace_dir_path, name) > 0);
	return p;
}

static void write_file(const char *name, const void *data, size_t len)
{
	char *path = path_in(name);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	check(fd >= 0 || errno == EISDIR);      /* SEC_DIRECTORY came first */
	if (fd >= 0) {
		check(write(fd, data, len) == (ssize_t)len);
		close(fd);
	}
	free(path);
}

/* Empty the trace directory (files/ stays, emptied). */
static void clear_dir(void)
{
	for (size_t i = 0; i < sizeof(file_names) / sizeof(file_names[0]); i++) {
		char *p = path_in(file_names[i]);
		if (unlink(p) < 0 && errno == EISDIR)
			check(rmdir(p) == 0);
		free(p);
	}
	char *files = path_in("files");
	DIR *d = opendir(files);
	check(d != NULL);
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		char *p;
		check(asprintf(&p, "%s/%s", files, e->d_name) > 0);
		unlink(p);
		free(p);
	}
	closedir(d);
	free(files);
}

static void remove_dir(void)
{
	if (!have_dir)
		return;
	clear_dir();
	char *files = path_in("files");
	rmdir(files);
	free(files);
	rmdir(trace_dir_path);
	have_dir = false;
}

static void setup(void)
{
	if (have_dir)
		return;
	check(mkdtemp(trace_dir_path) != NULL);
	have_dir = true;
	char *files = path_in("files");
	check(mkdir(files, 0755) == 0);
	free(files);
	atexit(remove_dir);
}

/* The lowest free descriptor before an input: if the reader leaks one,
 * it is taken afterwards. */
static void probe_fds(void)
{
	fd_probe = dup(0);
	check(fd_probe >= 0);
	close(fd_probe);
}

static void check_no_fd_leak(void)
{
	int fd = dup(0);
	check(fd == fd_probe);
	close(fd);
}

static bool contains(const char *s, const char *what)
{
	return s && what && strstr(s, what) != NULL;
}

static bool valid_hex_id(const char *id)
{
	if (strlen(id) != TRACE_FILE_ID_LEN)
		return false;
	for (const char *p = id; *p; p++)
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
			return false;
	return true;
}

/* ---- building files ------------------------------------------------------ */

/* The header's END entry: key 0, flags 0, length 4, CRC of all before. */
static void append_header_end(struct trace_buf *b)
{
	trace_buf_put_u16(b, 0);
	trace_buf_put_u16(b, 0);
	trace_buf_put_u32(b, 4);
	check(!b->failed);
	trace_buf_put_u32(b, trace_crc32c(0, b->data, b->len));
	check(!b->failed);
}

static void put_block(struct trace_buf *out, uint32_t flags, uint32_t seq,
		      const uint8_t *p, size_t n)
{
	size_t bound = ZSTD_compressBound(n);
	uint8_t *at = trace_buf_grow(out, BLOCK_HEADER_SIZE + bound);
	check(at != NULL);
	size_t clen = ZSTD_compress(at + BLOCK_HEADER_SIZE, bound, p, n, 1);
	check(!ZSTD_isError(clen));
	put_u32_at(at, BLOCK_MAGIC);
	put_u32_at(at + 4, flags);
	put_u32_at(at + 8, seq);
	put_u32_at(at + 12, (uint32_t)clen);
	put_u32_at(at + 16, (uint32_t)n);
	put_u32_at(at + 20, trace_crc32c(0, p, n));
	put_u32_at(at + 24, trace_crc32c(0, at, 24));
	out->len -= bound - clen;
}

/* Raw stream bytes cut into blocks of block_size (0: one block). */
static void frame_stream(struct trace_buf *out, const uint8_t *p, size_t n,
			 size_t block_size, unsigned flags)
{
	uint32_t seq = 0;
	if (block_size == 0)
		block_size = n ? n : 1;
	for (size_t at = 0; at < n; at += block_size) {
		size_t take = n - at < block_size ? n - at : block_size;
		put_block(out, 0, seq++, p + at, take);
	}
	if (!(flags & FR_NO_END))
		put_block(out, 1, seq, NULL, 0);
	if (flags & FR_TRAILING)
		trace_buf_put_u8(out, 0);
	if ((flags & FR_CUT_LAST) && out->len)
		out->len--;
	check(!out->failed);
}

static void write_synth_header(bool incomplete)
{
	struct trace_header h;
	struct trace_buf b;
	trace_header_init(&h);
	trace_buf_init(&b);
	check(trace_header_set_string(&h.xrr_version, "fuzz") == 0);
	check(trace_header_encode(&h, &b) == 0);
	write_file(incomplete ? "incomplete" : "version", b.data, b.len);
	trace_buf_free(&b);
	trace_header_free(&h);
}

static void write_stored(const uint8_t *p, size_t n, const uint8_t *name32)
{
	uint8_t digest[TRACE_SHA256_SIZE];
	char hex[2 * TRACE_SHA256_SIZE + 1], name[sizeof(hex) + 8];
	if (name32) {
		memcpy(digest, name32, sizeof(digest));
	} else {
		struct trace_sha256 s;
		trace_sha256_init(&s);
		trace_sha256_update(&s, p, n);
		trace_sha256_final(&s, digest);
	}
	trace_hex(hex, digest, sizeof(digest));
	snprintf(name, sizeof(name), "files/%s", hex);
	write_file(name, p, n);
}

/* ---- the block reader, checked against the records it was given -------- */

struct expect {
	const uint8_t *raw;     /* the uncompressed stream bytes */
	size_t len;
	unsigned flags;
};

/* What the reader must report for framed bytes: records that are whole,
 * then the status.  Only for FR_CUT_LAST clear (a cut file loses a
 * block's worth of records, which depends on the cut points). */
static void expected_outcome(const struct expect *x, uint64_t *nrec,
			     enum trace_status *st)
{
	size_t at = 0;
	*nrec = 0;
	for (;;) {
		if (at == x->len) {
			*st = (x->flags & FR_NO_END) ? TRACE_TRUNCATED
			      : (x->flags & FR_TRAILING) ? TRACE_CORRUPT
			      : TRACE_EOF;
			return;
		}
		if (x->len - at < 8)
			break;
		uint32_t len = get_u32(x->raw + at + 4);
		if (len > TRACE_RECORD_MAX) {
			*st = TRACE_CORRUPT;
			return;
		}
		if (x->len - at - 8 < len)
			break;
		at += 8 + len;
		(*nrec)++;
	}
	/* a record cut short by the end of the bytes */
	*st = (x->flags & FR_NO_END) ? TRACE_TRUNCATED : TRACE_CORRUPT;
}

static void check_stream_error(enum trace_status st, const char *err,
			       const char *path)
{
	check(st == TRACE_EOF || st == TRACE_TRUNCATED || st == TRACE_CORRUPT ||
	      st == TRACE_IO_ERROR);
	if (st == TRACE_EOF)
		return;
	check(contains(err, path));
	if (st != TRACE_IO_ERROR)
		check(contains(err, "offset"));
}

/* Read a stream to its end with the record reader; returns the status. */
static enum trace_status read_records(const struct trace *t,
				      enum trace_stream s,
				      const struct expect *x)
{
	char err[512] = "";
	struct trace_reader *r = trace_stream_reader(t, s, err, sizeof(err));
	if (!r) {
		check(contains(err, trace_stream_name(s)));
		return TRACE_IO_ERROR;
	}
	struct trace_record rec;
	enum trace_status st;
	uint64_t n = 0;
	size_t at = 0;
	while ((st = trace_reader_next(r, &rec)) == TRACE_RECORD) {
		check(rec.index == n);
		check(rec.len <= TRACE_RECORD_MAX);
		check(rec.len == 0 || rec.data != NULL);
		if (x) {
			/* the framed bytes hold exactly these records */
			check(x->len - at >= 8 + (size_t)rec.len);
			check(get_u32(x->raw + at) == rec.type);
			check(get_u32(x->raw + at + 4) == rec.len);
			check(memcmp(x->raw + at + 8, rec.data, rec.len) == 0);
			at += 8 + (size_t)rec.len;
		}
		n++;
	}
	check_stream_error(st, trace_reader_error(r), trace_reader_path(r));
	/* the status is sticky */
	check(trace_reader_next(r, &rec) == st);
	if (x && !(x->flags & FR_CUT_LAST) && st != TRACE_IO_ERROR) {
		uint64_t want_n;
		enum trace_status want_st;
		expected_outcome(x, &want_n, &want_st);
		check(n == want_n);
		check(st == want_st);
	}
	trace_reader_close(r);
	return st;
}

/* ---- decoders on the records of each stream ----------------------------- */

static void try_file_id(const struct trace *t, const char *id)
{
	char err[512] = "";
	int fd = trace_open_file(t, id, err, sizeof(err));
	if (fd >= 0) {
		check(valid_hex_id(id));
		close(fd);
		if (trace_verify_file(t, id, err, sizeof(err)) < 0)
			check(contains(err, trace_dir(t)) && contains(err, id));
	} else {
		check(contains(err, trace_dir(t)));
	}
}

static void check_mapping(const struct trace *t, const struct trace_mapping *m)
{
	check(m->path != NULL);
	check(strlen(m->file.hex) <= TRACE_FILE_ID_LEN);
	if (m->file.hex[0])
		try_file_id(t, m->file.hex);
}

static void read_events(const struct trace *t)
{
	char err[512] = "";
	struct trace_reader *r = trace_stream_reader(t, TRACE_STREAM_EVENTS, err,
						     sizeof(err));
	if (!r)
		return;
	struct trace_event ev;
	enum trace_status st;
	while ((st = trace_event_read(r, &ev, err, sizeof(err))) == TRACE_RECORD) {
		check(ev.type & TRACE_TYPE_REQUIRED);
		check(strcmp(trace_event_name(ev.type), "unknown") != 0);
		if (ev.type == EV_EXEC) {
			const struct ev_exec *e = &ev.u.exec;
			check(e->xstate_len == 0 || e->xstate != NULL);
			check(e->nmaps == 0 || e->maps != NULL);
			check(e->nmem == 0 || e->mem != NULL);
			for (size_t i = 0; i < e->nmaps; i++)
				check_mapping(t, &e->maps[i]);
			for (size_t i = 0; i < e->argc; i++)
				check(e->argv[i] != NULL);
		} else if (ev.type == EV_SYSCALL) {
			check(ev.u.syscall.nwrites == 0 ||
			      ev.u.syscall.writes != NULL);
		} else if (ev.type == EV_SIGNAL) {
			check(ev.u.signal.frame_len == 0 ||
			      ev.u.signal.frame != NULL);
		}
		trace_event_free(&ev);
	}
	check_stream_error(st, err, trace_reader_path(r));
	trace_reader_close(r);
}

static void read_mmaps(const struct trace *t)
{
	char err[512] = "";
	struct trace_reader *r = trace_stream_reader(t, TRACE_STREAM_MMAPS, err,
						     sizeof(err));
	struct trace_record rec;
	if (!r)
		return;
	while (trace_reader_next(r, &rec) == TRACE_RECORD) {
		struct trace_mmap_record m;
		if (rec.type != TRACE_REC_MMAP ||
		    trace_mmap_decode(&m, rec.data, rec.len) != 0)
			continue;
		check_mapping(t, &m.map);
		trace_mapping_free(&m.map);
	}
	trace_reader_close(r);
}

static void read_tasks(const struct trace *t)
{
	char err[512] = "";
	struct trace_reader *r = trace_stream_reader(t, TRACE_STREAM_TASKS, err,
						     sizeof(err));
	struct trace_record rec;
	if (!r)
		return;
	while (trace_reader_next(r, &rec) == TRACE_RECORD) {
		uint64_t event;
		struct insn_site *sites;
		size_t n;
		if (rec.type != TRACE_REC_INSN_SITES)
			continue;
		if (insn_sites_decode(rec.data, rec.len, &event, &sites, &n) == 0) {
			for (size_t i = 0; i < n; i++)
				check(sites[i].len >= INSN_TRAP_LEN &&
				      sites[i].len <= INSN_MAX_LEN);
			free(sites);
		} else {
			check(sites == NULL && n == 0);
		}
	}
	trace_reader_close(r);
}

static void read_filemap(const struct trace *t)
{
	char err[512] = "";
	struct trace_reader *r = trace_stream_reader(t, TRACE_STREAM_FILEMAP,
						     err, sizeof(err));
	struct trace_record rec;
	if (!r)
		return;
	while (trace_reader_next(r, &rec) == TRACE_RECORD) {
		struct trace_file_entry e;
		if (rec.type != TRACE_REC_FILE_STORED ||
		    trace_file_entry_decode(&e, rec.data, rec.len) != 0)
			continue;
		check(e.path != NULL);
		check(valid_hex_id(e.id.hex));
		try_file_id(t, e.id.hex);
		trace_file_entry_free(&e);
	}
	trace_reader_close(r);
}

static void read_procs(const struct trace *t)
{
	struct trace_proc *procs;
	size_t n;
	bool complete;
	char err[512] = "";
	if (trace_procs_read(t, &procs, &n, &complete, err, sizeof(err)) < 0) {
		check(err[0] != 0);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		check(procs[i].argc == 0 || procs[i].argv != NULL);
		check(trace_procs_find(procs, n, procs[i].pid) != NULL);
	}
	trace_procs_free(procs, n);
}

static void check_header(const struct trace_header *h)
{
	check(h->format_major >= TRACE_FORMAT_MAJOR_OLDEST &&
	      h->format_major <= TRACE_FORMAT_MAJOR);
	check(h->argc == 0 || (h->argv && h->argv[h->argc] == NULL));
	check(h->envc == 0 || (h->envp && h->envp[h->envc] == NULL));
	check(h->tick_source != NULL);
	for (size_t i = 0; i < h->ncpuid; i++)
		(void)trace_header_find_cpuid(h, h->cpuid[i].leaf,
					      h->cpuid[i].subleaf);
}

static void read_trace(const struct expect x[TRACE_NSTREAMS])
{
	char err[512] = "";
	struct trace *t = trace_open(trace_dir_path, err, sizeof(err));
	if (!t) {
		check(contains(err, trace_dir_path));
		return;
	}
	check_header(trace_header(t));
	check(trace_state(t) == TRACE_COMPLETE ||
	      trace_state(t) == TRACE_INCOMPLETE);
	for (int s = 0; s < TRACE_NSTREAMS; s++)
		read_records(t, (enum trace_stream)s, x && x[s].raw ? &x[s] : NULL);
	read_events(t);
	read_mmaps(t);
	read_tasks(t);
	read_filemap(t);
	read_procs(t);
	/* ids that are not ids */
	try_file_id(t, "");
	try_file_id(t, "../version");
	check(trace_close(t, err, sizeof(err)) == 0);
}

/* ---- directory modes ----------------------------------------------------- */

static void fuzz_dir(const uint8_t *p, size_t n, unsigned mode)
{
	bool framed = (mode & 3) == MODE_DIR_FRAMED;
	struct expect x[TRACE_NSTREAMS];
	memset(x, 0, sizeof(x));
	clear_dir();
	if (mode & MODE_SYNTH_HEADER)
		write_synth_header(mode & MODE_SYNTH_INCOMPLETE);
	while (n >= 5) {
		unsigned kind = p[0] % 16;
		size_t len = get_u32(p + 1);
		p += 5;
		n -= 5;
		if (len > n)
			len = n;
		const uint8_t *sec = p;
		p += len;
		n -= len;
		if (kind >= SEC_NKINDS)
			continue;
		if (kind == SEC_STORED) {
			write_stored(sec, len, NULL);
		} else if (kind == SEC_STORED_NAMED) {
			if (len >= TRACE_SHA256_SIZE)
				write_stored(sec + TRACE_SHA256_SIZE,
					     len - TRACE_SHA256_SIZE, sec);
		} else if (kind == SEC_DIRECTORY) {
			if (len >= 1) {
				char *d = path_in(file_names[sec[0] % 7]);
				if (unlink(d) == 0 || errno == ENOENT)
					check(mkdir(d, 0755) == 0);
				free(d);
			}
		} else if (!framed) {
			write_file(file_names[kind], sec, len);
		} else if (kind <= SEC_INCOMPLETE) {
			struct trace_buf b;
			trace_buf_init(&b);
			trace_buf_put_bytes(&b, sec, len);
			append_header_end(&b);
			write_file(file_names[kind], b.data, b.len);
			trace_buf_free(&b);
		} else if (len >= 3) {
			struct expect *e = &x[kind - SEC_EVENTS];
			e->flags = sec[0];
			e->raw = sec + 3;
			e->len = len - 3;
			size_t bs = (size_t)sec[1] | (size_t)sec[2] << 8;
			struct trace_buf b;
			trace_buf_init(&b);
			frame_stream(&b, e->raw, e->len, bs, e->flags);
			write_file(file_names[kind], b.data, b.len);
			trace_buf_free(&b);
		}
	}
	read_trace(framed ? x : NULL);
}

/* ---- in-memory decoders -------------------------------------------------- */

static void roundtrip_event(uint32_t type, const uint8_t *p, size_t n)
{
	struct trace_event ev;
	int rc = trace_event_decode(&ev, type, p, n);
	check(rc >= -1 && rc <= 1);
	if (rc != 0)
		return;
	struct trace_buf a, b;
	trace_buf_init(&a);
	trace_buf_init(&b);
	check(trace_event_encode(&ev, &a) == 0);
	trace_event_free(&ev);
	check(trace_event_decode(&ev, type, a.data, a.len) == 0);
	check(trace_event_encode(&ev, &b) == 0);
	trace_event_free(&ev);
	check(a.len == b.len && memcmp(a.data, b.data, a.len) == 0);
	/* a record one byte short is malformed (for the types known when
	 * this was written; a new type may end in optional fields) */
	if (a.len && type >= EV_EXEC && type <= EV_FORK)
		check(trace_event_decode(&ev, type, a.data, a.len - 1) == -1);
	trace_buf_free(&a);
	trace_buf_free(&b);
}

static void roundtrip_mmap(const uint8_t *p, size_t n)
{
	struct trace_mmap_record m;
	if (trace_mmap_decode(&m, p, n) != 0)
		return;
	struct trace_buf a, b;
	trace_buf_init(&a);
	trace_buf_init(&b);
	check(trace_mmap_encode(&m, &a) == 0);
	trace_mapping_free(&m.map);
	check(trace_mmap_decode(&m, a.data, a.len) == 0);
	check(trace_mmap_encode(&m, &b) == 0);
	trace_mapping_free(&m.map);
	check(a.len == b.len && memcmp(a.data, b.data, a.len) == 0);
	trace_buf_free(&a);
	trace_buf_free(&b);
}

static void roundtrip_sites(const uint8_t *p, size_t n)
{
	uint64_t event;
	struct insn_site *sites;
	size_t count;
	if (insn_sites_decode(p, n, &event, &sites, &count) != 0)
		return;
	struct trace_buf a;
	trace_buf_init(&a);
	check(insn_sites_encode(event, sites, count, &a) == 0);
	check(!a.failed && a.len == n && memcmp(a.data, p, n) == 0);
	free(sites);
	trace_buf_free(&a);
}

static void roundtrip_header(const uint8_t *p, size_t n)
{
	struct trace_header h;
	char err[512] = "";
	if (trace_header_decode(&h, p, n, "fuzz/version", err, sizeof(err)) < 0) {
		check(contains(err, "fuzz/version"));
		return;
	}
	check_header(&h);
	struct trace_buf a, b;
	trace_buf_init(&a);
	trace_buf_init(&b);
	check(trace_header_encode(&h, &a) == 0);
	trace_header_free(&h);
	check(trace_header_decode(&h, a.data, a.len, "a", err, sizeof(err)) == 0);
	check(trace_header_encode(&h, &b) == 0);
	trace_header_free(&h);
	check(a.len == b.len && memcmp(a.data, b.data, a.len) == 0);
	trace_buf_free(&a);
	trace_buf_free(&b);
}

static void fuzz_memory(const uint8_t *p, size_t n)
{
	if (n < 1)
		return;
	unsigned which = p[0] % MEM_NWHICH;
	p++;
	n--;
	switch (which) {
	case MEM_EVENT:
		if (n >= 4)
			roundtrip_event(get_u32(p), p + 4, n - 4);
		break;
	case MEM_MMAP:
		roundtrip_mmap(p, n);
		break;
	case MEM_FILEMAP: {
		struct trace_file_entry e;
		if (trace_file_entry_decode(&e, p, n) == 0) {
			check(e.path != NULL && valid_hex_id(e.id.hex));
			trace_file_entry_free(&e);
		}
		break;
	}
	case MEM_SITES:
		roundtrip_sites(p, n);
		break;
	case MEM_HEADER:
		roundtrip_header(p, n);
		break;
	case MEM_HEADER_FRAMED: {
		struct trace_buf b;
		trace_buf_init(&b);
		trace_buf_put_bytes(&b, p, n);
		append_header_end(&b);
		roundtrip_header(b.data, b.len);
		trace_buf_free(&b);
		break;
	}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	setup();
	probe_fds();
	unsigned mode = data[0];
	if ((mode & 3) >= MODE_MEMORY)
		fuzz_memory(data + 1, size - 1);
	else
		fuzz_dir(data + 1, size - 1, mode);
	check_no_fd_leak();
	return 0;
}

/* ---- seeds from a real trace --------------------------------------------- */

struct seed {
	struct trace_buf b;
};

static void seed_begin(struct seed *s, uint8_t mode)
{
	trace_buf_init(&s->b);
	trace_buf_put_u8(&s->b, mode);
}

static void seed_section(struct seed *s, unsigned kind, const void *p,
			 size_t n)
{
	trace_buf_put_u8(&s->b, (uint8_t)kind);
	trace_buf_put_u32(&s->b, (uint32_t)n);
	trace_buf_put_bytes(&s->b, p, n);
}

/* A framed stream section: flags, block size, raw records. */
static void seed_framed(struct seed *s, unsigned kind, unsigned flags,
			unsigned block_size, const struct trace_buf *raw)
{
	trace_buf_put_u8(&s->b, (uint8_t)kind);
	trace_buf_put_u32(&s->b, (uint32_t)(raw->len + 3));
	trace_buf_put_u8(&s->b, (uint8_t)flags);
	trace_buf_put_u16(&s->b, (uint16_t)block_size);
	trace_buf_put_bytes(&s->b, raw->data, raw->len);
}

static void seed_end(struct seed *s, const char *outdir, const char *name)
{
	char path[4096];
	check(!s->b.failed);
	snprintf(path, sizeof(path), "%s/%s", outdir, name);
	FILE *f = fopen(path, "wb");
	check(f != NULL);
	check(fwrite(s->b.data, 1, s->b.len, f) == s->b.len);
	check(fclose(f) == 0);
	printf("%s: %zu bytes\n", path, s->b.len);
	trace_buf_free(&s->b);
}

static void slurp(const char *dir, const char *name, struct trace_buf *b)
{
	char path[4096];
	uint8_t chunk[65536];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		exit(1);
	}
	size_t k;
	while ((k = fread(chunk, 1, sizeof(chunk), f)) > 0)
		trace_buf_put_bytes(b, chunk, k);
	fclose(f);
	check(!b->failed);
}

/* Where the END block of a stream file starts. */
static size_t end_block_offset(const struct trace_buf *b)
{
	size_t off = 0;
	while (b->len - off >= BLOCK_HEADER_SIZE &&
	       !(get_u32(b->data + off + 4) & 1))
		off += BLOCK_HEADER_SIZE + get_u32(b->data + off + 12);
	check(off <= b->len);
	return off;
}

static void put_record(struct trace_buf *b, uint32_t type, const void *p,
		       size_t n)
{
	trace_buf_put_u32(b, type);
	trace_buf_put_u32(b, (uint32_t)n);
	trace_buf_put_bytes(b, p, n);
}

/* The uncompressed records of a stream, at most `max` bytes of whole
 * records. */
static void stream_records(const struct trace *t, enum trace_stream s,
			   size_t max, struct trace_buf *raw)
{
	char err[512];
	struct trace_reader *r = trace_stream_reader(t, s, err, sizeof(err));
	struct trace_record rec;
	check(r != NULL);
	while (trace_reader_next(r, &rec) == TRACE_RECORD &&
	       raw->len + 8 + rec.len <= max)
		put_record(raw, rec.type, rec.data, rec.len);
	trace_reader_close(r);
}

static void first_record(const struct trace *t, enum trace_stream s,
			 uint32_t type, struct trace_buf *out)
{
	char err[512];
	struct trace_reader *r = trace_stream_reader(t, s, err, sizeof(err));
	struct trace_record rec;
	check(r != NULL);
	while (trace_reader_next(r, &rec) == TRACE_RECORD) {
		if (rec.type == type) {
			trace_buf_put_bytes(out, rec.data, rec.len);
			break;
		}
	}
	trace_reader_close(r);
}

static void encode_event(struct trace_buf *b, const struct trace_event *ev)
{
	struct trace_buf body;
	trace_buf_init(&body);
	check(trace_event_encode(ev, &body) == 0);
	put_record(b, ev->type, body.data, body.len);
	trace_buf_free(&body);
}

/* One small event of each type, with the data records their writes need. */
static void synth_events(struct trace_buf *events, struct trace_buf *data,
			 const char *file_id)
{
	struct trace_mapping map = {
		.start = 0x400000, .end = 0x401000, .prot = 5, .flags = 2,
		.path = (char *)"/bin/prog",
	};
	struct trace_mem_write w[2] = { { 0x7ffff000, 4 }, { 0x7ffff010, 2 } };
	uint8_t xstate[64] = { 1, 2, 3 }, frame[32] = { 4, 5, 6 };
	char *argv[] = { (char *)"prog", (char *)"-x" };
	snprintf(map.file.hex, sizeof(map.file.hex), "%s", file_id);
	struct trace_event ev = { .type = EV_EXEC, .tid = 100 };
	ev.u.exec = (struct ev_exec){
		.xstate = xstate, .xstate_len = sizeof(xstate), .xcr0 = 7,
		.maps = &map, .nmaps = 1, .mem = w, .nmem = 1, .argv = argv,
		.argc = 2,
	};
	encode_event(events, &ev);
	put_record(data, TRACE_REC_DATA, "abcd", 4);
	ev = (struct trace_event){ .type = EV_SYSCALL, .tid = 100 };
	ev.u.syscall = (struct ev_syscall){
		.number = 0, .args = { 0, 0x7ffff010, 2 }, .result = 2,
		.writes = &w[1], .nwrites = 1,
	};
	encode_event(events, &ev);
	put_record(data, TRACE_REC_DATA, "ef", 2);
	ev = (struct trace_event){ .type = EV_RDTSC, .tid = 100 };
	ev.u.rdtsc = (struct ev_rdtsc){ .value = 1234, .rip = 0x400010,
					.tsc_aux = 1, .rdtscp = true };
	encode_event(events, &ev);
	ev = (struct trace_event){ .type = EV_SIGNAL, .tid = 100 };
	ev.u.signal.signo = 10;
	ev.u.signal.frame_addr = 0x7fffe000;
	ev.u.signal.frame = frame;
	ev.u.signal.frame_len = sizeof(frame);
	encode_event(events, &ev);
	ev = (struct trace_event){ .type = EV_THREAD_CREATE, .tid = 100 };
	ev.u.thread_create = (struct ev_thread_create){ 101, 0x3d0f00, 7 };
	encode_event(events, &ev);
	ev = (struct trace_event){ .type = EV_FORK, .tid = 100 };
	ev.u.fork = (struct ev_thread_create){ 102, 0x11, 7 };
	encode_event(events, &ev);
	ev = (struct trace_event){ .type = EV_XCR0_CHANGE, .tid = 101 };
	ev.u.xcr0_change = (struct ev_xcr0_change){ 7, 3 };
	encode_event(events, &ev);
	/* a preemption point and its resume (2.1) */
	static struct point_range pr[] = { { 0x601000, 8 }, { 0x601010, 8 } };
	static uint8_t pb[16] = { 1 };
	ev = (struct trace_event){ .type = EV_POINT, .tid = 101 };
	ev.u.point = (struct ev_point){ .reason = POINT_PREEMPT,
					.flags = POINT_LOOP, .patch_safe = 7,
					.ranges = pr, .nranges = 2, .bytes = pb,
					.nbytes = sizeof(pb) };
	encode_event(events, &ev);
	ev = (struct trace_event){ .type = EV_RESUME, .tid = 101 };
	encode_event(events, &ev);
	ev = (struct trace_event){ .type = EV_THREAD_EXIT, .tid = 101 };
	encode_event(events, &ev);
	/* an optional record replay skips, then the exits */
	put_record(events, 0x100, "note", 4);
	ev = (struct trace_event){ .type = EV_EXIT, .tid = 102 };
	encode_event(events, &ev);
	ev = (struct trace_event){ .type = EV_EXIT, .tid = 100 };
	encode_event(events, &ev);
}

static void synth_others(struct trace_buf *mmaps, struct trace_buf *tasks,
			 struct trace_buf *filemap, const char *file_id)
{
	struct trace_buf b;
	trace_buf_init(&b);
	struct trace_mmap_record m = {
		.event = 1, .tid = 100,
		.map = { .start = 0x500000, .end = 0x502000, .prot = 1,
			 .flags = 2, .offset = 0x1000, .path = (char *)"/lib/x.so" },
	};
	snprintf(m.map.file.hex, sizeof(m.map.file.hex), "%s", file_id);
	check(trace_mmap_encode(&m, &b) == 0);
	put_record(mmaps, TRACE_REC_MMAP, b.data, b.len);
	trace_buf_reset(&b);
	struct insn_site site = { .addr = 0x400020, .kind = INSN_CPUID,
				  .len = 2, .orig = { 0x0f, 0xa2 } };
	check(insn_sites_encode(0, &site, 1, &b) == 0);
	put_record(tasks, TRACE_REC_INSN_SITES, b.data, b.len);
	trace_buf_reset(&b);
	trace_buf_put_str(&b, "/bin/prog");
	trace_buf_put_u64(&b, 5);
	trace_buf_put_u64(&b, 1700000000);
	trace_buf_put_u32(&b, 5);
	trace_buf_put_u64(&b, 0x803);
	trace_buf_put_u64(&b, 1234);
	trace_buf_put_str(&b, file_id);
	put_record(filemap, TRACE_REC_FILE_STORED, b.data, b.len);
	trace_buf_free(&b);
}

static void make_seeds(const char *dir, const char *out)
{
	static const char stored[] = "seed\n";
	char err[512], file_id[TRACE_FILE_ID_LEN + 1];
	uint8_t digest[TRACE_SHA256_SIZE];
	struct trace_sha256 sha;
	struct seed s;
	struct trace_buf b;

	trace_sha256_init(&sha);
	trace_sha256_update(&sha, stored, sizeof(stored) - 1);
	trace_sha256_final(&sha, digest);
	trace_hex(file_id, digest, sizeof(digest));
	struct trace *t = trace_open(dir, err, sizeof(err));
	if (!t) {
		fprintf(stderr, "%s\n", err);
		exit(1);
	}

	/* DIR_RAW: the real header alone. */
	trace_buf_init(&b);
	slurp(dir, "version", &b);
	seed_begin(&s, MODE_DIR_RAW);
	seed_section(&s, SEC_VERSION, b.data, b.len);
	seed_end(&s, out, "raw-header");
	/* DIR_FRAMED: the same without its END entry. */
	seed_begin(&s, MODE_DIR_FRAMED);
	seed_section(&s, SEC_VERSION, b.data, b.len - 12);
	seed_end(&s, out, "framed-header");
	trace_buf_free(&b);

	/* DIR_RAW: the real small streams and a stored file. */
	seed_begin(&s, MODE_DIR_RAW | MODE_SYNTH_HEADER);
	for (unsigned k = SEC_EVENTS; k <= SEC_FILEMAP; k++) {
		if (k == SEC_DATA)
			continue;
		trace_buf_init(&b);
		slurp(dir, file_names[k], &b);
		seed_section(&s, k, b.data, b.len);
		trace_buf_free(&b);
	}
	seed_section(&s, SEC_STORED, stored, sizeof(stored) - 1);
	seed_end(&s, out, "raw-streams");
	/* ... the data stream. */
	seed_begin(&s, MODE_DIR_RAW | MODE_SYNTH_HEADER);
	trace_buf_init(&b);
	slurp(dir, "data", &b);
	seed_section(&s, SEC_DATA, b.data, b.len);
	trace_buf_free(&b);
	seed_end(&s, out, "raw-data");
	/* ... the events stream as a killed recorder leaves it. */
	seed_begin(&s, MODE_DIR_RAW | MODE_SYNTH_HEADER | MODE_SYNTH_INCOMPLETE);
	trace_buf_init(&b);
	slurp(dir, "events", &b);
	seed_section(&s, SEC_EVENTS, b.data, end_block_offset(&b));
	trace_buf_free(&b);
	seed_end(&s, out, "raw-incomplete");

	/* DIR_FRAMED: the first records of the real events, in small blocks. */
	struct trace_buf raw;
	trace_buf_init(&raw);
	stream_records(t, TRACE_STREAM_EVENTS, 6144, &raw);
	seed_begin(&s, MODE_DIR_FRAMED | MODE_SYNTH_HEADER);
	seed_framed(&s, SEC_EVENTS, 0, 1000, &raw);
	trace_buf_reset(&raw);
	stream_records(t, TRACE_STREAM_MMAPS, 1024, &raw);
	seed_framed(&s, SEC_MMAPS, 0, 300, &raw);
	trace_buf_reset(&raw);
	stream_records(t, TRACE_STREAM_FILEMAP, 1024, &raw);
	seed_framed(&s, SEC_FILEMAP, 0, 0, &raw);
	seed_end(&s, out, "framed-real");
	trace_buf_free(&raw);

	/* DIR_FRAMED: one event of each type, records across blocks. */
	struct trace_buf ev, data, mm, tasks, fm;
	trace_buf_init(&ev);
	trace_buf_init(&data);
	trace_buf_init(&mm);
	trace_buf_init(&tasks);
	trace_buf_init(&fm);
	synth_events(&ev, &data, file_id);
	synth_others(&mm, &tasks, &fm, file_id);
	seed_begin(&s, MODE_DIR_FRAMED | MODE_SYNTH_HEADER);
	seed_framed(&s, SEC_EVENTS, 0, 64, &ev);
	seed_framed(&s, SEC_DATA, 0, 3, &data);
	seed_framed(&s, SEC_MMAPS, 0, 0, &mm);
	seed_framed(&s, SEC_TASKS, 0, 0, &tasks);
	seed_framed(&s, SEC_FILEMAP, 0, 16, &fm);
	seed_section(&s, SEC_STORED, stored, sizeof(stored) - 1);
	seed_end(&s, out, "framed-synth");
	/* ... cut off, as an interrupted recording. */
	seed_begin(&s, MODE_DIR_FRAMED | MODE_SYNTH_HEADER | MODE_SYNTH_INCOMPLETE);
	seed_framed(&s, SEC_EVENTS, FR_NO_END, 100, &ev);
	seed_framed(&s, SEC_DATA, FR_NO_END | FR_CUT_LAST, 0, &data);
	seed_end(&s, out, "framed-incomplete");

	/* MEMORY: each event type alone. */
	for (size_t at = 0; at + 8 <= ev.len;) {
		uint32_t type = get_u32(ev.data + at);
		uint32_t len = get_u32(ev.data + at + 4);
		char name[64];
		seed_begin(&s, MODE_MEMORY);
		trace_buf_put_u8(&s.b, MEM_EVENT);
		trace_buf_put_bytes(&s.b, ev.data + at, 4);
		trace_buf_put_bytes(&s.b, ev.data + at + 8, len);
		snprintf(name, sizeof(name), "mem-%s",
			 type & TRACE_TYPE_REQUIRED ? trace_event_name(type)
						    : "optional-record");
		seed_end(&s, out, name);
		at += 8 + (size_t)len;
	}
	/* ... the real first EV_EXEC and EV_SYSCALL. */
	uint32_t real[] = { EV_EXEC, EV_SYSCALL };
	for (size_t i = 0; i < 2; i++) {
		char name[64];
		seed_begin(&s, MODE_MEMORY);
		trace_buf_put_u8(&s.b, MEM_EVENT);
		trace_buf_put_u32(&s.b, real[i]);
		first_record(t, TRACE_STREAM_EVENTS, real[i], &s.b);
		snprintf(name, sizeof(name), "mem-recorded-%s",
			 trace_event_name(real[i]));
		seed_end(&s, out, name);
	}
	/* ... mmap, filemap, sites records (without record headers). */
	struct { enum mem_which which; struct trace_buf *recs; const char *name; }
	singles[] = {
		{ MEM_MMAP, &mm, "mem-mmap" },
		{ MEM_FILEMAP, &fm, "mem-filemap" },
		{ MEM_SITES, &tasks, "mem-sites" },
	};
	for (size_t i = 0; i < 3; i++) {
		seed_begin(&s, MODE_MEMORY);
		trace_buf_put_u8(&s.b, (uint8_t)singles[i].which);
		trace_buf_put_bytes(&s.b, singles[i].recs->data + 8,
				    singles[i].recs->len - 8);
		seed_end(&s, out, singles[i].name);
	}
	/* ... a small header with arrays. */
	struct trace_header h;
	trace_header_init(&h);
	char *hargv[] = { (char *)"prog", (char *)"arg", NULL };
	check(trace_header_set_argv(&h, hargv) == 0);
	check(trace_header_set_envp(&h, hargv) == 0);
	check(trace_header_set_string(&h.cwd, "/tmp") == 0);
	struct cpuid_leaf leaf = { .leaf = 0xd, .subleaf = 0, .eax = 7,
				   .ebx = 0x340, .ecx = 0x340 };
	check(trace_header_add_cpuid(&h, &leaf) == 0);
	check(trace_header_set_thread_xcr0(&h, 100, 7) == 0);
	h.xsave.supported_xcr0 = 7;
	h.xsave.max_size = 0x340;
	h.xsave.comp[2].supported = true;
	h.xsave.comp[2].offset = 576;
	h.xsave.comp[2].size = 256;
	h.bound_cpu = 1;
	trace_buf_init(&b);
	check(trace_header_encode(&h, &b) == 0);
	trace_header_free(&h);
	seed_begin(&s, MODE_MEMORY);
	trace_buf_put_u8(&s.b, MEM_HEADER);
	trace_buf_put_bytes(&s.b, b.data, b.len);
	seed_end(&s, out, "mem-header");
	seed_begin(&s, MODE_MEMORY);
	trace_buf_put_u8(&s.b, MEM_HEADER_FRAMED);
	trace_buf_put_bytes(&s.b, b.data, b.len - 12);
	seed_end(&s, out, "mem-header-framed");
	trace_buf_free(&b);

	trace_buf_free(&ev);
	trace_buf_free(&data);
	trace_buf_free(&mm);
	trace_buf_free(&tasks);
	trace_buf_free(&fm);
	trace_close(t, err, sizeof(err));
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	if (*argc == 4 && strcmp((*argv)[1], "--make-seeds") == 0) {
		make_seeds((*argv)[2], (*argv)[3]);
		exit(0);
	}
	return 0;
}
