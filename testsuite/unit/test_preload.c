/* The syscall buffer library (syscallbuf/xrr-preload.so) in record mode,
 * end to end, without xrr's recorder: a minimal ptrace tracer runs
 * testsuite/progs/sb_calls with LD_PRELOAD under the seccomp filter the
 * recorder installs (syscalls from XRR_SB_UNTRACED_IP pass, every other
 * one stops the tracer), answers the library's XRR_SYS_SB_REGISTER and
 * XRR_SYS_SB_FLUSH, switches the control page to RECORD, and at every
 * stop takes the records in [flushed, used) the way the recorder does,
 * checking sizes, sequence numbers and syscall numbers. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "syscallbuf/syscallbuf_abi.h"
#include "testsuite/unit/cunit_main.h"

#ifndef PROGS_DIR
#error "PROGS_DIR must name the directory of the test programs"
#endif
#ifndef PRELOAD_SO
#error "PRELOAD_SO must name the built xrr-preload.so"
#endif

extern char **environ;

/* The futex command without FUTEX_PRIVATE_FLAG and FUTEX_CLOCK_REALTIME. */
#define FUTEX_CMD_MASK_FOR_TEST (~(128L | 256L))

/* ---- running a program ---------------------------------------------- */

enum how {
	NATIVE,         /* no library, no tracer */
	PRELOAD_ONLY,   /* LD_PRELOAD, no tracer: buffering off */
	TRACED,         /* LD_PRELOAD under the seccomp filter and tracer */
};

/* Records as taken, in order: each a u64 buffer offset, then the record
 * and its data.  Recorded by a TRACED run with stats.log set, and played
 * back by a run with stats.replay set (control mode REPLAY). */
struct rlog {
	unsigned char *data;
	size_t len, cap;
};

static void rlog_add(struct rlog *l, uint64_t off, const void *rec,
		     size_t size)
{
	if (l->len + 8 + size > l->cap) {
		l->cap = (l->len + 8 + size) * 2;
		l->data = realloc(l->data, l->cap);
	}
	memcpy(l->data + l->len, &off, 8);
	memcpy(l->data + l->len + 8, rec, size);
	l->len += 8 + size;
}

/* The record at byte `pos` of l: its offset, header and size. */
static bool rlog_at(const struct rlog *l, size_t pos, uint64_t *off,
		    struct xrr_sb_record *r)
{
	if (pos + 8 + XRR_SB_RECORD_SIZE > l->len)
		return false;
	memcpy(off, l->data + pos, 8);
	memcpy(r, l->data + pos + 8, sizeof(*r));
	return r->size >= XRR_SB_RECORD_SIZE && pos + 8 + r->size <= l->len;
}

struct stats {
	int status;                     /* wait status of the program */
	unsigned long seccomp_stops;
	unsigned long records;
	unsigned long registers;
	unsigned long flushes;
	unsigned long bad;              /* malformed records, bad numbers */
	unsigned long stops_by_nr[512]; /* seccomp stops per syscall number */
	char why[256];                  /* the first problem */
	char out[16384];                /* the program's stdout */
	struct rlog *log;               /* in: keep the records here */
	const struct rlog *replay;      /* in: replay these records */
	size_t replay_pos;
	unsigned long waits;
};

static void bad(struct stats *s, const char *fmt, long a, long b)
{
	if (!s->bad++)
		snprintf(s->why, sizeof(s->why), fmt, a, b);
}

static void child_setup(enum how how, int out_fd)
{
	dup2(out_fd, 1);
	if (how != TRACED)
		return;
	/* Allow syscalls whose (post-syscall) ip is the untraced stub's. */
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			 offsetof(struct seccomp_data, instruction_pointer)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K,
			 (uint32_t)XRR_SB_UNTRACED_IP, 0, 3),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			 offsetof(struct seccomp_data, instruction_pointer) + 4),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K,
			 (uint32_t)(XRR_SB_UNTRACED_IP >> 32), 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRACE),
	};
	struct sock_fprog prog = { sizeof(f) / sizeof(f[0]), f };
	if (ptrace(PTRACE_TRACEME, 0, 0, 0) < 0 || raise(SIGSTOP) < 0 ||
	    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
	    syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0)
		_exit(126);
}

