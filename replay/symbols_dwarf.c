/* DWARF side of the symbolizer (replay/symbols.h), through libdwarf:
 * an address's source line from its compilation unit's line table, and
 * its function from the unit's DW_TAG_subprogram entries.
 *
 * A unit is found by .debug_aranges when the file has it (GCC emits it),
 * else every unit's line table is read until one covers the address.
 * A unit's rows and functions are read once, on first use. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "replay/symbols_internal.h"

static void drop_error(Dwarf_Debug dbg, Dwarf_Error *e)
{
	if (*e)
		dwarf_dealloc(dbg, *e, DW_DLA_ERROR);
	*e = NULL;
}

void sym_dwarf_open(struct sym_dwarf *d, int fd)
{
	memset(d, 0, sizeof(*d));
	d->fd = fd;
	if (fd < 0 || symdw_init(fd, &d->dbg) != DW_DLV_OK)
		d->dbg = NULL;
}

static void free_cu(struct sym_cu *cu)
{
	free(cu->rows);
	for (size_t i = 0; i < cu->nfiles; i++)
		free(cu->files[i]);
	free(cu->files);
	for (size_t i = 0; i < cu->nsubs; i++)
		free(cu->subs[i].name);
	free(cu->subs);
}

void sym_dwarf_close(struct sym_dwarf *d)
{
	for (size_t i = 0; i < d->ncus; i++)
		free_cu(&d->cus[i]);
	free(d->cus);
	if (d->dbg) {
		if (d->eh_loaded && d->eh_fdes)
			dwarf_fde_cie_list_dealloc(d->dbg, d->eh_cies, d->eh_ncies,
						   d->eh_fdes, d->eh_nfdes);
		if (d->frame_loaded && d->frame_fdes)
			dwarf_fde_cie_list_dealloc(d->dbg, d->frame_cies,
						   d->frame_ncies, d->frame_fdes,
						   d->frame_nfdes);
		if (d->aranges) {
			for (Dwarf_Signed i = 0; i < d->naranges; i++)
				dwarf_dealloc(d->dbg, d->aranges[i], DW_DLA_ARANGE);
			dwarf_dealloc(d->dbg, d->aranges, DW_DLA_LIST);
		}
		symdw_finish(d->dbg);
	}
	if (d->fd >= 0)
		close(d->fd);
	memset(d, 0, sizeof(*d));
	d->fd = -1;
}

/* ---- the units ------------------------------------------------------------------ */

static void list_cus(struct sym_dwarf *d)
{
	Dwarf_Error e = NULL;

	d->cus_listed = true;
	for (;;) {
		Dwarf_Unsigned len, type_off, next = 0;
		Dwarf_Half version, addr_size, off_size, ext_size, cu_type;
		Dwarf_Off abbrev;
		Dwarf_Sig8 sig;
		Dwarf_Die die = NULL;
		Dwarf_Off off = 0;
		int rc = dwarf_next_cu_header_d(d->dbg, 1, &len, &version,
						&abbrev, &addr_size, &off_size,
						&ext_size, &sig, &type_off,
						&next, &cu_type, &e);
		if (rc != DW_DLV_OK)
			break;
		if (dwarf_siblingof_b(d->dbg, NULL, 1, &die, &e) != DW_DLV_OK) {
			drop_error(d->dbg, &e);
			continue;
		}
		int ok = dwarf_dieoffset(die, &off, &e);
		dwarf_dealloc(d->dbg, die, DW_DLA_DIE);
		if (ok != DW_DLV_OK) {
			drop_error(d->dbg, &e);
			continue;
		}
		struct sym_cu *v = realloc(d->cus, (d->ncus + 1) * sizeof(*v));
		if (!v)
			break;
		d->cus = v;
		d->cus[d->ncus++] = (struct sym_cu){ .die_offset = off };
	}
	drop_error(d->dbg, &e);
}

struct row_sort {
	struct sym_line_row row;
	size_t index;
};

