/* clone3 (raw system call) when the kernel has it: a fork-like child
 * (exit_signal SIGCHLD), one with CLONE_PIDFD collected with
 * waitid(P_PIDFD), one with CLONE_VFORK|CLONE_VM on its own stack (in
 * assembly: it stores to our memory and exits).  The children use only
 * raw system calls. */
#include "conf_proc.h"
#include <linux/sched.h>
#include <poll.h>
#include <sys/syscall.h>

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

static long do_clone3(struct clone_args *ca)
{
	return syscall(SYS_clone3, ca, sizeof *ca);
}

static volatile int shared_flag;

/* clone3 whose child, on its own stack in our memory, stores VALUE at
 * FLAG and exits with CODE without touching its (empty) stack. */
static long clone3_store_exit(struct clone_args *ca, volatile int *flag, int value, int code)
{
	long ret;
	asm volatile("syscall\n\t"
		     "test %%rax, %%rax\n\t"
		     "jnz 1f\n\t"
		     "movl %[val], (%[flag])\n\t"
		     "movl %[nr_exit], %%eax\n\t"
		     "movl %[code], %%edi\n\t"
		     "syscall\n\t"
		     "1:\n"
		     : "=a"(ret)
		     : "0"((long)SYS_clone3), "D"(ca), "S"(sizeof *ca), [flag] "r"(flag),
		       [val] "r"(value), [nr_exit] "i"(SYS_exit), [code] "r"(code)
		     : "rcx", "r11", "memory");
	if (ret < 0) {
		errno = (int)-ret;
		return -1;
	}
	return ret;
}

int main(void)
{
	struct clone_args ca;
	memset(&ca, 0, sizeof ca);
	ca.exit_signal = SIGCHLD;
	fflush(stdout);
	long pid = do_clone3(&ca);
	if (pid < 0 && (errno == ENOSYS || errno == EPERM)) {
		printf("clone3 not available here: nothing to check\n");
		return conf_finish("clone3");
	}
	if (pid == 0) {
		static const char msg[] = "clone3 child: hello\n";
		write_full(1, msg, sizeof msg - 1);
		syscall(SYS_exit_group, 12);
	}
	int st = 0;
	/* Nothing printed until the child, which writes to our stdout, is collected. */
	pid_t r = pid > 0 ? wait_for((pid_t)pid, &st, 0) : -1;
	check("clone3 returned a pid", pid > 0);
	check("child collected", pid > 0 && r == pid);
	describe_status("clone3 child", st);
	check("exited 12", WIFEXITED(st) && WEXITSTATUS(st) == 12);

	int pidfd = -1;
	memset(&ca, 0, sizeof ca);
	ca.flags = CLONE_PIDFD;
	ca.pidfd = (unsigned long)&pidfd;
	ca.exit_signal = SIGCHLD;
	fflush(stdout);
	pid = do_clone3(&ca);
	if (pid == 0)
		syscall(SYS_exit_group, 13);
	check("CLONE_PIDFD gave a descriptor", pid > 0 && pidfd >= 0);
	struct pollfd pfd = { pidfd, POLLIN, 0 };
	check("pidfd becomes readable", poll(&pfd, 1, 10000) == 1 && (pfd.revents & POLLIN));
	siginfo_t si;
	memset(&si, 0, sizeof si);
	check("waitid(P_PIDFD) succeeds", waitid((idtype_t)P_PIDFD, (id_t)pidfd, &si, WEXITED) == 0);
	check("siginfo: pid, CLD_EXITED, status 13",
	      si.si_pid == pid && si.si_code == CLD_EXITED && si.si_status == 13);
	close(pidfd);

	size_t size = 64 * 1024;
	char *stack = malloc(size);
	memset(&ca, 0, sizeof ca);
	ca.flags = CLONE_VM | CLONE_VFORK;
	ca.exit_signal = SIGCHLD;
	ca.stack = (unsigned long)stack;
	ca.stack_size = size;
	fflush(stdout);
	pid = clone3_store_exit(&ca, &shared_flag, 77, 14);
	check("CLONE_VFORK child done before clone3 returned", shared_flag == 77);
	check("CLONE_VFORK child collected", pid > 0 && wait_for((pid_t)pid, &st, 0) == pid);
	check("exited 14", WIFEXITED(st) && WEXITSTATUS(st) == 14);
	free(stack);
	return conf_finish("clone3");
}
