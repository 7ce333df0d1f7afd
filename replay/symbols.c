/* The symbolizer (replay/symbols.h): stored files opened on demand,
 * address spaces, lookups and their text, and following a trace's
 * address spaces without replaying it. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "replay/symbols_internal.h"

/* ---- the table of stored files ------------------------------------------------ */

/* Best effort: a filemap that does not read leaves names unknown. */
static void load_filemap(struct sym_table *st)
{
	char err[256];

	(void)trace_filemap_load(st->t, &st->filemap, &st->nfilemap, err,
				 sizeof(err));
}

struct sym_table *sym_table_open(const struct trace *t)
{
	struct sym_table *st = calloc(1, sizeof(*st));

	if (!st)
		return NULL;
	elf_version(EV_CURRENT);
	st->t = t;
	load_filemap(st);
	return st;
}

static void object_free(struct sym_object *o)
{
	sym_dwarf_close(&o->main);
	sym_dwarf_close(&o->debug);
	sym_elf_free(o);
	if (o->fd >= 0)
		close(o->fd);
	free(o->path);
}

void sym_table_free(struct sym_table *st)
{
	if (!st)
		return;
	for (size_t i = 0; i < st->nobjs; i++)
		object_free(&st->objs[i]);
	free(st->objs);
	trace_file_entries_free(st->filemap, st->nfilemap);
	free(st);
}

static const char *recorded_path(const struct sym_table *st, const char *id)
{
	for (size_t i = 0; i < st->nfilemap; i++)
		if (strcmp(st->filemap[i].id.hex, id) == 0)
			return st->filemap[i].path;
	return NULL;
}

/* A stored file recorded under exactly this path: an fd, or -1. */
static int open_stored_path(const struct sym_table *st, const char *path)
{
	char err[256];

	for (size_t i = 0; i < st->nfilemap; i++)
		if (strcmp(st->filemap[i].path, path) == 0)
			return trace_open_file(st->t, st->filemap[i].id.hex, err,
					       sizeof(err));
	return -1;
}

/* By build-id: a stored file whose recorded path ends like
 * /usr/lib/debug's (what `xrr pack` adds), TRACE/debug/.build-id/,
 * else this machine's /usr/lib/debug.  An fd or -1. */
static int open_by_build_id(const struct sym_table *st, const char *build_id)
{
	char tail[200], path[4400], err[256];

	if (strlen(build_id) < 3)
		return -1;
	snprintf(tail, sizeof(tail), "/.build-id/%.2s/%s.debug", build_id,
		 build_id + 2);
	size_t tl = strlen(tail);
	for (size_t i = 0; i < st->nfilemap; i++) {
		const char *p = st->filemap[i].path;
		size_t pl = strlen(p);
		if (pl >= tl && strcmp(p + pl - tl, tail) == 0) {
			int fd = trace_open_file(st->t, st->filemap[i].id.hex, err,
						 sizeof(err));
			if (fd >= 0)
				return fd;
		}
	}
	snprintf(path, sizeof(path), "%s/debug%s", trace_dir(st->t), tail);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0)
		return fd;
	snprintf(path, sizeof(path), "/usr/lib/debug%s", tail);
	return open(path, O_RDONLY | O_CLOEXEC);
}

/* By .gnu_debuglink, in GDB's places (beside the file, .debug/ there,
 * /usr/lib/debug + its directory): stored in the trace first, then on
 * this machine.  An fd or -1. */
