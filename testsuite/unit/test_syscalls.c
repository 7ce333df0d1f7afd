/* Unit tests for replay/syscalls.*: the tables against the system headers,
 * memory-effect rules against hand-built tracee memory, formatting, and
 * coverage of what real programs call (under strace). */
#include "config.h"

#include "replay/syscalls.h"
#include "replay/syscall_bpf.h"
#include "replay/syscall_internal.h"
#include "testsuite/unit/cunit_main.h"

#include <errno.h>
#include <fcntl.h>
#include <asm/ldt.h>
#include <linux/bpf.h>
#include <linux/dqblk_xfs.h>
#include <linux/fd.h>
#include <linux/fiemap.h>
#include <linux/fs.h>
#include <linux/futex.h>
#include <linux/keyctl.h>
#include <linux/loop.h>
#include <linux/prctl.h>
#include <linux/quota.h>
#include <linux/serial.h>
#include <mqueue.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
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

/* An unknown code (an ioctl request, a sub-operation) runs: the kernel's
 * refusal of it is recorded (nothing written), its success stops the
 * recording with a message naming it. */
static void expect_unknown_code(long nr, const uint64_t a[SC_MAX_ARGS],
				const char *name)
{
	struct sc_region r[4];

	CU_ASSERT_PTR_NOT_NULL(syscall_check(nr, a, 3, err, sizeof(err)));
	CU_ASSERT_EQUAL(syscall_replay_kind(syscall_lookup(nr), a), SC_EMULATE);
	CU_ASSERT_EQUAL(effects(nr, a, -EINVAL, r, 4), 0);
	CU_ASSERT_EQUAL(effects(nr, a, -ENOTTY, r, 4), 0);
	CU_ASSERT_EQUAL(effects(nr, a, 0, r, 4), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, name));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "refusing to record it"));
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
		/* uretprobe and uprobe are newer than most headers */
		CU_ASSERT(found || d->nr > max_header || d->nr == 335 || d->nr == 336);
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
	/* SysV IPC: glibc's x86-64 structs are the kernel's *64_ds */
	CU_ASSERT_EQUAL(SZ_SHMID_DS, sizeof(struct shmid_ds));
	CU_ASSERT_EQUAL(SZ_SHMINFO, sizeof(struct shminfo));
	CU_ASSERT_EQUAL(SZ_SHM_INFO, sizeof(struct shm_info));
	CU_ASSERT_EQUAL(SZ_SEMID_DS, sizeof(struct semid_ds));
	CU_ASSERT_EQUAL(SZ_SEMINFO, sizeof(struct seminfo));
	CU_ASSERT_EQUAL(SZ_MSQID_DS, sizeof(struct msqid_ds));
	CU_ASSERT_EQUAL(SZ_MSGINFO, sizeof(struct msginfo));
	CU_ASSERT_EQUAL(SZ_MQ_ATTR, sizeof(struct mq_attr));
	CU_ASSERT_EQUAL(SZ_USER_DESC, sizeof(struct user_desc));
	CU_ASSERT_EQUAL(SZ_PKEY_QUERY, sizeof(struct keyctl_pkey_query));
	CU_ASSERT_EQUAL(SZ_IF_DQBLK, sizeof(struct if_dqblk));
	CU_ASSERT_EQUAL(SZ_IF_NEXTDQBLK, sizeof(struct if_nextdqblk));
	CU_ASSERT_EQUAL(SZ_IF_DQINFO, sizeof(struct if_dqinfo));
	CU_ASSERT_EQUAL(SZ_FS_DISK_QUOTA, sizeof(struct fs_disk_quota));
	CU_ASSERT_EQUAL(SZ_FS_QUOTA_STAT, sizeof(struct fs_quota_stat));
	CU_ASSERT_EQUAL(SZ_FS_QUOTA_STATV, sizeof(struct fs_quota_statv));
	CU_ASSERT_EQUAL(SZ_FIEMAP, sizeof(struct fiemap));
	CU_ASSERT_EQUAL(SZ_FIEMAP_EXTENT, sizeof(struct fiemap_extent));
	CU_ASSERT_EQUAL(FIEMAP_EXTENT_COUNT, offsetof(struct fiemap, fm_extent_count));
	CU_ASSERT_EQUAL(SZ_FSXATTR, sizeof(struct fsxattr));
	CU_ASSERT_EQUAL(SZ_SERIAL, sizeof(struct serial_struct));
	CU_ASSERT_EQUAL(SZ_ICOUNTER, sizeof(struct serial_icounter_struct));
	CU_ASSERT_EQUAL(SZ_RS485, sizeof(struct serial_rs485));
	CU_ASSERT_EQUAL(SZ_LOOP_INFO, sizeof(struct loop_info));
	CU_ASSERT_EQUAL(SZ_LOOP_INFO64, sizeof(struct loop_info64));
	CU_ASSERT_EQUAL(SZ_FDC_STATE, sizeof(struct floppy_fdc_state));
	CU_ASSERT_EQUAL(SZ_SOCKADDR_MAX, sizeof(struct sockaddr_storage));
	/* struct ustat: int, ino_t, char[6], char[6] */
	CU_ASSERT_EQUAL(SZ_USTAT, 32);
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
		{ TCSETSW, "TCSETSW", 0 }, { TCSETSF, "TCSETSF", 0 },
		{ 0x802c542a, "TCGETS2", 44 }, { 0x402c542b, "TCSETS2", 0 },
		{ TCGETA, "TCGETA", 18 }, { TCSETA, "TCSETA", 0 },
		{ TIOCNOTTY, "TIOCNOTTY", 0 }, { TIOCGPTLCK, "TIOCGPTLCK", 4 },
		{ TIOCGDEV, "TIOCGDEV", 4 }, { TIOCSTI, "TIOCSTI", 0 },
		{ TIOCEXCL, "TIOCEXCL", 0 }, { TIOCNXCL, "TIOCNXCL", 0 },
		{ TIOCMGET, "TIOCMGET", 4 }, { TIOCMSET, "TIOCMSET", 0 },
		{ FIOASYNC, "FIOASYNC", 0 }, { TCFLSH, "TCFLSH", 0 },
		{ TCXONC, "TCXONC", 0 }, { TCSBRK, "TCSBRK", 0 },
		{ TIOCGETD, "TIOCGETD", 4 }, { TIOCSETD, "TIOCSETD", 0 },
		{ TIOCSPGRP, "TIOCSPGRP", 0 }, { TIOCGSERIAL, "TIOCGSERIAL", 72 },
		{ BLKSSZGET, "BLKSSZGET", 4 }, { BLKGETSIZE, "BLKGETSIZE", 8 },
		{ BLKROGET, "BLKROGET", 4 }, { BLKBSZGET, "BLKBSZGET", 4 },
		{ FS_IOC_GETVERSION, "FS_IOC_GETVERSION", 4 }, { FIGETBSZ, "FIGETBSZ", 4 },
		{ FS_IOC_FSGETXATTR, "FS_IOC_FSGETXATTR", 28 },
		{ FS_IOC_FIEMAP, "FS_IOC_FIEMAP", 32 }, { FICLONERANGE, "FICLONERANGE", 0 },
	};

	for (size_t i = 1; i < ioctl_table_len; i++)
		CU_ASSERT(ioctl_table[i - 1].request < ioctl_table[i].request);
	for (size_t i = 0; i < NELEM(want); i++) {
		const struct ioctl_desc *io = ioctl_lookup(want[i].req);

		CU_ASSERT_PTR_NOT_NULL_FATAL(io);
		CU_ASSERT_STRING_EQUAL(io->name, want[i].name);
		CU_ASSERT_EQUAL(io->out_size, want[i].size);
	}
	/* _IOR requests write what their size field says, except those
	 * declared with long or size_t that store an int */
	for (size_t i = 0; i < ioctl_table_len; i++) {
		uint32_t r = ioctl_table[i].request;
		if ((r >> 30) == 2 && r != FS_IOC_GETFLAGS && r != FS_IOC_GETVERSION &&
		    r != BLKBSZGET)
			CU_ASSERT_EQUAL(ioctl_table[i].out_size, (r >> 16) & 0x3fff);
	}
}

