/* xrr pack: a trace directory as one zstd-compressed tar (libarchive),
 * or made self-contained in place.
 *
 * A trace already holds a copy of every file the program mapped
 * (files/<sha256>, taken at record time, docs/trace-format.md), the
 * vdso among its EV_EXEC memory.  What it does not hold is what GDB
 * finds beside those files on the recording machine: separate debug
 * info.  Packing adds it (trace_pack_debug.c) as stored files with
 * filemap records, so the replay target serves them by the paths GDB
 * asks for. */
#include "config.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "replay/trace_codec.h"
#include "replay/trace_internal.h"
#include "replay/trace_pack_int.h"

#define CHUNK (1u << 20)

/* ---- member names ------------------------------------------------------------ */

static enum trace_pack_member bad(char *why, size_t whylen, const char *fmt,
				  const char *name)
{
	snprintf(why, whylen, fmt, name);
	return TRACE_MEMBER_BAD;
}

enum trace_pack_member trace_pack_member_kind(const char *name,
					      const char *top, size_t *toplen,
					      char *why, size_t whylen)
{
	const char *comp[4];
	size_t len[4], n = 0;

	if (!*name)
		return bad(why, whylen, "an empty member name%s", "");
	if (name[0] == '/')
		return bad(why, whylen, "member %s has an absolute path", name);
	for (const char *p = name; *p;) {
		const char *slash = strchr(p, '/');
		size_t l = slash ? (size_t)(slash - p) : strlen(p);
		if (l == 0)
			return bad(why, whylen, "member %s has an empty path"
				   " component", name);
		if ((l == 1 && p[0] == '.') || (l == 2 && !strncmp(p, "..", 2)))
			return bad(why, whylen, "member %s has a '.' or '..'"
				   " component (it would leave the trace"
				   " directory)", name);
		if (n == 4)
			return bad(why, whylen, "member %s is nested too deep"
				   " (a trace holds TOP/NAME and"
				   " TOP/files/SHA256 only)", name);
		comp[n] = p;
		len[n++] = l;
		p = slash ? slash + 1 : p + l;
	}
	if (*top && (len[0] != strlen(top) || strncmp(comp[0], top, len[0])))
		return bad(why, whylen, "member %s is outside the archive's"
			   " trace directory", name);
	if (toplen)
		*toplen = len[0];
	if (n == 1)
		return TRACE_MEMBER_TOP_DIR;
	bool in_files = len[1] == strlen(TRACE_FILES_DIR) &&
			!strncmp(comp[1], TRACE_FILES_DIR, len[1]);
	if (n == 2)
		return in_files ? TRACE_MEMBER_FILES_DIR : TRACE_MEMBER_TOP_FILE;
	char id[TRACE_FILE_ID_LEN + 2];
	if (n == 3 && in_files && len[2] == TRACE_FILE_ID_LEN) {
		memcpy(id, comp[2], len[2]);
		id[len[2]] = 0;
		if (trace_file_id_valid(id))
			return TRACE_MEMBER_STORED_FILE;
	}
	return bad(why, whylen, "unexpected member %s (a trace holds TOP/NAME"
		   " and TOP/files/SHA256 only)", name);
}

/* ---- progress ------------------------------------------------------------------- */

void pack_progress(const struct trace_pack_opts *opts,
		   const struct trace_pack_progress *p)
{
	if (opts && opts->progress)
		opts->progress(p, opts->progress_arg);
}

/* ---- the filemap with the debug files' records ---------------------------------- */

/* Every record of t's filemap (of any type: a later minor's too), then
 * one per debug file, into a new stream at path. */
