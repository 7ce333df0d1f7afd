/* xrr check [TRACE] [--json]: can this host replay the trace?  The
 * recording machine and this one side by side: XCR0, components missing
 * here, XSAVE layout differences, ISA controls, the backend replay will
 * use, and a verdict with the command that would record a portable
 * trace.  docs/xcr0.md explains each line. */
#include "config.h"

#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/xcr0.h"
#include "frontend/check.h"
#include "frontend/frontend.h"
#include "replay/trace.h"
#include "replay/xcr0_kernel.h"
#include "replay/xsave_model.h"

enum verdict {
	V_AS_IS,                /* same XCR0, same layout */
	V_WITH_MASKING,         /* needs masking and/or layout conversion */
	V_NOT_REPLAYABLE,
};

static const char *const verdict_text[] = {
	[V_AS_IS] = "replayable as is",
	[V_WITH_MASKING] = "replayable with XCR0 masking or layout conversion",
	[V_NOT_REPLAYABLE] = "not replayable",
};

struct check {
	const struct trace_header *h;
	uint64_t needed;        /* every XCR0 the program's threads saw */
	uint64_t host;          /* this host's (or XRR_HOST_XCR0) */
	struct xsave_layout host_layout;
	uint64_t missing, layout_diff;
	struct xcr0_kernel_probe kp;
	const char *backend;
	enum verdict verdict;
	uint64_t suggest;       /* --xcr0 for a portable re-recording */
	char argv_text[2048];
};

static const char check_help[] =
	"Usage: xrr check [TRACE] [--json]\n"
	"\n"
	"Compare the machine that recorded TRACE (default: latest-trace) with\n"
	"this one: XCR0, XSAVE layout, ISA controls, the backend replay will\n"
	"use.  Exit status 0 when the trace is replayable here, 1 when not.\n"
	"XRR_HOST_XCR0=MASK makes xrr treat this host as having XCR0 MASK.\n";

/* Largest legal XCR0 inside m: drop groups the rules want whole. */
static uint64_t legal_within(uint64_t m)
{
	static const uint64_t groups[] = { XCR0_AVX512, 0x18, 0x60000 };

	m |= XCR0_X87;
	for (size_t i = 0; i < sizeof(groups) / sizeof(groups[0]); i++)
		if ((m & groups[i]) != groups[i])
			m &= ~groups[i];
	if (!(m & XCR0_SSE))
		m &= ~(uint64_t)XCR0_AVX;
	if (!(m & XCR0_AVX))
		m &= ~(uint64_t)XCR0_AVX512;
	if ((m & 0x8) && (m & (1ull << 19)))
		m &= ~(1ull << 19);
	return m & ~xsave_model_supervisor_mask();
}

static void quote_argv(struct check *c)
{
	size_t used = 0;

	c->argv_text[0] = 0;
	for (size_t i = 0; i < c->h->argc && used < sizeof(c->argv_text); i++) {
		const char *a = c->h->argv[i];
		bool plain = *a && strspn(a, "abcdefghijklmnopqrstuvwxyz"
					  "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
					  "_-./=:,+@%") == strlen(a);
		used += (size_t)snprintf(c->argv_text + used,
					 sizeof(c->argv_text) - used,
					 plain ? "%s%s" : "%s'%s'",
					 i ? " " : "", a);
	}
}

static void analyse(struct check *c)
{
	const struct trace_header *h = c->h;

	c->needed = h->initial_xcr0;
	for (size_t i = 0; i < h->nthread_xcr0; i++)
		c->needed |= h->thread_xcr0[i].xcr0;
	c->host = xsave_model_host_xcr0();
	if (xsave_layout_host(&c->host_layout) < 0)
		memset(&c->host_layout, 0, sizeof(c->host_layout));
	c->missing = c->needed & ~c->host;
	c->layout_diff = xsave_model_layout_differences(&h->xsave,
							&c->host_layout) &
			 c->needed;
	xcr0_kernel_detect_host(&c->kp);
	quote_argv(c);
	c->suggest = legal_within(c->needed & c->host);
	if (c->missing) {
		c->verdict = V_NOT_REPLAYABLE;
		c->backend = "none (the trace needs components this host lacks)";
	} else if (c->needed == c->host && !c->layout_diff) {
		c->verdict = V_AS_IS;
		c->backend = "none needed";
	} else {
		c->verdict = V_WITH_MASKING;
		if (c->needed == c->host)
			c->backend = "none for XCR0 (layout conversion of recorded"
				     " XSAVE images)";
		else if (c->kp.xcr0_control)
			c->backend = "kernel ARCH_SET_XCR0";
		else if (h->insn_virt == TRACE_INSN_VIRT_PATCH)
			c->backend = "instruction virtualisation (the trace's"
				     " patched sites)";
		else
			c->backend = "instruction virtualisation (sites found"
				     " again in the same files)";
	}
}

