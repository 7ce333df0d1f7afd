/* rsp_probe: speak raw RSP to a stub on 127.0.0.1:PORT, for tests of how
 * the stub treats bad input.  Each argument is one step:
 *   PACKET       send it (ack mode), print "< REPLY" (bytes outside
 *                printable ASCII as \xNN); console output as "O TEXT"
 *   raw:TEXT     write TEXT as is, print the single byte answered
 *   big:N        send a well-framed packet of N bytes raw, print the
 *                single byte answered ('-' expected when oversize)
 *   twice:MS:PACKET  send PACKET, then again MS milliseconds later (a
 *                retransmission, as GDB makes after its timeout), then
 *                print the reply as for PACKET
 * Exit status 1 if the connection is lost. */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "protocol/rsp.h"

static void print_escaped(const char *prefix, const char *data, size_t len)
{
	fputs(prefix, stdout);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)data[i];
		if (isprint(c) && c != '\\')
			putchar(c);
		else
			printf("\\x%02x", c);
	}
	putchar('\n');
}

static int answer_byte(struct rsp_conn *c)
{
	char b;
	ssize_t n = read(c->t.in_fd, &b, 1);
	if (n != 1)
		return -1;
	printf("= %c\n", b);
	return 0;
}

static int send_raw(struct rsp_conn *c, const char *data, size_t len)
{
	return write(c->t.out_fd, data, len) == (ssize_t)len ? 0 : -1;
}

/* Read the reply to a request already sent, as rsp_client_request does. */
static int read_reply(struct rsp_conn *c, struct rsp_buf *reply,
		      struct rsp_buf *console)
{
	for (;;) {
		const char *p;
		size_t n;
		enum rsp_recv_status st = rsp_conn_recv(c, &p, &n);
		if (st == RSP_RECV_INTERRUPT || st == RSP_RECV_REJECTED)
			continue;
		if (st != RSP_RECV_PACKET)
			return -1;
		if (n > 1 && p[0] == 'O' && strncmp(p, "OK", 2) != 0) {
			for (size_t i = 1; i + 1 < n; i += 2)
				rsp_buf_printf(console, "%c",
					       rsp_hex_digit(p[i]) * 16 +
					       rsp_hex_digit(p[i + 1]));
			continue;
		}
		if (n == 1 && p[0] == 'O')
			continue;   /* an empty keepalive */
		rsp_buf_reset(reply);
		rsp_buf_append(reply, p, n);
		return 0;
	}
}

static int send_twice(struct rsp_conn *c, const char *step,
		      struct rsp_buf *frame, struct rsp_buf *reply,
		      struct rsp_buf *console)
{
	char *colon;
	long ms = strtol(step, &colon, 10);
	if (*colon != ':')
		return -1;
	const char *pkt = colon + 1;
	rsp_buf_reset(frame);
	rsp_encode_packet(frame, pkt, strlen(pkt));
	if (send_raw(c, frame->data, frame->len) < 0)
		return -1;
	usleep((useconds_t)ms * 1000);
	if (send_raw(c, frame->data, frame->len) < 0)
		return -1;
	return read_reply(c, reply, console);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: rsp_probe PORT STEP...\n");
		return 2;
	}
	struct rsp_transport t;
	char err[256];
	if (rsp_connect_tcp(&t, "127.0.0.1", atoi(argv[1]), err, sizeof(err)) < 0) {
		fprintf(stderr, "rsp_probe: %s\n", err);
		return 1;
	}
	struct rsp_conn c;
	rsp_conn_init(&c, &t, RSP_DEFAULT_MAX_PAYLOAD * 4);
	struct rsp_buf reply, console, frame;
	rsp_buf_init(&reply);
	rsp_buf_init(&console);
	rsp_buf_init(&frame);
	int status = 0;
	for (int i = 2; i < argc && status == 0; i++) {
		const char *step = argv[i];
		printf("> %s\n", strncmp(step, "big:", 4) ? step : "big packet");
		if (strncmp(step, "raw:", 4) == 0) {
			status = send_raw(&c, step + 4, strlen(step + 4)) < 0 ||
				 answer_byte(&c) < 0;
		} else if (strncmp(step, "big:", 4) == 0) {
			size_t n = strtoul(step + 4, NULL, 0);
			char *body = malloc(n);
			memset(body, 'X', n);
			rsp_buf_reset(&frame);
			rsp_encode_packet(&frame, body, n);
			free(body);
			status = send_raw(&c, frame.data, frame.len) < 0 ||
				 answer_byte(&c) < 0;
		} else if (strncmp(step, "twice:", 6) == 0) {
			rsp_buf_reset(&console);
			if (send_twice(&c, step + 6, &frame, &reply, &console) < 0) {
				fprintf(stderr, "rsp_probe: %s\n", c.error);
				status = 1;
				break;
			}
			if (console.len)
				print_escaped("O ", console.data, console.len);
			print_escaped("< ", reply.data, reply.len);
		} else {
			rsp_buf_reset(&console);
			if (rsp_client_request(&c, step, &reply, &console) < 0) {
				fprintf(stderr, "rsp_probe: %s\n", c.error);
				status = 1;
				break;
			}
			if (console.len)
				print_escaped("O ", console.data, console.len);
			print_escaped("< ", reply.data, reply.len);
		}
		fflush(stdout);
	}
	rsp_buf_free(&reply);
	rsp_buf_free(&console);
	rsp_buf_free(&frame);
	rsp_conn_close(&c);
	return status;
}
