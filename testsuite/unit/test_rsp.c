/* Unit tests for the RSP wire library: framing, connections over real
 * sockets, transports and the client helper. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "protocol/rsp.h"
#include "protocol/rsp_cmd.h"
#include "testsuite/unit/cunit_main.h"

/* ---- helpers ----------------------------------------------------------- */

/* "$<body>#<checksum>" with the body taken verbatim (no escaping), so
 * tests can build frames using escapes and run-lengths by hand. */
static void raw_frame(struct rsp_buf *out, const char *body, size_t len)
{
	rsp_buf_reset(out);
	rsp_buf_append(out, "$", 1);
	rsp_buf_append(out, body, len);
	rsp_buf_printf(out, "#%02x", rsp_checksum(body, len));
}

/* Feed bytes one at a time; return the last event that was not NONE and
 * count how many such events occurred. */
static enum rsp_event feed_bytes(struct rsp_decoder *d, const void *data,
				 size_t len, int *nevents)
{
	const uint8_t *p = data;
	enum rsp_event last = RSP_EV_NONE;
	int n = 0;

	for (size_t i = 0; i < len; i++) {
		enum rsp_event ev = rsp_decoder_feed(d, p[i]);
		if (ev != RSP_EV_NONE) {
			last = ev;
			n++;
		}
	}
	if (nevents)
		*nevents = n;
	return last;
}

static enum rsp_event decode_body(struct rsp_decoder *d, const char *body,
				  size_t len)
{
	struct rsp_buf f;
	int n;

	rsp_buf_init(&f);
	raw_frame(&f, body, len);
	enum rsp_event ev = feed_bytes(d, f.data, f.len, &n);
	CU_ASSERT_EQUAL(n, 1);
	rsp_buf_free(&f);
	return ev;
}

/* A connection on one end of a socketpair; the test drives the other
 * end byte by byte as the peer. */
struct pair {
	struct rsp_conn *c;
	int peer;
};

