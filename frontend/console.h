/* xrr console: an interactive replay frontend that is a pure RSP client
 * (it drives `xrr replay --stdio` over a socketpair, or a running
 * `xrr replay -s PORT`).  cmd_console.c reads lines (readline or a
 * script), console_cmds.c runs them, console_target.c talks to the
 * server: registers, memory, symbols, stops. */
#ifndef XRR_FRONTEND_CONSOLE_H
#define XRR_FRONTEND_CONSOLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "frontend/console_lines.h"
#include "protocol/rsp.h"
#include "protocol/tdesc_xml.h"

struct console_sym {
	char *name;
	uint64_t addr;          /* load bias applied */
	uint64_t size;
	bool is_func;
};

struct console_bp {
	int number;
	uint64_t addr;
};

#define CONSOLE_MAX_BPS 64

struct console {
	struct rsp_conn conn;
	pid_t server;                 /* our `xrr replay --stdio`, or -1 */
	char where[256];              /* "trace DIR" or "HOST:PORT" */
	struct tdesc_xml regs;
	struct console_sym *syms;     /* sorted by address */
	size_t nsyms;
	char syms_error[256];         /* why there are none */
	struct console_lines lines;   /* the executable's DWARF line table */
	int64_t tid;                  /* thread of the last stop, 0: unknown */
	bool gone;                    /* the process exited or was killed */
	struct console_bp bps[CONSOLE_MAX_BPS];
	size_t nbps;
	int next_bp;
	bool broken;                  /* the connection is lost */
	bool keep_going;              /* scripts: go on after a failed command */
	bool interactive;
};

/* ---- console_target.c --------------------------------------------------- */

/* Connect: `trace_dir` spawns `xrr replay --stdio` (quiet: the program's
 * output is not echoed); otherwise connect to host:port.  Then the
 * handshake, registers and symbols.  0, or -1 with the error printed. */
int console_open(struct console *con, const char *trace_dir, bool quiet,
		 const char *host, int port);
void console_close(struct console *con);
/* The connection failed: print c->error (and how our server ended) and
 * remember that nothing more can be asked. */
void console_lost(struct console *con);

/* A monitor command's text.  0 done, 1 unknown to the server, -1 when
 * the connection failed (printed). */
int console_monitor(struct console *con, const char *command,
		    struct rsp_buf *text);
/* The current event number from `monitor when`, -1 if unknown; `text`
 * (may be NULL) gets the whole answer. */
long long console_current_event(struct console *con, struct rsp_buf *text);

/* Register bytes (little-endian) into out (at least bitsize/8 bytes);
 * avail[i] false for bytes the server sent as `xx`.  0, or -1 printed. */
int console_read_reg(struct console *con, const struct tdesc_xml_reg *r,
		     uint8_t *out, bool *avail);
int console_read_pc(struct console *con, uint64_t *pc);
/* Print one register (or the zmmN/ymmN pseudo-registers); -1 with an
 * error printed for an unknown name. */
int console_print_reg(struct console *con, const char *name);

/* Symbols: the function or object containing addr, NULL if none. */
const struct console_sym *console_sym_at(const struct console *con,
					 uint64_t addr);
const struct console_sym *console_sym_named(const struct console *con,
					    const char *name);
/* "hello.c:17" for addr: from the server's answer to `monitor when`
 * when it has one (pass it as `when`, or NULL), else from the line table
 * the console read.  "" when unknown. */
const char *console_source_at(const struct console *con, uint64_t addr,
			      const char *when, char *buf, size_t len);
/* "main+4" or "0x401136" into buf. */
const char *console_describe_addr(const struct console *con, uint64_t addr,
				  char *buf, size_t len);
/* NUMBER, SYMBOL or $REG, optionally +/-OFFSET.  0, or -1 printed. */
int console_parse_addr(struct console *con, const char *text,
		       uint64_t *addr);

/* Resume (packet "vCont;c", "vCont;s:TID", "bc", ...), wait for the stop
 * (^C sends 0x03) and print where it is.  0, or -1 printed. */
int console_resume(struct console *con, const char *packet);
/* Start the program over (vRun), breakpoints inserted again: after the
 * program exited, the server answers every resume with the exit until
 * then.  0, or -1 printed. */
int console_rerun(struct console *con);
/* `?`: learn the current thread again (after goto, restart, diversions). */
int console_refresh_stop(struct console *con);

#endif
