/* Replaying one syscall at its PTRACE_SYSEMU entry stop.
 *
 * The kernel has skipped the syscall.  We check it is the recorded one
 * (number and all six arguments: the address space is the recorded one,
 * so even pointers must agree), then either emulate it (rax = recorded
 * result, recorded memory written) or perform it for real in place when
 * it shapes the address space or the threads: the task is made to run
 * its own syscall instruction again under PTRACE_SYSCALL, with arguments
 * adjusted so the result is the recorded one (MAP_FIXED at the recorded
 * address, the trace's copy of a mapped file, ...). */
#include "config.h"

#include "replay/replay_int.h"
#include "replay/syscallbuf.h"
#include "replay/syscalls.h"
#include "replay/task_int.h"
#include "replay/fdtable.h"

#include <errno.h>
#include <unistd.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <asm/prctl.h>

static void regs_args(const struct user_regs_struct *g, uint64_t a[6])
{
	a[0] = g->rdi; a[1] = g->rsi; a[2] = g->rdx;
	a[3] = g->r10; a[4] = g->r8; a[5] = g->r9;
}

static void set_regs_args(struct user_regs_struct *g, const uint64_t a[6])
{
	g->rdi = a[0]; g->rsi = a[1]; g->rdx = a[2];
	g->r10 = a[3]; g->r8 = a[4]; g->r9 = a[5];
}

/* ---- running a syscall for real, in place --------------------------------- */

/* A caller's breakpoint on the syscall instruction would trap instead of
 * re-running it: lift it for the moment. */
static struct breakpoint *lift_breakpoint(struct process *p, uint64_t insn)
{
	for (size_t i = 0; i < p->nbps; i++) {
		struct breakpoint *b = &p->bps[i];
		if (b->addr >= insn && b->addr < insn + 2) {
			task_mem_write_raw(p, b->addr, &b->saved, 1);
			return b;
		}
	}
	return NULL;
}

static void restore_breakpoint(struct process *p, struct breakpoint *b)
{
	static const uint8_t int3 = 0xcc;

	if (b)
		task_mem_write_raw(p, b->addr, &int3, 1);
}

struct perform_result {
	long ret;
	pid_t new_tid;          /* a clone's child, adopted and stopped */
	bool task_exited;
};

static int wait_task(struct replayer *r, struct task *t, struct task_stop *st)
{
	for (;;) {
		if (process_wait(r->proc, st, 0) != 1)
			return -1;
		if (st->tid == t->tid)
			return 0;
		/* A clone's child is adopted by the task layer; its own
		 * stops wait until we drive it. */
	}
}

/* Resume under PTRACE_SYSCALL until a syscall stop of the wanted kind. */
static int run_to_syscall_stop(struct replayer *r, struct task *t, bool entry,
			       struct perform_result *res)
{
	struct task_stop st;

	for (int guard = 0; guard < 8; guard++) {
		if (task_resume(r->proc, t, TASK_RESUME_SYSCALL, 0) < 0 ||
		    wait_task(r, t, &st) < 0)
			return -1;
		if (st.kind == TASK_STOP_EXITED || st.kind == TASK_STOP_KILLED) {
			res->task_exited = true;
			return 0;
		}
		if (st.kind == TASK_STOP_CLONE)
			res->new_tid = st.new_tid;
		if (st.kind == TASK_STOP_SYSCALL && st.in_syscall_entry == entry)
			return 0;
	}
	snprintf(r->proc->err, sizeof(r->proc->err), "thread %d: no syscall-%s "
		 "stop", (int)t->tid, entry ? "entry" : "exit");
	return -1;
}

/* From a SYSEMU entry stop (the syscall skipped, rip after it): run the
 * syscall instruction again with nr/args and let the kernel execute it.
 * Registers other than rax are as they were. */
static int perform_in_place(struct replayer *r, struct task *t, long nr,
			    const uint64_t args[6], struct perform_result *res)
{
	r->guards_dirty = true;         /* maps may change: replay_guard.c */
	struct user_regs_struct saved, g;
	struct process *p = r->proc;

	memset(res, 0, sizeof(*res));
	if (task_get_gregs(p, t, &saved) < 0)
		return -1;
	g = saved;
	g.rip -= 2;
	g.rax = (uint64_t)nr;
	g.orig_rax = (uint64_t)-1;
	set_regs_args(&g, args);
	struct breakpoint *b = lift_breakpoint(p, g.rip);
	int rc = task_set_gregs(p, t, &g);
	/* Leaving the SYSEMU stop may report the skipped syscall's exit
	 * first; the entry stop that follows is the re-run instruction. */
	if (rc == 0)
		rc = run_to_syscall_stop(r, t, true, res);
	restore_breakpoint(p, b);
	if (rc == 0 && !res->task_exited)
		rc = run_to_syscall_stop(r, t, false, res);
	if (rc < 0 || res->task_exited)
		return rc;
	if (task_get_gregs(p, t, &g) < 0)
		return -1;
	res->ret = (long)g.rax;
	/* The re-run instruction ends where the first one did; the kernel
	 * may have changed state the registers show (fs_base after
	 * arch_prctl), so keep those and put back only the arguments. */
	uint64_t orig_args[6];
	regs_args(&saved, orig_args);
	set_regs_args(&g, orig_args);
	return task_set_gregs(p, t, &g);
}

/* ---- emulation ----------------------------------------------------------------- */

int replay_set_rax(struct replayer *r, struct task *t, int64_t value)
{
	struct user_regs_struct g;

	if (task_get_gregs(r->proc, t, &g) < 0)
		return -1;
	g.rax = (uint64_t)value;
	return task_set_gregs(r->proc, t, &g);
}

