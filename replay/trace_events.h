/* Records the recorder writes and the replayer reads.
 *
 * events: one record per event below; the record type is the event type.
 *         Every record starts with {tid, ticks}; ticks is 0 with the tick
 *         source "none" (a PMU count where one is used).
 * data:   TRACE_REC_DATA records, one per memory write, in the order the
 *         events list their writes: the event has (addr, len), the data
 *         stream has the len bytes.
 * mmaps:  TRACE_REC_MMAP records: a mapping made at an event, with the
 *         stored file (trace_store_file) it maps, if any.
 * tasks:  reserved for per-task records the recorder adds.
 *
 * Event types carry TRACE_TYPE_REQUIRED: replay cannot skip one it does
 * not understand.  Types without it may be added in a minor version and
 * are skipped by trace_event_read. */
#ifndef XRR_REPLAY_TRACE_EVENTS_H
#define XRR_REPLAY_TRACE_EVENTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/user.h>

#include "replay/trace.h"

enum trace_event_type {
	EV_EXEC = TRACE_TYPE_REQUIRED | 1,        /* initial state after exec */
	EV_SYSCALL = TRACE_TYPE_REQUIRED | 2,
	EV_RDTSC = TRACE_TYPE_REQUIRED | 3,       /* rdtsc or rdtscp trapped */
	EV_SIGNAL = TRACE_TYPE_REQUIRED | 4,
	EV_THREAD_CREATE = TRACE_TYPE_REQUIRED | 5,
	EV_THREAD_EXIT = TRACE_TYPE_REQUIRED | 6,
	EV_EXIT = TRACE_TYPE_REQUIRED | 7,        /* a process ended (its leader's status) */
	EV_XCR0_CHANGE = TRACE_TYPE_REQUIRED | 8,
	EV_FORK = TRACE_TYPE_REQUIRED | 9,        /* a child process exists (2.0) */
	EV_POINT = TRACE_TYPE_REQUIRED | 10,      /* a thread stopped in user code (2.1) */
	EV_RESUME = TRACE_TYPE_REQUIRED | 11,     /* a thread stopped at a point runs again (2.1) */
	EV_SYSCALLBUF = TRACE_TYPE_REQUIRED | 12, /* calls the in-process buffer made (2.2) */
	/* The thread stopped for its emulated tracer (a recorded program
	 * that traces it: replay/recorder_ptrace.c) and ran no further
	 * until its next event (2.3). */
	EV_TRACE_STOP = TRACE_TYPE_REQUIRED | 13,
	/* The recorder patched a syscall site of the program's code
	 * (replay/sitepatch.h) (2.4). */
	EV_PATCH = TRACE_TYPE_REQUIRED | 14,
};

#define TRACE_REC_DATA (TRACE_TYPE_REQUIRED | 1)        /* data stream */
#define TRACE_REC_MMAP (TRACE_TYPE_REQUIRED | 1)        /* mmaps stream */

/* A write to tracee memory; its bytes are the next data record. */
struct trace_mem_write {
	uint64_t addr, len;
};

struct trace_mapping {
	uint64_t start, end;
	uint32_t prot, flags;   /* PROT_*, MAP_* */
	uint64_t offset;        /* file offset */
	char *path;             /* as /proc/PID/maps shows it; "" if none */
	struct trace_file_id file;      /* stored copy; hex "" if anonymous */
};

struct ev_exec {
	struct user_regs_struct regs;
	uint8_t *xstate;        /* NT_X86_XSTATE image, recording layout */
	size_t xstate_len;
	uint64_t xcr0;
	struct trace_mapping *maps;
	size_t nmaps;
	/* Contents of anonymous mappings and the stack (argv, envp, auxv). */
	struct trace_mem_write *mem;
	size_t nmem;
	/* The new image's argv, for `xrr ps` (appended in 2.0; absent in
	 * older traces: argc 0). */
	char **argv;
	size_t argc;
};

/* EV_SYSCALL flags (2.3). */
/* The kernel ran nothing: the program's own seccomp filter answered
 * (replay/recorder_seccomp.c).  Replay emulates it, whatever the call. */
