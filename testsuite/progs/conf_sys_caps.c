/* Capabilities: capget and capset, including the value-result header
 * both write back when they refuse the caller's version (the kernel's
 * preferred version goes into header->version with EINVAL), which
 * programs use to probe the version. */
#include "conf_sys.h"

#include <linux/capability.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <unistd.h>

static long capget_(struct __user_cap_header_struct *h,
		    struct __user_cap_data_struct *d)
{
	return syscall(SYS_capget, h, d);
}

static long capset_(struct __user_cap_header_struct *h,
		    struct __user_cap_data_struct *d)
{
	return syscall(SYS_capset, h, d);
}

int main(void)
{
	struct __user_cap_header_struct h = { 0x12345678, 0 };
	struct __user_cap_data_struct d[2];

	/* (with NULL data the probe succeeds instead) */
	errno = 0;
	CHECK(capget_(&h, d) == -1 && errno == EINVAL &&
		      h.version == _LINUX_CAPABILITY_VERSION_3,
	      "capget, bad version: EINVAL, header says version 3");

	h = (struct __user_cap_header_struct){ _LINUX_CAPABILITY_VERSION_3, 0 };
	memset(d, 0, sizeof(d));
	CHECK(capget_(&h, d) == 0, "capget version 3");
	struct __user_cap_data_struct mine[2];
	memcpy(mine, d, sizeof(mine));

	h.version = 0x0badcafe;
	errno = 0;
	CHECK(capset_(&h, d) == -1 && errno == EINVAL &&
		      h.version == _LINUX_CAPABILITY_VERSION_3,
	      "capset, bad version: EINVAL, header says version 3");

	/* Setting the capabilities one has is allowed to anybody. */
	h = (struct __user_cap_header_struct){ _LINUX_CAPABILITY_VERSION_3, 0 };
	CHECK(capset_(&h, mine) == 0, "capset of the current sets");
	memset(d, 0xff, sizeof(d));
	CHECK(capget_(&h, d) == 0 && memcmp(d, mine, sizeof(d)) == 0,
	      "capget again: the same sets");
	return conf_finish("conf_sys_caps");
}
