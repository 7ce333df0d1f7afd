/* Internals shared by rsp_conn.c and its helper thread (rsp_patience.c). */
#ifndef XRR_PROTOCOL_RSP_CONN_INT_H
#define XRR_PROTOCOL_RSP_CONN_INT_H

#include "protocol/rsp.h"

/* Refill the read buffer: 1 data, 0 EOF, -1 error, -2 nothing yet
 * (only when `nonblocking`). */
int rsp_conn_fill(struct rsp_conn *c, bool nonblocking);
int rsp_conn_write(struct rsp_conn *c, const void *data, size_t len);
/* rsp_conn_send for whoever holds the helper's lock. */
int rsp_conn_send_unlocked(struct rsp_conn *c, const void *payload,
			   size_t len);

enum rsp_frame_verdict { RSP_FRAME_SKIP, RSP_FRAME_REJECTED,
			 RSP_FRAME_IO_ERROR };
/* Nak (in ack mode) and describe a complete frame that is not a good
 * packet. */
enum rsp_frame_verdict rsp_conn_bad_frame(struct rsp_conn *c,
					  enum rsp_event ev);

/* Serialise the caller's sends with the helper thread (no-ops without
 * one). */
void rsp_patience_lock(struct rsp_conn *c);
void rsp_patience_unlock(struct rsp_conn *c);
/* Stop and free the helper thread. */
void rsp_patience_free(struct rsp_conn *c);

#endif
