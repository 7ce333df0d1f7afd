/* Detection and use of kernel ISA controls: ARCH_SET_XCR0 (patched
 * kernels) and CPUID faulting (replay/xcr0_kernel.h, docs/xcr0.md). */
#include "config.h"

#include "replay/xcr0_kernel.h"

#include <cpuid.h>
#include <errno.h>
#include <inttypes.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "replay/task.h"
#include "replay/xsave.h"

/* A legal XCR0 smaller than any XSAVE machine's: proves the option
 * really changes XCR0 (the no-op probe alone could be a dummy). */
#define PROBE_SMALL_XCR0 0x3ull

/* ---- option number ------------------------------------------------------- */

int xcr0_kernel_option(const char *env, const char **source)
{
	if (env && *env) {
		char *end;
		errno = 0;
		long v = strtol(env, &end, 0);
		*source = "XRR_ARCH_SET_XCR0";
		if (errno || *end || v <= 0 || v > 0xffff)
			return -1;
		return (int)v;
	}
#ifdef XRR_ARCH_SET_XCR0_DEFAULT
	*source = "configure";
	return XRR_ARCH_SET_XCR0_DEFAULT;
#else
	*source = "none";
	return 0;
#endif
}

const char *xcr0_kernel_strerror(int err)
{
	switch (err) {
	case ENODEV:
		return "ENODEV: no XSAVE, or a component the kernel does not"
		       " enable";
	case EINVAL:
		return "EINVAL: not a legal XCR0 value (or an unknown option)";
	case EPERM:
		return "EPERM: a component being disabled is not in its init"
		       " state";
	default:
		return strerror(err);
	}
}

/* ---- detection ------------------------------------------------------------- */

#define REASON(out, ...) snprintf((out)->xcr0_reason, sizeof((out)->xcr0_reason), __VA_ARGS__)

/* Step 1: the option with a pointer to a zeroed u64.  A mainline kernel
 * (0x1021 = ARCH_GET_XCOMP_SUPP) writes the supported mask there; the
 * RFC's ARCH_SET_XCR0 refuses the pointer as an XCR0 (EINVAL: its high
 * bits are reserved).  Returns true when probing may go on. */
static bool pointer_probe(const struct xcr0_kernel_ops *ops, int option,
			  uint64_t supported, struct xcr0_kernel_probe *out)
{
	uint64_t v = 0;
	long rc = ops->arch_prctl(ops->ctx, option, (unsigned long)(uintptr_t)&v);

	if (rc == 0 && v && (v & 3) == 3 && (v & ~supported) == 0) {
		REASON(out, "arch_prctl %#x wrote %#" PRIx64 " through a pointer:"
		       " it is ARCH_GET_XCOMP_SUPP on this kernel, not"
		       " ARCH_SET_XCR0 (refused)", option, v);
		return false;
	}
	if (rc == 0) {
		REASON(out, "arch_prctl %#x accepted a pointer (wrote %#" PRIx64
		       "): not the RFC's ARCH_SET_XCR0 (refused)", option, v);
		return false;
	}
	if (rc == -EINVAL)
		return true;
	REASON(out, "arch_prctl %#x with a pointer: %s", option,
	       xcr0_kernel_strerror((int)-rc));
	return false;
}

/* Steps 2 and 3, in throwaway children: the current XCR0 (a no-op), then
 * a smaller one, each checked with XGETBV afterwards. */
static bool set_probe(const struct xcr0_kernel_ops *ops, int option,
		      uint64_t value, struct xcr0_kernel_probe *out)
{
	uint64_t after = 0;
	long rc = ops->arch_prctl_child(ops->ctx, option, (unsigned long)value,
					&after);

	if (rc < 0) {
		REASON(out, "arch_prctl %#x, %#" PRIx64 " in a probe child: %s",
		       option, value, xcr0_kernel_strerror((int)-rc));
		return false;
	}
	if (after != value) {
		REASON(out, "arch_prctl %#x, %#" PRIx64 " succeeded but XGETBV"
		       " then read %#" PRIx64 " (refused)", option, value, after);
		return false;
	}
	return true;
}

void xcr0_kernel_detect(const struct xcr0_kernel_ops *ops, int option,
			uint64_t host_xcr0, uint64_t supported,
			struct xcr0_kernel_probe *out)
{
	out->option = option;
	out->xcr0_control = false;
	if (option <= 0) {
		REASON(out, "no ARCH_SET_XCR0 option configured (configure"
		       " --with-arch-set-xcr0=NUM or XRR_ARCH_SET_XCR0)");
		return;
	}
	if (!host_xcr0) {
		REASON(out, "this CPU or kernel has no XSAVE (OSXSAVE clear)");
		return;
	}
	if (!pointer_probe(ops, option, supported, out) ||
	    !set_probe(ops, option, host_xcr0, out) ||
	    !set_probe(ops, option, PROBE_SMALL_XCR0, out))
		return;
	out->xcr0_control = true;
	REASON(out, "arch_prctl %#x: refused a pointer, set %#" PRIx64 " and"
	       " %#llx in probe children", option, host_xcr0, PROBE_SMALL_XCR0);
}

void xcr0_kernel_detect_cpuid_faulting(const struct xcr0_kernel_ops *ops,
				       struct xcr0_kernel_probe *out)
{
	int rc = ops->cpuid_faulting_child(ops->ctx);

