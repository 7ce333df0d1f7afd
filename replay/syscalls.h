/* x86-64 system call knowledge for the recorder, the replayer and
 * `xrr dump`: one table row per syscall (replay/syscall_table.c) and one
 * per ioctl request (replay/ioctl_table.c).
 *
 * The recorder, per syscall event:
 *   entry:  d = syscall_check(nr, args, event, err, n)   NULL -> stop, err says why
 *           syscall_entry(d, args, read, ctx, &st, err, n)  value-result lengths
 *   exit:   k = syscall_memory_effects(d, args, result, &st, read, ctx,
 *                                      regions, max, err, n)
 *           then save result and the bytes of regions[0..k).
 * The replayer asks syscall_replay_kind(d, args): EMULATE (set the result
 * and write the recorded regions) or PERFORM (let the kernel run it because
 * it shapes the address space or the tasks).
 *
 * Rule: a syscall, ioctl request, fcntl/futex/prctl/arch_prctl operation
 * the tables do not know is refused with a message naming it; nothing is
 * ever guessed. A number the kernel does not implement (negative, past the
 * table, a hole in the numbering, a removed call) is recorded only when the
 * kernel answers ENOSYS. Regions may over-approximate what the kernel wrote
 * (the replayed bytes are then the ones that were there), never
 * under-approximate. */
#ifndef XRR_REPLAY_SYSCALLS_H
#define XRR_REPLAY_SYSCALLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SC_MAX_ARGS 6
#define SC_MAX_OUTS 4

/* How an argument is printed by syscall_format_call. */
enum sc_arg {
	SA_NONE,
	SA_INT,         /* signed 32-bit decimal */
	SA_UINT,        /* unsigned 32-bit decimal */
	SA_LONG,        /* signed 64-bit decimal (offsets, pids) */
	SA_ULONG,       /* unsigned 64-bit decimal (sizes) */
	SA_HEX,
	SA_PTR,         /* NULL or 0x... */
	SA_FD,
	SA_DIRFD,       /* AT_FDCWD or fd */
	SA_PATH,        /* NUL-terminated string in tracee memory */
	SA_BUF_IN,      /* buffer the kernel reads; length is the next argument */
	SA_BUF_OUT,     /* buffer the kernel writes; shown with result bytes */
	SA_STRV,        /* NULL-terminated array of strings (execve) */
	SA_OPEN_FLAGS,
	SA_CLOEXEC_FLAGS, /* O_CLOEXEC/O_NONBLOCK-style flags without access mode */
	SA_MODE,        /* octal */
	SA_PROT,
	SA_MAP_FLAGS,
	SA_AT_FLAGS,
	SA_SIGNUM,
	SA_SIGHOW,
	SA_CLOCKID,
	SA_FUTEX_OP,
	SA_FCNTL_CMD,
	SA_IOCTL_REQ,
	SA_WHENCE,
	SA_ACCESS_MODE,
	SA_MADVICE,
	SA_RLIMIT,
	SA_SOCK_FAMILY,
	SA_SOCK_TYPE,
	SA_CLONE_FLAGS,
	SA_ARCH_PRCTL,
	SA_PRCTL,
	SA_EPOLL_OP,
	SA_SUBOP,       /* the row's sub-operation code (SC_OUT_SUBOP's arg) */
};