static void test_effects_fiemap(void)
{
	uint64_t a[SC_MAX_ARGS] = { 3, FS_IOC_FIEMAP, MEM_BASE + 0x100 };
	struct sc_region r[4];

	memset(mem, 0, 0x200);
	poke_u32(0x100 + FIEMAP_EXTENT_COUNT, 3);
	CU_ASSERT_EQUAL(effects(SYS_ioctl, a, 0, r, 4), 1);
	expect_region(&r[0], MEM_BASE + 0x100, 32 + 3 * 56);
	CU_ASSERT_EQUAL(effects(SYS_ioctl, a, -EOPNOTSUPP, r, 4), 0);
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

	CU_ASSERT_PTR_NULL(syscall_check(SYS_io_uring_setup, a, 7, err, sizeof(err)));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "io_uring_setup (425)"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "event 7"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "asynchronously"));        /* the reason */
	CU_ASSERT_PTR_NOT_NULL(syscall_check(SYS_read, a, 1, err, sizeof(err)));
	/* userfaultfd: made and recorded; its API handshake (an ioctl not
	 * in the table) is recorded only when the kernel refuses it */
	CU_ASSERT_PTR_NOT_NULL(syscall_check(SYS_userfaultfd, a, 1, err, sizeof(err)));
	uint64_t u[SC_MAX_ARGS] = { 4, 0xc018aa3f /* UFFDIO_API */, MEM_BASE };
	expect_unknown_code(SYS_ioctl, u, "0xc018aa3f");
	static const long refused[] = {
		SYS_ptrace,
		SYS_io_uring_setup, SYS_io_uring_enter, SYS_io_uring_register,
	};
	for (size_t i = 0; i < NELEM(refused); i++) {
		const struct syscall_desc *row = NULL;
		CU_ASSERT_PTR_NULL(syscall_check(refused[i], a, 1, err, sizeof(err)));
		CU_ASSERT_PTR_NOT_NULL(strstr(err, syscall_name(refused[i])));
		for (size_t k = 0; k < syscall_table_len; k++)
			if (syscall_table[k].nr == refused[i])
				row = &syscall_table[k];
		CU_ASSERT(row && row->why && strlen(row->why) > 20);
	}
}

/* Namespaces are recorded: unshare and setns are emulated, write
 * nothing, and print their CLONE_NEW* flags; so do pids as pid_t. */
static void test_namespaces_recorded(void)
{
	uint64_t a[SC_MAX_ARGS] = { CLONE_NEWUSER | CLONE_NEWPID };
	struct sc_region r[4];
	struct sc_entry_state st;
	char buf[256];
	static const long nrs[] = { SYS_unshare, SYS_setns };

	for (size_t i = 0; i < NELEM(nrs); i++) {
		const struct syscall_desc *d = syscall_check(nrs[i], a, 1, err, sizeof(err));
		CU_ASSERT_PTR_NOT_NULL_FATAL(d);
		CU_ASSERT_EQUAL(syscall_replay_kind(d, a), SC_EMULATE);
		memset(&st, 0, sizeof(st));
		CU_ASSERT_EQUAL(syscall_entry(d, a, fake_read, NULL, &st, err, sizeof(err)), 0);
		CU_ASSERT_EQUAL(syscall_memory_effects(d, a, 0, &st, fake_read, NULL,
						       r, 4, err, sizeof(err)), 0);
		CU_ASSERT_EQUAL(syscall_memory_effects(d, a, -EPERM, &st, fake_read, NULL,
						       r, 4, err, sizeof(err)), 0);
	}
	syscall_format_call(buf, sizeof(buf), SYS_unshare, a, 0, NULL, NULL);
	CU_ASSERT_STRING_EQUAL(buf, "unshare(CLONE_NEWUSER|CLONE_NEWPID) = 0");
	uint64_t s[SC_MAX_ARGS] = { 3, CLONE_NEWUTS };
	syscall_format_call(buf, sizeof(buf), SYS_setns, s, -EINVAL, NULL, NULL);
	CU_ASSERT_STRING_EQUAL(buf, "setns(3, CLONE_NEWUTS) = -1 EINVAL (Invalid argument)");
	uint64_t w[SC_MAX_ARGS] = { 0xffffffffu, 0, 0, 0 };
	syscall_format_call(buf, sizeof(buf), SYS_wait4, w, -ECHILD, NULL, NULL);
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "wait4(-1, "));
}

