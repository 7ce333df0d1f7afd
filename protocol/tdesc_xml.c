/* Client-side target description reader, on expat: only <feature> and
 * <reg> matter here; types and the rest are skipped. */
#include "config.h"

#include "protocol/tdesc_xml.h"

#include <expat.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct parse_state {
	XML_Parser parser;
	struct tdesc_xml *td;
	size_t cap;
	char *feature;
	unsigned next_regnum;
	char *err;
	size_t errlen;
	bool failed;
};

static void fail(struct parse_state *ps, const char *fmt, const char *arg)
{
	if (ps->failed)
		return;
	ps->failed = true;
	char msg[200];
	snprintf(msg, sizeof(msg), fmt, arg);
	snprintf(ps->err, ps->errlen, "target description line %lu: %s",
		 (unsigned long)XML_GetCurrentLineNumber(ps->parser), msg);
	XML_StopParser(ps->parser, XML_FALSE);
}

static const char *attr(const XML_Char **atts, const char *name)
{
	for (size_t i = 0; atts[i]; i += 2)
		if (strcmp(atts[i], name) == 0)
			return atts[i + 1];
	return NULL;
}

static bool parse_unsigned(const char *s, unsigned *out)
{
	char *end;
	if (!s || !*s)
		return false;
	unsigned long v = strtoul(s, &end, 0);
	if (*end || v > 1u << 20)
		return false;
	*out = (unsigned)v;
	return true;
}

static void add_reg(struct parse_state *ps, const XML_Char **atts)
{
	const char *name = attr(atts, "name"), *type = attr(atts, "type");
	unsigned bitsize, regnum = ps->next_regnum;
	if (!name || !*name)
		return fail(ps, "a <reg> without a name%s", "");
	if (!parse_unsigned(attr(atts, "bitsize"), &bitsize) || bitsize == 0 ||
	    bitsize % 8)
		return fail(ps, "register %s has no usable bitsize", name);
	if (attr(atts, "regnum") && !parse_unsigned(attr(atts, "regnum"), &regnum))
		return fail(ps, "register %s has a bad regnum", name);
	if (ps->td->nregs == ps->cap) {
		size_t cap = ps->cap ? 2 * ps->cap : 64;
		void *p = realloc(ps->td->regs, cap * sizeof(*ps->td->regs));
		if (!p)
			return fail(ps, "out of memory%s", "");
		ps->td->regs = p;
		ps->cap = cap;
	}
	ps->td->regs[ps->td->nregs++] = (struct tdesc_xml_reg){
		.name = strdup(name),
		.feature = strdup(ps->feature ? ps->feature : ""),
		.type = strdup(type ? type : ""),
		.bitsize = bitsize,
		.regnum = regnum,
	};
	struct tdesc_xml_reg *r = &ps->td->regs[ps->td->nregs - 1];
	if (!r->name || !r->feature || !r->type)
		return fail(ps, "out of memory%s", "");
	ps->next_regnum = regnum + 1;
}

static void XMLCALL on_start(void *data, const XML_Char *el,
			     const XML_Char **atts)
{
	struct parse_state *ps = data;
	if (strcmp(el, "feature") == 0) {
		free(ps->feature);
		const char *name = attr(atts, "name");
		ps->feature = strdup(name ? name : "");
	} else if (strcmp(el, "reg") == 0) {
		add_reg(ps, atts);
	} else if (strcmp(el, "xi:include") == 0) {
		fail(ps, "<xi:include href=\"%s\"> is not supported (xrr's "
		     "servers send one document)", attr(atts, "href") ?
		     attr(atts, "href") : "");
	}
}

static int by_regnum(const void *a, const void *b)
{
	const struct tdesc_xml_reg *x = *(struct tdesc_xml_reg *const *)a;
	const struct tdesc_xml_reg *y = *(struct tdesc_xml_reg *const *)b;
	return x->regnum < y->regnum ? -1 : x->regnum > y->regnum;
}

/* A g reply holds the registers in regnum order. */
static int assign_offsets(struct tdesc_xml *td)
{
	struct tdesc_xml_reg **order = calloc(td->nregs ? td->nregs : 1,
					      sizeof(*order));
	if (!order)
		return -1;
	for (size_t i = 0; i < td->nregs; i++)
		order[i] = &td->regs[i];
	qsort(order, td->nregs, sizeof(*order), by_regnum);
	size_t off = 0;
	for (size_t i = 0; i < td->nregs; i++) {
		order[i]->g_offset = off;
		off += order[i]->bitsize / 8;
	}
	td->g_size = off;
	free(order);
	return 0;
}

int tdesc_xml_parse(const char *xml, size_t len, struct tdesc_xml *out,
		    char *err, size_t errlen)
{
	memset(out, 0, sizeof(*out));
	struct parse_state ps = { .td = out, .err = err, .errlen = errlen };
	ps.parser = XML_ParserCreate(NULL);
	if (!ps.parser) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	XML_SetUserData(ps.parser, &ps);
	XML_SetStartElementHandler(ps.parser, on_start);
	if (XML_Parse(ps.parser, xml, (int)len, XML_TRUE) == XML_STATUS_ERROR &&
	    !ps.failed) {
		snprintf(err, errlen, "target description line %lu: %s",
			 (unsigned long)XML_GetCurrentLineNumber(ps.parser),
			 XML_ErrorString(XML_GetErrorCode(ps.parser)));
		ps.failed = true;
	}
	XML_ParserFree(ps.parser);
	free(ps.feature);
	if (!ps.failed && out->nregs == 0) {
		snprintf(err, errlen, "the target description declares no "
			 "registers");
		ps.failed = true;
	}
	if (!ps.failed && assign_offsets(out) < 0) {
		snprintf(err, errlen, "out of memory");
		ps.failed = true;
	}
	if (ps.failed) {
		tdesc_xml_free(out);
		return -1;
	}
	return 0;
}

void tdesc_xml_free(struct tdesc_xml *td)
{
	for (size_t i = 0; i < td->nregs; i++) {
		free(td->regs[i].name);
		free(td->regs[i].feature);
		free(td->regs[i].type);
	}
	free(td->regs);
	memset(td, 0, sizeof(*td));
}

const struct tdesc_xml_reg *tdesc_xml_find(const struct tdesc_xml *td,
					   const char *name)
{
	for (size_t i = 0; i < td->nregs; i++)
		if (strcmp(td->regs[i].name, name) == 0)
			return &td->regs[i];
	return NULL;
}
