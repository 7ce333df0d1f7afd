/* Keeping the debugger patient while a request takes long (see rsp.h,
 * "long requests"): a helper thread that owns a connection's input
 * between rsp_conn_busy and rsp_conn_ready.
 *
 * Why a thread: the long work (a replay to an event, a restart) runs in
 * ptrace waits and trace reads that know nothing of the connection, and
 * GDB's clock runs regardless.  The helper does all its I/O with the
 * lock held and only while busy; rsp_conn_ready takes the lock, so once
 * it returns the helper no longer touches the connection. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "protocol/rsp.h"
#include "protocol/rsp_conn_int.h"

struct rsp_patience {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t changed;
	int wake[2];              /* pipe: rouses the helper from poll */
	bool busy;
	bool quit;
	bool stalled;             /* peer gone or I/O failed: stop trying */
	struct timespec quiet_since;  /* our last byte out, or busy start */
};

static long ms_since(const struct timespec *t)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - t->tv_sec) * 1000L +
	       (now.tv_nsec - t->tv_nsec) / 1000000L;
}

static void note_output(struct rsp_patience *p)
{
	clock_gettime(CLOCK_MONOTONIC, &p->quiet_since);
}

bool rsp_conn_is_retransmission(const struct rsp_conn *c,
				const void *payload, size_t len)
{
	if (c->have_delivered && c->delivered.len == len &&
	    memcmp(c->delivered.data, payload, len) == 0)
		return true;
	for (unsigned i = 0; i < c->nkept; i++)
		if (c->kept[i].len == len &&
		    memcmp(c->kept[i].data, payload, len) == 0)
			return true;
	return false;
}

/* One complete packet while busy: ack it, then drop it as a
 * retransmission or keep it for the next rsp_conn_recv. */
static int take_packet(struct rsp_conn *c)
{
	struct rsp_patience *p = c->patience;
	if (!c->noack) {
		if (rsp_conn_write(c, "+", 1) < 0)
			return -1;
		note_output(p);
	}
	const struct rsp_buf *pkt = &c->dec.payload;
	if (rsp_conn_is_retransmission(c, pkt->data, pkt->len)) {
		c->duplicates++;
		return 0;
	}
	struct rsp_buf *slot = &c->kept[c->nkept++];
	rsp_buf_reset(slot);
	rsp_buf_append(slot, pkt->data, pkt->len);
	return 0;
}

/* Decode what is buffered while there is room to keep a new packet;
 * past RSP_KEPT_MAX the rest waits in the buffer for rsp_conn_recv. */
static int drain_buffered(struct rsp_conn *c)
{
	while (c->rpos < c->rlen && c->nkept < RSP_KEPT_MAX) {
		enum rsp_event ev = rsp_decoder_feed(&c->dec, c->rbuf[c->rpos++]);
		switch (ev) {
		case RSP_EV_NONE:
		case RSP_EV_ACK:
		case RSP_EV_NAK:
			break;
		case RSP_EV_INTERRUPT:
			c->pending_interrupt = true;
			break;
		case RSP_EV_PACKET:
			if (take_packet(c) < 0)
				return -1;
			break;
		default:
			/* A damaged frame: in ack mode the nak brings the
			 * retransmission; otherwise it is lost either way. */
			if (rsp_conn_bad_frame(c, ev) == RSP_FRAME_IO_ERROR)
				return -1;
			break;
		}
	}
	return 0;
}

/* GDB and LLDB both take console output while they wait for a qRcmd
 * reply, each packet with a fresh timeout: LLDB's wait for other replies
 * has a deadline that stray bytes do not move, but an empty O packet
 * shows nothing and restarts it.  Anywhere else an O packet would be
 * taken for the reply, so the keepalive is a byte both skip while
 * looking for the start of a packet (GDB restarts its timeout on each). */
static int send_keepalive(struct rsp_conn *c)
{
	if (c->have_delivered && c->delivered.len >= 6 &&
	    memcmp(c->delivered.data, "qRcmd,", 6) == 0)
		return rsp_conn_send_unlocked(c, "O", 1);
	const char byte = RSP_KEEPALIVE_BYTE;
	return rsp_conn_write(c, &byte, 1);
}

