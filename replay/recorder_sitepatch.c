/* Patched syscall sites while recording (replay/sitepatch.h,
 * docs/syscallbuf.md "Patched sites").
 *
 * At the exit of a call that the syscall buffer library could have made
 * without a ptrace stop but that came from the program's own `syscall`
 * instruction, the recorder patches that site once: the next calls
 * there go through the library (no stop at all).  Each process keeps a
 * list of the sites it tried (patched or not: each is planned once) and
 * of its trampoline pages, mapped near the sites by a remote mmap. */
#include "config.h"

#include "replay/recorder_internal.h"
#include "replay/sitepatch.h"
#include "replay/task.h"
#include "replay/trace_events.h"
#include "syscallbuf/syscallbuf_abi.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#define SITE_MAX_TRIED 512
#define SITE_MAX_PAGES 16
#define SITE_PAGE 4096ull
/* Candidate trampoline pages: every 16 MiB on both sides, up to 1 GiB. */
#define SITE_PAGE_STEP (16ull << 20)
#define SITE_PAGE_TRIES 64

struct rec_site_page {
	uint64_t addr;
	size_t used;
};

struct rec_site_proc {
	struct process *proc;
	uint64_t tried[SITE_MAX_TRIED];
	size_t ntried;
	struct rec_site_page pages[SITE_MAX_PAGES];
	size_t npages;
};


static struct rec_site_proc *site_proc(struct recorder *r, struct process *p)
{
	for (size_t i = 0; i < r->nsite_procs; i++)
		if (r->site_procs[i].proc == p)
			return &r->site_procs[i];
	struct rec_site_proc *n = realloc(r->site_procs, (r->nsite_procs + 1) *
					  sizeof(*n));
	if (!n)
		return NULL;
	r->site_procs = n;
	n = &r->site_procs[r->nsite_procs++];
	memset(n, 0, sizeof(*n));
	n->proc = p;
	return n;
}

void rec_sitepatch_forget(struct recorder *r, struct process *p)
{
	for (size_t i = 0; i < r->nsite_procs; i++)
		if (r->site_procs[i].proc == p) {
			r->site_procs[i] = r->site_procs[--r->nsite_procs];
			return;
		}
}

void rec_sitepatch_free(struct recorder *r)
{
	free(r->site_procs);
	r->site_procs = NULL;
	r->nsite_procs = 0;
}

/* First time at this site? (Remembered either way.) */
static bool first_try(struct rec_site_proc *sp, uint64_t site)
{
	for (size_t i = 0; i < sp->ntried; i++)
		if (sp->tried[i] == site)
			return false;
	if (sp->ntried == SITE_MAX_TRIED)
		return false;
	sp->tried[sp->ntried++] = site;
	return true;
}

/* The code around the site, as much of [site - SCAN, site + SCAN) as is
 * readable: *base and the length, 0 if not even the site is. */
static size_t read_code(struct recorder *r, uint64_t site, uint8_t *code,
			uint64_t *base)
{
	uint64_t lo = site - SITEPATCH_SCAN, hi = site + SITEPATCH_SCAN;

	for (int shrink = 0; shrink < 4; shrink++) {
		if (shrink & 1)
			lo = site & ~(SITE_PAGE - 1);
		if (shrink & 2)
			hi = (site + SITE_PAGE) & ~(SITE_PAGE - 1);
		if (hi < site + 2)
			hi = site + 2;
		if (rec_read_fn(r, lo, code, (size_t)(hi - lo)) == 0) {
			*base = lo;
			return (size_t)(hi - lo);
		}
	}
	return 0;
}

/* Must the patch wait?  When another thread of the process stands
 * inside the bytes the jump replaces (it would resume in the middle of
 * it), or is in a call of its own at this very site: replay may run
 * that thread's way to it only after the patch (a thread runs its
 * stretch up to its next syscall whenever it gets there), and would
 * then take the trampoline where the recording took the syscall. */
static bool must_wait(struct recorder *r, struct rthread *t, uint64_t start,
		      uint64_t after_site)
{
	for (size_t i = 0; i < r->nthreads; i++) {
		struct rthread *o = &r->threads[i];
		struct user_regs_struct g;
		struct task *tk;

		if (o == t || o->proc != t->proc || o->state == RT_DEAD)
			continue;
		if ((o->state == RT_SYSCALL || o->exit_pending ||
		     o->state == RT_TRACE_WAITING) &&
		    o->entry_regs.rip == after_site)
			return true;
		if (!(tk = rec_task_of(o)) || !tk->stopped ||
		    task_get_gregs(o->proc, tk, &g) < 0)
			continue;
		if (g.rip > start && g.rip < start + SITEPATCH_JUMP_LEN)
			return true;
	}
	return false;
}

static bool reaches(uint64_t a, uint64_t b)
{
	uint64_t d = a > b ? a - b : b - a;

	return d < (1ull << 31) - 2 * SITE_PAGE;
}

/* A trampoline page with room near `near`, mapping one if needed
 * (*fresh: it was mapped now).  0: none. */
