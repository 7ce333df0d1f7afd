/* Unit tests for replay/fdtable.*: which fds of a recorded process echo
 * to the recorder's stdout/stderr after dup, close, exec, fork, threads
 * and fd-creating syscalls; plus a differential test of the sparse
 * storage against a dense reference table. */
#include "config.h"

#include "replay/fdtable.h"
#include "testsuite/unit/cunit_main.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

enum { NONE = FDT_ECHO_NONE, OUT = FDT_ECHO_STDOUT, ERR = FDT_ECHO_STDERR };

/* ---- helpers --------------------------------------------------------------- */

/* Fake tracee memory: MEM_SIZE bytes at MEM_BASE. */
#define MEM_BASE 0x10000ULL
#define MEM_SIZE 4096
static uint8_t mem[MEM_SIZE];
static int mem_reads;

static int mem_read(void *ctx, uint64_t addr, void *buf, size_t len)
{
	(void)ctx;
	mem_reads++;
	if (addr < MEM_BASE || addr - MEM_BASE > MEM_SIZE ||
	    len > MEM_SIZE - (addr - MEM_BASE))
		return -1;
	memcpy(buf, mem + (addr - MEM_BASE), len);
	return 0;
}

static void put(uint64_t addr, const void *v, size_t len)
{
	memcpy(mem + (addr - MEM_BASE), v, len);
}

static void put_int(uint64_t addr, int v)
{
	put(addr, &v, sizeof(v));
}

static void put_u64(uint64_t addr, uint64_t v)
{
	put(addr, &v, sizeof(v));
}

static int sc(struct fdtable **t, long nr, uint64_t a0, uint64_t a1,
	      uint64_t a2, uint64_t a3, int64_t result)
{
	uint64_t args[SC_MAX_ARGS] = { a0, a1, a2, a3, 0, 0 };

	return fdtable_syscall(t, nr, args, result, mem_read, NULL);
}

#define SC(t, nr, a0, a1, a2, a3, res) \
	CU_ASSERT_EQUAL(sc(&(t), nr, a0, a1, a2, a3, res), 0)

static int echo(const struct fdtable *t, uint64_t fd)
{
	return (int)fdtable_echo_target(t, fd);
}

static struct fdtable *initial(void)
{
	struct fdtable *t = fdtable_new_initial();

	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	return t;
}

/* ---- initial state ------------------------------------------------------- */

static void test_initial(void)
{
	struct fdtable *t = initial();

	CU_ASSERT_EQUAL(echo(t, 0), NONE);
	CU_ASSERT_EQUAL(echo(t, 1), OUT);
	CU_ASSERT_EQUAL(echo(t, 2), ERR);
	CU_ASSERT_EQUAL(echo(t, 3), NONE);
	CU_ASSERT_EQUAL(echo(t, 1023), NONE);
	CU_ASSERT_EQUAL(echo(t, 0x7fffffff), NONE);
	/* The kernel reads fd arguments as unsigned int. */
	CU_ASSERT_EQUAL(echo(t, 0x100000001ULL), OUT);
	CU_ASSERT_EQUAL(echo(t, (uint64_t)-1), NONE);
	fdtable_free(t);
	fdtable_free(NULL);
}

/* ---- dup family ----------------------------------------------------------- */

static void test_dup2_devnull_stops_echo(void)
{
	struct fdtable *t = initial();

	SC(t, SYS_openat, (uint64_t)AT_FDCWD, 0, O_WRONLY, 0, 3);
	SC(t, SYS_dup2, 3, 1, 0, 0, 1);
	CU_ASSERT_EQUAL(echo(t, 1), NONE);
	CU_ASSERT_EQUAL(echo(t, 2), ERR);
	CU_ASSERT_EQUAL(echo(t, 3), NONE);
	SC(t, SYS_dup2, 3, 2, 0, 0, 2);         /* >/dev/null 2>&1 */
	CU_ASSERT_EQUAL(echo(t, 2), NONE);
	fdtable_free(t);
}

static void test_dup_copy_echoes(void)
{
	struct fdtable *t = initial();

	SC(t, SYS_dup, 1, 0, 0, 0, 3);
	CU_ASSERT_EQUAL(echo(t, 3), OUT);
	SC(t, SYS_close, 1, 0, 0, 0, 0);
	CU_ASSERT_EQUAL(echo(t, 1), NONE);
	CU_ASSERT_EQUAL(echo(t, 3), OUT);       /* the description lives on */
	SC(t, SYS_dup, 2, 0, 0, 0, 1);          /* lowest free: 1 */
	CU_ASSERT_EQUAL(echo(t, 1), ERR);
	SC(t, SYS_dup2, 3, 1, 0, 0, 1);         /* restore stdout */
	CU_ASSERT_EQUAL(echo(t, 1), OUT);
	fdtable_free(t);
}

static void test_2_to_1(void)
{
	struct fdtable *t = initial();

	SC(t, SYS_dup2, 1, 2, 0, 0, 2);         /* 2>&1 */
	CU_ASSERT_EQUAL(echo(t, 1), OUT);
	CU_ASSERT_EQUAL(echo(t, 2), OUT);
	/* and the other way round with dup3 */
	fdtable_free(t);
	t = initial();
	SC(t, SYS_dup3, 2, 1, 0, 0, 1);
	CU_ASSERT_EQUAL(echo(t, 1), ERR);
	CU_ASSERT_EQUAL(echo(t, 2), ERR);
	fdtable_free(t);
}

