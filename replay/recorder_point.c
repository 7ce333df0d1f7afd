/* Preemption and asynchronous signals at points the recorder chooses
 * (docs/preemption.md).
 *
 * Without a PMU there is no tick count to name where a thread was
 * stopped in user code.  But stopping a thread a little later than the
 * timer fired is always a legal schedule, so the recorder chooses the
 * point: from wherever the stop landed it single-steps the thread until
 * its rip comes back (one iteration of the loop it is in), learning the
 * memory the iteration reads and writes, and stops there.  The point is
 * named by rip, the registers, the x87/SSE registers and the bytes of that
 * memory; replay stops at the first arrival that matches.  In a loop the
 * state that carries progress lives in registers or in memory the loop
 * reads, so a match is the point, or a state with the same future (a spin
 * loop, where every iteration is the same). */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <stddef.h>
#include <string.h>
#include <x86intrin.h>

#include "replay/insn_access.h"
#include "replay/point.h"
#include "replay/point_patch.h"
#include "replay/recorder_internal.h"
#include "syscallbuf/syscallbuf_abi.h"

/* Instructions stepped to find the loop: 44-59 us each here, so at most
 * ~15 ms per point; loops longer than this are named by registers, the
 * memory the stepped instructions touched and the top of the stack. */
#define PROBE_MAX_STEPS 256
#define PROBE_MAX_TARGETS 256
/* Code decoded around a loop for branches into it (bytes each side). */
#define PROBE_SCAN_BYTES 256
#define PROBE_MAX_OTHERS 64
/* Bytes of the stack named when no loop was found. */
#define PROBE_STACK_BYTES 128
/* Instructions stepped on past a straight point to reach one that
 * replay's matcher can displace (docs/preemption.md, "Place"). */
#define PROBE_PLACE_STEPS 64

struct probe {
	struct recorder *r;
	struct rthread *t;
	struct task *task;
	struct point_range_set ranges;
	uint64_t targets[PROBE_MAX_TARGETS];    /* branch targets seen */
	size_t ntargets;
	/* The instructions stepped, in order. */
	struct probe_insn {
		uint64_t rip;
		unsigned len, flags;
	} insns[PROBE_MAX_STEPS];
	size_t ninsns;
	/* Stops of other threads collected while stepping: given back
	 * to the main loop afterwards. */
	struct task_stop others[PROBE_MAX_OTHERS];
	size_t nothers;
	struct point_patch trial;       /* matcher_fits's scratch */
	uint32_t place_safe;            /* a straight point's window */
};

static int keep_other(struct probe *pr, const struct task_stop *st)
{
	if (pr->nothers == PROBE_MAX_OTHERS)
		return rec_fail(pr->r, "thread %d: more than %d stops of other"
				" threads while finding a point",
				(int)pr->t->tid, PROBE_MAX_OTHERS);
	pr->others[pr->nothers++] = *st;
	return 0;
}

static int give_back(struct probe *pr, const struct task_stop *own)
{
	for (size_t i = 0; i < pr->nothers; i++)
		if (process_queue_stop(pr->t->proc, &pr->others[i]) < 0)
			return rec_fail(pr->r, "thread %d: %s", (int)pr->t->tid,
					pr->t->proc->err);
	pr->nothers = 0;
	if (own && process_queue_stop(pr->t->proc, own) < 0)
		return rec_fail(pr->r, "thread %d: %s", (int)pr->t->tid,
				pr->t->proc->err);
	return 0;
}

/* One instruction.  1: stepped (a SIGTRAP stop); 2: the thread stopped
 * for something the main loop must handle (queued); -1: error.
 * Asynchronous signals that arrive meanwhile wait in t->deferred. */
/* Single-step t; a thread killed meanwhile (another thread's fatal
 * signal, SIGKILL) is not an error: its exit is the next stop. */
static int resume_step(struct probe *pr)
{
	int rc = task_resume(pr->t->proc, pr->task, TASK_RESUME_SINGLESTEP, 0);

	if (rc < 0 && rc != -ESRCH)
		return rec_fail(pr->r, "stepping thread %d: %s",
				(int)pr->t->tid, pr->t->proc->err);
	return 0;
}

