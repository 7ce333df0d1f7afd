/* Detection of kernel XCR0 control and CPUID faulting against FAKE
 * kernels: this machine (Linux 6.18 on a Zen 4 VM) has neither a
 * patched ARCH_SET_XCR0 nor CPUID faulting, so the successful paths can
 * only be exercised here.  Each fake answers like the kernel it stands
 * for and records every call, so the tests also check that 0x1021 is
 * never given an XCR0 value on a mainline kernel. */
#include "config.h"

#include <CUnit/CUnit.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "replay/xcr0_kernel.h"
#include "testsuite/unit/cunit_main.h"

enum fake_kind {
	MAINLINE,       /* 0x1021 = ARCH_GET_XCOMP_SUPP */
	OLD_KERNEL,     /* before 5.16: 0x1021 unknown */
	PATCHED,        /* the RFC's ARCH_SET_XCR0 */
	PATCHED_NODEV,  /* RFC kernel without XSAVE support for it */
	PATCHED_EPERM,  /* refuses to disable in-use components */
	DUMMY,          /* says yes, changes nothing */
};

struct call {
	int option;
	unsigned long arg;
	bool child;
};

struct fake_kernel {
	enum fake_kind kind;
	uint64_t xcr0, supported;
	int cpuid_result;
	struct call calls[16];
	int ncalls;
};

static bool looks_like_pointer(unsigned long v)
{
	return v >= 0x10000;
}

static long fake_set(struct fake_kernel *k, unsigned long v, uint64_t *xcr0)
{
	if (k->kind == OLD_KERNEL || k->kind == MAINLINE)
		return -EINVAL;
	if (k->kind == PATCHED_NODEV)
		return -ENODEV;
	if (!(v & 1) || (v & ~k->supported))
		return -EINVAL;
	if (k->kind == PATCHED_EPERM && v != k->xcr0)
		return -EPERM;
	if (k->kind != DUMMY)
		*xcr0 = v;
	return 0;
}

static long fake_arch_prctl(void *ctx, int option, unsigned long arg)
{
	struct fake_kernel *k = ctx;
	uint64_t xcr0 = k->xcr0;

	k->calls[k->ncalls++] = (struct call){ option, arg, false };
	if (option == 0x1021 && k->kind == MAINLINE) {
		if (!looks_like_pointer(arg))
			return -EFAULT;
		*(uint64_t *)arg = k->supported;
		return 0;
	}
	/* A pointer taken as XCR0: illegal high bits. */
	return fake_set(k, arg, &xcr0);
}

static long fake_arch_prctl_child(void *ctx, int option, unsigned long arg,
				  uint64_t *after)
{
	struct fake_kernel *k = ctx;
	uint64_t xcr0 = k->xcr0;

	k->calls[k->ncalls++] = (struct call){ option, arg, true };
	long rc = (option == 0x1021 && k->kind == MAINLINE) ? -EFAULT :
		  fake_set(k, arg, &xcr0);
	*after = xcr0;
	return rc;
}

static int fake_cpuid_child(void *ctx)
{
	return ((struct fake_kernel *)ctx)->cpuid_result;
}

static struct xcr0_kernel_probe run(struct fake_kernel *k, int option)
{
	struct xcr0_kernel_ops ops = { fake_arch_prctl, fake_arch_prctl_child,
				       fake_cpuid_child, k };
	struct xcr0_kernel_probe p;

	memset(&p, 0, sizeof(p));
	k->xcr0 = 0xe7;
	k->supported = 0xe7;
	xcr0_kernel_detect(&ops, option, 0xe7, 0xe7, &p);
	xcr0_kernel_detect_cpuid_faulting(&ops, &p);
	return p;
}

/* No call with option 0x1021 may carry something that is not a pointer,
 * unless an earlier pointer call was refused with EINVAL. */
static bool never_xcr0_before_pointer_refused(const struct fake_kernel *k)
{
	for (int i = 0; i < k->ncalls; i++) {
		if (looks_like_pointer(k->calls[i].arg))
			continue;
		if (i == 0 || !looks_like_pointer(k->calls[0].arg))
			return false;
		if (k->kind == MAINLINE)
			return false;
	}
	return true;
}

static void test_not_configured(void)
{
	struct fake_kernel k = { .kind = PATCHED, .cpuid_result = -ENODEV };
	struct xcr0_kernel_probe p = run(&k, 0);

	CU_ASSERT_FALSE(p.xcr0_control);
	CU_ASSERT_EQUAL(k.ncalls, 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(p.xcr0_reason, "no ARCH_SET_XCR0 option configured"));
}

static void test_mainline_refused(void)
{
	struct fake_kernel k = { .kind = MAINLINE, .cpuid_result = -ENODEV };
	struct xcr0_kernel_probe p = run(&k, 0x1021);

	CU_ASSERT_FALSE(p.xcr0_control);
	CU_ASSERT_EQUAL(k.ncalls, 1);
	CU_ASSERT_TRUE(looks_like_pointer(k.calls[0].arg));
	CU_ASSERT_FALSE(k.calls[0].child);
	CU_ASSERT_TRUE(never_xcr0_before_pointer_refused(&k));
	CU_ASSERT_PTR_NOT_NULL(strstr(p.xcr0_reason, "ARCH_GET_XCOMP_SUPP"));
	CU_ASSERT_PTR_NOT_NULL(strstr(p.xcr0_reason, "0xe7"));
}