static void test_dup2_same_fd(void)
{
	struct fdtable *t = initial();

	/* dup2(fd, fd) keeps FD_CLOEXEC, unlike dup2 to another fd. */
	SC(t, SYS_fcntl, 1, F_SETFD, FD_CLOEXEC, 0, 0);
	SC(t, SYS_dup2, 1, 1, 0, 0, 1);
	CU_ASSERT_EQUAL(echo(t, 1), OUT);
	CU_ASSERT_EQUAL(fdtable_exec(&t), 0);
	CU_ASSERT_EQUAL(echo(t, 1), NONE);
	CU_ASSERT_EQUAL(echo(t, 2), ERR);
	fdtable_free(t);

	t = initial();
	SC(t, SYS_fcntl, 2, F_SETFD, FD_CLOEXEC, 0, 0);
	SC(t, SYS_dup2, 2, 5, 0, 0, 5);         /* the copy is not CLOEXEC */
	CU_ASSERT_EQUAL(fdtable_exec(&t), 0);
	CU_ASSERT_EQUAL(echo(t, 2), NONE);
	CU_ASSERT_EQUAL(echo(t, 5), ERR);
	fdtable_free(t);
}

static void test_dup_unknown_fd(void)
{
	struct fdtable *t = initial();

	/* fd 5 inherited from the recorder: unknown, so not echoed. */
	SC(t, SYS_dup2, 5, 1, 0, 0, 1);
	CU_ASSERT_EQUAL(echo(t, 1), NONE);
	SC(t, SYS_dup, 5, 0, 0, 0, 2);          /* after close(2) in reality */
	CU_ASSERT_EQUAL(echo(t, 2), NONE);
	fdtable_free(t);
}

static void test_fcntl_dupfd(void)
{
	struct fdtable *t = initial();

	SC(t, SYS_fcntl, 1, F_DUPFD, 10, 0, 10);
	SC(t, SYS_fcntl, 2, F_DUPFD_CLOEXEC, 10, 0, 11);
	CU_ASSERT_EQUAL(echo(t, 10), OUT);
	CU_ASSERT_EQUAL(echo(t, 11), ERR);
	/* Commands that do not touch the fd table. */
	SC(t, SYS_fcntl, 10, F_GETFD, 0, 0, 0);
	SC(t, SYS_fcntl, 10, F_SETFL, O_NONBLOCK, 0, 0);
	SC(t, SYS_fcntl, 10, F_GETFL, 0, 0, 1);
	CU_ASSERT_EQUAL(echo(t, 1), OUT);
	CU_ASSERT_EQUAL(echo(t, 10), OUT);
	CU_ASSERT_EQUAL(fdtable_exec(&t), 0);
	CU_ASSERT_EQUAL(echo(t, 10), OUT);
	CU_ASSERT_EQUAL(echo(t, 11), NONE);     /* F_DUPFD_CLOEXEC: gone */
	CU_ASSERT_EQUAL(echo(t, 1), OUT);
	CU_ASSERT_EQUAL(echo(t, 2), ERR);
	fdtable_free(t);
}

static void test_dup3_cloexec(void)
{
	struct fdtable *t = initial();

	SC(t, SYS_dup3, 1, 7, O_CLOEXEC, 0, 7);
	SC(t, SYS_dup3, 1, 8, 0, 0, 8);
	CU_ASSERT_EQUAL(echo(t, 7), OUT);
	CU_ASSERT_EQUAL(fdtable_exec(&t), 0);
	CU_ASSERT_EQUAL(echo(t, 7), NONE);
	CU_ASSERT_EQUAL(echo(t, 8), OUT);
	fdtable_free(t);
}

/* ---- FD_CLOEXEC ----------------------------------------------------------- */

static void test_setfd_and_fioclex(void)
{
	struct fdtable *t = initial();

	SC(t, SYS_dup, 1, 0, 0, 0, 3);
	SC(t, SYS_dup, 2, 0, 0, 0, 4);
	SC(t, SYS_fcntl, 1, F_SETFD, FD_CLOEXEC, 0, 0);
	SC(t, SYS_fcntl, 1, F_SETFD, 0, 0, 0);          /* cleared again */
	SC(t, SYS_fcntl, 2, F_SETFD, FD_CLOEXEC, 0, 0);
	SC(t, SYS_ioctl, 3, FIOCLEX, 0, 0, 0);
	SC(t, SYS_ioctl, 4, FIOCLEX, 0, 0, 0);
	SC(t, SYS_ioctl, 4, FIONCLEX, 0, 0, 0);
	SC(t, SYS_ioctl, 1, TCGETS, MEM_BASE, 0, 0);    /* no effect */
	CU_ASSERT_EQUAL(echo(t, 2), ERR);               /* until exec */
	CU_ASSERT_EQUAL(fdtable_exec(&t), 0);
	CU_ASSERT_EQUAL(echo(t, 1), OUT);
	CU_ASSERT_EQUAL(echo(t, 2), NONE);
	CU_ASSERT_EQUAL(echo(t, 3), NONE);
	CU_ASSERT_EQUAL(echo(t, 4), ERR);
	/* A second exec changes nothing more. */
	CU_ASSERT_EQUAL(fdtable_exec(&t), 0);
	CU_ASSERT_EQUAL(echo(t, 1), OUT);
	CU_ASSERT_EQUAL(echo(t, 4), ERR);
	fdtable_free(t);
}

static void test_execve_event(void)
{
	struct fdtable *t = initial();

	SC(t, SYS_fcntl, 1, F_SETFD, FD_CLOEXEC, 0, 0);
	SC(t, SYS_execve, MEM_BASE, 0, 0, 0, -ENOENT);  /* failed: no exec */
	CU_ASSERT_EQUAL(echo(t, 1), OUT);
	SC(t, SYS_execveat, (uint64_t)AT_FDCWD, MEM_BASE, 0, 0, 0);
	CU_ASSERT_EQUAL(echo(t, 1), NONE);
	CU_ASSERT_EQUAL(echo(t, 2), ERR);
	fdtable_free(t);
}

