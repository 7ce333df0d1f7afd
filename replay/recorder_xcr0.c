/* Recording under a virtual XCR0 (xrr record --xcr0 MASK): the kernel
 * backend where ARCH_SET_XCR0 works, instruction virtualisation
 * otherwise (replay/insn_virt.h, docs/xcr0.md).  The recorder calls in
 * here at exec, at mmap/mprotect/munmap exits, at SIGILL stops and when
 * it releases a forked child. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "common/xcr0.h"
#include "replay/insn_virt.h"
#include "replay/ns_view.h"
#include "replay/recorder_internal.h"
#include "replay/trace_codec.h"
#include "replay/xcr0_kernel.h"
#include "replay/xsave_model.h"

enum { SYS_MMAP = 9, SYS_MPROTECT = 10, SYS_MUNMAP = 11 };

int rec_xcr0_validate(uint64_t xcr0, char *err, size_t errlen)
{
	struct xsave_layout l;
	char why[256], text[160];

	if (xsave_layout_host(&l) < 0) {
		snprintf(err, errlen, "--xcr0: this machine has no XSAVE (CPUID"
			 " leaf 0xD)");
		return -1;
	}
	if (xsave_model_check(xcr0, l.supported_xcr0, why, sizeof(why)) < 0) {
		snprintf(err, errlen, "XCR0 %s is not legal: %s",
			 xcr0_format(text, sizeof(text), xcr0), why);
		return -1;
	}
	uint64_t host = xsave_host_xcr0();
	if (xcr0 & ~host) {
		xcr0_format(text, sizeof(text), xcr0 & ~host);
		snprintf(err, errlen, "XCR0 %#" PRIx64 " enables %s, which this"
			 " machine's kernel does not (host XCR0 %#" PRIx64 "):"
			 " a virtual XCR0 can only be smaller", xcr0, text, host);
		return -1;
	}
	return 0;
}

int rec_xcr0_setup(struct recorder *r, struct trace_header *h, char *err,
		   size_t errlen)
{
	uint64_t want = r->opts->xcr0;

	if (!want || want == h->host_xcr0)
		return 0;
	if (rec_xcr0_validate(want, err, errlen) < 0)
		return -1;
	r->virt_xcr0 = want;
	struct xcr0_kernel_probe kp;
	xcr0_kernel_detect_host(&kp);
	h->cpuid_faulting = false;      /* not used for emulation yet */
	if (kp.xcr0_control) {
		r->kernel_xcr0_option = kp.option;
		h->kernel_xcr0_control = true;
		return 0;
	}
	h->insn_virt = TRACE_INSN_VIRT_PATCH;
	return 0;
}

/* The site table needs the header the trace keeps (its CPUID array). */
int rec_xcr0_start(struct recorder *r)
{
	struct trace_header *h = trace_header_mut(r->trace);

	if (h->insn_virt != TRACE_INSN_VIRT_PATCH)
		return 0;
	struct insn_virt_cpu cpu = { h->cpuid, h->ncpuid, &h->xsave,
				     h->host_xcr0 };
	r->iv = insn_virt_new(&cpu);
	if (!r->iv)
		return rec_fail(r, "instruction virtualisation: out of memory");
	return 0;
}

void rec_xcr0_finish(struct recorder *r)
{
	if (r->iv && getenv("XRR_INSN_VIRT_STATS")) {
		const struct insn_virt_stats *s = insn_virt_stats(r->iv);
		fprintf(stderr, "xrr: insn-virt: files %" PRIu64 " bytes %" PRIu64
			" undecodable %" PRIu64 " patched %" PRIu64 " scan_us %"
			PRIu64 " patch_us %" PRIu64 " traps cpuid %" PRIu64
			" xgetbv %" PRIu64 " xsave %" PRIu64 " xrstor %" PRIu64
			" trap_us %" PRIu64 "\n", s->files_scanned,
			s->bytes_scanned, s->undecodable, s->patched,
			s->scan_ns / 1000, s->patch_ns / 1000,
			s->traps[INSN_CPUID], s->traps[INSN_XGETBV],
			s->traps[INSN_XSAVE], s->traps[INSN_XRSTOR],
			s->trap_ns / 1000);
	}
	insn_virt_free(r->iv);
	r->iv = NULL;
}

