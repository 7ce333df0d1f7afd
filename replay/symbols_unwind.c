/* Call stacks (replay/symbols.h): a thread's caller frames from the CFI
 * of the file its pc is in, through libdwarf's frame API: .eh_frame
 * (every x86-64 object has it, stripped or not), else .debug_frame of
 * the file or its separate debug file.
 *
 * Where no CFI covers a pc (hand-written code without directives, JIT
 * code), and only there, a guess is made instead: for the innermost
 * frame a return address on top of the stack when it points into a
 * mapped file, else the frame-pointer chain (rbp -> saved rbp, return
 * address above it); such frames are marked SYM_FRAME_FP so a reader
 * knows they are a guess.  CFI rules that need
 * a DWARF expression (the PLT, signal trampolines) end the stack. */
#include "config.h"

#include <string.h>

#include "replay/symbols_internal.h"

/* x86-64 DWARF register numbers (System V psABI, figure 3.36). */
enum { DW_RAX, DW_RDX, DW_RCX, DW_RBX, DW_RSI, DW_RDI, DW_RBP, DW_RSP,
       DW_R8, DW_R9, DW_R10, DW_R11, DW_R12, DW_R13, DW_R14, DW_R15,
       DW_RA, DW_NREGS };

#define MAX_FRAMES_GUARD 256

struct unwind_regs {
	uint64_t v[DW_NREGS];
	bool known[DW_NREGS];
};

static void from_user_regs(struct unwind_regs *u,
			   const struct user_regs_struct *r)
{
	const uint64_t v[DW_NREGS] = {
		r->rax, r->rdx, r->rcx, r->rbx, r->rsi, r->rdi, r->rbp, r->rsp,
		r->r8, r->r9, r->r10, r->r11, r->r12, r->r13, r->r14, r->r15,
		r->rip,
	};
	memcpy(u->v, v, sizeof(v));
	for (int i = 0; i < DW_NREGS; i++)
		u->known[i] = true;
}

static void load_fdes(struct sym_dwarf *d, bool eh)
{
	Dwarf_Error e = NULL;
	int rc;

	if (eh) {
		d->eh_loaded = true;
		rc = dwarf_get_fde_list_eh(d->dbg, &d->eh_cies, &d->eh_ncies,
					   &d->eh_fdes, &d->eh_nfdes, &e);
		if (rc != DW_DLV_OK)
			d->eh_fdes = NULL;
	} else {
		d->frame_loaded = true;
		rc = dwarf_get_fde_list(d->dbg, &d->frame_cies, &d->frame_ncies,
					&d->frame_fdes, &d->frame_nfdes, &e);
		if (rc != DW_DLV_OK)
			d->frame_fdes = NULL;
	}
	if (e)
		dwarf_dealloc(d->dbg, e, DW_DLA_ERROR);
}

static Dwarf_Fde fde_in(struct sym_dwarf *d, bool eh, uint64_t vaddr)
{
	Dwarf_Fde fde = NULL;
	Dwarf_Addr lo, hi;
	Dwarf_Error e = NULL;

	if (!d->dbg)
		return NULL;
	if (eh ? !d->eh_loaded : !d->frame_loaded)
		load_fdes(d, eh);
	Dwarf_Fde *list = eh ? d->eh_fdes : d->frame_fdes;
	if (!list || dwarf_get_fde_at_pc(list, vaddr, &fde, &lo, &hi,
					 &e) != DW_DLV_OK) {
		if (e)
			dwarf_dealloc(d->dbg, e, DW_DLA_ERROR);
		return NULL;
	}
	return fde;
}

Dwarf_Fde sym_unwind_fde(struct sym_object *o, uint64_t vaddr,
			 Dwarf_Debug *dbg)
{
	struct sym_dwarf *order[3][2] = {
		{ &o->main, (void *)1 }, { &o->main, NULL }, { &o->debug, NULL },
	};
	for (int i = 0; i < 3; i++) {
		struct sym_dwarf *d = order[i][0];
		Dwarf_Fde f = fde_in(d, order[i][1] != NULL, vaddr);
		if (f) {
			*dbg = d->dbg;
			return f;
		}
	}
	return NULL;
}

/* The caller's registers by the CFI row for `pc` (vaddr in obj).
 * 0 done, -1 the rules cannot be followed. */
