/* GDB remote serial protocol: wire format, connections and transports.
 *
 * Knows nothing of ptrace, traces or targets.  A stub (or a test client)
 * owns a struct rsp_conn and exchanges whole packets through it; framing,
 * checksums, escapes, run-length decoding, acks and no-ack mode all live
 * below this interface. */
#ifndef XRR_PROTOCOL_RSP_H
#define XRR_PROTOCOL_RSP_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Largest decoded payload we accept by default; advertised to GDB as
 * PacketSize so large memory reads need few round trips. */
#define RSP_DEFAULT_MAX_PAYLOAD (256u * 1024u)

/* ---- growable byte buffer (packet payloads are binary-safe) ---------- */
struct rsp_buf {
	char *data;   /* always NUL-terminated for convenience */
	size_t len;
	size_t cap;
};

void rsp_buf_init(struct rsp_buf *b);
void rsp_buf_free(struct rsp_buf *b);
void rsp_buf_reset(struct rsp_buf *b);
void rsp_buf_append(struct rsp_buf *b, const void *data, size_t len);
void rsp_buf_append_str(struct rsp_buf *b, const char *s);
void rsp_buf_printf(struct rsp_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void rsp_buf_vprintf(struct rsp_buf *b, const char *fmt, va_list ap);
/* Value of one hex digit (either case), or -1. */
int rsp_hex_digit(int c);
/* Append `len` bytes as lower-case hex pairs. */
void rsp_buf_append_hex(struct rsp_buf *b, const void *data, size_t len);

/* ---- byte-level receive state machine --------------------------------- */
enum rsp_event {
	RSP_EV_NONE = 0,      /* byte consumed, nothing complete yet */
	RSP_EV_PACKET,        /* a packet with a good checksum: see payload */
	RSP_EV_ACK,           /* '+' */
	RSP_EV_NAK,           /* '-' */
	RSP_EV_INTERRUPT,     /* 0x03 between packets */
	RSP_EV_BAD_CHECKSUM,  /* complete packet whose checksum is wrong */
	RSP_EV_OVERSIZE,      /* complete packet larger than the maximum */
	RSP_EV_MALFORMED,     /* bad run-length or escape sequence */
};

struct rsp_decoder {
	int state;
	uint8_t sum;          /* running checksum over the raw body */
	uint8_t csum_hi;      /* first checksum digit */
	bool overflow;
	bool malformed;
	bool escape;
	size_t max_payload;
	struct rsp_buf payload;  /* decoded payload of the last RSP_EV_PACKET */
};

void rsp_decoder_init(struct rsp_decoder *d, size_t max_payload);
void rsp_decoder_free(struct rsp_decoder *d);
/* Feed one byte.  After RSP_EV_PACKET the decoded payload is in
 * d->payload until the next call. */
enum rsp_event rsp_decoder_feed(struct rsp_decoder *d, uint8_t byte);

/* Frame `payload` as $...#cs with `}` escapes for # $ } and *; appends
 * to `out`.  GDB only unescapes binary replies (x, qXfer, vFile), so text
 * replies must not contain those four characters.  The decoder keeps
 * escapes, so decoding an encoded payload gives its escaped form. */
void rsp_encode_packet(struct rsp_buf *out, const void *payload, size_t len);
uint8_t rsp_checksum(const void *data, size_t len);

/* ---- transports ---------------------------------------------------------
 * Every transport ends up as a pair of file descriptors. */
struct rsp_transport {
	int in_fd;
	int out_fd;
	char description[128];   /* "tcp 127.0.0.1:1234", "stdio", ... */
};

struct rsp_listener {
	int fd;
	int port;                /* bound TCP port (0 for Unix sockets) */
	char description[128];
	char unix_path[108];     /* socket file to unlink on close, or "" */
};

/* `host` NULL means 127.0.0.1; port 0 picks a free port (see l->port).
 * Return 0, or -1 with a message in err. */
int rsp_listen_tcp(struct rsp_listener *l, const char *host, int port,
		   char *err, size_t errlen);
int rsp_listen_unix(struct rsp_listener *l, const char *path,
		    char *err, size_t errlen);
int rsp_accept(struct rsp_listener *l, struct rsp_transport *t,
	       char *err, size_t errlen);
void rsp_listener_close(struct rsp_listener *l);
void rsp_transport_stdio(struct rsp_transport *t);
int rsp_connect_tcp(struct rsp_transport *t, const char *host, int port,
		    char *err, size_t errlen);
int rsp_connect_unix(struct rsp_transport *t, const char *path,
		     char *err, size_t errlen);
void rsp_transport_close(struct rsp_transport *t);
/* True when `host` is a loopback address (127.0.0.0/8, ::1, localhost). */
bool rsp_host_is_loopback(const char *host);

/* ---- connection -------------------------------------------------------- */
/* New packets a busy connection takes in (rsp_conn_busy): GDB sends none
 * before our reply; LLDB, when it times out, sends one to resynchronise
 * (qEcho or qC) and then reads the replies in order. */
#define RSP_KEPT_MAX 8

struct rsp_conn {
	struct rsp_transport t;
	struct rsp_decoder dec;
	bool noack;              /* QStartNoAckMode in effect */
	bool pending_interrupt;  /* 0x03 seen while waiting for something else */
	uint8_t rbuf[64 * 1024];
	size_t rpos, rlen;
	struct rsp_buf frame;    /* last frame sent, for retransmission */
	struct rsp_buf delivered; /* the packet rsp_conn_recv last returned */
	bool have_delivered;
	/* New packets that arrived while busy (acked), oldest first. */
	struct rsp_buf kept[RSP_KEPT_MAX];
	unsigned nkept;
	unsigned bad_checksums;  /* statistics, for logs and tests */
	unsigned retransmits;
	unsigned duplicates;     /* retransmissions dropped while busy */
	unsigned keepalives;     /* keepalive bytes sent while busy */
	struct rsp_patience *patience;  /* helper thread (rsp_patience.c) */
	char error[160];         /* description of the last failure */
};

void rsp_conn_init(struct rsp_conn *c, const struct rsp_transport *t,
		   size_t max_payload);
void rsp_conn_close(struct rsp_conn *c);

enum rsp_recv_status {
	RSP_RECV_PACKET = 0,     /* *payload and *len valid until the next call */
	RSP_RECV_INTERRUPT,      /* 0x03 between packets */
	RSP_RECV_EOF,            /* peer closed the connection */
	RSP_RECV_ERROR,          /* I/O error; see c->error */
	RSP_RECV_REJECTED,       /* oversize or malformed packet, nak'd; the
				  * connection stays usable (see c->error) */
};

/* Read the next packet or interrupt, acking (+) good packets and nak-ing
 * (-) bad checksums while in ack mode.  An oversize packet is nak'd and
 * reported as RSP_RECV_REJECTED with an explanatory c->error; the
 * connection stays usable.  So is a malformed packet (nak'd in ack mode)
 * and, in no-ack mode, a packet with a bad checksum (dropped, since it
 * cannot be nak'd).  Payloads arrive with run-length encoding undone but
 * `}` escapes left in place, as with gdbserver: binary packets (X,
 * vFile:pwrite) decode their data with rsp_binary_decode. */
enum rsp_recv_status rsp_conn_recv(struct rsp_conn *c, const char **payload,
				   size_t *len);
/* Send one packet; in ack mode wait for '+' and retransmit on '-'.
 * Return 0, or -1 when the peer is gone. */
int rsp_conn_send(struct rsp_conn *c, const void *payload, size_t len);
int rsp_conn_send_str(struct rsp_conn *c, const char *payload);
/* Switch ack mode off (after answering QStartNoAckMode). */
void rsp_conn_set_noack(struct rsp_conn *c, bool noack);
/* Non-blocking: consume input while the target runs and report whether
 * an interrupt byte (0x03) arrived.  Returns 1 interrupt, 0 nothing,
 * -1 peer gone. */
int rsp_conn_poll_interrupt(struct rsp_conn *c);
/* Bytes already buffered (so poll(2) on in_fd is not enough). */
bool rsp_conn_has_buffered_input(const struct rsp_conn *c);

/* ---- long requests (rsp_patience.c) -----------------------------------
 * GDB waits for an ack, then for the reply, a few `remotetimeout`s at
 * most (2 s each by default), and retransmits or gives up; LLDB has its
 * own packet timeout.  A request that takes longer (replaying to an
 * event, a restart, a diversion) is bracketed by rsp_conn_busy and
 * rsp_conn_ready.  In between, a helper thread owns the input: it acks
 * each complete packet at once, drops retransmissions of the packet
 * being worked on (or of one it already kept), keeps new packets (up
 * to RSP_KEPT_MAX) for the next rsp_conn_recv calls, notes 0x03, and
 * every RSP_KEEPALIVE_MS of silence keeps the debugger waiting: an
 * empty console-output packet (O) while it waits for a qRcmd reply, else
 * a byte GDB skips while looking for a packet's start, restarting its
 * timeout (RSP_KEEPALIVE_BYTE).  Between the two calls the caller may only
 * rsp_conn_send (serialised with the helper), not receive. */
#define RSP_KEEPALIVE_MS 500
#define RSP_KEEPALIVE_BYTE ' '

/* Start (or continue) a long request.  Before the first packet (work
 * done before serving) there is nothing to drop but copies of the first
 * packet that arrives.  Returns 0, or -1 when no helper could be
 * started (the request then simply runs without one). */
int rsp_conn_busy(struct rsp_conn *c);
/* The request is done: the connection is the caller's again. */
void rsp_conn_ready(struct rsp_conn *c);
/* Whether `payload` repeats the packet being worked on or one kept:
 * while no reply has been sent, an identical packet can only be a
 * retransmission. */
bool rsp_conn_is_retransmission(const struct rsp_conn *c,
				const void *payload, size_t len);

/* ---- client side (tests, console) ------------------------------------- */
/* Send `request` and read the reply, skipping console output packets
 * (O<hex>), whose decoded text is appended to `console` when non-NULL.
 * Binary replies (qXfer, x, vFile:pread) keep their `}` escapes: undo
 * them with rsp_binary_decode.  Return 0, or -1 with c->error set. */
int rsp_client_request(struct rsp_conn *c, const char *request,
		       struct rsp_buf *reply, struct rsp_buf *console);
/* A whole qXfer object ("features" "target.xml", "exec-file" "", ...),
 * read in chunks and decoded.  0, or -1 with c->error set. */
int rsp_client_qxfer_read(struct rsp_conn *c, const char *object,
			  const char *annex, struct rsp_buf *out);
/* qRcmd: `text` gets the command's output (O packets, or a hex reply).
 * 0 done, 1 the server has no monitor commands (empty reply), -1 error
 * with c->error set. */
int rsp_client_monitor(struct rsp_conn *c, const char *command,
		       struct rsp_buf *text);
/* Read target memory with m packets: the bytes read (fewer when the
 * range runs into unreadable memory), or -1 when the connection failed.
 * 0 bytes read sets c->error. */
long rsp_client_read_memory(struct rsp_conn *c, uint64_t addr, void *out,
			    size_t len);
/* A whole file of the target's, through vFile:open/pread/close.  0, or
 * -1 with c->error set. */
int rsp_client_read_file(struct rsp_conn *c, const char *path,
			 struct rsp_buf *out);

#endif
