/* The contract between the in-process syscall buffer library
 * (syscallbuf/preload.c, loaded into recorded programs) and xrr's
 * recorder and replayer (replay/syscallbuf.c).  Plain data: included by
 * freestanding code, so no libc headers.  docs/syscallbuf.md explains
 * the design; this file is the layout both sides must agree on.
 *
 * The fixed page.  The library's constructor maps two pages at
 * XRR_SB_PAGE_ADDR (an ordinary traced mmap, MAP_FIXED_NOREPLACE, so
 * replay maps them too) and fills them:
 *   page 0 (r-x): `syscall; ret` at offset 0.  The seccomp filter the
 *                 recorder installs before the first exec lets a syscall
 *                 whose instruction pointer is XRR_SB_UNTRACED_IP through
 *                 without a ptrace stop; every other syscall stops the
 *                 recorder as before.
 *   page 1 (rw-): struct xrr_sb_control: which mode the library runs in
 *                 (set by the recorder, the replayer, a diversion), and
 *                 the recorder's stdout/stderr identities.
 * Filters survive exec; a new image without the library simply has no
 * page there (every call then stops), and one with it maps it afresh.
 *
 * The buffer.  Each thread allocates its own (an ordinary traced mmap)
 * the first time it buffers a call, and announces it with the private
 * syscall XRR_SYS_SB_REGISTER.  A buffer is a header followed by records.
 * The library appends records; `used` only grows until the library
 * itself resets it, right after an XRR_SYS_SB_FLUSH call, while locked.
 * At every ptrace stop of the thread the recorder copies the records in
 * [flushed, used) into the trace (EV_SYSCALLBUF) and sets `flushed` to
 * `used`.  Replay writes those records back at the same offsets before
 * the thread runs, and the library, in replay mode, takes each call's
 * result and output bytes from its record instead of making the call. */
#ifndef XRR_SYSCALLBUF_ABI_H
#define XRR_SYSCALLBUF_ABI_H

#define XRR_SB_PAGE_ADDR        0x7ff000000000ULL
#define XRR_SB_PAGE_SIZE        0x2000ULL
#define XRR_SB_UNTRACED_OFF     0x0ULL   /* syscall; ret */
/* What seccomp sees as the instruction pointer: after the syscall. */
#define XRR_SB_UNTRACED_IP      (XRR_SB_PAGE_ADDR + XRR_SB_UNTRACED_OFF + 2)
#define XRR_SB_CONTROL_ADDR     (XRR_SB_PAGE_ADDR + 0x1000ULL)

#define XRR_SB_CONTROL_MAGIC    0x6c7274634278727aULL  /* "zrxBctrl" */
#define XRR_SB_MODE_OFF         0u  /* every call takes the traced path */
#define XRR_SB_MODE_RECORD      1u  /* make the call, append a record */
#define XRR_SB_MODE_REPLAY      2u  /* take the call's outcome from its record */
/* Every call takes the traced path and the library makes no call of its
 * own (no buffer for a new thread): the process has a seccomp filter or
 * strict mode of its own (replay/recorder_seccomp.c). */
#define XRR_SB_MODE_DISABLED    3u

struct xrr_sb_control {
	unsigned long long magic;       /* XRR_SB_CONTROL_MAGIC */
	unsigned int mode;              /* XRR_SB_MODE_* */
	unsigned int version;           /* XRR_SB_VERSION */
	/* The recorder's own stdout and stderr (st_dev, st_ino; 0 0 when
	 * closed), written at XRR_SYS_SB_REGISTER as part of that call's
	 * recorded effects: a large write to a file that may be one of them
	 * takes the ptrace path, where replay decides whether to echo it. */
	unsigned long long out_dev, out_ino, err_dev, err_ino;
	/* Where patched syscall sites call in (xrr_sb_site_hook), written
	 * by the library when it maps the page (replay/sitepatch.h). */
	unsigned long long site_hook;
};
#define XRR_SB_VERSION          1u

/* Private syscall numbers: no kernel has them (it answers ENOSYS), the
 * recorder answers them.  Made from the library's traced site. */