/* ---- text ---------------------------------------------------------------------- */

static void vendor_of(const struct trace_header *h, char out[13])
{
	const struct cpuid_leaf *l = trace_header_find_cpuid(h, 0, 0);

	memset(out, 0, 13);
	if (l) {
		memcpy(out, &l->ebx, 4);
		memcpy(out + 4, &l->edx, 4);
		memcpy(out + 8, &l->ecx, 4);
	}
}

static void host_vendor(char out[13])
{
	struct cpuid_leaf l = { 0 };
	__asm__ volatile("cpuid" : "=a"(l.eax), "=b"(l.ebx), "=c"(l.ecx),
			 "=d"(l.edx) : "a"(0), "c"(0));
	memcpy(out, &l.ebx, 4);
	memcpy(out + 4, &l.edx, 4);
	memcpy(out + 8, &l.ecx, 4);
	out[12] = 0;
}

static void print_layouts(const struct check *c, FILE *out)
{
	fprintf(out, "XSAVE layout (offset/size)     recording      this host\n");
	for (int i = 2; i < XSAVE_MAX_COMPONENTS; i++) {
		const struct xsave_component_layout *a = &c->h->xsave.comp[i];
		const struct xcr0_component *k = xcr0_component_by_bit(i);
		const struct xsave_component_layout *b = &c->host_layout.comp[i];
		if (!(c->needed & (1ull << i)) && !a->supported)
			continue;
		if (!a->supported && !b->supported)
			continue;
		char ra[32] = "absent", rb[32] = "absent";
		if (a->supported)
			snprintf(ra, sizeof(ra), "%u/%u", a->offset, a->size);
		if (b->supported)
			snprintf(rb, sizeof(rb), "%u/%u", b->offset, b->size);
		fprintf(out, "  %-12s (bit %2d)          %-14s %-14s%s\n",
			k ? k->name : "?", i, ra, rb,
			(c->layout_diff >> i) & 1 ? " differs" :
			(c->missing >> i) & 1 ? " MISSING" : "");
	}
}

static void print_text(const struct check *c, FILE *out)
{
	char a[200], b[200], m[200], rv[13], hv[13];
	const struct trace_header *h = c->h;

	vendor_of(h, rv);
	host_vendor(hv);
	fprintf(out, "                    recording machine                 this host\n");
	fprintf(out, "CPU vendor          %-33s %s\n", rv, hv);
	fprintf(out, "kernel              %-33s\n", h->uname.release ? h->uname.release : "?");
	fprintf(out, "XCR0 (machine)      %-33s %s\n",
		xcr0_format(a, sizeof(a), h->host_xcr0),
		xcr0_format(b, sizeof(b), c->host));
	fprintf(out, "XCR0 (program saw)  %s\n", xcr0_format(a, sizeof(a), c->needed));
	fprintf(out, "missing here        %s\n", c->missing ?
		xcr0_format(m, sizeof(m), c->missing) : "nothing");
	print_layouts(c, out);
	fprintf(out, "CPUID faulting      %-33s %s\n",
		h->cpuid_faulting ? "used" : "not used",
		c->kp.cpuid_faulting ? "available" : "not available");
	fprintf(out, "kernel XCR0 control %-33s %s\n",
		h->kernel_xcr0_control ? "used" : "not used",
		c->kp.xcr0_control ? "available" : "not available");
	fprintf(out, "  here: %s\n", c->kp.xcr0_reason);
	fprintf(out, "insn virtualisation %s\n",
		h->insn_virt == TRACE_INSN_VIRT_PATCH ? "used (CPUID/XGETBV/XSAVE"
		" sites patched)" : "not used");
	fprintf(out, "replay backend      %s\n", c->backend);
	fprintf(out, "verdict             %s\n", verdict_text[c->verdict]);
	if (c->verdict == V_NOT_REPLAYABLE)
		fprintf(out, "portable recording  xrr record --xcr0 %#" PRIx64
			" -- %s\n", c->suggest, c->argv_text);
}

