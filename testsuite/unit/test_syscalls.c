/* Unit tests for replay/syscalls.*: the tables against the system headers,
 * memory-effect rules against hand-built tracee memory, formatting, and
 * coverage of what real programs call (under strace). */
#include "config.h"

#include "replay/syscalls.h"
#include "replay/syscall_internal.h"
#include "testsuite/unit/cunit_main.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <sys/time.h>
#include <sys/times.h>
#include <sys/timex.h>
#include <sys/uio.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* Every syscall <asm/unistd_64.h> names (list produced from that header),
 * paired with the libc constant: the compile-time source of truth. */
struct sysname {
	long nr;
	const char *name;
};
#define X(n) { SYS_##n, #n },
static const struct sysname header_syscalls[] = {
	X(read) X(write) X(open) X(close)
	X(stat) X(fstat) X(lstat) X(poll)
	X(lseek) X(mmap) X(mprotect) X(munmap)
	X(brk) X(rt_sigaction) X(rt_sigprocmask) X(rt_sigreturn)
	X(ioctl) X(pread64) X(pwrite64) X(readv)
	X(writev) X(access) X(pipe) X(select)
	X(sched_yield) X(mremap) X(msync) X(mincore)
	X(madvise) X(shmget) X(shmat) X(shmctl)
	X(dup) X(dup2) X(pause) X(nanosleep)
	X(getitimer) X(alarm) X(setitimer) X(getpid)
	X(sendfile) X(socket) X(connect) X(accept)
	X(sendto) X(recvfrom) X(sendmsg) X(recvmsg)
	X(shutdown) X(bind) X(listen) X(getsockname)
	X(getpeername) X(socketpair) X(setsockopt) X(getsockopt)
	X(clone) X(fork) X(vfork) X(execve)
	X(exit) X(wait4) X(kill) X(uname)
	X(semget) X(semop) X(semctl) X(shmdt)
	X(msgget) X(msgsnd) X(msgrcv) X(msgctl)
	X(fcntl) X(flock) X(fsync) X(fdatasync)
	X(truncate) X(ftruncate) X(getdents) X(getcwd)
	X(chdir) X(fchdir) X(rename) X(mkdir)
	X(rmdir) X(creat) X(link) X(unlink)
	X(symlink) X(readlink) X(chmod) X(fchmod)
	X(chown) X(fchown) X(lchown) X(umask)
	X(gettimeofday) X(getrlimit) X(getrusage) X(sysinfo)
	X(times) X(ptrace) X(getuid) X(syslog)
	X(getgid) X(setuid) X(setgid) X(geteuid)
	X(getegid) X(setpgid) X(getppid) X(getpgrp)
	X(setsid) X(setreuid) X(setregid) X(getgroups)
	X(setgroups) X(setresuid) X(getresuid) X(setresgid)
	X(getresgid) X(getpgid) X(setfsuid) X(setfsgid)
	X(getsid) X(capget) X(capset) X(rt_sigpending)
	X(rt_sigtimedwait) X(rt_sigqueueinfo) X(rt_sigsuspend) X(sigaltstack)
	X(utime) X(mknod) X(uselib) X(personality)
	X(ustat) X(statfs) X(fstatfs) X(sysfs)
	X(getpriority) X(setpriority) X(sched_setparam) X(sched_getparam)
	X(sched_setscheduler) X(sched_getscheduler) X(sched_get_priority_max) X(sched_get_priority_min)
	X(sched_rr_get_interval) X(mlock) X(munlock) X(mlockall)
	X(munlockall) X(vhangup) X(modify_ldt) X(pivot_root)
	X(_sysctl) X(prctl) X(arch_prctl) X(adjtimex)
	X(setrlimit) X(chroot) X(sync) X(acct)
	X(settimeofday) X(mount) X(umount2) X(swapon)
	X(swapoff) X(reboot) X(sethostname) X(setdomainname)
	X(iopl) X(ioperm) X(create_module) X(init_module)
	X(delete_module) X(get_kernel_syms) X(query_module) X(quotactl)
	X(nfsservctl) X(getpmsg) X(putpmsg) X(afs_syscall)
	X(tuxcall) X(security) X(gettid) X(readahead)
	X(setxattr) X(lsetxattr) X(fsetxattr) X(getxattr)
	X(lgetxattr) X(fgetxattr) X(listxattr) X(llistxattr)
	X(flistxattr) X(removexattr) X(lremovexattr) X(fremovexattr)
	X(tkill) X(time) X(futex) X(sched_setaffinity)
	X(sched_getaffinity) X(set_thread_area) X(io_setup) X(io_destroy)
	X(io_getevents) X(io_submit) X(io_cancel) X(get_thread_area)
	X(lookup_dcookie) X(epoll_create) X(epoll_ctl_old) X(epoll_wait_old)
	X(remap_file_pages) X(getdents64) X(set_tid_address) X(restart_syscall)
	X(semtimedop) X(fadvise64) X(timer_create) X(timer_settime)
	X(timer_gettime) X(timer_getoverrun) X(timer_delete) X(clock_settime)
	X(clock_gettime) X(clock_getres) X(clock_nanosleep) X(exit_group)
	X(epoll_wait) X(epoll_ctl) X(tgkill) X(utimes)
	X(vserver) X(mbind) X(set_mempolicy) X(get_mempolicy)
	X(mq_open) X(mq_unlink) X(mq_timedsend) X(mq_timedreceive)
	X(mq_notify) X(mq_getsetattr) X(kexec_load) X(waitid)
	X(add_key) X(request_key) X(keyctl) X(ioprio_set)
	X(ioprio_get) X(inotify_init) X(inotify_add_watch) X(inotify_rm_watch)
	X(migrate_pages) X(openat) X(mkdirat) X(mknodat)
	X(fchownat) X(futimesat) X(newfstatat) X(unlinkat)
	X(renameat) X(linkat) X(symlinkat) X(readlinkat)
	X(fchmodat) X(faccessat) X(pselect6) X(ppoll)
	X(unshare) X(set_robust_list) X(get_robust_list) X(splice)
	X(tee) X(sync_file_range) X(vmsplice) X(move_pages)
	X(utimensat) X(epoll_pwait) X(signalfd) X(timerfd_create)
	X(eventfd) X(fallocate) X(timerfd_settime) X(timerfd_gettime)
	X(accept4) X(signalfd4) X(eventfd2) X(epoll_create1)
	X(dup3) X(pipe2) X(inotify_init1) X(preadv)
	X(pwritev) X(rt_tgsigqueueinfo) X(perf_event_open) X(recvmmsg)
	X(fanotify_init) X(fanotify_mark) X(prlimit64) X(name_to_handle_at)
	X(open_by_handle_at) X(clock_adjtime) X(syncfs) X(sendmmsg)
	X(setns) X(getcpu) X(process_vm_readv) X(process_vm_writev)
	X(kcmp) X(finit_module) X(sched_setattr) X(sched_getattr)
	X(renameat2) X(seccomp) X(getrandom) X(memfd_create)
	X(kexec_file_load) X(bpf) X(execveat) X(userfaultfd)
	X(membarrier) X(mlock2) X(copy_file_range) X(preadv2)
	X(pwritev2) X(pkey_mprotect) X(pkey_alloc) X(pkey_free)
	X(statx) X(io_pgetevents) X(rseq) X(pidfd_send_signal)
	X(io_uring_setup) X(io_uring_enter) X(io_uring_register) X(open_tree)
	X(move_mount) X(fsopen) X(fsconfig) X(fsmount)
	X(fspick) X(pidfd_open) X(clone3) X(close_range)
	X(openat2) X(pidfd_getfd) X(faccessat2) X(process_madvise)
	X(epoll_pwait2) X(mount_setattr) X(quotactl_fd) X(landlock_create_ruleset)
	X(landlock_add_rule) X(landlock_restrict_self) X(memfd_secret) X(process_mrelease)
	X(futex_waitv) X(set_mempolicy_home_node)
#ifdef SYS_cachestat
	X(cachestat)
#endif
#ifdef SYS_fchmodat2
	X(fchmodat2)
#endif
#ifdef SYS_map_shadow_stack
	X(map_shadow_stack)
#endif
#ifdef SYS_futex_wake
	X(futex_wake) X(futex_wait) X(futex_requeue)
#endif
#ifdef SYS_statmount
	X(statmount) X(listmount)
#endif
#ifdef SYS_mseal
	X(mseal)
#endif
};
#undef X