static void test_old_kernel(void)
{
	struct fake_kernel k = { .kind = OLD_KERNEL, .cpuid_result = -ENODEV };
	struct xcr0_kernel_probe p = run(&k, 0x1021);

	CU_ASSERT_FALSE(p.xcr0_control);
	CU_ASSERT_EQUAL(k.ncalls, 2);
	CU_ASSERT_TRUE(k.calls[1].child);        /* the value only in a child */
	CU_ASSERT_EQUAL(k.calls[1].arg, 0xe7);   /* and only the no-op */
	CU_ASSERT_PTR_NOT_NULL(strstr(p.xcr0_reason, "EINVAL"));
}

static void test_patched(void)
{
	struct fake_kernel k = { .kind = PATCHED, .cpuid_result = 1 };
	struct xcr0_kernel_probe p = run(&k, 0x1021);

	CU_ASSERT_TRUE(p.xcr0_control);
	CU_ASSERT_EQUAL(k.ncalls, 3);
	CU_ASSERT_TRUE(looks_like_pointer(k.calls[0].arg));
	CU_ASSERT_TRUE(k.calls[1].child && k.calls[1].arg == 0xe7);
	CU_ASSERT_TRUE(k.calls[2].child && k.calls[2].arg == 0x3);
	CU_ASSERT_TRUE(never_xcr0_before_pointer_refused(&k));
	CU_ASSERT_TRUE(p.cpuid_faulting);
}

static void test_patched_other_number(void)
{
	struct fake_kernel k = { .kind = PATCHED, .cpuid_result = 0 };
	struct xcr0_kernel_probe p = run(&k, 0x1030);

	CU_ASSERT_TRUE(p.xcr0_control);
	CU_ASSERT_FALSE(p.cpuid_faulting);
	CU_ASSERT_PTR_NOT_NULL(strstr(p.cpuid_reason, "did not fault"));
}

static void test_patched_errors(void)
{
	struct fake_kernel k = { .kind = PATCHED_NODEV, .cpuid_result = -ENODEV };
	struct xcr0_kernel_probe p = run(&k, 0x1021);

	CU_ASSERT_FALSE(p.xcr0_control);
	CU_ASSERT_EQUAL(k.ncalls, 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(p.xcr0_reason, "ENODEV"));
	CU_ASSERT_FALSE(p.cpuid_faulting);
	CU_ASSERT_PTR_NOT_NULL(strstr(p.cpuid_reason, "ARCH_SET_CPUID"));

	struct fake_kernel k2 = { .kind = PATCHED_EPERM, .cpuid_result = -ENODEV };
	p = run(&k2, 0x1021);
	CU_ASSERT_FALSE(p.xcr0_control);
	CU_ASSERT_PTR_NOT_NULL(strstr(p.xcr0_reason, "EPERM"));

	struct fake_kernel k3 = { .kind = DUMMY, .cpuid_result = -ENODEV };
	p = run(&k3, 0x1021);
	CU_ASSERT_FALSE(p.xcr0_control);
	CU_ASSERT_PTR_NOT_NULL(strstr(p.xcr0_reason, "XGETBV then read 0xe7"));
}

static void test_option_number(void)
{
	const char *src = NULL;

	CU_ASSERT_EQUAL(xcr0_kernel_option("0x1021", &src), 0x1021);
	CU_ASSERT_STRING_EQUAL(src, "XRR_ARCH_SET_XCR0");
	CU_ASSERT_EQUAL(xcr0_kernel_option("4130", &src), 4130);
	CU_ASSERT_EQUAL(xcr0_kernel_option("junk", &src), -1);
	CU_ASSERT_EQUAL(xcr0_kernel_option("0", &src), -1);
	int v = xcr0_kernel_option(NULL, &src);
#ifdef XRR_ARCH_SET_XCR0_DEFAULT
	CU_ASSERT_EQUAL(v, XRR_ARCH_SET_XCR0_DEFAULT);
	CU_ASSERT_STRING_EQUAL(src, "configure");
#else
	CU_ASSERT_EQUAL(v, 0);
	CU_ASSERT_STRING_EQUAL(src, "none");
#endif
}

/* This machine: mainline 6.18, no CPUID faulting (as measured in
 * docs/xcr0.md).  If run elsewhere the assertions say what was found. */
static void test_this_host(void)
{
	struct xcr0_kernel_probe p;

	setenv("XRR_ARCH_SET_XCR0", "0x1021", 1);
	xcr0_kernel_detect_host(&p);
	unsetenv("XRR_ARCH_SET_XCR0");
	printf("\n  host: xcr0 control %d (%s)\n  host: cpuid faulting %d (%s)\n",
	       p.xcr0_control, p.xcr0_reason, p.cpuid_faulting, p.cpuid_reason);
	CU_ASSERT_FALSE(p.xcr0_control);
	CU_ASSERT_PTR_NOT_NULL(strstr(p.xcr0_reason, "ARCH_GET_XCOMP_SUPP"));
}

static const struct unit_test tests[] = {
	{ "not configured: no call at all", test_not_configured },
	{ "mainline 0x1021: one pointer call, refused", test_mainline_refused },
	{ "pre-5.16 kernel: EINVAL", test_old_kernel },
	{ "patched kernel: pointer, no-op, smaller", test_patched },
	{ "patched kernel, other number; faulting not working", test_patched_other_number },
	{ "ENODEV, EPERM, dummy", test_patched_errors },
	{ "option number from env/configure", test_option_number },
	{ "this host (mainline, real syscalls)", test_this_host },
	{ NULL, NULL },
};
static const struct unit_suite suites[] = {
	{ "kernel xcr0 detection", tests, NULL, NULL },
};
UNIT_MAIN(suites)
