/* The x86-64 system call table: one row per syscall number, sorted.
 *
 * Each row says how to print the arguments, which arguments the kernel
 * writes through and how long each write is (struct sc_out), and whether
 * replay emulates the call or must perform it. Rows marked U only name a
 * syscall so that refusals can say which one it was and why; recording
 * stops on them. Rows marked F (fail-only) are recorded when the kernel
 * refuses them; their success changes the process in a way the replayer
 * does not reproduce, so the recorder stops then, saying why. NOSYS rows
 * are calls Linux removed or never implemented on x86-64: the kernel's
 * ENOSYS is recorded, any other answer stops the recording. Every number
 * and decision is listed in docs/syscalls.md. Sizes are the x86-64 kernel
 * ABI sizes (checked against the libc structs in
 * testsuite/unit/test_syscalls.c); codes come from the kernel UAPI headers
 * where this system's headers have them. */
#include "replay/syscalls.h"
#include "replay/syscall_internal.h"

#include <linux/bpf.h>
#include <linux/dqblk_xfs.h>
#include <linux/futex.h>
#include <linux/ipc.h>
#include <linux/keyctl.h>
#include <linux/prctl.h>
#include <linux/quota.h>

/* <linux/ipc.h>, <linux/shm.h>, <linux/sem.h> and <linux/msg.h> also
 * define struct names glibc uses: the commands are spelled out here. */
#define SHM_LOCK_CMD      11
#define SHM_UNLOCK_CMD    12
#define SHM_STAT_CMD      13
#define SHM_INFO_CMD      14
#define SHM_STAT_ANY_CMD  15
#define SEM_GETPID        11
#define SEM_GETVAL        12
#define SEM_GETALL        13
#define SEM_GETNCNT       14
#define SEM_GETZCNT       15
#define SEM_SETVAL        16
#define SEM_SETALL        17
#define SEM_STAT_CMD      18
#define SEM_INFO_CMD      19
#define SEM_STAT_ANY_CMD  20
#define MSG_STAT_CMD      11
#define MSG_INFO_CMD      12
#define MSG_STAT_ANY_CMD  13

/* Shorthands, local to this table. */
#define E  SC_EMULATE
#define P  SC_PERFORM
#define PI SC_PERFORM_IF
#define BLK SC_F_BLOCKING
#define RPTR SC_F_RET_PTR
#define ASYNC SC_F_ASYNC
#define NORET SC_F_NORETURN

#define I SA_INT
#define UI SA_UINT
#define L SA_LONG
#define UL SA_ULONG
#define H SA_HEX
#define PT SA_PTR
#define FD SA_FD
#define DFD SA_DIRFD
#define PATH SA_PATH
#define BI SA_BUF_IN
#define BO SA_BUF_OUT
#define STRV SA_STRV
#define OFL SA_OPEN_FLAGS
#define CFL SA_CLOEXEC_FLAGS
#define MODE SA_MODE
#define PROT SA_PROT
#define MAPF SA_MAP_FLAGS
#define ATF SA_AT_FLAGS
#define SIG SA_SIGNUM
#define HOW SA_SIGHOW
#define CLK SA_CLOCKID
#define FUTOP SA_FUTEX_OP
#define FCMD SA_FCNTL_CMD
#define IOREQ SA_IOCTL_REQ
#define WHN SA_WHENCE
#define AMODE SA_ACCESS_MODE
#define MADV SA_MADVICE
#define RLIM SA_RLIMIT
#define FAM SA_SOCK_FAMILY
#define STYPE SA_SOCK_TYPE
#define CLONEF SA_CLONE_FLAGS
#define ARCH SA_ARCH_PRCTL
#define PRCTL SA_PRCTL
#define EPOP SA_EPOLL_OP
#define SUBOP SA_SUBOP

