/* `xrr dump` rendering of a syscall: decoded arguments and result, in the
 * familiar "openat(AT_FDCWD, \"/etc/passwd\", O_RDONLY|O_CLOEXEC) = 3"
 * shape. All names come from tables below; values not in a table print
 * as numbers, never as a guess. */
#include "config.h"

#include "replay/syscalls.h"
#include "replay/syscall_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define PATH_SHOW 256   /* characters of a path before "..." */
#define BUF_SHOW   32   /* bytes of a data buffer before "..." */
#define STRV_SHOW   8   /* strings of an argv before "..." */

struct sc_name {
	uint64_t val;
	const char *name;
};
#define N(x) { x, #x }
#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* Multi-bit values (O_SYNC contains O_DSYNC, O_TMPFILE contains
 * O_DIRECTORY) come first so their bits are claimed together. */
static const struct sc_name open_flags[] = {
	N(O_TMPFILE), N(O_SYNC), N(O_CREAT), N(O_EXCL), N(O_NOCTTY), N(O_TRUNC),
	N(O_APPEND), N(O_NONBLOCK), N(O_DSYNC), N(O_ASYNC), N(O_DIRECT),
	N(O_LARGEFILE), N(O_DIRECTORY), N(O_NOFOLLOW), N(O_NOATIME),
	N(O_CLOEXEC), N(O_PATH),
};
static const struct sc_name prot_flags[] = {
	N(PROT_READ), N(PROT_WRITE), N(PROT_EXEC), N(PROT_GROWSDOWN), N(PROT_GROWSUP),
};
static const struct sc_name map_types[] = {
	N(MAP_SHARED), N(MAP_PRIVATE), N(MAP_SHARED_VALIDATE),
};
static const struct sc_name map_flags[] = {
	N(MAP_FIXED), N(MAP_ANONYMOUS), N(MAP_32BIT), N(MAP_GROWSDOWN),
	N(MAP_DENYWRITE), N(MAP_EXECUTABLE), N(MAP_LOCKED), N(MAP_NORESERVE),
	N(MAP_POPULATE), N(MAP_NONBLOCK), N(MAP_STACK), N(MAP_HUGETLB),
	N(MAP_SYNC), N(MAP_FIXED_NOREPLACE),
};
static const struct sc_name at_flags[] = {
	N(AT_SYMLINK_NOFOLLOW), N(AT_REMOVEDIR), N(AT_SYMLINK_FOLLOW),
	N(AT_NO_AUTOMOUNT), N(AT_EMPTY_PATH), N(AT_STATX_FORCE_SYNC),
	N(AT_STATX_DONT_SYNC),
};
static const struct sc_name access_flags[] = { N(R_OK), N(W_OK), N(X_OK) };
static const struct sc_name sighow[] = { N(SIG_BLOCK), N(SIG_UNBLOCK), N(SIG_SETMASK) };
static const struct sc_name clocks[] = {
	N(CLOCK_REALTIME), N(CLOCK_MONOTONIC), N(CLOCK_PROCESS_CPUTIME_ID),
	N(CLOCK_THREAD_CPUTIME_ID), N(CLOCK_MONOTONIC_RAW), N(CLOCK_REALTIME_COARSE),
	N(CLOCK_MONOTONIC_COARSE), N(CLOCK_BOOTTIME), N(CLOCK_REALTIME_ALARM),
	N(CLOCK_BOOTTIME_ALARM), N(CLOCK_TAI),
};
static const struct sc_name whence[] = {
	N(SEEK_SET), N(SEEK_CUR), N(SEEK_END), N(SEEK_DATA), N(SEEK_HOLE),
};
static const struct sc_name madvice[] = {
	N(MADV_NORMAL), N(MADV_RANDOM), N(MADV_SEQUENTIAL), N(MADV_WILLNEED),
	N(MADV_DONTNEED), N(MADV_FREE), N(MADV_REMOVE), N(MADV_DONTFORK),
	N(MADV_DOFORK), N(MADV_MERGEABLE), N(MADV_UNMERGEABLE), N(MADV_HUGEPAGE),
	N(MADV_NOHUGEPAGE), N(MADV_DONTDUMP), N(MADV_DODUMP), N(MADV_WIPEONFORK),
	N(MADV_KEEPONFORK), N(MADV_COLD), N(MADV_PAGEOUT), N(MADV_HWPOISON),
};
static const struct sc_name rlimits[] = {
	N(RLIMIT_CPU), N(RLIMIT_FSIZE), N(RLIMIT_DATA), N(RLIMIT_STACK),
	N(RLIMIT_CORE), N(RLIMIT_RSS), N(RLIMIT_NPROC), N(RLIMIT_NOFILE),
	N(RLIMIT_MEMLOCK), N(RLIMIT_AS), N(RLIMIT_LOCKS), N(RLIMIT_SIGPENDING),
	N(RLIMIT_MSGQUEUE), N(RLIMIT_NICE), N(RLIMIT_RTPRIO), N(RLIMIT_RTTIME),
};
static const struct sc_name families[] = {
	N(AF_UNSPEC), N(AF_UNIX), N(AF_INET), N(AF_INET6), N(AF_NETLINK), N(AF_PACKET),
};
static const struct sc_name sock_types[] = {
	N(SOCK_STREAM), N(SOCK_DGRAM), N(SOCK_RAW), N(SOCK_RDM), N(SOCK_SEQPACKET),
	N(SOCK_PACKET),
};
static const struct sc_name sock_flags[] = { N(SOCK_NONBLOCK), N(SOCK_CLOEXEC) };
static const struct sc_name epoll_ops[] = { { 1, "EPOLL_CTL_ADD" }, { 2, "EPOLL_CTL_DEL" }, { 3, "EPOLL_CTL_MOD" } };
/* <sched.h> spellings; numeric so that no header choice hides one */
static const struct sc_name clone_flags[] = {
	{ 0x00000100, "CLONE_VM" }, { 0x00000200, "CLONE_FS" },
	{ 0x00000400, "CLONE_FILES" }, { 0x00000800, "CLONE_SIGHAND" },
	{ 0x00001000, "CLONE_PIDFD" }, { 0x00002000, "CLONE_PTRACE" },
	{ 0x00004000, "CLONE_VFORK" }, { 0x00008000, "CLONE_PARENT" },
	{ 0x00010000, "CLONE_THREAD" }, { 0x00020000, "CLONE_NEWNS" },
	{ 0x00040000, "CLONE_SYSVSEM" }, { 0x00080000, "CLONE_SETTLS" },
	{ 0x00100000, "CLONE_PARENT_SETTID" }, { 0x00200000, "CLONE_CHILD_CLEARTID" },
	{ 0x00400000, "CLONE_DETACHED" }, { 0x00800000, "CLONE_UNTRACED" },
	{ 0x01000000, "CLONE_CHILD_SETTID" }, { 0x02000000, "CLONE_NEWCGROUP" },
	{ 0x04000000, "CLONE_NEWUTS" }, { 0x08000000, "CLONE_NEWIPC" },
	{ 0x10000000, "CLONE_NEWUSER" }, { 0x20000000, "CLONE_NEWPID" },
	{ 0x40000000, "CLONE_NEWNET" }, { 0x80000000, "CLONE_IO" },
};

