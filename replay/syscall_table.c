/* The x86-64 system call table: one row per syscall number, sorted.
 *
 * Each row says how to print the arguments, which arguments the kernel
 * writes through and how long each write is (struct sc_out), and whether
 * replay emulates the call or must perform it. Rows marked U only name a
 * syscall so that refusals can say which one it was; recording stops on
 * them. Sizes are the x86-64 kernel ABI sizes (checked against the libc
 * structs in testsuite/unit/test_syscalls.c). */
#include "replay/syscalls.h"
#include "replay/syscall_internal.h"

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

#define A(...) { __VA_ARGS__ }
/* nr, name, nargs, replay, flags, A(arg types), outs... */
#define R(nr, name, n, rep, fl, args, ...) \
	{ nr, #name, n, rep, fl, args, { __VA_ARGS__ } }
#define U(nr, name) { nr, #name, 0, SC_UNSUPPORTED, 0, { 0 }, { { 0 } } }

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
	U(29, shmget),
	U(30, shmat),
	U(31, shmctl),
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
	R(61, wait4, 4, E, BLK, A(L, PT, H, PT), FIXP(1, 4), FIXP(3, SZ_RUSAGE)),
	R(62, kill, 2, E, 0, A(L, SIG)),
	R(63, uname, 1, E, 0, A(PT), FIX(0, SZ_UTSNAME)),
	U(64, semget),
	U(65, semop),
	U(66, semctl),
	U(67, shmdt),
	U(68, msgget),
	U(69, msgsnd),
	U(70, msgrcv),
	U(71, msgctl),
	R(72, fcntl, 3, E, BLK, A(FD, FCMD, H), BY(SC_OUT_FCNTL)),
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
	U(101, ptrace),
	R(102, getuid, 0, E, 0, A(0)),
	U(103, syslog),
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
	/* capget writes the header back (preferred version) on EINVAL too */
	R(125, capget, 2, E, 0, A(PT, PT), FIXA(0, SZ_CAPHDR), FIX(1, SZ_CAPDATA)),
	R(126, capset, 2, E, 0, A(PT, PT)),
	R(127, rt_sigpending, 2, E, 0, A(PT, UL), ARG(0, 1)),
	R(128, rt_sigtimedwait, 4, E, BLK, A(PT, PT, PT, UL), FIXP(1, SZ_SIGINFO)),
	R(129, rt_sigqueueinfo, 3, E, 0, A(L, SIG, PT)),
	R(130, rt_sigsuspend, 2, E, BLK, A(PT, UL)),
	R(131, sigaltstack, 2, E, 0, A(PT, PT), FIX(1, SZ_STACK_T)),
	R(132, utime, 2, E, 0, A(PATH, PT)),
	R(133, mknod, 3, E, 0, A(PATH, MODE, H)),
	U(134, uselib),
	/* the persona changes the address-space layout of later execs */
	R(135, personality, 1, P, 0, A(H)),
	U(136, ustat),
	R(137, statfs, 2, E, 0, A(PATH, PT), FIX(1, SZ_STATFS)),
	R(138, fstatfs, 2, E, 0, A(FD, PT), FIX(1, SZ_STATFS)),
	U(139, sysfs),
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
	U(153, vhangup),
	U(154, modify_ldt),
	U(155, pivot_root),
	U(156, _sysctl),
	R(157, prctl, 5, PI, 0, A(PRCTL, H, H, H, H), BY(SC_OUT_PRCTL)),
	R(158, arch_prctl, 2, PI, 0, A(ARCH, H), BY(SC_OUT_ARCH_PRCTL)),
	R(159, adjtimex, 1, E, 0, A(PT), FIX(0, SZ_TIMEX)),
	R(160, setrlimit, 2, E, 0, A(RLIM, PT)),
	U(161, chroot),
	R(162, sync, 0, E, BLK, A(0)),
	U(163, acct),
	R(164, settimeofday, 2, E, 0, A(PT, PT)),
	U(165, mount),
	U(166, umount2),
	U(167, swapon),
	U(168, swapoff),
	U(169, reboot),
	U(170, sethostname),
	U(171, setdomainname),
	U(172, iopl),
	U(173, ioperm),
	U(174, create_module),
	U(175, init_module),
	U(176, delete_module),
	U(177, get_kernel_syms),
	U(178, query_module),
	U(179, quotactl),
	U(180, nfsservctl),
	U(181, getpmsg),
	U(182, putpmsg),
	U(183, afs_syscall),
	U(184, tuxcall),
	U(185, security),
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
	R(200, tkill, 2, E, 0, A(L, SIG)),
	R(201, time, 1, E, 0, A(PT), FIX(0, 8)),
	R(202, futex, 6, E, BLK, A(PT, FUTOP, I, PT, PT, I), BY(SC_OUT_FUTEX)),
	R(203, sched_setaffinity, 3, E, 0, A(L, UL, PT)),
	R(204, sched_getaffinity, 3, E, 0, A(L, UL, PT), RES(2, 1)),
	U(205, set_thread_area),
	U(206, io_setup),
	U(207, io_destroy),
	U(208, io_getevents),
	U(209, io_submit),
	U(210, io_cancel),
	U(211, get_thread_area),
	U(212, lookup_dcookie),
	R(213, epoll_create, 1, E, 0, A(I)),
	U(214, epoll_ctl_old),
	U(215, epoll_wait_old),
	U(216, remap_file_pages),
	R(217, getdents64, 3, E, 0, A(FD, PT, UI), RES(1, 2)),
	R(218, set_tid_address, 1, P, ASYNC, A(PT)),
	R(219, restart_syscall, 0, E, BLK | SC_F_RESTART, A(0)),
	U(220, semtimedop),
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
	R(234, tgkill, 3, E, 0, A(L, L, SIG)),
	R(235, utimes, 2, E, 0, A(PATH, PT)),
	U(236, vserver),
	U(237, mbind),
	U(238, set_mempolicy),
	U(239, get_mempolicy),
	U(240, mq_open),
	U(241, mq_unlink),
	U(242, mq_timedsend),
	U(243, mq_timedreceive),
	U(244, mq_notify),
	U(245, mq_getsetattr),
	U(246, kexec_load),
	R(247, waitid, 5, E, BLK, A(I, L, PT, H, PT), FIX(2, SZ_SIGINFO), FIX(4, SZ_RUSAGE)),
	U(248, add_key),
	U(249, request_key),
	U(250, keyctl),
	R(251, ioprio_set, 3, E, 0, A(I, I, I)),
	R(252, ioprio_get, 2, E, 0, A(I, I)),
	R(253, inotify_init, 0, E, 0, A(0)),
	R(254, inotify_add_watch, 3, E, 0, A(FD, PATH, H)),
	R(255, inotify_rm_watch, 2, E, 0, A(FD, I)),
	U(256, migrate_pages),
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
	U(272, unshare),
	R(273, set_robust_list, 2, P, ASYNC, A(PT, UL)),
	R(274, get_robust_list, 3, E, 0, A(L, PT, PT), FIX(1, 8), FIX(2, 8)),
	R(275, splice, 6, E, BLK, A(FD, PT, FD, PT, UL, H), FIX(1, 8), FIX(3, 8)),
	R(276, tee, 4, E, BLK, A(FD, FD, UL, H)),
	R(277, sync_file_range, 4, E, BLK, A(FD, L, L, H)),
	U(278, vmsplice),
	U(279, move_pages),
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
	U(298, perf_event_open),
	U(299, recvmmsg),
	U(300, fanotify_init),
	U(301, fanotify_mark),
	R(302, prlimit64, 4, E, 0, A(L, RLIM, PT, PT), FIX(3, SZ_RLIMIT)),
	U(303, name_to_handle_at),
	U(304, open_by_handle_at),
	U(305, clock_adjtime),
	R(306, syncfs, 1, E, BLK, A(FD)),
	R(307, sendmmsg, 4, E, BLK, A(FD, PT, UI, H), MMSG(1)),
	U(308, setns),
	R(309, getcpu, 3, E, 0, A(PT, PT, PT), FIX(0, 4), FIX(1, 4)),
	R(310, process_vm_readv, 6, E, 0, A(L, PT, UL, PT, UL, H), IOV(1, 2)),
	U(311, process_vm_writev),
	R(312, kcmp, 5, E, 0, A(L, L, I, H, H)),
	U(313, finit_module),
	R(314, sched_setattr, 3, E, 0, A(L, PT, H)),
	R(315, sched_getattr, 4, E, 0, A(L, PT, UI, H), ARG(1, 2)),
	R(316, renameat2, 5, E, 0, A(DFD, PATH, DFD, PATH, H)),
	U(317, seccomp),
	R(318, getrandom, 3, E, BLK, A(BO, UL, H), RES(0, 1)),
	R(319, memfd_create, 2, E, 0, A(PATH, H)),
	U(320, kexec_file_load),
	U(321, bpf),
	R(322, execveat, 5, P, NORET, A(DFD, PATH, STRV, STRV, ATF)),
	U(323, userfaultfd),
	R(324, membarrier, 3, E, 0, A(H, H, I)),
	R(325, mlock2, 3, E, 0, A(PT, UL, H)),
	R(326, copy_file_range, 6, E, BLK, A(FD, PT, FD, PT, UL, H), FIX(1, 8), FIX(3, 8)),
	R(327, preadv2, 6, E, BLK, A(FD, PT, I, L, L, H), IOV(1, 2)),
	R(328, pwritev2, 6, E, BLK, A(FD, PT, I, L, L, H)),
	R(329, pkey_mprotect, 4, P, 0, A(PT, UL, PROT, I)),
	R(330, pkey_alloc, 2, P, 0, A(H, H)),
	R(331, pkey_free, 1, P, 0, A(I)),
	R(332, statx, 5, E, 0, A(DFD, PATH, ATF, H, PT), FIX(4, SZ_STATX)),
	U(333, io_pgetevents),
	/* the kernel writes cpu_id into the registered area on every resume */
	R(334, rseq, 4, P, ASYNC, A(PT, UI, H, H)),
	R(424, pidfd_send_signal, 4, E, 0, A(FD, SIG, PT, H)),
	U(425, io_uring_setup),
	U(426, io_uring_enter),
	U(427, io_uring_register),
	U(428, open_tree),
	U(429, move_mount),
	U(430, fsopen),
	U(431, fsconfig),
	U(432, fsmount),
	U(433, fspick),
	R(434, pidfd_open, 2, E, 0, A(L, H)),
	R(435, clone3, 2, P, ASYNC, A(PT, UL), BY(SC_OUT_CLONE3)),
	R(436, close_range, 3, E, 0, A(UI, UI, H)),
	R(437, openat2, 4, E, BLK, A(DFD, PATH, PT, UL)),
	R(438, pidfd_getfd, 3, E, 0, A(FD, I, H)),
	R(439, faccessat2, 4, E, 0, A(DFD, PATH, AMODE, ATF)),
	U(440, process_madvise),
	R(441, epoll_pwait2, 6, E, BLK, A(FD, PT, I, PT, PT, UL),
	  RESX(1, 2, SZ_EPOLL_EVENT)),
	U(442, mount_setattr),
	U(443, quotactl_fd),
	U(444, landlock_create_ruleset),
	U(445, landlock_add_rule),
	U(446, landlock_restrict_self),
	U(447, memfd_secret),
	U(448, process_mrelease),
	U(449, futex_waitv),
	U(450, set_mempolicy_home_node),
	U(451, cachestat),
	R(452, fchmodat2, 4, E, 0, A(DFD, PATH, MODE, ATF)),
	U(453, map_shadow_stack),
	U(454, futex_wake),
	U(455, futex_wait),
	U(456, futex_requeue),
	U(457, statmount),
	U(458, listmount),
	U(459, lsm_get_self_attr),
	U(460, lsm_set_self_attr),
	U(461, lsm_list_modules),
	/* sealing changes what later mmap/mprotect calls may do */
	R(462, mseal, 3, P, 0, A(PT, UL, H)),
	U(463, setxattrat),
	U(464, getxattrat),
	U(465, listxattrat),
	U(466, removexattrat),
	U(467, open_tree_attr),
	U(468, file_getattr),
	U(469, file_setattr),
};

