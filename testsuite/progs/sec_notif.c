/* Installs a seccomp filter that hands getppid to a supervisor through a
 * notification fd (SECCOMP_RET_USER_NOTIF): xrr refuses to record it,
 * naming why (testsuite/integration/record.sh). */
#include "conf_sec.h"

#include <stdio.h>

int main(void)
{
	struct sec_filter f;

	sec_begin(&f);
	sec_rule(&f, SYS_getppid, SECCOMP_RET_USER_NOTIF);
	sec_end(&f);
	long fd = sec_install(&f, SECCOMP_FILTER_FLAG_NEW_LISTENER);
	printf("listener fd %s\n", fd >= 0 ? "returned" : "refused");
	return fd >= 0 ? 0 : 1;
}
