/* xrr-preload.so: the in-process syscall buffer (the library side of
 * syscallbuf/syscallbuf_abi.h).
 *
 * Loaded with LD_PRELOAD into recorded programs, it defines glibc's public
 * wrappers for common system calls (symbol interposition) and, once the
 * recorder has switched its control page to RECORD, makes those calls
 * itself through the untraced `syscall; ret` stub at XRR_SB_PAGE_ADDR (no
 * ptrace stop) and appends a record of each to a per-thread buffer.  In
 * REPLAY mode it takes each call's result and output bytes from the record
 * the replayer wrote instead of making the call.  In OFF mode, or when
 * the process could not map the page or register a buffer (no recorder),
 * every wrapper makes the plain syscall from the library's own code.
 *
 * Freestanding: no libc calls except __errno_location (resolved from
 * libc at load time), no libc headers, no sanitizer runtime.  A buffered
 * call never blocks: reads and writes are tried with RWF_NOWAIT, sockets
 * with MSG_DONTWAIT, polls with a zero timeout, opens only of regular
 * files and directories; when the attempt would block, the attempt stays
 * a record (replay must see it) and the call is made again on the traced
 * path.  Everything but the wrappers is hidden. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <asm/unistd.h>
#include <linux/errno.h>

#include "syscallbuf/syscallbuf_abi.h"

_Static_assert(sizeof(struct xrr_sb_header) == XRR_SB_HEADER_SIZE,
	       "buffer header layout");
_Static_assert(sizeof(struct xrr_sb_record) == XRR_SB_RECORD_SIZE,
	       "record layout");

#define EXPORT __attribute__((visibility("default")))
#define HIDDEN __attribute__((visibility("hidden")))
#define BARRIER() __asm__ __volatile__("" ::: "memory")

/* The linker's bounds of this library's image and code. */
extern const char __ehdr_start[] __attribute__((visibility("hidden")));
extern const char etext[] __attribute__((visibility("hidden")));

/* ---- constants (x86-64 Linux ABI values, no libc headers) ----------- */

#define SB_PROT_READ            0x1
#define SB_PROT_WRITE           0x2
#define SB_PROT_EXEC            0x4
#define SB_MAP_PRIVATE          0x02
#define SB_MAP_ANONYMOUS        0x20
#define SB_MAP_FIXED_NOREPLACE  0x100000
#define SB_AT_FDCWD             (-100)
#define SB_AT_SYMLINK_NOFOLLOW  0x100
#define SB_O_WRONLY             01
#define SB_O_CREAT              0100
#define SB_O_TRUNC              01000
#define SB_O_DIRECTORY          0200000
#define SB_O_TMPFILE            (020000000 | SB_O_DIRECTORY)
#define SB_S_IFMT               0170000
#define SB_S_IFREG              0100000
#define SB_S_IFDIR              0040000
#define SB_RWF_NOWAIT           0x8
#define SB_MSG_DONTWAIT         0x40
#define SB_FUTEX_CMD_MASK       (~(128 | 256))  /* PRIVATE, CLOCK_REALTIME */
#define SB_FUTEX_WAKE           1
#define SB_IOV_MAX              1024
#define SB_STAT_SIZE            144   /* struct stat */
#define SB_STAT_DEV_OFF         0     /* st_dev in struct stat */
#define SB_STAT_INO_OFF         8     /* st_ino */
#define SB_STAT_MODE_OFF        24    /* st_mode in struct stat */
#define SB_STATX_SIZE           256
#define SB_EPOLL_EVENT_SIZE     12    /* packed on x86-64 */
#define SB_POLLFD_SIZE          8
#define SB_SOCKADDR_MAX         128   /* sockaddr_storage: what the kernel writes at most */

struct sb_iovec {
	void *base;
	unsigned long len;
};

struct sb_msghdr {
	void *name;
	unsigned int namelen;
	struct sb_iovec *iov;
	unsigned long iovlen;
	void *control;
	unsigned long controllen;
	int flags;
};

struct sb_timespec {
	long sec;
	long nsec;
};

/* ---- prototypes of the interposed wrappers (glibc's names) ---------- */

EXPORT int getpid(void);
EXPORT int getppid(void);
EXPORT int gettid(void);
EXPORT unsigned getuid(void);
EXPORT unsigned geteuid(void);
EXPORT unsigned getgid(void);
EXPORT unsigned getegid(void);
EXPORT int clock_gettime(int clk, struct sb_timespec *ts);
EXPORT int gettimeofday(void *tv, void *tz);
EXPORT long time(long *t);
EXPORT long lseek(int fd, long off, int whence);
EXPORT long lseek64(int fd, long off, int whence);
EXPORT int fstat(int fd, void *st);
EXPORT int fstat64(int fd, void *st);
EXPORT int fstatat(int dirfd, const char *path, void *st, int flags);
EXPORT int fstatat64(int dirfd, const char *path, void *st, int flags);
EXPORT int stat(const char *path, void *st);
EXPORT int stat64(const char *path, void *st);
EXPORT int lstat(const char *path, void *st);
EXPORT int lstat64(const char *path, void *st);
EXPORT int statx(int dirfd, const char *path, int flags, unsigned mask,
		 void *stx);
EXPORT int access(const char *path, int mode);
EXPORT int faccessat(int dirfd, const char *path, int mode, int flags);
EXPORT int close(int fd);
EXPORT int fcntl(int fd, int cmd, ...);
EXPORT int fcntl64(int fd, int cmd, ...);
EXPORT int fsync(int fd);
EXPORT int fdatasync(int fd);
EXPORT int __open_2(const char *path, int flags);
EXPORT int __open64_2(const char *path, int flags);
EXPORT int __openat_2(int dirfd, const char *path, int flags);
EXPORT int __openat64_2(int dirfd, const char *path, int flags);
EXPORT long read(int fd, void *buf, unsigned long n);
EXPORT long readv(int fd, const struct sb_iovec *iov, int cnt);
EXPORT long pread64(int fd, void *buf, unsigned long n, long off);
EXPORT long pread(int fd, void *buf, unsigned long n, long off);
EXPORT long preadv(int fd, const struct sb_iovec *iov, int cnt, long off);
EXPORT long preadv64(int fd, const struct sb_iovec *iov, int cnt, long off);
EXPORT long write(int fd, const void *buf, unsigned long n);
EXPORT long writev(int fd, const struct sb_iovec *iov, int cnt);
EXPORT long pwrite64(int fd, const void *buf, unsigned long n, long off);
EXPORT long pwrite(int fd, const void *buf, unsigned long n, long off);
EXPORT long pwritev(int fd, const struct sb_iovec *iov, int cnt, long off);
EXPORT long pwritev64(int fd, const struct sb_iovec *iov, int cnt, long off);
EXPORT int poll(void *fds, unsigned long nfds, int timeout);
EXPORT int ppoll(void *fds, unsigned long nfds, const struct sb_timespec *tmo,
		 const void *sigmask);
EXPORT int epoll_wait(int epfd, void *events, int maxevents, int timeout);
EXPORT int epoll_pwait(int epfd, void *events, int maxevents, int timeout,
		       const void *sigmask);
EXPORT long recv(int fd, void *buf, unsigned long len, int flags);
EXPORT long recvfrom(int fd, void *buf, unsigned long len, int flags,
		     void *addr, unsigned *addrlen);
EXPORT long recvmsg(int fd, struct sb_msghdr *msg, int flags);
EXPORT long send(int fd, const void *buf, unsigned long len, int flags);
EXPORT long sendto(int fd, const void *buf, unsigned long len, int flags,
		   const void *addr, unsigned addrlen);
EXPORT long sendmsg(int fd, const struct sb_msghdr *msg, int flags);
EXPORT int open(const char *path, int flags, ...);
EXPORT int open64(const char *path, int flags, ...);
EXPORT int openat(int dirfd, const char *path, int flags, ...);
EXPORT int openat64(int dirfd, const char *path, int flags, ...);
EXPORT int creat(const char *path, unsigned mode);
EXPORT int creat64(const char *path, unsigned mode);
EXPORT long syscall(long nr, ...);