static int open_by_debuglink(const struct sym_table *st,
			     const struct sym_object *o)
{
	const char *slash = strrchr(o->path, '/');
	char cand[3][4400];

	if (!o->debuglink[0] || !slash)
		return -1;
	int dl = (int)(slash - o->path);
	snprintf(cand[0], sizeof(cand[0]), "%.*s/%s", dl, o->path, o->debuglink);
	snprintf(cand[1], sizeof(cand[1]), "%.*s/.debug/%s", dl, o->path,
		 o->debuglink);
	snprintf(cand[2], sizeof(cand[2]), "/usr/lib/debug%.*s/%s", dl, o->path,
		 o->debuglink);
	for (int pass = 0; pass < 2; pass++)
		for (int i = 0; i < 3; i++) {
			if (strcmp(cand[i], o->path) == 0)
				continue;       /* a link to itself */
			int fd = pass == 0 ? open_stored_path(st, cand[i])
					   : open(cand[i], O_RDONLY | O_CLOEXEC);
			if (fd >= 0)
				return fd;
		}
	return -1;
}

static void object_open(struct sym_table *st, struct sym_object *o)
{
	char err[256];

	o->opened = true;
	o->fd = trace_open_file(st->t, o->id, err, sizeof(err));
	if (o->fd < 0 || sym_elf_load(o) < 0)
		return;
	o->usable = true;
	sym_dwarf_open(&o->main, dup(o->fd));
	if (!sym_elf_has_debug_info(o->elf)) {
		int fd = o->build_id[0] ? open_by_build_id(st, o->build_id) : -1;
		if (fd < 0)
			fd = open_by_debuglink(st, o);
		if (fd >= 0) {
			sym_dwarf_open(&o->debug, fd);
			o->has_debug_file = o->debug.dbg != NULL;
			if (!o->has_symtab)
				sym_elf_add_debug_symbols(o, o->debug.fd);
		}
	}
}

static struct sym_object *table_object(struct sym_table *st, const char *id)
{
	for (size_t i = 0; i < st->nobjs; i++)
		if (strcmp(st->objs[i].id, id) == 0)
			return &st->objs[i];
	if (st->nobjs == st->cap) {
		size_t ncap = st->cap ? 2 * st->cap : 16;
		struct sym_object *v = realloc(st->objs, ncap * sizeof(*v));
		if (!v)
			return NULL;
		st->objs = v;
		st->cap = ncap;
	}
	struct sym_object *o = &st->objs[st->nobjs++];
	memset(o, 0, sizeof(*o));
	o->fd = o->main.fd = o->debug.fd = -1;
	snprintf(o->id, sizeof(o->id), "%s", id);
	const char *p = recorded_path(st, id);
	o->path = strdup(p ? p : "");
	object_open(st, o);
	return o;
}

/* ---- address spaces --------------------------------------------------------------- */

struct sym_map {
	uint64_t start, end, offset;
	char id[TRACE_FILE_ID_LEN + 1];
	char *path;
};

struct sym_space {
	struct sym_map *maps;
	size_t n, cap;
};

struct sym_space *sym_space_new(void)
{
	return calloc(1, sizeof(struct sym_space));
}

void sym_space_clear(struct sym_space *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->maps[i].path);
	s->n = 0;
}

void sym_space_free(struct sym_space *s)
{
	if (!s)
		return;
	sym_space_clear(s);
	free(s->maps);
	free(s);
}

static int space_push(struct sym_space *s, const struct sym_map *m)
{
	if (s->n == s->cap) {
		size_t ncap = s->cap ? 2 * s->cap : 32;
		struct sym_map *v = realloc(s->maps, ncap * sizeof(*v));
		if (!v)
			return -1;
		s->maps = v;
		s->cap = ncap;
	}
	char *path = strdup(m->path ? m->path : "");
	if (!path)
		return -1;
	s->maps[s->n] = *m;
	s->maps[s->n++].path = path;
	return 0;
}

struct sym_space *sym_space_clone(const struct sym_space *s)
{
	struct sym_space *c = sym_space_new();

	for (size_t i = 0; c && s && i < s->n; i++)
		if (space_push(c, &s->maps[i]) < 0) {
			sym_space_free(c);
			return NULL;
		}
	return c;
}

