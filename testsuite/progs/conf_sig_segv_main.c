/* The main program prints lines, then writes through a null pointer:
 * death by SIGSEGV (status 139), with the lines flushed before. */
#include "conf_proc.h"
#include <sys/resource.h>

static int zero(void) { return 0; }

int main(void)
{
	struct rlimit rl = { 0, 0 };
	setrlimit(RLIMIT_CORE, &rl);
	for (int i = 1; i <= 3; i++)
		printf("line %d before the fault\n", i);
	printf("DIE segv_main by signal %d\n", SIGSEGV);
	fflush(stdout);
	*(volatile int *)(long)zero() = 1;
	printf("FAIL segv_main (survived)\n");
	return 1;
}