static int write_filemap(const struct trace *t, const struct pack_debug_set *s,
			 const char *path, char *err, size_t errlen)
{
	struct trace_reader *rd = trace_stream_reader(t, TRACE_STREAM_FILEMAP,
						      err, errlen);
	if (!rd)
		return -1;
	struct trace_writer *w = trace_writer_create(path, 0, err, errlen);
	if (!w) {
		trace_reader_close(rd);
		return -1;
	}
	struct trace_record rec;
	enum trace_status st;
	int rc = 0;
	while (rc == 0 && (st = trace_reader_next(rd, &rec)) == TRACE_RECORD)
		rc = trace_writer_append(w, rec.type, rec.data, rec.len);
	if (rc == 0 && (st == TRACE_CORRUPT || st == TRACE_IO_ERROR)) {
		snprintf(err, errlen, "%s", trace_reader_error(rd));
		trace_reader_close(rd);
		trace_writer_abandon(w);
		return -1;
	}
	trace_reader_close(rd);
	struct trace_buf b;
	trace_buf_init(&b);
	for (size_t i = 0; rc == 0 && i < s->n; i++) {
		const struct pack_debug_file *f = &s->v[i];
		struct trace_file_entry e = {
			.path = f->gdb_path, .size = (uint64_t)f->st.st_size,
			.mtime_sec = f->st.st_mtim.tv_sec,
			.mtime_nsec = (uint32_t)f->st.st_mtim.tv_nsec,
			.dev = (uint64_t)f->st.st_dev,
			.ino = (uint64_t)f->st.st_ino, .id = f->id,
		};
		trace_buf_reset(&b);
		trace_file_entry_encode(&e, &b);
		rc = b.failed ? -1 : trace_writer_append(w, TRACE_REC_FILE_STORED,
							  b.data, b.len);
	}
	trace_buf_free(&b);
	if (rc < 0) {
		snprintf(err, errlen, "%s: %s", path, trace_writer_error(w));
		trace_writer_abandon(w);
		return -1;
	}
	return trace_writer_close(w, err, errlen);
}

/* ---- opening the trace ------------------------------------------------------------- */

static struct trace *open_for_pack(const char *dir, char *err, size_t errlen)
{
	struct trace *t = trace_open(dir, err, errlen);
	if (!t)
		return NULL;
	if (trace_state(t) == TRACE_RECORDING) {
		char ignored[64];
		snprintf(err, errlen, "trace %s is being recorded: pack it once"
			 " the recorder has finished", dir);
		trace_close(t, ignored, sizeof(ignored));
		return NULL;
	}
	return t;
}

/* ---- the archive ----------------------------------------------------------------- */

struct member {
	char name[TRACE_FILE_ID_LEN + 64];      /* below the top directory */
	char *source;                           /* the file to read */
	bool stored;                            /* files/<id>: hash checked */
	uint64_t size;
};

struct member_list {
	struct member *v;
	size_t n;
	uint64_t bytes;
};

static void members_free(struct member_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i].source);
	free(l->v);
}

static bool members_have(const struct member_list *l, const char *name)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->v[i].name, name) == 0)
			return true;
	return false;
}

static int add_member(struct member_list *l, const char *name,
		      const char *source, bool stored, uint64_t size)
{
	struct member *grown = realloc(l->v, (l->n + 1) * sizeof(*grown));
	if (!grown)
		return -1;
	l->v = grown;
	struct member *m = &l->v[l->n];
	memset(m, 0, sizeof(*m));
	snprintf(m->name, sizeof(m->name), "%s", name);
	if (!(m->source = strdup(source)))
		return -1;
	m->stored = stored;
	m->size = size;
	l->n++;
	l->bytes += size;
	return 0;
}

/* Files a writer leaves while it works, never part of a trace. */
static bool is_temporary(const char *name)
{
	return name[0] == '.' || strstr(name, ".tmp") ||
	       !strncmp(name, "tmp.", 4);
}

static int compare_members(const void *a, const void *b)
{
	const struct member *x = a, *y = b;
	/* The header first: a reader of the stream sees what it holds
	 * before the bulk; stored files last. */
	int rx = !strcmp(x->name, "version") || !strcmp(x->name, "incomplete")
		 ? 0 : x->stored ? 2 : 1;
	int ry = !strcmp(y->name, "version") || !strcmp(y->name, "incomplete")
		 ? 0 : y->stored ? 2 : 1;
	return rx != ry ? rx - ry : strcmp(x->name, y->name);
}

/* The regular files of one level of the trace directory. */
static int list_level(const char *dir, const char *sub, struct member_list *l,
		      const char *filemap_source, char *err, size_t errlen)
{
	char path[8192];
	snprintf(path, sizeof(path), "%s%s%s", dir, sub ? "/" : "", sub ? sub : "");
	DIR *d = opendir(path);
	if (!d) {
		if (sub && errno == ENOENT)
			return 0;
		snprintf(err, errlen, "%s: cannot list: %s", path, strerror(errno));
		return -1;
	}
	struct dirent *e;
	int rc = 0;
	while (rc == 0 && (e = readdir(d))) {
		char name[sizeof(((struct member *)0)->name)], src[8448];
		struct stat st;
		if (is_temporary(e->d_name))
			continue;
		if (sub && !trace_file_id_valid(e->d_name))
			continue;
		snprintf(src, sizeof(src), "%s/%s", path, e->d_name);
		if (lstat(src, &st) < 0 || !S_ISREG(st.st_mode))
			continue;
		if (snprintf(name, sizeof(name), "%s%s%s", sub ? sub : "",
			     sub ? "/" : "", e->d_name) >= (int)sizeof(name))
			continue;       /* not a name a trace has */
		if (!sub && filemap_source && !strcmp(name, "filemap"))
			snprintf(src, sizeof(src), "%s", filemap_source);
		rc = add_member(l, name, src, sub != NULL, (uint64_t)st.st_size);
		if (rc < 0)
			snprintf(err, errlen, "out of memory");
	}
	closedir(d);
	return rc;
}

