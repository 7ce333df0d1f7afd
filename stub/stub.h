/* The gdbserver-compatible stub: serves any struct target over one RSP
 * connection. */
#ifndef XRR_STUB_STUB_H
#define XRR_STUB_STUB_H

#include <stdbool.h>
#include <stdio.h>

#include "protocol/rsp.h"
#include "stub/target.h"

/* PacketSize advertised by default.  Measured with GDB 13 reading 64 MiB
 * (docs/benchmarks.md): 16 KiB packets match gdbserver, 64 KiB are ~12%
 * faster, 256 KiB are 1.6x slower (GDB copies large replies around). */
#define STUB_DEFAULT_PACKET_SIZE (64u * 1024u)

struct stub_options {
	size_t max_payload;       /* PacketSize we advertise (0: default) */
	FILE *log;                /* diagnostics (stderr); never stdout */
	bool verbose;             /* log every packet */
};

enum stub_end {
	STUB_END_DETACHED,        /* D: target detached and left running */
	STUB_END_KILLED,          /* k or vKill */
	STUB_END_EXITED,          /* the process exited/died and GDB left */
	STUB_END_DISCONNECTED,    /* GDB vanished */
	STUB_END_ERROR,
};

/* Serve `target` on `conn` until the session ends.  On a lost connection
 * the caller decides what happens to the target (gdbserver kills a
 * program it started). */
enum stub_end stub_serve(struct rsp_conn *conn, struct target *target,
			 const struct stub_options *opts);

#endif