/* The one libc function the library uses. */
extern int *__errno_location(void);

/* The instruction after the common path clears `locked` (sb_call). */
extern char xrr_sb_unlock_ip[] HIDDEN;
/* Where patched syscall sites call in (the end of this file). */
extern char xrr_sb_site_hook[] HIDDEN;

/* ---- memory helpers (the compiler may emit calls to these) ---------- */

HIDDEN void *memcpy(void *dst, const void *src, size_t n);
HIDDEN void *memset(void *dst, int c, size_t n);

/* rep movsb/stosb: fast on every CPU with ERMS (Ivy Bridge, Zen 3 on);
 * buffered reads copy up to half a megabyte at a time. */
HIDDEN void *memcpy(void *dst, const void *src, size_t n)
{
	void *d = dst;

	__asm__ __volatile__("rep movsb"
			     : "+D"(d), "+S"(src), "+c"(n) : : "memory");
	return dst;
}

HIDDEN void *memset(void *dst, int c, size_t n)
{
	unsigned char *d = dst;

	while (n--)
		*d++ = (unsigned char)c;
	return dst;
}

/* ---- raw system calls ----------------------------------------------- */

/* Traced: a syscall instruction in the library's own code. */
static inline long sys6(long nr, long a, long b, long c, long d, long e,
			long f)
{
	register long r10 __asm__("r10") = d;
	register long r8 __asm__("r8") = e;
	register long r9 __asm__("r9") = f;
	long ret;

	__asm__ __volatile__("syscall"
			     : "=a"(ret)
			     : "a"(nr), "D"(a), "S"(b), "d"(c), "r"(r10),
			       "r"(r8), "r"(r9)
			     : "rcx", "r11", "memory");
	return ret;
}

#define SYS0(nr) sys6((nr), 0, 0, 0, 0, 0, 0)
#define SYS(nr, a, b, c, d, e, f) \
	sys6((nr), (long)(a), (long)(b), (long)(c), (long)(d), (long)(e), \
	     (long)(f))

/* Untraced: call the `syscall; ret` stub on the fixed page.  The call
 * pushes a return address, so step over the red zone first. */
static inline long untraced6(long nr, const long a[6])
{
	register long r10 __asm__("r10") = a[3];
	register long r8 __asm__("r8") = a[4];
	register long r9 __asm__("r9") = a[5];
	long ret;

	__asm__ __volatile__("lea -128(%%rsp), %%rsp\n\t"
			     "call *%[stub]\n\t"
			     "lea 128(%%rsp), %%rsp"
			     : "=a"(ret)
			     : "a"(nr), "D"(a[0]), "S"(a[1]), "d"(a[2]),
			       "r"(r10), "r"(r8), "r"(r9),
			       [stub] "r"(XRR_SB_PAGE_ADDR + XRR_SB_UNTRACED_OFF)
			     : "rcx", "r11", "memory", "cc");
	return ret;
}

/* glibc's convention: -1 and errno for a kernel error. */
static long ret_errno(long r)
{
	if ((unsigned long)r > -4096UL) {
		*__errno_location() = (int)-r;
		return -1;
	}
	return r;
}

/* ---- process and thread state --------------------------------------- */

static int sb_process_ok;       /* page mapped, nobody refused a buffer */

static __thread volatile struct xrr_sb_header *tls_buf
	__attribute__((tls_model("initial-exec")));
static __thread int tls_failed __attribute__((tls_model("initial-exec")));

static volatile struct xrr_sb_control *control(void)
{
	return (volatile struct xrr_sb_control *)XRR_SB_CONTROL_ADDR;
}

/* Does the existing mapping at XRR_SB_PAGE_ADDR hold the stub and a
 * control block?  Read through process_vm_readv on ourselves, which
 * fails (EFAULT) instead of faulting where nothing readable is mapped. */
static int page_is_ours(void)
{
	unsigned char stub[3] = { 0, 0, 0 };
	struct xrr_sb_control c;

	memset(&c, 0, sizeof(c));
	struct sb_iovec local[2] = { { stub, sizeof(stub) }, { &c, sizeof(c) } };
	struct sb_iovec remote[2] = {
		{ (void *)(XRR_SB_PAGE_ADDR + XRR_SB_UNTRACED_OFF), sizeof(stub) },
		{ (void *)XRR_SB_CONTROL_ADDR, sizeof(c) },
	};
	long pid = SYS0(__NR_getpid);

	if (SYS(__NR_process_vm_readv, pid, local, 2, remote, 2, 0) !=
	    (long)(sizeof(stub) + sizeof(c)))
		return 0;
	return stub[0] == 0x0f && stub[1] == 0x05 && stub[2] == 0xc3 &&
	       c.magic == XRR_SB_CONTROL_MAGIC && c.version == XRR_SB_VERSION;
}

__attribute__((constructor)) static void sb_init(void)
{
	long page = SYS(__NR_mmap, XRR_SB_PAGE_ADDR, XRR_SB_PAGE_SIZE,
			SB_PROT_READ | SB_PROT_WRITE,
			SB_MAP_PRIVATE | SB_MAP_ANONYMOUS |
			SB_MAP_FIXED_NOREPLACE, -1, 0);

	if (page == -EEXIST) {
		/* Already mapped: by a recorder that maps the page itself
		 * at exec (syscallbuf_abi.h), use it; anything else there:
		 * no buffering. */
		if (page_is_ours())
			sb_process_ok = 1;
		return;
	}
	if (page != (long)XRR_SB_PAGE_ADDR) {
		/* A kernel that took the address as a hint (no
		 * MAP_FIXED_NOREPLACE), or no memory: no buffering. */
		if (page > 0 || page < -4095)
			SYS(__NR_munmap, page, XRR_SB_PAGE_SIZE, 0, 0, 0, 0);
		return;
	}
	volatile unsigned char *stub = (volatile unsigned char *)
		(XRR_SB_PAGE_ADDR + XRR_SB_UNTRACED_OFF);
	stub[0] = 0x0f;         /* syscall */
	stub[1] = 0x05;
	stub[2] = 0xc3;         /* ret */
	volatile struct xrr_sb_control *c = control();
	c->magic = XRR_SB_CONTROL_MAGIC;
	c->mode = XRR_SB_MODE_OFF;
	c->version = XRR_SB_VERSION;
	c->site_hook = (unsigned long long)xrr_sb_site_hook;
	BARRIER();
	if (SYS(__NR_mprotect, XRR_SB_PAGE_ADDR, 0x1000,
		SB_PROT_READ | SB_PROT_EXEC, 0, 0, 0) != 0)
		return;
	sb_process_ok = 1;
}

/* The thread's buffer, registering one at its first bufferable call. */
static volatile struct xrr_sb_header *thread_buffer(void)
{
	volatile struct xrr_sb_header *h = tls_buf;

	if (h)
		return h;
	if (tls_failed || !sb_process_ok)
		return NULL;
	tls_failed = 1;         /* until registered: no recursion, no retry */
	long m = SYS(__NR_mmap, 0, XRR_SB_BUFFER_SIZE,
		     SB_PROT_READ | SB_PROT_WRITE,
		     SB_MAP_PRIVATE | SB_MAP_ANONYMOUS, -1, 0);
	if (m < 0 && m > -4096)
		return NULL;
	h = (volatile struct xrr_sb_header *)m;
	h->magic = XRR_SB_HEADER_MAGIC;
	h->size = XRR_SB_BUFFER_SIZE;
	h->locked = 0;
	h->used = 0;
	h->flushed = 0;
	h->seq = 0;
	BARRIER();
	/* Its code, where the recorder must not stop a thread for a point:
	 * record and replay take different paths through it. */
	if (SYS(XRR_SYS_SB_REGISTER, m, XRR_SB_BUFFER_SIZE,
		(long)xrr_sb_unlock_ip, (long)__ehdr_start, (long)etext,
		0) != 0) {
		SYS(__NR_munmap, m, XRR_SB_BUFFER_SIZE, 0, 0, 0, 0);
		sb_process_ok = 0;
		return NULL;
	}
	tls_buf = h;
	tls_failed = 0;
	return h;
}

