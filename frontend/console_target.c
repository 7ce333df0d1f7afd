/* The console's side of the wire: starting or reaching the replay
 * server, the handshake, registers from the target description, the
 * executable's symbols (read through vFile, so a remote server works
 * too), and resuming with the stop printed. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <inttypes.h>
#include <libelf.h>
#include <poll.h>
#include <regex.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "frontend/console.h"
#include "frontend/frontend.h"
#include "protocol/rsp_cmd.h"
#include "stub/signals.h"

/* ---- connecting ------------------------------------------------------------ */

/* Our own replay server: `xrr replay --stdio TRACE` on one end of a
 * socketpair, in its own process group so the terminal's ^C reaches only
 * us (we forward it as 0x03). */
static int spawn_server(struct console *con, const char *trace_dir,
			bool quiet, struct rsp_transport *t)
{
	int sv[2];
	char self[4096];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n < 0) {
		xrr_error("console: cannot find the xrr executable: %s",
			  strerror(errno));
		return -1;
	}
	self[n] = 0;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
		xrr_error("console: socketpair: %s", strerror(errno));
		return -1;
	}
	pid_t pid = fork();
	if (pid < 0) {
		xrr_error("console: fork: %s", strerror(errno));
		close(sv[0]);
		close(sv[1]);
		return -1;
	}
	if (pid == 0) {
		setpgid(0, 0);
		if (dup2(sv[1], 0) < 0 || dup2(sv[1], 1) < 0)
			_exit(127);
		char *argv[] = { self, "replay", "--stdio",
				 quiet ? "-q" : NULL, NULL, NULL };
		argv[quiet ? 4 : 3] = (char *)trace_dir;
		execv(self, argv);
		fprintf(stderr, "xrr: console: cannot run %s: %s\n", self,
			strerror(errno));
		_exit(127);
	}
	close(sv[1]);
	con->server = pid;
	t->in_fd = t->out_fd = sv[0];
	snprintf(t->description, sizeof(t->description), "xrr replay --stdio");
	snprintf(con->where, sizeof(con->where), "trace %s", trace_dir);
	return 0;
}

/* The server went away: say how, when it is ours. */
static void report_server_end(struct console *con)
{
	int ws;
	if (con->server <= 0)
		return;
	if (waitpid(con->server, &ws, 0) == con->server) {
		if (WIFEXITED(ws))
			xrr_error("console: the replay server exited with "
				  "status %d", WEXITSTATUS(ws));
		else if (WIFSIGNALED(ws))
			xrr_error("console: the replay server was killed by "
				  "signal %d", WTERMSIG(ws));
	}
	con->server = -1;
}

void console_lost(struct console *con)
{
	xrr_error("console: %s: %s", con->where, con->conn.error);
	con->broken = true;
	report_server_end(con);
}

static int request(struct console *con, const char *req, struct rsp_buf *reply)
{
	if (rsp_client_request(&con->conn, req, reply, NULL) == 0)
		return 0;
	console_lost(con);
	return -1;
}

/* Parse a T/S/W/X stop reply's thread. */
static void note_stop_thread(struct console *con, const char *reply)
{
	const char *t = strstr(reply, "thread:");
	con->gone = reply[0] == 'W' || reply[0] == 'X';
	if (reply[0] != 'T' || !t)
		return;
	t += 7;
	if (*t == 'p' && strchr(t, '.'))
		t = strchr(t, '.') + 1;
	con->tid = (int64_t)strtoll(t, NULL, 16);
}

int console_refresh_stop(struct console *con)
{
	struct rsp_buf reply;
	rsp_buf_init(&reply);
	int rc = request(con, "?", &reply);
	if (rc == 0) {
		note_stop_thread(con, reply.data);
		if (con->tid > 0) {
			char hg[40];
			snprintf(hg, sizeof(hg), "Hg%llx", (long long)con->tid);
			rc = request(con, hg, &reply);
		}
	}
	rsp_buf_free(&reply);
	return rc;
}