/* ---- the tracer ----------------------------------------------------- */

struct task {
	pid_t tid;
	uint64_t buffer;        /* 0: none registered */
	uint64_t next_seq;
	long pending;           /* a private call waiting for its exit stop */
};

#define MAX_TASKS 64

static struct task tasks[MAX_TASKS];

static struct task *task_get(pid_t tid)
{
	struct task *free_slot = NULL;

	for (int i = 0; i < MAX_TASKS; i++) {
		if (tasks[i].tid == tid)
			return &tasks[i];
		if (!tasks[i].tid && !free_slot)
			free_slot = &tasks[i];
	}
	if (free_slot) {
		memset(free_slot, 0, sizeof(*free_slot));
		free_slot->tid = tid;
	}
	return free_slot;
}

static bool mem_rw(pid_t tid, uint64_t addr, void *buf, size_t len, bool wr)
{
	struct iovec local = { buf, len };
	struct iovec remote = { (void *)(uintptr_t)addr, len };
	ssize_t n = wr ? process_vm_writev(tid, &local, 1, &remote, 1, 0)
		       : process_vm_readv(tid, &local, 1, &remote, 1, 0);
	return n == (ssize_t)len;
}

static bool buffered_nr(long nr)
{
	static const long nrs[] = {
		SYS_getpid, SYS_getppid, SYS_gettid, SYS_getuid, SYS_geteuid,
		SYS_getgid, SYS_getegid, SYS_clock_gettime, SYS_gettimeofday,
		SYS_time, SYS_lseek, SYS_fstat, SYS_newfstatat, SYS_statx,
		SYS_access, SYS_faccessat, SYS_faccessat2, SYS_close,
		SYS_preadv2, SYS_pwritev2, SYS_poll, SYS_epoll_wait,
		SYS_recvfrom, SYS_recvmsg, SYS_sendto, SYS_sendmsg, SYS_openat,
		SYS_futex, SYS_fcntl, SYS_fsync, SYS_fdatasync,
	};
	for (size_t i = 0; i < sizeof(nrs) / sizeof(nrs[0]); i++)
		if (nrs[i] == nr)
			return true;
	return false;
}

/* What the recorder does at every stop: take [flushed, used). */
static void collect(struct task *t, struct stats *s)
{
	struct xrr_sb_header h;
	static unsigned char recs[XRR_SB_BUFFER_SIZE];

	if (!t->buffer || s->replay)
		return;
	if (!mem_rw(t->tid, t->buffer, &h, sizeof(h), false)) {
		bad(s, "tid %ld: buffer header unreadable (%ld)", t->tid, errno);
		return;
	}
	if (h.magic != XRR_SB_HEADER_MAGIC || h.size != XRR_SB_BUFFER_SIZE ||
	    h.flushed > h.used || h.used > h.size - XRR_SB_HEADER_SIZE) {
		bad(s, "tid %ld: damaged header (used %ld)", t->tid,
		    (long)h.used);
		return;
	}
	if (h.used == h.flushed)
		return;
	size_t len = (size_t)(h.used - h.flushed);
	uint64_t area = t->buffer + XRR_SB_HEADER_SIZE;
	if (!mem_rw(t->tid, area + h.flushed, recs, len, false)) {
		bad(s, "tid %ld: records unreadable (%ld bytes)", t->tid,
		    (long)len);
		return;
	}
	for (size_t pos = 0; pos < len;) {
		struct xrr_sb_record r;
		if (len - pos < XRR_SB_RECORD_SIZE) {
			bad(s, "truncated record at %ld of %ld", (long)pos,
			    (long)len);
			return;
		}
		memcpy(&r, recs + pos, sizeof(r));
		if (r.size < XRR_SB_RECORD_SIZE || r.size % 8 ||
		    r.size > len - pos || (r.flags & ~(XRR_SB_REC_PATH | XRR_SB_REC_INPUT))) {
			bad(s, "bad record size %ld at %ld", r.size, (long)pos);
			return;
		}
		if (r.seq != t->next_seq)
			bad(s, "seq %ld, expected %ld", (long)r.seq,
			    (long)t->next_seq);
		if (!buffered_nr(r.nr))
			bad(s, "record of syscall %ld (seq %ld)", r.nr,
			    (long)r.seq);
		if (r.nr == SYS_futex &&
		    (r.args[1] & FUTEX_CMD_MASK_FOR_TEST) != 1)
			bad(s, "buffered futex op %ld (seq %ld)",
			    (long)r.args[1], (long)r.seq);
		t->next_seq = r.seq + 1;
		s->records++;
		if (s->log)
			rlog_add(s->log, h.flushed + pos, recs + pos, r.size);
		pos += r.size;
	}
	uint64_t flushed = h.used;
	if (!mem_rw(t->tid, t->buffer + offsetof(struct xrr_sb_header, flushed),
		    &flushed, sizeof(flushed), true))
		bad(s, "tid %ld: cannot write flushed (%ld)", t->tid, errno);
}

