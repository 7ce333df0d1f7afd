/* Watchpoints by page protection, for the timeline (docs/reverse.md).
 *
 * This machine's debug registers never fire for data, and stepping every
 * instruction to watch memory costs a ptrace stop per instruction.  So a
 * watched range's page is made read-only (inaccessible to watch reads)
 * in the replayed process: the program runs at full speed until it
 * touches that page, the fault stops the replay before the instruction
 * runs (REPLAY_STOP_GUARD), and resuming runs that one instruction with
 * the page open.  Replay's own writes (a replayed read()'s buffer) go
 * through /proc/PID/mem and never fault: the timeline compares values
 * at events for those. */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include "replay/insn_access.h"
#include "replay/replay_int.h"

#define PAGE REPLAY_PAGE

static struct replay_proc *guarded_proc(struct replayer *r)
{
	return replay_target_proc(r);
}

/* The protection the mapping holding page has now, or -1. */
static int page_prot(pid_t pid, uint64_t page)
{
	char path[64], line[512];
	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	FILE *f = fopen(path, "re");
	if (!f)
		return -1;
	int prot = -1;
	while (fgets(line, sizeof(line), f)) {
		unsigned long long lo, hi;
		char perms[8];
		if (sscanf(line, "%llx-%llx %7s", &lo, &hi, perms) != 3 ||
		    page < lo || page >= hi)
			continue;
		prot = (perms[0] == 'r' ? PROT_READ : 0) |
		       (perms[1] == 'w' ? PROT_WRITE : 0) |
		       (perms[2] == 'x' ? PROT_EXEC : 0);
		break;
	}
	fclose(f);
	return prot;
}

static int set_prot(struct process *p, struct task *t, uint64_t page, int prot)
{
	long args[6] = { (long)page, (long)PAGE, prot, 0, 0, 0 }, res;
	int rc = task_remote_syscall(p, t, SYS_mprotect, args, &res);
	return rc < 0 ? rc : res < 0 ? (int)res : 0;
}

/* A stopped thread of the guarded process to run mprotect in. */
static struct task *some_task(struct replayer *r, struct replay_proc *rp)
{
	for (size_t i = 0; i < r->nthreads; i++) {
		struct replay_thread *th = &r->threads[i];
		if (th->rp != rp || th->exited)
			continue;
		struct task *t = process_find_task(&rp->proc, th->real_tid);
		if (t && t->stopped && !t->exited)
			return t;
	}
	return NULL;
}

static int guard_prot(const struct replay_guard *g)
{
	return g->reads ? PROT_NONE : g->orig_prot & ~PROT_WRITE;
}

int replay_guard_apply(struct replayer *r, struct task *t)
{
	struct replay_proc *rp = guarded_proc(r);
	if (!rp || !t || !process_find_task(&rp->proc, t->tid))
		return 0;
	for (size_t i = 0; i < r->nguards; i++) {
		struct replay_guard *g = &r->guards[i];
		int now = page_prot(rp->proc.pid, g->page);
		if (now < 0) {
			g->applied = false;     /* not mapped (yet) */
			continue;
		}
		if (g->applied && now == g->prot)
			continue;
		/* Not what we set: the program's own protection now. */
		g->orig_prot = now;
		g->prot = guard_prot(g);
		int rc = set_prot(&rp->proc, t, g->page, g->prot);
		if (rc < 0)
			return rc;
		g->applied = true;
	}
	r->guards_dirty = false;
	return 0;
}