/* By address; at one address an end of sequence before the row that
 * starts the next one, else in table order. */
static int row_cmp(const void *a, const void *b)
{
	const struct row_sort *x = a, *y = b;
	if (x->row.addr != y->row.addr)
		return x->row.addr < y->row.addr ? -1 : 1;
	if (x->row.end_sequence != y->row.end_sequence)
		return x->row.end_sequence ? -1 : 1;
	return x->index < y->index ? -1 : x->index > y->index;
}

static uint32_t file_index(struct sym_cu *cu, const char *path)
{
	const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	for (size_t i = cu->nfiles; i-- > 0;)
		if (strcmp(cu->files[i], base) == 0)
			return (uint32_t)i;
	char **v = realloc(cu->files, (cu->nfiles + 1) * sizeof(*v));
	char *copy = strdup(base);
	if (!v || !copy) {
		free(copy);
		if (v)
			cu->files = v;
		return UINT32_MAX;
	}
	cu->files = v;
	cu->files[cu->nfiles] = copy;
	return (uint32_t)cu->nfiles++;
}

static void load_rows(struct sym_dwarf *d, struct sym_cu *cu, Dwarf_Die die)
{
	Dwarf_Unsigned version;
	Dwarf_Small tables;
	Dwarf_Line_Context ctx;
	Dwarf_Line *lines;
	Dwarf_Signed n;
	Dwarf_Error e = NULL;

	if (dwarf_srclines_b(die, &version, &tables, &ctx, &e) != DW_DLV_OK) {
		drop_error(d->dbg, &e);
		return;
	}
	if (dwarf_srclines_from_linecontext(ctx, &lines, &n, &e) != DW_DLV_OK ||
	    n <= 0) {
		drop_error(d->dbg, &e);
		dwarf_srclines_dealloc_b(ctx);
		return;
	}
	struct row_sort *v = calloc((size_t)n, sizeof(*v));
	size_t k = 0;
	for (Dwarf_Signed i = 0; v && i < n; i++) {
		Dwarf_Addr addr;
		Dwarf_Unsigned line;
		Dwarf_Bool end = 0, stmt = 0;
		char *src = NULL;
		if (dwarf_lineaddr(lines[i], &addr, &e) != DW_DLV_OK ||
		    dwarf_lineno(lines[i], &line, &e) != DW_DLV_OK ||
		    dwarf_linebeginstatement(lines[i], &stmt, &e) != DW_DLV_OK ||
		    dwarf_lineendsequence(lines[i], &end, &e) != DW_DLV_OK) {
			drop_error(d->dbg, &e);
			continue;
		}
		uint32_t file = UINT32_MAX;
		if (dwarf_linesrc(lines[i], &src, &e) == DW_DLV_OK) {
			file = file_index(cu, src);
			dwarf_dealloc(d->dbg, src, DW_DLA_STRING);
		}
		drop_error(d->dbg, &e);
		v[k].row = (struct sym_line_row){ .addr = addr,
			.line = (uint32_t)line, .file = file,
			.end_sequence = end != 0, .is_stmt = stmt != 0 };
		v[k].index = k;
		k++;
	}
	dwarf_srclines_dealloc_b(ctx);
	if (!v)
		return;
	qsort(v, k, sizeof(*v), row_cmp);
	cu->rows = calloc(k ? k : 1, sizeof(*cu->rows));
	for (size_t i = 0; cu->rows && i < k; i++)
		cu->rows[i] = v[i].row;
	cu->nrows = cu->rows ? k : 0;
	free(v);
}

/* A subprogram's name, or that of the declaration or abstract instance
 * it completes (C++ methods, out-of-line copies of inline functions). */