static int step_once(struct probe *pr)
{
	struct rthread *t = pr->t;
	struct task_stop st;

	if (resume_step(pr) < 0)
		return -1;
	for (;;) {
		if (process_wait(t->proc, &st, 0) != 1)
			return rec_fail(pr->r, "stepping thread %d: %s",
					(int)t->tid, t->proc->err);
		if (st.tid != t->tid) {
			if (keep_other(pr, &st) < 0)
				return -1;
			continue;
		}
		if (st.kind == TASK_STOP_SIGNAL && st.signo == SIGTRAP &&
		    st.siginfo.si_code > 0)
			return 1;
		bool deferrable = st.kind == TASK_STOP_SIGNAL &&
				  !rec_synchronous_signal(&st.siginfo) &&
				  t->ndeferred < RT_MAX_DEFERRED;
		if (deferrable || st.kind == TASK_STOP_INTERRUPT) {
			if (deferrable)
				t->deferred[t->ndeferred++] = st.siginfo;
			if (resume_step(pr) < 0)
				return -1;
			continue;
		}
		/* A fault of the stepped instruction, an exit, a stop
		 * signal: the main loop's business. */
		return give_back(pr, &st) < 0 ? -1 : 2;
	}
}

/* The instruction at g->rip.  -1 when it cannot be read or decoded. */
static int decode_at(struct probe *pr, const struct user_regs_struct *g,
		     struct insn_info *info)
{
	uint8_t code[16];
	size_t n = sizeof(code);

	/* Near the end of a mapping fewer bytes are readable. */
	while (n && rec_read_fn(pr->r, g->rip, code, n) < 0)
		n = n > 8 ? n - 4 : n - 1;
	if (!n)
		return -1;
	return insn_decode_access(code, n, g->rip, g, info);
}

/* Instructions a point must not be found across: replay would not stop
 * the same way in a syscall, a trapped or emulated instruction, the
 * middle of a rep string, or memory it cannot bound. */
static bool unsteppable(const struct insn_info *info)
{
	return info->flags & (INSN_SYSCALL | INSN_TRAPS | INSN_REP |
			      INSN_UNKNOWN_MEM | INSN_XSTATE);
}

static void note_insn(struct probe *pr, uint64_t rip,
		      const struct insn_info *info)
{
	if (pr->ninsns < PROBE_MAX_STEPS) {
		struct probe_insn *in = &pr->insns[pr->ninsns++];
		in->rip = rip;
		in->len = info->len;
		in->flags = info->flags;
	}
	/* Whole aligned words: replay compares words in the thread
	 * itself (point_patch.c), and the bytes around an int are as much
	 * the state at the point as the int. */
	for (size_t i = 0; i < info->naccess; i++) {
		uint64_t a = info->access[i].addr & ~7ull;
		uint64_t e = (info->access[i].addr + info->access[i].len + 7) &
			     ~7ull;
		point_ranges_add(&pr->ranges, a, e - a);
	}
	if ((info->flags & INSN_RELATIVE) && pr->ntargets < PROBE_MAX_TARGETS)
		pr->targets[pr->ntargets++] = info->branch_target;
}

/* Note the instruction at g->rip (decoded in info), step it and read the
 * registers it left in g: step_once's result (1 stepped). */
static int step_noted(struct probe *pr, struct user_regs_struct *g,
		      const struct insn_info *info)
{
	note_insn(pr, g->rip, info);
	int rc = step_once(pr);
	if (rc != 1)
		return rc;
	if (task_get_gregs(pr->t->proc, pr->task, g) < 0)
		return rec_fail(pr->r, "thread %d: registers: %s",
				(int)pr->t->tid, pr->t->proc->err);
	return 1;
}

/* Bytes from rip that no branch seen jumps into (replay may overwrite
 * that much code with a jump to its matcher). */
