/* Diversions of the replay target (stub/replay_diversion.h). */
#include "config.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/xcr0.h"
#include "replay/diversion.h"
#include "replay/syscallbuf.h"
#include "replay/diversion_run.h"
#include "replay/implant.h"
#include "replay/insn_virt.h"
#include "stub/replay_diversion.h"

#define MAX_IMPLANTS 16
#define MAX_CHECKSUM_RANGES 256
#define SYNTHETIC_TSC_START (1ull << 40)

struct replay_diversion {
	struct process *copy;
	struct diversion_env env;
	pid_t rec_pid, rec_tid;
	uint64_t replay_xcr0;          /* the diverted thread's recorded one */
	struct x86_regfile start;      /* the replay's registers at the fork */
	uint64_t event;
	double fork_ms;
	bool over;                     /* the copy is gone */
	struct implant *implants[MAX_IMPLANTS];
	size_t nimplants;
	struct implant *checksum;
};

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static struct task *copy_task(struct replay_diversion *d)
{
	return &d->copy->tasks[0];
}

/* ---- start and end ------------------------------------------------------------ */

static int fork_copy(struct replay_diversion *d, struct replayer *r,
		     struct task *t, char *err, size_t errlen)
{
	struct process *p = replayer_process(r);
	double t0 = now_ms();
	if (diversion_fork(p, t, d->copy) < 0) {
		snprintf(err, errlen, "cannot start a diversion: %s", p->err);
		return -1;
	}
	d->fork_ms = now_ms() - t0;
	/* The copy runs natively with this host's XCR0: CPUID, XGETBV and
	 * XSAVE get their own bytes back instead of the replay's traps. */
	struct insn_virt *iv = replayer_insn_virt(r);
	if (iv && insn_virt_unpatch_all(iv, d->copy) < 0) {
		snprintf(err, errlen, "diversion %d: restoring virtualised "
			 "instructions: %s", (int)d->copy->pid, d->copy->err);
		diversion_kill(d->copy);
		return -1;
	}
	/* Its calls are real ones, never the replay's records, and never
	 * written into the syscall buffer (replay/syscallbuf.h). */
	if (syscallbuf_set_mode(d->copy, XRR_SB_MODE_OFF) < 0) {
		snprintf(err, errlen, "diversion %d: turning its syscall buffer "
			 "off: %s", (int)d->copy->pid, strerror(errno));
		diversion_kill(d->copy);
		return -1;
	}
	return 0;
}

struct replay_diversion *replay_diversion_start(struct replayer *r,
						pid_t rec_tid, FILE *out,
						FILE *errs, char *err,
						size_t errlen)
{
	struct task *t = replayer_task(r, rec_tid);
	err[0] = '\0';
	if (!t) {
		snprintf(err, errlen, "cannot start a diversion: no thread %d "
			 "in the replay", (int)rec_tid);
		return NULL;
	}
	struct replay_diversion *d = calloc(1, sizeof(*d));
	if (d)
		d->copy = calloc(1, sizeof(*d->copy));
	if (!d || !d->copy) {
		free(d);
		snprintf(err, errlen, "cannot start a diversion: out of memory");
		return NULL;
	}
	d->rec_pid = replayer_recorded_pid(r);
	d->rec_tid = rec_tid;
	d->replay_xcr0 = replayer_thread_xcr0(r, rec_tid);
	d->event = replayer_current_event(r);
	if (task_get_regfile(replayer_process(r), t, &d->start) < 0 ||
	    fork_copy(d, r, t, err, errlen) < 0) {
		if (!err[0])
			snprintf(err, errlen, "cannot start a diversion: %s",
				 replayer_process(r)->err);
		free(d->copy);
		free(d);
		return NULL;
	}
	d->env = (struct diversion_env){
		.recorded_pid = d->rec_pid,
		.recorded_tid = rec_tid,
		.tsc = SYNTHETIC_TSC_START,
		.out = out,
		.err = errs,
	};
	return d;
}

void replay_diversion_end(struct replay_diversion *d)
{
	if (!d)
		return;
	/* The implants lived in the copy: only their descriptions remain. */
	for (size_t i = 0; i < d->nimplants; i++)
		implant_unload(NULL, NULL, d->implants[i]);
	implant_unload(NULL, NULL, d->checksum);
	diversion_kill(d->copy);
	free(d->copy);
	free(d);
}

