/* RSP framing: the byte-level receive state machine, the encoder and the
 * checksum.
 *
 * A frame is  $<body>#<two hex digits>  where the checksum is the sum of
 * the raw body bytes modulo 256.  Inside the body "<c>*<n>" repeats the
 * previous byte n - 29 more times, and '}' escapes the next byte (the
 * original XORed with 0x20).
 *
 * The decoder undoes run-lengths but leaves escapes in place, as GDB and
 * gdbserver do: only binary packets (X, vFile:pwrite, qSearch:memory)
 * carry escapes, and their handlers decode them with rsp_binary_decode.
 * The decoder still tracks escapes, so that an escaped byte is never
 * taken for a run-length mark and a frame ending in '}' is rejected.
 * The encoder escapes every payload, which GDB expects for binary
 * replies and which never changes a text reply (they have no # $ } *). */
#include "config.h"

#include "protocol/rsp.h"

enum decoder_state {
	DEC_IDLE = 0,    /* between packets: acks, interrupts, noise */
	DEC_BODY,        /* after '$' */
	DEC_RLE_COUNT,   /* after '*': the next byte is the repeat count */
	DEC_CSUM_HI,     /* after '#' */
	DEC_CSUM_LO,
};

#define RSP_ESCAPE 0x7d     /* '}' */
#define RSP_RLE_MARK 0x2a   /* '*' */
#define RSP_INTERRUPT 0x03

/* Repeat counts are sent as printable characters: n - 29 repeats, with
 * n between ' ' (3 repeats) and '~' (97 repeats).  '#' and '$' can never
 * be counts, since they would be taken as framing. */
#define RLE_MIN_COUNT_CHAR ' '
#define RLE_MAX_COUNT_CHAR '~'
#define RLE_BIAS 29

uint8_t rsp_checksum(const void *data, size_t len)
{
	const uint8_t *p = data;
	uint8_t sum = 0;

	for (size_t i = 0; i < len; i++)
		sum += p[i];
	return sum;
}

void rsp_decoder_init(struct rsp_decoder *d, size_t max_payload)
{
	d->state = DEC_IDLE;
	d->sum = 0;
	d->csum_hi = 0;
	d->overflow = false;
	d->malformed = false;
	d->escape = false;
	d->max_payload = max_payload ? max_payload : RSP_DEFAULT_MAX_PAYLOAD;
	rsp_buf_init(&d->payload);
}

void rsp_decoder_free(struct rsp_decoder *d)
{
	rsp_buf_free(&d->payload);
}

static void start_packet(struct rsp_decoder *d)
{
	d->state = DEC_BODY;
	d->sum = 0;
	d->csum_hi = 0;
	d->overflow = false;
	d->malformed = false;
	d->escape = false;
	rsp_buf_reset(&d->payload);
}

/* Append decoded bytes unless the packet has already gone over the limit;
 * an oversize packet is still read to its end so the stream stays in
 * step, but its contents are dropped. */
static void emit(struct rsp_decoder *d, uint8_t byte, size_t count)
{
	if (d->overflow || d->malformed)
		return;
	if (count > d->max_payload - d->payload.len) {
		d->overflow = true;
		rsp_buf_reset(&d->payload);
		return;
	}
	for (size_t i = 0; i < count; i++)
		rsp_buf_append(&d->payload, &byte, 1);
}

static enum rsp_event feed_idle(struct rsp_decoder *d, uint8_t byte)
{
	switch (byte) {
	case '$':
		start_packet(d);
		return RSP_EV_NONE;
	case '+':
		return RSP_EV_ACK;
	case '-':
		return RSP_EV_NAK;
	case RSP_INTERRUPT:
		return RSP_EV_INTERRUPT;
	default:
		/* Line noise between packets (e.g. a stray newline when a
		 * human types into a pipe) is ignored, as gdbserver does. */
		return RSP_EV_NONE;
	}
}

static enum rsp_event feed_body(struct rsp_decoder *d, uint8_t byte)
{
	if (byte == '$') {
		/* A raw '$' can only start a frame: the sender gave up on
		 * the previous one, so start over. */
		start_packet(d);
		return RSP_EV_NONE;
	}
	if (byte == '#') {
		if (d->escape)
			d->malformed = true;   /* '}' right before '#' */
		d->state = DEC_CSUM_HI;
		return RSP_EV_NONE;
	}
	d->sum += byte;
	if (d->escape) {
		d->escape = false;     /* escaped byte: kept as it is */
		emit(d, byte, 1);
	} else if (byte == RSP_ESCAPE) {
		d->escape = true;
		emit(d, byte, 1);
	} else if (byte == RSP_RLE_MARK) {
		d->state = DEC_RLE_COUNT;
	} else {
		emit(d, byte, 1);
	}
	return RSP_EV_NONE;
}