/* Only writes that reached the recorder's own stdout or stderr are
 * shown again: not those to files, pipes or /dev/null the program
 * pointed fds 1 and 2 at. */
FILE *replay_echo_stream(struct replayer *r, uint64_t fd)
{
	if (!r->opts.echo_output)
		return NULL;
	struct replay_thread *th = replay_thread_by_rec(r, r->ev.tid);
	switch (th ? fdtable_echo_target(th->fdt, fd) : FDT_ECHO_NONE) {
	case FDT_ECHO_STDOUT:
		return r->opts.echo_stdout ? r->opts.echo_stdout : stdout;
	case FDT_ECHO_STDERR:
		return r->opts.echo_stderr ? r->opts.echo_stderr : stderr;
	default:
		return NULL;
	}
}

static int read_for_fdtable(void *ctx, uint64_t addr, void *buf, size_t len)
{
	struct replayer *r = ctx;

	return process_read_memory(r->proc, addr, buf, len) == (ssize_t)len
	       ? 0 : -1;
}

/* After the syscall's recorded effects are in memory (pipe's fds). */
static void track_fds(struct replayer *r, struct task *t,
		      const struct ev_syscall *s)
{
	struct replay_thread *th = replay_thread_by_real(r, t->tid);

	if (th && th->fdt)
		fdtable_syscall(&th->fdt, (long)s->number, s->args, s->result,
				read_for_fdtable, r);
}

static void echo_range(struct replayer *r, FILE *out, uint64_t addr,
		       uint64_t len)
{
	uint8_t buf[8192];

	while (len > 0) {
		size_t n = len < sizeof(buf) ? (size_t)len : sizeof(buf);
		ssize_t got = process_read_memory_clean(r->proc, addr, buf, n);
		if (got <= 0)
			return;
		fwrite(buf, 1, (size_t)got, out);
		addr += (uint64_t)got;
		len -= (uint64_t)got;
	}
}

/* What the program wrote to fds 1 and 2 is in its (replayed) memory. */
static void echo_output(struct replayer *r, const struct ev_syscall *s)
{
	FILE *out = replay_echo_stream(r, s->args[0]);
	uint64_t left = s->result > 0 ? (uint64_t)s->result : 0;

	if (!out || !left)
		return;
	if (s->number == SYS_write || s->number == SYS_pwrite64) {
		echo_range(r, out, s->args[1], left);
	} else if (s->number == SYS_writev || s->number == SYS_pwritev ||
		   s->number == SYS_pwritev2) {
		for (uint64_t i = 0; i < s->args[2] && left; i++) {
			struct iovec iov;
			if (process_read_memory(r->proc, s->args[1] + i * 16,
						&iov, 16) != 16)
				break;
			uint64_t n = iov.iov_len < left ? iov.iov_len : left;
			echo_range(r, out, (uint64_t)iov.iov_base, n);
			left -= n;
		}
	}
	fflush(out);
}

/* A call a signal interrupted returns a kernel restart code at its exit
 * stop.  When no handler runs (the signal was ignored, stopped the
 * process or was taken by the tracer), the kernel then restarts it: rip
 * back on the syscall instruction, rax the number again (restart_syscall
 * for ERESTART_RESTARTBLOCK), and the restarted call is the thread's next
 * event.  Replay does the same; when a handler does run, its EV_SIGNAL
 * comes right after this event and sets the registers the frame says. */
enum {
	ERESTARTSYS_ = 512, ERESTARTNOINTR_ = 513, ERESTARTNOHAND_ = 514,
	ERESTART_RESTARTBLOCK_ = 516,
};

static void restart_if_interrupted(struct user_regs_struct *g,
				   const struct ev_syscall *s)
{
	switch (-s->result) {
	case ERESTARTSYS_: case ERESTARTNOINTR_: case ERESTARTNOHAND_:
		g->rax = g->orig_rax;
		g->rip -= 2;
		break;
	case ERESTART_RESTARTBLOCK_:
		g->rax = SYS_restart_syscall;
		g->rip -= 2;
		break;
	default:
		break;
	}
}

static int emulate(struct replayer *r, struct task *t,
		   const struct ev_syscall *s, struct replay_stop *stop)
{
	char err[256] = "";

	echo_output(r, s);
	/* The registers of the entry stop were read by replay_syscall:
	 * one ptrace call less per syscall than reading them again. */
	r->entry_regs.rax = (uint64_t)s->result;
	restart_if_interrupted(&r->entry_regs, s);
	if (task_set_gregs(r->proc, t, &r->entry_regs) < 0)
		return replay_error(r, stop, "setting the result: %s",
				    r->proc->err);
	if (replay_write_memory(r, s->writes, s->nwrites, err, sizeof(err)) < 0)
		return replay_error(r, stop, "%s", err);
	return 0;
}

/* ---- performed syscalls ---------------------------------------------------------- */

static bool failed(int64_t result)
{
	return result < 0 && result > -4096;
}

/* Perform nr(args) and insist on the recorded result. */
static int perform_expect(struct replayer *r, struct task *t, long nr,
			  const uint64_t args[6], const struct ev_syscall *s,
			  struct replay_stop *stop)
{
	struct perform_result res;
	char err[256] = "";

	if (perform_in_place(r, t, nr, args, &res) < 0)
		return replay_error(r, stop, "performing %s: %s",
				    syscall_name(s->number), r->proc->err);
	if (res.ret != s->result)
		return replay_diverged(r, stop, "%s returning %" PRId64
				       ", got %ld", syscall_name(s->number),
				       s->result, res.ret);
	if (replay_write_memory(r, s->writes, s->nwrites, err, sizeof(err)) < 0)
		return replay_error(r, stop, "%s", err);
	return 0;
}

/* mmap(a) for the recorded mmap-like call s, whose writes are the new
 * memory's contents: mapped writable while they go in, then given the
 * protection a[2] asks for. */