#define E_(x) [x] = #x
static const char *const errno_names[] = {
	E_(EPERM), E_(ENOENT), E_(ESRCH), E_(EINTR), E_(EIO), E_(ENXIO),
	E_(E2BIG), E_(ENOEXEC), E_(EBADF), E_(ECHILD), E_(EAGAIN), E_(ENOMEM),
	E_(EACCES), E_(EFAULT), E_(ENOTBLK), E_(EBUSY), E_(EEXIST), E_(EXDEV),
	E_(ENODEV), E_(ENOTDIR), E_(EISDIR), E_(EINVAL), E_(ENFILE), E_(EMFILE),
	E_(ENOTTY), E_(ETXTBSY), E_(EFBIG), E_(ENOSPC), E_(ESPIPE), E_(EROFS),
	E_(EMLINK), E_(EPIPE), E_(EDOM), E_(ERANGE), E_(EDEADLK),
	E_(ENAMETOOLONG), E_(ENOLCK), E_(ENOSYS), E_(ENOTEMPTY), E_(ELOOP),
	E_(ENOMSG), E_(EIDRM), E_(ECHRNG), E_(EL2NSYNC), E_(EL3HLT), E_(EL3RST),
	E_(ELNRNG), E_(EUNATCH), E_(ENOCSI), E_(EL2HLT), E_(EBADE), E_(EBADR),
	E_(EXFULL), E_(ENOANO), E_(EBADRQC), E_(EBADSLT), E_(EBFONT), E_(ENOSTR),
	E_(ENODATA), E_(ETIME), E_(ENOSR), E_(ENONET), E_(ENOPKG), E_(EREMOTE),
	E_(ENOLINK), E_(EADV), E_(ESRMNT), E_(ECOMM), E_(EPROTO), E_(EMULTIHOP),
	E_(EDOTDOT), E_(EBADMSG), E_(EOVERFLOW), E_(ENOTUNIQ), E_(EBADFD),
	E_(EREMCHG), E_(ELIBACC), E_(ELIBBAD), E_(ELIBSCN), E_(ELIBMAX),
	E_(ELIBEXEC), E_(EILSEQ), E_(ERESTART), E_(ESTRPIPE), E_(EUSERS),
	E_(ENOTSOCK), E_(EDESTADDRREQ), E_(EMSGSIZE), E_(EPROTOTYPE),
	E_(ENOPROTOOPT), E_(EPROTONOSUPPORT), E_(ESOCKTNOSUPPORT), E_(EOPNOTSUPP),
	E_(EPFNOSUPPORT), E_(EAFNOSUPPORT), E_(EADDRINUSE), E_(EADDRNOTAVAIL),
	E_(ENETDOWN), E_(ENETUNREACH), E_(ENETRESET), E_(ECONNABORTED),
	E_(ECONNRESET), E_(ENOBUFS), E_(EISCONN), E_(ENOTCONN), E_(ESHUTDOWN),
	E_(ETOOMANYREFS), E_(ETIMEDOUT), E_(ECONNREFUSED), E_(EHOSTDOWN),
	E_(EHOSTUNREACH), E_(EALREADY), E_(EINPROGRESS), E_(ESTALE), E_(EUCLEAN),
	E_(ENOTNAM), E_(ENAVAIL), E_(EISNAM), E_(EREMOTEIO), E_(EDQUOT),
	E_(ENOMEDIUM), E_(EMEDIUMTYPE), E_(ECANCELED), E_(ENOKEY), E_(EKEYEXPIRED),
	E_(EKEYREVOKED), E_(EKEYREJECTED), E_(EOWNERDEAD), E_(ENOTRECOVERABLE),
	E_(ERFKILL), E_(EHWPOISON),
};

