/* The recorder's view of the address space: the state at exec (EV_EXEC),
 * the vdso rewrite, file mappings, and the CPUID table of the header. */
#include "config.h"

#include <cpuid.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <inttypes.h>
#include <libelf.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <linux/magic.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "replay/ns_view.h"
#include "replay/recorder_internal.h"
#include "replay/trace_codec.h"
#include "replay/xsave.h"

/* ---- CPUID ---------------------------------------------------------------- */

static int add_leaf(struct trace_header *h, uint32_t leaf, uint32_t sub,
		    struct cpuid_leaf *out)
{
	struct cpuid_leaf l = { .leaf = leaf, .subleaf = sub };

	__cpuid_count(leaf, sub, l.eax, l.ebx, l.ecx, l.edx);
	if (out)
		*out = l;
	return trace_header_add_cpuid(h, &l);
}

/* How many sub-leaves a leaf has; 1 for plain leaves. */
static uint32_t subleaf_count(uint32_t leaf, const struct cpuid_leaf *l0)
{
	switch (leaf) {
	case 0x7: case 0x14: case 0x17: case 0x18: case 0x1d: case 0x20:
	case 0x23: case 0x24:
		return l0->eax + 1 > 64 ? 64 : l0->eax + 1;
	case 0xd:
		return 64;      /* all of them, as the issue and rr require */
	case 0xf: case 0x10: case 0x12: case 0x80000020:
		return 4;
	default:
		return 1;
	}
}

/* Leaves whose sub-leaves end at the first "type 0" answer. */
static bool ends_at_type0(uint32_t leaf, const struct cpuid_leaf *l)
{
	switch (leaf) {
	case 0x4: case 0x8000001d:
		return (l->eax & 0x1f) == 0;
	case 0xb: case 0x1f: case 0x80000026:
		return ((l->ecx >> 8) & 0xff) == 0;
	default:
		return false;
	}
}

static bool enumerated_by_type(uint32_t leaf)
{
	return leaf == 0x4 || leaf == 0x8000001d || leaf == 0xb ||
	       leaf == 0x1f || leaf == 0x80000026;
}

static int add_range(struct trace_header *h, uint32_t first)
{
	struct cpuid_leaf l0;

	if (add_leaf(h, first, 0, &l0) < 0)
		return -1;
	uint32_t last = l0.eax;
	if (last < first || last - first > 0x100)
		last = first;
	for (uint32_t leaf = first; leaf <= last; leaf++) {
		struct cpuid_leaf l;
		if (leaf != first && add_leaf(h, leaf, 0, &l) < 0)
			return -1;
		if (leaf == first)
			l = l0;
		if (enumerated_by_type(leaf)) {
			for (uint32_t s = 1; s < 64 && !ends_at_type0(leaf, &l); s++)
				if (add_leaf(h, leaf, s, &l) < 0)
					return -1;
			continue;
		}
		uint32_t n = subleaf_count(leaf, &l);
		for (uint32_t s = 1; s < n; s++)
			if (add_leaf(h, leaf, s, NULL) < 0)
				return -1;
	}
	return 0;
}

/* CPUID answers differ between CPUs (APIC ids, cache topology); the
 * program sees those of the CPU it is bound to, so ask there. */
int rec_fill_cpuid(struct trace_header *h, int cpu, char *err, size_t errlen)
{
	cpu_set_t old, one;

	if (sched_getaffinity(0, sizeof(old), &old) < 0) {
		snprintf(err, errlen, "sched_getaffinity: %s", strerror(errno));
		return -1;
	}
	CPU_ZERO(&one);
	CPU_SET(cpu, &one);
	if (sched_setaffinity(0, sizeof(one), &one) < 0) {
		snprintf(err, errlen, "binding to CPU %d: %s", cpu, strerror(errno));
		return -1;
	}
	int rc = add_range(h, 0);
	if (rc == 0)
		rc = add_range(h, 0x80000000u);
	sched_setaffinity(0, sizeof(old), &old);
	if (rc < 0)
		snprintf(err, errlen, "CPUID table: out of memory");
	return rc;
}