/* What the replayer does: the records of the batch that starts with
 * record `seq` go back to their offsets in the buffer. */
static void prefill(struct task *t, struct stats *s, long nr, uint64_t seq)
{
	const struct rlog *l = s->replay;
	struct xrr_sb_record r;
	uint64_t off, next_off = 0;
	bool first = true;

	while (rlog_at(l, s->replay_pos, &off, &r)) {
		if (first && (r.seq != seq || r.nr != nr)) {
			bad(s, "replay: the library waits for syscall %ld, the "
			    "log has %ld next", nr, (long)r.nr);
			return;
		}
		if (!first && off != next_off)
			break;          /* the next batch, after a flush */
		if (!mem_rw(t->tid, t->buffer + XRR_SB_HEADER_SIZE + off,
			    l->data + s->replay_pos + 8, r.size, true)) {
			bad(s, "replay: cannot write record %ld (%ld)",
			    (long)r.seq, errno);
			return;
		}
		first = false;
		next_off = off + r.size;
		s->replay_pos += 8 + r.size;
	}
	if (first)
		bad(s, "replay: no record left for syscall %ld (seq %ld)", nr,
		    (long)seq);
}

static void seccomp_stop(struct task *t, struct stats *s, int *resume)
{
	struct user_regs_struct regs;

	s->seccomp_stops++;
	if (ptrace(PTRACE_GETREGS, t->tid, 0, &regs) < 0)
		return;
	long nr = (long)regs.orig_rax;
	if (nr >= 0 && nr < 512)
		s->stops_by_nr[nr]++;
	if (nr == XRR_SYS_SB_REGISTER) {
		s->registers++;
		if (regs.rdi % 4096 || regs.rsi != XRR_SB_BUFFER_SIZE || !regs.rdx)
			bad(s, "register(0x%lx, %ld)", (long)regs.rdi,
			    (long)regs.rsi);
		t->buffer = regs.rdi;
		t->next_seq = 0;
	} else if (nr == XRR_SYS_SB_FLUSH) {
		s->flushes++;
	} else if (nr == XRR_SYS_SB_WAIT) {
		s->waits++;
		if (s->replay)
			prefill(t, s, (long)regs.rdi, regs.rsi);
		else
			bad(s, "XRR_SYS_SB_WAIT in record mode (%ld, %ld)",
			    (long)regs.rdi, (long)regs.rsi);
	} else {
		return;
	}
	/* Skip the call; its result is set at the exit stop. */
	regs.orig_rax = (unsigned long long)-1;
	ptrace(PTRACE_SETREGS, t->tid, 0, &regs);
	t->pending = nr;
	*resume = PTRACE_SYSCALL;
}

static void exit_stop(struct task *t, struct stats *s)
{
	struct user_regs_struct regs;

	if (ptrace(PTRACE_GETREGS, t->tid, 0, &regs) < 0)
		return;
	regs.rax = 0;
	ptrace(PTRACE_SETREGS, t->tid, 0, &regs);
	if (t->pending == XRR_SYS_SB_REGISTER) {
		unsigned mode = s->replay ? XRR_SB_MODE_REPLAY
					  : XRR_SB_MODE_RECORD;
		if (!mem_rw(t->tid, XRR_SB_CONTROL_ADDR +
			    offsetof(struct xrr_sb_control, mode), &mode,
			    sizeof(mode), true))
			bad(s, "tid %ld: cannot write the mode (%ld)", t->tid,
			    errno);
	}
	t->pending = 0;
}

