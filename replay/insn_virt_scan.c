/* Finding CPUID, XGETBV and the XSAVE family in machine code with Zydis,
 * from real instruction boundaries (replay/insn_virt.h).
 *
 * A byte scan for 0f a2 or 0f 01 d0 finds them inside immediates,
 * displacements and other instructions' ModRM bytes; patching one of
 * those would corrupt the program.  So decoding starts only where an
 * instruction is known to start (a section start, a function symbol)
 * and runs linearly until the next known start or a decode failure. */
#include "config.h"

#include "replay/insn_virt.h"

#include <Zydis/Zydis.h>
#include <errno.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct mnemonic_kind {
	ZydisMnemonic mnemonic;
	enum insn_kind kind;
};

/* XSAVES/XRSTORS are ring 0 only and never appear in user code. */
static const struct mnemonic_kind wanted[] = {
	{ ZYDIS_MNEMONIC_CPUID, INSN_CPUID },
	{ ZYDIS_MNEMONIC_XGETBV, INSN_XGETBV },
	{ ZYDIS_MNEMONIC_XSAVE, INSN_XSAVE },
	{ ZYDIS_MNEMONIC_XSAVE64, INSN_XSAVE },
	{ ZYDIS_MNEMONIC_XSAVEOPT, INSN_XSAVE },
	{ ZYDIS_MNEMONIC_XSAVEOPT64, INSN_XSAVE },
	{ ZYDIS_MNEMONIC_XSAVEC, INSN_XSAVE },
	{ ZYDIS_MNEMONIC_XSAVEC64, INSN_XSAVE },
	{ ZYDIS_MNEMONIC_XRSTOR, INSN_XRSTOR },
	{ ZYDIS_MNEMONIC_XRSTOR64, INSN_XRSTOR },
};

static int kind_of(ZydisMnemonic m)
{
	for (size_t i = 0; i < sizeof(wanted) / sizeof(wanted[0]); i++)
		if (wanted[i].mnemonic == m)
			return wanted[i].kind;
	return 0;
}

const char *insn_kind_name(int kind)
{
	switch (kind) {
	case INSN_CPUID: return "cpuid";
	case INSN_XGETBV: return "xgetbv";
	case INSN_XSAVE: return "xsave";
	case INSN_XRSTOR: return "xrstor";
	default: return "?";
	}
}