static int open_pages(struct replayer *r, struct process *p, struct task *t,
		      bool open)
{
	for (size_t i = 0; i < r->nguards; i++) {
		struct replay_guard *g = &r->guards[i];
		if (!g->applied)
			continue;
		int rc = set_prot(p, t, g->page, open ? g->orig_prot : g->prot);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static struct replay_guard *guard_of(struct replayer *r, uint64_t addr)
{
	uint64_t page = addr & ~(PAGE - 1);
	for (size_t i = 0; i < r->nguards; i++)
		if (r->guards[i].page == page)
			return &r->guards[i];
	return NULL;
}

int replay_guard_fault(struct replayer *r, struct replay_thread *th,
		       struct task *t, const struct task_stop *ts,
		       struct replay_stop *stop)
{
	struct user_regs_struct g;
	uint64_t addr = (uint64_t)(uintptr_t)ts->siginfo.si_addr;
	struct replay_guard *gd = guard_of(r, addr);
	if (!th || th->rp != guarded_proc(r) || ts->siginfo.si_code != SEGV_ACCERR ||
	    !gd || !gd->applied || task_get_gregs(r->proc, t, &g) < 0)
		return 0;
	/* A fault the program's own protection makes (the recorded run
	 * faulted there too) is not the guard's. */
	if (!(gd->orig_prot & (gd->reads ? PROT_READ : PROT_WRITE)))
		return 0;
	th->guard_pc = g.rip;
	stop->kind = REPLAY_STOP_GUARD;
	stop->tid = th->rec_tid;
	stop->watch_addr = addr;
	stop->event = r->ev_index;
	return 1;
}

/* A plain store (most writes to a page shared with the watched data)
 * is done here through /proc/PID/mem, which writes read-only pages:
 * a tenth of the cost of opening the page, stepping and closing it. */
static bool store_in_place(struct replayer *r, struct task *t,
			   struct user_regs_struct *g)
{
	uint8_t code[16];
	struct insn_store st;
	ssize_t n = process_read_memory_clean(r->proc, g->rip, code,
					      sizeof(code));
	if (n <= 0 || insn_plain_store(code, (size_t)n, g->rip, g, &st) < 0 ||
	    process_write_memory(r->proc, st.addr, st.bytes, st.len) !=
	    (ssize_t)st.len)
		return false;
	g->rip += st.insn_len;
	return task_set_gregs(r->proc, t, g) == 0;
}

int replay_guard_step_over(struct replayer *r, struct replay_thread *th,
			   struct task *t)
{
	struct user_regs_struct g;
	struct task_stop ts;
	uint64_t pc = th->guard_pc;

	th->guard_pc = 0;
	if (task_get_gregs(r->proc, t, &g) < 0 || g.rip != pc)
		return 0;
	if (store_in_place(r, t, &g))
		return 1;
	if (open_pages(r, r->proc, t, true) < 0)
		return -1;
	if (task_resume(r->proc, t, TASK_RESUME_SINGLESTEP, 0) < 0)
		return -1;
	for (;;) {
		if (process_wait(r->proc, &ts, 0) != 1)
			return -1;
		if (ts.tid == t->tid)
			break;
		process_queue_stop(r->proc, &ts);       /* another's: later */
	}
	/* Anything but the step's trap (a real fault) is the loop's. */
	if (!(ts.kind == TASK_STOP_SIGNAL && ts.signo == SIGTRAP))
		process_queue_stop(r->proc, &ts);
	return open_pages(r, r->proc, t, false) < 0 ? -1 : 1;
}

/* ---- the timeline's interface ------------------------------------------------ */

int replayer_guard(struct replayer *r, uint64_t addr, uint64_t len,
		   bool reads)
{
	struct replay_proc *rp = guarded_proc(r);
	if (!rp || r->nprocs > 1 || !len)
		return -ENOTSUP;
	uint64_t first = addr & ~(PAGE - 1), last = (addr + len - 1) & ~(PAGE - 1);
	for (uint64_t page = first; page <= last; page += PAGE) {
		struct replay_guard *g = guard_of(r, page);
		if (!g) {
			if (r->nguards == sizeof(r->guards) / sizeof(r->guards[0]))
				return -ENOSPC;
			g = &r->guards[r->nguards++];
			*g = (struct replay_guard){ .page = page };
		}
		g->refs++;
		if (reads && !g->reads) {
			g->reads = true;
			g->applied = false;
		}
	}
	return replay_guard_apply(r, some_task(r, rp));
}

static void drop_guard(struct replayer *r, size_t i, struct task *t)
{
	struct replay_guard *g = &r->guards[i];
	struct replay_proc *rp = guarded_proc(r);
	if (g->applied && rp && t)
		set_prot(&rp->proc, t, g->page, g->orig_prot);
	r->guards[i] = r->guards[--r->nguards];
}

int replayer_unguard(struct replayer *r, uint64_t addr, uint64_t len)
{
	struct replay_proc *rp = guarded_proc(r);
	struct task *t = rp ? some_task(r, rp) : NULL;
	uint64_t first = addr & ~(PAGE - 1), last = (addr + len - 1) & ~(PAGE - 1);
	for (uint64_t page = first; len && page <= last; page += PAGE) {
		struct replay_guard *g = guard_of(r, page);
		if (g && --g->refs <= 0)
			drop_guard(r, (size_t)(g - r->guards), t);
	}
	return 0;
}

void replayer_unguard_all(struct replayer *r)
{
	struct replay_proc *rp = guarded_proc(r);
	struct task *t = rp ? some_task(r, rp) : NULL;
	while (r->nguards)
		drop_guard(r, r->nguards - 1, t);
	for (size_t i = 0; i < r->nthreads; i++)
		r->threads[i].guard_pc = 0;
}

bool replayer_has_guards(const struct replayer *r)
{
	return r->nguards > 0;
}