static int perform_mmap_with_contents(struct replayer *r, struct task *t,
				      const uint64_t a[6],
				      const struct ev_syscall *s,
				      struct replay_stop *stop)
{
	uint64_t wa[6];
	struct ev_syscall as_mmap = *s;

	memcpy(wa, a, sizeof(wa));
	wa[2] |= PROT_READ | PROT_WRITE;
	as_mmap.number = SYS_mmap;
	int rc = perform_expect(r, t, SYS_mmap, wa, &as_mmap, stop);
	if (rc || wa[2] == a[2])
		return rc;
	const long pa[6] = { (long)a[0], (long)a[1], (long)a[2] };
	long res = 0;
	if (task_remote_syscall(r->proc, t, SYS_mprotect, pa, &res) < 0 ||
	    res < 0)
		return replay_error(r, stop, "mprotect after mapping 0x%"
				    PRIx64 ": %s", a[0], res < 0 ?
				    strerror((int)-res) : r->proc->err);
	return 0;
}

/* shmat: the segment is a memfd of ours, mapped shared where it was
 * attached, by every attachment and every process: what one writes, the
 * others see, as with the recorded segment.  The recorded contents at
 * attach time are written over it.  shmdt unmaps that mapping. */
static int shm_memfd(struct replayer *r, int32_t shmid, uint64_t dev,
		     uint64_t ino, uint64_t size, char *err, size_t errlen)
{
	struct replay_shm **tab = shmid >= 0 ? &r->shms : &r->sfiles;
	size_t *n = shmid >= 0 ? &r->nshms : &r->nsfiles;
	struct replay_shm *e = NULL;

	for (size_t i = 0; i < *n && !e; i++)
		if ((*tab)[i].shmid == shmid && (*tab)[i].dev == dev &&
		    (*tab)[i].ino == ino)
			e = &(*tab)[i];
	if (!e) {
		struct replay_shm *more = realloc(*tab, (*n + 1) * sizeof(*more));
		if (!more) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		*tab = more;
		e = &(*tab)[*n];
		e->shmid = shmid;
		e->dev = dev;
		e->ino = ino;
		e->size = 0;
		e->memfd = memfd_create(shmid >= 0 ? "xrr-sysv-shm" :
					"xrr-shared-file", MFD_CLOEXEC);
		if (e->memfd < 0) {
			snprintf(err, errlen, "memfd_create: %s", strerror(errno));
			return -1;
		}
		(*n)++;
	}
	if (size > e->size) {
		if (ftruncate(e->memfd, (off_t)size) < 0) {
			snprintf(err, errlen, "ftruncate: %s", strerror(errno));
			return -1;
		}
		e->size = size;
	}
	return e->memfd;
}

#define SHARED_FILE_SPAN (1ULL << 40)

/* A file mapped MAP_SHARED (named by device and inode, 2.4): our memfd
 * for that file stands for it, mapped at the recorded offset, so that
 * every mapping of the file shares memory as the recorded ones did, in
 * any process (a child that reopens and maps a file after exec). The
 * recorded contents at this mmap are written over it; they are what
 * every other mapping of the file held then. */
static int replay_mmap_shared_file(struct replayer *r, struct task *t,
				   const struct ev_syscall *s,
				   const struct trace_mmap_record *m,
				   const uint64_t a[6], struct replay_stop *stop)
{
	uint64_t len = m->map.end - m->map.start;
	char err[256] = "", path[64];
	/* The file's size is not in the trace, and the program may grow
	 * the mapping with mremap after growing the file: a sparse memfd
	 * far larger than any mapping (costs nothing; a recorded SIGBUS
	 * past the end of the file is then a divergence, not a silent
	 * difference). */
	uint64_t size = a[5] + len > SHARED_FILE_SPAN ? a[5] + len
						      : SHARED_FILE_SPAN;
	int memfd = shm_memfd(r, -1, m->shared_dev, m->shared_ino, size,
			      err, sizeof(err));
	if (memfd < 0)
		return replay_error(r, stop, "shared mapping of %s: %s",
				    m->map.path, err);
	snprintf(path, sizeof(path), "/proc/%d/fd/%d", (int)getpid(), memfd);
	long fd = replay_space_open_path_in_tracee(r, t, path, O_RDWR, err,
						   sizeof(err));
	if (fd < 0)
		return replay_error(r, stop, "shared mapping of %s: %s",
				    m->map.path, err);
	const uint64_t ma[6] = { a[0], a[1], a[2],
				 (a[3] & ~(uint64_t)MAP_TYPE & ~(uint64_t)MAP_SYNC) |
				 MAP_SHARED, (uint64_t)fd, a[5] };
	int rc = perform_mmap_with_contents(r, t, ma, s, stop);
	const long ca[6] = { fd };
	long ignored;
	task_remote_syscall(r->proc, t, SYS_close, ca, &ignored);
	return rc;
}

