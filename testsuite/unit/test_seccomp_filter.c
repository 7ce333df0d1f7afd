/* Unit tests for replay/seccomp_filter.*: the rewrite of a program's
 * classic BPF seccomp filter (which answers stay, which become xrr's
 * trace stops and with which index, what is refused), the strict-mode
 * filter, the emulated results; and the real kernel accepting the
 * rewritten code and reporting the index as the seccomp stop's data. */
#include "config.h"

#include "replay/seccomp_filter.h"
#include "syscallbuf/syscallbuf_abi.h"
#include "testsuite/unit/cunit_main.h"

#include <errno.h>
#include <linux/audit.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))
#define NR offsetof(struct seccomp_data, nr)

/* getppid -> ERRNO(EPERM), getpgrp -> TRACE|5, gettid -> TRAP,
 * getuid -> KILL_PROCESS, getgid -> ERRNO(EPERM) again, else ALLOW. */
static const struct sock_filter sample[] = {
	BPF_STMT(BPF_LD | BPF_W | BPF_ABS, NR),
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getppid, 0, 1),
	BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getpgrp, 0, 1),
	BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRACE | 5),
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_gettid, 0, 1),
	BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP | 9),
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getuid, 0, 1),
	BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getgid, 0, 1),
	BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
	BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
};

static void test_rewrite_answers(void)
{
	struct seccomp_answers a = { 0 };
	struct sock_filter out[NELEM(sample) + SECCOMP_PROLOGUE_INSNS];
	char err[256] = "";
	long n = seccomp_rewrite(sample, NELEM(sample), &a, out, err, sizeof(err));

	CU_ASSERT_EQUAL_FATAL(n, (long)(NELEM(sample) + SECCOMP_PROLOGUE_INSNS));
	const struct sock_filter *p = out + SECCOMP_PROLOGUE_INSNS;
	/* Everything but the answers is untouched (jumps stay valid). */
	for (size_t i = 0; i < NELEM(sample); i++) {
		CU_ASSERT_EQUAL(p[i].code, sample[i].code);
		CU_ASSERT_EQUAL(p[i].jt, sample[i].jt);
		CU_ASSERT_EQUAL(p[i].jf, sample[i].jf);
		if (BPF_CLASS(sample[i].code) != BPF_RET)
			CU_ASSERT_EQUAL(p[i].k, sample[i].k);
	}
	CU_ASSERT_EQUAL(p[2].k, SECCOMP_RET_TRACE | 1);
	CU_ASSERT_EQUAL(p[4].k, SECCOMP_RET_TRACE | 2);
	CU_ASSERT_EQUAL(p[6].k, SECCOMP_RET_TRAP | 9);
	CU_ASSERT_EQUAL(p[8].k, SECCOMP_RET_KILL_PROCESS);
	CU_ASSERT_EQUAL(p[10].k, SECCOMP_RET_TRACE | 1);  /* same answer, same index */
	CU_ASSERT_EQUAL(p[11].k, SECCOMP_RET_ALLOW);
	CU_ASSERT_EQUAL(a.n, 2);

	uint32_t v = 0;
	CU_ASSERT(seccomp_answer_of(&a, 1, &v) == 0 && v == (SECCOMP_RET_ERRNO | EPERM));
	CU_ASSERT(seccomp_answer_of(&a, 2, &v) == 0 && v == (SECCOMP_RET_TRACE | 5));
	CU_ASSERT(seccomp_answer_of(&a, 0, &v) < 0);
	CU_ASSERT(seccomp_answer_of(&a, 3, &v) < 0);

	/* A second filter keeps the table's indexes. */
	const struct sock_filter second[] = {
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EACCES),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
	};
	n = seccomp_rewrite(second, 2, &a, out, err, sizeof(err));
	CU_ASSERT_EQUAL_FATAL(n, 2 + SECCOMP_PROLOGUE_INSNS);
	CU_ASSERT_EQUAL(out[SECCOMP_PROLOGUE_INSNS].k, SECCOMP_RET_TRACE | 3);
	CU_ASSERT_EQUAL(out[SECCOMP_PROLOGUE_INSNS + 1].k, SECCOMP_RET_TRACE | 1);
	seccomp_answers_free(&a);
}

static void test_rewrite_refusals(void)
{
	struct seccomp_answers a = { 0 };
	struct sock_filter out[SECCOMP_FILTER_MAX_INSNS];
	char err[256] = "";
	const struct sock_filter notif[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, NR),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF),
	};
	const struct sock_filter ret_a[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, NR),
		BPF_STMT(BPF_RET | BPF_A, 0),
	};

	CU_ASSERT(seccomp_rewrite(notif, 2, &a, out, err, sizeof(err)) < 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "USER_NOTIF"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "instruction 1"));
	CU_ASSERT(seccomp_rewrite(ret_a, 2, &a, out, err, sizeof(err)) < 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "register"));

	static struct sock_filter big[SECCOMP_FILTER_MAX_INSNS];
	for (size_t i = 0; i < NELEM(big); i++)
		big[i] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K,
						      SECCOMP_RET_ALLOW);
	size_t fits = SECCOMP_FILTER_MAX_INSNS - SECCOMP_PROLOGUE_INSNS;
	CU_ASSERT_EQUAL(seccomp_rewrite(big, fits, &a, out, err, sizeof(err)),
			(long)SECCOMP_FILTER_MAX_INSNS);
	CU_ASSERT(seccomp_rewrite(big, fits + 1, &a, out, err, sizeof(err)) < 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "limit"));
	seccomp_answers_free(&a);
}

