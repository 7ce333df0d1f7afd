/* Rebuilding the recorded address space inside the exec stub.
 *
 * The stub is spawned (ASLR off) and stopped at its exec.  Through remote
 * syscalls we map our scratch pages where the recording never had
 * anything, move the remote-syscall code there, unmap everything else and
 * recreate the recorded mappings of EV_EXEC: the stack first, file
 * mappings from the trace's stored copies (opened by the tracee itself),
 * anonymous memory, the vdso and friends from their recorded bytes.  Then
 * the recorded registers and extended state are loaded. */
#include "config.h"

#include "replay/replay_int.h"
#include "replay/task_int.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>

/* ---- ranges nobody may use for the scratch pages ------------------------- */

struct range_list {
	struct replay_range *v;
	size_t n, cap;
};

static int range_add(struct range_list *l, uint64_t start, uint64_t end)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 64;
		struct replay_range *v = realloc(l->v, cap * sizeof(*v));
		if (!v)
			return -1;
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n].start = start;
	l->v[l->n].end = end;
	l->n++;
	return 0;
}

static int add_live_maps(struct range_list *l, pid_t pid)
{
	char path[64], line[512];

	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	FILE *f = fopen(path, "re");
	if (!f)
		return -1;
	int rc = 0;
	while (rc == 0 && fgets(line, sizeof(line), f)) {
		unsigned long s, e;
		if (sscanf(line, "%lx-%lx", &s, &e) == 2)
			rc = range_add(l, s, e);
	}
	fclose(f);
	return rc;
}

/* Every mapping the recording ever made (a second pass over `mmaps`). */
static int add_recorded_mmaps(struct range_list *l, struct replayer *r,
			      char *err, size_t errlen)
{
	struct trace_reader *rd = trace_stream_reader(r->trace,
						      TRACE_STREAM_MMAPS, err,
						      errlen);
	struct trace_record rec;
	int rc = 0;

	if (!rd)
		return -1;
	while (rc == 0 && trace_reader_next(rd, &rec) == TRACE_RECORD) {
		struct trace_mmap_record m;
		if (rec.type != TRACE_REC_MMAP ||
		    trace_mmap_decode(&m, rec.data, rec.len) != 0)
			continue;
		rc = range_add(l, m.map.start, m.map.end);
		trace_mapping_free(&m.map);
	}
	trace_reader_close(rd);
	return rc;
}

static uint64_t choose_scratch(struct replayer *r, const struct ev_exec *ex,
			       char *err, size_t errlen)
{
	struct range_list l = { 0 };
	uint64_t addr = 0;
	int rc = 0;

	for (size_t i = 0; i < ex->nmaps && rc == 0; i++)
		rc = range_add(&l, ex->maps[i].start, ex->maps[i].end);
	if (rc == 0)
		rc = add_recorded_mmaps(&l, r, err, errlen);
	if (rc == 0)
		rc = add_live_maps(&l, r->proc->pid);
	if (rc == 0)
		addr = replay_plan_scratch(l.v, l.n);
	if (rc == 0 && !addr)
		snprintf(err, errlen, "no free address for the replayer's "
			 "scratch pages");
	else if (rc != 0 && !err[0])
		snprintf(err, errlen, "listing mappings: %s", strerror(errno));
	free(l.v);
	return addr;
}

/* ---- remote calls with error context -------------------------------------- */

static long rcall(struct remote_session *s, long nr, long a0, long a1, long a2,
		  long a3, long a4, long a5, const char *what, char *err,
		  size_t errlen)
{
	const long args[6] = { a0, a1, a2, a3, a4, a5 };
	long res;

	if (task_remote_call(s, nr, args, &res) < 0) {
		snprintf(err, errlen, "%s: %s", what, s->p->err);
		return -1;
	}
	if (res < 0 && res > -4096) {
		snprintf(err, errlen, "%s: %s", what, strerror((int)-res));
		return -1;
	}
	return res;
}

