/* The console's own address-to-line lookup: the executable's DWARF line
 * table (read with libdwarf from the bytes the server sent through
 * vFile), for servers whose `monitor when` gives no source location. */
#ifndef XRR_FRONTEND_CONSOLE_LINES_H
#define XRR_FRONTEND_CONSOLE_LINES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct console_line_row {
	uint64_t addr;          /* load bias applied */
	unsigned line;
	unsigned file;          /* index into files */
	bool end;               /* end of a sequence: no line from here */
};

struct console_lines {
	struct console_line_row *rows;   /* sorted by address */
	size_t nrows, cap;
	char **files;                    /* base names */
	size_t nfiles;
};

/* Load the line table of the ELF image.  0, or -1 with err filled (no
 * debug information is an error the caller may ignore). */
int console_lines_load(struct console_lines *cl, const void *image,
		       size_t len, uint64_t bias, char *err, size_t errlen);
/* "file.c:17" for pc, false when no line covers it. */
bool console_lines_find(const struct console_lines *cl, uint64_t pc,
			char *out, size_t len);
void console_lines_free(struct console_lines *cl);

#endif
