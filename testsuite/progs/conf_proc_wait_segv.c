/* A child dies by SIGSEGV (a write through a null pointer), another by
 * SIGFPE (integer division by zero), a third catches its SIGSEGV and
 * exits from the handler.  The parent checks WTERMSIG / WEXITSTATUS. */
#include "conf_proc.h"
#include <sys/resource.h>

static int zero(void) { return 0; }

int main(void)
{
	struct rlimit rl = { 0, 0 };
	setrlimit(RLIMIT_CORE, &rl);
	int st;
	printf("child dereferences a null pointer\n");
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		printf("child: about to fault\n");
		fflush(stdout);
		*(volatile int *)(long)zero() = 1;
		_exit(0);
	}
	check("collected", wait_for(pid, &st, 0) == pid);
	describe_status("faulting child", st);
	check("killed by SIGSEGV", WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV);

	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		volatile int a = 7, b = zero();
		_exit(a / b);
	}
	check("collected", wait_for(pid, &st, 0) == pid);
	describe_status("dividing child", st);
	check("killed by SIGFPE", WIFSIGNALED(st) && WTERMSIG(st) == SIGFPE);

	/* A child that catches its own SIGSEGV and exits 4 from the handler. */
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		struct sigaction sa;
		memset(&sa, 0, sizeof sa);
		sa.sa_handler = _exit;
		sigaction(SIGSEGV, &sa, NULL);
		*(volatile int *)(long)zero() = 1;
		_exit(0);
	}
	check("collected", wait_for(pid, &st, 0) == pid);
	describe_status("child with a SIGSEGV handler", st);
	check("handler's _exit(SIGSEGV) gives 11", WIFEXITED(st) && WEXITSTATUS(st) == SIGSEGV);
	return conf_finish("wait_segv");
}
