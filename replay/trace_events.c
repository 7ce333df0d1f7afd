/* Encoding of event and mapping records (see trace_events.h and
 * docs/trace-format.md).  Decoders use a cursor that fails softly, so
 * each checks once at the end; counts are checked against the bytes
 * left before anything is allocated. */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "replay/trace_codec.h"
#include "replay/trace_events.h"

#define NREGS (sizeof(struct user_regs_struct) / sizeof(uint64_t))
#define MEM_WRITE_SIZE 16

_Static_assert(sizeof(struct user_regs_struct) == NREGS * sizeof(uint64_t),
	       "user_regs_struct is a flat array of 64-bit registers");

const char *trace_event_name(uint32_t type)
{
	switch (type) {
	case EV_EXEC: return "EV_EXEC";
	case EV_SYSCALL: return "EV_SYSCALL";
	case EV_RDTSC: return "EV_RDTSC";
	case EV_SIGNAL: return "EV_SIGNAL";
	case EV_THREAD_CREATE: return "EV_THREAD_CREATE";
	case EV_FORK: return "EV_FORK";
	case EV_THREAD_EXIT: return "EV_THREAD_EXIT";
	case EV_EXIT: return "EV_EXIT";
	case EV_XCR0_CHANGE: return "EV_XCR0_CHANGE";
	case EV_POINT: return "EV_POINT";
	case EV_RESUME: return "EV_RESUME";
	case EV_SYSCALLBUF: return "EV_SYSCALLBUF";
	case EV_TRACE_STOP: return "EV_TRACE_STOP";
	case EV_PATCH: return "EV_PATCH";
	}
	return "unknown";
}

/* ---- pieces ---------------------------------------------------------- */

static void put_regs(struct trace_buf *b, const struct user_regs_struct *r)
{
	uint64_t v[NREGS];
	memcpy(v, r, sizeof(v));
	trace_buf_put_u32(b, NREGS);
	for (size_t i = 0; i < NREGS; i++)
		trace_buf_put_u64(b, v[i]);
}

static void get_regs(struct trace_cursor *c, struct user_regs_struct *r)
{
	uint64_t v[NREGS];
	if (trace_cursor_u32(c) != NREGS)
		c->failed = true;
	for (size_t i = 0; i < NREGS; i++)
		v[i] = trace_cursor_u64(c);
	memcpy(r, v, sizeof(v));
}

static void put_writes(struct trace_buf *b, const struct trace_mem_write *w,
		       size_t n)
{
	trace_buf_put_u64(b, n);
	for (size_t i = 0; i < n; i++) {
		trace_buf_put_u64(b, w[i].addr);
		trace_buf_put_u64(b, w[i].len);
	}
}

/* An array count, refused if the bytes left cannot hold it. */
static size_t get_count(struct trace_cursor *c, size_t min_elem_size)
{
	uint64_t n = trace_cursor_u64(c);
	if (n > trace_cursor_left(c) / min_elem_size) {
		c->failed = true;
		return 0;
	}
	return (size_t)n;
}

static struct trace_mem_write *get_writes(struct trace_cursor *c, size_t *n)
{
	*n = get_count(c, MEM_WRITE_SIZE);
	if (c->failed || *n == 0)
		return NULL;
	struct trace_mem_write *w = calloc(*n, sizeof(*w));
	if (!w) {
		c->failed = true;
		return NULL;
	}
	for (size_t i = 0; i < *n; i++) {
		w[i].addr = trace_cursor_u64(c);
		w[i].len = trace_cursor_u64(c);
	}
	return w;
}

/* A malloc'd copy of a blob (NULL for an empty one). */
static uint8_t *get_blob_copy(struct trace_cursor *c, size_t *n)
{
	const uint8_t *p = trace_cursor_blob(c, n);
	if (!p || *n == 0)
		return NULL;
	uint8_t *copy = malloc(*n);
	if (!copy) {
		c->failed = true;
		return NULL;
	}
	memcpy(copy, p, *n);
	return copy;
}

static void put_mapping(struct trace_buf *b, const struct trace_mapping *m)
{
	trace_buf_put_u64(b, m->start);
	trace_buf_put_u64(b, m->end);
	trace_buf_put_u32(b, m->prot);
	trace_buf_put_u32(b, m->flags);
	trace_buf_put_u64(b, m->offset);
	trace_buf_put_str(b, m->path);
	trace_buf_put_str(b, m->file.hex);
}

