/* Replaying EV_POINT and EV_RESUME (docs/preemption.md): running a thread
 * to the first arrival at the recorded point whose registers, x87/SSE
 * registers and memory all match.
 *
 * The search traps at the point's rip with an int3 of its own, compares,
 * and steps over it on a mismatch: about 100 us per arrival here, so it is
 * used for loops that arrive a few times (spin waits match on the first).
 * Loops that make progress arrive millions of times; for them
 * replay_point_arm puts a matcher in the tracee instead (point_patch.c):
 * the comparison runs in the thread itself, and only a full match traps. */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/mman.h>
#include <sys/syscall.h>

#include "replay/point.h"
#include "replay/point_patch.h"
#include "replay/replay_int.h"
#include "replay/task_int.h"

bool replay_point_next(const struct replayer *r, const struct replay_thread *th)
{
	return r->have_ev && r->ev.type == EV_POINT && r->ev.tid == th->rec_tid;
}

void replay_point_log(const struct replayer *r, FILE *f)
{
	const struct ev_point *p = &r->ev.u.point;
	const struct user_regs_struct *g = &p->regs;
	size_t off = 0;

	fprintf(f, "xrr: replay: event %" PRIu64 ": point %s rip %#llx rsp "
		"%#llx rax %#llx rbx %#llx rcx %#llx rdx %#llx rsi %#llx rdi "
		"%#llx rbp %#llx r8 %#llx r9 %#llx r10 %#llx r11 %#llx r12 "
		"%#llx r13 %#llx r14 %#llx r15 %#llx fp %#" PRIx64
		" patch_safe %u\n", r->ev_index,
		p->flags & POINT_LOOP ? "loop" : "straight", g->rip, g->rsp,
		g->rax, g->rbx, g->rcx, g->rdx, g->rsi, g->rdi, g->rbp, g->r8,
		g->r9, g->r10, g->r11, g->r12, g->r13, g->r14, g->r15,
		p->fp_hash, (unsigned)p->patch_safe);
	for (size_t i = 0; i < p->nranges; off += p->ranges[i].len, i++) {
		fprintf(f, "xrr: replay:   %#" PRIx64 " %u:", p->ranges[i].addr,
			p->ranges[i].len);
		for (uint32_t b = 0; b < p->ranges[i].len && b < 64; b++)
			fprintf(f, " %02x", p->bytes[off + b]);
		fputc('\n', f);
	}
}

static int memory_matches(struct replayer *r, const struct ev_point *p,
			  bool *match)
{
	size_t off = 0;
	uint8_t *buf = malloc(p->nbytes ? p->nbytes : 1);

	if (!buf)
		return -ENOMEM;
	*match = true;
	for (size_t i = 0; i < p->nranges && *match; i++) {
		uint32_t len = p->ranges[i].len;
		ssize_t n = process_read_memory_clean(r->proc, p->ranges[i].addr,
						      buf, len);
		*match = n == (ssize_t)len && memcmp(buf, p->bytes + off, len) == 0;
		if (!*match && r->debug)
			fprintf(stderr, "xrr: replay: event %" PRIu64 ": registers"
				" match, memory at %#" PRIx64 " (%u bytes) does "
				"not\n", r->ev_index, p->ranges[i].addr, len);
		off += len;
	}
	free(buf);
	return 0;
}

/* XRR_REPLAY_DEBUG: an arrival at the point's rip whose registers do
 * not match, and which ones differ (what the search is waiting for). */
static void log_register_mismatch(const struct replayer *r,
				  const struct user_regs_struct *w,
				  const struct user_regs_struct *h)
{
#define REG(n) { #n, w->n, h->n }
	const struct { const char *name; unsigned long long want, have; }
	regs[] = {
		REG(rsp), REG(rax), REG(rbx), REG(rcx), REG(rdx), REG(rsi),
		REG(rdi), REG(rbp), REG(r8), REG(r9), REG(r10), REG(r11),
		REG(r12), REG(r13), REG(r14), REG(r15), REG(fs_base),
		REG(gs_base),
	};
#undef REG
	fprintf(stderr, "xrr: replay: event %" PRIu64 ": at %#llx, registers"
		" differ:", r->ev_index, w->rip);
	for (size_t i = 0; i < sizeof(regs) / sizeof(regs[0]); i++)
		if (regs[i].want != regs[i].have)
			fprintf(stderr, " %s %#llx (recorded %#llx)",
				regs[i].name, regs[i].have, regs[i].want);
	fputc('\n', stderr);
}

