/* Mapped files kept inside the trace, content-addressed by SHA-256.
 *
 * The recorder stores every file the program maps, so that replay does
 * not depend on the originals (which may be rebuilt, upgraded or edited
 * in place).  Copies are reflinks where the file system can (FICLONE),
 * real copies otherwise; never hard links, which would share later
 * in-place changes of the original. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "replay/trace.h"
#include "replay/trace_codec.h"
#include "replay/trace_internal.h"

#define COPY_CHUNK (1u << 20)

bool trace_file_id_valid(const char *id)
{
	size_t n = strlen(id);
	if (n != TRACE_FILE_ID_LEN)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((id[i] >= '0' && id[i] <= '9') || (id[i] >= 'a' && id[i] <= 'f')))
			return false;
	return true;
}

static int copy_by_read_write(int src, int dst)
{
	uint8_t *buf = malloc(COPY_CHUNK);
	if (!buf)
		return -1;
	int rc = 0;
	for (;;) {
		ssize_t k = read(src, buf, COPY_CHUNK);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			rc = k < 0 ? -1 : 0;
			break;
		}
		for (ssize_t done = 0; done < k;) {
			ssize_t w = write(dst, buf + done, (size_t)(k - done));
			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0) {
				free(buf);
				return -1;
			}
			done += w;
		}
	}
	free(buf);
	return rc;
}

/* Copy src into the empty file dst: reflink, else in-kernel copy, else
 * read/write.  Both start at offset 0; copy_file_range moves the file
 * offsets, so a fallback continues where it stopped. */
static int clone_or_copy(int src, int dst)
{
	if (ioctl(dst, FICLONE, src) == 0)
		return 0;
	for (;;) {
		ssize_t k = copy_file_range(src, NULL, dst, NULL, COPY_CHUNK, 0);
		if (k == 0)
			return 0;
		if (k > 0)
			continue;
		if (errno == EINTR)
			continue;
		if (errno == EXDEV || errno == ENOSYS || errno == EINVAL ||
		    errno == EOPNOTSUPP || errno == EPERM)
			return copy_by_read_write(src, dst);
		return -1;
	}
}

int trace_file_hash_fd(int fd, struct trace_file_id *id)
{
	/* Kept between files: every recording hashes libc and its
	 * neighbours, and a fresh megabyte pays its page faults each time. */
	static _Thread_local uint8_t *buf;
	if (!buf && !(buf = malloc(COPY_CHUNK)))
		return -1;
	struct trace_sha256 s;
	trace_sha256_init(&s);
	uint64_t off = 0;
	int rc = 0;
	for (;;) {
		ssize_t k = pread(fd, buf, COPY_CHUNK, (off_t)off);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			rc = k < 0 ? -1 : 0;
			break;
		}
		trace_sha256_update(&s, buf, (size_t)k);
		off += (uint64_t)k;
	}
	uint8_t digest[TRACE_SHA256_SIZE];
	trace_sha256_final(&s, digest);
	trace_hex(id->hex, digest, sizeof(digest));
	return rc;
}

static const struct trace_stored_file *find_stored(const struct trace *t,
						   const struct stat *st)
{
	for (size_t i = 0; i < t->nstored; i++) {
		const struct trace_stored_file *f = &t->stored[i];
		if (f->dev == st->st_dev && f->ino == st->st_ino &&
		    f->size == st->st_size &&
		    f->mtime.tv_sec == st->st_mtim.tv_sec &&
		    f->mtime.tv_nsec == st->st_mtim.tv_nsec)
			return f;
	}
	return NULL;
}

/* FNV-1a: only to notice a new name for a known file. */
static uint64_t hash_name(const char *name)
{
	uint64_t h = 0xcbf29ce484222325ull;
	for (; *name; name++)
		h = (h ^ (uint8_t)*name) * 0x100000001b3ull;
	return h;
}

static void set_name_hash(struct trace *t, const struct stat *st, uint64_t h)
{
	for (size_t i = 0; i < t->nstored; i++)
		if (t->stored[i].dev == st->st_dev && t->stored[i].ino == st->st_ino)
			t->stored[i].name_hash = h;
}

static int remember_stored(struct trace *t, const struct stat *st,
			   const struct trace_file_id *id)
{
	struct trace_stored_file *grown =
		realloc(t->stored, (t->nstored + 1) * sizeof(*grown));
	if (!grown)
		return -1;
	t->stored = grown;
	t->stored[t->nstored++] = (struct trace_stored_file){
		.dev = st->st_dev, .ino = st->st_ino, .size = st->st_size,
		.mtime = st->st_mtim, .id = *id,
	};
	return 0;
}

