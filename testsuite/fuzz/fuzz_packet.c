/* libFuzzer target: the RSP frame decoder on arbitrary bytes, and the
 * encoder/decoder round trip on arbitrary payloads. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/rsp.h"
#include "protocol/rsp_cmd.h"
#include "testsuite/fuzz/fuzz_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);


/* Whatever the bytes, a completed packet respects the size limit and
 * stays NUL-terminated. */
static void decode_stream(const uint8_t *data, size_t size, size_t max)
{
	struct rsp_decoder d;

	rsp_decoder_init(&d, max);
	for (size_t i = 0; i < size; i++) {
		enum rsp_event ev = rsp_decoder_feed(&d, data[i]);
		check(ev >= RSP_EV_NONE && ev <= RSP_EV_MALFORMED);
		if (ev == RSP_EV_PACKET) {
			check(d.payload.len <= max);
			check(d.payload.data[d.payload.len] == '\0');
		}
	}
	rsp_decoder_free(&d);
}

/* Encode `payload`, decode it back (followed by a second frame, as on a
 * busy connection), undo the escapes and require the same bytes. */
static void round_trip(const uint8_t *payload, size_t len)
{
	struct rsp_decoder d;
	struct rsp_buf frame;
	size_t i;
	enum rsp_event ev = RSP_EV_NONE;

	rsp_buf_init(&frame);
	rsp_encode_packet(&frame, payload, len);
	rsp_encode_packet(&frame, "OK", 2);
	/* escaping at most doubles the size */
	rsp_decoder_init(&d, len > 1 ? 2 * len : 2);
	for (i = 0; i < frame.len; i++) {
		ev = rsp_decoder_feed(&d, (uint8_t)frame.data[i]);
		if (ev != RSP_EV_NONE)
			break;
	}
	check(ev == RSP_EV_PACKET);
	check(d.payload.len >= len && d.payload.len <= 2 * len);
	uint8_t *back = malloc(len ? len : 1);
	check(back != NULL);
	check(rsp_binary_decode(d.payload.data, d.payload.len, back, len) ==
	      (long)len);
	check(len == 0 || memcmp(back, payload, len) == 0);
	free(back);
	for (i++, ev = RSP_EV_NONE; i < frame.len; i++)
		ev = rsp_decoder_feed(&d, (uint8_t)frame.data[i]);
	check(ev == RSP_EV_PACKET);
	check(d.payload.len == 2 && memcmp(d.payload.data, "OK", 2) == 0);
	rsp_decoder_free(&d);
	rsp_buf_free(&frame);
}

/* Treat the input as a frame body: when it decodes to well-formed binary
 * data, that data must survive our own encoding unchanged. */
static void reencode(const uint8_t *body, size_t len)
{
	struct rsp_decoder d;
	struct rsp_buf frame;

	rsp_buf_init(&frame);
	rsp_buf_append(&frame, "$", 1);
	rsp_buf_append(&frame, body, len);
	rsp_buf_printf(&frame, "#%02x", rsp_checksum(body, len));
	rsp_decoder_init(&d, 4096);
	enum rsp_event ev = RSP_EV_NONE;
	for (size_t i = 0; i < frame.len; i++)
		ev = rsp_decoder_feed(&d, (uint8_t)frame.data[i]);
	/* A body with raw '#' or '$' is not one frame; only check the
	 * well-framed ones. */
	if (ev == RSP_EV_PACKET && !memchr(body, '#', len) &&
	    !memchr(body, '$', len)) {
		uint8_t *bin = malloc(d.payload.len + 1);
		check(bin != NULL);
		long n = rsp_binary_decode(d.payload.data, d.payload.len, bin,
					   d.payload.len);
		/* the decoder rejects a frame that ends inside an escape */
		check(n >= 0);
		round_trip(bin, (size_t)n);
		free(bin);
	}
	rsp_decoder_free(&d);
	rsp_buf_free(&frame);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	decode_stream(data, size, 16);
	decode_stream(data, size, RSP_DEFAULT_MAX_PAYLOAD);
	round_trip(data, size);
	reencode(data, size);
	return 0;
}
