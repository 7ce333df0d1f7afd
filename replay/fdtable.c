/* The fd model of `xrr replay -a` (rules in replay/fdtable.h): a sorted
 * array of the fds that lead to the recorder's stdout or stderr, and one
 * table row per syscall number saying what the syscall does to fds. */
#include "config.h"

#include "replay/fdtable.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* Kernel ABI constants (x86-64), spelled out so that the module does not
 * depend on how new the build host's headers are. */
#define K_CLONE_FILES           0x00000400ULL
#define K_CLONE_PIDFD           0x00001000ULL
#define K_O_CLOEXEC             0x00080000ULL   /* dup3 flag */
#define K_FD_CLOEXEC            1ULL
#define K_F_DUPFD               0
#define K_F_SETFD               2
#define K_F_DUPFD_CLOEXEC       1030
#define K_FIONCLEX              0x5450
#define K_FIOCLEX               0x5451
#define K_TIOCGPTPEER           0x5441
#define K_NS_GET_USERNS         0xb701
#define K_NS_GET_PARENT         0xb702
#define K_PIDFD_GET_NS_FIRST    0xff01  /* PIDFD_GET_CGROUP_NAMESPACE */
#define K_PIDFD_GET_NS_LAST     0xff0a  /* PIDFD_GET_UTS_NAMESPACE */
#define K_CLOSE_RANGE_UNSHARE   (1U << 1)
#define K_CLOSE_RANGE_CLOEXEC   (1U << 2)
#define K_SOL_SOCKET            1
#define K_SCM_RIGHTS            1
#define K_SECCOMP_FILTER_FLAG_NEW_LISTENER (1ULL << 3)
#define FD_MAX                  0x7fffffffU     /* fds are ints in the kernel */

/* struct msghdr, struct cmsghdr, struct mmsghdr, struct clone_args. */
#define MSGHDR_CONTROL          32
#define MSGHDR_CONTROLLEN       40
#define MMSGHDR_SIZE            64
#define CMSGHDR_SIZE            16
#define CLONE_ARGS_FLAGS        0
#define CLONE_ARGS_PIDFD        8

struct fd_entry {
	uint32_t fd;
	uint8_t echo;           /* enum fdtable_echo, never NONE */
	bool cloexec;
};

struct fdtable {
	unsigned refs;          /* tasks sharing it (CLONE_FILES) */
	size_t n, cap;
	struct fd_entry *e;     /* sorted by fd */
};

/* ---- storage ------------------------------------------------------------- */

