/* Pieces shared by the targets built on a ptraced process (live,
 * replay, diversion): breakpoints through the task layer, and vFile
 * handles that are plain file descriptors. */
#ifndef XRR_STUB_PROCESS_TARGET_H
#define XRR_STUB_PROCESS_TARGET_H

#include "replay/task.h"
#include "stub/target.h"

/* Z0 as int3, Z1/Z2/Z4 through the debug registers; Z3 (read-only
 * watchpoints) is -EOPNOTSUPP: x86 cannot trap reads alone. */
int process_target_insert_bp(struct process *p, enum target_bp_type type,
			     uint64_t addr, size_t kind);
int process_target_remove_bp(struct process *p, enum target_bp_type type,
			     uint64_t addr, size_t kind);

/* vFile ops over file descriptors opened by the target's file_open. */
ssize_t target_fd_pread(struct target *t, int fd, void *buf, size_t len,
			uint64_t offset);
int target_fd_close(struct target *t, int fd);
int target_fd_fstat(struct target *t, int fd, struct stat *st);

#endif