/* ---- JSON ---------------------------------------------------------------------- */

static void json_str(FILE *out, const char *s)
{
	fputc('"', out);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fprintf(out, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			fprintf(out, "\\u%04x", *s);
		else
			fputc(*s, out);
	}
	fputc('"', out);
}

static void print_json(const struct check *c, FILE *out)
{
	char cmd[2200];

	fprintf(out, "{\"recording_xcr0\": \"%#" PRIx64 "\", \"program_xcr0\":"
		" \"%#" PRIx64 "\", \"host_xcr0\": \"%#" PRIx64 "\", \"missing\":"
		" \"%#" PRIx64 "\", \"layout_differences\": \"%#" PRIx64 "\",",
		c->h->host_xcr0, c->needed, c->host, c->missing, c->layout_diff);
	fprintf(out, " \"cpuid_faulting\": {\"recording\": %s, \"host\": %s},",
		c->h->cpuid_faulting ? "true" : "false",
		c->kp.cpuid_faulting ? "true" : "false");
	fprintf(out, " \"kernel_xcr0_control\": {\"recording\": %s, \"host\": %s},",
		c->h->kernel_xcr0_control ? "true" : "false",
		c->kp.xcr0_control ? "true" : "false");
	fprintf(out, " \"insn_virt\": %s, \"backend\": ",
		c->h->insn_virt == TRACE_INSN_VIRT_PATCH ? "true" : "false");
	json_str(out, c->backend);
	fprintf(out, ", \"verdict\": ");
	json_str(out, verdict_text[c->verdict]);
	fprintf(out, ", \"replayable\": %s",
		c->verdict == V_NOT_REPLAYABLE ? "false" : "true");
	if (c->verdict == V_NOT_REPLAYABLE) {
		snprintf(cmd, sizeof(cmd), "xrr record --xcr0 %#" PRIx64 " -- %s",
			 c->suggest, c->argv_text);
		fprintf(out, ", \"portable_command\": ");
		json_str(out, cmd);
	}
	fprintf(out, "}\n");
}

int xrr_check_trace(const char *dir, bool json, FILE *out)
{
	char err[512];
	struct trace *t = trace_open(dir, err, sizeof(err));
	struct check c;

	if (!t) {
		xrr_error("check: %s", err);
		return 2;
	}
	memset(&c, 0, sizeof(c));
	c.h = trace_header(t);
	analyse(&c);
	if (json)
		print_json(&c, out);
	else
		print_text(&c, out);
	int rc = c.verdict == V_NOT_REPLAYABLE ? 1 : 0;
	trace_close(t, err, sizeof(err));
	return rc;
}

int xrr_check_before_replay(const char *dir, FILE *out)
{
	char err[512];
	struct trace *t = trace_open(dir, err, sizeof(err));
	struct check c;

	if (!t)
		return 0;       /* the replayer reports unreadable traces */
	memset(&c, 0, sizeof(c));
	c.h = trace_header(t);
	analyse(&c);
	if (c.verdict == V_NOT_REPLAYABLE) {
		fprintf(out, "xrr: this trace can not be replayed on this host"
			" (xrr check):\n");
		print_text(&c, out);
	}
	trace_close(t, err, sizeof(err));
	return c.verdict == V_NOT_REPLAYABLE ? 1 : 0;
}

int cmd_check(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	bool json = false;
	int c;

	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		if (c == 'j') {
			json = true;
		} else if (c == 'h') {
			fputs(check_help, stdout);
			return 0;
		} else {
			fputs(check_help, stderr);
			return 2;
		}
	}
	char dir[4096], err[512];
	if (xrr_resolve_trace(optind < argc ? argv[optind] : NULL, dir,
			      sizeof(dir), err, sizeof(err)) < 0) {
		xrr_error("check: %s", err);
		return 2;
	}
	return xrr_check_trace(dir, json, stdout);
}