/* Index of fd, or of where it would go. */
static size_t find(const struct fdtable *t, uint32_t fd)
{
	size_t lo = 0, hi = t->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (t->e[mid].fd < fd)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static const struct fd_entry *lookup(const struct fdtable *t, uint32_t fd)
{
	size_t i = find(t, fd);

	return i < t->n && t->e[i].fd == fd ? &t->e[i] : NULL;
}

/* Forgets the fds in [first, last]. */
static void forget_range(struct fdtable *t, uint32_t first, uint32_t last)
{
	if (first > last)
		return;
	size_t a = find(t, first);
	size_t b = a;
	while (b < t->n && t->e[b].fd <= last)
		b++;
	if (b == a)
		return;         /* nothing there (and e may be NULL) */
	memmove(&t->e[a], &t->e[b], (t->n - b) * sizeof(t->e[0]));
	t->n -= b - a;
}

static void forget(struct fdtable *t, uint32_t fd)
{
	forget_range(t, fd, fd);
}

/* fd now means echo (NONE: forget it).  -1 when out of memory. */
static int set(struct fdtable *t, uint32_t fd, uint8_t echo, bool cloexec)
{
	if (echo == FDT_ECHO_NONE) {
		forget(t, fd);
		return 0;
	}
	size_t i = find(t, fd);
	if (i < t->n && t->e[i].fd == fd) {
		t->e[i].echo = echo;
		t->e[i].cloexec = cloexec;
		return 0;
	}
	if (t->n == t->cap) {
		size_t cap = t->cap ? 2 * t->cap : 8;
		struct fd_entry *e = realloc(t->e, cap * sizeof(*e));
		if (!e)
			return -1;
		t->e = e;
		t->cap = cap;
	}
	memmove(&t->e[i + 1], &t->e[i], (t->n - i) * sizeof(t->e[0]));
	t->e[i] = (struct fd_entry){ .fd = fd, .echo = echo, .cloexec = cloexec };
	t->n++;
	return 0;
}

static void set_cloexec_range(struct fdtable *t, uint32_t first, uint32_t last,
			      bool cloexec)
{
	for (size_t i = find(t, first); i < t->n && t->e[i].fd <= last; i++)
		t->e[i].cloexec = cloexec;
}

/* ---- tables as objects --------------------------------------------------- */

static struct fdtable *table_new(size_t cap)
{
	struct fdtable *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->refs = 1;
	if (cap) {
		t->e = malloc(cap * sizeof(t->e[0]));
		if (!t->e) {
			free(t);
			return NULL;
		}
		t->cap = cap;
	}
	return t;
}

struct fdtable *fdtable_new_initial(void)
{
	struct fdtable *t = table_new(8);

	if (!t)
		return NULL;
	t->e[0] = (struct fd_entry){ .fd = 1, .echo = FDT_ECHO_STDOUT };
	t->e[1] = (struct fd_entry){ .fd = 2, .echo = FDT_ECHO_STDERR };
	t->n = 2;
	return t;
}

struct fdtable *fdtable_fork(const struct fdtable *parent)
{
	struct fdtable *t = table_new(parent->n);

	if (!t)
		return NULL;
	if (parent->n)
		memcpy(t->e, parent->e, parent->n * sizeof(t->e[0]));
	t->n = parent->n;
	return t;
}

struct fdtable *fdtable_share(struct fdtable *t)
{
	t->refs++;
	return t;
}

struct fdtable *fdtable_clone(struct fdtable *parent, uint64_t clone_flags)
{
	if (clone_flags & K_CLONE_FILES)
		return fdtable_share(parent);
	return fdtable_fork(parent);
}

void fdtable_free(struct fdtable *t)
{
	if (!t || --t->refs > 0)
		return;
	free(t->e);
	free(t);
}

/* The calling task's table becomes private (unshare_fd in the kernel). */
static int unshare(struct fdtable **tp)
{
	if ((*tp)->refs == 1)
		return 0;
	struct fdtable *copy = fdtable_fork(*tp);
	if (!copy)
		return -1;
	fdtable_free(*tp);
	*tp = copy;
	return 0;
}

int fdtable_exec(struct fdtable **tp)
{
	if (unshare(tp) < 0)
		return -1;
	struct fdtable *t = *tp;
	size_t k = 0;
	for (size_t i = 0; i < t->n; i++)
		if (!t->e[i].cloexec)
			t->e[k++] = t->e[i];
	t->n = k;
	return 0;
}

enum fdtable_echo fdtable_echo_target(const struct fdtable *t, uint64_t fd)
{
	const struct fd_entry *e = lookup(t, (uint32_t)fd);

	return e ? (enum fdtable_echo)e->echo : FDT_ECHO_NONE;
}

/* ---- what each syscall does ---------------------------------------------- */

enum fd_effect {
	FX_NONE,
	FX_NEW,                 /* the result is a new fd */
	FX_NEW_IF_ARG,          /* ... when args[arg] & mask (seccomp) */
	FX_NEW_UNLESS_ARG,      /* ... unless args[arg] & mask (landlock) */
	FX_NEW_IF_CMD,          /* ... when bit args[arg] of mask is set (bpf) */
	FX_PAIR,                /* two new fds, an int[2] at args[arg] */
	FX_DUP,                 /* result = copy of args[0] */
	FX_DUP2,                /* args[1] = copy of args[0] */
	FX_DUP3,                /* args[1] = copy of args[0], args[2] O_CLOEXEC */
	FX_FCNTL,
	FX_IOCTL,
	FX_CLOSE,
	FX_CLOSE_RANGE,
	FX_CLONE,               /* pidfd at args[2] with CLONE_PIDFD */
	FX_CLONE3,              /* pidfd through struct clone_args */
	FX_RECVMSG,             /* SCM_RIGHTS fds */
	FX_RECVMMSG,
	FX_UNSHARE,
	FX_EXEC,
};

struct fd_rule {
	uint8_t fx;             /* enum fd_effect */
	uint8_t arg;
	uint64_t mask;
};

/* bpf commands that return an fd: MAP_CREATE, PROG_LOAD, OBJ_GET,
 * PROG_GET_FD_BY_ID, MAP_GET_FD_BY_ID, RAW_TRACEPOINT_OPEN, BTF_LOAD,
 * BTF_GET_FD_BY_ID, LINK_CREATE, LINK_GET_FD_BY_ID, ENABLE_STATS,
 * ITER_CREATE, TOKEN_CREATE. */
#define BPF_FD_CMDS \
	((1ULL << 0) | (1ULL << 5) | (1ULL << 7) | (1ULL << 13) | \
	 (1ULL << 14) | (1ULL << 17) | (1ULL << 18) | (1ULL << 19) | \
	 (1ULL << 28) | (1ULL << 30) | (1ULL << 32) | (1ULL << 33) | \
	 (1ULL << 36))

#define NR_RULES 512
/* R: a row; RA: a row whose effect reads args[arg] (and mask). */
#define R(nr, name, effect) [nr] = { .fx = effect }
#define RA(nr, name, effect, a, m) [nr] = { .fx = effect, .arg = a, .mask = m }
static const struct fd_rule rules[NR_RULES] = {
	R(2, open, FX_NEW),
	R(3, close, FX_CLOSE),
	R(16, ioctl, FX_IOCTL),
	RA(22, pipe, FX_PAIR, 0, 0),
	R(32, dup, FX_DUP),
	R(33, dup2, FX_DUP2),
	R(41, socket, FX_NEW),
	R(43, accept, FX_NEW),
	R(47, recvmsg, FX_RECVMSG),
	RA(53, socketpair, FX_PAIR, 3, 0),
	R(56, clone, FX_CLONE),
	R(59, execve, FX_EXEC),
	R(72, fcntl, FX_FCNTL),
	R(85, creat, FX_NEW),
	R(213, epoll_create, FX_NEW),
	R(240, mq_open, FX_NEW),
	R(253, inotify_init, FX_NEW),
	R(257, openat, FX_NEW),
	R(272, unshare, FX_UNSHARE),
	/* signalfd on an existing signalfd returns that fd: forgetting it
	 * is right too, it never echoed. */
	R(282, signalfd, FX_NEW),
	R(283, timerfd_create, FX_NEW),
	R(284, eventfd, FX_NEW),
	R(288, accept4, FX_NEW),
	R(289, signalfd4, FX_NEW),
	R(290, eventfd2, FX_NEW),
	R(291, epoll_create1, FX_NEW),
	R(292, dup3, FX_DUP3),
	RA(293, pipe2, FX_PAIR, 0, 0),
	R(294, inotify_init1, FX_NEW),
	R(298, perf_event_open, FX_NEW),
	R(299, recvmmsg, FX_RECVMMSG),
	R(300, fanotify_init, FX_NEW),
	R(304, open_by_handle_at, FX_NEW),
	RA(317, seccomp, FX_NEW_IF_ARG, 1, K_SECCOMP_FILTER_FLAG_NEW_LISTENER),
	R(319, memfd_create, FX_NEW),
	RA(321, bpf, FX_NEW_IF_CMD, 0, BPF_FD_CMDS),
	R(322, execveat, FX_EXEC),
	R(323, userfaultfd, FX_NEW),
	R(425, io_uring_setup, FX_NEW),
	R(428, open_tree, FX_NEW),
	R(430, fsopen, FX_NEW),
	R(432, fsmount, FX_NEW),
	R(433, fspick, FX_NEW),
	R(434, pidfd_open, FX_NEW),
	R(435, clone3, FX_CLONE3),
	R(436, close_range, FX_CLOSE_RANGE),
	R(437, openat2, FX_NEW),
	R(438, pidfd_getfd, FX_NEW),
	/* With flags (VERSION, ERRATA) it returns a number, not an fd. */
	RA(444, landlock_create_ruleset, FX_NEW_UNLESS_ARG, 2, ~0ULL),
	R(447, memfd_secret, FX_NEW),
	R(467, open_tree_attr, FX_NEW),
};
#undef R
#undef RA

static int read_int(sc_read_fn read, void *ctx, uint64_t addr, int *v)
{
	if (!read || read(ctx, addr, v, sizeof(*v)) < 0)
		return -1;
	return 0;
}

static int read_u64(sc_read_fn read, void *ctx, uint64_t addr, uint64_t *v)
{
	if (!read || read(ctx, addr, v, sizeof(*v)) < 0)
		return -1;
	return 0;
}

/* Forgets the fds of the SCM_RIGHTS messages of the msghdr at addr (as
 * the kernel left it: msg_controllen is the length it wrote). */
static int forget_rights(struct fdtable *t, uint64_t msghdr, sc_read_fn read,
			 void *ctx)
{
	uint64_t control, len;

	if (read_u64(read, ctx, msghdr + MSGHDR_CONTROL, &control) < 0 ||
	    read_u64(read, ctx, msghdr + MSGHDR_CONTROLLEN, &len) < 0)
		return -1;
	if (!control)
		return 0;
	for (uint64_t off = 0; len >= CMSGHDR_SIZE && off <= len - CMSGHDR_SIZE;) {
		uint64_t clen;
		int level, type;
		if (read_u64(read, ctx, control + off, &clen) < 0 ||
		    read_int(read, ctx, control + off + 8, &level) < 0 ||
		    read_int(read, ctx, control + off + 12, &type) < 0)
			return -1;
		if (clen < CMSGHDR_SIZE || clen > len - off)
			break;
		if (level == K_SOL_SOCKET && type == K_SCM_RIGHTS) {
			for (uint64_t i = 0; i < (clen - CMSGHDR_SIZE) / 4; i++) {
				int fd;
				if (read_int(read, ctx,
					     control + off + CMSGHDR_SIZE + 4 * i,
					     &fd) < 0)
					return -1;
				forget(t, (uint32_t)fd);
			}
		}
		off += (clen + 7) & ~7ULL;
	}
	return 0;
}

/* newfd becomes a copy of oldfd. */
static int dup_to(struct fdtable *t, uint64_t oldfd, uint64_t newfd,
		  bool cloexec)
{
	const struct fd_entry *e = lookup(t, (uint32_t)oldfd);

	return set(t, (uint32_t)newfd, e ? e->echo : FDT_ECHO_NONE, cloexec);
}

static void set_cloexec(struct fdtable *t, uint64_t fd, bool cloexec)
{
	set_cloexec_range(t, (uint32_t)fd, (uint32_t)fd, cloexec);
}

int fdtable_syscall(struct fdtable **tp, long nr, const uint64_t args[SC_MAX_ARGS],
		    int64_t result, sc_read_fn read, void *ctx)
{
	struct fdtable *t = *tp;
	const struct fd_rule *r;
	uint64_t v;
	int fds[2];

	if (nr < 0 || nr >= NR_RULES)
		return 0;
	r = &rules[nr];
	if (r->fx == FX_CLOSE) {
		/* Linux removes the fd before flushing: only EBADF left it. */
		if (result != -EBADF)
			forget(t, (uint32_t)args[0]);
		return 0;
	}
	if (result < 0)
		return 0;
	switch ((enum fd_effect)r->fx) {
	case FX_NONE:
	case FX_CLOSE:
		return 0;
	case FX_NEW:
		forget(t, (uint32_t)result);
		return 0;
	case FX_NEW_IF_ARG:
		if (args[r->arg] & r->mask)
			forget(t, (uint32_t)result);
		return 0;
	case FX_NEW_UNLESS_ARG:
		if (!(args[r->arg] & r->mask))
			forget(t, (uint32_t)result);
		return 0;
	case FX_NEW_IF_CMD:
		if (args[r->arg] < 64 && (r->mask >> args[r->arg] & 1))
			forget(t, (uint32_t)result);
		return 0;
	case FX_PAIR:
		if (!read || read(ctx, args[r->arg], fds, sizeof(fds)) < 0)
			return -1;
		forget(t, (uint32_t)fds[0]);
		forget(t, (uint32_t)fds[1]);
		return 0;
	case FX_DUP:
		return dup_to(t, args[0], (uint64_t)result, false);
	case FX_DUP2:
		/* dup2(fd, fd) only checks that fd is open. */
		if ((uint32_t)args[0] == (uint32_t)args[1])
			return 0;
		return dup_to(t, args[0], args[1], false);
	case FX_DUP3:
		return dup_to(t, args[0], args[1], (args[2] & K_O_CLOEXEC) != 0);
	case FX_FCNTL:
		switch ((uint32_t)args[1]) {
		case K_F_DUPFD:
			return dup_to(t, args[0], (uint64_t)result, false);
		case K_F_DUPFD_CLOEXEC:
			return dup_to(t, args[0], (uint64_t)result, true);
		case K_F_SETFD:
			set_cloexec(t, args[0], (args[2] & K_FD_CLOEXEC) != 0);
			return 0;
		default:
			return 0;
		}
	case FX_IOCTL:
		switch ((uint32_t)args[1]) {
		case K_FIOCLEX:
			set_cloexec(t, args[0], true);
			return 0;
		case K_FIONCLEX:
			set_cloexec(t, args[0], false);
			return 0;
		case K_TIOCGPTPEER:
		case K_NS_GET_USERNS:
		case K_NS_GET_PARENT:
			forget(t, (uint32_t)result);
			return 0;
		default:
			if ((uint32_t)args[1] >= K_PIDFD_GET_NS_FIRST &&
			    (uint32_t)args[1] <= K_PIDFD_GET_NS_LAST)
				forget(t, (uint32_t)result);
			return 0;
		}
	case FX_CLOSE_RANGE: {
		uint32_t first = (uint32_t)args[0], last = (uint32_t)args[1];
		if (last > FD_MAX)
			last = FD_MAX;
		if ((uint32_t)args[2] & K_CLOSE_RANGE_UNSHARE) {
			if (unshare(tp) < 0)
				return -1;
			t = *tp;
		}
		if ((uint32_t)args[2] & K_CLOSE_RANGE_CLOEXEC)
			set_cloexec_range(t, first, last, true);
		else
			forget_range(t, first, last);
		return 0;
	}
	case FX_CLONE:
		/* The child's table is the caller's business (fdtable_clone);
		 * the parent may have got a pidfd. */
		if (!(args[0] & K_CLONE_PIDFD) || result == 0)
			return 0;
		if (read_int(read, ctx, args[2], &fds[0]) < 0)
			return -1;
		forget(t, (uint32_t)fds[0]);
		return 0;
	case FX_CLONE3: {
		uint64_t pidfd;
		if (result == 0)
			return 0;
		if (read_u64(read, ctx, args[0] + CLONE_ARGS_FLAGS, &v) < 0)
			return -1;
		if (!(v & K_CLONE_PIDFD))
			return 0;
		if (read_u64(read, ctx, args[0] + CLONE_ARGS_PIDFD, &pidfd) < 0 ||
		    read_int(read, ctx, pidfd, &fds[0]) < 0)
			return -1;
		forget(t, (uint32_t)fds[0]);
		return 0;
	}
	case FX_RECVMSG:
		return forget_rights(t, args[1], read, ctx);
	case FX_RECVMMSG:
		for (int64_t i = 0; i < result; i++)
			if (forget_rights(t, args[1] + (uint64_t)i * MMSGHDR_SIZE,
					  read, ctx) < 0)
				return -1;
		return 0;
	case FX_UNSHARE:
		if (args[0] & K_CLONE_FILES)
			return unshare(tp);
		return 0;
	case FX_EXEC:
		/* A successful exec is usually an EV_EXEC, not an EV_SYSCALL:
		 * the caller calls fdtable_exec then; doing both is harmless. */
		return fdtable_exec(tp);
	}
	return 0;
}