static void get_mapping(struct trace_cursor *c, struct trace_mapping *m)
{
	m->start = trace_cursor_u64(c);
	m->end = trace_cursor_u64(c);
	m->prot = trace_cursor_u32(c);
	m->flags = trace_cursor_u32(c);
	m->offset = trace_cursor_u64(c);
	m->path = trace_cursor_strdup(c);
	size_t n;
	const uint8_t *hex = trace_cursor_blob(c, &n);
	if (n > TRACE_FILE_ID_LEN)
		c->failed = true;
	if (!c->failed && hex)
		memcpy(m->file.hex, hex, n);
	m->file.hex[c->failed ? 0 : n] = 0;
}

void trace_mapping_free(struct trace_mapping *m)
{
	free(m->path);
	m->path = NULL;
}

/* ---- per event type ------------------------------------------------- */

static void put_exec(struct trace_buf *b, const struct ev_exec *e)
{
	put_regs(b, &e->regs);
	trace_buf_put_blob(b, e->xstate, e->xstate_len);
	trace_buf_put_u64(b, e->xcr0);
	trace_buf_put_u64(b, e->nmaps);
	for (size_t i = 0; i < e->nmaps; i++)
		put_mapping(b, &e->maps[i]);
	put_writes(b, e->mem, e->nmem);
	trace_buf_put_u64(b, e->argc);
	for (size_t i = 0; i < e->argc; i++)
		trace_buf_put_str(b, e->argv[i] ? e->argv[i] : "");
}

/* argv strings take at least their 8-byte length each. */
static void get_exec_argv(struct trace_cursor *c, struct ev_exec *e)
{
	if (trace_cursor_left(c) == 0)
		return;         /* a 1.x record: no argv */
	size_t n = get_count(c, 8);
	e->argv = n ? calloc(n, sizeof(*e->argv)) : NULL;
	if (n && !e->argv)
		c->failed = true;
	for (size_t i = 0; e->argv && i < n && !c->failed; i++) {
		e->argv[i] = trace_cursor_strdup(c);
		if (!e->argv[i])
			c->failed = true;
		else
			e->argc++;
	}
}

static void get_exec(struct trace_cursor *c, struct ev_exec *e)
{
	get_regs(c, &e->regs);
	e->xstate = get_blob_copy(c, &e->xstate_len);
	e->xcr0 = trace_cursor_u64(c);
	/* A mapping takes at least 48 bytes: 5 numbers, 2 blob lengths. */
	size_t n = get_count(c, 48);
	e->maps = n ? calloc(n, sizeof(*e->maps)) : NULL;
	if (n && !e->maps)
		c->failed = true;
	for (size_t i = 0; e->maps && i < n && !c->failed; i++, e->nmaps++)
		get_mapping(c, &e->maps[i]);
	e->mem = get_writes(c, &e->nmem);
	if (!c->failed)
		get_exec_argv(c, e);
}

static void put_syscall(struct trace_buf *b, const struct ev_syscall *s)
{
	trace_buf_put_u64(b, (uint64_t)s->number);
	for (int i = 0; i < 6; i++)
		trace_buf_put_u64(b, s->args[i]);
	trace_buf_put_u64(b, (uint64_t)s->result);
	put_regs(b, &s->regs);
	put_writes(b, s->writes, s->nwrites);
	trace_buf_put_u32(b, s->flags);
}

static void get_syscall(struct trace_cursor *c, struct ev_syscall *s)
{
	s->number = (int64_t)trace_cursor_u64(c);
	for (int i = 0; i < 6; i++)
		s->args[i] = trace_cursor_u64(c);
	s->result = (int64_t)trace_cursor_u64(c);
	get_regs(c, &s->regs);
	s->writes = get_writes(c, &s->nwrites);
	/* 2.3 appended the flags (absent: a 2.2 record; a part of them:
	 * damage). */
	size_t left = trace_cursor_left(c);
	s->flags = left >= 4 ? trace_cursor_u32(c) : 0;
	if (left > 0 && left < 4)
		c->failed = true;
}

static void put_signal(struct trace_buf *b, const struct ev_signal *s)
{
	trace_buf_put_u32(b, (uint32_t)s->signo);
	trace_buf_put_bytes(b, s->siginfo, sizeof(s->siginfo));
	trace_buf_put_u64(b, s->frame_addr);
	trace_buf_put_blob(b, s->frame, s->frame_len);
	put_regs(b, &s->regs);
}

static void get_signal(struct trace_cursor *c, struct ev_signal *s)
{
	s->signo = (int32_t)trace_cursor_u32(c);
	trace_cursor_bytes(c, s->siginfo, sizeof(s->siginfo));
	s->frame_addr = trace_cursor_u64(c);
	s->frame = get_blob_copy(c, &s->frame_len);
	get_regs(c, &s->regs);
}

