/* The recorder's answer to the syscall table's question about bpf
 * descriptors (replay/syscall_bpf.h): the process whose syscall is being
 * recorded is the one the memory callback reads. */
#include "config.h"

#include "replay/recorder_internal.h"
#include "replay/syscall_bpf.h"

int rec_bpf_describe(void *ctx, int fd, struct sc_bpf_obj *out)
{
	struct recorder *r = ctx;
	char err[256];

	if (!r->proc)
		return -1;
	return bpf_obj_describe_pid((int)r->proc->pid, fd, out, err, sizeof(err));
}
