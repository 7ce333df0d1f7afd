/* The replay's timeline: exact positions without ticks, checkpoints,
 * reverse-continue and reverse-step (timeline.h, docs/reverse.md). */
#include "config.h"

#include "replay/timeline.h"

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "replay/insn_access.h"
#include "replay/task.h"
#include "replay/trace_procs.h"


/* ---- positions ----------------------------------------------------------- */

/* One move from the previous position.  Moves never cross an event:
 * crossing one starts a new name at that event. */
enum hop_kind {
	HOP_ARRIVE,     /* continue until the n-th arrival at pc (any thread) */
	HOP_STEP,       /* n single steps of tid */
	HOP_SIGNAL,     /* continue until the next signal stop (announce) */
	HOP_END,        /* continue until the end of the recording */
	HOP_GUARD,      /* continue with page pc guarded (tid 1: reads
			 * too) until the n-th fault there */
	HOP_SYSCALL,    /* continue to the entry of the event's syscall
			 * (a syscall catchpoint's stop) */
};

struct hop {
	enum hop_kind kind;
	pid_t tid;
	uint64_t pc;
	uint64_t n;
};

/* "Event ev is the next to replay, and since the replay stood there
 * (replayer_run_to(ev)) these moves were made." */
struct pos {
	uint64_t ev;
	size_t nhops, cap;
	struct hop *hops;
};

static void pos_free(struct pos *p)
{
	free(p->hops);
	memset(p, 0, sizeof(*p));
}

static void pos_at_event(struct pos *p, uint64_t ev)
{
	p->ev = ev;
	p->nhops = 0;
}

static int pos_copy(struct pos *dst, const struct pos *src)
{
	if (dst->cap < src->nhops) {
		struct hop *h = realloc(dst->hops, src->nhops * sizeof(*h));
		if (!h)
			return -ENOMEM;
		dst->hops = h;
		dst->cap = src->nhops;
	}
	dst->ev = src->ev;
	dst->nhops = src->nhops;
	if (src->nhops)
		memcpy(dst->hops, src->hops, src->nhops * sizeof(*src->hops));
	return 0;
}

/* Append a move, merged with the last one where both mean the same as
 * one: n arrivals at X then m more is n+m arrivals at X. */
static int pos_push(struct pos *p, struct hop h)
{
	struct hop *last = p->nhops ? &p->hops[p->nhops - 1] : NULL;
	if (last && last->kind == h.kind && h.kind == HOP_ARRIVE &&
	    last->pc == h.pc) {
		last->n += h.n;
		return 0;
	}
	if (last && last->kind == h.kind &&
	    (h.kind == HOP_STEP || h.kind == HOP_GUARD) &&
	    last->tid == h.tid && last->pc == h.pc) {
		last->n += h.n;
		return 0;
	}
	if (p->nhops == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 8;
		struct hop *n = realloc(p->hops, cap * sizeof(*n));
		if (!n)
			return -ENOMEM;
		p->hops = n;
		p->cap = cap;
	}
	p->hops[p->nhops++] = h;
	return 0;
}

static bool pos_equal(const struct pos *a, const struct pos *b)
{
	return a->ev == b->ev && a->nhops == b->nhops &&
	       (!a->nhops ||
		memcmp(a->hops, b->hops, a->nhops * sizeof(*a->hops)) == 0);
}

/* ---- the timeline ---------------------------------------------------------- */

struct user_bp {
	enum timeline_bp type;
	uint64_t addr, len;
	int refs;
	uint8_t value[8];       /* software watch: the bytes last seen */
};

/* A moment to come back to: the start, a checkpoint of the user's, or
 * one the timeline made.  `ckpt` is the frozen copy when one could be
 * made there (else the moment is reached by replaying from the start). */
struct moment {
	struct pos pos;
	struct replay_checkpoint *ckpt;
	char name[64];
	int number;             /* user checkpoints: 1, 2, ...; 0: internal */
	uint64_t seq;           /* order made */
	uint64_t pc;
};

#define MAX_MOMENTS 64

struct timeline {
	struct replayer *r;
	struct pos cur;
	/* After ^C the replay stands somewhere no move names: the registers
	 * there, found again by arrivals at their rip (resolve_cur). */
	bool cur_approx;
	pid_t approx_tid;
	struct user_regs_struct approx_regs;
	struct pos start;
	bool echo;
	timeline_filter filter;
	void *filter_ctx;
	struct user_bp *bps;
	size_t nbps, bps_cap;
	bool hw_watch;          /* debug-register watchpoints fire here */
	/* Software watchpoints by page protection (replay_guard.c), else
	 * by single steps; guards need a trace of one process. */
	bool guards_ok;
	uint64_t last_checkpoint_ns;    /* when the last automatic one was made */
	/* Resident memory automatic checkpoints may hold together
	 * ($XRR_CHECKPOINT_MIB, default 1024). */
	uint64_t budget;
	uint64_t spacing;               /* factor on the checkpoint spacing */
	/* Forward replay between automatic checkpoints ($XRR_CHECKPOINT_MS,
	 * default 100 ms). */
	uint64_t every_ns;
	uint64_t newest_auto;           /* seq of the last automatic one */
	uint64_t moment_seq;
	struct moment moments[MAX_MOMENTS];
	size_t nmoments;
	int next_number;
	struct timeline_stats stats;
	int ifd;                /* interrupt fd of the current operation */
	bool debug;             /* $XRR_TIMELINE_DEBUG: log positions */
	bool interrupted;
};

static struct process *live(struct timeline *tl)
{
	return replayer_process(tl->r);
}

static int thread_regs(struct timeline *tl, pid_t tid,
		       struct user_regs_struct *g)
{
	struct task *t = replayer_task(tl->r, tid);
	if (!t)
		t = replayer_task(tl->r, replayer_running_thread(tl->r));
	if (!t)
		return -ESRCH;
	return task_get_gregs(live(tl), t, g);
}

static uint64_t thread_pc(struct timeline *tl, pid_t tid)
{
	struct user_regs_struct g;
	return thread_regs(tl, tid, &g) == 0 ? g.rip : 0;
}

/* ---- the debugger's breakpoints and watchpoints ------------------------------- */

static bool software_watch(const struct timeline *tl, const struct user_bp *b)
{
	return b->type != TIMELINE_BREAK && !tl->hw_watch;
}

static bool have_software_watches(const struct timeline *tl)
{
	for (size_t i = 0; i < tl->nbps; i++)
		if (software_watch(tl, &tl->bps[i]))
			return true;
	return false;
}

static bool guarded(const struct timeline *tl);

static bool is_user_break(const struct timeline *tl, uint64_t pc)
{
	for (size_t i = 0; i < tl->nbps; i++)
		if (tl->bps[i].type == TIMELINE_BREAK && tl->bps[i].addr == pc)
			return true;
	return false;
}

static enum hw_type hw_kind(enum timeline_bp type)
{
	return type == TIMELINE_WATCH ? HW_WRITE : HW_ACCESS;
}

static int arm_one(struct timeline *tl, struct user_bp *b)
{
	if (b->type == TIMELINE_BREAK)
		return process_insert_breakpoint(live(tl), b->addr);
	if (tl->hw_watch)
		return process_insert_hw(live(tl), hw_kind(b->type), b->addr,
					 (int)b->len);
	ssize_t n = process_read_memory(live(tl), b->addr, b->value, b->len);
	if (n != (ssize_t)b->len)
		return -EFAULT;
	if (tl->guards_ok && replayer_guard(tl->r, b->addr, b->len,
					    b->type != TIMELINE_WATCH) < 0)
		tl->guards_ok = false;  /* by steps from now on */
	return 0;
}

static void disarm_one(struct timeline *tl, struct user_bp *b)
{
	if (b->type == TIMELINE_BREAK)
		process_remove_breakpoint(live(tl), b->addr);
	else if (tl->hw_watch)
		process_remove_hw(live(tl), hw_kind(b->type), b->addr,
				  (int)b->len);
	else if (tl->guards_ok)
		replayer_unguard(tl->r, b->addr, b->len);
}

/* Watching by guards rather than by steps. */
static bool guarded(const struct timeline *tl)
{
	return tl->guards_ok && have_software_watches(tl);
}

/* The debugger's breakpoints are in the live process between moves and
 * during scans; seeks run without them. */
static void arm_user(struct timeline *tl)
{
	for (size_t i = 0; i < tl->nbps; i++)
		arm_one(tl, &tl->bps[i]);
}

static void disarm_user(struct timeline *tl)
{
	for (size_t i = 0; i < tl->nbps; i++)
		disarm_one(tl, &tl->bps[i]);
}

int timeline_insert(struct timeline *tl, enum timeline_bp type,
		    uint64_t addr, uint64_t len)
{
	for (size_t i = 0; i < tl->nbps; i++)
		if (tl->bps[i].type == type && tl->bps[i].addr == addr &&
		    tl->bps[i].len == len) {
			tl->bps[i].refs++;
			return 0;
		}
	if (type != TIMELINE_BREAK && (len == 0 || len > 8))
		return -EINVAL;
	if (tl->nbps == tl->bps_cap) {
		size_t cap = tl->bps_cap ? tl->bps_cap * 2 : 16;
		struct user_bp *n = realloc(tl->bps, cap * sizeof(*n));
		if (!n)
			return -ENOMEM;
		tl->bps = n;
		tl->bps_cap = cap;
	}
	struct user_bp b = { .type = type, .addr = addr, .len = len, .refs = 1 };
	int rc = arm_one(tl, &b);
	if (rc < 0)
		return rc;
	tl->bps[tl->nbps++] = b;
	return 0;
}