/* ---- /proc/PID/maps ------------------------------------------------------- */

struct map_line {
	uint64_t start, end, offset, inode;
	char perms[5];
	char path[4096];
};

static bool parse_map_line(const char *line, struct map_line *m)
{
	int pos = 0;
	unsigned long dmaj, dmin;

	m->path[0] = 0;
	if (sscanf(line, "%" SCNx64 "-%" SCNx64 " %4s %" SCNx64 " %lx:%lx %" SCNu64 " %n",
		   &m->start, &m->end, m->perms, &m->offset, &dmaj, &dmin,
		   &m->inode, &pos) < 7)
		return false;
	snprintf(m->path, sizeof(m->path), "%s", line + pos);
	size_t n = strlen(m->path);
	while (n && (m->path[n - 1] == '\n' || m->path[n - 1] == ' '))
		m->path[--n] = 0;
	return true;
}

static FILE *open_maps(struct recorder *r)
{
	char name[64];

	snprintf(name, sizeof(name), "/proc/%d/maps", (int)r->proc->pid);
	FILE *f = fopen(name, "re");
	if (!f)
		rec_fail(r, "%s: %s", name, strerror(errno));
	return f;
}

int rec_mapping_of(struct recorder *r, uint64_t addr, uint64_t *start,
		   uint64_t *end)
{
	FILE *f = open_maps(r);
	char line[4300];
	struct map_line m;
	int rc = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (parse_map_line(line, &m) && addr >= m.start && addr < m.end) {
			*start = m.start;
			*end = m.end;
			rc = 0;
			break;
		}
	fclose(f);
	return rc;
}

static uint32_t perms_prot(const char *p)
{
	return (p[0] == 'r' ? PROT_READ : 0) | (p[1] == 'w' ? PROT_WRITE : 0) |
	       (p[2] == 'x' ? PROT_EXEC : 0);
}

/* Kernel areas that cannot be read through ptrace or are rebuilt by the
 * kernel of the replaying machine anyway. */
static bool unreadable_special(const char *path)
{
	return strcmp(path, "[vvar]") == 0 || strcmp(path, "[vsyscall]") == 0 ||
	       strcmp(path, "[vvar_vclock]") == 0;
}

static bool is_file_mapping(const struct map_line *m)
{
	return m->inode != 0 && m->path[0] == '/';
}

/* Store the file behind a mapping, by the name the program sees it
 * under (its mount namespace, its root: replay/ns_view.h); a deleted or
 * replaced file is read through /proc/PID/map_files, which still
 * reaches the mapped inode. */
static int store_mapped_file(struct recorder *r, const struct map_line *m,
			     struct trace_file_id *id)
{
	char err[512], alt[4200];

	if (ns_view_path(r->proc->pid, m->path, m->inode, alt, sizeof(alt)) &&
	    trace_store_file_as(r->trace, alt, m->path, id, err,
				sizeof(err)) == 0)
		return 0;
	snprintf(alt, sizeof(alt), "/proc/%d/map_files/%" PRIx64 "-%" PRIx64,
		 (int)r->proc->pid, m->start, m->end);
	if (trace_store_file_as(r->trace, alt, m->path, id, err, sizeof(err)) == 0)
		return 0;
	return rec_fail(r, "event %" PRIu64 ": storing mapped file %s: %s",
			r->nevents, m->path, err);
}

/* ---- the vdso ------------------------------------------------------------- */

static const struct {
	const char *name;
	int nr;
} vdso_time_functions[] = {
	{ "clock_gettime", 228 }, { "__vdso_clock_gettime", 228 },
	{ "gettimeofday", 96 }, { "__vdso_gettimeofday", 96 },
	{ "time", 201 }, { "__vdso_time", 201 },
	{ "getcpu", 309 }, { "__vdso_getcpu", 309 },
	{ "clock_getres", 229 }, { "__vdso_clock_getres", 229 },
};

