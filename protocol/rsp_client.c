/* Client side of a connection (tests, the console): one request, one
 * reply, with console output packets collected on the way. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/rsp.h"
#include "protocol/rsp_cmd.h"

/* "O<hex>" is console output, "O" alone too (the stub's keepalive during
 * a long monitor command, rsp_patience.c); "OK" and anything else
 * starting with 'O' but not followed by whole hex pairs is a real reply. */
static bool is_console_output(const char *p, size_t len)
{
	if (len < 1 || p[0] != 'O' || (len - 1) % 2 != 0)
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

/* ---- whole objects, monitor commands, memory and files ------------------ */

static int reply_error(struct rsp_conn *c, const char *what,
		       const struct rsp_buf *reply)
{
	if (reply->len == 0)
		snprintf(c->error, sizeof(c->error),
			 "%s: the server does not support it", what);
	else
		snprintf(c->error, sizeof(c->error), "%s: the server answered "
			 "\"%.40s\"", what, reply->data);
	return -1;
}

int rsp_client_qxfer_read(struct rsp_conn *c, const char *object,
			  const char *annex, struct rsp_buf *out)
{
	struct rsp_buf reply, req;
	int rc = 0;

	rsp_buf_reset(out);
	rsp_buf_init(&reply);
	rsp_buf_init(&req);
	for (;;) {
		rsp_buf_reset(&req);
		rsp_buf_printf(&req, "qXfer:%s:read:%s:%zx,%x", object, annex,
			       out->len, 0x3f00);
		if (rsp_client_request(c, req.data, &reply, NULL) < 0) {
			rc = -1;
			break;
		}
		if (reply.len == 0 || (reply.data[0] != 'm' && reply.data[0] != 'l')) {
			char what[96];
			snprintf(what, sizeof(what), "reading %s %s", object, annex);
			rc = reply_error(c, what, &reply);
			break;
		}
		size_t start = out->len;
		/* Binary data never grows when decoded. */
		rsp_buf_append(out, reply.data + 1, reply.len - 1);
		long n = rsp_binary_decode(reply.data + 1, reply.len - 1,
					   out->data + start, reply.len - 1);
		if (n < 0) {
			snprintf(c->error, sizeof(c->error),
				 "reading %s: bad escape in the reply", object);
			rc = -1;
			break;
		}
		out->len = start + (size_t)n;
		out->data[out->len] = 0;
		if (reply.data[0] == 'l' || n == 0)
			break;
	}
	rsp_buf_free(&reply);
	rsp_buf_free(&req);
	return rc;
}

int rsp_client_monitor(struct rsp_conn *c, const char *command,
		       struct rsp_buf *text)
{
	struct rsp_buf req, reply;
	rsp_buf_init(&req);
	rsp_buf_init(&reply);
	rsp_buf_append_str(&req, "qRcmd,");
	rsp_buf_append_hex(&req, command, strlen(command));
	int rc = rsp_client_request(c, req.data, &reply, text);
	if (rc == 0 && reply.len == 0) {
		rc = 1;
	} else if (rc == 0 && strcmp(reply.data, "OK") != 0) {
		/* Some servers answer with the output as one hex reply. */
		bool hex = reply.len % 2 == 0;
		for (size_t i = 0; hex && i < reply.len; i++)
			hex = rsp_hex_digit(reply.data[i]) >= 0;
		if (hex && reply.data[0] != 'E')
			append_console(text, reply.data, reply.len);
		else
			rc = reply_error(c, "monitor command", &reply);
	}
	rsp_buf_free(&req);
	rsp_buf_free(&reply);
	return rc;
}

#define MEMORY_CHUNK 4096

long rsp_client_read_memory(struct rsp_conn *c, uint64_t addr, void *out,
			    size_t len)
{
	struct rsp_buf reply;
	char req[64];
	size_t done = 0;

	rsp_buf_init(&reply);
	while (done < len) {
		size_t n = len - done < MEMORY_CHUNK ? len - done : MEMORY_CHUNK;
		snprintf(req, sizeof(req), "m%llx,%zx",
			 (unsigned long long)(addr + done), n);
		if (rsp_client_request(c, req, &reply, NULL) < 0) {
			rsp_buf_free(&reply);
			return -1;
		}
		if (reply.len == 0 || reply.data[0] == 'E')
			break;   /* unreadable from here on */
		long got = rsp_hex_decode(reply.data, reply.len,
					  (char *)out + done, n);
		if (got <= 0)
			break;
		done += (size_t)got;
		if ((size_t)got < n)
			break;
	}
	if (done == 0 && len > 0)
		snprintf(c->error, sizeof(c->error), "cannot read memory at "
			 "0x%llx", (unsigned long long)addr);
	rsp_buf_free(&reply);
	return (long)done;
}

/* "F<hex>[;data]" or "F-1,<errno>": the result, -1 with c->error set
 * for an error or a malformed reply.  *data points past ';' if any. */
static long vfile_result(struct rsp_conn *c, const char *what,
			 const struct rsp_buf *reply, const char **data)
{
	const char *p = reply->data;
	if (reply->len < 2 || p[0] != 'F')
		return reply_error(c, what, reply);
	if (p[1] == '-') {
		const char *comma = strchr(p, ',');
		long fio = comma ? strtol(comma + 1, NULL, 16) : 0;
		snprintf(c->error, sizeof(c->error), "%s: %s (File-I/O errno "
			 "%ld)", what, fio == 2 ? "no such file"
			 : "refused by the server", fio);
		return -1;
	}
	char *end;
	long v = strtol(p + 1, &end, 16);
	if (data)
		*data = *end == ';' ? end + 1 : NULL;
	return v;
}

int rsp_client_read_file(struct rsp_conn *c, const char *path,
			 struct rsp_buf *out)
{
	struct rsp_buf req, reply;
	char what[96];
	int rc = -1;

	snprintf(what, sizeof(what), "opening %.80s", path);
	rsp_buf_reset(out);
	rsp_buf_init(&req);
	rsp_buf_init(&reply);
	rsp_buf_append_str(&req, "vFile:open:");
	rsp_buf_append_hex(&req, path, strlen(path));
	rsp_buf_append_str(&req, ",0,0");     /* O_RDONLY */
	if (rsp_client_request(c, req.data, &reply, NULL) < 0)
		goto out;
	long fd = vfile_result(c, what, &reply, NULL);
	if (fd < 0)
		goto out;
	snprintf(what, sizeof(what), "reading %.80s", path);
	for (;;) {
		const char *data;
		rsp_buf_reset(&req);
		rsp_buf_printf(&req, "vFile:pread:%lx,%x,%zx", fd, 0x3f00, out->len);
		if (rsp_client_request(c, req.data, &reply, NULL) < 0)
			break;
		long n = vfile_result(c, what, &reply, &data);
		if (n < 0)
			break;
		if (n == 0) {
			rc = 0;
			break;
		}
		if (!data)
			break;
		size_t start = out->len, raw = reply.len - (size_t)(data - reply.data);
		rsp_buf_append(out, data, raw);
		long got = rsp_binary_decode(data, raw, out->data + start, raw);
		if (got != n) {
			snprintf(c->error, sizeof(c->error), "%s: short or "
				 "malformed pread reply", what);
			break;
		}
		out->len = start + (size_t)got;
		out->data[out->len] = 0;
	}
	rsp_buf_reset(&req);
	rsp_buf_printf(&req, "vFile:close:%lx", fd);
	struct rsp_buf ignore;
	rsp_buf_init(&ignore);
	if (rsp_client_request(c, req.data, &ignore, NULL) < 0)
		rc = -1;
	rsp_buf_free(&ignore);
out:
	rsp_buf_free(&req);
	rsp_buf_free(&reply);
	return rc;
}
