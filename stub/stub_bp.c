/* Breakpoints GDB inserted with Z0/Z1, and their target-side conditions
 * (ConditionalBreakpoints+).
 *
 * GDB sends a breakpoint's conditions as agent bytecode after its Z
 * packet: `Z0,addr,kind;X<len>,<hex>X<len>,<hex>...[;cmds:...]`.  While
 * a breakpoint is inserted GDB may send the Z packet again with a new
 * list (the manual: the conditions replace the old ones); the target
 * counts insertions, so such a repeat only replaces the list.  A forward
 * resume that stops at a breakpoint whose conditions are all false goes
 * on without GDB hearing of it (stub.c); the same test is the filter a
 * target uses on the hits it finds by itself (reverse-continue scans). */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/agent_expr.h"
#include "stub/stub_internal.h"

struct stub_cond {
	uint8_t *code;
	size_t len;
};

struct stub_bp {
	enum target_bp_type type;   /* TARGET_BP_SOFTWARE or _HARDWARE */
	uint64_t addr;
	size_t kind;
	struct stub_cond *conds;    /* none: the breakpoint always stops */
	size_t nconds;
};

static void free_conds(struct stub_cond *conds, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(conds[i].code);
	free(conds);
}

static struct stub_bp *find_bp(struct stub *s, enum target_bp_type type,
			       uint64_t addr)
{
	for (size_t i = 0; i < s->nbps; i++)
		if (s->bps[i].type == type && s->bps[i].addr == addr)
			return &s->bps[i];
	return NULL;
}

static int add_bp(struct stub *s, const struct stub_bp *bp)
{
	if (s->nbps == s->bps_cap) {
		size_t cap = s->bps_cap ? 2 * s->bps_cap : 16;
		struct stub_bp *n = realloc(s->bps, cap * sizeof(*n));
		if (!n)
			return -ENOMEM;
		s->bps = n;
		s->bps_cap = cap;
	}
	s->bps[s->nbps++] = *bp;
	return 0;
}

static void drop_bp(struct stub *s, struct stub_bp *bp)
{
	free_conds(bp->conds, bp->nconds);
	*bp = s->bps[--s->nbps];
}

/* After a restart or exit nothing is inserted any more, as GDB sees it. */
void stub_forget_breakpoints(struct stub *s)
{
	for (size_t i = 0; i < s->nbps; i++)
		free_conds(s->bps[i].conds, s->bps[i].nconds);
	free(s->bps);
	s->bps = NULL;
	s->nbps = s->bps_cap = 0;
}

/* ---- Z packet options --------------------------------------------------- */

static int append_cond(struct stub_cond **conds, size_t *n, const char *hex,
		       uint64_t len)
{
	struct stub_cond *grown = realloc(*conds, (*n + 1) * sizeof(**conds));
	if (!grown)
		return -ENOMEM;
	*conds = grown;
	uint8_t *code = malloc(len);
	if (!code)
		return -ENOMEM;
	if (rsp_hex_decode(hex, 2 * len, code, len) != (long)len) {
		free(code);
		return -EINVAL;
	}
	grown[(*n)++] = (struct stub_cond){ code, len };
	return 0;
}

/* One `X<len>,<hex>` with the cursor just past the X. */
static int parse_one_cond(const char **p, const char *end,
			  struct stub_cond **conds, size_t *n)
{
	uint64_t len;
	if (!rsp_parse_hex_u64(p, end, &len) || !rsp_expect_char(p, end, ',') ||
	    len == 0 || len > (uint64_t)(end - *p) / 2)
		return -EINVAL;
	int rc = append_cond(conds, n, *p, len);
	*p += 2 * len;
	return rc;
}

/* What follows "type,addr,kind".  Commands (`cmds:`, which we do not
 * advertise) end the list; an unknown token is skipped up to the next
 * ';', as gdbserver does, so a newer GDB's additions do no harm. */
static int parse_conditions(const char *p, const char *end,
			    struct stub_cond **conds, size_t *n)
{
	*conds = NULL;
	*n = 0;
	while (p < end) {
		int rc = 0;
		if (*p == ';') {
			p++;
		} else if (*p == 'X') {
			p++;
			rc = parse_one_cond(&p, end, conds, n);
		} else if ((size_t)(end - p) >= 5 && memcmp(p, "cmds:", 5) == 0) {
			break;
		} else {
			const char *semi = memchr(p, ';', (size_t)(end - p));
			p = semi ? semi : end;
		}
		if (rc < 0) {
			free_conds(*conds, *n);
			*conds = NULL;
			*n = 0;
			return rc;
		}
	}
	return 0;
}

