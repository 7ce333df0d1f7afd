#include "config.h"

#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>

#include "stub/process_target.h"

static int hw_args(enum target_bp_type type, size_t kind, enum hw_type *hw,
		   int *len)
{
	switch (type) {
	case TARGET_BP_HARDWARE: *hw = HW_EXECUTE; *len = 1; return 0;
	case TARGET_WP_WRITE: *hw = HW_WRITE; *len = (int)kind; return 0;
	case TARGET_WP_ACCESS: *hw = HW_ACCESS; *len = (int)kind; return 0;
	default: return -EOPNOTSUPP;   /* x86 cannot trap reads alone */
	}
}

int process_target_insert_bp(struct process *p, enum target_bp_type type,
			     uint64_t addr, size_t kind)
{
	if (type == TARGET_BP_SOFTWARE)
		return process_insert_breakpoint(p, addr);
	enum hw_type hw;
	int len, rc = hw_args(type, kind, &hw, &len);
	return rc < 0 ? rc : process_insert_hw(p, hw, addr, len);
}

int process_target_remove_bp(struct process *p, enum target_bp_type type,
			     uint64_t addr, size_t kind)
{
	if (type == TARGET_BP_SOFTWARE)
		return process_remove_breakpoint(p, addr);
	enum hw_type hw;
	int len, rc = hw_args(type, kind, &hw, &len);
	return rc < 0 ? rc : process_remove_hw(p, hw, addr, len);
}

ssize_t target_fd_pread(struct target *t, int fd, void *buf, size_t len,
			uint64_t offset)
{
	ssize_t n = pread(fd, buf, len, (off_t)offset);
	return n < 0 ? -errno : n;
}

int target_fd_close(struct target *t, int fd)
{
	return close(fd) < 0 ? -errno : 0;
}

int target_fd_fstat(struct target *t, int fd, struct stat *st)
{
	return fstat(fd, st) < 0 ? -errno : 0;
}