const char *insn_site_mnemonic(const struct insn_site *s)
{
	const char *m = ZydisMnemonicGetString((ZydisMnemonic)s->mnemonic);
	return m ? m : insn_kind_name(s->kind);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static int add_site(struct insn_scan *out, size_t *cap, uint64_t addr,
		    const uint8_t *bytes, const ZydisDecodedInstruction *insn,
		    int kind)
{
	if (out->nsites == *cap) {
		size_t n = *cap ? *cap * 2 : 16;
		struct insn_site *s = realloc(out->sites, n * sizeof(*s));
		if (!s)
			return -1;
		out->sites = s;
		*cap = n;
	}
	struct insn_site *s = &out->sites[out->nsites++];
	memset(s, 0, sizeof(*s));
	s->addr = addr;
	s->kind = (uint8_t)kind;
	s->len = insn->length;
	s->mnemonic = (uint16_t)insn->mnemonic;
	memcpy(s->orig, bytes, insn->length);
	return 0;
}

/* One run: from code[from] to code[to] (offsets). */
static int decode_run(const ZydisDecoder *dec, const uint8_t *code,
		      size_t from, size_t to, uint64_t base,
		      struct insn_scan *out, size_t *cap)
{
	size_t pos = from;

	while (pos < to) {
		ZydisDecoderContext ctx;
		ZydisDecodedInstruction insn;
		if (ZYAN_FAILED(ZydisDecoderDecodeInstruction(dec, &ctx,
				code + pos, to - pos, &insn))) {
			out->undecodable += to - pos;
			return 0;
		}
		int kind = kind_of(insn.mnemonic);
		if (kind && add_site(out, cap, base + pos, code + pos, &insn,
				     kind) < 0)
			return -1;
		out->insns++;
		pos += insn.length;
	}
	return 0;
}

static int cmp_site(const void *a, const void *b)
{
	const struct insn_site *x = a, *y = b;
	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

/* Runs from overlapping starts can find the same instruction twice. */
static void sort_unique(struct insn_scan *out)
{
	size_t w = 0;

	if (out->nsites == 0)
		return;   /* sites may be NULL: qsort must not see it */
	qsort(out->sites, out->nsites, sizeof(*out->sites), cmp_site);
	for (size_t i = 0; i < out->nsites; i++)
		if (w == 0 || out->sites[w - 1].addr != out->sites[i].addr)
			out->sites[w++] = out->sites[i];
	out->nsites = w;
}

int insn_virt_scan_code(const uint8_t *code, size_t len, uint64_t base,
			const uint64_t *starts, size_t nstarts,
			struct insn_scan *out)
{
	ZydisDecoder dec;
	size_t cap = out->nsites;
	uint64_t *s = malloc((nstarts + 1) * sizeof(*s));
	size_t n = 0;
	int rc = 0;

	if (!s)
		return -1;
	ZydisDecoderInit(&dec, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64);
	for (size_t i = 0; i < nstarts; i++)
		if (starts[i] >= base && starts[i] < base + len)
			s[n++] = starts[i];
	qsort(s, n, sizeof(*s), cmp_u64);
	/* A section start is often also a symbol: keep each start once, or
	 * the run from it would end at its own duplicate. */
	size_t u = 0;
	for (size_t i = 0; i < n; i++)
		if (u == 0 || s[u - 1] != s[i])
			s[u++] = s[i];
	n = u;
	out->bytes += len;
	/* Bytes before the first start are never reached. */
	if (n == 0)
		out->undecodable += len;
	else
		out->undecodable += s[0] - base;
	for (size_t i = 0; i < n && rc == 0; i++) {
		out->starts++;
		size_t from = (size_t)(s[i] - base);
		size_t to = i + 1 < n ? (size_t)(s[i + 1] - base) : len;
		/* An instruction may straddle the next start only in
		 * broken symbol tables: decode up to it, not past. */
		rc = decode_run(&dec, code, from, to, base, out, &cap);
	}
	free(s);
	sort_unique(out);
	return rc;
}

void insn_scan_free(struct insn_scan *s)
{
	free(s->sites);
	memset(s, 0, sizeof(*s));
}

/* ---- ELF files ------------------------------------------------------------ */

struct starts {
	uint64_t *v;
	size_t n, cap;
};

static int push_start(struct starts *st, uint64_t v)
{
	if (st->n == st->cap) {
		size_t n = st->cap ? st->cap * 2 : 256;
		uint64_t *p = realloc(st->v, n * sizeof(*p));
		if (!p)
			return -1;
		st->v = p;
		st->cap = n;
	}
	st->v[st->n++] = v;
	return 0;
}

/* Function symbols of every symbol table, as virtual addresses. */
static int symbol_starts(Elf *e, struct starts *st)
{
	Elf_Scn *scn = NULL;

	while ((scn = elf_nextscn(e, scn))) {
		GElf_Shdr sh;
		if (!gelf_getshdr(scn, &sh) ||
		    (sh.sh_type != SHT_SYMTAB && sh.sh_type != SHT_DYNSYM) ||
		    !sh.sh_entsize)
			continue;
		Elf_Data *d = elf_getdata(scn, NULL);
		size_t n = sh.sh_size / sh.sh_entsize;
		for (size_t i = 0; d && i < n; i++) {
			GElf_Sym sym;
			if (!gelf_getsym(d, (int)i, &sym))
				continue;
			if (GELF_ST_TYPE(sym.st_info) == STT_FUNC &&
			    sym.st_shndx != SHN_UNDEF && sym.st_value &&
			    push_start(st, sym.st_value) < 0)
				return -1;
		}
	}
	return 0;
}

static int read_at(int fd, void *buf, size_t len, uint64_t off)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = pread(fd, (uint8_t *)buf + done, len - done,
				  (off_t)(off + done));
		if (n <= 0)
			return -1;
		done += (size_t)n;
	}
	return 0;
}