static int vdso_syscall_nr(const char *name)
{
	for (size_t i = 0; i < sizeof(vdso_time_functions) / sizeof(vdso_time_functions[0]); i++)
		if (strcmp(vdso_time_functions[i].name, name) == 0)
			return vdso_time_functions[i].nr;
	return -1;
}

/* The vdso's link-time address of file offset 0 (its first PT_LOAD). */
static int vdso_link_base(Elf *e, uint64_t *base)
{
	size_t n;

	if (elf_getphdrnum(e, &n) != 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		GElf_Phdr ph;
		if (gelf_getphdr(e, (int)i, &ph) && ph.p_type == PT_LOAD) {
			*base = ph.p_vaddr - ph.p_offset;
			return 0;
		}
	}
	return -1;
}

static int patch_one(struct recorder *r, uint64_t addr, int nr)
{
	/* mov $nr,%eax; syscall; ret */
	uint8_t code[8] = { 0xb8, (uint8_t)nr, (uint8_t)(nr >> 8), 0, 0,
			    0x0f, 0x05, 0xc3 };
	if (process_write_memory(r->proc, addr, code, sizeof(code)) !=
	    (ssize_t)sizeof(code))
		return rec_fail(r, "patching the vdso at %#" PRIx64 ": %s",
				addr, r->proc->err);
	return 0;
}

/* Rewrite the time functions of the vdso (image already read into buf)
 * into real syscalls, which are then recorded like any other. */
static int patch_vdso_symbols(struct recorder *r, uint8_t *buf, size_t len,
			      uint64_t start)
{
	Elf *e = elf_memory((char *)buf, len);
	uint64_t base = 0;
	int rc = 0, patched = 0;

	if (!e || vdso_link_base(e, &base) < 0) {
		if (e)
			elf_end(e);
		return rec_fail(r, "the vdso at %#" PRIx64 " is not an ELF image"
				" libelf understands: %s", start, elf_errmsg(-1));
	}
	Elf_Scn *scn = NULL;
	while (rc == 0 && (scn = elf_nextscn(e, scn))) {
		GElf_Shdr sh;
		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_DYNSYM)
			continue;
		Elf_Data *d = elf_getdata(scn, NULL);
		size_t count = sh.sh_entsize ? sh.sh_size / sh.sh_entsize : 0;
		for (size_t i = 0; d && i < count && rc == 0; i++) {
			GElf_Sym sym;
			if (!gelf_getsym(d, (int)i, &sym) || sym.st_value == 0)
				continue;
			const char *name = elf_strptr(e, sh.sh_link, sym.st_name);
			int nr = name ? vdso_syscall_nr(name) : -1;
			if (nr < 0)
				continue;
			rc = patch_one(r, start + sym.st_value - base, nr);
			patched++;
		}
	}
	elf_end(e);
	if (rc == 0 && patched == 0)
		return rec_fail(r, "no time functions found in the vdso's symbols");
	return rc;
}

static int patch_vdso(struct recorder *r, const struct map_line *m)
{
	size_t len = m->end - m->start;
	uint8_t *buf = malloc(len);

	if (!buf)
		return rec_fail(r, "vdso: out of memory");
	if (process_read_memory(r->proc, m->start, buf, len) != (ssize_t)len) {
		free(buf);
		return rec_fail(r, "reading the vdso: %s", r->proc->err);
	}
	elf_version(EV_CURRENT);
	int rc = patch_vdso_symbols(r, buf, len, m->start);
	free(buf);
	return rc;
}

/* ---- EV_EXEC ---------------------------------------------------------------- */

struct exec_capture {
	struct trace_mapping *maps;
	size_t nmaps;
	struct sc_region *mem;
	size_t nmem;
};

static int grow(void **arr, size_t n, size_t elem)
{
	if ((n & (n - 1)) == 0) {
		void *p = realloc(*arr, (n ? n * 2 : 8) * elem);
		if (!p)
			return -1;
		*arr = p;
	}
	return 0;
}