uint64_t rec_xcr0_of_thread(struct recorder *r, uint64_t real)
{
	return r->virt_xcr0 ? r->virt_xcr0 : real;
}

/* ---- sites ---------------------------------------------------------------------- */

static int write_sites(struct recorder *r, const struct insn_site *s, size_t n)
{
	struct trace_buf b;

	if (!n)
		return 0;
	trace_buf_init(&b);
	insn_sites_encode(r->nevents, s, n, &b);
	int rc = trace_writer_append(r->w[TRACE_STREAM_TASKS],
				     TRACE_REC_INSN_SITES, b.data, b.len);
	trace_buf_free(&b);
	if (rc < 0)
		return rec_fail(r, "writing the tasks stream: %s",
				trace_writer_error(r->w[TRACE_STREAM_TASKS]));
	return 0;
}

/* Patch a file mapping [start, end) at file offset off, opened via path. */
static int patch_path(struct recorder *r, const char *path, uint64_t start,
		      uint64_t end, uint64_t off, struct insn_site **added,
		      size_t *nadded)
{
	char err[512];
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return rec_fail(r, "instruction virtualisation: opening %s"
				" (mapped executable at %#" PRIx64 "): %s", path,
				start, strerror(errno));
	int rc = insn_virt_patch_mapping(r->iv, r->proc, fd, start, end, off,
					 added, nadded, err, sizeof(err));
	close(fd);
	if (rc < 0)
		return rec_fail(r, "instruction virtualisation: %s at %#" PRIx64
				": %s", path, start, err);
	return 0;
}

/* Every executable file mapping overlapping [lo, hi) per /proc maps
 * (map_files reaches the mapped inode even if the name is gone). */
static int patch_maps(struct recorder *r, uint64_t lo, uint64_t hi)
{
	char path[64], line[4400], file[4200], perms[8], mf[128], named[4200];
	struct insn_site *added = NULL;
	size_t nadded = 0;
	int rc = 0;

	snprintf(path, sizeof(path), "/proc/%d/maps", (int)r->proc->pid);
	FILE *f = fopen(path, "re");
	if (!f)
		return rec_fail(r, "%s: %s", path, strerror(errno));
	while (rc == 0 && fgets(line, sizeof(line), f)) {
		unsigned long long s, e, off;
		file[0] = 0;
		if (sscanf(line, "%llx-%llx %7s %llx %*s %*s %4199[^\n]", &s, &e,
			   perms, &off, file) < 4 || perms[2] != 'x' ||
		    file[0] != '/' || e <= lo || s >= hi)
			continue;
		snprintf(mf, sizeof(mf), "/proc/%d/map_files/%llx-%llx",
			 (int)r->proc->pid, s, e);
		/* Without map_files (no privilege): the file by the name the
		 * program sees it under (its mount namespace). */
		if (access(mf, R_OK) != 0 &&
		    ns_view_name(r->proc->pid, file, named, sizeof(named)))
			snprintf(file, sizeof(file), "%s", named);
		rc = patch_path(r, access(mf, R_OK) == 0 ? mf : file, s, e, off,
				&added, &nadded);
	}
	fclose(f);
	if (rc == 0)
		rc = write_sites(r, added, nadded);
	free(added);
	return rc;
}

int rec_xcr0_exec(struct recorder *r, struct rthread *t)
{
	char err[512];

	if (r->kernel_xcr0_option) {
		struct task *tk = process_find_task(r->proc, t->tid);
		if (!tk || xcr0_kernel_set_thread(r->proc, tk,
						  r->kernel_xcr0_option,
						  r->virt_xcr0, err,
						  sizeof(err)) < 0)
			return rec_fail(r, "--xcr0 through the kernel: %s", err);
		return 0;
	}
	if (!r->iv)
		return 0;
	insn_virt_forget_range(r->iv, 0, UINT64_MAX);   /* new image */
	return patch_maps(r, 0, UINT64_MAX);
}

int rec_xcr0_new_thread(struct recorder *r, pid_t tid)
{
	char err[512];
	struct task *tk = process_find_task(r->proc, tid);

	if (!r->kernel_xcr0_option || !tk)
		return 0;
	if (xcr0_kernel_set_thread(r->proc, tk, r->kernel_xcr0_option,
				   r->virt_xcr0, err, sizeof(err)) < 0)
		return rec_fail(r, "--xcr0 through the kernel: %s", err);
	return 0;
}