/* ---- one call's description ----------------------------------------- */

/* Which output regions a call has; their order is the order of the
 * record's data. */
enum sb_out {
	OUT_NONE,
	OUT_FIXED,      /* p: n bytes, on success */
	OUT_IOV,        /* iov (p, n entries): the first `result` bytes */
	OUT_TIMEOFDAY,  /* p: 16 if non-null, p2: 8 if non-null */
	OUT_TIME,       /* p: 8 if non-null */
	OUT_EPOLL,      /* p: result * 12 */
	OUT_RECVFROM,   /* p: min(result, n) bytes; then *p3 (4) and p2:
			 * min(n2, *p3) when both p2 and p3 */
	OUT_RECVMSG,    /* msg p: namelen, controllen, flags, name
			 * (min(n, namelen)), control (min(n2, controllen)),
			 * iov data (result bytes) */
};

struct sb_call {
	long nr;
	long args[6];
	unsigned long max_out;  /* most output bytes the call can have */
	enum sb_out out;
	void *p, *p2;
	unsigned *p3;
	unsigned long n, n2;
	const char *path;       /* a path argument, kept for `xrr dump` */
	/* A write's first in_len bytes (XRR_SB_REC_INPUT), for replay's
	 * echo of what reached the terminal. */
	const struct sb_iovec *in_iov;
	unsigned long in_cnt, in_len;
};

struct sb_copy {
	int replay;             /* record -> user, else user -> record */
	unsigned char *data;
	unsigned long left;
};

static void region(struct sb_copy *x, void *user, unsigned long len)
{
	if (!user || !len)
		return;
	if (len > x->left)
		len = x->left;
	if (x->replay)
		memcpy(user, x->data, len);
	else
		memcpy(x->data, user, len);
	x->data += len;
	x->left -= len;
}

static void region_iov(struct sb_copy *x, const struct sb_iovec *iov,
		       unsigned long cnt, unsigned long bytes)
{
	for (unsigned long i = 0; i < cnt && bytes; i++) {
		unsigned long len = iov[i].len < bytes ? iov[i].len : bytes;
		region(x, iov[i].base, len);
		bytes -= len;
	}
}

static unsigned long min_ul(unsigned long a, unsigned long b)
{
	return a < b ? a : b;
}

/* The path a call read, first in its data: RECORD copies it (the kernel
 * read it, so it is readable unless the call said EFAULT), REPLAY skips
 * it.  Returns the record flag. */
static unsigned path_note(struct sb_copy *x, const struct sb_call *c,
			  volatile struct xrr_sb_record *rec, long result)
{
	unsigned long n = 0;

	if (x->replay) {
		if (!(rec->flags & XRR_SB_REC_PATH))
			return 0;
		while (n < x->left && n < XRR_SB_PATH_MAX && x->data[n])
			n++;
	} else {
		if (!c->path || result == -EFAULT)
			return 0;
		while (n + 1 < XRR_SB_PATH_MAX && c->path[n])
			n++;
		memcpy(x->data, c->path, n);
		x->data[n] = 0;
	}
	n = (n + 1 + 7) & ~7UL;
	if (n > x->left)
		n = x->left;
	x->data += n;
	x->left -= n;
	return XRR_SB_REC_PATH;
}

/* The bytes a write handed the kernel, after the path: RECORD copies
 * them (u64 length, bytes, padding), REPLAY skips them.  Returns the
 * record flag. */
static unsigned input_note(struct sb_copy *x, const struct sb_call *c,
			   volatile struct xrr_sb_record *rec, long result)
{
	unsigned long long len = 0;

	if (x->replay) {
		if (!(rec->flags & XRR_SB_REC_INPUT) || x->left < 8)
			return 0;
		memcpy(&len, x->data, 8);
		if (len > XRR_SB_INLINE_WRITE)
			len = 0;
	} else {
		/* Only what the kernel took: a failed write took nothing,
		 * and its buffer may be unreadable (a NULL buffer fails
		 * with EOPNOTSUPP under RWF_NOWAIT before EFAULT). */
		if (!c->in_len || result <= 0 || x->left < 8)
			return 0;
		len = (unsigned long long)result < c->in_len
		      ? (unsigned long long)result : c->in_len;
		memcpy(x->data, &len, 8);
		unsigned char *d = x->data + 8;
		unsigned long want = (unsigned long)len;
		for (unsigned long i = 0; i < c->in_cnt && want; i++) {
			unsigned long n = c->in_iov[i].len < want
					  ? c->in_iov[i].len : want;
			memcpy(d, c->in_iov[i].base, n);
			d += n;
			want -= n;
		}
	}
	unsigned long n = (8 + (unsigned long)len + 7) & ~7UL;
	if (n > x->left)
		n = x->left;
	x->data += n;
	x->left -= n;
	return XRR_SB_REC_INPUT;
}

/* Copy the call's output regions (never for a failed call). */
static void outputs(struct sb_copy *x, const struct sb_call *c, long result)
{
	if (result < 0)
		return;
	switch (c->out) {
	case OUT_NONE:
		break;
	case OUT_FIXED:
		region(x, c->p, c->n);
		break;
	case OUT_IOV:
		region_iov(x, c->p, c->n, (unsigned long)result);
		break;
	case OUT_TIMEOFDAY:
		region(x, c->p, 16);
		region(x, c->p2, 8);
		break;
	case OUT_TIME:
		region(x, c->p, 8);
		break;
	case OUT_EPOLL:
		region(x, c->p, (unsigned long)result * SB_EPOLL_EVENT_SIZE);
		break;
	case OUT_RECVFROM:
		region(x, c->p, min_ul((unsigned long)result, c->n));
		if (c->p2 && c->p3) {
			region(x, c->p3, 4);
			region(x, c->p2, min_ul(*(volatile unsigned *)c->p3,
						c->n2));
		}
		break;
	case OUT_RECVMSG: {
		struct sb_msghdr *m = c->p;
		region(x, &m->namelen, sizeof(m->namelen));
		region(x, &m->controllen, sizeof(m->controllen));
		region(x, &m->flags, sizeof(m->flags));
		if (m->name)
			region(x, m->name, min_ul(c->n, m->namelen));
		if (m->control)
			region(x, m->control, min_ul(c->n2, m->controllen));
		region_iov(x, m->iov, m->iovlen, (unsigned long)result);
		break;
	}
	}
}

/* ---- the common path ------------------------------------------------ */

/* The part of a buffered call that differs between record and replay:
 * make the call and copy what the kernel wrote into the record, or take
 * both from the record.  Returns the record's size (0: the mode is off),
 * the result in *result.  Only this function reads the mode, so no frame
 * above it holds a value that differs between the two. */
__attribute__((noinline, noclone, used)) static unsigned
sb_do(const struct sb_call *c, volatile struct xrr_sb_header *h,
      unsigned long out_max, unsigned long need, long *result)
{
	unsigned mode = control()->mode;
	if (mode != XRR_SB_MODE_RECORD && mode != XRR_SB_MODE_REPLAY)
		return 0;
	volatile struct xrr_sb_record *rec = (volatile struct xrr_sb_record *)
		((char *)h + XRR_SB_HEADER_SIZE + h->used);
	unsigned char *data = (unsigned char *)rec + XRR_SB_RECORD_SIZE;
	struct sb_copy x = { .replay = mode == XRR_SB_MODE_REPLAY,
			     .data = data, .left = out_max };
	long r;
	unsigned size;

	if (mode == XRR_SB_MODE_RECORD) {
		r = untraced6(c->nr, c->args);
		rec->seq = h->seq;
		rec->nr = c->nr;
		rec->result = r;
		for (int i = 0; i < 6; i++)
			rec->args[i] = (unsigned long long)c->args[i];
		unsigned flags = path_note(&x, c, rec, r);
		flags |= input_note(&x, c, rec, r);
		rec->flags = flags;
		outputs(&x, c, r);
		size = (unsigned)((XRR_SB_RECORD_SIZE +
				   (unsigned long)(x.data - data) + 7) & ~7UL);
		rec->size = size;
	} else {
		unsigned long long seq = h->seq;
		while (rec->seq != seq)
			SYS(XRR_SYS_SB_WAIT, c->nr, seq, 0, 0, 0, 0);
		size = rec->size;
		if (rec->nr != c->nr || size < XRR_SB_RECORD_SIZE ||
		    size > need) {
			/* Divergence: the replayer reports it here. */
			SYS(XRR_SYS_SB_WAIT, c->nr, seq, 0, 0, 0, 0);
			size = rec->size;
			if (size < XRR_SB_RECORD_SIZE || size > need)
				size = (unsigned)need;
		}
		if (rec->nr == c->nr) {
			r = rec->result;
			x.left = min_ul(x.left, size - XRR_SB_RECORD_SIZE);
			path_note(&x, c, rec, r);
			input_note(&x, c, rec, r);
			outputs(&x, c, r);
		} else {
			r = -ENOSYS;
		}
	}
	*result = r;
	return size;
}