static char *die_name(struct sym_dwarf *d, Dwarf_Die die, int depth)
{
	static const Dwarf_Half refs[] = { DW_AT_specification,
					   DW_AT_abstract_origin };
	Dwarf_Error e = NULL;
	char *name = NULL;

	if (dwarf_diename(die, &name, &e) == DW_DLV_OK && name)
		return strdup(name);
	drop_error(d->dbg, &e);
	for (size_t i = 0; depth < 4 && i < 2; i++) {
		Dwarf_Attribute attr;
		Dwarf_Off off;
		Dwarf_Die other;
		if (dwarf_attr(die, refs[i], &attr, &e) != DW_DLV_OK) {
			drop_error(d->dbg, &e);
			continue;
		}
		int rc = dwarf_global_formref(attr, &off, &e);
		dwarf_dealloc(d->dbg, attr, DW_DLA_ATTR);
		if (rc != DW_DLV_OK ||
		    dwarf_offdie_b(d->dbg, off, 1, &other, &e) != DW_DLV_OK) {
			drop_error(d->dbg, &e);
			continue;
		}
		char *s = die_name(d, other, depth + 1);
		dwarf_dealloc(d->dbg, other, DW_DLA_DIE);
		if (s)
			return s;
	}
	return NULL;
}

static bool die_range(struct sym_dwarf *d, Dwarf_Die die, uint64_t *low,
		      uint64_t *high)
{
	Dwarf_Addr lo, hi;
	Dwarf_Half form;
	enum Dwarf_Form_Class cls;
	Dwarf_Error e = NULL;

	if (dwarf_lowpc(die, &lo, &e) != DW_DLV_OK ||
	    dwarf_highpc_b(die, &hi, &form, &cls, &e) != DW_DLV_OK) {
		drop_error(d->dbg, &e);
		return false;
	}
	*low = lo;
	*high = cls == DW_FORM_CLASS_CONSTANT ? lo + hi : hi;
	return *high > *low;
}

static void add_subprogram(struct sym_dwarf *d, struct sym_cu *cu,
			   Dwarf_Die die)
{
	uint64_t low, high;
	if (!die_range(d, die, &low, &high))
		return;
	char *name = die_name(d, die, 0);
	struct sym_subprogram *v = realloc(cu->subs, (cu->nsubs + 1) *
					   sizeof(*v));
	if (!name || !v) {
		free(name);
		if (v)
			cu->subs = v;
		return;
	}
	cu->subs = v;
	cu->subs[cu->nsubs++] = (struct sym_subprogram){ low, high, name };
}

/* Subprograms among die's children: at the top of the unit, in
 * namespaces, and nested (GNU C nested functions). */
static void load_subprograms(struct sym_dwarf *d, struct sym_cu *cu,
			     Dwarf_Die parent, int depth)
{
	Dwarf_Error e = NULL;
	Dwarf_Die child = NULL;

	if (depth > 8 || dwarf_child(parent, &child, &e) != DW_DLV_OK) {
		drop_error(d->dbg, &e);
		return;
	}
	while (child) {
		Dwarf_Half tag = 0;
		if (dwarf_tag(child, &tag, &e) == DW_DLV_OK) {
			if (tag == DW_TAG_subprogram)
				add_subprogram(d, cu, child);
			if (tag == DW_TAG_subprogram || tag == DW_TAG_namespace)
				load_subprograms(d, cu, child, depth + 1);
		}
		drop_error(d->dbg, &e);
		Dwarf_Die next = NULL;
		int rc = dwarf_siblingof_b(d->dbg, child, 1, &next, &e);
		dwarf_dealloc(d->dbg, child, DW_DLA_DIE);
		drop_error(d->dbg, &e);
		child = rc == DW_DLV_OK ? next : NULL;
	}
}

static void load_cu(struct sym_dwarf *d, struct sym_cu *cu)
{
	Dwarf_Die die;
	Dwarf_Error e = NULL;

	cu->loaded = true;
	if (dwarf_offdie_b(d->dbg, cu->die_offset, 1, &die, &e) != DW_DLV_OK) {
		drop_error(d->dbg, &e);
		return;
	}
	load_rows(d, cu, die);
	load_subprograms(d, cu, die, 0);
	dwarf_dealloc(d->dbg, die, DW_DLA_DIE);
}

