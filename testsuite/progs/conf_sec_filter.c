/* A program's own seccomp filter: ERRNO answers (for a call the syscall
 * buffer would make, a call replay must not perform, a fork), a TRACE
 * answer with no tracer (ENOSYS), TRAP with a SIGSYS handler that reads
 * the interrupted context and emulates the call, PR_GET_SECCOMP, and
 * the filter inherited by a child and kept across its execve.  Run with
 * "--exec-child" it is that child. */
#include "conf_sys.h"
#include "conf_sec.h"

#include <signal.h>
#include <stdbool.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <ucontext.h>

#define MAP_LEN (3 * 4096)

static volatile int sigsys_syscall = -1, sigsys_errno = -1;
static volatile long sigsys_rax = -1;
static volatile bool sigsys_addr_ok;

static void on_sigsys(int sig, siginfo_t *si, void *ctx)
{
	ucontext_t *uc = ctx;

	(void)sig;
	sigsys_syscall = si->si_syscall;
	sigsys_errno = si->si_errno;
	/* The kernel rolled rax back to the number; rip is after the
	 * syscall instruction, which the call address names. */
	sigsys_rax = uc->uc_mcontext.gregs[REG_RAX];
	sigsys_addr_ok = (uint64_t)si->si_call_addr ==
			 (uint64_t)uc->uc_mcontext.gregs[REG_RIP];
	uc->uc_mcontext.gregs[REG_RAX] = 77;    /* the emulated result */
}

static int exec_child(void)
{
	/* The filter came with us through execve. */
	errno = 0;
	long r = syscall(SYS_getppid);
	CHECK(r == -1 && errno == EPERM, "after execve: getppid EPERM");
	CHECK(prctl(PR_GET_SECCOMP, 0, 0, 0, 0) == 2, "after execve: PR_GET_SECCOMP 2");
	/* glibc's getppid returns -EPERM raw, errno untouched. */
	CHECK(getppid() == -EPERM, "after execve: libc getppid -EPERM");
	return conf_finish("conf_sec_filter --exec-child");
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "--exec-child") == 0)
		return exec_child();

	CHECK(prctl(PR_GET_SECCOMP, 0, 0, 0, 0) == 0, "PR_GET_SECCOMP before: 0");
	char *map = mmap(NULL, MAP_LEN, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(map != MAP_FAILED, "mmap");
	memset(map, 'm', MAP_LEN);

	struct sigaction sa = { .sa_sigaction = on_sigsys, .sa_flags = SA_SIGINFO };
	sigaction(SIGSYS, &sa, NULL);

	struct sec_filter f;
	sec_begin(&f);
	sec_rule(&f, SYS_getppid, SECCOMP_RET_ERRNO | EPERM);
	sec_rule(&f, SYS_uname, SECCOMP_RET_ERRNO | EACCES);
	sec_rule(&f, SYS_getpgrp, SECCOMP_RET_TRACE | 5);
	sec_rule(&f, SYS_getpriority, SECCOMP_RET_TRAP | 42);
	sec_rule(&f, SYS_sethostname, SECCOMP_RET_ERRNO | 0);
	sec_rule_arg(&f, SYS_munmap, 1, MAP_LEN, SECCOMP_RET_ERRNO | EPERM);
	sec_rule_arg(&f, SYS_clone, 0, 0x7777, SECCOMP_RET_ERRNO | EAGAIN);
	sec_end(&f);
	CHECK(sec_install(&f, 0) == 0, "seccomp(SECCOMP_SET_MODE_FILTER)");
	CHECK(prctl(PR_GET_SECCOMP, 0, 0, 0, 0) == 2, "PR_GET_SECCOMP after: 2");

	CHECK(getppid() == -EPERM, "getppid: -EPERM (glibc: raw, no errno)");
	CHECK(syscall(SYS_getppid) == -1 && errno == EPERM, "syscall(getppid): EPERM");
	struct utsname u;
	CHECK(uname(&u) == -1 && errno == EACCES, "uname: EACCES");
	CHECK(syscall(SYS_getpgrp) == -1 && errno == ENOSYS,
	      "getpgrp (SECCOMP_RET_TRACE, no tracer): ENOSYS");
	CHECK(syscall(SYS_sethostname, "x", 1) == 0, "sethostname: ERRNO 0 is success");
	CHECK(getpid() > 0, "getpid allowed");

	long r = syscall(SYS_getpriority, PRIO_PROCESS, 0);
	CHECK(r == 77, "getpriority: SIGSYS handler's result 77");
	CHECK(sigsys_syscall == SYS_getpriority, "SIGSYS si_syscall");
	CHECK(sigsys_errno == 42, "SIGSYS si_errno: the filter's data 42");
	CHECK(sigsys_rax == SYS_getpriority, "SIGSYS context rax: the number");
	CHECK(sigsys_addr_ok, "SIGSYS si_call_addr: the interrupted rip");

	/* Replay must not unmap what the filter kept mapped. */
	CHECK(munmap(map, MAP_LEN) == -1 && errno == EPERM, "munmap: EPERM");
	CHECK(map[MAP_LEN - 1] == 'm', "still mapped");

	CHECK(syscall(SYS_clone, 0x7777, 0, 0, 0, 0) == -1 && errno == EAGAIN,
	      "clone(0x7777): EAGAIN");

	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		errno = 0;
		long pp = syscall(SYS_getppid);
		_exit(pp == -1 && errno == EPERM ? 10 : 11);
	}
	int st = 0;
	CHECK(pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) &&
	      WEXITSTATUS(st) == 10, "forked child: getppid EPERM");

	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		execl("/proc/self/exe", argv[0], "--exec-child", (char *)NULL);
		_exit(127);
	}
	CHECK(pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) &&
	      WEXITSTATUS(st) == 0, "exec'd child passed");
	return conf_finish("conf_sec_filter");
}
