/* Instruction virtualisation: the XCR0 backend for machines without
 * kernel XCR0 control (this one).  CPUID, XGETBV and the XSAVE family in
 * a program's executable file mappings are found with a real decoder
 * (Zydis) from real instruction boundaries, each replaced by ud2, and
 * emulated by the tracer when the SIGILL comes:
 *
 *   CPUID      the trace's CPUID table, masked for the virtual XCR0
 *   XGETBV     ECX=0: the virtual XCR0; ECX=1: XSTATE_BV & virtual XCR0
 *   XSAVE*,    EDX:EAX limited to the virtual XCR0, then the original
 *   XRSTOR*    instruction single-stepped in place (ud2 put back after)
 *
 * The patched sites (address, original bytes) are part of the trace
 * (TRACE_REC_INSN_SITES in the tasks stream) so replay patches the same
 * ones; readers of tracee memory for GDB use insn_virt_original_bytes().
 * docs/xcr0.md lists the limits (JIT code, code reading itself). */
#ifndef XRR_REPLAY_INSN_VIRT_H
#define XRR_REPLAY_INSN_VIRT_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "replay/trace.h"
#include "replay/xsave.h"

struct process;
struct task;
struct trace_buf;

enum insn_kind {
	INSN_CPUID = 1,
	INSN_XGETBV,
	INSN_XSAVE,     /* XSAVE, XSAVEOPT, XSAVEC (and 64-bit forms) */
	INSN_XRSTOR,    /* XRSTOR, XRSTOR64 */
};

#define INSN_MAX_LEN 15
#define INSN_TRAP_LEN 2         /* ud2: 0f 0b */

struct insn_site {
	uint64_t addr;          /* file offset in a scan, address once applied */
	uint8_t kind;           /* enum insn_kind */
	uint8_t len;
	uint8_t orig[INSN_MAX_LEN];
	uint16_t mnemonic;      /* ZydisMnemonic, for reports */
};

/* ---- decoding ---------------------------------------------------------- */

struct insn_scan {
	struct insn_site *sites;        /* sorted by addr */
	size_t nsites;
	uint64_t bytes;                 /* bytes of executable code looked at */
	uint64_t insns;                 /* instructions decoded */
	uint64_t undecodable;           /* bytes no decode from a start reached */
	uint64_t starts;                /* symbol and section starts used */
};

/* Decode code[0..len) (at address base) linearly from each start (sorted
 * or not, addresses) to the next start or the first decode failure. */
int insn_virt_scan_code(const uint8_t *code, size_t len, uint64_t base,
			const uint64_t *starts, size_t nstarts,
			struct insn_scan *out);
/* Scan an ELF file's executable sections (starts: section starts, STT_FUNC
 * symbols of .symtab and .dynsym; without section headers, executable
 * PT_LOAD segments and the entry point).  Site addresses are FILE
 * OFFSETS.  0, or -1 with err. */
int insn_virt_scan_fd(int fd, struct insn_scan *out, char *err,
		      size_t errlen);
void insn_scan_free(struct insn_scan *s);
const char *insn_kind_name(int kind);
const char *insn_site_mnemonic(const struct insn_site *s);

/* ---- a process's patched sites ------------------------------------------ */

/* CPUID answers for emulation: a trace's table. */
struct insn_virt_cpu {
	const struct cpuid_leaf *leaves;
	size_t nleaves;
	const struct xsave_layout *layout;
	uint64_t real_xcr0;     /* XCR0 of the machine the table came from */
};

struct insn_virt_stats {
	uint64_t traps[INSN_XRSTOR + 1];
	uint64_t trap_ns;       /* time spent emulating */
	uint64_t scan_ns, patch_ns;
	uint64_t files_scanned, bytes_scanned, undecodable, patched;
};

struct insn_virt;

struct insn_virt *insn_virt_new(const struct insn_virt_cpu *cpu);
void insn_virt_free(struct insn_virt *iv);
const struct insn_virt_stats *insn_virt_stats(const struct insn_virt *iv);

/* Recorder: scan the file behind a new executable mapping (fd open on
 * it; scans are cached by dev/inode/size/mtime) and patch the sites in
 * [start, end) of p.  The sites patched are appended to *added (caller
 * frees) for the trace.  0 or -1 with err. */