pid_t replay_diversion_tid(const struct replay_diversion *d)
{
	return d->rec_tid;
}

pid_t replay_diversion_copy_pid(const struct replay_diversion *d)
{
	return d->copy->pid;
}

bool replay_diversion_over(const struct replay_diversion *d)
{
	return d->over;
}

struct process *replay_diversion_process(struct replay_diversion *d)
{
	return d->copy;
}

/* ---- registers and memory --------------------------------------------------------- */

/* Read from the copy's real xstate: its xcr0 is this host's. */
int replay_diversion_get_regs(struct replay_diversion *d,
			      struct x86_regfile *out)
{
	if (d->over)
		return -ESRCH;
	return task_get_regfile(d->copy, copy_task(d), out);
}

int replay_diversion_set_regs(struct replay_diversion *d,
			      const struct x86_regfile *in)
{
	struct x86_regfile cur, want = *in;
	if (replay_diversion_get_regs(d, &cur) < 0)
		return -ESRCH;
	/* GDB may write back an xcr0 it read from the replay; the copy's is
	 * the host's and is not a register anyone can write. */
	want.xcr0 = cur.xcr0;
	return task_set_regfile(d->copy, copy_task(d), &want);
}

ssize_t replay_diversion_read(struct replay_diversion *d, uint64_t addr,
			      void *buf, size_t len)
{
	return process_read_memory_clean(d->copy, addr, buf, len);
}

ssize_t replay_diversion_write(struct replay_diversion *d, uint64_t addr,
			       const void *buf, size_t len)
{
	return process_write_memory(d->copy, addr, buf, len);
}

/* Registers of components outside the recorded XCR0 are unavailable to
 * GDB in the replay, so it cannot have put them back: left out. */
static void mask_for_compare(struct x86_regfile *rf, uint64_t xcr0)
{
	rf->orig_rax = 0;
	rf->xcr0 = 0;
	if (!(xcr0 & XCR0_AVX))
		memset(rf->ymmh, 0, sizeof(rf->ymmh));
	if (!(xcr0 & XCR0_ZMM_HI256) || !(xcr0 & XCR0_HI16_ZMM)) {
		memset(rf->zmmh, 0, sizeof(rf->zmmh));
		memset(rf->xmm[16], 0, sizeof(rf->xmm) / 2);
		memset(rf->ymmh[16], 0, sizeof(rf->ymmh) / 2);
	}
	if (!(xcr0 & XCR0_OPMASK))
		memset(rf->k, 0, sizeof(rf->k));
	if (!(xcr0 & XCR0_PKRU))
		rf->pkru = 0;
}

bool replay_diversion_back_at_start(struct replay_diversion *d)
{
	struct x86_regfile cur, start = d->start;
	if (replay_diversion_get_regs(d, &cur) < 0)
		return true;    /* nothing left to run */
	mask_for_compare(&cur, d->replay_xcr0);
	mask_for_compare(&start, d->replay_xcr0);
	return memcmp(&cur, &start, sizeof(cur)) == 0;
}

/* ---- running ------------------------------------------------------------------------ */

int replay_diversion_resume(struct replay_diversion *d, bool step, int signo)
{
	if (d->over)
		return -ESRCH;
	return diversion_resume(d->copy, &d->env, step, signo) < 0 ? -EIO : 0;
}

static void copy_gone(struct replay_diversion *d, struct target_stop *stop,
		      int status)
{
	char how[80];
	d->over = true;
	diversion_describe_status(how, sizeof(how), status);
	stop->kind = TARGET_STOP_SIGNAL;
	stop->signo = SIGTRAP;
	snprintf(stop->message, sizeof(stop->message),
		 "xrr: the diversion %s; back in the replay at event %" PRIu64
		 "\n", how, d->event);
}

static void translate(struct replay_diversion *d,
		      const struct diversion_stop *ds, struct target_stop *stop)
{
	memset(stop, 0, sizeof(*stop));
	stop->kind = TARGET_STOP_SIGNAL;
	stop->pid = d->rec_pid;
	stop->tid = d->rec_tid;
	stop->signo = ds->signo;
	switch (ds->kind) {
	case DIVERSION_STOP_BREAKPOINT:
		stop->reason = TARGET_REASON_SWBREAK;
		break;
	case DIVERSION_STOP_HW_BREAK:
		stop->reason = ds->hw_type == HW_EXECUTE ? TARGET_REASON_HWBREAK
			     : ds->hw_type == HW_WRITE ? TARGET_REASON_WATCH
						      : TARGET_REASON_AWATCH;
		stop->watch_addr = ds->addr;
		break;
	case DIVERSION_STOP_EXITED:
	case DIVERSION_STOP_KILLED:
		copy_gone(d, stop, ds->status);
		break;
	case DIVERSION_STOP_ERROR:
		d->over = true;
		stop->signo = SIGTRAP;
		snprintf(stop->message, sizeof(stop->message),
			 "xrr: %s; the diversion ended\n", ds->message);
		break;
	default:
		break;
	}
}

