/* Shared between the files of the ptrace task layer; not an interface. */
#ifndef XRR_REPLAY_TASK_INT_H
#define XRR_REPLAY_TASK_INT_H

#include "replay/task.h"

#include <stdbool.h>
#include <stdint.h>

/* Record a failure in p->err ("fn(tid): what: strerror") and return
 * -err (err is a positive errno). */
int task_fail(struct process *p, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Program DR0-DR3/DR7 of one (stopped) thread from p->hw. */
int task_hw_apply(struct process *p, struct task *t);

/* Raw memory access that ignores software breakpoints. */
ssize_t task_mem_read_raw(struct process *p, uint64_t addr, void *buf,
			  size_t len);
ssize_t task_mem_write_raw(struct process *p, uint64_t addr, const void *buf,
			   size_t len);
/* Forget everything tied to the address space (after exec). */
void task_mem_forget(struct process *p);

/* Bookkeeping for a thread whose exit status was collected. */
void task_mark_exited(struct process *p, struct task *t, int status);

/* `syscall` (0f 05) or `int $0x80` (cd 80): what a thread in a
 * syscall-entry stop sits after, unless its registers were moved. */
static inline bool task_syscall_insn(const uint8_t b[2])
{
	return (b[0] == 0x0f && b[1] == 0x05) || (b[0] == 0xcd && b[1] == 0x80);
}

/* Wait for one specific thread (consulting stops kept for later first);
 * returns its wait status or -errno. */
int task_wait_status(pid_t tid, int *status);

#endif
