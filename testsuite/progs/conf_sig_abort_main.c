/* The main program prints (partly through stdio, partly with write(2)),
 * then calls abort(): death by SIGABRT (status 134). */
#include "conf_proc.h"
#include <sys/resource.h>

int main(void)
{
	struct rlimit rl = { 0, 0 };
	setrlimit(RLIMIT_CORE, &rl);
	printf("printed with stdio\n");
	fflush(stdout);
	write_str(1, "printed with write\n");
	printf("DIE abort_main by signal %d\n", SIGABRT);
	fflush(stdout);
	abort();
}