/* Numbers without a row are recorded when the kernel says ENOSYS. */
static void test_invalid_numbers(void)
{
	static const long numbers[] = { -1, -2, 337, 400, 423, 470, 500, 1000,
					0x40000000 | 0, 0x7fffffff };
	uint64_t a[SC_MAX_ARGS] = { 1, 2, 3, 4, 5, 6 };
	struct sc_region r[4];
	struct sc_entry_state st;
	char buf[256];

	for (size_t i = 0; i < NELEM(numbers); i++) {
		const struct syscall_desc *d = syscall_check(numbers[i], a, 42, err, sizeof(err));

		CU_ASSERT_PTR_EQUAL_FATAL(d, &syscall_invalid);
		CU_ASSERT_EQUAL(d->nargs, 6);
		CU_ASSERT_EQUAL(d->replay, SC_EMULATE);
		CU_ASSERT_EQUAL(syscall_replay_kind(d, a), SC_EMULATE);
		CU_ASSERT_EQUAL(syscall_entry(d, a, fake_read, NULL, &st, err, sizeof(err)), 0);
		CU_ASSERT_EQUAL(syscall_memory_effects(d, a, -ENOSYS, &st, fake_read, NULL,
						       r, 4, err, sizeof(err)), 0);
		/* anything else means this kernel implements it: refuse */
		CU_ASSERT_EQUAL(syscall_memory_effects(d, a, 0, &st, fake_read, NULL,
						       r, 4, err, sizeof(err)), -1);
		CU_ASSERT_PTR_NOT_NULL(strstr(err, "not ENOSYS"));
		CU_ASSERT_PTR_NULL(syscall_lookup(numbers[i]));
	}
	syscall_format_call(buf, sizeof(buf), 500, a, -ENOSYS, NULL, NULL);
	CU_ASSERT_STRING_EQUAL(buf, "syscall_500(0x1, 0x2, 0x3, 0x4, 0x5, 0x6) = -1 ENOSYS (Function not implemented)");
	syscall_format_call(buf, sizeof(buf), -1, a, -ENOSYS, NULL, NULL);
	CU_ASSERT_STRING_EQUAL(buf, "syscall_-1(0x1, 0x2, 0x3, 0x4, 0x5, 0x6) = -1 ENOSYS (Function not implemented)");
	/* calls Linux removed: a row, ENOSYS only */
	const struct syscall_desc *d = syscall_check(SYS_create_module, a, 1, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	CU_ASSERT(d->flags & SC_F_ENOSYS);
	CU_ASSERT_EQUAL(syscall_memory_effects(d, a, -ENOSYS, NULL, fake_read, NULL, r, 4,
					       err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(syscall_memory_effects(d, a, 3, NULL, fake_read, NULL, r, 4,
					       err, sizeof(err)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "create_module"));
}

/* Every number from 0 to the last row has a decision: a row, or the hole
 * x86-64 never assigned (337-423). */
static void test_every_number_decided(void)
{
	long last = syscall_table[syscall_table_len - 1].nr;

	for (long nr = 0; nr <= last; nr++) {
		bool hole = nr >= 337 && nr <= 423;

		if (hole != (syscall_name(nr) == NULL))
			printf("\n  %ld: %s", nr, hole ? "row in the hole" : "no row");
		CU_ASSERT(hole == (syscall_name(nr) == NULL));
	}
	for (size_t i = 0; i < syscall_table_len; i++) {
		const struct syscall_desc *d = &syscall_table[i];
		bool needs_why = d->replay == SC_UNSUPPORTED ||
				 (d->flags & (SC_F_FAIL_ONLY | SC_F_ENOSYS));

		if (needs_why && !d->why)
			printf("\n  %s: refused or limited without a reason", d->name);
		CU_ASSERT(!needs_why || d->why != NULL);
	}
	/* the refused list is short and deliberate */
	size_t refused = 0;
	for (size_t i = 0; i < syscall_table_len; i++)
		refused += syscall_table[i].replay == SC_UNSUPPORTED;
	CU_ASSERT_EQUAL(refused, 4);      /* ptrace, io_uring x3 */
}

static void test_unknown_ioctl_refused(void)
{
	uint64_t a[SC_MAX_ARGS] = { 5, 0xc0de4242, MEM_BASE };
	struct sc_region r[4];

	/* Let through: the kernel's ENOTTY is recorded; a success stops
	 * the recording, naming the request and the fd. */
	expect_unknown_code(SYS_ioctl, a, "ioctl (16)");
	CU_ASSERT_EQUAL(effects(SYS_ioctl, a, 0, r, 4), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "0xc0de4242"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "fd 5"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "returned 0"));
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
	expect_unknown_code(SYS_fcntl, a, "fcntl (72): unknown command 9999");

	uint64_t f[SC_MAX_ARGS] = { MEM_BASE, 1 | 128, 1 };     /* FUTEX_WAKE_PRIVATE */
	CU_ASSERT_EQUAL(effects(SYS_futex, f, 1, r, 4), 0);
	f[1] = 6 | 128;                                         /* FUTEX_LOCK_PI_PRIVATE */
	CU_ASSERT_EQUAL(effects(SYS_futex, f, -ETIMEDOUT, r, 4), 1);
	expect_region(&r[0], MEM_BASE, 4);
	f[1] = 99;                                              /* no such op */
	expect_unknown_code(SYS_futex, f, "futex (202)");
	f[1] = 1 | 0x200;                                       /* unknown flag bit */
	expect_unknown_code(SYS_futex, f, "futex (202)");
}

static void test_futex_ops(void)
{
	static const struct { int op; int writes_arg; } ops[] = {
		{ FUTEX_WAIT, -1 }, { FUTEX_WAKE, -1 }, { FUTEX_REQUEUE, -1 },
		{ FUTEX_CMP_REQUEUE, -1 }, { FUTEX_WAKE_OP, 4 }, { FUTEX_WAIT_BITSET, -1 },
		{ FUTEX_WAKE_BITSET, -1 }, { FUTEX_LOCK_PI, 0 }, { FUTEX_LOCK_PI2, 0 },
		{ FUTEX_UNLOCK_PI, 0 }, { FUTEX_TRYLOCK_PI, 0 },
		{ FUTEX_WAIT_REQUEUE_PI, 4 }, { FUTEX_CMP_REQUEUE_PI, 4 },
	};
	static const int flags[] = { 0, FUTEX_PRIVATE_FLAG, FUTEX_CLOCK_REALTIME,
				     FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME };
	struct sc_region r[4];

	for (size_t i = 0; i < NELEM(ops); i++) {
		for (size_t k = 0; k < NELEM(flags); k++) {
			uint64_t f[SC_MAX_ARGS] = { MEM_BASE, (uint64_t)(ops[i].op | flags[k]),
						    1, 0, MEM_BASE + 64, 0 };

			CU_ASSERT_PTR_NOT_NULL(syscall_check(SYS_futex, f, 1, err, sizeof(err)));
			int n = effects(SYS_futex, f, 0, r, 4);
			CU_ASSERT_EQUAL(n, ops[i].writes_arg < 0 ? 0 : 1);
			if (n == 1)
				expect_region(&r[0], f[ops[i].writes_arg], 4);
		}
	}
	/* the PI word is written even on failure, never on EFAULT */
	uint64_t f[SC_MAX_ARGS] = { MEM_BASE, FUTEX_UNLOCK_PI | FUTEX_PRIVATE_FLAG };
	CU_ASSERT_EQUAL(effects(SYS_futex, f, -EPERM, r, 4), 1);
	CU_ASSERT_EQUAL(effects(SYS_futex, f, -EFAULT, r, 4), 0);
	/* FUTEX_FD was removed: ENOSYS only */
	f[1] = 2;
	CU_ASSERT_PTR_NOT_NULL(syscall_check(SYS_futex, f, 1, err, sizeof(err)));
	CU_ASSERT_EQUAL(effects(SYS_futex, f, -ENOSYS, r, 4), 0);
	CU_ASSERT_EQUAL(effects(SYS_futex, f, 5, r, 4), -1);
	/* the futex2 calls: nothing written */
	static const long calls[] = { SYS_futex_waitv,
#ifdef SYS_futex_wake
		SYS_futex_wake, SYS_futex_wait, SYS_futex_requeue,
#else
		454, 455, 456,
#endif
	};
	uint64_t w[SC_MAX_ARGS] = { MEM_BASE, 1, 0, 0, 0, 0 };
	for (size_t i = 0; i < NELEM(calls); i++) {
		CU_ASSERT_PTR_NOT_NULL(syscall_check(calls[i], w, 1, err, sizeof(err)));
		CU_ASSERT_EQUAL(effects(calls[i], w, 0, r, 4), 0);
	}
	CU_ASSERT(syscall_lookup(SYS_futex_waitv)->flags & SC_F_BLOCKING);
	char buf[256];
	uint64_t a[SC_MAX_ARGS] = { MEM_BASE, FUTEX_WAIT_BITSET | FUTEX_PRIVATE_FLAG |
				    FUTEX_CLOCK_REALTIME, 1 };
	syscall_format_call(buf, sizeof(buf), SYS_futex, a, 0, NULL, NULL);
	CU_ASSERT_STRING_EQUAL(buf, "futex(0x10000, FUTEX_WAIT_BITSET_PRIVATE|FUTEX_CLOCK_REALTIME, 1, NULL, NULL, 0) = 0");
}

static void test_prctl_options(void)
{
	static const struct { int opt; int arg; uint32_t len; } known[] = {
		{ PR_GET_NAME, 1, 16 }, { PR_SET_NAME, -1, 0 }, { PR_SET_PDEATHSIG, -1, 0 },
		{ PR_GET_PDEATHSIG, 1, 4 }, { PR_GET_DUMPABLE, -1, 0 },
		{ PR_SET_DUMPABLE, -1, 0 }, { PR_SET_CHILD_SUBREAPER, -1, 0 },
		{ PR_GET_CHILD_SUBREAPER, 1, 4 }, { PR_SET_NO_NEW_PRIVS, -1, 0 },
		{ PR_GET_NO_NEW_PRIVS, -1, 0 }, { PR_CAPBSET_READ, -1, 0 },
		{ PR_GET_SECUREBITS, -1, 0 }, { PR_SET_TIMERSLACK, -1, 0 },
		{ PR_GET_TIMERSLACK, -1, 0 }, { PR_SET_THP_DISABLE, -1, 0 },
		{ PR_GET_THP_DISABLE, -1, 0 }, { PR_MCE_KILL_GET, -1, 0 },
		{ PR_GET_TID_ADDRESS, 1, 8 }, { PR_GET_SPECULATION_CTRL, -1, 0 },
		{ PR_SET_IO_FLUSHER, -1, 0 }, { PR_GET_IO_FLUSHER, -1, 0 },
		{ PR_GET_TSC, 1, 4 }, { PR_CAP_AMBIENT, -1, 0 }, { PR_SET_PTRACER, -1, 0 },
		{ PR_GET_KEEPCAPS, -1, 0 }, { PR_SET_KEEPCAPS, -1, 0 },
		{ PR_GET_FP_MODE, -1, 0 }, { PR_SET_VMA, -1, 0 }, { 0x41555856, 1, 100 },
	};
	struct sc_region r[4];

	for (size_t i = 0; i < NELEM(known); i++) {
		uint64_t a[SC_MAX_ARGS] = { (uint64_t)known[i].opt, MEM_BASE + 8, 100 };

		if (!syscall_check(SYS_prctl, a, 1, err, sizeof(err)))
			printf("\n  prctl option %d refused: %s", known[i].opt, err);
		CU_ASSERT_PTR_NOT_NULL(syscall_check(SYS_prctl, a, 1, err, sizeof(err)));
		if (known[i].opt == PR_SET_VMA)
			continue;       /* performed */
		int n = effects(SYS_prctl, a, 100, r, 4);
		CU_ASSERT_EQUAL(n, known[i].arg < 0 ? 0 : 1);
		if (n == 1)
			expect_region(&r[0], MEM_BASE + 8, known[i].len);
		CU_ASSERT_EQUAL(effects(SYS_prctl, a, -EINVAL, r, 4), 0);
	}
	/* recorded (replay/recorder_seccomp.c rewrites the filter) */
	uint64_t a[SC_MAX_ARGS] = { PR_SET_SECCOMP, 2, MEM_BASE };
	CU_ASSERT_PTR_NOT_NULL(syscall_check(SYS_prctl, a, 5, err, sizeof(err)));
	CU_ASSERT_EQUAL(effects(SYS_prctl, a, 0, r, 4), 0);
	/* seccomp(2): operations */
	uint64_t s[SC_MAX_ARGS] = { 3 /* SECCOMP_GET_NOTIF_SIZES */, 0, MEM_BASE };
	CU_ASSERT_PTR_NOT_NULL(syscall_check(SYS_seccomp, s, 5, err, sizeof(err)));
	CU_ASSERT_EQUAL(effects(SYS_seccomp, s, 0, r, 4), 1);
	expect_region(&r[0], MEM_BASE, 6);
	s[0] = 1;       /* SECCOMP_SET_MODE_FILTER: nothing written */
	CU_ASSERT_EQUAL(effects(SYS_seccomp, s, 0, r, 4), 0);
	s[0] = 99;
	expect_unknown_code(SYS_seccomp, s, "seccomp (317)");
	/* refused with a reason */
	a[0] = PR_SET_TSC;
	CU_ASSERT_PTR_NULL(syscall_check(SYS_prctl, a, 5, err, sizeof(err)));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "rdtsc"));
	a[0] = 9999;
	expect_unknown_code(SYS_prctl, a, "prctl (157): unknown option 9999");
	/* PR_SET_MM: its failure is recorded, its success is not replayable */
	a[0] = PR_SET_MM;
	CU_ASSERT_PTR_NOT_NULL(syscall_check(SYS_prctl, a, 5, err, sizeof(err)));
	CU_ASSERT_EQUAL(effects(SYS_prctl, a, -EPERM, r, 4), 0);
	CU_ASSERT_EQUAL(effects(SYS_prctl, a, 0, r, 4), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "PR_SET_MM succeeded"));
	char buf[256];
	uint64_t n[SC_MAX_ARGS] = { PR_GET_CHILD_SUBREAPER, MEM_BASE };
	syscall_format_call(buf, sizeof(buf), SYS_prctl, n, 0, NULL, NULL);
	CU_ASSERT_STRING_EQUAL(buf, "prctl(PR_GET_CHILD_SUBREAPER, 0x10000, 0, 0, 0) = 0");
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