static int unwind_cfi(Dwarf_Debug dbg, Dwarf_Fde fde, uint64_t vaddr,
		      const struct unwind_regs *in, struct unwind_regs *out,
		      sym_read_fn read, void *ctx)
{
	struct symdw_rule r;

	if (symdw_rule(dbg, fde, -1, vaddr, &r) != DW_DLV_OK ||
	    r.value_type != DW_EXPR_OFFSET || r.reg >= DW_NREGS ||
	    !in->known[r.reg])
		return -1;
	uint64_t cfa = in->v[r.reg] + (uint64_t)r.offset;

	memset(out, 0, sizeof(*out));
	out->v[DW_RSP] = cfa;
	out->known[DW_RSP] = true;
	for (int reg = 0; reg < DW_NREGS; reg++) {
		if (reg == DW_RSP)
			continue;
		if (symdw_rule(dbg, fde, reg, vaddr, &r) != DW_DLV_OK)
			return -1;
		uint64_t value = 0;
		bool known = false;
		switch (r.value_type) {
		case DW_EXPR_OFFSET:
			if (r.offset_relevant) {        /* saved at CFA+offset */
				known = read(ctx, cfa + (uint64_t)r.offset,
					     &value, 8) == 0;
			} else if (r.reg == DW_FRAME_SAME_VAL ||
				   (r.reg == DW_FRAME_UNDEFINED_VAL &&
				    reg != DW_RA)) {
				/* Unmentioned callee-saved registers keep
				 * their values (libdwarf's initial rule may
				 * be either). */
				value = in->v[reg];
				known = in->known[reg];
			} else if (r.reg < DW_NREGS) {  /* in another register */
				value = in->v[r.reg];
				known = in->known[r.reg];
			}
			break;
		case DW_EXPR_VAL_OFFSET:
			value = cfa + (uint64_t)r.offset;
			known = true;
			break;
		default:                /* DWARF expressions */
			if (reg == DW_RA)
				return -1;
			break;
		}
		out->v[reg] = value;
		out->known[reg] = known;
	}
	return out->known[DW_RA] ? 0 : -1;
}

/* Fallback where no CFI covers pc: the rbp chain (code built with frame
 * pointers).  -1 when rbp does not look like a frame. */
static int unwind_fp(const struct unwind_regs *in, struct unwind_regs *out,
		     sym_read_fn read, void *ctx)
{
	uint64_t saved[2];      /* caller's rbp, return address */
	uint64_t rbp = in->v[DW_RBP];

	if (!in->known[DW_RBP] || rbp < in->v[DW_RSP] || rbp & 7 ||
	    read(ctx, rbp, saved, sizeof(saved)) < 0)
		return -1;
	memset(out, 0, sizeof(*out));
	out->v[DW_RBP] = saved[0];
	out->v[DW_RA] = saved[1];
	out->v[DW_RSP] = rbp + 16;
	out->known[DW_RBP] = out->known[DW_RA] = out->known[DW_RSP] = true;
	return 0;
}

/* Fallback for the innermost frame: no frame of its own, the return
 * address at rsp (a leaf or assembly).  -1 unless that address is in a
 * stored file's code. */
static int unwind_leaf(struct sym_table *st, const struct sym_space *s,
		       const struct unwind_regs *in, struct unwind_regs *out,
		       sym_read_fn read, void *ctx)
{
	uint64_t ra, vaddr;

	if (read(ctx, in->v[DW_RSP], &ra, 8) < 0 ||
	    !sym_resolve(st, s, ra, &vaddr))
		return -1;
	*out = *in;
	out->v[DW_RA] = ra;
	out->v[DW_RSP] = in->v[DW_RSP] + 8;
	return 0;
}

size_t sym_backtrace(struct sym_table *st, const struct sym_space *s,
		     const struct user_regs_struct *regs, sym_read_fn read,
		     void *ctx, struct sym_frame *out, size_t max)
{
	struct unwind_regs cur, next;
	size_t n = 0;

	from_user_regs(&cur, regs);
	while (n < max && n < MAX_FRAMES_GUARD) {
		struct sym_frame *f = &out[n];
		f->pc = cur.v[DW_RA];
		f->sp = cur.v[DW_RSP];
		if (n == 0)
			f->how = SYM_FRAME_INNERMOST;
		sym_lookup(st, s, f->pc, n > 0, &f->loc);
		n++;
		if (!f->pc)
			break;
		/* The call instruction of a caller frame, not the one after
		 * it (which may belong to the next function). */
		uint64_t vaddr;
		Dwarf_Debug dbg = NULL;
		Dwarf_Fde fde = NULL;
		struct sym_object *obj = sym_resolve(st, s, f->pc, &vaddr);
		uint64_t probe = vaddr - (n > 1 ? 1 : 0);
		if (obj)
			fde = sym_unwind_fde(obj, probe, &dbg);
		int rc;
		enum sym_unwind_how how;
		if (fde) {
			rc = unwind_cfi(dbg, fde, probe, &cur, &next, read, ctx);
			how = SYM_FRAME_CFI;
		} else {
			/* The innermost pc may be in assembly past its CFI
			 * (glibc's clone3 after the syscall): try a return
			 * address at the top of the stack, if it is in code
			 * of a mapped file, before the rbp chain. */
			rc = n == 1 ? unwind_leaf(st, s, &cur, &next, read, ctx)
				    : -1;
			if (rc < 0)
				rc = unwind_fp(&cur, &next, read, ctx);
			how = SYM_FRAME_FP;
		}
		if (rc < 0 || !next.known[DW_RSP] || next.v[DW_RSP] <= cur.v[DW_RSP])
			break;
		if (n < max)
			out[n].how = how;
		cur = next;
	}
	return n;
}