/* ---- close ------------------------------------------------------------------ */

static void test_close_then_open(void)
{
	struct fdtable *t = initial();

	SC(t, SYS_close, 1, 0, 0, 0, 0);
	CU_ASSERT_EQUAL(echo(t, 1), NONE);
	SC(t, SYS_openat, (uint64_t)AT_FDCWD, MEM_BASE, O_WRONLY | O_CREAT, 0644, 1);
	CU_ASSERT_EQUAL(echo(t, 1), NONE);
	CU_ASSERT_EQUAL(echo(t, 2), ERR);
	fdtable_free(t);
}

static void test_close_errors(void)
{
	struct fdtable *t = initial();

	SC(t, SYS_close, 1, 0, 0, 0, -EBADF);   /* was not open: no change */
	CU_ASSERT_EQUAL(echo(t, 1), OUT);
	/* Linux has removed the fd when close reports EINTR or EIO. */
	SC(t, SYS_close, 1, 0, 0, 0, -EINTR);
	CU_ASSERT_EQUAL(echo(t, 1), NONE);
	SC(t, SYS_close, 2, 0, 0, 0, -EIO);
	CU_ASSERT_EQUAL(echo(t, 2), NONE);
	fdtable_free(t);
}

static void test_close_range(void)
{
	static const uint32_t fds[] = { 3, 100, 255, 1023, 65536, 1u << 20,
					0x7fffffff };
	struct fdtable *t = initial();

	for (size_t i = 0; i < NELEM(fds); i++)
		SC(t, SYS_dup2, 1, fds[i], 0, 0, fds[i]);
	for (size_t i = 0; i < NELEM(fds); i++)
		CU_ASSERT_EQUAL(echo(t, fds[i]), OUT);
	SC(t, SYS_close_range, 100, 1023, 0, 0, 0);
	CU_ASSERT_EQUAL(echo(t, 3), OUT);
	CU_ASSERT_EQUAL(echo(t, 100), NONE);
	CU_ASSERT_EQUAL(echo(t, 255), NONE);
	CU_ASSERT_EQUAL(echo(t, 1023), NONE);
	CU_ASSERT_EQUAL(echo(t, 65536), OUT);
	SC(t, SYS_close_range, 3, ~0U, 0, 0, 0);
	for (size_t i = 0; i < NELEM(fds); i++)
		CU_ASSERT_EQUAL(echo(t, fds[i]), NONE);
	CU_ASSERT_EQUAL(echo(t, 1), OUT);
	CU_ASSERT_EQUAL(echo(t, 2), ERR);
	/* Failed (first > last, bad flags): nothing changes. */
	SC(t, SYS_close_range, 2, 1, 0, 0, -EINVAL);
	SC(t, SYS_close_range, 0, ~0U, 0x80, 0, -EINVAL);
	CU_ASSERT_EQUAL(echo(t, 1), OUT);
	CU_ASSERT_EQUAL(echo(t, 2), ERR);
	SC(t, SYS_close_range, 2, 2, 0, 0, 0);
	CU_ASSERT_EQUAL(echo(t, 1), OUT);
	CU_ASSERT_EQUAL(echo(t, 2), NONE);
	fdtable_free(t);
}

static void test_close_range_cloexec(void)
{
	struct fdtable *t = initial();

	SC(t, SYS_dup2, 2, 300, 0, 0, 300);
	SC(t, SYS_close_range, 2, ~0U, CLOSE_RANGE_CLOEXEC, 0, 0);
	CU_ASSERT_EQUAL(echo(t, 2), ERR);       /* still open until exec */
	CU_ASSERT_EQUAL(echo(t, 300), ERR);
	CU_ASSERT_EQUAL(fdtable_exec(&t), 0);
	CU_ASSERT_EQUAL(echo(t, 1), OUT);
	CU_ASSERT_EQUAL(echo(t, 2), NONE);
	CU_ASSERT_EQUAL(echo(t, 300), NONE);
	fdtable_free(t);
}

static void test_close_range_unshare(void)
{
	struct fdtable *a = initial();
	struct fdtable *b = fdtable_clone(a, CLONE_VM | CLONE_FS | CLONE_FILES);

	CU_ASSERT_PTR_EQUAL(a, b);
	SC(b, SYS_close_range, 1, 1, CLOSE_RANGE_UNSHARE, 0, 0);
	CU_ASSERT_PTR_NOT_EQUAL(a, b);
	CU_ASSERT_EQUAL(echo(b, 1), NONE);
	CU_ASSERT_EQUAL(echo(a, 1), OUT);
	/* Not shared any more: b's changes stay b's. */
	SC(b, SYS_close, 2, 0, 0, 0, 0);
	CU_ASSERT_EQUAL(echo(a, 2), ERR);
	fdtable_free(a);
	fdtable_free(b);
}

/* ---- failed syscalls -------------------------------------------------------- */

