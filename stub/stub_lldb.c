/* What LLDB asks of a gdb-remote stub beyond GDB's packets: host and
 * process descriptions (qHostInfo, qProcessInfo), the loaded modules
 * with paths it can open on this machine (qXfer:libraries-svr4, loaded
 * at the first stop), the end of a replay's history as the exit, and
 * no values for registers outside a thread's XCR0.  The client is LLDB
 * only when its qSupported says so; GDB sees none of this.  See
 * docs/replaying.md, "LLDB". */
#include "config.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <link.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "stub/stub_internal.h"

static const char lldb_triple[] = "x86_64-pc-linux-gnu";

static void append_hex_field(struct rsp_buf *reply, const char *key,
			     const char *text)
{
	rsp_buf_printf(reply, "%s:", key);
	rsp_buf_append_hex(reply, text, strlen(text));
	rsp_buf_append_str(reply, ";");
}

/* The traits LLDB picks its platform, ABI and unwinder by. */
static void append_arch(struct rsp_buf *reply)
{
	append_hex_field(reply, "triple", lldb_triple);
	rsp_buf_append_str(reply, "ptrsize:8;endian:little;ostype:linux;"
			   "vendor:pc;");
}

int stub_q_host_info(void *ctx, const char *a, size_t n,
		     struct rsp_buf *reply)
{
	struct stub *s = ctx;
	s->client_lldb = true;
	append_arch(reply);
	/* x86 debug registers report a write after it happened. */
	rsp_buf_append_str(reply, "watchpoint_exceptions_received:after;");
	char host[256];
	if (gethostname(host, sizeof(host)) == 0) {
		host[sizeof(host) - 1] = 0;
		append_hex_field(reply, "hostname", host);
	}
	return 0;
}

int stub_q_process_info(void *ctx, const char *a, size_t n,
			struct rsp_buf *reply)
{
	struct stub *s = ctx;
	s->client_lldb = true;
	if (s->process_gone) {
		stub_error_reply(reply, ESRCH);
		return 0;
	}
	rsp_buf_printf(reply, "pid:%" PRIx64 ";", stub_current_pid(s));
	append_arch(reply);
	return 0;
}

/* LLDB 15 lists xmlRegisters=i386,arm,mips,arc in qSupported; GDB names
 * only its own architecture.  The LLDB-only qSupported features (the
 * library list with the main executable in it) depend on this. */
bool stub_lldb_client(const char *qsupported, size_t len)
{
	static const char key[] = "xmlRegisters=";
	if (len && qsupported[0] == ':') {
		qsupported++;
		len--;
	}
	for (const char *p = qsupported, *end = qsupported + len; p < end;) {
		const char *semi = memchr(p, ';', (size_t)(end - p));
		size_t flen = semi ? (size_t)(semi - p) : (size_t)(end - p);
		if (flen > sizeof(key) - 1 && memcmp(p, key, sizeof(key) - 1) == 0 &&
		    memchr(p, ',', flen))
			return true;
		p += flen + 1;
	}
	return false;
}

/* ---- local copies of the target's files -------------------------------------
 * LLDB connected with `gdb-remote` opens modules by path on its own host
 * and never asks the stub for files.  A replay's files exist only in the
 * trace, so the stub copies each module LLDB needs into a private
 * directory that mirrors the program's paths and names that copy in the
 * library list.  A live program's files are this host's own. */

static int make_session_dir(struct stub *s)
{
	if (s->lldb_dir)
		return 0;
	const char *tmp = getenv("TMPDIR");
	char tmpl[4096];
	snprintf(tmpl, sizeof(tmpl), "%s/xrr-lldb-XXXXXX",
		 tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(tmpl)) {
		int err = errno;
		stub_log(s, "cannot create a directory for LLDB's copies of the "
			 "program's files (%s): %s", tmpl, strerror(err));
		return -err;
	}
	s->lldb_dir = strdup(tmpl);
	return s->lldb_dir ? 0 : -ENOMEM;
}

static int make_parents(char *path)
{
	for (char *p = strchr(path + 1, '/'); p; p = strchr(p + 1, '/')) {
		*p = 0;
		int rc = mkdir(path, 0700);
		*p = '/';
		if (rc < 0 && errno != EEXIST)
			return -errno;
	}
	return 0;
}

/* Copy the target's file `path` to `dest` through the target's file ops
 * (a replay reads the trace's copy), atomically. */
