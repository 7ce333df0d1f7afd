/* A recorded program's own seccomp filters, rewritten for recording.
 *
 * xrr records under a filter of its own that returns SECCOMP_RET_TRACE
 * (data 0) for every syscall it must see.  A program's filter stacks on
 * top of it, and the kernel takes the strongest action of all filters:
 * an ERRNO (or a TRACE meant for a tracer the program has not got) would
 * win over xrr's TRACE and answer the call without any ptrace stop, so
 * neither the recording nor the replay would know.  So before the kernel
 * sees a program's filter, every `ret` that answers ERRNO or TRACE is
 * rewritten to `ret TRACE | index`, where index names the original answer
 * in a table; the recorder gives that answer itself at the stop and
 * records it like any syscall result.  ALLOW and LOG stay (xrr's own
 * filter still sees the call), TRAP and KILL stay (the kernel delivers
 * the SIGSYS or kills; the recorder records what happened).
 *
 * Every rewritten filter starts with a prologue that sends xrr's private
 * syscalls (the syscall buffer's, replay/syscallbuf.h) to xrr with data
 * 0 whatever the program's filter would say, so that the preload library
 * of a program started under an inherited filter can still register.
 *
 * Pure functions on classic BPF: no tracee, unit-tested. */
#ifndef XRR_REPLAY_SECCOMP_FILTER_H
#define XRR_REPLAY_SECCOMP_FILTER_H

#include <linux/filter.h>
#include <stddef.h>
#include <stdint.h>

/* si_code of a filter's SIGSYS (SECCOMP_RET_TRAP): SYS_SECCOMP, which
 * glibc shows only to some feature sets. */
#define SIGSYS_SECCOMP_CODE 1

/* The kernel's limit on one filter's length. */
#define SECCOMP_FILTER_MAX_INSNS 4096
/* Instructions the rewrite puts before the program's. */
#define SECCOMP_PROLOGUE_INSNS 7
/* Data of a rewritten `ret` that stands for SECCOMP_MODE_STRICT's kill
 * (seccomp_strict_filter). */
#define SECCOMP_DATA_STRICT_KILL 0xffff

/* Original return values of rewritten `ret`s; data i (1-based) is
 * values[i - 1].  One table for the whole recording: filters are
 * inherited by children and kept across execve. */
struct seccomp_answers {
	uint32_t *values;
	size_t n, cap;
};

void seccomp_answers_free(struct seccomp_answers *a);
/* The original return value for a stop's data: 0 and true, or false
 * when data names no rewritten answer. */
int seccomp_answer_of(const struct seccomp_answers *a, uint16_t data,
		      uint32_t *value);

/* Rewrite in[0..n) into out (room for n + SECCOMP_PROLOGUE_INSNS).
 * Returns the new length, or -1 with err naming the instruction and why
 * it cannot be recorded (a USER_NOTIF answer, a `ret A`, a filter too
 * long for the prologue, out of memory). */
long seccomp_rewrite(const struct sock_filter *in, size_t n,
		     struct seccomp_answers *answers, struct sock_filter *out,
		     char *err, size_t errlen);

/* SECCOMP_MODE_STRICT as a filter (a thread with xrr's filter cannot
 * enter strict mode): read, write, exit and rt_sigreturn are allowed,
 * anything else stops with SECCOMP_DATA_STRICT_KILL, prologue included.
 * out has room for SECCOMP_STRICT_INSNS. */
#define SECCOMP_STRICT_INSNS (SECCOMP_PROLOGUE_INSNS + 9)
size_t seccomp_strict_filter(struct sock_filter *out);

/* What the recorder answers for a rewritten return value: the syscall's
 * result (an ERRNO's -errno, ENOSYS for a TRACE without a tracer, as the
 * kernel would). */
int64_t seccomp_emulated_result(uint32_t value);

#endif