static int replay_mmap(struct replayer *r, struct task *t,
		       const struct ev_syscall *s, struct replay_stop *stop)
{
	uint64_t a[6];
	char err[256] = "";

	if (failed(s->result))
		return emulate(r, t, s, stop);
	memcpy(a, s->args, sizeof(a));
	a[0] = (uint64_t)s->result;
	a[3] = (a[3] & ~(uint64_t)MAP_FIXED_NOREPLACE) | MAP_FIXED;
	if (a[3] & MAP_ANONYMOUS)
		return perform_expect(r, t, SYS_mmap, a, s, stop);
	const struct trace_mmap_record *m = replay_cursor_mmap(r, r->ev_index);
	if (!m)
		return replay_error(r, stop, "mmap of fd %d: no record of it "
				    "in the trace's mmaps stream",
				    (int)s->args[4]);
	if (!m->map.file.hex[0]) {
		/* /dev/zero, a shared mapping, a memfd: anonymous memory
		 * (shared if it was), the file's contents from the writes. */
		uint64_t type = a[3] & MAP_TYPE;
		bool shared = type == MAP_SHARED || type == MAP_SHARED_VALIDATE;
		if (shared && (m->shared_dev || m->shared_ino))
			return replay_mmap_shared_file(r, t, s, m, a, stop);
		a[3] = (a[3] & ~(uint64_t)MAP_TYPE & ~(uint64_t)MAP_SYNC) |
		       (shared ? MAP_SHARED : MAP_PRIVATE) | MAP_ANONYMOUS;
		a[4] = (uint64_t)-1;
		a[5] = 0;
		return perform_mmap_with_contents(r, t, a, s, stop);
	}
	long fd = replay_space_open_in_tracee(r, t, m->map.file.hex, err,
					      sizeof(err));
	if (fd < 0)
		return replay_error(r, stop, "%s", err);
	a[3] = (a[3] & ~(uint64_t)(MAP_SHARED | MAP_SHARED_VALIDATE)) |
	       MAP_PRIVATE;
	a[4] = (uint64_t)fd;
	int rc = perform_expect(r, t, SYS_mmap, a, s, stop);
	const long cargs[6] = { fd };
	long ignored;
	task_remote_syscall(r->proc, t, SYS_close, cargs, &ignored);
	return rc;
}

void replay_shm_forget(struct replayer *r)
{
	for (size_t i = 0; i < r->nshms; i++)
		close(r->shms[i].memfd);
	free(r->shms);
	r->shms = NULL;
	r->nshms = 0;
	for (size_t i = 0; i < r->nsfiles; i++)
		close(r->sfiles[i].memfd);
	free(r->sfiles);
	r->sfiles = NULL;
	r->nsfiles = 0;
}
static int replay_shmat(struct replayer *r, struct task *t,
			const struct ev_syscall *s, struct replay_stop *stop)
{
	if (failed(s->result))
		return emulate(r, t, s, stop);
	const struct trace_mmap_record *m = replay_cursor_mmap(r, r->ev_index);
	if (!m || m->map.start != (uint64_t)s->result)
		return replay_error(r, stop, "shmat at 0x%" PRIx64 ": no "
				    "record of the segment's extent in the "
				    "mmaps stream", s->result);
	uint64_t size = m->map.end - m->map.start;
	char err[256] = "", path[64];
	int memfd = shm_memfd(r, (int32_t)s->args[0], 0, 0, size, err,
			      sizeof(err));
	if (memfd < 0)
		return replay_error(r, stop, "shmat of segment %d: %s",
				    (int)s->args[0], err);
	snprintf(path, sizeof(path), "/proc/%d/fd/%d", (int)getpid(), memfd);
	long fd = replay_space_open_path_in_tracee(r, t, path, O_RDWR, err,
						   sizeof(err));
	if (fd < 0)
		return replay_error(r, stop, "shmat of segment %d: %s",
				    (int)s->args[0], err);
	const uint64_t a[6] = { m->map.start, size, m->map.prot,
				MAP_SHARED | MAP_FIXED, (uint64_t)fd, 0 };
	int rc = perform_mmap_with_contents(r, t, a, s, stop);
	const long ca[6] = { fd };
	long ignored;
	task_remote_syscall(r->proc, t, SYS_close, ca, &ignored);
	return rc;
}

/* The end of the mapping that starts at addr in the replayed process. */
static uint64_t mapping_end(struct replayer *r, uint64_t addr)
{
	char path[64], line[512];
	uint64_t end = 0;

	snprintf(path, sizeof(path), "/proc/%d/maps", (int)r->proc->pid);
	FILE *f = fopen(path, "re");
	while (f && fgets(line, sizeof(line), f)) {
		unsigned long long s0, e0;
		if (sscanf(line, "%llx-%llx", &s0, &e0) == 2 && s0 == addr) {
			end = e0;
			break;
		}
	}
	if (f)
		fclose(f);
	return end;
}

static int replay_shmdt(struct replayer *r, struct task *t,
			const struct ev_syscall *s, struct replay_stop *stop)
{
	uint64_t end = failed(s->result) ? 0 : mapping_end(r, s->args[0]);

	if (!end)
		return emulate(r, t, s, stop);
	const uint64_t a[6] = { s->args[0], end - s->args[0] };
	struct ev_syscall as_munmap = *s;
	as_munmap.number = SYS_munmap;
	return perform_expect(r, t, SYS_munmap, a, &as_munmap, stop);
}

/* The stub's brk is not the recording's: the heap is plain anonymous
 * memory we map and unmap as the recorded results say. */
static int replay_brk(struct replayer *r, struct task *t,
		      const struct ev_syscall *s, struct replay_stop *stop)
{
	uint64_t want = ((uint64_t)s->result + REPLAY_PAGE - 1) &
			~(REPLAY_PAGE - 1);
	struct perform_result res;
	uint64_t a[6] = { 0 };
	long nr = -1;

	if (!r->rp->brk_known) {
		r->rp->brk_end = want;
		r->rp->brk_known = true;
	} else if (want > r->rp->brk_end) {
		nr = SYS_mmap;
		a[0] = r->rp->brk_end;
		a[1] = want - r->rp->brk_end;
		a[2] = PROT_READ | PROT_WRITE;
		a[3] = MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED;
		a[4] = (uint64_t)-1;
	} else if (want < r->rp->brk_end) {
		nr = SYS_munmap;
		a[0] = want;
		a[1] = r->rp->brk_end - want;
	}
	if (nr >= 0) {
		if (perform_in_place(r, t, nr, a, &res) < 0 || failed(res.ret))
			return replay_error(r, stop, "brk to 0x%" PRIx64 ": %s",
					    want, res.ret < 0 ?
					    strerror((int)-res.ret) : r->proc->err);
		r->rp->brk_end = want;
	}
	return emulate(r, t, s, stop);
}