/* Where rdtsc was not trapped (some VMs), memory the program filled
 * from the TSC (ld.so keeps its start time) differs in replay.  Outside
 * a loop, every register equal at rip (rsp included) is the point;
 * inside one, memory may be all that tells two iterations apart, so it
 * must match.  The int3 search and the in-tracee matcher both follow
 * this. */
static bool registers_suffice(const struct replayer *r,
			      const struct ev_point *p)
{
	return !(p->flags & POINT_LOOP) && !trace_header(r->trace)->rdtsc_trapped;
}

int replay_point_matches(struct replayer *r, struct task *t, bool *match)
{
	const struct ev_point *p = &r->ev.u.point;
	struct user_regs_struct g;
	struct user_fpregs_struct fp;

	*match = false;
	if (task_get_gregs(r->proc, t, &g) < 0)
		return -1;
	if (!point_regs_match_except(&p->regs, &g, p->tsc_regs)) {
		if (r->debug && g.rip == p->regs.rip)
			log_register_mismatch(r, &p->regs, &g);
		return 0;
	}
	if (task_get_fpregs(r->proc, t, &fp) < 0)
		return -1;
	if (point_fp_hash(&fp) != p->fp_hash) {
		if (r->debug)
			fprintf(stderr, "xrr: replay: event %" PRIu64 ": registers"
				" match, x87/SSE registers do not\n", r->ev_index);
		return 0;
	}
	if (p->seq_addr) {
		uint64_t seq;
		if (process_read_memory(r->proc, p->seq_addr, &seq,
					sizeof(seq)) != sizeof(seq) ||
		    seq != p->seq) {
			if (r->debug)
				fprintf(stderr, "xrr: replay: event %" PRIu64 ": "
					"registers match, buffered-call count "
					"does not\n", r->ev_index);
			return 0;
		}
	}
	if (memory_matches(r, p, match) < 0) {
		snprintf(r->proc->err, sizeof(r->proc->err), "out of memory");
		return -1;
	}
	if (!*match && registers_suffice(r, p)) {
		if (r->debug)
			fprintf(stderr, "xrr: replay: event %" PRIu64 ": taken "
				"on registers (rdtsc was not trapped)\n",
				r->ev_index);
		*match = true;
	}
	return 0;
}

int replay_point_reached(struct replayer *r, struct replay_thread *th,
			 char *err, size_t errlen)
{
	if (r->ev.u.point.reason == POINT_PREEMPT) {
		/* It waits at the point until its EV_RESUME. */
		th->at_point = true;
		replay_runq_remove(r, th->rec_tid);
	}
	return replay_cursor_advance(r, err, errlen);
}

void replay_point_resume(struct replayer *r, struct replay_thread *th)
{
	th->at_point = false;
	th->parked = false;
	replay_runq_push(r, th->rec_tid, true);
}

/* ---- the fast search: a matcher in the tracee ---------------------------------------- */

/* Where to put the matcher page: near rip (rel32 reach), where nothing
 * is mapped.  Tried with MAP_FIXED_NOREPLACE at growing distances.
 * Writable: the matcher keeps its scratch (flags, rax) in its own page,
 * never on the thread's stack. */
static uint64_t map_matcher_page(struct replayer *r, struct task *t,
				 uint64_t rip)
{
	const uint64_t step = 16ull << 20;

	for (int k = 1; k <= 64; k++) {
		for (int dir = -1; dir <= 1; dir += 2) {
			int64_t off = (int64_t)dir * k * (int64_t)step;
			uint64_t want = ((rip & ~0xfffull) + (uint64_t)off);
			if (want < 0x10000 || want >= REPLAY_USER_TOP)
				continue;
			long args[6] = { (long)want, 4096,
					 PROT_READ | PROT_WRITE | PROT_EXEC,
					 MAP_PRIVATE | MAP_ANONYMOUS |
					 MAP_FIXED_NOREPLACE, -1, 0 };
			long res;
			if (task_remote_syscall(r->proc, t, SYS_mmap, args,
						&res) < 0)
				return 0;
			if (res == (long)want)
				return want;
			/* An old kernel without MAP_FIXED_NOREPLACE maps
			 * elsewhere: not ours to keep. */
			if (res >= 0 || res < -4095L) {
				long un[6] = { res, 4096 };
				task_remote_syscall(r->proc, t, SYS_munmap, un,
						    &res);
			}
		}
	}
	return 0;
}

