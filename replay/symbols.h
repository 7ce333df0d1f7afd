/* Source locations in a recorded program: which function, file and line
 * an address is in, and the call stack of a thread.
 *
 * Everything comes from the trace's stored copies of the files the
 * program mapped (files/<sha256>), never from the originals: ELF symbol
 * tables through libelf (symbols_elf.c), DWARF line tables and function
 * names through libdwarf (symbols_dwarf.c), and caller frames from the
 * CFI of .eh_frame / .debug_frame (symbols_unwind.c).  Debug info that
 * was split off into a separate file is found by the file's GNU
 * build-id, then its .gnu_debuglink: a debug file stored in the trace
 * (`xrr pack` adds them), else on this machine (/usr/lib/debug).
 *
 * An address space (struct sym_space) says which stored file is mapped
 * where; it is built from the trace's records (EV_EXEC mappings and the
 * mmaps stream: `xrr dump` without replaying) or from a replayed
 * process's /proc/PID/maps (the replay maps the stored files
 * themselves).  Nothing here fails loudly: an address without symbols
 * is shown as such. */
#ifndef XRR_REPLAY_SYMBOLS_H
#define XRR_REPLAY_SYMBOLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/user.h>

#include "replay/trace.h"
#include "replay/trace_events.h"

/* The stored files of one trace, opened on first use and kept. */
struct sym_table;

/* NULL only when out of memory.  t must outlive the table. */
struct sym_table *sym_table_open(const struct trace *t);
void sym_table_free(struct sym_table *st);

/* ---- address spaces --------------------------------------------------------- */

struct sym_space;

struct sym_space *sym_space_new(void);
struct sym_space *sym_space_clone(const struct sym_space *s);
void sym_space_free(struct sym_space *s);
void sym_space_clear(struct sym_space *s);
/* A mapping as the trace records it; it hides what it overlaps.
 * Anonymous mappings (no stored file) unmap what they overlap. */
int sym_space_map(struct sym_space *s, const struct trace_mapping *m);
/* The file mappings of a replayed process (/proc/PID/maps): the stored
 * files the replay mapped from the trace's files/ directory.  0, or -1
 * with the reason in err. */
int sym_space_from_proc(struct sym_space *s, const struct sym_table *st,
			pid_t pid, char *err, size_t errlen);

/* ---- one address ------------------------------------------------------------- */

struct sym_location {
	uint64_t addr;
	/* The base name of the mapped file (as recorded); "" when addr is
	 * in no file mapping. */
	char object[128];
	uint64_t object_addr;   /* addr as the ELF file's virtual address */
	bool has_symbols;       /* the file has a symbol table or DWARF */
	char func[160];         /* "" if unknown */
	uint64_t func_off;
	char file[160];         /* source file base name; "" if no line */
	unsigned line;
};

/* What is at addr.  `caller`: addr is a return address (frames above
 * the innermost), so the call instruction before it is looked up. */
void sym_lookup(struct sym_table *st, const struct sym_space *s,
		uint64_t addr, bool caller, struct sym_location *loc);
/* "inner+0x1c (bt.c:12)", "write+0x17 (libc.so.6)",
 * "0x1234 in prog (no symbols)", "0x7ffd1000 (no file mapped)". */
const char *sym_format(const struct sym_location *loc, char *buf,
		       size_t len);

/* ---- call stacks ------------------------------------------------------------- */

/* Read tracee memory: 0, or -1 when unreadable. */
typedef int (*sym_read_fn)(void *ctx, uint64_t addr, void *buf, size_t len);

enum sym_unwind_how {
	SYM_FRAME_INNERMOST,    /* the registers themselves */
	SYM_FRAME_CFI,          /* from the caller's CFI (.eh_frame/.debug_frame) */
	SYM_FRAME_FP,           /* a guess where no CFI covers the callee's pc:
				 * return address on the stack, rbp chain */
};

struct sym_frame {
	uint64_t pc, sp;
	enum sym_unwind_how how;
	struct sym_location loc;
};

/* Frames from the innermost (regs) outwards, at most max; returns how
 * many were filled (at least 1 when max > 0). */
size_t sym_backtrace(struct sym_table *st, const struct sym_space *s,
		     const struct user_regs_struct *regs, sym_read_fn read,
		     void *ctx, struct sym_frame *out, size_t max);
/* "#1  0x0000555555555189 in outer (bt.c:20)" (GDB's style);
 * without a line: "in write+0x17 (libc.so.6)". */
const char *sym_format_frame(size_t n, const struct sym_frame *f, char *buf,
			     size_t len);

/* ---- a replayed thread (replay/symbols_replay.c) ----------------------------- */

struct process;
struct task;

/* Where task t of live process p is, and its call stack, from its
 * registers and memory and the stored files p maps (/proc/PID/maps).
 * -1 with the reason in err (the thread is not stopped, ...). */
int sym_task_location(struct sym_table *st, struct process *p,
		      struct task *t, struct sym_location *loc, char *err,
		      size_t errlen);
ssize_t sym_task_backtrace(struct sym_table *st, struct process *p,
			   struct task *t, struct sym_frame *out, size_t max,
			   char *err, size_t errlen);

/* ---- following a trace without replaying (xrr dump) ------------------------- */

/* Each recorded process's address space as the events go by: EV_EXEC
 * replaces it, EV_FORK copies the parent's, threads share their
 * process's, and mmaps records are applied at the event that made
 * them. */
struct sym_tracker;

struct sym_tracker *sym_tracker_open(const struct trace *t, char *err,
				     size_t errlen);
void sym_tracker_free(struct sym_tracker *tr);
/* Event number `index` (0-based, as `xrr dump` counts) was read. */
void sym_tracker_event(struct sym_tracker *tr, uint64_t index,
		       const struct trace_event *ev);
/* The space of thread tid's process (NULL if unknown). */
const struct sym_space *sym_tracker_space(const struct sym_tracker *tr,
					  pid_t tid);

#endif