#define XRR_SYS_SB_REGISTER     0x7a5200   /* (buffer, size, unlock_ip, code start,
					    * code end): 0 = buffering on */
#define XRR_SYS_SB_FLUSH        0x7a5201   /* the buffer is full: take its records */
#define XRR_SYS_SB_WAIT         0x7a5202   /* replay only: (nr, seq) not written yet */

/* Patched syscall sites (replay/sitepatch.h): the site's trampoline calls
 * the hook (the control page's site_hook).  Declining a call, the hook returns this many bytes past
 * its return address, where the trampoline jumps back to the site's own
 * `syscall` instruction. */
#define XRR_SB_SITE_DECLINE     13
#define XRR_SB_SITE_DECLINE_STR "13"

/* The calls the site hook buffers, so the recorder patches a site that
 * made one: futex FUTEX_WAKE (with or without PRIVATE/CLOCK_REALTIME),
 * getpid, getppid, gettid, getuid, geteuid, getgid, getegid,
 * clock_gettime, gettimeofday, time (x86-64 numbers: no libc headers
 * here).  op: the call's second argument. */
static inline int xrr_sb_site_bufferable(long nr, unsigned long long op)
{
	switch (nr) {
	case 202:       /* futex */
		return (op & ~(128ULL | 256ULL)) == 1;
	case 39: case 110: case 186: case 102: case 107: case 104:
	case 108: case 228: case 96: case 201:
		return 1;
	default:
		return 0;
	}
}

#define XRR_SB_BUFFER_SIZE      (1024u * 1024u)
/* The last bytes of each buffer are the library's own stack for the part
 * of a call that differs between record and replay. */
#define XRR_SB_STACK_SIZE       (32u * 1024u)
#define XRR_SB_HEADER_MAGIC     0x6675426c6c61437aULL  /* "zCallBuf" */

/* At the start of each buffer.  64 bytes; records follow. */
struct xrr_sb_header {
	unsigned long long magic;       /* XRR_SB_HEADER_MAGIC */
	unsigned int size;              /* the whole buffer, header included */
	unsigned int locked;            /* a buffered call is in progress */
	unsigned long long used;        /* bytes of records (library's) */
	unsigned long long flushed;     /* bytes already in the trace (recorder's) */
	unsigned long long seq;         /* sequence number of the next record */
	/* Set by the recorder when it stopped the thread inside a buffered
	 * call and needs a syscall stop soon (a signal waits, or another
	 * thread): the first call whose sequence number is at least this
	 * one makes an XRR_SYS_SB_FLUSH first (before it locks).  The
	 * recorder asks the call after the one in progress.  Replay
	 * restores it with the records.  0: none. */
	unsigned long long force_seq;
	unsigned long long reserved[2];
};
#define XRR_SB_HEADER_SIZE      64u

/* One buffered call.  `size` covers the record and its data, rounded up
 * to 8.  data: the bytes the kernel wrote, in the order the library's
 * description of the call lists its output regions. */
struct xrr_sb_record {
	unsigned int size;
	unsigned int flags;             /* XRR_SB_REC_* */
	unsigned long long seq;
	long long nr;
	long long result;               /* the kernel's return value (-errno) */
	unsigned long long args[6];
};
#define XRR_SB_RECORD_SIZE      80u
/* flags: data starts with the call's path argument as the kernel read it
 * (NUL-terminated, at most XRR_SB_PATH_MAX bytes with the NUL, padded to
 * 8) for `xrr dump`; the output regions follow. */
#define XRR_SB_REC_PATH         1u
#define XRR_SB_PATH_MAX         256u
/* flags: after the path (if any), a u64 length L and the L bytes a write
 * handed the kernel (padded to 8): replay echoes them when the fd leads
 * to the recorder's stdout or stderr.  Writes of at most
 * XRR_SB_INLINE_WRITE bytes carry them; larger ones are buffered only
 * when the fd is not the recorder's stdout or stderr (control page). */
#define XRR_SB_REC_INPUT        2u
#define XRR_SB_INLINE_WRITE     4096u

#endif