/* With the lock held and busy: read what came, then keep the peer
 * waiting if we have been quiet too long.  Returns how long to sleep. */
static int serve_once(struct rsp_conn *c)
{
	struct rsp_patience *p = c->patience;
	if (c->nkept < RSP_KEPT_MAX) {
		int r = rsp_conn_fill(c, true);
		if (r == 0 || r == -1) {
			p->stalled = true;   /* the caller finds out itself */
			return -1;
		}
		if (r == 1 && drain_buffered(c) < 0) {
			p->stalled = true;
			return -1;
		}
	}
	long quiet = ms_since(&p->quiet_since);
	if (quiet >= RSP_KEEPALIVE_MS) {
		if (send_keepalive(c) < 0) {
			p->stalled = true;
			return -1;
		}
		c->keepalives++;
		note_output(p);
		quiet = 0;
	}
	return (int)(RSP_KEEPALIVE_MS - quiet);
}

static void *patience_main(void *arg)
{
	struct rsp_conn *c = arg;
	struct rsp_patience *p = c->patience;

	pthread_mutex_lock(&p->lock);
	while (!p->quit) {
		if (!p->busy || p->stalled) {
			pthread_cond_wait(&p->changed, &p->lock);
			continue;
		}
		int wait_ms = serve_once(c);
		if (wait_ms < 0)
			continue;
		struct pollfd fds[2] = {
			{ .fd = p->wake[0], .events = POLLIN },
			{ .fd = c->nkept < RSP_KEPT_MAX ? c->t.in_fd : -1,
			  .events = POLLIN },
		};
		pthread_mutex_unlock(&p->lock);
		(void)poll(fds, 2, wait_ms);
		char drain[64];
		while (read(p->wake[0], drain, sizeof(drain)) > 0)
			;
		pthread_mutex_lock(&p->lock);
	}
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

static int patience_start(struct rsp_conn *c)
{
	struct rsp_patience *p = calloc(1, sizeof(*p));
	if (!p)
		return -1;
	if (pipe2(p->wake, O_CLOEXEC | O_NONBLOCK) < 0) {
		free(p);
		return -1;
	}
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->changed, NULL);
	c->patience = p;
	if (pthread_create(&p->thread, NULL, patience_main, c) != 0) {
		c->patience = NULL;
		pthread_cond_destroy(&p->changed);
		pthread_mutex_destroy(&p->lock);
		close(p->wake[0]);
		close(p->wake[1]);
		free(p);
		return -1;
	}
	return 0;
}

static void rouse(struct rsp_patience *p)
{
	pthread_cond_signal(&p->changed);
	(void)!write(p->wake[1], "", 1);
}

int rsp_conn_busy(struct rsp_conn *c)
{
	if (!c->patience && patience_start(c) < 0)
		return -1;
	struct rsp_patience *p = c->patience;
	pthread_mutex_lock(&p->lock);
	p->busy = true;
	p->stalled = false;
	note_output(p);
	rouse(p);
	pthread_mutex_unlock(&p->lock);
	return 0;
}

void rsp_conn_ready(struct rsp_conn *c)
{
	struct rsp_patience *p = c->patience;
	if (!p)
		return;
	pthread_mutex_lock(&p->lock);
	p->busy = false;
	pthread_mutex_unlock(&p->lock);
}

void rsp_patience_lock(struct rsp_conn *c)
{
	if (c->patience)
		pthread_mutex_lock(&c->patience->lock);
}

void rsp_patience_unlock(struct rsp_conn *c)
{
	if (c->patience)
		pthread_mutex_unlock(&c->patience->lock);
}

void rsp_patience_free(struct rsp_conn *c)
{
	struct rsp_patience *p = c->patience;
	if (!p)
		return;
	pthread_mutex_lock(&p->lock);
	p->quit = true;
	rouse(p);
	pthread_mutex_unlock(&p->lock);
	pthread_join(p->thread, NULL);
	pthread_cond_destroy(&p->changed);
	pthread_mutex_destroy(&p->lock);
	close(p->wake[0]);
	close(p->wake[1]);
	free(p);
	c->patience = NULL;
}