/* Copy src to files/tmp.*, hash the copy (not the original, which may
 * be changing under us: the name must describe the stored bytes), and
 * move it to files/<hash> unless that content is already stored. */
int trace_files_copy_in(int dirfd, int src, struct trace_file_id *id)
{
	static unsigned counter;
	char tmp[64], final[sizeof(TRACE_FILES_DIR) + TRACE_FILE_ID_LEN + 2];
	snprintf(tmp, sizeof(tmp), TRACE_FILES_DIR "/tmp.%d.%u", (int)getpid(),
		 counter++);
	int dst = openat(dirfd, tmp, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC,
			 0444);
	if (dst < 0)
		return -1;
	int rc = clone_or_copy(src, dst);
	if (rc == 0)
		rc = trace_file_hash_fd(dst, id);
	int saved = errno;
	close(dst);
	if (rc == 0) {
		snprintf(final, sizeof(final), TRACE_FILES_DIR "/%s", id->hex);
		if (faccessat(dirfd, final, F_OK, 0) == 0)
			rc = unlinkat(dirfd, tmp, 0);
		else
			rc = renameat(dirfd, tmp, dirfd, final);
		saved = errno;
	}
	if (rc < 0)
		unlinkat(dirfd, tmp, 0);
	errno = saved;
	return rc;
}

void trace_file_entry_encode(const struct trace_file_entry *e,
			     struct trace_buf *b)
{
	trace_buf_put_str(b, e->path);
	trace_buf_put_u64(b, e->size);
	trace_buf_put_u64(b, (uint64_t)e->mtime_sec);
	trace_buf_put_u32(b, e->mtime_nsec);
	trace_buf_put_u64(b, e->dev);
	trace_buf_put_u64(b, e->ino);
	trace_buf_put_str(b, e->id.hex);
}

static int append_filemap(struct trace *t, const char *path,
			  const struct stat *st, const struct trace_file_id *id)
{
	struct trace_file_entry e = {
		.path = (char *)path, .size = (uint64_t)st->st_size,
		.mtime_sec = st->st_mtim.tv_sec,
		.mtime_nsec = (uint32_t)st->st_mtim.tv_nsec,
		.dev = (uint64_t)st->st_dev, .ino = (uint64_t)st->st_ino,
		.id = *id,
	};
	struct trace_buf b;
	trace_buf_init(&b);
	trace_file_entry_encode(&e, &b);
	int rc = b.failed ? -1
		 : trace_writer_append(t->writers[TRACE_STREAM_FILEMAP],
				       TRACE_REC_FILE_STORED, b.data, b.len);
	trace_buf_free(&b);
	return rc;
}

int trace_store_file(struct trace *t, const char *path,
		     struct trace_file_id *id, char *err, size_t errlen)
{
	return trace_store_file_as(t, path, path, id, err, errlen);
}

int trace_store_file_as(struct trace *t, const char *path,
			const char *recorded_path, struct trace_file_id *id,
			char *err, size_t errlen)
{
	if (!t->writing) {
		snprintf(err, errlen, "trace %s: opened for reading", t->dir);
		return -1;
	}
	struct stat st;
	int src = open(path, O_RDONLY | O_CLOEXEC);
	if (src < 0 || fstat(src, &st) < 0 || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "trace %s: cannot store %s: %s", t->dir,
			 path, src < 0 ? strerror(errno) : "not a regular file");
		if (src >= 0)
			close(src);
		return -1;
	}
	const struct trace_stored_file *known = find_stored(t, &st);
	if (known) {
		*id = known->id;
	} else if (trace_files_copy_in(t->dirfd, src, id) < 0) {
		snprintf(err, errlen, "trace %s: cannot copy %s into the trace:"
			 " %s", t->dir, path, strerror(errno));
		close(src);
		return -1;
	}
	close(src);
	/* A known file reached under another name still gets a filemap
	 * record: GDB asks for files by the names the program used. */
	uint64_t name_hash = hash_name(recorded_path);
	bool new_name = !known || known->name_hash != name_hash;
	int rc = 0;
	if (!known && remember_stored(t, &st, id) < 0)
		rc = -1;
	if (rc == 0 && new_name) {
		set_name_hash(t, &st, name_hash);
		rc = append_filemap(t, recorded_path, &st, id);
	}
	if (rc < 0)
		snprintf(err, errlen, "trace %s: cannot record %s: %s", t->dir,
			 path, trace_writer_error(t->writers[TRACE_STREAM_FILEMAP]));
	return rc;
}