/* ---- fake tracee memory ------------------------------------------------ */

#define MEM_BASE 0x10000ULL
static unsigned char mem[8192];

static int fake_read(void *ctx, uint64_t addr, void *buf, size_t len)
{
	(void)ctx;
	if (addr < MEM_BASE || addr - MEM_BASE > sizeof(mem) ||
	    len > sizeof(mem) - (addr - MEM_BASE))
		return -1;
	memcpy(buf, mem + (addr - MEM_BASE), len);
	return 0;
}

static uint64_t poke(size_t off, const void *p, size_t n)
{
	memcpy(mem + off, p, n);
	return MEM_BASE + off;
}

static uint64_t poke_u64(size_t off, uint64_t v)
{
	return poke(off, &v, sizeof(v));
}

static uint64_t poke_u32(size_t off, uint32_t v)
{
	return poke(off, &v, sizeof(v));
}

static char err[512];

/* Entry then exit of one call, as the recorder does it. */
static int effects(long nr, const uint64_t a[SC_MAX_ARGS], int64_t r,
		   struct sc_region *out, size_t max)
{
	const struct syscall_desc *d = syscall_lookup(nr);
	struct sc_entry_state st;

	CU_ASSERT_FATAL(d != NULL);
	CU_ASSERT_FATAL(syscall_entry(d, a, fake_read, NULL, &st, err, sizeof(err)) == 0);
	return syscall_memory_effects(d, a, r, &st, fake_read, NULL, out, max,
				      err, sizeof(err));
}

static void expect_region(const struct sc_region *r, uint64_t addr, uint64_t len)
{
	CU_ASSERT_EQUAL(r->addr, addr);
	CU_ASSERT_EQUAL(r->len, len);
}

/* ---- tables ----------------------------------------------------------- */

static void test_table_sorted(void)
{
	CU_ASSERT(syscall_table_len > 300);
	for (size_t i = 1; i < syscall_table_len; i++)
		CU_ASSERT(syscall_table[i - 1].nr < syscall_table[i].nr);
}

static void test_numbers_match_headers(void)
{
	long max_header = 0;

	for (size_t i = 0; i < NELEM(header_syscalls); i++) {
		const struct sysname *s = &header_syscalls[i];
		const char *name = syscall_name(s->nr);

		if (s->nr > max_header)
			max_header = s->nr;
		CU_ASSERT_PTR_NOT_NULL(name);
		if (!name || strcmp(name, s->name) != 0)
			printf("\n  %ld: header says %s, table says %s", s->nr, s->name,
			       name ? name : "(missing)");
		CU_ASSERT(name && strcmp(name, s->name) == 0);
		CU_ASSERT_EQUAL(syscall_number(s->name), s->nr);
	}
	/* and every row the headers know agrees with them */
	for (size_t i = 0; i < syscall_table_len; i++) {
		const struct syscall_desc *d = &syscall_table[i];
		bool found = false;

		for (size_t j = 0; j < NELEM(header_syscalls); j++)
			if (header_syscalls[j].nr == d->nr)
				found = strcmp(header_syscalls[j].name, d->name) == 0;
		CU_ASSERT(found || d->nr > max_header);
	}
}

static void test_rows_well_formed(void)
{
	for (size_t i = 0; i < syscall_table_len; i++) {
		const struct syscall_desc *d = &syscall_table[i];

		CU_ASSERT(d->nargs <= SC_MAX_ARGS);
		if (d->replay == SC_UNSUPPORTED)
			continue;
		for (int a = 0; a < d->nargs; a++)
			CU_ASSERT(d->arg[a] != SA_NONE);
		for (int o = 0; o < SC_MAX_OUTS && d->out[o].kind; o++) {
			const struct sc_out *out = &d->out[o];

			if (out->kind >= SC_OUT_IOCTL)
				continue;       /* rules that pick their own arguments */
			CU_ASSERT(out->arg >= 0 && out->arg < d->nargs);
			CU_ASSERT(out->param < d->nargs);
			if (out->arg >= 0 && out->arg < d->nargs && d->arg[out->arg] != SA_PTR &&
			    d->arg[out->arg] != SA_BUF_OUT)
				printf("\n  %s: output through a non-pointer argument", d->name);
			CU_ASSERT(out->arg < 0 || d->arg[out->arg] == SA_PTR ||
				  d->arg[out->arg] == SA_BUF_OUT);
		}
	}
}