/* Memory whose bytes the files do not give: anonymous memory, the stack,
 * the vdso (patched), and writable private file mappings (the kernel
 * zeroed the tail of the last data page; relocations may follow). */
static bool needs_bytes(const struct map_line *m)
{
	if (unreadable_special(m->path) || m->perms[0] != 'r')
		return false;
	if (!is_file_mapping(m))
		return true;
	return m->perms[1] == 'w' && m->perms[3] == 'p';
}

static int capture_mapping(struct recorder *r, struct exec_capture *c,
			   const struct map_line *m)
{
	if (grow((void **)&c->maps, c->nmaps, sizeof(*c->maps)) < 0)
		return rec_fail(r, "EV_EXEC: out of memory");
	struct trace_mapping *tm = &c->maps[c->nmaps];
	memset(tm, 0, sizeof(*tm));
	tm->start = m->start;
	tm->end = m->end;
	tm->prot = perms_prot(m->perms);
	tm->flags = (m->perms[3] == 's' ? MAP_SHARED : MAP_PRIVATE) |
		    (is_file_mapping(m) ? 0 : MAP_ANONYMOUS);
	tm->offset = m->offset;
	tm->path = strdup(m->path);
	if (!tm->path)
		return rec_fail(r, "EV_EXEC: out of memory");
	c->nmaps++;
	if (is_file_mapping(m) && store_mapped_file(r, m, &tm->file) < 0)
		return -1;
	if (!needs_bytes(m))
		return 0;
	if (grow((void **)&c->mem, c->nmem, sizeof(*c->mem)) < 0)
		return rec_fail(r, "EV_EXEC: out of memory");
	c->mem[c->nmem++] = (struct sc_region){ m->start, m->end - m->start };
	return 0;
}

static int capture_maps(struct recorder *r, struct exec_capture *c)
{
	FILE *f = open_maps(r);
	char line[4300];
	struct map_line m;
	int rc = 0;

	if (!f)
		return -1;
	while (rc == 0 && fgets(line, sizeof(line), f)) {
		if (!parse_map_line(line, &m))
			continue;
		if (strcmp(m.path, "[vdso]") == 0)
			rc = patch_vdso(r, &m);
		if (rc == 0)
			rc = capture_mapping(r, c, &m);
	}
	fclose(f);
	return rc;
}

uint64_t rec_thread_xcr0(struct recorder *r, struct rthread *t)
{
	uint8_t buf[8192];
	struct task *tk = process_find_task(r->proc, t->tid);
	uint64_t xcr0 = 0;

	if (tk && task_get_xstate(r->proc, tk, buf, sizeof(buf)) >=
		  XSAVE_SW_XCR0_OFFSET + 8)
		memcpy(&xcr0, buf + XSAVE_SW_XCR0_OFFSET, 8);
	return rec_xcr0_of_thread(r, xcr0);
}

/* The new image's argv, from its stack (argc at rsp, then the pointers):
 * for `xrr ps`.  Best effort: a string that cannot be read ends it. */
#define EXEC_ARGV_MAX 4096
#define EXEC_ARG_MAX 4096

static void read_exec_argv(struct recorder *r, uint64_t rsp,
			   struct ev_exec *e)
{
	uint64_t argc = 0;

	if (process_read_memory(r->proc, rsp, &argc, 8) != 8 || !argc)
		return;
	if (argc > EXEC_ARGV_MAX)
		argc = EXEC_ARGV_MAX;
	e->argv = calloc(argc, sizeof(*e->argv));
	char *buf = malloc(EXEC_ARG_MAX + 1);
	for (uint64_t i = 0; e->argv && buf && i < argc; i++) {
		uint64_t ptr = 0;
		if (process_read_memory(r->proc, rsp + 8 + 8 * i, &ptr, 8) != 8)
			break;
		ssize_t n = process_read_memory(r->proc, ptr, buf, EXEC_ARG_MAX);
		if (n <= 0)
			break;
		buf[n] = 0;
		if (!(e->argv[i] = strdup(buf)))
			break;
		e->argc++;
	}
	free(buf);
}