static void put_point(struct trace_buf *b, const struct ev_point *p)
{
	trace_buf_put_u32(b, p->reason);
	trace_buf_put_u32(b, p->flags);
	put_regs(b, &p->regs);
	trace_buf_put_u64(b, p->fp_hash);
	trace_buf_put_u32(b, p->patch_safe);
	trace_buf_put_u32(b, p->skip);
	trace_buf_put_u64(b, p->nranges);
	for (size_t i = 0; i < p->nranges; i++) {
		trace_buf_put_u64(b, p->ranges[i].addr);
		trace_buf_put_u32(b, p->ranges[i].len);
	}
	trace_buf_put_blob(b, p->bytes, p->nbytes);
	trace_buf_put_u64(b, p->seq_addr);
	trace_buf_put_u64(b, p->seq);
	trace_buf_put_u32(b, p->tsc_regs);
}

/* The ranges must add up to the bytes, and stay within the limits the
 * recorder keeps: a damaged record is malformed, not a huge compare. */
static void get_point(struct trace_cursor *c, struct ev_point *p)
{
	p->reason = trace_cursor_u32(c);
	p->flags = trace_cursor_u32(c);
	get_regs(c, &p->regs);
	p->fp_hash = trace_cursor_u64(c);
	p->patch_safe = trace_cursor_u32(c);
	p->skip = trace_cursor_u32(c);
	size_t n = get_count(c, 12);
	if (n > POINT_MAX_RANGES)
		c->failed = true;
	p->ranges = n && !c->failed ? calloc(n, sizeof(*p->ranges)) : NULL;
	if (n && !p->ranges)
		c->failed = true;
	uint64_t total = 0;
	for (size_t i = 0; p->ranges && i < n && !c->failed; i++) {
		p->ranges[i].addr = trace_cursor_u64(c);
		p->ranges[i].len = trace_cursor_u32(c);
		total += p->ranges[i].len;
		p->nranges++;
	}
	if (!c->failed)
		p->bytes = get_blob_copy(c, &p->nbytes);
	/* (2.4) The thread's buffered-call count, where it has a buffer. */
	if (!c->failed && trace_cursor_left(c)) {
		p->seq_addr = trace_cursor_u64(c);
		p->seq = trace_cursor_u64(c);
		uint32_t tsc = trace_cursor_u32(c);
		/* Never rsp (bit 7); 16 registers. */
		if ((p->seq_addr & 7) || (tsc & ~0xff7fu))
			c->failed = true;
		p->tsc_regs = (uint16_t)tsc;
	}
	if (!c->failed && (total != p->nbytes || total > POINT_MAX_BYTES ||
			   (p->reason != POINT_PREEMPT && p->reason != POINT_SIGNAL)))
		c->failed = true;
}

static int put_body(struct trace_buf *b, const struct trace_event *ev)
{
	const typeof(ev->u) *u = &ev->u;
	switch (ev->type) {
	case EV_EXEC: put_exec(b, &u->exec); break;
	case EV_SYSCALL: put_syscall(b, &u->syscall); break;
	case EV_RDTSC:
		trace_buf_put_u64(b, u->rdtsc.value);
		trace_buf_put_u64(b, u->rdtsc.rip);
		trace_buf_put_u32(b, u->rdtsc.tsc_aux);
		trace_buf_put_u8(b, u->rdtsc.rdtscp);
		break;
	case EV_SIGNAL: put_signal(b, &u->signal); break;
	case EV_THREAD_CREATE:
	case EV_FORK:
		trace_buf_put_u32(b, (uint32_t)u->thread_create.new_tid);
		trace_buf_put_u64(b, u->thread_create.clone_flags);
		trace_buf_put_u64(b, u->thread_create.xcr0);
		trace_buf_put_u32(b, (uint32_t)u->thread_create.ns_tid);
		break;
	case EV_THREAD_EXIT:
		trace_buf_put_u32(b, (uint32_t)u->thread_exit.status);
		break;
	case EV_EXIT: trace_buf_put_u32(b, (uint32_t)u->exit.status); break;
	case EV_XCR0_CHANGE:
		trace_buf_put_u64(b, u->xcr0_change.old_xcr0);
		trace_buf_put_u64(b, u->xcr0_change.new_xcr0);
		break;
	case EV_POINT: put_point(b, &u->point); break;
	case EV_RESUME: break;
	case EV_TRACE_STOP:
		trace_buf_put_u8(b, u->trace_stop.kind);
		trace_buf_put_u32(b, (uint32_t)u->trace_stop.signo);
		trace_buf_put_u8(b, u->trace_stop.has_regs);
		if (u->trace_stop.has_regs)
			put_regs(b, &u->trace_stop.regs);
		put_writes(b, u->trace_stop.writes, u->trace_stop.nwrites);
		break;
	case EV_PATCH:
		trace_buf_put_u64(b, u->patch.site);
		trace_buf_put_u64(b, u->patch.page);
		put_writes(b, u->patch.writes, u->patch.nwrites);
		break;
	case EV_SYSCALLBUF:
		trace_buf_put_u64(b, u->syscallbuf.buffer);
		trace_buf_put_u64(b, u->syscallbuf.offset);
		trace_buf_put_blob(b, u->syscallbuf.records, u->syscallbuf.len);
		trace_buf_put_u64(b, u->syscallbuf.force_seq);
		break;
	default:
		return -1;
	}
	return 0;
}