int timeline_remove(struct timeline *tl, enum timeline_bp type,
		    uint64_t addr, uint64_t len)
{
	for (size_t i = 0; i < tl->nbps; i++) {
		struct user_bp *b = &tl->bps[i];
		if (b->type != type || b->addr != addr || b->len != len)
			continue;
		if (--b->refs > 0)
			return 0;
		disarm_one(tl, b);
		tl->bps[i] = tl->bps[--tl->nbps];
		return 0;
	}
	return -ENOENT;
}

/* ---- moving forward, knowing where we are ----------------------------------------- */

/* Is the page of addr guarded against reads too (an rwatch or awatch on
 * it)? */
static pid_t page_reads(const struct timeline *tl, uint64_t addr)
{
	uint64_t page = addr & ~4095ull;
	for (size_t i = 0; i < tl->nbps; i++) {
		const struct user_bp *b = &tl->bps[i];
		if (software_watch(tl, b) && b->type != TIMELINE_WATCH &&
		    (b->addr & ~4095ull) <= page &&
		    ((b->addr + b->len - 1) & ~4095ull) >= page)
			return 1;
	}
	return 0;
}

/* Follow a stop into tl->cur.  A stop after an event starts a new name
 * there. */
static void track(struct timeline *tl, const struct replay_stop *stop)
{
	uint64_t ev = replayer_current_event(tl->r);
	bool crossed = ev != tl->cur.ev || tl->cur_approx;
	if (crossed) {
		pos_at_event(&tl->cur, ev);
		tl->cur_approx = false;
	}
	switch (stop->kind) {
	case REPLAY_STOP_BREAKPOINT:
	case REPLAY_STOP_HW_BREAK:
		/* At a handler's first instruction, just entered: the
		 * event's own position, no arrival. */
		if (!stop->at_event)
			pos_push(&tl->cur, (struct hop){ HOP_ARRIVE, 0,
				 thread_pc(tl, stop->tid), 1 });
		break;
	case REPLAY_STOP_STEP:
		/* A step that made an event stands at the new event. */
		if (!crossed)
			pos_push(&tl->cur, (struct hop){ HOP_STEP, stop->tid,
				 0, 1 });
		break;
	case REPLAY_STOP_SIGNAL:
		pos_push(&tl->cur, (struct hop){ HOP_SIGNAL, 0, 0, 1 });
		break;
	case REPLAY_STOP_GUARD:
		pos_push(&tl->cur, (struct hop){ HOP_GUARD,
			 page_reads(tl, stop->watch_addr), stop->watch_addr &
			 ~4095ull, 1 });
		break;
	case REPLAY_STOP_END:
		pos_push(&tl->cur, (struct hop){ HOP_END, 0, 0, 1 });
		break;
	case REPLAY_STOP_SYSCALL_ENTRY:
		pos_push(&tl->cur, (struct hop){ HOP_SYSCALL, 0, 0, 1 });
		break;
	case REPLAY_STOP_INTERRUPTED:
		tl->cur_approx = true;
		tl->approx_tid = stop->tid;
		thread_regs(tl, stop->tid, &tl->approx_regs);
		break;
	default:
		break;
	}
}

static bool interrupt_pending(struct timeline *tl)
{
	if (tl->ifd < 0 || tl->interrupted)
		return tl->interrupted;
	struct pollfd pfd = { .fd = tl->ifd, .events = POLLIN };
	tl->interrupted = poll(&pfd, 1, 0) > 0;
	return tl->interrupted;
}

/* One forward move of the replayer, followed into tl->cur. */
static int move(struct timeline *tl, uint64_t event, bool step, pid_t tid,
		struct replay_stop *stop)
{
	int rc = replayer_run_to(tl->r, event, step, tid, stop, tl->ifd);
	if (step)
		tl->stats.steps++;
	if (stop->kind == REPLAY_STOP_INTERRUPTED)
		tl->interrupted = true;
	track(tl, stop);
	/* A step whose instruction touched a guarded page stopped before
	 * it: the step again runs it, with the page open. */
	if (rc == 0 && step && stop->kind == REPLAY_STOP_GUARD) {
		rc = replayer_run_to(tl->r, event, true, stop->tid, stop,
				     tl->ifd);
		track(tl, stop);
	}
	return rc;
}

static bool fatal_stop(const struct replay_stop *s)
{
	return s->kind == REPLAY_STOP_DIVERGED || s->kind == REPLAY_STOP_ERROR;
}

/* ---- software watchpoints ----------------------------------------------------------- */

/* Does the instruction tid is about to execute read or write a watched
 * range the way its watchpoint asks?  (rwatch/awatch) */
/* Decode the instruction thread tid is about to execute, with its memory
 * accesses (the program's own bytes, not our int3s).  false: no thread
 * or no valid instruction. */
static bool decode_here(struct timeline *tl, pid_t tid, struct insn_info *info)
{
	struct user_regs_struct g;
	uint8_t code[16];
	if (thread_regs(tl, tid, &g) < 0)
		return false;
	ssize_t n = process_read_memory_clean(live(tl), g.rip, code,
					      sizeof(code));
	return n > 0 &&
	       insn_decode_access(code, (size_t)n, g.rip, &g, info) == 0;
}

static struct user_bp *access_hit(struct timeline *tl, pid_t tid)
{
	struct insn_info info;
	bool want = false;

	for (size_t i = 0; i < tl->nbps; i++)
		if (software_watch(tl, &tl->bps[i]) &&
		    tl->bps[i].type != TIMELINE_WATCH)
			want = true;
	if (!want || !decode_here(tl, tid, &info))
		return NULL;
	for (size_t i = 0; i < tl->nbps; i++) {
		struct user_bp *b = &tl->bps[i];
		if (!software_watch(tl, b) || b->type == TIMELINE_WATCH)
			continue;
		for (size_t k = 0; k < info.naccess; k++) {
			const struct insn_access *a = &info.access[k];
			bool overlap = a->addr < b->addr + b->len &&
				       b->addr < a->addr + a->len;
			if (overlap && (b->type == TIMELINE_AWATCH || a->read))
				return b;
		}
	}
	return NULL;
}

/* After a step: the write watchpoint whose bytes changed, if any (GDB
 * ignores writes of the same value to a `watch`, so a changed value is
 * the trigger).  Updates the bytes seen. */
static struct user_bp *value_hit(struct timeline *tl)
{
	struct user_bp *hit = NULL;
	for (size_t i = 0; i < tl->nbps; i++) {
		struct user_bp *b = &tl->bps[i];
		uint8_t now[8];
		if (!software_watch(tl, b) || b->type != TIMELINE_WATCH)
			continue;
		if (process_read_memory(live(tl), b->addr, now, b->len) !=
		    (ssize_t)b->len)
			continue;
		if (memcmp(now, b->value, b->len) != 0) {
			memcpy(b->value, now, b->len);
			if (!hit)
				hit = b;
		}
	}
	return hit;
}

static void refresh_watch_values(struct timeline *tl)
{
	for (size_t i = 0; i < tl->nbps; i++)
		if (software_watch(tl, &tl->bps[i]))
			process_read_memory(live(tl), tl->bps[i].addr,
					    tl->bps[i].value, tl->bps[i].len);
}

/* One step of the running thread checking software watchpoints: the
 * stop becomes REPLAY_STOP_WATCH when the instruction triggered one
 * (*before: the position before it). */
static int watched_step(struct timeline *tl, pid_t tid,
			struct replay_stop *stop, struct pos *before)
{
	pid_t who = tid ? tid : replayer_running_thread(tl->r);
	struct user_bp *acc = access_hit(tl, who);
	if (before)
		pos_copy(before, &tl->cur);
	int rc = move(tl, UINT64_MAX, true, tid, stop);
	if (rc < 0 || stop->kind != REPLAY_STOP_STEP)
		return rc;
	struct user_bp *val = value_hit(tl);
	struct user_bp *b = val ? val : acc;
	if (b) {
		stop->kind = REPLAY_STOP_WATCH;
		stop->watch_addr = b->addr;
		stop->watch_access = b->type != TIMELINE_WATCH;
		stop->watch_read = b->type == TIMELINE_RWATCH;
	}
	return 0;
}

/* ---- legs: the moves of a name, replayed (seek) or scanned ---------------------------- */

/* A visible stop found while scanning forward to an end. */
struct scan {
	bool collect;           /* keep hits (else a plain seek) */
	bool guarded;           /* software watchpoints by guards */
	/* A guard stopped an instruction that writes a watched range, and
	 * the name being replayed runs it with its next move: whether it
	 * changed the value is seen after that move. */
	bool pending;
	struct pos pending_at;
	bool last_unstep;       /* the last hit is one instruction back */
	/* Keep arrivals at these addresses instead of the debugger's
	 * stops (the search for the instruction before a position). */
	const uint64_t *cands;
	size_t ncands;
	bool found;
	struct pos last;        /* position of the last visible stop */
	struct replay_stop last_stop;
	bool stepping;          /* software watchpoints: step everything */
};

static bool visible_break(struct timeline *tl, const struct replay_stop *s)
{
	uint64_t pc = thread_pc(tl, s->tid);
	if (!is_user_break(tl, pc))
		return false;
	return !tl->filter || tl->filter(tl->filter_ctx, s->tid, pc);
}

void timeline_describe(struct timeline *tl, char *out, size_t len);
static void debug_pos(struct timeline *tl, const char *what,
		      const struct pos *p)
{
	if (!tl->debug)
		return;
	struct pos saved = tl->cur;
	char text[400];
	tl->cur = *p;
	timeline_describe(tl, text, sizeof(text));
	tl->cur = saved;
	fprintf(stderr, "xrr: timeline: %s %s (pc %#llx)\n", what, text,
		(unsigned long long)thread_pc(tl, replayer_running_thread(tl->r)));
}