static void free_exec_argv(struct ev_exec *e)
{
	for (size_t i = 0; i < e->argc; i++)
		free(e->argv[i]);
	free(e->argv);
	e->argv = NULL;
	e->argc = 0;
}

int rec_record_exec(struct recorder *r, struct rthread *t)
{
	struct task *tk = process_find_task(r->proc, t->tid);
	struct exec_capture c = { 0 };
	struct trace_event ev = { .type = EV_EXEC, .tid = t->tid };
	uint8_t *xs = malloc(r->xstate_size);

	/* Named by the tid that called execve (docs/trace-format.md). */
	if (t->exec_former_tid) {
		ev.tid = t->exec_former_tid;
		t->exec_former_tid = 0;
	}
	int rc = -1;

	if (!tk || !xs) {
		free(xs);
		return rec_fail(r, "EV_EXEC: thread %d unknown", (int)t->tid);
	}
	ssize_t xl = task_get_xstate(r->proc, tk, xs, r->xstate_size);
	if (task_get_gregs(r->proc, tk, &ev.u.exec.regs) < 0 || xl < 0) {
		rec_fail(r, "EV_EXEC: registers of thread %d: %s", (int)t->tid,
			 r->proc->err);
		goto out;
	}
	if (rec_xcr0_exec(r, t) < 0 || capture_maps(r, &c) < 0)
		goto out;
	t->xcr0 = 0;
	if (xl >= XSAVE_SW_XCR0_OFFSET + 8)
		memcpy(&t->xcr0, xs + XSAVE_SW_XCR0_OFFSET, 8);
	t->xcr0 = rec_xcr0_of_thread(r, t->xcr0);
	ev.u.exec.xstate = xs;
	ev.u.exec.xstate_len = (size_t)xl;
	ev.u.exec.xcr0 = t->xcr0;
	ev.u.exec.maps = c.maps;
	ev.u.exec.nmaps = c.nmaps;
	read_exec_argv(r, ev.u.exec.regs.rsp, &ev.u.exec);
	rc = rec_emit_writes(r, &ev, &ev.u.exec.mem, &ev.u.exec.nmem, c.mem,
			     c.nmem);
	if (rc == 0) {
		struct trace_header *h = trace_header_mut(r->trace);
		if (h->initial_xcr0 == 0)
			h->initial_xcr0 = t->xcr0;
		trace_header_set_thread_xcr0(h, t->tid, t->xcr0);
	}
out:
	for (size_t i = 0; i < c.nmaps; i++)
		free(c.maps[i].path);
	free(c.maps);
	free(c.mem);
	free(ev.u.exec.mem);
	free_exec_argv(&ev.u.exec);
	free(xs);
	return rc;
}

/* ---- mmap of a file --------------------------------------------------------- */

/* Memory of a file that replay cannot take from a stored copy: what a
 * MAP_SHARED mapping shares with other processes, and memfd/tmpfs files
 * (often huge and sparse).  Replay maps anonymous memory instead (shared
 * when the recording's was, so that replayed parents and children still
 * share it) and writes these regions: the file's data extents inside the
 * mapping (SEEK_DATA/SEEK_HOLE: holes of a 1 GiB memfd cost nothing). */
#define MMAP_MAX_EXTENTS 64

/* The mmaps record of a mapping made at the current event. */
static int write_mmap_record(struct recorder *r,
			     const struct trace_mmap_record *m)
{
	struct trace_buf b;

	trace_buf_init(&b);
	int rc = trace_mmap_encode(m, &b);
	if (rc == 0)
		rc = trace_writer_append(r->w[TRACE_STREAM_MMAPS],
					 TRACE_REC_MMAP, b.data, b.len);
	trace_buf_free(&b);
	if (rc < 0)
		return rec_fail(r, "writing the mmaps stream: %s",
				trace_writer_error(r->w[TRACE_STREAM_MMAPS]));
	return 0;
}