const size_t syscall_table_len = sizeof(syscall_table) / sizeof(syscall_table[0]);

/* Sub-operations, each table sorted by code. Unlisted codes are refused. */
#define OP(code, name, arg, sz, when, perform) { code, name, arg, when, perform, sz }
#define OPN(code, name) OP(code, #name, -1, 0, SC_WHEN_OK, 0)
#define OPW(code, name, arg, sz) OP(code, #name, arg, sz, SC_WHEN_OK, 0)
#define OPP(code, name) OP(code, #name, -1, 0, SC_WHEN_OK, 1)

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
const size_t sc_fcntl_cmds_len = sizeof(sc_fcntl_cmds) / sizeof(sc_fcntl_cmds[0]);

/* Codes are op & FUTEX_CMD_MASK. The PI operations store the owner's tid
 * (and FUTEX_WAITERS) into the futex word even when they fail or time
 * out; WAKE_OP modifies *uaddr2. */
#define FUT_PI(code, name, arg) OP(code, #name, arg, 4, SC_WHEN_ANY, 0)
const struct sc_subop sc_futex_ops[] = {
	OPN(0, FUTEX_WAIT),
	OPN(1, FUTEX_WAKE),
	OPN(3, FUTEX_REQUEUE),
	OPN(4, FUTEX_CMP_REQUEUE),
	FUT_PI(5, FUTEX_WAKE_OP, 4),
	FUT_PI(6, FUTEX_LOCK_PI, 0),
	FUT_PI(7, FUTEX_UNLOCK_PI, 0),
	FUT_PI(8, FUTEX_TRYLOCK_PI, 0),
	OPN(9, FUTEX_WAIT_BITSET),
	OPN(10, FUTEX_WAKE_BITSET),
	FUT_PI(11, FUTEX_WAIT_REQUEUE_PI, 4),
	FUT_PI(12, FUTEX_CMP_REQUEUE_PI, 4),
	FUT_PI(13, FUTEX_LOCK_PI2, 0),
};
const size_t sc_futex_ops_len = sizeof(sc_futex_ops) / sizeof(sc_futex_ops[0]);