static int list_members(const char *dir, const struct pack_debug_set *s,
			const char *filemap_source, struct member_list *l,
			char *err, size_t errlen)
{
	if (list_level(dir, NULL, l, filemap_source, err, errlen) < 0 ||
	    list_level(dir, TRACE_FILES_DIR, l, NULL, err, errlen) < 0)
		return -1;
	for (size_t i = 0; i < s->n; i++) {
		char name[sizeof(((struct member *)0)->name)];
		snprintf(name, sizeof(name), TRACE_FILES_DIR "/%s", s->v[i].id.hex);
		if (members_have(l, name))
			continue;       /* the same bytes are stored already */
		if (add_member(l, name, s->v[i].host_path, true,
			       (uint64_t)s->v[i].st.st_size) < 0) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
	}
	qsort(l->v, l->n, sizeof(*l->v), compare_members);
	return 0;
}

struct writer {
	struct archive *a;
	struct archive_entry *ae;
	const char *top;
	const char *archive_name;
	uint8_t *buf;
	const struct trace_pack_opts *opts;
	struct trace_pack_progress p;
};

static int archive_fail(struct writer *w, const char *what, char *err,
			size_t errlen)
{
	snprintf(err, errlen, "%s: writing %s: %s", w->archive_name, what,
		 archive_error_string(w->a) ? archive_error_string(w->a)
					    : strerror(errno));
	return -1;
}

static int write_dir_entry(struct writer *w, const char *name, char *err,
			   size_t errlen)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", w->top, name);
	archive_entry_clear(w->ae);
	archive_entry_set_pathname(w->ae, path);
	archive_entry_set_filetype(w->ae, AE_IFDIR);
	archive_entry_set_perm(w->ae, 0755);
	archive_entry_set_mtime(w->ae, time(NULL), 0);
	if (archive_write_header(w->a, w->ae) != ARCHIVE_OK)
		return archive_fail(w, path, err, errlen);
	return 0;
}

/* One file, its size fixed when opened; a stored file's bytes must
 * still hash to its name (the original may have changed since). */