/* Take [start, end) out of every mapping (munmap semantics). */
static int space_punch(struct sym_space *s, uint64_t start, uint64_t end)
{
	for (size_t i = 0; i < s->n; i++) {
		struct sym_map *m = &s->maps[i];
		if (m->end <= start || m->start >= end)
			continue;
		if (m->start < start && m->end > end) {        /* split */
			struct sym_map right = *m;
			right.offset += end - m->start;
			right.start = end;
			m->end = start;
			if (space_push(s, &right) < 0)
				return -1;
		} else if (m->start < start) {
			m->end = start;
		} else if (m->end > end) {
			m->offset += end - m->start;
			m->start = end;
		} else {
			free(m->path);
			s->maps[i--] = s->maps[--s->n];
		}
	}
	return 0;
}

int sym_space_map(struct sym_space *s, const struct trace_mapping *m)
{
	if (m->end <= m->start || space_punch(s, m->start, m->end) < 0)
		return -1;
	if (!m->file.hex[0])
		return 0;
	struct sym_map sm = { .start = m->start, .end = m->end,
			      .offset = m->offset, .path = m->path };
	snprintf(sm.id, sizeof(sm.id), "%s", m->file.hex);
	return space_push(s, &sm);
}

static bool is_file_id(const char *s)
{
	size_t n = 0;
	while (isxdigit((unsigned char)s[n]) && !isupper((unsigned char)s[n]))
		n++;
	return n == TRACE_FILE_ID_LEN && !s[n];
}

int sym_space_from_proc(struct sym_space *s, const struct sym_table *st,
			pid_t pid, char *err, size_t errlen)
{
	char path[64], line[4600];

	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	FILE *f = fopen(path, "re");
	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	sym_space_clear(s);
	while (fgets(line, sizeof(line), f)) {
		unsigned long long start, end, off;
		int name_at = 0;
		line[strcspn(line, "\n")] = 0;
		if (sscanf(line, "%llx-%llx %*s %llx %*s %*s %n", &start, &end,
			   &off, &name_at) != 3 || !name_at)
			continue;
		const char *name = line + name_at;
		const char *slash = strrchr(name, '/');
		/* The replay maps the trace's stored copies: .../files/<id>. */
		if (!slash || slash - name < 6 || strncmp(slash - 6, "/files", 6) ||
		    !is_file_id(slash + 1))
			continue;
		struct sym_map m = { .start = start, .end = end, .offset = off };
		snprintf(m.id, sizeof(m.id), "%s", slash + 1);
		m.path = (char *)recorded_path(st, m.id);
		if (space_push(s, &m) < 0) {
			fclose(f);
			snprintf(err, errlen, "out of memory");
			return -1;
		}
	}
	fclose(f);
	return 0;
}

static const struct sym_map *space_find(const struct sym_space *s,
					uint64_t addr)
{
	for (size_t i = 0; s && i < s->n; i++)
		if (addr >= s->maps[i].start && addr < s->maps[i].end)
			return &s->maps[i];
	return NULL;
}

/* ---- lookups ----------------------------------------------------------------------- */

struct sym_object *sym_resolve(struct sym_table *st, const struct sym_space *s,
			       uint64_t addr, uint64_t *vaddr)
{
	const struct sym_map *m = space_find(s, addr);
	if (!m)
		return NULL;
	struct sym_object *o = table_object(st, m->id);
	uint64_t off = addr - m->start + m->offset;
	if (!o || !o->usable)
		return NULL;
	if (!sym_elf_vaddr(o, off, vaddr))
		*vaddr = off;
	return o;
}

static void base_name(char *out, size_t len, const char *path)
{
	const char *b = strrchr(path, '/');
	snprintf(out, len, "%s", b ? b + 1 : path);
}