const struct sc_subop sc_prctl_opts[] = {
	OPN(1, PR_SET_PDEATHSIG),
	OPW(2, PR_GET_PDEATHSIG, 1, 4),
	OPN(3, PR_GET_DUMPABLE),
	OPN(4, PR_SET_DUMPABLE),
	OPN(7, PR_GET_KEEPCAPS),
	OPN(8, PR_SET_KEEPCAPS),
	OPN(15, PR_SET_NAME),
	OPW(16, PR_GET_NAME, 1, 16),
	OPN(21, PR_GET_SECCOMP),
	OPN(23, PR_CAPBSET_READ),
	OPN(29, PR_SET_TIMERSLACK),
	OPN(30, PR_GET_TIMERSLACK),
	OPN(36, PR_SET_CHILD_SUBREAPER),
	OPW(37, PR_GET_CHILD_SUBREAPER, 1, 4),
	OPN(38, PR_SET_NO_NEW_PRIVS),
	OPN(39, PR_GET_NO_NEW_PRIVS),
	OPW(40, PR_GET_TID_ADDRESS, 1, 8),
	OPN(41, PR_SET_THP_DISABLE),
	OPN(42, PR_GET_THP_DISABLE),
	OPN(47, PR_CAP_AMBIENT),
	OPN(52, PR_GET_SPECULATION_CTRL),
	OPN(53, PR_SET_SPECULATION_CTRL),
	/* names anonymous mappings: part of the address space's shape */
	OPP(0x53564d41, PR_SET_VMA),
	OPN(0x59616d61, PR_SET_PTRACER),
};
const size_t sc_prctl_opts_len = sizeof(sc_prctl_opts) / sizeof(sc_prctl_opts[0]);

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
const size_t sc_arch_prctl_codes_len =
	sizeof(sc_arch_prctl_codes) / sizeof(sc_arch_prctl_codes[0]);