static void test_failures_change_nothing(void)
{
	struct fdtable *t = initial();

	SC(t, SYS_dup2, 9, 1, 0, 0, -EBADF);
	SC(t, SYS_dup3, 9, 2, O_CLOEXEC, 0, -EBADF);
	SC(t, SYS_dup3, 1, 1, 0, 0, -EINVAL);
	SC(t, SYS_dup, 1, 0, 0, 0, -EMFILE);
	SC(t, SYS_fcntl, 1, F_DUPFD, 0, 0, -EMFILE);
	SC(t, SYS_fcntl, 1, F_SETFD, FD_CLOEXEC, 0, -EBADF);
	SC(t, SYS_ioctl, 2, FIOCLEX, 0, 0, -EBADF);
	SC(t, SYS_openat, (uint64_t)AT_FDCWD, MEM_BASE, 0, 0, -ENOENT);
	SC(t, SYS_pipe2, MEM_BASE, 0, 0, 0, -EMFILE);
	SC(t, SYS_accept4, 5, 0, 0, 0, -512 /* ERESTARTSYS */);
	CU_ASSERT_EQUAL(echo(t, 1), OUT);
	CU_ASSERT_EQUAL(echo(t, 2), ERR);
	CU_ASSERT_EQUAL(fdtable_exec(&t), 0);   /* nothing became CLOEXEC */
	CU_ASSERT_EQUAL(echo(t, 1), OUT);
	CU_ASSERT_EQUAL(echo(t, 2), ERR);
	/* Syscalls that do not create fds, whatever they return. */
	SC(t, SYS_write, 1, MEM_BASE, 1, 0, 1);
	SC(t, SYS_read, 0, MEM_BASE, 2, 0, 2);
	SC(t, SYS_getpid, 0, 0, 0, 0, 1);
	SC(t, SYS_fork, 0, 0, 0, 0, 2);
	SC(t, 100000, 0, 0, 0, 0, 1);
	SC(t, -1, 0, 0, 0, 0, 1);
	CU_ASSERT_EQUAL(echo(t, 1), OUT);
	CU_ASSERT_EQUAL(echo(t, 2), ERR);
	fdtable_free(t);
}

/* ---- new fds ----------------------------------------------------------------- */

static void test_new_fd_syscalls(void)
{
	static const long nrs[] = {
		SYS_open, SYS_openat, SYS_openat2, SYS_creat, SYS_socket,
		SYS_accept, SYS_accept4, SYS_epoll_create, SYS_epoll_create1,
		SYS_eventfd, SYS_eventfd2, SYS_signalfd, SYS_signalfd4,
		SYS_timerfd_create, SYS_inotify_init, SYS_inotify_init1,
		SYS_memfd_create, SYS_memfd_secret, SYS_fanotify_init,
		SYS_pidfd_open, SYS_pidfd_getfd, SYS_userfaultfd,
		SYS_perf_event_open, SYS_open_tree, SYS_fsopen, SYS_fsmount,
		SYS_fspick, SYS_io_uring_setup, SYS_open_by_handle_at,
		SYS_mq_open, 467 /* open_tree_attr */,
	};

	for (size_t i = 0; i < NELEM(nrs); i++) {
		struct fdtable *t = initial();
		SC(t, nrs[i], 0, 0, 0, 0, 1);
		CU_ASSERT_EQUAL(echo(t, 1), NONE);
		CU_ASSERT_EQUAL(echo(t, 2), ERR);
		SC(t, nrs[i], 0, 0, 0, 0, 2);
		CU_ASSERT_EQUAL(echo(t, 2), NONE);
		fdtable_free(t);
	}
}

static void test_conditional_new_fd(void)
{
	struct fdtable *t = initial();

	SC(t, SYS_dup2, 1, 0, 0, 0, 0);
	/* bpf: MAP_UPDATE_ELEM (2) returns 0, not an fd. */
	SC(t, SYS_bpf, 2, MEM_BASE, 64, 0, 0);
	CU_ASSERT_EQUAL(echo(t, 0), OUT);
	SC(t, SYS_bpf, 0 /* MAP_CREATE */, MEM_BASE, 64, 0, 0);
	CU_ASSERT_EQUAL(echo(t, 0), NONE);
	/* landlock: with LANDLOCK_CREATE_RULESET_VERSION it is a version. */
	SC(t, SYS_landlock_create_ruleset, 0, 0, 1, 0, 1);
	CU_ASSERT_EQUAL(echo(t, 1), OUT);
	SC(t, SYS_landlock_create_ruleset, MEM_BASE, 16, 0, 0, 1);
	CU_ASSERT_EQUAL(echo(t, 1), NONE);
	/* seccomp: an fd only with SECCOMP_FILTER_FLAG_NEW_LISTENER. */
	SC(t, SYS_seccomp, 1, 0, MEM_BASE, 0, 0);
	SC(t, SYS_seccomp, 2, 0, MEM_BASE, 0, 2);
	CU_ASSERT_EQUAL(echo(t, 2), ERR);
	SC(t, SYS_seccomp, 1, 8, MEM_BASE, 0, 2);
	CU_ASSERT_EQUAL(echo(t, 2), NONE);
	fdtable_free(t);

	t = initial();
	SC(t, SYS_ioctl, 5, TIOCGPTPEER, O_RDWR, 0, 1);
	CU_ASSERT_EQUAL(echo(t, 1), NONE);
	CU_ASSERT_EQUAL(echo(t, 2), ERR);
	fdtable_free(t);

	/* namespace descriptors from nsfs and pidfd ioctls; NS_GET_NSTYPE
	   answers a number */
	t = initial();
	SC(t, SYS_ioctl, 5, 0xb703 /* NS_GET_NSTYPE */, 0, 0, 2);
	CU_ASSERT_EQUAL(echo(t, 2), ERR);
	SC(t, SYS_ioctl, 5, 0xb701 /* NS_GET_USERNS */, 0, 0, 1);
	CU_ASSERT_EQUAL(echo(t, 1), NONE);
	SC(t, SYS_ioctl, 5, 0xff0a /* PIDFD_GET_UTS_NAMESPACE */, 0, 0, 2);
	CU_ASSERT_EQUAL(echo(t, 2), NONE);
	fdtable_free(t);
}