void sym_lookup(struct sym_table *st, const struct sym_space *s,
		uint64_t addr, bool caller, struct sym_location *loc)
{
	memset(loc, 0, sizeof(*loc));
	loc->addr = addr;
	const struct sym_map *m = space_find(s, addr);
	if (!m)
		return;
	base_name(loc->object, sizeof(loc->object),
		  m->path && m->path[0] ? m->path : m->id);
	loc->object_addr = addr - m->start + m->offset;
	uint64_t vaddr;
	struct sym_object *o = sym_resolve(st, s, addr, &vaddr);
	if (!o)
		return;
	loc->object_addr = vaddr;
	uint64_t q = caller && vaddr ? vaddr - 1 : vaddr;
	struct sym_dwarf *d = o->has_debug_file ? &o->debug : &o->main;
	const char *file;
	if (sym_dwarf_line(d, q, &file, &loc->line))
		snprintf(loc->file, sizeof(loc->file), "%s", file);
	const struct sym_subprogram *sub = sym_dwarf_function(d, q);
	const struct sym_elf_symbol *sym = sub ? NULL : sym_elf_find(o, q);
	if (sub) {
		snprintf(loc->func, sizeof(loc->func), "%s", sub->name);
		loc->func_off = vaddr - sub->low;
	} else if (sym) {
		snprintf(loc->func, sizeof(loc->func), "%s", sym->name);
		loc->func_off = vaddr - sym->addr;
	}
	loc->has_symbols = o->nsyms || sub || loc->file[0];
}

const char *sym_format(const struct sym_location *loc, char *buf, size_t len)
{
	char where[200] = "";

	if (loc->file[0])
		snprintf(where, sizeof(where), "%s:%u", loc->file, loc->line);
	else
		snprintf(where, sizeof(where), "%s", loc->object);
	if (!loc->object[0])
		snprintf(buf, len, "%#" PRIx64 " (no file mapped)", loc->addr);
	else if (!loc->func[0])
		snprintf(buf, len, "%#" PRIx64 " in %s (%s)", loc->object_addr,
			 loc->object, loc->has_symbols ? "no symbol here"
						       : "no symbols");
	else if (loc->func_off)
		snprintf(buf, len, "%s+%#" PRIx64 " (%s)", loc->func,
			 loc->func_off, where);
	else
		snprintf(buf, len, "%s (%s)", loc->func, where);
	return buf;
}

const char *sym_format_frame(size_t n, const struct sym_frame *f, char *buf,
			     size_t len)
{
	char what[400];
	const struct sym_location *l = &f->loc;

	if (l->func[0] && l->file[0])
		snprintf(what, sizeof(what), "%s (%s:%u)", l->func, l->file,
			 l->line);
	else if (l->func[0] || !l->object[0])
		sym_format(l, what, sizeof(what));
	else
		snprintf(what, sizeof(what), "?? (%s+%#" PRIx64 ", %s)",
			 l->object, l->object_addr,
			 l->has_symbols ? "no symbol here" : "no symbols");
	snprintf(buf, len, "#%-2zu 0x%016" PRIx64 " in %s%s", n, f->pc, what,
		 f->how == SYM_FRAME_FP ? " [guessed: no CFI]" : "");
	return buf;
}

/* ---- following a trace's address spaces (xrr dump) -------------------------------- */

struct tracked_proc {
	pid_t pid;
	struct sym_space *space;
};

struct tracked_thread {
	pid_t tid, pid;
};

struct sym_tracker {
	struct trace_reader *mmaps;
	struct trace_mmap_record mm;
	bool have_mm, mm_done;
	struct tracked_proc *procs;
	size_t nprocs;
	struct tracked_thread *threads;
	size_t nthreads;
};

struct sym_tracker *sym_tracker_open(const struct trace *t, char *err,
				     size_t errlen)
{
	struct sym_tracker *tr = calloc(1, sizeof(*tr));

	if (!tr) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	/* A trace without mmaps records still has each exec's mappings. */
	tr->mmaps = trace_stream_reader(t, TRACE_STREAM_MMAPS, err, errlen);
	tr->mm_done = !tr->mmaps;
	return tr;
}

