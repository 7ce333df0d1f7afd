/* The replayer's position in the trace: the next event, the data stream
 * read in lockstep with the events' memory writes, and the mmaps stream
 * read by event number. */
#include "config.h"

#include <errno.h>
#include <time.h>

#include "replay/replay_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int replay_cursor_open(struct replayer *r, char *err, size_t errlen)
{
	r->events = trace_stream_reader(r->trace, TRACE_STREAM_EVENTS, err,
					errlen);
	if (!r->events)
		return -1;
	r->data = trace_stream_reader(r->trace, TRACE_STREAM_DATA, err, errlen);
	if (!r->data)
		return -1;
	r->mmaps = trace_stream_reader(r->trace, TRACE_STREAM_MMAPS, err,
				       errlen);
	if (!r->mmaps)
		return -1;
	r->have_ev = false;
	r->ev_eof = false;
	r->ev_index = 0;
	r->have_mm = false;
	return 0;
}

void replay_cursor_close(struct replayer *r)
{
	if (r->have_ev)
		trace_event_free(&r->ev);
	if (r->have_mm)
		trace_mapping_free(&r->mm.map);
	r->have_ev = r->have_mm = false;
	if (r->events)
		trace_reader_close(r->events);
	if (r->data)
		trace_reader_close(r->data);
	if (r->mmaps)
		trace_reader_close(r->mmaps);
	r->events = r->data = r->mmaps = NULL;
}

/* The first call reads event 0; later calls move past the current one. */
int replay_cursor_advance(struct replayer *r, char *err, size_t errlen)
{
	if (r->have_ev) {
		trace_event_free(&r->ev);
		r->have_ev = false;
		r->ev_index++;
	}
	if (r->slow_ms) {
		struct timespec pause = { .tv_sec = r->slow_ms / 1000,
					  .tv_nsec = (long)(r->slow_ms % 1000) * 1000000L };
		while (nanosleep(&pause, &pause) < 0 && errno == EINTR)
			;
	}
	if (r->ev_eof)
		return 0;
	enum trace_status st = trace_event_read(r->events, &r->ev, err, errlen);
	if (st == TRACE_RECORD) {
		r->have_ev = true;
		replay_alter_apply(&r->alter, r->ev_index, &r->ev);
		if (r->debug)
			fprintf(r->opts.log ? r->opts.log : stderr,
				"xrr: replay: next event %llu %s tid %d\n",
				(unsigned long long)r->ev_index,
				trace_event_name(r->ev.type), (int)r->ev.tid);
		if (r->debug && r->ev.type == EV_POINT)
			replay_point_log(r, r->opts.log ? r->opts.log : stderr);
		return 0;
	}
	r->ev_eof = true;
	if (st == TRACE_EOF || st == TRACE_TRUNCATED)
		return 0;       /* a truncated trace replays up to its cut */
	return -1;
}

int replay_cursor_data(struct replayer *r, const uint8_t **bytes,
		       size_t *len, char *err, size_t errlen)
{
	struct trace_record rec;
	enum trace_status st = trace_reader_next(r->data, &rec);

	if (st != TRACE_RECORD) {
		snprintf(err, errlen, "event %llu: data stream: %s",
			 (unsigned long long)r->ev_index,
			 st == TRACE_EOF ? "ends early"
					 : trace_reader_error(r->data));
		return -1;
	}
	if (rec.type != TRACE_REC_DATA) {
		snprintf(err, errlen, "event %llu: data stream: record %llu "
			 "has type 0x%x", (unsigned long long)r->ev_index,
			 (unsigned long long)rec.index, rec.type);
		return -1;
	}
	*bytes = rec.data;
	*len = rec.len;
	return 0;
}

static bool read_mmap(struct replayer *r)
{
	struct trace_record rec;

	for (;;) {
		if (trace_reader_next(r->mmaps, &rec) != TRACE_RECORD)
			return false;
		if (rec.type == TRACE_REC_MMAP &&
		    trace_mmap_decode(&r->mm, rec.data, rec.len) == 0)
			return r->have_mm = true;
	}
}

const struct trace_mmap_record *replay_cursor_mmap(struct replayer *r,
						   uint64_t index)
{
	for (;;) {
		if (!r->have_mm && !read_mmap(r))
			return NULL;
		if (r->mm.event > index)
			return NULL;
		if (r->mm.event == index)
			return &r->mm;
		trace_mapping_free(&r->mm.map);
		r->have_mm = false;
	}
}
