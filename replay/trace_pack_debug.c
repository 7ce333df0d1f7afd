/* Separate debug files for a packed trace: what GDB would find on the
 * recording machine for the trace's stored ELF files.
 *
 * GDB looks for an objfile's debug info by build-id first
 * (DEBUGDIR/.build-id/ab/cdef....debug), then by the .gnu_debuglink
 * name (next to the file, in .debug/ there, DEBUGDIR/<the file's
 * directory>/).  With the default sysroot `target:` it asks the remote
 * for those paths through vFile, so the replay target can serve them
 * from the trace by the paths recorded here.  The ELF is read with
 * libelf. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "replay/trace_codec.h"
#include "replay/trace_internal.h"
#include "replay/trace_pack_int.h"

#ifndef NT_GNU_BUILD_ID
#define NT_GNU_BUILD_ID 3
#endif

#define BUILD_ID_MAX 64         /* bytes; GNU ld writes 20 */

/* What an ELF file says about its separate debug info. */
struct debug_refs {
	char build_id[2 * BUILD_ID_MAX + 1];    /* lower-case hex, "" if none */
	char debuglink[256];                    /* "" if none */
};

const char *pack_debug_dirs(const struct trace_pack_opts *opts)
{
	if (opts && opts->debug_dirs)
		return opts->debug_dirs;
	const char *env = getenv("XRR_DEBUG_FILE_DIRECTORY");
	return env && *env ? env : PACK_GDB_DEBUG_DIR;
}

static void note_build_id(Elf_Data *d, struct debug_refs *refs)
{
	GElf_Nhdr nh;
	size_t off = 0, name_off, desc_off;

	while ((off = gelf_getnote(d, off, &nh, &name_off, &desc_off)) > 0) {
		if (nh.n_type != NT_GNU_BUILD_ID || nh.n_namesz != 4 ||
		    memcmp((const char *)d->d_buf + name_off, "GNU", 4) != 0 ||
		    nh.n_descsz < 2 || nh.n_descsz > BUILD_ID_MAX)
			continue;
		trace_hex(refs->build_id, (const uint8_t *)d->d_buf + desc_off,
			  nh.n_descsz);
		return;
	}
}

/* The debuglink name: a plain file name (GDB joins it to directories;
 * a name with '/' is not one we look up). */
static void section_debuglink(Elf_Data *d, struct debug_refs *refs)
{
	const char *p = d->d_buf;
	const char *nul = d->d_size ? memchr(p, 0, d->d_size) : NULL;
	size_t n = nul ? (size_t)(nul - p) : 0;

	if (n == 0 || n >= sizeof(refs->debuglink) || memchr(p, '/', n) ||
	    strcmp(p, ".") == 0 || strcmp(p, "..") == 0)
		return;
	memcpy(refs->debuglink, p, n);
	refs->debuglink[n] = 0;
}

/* 0 with refs filled (possibly empty), -1 if fd is not an ELF file. */
static int read_debug_refs(int fd, struct debug_refs *refs)
{
	memset(refs, 0, sizeof(*refs));
	if (elf_version(EV_CURRENT) == EV_NONE)
		return -1;
	Elf *e = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	size_t shstrndx;
	if (!e || elf_kind(e) != ELF_K_ELF ||
	    elf_getshdrstrndx(e, &shstrndx) != 0) {
		if (e)
			elf_end(e);
		return -1;
	}
	for (Elf_Scn *scn = NULL; (scn = elf_nextscn(e, scn));) {
		GElf_Shdr sh;
		if (!gelf_getshdr(scn, &sh) || sh.sh_type == SHT_NOBITS)
			continue;
		const char *name = elf_strptr(e, shstrndx, sh.sh_name);
		Elf_Data *d;
		if (sh.sh_type == SHT_NOTE && !refs->build_id[0] &&
		    (d = elf_getdata(scn, NULL)))
			note_build_id(d, refs);
		else if (name && strcmp(name, ".gnu_debuglink") == 0 &&
			 (d = elf_getdata(scn, NULL)))
			section_debuglink(d, refs);
	}
	elf_end(e);
	return 0;
}

/* ---- the set of found files ------------------------------------------------ */

void pack_debug_set_free(struct pack_debug_set *s)
{
	for (size_t i = 0; i < s->n; i++) {
		free(s->v[i].gdb_path);
		free(s->v[i].host_path);
	}
	free(s->v);
	s->v = NULL;
	s->n = 0;
}

static bool set_has(const struct pack_debug_set *s, const char *gdb_path)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->v[i].gdb_path, gdb_path) == 0)
			return true;
	return false;
}

/* The paths the trace already names (filemap), to skip: a trace packed
 * in place keeps its debug files' records. */
struct name_list {
	struct trace_file_entry *v;
	size_t n;
};

static bool names_have(const struct name_list *l, const char *path)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->v[i].path, path) == 0)
			return true;
	return false;
}

/* A regular file at host_path becomes a set entry named gdb_path.
 * 1 added, 0 nothing there, -1 error. */
