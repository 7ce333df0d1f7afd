/* clone() by hand: CLONE_VM|CLONE_VFORK|SIGCHLD (the parent is suspended
 * until the child exits; the child writes a global, a stack variable of
 * the parent and our stdout with write(2)), then CLONE_VM without
 * CLONE_VFORK (the parent waits with waitpid), then a fork-like clone
 * with a separate address space whose write the parent must not see. */
#include "conf_proc.h"
#include <sched.h>

static int global_value;

struct arg {
	volatile int *parent_stack;
	int code;
};

static int vfork_child(void *p)
{
	struct arg *a = p;
	global_value = 100 + a->code;
	*a->parent_stack = 200 + a->code;
	static const char msg[] = "clone child: writing from the parent's memory\n";
	write_full(1, msg, sizeof msg - 1);
	return a->code;
}

static int vm_child(void *p)
{
	struct arg *a = p;
	global_value += 1000;
	return a->code;
}

static int private_child(void *p)
{
	global_value = -1;
	return 0;
}

int main(void)
{
	size_t size = 256 * 1024;
	char *stack = malloc(size);
	if (!stack) {
		conf_fail("malloc");
		return conf_finish("clone_vfork");
	}
	volatile int local = 1;
	struct arg a = { &local, 5 };
	fflush(stdout);
	pid_t pid = clone(vfork_child, stack + size, CLONE_VM | CLONE_VFORK | SIGCHLD, &a);
	if (pid < 0) {
		conf_fail("clone");
		return conf_finish("clone_vfork");
	}
	check("CLONE_VFORK: child already wrote the global", global_value == 105);
	check("CLONE_VFORK: child wrote the parent's stack variable", local == 205);
	int st;
	check("CLONE_VFORK child collected", wait_for(pid, &st, 0) == pid);
	describe_status("CLONE_VFORK child", st);
	check("exited 5", WIFEXITED(st) && WEXITSTATUS(st) == 5);

	a.code = 6;
	fflush(stdout);
	pid = clone(vm_child, stack + size, CLONE_VM | SIGCHLD, &a);
	check("CLONE_VM child collected", pid > 0 && wait_for(pid, &st, 0) == pid);
	check("CLONE_VM: exited 6", WIFEXITED(st) && WEXITSTATUS(st) == 6);
	check("CLONE_VM: global incremented by the child", global_value == 1105);

	fflush(stdout);
	pid = clone(private_child, stack + size, SIGCHLD, NULL);
	check("private clone collected", pid > 0 && wait_for(pid, &st, 0) == pid);
	check("private clone: exited 0", WIFEXITED(st) && WEXITSTATUS(st) == 0);
	check("private clone: our global unchanged", global_value == 1105);
	printf("global %d, local %d\n", global_value, local);
	free(stack);
	return conf_finish("clone_vfork");
}
