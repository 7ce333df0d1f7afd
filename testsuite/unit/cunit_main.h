/* Shared main() for CUnit test programs: each program defines
 * `static const struct unit_suite suites[]` and includes this file.
 * Prints CUnit's Run Summary and exits non-zero on any failure. */
#ifndef XRR_TESTSUITE_CUNIT_MAIN_H
#define XRR_TESTSUITE_CUNIT_MAIN_H

#include <CUnit/Basic.h>
#include <stdio.h>

struct unit_test {
	const char *name;
	void (*fn)(void);
};

struct unit_suite {
	const char *name;
	const struct unit_test *tests;  /* terminated by { NULL, NULL } */
	int (*init)(void);
	int (*cleanup)(void);
};

static int unit_run(const struct unit_suite *suites, size_t nsuites)
{
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	for (size_t i = 0; i < nsuites; i++) {
		CU_pSuite s = CU_add_suite(suites[i].name, suites[i].init,
					   suites[i].cleanup);
		if (!s)
			return 2;
		for (const struct unit_test *t = suites[i].tests; t->name; t++)
			if (!CU_add_test(s, t->name, t->fn))
				return 2;
	}
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	unsigned failed = CU_get_number_of_tests_failed() +
			  CU_get_number_of_suites_failed();
	CU_cleanup_registry();
	return failed ? 1 : 0;
}

#define UNIT_MAIN(suites) \
	int main(void) { return unit_run(suites, sizeof(suites) / sizeof(suites[0])); }

#endif
