/* Small pieces shared by the code xrr writes into tracees: the point
 * matcher's trampoline (point_patch.c) and patched syscall sites
 * (sitepatch.c).  Bytes only; no ptrace. */
#ifndef XRR_REPLAY_CODE_BYTES_H
#define XRR_REPLAY_CODE_BYTES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Does a rel32 field of an instruction ending at `end` reach `to`?  The
 * displacement in *rel when it does. */
bool code_rel32(uint64_t end, uint64_t to, int32_t *rel);
/* v little-endian at `at`. */
void code_put_le32(uint8_t *at, int32_t v);
/* A reason into why[whylen] (nothing when why is NULL). */
void code_say(char *why, size_t whylen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
