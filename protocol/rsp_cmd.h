/* Packet dispatch and argument parsing helpers for RSP handlers. */
#ifndef XRR_PROTOCOL_RSP_CMD_H
#define XRR_PROTOCOL_RSP_CMD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "protocol/rsp.h"

/* ---- command table ------------------------------------------------------
 * RSP_MATCH_PREFIX: the packet starts with `name`, arguments follow
 *   immediately ("m" matches "m1000,4").
 * RSP_MATCH_WORD: the packet is `name` alone or `name` followed by one of
 *   ":,;" ("qXfer" matches "qXfer:auxv:read::0,10" but not "qXferFoo").
 * The longest matching name wins.  `args` points just past the name. */
enum rsp_match { RSP_MATCH_PREFIX, RSP_MATCH_WORD };

typedef int (*rsp_handler_fn)(void *ctx, const char *args, size_t args_len,
			      struct rsp_buf *reply);

struct rsp_command {
	const char *name;
	enum rsp_match match;
	rsp_handler_fn handler;
};

/* Find the handler for `pkt`; NULL when none matches (the caller then
 * answers with an empty packet, as the protocol requires). */
const struct rsp_command *rsp_command_lookup(const struct rsp_command *table,
					     size_t n, const char *pkt,
					     size_t len, const char **args,
					     size_t *args_len);

/* Look up and call.  Unknown packets leave `reply` empty and return 0. */
int rsp_dispatch(const struct rsp_command *table, size_t n, void *ctx,
		 const char *pkt, size_t len, struct rsp_buf *reply);

/* ---- argument parsing ---------------------------------------------------
 * Parsers take a cursor (*p) that they advance past what they consumed;
 * they return false on malformed input without advancing. */
bool rsp_parse_hex_u64(const char **p, const char *end, uint64_t *out);
/* "addr,len" */
bool rsp_parse_addr_len(const char **p, const char *end, uint64_t *addr,
			uint64_t *len);
/* Consume one expected character. */
bool rsp_expect_char(const char **p, const char *end, char c);
/* Decode hex pairs into out; returns number of bytes, -1 on bad hex (odd
 * length, a non-hex digit, or more than `max` bytes). */
long rsp_hex_decode(const char *hex, size_t hex_len, void *out, size_t max);
/* Decode `}`-escaped binary data (X packets, vFile:pwrite; binary replies
 * on the client side).  Returns the number of bytes, or -1 on a trailing
 * '}' or when the result would exceed `max`. */
long rsp_binary_decode(const char *in, size_t in_len, void *out, size_t max);

/* Thread ids: "p<pid>.<tid>", "p<pid>", "<tid>", with -1 meaning all and 0
 * meaning any, in either position. */
#define RSP_ID_ALL (-1)
#define RSP_ID_ANY 0
struct rsp_thread_id {
	int64_t pid;   /* RSP_ID_ANY when the packet gave no pid */
	int64_t tid;   /* RSP_ID_ALL when only "p<pid>" was given */
};
bool rsp_parse_thread_id(const char **p, const char *end,
			 struct rsp_thread_id *out);
void rsp_format_thread_id(struct rsp_buf *b, bool multiprocess, int64_t pid,
			  int64_t tid);

/* ---- qXfer chunking -------------------------------------------------------
 * Answer a qXfer read of `offset,length` from the whole object: 'm' plus
 * data when more follows, 'l' plus data for the last piece, binary
 * escaped by the framing.  `args` is the "offset,length" text. */
int rsp_qxfer_reply(struct rsp_buf *reply, const void *object, size_t size,
		    const char *args, size_t args_len);

#endif
