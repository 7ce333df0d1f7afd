/* The trace directory: header, record streams, stored files, naming.
 *
 * A trace is a directory (docs/trace-format.md has the byte layout):
 *
 *   incomplete | version   the header; `incomplete` while recording,
 *                          `version` once the recorder closed the trace
 *   events data mmaps tasks   record streams in checksummed zstd blocks
 *   filemap                stream: original path/size/mtime/inode -> hash
 *   files/<sha256>         copies of mapped files, content-addressed
 *
 * Every reader validates what it reads: damage is reported as an error
 * naming the file and byte offset, never as a crash, and a stream cut
 * short (recorder killed) still yields every record before the cut.
 *
 * Errors: functions returning int give 0 or -1; functions returning a
 * pointer give NULL.  Either way a message goes into the caller's
 * err/errlen buffer, or for stream objects into trace_*_error(). */
#ifndef XRR_REPLAY_TRACE_H
#define XRR_REPLAY_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "replay/xsave.h"

/* A reader refuses any other major version; minor versions only add
 * things an older reader may ignore (optional header keys, optional
 * record types), see docs/trace-format.md. */
#define TRACE_FORMAT_MAJOR 2
#define TRACE_FORMAT_MINOR 4
/* The oldest major this xrr still reads (docs/trace-format.md: a 1.x
 * trace is one process whose children were not recorded). */
#define TRACE_FORMAT_MAJOR_OLDEST 1

#define TRACE_BLOCK_SIZE_DEFAULT (1u << 20)   /* uncompressed bytes */
#define TRACE_BLOCK_SIZE_MAX (64u << 20)
#define TRACE_RECORD_MAX (1u << 30)

/* Record types at or above this value are "required": a reader that does
 * not know one must stop instead of skipping it.  Below it, unknown types
 * are additions a reader may skip. */
#define TRACE_TYPE_REQUIRED 0x80000000u

/* ---- header -------------------------------------------------------------- */

/* Instruction virtualisation the recorder used (later issues add values). */
enum trace_insn_virt {
	TRACE_INSN_VIRT_NONE = 0,
	/* CPUID/XGETBV/XSAVE family patched to ud2 and emulated; sites in
	 * the tasks stream (replay/insn_virt.h) */
	TRACE_INSN_VIRT_PATCH = 1,
};

struct trace_thread_xcr0 {
	int32_t tid;
	uint64_t xcr0;
};

struct trace_uname {
	char *sysname, *nodename, *release, *version, *machine;
};

/* Every pointer is owned by the header (trace_header_free releases it);
 * set them through the helpers below or with malloc'd memory. */
struct trace_header {
	uint32_t format_major, format_minor;    /* as read; writers use ours */
	uint8_t uuid[16];
	char *xrr_version;
	char **argv;            /* NULL-terminated, argc entries */
	size_t argc;
	char **envp;            /* NULL-terminated, envc entries */
	size_t envc;
	char *cwd;
	struct trace_uname uname;
	uint64_t page_size;
	/* Every CPUID leaf and sub-leaf as the program saw it. */
	struct cpuid_leaf *cpuid;
	size_t ncpuid;
	uint64_t host_xcr0;     /* the machine's real XCR0 */
	uint64_t initial_xcr0;  /* the XCR0 the program started with */
	struct trace_thread_xcr0 *thread_xcr0;
	size_t nthread_xcr0;
	struct xsave_layout xsave;
	/* ISA controls in use while recording. */
	bool cpuid_faulting;
	bool kernel_xcr0_control;
	uint32_t insn_virt;     /* enum trace_insn_virt */
	char *tick_source;      /* "none", or a PMU name */
	int32_t bound_cpu;      /* -1: not bound */
	/* rdtsc/rdtscp trapped while recording (their values are in
	 * EV_RDTSC); false on machines where PR_SET_TSC has no effect. */
	bool rdtsc_trapped;
};

/* Empty header with defaults (tick source "none", no CPU binding). */
void trace_header_init(struct trace_header *h);
void trace_header_free(struct trace_header *h);
int trace_header_copy(struct trace_header *dst, const struct trace_header *src);
/* Fill what this process can know by itself: random uuid, xrr version,
 * uname, page size, cwd.  CPUID, XCR0 and the XSAVE layout are the
 * recorder's: it knows what the program saw. */