/* Codes only a tracer sees: the kernel restarts or turns them into EINTR. */
static const struct {
	int err;
	const char *name, *desc;
} restart_codes[] = {
	{ 512, "ERESTARTSYS", "To be restarted if SA_RESTART is set" },
	{ 513, "ERESTARTNOINTR", "To be restarted" },
	{ 514, "ERESTARTNOHAND", "To be restarted if no handler" },
	{ 516, "ERESTART_RESTARTBLOCK", "Interrupted by signal" },
};

#define S_(x) [x] = #x
static const char *const signal_names[] = {
	S_(SIGHUP), S_(SIGINT), S_(SIGQUIT), S_(SIGILL), S_(SIGTRAP), S_(SIGABRT),
	S_(SIGBUS), S_(SIGFPE), S_(SIGKILL), S_(SIGUSR1), S_(SIGSEGV), S_(SIGUSR2),
	S_(SIGPIPE), S_(SIGALRM), S_(SIGTERM), S_(SIGSTKFLT), S_(SIGCHLD),
	S_(SIGCONT), S_(SIGSTOP), S_(SIGTSTP), S_(SIGTTIN), S_(SIGTTOU), S_(SIGURG),
	S_(SIGXCPU), S_(SIGXFSZ), S_(SIGVTALRM), S_(SIGPROF), S_(SIGWINCH),
	S_(SIGIO), S_(SIGPWR), S_(SIGSYS),
};
#define KERNEL_SIGRTMIN 32
#define KERNEL_NSIG     64