/* ---- Z and z ---------------------------------------------------------------- */

static void op_reply(int rc, struct rsp_buf *reply)
{
	if (rc == -ENOSYS || rc == -EOPNOTSUPP)
		return;   /* empty reply: this kind is not supported */
	if (rc < 0)
		stub_error_reply(reply, rc);
	else
		rsp_buf_append_str(reply, "OK");
}

static int insert_bp(struct stub *s, struct stub_bp *want, const char *opts,
		     const char *end, struct rsp_buf *reply)
{
	int rc = parse_conditions(opts, end, &want->conds, &want->nconds);
	if (rc < 0) {
		stub_error_reply(reply, rc);
		return 0;
	}
	struct stub_bp *have = find_bp(s, want->type, want->addr);
	if (have) {
		/* Already inserted: GDB is replacing the conditions. */
		free_conds(have->conds, have->nconds);
		have->conds = want->conds;
		have->nconds = want->nconds;
		rsp_buf_append_str(reply, "OK");
		return 0;
	}
	rc = s->target->ops->insert_breakpoint(s->target, want->type,
					       want->addr, want->kind);
	if (rc >= 0 && (rc = add_bp(s, want)) < 0)
		s->target->ops->remove_breakpoint(s->target, want->type,
						  want->addr, want->kind);
	if (rc < 0)
		free_conds(want->conds, want->nconds);
	op_reply(rc, reply);
	return 0;
}

static int remove_bp(struct stub *s, const struct stub_bp *want,
		     struct rsp_buf *reply)
{
	int rc = s->target->ops->remove_breakpoint(s->target, want->type,
						   want->addr, want->kind);
	/* Whatever the target says, GDB now takes it as removed; an entry
	 * kept here would stop its next Z0 from reaching the target. */
	struct stub_bp *have = find_bp(s, want->type, want->addr);
	if (have)
		drop_bp(s, have);
	op_reply(rc, reply);
	return 0;
}

int stub_handle_breakpoint(struct stub *s, const char *a, size_t n,
			   bool insert, struct rsp_buf *reply)
{
	const char *p = a, *end = a + n;
	uint64_t type, addr, kind;
	if (!rsp_parse_hex_u64(&p, end, &type) || !rsp_expect_char(&p, end, ',') ||
	    !rsp_parse_addr_len(&p, end, &addr, &kind) || type > 4) {
		stub_error_reply(reply, EINVAL);
		return 0;
	}
	struct stub_bp bp = { (enum target_bp_type)type, addr, (size_t)kind,
			      NULL, 0 };
	if (type <= TARGET_BP_HARDWARE)
		return insert ? insert_bp(s, &bp, p, end, reply)
			      : remove_bp(s, &bp, reply);
	/* Watchpoints: no conditions, nothing to remember. */
	int rc = insert ? s->target->ops->insert_breakpoint(s->target, bp.type,
							    addr, bp.kind)
			: s->target->ops->remove_breakpoint(s->target, bp.type,
							    addr, bp.kind);
	op_reply(rc, reply);
	return 0;
}

/* ---- evaluating conditions ------------------------------------------------------ */

struct cond_ctx {
	struct stub *s;
	int64_t tid;
	struct x86_regfile rf;
	bool have_regs;
};

/* A register by GDB's number (the target description's), zero-extended;
 * one outside the thread's XCR0 or wider than 64 bits cannot be used. */
static int cond_read_reg(void *ctx, unsigned regnum, uint64_t *value)
{
	struct cond_ctx *c = ctx;
	const struct tdesc *td = &c->s->tdesc;
	if (!c->have_regs) {
		if (c->s->target->ops->get_regs(c->s->target, c->tid, &c->rf) < 0)
			return -EIO;
		c->have_regs = true;
	}
	if (regnum >= td->nregs)
		return -EINVAL;
	const struct tdesc_reg *r = &td->regs[regnum];
	if (r->bitsize > 64 || !tdesc_reg_available(r, c->rf.xcr0))
		return -EINVAL;
	const uint8_t *bytes = (const uint8_t *)&c->rf + r->file_offset;
	uint64_t v = 0;
	for (size_t i = r->bitsize / 8; i-- > 0;)
		v = v << 8 | bytes[i];
	*value = v;
	return 0;
}

static int cond_read_mem(void *ctx, uint64_t addr, void *buf, size_t len)
{
	struct cond_ctx *c = ctx;
	ssize_t got = c->s->target->ops->read_memory(c->s->target, addr, buf, len);
	return got == (ssize_t)len ? 0 : -EFAULT;
}