static int get_body(struct trace_cursor *c, struct trace_event *ev)
{
	typeof(ev->u) *u = &ev->u;
	switch (ev->type) {
	case EV_EXEC: get_exec(c, &u->exec); break;
	case EV_SYSCALL: get_syscall(c, &u->syscall); break;
	case EV_RDTSC:
		u->rdtsc.value = trace_cursor_u64(c);
		u->rdtsc.rip = trace_cursor_u64(c);
		u->rdtsc.tsc_aux = trace_cursor_u32(c);
		u->rdtsc.rdtscp = trace_cursor_u8(c) != 0;
		break;
	case EV_SIGNAL: get_signal(c, &u->signal); break;
	case EV_THREAD_CREATE:
	case EV_FORK:
		u->thread_create.new_tid = (int32_t)trace_cursor_u32(c);
		u->thread_create.clone_flags = trace_cursor_u64(c);
		u->thread_create.xcr0 = trace_cursor_u64(c);
		/* Absent before 2.3: unknown (0). */
		if (trace_cursor_left(c))
			u->thread_create.ns_tid = (int32_t)trace_cursor_u32(c);
		break;
	case EV_THREAD_EXIT:
		u->thread_exit.status = (int32_t)trace_cursor_u32(c);
		break;
	case EV_EXIT: u->exit.status = (int32_t)trace_cursor_u32(c); break;
	case EV_XCR0_CHANGE:
		u->xcr0_change.old_xcr0 = trace_cursor_u64(c);
		u->xcr0_change.new_xcr0 = trace_cursor_u64(c);
		break;
	case EV_POINT: get_point(c, &u->point); break;
	case EV_RESUME: break;
	case EV_TRACE_STOP:
		u->trace_stop.kind = trace_cursor_u8(c);
		u->trace_stop.signo = (int32_t)trace_cursor_u32(c);
		u->trace_stop.has_regs = trace_cursor_u8(c) != 0;
		if (u->trace_stop.has_regs)
			get_regs(c, &u->trace_stop.regs);
		if (u->trace_stop.kind > TRACE_STOP_STEP ||
		    u->trace_stop.signo < 0 || u->trace_stop.signo > 64)
			c->failed = true;
		if (!c->failed)
			u->trace_stop.writes = get_writes(c, &u->trace_stop.nwrites);
		break;
	case EV_PATCH:
		u->patch.site = trace_cursor_u64(c);
		u->patch.page = trace_cursor_u64(c);
		/* A page-aligned user address, or none. */
		if (u->patch.page & 0xfff || u->patch.page >= (1ull << 47))
			c->failed = true;
		if (!c->failed)
			u->patch.writes = get_writes(c, &u->patch.nwrites);
		break;
	case EV_SYSCALLBUF:
		u->syscallbuf.buffer = trace_cursor_u64(c);
		u->syscallbuf.offset = trace_cursor_u64(c);
		if (!c->failed)
			u->syscallbuf.records = get_blob_copy(c, &u->syscallbuf.len);
		u->syscallbuf.force_seq = trace_cursor_u64(c);
		/* Bounds a damaged record: no huge write into a tracee. */
		if (!c->failed && ((u->syscallbuf.len == 0 &&
				    !u->syscallbuf.force_seq) ||
				   u->syscallbuf.len > SYSCALLBUF_MAX_BYTES ||
				   u->syscallbuf.offset > SYSCALLBUF_MAX_BYTES))
			c->failed = true;
		break;
	default:
		return 1;
	}
	return 0;
}

/* ---- whole events ----------------------------------------------------- */