const char *syscall_errno_name(int err)
{
	if (err > 0 && (size_t)err < NELEM(errno_names) && errno_names[err])
		return errno_names[err];
	for (size_t i = 0; i < NELEM(restart_codes); i++)
		if (restart_codes[i].err == err)
			return restart_codes[i].name;
	return NULL;
}

const char *syscall_signal_name(int sig, char *buf, size_t size)
{
	if (sig > 0 && (size_t)sig < NELEM(signal_names) && signal_names[sig])
		return signal_names[sig];
	if (sig >= KERNEL_SIGRTMIN && sig <= KERNEL_NSIG) {
		snprintf(buf, size, "SIGRT_%d", sig - KERNEL_SIGRTMIN);
		return buf;
	}
	return NULL;
}

/* ---- output buffer ------------------------------------------------------ */

struct out {
	char *buf;
	size_t size, len;       /* len may pass size: the text is cut there */
};

__attribute__((format(printf, 2, 3)))
static void put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	size_t room = o->len < o->size ? o->size - o->len : 0;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(room ? o->buf + o->len : NULL, room, fmt, ap);
	va_end(ap);
	if (n > 0)
		o->len += (size_t)n;
}

static void put_flags(struct out *o, const struct sc_name *t, size_t n, uint64_t v)
{
	bool any = false;

	for (size_t i = 0; i < n; i++) {
		if (t[i].val && (v & t[i].val) == t[i].val) {
			put(o, "%s%s", any ? "|" : "", t[i].name);
			v &= ~t[i].val;
			any = true;
		}
	}
	if (v || !any)
		put(o, any ? "|%#" PRIx64 : "%#" PRIx64, v);
}

static bool put_enum(struct out *o, const struct sc_name *t, size_t n, uint64_t v)
{
	for (size_t i = 0; i < n; i++) {
		if (t[i].val == v) {
			put(o, "%s", t[i].name);
			return true;
		}
	}
	put(o, "%" PRId64, (int64_t)v);
	return false;
}

static void put_subop(struct out *o, const struct sc_subop *t, size_t n, uint32_t v)
{
	for (size_t i = 0; i < n; i++) {
		if (t[i].code == v) {
			put(o, "%s", t[i].name);
			return;
		}
	}
	put(o, "%#" PRIx32, v);
}

static void put_ptr(struct out *o, uint64_t v)
{
	if (v)
		put(o, "%#" PRIx64, v);
	else
		put(o, "NULL");
}

static void put_escaped(struct out *o, const unsigned char *s, size_t n)
{
	put(o, "\"");
	for (size_t i = 0; i < n; i++) {
		unsigned char c = s[i];

		if (c == '"' || c == '\\')
			put(o, "\\%c", c);
		else if (c == '\n')
			put(o, "\\n");
		else if (c == '\t')
			put(o, "\\t");
		else if (c == '\r')
			put(o, "\\r");
		else if (c >= 0x20 && c < 0x7f)
			put(o, "%c", c);
		else
			put(o, "\\%03o", c);
	}
	put(o, "\"");
}

/* Reads up to n bytes without crossing into a page that may be unmapped
 * unless the earlier one was readable; returns the bytes read. */
static size_t read_some(sc_read_fn rd, void *ctx, uint64_t addr, unsigned char *buf, size_t n)
{
	size_t got = 0;

	while (got < n) {
		uint64_t a = addr + got;
		size_t chunk = 4096 - (size_t)(a & 4095);

		if (chunk > n - got)
			chunk = n - got;
		if (rd(ctx, a, buf + got, chunk) < 0)
			break;
		got += chunk;
	}
	return got;
}

