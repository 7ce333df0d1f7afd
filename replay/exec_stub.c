/* xrr-exec-stub: the program the replayer execs before rebuilding the
 * recorded address space in it.  It only has to exist and stop: the
 * replayer takes over at its exec, unmaps it and never lets it run.
 * Should it ever run, it stops itself and then exits with 127.
 * Built -static -nostdlib: no loader, no libc, as few mappings as
 * possible. */
#include <signal.h>
#include <sys/syscall.h>

void _start(void) __attribute__((noreturn));

static long raw_syscall2(long nr, long a, long b)
{
	long ret;

	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(nr), "D"(a), "S"(b)
			 : "rcx", "r11", "memory");
	return ret;
}

void _start(void)
{
	long pid = raw_syscall2(SYS_getpid, 0, 0);

	raw_syscall2(SYS_kill, pid, SIGSTOP);
	for (;;)
		raw_syscall2(SYS_exit_group, 127, 0);
}