static void set_locked(struct task *t, struct stats *s, unsigned locked)
{
	if (t->buffer &&
	    !mem_rw(t->tid, t->buffer + offsetof(struct xrr_sb_header, locked),
		    &locked, sizeof(locked), true))
		bad(s, "tid %ld: cannot write locked (%ld)", t->tid, errno);
}

static void trace(pid_t pid, struct stats *s)
{
	int status;
	pid_t tid;

	memset(tasks, 0, sizeof(tasks));
	if (waitpid(pid, &status, 0) != pid || !WIFSTOPPED(status)) {
		bad(s, "child %ld did not stop (status 0x%lx)", pid, status);
		return;
	}
	task_get(pid);
	ptrace(PTRACE_SETOPTIONS, pid, 0, PTRACE_O_TRACESECCOMP |
	       PTRACE_O_TRACESYSGOOD | PTRACE_O_TRACECLONE |
	       PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK |
	       PTRACE_O_TRACEVFORKDONE |
	       PTRACE_O_TRACEEXIT | PTRACE_O_TRACEEXEC | PTRACE_O_EXITKILL);
	ptrace(PTRACE_CONT, pid, 0, 0);
	while ((tid = waitpid(-1, &status, __WALL)) > 0) {
		struct task *t = task_get(tid);
		if (!t) {
			bad(s, "more than %ld tasks (tid %ld)", MAX_TASKS, tid);
			kill(pid, SIGKILL);
			continue;
		}
		if (WIFEXITED(status) || WIFSIGNALED(status)) {
			if (tid == pid)
				s->status = status;
			t->tid = 0;
			continue;
		}
		if (!WIFSTOPPED(status))
			continue;
		int event = status >> 16, sig = WSTOPSIG(status);
		int resume = PTRACE_CONT, deliver = 0;

		if (event == PTRACE_EVENT_EXEC)
			t->buffer = 0;  /* gone with the old image */
		collect(t, s);
		if (event == PTRACE_EVENT_SECCOMP) {
			seccomp_stop(t, s, &resume);
		} else if (sig == (SIGTRAP | 0x80)) {
			if (t->pending)
				exit_stop(t, s);
		} else if (event == PTRACE_EVENT_FORK ||
			   event == PTRACE_EVENT_VFORK ||
			   event == PTRACE_EVENT_CLONE) {
			unsigned long child = 0;
			ptrace(PTRACE_GETEVENTMSG, tid, 0, &child);
			struct task *c = task_get((pid_t)child);
			/* A forked child has its copy of the forking
			 * thread's buffer; a thread registers its own.  A
			 * vfork child runs on the parent's memory and TLS,
			 * so on its buffer: locked until the parent resumes,
			 * it takes the traced path for everything. */
			if (c && event == PTRACE_EVENT_FORK) {
				c->buffer = t->buffer;
				c->next_seq = t->next_seq;
			} else if (event == PTRACE_EVENT_VFORK) {
				set_locked(t, s, 1);
			}
		} else if (event == PTRACE_EVENT_VFORK_DONE) {
			set_locked(t, s, 0);
		} else if (event) {
			/* exit and other events: nothing more */
		} else if (sig != SIGSTOP && sig != SIGTRAP) {
			deliver = sig;
		}
		ptrace(resume, tid, 0, deliver);
	}
}

static bool run(enum how how, char *const argv[], struct stats *s)
{
	char tmpl[] = "/tmp/test_preload.XXXXXX";
	int out = mkstemp(tmpl);

	struct rlog *log = s->log;
	const struct rlog *replay = s->replay;
	memset(s, 0, sizeof(*s));
	s->log = log;
	s->replay = replay;
	if (out < 0)
		return false;
	unlink(tmpl);

	/* The environment: ours, minus any LD_PRELOAD, plus the library. */
	size_t n = 0;
	while (environ[n])
		n++;
	char **env = calloc(n + 2, sizeof(*env));
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		if (strncmp(environ[i], "LD_PRELOAD=", 11) != 0)
			env[k++] = environ[i];
	if (how != NATIVE)
		env[k++] = (char *)"LD_PRELOAD=" PRELOAD_SO;
	env[k] = NULL;

	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0) {
		child_setup(how, out);
		execve(argv[0], argv, env);
		_exit(127);
	}
	free(env);
	if (pid < 0) {
		close(out);
		return false;
	}
	if (how == TRACED)
		trace(pid, s);
	else
		waitpid(pid, &s->status, 0);
	ssize_t got = pread(out, s->out, sizeof(s->out) - 1, 0);
	s->out[got > 0 ? got : 0] = '\0';
	close(out);
	return true;
}