void sym_tracker_free(struct sym_tracker *tr)
{
	if (!tr)
		return;
	if (tr->have_mm)
		trace_mapping_free(&tr->mm.map);
	if (tr->mmaps)
		trace_reader_close(tr->mmaps);
	for (size_t i = 0; i < tr->nprocs; i++)
		sym_space_free(tr->procs[i].space);
	free(tr->procs);
	free(tr->threads);
	free(tr);
}

static pid_t pid_of(const struct sym_tracker *tr, pid_t tid)
{
	for (size_t i = 0; i < tr->nthreads; i++)
		if (tr->threads[i].tid == tid)
			return tr->threads[i].pid;
	return tid;
}

static void set_thread(struct sym_tracker *tr, pid_t tid, pid_t pid)
{
	for (size_t i = 0; i < tr->nthreads; i++)
		if (tr->threads[i].tid == tid) {
			tr->threads[i].pid = pid;
			return;
		}
	struct tracked_thread *v = realloc(tr->threads, (tr->nthreads + 1) *
					   sizeof(*v));
	if (!v)
		return;
	tr->threads = v;
	tr->threads[tr->nthreads++] = (struct tracked_thread){ tid, pid };
}

/* The space of process pid, made empty (or a copy of `from`) if new. */
static struct sym_space *proc_space(struct sym_tracker *tr, pid_t pid,
				    const struct sym_space *from)
{
	for (size_t i = 0; i < tr->nprocs; i++)
		if (tr->procs[i].pid == pid)
			return tr->procs[i].space;
	struct tracked_proc *v = realloc(tr->procs, (tr->nprocs + 1) *
					 sizeof(*v));
	if (!v)
		return NULL;
	tr->procs = v;
	struct sym_space *s = from ? sym_space_clone(from) : sym_space_new();
	if (!s)
		return NULL;
	tr->procs[tr->nprocs++] = (struct tracked_proc){ pid, s };
	return s;
}

static void apply_mmaps(struct sym_tracker *tr, uint64_t index)
{
	struct trace_record rec;

	while (!tr->mm_done) {
		if (!tr->have_mm) {
			if (trace_reader_next(tr->mmaps, &rec) != TRACE_RECORD) {
				tr->mm_done = true;
				return;
			}
			if (rec.type != TRACE_REC_MMAP ||
			    trace_mmap_decode(&tr->mm, rec.data, rec.len) != 0)
				continue;
			tr->have_mm = true;
		}
		if (tr->mm.event > index)
			return;
		struct sym_space *s = proc_space(tr, pid_of(tr, tr->mm.tid), NULL);
		if (s)
			sym_space_map(s, &tr->mm.map);
		trace_mapping_free(&tr->mm.map);
		tr->have_mm = false;
	}
}

void sym_tracker_event(struct sym_tracker *tr, uint64_t index,
		       const struct trace_event *ev)
{
	pid_t pid = pid_of(tr, ev->tid);
	struct sym_space *s;

	switch (ev->type) {
	case EV_EXEC:
		s = proc_space(tr, pid, NULL);
		if (!s)
			break;
		sym_space_clear(s);
		for (size_t i = 0; i < ev->u.exec.nmaps; i++)
			sym_space_map(s, &ev->u.exec.maps[i]);
		break;
	case EV_FORK:
		set_thread(tr, ev->u.fork.new_tid, ev->u.fork.new_tid);
		proc_space(tr, ev->u.fork.new_tid, sym_tracker_space(tr, ev->tid));
		break;
	case EV_THREAD_CREATE:
		set_thread(tr, ev->u.thread_create.new_tid, pid);
		break;
	default:
		break;
	}
	apply_mmaps(tr, index);
}

const struct sym_space *sym_tracker_space(const struct sym_tracker *tr,
					  pid_t tid)
{
	pid_t pid = pid_of(tr, tid);
	for (size_t i = 0; i < tr->nprocs; i++)
		if (tr->procs[i].pid == pid)
			return tr->procs[i].space;
	return NULL;
}