/* mremap moves where the recording's kernel chose. */
static int replay_mremap(struct replayer *r, struct task *t,
			 const struct ev_syscall *s, struct replay_stop *stop)
{
	uint64_t a[6];

	if (failed(s->result))
		return emulate(r, t, s, stop);
	memcpy(a, s->args, sizeof(a));
	if ((uint64_t)s->result != a[0]) {
		a[3] |= MREMAP_MAYMOVE | MREMAP_FIXED;
		a[4] = (uint64_t)s->result;
	}
	return perform_expect(r, t, SYS_mremap, a, s, stop);
}

static uint64_t clone_flags(struct replayer *r, const struct ev_syscall *s)
{
	uint64_t flags = 0;

	if (s->number == SYS_clone)
		return s->args[0];
	if (s->number == SYS_clone3 &&
	    process_read_memory(r->proc, s->args[0], &flags, 8) == 8)
		return flags;
	return 0;
}

/* clone/clone3 of a thread: a real thread; the recorded result is the
 * recorded tid.  Child processes (fork, vfork, posix_spawn's clone) ran
 * unrecorded: the parent only sees the recorded results. */
static int replay_clone(struct replayer *r, struct task *t,
			const struct ev_syscall *s, struct replay_stop *stop)
{
	struct perform_result res;
	char err[256] = "";

	if (failed(s->result) || !(clone_flags(r, s) & CLONE_THREAD))
		return emulate(r, t, s, stop);
	if (perform_in_place(r, t, (long)s->number, s->args, &res) < 0)
		return replay_error(r, stop, "performing %s: %s",
				    syscall_name(s->number), r->proc->err);
	if (failed(res.ret) || !res.new_tid)
		return replay_diverged(r, stop, "%s creating thread %" PRId64
				       ", got %ld", syscall_name(s->number),
				       s->result, res.ret);
	/* Named by the result until its EV_THREAD_CREATE, next, names it.
	 * In a pid namespace of its own the result is the thread's tid
	 * there, which a recorded tid of another thread may equal: a
	 * negative name then, which none has. */
	pid_t name = (pid_t)s->result;
	if (r->rp->ns_pid && r->rp->ns_pid != r->rp->rec_pid)
		name = -name;
	struct replay_thread *th = replay_thread_by_rec(r, name);
	if (!th || th->exited) {
		th = replay_thread_new(r, name, r->rp);
		if (!th)
			return replay_error(r, stop, "too many threads");
		th->xcr0 = replay_thread_by_real(r, t->tid)->xcr0;
	}
	th->real_tid = res.new_tid;
	th->parked = false;
	th->naming = true;
	fdtable_free(th->fdt);
	th->fdt = fdtable_clone(replay_thread_by_real(r, t->tid)->fdt,
				clone_flags(r, s));
	replay_runq_push(r, th->rec_tid, true);
	/* The kernel stored real tids (parent_tid, child_tid); the recorded
	 * writes put the recorded ones back, and the child's copy too. */
	if (replay_set_rax(r, t, s->result) < 0 ||
	    replay_write_memory(r, s->writes, s->nwrites, err, sizeof(err)) < 0)
		return replay_error(r, stop, "%s", err[0] ? err : r->proc->err);
	uint64_t flags = s->args[0], ctid = s->args[3];
	if (s->number == SYS_clone3) {
		uint64_t ca[3];
		if (process_read_memory(r->proc, s->args[0], ca, sizeof(ca)) ==
		    sizeof(ca)) {
			flags = ca[0];
			ctid = ca[2];
		}
	}
	if ((flags & CLONE_CHILD_SETTID) && ctid) {
		int32_t tid = (int32_t)s->result;
		process_write_memory(r->proc, ctid, &tid, sizeof(tid));
	}
	return 0;
}

/* ---- child processes ------------------------------------------------------ */

/* The flags and child stack top of a fork/vfork/clone/clone3 at its
 * entry (registers of t). */
static void fork_args(struct replayer *r, long nr, const uint64_t a[6],
		      uint64_t *flags, uint64_t *stack, uint64_t *ctid)
{
	*flags = 0;
	*stack = 0;
	*ctid = 0;
	if (nr == SYS_vfork) {
		*flags = CLONE_VM | CLONE_VFORK;
	} else if (nr == SYS_clone) {
		*flags = a[0];
		*stack = a[1];
		*ctid = a[3];
	} else if (nr == SYS_clone3) {
		uint64_t ca[7] = { 0 };  /* flags pidfd child_tid parent_tid
					  * exit_signal stack stack_size */
		if (process_read_memory(r->proc, a[0], ca, sizeof(ca)) ==
		    sizeof(ca)) {
			*flags = ca[0];
			*ctid = ca[2];
			*stack = ca[5] ? ca[5] + ca[6] : 0;
		}
	}
}

/* EV_FORK: the recorded child process comes to life here, by a fork of
 * the replayed parent, sharing its memory when the recorded one did
 * (vfork, CLONE_VM: what the child writes there, the parent sees, as in
 * the recording; its exec then starts from a real exec of the stub).
 * Never CLONE_VFORK: the parent is held instead, inside its syscall,
 * until the fork's EV_SYSCALL sets the recorded result. */
