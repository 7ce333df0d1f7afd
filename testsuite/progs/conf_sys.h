/* Shared by the conf_sys_* conformance programs: checks that print one
 * deterministic line each (no pids, addresses or times) and a final
 * verdict; the exit status is 0 only when every check passed. */
#ifndef XRR_CONF_SYS_H
#define XRR_CONF_SYS_H

#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int conf_failures;

/* "name: ok" or "name: FAILED (detail)" */
#define CHECK(cond, name)                                                   \
	do {                                                                \
		if (cond) {                                                 \
			printf("%s: ok\n", name);                           \
		} else {                                                    \
			printf("%s: FAILED (%s:%d, errno %s)\n", name,      \
			       __FILE__, __LINE__, conf_errname(errno));    \
			conf_failures++;                                    \
		}                                                           \
		fflush(stdout);                                             \
	} while (0)

/* An outcome that depends on the machine (privileges, kernel options)
 * but not on the run: printed as a category. */
#define OUTCOME(name, rc)                                                   \
	do {                                                                \
		if ((rc) >= 0)                                              \
			printf("%s: succeeded\n", name);                    \
		else                                                        \
			printf("%s: failed with %s\n", name,                \
			       conf_errname(errno));                        \
		fflush(stdout);                                             \
	} while (0)

static inline const char *conf_errname(int e)
{
	const char *n = strerrorname_np(e);
	return n ? n : "?";
}

static inline int conf_finish(const char *prog)
{
	if (conf_failures) {
		printf("%s: %d check(s) FAILED\n", prog, conf_failures);
		return 1;
	}
	printf("%s: all checks passed\n", prog);
	return 0;
}

#endif