static int handshake(struct console *con)
{
	struct rsp_buf reply, xml;
	char err[300];
	int rc = -1;

	rsp_buf_init(&reply);
	rsp_buf_init(&xml);
	if (request(con, "qSupported:swbreak+;hwbreak+;xmlRegisters=i386",
		    &reply) < 0)
		goto out;
	if (strstr(reply.data, "QStartNoAckMode+")) {
		if (request(con, "QStartNoAckMode", &reply) < 0)
			goto out;
		if (strcmp(reply.data, "OK") == 0)
			rsp_conn_set_noack(&con->conn, true);
	}
	if (console_refresh_stop(con) < 0)
		goto out;
	if (rsp_client_qxfer_read(&con->conn, "features", "target.xml", &xml) < 0) {
		console_lost(con);
		goto out;
	}
	if (tdesc_xml_parse(xml.data, xml.len, &con->regs, err, sizeof(err)) < 0) {
		xrr_error("console: %s: %s", con->where, err);
		goto out;
	}
	rc = 0;
out:
	rsp_buf_free(&reply);
	rsp_buf_free(&xml);
	return rc;
}

/* ---- symbols ------------------------------------------------------------- */

static int by_addr(const void *a, const void *b)
{
	const struct console_sym *x = a, *y = b;
	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

/* The load bias of a position-independent executable: where the kernel
 * put its entry point (AT_ENTRY in the auxiliary vector) minus e_entry. */
static uint64_t load_bias(struct console *con, const GElf_Ehdr *eh)
{
	struct rsp_buf auxv;
	uint64_t bias = 0;
	if (eh->e_type != ET_DYN)
		return 0;
	rsp_buf_init(&auxv);
	if (rsp_client_qxfer_read(&con->conn, "auxv", "", &auxv) == 0) {
		for (size_t i = 0; i + 16 <= auxv.len; i += 16) {
			uint64_t kv[2];
			memcpy(kv, auxv.data + i, sizeof(kv));
			if (kv[0] == 9 /* AT_ENTRY */) {
				bias = kv[1] - eh->e_entry;
				break;
			}
		}
	}
	rsp_buf_free(&auxv);
	return bias;
}

static int add_symbols(struct console *con, Elf *elf, Elf_Scn *scn,
		       const GElf_Shdr *sh, uint64_t bias)
{
	Elf_Data *data = elf_getdata(scn, NULL);
	size_t count = sh->sh_entsize ? sh->sh_size / sh->sh_entsize : 0;
	if (!data)
		return -1;
	con->syms = calloc(count ? count : 1, sizeof(*con->syms));
	if (!con->syms)
		return -1;
	for (size_t i = 0; i < count; i++) {
		GElf_Sym sym;
		if (!gelf_getsym(data, (int)i, &sym))
			continue;
		int type = GELF_ST_TYPE(sym.st_info);
		if ((type != STT_FUNC && type != STT_OBJECT) || !sym.st_value ||
		    sym.st_shndx == SHN_UNDEF)
			continue;
		const char *name = elf_strptr(elf, sh->sh_link, sym.st_name);
		if (!name || !*name)
			continue;
		struct console_sym *s = &con->syms[con->nsyms];
		s->name = strdup(name);
		if (!s->name)
			return -1;
		s->addr = sym.st_value + bias;
		s->size = sym.st_size;
		s->is_func = type == STT_FUNC;
		con->nsyms++;
	}
	qsort(con->syms, con->nsyms, sizeof(*con->syms), by_addr);
	return 0;
}

/* The full symbol table when there is one, else the dynamic one. */
static int symbols_from_elf(struct console *con, struct rsp_buf *image)
{
	elf_version(EV_CURRENT);
	Elf *elf = elf_memory(image->data, image->len);
	GElf_Ehdr eh;
	if (!elf || !gelf_getehdr(elf, &eh)) {
		snprintf(con->syms_error, sizeof(con->syms_error),
			 "the executable is not an ELF file: %s", elf_errmsg(-1));
		if (elf)
			elf_end(elf);
		return -1;
	}
	Elf_Scn *best = NULL;
	GElf_Shdr best_sh = { 0 };
	for (Elf_Scn *scn = NULL; (scn = elf_nextscn(elf, scn));) {
		GElf_Shdr sh;
		if (!gelf_getshdr(scn, &sh))
			continue;
		if (sh.sh_type == SHT_SYMTAB ||
		    (sh.sh_type == SHT_DYNSYM && !best)) {
			best = scn;
			best_sh = sh;
		}
	}
	int rc = -1;
	uint64_t bias = load_bias(con, &eh);
	char err[256];
	if (console_lines_load(&con->lines, image->data, image->len, bias, err,
			       sizeof(err)) < 0 && getenv("XRR_CONSOLE_DEBUG"))
		fprintf(stderr, "xrr: console: no line table: %s\n", err);
	if (!best)
		snprintf(con->syms_error, sizeof(con->syms_error),
			 "the executable has no symbol table");
	else if (add_symbols(con, elf, best, &best_sh, bias) < 0)
		snprintf(con->syms_error, sizeof(con->syms_error),
			 "cannot read the executable's symbols: %s",
			 elf_errmsg(-1));
	else
		rc = 0;
	elf_end(elf);
	return rc;
}

/* The executable GDB would load: its name from qXfer:exec-file, its
 * bytes through vFile.  Without them the console still works, by
 * address. */
static void load_symbols(struct console *con)
{
	struct rsp_buf path, image;
	rsp_buf_init(&path);
	rsp_buf_init(&image);
	if (rsp_client_qxfer_read(&con->conn, "exec-file", "", &path) < 0 ||
	    rsp_client_read_file(&con->conn, path.data, &image) < 0)
		snprintf(con->syms_error, sizeof(con->syms_error), "%s",
			 con->conn.error);
	else
		symbols_from_elf(con, &image);
	if (con->syms_error[0])
		fprintf(stderr, "xrr: console: no symbols (%s); addresses "
			"only\n", con->syms_error);
	rsp_buf_free(&path);
	rsp_buf_free(&image);
}

int console_open(struct console *con, const char *trace_dir, bool quiet,
		 const char *host, int port)
{
	struct rsp_transport t;
	char err[300];

	memset(con, 0, sizeof(*con));
	con->server = -1;
	con->next_bp = 1;
	if (trace_dir) {
		if (spawn_server(con, trace_dir, quiet, &t) < 0)
			return -1;
	} else {
		if (rsp_connect_tcp(&t, host, port, err, sizeof(err)) < 0) {
			xrr_error("console: %s", err);
			return -1;
		}
		snprintf(con->where, sizeof(con->where), "%s:%d", host, port);
	}
	rsp_conn_init(&con->conn, &t, RSP_DEFAULT_MAX_PAYLOAD);
	if (handshake(con) < 0) {
		console_close(con);
		return -1;
	}
	load_symbols(con);
	return 0;
}

int console_rerun(struct console *con)
{
	struct rsp_buf reply;
	char packet[64];
	int rc = -1;

	rsp_buf_init(&reply);
	if (request(con, "vRun;", &reply) < 0)
		goto out;
	if (reply.data[0] != 'T' && reply.data[0] != 'S') {
		xrr_error("console: the server cannot start the program again "
			  "(%s)", reply.len ? reply.data : "no vRun support");
		goto out;
	}
	if (console_refresh_stop(con) < 0)
		goto out;
	/* A new process has none of the old one's breakpoints. */
	for (size_t i = 0; i < con->nbps; i++) {
		snprintf(packet, sizeof(packet), "Z0,%" PRIx64 ",1",
			 con->bps[i].addr);
		if (request(con, packet, &reply) < 0)
			goto out;
		if (strcmp(reply.data, "OK") != 0)
			xrr_error("console: breakpoint %d could not be set "
				  "again (%s)", con->bps[i].number, reply.data);
	}
	rc = 0;
out:
	rsp_buf_free(&reply);
	return rc;
}

/* A server that is not ours stays for the next client: leave it without
 * our breakpoints, as GDB does when it disconnects. */
static void remove_breakpoints(struct console *con)
{
	struct rsp_buf reply;
	char packet[64];
	rsp_buf_init(&reply);
	for (size_t i = 0; i < con->nbps && !con->broken; i++) {
		snprintf(packet, sizeof(packet), "z0,%" PRIx64 ",1",
			 con->bps[i].addr);
		if (rsp_client_request(&con->conn, packet, &reply, NULL) < 0)
			break;
	}
	con->nbps = 0;
	rsp_buf_free(&reply);
}

void console_close(struct console *con)
{
	if (con->server <= 0 && con->conn.t.in_fd >= 0)
		remove_breakpoints(con);
	rsp_conn_close(&con->conn);   /* closes the socket: our server ends */
	if (con->server > 0) {
		int ws;
		while (waitpid(con->server, &ws, 0) < 0 && errno == EINTR)
			;
		con->server = -1;
	}
	tdesc_xml_free(&con->regs);
	console_lines_free(&con->lines);
	for (size_t i = 0; i < con->nsyms; i++)
		free(con->syms[i].name);
	free(con->syms);
	con->syms = NULL;
	con->nsyms = 0;
}

/* ---- monitor -------------------------------------------------------------- */

int console_monitor(struct console *con, const char *command,
		    struct rsp_buf *text)
{
	rsp_buf_reset(text);
	int rc = rsp_client_monitor(&con->conn, command, text);
	if (rc < 0)
		console_lost(con);
	return rc;
}

long long console_current_event(struct console *con, struct rsp_buf *text)
{
	struct rsp_buf own;
	rsp_buf_init(&own);
	struct rsp_buf *t = text ? text : &own;
	long long event = -1;
	if (console_monitor(con, "when", t) == 0) {
		const char *p = strstr(t->data, "Current event: ");
		if (p)
			event = strtoll(p + 15, NULL, 10);
	}
	rsp_buf_free(&own);
	return event;
}

/* ---- registers ----------------------------------------------------------- */

int console_read_reg(struct console *con, const struct tdesc_xml_reg *r,
		     uint8_t *out, bool *avail)
{
	struct rsp_buf reply;
	char req[32];
	size_t n = r->bitsize / 8;
	int rc = -1;

	rsp_buf_init(&reply);
	snprintf(req, sizeof(req), "p%x", r->regnum);
	if (request(con, req, &reply) < 0)
		goto out;
	if (reply.len != 2 * n) {
		xrr_error("console: reading %s: the server answered \"%.40s\"",
			  r->name, reply.data);
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		const char *h = reply.data + 2 * i;
		avail[i] = !(h[0] == 'x' && h[1] == 'x');
		out[i] = avail[i] ? (uint8_t)(rsp_hex_digit(h[0]) << 4 |
					     rsp_hex_digit(h[1])) : 0;
	}
	rc = 0;
out:
	rsp_buf_free(&reply);
	return rc;
}

int console_read_pc(struct console *con, uint64_t *pc)
{
	const struct tdesc_xml_reg *r = tdesc_xml_find(&con->regs, "rip");
	uint8_t b[8];
	bool avail[8];
	if (!r || r->bitsize != 64) {
		xrr_error("console: the target description has no 64-bit rip");
		return -1;
	}
	if (console_read_reg(con, r, b, avail) < 0)
		return -1;
	memcpy(pc, b, 8);
	return 0;
}

#define MAX_REG_BYTES 64

/* Little-endian bytes as 0x..., most significant first. */
static void print_hex(const uint8_t *b, size_t n)
{
	fputs("0x", stdout);
	size_t i = n;
	while (i > 1 && b[i - 1] == 0)
		i--;
	for (bool first = true; i-- > 0; first = false)
		printf(first ? "%x" : "%02x", b[i]);
}

/* Registers wider than 64 bits as 64-bit lanes, lane 0 first (GDB's
 * v2_int64/v4_int64/v8_int64 views), a lane GDB could not have as
 * <unavailable>. */
static void print_value(const char *name, const uint8_t *b, const bool *avail,
			size_t n, const struct console *con)
{
	bool all = true, none = true;
	for (size_t i = 0; i < n; i++) {
		all = all && avail[i];
		none = none && !avail[i];
	}
	printf("%s = ", name);
	if (none) {
		puts("<unavailable>");
		return;
	}
	if (n <= 8 || (n % 8 != 0 && all)) {
		print_hex(b, n);
		uint64_t v = 0;
		memcpy(&v, b, n < 8 ? n : 8);
		const struct console_sym *s = n == 8 ? console_sym_at(con, v) : NULL;
		if (s)
			printf(" <%s+%" PRIu64 ">", s->name, v - s->addr);
		putchar('\n');
		return;
	}
	putchar('{');
	for (size_t lane = 0; lane * 8 < n; lane++) {
		bool ok = true;
		for (size_t i = lane * 8; i < lane * 8 + 8 && i < n; i++)
			ok = ok && avail[i];
		fputs(lane ? ", " : "", stdout);
		if (ok)
			print_hex(b + lane * 8, n - lane * 8 < 8 ? n - lane * 8 : 8);
		else
			fputs("<unavailable>", stdout);
	}
	puts("}");
}

/* zmmN is xmmN + ymmNh + zmmNh and ymmN is xmmN + ymmNh, as GDB composes
 * its pseudo-registers; each piece may be unavailable on its own. */
static int print_pseudo(struct console *con, const char *name)
{
	unsigned n;
	char kind[4], tail;
	if (sscanf(name, "%3[yz]mm%u%c", kind, &n, &tail) != 2 || n > 31)
		return 1;
	const char *fmt[] = { "xmm%u", "ymm%uh", "zmm%uh" };
	size_t pieces = kind[0] == 'z' ? 3 : 2;
	uint8_t b[MAX_REG_BYTES] = { 0 };
	bool avail[MAX_REG_BYTES] = { false };
	size_t off = 0;
	for (size_t i = 0; i < pieces; i++) {
		char piece[16];
		snprintf(piece, sizeof(piece), fmt[i], n);
		const struct tdesc_xml_reg *r = tdesc_xml_find(&con->regs, piece);
		if (!r) {
			xrr_error("console: no register '%s': the target "
				  "description has no %s", name, piece);
			return -1;
		}
		if (off + r->bitsize / 8 > MAX_REG_BYTES)
			return -1;
		if (console_read_reg(con, r, b + off, avail + off) < 0)
			return -1;
		off += r->bitsize / 8;
	}
	print_value(name, b, avail, off, con);
	return 0;
}

int console_print_reg(struct console *con, const char *name)
{
	const struct tdesc_xml_reg *r = tdesc_xml_find(&con->regs, name);
	if (!r) {
		int rc = print_pseudo(con, name);
		if (rc == 1)
			xrr_error("console: no register '%s' (regs lists the "
				  "general ones; tab completes names)", name);
		return rc ? -1 : 0;
	}
	uint8_t b[MAX_REG_BYTES];
	bool avail[MAX_REG_BYTES];
	if (r->bitsize / 8 > MAX_REG_BYTES) {
		xrr_error("console: register %s is %u bits wide; too wide to "
			  "show", name, r->bitsize);
		return -1;
	}
	if (console_read_reg(con, r, b, avail) < 0)
		return -1;
	print_value(r->name, b, avail, r->bitsize / 8, con);
	return 0;
}

/* ---- symbols and addresses ---------------------------------------------- */

const struct console_sym *console_sym_at(const struct console *con,
					 uint64_t addr)
{
	size_t lo = 0, hi = con->nsyms;
	while (lo < hi) {          /* first symbol above addr */
		size_t mid = (lo + hi) / 2;
		if (con->syms[mid].addr <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	while (lo-- > 0) {
		const struct console_sym *s = &con->syms[lo];
		if (addr < s->addr + (s->size ? s->size : 1))
			return s;
		if (s->is_func)
			return NULL;   /* inside no function */
	}
	return NULL;
}

const struct console_sym *console_sym_named(const struct console *con,
					    const char *name)
{
	for (size_t i = 0; i < con->nsyms; i++)
		if (strcmp(con->syms[i].name, name) == 0)
			return &con->syms[i];
	return NULL;
}

const char *console_describe_addr(const struct console *con, uint64_t addr,
				  char *buf, size_t len)
{
	const struct console_sym *s = console_sym_at(con, addr);
	if (s)
		snprintf(buf, len, "%s+%" PRIu64, s->name, addr - s->addr);
	else
		snprintf(buf, len, "0x%" PRIx64, addr);
	return buf;
}

static int reg_value(struct console *con, const char *name, uint64_t *out)
{
	const struct tdesc_xml_reg *r = tdesc_xml_find(&con->regs, name);
	uint8_t b[MAX_REG_BYTES];
	bool avail[MAX_REG_BYTES];
	if (!r || r->bitsize > 64) {
		xrr_error("console: $%s: no such register of at most 64 bits",
			  name);
		return -1;
	}
	if (console_read_reg(con, r, b, avail) < 0)
		return -1;
	if (!avail[0]) {
		xrr_error("console: $%s is unavailable", name);
		return -1;
	}
	*out = 0;
	memcpy(out, b, r->bitsize / 8);
	return 0;
}

int console_parse_addr(struct console *con, const char *text, uint64_t *addr)
{
	char base[256];
	const char *op = strpbrk(text + 1, "+-");
	size_t bl = op ? (size_t)(op - text) : strlen(text);
	if (bl == 0 || bl >= sizeof(base)) {
		xrr_error("console: '%s': not an address", text);
		return -1;
	}
	memcpy(base, text, bl);
	base[bl] = 0;
	char *end;
	if (base[0] == '$') {
		if (reg_value(con, base + 1, addr) < 0)
			return -1;
	} else if (base[0] >= '0' && base[0] <= '9') {
		errno = 0;
		*addr = strtoull(base, &end, 0);
		if (errno || *end) {
			xrr_error("console: '%s': not a number", base);
			return -1;
		}
	} else {
		const struct console_sym *s = console_sym_named(con, base);
		if (!s) {
			if (con->nsyms == 0)
				xrr_error("console: no symbol '%s': %s", base,
					  con->syms_error[0] ? con->syms_error
					  : "no symbols loaded");
			else
				xrr_error("console: no symbol '%s' in the "
					  "executable (tab completes names)", base);
			return -1;
		}
		*addr = s->addr;
	}
	if (op) {
		errno = 0;
		unsigned long long off = strtoull(op + 1, &end, 0);
		if (errno || *end || end == op + 1) {
			xrr_error("console: '%s': bad offset", op);
			return -1;
		}
		*addr = *op == '+' ? *addr + off : *addr - off;
	}
	return 0;
}

/* ---- resuming --------------------------------------------------------------- */

static volatile sig_atomic_t interrupted;

static void on_sigint(int sig)
{
	(void)sig;
	interrupted = 1;
}

/* Wait for the stop reply, forwarding ^C as 0x03 and printing the
 * program's console output (O packets) on the way. */
static int wait_stop(struct console *con, struct rsp_buf *reply)
{
	struct sigaction sa = { .sa_handler = on_sigint }, old;
	int rc = -1;
	bool sent = false;

	interrupted = 0;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old);
	for (;;) {
		if (interrupted && !sent) {
			char brk = 0x03;
			if (write(con->conn.t.out_fd, &brk, 1) == 1)
				sent = true;
		}
		if (!rsp_conn_has_buffered_input(&con->conn)) {
			struct pollfd pfd = { .fd = con->conn.t.in_fd,
					      .events = POLLIN };
			if (poll(&pfd, 1, 200) <= 0)
				continue;
		}
		const char *p;
		size_t len;
		enum rsp_recv_status st = rsp_conn_recv(&con->conn, &p, &len);
		if (st == RSP_RECV_INTERRUPT || st == RSP_RECV_REJECTED)
			continue;
		if (st != RSP_RECV_PACKET) {
			if (st == RSP_RECV_EOF)
				snprintf(con->conn.error, sizeof(con->conn.error),
					 "connection closed while the program ran");
			console_lost(con);
			break;
		}
		if (len > 1 && p[0] == 'O' && p[1] != 'K') {
			for (size_t i = 1; i + 1 < len; i += 2)
				putchar(rsp_hex_digit(p[i]) << 4 |
					rsp_hex_digit(p[i + 1]));
			continue;
		}
		rsp_buf_reset(reply);
		rsp_buf_append(reply, p, len);
		rc = 0;
		break;
	}
	sigaction(SIGINT, &old, NULL);
	return rc;
}

static const char *signal_text(int gdb_signo, char *buf, size_t len)
{
	int host = gdb_signal_to_host(gdb_signo);
	if (host > 0)
		snprintf(buf, len, "SIG%s", sigabbrev_np(host) ?
			 sigabbrev_np(host) : "?");
	else
		snprintf(buf, len, "signal %d (GDB numbering)", gdb_signo);
	return buf;
}

static int bp_number_at(const struct console *con, uint64_t pc)
{
	for (size_t i = 0; i < con->nbps; i++)
		if (con->bps[i].addr == pc)
			return con->bps[i].number;
	return 0;
}

/* "(FILE:LINE)" in monitor when's answer, when the server knows it. */
static void source_location(const char *when, char *out, size_t len)
{
	regex_t re;
	regmatch_t m[2];
	out[0] = 0;
	if (!when || regcomp(&re, "\\(([^() ]+:[0-9]+)\\)", REG_EXTENDED) != 0)
		return;
	if (regexec(&re, when, 2, m, 0) == 0) {
		/* The base name, as the console's own table gives it. */
		const char *from = when + m[1].rm_so, *to = when + m[1].rm_eo;
		for (const char *p = from; p < to; p++)
			if (*p == '/')
				from = p + 1;
		snprintf(out, len, "%.*s", (int)(to - from), from);
	}
	regfree(&re);
}

const char *console_source_at(const struct console *con, uint64_t addr,
			      const char *when, char *buf, size_t len)
{
	source_location(when, buf, len);
	if (!buf[0] && !console_lines_find(&con->lines, addr, buf, len))
		buf[0] = 0;
	return buf;
}

/* stopped at FUNC+OFF (FILE:LINE) event N [...] */
static int print_location(struct console *con, const char *why)
{
	uint64_t pc;
	char where[300], src[256];
	struct rsp_buf when;

	if (console_read_pc(con, &pc) < 0)
		return -1;
	rsp_buf_init(&when);
	long long event = console_current_event(con, &when);
	console_source_at(con, pc, when.data, src, sizeof(src));
	printf("%sstopped at %s", why ? why : "",
	       console_describe_addr(con, pc, where, sizeof(where)));
	if (src[0])
		printf(" (%s)", src);
	if (event >= 0)
		printf(" event %lld", event);
	printf(" [pc 0x%" PRIx64 ", thread %lld]\n", pc, (long long)con->tid);
	rsp_buf_free(&when);
	return 0;
}

static int report_stop(struct console *con, const char *reply)
{
	char why[128] = "", sig[64], two[3] = { 0 };
	/* The signal or status: exactly two hex digits after the letter. */
	memcpy(two, reply + 1, strnlen(reply + 1, 2));
	int signo = (int)strtol(two, NULL, 16);

	switch (reply[0]) {
	case 'W':
		con->gone = true;
		printf("the program exited with status %d\n", signo);
		return 0;
	case 'X':
		con->gone = true;
		printf("the program was killed by %s\n",
		       signal_text(signo, sig, sizeof(sig)));
		return 0;
	case 'T':
	case 'S':
		break;
	default:
		xrr_error("console: the server answered \"%.60s\" instead of "
			  "a stop", reply);
		return -1;
	}
	note_stop_thread(con, reply);
	console_refresh_stop(con);
	if (strstr(reply, "replaylog:end")) {
		snprintf(why, sizeof(why), "end of the recording: ");
	} else if (strstr(reply, "replaylog:begin")) {
		snprintf(why, sizeof(why), "start of the recording: ");
	} else if (signo == 5) {
		uint64_t pc;
		int bp = console_read_pc(con, &pc) == 0 ? bp_number_at(con, pc) : 0;
		if (bp)
			snprintf(why, sizeof(why), "breakpoint %d: ", bp);
	} else if (signo == 2) {
		snprintf(why, sizeof(why), "interrupted: ");
	} else {
		snprintf(why, sizeof(why), "%s: ",
			 signal_text(signo, sig, sizeof(sig)));
	}
	return print_location(con, why);
}

int console_resume(struct console *con, const char *packet)
{
	struct rsp_buf reply;
	int rc = -1;

	if (con->gone) {
		xrr_error("console: the program has exited (run, goto EVENT "
			  "or restart N go back)");
		return -1;
	}
	rsp_buf_init(&reply);
	fflush(stdout);
	if (rsp_conn_send_str(&con->conn, packet) < 0) {
		console_lost(con);
	} else if (wait_stop(con, &reply) == 0) {
		if (reply.data[0] == 'E' || reply.len == 0)
			xrr_error("console: the server refused \"%s\" (%s)",
				  packet, reply.len ? reply.data : "unsupported");
		else
			rc = report_stop(con, reply.data);
	}
	rsp_buf_free(&reply);
	return rc;
}