/* How the length of one kernel-written region is derived. */
enum sc_len {
	SC_OUT_NONE,
	SC_OUT_FIXED,        /* size bytes */
	SC_OUT_RESULT,       /* result bytes, at most args[param] when param >= 0 */
	SC_OUT_RESULT_TIMES, /* result elements of size, at most args[param] */
	SC_OUT_ARG,          /* args[param] bytes */
	SC_OUT_ARG_TIMES,    /* args[param] elements of size */
	SC_OUT_PAGES,        /* one byte per page of args[param] (mincore) */
	SC_OUT_FDSET,        /* fd_set of args[param] bits (select) */
	SC_OUT_VALRES,       /* buffer + socklen_t *args[param]: min(before, after) */
	SC_OUT_IOVEC,        /* iovec[args[param]]: result bytes, in order */
	SC_OUT_MSGHDR,       /* recvmsg: msghdr, name, iov, control */
	SC_OUT_MMSG_LEN,     /* sendmmsg: msg_len of result mmsghdr entries */
	SC_OUT_MMSG_RECV,    /* recvmmsg: result mmsghdr entries, names, control,
	                        msg_len bytes of each entry's iovecs */
	SC_OUT_RESULT_PLUS,  /* size + min(result, args[param]) bytes (msgrcv) */
	SC_OUT_CSTRING,      /* NUL-terminated string the kernel stored, at most
	                        size bytes (sysfs) */
	SC_OUT_UPTO,         /* size bytes, cut at the first unreadable page
	                        (semctl GETALL: the set's size is not an argument) */
	SC_OUT_FIXED_CLIP,   /* size bytes, cut at the first unreadable page */
	SC_OUT_IOVEC_CLIP,   /* IOVEC, each piece cut at the first unreadable
	                        page (process_vm_writev: may target us or not) */
	SC_OUT_HDR_U32,      /* size + the u32 at args[arg] + param, read at exit
	                        (struct file_handle: 8 + handle_bytes) */
	SC_OUT_XATTR_ARGS,   /* getxattrat: result bytes at struct xattr_args'
	                        value, at most its size */
	SC_OUT_IOCTL,        /* from the ioctl table (request = args[1]) */
	SC_OUT_SUBOP,        /* from the sub-operation table `size` (enum
	                        sc_subtable_id), code = (args[arg] >> shift) & mask */
	SC_OUT_CLONE,        /* clone: parent_tid / pidfd per flags */
	SC_OUT_CLONE3,       /* clone3: pidfd / parent_tid from struct clone_args */
	SC_OUT_BPF,          /* a bpf command's writes through union bpf_attr
	                        (replay/syscall_bpf.c; `size` says which) */
};

/* Sub-operation tables (struct sc_out.size of an SC_OUT_SUBOP rule). */
enum sc_subtable_id {
	SCT_FCNTL,
	SCT_FUTEX,
	SCT_PRCTL,
	SCT_ARCH_PRCTL,
	SCT_SHMCTL,
	SCT_SEMCTL,
	SCT_MSGCTL,
	SCT_KEYCTL,
	SCT_SYSLOG,
	SCT_SYSFS,
	SCT_MODIFY_LDT,
	SCT_QUOTACTL,
	SCT_IOPL,
	SCT_IOPERM,
	SCT_PROCESS_MADVISE,
	SCT_SECCOMP,
	SCT_BPF,
	SCT_COUNT,
};

/* When the region is written. */
enum sc_when {
	SC_WHEN_OK,          /* result >= 0 */
	SC_WHEN_POSITIVE,    /* result > 0 */
	SC_WHEN_INTR,        /* result is -EINTR or a kernel restart code */
	SC_WHEN_ANY,         /* whatever the result, except -EFAULT */
};

struct sc_out {
	uint8_t kind;        /* enum sc_len */
	int8_t arg;          /* index of the pointer argument */
	int8_t param;        /* index of the length/count argument, or -1 */
	uint8_t when;        /* enum sc_when */
	uint32_t size;       /* fixed or element size */
};

enum sc_replay {
	SC_UNSUPPORTED,      /* row only names the syscall; recording refuses it */
	SC_EMULATE,          /* replay sets the result and writes the regions */
	SC_PERFORM,          /* replay lets the kernel execute it */
	SC_PERFORM_IF,       /* depends on arguments: see syscall_replay_kind */
};

enum sc_flags {
	SC_F_BLOCKING = 1 << 0,   /* may sleep in the kernel: let other threads run */
	SC_F_RET_PTR  = 1 << 1,   /* result is an address: print in hex */
	SC_F_ASYNC    = 1 << 2,   /* registers memory the kernel writes later
	                             (rseq, robust list, clear_child_tid) */
	SC_F_NORETURN = 1 << 3,   /* no syscall-exit stop on success */
	SC_F_RESTART  = 1 << 4,   /* restart_syscall: effects are the original's */
	SC_F_FAIL_ONLY = 1 << 5,  /* only a failure can be replayed: success
	                             changed the process in a way replay does
	                             not reproduce; the effects call refuses it */
	SC_F_ENOSYS   = 1 << 6,   /* not implemented by Linux: only ENOSYS is
	                             known; any other answer is refused */
};

struct syscall_desc {
	int nr;
	const char *name;
	uint8_t nargs;
	uint8_t replay;                 /* enum sc_replay */
	uint16_t flags;                 /* enum sc_flags */
	uint8_t arg[SC_MAX_ARGS];       /* enum sc_arg */
	struct sc_out out[SC_MAX_OUTS]; /* SC_OUT_NONE terminates */
	const char *why;                /* why it is refused or FAIL_ONLY */
};

