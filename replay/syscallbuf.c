/* The in-process syscall buffer, seen from xrr: see replay/syscallbuf.h
 * and docs/syscallbuf.md. */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "replay/install_paths.h"
#include "replay/syscallbuf.h"

_Static_assert(sizeof(struct xrr_sb_header) == XRR_SB_HEADER_SIZE,
	       "buffer header layout");
_Static_assert(sizeof(struct xrr_sb_record) == XRR_SB_RECORD_SIZE,
	       "record layout");

const struct syscall_desc syscallbuf_private_desc = {
	.nr = XRR_SYS_SB_REGISTER,
	.name = "xrr_syscallbuf",
	.nargs = 3,
	.replay = SC_EMULATE,
	.arg = { SA_HEX, SA_HEX, SA_HEX },
	.why = "xrr's in-process syscall buffer (syscallbuf/syscallbuf_abi.h)",
};

int syscallbuf_find_library(char *buf, size_t size, char *err, size_t errlen)
{
	return install_find_private_file("xrr-preload.so", "syscallbuf",
					 "XRR_PRELOAD", "syscall buffer library",
					 buf, size, err, errlen);
}

static int read_exact(struct process *p, uint64_t addr, void *buf, size_t len)
{
	return process_read_memory(p, addr, buf, len) == (ssize_t)len ? 0 : -1;
}

static int write_exact(struct process *p, uint64_t addr, const void *buf,
		       size_t len)
{
	return process_write_memory(p, addr, buf, len) == (ssize_t)len ? 0 : -1;
}

static int write_u64(struct process *p, uint64_t addr, uint64_t value)
{
	return write_exact(p, addr, &value, sizeof(value));
}

/* strict: the recorder's view, at a stop (records [flushed, used)).  A
 * replayer may find flushed ahead of used: it writes a thread's records
 * before the thread runs them. */
static int read_header(struct process *p, uint64_t buffer,
		       struct xrr_sb_header *h, bool strict, char *err,
		       size_t errlen)
{
	if (read_exact(p, buffer, h, sizeof(*h)) < 0) {
		snprintf(err, errlen, "syscall buffer at 0x%" PRIx64 ": "
			 "unreadable", buffer);
		return -1;
	}
	if (h->magic != XRR_SB_HEADER_MAGIC || h->size < XRR_SB_HEADER_SIZE ||
	    h->size > XRR_SB_BUFFER_SIZE ||
	    h->used > h->size - XRR_SB_HEADER_SIZE ||
	    (strict && h->flushed > h->used)) {
		snprintf(err, errlen, "syscall buffer at 0x%" PRIx64 ": damaged "
			 "header (magic 0x%llx, size %u, used %llu, flushed "
			 "%llu): the program overwrote it?", buffer, h->magic,
			 h->size, h->used, h->flushed);
		return -1;
	}
	return 0;
}

int syscallbuf_check_buffer(struct process *p, uint64_t buffer, uint64_t size,
			    char *err, size_t errlen)
{
	struct xrr_sb_header h;

	if (buffer % 4096 || size != XRR_SB_BUFFER_SIZE) {
		snprintf(err, errlen, "syscall buffer registered at 0x%" PRIx64
			 " with size %" PRIu64 " (want a page-aligned buffer of "
			 "%u bytes: library and xrr from different builds?)",
			 buffer, size, XRR_SB_BUFFER_SIZE);
		return -1;
	}
	if (read_header(p, buffer, &h, true, err, errlen) < 0)
		return -1;
	if (h.size != size || h.used || h.flushed) {
		snprintf(err, errlen, "syscall buffer at 0x%" PRIx64 ": not a "
			 "fresh buffer (size %u, used %llu)", buffer, h.size,
			 h.used);
		return -1;
	}
	return 0;
}

int syscallbuf_get_mode(struct process *p)
{
	struct xrr_sb_control c;

	if (read_exact(p, XRR_SB_CONTROL_ADDR, &c, sizeof(c)) < 0 ||
	    c.magic != XRR_SB_CONTROL_MAGIC)
		return -1;
	return (int)c.mode;
}

int syscallbuf_set_mode(struct process *p, unsigned mode)
{
	struct xrr_sb_control c;

	if (read_exact(p, XRR_SB_CONTROL_ADDR, &c, sizeof(c)) < 0 ||
	    c.magic != XRR_SB_CONTROL_MAGIC)
		return 0;
	if (c.mode == mode)
		return 0;
	c.mode = mode;
	return write_exact(p, XRR_SB_CONTROL_ADDR +
			   offsetof(struct xrr_sb_control, mode), &c.mode,
			   sizeof(c.mode));
}

int syscallbuf_set_terminal(struct process *p)
{
	struct xrr_sb_control c;
	struct stat st;

	if (read_exact(p, XRR_SB_CONTROL_ADDR, &c, sizeof(c)) < 0 ||
	    c.magic != XRR_SB_CONTROL_MAGIC)
		return 0;
	c.out_dev = c.out_ino = c.err_dev = c.err_ino = 0;
	if (fstat(1, &st) == 0) {
		c.out_dev = st.st_dev;
		c.out_ino = st.st_ino;
	}
	if (fstat(2, &st) == 0) {
		c.err_dev = st.st_dev;
		c.err_ino = st.st_ino;
	}
	return write_exact(p, XRR_SB_CONTROL_ADDR, &c, sizeof(c));
}

bool syscallbuf_locked(struct process *p, uint64_t buffer)
{
	uint32_t locked = 0;

	return read_exact(p, buffer + offsetof(struct xrr_sb_header, locked),
			  &locked, sizeof(locked)) == 0 && locked;
}

