/* A debugging target with no process behind it, for testing the protocol
 * library and the stub against real GDB: one process with two threads,
 * thread A running with XCR0 0x7 (x87|sse|avx) and thread B with 0xe7
 * (AVX-512), register values from a table, a page of memory.
 *
 * Execution model: a step advances rip by one byte; continuing runs to
 * the lowest inserted breakpoint above rip (swbreak stop), or exits with
 * status 7 when there is none.
 *
 * Usage: fake_target_server --stdio | --port N | --unix PATH */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <string.h>

#include "protocol/rsp.h"
#include "stub/stub.h"

#define FAKE_PID 4242
#define MEM_BASE 0x401000ull
#define MEM_SIZE 0x2000ull
#define NTHREADS 2
#define MAX_BPS 16

struct fake {
	struct x86_regfile regs[NTHREADS];
	int64_t tids[NTHREADS];
	uint8_t mem[MEM_SIZE];
	uint64_t bps[MAX_BPS];
	size_t nbps;
	bool running, interrupted, exited;
	bool step_pending;
	int64_t step_tid;
};

static struct fake fake;

static void fill_registers(void)
{
	for (int t = 0; t < NTHREADS; t++) {
		struct x86_regfile *r = &fake.regs[t];
		memset(r, 0, sizeof(*r));
		for (int i = 0; i < X86_NGPR; i++)
			r->gpr[i] = 0x1000ull * (uint64_t)(t + 1) + (uint64_t)i;
		r->gpr[X86_RIP] = MEM_BASE + 0x10 * (uint64_t)t;
		r->gpr[X86_RSP] = MEM_BASE + MEM_SIZE - 0x100;
		r->gpr[X86_RBP] = 0;
		r->eflags = 0x246;
		r->cs = 0x33;
		r->ss = 0x2b;
		r->fctrl = 0x37f;
		r->ftag = 0xffff;
		r->mxcsr = 0x1f80;
		r->orig_rax = (uint64_t)-1;
		for (int z = 0; z < 32; z++) {
			/* Each 64-bit lane L of zmmZ holds 0xZZ..(t+1)(L) */
			uint64_t lane[8];
			for (int l = 0; l < 8; l++)
				lane[l] = 0x0101010101010101ull * (uint64_t)z +
					  ((uint64_t)(t + 1) << 56) + (uint64_t)l;
			memcpy(r->xmm[z], &lane[0], 16);
			memcpy(r->ymmh[z], &lane[2], 16);
			memcpy(r->zmmh[z], &lane[4], 32);
		}
		for (int k = 0; k < 8; k++)
			r->k[k] = 0x100ull * (uint64_t)(k + 1);
		r->xcr0 = t == 0 ? 0x7 : 0xe7;
		fake.tids[t] = FAKE_PID + t;
	}
	for (size_t i = 0; i < MEM_SIZE; i++)
		fake.mem[i] = 0x90;   /* nop */
}

static int thread_index(int64_t tid)
{
	for (int i = 0; i < NTHREADS; i++)
		if (fake.tids[i] == tid)
			return i;
	return -1;
}

static int f_list_threads(struct target *t, struct target_thread *out,
			  size_t max)
{
	size_t n = 0;
	for (int i = 0; i < NTHREADS && n < max && !fake.exited; i++, n++) {
		out[n] = (struct target_thread){
			.pid = FAKE_PID, .tid = fake.tids[i],
			.xcr0 = fake.regs[i].xcr0, .core = -1,
		};
		snprintf(out[n].name, sizeof(out[n].name), "fake-%c", 'A' + i);
	}
	return (int)n;
}

static bool f_thread_alive(struct target *t, int64_t tid)
{
	return !fake.exited && thread_index(tid) >= 0;
}

static int f_get_regs(struct target *t, int64_t tid, struct x86_regfile *out)
{
	int i = thread_index(tid);
	if (i < 0)
		return -ESRCH;
	*out = fake.regs[i];
	return 0;
}

static int f_set_regs(struct target *t, int64_t tid,
		      const struct x86_regfile *in, char *err, size_t errlen)
{
	int i = thread_index(tid);
	if (i < 0)
		return -ESRCH;
	uint64_t xcr0 = fake.regs[i].xcr0;
	fake.regs[i] = *in;
	fake.regs[i].xcr0 = xcr0;   /* not writable */
	return 0;
}

static ssize_t f_read_memory(struct target *t, uint64_t addr, void *buf,
			     size_t len)
{
	if (addr < MEM_BASE || addr >= MEM_BASE + MEM_SIZE)
		return -EFAULT;
	size_t avail = (size_t)(MEM_BASE + MEM_SIZE - addr);
	size_t n = len < avail ? len : avail;
	memcpy(buf, fake.mem + (addr - MEM_BASE), n);
	return (ssize_t)n;
}

static ssize_t f_write_memory(struct target *t, uint64_t addr,
			      const void *buf, size_t len, char *err,
			      size_t errlen)
{
	if (addr < MEM_BASE || addr + len > MEM_BASE + MEM_SIZE)
		return -EFAULT;
	memcpy(fake.mem + (addr - MEM_BASE), buf, len);
	return (ssize_t)len;
}

static int f_insert_bp(struct target *t, enum target_bp_type type,
		       uint64_t addr, size_t kind)
{
	if (type != TARGET_BP_SOFTWARE)
		return -EOPNOTSUPP;
	if (fake.nbps == MAX_BPS)
		return -ENOSPC;
	fake.bps[fake.nbps++] = addr;
	return 0;
}

static int f_remove_bp(struct target *t, enum target_bp_type type,
		       uint64_t addr, size_t kind)
{
	for (size_t i = 0; i < fake.nbps; i++)
		if (fake.bps[i] == addr) {
			fake.bps[i] = fake.bps[--fake.nbps];
			return 0;
		}
	return -ENOENT;
}