/* How many more regions one mapping's contents may take. */
static size_t extents_room(size_t max, size_t used)
{
	size_t room = max > used ? max - used : 0;

	return room < MMAP_MAX_EXTENTS ? room : MMAP_MAX_EXTENTS;
}

static size_t mapped_extents(const char *fdpath, uint64_t addr, uint64_t len,
			     uint64_t offset, struct sc_region *out, size_t max)
{
	int fd = max ? open(fdpath, O_RDONLY | O_CLOEXEC) : -1;
	size_t n = 0;
	struct stat st;

	if (!max)
		return 0;
	if (fd < 0 || fstat(fd, &st) < 0) {
		/* Unreadable to us: the whole mapping, over-approximated. */
		if (fd >= 0)
			close(fd);
		out[0] = (struct sc_region){ addr, len };
		return 1;
	}
	uint64_t end = offset + len;
	if (end > (uint64_t)st.st_size)
		end = (uint64_t)st.st_size;
	off_t pos = (off_t)offset;
	while ((uint64_t)pos < end) {
		off_t data = lseek(fd, pos, SEEK_DATA);
		if (data < 0 || (uint64_t)data >= end)
			break;
		off_t hole = lseek(fd, data, SEEK_HOLE);
		if (hole < 0 || (uint64_t)hole > end)
			hole = (off_t)end;
		if (n == max) {
			/* Too fragmented: one region to the end instead. */
			out[n - 1].len = end - offset - (out[n - 1].addr - addr);
			break;
		}
		out[n++] = (struct sc_region){ addr + ((uint64_t)data - offset),
					       (uint64_t)(hole - data) };
		pos = hole;
	}
	close(fd);
	return n;
}

/* Opened for writing?  A shared mapping of a read-only fd can never be
 * written through, so it is as good as a private one. */
static bool fd_writable(pid_t pid, int fd)
{
	char path[64], text[256];

	snprintf(path, sizeof(path), "/proc/%d/fdinfo/%d", (int)pid, fd);
	int f = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n = f >= 0 ? read(f, text, sizeof(text) - 1) : -1;
	if (f >= 0)
		close(f);
	if (n <= 0)
		return true;    /* unknown: the safe answer */
	text[n] = 0;
	const char *flags = strstr(text, "flags:");
	if (!flags)
		return true;
	return (strtoul(flags + 6, NULL, 8) & O_ACCMODE) != O_RDONLY;
}

static bool on_shmem(const char *fdpath)
{
	struct statfs sf;

	return statfs(fdpath, &sf) == 0 &&
	       (sf.f_type == TMPFS_MAGIC || sf.f_type == HUGETLBFS_MAGIC);
}

/* Regions of [addr, addr+len) holding non-zero bytes, in 64 KiB steps:
 * a segment's untouched pages cost nothing in the trace. */
static size_t nonzero_regions(struct recorder *r, uint64_t addr, uint64_t len,
			      struct sc_region *out, size_t max)
{
	enum { STEP = 64 * 1024 };
	static uint8_t buf[STEP];
	size_t n = 0;

	for (uint64_t off = 0; off < len && max; off += STEP) {
		size_t want = len - off < STEP ? (size_t)(len - off) : STEP;
		bool data = process_read_memory(r->proc, addr + off, buf, want) !=
			    (ssize_t)want;  /* unreadable: keep, to be safe */
		for (size_t i = 0; i < want && !data; i++)
			data = buf[i] != 0;
		if (!data)
			continue;
		if (n && out[n - 1].addr + out[n - 1].len == addr + off) {
			out[n - 1].len += want;
		} else if (n == max) {
			out[n - 1].len = addr + len - out[n - 1].addr;
			break;
		} else {
			out[n++] = (struct sc_region){ addr + off, want };
		}
	}
	return n;
}

/* shmat: the attached segment, as an mmaps record without a file (its
 * extent) and its non-zero contents as regions of the event. */