static void pair_open(struct pair *p, size_t max_payload)
{
	int sv[2];
	struct rsp_transport t;

	CU_ASSERT_FATAL(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	t.in_fd = t.out_fd = sv[0];
	snprintf(t.description, sizeof(t.description), "socketpair");
	p->c = calloc(1, sizeof(*p->c));
	CU_ASSERT_FATAL(p->c != NULL);
	rsp_conn_init(p->c, &t, max_payload);
	p->peer = sv[1];
}

static void pair_close(struct pair *p)
{
	rsp_conn_close(p->c);
	free(p->c);
	if (p->peer >= 0)
		close(p->peer);
}

static void peer_write(struct pair *p, const void *data, size_t len)
{
	CU_ASSERT_EQUAL_FATAL(write(p->peer, data, len), (ssize_t)len);
}

static void peer_write_str(struct pair *p, const char *s)
{
	peer_write(p, s, strlen(s));
}

static void peer_write_frame(struct pair *p, const char *payload)
{
	struct rsp_buf f;

	rsp_buf_init(&f);
	rsp_encode_packet(&f, payload, strlen(payload));
	peer_write(p, f.data, f.len);
	rsp_buf_free(&f);
}

/* Everything the connection has written so far (socketpair writes are
 * complete when write() returns, so no waiting is needed). */
static void peer_read_available(struct pair *p, struct rsp_buf *out)
{
	char buf[4096];
	ssize_t n;

	rsp_buf_reset(out);
	while ((n = recv(p->peer, buf, sizeof(buf), MSG_DONTWAIT)) > 0)
		rsp_buf_append(out, buf, (size_t)n);
}

static void assert_recv_packet(struct rsp_conn *c, const char *expect)
{
	const char *payload = NULL;
	size_t len = 0;

	CU_ASSERT_EQUAL_FATAL(rsp_conn_recv(c, &payload, &len), RSP_RECV_PACKET);
	CU_ASSERT_EQUAL(len, strlen(expect));
	CU_ASSERT_NSTRING_EQUAL(payload, expect, strlen(expect));
}

/* ---- checksum and encoder -------------------------------------------- */

static void test_checksum(void)
{
	CU_ASSERT_EQUAL(rsp_checksum("", 0), 0);
	CU_ASSERT_EQUAL(rsp_checksum("OK", 2), 0x9a);
	CU_ASSERT_EQUAL(rsp_checksum("g", 1), 0x67);
	/* wraps modulo 256: 3 * 0xff = 0x2fd */
	CU_ASSERT_EQUAL(rsp_checksum("\xff\xff\xff", 3), 0xfd);
	CU_ASSERT_EQUAL(rsp_checksum("qSupported", 10), 0x37);
}

static void test_encode_plain(void)
{
	struct rsp_buf b;

	rsp_buf_init(&b);
	rsp_encode_packet(&b, "OK", 2);
	CU_ASSERT_STRING_EQUAL(b.data, "$OK#9a");
	rsp_buf_reset(&b);
	rsp_encode_packet(&b, "", 0);
	CU_ASSERT_STRING_EQUAL(b.data, "$#00");
	/* appends rather than replaces */
	rsp_encode_packet(&b, "g", 1);
	CU_ASSERT_STRING_EQUAL(b.data, "$#00$g#67");
	rsp_buf_free(&b);
}

static void test_encode_escapes(void)
{
	struct rsp_buf b;
	const char body[] = "a}\x03" "b}\x04" "c}]d}\x0a" "e";

	rsp_buf_init(&b);
	rsp_encode_packet(&b, "a#b$c}d*e", 9);
	CU_ASSERT_EQUAL(b.len, 1 + sizeof(body) - 1 + 3);
	CU_ASSERT_EQUAL(memcmp(b.data + 1, body, sizeof(body) - 1), 0);
	char cs[4];
	snprintf(cs, sizeof(cs), "#%02x", rsp_checksum(body, sizeof(body) - 1));
	CU_ASSERT_NSTRING_EQUAL(b.data + b.len - 3, cs, 3);
	/* The frame body must contain no raw framing characters. */
	CU_ASSERT_PTR_NULL(memchr(b.data + 1, '#', b.len - 4));
	CU_ASSERT_PTR_NULL(memchr(b.data + 1, '$', b.len - 4));
	CU_ASSERT_PTR_NULL(memchr(b.data + 1, '*', b.len - 4));
	rsp_buf_free(&b);
}

static void test_buf_helpers(void)
{
	struct rsp_buf b;

	rsp_buf_init(&b);
	CU_ASSERT_EQUAL(b.len, 0);
	CU_ASSERT_STRING_EQUAL(b.data, "");
	rsp_buf_append_str(&b, "T05");
	rsp_buf_printf(&b, "thread:p%x.%x;", 0x1a, 0x2b);
	rsp_buf_append_hex(&b, "\x00\xff\x10", 3);
	CU_ASSERT_STRING_EQUAL(b.data, "T05thread:p1a.2b;00ff10");
	rsp_buf_append(&b, "\0x", 2);
	CU_ASSERT_EQUAL(b.len, 25);
	CU_ASSERT_EQUAL(b.data[23], '\0');
	CU_ASSERT_EQUAL(b.data[25], '\0');
	rsp_buf_reset(&b);
	CU_ASSERT_EQUAL(b.len, 0);
	/* growth well past any initial capacity */
	for (int i = 0; i < 10000; i++)
		rsp_buf_append(&b, "0123456789", 10);
	CU_ASSERT_EQUAL(b.len, 100000);
	CU_ASSERT_EQUAL(b.data[99999], '9');
	rsp_buf_free(&b);
	CU_ASSERT_PTR_NULL(b.data);
}

/* ---- decoder ------------------------------------------------------------ */

static void test_decode_simple_byte_by_byte(void)
{
	struct rsp_decoder d;
	const char *f = "$OK#9a";

	rsp_decoder_init(&d, 0);
	CU_ASSERT_EQUAL(d.max_payload, RSP_DEFAULT_MAX_PAYLOAD);
	for (size_t i = 0; i < 5; i++)
		CU_ASSERT_EQUAL(rsp_decoder_feed(&d, (uint8_t)f[i]), RSP_EV_NONE);
	CU_ASSERT_EQUAL(rsp_decoder_feed(&d, (uint8_t)f[5]), RSP_EV_PACKET);
	CU_ASSERT_EQUAL(d.payload.len, 2);
	CU_ASSERT_STRING_EQUAL(d.payload.data, "OK");
	/* upper-case checksum digits are accepted too */
	CU_ASSERT_EQUAL(feed_bytes(&d, "$OK#9A", 6, NULL), RSP_EV_PACKET);
	rsp_decoder_free(&d);
}

static void test_decode_acks_and_interrupt(void)
{
	struct rsp_decoder d;

	rsp_decoder_init(&d, 64);
	CU_ASSERT_EQUAL(rsp_decoder_feed(&d, '+'), RSP_EV_ACK);
	CU_ASSERT_EQUAL(rsp_decoder_feed(&d, '-'), RSP_EV_NAK);
	CU_ASSERT_EQUAL(rsp_decoder_feed(&d, 0x03), RSP_EV_INTERRUPT);
	CU_ASSERT_EQUAL(rsp_decoder_feed(&d, '\n'), RSP_EV_NONE);
	CU_ASSERT_EQUAL(rsp_decoder_feed(&d, 'x'), RSP_EV_NONE);
	/* inside a packet, '+', '-' and 0x03 are data */
	const char body[] = "+-\x03";
	CU_ASSERT_EQUAL(decode_body(&d, body, 3), RSP_EV_PACKET);
	CU_ASSERT_EQUAL(d.payload.len, 3);
	CU_ASSERT_EQUAL(memcmp(d.payload.data, body, 3), 0);
	rsp_decoder_free(&d);
}

static void test_decode_keeps_escapes(void)
{
	struct rsp_decoder d;
	const char body[] = "a}\x03" "b}\x04" "c}]d}\x0a" "e}\x20";
	uint8_t raw[16];

	rsp_decoder_init(&d, 64);
	CU_ASSERT_EQUAL(decode_body(&d, body, sizeof(body) - 1), RSP_EV_PACKET);
	/* escapes stay for the binary packet handlers, like gdbserver */
	CU_ASSERT_EQUAL_FATAL(d.payload.len, sizeof(body) - 1);
	CU_ASSERT_EQUAL(memcmp(d.payload.data, body, sizeof(body) - 1), 0);
	CU_ASSERT_EQUAL(rsp_binary_decode(d.payload.data, d.payload.len, raw,
					  sizeof(raw)), 10);
	CU_ASSERT_EQUAL(memcmp(raw, "a#b$c}d*e\0", 10), 0);
	/* an escaped '*' is data, not a run-length mark */
	CU_ASSERT_EQUAL(decode_body(&d, "a}*b", 4), RSP_EV_PACKET);
	CU_ASSERT_STRING_EQUAL(d.payload.data, "a}*b");
	rsp_decoder_free(&d);
}

static void test_decode_escape_before_hash_is_malformed(void)
{
	struct rsp_decoder d;

	rsp_decoder_init(&d, 64);
	CU_ASSERT_EQUAL(decode_body(&d, "ab}", 3), RSP_EV_MALFORMED);
	/* and the decoder recovers */
	CU_ASSERT_EQUAL(decode_body(&d, "ok", 2), RSP_EV_PACKET);
	CU_ASSERT_STRING_EQUAL(d.payload.data, "ok");
	rsp_decoder_free(&d);
}

static void test_decode_run_length(void)
{
	struct rsp_decoder d;

	rsp_decoder_init(&d, 256);
	/* ' ' is 32: 32 - 29 = 3 more repeats */
	CU_ASSERT_EQUAL(decode_body(&d, "0* ", 3), RSP_EV_PACKET);
	CU_ASSERT_STRING_EQUAL(d.payload.data, "0000");
	/* '"' (34) repeats 5 more: GDB's way around '#' and '$' */
	CU_ASSERT_EQUAL(decode_body(&d, "x0*\"y", 5), RSP_EV_PACKET);
	CU_ASSERT_STRING_EQUAL(d.payload.data, "x000000y");
	/* largest count, '~' (126): 97 repeats */
	CU_ASSERT_EQUAL(decode_body(&d, "a*~", 3), RSP_EV_PACKET);
	CU_ASSERT_EQUAL(d.payload.len, 98);
	CU_ASSERT_EQUAL(strspn(d.payload.data, "a"), 98);
	/* the byte repeated is the one on the wire, as in GDB */
	CU_ASSERT_EQUAL(decode_body(&d, "}]*!", 4), RSP_EV_PACKET);
	CU_ASSERT_STRING_EQUAL(d.payload.data, "}]]]]]");
	/* two runs back to back */
	CU_ASSERT_EQUAL(decode_body(&d, "f* e* ", 6), RSP_EV_PACKET);
	CU_ASSERT_STRING_EQUAL(d.payload.data, "ffffeeee");
	rsp_decoder_free(&d);
}

static void test_decode_run_length_invalid(void)
{
	struct rsp_decoder d;

	rsp_decoder_init(&d, 256);
	/* count below ' ' (would be fewer than 3 repeats, or negative) */
	CU_ASSERT_EQUAL(decode_body(&d, "0*\x1f", 3), RSP_EV_MALFORMED);
	CU_ASSERT_EQUAL(decode_body(&d, "0*\x01", 3), RSP_EV_MALFORMED);
	/* count above '~' */
	CU_ASSERT_EQUAL(decode_body(&d, "0*\x7f", 3), RSP_EV_MALFORMED);
	CU_ASSERT_EQUAL(decode_body(&d, "0*\xff", 3), RSP_EV_MALFORMED);
	/* nothing to repeat */
	CU_ASSERT_EQUAL(decode_body(&d, "* ", 2), RSP_EV_MALFORMED);
	/* repeating '}' would manufacture escape sequences */
	CU_ASSERT_EQUAL(decode_body(&d, "}}* ", 4), RSP_EV_MALFORMED);
	/* '*' with the count missing */
	CU_ASSERT_EQUAL(decode_body(&d, "0*", 2), RSP_EV_MALFORMED);
	CU_ASSERT_EQUAL(d.payload.len, 0);
	/* still usable afterwards */
	CU_ASSERT_EQUAL(decode_body(&d, "1* ", 3), RSP_EV_PACKET);
	CU_ASSERT_STRING_EQUAL(d.payload.data, "1111");
	rsp_decoder_free(&d);
}

static void test_decode_bad_checksum(void)
{
	struct rsp_decoder d;
	int n;

	rsp_decoder_init(&d, 64);
	CU_ASSERT_EQUAL(feed_bytes(&d, "$OK#9b", 6, &n), RSP_EV_BAD_CHECKSUM);
	CU_ASSERT_EQUAL(n, 1);
	CU_ASSERT_EQUAL(feed_bytes(&d, "$OK#zz", 6, &n), RSP_EV_BAD_CHECKSUM);
	CU_ASSERT_EQUAL(feed_bytes(&d, "$OK#9", 5, &n), RSP_EV_NONE);
	CU_ASSERT_EQUAL(rsp_decoder_feed(&d, 'g'), RSP_EV_BAD_CHECKSUM);
	/* a corrupt frame is a checksum failure even if it looks malformed */
	CU_ASSERT_EQUAL(feed_bytes(&d, "$0*\x01#00", 7, NULL),
			RSP_EV_BAD_CHECKSUM);
	CU_ASSERT_EQUAL(feed_bytes(&d, "$OK#9a", 6, NULL), RSP_EV_PACKET);
	rsp_decoder_free(&d);
}

static void test_decode_oversize(void)
{
	struct rsp_decoder d;

	rsp_decoder_init(&d, 8);
	CU_ASSERT_EQUAL(decode_body(&d, "12345678", 8), RSP_EV_PACKET);
	CU_ASSERT_EQUAL(decode_body(&d, "123456789", 9), RSP_EV_OVERSIZE);
	/* run-length expansion past the limit is caught too */
	CU_ASSERT_EQUAL(decode_body(&d, "1*~", 3), RSP_EV_OVERSIZE);
	CU_ASSERT_EQUAL(decode_body(&d, "1234567*!", 9), RSP_EV_OVERSIZE);
	/* an oversize run of data well beyond the limit */
	char big[1000];
	memset(big, 'z', sizeof(big));
	CU_ASSERT_EQUAL(decode_body(&d, big, sizeof(big)), RSP_EV_OVERSIZE);
	CU_ASSERT(d.payload.len <= 8);
	/* the next packet is fine */
	CU_ASSERT_EQUAL(decode_body(&d, "OK", 2), RSP_EV_PACKET);
	CU_ASSERT_STRING_EQUAL(d.payload.data, "OK");
	rsp_decoder_free(&d);
}

static void test_decode_restart_on_dollar(void)
{
	struct rsp_decoder d;
	int n;

	rsp_decoder_init(&d, 64);
	/* a sender that gave up mid-frame and started over */
	CU_ASSERT_EQUAL(feed_bytes(&d, "$garb$OK#9a", 11, &n), RSP_EV_PACKET);
	CU_ASSERT_EQUAL(n, 1);
	CU_ASSERT_STRING_EQUAL(d.payload.data, "OK");
	rsp_decoder_free(&d);
}

static void test_decode_binary_roundtrip(void)
{
	struct rsp_decoder d;
	struct rsp_buf f;
	uint8_t all[512];

	for (size_t i = 0; i < sizeof(all); i++)
		all[i] = (uint8_t)(i * 7 + (i >> 8));
	all[0] = 0;
	rsp_decoder_init(&d, 2 * sizeof(all));
	rsp_buf_init(&f);
	rsp_encode_packet(&f, all, sizeof(all));
	CU_ASSERT_EQUAL(feed_bytes(&d, f.data, f.len, NULL), RSP_EV_PACKET);
	uint8_t back[sizeof(all)];
	CU_ASSERT_EQUAL_FATAL(rsp_binary_decode(d.payload.data, d.payload.len,
						back, sizeof(back)),
			      (long)sizeof(all));
	CU_ASSERT_EQUAL(memcmp(back, all, sizeof(all)), 0);
	rsp_buf_free(&f);
	rsp_decoder_free(&d);
}

static void test_decode_random_roundtrip(void)
{
	struct rsp_decoder d;
	struct rsp_buf f;
	uint8_t data[300], back[300];
	uint32_t seed = 12345;
	int failures = 0;

	rsp_decoder_init(&d, 2 * sizeof(data));
	rsp_buf_init(&f);
	for (int iter = 0; iter < 500; iter++) {
		size_t len = (size_t)(iter % (int)sizeof(data));
		for (size_t i = 0; i < len; i++) {
			seed = seed * 1103515245u + 12345u;
			/* bias towards the special characters */
			uint8_t r = (uint8_t)(seed >> 16);
			data[i] = (r & 3) == 0 ? (uint8_t)"#$}*"[r >> 6] : r;
		}
		rsp_buf_reset(&f);
		rsp_encode_packet(&f, data, len);
		/* several frames coalesced into one stream */
		rsp_encode_packet(&f, "+", 1);
		int n;
		enum rsp_event ev = RSP_EV_NONE;
		size_t i;
		for (i = 0; i < f.len; i++) {
			ev = rsp_decoder_feed(&d, (uint8_t)f.data[i]);
			if (ev != RSP_EV_NONE)
				break;
		}
		if (ev != RSP_EV_PACKET ||
		    rsp_binary_decode(d.payload.data, d.payload.len, back,
				      sizeof(back)) != (long)len ||
		    memcmp(back, data, len) != 0)
			failures++;
		ev = feed_bytes(&d, f.data + i + 1, f.len - i - 1, &n);
		if (ev != RSP_EV_PACKET || n != 1 ||
		    strcmp(d.payload.data, "+") != 0)
			failures++;
	}
	CU_ASSERT_EQUAL(failures, 0);
	rsp_buf_free(&f);
	rsp_decoder_free(&d);
}

/* ---- connection over a socketpair ------------------------------------- */

static void test_conn_recv_acks(void)
{
	struct pair p;
	struct rsp_buf got;

	rsp_buf_init(&got);
	pair_open(&p, 0);
	peer_write_str(&p, "$qSupported:multiprocess+#c6");
	assert_recv_packet(p.c, "qSupported:multiprocess+");
	peer_read_available(&p, &got);
	CU_ASSERT_STRING_EQUAL(got.data, "+");
	pair_close(&p);
	rsp_buf_free(&got);
}

static void test_conn_coalesced_packets(void)
{
	struct pair p;
	struct rsp_buf got;

	rsp_buf_init(&got);
	pair_open(&p, 0);
	/* three frames and stray acks in one write */
	peer_write_str(&p, "+$g#67+$m0,1#fa$?#3f");
	assert_recv_packet(p.c, "g");
	CU_ASSERT_TRUE(rsp_conn_has_buffered_input(p.c));
	assert_recv_packet(p.c, "m0,1");
	assert_recv_packet(p.c, "?");
	CU_ASSERT_FALSE(rsp_conn_has_buffered_input(p.c));
	peer_read_available(&p, &got);
	CU_ASSERT_STRING_EQUAL(got.data, "+++");
	pair_close(&p);
	rsp_buf_free(&got);
}

static void test_conn_split_reads(void)
{
	struct pair p;
	struct rsp_buf f;
	const char *payload = "vCont;c:p1.-1";

	pair_open(&p, 0);
	rsp_buf_init(&f);
	rsp_encode_packet(&f, payload, strlen(payload));
	rsp_encode_packet(&f, "OK", 2);
	/* A child writes the frames one byte at a time, so the connection
	 * sees them in many separate reads. */
	pid_t pid = fork();
	CU_ASSERT_FATAL(pid >= 0);
	if (pid == 0) {
		for (size_t i = 0; i < f.len; i++) {
			if (write(p.peer, f.data + i, 1) != 1)
				_exit(1);
			usleep(500);
		}
		_exit(0);
	}
	assert_recv_packet(p.c, payload);
	assert_recv_packet(p.c, "OK");
	int status;
	CU_ASSERT_EQUAL(waitpid(pid, &status, 0), pid);
	CU_ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	rsp_buf_free(&f);
	pair_close(&p);
}

static void test_conn_bad_checksum_then_retransmit(void)
{
	struct pair p;
	struct rsp_buf got;

	rsp_buf_init(&got);
	pair_open(&p, 0);
	peer_write_str(&p, "$m1000,4#00");   /* wrong checksum */
	peer_write_str(&p, "$m1000,4#8e");   /* the retransmission */
	assert_recv_packet(p.c, "m1000,4");
	CU_ASSERT_EQUAL(p.c->bad_checksums, 1);
	peer_read_available(&p, &got);
	CU_ASSERT_STRING_EQUAL(got.data, "-+");
	pair_close(&p);
	rsp_buf_free(&got);
}

static void test_conn_oversize_then_next_packet(void)
{
	struct pair p;
	struct rsp_buf got;
	const char *payload;
	size_t len;

	rsp_buf_init(&got);
	pair_open(&p, 16);
	peer_write_frame(&p, "M1000,20:0102030405060708090a0b0c0d0e0f");
	peer_write_frame(&p, "g");
	CU_ASSERT_EQUAL(rsp_conn_recv(p.c, &payload, &len), RSP_RECV_REJECTED);
	CU_ASSERT_PTR_NOT_NULL(strstr(p.c->error, "larger than 16"));
	assert_recv_packet(p.c, "g");
	peer_read_available(&p, &got);
	CU_ASSERT_STRING_EQUAL(got.data, "-+");
	pair_close(&p);
	rsp_buf_free(&got);
}

static void test_conn_malformed_rejected(void)
{
	struct pair p;
	struct rsp_buf f, got;
	const char *payload;
	size_t len;

	rsp_buf_init(&f);
	rsp_buf_init(&got);
	pair_open(&p, 0);
	raw_frame(&f, "*!", 2);
	peer_write(&p, f.data, f.len);
	peer_write_frame(&p, "?");
	CU_ASSERT_EQUAL(rsp_conn_recv(p.c, &payload, &len), RSP_RECV_REJECTED);
	CU_ASSERT_PTR_NOT_NULL(strstr(p.c->error, "malformed"));
	assert_recv_packet(p.c, "?");
	peer_read_available(&p, &got);
	CU_ASSERT_STRING_EQUAL(got.data, "-+");
	pair_close(&p);
	rsp_buf_free(&f);
	rsp_buf_free(&got);
}

static void test_conn_interrupt_between_packets(void)
{
	struct pair p;
	struct rsp_buf got;
	const char *payload;
	size_t len;

	rsp_buf_init(&got);
	pair_open(&p, 0);
	peer_write_str(&p, "\x03$?#3f\x03");
	CU_ASSERT_EQUAL(rsp_conn_recv(p.c, &payload, &len), RSP_RECV_INTERRUPT);
	assert_recv_packet(p.c, "?");
	CU_ASSERT_EQUAL(rsp_conn_recv(p.c, &payload, &len), RSP_RECV_INTERRUPT);
	/* interrupts are not acked; the packet is */
	peer_read_available(&p, &got);
	CU_ASSERT_STRING_EQUAL(got.data, "+");
	pair_close(&p);
	rsp_buf_free(&got);
}

static void test_conn_binary_payload_with_nul_and_0x03(void)
{
	struct pair p;
	const char *payload;
	size_t len;
	const char data[] = "X10,6:\x00\x03}#\x00$";

	pair_open(&p, 0);
	struct rsp_buf f;
	rsp_buf_init(&f);
	rsp_encode_packet(&f, data, sizeof(data) - 1);
	peer_write(&p, f.data, f.len);
	CU_ASSERT_EQUAL_FATAL(rsp_conn_recv(p.c, &payload, &len),
			      RSP_RECV_PACKET);
	char back[sizeof(data)];
	CU_ASSERT_EQUAL(rsp_binary_decode(payload, len, back, sizeof(back)),
			(long)sizeof(data) - 1);
	CU_ASSERT_EQUAL(memcmp(back, data, sizeof(data) - 1), 0);
	rsp_buf_free(&f);
	pair_close(&p);
}

static void test_conn_send_waits_for_ack_and_retransmits(void)
{
	struct pair p;
	struct rsp_buf got;

	rsp_buf_init(&got);
	pair_open(&p, 0);
	peer_write_str(&p, "-+");   /* first copy rejected, second accepted */
	CU_ASSERT_EQUAL(rsp_conn_send_str(p.c, "S05"), 0);
	CU_ASSERT_EQUAL(p.c->retransmits, 1);
	peer_read_available(&p, &got);
	CU_ASSERT_STRING_EQUAL(got.data, "$S05#b8$S05#b8");
	CU_ASSERT_FALSE(rsp_conn_has_buffered_input(p.c));
	pair_close(&p);
	rsp_buf_free(&got);
}

static void test_conn_send_gives_up_after_repeated_naks(void)
{
	struct pair p;
	char naks[64];

	pair_open(&p, 0);
	memset(naks, '-', sizeof(naks));
	peer_write(&p, naks, sizeof(naks));
	CU_ASSERT_EQUAL(rsp_conn_send_str(p.c, "OK"), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(p.c->error, "rejected"));
	pair_close(&p);
}

static void test_conn_send_eof_while_waiting(void)
{
	struct pair p;

	pair_open(&p, 0);
	close(p.peer);
	p.peer = -1;
	/* no SIGPIPE must kill us: the write itself may fail or succeed */
	CU_ASSERT_EQUAL(rsp_conn_send_str(p.c, "OK"), -1);
	CU_ASSERT_STRING_NOT_EQUAL(p.c->error, "");
	pair_close(&p);
}

static void test_conn_interrupt_during_ack_wait(void)
{
	struct pair p;
	const char *payload;
	size_t len;

	pair_open(&p, 0);
	peer_write_str(&p, "\x03+");
	CU_ASSERT_EQUAL(rsp_conn_send_str(p.c, "O6869"), 0);
	CU_ASSERT_TRUE(p.c->pending_interrupt);
	CU_ASSERT_EQUAL(rsp_conn_poll_interrupt(p.c), 1);
	CU_ASSERT_EQUAL(rsp_conn_poll_interrupt(p.c), 0);
	/* and via recv */
	peer_write_str(&p, "\x03+");
	CU_ASSERT_EQUAL(rsp_conn_send_str(p.c, "O6869"), 0);
	CU_ASSERT_EQUAL(rsp_conn_recv(p.c, &payload, &len), RSP_RECV_INTERRUPT);
	pair_close(&p);
}

static void test_conn_packet_counts_as_ack(void)
{
	struct pair p;

	pair_open(&p, 0);
	/* the ack got lost but the peer's next request arrived */
	peer_write_str(&p, "$g#67");
	CU_ASSERT_EQUAL(rsp_conn_send_str(p.c, "OK"), 0);
	assert_recv_packet(p.c, "g");
	pair_close(&p);
}

static void test_conn_noack_mode(void)
{
	struct pair p;
	struct rsp_buf got;

	rsp_buf_init(&got);
	pair_open(&p, 0);
	/* The QStartNoAckMode exchange: acked request, OK acked by GDB. */
	peer_write_str(&p, "$QStartNoAckMode#b0+");
	assert_recv_packet(p.c, "QStartNoAckMode");
	CU_ASSERT_EQUAL(rsp_conn_send_str(p.c, "OK"), 0);
	rsp_conn_set_noack(p.c, true);
	peer_read_available(&p, &got);
	CU_ASSERT_STRING_EQUAL(got.data, "+$OK#9a");
	/* From now on: no acks either way, sends do not wait. */
	peer_write_str(&p, "$g#67");
	assert_recv_packet(p.c, "g");
	CU_ASSERT_EQUAL(rsp_conn_send_str(p.c, "E01"), 0);
	peer_read_available(&p, &got);
	CU_ASSERT_STRING_EQUAL(got.data, "$E01#a6");
	pair_close(&p);
	rsp_buf_free(&got);
}

static void test_conn_noack_bad_checksum_dropped(void)
{
	struct pair p;
	struct rsp_buf got;
	const char *payload;
	size_t len;

	rsp_buf_init(&got);
	pair_open(&p, 0);
	rsp_conn_set_noack(p.c, true);
	peer_write_str(&p, "$g#00$?#3f");
	CU_ASSERT_EQUAL(rsp_conn_recv(p.c, &payload, &len), RSP_RECV_REJECTED);
	CU_ASSERT_PTR_NOT_NULL(strstr(p.c->error, "checksum"));
	assert_recv_packet(p.c, "?");
	peer_read_available(&p, &got);
	CU_ASSERT_EQUAL(got.len, 0);   /* no '-' and no '+' */
	pair_close(&p);
	rsp_buf_free(&got);
}

static void test_conn_poll_interrupt(void)
{
	struct pair p;

	pair_open(&p, 0);
	CU_ASSERT_EQUAL(rsp_conn_poll_interrupt(p.c), 0);
	peer_write_str(&p, "+\x03");
	CU_ASSERT_EQUAL(rsp_conn_poll_interrupt(p.c), 1);
	CU_ASSERT_EQUAL(rsp_conn_poll_interrupt(p.c), 0);
	/* a packet is left for recv, not eaten */
	peer_write_str(&p, "$vCtrlC#4e");
	CU_ASSERT_EQUAL(rsp_conn_poll_interrupt(p.c), 0);
	CU_ASSERT_TRUE(rsp_conn_has_buffered_input(p.c));
	assert_recv_packet(p.c, "vCtrlC");
	close(p.peer);
	p.peer = -1;
	CU_ASSERT_EQUAL(rsp_conn_poll_interrupt(p.c), -1);
	pair_close(&p);
}

static void test_conn_recv_eof(void)
{
	struct pair p;
	const char *payload;
	size_t len;

	pair_open(&p, 0);
	peer_write_str(&p, "$?#3f$partial");
	close(p.peer);
	p.peer = -1;
	assert_recv_packet(p.c, "?");
	CU_ASSERT_EQUAL(rsp_conn_recv(p.c, &payload, &len), RSP_RECV_EOF);
	pair_close(&p);
}

/* ---- client ------------------------------------------------------------ */

static void test_client_skips_console_output(void)
{
	struct pair p;
	struct rsp_buf reply, console, got;

	rsp_buf_init(&reply);
	rsp_buf_init(&console);
	rsp_buf_init(&got);
	pair_open(&p, 0);
	/* ack for the request, two console packets, a keepalive (an
	 * empty one and a space: rsp_patience.c), then the reply */
	peer_write_str(&p, "+");
	peer_write_frame(&p, "O68656c6c6f0a");
	peer_write_frame(&p, "O776f726c64");
	peer_write_frame(&p, "O");
	peer_write_str(&p, " ");
	peer_write_frame(&p, "OK");
	CU_ASSERT_EQUAL(rsp_client_request(p.c, "qRcmd,6964", &reply, &console),
			0);
	CU_ASSERT_STRING_EQUAL(reply.data, "OK");
	CU_ASSERT_STRING_EQUAL(console.data, "hello\nworld");
	peer_read_available(&p, &got);
	CU_ASSERT_STRING_EQUAL(got.data, "$qRcmd,6964#fc++++");
	pair_close(&p);
	rsp_buf_free(&reply);
	rsp_buf_free(&console);
	rsp_buf_free(&got);
}

static void test_client_reply_starting_with_O(void)
{
	struct pair p;
	struct rsp_buf reply;

	rsp_buf_init(&reply);
	pair_open(&p, 0);
	rsp_conn_set_noack(p.c, true);
	/* not hex pairs: a real reply, even though it starts with 'O' */
	peer_write_frame(&p, "O6");
	peer_write_frame(&p, "Oops");
	peer_write_frame(&p, "O41");
	peer_write_frame(&p, "OK");
	CU_ASSERT_EQUAL(rsp_client_request(p.c, "x", &reply, NULL), 0);
	CU_ASSERT_STRING_EQUAL(reply.data, "O6");
	CU_ASSERT_EQUAL(rsp_client_request(p.c, "x", &reply, NULL), 0);
	CU_ASSERT_STRING_EQUAL(reply.data, "Oops");
	/* console output is skipped even with no console buffer */
	CU_ASSERT_EQUAL(rsp_client_request(p.c, "x", &reply, NULL), 0);
	CU_ASSERT_STRING_EQUAL(reply.data, "OK");
	pair_close(&p);
	rsp_buf_free(&reply);
}

static void test_client_eof_is_error(void)
{
	struct pair p;
	struct rsp_buf reply;

	rsp_buf_init(&reply);
	pair_open(&p, 0);
	peer_write_str(&p, "+");
	shutdown(p.peer, SHUT_WR);
	CU_ASSERT_EQUAL(rsp_client_request(p.c, "?", &reply, NULL), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(p.c->error, "closed"));
	pair_close(&p);
	rsp_buf_free(&reply);
}

/* ---- transports -------------------------------------------------------- */

/* Serve on `t` in a child: each packet, taken as binary data, is answered
 * with "echo:" and that data; "k" ends it. */
static pid_t start_echo_server(const struct rsp_transport *t)
{
	pid_t pid = fork();

	if (pid != 0)
		return pid;
	struct rsp_conn *c = calloc(1, sizeof(*c));
	struct rsp_buf r;
	if (!c)
		_exit(3);
	rsp_conn_init(c, t, 0);
	rsp_buf_init(&r);
	for (;;) {
		const char *payload;
		size_t len;
		if (rsp_conn_recv(c, &payload, &len) != RSP_RECV_PACKET)
			_exit(2);
		if (len == 1 && payload[0] == 'k')
			_exit(0);
		rsp_buf_reset(&r);
		rsp_buf_append_str(&r, "echo:");
		rsp_buf_append(&r, payload, len);   /* room for the data */
		long n = rsp_binary_decode(payload, len, r.data + 5, len);
		if (n < 0)
			_exit(5);
		if (rsp_conn_send(c, r.data, 5 + (size_t)n) < 0)
			_exit(4);
	}
}

static void talk_to_echo_server(const struct rsp_transport *client,
				pid_t server)
{
	struct rsp_conn *c = calloc(1, sizeof(*c));
	struct rsp_buf reply;
	int status;

	CU_ASSERT_FATAL(c != NULL);
	rsp_buf_init(&reply);
	rsp_conn_init(c, client, 0);
	CU_ASSERT_EQUAL(rsp_client_request(c, "qSupported", &reply, NULL), 0);
	CU_ASSERT_STRING_EQUAL(reply.data, "echo:qSupported");
	/* 20000 '$' bytes: 40000 on the wire each way, all escaped */
	static char big[20000 + 1], back[20000 + 5];
	memset(big, '$', 20000);
	CU_ASSERT_EQUAL(rsp_client_request(c, big, &reply, NULL), 0);
	CU_ASSERT_EQUAL(rsp_binary_decode(reply.data, reply.len, back,
					  sizeof(back)), 20005);
	CU_ASSERT_EQUAL(memcmp(back, "echo:$$$", 8), 0);
	CU_ASSERT_EQUAL(back[20004], '$');
	CU_ASSERT_EQUAL(rsp_conn_send_str(c, "k"), 0);
	CU_ASSERT_EQUAL(waitpid(server, &status, 0), server);
	CU_ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	rsp_conn_close(c);
	free(c);
	rsp_buf_free(&reply);
}

static void test_tcp_listen_port_zero(void)
{
	struct rsp_listener l;
	struct rsp_transport client, server;
	char err[256] = "";

	CU_ASSERT_EQUAL_FATAL(rsp_listen_tcp(&l, NULL, 0, err, sizeof(err)), 0);
	CU_ASSERT(l.port > 0 && l.port < 65536);
	CU_ASSERT_PTR_NOT_NULL(strstr(l.description, "127.0.0.1:"));
	CU_ASSERT_EQUAL_FATAL(rsp_connect_tcp(&client, "127.0.0.1", l.port, err,
					      sizeof(err)), 0);
	CU_ASSERT_EQUAL_FATAL(rsp_accept(&l, &server, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(strncmp(server.description, "tcp 127.0.0.1:", 14), 0);
	pid_t pid = start_echo_server(&server);
	CU_ASSERT_FATAL(pid > 0);
	rsp_transport_close(&server);
	talk_to_echo_server(&client, pid);
	rsp_listener_close(&l);
	CU_ASSERT_EQUAL(l.fd, -1);
}

static void test_tcp_connect_refused_reports_error(void)
{
	struct rsp_listener l;
	struct rsp_transport t;
	char err[256] = "";

	/* a port that was free a moment ago and is now closed */
	CU_ASSERT_EQUAL_FATAL(rsp_listen_tcp(&l, "127.0.0.1", 0, err,
					     sizeof(err)), 0);
	int port = l.port;
	rsp_listener_close(&l);
	CU_ASSERT_EQUAL(rsp_connect_tcp(&t, NULL, port, err, sizeof(err)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "cannot connect"));
	CU_ASSERT_EQUAL(rsp_listen_tcp(&l, NULL, 70000, err, sizeof(err)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "70000"));
	CU_ASSERT_EQUAL(rsp_listen_tcp(&l, "not an address", 0, err,
				       sizeof(err)), -1);
}

static void test_unix_socket(void)
{
	char dir[] = "/tmp/xrr-test-rsp-XXXXXX";
	char path[128], err[256] = "";
	struct rsp_listener l;
	struct rsp_transport client, server;
	struct stat st;

	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/gdb.sock", dir);
	CU_ASSERT_EQUAL_FATAL(rsp_listen_unix(&l, path, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(l.port, 0);
	CU_ASSERT_EQUAL_FATAL(rsp_connect_unix(&client, path, err,
					       sizeof(err)), 0);
	CU_ASSERT_EQUAL_FATAL(rsp_accept(&l, &server, err, sizeof(err)), 0);
	pid_t pid = start_echo_server(&server);
	CU_ASSERT_FATAL(pid > 0);
	rsp_transport_close(&server);
	talk_to_echo_server(&client, pid);
	rsp_listener_close(&l);
	/* the socket file goes away with the listener */
	CU_ASSERT_EQUAL(stat(path, &st), -1);
	CU_ASSERT_EQUAL(rsp_connect_unix(&client, path, err, sizeof(err)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, path));
	rmdir(dir);
}

static void test_unix_socket_stale_and_live(void)
{
	char dir[] = "/tmp/xrr-test-rsp-XXXXXX";
	char path[128], err[256] = "";
	struct rsp_listener l1, l2;

	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/s", dir);
	CU_ASSERT_EQUAL_FATAL(rsp_listen_unix(&l1, path, err, sizeof(err)), 0);
	/* a live socket belongs to someone: refuse */
	CU_ASSERT_EQUAL(rsp_listen_unix(&l2, path, err, sizeof(err)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, path));
	/* a crashed stub leaves a dead socket file: reuse it */
	close(l1.fd);
	CU_ASSERT_EQUAL(rsp_listen_unix(&l2, path, err, sizeof(err)), 0);
	rsp_listener_close(&l2);
	/* too long for sun_path */
	char longpath[300];
	memset(longpath, 'a', sizeof(longpath) - 1);
	longpath[sizeof(longpath) - 1] = '\0';
	CU_ASSERT_EQUAL(rsp_listen_unix(&l2, longpath, err, sizeof(err)), -1);
	rmdir(dir);
}

static void test_stdio_transport(void)
{
	struct rsp_transport t;

	rsp_transport_stdio(&t);
	CU_ASSERT_EQUAL(t.in_fd, 0);
	CU_ASSERT_EQUAL(t.out_fd, 1);
	CU_ASSERT_STRING_EQUAL(t.description, "stdio");
}

static void test_host_is_loopback(void)
{
	CU_ASSERT_TRUE(rsp_host_is_loopback(NULL));
	CU_ASSERT_TRUE(rsp_host_is_loopback("127.0.0.1"));
	CU_ASSERT_TRUE(rsp_host_is_loopback("127.1.2.3"));
	CU_ASSERT_TRUE(rsp_host_is_loopback("localhost"));
	CU_ASSERT_TRUE(rsp_host_is_loopback("LocalHost"));
	CU_ASSERT_TRUE(rsp_host_is_loopback("::1"));
	CU_ASSERT_TRUE(rsp_host_is_loopback("[::1]"));
	CU_ASSERT_TRUE(rsp_host_is_loopback("::ffff:127.0.0.1"));
	CU_ASSERT_FALSE(rsp_host_is_loopback("0.0.0.0"));
	CU_ASSERT_FALSE(rsp_host_is_loopback("::"));
	CU_ASSERT_FALSE(rsp_host_is_loopback("128.0.0.1"));
	CU_ASSERT_FALSE(rsp_host_is_loopback("10.0.0.1"));
	CU_ASSERT_FALSE(rsp_host_is_loopback("::ffff:10.0.0.1"));
	CU_ASSERT_FALSE(rsp_host_is_loopback("example.com"));
	CU_ASSERT_FALSE(rsp_host_is_loopback("localhost.example.com"));
	CU_ASSERT_FALSE(rsp_host_is_loopback(""));
}

static const struct unit_test framing_tests[] = {
	{ "checksum", test_checksum },
	{ "encode plain", test_encode_plain },
	{ "encode escapes", test_encode_escapes },
	{ "buffer helpers", test_buf_helpers },
	{ "decode byte by byte", test_decode_simple_byte_by_byte },
	{ "decode acks, naks, interrupt", test_decode_acks_and_interrupt },
	{ "decode keeps escapes", test_decode_keeps_escapes },
	{ "escape before # is malformed", test_decode_escape_before_hash_is_malformed },
	{ "decode run-length", test_decode_run_length },
	{ "invalid run-length", test_decode_run_length_invalid },
	{ "bad checksum", test_decode_bad_checksum },
	{ "oversize", test_decode_oversize },
	{ "restart on $", test_decode_restart_on_dollar },
	{ "binary round trip", test_decode_binary_roundtrip },
	{ "random round trips", test_decode_random_roundtrip },
	{ NULL, NULL },
};

/* ---- long requests: the helper thread (rsp_patience.c) ---------------- */

/* Read exactly `n` bytes the connection wrote, waiting up to 5 s. */
static void peer_read_n(struct pair *p, size_t n, struct rsp_buf *out)
{
	rsp_buf_reset(out);
	while (out->len < n) {
		struct pollfd pfd = { .fd = p->peer, .events = POLLIN };
		CU_ASSERT_FATAL(poll(&pfd, 1, 5000) == 1);
		char buf[256];
		size_t want = n - out->len < sizeof(buf) ? n - out->len : sizeof(buf);
		ssize_t got = read(p->peer, buf, want);
		CU_ASSERT_FATAL(got > 0);
		rsp_buf_append(out, buf, (size_t)got);
	}
}

static void test_busy_drops_retransmission_keeps_new(void)
{
	struct pair p;
	struct rsp_buf got;
	const char *payload;
	size_t len;

	rsp_buf_init(&got);
	pair_open(&p, 0);
	peer_write_frame(&p, "qRcmd,676f746f");
	assert_recv_packet(p.c, "qRcmd,676f746f");
	CU_ASSERT_EQUAL(rsp_conn_busy(p.c), 0);
	/* GDB timed out: the same request again, then a new one and ^C, in
	 * one write so the helper has seen all of it once it acked qC. */
	struct rsp_buf burst;
	rsp_buf_init(&burst);
	rsp_encode_packet(&burst, "qRcmd,676f746f", 14);
	rsp_encode_packet(&burst, "qC", 2);
	rsp_buf_append(&burst, "\x03", 1);
	peer_write(&p, burst.data, burst.len);
	rsp_buf_free(&burst);
	peer_read_n(&p, 3, &got);   /* acks: the request, its copy, qC */
	CU_ASSERT_NSTRING_EQUAL(got.data, "+++", 3);
	rsp_conn_ready(p.c);
	CU_ASSERT_EQUAL(p.c->duplicates, 1);
	CU_ASSERT_EQUAL(rsp_conn_recv(p.c, &payload, &len), RSP_RECV_INTERRUPT);
	assert_recv_packet(p.c, "qC");
	/* Already acked: nothing more was written. */
	peer_read_available(&p, &got);
	CU_ASSERT_EQUAL(got.len, 0);
	pair_close(&p);
	rsp_buf_free(&got);
}

static void test_busy_before_first_packet(void)
{
	struct pair p;
	struct rsp_buf got;

	rsp_buf_init(&got);
	pair_open(&p, 0);
	/* Work before serving (xrr replay --stdio -g): GDB's first packet
	 * comes, and again after its timeout. */
	CU_ASSERT_EQUAL(rsp_conn_busy(p.c), 0);
	peer_write_frame(&p, "qSupported:multiprocess+");
	peer_read_n(&p, 1, &got);
	peer_write_frame(&p, "qSupported:multiprocess+");
	peer_read_n(&p, 1, &got);
	CU_ASSERT_EQUAL(got.data[0], '+');
	rsp_conn_ready(p.c);
	CU_ASSERT_EQUAL(p.c->duplicates, 1);
	CU_ASSERT_TRUE(rsp_conn_has_buffered_input(p.c));
	assert_recv_packet(p.c, "qSupported:multiprocess+");
	peer_write_frame(&p, "vMustReplyEmpty");
	assert_recv_packet(p.c, "vMustReplyEmpty");
	pair_close(&p);
	rsp_buf_free(&got);
}

static void test_busy_sends_keepalives_then_stops(void)
{
	struct pair p;
	struct rsp_buf got;

	rsp_buf_init(&got);
	pair_open(&p, 0);
	peer_write_frame(&p, "vRun;");
	assert_recv_packet(p.c, "vRun;");
	peer_read_n(&p, 1, &got);   /* the ack */
	CU_ASSERT_EQUAL(rsp_conn_busy(p.c), 0);
	peer_read_n(&p, 2, &got);   /* two keepalives, ~1 s */
	CU_ASSERT_EQUAL(got.data[0], RSP_KEEPALIVE_BYTE);
	CU_ASSERT_EQUAL(got.data[1], RSP_KEEPALIVE_BYTE);
	rsp_conn_ready(p.c);
	usleep((RSP_KEEPALIVE_MS + 200) * 1000);
	peer_read_available(&p, &got);
	CU_ASSERT_EQUAL(got.len, 0);
	CU_ASSERT_TRUE(p.c->keepalives >= 2);
	pair_close(&p);
	rsp_buf_free(&got);
}

static void test_busy_monitor_keepalive_is_console_output(void)
{
	struct pair p;
	struct rsp_buf got;

	rsp_buf_init(&got);
	pair_open(&p, 0);
	rsp_conn_set_noack(p.c, true);
	peer_write_frame(&p, "qRcmd,7768656e");
	assert_recv_packet(p.c, "qRcmd,7768656e");
	CU_ASSERT_EQUAL(rsp_conn_busy(p.c), 0);
	/* An empty O packet: GDB and LLDB print nothing and wait anew. */
	peer_read_n(&p, 5, &got);
	CU_ASSERT_NSTRING_EQUAL(got.data, "$O#4f", 5);
	rsp_conn_ready(p.c);
	pair_close(&p);
	rsp_buf_free(&got);
}

static void test_is_retransmission(void)
{
	struct pair p;

	pair_open(&p, 0);
	CU_ASSERT_FALSE(rsp_conn_is_retransmission(p.c, "g", 1));
	peer_write_frame(&p, "m1000,4");
	assert_recv_packet(p.c, "m1000,4");
	CU_ASSERT_TRUE(rsp_conn_is_retransmission(p.c, "m1000,4", 7));
	CU_ASSERT_FALSE(rsp_conn_is_retransmission(p.c, "m1000,8", 7));
	CU_ASSERT_FALSE(rsp_conn_is_retransmission(p.c, "m1000,", 6));
	pair_close(&p);
}

static const struct unit_test conn_tests[] = {
	{ "recv acks", test_conn_recv_acks },
	{ "coalesced packets", test_conn_coalesced_packets },
	{ "split reads", test_conn_split_reads },
	{ "bad checksum then retransmit", test_conn_bad_checksum_then_retransmit },
	{ "oversize then next packet", test_conn_oversize_then_next_packet },
	{ "malformed rejected", test_conn_malformed_rejected },
	{ "interrupt between packets", test_conn_interrupt_between_packets },
	{ "binary payload", test_conn_binary_payload_with_nul_and_0x03 },
	{ "send retransmits on nak", test_conn_send_waits_for_ack_and_retransmits },
	{ "send gives up", test_conn_send_gives_up_after_repeated_naks },
	{ "send EOF", test_conn_send_eof_while_waiting },
	{ "interrupt during ack wait", test_conn_interrupt_during_ack_wait },
	{ "packet counts as ack", test_conn_packet_counts_as_ack },
	{ "no-ack mode", test_conn_noack_mode },
	{ "no-ack bad checksum", test_conn_noack_bad_checksum_dropped },
	{ "poll interrupt", test_conn_poll_interrupt },
	{ "recv EOF", test_conn_recv_eof },
	{ "busy: retransmission dropped, new packet kept",
	  test_busy_drops_retransmission_keeps_new },
	{ "busy before the first packet", test_busy_before_first_packet },
	{ "busy: keepalives, none after", test_busy_sends_keepalives_then_stops },
	{ "busy: monitor keepalive is console output",
	  test_busy_monitor_keepalive_is_console_output },
	{ "is retransmission", test_is_retransmission },
	{ NULL, NULL },
};

static const struct unit_test client_tests[] = {
	{ "skips console output", test_client_skips_console_output },
	{ "replies starting with O", test_client_reply_starting_with_O },
	{ "EOF is an error", test_client_eof_is_error },
	{ NULL, NULL },
};

static const struct unit_test transport_tests[] = {
	{ "tcp port 0", test_tcp_listen_port_zero },
	{ "tcp errors", test_tcp_connect_refused_reports_error },
	{ "unix socket", test_unix_socket },
	{ "unix stale and live", test_unix_socket_stale_and_live },
	{ "stdio", test_stdio_transport },
	{ "host is loopback", test_host_is_loopback },
	{ NULL, NULL },
};

static const struct unit_suite suites[] = {
	{ "rsp framing", framing_tests, NULL, NULL },
	{ "rsp connection", conn_tests, NULL, NULL },
	{ "rsp client", client_tests, NULL, NULL },
	{ "rsp transports", transport_tests, NULL, NULL },
};

UNIT_MAIN(suites)
