/* Implants: freestanding code loaded into a stopped tracee and called there
 * on a private stack (memory checksums, state validation in diversions).
 *
 * An implant is an x86-64 ELF shared object (ET_DYN, -nostdlib -fPIC) or
 * relocatable object (ET_REL, -fPIC) that references nothing outside
 * itself.  It stays mapped for the life of the address space; a diversion
 * copy (replay/diversion.h) forked after implant_load inherits it at the
 * same addresses (use implant_dup). */
#ifndef XRR_REPLAY_IMPLANT_H
#define XRR_REPLAY_IMPLANT_H

#include <stddef.h>
#include <stdint.h>

#include "replay/task.h"

struct implant_symbol {
	char *name;
	uint64_t addr;          /* in the tracee */
	uint64_t size;
};

struct implant {
	char path[256];
	uint64_t base;          /* image mapping in the tracee */
	uint64_t image_len;
	uint64_t scratch;       /* page of int3: the return address */
	uint64_t arg_area;      /* RW area for the caller's arguments */
	uint64_t arg_area_len;
	uint64_t stack;         /* private stack mapping */
	uint64_t stack_len;
	struct implant_symbol *syms;    /* sorted by address */
	size_t nsyms;
	/* implant_call gives up after this long (0: no limit). */
	unsigned timeout_ms;
};

#define IMPLANT_STACK_SIZE (1u << 20)
#define IMPLANT_ARG_AREA_SIZE (64u << 10)

/* Load the ELF file `path` into p through remote syscalls run by stopped
 * task t: anonymous mappings, segment bytes, relocations, then the
 * segments' own protections; a scratch page, an argument area and a
 * 1 MiB stack are mapped too.  Returns NULL with p->err set: not an ELF
 * file, wrong class or machine, unresolved external symbol (named),
 * unsupported relocation type (named), remote syscall failure. */
struct implant *implant_load(struct process *p, struct task *t,
			     const char *path);

/* Address of a symbol of the implant, or 0. */
uint64_t implant_symbol(const struct implant *im, const char *name);
/* "name+0xoff" for an address inside the implant, else "?"; returns buf. */
const char *implant_describe(const struct implant *im, uint64_t addr,
			     char *buf, size_t len);

/* Call `symbol`(args[0..nargs-1]) (at most 6 integer arguments) in stopped
 * task t of p, on the implant's stack, with asynchronous signals blocked
 * (synchronous fault signals stay deliverable so that a crash stops the
 * task instead of resetting the program's handler) and with a clean
 * MXCSR/FPU control word and flags.  Registers, extended state, signal
 * mask, pending siginfo and a syscall-entry stop are restored after it,
 * whatever happened.  Returns 0 with *ret = rax; -EFAULT when the implant
 * crashed (p->err: "implant crashed: SIGSEGV at 0x... (in f+0x1c), fault
 * address 0x0"; the signal is not delivered); -ETIMEDOUT after
 * im->timeout_ms; -ESRCH when the task died; other -errno with p->err. */
int implant_call(struct process *p, struct task *t, const struct implant *im,
		 const char *symbol, const uint64_t *args, size_t nargs,
		 uint64_t *ret);

/* Unmap the implant from p and free im.  p may be NULL (or gone): then
 * only the local description is freed. */
void implant_unload(struct process *p, struct task *t, struct implant *im);
/* A copy of the description (for a forked copy of the process). */
struct implant *implant_dup(const struct implant *im);

/* Memory ranges for checksums, as the checksum implant reads them. */
struct implant_range {
	uint64_t addr;
	uint64_t len;
};

/* Writable private mappings of p from /proc/PID/maps, skipping [vvar],
 * [vsyscall], each thread's rseq area (the kernel rewrites its cpu id
 * fields whenever the thread runs, remote syscalls included) and, if skip
 * is not NULL, the implant's own mappings (its stack changes while it
 * runs).  *out is malloc'd.  Returns 0 or -errno. */
int implant_writable_ranges(struct process *p, const struct implant *skip,
			    struct implant_range **out, size_t *n);

/* Checksum implant (implants/xrr-checksum.so) paths. */
enum implant_checksum_path {
	CHECKSUM_PATH_AUTO = 0,
	CHECKSUM_PATH_SCALAR = 1,
	CHECKSUM_PATH_SSE2 = 2,
	CHECKSUM_PATH_AVX2 = 3,
	CHECKSUM_PATH_AVX512 = 4,
};
const char *implant_checksum_path_name(int path);

/* XXH3-64 (seed 0) of the concatenation of ranges, computed inside the
 * tracee by a loaded checksum implant.  The ranges are passed through the
 * implant's argument area (at most arg_area_len / 16 of them).  force:
 * enum implant_checksum_path; *path_used (may be NULL) tells which path
 * ran.  Returns what implant_call returns. */
int implant_checksum(struct process *p, struct task *t,
		     const struct implant *im,
		     const struct implant_range *ranges, size_t n, int force,
		     uint64_t *hash, int *path_used);

#endif