static void test_effects_sysvipc(void)
{
	struct sc_region r[4];
	uint64_t shm[SC_MAX_ARGS] = { 7, IPC_STAT, MEM_BASE + 0x100 };
	uint64_t sem[SC_MAX_ARGS] = { 7, 0, IPC_STAT, MEM_BASE + 0x100 };
	uint64_t msg[SC_MAX_ARGS] = { 7, IPC_STAT, MEM_BASE + 0x100 };

	CU_ASSERT_EQUAL(effects(SYS_shmctl, shm, 0, r, 4), 1);
	expect_region(&r[0], MEM_BASE + 0x100, sizeof(struct shmid_ds));
	shm[1] = SHM_INFO;
	CU_ASSERT_EQUAL(effects(SYS_shmctl, shm, 3, r, 4), 1);
	expect_region(&r[0], MEM_BASE + 0x100, sizeof(struct shm_info));
	shm[1] = IPC_INFO;
	CU_ASSERT_EQUAL(effects(SYS_shmctl, shm, 3, r, 4), 1);
	expect_region(&r[0], MEM_BASE + 0x100, sizeof(struct shminfo));
	shm[1] = IPC_RMID;
	CU_ASSERT_EQUAL(effects(SYS_shmctl, shm, 0, r, 4), 0);
	shm[1] = 77;
	expect_unknown_code(SYS_shmctl, shm, "shmctl (31)");
	CU_ASSERT_EQUAL(effects(SYS_semctl, sem, 0, r, 4), 1);
	expect_region(&r[0], MEM_BASE + 0x100, sizeof(struct semid_ds));
	sem[2] = SEM_INFO;
	CU_ASSERT_EQUAL(effects(SYS_semctl, sem, 1, r, 4), 1);
	expect_region(&r[0], MEM_BASE + 0x100, sizeof(struct seminfo));
	/* GETALL: the set's size is unknown here; cut where memory ends */
	sem[2] = GETALL;
	CU_ASSERT_EQUAL(effects(SYS_semctl, sem, 0, r, 4), 1);
	expect_region(&r[0], MEM_BASE + 0x100, sizeof(mem) - 0x100);
	sem[2] = SETVAL, sem[3] = 5;
	CU_ASSERT_EQUAL(effects(SYS_semctl, sem, 0, r, 4), 0);
	CU_ASSERT_EQUAL(effects(SYS_msgctl, msg, 0, r, 4), 1);
	expect_region(&r[0], MEM_BASE + 0x100, sizeof(struct msqid_ds));
	msg[1] = MSG_INFO;
	CU_ASSERT_EQUAL(effects(SYS_msgctl, msg, 0, r, 4), 1);
	expect_region(&r[0], MEM_BASE + 0x100, sizeof(struct msginfo));
	/* msgrcv: mtype then the text */
	uint64_t rcv[SC_MAX_ARGS] = { 7, MEM_BASE + 0x40, 100, 0, 0 };
	CU_ASSERT_EQUAL(effects(SYS_msgrcv, rcv, 5, r, 4), 1);
	expect_region(&r[0], MEM_BASE + 0x40, 8 + 5);
	CU_ASSERT_EQUAL(effects(SYS_msgrcv, rcv, -ENOMSG, r, 4), 0);
	/* shmat: performed by replay (the recorder adds the segment's extent
	 * and contents itself); the table writes nothing either way */
	uint64_t at[SC_MAX_ARGS] = { 7, 0, 0 };
	const struct syscall_desc *shmat_d = syscall_check(SYS_shmat, at, 1, err,
							   sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(shmat_d);
	CU_ASSERT_EQUAL(syscall_replay_kind(shmat_d, at), SC_PERFORM);
	CU_ASSERT_EQUAL(effects(SYS_shmat, at, -EINVAL, r, 4), 0);
	CU_ASSERT_EQUAL(effects(SYS_shmat, at, 0x7f0000000000, r, 4), 0);
	static const long plain[] = { SYS_shmget, SYS_semget, SYS_semop, SYS_semtimedop,
				      SYS_msgget, SYS_msgsnd, SYS_shmdt };
	uint64_t z[SC_MAX_ARGS] = { 0 };
	for (size_t i = 0; i < NELEM(plain); i++)
		CU_ASSERT_EQUAL(effects(plain[i], z, 0, r, 4), 0);
	char buf[256];
	syscall_format_call(buf, sizeof(buf), SYS_msgctl, msg, 0, NULL, NULL);
	CU_ASSERT_STRING_EQUAL(buf, "msgctl(7, MSG_INFO, 0x10100) = 0");
}

static void test_effects_recvmmsg(void)
{
	struct sc_region r[16];
	uint64_t v = MEM_BASE + 0x100;

	memset(mem, 0, sizeof(mem));
	for (int i = 0; i < 2; i++) {
		size_t m = 0x100 + (size_t)i * 64;

		poke_u64(m + MSGHDR_NAME, MEM_BASE + 0x400 + (uint64_t)i * 0x80);
		poke_u32(m + MSGHDR_NAMELEN, 16);
		poke_u64(m + MSGHDR_IOV, MEM_BASE + 0x300 + (uint64_t)i * 16);
		poke_u64(m + MSGHDR_IOVLEN, 1);
		poke_u64(m + MSGHDR_CONTROL, 0);
		poke_u64(m + MSGHDR_CONTROLLEN, 0);
		poke_u32(m + MMSGHDR_LEN, 10 + (uint32_t)i);
		poke_u64(0x300 + (size_t)i * 16, MEM_BASE + 0x800 + (uint64_t)i * 0x100);
		poke_u64(0x308 + (size_t)i * 16, 64);
	}
	uint64_t a[SC_MAX_ARGS] = { 3, v, 4, 0, MEM_BASE + 0x40 };
	CU_ASSERT_EQUAL_FATAL(effects(SYS_recvmmsg, a, 2, r, 16), 6);
	expect_region(&r[0], v, 2 * 64);
	expect_region(&r[1], MEM_BASE + 0x400, 16);
	expect_region(&r[2], MEM_BASE + 0x800, 10);
	expect_region(&r[3], MEM_BASE + 0x480, 16);
	expect_region(&r[4], MEM_BASE + 0x900, 11);
	expect_region(&r[5], MEM_BASE + 0x40, 16);           /* remaining timeout */
	CU_ASSERT_EQUAL(effects(SYS_recvmmsg, a, -EAGAIN, r, 16), 0);
	/* sendmmsg: msg_len of the sent entries */
	CU_ASSERT_EQUAL(effects(SYS_sendmmsg, a, 2, r, 16), 2);
	expect_region(&r[0], v + MMSGHDR_LEN, 4);
	expect_region(&r[1], v + 64 + MMSGHDR_LEN, 4);
}

static void test_effects_misc_families(void)
{
	struct sc_region r[8];

	memset(mem, 0, sizeof(mem));
	/* sysfs(2, index, buf): the name and its NUL */
	poke(0x200, "ext4\0garbage", 13);
	uint64_t fs[SC_MAX_ARGS] = { 2, 0, MEM_BASE + 0x200 };
	CU_ASSERT_EQUAL(effects(SYS_sysfs, fs, 0, r, 8), 1);
	expect_region(&r[0], MEM_BASE + 0x200, 5);
	fs[0] = 3;
	CU_ASSERT_EQUAL(effects(SYS_sysfs, fs, 40, r, 8), 0);
	/* syslog: only the reading actions write */
	uint64_t sl[SC_MAX_ARGS] = { 3, MEM_BASE, 100 };
	CU_ASSERT_EQUAL(effects(SYS_syslog, sl, 42, r, 8), 1);
	expect_region(&r[0], MEM_BASE, 42);
	sl[0] = 10;
	CU_ASSERT_EQUAL(effects(SYS_syslog, sl, 65536, r, 8), 0);
	/* modify_ldt: reads write the buffer, writes are fail-only */
	uint64_t ldt[SC_MAX_ARGS] = { 0, MEM_BASE, 64 };
	CU_ASSERT_EQUAL(effects(SYS_modify_ldt, ldt, 16, r, 8), 1);
	expect_region(&r[0], MEM_BASE, 16);
	CU_ASSERT_EQUAL(effects(SYS_modify_ldt, ldt, 0, r, 8), 0);
	ldt[0] = 0x11;
	CU_ASSERT_EQUAL(effects(SYS_modify_ldt, ldt, -EINVAL, r, 8), 0);
	CU_ASSERT_EQUAL(effects(SYS_modify_ldt, ldt, 0, r, 8), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "LDT"));
	/* iopl/ioperm: privileged; level 0 / turning off is harmless */
	uint64_t io[SC_MAX_ARGS] = { 3 };
	CU_ASSERT_EQUAL(effects(SYS_iopl, io, -EPERM, r, 8), 0);
	CU_ASSERT_EQUAL(effects(SYS_iopl, io, 0, r, 8), -1);
	io[0] = 0;
	CU_ASSERT_EQUAL(effects(SYS_iopl, io, 0, r, 8), 0);
	uint64_t iop[SC_MAX_ARGS] = { 0x80, 1, 1 };
	CU_ASSERT_EQUAL(effects(SYS_ioperm, iop, -EPERM, r, 8), 0);
	CU_ASSERT_EQUAL(effects(SYS_ioperm, iop, 0, r, 8), -1);
	/* get_mempolicy: the mode and maxnode bits of mask */
	uint64_t gm[SC_MAX_ARGS] = { MEM_BASE, MEM_BASE + 8, 65, 0, 0 };
	CU_ASSERT_EQUAL(effects(SYS_get_mempolicy, gm, 0, r, 8), 2);
	expect_region(&r[0], MEM_BASE, 4);
	expect_region(&r[1], MEM_BASE + 8, 16);
	/* clock_adjtime and adjtimex: struct timex */
	uint64_t cx[SC_MAX_ARGS] = { CLOCK_REALTIME, MEM_BASE };
	CU_ASSERT_EQUAL(effects(SYS_clock_adjtime, cx, 0, r, 8), 1);
	expect_region(&r[0], MEM_BASE, sizeof(struct timex));
	CU_ASSERT_EQUAL(effects(SYS_clock_adjtime, cx, -EPERM, r, 8), 0);
	/* mq_timedreceive: message and priority; mq_getsetattr: old attr */
	uint64_t mq[SC_MAX_ARGS] = { 3, MEM_BASE + 0x100, 8192, MEM_BASE + 0x20, 0 };
	CU_ASSERT_EQUAL(effects(SYS_mq_timedreceive, mq, 6, r, 8), 2);
	expect_region(&r[0], MEM_BASE + 0x100, 6);
	expect_region(&r[1], MEM_BASE + 0x20, 4);
	uint64_t ga[SC_MAX_ARGS] = { 3, 0, MEM_BASE + 0x40 };
	CU_ASSERT_EQUAL(effects(SYS_mq_getsetattr, ga, 0, r, 8), 1);
	expect_region(&r[0], MEM_BASE + 0x40, sizeof(struct mq_attr));
	/* keyctl: the reading operations copy min(result, buflen) */
	uint64_t k[SC_MAX_ARGS] = { KEYCTL_READ, 1234, MEM_BASE, 10 };
	CU_ASSERT_EQUAL(effects(SYS_keyctl, k, 25, r, 8), 1);
	expect_region(&r[0], MEM_BASE, 10);
	k[0] = KEYCTL_DESCRIBE;
	CU_ASSERT_EQUAL(effects(SYS_keyctl, k, 7, r, 8), 1);
	expect_region(&r[0], MEM_BASE, 7);
	k[0] = KEYCTL_REVOKE;
	CU_ASSERT_EQUAL(effects(SYS_keyctl, k, 0, r, 8), 0);
	k[0] = 999;
	expect_unknown_code(SYS_keyctl, k, "keyctl (250)");
	/* process_vm_writev: remote iovecs, cut to what is ours and mapped */
	poke_u64(0x300, MEM_BASE + 0x1000);
	poke_u64(0x308, 32);
	poke_u64(0x310, 0x7fff00000000ULL);              /* not mapped here */
	poke_u64(0x318, 32);
	uint64_t pw[SC_MAX_ARGS] = { 1234, MEM_BASE + 0x380, 1, MEM_BASE + 0x300, 2, 0 };
	CU_ASSERT_EQUAL(effects(SYS_process_vm_writev, pw, 64, r, 8), 1);
	expect_region(&r[0], MEM_BASE + 0x1000, 32);
	/* name_to_handle_at: handle header + handle_bytes, the mount id */
	poke_u32(0x500, 12);
	uint64_t nh[SC_MAX_ARGS] = { (uint64_t)AT_FDCWD, MEM_BASE, MEM_BASE + 0x500,
				     MEM_BASE + 0x600, 0 };
	CU_ASSERT_EQUAL(effects(SYS_name_to_handle_at, nh, 0, r, 8), 3);
	expect_region(&r[0], MEM_BASE + 0x500, 8 + 12);
	expect_region(&r[1], MEM_BASE + 0x500, 8);
	expect_region(&r[2], MEM_BASE + 0x600, 8);
	CU_ASSERT_EQUAL(effects(SYS_name_to_handle_at, nh, -EOVERFLOW, r, 8), 1);
	expect_region(&r[0], MEM_BASE + 0x500, 8);
	/* getxattrat: the value through struct xattr_args */
	poke_u64(0x700, MEM_BASE + 0x800);
	poke_u32(0x708, 16);
	uint64_t gx[SC_MAX_ARGS] = { (uint64_t)AT_FDCWD, MEM_BASE, 0, MEM_BASE, MEM_BASE + 0x700, 16 };
	CU_ASSERT_EQUAL(effects(464, gx, 5, r, 8), 1);
	expect_region(&r[0], MEM_BASE + 0x800, 5);
	/* cachestat, listmount */
	uint64_t cs[SC_MAX_ARGS] = { 3, MEM_BASE, MEM_BASE + 0x40, 0 };
	CU_ASSERT_EQUAL(effects(451, cs, 0, r, 8), 1);
	expect_region(&r[0], MEM_BASE + 0x40, 40);
	uint64_t lm[SC_MAX_ARGS] = { MEM_BASE, MEM_BASE + 0x40, 10, 0 };
	CU_ASSERT_EQUAL(effects(458, lm, 3, r, 8), 1);
	expect_region(&r[0], MEM_BASE + 0x40, 24);
	/* fail-only rows: io_setup, map_shadow_stack */
	static const long fail_only[] = { 335, 336, SYS_io_setup, SYS_set_thread_area,
					  SYS_uselib, SYS_remap_file_pages, 453 };
	uint64_t z[SC_MAX_ARGS] = { 0 };
	for (size_t i = 0; i < NELEM(fail_only); i++) {
		CU_ASSERT_EQUAL(effects(fail_only[i], z, -EPERM, r, 8), 0);
		CU_ASSERT_EQUAL(effects(fail_only[i], z, 3, r, 8), -1);
	}
	/* process_madvise: dropping memory is fail-only, paging out is not */
	uint64_t pm[SC_MAX_ARGS] = { 3, MEM_BASE, 1, MADV_COLD, 0 };
	CU_ASSERT_EQUAL(effects(440, pm, 4096, r, 8), 0);
	pm[3] = MADV_DONTNEED;
	CU_ASSERT_EQUAL(effects(440, pm, 4096, r, 8), -1);
}