static int write_path(struct replayer *r, const char *file_id, char *err,
		      size_t errlen)
{
	char path[PATH_MAX + 80];
	int n = snprintf(path, sizeof(path), "%s/files/%s", r->trace_dir,
			 file_id);

	if (n < 0 || (size_t)n >= REPLAY_PAGE) {
		snprintf(err, errlen, "trace path too long: %s", r->trace_dir);
		return -1;
	}
	if (process_write_memory(r->proc, r->scratch + REPLAY_PAGE, path,
				 (size_t)n + 1) != n + 1) {
		snprintf(err, errlen, "writing a path into the tracee: %s",
			 r->proc->err);
		return -1;
	}
	return 0;
}

static long open_stored(struct replayer *r, struct remote_session *s,
			const char *file_id, char *err, size_t errlen)
{
	char what[128];

	if (write_path(r, file_id, err, errlen) < 0)
		return -1;
	snprintf(what, sizeof(what), "opening stored file %.64s in the tracee",
		 file_id);
	return rcall(s, SYS_openat, AT_FDCWD, (long)(r->scratch + REPLAY_PAGE),
		     O_RDONLY | O_CLOEXEC, 0, 0, 0, what, err, errlen);
}

long replay_space_open_path_in_tracee(struct replayer *r, struct task *t,
				      const char *path, int flags, char *err,
				      size_t errlen)
{
	struct remote_session s;
	size_t n = strlen(path) + 1;

	if (n > REPLAY_PAGE ||
	    process_write_memory(r->proc, r->scratch + REPLAY_PAGE, path, n) !=
	    (ssize_t)n) {
		snprintf(err, errlen, "writing %s into the tracee: %s", path,
			 r->proc->err);
		return -1;
	}
	if (task_remote_begin(&s, r->proc, t) < 0) {
		snprintf(err, errlen, "remote syscall: %s", r->proc->err);
		return -1;
	}
	long fd = rcall(&s, SYS_openat, AT_FDCWD,
			(long)(r->scratch + REPLAY_PAGE), flags | O_CLOEXEC,
			0, 0, 0, path, err, errlen);
	if (task_remote_end(&s) < 0 && fd >= 0) {
		snprintf(err, errlen, "remote syscall: %s", r->proc->err);
		return -1;
	}
	return fd;
}

long replay_space_open_in_tracee(struct replayer *r, struct task *t,
				 const char *file_id, char *err, size_t errlen)
{
	struct remote_session s;

	if (task_remote_begin(&s, r->proc, t) < 0) {
		snprintf(err, errlen, "remote syscall: %s", r->proc->err);
		return -1;
	}
	long fd = open_stored(r, &s, file_id, err, errlen);
	if (task_remote_end(&s) < 0 && fd >= 0) {
		snprintf(err, errlen, "remote syscall: %s", r->proc->err);
		return -1;
	}
	return fd;
}

/* ---- recreating one mapping ------------------------------------------------- */

/* Stored files opened in the tracee during one rebuild: a library has
 * several mappings of one file, and each remote call is a round trip of
 * ptrace stops. */
#define OPEN_FILES_MAX 64

struct open_files {
	struct { char id[TRACE_FILE_ID_LEN + 1]; long fd; } f[OPEN_FILES_MAX];
	size_t n;
};

static long cached_open(struct replayer *r, struct remote_session *s,
			struct open_files *of, const char *id, char *err,
			size_t errlen)
{
	for (size_t i = 0; i < of->n; i++)
		if (strcmp(of->f[i].id, id) == 0)
			return of->f[i].fd;
	long fd = open_stored(r, s, id, err, errlen);
	if (fd >= 0 && of->n < OPEN_FILES_MAX) {
		snprintf(of->f[of->n].id, sizeof(of->f[of->n].id), "%s", id);
		of->f[of->n++].fd = fd;
	} else if (fd >= 0) {
		/* Table full: not kept; the caller closes it. */
		return -fd - 2;
	}
	return fd;
}