enum target_wait_result replay_diversion_wait(struct replay_diversion *d,
					      struct target_stop *stop,
					      int interrupt_fd)
{
	struct diversion_stop ds;
	diversion_wait(d->copy, &d->env, &ds, interrupt_fd);
	if (ds.kind == DIVERSION_STOP_INTERRUPTED)
		return TARGET_WAIT_INTERRUPTED;
	translate(d, &ds, stop);
	return TARGET_WAIT_STOPPED;
}

int replay_diversion_interrupt(struct replay_diversion *d)
{
	return diversion_interrupt(d->copy, &d->env);
}

void replay_diversion_status(struct replay_diversion *d, struct rsp_buf *out)
{
	struct x86_regfile rf;
	uint64_t xcr0 = replay_diversion_get_regs(d, &rf) == 0 ? rf.xcr0 : 0;
	rsp_buf_printf(out, "diversion: active, copy pid %d of thread %d, "
		       "forked at event %" PRIu64 " in %.1f ms, xcr0 0x%" PRIx64
		       "\n", (int)d->copy->pid, (int)d->rec_tid, d->event,
		       d->fork_ms, xcr0);
	rsp_buf_printf(out, "  syscalls %" PRIu64 " (%" PRIu64 " answered by "
		       "xrr), rdtsc %" PRIu64 ", implants %zu%s\n",
		       d->env.syscalls, d->env.denied, d->env.rdtscs,
		       d->nimplants, d->checksum ? " + checksum" : "");
}

/* ---- implants -------------------------------------------------------------------------- */

/* Numbers in decimal or 0x-hex (not octal: "010" is ten). */
static bool parse_number(const char *s, uint64_t *v)
{
	char *end;
	errno = 0;
	bool hex = s[0] == '0' && (s[1] == 'x' || s[1] == 'X');
	if (*s == '-')
		*v = (uint64_t)strtoll(s, &end, 10);
	else
		*v = strtoull(s, &end, hex ? 16 : 10);
	return *s && !*end && errno == 0;
}

static void *read_whole_file(const char *path, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	void *buf = NULL;
	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) == 0 && st.st_size > 0 &&
	    (buf = malloc((size_t)st.st_size)) &&
	    pread(fd, buf, (size_t)st.st_size, 0) != st.st_size) {
		free(buf);
		buf = NULL;
	}
	*len = buf ? (size_t)st.st_size : 0;
	close(fd);
	return buf;
}

/* ET_DYN: one offset for all of it (load address minus first vaddr). */
static void dyn_symbol_command(const uint8_t *f, size_t len,
			       const struct implant *im, struct rsp_buf *out)
{
	const Elf64_Ehdr *eh = (const void *)f;
	uint64_t lo = UINT64_MAX;
	for (unsigned i = 0; i < eh->e_phnum; i++) {
		uint64_t off = eh->e_phoff + (uint64_t)i * sizeof(Elf64_Phdr);
		if (off + sizeof(Elf64_Phdr) > len)
			break;
		const Elf64_Phdr *ph = (const void *)(f + off);
		if (ph->p_type == PT_LOAD && ph->p_memsz && ph->p_vaddr < lo)
			lo = ph->p_vaddr & ~0xfffull;
	}
	if (lo == UINT64_MAX)
		lo = 0;
	rsp_buf_printf(out, "add-symbol-file %s -o 0x%" PRIx64 "\n", im->path,
		       im->base - lo);
}

/* ET_REL: each allocated section's address, found through a symbol
 * defined in it (address in the tracee minus its section offset). */