static void test_subop_rules_well_formed(void)
{
	for (size_t i = 0; i < syscall_table_len; i++) {
		const struct syscall_desc *d = &syscall_table[i];

		for (int o = 0; o < SC_MAX_OUTS && d->out[o].kind; o++) {
			if (d->out[o].kind != SC_OUT_SUBOP)
				continue;
			CU_ASSERT_FATAL(d->out[o].size < SCT_COUNT);
			CU_ASSERT(d->arg[d->out[o].arg] != SA_NONE);
			const struct sc_subtable *t = &sc_subtables[d->out[o].size];
			CU_ASSERT(t->n > 0 && t->what != NULL);
			for (size_t k = 0; k < t->n; k++) {
				const struct sc_subop *op = &t->ops[k];

				CU_ASSERT(op->name != NULL);
				if (op->flags & (SC_SUB_REFUSE | SC_SUB_FAIL_ONLY))
					CU_ASSERT(op->why != NULL);
				for (size_t j = k + 1; j < t->n; j++)
					CU_ASSERT(t->ops[j].code != op->code);
				for (int x = 0; x < SC_SUB_OUTS && op->out[x].kind; x++) {
					CU_ASSERT(op->out[x].arg >= 0 && op->out[x].arg < d->nargs);
					CU_ASSERT(op->out[x].param < d->nargs);
				}
			}
		}
	}
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
			char *cut = strstr(req, " <unfinished");
			if (cut)
				*cut = 0;
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

/* ---- bpf ---------------------------------------------------------------- */

static struct sc_bpf_obj fake_obj;
static bool fake_obj_ok;
static int fake_fd_seen;

static int fake_describe(void *ctx, int fd, struct sc_bpf_obj *out)
{
	(void)ctx;
	fake_fd_seen = fd;
	if (!fake_obj_ok)
		return -1;
	*out = fake_obj;
	return 0;
}

static void fake_map(uint32_t type, uint32_t key, uint32_t value)
{
	memset(&fake_obj, 0, sizeof(fake_obj));
	fake_obj.kind = SC_BPF_MAP;
	fake_obj.map_type = type;
	fake_obj.key_size = key;
	fake_obj.value_size = value;
	fake_obj.ncpus = 4;
	fake_obj_ok = true;
}

#define ATTR_AT MEM_BASE
#define ATTR_OF(m) (ATTR_AT + offsetof(union bpf_attr, m))

/* bpf(cmd, ATTR_AT, size): the attr is put at mem[0], entry runs, then
 * `kernel` (if any) changes memory as the kernel would, then the exit. */
static int bpf_call(uint32_t cmd, const union bpf_attr *attr, uint64_t size,
		    int64_t result, void (*kernel)(void), struct sc_region *r, size_t max)
{
	uint64_t a[SC_MAX_ARGS] = { cmd, ATTR_AT, size };
	const struct syscall_desc *d = syscall_check(SYS_bpf, a, 1, err, sizeof(err));
	struct sc_entry_state st;

	poke(0, attr, sizeof(*attr));
	CU_ASSERT_FATAL(d != NULL);
	if (syscall_entry(d, a, fake_read, NULL, &st, err, sizeof(err)) < 0)
		return -2;
	if (kernel)
		kernel();
	return syscall_memory_effects(d, a, result, &st, fake_read, NULL, r, max,
				      err, sizeof(err));
}

static void test_bpf_commands(void)
{
	uint64_t a[SC_MAX_ARGS] = { BPF_MAP_CREATE, ATTR_AT, sizeof(union bpf_attr) };
	char buf[256];

	/* every command this kernel header names is decided */
	for (uint32_t cmd = 0; cmd <= BPF_PROG_BIND_MAP; cmd++) {
		a[0] = cmd;
		if (!syscall_check(SYS_bpf, a, 1, err, sizeof(err)))
			printf("\n  bpf command %u refused: %s", cmd, err);
		CU_ASSERT_PTR_NOT_NULL(syscall_check(SYS_bpf, a, 1, err, sizeof(err)));
		CU_ASSERT_EQUAL(syscall_replay_kind(syscall_lookup(SYS_bpf), a), SC_EMULATE);
	}
	/* undescribed commands are refused, naming them; unknown ones are
	 * recorded only as the kernel's refusal */
	a[0] = 37;
	CU_ASSERT_PTR_NULL(syscall_check(SYS_bpf, a, 7, err, sizeof(err)));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "BPF_PROG_STREAM_READ_BY_FD"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "bpf (321)"));
	a[0] = 99;
	expect_unknown_code(SYS_bpf, a, "bpf (321): unknown command 99");
	a[0] = BPF_MAP_CREATE | (1u << 16);     /* BPF_COMMON_ATTRS */
	expect_unknown_code(SYS_bpf, a, "bpf (321)");
	a[0] = 36;      /* BPF_TOKEN_CREATE: an fd, nothing written */
	CU_ASSERT_PTR_NOT_NULL(syscall_check(SYS_bpf, a, 7, err, sizeof(err)));
	a[0] = BPF_MAP_LOOKUP_ELEM;
	syscall_format_call(buf, sizeof(buf), SYS_bpf, a, 0, NULL, NULL);
	CU_ASSERT_STRING_EQUAL(buf, "bpf(BPF_MAP_LOOKUP_ELEM, 0x10000, 144) = 0");
}