static void test_pipe_fds_from_memory(void)
{
	struct fdtable *t = initial();

	/* close(1); pipe2 -> {1, 3}: fd 1 is the pipe's read end now. */
	SC(t, SYS_close, 1, 0, 0, 0, 0);
	SC(t, SYS_dup, 2, 0, 0, 0, 1);          /* (model out of step on purpose) */
	CU_ASSERT_EQUAL(echo(t, 1), ERR);
	put_int(MEM_BASE + 8, 1);
	put_int(MEM_BASE + 12, 3);
	SC(t, SYS_pipe2, MEM_BASE + 8, O_CLOEXEC, 0, 0, 0);
	CU_ASSERT_EQUAL(echo(t, 1), NONE);
	CU_ASSERT_EQUAL(echo(t, 2), ERR);
	/* pipe: the write end replaces 2 */
	put_int(MEM_BASE + 16, 7);
	put_int(MEM_BASE + 20, 2);
	SC(t, SYS_pipe, MEM_BASE + 16, 0, 0, 0, 0);
	CU_ASSERT_EQUAL(echo(t, 2), NONE);
	fdtable_free(t);

	/* socketpair writes its pair at args[3]. */
	t = initial();
	put_int(MEM_BASE + 32, 2);
	put_int(MEM_BASE + 36, 1);
	SC(t, SYS_socketpair, AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0,
	   MEM_BASE + 32, 0);
	CU_ASSERT_EQUAL(echo(t, 1), NONE);
	CU_ASSERT_EQUAL(echo(t, 2), NONE);
	fdtable_free(t);

	/* Unreadable memory or no reader: reported, table unchanged. */
	t = initial();
	CU_ASSERT_EQUAL(sc(&t, SYS_pipe2, 0x10, 0, 0, 0, 0), -1);
	uint64_t args[SC_MAX_ARGS] = { MEM_BASE + 8 };
	CU_ASSERT_EQUAL(fdtable_syscall(&t, SYS_pipe, args, 0, NULL, NULL), -1);
	CU_ASSERT_EQUAL(echo(t, 1), OUT);
	/* Failed pipe: memory is not even read. */
	mem_reads = 0;
	SC(t, SYS_pipe, 0x10, 0, 0, 0, -EFAULT);
	CU_ASSERT_EQUAL(mem_reads, 0);
	fdtable_free(t);
}

static void test_scm_rights(void)
{
	struct fdtable *t = initial();
	uint64_t msg = MEM_BASE + 256, ctl = MEM_BASE + 512;

	SC(t, SYS_dup, 1, 0, 0, 0, 7);
	SC(t, SYS_dup, 1, 0, 0, 0, 8);
	/* One SCM_CREDENTIALS (ignored), one SCM_RIGHTS with fds 7 and 2. */
	memset(mem, 0, sizeof(mem));
	put_u64(msg + 32, ctl);
	put_u64(ctl, 16 + 12);                  /* cmsg_len */
	put_int(ctl + 8, SOL_SOCKET);
	put_int(ctl + 12, SCM_CREDENTIALS);
	put_int(ctl + 16, 2);                   /* looks like an fd: is not */
	put_u64(ctl + 32, 16 + 8);
	put_int(ctl + 40, SOL_SOCKET);
	put_int(ctl + 44, SCM_RIGHTS);
	put_int(ctl + 48, 7);
	put_int(ctl + 52, 2);
	put_u64(msg + 40, 32 + 24);             /* msg_controllen */
	SC(t, SYS_recvmsg, 3, msg, 0, 0, 10);
	CU_ASSERT_EQUAL(echo(t, 7), NONE);
	CU_ASSERT_EQUAL(echo(t, 2), NONE);
	CU_ASSERT_EQUAL(echo(t, 8), OUT);
	CU_ASSERT_EQUAL(echo(t, 1), OUT);

	/* recvmmsg: the second of two messages carries fd 8. */
	uint64_t vec = MEM_BASE + 1024, ctl2 = MEM_BASE + 2048;
	put_u64(vec + 32, 0);                   /* first: no control data */
	put_u64(vec + 40, 0);
	put_u64(vec + 64 + 32, ctl2);
	put_u64(vec + 64 + 40, 20);
	put_u64(ctl2, 20);
	put_int(ctl2 + 8, SOL_SOCKET);
	put_int(ctl2 + 12, SCM_RIGHTS);
	put_int(ctl2 + 16, 8);
	SC(t, SYS_recvmmsg, 3, vec, 2, 0, 2);
	CU_ASSERT_EQUAL(echo(t, 8), NONE);
	CU_ASSERT_EQUAL(echo(t, 1), OUT);

	/* A malformed cmsg_len stops the walk without reading past it. */
	SC(t, SYS_dup, 1, 0, 0, 0, 9);
	put_u64(ctl, 4);
	put_u64(msg + 40, 56);
	SC(t, SYS_recvmsg, 3, msg, 0, 0, 1);
	CU_ASSERT_EQUAL(echo(t, 9), OUT);
	fdtable_free(t);
}

static void test_clone_pidfd(void)
{
	struct fdtable *t = initial();

	/* clone(CLONE_PIDFD): the pidfd is at the parent_tid argument. */
	SC(t, SYS_dup, 1, 0, 0, 0, 6);
	put_int(MEM_BASE + 64, 6);
	SC(t, SYS_clone, CLONE_PIDFD | SIGCHLD, 0, MEM_BASE + 64, 0, 1234);
	CU_ASSERT_EQUAL(echo(t, 6), NONE);
	/* Without CLONE_PIDFD that int is the parent tid, not an fd. */
	put_int(MEM_BASE + 64, 1);
	SC(t, SYS_clone, CLONE_PARENT_SETTID | SIGCHLD, 0, MEM_BASE + 64, 0, 1);
	CU_ASSERT_EQUAL(echo(t, 1), OUT);

	/* clone3: clone_args.pidfd points to the int. */
	uint64_t ca = MEM_BASE + 128;
	memset(mem + (ca - MEM_BASE), 0, 88);
	put_u64(ca, CLONE_PIDFD);
	put_u64(ca + 8, MEM_BASE + 96);
	put_int(MEM_BASE + 96, 2);
	SC(t, SYS_clone3, ca, 88, 0, 0, 0);     /* the child's return: nothing */
	CU_ASSERT_EQUAL(echo(t, 2), ERR);
	SC(t, SYS_clone3, ca, 88, 0, 0, 1235);
	CU_ASSERT_EQUAL(echo(t, 2), NONE);
	CU_ASSERT_EQUAL(echo(t, 1), OUT);
	fdtable_free(t);
}