/* One instruction of 5 bytes or more is safe whole (no branch lands in
 * the middle of an instruction).  Several are, up to the first branch
 * target inside, only in a loop, whose surroundings scan_around decoded;
 * elsewhere nothing is (replay then stops at rip by int3). */
static uint32_t safe_at(struct probe *pr, uint64_t rip, bool loop)
{
	struct user_regs_struct at = { .rip = rip };
	struct insn_info info;
	uint32_t safe = 16;

	if (decode_at(pr, &at, &info) < 0)
		return 0;
	if (!loop || pr->ntargets == PROBE_MAX_TARGETS)
		return info.len >= 5 ? info.len : 0;
	for (size_t i = 0; i < pr->ntargets; i++)
		if (pr->targets[i] > rip && pr->targets[i] - rip < safe)
			safe = (uint32_t)(pr->targets[i] - rip);
	return safe >= info.len ? safe : 0;
}

/* Would replay's matcher go at rip, displacing at most `safe` bytes?
 * The same trial build replay makes (point_patch_build), with a
 * trampoline in rip's own page: what it refuses there (an indirect
 * branch, a return, a trapped instruction, a relative branch into the
 * displaced bytes, an eip-relative operand) replay refuses too, and
 * would search by int3 instead, one ptrace stop per arrival: far too
 * slow where the point's rip is hot (a loop, a function called in one),
 * which it often is. */
static bool matcher_fits(struct probe *pr, uint64_t rip, uint32_t safe)
{
	struct point_target m = { .rip = rip };
	uint8_t code[32];
	size_t n = sizeof(code);

	if (safe < 5)
		return false;
	while (n && rec_read_fn(pr->r, rip, code, n) < 0)
		n = n > 8 ? n - 4 : n - 1;
	return n >= 5 && point_patch_build(&pr->trial, &m, code, n, safe,
					   rip & ~0xfffull, NULL, 0) == 0;
}

static uint32_t patch_safe(struct probe *pr, const struct user_regs_struct *g,
			   bool loop)
{
	if (pr->place_safe)
		return pr->place_safe;
	return safe_at(pr, g->rip, loop);
}

static int read_fp_hash(struct probe *pr, uint64_t *hash)
{
	struct user_fpregs_struct fp;

	if (task_get_fpregs(pr->t->proc, pr->task, &fp) < 0)
		return rec_fail(pr->r, "thread %d: %s", (int)pr->t->tid,
				pr->t->proc->err);
	*hash = point_fp_hash(&fp);
	return 0;
}

/* The signature's memory: the ranges as they are now, at the point.  A
 * range that cannot be read is left out, and so is the stack below the
 * red zone (rsp - 128): dead by the ABI (a signal frame may overwrite it
 * at any time), and where replay's matcher keeps its scratch. */
static int fill_memory(struct probe *pr, uint64_t rsp, struct ev_point *pt)
{
	const uint64_t dead_below = rsp - 128;
	uint64_t stack_start = dead_below, stack_end;

	if (rec_mapping_of(pr->r, rsp, &stack_start, &stack_end) < 0)
		stack_start = dead_below;       /* unknown: keep everything */

	pt->ranges = calloc(pr->ranges.n ? pr->ranges.n : 1,
			    sizeof(*pt->ranges));
	pt->bytes = malloc(pr->ranges.bytes ? pr->ranges.bytes : 1);
	if (!pt->ranges || !pt->bytes)
		return rec_fail(pr->r, "out of memory for a point");
	for (size_t i = 0; i < pr->ranges.n; i++) {
		struct point_range rg = pr->ranges.r[i];
		uint64_t end = rg.addr + rg.len;
		/* In the stack's mapping only: other memory below rsp is
		 * live (a heap, another thread's stack). */
		if (rg.addr < dead_below && end > stack_start) {
			if (rg.addr < stack_start)
				continue;       /* straddles: rare, left out */
			if (end <= dead_below)
				continue;
			rg.len = (uint32_t)(end - dead_below);
			rg.addr = dead_below;
		}
		if (rec_read_fn(pr->r, rg.addr, pt->bytes + pt->nbytes,
				rg.len) < 0)
			continue;
		pt->ranges[pt->nranges++] = rg;
		pt->nbytes += rg.len;
	}
	return 0;
}