static void test_bpf_maps(void)
{
	union bpf_attr at;
	struct sc_region r[8];

	syscall_set_bpf_describer(fake_describe);
	/* nothing written: create, update, delete, freeze */
	memset(&at, 0, sizeof(at));
	at.map_type = BPF_MAP_TYPE_HASH;
	CU_ASSERT_EQUAL(bpf_call(BPF_MAP_CREATE, &at, sizeof(at), 3, NULL, r, 8), 0);
	memset(&at, 0, sizeof(at));
	at.map_fd = 7;
	at.key = MEM_BASE + 0x100;
	at.value = MEM_BASE + 0x200;
	fake_map(BPF_MAP_TYPE_HASH, 4, 24);
	CU_ASSERT_EQUAL(bpf_call(BPF_MAP_UPDATE_ELEM, &at, sizeof(at), 0, NULL, r, 8), 0);
	CU_ASSERT_EQUAL(bpf_call(BPF_MAP_DELETE_ELEM, &at, sizeof(at), 0, NULL, r, 8), 0);
	CU_ASSERT_EQUAL(bpf_call(BPF_MAP_FREEZE, &at, sizeof(at), 0, NULL, r, 8), 0);
	/* lookups: the map's value size, asked about fd 7 at entry */
	fake_fd_seen = -1;
	CU_ASSERT_EQUAL(bpf_call(BPF_MAP_LOOKUP_ELEM, &at, sizeof(at), 0, NULL, r, 8), 1);
	CU_ASSERT_EQUAL(fake_fd_seen, 7);
	expect_region(&r[0], MEM_BASE + 0x200, 24);
	CU_ASSERT_EQUAL(bpf_call(BPF_MAP_LOOKUP_ELEM, &at, sizeof(at), -ENOENT, NULL, r, 8), 0);
	CU_ASSERT_EQUAL(bpf_call(BPF_MAP_LOOKUP_AND_DELETE_ELEM, &at, sizeof(at), 0,
				 NULL, r, 8), 1);
	expect_region(&r[0], MEM_BASE + 0x200, 24);
	/* a short attr: the kernel sees the fields it was given */
	CU_ASSERT_EQUAL(bpf_call(BPF_MAP_LOOKUP_ELEM, &at, 32, 0, NULL, r, 8), 1);
	/* per-CPU: value_size rounded to 8, times the possible CPUs */
	fake_map(BPF_MAP_TYPE_PERCPU_ARRAY, 4, 12);
	CU_ASSERT_EQUAL(bpf_call(BPF_MAP_LOOKUP_ELEM, &at, sizeof(at), 0, NULL, r, 8), 1);
	expect_region(&r[0], MEM_BASE + 0x200, 16 * 4);
	fake_map(BPF_MAP_TYPE_ARRAY_OF_MAPS, 4, 4);
	CU_ASSERT_EQUAL(sc_bpf_lookup_value_size(&fake_obj), 4);
	/* next key: key_size at next_key */
	fake_map(BPF_MAP_TYPE_HASH, 16, 8);
	CU_ASSERT_EQUAL(bpf_call(BPF_MAP_GET_NEXT_KEY, &at, sizeof(at), 0, NULL, r, 8), 1);
	expect_region(&r[0], MEM_BASE + 0x200, 16);
	CU_ASSERT_EQUAL(bpf_call(BPF_MAP_GET_NEXT_KEY, &at, sizeof(at), -ENOENT, NULL, r, 8), 0);
	/* an undescribed map: its failure is data, its success is refused */
	fake_obj_ok = false;
	CU_ASSERT_EQUAL(bpf_call(BPF_MAP_LOOKUP_ELEM, &at, sizeof(at), -EBADF, NULL, r, 8), 0);
	CU_ASSERT_EQUAL(bpf_call(BPF_MAP_LOOKUP_ELEM, &at, sizeof(at), 0, NULL, r, 8), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "BPF_MAP_LOOKUP_ELEM on fd 7"));
	/* an unreadable attr: the kernel answers EFAULT */
	uint64_t bad[SC_MAX_ARGS] = { BPF_MAP_LOOKUP_ELEM, 0x5000, sizeof(at) };
	const struct syscall_desc *d = syscall_lookup(SYS_bpf);
	struct sc_entry_state st;
	CU_ASSERT_EQUAL(syscall_entry(d, bad, fake_read, NULL, &st, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(syscall_memory_effects(d, bad, -EFAULT, &st, fake_read, NULL, r, 8,
					       err, sizeof(err)), 0);
	/* batches: attr (count), token, keys, values */
	fake_map(BPF_MAP_TYPE_HASH, 4, 8);
	memset(&at, 0, sizeof(at));
	at.batch.map_fd = 9;
	at.batch.out_batch = MEM_BASE + 0x100;
	at.batch.keys = MEM_BASE + 0x200;
	at.batch.values = MEM_BASE + 0x300;
	at.batch.count = 5;
	CU_ASSERT_EQUAL(bpf_call(BPF_MAP_LOOKUP_BATCH, &at, sizeof(at), -ENOENT, NULL, r, 8), 4);
	CU_ASSERT_EQUAL(fake_fd_seen, 9);
	expect_region(&r[0], ATTR_AT, sizeof(at));
	expect_region(&r[1], MEM_BASE + 0x100, 4);
	expect_region(&r[2], MEM_BASE + 0x200, 5 * 4);
	expect_region(&r[3], MEM_BASE + 0x300, 5 * 8);
	CU_ASSERT_EQUAL(bpf_call(BPF_MAP_LOOKUP_BATCH, &at, sizeof(at), -EINVAL, NULL, r, 8), 0);
	CU_ASSERT_EQUAL(bpf_call(BPF_MAP_UPDATE_BATCH, &at, sizeof(at), 0, NULL, r, 8), 1);
	expect_region(&r[0], ATTR_AT, sizeof(at));
	syscall_set_bpf_describer(NULL);
}

static void kernel_test_run(void)
{
	poke_u32(offsetof(union bpf_attr, test.data_size_out), 64);
	poke_u32(offsetof(union bpf_attr, test.ctx_size_out), 8);
}

static void test_bpf_programs(void)
{
	union bpf_attr at;
	struct sc_region r[8];
	const uint64_t true_size = offsetof(union bpf_attr, core_relo_rec_size) + 4;

	syscall_set_bpf_describer(fake_describe);
	/* PROG_LOAD: the log, whatever the verdict, and log_true_size when
	 * the attr is large enough to hold it */
	memset(&at, 0, sizeof(at));
	at.log_level = 1;
	at.log_buf = MEM_BASE + 0x400;
	at.log_size = 256;
	CU_ASSERT_EQUAL(bpf_call(BPF_PROG_LOAD, &at, sizeof(at), -EACCES, NULL, r, 8), 2);
	expect_region(&r[0], MEM_BASE + 0x400, 256);
	expect_region(&r[1], ATTR_AT + true_size, 4);
	CU_ASSERT_EQUAL(bpf_call(BPF_PROG_LOAD, &at, true_size, 3, NULL, r, 8), 1);
	expect_region(&r[0], MEM_BASE + 0x400, 256);
	/* a log larger than the memory behind it: cut where memory ends */
	at.log_buf = MEM_BASE + 0x1800;
	at.log_size = 1 << 20;
	CU_ASSERT_EQUAL(bpf_call(BPF_PROG_LOAD, &at, true_size, 3, NULL, r, 8), 1);
	expect_region(&r[0], MEM_BASE + 0x1800, 0x800);
	at.log_level = 0;
	at.log_buf = 0;
	at.log_size = 0;
	CU_ASSERT_EQUAL(bpf_call(BPF_PROG_LOAD, &at, true_size, 3, NULL, r, 8), 0);
	/* BTF_LOAD: the same with its own fields */
	memset(&at, 0, sizeof(at));
	at.btf_log_level = 1;
	at.btf_log_buf = MEM_BASE + 0x400;
	at.btf_log_size = 100;
	CU_ASSERT_EQUAL(bpf_call(BPF_BTF_LOAD, &at, sizeof(at), 4, NULL, r, 8), 2);
	expect_region(&r[0], MEM_BASE + 0x400, 100);
	expect_region(&r[1], ATTR_AT + offsetof(union bpf_attr, btf_log_level) + 4, 4);
	/* ids: next_id in the attr */
	memset(&at, 0, sizeof(at));
	CU_ASSERT_EQUAL(bpf_call(BPF_PROG_GET_NEXT_ID, &at, 12, 0, NULL, r, 8), 1);
	expect_region(&r[0], ATTR_OF(next_id), 4);
	CU_ASSERT_EQUAL(bpf_call(BPF_MAP_GET_NEXT_ID, &at, 12, -ENOENT, NULL, r, 8), 0);
	/* size 0: the kernel sees zeros, and still stores next_id */
	CU_ASSERT_EQUAL(bpf_call(BPF_PROG_GET_NEXT_ID, &at, 0, 0, NULL, r, 8), 1);
	expect_region(&r[0], ATTR_OF(next_id), 4);
	CU_ASSERT_EQUAL(bpf_call(BPF_BTF_GET_NEXT_ID, &at, 12, 0, NULL, r, 8), 1);
	CU_ASSERT_EQUAL(bpf_call(BPF_LINK_GET_NEXT_ID, &at, 12, 0, NULL, r, 8), 1);
	CU_ASSERT_EQUAL(bpf_call(BPF_PROG_GET_FD_BY_ID, &at, 12, 5, NULL, r, 8), 0);
	/* PROG_QUERY: counts and flags in the attr, prog_cnt ids (the
	 * caller's count, read at entry) and their flags */
	memset(&at, 0, sizeof(at));
	at.query.prog_ids = MEM_BASE + 0x400;
	at.query.prog_cnt = 3;
	at.query.prog_attach_flags = MEM_BASE + 0x500;
	CU_ASSERT_EQUAL(bpf_call(BPF_PROG_QUERY, &at, sizeof(at), -ENOSPC, NULL, r, 8), 3);
	expect_region(&r[0], ATTR_AT, sizeof(at));
	expect_region(&r[1], MEM_BASE + 0x400, 12);
	expect_region(&r[2], MEM_BASE + 0x500, 12);
	CU_ASSERT_EQUAL(bpf_call(BPF_PROG_QUERY, &at, sizeof(at), -EINVAL, NULL, r, 8), 0);
	/* link_ids (after prog_attach_flags, newer than this header): refused */
	poke_u64(offsetof(union bpf_attr, query.prog_attach_flags) + 8, MEM_BASE + 0x600);
	uint64_t qa[SC_MAX_ARGS] = { BPF_PROG_QUERY, ATTR_AT, 64 };
	const struct syscall_desc *d = syscall_check(SYS_bpf, qa, 1, err, sizeof(err));
	struct sc_entry_state st;
	CU_ASSERT_FATAL(d != NULL);
	CU_ASSERT_EQUAL(syscall_entry(d, qa, fake_read, NULL, &st, err, sizeof(err)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "link_ids"));
	/* PROG_TEST_RUN: the attr, data_out cut at the caller's size, ctx_out */
	memset(&fake_obj, 0, sizeof(fake_obj));
	fake_obj.kind = SC_BPF_PROG;
	fake_obj.prog_type = BPF_PROG_TYPE_SOCKET_FILTER;
	fake_obj_ok = true;
	memset(&at, 0, sizeof(at));
	at.test.prog_fd = 4;
	at.test.data_in = MEM_BASE + 0x300;
	at.test.data_size_in = 64;
	at.test.data_out = MEM_BASE + 0x400;
	at.test.data_size_out = 32;
	at.test.ctx_out = MEM_BASE + 0x600;
	at.test.ctx_size_out = 16;
	at.test.ctx_in = MEM_BASE + 0x700;
	at.test.ctx_size_in = 16;
	CU_ASSERT_EQUAL(bpf_call(BPF_PROG_TEST_RUN, &at, sizeof(at), -ENOSPC, kernel_test_run,
				 r, 8), 3);
	CU_ASSERT_EQUAL(fake_fd_seen, 4);
	expect_region(&r[0], ATTR_AT, sizeof(at));
	expect_region(&r[1], MEM_BASE + 0x400, 32);     /* min(32, 64) */
	expect_region(&r[2], MEM_BASE + 0x600, 8);      /* min(16, 8) */
	at.test.data_size_out = 0;                      /* no hint: all of it */
	CU_ASSERT_EQUAL(bpf_call(BPF_PROG_TEST_RUN, &at, sizeof(at), 0, kernel_test_run,
				 r, 8), 3);
	expect_region(&r[1], MEM_BASE + 0x400, 64);
	/* a syscall program writes its context back into ctx_in */
	fake_obj.prog_type = BPF_PROG_TYPE_SYSCALL;
	CU_ASSERT_EQUAL(bpf_call(BPF_PROG_TEST_RUN, &at, sizeof(at), 0, kernel_test_run,
				 r, 8), 4);
	expect_region(&r[3], MEM_BASE + 0x700, 16);
	CU_ASSERT_EQUAL(bpf_call(BPF_PROG_TEST_RUN, &at, sizeof(at), -EINVAL, NULL, r, 8), 0);
	/* TASK_FD_QUERY: the attr and the name buffer */
	memset(&at, 0, sizeof(at));
	at.task_fd_query.buf = MEM_BASE + 0x400;
	at.task_fd_query.buf_len = 40;
	CU_ASSERT_EQUAL(bpf_call(BPF_TASK_FD_QUERY, &at, sizeof(at), 0, NULL, r, 8), 2);
	expect_region(&r[1], MEM_BASE + 0x400, 40);
	syscall_set_bpf_describer(NULL);
}

static void test_bpf_info(void)
{
	union bpf_attr at;
	struct bpf_prog_info pi;
	struct bpf_map_info mi;
	struct sc_region r[16];
	const uint64_t info = MEM_BASE + 0x400;

	syscall_set_bpf_describer(fake_describe);
	memset(&fake_obj, 0, sizeof(fake_obj));
	fake_obj.kind = SC_BPF_PROG;
	fake_obj_ok = true;
	/* a program: the info, info_len, and the arrays it names */
	memset(&pi, 0, sizeof(pi));
	pi.xlated_prog_len = 16;
	pi.xlated_prog_insns = MEM_BASE + 0x800;
	pi.nr_map_ids = 2;
	pi.map_ids = MEM_BASE + 0x900;
	pi.nr_func_info = 3;
	pi.func_info_rec_size = sizeof(struct bpf_func_info);
	pi.func_info = MEM_BASE + 0xa00;
	poke(0x400, &pi, sizeof(pi));
	memset(&at, 0, sizeof(at));
	at.info.bpf_fd = 6;
	at.info.info_len = sizeof(pi);
	at.info.info = info;
	CU_ASSERT_EQUAL(bpf_call(BPF_OBJ_GET_INFO_BY_FD, &at, sizeof(at), 0, NULL, r, 16), 5);
	CU_ASSERT_EQUAL(fake_fd_seen, 6);
	expect_region(&r[0], ATTR_OF(info.info_len), 4);
	expect_region(&r[1], info, sizeof(pi));
	expect_region(&r[2], MEM_BASE + 0x800, 16);
	expect_region(&r[3], MEM_BASE + 0x900, 8);
	expect_region(&r[4], MEM_BASE + 0xa00, 3 * sizeof(struct bpf_func_info));
	/* a short info: pointers past info_len are zeros to the kernel */
	at.info.info_len = offsetof(struct bpf_prog_info, map_ids);
	CU_ASSERT_EQUAL(bpf_call(BPF_OBJ_GET_INFO_BY_FD, &at, sizeof(at), 0, NULL, r, 16), 3);
	expect_region(&r[1], info, offsetof(struct bpf_prog_info, map_ids));
	CU_ASSERT_EQUAL(bpf_call(BPF_OBJ_GET_INFO_BY_FD, &at, sizeof(at), -EINVAL, NULL, r, 16), 0);
	/* a map: no pointers in this header's struct */
	memset(&fake_obj, 0, sizeof(fake_obj));
	fake_obj.kind = SC_BPF_MAP;
	memset(&mi, 0, sizeof(mi));
	poke(0x400, &mi, sizeof(mi));
	at.info.info_len = sizeof(mi);
	CU_ASSERT_EQUAL(bpf_call(BPF_OBJ_GET_INFO_BY_FD, &at, sizeof(at), 0, NULL, r, 16), 2);
	/* ... and fields past it that are set (a later header's hash
	 * pointer) are refused */
	at.info.info_len = sizeof(mi) + 16;
	poke_u64(0x400 + sizeof(mi), MEM_BASE + 0x800);
	CU_ASSERT_EQUAL(bpf_call(BPF_OBJ_GET_INFO_BY_FD, &at, sizeof(at), 0, NULL, r, 16), -2);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "past this system's struct"));
	poke_u64(0x400 + sizeof(mi), 0);
	CU_ASSERT_EQUAL(bpf_call(BPF_OBJ_GET_INFO_BY_FD, &at, sizeof(at), 0, NULL, r, 16), 2);
	/* a BTF object: its data and its name, at most the caller's sizes */
	struct bpf_btf_info bi = { .btf = MEM_BASE + 0x800, .btf_size = 100,
				   .name = MEM_BASE + 0x900, .name_len = 8 };
	poke(0x400, &bi, sizeof(bi));
	fake_obj.kind = SC_BPF_BTF;
	at.info.info_len = sizeof(bi);
	CU_ASSERT_EQUAL(bpf_call(BPF_OBJ_GET_INFO_BY_FD, &at, sizeof(at), -ENOSPC, NULL, r, 16), 4);
	expect_region(&r[2], MEM_BASE + 0x800, 100);
	expect_region(&r[3], MEM_BASE + 0x900, 8);
	/* links: raw tracepoint names are described, perf_event links refused */
	struct bpf_link_info li;
	memset(&li, 0, sizeof(li));
	li.raw_tracepoint.tp_name = MEM_BASE + 0x800;
	li.raw_tracepoint.tp_name_len = 32;
	poke(0x400, &li, sizeof(li));
	fake_obj.kind = SC_BPF_LINK;
	fake_obj.link_type = BPF_LINK_TYPE_RAW_TRACEPOINT;
	at.info.info_len = sizeof(li);
	CU_ASSERT_EQUAL(bpf_call(BPF_OBJ_GET_INFO_BY_FD, &at, sizeof(at), 0, NULL, r, 16), 3);
	expect_region(&r[2], MEM_BASE + 0x800, 32);
	fake_obj.link_type = BPF_LINK_TYPE_XDP;
	CU_ASSERT_EQUAL(bpf_call(BPF_OBJ_GET_INFO_BY_FD, &at, sizeof(at), 0, NULL, r, 16), 2);
	fake_obj.link_type = BPF_LINK_TYPE_PERF_EVENT;
	CU_ASSERT_EQUAL(bpf_call(BPF_OBJ_GET_INFO_BY_FD, &at, sizeof(at), 0, NULL, r, 16), -2);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "link of type 7"));
	/* an fd the recorder could not describe */
	fake_obj_ok = false;
	CU_ASSERT_EQUAL(bpf_call(BPF_OBJ_GET_INFO_BY_FD, &at, sizeof(at), -EBADF, NULL, r, 16), 0);
	CU_ASSERT_EQUAL(bpf_call(BPF_OBJ_GET_INFO_BY_FD, &at, sizeof(at), 0, NULL, r, 16), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "could not describe"));
	syscall_set_bpf_describer(NULL);
}