#define EV_SYSCALL_SKIPPED 0x1u
/* Why (for readers; replay needs only SKIPPED): */
#define EV_SYSCALL_BY_SECCOMP 0x2u      /* the program's seccomp filter */
#define EV_SYSCALL_BY_PTRACE 0x4u       /* emulated ptrace or its wait4 */

struct ev_syscall {
	int64_t number;
	uint64_t args[6];
	int64_t result;
	struct user_regs_struct regs;   /* at syscall exit */
	struct trace_mem_write *writes;
	size_t nwrites;
	uint32_t flags;                 /* EV_SYSCALL_* (2.3; 0 before) */
};

struct ev_rdtsc {
	uint64_t value;
	uint64_t rip;
	uint32_t tsc_aux;       /* ecx of rdtscp */
	bool rdtscp;
};

struct ev_signal {
	int32_t signo;
	uint8_t siginfo[128];
	uint64_t frame_addr;
	uint8_t *frame;         /* the frame the kernel wrote */
	size_t frame_len;
	struct user_regs_struct regs;   /* at handler entry */
};

/* EV_POINT: the recorder stopped the thread in user code, with no system
 * call since its last event, at a point it chose (docs/preemption.md): to
 * switch threads (POINT_PREEMPT; the thread waits until its EV_RESUME) or
 * to deliver an asynchronous signal there (POINT_SIGNAL; the EV_SIGNAL
 * follows).  Replay finds the point by its state: the first time since
 * the thread's last event that it is at regs.rip with these registers,
 * these bytes of memory and x87/SSE registers hashing to fp_hash. */
enum ev_point_reason { POINT_PREEMPT = 1, POINT_SIGNAL = 2 };
#define POINT_LOOP 1u           /* flags: mem is one loop iteration's access set */
#define POINT_MAX_RANGES 64
#define POINT_MAX_BYTES 4096

struct point_range {
	uint64_t addr;
	uint32_t len;
};

struct ev_point {
	uint32_t reason;        /* enum ev_point_reason */
	uint32_t flags;         /* POINT_LOOP */
	struct user_regs_struct regs;
	uint64_t fp_hash;       /* of st0-7 and xmm0-15 (PTRACE_GETFPREGS) */
	/* Bytes from rip that no branch of the recorded iteration jumps
	 * into: how much code replay may overwrite to find the point. */
	uint32_t patch_safe;
	uint32_t skip;          /* matching arrivals before this one */
	struct point_range *ranges;
	size_t nranges;
	uint8_t *bytes;         /* the ranges' contents, concatenated */
	size_t nbytes;
	/* (2.4) Where the thread has a syscall buffer: its header's `seq`
	 * (the count of calls it buffered) and that count.  Always compared,
	 * rdtsc trapped or not: between two events a thread may pass the
	 * point's rip with equal registers many times, buffered calls in
	 * between.  seq_addr 0: none. */
	uint64_t seq_addr, seq;
	/* (2.4) General registers (bit i: point_patch.h's enum point_gpr)
	 * that held a recent time-stamp counter value where rdtsc was not
	 * trapped: replay reads other values, so they are not compared. */
	uint16_t tsc_regs;
};

/* EV_SYSCALLBUF: records (syscallbuf/syscallbuf_abi.h) the thread's
 * in-process buffer at `buffer` holds at bytes [offset, offset + len) of
 * its record area: calls it made since its last event, without ptrace
 * stops.  Replay writes them back there before the thread runs them. */
#define SYSCALLBUF_MAX_BYTES (16u * 1024 * 1024)

struct ev_syscallbuf {
	uint64_t buffer;        /* the buffer's address (its header) */
	uint64_t offset;        /* where the records start in the record area */
	uint8_t *records;       /* may be empty when force_seq is set */
	size_t len;
	/* The recorder stopped the thread inside the library and asked it
	 * for a syscall stop at the call with this sequence number (the
	 * header's force_seq); 0: not. */
	uint64_t force_seq;
};

