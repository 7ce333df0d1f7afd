/* A recorded program's own seccomp: filters, strict mode, and the answers
 * they give (docs/recording.md, "Programs' seccomp filters").
 *
 * The program's filter is installed for real, rewritten
 * (replay/seccomp_filter.h) so that every ERRNO or TRACE answer becomes a
 * ptrace stop with data naming it; at that stop the recorder skips the
 * call and sets the result the filter asked for, and the call is recorded
 * with EV_SYSCALL_SKIPPED, which tells replay to emulate it whatever the
 * syscall.  TRAP and KILL answers are left to the kernel:
 * the SIGSYS is a synchronous signal, the kill a death, both recorded as
 * such.  Strict mode becomes an equivalent filter (a thread under xrr's
 * own filter cannot enter strict mode).
 *
 * The rewritten copy lives below the thread's stack pointer for the
 * duration of the call; the bytes there and the argument registers are
 * put back at its exit stop.  A process with a filter of its own stops
 * using the syscall buffer (its wrappers make other calls than the
 * program would, e.g. preadv2 for read, which a filter may treat
 * differently): the control page goes to DISABLED, as part of the
 * event, so that replay does the same. */
#include "replay/recorder_internal.h"
#include "replay/seccomp_filter.h"
#include "replay/syscallbuf.h"

#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

/* Room below the stack pointer left alone (the red zone and more). */
#define BELOW_SP 256

struct seccomp_install {
	bool strict;            /* SECCOMP_MODE_STRICT, made a filter */
	bool tsync;             /* SECCOMP_FILTER_FLAG_TSYNC */
	uint64_t addr;          /* the copy: struct sock_fprog, then code */
	size_t len;
	uint8_t *saved;         /* what was there */
};

/* A syscall the program's filter answered: recorded with its number and
 * arguments, emulated in replay, nothing written. */
const struct syscall_desc rec_seccomp_answered_desc = {
	.nr = -1,
	.name = "answered by the program's seccomp filter",
	.nargs = 6,
	.replay = SC_EMULATE,
	.arg = { SA_HEX, SA_HEX, SA_HEX, SA_HEX, SA_HEX, SA_HEX },
};

/* Skip the call: orig_rax -1 (the kernel runs nothing and keeps rax),
 * rax the result. */
static int skip_with_result(struct recorder *r, struct rthread *t,
			    int64_t result)
{
	struct user_regs_struct g = t->entry_regs;
	struct task *tk = rec_task_of(t);

	g.orig_rax = (uint64_t)-1;
	g.rax = (uint64_t)result;
	if (!tk || task_set_gregs(t->proc, tk, &g) < 0)
		return rec_fail(r, "thread %d: skipping %s for its seccomp "
				"filter: %s", (int)t->tid,
				syscall_name(t->nr) ? syscall_name(t->nr) : "?",
				t->proc->err);
	return 0;
}

static int answer_by_filter(struct recorder *r, struct rthread *t,
			    uint16_t data)
{
	uint32_t value;

	if (data == SECCOMP_DATA_STRICT_KILL) {
		/* Strict mode kills with SIGKILL.  (The kernel kills only
		 * the calling thread; a whole process here, the same for
		 * the single-threaded programs strict mode is made for.) */
		if (kill(t->proc->pid, SIGKILL) < 0)
			return rec_fail(r, "thread %d: strict seccomp: kill: %s",
					(int)t->tid, strerror(errno));
		return 0;       /* dying: its exit status is on its way */
	}
	if (seccomp_answer_of(&r->seccomp_answers, data, &value) < 0)
		return rec_fail(r, "recording stopped: thread %d: a seccomp "
				"stop with data %u, which no filter xrr "
				"rewrote returns", (int)t->tid, data);
	return skip_with_result(r, t, seccomp_emulated_result(value));
}

static bool is_install(const struct rthread *t, bool *strict, uint64_t *flags)
{
	*flags = 0;
	if (t->nr == SYS_seccomp &&
	    (t->args[0] == SECCOMP_SET_MODE_STRICT ||
	     t->args[0] == SECCOMP_SET_MODE_FILTER)) {
		*strict = t->args[0] == SECCOMP_SET_MODE_STRICT;
		*flags = t->args[1];
		/* Strict mode takes no flags: the kernel says EINVAL. */
		return !*strict || (t->args[1] == 0 && t->args[2] == 0);
	}
	if (t->nr == SYS_prctl && t->args[0] == PR_SET_SECCOMP &&
	    (t->args[1] == SECCOMP_MODE_STRICT ||
	     t->args[1] == SECCOMP_MODE_FILTER)) {
		*strict = t->args[1] == SECCOMP_MODE_STRICT;
		return true;
	}
	return false;
}