#define A(...) { __VA_ARGS__ }
/* nr, name, nargs, replay, flags, A(arg types), outs... */
#define R(nr, name, n, rep, fl, args, ...) \
	{ nr, #name, n, rep, fl, args, { __VA_ARGS__ }, NULL }
/* refused, for a reason */
#define U(nr, name, why) { nr, #name, 0, SC_UNSUPPORTED, 0, { 0 }, { { 0 } }, why }
/* fail-only: emulated when the kernel refused it; success stops recording */
#define F(nr, name, n, fl, why, args, ...) \
	{ nr, #name, n, SC_EMULATE, (fl) | SC_F_FAIL_ONLY, args, { __VA_ARGS__ }, why }
/* not implemented by Linux on x86-64: ENOSYS is the only known answer */
#define NOSYS(nr, name) { nr, #name, 6, SC_EMULATE, SC_F_ENOSYS, \
	A(H, H, H, H, H, H), { { 0 } }, "not implemented by Linux on x86-64" }

/* Output rules: pointer argument a; length as the rule says. */
#define FIX(a, sz)       { SC_OUT_FIXED, a, -1, SC_WHEN_OK, sz }
#define FIXP(a, sz)      { SC_OUT_FIXED, a, -1, SC_WHEN_POSITIVE, sz }
#define FIXI(a, sz)      { SC_OUT_FIXED, a, -1, SC_WHEN_INTR, sz }
#define FIXA(a, sz)      { SC_OUT_FIXED, a, -1, SC_WHEN_ANY, sz }
#define RES(a, cap)      { SC_OUT_RESULT, a, cap, SC_WHEN_POSITIVE, 1 }
#define RESX(a, cap, sz) { SC_OUT_RESULT_TIMES, a, cap, SC_WHEN_POSITIVE, sz }
#define ARG(a, p)        { SC_OUT_ARG, a, p, SC_WHEN_OK, 1 }
#define ARGX(a, p, sz)   { SC_OUT_ARG_TIMES, a, p, SC_WHEN_OK, sz }
#define PAGES(a, p)      { SC_OUT_PAGES, a, p, SC_WHEN_OK, 1 }
#define FDSET(a, p)      { SC_OUT_FDSET, a, p, SC_WHEN_OK, 8 }
#define VALRES(a, p)     { SC_OUT_VALRES, a, p, SC_WHEN_OK, 4 }
#define IOV(a, p)        { SC_OUT_IOVEC, a, p, SC_WHEN_POSITIVE, 16 }
#define MSG(a)           { SC_OUT_MSGHDR, a, -1, SC_WHEN_OK, SZ_MSGHDR }
#define MMSG(a)          { SC_OUT_MMSG_LEN, a, -1, SC_WHEN_POSITIVE, SZ_MMSGHDR }
#define BY(kind)         { kind, -1, -1, SC_WHEN_OK, 0 }
#define SUB(a, table)    { SC_OUT_SUBOP, a, -1, SC_WHEN_OK, table }
#define BITS(a, p)       { SC_OUT_FDSET, a, p, SC_WHEN_OK, 8 }
#define MMSGR(a)         { SC_OUT_MMSG_RECV, a, -1, SC_WHEN_POSITIVE, SZ_MMSGHDR }
#define RESPLUS(a, cap, sz) { SC_OUT_RESULT_PLUS, a, cap, SC_WHEN_OK, sz }
#define CSTR(a, max)     { SC_OUT_CSTRING, a, -1, SC_WHEN_OK, max }
#define UPTO(a, max)     { SC_OUT_UPTO, a, -1, SC_WHEN_OK, max }
#define FIXC(a, sz, when) { SC_OUT_FIXED_CLIP, a, -1, when, sz }
#define IOVC(a, p)       { SC_OUT_IOVEC_CLIP, a, p, SC_WHEN_POSITIVE, 16 }
#define HDR32(a, off, sz) { SC_OUT_HDR_U32, a, off, SC_WHEN_OK, sz }
#define XATTRARGS(a)     { SC_OUT_XATTR_ARGS, a, -1, SC_WHEN_POSITIVE, 0 }

/* Reasons, shared by several rows. */
#define WHY_AIO "an AIO context is a ring the kernel maps into the process " \
	"and fills later; the replayer does not recreate it"
#define WHY_URING "io_uring rings are written by the kernel asynchronously " \
	"(submission and completion queues in shared memory)"
#define WHY_MAP "maps memory, and the replayer only re-creates mappings " \
	"made by mmap, mremap and brk"
#define WHY_SEG "it changes the thread's segment descriptors, which replay " \
	"does not perform: code using them would run differently"
#define WHY_UPROBE "called from a uprobe trampoline it rewrites the " \
	"registers and the return address, which replay does not reproduce"
#define WHY_IO "it grants I/O port access, which replay does not perform"

const struct syscall_desc syscall_table[] = {
	R(0, read, 3, E, BLK, A(FD, BO, UL), RES(1, 2)),
	R(1, write, 3, E, BLK, A(FD, BI, UL)),
	R(2, open, 3, E, BLK, A(PATH, OFL, MODE)),
	R(3, close, 1, E, 0, A(FD)),
	R(4, stat, 2, E, 0, A(PATH, PT), FIX(1, SZ_STAT)),
	R(5, fstat, 2, E, 0, A(FD, PT), FIX(1, SZ_STAT)),
	R(6, lstat, 2, E, 0, A(PATH, PT), FIX(1, SZ_STAT)),
	R(7, poll, 3, E, BLK, A(PT, UI, I), ARGX(0, 1, SZ_POLLFD)),
	R(8, lseek, 3, E, 0, A(FD, L, WHN)),
	R(9, mmap, 6, P, RPTR, A(PT, UL, PROT, MAPF, FD, H)),
	R(10, mprotect, 3, P, 0, A(PT, UL, PROT)),
	R(11, munmap, 2, P, 0, A(PT, UL)),
	R(12, brk, 1, P, RPTR, A(PT)),
	R(13, rt_sigaction, 4, E, 0, A(SIG, PT, PT, UL), FIX(2, SZ_KSIGACTION)),
	R(14, rt_sigprocmask, 4, E, 0, A(HOW, PT, PT, UL), ARG(2, 3)),
	R(15, rt_sigreturn, 0, P, NORET, A(0)),
	R(16, ioctl, 3, E, BLK, A(FD, IOREQ, H), BY(SC_OUT_IOCTL)),
	R(17, pread64, 4, E, BLK, A(FD, BO, UL, L), RES(1, 2)),
	R(18, pwrite64, 4, E, BLK, A(FD, BI, UL, L)),
	R(19, readv, 3, E, BLK, A(FD, PT, I), IOV(1, 2)),
	R(20, writev, 3, E, BLK, A(FD, PT, I)),
	R(21, access, 2, E, 0, A(PATH, AMODE)),
	R(22, pipe, 1, E, 0, A(PT), FIX(0, SZ_FDPAIR)),
	/* select writes back the remaining time, even when interrupted */
	R(23, select, 5, E, BLK, A(I, PT, PT, PT, PT),
	  FDSET(1, 0), FDSET(2, 0), FDSET(3, 0), FIXA(4, SZ_TIMEVAL)),
	R(24, sched_yield, 0, E, 0, A(0)),
	R(25, mremap, 5, P, RPTR, A(PT, UL, UL, H, PT)),
	R(26, msync, 3, E, BLK, A(PT, UL, H)),
	R(27, mincore, 3, E, 0, A(PT, UL, PT), PAGES(2, 1)),
	/* MADV_DONTNEED & co. change memory contents: let the kernel do it */
	R(28, madvise, 3, P, 0, A(PT, UL, MADV)),
	R(29, shmget, 3, E, 0, A(I, UL, H)),
	/* replayed as shared anonymous memory with the segment's contents
	 * at attach time (an mmaps record gives its extent) */
	R(30, shmat, 3, P, RPTR, A(I, PT, H)),
	R(31, shmctl, 3, E, 0, A(I, SUBOP, PT), SUB(1, SCT_SHMCTL)),
	R(32, dup, 1, E, 0, A(FD)),
	R(33, dup2, 2, E, 0, A(FD, FD)),
	R(34, pause, 0, E, BLK, A(0)),
	R(35, nanosleep, 2, E, BLK, A(PT, PT), FIXI(1, SZ_TIMESPEC)),
	R(36, getitimer, 2, E, 0, A(I, PT), FIX(1, SZ_ITIMERVAL)),
	R(37, alarm, 1, E, 0, A(UI)),
	R(38, setitimer, 3, E, 0, A(I, PT, PT), FIX(2, SZ_ITIMERVAL)),
	R(39, getpid, 0, E, 0, A(0)),
	R(40, sendfile, 4, E, BLK, A(FD, FD, PT, UL), FIX(2, 8)),
	R(41, socket, 3, E, 0, A(FAM, STYPE, I)),
	R(42, connect, 3, E, BLK, A(FD, PT, UI)),
	R(43, accept, 3, E, BLK, A(FD, PT, PT), VALRES(1, 2)),
	R(44, sendto, 6, E, BLK, A(FD, BI, UL, H, PT, UI)),
	R(45, recvfrom, 6, E, BLK, A(FD, BO, UL, H, PT, PT), RES(1, 2), VALRES(4, 5)),
	R(46, sendmsg, 3, E, BLK, A(FD, PT, H)),
	R(47, recvmsg, 3, E, BLK, A(FD, PT, H), MSG(1)),
	R(48, shutdown, 2, E, 0, A(FD, I)),
	R(49, bind, 3, E, 0, A(FD, PT, UI)),
	R(50, listen, 2, E, 0, A(FD, I)),
	R(51, getsockname, 3, E, 0, A(FD, PT, PT), VALRES(1, 2)),
	R(52, getpeername, 3, E, 0, A(FD, PT, PT), VALRES(1, 2)),
	R(53, socketpair, 4, E, 0, A(FAM, STYPE, I, PT), FIX(3, SZ_FDPAIR)),
	R(54, setsockopt, 5, E, 0, A(FD, I, I, PT, UI)),
	R(55, getsockopt, 5, E, 0, A(FD, I, I, PT, PT), VALRES(3, 4)),
	R(56, clone, 5, P, ASYNC, A(CLONEF, PT, PT, PT, H), BY(SC_OUT_CLONE)),
	R(57, fork, 0, P, 0, A(0)),
	R(58, vfork, 0, P, BLK, A(0)),
	R(59, execve, 3, P, NORET, A(PATH, STRV, STRV)),
	R(60, exit, 1, P, NORET, A(I)),
	R(61, wait4, 4, E, BLK, A(I, PT, H, PT), FIXP(1, 4), FIXP(3, SZ_RUSAGE)),
	R(62, kill, 2, E, 0, A(I, SIG)),
	R(63, uname, 1, E, 0, A(PT), FIX(0, SZ_UTSNAME)),
	R(64, semget, 3, E, 0, A(I, I, H)),
	R(65, semop, 3, E, BLK, A(I, PT, UL)),
	R(66, semctl, 4, E, 0, A(I, I, SUBOP, PT), SUB(2, SCT_SEMCTL)),
	/* unmaps what shmat mapped */
	R(67, shmdt, 1, P, 0, A(PT)),
	R(68, msgget, 2, E, 0, A(I, H)),
	R(69, msgsnd, 4, E, BLK, A(I, PT, UL, H)),
	/* long mtype, then the text */
	R(70, msgrcv, 5, E, BLK, A(I, PT, UL, L, H), RESPLUS(1, 2, 8)),
	R(71, msgctl, 3, E, 0, A(I, SUBOP, PT), SUB(1, SCT_MSGCTL)),
	R(72, fcntl, 3, E, BLK, A(FD, FCMD, H), SUB(1, SCT_FCNTL)),
	R(73, flock, 2, E, BLK, A(FD, I)),
	R(74, fsync, 1, E, BLK, A(FD)),
	R(75, fdatasync, 1, E, BLK, A(FD)),
	R(76, truncate, 2, E, 0, A(PATH, L)),
	R(77, ftruncate, 2, E, 0, A(FD, L)),
	R(78, getdents, 3, E, 0, A(FD, PT, UI), RES(1, 2)),
	R(79, getcwd, 2, E, 0, A(BO, UL), RES(0, 1)),
	R(80, chdir, 1, E, 0, A(PATH)),
	R(81, fchdir, 1, E, 0, A(FD)),
	R(82, rename, 2, E, 0, A(PATH, PATH)),
	R(83, mkdir, 2, E, 0, A(PATH, MODE)),
	R(84, rmdir, 1, E, 0, A(PATH)),
	R(85, creat, 2, E, 0, A(PATH, MODE)),
	R(86, link, 2, E, 0, A(PATH, PATH)),
	R(87, unlink, 1, E, 0, A(PATH)),
	R(88, symlink, 2, E, 0, A(PATH, PATH)),
	R(89, readlink, 3, E, 0, A(PATH, BO, UL), RES(1, 2)),
	R(90, chmod, 2, E, 0, A(PATH, MODE)),
	R(91, fchmod, 2, E, 0, A(FD, MODE)),
	R(92, chown, 3, E, 0, A(PATH, I, I)),
	R(93, fchown, 3, E, 0, A(FD, I, I)),
	R(94, lchown, 3, E, 0, A(PATH, I, I)),
	R(95, umask, 1, E, 0, A(MODE)),
	R(96, gettimeofday, 2, E, 0, A(PT, PT), FIX(0, SZ_TIMEVAL), FIX(1, SZ_TIMEZONE)),
	R(97, getrlimit, 2, E, 0, A(RLIM, PT), FIX(1, SZ_RLIMIT)),
	R(98, getrusage, 2, E, 0, A(I, PT), FIX(1, SZ_RUSAGE)),
	R(99, sysinfo, 1, E, 0, A(PT), FIX(0, SZ_SYSINFO)),
	R(100, times, 1, E, 0, A(PT), FIX(0, SZ_TMS)),
	/* Answered by the recorder (replay/recorder_ptrace.c) when it
	 * emulates the tracer relation; refused here otherwise. */
	U(101, ptrace, "xrr is the tracer: a recorded program tracing others is emulated for PTRACE_TRACEME tracers that do not write into their tracee (docs/ptrace-emulation.md)"),
	R(102, getuid, 0, E, 0, A(0)),
	R(103, syslog, 3, E, BLK, A(SUBOP, PT, I), SUB(0, SCT_SYSLOG)),
	R(104, getgid, 0, E, 0, A(0)),
	R(105, setuid, 1, E, 0, A(I)),
	R(106, setgid, 1, E, 0, A(I)),
	R(107, geteuid, 0, E, 0, A(0)),
	R(108, getegid, 0, E, 0, A(0)),
	R(109, setpgid, 2, E, 0, A(L, L)),
	R(110, getppid, 0, E, 0, A(0)),
	R(111, getpgrp, 0, E, 0, A(0)),
	R(112, setsid, 0, E, 0, A(0)),
	R(113, setreuid, 2, E, 0, A(I, I)),
	R(114, setregid, 2, E, 0, A(I, I)),
	/* getgroups(0, NULL) returns the count and writes nothing */
	R(115, getgroups, 2, E, 0, A(I, PT), RESX(1, 0, 4)),
	R(116, setgroups, 2, E, 0, A(I, PT)),
	R(117, setresuid, 3, E, 0, A(I, I, I)),
	R(118, getresuid, 3, E, 0, A(PT, PT, PT), FIX(0, 4), FIX(1, 4), FIX(2, 4)),
	R(119, setresgid, 3, E, 0, A(I, I, I)),
	R(120, getresgid, 3, E, 0, A(PT, PT, PT), FIX(0, 4), FIX(1, 4), FIX(2, 4)),
	R(121, getpgid, 1, E, 0, A(L)),
	R(122, setfsuid, 1, E, 0, A(I)),
	R(123, setfsgid, 1, E, 0, A(I)),
	R(124, getsid, 1, E, 0, A(L)),
	/* capget and capset write the header back (the kernel's preferred
	   version) when they refuse the caller's version with EINVAL */
	R(125, capget, 2, E, 0, A(PT, PT), FIXA(0, SZ_CAPHDR), FIX(1, SZ_CAPDATA)),
	R(126, capset, 2, E, 0, A(PT, PT), FIXA(0, SZ_CAPHDR)),
	R(127, rt_sigpending, 2, E, 0, A(PT, UL), ARG(0, 1)),
	R(128, rt_sigtimedwait, 4, E, BLK, A(PT, PT, PT, UL), FIXP(1, SZ_SIGINFO)),
	R(129, rt_sigqueueinfo, 3, E, 0, A(I, SIG, PT)),
	R(130, rt_sigsuspend, 2, E, BLK, A(PT, UL)),
	R(131, sigaltstack, 2, E, 0, A(PT, PT), FIX(1, SZ_STACK_T)),
	R(132, utime, 2, E, 0, A(PATH, PT)),
	R(133, mknod, 3, E, 0, A(PATH, MODE, H)),
	F(134, uselib, 1, 0, "loading a library " WHY_MAP, A(PATH)),
	/* the persona changes the address-space layout of later execs */
	R(135, personality, 1, P, 0, A(H)),
	R(136, ustat, 2, E, 0, A(H, PT), FIX(1, SZ_USTAT)),
	R(137, statfs, 2, E, 0, A(PATH, PT), FIX(1, SZ_STATFS)),
	R(138, fstatfs, 2, E, 0, A(FD, PT), FIX(1, SZ_STATFS)),
	R(139, sysfs, 3, E, 0, A(SUBOP, H, PT), SUB(0, SCT_SYSFS)),
	R(140, getpriority, 2, E, 0, A(I, I)),
	R(141, setpriority, 3, E, 0, A(I, I, I)),
	R(142, sched_setparam, 2, E, 0, A(L, PT)),
	R(143, sched_getparam, 2, E, 0, A(L, PT), FIX(1, 4)),
	R(144, sched_setscheduler, 3, E, 0, A(L, I, PT)),
	R(145, sched_getscheduler, 1, E, 0, A(L)),
	R(146, sched_get_priority_max, 1, E, 0, A(I)),
	R(147, sched_get_priority_min, 1, E, 0, A(I)),
	R(148, sched_rr_get_interval, 2, E, 0, A(L, PT), FIX(1, SZ_TIMESPEC)),
	R(149, mlock, 2, E, 0, A(PT, UL)),
	R(150, munlock, 2, E, 0, A(PT, UL)),
	R(151, mlockall, 1, E, 0, A(H)),
	R(152, munlockall, 0, E, 0, A(0)),
	R(153, vhangup, 0, E, 0, A(0)),
	R(154, modify_ldt, 3, E, 0, A(SUBOP, PT, UL), SUB(0, SCT_MODIFY_LDT)),
	R(155, pivot_root, 2, E, 0, A(PATH, PATH)),
	NOSYS(156, _sysctl),
	R(157, prctl, 5, PI, 0, A(PRCTL, H, H, H, H), SUB(0, SCT_PRCTL)),
	R(158, arch_prctl, 2, PI, 0, A(ARCH, H), SUB(0, SCT_ARCH_PRCTL)),
	R(159, adjtimex, 1, E, 0, A(PT), FIX(0, SZ_TIMEX)),
	R(160, setrlimit, 2, E, 0, A(RLIM, PT)),
	/* paths are emulated and execve maps the trace's copies: the root
	 * directory does not matter to replay */
	R(161, chroot, 1, E, 0, A(PATH)),
	R(162, sync, 0, E, BLK, A(0)),
	R(163, acct, 1, E, 0, A(PATH)),
	R(164, settimeofday, 2, E, 0, A(PT, PT)),
	R(165, mount, 5, E, BLK, A(PATH, PATH, PATH, H, PT)),
	R(166, umount2, 2, E, BLK, A(PATH, H)),
	R(167, swapon, 2, E, BLK, A(PATH, H)),
	R(168, swapoff, 1, E, BLK, A(PATH)),
	R(169, reboot, 4, E, 0, A(H, H, H, PT)),
	R(170, sethostname, 2, E, 0, A(BI, UL)),
	R(171, setdomainname, 2, E, 0, A(BI, UL)),
	R(172, iopl, 1, E, 0, A(SUBOP), SUB(0, SCT_IOPL)),
	R(173, ioperm, 3, E, 0, A(H, UL, SUBOP), SUB(2, SCT_IOPERM)),
	NOSYS(174, create_module),
	R(175, init_module, 3, E, BLK, A(PT, UL, PATH)),
	R(176, delete_module, 2, E, BLK, A(PATH, H)),
	NOSYS(177, get_kernel_syms),
	NOSYS(178, query_module),
	R(179, quotactl, 4, E, 0, A(SUBOP, PATH, I, PT), SUB(0, SCT_QUOTACTL)),
	NOSYS(180, nfsservctl),
	NOSYS(181, getpmsg),
	NOSYS(182, putpmsg),
	NOSYS(183, afs_syscall),
	NOSYS(184, tuxcall),
	NOSYS(185, security),
	R(186, gettid, 0, E, 0, A(0)),
	R(187, readahead, 3, E, 0, A(FD, L, UL)),
	R(188, setxattr, 5, E, 0, A(PATH, PATH, BI, UL, H)),
	R(189, lsetxattr, 5, E, 0, A(PATH, PATH, BI, UL, H)),
	R(190, fsetxattr, 5, E, 0, A(FD, PATH, BI, UL, H)),
	/* with size 0 these return the needed size and write nothing */
	R(191, getxattr, 4, E, 0, A(PATH, PATH, PT, UL), RES(2, 3)),
	R(192, lgetxattr, 4, E, 0, A(PATH, PATH, PT, UL), RES(2, 3)),
	R(193, fgetxattr, 4, E, 0, A(FD, PATH, PT, UL), RES(2, 3)),
	R(194, listxattr, 3, E, 0, A(PATH, PT, UL), RES(1, 2)),
	R(195, llistxattr, 3, E, 0, A(PATH, PT, UL), RES(1, 2)),
	R(196, flistxattr, 3, E, 0, A(FD, PT, UL), RES(1, 2)),
	R(197, removexattr, 2, E, 0, A(PATH, PATH)),
	R(198, lremovexattr, 2, E, 0, A(PATH, PATH)),
	R(199, fremovexattr, 2, E, 0, A(FD, PATH)),
	R(200, tkill, 2, E, 0, A(I, SIG)),
	R(201, time, 1, E, 0, A(PT), FIX(0, 8)),
	R(202, futex, 6, E, BLK, A(PT, FUTOP, I, PT, PT, I), SUB(1, SCT_FUTEX)),
	R(203, sched_setaffinity, 3, E, 0, A(L, UL, PT)),
	R(204, sched_getaffinity, 3, E, 0, A(L, UL, PT), RES(2, 1)),
	F(205, set_thread_area, 1, 0, "a TLS descriptor in the GDT: " WHY_SEG, A(PT)),
	F(206, io_setup, 2, 0, WHY_AIO, A(UI, PT)),
	F(207, io_destroy, 1, 0, WHY_AIO, A(H)),
	F(208, io_getevents, 5, BLK, WHY_AIO, A(H, L, L, PT, PT)),
	F(209, io_submit, 3, 0, WHY_AIO, A(H, L, PT)),
	F(210, io_cancel, 3, 0, WHY_AIO, A(H, PT, PT)),
	R(211, get_thread_area, 1, E, 0, A(PT), FIX(0, SZ_USER_DESC)),
	/* removed in Linux 6.10; older kernels write the path */
	R(212, lookup_dcookie, 3, E, 0, A(H, PT, UL), RES(1, 2)),
	R(213, epoll_create, 1, E, 0, A(I)),
	NOSYS(214, epoll_ctl_old),
	NOSYS(215, epoll_wait_old),
	F(216, remap_file_pages, 5, 0, "rebuilding a file mapping " WHY_MAP, A(PT, UL, PROT, UL, H)),
	R(217, getdents64, 3, E, 0, A(FD, PT, UI), RES(1, 2)),
	R(218, set_tid_address, 1, P, ASYNC, A(PT)),
	R(219, restart_syscall, 0, E, BLK | SC_F_RESTART, A(0)),
	R(220, semtimedop, 4, E, BLK, A(I, PT, UL, PT)),
	R(221, fadvise64, 4, E, 0, A(FD, L, L, I)),
	R(222, timer_create, 3, E, 0, A(CLK, PT, PT), FIX(2, 4)),
	R(223, timer_settime, 4, E, 0, A(I, H, PT, PT), FIX(3, SZ_ITIMERSPEC)),
	R(224, timer_gettime, 2, E, 0, A(I, PT), FIX(1, SZ_ITIMERSPEC)),
	R(225, timer_getoverrun, 1, E, 0, A(I)),
	R(226, timer_delete, 1, E, 0, A(I)),
	R(227, clock_settime, 2, E, 0, A(CLK, PT)),
	R(228, clock_gettime, 2, E, 0, A(CLK, PT), FIX(1, SZ_TIMESPEC)),
	R(229, clock_getres, 2, E, 0, A(CLK, PT), FIX(1, SZ_TIMESPEC)),
	R(230, clock_nanosleep, 4, E, BLK, A(CLK, H, PT, PT), FIXI(3, SZ_TIMESPEC)),
	R(231, exit_group, 1, P, NORET, A(I)),
	R(232, epoll_wait, 4, E, BLK, A(FD, PT, I, I), RESX(1, 2, SZ_EPOLL_EVENT)),
	R(233, epoll_ctl, 4, E, 0, A(FD, EPOP, FD, PT)),
	R(234, tgkill, 3, E, 0, A(I, I, SIG)),
	R(235, utimes, 2, E, 0, A(PATH, PT)),
	NOSYS(236, vserver),
	/* memory policy only places pages: nothing the program can see */
	R(237, mbind, 6, E, 0, A(PT, UL, I, PT, UL, H)),
	R(238, set_mempolicy, 3, E, 0, A(I, PT, UL)),
	R(239, get_mempolicy, 5, E, 0, A(PT, PT, UL, PT, H), FIX(0, 4), BITS(1, 2)),
	R(240, mq_open, 4, E, 0, A(PATH, OFL, MODE, PT)),
	R(241, mq_unlink, 1, E, 0, A(PATH)),
	R(242, mq_timedsend, 5, E, BLK, A(FD, BI, UL, UI, PT)),
	R(243, mq_timedreceive, 5, E, BLK, A(FD, BO, UL, PT, PT), RES(1, 2), FIX(3, 4)),
	R(244, mq_notify, 2, E, 0, A(FD, PT)),
	R(245, mq_getsetattr, 3, E, 0, A(FD, PT, PT), FIX(2, SZ_MQ_ATTR)),
	R(246, kexec_load, 4, E, 0, A(H, UL, PT, H)),
	R(247, waitid, 5, E, BLK, A(I, L, PT, H, PT), FIX(2, SZ_SIGINFO), FIX(4, SZ_RUSAGE)),
	R(248, add_key, 5, E, 0, A(PATH, PATH, BI, UL, I)),
	R(249, request_key, 4, E, BLK, A(PATH, PATH, PATH, I)),
	R(250, keyctl, 5, E, BLK, A(SUBOP, H, H, H, H), SUB(0, SCT_KEYCTL)),
	R(251, ioprio_set, 3, E, 0, A(I, I, I)),
	R(252, ioprio_get, 2, E, 0, A(I, I)),
	R(253, inotify_init, 0, E, 0, A(0)),
	R(254, inotify_add_watch, 3, E, 0, A(FD, PATH, H)),
	R(255, inotify_rm_watch, 2, E, 0, A(FD, I)),
	R(256, migrate_pages, 4, E, 0, A(L, UL, PT, PT)),
	R(257, openat, 4, E, BLK, A(DFD, PATH, OFL, MODE)),
	R(258, mkdirat, 3, E, 0, A(DFD, PATH, MODE)),
	R(259, mknodat, 4, E, 0, A(DFD, PATH, MODE, H)),
	R(260, fchownat, 5, E, 0, A(DFD, PATH, I, I, ATF)),
	R(261, futimesat, 3, E, 0, A(DFD, PATH, PT)),
	R(262, newfstatat, 4, E, 0, A(DFD, PATH, PT, ATF), FIX(2, SZ_STAT)),
	R(263, unlinkat, 3, E, 0, A(DFD, PATH, ATF)),
	R(264, renameat, 4, E, 0, A(DFD, PATH, DFD, PATH)),
	R(265, linkat, 5, E, 0, A(DFD, PATH, DFD, PATH, ATF)),
	R(266, symlinkat, 3, E, 0, A(PATH, DFD, PATH)),
	R(267, readlinkat, 4, E, 0, A(DFD, PATH, BO, UL), RES(2, 3)),
	R(268, fchmodat, 3, E, 0, A(DFD, PATH, MODE)),
	R(269, faccessat, 3, E, 0, A(DFD, PATH, AMODE)),
	R(270, pselect6, 6, E, BLK, A(I, PT, PT, PT, PT, PT),
	  FDSET(1, 0), FDSET(2, 0), FDSET(3, 0), FIXA(4, SZ_TIMESPEC)),
	R(271, ppoll, 5, E, BLK, A(PT, UI, PT, PT, UL),
	  ARGX(0, 1, SZ_POLLFD), FIXA(2, SZ_TIMESPEC)),
	/* namespaces: the kernel makes them while recording; replay never
	 * enters them, every later result comes from the trace */
	R(272, unshare, 1, E, 0, A(CLONEF)),
	R(273, set_robust_list, 2, P, ASYNC, A(PT, UL)),
	R(274, get_robust_list, 3, E, 0, A(L, PT, PT), FIX(1, 8), FIX(2, 8)),
	R(275, splice, 6, E, BLK, A(FD, PT, FD, PT, UL, H), FIX(1, 8), FIX(3, 8)),
	R(276, tee, 4, E, BLK, A(FD, FD, UL, H)),
	R(277, sync_file_range, 4, E, BLK, A(FD, L, L, H)),
	/* from a pipe's read end it fills the iovecs like readv */
	R(278, vmsplice, 4, E, BLK, A(FD, PT, UL, H), IOV(1, 2)),
	R(279, move_pages, 6, E, 0, A(L, UL, PT, PT, PT, H), ARGX(4, 1, 4)),
	R(280, utimensat, 4, E, 0, A(DFD, PATH, PT, ATF)),
	R(281, epoll_pwait, 6, E, BLK, A(FD, PT, I, I, PT, UL),
	  RESX(1, 2, SZ_EPOLL_EVENT)),
	R(282, signalfd, 3, E, 0, A(FD, PT, UL)),
	R(283, timerfd_create, 2, E, 0, A(CLK, H)),
	R(284, eventfd, 1, E, 0, A(UI)),
	R(285, fallocate, 4, E, 0, A(FD, I, L, L)),
	R(286, timerfd_settime, 4, E, 0, A(FD, H, PT, PT), FIX(3, SZ_ITIMERSPEC)),
	R(287, timerfd_gettime, 2, E, 0, A(FD, PT), FIX(1, SZ_ITIMERSPEC)),
	R(288, accept4, 4, E, BLK, A(FD, PT, PT, H), VALRES(1, 2)),
	R(289, signalfd4, 4, E, 0, A(FD, PT, UL, H)),
	R(290, eventfd2, 2, E, 0, A(UI, H)),
	R(291, epoll_create1, 1, E, 0, A(CFL)),
	R(292, dup3, 3, E, 0, A(FD, FD, CFL)),
	R(293, pipe2, 2, E, 0, A(PT, CFL), FIX(0, SZ_FDPAIR)),
	R(294, inotify_init1, 1, E, 0, A(CFL)),
	R(295, preadv, 5, E, BLK, A(FD, PT, I, L, L), IOV(1, 2)),
	R(296, pwritev, 5, E, BLK, A(FD, PT, I, L, L)),
	R(297, rt_tgsigqueueinfo, 4, E, 0, A(L, L, SIG, PT)),
	/* counters are read with read(); mmap of the ring buffer is refused by
	 * mmap (not a regular file); the kernel stores attr.size on E2BIG */
	R(298, perf_event_open, 5, E, 0, A(PT, L, I, FD, H), FIXC(0, 8, SC_WHEN_ANY)),
	/* the remaining timeout is stored when messages arrived */
	R(299, recvmmsg, 5, E, BLK, A(FD, PT, UI, H, PT), MMSGR(1), FIXP(4, SZ_TIMESPEC)),
	R(300, fanotify_init, 2, E, 0, A(H, OFL)),
	R(301, fanotify_mark, 5, E, 0, A(FD, H, H, DFD, PATH)),
	R(302, prlimit64, 4, E, 0, A(L, RLIM, PT, PT), FIX(3, SZ_RLIMIT)),
	/* the handle header is stored on EOVERFLOW too; the mount id is an int
	 * or, with AT_HANDLE_MNT_ID_UNIQUE, a u64 */
	R(303, name_to_handle_at, 5, E, 0, A(DFD, PATH, PT, PT, ATF),
	  HDR32(2, 0, SZ_FILE_HANDLE_HDR), FIXC(2, SZ_FILE_HANDLE_HDR, SC_WHEN_ANY),
	  FIXC(3, 8, SC_WHEN_OK)),
	R(304, open_by_handle_at, 3, E, 0, A(FD, PT, OFL)),
	R(305, clock_adjtime, 2, E, 0, A(CLK, PT), FIX(1, SZ_TIMEX)),
	R(306, syncfs, 1, E, BLK, A(FD)),
	R(307, sendmmsg, 4, E, BLK, A(FD, PT, UI, H), MMSG(1)),
	R(308, setns, 2, E, 0, A(FD, CLONEF)),
	R(309, getcpu, 3, E, 0, A(PT, PT, PT), FIX(0, 4), FIX(1, 4)),
	R(310, process_vm_readv, 6, E, 0, A(L, PT, UL, PT, UL, H), IOV(1, 2)),
	/* writes the remote iovecs, which are ours when it targets itself */
	R(311, process_vm_writev, 6, E, 0, A(L, PT, UL, PT, UL, H), IOVC(3, 4)),
	R(312, kcmp, 5, E, 0, A(L, L, I, H, H)),
	R(313, finit_module, 3, E, BLK, A(FD, PATH, H)),
	R(314, sched_setattr, 3, E, 0, A(L, PT, H)),
	R(315, sched_getattr, 4, E, 0, A(L, PT, UI, H), ARG(1, 2)),
	R(316, renameat2, 5, E, 0, A(DFD, PATH, DFD, PATH, H)),
	/* Filters are installed for real while recording, rewritten
	 * (replay/recorder_seccomp.c); replay emulates every answer. */
	R(317, seccomp, 3, E, 0, A(SUBOP, H, PT), SUB(0, SCT_SECCOMP)),
	R(318, getrandom, 3, E, BLK, A(BO, UL, H), RES(0, 1)),
	R(319, memfd_create, 2, E, 0, A(PATH, H)),
	R(320, kexec_file_load, 5, E, 0, A(FD, FD, UL, PATH, H)),
	/* per command: replay/syscall_bpf.c; the program never gets real
	 * bpf objects in replay (docs/syscalls.md, "bpf") */
	R(321, bpf, 3, E, 0, A(SUBOP, PT, UI), SUB(0, SCT_BPF)),
	R(322, execveat, 5, P, NORET, A(DFD, PATH, STRV, STRV, ATF)),
	/* Making one is recorded (a new fd); using it needs its ioctls, which
	 * the ioctl table leaves out: UFFDIO_API succeeding stops the
	 * recording (page faults resolved by another thread through the
	 * kernel, outside any syscall the recorder sees). */
	R(323, userfaultfd, 1, E, 0, A(H)),
	R(324, membarrier, 3, E, 0, A(H, H, I)),
	R(325, mlock2, 3, E, 0, A(PT, UL, H)),
	R(326, copy_file_range, 6, E, BLK, A(FD, PT, FD, PT, UL, H), FIX(1, 8), FIX(3, 8)),
	R(327, preadv2, 6, E, BLK, A(FD, PT, I, L, L, H), IOV(1, 2)),
	R(328, pwritev2, 6, E, BLK, A(FD, PT, I, L, L, H)),
	R(329, pkey_mprotect, 4, P, 0, A(PT, UL, PROT, I)),
	R(330, pkey_alloc, 2, P, 0, A(H, H)),
	R(331, pkey_free, 1, P, 0, A(I)),
	R(332, statx, 5, E, 0, A(DFD, PATH, ATF, H, PT), FIX(4, SZ_STATX)),
	F(333, io_pgetevents, 6, BLK, WHY_AIO, A(H, L, L, PT, PT, PT)),
	/* the kernel writes cpu_id into the registered area on every resume */
	R(334, rseq, 4, P, ASYNC, A(PT, UI, H, H)),
	/* Linux 6.11 and 6.16: only the kernel's uprobe trampolines may call
	 * them; a direct call fails (uretprobe also raises SIGILL) */
	F(335, uretprobe, 0, 0, WHY_UPROBE, A(0)),
	F(336, uprobe, 0, 0, WHY_UPROBE, A(0)),
	R(424, pidfd_send_signal, 4, E, 0, A(FD, SIG, PT, H)),
	U(425, io_uring_setup, WHY_URING),
	U(426, io_uring_enter, WHY_URING),
	U(427, io_uring_register, WHY_URING),
	R(428, open_tree, 3, E, 0, A(DFD, PATH, H)),
	R(429, move_mount, 5, E, 0, A(DFD, PATH, DFD, PATH, H)),
	R(430, fsopen, 2, E, 0, A(PATH, H)),
	R(431, fsconfig, 5, E, BLK, A(FD, UI, PATH, PT, I)),
	R(432, fsmount, 3, E, 0, A(FD, H, H)),
	R(433, fspick, 3, E, 0, A(DFD, PATH, H)),
	R(434, pidfd_open, 2, E, 0, A(I, H)),
	R(435, clone3, 2, P, ASYNC, A(PT, UL), BY(SC_OUT_CLONE3)),
	R(436, close_range, 3, E, 0, A(UI, UI, H)),
	R(437, openat2, 4, E, BLK, A(DFD, PATH, PT, UL)),
	R(438, pidfd_getfd, 3, E, 0, A(FD, I, H)),
	R(439, faccessat2, 4, E, 0, A(DFD, PATH, AMODE, ATF)),
	R(440, process_madvise, 5, E, 0, A(FD, PT, UL, SUBOP, H), SUB(3, SCT_PROCESS_MADVISE)),
	R(441, epoll_pwait2, 6, E, BLK, A(FD, PT, I, PT, PT, UL),
	  RESX(1, 2, SZ_EPOLL_EVENT)),
	R(442, mount_setattr, 5, E, 0, A(DFD, PATH, ATF, PT, UL)),
	R(443, quotactl_fd, 4, E, 0, A(FD, SUBOP, I, PT), SUB(1, SCT_QUOTACTL)),
	/* a ruleset restricts later calls, whose results are recorded */
	R(444, landlock_create_ruleset, 3, E, 0, A(PT, UL, H)),
	R(445, landlock_add_rule, 4, E, 0, A(FD, I, PT, H)),
	R(446, landlock_restrict_self, 2, E, 0, A(FD, H)),
	/* mapping it goes through mmap, which refuses it */
	R(447, memfd_secret, 1, E, 0, A(H)),
	R(448, process_mrelease, 2, E, 0, A(FD, H)),
	R(449, futex_waitv, 5, E, BLK, A(PT, UI, H, PT, CLK)),
	R(450, set_mempolicy_home_node, 4, E, 0, A(PT, UL, UL, H)),
	R(451, cachestat, 4, E, 0, A(FD, PT, PT, H), FIX(2, SZ_CACHESTAT)),
	R(452, fchmodat2, 4, E, 0, A(DFD, PATH, MODE, ATF)),
	F(453, map_shadow_stack, 3, RPTR, "creating a shadow stack " WHY_MAP, A(PT, UL, H)),
	R(454, futex_wake, 4, E, 0, A(PT, H, I, H)),
	R(455, futex_wait, 6, E, BLK, A(PT, H, H, H, PT, CLK)),
	R(456, futex_requeue, 4, E, 0, A(PT, H, I, I)),
	R(457, statmount, 4, E, 0, A(PT, PT, UL, H), ARG(1, 2)),
	R(458, listmount, 4, E, 0, A(PT, PT, UL, H), RESX(1, 2, 8)),
	/* *size is stored on success and on E2BIG */
	R(459, lsm_get_self_attr, 4, E, 0, A(UI, PT, PT, H), VALRES(1, 2), FIXA(2, 4)),
	R(460, lsm_set_self_attr, 4, E, 0, A(UI, PT, UL, H)),
	R(461, lsm_list_modules, 3, E, 0, A(PT, PT, H), RESX(0, -1, 8), FIXA(1, 4)),
	/* sealing changes what later mmap/mprotect calls may do */
	R(462, mseal, 3, P, 0, A(PT, UL, H)),
	R(463, setxattrat, 6, E, 0, A(DFD, PATH, ATF, PATH, PT, UL)),
	R(464, getxattrat, 6, E, 0, A(DFD, PATH, ATF, PATH, PT, UL), XATTRARGS(4)),
	R(465, listxattrat, 5, E, 0, A(DFD, PATH, ATF, PT, UL), RES(3, 4)),
	R(466, removexattrat, 4, E, 0, A(DFD, PATH, ATF, PATH)),
	R(467, open_tree_attr, 5, E, 0, A(DFD, PATH, H, PT, UL)),
	R(468, file_getattr, 5, E, 0, A(DFD, PATH, PT, UL, ATF), ARG(2, 3)),
	R(469, file_setattr, 5, E, 0, A(DFD, PATH, PT, UL, ATF)),
};

const size_t syscall_table_len = sizeof(syscall_table) / sizeof(syscall_table[0]);

/* Sub-operations. Unlisted codes are refused. */
#define OPX(code, name, perform, flags, why, ...) \
	{ code, name, perform, flags, { __VA_ARGS__ }, why }
#define OPN(code, name) OPX(code, #name, 0, 0, NULL)
#define OPW(code, name, arg, sz) OPX(code, #name, 0, 0, NULL, FIX(arg, sz))
#define OPO(code, name, ...) OPX(code, #name, 0, 0, NULL, __VA_ARGS__)
#define OPP(code, name) OPX(code, #name, 1, 0, NULL)
#define OPR(code, name, why) OPX(code, #name, 0, SC_SUB_REFUSE, why)
#define OPF(code, name, why) OPX(code, #name, 0, SC_SUB_FAIL_ONLY, why)
#define OPNOSYS(code, name) OPX(code, #name, 0, SC_SUB_ENOSYS, "removed from Linux")
/* the same, the code being the UAPI constant of that name */
#define KN(name) OPX(name, #name, 0, 0, NULL)
#define KW(name, arg, sz) OPX(name, #name, 0, 0, NULL, FIX(arg, sz))
#define KO(name, ...) OPX(name, #name, 0, 0, NULL, __VA_ARGS__)
#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

const struct sc_subop sc_fcntl_cmds[] = {
	OPN(0, F_DUPFD),
	OPN(1, F_GETFD),
	OPN(2, F_SETFD),
	OPN(3, F_GETFL),
	OPN(4, F_SETFL),
	OPW(5, F_GETLK, 2, SZ_FLOCK),
	OPN(6, F_SETLK),
	OPN(7, F_SETLKW),
	OPN(8, F_SETOWN),
	OPN(9, F_GETOWN),
	OPN(10, F_SETSIG),
	OPN(11, F_GETSIG),
	OPN(15, F_SETOWN_EX),
	OPW(16, F_GETOWN_EX, 2, SZ_F_OWNER_EX),
	OPW(36, F_OFD_GETLK, 2, SZ_FLOCK),
	OPN(37, F_OFD_SETLK),
	OPN(38, F_OFD_SETLKW),
	OPN(1024, F_SETLEASE),
	OPN(1025, F_GETLEASE),
	OPN(1026, F_NOTIFY),
	OPN(1027, F_DUPFD_QUERY),       /* Linux 6.10: the result says */
	OPN(1028, F_CREATED_QUERY),     /* Linux 6.12: the result says */
	OPN(1030, F_DUPFD_CLOEXEC),
	OPN(1031, F_SETPIPE_SZ),
	OPN(1032, F_GETPIPE_SZ),
	OPN(1033, F_ADD_SEALS),
	OPN(1034, F_GET_SEALS),
	OPW(1035, F_GET_RW_HINT, 2, 8),
	OPN(1036, F_SET_RW_HINT),
	OPW(1037, F_GET_FILE_RW_HINT, 2, 8),
	OPN(1038, F_SET_FILE_RW_HINT),
};
const size_t sc_fcntl_cmds_len = NELEM(sc_fcntl_cmds);

/* Codes are op & FUTEX_CMD_MASK (FUTEX_PRIVATE_FLAG and
 * FUTEX_CLOCK_REALTIME are flags). The PI operations store the owner's
 * tid (and FUTEX_WAITERS) into the futex word even when they fail or time
 * out; WAKE_OP modifies *uaddr2; the requeue-PI pair take the PI futex at
 * uaddr2 for a waiter. Timeouts are never written back. */
#define FUT_PI(name, arg) OPX(name, #name, 0, 0, NULL, FIXA(arg, 4))
/* Wakes, requeues and unlocks never sleep (NB): the thread keeps its
 * turn instead of letting another run while it is in the kernel. */
#define KNB(name) OPX(name, #name, 0, SC_SUB_NONBLOCK, NULL)
#define FUT_PI_NB(name, arg) OPX(name, #name, 0, SC_SUB_NONBLOCK, NULL, FIXA(arg, 4))
const struct sc_subop sc_futex_ops[] = {
	KN(FUTEX_WAIT),
	KNB(FUTEX_WAKE),
	OPNOSYS(2, FUTEX_FD),
	KNB(FUTEX_REQUEUE),
	KNB(FUTEX_CMP_REQUEUE),
	FUT_PI_NB(FUTEX_WAKE_OP, 4),
	FUT_PI(FUTEX_LOCK_PI, 0),
	FUT_PI_NB(FUTEX_UNLOCK_PI, 0),
	FUT_PI_NB(FUTEX_TRYLOCK_PI, 0),
	KN(FUTEX_WAIT_BITSET),
	KNB(FUTEX_WAKE_BITSET),
	FUT_PI(FUTEX_WAIT_REQUEUE_PI, 4),
	FUT_PI_NB(FUTEX_CMP_REQUEUE_PI, 4),
	OPO(13, FUTEX_LOCK_PI2, FIXA(0, 4)),
};
const size_t sc_futex_ops_len = NELEM(sc_futex_ops);

/* prctl options. Options of other architectures answer EINVAL on
 * x86-64; they are listed so that the answer is recorded. Process state
 * they set (names, dumpable, timer slack, no_new_privs, capabilities,
 * securebits, THP, memory merging, MDWE) only changes what later calls
 * return, and those results are recorded too. */
const struct sc_subop sc_prctl_opts[] = {
	KN(PR_SET_PDEATHSIG),
	KW(PR_GET_PDEATHSIG, 1, 4),
	KN(PR_GET_DUMPABLE),
	KN(PR_SET_DUMPABLE),
	KW(PR_GET_UNALIGN, 1, 4),
	KN(PR_SET_UNALIGN),
	KN(PR_GET_KEEPCAPS),
	KN(PR_SET_KEEPCAPS),
	KW(PR_GET_FPEMU, 1, 4),
	KN(PR_SET_FPEMU),
	KW(PR_GET_FPEXC, 1, 4),
	KN(PR_SET_FPEXC),
	KN(PR_GET_TIMING),
	KN(PR_SET_TIMING),
	KN(PR_SET_NAME),
	KW(PR_GET_NAME, 1, 16),
	KW(PR_GET_ENDIAN, 1, 4),
	KN(PR_SET_ENDIAN),
	KN(PR_GET_SECCOMP),
	KN(PR_SET_SECCOMP),     /* replay/recorder_seccomp.c */
	KN(PR_CAPBSET_READ),
	KN(PR_CAPBSET_DROP),
	/* reads the recorder's setting: rdtsc traps while recording */
	KW(PR_GET_TSC, 1, 4),
	OPR(PR_SET_TSC, PR_SET_TSC, "the recorder traps rdtsc through this "
	    "setting; a program changing it would escape or break the recording"),
	KN(PR_GET_SECUREBITS),
	KN(PR_SET_SECUREBITS),
	KN(PR_SET_TIMERSLACK),
	KN(PR_GET_TIMERSLACK),
	KN(PR_TASK_PERF_EVENTS_DISABLE),
	KN(PR_TASK_PERF_EVENTS_ENABLE),
	KN(PR_MCE_KILL),
	KN(PR_MCE_KILL_GET),
	OPF(PR_SET_MM, PR_SET_MM, "it rewrites the memory map's descriptors "
	    "(brk, stack, auxv, executable), which replay does not perform"),
	KN(PR_SET_CHILD_SUBREAPER),
	KW(PR_GET_CHILD_SUBREAPER, 1, 4),
	KN(PR_SET_NO_NEW_PRIVS),
	KN(PR_GET_NO_NEW_PRIVS),
	KW(PR_GET_TID_ADDRESS, 1, 8),
	KN(PR_SET_THP_DISABLE),
	KN(PR_GET_THP_DISABLE),
	KN(PR_MPX_ENABLE_MANAGEMENT),
	KN(PR_MPX_DISABLE_MANAGEMENT),
	KN(PR_SET_FP_MODE),
	KN(PR_GET_FP_MODE),
	KN(PR_CAP_AMBIENT),
	KN(PR_SVE_SET_VL),
	KN(PR_SVE_GET_VL),
	KN(PR_GET_SPECULATION_CTRL),
	KN(PR_SET_SPECULATION_CTRL),
	KN(PR_PAC_RESET_KEYS),
	KN(PR_SET_TAGGED_ADDR_CTRL),
	KN(PR_GET_TAGGED_ADDR_CTRL),
	KN(PR_SET_IO_FLUSHER),
	KN(PR_GET_IO_FLUSHER),
	OPF(PR_SET_SYSCALL_USER_DISPATCH, PR_SET_SYSCALL_USER_DISPATCH,
	    "syscall user dispatch turns syscalls into SIGSYS before a tracer "
	    "sees them, and replay does not perform it"),
	KN(PR_PAC_SET_ENABLED_KEYS),
	KN(PR_PAC_GET_ENABLED_KEYS),
	/* PR_SCHED_CORE_GET stores the cookie through arg5; the other
	 * sub-commands require arg5 to be 0 */
	OPO(PR_SCHED_CORE, PR_SCHED_CORE, FIX(4, 8)),
	KN(PR_SME_SET_VL),
	KN(PR_SME_GET_VL),
	/* newer than this system's headers */
	OPN(65, PR_SET_MDWE),
	OPN(66, PR_GET_MDWE),
	OPN(67, PR_SET_MEMORY_MERGE),
	OPN(68, PR_GET_MEMORY_MERGE),
	OPN(69, PR_RISCV_V_SET_CONTROL),
	OPN(70, PR_RISCV_V_GET_CONTROL),
	OPN(71, PR_RISCV_SET_ICACHE_FLUSH_CTX),
	OPN(72, PR_PPC_GET_DEXCR),
	OPN(73, PR_PPC_SET_DEXCR),
	OPW(74, PR_GET_SHADOW_STACK_STATUS, 1, 8),
	OPN(75, PR_SET_SHADOW_STACK_STATUS),
	OPN(76, PR_LOCK_SHADOW_STACK_STATUS),
	OPN(77, PR_TIMER_CREATE_RESTORE_IDS),
	OPN(78, PR_FUTEX_HASH),
	/* copies min(arg3, size) bytes of the auxv and returns its size */
	OPO(0x41555856, PR_GET_AUXV, RES(1, 2)),
	/* names anonymous mappings: part of the address space's shape */
	OPP(PR_SET_VMA, PR_SET_VMA),
	KN(PR_SET_PTRACER),
};
const size_t sc_prctl_opts_len = NELEM(sc_prctl_opts);

const struct sc_subop sc_arch_prctl_codes[] = {
	OPP(0x1001, ARCH_SET_GS),
	OPP(0x1002, ARCH_SET_FS),
	OPW(0x1003, ARCH_GET_FS, 1, 8),
	OPW(0x1004, ARCH_GET_GS, 1, 8),
	OPN(0x1011, ARCH_GET_CPUID),
	OPP(0x1012, ARCH_SET_CPUID),
	OPW(0x1021, ARCH_GET_XCOMP_SUPP, 1, 8),
	OPW(0x1022, ARCH_GET_XCOMP_PERM, 1, 8),
	/* permission for dynamic XSAVE features changes the register layout */
	OPP(0x1023, ARCH_REQ_XCOMP_PERM),
	OPW(0x1024, ARCH_GET_XCOMP_GUEST_PERM, 1, 8),
	OPP(0x1025, ARCH_REQ_XCOMP_GUEST_PERM),
	/* old glibc CET probe: three u64 */
	OPW(0x3001, ARCH_CET_STATUS, 1, 24),
	OPP(0x5001, ARCH_SHSTK_ENABLE),
	OPP(0x5002, ARCH_SHSTK_DISABLE),
	OPP(0x5003, ARCH_SHSTK_LOCK),
	OPP(0x5004, ARCH_SHSTK_UNLOCK),
	OPW(0x5005, ARCH_SHSTK_STATUS, 1, 8),
};
const size_t sc_arch_prctl_codes_len = NELEM(sc_arch_prctl_codes);

/* SysV IPC control commands (the IPC_64 bit is not used on x86-64). */
static const struct sc_subop shmctl_cmds[] = {
	KN(IPC_RMID),
	KN(IPC_SET),
	KW(IPC_STAT, 2, SZ_SHMID_DS),
	KW(IPC_INFO, 2, SZ_SHMINFO),
	OPN(SHM_LOCK_CMD, SHM_LOCK),
	OPN(SHM_UNLOCK_CMD, SHM_UNLOCK),
	OPW(SHM_STAT_CMD, SHM_STAT, 2, SZ_SHMID_DS),
	OPW(SHM_INFO_CMD, SHM_INFO, 2, SZ_SHM_INFO),
	OPW(SHM_STAT_ANY_CMD, SHM_STAT_ANY, 2, SZ_SHMID_DS),
};

/* semctl(semid, semnum, cmd, arg): arg is the buffer or the array. The
 * set's size is not an argument: GETALL is recorded for the largest set
 * (SEMMSL unsigned shorts), cut where the caller's memory ends. */
static const struct sc_subop semctl_cmds[] = {
	KN(IPC_RMID),
	KN(IPC_SET),
	KW(IPC_STAT, 3, SZ_SEMID_DS),
	KW(IPC_INFO, 3, SZ_SEMINFO),
	OPN(SEM_GETPID, GETPID),
	OPN(SEM_GETVAL, GETVAL),
	OPO(SEM_GETALL, GETALL, UPTO(3, SEM_SET_MAX * 2)),
	OPN(SEM_GETNCNT, GETNCNT),
	OPN(SEM_GETZCNT, GETZCNT),
	OPN(SEM_SETVAL, SETVAL),
	OPN(SEM_SETALL, SETALL),
	OPW(SEM_STAT_CMD, SEM_STAT, 3, SZ_SEMID_DS),
	OPW(SEM_INFO_CMD, SEM_INFO, 3, SZ_SEMINFO),
	OPW(SEM_STAT_ANY_CMD, SEM_STAT_ANY, 3, SZ_SEMID_DS),
};

static const struct sc_subop msgctl_cmds[] = {
	KN(IPC_RMID),
	KN(IPC_SET),
	KW(IPC_STAT, 2, SZ_MSQID_DS),
	KW(IPC_INFO, 2, SZ_MSGINFO),
	OPW(MSG_STAT_CMD, MSG_STAT, 2, SZ_MSQID_DS),
	OPW(MSG_INFO_CMD, MSG_INFO, 2, SZ_MSGINFO),
	OPW(MSG_STAT_ANY_CMD, MSG_STAT_ANY, 2, SZ_MSQID_DS),
};

/* keyctl(op, a2, a3, a4, a5): the reading operations return the full
 * length and copy at most the buffer's size. */
static const struct sc_subop keyctl_ops[] = {
	KN(KEYCTL_GET_KEYRING_ID),
	KN(KEYCTL_JOIN_SESSION_KEYRING),
	KN(KEYCTL_UPDATE),
	KN(KEYCTL_REVOKE),
	KN(KEYCTL_CHOWN),
	KN(KEYCTL_SETPERM),
	KO(KEYCTL_DESCRIBE, RES(2, 3)),
	KN(KEYCTL_CLEAR),
	KN(KEYCTL_LINK),
	KN(KEYCTL_UNLINK),
	KN(KEYCTL_SEARCH),
	KO(KEYCTL_READ, RES(2, 3)),
	KN(KEYCTL_INSTANTIATE),
	KN(KEYCTL_NEGATE),
	KN(KEYCTL_SET_REQKEY_KEYRING),
	KN(KEYCTL_SET_TIMEOUT),
	KN(KEYCTL_ASSUME_AUTHORITY),
	KO(KEYCTL_GET_SECURITY, RES(2, 3)),
	KN(KEYCTL_SESSION_TO_PARENT),
	KN(KEYCTL_REJECT),
	KN(KEYCTL_INSTANTIATE_IOV),
	KN(KEYCTL_INVALIDATE),
	KN(KEYCTL_GET_PERSISTENT),
	KO(KEYCTL_DH_COMPUTE, RES(2, 3)),
	KW(KEYCTL_PKEY_QUERY, 4, SZ_PKEY_QUERY),
	KO(KEYCTL_PKEY_ENCRYPT, RES(4, -1)),
	KO(KEYCTL_PKEY_DECRYPT, RES(4, -1)),
	KO(KEYCTL_PKEY_SIGN, RES(4, -1)),
	KN(KEYCTL_PKEY_VERIFY),
	KN(KEYCTL_RESTRICT_KEYRING),
	KN(KEYCTL_MOVE),
	KO(KEYCTL_CAPABILITIES, RES(1, 2)),
	/* notifications arrive through a watch queue pipe, read() later */
	KN(KEYCTL_WATCH_KEY),
};

/* syslog(type, buf, len) */
static const struct sc_subop syslog_actions[] = {
	OPN(0, SYSLOG_ACTION_CLOSE),
	OPN(1, SYSLOG_ACTION_OPEN),
	OPO(2, SYSLOG_ACTION_READ, RES(1, 2)),
	OPO(3, SYSLOG_ACTION_READ_ALL, RES(1, 2)),
	OPO(4, SYSLOG_ACTION_READ_CLEAR, RES(1, 2)),
	OPN(5, SYSLOG_ACTION_CLEAR),
	OPN(6, SYSLOG_ACTION_CONSOLE_OFF),
	OPN(7, SYSLOG_ACTION_CONSOLE_ON),
	OPN(8, SYSLOG_ACTION_CONSOLE_LEVEL),
	OPN(9, SYSLOG_ACTION_SIZE_UNREAD),
	OPN(10, SYSLOG_ACTION_SIZE_BUFFER),
};

/* sysfs(option, ...): 1 name -> index, 2 index -> name into buf, 3 count */
static const struct sc_subop sysfs_options[] = {
	OPN(1, SYSFS_INDEX),
	OPO(2, SYSFS_NAME, CSTR(2, 256)),
	OPN(3, SYSFS_COUNT),
};

/* modify_ldt(func, ptr, bytecount): reading copies bytecount bytes at
 * most and returns how many; writing installs an LDT entry. */
static const struct sc_subop modify_ldt_funcs[] = {
	OPO(0, LDT_READ, RES(1, 2)),
	OPF(1, LDT_WRITE_OLD, "an LDT entry: " WHY_SEG),
	OPO(2, LDT_READ_DEFAULT, RES(1, 2)),
	OPF(0x11, LDT_WRITE, "an LDT entry: " WHY_SEG),
};

/* Code = the cmd argument >> SUBCMDSHIFT (the quota type is the low byte). */
static const struct sc_subop quotactl_cmds[] = {
	KN(Q_SYNC),
	KN(Q_QUOTAON),
	KN(Q_QUOTAOFF),
	KW(Q_GETFMT, 3, 4),
	KW(Q_GETINFO, 3, SZ_IF_DQINFO),
	KN(Q_SETINFO),
	KW(Q_GETQUOTA, 3, SZ_IF_DQBLK),
	KN(Q_SETQUOTA),
	KW(Q_GETNEXTQUOTA, 3, SZ_IF_NEXTDQBLK),
	KN(Q_XQUOTAON),
	KN(Q_XQUOTAOFF),
	KW(Q_XGETQUOTA, 3, SZ_FS_DISK_QUOTA),
	KN(Q_XSETQLIM),
	KW(Q_XGETQSTAT, 3, SZ_FS_QUOTA_STAT),
	KN(Q_XQUOTARM),
	KN(Q_XQUOTASYNC),
	KW(Q_XGETQSTATV, 3, SZ_FS_QUOTA_STATV),
	KW(Q_XGETNEXTQUOTA, 3, SZ_FS_DISK_QUOTA),
};

/* seccomp(operation, flags, args): a filter is installed for real while
 * recording (rewritten by replay/recorder_seccomp.c) and its answers are
 * recorded; replay installs nothing. */
static const struct sc_subop seccomp_ops[] = {
	OPN(0, SECCOMP_SET_MODE_STRICT),
	OPN(1, SECCOMP_SET_MODE_FILTER),
	OPN(2, SECCOMP_GET_ACTION_AVAIL),
	/* struct seccomp_notif_sizes: three u16 */
	OPW(3, SECCOMP_GET_NOTIF_SIZES, 2, 6),
};

/* iopl(level): level 0 grants nothing (a replay has no I/O privilege
 * either); more is fail-only. */
static const struct sc_subop iopl_levels[] = {
	OPN(0, IOPL_0),
	OPF(1, IOPL_1, WHY_IO),
	OPF(2, IOPL_2, WHY_IO),
	OPF(3, IOPL_3, WHY_IO),
};

/* ioperm(from, num, turn_on) */
static const struct sc_subop ioperm_modes[] = {
	OPN(0, IOPERM_OFF),
	OPF(1, IOPERM_ON, WHY_IO),
};

/* process_madvise(pidfd, iovec, vlen, advice, flags): on the caller
 * itself (allowed for any advice since Linux 6.13) advice that drops or
 * guards memory changes what the program reads, which replay does not
 * perform; the other advice only moves pages. */
#define WHY_MADV "when the target is the caller, it changes memory contents " \
	"or access, which replay does not perform"
static const struct sc_subop process_madvise_advice[] = {
	OPN(0, MADV_NORMAL),
	OPN(1, MADV_RANDOM),
	OPN(2, MADV_SEQUENTIAL),
	OPN(3, MADV_WILLNEED),
	OPF(4, MADV_DONTNEED, WHY_MADV),
	OPF(8, MADV_FREE, WHY_MADV),
	OPF(9, MADV_REMOVE, WHY_MADV),
	OPN(10, MADV_DONTFORK),
	OPN(11, MADV_DOFORK),
	OPN(12, MADV_MERGEABLE),
	OPN(13, MADV_UNMERGEABLE),
	OPN(14, MADV_HUGEPAGE),
	OPN(15, MADV_NOHUGEPAGE),
	OPN(16, MADV_DONTDUMP),
	OPN(17, MADV_DODUMP),
	OPF(18, MADV_WIPEONFORK, WHY_MADV),
	OPN(19, MADV_KEEPONFORK),
	OPN(20, MADV_COLD),
	OPN(21, MADV_PAGEOUT),
	OPN(22, MADV_POPULATE_READ),
	OPN(23, MADV_POPULATE_WRITE),
	OPF(24, MADV_DONTNEED_LOCKED, WHY_MADV),
	OPN(25, MADV_COLLAPSE),
	OPF(100, MADV_HWPOISON, WHY_MADV),
	OPF(101, MADV_SOFT_OFFLINE, WHY_MADV),
	OPF(102, MADV_GUARD_INSTALL, WHY_MADV),
	OPF(103, MADV_GUARD_REMOVE, WHY_MADV),
};

/* bpf(cmd, attr, size). Commands that return an fd or change only
 * kernel state write nothing into the caller's memory; the others write
 * through union bpf_attr as replay/syscall_bpf.c describes (the sizes
 * of map keys and values come from the map, which the recorder asks the
 * kernel about at entry). The BPF_COMMON_ATTRS flag (a later kernel's)
 * makes an unknown code: refused. */
#define BPFW(rule) { SC_OUT_BPF, 1, 2, SC_WHEN_ANY, rule }
#define KB(name, rule) KO(name, BPFW(rule))
static const struct sc_subop bpf_cmds[] = {
	KN(BPF_MAP_CREATE),
	KB(BPF_MAP_LOOKUP_ELEM, SCB_MAP_VALUE),
	KN(BPF_MAP_UPDATE_ELEM),
	KN(BPF_MAP_DELETE_ELEM),
	KB(BPF_MAP_GET_NEXT_KEY, SCB_NEXT_KEY),
	KB(BPF_PROG_LOAD, SCB_PROG_LOG),
	KN(BPF_OBJ_PIN),
	KN(BPF_OBJ_GET),
	KN(BPF_PROG_ATTACH),
	KN(BPF_PROG_DETACH),
	KB(BPF_PROG_TEST_RUN, SCB_TEST_RUN),
	KB(BPF_PROG_GET_NEXT_ID, SCB_NEXT_ID),
	KB(BPF_MAP_GET_NEXT_ID, SCB_NEXT_ID),
	KN(BPF_PROG_GET_FD_BY_ID),
	KN(BPF_MAP_GET_FD_BY_ID),
	KB(BPF_OBJ_GET_INFO_BY_FD, SCB_INFO),
	KB(BPF_PROG_QUERY, SCB_QUERY),
	KN(BPF_RAW_TRACEPOINT_OPEN),
	KB(BPF_BTF_LOAD, SCB_BTF_LOG),
	KN(BPF_BTF_GET_FD_BY_ID),
	KB(BPF_TASK_FD_QUERY, SCB_TASK_FD_QUERY),
	KB(BPF_MAP_LOOKUP_AND_DELETE_ELEM, SCB_MAP_VALUE),
	KN(BPF_MAP_FREEZE),
	KB(BPF_BTF_GET_NEXT_ID, SCB_NEXT_ID),
	KB(BPF_MAP_LOOKUP_BATCH, SCB_BATCH_LOOKUP),
	KB(BPF_MAP_LOOKUP_AND_DELETE_BATCH, SCB_BATCH_LOOKUP),
	KB(BPF_MAP_UPDATE_BATCH, SCB_BATCH_COUNT),
	KB(BPF_MAP_DELETE_BATCH, SCB_BATCH_COUNT),
	KN(BPF_LINK_CREATE),
	KN(BPF_LINK_UPDATE),
	KN(BPF_LINK_GET_FD_BY_ID),
	KB(BPF_LINK_GET_NEXT_ID, SCB_NEXT_ID),
	KN(BPF_ENABLE_STATS),
	KN(BPF_ITER_CREATE),
	KN(BPF_LINK_DETACH),
	KN(BPF_PROG_BIND_MAP),
	/* newer than this system's headers */
	OPN(36, BPF_TOKEN_CREATE),
	OPR(37, BPF_PROG_STREAM_READ_BY_FD, "its union bpf_attr member is "
	    "newer than this system's <linux/bpf.h>: what it writes is not "
	    "described"),
};

#define TABLE(t, mask, shift, what) { t, NELEM(t), mask, shift, what }
const struct sc_subtable sc_subtables[SCT_COUNT] = {
	[SCT_FCNTL] = TABLE(sc_fcntl_cmds, 0xffffffff, 0, "command"),
	[SCT_FUTEX] = TABLE(sc_futex_ops, FUTEX_CMD_MASK, 0, "operation"),
	[SCT_PRCTL] = TABLE(sc_prctl_opts, 0xffffffff, 0, "option"),
	[SCT_ARCH_PRCTL] = TABLE(sc_arch_prctl_codes, 0xffffffff, 0, "code"),
	[SCT_SHMCTL] = TABLE(shmctl_cmds, 0xffffffff, 0, "command"),
	[SCT_SEMCTL] = TABLE(semctl_cmds, 0xffffffff, 0, "command"),
	[SCT_MSGCTL] = TABLE(msgctl_cmds, 0xffffffff, 0, "command"),
	[SCT_KEYCTL] = TABLE(keyctl_ops, 0xffffffff, 0, "operation"),
	[SCT_SYSLOG] = TABLE(syslog_actions, 0xffffffff, 0, "action"),
	[SCT_SYSFS] = TABLE(sysfs_options, 0xffffffff, 0, "option"),
	[SCT_MODIFY_LDT] = TABLE(modify_ldt_funcs, 0xffffffff, 0, "function"),
	[SCT_QUOTACTL] = TABLE(quotactl_cmds, 0xffffff, SUBCMDSHIFT, "command"),
	[SCT_IOPL] = TABLE(iopl_levels, 0xffffffff, 0, "level"),
	[SCT_IOPERM] = TABLE(ioperm_modes, 0xffffffff, 0, "turn_on"),
	[SCT_PROCESS_MADVISE] = TABLE(process_madvise_advice, 0xffffffff, 0, "advice"),
	[SCT_SECCOMP] = TABLE(seccomp_ops, 0xffffffff, 0, "operation"),
	[SCT_BPF] = TABLE(bpf_cmds, 0xffffffff, 0, "command"),
};