/* A buffer of len bytes (or a C string when len is SIZE_MAX). */
static void put_mem(struct out *o, sc_read_fn rd, void *ctx, uint64_t addr,
		    uint64_t len, size_t show)
{
	unsigned char buf[PATH_SHOW + 1] = { 0 };
	bool cstring = len == UINT64_MAX;
	size_t want = len > show ? show + (cstring ? 1 : 0) : (size_t)len;
	size_t got;

	if (!addr || !rd) {
		put_ptr(o, addr);
		return;
	}
	got = read_some(rd, ctx, addr, buf, want);
	if (cstring) {
		unsigned char *nul = memchr(buf, 0, got);
		if (!nul && got <= show) {
			put_ptr(o, addr);       /* unterminated within what we could read */
			return;
		}
		put_escaped(o, buf, nul ? (size_t)(nul - buf) : show);
		if (!nul)
			put(o, "...");
		return;
	}
	if (got < want) {
		put_ptr(o, addr);
		return;
	}
	put_escaped(o, buf, got);
	if (len > show)
		put(o, "...");
}

static void put_strv(struct out *o, sc_read_fn rd, void *ctx, uint64_t addr)
{
	uint64_t p;

	if (!addr || !rd) {
		put_ptr(o, addr);
		return;
	}
	put(o, "[");
	for (int i = 0;; i++) {
		if (rd(ctx, addr + 8 * (uint64_t)i, &p, sizeof(p)) < 0) {
			put(o, "%s%#" PRIx64 "?", i ? ", " : "", addr);
			break;
		}
		if (!p)
			break;
		if (i == STRV_SHOW) {
			put(o, ", ...");
			break;
		}
		put(o, "%s", i ? ", " : "");
		put_mem(o, rd, ctx, p, UINT64_MAX, PATH_SHOW);
	}
	put(o, "]");
}

static bool is_error(int64_t r)
{
	return r < 0 && r >= -4095;
}

struct call {
	const struct syscall_desc *d;
	const uint64_t *args;
	int64_t result;
	sc_read_fn rd;
	void *ctx;
};

static void put_open_flags(struct out *o, uint64_t v)
{
	static const char *const acc[] = { "O_RDONLY", "O_WRONLY", "O_RDWR", "O_ACCMODE" };

	put(o, "%s", acc[v & O_ACCMODE]);
	if (v & ~(uint64_t)O_ACCMODE) {
		put(o, "|");
		put_flags(o, open_flags, NELEM(open_flags), v & ~(uint64_t)O_ACCMODE);
	}
}

static void put_map_flags(struct out *o, uint64_t v)
{
	put_enum(o, map_types, NELEM(map_types), v & 0xf);
	if (v & ~(uint64_t)0xf) {
		put(o, "|");
		put_flags(o, map_flags, NELEM(map_flags), v & ~(uint64_t)0xf);
	}
}

static void put_futex_op(struct out *o, uint64_t v)
{
	put_subop(o, sc_futex_ops, sc_futex_ops_len, (uint32_t)v & 0x7f);
	if (v & 128)
		put(o, "_PRIVATE");
	if (v & 256)
		put(o, "|FUTEX_CLOCK_REALTIME");
	if (v & ~(uint64_t)0x1ff)
		put(o, "|%#" PRIx64, v & ~(uint64_t)0x1ff);
}

static void put_sock_type(struct out *o, uint64_t v)
{
	put_enum(o, sock_types, NELEM(sock_types), v & 0xf);
	if (v & ~(uint64_t)0xf) {
		put(o, "|");
		put_flags(o, sock_flags, NELEM(sock_flags), v & ~(uint64_t)0xf);
	}
}

static void put_clone_flags(struct out *o, uint64_t v)
{
	char sb[24];
	const char *sig = syscall_signal_name((int)(v & 0xff), sb, sizeof(sb));

	if (v & ~(uint64_t)0xff)
		put_flags(o, clone_flags, NELEM(clone_flags), v & ~(uint64_t)0xff);
	if (v & 0xff)
		put(o, "%s%s", v & ~(uint64_t)0xff ? "|" : "", sig ? sig : "?");
	if (!v)
		put(o, "0");
}