static void test_abi_sizes(void)
{
	CU_ASSERT_EQUAL(SZ_STAT, sizeof(struct stat));
	CU_ASSERT_EQUAL(SZ_STATX, sizeof(struct statx));
	CU_ASSERT_EQUAL(SZ_STATFS, sizeof(struct statfs));
	CU_ASSERT_EQUAL(SZ_TIMESPEC, sizeof(struct timespec));
	CU_ASSERT_EQUAL(SZ_TIMEVAL, sizeof(struct timeval));
	CU_ASSERT_EQUAL(SZ_TIMEZONE, sizeof(struct timezone));
	CU_ASSERT_EQUAL(SZ_ITIMERVAL, sizeof(struct itimerval));
	CU_ASSERT_EQUAL(SZ_ITIMERSPEC, sizeof(struct itimerspec));
	CU_ASSERT_EQUAL(SZ_RUSAGE, sizeof(struct rusage));
	CU_ASSERT_EQUAL(SZ_SYSINFO, sizeof(struct sysinfo));
	CU_ASSERT_EQUAL(SZ_UTSNAME, sizeof(struct utsname));
	CU_ASSERT_EQUAL(SZ_RLIMIT, sizeof(struct rlimit));
	CU_ASSERT_EQUAL(SZ_SIGINFO, sizeof(siginfo_t));
	CU_ASSERT_EQUAL(SZ_STACK_T, sizeof(stack_t));
	CU_ASSERT_EQUAL(SZ_TMS, sizeof(struct tms));
	CU_ASSERT_EQUAL(SZ_EPOLL_EVENT, sizeof(struct epoll_event));
	CU_ASSERT_EQUAL(SZ_POLLFD, sizeof(struct pollfd));
	CU_ASSERT_EQUAL(SZ_TIMEX, sizeof(struct timex));
	CU_ASSERT_EQUAL(SZ_MSGHDR, sizeof(struct msghdr));
	CU_ASSERT_EQUAL(SZ_MMSGHDR, sizeof(struct mmsghdr));
	CU_ASSERT_EQUAL(MMSGHDR_LEN, offsetof(struct mmsghdr, msg_len));
	CU_ASSERT_EQUAL(MSGHDR_NAMELEN, offsetof(struct msghdr, msg_namelen));
	CU_ASSERT_EQUAL(MSGHDR_CONTROLLEN, offsetof(struct msghdr, msg_controllen));
	CU_ASSERT_EQUAL(SZ_WINSIZE, sizeof(struct winsize));
	CU_ASSERT_EQUAL(SZ_FLOCK, sizeof(struct flock));
	/* the kernel's sigaction: handler, flags, restorer, 8-byte mask */
	CU_ASSERT_EQUAL(SZ_KSIGACTION, 3 * sizeof(void *) + 8);
}

static void test_ioctl_table(void)
{
	static const struct { unsigned long req; const char *name; uint32_t size; } want[] = {
		{ TCGETS, "TCGETS", 36 }, { TCSETS, "TCSETS", 0 },
		{ TIOCGWINSZ, "TIOCGWINSZ", 8 }, { TIOCSWINSZ, "TIOCSWINSZ", 0 },
		{ FIONREAD, "FIONREAD", 4 }, { TIOCGPGRP, "TIOCGPGRP", 4 },
		{ FIOCLEX, "FIOCLEX", 0 }, { FIONCLEX, "FIONCLEX", 0 },
		{ FIONBIO, "FIONBIO", 0 }, { TIOCGPTN, "TIOCGPTN", 4 },
		{ TIOCSPTLCK, "TIOCSPTLCK", 0 }, { TIOCGPTPEER, "TIOCGPTPEER", 0 },
		{ TIOCSCTTY, "TIOCSCTTY", 0 }, { BLKGETSIZE64, "BLKGETSIZE64", 8 },
		{ FICLONE, "FICLONE", 0 }, { FS_IOC_GETFLAGS, "FS_IOC_GETFLAGS", 4 },
		{ TIOCGSID, "TIOCGSID", 4 }, { TIOCOUTQ, "TIOCOUTQ", 4 },
	};

	for (size_t i = 1; i < ioctl_table_len; i++)
		CU_ASSERT(ioctl_table[i - 1].request < ioctl_table[i].request);
	for (size_t i = 0; i < NELEM(want); i++) {
		const struct ioctl_desc *io = ioctl_lookup(want[i].req);

		CU_ASSERT_PTR_NOT_NULL_FATAL(io);
		CU_ASSERT_STRING_EQUAL(io->name, want[i].name);
		CU_ASSERT_EQUAL(io->out_size, want[i].size);
	}
	/* _IOR requests write what their size field says (except GETFLAGS) */
	for (size_t i = 0; i < ioctl_table_len; i++) {
		uint32_t r = ioctl_table[i].request;
		if ((r >> 30) == 2 && r != FS_IOC_GETFLAGS)
			CU_ASSERT_EQUAL(ioctl_table[i].out_size, (r >> 16) & 0x3fff);
	}
}

/* ---- lookups and replay kinds ----------------------------------------- */

static void test_lookup(void)
{
	const struct syscall_desc *d = syscall_lookup(SYS_read);

	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	CU_ASSERT_STRING_EQUAL(d->name, "read");
	CU_ASSERT_EQUAL(d->nargs, 3);
	CU_ASSERT(d->flags & SC_F_BLOCKING);
	CU_ASSERT_PTR_NULL(syscall_lookup(100000));
	CU_ASSERT_PTR_NULL(syscall_lookup(-1));
	CU_ASSERT_PTR_NULL(syscall_lookup(400));        /* hole in the x86-64 numbering */
	CU_ASSERT_PTR_NULL(syscall_lookup(SYS_io_uring_setup));
	CU_ASSERT_STRING_EQUAL(syscall_name(SYS_io_uring_setup), "io_uring_setup");
	CU_ASSERT_PTR_NULL(syscall_name(100000));
	CU_ASSERT_EQUAL(syscall_number("openat"), SYS_openat);
	CU_ASSERT_EQUAL(syscall_number("no_such_call"), -1);
}

