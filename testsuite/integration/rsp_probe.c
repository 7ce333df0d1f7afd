/* rsp_probe: speak raw RSP to a stub on 127.0.0.1:PORT, for tests of how
 * the stub treats bad input.  Each argument is one step:
 *   PACKET       send it (ack mode), print "< REPLY" (bytes outside
 *                printable ASCII as \xNN); console output as "O TEXT"
 *   raw:TEXT     write TEXT as is, print the single byte answered
 *   big:N        send a well-framed packet of N bytes raw, print the
 *                single byte answered ('-' expected when oversize)
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
