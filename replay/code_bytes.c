/* replay/code_bytes.h */
#include "config.h"

#include "replay/code_bytes.h"

#include <stdarg.h>
#include <stdio.h>

bool code_rel32(uint64_t end, uint64_t to, int32_t *rel)
{
	int64_t d = (int64_t)(to - end);

	if (d < INT32_MIN || d > INT32_MAX)
		return false;
	*rel = (int32_t)d;
	return true;
}

void code_put_le32(uint8_t *at, int32_t v)
{
	uint32_t u = (uint32_t)v;

	for (int i = 0; i < 4; i++)
		at[i] = (uint8_t)(u >> (8 * i));
}

void code_say(char *why, size_t whylen, const char *fmt, ...)
{
	va_list ap;

	if (!why || !whylen)
		return;
	va_start(ap, fmt);
	vsnprintf(why, whylen, fmt, ap);
	va_end(ap);
}