/* sb_do on another stack (top: 16-byte aligned).  rbp keeps the
 * caller's stack pointer, and the unwind information says so (CFA =
 * rbp + 16), so GDB walks from sb_do's frames back to the program's. */
unsigned sb_do_on_stack(const struct sb_call *c,
			volatile struct xrr_sb_header *h,
			unsigned long out_max, unsigned long need,
			long *result, void *top) HIDDEN;
__asm__(".text\n"
	".type sb_do_on_stack, @function\n"
	"sb_do_on_stack:\n\t"
	".cfi_startproc\n\t"
	"push %rbp\n\t"
	".cfi_def_cfa_offset 16\n\t"
	".cfi_offset %rbp, -16\n\t"
	"mov %rsp, %rbp\n\t"
	".cfi_def_cfa_register %rbp\n\t"
	"mov %r9, %rsp\n\t"
	"call sb_do\n\t"
	"mov %rbp, %rsp\n\t"
	"pop %rbp\n\t"
	".cfi_def_cfa %rsp, 8\n\t"
	"ret\n\t"
	".cfi_endproc\n"
	".size sb_do_on_stack, .-sb_do_on_stack\n");

/* Make (RECORD) or replay (REPLAY) c as a buffered call.  1 with the
 * kernel's result in *result, or 0: the caller takes the traced path.
 * Not inlined, not cloned: the unlock label must exist once. */
__attribute__((noinline, noclone)) static int sb_call(const struct sb_call *c,
						      long *result)
{
	volatile struct xrr_sb_header *h;

	if (!sb_process_ok || control()->mode == XRR_SB_MODE_DISABLED)
		return 0;
	h = thread_buffer();
	if (!h)
		return 0;
	/* Record and replay must run the same instructions with the same
	 * registers up to every syscall the recorder stops at (a signal may
	 * be delivered there, and replay restores the recorded frame's
	 * registers when its handler returns): so the mode is read only
	 * after the flushes below, into a value that is dead after the
	 * call. */
	if (control()->mode == XRR_SB_MODE_OFF || h->locked)
		return 0;
	if (h->force_seq && h->seq >= h->force_seq) {
		/* The recorder asked for a syscall stop (it waits to deliver
		 * a signal or switch threads): this flush is one.  Not locked
		 * yet: a handler that runs here may buffer its own calls. */
		h->force_seq = 0;
		BARRIER();
		SYS(XRR_SYS_SB_FLUSH, 0, 0, 0, 0, 0, 0);
		if (h->locked)
			return 0;
	}
	h->locked = 1;
	BARRIER();
	unsigned long cap = h->size - XRR_SB_HEADER_SIZE - XRR_SB_STACK_SIZE;
	unsigned long out_max = c->max_out + (c->path ? XRR_SB_PATH_MAX + 8 : 0) +
				(c->in_len ? c->in_len + 16 : 0);
	unsigned long need = (XRR_SB_RECORD_SIZE + out_max + 7) & ~7UL;
	if (need > cap / 2) {
		BARRIER();
		h->locked = 0;
		return 0;
	}
	if (h->used + need > cap) {
		SYS(XRR_SYS_SB_FLUSH, 0, 0, 0, 0, 0, 0);
		h->used = 0;
		h->flushed = 0;
		BARRIER();
	}
	long r = 0;
	/* On the library's own stack at the end of the buffer: the
	 * program's stack never sees what differs between record and
	 * replay (it may read dead stack, and points compare what it
	 * reads), and a debugger's watchpoints on it never fire in here. */
	unsigned size = sb_do_on_stack(c, h, out_max, need, &r,
				       (char *)h + h->size);
	if (!size) {
		BARRIER();
		h->locked = 0;
		return 0;
	}
	BARRIER();
	h->seq = h->seq + 1;
	h->used = h->used + size;
	/* unlock_ip: the instruction after the store that clears `locked`. */
	__asm__ __volatile__("movl $0, (%0)\n\t"
			     ".globl xrr_sb_unlock_ip\n\t"
			     ".hidden xrr_sb_unlock_ip\n"
			     "xrr_sb_unlock_ip:"
			     : : "r"(&h->locked) : "memory");
	*result = r;
	return 1;
}

/* A buffered call, or the same call traced. */
static long sb_or_traced(const struct sb_call *c)
{
	long r;

	if (sb_call(c, &r))
		return r;
	return SYS(c->nr, c->args[0], c->args[1], c->args[2], c->args[3],
		   c->args[4], c->args[5]);
}

static long simple(long nr, long a, long b, long c, long d, long e)
{
	struct sb_call call = { .nr = nr, .args = { a, b, c, d, e, 0 } };
	return sb_or_traced(&call);
}

static long fixed_out(long nr, long a, long b, long c, long d, long e,
		      void *out, unsigned long n)
{
	struct sb_call call = { .nr = nr, .args = { a, b, c, d, e, 0 },
				.max_out = n, .out = OUT_FIXED, .p = out,
				.n = n };
	return sb_or_traced(&call);
}

/* ---- identity, time, metadata --------------------------------------- */

/* As glibc: these cannot fail, so errno is never set (a seccomp filter's
 * ERRNO answer comes back as the raw negative value). */
int getpid(void) { return (int)simple(__NR_getpid, 0, 0, 0, 0, 0); }
int getppid(void) { return (int)simple(__NR_getppid, 0, 0, 0, 0, 0); }
int gettid(void) { return (int)simple(__NR_gettid, 0, 0, 0, 0, 0); }
unsigned getuid(void) { return (unsigned)simple(__NR_getuid, 0, 0, 0, 0, 0); }
unsigned geteuid(void) { return (unsigned)simple(__NR_geteuid, 0, 0, 0, 0, 0); }
unsigned getgid(void) { return (unsigned)simple(__NR_getgid, 0, 0, 0, 0, 0); }
unsigned getegid(void) { return (unsigned)simple(__NR_getegid, 0, 0, 0, 0, 0); }

int clock_gettime(int clk, struct sb_timespec *ts)
{
	return (int)ret_errno(fixed_out(__NR_clock_gettime, clk, (long)ts, 0,
					0, 0, ts, 16));
}

int gettimeofday(void *tv, void *tz)
{
	struct sb_call c = { .nr = __NR_gettimeofday,
			     .args = { (long)tv, (long)tz },
			     .max_out = 24, .out = OUT_TIMEOFDAY,
			     .p = tv, .p2 = tz };
	return (int)ret_errno(sb_or_traced(&c));
}

long time(long *t)
{
	struct sb_call c = { .nr = __NR_time, .args = { (long)t },
			     .max_out = 8, .out = OUT_TIME, .p = t };
	return ret_errno(sb_or_traced(&c));
}

long lseek(int fd, long off, int whence)
{
	return ret_errno(simple(__NR_lseek, fd, off, whence, 0, 0));
}

long lseek64(int fd, long off, int whence)
	__attribute__((alias("lseek")));