/* The row covering vaddr in cu, or NULL. */
static const struct sym_line_row *cu_row(const struct sym_cu *cu,
					 uint64_t vaddr)
{
	size_t lo = 0, hi = cu->nrows;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (cu->rows[mid].addr <= vaddr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo || cu->rows[lo - 1].end_sequence)
		return NULL;
	/* Several rows at one address (an -O2 function whose body is one
	 * instruction, location views): the last that is a statement
	 * names it, as GDB does. */
	size_t last = lo - 1;
	for (size_t i = last + 1; i-- > 0;) {
		if (cu->rows[i].addr != cu->rows[last].addr ||
		    cu->rows[i].end_sequence)
			break;
		if (cu->rows[i].is_stmt)
			return &cu->rows[i];
	}
	return &cu->rows[last];
}

static struct sym_cu *cu_by_offset(struct sym_dwarf *d, Dwarf_Off off)
{
	for (size_t i = 0; i < d->ncus; i++)
		if (d->cus[i].die_offset == off)
			return &d->cus[i];
	return NULL;
}

static struct sym_cu *cu_by_aranges(struct sym_dwarf *d, uint64_t vaddr)
{
	Dwarf_Error e = NULL;
	Dwarf_Arange ar;
	Dwarf_Off off;

	if (!d->aranges_loaded) {
		d->aranges_loaded = true;
		if (dwarf_get_aranges(d->dbg, &d->aranges, &d->naranges,
				      &e) != DW_DLV_OK) {
			drop_error(d->dbg, &e);
			d->aranges = NULL;
			d->naranges = 0;
		}
	}
	if (!d->aranges ||
	    dwarf_get_arange(d->aranges, (Dwarf_Unsigned)d->naranges, vaddr,
			     &ar, &e) != DW_DLV_OK ||
	    dwarf_get_cu_die_offset(ar, &off, &e) != DW_DLV_OK) {
		drop_error(d->dbg, &e);
		return NULL;
	}
	return cu_by_offset(d, off);
}

/* The unit whose line table covers vaddr (loaded), or NULL. */
static struct sym_cu *find_cu(struct sym_dwarf *d, uint64_t vaddr)
{
	if (!d->dbg)
		return NULL;
	if (!d->cus_listed)
		list_cus(d);
	struct sym_cu *cu = cu_by_aranges(d, vaddr);
	if (cu) {
		if (!cu->loaded)
			load_cu(d, cu);
		return cu;
	}
	for (size_t i = 0; i < d->ncus; i++) {
		if (!d->cus[i].loaded)
			load_cu(d, &d->cus[i]);
		if (cu_row(&d->cus[i], vaddr))
			return &d->cus[i];
	}
	return NULL;
}

bool sym_dwarf_line(struct sym_dwarf *d, uint64_t vaddr, const char **file,
		    unsigned *line)
{
	const struct sym_cu *cu = find_cu(d, vaddr);
	const struct sym_line_row *row = cu ? cu_row(cu, vaddr) : NULL;

	if (!row || !row->line || row->file >= cu->nfiles)
		return false;
	*file = cu->files[row->file];
	*line = row->line;
	return true;
}

/* The innermost subprogram containing vaddr. */
const struct sym_subprogram *sym_dwarf_function(struct sym_dwarf *d,
						uint64_t vaddr)
{
	const struct sym_cu *cu = find_cu(d, vaddr);
	const struct sym_subprogram *best = NULL;

	for (size_t i = 0; cu && i < cu->nsubs; i++) {
		const struct sym_subprogram *s = &cu->subs[i];
		if (vaddr >= s->low && vaddr < s->high &&
		    (!best || s->high - s->low < best->high - best->low))
			best = s;
	}
	return best;
}
