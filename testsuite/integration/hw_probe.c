/* Exit 0 when hardware watchpoints (debug registers through ptrace) fire
 * on this machine, 77 when they do not (some VMs): tests that need them
 * skip with that reason. */
#include <stdio.h>

#include "replay/task.h"

int main(void)
{
	int rc = task_probe_hw_watch();

	if (rc == 1)
		return 0;
	printf("hardware watchpoints do not fire on this machine (debug "
	       "registers set through ptrace raise no #DB)%s\n",
	       rc < 0 ? "; the probe itself failed" : "");
	return 77;
}