int fstat(int fd, void *st)
{
	return (int)ret_errno(fixed_out(__NR_fstat, fd, (long)st, 0, 0, 0,
					st, SB_STAT_SIZE));
}

int fstat64(int fd, void *st) __attribute__((alias("fstat")));

int fstatat(int dirfd, const char *path, void *st, int flags)
{
	struct sb_call c = { .nr = __NR_newfstatat,
			     .args = { dirfd, (long)path, (long)st, flags },
			     .max_out = SB_STAT_SIZE, .out = OUT_FIXED,
			     .p = st, .n = SB_STAT_SIZE, .path = path };
	return (int)ret_errno(sb_or_traced(&c));
}

int fstatat64(int dirfd, const char *path, void *st, int flags)
	__attribute__((alias("fstatat")));

int stat(const char *path, void *st)
{
	return fstatat(SB_AT_FDCWD, path, st, 0);
}

int stat64(const char *path, void *st) __attribute__((alias("stat")));

int lstat(const char *path, void *st)
{
	return fstatat(SB_AT_FDCWD, path, st, SB_AT_SYMLINK_NOFOLLOW);
}

int lstat64(const char *path, void *st) __attribute__((alias("lstat")));

int statx(int dirfd, const char *path, int flags, unsigned mask, void *stx)
{
	struct sb_call c = { .nr = __NR_statx,
			     .args = { dirfd, (long)path, flags, mask, (long)stx },
			     .max_out = SB_STATX_SIZE, .out = OUT_FIXED,
			     .p = stx, .n = SB_STATX_SIZE, .path = path };
	return (int)ret_errno(sb_or_traced(&c));
}

int access(const char *path, int mode)
{
	struct sb_call c = { .nr = __NR_access, .args = { (long)path, mode },
			     .path = path };
	return (int)ret_errno(sb_or_traced(&c));
}

int faccessat(int dirfd, const char *path, int mode, int flags)
{
	struct sb_call c = { .nr = flags ? __NR_faccessat2 : __NR_faccessat,
			     .args = { dirfd, (long)path, mode, flags },
			     .path = path };
	return (int)ret_errno(sb_or_traced(&c));
}

/* fcntl commands that never block.  F_SETLKW/F_OFD_SETLKW wait for a
 * lock; unknown commands and fd-less ones take the traced path. */
#define SB_F_DUPFD 0
#define SB_F_GETFD 1
#define SB_F_SETFD 2
#define SB_F_GETFL 3
#define SB_F_SETFL 4
#define SB_F_GETLK 5
#define SB_F_SETLK 6
#define SB_F_DUPFD_CLOEXEC 1030
#define SB_F_OFD_GETLK 36
#define SB_F_OFD_SETLK 37
#define SB_FLOCK_SIZE 32

int fcntl(int fd, int cmd, ...)
{
	__builtin_va_list ap;
	__builtin_va_start(ap, cmd);
	long arg = __builtin_va_arg(ap, long);
	__builtin_va_end(ap);

	switch (cmd) {
	case SB_F_DUPFD: case SB_F_DUPFD_CLOEXEC:
	case SB_F_GETFD: case SB_F_SETFD: case SB_F_GETFL: case SB_F_SETFL:
	case SB_F_SETLK: case SB_F_OFD_SETLK:
		return (int)ret_errno(simple(__NR_fcntl, fd, cmd, arg, 0, 0));
	case SB_F_GETLK: case SB_F_OFD_GETLK:
		/* The kernel writes the struct flock back. */
		return (int)ret_errno(fixed_out(__NR_fcntl, fd, cmd, arg, 0, 0,
						(void *)arg, SB_FLOCK_SIZE));
	default:
		return (int)ret_errno(SYS(__NR_fcntl, fd, cmd, arg, 0, 0, 0));
	}
}

int fcntl64(int fd, int cmd, ...) __attribute__((alias("fcntl")));

/* Waits for the disk at most, never for another process. */
int fsync(int fd)
{
	return (int)ret_errno(simple(__NR_fsync, fd, 0, 0, 0, 0));
}

int fdatasync(int fd)
{
	return (int)ret_errno(simple(__NR_fdatasync, fd, 0, 0, 0, 0));
}

int close(int fd)
{
	if (fd >= 0 && fd <= 2)
		return (int)ret_errno(SYS(__NR_close, fd, 0, 0, 0, 0, 0));
	return (int)ret_errno(simple(__NR_close, fd, 0, 0, 0, 0));
}

/* ---- reads and writes ----------------------------------------------- */

/* Sum of an iovec array the kernel would accept, or -1: too many
 * entries or too many bytes to buffer (the traced path decides). */
static long iov_total(const struct sb_iovec *iov, int cnt)
{
	unsigned long total = 0;

	if (cnt < 0 || cnt > SB_IOV_MAX)
		return -1;
	for (int i = 0; i < cnt; i++) {
		if (iov[i].len > XRR_SB_BUFFER_SIZE)
			return -1;
		total += iov[i].len;
		if (total > XRR_SB_BUFFER_SIZE)
			return -1;
	}
	return (long)total;
}

/* Is fd a regular file?  A buffered fstat (a record of its own). */
/* Could fd lead to the recorder's stdout or stderr?  Same file as one
 * of them (a buffered fstat); when unsure, yes. */
static int may_echo(int fd)
{
	volatile struct xrr_sb_control *ctl = control();
	unsigned char st[SB_STAT_SIZE];
	long r = fixed_out(__NR_fstat, fd, (long)st, 0, 0, 0, st,
			   SB_STAT_SIZE);
	if (r != 0)
		return 1;
	unsigned long long dev = *(unsigned long long *)(st + SB_STAT_DEV_OFF);
	unsigned long long ino = *(unsigned long long *)(st + SB_STAT_INO_OFF);
	return (dev == ctl->out_dev && ino == ctl->out_ino) ||
	       (dev == ctl->err_dev && ino == ctl->err_ino);
}

static int is_regular(int fd)
{
	unsigned char st[SB_STAT_SIZE];
	long r = fixed_out(__NR_fstat, fd, (long)st, 0, 0, 0, st,
			   SB_STAT_SIZE);
	if (r != 0)
		return 0;
	unsigned mode = *(unsigned *)(st + SB_STAT_MODE_OFF);
	return (mode & SB_S_IFMT) == SB_S_IFREG;
}

/* The rest of a transfer of `total` bytes of which `done` happened:
 * traced calls segment by segment (off -1: the file position).  Returns
 * the bytes moved; stops at a short or failed call. */
static long finish_traced(int write_, int fd, const struct sb_iovec *iov,
			  int cnt, long off, long done)
{
	long more = 0;
	unsigned long skip = (unsigned long)done;

	for (int i = 0; i < cnt; i++) {
		if (skip >= iov[i].len) {
			skip -= iov[i].len;
			continue;
		}
		char *base = (char *)iov[i].base + skip;
		unsigned long len = iov[i].len - skip;
		long r;
		skip = 0;
		if (off == -1)
			r = SYS(write_ ? __NR_write : __NR_read, fd, base, len,
				0, 0, 0);
		else
			r = SYS(write_ ? __NR_pwrite64 : __NR_pread64, fd,
				base, len, off + done + more, 0, 0);
		if (r <= 0)
			break;
		more += r;
		if ((unsigned long)r < len)
			break;
	}
	return more;
}

/* Buffered preadv2/pwritev2 with RWF_NOWAIT.  1 with the (raw) result
 * in *res, or 0: make the original call traced. */
