/* The trace directory as a whole: creating one for a recorder, the
 * `incomplete` -> `version` life cycle, opening one for a reader. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "replay/trace.h"
#include "replay/trace_codec.h"
#include "replay/trace_internal.h"

#define HEADER_FILE_INCOMPLETE "incomplete"
#define HEADER_FILE_COMPLETE "version"
/* A header is a few hundred KiB at most (the environment, CPUID). */
#define HEADER_MAX_SIZE (16u << 20)

static const char *const stream_names[TRACE_NSTREAMS] = {
	[TRACE_STREAM_EVENTS] = "events",
	[TRACE_STREAM_DATA] = "data",
	[TRACE_STREAM_MMAPS] = "mmaps",
	[TRACE_STREAM_TASKS] = "tasks",
	[TRACE_STREAM_FILEMAP] = "filemap",
};

const char *trace_stream_name(enum trace_stream s)
{
	return (unsigned)s < TRACE_NSTREAMS ? stream_names[s] : "?";
}

const char *trace_state_name(enum trace_state s)
{
	switch (s) {
	case TRACE_COMPLETE: return "complete";
	case TRACE_RECORDING: return "being recorded";
	case TRACE_INCOMPLETE: return "incomplete (recorder did not finish)";
	}
	return "?";
}

char *trace_path(const struct trace *t, const char *name)
{
	char *p;
	return asprintf(&p, "%s/%s", t->dir, name) < 0 ? NULL : p;
}

static struct trace *trace_alloc(const char *dir)
{
	struct trace *t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->dirfd = -1;
	trace_header_init(&t->header);
	if (!(t->dir = strdup(dir))) {
		trace_header_free(&t->header);
		free(t);
		return NULL;
	}
	return t;
}

static void trace_free(struct trace *t)
{
	for (int s = 0; s < TRACE_NSTREAMS; s++)
		if (t->writers[s])
			trace_writer_abandon(t->writers[s]);
	if (t->dirfd >= 0)
		close(t->dirfd);
	trace_header_free(&t->header);
	free(t->stored);
	free(t->dir);
	free(t);
}

/* ---- writing ---------------------------------------------------------- */