/* ---- processes and threads ----------------------------------------------------- */

static void test_fork_copies(void)
{
	struct fdtable *parent = initial();

	SC(parent, SYS_dup, 2, 0, 0, 0, 3);
	struct fdtable *child = fdtable_clone(parent, SIGCHLD);
	struct fdtable *vchild = fdtable_clone(parent, CLONE_VM | CLONE_VFORK | SIGCHLD);
	CU_ASSERT_PTR_NOT_NULL_FATAL(child);
	CU_ASSERT_PTR_NOT_NULL_FATAL(vchild);
	CU_ASSERT_PTR_NOT_EQUAL(child, parent);
	CU_ASSERT_EQUAL(echo(child, 1), OUT);
	CU_ASSERT_EQUAL(echo(child, 2), ERR);
	CU_ASSERT_EQUAL(echo(child, 3), ERR);
	/* The child redirects: the parent still writes to the terminal. */
	SC(child, SYS_dup2, 7, 1, 0, 0, 1);
	CU_ASSERT_EQUAL(echo(child, 1), NONE);
	CU_ASSERT_EQUAL(echo(parent, 1), OUT);
	SC(parent, SYS_close, 2, 0, 0, 0, 0);
	CU_ASSERT_EQUAL(echo(child, 2), ERR);
	CU_ASSERT_EQUAL(echo(vchild, 2), ERR);
	CU_ASSERT_EQUAL(echo(vchild, 1), OUT);
	/* A grandchild (fdtable_fork directly) from the child. */
	struct fdtable *grand = fdtable_fork(child);
	CU_ASSERT_EQUAL(echo(grand, 1), NONE);
	CU_ASSERT_EQUAL(echo(grand, 3), ERR);
	fdtable_free(parent);
	CU_ASSERT_EQUAL(echo(child, 3), ERR);   /* child outlives parent */
	fdtable_free(child);
	fdtable_free(vchild);
	fdtable_free(grand);
}

static void test_clone_files_shares(void)
{
	struct fdtable *main_t = initial();
	struct fdtable *thr = fdtable_clone(main_t, CLONE_VM | CLONE_FS |
					    CLONE_FILES | CLONE_SIGHAND |
					    CLONE_THREAD | CLONE_SYSVSEM);

	CU_ASSERT_PTR_EQUAL(thr, main_t);
	SC(thr, SYS_close, 1, 0, 0, 0, 0);
	CU_ASSERT_EQUAL(echo(main_t, 1), NONE);
	SC(main_t, SYS_dup, 2, 0, 0, 0, 1);
	CU_ASSERT_EQUAL(echo(thr, 1), ERR);
	/* The thread exits: the table stays for the main thread. */
	fdtable_free(thr);
	CU_ASSERT_EQUAL(echo(main_t, 1), ERR);
	fdtable_free(main_t);

	/* A thread without CLONE_FILES has its own table. */
	main_t = initial();
	thr = fdtable_clone(main_t, CLONE_VM | CLONE_SIGHAND | CLONE_THREAD);
	CU_ASSERT_PTR_NOT_EQUAL(thr, main_t);
	SC(thr, SYS_close, 1, 0, 0, 0, 0);
	CU_ASSERT_EQUAL(echo(main_t, 1), OUT);
	fdtable_free(thr);
	fdtable_free(main_t);

	/* fdtable_share directly */
	main_t = initial();
	thr = fdtable_share(main_t);
	CU_ASSERT_PTR_EQUAL(thr, main_t);
	fdtable_free(main_t);
	CU_ASSERT_EQUAL(echo(thr, 2), ERR);     /* still referenced */
	fdtable_free(thr);
}

static void test_exec_unshares(void)
{
	struct fdtable *a = initial();
	struct fdtable *b = fdtable_clone(a, CLONE_VM | CLONE_FILES | SIGCHLD);
	struct fdtable *before = b;

	SC(b, SYS_fcntl, 2, F_SETFD, FD_CLOEXEC, 0, 0);     /* seen by both */
	CU_ASSERT_EQUAL(fdtable_exec(&b), 0);
	CU_ASSERT_PTR_NOT_EQUAL(b, before);
	CU_ASSERT_PTR_EQUAL(a, before);
	CU_ASSERT_EQUAL(echo(b, 2), NONE);
	CU_ASSERT_EQUAL(echo(a, 2), ERR);       /* a did not exec */
	CU_ASSERT_EQUAL(echo(b, 1), OUT);
	SC(b, SYS_close, 1, 0, 0, 0, 0);
	CU_ASSERT_EQUAL(echo(a, 1), OUT);       /* not shared any more */
	/* a's FD_CLOEXEC on 2 is still there for its own exec. */
	CU_ASSERT_EQUAL(fdtable_exec(&a), 0);
	CU_ASSERT_PTR_EQUAL(a, before);         /* sole owner: no copy */
	CU_ASSERT_EQUAL(echo(a, 2), NONE);
	fdtable_free(a);
	fdtable_free(b);
}