static int sb_rw(int write_, int fd, const struct sb_iovec *iov, int cnt,
		 long off, long *res)
{
	long total;
	long r;

	if (fd < 0 || (off < 0 && off != -1))
		return 0;
	total = iov_total(iov, cnt);
	if (total < 0)
		return 0;
	/* Replay echoes what reached the recorder's stdout and stderr: a
	 * small write keeps its bytes in its record; a large one is
	 * buffered only when its fd cannot be one of them. */
	if (write_ && total > XRR_SB_INLINE_WRITE && may_echo(fd))
		return 0;
	struct sb_call c = {
		.nr = write_ ? __NR_pwritev2 : __NR_preadv2,
		.args = { fd, (long)iov, cnt, off, 0, SB_RWF_NOWAIT },
		.max_out = write_ ? 0 : (unsigned long)total,
		.out = write_ ? OUT_NONE : OUT_IOV,
		.p = (void *)iov, .n = (unsigned long)cnt,
	};
	if (write_ && total <= XRR_SB_INLINE_WRITE) {
		c.in_iov = iov;
		c.in_cnt = (unsigned long)cnt;
		c.in_len = (unsigned long)total;
	}
	if (!sb_call(&c, &r))
		return 0;
	if (r == -EAGAIN || r == -EOPNOTSUPP || r == -EINVAL) {
		/* A regular file never blocks for long (an uncached read
		 * waits for the disk; ext4 refuses RWF_NOWAIT for buffered
		 * writes): the same call without the flag, still buffered.
		 * Anything else may block: the traced path. */
		if (!is_regular(fd))
			return 0;
		c.args[5] = 0;
		if (!sb_call(&c, &r))
			return 0;
	}
	if (r > 0 && r < total) {
		/* Reads: short on a regular file is RWF_NOWAIT's artifact
		 * (pipes and sockets return what they have).  Writes: a
		 * blocking write moves it all, whatever the file. */
		if (write_ || is_regular(fd))
			r += finish_traced(write_, fd, iov, cnt, off, r);
	}
	*res = r;
	return 1;
}

static long do_rw(int write_, long nr, int fd, const struct sb_iovec *iov,
		  int cnt, long off, long a1, long a2)
{
	long r;

	if (sb_rw(write_, fd, iov, cnt, off, &r))
		return ret_errno(r);
	return ret_errno(SYS(nr, fd, a1, a2, off, 0, 0));
}

long read(int fd, void *buf, unsigned long n)
{
	struct sb_iovec iov = { buf, n };
	return do_rw(0, __NR_read, fd, &iov, 1, -1, (long)buf, (long)n);
}

long readv(int fd, const struct sb_iovec *iov, int cnt)
{
	return do_rw(0, __NR_readv, fd, iov, cnt, -1, (long)iov, cnt);
}

long pread64(int fd, void *buf, unsigned long n, long off)
{
	struct sb_iovec iov = { buf, n };
	if (off < 0)
		return ret_errno(SYS(__NR_pread64, fd, buf, n, off, 0, 0));
	return do_rw(0, __NR_pread64, fd, &iov, 1, off, (long)buf, (long)n);
}

long pread(int fd, void *buf, unsigned long n, long off)
	__attribute__((alias("pread64")));

long preadv(int fd, const struct sb_iovec *iov, int cnt, long off)
{
	if (off < 0)
		return ret_errno(SYS(__NR_preadv, fd, iov, cnt, off, 0, 0));
	return do_rw(0, __NR_preadv, fd, iov, cnt, off, (long)iov, cnt);
}

long preadv64(int fd, const struct sb_iovec *iov, int cnt, long off)
	__attribute__((alias("preadv")));

long write(int fd, const void *buf, unsigned long n)
{
	struct sb_iovec iov = { (void *)buf, n };
	return do_rw(1, __NR_write, fd, &iov, 1, -1, (long)buf, (long)n);
}

long writev(int fd, const struct sb_iovec *iov, int cnt)
{
	return do_rw(1, __NR_writev, fd, iov, cnt, -1, (long)iov, cnt);
}

long pwrite64(int fd, const void *buf, unsigned long n, long off)
{
	struct sb_iovec iov = { (void *)buf, n };
	if (off < 0)
		return ret_errno(SYS(__NR_pwrite64, fd, buf, n, off, 0, 0));
	return do_rw(1, __NR_pwrite64, fd, &iov, 1, off, (long)buf, (long)n);
}

long pwrite(int fd, const void *buf, unsigned long n, long off)
	__attribute__((alias("pwrite64")));

long pwritev(int fd, const struct sb_iovec *iov, int cnt, long off)
{
	if (off < 0)
		return ret_errno(SYS(__NR_pwritev, fd, iov, cnt, off, 0, 0));
	return do_rw(1, __NR_pwritev, fd, iov, cnt, off, (long)iov, cnt);
}

long pwritev64(int fd, const struct sb_iovec *iov, int cnt, long off)
	__attribute__((alias("pwritev")));

/* ---- polling -------------------------------------------------------- */

static int zero_ts(const struct sb_timespec *t)
{
	return t && t->sec == 0 && t->nsec == 0;
}

/* A zero-timeout poll.  1 with *res when it is the answer, 0: the
 * traced call with the caller's timeout. */
static int sb_poll(void *fds, unsigned long nfds, int zero_timeout,
		   long *res)
{
	long r;

	if (nfds > XRR_SB_BUFFER_SIZE / SB_POLLFD_SIZE)
		return 0;
	struct sb_call c = { .nr = __NR_poll,
			     .args = { (long)fds, (long)nfds, 0 },
			     .max_out = nfds * SB_POLLFD_SIZE,
			     .out = OUT_FIXED, .p = fds,
			     .n = nfds * SB_POLLFD_SIZE };
	if (!sb_call(&c, &r))
		return 0;
	if (r == 0 && !zero_timeout)
		return 0;
	*res = r;
	return 1;
}

int poll(void *fds, unsigned long nfds, int timeout)
{
	long r;

	if (sb_poll(fds, nfds, timeout == 0, &r))
		return (int)ret_errno(r);
	return (int)ret_errno(SYS(__NR_poll, fds, nfds, timeout, 0, 0, 0));
}

int ppoll(void *fds, unsigned long nfds, const struct sb_timespec *tmo,
	  const void *sigmask)
{
	long r;

	/* With a signal mask the call is a signal-wait point: traced. */
	if (!sigmask && sb_poll(fds, nfds, zero_ts(tmo), &r))
		return (int)ret_errno(r);
	return (int)ret_errno(SYS(__NR_ppoll, fds, nfds, tmo, sigmask,
				  sigmask ? 8 : 0, 0));
}

static int sb_epoll(int epfd, void *events, int maxevents, int zero_timeout,
		    long *res)
{
	long r;

	if (maxevents <= 0 ||
	    (unsigned long)maxevents > XRR_SB_BUFFER_SIZE / SB_EPOLL_EVENT_SIZE)
		return 0;
	struct sb_call c = { .nr = __NR_epoll_wait,
			     .args = { epfd, (long)events, maxevents, 0 },
			     .max_out = (unsigned long)maxevents *
					SB_EPOLL_EVENT_SIZE,
			     .out = OUT_EPOLL, .p = events };
	if (!sb_call(&c, &r))
		return 0;
	if (r == 0 && !zero_timeout)
		return 0;
	*res = r;
	return 1;
}

int epoll_wait(int epfd, void *events, int maxevents, int timeout)
{
	long r;

	if (sb_epoll(epfd, events, maxevents, timeout == 0, &r))
		return (int)ret_errno(r);
	return (int)ret_errno(SYS(__NR_epoll_wait, epfd, events, maxevents,
				  timeout, 0, 0));
}

int epoll_pwait(int epfd, void *events, int maxevents, int timeout,
		const void *sigmask)
{
	long r;

	if (!sigmask && sb_epoll(epfd, events, maxevents, timeout == 0, &r))
		return (int)ret_errno(r);
	return (int)ret_errno(SYS(__NR_epoll_pwait, epfd, events, maxevents,
				  timeout, sigmask, 8));
}

/* ---- sockets -------------------------------------------------------- */

