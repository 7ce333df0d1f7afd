/* Instruction virtualisation in replay (docs/xcr0.md, "Replay
 * integration"): a trace recorded with `--xcr0` had CPUID, XGETBV and the
 * XSAVE family patched to ud2 at the sites the tasks stream lists.  Replay
 * patches the same sites after the same events and emulates the traps
 * with the trace's CPUID table, so the program sees the same answers
 * without any event. */
#include "config.h"

#include "replay/replay_int.h"
#include "replay/insn_virt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>

int replay_virt_open(struct replayer *r, char *err, size_t errlen)
{
	const struct trace_header *h = trace_header(r->trace);

	if (h->insn_virt == TRACE_INSN_VIRT_NONE)
		return 0;
	struct insn_virt_cpu cpu = {
		.leaves = h->cpuid, .nleaves = h->ncpuid,
		.layout = &h->xsave, .real_xcr0 = h->host_xcr0,
	};
	r->iv = insn_virt_new(&cpu);
	r->tasks = trace_stream_reader(r->trace, TRACE_STREAM_TASKS, err,
				       errlen);
	if (!r->iv || !r->tasks) {
		if (!r->iv)
			snprintf(err, errlen, "instruction virtualisation: out "
				 "of memory");
		return -1;
	}
	return 0;
}

void replay_virt_close(struct replayer *r)
{
	free(r->sites);
	r->sites = NULL;
	r->nsites = 0;
	r->have_sites = false;
	if (r->tasks)
		trace_reader_close(r->tasks);
	r->tasks = NULL;
	if (r->iv)
		insn_virt_free(r->iv);
	r->iv = NULL;
}

/* The next TRACE_REC_INSN_SITES record (records are in event order). */
static bool next_sites(struct replayer *r)
{
	struct trace_record rec;

	while (!r->have_sites && trace_reader_next(r->tasks, &rec) ==
	       TRACE_RECORD) {
		if (rec.type != TRACE_REC_INSN_SITES)
			continue;
		free(r->sites);
		r->sites = NULL;
		if (insn_sites_decode(rec.data, rec.len, &r->sites_event,
				      &r->sites, &r->nsites) == 0)
			r->have_sites = true;
	}
	return r->have_sites;
}

static int apply_sites(struct replayer *r, uint64_t index, char *err,
		       size_t errlen)
{
	while (next_sites(r) && r->sites_event <= index) {
		r->have_sites = false;
		if (r->sites_event < index)
			continue;       /* an event replay did not perform */
		if (insn_virt_apply(r->iv, r->proc, r->sites, r->nsites, err,
				    errlen) < 0)
			return -1;
	}
	return 0;
}

int replay_virt_after_exec(struct replayer *r, char *err, size_t errlen)
{
	if (!r->iv)
		return 0;
	insn_virt_forget_range(r->iv, 0, UINT64_MAX);
	return apply_sites(r, r->ev_index, err, errlen);
}

int replay_virt_after_syscall(struct replayer *r, const struct ev_syscall *s,
			      char *err, size_t errlen)
{
	if (!r->iv || s->result < 0)
		return 0;
	uint64_t addr = s->number == SYS_mmap ? (uint64_t)s->result
					      : s->args[0];
	uint64_t len = (s->args[1] + 4095) & ~4095ull;
	if (s->number == SYS_mmap || s->number == SYS_munmap)
		insn_virt_forget_range(r->iv, addr, addr + len);
	if (s->number == SYS_mmap || s->number == SYS_mprotect)
		return apply_sites(r, r->ev_index, err, errlen);
	return 0;
}

int replay_virt_trap(struct replayer *r, struct task *t, uint64_t xcr0,
		     siginfo_t *fault, char *err, size_t errlen)
{
	if (!r->iv)
		return INSN_TRAP_NOT_OURS;
	int rc = insn_virt_handle_trap(r->iv, r->proc, t, xcr0, fault, err,
				       errlen);
	/* A replay delivers only recorded signals: anything from outside
	 * that arrived during the emulation is dropped. */
	siginfo_t held[INSN_VIRT_MAX_HELD];
	insn_virt_take_held(r->iv, held, INSN_VIRT_MAX_HELD);
	return rc;
}

/* The sites of the process the caller looks at. */
struct insn_virt *replayer_insn_virt(struct replayer *r)
{
	struct replay_proc *tp = r->iv ? replay_target_proc(r) : NULL;

	if (tp)
		replay_use_proc(r, tp);
	return r->iv;
}
