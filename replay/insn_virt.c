/* Instruction virtualisation: patched sites of a process, emulation of
 * the trapped instructions, and the site records of a trace
 * (replay/insn_virt.h, docs/xcr0.md). */
#include "config.h"

#include "replay/insn_virt.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "replay/task.h"
#include "replay/trace_codec.h"
#include "replay/xsave_model.h"

static const uint8_t trap_bytes[INSN_TRAP_LEN] = { 0x0f, 0x0b };   /* ud2 */

struct scan_cache {
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime;
	struct insn_scan scan;
};

struct insn_virt {
	struct insn_virt_cpu cpu;
	struct insn_site *sites;        /* patched, sorted by address */
	size_t n, cap;
	struct scan_cache *cache;
	size_t ncache;
	struct insn_virt_stats stats;
	/* Asynchronous signals that arrived while a site was single-stepped,
	 * with their siginfo, for the caller to deliver (insn_virt_take_held). */
	siginfo_t held[INSN_VIRT_MAX_HELD];
	size_t nheld;
};

size_t insn_virt_take_held(struct insn_virt *iv, siginfo_t *out, size_t max)
{
	size_t n = iv->nheld < max ? iv->nheld : max;

	memcpy(out, iv->held, n * sizeof(*out));
	memmove(iv->held, iv->held + n, (iv->nheld - n) * sizeof(*out));
	iv->nheld -= n;
	return n;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

struct insn_virt *insn_virt_new(const struct insn_virt_cpu *cpu)
{
	struct insn_virt *iv = calloc(1, sizeof(*iv));

	if (iv && cpu)
		iv->cpu = *cpu;
	return iv;
}

void insn_virt_free(struct insn_virt *iv)
{
	if (!iv)
		return;
	for (size_t i = 0; i < iv->ncache; i++)
		insn_scan_free(&iv->cache[i].scan);
	free(iv->cache);
	free(iv->sites);
	free(iv);
}

const struct insn_virt_stats *insn_virt_stats(const struct insn_virt *iv)
{
	return &iv->stats;
}

/* ---- site sets (one per address space) ------------------------------------- */

void insn_virt_swap_sites(struct insn_virt *iv, struct insn_site_set *set)
{
	struct insn_site_set mine = { iv->sites, iv->n, iv->cap };

	iv->sites = set->sites;
	iv->n = set->n;
	iv->cap = set->cap;
	*set = mine;
}

int insn_site_set_copy(struct insn_site_set *dst,
		       const struct insn_site_set *src)
{
	dst->sites = NULL;
	dst->n = dst->cap = 0;
	if (!src->n)
		return 0;
	dst->sites = malloc(src->n * sizeof(*dst->sites));
	if (!dst->sites)
		return -1;
	memcpy(dst->sites, src->sites, src->n * sizeof(*dst->sites));
	dst->n = dst->cap = src->n;
	return 0;
}

int insn_virt_copy_sites(const struct insn_virt *iv, struct insn_site_set *dst)
{
	const struct insn_site_set cur = { iv->sites, iv->n, iv->cap };

	return insn_site_set_copy(dst, &cur);
}

void insn_site_set_free(struct insn_site_set *set)
{
	free(set->sites);
	set->sites = NULL;
	set->n = set->cap = 0;
}

/* ---- the site table ---------------------------------------------------------- */

/* Index of the first site whose address is >= addr. */
static size_t lower_bound(const struct insn_virt *iv, uint64_t addr)
{
	size_t lo = 0, hi = iv->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (iv->sites[mid].addr < addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

const struct insn_site *insn_virt_site_at(const struct insn_virt *iv,
					  uint64_t addr)
{
	size_t i = lower_bound(iv, addr);

	return i < iv->n && iv->sites[i].addr == addr ? &iv->sites[i] : NULL;
}

static int insert_site(struct insn_virt *iv, const struct insn_site *s)
{
	if (iv->n == iv->cap) {
		size_t n = iv->cap ? iv->cap * 2 : 64;
		struct insn_site *p = realloc(iv->sites, n * sizeof(*p));
		if (!p)
			return -1;
		iv->sites = p;
		iv->cap = n;
	}
	size_t i = lower_bound(iv, s->addr);
	memmove(&iv->sites[i + 1], &iv->sites[i], (iv->n - i) * sizeof(*s));
	iv->sites[i] = *s;
	iv->n++;
	return 0;
}

void insn_virt_forget_range(struct insn_virt *iv, uint64_t start, uint64_t end)
{
	size_t a = lower_bound(iv, start), b = lower_bound(iv, end);

	if (a == b)
		return;   /* nothing there (sites may not even be allocated) */
	memmove(&iv->sites[a], &iv->sites[b], (iv->n - b) * sizeof(*iv->sites));
	iv->n -= b - a;
}

size_t insn_virt_original_bytes(const struct insn_virt *iv, uint64_t addr,
				void *buf, size_t len)
{
	uint8_t *out = buf;
	size_t fixed = 0;
	/* A site starting up to INSN_TRAP_LEN-1 bytes before addr overlaps. */
	size_t i = lower_bound(iv, addr >= INSN_TRAP_LEN ? addr - INSN_TRAP_LEN + 1 : 0);

	for (; i < iv->n && iv->sites[i].addr < addr + len; i++) {
		const struct insn_site *s = &iv->sites[i];
		for (unsigned k = 0; k < INSN_TRAP_LEN; k++) {
			uint64_t a = s->addr + k;
			if (a >= addr && a < addr + len) {
				out[a - addr] = s->orig[k];
				fixed++;
			}
		}
	}
	return fixed;
}

/* ---- patching ------------------------------------------------------------------- */

static const struct insn_scan *scan_cached(struct insn_virt *iv, int fd,
					   char *err, size_t errlen)
{
	struct stat st;

	if (fstat(fd, &st) < 0) {
		snprintf(err, errlen, "fstat: %s", strerror(errno));
		return NULL;
	}
	for (size_t i = 0; i < iv->ncache; i++) {
		struct scan_cache *c = &iv->cache[i];
		if (c->dev == st.st_dev && c->ino == st.st_ino &&
		    c->size == st.st_size &&
		    c->mtime.tv_sec == st.st_mtim.tv_sec &&
		    c->mtime.tv_nsec == st.st_mtim.tv_nsec)
			return &c->scan;
	}
	struct scan_cache *c = realloc(iv->cache, (iv->ncache + 1) * sizeof(*c));
	if (!c) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	iv->cache = c;
	c = &c[iv->ncache];
	memset(c, 0, sizeof(*c));
	uint64_t t0 = now_ns();
	if (insn_virt_scan_fd(fd, &c->scan, err, errlen) < 0)
		return NULL;
	iv->stats.scan_ns += now_ns() - t0;
	iv->stats.files_scanned++;
	iv->stats.bytes_scanned += c->scan.bytes;
	iv->stats.undecodable += c->scan.undecodable;
	c->dev = st.st_dev;
	c->ino = st.st_ino;
	c->size = st.st_size;
	c->mtime = st.st_mtim;
	iv->ncache++;
	return &c->scan;
}

static int write_trap(struct process *p, const struct insn_site *s, char *err,
		      size_t errlen)
{
	if (process_write_memory(p, s->addr, trap_bytes, INSN_TRAP_LEN) !=
	    INSN_TRAP_LEN) {
		snprintf(err, errlen, "patching %s at %#" PRIx64 ": %s",
			 insn_site_mnemonic(s), s->addr, p->err);
		return -1;
	}
	return 0;
}

static int add_to(struct insn_site **v, size_t *n, const struct insn_site *s)
{
	struct insn_site *p = realloc(*v, (*n + 1) * sizeof(*p));

	if (!p)
		return -1;
	p[(*n)++] = *s;
	*v = p;
	return 0;
}

/* Patch one site if the bytes there are still the original ones (a
 * program may have rewritten its code: then it is left alone). */
static int patch_one(struct insn_virt *iv, struct process *p,
		     const struct insn_site *s, struct insn_site **added,
		     size_t *nadded, char *err, size_t errlen)
{
	uint8_t cur[INSN_MAX_LEN];

	if (insn_virt_site_at(iv, s->addr))
		return 0;
	if (process_read_memory(p, s->addr, cur, s->len) != s->len ||
	    memcmp(cur, s->orig, s->len) != 0)
		return 0;
	if (write_trap(p, s, err, errlen) < 0 || insert_site(iv, s) < 0 ||
	    (added && add_to(added, nadded, s) < 0))
		return -1;
	iv->stats.patched++;
	return 0;
}

int insn_virt_patch_mapping(struct insn_virt *iv, struct process *p, int fd,
			    uint64_t start, uint64_t end, uint64_t file_offset,
			    struct insn_site **added, size_t *nadded,
			    char *err, size_t errlen)
{
	const struct insn_scan *scan = scan_cached(iv, fd, err, errlen);
	uint64_t t0 = now_ns();

	if (!scan)
		return -1;
	for (size_t i = 0; i < scan->nsites; i++) {
		struct insn_site s = scan->sites[i];
		if (s.addr < file_offset ||
		    s.addr + s.len > file_offset + (end - start))
			continue;
		s.addr = start + (s.addr - file_offset);
		if (patch_one(iv, p, &s, added, nadded, err, errlen) < 0)
			return -1;
	}
	iv->stats.patch_ns += now_ns() - t0;
	return 0;
}

int insn_virt_apply(struct insn_virt *iv, struct process *p,
		    const struct insn_site *sites, size_t n, char *err,
		    size_t errlen)
{
	uint8_t cur[INSN_MAX_LEN];

	for (size_t i = 0; i < n; i++) {
		const struct insn_site *s = &sites[i];
		if (process_read_memory(p, s->addr, cur, s->len) != s->len ||
		    memcmp(cur, s->orig, s->len) != 0) {
			snprintf(err, errlen, "recorded %s site at %#" PRIx64
				 ": the bytes there are not the recorded ones",
				 insn_site_mnemonic(s), s->addr);
			return -1;
		}
		if (!insn_virt_site_at(iv, s->addr) &&
		    (write_trap(p, s, err, errlen) < 0 || insert_site(iv, s) < 0))
			return -1;
	}
	return 0;
}

int insn_virt_unpatch_all(struct insn_virt *iv, struct process *p)
{
	int rc = 0;

	for (size_t i = 0; i < iv->n; i++)
		if (process_write_memory(p, iv->sites[i].addr, iv->sites[i].orig,
					 INSN_TRAP_LEN) != INSN_TRAP_LEN)
			rc = -1;
	return rc;
}

/* ---- emulation ------------------------------------------------------------------ */

/* Leaves whose ECX selects a sub-leaf; others ignore ECX. */
static bool has_subleaves(uint32_t leaf)
{
	static const uint32_t v[] = { 0x4, 0x7, 0xb, 0xd, 0xf, 0x10, 0x12,
				      0x14, 0x17, 0x18, 0x1d, 0x1f, 0x20, 0x23,
				      0x24, 0x8000001d, 0x80000020, 0x80000026 };
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		if (v[i] == leaf)
			return true;
	return false;
}

void insn_virt_cpuid(const struct insn_virt_cpu *cpu, uint64_t xcr0,
		     uint32_t leaf, uint32_t subleaf, struct cpuid_leaf *out)
{
	uint32_t sub = has_subleaves(leaf) ? subleaf : 0;

	*out = (struct cpuid_leaf){ .leaf = leaf, .subleaf = sub };
	for (size_t i = 0; i < cpu->nleaves; i++)
		if (cpu->leaves[i].leaf == leaf && cpu->leaves[i].subleaf == sub) {
			*out = cpu->leaves[i];
			break;
		}
	/* Unrecorded leaves read as zeros (AMD's answer beyond the max). */
	if (cpu->layout)
		xsave_model_mask_cpuid(cpu->layout, cpu->real_xcr0, xcr0, out);
	out->subleaf = subleaf;
}

static uint64_t xinuse(struct process *p, struct task *t)
{
	uint8_t buf[16384];
	uint64_t bv = 0;

	if (task_get_xstate(p, t, buf, sizeof(buf)) >= 520)
		memcpy(&bv, buf + 512, 8);
	return bv;
}

static void set32(unsigned long long *reg, uint32_t v)
{
	*reg = v;       /* 32-bit results zero-extend */
}

/* Single-step the original instruction in place with EDX:EAX limited. */
static int step_original(struct insn_virt *iv, struct process *p,
			 struct task *t, const struct insn_site *s,
			 struct user_regs_struct *g, uint64_t xcr0,
			 siginfo_t *fault, int *result, char *err, size_t errlen)
{
	struct user_regs_struct saved = *g;
	uint64_t rfbm = (((uint64_t)(uint32_t)g->rdx << 32) | (uint32_t)g->rax) & xcr0;
	int status;

	set32(&g->rax, (uint32_t)rfbm);
	set32(&g->rdx, (uint32_t)(rfbm >> 32));
	if (task_set_gregs(p, t, g) < 0 ||
	    process_write_memory(p, s->addr, s->orig, INSN_TRAP_LEN) != INSN_TRAP_LEN) {
		snprintf(err, errlen, "thread %d: preparing %s at %#" PRIx64
			 ": %s", (int)t->tid, insn_site_mnemonic(s), s->addr,
			 p->err);
		return -1;
	}
	for (;;) {
		if (ptrace(PTRACE_SINGLESTEP, t->tid, 0, 0) < 0 ||
		    waitpid(t->tid, &status, __WALL) < 0 || !WIFSTOPPED(status)) {
			snprintf(err, errlen, "thread %d: single-stepping %s at %#"
				 PRIx64 ": %s", (int)t->tid, insn_site_mnemonic(s),
				 s->addr, WIFSTOPPED(status) ? strerror(errno) :
				 "thread ended");
			return -1;
		}
		int sig = WSTOPSIG(status);
		if (sig == SIGTRAP)
			break;
		siginfo_t si;
		ptrace(PTRACE_GETSIGINFO, t->tid, 0, &si);
		if (si.si_code > 0 && sig != SIGCHLD) {
			/* The instruction faulted (bad or misaligned buffer). */
			*fault = si;
			*result = INSN_TRAP_FAULTED;
			break;
		}
		/* An asynchronous signal came first: hold it, siginfo and
		 * all (a POSIX timer's si_value must survive), for the caller
		 * to deliver once the instruction has run. */
		if (iv->nheld < INSN_VIRT_MAX_HELD)
			iv->held[iv->nheld++] = si;
	}
	if (process_write_memory(p, s->addr, trap_bytes, INSN_TRAP_LEN) != INSN_TRAP_LEN ||
	    task_get_gregs(p, t, g) < 0) {
		snprintf(err, errlen, "thread %d: after %s at %#" PRIx64 ": %s",
			 (int)t->tid, insn_site_mnemonic(s), s->addr, p->err);
		return -1;
	}
	g->rax = saved.rax;
	g->rdx = saved.rdx;
	return 0;
}

int insn_virt_handle_trap(struct insn_virt *iv, struct process *p,
			  struct task *t, uint64_t xcr0, siginfo_t *fault,
			  char *err, size_t errlen)
{
	struct user_regs_struct g;
	struct cpuid_leaf c;
	int result = INSN_TRAP_EMULATED;
	uint64_t t0 = now_ns();

	if (task_get_gregs(p, t, &g) < 0) {
		snprintf(err, errlen, "thread %d: registers: %s", (int)t->tid, p->err);
		return -1;
	}
	const struct insn_site *s = insn_virt_site_at(iv, g.rip);
	if (!s)
		return INSN_TRAP_NOT_OURS;
	switch (s->kind) {
	case INSN_CPUID:
		insn_virt_cpuid(&iv->cpu, xcr0, (uint32_t)g.rax, (uint32_t)g.rcx, &c);
		set32(&g.rax, c.eax);
		set32(&g.rbx, c.ebx);
		set32(&g.rcx, c.ecx);
		set32(&g.rdx, c.edx);
		g.rip += s->len;
		break;
	case INSN_XGETBV: {
		uint64_t v = (uint32_t)g.rcx == 1 ? xinuse(p, t) & xcr0 :
			     (uint32_t)g.rcx == 0 ? xcr0 : 0;
		set32(&g.rax, (uint32_t)v);
		set32(&g.rdx, (uint32_t)(v >> 32));
		g.rip += s->len;
		break;
	}
	case INSN_XSAVE:
	case INSN_XRSTOR:
		if (step_original(iv, p, t, s, &g, xcr0, fault, &result, err,
				  errlen) < 0)
			return -1;
		break;
	}
	if (task_set_gregs(p, t, &g) < 0) {
		snprintf(err, errlen, "thread %d: registers: %s", (int)t->tid, p->err);
		return -1;
	}
	iv->stats.traps[s->kind]++;
	iv->stats.trap_ns += now_ns() - t0;
	return result;
}

/* ---- trace records ------------------------------------------------------------- */

int insn_sites_encode(uint64_t event, const struct insn_site *s, size_t n,
		      struct trace_buf *out)
{
	trace_buf_put_u64(out, event);
	trace_buf_put_u32(out, (uint32_t)n);
	for (size_t i = 0; i < n; i++) {
		trace_buf_put_u64(out, s[i].addr);
		trace_buf_put_u8(out, s[i].kind);
		trace_buf_put_u16(out, s[i].mnemonic);
		trace_buf_put_u8(out, s[i].len);
		trace_buf_put_bytes(out, s[i].orig, s[i].len);
	}
	return 0;
}

int insn_sites_decode(const void *data, size_t len, uint64_t *event,
		      struct insn_site **sites, size_t *n)
{
	struct trace_cursor c;

	trace_cursor_init(&c, data, len);
	*event = trace_cursor_u64(&c);
	uint32_t count = trace_cursor_u32(&c);
	if (c.failed || count > len / 12) {
		*sites = NULL;
		*n = 0;
		return -1;
	}
	struct insn_site *v = calloc(count ? count : 1, sizeof(*v));
	if (!v)
		return -1;
	for (uint32_t i = 0; i < count && !c.failed; i++) {
		v[i].addr = trace_cursor_u64(&c);
		v[i].kind = trace_cursor_u8(&c);
		v[i].mnemonic = trace_cursor_u16(&c);
		v[i].len = trace_cursor_u8(&c);
		if (v[i].len < INSN_TRAP_LEN || v[i].len > INSN_MAX_LEN ||
		    v[i].kind < INSN_CPUID || v[i].kind > INSN_XRSTOR) {
			c.failed = true;
			break;
		}
		trace_cursor_bytes(&c, v[i].orig, v[i].len);
	}
	if (c.failed || trace_cursor_left(&c)) {
		free(v);
		*sites = NULL;
		*n = 0;
		return -1;
	}
	*sites = v;
	*n = count;
	return 0;
}