int trace_header_fill_host(struct trace_header *h);
int trace_header_set_argv(struct trace_header *h, char *const argv[]);
int trace_header_set_envp(struct trace_header *h, char *const envp[]);
int trace_header_set_string(char **field, const char *value);
int trace_header_add_cpuid(struct trace_header *h, const struct cpuid_leaf *l);
/* Add or replace tid's entry. */
int trace_header_set_thread_xcr0(struct trace_header *h, int32_t tid,
				 uint64_t xcr0);
const struct cpuid_leaf *trace_header_find_cpuid(const struct trace_header *h,
						 uint32_t leaf,
						 uint32_t subleaf);
/* Serialised form (what `version` holds), and back.  `name` is the file
 * name used in messages. */
struct trace_buf;
int trace_header_encode(const struct trace_header *h, struct trace_buf *out);
int trace_header_decode(struct trace_header *h, const void *data, size_t len,
			const char *name, char *err, size_t errlen);

/* ---- record streams ------------------------------------------------------ */

enum trace_status {
	TRACE_RECORD = 1,       /* a record was returned */
	TRACE_EOF = 0,          /* clean end: the end-of-stream marker */
	TRACE_TRUNCATED = -1,   /* cut short at the end: records so far valid */
	TRACE_CORRUPT = -2,     /* bad checksum or structure */
	TRACE_IO_ERROR = -3,
};

struct trace_record {
	uint32_t type;
	uint32_t len;
	const uint8_t *data;    /* valid until the next call on the reader */
	uint64_t index;         /* 0-based record number in the stream */
	uint64_t offset;        /* file offset of the block it starts in */
};

struct trace_writer;
struct trace_reader;

/* Create (truncate) a stream file.  block_size 0 means the default. */
struct trace_writer *trace_writer_create(const char *path, size_t block_size,
					 char *err, size_t errlen);
int trace_writer_append(struct trace_writer *w, uint32_t type,
			const void *data, size_t len);
/* End the current block now (a recorder may flush at quiet points so a
 * crash loses less).  Blocks also end when full. */
int trace_writer_flush(struct trace_writer *w);
/* Flush, write the end-of-stream marker, fsync, free.  -1 (err filled)
 * if this or any earlier write failed. */
int trace_writer_close(struct trace_writer *w, char *err, size_t errlen);
/* Free without the end marker, as if the recorder had died (tests). */
void trace_writer_abandon(struct trace_writer *w);
const char *trace_writer_error(const struct trace_writer *w);
uint64_t trace_writer_records(const struct trace_writer *w);

struct trace_reader *trace_reader_open(const char *path, char *err,
				       size_t errlen);
/* Next record; on anything but TRACE_RECORD the message (file, byte
 * offset, what is wrong) is in trace_reader_error() and the reader stays
 * at that status. */
enum trace_status trace_reader_next(struct trace_reader *r,
				    struct trace_record *rec);
const char *trace_reader_error(const struct trace_reader *r);
const char *trace_reader_path(const struct trace_reader *r);
void trace_reader_close(struct trace_reader *r);
/* A second reader at the same place: the same next record, status and
 * message, and the same last record (trace_reader_last), independent of
 * r from now on.  NULL with the reason in err. */
struct trace_reader *trace_reader_clone(const struct trace_reader *r,
					char *err, size_t errlen);
/* The record the last trace_reader_next returned, again (its data valid
 * until the next call on the reader); false when there is none (nothing
 * read yet, or the last call failed). */
bool trace_reader_last(const struct trace_reader *r, struct trace_record *rec);

/* ---- the trace directory ------------------------------------------------- */

enum trace_stream {
	TRACE_STREAM_EVENTS,
	TRACE_STREAM_DATA,
	TRACE_STREAM_MMAPS,
	TRACE_STREAM_TASKS,
	TRACE_STREAM_FILEMAP,   /* written by trace_store_file */
	TRACE_NSTREAMS
};

enum trace_state {
	TRACE_COMPLETE,         /* the recorder closed it */
	TRACE_RECORDING,        /* a recorder holds it open right now */
	TRACE_INCOMPLETE,       /* the recorder died: streams end early */
};

struct trace;

const char *trace_stream_name(enum trace_stream s);
const char *trace_state_name(enum trace_state s);

/* Start recording into dir (created; an existing one must be empty):
 * writes `incomplete` holding a copy of h, and takes a lock that tells
 * readers a recorder is alive. */
