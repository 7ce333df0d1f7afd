/* Implants: load a freestanding ELF object into a tracee with libelf, and
 * call its functions there.
 *
 * The image is laid out and relocated in a local buffer (the tracee's
 * base address is known first, from a remote mmap), written in one go,
 * then given its segments' protections.  Calls run inside a remote-syscall
 * session, which saves and restores everything the task layer knows about
 * the task; only rip/rsp/arguments/flags/MXCSR change while it runs. */
#include "config.h"

#include "replay/implant.h"
#include "replay/task_int.h"

#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PAGE 4096ull
#define PAGE_UP(x) (((x) + PAGE - 1) & ~(PAGE - 1))
#define SCRATCH_LEN PAGE

static int fail(struct process *p, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Loader messages are complete sentences; no strerror appended. */
static int fail(struct process *p, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(p->err, sizeof(p->err), fmt, ap);
	va_end(ap);
	return -err;
}

static const char *const reloc_names[] = {
	[R_X86_64_NONE] = "R_X86_64_NONE", [R_X86_64_64] = "R_X86_64_64",
	[R_X86_64_PC32] = "R_X86_64_PC32", [R_X86_64_GOT32] = "R_X86_64_GOT32",
	[R_X86_64_PLT32] = "R_X86_64_PLT32", [R_X86_64_COPY] = "R_X86_64_COPY",
	[R_X86_64_GLOB_DAT] = "R_X86_64_GLOB_DAT",
	[R_X86_64_JUMP_SLOT] = "R_X86_64_JUMP_SLOT",
	[R_X86_64_RELATIVE] = "R_X86_64_RELATIVE",
	[R_X86_64_GOTPCREL] = "R_X86_64_GOTPCREL", [R_X86_64_32] = "R_X86_64_32",
	[R_X86_64_32S] = "R_X86_64_32S", [R_X86_64_16] = "R_X86_64_16",
	[R_X86_64_PC16] = "R_X86_64_PC16", [R_X86_64_8] = "R_X86_64_8",
	[R_X86_64_PC8] = "R_X86_64_PC8", [R_X86_64_DTPMOD64] = "R_X86_64_DTPMOD64",
	[R_X86_64_DTPOFF64] = "R_X86_64_DTPOFF64",
	[R_X86_64_TPOFF64] = "R_X86_64_TPOFF64", [R_X86_64_TLSGD] = "R_X86_64_TLSGD",
	[R_X86_64_TLSLD] = "R_X86_64_TLSLD", [R_X86_64_DTPOFF32] = "R_X86_64_DTPOFF32",
	[R_X86_64_GOTTPOFF] = "R_X86_64_GOTTPOFF",
	[R_X86_64_TPOFF32] = "R_X86_64_TPOFF32", [R_X86_64_PC64] = "R_X86_64_PC64",
	[R_X86_64_GOTOFF64] = "R_X86_64_GOTOFF64",
	[R_X86_64_GOTPC32] = "R_X86_64_GOTPC32",
	[R_X86_64_IRELATIVE] = "R_X86_64_IRELATIVE",
	[R_X86_64_GOTPCRELX] = "R_X86_64_GOTPCRELX",
	[R_X86_64_REX_GOTPCRELX] = "R_X86_64_REX_GOTPCRELX",
};

static const char *reloc_name(unsigned type, char *buf, size_t len)
{
	if (type < sizeof(reloc_names) / sizeof(reloc_names[0]) &&
	    reloc_names[type])
		return reloc_names[type];
	snprintf(buf, len, "type %u", type);
	return buf;
}

/* ---- the image being built ------------------------------------------------ */

enum { CLASS_TEXT, CLASS_RO, CLASS_RW, NCLASS };

struct region {                 /* a page range and its final protection */
	uint64_t off, len;
	int prot;
};

struct loader {
	struct process *p;
	const char *path;
	Elf *elf;
	GElf_Ehdr eh;
	uint8_t *img;           /* local copy of the image */
	uint64_t len;           /* page-rounded */
	uint64_t base;          /* in the tracee, once mapped */
	int64_t dyn_bias;       /* ET_DYN: image offset = vaddr - min vaddr */
	uint64_t min_vaddr;
	struct region regions[16];
	size_t nregions;
	uint64_t *sec_off;      /* ET_REL: image offset of each section */
	uint64_t got_off;       /* ET_REL: GOT slots, one per symbol */
	Elf_Scn *symscn;        /* symbol table used for names */
	struct implant_symbol *syms;
	size_t nsyms;
};

static int add_region(struct loader *L, uint64_t off, uint64_t len, int prot)
{
	if (L->nregions == sizeof(L->regions) / sizeof(L->regions[0]))
		return fail(L->p, E2BIG, "implant %s: too many segments",
			    L->path);
	L->regions[L->nregions++] = (struct region){ off, len, prot };
	return 0;
}

static int open_elf(struct loader *L, int fd)
{
	if (elf_version(EV_CURRENT) == EV_NONE)
		return fail(L->p, EINVAL, "libelf: %s", elf_errmsg(-1));
	L->elf = elf_begin(fd, ELF_C_READ, NULL);
	if (!L->elf || elf_kind(L->elf) != ELF_K_ELF)
		return fail(L->p, ENOEXEC, "implant %s: not an ELF file",
			    L->path);
	if (gelf_getclass(L->elf) != ELFCLASS64 || !gelf_getehdr(L->elf, &L->eh))
		return fail(L->p, ENOEXEC, "implant %s: not a 64-bit ELF file",
			    L->path);
	if (L->eh.e_machine != EM_X86_64)
		return fail(L->p, ENOEXEC, "implant %s: wrong machine %u "
			    "(expected x86-64, %u)", L->path,
			    (unsigned)L->eh.e_machine, (unsigned)EM_X86_64);
	if (L->eh.e_type != ET_DYN && L->eh.e_type != ET_REL)
		return fail(L->p, ENOEXEC, "implant %s: ELF type %u is neither "
			    "a shared object nor a relocatable object",
			    L->path, (unsigned)L->eh.e_type);
	return 0;
}

static int pf_prot(uint32_t flags)
{
	return ((flags & PF_R) ? PROT_READ : 0) |
	       ((flags & PF_W) ? PROT_WRITE : 0) |
	       ((flags & PF_X) ? PROT_EXEC : 0);
}

/* ET_DYN: the PT_LOAD segments keep their relative placement. */
static int layout_dyn(struct loader *L)
{
	size_t n;
	uint64_t lo = UINT64_MAX, hi = 0;

	if (elf_getphdrnum(L->elf, &n) < 0)
		return fail(L->p, ENOEXEC, "implant %s: %s", L->path,
			    elf_errmsg(-1));
	for (size_t i = 0; i < n; i++) {
		GElf_Phdr ph;
		if (!gelf_getphdr(L->elf, (int)i, &ph))
			continue;
		if (ph.p_type == PT_TLS)
			return fail(L->p, ENOTSUP, "implant %s: thread-local "
				    "storage is not supported", L->path);
		if (ph.p_type != PT_LOAD || !ph.p_memsz)
			continue;
		if (ph.p_vaddr < lo)
			lo = ph.p_vaddr & ~(PAGE - 1);
		if (ph.p_vaddr + ph.p_memsz > hi)
			hi = ph.p_vaddr + ph.p_memsz;
	}
	if (hi <= lo)
		return fail(L->p, ENOEXEC, "implant %s: no loadable segment",
			    L->path);
	L->min_vaddr = lo;
	L->len = PAGE_UP(hi - lo);
	return 0;
}

static int fill_dyn(struct loader *L)
{
	size_t n, fsize;
	const char *raw = elf_rawfile(L->elf, &fsize);

	elf_getphdrnum(L->elf, &n);
	for (size_t i = 0; i < n; i++) {
		GElf_Phdr ph;
		if (!gelf_getphdr(L->elf, (int)i, &ph) || ph.p_type != PT_LOAD ||
		    !ph.p_memsz)
			continue;
		if (ph.p_offset + ph.p_filesz > fsize || ph.p_filesz > ph.p_memsz)
			return fail(L->p, ENOEXEC, "implant %s: segment %zu "
				    "beyond the file", L->path, i);
		uint64_t off = ph.p_vaddr - L->min_vaddr;
		memcpy(L->img + off, raw + ph.p_offset, ph.p_filesz);
		uint64_t start = off & ~(PAGE - 1);
		int rc = add_region(L, start, PAGE_UP(off + ph.p_memsz) - start,
				    pf_prot(ph.p_flags));
		if (rc < 0)
			return rc;
	}
	return 0;
}

static int sec_class(const GElf_Shdr *sh)
{
	if (sh->sh_flags & SHF_EXECINSTR)
		return CLASS_TEXT;
	return (sh->sh_flags & SHF_WRITE) ? CLASS_RW : CLASS_RO;
}

static size_t count_symbols(Elf_Scn *symscn)
{
	GElf_Shdr sh;

	if (!symscn || !gelf_getshdr(symscn, &sh) || !sh.sh_entsize)
		return 0;
	return sh.sh_size / sh.sh_entsize;
}

/* ET_REL: allocated sections packed by protection class, each class on its
 * own pages; a GOT (one slot per symbol) follows read-only data. */
static int layout_rel(struct loader *L)
{
	size_t nsec;
	static const int prot[NCLASS] = { PROT_READ | PROT_EXEC, PROT_READ,
					   PROT_READ | PROT_WRITE };
	uint64_t off = 0;

	if (elf_getshdrnum(L->elf, &nsec) < 0)
		return fail(L->p, ENOEXEC, "implant %s: %s", L->path,
			    elf_errmsg(-1));
	L->sec_off = calloc(nsec, sizeof(*L->sec_off));
	if (!L->sec_off)
		return fail(L->p, ENOMEM, "implant %s: out of memory", L->path);
	for (int c = 0; c < NCLASS; c++) {
		uint64_t start = off;
		for (Elf_Scn *s = NULL; (s = elf_nextscn(L->elf, s)); ) {
			GElf_Shdr sh;
			if (!gelf_getshdr(s, &sh) || !(sh.sh_flags & SHF_ALLOC) ||
			    sec_class(&sh) != c)
				continue;
			if (sh.sh_flags & SHF_TLS)
				return fail(L->p, ENOTSUP, "implant %s: thread-"
					    "local storage is not supported",
					    L->path);
			uint64_t a = sh.sh_addralign ? sh.sh_addralign : 1;
			off = (off + a - 1) / a * a;
			L->sec_off[elf_ndxscn(s)] = off;
			off += sh.sh_size;
		}
		if (c == CLASS_RO) {
			off = (off + 7) & ~7ull;
			L->got_off = off;
			off += 8 * count_symbols(L->symscn);
		}
		off = PAGE_UP(off);
		if (off > start) {
			int rc = add_region(L, start, off - start, prot[c]);
			if (rc < 0)
				return rc;
		}
	}
	L->len = off ? off : PAGE;
	return 0;
}

static int fill_rel(struct loader *L)
{
	for (Elf_Scn *s = NULL; (s = elf_nextscn(L->elf, s)); ) {
		GElf_Shdr sh;
		if (!gelf_getshdr(s, &sh) || !(sh.sh_flags & SHF_ALLOC) ||
		    sh.sh_type == SHT_NOBITS || !sh.sh_size)
			continue;
		Elf_Data *d = elf_getdata(s, NULL);
		if (!d || d->d_size > sh.sh_size)
			return fail(L->p, ENOEXEC, "implant %s: section %zu "
				    "unreadable", L->path, elf_ndxscn(s));
		memcpy(L->img + L->sec_off[elf_ndxscn(s)], d->d_buf, d->d_size);
	}
	return 0;
}

/* .symtab has every function (for crash reports); .dynsym when stripped. */
static Elf_Scn *find_symtab(Elf *elf)
{
	Elf_Scn *dyn = NULL;

	for (Elf_Scn *s = NULL; (s = elf_nextscn(elf, s)); ) {
		GElf_Shdr sh;
		if (!gelf_getshdr(s, &sh))
			continue;
		if (sh.sh_type == SHT_SYMTAB)
			return s;
		if (sh.sh_type == SHT_DYNSYM)
			dyn = s;
	}
	return dyn;
}

/* Image offset of a defined symbol's value. */
static bool sym_offset(struct loader *L, const GElf_Sym *sym, uint64_t *off)
{
	if (sym->st_shndx == SHN_UNDEF || sym->st_shndx == SHN_COMMON ||
	    sym->st_shndx >= SHN_LORESERVE)
		return false;
	if (L->eh.e_type == ET_DYN)
		*off = sym->st_value - L->min_vaddr;
	else
		*off = L->sec_off[sym->st_shndx] + sym->st_value;
	return true;
}

static int cmp_sym(const void *a, const void *b)
{
	const struct implant_symbol *x = a, *y = b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

/* The table of name -> tracee address. */
static int collect_symbols(struct loader *L)
{
	GElf_Shdr sh;
	Elf_Data *d;
	size_t n = count_symbols(L->symscn);

	if (!n)
		return 0;
	gelf_getshdr(L->symscn, &sh);
	d = elf_getdata(L->symscn, NULL);
	L->syms = calloc(n, sizeof(*L->syms));
	if (!L->syms || !d)
		return fail(L->p, ENOMEM, "implant %s: symbols", L->path);
	for (size_t i = 1; i < n; i++) {
		GElf_Sym sym;
		uint64_t off;
		if (!gelf_getsym(d, (int)i, &sym))
			continue;
		int type = GELF_ST_TYPE(sym.st_info);
		const char *name = elf_strptr(L->elf, sh.sh_link, sym.st_name);
		if ((type != STT_FUNC && type != STT_OBJECT &&
		     type != STT_NOTYPE) || !name || !*name ||
		    !sym_offset(L, &sym, &off))
			continue;
		struct implant_symbol *is = &L->syms[L->nsyms++];
		is->name = strdup(name);
		is->addr = L->base + off;
		is->size = sym.st_size;
		if (!is->name)
			return fail(L->p, ENOMEM, "implant %s: symbols", L->path);
	}
	qsort(L->syms, L->nsyms, sizeof(*L->syms), cmp_sym);
	return 0;
}

static const struct implant_symbol *lookup(const struct implant_symbol *syms,
					   size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(syms[i].name, name) == 0)
			return &syms[i];
	return NULL;
}

/* ---- relocation ---------------------------------------------------------- */

struct reloc_ctx {
	Elf_Data *symdata;
	size_t strndx;
	Elf_Scn *symscn;
	uint64_t target_off;    /* image offset of the relocated section */
};

/* S: the tracee address a relocation's symbol stands for. */
static int reloc_symbol(struct loader *L, struct reloc_ctx *c, size_t idx,
			uint64_t *S)
{
	GElf_Sym sym;
	uint64_t off;

	*S = 0;
	if (idx == 0)
		return 0;
	if (!gelf_getsym(c->symdata, (int)idx, &sym))
		return fail(L->p, ENOEXEC, "implant %s: bad symbol index %zu",
			    L->path, idx);
	const char *name = elf_strptr(L->elf, c->strndx, sym.st_name);
	if (sym.st_shndx == SHN_ABS) {
		*S = sym.st_value;
		return 0;
	}
	if (sym.st_shndx == SHN_COMMON)
		return fail(L->p, ENOTSUP, "implant %s: common symbol %s "
			    "(build with -fno-common)", L->path, name ? name : "?");
	if (GELF_ST_TYPE(sym.st_info) == STT_SECTION ||
	    sym.st_shndx != SHN_UNDEF) {
		if (!sym_offset(L, &sym, &off))
			return fail(L->p, ENOEXEC, "implant %s: symbol %zu in "
				    "section %u", L->path, idx, sym.st_shndx);
		*S = L->base + off;
		return 0;
	}
	const struct implant_symbol *own =
		name ? lookup(L->syms, L->nsyms, name) : NULL;
	if (own) {
		*S = own->addr;
		return 0;
	}
	if (GELF_ST_BIND(sym.st_info) == STB_WEAK)
		return 0;
	return fail(L->p, ENOENT, "implant %s: unresolved external symbol %s",
		    L->path, name ? name : "?");
}

static bool supported(unsigned type, bool rel)
{
	switch (type) {
	case R_X86_64_NONE:
	case R_X86_64_64:
		return true;
	case R_X86_64_RELATIVE:
	case R_X86_64_GLOB_DAT:
	case R_X86_64_JUMP_SLOT:
		return !rel;
	case R_X86_64_PC32:
	case R_X86_64_PLT32:
	case R_X86_64_PC64:
	case R_X86_64_GOTPCREL:
	case R_X86_64_GOTPCRELX:
	case R_X86_64_REX_GOTPCRELX:
		return rel;
	default:
		return false;
	}
}

static uint64_t reloc_width(unsigned type)
{
	switch (type) {
	case R_X86_64_PC32:
	case R_X86_64_PLT32:
	case R_X86_64_GOTPCREL:
	case R_X86_64_GOTPCRELX:
	case R_X86_64_REX_GOTPCRELX:
		return 4;
	default:
		return 8;
	}
}

static int put32_pcrel(struct loader *L, uint64_t off, int64_t v,
		       unsigned type)
{
	char nb[32];

	if (v < INT32_MIN || v > INT32_MAX)
		return fail(L->p, ERANGE, "implant %s: %s at offset 0x%llx out "
			    "of range", L->path, reloc_name(type, nb, sizeof(nb)),
			    (unsigned long long)off);
	int32_t v32 = (int32_t)v;
	memcpy(L->img + off, &v32, 4);
	return 0;
}

static int apply_one(struct loader *L, struct reloc_ctx *c, const GElf_Rela *r)
{
	unsigned type = (unsigned)GELF_R_TYPE(r->r_info);
	size_t idx = GELF_R_SYM(r->r_info);
	bool rel = L->eh.e_type == ET_REL;
	uint64_t off = rel ? c->target_off + r->r_offset
			   : r->r_offset - L->min_vaddr;
	uint64_t S, P = L->base + off, v;
	char nb[32];
	int rc;

	if (!supported(type, rel))
		return fail(L->p, ENOTSUP, "implant %s: unsupported relocation "
			    "type %s", L->path, reloc_name(type, nb, sizeof(nb)));
	if (type == R_X86_64_NONE)
		return 0;
	if (off + reloc_width(type) > L->len)
		return fail(L->p, ENOEXEC, "implant %s: relocation at 0x%llx "
			    "outside the image", L->path,
			    (unsigned long long)r->r_offset);
	if ((rc = reloc_symbol(L, c, idx, &S)) < 0)
		return rc;
	switch (type) {
	case R_X86_64_RELATIVE:
		v = L->base - L->min_vaddr + (uint64_t)r->r_addend;
		break;
	case R_X86_64_GLOB_DAT:
	case R_X86_64_JUMP_SLOT:
		v = S;
		break;
	case R_X86_64_PC32:
	case R_X86_64_PLT32:
		return put32_pcrel(L, off, (int64_t)(S + r->r_addend - P), type);
	case R_X86_64_PC64:
		v = S + r->r_addend - P;
		break;
	case R_X86_64_GOTPCREL:
	case R_X86_64_GOTPCRELX:
	case R_X86_64_REX_GOTPCRELX: {
		uint64_t slot = L->got_off + 8 * idx;
		memcpy(L->img + slot, &S, 8);
		return put32_pcrel(L, off, (int64_t)(L->base + slot +
						     r->r_addend - P), type);
	}
	default:        /* R_X86_64_64 */
		v = S + r->r_addend;
		break;
	}
	memcpy(L->img + off, &v, 8);
	return 0;
}

static int relocate_section(struct loader *L, Elf_Scn *s, const GElf_Shdr *sh)
{
	struct reloc_ctx c = { 0 };
	GElf_Shdr symsh;

	c.symscn = elf_getscn(L->elf, sh->sh_link);
	if (!c.symscn || !gelf_getshdr(c.symscn, &symsh))
		return fail(L->p, ENOEXEC, "implant %s: relocations without "
			    "symbols", L->path);
	c.symdata = elf_getdata(c.symscn, NULL);
	c.strndx = symsh.sh_link;
	if (L->eh.e_type == ET_REL) {
		GElf_Shdr tsh;
		Elf_Scn *target = elf_getscn(L->elf, sh->sh_info);
		/* Relocations of debug sections do not matter here. */
		if (!target || !gelf_getshdr(target, &tsh) ||
		    !(tsh.sh_flags & SHF_ALLOC))
			return 0;
		c.target_off = L->sec_off[sh->sh_info];
	}
	Elf_Data *d = elf_getdata(s, NULL);
	size_t n = sh->sh_entsize ? sh->sh_size / sh->sh_entsize : 0;
	for (size_t i = 0; d && i < n; i++) {
		GElf_Rela r;
		if (!gelf_getrela(d, (int)i, &r))
			return fail(L->p, ENOEXEC, "implant %s: bad relocation",
				    L->path);
		int rc = apply_one(L, &c, &r);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static int relocate(struct loader *L)
{
	for (Elf_Scn *s = NULL; (s = elf_nextscn(L->elf, s)); ) {
		GElf_Shdr sh;
		if (!gelf_getshdr(s, &sh))
			continue;
		if (sh.sh_type == SHT_REL)
			return fail(L->p, ENOTSUP, "implant %s: SHT_REL "
				    "relocations are not supported (x86-64 uses "
				    "RELA)", L->path);
		if (sh.sh_type == SHT_RELA) {
			int rc = relocate_section(L, s, &sh);
			if (rc < 0)
				return rc;
		}
	}
	return 0;
}

/* ---- placing it in the tracee ---------------------------------------------- */

static int rmmap(struct remote_session *s, uint64_t len, int prot,
		 uint64_t *addr)
{
	const long args[6] = { 0, (long)len, prot,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0 };
	long r;
	int rc = task_remote_call(s, SYS_mmap, args, &r);

	if (rc < 0)
		return rc;
	if (r < 0 && r > -4096)
		return fail(s->p, (int)-r, "implant: remote mmap of %llu bytes: "
			    "%s", (unsigned long long)len, strerror((int)-r));
	*addr = (uint64_t)r;
	return 0;
}

static int rsys(struct remote_session *s, long nr, long a0, long a1, long a2)
{
	const long args[6] = { a0, a1, a2, 0, 0, 0 };
	long r;
	int rc = task_remote_call(s, nr, args, &r);

	if (rc == 0 && r < 0)
		rc = fail(s->p, (int)-r, "implant: remote syscall %ld: %s", nr,
			  strerror((int)-r));
	return rc;
}

static int write_all(struct process *p, uint64_t addr, const void *buf,
		     size_t len)
{
	ssize_t n = process_write_memory(p, addr, buf, len);

	if (n != (ssize_t)len)
		return fail(p, EIO, "implant: writing %zu bytes at 0x%llx: %s",
			    len, (unsigned long long)addr,
			    n < 0 ? strerror((int)-n) : "short write");
	return 0;
}

/* Layout of the main mapping: image | scratch page | argument area. */
static int place(struct loader *L, struct remote_session *s,
		 struct implant *im)
{
	uint64_t total = L->len + SCRATCH_LEN + IMPLANT_ARG_AREA_SIZE;
	int rc;

	if ((rc = rmmap(s, total, PROT_READ | PROT_WRITE, &L->base)) < 0)
		return rc;
	im->base = L->base;
	im->image_len = L->len;
	im->scratch = L->base + L->len;
	im->arg_area = im->scratch + SCRATCH_LEN;
	im->arg_area_len = IMPLANT_ARG_AREA_SIZE;
	im->stack_len = IMPLANT_STACK_SIZE;
	return rmmap(s, im->stack_len, PROT_READ | PROT_WRITE, &im->stack);
}

static int install(struct loader *L, struct remote_session *s,
		   struct implant *im)
{
	static uint8_t traps[SCRATCH_LEN];
	int rc;

	memset(traps, 0xcc, sizeof(traps));
	if ((rc = write_all(L->p, L->base, L->img, L->len)) < 0 ||
	    (rc = write_all(L->p, im->scratch, traps, sizeof(traps))) < 0)
		return rc;
	for (size_t i = 0; i < L->nregions; i++) {
		const struct region *r = &L->regions[i];
		if ((rc = rsys(s, SYS_mprotect, (long)(L->base + r->off),
			       (long)r->len, r->prot)) < 0)
			return rc;
	}
	return rsys(s, SYS_mprotect, (long)im->scratch, SCRATCH_LEN,
		    PROT_READ | PROT_EXEC);
}

static int build_image(struct loader *L)
{
	int rc = L->eh.e_type == ET_DYN ? layout_dyn(L) : layout_rel(L);

	if (rc < 0)
		return rc;
	L->img = calloc(1, L->len);
	if (!L->img)
		return fail(L->p, ENOMEM, "implant %s: out of memory", L->path);
	return L->eh.e_type == ET_DYN ? fill_dyn(L) : fill_rel(L);
}

static int load_into(struct loader *L, struct task *t, struct implant *im)
{
	struct remote_session s;
	int rc;

	L->symscn = find_symtab(L->elf);
	if ((rc = build_image(L)) < 0)
		return rc;
	if ((rc = task_remote_begin(&s, L->p, t)) < 0)
		return rc;
	rc = place(L, &s, im);
	if (rc == 0)
		rc = collect_symbols(L);
	if (rc == 0)
		rc = relocate(L);
	if (rc == 0)
		rc = install(L, &s, im);
	if (rc < 0 && L->base) {
		char keep[sizeof(L->p->err)];
		memcpy(keep, L->p->err, sizeof(keep));
		rsys(&s, SYS_munmap, (long)L->base,
		     (long)(L->len + SCRATCH_LEN + IMPLANT_ARG_AREA_SIZE), 0);
		if (im->stack)
			rsys(&s, SYS_munmap, (long)im->stack,
			     (long)im->stack_len, 0);
		memcpy(L->p->err, keep, sizeof(keep));
	}
	int end = task_remote_end(&s);
	return rc < 0 ? rc : end;
}

static void free_symbols(struct implant_symbol *syms, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(syms[i].name);
	free(syms);
}

struct implant *implant_load(struct process *p, struct task *t,
			     const char *path)
{
	struct loader L = { .p = p, .path = path };
	struct implant *im = calloc(1, sizeof(*im));
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	int rc;

	if (!im) {
		fail(p, ENOMEM, "implant %s: out of memory", path);
		return NULL;
	}
	if (fd < 0)
		rc = fail(p, errno, "implant %s: %s", path, strerror(errno));
	else
		rc = open_elf(&L, fd);
	if (rc == 0)
		rc = load_into(&L, t, im);
	if (L.elf)
		elf_end(L.elf);
	if (fd >= 0)
		close(fd);
	free(L.img);
	free(L.sec_off);
	if (rc < 0) {
		free_symbols(L.syms, L.nsyms);
		free(im);
		return NULL;
	}
	snprintf(im->path, sizeof(im->path), "%s", path);
	im->syms = L.syms;
	im->nsyms = L.nsyms;
	return im;
}

uint64_t implant_symbol(const struct implant *im, const char *name)
{
	const struct implant_symbol *s = lookup(im->syms, im->nsyms, name);

	return s ? s->addr : 0;
}

const char *implant_describe(const struct implant *im, uint64_t addr,
			     char *buf, size_t len)
{
	const struct implant_symbol *best = NULL;

	if (addr >= im->base && addr < im->base + im->image_len)
		for (size_t i = 0; i < im->nsyms && im->syms[i].addr <= addr;
		     i++)
			best = &im->syms[i];
	if (best)
		snprintf(buf, len, "%s+0x%llx", best->name,
			 (unsigned long long)(addr - best->addr));
	else
		snprintf(buf, len, "?");
	return buf;
}

struct implant *implant_dup(const struct implant *im)
{
	struct implant *c = malloc(sizeof(*c));

	if (!c)
		return NULL;
	*c = *im;
	c->syms = calloc(im->nsyms ? im->nsyms : 1, sizeof(*c->syms));
	if (!c->syms) {
		free(c);
		return NULL;
	}
	for (size_t i = 0; i < im->nsyms; i++) {
		c->syms[i] = im->syms[i];
		c->syms[i].name = strdup(im->syms[i].name);
	}
	return c;
}

void implant_unload(struct process *p, struct task *t, struct implant *im)
{
	if (!im)
		return;
	if (p && t && !p->exited && !t->exited) {
		struct remote_session s;
		if (task_remote_begin(&s, p, t) == 0) {
			rsys(&s, SYS_munmap, (long)im->base,
			     (long)(im->image_len + SCRATCH_LEN +
				    im->arg_area_len), 0);
			rsys(&s, SYS_munmap, (long)im->stack,
			     (long)im->stack_len, 0);
			task_remote_end(&s);
		}
	}
	free_symbols(im->syms, im->nsyms);
	free(im);
}

/* ---- calling ---------------------------------------------------------------- */

/* Faults stay unblocked: the kernel resets the handler of a blocked
 * synchronous signal to SIG_DFL when it forces one, which would change the
 * program's own SIGSEGV handler.  Unblocked, the fault just stops the task
 * for us and is never delivered. */
static uint64_t call_mask(void)
{
	static const int faults[] = { SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP,
				      SIGSYS };
	uint64_t m = ~0ull;

	for (size_t i = 0; i < sizeof(faults) / sizeof(faults[0]); i++)
		m &= ~(1ull << (faults[i] - 1));
	return m;
}

static const char *signal_name(int sig, char *buf, size_t len)
{
	switch (sig) {
	case SIGSEGV: return "SIGSEGV";
	case SIGBUS: return "SIGBUS";
	case SIGILL: return "SIGILL";
	case SIGFPE: return "SIGFPE";
	case SIGTRAP: return "SIGTRAP";
	case SIGSYS: return "SIGSYS";
	case SIGABRT: return "SIGABRT";
	default:
		snprintf(buf, len, "signal %d", sig);
		return buf;
	}
}

/* The ABI's entry state: aligned stack with our int3 as return address,
 * DF clear, default MXCSR and x87 control word. */
static int enter_function(struct remote_session *s, const struct implant *im,
			  uint64_t fn, const uint64_t *args, size_t nargs)
{
	struct user_regs_struct r = s->saved_regs;
	uint64_t sp = (im->stack + im->stack_len - 64) & ~15ull;
	uint64_t *argregs[6] = { (uint64_t *)&r.rdi, (uint64_t *)&r.rsi,
				 (uint64_t *)&r.rdx, (uint64_t *)&r.rcx,
				 (uint64_t *)&r.r8, (uint64_t *)&r.r9 };
	int rc;

	sp -= 8;
	if ((rc = write_all(s->p, sp, &im->scratch, 8)) < 0)
		return rc;
	for (size_t i = 0; i < nargs; i++)
		*argregs[i] = args[i];
	r.rip = fn;
	r.rsp = sp;
	r.rax = 0;
	r.orig_rax = (unsigned long long)-1;
	r.eflags = 0x202;
	if ((rc = task_set_gregs(s->p, s->t, &r)) < 0)
		return rc;
	if (!s->saved_xstate || s->xstate_len < 512)
		return 0;
	uint8_t *x = malloc(s->xstate_len);
	if (!x)
		return fail(s->p, ENOMEM, "implant_call: out of memory");
	memcpy(x, s->saved_xstate, s->xstate_len);
	uint16_t fcw = 0x37f;
	uint32_t mxcsr = 0x1f80;
	memcpy(x + 0, &fcw, 2);
	memcpy(x + 24, &mxcsr, 4);
	rc = task_set_xstate(s->p, s->t, x, s->xstate_len);
	free(x);
	return rc;
}

static int wait_call(pid_t tid, int *status, unsigned timeout_ms)
{
	if (!timeout_ms)
		return task_wait_status(tid, status);
	struct timespec start, now, nap = { 0, 20000 };
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		pid_t r = waitpid(tid, status, __WALL | WNOHANG);
		if (r == tid)
			return 0;
		if (r < 0 && errno != EINTR)
			return -errno;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if ((now.tv_sec - start.tv_sec) * 1000 +
		    (now.tv_nsec - start.tv_nsec) / 1000000 >= timeout_ms)
			return -ETIMEDOUT;
		nanosleep(&nap, NULL);
		if (nap.tv_nsec < 1000000)
			nap.tv_nsec *= 2;
	}
}

static int report_crash(struct remote_session *s, const struct implant *im,
			int sig)
{
	struct user_regs_struct r;
	siginfo_t si;
	char where[160], nb[24];

	memset(&si, 0, sizeof(si));
	ptrace(PTRACE_GETSIGINFO, s->t->tid, 0, &si);
	if (task_get_gregs(s->p, s->t, &r) < 0)
		memset(&r, 0, sizeof(r));
	implant_describe(im, r.rip, where, sizeof(where));
	snprintf(s->p->err, sizeof(s->p->err), "implant crashed: %s at 0x%llx "
		 "(in %s), fault address 0x%llx", signal_name(sig, nb, sizeof(nb)),
		 (unsigned long long)r.rip, where,
		 (unsigned long long)(uintptr_t)si.si_addr);
	return -EFAULT;
}

static int stop_overdue(struct remote_session *s, const struct implant *im)
{
	struct user_regs_struct r;
	char where[160];
	int status;

	ptrace(PTRACE_INTERRUPT, s->t->tid, 0, 0);
	/* Whatever stop comes first will do: the session restores all. */
	if (task_wait_status(s->t->tid, &status) < 0 || !WIFSTOPPED(status)) {
		task_mark_exited(s->p, s->t, status);
		return fail(s->p, ESRCH, "implant_call: task %d died",
			    (int)s->t->tid);
	}
	if (task_get_gregs(s->p, s->t, &r) < 0)
		memset(&r, 0, sizeof(r));
	return fail(s->p, ETIMEDOUT, "implant call timed out after %u ms "
		    "(at 0x%llx, in %s)", im->timeout_ms,
		    (unsigned long long)r.rip,
		    implant_describe(im, r.rip, where, sizeof(where)));
}

static int run_call(struct remote_session *s, const struct implant *im,
		    uint64_t *ret)
{
	pid_t tid = s->t->tid;

	for (;;) {
		int status;
		if (ptrace(PTRACE_CONT, tid, 0, 0) < 0)
			return fail(s->p, errno, "implant_call(%d): resume: %s",
				    (int)tid, strerror(errno));
		int rc = wait_call(tid, &status, im->timeout_ms);
		if (rc == -ETIMEDOUT)
			return stop_overdue(s, im);
		if (rc < 0)
			return fail(s->p, -rc, "implant_call(%d): wait: %s",
				    (int)tid, strerror(-rc));
		if (WIFEXITED(status) || WIFSIGNALED(status)) {
			task_mark_exited(s->p, s->t, status);
			return fail(s->p, ESRCH, "implant_call: task %d died "
				    "(status 0x%x)", (int)tid, status);
		}
		int sig = WSTOPSIG(status);
		if (status >> 16)       /* event or interrupt stop: go on */
			continue;
		struct user_regs_struct r;
		if (sig == SIGTRAP && task_get_gregs(s->p, s->t, &r) == 0 &&
		    r.rip == im->scratch + 1) {
			*ret = r.rax;
			return 0;
		}
		if (call_mask() & (1ull << (sig - 1))) {
			/* Blocked for us, so sent by someone to the task
			 * while we had it: the session re-sends it. */
			if (s->ndeferred < 8)
				s->deferred_signals[s->ndeferred++] = sig;
			continue;
		}
		return report_crash(s, im, sig);
	}
}

int implant_call(struct process *p, struct task *t, const struct implant *im,
		 const char *symbol, const uint64_t *args, size_t nargs,
		 uint64_t *ret)
{
	struct remote_session s;
	uint64_t fn = implant_symbol(im, symbol), mask = call_mask();
	int rc;

	if (!fn)
		return fail(p, ENOENT, "implant %s: no symbol %s", im->path,
			    symbol);
	if (nargs > 6)
		return fail(p, EINVAL, "implant_call %s: %zu arguments (at most "
			    "6)", symbol, nargs);
	if ((rc = task_remote_begin(&s, p, t)) < 0)
		return rc;
	if (ptrace(PTRACE_SETSIGMASK, t->tid, (void *)sizeof(mask), &mask) < 0)
		rc = fail(p, errno, "implant_call(%d): SETSIGMASK: %s",
			  (int)t->tid, strerror(errno));
	if (rc == 0)
		rc = enter_function(&s, im, fn, args, nargs);
	if (rc == 0)
		rc = run_call(&s, im, ret);
	if (rc < 0)
		s.failed = true;        /* keep our message, not end's */
	int end = task_remote_end(&s);
	return rc < 0 ? rc : end;
}

/* ---- ranges and the checksum implant ------------------------------------------ */

static bool inside(uint64_t start, uint64_t end, uint64_t a, uint64_t len)
{
	return len && start < a + len && a < end;
}

static bool skipped(const struct implant *im, uint64_t start, uint64_t end)
{
	return im && (inside(start, end, im->base, im->image_len + SCRATCH_LEN +
			     im->arg_area_len) ||
		      inside(start, end, im->stack, im->stack_len));
}

/* Remove [a, a + len) from the ranges (it lies in at most one). */
static int cut_out(struct implant_range **r, size_t *n, uint64_t a,
		   uint64_t len)
{
	for (size_t i = 0; i < *n; i++) {
		struct implant_range x = (*r)[i];
		if (!inside(x.addr, x.addr + x.len, a, len))
			continue;
		uint64_t end = a + len < x.addr + x.len ? a + len
							: x.addr + x.len;
		struct implant_range *bigger = realloc(*r, (*n + 1) * sizeof(**r));
		if (!bigger)
			return -ENOMEM;
		*r = bigger;
		memmove(&(*r)[i + 1], &(*r)[i], (*n - i) * sizeof(**r));
		(*n)++;
		(*r)[i] = (struct implant_range){ x.addr, a > x.addr ? a - x.addr
								     : 0 };
		(*r)[i + 1] = (struct implant_range){ end, x.addr + x.len - end };
		return 0;
	}
	return 0;
}

/* The kernel rewrites each thread's struct rseq (cpu_id, mm_cid) whenever
 * the thread returns to user space on another CPU, injected syscalls and
 * implant calls included: not program state worth a checksum. */
static void cut_rseq(struct process *p, struct implant_range **r, size_t *n)
{
	struct {
		uint64_t abi_pointer;
		uint32_t abi_size, flags, signature, pad;
	} conf;

	for (size_t i = 0; i < p->ntasks; i++) {
		if (p->tasks[i].exited ||
		    ptrace(0x420f /* PTRACE_GET_RSEQ_CONFIGURATION */,
			   p->tasks[i].tid, (void *)sizeof(conf), &conf) <= 0 ||
		    !conf.abi_pointer)
			continue;
		cut_out(r, n, conf.abi_pointer, conf.abi_size);
	}
	size_t k = 0;
	for (size_t i = 0; i < *n; i++)
		if ((*r)[i].len)
			(*r)[k++] = (*r)[i];
	*n = k;
}

int implant_writable_ranges(struct process *p, const struct implant *skip,
			    struct implant_range **out, size_t *n)
{
	char path[64], line[512];
	size_t cap = 64;

	*n = 0;
	*out = malloc(cap * sizeof(**out));
	snprintf(path, sizeof(path), "/proc/%d/maps", (int)p->pid);
	FILE *f = fopen(path, "re");
	if (!f || !*out) {
		int e = f ? ENOMEM : errno;
		if (f)
			fclose(f);
		free(*out);
		*out = NULL;
		return fail(p, e, "%s: %s", path, strerror(e));
	}
	while (fgets(line, sizeof(line), f)) {
		unsigned long start, end;
		char perms[5];
		int name_at = 0;
		if (sscanf(line, "%lx-%lx %4s %*s %*s %*s %n", &start, &end,
			   perms, &name_at) < 3 || perms[1] != 'w' ||
		    perms[3] != 'p')
			continue;
		const char *name = name_at ? line + name_at : "";
		if (strncmp(name, "[vvar", 5) == 0 ||
		    strncmp(name, "[vsyscall]", 10) == 0 ||
		    skipped(skip, start, end))
			continue;
		if (*n == cap) {
			struct implant_range *bigger =
				realloc(*out, 2 * cap * sizeof(**out));
			if (!bigger)
				break;
			*out = bigger;
			cap *= 2;
		}
		(*out)[(*n)++] = (struct implant_range){ start, end - start };
	}
	fclose(f);
	cut_rseq(p, out, n);
	return 0;
}

const char *implant_checksum_path_name(int path)
{
	static const char *const names[] = { "auto", "scalar", "sse2", "avx2",
					     "avx512" };

	return path >= 0 && path <= CHECKSUM_PATH_AVX512 ? names[path] : "?";
}

int implant_checksum(struct process *p, struct task *t,
		     const struct implant *im,
		     const struct implant_range *ranges, size_t n, int force,
		     uint64_t *hash, int *path_used)
{
	/* The path used is written after the ranges. */
	uint64_t bytes = n * sizeof(*ranges);
	uint64_t path_at = im->arg_area + bytes;
	uint32_t path = 0;
	int rc;

	if (bytes + 8 > im->arg_area_len)
		return fail(p, E2BIG, "implant_checksum: %zu ranges (at most "
			    "%llu)", n,
			    (unsigned long long)(im->arg_area_len - 8) / 16);
	if (n && (rc = write_all(p, im->arg_area, ranges, bytes)) < 0)
		return rc;
	const uint64_t args[4] = { im->arg_area, n, (uint64_t)force, path_at };
	rc = implant_call(p, t, im, "xrr_checksum_ranges", args, 4, hash);
	if (rc == 0 && path_used) {
		if (process_read_memory(p, path_at, &path, 4) != 4)
			return fail(p, EIO, "implant_checksum: reading the "
				    "path used");
		*path_used = (int)path;
	}
	return rc;
}