static void keep_hit(struct timeline *tl, struct scan *sc,
		     const struct replay_stop *s, const struct pos *at)
{
	if (!sc->collect)
		return;
	sc->found = true;
	sc->last_unstep = false;
	pos_copy(&sc->last, at ? at : &tl->cur);
	sc->last_stop = *s;
	debug_pos(tl, "hit", &sc->last);
}

/* A stop met on the way to an end: keep it if the debugger would have
 * stopped there.  false: the stop ends the scan (an error). */
static bool is_cand(const struct scan *sc, uint64_t pc)
{
	for (size_t i = 0; i < sc->ncands; i++)
		if (sc->cands[i] == pc)
			return true;
	return false;
}

static bool on_the_way(struct timeline *tl, struct scan *sc,
		       const struct replay_stop *s, const struct pos *before)
{
	if (sc->cands) {
		if ((s->kind == REPLAY_STOP_BREAKPOINT && !s->at_event) ||
		    s->kind == REPLAY_STOP_STEP)
			if (is_cand(sc, thread_pc(tl, s->tid)))
				keep_hit(tl, sc, s, NULL);
		return s->kind != REPLAY_STOP_DIVERGED &&
		       s->kind != REPLAY_STOP_ERROR &&
		       s->kind != REPLAY_STOP_INTERRUPTED;
	}
	switch (s->kind) {
	case REPLAY_STOP_BREAKPOINT:
	case REPLAY_STOP_HW_BREAK:
		if (visible_break(tl, s))
			keep_hit(tl, sc, s, NULL);
		return true;
	case REPLAY_STOP_WATCH:
		keep_hit(tl, sc, s, before);
		return true;
	case REPLAY_STOP_SIGNAL:
		keep_hit(tl, sc, s, NULL);
		return true;
	case REPLAY_STOP_STEP:
		if (sc->stepping && is_user_break(tl, thread_pc(tl, s->tid))) {
			struct replay_stop b = *s;
			b.kind = REPLAY_STOP_BREAKPOINT;
			if (visible_break(tl, &b))
				keep_hit(tl, sc, &b, NULL);
		}
		return true;
	case REPLAY_STOP_EVENT:
	case REPLAY_STOP_GUARD:
		return true;
	default:
		return false;
	}
}

#define SCAN_STRIDE 32
#define REVERSE_CHECKPOINT_EVERY_NS 25000000ull   /* of scans: 25 ms */

/* One move of a leg: continue, or (stepping) one watched step.  A
 * scan with guards stops at every event, where replayed syscalls may
 * have written watched memory. */
static int leg_move(struct timeline *tl, struct scan *sc, uint64_t event,
		    struct replay_stop *stop, struct pos *before)
{
	if (sc->stepping) {
		if (replayer_current_event(tl->r) >= event) {
			stop->kind = REPLAY_STOP_EVENT;
			return 0;
		}
		return watched_step(tl, 0, stop, before);
	}
	uint64_t now = replayer_current_event(tl->r);
	if (sc->guarded && now + 1 < event)
		event = now + 1;
	/* Scans stop now and then at an event, to leave checkpoints. */
	if (sc->collect && now + SCAN_STRIDE < event)
		event = now + SCAN_STRIDE;
	return move(tl, event, false, 0, stop);
}

/* The debugger's software watchpoint the instruction tid stands on
 * (stopped by a guard) touches as it asks, if any; *writes: it writes
 * the watched bytes (then whether it changes them decides). */
static struct user_bp *guard_candidate(struct timeline *tl, pid_t tid,
				       bool *writes)
{
	struct insn_info info;
	if (!decode_here(tl, tid, &info))
		return NULL;
	for (size_t i = 0; i < tl->nbps; i++) {
		struct user_bp *b = &tl->bps[i];
		if (!software_watch(tl, b))
			continue;
		for (size_t k = 0; k < info.naccess; k++) {
			const struct insn_access *a = &info.access[k];
			if (!(a->addr < b->addr + b->len &&
			      b->addr < a->addr + a->len))
				continue;
			*writes = b->type == TIMELINE_WATCH;
			if (b->type == TIMELINE_AWATCH ||
			    (b->type == TIMELINE_RWATCH && a->read) ||
			    (b->type == TIMELINE_WATCH && a->write))
				return b;
		}
	}
	return NULL;
}

/* After a guard's stop: an instruction that touches a watched range is
 * run now (one step) and checked: *hit says how it triggered, `at` the
 * position before it.  1: stepped (stop is the step's), 0: not ours. */
static int guard_followup(struct timeline *tl, struct replay_stop *stop,
			  struct pos *at, struct user_bp **hit)
{
	bool writes = false;
	*hit = NULL;
	if (stop->kind != REPLAY_STOP_GUARD)
		return 0;
	struct user_bp *b = guard_candidate(tl, stop->tid, &writes);
	if (!b)
		return 0;
	pos_copy(at, &tl->cur);
	int rc = move(tl, UINT64_MAX, true, stop->tid, stop);
	if (rc < 0 || stop->kind != REPLAY_STOP_STEP)
		return rc < 0 ? rc : 1;
	struct user_bp *changed = value_hit(tl);
	if (!writes)
		*hit = b;
	else if (changed)
		*hit = changed;
	return 1;
}

/* At an event in a guarded scan: did the replayed syscall write a
 * watched range?  Then the hit is the syscall instruction, one step
 * back from here (keep_unstep). */
static void guard_event_check(struct timeline *tl, struct scan *sc,
			      const struct replay_stop *s)
{
	struct user_bp *changed = value_hit(tl);
	if (!changed || !sc->collect || sc->cands)
		return;
	struct replay_stop w = *s;
	w.kind = REPLAY_STOP_WATCH;
	w.watch_addr = changed->addr;
	w.watch_access = false;
	keep_hit(tl, sc, &w, NULL);
	sc->last_unstep = true;
}

/* The deferred check of a written watch (scan->pending). */
static void check_pending(struct timeline *tl, struct scan *sc,
			  const struct replay_stop *s)
{
	if (!sc->pending)
		return;
	sc->pending = false;
	struct user_bp *changed = value_hit(tl);
	if (!changed || !sc->collect || sc->cands)
		return;
	struct replay_stop w = *s;
	w.kind = REPLAY_STOP_WATCH;
	w.watch_addr = changed->addr;
	w.watch_access = false;
	keep_hit(tl, sc, &w, &sc->pending_at);
}

/* A move of the name being replayed ended at a guard's stop: a watch
 * it triggers is kept (access), or checked after the next move (write). */
static void guard_end_of_move(struct timeline *tl, struct scan *sc,
			      const struct replay_stop *s)
{
	bool writes = false;
	if (!sc->guarded || !sc->collect || sc->cands ||
	    s->kind != REPLAY_STOP_GUARD)
		return;
	struct user_bp *b = guard_candidate(tl, s->tid, &writes);
	if (!b)
		return;
	if (writes) {
		sc->pending = true;
		pos_copy(&sc->pending_at, &tl->cur);
		return;
	}
	struct replay_stop w = *s;
	w.kind = REPLAY_STOP_WATCH;
	w.watch_addr = b->addr;
	w.watch_access = true;
	w.watch_read = b->type == TIMELINE_RWATCH;
	keep_hit(tl, sc, &w, NULL);
}

/* The guard work after a move of a scan: 1 when a candidate
 * instruction was stepped and checked (*stop is then the step's), 0 when
 * the stop is unchanged, -1 on error. */
static int guard_scan_stop(struct timeline *tl, struct scan *sc,
			   struct replay_stop *stop)
{
	if (!sc->guarded)
		return 0;
	if (stop->kind == REPLAY_STOP_EVENT) {
		guard_event_check(tl, sc, stop);
		return 0;
	}
	struct pos at = { 0 };
	struct user_bp *hit;
	int rc = guard_followup(tl, stop, &at, &hit);
	if (rc > 0 && hit && sc->collect && !sc->cands) {
		struct replay_stop w = *stop;
		w.kind = REPLAY_STOP_WATCH;
		w.watch_addr = hit->addr;
		w.watch_access = hit->type != TIMELINE_WATCH;
		w.watch_read = hit->type == TIMELINE_RWATCH;
		keep_hit(tl, sc, &w, &at);
	}
	pos_free(&at);
	return rc;      /* 1: stepped, *stop is the step's */
}

#define LEG_LOST(tl, stop, what) \
	leg_lost(tl, stop, what, __func__)

static int leg_lost(struct timeline *tl, struct replay_stop *stop,
		    const char *what, const char *where)
{
	if (fatal_stop(stop) || stop->kind == REPLAY_STOP_INTERRUPTED)
		return -1;
	char msg[sizeof(stop->message)];
	snprintf(msg, sizeof(msg), "xrr: timeline: %s (%s, stopped by %d at "
		 "event %" PRIu64 "); the replay position is lost: restart",
		 what, where, stop->kind, replayer_current_event(tl->r));
	stop->kind = REPLAY_STOP_ERROR;
	memcpy(stop->message, msg, sizeof(msg));
	return -1;
}

static void maybe_checkpoint(struct timeline *tl, uint64_t every_ns);

/* Scans leave checkpoints close together: reverse commands come in
 * runs, and the next one, or the seek to what this one found, then
 * starts near. */
static void scan_checkpoint(struct timeline *tl, struct scan *sc)
{
	maybe_checkpoint(tl, REVERSE_CHECKPOINT_EVERY_NS);
	if (sc->cands)
		disarm_user(tl);        /* candidates scan without them */
}

