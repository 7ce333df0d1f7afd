/* The ops table a debugging target implements for the stub.
 *
 * The stub speaks RSP; a target knows how to run and inspect something:
 * a live process under ptrace, a replay, a diversion, or a fake used in
 * tests.  Every op returns 0 (or a count) on success and a negative errno
 * value on failure unless stated otherwise; the stub turns failures into
 * `E..` replies and never into dropped connections. */
#ifndef XRR_STUB_TARGET_H
#define XRR_STUB_TARGET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "common/x86_regfile.h"
#include "protocol/rsp.h"

enum target_stop_kind {
	TARGET_STOP_SIGNAL,    /* a thread stopped with `signo` (0 = none) */
	TARGET_STOP_EXITED,    /* the process exited with `status` */
	TARGET_STOP_KILLED,    /* the process died of signal `signo` */
};

enum target_stop_reason {
	TARGET_REASON_NONE,
	TARGET_REASON_SWBREAK,     /* software breakpoint; PC is AT it */
	TARGET_REASON_HWBREAK,
	TARGET_REASON_WATCH,       /* write watchpoint at watch_addr */
	TARGET_REASON_RWATCH,
	TARGET_REASON_AWATCH,
	TARGET_REASON_REPLAY_END,  /* end of recorded history */
	TARGET_REASON_REPLAY_BEGIN,
	TARGET_REASON_SYSCALL_ENTRY,  /* caught syscall_nr (SIGTRAP stop) */
	TARGET_REASON_SYSCALL_RETURN,
};

/* Syscall numbers a target can be asked to catch: 0..TARGET_MAX_SYSCALL-1. */
#define TARGET_MAX_SYSCALL 1024

struct target_stop {
	enum target_stop_kind kind;
	int signo;
	int status;
	int64_t pid, tid;
	enum target_stop_reason reason;
	uint64_t watch_addr;
	int syscall_nr;         /* TARGET_REASON_SYSCALL_ENTRY/RETURN */
	/* Console text shown in GDB before the stop is reported (end of
	 * history, divergence); empty when none. */
	char message[600];
};

struct target_thread {
	int64_t pid, tid;
	uint64_t xcr0;
	char name[32];          /* comm, may be empty */
	int core;               /* -1 when unknown */
};

/* One vCont action (or c/s/C/S), applied to `tid` or to every thread
 * not named by an earlier action when tid is RSP_ID_ALL (-1). */
struct target_resume {
	int64_t tid;
	bool step;
	int signo;
	/* GDB's bc/bs (reverse execution): run backwards to the previous
	 * visible stop, or un-execute one instruction of tid.  Only
	 * targets with reverse_supported set get these. */
	bool reverse;
};

/* Is a breakpoint hit of thread tid at pc one GDB wants to see?  The
 * stub evaluates the breakpoint's conditions (ConditionalBreakpoints+)
 * with the target stopped there; true when any is true or there is none. */
typedef bool (*target_stop_filter)(void *ctx, int64_t tid, uint64_t pc);

enum target_bp_type {
	TARGET_BP_SOFTWARE = 0,  /* Z0 */
	TARGET_BP_HARDWARE = 1,  /* Z1 */
	TARGET_WP_WRITE = 2,     /* Z2 */
	TARGET_WP_READ = 3,      /* Z3 */
	TARGET_WP_ACCESS = 4,    /* Z4 */
};

enum target_wait_result {
	TARGET_WAIT_STOPPED = 1,      /* *stop is filled */
	TARGET_WAIT_INTERRUPTED = 0,  /* interrupt_fd became readable */
	TARGET_WAIT_ERROR = -1,
};

struct target;

struct target_ops {
	/* Threads of the (single) debugged process, in creation order. */
	int (*list_threads)(struct target *t, struct target_thread *out,
			    size_t max);
	bool (*thread_alive)(struct target *t, int64_t tid);

	int (*get_regs)(struct target *t, int64_t tid, struct x86_regfile *out);
	/* May refuse (e.g. in a replay) with a message in err. */
	int (*set_regs)(struct target *t, int64_t tid,
			const struct x86_regfile *in, char *err, size_t errlen);

	/* Reads must show original bytes under inserted breakpoints.
	 * Return bytes read (short at an unmapped page) or -errno. */
	ssize_t (*read_memory)(struct target *t, uint64_t addr, void *buf,
			       size_t len);
	ssize_t (*write_memory)(struct target *t, uint64_t addr,
				const void *buf, size_t len, char *err,
				size_t errlen);

	int (*insert_breakpoint)(struct target *t, enum target_bp_type type,
				 uint64_t addr, size_t kind);
	int (*remove_breakpoint)(struct target *t, enum target_bp_type type,
				 uint64_t addr, size_t kind);

	/* Start threads running; does not wait. */
	int (*resume)(struct target *t, const struct target_resume *actions,
		      size_t n);
	/* Block until a thread stops (all-stop: the others are then stopped
	 * too) or `interrupt_fd` is readable. */
	enum target_wait_result (*wait)(struct target *t,
					struct target_stop *stop,
					int interrupt_fd);
	/* Ask a running target to stop (GDB's ^C); the stop arrives through
	 * wait() as SIGINT. */
	int (*interrupt)(struct target *t);
	int (*kill)(struct target *t);
	int (*detach)(struct target *t);

	/* Optional ops (NULL when unsupported). */
	int (*get_auxv)(struct target *t, const void **data, size_t *len);
	int (*exec_file)(struct target *t, int64_t pid, char *out, size_t len);
	int (*get_siginfo)(struct target *t, int64_t tid, void *buf,
			   size_t len);
	/* Host or trace files for vFile: return an fd-like handle or -errno. */
	int (*file_open)(struct target *t, const char *path, int flags,
			 int mode);
	ssize_t (*file_pread)(struct target *t, int handle, void *buf,
			      size_t len, uint64_t offset);
	int (*file_close)(struct target *t, int handle);
	int (*file_fstat)(struct target *t, int handle, struct stat *st);
	ssize_t (*file_readlink)(struct target *t, const char *path, char *buf,
				 size_t len);
	/* `monitor CMD`: append console text to out; return 0 when handled,
	 * 1 when the command is unknown to the target, -errno on failure. */
	int (*monitor)(struct target *t, const char *cmd, struct rsp_buf *out);
	/* Signals GDB wants passed straight through (QPassSignals). */
	void (*set_pass_signals)(struct target *t, const bool *pass, int nsig);
	/* Start the program again from the beginning (extended-remote
	 * `run`); the target is then stopped at its first instruction. */
	int (*restart)(struct target *t, char *err, size_t errlen);
	/* The stub's breakpoint-condition filter, for hits the target finds
	 * without reporting them (a reverse-continue scans forward over many
	 * hits and keeps the last visible one). */
	void (*set_stop_filter)(struct target *t, target_stop_filter fn,
				void *ctx);
	/* GDB's `catch syscall` (QCatchSyscalls): from the next resume on,
	 * stop with TARGET_REASON_SYSCALL_ENTRY/RETURN at the syscalls
	 * whose which[nr] is true (which NULL: every syscall), or at none
	 * when !on. */
	int (*catch_syscalls)(struct target *t, bool on, const bool *which);
};

struct target {
	const struct target_ops *ops;
	const char *name;         /* "live", "replay", "fake" */
	uint64_t xcr0_union;      /* for the target description */
	bool is_replay;           /* qAttached, replay-only behaviour */
	bool reverse_supported;   /* advertise ReverseStep+/ReverseContinue+ */
	void *priv;
};

#endif