int rec_record_shmat(struct recorder *r, struct rthread *t, uint64_t addr,
		     uint64_t shmflg, struct sc_region *regions,
		     size_t *nregions, size_t max)
{
	struct trace_mmap_record m = { .event = r->nevents, .tid = t->tid };
	uint64_t start, end;

	if (rec_mapping_of(r, addr, &start, &end) < 0 || start != addr)
		return rec_fail(r, "event %" PRIu64 ": shmat at 0x%" PRIx64
				": no such mapping in /proc/%d/maps", r->nevents,
				addr, (int)r->proc->pid);
	m.map.start = start;
	m.map.end = end;
	m.map.prot = PROT_READ | (shmflg & SHM_RDONLY ? 0 : PROT_WRITE) |
		     (shmflg & SHM_EXEC ? PROT_EXEC : 0);
	m.map.flags = MAP_SHARED;
	m.map.path = "[sysv-shm]";
	*nregions += nonzero_regions(r, start, end - start, regions + *nregions,
				     extents_room(max, *nregions));
	return write_mmap_record(r, &m);
}

int rec_record_mmap(struct recorder *r, struct rthread *t, uint64_t addr,
		    uint64_t len, uint64_t prot, uint64_t flags, int fd,
		    uint64_t offset, struct sc_region *regions, size_t *nregions,
		    size_t max)
{
	char fdpath[64], path[4096], err[512];
	struct stat st;
	struct trace_mmap_record m = { .event = r->nevents, .tid = t->tid };

	snprintf(fdpath, sizeof(fdpath), "/proc/%d/fd/%d", (int)r->proc->pid, fd);
	ssize_t n = readlink(fdpath, path, sizeof(path) - 1);
	if (n < 0 || stat(fdpath, &st) < 0)
		return rec_fail(r, "event %" PRIu64 ": mmap of fd %d: %s: %s",
				r->nevents, fd, fdpath, strerror(errno));
	path[n] = 0;
	m.map.start = addr;
	m.map.end = addr + ((len + 4095) & ~(uint64_t)4095);
	m.map.prot = (uint32_t)prot;
	m.map.flags = (uint32_t)flags;
	m.map.offset = offset;
	m.map.path = path;
	bool shared = ((flags & MAP_TYPE) == MAP_SHARED ||
		       (flags & MAP_TYPE) == MAP_SHARED_VALIDATE) &&
		      fd_writable(r->proc->pid, fd);
	if (S_ISREG(st.st_mode) && !shared && !on_shmem(fdpath)) {
		/* The fd reaches the mapped inode even if the name is gone. */
		if (trace_store_file_as(r->trace, fdpath, path, &m.map.file,
					err, sizeof(err)) < 0)
			return rec_fail(r, "event %" PRIu64 ": storing %s (mmap of"
					" fd %d): %s", r->nevents, path, fd, err);
	} else if (S_ISREG(st.st_mode)) {
		/* Anonymous in replay, contents as regions (no file id);
		 * shared ones name their file, so that replay gives every
		 * mapping of it (another process's, after an exec) one
		 * memory. */
		if (shared) {
			m.shared_dev = (uint64_t)st.st_dev;
			m.shared_ino = (uint64_t)st.st_ino;
		}
		*nregions += mapped_extents(fdpath, addr, m.map.end - addr,
					    offset, regions + *nregions,
					    extents_room(max, *nregions));
	} else if (strcmp(path, "anon_inode:bpf-map") == 0) {
		/* BPF_F_MMAPABLE arrays, ring buffers, arenas */
		return rec_fail(r, "event %" PRIu64 ": mmap of a bpf map (fd %d):"
				" the kernel shares that memory with bpf programs,"
				" which write it at any time; replay cannot"
				" reproduce it: refusing to record it",
				r->nevents, fd);
	} else if (strcmp(path, "/dev/zero") != 0) {
		return rec_fail(r, "event %" PRIu64 ": mmap of %s (fd %d), which"
				" is not a regular file, cannot be recorded",
				r->nevents, path, fd);
	}
	return write_mmap_record(r, &m);
}