static void unmap_matcher_page(struct replayer *r, struct task *t,
			       uint64_t page)
{
	long args[6] = { (long)page, 4096 };
	long res;

	task_remote_syscall(r->proc, t, SYS_munmap, args, &res);
}

/* The matcher compares the registers and up to POINT_MAX_WORDS aligned
 * words of the point's memory; the rest is compared when it traps. */
/* What the in-tracee matcher compares: the registers, and the memory
 * words unless registers suffice (registers_suffice). */
static void matcher_target(const struct replayer *r, const struct ev_point *p,
			   struct point_target *m)
{
	size_t off = 0;

	memset(m, 0, sizeof(*m));
	m->rip = p->regs.rip;
	point_gprs(&p->regs, m->gpr);
	m->skip_gpr = p->tsc_regs;
	if (p->seq_addr) {
		m->words[0].addr = p->seq_addr;
		m->words[0].value = p->seq;
		m->nwords = 1;
	}
	if (registers_suffice(r, p))
		return;
	for (size_t i = 0; i < p->nranges; off += p->ranges[i].len, i++) {
		const struct point_range *rg = &p->ranges[i];
		for (uint32_t w = 0; w + 8 <= rg->len; w += 8) {
			uint64_t a = rg->addr + w;
			if (a & 7)
				continue;
			if (m->nwords == POINT_MAX_WORDS)
				return;
			m->words[m->nwords].addr = a;
			memcpy(&m->words[m->nwords].value, p->bytes + off + w, 8);
			m->nwords++;
		}
	}
}

/* A debugger's breakpoint inside the bytes the jump would cover would be
 * copied away: then the int3 search is used. */
static bool breakpoint_near(const struct process *p, uint64_t rip)
{
	for (size_t i = 0; i < p->nbps; i++)
		if (p->bps[i].addr >= rip && p->bps[i].addr < rip + 16)
			return true;
	return false;
}

static int redirect_inside(struct replayer *r, struct task *t, uint64_t to)
{
	struct user_regs_struct g;

	if (task_get_gregs(r->proc, t, &g) < 0)
		return -1;
	g.rip = to;
	return task_set_gregs(r->proc, t, &g);
}

/* 0 armed fast (t moved into the trampoline if it stood inside the
 * displaced bytes); 1 not possible here (use the int3 search); 2 t
 * stands inside them where no copy starts (step it first); -1 error. */
static int arm_fast(struct replayer *r, struct task *t, uint64_t cur_rip)
{
	struct replay_point_search *s = &r->psearch;
	const struct ev_point *p = &r->ev.u.point;
	uint8_t code[32];
	char why[160];

	if (s->no_fast_event == r->ev_index + 1 || getenv("XRR_POINT_SLOW"))
		return 1;
	if (p->patch_safe < 5 || breakpoint_near(r->proc, p->regs.rip)) {
		if (r->debug)
			fprintf(stderr, "xrr: replay: event %" PRIu64 ": no "
				"matcher at %#llx (%s)\n", r->ev_index,
				p->regs.rip, p->patch_safe < 5 ?
				"patch_safe is under 5 bytes" :
				"a debugger's breakpoint is within 16 bytes");
		/* Once per event for patch_safe; a breakpoint may go. */
		if (p->patch_safe < 5)
			s->no_fast_event = r->ev_index + 1;
		return 1;
	}
	ssize_t n = process_read_memory_clean(r->proc, p->regs.rip, code,
					      sizeof(code));
	if (n < 5)
		return 1;
	struct point_patch *pp = calloc(1, sizeof(*pp));
	struct point_target m;
	if (!pp)
		return -1;
	matcher_target(r, p, &m);
	/* How much the jump covers, from a trial build in place.  What it
	 * refuses (an indirect branch, a return, a trapped instruction) no
	 * page elsewhere makes possible: the int3 search, for the whole
	 * event. */
	if (point_patch_build(pp, &m, code, (size_t)n, p->patch_safe,
			      p->regs.rip & ~0xfffull, why, sizeof(why)) < 0) {
		if (r->debug)
			fprintf(stderr, "xrr: replay: event %" PRIu64 ": no "
				"matcher at %#llx (%s)\n", r->ev_index,
				p->regs.rip, why);
		s->no_fast_event = r->ev_index + 1;
		free(pp);
		return 1;
	}
	/* Standing inside the bytes the jump covers (stepped there from
	 * rip): it goes on in the trampoline's copy of its instruction.
	 * Stepping out instead would never end where the whole loop lies
	 * in those bytes (inc; cmp; jne back to rip). */
	size_t inside = 0;
	if (cur_rip > p->regs.rip && cur_rip < p->regs.rip + pp->displaced) {
		inside = (size_t)(cur_rip - p->regs.rip);
		if (!pp->moved_to[inside]) {
			free(pp);
			return 2;
		}
	}
	uint64_t page = map_matcher_page(r, t, p->regs.rip);
	if (!page || point_patch_build(pp, &m, code, (size_t)n, p->patch_safe,
				       page, why, sizeof(why)) < 0 ||
	    process_write_memory(r->proc, page, pp->tramp, pp->tramp_len) !=
		    (ssize_t)pp->tramp_len ||
	    task_mem_write_raw(r->proc, pp->rip, pp->jump, pp->displaced) !=
		    (ssize_t)pp->displaced) {
		if (r->debug)
			fprintf(stderr, "xrr: replay: event %" PRIu64 ": no "
				"matcher at %#llx (%s)\n", r->ev_index,
				p->regs.rip, page ? why : "no page near it");
		if (page)
			unmap_matcher_page(r, t, page);
		free(pp);
		return 1;
	}
	if (inside && redirect_inside(r, t, page + pp->moved_to[inside]) < 0) {
		task_mem_write_raw(r->proc, pp->rip, pp->orig, pp->displaced);
		unmap_matcher_page(r, t, page);
		free(pp);
		return -1;
	}
	if (r->debug)
		fprintf(stderr, "xrr: replay: event %" PRIu64 ": matcher at %#"
			PRIx64 " for %#llx (%zu bytes displaced, %zu words%s)\n",
			r->ev_index, page, p->regs.rip, pp->displaced,
			m.nwords, inside ? ", thread moved into it" : "");
	s->fast = true;
	s->patch = pp;
	s->page = page;
	s->addr = p->regs.rip;
	return 0;
}