long recvfrom(int fd, void *buf, unsigned long len, int flags, void *addr,
	      unsigned *addrlen)
{
	long r;

	if (fd > 2 && len <= XRR_SB_BUFFER_SIZE) {
		unsigned alen = 0;
		if (addr && addrlen) {
			alen = *addrlen;
			if (alen > SB_SOCKADDR_MAX)
				alen = SB_SOCKADDR_MAX;
		}
		struct sb_call c = {
			.nr = __NR_recvfrom,
			.args = { fd, (long)buf, (long)len,
				  flags | SB_MSG_DONTWAIT, (long)addr,
				  (long)addrlen },
			.max_out = len + 4 + alen, .out = OUT_RECVFROM,
			.p = buf, .n = len, .p2 = addr, .p3 = addrlen,
			.n2 = alen,
		};
		if (sb_call(&c, &r) &&
		    (r != -EAGAIN || (flags & SB_MSG_DONTWAIT)))
			return ret_errno(r);
	}
	return ret_errno(SYS(__NR_recvfrom, fd, buf, len, flags, addr,
			     addrlen));
}

long recv(int fd, void *buf, unsigned long len, int flags)
{
	return recvfrom(fd, buf, len, flags, 0, 0);
}

long recvmsg(int fd, struct sb_msghdr *msg, int flags)
{
	long r;

	if (fd > 2 && msg && msg->iovlen <= SB_IOV_MAX &&
	    msg->controllen <= XRR_SB_BUFFER_SIZE) {
		long total = iov_total(msg->iov, (int)msg->iovlen);
		unsigned long nlen = msg->name ? min_ul(msg->namelen,
							SB_SOCKADDR_MAX) : 0;
		unsigned long clen = msg->control ? msg->controllen : 0;
		if (total >= 0) {
			struct sb_call c = {
				.nr = __NR_recvmsg,
				.args = { fd, (long)msg,
					  flags | SB_MSG_DONTWAIT },
				.max_out = 16 + nlen + clen +
					   (unsigned long)total,
				.out = OUT_RECVMSG, .p = msg,
				.n = nlen, .n2 = clen,
			};
			if (sb_call(&c, &r) &&
			    (r != -EAGAIN || (flags & SB_MSG_DONTWAIT)))
				return ret_errno(r);
		}
	}
	return ret_errno(SYS(__NR_recvmsg, fd, msg, flags, 0, 0, 0));
}

long sendto(int fd, const void *buf, unsigned long len, int flags,
	    const void *addr, unsigned addrlen)
{
	long r;

	if (fd > 2) {
		struct sb_call c = {
			.nr = __NR_sendto,
			.args = { fd, (long)buf, (long)len,
				  flags | SB_MSG_DONTWAIT, (long)addr,
				  addrlen },
		};
		if (sb_call(&c, &r)) {
			if (r == -EAGAIN && !(flags & SB_MSG_DONTWAIT))
				goto traced;
			/* Partial: a stream socket (datagrams go whole). */
			if (r > 0 && (unsigned long)r < len &&
			    !(flags & SB_MSG_DONTWAIT)) {
				long more = SYS(__NR_sendto, fd,
						(const char *)buf + r, len - r,
						flags, 0, 0);
				if (more > 0)
					r += more;
			}
			return ret_errno(r);
		}
	}
traced:
	return ret_errno(SYS(__NR_sendto, fd, buf, len, flags, addr, addrlen));
}

long send(int fd, const void *buf, unsigned long len, int flags)
{
	return sendto(fd, buf, len, flags, 0, 0);
}

long sendmsg(int fd, const struct sb_msghdr *msg, int flags)
{
	long r;

	if (fd > 2 && msg && msg->iovlen <= SB_IOV_MAX) {
		long total = iov_total(msg->iov, (int)msg->iovlen);
		struct sb_call c = {
			.nr = __NR_sendmsg,
			.args = { fd, (long)msg, flags | SB_MSG_DONTWAIT },
		};
		if (total >= 0 && sb_call(&c, &r)) {
			if (r == -EAGAIN && !(flags & SB_MSG_DONTWAIT))
				goto traced;
			if (r > 0 && r < total && !(flags & SB_MSG_DONTWAIT)) {
				/* The rest of a stream, without the ancillary
				 * data that went with the first part. */
				long done = r;
				for (unsigned long i = 0; i < msg->iovlen; i++) {
					const struct sb_iovec *v = &msg->iov[i];
					if ((unsigned long)done >= v->len) {
						done -= (long)v->len;
						continue;
					}
					unsigned long seg = v->len -
							    (unsigned long)done;
					long more = SYS(__NR_sendto, fd,
							(char *)v->base + done,
							seg, flags, 0, 0);
					done = 0;
					if (more <= 0)
						break;
					r += more;
					if ((unsigned long)more < seg)
						break;
				}
			}
			return ret_errno(r);
		}
	}
traced:
	return ret_errno(SYS(__NR_sendmsg, fd, msg, flags, 0, 0, 0));
}

/* ---- opens ---------------------------------------------------------- */

static int do_openat(int dirfd, const char *path, int flags, unsigned mode)
{
	unsigned char st[SB_STAT_SIZE];
	struct sb_call probe = { .nr = __NR_newfstatat,
				 .args = { dirfd, (long)path, (long)st, 0 },
				 .max_out = SB_STAT_SIZE, .out = OUT_FIXED,
				 .p = st, .n = SB_STAT_SIZE, .path = path };
	long r;

	if (sb_call(&probe, &r)) {
		unsigned type = r == 0 ? *(unsigned *)(st + SB_STAT_MODE_OFF) &
					 SB_S_IFMT : 0;
		if ((r == -ENOENT && (flags & SB_O_CREAT)) ||
		    (r == 0 && (type == SB_S_IFREG || type == SB_S_IFDIR))) {
			struct sb_call c = { .nr = __NR_openat,
					     .args = { dirfd, (long)path, flags,
						       mode }, .path = path };
			if (sb_call(&c, &r))
				return (int)ret_errno(r);
		}
	}
	return (int)ret_errno(SYS(__NR_openat, dirfd, path, flags, mode, 0, 0));
}

/* The _FORTIFY_SOURCE entry points (no mode: they refuse O_CREAT). */
int __open_2(const char *path, int flags)
{
	return do_openat(SB_AT_FDCWD, path, flags, 0);
}

int __open64_2(const char *path, int flags) __attribute__((alias("__open_2")));

int __openat_2(int dirfd, const char *path, int flags)
{
	return do_openat(dirfd, path, flags, 0);
}

int __openat64_2(int dirfd, const char *path, int flags)
	__attribute__((alias("__openat_2")));

static int wants_mode(int flags)
{
	return (flags & SB_O_CREAT) || (flags & SB_O_TMPFILE) == SB_O_TMPFILE;
}

int open(const char *path, int flags, ...)
{
	unsigned mode = 0;

	if (wants_mode(flags)) {
		va_list ap;
		va_start(ap, flags);
		mode = va_arg(ap, unsigned);
		va_end(ap);
	}
	return do_openat(SB_AT_FDCWD, path, flags, mode);
}

int open64(const char *path, int flags, ...) __attribute__((alias("open")));

int openat(int dirfd, const char *path, int flags, ...)
{
	unsigned mode = 0;

	if (wants_mode(flags)) {
		va_list ap;
		va_start(ap, flags);
		mode = va_arg(ap, unsigned);
		va_end(ap);
	}
	return do_openat(dirfd, path, flags, mode);
}

int openat64(int dirfd, const char *path, int flags, ...)
	__attribute__((alias("openat")));

int creat(const char *path, unsigned mode)
{
	return do_openat(SB_AT_FDCWD, path, SB_O_CREAT | SB_O_WRONLY |
			 SB_O_TRUNC, mode);
}

int creat64(const char *path, unsigned mode) __attribute__((alias("creat")));

/* ---- syscall(): the buffered numbers go the same way ---------------- */