/* Replay until `event` is next, from an earlier event. */
static int leg_to_event(struct timeline *tl, struct scan *sc, uint64_t event,
			bool is_end, struct replay_stop *stop)
{
	struct pos before = { 0 };
	int rc = 0;
	while (replayer_current_event(tl->r) < event) {
		if (interrupt_pending(tl)) {
			stop->kind = REPLAY_STOP_INTERRUPTED;
			rc = -1;
			break;
		}
		if ((rc = leg_move(tl, sc, event, stop, &before)) < 0)
			break;
		check_pending(tl, sc, stop);
		if ((rc = guard_scan_stop(tl, sc, stop)) < 0)
			break;
		rc = 0;
		if (stop->kind == REPLAY_STOP_EVENT && !sc->stepping &&
		    replayer_current_event(tl->r) >= event)
			break;
		if (stop->kind == REPLAY_STOP_EVENT && sc->collect)
			scan_checkpoint(tl, sc);
		/* A handler entered at the event: the event's own position,
		 * a stop on the way unless it is where the scan ends. */
		if (stop->at_event && replayer_current_event(tl->r) >= event) {
			if (!is_end)
				on_the_way(tl, sc, stop, NULL);
			break;
		}
		if (stop->kind == REPLAY_STOP_END ||
		    !on_the_way(tl, sc, stop, &before)) {
			rc = LEG_LOST(tl, stop, "the replay ended before the "
				      "event of a position");
			break;
		}
	}
	pos_free(&before);
	if (rc == 0)
		pos_at_event(&tl->cur, event);
	return rc;
}

/* Does the instruction tid stands on write to the page? */
static bool writes_page(struct timeline *tl, pid_t tid, uint64_t page)
{
	struct insn_info info;
	if (!decode_here(tl, tid, &info) || (info.flags & INSN_UNKNOWN_MEM))
		return true;
	for (size_t k = 0; k < info.naccess; k++) {
		const struct insn_access *a = &info.access[k];
		if (a->write && a->addr < page + 4096 && page < a->addr + a->len)
			return true;
	}
	return false;
}

/* Has the leg's move reached its end?  (Counts arrivals.) */
static bool leg_done(struct timeline *tl, const struct hop *h,
		     const struct replay_stop *s, uint64_t *count)
{
	uint64_t pc;
	switch (h->kind) {
	case HOP_ARRIVE:
		if (s->at_event)
			return false;
		if (s->kind == REPLAY_STOP_BREAKPOINT ||
		    s->kind == REPLAY_STOP_HW_BREAK ||
		    s->kind == REPLAY_STOP_STEP ||
		    s->kind == REPLAY_STOP_WATCH) {
			pc = thread_pc(tl, s->tid);
			if (pc == h->pc && ++*count == h->n)
				return true;
		}
		return false;
	case HOP_SIGNAL:
		return s->kind == REPLAY_STOP_SIGNAL;
	case HOP_END:
		return s->kind == REPLAY_STOP_END;
	case HOP_SYSCALL:
		return s->kind == REPLAY_STOP_SYSCALL_ENTRY;
	case HOP_GUARD:
		/* A name counted write faults: under a guard that reads
		 * fault on too (an rwatch on the page now), reads are not
		 * counted. */
		return s->kind == REPLAY_STOP_GUARD &&
		       (s->watch_addr & ~4095ull) == h->pc &&
		       (h->tid || writes_page(tl, s->tid, h->pc)) &&
		       ++*count == h->n;
	default:
		return false;
	}
}

/* Replay one move of a name.  Scanning, the stops met before its end are
 * the debugger's candidates; the end itself is not one (a breakpoint at
 * the position a reverse-continue starts from is not a hit). */
static int leg_hop(struct timeline *tl, struct scan *sc, const struct hop *h,
		   bool is_end, struct replay_stop *stop)
{
	uint64_t event = replayer_current_event(tl->r);
	if (h->kind == HOP_STEP) {
		struct pos before = { 0 };
		int rc = 0;
		for (uint64_t i = 0; i < h->n && rc == 0; i++) {
			rc = sc->stepping
			     ? watched_step(tl, h->tid, stop, &before)
			     : move(tl, UINT64_MAX, true, h->tid, stop);
			check_pending(tl, sc, stop);
			if (rc < 0 || fatal_stop(stop))
				rc = LEG_LOST(tl, stop, "a step failed");
			else if (i + 1 < h->n || !is_end)
				on_the_way(tl, sc, stop, &before);
		}
		pos_free(&before);
		return rc;
	}
	bool internal = h->kind == HOP_ARRIVE;
	if (internal && process_insert_breakpoint(live(tl), h->pc) < 0)
		return LEG_LOST(tl, stop, "cannot place a breakpoint");
	if (h->kind == HOP_GUARD &&
	    replayer_guard(tl->r, h->pc, 1, h->tid != 0) < 0)
		return LEG_LOST(tl, stop, "cannot guard a page");
	struct pos before = { 0 };
	uint64_t count = 0;
	int rc = 0;
	if (h->kind == HOP_SYSCALL)
		replayer_arm_syscall_catch(tl->r, REPLAY_CATCH_ANY_ENTRY);
	for (;;) {
		/* Moves never cross an event: the next one bounds this. */
		if ((rc = leg_move(tl, sc, event + 1, stop, &before)) < 0)
			break;
		check_pending(tl, sc, stop);
		bool done = leg_done(tl, h, stop, &count);
		if (!done && sc->guarded && stop->kind == REPLAY_STOP_GUARD) {
			/* A guard's stop on the way: checked, and the step
			 * that checks it may arrive where this move ends
			 * (an unchanged stop was counted already). */
			if ((rc = guard_scan_stop(tl, sc, stop)) < 0)
				break;
			if (rc > 0)
				done = leg_done(tl, h, stop, &count);
			rc = 0;
		}
		if (done) {
			/* Where a move ends is a stop on the way, unless it
			 * is where the scan ends. */
			if (!is_end) {
				on_the_way(tl, sc, stop, &before);
				guard_end_of_move(tl, sc, stop);
			}
			break;
		}
		if (stop->kind == REPLAY_STOP_EVENT ||
		    stop->kind == REPLAY_STOP_END ||
		    !on_the_way(tl, sc, stop, &before)) {
			rc = LEG_LOST(tl, stop, "a move of a position went past "
				      "its event");
			break;
		}
		if (interrupt_pending(tl)) {
			stop->kind = REPLAY_STOP_INTERRUPTED;
			rc = -1;
			break;
		}
	}
	pos_free(&before);
	replayer_arm_syscall_catch(tl->r, REPLAY_CATCH_OFF);
	if (internal)
		process_remove_breakpoint(live(tl), h->pc);
	if (h->kind == HOP_GUARD)
		replayer_unguard(tl->r, h->pc, 1);
	return rc;
}

/* How a position continues to p: p's moves from `hop` on, the first of
 * them with `done` of its arrivals or steps made already. */
struct lead {
	size_t hop;
	uint64_t done;
};

/* From where the replay stands (a position that leads to p), replay to p. */
static int replay_to(struct timeline *tl, struct scan *sc, const struct pos *p,
		     struct lead lead, struct replay_stop *stop)
{
	if (replayer_current_event(tl->r) < p->ev &&
	    leg_to_event(tl, sc, p->ev, p->nhops == 0, stop) < 0)
		return -1;
	for (size_t i = lead.hop; i < p->nhops; i++) {
		struct hop h = p->hops[i];
		if (i == lead.hop)
			h.n -= lead.done;
		if (leg_hop(tl, sc, &h, i + 1 == p->nhops, stop) < 0)
			return -1;
	}
	/* The moves above are p's own: its name, exactly. */
	pos_copy(&tl->cur, p);
	tl->cur_approx = false;
	return 0;
}

/* ---- checkpoints and seeking ---------------------------------------------------------------- */

/* Does replaying forward from position a reach p, and how?  From an
 * earlier event: p's event, then all its moves.  In p's interval: when
 * a's moves begin p's, the last of them possibly fewer arrivals or
 * steps of the same kind. */
static bool leads_to(const struct pos *a, const struct pos *p,
		     struct lead *lead)
{
	if (a->ev != p->ev) {
		*lead = (struct lead){ 0, 0 };
		return a->ev < p->ev;
	}
	if (a->nhops > p->nhops)
		return false;
	for (size_t i = 0; i < a->nhops; i++) {
		const struct hop *x = &a->hops[i], *y = &p->hops[i];
		if (memcmp(x, y, sizeof(*x)) == 0)
			continue;
		bool partial = i + 1 == a->nhops && x->kind == y->kind &&
			       (x->kind == HOP_ARRIVE || x->kind == HOP_STEP) &&
			       x->pc == y->pc && x->tid == y->tid &&
			       x->n < y->n;
		if (!partial)
			return false;
		*lead = (struct lead){ i, x->n };
		return true;
	}
	*lead = (struct lead){ a->nhops, 0 };
	return true;
}

static bool moment_leads_to(const struct moment *m, const struct pos *p,
			    struct lead *lead)
{
	return leads_to(&m->pos, p, lead);
}

/* The latest moment with a checkpoint from which p can be replayed. */
static struct moment *best_moment(struct timeline *tl, const struct pos *p,
				  struct lead *from_hop)
{
	struct moment *best = NULL;
	struct lead fh = { 0, 0 }, best_fh = { 0, 0 };
	for (size_t i = 0; i < tl->nmoments; i++) {
		struct moment *m = &tl->moments[i];
		if (!m->ckpt || !moment_leads_to(m, p, &fh))
			continue;
		struct lead ignored;
		if (!best || leads_to(&best->pos, &m->pos, &ignored)) {
			best = m;
			best_fh = fh;
		}
	}
	*from_hop = best_fh;
	return best;
}

static int back_to_start(struct timeline *tl, struct replay_stop *stop)
{
	char err[400] = "";
	tl->stats.restarts++;
	if (replayer_restart(tl->r, err, sizeof(err)) < 0) {
		stop->kind = REPLAY_STOP_ERROR;
		snprintf(stop->message, sizeof(stop->message),
			 "xrr: restarting the replay: %s", err);
		return -1;
	}
	replayer_set_echo(tl->r, false);
	pos_copy(&tl->cur, &tl->start);
	tl->cur_approx = false;
	return 0;
}

