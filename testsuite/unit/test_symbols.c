/* Unit tests for the symbolizer (replay/symbols.h) against a real trace
 * store holding testsuite/progs/backtrace (built -g -O0): addresses
 * mapped at a PIE base resolve to the right function and to the lines
 * the compiler recorded (expected values from libelf's symbol table and
 * the program's source, never hard-coded); address-space bookkeeping
 * (later mappings hide earlier ones, partial unmaps keep file offsets). */
#include "config.h"

#include <fcntl.h>
#include <ftw.h>
#include <gelf.h>
#include <libelf.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "replay/symbols.h"
#include "replay/trace.h"
#include "testsuite/unit/cunit_main.h"

#define PROG PROGS_DIR "/backtrace"
#define SOURCE TOP_SRCDIR "/testsuite/progs/backtrace.c"
#define BASE 0x555555554000ull          /* where PIE programs load */

static char tmp_root[PATH_MAX];
static char trace_path[PATH_MAX + 16];
static struct trace_file_id prog_id;

static int remove_entry(const char *path, const struct stat *st, int type,
			struct FTW *ftw)
{
	(void)st, (void)type, (void)ftw;
	return remove(path);
}

/* A trace with the program in its store, closed, then opened to read. */
static int suite_init(void)
{
	struct trace_header h;
	char err[512];

	strcpy(tmp_root, "/tmp/xrr-test-symbols.XXXXXX");
	if (!mkdtemp(tmp_root))
		return -1;
	snprintf(trace_path, sizeof(trace_path), "%s/t", tmp_root);
	trace_header_init(&h);
	if (trace_header_fill_host(&h) < 0)
		return -1;
	struct trace *t = trace_create(trace_path, &h, err, sizeof(err));
	trace_header_free(&h);
	if (!t || trace_store_file(t, PROG, &prog_id, err, sizeof(err)) < 0 ||
	    trace_close(t, err, sizeof(err)) < 0) {
		fprintf(stderr, "suite: %s\n", err);
		return -1;
	}
	return 0;
}

static int suite_cleanup(void)
{
	return nftw(tmp_root, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* The program's own view: a function's address (ELF symtab) and the
 * file offset of its first PT_LOAD's vaddr 0. */
static uint64_t elf_symbol(const char *name)
{
	uint64_t value = 0;
	int fd = open(PROG, O_RDONLY);
	Elf *e;

	elf_version(EV_CURRENT);
	CU_ASSERT_FATAL(fd >= 0);
	e = elf_begin(fd, ELF_C_READ, NULL);
	Elf_Scn *scn = NULL;
	while (e && (scn = elf_nextscn(e, scn))) {
		GElf_Shdr sh;
		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_SYMTAB)
			continue;
		Elf_Data *d = elf_getdata(scn, NULL);
		for (size_t i = 0; d && i < sh.sh_size / sh.sh_entsize; i++) {
			GElf_Sym s;
			const char *n;
			if (gelf_getsym(d, (int)i, &s) &&
			    (n = elf_strptr(e, sh.sh_link, s.st_name)) &&
			    strcmp(n, name) == 0)
				value = s.st_value;
		}
	}
	elf_end(e);
	close(fd);
	CU_ASSERT_FATAL(value != 0);
	return value;
}

/* The line of the source holding `text`. */
static unsigned source_line(const char *text)
{
	FILE *f = fopen(SOURCE, "r");
	char buf[512];
	unsigned n = 0, found = 0;

	CU_ASSERT_FATAL(f != NULL);
	while (!found && fgets(buf, sizeof(buf), f)) {
		n++;
		if (strstr(buf, text))
			found = n;
	}
	fclose(f);
	return found;
}

/* The whole program mapped at BASE as one mapping (offset 0): the
 * program's PT_LOADs have vaddr == offset, so BASE + vaddr. */
static struct sym_space *program_space(void)
{
	struct sym_space *s = sym_space_new();
	struct trace_mapping m = {
		.start = BASE, .end = BASE + 0x5000, .prot = PROT_READ | PROT_EXEC,
		.flags = MAP_PRIVATE, .offset = 0, .path = (char *)PROG,
		.file = prog_id,
	};
	CU_ASSERT_FATAL(s && sym_space_map(s, &m) == 0);
	return s;
}

static struct trace *open_trace(void)
{
	char err[512];
	struct trace *t = trace_open(trace_path, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	return t;
}

static void test_function_and_line(void)
{
	struct trace *t = open_trace();
	struct sym_table *st = sym_table_open(t);
	struct sym_space *s = program_space();
	struct sym_location loc;
	char text[400];

	uint64_t inner = elf_symbol("inner"), outer = elf_symbol("outer");
	sym_lookup(st, s, BASE + inner, false, &loc);
	CU_ASSERT_STRING_EQUAL(loc.func, "inner");
	CU_ASSERT_EQUAL(loc.func_off, 0);
	CU_ASSERT_STRING_EQUAL(loc.object, "backtrace");
	CU_ASSERT_EQUAL(loc.object_addr, inner);
	CU_ASSERT_STRING_EQUAL(loc.file, "backtrace.c");
	/* The first row of a function is its declarator's line (clang) or
	 * the opening brace's under it (GCC). */
	unsigned decl = source_line("long inner(int fd)");
	CU_ASSERT(loc.line == decl || loc.line == decl + 1);
	char want[64];
	snprintf(want, sizeof(want), "inner (backtrace.c:%u)", loc.line);
	CU_ASSERT_STRING_EQUAL(sym_format(&loc, text, sizeof(text)), want);

	/* Inside outer: an offset, and a line within outer's body. */
	sym_lookup(st, s, BASE + outer + 8, false, &loc);
	CU_ASSERT_STRING_EQUAL(loc.func, "outer");
	CU_ASSERT_EQUAL(loc.func_off, 8);
	CU_ASSERT(loc.line >= source_line("long outer(int fd)") &&
		  loc.line <= source_line("LINE:outer_call"));
	sym_format(&loc, text, sizeof(text));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "outer+0x8 (backtrace.c:"));

	sym_space_free(s);
	sym_table_free(st);
	trace_close(t, NULL, 0);
}

