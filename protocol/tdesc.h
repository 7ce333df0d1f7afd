/* x86-64 target descriptions and the matching register table.
 *
 * GDB fixes its register set once per inferior from target.xml, so the
 * description covers the union of every XCR0 the session may show.  Per
 * thread, registers whose component lies outside that thread's XCR0 are
 * sent as `xx` (GDB shows <unavailable>), and the project's own feature
 * "org.xrr.xstate" holds a 64-bit `xcr0` register so `p/x $xcr0` differs
 * per thread. */
#ifndef XRR_PROTOCOL_TDESC_H
#define XRR_PROTOCOL_TDESC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/x86_regfile.h"
#include "protocol/rsp.h"

#define TDESC_ALWAYS (-1)   /* owning component for core registers */

struct tdesc_reg {
	const char *name;
	unsigned bitsize;
	unsigned regnum;        /* GDB register number = index in the table */
	size_t g_offset;        /* byte offset of its hex in a g reply / 2 */
	size_t file_offset;     /* offsetof(struct x86_regfile, ...) */
	int component;          /* XCR0 bit that owns it, or TDESC_ALWAYS */
	const char *feature;    /* e.g. "org.gnu.gdb.i386.avx512" */
};

struct tdesc {
	uint64_t xcr0_union;    /* components the description covers */
	struct tdesc_reg *regs;
	size_t nregs;
	size_t g_size;          /* bytes in a full g reply (before hex) */
	int xcr0_regnum;        /* regnum of `xcr0` */
	int rip_regnum, rsp_regnum, rbp_regnum;
	char *xml;              /* target.xml, every feature inline */
	size_t xml_len;
	/* The same registers for LLDB: wide vectors marked as such, plus
	 * whole ymm16-31 and zmm0-31 assembled from their pieces. */
	char *lldb_xml;
	size_t lldb_xml_len;
};

/* Build the description for the given union of XCR0 values.  Returns 0,
 * or -1 with err filled when the mask is not a usable x86-64 XCR0 (x87
 * and SSE are required). */
int tdesc_build(struct tdesc *td, uint64_t xcr0_union, char *err,
		size_t errlen);
void tdesc_free(struct tdesc *td);

const struct tdesc_reg *tdesc_find_reg(const struct tdesc *td,
				       const char *name);

/* Whether register `r` is available in a thread running with `xcr0`. */
bool tdesc_reg_available(const struct tdesc_reg *r, uint64_t xcr0);

/* Append the hex of every register (g reply) or of one (p reply), with
 * `xx` for registers outside rf->xcr0.  tdesc_encode_reg returns -1 for
 * an unknown register number. */
void tdesc_encode_g(const struct tdesc *td, const struct x86_regfile *rf,
		    struct rsp_buf *out);
int tdesc_encode_reg(const struct tdesc *td, unsigned regnum,
		     const struct x86_regfile *rf, struct rsp_buf *out);

/* Decode a G payload or one P value into rf.  Bytes sent as `xx` leave
 * the register untouched.  Return 0, or -1 on a malformed value or
 * unknown register number. */
int tdesc_decode_g(const struct tdesc *td, const char *hex, size_t len,
		   struct x86_regfile *rf);
int tdesc_decode_reg(const struct tdesc *td, unsigned regnum, const char *hex,
		     size_t len, struct x86_regfile *rf);

#endif
