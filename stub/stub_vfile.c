/* vFile: GDB reads the program's files through the stub.  A live target
 * serves host files, a replay the trace's own copies; the stub only
 * speaks the protocol (File-I/O errno values, big-endian stat). */
#include "config.h"

#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "stub/stub_internal.h"

/* GDB's File-I/O errno numbers (gdb/include/gdb/fileio.h). */
static int fileio_errno(int host_errno)
{
	switch (host_errno) {
	case EPERM: return 1;
	case ENOENT: return 2;
	case EINTR: return 4;
	case EBADF: return 9;
	case EACCES: return 13;
	case EFAULT: return 14;
	case EBUSY: return 16;
	case EEXIST: return 17;
	case ENODEV: return 19;
	case ENOTDIR: return 20;
	case EISDIR: return 21;
	case EINVAL: return 22;
	case ENFILE: return 23;
	case EMFILE: return 24;
	case EFBIG: return 27;
	case ENOSPC: return 28;
	case ESPIPE: return 29;
	case EROFS: return 30;
	case ENOSYS: return 88;
	case ENAMETOOLONG: return 91;
	default: return 9999;
	}
}

/* File-I/O open flags to host flags; only reading is ever allowed. */
static int host_open_flags(uint64_t fio_flags)
{
	const uint64_t FIO_ACCMODE = 3;
	return (fio_flags & FIO_ACCMODE) == 0 ? O_RDONLY : -1;
}

static void reply_errno(struct rsp_buf *reply, int err)
{
	rsp_buf_reset(reply);
	rsp_buf_printf(reply, "F-1,%x", fileio_errno(err < 0 ? -err : err));
}

static bool parse_hex_string(const char **p, const char *end, char *out,
			     size_t max)
{
	const char *comma = memchr(*p, ',', (size_t)(end - *p));
	const char *stop = comma ? comma : end;
	long n = rsp_hex_decode(*p, (size_t)(stop - *p), out, max - 1);
	if (n < 0)
		return false;
	out[n] = 0;
	*p = stop;
	return true;
}

static int vfile_open(struct stub *s, const char *p, const char *end,
		      struct rsp_buf *reply)
{
	char path[4096];
	uint64_t flags, mode;
	if (!parse_hex_string(&p, end, path, sizeof(path)) ||
	    !rsp_expect_char(&p, end, ',') || !rsp_parse_hex_u64(&p, end, &flags) ||
	    !rsp_expect_char(&p, end, ',') || !rsp_parse_hex_u64(&p, end, &mode)) {
		reply_errno(reply, EINVAL);
		return 0;
	}
	int hflags = host_open_flags(flags);
	if (hflags < 0) {
		reply_errno(reply, EACCES);
		return 0;
	}
	int fd = s->target->ops->file_open(s->target, path, hflags, (int)mode);
	if (fd < 0)
		reply_errno(reply, fd);
	else
		rsp_buf_printf(reply, "F%x", fd);
	return 0;
}

static int vfile_pread(struct stub *s, const char *p, const char *end,
		       struct rsp_buf *reply)
{
	uint64_t fd, count, offset;
	if (!rsp_parse_hex_u64(&p, end, &fd) || !rsp_expect_char(&p, end, ',') ||
	    !rsp_parse_hex_u64(&p, end, &count) || !rsp_expect_char(&p, end, ',') ||
	    !rsp_parse_hex_u64(&p, end, &offset)) {
		reply_errno(reply, EINVAL);
		return 0;
	}
	/* Escaping can double the size: stay within what GDB accepts. */
	if (count > s->opts.max_payload / 2)
		count = s->opts.max_payload / 2;
	char *buf = malloc(count ? count : 1);
	if (!buf) {
		reply_errno(reply, ENOMEM);
		return 0;
	}
	ssize_t n = s->target->ops->file_pread(s->target, (int)fd, buf, count,
					       offset);
	if (n < 0) {
		reply_errno(reply, (int)n);
	} else {
		rsp_buf_printf(reply, "F%zx;", (size_t)n);
		rsp_buf_append(reply, buf, (size_t)n);
	}
	free(buf);
	return 0;
}

static int vfile_close(struct stub *s, const char *p, const char *end,
		       struct rsp_buf *reply)
{
	uint64_t fd;
	if (!rsp_parse_hex_u64(&p, end, &fd)) {
		reply_errno(reply, EINVAL);
		return 0;
	}
	int rc = s->target->ops->file_close(s->target, (int)fd);
	if (rc < 0)
		reply_errno(reply, rc);
	else
		rsp_buf_append_str(reply, "F0");
	return 0;
}

/* struct fio_stat: every field big-endian. */
struct fio_stat {
	uint32_t dev, ino, mode, nlink, uid, gid, rdev;
	uint64_t size, blksize, blocks;
	uint32_t atime, mtime, ctime;
} __attribute__((packed));