static void test_unshare_files(void)
{
	struct fdtable *a = initial();
	struct fdtable *b = fdtable_share(a);

	SC(b, SYS_unshare, CLONE_NEWNS, 0, 0, 0, 0);
	CU_ASSERT_PTR_EQUAL(a, b);
	SC(b, SYS_unshare, CLONE_FILES, 0, 0, 0, -EPERM);
	CU_ASSERT_PTR_EQUAL(a, b);
	SC(b, SYS_unshare, CLONE_FILES, 0, 0, 0, 0);
	CU_ASSERT_PTR_NOT_EQUAL(a, b);
	SC(b, SYS_dup2, 1, 2, 0, 0, 2);
	CU_ASSERT_EQUAL(echo(b, 2), OUT);
	CU_ASSERT_EQUAL(echo(a, 2), ERR);
	fdtable_free(a);
	fdtable_free(b);
}

/* ---- storage ---------------------------------------------------------------- */

static void test_large_fds(void)
{
	struct fdtable *t = initial();

	SC(t, SYS_dup2, 1, 255, 0, 0, 255);
	SC(t, SYS_dup2, 2, 1023, 0, 0, 1023);
	SC(t, SYS_dup2, 1, 1u << 20, 0, 0, 1u << 20);
	SC(t, SYS_fcntl, 2, F_DUPFD, 100000, 0, 100000);
	SC(t, SYS_dup2, 1, 0x7ffffffe, 0, 0, 0x7ffffffe);
	CU_ASSERT_EQUAL(echo(t, 255), OUT);
	CU_ASSERT_EQUAL(echo(t, 1023), ERR);
	CU_ASSERT_EQUAL(echo(t, 1u << 20), OUT);
	CU_ASSERT_EQUAL(echo(t, 100000), ERR);
	CU_ASSERT_EQUAL(echo(t, 0x7ffffffe), OUT);
	CU_ASSERT_EQUAL(echo(t, 254), NONE);
	CU_ASSERT_EQUAL(echo(t, 256), NONE);
	/* The high dup2 target replaced by a stolen fd. */
	SC(t, SYS_pidfd_getfd, 4, 1, 0, 0, 1023);
	CU_ASSERT_EQUAL(echo(t, 1023), NONE);
	/* fd arguments are unsigned int: high bits are ignored. */
	SC(t, SYS_dup2, 0x500000002ULL, 0x700000009ULL, 0, 0, 9);
	CU_ASSERT_EQUAL(echo(t, 9), ERR);
	SC(t, SYS_close, 0x100000009ULL, 0, 0, 0, 0);
	CU_ASSERT_EQUAL(echo(t, 9), NONE);
	/* Many fds, then every other one closed. */
	for (uint32_t fd = 10; fd < 5000; fd++)
		SC(t, SYS_dup2, fd % 2 ? 1 : 2, fd, 0, 0, fd);
	for (uint32_t fd = 10; fd < 5000; fd += 2)
		SC(t, SYS_close, fd, 0, 0, 0, 0);
	int bad = 0;
	for (uint32_t fd = 10; fd < 5000; fd++)
		bad += echo(t, fd) != (fd % 2 ? OUT : NONE);
	CU_ASSERT_EQUAL(bad, 0);
	fdtable_free(t);
}

/* Random operations against a dense reference of REF_FDS fds. */
#define REF_FDS 300
struct ref {
	bool open[REF_FDS];
	uint8_t echo[REF_FDS];
	bool cloexec[REF_FDS];
};

static int ref_lowest_free(const struct ref *r, int from)
{
	for (int fd = from; fd < REF_FDS; fd++)
		if (!r->open[fd])
			return fd;
	return -1;
}