static void close_all(struct remote_session *s, struct open_files *of)
{
	char err[64];

	for (size_t i = 0; i < of->n; i++)
		rcall(s, SYS_close, of->f[i].fd, 0, 0, 0, 0, 0, "close", err,
		      sizeof(err));
	of->n = 0;
}

static int make_mapping(struct replayer *r, struct remote_session *s,
			struct open_files *of, const struct trace_mapping *m,
			char *err, size_t errlen)
{
	enum replay_map_kind kind = replay_map_kind(m);
	char what[PATH_MAX + 64];
	long fd = -1, uncached = -1;

	if (kind == REPLAY_MAP_SKIP)
		return 0;
	snprintf(what, sizeof(what), "mapping 0x%" PRIx64 "-0x%" PRIx64 " %s",
		 m->start, m->end, m->path ? m->path : "");
	if (kind == REPLAY_MAP_FILE) {
		fd = cached_open(r, s, of, m->file.hex, err, errlen);
		if (fd == -1)
			return -1;
		if (fd < -1)
			fd = uncached = -fd - 2;
	}
	long got = rcall(s, SYS_mmap, (long)m->start, (long)(m->end - m->start),
			 (long)m->prot, replay_map_flags(m), fd,
			 kind == REPLAY_MAP_FILE ? (long)m->offset : 0, what,
			 err, errlen);
	if (uncached >= 0)
		rcall(s, SYS_close, uncached, 0, 0, 0, 0, 0, "close", err,
		      errlen);
	if (got == -1)
		return -1;
	if ((uint64_t)got != m->start) {
		snprintf(err, errlen, "%s: mapped at 0x%lx instead", what, got);
		return -1;
	}
	return 0;
}

/* Unmap everything but the scratch pages. */
static int clear_space(struct replayer *r, struct remote_session *s, char *err,
		       size_t errlen)
{
	uint64_t after = r->scratch + REPLAY_SCRATCH_LEN;

	if (rcall(s, SYS_munmap, 0, (long)r->scratch, 0, 0, 0, 0,
		  "unmapping the stub (below)", err, errlen) == -1 ||
	    rcall(s, SYS_munmap, (long)after, (long)(REPLAY_USER_TOP - after),
		  0, 0, 0, 0, "unmapping the stub (above)", err, errlen) == -1)
		return -1;
	return 0;
}

static int map_scratch(struct replayer *r, struct task *t, char *err,
		       size_t errlen)
{
	struct remote_session s;

	if (task_remote_begin(&s, r->proc, t) < 0) {
		snprintf(err, errlen, "remote syscall in the exec stub: %s",
			 r->proc->err);
		return -1;
	}
	long got = rcall(&s, SYS_mmap, (long)r->scratch, REPLAY_SCRATCH_LEN,
			 PROT_READ | PROT_WRITE | PROT_EXEC,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1,
			 0, "mapping the scratch pages", err, errlen);
	int end = task_remote_end(&s);
	if (got == -1)
		return -1;
	if (end < 0 || (uint64_t)got != r->scratch) {
		snprintf(err, errlen, "mapping the scratch pages at 0x%" PRIx64
			 ": %s", r->scratch, end < 0 ? r->proc->err : "moved");
		return -1;
	}
	/* From now on remote syscalls run from our own page, which no
	 * recorded mapping will ever replace. */
	r->proc->rsys_addr = r->scratch;
	return 0;
}

static int rebuild_mappings(struct replayer *r, struct task *t,
			    const struct ev_exec *ex, char *err, size_t errlen)
{
	struct remote_session s;
	size_t *order = calloc(ex->nmaps ? ex->nmaps : 1, sizeof(*order));
	int rc = 0;

	if (!order) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (task_remote_begin(&s, r->proc, t) < 0) {
		snprintf(err, errlen, "remote syscall: %s", r->proc->err);
		free(order);
		return -1;
	}
	replay_plan_order(ex->maps, ex->nmaps, order);
	rc = clear_space(r, &s, err, errlen);
	struct open_files of = { .n = 0 };
	for (size_t i = 0; i < ex->nmaps && rc == 0; i++)
		rc = make_mapping(r, &s, &of, &ex->maps[order[i]], err, errlen);
	close_all(&s, &of);
	if (task_remote_end(&s) < 0 && rc == 0) {
		snprintf(err, errlen, "remote syscall: %s", r->proc->err);
		rc = -1;
	}
	free(order);
	return rc;
}

