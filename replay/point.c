/* Points named by state: shared by the recorder and the replayer. */
#include "replay/point.h"

#include <string.h>

static uint64_t fnv1a(uint64_t h, const void *data, size_t len)
{
	const uint8_t *p = data;

	for (size_t i = 0; i < len; i++) {
		h ^= p[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

uint64_t point_fp_hash(const struct user_fpregs_struct *fp)
{
	uint64_t h = 0xcbf29ce484222325ull;

	h = fnv1a(h, &fp->mxcsr, sizeof(fp->mxcsr));
	h = fnv1a(h, fp->st_space, sizeof(fp->st_space));
	return fnv1a(h, fp->xmm_space, sizeof(fp->xmm_space));
}


void point_gprs(const struct user_regs_struct *g, uint64_t out[16])
{
	const uint64_t v[16] = {
		g->rax, g->rbx, g->rcx, g->rdx, g->rsi, g->rdi, g->rbp, g->rsp,
		g->r8, g->r9, g->r10, g->r11, g->r12, g->r13, g->r14, g->r15,
	};

	memcpy(out, v, sizeof(v));
}

bool point_regs_match_except(const struct user_regs_struct *w,
			     const struct user_regs_struct *h, uint16_t skip)
{
	uint64_t a[16], b[16];

	if (w->rip != h->rip || w->fs_base != h->fs_base ||
	    w->gs_base != h->gs_base)
		return false;
	point_gprs(w, a);
	point_gprs(h, b);
	for (int i = 0; i < 16; i++)
		if (!(skip & (1u << i)) && a[i] != b[i])
			return false;
	return true;
}

/* About 2^37 cycles: a minute at 2 GHz.  Pointers (0x7fff...) and small
 * numbers are far from the counter of a machine that has been up for
 * more than that; rsp never counts. */
#define TSC_RECENT (1ull << 37)

uint16_t point_tsc_regs(const struct user_regs_struct *g, uint64_t tsc_now)
{
	uint64_t v[16];
	uint16_t mask = 0;

	if (tsc_now < 2 * TSC_RECENT)
		return 0;
	point_gprs(g, v);
	for (int i = 0; i < 16; i++)
		if (i != 7 && v[i] <= tsc_now && tsc_now - v[i] < TSC_RECENT)
			mask |= (uint16_t)(1u << i);
	return mask;
}

bool point_regs_match(const struct user_regs_struct *w,
		      const struct user_regs_struct *h)
{
	return point_regs_match_except(w, h, 0);
}

/* Merge with any range it overlaps or touches; then the set stays
 * disjoint and sorted enough for a handful of ranges per loop. */
static bool merge_into(struct point_range_set *s, uint64_t *addr,
		       uint64_t *end)
{
	for (size_t i = 0; i < s->n; i++) {
		uint64_t a = s->r[i].addr, e = a + s->r[i].len;
		if (*addr > e || *end < a)
			continue;
		*addr = *addr < a ? *addr : a;
		*end = *end > e ? *end : e;
		s->bytes -= s->r[i].len;
		s->r[i] = s->r[--s->n];
		return true;
	}
	return false;
}

void point_ranges_add(struct point_range_set *s, uint64_t addr, uint64_t len)
{
	uint64_t end = addr + len;

	if (!len || end < addr)
		return;
	while (merge_into(s, &addr, &end))
		;
	if (s->n == POINT_MAX_RANGES || end - addr > POINT_MAX_BYTES ||
	    s->bytes + (end - addr) > POINT_MAX_BYTES) {
		s->dropped++;
		return;
	}
	s->r[s->n].addr = addr;
	s->r[s->n].len = (uint32_t)(end - addr);
	s->bytes += end - addr;
	s->n++;
}