static void report(const char *what, const struct stats *s)
{
	fprintf(stderr, "\n  %s: status 0x%x, %lu seccomp stops, %lu records, "
		"%lu registers, %lu flushes, %lu bad%s%s\n", what, s->status,
		s->seccomp_stops, s->records, s->registers, s->flushes, s->bad,
		s->bad ? ": " : "", s->why);
	if (!getenv("TEST_PRELOAD_VERBOSE"))
		return;
	fprintf(stderr, "  seccomp stops by syscall:");
	for (int i = 0; i < 512; i++)
		if (s->stops_by_nr[i])
			fprintf(stderr, " %d:%lu", i, s->stops_by_nr[i]);
	fprintf(stderr, "\n");
}

static struct stats native, traced;

static void test_record_mode(void)
{
	char *argv[] = { (char *)PROGS_DIR "/sb_calls", NULL };
	static struct stats pre;

	CU_ASSERT_FATAL(run(NATIVE, argv, &native));
	CU_ASSERT(WIFEXITED(native.status) && WEXITSTATUS(native.status) == 0);
	CU_ASSERT(strstr(native.out, "sb_calls: ok\n") != NULL);

	CU_ASSERT_FATAL(run(PRELOAD_ONLY, argv, &pre));
	CU_ASSERT(WIFEXITED(pre.status) && WEXITSTATUS(pre.status) == 0);
	CU_ASSERT_STRING_EQUAL(pre.out, native.out);

	CU_ASSERT_FATAL(run(TRACED, argv, &traced));
	report("sb_calls traced", &traced);
	CU_ASSERT(WIFEXITED(traced.status) && WEXITSTATUS(traced.status) == 0);
	CU_ASSERT_STRING_EQUAL(traced.out, native.out);
	if (strcmp(traced.out, native.out))
		fprintf(stderr, "traced output:\n%s\n", traced.out);
	CU_ASSERT(traced.bad == 0);
	/* The main thread and the helper threads each registered. */
	CU_ASSERT(traced.registers >= 2);
	CU_ASSERT(traced.records > 150);
	/* Most calls were buffered.  The stops left are the loader's and
	 * libc's own calls (not interposable), thread creation, the
	 * fallbacks of calls that would block, fds 0-2 and large reads. */
	CU_ASSERT(traced.records > 2 * traced.seccomp_stops);
}

/* Many buffered calls: the buffer fills and is flushed; stops stay few. */
static void test_bench_flushes(void)
{
	char *argv[] = { (char *)PROGS_DIR "/sb_calls", (char *)"bench",
			 (char *)"100000", NULL };
	static struct stats b_native, b_pre, b_traced;

	CU_ASSERT_FATAL(run(NATIVE, argv, &b_native));
	CU_ASSERT_FATAL(run(PRELOAD_ONLY, argv, &b_pre));
	CU_ASSERT_FATAL(run(TRACED, argv, &b_traced));
	report("bench traced", &b_traced);
	fprintf(stderr, "  native:       %s  LD_PRELOAD:   %s  record mode:  %s",
		b_native.out, b_pre.out, b_traced.out);
	CU_ASSERT(WIFEXITED(b_traced.status) &&
		  WEXITSTATUS(b_traced.status) == 0);
	CU_ASSERT(b_traced.bad == 0);
	CU_ASSERT(b_traced.records >= 100000);
	CU_ASSERT(b_traced.flushes >= 5);
	CU_ASSERT(b_traced.seccomp_stops < 1000);
	double ns = 0;
	if (sscanf(b_traced.out, "v: getppid x %*d: %lf", &ns) != 1)
		ns = 0;
	/* Far below a ptrace stop per call (tens of microseconds). */
	CU_ASSERT(ns > 0 && ns < 5000);

	/* For comparison: the same loop with every call a ptrace stop
	 * (the static build: no library). */
	char *sargv[] = { (char *)PROGS_DIR "/sb_calls_static", (char *)"bench",
			  (char *)"2000", NULL };
	static struct stats b_static;
	double traced_ns = 0;
	CU_ASSERT_FATAL(run(TRACED, sargv, &b_static));
	fprintf(stderr, "  all traced:   %s", b_static.out);
	if (sscanf(b_static.out, "v: getppid x %*d: %lf", &traced_ns) != 1)
		traced_ns = 0;
	CU_ASSERT(b_static.seccomp_stops >= 2000);
	CU_ASSERT(traced_ns > ns);
}