int trace_event_encode(const struct trace_event *ev, struct trace_buf *out)
{
	trace_buf_put_u32(out, (uint32_t)ev->tid);
	trace_buf_put_u64(out, ev->ticks);
	if (put_body(out, ev) < 0)
		return -1;
	return out->failed ? -1 : 0;
}

int trace_event_decode(struct trace_event *ev, uint32_t type,
		       const void *data, size_t len)
{
	struct trace_cursor c;
	memset(ev, 0, sizeof(*ev));
	ev->type = type;
	trace_cursor_init(&c, data, len);
	ev->tid = (int32_t)trace_cursor_u32(&c);
	ev->ticks = trace_cursor_u64(&c);
	int rc = get_body(&c, ev);
	if (rc == 0 && c.failed)
		rc = -1;
	if (rc != 0)
		trace_event_free(ev);
	/* Extra bytes at the end are fields of a later minor version. */
	return rc;
}

void trace_event_free(struct trace_event *ev)
{
	switch (ev->type) {
	case EV_EXEC:
		free(ev->u.exec.xstate);
		for (size_t i = 0; i < ev->u.exec.nmaps; i++)
			trace_mapping_free(&ev->u.exec.maps[i]);
		free(ev->u.exec.maps);
		free(ev->u.exec.mem);
		for (size_t i = 0; i < ev->u.exec.argc; i++)
			free(ev->u.exec.argv[i]);
		free(ev->u.exec.argv);
		break;
	case EV_SYSCALL: free(ev->u.syscall.writes); break;
	case EV_TRACE_STOP: free(ev->u.trace_stop.writes); break;
	case EV_PATCH: free(ev->u.patch.writes); break;
	case EV_SIGNAL: free(ev->u.signal.frame); break;
	case EV_POINT:
		free(ev->u.point.ranges);
		free(ev->u.point.bytes);
		break;
	case EV_SYSCALLBUF: free(ev->u.syscallbuf.records); break;
	default: break;
	}
	memset(&ev->u, 0, sizeof(ev->u));
}

int trace_event_write(struct trace_writer *w, const struct trace_event *ev)
{
	struct trace_buf b;
	trace_buf_init(&b);
	int rc = trace_event_encode(ev, &b);
	if (rc == 0)
		rc = trace_writer_append(w, ev->type, b.data, b.len);
	trace_buf_free(&b);
	return rc;
}

enum trace_status trace_event_read(struct trace_reader *r,
				   struct trace_event *ev, char *err,
				   size_t errlen)
{
	for (;;) {
		struct trace_record rec;
		enum trace_status st = trace_reader_next(r, &rec);
		if (st != TRACE_RECORD) {
			snprintf(err, errlen, "%s", trace_reader_error(r));
			return st;
		}
		int rc = trace_event_decode(ev, rec.type, rec.data, rec.len);
		if (rc == 0)
			return TRACE_RECORD;
		if (rc > 0 && !(rec.type & TRACE_TYPE_REQUIRED))
			continue;       /* an optional addition we do not know */
		snprintf(err, errlen, "trace %s: event %" PRIu64 ": %s record of"
			 " type 0x%08" PRIx32 " (%" PRIu32 " bytes) in the block"
			 " at offset %" PRIu64, trace_reader_path(r), rec.index,
			 rc > 0 ? "unknown required" : "malformed", rec.type,
			 rec.len, rec.offset);
		return TRACE_CORRUPT;
	}
}

/* ---- mmaps stream ----------------------------------------------------- */

int trace_mmap_encode(const struct trace_mmap_record *m, struct trace_buf *out)
{
	trace_buf_put_u64(out, m->event);
	trace_buf_put_u32(out, (uint32_t)m->tid);
	put_mapping(out, &m->map);
	trace_buf_put_u64(out, m->shared_dev);
	trace_buf_put_u64(out, m->shared_ino);
	return out->failed ? -1 : 0;
}

int trace_mmap_decode(struct trace_mmap_record *m, const void *data,
		      size_t len)
{
	struct trace_cursor c;
	memset(m, 0, sizeof(*m));
	trace_cursor_init(&c, data, len);
	m->event = trace_cursor_u64(&c);
	m->tid = (int32_t)trace_cursor_u32(&c);
	get_mapping(&c, &m->map);
	if (!c.failed && trace_cursor_left(&c) >= 16) {      /* 2.4 */
		m->shared_dev = trace_cursor_u64(&c);
		m->shared_ino = trace_cursor_u64(&c);
	}
	if (c.failed) {
		trace_mapping_free(&m->map);
		return -1;
	}
	return 0;
}
