/* Client side of a connection (tests, the console): one request, one
 * reply, with console output packets collected on the way. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "protocol/rsp.h"

/* "O<hex>" is console output; "OK" and anything else starting with 'O'
 * but not followed by whole hex pairs is a real reply. */
static bool is_console_output(const char *p, size_t len)
{
	if (len < 3 || p[0] != 'O' || (len - 1) % 2 != 0)
		return false;
	for (size_t i = 1; i < len; i++)
		if (rsp_hex_digit(p[i]) < 0)
			return false;
	return true;
}

static void append_console(struct rsp_buf *console, const char *hex,
			   size_t len)
{
	for (size_t i = 0; i + 1 < len; i += 2) {
		char byte = (char)(rsp_hex_digit(hex[i]) << 4 | rsp_hex_digit(hex[i + 1]));
		rsp_buf_append(console, &byte, 1);
	}
}

int rsp_client_request(struct rsp_conn *c, const char *request,
		       struct rsp_buf *reply, struct rsp_buf *console)
{
	rsp_buf_reset(reply);
	if (rsp_conn_send_str(c, request) < 0)
		return -1;
	for (;;) {
		const char *payload;
		size_t len;
		enum rsp_recv_status st = rsp_conn_recv(c, &payload, &len);

		switch (st) {
		case RSP_RECV_PACKET:
			if (is_console_output(payload, len)) {
				if (console)
					append_console(console, payload + 1,
						       len - 1);
				continue;
			}
			rsp_buf_append(reply, payload, len);
			return 0;
		case RSP_RECV_INTERRUPT:
			continue;   /* only meaningful towards a stub */
		case RSP_RECV_EOF:
			snprintf(c->error, sizeof(c->error),
				 "connection closed before the reply to \"%.40s\"",
				 request);
			return -1;
		case RSP_RECV_ERROR:
		case RSP_RECV_REJECTED:
			return -1;  /* c->error says what went wrong */
		}
	}
}