/* ---- memory, registers, auxv --------------------------------------------------- */

int replay_write_memory(struct replayer *r, const struct trace_mem_write *w,
			size_t n, char *err, size_t errlen)
{
	for (size_t i = 0; i < n; i++) {
		const uint8_t *bytes;
		size_t len;
		if (replay_cursor_data(r, &bytes, &len, err, errlen) < 0)
			return -1;
		if (len != w[i].len) {
			snprintf(err, errlen, "event %llu: write %zu at 0x%"
				 PRIx64 " has %zu data bytes, %" PRIu64
				 " expected", (unsigned long long)r->ev_index,
				 i, w[i].addr, len, w[i].len);
			return -1;
		}
		if (len && process_write_memory(r->proc, w[i].addr, bytes,
						len) != (ssize_t)len) {
			snprintf(err, errlen, "event %llu: writing %zu bytes at "
				 "0x%" PRIx64 ": %s",
				 (unsigned long long)r->ev_index, len,
				 w[i].addr, r->proc->err);
			return -1;
		}
	}
	return 0;
}

static bool same_layout(const struct xsave_layout *a,
			const struct xsave_layout *b)
{
	return a->max_size == b->max_size &&
	       memcmp(a->comp, b->comp, sizeof(a->comp)) == 0;
}

/* The recorded image goes in as is when the layouts agree; otherwise it
 * is decoded with the recording's layout and encoded with ours. */
static int load_xstate(struct replayer *r, struct task *t,
		       const struct ev_exec *ex, char *err, size_t errlen)
{
	const struct xsave_layout *rec = &trace_header(r->trace)->xsave;
	int rc;

	if (!ex->xstate_len || !r->proc->layout.max_size)
		return 0;
	if (same_layout(rec, &r->proc->layout)) {
		rc = task_set_xstate(r->proc, t, ex->xstate, ex->xstate_len);
	} else {
		struct x86_regfile rf;
		struct user_regs_struct regs = ex->regs;
		rc = xsave_decode(rec, ex->xstate, ex->xstate_len, &regs, &rf);
		if (rc == 0)
			rc = task_set_regfile(r->proc, t, &rf);
	}
	if (rc < 0)
		snprintf(err, errlen, "loading the recorded extended state: %s",
			 r->proc->err[0] ? r->proc->err : strerror(-rc));
	return rc < 0 ? -1 : 0;
}

/* auxv sits on the recorded stack above argv and envp. */
static void capture_auxv(struct replayer *r, uint64_t sp)
{
	uint64_t argc, word, at;
	uint8_t buf[4096];

	if (process_read_memory(r->proc, sp, &argc, 8) != 8 || argc > 100000)
		return;
	at = sp + 8 * (argc + 2);
	for (int i = 0; i < 100000; i++, at += 8) {
		if (process_read_memory(r->proc, at, &word, 8) != 8)
			return;
		if (!word)
			break;
	}
	at += 8;
	ssize_t n = process_read_memory(r->proc, at, buf, sizeof(buf));
	if (n < 16)
		return;
	size_t len = 0;
	while (len + 16 <= (size_t)n) {
		uint64_t type;
		memcpy(&type, buf + len, 8);
		len += 16;
		if (type == 0)
			break;
	}
	free(r->rp->auxv);
	r->rp->auxv = malloc(len);
	if (r->rp->auxv)
		memcpy(r->rp->auxv, buf, len);
	r->rp->auxv_len = r->rp->auxv ? len : 0;
}