static int fill_point(struct probe *pr, const struct user_regs_struct *g,
		      bool loop, struct ev_point *pt)
{
	memset(pt, 0, sizeof(*pt));
	pt->flags = loop ? POINT_LOOP : 0;
	pt->regs = *g;
	pt->patch_safe = patch_safe(pr, g, loop);
	if (!loop)
		point_ranges_add(&pr->ranges, g->rsp, PROBE_STACK_BYTES);
	if (read_fp_hash(pr, &pt->fp_hash) < 0)
		return -1;
	if (!trace_header(pr->r->trace)->rdtsc_trapped)
		pt->tsc_regs = point_tsc_regs(g, __rdtsc());
	/* The thread's count of buffered calls tells apart two passes with
	 * equal registers that buffered calls separate (a loop of patched
	 * futex wakes between two events). */
	if (pr->t->sb_buffer) {
		uint64_t at = pr->t->sb_buffer +
			      offsetof(struct xrr_sb_header, seq);
		if (rec_read_fn(pr->r, at, &pt->seq, sizeof(pt->seq)) == 0)
			pt->seq_addr = at;
	}
	return fill_memory(pr, g->rsp, pt);
}

/* Where in the loop the point goes, so that replay can put its jump
 * there and find loops that make progress at the speed of the code, not
 * of ptrace stops.  Best an instruction of 5 bytes or more: the jump
 * replaces it alone, and no branch can land inside.  Else the first
 * window of several instructions (relative branches among them: the
 * matcher relocates those) that no branch seen or decoded nearby lands
 * inside; else the head (replay then uses its int3 search). */
static bool fits_at(struct probe *pr, size_t i)
{
	return matcher_fits(pr, pr->insns[i].rip,
			    safe_at(pr, pr->insns[i].rip, true));
}

static size_t patchable_index(struct probe *pr)
{
	for (size_t i = 0; i < pr->ninsns; i++)
		if (pr->insns[i].len >= 5 && fits_at(pr, i))
			return i;
	for (size_t i = 0; i < pr->ninsns; i++)
		if (fits_at(pr, i))
			return i;
	return 0;
}

/* Decode [from, to) linearly; false when it does not land exactly on
 * `to` (from is not an instruction boundary). */
static bool sweep(struct probe *pr, const uint8_t *code, uint64_t base,
		  uint64_t from, uint64_t to, bool collect)
{
	struct user_regs_struct none = { 0 };
	struct insn_info info;
	uint64_t a = from;

	while (a < to) {
		size_t off = (size_t)(a - base);
		if (insn_decode_access(code + off, 16, a, &none, &info) < 0)
			return false;
		if (collect && (info.flags & INSN_RELATIVE) &&
		    pr->ntargets < PROBE_MAX_TARGETS)
			pr->targets[pr->ntargets++] = info.branch_target;
		a += info.len;
	}
	return a == to;
}

/* Branches into the loop from code around it (an entry jump to its
 * condition, say) are not in the iteration the probe stepped: decode up
 * to PROBE_SCAN_BYTES before the loop, from the farthest start whose
 * instructions fall exactly onto the loop's first, and after it. */