long syscall(long nr, ...)
{
	long a[6];
	va_list ap;

	va_start(ap, nr);
	for (int i = 0; i < 6; i++)
		a[i] = va_arg(ap, long);
	va_end(ap);

	switch (nr) {
	case __NR_getpid: case __NR_getppid: case __NR_gettid:
	case __NR_getuid: case __NR_geteuid: case __NR_getgid:
	case __NR_getegid:
		return ret_errno(simple(nr, 0, 0, 0, 0, 0));
	case __NR_clock_gettime:
		return clock_gettime((int)a[0], (struct sb_timespec *)a[1]);
	case __NR_gettimeofday:
		return gettimeofday((void *)a[0], (void *)a[1]);
	case __NR_time:
		return time((long *)a[0]);
	case __NR_lseek:
		return lseek((int)a[0], a[1], (int)a[2]);
	case __NR_fstat:
		return fstat((int)a[0], (void *)a[1]);
	case __NR_newfstatat:
		return fstatat((int)a[0], (const char *)a[1], (void *)a[2],
			       (int)a[3]);
	case __NR_stat:
		return stat((const char *)a[0], (void *)a[1]);
	case __NR_lstat:
		return lstat((const char *)a[0], (void *)a[1]);
	case __NR_statx:
		return statx((int)a[0], (const char *)a[1], (int)a[2],
			     (unsigned)a[3], (void *)a[4]);
	case __NR_access:
		return access((const char *)a[0], (int)a[1]);
	case __NR_faccessat:
		return ret_errno(simple(nr, a[0], a[1], a[2], 0, 0));
	case __NR_faccessat2:
		return ret_errno(simple(nr, a[0], a[1], a[2], a[3], 0));
	case __NR_close:
		return close((int)a[0]);
	case __NR_read:
		return read((int)a[0], (void *)a[1], (unsigned long)a[2]);
	case __NR_write:
		return write((int)a[0], (const void *)a[1],
			     (unsigned long)a[2]);
	case __NR_readv:
		return readv((int)a[0], (const struct sb_iovec *)a[1],
			     (int)a[2]);
	case __NR_writev:
		return writev((int)a[0], (const struct sb_iovec *)a[1],
			      (int)a[2]);
	case __NR_pread64:
		return pread64((int)a[0], (void *)a[1], (unsigned long)a[2],
			       a[3]);
	case __NR_pwrite64:
		return pwrite64((int)a[0], (const void *)a[1],
				(unsigned long)a[2], a[3]);
	case __NR_futex:
		if ((a[1] & SB_FUTEX_CMD_MASK) == SB_FUTEX_WAKE)
			return ret_errno(simple(nr, a[0], a[1], a[2], a[3],
						a[4]));
		break;
	default:
		break;
	}
	return ret_errno(sys6(nr, a[0], a[1], a[2], a[3], a[4], a[5]));
}

/* ---- patched syscall sites ------------------------------------------- */

/* Code that makes its own `syscall` instruction (libgomp's futex wakes,
 * glibc's internal calls) never reaches the wrappers above.  The
 * recorder patches such a site when it has seen it make a call this
 * library buffers (replay/sitepatch.h, docs/syscallbuf.md "Patched
 * sites"): the instructions before the `syscall` become a jump to a
 * trampoline that runs them, steps over the red zone and calls
 * xrr_sb_site_hook with the program's registers as the kernel would
 * see them.  The hook buffers the call, or declines: it then returns
 * XRR_SB_SITE_DECLINE bytes further on, where the trampoline jumps back
 * to the original `syscall` (traced as before).  Every register but rax
 * is as it was, both ways; rax holds the result when the call was
 * buffered.  The arithmetic flags are not kept (compilers assume a
 * syscall clobbers them; glibc's assembly tests rax afterwards): saving
 * them with pushf would also save the trap flag of a thread being
 * single-stepped (a point's probe, a debugger's stepi), and popf would
 * then raise a SIGTRAP of its own. */

/* regs: rax, rdi, rsi, rdx, rcx, r8, r9, r10, r11, as the hook pushed
 * them.  1: buffered, result in regs[0]; 0: declined. */
HIDDEN int sb_site_call(long *regs);

_Static_assert(__NR_futex == 202 && __NR_getpid == 39 && __NR_getppid == 110 &&
	       __NR_gettid == 186 && __NR_getuid == 102 && __NR_geteuid == 107 &&
	       __NR_getgid == 104 && __NR_getegid == 108 &&
	       __NR_clock_gettime == 228 && __NR_gettimeofday == 96 &&
	       __NR_time == 201, "xrr_sb_site_bufferable's numbers");


HIDDEN int sb_site_call(long *regs)
{
	struct sb_call c = { .nr = regs[0],
			     .args = { regs[1], regs[2], regs[3], regs[7],
				       regs[5], regs[6] } };
	long r;

	if (!xrr_sb_site_bufferable(c.nr, (unsigned long long)c.args[1]))
		return 0;
	switch (c.nr) {
	case __NR_clock_gettime:
		c.max_out = 16;
		c.out = OUT_FIXED;
		c.p = (void *)c.args[1];
		c.n = 16;
		break;
	case __NR_gettimeofday:
		c.max_out = 24;
		c.out = OUT_TIMEOFDAY;
		c.p = (void *)c.args[0];
		c.p2 = (void *)c.args[1];
		break;
	case __NR_time:
		c.max_out = 8;
		c.out = OUT_TIME;
		c.p = (void *)c.args[0];
		break;
	default:
		break;
	}
	if (!sb_call(&c, &r))
		return 0;
	regs[0] = r;
	return 1;
}

/* Entered by `call` from a site's trampoline, the red zone already
 * skipped.  rbx keeps the stack pointer across the C call (aligned to
 * 16 for it); the unwind information says where the caller's frame is,
 * so GDB walks out of a buffered call made here. */
__asm__(".text\n"
	".globl xrr_sb_site_hook\n"
	".hidden xrr_sb_site_hook\n"
	".type xrr_sb_site_hook, @function\n"
	"xrr_sb_site_hook:\n\t"
	".cfi_startproc\n\t"
	"push %r11\n\t"
	".cfi_adjust_cfa_offset 8\n\t"
	"push %r10\n\t"
	".cfi_adjust_cfa_offset 8\n\t"
	"push %r9\n\t"
	".cfi_adjust_cfa_offset 8\n\t"
	"push %r8\n\t"
	".cfi_adjust_cfa_offset 8\n\t"
	"push %rcx\n\t"
	".cfi_adjust_cfa_offset 8\n\t"
	"push %rdx\n\t"
	".cfi_adjust_cfa_offset 8\n\t"
	"push %rsi\n\t"
	".cfi_adjust_cfa_offset 8\n\t"
	"push %rdi\n\t"
	".cfi_adjust_cfa_offset 8\n\t"
	"push %rax\n\t"
	".cfi_adjust_cfa_offset 8\n\t"
	"push %rbx\n\t"
	".cfi_adjust_cfa_offset 8\n\t"
	".cfi_offset %rbx, -88\n\t"
	"mov %rsp, %rbx\n\t"
	".cfi_def_cfa_register %rbx\n\t"
	"lea 8(%rsp), %rdi\n\t"
	"and $-16, %rsp\n\t"
	"call sb_site_call\n\t"
	"mov %rbx, %rsp\n\t"
	".cfi_def_cfa_register %rsp\n\t"
	"test %eax, %eax\n\t"
	"jnz 1f\n\t"
	"addq $" XRR_SB_SITE_DECLINE_STR ", 80(%rsp)\n"
	"1:\n\t"
	"pop %rbx\n\t"
	".cfi_adjust_cfa_offset -8\n\t"
	".cfi_restore %rbx\n\t"
	"pop %rax\n\t"
	".cfi_adjust_cfa_offset -8\n\t"
	"pop %rdi\n\t"
	".cfi_adjust_cfa_offset -8\n\t"
	"pop %rsi\n\t"
	".cfi_adjust_cfa_offset -8\n\t"
	"pop %rdx\n\t"
	".cfi_adjust_cfa_offset -8\n\t"
	"pop %rcx\n\t"
	".cfi_adjust_cfa_offset -8\n\t"
	"pop %r8\n\t"
	".cfi_adjust_cfa_offset -8\n\t"
	"pop %r9\n\t"
	".cfi_adjust_cfa_offset -8\n\t"
	"pop %r10\n\t"
	".cfi_adjust_cfa_offset -8\n\t"
	"pop %r11\n\t"
	".cfi_adjust_cfa_offset -8\n\t"
	"ret\n\t"
	".cfi_endproc\n"
	".size xrr_sb_site_hook, .-xrr_sb_site_hook\n");
