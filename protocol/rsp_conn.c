/* One RSP connection: packets in and out over a transport, with the
 * +/- acknowledgement dance, retransmission and no-ack mode. */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "protocol/rsp.h"
#include "protocol/rsp_conn_int.h"

/* GDB itself gives up after a few naks; a peer that keeps rejecting the
 * same frame is broken, not unlucky. */
#define MAX_RETRANSMITS 16

void rsp_conn_init(struct rsp_conn *c, const struct rsp_transport *t,
		   size_t max_payload)
{
	c->t = *t;
	rsp_decoder_init(&c->dec, max_payload);
	c->noack = false;
	c->pending_interrupt = false;
	c->rpos = 0;
	c->rlen = 0;
	rsp_buf_init(&c->frame);
	rsp_buf_init(&c->delivered);
	for (unsigned i = 0; i < RSP_KEPT_MAX; i++)
		rsp_buf_init(&c->kept[i]);
	c->have_delivered = false;
	c->nkept = 0;
	c->bad_checksums = 0;
	c->retransmits = 0;
	c->duplicates = 0;
	c->keepalives = 0;
	c->patience = NULL;
	c->error[0] = '\0';
}

void rsp_conn_close(struct rsp_conn *c)
{
	rsp_patience_free(c);
	rsp_transport_close(&c->t);
	rsp_decoder_free(&c->dec);
	rsp_buf_free(&c->frame);
	rsp_buf_free(&c->delivered);
	for (unsigned i = 0; i < RSP_KEPT_MAX; i++)
		rsp_buf_free(&c->kept[i]);
	c->have_delivered = false;
	c->nkept = 0;
	c->rpos = c->rlen = 0;
}

void rsp_conn_set_noack(struct rsp_conn *c, bool noack)
{
	c->noack = noack;
}

bool rsp_conn_has_buffered_input(const struct rsp_conn *c)
{
	/* Including what the helper took in while the request was busy. */
	return c->rpos < c->rlen || c->pending_interrupt || c->nkept > 0;
}

/* Messages may be cut to fit c->error; the start says what happened. */
static void conn_error(struct rsp_conn *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void conn_error(struct rsp_conn *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->error, sizeof(c->error), fmt, ap);
	va_end(ap);
}

static void set_io_error(struct rsp_conn *c, const char *what, int err)
{
	conn_error(c, "%s on %s: %s", what, c->t.description, strerror(err));
}

/* Refill the read buffer.  Returns 1 with data, 0 at EOF, -1 on error,
 * and -2 when `nonblocking` and nothing is available. */
int rsp_conn_fill(struct rsp_conn *c, bool nonblocking)
{
	if (c->rpos < c->rlen)
		return 1;
	for (;;) {
		if (nonblocking) {
			struct pollfd pfd = { .fd = c->t.in_fd, .events = POLLIN };
			int r = poll(&pfd, 1, 0);
			if (r < 0 && errno == EINTR)
				continue;
			if (r < 0) {
				set_io_error(c, "poll", errno);
				return -1;
			}
			if (r == 0)
				return -2;
		}
		ssize_t n = read(c->t.in_fd, c->rbuf, sizeof(c->rbuf));
		if (n > 0) {
			c->rpos = 0;
			c->rlen = (size_t)n;
			return 1;
		}
		if (n == 0)
			return 0;
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK) {
			if (nonblocking)
				return -2;
			struct pollfd pfd = { .fd = c->t.in_fd, .events = POLLIN };
			(void)poll(&pfd, 1, -1);
			continue;
		}
		/* A reset connection is the peer going away, like EOF. */
		if (errno == ECONNRESET)
			return 0;
		set_io_error(c, "read", errno);
		return -1;
	}
}

