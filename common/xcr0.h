/* XCR0 components as data: one table every layer shares (the target
 * description's flags, the XSAVE model, `xrr info`, error messages). */
#ifndef XRR_COMMON_XCR0_H
#define XRR_COMMON_XCR0_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/x86_regfile.h"

struct xcr0_component {
	int bit;
	const char *name;       /* short lower-case name: "zmm_hi256" */
	const char *description;
	uint32_t size;          /* architectural size in bytes (0: legacy area) */
	bool user;              /* may be set in XCR0 (not an IA32_XSS bit) */
};

extern const struct xcr0_component xcr0_components[];
extern const size_t xcr0_component_count;

/* NULL for bits the table does not know. */
const struct xcr0_component *xcr0_component_by_bit(int bit);
/* Bit number for a short name (case-insensitive), or -1. */
int xcr0_component_by_name(const char *name);

/* "0xe7 (x87|sse|avx|opmask|zmm_hi256|hi16_zmm)".  Unknown bits are shown
 * as "bitN".  Returns out. */
char *xcr0_format(char *out, size_t outlen, uint64_t xcr0);

/* Parse "0xe7", "231" or "x87|sse|avx".  Returns false on bad syntax. */
bool xcr0_parse(const char *text, uint64_t *out);

#endif