/* The program's filter, read from its memory: code[0..*n), or 0 when the
 * kernel itself will refuse the call (EFAULT, EINVAL). */
static int read_program_filter(struct recorder *r, struct rthread *t,
			       struct sock_filter **code, size_t *n)
{
	struct { uint16_t len; uint16_t pad[3]; uint64_t filter; } fprog;

	*code = NULL;
	if (rec_read_fn(r, t->args[2], &fprog, sizeof(fprog)) < 0 ||
	    fprog.len == 0 || fprog.len > SECCOMP_FILTER_MAX_INSNS)
		return 0;
	*code = malloc(fprog.len * sizeof(**code));
	if (!*code)
		return rec_fail(r, "thread %d: out of memory for a seccomp "
				"filter", (int)t->tid);
	if (rec_read_fn(r, fprog.filter, *code, fprog.len * sizeof(**code)) < 0) {
		free(*code);
		*code = NULL;
		return 0;
	}
	*n = fprog.len;
	return 0;
}

/* Put the copy (struct sock_fprog, then the code) below the stack
 * pointer, keeping what was there. */
static int place_copy(struct recorder *r, struct rthread *t,
		      const struct sock_filter *code, size_t n,
		      struct seccomp_install *in)
{
	uint64_t sp = t->entry_regs.rsp, start, end;
	size_t len = 16 + n * sizeof(*code);
	uint64_t addr = (sp - BELOW_SP - len) & ~15ull;
	uint8_t *buf = malloc(len);

	in->saved = malloc(len);
	if (!buf || !in->saved) {
		free(buf);
		return rec_fail(r, "thread %d: out of memory for a seccomp "
				"filter", (int)t->tid);
	}
	if (rec_mapping_of(r, sp - 1, &start, &end) < 0 || addr < start) {
		free(buf);
		return rec_fail(r, "recording stopped: thread %d: installing "
				"a seccomp filter: no room for xrr's copy of it "
				"(%zu bytes) below the stack pointer %#llx",
				(int)t->tid, len,
				(unsigned long long)t->entry_regs.rsp);
	}
	struct { uint16_t len; uint16_t pad[3]; uint64_t filter; } fprog = {
		.len = (uint16_t)n, .filter = addr + 16 };
	memcpy(buf, &fprog, 16);
	memcpy(buf + 16, code, n * sizeof(*code));
	int rc = 0;
	if (rec_read_fn(r, addr, in->saved, len) < 0 ||
	    process_write_memory(t->proc, addr, buf, len) != (ssize_t)len)
		rc = rec_fail(r, "thread %d: writing the seccomp filter's copy "
			      "at %#llx: %s", (int)t->tid,
			      (unsigned long long)addr, t->proc->err);
	free(buf);
	in->addr = addr;
	in->len = len;
	return rc;
}

/* Point the call at the copy: seccomp(FILTER, flags, copy) or
 * prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, copy). */
static int redirect_call(struct recorder *r, struct rthread *t,
			 const struct seccomp_install *in)
{
	struct user_regs_struct g = t->entry_regs;
	struct task *tk = rec_task_of(t);

	if (t->nr == SYS_seccomp) {
		g.rdi = SECCOMP_SET_MODE_FILTER;
		if (in->strict)
			g.rsi = 0;
	} else {
		g.rsi = SECCOMP_MODE_FILTER;
	}
	g.rdx = in->addr;
	if (!tk || task_set_gregs(t->proc, tk, &g) < 0)
		return rec_fail(r, "thread %d: redirecting the seccomp call: %s",
				(int)t->tid, t->proc->err);
	return 0;
}

