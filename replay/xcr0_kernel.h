/* Kernel control of the ISA a program sees: a per-thread XCR0 arch_prctl
 * (the ARCH_SET_XCR0 RFC, carried only by patched kernels) and CPUID
 * faulting (ARCH_SET_CPUID).
 *
 * Detection never hands arch_prctl an XCR0 value before it knows the
 * option is not mainline's ARCH_GET_XCOMP_SUPP (0x1021 since Linux
 * 5.16, which writes through arg2): docs/xcr0.md "Detecting kernel XCR0
 * control" gives the sequence.  The system calls go through an ops table
 * so the decision logic can be tested with a fake kernel. */
#ifndef XRR_REPLAY_XCR0_KERNEL_H
#define XRR_REPLAY_XCR0_KERNEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct process;
struct task;

#define XRR_ARCH_GET_XCOMP_SUPP 0x1021
#define XRR_ARCH_SET_CPUID 0x1012

struct xcr0_kernel_ops {
	/* arch_prctl(option, arg) in this process: result, or -errno. */
	long (*arch_prctl)(void *ctx, int option, unsigned long arg);
	/* arch_prctl(option, arg) in a throwaway child, which then reports
	 * XGETBV(0) in *xcr0_after: result or -errno. */
	long (*arch_prctl_child)(void *ctx, int option, unsigned long arg,
				 uint64_t *xcr0_after);
	/* In a child: ARCH_SET_CPUID(0), then execute CPUID under a SIGSEGV
	 * handler.  1: CPUID faulted; 0: it ran; -errno: ARCH_SET_CPUID
	 * failed. */
	int (*cpuid_faulting_child)(void *ctx);
	void *ctx;
};

/* This machine's kernel. */
extern const struct xcr0_kernel_ops xcr0_kernel_host_ops;

struct xcr0_kernel_probe {
	int option;             /* arch_prctl number tried; 0: none configured */
	const char *source;     /* "XRR_ARCH_SET_XCR0", "configure" or "none" */
	bool xcr0_control;      /* per-thread XCR0 works */
	char xcr0_reason[256];  /* why not, or how it was verified */
	bool cpuid_faulting;
	char cpuid_reason[160];
};

/* The configured option: $XRR_ARCH_SET_XCR0 (env, may be NULL), else the
 * configure default, else 0.  *source says which.  -1 if env is set but
 * not a number. */
int xcr0_kernel_option(const char *env, const char **source);

/* Run the detection sequence with ops. */
void xcr0_kernel_detect(const struct xcr0_kernel_ops *ops, int option,
			uint64_t host_xcr0, uint64_t supported,
			struct xcr0_kernel_probe *out);
void xcr0_kernel_detect_cpuid_faulting(const struct xcr0_kernel_ops *ops,
				       struct xcr0_kernel_probe *out);
/* Both, on this machine (environment and configure default). */
void xcr0_kernel_detect_host(struct xcr0_kernel_probe *out);

/* Give stopped thread t XCR0 `xcr0` by remote arch_prctl(option, xcr0).
 * 0, or -1 with the kernel's refusal in words (ENODEV, EINVAL, EPERM as
 * the RFC defines them). */
int xcr0_kernel_set_thread(struct process *p, struct task *t, int option,
			   uint64_t xcr0, char *err, size_t errlen);
/* Words for an ARCH_SET_XCR0 error (positive errno). */
const char *xcr0_kernel_strerror(int err);

#endif