static void test_required_coverage(void)
{
	static const char *const need[] = {
		"read", "write", "openat", "open", "close", "lseek", "pread64", "pwrite64",
		"readv", "writev", "getdents64", "mkdir", "unlink", "unlinkat", "rename",
		"renameat2", "stat", "fstat", "lstat", "newfstatat", "statx", "statfs",
		"fstatfs", "mmap", "munmap", "mprotect", "mremap", "madvise", "brk",
		"futex", "clone", "clone3", "fork", "vfork", "execve", "wait4", "exit",
		"exit_group", "rt_sigaction", "rt_sigprocmask", "rt_sigreturn",
		"sigaltstack", "kill", "tgkill", "clock_gettime", "gettimeofday", "time",
		"nanosleep", "clock_nanosleep", "poll", "ppoll", "select", "pselect6",
		"epoll_create1", "epoll_ctl", "epoll_wait", "epoll_pwait", "pipe", "pipe2",
		"socket", "socketpair", "bind", "listen", "accept", "accept4", "connect",
		"sendto", "recvfrom", "sendmsg", "recvmsg", "getsockname", "getpeername",
		"setsockopt", "getsockopt", "shutdown", "getrandom", "rseq", "prlimit64",
		"getrlimit", "set_robust_list", "get_robust_list", "set_tid_address",
		"arch_prctl", "prctl", "ioctl", "fcntl", "dup", "dup2", "dup3", "uname",
		"sysinfo", "getcwd", "chdir", "readlink", "readlinkat", "access",
		"faccessat", "faccessat2", "getpid", "gettid", "getuid", "geteuid",
		"getresuid", "getgroups", "sched_getaffinity", "sched_yield",
		"membarrier", "mincore", "getxattr", "lgetxattr", "fgetxattr",
		"listxattr", "fdatasync", "fsync", "ftruncate", "fallocate", "flock",
		"times", "getrusage", "umask", "eventfd2", "timerfd_create",
		"timerfd_settime", "signalfd4", "capget", "close_range", "fadvise64",
	};

	for (size_t i = 0; i < NELEM(need); i++) {
		long nr = syscall_number(need[i]);
		if (nr < 0 || !syscall_lookup(nr))
			printf("\n  not supported: %s", need[i]);
		CU_ASSERT(nr >= 0 && syscall_lookup(nr) != NULL);
	}
}

static void test_replay_kinds(void)
{
	static const long perform[] = {
		SYS_mmap, SYS_munmap, SYS_mprotect, SYS_brk, SYS_mremap, SYS_madvise,
		SYS_clone, SYS_clone3, SYS_fork, SYS_vfork, SYS_execve, SYS_exit,
		SYS_exit_group, SYS_set_tid_address, SYS_rseq, SYS_rt_sigreturn,
		SYS_set_robust_list,
	};
	static const long emulate[] = {
		SYS_read, SYS_openat, SYS_fstat, SYS_futex, SYS_ioctl, SYS_getrandom,
		SYS_clock_gettime, SYS_wait4,
	};
	uint64_t a[SC_MAX_ARGS] = { 0 };

	for (size_t i = 0; i < NELEM(perform); i++)
		CU_ASSERT_EQUAL(syscall_replay_kind(syscall_lookup(perform[i]), a), SC_PERFORM);
	for (size_t i = 0; i < NELEM(emulate); i++)
		CU_ASSERT_EQUAL(syscall_replay_kind(syscall_lookup(emulate[i]), a), SC_EMULATE);
	a[0] = 0x1002;  /* ARCH_SET_FS */
	CU_ASSERT_EQUAL(syscall_replay_kind(syscall_lookup(SYS_arch_prctl), a), SC_PERFORM);
	a[0] = 0x1003;  /* ARCH_GET_FS */
	CU_ASSERT_EQUAL(syscall_replay_kind(syscall_lookup(SYS_arch_prctl), a), SC_EMULATE);
	a[0] = 15;      /* PR_SET_NAME */
	CU_ASSERT_EQUAL(syscall_replay_kind(syscall_lookup(SYS_prctl), a), SC_EMULATE);
}

/* ---- refusals ----------------------------------------------------------- */

static void test_unknown_syscall_refused(void)
{
	uint64_t a[SC_MAX_ARGS] = { 0 };

	CU_ASSERT_PTR_NULL(syscall_check(1000, a, 42, err, sizeof(err)));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "1000"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "event 42"));
	CU_ASSERT_PTR_NULL(syscall_check(SYS_io_uring_setup, a, 7, err, sizeof(err)));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "io_uring_setup (425)"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "event 7"));
	CU_ASSERT_PTR_NOT_NULL(syscall_check(SYS_read, a, 1, err, sizeof(err)));
}

static void test_unknown_ioctl_refused(void)
{
	uint64_t a[SC_MAX_ARGS] = { 5, 0xc0de4242, MEM_BASE };
	struct sc_region r[4];

	CU_ASSERT_PTR_NULL(syscall_check(SYS_ioctl, a, 99, err, sizeof(err)));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "event 99"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "ioctl (16)"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "0xc0de4242"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "fd 5"));
	/* and at exit, if the entry check was skipped */
	CU_ASSERT_EQUAL(effects(SYS_ioctl, a, 0, r, 4), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "0xc0de4242"));
	a[1] = TCGETS;
	CU_ASSERT_PTR_NOT_NULL(syscall_check(SYS_ioctl, a, 99, err, sizeof(err)));
}

static void test_fcntl_futex_subops(void)
{
	uint64_t a[SC_MAX_ARGS] = { 3, F_GETLK, MEM_BASE + 64 };
	struct sc_region r[4];

	CU_ASSERT_EQUAL(effects(SYS_fcntl, a, 0, r, 4), 1);
	expect_region(&r[0], MEM_BASE + 64, 32);
	a[1] = F_SETFD;
	CU_ASSERT_EQUAL(effects(SYS_fcntl, a, 0, r, 4), 0);
	a[1] = 9999;
	CU_ASSERT_PTR_NULL(syscall_check(SYS_fcntl, a, 3, err, sizeof(err)));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "fcntl (72)"));

	uint64_t f[SC_MAX_ARGS] = { MEM_BASE, 1 | 128, 1 };     /* FUTEX_WAKE_PRIVATE */
	CU_ASSERT_EQUAL(effects(SYS_futex, f, 1, r, 4), 0);
	f[1] = 6 | 128;                                         /* FUTEX_LOCK_PI_PRIVATE */
	CU_ASSERT_EQUAL(effects(SYS_futex, f, -ETIMEDOUT, r, 4), 1);
	expect_region(&r[0], MEM_BASE, 4);
	f[1] = 2;                                               /* FUTEX_FD: gone */
	CU_ASSERT_PTR_NULL(syscall_check(SYS_futex, f, 3, err, sizeof(err)));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "futex (202)"));
}