/* Put the replay where moment m (or the start) was, without the
 * debugger's breakpoints. */
static int restore_moment(struct timeline *tl, struct moment *m,
			  struct replay_stop *stop)
{
	if (!m)
		return back_to_start(tl, stop);
	char err[400] = "";
	tl->stats.restores++;
	if (replayer_restore(tl->r, m->ckpt, err, sizeof(err)) < 0) {
		stop->kind = REPLAY_STOP_ERROR;
		snprintf(stop->message, sizeof(stop->message),
			 "xrr: restoring a checkpoint: %s", err);
		return -1;
	}
	replayer_set_echo(tl->r, false);
	pos_copy(&tl->cur, &m->pos);
	tl->cur_approx = false;
	return 0;
}

/* Reach p from the best place: where we stand when p lies ahead, else
 * the latest checkpoint before it, else the start.  The debugger's
 * breakpoints are out during the moves and back in at the end. */
static int seek(struct timeline *tl, const struct pos *p,
		struct replay_stop *stop)
{
	struct scan plain = { 0 };
	debug_pos(tl, "seek to", p);
	tl->stats.seeks++;
	struct lead from_hop = { 0, 0 }, here_fh = { 0, 0 }, ignored;
	struct moment *m = best_moment(tl, p, &from_hop);
	disarm_user(tl);
	bool ahead = !tl->cur_approx && leads_to(&tl->cur, p, &here_fh) &&
		     (!m || leads_to(&m->pos, &tl->cur, &ignored));
	int rc = 0;
	if (ahead) {
		from_hop = here_fh;
	} else if (p->ev < tl->start.ev) {
		rc = -1;
		stop->kind = REPLAY_STOP_ERROR;
		snprintf(stop->message, sizeof(stop->message), "xrr: event %"
			 PRIu64 " comes before the replay's start", p->ev);
	} else {
		rc = restore_moment(tl, m, stop);
		if (!m)
			from_hop = (struct lead){ 0, 0 };
	}
	if (rc == 0)
		rc = replay_to(tl, &plain, p, from_hop, stop);
	arm_user(tl);
	debug_pos(tl, "seek reached", &tl->cur);
	return rc;
}

/* From where the replay stands (before `end`, on its way), replay to
 * end with the debugger's breakpoints and watchpoints in, keeping the
 * last stop the debugger would have seen. */
static int scan_to(struct timeline *tl, const struct pos *end,
		   struct scan *sc, struct replay_stop *stop)
{
	struct lead from_hop;
	tl->stats.scans++;
	if (!leads_to(&tl->cur, end, &from_hop))
		return LEG_LOST(tl, stop, "a scan starts after its end");
	sc->collect = true;
	sc->guarded = guarded(tl);
	sc->stepping = have_software_watches(tl) && !sc->guarded;
	refresh_watch_values(tl);
	int rc = replay_to(tl, sc, end, from_hop, stop);
	sc->pending = false;
	pos_free(&sc->pending_at);
	disarm_user(tl);
	arm_user(tl);
	return rc;
}

/* ---- ^C positions ---------------------------------------------------------------------------------- */

/* Name where a ^C left the replay: the arrival at its rip with its
 * registers, counted from the last named position. */
static int resolve_cur(struct timeline *tl, struct replay_stop *stop)
{
	if (!tl->cur_approx)
		return 0;
	struct pos base = { 0 };
	struct user_regs_struct want = tl->approx_regs;
	pos_copy(&base, &tl->cur);
	tl->cur_approx = false;
	int rc = seek(tl, &base, stop);
	disarm_user(tl);
	if (rc == 0 && process_insert_breakpoint(live(tl), want.rip) < 0)
		rc = -1;
	uint64_t n = 0;
	bool found = false;
	while (rc == 0) {
		struct user_regs_struct g;
		rc = replayer_run_to(tl->r, base.ev + 1, false, 0, stop, -1);
		if (rc < 0 || stop->kind != REPLAY_STOP_BREAKPOINT ||
		    thread_regs(tl, stop->tid, &g) < 0 || g.rip != want.rip)
			break;
		n++;
		want.eflags = g.eflags;
		if (memcmp(&g, &want, sizeof(g)) == 0) {
			found = true;
			break;
		}
	}
	process_remove_breakpoint(live(tl), want.rip);
	pos_copy(&tl->cur, &base);
	if (found)
		pos_push(&tl->cur, (struct hop){ HOP_ARRIVE, 0, want.rip, n });
	/* Not found again (it stood inside a syscall, say): the last named
	 * position is the nearest exact one. */
	rc = seek(tl, &tl->cur, stop);
	pos_free(&base);
	return rc;
}

/* ---- checkpoints the timeline makes ----------------------------------------------------------- */

static void free_moment(struct moment *m)
{
	if (m->ckpt)
		replay_checkpoint_free(m->ckpt);
	pos_free(&m->pos);
	memset(m, 0, sizeof(*m));
}

static void drop_moment(struct timeline *tl, size_t i)
{
	free_moment(&tl->moments[i]);
	tl->moments[i] = tl->moments[--tl->nmoments];
	memset(&tl->moments[tl->nmoments], 0, sizeof(tl->moments[0]));
}

#define AUTO_CHECKPOINTS 24     /* at most, besides the user's */
#define CHECKPOINT_EVERY_NS 100000000ull   /* of forward replay */

/* The resident memory all checkpoints hold (their copies' private
 * dirty pages). */
static uint64_t checkpoints_bytes(const struct timeline *tl)
{
	uint64_t total = 0;
	for (size_t i = 0; i < tl->nmoments; i++)
		if (tl->moments[i].ckpt)
			total += replay_checkpoint_cost(tl->moments[i].ckpt);
	return total;
}

/* Thin the automatic checkpoints: keep the newest, and older ones ever
 * further apart (each drops the one whose neighbours are closest), at
 * most AUTO_CHECKPOINTS and together within the memory budget. */
static void thin_moments(struct timeline *tl)
{
	size_t autos = 0;
	for (size_t i = 0; i < tl->nmoments; i++)
		autos += !tl->moments[i].number;
	while (autos > AUTO_CHECKPOINTS ||
	       (autos > 1 && checkpoints_bytes(tl) > tl->budget)) {
		size_t victim = SIZE_MAX;
		uint64_t best_gap = UINT64_MAX;
		for (size_t i = 0; i < tl->nmoments; i++) {
			struct moment *m = &tl->moments[i];
			if (m->number)
				continue;
			uint64_t lo = 0, hi = UINT64_MAX;
			for (size_t k = 0; k < tl->nmoments; k++) {
				uint64_t e = tl->moments[k].pos.ev;
				if (e < m->pos.ev && e >= lo)
					lo = e;
				if (e > m->pos.ev && e < hi)
					hi = e;
			}
			if (hi == UINT64_MAX)
				continue;       /* the newest stays */
			if (hi - lo < best_gap) {
				best_gap = hi - lo;
				victim = i;
			}
		}
		if (victim == SIZE_MAX)
			break;
		drop_moment(tl, victim);
		autos--;
	}
}

/* A checkpoint here, if the replay can be checkpointed here. */
static struct moment *make_moment(struct timeline *tl, int number,
				  const char *name)
{
	if (tl->nmoments == MAX_MOMENTS)
		thin_moments(tl);
	if (tl->nmoments == MAX_MOMENTS)
		return NULL;
	struct moment *m = &tl->moments[tl->nmoments];
	char err[300];
	disarm_user(tl);
	/* Not while a move's own guard is on (in the middle of replaying a
	 * name): the copy would keep the page protected and the guard's
	 * bookkeeping, and later replays from it would fault differently. */
	m->ckpt = replayer_has_guards(tl->r)
		  ? NULL : replayer_checkpoint(tl->r, err, sizeof(err));
	arm_user(tl);
	if (!m->ckpt && !number)
		return NULL;
	pos_copy(&m->pos, &tl->cur);
	m->number = number;
	m->pc = thread_pc(tl, replayer_running_thread(tl->r));
	snprintf(m->name, sizeof(m->name), "%s", name ? name : "");
	m->seq = ++tl->moment_seq;
	uint64_t seq = m->seq;
	tl->nmoments++;
	tl->stats.checkpoints_made++;
	thin_moments(tl);
	/* Thinning moves moments: find this one again (or it is gone). */
	for (size_t i = 0; i < tl->nmoments; i++)
		if (tl->moments[i].seq == seq)
			return &tl->moments[i];
	return NULL;
}

static bool have_moment_at(struct timeline *tl, const struct pos *p)
{
	for (size_t i = 0; i < tl->nmoments; i++)
		if (tl->moments[i].ckpt && pos_equal(&tl->moments[i].pos, p))
			return true;
	return false;
}

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* The newest automatic checkpoint (the last one made), or NULL. */
static struct moment *newest_auto(struct timeline *tl)
{
	for (size_t i = 0; i < tl->nmoments; i++)
		if (tl->newest_auto && tl->moments[i].seq == tl->newest_auto &&
		    tl->moments[i].ckpt)
			return &tl->moments[i];
	return NULL;
}

#define SPACING_MAX_FACTOR 64
#define COW_HEAVY (16ull << 20)

/* A checkpoint here (between events) when the last automatic one was
 * made at least every_ns ago (times the spacing factor) and none is here
 * already.  A program that rewrites much memory makes every checkpoint
 * costly twice: the copy-on-write faults slow the replay that follows
 * (and so time passes faster), and the copies hold the pages.  So when
 * the newest copy has come to hold COW_HEAVY bytes, the spacing doubles;
 * it halves back when the copies stay cheap. */