static bool in_matcher(const struct replay_point_search *s, uint64_t rip)
{
	return rip >= s->page && rip < s->page + 4096;
}

/* One instruction of t.  Stops of other threads (queued by an interrupt
 * of the whole process) are put back after, in their order: re-queued at
 * once, process_wait would return them again first. */
static int step_once(struct replayer *r, struct task *t)
{
	struct task_stop others[TASK_MAX_PENDING], ts;
	size_t n = 0;
	int rc = 0;

	if (task_resume(r->proc, t, TASK_RESUME_SYSEMU_SINGLESTEP, 0) < 0)
		return -1;
	for (;;) {
		if (process_wait(r->proc, &ts, 0) != 1) {
			rc = -1;
			break;
		}
		if (ts.tid == t->tid)
			break;
		if (n < TASK_MAX_PENDING)
			others[n++] = ts;
	}
	for (size_t i = 0; i < n; i++)
		process_queue_stop(r->proc, &others[i]);
	return rc;
}

/* Out of the matcher by single steps before it goes away (an interrupt
 * or a signal stopped t inside it).  A match on the way leaves t at the
 * point's rip, where point_here finds it. */
static int step_out_of_matcher(struct replayer *r, struct task *t)
{
	struct replay_point_search *s = &r->psearch;
	struct user_regs_struct g;

	for (int i = 0; i < 4096; i++) {
		if (task_get_gregs(r->proc, t, &g) < 0)
			return -1;
		if (g.rip == s->patch->match_trap) {
			bool match;
			g.rip = s->addr;
			if (task_set_gregs(r->proc, t, &g) < 0 ||
			    replay_point_matches(r, t, &match) < 0)
				return -1;
			if (match)
				return 0;
			g.rip = s->patch->match_trap;
			if (task_set_gregs(r->proc, t, &g) < 0)
				return -1;
		}
		if (!in_matcher(s, g.rip))
			return 0;
		if (step_once(r, t) < 0)
			return -1;
	}
	snprintf(r->proc->err, sizeof(r->proc->err), "thread %d does not "
		 "leave the point matcher (at %#llx, page %#" PRIx64 ")",
		 (int)t->tid, g.rip, s->page);
	return -1;
}

static int disarm_fast(struct replayer *r, struct task *t)
{
	struct replay_point_search *s = &r->psearch;
	int rc = 0;

	if (t && !s->proc->exited && !t->exited)
		rc = step_out_of_matcher(r, t);
	if (!s->proc->exited) {
		task_mem_write_raw(s->proc, s->patch->rip, s->patch->orig,
				   s->patch->displaced);
		if (t && !t->exited)
			unmap_matcher_page(r, t, s->page);
	}
	free(s->patch);
	s->patch = NULL;
	s->fast = false;
	return rc;
}