static void rel_symbol_command(const uint8_t *f, size_t len,
			       const struct implant *im, struct rsp_buf *out)
{
	const Elf64_Ehdr *eh = (const void *)f;
	if (eh->e_shoff + (uint64_t)eh->e_shnum * sizeof(Elf64_Shdr) > len ||
	    eh->e_shstrndx >= eh->e_shnum)
		return;
	const Elf64_Shdr *sh = (const void *)(f + eh->e_shoff);
	const char *shstr = (const char *)f + sh[eh->e_shstrndx].sh_offset;
	rsp_buf_printf(out, "add-symbol-file %s", im->path);
	for (unsigned s = 0; s < eh->e_shnum; s++) {
		if (sh[s].sh_type != SHT_SYMTAB || sh[s].sh_link >= eh->e_shnum)
			continue;
		const Elf64_Sym *sym = (const void *)(f + sh[s].sh_offset);
		const char *str = (const char *)f + sh[sh[s].sh_link].sh_offset;
		size_t n = sh[s].sh_size / sizeof(Elf64_Sym);
		bool done[eh->e_shnum];
		memset(done, 0, sizeof(done));
		for (size_t i = 0; i < n; i++) {
			unsigned sec = sym[i].st_shndx;
			if (!sym[i].st_name || sec == SHN_UNDEF ||
			    sec >= eh->e_shnum || done[sec])
				continue;
			uint64_t a = implant_symbol(im, str + sym[i].st_name);
			if (!a)
				continue;
			done[sec] = true;
			rsp_buf_printf(out, " -s %s 0x%" PRIx64,
				       shstr + sh[sec].sh_name, a - sym[i].st_value);
		}
	}
	rsp_buf_append_str(out, "\n");
}

static void symbol_command(const struct implant *im, struct rsp_buf *out)
{
	size_t len;
	uint8_t *f = read_whole_file(im->path, &len);
	if (f && len >= sizeof(Elf64_Ehdr)) {
		const Elf64_Ehdr *eh = (const void *)f;
		if (eh->e_type == ET_DYN)
			dyn_symbol_command(f, len, im, out);
		else
			rel_symbol_command(f, len, im, out);
	}
	free(f);
}

static int monitor_implant_load(struct replay_diversion *d, const char *path,
				struct rsp_buf *out)
{
	if (d->nimplants == MAX_IMPLANTS) {
		rsp_buf_printf(out, "xrr: implant load: %d implants already\n",
			       MAX_IMPLANTS);
		return 0;
	}
	struct implant *im = implant_load(d->copy, copy_task(d), path);
	if (!im) {
		rsp_buf_printf(out, "xrr: implant load %s: %s\n", path,
			       d->copy->err);
		return 0;
	}
	d->implants[d->nimplants++] = im;
	rsp_buf_printf(out, "xrr: implant %s loaded at 0x%" PRIx64 " (0x%"
		       PRIx64 " bytes, %zu symbols) in diversion %d\n",
		       im->path, im->base, im->image_len, im->nsyms,
		       (int)d->copy->pid);
	symbol_command(im, out);
	return 0;
}

/* The most recently loaded implant that defines `symbol`. */
static struct implant *implant_with(struct replay_diversion *d,
				    const char *symbol)
{
	for (size_t i = d->nimplants; i-- > 0;)
		if (implant_symbol(d->implants[i], symbol))
			return d->implants[i];
	return NULL;
}

static int monitor_implant_call(struct replay_diversion *d, char *args,
				struct rsp_buf *out)
{
	char *save = NULL, *symbol = strtok_r(args, " \t", &save);
	uint64_t argv[6], ret;
	size_t n = 0;
	if (!symbol) {
		rsp_buf_append_str(out, "xrr: implant call SYMBOL [ARGS...]\n");
		return 0;
	}
	for (char *a; (a = strtok_r(NULL, " \t", &save));) {
		if (n == 6 || !parse_number(a, &argv[n])) {
			rsp_buf_printf(out, "xrr: implant call: %s\n", n == 6
				       ? "at most 6 arguments"
				       : "arguments are decimal or 0x-hex numbers");
			return 0;
		}
		n++;
	}
	struct implant *im = implant_with(d, symbol);
	if (!im) {
		rsp_buf_printf(out, "xrr: implant call: no loaded implant "
			       "defines '%s'\n", symbol);
		return 0;
	}
	int rc = implant_call(d->copy, copy_task(d), im, symbol, argv, n, &ret);
	if (rc < 0) {
		rsp_buf_printf(out, "xrr: implant call %s: %s%s\n", symbol,
			       d->copy->err[0] ? d->copy->err : strerror(-rc),
			       rc == -ESRCH ? "" : " (the diversion goes on)");
		if (rc == -ESRCH)
			d->over = true;
		return 0;
	}
	rsp_buf_printf(out, "%s = 0x%" PRIx64 " (%" PRId64 ")\n", symbol, ret,
		       (int64_t)ret);
	return 0;
}