int trace_open_file(const struct trace *t, const char *id, char *err,
		    size_t errlen)
{
	if (!trace_file_id_valid(id)) {
		snprintf(err, errlen, "trace %s: \"%s\" is not a stored file id"
			 " (64 hex digits)", t->dir, id);
		return -1;
	}
	char name[sizeof(TRACE_FILES_DIR) + TRACE_FILE_ID_LEN + 2];
	snprintf(name, sizeof(name), TRACE_FILES_DIR "/%s", id);
	int fd = openat(t->dirfd, name, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		snprintf(err, errlen, "trace %s/%s: cannot open: %s", t->dir, name,
			 strerror(errno));
	return fd;
}

int trace_verify_file(const struct trace *t, const char *id, char *err,
		      size_t errlen)
{
	int fd = trace_open_file(t, id, err, errlen);
	if (fd < 0)
		return -1;
	struct trace_file_id actual;
	int rc = trace_file_hash_fd(fd, &actual);
	close(fd);
	if (rc < 0) {
		snprintf(err, errlen, "trace %s/" TRACE_FILES_DIR "/%s: read"
			 " failed: %s", t->dir, id, strerror(errno));
		return -1;
	}
	if (strcmp(actual.hex, id) != 0) {
		snprintf(err, errlen, "trace %s/" TRACE_FILES_DIR "/%s: content"
			 " hashes to %s (file corrupted?)", t->dir, id, actual.hex);
		return -1;
	}
	return 0;
}

int trace_file_entry_decode(struct trace_file_entry *e, const void *data,
			    size_t len)
{
	struct trace_cursor c;
	memset(e, 0, sizeof(*e));
	trace_cursor_init(&c, data, len);
	e->path = trace_cursor_strdup(&c);
	e->size = trace_cursor_u64(&c);
	e->mtime_sec = (int64_t)trace_cursor_u64(&c);
	e->mtime_nsec = trace_cursor_u32(&c);
	e->dev = trace_cursor_u64(&c);
	e->ino = trace_cursor_u64(&c);
	size_t n;
	const uint8_t *hex = trace_cursor_blob(&c, &n);
	if (c.failed || n != TRACE_FILE_ID_LEN) {
		trace_file_entry_free(e);
		return -1;
	}
	memcpy(e->id.hex, hex, n);
	e->id.hex[n] = 0;
	if (!trace_file_id_valid(e->id.hex)) {
		trace_file_entry_free(e);
		return -1;
	}
	return 0;
}

void trace_file_entry_free(struct trace_file_entry *e)
{
	free(e->path);
	e->path = NULL;
}

int trace_filemap_load(const struct trace *t, struct trace_file_entry **v,
		       size_t *n, char *err, size_t errlen)
{
	struct trace_reader *rd = trace_stream_reader(t, TRACE_STREAM_FILEMAP,
						      err, errlen);
	struct trace_record rec;
	enum trace_status st;
	size_t cap = 0;

	*v = NULL;
	*n = 0;
	if (!rd)
		return -1;
	while ((st = trace_reader_next(rd, &rec)) == TRACE_RECORD) {
		struct trace_file_entry e;
		if (rec.type != TRACE_REC_FILE_STORED ||
		    trace_file_entry_decode(&e, rec.data, rec.len) != 0)
			continue;
		if (*n == cap) {
			size_t ncap = cap ? 2 * cap : 32;
			struct trace_file_entry *nv = realloc(*v, ncap * sizeof(*nv));
			if (!nv) {
				trace_file_entry_free(&e);
				snprintf(err, errlen, "reading the filemap: out of memory");
				goto fail;
			}
			*v = nv;
			cap = ncap;
		}
		(*v)[(*n)++] = e;
	}
	if (st == TRACE_CORRUPT || st == TRACE_IO_ERROR) {
		snprintf(err, errlen, "%s", trace_reader_error(rd));
		goto fail;
	}
	trace_reader_close(rd);
	return 0;
fail:
	trace_reader_close(rd);
	trace_file_entries_free(*v, *n);
	*v = NULL;
	*n = 0;
	return -1;
}

void trace_file_entries_free(struct trace_file_entry *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		trace_file_entry_free(&v[i]);
	free(v);
}