static bool cond_true(struct cond_ctx *c, uint64_t pc,
		      const struct stub_cond *cond)
{
	const struct ax_access acc = { cond_read_reg, cond_read_mem, c };
	uint64_t v = 0;
	enum ax_status st = ax_eval(cond->code, cond->len, &acc, &v);
	if (st != AX_OK) {
		/* Stop, so that the user sees the breakpoint and can fix it. */
		stub_log(c->s, "breakpoint condition at %#" PRIx64 " (thread %"
			 PRId64 "): %s; stopping", pc, c->tid,
			 ax_status_text(st));
		return true;
	}
	return v != 0;
}

/* GDB merges the breakpoints at one address into one Z packet, without
 * conditions when any of them has none; a Z0 and a Z1 may share it. */
static bool conditions_hold(struct cond_ctx *c, uint64_t pc)
{
	bool found = false;
	for (size_t i = 0; i < c->s->nbps; i++) {
		const struct stub_bp *bp = &c->s->bps[i];
		if (bp->addr != pc)
			continue;
		if (bp->nconds == 0)
			return true;
		found = true;
		for (size_t k = 0; k < bp->nconds; k++)
			if (cond_true(c, pc, &bp->conds[k]))
				return true;
	}
	return !found;
}

bool stub_conditions_hold(struct stub *s, int64_t tid, uint64_t pc)
{
	struct cond_ctx c = { .s = s, .tid = tid };
	return conditions_hold(&c, pc);
}

/* ---- hiding hits whose conditions are false ------------------------------------------- */

static const struct target_resume *action_for(const struct target_resume *a,
					      size_t n, int64_t tid)
{
	for (size_t i = 0; i < n; i++)
		if (a[i].tid == tid || a[i].tid == RSP_ID_ALL)
			return &a[i];
	return NULL;
}

/* A breakpoint stop of a thread that was continuing forward, at an
 * address whose conditions are all false.  A stepping thread's stop is
 * always GDB's: resuming it again would step twice. */
bool stub_hit_is_hidden(struct stub *s, const struct target_stop *stop,
			const struct target_resume *actions, size_t n,
			uint64_t *pc)
{
	if (stop->kind != TARGET_STOP_SIGNAL ||
	    (stop->reason != TARGET_REASON_SWBREAK &&
	     stop->reason != TARGET_REASON_HWBREAK) || s->nbps == 0)
		return false;
	const struct target_resume *act = action_for(actions, n, stop->tid);
	if (!act || act->step || act->reverse)
		return false;
	/* The registers read for the pc serve the conditions too. */
	struct cond_ctx c = { .s = s, .tid = stop->tid, .have_regs = true };
	if (s->target->ops->get_regs(s->target, stop->tid, &c.rf) < 0)
		return false;
	*pc = c.rf.gpr[X86_RIP];
	return !conditions_hold(&c, *pc);
}

static void lift_or_put_back(struct stub *s, uint64_t pc, bool lift)
{
	for (size_t i = 0; i < s->nbps; i++) {
		const struct stub_bp *bp = &s->bps[i];
		if (bp->addr != pc)
			continue;
		if (lift)
			s->target->ops->remove_breakpoint(s->target, bp->type,
							  bp->addr, bp->kind);
		else
			s->target->ops->insert_breakpoint(s->target, bp->type,
							  bp->addr, bp->kind);
	}
}

/* Move thread tid off the breakpoints at pc the way GDB would: lift
 * them, step that thread alone, put them back.  Returns 0 when the
 * thread simply stepped, 1 when *stop is something GDB must see (a
 * signal, a watchpoint, an exit, the end of the replay), and
 * stub_wait_for_stop's negative codes. */
int stub_step_over(struct stub *s, int64_t tid, uint64_t pc,
		   struct target_stop *stop)
{
	const struct target_resume step = { .tid = tid, .step = true };
	lift_or_put_back(s, pc, true);
	int rc = s->target->ops->resume(s->target, &step, 1);
	if (rc == 0)
		rc = stub_wait_for_stop(s, stop);
	else
		rc = -2;
	lift_or_put_back(s, pc, false);
	if (rc < 0)
		return rc;
	bool plain = stop->kind == TARGET_STOP_SIGNAL && stop->tid == tid &&
		     stop->signo == SIGTRAP && stop->reason == TARGET_REASON_NONE;
	return plain ? 0 : 1;
}