int rec_xcr0_syscall(struct recorder *r, long nr, const uint64_t *args,
		     int64_t result)
{
	if (!r->iv || result < 0)
		return 0;
	uint64_t addr = nr == SYS_MMAP ? (uint64_t)result : args[0];
	uint64_t len = (args[1] + 4095) & ~4095ull;
	switch (nr) {
	case SYS_MMAP:
		insn_virt_forget_range(r->iv, addr, addr + len);
		if ((args[2] & PROT_EXEC) && !(args[3] & MAP_ANONYMOUS))
			return patch_maps(r, addr, addr + len);
		return 0;
	case SYS_MPROTECT:
		if (args[2] & PROT_EXEC)
			return patch_maps(r, addr, addr + len);
		return 0;
	case SYS_MUNMAP:
		insn_virt_forget_range(r->iv, addr, addr + len);
		return 0;
	default:
		return 0;
	}
}

int rec_xcr0_trap(struct recorder *r, struct rthread *t, siginfo_t *fault)
{
	char err[512];
	struct task *tk = process_find_task(r->proc, t->tid);

	if (!r->iv || !tk)
		return INSN_TRAP_NOT_OURS;
	int rc = insn_virt_handle_trap(r->iv, r->proc, tk, t->xcr0, fault, err,
				       sizeof(err));
	if (rc < 0)
		return rec_fail(r, "instruction virtualisation: %s", err);
	/* Signals that arrived during the emulation wait for the thread's
	 * next syscall boundary like any asynchronous signal, siginfo kept. */
	siginfo_t held[INSN_VIRT_MAX_HELD];
	size_t n = insn_virt_take_held(r->iv, held, INSN_VIRT_MAX_HELD);
	for (size_t i = 0; i < n; i++) {
		if (t->ndeferred == RT_MAX_DEFERRED)
			return rec_fail(r, "thread %d: more than %d signals waiting"
					" for a system call", (int)t->tid,
					RT_MAX_DEFERRED);
		t->deferred[t->ndeferred++] = held[i];
	}
	return rc;
}

/* ---- one site set per process ----------------------------------------------------- */

static size_t proc_index(struct recorder *r, const struct process *p)
{
	for (size_t i = 0; i < r->nprocs; i++)
		if (r->procs[i] == p)
			return i;
	return SIZE_MAX;
}

/* The owner's live sites go back to its slot; the table is empty. */
static void return_sites(struct recorder *r)
{
	size_t i = r->iv_owner ? proc_index(r, r->iv_owner) : SIZE_MAX;

	if (i != SIZE_MAX)
		insn_virt_swap_sites(r->iv, &r->proc_sites[i]);
	r->iv_owner = NULL;
}

void rec_xcr0_use_process(struct recorder *r, struct process *p)
{
	if (!r->iv || r->iv_owner == p)
		return;
	return_sites(r);
	size_t i = proc_index(r, p);
	if (i == SIZE_MAX)
		return;
	insn_virt_swap_sites(r->iv, &r->proc_sites[i]);
	r->iv_owner = p;
}

int rec_xcr0_fork(struct recorder *r, struct process *parent,
		  struct process *child)
{
	size_t c = proc_index(r, child), pi = proc_index(r, parent);

	if (!r->iv || c == SIZE_MAX)
		return 0;
	int rc = r->iv_owner == parent
		 ? insn_virt_copy_sites(r->iv, &r->proc_sites[c])
		 : pi != SIZE_MAX
		 ? insn_site_set_copy(&r->proc_sites[c], &r->proc_sites[pi])
		 : 0;
	if (rc < 0)
		return rec_fail(r, "instruction virtualisation: out of memory");
	return 0;
}

void rec_xcr0_drop_process(struct recorder *r, struct process *p)
{
	size_t i = proc_index(r, p);

	if (!r->iv || i == SIZE_MAX)
		return;
	if (r->iv_owner == p)
		return_sites(r);
	insn_site_set_free(&r->proc_sites[i]);
	/* remove_process moves the last process into slot i. */
	if (i != r->nprocs - 1) {
		r->proc_sites[i] = r->proc_sites[r->nprocs - 1];
		memset(&r->proc_sites[r->nprocs - 1], 0,
		       sizeof(r->proc_sites[0]));
	}
}