static int write_all_fd(int fd, const uint8_t *p, size_t n)
{
	while (n) {
		ssize_t k = write(fd, p, n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return -1;
		p += k;
		n -= (size_t)k;
	}
	return 0;
}

/* Write name through name.tmp + rename, so a reader sees the old or the
 * new header, never half of one. */
static int write_header_file(struct trace *t, const char *name, char *err,
			     size_t errlen)
{
	char tmp[64];
	struct trace_buf b;
	trace_buf_init(&b);
	snprintf(tmp, sizeof(tmp), "%s.tmp", name);
	int fd = -1, rc = -1;
	if (trace_header_encode(&t->header, &b) < 0) {
		snprintf(err, errlen, "trace %s: out of memory encoding the header",
			 t->dir);
		goto out;
	}
	fd = openat(t->dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || write_all_fd(fd, b.data, b.len) < 0 || fsync(fd) < 0 ||
	    renameat(t->dirfd, tmp, t->dirfd, name) < 0) {
		snprintf(err, errlen, "trace %s/%s: cannot write the header: %s",
			 t->dir, name, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	trace_buf_free(&b);
	return rc;
}

static int check_empty_dir(const char *dir, char *err, size_t errlen)
{
	DIR *d = opendir(dir);
	if (!d) {
		snprintf(err, errlen, "trace %s: %s", dir, strerror(errno));
		return -1;
	}
	struct dirent *e;
	int rc = 0;
	while ((e = readdir(d))) {
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
			snprintf(err, errlen, "trace %s: directory exists and is"
				 " not empty", dir);
			rc = -1;
			break;
		}
	}
	closedir(d);
	return rc;
}

static int make_trace_dir(const char *dir, char *err, size_t errlen)
{
	if (mkdir(dir, 0755) == 0)
		return 0;
	if (errno != EEXIST) {
		snprintf(err, errlen, "trace %s: cannot create: %s", dir,
			 strerror(errno));
		return -1;
	}
	return check_empty_dir(dir, err, errlen);
}

/* The lock lives on the directory, not on `incomplete`, because the
 * header file is replaced by rename when it is rewritten. */
static int lock_for_recording(struct trace *t, char *err, size_t errlen)
{
	t->dirfd = open(t->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (t->dirfd < 0 || flock(t->dirfd, LOCK_EX | LOCK_NB) < 0) {
		snprintf(err, errlen, "trace %s: cannot open and lock: %s",
			 t->dir, strerror(errno));
		return -1;
	}
	return 0;
}

static int create_writers(struct trace *t, char *err, size_t errlen)
{
	for (int s = 0; s < TRACE_NSTREAMS; s++) {
		char *path = trace_path(t, stream_names[s]);
		if (!path) {
			snprintf(err, errlen, "trace %s: out of memory", t->dir);
			return -1;
		}
		t->writers[s] = trace_writer_create(path, 0, err, errlen);
		free(path);
		if (!t->writers[s])
			return -1;
	}
	return 0;
}

struct trace *trace_create(const char *dir, const struct trace_header *h,
			   char *err, size_t errlen)
{
	struct trace *t = trace_alloc(dir);
	if (!t) {
		snprintf(err, errlen, "trace %s: out of memory", dir);
		return NULL;
	}
	t->writing = true;
	t->state = TRACE_RECORDING;
	trace_header_free(&t->header);
	if (trace_header_copy(&t->header, h) < 0) {
		snprintf(err, errlen, "trace %s: out of memory copying the header",
			 dir);
		goto fail;
	}
	if (make_trace_dir(dir, err, errlen) < 0 ||
	    lock_for_recording(t, err, errlen) < 0)
		goto fail;
	if (mkdirat(t->dirfd, TRACE_FILES_DIR, 0755) < 0) {
		snprintf(err, errlen, "trace %s/%s: cannot create: %s", dir,
			 TRACE_FILES_DIR, strerror(errno));
		goto fail;
	}
	/* Header first: a trace whose recorder dies at once is still a
	 * trace, just an incomplete one. */
	if (write_header_file(t, HEADER_FILE_INCOMPLETE, err, errlen) < 0 ||
	    create_writers(t, err, errlen) < 0)
		goto fail;
	return t;
fail:
	trace_free(t);
	return NULL;
}

struct trace_writer *trace_stream_writer(struct trace *t, enum trace_stream s)
{
	return t->writing && (unsigned)s < TRACE_NSTREAMS ? t->writers[s] : NULL;
}

struct trace_header *trace_header_mut(struct trace *t)
{
	return t->writing ? &t->header : NULL;
}

int trace_update_header(struct trace *t, char *err, size_t errlen)
{
	if (!t->writing) {
		snprintf(err, errlen, "trace %s: opened for reading", t->dir);
		return -1;
	}
	return write_header_file(t, HEADER_FILE_INCOMPLETE, err, errlen);
}

/* Streams end with their END blocks and are synced before `version`
 * appears, so a complete trace never has a cut stream. */
static int finish_recording(struct trace *t, char *err, size_t errlen)
{
	int rc = 0;
	for (int s = 0; s < TRACE_NSTREAMS; s++) {
		char e[512];
		if (trace_writer_close(t->writers[s], e, sizeof(e)) < 0 && rc == 0) {
			snprintf(err, errlen, "%s", e);
			rc = -1;
		}
		t->writers[s] = NULL;
	}
	if (rc < 0 || write_header_file(t, HEADER_FILE_COMPLETE, err, errlen) < 0)
		return -1;
	if (unlinkat(t->dirfd, HEADER_FILE_INCOMPLETE, 0) < 0 || fsync(t->dirfd) < 0) {
		snprintf(err, errlen, "trace %s: cannot finish: %s", t->dir,
			 strerror(errno));
		return -1;
	}
	t->state = TRACE_COMPLETE;
	return 0;
}

int trace_close(struct trace *t, char *err, size_t errlen)
{
	if (!t)
		return 0;
	int rc = t->writing ? finish_recording(t, err, errlen) : 0;
	trace_free(t);
	return rc;
}

/* ---- reading ---------------------------------------------------------- */

#define READ_CHUNK 65536

/* Whole file into b; 1 read, 0 absent, -1 error (errno set). */
static int read_small_file(int dirfd, const char *name, struct trace_buf *b)
{
	int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : -1;
	int rc = 1;
	for (;;) {
		uint8_t *at = b->len > HEADER_MAX_SIZE ? NULL
						       : trace_buf_grow(b, READ_CHUNK);
		if (!at) {
			errno = b->failed ? ENOMEM : EFBIG;
			rc = -1;
			break;
		}
		ssize_t k = read(fd, at, READ_CHUNK);
		b->len -= READ_CHUNK - (k > 0 ? (size_t)k : 0);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			rc = k < 0 ? -1 : 1;
			break;
		}
	}
	int saved = errno;
	close(fd);
	errno = saved;
	return rc;
}

static enum trace_state recording_state(int dirfd)
{
	if (flock(dirfd, LOCK_SH | LOCK_NB) < 0)
		return errno == EWOULDBLOCK ? TRACE_RECORDING : TRACE_INCOMPLETE;
	flock(dirfd, LOCK_UN);
	return TRACE_INCOMPLETE;
}

static int decode_header_file(struct trace *t, const char *name,
			      const struct trace_buf *b, char *err,
			      size_t errlen)
{
	char *label = trace_path(t, name);
	int rc = trace_header_decode(&t->header, b->data, b->len,
				     label ? label : name, err, errlen);
	free(label);
	return rc;
}

/* `version` wins over `incomplete`: both exist only if the recorder died
 * between renaming the final header and removing the old one. */
static int load_header(struct trace *t, char *err, size_t errlen)
{
	static const char *const names[] = { HEADER_FILE_COMPLETE,
					     HEADER_FILE_INCOMPLETE };
	struct trace_buf b;
	trace_buf_init(&b);
	int rc = -1;
	for (int i = 0; i < 2; i++) {
		int got = read_small_file(t->dirfd, names[i], &b);
		if (got == 0)
			continue;
		if (got < 0) {
			snprintf(err, errlen, "trace %s/%s: cannot read: %s",
				 t->dir, names[i], strerror(errno));
		} else if ((rc = decode_header_file(t, names[i], &b, err,
						    errlen)) == 0) {
			t->state = i == 0 ? TRACE_COMPLETE
					  : recording_state(t->dirfd);
		}
		trace_buf_free(&b);
		return rc;
	}
	snprintf(err, errlen, "trace %s: not an xrr trace (neither %s nor %s"
		 " exists)", t->dir, names[0], names[1]);
	trace_buf_free(&b);
	return -1;
}

struct trace *trace_open(const char *dir, char *err, size_t errlen)
{
	struct trace *t = trace_alloc(dir);
	if (!t) {
		snprintf(err, errlen, "trace %s: out of memory", dir);
		return NULL;
	}
	t->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (t->dirfd < 0) {
		snprintf(err, errlen, "trace %s: cannot open: %s", dir,
			 strerror(errno));
		trace_free(t);
		return NULL;
	}
	trace_header_free(&t->header);
	if (load_header(t, err, errlen) < 0) {
		trace_free(t);
		return NULL;
	}
	return t;
}

const struct trace_header *trace_header(const struct trace *t)
{
	return &t->header;
}

enum trace_state trace_state(const struct trace *t)
{
	return t->state;
}

const char *trace_dir(const struct trace *t)
{
	return t->dir;
}

struct trace_reader *trace_stream_reader(const struct trace *t,
					 enum trace_stream s,
					 char *err, size_t errlen)
{
	if ((unsigned)s >= TRACE_NSTREAMS) {
		snprintf(err, errlen, "trace %s: no stream %d", t->dir, (int)s);
		return NULL;
	}
	char *path = trace_path(t, stream_names[s]);
	if (!path) {
		snprintf(err, errlen, "trace %s: out of memory", t->dir);
		return NULL;
	}
	struct trace_reader *r = trace_reader_open(path, err, errlen);
	free(path);
	return r;
}