int replay_fork(struct replayer *r, struct task *t, struct replay_stop *stop)
{
	struct replay_thread *parent = replay_thread_by_real(r, t->tid);
	const struct ev_thread_create *f = &r->ev.u.fork;
	struct user_regs_struct g;
	uint64_t args[6], flags, stack, ctid;
	struct perform_result res;
	char err[256] = "";

	if (task_get_gregs(r->proc, t, &g) < 0)
		return replay_error(r, stop, "%s", r->proc->err);
	regs_args(&g, args);
	long nr = (long)g.orig_rax;
	if (nr != SYS_fork && nr != SYS_vfork && nr != SYS_clone &&
	    nr != SYS_clone3)
		return replay_diverged(r, stop, "expected the fork of process "
				       "%d, got syscall %s (%ld)",
				       (int)f->new_tid, syscall_name(nr) ?
				       syscall_name(nr) : "?", nr);
	fork_args(r, nr, args, &flags, &stack, &ctid);
	struct replay_proc *parent_rp = r->rp;
	struct replay_proc *cp = replay_proc_new(r);
	if (!cp)
		return replay_error(r, stop, "more than %d processes",
				    REPLAY_MAX_PROCS);
	/* SIGCHLD: any other exit signal would make it a "clone" child
	 * that ptrace reports as a new thread of the parent. */
	bool shares_mm = (flags & CLONE_VM) != 0;
	const uint64_t fa[6] = { SIGCHLD | (shares_mm ? CLONE_VM : 0), stack,
				 0, 0, 0, 0 };
	if (perform_in_place(r, t, SYS_clone, fa, &res) < 0)
		return replay_error(r, stop, "forking process %d: %s",
				    (int)f->new_tid, r->proc->err);
	if (failed(res.ret) || !res.new_tid)
		return replay_diverged(r, stop, "forking process %d failed "
				       "(%ld)", (int)f->new_tid, res.ret);
	if (process_adopt_child(&cp->proc, &parent_rp->proc, res.new_tid,
				shares_mm) < 0)
		return replay_error(r, stop, "process %d (real %d) died at "
				    "birth", (int)f->new_tid, (int)res.new_tid);
	/* The recording's child started with its parent's registers (the
	 * clone's arguments included), rax 0, and its own stack if given. */
	struct user_regs_struct cg;
	int regs_rc = task_get_gregs(r->proc, t, &cg);
	cg.rax = 0;
	if (stack)
		cg.rsp = stack;
	if (regs_rc < 0 ||
	    task_set_gregs(&cp->proc, &cp->proc.tasks[0], &cg) < 0)
		return replay_error(r, stop, "process %d: setting its first "
				    "registers: %s", (int)f->new_tid,
				    cp->proc.err);
	cp->rec_pid = f->new_tid;
	cp->ns_pid = f->ns_tid;
	cp->shares_mm = shares_mm;
	/* Its code is its parent's, patched sites included. */
	if (r->iv && r->iv_owner == parent_rp &&
	    insn_virt_copy_sites(r->iv, &cp->sites) < 0)
		return replay_error(r, stop, "out of memory");
	cp->brk_end = parent_rp->brk_end;
	cp->brk_known = parent_rp->brk_known;
	memcpy(cp->named, parent_rp->named, sizeof(cp->named));
	cp->nnamed = parent_rp->nnamed;
	if (parent_rp->auxv && (cp->auxv = malloc(parent_rp->auxv_len))) {
		memcpy(cp->auxv, parent_rp->auxv, parent_rp->auxv_len);
		cp->auxv_len = parent_rp->auxv_len;
	}
	if (parent_rp->exec_path)
		cp->exec_path = strdup(parent_rp->exec_path);
	struct replay_thread *th = replay_thread_new(r, f->new_tid, cp);
	if (!th)
		return replay_error(r, stop, "too many threads");
	th->real_tid = res.new_tid;
	th->xcr0 = f->xcr0;
	th->fdt = fdtable_clone(parent->fdt, flags);
	/* The kernel keeps a fork's rseq registration (not CLONE_VM's). */
	if (!shares_mm)
		memcpy(th->rseq_args, parent->rseq_args, sizeof(th->rseq_args));
	/* The child's copy of its tid, as the recording's kernel wrote it:
	 * its number in its own pid namespace (traces before 2.3 did not
	 * say; the recorded pid is right outside pid namespaces). */
	if ((flags & CLONE_CHILD_SETTID) && ctid) {
		int32_t tid = f->ns_tid ? f->ns_tid : f->new_tid;
		if (process_write_memory(&cp->proc, ctid, &tid, sizeof(tid)) !=
		    sizeof(tid))
			return replay_error(r, stop, "process %d: writing its "
					    "tid at 0x%" PRIx64 ": %s",
					    (int)f->new_tid, ctid,
					    cp->proc.err);
	}
	replay_runq_push(r, th->rec_tid, false);
	parent->fork_done = true;
	if (replay_cursor_advance(r, err, sizeof(err)) < 0)
		return replay_error(r, stop, "%s", err);
	return 0;
}

/* The fork's EV_SYSCALL after its EV_FORK: the recorded result and the
 * memory the kernel (and a vfork child) wrote. */
static int finish_fork(struct replayer *r, struct task *t,
		       const struct ev_syscall *s, struct replay_stop *stop)
{
	struct replay_thread *th = replay_thread_by_real(r, t->tid);

	th->fork_done = false;
	return emulate(r, t, s, stop);
}

static int replay_thread_exit(struct replayer *r, struct task *t,
			      const struct ev_syscall *s,
			      struct replay_stop *stop)
{
	struct perform_result res;
	struct replay_thread *th = replay_thread_by_real(r, t->tid);

	if (perform_in_place(r, t, SYS_exit, s->args, &res) < 0 ||
	    !res.task_exited)
		return replay_error(r, stop, "thread %d: exit: %s",
				    (int)th->rec_tid, r->proc->err);
	th->exited = true;
	replay_runq_remove(r, th->rec_tid);
	return 0;
}

