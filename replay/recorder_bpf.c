/* The recorder's answer to the syscall table's question about bpf
 * descriptors (replay/syscall_bpf.h): the process whose syscall is being
 * recorded is the one the memory callback reads, the thread is the
 * current one. */
#include "config.h"

#include "replay/recorder_internal.h"
#include "replay/syscall_bpf.h"

int rec_bpf_describe(void *ctx, int fd, struct sc_bpf_obj *out)
{
	struct recorder *r = ctx;
	char err[256];
	pid_t tid;

	if (!r->proc)
		return -1;
	/* at a syscall entry, the thread making it is the current one */
	tid = r->current && r->current->proc == r->proc ? r->current->tid
							: r->proc->pid;
	return bpf_obj_describe_pid((int)r->proc->pid, (int)tid, fd, out, err,
				    sizeof(err));
}