static int try_add(struct pack_debug_set *s, const struct name_list *known,
		   const char *host_path, const char *gdb_path, char *err,
		   size_t errlen)
{
	if (set_has(s, gdb_path) || names_have(known, gdb_path))
		return 1;       /* found before: GDB's search stops here too */
	int fd = open(host_path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	struct pack_debug_file f = { 0 };
	if (fstat(fd, &f.st) < 0 || !S_ISREG(f.st.st_mode)) {
		close(fd);
		return 0;
	}
	if (trace_file_hash_fd(fd, &f.id) < 0) {
		snprintf(err, errlen, "debug file %s: read failed: %s",
			 host_path, strerror(errno));
		close(fd);
		return -1;
	}
	close(fd);
	struct pack_debug_file *grown = realloc(s->v, (s->n + 1) * sizeof(*grown));
	f.gdb_path = strdup(gdb_path);
	f.host_path = strdup(host_path);
	if (!grown || !f.gdb_path || !f.host_path) {
		if (grown)
			s->v = grown;
		free(f.gdb_path);
		free(f.host_path);
		snprintf(err, errlen, "debug file %s: out of memory", host_path);
		return -1;
	}
	s->v = grown;
	s->v[s->n++] = f;
	return 1;
}

/* One element of a ':'-separated list, as a string. */
static const char *next_dir(const char *list, char *out, size_t outlen)
{
	const char *colon = strchr(list, ':');
	size_t n = colon ? (size_t)(colon - list) : strlen(list);
	if (n >= outlen)
		n = outlen - 1;
	memcpy(out, list, n);
	out[n] = 0;
	return colon ? colon + 1 : NULL;
}

static int find_by_build_id(struct pack_debug_set *s,
			    const struct name_list *known, const char *dirs,
			    const char *build_id, char *err, size_t errlen)
{
	char dir[4096], host[8192], gdb[512];

	snprintf(gdb, sizeof(gdb), PACK_GDB_DEBUG_DIR "/.build-id/%.2s/%s.debug",
		 build_id, build_id + 2);
	for (const char *p = dirs; p;) {
		p = next_dir(p, dir, sizeof(dir));
		if (!dir[0])
			continue;
		snprintf(host, sizeof(host), "%s/.build-id/%.2s/%s.debug", dir,
			 build_id, build_id + 2);
		int rc = try_add(s, known, host, gdb, err, errlen);
		if (rc != 0)
			return rc;
	}
	return 0;
}

/* GDB's order: the file's directory, .debug/ there, then each debug
 * directory followed by the file's directory. */
static int find_by_debuglink(struct pack_debug_set *s,
			     const struct name_list *known, const char *dirs,
			     const char *recorded_path, const char *link,
			     char *err, size_t errlen)
{
	char objdir[4096], dir[4096], host[8192], gdb[8192];
	const char *slash = strrchr(recorded_path, '/');
	if (!slash || recorded_path[0] != '/')
		return 0;
	snprintf(objdir, sizeof(objdir), "%.*s",
		 (int)(slash - recorded_path), recorded_path);

	snprintf(host, sizeof(host), "%s/%s", objdir, link);
	if (strcmp(host, recorded_path) == 0)
		return 0;       /* a link to itself: GDB ignores it too */
	int rc = try_add(s, known, host, host, err, errlen);
	if (rc != 0)
		return rc;
	snprintf(host, sizeof(host), "%s/.debug/%s", objdir, link);
	if ((rc = try_add(s, known, host, host, err, errlen)) != 0)
		return rc;
	snprintf(gdb, sizeof(gdb), PACK_GDB_DEBUG_DIR "%s/%s", objdir, link);
	for (const char *p = dirs; p;) {
		p = next_dir(p, dir, sizeof(dir));
		if (!dir[0])
			continue;
		snprintf(host, sizeof(host), "%s%s/%s", dir, objdir, link);
		if ((rc = try_add(s, known, host, gdb, err, errlen)) != 0)
			return rc;
	}
	return 0;
}

/* The debug files of one stored file (recorded as `path`). */
static int find_for_file(const struct trace *t, struct pack_debug_set *s,
			 const struct name_list *known, const char *dirs,
			 const char *path, const char *id, char *err,
			 size_t errlen)
{
	char e2[256];
	int fd = trace_open_file(t, id, e2, sizeof(e2));
	if (fd < 0) {
		snprintf(err, errlen, "%s (stored for %s)", e2, path);
		return -1;
	}
	struct debug_refs refs;
	int is_elf = read_debug_refs(fd, &refs);
	close(fd);
	if (is_elf < 0)
		return 0;
	int rc = 0;
	if (refs.build_id[0])
		rc = find_by_build_id(s, known, dirs, refs.build_id, err, errlen);
	if (rc == 0 && refs.debuglink[0])
		rc = find_by_debuglink(s, known, dirs, path, refs.debuglink,
				       err, errlen);
	return rc < 0 ? -1 : 0;
}

/* Whether entry i is the first with its content (each file is looked
 * at once, under its first name). */
static bool first_of_its_id(const struct name_list *l, size_t i)
{
	for (size_t k = 0; k < i; k++)
		if (strcmp(l->v[k].id.hex, l->v[i].id.hex) == 0)
			return false;
	return true;
}

int pack_find_debug_files(const struct trace *t, const char *debug_dirs,
			  struct pack_debug_set *out, char *err, size_t errlen)
{
	struct name_list names = { 0 };

	memset(out, 0, sizeof(*out));
	int rc = trace_filemap_load(t, &names.v, &names.n, err, errlen);
	for (size_t i = 0; rc == 0 && i < names.n; i++)
		if (first_of_its_id(&names, i))
			rc = find_for_file(t, out, &names, debug_dirs,
					   names.v[i].path, names.v[i].id.hex,
					   err, errlen);
	trace_file_entries_free(names.v, names.n);
	if (rc < 0)
		pack_debug_set_free(out);
	return rc;
}