static void maybe_checkpoint(struct timeline *tl, uint64_t every_ns)
{
	uint64_t t = now_ns();
	if (t - tl->last_checkpoint_ns < every_ns * tl->spacing ||
	    tl->cur_approx || have_moment_at(tl, &tl->cur))
		return;
	struct moment *prev = newest_auto(tl);
	uint64_t prev_cost = prev ? replay_checkpoint_cost(prev->ckpt) : 0;
	if (prev_cost >= COW_HEAVY && tl->spacing < SPACING_MAX_FACTOR)
		tl->spacing *= 2;
	else if (prev_cost < COW_HEAVY / 4 && tl->spacing > 1)
		tl->spacing /= 2;
	if (prev_cost >= COW_HEAVY && t - tl->last_checkpoint_ns <
	    every_ns * tl->spacing)
		return;
	struct moment *m = make_moment(tl, 0, NULL);
	tl->newest_auto = m && !m->number ? m->seq : 0;
	if (tl->debug)
		fprintf(stderr, "xrr: timeline: checkpoint at event %" PRIu64
			" in %.1f ms\n", tl->cur.ev, (now_ns() - t) / 1e6);
	tl->last_checkpoint_ns = now_ns();
}

/* ---- forward ---------------------------------------------------------------------------------------- */

/* Continue with watchpoints by guards: at full speed between accesses
 * to the guarded pages and events; stopped after the instruction (or
 * syscall) that triggered, as x86 reports a watchpoint. */
static int resume_guarded(struct timeline *tl, struct replay_stop *stop)
{
	refresh_watch_values(tl);
	for (;;) {
		uint64_t ev = replayer_current_event(tl->r);
		int rc = move(tl, ev + 1, false, 0, stop);
		if (rc < 0)
			return rc;
		struct user_bp *hit = NULL;
		if (stop->kind == REPLAY_STOP_EVENT) {
			hit = value_hit(tl);
		} else if (stop->kind == REPLAY_STOP_GUARD) {
			struct pos at = { 0 };
			rc = guard_followup(tl, stop, &at, &hit);
			pos_free(&at);
			if (rc < 0)
				return rc;
			if (!hit && stop->kind == REPLAY_STOP_STEP &&
			    is_user_break(tl, thread_pc(tl, stop->tid))) {
				stop->kind = REPLAY_STOP_BREAKPOINT;
				if (visible_break(tl, stop))
					return 0;
			}
			if (!hit && stop->kind != REPLAY_STOP_STEP &&
			    stop->kind != REPLAY_STOP_GUARD)
				return 0;
		} else {
			return 0;
		}
		if (hit) {
			stop->kind = REPLAY_STOP_WATCH;
			stop->watch_addr = hit->addr;
			stop->watch_access = hit->type != TIMELINE_WATCH;
			stop->watch_read = hit->type == TIMELINE_RWATCH;
			return 0;
		}
		if (interrupt_pending(tl)) {
			stop->kind = REPLAY_STOP_INTERRUPTED;
			return 0;
		}
	}
}

/* Continue with software watchpoints: step by step. */
static int resume_watched(struct timeline *tl, struct replay_stop *stop)
{
	refresh_watch_values(tl);
	struct scan sc = { .stepping = true };
	for (;;) {
		int rc = watched_step(tl, 0, stop, NULL);
		if (rc < 0 || stop->kind != REPLAY_STOP_STEP)
			return rc;
		if (is_user_break(tl, thread_pc(tl, stop->tid))) {
			struct replay_stop b = *stop;
			b.kind = REPLAY_STOP_BREAKPOINT;
			if (visible_break(tl, &b)) {
				*stop = b;
				return 0;
			}
		}
		(void)sc;
		if (interrupt_pending(tl)) {
			stop->kind = REPLAY_STOP_INTERRUPTED;
			tl->cur_approx = false;
			return 0;
		}
	}
}

int timeline_resume(struct timeline *tl, bool step, pid_t tid,
		    struct replay_stop *stop, int interrupt_fd)
{
	memset(stop, 0, sizeof(*stop));
	tl->ifd = interrupt_fd;
	tl->interrupted = false;
	replayer_set_echo(tl->r, tl->echo);
	int rc;
	if (step && have_software_watches(tl)) {
		refresh_watch_values(tl);
		rc = watched_step(tl, tid, stop, NULL);
	} else if (step) {
		rc = move(tl, UINT64_MAX, true, tid, stop);
	} else if (guarded(tl)) {
		rc = resume_guarded(tl, stop);
	} else if (have_software_watches(tl)) {
		rc = resume_watched(tl, stop);
	} else {
		/* Run in stretches of events, leaving checkpoints behind:
		 * a stretch grows while it takes less than a tenth of the
		 * checkpoint spacing. */
		uint64_t stride = 16;
		/* Syscall catchpoints stop the debugger's continues only. */
		replayer_arm_syscall_catch(tl->r, REPLAY_CATCH_USER);
		for (;;) {
			uint64_t ev = replayer_current_event(tl->r);
			uint64_t t0 = now_ns();
			rc = move(tl, ev + stride, false, 0, stop);
			if (rc < 0 || stop->kind != REPLAY_STOP_EVENT)
				break;
			uint64_t t1 = now_ns();
			if (t1 - t0 < CHECKPOINT_EVERY_NS / 10 && stride < 65536)
				stride *= 2;
			else if (t1 - t0 > CHECKPOINT_EVERY_NS / 2 && stride > 1)
				stride /= 2;
			replayer_arm_syscall_catch(tl->r, REPLAY_CATCH_OFF);
			maybe_checkpoint(tl, tl->every_ns);
			replayer_arm_syscall_catch(tl->r, REPLAY_CATCH_USER);
		}
		replayer_arm_syscall_catch(tl->r, REPLAY_CATCH_OFF);
	}
	replayer_set_echo(tl->r, false);
	tl->ifd = -1;
	return rc;
}

/* ---- backward ---------------------------------------------------------------------------------------- */

/* The latest moment strictly before p (NULL: the start, if before p). */
static bool before(const struct pos *a, const struct pos *b)
{
	if (a->ev != b->ev)
		return a->ev < b->ev;
	/* Same event: a is before b if b continues a's moves. */
	return a->nhops < b->nhops &&
	       (!a->nhops ||
		memcmp(a->hops, b->hops, a->nhops * sizeof(*a->hops)) == 0);
}

static struct moment *moment_before(struct timeline *tl, const struct pos *p)
{
	struct moment *best = NULL;
	for (size_t i = 0; i < tl->nmoments; i++) {
		struct moment *m = &tl->moments[i];
		if (!m->ckpt || !before(&m->pos, p))
			continue;
		if (!best || before(&best->pos, &m->pos))
			best = m;
	}
	return best;
}

static void begin_stop(struct timeline *tl, struct replay_stop *stop,
		       bool *begin)
{
	memset(stop, 0, sizeof(*stop));
	stop->kind = REPLAY_STOP_EVENT;
	stop->tid = replayer_running_thread(tl->r);
	stop->event = tl->start.ev;
	*begin = true;
}

/* ^C during a backward move: back where it started, stopped by SIGINT. */
static int interrupted_back(struct timeline *tl, const struct pos *home,
			    struct replay_stop *stop)
{
	int ifd = tl->ifd;
	tl->ifd = -1;
	tl->interrupted = false;
	int rc = seek(tl, home, stop);
	tl->ifd = ifd;
	if (rc == 0) {
		memset(stop, 0, sizeof(*stop));
		stop->kind = REPLAY_STOP_INTERRUPTED;
		stop->tid = replayer_running_thread(tl->r);
		stop->event = replayer_current_event(tl->r);
	}
	return rc;
}

/* Where the next backward scan starts, ending at `end`.  Continuing is
 * cheap: from the latest checkpoint.  With software watchpoints every
 * instruction is stepped: from a window of events before end that
 * doubles each round, so the cost follows the distance to the answer. */
static void window_start(struct timeline *tl, const struct pos *end,
			 uint64_t window, struct pos *w)
{
	if (!have_software_watches(tl) || guarded(tl)) {
		struct moment *m = moment_before(tl, end);
		pos_copy(w, m ? &m->pos : &tl->start);
		return;
	}
	uint64_t ev = end->nhops ? end->ev
		      : end->ev > window ? end->ev - window : 0;
	if (end->nhops && window > 1)
		ev = end->ev > window - 1 ? end->ev - (window - 1) : 0;
	if (ev <= tl->start.ev) {
		pos_copy(w, &tl->start);
		return;
	}
	pos_at_event(w, ev);
}

static int reverse_step(struct timeline *tl, pid_t tid,
			struct replay_stop *stop, bool *begin);

/* reverse-continue: the last stop the debugger would have seen before
 * where we are, or the start. */
static int reverse_continue(struct timeline *tl, struct replay_stop *stop,
			    bool *begin)
{
	struct pos home = { 0 }, end = { 0 }, w = { 0 };
	struct scan sc = { 0 };
	int rc = 0;
	pos_copy(&home, &tl->cur);
	pos_copy(&end, &tl->cur);
	for (uint64_t window = 1;; window *= 2) {
		window_start(tl, &end, window, &w);
		if (pos_equal(&w, &end)) {
			rc = seek(tl, &tl->start, stop);
			if (rc == 0)
				begin_stop(tl, stop, begin);
			break;
		}
		sc.found = false;
		rc = seek(tl, &w, stop);
		if (rc == 0)
			rc = scan_to(tl, &end, &sc, stop);
		if (rc < 0 && tl->interrupted) {
			rc = interrupted_back(tl, &home, stop);
			break;
		}
		if (rc < 0)
			break;
		if (sc.found) {
			struct replay_stop hit = sc.last_stop;
			bool unstep = sc.last_unstep;
			rc = seek(tl, &sc.last, stop);
			/* A replayed syscall wrote the watched bytes: the
			 * state before its instruction. */
			if (rc == 0 && unstep)
				rc = reverse_step(tl, 0, stop, begin);
			if (rc == 0) {
				*stop = hit;
				stop->event = replayer_current_event(tl->r);
			}
			break;
		}
		if (pos_equal(&w, &tl->start)) {
			rc = seek(tl, &tl->start, stop);
			if (rc == 0)
				begin_stop(tl, stop, begin);
			break;
		}
		pos_copy(&end, &w);
	}
	pos_free(&home);
	pos_free(&end);
	pos_free(&w);
	pos_free(&sc.last);
	return rc;
}

