/* The XSAVE model: which XCR0 values are legal, how big an XSAVE image is
 * for an XCR0 under a layout, how to move an image between two layouts,
 * and what CPUID must say so that it agrees with a virtual XCR0.
 *
 * Everything here is pure computation on layouts (replay/xsave.h) and
 * CPUID answers: the recorder, the replayer, `xrr check` and the tests
 * use the same rules. */
#ifndef XRR_REPLAY_XSAVE_MODEL_H
#define XRR_REPLAY_XSAVE_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "replay/xsave.h"

/* Bits of XCR0 that are supervisor (IA32_XSS) components. */
uint64_t xsave_model_supervisor_mask(void);

/* Is xcr0 a value XSETBV would accept on a CPU supporting `supported`
 * (CPUID(0xD,0).EDX:EAX)?  0 if legal; -1 with the broken rule in words
 * in why ("opmask, ZMM_Hi256 and Hi16_ZMM must be enabled together"). */
int xsave_model_check(uint64_t xcr0, uint64_t supported, char *why,
		      size_t whylen);

/* This host's XCR0 as xrr treats it: $XRR_HOST_XCR0 when set (a testing
 * aid: pretend this host has that smaller XCR0), else XGETBV(0). */
uint64_t xsave_model_host_xcr0(void);

/* Standard-format XSAVE size for xcr0 under l: what CPUID(0xD,0).EBX
 * reports while XCR0 == xcr0 (576 at least).  0 if xcr0 names a
 * component l does not know. */
uint32_t xsave_model_size(const struct xsave_layout *l, uint64_t xcr0);
/* Compacted-format (XSAVEC) size for the components in rfbm. */
uint32_t xsave_model_compact_size(const struct xsave_layout *l,
				  uint64_t rfbm);

/* The XCR0 an image was taken under: bytes 464-471 (Linux's software
 * bytes), else its XSTATE_BV, else x87|SSE. */
uint64_t xsave_model_image_xcr0(const void *image, size_t len);

/* Convert a standard-format image from layout `from` to layout `to`,
 * keeping the components of to_xcr0, component by component (the legacy
 * region and the header are the same everywhere).  Components of the
 * source that are in their init state (XSTATE_BV clear) and not in
 * to_xcr0 are dropped; one in use that the target lacks is an error.
 * dst gets xsave_model_size(to, to_xcr0) bytes (dstlen must allow it);
 * its bytes 464-471 say to_xcr0.  Returns the size written, or -1 with
 * err naming the component. */
long xsave_model_convert(const struct xsave_layout *from, const void *src,
			 size_t srclen, const struct xsave_layout *to,
			 uint64_t to_xcr0, void *dst, size_t dstlen,
			 char *err, size_t errlen);

/* Components whose offset or size differ between two layouts (of those
 * both support). */
uint64_t xsave_model_layout_differences(const struct xsave_layout *a,
					const struct xsave_layout *b);

/* Rewrite one CPUID answer (taken on a machine whose XCR0 is real_xcr0)
 * so that it agrees with a program running under virt_xcr0:
 * leaf 1 AVX/FMA/F16C without AVX, leaf 7 AVX2 and AVX-512 (and AMX,
 * APX) feature bits without their components, leaf 0xD sub-leaf 0 EBX
 * (size for virt_xcr0) and sub-leaf 1 EBX, sub-leaves of user
 * components outside virt_xcr0 zeroed.  Leaf 1 OSXSAVE stays set, and
 * sub-leaf 0 EAX/EDX keep reporting what the CPU supports. */
void xsave_model_mask_cpuid(const struct xsave_layout *l, uint64_t real_xcr0,
			    uint64_t virt_xcr0, struct cpuid_leaf *c);

#endif
