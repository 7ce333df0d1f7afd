/* Traces that travel: a trace directory as one archive and back.
 *
 * The archive is a tar stream compressed with zstd (`tar --zstd -xf`
 * opens it), written and read with libarchive.  Its members are one
 * top directory, named like the trace, holding the trace's files:
 * the header, the streams and files/<sha256>.  Packing adds what GDB
 * would find on the recording machine but not in the trace: the
 * separate debug files of the stored ELF files (by build-id or
 * .gnu_debuglink), stored under their content hash like every other
 * file, with filemap records naming them by the path GDB asks the
 * replay target for.  docs/trace-format.md, "Packed traces".
 *
 * Errors: -1 with a message in err naming the file, the member and
 * what to do. */
#ifndef XRR_REPLAY_TRACE_PACK_H
#define XRR_REPLAY_TRACE_PACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Where a long pack or unpack is; totals are 0 while unknown. */
struct trace_pack_progress {
	uint64_t bytes, total_bytes;
	unsigned files, total_files;
	bool done;              /* the last call */
};
typedef void (*trace_pack_progress_fn)(const struct trace_pack_progress *p,
				       void *arg);

struct trace_pack_opts {
	/* Directories searched for separate debug files, ':'-separated,
	 * as GDB's debug-file-directory; NULL: $XRR_DEBUG_FILE_DIRECTORY,
	 * else /usr/lib/debug. */
	const char *debug_dirs;
	trace_pack_progress_fn progress;        /* NULL: none */
	void *progress_arg;
};

/* What a pack or unpack did. */
struct trace_pack_stats {
	unsigned files;         /* members written or extracted */
	uint64_t bytes;         /* their uncompressed size */
	unsigned debug_files;   /* separate debug files added */
	uint64_t debug_bytes;
	uint64_t archive_bytes; /* the archive's size */
};

/* Write the trace in dir as an archive at `archive` (through a
 * temporary name and rename: a failed pack leaves no archive; "-" is
 * stdout).  The trace directory is not changed. */
int trace_pack_write(const char *dir, const char *archive,
		     const struct trace_pack_opts *opts,
		     struct trace_pack_stats *stats, char *err, size_t errlen);

/* Make dir self-contained in place: copy the separate debug files into
 * files/ and name them in filemap (rewritten through a temporary file).
 * Packing twice adds nothing the second time. */
int trace_pack_in_place(const char *dir, const struct trace_pack_opts *opts,
			struct trace_pack_stats *stats, char *err,
			size_t errlen);

/* Extract an archive into a new trace directory: dest itself, or with
 * `into`, dest/NAME where NAME is the archive's top directory (the
 * trace's name).  That directory must not exist or be empty.  The
 * members go to a temporary directory beside it, every stored file is
 * checked against its hash and the header must read, and only then is
 * it renamed into place: a failure leaves nothing that looks like a
 * trace.  archive "-" reads stdin.  The directory made goes to out. */
int trace_unpack(const char *archive, const char *dest, bool into,
		 char *out, size_t outlen, const struct trace_pack_opts *opts,
		 struct trace_pack_stats *stats, char *err, size_t errlen);

/* ---- member names (pure; exported for tests) ---------------------------- */

enum trace_pack_member {
	TRACE_MEMBER_BAD,
	TRACE_MEMBER_TOP_DIR,           /* "TOP/" */
	TRACE_MEMBER_TOP_FILE,          /* "TOP/version", "TOP/events", ... */
	TRACE_MEMBER_FILES_DIR,         /* "TOP/files/" */
	TRACE_MEMBER_STORED_FILE,       /* "TOP/files/<64 hex>" */
};

/* Classify an archive member name.  top is the archive's top directory
 * ("" for the first member, which then names it: copy it from
 * name[0..*toplen)).  A name that is absolute, has "..", "." or empty
 * components, or lies outside top is TRACE_MEMBER_BAD with the reason
 * in why. */
enum trace_pack_member trace_pack_member_kind(const char *name,
					      const char *top, size_t *toplen,
					      char *why, size_t whylen);

#endif
