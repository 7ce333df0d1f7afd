/* ELF side of the symbolizer (replay/symbols.h), through libelf: the
 * PT_LOAD segments (a mapped file offset -> the ELF virtual address,
 * which absorbs PIE and shared-library load bias), the function symbols
 * of .symtab (else .dynsym, what a stripped library keeps), and the GNU
 * build-id that names a separate debug file. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "replay/symbols_internal.h"

static int sym_cmp(const void *a, const void *b)
{
	const struct sym_elf_symbol *x = a, *y = b;
	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	/* Among aliases at one address, the sized one first. */
	return (y->size > 0) - (x->size > 0);
}

static int load_segments(struct sym_object *o)
{
	size_t n;

	if (elf_getphdrnum(o->elf, &n) != 0)
		return -1;
	o->segs = calloc(n ? n : 1, sizeof(*o->segs));
	if (!o->segs)
		return -1;
	for (size_t i = 0; i < n; i++) {
		GElf_Phdr ph;
		if (!gelf_getphdr(o->elf, (int)i, &ph) || ph.p_type != PT_LOAD)
			continue;
		o->segs[o->nsegs++] = (struct sym_load_segment){
			.vaddr = ph.p_vaddr, .offset = ph.p_offset,
			.filesz = ph.p_memsz > ph.p_filesz ? ph.p_memsz
							   : ph.p_filesz,
		};
	}
	return 0;
}

/* A function, or an untyped label in executable code (hand-written
 * assembly such as the loader's _start has no STT_FUNC). */
static bool is_code_symbol(Elf *elf, const GElf_Sym *sym)
{
	int type = GELF_ST_TYPE(sym->st_info);
	GElf_Shdr sh;

	if (sym->st_shndx == SHN_UNDEF || sym->st_shndx >= SHN_LORESERVE ||
	    !sym->st_value)
		return false;
	if (type == STT_FUNC || type == STT_GNU_IFUNC)
		return true;
	return type == STT_NOTYPE &&
	       gelf_getshdr(elf_getscn(elf, sym->st_shndx), &sh) &&
	       (sh.sh_flags & SHF_EXECINSTR);
}

/* Function symbols of one symbol table section. */
static int add_symbols(struct sym_object *o, Elf *elf, Elf_Scn *scn,
		       const GElf_Shdr *sh)
{
	Elf_Data *d = elf_getdata(scn, NULL);
	if (!d || !sh->sh_entsize)
		return 0;
	size_t n = sh->sh_size / sh->sh_entsize;
	struct sym_elf_symbol *v = realloc(o->syms, (o->nsyms + n + 1) *
					   sizeof(*v));
	if (!v)
		return -1;
	o->syms = v;
	for (size_t i = 0; i < n; i++) {
		GElf_Sym sym;
		if (!gelf_getsym(d, (int)i, &sym) || !is_code_symbol(elf, &sym))
			continue;
		const char *name = elf_strptr(elf, sh->sh_link, sym.st_name);
		if (!name || !*name)
			continue;
		char *copy = strdup(name);
		if (!copy)
			return -1;
		o->syms[o->nsyms++] = (struct sym_elf_symbol){
			.addr = sym.st_value, .size = sym.st_size, .name = copy,
		};
	}
	return 0;
}

static void hex(char *out, const uint8_t *b, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[b[i] >> 4];
		out[2 * i + 1] = digits[b[i] & 15];
	}
	out[2 * n] = 0;
}

static void read_build_id(struct sym_object *o, Elf_Scn *scn)
{
	Elf_Data *d = elf_getdata(scn, NULL);
	GElf_Nhdr nh;
	size_t off = 0, name_off, desc_off;

	while (d && (off = gelf_getnote(d, off, &nh, &name_off, &desc_off))) {
		if (nh.n_type == NT_GNU_BUILD_ID && nh.n_namesz == 4 &&
		    memcmp((char *)d->d_buf + name_off, "GNU", 4) == 0 &&
		    nh.n_descsz <= 64) {
			hex(o->build_id, (uint8_t *)d->d_buf + desc_off,
			    nh.n_descsz);
			return;
		}
	}
}

/* .gnu_debuglink: a plain file name, then padding and a CRC. */
static void read_debuglink(struct sym_object *o, Elf_Scn *scn)
{
	Elf_Data *d = elf_getdata(scn, NULL);
	const char *p = d ? d->d_buf : NULL;
	size_t n = p ? strnlen(p, d->d_size) : 0;

	if (n && n < d->d_size && n < sizeof(o->debuglink) && !memchr(p, '/', n))
		memcpy(o->debuglink, p, n + 1);
}