/* Replay mode: the records of a recorded run go back into the buffer
 * when the library waits for them, and the program sees their results
 * and output bytes (clock_gettime's), not the kernel's: the getppid
 * results are changed by one in the log, and the times are the
 * recorded ones. */
static void test_replay_mode(void)
{
	char *argv[] = { (char *)PROGS_DIR "/sb_calls", (char *)"bench",
			 (char *)"20000", NULL };
	static struct stats rec, rep;
	static struct rlog log;
	long n = 0, sum_rec = 0, sum_rep = 0;
	double ns_rec = 0, ns_rep = 0;

	rec.log = &log;
	CU_ASSERT_FATAL(run(TRACED, argv, &rec));
	CU_ASSERT(rec.bad == 0 && rec.flushes >= 1);
	CU_ASSERT(WIFEXITED(rec.status) && WEXITSTATUS(rec.status) == 0);

	struct xrr_sb_record r;
	uint64_t off;
	for (size_t pos = 0; rlog_at(&log, pos, &off, &r); pos += 8 + r.size) {
		if (r.nr == SYS_getppid) {
			r.result++;
			memcpy(log.data + pos + 8, &r, sizeof(r));
			n++;
		}
	}
	CU_ASSERT(n == 20000);

	rep.replay = &log;
	CU_ASSERT_FATAL(run(TRACED, argv, &rep));
	report("bench replayed", &rep);
	fprintf(stderr, "  recorded: %s  replayed: %s", rec.out, rep.out);
	CU_ASSERT(WIFEXITED(rep.status) && WEXITSTATUS(rep.status) == 0);
	CU_ASSERT(rep.bad == 0);
	CU_ASSERT(rep.replay_pos == log.len);
	/* A wait per batch of records, not per call. */
	CU_ASSERT(rep.waits >= 1 && rep.waits <= rec.flushes + 2);
	CU_ASSERT(sscanf(rec.out, "v: getppid x %*d: %lf ns/call (sum %ld)",
			 &ns_rec, &sum_rec) == 2);
	CU_ASSERT(sscanf(rep.out, "v: getppid x %*d: %lf ns/call (sum %ld)",
			 &ns_rep, &sum_rep) == 2);
	CU_ASSERT(ns_rep == ns_rec);
	CU_ASSERT(sum_rep == sum_rec + n);
	free(log.data);
}

/* A static program: LD_PRELOAD does nothing, every call stops. */
static void test_static_program(void)
{
	char *argv[] = { (char *)PROGS_DIR "/sb_calls_static", NULL };
	static struct stats s_native, s_traced;

	CU_ASSERT_FATAL(run(NATIVE, argv, &s_native));
	CU_ASSERT(WIFEXITED(s_native.status) &&
		  WEXITSTATUS(s_native.status) == 0);
	CU_ASSERT_FATAL(run(TRACED, argv, &s_traced));
	report("static traced", &s_traced);
	CU_ASSERT(WIFEXITED(s_traced.status) &&
		  WEXITSTATUS(s_traced.status) == 0);
	CU_ASSERT_STRING_EQUAL(s_traced.out, s_native.out);
	CU_ASSERT(s_traced.registers == 0 && s_traced.records == 0);
	CU_ASSERT(s_traced.seccomp_stops > 100);
	CU_ASSERT(s_traced.bad == 0);
}

static const struct unit_test preload_tests[] = {
	{ "record mode under a seccomp tracer", test_record_mode },
	{ "100000 getppid: flushes and speed", test_bench_flushes },
	{ "replay mode: results and outputs from records", test_replay_mode },
	{ "a static program is unaffected", test_static_program },
	{ NULL, NULL },
};

static const struct unit_suite suites[] = {
	{ "preload", preload_tests, NULL, NULL },
};

UNIT_MAIN(suites)