static enum rsp_event feed_rle_count(struct rsp_decoder *d, uint8_t byte)
{
	if (byte == '$') {
		start_packet(d);
		return RSP_EV_NONE;
	}
	if (byte == '#') {
		d->malformed = true;   /* '*' with no count */
		d->state = DEC_CSUM_HI;
		return RSP_EV_NONE;
	}
	d->sum += byte;
	d->state = DEC_BODY;
	if (d->overflow || d->malformed)
		return RSP_EV_NONE;   /* contents already dropped */
	/* Nothing to repeat at the start of a packet.  Repeating '}' would
	 * manufacture escape sequences, which no sane sender means. */
	if (byte < RLE_MIN_COUNT_CHAR || byte > RLE_MAX_COUNT_CHAR ||
	    d->payload.len == 0 ||
	    (uint8_t)d->payload.data[d->payload.len - 1] == RSP_ESCAPE) {
		d->malformed = true;
		return RSP_EV_NONE;
	}
	emit(d, (uint8_t)d->payload.data[d->payload.len - 1],
	     (size_t)(byte - RLE_BIAS));
	return RSP_EV_NONE;
}

static enum rsp_event finish_packet(struct rsp_decoder *d, uint8_t lo)
{
	int hi = d->csum_hi;
	int lo_val = rsp_hex_digit(lo);

	d->state = DEC_IDLE;
	/* Checksum first: a corrupted frame may look malformed or oversize
	 * only because of the corruption, and the cure is a retransmit. */
	if (hi > 0xf || lo_val < 0 || ((hi << 4) | lo_val) != d->sum) {
		rsp_buf_reset(&d->payload);
		return RSP_EV_BAD_CHECKSUM;
	}
	if (d->malformed) {
		rsp_buf_reset(&d->payload);
		return RSP_EV_MALFORMED;
	}
	if (d->overflow)
		return RSP_EV_OVERSIZE;
	return RSP_EV_PACKET;
}

enum rsp_event rsp_decoder_feed(struct rsp_decoder *d, uint8_t byte)
{
	switch (d->state) {
	case DEC_IDLE:
		return feed_idle(d, byte);
	case DEC_BODY:
		return feed_body(d, byte);
	case DEC_RLE_COUNT:
		return feed_rle_count(d, byte);
	case DEC_CSUM_HI: {
		int v = rsp_hex_digit(byte);
		/* Remember a bad digit as an impossible value so the frame
		 * is still consumed whole and then reported. */
		d->csum_hi = v < 0 ? 0xff : (uint8_t)v;
		d->state = DEC_CSUM_LO;
		return RSP_EV_NONE;
	}
	case DEC_CSUM_LO:
		return finish_packet(d, byte);
	default:
		d->state = DEC_IDLE;
		return RSP_EV_NONE;
	}
}

static bool needs_escape(uint8_t c)
{
	return c == '#' || c == '$' || c == RSP_ESCAPE || c == RSP_RLE_MARK;
}

void rsp_encode_packet(struct rsp_buf *out, const void *payload, size_t len)
{
	static const char digits[] = "0123456789abcdef";
	const uint8_t *p = payload;
	uint8_t sum = 0;

	rsp_buf_append(out, "$", 1);
	/* Copy runs of plain bytes in one go: memory replies are megabytes
	 * of hex with nothing to escape. */
	size_t run = 0;
	for (size_t i = 0; i < len; i++) {
		uint8_t c = p[i];
		if (!needs_escape(c)) {
			sum += c;
			continue;
		}
		rsp_buf_append(out, p + run, i - run);
		uint8_t esc[2] = { RSP_ESCAPE, (uint8_t)(c ^ 0x20) };
		rsp_buf_append(out, esc, 2);
		sum += esc[0] + esc[1];
		run = i + 1;
	}
	rsp_buf_append(out, p + run, len - run);
	char trailer[3] = { '#', digits[sum >> 4], digits[sum & 0xf] };
	rsp_buf_append(out, trailer, 3);
}