static void test_unmapped_and_unknown(void)
{
	struct trace *t = open_trace();
	struct sym_table *st = sym_table_open(t);
	struct sym_space *s = program_space();
	struct sym_location loc;
	char text[400];

	sym_lookup(st, s, 0x1000, false, &loc);
	CU_ASSERT_STRING_EQUAL(loc.object, "");
	CU_ASSERT_STRING_EQUAL(sym_format(&loc, text, sizeof(text)),
			       "0x1000 (no file mapped)");

	/* A stored file that is not there: named, without symbols. */
	struct trace_mapping m = { .start = 0x10000, .end = 0x11000,
				   .path = (char *)"/lib/missing.so" };
	memset(m.file.hex, 'a', TRACE_FILE_ID_LEN);
	CU_ASSERT(sym_space_map(s, &m) == 0);
	sym_lookup(st, s, 0x10010, false, &loc);
	CU_ASSERT_STRING_EQUAL(loc.object, "missing.so");
	CU_ASSERT_FALSE(loc.has_symbols);
	CU_ASSERT_STRING_EQUAL(sym_format(&loc, text, sizeof(text)),
			       "0x10 in missing.so (no symbols)");
	sym_space_free(s);
	sym_table_free(st);
	trace_close(t, NULL, 0);
}

/* munmap semantics: an anonymous mapping over the middle of a file
 * mapping splits it; the right part keeps its file offset. */
static void test_space_split(void)
{
	struct trace *t = open_trace();
	struct sym_table *st = sym_table_open(t);
	struct sym_space *s = program_space();
	struct sym_location loc;
	uint64_t inner = elf_symbol("inner");
	uint64_t page = (BASE + inner) & ~0xfffull;

	struct trace_mapping anon = { .start = page - 0x1000, .end = page,
				      .path = (char *)"" };
	CU_ASSERT(sym_space_map(s, &anon) == 0);
	sym_lookup(st, s, page - 0x800, false, &loc);
	CU_ASSERT_STRING_EQUAL(loc.object, "");
	sym_lookup(st, s, BASE + inner, false, &loc);
	CU_ASSERT_STRING_EQUAL(loc.func, "inner");
	CU_ASSERT_EQUAL(loc.object_addr, inner);

	/* A copy is independent of its original. */
	struct sym_space *c = sym_space_clone(s);
	sym_space_clear(s);
	sym_lookup(st, s, BASE + inner, false, &loc);
	CU_ASSERT_STRING_EQUAL(loc.object, "");
	sym_lookup(st, c, BASE + inner, false, &loc);
	CU_ASSERT_STRING_EQUAL(loc.func, "inner");
	sym_space_free(c);
	sym_space_free(s);
	sym_table_free(st);
	trace_close(t, NULL, 0);
}

static const struct unit_test tests[] = {
	{ "function and line of an address", test_function_and_line },
	{ "unmapped and unknown addresses", test_unmapped_and_unknown },
	{ "mappings split and copied", test_space_split },
	{ NULL, NULL },
};

static const struct unit_suite suites[] = {
	{ "symbols", tests, suite_init, suite_cleanup },
};

UNIT_MAIN(suites)