/* ---- memory effects ------------------------------------------------------ */

static void test_effects_read(void)
{
	uint64_t a[SC_MAX_ARGS] = { 3, MEM_BASE + 100, 4096 };
	struct sc_region r[4];

	CU_ASSERT_EQUAL(effects(SYS_read, a, 100, r, 4), 1);
	expect_region(&r[0], MEM_BASE + 100, 100);
	CU_ASSERT_EQUAL(effects(SYS_read, a, 0, r, 4), 0);
	CU_ASSERT_EQUAL(effects(SYS_read, a, -EAGAIN, r, 4), 0);
	a[2] = 10;      /* never more than the buffer */
	CU_ASSERT_EQUAL(effects(SYS_read, a, 100, r, 4), 1);
	expect_region(&r[0], MEM_BASE + 100, 10);
}

static void test_effects_fstat(void)
{
	uint64_t a[SC_MAX_ARGS] = { 3, MEM_BASE + 8 };
	uint64_t s[SC_MAX_ARGS] = { (uint64_t)AT_FDCWD, MEM_BASE, MEM_BASE + 512, 0 };
	struct sc_region r[4];

	CU_ASSERT_EQUAL(effects(SYS_fstat, a, 0, r, 4), 1);
	expect_region(&r[0], MEM_BASE + 8, 144);
	CU_ASSERT_EQUAL(effects(SYS_fstat, a, -EBADF, r, 4), 0);
	CU_ASSERT_EQUAL(effects(SYS_newfstatat, s, 0, r, 4), 1);
	expect_region(&r[0], MEM_BASE + 512, 144);
	s[4] = MEM_BASE + 1024;
	s[2] = 0x100;
	s[3] = 0x7ff;
	CU_ASSERT_EQUAL(effects(SYS_statx, s, 0, r, 4), 1);
	expect_region(&r[0], MEM_BASE + 1024, 256);
}

static void test_effects_readv(void)
{
	uint64_t iov = poke_u64(0, MEM_BASE + 1000);
	struct sc_region r[4];

	poke_u64(8, 10);
	poke_u64(16, MEM_BASE + 2000);
	poke_u64(24, 20);
	poke_u64(32, MEM_BASE + 3000);
	poke_u64(40, 30);
	uint64_t a[SC_MAX_ARGS] = { 3, iov, 3 };
	CU_ASSERT_EQUAL(effects(SYS_readv, a, 25, r, 4), 2);
	expect_region(&r[0], MEM_BASE + 1000, 10);
	expect_region(&r[1], MEM_BASE + 2000, 15);
	CU_ASSERT_EQUAL(effects(SYS_readv, a, 60, r, 4), 3);
	expect_region(&r[2], MEM_BASE + 3000, 30);
	/* too small an output array is an error, not a silent truncation */
	CU_ASSERT_EQUAL(effects(SYS_readv, a, 60, r, 2), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "readv"));
}

static void test_effects_recvmsg(void)
{
	const struct syscall_desc *d = syscall_lookup(SYS_recvmsg);
	struct sc_entry_state st;
	struct sc_region r[8];
	uint64_t m = MEM_BASE + 0x100, iov = MEM_BASE + 0x200;

	memset(mem, 0, sizeof(mem));
	poke_u64(0x100 + MSGHDR_NAME, MEM_BASE + 0x300);
	poke_u32(0x100 + MSGHDR_NAMELEN, 128);
	poke_u64(0x100 + MSGHDR_IOV, iov);
	poke_u64(0x100 + MSGHDR_IOVLEN, 2);
	poke_u64(0x100 + MSGHDR_CONTROL, MEM_BASE + 0x400);
	poke_u64(0x100 + MSGHDR_CONTROLLEN, 64);
	poke_u64(0x200, MEM_BASE + 0x500);
	poke_u64(0x208, 4);
	poke_u64(0x210, MEM_BASE + 0x600);
	poke_u64(0x218, 8);
	uint64_t a[SC_MAX_ARGS] = { 3, m, 0 };
	CU_ASSERT_EQUAL_FATAL(syscall_entry(d, a, fake_read, NULL, &st, err, sizeof(err)), 0);
	/* the kernel stores the real lengths */
	poke_u32(0x100 + MSGHDR_NAMELEN, 16);
	poke_u64(0x100 + MSGHDR_CONTROLLEN, 24);
	CU_ASSERT_EQUAL_FATAL(syscall_memory_effects(d, a, 5, &st, fake_read, NULL, r, 8,
						     err, sizeof(err)), 5);
	expect_region(&r[0], m, 56);
	expect_region(&r[1], MEM_BASE + 0x300, 16);
	expect_region(&r[2], MEM_BASE + 0x400, 24);
	expect_region(&r[3], MEM_BASE + 0x500, 4);
	expect_region(&r[4], MEM_BASE + 0x600, 1);
}

static void test_effects_getsockname(void)
{
	const struct syscall_desc *d = syscall_lookup(SYS_getsockname);
	struct sc_entry_state st;
	struct sc_region r[4];
	uint64_t lenp = poke_u32(0, 128);
	uint64_t a[SC_MAX_ARGS] = { 3, MEM_BASE + 64, lenp };

	CU_ASSERT_EQUAL_FATAL(syscall_entry(d, a, fake_read, NULL, &st, err, sizeof(err)), 0);
	poke_u32(0, 16);        /* sockaddr_in */
	CU_ASSERT_EQUAL(syscall_memory_effects(d, a, 0, &st, fake_read, NULL, r, 4,
					       err, sizeof(err)), 2);
	expect_region(&r[0], lenp, 4);
	expect_region(&r[1], MEM_BASE + 64, 16);
	/* a truncated address: only the caller's buffer is written */
	poke_u32(0, 8);
	CU_ASSERT_EQUAL_FATAL(syscall_entry(d, a, fake_read, NULL, &st, err, sizeof(err)), 0);
	poke_u32(0, 110);
	CU_ASSERT_EQUAL(syscall_memory_effects(d, a, 0, &st, fake_read, NULL, r, 4,
					       err, sizeof(err)), 2);
	expect_region(&r[1], MEM_BASE + 64, 8);
	/* without entry state the length is unknown: refuse */
	CU_ASSERT_EQUAL(syscall_memory_effects(d, a, 0, NULL, fake_read, NULL, r, 4,
					       err, sizeof(err)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "entry"));
}

