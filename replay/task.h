/* ptrace task layer: processes and threads under ptrace, their stops,
 * registers, memory, breakpoints and remote syscalls.
 *
 * Knows nothing of RSP; the stub's live target and the recorder/replayer
 * are built on it. */
#ifndef XRR_REPLAY_TASK_H
#define XRR_REPLAY_TASK_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/user.h>

#include "common/x86_regfile.h"
#include "replay/xsave.h"

#define TASK_MAX_THREADS 256
#define TASK_MAX_BREAKPOINTS 1024
#define TASK_NUM_DEBUGREGS 4

enum task_stop_kind {
	TASK_STOP_SYSCALL,      /* syscall-stop (entry or exit, see in_syscall) */
	TASK_STOP_SIGNAL,       /* signal-delivery-stop: signo, siginfo */
	TASK_STOP_GROUP,        /* group-stop (SIGSTOP & co under PTRACE_LISTEN semantics) */
	TASK_STOP_EXEC,         /* PTRACE_EVENT_EXEC */
	TASK_STOP_CLONE,        /* PTRACE_EVENT_CLONE/FORK/VFORK: new_tid */
	TASK_STOP_EXIT_EVENT,   /* PTRACE_EVENT_EXIT: about to exit */
	TASK_STOP_EXITED,       /* thread gone: exit_status (WIFEXITED) */
	TASK_STOP_KILLED,       /* thread gone: killed by signo */
	TASK_STOP_SECCOMP,
};

struct task_stop {
	pid_t tid;
	enum task_stop_kind kind;
	int signo;
	int exit_status;
	int event;              /* PTRACE_EVENT_* for event stops */
	pid_t new_tid;          /* for TASK_STOP_CLONE */
	bool in_syscall_entry;  /* for TASK_STOP_SYSCALL */
	siginfo_t siginfo;      /* for TASK_STOP_SIGNAL */
	int raw_status;
};

enum task_resume_mode {
	TASK_RESUME_CONT,
	TASK_RESUME_SYSCALL,
	TASK_RESUME_SINGLESTEP,
	TASK_RESUME_SYSEMU,
	TASK_RESUME_SYSEMU_SINGLESTEP,
};

struct task {
	pid_t tid;
	bool stopped;           /* in a ptrace stop */
	bool exited;
	bool in_syscall;        /* between syscall entry and exit stops */
	struct task_stop last_stop;
	uint64_t debugreg[8];   /* shadow of DR0-DR7 */
};

struct breakpoint {
	uint64_t addr;
	uint8_t saved;          /* original byte under the int3 */
	int refcount;
};

struct process {
	pid_t pid;              /* thread-group id */
	struct task tasks[TASK_MAX_THREADS];
	size_t ntasks;
	struct breakpoint bps[TASK_MAX_BREAKPOINTS];
	size_t nbps;
	struct xsave_layout layout;
	int mem_fd;             /* /proc/PID/mem, opened lazily (-1) */
	bool exited;
	int exit_status;        /* wait status once the whole process ended */
};

struct spawn_options {
	bool disable_aslr;      /* personality(ADDR_NO_RANDOMIZE) */
	int cpu;                /* bind to this CPU, or -1 */
	bool trap_tsc;          /* prctl(PR_SET_TSC, PR_TSC_SIGSEGV) */
	const char *cwd;        /* NULL: inherit */
};

/* Fork, PTRACE_TRACEME-free seize (PTRACE_O_EXITKILL|TRACECLONE|TRACEEXEC|
 * TRACESYSGOOD), exec `argv` and stop at the first instruction after
 * exec.  Return 0, or -1 with a message naming the program and errno. */
int process_spawn(struct process *p, char *const argv[], char *const envp[],
		  const struct spawn_options *opts, char *err, size_t errlen);
/* Kill (SIGKILL) and reap everything. */
void process_kill(struct process *p);
/* Remove breakpoints and debug registers, then detach every thread. */
int process_detach(struct process *p);
void process_free(struct process *p);

struct task *process_find_task(struct process *p, pid_t tid);

/* Wait for the next stop of any task of p.  flags: 0 or WNOHANG.  New
 * threads are added and exited ones marked as a side effect.  Returns 1
 * with *stop filled, 0 when WNOHANG found nothing, -1 on error. */
int process_wait(struct process *p, struct task_stop *stop, int flags);
int task_resume(struct process *p, struct task *t, enum task_resume_mode mode,
		int signo);
/* Stop every running task (tgkill SIGSTOP) and collect the stops; other
 * stops seen meanwhile are queued and returned by later process_wait. */
int process_stop_all(struct process *p);

/* Registers. */
int task_get_gregs(struct process *p, struct task *t,
		   struct user_regs_struct *regs);
int task_set_gregs(struct process *p, struct task *t,
		   const struct user_regs_struct *regs);
/* Raw NT_X86_XSTATE image; returns its size or -errno. */
ssize_t task_get_xstate(struct process *p, struct task *t, void *buf,
			size_t len);
int task_set_xstate(struct process *p, struct task *t, const void *buf,
		    size_t len);
/* Everything GDB shows, decoded with p->layout. */
int task_get_regfile(struct process *p, struct task *t,
		     struct x86_regfile *rf);
int task_set_regfile(struct process *p, struct task *t,
		     const struct x86_regfile *rf);

/* Memory: process_vm_readv/writev, falling back to /proc/PID/mem (which
 * can write read-only code pages).  Return bytes transferred or -errno. */
ssize_t process_read_memory(struct process *p, uint64_t addr, void *buf,
			    size_t len);
ssize_t process_write_memory(struct process *p, uint64_t addr,
			     const void *buf, size_t len);
/* Reads that GDB makes: breakpoint bytes replaced by the originals. */
ssize_t process_read_memory_clean(struct process *p, uint64_t addr,
				  void *buf, size_t len);

/* Software breakpoints (int3). */
int process_insert_breakpoint(struct process *p, uint64_t addr);
int process_remove_breakpoint(struct process *p, uint64_t addr);
bool process_has_breakpoint(const struct process *p, uint64_t addr);

/* Hardware breakpoints/watchpoints through DR0-DR3/DR7, applied to every
 * thread (and to new ones).  type: 0 execute, 1 write, 3 read/write;
 * len 1, 2, 4 or 8. */
enum hw_type { HW_EXECUTE = 0, HW_WRITE = 1, HW_ACCESS = 3 };
int process_insert_hw(struct process *p, enum hw_type type, uint64_t addr,
		      int len);
int process_remove_hw(struct process *p, enum hw_type type, uint64_t addr,
		      int len);
/* After a SIGTRAP: which debug register fired (DR6), or -1. Fills the
 * slot's address and type; clears DR6. */
int task_hw_hit(struct process *p, struct task *t, uint64_t *addr,
		enum hw_type *type);

/* Remote syscalls: run `nr(args[0..5])` inside stopped task t (registers,
 * signal mask and code are saved and restored; signals blocked while it
 * runs).  *result is the raw return value (-errno on failure). */
int task_remote_syscall(struct process *p, struct task *t, long nr,
			const long args[6], long *result);

#endif