static void put_signum(struct out *o, uint64_t v)
{
	char sb[24];
	const char *s = syscall_signal_name((int)v, sb, sizeof(sb));

	if (s)
		put(o, "%s", s);
	else
		put(o, "%d", (int)v);
}

static void put_ioctl_req(struct out *o, uint64_t v)
{
	const struct ioctl_desc *io = ioctl_lookup(v);

	if (io)
		put(o, "%s", io->name);
	else
		put(o, "%#" PRIx32, (uint32_t)v);
}

/* A multiplexer's code by the name its sub-operation table gives it. */
static void put_row_subop(struct out *o, const struct syscall_desc *d, int i, uint64_t v)
{
	for (int k = 0; k < SC_MAX_OUTS && d->out[k].kind; k++) {
		const struct sc_out *r = &d->out[k];

		if (r->kind != SC_OUT_SUBOP || r->arg != i || r->size >= SCT_COUNT)
			continue;
		const struct sc_subtable *t = &sc_subtables[r->size];
		uint32_t code = ((uint32_t)v >> t->shift) & t->mask;
		put_subop(o, t->ops, t->n, code);
		if (t->shift && ((uint32_t)v & ((1u << t->shift) - 1)))
			put(o, "|%#" PRIx32, (uint32_t)v & ((1u << t->shift) - 1));
		return;
	}
	put(o, "%" PRId64, (int64_t)v);
}

static void put_arg(struct out *o, const struct call *c, int i)
{
	uint64_t v = c->args[i];
	uint64_t next = i + 1 < SC_MAX_ARGS ? c->args[i + 1] : 0;

	switch (c->d->arg[i]) {
	case SA_INT:         put(o, "%d", (int)v); break;
	case SA_FD:          put(o, "%d", (int)v); break;
	case SA_UINT:        put(o, "%u", (unsigned)v); break;
	case SA_LONG:        put(o, "%" PRId64, (int64_t)v); break;
	case SA_ULONG:       put(o, "%" PRIu64, v); break;
	case SA_PTR:         put_ptr(o, v); break;
	case SA_DIRFD:
		if ((int)v == AT_FDCWD)
			put(o, "AT_FDCWD");
		else
			put(o, "%d", (int)v);
		break;
	case SA_PATH:        put_mem(o, c->rd, c->ctx, v, UINT64_MAX, PATH_SHOW); break;
	case SA_BUF_IN:      put_mem(o, c->rd, c->ctx, v, next, BUF_SHOW); break;
	case SA_BUF_OUT:
		/* what the kernel wrote: the result's worth of bytes */
		if (c->result > 0 && !is_error(c->result))
			put_mem(o, c->rd, c->ctx, v,
				(uint64_t)c->result < next ? (uint64_t)c->result : next, BUF_SHOW);
		else
			put_ptr(o, v);
		break;
	case SA_STRV:        put_strv(o, c->rd, c->ctx, v); break;
	case SA_OPEN_FLAGS:  put_open_flags(o, v); break;
	case SA_CLOEXEC_FLAGS:
		put_flags(o, open_flags, NELEM(open_flags), v);
		break;
	case SA_MODE:        put(o, "0%03" PRIo64, v); break;
	case SA_PROT:
		if (v)
			put_flags(o, prot_flags, NELEM(prot_flags), v);
		else
			put(o, "PROT_NONE");
		break;
	case SA_MAP_FLAGS:   put_map_flags(o, v); break;
	case SA_AT_FLAGS:    put_flags(o, at_flags, NELEM(at_flags), v); break;
	case SA_SIGNUM:      put_signum(o, v); break;
	case SA_SIGHOW:      put_enum(o, sighow, NELEM(sighow), v); break;
	case SA_CLOCKID:     put_enum(o, clocks, NELEM(clocks), v); break;
	case SA_FUTEX_OP:    put_futex_op(o, v); break;
	case SA_FCNTL_CMD:
		put_subop(o, sc_fcntl_cmds, sc_fcntl_cmds_len, (uint32_t)v);
		break;
	case SA_IOCTL_REQ:   put_ioctl_req(o, v); break;
	case SA_WHENCE:      put_enum(o, whence, NELEM(whence), v); break;
	case SA_ACCESS_MODE:
		if (v)
			put_flags(o, access_flags, NELEM(access_flags), v);
		else
			put(o, "F_OK");
		break;
	case SA_MADVICE:     put_enum(o, madvice, NELEM(madvice), v); break;
	case SA_RLIMIT:      put_enum(o, rlimits, NELEM(rlimits), v); break;
	case SA_SOCK_FAMILY: put_enum(o, families, NELEM(families), v); break;
	case SA_SOCK_TYPE:   put_sock_type(o, v); break;
	case SA_CLONE_FLAGS: put_clone_flags(o, v); break;
	case SA_ARCH_PRCTL:
		put_subop(o, sc_arch_prctl_codes, sc_arch_prctl_codes_len, (uint32_t)v);
		break;
	case SA_PRCTL:
		put_subop(o, sc_prctl_opts, sc_prctl_opts_len, (uint32_t)v);
		break;
	case SA_EPOLL_OP:    put_enum(o, epoll_ops, NELEM(epoll_ops), v); break;
	case SA_SUBOP:       put_row_subop(o, c->d, i, v); break;
	case SA_HEX:
	default:
		put(o, v ? "%#" PRIx64 : "%" PRIu64, v);
		break;
	}
}