/* rt_sigreturn runs for real: the kernel restores registers and extended
 * state from the frame, which is the recorded one.  The registers must
 * then be the recorded ones. */
static int replay_sigreturn(struct replayer *r, struct task *t,
			    const struct ev_syscall *s,
			    struct replay_stop *stop)
{
	struct perform_result res;
	struct user_regs_struct before, g;

	if (task_get_gregs(r->proc, t, &before) < 0)
		return replay_error(r, stop, "%s", r->proc->err);
	g = before;
	g.rip -= 2;
	g.rax = SYS_rt_sigreturn;
	g.orig_rax = (uint64_t)-1;
	if (task_set_gregs(r->proc, t, &g) < 0 ||
	    run_to_syscall_stop(r, t, true, &res) < 0 ||
	    run_to_syscall_stop(r, t, false, &res) < 0 ||
	    task_get_gregs(r->proc, t, &g) < 0)
		return replay_error(r, stop, "rt_sigreturn: %s", r->proc->err);
	if (g.rip != s->regs.rip || g.rsp != s->regs.rsp)
		return replay_diverged(r, stop, "rt_sigreturn to rip 0x%llx "
				       "rsp 0x%llx, got rip 0x%llx rsp 0x%llx",
				       s->regs.rip, s->regs.rsp, g.rip, g.rsp);
	if (task_set_gregs(r->proc, t, &s->regs) < 0)
		return replay_error(r, stop, "%s", r->proc->err);
	return 0;
}

/* rseq is performed: the program reads the cpu id the kernel keeps
 * writing, and replay runs on the recording's CPU so that it is the same.
 * The registration is remembered: an execve must drop it before the area
 * is unmapped (the kernel would fault the thread at every return). */
static int replay_rseq(struct replayer *r, struct task *t,
		       const struct ev_syscall *s, struct replay_stop *stop)
{
	struct replay_thread *th = replay_thread_by_real(r, t->tid);

	if (failed(s->result))
		return emulate(r, t, s, stop);
	int rc = perform_expect(r, t, SYS_rseq, s->args, s, stop);
	if (rc == 0 && th) {
		bool unregister = s->args[2] & 1;
		memcpy(th->rseq_args, s->args, sizeof(th->rseq_args));
		if (unregister)
			th->rseq_args[0] = 0;
	}
	return rc;
}

static void drop_rseq(struct replayer *r, struct task *t)
{
	struct replay_thread *th = replay_thread_by_real(r, t->tid);
	long ignored;

	if (!th || !th->rseq_args[0])
		return;
	const long args[6] = { (long)th->rseq_args[0], (long)th->rseq_args[1],
			       1 /* RSEQ_FLAG_UNREGISTER */,
			       (long)th->rseq_args[3] };
	task_remote_syscall(r->proc, t, SYS_rseq, args, &ignored);
	th->rseq_args[0] = 0;
}

static bool arch_prctl_performed(const struct ev_syscall *s)
{
	return s->args[0] == ARCH_SET_FS || s->args[0] == ARCH_SET_GS;
}

/* Dispatch on what the syscall does to the process. */
static int replay_recorded(struct replayer *r, struct task *t,
			   const struct ev_syscall *s,
			   struct replay_stop *stop)
{
	switch (s->number) {
	case SYS_mmap:
		return replay_mmap(r, t, s, stop);
	case SYS_brk:
		return replay_brk(r, t, s, stop);
	case SYS_mremap:
		return replay_mremap(r, t, s, stop);
	case SYS_rseq:
		return replay_rseq(r, t, s, stop);
	case SYS_shmat:
		return replay_shmat(r, t, s, stop);
	case SYS_shmdt:
		return replay_shmdt(r, t, s, stop);
	case SYS_munmap: case SYS_mprotect: case SYS_madvise:
	case SYS_pkey_mprotect:
		if (failed(s->result))
			return emulate(r, t, s, stop);
		return perform_expect(r, t, (long)s->number, s->args, s, stop);
	case SYS_clone: case SYS_clone3:
		return replay_clone(r, t, s, stop);
	case SYS_rt_sigreturn:
		return replay_sigreturn(r, t, s, stop);
	case SYS_arch_prctl:
		if (!arch_prctl_performed(s) || failed(s->result))
			return emulate(r, t, s, stop);
		return perform_expect(r, t, SYS_arch_prctl, s->args, s, stop);
	case SYS_execve: case SYS_execveat:
		/* Failed (a successful one is an EV_EXEC). */
		return emulate(r, t, s, stop);
	default:
		/* Everything else, set_tid_address and set_robust_list
		 * included, is emulated. */
		return emulate(r, t, s, stop);
	}
}

/* ---- entry ----------------------------------------------------------------------------- */

static int replay_exec(struct replayer *r, struct task *t,
		       struct replay_stop *stop)
{
	char err[512] = "";

	t->last_stop.kind = TASK_STOP_INTERRUPT;
	drop_rseq(r, t);
	struct replay_thread *th = replay_thread_by_real(r, t->tid);
	if (th && th->fdt)
		fdtable_exec(&th->fdt);
	bool fresh = r->rp->shares_mm;
	r->rp->shares_mm = false;
	if ((fresh ? replay_space_exec_fresh(r, t, err, sizeof(err))
		   : replay_space_exec(r, t, err, sizeof(err))) < 0 ||
	    replay_virt_after_exec(r, err, sizeof(err)) < 0)
		return replay_error(r, stop, "execve: %s", err);
	/* A thread other than the leader exec'd: from now on it has the
	 * process's pid as its tid, as the kernel renamed it. */
	if (th && th->rp && th->rec_tid != th->rp->rec_pid)
		th->rec_tid = th->rp->rec_pid;
	if (replay_cursor_advance(r, err, sizeof(err)) < 0)
		return replay_error(r, stop, "%s", err);
	return 0;
}