static void test_effects_epoll_wait(void)
{
	uint64_t a[SC_MAX_ARGS] = { 4, MEM_BASE, 16, -1 };
	struct sc_region r[4];

	CU_ASSERT_EQUAL(effects(SYS_epoll_wait, a, 3, r, 4), 1);
	expect_region(&r[0], MEM_BASE, 36);
	CU_ASSERT_EQUAL(effects(SYS_epoll_wait, a, 0, r, 4), 0);
	CU_ASSERT_EQUAL(effects(SYS_epoll_pwait, a, 2, r, 4), 1);
	expect_region(&r[0], MEM_BASE, 24);
}

static void test_effects_pipe2_socketpair(void)
{
	uint64_t a[SC_MAX_ARGS] = { MEM_BASE + 16, O_CLOEXEC };
	uint64_t s[SC_MAX_ARGS] = { AF_UNIX, SOCK_STREAM, 0, MEM_BASE + 32 };
	struct sc_region r[4];

	CU_ASSERT_EQUAL(effects(SYS_pipe2, a, 0, r, 4), 1);
	expect_region(&r[0], MEM_BASE + 16, 8);
	CU_ASSERT_EQUAL(effects(SYS_pipe2, a, -EMFILE, r, 4), 0);
	CU_ASSERT_EQUAL(effects(SYS_socketpair, s, 0, r, 4), 1);
	expect_region(&r[0], MEM_BASE + 32, 8);
}

static void test_effects_ioctl(void)
{
	uint64_t a[SC_MAX_ARGS] = { 0, TCGETS, MEM_BASE + 8 };
	struct sc_region r[4];

	CU_ASSERT_EQUAL(effects(SYS_ioctl, a, 0, r, 4), 1);
	expect_region(&r[0], MEM_BASE + 8, 36);
	CU_ASSERT_EQUAL(effects(SYS_ioctl, a, -ENOTTY, r, 4), 0);
	a[1] = TCSETSW;
	CU_ASSERT_EQUAL(effects(SYS_ioctl, a, 0, r, 4), 0);
	a[1] = TIOCGWINSZ;
	CU_ASSERT_EQUAL(effects(SYS_ioctl, a, 0, r, 4), 1);
	expect_region(&r[0], MEM_BASE + 8, 8);
	/* the request is an unsigned int: high bits are ignored */
	a[1] = 0xffffffff00000000ULL | FIONREAD;
	CU_ASSERT_EQUAL(effects(SYS_ioctl, a, 0, r, 4), 1);
	expect_region(&r[0], MEM_BASE + 8, 4);
}

static void test_effects_conditional(void)
{
	uint64_t n[SC_MAX_ARGS] = { MEM_BASE, MEM_BASE + 16 };
	uint64_t w[SC_MAX_ARGS] = { (uint64_t)-1, MEM_BASE, 0, MEM_BASE + 64 };
	struct sc_region r[4];

	/* nanosleep writes the remaining time only when interrupted */
	CU_ASSERT_EQUAL(effects(SYS_nanosleep, n, 0, r, 4), 0);
	CU_ASSERT_EQUAL(effects(SYS_nanosleep, n, -EINTR, r, 4), 1);
	expect_region(&r[0], MEM_BASE + 16, 16);
	CU_ASSERT_EQUAL(effects(SYS_nanosleep, n, -516, r, 4), 1);
	/* wait4: status and rusage only for a reaped child */
	CU_ASSERT_EQUAL(effects(SYS_wait4, w, 1234, r, 4), 2);
	expect_region(&r[0], MEM_BASE, 4);
	expect_region(&r[1], MEM_BASE + 64, 144);
	CU_ASSERT_EQUAL(effects(SYS_wait4, w, 0, r, 4), 0);
	CU_ASSERT_EQUAL(effects(SYS_wait4, w, -ECHILD, r, 4), 0);
	/* getgroups(0, NULL) asks for the count */
	uint64_t g[SC_MAX_ARGS] = { 0, 0 };
	CU_ASSERT_EQUAL(effects(SYS_getgroups, g, 5, r, 4), 0);
	g[0] = 32, g[1] = MEM_BASE;
	CU_ASSERT_EQUAL(effects(SYS_getgroups, g, 5, r, 4), 1);
	expect_region(&r[0], MEM_BASE, 20);
}

static void test_effects_select(void)
{
	uint64_t a[SC_MAX_ARGS] = { 65, MEM_BASE, 0, MEM_BASE + 64, MEM_BASE + 128 };
	struct sc_region r[4];

	CU_ASSERT_EQUAL(effects(SYS_select, a, 1, r, 4), 3);
	expect_region(&r[0], MEM_BASE, 16);
	expect_region(&r[1], MEM_BASE + 64, 16);
	expect_region(&r[2], MEM_BASE + 128, 16);
	/* the remaining timeout is written back even when interrupted */
	CU_ASSERT_EQUAL(effects(SYS_select, a, -EINTR, r, 4), 1);
	expect_region(&r[0], MEM_BASE + 128, 16);
}

static void test_effects_clone(void)
{
	struct sc_region r[4];
	uint64_t c[SC_MAX_ARGS] = { 0x00100000 | 0x00010000 | SIGCHLD, 0, MEM_BASE + 8 };

	CU_ASSERT_EQUAL(effects(SYS_clone, c, 4321, r, 4), 1);
	expect_region(&r[0], MEM_BASE + 8, 4);
	CU_ASSERT_EQUAL(effects(SYS_clone, c, 0, r, 4), 0);        /* the child */

	memset(mem, 0, 128);
	poke_u64(0x40 + CLONE_ARGS_FLAGS, 0x00100000 | 0x00001000);   /* PARENT_SETTID|PIDFD */
	poke_u64(0x40 + CLONE_ARGS_PIDFD, MEM_BASE + 0x10);
	poke_u64(0x40 + CLONE_ARGS_PTID, MEM_BASE + 0x20);
	uint64_t c3[SC_MAX_ARGS] = { MEM_BASE + 0x40, 88 };
	CU_ASSERT_EQUAL(effects(SYS_clone3, c3, 4321, r, 4), 2);
	expect_region(&r[0], MEM_BASE + 0x10, 4);
	expect_region(&r[1], MEM_BASE + 0x20, 4);
}