/* Where to walk from to find the instruction before p: the previous
 * arrival at the same address, the name without its last move, or the
 * start of the previous event. */
static void walk_origin(const struct pos *p, struct pos *from,
			uint64_t back)
{
	pos_copy(from, p);
	if (!p->nhops) {
		pos_at_event(from, p->ev >= back ? p->ev - back : 0);
		return;
	}
	struct hop *last = &from->hops[from->nhops - 1];
	if (last->kind == HOP_ARRIVE && last->n > 1)
		last->n--;
	else
		from->nhops--;
}

/* Has the walk reached p?  (Only called with `from` before p.) */
static bool walk_reached(struct timeline *tl, const struct pos *p,
			 const struct replay_stop *s)
{
	if (fatal_stop(s))
		return true;
	if (!p->nhops)
		return replayer_current_event(tl->r) >= p->ev;
	const struct hop *last = &p->hops[p->nhops - 1];
	switch (last->kind) {
	case HOP_ARRIVE:
		return replayer_current_event(tl->r) == p->ev &&
		       thread_pc(tl, s->tid) == last->pc;
	case HOP_SIGNAL:
		return s->kind == REPLAY_STOP_SIGNAL;
	case HOP_END:
		return s->kind == REPLAY_STOP_END;
	case HOP_SYSCALL:
		return s->kind == REPLAY_STOP_SYSCALL_ENTRY;
	default:
		return false;
	}
}

/* Instructions that may run just before p's pc, at addresses known to
 * start an instruction (an int3 anywhere else would change the code):
 * the syscall an event after it just made, the call before the return
 * address when p is the callee's entry, and the instruction before p in
 * a straight decode from where the walk starts (an instruction start).
 * Anything else (a jump's source) is found by the walk. */
#define MAX_CANDS 4

struct pstate {                 /* what p's candidates are made from */
	uint64_t pc, ret;       /* ret: the word at rsp */
	bool boundary;          /* p is right after an event */
};

static bool code_at(struct timeline *tl, uint64_t addr, uint8_t *buf,
		    size_t len)
{
	return process_read_memory_clean(live(tl), addr, buf, len) ==
	       (ssize_t)len;
}

static size_t predecessor_candidates(struct timeline *tl,
				     const struct pstate *ps, uint64_t from_pc,
				     uint64_t *out)
{
	size_t n = 0;
	uint8_t b[8];
	int32_t rel;
	if (ps->boundary && code_at(tl, ps->pc - 2, b, 2) && b[0] == 0x0f &&
	    b[1] == 0x05)
		out[n++] = ps->pc - 2;
	if (code_at(tl, ps->ret - 5, b, 5) && b[0] == 0xe8) {
		memcpy(&rel, b + 1, 4);
		if (ps->ret + (uint64_t)(int64_t)rel == ps->pc)
			out[n++] = ps->ret - 5;
	}
	/* A straight decode from the walk's start up to p. */
	uint64_t at = from_pc, last = 0;
	struct user_regs_struct g = { 0 };
	for (int i = 0; at < ps->pc && ps->pc - at <= 4096 && i < 1024; i++) {
		uint8_t code[16];
		struct insn_info info;
		if (!code_at(tl, at, code, sizeof(code)) ||
		    insn_decode_access(code, sizeof(code), at, &g, &info) < 0)
			break;
		last = at;
		at += info.len;
	}
	if (at == ps->pc && last && n < MAX_CANDS)
		out[n++] = last;
	return n;
}

/* The last arrival at one of cands between `from` and p: a position
 * closer to p to walk from (*found false: none). */
static int closer_origin(struct timeline *tl, const struct pos *from,
			 const struct pos *p, const struct pstate *ps,
			 struct pos *out, bool *found, struct replay_stop *stop)
{
	uint64_t cands[MAX_CANDS];
	int rc = seek(tl, from, stop);
	*found = false;
	if (rc < 0)
		return rc;
	size_t ncands = predecessor_candidates(
		tl, ps, thread_pc(tl, replayer_running_thread(tl->r)), cands);
	if (!ncands)
		return 0;
	struct scan sc = { .collect = true, .cands = cands, .ncands = ncands };
	disarm_user(tl);
	size_t placed = 0;
	for (; placed < ncands; placed++)
		if (process_insert_breakpoint(live(tl), cands[placed]) < 0)
			break;
	struct lead lead;
	rc = leads_to(&tl->cur, p, &lead)
	     ? replay_to(tl, &sc, p, lead, stop)
	     : LEG_LOST(tl, stop, "a search starts after its end");
	for (size_t i = 0; i < placed; i++)
		process_remove_breakpoint(live(tl), cands[i]);
	arm_user(tl);
	if (rc == 0 && sc.found) {
		pos_copy(out, &sc.last);
		*found = true;
	}
	pos_free(&sc.last);
	return rc;
}

/* reverse-stepi: the position one instruction before cur. */
static int reverse_step(struct timeline *tl, pid_t tid,
			struct replay_stop *stop, bool *begin)
{
	struct pos p = { 0 }, from = { 0 }, prev = { 0 };
	int rc = 0;
	pos_copy(&p, &tl->cur);
	struct hop *last = p.nhops ? &p.hops[p.nhops - 1] : NULL;
	if (last && last->kind == HOP_STEP) {
		/* Named by steps: one fewer. */
		pos_copy(&prev, &p);
		if (--prev.hops[prev.nhops - 1].n == 0)
			prev.nhops--;
		rc = seek(tl, &prev, stop);
		goto report;
	}
	if (last && last->kind == HOP_SYSCALL) {
		/* At a caught syscall's entry: the instruction before is
		 * that syscall, the first arrival at it since the name's
		 * previous move (its thread runs on to its call). */
		struct user_regs_struct g;
		pid_t who = tid && replayer_task(tl->r, tid)
			    ? tid : replayer_running_thread(tl->r);
		if (thread_regs(tl, who, &g) < 0) {
			rc = LEG_LOST(tl, stop, "no thread at the syscall");
			goto out;
		}
		pos_copy(&prev, &p);
		prev.nhops--;
		rc = pos_push(&prev, (struct hop){ HOP_ARRIVE, 0, g.rip - 2, 1 });
		if (rc == 0)
			rc = seek(tl, &prev, stop);
		goto report;
	}
	if (pos_equal(&p, &tl->start) || p.ev < tl->start.ev) {
		rc = seek(tl, &tl->start, stop);
		if (rc == 0)
			begin_stop(tl, stop, begin);
		goto out;
	}
	/* Walk forward from an earlier position, one step at a time, to p:
	 * the position before the last step is the answer.  The walk starts
	 * at the last arrival at an instruction that may come just before
	 * p, when one is found: usually the answer itself. */
	struct pstate ps = { .boundary = p.nhops == 0 };
	struct user_regs_struct gp;
	if (thread_regs(tl, replayer_running_thread(tl->r), &gp) == 0) {
		ps.pc = gp.rip;
		if (process_read_memory(live(tl), gp.rsp, &ps.ret,
					sizeof(ps.ret)) != sizeof(ps.ret))
			ps.ret = 0;
	}
	for (uint64_t back = 1;; back++) {
		walk_origin(&p, &from, back);
		if (before(&from, &tl->start) && !pos_equal(&from, &tl->start))
			pos_copy(&from, &tl->start);
		bool closer = false;
		if (ps.pc && back == 1) {
			struct pos c = { 0 };
			rc = closer_origin(tl, &from, &p, &ps, &c, &closer, stop);
			if (rc == 0 && closer)
				pos_copy(&from, &c);
			pos_free(&c);
			if (rc < 0)
				goto out;
		}
		if ((rc = seek(tl, &from, stop)) < 0)
			goto out;
		/* The answer is a few steps from here: a checkpoint makes
		 * the seek to it (and the next reverse step) short. */
		maybe_checkpoint(tl, 0);
		disarm_user(tl);
		uint64_t steps = 0;
		bool reached = false;
		while (!reached) {
			if (interrupt_pending(tl)) {
				arm_user(tl);
				rc = interrupted_back(tl, &p, stop);
				goto out;
			}
			pos_copy(&prev, &tl->cur);
			rc = move(tl, UINT64_MAX, true, 0, stop);
			if (rc < 0 || fatal_stop(stop))
				break;
			steps++;
			reached = walk_reached(tl, &p, stop);
		}
		arm_user(tl);
		if (rc < 0 || fatal_stop(stop))
			goto out;
		if (steps > 0 || pos_equal(&from, &tl->start))
			break;
		/* p is where `from` stands (an event with no instruction
		 * of its own between): look one event further back. */
	}
	if (pos_equal(&prev, &tl->start) && false)
		goto out;
	rc = seek(tl, &prev, stop);
report:
	if (rc == 0) {
		memset(stop, 0, sizeof(*stop));
		stop->kind = REPLAY_STOP_STEP;
		stop->tid = tid && replayer_task(tl->r, tid)
			    ? tid : replayer_running_thread(tl->r);
		stop->event = replayer_current_event(tl->r);
	}
out:
	pos_free(&p);
	pos_free(&from);
	pos_free(&prev);
	return rc;
}