struct ioctl_desc {
	uint32_t request;
	const char *name;
	uint32_t out_size;              /* bytes written at args[2] on success */
	/* Variable tail: plus elem_size times the u32 at args[2] + count_off,
	 * read at exit (FS_IOC_FIEMAP extents). 0: no tail. */
	uint16_t count_off;
	uint16_t elem_size;
};

/* One region the kernel wrote in the tracee. */
struct sc_region {
	uint64_t addr;
	uint64_t len;
};

/* Values the recorder must read at syscall entry because the kernel
 * overwrites them (value-result socklen_t, msg_namelen), and for bpf the
 * union bpf_attr and object info as the caller passed them (the buffer
 * sizes there are the bounds of what the kernel writes). */
#define SC_ENTRY_BLOB 512
struct sc_entry_state {
	uint64_t val[SC_MAX_OUTS];
	bool valid;
	uint32_t blob_len;
	uint8_t blob[SC_ENTRY_BLOB];
};

/* Reads len bytes of tracee memory at addr; 0 on success, -1 on failure. */
typedef int (*sc_read_fn)(void *ctx, uint64_t addr, void *buf, size_t len);

/* The tables, sorted by number. */
extern const struct syscall_desc syscall_table[];
extern const size_t syscall_table_len;
extern const struct ioctl_desc ioctl_table[];
extern const size_t ioctl_table_len;

/* The descriptor syscall_check gives numbers without a row. */
extern const struct syscall_desc syscall_invalid;

/* Supported syscall nr, or NULL (unknown or refused number). */
const struct syscall_desc *syscall_lookup(long nr);
/* Name of any syscall the table names (supported or not), else NULL. */
const char *syscall_name(long nr);
/* Number of a named syscall, or -1. */
long syscall_number(const char *name);
const struct ioctl_desc *ioctl_lookup(uint64_t request);

/* Entry check: the descriptor when nr and its sub-operation (ioctl
 * request, fcntl command, futex op, prctl option, ...) are known; else
 * NULL and err = "event N: unsupported system call NAME (NR): WHY...".
 * A number with no row (negative, past the table, a hole) gets
 * syscall_invalid: recorded when the kernel answers ENOSYS. */
const struct syscall_desc *syscall_check(long nr, const uint64_t args[SC_MAX_ARGS],
					 uint64_t event, char *err, size_t errlen);

/* Reads the value-result inputs into st. Returns 0, or -1 with err. */
int syscall_entry(const struct syscall_desc *d, const uint64_t args[SC_MAX_ARGS],
		  sc_read_fn read, void *ctx, struct sc_entry_state *st,
		  char *err, size_t errlen);

/* Regions the kernel wrote, for the exit with result. Fills out[0..max)
 * and returns their count, or -1 with err (unknown sub-operation, tracee
 * memory unreadable, too many regions, missing entry state). */
int syscall_memory_effects(const struct syscall_desc *d,
			   const uint64_t args[SC_MAX_ARGS], int64_t result,
			   const struct sc_entry_state *st, sc_read_fn read, void *ctx,
			   struct sc_region *out, size_t max, char *err, size_t errlen);

/* May this call sleep in the kernel (SC_F_BLOCKING, unless its
 * sub-operation never does: a futex wake)? */
bool syscall_may_block(const struct syscall_desc *d,
		       const uint64_t args[SC_MAX_ARGS]);

/* EMULATE or PERFORM for this call (resolves SC_PERFORM_IF). */
enum sc_replay syscall_replay_kind(const struct syscall_desc *d,
				   const uint64_t args[SC_MAX_ARGS]);

/* "openat(AT_FDCWD, \"/etc/passwd\", O_RDONLY|O_CLOEXEC) = 3" into buf
 * (always NUL-terminated). read may be NULL: strings print as pointers.
 * Unknown numbers print as syscall_NR(hex args). Returns strlen(buf). */
size_t syscall_format_call(char *buf, size_t size, long nr,
			   const uint64_t args[SC_MAX_ARGS], int64_t result,
			   sc_read_fn read, void *ctx);
/* " = 3", " = 0x7f..." or " = -1 ENOENT (No such file or directory)". */
size_t syscall_format_result(char *buf, size_t size, const struct syscall_desc *d,
			     int64_t result);
/* "ENOENT" for 2, NULL when unknown. */
const char *syscall_errno_name(int err);
/* "SIGSEGV", "SIGRTMIN+3"; NULL when out of range. */
const char *syscall_signal_name(int sig, char *buf, size_t size);

#endif
