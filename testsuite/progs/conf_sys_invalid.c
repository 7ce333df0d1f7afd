/* Invalid, unassigned and removed system call numbers: the kernel
 * answers ENOSYS, and so must a replay. */
#include "conf_sys.h"

#include <sys/syscall.h>
#include <unistd.h>

static void enosys(long nr, const char *name)
{
	errno = 0;
	long rc = syscall(nr, 1, 2, 3, 4, 5, 6);
	CHECK(rc == -1 && errno == ENOSYS, name);
}

int main(void)
{
	enosys(-1, "syscall(-1)");
	enosys(-1000, "syscall(-1000)");
	enosys(337, "syscall(337), first of the unassigned hole");
	enosys(400, "syscall(400), inside the hole");
	enosys(423, "syscall(423), last of the hole");
	enosys(500, "syscall(500), past the table");
	enosys(100000, "syscall(100000)");
	enosys(SYS_create_module, "create_module, removed");
	enosys(SYS_get_kernel_syms, "get_kernel_syms, removed");
	enosys(SYS_query_module, "query_module, removed");
	enosys(SYS_nfsservctl, "nfsservctl, removed");
	enosys(SYS_tuxcall, "tuxcall, never implemented");
	enosys(SYS_security, "security, never implemented");
	enosys(SYS_vserver, "vserver, never implemented");
	enosys(SYS_getpmsg, "getpmsg, never implemented");
	enosys(SYS__sysctl, "_sysctl, removed");
	/* uprobe (336) outside a uprobe trampoline: refused by the kernel */
	errno = 0;
	CHECK(syscall(336) == -1 && errno == ENXIO, "uprobe outside a trampoline");
	/* and ordinary calls still work around them */
	CHECK(syscall(SYS_getpid) == getpid(), "getpid after invalid numbers");
	return conf_finish("conf_sys_invalid");
}