static int vfile_fstat(struct stub *s, const char *p, const char *end,
		       struct rsp_buf *reply)
{
	uint64_t fd;
	struct stat st;
	if (!rsp_parse_hex_u64(&p, end, &fd)) {
		reply_errno(reply, EINVAL);
		return 0;
	}
	int rc = s->target->ops->file_fstat(s->target, (int)fd, &st);
	if (rc < 0) {
		reply_errno(reply, rc);
		return 0;
	}
	struct fio_stat fst = {
		.dev = htobe32((uint32_t)st.st_dev),
		.ino = htobe32((uint32_t)st.st_ino),
		.mode = htobe32(st.st_mode),
		.nlink = htobe32((uint32_t)st.st_nlink),
		.uid = htobe32(st.st_uid),
		.gid = htobe32(st.st_gid),
		.rdev = htobe32((uint32_t)st.st_rdev),
		.size = htobe64((uint64_t)st.st_size),
		.blksize = htobe64((uint64_t)st.st_blksize),
		.blocks = htobe64((uint64_t)st.st_blocks),
		.atime = htobe32((uint32_t)st.st_atime),
		.mtime = htobe32((uint32_t)st.st_mtime),
		.ctime = htobe32((uint32_t)st.st_ctime),
	};
	rsp_buf_printf(reply, "F%zx;", sizeof(fst));
	rsp_buf_append(reply, &fst, sizeof(fst));
	return 0;
}

static int vfile_readlink(struct stub *s, const char *p, const char *end,
			  struct rsp_buf *reply)
{
	char path[4096], target[4096];
	if (!s->target->ops->file_readlink) {
		reply_errno(reply, ENOSYS);
		return 0;
	}
	if (!parse_hex_string(&p, end, path, sizeof(path))) {
		reply_errno(reply, EINVAL);
		return 0;
	}
	ssize_t n = s->target->ops->file_readlink(s->target, path, target,
						  sizeof(target));
	if (n < 0) {
		reply_errno(reply, (int)n);
		return 0;
	}
	rsp_buf_printf(reply, "F%zx;", (size_t)n);
	rsp_buf_append(reply, target, (size_t)n);
	return 0;
}

/* LLDB's platform packets: vFile:size:PATH answers "F<size>",
 * vFile:exists:PATH "F,1" or "F,0"; both open the file as vFile:open
 * would, so a replay answers from the trace. */
static int open_named(struct stub *s, const char **p, const char *end)
{
	char path[4096];
	if (!parse_hex_string(p, end, path, sizeof(path)))
		return -EINVAL;
	return s->target->ops->file_open(s->target, path, O_RDONLY, 0);
}

static int vfile_size(struct stub *s, const char *p, const char *end,
		      struct rsp_buf *reply)
{
	struct stat st;
	int fd = open_named(s, &p, end);
	int rc = fd < 0 ? fd : s->target->ops->file_fstat(s->target, fd, &st);
	if (fd >= 0)
		s->target->ops->file_close(s->target, fd);
	if (rc < 0)
		reply_errno(reply, rc);
	else
		rsp_buf_printf(reply, "F%llx", (unsigned long long)st.st_size);
	return 0;
}

static int vfile_exists(struct stub *s, const char *p, const char *end,
			struct rsp_buf *reply)
{
	int fd = open_named(s, &p, end);
	if (fd >= 0)
		s->target->ops->file_close(s->target, fd);
	rsp_buf_append_str(reply, fd >= 0 ? "F,1" : "F,0");
	return 0;
}

int stub_handle_vfile(struct stub *s, const char *args, size_t len,
		      struct rsp_buf *reply)
{
	static const struct {
		const char *op;
		int (*fn)(struct stub *, const char *, const char *,
			  struct rsp_buf *);
	} ops[] = {
		{ "open", vfile_open },     { "pread", vfile_pread },
		{ "close", vfile_close },   { "fstat", vfile_fstat },
		{ "readlink", vfile_readlink },
		{ "size", vfile_size },     { "exists", vfile_exists },
	};
	const char *p = args, *end = args + len;
	if (!s->target->ops->file_open)
		return 0;   /* no file access: empty reply */
	if (!rsp_expect_char(&p, end, ':'))
		return 0;
	const char *colon = memchr(p, ':', (size_t)(end - p));
	if (!colon)
		return 0;
	size_t oplen = (size_t)(colon - p);
	if (oplen == 5 && memcmp(p, "setfs", 5) == 0) {
		/* One process, one filesystem view. */
		rsp_buf_append_str(reply, "F0");
		return 0;
	}
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (strlen(ops[i].op) == oplen && memcmp(p, ops[i].op, oplen) == 0)
			return ops[i].fn(s, colon + 1, end, reply);
	return 0;   /* unlink, pwrite, ...: not offered */
}