int sym_elf_load(struct sym_object *o)
{
	size_t shstrndx = 0;
	o->elf = elf_begin(o->fd, ELF_C_READ_MMAP, NULL);
	if (!o->elf || elf_kind(o->elf) != ELF_K_ELF ||
	    gelf_getclass(o->elf) != ELFCLASS64)
		return -1;
	if (load_segments(o) < 0)
		return -1;
	Elf_Scn *scn = NULL, *dynsym = NULL;
	GElf_Shdr dynsh;
	bool have_symtab = false;
	elf_getshdrstrndx(o->elf, &shstrndx);
	while ((scn = elf_nextscn(o->elf, scn))) {
		GElf_Shdr sh;
		const char *name;
		if (!gelf_getshdr(scn, &sh))
			continue;
		name = elf_strptr(o->elf, shstrndx, sh.sh_name);
		if (name && strcmp(name, ".gnu_debuglink") == 0)
			read_debuglink(o, scn);
		if (sh.sh_type == SHT_SYMTAB) {
			if (add_symbols(o, o->elf, scn, &sh) < 0)
				return -1;
			have_symtab = true;
		} else if (sh.sh_type == SHT_DYNSYM) {
			dynsym = scn;
			dynsh = sh;
		} else if (sh.sh_type == SHT_NOTE && !o->build_id[0]) {
			read_build_id(o, scn);
		}
	}
	o->has_symtab = have_symtab;
	if (!have_symtab && dynsym && add_symbols(o, o->elf, dynsym, &dynsh) < 0)
		return -1;
	if (o->nsyms)
		qsort(o->syms, o->nsyms, sizeof(*o->syms), sym_cmp);
	return 0;
}

/* A stripped file's full .symtab from its separate debug file (static
 * functions, the loader's _start): replaces what .dynsym gave. */
void sym_elf_add_debug_symbols(struct sym_object *o, int debug_fd)
{
	Elf *elf = elf_begin(debug_fd, ELF_C_READ_MMAP, NULL);
	Elf_Scn *scn = NULL;

	while (elf && (scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_SYMTAB)
			continue;
		for (size_t i = 0; i < o->nsyms; i++)
			free(o->syms[i].name);
		o->nsyms = 0;
		if (add_symbols(o, elf, scn, &sh) == 0 && o->nsyms) {
			qsort(o->syms, o->nsyms, sizeof(*o->syms), sym_cmp);
			o->has_symtab = true;
		}
		break;
	}
	if (elf)
		elf_end(elf);
}

void sym_elf_free(struct sym_object *o)
{
	for (size_t i = 0; i < o->nsyms; i++)
		free(o->syms[i].name);
	free(o->syms);
	free(o->segs);
	if (o->elf)
		elf_end(o->elf);
	o->syms = NULL;
	o->segs = NULL;
	o->elf = NULL;
	o->nsyms = o->nsegs = 0;
}

bool sym_elf_vaddr(const struct sym_object *o, uint64_t off, uint64_t *vaddr)
{
	for (size_t i = 0; i < o->nsegs; i++) {
		const struct sym_load_segment *s = &o->segs[i];
		if (off >= s->offset && off - s->offset < s->filesz) {
			*vaddr = s->vaddr + (off - s->offset);
			return true;
		}
	}
	return false;
}

/* The function symbol containing vaddr: the last one starting at or
 * before it, if its size reaches vaddr (or it has no size: hand-written
 * assembly often has none). */
const struct sym_elf_symbol *sym_elf_find(const struct sym_object *o,
					  uint64_t vaddr)
{
	size_t lo = 0, hi = o->nsyms;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (o->syms[mid].addr <= vaddr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo)
		return NULL;
	const struct sym_elf_symbol *s = &o->syms[lo - 1];
	/* Prefer the sized alias at the same address. */
	while (s > o->syms && s[-1].addr == s->addr && s[-1].size)
		s--;
	if (s->size && vaddr - s->addr >= s->size)
		return NULL;
	return s;
}

bool sym_elf_has_debug_info(Elf *elf)
{
	size_t shstrndx;
	Elf_Scn *scn = NULL;

	if (elf_getshdrstrndx(elf, &shstrndx) != 0)
		return false;
	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		const char *name;
		if (gelf_getshdr(scn, &sh) && sh.sh_type != SHT_NOBITS &&
		    (name = elf_strptr(elf, shstrndx, sh.sh_name)) &&
		    (strcmp(name, ".debug_info") == 0 ||
		     strcmp(name, ".debug_line") == 0))
			return true;
	}
	return false;
}
