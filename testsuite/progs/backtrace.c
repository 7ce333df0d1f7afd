/* A known call chain for source-location tests (testsuite/integration/
 * symbols.sh): main -> outer -> inner -> a write(2) made with the raw
 * syscall instruction (so it stops under ptrace even with the syscall
 * buffer), then main -> libc_outer -> write() through libc (a stop
 * with --no-syscall-buffer: unwinding through libc's CFI).  The
 * LINE: markers name the lines the tests expect; they compute the
 * numbers from this file, never hard-code them. */
#ifndef __clang__
#pragma GCC optimize("O0")
#endif
#include <string.h>
#include <unistd.h>

static const char msg[] = "backtrace: inner\n";

__attribute__((noinline)) long inner(int fd)
{
	long ret;
	__asm__ volatile("syscall" /* LINE:inner_write */
			 : "=a"(ret)
			 : "a"(1L), "D"((long)fd), "S"(msg),
			   "d"(sizeof(msg) - 1)
			 : "rcx", "r11", "memory");
	return ret;
}

__attribute__((noinline)) long outer(int fd)
{
	long n = inner(fd); /* LINE:outer_call */
	return n + 1;
}

__attribute__((noinline)) void libc_outer(void)
{
	static const char m[] = "backtrace: libc\n";
	(void)!write(1, m, strlen(m)); /* LINE:libc_write */
}

int main(void)
{
	long n = outer(1); /* LINE:main_call */
	libc_outer(); /* LINE:main_libc */
	return n == (long)sizeof(msg) ? 0 : 1;
}