static int begin_install(struct recorder *r, struct rthread *t, bool strict,
			 uint64_t flags)
{
	struct sock_filter *code = NULL, *out = NULL;
	size_t n = 0;
	long len;
	char err[256];

	if (strict) {
		out = malloc(SECCOMP_STRICT_INSNS * sizeof(*out));
		len = out ? (long)seccomp_strict_filter(out) : -1;
		if (!out)
			return rec_fail(r, "out of memory");
	} else {
		if (read_program_filter(r, t, &code, &n) < 0)
			return -1;
		/* (libseccomp probes flags with a NULL filter: EFAULT.) */
		if (!code)
			return 0;       /* the kernel refuses it as it is */
		if (flags & SECCOMP_FILTER_FLAG_NEW_LISTENER) {
			free(code);
			return rec_fail(r, "recording stopped: thread %d: "
					"seccomp filter with SECCOMP_FILTER_FLAG_"
					"NEW_LISTENER: a supervisor answering "
					"syscalls through a notification fd is "
					"not recorded", (int)t->tid);
		}
		out = malloc((n + SECCOMP_PROLOGUE_INSNS) * sizeof(*out));
		len = out ? seccomp_rewrite(code, n, &r->seccomp_answers, out,
					    err, sizeof(err))
			  : (snprintf(err, sizeof(err), "out of memory"), -1);
		free(code);
		if (len < 0) {
			free(out);
			return rec_fail(r, "recording stopped: thread %d: %s",
					(int)t->tid, err);
		}
	}
	struct seccomp_install *in = calloc(1, sizeof(*in));
	if (!in) {
		free(out);
		return rec_fail(r, "out of memory");
	}
	in->strict = strict;
	in->tsync = (flags & SECCOMP_FILTER_FLAG_TSYNC) != 0;
	t->seccomp_install = in;
	int rc = place_copy(r, t, out, (size_t)len, in);
	free(out);
	if (rc < 0)
		return -1;
	return redirect_call(r, t, in);
}

int rec_seccomp_entry(struct recorder *r, struct rthread *t, uint16_t data)
{
	bool strict;
	uint64_t flags;

	if (data && !syscallbuf_private_nr(t->nr)) {
		if (answer_by_filter(r, t, data) < 0)
			return -1;
		return 1;
	}
	/* The kernel would count xrr's filter: the program's own mode. */
	if (t->nr == SYS_prctl && t->args[0] == PR_GET_SECCOMP)
		return skip_with_result(r, t, t->seccomp_mode);
	if (is_install(t, &strict, &flags))
		return begin_install(r, t, strict, flags);
	return 0;
}

/* A process with a filter of its own makes its calls on the traced path
 * (the buffer's wrappers make other calls than the program would). */
int rec_syscallbuf_disable(struct recorder *r, struct rthread *t)
{
	int mode = syscallbuf_get_mode(t->proc);

	if (!r->syscall_buffer || mode < 0)
		return 0;
	if (syscallbuf_set_mode(t->proc, XRR_SB_MODE_DISABLED) < 0)
		return rec_fail(r, "thread %d: turning the syscall buffer off: "
				"%s", (int)t->tid, strerror(errno));
	t->sb_control_changed = true;
	return 0;
}

int rec_seccomp_exit(struct recorder *r, struct rthread *t)
{
	struct seccomp_install *in = t->seccomp_install;
	struct user_regs_struct g;
	struct task *tk = rec_task_of(t);
	int rc = 0;

	if (!in)
		return 0;
	t->seccomp_install = NULL;
	if (!tk || task_get_gregs(t->proc, tk, &g) < 0) {
		rc = rec_fail(r, "thread %d: after a seccomp install: %s",
			      (int)t->tid, t->proc->err);
		goto out;
	}
	g.rdi = t->entry_regs.rdi;
	g.rsi = t->entry_regs.rsi;
	g.rdx = t->entry_regs.rdx;
	if (task_set_gregs(t->proc, tk, &g) < 0 ||
	    process_write_memory(t->proc, in->addr, in->saved, in->len) !=
	    (ssize_t)in->len) {
		rc = rec_fail(r, "thread %d: restoring what a seccomp install "
			      "borrowed: %s", (int)t->tid, t->proc->err);
		goto out;
	}
	if ((int64_t)g.rax != 0)
		goto out;       /* refused, or TSYNC naming a thread */
	uint8_t mode = in->strict ? SECCOMP_MODE_STRICT : SECCOMP_MODE_FILTER;
	t->seccomp_mode = mode;
	if (in->tsync)
		for (size_t i = 0; i < r->nthreads; i++)
			if (r->threads[i].proc == t->proc &&
			    r->threads[i].state != RT_DEAD)
				r->threads[i].seccomp_mode = mode;
	rc = rec_syscallbuf_disable(r, t);
out:
	free(in->saved);
	free(in);
	return rc;
}

void rec_seccomp_forget(struct rthread *t)
{
	if (t->seccomp_install) {
		free(t->seccomp_install->saved);
		free(t->seccomp_install);
		t->seccomp_install = NULL;
	}
}
