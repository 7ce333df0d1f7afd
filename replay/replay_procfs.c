/* The /proc files of a replayed process, as the recorded program would
 * have shown them (replayer.h: replayer_open_proc_file).
 *
 * GDB reads /proc/PID/task/TID/maps when it connects (the vDSO's size)
 * and /proc/PID/{maps,cmdline,status,exe} for `info proc`; it names the
 * recorded pid.  The replayed process is another one: its real maps
 * list the trace's stored copies (TRACE/files/ID) and the replayer's
 * scratch pages.  Here the real maps are rewritten: stored copies take
 * their recorded path, device and inode (filemap stream), anonymous
 * mappings the recorded [heap]/[stack]/[vdso]/[vvar] names, and our
 * own pages are left out.  The text is served from a memfd, so the
 * stub's vFile code reads it like any file. */
#include "config.h"

#include "replay/replay_int.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "replay/trace_procs.h"

/* An fd holding text (a memfd), or -errno. */
static int text_fd(const char *name, const char *text, size_t len)
{
	int fd = memfd_create(name, MFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	for (size_t off = 0; off < len;) {
		ssize_t n = write(fd, text + off, len - off);
		if (n <= 0) {
			int e = n < 0 ? errno : EIO;
			close(fd);
			return -e;
		}
		off += (size_t)n;
	}
	return fd;
}

/* ---- maps ------------------------------------------------------------------ */

/* The filemap: every stored file with the names it was recorded under. */
struct stored_files {
	struct trace_file_entry *v;
	size_t n;
};

static const struct trace_file_entry *stored_file(const struct stored_files *sf,
					     const char *id)
{
	for (size_t i = 0; i < sf->n; i++)
		if (strcmp(sf->v[i].id.hex, id) == 0)
			return &sf->v[i];
	return NULL;
}

/* The recorded name of an anonymous mapping ([heap] keeps its start as
 * brk moves its end; [stack] keeps its end as it grows down). */
static const char *pseudo_name(const struct replay_proc *rp, uint64_t start,
			       uint64_t end)
{
	for (size_t i = 0; rp && i < rp->nnamed; i++) {
		const struct replay_named_map *m = &rp->named[i];
		bool stack = strcmp(m->name, "[stack]") == 0;
		if (stack ? m->end == end : m->start == start)
			return m->name;
	}
	return NULL;
}

/* One line of the real maps, rewritten into out; false to leave it out. */
static bool rewrite_line(struct replayer *r, const struct replay_proc *rp,
			 const struct stored_files *sf, const char *line,
			 FILE *out)
{
	unsigned long start, end, offset, ino;
	unsigned maj, min;
	char perms[8];
	int name_at = 0;
	char prefix[PATH_MAX + 16];

	if (sscanf(line, "%lx-%lx %7s %lx %x:%x %lu %n", &start, &end, perms,
		   &offset, &maj, &min, &ino, &name_at) < 7)
		return false;
	if (start < r->scratch + REPLAY_SCRATCH_LEN && r->scratch < end)
		return false;   /* the replayer's own pages */
	const char *name = name_at ? line + name_at : "";
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%.*s", (int)strcspn(name, "\n"), name);
	snprintf(prefix, sizeof(prefix), "%s/files/", r->trace_dir);
	size_t plen = strlen(prefix);
	const char *shown = path;
	uint64_t dev = makedev(maj, min);
	if (strncmp(path, prefix, plen) == 0) {
		const struct trace_file_entry *f = stored_file(sf, path + plen);
		if (f) {
			shown = f->path;
			dev = f->dev;
			ino = f->ino;
		}
	} else if (!path[0] && ino == 0) {
		const char *pseudo = pseudo_name(rp, start, end);
		if (pseudo)
			shown = pseudo;
	}
	/* The kernel's layout: the name starts at column 73. */
	int n = fprintf(out, "%08lx-%08lx %s %08lx %02x:%02x %lu ", start, end,
			perms, offset, major(dev), minor(dev), ino);
	if (*shown)
		fprintf(out, "%*s%s", n < 73 ? 73 - n : 0, "", shown);
	fputc('\n', out);
	return true;
}

static int maps_text(struct replayer *r, char **text, size_t *len)
{
	struct replay_proc *rp = replay_target_proc(r);
	char path[64], line[PATH_MAX + 256];
	struct stored_files sf;

	if (!rp)
		return -ESRCH;
	snprintf(path, sizeof(path), "/proc/%d/maps", (int)rp->proc.pid);
	FILE *in = fopen(path, "re");
	if (!in)
		return -errno;
	char err[256];
	if (trace_filemap_load(r->trace, &sf.v, &sf.n, err, sizeof(err)) < 0) {
		fclose(in);
		return -EIO;
	}
	FILE *out = open_memstream(text, len);
	if (!out) {
		fclose(in);
		trace_file_entries_free(sf.v, sf.n);
		return -ENOMEM;
	}
	while (fgets(line, sizeof(line), in))
		rewrite_line(r, rp, &sf, line, out);
	fclose(in);
	fclose(out);
	trace_file_entries_free(sf.v, sf.n);
	return 0;
}

/* ---- cmdline, status ------------------------------------------------------ */

static int cmdline_text(struct replayer *r, char **text, size_t *len)
{
	struct trace_proc *procs = NULL;
	size_t n = 0;
	char err[256];

	if (trace_procs_read(r->trace, &procs, &n, NULL, err, sizeof(err)) < 0)
		return -EIO;
	const struct trace_proc *p = trace_procs_find(procs, n, replayer_recorded_pid(r));
	FILE *out = open_memstream(text, len);
	if (!out) {
		trace_procs_free(procs, n);
		return -ENOMEM;
	}
	for (size_t i = 0; p && i < p->argc; i++)
		fwrite(p->argv[i], 1, strlen(p->argv[i]) + 1, out);
	fclose(out);
	trace_procs_free(procs, n);
	return 0;
}

/* What tools read first; GDB's `info proc status` prints it as is. */
static int status_text(struct replayer *r, char **text, size_t *len)
{
	struct replay_proc *rp = replay_target_proc(r);
	pid_t tids[REPLAY_MAX_THREADS];
	size_t nthreads = replayer_threads(r, tids, REPLAY_MAX_THREADS);
	const char *exe = rp && rp->exec_path ? rp->exec_path : "";
	const char *base = strrchr(exe, '/') ? strrchr(exe, '/') + 1 : exe;

	FILE *out = open_memstream(text, len);
	if (!out)
		return -ENOMEM;
	fprintf(out, "Name:\t%.15s\nState:\tt (tracing stop)\nTgid:\t%d\n"
		"Pid:\t%d\nThreads:\t%zu\n", base, (int)replayer_recorded_pid(r),
		(int)replayer_recorded_pid(r), nthreads);
	fclose(out);
	return 0;
}

/* ---- paths ----------------------------------------------------------------- */

/* "/proc/PID/FILE" or "/proc/PID/task/TID/FILE" of the target process
 * (recorded numbers): FILE, or NULL. */
static const char *proc_file_of_target(struct replayer *r, const char *path)
{
	char *end;
	if (strncmp(path, "/proc/", 6) != 0)
		return NULL;
	long pid = strtol(path + 6, &end, 10);
	if (end == path + 6 || *end != '/' || pid != replayer_recorded_pid(r))
		return NULL;
	const char *rest = end + 1;
	if (strncmp(rest, "task/", 5) == 0) {
		long tid = strtol(rest + 5, &end, 10);
		if (end == rest + 5 || *end != '/' ||
		    !replayer_task(r, (pid_t)tid))
			return NULL;
		rest = end + 1;
	}
	return rest;
}

int replayer_open_proc_file(struct replayer *r, const char *path)
{
	static const struct {
		const char *name;
		int (*make)(struct replayer *, char **, size_t *);
	} files[] = {
		{ "maps", maps_text },
		{ "cmdline", cmdline_text },
		{ "status", status_text },
	};
	const char *file = proc_file_of_target(r, path);
	if (!file)
		return -ENOENT;
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		if (strcmp(file, files[i].name) != 0)
			continue;
		char *text = NULL;
		size_t len = 0;
		int rc = files[i].make(r, &text, &len);
		if (rc == 0)
			rc = text_fd(path, text ? text : "", len);
		free(text);
		return rc;
	}
	return -ENOENT;
}

ssize_t replayer_readlink_proc_file(struct replayer *r, const char *path,
				    char *buf, size_t len)
{
	const char *file = proc_file_of_target(r, path);
	struct replay_proc *rp = replay_target_proc(r);
	if (!file || strcmp(file, "exe") != 0 || !rp || !rp->exec_path)
		return -ENOENT;
	size_t n = strlen(rp->exec_path);
	if (n > len)
		n = len;
	memcpy(buf, rp->exec_path, n);
	return (ssize_t)n;
}
