/* Inside the symbolizer (replay/symbols.h): one opened stored file, and
 * the few places where the two libdwarf APIs configure knows differ.
 *
 * libdwarf 20210528 (Debian 12): dwarf_init_b takes 7 arguments (with
 * DW_DLC_READ), dwarf_finish an error pointer, and the frame rule
 * queries are dwarf_get_fde_info_for_{cfa_,}reg3_b with signed outputs.
 * libdwarf 0.x and later: 6 arguments, dwarf_finish(dbg), and the
 * signed-offset queries are the _c variants.  Everything else used here
 * has one signature in both. */
#ifndef XRR_REPLAY_SYMBOLS_INTERNAL_H
#define XRR_REPLAY_SYMBOLS_INTERNAL_H

#include <gelf.h>
#include <libelf.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <dwarf.h>
#include <libdwarf.h>

#include "replay/symbols.h"

#ifndef XRR_LIBDWARF_INIT_B_ARGS
#error "configure defines XRR_LIBDWARF_INIT_B_ARGS (config.h first)"
#endif

/* ---- libdwarf compatibility ---------------------------------------------------- */

/* Open fd's DWARF (any section libdwarf knows, .eh_frame included).
 * DW_DLV_OK, DW_DLV_NO_ENTRY (none) or DW_DLV_ERROR. */
static inline int symdw_init(int fd, Dwarf_Debug *dbg)
{
	Dwarf_Error e = NULL;
#if XRR_LIBDWARF_INIT_B_ARGS == 7
	int rc = dwarf_init_b(fd, DW_DLC_READ, DW_GROUPNUMBER_ANY, NULL, NULL,
			      dbg, &e);
#else
	int rc = dwarf_init_b(fd, DW_GROUPNUMBER_ANY, NULL, NULL, dbg, &e);
#endif
	if (rc == DW_DLV_ERROR && e)
		dwarf_dealloc(NULL, e, DW_DLA_ERROR);
	return rc;
}

static inline void symdw_finish(Dwarf_Debug dbg)
{
#if XRR_LIBDWARF_INIT_B_ARGS == 7
	Dwarf_Error e = NULL;
	dwarf_finish(dbg, &e);
#else
	dwarf_finish(dbg);
#endif
}

/* One column of a CFI row: what the register (or the CFA) is. */
struct symdw_rule {
	int value_type;         /* DW_EXPR_OFFSET, DW_EXPR_VAL_OFFSET, ... */
	bool offset_relevant;
	uint64_t reg;           /* a DWARF register, DW_FRAME_SAME_VAL, ... */
	int64_t offset;
};

/* The rule for the CFA (column < 0) or a register column at pc. */
static inline int symdw_rule(Dwarf_Debug dbg, Dwarf_Fde fde, int column,
			     Dwarf_Addr pc, struct symdw_rule *out)
{
	Dwarf_Small type = 0;
	Dwarf_Addr row_pc = 0, next_pc = 0;
	Dwarf_Bool more = 0;
	Dwarf_Error e = NULL;
	int rc;
#if XRR_LIBDWARF_INIT_B_ARGS == 7
	Dwarf_Signed relevant = 0, reg = 0, off = 0;
	Dwarf_Ptr block = NULL;
	if (column < 0)
		rc = dwarf_get_fde_info_for_cfa_reg3_b(fde, pc, &type, &relevant,
						       &reg, &off, &block,
						       &row_pc, &more, &next_pc,
						       &e);
	else
		rc = dwarf_get_fde_info_for_reg3_b(fde, (Dwarf_Half)column, pc,
						   &type, &relevant, &reg, &off,
						   &block, &row_pc, &more,
						   &next_pc, &e);
#else
	Dwarf_Unsigned relevant = 0, reg = 0;
	Dwarf_Signed off = 0;
	Dwarf_Block block;
	if (column < 0)
		rc = dwarf_get_fde_info_for_cfa_reg3_c(fde, pc, &type, &relevant,
						       &reg, &off, &block,
						       &row_pc, &more, &next_pc,
						       &e);
	else
		rc = dwarf_get_fde_info_for_reg3_c(fde, (Dwarf_Half)column, pc,
						   &type, &relevant, &reg, &off,
						   &block, &row_pc, &more,
						   &next_pc, &e);
#endif
	if (rc == DW_DLV_ERROR && e)
		dwarf_dealloc(dbg, e, DW_DLA_ERROR);
	if (rc != DW_DLV_OK)
		return rc;
	out->value_type = type;
	out->offset_relevant = relevant != 0;
	out->reg = (uint64_t)reg;
	out->offset = (int64_t)off;
	return DW_DLV_OK;
}