static void test_effects_misc_fixed(void)
{
	static const struct { long nr; int ptr_arg; uint64_t len; } cases[] = {
		{ SYS_uname, 0, 390 }, { SYS_sysinfo, 0, 112 },
		{ SYS_clock_gettime, 1, 16 }, { SYS_getrlimit, 1, 16 },
		{ SYS_prlimit64, 3, 16 }, { SYS_rt_sigaction, 2, 32 },
		{ SYS_sigaltstack, 1, 24 }, { SYS_statfs, 1, 120 },
		{ SYS_getrusage, 1, 144 }, { SYS_times, 0, 32 },
		{ SYS_timerfd_gettime, 1, 32 }, { SYS_getitimer, 1, 32 },
	};
	struct sc_region r[4];

	for (size_t i = 0; i < NELEM(cases); i++) {
		uint64_t a[SC_MAX_ARGS] = { 0 };

		a[cases[i].ptr_arg] = MEM_BASE + 0x80;
		CU_ASSERT_EQUAL(effects(cases[i].nr, a, 0, r, 4), 1);
		expect_region(&r[0], MEM_BASE + 0x80, cases[i].len);
	}
	/* rt_sigprocmask: sigsetsize bytes of old mask */
	uint64_t m[SC_MAX_ARGS] = { SIG_BLOCK, MEM_BASE, MEM_BASE + 8, 8 };
	CU_ASSERT_EQUAL(effects(SYS_rt_sigprocmask, m, 0, r, 4), 1);
	expect_region(&r[0], MEM_BASE + 8, 8);
}

/* ---- formatting --------------------------------------------------------- */

static void test_format_openat(void)
{
	char buf[256];
	uint64_t path = poke(0, "/etc/passwd", 12);
	uint64_t a[SC_MAX_ARGS] = { (uint64_t)AT_FDCWD, path, O_RDONLY | O_CLOEXEC, 0 };

	syscall_format_call(buf, sizeof(buf), SYS_openat, a, 3, fake_read, NULL);
	CU_ASSERT_STRING_EQUAL(buf, "openat(AT_FDCWD, \"/etc/passwd\", O_RDONLY|O_CLOEXEC) = 3");
	a[2] = O_WRONLY | O_CREAT | O_TRUNC;
	a[3] = 0644;
	syscall_format_call(buf, sizeof(buf), SYS_openat, a, 4, fake_read, NULL);
	CU_ASSERT_STRING_EQUAL(buf, "openat(AT_FDCWD, \"/etc/passwd\", O_WRONLY|O_CREAT|O_TRUNC, 0644) = 4");
	a[2] = O_RDONLY;
	syscall_format_call(buf, sizeof(buf), SYS_openat, a, -ENOENT, fake_read, NULL);
	CU_ASSERT_STRING_EQUAL(buf, "openat(AT_FDCWD, \"/etc/passwd\", O_RDONLY) = -1 ENOENT (No such file or directory)");
	/* without memory access, strings are pointers */
	syscall_format_call(buf, sizeof(buf), SYS_openat, a, 3, NULL, NULL);
	CU_ASSERT_STRING_EQUAL(buf, "openat(AT_FDCWD, 0x10000, O_RDONLY) = 3");
}

static void test_format_mmap(void)
{
	char buf[256];
	uint64_t a[SC_MAX_ARGS] = { 0, 8192, PROT_READ | PROT_WRITE,
				    MAP_PRIVATE | MAP_ANONYMOUS, (uint64_t)-1, 0 };

	syscall_format_call(buf, sizeof(buf), SYS_mmap, a, 0x7f1234560000, NULL, NULL);
	CU_ASSERT_STRING_EQUAL(buf, "mmap(NULL, 8192, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = 0x7f1234560000");
	a[2] = PROT_NONE;
	a[3] = MAP_PRIVATE | MAP_FIXED | 0x40000000;
	syscall_format_call(buf, sizeof(buf), SYS_mmap, a, -ENOMEM, NULL, NULL);
	CU_ASSERT_STRING_EQUAL(buf, "mmap(NULL, 8192, PROT_NONE, MAP_PRIVATE|MAP_FIXED|0x40000000, -1, 0) = -1 ENOMEM (Cannot allocate memory)");
}

static void test_format_read_write(void)
{
	char buf[256];
	uint64_t data = poke(64, "hello\n\001", 7);
	uint64_t a[SC_MAX_ARGS] = { 3, data, 4096 };

	syscall_format_call(buf, sizeof(buf), SYS_read, a, 7, fake_read, NULL);
	CU_ASSERT_STRING_EQUAL(buf, "read(3, \"hello\\n\\001\", 4096) = 7");
	syscall_format_call(buf, sizeof(buf), SYS_read, a, -EAGAIN, fake_read, NULL);
	CU_ASSERT_STRING_EQUAL(buf, "read(3, 0x10040, 4096) = -1 EAGAIN (Resource temporarily unavailable)");
	memset(mem + 128, 'x', 100);
	a[1] = MEM_BASE + 128;
	a[2] = 100;
	syscall_format_call(buf, sizeof(buf), SYS_write, a, 100, fake_read, NULL);
	CU_ASSERT_STRING_EQUAL(buf, "write(3, \"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"..., 100) = 100");
}

static void test_format_misc(void)
{
	char buf[256];
	uint64_t a[SC_MAX_ARGS] = { MEM_BASE, 1 | 128, 1 };

	syscall_format_call(buf, sizeof(buf), SYS_futex, a, 0, NULL, NULL);
	CU_ASSERT_STRING_EQUAL(buf, "futex(0x10000, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0) = 0");
	uint64_t s[SC_MAX_ARGS] = { SIGINT, MEM_BASE, 0, 8 };
	syscall_format_call(buf, sizeof(buf), SYS_rt_sigaction, s, 0, NULL, NULL);
	CU_ASSERT_STRING_EQUAL(buf, "rt_sigaction(SIGINT, 0x10000, NULL, 8) = 0");
	uint64_t io[SC_MAX_ARGS] = { 1, TCGETS, MEM_BASE };
	syscall_format_call(buf, sizeof(buf), SYS_ioctl, io, -ENOTTY, NULL, NULL);
	CU_ASSERT_STRING_EQUAL(buf, "ioctl(1, TCGETS, 0x10000) = -1 ENOTTY (Inappropriate ioctl for device)");
	uint64_t u[SC_MAX_ARGS] = { 1, 2, 3, 4, 5, 6 };
	syscall_format_call(buf, sizeof(buf), 1000, u, -ENOSYS, NULL, NULL);
	CU_ASSERT_STRING_EQUAL(buf, "syscall_1000(0x1, 0x2, 0x3, 0x4, 0x5, 0x6) = -1 ENOSYS (Function not implemented)");
	syscall_format_result(buf, sizeof(buf), NULL, -512);
	CU_ASSERT_STRING_EQUAL(buf, " = -1 ERESTARTSYS (To be restarted if SA_RESTART is set)");
	/* a short buffer is cut, still terminated */
	size_t n = syscall_format_call(buf, 10, SYS_futex, a, 0, NULL, NULL);
	CU_ASSERT_EQUAL(n, 9);
	CU_ASSERT_STRING_EQUAL(buf, "futex(0x1");
	CU_ASSERT_STRING_EQUAL(syscall_errno_name(ENOENT), "ENOENT");
	CU_ASSERT_PTR_NULL(syscall_errno_name(4000));
}