static uint64_t auxv_value(const struct replayer *r, uint64_t type)
{
	for (size_t off = 0; off + 16 <= r->rp->auxv_len; off += 16) {
		uint64_t kv[2];
		memcpy(kv, r->rp->auxv + off, 16);
		if (kv[0] == type)
			return kv[1];
	}
	return 0;
}

/* The executable: the mapping holding AT_ENTRY (7 is AT_PHDR's neighbour;
 * 9 is AT_ENTRY), else argv[0]. */
static void find_exec_path(struct replayer *r, const struct ev_exec *ex)
{
	uint64_t entry = auxv_value(r, 9);
	const char *path = NULL;

	for (size_t i = 0; i < ex->nmaps && !path; i++)
		if (entry >= ex->maps[i].start && entry < ex->maps[i].end &&
		    ex->maps[i].path && ex->maps[i].path[0] == '/')
			path = ex->maps[i].path;
	if (!path) {
		const struct trace_header *h = trace_header(r->trace);
		path = h->argc ? h->argv[0] : "";
	}
	free(r->rp->exec_path);
	r->rp->exec_path = strdup(path);
}

/* Everything after the scratch pages exist: mappings, memory, registers. */
/* [heap], [stack], [vdso], [vvar]: for /proc/PID/maps (replay_procfs.c). */
static void note_named_maps(struct replay_proc *rp, const struct ev_exec *ex)
{
	rp->nnamed = 0;
	for (size_t i = 0; i < ex->nmaps && rp->nnamed < REPLAY_MAX_NAMED_MAPS;
	     i++) {
		const struct trace_mapping *m = &ex->maps[i];
		if (!m->path || m->path[0] != '[' ||
		    strlen(m->path) >= sizeof(rp->named[0].name))
			continue;
		struct replay_named_map *nm = &rp->named[rp->nnamed++];
		nm->start = m->start;
		nm->end = m->end;
		snprintf(nm->name, sizeof(nm->name), "%s", m->path);
	}
}

static int load_exec_state(struct replayer *r, struct task *t, char *err,
			   size_t errlen)
{
	const struct ev_exec *ex = &r->ev.u.exec;

	for (size_t i = 0; i < ex->nmaps; i++)
		if (ex->maps[i].start < r->scratch + REPLAY_SCRATCH_LEN &&
		    r->scratch < ex->maps[i].end) {
			snprintf(err, errlen, "event %llu: mapping 0x%" PRIx64
				 " overlaps the replayer's scratch pages",
				 (unsigned long long)r->ev_index,
				 ex->maps[i].start);
			return -1;
		}
	if (rebuild_mappings(r, t, ex, err, errlen) < 0 ||
	    replay_write_memory(r, ex->mem, ex->nmem, err, errlen) < 0)
		return -1;
	if (task_set_gregs(r->proc, t, &ex->regs) < 0) {
		snprintf(err, errlen, "loading the recorded registers: %s",
			 r->proc->err);
		return -1;
	}
	if (load_xstate(r, t, ex, err, errlen) < 0)
		return -1;
	r->rp->brk_known = false;
	for (size_t i = 0; i < ex->nmaps; i++)
		if (ex->maps[i].path && strcmp(ex->maps[i].path, "[heap]") == 0) {
			r->rp->brk_end = ex->maps[i].end;
			r->rp->brk_known = true;
		}
	note_named_maps(r->rp, ex);
	capture_auxv(r, ex->regs.rsp);
	find_exec_path(r, ex);
	return 0;
}

int replay_space_build(struct replayer *r, char *err, size_t errlen)
{
	const struct ev_exec *ex = &r->ev.u.exec;
	struct task *t = &r->proc->tasks[0];

	if (!r->have_ev || r->ev.type != EV_EXEC) {
		snprintf(err, errlen, "trace %s: the first event is not an "
			 "exec", r->trace_dir);
		return -1;
	}
	r->scratch = choose_scratch(r, ex, err, errlen);
	if (!r->scratch || map_scratch(r, t, err, errlen) < 0)
		return -1;
	return load_exec_state(r, t, err, errlen);
}