struct trace *trace_create(const char *dir, const struct trace_header *h,
			   char *err, size_t errlen);
struct trace_writer *trace_stream_writer(struct trace *t, enum trace_stream s);
/* The header the trace will be closed with (the recorder adds thread
 * XCR0 entries as threads appear). */
struct trace_header *trace_header_mut(struct trace *t);
/* Rewrite `incomplete` from trace_header_mut() (atomically). */
int trace_update_header(struct trace *t, char *err, size_t errlen);

/* Open a trace for reading. */
struct trace *trace_open(const char *dir, char *err, size_t errlen);
const struct trace_header *trace_header(const struct trace *t);
enum trace_state trace_state(const struct trace *t);
const char *trace_dir(const struct trace *t);
struct trace_reader *trace_stream_reader(const struct trace *t,
					 enum trace_stream s,
					 char *err, size_t errlen);

/* For a trace being written: close every stream, write `version`, drop
 * `incomplete`.  For one being read: just free.  -1 if anything failed
 * (the trace is then left incomplete). */
int trace_close(struct trace *t, char *err, size_t errlen);

/* ---- stored files ---------------------------------------------------------- */

#define TRACE_FILE_ID_LEN (2 * 32)      /* hex SHA-256 */
struct trace_file_id {
	char hex[TRACE_FILE_ID_LEN + 1];
};

/* One filemap record: where a stored file came from. */
struct trace_file_entry {
	char *path;
	uint64_t size;
	int64_t mtime_sec;
	uint32_t mtime_nsec;
	uint64_t dev, ino;
	struct trace_file_id id;
};

#define TRACE_REC_FILE_STORED 1u        /* filemap stream record type */

/* Copy path into files/<sha256> (reflink first, plain copy otherwise;
 * never a hard link: the original may change in place), unless identical
 * content is already there, and append a filemap record.  The same
 * (dev, inode, size, mtime) stored again is not re-read. */
int trace_store_file(struct trace *t, const char *path,
		     struct trace_file_id *id, char *err, size_t errlen);
/* The same, reading `path` (e.g. /proc/PID/fd/N) but recording the file
 * under `recorded_path` (the name the program knows it by). */
int trace_store_file_as(struct trace *t, const char *path,
			const char *recorded_path, struct trace_file_id *id,
			char *err, size_t errlen);
/* Is id a stored file's name (64 lower-case hex digits)? */
bool trace_file_id_valid(const char *id);
/* Open a stored file read-only: an fd, or -1. */
int trace_open_file(const struct trace *t, const char *id, char *err,
		    size_t errlen);
/* Re-hash a stored file and compare with its name. */
int trace_verify_file(const struct trace *t, const char *id, char *err,
		      size_t errlen);
int trace_file_entry_decode(struct trace_file_entry *e, const void *data,
			    size_t len);
/* The record body trace_file_entry_decode reads (check b->failed). */
void trace_file_entry_encode(const struct trace_file_entry *e,
			     struct trace_buf *b);
void trace_file_entry_free(struct trace_file_entry *e);
/* Every stored-file record of t's filemap, in order (*v calloc'd, free
 * with trace_file_entries_free).  -1 with err when the stream cannot be
 * read or memory runs out; records that do not decode are skipped. */
int trace_filemap_load(const struct trace *t, struct trace_file_entry **v,
		       size_t *n, char *err, size_t errlen);
void trace_file_entries_free(struct trace_file_entry *v, size_t n);

/* ---- where traces live ------------------------------------------------------ */

/* $XRR_TRACE_DIR, else $XDG_DATA_HOME/xrr, else ~/.local/share/xrr. */
int trace_default_root(char *out, size_t outlen, char *err, size_t errlen);
/* Make root/PROG-N with N one more than the largest existing (0 at
 * first); PROG is the base name of prog.  Root is created if needed. */
int trace_make_dir(const char *root, const char *prog, char *out,
		   size_t outlen, char *err, size_t errlen);
/* Point root/latest-trace at trace_dir (replaced atomically). */
int trace_set_latest(const char *root, const char *trace_dir, char *err,
		     size_t errlen);
/* A TRACE argument to a directory: NULL or "" means root/latest-trace;
 * something with a '/' (or "." / "..") is a path; a bare name is looked
 * up under root, then in the current directory.  out is canonical. */
int trace_resolve(const char *root, const char *arg, char *out, size_t outlen,
		  char *err, size_t errlen);

#endif
