/* What the trace_*.c files share about an open trace; not an API. */
#ifndef XRR_REPLAY_TRACE_INTERNAL_H
#define XRR_REPLAY_TRACE_INTERNAL_H

#include <sys/types.h>
#include <time.h>

#include "replay/trace.h"

#define TRACE_FILES_DIR "files"

/* mkdir -p path (0755); -1 with errno. */
int trace_make_dirs(const char *path);

/* A file already stored during this recording, keyed by what stat says,
 * so that every mmap of libc does not re-read libc. */
struct trace_stored_file {
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime;
	struct trace_file_id id;
	uint64_t name_hash;     /* of the last name recorded in filemap */
};

struct trace {
	char *dir;
	int dirfd;              /* holds the recorder's flock while writing */
	bool writing;
	enum trace_state state;
	struct trace_header header;
	struct trace_writer *writers[TRACE_NSTREAMS];
	struct trace_stored_file *stored;
	size_t nstored;
};

/* SHA-256 of everything fd holds (pread from 0), as a file id. */
int trace_file_hash_fd(int fd, struct trace_file_id *id);
/* Copy src into files/ of the trace directory dirfd under its content
 * hash (reflink first; dropped if that content is already there); the
 * id in *id.  -1 with errno. */
int trace_files_copy_in(int dirfd, int src, struct trace_file_id *id);

/* "dir/name", malloc'd. */
char *trace_path(const struct trace *t, const char *name);

#endif