/* EV_TRACE_STOP: the thread is stopped for its emulated tracer.
 * TRACE_STOP_HERE: where it is (it ran no further since its last event);
 * TRACE_STOP_FAULT: it runs until its own instruction raises `signo`
 * (a breakpoint's int3, a fault), which its tracer took; TRACE_STOP_STEP:
 * it executes one instruction (PTRACE_SINGLESTEP).  Then, stopped, it
 * gets the registers (has_regs) and memory its tracer wrote. */
enum trace_stop_kind { TRACE_STOP_HERE, TRACE_STOP_FAULT, TRACE_STOP_STEP };

struct ev_trace_stop {
	uint8_t kind;           /* enum trace_stop_kind */
	int32_t signo;          /* TRACE_STOP_FAULT */
	bool has_regs;
	struct user_regs_struct regs;
	struct trace_mem_write *writes;
	size_t nwrites;
};

/* EV_PATCH: code and a trampoline the recorder wrote into the thread's
 * address space (replay/sitepatch.h), which replay writes at the same
 * moment: first a page mapped r-x, private and anonymous, at `page`
 * (0: the trampoline goes on a page an earlier EV_PATCH mapped), then
 * the writes (the trampoline, then the jump at the site). */
struct ev_patch {
	uint64_t site;          /* the syscall instruction patched */
	uint64_t page;
	struct trace_mem_write *writes;
	size_t nwrites;
};

struct ev_thread_create {
	int32_t new_tid;
	uint64_t clone_flags;
	uint64_t xcr0;          /* the new thread's */
	/* (2.3) The new task's tid in its own pid namespace (the last field
	 * of NSpid in /proc/PID/status): 1 for the init of a new pid
	 * namespace, new_tid when no pid namespace lies between it and the
	 * recorder.  0: not recorded (older traces). */
	int32_t ns_tid;
};

struct ev_status {
	int32_t status;         /* wait status */
};

struct ev_xcr0_change {
	uint64_t old_xcr0, new_xcr0;
};

struct trace_event {
	uint32_t type;          /* enum trace_event_type */
	int32_t tid;
	uint64_t ticks;
	union {
		struct ev_exec exec;
		struct ev_syscall syscall;
		struct ev_rdtsc rdtsc;
		struct ev_signal signal;
		struct ev_thread_create thread_create;
		struct ev_thread_create fork;   /* EV_FORK: new_tid is the child's pid */
		struct ev_status thread_exit;
		struct ev_status exit;
		struct ev_xcr0_change xcr0_change;
		struct ev_point point;
		struct ev_syscallbuf syscallbuf;
		struct ev_trace_stop trace_stop;
		struct ev_patch patch;
	} u;
};

const char *trace_event_name(uint32_t type);

/* Encode into out (appended).  -1: unknown type or out of memory. */
int trace_event_encode(const struct trace_event *ev, struct trace_buf *out);
/* 0 decoded (free with trace_event_free), 1 unknown type, -1 malformed. */
int trace_event_decode(struct trace_event *ev, uint32_t type,
		       const void *data, size_t len);
void trace_event_free(struct trace_event *ev);

int trace_event_write(struct trace_writer *w, const struct trace_event *ev);
/* The next event, skipping unknown optional records: TRACE_RECORD with
 * *ev filled, or the stream status (message in err).  An unknown required
 * type or a malformed record is TRACE_CORRUPT. */
enum trace_status trace_event_read(struct trace_reader *r,
				   struct trace_event *ev, char *err,
				   size_t errlen);

/* mmaps stream records. */
struct trace_mmap_record {
	uint64_t event;         /* index of the event that made it */
	int32_t tid;
	struct trace_mapping map;
	/* (2.4) A MAP_SHARED mapping of a file replay makes anonymous: the
	 * file's device and inode, so that every mapping of the same file,
	 * in any process, shares one memory in replay. 0, 0: none (and in
	 * traces before 2.4). */
	uint64_t shared_dev, shared_ino;
};
int trace_mmap_encode(const struct trace_mmap_record *m, struct trace_buf *out);
int trace_mmap_decode(struct trace_mmap_record *m, const void *data,
		      size_t len);
void trace_mapping_free(struct trace_mapping *m);

#endif
