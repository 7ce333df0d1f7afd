/* Interface of the checksum implant (implants/xrr-checksum.so), as called
 * inside a tracee through implant_call (replay/implant.h). */
#ifndef XRR_IMPLANTS_CHECKSUM_H
#define XRR_IMPLANTS_CHECKSUM_H

#include <stddef.h>
#include <stdint.h>

/* Same layout as struct implant_range. */
struct range {
	uint64_t addr;
	uint64_t len;
};

/* force_path / *path_used: 0 auto, 1 scalar, 2 SSE2, 3 AVX2, 4 AVX-512.
 * A forced path the CPU lacks falls back to the best one available. */
uint64_t xrr_checksum_ranges(const struct range *r, size_t n, int force_path,
			     uint32_t *path_used);
uint64_t xrr_checksum(const void *p, size_t len, int force_path,
		      uint32_t *path_used);
uint32_t xrr_checksum_path(void);
uint64_t xrr_xgetbv0(void);

#endif