static void test_random_against_reference(void)
{
	/* The two top fds keep a copy of stdout and stderr that the random
	 * operations only read from (dup sources), so that echoing fds keep
	 * appearing among the others. */
	const int lim = REF_FDS - 2;
	struct ref r;
	struct fdtable *t = initial();
	unsigned seed = 12345;
	int mismatches = 0, echoing = 0;

	memset(&r, 0, sizeof(r));
	for (int fd = 0; fd < 3; fd++)
		r.open[fd] = true;
	r.echo[1] = OUT;
	r.echo[2] = ERR;
	r.open[lim] = r.open[lim + 1] = true;
	r.echo[lim] = OUT;
	r.echo[lim + 1] = ERR;
	SC(t, SYS_dup2, 1, lim, 0, 0, lim);
	SC(t, SYS_dup2, 2, lim + 1, 0, 0, lim + 1);
	for (int step = 0; step < 20000; step++) {
		int op = rand_r(&seed) % 9;
		int b = rand_r(&seed) % lim;
		int a = rand_r(&seed) % lim;
		int64_t res;
		/* dup sources: often the reserve */
		if ((op == 2 || op == 3 || op == 4) && rand_r(&seed) % 3 == 0)
			a = lim + rand_r(&seed) % 2;
		switch (op) {
		case 0: /* open */
			res = ref_lowest_free(&r, 0);
			if (res < 0)
				res = -EMFILE;
			else
				r.open[res] = true, r.echo[res] = NONE,
				r.cloexec[res] = rand_r(&seed) % 2;
			SC(t, SYS_openat, (uint64_t)AT_FDCWD, MEM_BASE, 0, 0, res);
			break;
		case 1: /* close */
			res = r.open[a] ? 0 : -EBADF;
			r.open[a] = false;
			SC(t, SYS_close, a, 0, 0, 0, res);
			break;
		case 2: /* dup */
		case 3: /* F_DUPFD(_CLOEXEC) */ {
			res = r.open[a] ? ref_lowest_free(&r, op == 3 ? b : 0) : -EBADF;
			if (res == -1)
				res = -EMFILE;
			bool ce = op == 3 && rand_r(&seed) % 2;
			if (res >= 0)
				r.open[res] = true, r.echo[res] = r.echo[a],
				r.cloexec[res] = ce;
			if (op == 2) {
				SC(t, SYS_dup, a, 0, 0, 0, res);
			} else {
				SC(t, SYS_fcntl, a, ce ? F_DUPFD_CLOEXEC : F_DUPFD,
				   b, 0, res);
			}
			break;
		}
		case 4: /* dup2 / dup3 */ {
			bool three = rand_r(&seed) % 2, ce = three && rand_r(&seed) % 2;
			if (!r.open[a])
				res = -EBADF;
			else if (a == b)
				res = three ? -EINVAL : b;
			else
				res = b, r.open[b] = true, r.echo[b] = r.echo[a],
				r.cloexec[b] = ce;
			if (three) {
				SC(t, SYS_dup3, a, b, ce ? O_CLOEXEC : 0, 0, res);
			} else {
				SC(t, SYS_dup2, a, b, 0, 0, res);
			}
			break;
		}
		case 5: /* F_SETFD */ {
			bool ce = rand_r(&seed) % 2;
			res = r.open[a] ? 0 : -EBADF;
			if (res == 0)
				r.cloexec[a] = ce;
			SC(t, SYS_fcntl, a, F_SETFD, ce ? FD_CLOEXEC : 0, 0, res);
			break;
		}
		case 6: /* close_range, sometimes CLOEXEC; rarely */ {
			if (rand_r(&seed) % 8)
				break;
			if (a > b) {
				SC(t, SYS_close_range, a, b, 0, 0, -EINVAL);
				break;
			}
			bool ce = rand_r(&seed) % 2;
			b = a + (b - a) / 8;
			for (int fd = a; fd <= b; fd++) {
				if (ce)
					r.cloexec[fd] = r.open[fd] ? true : r.cloexec[fd];
				else
					r.open[fd] = false;
			}
			SC(t, SYS_close_range, a, b, ce ? CLOSE_RANGE_CLOEXEC : 0, 0, 0);
			break;
		}
		case 7: /* exec, rarely */
			if (rand_r(&seed) % 16)
				break;
			for (int fd = 0; fd < REF_FDS; fd++)
				if (r.open[fd] && r.cloexec[fd])
					r.open[fd] = false;
			CU_ASSERT_EQUAL(fdtable_exec(&t), 0);
			break;
		case 8: /* pipe2 */ {
			int p0 = ref_lowest_free(&r, 0);
			int p1 = p0 < 0 ? -1 : ref_lowest_free(&r, p0 + 1);
			if (p1 < 0) {
				SC(t, SYS_pipe2, MEM_BASE, 0, 0, 0, -EMFILE);
				break;
			}
			r.open[p0] = r.open[p1] = true;
			r.echo[p0] = r.echo[p1] = NONE;
			put_int(MEM_BASE, p0);
			put_int(MEM_BASE + 4, p1);
			SC(t, SYS_pipe2, MEM_BASE, 0, 0, 0, 0);
			break;
		}
		}
		for (int fd = 0; fd < REF_FDS; fd++) {
			mismatches += echo(t, fd) != (r.open[fd] ? r.echo[fd] : NONE);
			echoing += fd < lim && r.open[fd] && r.echo[fd] != NONE;
		}
	}
	CU_ASSERT_EQUAL(mismatches, 0);
	CU_ASSERT(echoing > 20000);     /* the test did test something */
	fdtable_free(t);
}

static const struct unit_test tests[] = {
	{ "initial table", test_initial },
	{ "dup2(devnull, 1) stops echo", test_dup2_devnull_stops_echo },
	{ "dup(1): the copy echoes stdout", test_dup_copy_echoes },
	{ "2>&1: fd 2 echoes as stdout", test_2_to_1 },
	{ "dup2(fd, fd) changes nothing", test_dup2_same_fd },
	{ "dup of an unknown fd", test_dup_unknown_fd },
	{ "fcntl F_DUPFD, F_DUPFD_CLOEXEC and exec", test_fcntl_dupfd },
	{ "dup3 O_CLOEXEC and exec", test_dup3_cloexec },
	{ "F_SETFD, FIOCLEX, FIONCLEX", test_setfd_and_fioclex },
	{ "execve/execveat events", test_execve_event },
	{ "close(1) then open gets 1", test_close_then_open },
	{ "close errors", test_close_errors },
	{ "close_range", test_close_range },
	{ "close_range CLOSE_RANGE_CLOEXEC", test_close_range_cloexec },
	{ "close_range CLOSE_RANGE_UNSHARE", test_close_range_unshare },
	{ "failed syscalls change nothing", test_failures_change_nothing },
	{ "every fd-creating syscall", test_new_fd_syscalls },
	{ "bpf, landlock, seccomp, TIOCGPTPEER, nsfs and pidfd ioctls", test_conditional_new_fd },
	{ "pipe, pipe2, socketpair fds from memory", test_pipe_fds_from_memory },
	{ "SCM_RIGHTS in recvmsg, recvmmsg", test_scm_rights },
	{ "clone and clone3 CLONE_PIDFD", test_clone_pidfd },
	{ "fork and vfork copy", test_fork_copies },
	{ "CLONE_FILES shares", test_clone_files_shares },
	{ "exec unshares", test_exec_unshares },
	{ "unshare(CLONE_FILES)", test_unshare_files },
	{ "large fd numbers", test_large_fds },
	{ "random operations against a dense reference", test_random_against_reference },
	{ NULL, NULL },
};

static const struct unit_suite suites[] = {
	{ "fdtable", tests, NULL, NULL },
};

UNIT_MAIN(suites)
