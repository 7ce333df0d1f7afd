/* Address to FILE:LINE from the DWARF line programs of every compile
 * unit, flattened into one sorted table at load time. */
#include "config.h"

#include "frontend/console_lines.h"

#include <libdwarf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static int add_row(struct console_lines *cl, uint64_t addr, unsigned line,
		   unsigned file, bool end)
{
	if (cl->nrows == cl->cap) {
		size_t cap = cl->cap ? 2 * cl->cap : 1024;
		void *p = realloc(cl->rows, cap * sizeof(*cl->rows));
		if (!p)
			return -1;
		cl->rows = p;
		cl->cap = cap;
	}
	cl->rows[cl->nrows++] = (struct console_line_row){ addr, line, file, end };
	return 0;
}

/* Rows of one file come together, so looking back a little finds it. */
static int intern_file(struct console_lines *cl, const char *path)
{
	const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	for (size_t i = cl->nfiles; i-- > 0 && i + 8 >= cl->nfiles;)
		if (strcmp(cl->files[i], base) == 0)
			return (int)i;
	char **p = realloc(cl->files, (cl->nfiles + 1) * sizeof(*p));
	if (!p)
		return -1;
	cl->files = p;
	if (!(cl->files[cl->nfiles] = strdup(base)))
		return -1;
	return (int)cl->nfiles++;
}

static int add_cu_lines(struct console_lines *cl, Dwarf_Debug dbg,
			Dwarf_Die cu, uint64_t bias)
{
	Dwarf_Unsigned version;
	Dwarf_Small tables;
	Dwarf_Line_Context ctx;
	Dwarf_Line *lines;
	Dwarf_Signed n;
	Dwarf_Error err = NULL;
	int rc = 0;

	if (dwarf_srclines_b(cu, &version, &tables, &ctx, &err) != DW_DLV_OK)
		return 0;   /* a unit without a line program */
	if (dwarf_srclines_from_linecontext(ctx, &lines, &n, &err) == DW_DLV_OK) {
		for (Dwarf_Signed i = 0; i < n && rc == 0; i++) {
			Dwarf_Addr addr;
			Dwarf_Unsigned lineno;
			Dwarf_Bool end;
			char *src;
			if (dwarf_lineaddr(lines[i], &addr, &err) != DW_DLV_OK ||
			    dwarf_lineno(lines[i], &lineno, &err) != DW_DLV_OK ||
			    dwarf_lineendsequence(lines[i], &end, &err) != DW_DLV_OK ||
			    dwarf_linesrc(lines[i], &src, &err) != DW_DLV_OK)
				continue;
			int file = intern_file(cl, src);
			dwarf_dealloc(dbg, src, DW_DLA_STRING);
			if (file < 0 || add_row(cl, addr + bias, (unsigned)lineno,
						(unsigned)file, end) < 0)
				rc = -1;
		}
	}
	dwarf_srclines_dealloc_b(ctx);
	return rc;
}

/* At one address, an end of sequence sorts before the row that starts
 * the next sequence there, so lookups find the start. */
static int by_addr(const void *a, const void *b)
{
	const struct console_line_row *x = a, *y = b;
	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	return (int)y->end - (int)x->end;
}

static int walk_units(struct console_lines *cl, Dwarf_Debug dbg, uint64_t bias)
{
	Dwarf_Unsigned header_length, typeoffset, next;
	Dwarf_Half version, address_size, length_size, extension_size, cu_type;
	Dwarf_Off abbrev;
	Dwarf_Sig8 signature;
	Dwarf_Error err = NULL;

	while (dwarf_next_cu_header_d(dbg, 1, &header_length, &version, &abbrev,
				      &address_size, &length_size,
				      &extension_size, &signature, &typeoffset,
				      &next, &cu_type, &err) == DW_DLV_OK) {
		Dwarf_Die cu = NULL;
		if (dwarf_siblingof_b(dbg, NULL, 1, &cu, &err) != DW_DLV_OK)
			continue;
		int rc = add_cu_lines(cl, dbg, cu, bias);
		dwarf_dealloc(dbg, cu, DW_DLA_DIE);
		if (rc < 0)
			return -1;
	}
	return 0;
}

int console_lines_load(struct console_lines *cl, const void *image,
		       size_t len, uint64_t bias, char *err, size_t errlen)
{
	Dwarf_Debug dbg = NULL;
	Dwarf_Error derr = NULL;
	int rc = -1;

	memset(cl, 0, sizeof(*cl));
	/* libdwarf reads files: give it the image as an anonymous one. */
	int fd = memfd_create("xrr-console-exe", MFD_CLOEXEC);
	if (fd < 0 || write(fd, image, len) != (ssize_t)len) {
		snprintf(err, errlen, "cannot stage the executable for libdwarf");
		goto out;
	}
#if XRR_LIBDWARF_INIT_B_ARGS == 6
	int st = dwarf_init_b(fd, DW_GROUPNUMBER_ANY, NULL, NULL, &dbg, &derr);
#else
	int st = dwarf_init_b(fd, DW_DLC_READ, DW_GROUPNUMBER_ANY, NULL, NULL,
			      &dbg, &derr);
#endif
	if (st != DW_DLV_OK) {
		snprintf(err, errlen, "%s", st == DW_DLV_NO_ENTRY ? "the "
			 "executable has no DWARF debugging information"
			 : dwarf_errmsg(derr));
		if (derr)
			dwarf_dealloc(NULL, derr, DW_DLA_ERROR);
		goto out;
	}
	if (walk_units(cl, dbg, bias) < 0) {
		snprintf(err, errlen, "out of memory reading the line table");
		console_lines_free(cl);
	} else {
		qsort(cl->rows, cl->nrows, sizeof(*cl->rows), by_addr);
		rc = 0;
	}
	dwarf_finish(dbg, &derr);
out:
	if (fd >= 0)
		close(fd);
	return rc;
}

bool console_lines_find(const struct console_lines *cl, uint64_t pc,
			char *out, size_t len)
{
	size_t lo = 0, hi = cl->nrows;
	while (lo < hi) {          /* first row above pc */
		size_t mid = (lo + hi) / 2;
		if (cl->rows[mid].addr <= pc)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0 || cl->rows[lo - 1].end)
		return false;
	const struct console_line_row *r = &cl->rows[lo - 1];
	snprintf(out, len, "%s:%u", cl->files[r->file], r->line);
	return true;
}

void console_lines_free(struct console_lines *cl)
{
	for (size_t i = 0; i < cl->nfiles; i++)
		free(cl->files[i]);
	free(cl->files);
	free(cl->rows);
	memset(cl, 0, sizeof(*cl));
}
