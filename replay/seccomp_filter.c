/* Rewriting a recorded program's seccomp filters (seccomp_filter.h). */
#include "replay/seccomp_filter.h"

#include <errno.h>
#include <linux/audit.h>
#include <linux/seccomp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>

#include "syscallbuf/syscallbuf_abi.h"

#define DATA_NR offsetof(struct seccomp_data, nr)
#define DATA_ARCH offsetof(struct seccomp_data, arch)
/* xrr's private syscalls: [first, end) (syscallbuf_abi.h). */
#define PRIVATE_FIRST XRR_SYS_SB_REGISTER
#define PRIVATE_END (XRR_SYS_SB_REGISTER + 0x100)

void seccomp_answers_free(struct seccomp_answers *a)
{
	free(a->values);
	memset(a, 0, sizeof(*a));
}

int seccomp_answer_of(const struct seccomp_answers *a, uint16_t data,
		      uint32_t *value)
{
	if (data == 0 || data > a->n)
		return -1;
	*value = a->values[data - 1];
	return 0;
}

/* The data naming `value`: the same value always gets the same index. */
static long answer_index(struct seccomp_answers *a, uint32_t value)
{
	for (size_t i = 0; i < a->n; i++)
		if (a->values[i] == value)
			return (long)i + 1;
	if (a->n + 1 >= SECCOMP_DATA_STRICT_KILL)
		return -1;
	if (a->n == a->cap) {
		size_t cap = a->cap ? a->cap * 2 : 16;
		uint32_t *v = realloc(a->values, cap * sizeof(*v));
		if (!v)
			return -1;
		a->values = v;
		a->cap = cap;
	}
	a->values[a->n++] = value;
	return (long)a->n;
}

static size_t put_prologue(struct sock_filter *out)
{
	const struct sock_filter p[SECCOMP_PROLOGUE_INSNS] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, DATA_ARCH),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 0, 4),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, DATA_NR),
		BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, PRIVATE_FIRST, 0, 2),
		BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, PRIVATE_END, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRACE),
		/* The program's filter starts with A = 0, as it would. */
		BPF_STMT(BPF_LD | BPF_IMM, 0),
	};

	memcpy(out, p, sizeof(p));
	return SECCOMP_PROLOGUE_INSNS;
}

/* One `ret K` of a program's filter, rewritten in *insn. */
static int rewrite_ret(struct sock_filter *insn, size_t at,
		       struct seccomp_answers *answers, char *err,
		       size_t errlen)
{
	uint32_t action = insn->k & SECCOMP_RET_ACTION_FULL;

	switch (action) {
	case SECCOMP_RET_ERRNO:
	case SECCOMP_RET_TRACE: {
		long idx = answer_index(answers, insn->k);
		if (idx < 0) {
			snprintf(err, errlen, "seccomp filter: instruction %zu:"
				 " too many distinct answers to record (or "
				 "out of memory)", at);
			return -1;
		}
		insn->k = SECCOMP_RET_TRACE | (uint32_t)idx;
		return 0;
	}
	case SECCOMP_RET_USER_NOTIF:
		snprintf(err, errlen, "seccomp filter: instruction %zu answers "
			 "SECCOMP_RET_USER_NOTIF (0x%08x): a supervisor "
			 "answering syscalls through a notification fd is not "
			 "recorded", at, insn->k);
		return -1;
	default:
		/* ALLOW, LOG: xrr's own filter still traces the call.
		 * TRAP, KILL_*, unknown actions (the kernel kills): the
		 * kernel acts and the recorder records what it did. */
		return 0;
	}
}

long seccomp_rewrite(const struct sock_filter *in, size_t n,
		     struct seccomp_answers *answers, struct sock_filter *out,
		     char *err, size_t errlen)
{
	if (n + SECCOMP_PROLOGUE_INSNS > SECCOMP_FILTER_MAX_INSNS) {
		snprintf(err, errlen, "seccomp filter of %zu instructions: "
			 "with the %d xrr puts before it, longer than the "
			 "kernel's limit of %d", n, SECCOMP_PROLOGUE_INSNS,
			 SECCOMP_FILTER_MAX_INSNS);
		return -1;
	}
	size_t k = put_prologue(out);
	for (size_t i = 0; i < n; i++) {
		struct sock_filter insn = in[i];
		if (BPF_CLASS(insn.code) == BPF_RET) {
			if (BPF_RVAL(insn.code) != BPF_K) {
				snprintf(err, errlen, "seccomp filter: "
					 "instruction %zu returns a register "
					 "(code 0x%04x): only constant answers "
					 "can be rewritten for recording", i,
					 insn.code);
				return -1;
			}
			if (rewrite_ret(&insn, i, answers, err, errlen) < 0)
				return -1;
		}
		out[k++] = insn;
	}
	return (long)k;
}

size_t seccomp_strict_filter(struct sock_filter *out)
{
	size_t k = put_prologue(out);
	const struct sock_filter strict[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, DATA_ARCH),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 0, 5),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, DATA_NR),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_read, 4, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_write, 3, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_exit, 2, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_rt_sigreturn, 1, 0),
		BPF_STMT(BPF_RET | BPF_K,
			 SECCOMP_RET_TRACE | SECCOMP_DATA_STRICT_KILL),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	_Static_assert(sizeof(strict) / sizeof(strict[0]) + SECCOMP_PROLOGUE_INSNS
		       == SECCOMP_STRICT_INSNS, "strict filter length");
	memcpy(out + k, strict, sizeof(strict));
	return k + sizeof(strict) / sizeof(strict[0]);
}

int64_t seccomp_emulated_result(uint32_t value)
{
	uint32_t data = value & SECCOMP_RET_DATA;

	if ((value & SECCOMP_RET_ACTION_FULL) == SECCOMP_RET_ERRNO)
		/* The kernel clamps the errno (MAX_ERRNO). */
		return -(int64_t)(data > 4095 ? 4095 : data);
	/* SECCOMP_RET_TRACE with no tracer asking for seccomp stops. */
	return -ENOSYS;
}
