/* Assorted calls: prctl options, clock_adjtime and adjtimex queries,
 * sysfs, syslog, memory policy, process_vm_readv/writev on ourselves,
 * modify_ldt reads, iopl/ioperm that grant nothing, landlock's version
 * query, cachestat. Machine-dependent outcomes print as categories. */
#include "conf_sys.h"

#include <linux/capability.h>
#include <linux/landlock.h>
#include <linux/mempolicy.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/timex.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#ifndef PR_GET_AUXV
#define PR_GET_AUXV 0x41555856
#endif

static void prctls(void)
{
	char name[16] = { 0 };
	int v = -1;
	uint64_t tidaddr = 0;

	CHECK(prctl(PR_SET_NAME, "xrr-conf-misc", 0, 0, 0) == 0, "PR_SET_NAME");
	CHECK(prctl(PR_GET_NAME, name, 0, 0, 0) == 0 && strcmp(name, "xrr-conf-misc") == 0,
	      "PR_GET_NAME: xrr-conf-misc");
	CHECK(prctl(PR_SET_PDEATHSIG, SIGUSR1, 0, 0, 0) == 0, "PR_SET_PDEATHSIG");
	CHECK(prctl(PR_GET_PDEATHSIG, &v, 0, 0, 0) == 0 && v == SIGUSR1, "PR_GET_PDEATHSIG: SIGUSR1");
	CHECK(prctl(PR_SET_PDEATHSIG, 0, 0, 0, 0) == 0, "PR_SET_PDEATHSIG 0");
	CHECK(prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) >= 0, "PR_GET_DUMPABLE");
	CHECK(prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0, "PR_SET_CHILD_SUBREAPER");
	v = -1;
	CHECK(prctl(PR_GET_CHILD_SUBREAPER, &v, 0, 0, 0) == 0 && v == 1, "PR_GET_CHILD_SUBREAPER: 1");
	CHECK(prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0, "PR_SET_NO_NEW_PRIVS");
	CHECK(prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == 1, "PR_GET_NO_NEW_PRIVS: 1");
	CHECK(prctl(PR_CAPBSET_READ, CAP_CHOWN, 0, 0, 0) >= 0, "PR_CAPBSET_READ");
	CHECK(prctl(PR_GET_SECUREBITS, 0, 0, 0, 0) >= 0, "PR_GET_SECUREBITS");
	CHECK(prctl(PR_SET_TIMERSLACK, 123456, 0, 0, 0) == 0, "PR_SET_TIMERSLACK");
	CHECK(prctl(PR_GET_TIMERSLACK, 0, 0, 0, 0) == 123456, "PR_GET_TIMERSLACK: 123456");
	CHECK(prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0) == 0, "PR_SET_THP_DISABLE");
	CHECK(prctl(PR_GET_THP_DISABLE, 0, 0, 0, 0) == 1, "PR_GET_THP_DISABLE: 1");
	CHECK(prctl(PR_MCE_KILL_GET, 0, 0, 0, 0) >= 0, "PR_MCE_KILL_GET");
	CHECK(prctl(PR_GET_TID_ADDRESS, &tidaddr, 0, 0, 0) == 0, "PR_GET_TID_ADDRESS");
	long spec = prctl(PR_GET_SPECULATION_CTRL, PR_SPEC_STORE_BYPASS, 0, 0, 0);
	OUTCOME("PR_GET_SPECULATION_CTRL", spec);
	CHECK(prctl(PR_GET_KEEPCAPS, 0, 0, 0, 0) >= 0, "PR_GET_KEEPCAPS");
	long io = prctl(PR_GET_IO_FLUSHER, 0, 0, 0, 0);
	OUTCOME("PR_GET_IO_FLUSHER", io);
	errno = 0;
	CHECK(prctl(PR_GET_UNALIGN, &v, 0, 0, 0) == -1 && errno == EINVAL,
	      "PR_GET_UNALIGN on x86-64: EINVAL");
	uint64_t auxv[128];
	long n = prctl(PR_GET_AUXV, auxv, sizeof(auxv), 0, 0);
	if (n < 0) {
		printf("PR_GET_AUXV: not in this kernel\n");
	} else {
		bool found = false;
		for (long i = 0; i + 1 < n / 8 && i + 1 < 128; i += 2)
			found |= auxv[i] == AT_PAGESZ && auxv[i + 1] == 4096;
		CHECK(found, "PR_GET_AUXV has AT_PAGESZ 4096");
	}
}

static void clocks(void)
{
	struct timex tx = { .modes = 0 };
	long rc = syscall(SYS_clock_adjtime, CLOCK_REALTIME, &tx);
	CHECK(rc >= 0 && rc <= TIME_ERROR, "clock_adjtime(CLOCK_REALTIME) query");
	CHECK(tx.tick > 0, "clock_adjtime filled struct timex");
	memset(&tx, 0, sizeof(tx));
	CHECK(adjtimex(&tx) >= 0 && tx.tick > 0, "adjtimex query");
	errno = 0;
	CHECK(syscall(SYS_clock_adjtime, 12345, &tx) == -1 && errno == EINVAL,
	      "clock_adjtime of a bad clock: EINVAL");
}