static void scan_around(struct probe *pr)
{
	uint64_t lo = UINT64_MAX, hi = 0;
	uint8_t code[2 * PROBE_SCAN_BYTES + 4096 + 16];

	for (size_t i = 0; i < pr->ninsns; i++) {
		if (pr->insns[i].rip < lo)
			lo = pr->insns[i].rip;
		if (pr->insns[i].rip + pr->insns[i].len > hi)
			hi = pr->insns[i].rip + pr->insns[i].len;
	}
	if (!pr->ninsns || hi - lo > 4096)
		return;
	uint64_t base = lo - PROBE_SCAN_BYTES, end = hi + PROBE_SCAN_BYTES;
	/* Only readable code: a mapping may start or end right there (then
	 * nothing before it, or nothing after it, can branch in). */
	if (rec_read_fn(pr->r, base, code, (size_t)(end - base) + 16) < 0) {
		base = lo;
		if (rec_read_fn(pr->r, base, code, (size_t)(end - base) + 16) < 0) {
			end = hi;
			if (rec_read_fn(pr->r, base, code,
					(size_t)(end - base) + 16) < 0) {
				/* Unknown surroundings: no multi-instruction
				 * window (patch_safe sees a full list). */
				pr->ntargets = PROBE_MAX_TARGETS;
				return;
			}
		}
	}
	for (uint64_t from = base; from < lo; from++)
		if (sweep(pr, code, base, from, lo, false)) {
			sweep(pr, code, base, from, lo, true);
			break;
		}
	sweep(pr, code, base, lo, end, true);
}

/* From the loop head, on through the next iteration to insns[i]'s rip
 * (the iteration may take another path: then where it stands). */
static int step_to(struct probe *pr, size_t i, struct user_regs_struct *g)
{
	uint64_t want = pr->insns[i].rip;
	struct insn_info info;

	for (size_t n = 0; n < PROBE_MAX_STEPS && g->rip != want; n++) {
		if (decode_at(pr, g, &info) < 0 || unsteppable(&info))
			return 0;
		int rc = step_noted(pr, g, &info);
		if (rc != 1)
			return rc;
	}
	return g->rip == want ? 1 : 0;
}

/* Does a relative branch decoded in code[from, to) (base at code[0])
 * land inside (a, a + n)?  false when it cannot be decoded, or with
 * `exact` when the decode does not run exactly onto `to`. */
static bool branches_into(const uint8_t *code, uint64_t base, uint64_t from,
			  uint64_t to, uint64_t a, uint32_t n, bool *into,
			  bool exact)
{
	struct user_regs_struct none = { 0 };
	struct insn_info info;
	uint64_t at = from;

	*into = false;
	while (at < to) {
		if (insn_decode_access(code + (at - base), 16, at, &none,
				       &info) < 0)
			return false;
		if ((info.flags & INSN_RELATIVE) && info.branch_target > a &&
		    info.branch_target < a + n)
			*into = true;
		at += info.len;
	}
	return at == to || !exact;
}

/* The window replay's jump would cover at rip: whole instructions up to
 * 5 bytes (relative branches among them are the matcher's to judge:
 * matcher_fits), and no relative branch of the code around it
 * (PROBE_SCAN_BYTES each side, decoded from the farthest start that
 * falls exactly onto rip; the window's own branches included) or of
 * the stepped instructions landing inside.  Its length, or 0. */
static uint32_t straight_window(struct probe *pr, uint64_t rip)
{
	uint8_t code[2 * PROBE_SCAN_BYTES + 2 * 16 + 16];
	const uint64_t base = rip - PROBE_SCAN_BYTES;
	struct user_regs_struct at = { .rip = rip };
	struct insn_info info;
	uint32_t n = 0;
	bool into;

	while (n < 5) {
		at.rip = rip + n;
		if (decode_at(pr, &at, &info) < 0)
			return 0;
		n += info.len;
	}
	if (n > 16)
		return 0;
	for (size_t i = 0; i < pr->ntargets; i++)
		if (pr->targets[i] > rip && pr->targets[i] < rip + n)
			return 0;
	/* Code that cannot be read around it: unknown branches. */
	if (rec_read_fn(pr->r, base, code, sizeof(code)) < 0)
		return 0;
	uint64_t end = rip + n + PROBE_SCAN_BYTES;
	for (uint64_t from = base; from < rip; from++) {
		if (!branches_into(code, base, from, rip, rip, n, &into, true))
			continue;
		if (into)
			return 0;
		break;
	}
	if (!branches_into(code, base, rip, end, rip, n, &into, false))
		return 0;
	return into ? 0 : n;
}