	out->cpuid_faulting = rc == 1;
	if (rc == 1)
		snprintf(out->cpuid_reason, sizeof(out->cpuid_reason),
			 "CPUID faulted under ARCH_SET_CPUID in a probe child");
	else if (rc == 0)
		snprintf(out->cpuid_reason, sizeof(out->cpuid_reason),
			 "ARCH_SET_CPUID succeeded but CPUID did not fault"
			 " (hypervisor advertises faulting it does not do)");
	else
		snprintf(out->cpuid_reason, sizeof(out->cpuid_reason),
			 "ARCH_SET_CPUID: %s", strerror(-rc));
}

/* ---- this machine --------------------------------------------------------- */

static long host_arch_prctl(void *ctx, int option, unsigned long arg)
{
	(void)ctx;
	long rc = syscall(SYS_arch_prctl, option, arg);
	return rc < 0 ? -errno : rc;
}

static uint64_t xgetbv0(void)
{
	uint32_t lo, hi;

	__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	return ((uint64_t)hi << 32) | lo;
}

struct child_report {
	long rc;
	uint64_t value;
};

/* Run fn in a forked child and collect its report through a pipe. */
static int in_child(void (*fn)(void *arg, struct child_report *rep),
		    void *arg, struct child_report *rep)
{
	int fds[2];

	if (pipe(fds) < 0)
		return -errno;
	pid_t pid = fork();
	if (pid < 0) {
		int e = errno;
		close(fds[0]);
		close(fds[1]);
		return -e;
	}
	if (pid == 0) {
		struct child_report r = { -ENOSYS, 0 };
		close(fds[0]);
		fn(arg, &r);
		ssize_t n = write(fds[1], &r, sizeof(r));
		_exit(n == (ssize_t)sizeof(r) ? 0 : 1);
	}
	close(fds[1]);
	ssize_t n = read(fds[0], rep, sizeof(*rep));
	close(fds[0]);
	int status;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return n == (ssize_t)sizeof(*rep) ? 0 : -EIO;
}

struct set_args {
	int option;
	unsigned long value;
};

static void child_set(void *arg, struct child_report *rep)
{
	const struct set_args *a = arg;

	rep->rc = host_arch_prctl(NULL, a->option, a->value);
	rep->value = xgetbv0();
}

static long host_arch_prctl_child(void *ctx, int option, unsigned long arg,
				  uint64_t *after)
{
	struct set_args a = { option, arg };
	struct child_report rep;
	(void)ctx;

	int rc = in_child(child_set, &a, &rep);
	if (rc < 0)
		return rc;
	*after = rep.value;
	return rep.rc;
}

static sigjmp_buf cpuid_jmp;

static void cpuid_segv(int sig)
{
	(void)sig;
	siglongjmp(cpuid_jmp, 1);
}

static void child_cpuid(void *arg, struct child_report *rep)
{
	unsigned int a, b, c, d;
	(void)arg;

	rep->rc = host_arch_prctl(NULL, XRR_ARCH_SET_CPUID, 0);
	if (rep->rc < 0)
		return;
	signal(SIGSEGV, cpuid_segv);
	if (sigsetjmp(cpuid_jmp, 1)) {
		rep->rc = 1;
		return;
	}
	__cpuid(0, a, b, c, d);
	rep->rc = 0;
	rep->value = a;
}

static int host_cpuid_faulting_child(void *ctx)
{
	struct child_report rep;
	(void)ctx;

	int rc = in_child(child_cpuid, NULL, &rep);
	return rc < 0 ? rc : (int)rep.rc;
}

const struct xcr0_kernel_ops xcr0_kernel_host_ops = {
	.arch_prctl = host_arch_prctl,
	.arch_prctl_child = host_arch_prctl_child,
	.cpuid_faulting_child = host_cpuid_faulting_child,
	.ctx = NULL,
};

void xcr0_kernel_detect_host(struct xcr0_kernel_probe *out)
{
	struct xsave_layout l;
	const char *source = "none";

	memset(out, 0, sizeof(*out));
	int option = xcr0_kernel_option(getenv("XRR_ARCH_SET_XCR0"), &source);
	out->source = source;
	if (option < 0) {
		out->option = 0;
		REASON(out, "XRR_ARCH_SET_XCR0=%s is not an option number",
		       getenv("XRR_ARCH_SET_XCR0"));
	} else {
		uint64_t supported = xsave_layout_host(&l) == 0 ?
				     l.supported_xcr0 : 0;
		xcr0_kernel_detect(&xcr0_kernel_host_ops, option,
				   xsave_host_xcr0(), supported, out);
	}
	xcr0_kernel_detect_cpuid_faulting(&xcr0_kernel_host_ops, out);
}

/* ---- use ---------------------------------------------------------------------- */

int xcr0_kernel_set_thread(struct process *p, struct task *t, int option,
			   uint64_t xcr0, char *err, size_t errlen)
{
	long args[6] = { option, (long)xcr0, 0, 0, 0, 0 }, res = 0;

	if (task_remote_syscall(p, t, SYS_arch_prctl, args, &res) < 0) {
		snprintf(err, errlen, "thread %d: remote arch_prctl(%#x, %#"
			 PRIx64 "): %s", (int)t->tid, option, xcr0, p->err);
		return -1;
	}
	if (res < 0) {
		snprintf(err, errlen, "thread %d: arch_prctl(%#x, %#" PRIx64
			 ") refused: %s", (int)t->tid, option, xcr0,
			 xcr0_kernel_strerror((int)-res));
		return -1;
	}
	return 0;
}
