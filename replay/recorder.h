/* The recorder: runs a program under ptrace and writes a trace directory
 * (replay/trace.h) that the replayer can follow without the kernel, the
 * clock or the scheduler of the recording machine.
 *
 * docs/recording.md says what is and is not recorded; docs/trace-format.md
 * ("Event semantics") says what each event means to the replayer. */
#ifndef XRR_REPLAY_RECORDER_H
#define XRR_REPLAY_RECORDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct recorder_options {
	char **argv;            /* the program's argv, argv[0] as typed */
	const char *path;       /* the executable to run (PATH resolved) */
	char **envp;            /* NULL: environ */
	const char *trace_dir;  /* empty or absent directory to record into */
	int cpu;                /* CPU to bind to, -1: the one xrr runs on */
	uint64_t xcr0;          /* XCR0 the program sees; 0: the host's
				 * (replay/recorder_xcr0.c) */
	bool no_syscall_buffer; /* every syscall through ptrace stops */
};

struct recorder_result {
	bool program_ended;     /* wait_status is valid */
	int wait_status;        /* of the program's main thread */
	bool failed;            /* recording stopped early (error says why) */
	char error[768];
	uint64_t events;
};

/* Record until the program ends or recording must stop.  Returns 0 when
 * the program ran to its end and the trace was closed, -1 otherwise
 * (res->error names the event, thread, syscall or file). */
int recorder_run(const struct recorder_options *o, struct recorder_result *res);
/* Is xcr0 usable for --xcr0 on this machine?  0, or -1 with the rule
 * broken in err (replay/recorder_xcr0.c). */
int rec_xcr0_validate(uint64_t xcr0, char *err, size_t errlen);

/* ---- annotations --------------------------------------------------------
 * An optional record type in the events stream (no TRACE_TYPE_REQUIRED bit:
 * trace_event_read skips it, replay ignores it): the bytes of a syscall's
 * input arguments (paths, buffers the kernel reads) as they were at entry,
 * so `xrr dump` can print `openat(AT_FDCWD, "/etc/passwd", ...)`.  It comes
 * right before the EV_SYSCALL it describes. */
#define TRACE_NOTE_SYSCALL_INPUTS 0x100u
#define NOTE_MAX_INPUTS 6

struct note_input {
	uint64_t addr;
	uint32_t len;
	const uint8_t *bytes;   /* points into the record */
};

struct note_syscall_inputs {
	int32_t tid;
	size_t n;
	struct note_input in[NOTE_MAX_INPUTS];
};

/* Parse a TRACE_NOTE_SYSCALL_INPUTS record; 0 or -1 when malformed. */
int note_syscall_inputs_decode(struct note_syscall_inputs *n,
			       const void *data, size_t len);

#endif
