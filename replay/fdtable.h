/* Which file descriptors of a recorded process still reach the recorder's
 * stdout or stderr: the model `xrr replay -a` consults before echoing a
 * write.  Pure data: no ptrace, no I/O (tracee memory is read through the
 * caller's sc_read_fn).
 *
 * The question is "did this write go to the same open file description
 * as the recorder's fd 1 or fd 2?".  The rules, and why:
 *
 * - A process starts (fdtable_new_initial) with fd 1 -> the STDOUT
 *   description, fd 2 -> the STDERR description.  fd 0 and any other fd
 *   inherited from the recorder are not echoed: nothing in the trace says
 *   where they lead.
 * - Which terminal stream a description is never changes, and that is
 *   the only property of a description this model needs.  So an fd holds
 *   a copy of it (plus its own FD_CLOEXEC bit) instead of a pointer to a
 *   shared description object: dup copies it, and "two fds share one
 *   description" holds by construction.  Only fds that echo are stored;
 *   every other fd, open or not, answers FDT_ECHO_NONE.  Storage is a
 *   sorted array of those few fds, so fd numbers of any size (dup2 to
 *   1023, close_range(3, ~0U)) cost nothing.
 * - Every syscall that returns a new fd (open*, creat, socket, accept*,
 *   epoll_create*, eventfd*, signalfd*, timerfd_create, inotify_init*,
 *   memfd_create, memfd_secret, fanotify_init, pidfd_open, pidfd_getfd,
 *   userfaultfd, perf_event_open, open_tree*, fsopen, fsmount, fspick,
 *   io_uring_setup, open_by_handle_at, mq_open, and the fd-returning
 *   forms of bpf, seccomp, landlock_create_ruleset and ioctl
 *   TIOCGPTPEER) gives that number a new description: it stops echoing.
 *   The same for the fds the kernel writes to memory: pipe, pipe2,
 *   socketpair, clone/clone3 with CLONE_PIDFD, SCM_RIGHTS in recvmsg
 *   and recvmmsg.  Their O_CLOEXEC-style flags do not matter: a closed fd
 *   and a non-echoing fd look the same here.
 * - Received or stolen fds (SCM_RIGHTS, pidfd_getfd) and re-opened
 *   terminals (open("/dev/tty"), open("/proc/self/fd/1")) are new
 *   descriptions for this model and never echo, even when they lead to
 *   the terminal: only the recorder's own descriptions, duplicated, do.
 * - dup, dup2, dup3, fcntl F_DUPFD / F_DUPFD_CLOEXEC: the new fd gets the
 *   old one's description with FD_CLOEXEC clear, or set for dup3
 *   O_CLOEXEC and F_DUPFD_CLOEXEC.  dup2(fd, fd) changes nothing (not
 *   even FD_CLOEXEC), as in the kernel.
 * - fcntl F_SETFD, ioctl FIOCLEX / FIONCLEX set or clear FD_CLOEXEC;
 *   close_range with CLOSE_RANGE_CLOEXEC sets it on a range; exec (an
 *   EV_EXEC, or a successful execve/execveat event) closes those fds.
 * - close forgets the fd unless it failed with EBADF: Linux removes the
 *   fd before flushing, so close returning EINTR or EIO has closed it.
 *   close_range forgets [first, last].  Every other failed syscall
 *   (result < 0) changes nothing.
 * - fd arguments are truncated to 32 bits as the kernel does
 *   (`unsigned int fd`).
 * - Tables are per fd table of the kernel, not per thread:
 *   fork/vfork/clone without CLONE_FILES copy, clone with CLONE_FILES
 *   shares (refcounted).  Writing to a shared table is seen by every
 *   sharer; exec, unshare(CLONE_FILES) and close_range with
 *   CLOSE_RANGE_UNSHARE give the calling task a private copy first, as
 *   the kernel does: that is why those calls take `struct fdtable **`.
 *
 * Out of scope: fds io_uring opens or closes by itself, and ioctls other
 * than TIOCGPTPEER that return an fd (the recorder refuses them).
 *
 * Use (one `struct fdtable *` per recorded task):
 *   first EV_EXEC:    t = fdtable_new_initial()
 *   EV_FORK / EV_THREAD_CREATE:  child = fdtable_clone(parent, clone_flags)
 *   EV_SYSCALL (after its recorded memory writes are in the tracee, so
 *                that read sees the fds pipe and friends wrote):
 *                     fdtable_syscall(&t, nr, args, result, read, ctx)
 *   EV_EXEC later:    fdtable_exec(&t)
 *   task gone (EV_THREAD_EXIT, EV_EXIT):  fdtable_free(t)
 *   a write:          fdtable_echo_target(t, args[0]) */
#ifndef XRR_REPLAY_FDTABLE_H
#define XRR_REPLAY_FDTABLE_H

#include <stdint.h>

#include "replay/syscalls.h"

enum fdtable_echo {
	FDT_ECHO_NONE,          /* not the recorder's stdout or stderr */
	FDT_ECHO_STDOUT,        /* the recorder's fd 1 description */
	FDT_ECHO_STDERR,        /* the recorder's fd 2 description */
};

struct fdtable;

/* The table of the recorded program's first process: 1 -> STDOUT,
 * 2 -> STDERR.  NULL when out of memory. */
struct fdtable *fdtable_new_initial(void);
/* A private copy (fork, vfork, clone without CLONE_FILES). NULL: no memory. */
struct fdtable *fdtable_fork(const struct fdtable *parent);
/* Another reference to the same table (clone with CLONE_FILES). */
struct fdtable *fdtable_share(struct fdtable *t);
/* fdtable_share when clone_flags has CLONE_FILES, else fdtable_fork. */
struct fdtable *fdtable_clone(struct fdtable *parent, uint64_t clone_flags);
/* Drops one reference; the last frees the table.  NULL is ignored. */
void fdtable_free(struct fdtable *t);

/* A successful exec by the task whose table is *tp: unshares (*tp then
 * points to a private copy and the old reference is dropped) and closes
 * the FD_CLOEXEC fds.  Doing it twice changes nothing more.
 * 0, or -1 when out of memory (*tp unchanged). */
int fdtable_exec(struct fdtable **tp);

/* One completed syscall of the task whose table is *tp: number, the six
 * arguments and the result as recorded.  read/ctx read the tracee's
 * memory after the syscall (the int pairs of pipe, pipe2, socketpair,
 * clone's pidfd, clone3's clone_args, recvmsg/recvmmsg control data);
 * read may be NULL when the caller has no memory, then those fds are
 * not learnt and -1 is returned for them.  *tp may change (unshare,
 * close_range with CLOSE_RANGE_UNSHARE, execve).
 * 0, or -1 when memory could not be read or allocated: then the table
 * is what it was, except that fds already read were forgotten. */
int fdtable_syscall(struct fdtable **tp, long nr, const uint64_t args[SC_MAX_ARGS],
		    int64_t result, sc_read_fn read, void *ctx);

/* Where a write to fd (a syscall argument as recorded) goes. */
enum fdtable_echo fdtable_echo_target(const struct fdtable *t, uint64_t fd);

#endif