static void test_emulated_results(void)
{
	CU_ASSERT_EQUAL(seccomp_emulated_result(SECCOMP_RET_ERRNO | EPERM), -EPERM);
	CU_ASSERT_EQUAL(seccomp_emulated_result(SECCOMP_RET_ERRNO | 0), 0);
	CU_ASSERT_EQUAL(seccomp_emulated_result(SECCOMP_RET_ERRNO | 0xffff), -4095);
	CU_ASSERT_EQUAL(seccomp_emulated_result(SECCOMP_RET_TRACE | 7), -ENOSYS);
}

/* ---- with the kernel ------------------------------------------------- */

/* In a child traced with PTRACE_O_TRACESECCOMP: install `code`, then
 * make syscall `nr`.  Returns the data of nr's seccomp stop, or -1 when
 * it made none; *result is what the call returned (the
 * tracer lets it run). */
static long stop_data_for(const struct sock_filter *code, size_t n, long nr,
			  long *result)
{
	int pipefd[2];
	long data = -1;

	if (pipe(pipefd) < 0)
		return -2;
	pid_t pid = fork();
	if (pid == 0) {
		close(pipefd[0]);
		struct sock_fprog prog = { .len = (unsigned short)n,
					   .filter = (struct sock_filter *)code };
		ptrace(PTRACE_TRACEME, 0, 0, 0);
		raise(SIGSTOP);
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
		    syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0)
			_exit(2);
		long r = syscall(nr, 0, 0, 0, 0, 0, 0);
		if (write(pipefd[1], &r, sizeof(r)) != sizeof(r))
			_exit(3);
		_exit(0);
	}
	close(pipefd[1]);
	int st;
	waitpid(pid, &st, 0);
	ptrace(PTRACE_SETOPTIONS, pid, 0, PTRACE_O_TRACESECCOMP | PTRACE_O_EXITKILL);
	ptrace(PTRACE_CONT, pid, 0, 0);
	while (waitpid(pid, &st, 0) == pid && WIFSTOPPED(st)) {
		if ((st >> 8) == (SIGTRAP | (PTRACE_EVENT_SECCOMP << 8)) &&
		    ptrace(PTRACE_PEEKUSER, pid,
			   offsetof(struct user, regs.orig_rax), 0) == nr) {
			unsigned long msg = 0;
			ptrace(PTRACE_GETEVENTMSG, pid, 0, &msg);
			data = (long)msg;
		}
		int sig = WSTOPSIG(st) == SIGTRAP ? 0 : WSTOPSIG(st);
		ptrace(PTRACE_CONT, pid, 0, sig);
	}
	if (read(pipefd[0], result, sizeof(*result)) != sizeof(*result))
		data = -3;
	close(pipefd[0]);
	CU_ASSERT(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	return data;
}

static void test_kernel_accepts_rewrite(void)
{
	struct seccomp_answers a = { 0 };
	struct sock_filter out[NELEM(sample) + SECCOMP_PROLOGUE_INSNS];
	char err[256] = "";
	long n = seccomp_rewrite(sample, NELEM(sample), &a, out, err, sizeof(err));
	long result = 0;

	CU_ASSERT_FATAL(n > 0);
	/* The program's ERRNO: a stop with its index; the call then runs. */
	CU_ASSERT_EQUAL(stop_data_for(out, (size_t)n, SYS_getppid, &result), 1);
	CU_ASSERT(result > 0);
	CU_ASSERT_EQUAL(stop_data_for(out, (size_t)n, SYS_getpgrp, &result), 2);
	/* ALLOW: no stop at all (xrr's own filter is not there). */
	CU_ASSERT_EQUAL(stop_data_for(out, (size_t)n, SYS_getpid, &result), -1);
	CU_ASSERT(result > 0);
	/* A private call: the prologue's stop, data 0, whatever follows. */
	const struct sock_filter deny_all[] = {
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
	};
	n = seccomp_rewrite(deny_all, 1, &a, out, err, sizeof(err));
	CU_ASSERT_EQUAL(stop_data_for(out, (size_t)n, XRR_SYS_SB_REGISTER, &result), 0);
	CU_ASSERT_EQUAL(result, -1);    /* ENOSYS from the kernel: not a real call */
	seccomp_answers_free(&a);

	struct sock_filter strict[SECCOMP_STRICT_INSNS];
	n = (long)seccomp_strict_filter(strict);
	CU_ASSERT_EQUAL(stop_data_for(strict, (size_t)n, SYS_getpid, &result),
			SECCOMP_DATA_STRICT_KILL);
	CU_ASSERT_EQUAL(stop_data_for(strict, (size_t)n, SYS_write, &result), -1);
}

static const struct unit_test rewrite_tests[] = {
	{ "answers rewritten, indexes shared", test_rewrite_answers },
	{ "USER_NOTIF, ret A, too long refused", test_rewrite_refusals },
	{ "emulated results", test_emulated_results },
	{ "the kernel runs the rewritten filter", test_kernel_accepts_rewrite },
	{ NULL, NULL },
};

static const struct unit_suite suites[] = {
	{ "seccomp_filter", rewrite_tests, NULL, NULL },
};

int main(void)
{
	return unit_run(suites, NELEM(suites));
}