/* Records must tile [0, len) exactly, in sequence. */
static int check_records(const uint8_t *recs, size_t len, char *err,
			 size_t errlen)
{
	struct ev_syscallbuf sb = { .records = (uint8_t *)recs, .len = len };
	struct xrr_sb_record rec;
	const uint8_t *data;
	size_t pos = 0, ndata;
	uint64_t seq = 0;
	bool first = true;
	int rc;

	while ((rc = syscallbuf_next_record(&sb, &pos, &rec, &data, &ndata)) == 1) {
		if (!first && rec.seq != seq + 1)
			break;
		seq = rec.seq;
		first = false;
	}
	if (rc == 0 && pos == len)
		return 0;
	snprintf(err, errlen, "damaged record at byte %zu of %zu", pos, len);
	return -1;
}

int syscallbuf_collect(struct process *p, uint64_t buffer, bool force,
		       struct ev_syscallbuf *out, char *err, size_t errlen)
{
	struct xrr_sb_header h;
	char why[128];

	memset(out, 0, sizeof(*out));
	if (read_header(p, buffer, &h, true, err, errlen) < 0)
		return -1;
	if (force) {
		/* The call that may be in progress (locked, or past its
		 * force_seq check and about to lock) has h.seq: ask the one
		 * after it, whose check comes after this write in any case,
		 * so replay, which writes force_seq before the thread runs,
		 * makes the flush at the same call. */
		out->force_seq = h.seq + 1;
		if (write_u64(p, buffer + offsetof(struct xrr_sb_header,
						   force_seq),
			      out->force_seq) < 0) {
			snprintf(err, errlen, "syscall buffer at 0x%" PRIx64
				 ": asking for a flush: %s", buffer,
				 strerror(errno));
			return -1;
		}
	}
	if (h.used == h.flushed) {
		if (!force)
			return 0;
		out->buffer = buffer;
		out->offset = h.flushed;
		return 1;
	}
	size_t len = (size_t)(h.used - h.flushed);
	/* One buffer for every collect, kept: a fresh megabyte each time
	 * costs its page faults again (a third of the recorder's time in
	 * a syscall-heavy program here). */
	static _Thread_local uint8_t *scratch;
	static _Thread_local size_t scratch_len;
	if (scratch_len < len) {
		uint8_t *grown = realloc(scratch, len);
		if (!grown) {
			snprintf(err, errlen, "syscall buffer: out of memory");
			return -1;
		}
		scratch = grown;
		scratch_len = len;
	}
	uint8_t *recs = scratch;
	uint64_t area = buffer + XRR_SB_HEADER_SIZE;
	if (read_exact(p, area + h.flushed, recs, len) < 0)
		snprintf(why, sizeof(why), "unreadable");
	else if (check_records(recs, len, why, sizeof(why)) == 0)
		why[0] = '\0';
	if (why[0]) {
		snprintf(err, errlen, "syscall buffer at 0x%" PRIx64 ": records "
			 "[%llu, %llu): %s", buffer, h.flushed, h.used, why);
		return -1;
	}
	uint64_t flushed = h.used;
	if (write_exact(p, buffer + offsetof(struct xrr_sb_header, flushed),
			&flushed, sizeof(flushed)) < 0) {
		snprintf(err, errlen, "syscall buffer at 0x%" PRIx64 ": writing "
			 "its flushed mark: %s", buffer, strerror(errno));
		return -1;
	}
	out->buffer = buffer;
	out->offset = h.flushed;
	out->records = recs;
	out->len = len;
	return 1;
}

int syscallbuf_prefill(struct process *p, const struct ev_syscallbuf *sb,
		       char *err, size_t errlen)
{
	char why[128];
	struct xrr_sb_header h;

	if (check_records(sb->records, sb->len, why, sizeof(why)) < 0) {
		snprintf(err, errlen, "EV_SYSCALLBUF for 0x%" PRIx64 ": %s",
			 sb->buffer, why);
		return -1;
	}
	if (read_header(p, sb->buffer, &h, false, err, errlen) < 0)
		return -1;
	if (sb->offset + sb->len > h.size - XRR_SB_HEADER_SIZE) {
		snprintf(err, errlen, "EV_SYSCALLBUF for 0x%" PRIx64 ": records "
			 "[%" PRIu64 ", %" PRIu64 ") beyond its %u bytes",
			 sb->buffer, sb->offset, sb->offset + sb->len, h.size);
		return -1;
	}
	uint64_t flushed = sb->offset + sb->len;
	if ((sb->len && write_exact(p, sb->buffer + XRR_SB_HEADER_SIZE +
				    sb->offset, sb->records, sb->len) < 0) ||
	    write_u64(p, sb->buffer + offsetof(struct xrr_sb_header, flushed),
		      flushed) < 0 ||
	    (sb->force_seq &&
	     write_u64(p, sb->buffer + offsetof(struct xrr_sb_header, force_seq),
		       sb->force_seq) < 0)) {
		snprintf(err, errlen, "EV_SYSCALLBUF: writing records into the "
			 "buffer at 0x%" PRIx64 ": %s", sb->buffer,
			 strerror(errno));
		return -1;
	}
	return 0;
}

int syscallbuf_next_record(const struct ev_syscallbuf *sb, size_t *pos,
			   struct xrr_sb_record *rec, const uint8_t **data,
			   size_t *ndata)
{
	if (*pos == sb->len)
		return 0;
	if (sb->len - *pos < XRR_SB_RECORD_SIZE)
		return -1;
	memcpy(rec, sb->records + *pos, sizeof(*rec));
	if (rec->size < XRR_SB_RECORD_SIZE || rec->size % 8 ||
	    rec->size > sb->len - *pos)
		return -1;
	*data = sb->records + *pos + XRR_SB_RECORD_SIZE;
	*ndata = rec->size - XRR_SB_RECORD_SIZE;
	*pos += rec->size;
	return 1;
}
