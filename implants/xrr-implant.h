/* Writing your own implant: code xrr loads into a diversion (a running
 * copy of the replayed process) and calls there.  Installed in
 * $(pkgincludedir); see docs/diversions.md and docs/implants.md.
 *
 * An implant runs inside the replayed program's address space with no C
 * library of its own: build it freestanding, position-independent, with
 * no thread-local storage and no external symbols, e.g.
 *
 *     cc -O2 -ffreestanding -fPIC -fno-stack-protector -fvisibility=hidden \
 *        -nostdlib -shared -I$(pkgincludedir) -o my.so my.c
 *
 * (or `-c` for a relocatable object).  Then, in GDB on a replay:
 *
 *     monitor diversion start              (or xrr-diversion start)
 *     monitor implant load /path/my.so
 *     monitor implant call my_function 0x1000 42
 *
 * A called function takes up to six integer or pointer arguments (given as
 * decimal or 0x-hex numbers; pointers are addresses in the program) and
 * returns one 64-bit value, which xrr prints.  It runs on a private 1 MiB
 * stack with asynchronous signals blocked, and with the host's full XCR0:
 * AVX-512 works in a diversion even when the recording's XCR0 hid it.  A
 * fault is reported (signal, address, symbol) and the diversion goes on;
 * a call that runs too long is stopped. */
#ifndef XRR_IMPLANT_H
#define XRR_IMPLANT_H

#include <stdint.h>

/* Marks a function `monitor implant call` may call by name. */
#define XRR_IMPLANT_EXPORT __attribute__((visibility("default"), used))

/* The type of a callable implant function (fewer arguments are fine). */
typedef uint64_t xrr_implant_fn(uint64_t a, uint64_t b, uint64_t c,
				uint64_t d, uint64_t e, uint64_t f);

#endif
