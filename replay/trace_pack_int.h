/* What trace_pack*.c and trace_unpack.c share; not an API. */
#ifndef XRR_REPLAY_TRACE_PACK_INT_H
#define XRR_REPLAY_TRACE_PACK_INT_H

#include <stddef.h>
#include <sys/stat.h>

#include "replay/trace.h"
#include "replay/trace_pack.h"

/* GDB's default debug-file-directory: the directory GDB asks the
 * target under, whatever directory the file was found in here. */
#define PACK_GDB_DEBUG_DIR "/usr/lib/debug"

/* A separate debug file found on this machine for a stored ELF. */
struct pack_debug_file {
	char *gdb_path;         /* the path GDB asks the replay target for */
	char *host_path;        /* where it is here */
	struct stat st;
	struct trace_file_id id;        /* SHA-256 of its bytes */
};

struct pack_debug_set {
	struct pack_debug_file *v;
	size_t n;
};

/* Separate debug files of every ELF file stored in t (filemap), by
 * build-id (DIR/.build-id/xx/yyyy.debug) or .gnu_debuglink (next to
 * the file, in .debug/ there, DIR/<its directory>/), DIR each of
 * debug_dirs (':'-separated).  Paths the filemap already names are
 * left out, so packing twice finds nothing new.  -1 with err. */
int pack_find_debug_files(const struct trace *t, const char *debug_dirs,
			  struct pack_debug_set *out, char *err,
			  size_t errlen);
void pack_debug_set_free(struct pack_debug_set *s);

/* Tell opts->progress, if any. */
void pack_progress(const struct trace_pack_opts *opts,
		   const struct trace_pack_progress *p);

/* opts->debug_dirs, else $XRR_DEBUG_FILE_DIRECTORY, else the default. */
const char *pack_debug_dirs(const struct trace_pack_opts *opts);

#endif