/* ---- the search's trap ------------------------------------------------------------ */

int replay_point_arm(struct replayer *r, struct task *t)
{
	static const uint8_t int3 = 0xcc;
	struct replay_point_search *s = &r->psearch;
	uint64_t rip = r->ev.u.point.regs.rip;

	struct user_regs_struct g;

	if (s->armed)
		return 0;
	if (task_get_gregs(r->proc, t, &g) < 0)
		return -1;
	s->proc = r->proc;
	int fast = arm_fast(r, t, g.rip);
	if (fast < 0 || fast == 2)
		return fast;
	if (fast == 0) {
		s->armed = true;
		return 0;
	}
	/* The byte as it is, a debugger's int3 included: put back as is. */
	if (process_read_memory(r->proc, rip, &s->saved, 1) != 1 ||
	    task_mem_write_raw(r->proc, rip, &int3, 1) != 1)
		return -1;
	s->armed = true;
	s->addr = rip;
	return 0;
}

int replay_point_disarm(struct replayer *r, struct task *t)
{
	struct replay_point_search *s = &r->psearch;
	int rc = 0;

	if (!s->armed)
		return 0;
	if (s->fast)
		rc = disarm_fast(r, t);
	else if (!s->proc->exited)
		task_mem_write_raw(s->proc, s->addr, &s->saved, 1);
	s->armed = false;
	if (r->debug && s->arrivals)
		fprintf(stderr, "xrr: replay: event %" PRIu64 ": %" PRIu64
			" arrivals at %#" PRIx64 " did not match\n",
			r->ev_index, s->arrivals, s->addr);
	s->arrivals = 0;
	return rc;
}

bool replay_point_jumped_in(struct replayer *r, struct task *t,
			    const struct task_stop *ts)
{
	struct replay_point_search *s = &r->psearch;
	struct user_regs_struct g;

	if (!s->armed || !s->fast || ts->kind != TASK_STOP_SIGNAL ||
	    task_get_gregs(r->proc, t, &g) < 0)
		return false;
	return g.rip > s->addr && g.rip <= s->addr + s->patch->displaced;
}

/* The int3 search costs a ptrace stop per arrival: a point whose rip
 * the thread passes very often before the match (the recorder avoids
 * choosing those) looks like a hang.  Say so, once per event, with
 * what is being searched for. */
#define SLOW_ARRIVALS_NOTICE 100000

static void note_slow_arrival(struct replayer *r)
{
	struct replay_point_search *s = &r->psearch;

	if (s->slow_event != r->ev_index + 1) {
		s->slow_event = r->ev_index + 1;
		s->slow_arrivals = 0;
	}
	if (++s->slow_arrivals == SLOW_ARRIVALS_NOTICE)
		fprintf(r->opts.log ? r->opts.log : stderr, "xrr: replay: "
			"event %" PRIu64 ": thread %d has passed its point's "
			"rip %#" PRIx64 " %d times without a match (searching by"
			" int3, one stop each); still searching\n", r->ev_index,
			(int)r->ev.tid, s->addr, SLOW_ARRIVALS_NOTICE);
}

int replay_point_trap(struct replayer *r, struct task *t,
		      const struct task_stop *ts)
{
	struct replay_point_search *s = &r->psearch;
	struct user_regs_struct g;
	bool match;

	if (!s->armed || s->proc != r->proc || ts->kind != TASK_STOP_SIGNAL ||
	    ts->signo != SIGTRAP || ts->siginfo.si_code != SI_KERNEL ||
	    task_get_gregs(r->proc, t, &g) < 0)
		return 0;
	if (!s->fast) {
		if (g.rip - 1 != s->addr)
			return 0;
		g.rip = s->addr;
		note_slow_arrival(r);
		return task_set_gregs(r->proc, t, &g) == 0;
	}
	if (g.rip != s->patch->match_trap)
		return 0;
	g.rip = s->addr;
	if (task_set_gregs(r->proc, t, &g) < 0 ||
	    replay_point_matches(r, t, &match) < 0)
		return 0;
	if (match)
		return 1;
	/* Registers and the first words matched, the rest did not: on
	 * from the matcher, which runs the displaced code next. */
	s->arrivals++;
	g.rip = s->patch->match_trap;
	task_set_gregs(r->proc, t, &g);
	return 2;
}
