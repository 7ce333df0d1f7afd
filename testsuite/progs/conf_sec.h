/* Shared by the conf_sec_* conformance programs: building classic BPF
 * seccomp filters by hand (no libseccomp), as sandboxes do. */
#ifndef XRR_CONF_SEC_H
#define XRR_CONF_SEC_H

#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#define SEC_NR offsetof(struct seccomp_data, nr)
#define SEC_ARCH offsetof(struct seccomp_data, arch)
#define SEC_ARG_LO(i) (offsetof(struct seccomp_data, args) + 8 * (i))

/* A filter under construction: the arch check, then one rule per
 * syscall (nr -> answer), then ALLOW. */
struct sec_filter {
	struct sock_filter code[256];
	unsigned short n;
};

static inline void sec_put(struct sec_filter *f, struct sock_filter insn)
{
	f->code[f->n++] = insn;
}

static inline void sec_begin(struct sec_filter *f)
{
	f->n = 0;
	sec_put(f, (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, SEC_ARCH));
	sec_put(f, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K,
						AUDIT_ARCH_X86_64, 1, 0));
	sec_put(f, (struct sock_filter)BPF_STMT(BPF_RET | BPF_K,
						SECCOMP_RET_KILL_PROCESS));
	sec_put(f, (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, SEC_NR));
}

/* nr -> answer (A holds the number on entry and exit). */
static inline void sec_rule(struct sec_filter *f, int nr, uint32_t answer)
{
	sec_put(f, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K,
						(uint32_t)nr, 0, 1));
	sec_put(f, (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, answer));
}

/* nr with its argument i (low 32 bits) == value -> answer. */
static inline void sec_rule_arg(struct sec_filter *f, int nr, int i,
				uint32_t value, uint32_t answer)
{
	sec_put(f, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K,
						(uint32_t)nr, 0, 4));
	sec_put(f, (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
						SEC_ARG_LO(i)));
	sec_put(f, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K,
						value, 0, 1));
	sec_put(f, (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, answer));
	sec_put(f, (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, SEC_NR));
}

static inline void sec_end(struct sec_filter *f)
{
	sec_put(f, (struct sock_filter)BPF_STMT(BPF_RET | BPF_K,
						SECCOMP_RET_ALLOW));
}

/* Install with seccomp(2) (flags) or, flags < 0, prctl(PR_SET_SECCOMP). */
static inline long sec_install(struct sec_filter *f, long flags)
{
	struct sock_fprog prog = { .len = f->n, .filter = f->code };

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -1;
	if (flags < 0)
		return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0);
	return syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &prog);
}

#endif