/* No loop: the point is where stepping stopped, and replay finds it by
 * the first arrival there with equal registers.  That rip may be hot
 * (the body of a loop longer than the probe, a function called in one):
 * step on to an instruction replay's matcher can take, at most
 * PROBE_PLACE_STEPS, so the search runs at the speed of the code.  1 at
 * one; 0 not found (the point is where the thread stands); 2 the thread
 * stopped for the main loop; -1 error. */
static int step_to_patchable(struct probe *pr, struct user_regs_struct *g)
{
	struct insn_info info;

	for (size_t n = 0; n <= PROBE_PLACE_STEPS; n++) {
		if (decode_at(pr, g, &info) < 0)
			return 0;
		if (info.len >= 5 && matcher_fits(pr, g->rip, info.len))
			return 1;
		uint32_t w = straight_window(pr, g->rip);
		if (w && matcher_fits(pr, g->rip, w)) {
			pr->place_safe = w;
			return 1;
		}
		if (n == PROBE_PLACE_STEPS || unsteppable(&info))
			return 0;
		int rc = step_noted(pr, g, &info);
		if (rc != 1)
			return rc;
	}
	return 0;
}

int rec_point_probe(struct recorder *r, struct rthread *t, struct ev_point *pt,
		    bool *spinning)
{
	struct probe *pr = calloc(1, sizeof(*pr));
	struct user_regs_struct g0, g;
	struct insn_info info;
	int rc = 0;
	bool loop = false;

	*spinning = false;
	if (!pr)
		return rec_fail(r, "out of memory for a point");
	pr->r = r;
	pr->t = t;
	pr->task = process_find_task(t->proc, t->tid);
	if (!pr->task || task_get_gregs(t->proc, pr->task, &g0) < 0) {
		free(pr);
		return rec_fail(r, "thread %d: registers: %s", (int)t->tid,
				t->proc->err);
	}
	/* Stopped on its way out of a syscall (an interrupt or a signal
	 * that ended a blocking call): the kernel may still restart the
	 * call when the thread resumes, and a single step would run it
	 * unrecorded.  The syscall's own stops come first. */
	if (g0.orig_rax != (unsigned long long)-1) {
		free(pr);
		return 0;
	}
	g = g0;
	for (int steps = 0; steps <= PROBE_MAX_STEPS; steps++) {
		if (steps && g.rip == g0.rip) {
			loop = true;
			break;
		}
		if (decode_at(pr, &g, &info) < 0 || unsteppable(&info))
			goto none;
		if (steps == PROBE_MAX_STEPS)
			break;
		rc = step_noted(pr, &g, &info);
		if (rc != 1)
			goto out;
	}
	if (!loop) {
		rc = step_to_patchable(pr, &g);
		if (rc < 0 || rc == 2)
			goto out;
	}
	if (loop) {
		struct user_regs_struct a = g0, b = g;
		a.eflags = b.eflags = 0;
		*spinning = memcmp(&a, &b, sizeof(a)) == 0;
		scan_around(pr);
		size_t i = patchable_index(pr);
		if (i) {
			rc = step_to(pr, i, &g);
			/* 0: stopped short of it: the point is where the
			 * thread stands, found by the int3 search. */
			if (rc < 0 || rc == 2)
				goto out;
		} else if (!fits_at(pr, 0)) {
			/* A loop with no place for the matcher: its head
			 * arrives once per iteration (and a spin loop's also
			 * from every other call of its function, a GDB
			 * worker's name compare), too often for the int3
			 * search.  On to an instruction that takes it, in a
			 * later iteration or past the loop (still named a
			 * loop: its memory counts). */
			rc = step_to_patchable(pr, &g);
			if (rc < 0 || rc == 2)
				goto out;
		}
	}
	rc = fill_point(pr, &g, loop, pt) < 0 ? -1 : 1;
	goto out;
none:
	rc = 0;
out:
	if (rc >= 0 && give_back(pr, NULL) < 0)
		rc = -1;
	free(pr);
	return rc;
}
