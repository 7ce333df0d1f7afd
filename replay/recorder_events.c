/* Writing events: the events stream, the bytes of memory writes in the
 * data stream, input annotations, and regular flushing. */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "replay/recorder_internal.h"
#include "replay/trace_codec.h"

/* A killed recorder loses at most this much of the recording. */
#define FLUSH_INTERVAL_NS (100 * 1000 * 1000ull)

uint64_t rec_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int rec_fail(struct recorder *r, const char *fmt, ...)
{
	va_list ap;

	if (r->res->failed)
		return -1;      /* keep the first, most precise message */
	va_start(ap, fmt);
	vsnprintf(r->res->error, sizeof(r->res->error), fmt, ap);
	va_end(ap);
	r->res->failed = true;
	r->done = true;
	return -1;
}

int rec_read_fn(void *ctx, uint64_t addr, void *buf, size_t len)
{
	struct recorder *r = ctx;
	size_t got = 0;

	while (got < len) {
		ssize_t n = process_read_memory(r->proc, addr + got,
						(uint8_t *)buf + got, len - got);
		if (n <= 0)
			return -1;
		got += (size_t)n;
	}
	return 0;
}

int rec_flush(struct recorder *r)
{
	/* Data before events: an event in a flushed prefix finds its bytes. */
	static const enum trace_stream order[] = {
		TRACE_STREAM_DATA, TRACE_STREAM_MMAPS, TRACE_STREAM_TASKS,
		TRACE_STREAM_EVENTS,
	};
	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++)
		if (r->w[order[i]] && trace_writer_flush(r->w[order[i]]) < 0)
			return rec_fail(r, "flushing the %s stream: %s",
					trace_stream_name(order[i]),
					trace_writer_error(r->w[order[i]]));
	r->last_flush_ns = rec_now_ns();
	r->unflushed = false;
	return 0;
}

int rec_emit(struct recorder *r, struct trace_event *ev)
{
	ev->ticks = r->ticks->read(NULL, ev->tid);
	if (trace_event_write(r->w[TRACE_STREAM_EVENTS], ev) < 0)
		return rec_fail(r, "event %" PRIu64 " (%s): writing the events"
				" stream: %s", r->nevents,
				trace_event_name(ev->type),
				trace_writer_error(r->w[TRACE_STREAM_EVENTS]));
	r->nevents++;
	r->res->events = r->nevents;
	r->unflushed = true;
	if (rec_now_ns() - r->last_flush_ns > FLUSH_INTERVAL_NS)
		return rec_flush(r);
	return 0;
}

static int append_data(struct recorder *r, uint64_t addr, uint64_t len,
		       uint8_t **buf, size_t *cap)
{
	if (len > TRACE_RECORD_MAX)
		return rec_fail(r, "event %" PRIu64 ": memory write of %" PRIu64
				" bytes at %#" PRIx64 " is too large", r->nevents,
				len, addr);
	if (len > *cap) {
		uint8_t *p = realloc(*buf, len);
		if (!p)
			return rec_fail(r, "event %" PRIu64 ": out of memory",
					r->nevents);
		*buf = p;
		*cap = len;
	}
	if (len && rec_read_fn(r, addr, *buf, len) < 0)
		return rec_fail(r, "event %" PRIu64 ": reading %" PRIu64 " bytes"
				" the kernel wrote at %#" PRIx64 ": %s", r->nevents,
				len, addr, r->proc->err);
	if (trace_writer_append(r->w[TRACE_STREAM_DATA], TRACE_REC_DATA, *buf,
				len) < 0)
		return rec_fail(r, "writing the data stream: %s",
				trace_writer_error(r->w[TRACE_STREAM_DATA]));
	return 0;
}

int rec_emit_writes(struct recorder *r, struct trace_event *ev,
		    struct trace_mem_write **slot, size_t *nslot,
		    const struct sc_region *regions, size_t n)
{
	uint8_t *buf = NULL;
	size_t cap = 0;
	struct trace_mem_write *w = n ? calloc(n, sizeof(*w)) : NULL;
	size_t k = 0;
	int rc = 0;

	if (n && !w)
		return rec_fail(r, "event %" PRIu64 ": out of memory", r->nevents);
	for (size_t i = 0; i < n && rc == 0; i++) {
		if (!regions[i].len)
			continue;
		rc = append_data(r, regions[i].addr, regions[i].len, &buf, &cap);
		w[k++] = (struct trace_mem_write){ regions[i].addr, regions[i].len };
	}
	free(buf);
	*slot = w;
	*nslot = k;
	if (rc == 0)
		rc = rec_emit(r, ev);
	*slot = NULL;
	*nslot = 0;
	free(w);
	return rc;
}

/* ---- annotations ------------------------------------------------------------- */

int note_syscall_inputs_decode(struct note_syscall_inputs *n,
			       const void *data, size_t len)
{
	struct trace_cursor c;

	trace_cursor_init(&c, data, len);
	memset(n, 0, sizeof(*n));
	n->tid = (int32_t)trace_cursor_u32(&c);
	uint32_t count = trace_cursor_u32(&c);
	if (count > NOTE_MAX_INPUTS)
		return -1;
	for (uint32_t i = 0; i < count; i++) {
		size_t bl;
		n->in[i].addr = trace_cursor_u64(&c);
		n->in[i].bytes = trace_cursor_blob(&c, &bl);
		n->in[i].len = (uint32_t)bl;
	}
	n->n = count;
	return c.failed ? -1 : 0;
}