static void filesystems_and_log(void)
{
	char fsname[256] = { 0 };
	long count = syscall(SYS_sysfs, 3);
	CHECK(count > 0, "sysfs(3): filesystem types");
	CHECK(syscall(SYS_sysfs, 2, 0, fsname) == 0 && fsname[0] != 0, "sysfs(2, 0): a name");
	CHECK(syscall(SYS_sysfs, 1, fsname) == 0, "sysfs(1, that name): index 0");
	errno = 0;
	CHECK(syscall(SYS_sysfs, 2, count + 100, fsname) == -1 && errno == EINVAL,
	      "sysfs(2, too far): EINVAL");
	long size = syscall(SYS_syslog, 10, NULL, 0);      /* SYSLOG_ACTION_SIZE_BUFFER */
	OUTCOME("syslog(SYSLOG_ACTION_SIZE_BUFFER)", size);
	if (size > 0) {
		char *buf = malloc(4096);
		long got = syscall(SYS_syslog, 3, buf, 4096);   /* SYSLOG_ACTION_READ_ALL */
		CHECK(got >= 0 && got <= 4096, "syslog(SYSLOG_ACTION_READ_ALL) into 4096 bytes");
		free(buf);
	}
}

static void memory(void)
{
	int mode = -1;
	unsigned long mask[16] = { 0 };
	char *page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	CHECK(page != MAP_FAILED, "mmap a page");
	CHECK(syscall(SYS_get_mempolicy, &mode, NULL, 0, NULL, 0) == 0 && mode == MPOL_DEFAULT,
	      "get_mempolicy: MPOL_DEFAULT");
	CHECK(syscall(SYS_get_mempolicy, &mode, mask, 1024, NULL, 0) == 0,
	      "get_mempolicy with a node mask");
	CHECK(syscall(SYS_set_mempolicy, MPOL_DEFAULT, NULL, 0) == 0, "set_mempolicy MPOL_DEFAULT");
	CHECK(syscall(SYS_mbind, page, 4096, MPOL_DEFAULT, NULL, 0, 0) == 0, "mbind MPOL_DEFAULT");
	page[0] = 1;
	CHECK(syscall(SYS_get_mempolicy, &mode, NULL, 0, page, MPOL_F_ADDR) == 0 &&
	      mode == MPOL_DEFAULT, "get_mempolicy MPOL_F_ADDR");

	/* process_vm_readv/writev on ourselves */
	char src[16] = "from far away", dst[16] = { 0 };
	struct iovec local = { dst, sizeof(dst) }, remote = { src, sizeof(src) };
	CHECK(process_vm_readv(getpid(), &local, 1, &remote, 1, 0) == (ssize_t)sizeof(src) &&
	      strcmp(dst, "from far away") == 0, "process_vm_readv of ourselves");
	char msg[8] = "written", target[8] = { 0 };
	struct iovec l2 = { msg, sizeof(msg) }, r2 = { target, sizeof(target) };
	CHECK(process_vm_writev(getpid(), &l2, 1, &r2, 1, 0) == (ssize_t)sizeof(msg) &&
	      strcmp(target, "written") == 0, "process_vm_writev to ourselves");
	munmap(page, 4096);
}

static void cpu_state(void)
{
	unsigned char ldt[64];

	memset(ldt, 0xee, sizeof(ldt));
	long rc = syscall(SYS_modify_ldt, 0, ldt, sizeof(ldt));
	if (rc < 0)
		printf("modify_ldt read: unavailable (%s)\n", conf_errname(errno));
	else
		CHECK(rc == 0, "modify_ldt read: no LDT");
	/* kernels without CONFIG_X86_IOPL_IOPERM answer ENOSYS */
	OUTCOME("iopl(0), which grants nothing", syscall(SYS_iopl, 0));
	OUTCOME("ioperm off", syscall(SYS_ioperm, 0x80, 1, 0));
	long abi = syscall(SYS_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);
	if (abi < 0)
		printf("landlock: unavailable (%s)\n", conf_errname(errno));
	else
		CHECK(abi >= 1, "landlock ABI version >= 1");
	errno = 0;
	CHECK(syscall(SYS_landlock_create_ruleset, NULL, 0, 0) == -1 &&
	      (errno == EINVAL || errno == EOPNOTSUPP || errno == ENOSYS || errno == EFAULT),
	      "landlock_create_ruleset without attributes fails");
}

static void cache(void)
{
	struct { uint64_t off, len; } range = { 0, 0 };
	uint64_t cs[5] = { 0 };
	int fd = memfd_create("xrr-conf", 0);

	CHECK(fd >= 0 && write(fd, "abc", 3) == 3, "memfd with 3 bytes");
	long rc = syscall(451, fd, &range, cs, 0);
	if (rc < 0)
		printf("cachestat: unavailable (%s)\n", conf_errname(errno));
	else
		CHECK(cs[0] >= 1, "cachestat: a cached page");
	close(fd);
}

int main(void)
{
	prctls();
	clocks();
	filesystems_and_log();
	memory();
	cpu_state();
	cache();
	return conf_finish("conf_sys_misc");
}