/* A process that shares its memory with its parent (vfork, CLONE_VM)
 * must not rebuild its new image in that memory: it first really execs
 * the exec stub (a fresh address space, which also lets the parent go),
 * then gets its scratch pages back at the same address.  The path and
 * argv for the execve are written in the second scratch page, the
 * syscall instruction past the remote-syscall code of the first. */
/* Make t, wherever it is stopped, run nr(a0, a1, a2) from a syscall
 * instruction of our scratch page (past the remote-syscall code) and go
 * on: for calls that do not come back (exit, execve), which the remote
 * syscall layer, waiting for its int3, cannot run.  0, or -1 (r->proc->err). */
int replay_space_start_final_syscall(struct replayer *r, struct task *t,
				     long nr, uint64_t a0, uint64_t a1,
				     uint64_t a2)
{
	static const uint8_t syscall_insn[2] = { 0x0f, 0x05 };
	uint64_t insn = r->scratch + 64;
	struct user_regs_struct g;

	if (task_mem_write_raw(r->proc, insn, syscall_insn, 2) != 2 ||
	    task_get_gregs(r->proc, t, &g) < 0)
		return -1;
	g.rip = insn;
	g.rax = (uint64_t)nr;
	g.orig_rax = (uint64_t)-1;
	g.rdi = a0;
	g.rsi = a1;
	g.rdx = a2;
	if (task_set_gregs(r->proc, t, &g) < 0 ||
	    task_resume(r->proc, t, TASK_RESUME_CONT, 0) < 0)
		return -1;
	return 0;
}

static int exec_stub_for_real(struct replayer *r, struct task *t, char *err,
			      size_t errlen)
{
	uint64_t page = r->scratch + REPLAY_PAGE;
	uint64_t argv[3] = { page + 64, 0, 0 };     /* argv[0], NULL; envp: NULL */
	size_t plen = strlen(r->stub_path) + 1;
	struct task_stop ts;

	if (plen > REPLAY_PAGE - 64) {
		snprintf(err, errlen, "exec stub path too long");
		return -1;
	}
	if (task_mem_write_raw(r->proc, page, argv, sizeof(argv)) != sizeof(argv) ||
	    task_mem_write_raw(r->proc, page + 64, r->stub_path, plen) !=
	    (ssize_t)plen ||
	    replay_space_start_final_syscall(r, t, SYS_execve, page + 64, page,
					     page + 16) < 0)
		goto fail;
	for (;;) {
		if (process_wait(r->proc, &ts, 0) != 1)
			goto fail;
		if (ts.tid == t->tid && ts.kind == TASK_STOP_EXEC)
			return 0;
		if (ts.tid == t->tid && (ts.kind == TASK_STOP_EXITED ||
					 ts.kind == TASK_STOP_KILLED)) {
			snprintf(err, errlen, "the exec stub %s did not start "
				 "(status 0x%x)", r->stub_path, ts.raw_status);
			return -1;
		}
		if (ts.tid == t->tid &&
		    task_resume(r->proc, t, TASK_RESUME_CONT, 0) < 0)
			goto fail;
	}
fail:
	snprintf(err, errlen, "exec of the stub %s: %s", r->stub_path,
		 r->proc->err);
	return -1;
}

int replay_space_exec_fresh(struct replayer *r, struct task *t, char *err,
			    size_t errlen)
{
	if (exec_stub_for_real(r, t, err, errlen) < 0 ||
	    map_scratch(r, t, err, errlen) < 0)
		return -1;
	return load_exec_state(r, t, err, errlen);
}

/* A later successful execve: the thread sits at its (skipped) execve;
 * the new image replaces everything but our scratch pages. */
int replay_space_exec(struct replayer *r, struct task *t, char *err,
		      size_t errlen)
{
	/* Not a syscall-entry stop for the remote-syscall layer: it must
	 * not come back to an instruction that is about to be unmapped. */
	t->last_stop.kind = TASK_STOP_INTERRUPT;
	return load_exec_state(r, t, err, errlen);
}