/* Decode one executable region [vaddr, vaddr+size) at file offset off;
 * site addresses become file offsets. */
static int scan_region(int fd, uint64_t vaddr, uint64_t off, uint64_t size,
		       const struct starts *st, struct insn_scan *out)
{
	uint8_t *code = malloc(size ? size : 1);
	struct insn_scan tmp = { 0 };

	if (!code || read_at(fd, code, size, off) < 0) {
		free(code);
		return -1;
	}
	int rc = insn_virt_scan_code(code, size, vaddr, st->v, st->n, &tmp);
	free(code);
	struct insn_site *all = realloc(out->sites, (out->nsites + tmp.nsites + 1) *
					sizeof(*all));
	if (rc < 0 || !all) {
		insn_scan_free(&tmp);
		return -1;
	}
	out->sites = all;
	for (size_t i = 0; i < tmp.nsites; i++) {
		all[out->nsites] = tmp.sites[i];
		all[out->nsites++].addr = tmp.sites[i].addr - vaddr + off;
	}
	out->bytes += tmp.bytes;
	out->insns += tmp.insns;
	out->undecodable += tmp.undecodable;
	out->starts += tmp.starts;
	insn_scan_free(&tmp);
	return 0;
}

static int scan_sections(Elf *e, int fd, struct starts *st,
			 struct insn_scan *out, bool *any)
{
	Elf_Scn *scn = NULL;

	while ((scn = elf_nextscn(e, scn))) {
		GElf_Shdr sh;
		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_PROGBITS ||
		    !(sh.sh_flags & SHF_EXECINSTR) || !sh.sh_size)
			continue;
		*any = true;
		if (push_start(st, sh.sh_addr) < 0 ||
		    scan_region(fd, sh.sh_addr, sh.sh_offset, sh.sh_size, st,
				out) < 0)
			return -1;
	}
	return 0;
}

/* No section headers (sstrip'd files): executable segments from their
 * start and the entry point. */
static int scan_segments(Elf *e, int fd, struct starts *st,
			 struct insn_scan *out)
{
	GElf_Ehdr eh;
	size_t n;

	if (!gelf_getehdr(e, &eh) || elf_getphdrnum(e, &n) < 0)
		return -1;
	if (eh.e_entry && push_start(st, eh.e_entry) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		GElf_Phdr ph;
		if (!gelf_getphdr(e, (int)i, &ph) || ph.p_type != PT_LOAD ||
		    !(ph.p_flags & PF_X))
			continue;
		if (push_start(st, ph.p_vaddr) < 0 ||
		    scan_region(fd, ph.p_vaddr, ph.p_offset, ph.p_filesz, st,
				out) < 0)
			return -1;
	}
	return 0;
}

int insn_virt_scan_fd(int fd, struct insn_scan *out, char *err,
		      size_t errlen)
{
	struct starts st = { 0 };
	bool any = false;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	elf_version(EV_CURRENT);
	Elf *e = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (!e || elf_kind(e) != ELF_K_ELF) {
		snprintf(err, errlen, "not an ELF file: %s", elf_errmsg(-1));
		goto out;
	}
	if (symbol_starts(e, &st) < 0 || scan_sections(e, fd, &st, out, &any) < 0 ||
	    (!any && scan_segments(e, fd, &st, out) < 0)) {
		snprintf(err, errlen, "reading executable code: %s",
			 errno ? strerror(errno) : elf_errmsg(-1));
		goto out;
	}
	/* Sites were collected per region; keep them in offset order. */
	qsort(out->sites, out->nsites, sizeof(*out->sites), cmp_site);
	rc = 0;
out:
	if (e)
		elf_end(e);
	free(st.v);
	return rc;
}