static int check_exit(struct replayer *r, struct task *t, long nr,
		      struct replay_stop *stop)
{
	struct replay_thread *th = replay_thread_by_real(r, t->tid);

	if (r->ev.type == EV_EXEC && (nr == SYS_execve || nr == SYS_execveat))
		return replay_exec(r, t, stop);
	if (r->ev.type == EV_FORK)
		return replay_fork(r, t, stop);

	if (r->ev.type == EV_THREAD_EXIT && nr == SYS_exit) {
		struct ev_syscall s = { .number = SYS_exit };
		struct user_regs_struct g;
		if (task_get_gregs(r->proc, t, &g) < 0)
			return replay_error(r, stop, "%s", r->proc->err);
		regs_args(&g, s.args);
		return replay_thread_exit(r, t, &s, stop);
	}
	/* The program ends at exit_group: END is reported before it runs,
	 * so the debugger can still look at everything. */
	if (r->ev.type == EV_EXIT && nr == SYS_exit_group) {
		r->rp->at_exit_group = true;
		return 0;
	}
	if (r->ev.type == EV_SIGNAL && r->ev.tid == th->rec_tid &&
	    replay_seccomp_trap(&r->ev.u.signal, nr))
		return replay_seccomp_sigsys(r, t, stop);
	if (r->ev.type == EV_POINT && r->ev.tid == th->rec_tid)
		return replay_diverged(r, stop, "thread %d made syscall %s (%ld)"
				       " without passing the point where it "
				       "was %s (rip %#llx): no arrival there "
				       "matched the recorded registers and "
				       "memory", (int)th->rec_tid,
				       syscall_name(nr) ? syscall_name(nr) : "?",
				       nr, r->ev.u.point.reason == POINT_PREEMPT ?
				       "preempted" : "given a signal",
				       r->ev.u.point.regs.rip);
	return replay_diverged(r, stop, "expected %s, got syscall %s (%ld) in "
			       "thread %d", trace_event_name(r->ev.type),
			       syscall_name(nr) ? syscall_name(nr) : "?", nr,
			       (int)th->rec_tid);
}

int replay_syscall(struct replayer *r, struct task *t, struct replay_stop *stop)
{
	struct user_regs_struct g;
	uint64_t args[6];
	char msg[480];
	char err[256] = "";

	if (task_get_gregs(r->proc, t, &g) < 0)
		return replay_error(r, stop, "%s", r->proc->err);
	r->entry_regs = g;
	regs_args(&g, args);
	long nr = (long)g.orig_rax;
	struct replay_thread *th = replay_thread_by_real(r, t->tid);
	if (th && th->fork_done && r->have_ev && r->ev.type == EV_SYSCALL) {
		/* Sitting after the fork performed at EV_FORK. */
		int rc = finish_fork(r, t, &r->ev.u.syscall, stop);
		if (rc)
			return rc;
		track_fds(r, t, &r->ev.u.syscall);
		if (replay_cursor_advance(r, err, sizeof(err)) < 0)
			return replay_error(r, stop, "%s", err);
		return 0;
	}
	if (!r->have_ev || r->ev.type != EV_SYSCALL)
		return r->have_ev ? check_exit(r, t, nr, stop)
				  : replay_diverged(r, stop, "the end of the "
						    "trace, got syscall %ld",
						    nr);
	const struct ev_syscall *s = &r->ev.u.syscall;
	if (!replay_syscall_matches(s, nr, args, msg, sizeof(msg)))
		return replay_diverged(r, stop, "%s", msg);
	/* The recorded exit of exit_group: nothing to run. */
	if (s->number == SYS_exit_group || s->number == SYS_exit) {
		r->rp->at_exit_group = s->number == SYS_exit_group;
		if (s->number == SYS_exit) {
			int rc = replay_thread_exit(r, t, s, stop);
			if (rc)
				return rc;
		}
	} else {
		/* The program's seccomp filter answered, nothing ran
		 * (replay/recorder_seccomp.c). */
		bool answered = s->flags & EV_SYSCALL_SKIPPED;
		int rc = answered ? emulate(r, t, s, stop)
				  : replay_recorded(r, t, s, stop);
		if (rc)
			return rc;
		track_fds(r, t, s);
		/* The library's buffer is on: from here it replays its calls
		 * from the records (replay_syscallbuf.c). */
		/* (Unless the recording turned it off: a process under a
		 * seccomp filter of its own.) */
		if (s->number == XRR_SYS_SB_REGISTER && s->result == 0 &&
		    syscallbuf_get_mode(r->proc) != XRR_SB_MODE_DISABLED &&
		    syscallbuf_set_mode(r->proc, XRR_SB_MODE_REPLAY) < 0)
			return replay_error(r, stop, "event %" PRIu64 ": setting "
					    "the syscall buffer's replay mode: "
					    "%s", r->ev_index, strerror(errno));
		if (replay_virt_after_syscall(r, s, err, sizeof(err)) < 0)
			return replay_error(r, stop, "instruction "
					    "virtualisation: %s", err);
	}
	if (replay_cursor_advance(r, err, sizeof(err)) < 0)
		return replay_error(r, stop, "%s", err);
	/* The recorder patched this call's site at its exit, before the
	 * thread ran on (replay/sitepatch.h): so here, before it runs. */
	if (th && r->have_ev && r->ev.type == EV_PATCH &&
	    r->ev.tid == th->rec_tid) {
		if (replay_patch_site(r, th, stop))
			return 1;
		if (replay_cursor_advance(r, err, sizeof(err)) < 0)
			return replay_error(r, stop, "%s", err);
	}
	return 0;
}