static int f_resume(struct target *t, const struct target_resume *a, size_t n)
{
	fake.running = true;
	fake.interrupted = false;
	fake.step_pending = false;
	for (size_t i = 0; i < n; i++)
		if (a[i].step) {
			fake.step_pending = true;
			fake.step_tid = a[i].tid > 0 ? a[i].tid : fake.tids[0];
			break;
		}
	return 0;
}

static enum target_wait_result f_wait(struct target *t,
				      struct target_stop *stop,
				      int interrupt_fd)
{
	memset(stop, 0, sizeof(*stop));
	stop->pid = FAKE_PID;
	fake.running = false;
	if (fake.step_pending) {
		int i = thread_index(fake.step_tid);
		fake.regs[i].gpr[X86_RIP] += 1;
		stop->kind = TARGET_STOP_SIGNAL;
		stop->signo = SIGTRAP;
		stop->tid = fake.step_tid;
		return TARGET_WAIT_STOPPED;
	}
	uint64_t rip = fake.regs[0].gpr[X86_RIP], best = 0;
	for (size_t i = 0; i < fake.nbps; i++)
		if (fake.bps[i] > rip && (!best || fake.bps[i] < best))
			best = fake.bps[i];
	if (best) {
		fake.regs[0].gpr[X86_RIP] = best;
		stop->kind = TARGET_STOP_SIGNAL;
		stop->signo = SIGTRAP;
		stop->tid = fake.tids[0];
		stop->reason = TARGET_REASON_SWBREAK;
		return TARGET_WAIT_STOPPED;
	}
	fake.exited = true;
	stop->kind = TARGET_STOP_EXITED;
	stop->status = 7;
	return TARGET_WAIT_STOPPED;
}

static int f_interrupt(struct target *t)
{
	fake.interrupted = true;
	return 0;
}

static int f_kill(struct target *t)
{
	fake.exited = true;
	return 0;
}

static int f_detach(struct target *t)
{
	return 0;
}

/* A long operation, for tests that the debugger waits it out
 * (testsuite/integration/longops-gdb.sh). */
static void sleep_ms(long ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = ms % 1000 * 1000000L };
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* `run`: a live program with the initial registers again,
 * FAKE_RESTART_MS later. */
static int f_restart(struct target *t, char *err, size_t errlen)
{
	const char *ms = getenv("FAKE_RESTART_MS");
	if (ms)
		sleep_ms(atol(ms));
	fake.exited = false;
	fill_registers();
	return 0;
}

static int f_monitor(struct target *t, const char *cmd, struct rsp_buf *out)
{
	if (strcmp(cmd, "help") == 0) {
		rsp_buf_append_str(out, "  fake-hello         say hello\n"
				   "  fake-sleep MS      take MS milliseconds\n");
		return 0;
	}
	if (strncmp(cmd, "fake-sleep ", 11) == 0) {
		sleep_ms(atol(cmd + 11));
		rsp_buf_append_str(out, "slept\n");
		return 0;
	}
	if (strcmp(cmd, "fake-hello") == 0) {
		rsp_buf_append_str(out, "hello from the fake target\n");
		return 0;
	}
	return 1;
}

static const struct target_ops fake_ops = {
	.list_threads = f_list_threads,
	.thread_alive = f_thread_alive,
	.get_regs = f_get_regs,
	.set_regs = f_set_regs,
	.read_memory = f_read_memory,
	.write_memory = f_write_memory,
	.insert_breakpoint = f_insert_bp,
	.remove_breakpoint = f_remove_bp,
	.resume = f_resume,
	.wait = f_wait,
	.interrupt = f_interrupt,
	.kill = f_kill,
	.detach = f_detach,
	.monitor = f_monitor,
	.restart = f_restart,
};

int main(int argc, char **argv)
{
	struct rsp_transport tr;
	struct rsp_listener l = { .fd = -1 };
	char err[256];
	if (argc == 2 && strcmp(argv[1], "--stdio") == 0) {
		rsp_transport_stdio(&tr);
	} else if (argc == 3 && strcmp(argv[1], "--port") == 0) {
		if (rsp_listen_tcp(&l, NULL, atoi(argv[2]), err, sizeof(err)) < 0) {
			fprintf(stderr, "fake_target_server: %s\n", err);
			return 1;
		}
		fprintf(stderr, "fake_target_server: listening on port %d\n", l.port);
		if (rsp_accept(&l, &tr, err, sizeof(err)) < 0) {
			fprintf(stderr, "fake_target_server: %s\n", err);
			return 1;
		}
	} else if (argc == 3 && strcmp(argv[1], "--unix") == 0) {
		if (rsp_listen_unix(&l, argv[2], err, sizeof(err)) < 0 ||
		    rsp_accept(&l, &tr, err, sizeof(err)) < 0) {
			fprintf(stderr, "fake_target_server: %s\n", err);
			return 1;
		}
	} else {
		fprintf(stderr, "usage: fake_target_server --stdio | --port N | --unix PATH\n");
		return 2;
	}
	fill_registers();
	struct target target = {
		.ops = &fake_ops, .name = "fake", .xcr0_union = 0xe7,
	};
	struct rsp_conn conn;
	rsp_conn_init(&conn, &tr, RSP_DEFAULT_MAX_PAYLOAD);
	struct stub_options opts = { .log = stderr,
				     .verbose = getenv("XRR_TRACE_PACKETS") != NULL };
	enum stub_end end = stub_serve(&conn, &target, &opts);
	rsp_conn_close(&conn);
	if (l.fd >= 0)
		rsp_listener_close(&l);
	return end == STUB_END_ERROR ? 1 : 0;
}