static int write_file_entry(struct writer *w, const struct member *m,
			    char *err, size_t errlen)
{
	char path[4096];
	struct stat st;
	snprintf(path, sizeof(path), "%s/%s", w->top, m->name);
	int fd = open(m->source, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0) {
		snprintf(err, errlen, "%s: cannot read: %s", m->source,
			 strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	archive_entry_clear(w->ae);
	archive_entry_set_pathname(w->ae, path);
	archive_entry_set_filetype(w->ae, AE_IFREG);
	archive_entry_set_perm(w->ae, m->stored ? 0444 : 0644);
	archive_entry_set_size(w->ae, st.st_size);
	archive_entry_set_mtime(w->ae, st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
	if (archive_write_header(w->a, w->ae) != ARCHIVE_OK) {
		close(fd);
		return archive_fail(w, path, err, errlen);
	}
	struct trace_sha256 h;
	trace_sha256_init(&h);
	uint64_t done = 0, size = (uint64_t)st.st_size;
	while (done < size) {
		size_t want = size - done < CHUNK ? (size_t)(size - done) : CHUNK;
		ssize_t k = pread(fd, w->buf, want, (off_t)done);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			snprintf(err, errlen, "%s: %s while packing", m->source,
				 k < 0 ? strerror(errno) : "shrank");
			close(fd);
			return -1;
		}
		if (m->stored)
			trace_sha256_update(&h, w->buf, (size_t)k);
		if (archive_write_data(w->a, w->buf, (size_t)k) != k) {
			close(fd);
			return archive_fail(w, path, err, errlen);
		}
		done += (uint64_t)k;
		w->p.bytes += (uint64_t)k;
		pack_progress(w->opts, &w->p);
	}
	close(fd);
	if (m->stored) {
		uint8_t digest[TRACE_SHA256_SIZE];
		char hex[TRACE_FILE_ID_LEN + 1];
		trace_sha256_final(&h, digest);
		trace_hex(hex, digest, sizeof(digest));
		const char *slash = strrchr(m->name, '/');
		if (strcmp(hex, slash ? slash + 1 : m->name) != 0) {
			snprintf(err, errlen, "%s: content hashes to %s, not to"
				 " its name %s (changed while packing, or the"
				 " trace is damaged: xrr check)", m->source, hex,
				 m->name);
			return -1;
		}
	}
	w->p.files++;
	pack_progress(w->opts, &w->p);
	return 0;
}

static int write_archive(struct writer *w, const struct member_list *l,
			 int fd, char *err, size_t errlen)
{
	/* No padding after the zstd frame: libarchive pads the last block
	 * with zeros when the output is stdout, which no zstd reader takes
	 * for the end of the stream. */
	if (archive_write_add_filter_zstd(w->a) != ARCHIVE_OK ||
	    archive_write_set_format_pax_restricted(w->a) != ARCHIVE_OK ||
	    archive_write_set_bytes_in_last_block(w->a, 1) != ARCHIVE_OK ||
	    archive_write_open_fd(w->a, fd) != ARCHIVE_OK)
		return archive_fail(w, "the archive", err, errlen);
	if (write_dir_entry(w, "", err, errlen) < 0)
		return -1;
	bool files_dir = false;
	for (size_t i = 0; i < l->n; i++) {
		if (l->v[i].stored && !files_dir) {
			if (write_dir_entry(w, TRACE_FILES_DIR "/", err, errlen) < 0)
				return -1;
			files_dir = true;
		}
		if (write_file_entry(w, &l->v[i], err, errlen) < 0)
			return -1;
	}
	if (archive_write_close(w->a) != ARCHIVE_OK)
		return archive_fail(w, "the end of the archive", err, errlen);
	return 0;
}

static int top_name(const char *dir, char *top, size_t toplen, char *err,
		    size_t errlen)
{
	char canon[4096];
	if (!realpath(dir, canon)) {
		snprintf(err, errlen, "trace %s: %s", dir, strerror(errno));
		return -1;
	}
	const char *base = strrchr(canon, '/') ? strrchr(canon, '/') + 1 : canon;
	if (!*base || snprintf(top, toplen, "%s", base) >= (int)toplen) {
		snprintf(err, errlen, "trace %s: no usable directory name", dir);
		return -1;
	}
	return 0;
}

/* Write the members to `archive` (or stdout) through archive.part.PID. */
static int pack_members(const char *dir, const char *archive,
			const struct member_list *l,
			const struct trace_pack_opts *opts,
			struct trace_pack_stats *stats, char *err, size_t errlen)
{
	char top[256], part[4200];
	if (top_name(dir, top, sizeof(top), err, errlen) < 0)
		return -1;
	bool to_stdout = strcmp(archive, "-") == 0;
	int fd = 1;
	if (!to_stdout) {
		snprintf(part, sizeof(part), "%s.part.%d", archive, (int)getpid());
		fd = open(part, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (fd < 0) {
			snprintf(err, errlen, "%s: cannot create: %s", part,
				 strerror(errno));
			return -1;
		}
	}
	struct writer w = {
		.a = archive_write_new(), .ae = archive_entry_new(),
		.top = top, .archive_name = to_stdout ? "stdout" : archive,
		.buf = malloc(CHUNK), .opts = opts,
		.p = { .total_bytes = l->bytes, .total_files = (unsigned)l->n },
	};
	int rc = -1;
	if (!w.a || !w.ae || !w.buf)
		snprintf(err, errlen, "out of memory");
	else
		rc = write_archive(&w, l, fd, err, errlen);
	if (w.a) {
		if (rc == 0)
			stats->archive_bytes =
				(uint64_t)archive_filter_bytes(w.a, -1);
		archive_write_free(w.a);
	}
	if (w.ae)
		archive_entry_free(w.ae);
	free(w.buf);
	w.p.done = true;
	pack_progress(opts, &w.p);
	stats->files = w.p.files;
	stats->bytes = w.p.bytes;
	if (to_stdout)
		return rc;
	if (rc == 0 && fsync(fd) < 0) {
		snprintf(err, errlen, "%s: %s", part, strerror(errno));
		rc = -1;
	}
	close(fd);
	if (rc == 0 && rename(part, archive) < 0) {
		snprintf(err, errlen, "%s: cannot rename to %s: %s", part, archive,
			 strerror(errno));
		rc = -1;
	}
	if (rc < 0)
		unlink(part);
	return rc;
}

static void count_debug(const struct pack_debug_set *s,
			struct trace_pack_stats *stats)
{
	for (size_t i = 0; i < s->n; i++) {
		stats->debug_files++;
		stats->debug_bytes += (uint64_t)s->v[i].st.st_size;
	}
}

int trace_pack_write(const char *dir, const char *archive,
		     const struct trace_pack_opts *opts,
		     struct trace_pack_stats *stats, char *err, size_t errlen)
{
	struct trace_pack_stats ignored;
	if (!stats)
		stats = &ignored;
	memset(stats, 0, sizeof(*stats));
	struct trace *t = open_for_pack(dir, err, errlen);
	if (!t)
		return -1;
	struct pack_debug_set s;
	char e2[64];
	if (pack_find_debug_files(t, pack_debug_dirs(opts), &s, err, errlen) < 0) {
		trace_close(t, e2, sizeof(e2));
		return -1;
	}
	count_debug(&s, stats);
	/* The filemap naming the debug files is written beside, not into,
	 * the trace: packing does not change the trace directory. */
	char tmpdir[4096] = "", filemap[4200] = "";
	const char *base = getenv("TMPDIR");
	int rc = 0;
	if (s.n) {
		snprintf(tmpdir, sizeof(tmpdir), "%s/xrr-pack.XXXXXX",
			 base && *base ? base : "/tmp");
		if (!mkdtemp(tmpdir)) {
			snprintf(err, errlen, "%s: cannot create: %s", tmpdir,
				 strerror(errno));
			tmpdir[0] = 0;
			rc = -1;
		} else {
			snprintf(filemap, sizeof(filemap), "%s/filemap", tmpdir);
			rc = write_filemap(t, &s, filemap, err, errlen);
		}
	}
	struct member_list l = { 0 };
	if (rc == 0)
		rc = list_members(dir, &s, filemap[0] ? filemap : NULL, &l, err,
				  errlen);
	if (rc == 0)
		rc = pack_members(dir, archive, &l, opts, stats, err, errlen);
	members_free(&l);
	if (filemap[0])
		unlink(filemap);
	if (tmpdir[0])
		rmdir(tmpdir);
	pack_debug_set_free(&s);
	trace_close(t, e2, sizeof(e2));
	return rc;
}

/* ---- in place ----------------------------------------------------------------------- */

static int copy_debug_files(struct trace *t, struct pack_debug_set *s,
			    const struct trace_pack_opts *opts, char *err,
			    size_t errlen)
{
	struct trace_pack_progress p = { .total_files = (unsigned)s->n };
	for (size_t i = 0; i < s->n; i++)
		p.total_bytes += (uint64_t)s->v[i].st.st_size;
	for (size_t i = 0; i < s->n; i++) {
		struct pack_debug_file *f = &s->v[i];
		int src = open(f->host_path, O_RDONLY | O_CLOEXEC);
		if (src < 0 || trace_files_copy_in(t->dirfd, src, &f->id) < 0) {
			snprintf(err, errlen, "trace %s: cannot copy %s into it:"
				 " %s", trace_dir(t), f->host_path,
				 strerror(errno));
			if (src >= 0)
				close(src);
			return -1;
		}
		close(src);
		p.files++;
		p.bytes += (uint64_t)f->st.st_size;
		pack_progress(opts, &p);
	}
	p.done = true;
	pack_progress(opts, &p);
	return 0;
}

int trace_pack_in_place(const char *dir, const struct trace_pack_opts *opts,
			struct trace_pack_stats *stats, char *err,
			size_t errlen)
{
	struct trace_pack_stats ignored;
	if (!stats)
		stats = &ignored;
	memset(stats, 0, sizeof(*stats));
	struct trace *t = open_for_pack(dir, err, errlen);
	if (!t)
		return -1;
	struct pack_debug_set s;
	char e2[64], tmp[4200], final[4200];
	int rc = pack_find_debug_files(t, pack_debug_dirs(opts), &s, err, errlen);
	if (rc == 0 && s.n) {
		count_debug(&s, stats);
		snprintf(tmp, sizeof(tmp), "%s/filemap.tmp.%d", dir, (int)getpid());
		snprintf(final, sizeof(final), "%s/filemap", dir);
		rc = copy_debug_files(t, &s, opts, err, errlen);
		if (rc == 0)
			rc = write_filemap(t, &s, tmp, err, errlen);
		if (rc == 0 && rename(tmp, final) < 0) {
			snprintf(err, errlen, "%s: cannot replace: %s", final,
				 strerror(errno));
			rc = -1;
		}
		if (rc < 0)
			unlink(tmp);
	}
	pack_debug_set_free(&s);
	trace_close(t, e2, sizeof(e2));
	return rc;
}
