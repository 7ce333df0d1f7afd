/* clone() of a process whose exit signal is not SIGCHLD (0 here), with
 * and without CLONE_VM: ptrace reports it as a clone, not a fork, yet it
 * is a process of its own.  The parent collects it with __WALL.
 * Self-checking: ends with PASS. */
#define _GNU_SOURCE
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static int shared;

static int child(void *arg)
{
	shared = 42;
	printf("child %s runs\n", (const char *)arg);
	fflush(stdout);
	return 9;
}

static int run(int flags, const char *name, int want_shared)
{
	const size_t size = 64 * 1024;
	char *stack = malloc(size);
	shared = 0;
	pid_t pid = clone(child, stack + size, flags, (void *)name);
	int st = 0;
	pid_t got = waitpid(pid, &st, __WALL);
	int ok = pid > 0 && got == pid && WIFEXITED(st) && WEXITSTATUS(st) == 9 &&
		 shared == want_shared;
	printf("%s: collected with status 9, shared %d: %s\n", name, shared,
	       ok ? "yes" : "no");
	free(stack);
	return ok;
}

int main(void)
{
	fflush(stdout);
	int ok = run(CLONE_VM, "CLONE_VM, exit signal 0", 42);
	ok &= run(0, "private, exit signal 0", 0);
	if (!ok)
		return 1;
	printf("PASS clone_nosig\n");
	return 0;
}