/* open/openat show the mode only when it is used, like the libc call. */
static bool mode_unused(const struct syscall_desc *d, const uint64_t *args, int i)
{
	return d->arg[i] == SA_MODE && i > 0 && d->arg[i - 1] == SA_OPEN_FLAGS &&
	       !(args[i - 1] & (O_CREAT | O_TMPFILE));
}

static void put_result(struct out *o, const struct syscall_desc *d, int64_t r)
{
	if (is_error(r)) {
		int err = (int)-r;
		const char *name = syscall_errno_name(err);
		const char *desc = NULL;

		for (size_t i = 0; i < NELEM(restart_codes); i++)
			if (restart_codes[i].err == err)
				desc = restart_codes[i].desc;
		if (!desc && name)
			desc = strerror(err);
		if (name)
			put(o, " = -1 %s (%s)", name, desc);
		else
			put(o, " = -1 (errno %d)", err);
	} else if (d && (d->flags & SC_F_RET_PTR)) {
		put(o, " = %#" PRIx64, (uint64_t)r);
	} else {
		put(o, " = %" PRId64, r);
	}
}

static size_t finish(struct out *o)
{
	if (o->size == 0)
		return 0;
	if (o->len >= o->size)
		o->len = o->size - 1;
	o->buf[o->len] = '\0';
	return o->len;
}

size_t syscall_format_result(char *buf, size_t size, const struct syscall_desc *d,
			     int64_t result)
{
	struct out o = { buf, size, 0 };

	put_result(&o, d, result);
	return finish(&o);
}

size_t syscall_format_call(char *buf, size_t size, long nr,
			   const uint64_t args[SC_MAX_ARGS], int64_t result,
			   sc_read_fn read, void *ctx)
{
	struct out o = { buf, size, 0 };
	const struct syscall_desc *d = syscall_lookup(nr);
	const char *name = syscall_name(nr);

	if (!d) {
		/* refused or unknown: raw registers, nothing decoded */
		if (name)
			put(&o, "%s(", name);
		else
			put(&o, "syscall_%ld(", nr);
		for (int i = 0; i < SC_MAX_ARGS; i++)
			put(&o, i ? ", %#" PRIx64 : "%#" PRIx64, args[i]);
		put(&o, ")");
	} else {
		struct call c = { d, args, result, read, ctx };

		put(&o, "%s(", d->name);
		for (int i = 0; i < d->nargs && !mode_unused(d, args, i); i++) {
			if (i)
				put(&o, ", ");
			put_arg(&o, &c, i);
		}
		put(&o, ")");
	}
	put_result(&o, d, result);
	return finish(&o);
}