static int copy_target_file(struct stub *s, const char *path, const char *dest)
{
	const struct target_ops *ops = s->target->ops;
	int in = ops->file_open(s->target, path, O_RDONLY, 0);
	if (in < 0)
		return in;
	char tmp[4200];
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.part", dest) >= sizeof(tmp)) {
		ops->file_close(s->target, in);
		return -ENAMETOOLONG;
	}
	int out = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0500);
	int rc = out < 0 ? -errno : 0;
	static char buf[1 << 16];
	for (uint64_t off = 0; rc == 0;) {
		ssize_t n = ops->file_pread(s->target, in, buf, sizeof(buf), off);
		if (n < 0)
			rc = (int)n;
		if (n <= 0)
			break;
		ssize_t w = write(out, buf, (size_t)n);
		if (w != n)
			rc = w < 0 ? -errno : -EIO;
		off += (uint64_t)n;
	}
	ops->file_close(s->target, in);
	if (out >= 0 && close(out) < 0 && rc == 0)
		rc = -errno;
	if (rc == 0 && rename(tmp, dest) < 0)
		rc = -errno;
	if (rc < 0)
		unlink(tmp);
	return rc;
}

/* Does `path` have a ".." component?  Such a name, from the tracee's
 * memory, could lead a copy out of the private directory. */
static bool climbs(const char *path)
{
	for (const char *p = path; (p = strstr(p, "..")); p += 2)
		if ((p == path || p[-1] == '/') && (p[2] == '/' || p[2] == 0))
			return true;
	return false;
}

/* A path on this host with the contents the target has at `path`. */
static int local_path(struct stub *s, const char *path, char *out, size_t len)
{
	if (!s->target->is_replay || !s->target->ops->file_open) {
		snprintf(out, len, "%s", path);
		return 0;
	}
	if (climbs(path))
		return -EINVAL;
	int rc = make_session_dir(s);
	if (rc < 0)
		return rc;
	if ((size_t)snprintf(out, len, "%s%s%s", s->lldb_dir,
			     path[0] == '/' ? "" : "/", path) >= len)
		return -ENAMETOOLONG;
	struct stat st;
	if (stat(out, &st) == 0)
		return 0;
	if ((rc = make_parents(out)) < 0 || (rc = copy_target_file(s, path, out)) < 0)
		stub_log(s, "cannot copy %s for LLDB to %s: %s", path, out,
			 strerror(-rc));
	return rc;
}

static int remove_entry(const char *path, const struct stat *st, int type,
			struct FTW *ftw)
{
	remove(path);   /* best effort: a leftover is only a temporary file */
	return 0;
}