static struct rec_site_page *page_for(struct recorder *r, struct rthread *t,
				      struct rec_site_proc *sp, uint64_t near,
				      size_t need, bool *fresh)
{
	*fresh = false;
	for (size_t i = 0; i < sp->npages; i++)
		if (reaches(sp->pages[i].addr, near) &&
		    sp->pages[i].used + need <= SITE_PAGE)
			return &sp->pages[i];
	struct task *tk = rec_task_of(t);
	if (sp->npages == SITE_MAX_PAGES || !tk)
		return NULL;
	for (int k = 1; k <= SITE_PAGE_TRIES; k++)
		for (int dir = -1; dir <= 1; dir += 2) {
			uint64_t want = (near & ~(SITE_PAGE - 1)) +
					(uint64_t)((int64_t)dir * k *
						   (int64_t)SITE_PAGE_STEP);
			if (want < 0x10000 || want >= (1ull << 47) - SITE_PAGE ||
			    (want >= XRR_SB_PAGE_ADDR &&
			     want < XRR_SB_PAGE_ADDR + XRR_SB_PAGE_SIZE))
				continue;
			long args[6] = { (long)want, (long)SITE_PAGE,
					 PROT_READ | PROT_EXEC,
					 MAP_PRIVATE | MAP_ANONYMOUS |
					 MAP_FIXED_NOREPLACE, -1, 0 };
			long res;
			if (task_remote_syscall(t->proc, tk, SYS_mmap, args,
						&res) < 0)
				return NULL;
			if (res == (long)want) {
				sp->pages[sp->npages] =
					(struct rec_site_page){ want, 0 };
				*fresh = true;
				return &sp->pages[sp->npages++];
			}
			if (res >= 0 || res < -4095L) {
				long un[6] = { res, (long)SITE_PAGE };
				task_remote_syscall(t->proc, tk, SYS_munmap, un,
						    &res);
			}
		}
	return NULL;
}

/* The library's site hook, from the control page, when it may buffer
 * calls in this process (RECORD, or OFF until a thread registers its
 * buffer: the hook's first call does; not DISABLED by a seccomp filter
 * of the program's); else 0. */
static uint64_t library_hook(struct recorder *r)
{
	struct xrr_sb_control c;

	if (rec_read_fn(r, XRR_SB_CONTROL_ADDR, &c, sizeof(c)) < 0 ||
	    c.magic != XRR_SB_CONTROL_MAGIC || c.version != XRR_SB_VERSION ||
	    (c.mode != XRR_SB_MODE_RECORD && c.mode != XRR_SB_MODE_OFF))
		return 0;
	return c.site_hook;
}

int rec_sitepatch_after_syscall(struct recorder *r, struct rthread *t,
				const struct user_regs_struct *g)
{
	uint8_t code[2 * SITEPATCH_SCAN + 16];
	struct sitepatch sp_plan;
	uint64_t site = g->rip - 2, base;
	char why[256];

	if (!r->syscall_buffer || t->seccomp_mode || t->tracee || t->skipped ||
	    !xrr_sb_site_bufferable(t->nr, t->args[1]) ||
	    (g->rip >= t->sb_code_start && g->rip < t->sb_code_end) ||
	    (g->rip >= XRR_SB_PAGE_ADDR &&
	     g->rip < XRR_SB_PAGE_ADDR + XRR_SB_PAGE_SIZE) ||
	    getenv("XRR_NO_SITE_PATCH"))
		return 0;
	struct rec_site_proc *sp = site_proc(r, t->proc);
	uint64_t hook = library_hook(r);
	if (!sp || !hook || !first_try(sp, site))
		return 0;
	size_t len = read_code(r, site, code, &base);
	if (!len || sitepatch_plan(&sp_plan, code, len, base, site, why,
				   sizeof(why)) < 0) {
		if (r->debug && len)
			fprintf(stderr, "xrr: record: no patch at %#llx: %s\n",
				(unsigned long long)site, why);
		return 0;
	}
	if (must_wait(r, t, sp_plan.start, g->rip)) {
		sp->ntried--;           /* try again at its next call */
		return 0;
	}
	/* A trial build for the size, then the real one on its page. */
	if (sitepatch_build(&sp_plan, code, len, base, hook,
			    sp_plan.start, why, sizeof(why)) < 0)
		return 0;
	bool fresh;
	struct rec_site_page *pg = page_for(r, t, sp, sp_plan.start,
					    sp_plan.tramp_len, &fresh);
	if (!pg)
		return 0;
	uint64_t tramp = pg->addr + pg->used;
	if (sitepatch_build(&sp_plan, code, len, base, hook, tramp, why,
			    sizeof(why)) < 0)
		return 0;
	if (process_write_memory(t->proc, tramp, sp_plan.tramp,
				 sp_plan.tramp_len) != (ssize_t)sp_plan.tramp_len ||
	    process_write_memory(t->proc, sp_plan.start, sp_plan.jump,
				 SITEPATCH_JUMP_LEN) != SITEPATCH_JUMP_LEN)
		return rec_fail(r, "recording stopped: thread %d: patching the "
				"syscall site at %#llx: %s", (int)t->tid,
				(unsigned long long)site, t->proc->err);
	pg->used += sp_plan.tramp_len;
	if (r->debug)
		fprintf(stderr, "xrr: record: patched the syscall at %#llx "
			"(%zu bytes moved, trampoline %#llx)\n",
			(unsigned long long)site, sp_plan.displaced,
			(unsigned long long)tramp);
	struct trace_event ev = { .type = EV_PATCH, .tid = t->tid };
	const struct sc_region regions[2] = {
		{ tramp, sp_plan.tramp_len },
		{ sp_plan.start, SITEPATCH_JUMP_LEN },
	};
	ev.u.patch.site = site;
	ev.u.patch.page = fresh ? pg->addr : 0;
	return rec_emit_writes(r, &ev, &ev.u.patch.writes, &ev.u.patch.nwrites,
			       regions, 2);
}