int timeline_reverse(struct timeline *tl, bool step, pid_t tid,
		     struct replay_stop *stop, bool *begin, int interrupt_fd)
{
	memset(stop, 0, sizeof(*stop));
	*begin = false;
	tl->ifd = interrupt_fd;
	tl->interrupted = false;
	replayer_set_echo(tl->r, false);
	int rc = resolve_cur(tl, stop);
	if (rc == 0)
		rc = step ? reverse_step(tl, tid, stop, begin)
			  : reverse_continue(tl, stop, begin);
	tl->ifd = -1;
	return rc;
}

/* ---- goto, restart ------------------------------------------------------------------------------------- */

int timeline_goto(struct timeline *tl, uint64_t event,
		  struct replay_stop *stop, char *err, size_t errlen)
{
	memset(stop, 0, sizeof(*stop));
	if (event < tl->start.ev) {
		snprintf(err, errlen, "event %" PRIu64 " comes before the "
			 "replay's start (event %" PRIu64 ")", event,
			 tl->start.ev);
		return -1;
	}
	struct pos p = { .ev = event };
	uint64_t now = replayer_current_event(tl->r);
	int rc = 0;
	if (event >= now && !(event == now && tl->cur.nhops)) {
		/* Forward, showing the output on the way. */
		replayer_set_echo(tl->r, tl->echo);
		disarm_user(tl);
		rc = replayer_goto(tl->r, event, stop);
		arm_user(tl);
		replayer_set_echo(tl->r, false);
		track(tl, stop);
	} else {
		rc = seek(tl, &p, stop);
		if (rc == 0) {
			stop->kind = REPLAY_STOP_EVENT;
			stop->event = event;
		}
	}
	if (rc < 0 || fatal_stop(stop)) {
		snprintf(err, errlen, "%s", stop->message[0] ? stop->message
			 : "cannot replay to that event");
		return -1;
	}
	return 0;
}

int timeline_restart(struct timeline *tl, char *err, size_t errlen)
{
	struct replay_stop stop;
	if (seek(tl, &tl->start, &stop) < 0) {
		snprintf(err, errlen, "%s", stop.message);
		return -1;
	}
	return 0;
}

/* ---- user checkpoints ------------------------------------------------------------------------------------ */

void timeline_describe(struct timeline *tl, char *out, size_t len)
{
	int n = snprintf(out, len, "event %" PRIu64, tl->cur.ev);
	for (size_t i = 0; i < tl->cur.nhops && n > 0 && (size_t)n < len; i++) {
		const struct hop *h = &tl->cur.hops[i];
		switch (h->kind) {
		case HOP_ARRIVE:
			n += snprintf(out + n, len - n, ", arrival %" PRIu64
				      " at %#" PRIx64, h->n, h->pc);
			break;
		case HOP_STEP:
			n += snprintf(out + n, len - n, ", %" PRIu64 " step%s "
				      "of thread %d", h->n, h->n == 1 ? "" : "s",
				      (int)h->tid);
			break;
		case HOP_SIGNAL:
			n += snprintf(out + n, len - n, ", its signal");
			break;
		case HOP_END:
			n += snprintf(out + n, len - n, ", the end");
			break;
		case HOP_SYSCALL:
			n += snprintf(out + n, len - n, ", its syscall entry");
			break;
		case HOP_GUARD:
			n += snprintf(out + n, len - n, ", fault %" PRIu64
				      " on page %#" PRIx64, h->n, h->pc);
			break;
		}
	}
	if (tl->cur_approx && n > 0 && (size_t)n < len)
		snprintf(out + n, len - n, " (then interrupted)");
}

static struct moment *user_moment(struct timeline *tl, const char *which)
{
	char *end;
	long n = strtol(which, &end, 10);
	for (size_t i = 0; i < tl->nmoments; i++) {
		struct moment *m = &tl->moments[i];
		if (!m->number)
			continue;
		if ((*which && !*end && m->number == n) ||
		    (m->name[0] && strcmp(m->name, which) == 0))
			return m;
	}
	return NULL;
}

int timeline_checkpoint(struct timeline *tl, const char *name, FILE *out)
{
	struct replay_stop stop;
	if (name && *name && user_moment(tl, name)) {
		fprintf(out, "xrr: a checkpoint is already named '%s'\n", name);
		return 0;
	}
	if (resolve_cur(tl, &stop) < 0) {
		fprintf(out, "xrr: %s\n", stop.message);
		return 0;
	}
	struct moment *m = make_moment(tl, ++tl->next_number, name);
	if (!m) {
		tl->next_number--;
		fprintf(out, "xrr: no room for another checkpoint: delete "
			"one (monitor delete-checkpoint N)\n");
		return 0;
	}
	char where[200];
	timeline_describe(tl, where, sizeof(where));
	fprintf(out, "Checkpoint %d%s%s%s at %s, pc %#" PRIx64 "%s\n",
		m->number, m->name[0] ? " '" : "", m->name,
		m->name[0] ? "'" : "", where, m->pc,
		m->ckpt ? "" : " (no process copy here: restarting it "
		"replays from the nearest earlier checkpoint)");
	return 0;
}

int timeline_checkpoints(struct timeline *tl, FILE *out)
{
	int shown = 0;
	uint64_t total = 0;
	for (size_t i = 0; i < tl->nmoments; i++) {
		struct moment *m = &tl->moments[i];
		uint64_t cost = m->ckpt ? replay_checkpoint_cost(m->ckpt) : 0;
		total += cost;
		if (!m->number)
			continue;
		fprintf(out, "%d%s%s%s: event %" PRIu64 ", pc %#" PRIx64
			", %" PRIu64 " KiB resident\n", m->number,
			m->name[0] ? " '" : "", m->name, m->name[0] ? "'" : "",
			m->pos.ev, m->pc, cost / 1024);
		shown++;
	}
	if (!shown)
		fprintf(out, "No checkpoints (monitor checkpoint [NAME] makes "
			"one).\n");
	size_t autos = 0;
	for (size_t i = 0; i < tl->nmoments; i++)
		autos += tl->moments[i].ckpt && !tl->moments[i].number;
	fprintf(out, "Automatic checkpoints: %zu; all checkpoints together: %"
		PRIu64 " KiB resident (budget for automatic ones: %" PRIu64
		" MiB, $XRR_CHECKPOINT_MIB)\n", autos, total / 1024,
		tl->budget >> 20);
	return 0;
}

int timeline_restart_checkpoint(struct timeline *tl, const char *which,
				struct replay_stop *stop, FILE *out)
{
	struct moment *m = user_moment(tl, which);
	if (!m) {
		fprintf(out, "xrr: no checkpoint '%s' (monitor checkpoints "
			"lists them)\n", which);
		return -1;
	}
	struct pos p = { 0 };
	pos_copy(&p, &m->pos);
	int rc = seek(tl, &p, stop);
	pos_free(&p);
	if (rc < 0) {
		fprintf(out, "xrr: %s\n", stop->message);
		return -1;
	}
	fprintf(out, "xrr: back at checkpoint %d (event %" PRIu64 ")\n",
		m->number, replayer_current_event(tl->r));
	return 0;
}

int timeline_delete_checkpoint(struct timeline *tl, const char *which,
			       FILE *out)
{
	struct moment *m = user_moment(tl, which);
	if (!m) {
		fprintf(out, "xrr: no checkpoint '%s'\n", which);
		return -1;
	}
	int number = m->number;
	drop_moment(tl, (size_t)(m - tl->moments));
	fprintf(out, "xrr: deleted checkpoint %d\n", number);
	return 0;
}

/* ---- setup ------------------------------------------------------------------------------------------------- */

/* Guards watch one process's pages: a trace of one process. */
static bool single_process(struct replayer *r)
{
	struct trace_proc *procs;
	size_t n = 0;
	char err[256];
	if (trace_procs_read(replayer_trace(r), &procs, &n, NULL, err,
			     sizeof(err)) < 0)
		return false;
	trace_procs_free(procs, n);
	return n == 1;
}

struct timeline *timeline_open(struct replayer *r, char *err, size_t errlen)
{
	struct timeline *tl = calloc(1, sizeof(*tl));
	if (!tl) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	tl->r = r;
	tl->ifd = -1;
	tl->hw_watch = task_probe_hw_watch() == 1;
	tl->debug = getenv("XRR_TIMELINE_DEBUG") != NULL;
	const char *mib = getenv("XRR_CHECKPOINT_MIB");
	tl->budget = (mib && *mib ? strtoull(mib, NULL, 10) : 1024) << 20;
	tl->spacing = 1;
	const char *ms = getenv("XRR_CHECKPOINT_MS");
	tl->every_ns = ms && *ms ? strtoull(ms, NULL, 10) * 1000000ull
				 : CHECKPOINT_EVERY_NS;

	tl->guards_ok = !tl->hw_watch && !getenv("XRR_WATCH_STEP") &&
			single_process(r);
	pos_at_event(&tl->start, replayer_current_event(r));
	pos_at_event(&tl->cur, replayer_current_event(r));
	replayer_set_echo(r, false);
	return tl;
}

void timeline_close(struct timeline *tl)
{
	if (!tl)
		return;
	for (size_t i = 0; i < tl->nmoments; i++)
		free_moment(&tl->moments[i]);
	pos_free(&tl->cur);
	pos_free(&tl->start);
	free(tl->bps);
	free(tl);
}

void timeline_set_filter(struct timeline *tl, timeline_filter fn, void *ctx)
{
	tl->filter = fn;
	tl->filter_ctx = ctx;
}

void timeline_set_echo(struct timeline *tl, bool on)
{
	tl->echo = on;
}

void timeline_stats(const struct timeline *tl, struct timeline_stats *out)
{
	*out = tl->stats;
	out->checkpoints_live = 0;
	out->checkpoint_bytes = 0;
	for (size_t i = 0; i < tl->nmoments; i++)
		if (tl->moments[i].ckpt) {
			out->checkpoints_live++;
			out->checkpoint_bytes +=
				replay_checkpoint_cost(tl->moments[i].ckpt);
		}
}