void stub_lldb_cleanup(struct stub *s)
{
	if (!s->lldb_dir)
		return;
	nftw(s->lldb_dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
	free(s->lldb_dir);
	s->lldb_dir = NULL;
}

/* ---- qXfer:libraries-svr4 ---------------------------------------------------
 * GDB's format, from the dynamic linker's r_debug list in the target's
 * memory, plus the main executable as the first library: LLDB takes the
 * module whose file is an executable as the target's program. */

static bool read_exact(struct stub *s, uint64_t addr, void *buf, size_t len)
{
	return s->target->ops->read_memory(s->target, addr, buf, len) ==
	       (ssize_t)len;
}

static bool auxv_value(struct stub *s, uint64_t type, uint64_t *value)
{
	const void *data;
	size_t len;
	if (!s->target->ops->get_auxv ||
	    s->target->ops->get_auxv(s->target, &data, &len) < 0)
		return false;
	const Elf64_auxv_t *av = data;
	for (size_t i = 0; i < len / sizeof(*av); i++)
		if (av[i].a_type == type) {
			*value = av[i].a_un.a_val;
			return true;
		}
	return false;
}

struct main_image {
	uint64_t bias;          /* load address - link address */
	uint64_t dynamic;       /* run-time address of PT_DYNAMIC, 0: none */
	uint64_t interp;        /* run-time address of PT_INTERP, 0: none */
	bool fixed;             /* ET_EXEC: not position-independent */
};

/* The program's load bias and dynamic section, from its program headers
 * in memory (AT_PHDR). */
static bool find_main_image(struct stub *s, struct main_image *img)
{
	uint64_t phdr, phnum;
	memset(img, 0, sizeof(*img));
	if (!auxv_value(s, AT_PHDR, &phdr) || !auxv_value(s, AT_PHNUM, &phnum) ||
	    phnum == 0 || phnum > 256)
		return false;
	Elf64_Phdr ph[256];
	if (!read_exact(s, phdr, ph, phnum * sizeof(ph[0])))
		return false;
	bool have_bias = false;
	uint64_t dyn_vaddr = 0;
	bool have_dyn = false;
	for (uint64_t i = 0; i < phnum; i++) {
		if (ph[i].p_type == PT_PHDR) {
			img->bias = phdr - ph[i].p_vaddr;
			have_bias = true;
		} else if (ph[i].p_type == PT_DYNAMIC) {
			dyn_vaddr = ph[i].p_vaddr;
			have_dyn = true;
		} else if (ph[i].p_type == PT_INTERP) {
			img->interp = ph[i].p_vaddr;
		}
	}
	/* Without PT_PHDR the headers follow the ELF header at the start
	 * of the first segment. */
	for (uint64_t i = 0; i < phnum && !have_bias; i++)
		if (ph[i].p_type == PT_LOAD && ph[i].p_offset == 0) {
			img->bias = phdr - sizeof(Elf64_Ehdr) - ph[i].p_vaddr;
			have_bias = true;
		}
	img->dynamic = have_dyn ? img->bias + dyn_vaddr : 0;
	for (uint64_t i = 0; i < phnum; i++) {
		Elf64_Ehdr eh;
		if (ph[i].p_type == PT_LOAD && ph[i].p_offset == 0 &&
		    read_exact(s, img->bias + ph[i].p_vaddr, &eh, sizeof(eh)))
			img->fixed = eh.e_type == ET_EXEC;
	}
	if (img->interp)
		img->interp += img->bias;
	return have_bias;
}

/* r_debug.r_map, or 0 before the dynamic linker has filled it in. */
static uint64_t first_link_map(struct stub *s, const struct main_image *img)
{
	if (!img->dynamic)
		return 0;
	for (uint64_t a = img->dynamic, i = 0; i < 512; i++, a += sizeof(Elf64_Dyn)) {
		Elf64_Dyn d;
		if (!read_exact(s, a, &d, sizeof(d)) || d.d_tag == DT_NULL)
			return 0;
		if (d.d_tag == DT_DEBUG) {
			struct r_debug rd;
			if (!d.d_un.d_ptr || !read_exact(s, d.d_un.d_ptr, &rd, sizeof(rd)))
				return 0;
			return (uint64_t)(uintptr_t)rd.r_map;
		}
	}
	return 0;
}

static bool read_string(struct stub *s, uint64_t addr, char *out, size_t len)
{
	size_t got = 0;
	while (got + 1 < len) {
		size_t chunk = len - 1 - got < 64 ? len - 1 - got : 64;
		ssize_t n = s->target->ops->read_memory(s->target, addr + got,
							out + got, chunk);
		if (n <= 0)
			return false;
		void *nul = memchr(out + got, 0, (size_t)n);
		got += (size_t)n;
		if (nul)
			return true;
	}
	out[got] = 0;
	return true;
}

static void append_library(struct stub *s, struct rsp_buf *b, const char *path,
			   uint64_t lm, uint64_t l_addr, uint64_t l_ld)
{
	char local[4200];
	/* Files LLDB cannot have (the vdso) keep their names: it reads
	 * those modules from memory. */
	const char *name = path[0] == '/' &&
			   local_path(s, path, local, sizeof(local)) == 0
			   ? local : path;
	rsp_buf_append_str(b, "<library name=\"");
	stub_xml_escape(b, name);
	rsp_buf_printf(b, "\" lm=\"%#" PRIx64 "\" l_addr=\"%#" PRIx64
		       "\" l_ld=\"%#" PRIx64 "\"/>\n", lm, l_addr, l_ld);
}

/* Before the dynamic linker has filled in r_debug (at the program's
 * first instruction) the list has only the program; the interpreter is
 * then named by PT_INTERP and found at AT_BASE, its dynamic section
 * from its own program headers. */
static void append_interpreter(struct stub *s, struct rsp_buf *b,
			       const struct main_image *img)
{
	uint64_t base;
	char path[4096];
	Elf64_Ehdr eh;
	if (!img->interp || !auxv_value(s, AT_BASE, &base) || !base ||
	    !read_string(s, img->interp, path, sizeof(path)) || !path[0] ||
	    !read_exact(s, base, &eh, sizeof(eh)) ||
	    memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 || eh.e_phnum > 256)
		return;
	uint64_t dynamic = 0;
	for (unsigned i = 0; i < eh.e_phnum; i++) {
		Elf64_Phdr ph;
		if (!read_exact(s, base + eh.e_phoff + i * sizeof(ph), &ph, sizeof(ph)))
			return;
		if (ph.p_type == PT_DYNAMIC)
			dynamic = base + ph.p_vaddr;
	}
	append_library(s, b, path, 0, base, dynamic);
}

int stub_lldb_libraries(struct stub *s, bool from_start, struct rsp_buf *b)
{
	if (from_start)
		s->lldb_list_reads++;
	struct main_image img;
	char exe[4096];
	if (s->process_gone || !s->target->ops->exec_file ||
	    s->target->ops->exec_file(s->target, stub_current_pid(s), exe,
				      sizeof(exe)) < 0 ||
	    !find_main_image(s, &img))
		return -ENOENT;
	uint64_t lm = first_link_map(s, &img);
	/* No main-lm: LLDB 15 would take it for the address of r_debug's
	 * pointer (what qShlibInfoAddr answers). */
	rsp_buf_append_str(b, "<library-list-svr4 version=\"1.0\">\n");
	/* LLDB makes a listed ET_EXEC file its executable anew on every
	 * list it loads, which forgets every module's load address and
	 * every breakpoint site; and it loads the list again each time it
	 * rereads the first stop.  So a fixed-address program is in the
	 * first list of the session only (every chunk of it); LLDB keeps
	 * it from then on. */
	if (!img.fixed || s->lldb_list_reads <= 1)
		append_library(s, b, exe, lm, img.bias, img.dynamic);
	if (!lm)
		append_interpreter(s, b, &img);
	/* The first entry is the program itself; a bound on the walk
	 * guards against a corrupt or cyclic list. */
	for (int i = 0; lm && i < 4096; i++) {
		struct link_map m;
		char name[4096];
		if (!read_exact(s, lm, &m, sizeof(m)))
			break;
		if (i > 0 && m.l_name &&
		    read_string(s, (uint64_t)(uintptr_t)m.l_name, name, sizeof(name)) &&
		    name[0])
			append_library(s, b, name, lm, m.l_addr,
				       (uint64_t)(uintptr_t)m.l_ld);
		lm = (uint64_t)(uintptr_t)m.l_next;
	}
	rsp_buf_append_str(b, "</library-list-svr4>\n");
	return 0;
}

/* LLDB 15 on a host platform learns the program from /proc/PID/exe on
 * its own machine, which for a replay is not the program (or nothing).
 * A stop reply with `library:` makes it load the library list, whose
 * executable entry becomes the target's program. */
void stub_lldb_stop_extras(struct stub *s, const struct target_stop *stop,
			   struct rsp_buf *reply)
{
	if (s->client_lldb && stop->kind == TARGET_STOP_SIGNAL)
		rsp_buf_append_str(reply, "library:;");
}

/* GDB stops at the end of a replay's history (replaylog:end) so the
 * last state can be inspected, and a further continue reports the
 * recorded exit.  LLDB knows no such stop: it would show a SIGTRAP,
 * which also ends an `lldb -b` script.  So for LLDB a forward stop at
 * the end goes on once more, to the exit when the recording has one;
 * the console message saying where history ended is shown first. */
int stub_lldb_past_history_end(struct stub *s,
			       const struct target_resume *actions, size_t n,
			       struct target_stop *stop)
{
	if (!s->client_lldb || stop->kind != TARGET_STOP_SIGNAL ||
	    stop->reason != TARGET_REASON_REPLAY_END || n > STUB_MAX_ACTIONS)
		return 0;
	struct target_resume again[STUB_MAX_ACTIONS];
	for (size_t i = 0; i < n; i++) {
		if (actions[i].reverse)
			return 0;
		again[i] = actions[i];
		again[i].signo = 0;
		again[i].step = false;
	}
	if (s->target->ops->resume(s->target, again, n) < 0)
		return -1;
	struct target_stop next;
	memset(&next, 0, sizeof(next));
	if (stub_wait_for_stop(s, &next) < 0)
		return -1;
	if (next.message[0])
		stub_console(s, next.message, strlen(next.message));
	*stop = next;
	return 0;
}

bool stub_lldb_reg_unavailable(struct stub *s, unsigned regnum,
			       const struct x86_regfile *rf)
{
	return s->client_lldb && regnum < s->tdesc.nregs &&
	       !tdesc_reg_available(&s->tdesc.regs[regnum], rf->xcr0);
}
