#include "common/xcr0.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

const struct xcr0_component xcr0_components[] = {
	{ XCR0_BIT_X87, "x87", "x87 FPU state", 0, true },
	{ XCR0_BIT_SSE, "sse", "SSE state (XMM registers, MXCSR)", 0, true },
	{ XCR0_BIT_AVX, "avx", "AVX (upper halves of YMM0-15)", 256, true },
	{ XCR0_BIT_BNDREGS, "bndregs", "MPX bound registers", 64, true },
	{ XCR0_BIT_BNDCSR, "bndcsr", "MPX bound config and status", 64, true },
	{ XCR0_BIT_OPMASK, "opmask", "AVX-512 opmask registers k0-k7", 64, true },
	{ XCR0_BIT_ZMM_HI256, "zmm_hi256", "AVX-512 upper halves of ZMM0-15", 512, true },
	{ XCR0_BIT_HI16_ZMM, "hi16_zmm", "AVX-512 registers ZMM16-31", 1024, true },
	{ 8, "pt", "processor trace (supervisor)", 0, false },
	{ XCR0_BIT_PKRU, "pkru", "protection-key rights register", 8, true },
	{ 10, "pasid", "PASID (supervisor)", 0, false },
	{ 11, "cet_u", "CET user state (supervisor)", 0, false },
	{ 12, "cet_s", "CET supervisor state (supervisor)", 0, false },
	{ 13, "hdc", "HDC (supervisor)", 0, false },
	{ 14, "uintr", "user interrupts (supervisor)", 0, false },
	{ 15, "lbr", "last branch records (supervisor)", 0, false },
	{ 16, "hwp", "HWP (supervisor)", 0, false },
	{ XCR0_BIT_XTILECFG, "xtilecfg", "AMX tile configuration", 64, true },
	{ XCR0_BIT_XTILEDATA, "xtiledata", "AMX tile data", 8192, true },
	{ XCR0_BIT_APX, "apx", "APX extended GPRs", 128, true },
};
const size_t xcr0_component_count =
	sizeof(xcr0_components) / sizeof(xcr0_components[0]);

const struct xcr0_component *xcr0_component_by_bit(int bit)
{
	for (size_t i = 0; i < xcr0_component_count; i++)
		if (xcr0_components[i].bit == bit)
			return &xcr0_components[i];
	return NULL;
}

int xcr0_component_by_name(const char *name)
{
	for (size_t i = 0; i < xcr0_component_count; i++)
		if (strcasecmp(xcr0_components[i].name, name) == 0)
			return xcr0_components[i].bit;
	return -1;
}

char *xcr0_format(char *out, size_t outlen, uint64_t xcr0)
{
	size_t used = (size_t)snprintf(out, outlen, "%#llx (",
				       (unsigned long long)xcr0);
	const char *sep = "";
	for (int bit = 0; bit < 64 && used < outlen; bit++) {
		if (!(xcr0 & (1ull << bit)))
			continue;
		const struct xcr0_component *c = xcr0_component_by_bit(bit);
		if (c)
			used += (size_t)snprintf(out + used, outlen - used,
						 "%s%s", sep, c->name);
		else
			used += (size_t)snprintf(out + used, outlen - used,
						 "%sbit%d", sep, bit);
		sep = "|";
	}
	if (used < outlen)
		snprintf(out + used, outlen - used, ")");
	return out;
}

bool xcr0_parse(const char *text, uint64_t *out)
{
	if (!text || !*text)
		return false;
	if (isdigit((unsigned char)text[0])) {
		char *end;
		errno = 0;
		unsigned long long v = strtoull(text, &end, 0);
		if (errno || *end)
			return false;
		*out = v;
		return true;
	}
	uint64_t mask = 0;
	char buf[256];
	if (strlen(text) >= sizeof(buf))
		return false;
	strcpy(buf, text);
	for (char *save = NULL, *tok = strtok_r(buf, "|,+", &save); tok;
	     tok = strtok_r(NULL, "|,+", &save)) {
		int bit = xcr0_component_by_name(tok);
		if (bit < 0)
			return false;
		mask |= 1ull << bit;
	}
	*out = mask;
	return true;
}
