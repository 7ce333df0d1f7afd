/* Reading a target description (target.xml) on the client side: the
 * registers it declares, with GDB's numbering rules (a `regnum`
 * attribute, else one more than the previous register). */
#ifndef XRR_PROTOCOL_TDESC_XML_H
#define XRR_PROTOCOL_TDESC_XML_H

#include <stddef.h>

struct tdesc_xml_reg {
	char *name;
	char *feature;          /* the <feature name=...> it is declared in */
	char *type;             /* "int64", "vec128", ... ("" if none) */
	unsigned bitsize;
	unsigned regnum;
	size_t g_offset;        /* byte offset in a `g` reply, registers in
				 * regnum order */
};

struct tdesc_xml {
	struct tdesc_xml_reg *regs;   /* in document order */
	size_t nregs;
	size_t g_size;               /* bytes in a whole `g` reply */
};

/* Parse `xml`.  0, or -1 with err filled (malformed XML, a register
 * without a name or size, an <xi:include> this reader does not follow). */
int tdesc_xml_parse(const char *xml, size_t len, struct tdesc_xml *out,
		    char *err, size_t errlen);
void tdesc_xml_free(struct tdesc_xml *td);
const struct tdesc_xml_reg *tdesc_xml_find(const struct tdesc_xml *td,
					   const char *name);

#endif