/* ---- checksums --------------------------------------------------------------------------- */

static int load_checksum_implant(struct replay_diversion *d,
				 struct rsp_buf *out)
{
	char path[4096], err[512];
	if (d->checksum)
		return 0;
	if (diversion_checksum_implant_path(path, sizeof(path), err,
					    sizeof(err)) < 0) {
		rsp_buf_printf(out, "xrr: checksum: %s\n", err);
		return -1;
	}
	d->checksum = implant_load(d->copy, copy_task(d), path);
	if (!d->checksum) {
		rsp_buf_printf(out, "xrr: checksum: loading %s: %s\n", path,
			       d->copy->err);
		return -1;
	}
	return 0;
}

static int parse_ranges(char *args, struct implant_range *r, size_t *n,
			struct rsp_buf *out)
{
	char *save = NULL;
	*n = 0;
	for (char *a; (a = strtok_r(args, " \t", &save)); args = NULL) {
		char *l = strtok_r(NULL, " \t", &save);
		if (*n == MAX_CHECKSUM_RANGES || !l ||
		    !parse_number(a, &r[*n].addr) || !parse_number(l, &r[*n].len)) {
			rsp_buf_append_str(out, "xrr: checksum ADDR LEN [ADDR LEN"
					   " ...] | --writable (numbers decimal"
					   " or 0x-hex)\n");
			return -1;
		}
		(*n)++;
	}
	if (*n)
		return 0;
	rsp_buf_append_str(out, "xrr: checksum: no range given\n");
	return -1;
}

static void run_checksum(struct replay_diversion *d,
			 const struct implant_range *r, size_t n,
			 struct rsp_buf *out)
{
	uint64_t hash, bytes = 0;
	int path = 0;
	for (size_t i = 0; i < n; i++)
		bytes += r[i].len;
	double t0 = now_ms();
	int rc = implant_checksum(d->copy, copy_task(d), d->checksum, r, n,
				  CHECKSUM_PATH_AUTO, &hash, &path);
	double ms = now_ms() - t0;
	if (rc < 0) {
		rsp_buf_printf(out, "xrr: checksum: %s\n", d->copy->err[0]
			       ? d->copy->err : strerror(-rc));
		return;
	}
	rsp_buf_printf(out, "%016" PRIx64 "  %" PRIu64 " bytes in %zu "
		       "range%s  %.2f GB/s  path %s\n", hash, bytes, n,
		       n == 1 ? "" : "s", ms > 0 ? bytes / ms / 1e6 : 0.0,
		       implant_checksum_path_name(path));
}

static int monitor_checksum(struct replay_diversion *d, char *args,
			    struct rsp_buf *out)
{
	if (load_checksum_implant(d, out) < 0)
		return 0;
	if (strcmp(args, "--writable") == 0) {
		struct implant_range *r = NULL;
		size_t n = 0;
		int rc = implant_writable_ranges(d->copy, d->checksum, &r, &n);
		if (rc < 0)
			rsp_buf_printf(out, "xrr: checksum --writable: %s\n",
				       strerror(-rc));
		else
			run_checksum(d, r, n, out);
		free(r);
		return 0;
	}
	struct implant_range r[MAX_CHECKSUM_RANGES];
	size_t n;
	if (parse_ranges(args, r, &n, out) == 0)
		run_checksum(d, r, n, out);
	return 0;
}

int replay_diversion_monitor(struct replay_diversion *d, const char *cmd,
			     struct rsp_buf *out)
{
	char buf[1024];
	snprintf(buf, sizeof(buf), "%s", cmd);
	if (d->over) {
		rsp_buf_append_str(out, "xrr: the diversion has ended\n");
		return 0;
	}
	if (strncmp(buf, "implant load ", 13) == 0)
		return monitor_implant_load(d, buf + 13, out);
	if (strncmp(buf, "implant call ", 13) == 0)
		return monitor_implant_call(d, buf + 13, out);
	if (strncmp(buf, "checksum ", 9) == 0)
		return monitor_checksum(d, buf + 9, out);
	return 1;
}