int insn_virt_patch_mapping(struct insn_virt *iv, struct process *p, int fd,
			    uint64_t start, uint64_t end, uint64_t file_offset,
			    struct insn_site **added, size_t *nadded,
			    char *err, size_t errlen);
/* Replay: patch the recorded sites (addresses) in p; the bytes there must
 * be the recorded originals. */
int insn_virt_apply(struct insn_virt *iv, struct process *p,
		    const struct insn_site *sites, size_t n, char *err,
		    size_t errlen);
/* The mapping went away (munmap, MAP_FIXED over it, exec). */
void insn_virt_forget_range(struct insn_virt *iv, uint64_t start,
			    uint64_t end);
/* Put the original bytes back everywhere in p (a forked child released
 * from recording keeps running on its own). */
int insn_virt_unpatch_all(struct insn_virt *iv, struct process *p);

/* The patched sites of one address space.  A process tree has one set
 * per process; the table works on one set at a time, and the caller
 * swaps the set of the process it is about to act on in (its previous
 * set comes out into *set). */
struct insn_site_set {
	struct insn_site *sites;
	size_t n, cap;
};
void insn_virt_swap_sites(struct insn_virt *iv, struct insn_site_set *set);
/* A copy (a fork's child starts with its parent's patched code).  0 or
 * -1 when out of memory. */
int insn_site_set_copy(struct insn_site_set *dst,
		       const struct insn_site_set *src);
/* The table's current set, copied. */
int insn_virt_copy_sites(const struct insn_virt *iv, struct insn_site_set *dst);
void insn_site_set_free(struct insn_site_set *set);

const struct insn_site *insn_virt_site_at(const struct insn_virt *iv,
					  uint64_t addr);
/* What GDB must see: buf (len bytes read at addr) gets the original bytes
 * back under every patched site.  Returns how many bytes were fixed. */
size_t insn_virt_original_bytes(const struct insn_virt *iv, uint64_t addr,
				void *buf, size_t len);

enum insn_trap_result {
	INSN_TRAP_NOT_OURS = 0,   /* not a patched site: a real SIGILL */
	INSN_TRAP_EMULATED = 1,   /* registers updated, rip past the insn */
	INSN_TRAP_FAULTED = 2,    /* the XSAVE/XRSTOR itself faulted: *fault
				   * is the signal to deliver (rip at it) */
};

/* Thread t of p stopped with SIGILL: emulate the site at rip for a
 * thread whose virtual XCR0 is xcr0.  XSAVE-family sites are single-
 * stepped in place (other threads must be stopped; an asynchronous
 * signal that arrives meanwhile is held, with its siginfo, for the caller
 * to take with insn_virt_take_held and deliver).
 * Returns enum insn_trap_result, or -1 with err on failure. */
int insn_virt_handle_trap(struct insn_virt *iv, struct process *p,
			  struct task *t, uint64_t xcr0, siginfo_t *fault,
			  char *err, size_t errlen);

#define INSN_VIRT_MAX_HELD 8
/* Signals held by insn_virt_handle_trap, oldest first; returns how many
 * were copied to out (and removed). */
size_t insn_virt_take_held(struct insn_virt *iv, siginfo_t *out, size_t max);

/* The CPUID answer a program under virtual XCR0 xcr0 gets. */
void insn_virt_cpuid(const struct insn_virt_cpu *cpu, uint64_t xcr0,
		     uint32_t leaf, uint32_t subleaf, struct cpuid_leaf *out);

/* ---- trace records ----------------------------------------------------- */

/* tasks stream: the sites patched after event `event` (the EV_EXEC or the
 * mmap/mprotect EV_SYSCALL that made the code executable). */
#define TRACE_REC_INSN_SITES (TRACE_TYPE_REQUIRED | 0x10)

int insn_sites_encode(uint64_t event, const struct insn_site *s, size_t n,
		      struct trace_buf *out);
/* *sites malloc'd.  0 or -1 (malformed). */
int insn_sites_decode(const void *data, size_t len, uint64_t *event,
		      struct insn_site **sites, size_t *n);

#endif
