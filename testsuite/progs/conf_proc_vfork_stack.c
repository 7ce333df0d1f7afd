/* A vfork child writes variables of its parent (a stack variable, a
 * global, a heap byte) and _exits; the parent, resumed after the child's
 * _exit, sees the writes and the child's status. */
#include "conf_proc.h"

static volatile int global_value = 1;

int main(void)
{
	volatile int stack_value = 5;
	volatile char *heap = malloc(64);
	if (!heap) {
		conf_fail("malloc");
		return conf_finish("vfork_stack");
	}
	heap[10] = 'a';
	fflush(stdout);
	pid_t pid = vfork();
	if (pid < 0) {
		conf_fail("vfork");
		return conf_finish("vfork_stack");
	}
	if (pid == 0) {
		stack_value = 42;
		global_value = 43;
		heap[10] = 'z';
		_exit(7);
	}
	int st;
	check("waitpid returns the vfork result", wait_for(pid, &st, 0) == pid);
	describe_status("vfork child", st);
	check("child exited 7", WIFEXITED(st) && WEXITSTATUS(st) == 7);
	check("stack variable written by the child (42)", stack_value == 42);
	check("global written by the child (43)", global_value == 43);
	check("heap byte written by the child", heap[10] == 'z');
	printf("stack value %d, global %d, heap byte %c\n", stack_value, global_value, heap[10]);
	free((void *)heap);
	return conf_finish("vfork_stack");
}