int rsp_conn_write(struct rsp_conn *c, const void *data, size_t len)
{
	const char *p = data;
	bool is_socket = true;

	while (len > 0) {
		ssize_t n;
		/* MSG_NOSIGNAL: a vanished GDB must be an error return, not
		 * a SIGPIPE that kills the stub.  Pipes (stdio) fall back to
		 * write(). */
		if (is_socket) {
			n = send(c->t.out_fd, p, len, MSG_NOSIGNAL);
			if (n < 0 && errno == ENOTSOCK) {
				is_socket = false;
				continue;
			}
		} else {
			n = write(c->t.out_fd, p, len);
		}
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				struct pollfd pfd = { .fd = c->t.out_fd,
						      .events = POLLOUT };
				(void)poll(&pfd, 1, -1);
				continue;
			}
			set_io_error(c, "write", errno);
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int send_ack(struct rsp_conn *c, char ack)
{
	return rsp_conn_write(c, &ack, 1);
}

/* Handle a complete frame that is not a good packet.  In ack mode a nak
 * makes the peer retransmit; in no-ack mode nothing can be done but drop
 * it and say so. */
enum rsp_frame_verdict rsp_conn_bad_frame(struct rsp_conn *c,
					  enum rsp_event ev)
{
	if (ev != RSP_EV_BAD_CHECKSUM && ev != RSP_EV_MALFORMED &&
	    ev != RSP_EV_OVERSIZE)
		return RSP_FRAME_SKIP;   /* stray acks and noise */
	if (!c->noack && send_ack(c, '-') < 0)
		return RSP_FRAME_IO_ERROR;
	switch (ev) {
	case RSP_EV_BAD_CHECKSUM:
		c->bad_checksums++;
		if (!c->noack)
			return RSP_FRAME_SKIP;   /* the retransmission follows */
		conn_error(c, "packet with bad checksum dropped on %s "
			   "(no-ack mode: no retransmission)", c->t.description);
		return RSP_FRAME_REJECTED;
	case RSP_EV_MALFORMED:
		conn_error(c, "malformed packet (bad run-length or escape) "
			   "rejected on %s", c->t.description);
		return RSP_FRAME_REJECTED;
	default:
		conn_error(c, "packet larger than %zu bytes rejected on %s",
			   c->dec.max_payload, c->t.description);
		return RSP_FRAME_REJECTED;
	}
}

static void swap_bufs(struct rsp_buf *a, struct rsp_buf *b)
{
	struct rsp_buf t = *a;
	*a = *b;
	*b = t;
}

/* The packet handed to the caller lives in c->delivered, out of the
 * decoder's way: the helper thread decodes into c->dec while the caller
 * still works on it (rsp_patience.c). */
static enum rsp_recv_status deliver(struct rsp_conn *c, struct rsp_buf *from,
				    const char **payload, size_t *len)
{
	swap_bufs(&c->delivered, from);
	rsp_buf_reset(from);
	c->have_delivered = true;
	*payload = c->delivered.data;
	*len = c->delivered.len;
	return RSP_RECV_PACKET;
}

enum rsp_recv_status rsp_conn_recv(struct rsp_conn *c, const char **payload,
				   size_t *len)
{
	if (c->pending_interrupt) {
		c->pending_interrupt = false;
		return RSP_RECV_INTERRUPT;
	}
	if (c->nkept > 0) {
		/* Acked when it arrived, while the last request was busy. */
		enum rsp_recv_status st = deliver(c, &c->kept[0], payload, len);
		for (unsigned i = 1; i < c->nkept; i++)
			swap_bufs(&c->kept[i - 1], &c->kept[i]);
		c->nkept--;
		return st;
	}
	for (;;) {
		int r = rsp_conn_fill(c, false);
		if (r == 0) {
			conn_error(c, "connection closed by peer on %s",
				   c->t.description);
			return RSP_RECV_EOF;
		}
		if (r < 0)
			return RSP_RECV_ERROR;
		while (c->rpos < c->rlen) {
			enum rsp_event ev = rsp_decoder_feed(&c->dec,
							     c->rbuf[c->rpos++]);
			if (ev == RSP_EV_NONE || ev == RSP_EV_ACK ||
			    ev == RSP_EV_NAK)
				continue;
			if (ev == RSP_EV_INTERRUPT)
				return RSP_RECV_INTERRUPT;
			if (ev == RSP_EV_PACKET) {
				/* Deliver the packet even if the ack cannot
				 * be written: GDB may send "k" and hang up
				 * at once, and the kill must still happen.
				 * The next send or recv reports the loss. */
				if (!c->noack)
					(void)send_ack(c, '+');
				return deliver(c, &c->dec.payload, payload,
					       len);
			}
			switch (rsp_conn_bad_frame(c, ev)) {
			case RSP_FRAME_SKIP:
				break;
			case RSP_FRAME_REJECTED:
				return RSP_RECV_REJECTED;
			case RSP_FRAME_IO_ERROR:
				return RSP_RECV_ERROR;
			}
		}
	}
}

/* True when the next unread byte starts a new frame and the decoder is
 * between frames (state 0 is its idle state). */
static bool next_byte_starts_packet(const struct rsp_conn *c)
{
	return c->dec.state == 0 && c->rpos < c->rlen &&
	       c->rbuf[c->rpos] == '$';
}

/* Wait for the peer's '+', retransmitting on '-'.  A new packet from the
 * peer also proves it got ours (it only speaks after our reply), so it
 * counts as an ack and is left in the buffer for rsp_conn_recv. */
static int wait_for_ack(struct rsp_conn *c)
{
	unsigned naks = 0;

	for (;;) {
		int r = rsp_conn_fill(c, false);
		if (r == 0) {
			conn_error(c, "connection closed by peer on %s "
				   "while waiting for an ack", c->t.description);
			return -1;
		}
		if (r < 0)
			return -1;
		while (c->rpos < c->rlen) {
			if (next_byte_starts_packet(c))
				return 0;
			enum rsp_event ev = rsp_decoder_feed(&c->dec,
							     c->rbuf[c->rpos++]);
			if (ev == RSP_EV_ACK)
				return 0;
			if (ev == RSP_EV_INTERRUPT) {
				c->pending_interrupt = true;
			} else if (ev == RSP_EV_NAK) {
				if (++naks > MAX_RETRANSMITS) {
					conn_error(c, "peer on %s rejected a "
						   "packet %u times",
						   c->t.description, naks);
					return -1;
				}
				c->retransmits++;
				if (rsp_conn_write(c, c->frame.data, c->frame.len) < 0)
					return -1;
			}
		}
	}
}

int rsp_conn_send_unlocked(struct rsp_conn *c, const void *payload,
			   size_t len)
{
	rsp_buf_reset(&c->frame);
	rsp_encode_packet(&c->frame, payload, len);
	if (rsp_conn_write(c, c->frame.data, c->frame.len) < 0)
		return -1;
	if (c->noack)
		return 0;
	return wait_for_ack(c);
}

int rsp_conn_send(struct rsp_conn *c, const void *payload, size_t len)
{
	/* While busy, console output (O packets) shares the line with the
	 * helper's acks and keepalives. */
	rsp_patience_lock(c);
	int rc = rsp_conn_send_unlocked(c, payload, len);
	rsp_patience_unlock(c);
	return rc;
}

int rsp_conn_send_str(struct rsp_conn *c, const char *payload)
{
	return rsp_conn_send(c, payload, strlen(payload));
}

int rsp_conn_poll_interrupt(struct rsp_conn *c)
{
	if (c->pending_interrupt) {
		c->pending_interrupt = false;
		return 1;
	}
	for (;;) {
		int r = rsp_conn_fill(c, true);
		if (r == -2)
			return 0;
		if (r == 0) {
			conn_error(c, "connection closed by peer on %s",
				   c->t.description);
			return -1;
		}
		if (r < 0)
			return -1;
		while (c->rpos < c->rlen) {
			/* A packet while the target runs is for later (e.g.
			 * GDB gave up waiting); keep it for rsp_conn_recv. */
			if (next_byte_starts_packet(c))
				return 0;
			/* Mid-frame bytes belong to a packet: only an idle
			 * decoder can report an interrupt. */
			enum rsp_event ev = rsp_decoder_feed(&c->dec,
							     c->rbuf[c->rpos++]);
			if (ev == RSP_EV_INTERRUPT)
				return 1;
		}
	}
}