/* ---- one stored file ---------------------------------------------------------- */

struct sym_elf_symbol {
	uint64_t addr, size;
	char *name;
};

struct sym_load_segment {       /* a PT_LOAD */
	uint64_t vaddr, offset, filesz;
};

/* Rows of one CU's line table, sorted by address. */
struct sym_line_row {
	uint64_t addr;
	uint32_t line;
	uint32_t file;          /* index into the CU's file names */
	bool end_sequence;
	bool is_stmt;           /* a recommended breakpoint location */
};

struct sym_subprogram {
	uint64_t low, high;
	char *name;
};

struct sym_cu {
	Dwarf_Off die_offset;
	bool loaded;
	struct sym_line_row *rows;
	size_t nrows;
	char **files;
	size_t nfiles;
	struct sym_subprogram *subs;
	size_t nsubs;
};

/* One DWARF source: the file itself or its separate debug file. */
struct sym_dwarf {
	int fd;
	Dwarf_Debug dbg;        /* NULL: none */
	bool cus_listed;
	struct sym_cu *cus;
	size_t ncus;
	bool aranges_loaded;
	Dwarf_Arange *aranges;
	Dwarf_Signed naranges;
	/* CFI, loaded on first use: .eh_frame and .debug_frame. */
	bool eh_loaded, frame_loaded;
	Dwarf_Cie *eh_cies, *frame_cies;
	Dwarf_Fde *eh_fdes, *frame_fdes;
	Dwarf_Signed eh_ncies, eh_nfdes, frame_ncies, frame_nfdes;
};

struct sym_object {
	char id[TRACE_FILE_ID_LEN + 1];
	char *path;             /* recorded path ("" if unknown) */
	bool opened, usable;
	int fd;
	Elf *elf;
	struct sym_load_segment *segs;
	size_t nsegs;
	struct sym_elf_symbol *syms;    /* functions, sorted by address */
	size_t nsyms;
	bool has_symtab;                /* syms from .symtab, not .dynsym */
	char build_id[2 * 64 + 1];      /* hex; "" if none */
	char debuglink[256];            /* .gnu_debuglink file name; "" if none */
	struct sym_dwarf main, debug;   /* debug: the separate debug file */
	bool has_debug_file;
};

struct sym_table {
	const struct trace *t;
	struct sym_object *objs;
	size_t nobjs, cap;
	/* id -> recorded path, and stored debug files, from the filemap. */
	struct trace_file_entry *filemap;
	size_t nfilemap;
};

/* symbols_elf.c */
int sym_elf_load(struct sym_object *o);        /* segments, symbols, build-id */
void sym_elf_free(struct sym_object *o);
void sym_elf_add_debug_symbols(struct sym_object *o, int debug_fd);
/* The ELF virtual address of file offset `off`, or false. */
bool sym_elf_vaddr(const struct sym_object *o, uint64_t off, uint64_t *vaddr);
const struct sym_elf_symbol *sym_elf_find(const struct sym_object *o,
					  uint64_t vaddr);
bool sym_elf_has_debug_info(Elf *elf);

/* symbols_dwarf.c */
void sym_dwarf_open(struct sym_dwarf *d, int fd);  /* takes fd */
void sym_dwarf_close(struct sym_dwarf *d);
/* Line and enclosing function of vaddr: true when a line was found. */
bool sym_dwarf_line(struct sym_dwarf *d, uint64_t vaddr, const char **file,
		    unsigned *line);
const struct sym_subprogram *sym_dwarf_function(struct sym_dwarf *d,
						uint64_t vaddr);

/* symbols.c: the stored file mapped at addr in s (opened), and addr as
 * its ELF virtual address; NULL if none or unusable. */
struct sym_object *sym_resolve(struct sym_table *st, const struct sym_space *s,
			       uint64_t addr, uint64_t *vaddr);

/* symbols_unwind.c: the FDE covering vaddr in o (eh_frame, then
 * debug_frame of the file or its debug file), or NULL. */
Dwarf_Fde sym_unwind_fde(struct sym_object *o, uint64_t vaddr,
			 Dwarf_Debug *dbg);

#endif
