/* Shared by the libFuzzer targets: an invariant broken by some input is
 * a finding, reported where it broke. */
#ifndef XRR_TESTSUITE_FUZZ_CHECK_H
#define XRR_TESTSUITE_FUZZ_CHECK_H

#include <stdio.h>
#include <stdlib.h>

#define check(cond)                                                      \
	do {                                                             \
		if (!(cond)) {                                           \
			fprintf(stderr, "%s:%d: check failed: %s\n",     \
				__FILE__, __LINE__, #cond);              \
			abort();                                         \
		}                                                        \
	} while (0)

#endif
