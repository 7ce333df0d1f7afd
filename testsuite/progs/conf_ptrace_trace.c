/* A small syscall tracer, the way simple debuggers and strace's own probe
 * work: the child asks to be traced (PTRACE_TRACEME), stops itself, and
 * the parent follows it with PTRACE_SYSCALL, reading each stop with
 * PTRACE_GET_SYSCALL_INFO, PTRACE_GETREGS, PTRACE_PEEKDATA, PTRACE_GETSIGINFO
 * and PTRACE_GETEVENTMSG; it passes a SIGUSR1 on to the child's handler,
 * swallows a SIGUSR2, and sees the child's execve as an event.  It prints
 * the calls of a fixed set it saw, in order, with their results. */
#include "conf_sys.h"

#include <signal.h>
#include <stdbool.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile int usr1_seen, usr2_seen;

static void on_usr1(int sig) { (void)sig; usr1_seen++; }
static void on_usr2(int sig) { (void)sig; usr2_seen++; }

static void child(void)
{
	signal(SIGUSR1, on_usr1);
	signal(SIGUSR2, on_usr2);
	if (ptrace(PTRACE_TRACEME, 0, 0, 0) < 0)
		_exit(90);
	raise(SIGSTOP);
	syscall(SYS_getppid);
	syscall(SYS_chdir, "/nonexistent-xrr-dir");
	raise(SIGUSR1);
	raise(SIGUSR2);
	/* The handler ran for the signal the tracer passed on, not for the
	 * one it swallowed. */
	if (usr1_seen != 1 || usr2_seen != 0)
		_exit(91);
	execl("/bin/true", "true", (char *)NULL);
	_exit(92);
}

static const char *watched(long nr)
{
	switch (nr) {
	case SYS_getppid: return "getppid";
	case SYS_chdir: return "chdir";
	case SYS_execve: return "execve";
	case SYS_exit_group: return "exit_group";
	default: return NULL;
	}
}

int main(void)
{
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0)
		child();
	int st = 0;
	CHECK(waitpid(pid, &st, 0) == pid && WIFSTOPPED(st) && WSTOPSIG(st) == SIGSTOP,
	      "the child stopped itself for us");
	CHECK(ptrace(PTRACE_SETOPTIONS, pid, 0,
		     PTRACE_O_TRACESYSGOOD | PTRACE_O_TRACEEXEC | PTRACE_O_EXITKILL) == 0,
	      "PTRACE_SETOPTIONS");
	CHECK(ptrace(PTRACE_GETREGS, 12345678, 0, NULL) == -1 && errno == ESRCH,
	      "a pid we do not trace: ESRCH");

	int inject = 0, stops = 0;
	bool path_ok = false, regs_ok = true, info_ok = true, exec_event = false;
	for (;;) {
		if (ptrace(PTRACE_SYSCALL, pid, 0, inject) < 0)
			break;
		inject = 0;
		if (waitpid(pid, &st, 0) != pid || !WIFSTOPPED(st))
			break;
		stops++;
		if (WSTOPSIG(st) == (SIGTRAP | 0x80)) {
			struct __ptrace_syscall_info info;
			long n = ptrace(PTRACE_GET_SYSCALL_INFO, pid, sizeof(info), &info);
			if (info.op == PTRACE_SYSCALL_INFO_ENTRY) {
				struct user_regs_struct regs;
				info_ok &= n == 80;
				ptrace(PTRACE_GETREGS, pid, 0, &regs);
				regs_ok &= regs.orig_rax == info.entry.nr &&
					   (long)regs.rax == -ENOSYS;
				const char *name = watched((long)info.entry.nr);
				if (name)
					printf("entry %s\n", name);
				if (info.entry.nr == SYS_chdir) {
					errno = 0;
					long word = ptrace(PTRACE_PEEKDATA, pid,
							   info.entry.args[0], 0);
					path_ok = errno == 0 && memcmp(&word, "/nonexis", 8) == 0;
				}
			} else if (info.op == PTRACE_SYSCALL_INFO_EXIT) {
				info_ok &= n == 33;
			}
			continue;
		}
		if (st >> 16 == PTRACE_EVENT_EXEC) {
			unsigned long msg = 0;
			ptrace(PTRACE_GETEVENTMSG, pid, 0, &msg);
			exec_event = msg == (unsigned long)pid;
			printf("exec event\n");
			continue;
		}
		siginfo_t si;
		ptrace(PTRACE_GETSIGINFO, pid, 0, &si);
		printf("signal %s, siginfo %s\n", strsignal(WSTOPSIG(st)),
		       si.si_signo == WSTOPSIG(st) ? "matches" : "differs");
		if (WSTOPSIG(st) == SIGUSR1)
			inject = SIGUSR1;       /* passed on; SIGUSR2 swallowed */
	}
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "the child ran /bin/true and exited 0");
	CHECK(stops > 10, "many stops");
	CHECK(path_ok, "PTRACE_PEEKDATA read the chdir path");
	CHECK(regs_ok, "PTRACE_GETREGS at entries: orig_rax, rax -ENOSYS");
	CHECK(info_ok, "PTRACE_GET_SYSCALL_INFO sizes 80 and 33");
	CHECK(exec_event, "PTRACE_EVENT_EXEC with the pid");
	return conf_finish("conf_ptrace_trace");
}