/* ---- real programs ------------------------------------------------------- */

/* Runs cmd under strace and checks that every syscall it made is
 * supported and every ioctl request it used is in the table. */
static int check_under_strace(const char *cmd, const char *out)
{
	char line[4096], run[1024];
	FILE *f;
	int lines = 0;

	snprintf(run, sizeof(run), "strace -f -qq -o %s -e signal=none %s >/dev/null 2>&1 </dev/null",
		 out, cmd);
	if (system(run) == -1)
		return 0;
	f = fopen(out, "r");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	while (fgets(line, sizeof(line), f)) {
		char name[64], req[128];
		char *p = line;

		while (*p >= '0' && *p <= '9')
			p++;
		while (*p == ' ')
			p++;
		if (sscanf(p, "%63[a-z0-9_](", name) != 1 || p[strlen(name)] != '(')
			continue;
		lines++;
		long nr = syscall_number(name);
		if (nr < 0 || !syscall_lookup(nr))
			printf("\n  %s: unsupported syscall %s", cmd, name);
		CU_ASSERT(nr >= 0 && syscall_lookup(nr) != NULL);
		/* "ioctl(1, TCGETS, ..." or "... SNDCTL_TMR_START or TCSETS, ..." */
		if (strcmp(name, "ioctl") == 0 && sscanf(p, "ioctl(%*d, %127[^,)]", req) == 1) {
			char *last = strrchr(req, ' ');
			const char *r = last ? last + 1 : req;
			bool known = false;

			for (size_t i = 0; i < ioctl_table_len; i++)
				known |= strcmp(ioctl_table[i].name, r) == 0;
			if (!known)
				printf("\n  %s: unknown ioctl %s", cmd, r);
			CU_ASSERT(known);
		}
	}
	fclose(f);
	CU_ASSERT(lines > 10);
	remove(out);
	return lines;
}

static void test_real_programs(void)
{
	static const char *const cmds[] = {
		"ls -l /", "sort /etc/passwd", "sha256sum /bin/ls", "date", "cat /etc/passwd",
		"python3 -c 'import json,os,time,random,threading; print(json.dumps(os.listdir(\"/\")))'",
		"python3 -c 'import threading; t=threading.Thread(target=print, args=(1,)); t.start(); t.join()'",
		"sqlite3 :memory: 'create table t(x); insert into t values(1); select * from t;'",
		"sqlite3 $XRR_TMP.db 'create table t(x); insert into t values(1); select * from t;'",
		"sqlite3 $XRR_TMP.db 'pragma journal_mode=wal; insert into t values(2); select count(*) from t;'",
	};
	static const char *const db_suffixes[] = { ".db", ".db-wal", ".db-shm", ".db-journal" };
	char tmp[] = "/tmp/xrr-syscalls-XXXXXX";
	char out[64];
	int fd, programs = 0, total_calls = 0;

	if (system("command -v strace >/dev/null 2>&1") != 0) {
		printf("\n  strace not installed: skipping real-program coverage");
		return;
	}
	fd = mkstemp(tmp);
	CU_ASSERT_FATAL(fd >= 0);
	close(fd);
	setenv("XRR_TMP", tmp, 1);
	snprintf(out, sizeof(out), "%s.strace", tmp);
	for (size_t i = 0; i < NELEM(cmds); i++) {
		char probe[128], first[32];

		sscanf(cmds[i], "%31s", first);
		snprintf(probe, sizeof(probe), "command -v %s >/dev/null 2>&1", first);
		if (system(probe) != 0) {
			printf("\n  %s not installed: skipped", first);
			continue;
		}
		total_calls += check_under_strace(cmds[i], out);
		programs++;
	}
	remove(tmp);
	for (size_t i = 0; i < NELEM(db_suffixes); i++) {
		snprintf(out, sizeof(out), "%s%s", tmp, db_suffixes[i]);
		remove(out);
	}
	printf("\n  %d calls from %d programs checked ", total_calls, programs);
	CU_ASSERT(programs >= 5);
}

static const struct unit_test tests[] = {
	{ "table sorted", test_table_sorted },
	{ "numbers and names match <sys/syscall.h>", test_numbers_match_headers },
	{ "rows well formed", test_rows_well_formed },
	{ "ABI sizes match libc structs", test_abi_sizes },
	{ "ioctl table", test_ioctl_table },
	{ "lookup", test_lookup },
	{ "required syscalls supported", test_required_coverage },
	{ "replay kinds", test_replay_kinds },
	{ "unknown syscall refused", test_unknown_syscall_refused },
	{ "unknown ioctl refused", test_unknown_ioctl_refused },
	{ "fcntl and futex operations", test_fcntl_futex_subops },
	{ "read: result bytes", test_effects_read },
	{ "stat family", test_effects_fstat },
	{ "readv: iovec distribution", test_effects_readv },
	{ "recvmsg: msghdr", test_effects_recvmsg },
	{ "getsockname: value-result", test_effects_getsockname },
	{ "epoll_wait: result x 12", test_effects_epoll_wait },
	{ "pipe2 and socketpair", test_effects_pipe2_socketpair },
	{ "ioctl TCGETS & co", test_effects_ioctl },
	{ "conditional writes", test_effects_conditional },
	{ "select fd_sets", test_effects_select },
	{ "clone and clone3", test_effects_clone },
	{ "fixed-size outputs", test_effects_misc_fixed },
	{ "format openat", test_format_openat },
	{ "format mmap", test_format_mmap },
	{ "format read/write", test_format_read_write },
	{ "format misc", test_format_misc },
	{ "real programs under strace", test_real_programs },
	{ NULL, NULL },
};

static const struct unit_suite suites[] = {
	{ "syscalls", tests, NULL, NULL },
};

UNIT_MAIN(suites)