/* The recorder's describer against the real kernel, on our own fds. */
static void test_bpf_describe_real(void)
{
	union bpf_attr at;
	struct sc_bpf_obj o;
	char msg[256];

	memset(&at, 0, sizeof(at));
	at.map_type = BPF_MAP_TYPE_ARRAY;
	at.key_size = 4;
	at.value_size = 24;
	at.max_entries = 2;
	int fd = (int)syscall(SYS_bpf, BPF_MAP_CREATE, &at, sizeof(at));
	if (fd < 0) {
		printf("\n  bpf unavailable (%s): skipped ", strerror(errno));
		return;
	}
	CU_ASSERT_EQUAL(bpf_obj_describe_pid(getpid(), getpid(), fd, &o, msg, sizeof(msg)), 0);
	CU_ASSERT_EQUAL(o.kind, SC_BPF_MAP);
	CU_ASSERT_EQUAL(o.map_type, BPF_MAP_TYPE_ARRAY);
	CU_ASSERT_EQUAL(o.key_size, 4);
	CU_ASSERT_EQUAL(o.value_size, 24);
	CU_ASSERT(o.ncpus >= 1);
	/* a program: its type */
	struct bpf_insn insns[2] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	memset(&at, 0, sizeof(at));
	at.prog_type = BPF_PROG_TYPE_SOCKET_FILTER;
	at.insns = (uint64_t)(uintptr_t)insns;
	at.insn_cnt = 2;
	at.license = (uint64_t)(uintptr_t)"GPL";
	int pfd = (int)syscall(SYS_bpf, BPF_PROG_LOAD, &at, sizeof(at));
	CU_ASSERT(pfd >= 0);
	if (pfd >= 0) {
		CU_ASSERT_EQUAL(bpf_obj_describe_pid(getpid(), getpid(), pfd, &o, msg,
						     sizeof(msg)), 0);
		CU_ASSERT_EQUAL(o.kind, SC_BPF_PROG);
		CU_ASSERT_EQUAL(o.prog_type, BPF_PROG_TYPE_SOCKET_FILTER);
		close(pfd);
	}
	close(fd);
	CU_ASSERT_EQUAL(bpf_obj_describe_pid(getpid(), getpid(), fd, &o, msg, sizeof(msg)), -1);
	CU_ASSERT_EQUAL(bpf_obj_describe_pid(getpid(), getpid(), 0, &o, msg, sizeof(msg)), 0);
	CU_ASSERT_EQUAL(o.kind, SC_BPF_OTHER);
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
	{ "invalid and unassigned numbers", test_invalid_numbers },
	{ "every number has a decision", test_every_number_decided },
	{ "namespaces recorded", test_namespaces_recorded },
	{ "futex operations and futex2", test_futex_ops },
	{ "prctl options", test_prctl_options },
	{ "sub-operation tables well formed", test_subop_rules_well_formed },
	{ "SysV IPC", test_effects_sysvipc },
	{ "recvmmsg and sendmmsg", test_effects_recvmmsg },
	{ "misc families", test_effects_misc_families },
	{ "FS_IOC_FIEMAP", test_effects_fiemap },
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
	{ "bpf commands", test_bpf_commands },
	{ "bpf maps: values, keys, batches", test_bpf_maps },
	{ "bpf programs: logs, ids, query, test run", test_bpf_programs },
	{ "bpf object info", test_bpf_info },
	{ "bpf describer on the real kernel", test_bpf_describe_real },
	{ "real programs under strace", test_real_programs },
	{ NULL, NULL },
};

static const struct unit_suite suites[] = {
	{ "syscalls", tests, NULL, NULL },
};

UNIT_MAIN(suites)
