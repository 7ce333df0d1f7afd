/* Unit tests for the stub's packet plumbing against a scripted fake
 * target, over a socketpair with the stub in a thread: reverse resumes
 * (bc/bs and their qSupported features) and target-side breakpoint
 * conditions (Z0 with agent bytecode, hidden hits, step-over,
 * interrupts, the stop filter a target uses for its own scans). */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "protocol/rsp.h"
#include "stub/stub.h"
#include "testsuite/unit/cunit_main.h"

#define PID 100
#define TID_A 100
#define TID_B 101
#define MEM_BASE 0x5000u       /* the loop's global lives here */
#define BP_ADDR 0x401000u      /* the breakpoint in the loop */
#define LOOP_PC 0x400ff0u      /* where the loop starts */
#define MAX_RESUMES 4096

/* ---- the fake target -------------------------------------------------------
 * Thread A runs a loop: each round sets rdi and the 32-bit global at
 * MEM_BASE to the round number and passes BP_ADDR, where an inserted
 * breakpoint stops it (pc at the breakpoint).  Continuing at BP_ADDR
 * with the breakpoint still inserted traps again at once, as an int3
 * would, so the stub must step over it.  A step moves pc by one.  After
 * `rounds` rounds the process exits.  Reverse resumes stop at the
 * start of history (bc) or after one step back (bs). */

struct fake {
	struct x86_regfile regs[2];
	uint8_t mem[64];
	int bp_refs;                      /* insertions at BP_ADDR */
	unsigned inserts, removes, retraps;
	unsigned rounds, round;
	bool exited;
	bool interrupted;
	bool reverse_to_bp;               /* bc finds a hit at BP_ADDR */
	struct target_resume resumes[MAX_RESUMES];
	size_t nresumes;
	size_t last_n;                    /* actions in the last resume */
	target_stop_filter filter;
	void *filter_ctx;
	unsigned filter_sets;
};

static struct fake fk;

static int f_index(int64_t tid)
{
	return tid == TID_A ? 0 : tid == TID_B ? 1 : -1;
}

static int f_list_threads(struct target *t, struct target_thread *out,
			  size_t max)
{
	int n = 0;
	for (int i = 0; i < 2 && (size_t)n < max && !fk.exited; i++, n++)
		out[n] = (struct target_thread){ .pid = PID, .tid = TID_A + i,
						 .xcr0 = 0x7, .core = -1 };
	return n;
}

static bool f_thread_alive(struct target *t, int64_t tid)
{
	return !fk.exited && f_index(tid) >= 0;
}

static int f_get_regs(struct target *t, int64_t tid, struct x86_regfile *out)
{
	if (f_index(tid) < 0)
		return -ESRCH;
	*out = fk.regs[f_index(tid)];
	return 0;
}

static int f_set_regs(struct target *t, int64_t tid,
		      const struct x86_regfile *in, char *err, size_t errlen)
{
	return -EPERM;
}

static ssize_t f_read_memory(struct target *t, uint64_t addr, void *buf,
			     size_t len)
{
	if (addr < MEM_BASE || addr >= MEM_BASE + sizeof(fk.mem))
		return -EFAULT;
	size_t n = MEM_BASE + sizeof(fk.mem) - addr;
	n = n < len ? n : len;
	memcpy(buf, fk.mem + (addr - MEM_BASE), n);
	return (ssize_t)n;
}

static ssize_t f_write_memory(struct target *t, uint64_t addr,
			      const void *buf, size_t len, char *err,
			      size_t errlen)
{
	return -EPERM;
}

static int f_insert_bp(struct target *t, enum target_bp_type type,
		       uint64_t addr, size_t kind)
{
	if (type != TARGET_BP_SOFTWARE || addr != BP_ADDR)
		return -EOPNOTSUPP;
	fk.inserts++;
	fk.bp_refs++;
	return 0;
}

static int f_remove_bp(struct target *t, enum target_bp_type type,
		       uint64_t addr, size_t kind)
{
	if (type != TARGET_BP_SOFTWARE || addr != BP_ADDR || fk.bp_refs == 0)
		return -ENOENT;
	fk.removes++;
	fk.bp_refs--;
	return 0;
}

static int f_resume(struct target *t, const struct target_resume *a, size_t n)
{
	if (fk.nresumes + n > MAX_RESUMES)
		fk.nresumes = 0;        /* a long run: keep only the recent ones */
	for (size_t i = 0; i < n; i++)
		fk.resumes[fk.nresumes++] = a[i];
	fk.last_n = n;
	return 0;
}

static const struct target_resume *last_action(void)
{
	return &fk.resumes[fk.nresumes - fk.last_n];
}

static void stop_signal(struct target_stop *stop, int64_t tid, int signo,
			enum target_stop_reason reason)
{
	memset(stop, 0, sizeof(*stop));
	stop->kind = TARGET_STOP_SIGNAL;
	stop->pid = PID;
	stop->tid = tid;
	stop->signo = signo;
	stop->reason = reason;
}

static void next_round(void)
{
	uint32_t r = ++fk.round;
	fk.regs[0].gpr[X86_RDI] = r;
	memcpy(fk.mem, &r, sizeof(r));
}

static enum target_wait_result run_loop(struct target_stop *stop)
{
	struct x86_regfile *a = &fk.regs[0];
	if (a->gpr[X86_RIP] == BP_ADDR && fk.bp_refs) {
		fk.retraps++;
		stop_signal(stop, TID_A, SIGTRAP, TARGET_REASON_SWBREAK);
		return TARGET_WAIT_STOPPED;
	}
	while (fk.round < fk.rounds) {
		next_round();
		if (fk.bp_refs) {
			a->gpr[X86_RIP] = BP_ADDR;
			stop_signal(stop, TID_A, SIGTRAP, TARGET_REASON_SWBREAK);
			return TARGET_WAIT_STOPPED;
		}
	}
	fk.exited = true;
	memset(stop, 0, sizeof(*stop));
	stop->kind = TARGET_STOP_EXITED;
	stop->pid = PID;
	return TARGET_WAIT_STOPPED;
}

static enum target_wait_result f_wait(struct target *t,
				      struct target_stop *stop, int irq_fd)
{
	const struct target_resume *act = last_action();
	int64_t tid = act->tid > 0 ? act->tid : TID_A;
	if (fk.interrupted) {
		fk.interrupted = false;
		stop_signal(stop, TID_A, SIGINT, TARGET_REASON_NONE);
		return TARGET_WAIT_STOPPED;
	}
	if (act->reverse && !act->step && fk.reverse_to_bp) {
		fk.regs[0].gpr[X86_RIP] = BP_ADDR;
		stop_signal(stop, TID_A, SIGTRAP, TARGET_REASON_SWBREAK);
		return TARGET_WAIT_STOPPED;
	}
	if (act->reverse && !act->step) {
		stop_signal(stop, tid, SIGTRAP, TARGET_REASON_REPLAY_BEGIN);
		return TARGET_WAIT_STOPPED;
	}
	if (act->step) {
		fk.regs[f_index(tid)].gpr[X86_RIP] += act->reverse ? -1 : 1;
		stop_signal(stop, tid, SIGTRAP, TARGET_REASON_NONE);
		return TARGET_WAIT_STOPPED;
	}
	return run_loop(stop);
}

static int f_interrupt(struct target *t)
{
	fk.interrupted = true;
	return 0;
}

static int f_kill(struct target *t)
{
	fk.exited = true;
	return 0;
}

static int f_detach(struct target *t)
{
	return 0;
}

static void f_set_stop_filter(struct target *t, target_stop_filter fn,
			      void *ctx)
{
	fk.filter = fn;
	fk.filter_ctx = ctx;
	fk.filter_sets++;
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
	.set_stop_filter = f_set_stop_filter,
};

static void fake_reset(unsigned rounds)
{
	memset(&fk, 0, sizeof(fk));
	for (int i = 0; i < 2; i++) {
		fk.regs[i].gpr[X86_RIP] = LOOP_PC + (uint64_t)i;
		fk.regs[i].gpr[X86_RSP] = 0x7ff000;
		fk.regs[i].xcr0 = 0x7;
		fk.regs[i].mxcsr = 0x1f80;
	}
	fk.rounds = rounds;
}

/* ---- a session: the stub in a thread, the test as GDB ---------------------- */

struct session {
	struct target target;
	struct rsp_conn stub_conn, gdb;
	pthread_t thread;
	struct rsp_buf reply;
};

static struct session S;

static void *serve(void *arg)
{
	struct session *s = arg;
	struct stub_options opts = { .log = NULL };
	stub_serve(&s->stub_conn, &s->target, &opts);
	return NULL;
}

static void session_start(bool reverse, unsigned rounds)
{
	int sv[2];
	fake_reset(rounds);
	CU_ASSERT_FATAL(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	S.target = (struct target){ .ops = &fake_ops, .name = "fake",
				    .xcr0_union = 0x7, .is_replay = reverse,
				    .reverse_supported = reverse };
	struct rsp_transport ts = { sv[0], sv[0], "stub end" };
	struct rsp_transport tg = { sv[1], sv[1], "gdb end" };
	rsp_conn_init(&S.stub_conn, &ts, RSP_DEFAULT_MAX_PAYLOAD);
	rsp_conn_init(&S.gdb, &tg, RSP_DEFAULT_MAX_PAYLOAD);
	rsp_buf_init(&S.reply);
	CU_ASSERT_FATAL(pthread_create(&S.thread, NULL, serve, &S) == 0);
}

static void session_end(void)
{
	rsp_conn_close(&S.gdb);          /* the stub sees EOF and returns */
	pthread_join(S.thread, NULL);
	rsp_conn_close(&S.stub_conn);
	rsp_buf_free(&S.reply);
}

/* One request; the reply is left in S.reply (NUL-terminated). */
static const char *req(const char *packet)
{
	if (rsp_client_request(&S.gdb, packet, &S.reply, NULL) < 0)
		return "(no reply)";
	return S.reply.data;
}

static bool has(const char *reply, const char *part)
{
	return strstr(reply, part) != NULL;
}

/* ---- reverse packets -------------------------------------------------------------- */

static void test_qsupported_reverse(void)
{
	session_start(true, 0);
	const char *r = req("qSupported:swbreak+;hwbreak+");
	CU_ASSERT_TRUE(has(r, "ReverseContinue+"));
	CU_ASSERT_TRUE(has(r, "ReverseStep+"));
	CU_ASSERT_TRUE(has(r, "ConditionalBreakpoints+"));
	session_end();

	session_start(false, 0);
	r = req("qSupported:swbreak+;hwbreak+");
	CU_ASSERT_FALSE(has(r, "ReverseContinue+"));
	CU_ASSERT_FALSE(has(r, "ReverseStep+"));
	CU_ASSERT_TRUE(has(r, "ConditionalBreakpoints+"));
	session_end();
}

static void test_bc_any_thread(void)
{
	session_start(true, 0);
	req("qSupported:swbreak+");
	CU_ASSERT_STRING_EQUAL(req("Hc0"), "OK");
	const char *r = req("bc");
	CU_ASSERT_EQUAL_FATAL(fk.nresumes, 1);
	CU_ASSERT_EQUAL(fk.resumes[0].tid, -1);
	CU_ASSERT_FALSE(fk.resumes[0].step);
	CU_ASSERT_TRUE(fk.resumes[0].reverse);
	CU_ASSERT_EQUAL(fk.resumes[0].signo, 0);
	CU_ASSERT_NSTRING_EQUAL(r, "T05", 3);
	CU_ASSERT_TRUE(has(r, "thread:64;"));
	CU_ASSERT_TRUE(has(r, "replaylog:begin;"));
	/* Hc-1 is "any" too; a stop does not change the Hc thread */
	CU_ASSERT_STRING_EQUAL(req("Hc-1"), "OK");
	req("bc");
	req("bc");
	CU_ASSERT_EQUAL_FATAL(fk.nresumes, 3);
	CU_ASSERT_EQUAL(fk.resumes[1].tid, -1);
	CU_ASSERT_EQUAL(fk.resumes[2].tid, -1);
	session_end();
}

static void test_bs_named_thread(void)
{
	session_start(true, 0);
	req("qSupported:swbreak+");
	CU_ASSERT_STRING_EQUAL(req("Hc65"), "OK");     /* TID_B */
	uint64_t pc = fk.regs[1].gpr[X86_RIP];
	const char *r = req("bs");
	CU_ASSERT_EQUAL_FATAL(fk.nresumes, 1);
	CU_ASSERT_EQUAL(fk.resumes[0].tid, TID_B);
	CU_ASSERT_TRUE(fk.resumes[0].step);
	CU_ASSERT_TRUE(fk.resumes[0].reverse);
	CU_ASSERT_NSTRING_EQUAL(r, "T05", 3);
	CU_ASSERT_TRUE(has(r, "thread:65;"));
	CU_ASSERT_FALSE(has(r, "replaylog"));
	CU_ASSERT_EQUAL(fk.regs[1].gpr[X86_RIP], pc - 1);
	/* the stop makes B GDB's general thread: `g` reads B's registers */
	CU_ASSERT_STRING_EQUAL(req("qC"), "QC65");
	/* forward packets are never reverse */
	req("vCont;s:65");
	CU_ASSERT_EQUAL_FATAL(fk.nresumes, 2);
	CU_ASSERT_FALSE(fk.resumes[1].reverse);
	CU_ASSERT_EQUAL(fk.regs[1].gpr[X86_RIP], pc);
	session_end();
}

static void test_reverse_unsupported(void)
{
	session_start(false, 0);
	req("qSupported:swbreak+");
	CU_ASSERT_EQUAL(req("bc")[0], 'E');
	CU_ASSERT_EQUAL(req("bs")[0], 'E');
	CU_ASSERT_EQUAL(fk.nresumes, 0);
	/* the session goes on */
	CU_ASSERT_STRING_EQUAL(req("Hc0"), "OK");
	session_end();
}

/* ---- breakpoint conditions ------------------------------------------------------------- */

/* Conditions as GDB would assemble them (ax.def opcodes). */
#define RDI_EQ_37 "X7,26000522251327"           /* reg 5 (rdi); const8 37; equal; end */
#define GLOBAL_EQ_50 "X8,2350001922321327"       /* const16 0x5000; ref32; const8 50; equal; end */
#define NEVER "X3,220027"                        /* const8 0; end */
#define BAD_READ "X4,22001927"                   /* const8 0; ref32 (unmapped); end */

static void z0(const char *conds, const char *want)
{
	char pkt[256];
	snprintf(pkt, sizeof(pkt), "Z0,%x,1%s%s", BP_ADDR, conds[0] ? ";" : "",
		 conds);
	CU_ASSERT_STRING_EQUAL(req(pkt), want);
}

static uint64_t reg_rdi(void)
{
	/* p5: rdi, little-endian hex */
	const char *r = req("p5");
	uint64_t v = 0;
	for (int i = 7; i >= 0 && strlen(r) == 16; i--) {
		unsigned byte;
		sscanf(r + 2 * i, "%2x", &byte);
		v = v << 8 | byte;
	}
	return v;
}

static void test_condition_register(void)
{
	session_start(false, 100);
	req("qSupported:swbreak+");
	z0(RDI_EQ_37, "OK");
	CU_ASSERT_EQUAL(fk.inserts, 1);
	const char *r = req("vCont;c");
	CU_ASSERT_NSTRING_EQUAL(r, "T05", 3);
	CU_ASSERT_TRUE(has(r, "swbreak:;"));
	CU_ASSERT_EQUAL(reg_rdi(), 37);
	CU_ASSERT_EQUAL(fk.round, 37);
	/* every false hit was stepped over, none trapped again */
	CU_ASSERT_EQUAL(fk.retraps, 0);
	CU_ASSERT_EQUAL(fk.bp_refs, 1);
	CU_ASSERT_EQUAL(fk.inserts, 1 + 36);
	CU_ASSERT_EQUAL(fk.removes, 36);
	session_end();
}

static void test_condition_replaced(void)
{
	session_start(false, 100);
	req("qSupported:swbreak+");
	z0(RDI_EQ_37, "OK");
	/* GDB sends Z0 again when conditions change: no second insertion */
	z0(GLOBAL_EQ_50, "OK");
	CU_ASSERT_EQUAL(fk.inserts, 1);
	CU_ASSERT_EQUAL(fk.bp_refs, 1);
	req("c");
	CU_ASSERT_EQUAL(fk.round, 50);
	CU_ASSERT_STRING_EQUAL(req("m5000,4"), "32000000");
	/* GDB steps off the breakpoint itself, as it does: z0, s, Z0 */
	CU_ASSERT_STRING_EQUAL(req("z0,401000,1"), "OK");
	CU_ASSERT_EQUAL(fk.bp_refs, 0);
	req("vCont;s:64");
	/* a list: false, then one that cannot be evaluated (stops) */
	z0(NEVER BAD_READ, "OK");
	req("vCont;c");
	CU_ASSERT_EQUAL(fk.round, 51);
	/* a Z0 without conditions makes the breakpoint unconditional */
	unsigned inserts = fk.inserts;
	z0(NEVER, "OK");
	fk.regs[0].gpr[X86_RDI] = 0;
	CU_ASSERT_FALSE(fk.filter(fk.filter_ctx, TID_A, BP_ADDR));
	z0("", "OK");
	CU_ASSERT_TRUE(fk.filter(fk.filter_ctx, TID_A, BP_ADDR));
	CU_ASSERT_EQUAL(fk.inserts, inserts);
	CU_ASSERT_EQUAL(fk.bp_refs, 1);
	CU_ASSERT_STRING_EQUAL(req("z0,401000,1"), "OK");
	req("vCont;s:64");
	z0("", "OK");
	req("vCont;c");
	CU_ASSERT_EQUAL(fk.round, 52);
	/* removed: conditions gone with it; the loop runs to the end */
	CU_ASSERT_STRING_EQUAL(req("z0,401000,1"), "OK");
	CU_ASSERT_EQUAL(fk.bp_refs, 0);
	CU_ASSERT_NSTRING_EQUAL(req("vCont;c"), "W00", 3);
	CU_ASSERT_EQUAL(fk.retraps, 0);
	session_end();
}

static void test_condition_malformed(void)
{
	session_start(false, 100);
	req("qSupported:swbreak+");
	z0("X3,0102", "E16");           /* shorter than its length */
	z0("X0,", "E16");
	z0("Xzz,00", "E16");
	CU_ASSERT_EQUAL(fk.inserts, 0);
	/* commands are ignored, unknown tokens skipped */
	z0(RDI_EQ_37 ";cmds:0,X3,220027", "OK");
	z0("future:1;" RDI_EQ_37, "OK");
	CU_ASSERT_EQUAL(fk.inserts, 1);
	req("c");
	CU_ASSERT_EQUAL(fk.round, 37);
	session_end();
}

static void test_condition_interrupt(void)
{
	session_start(false, 1u << 30);
	req("qSupported:swbreak+");
	z0(NEVER, "OK");
	/* the loop never stops by itself: GDB's 0x03 must end it */
	CU_ASSERT_FATAL(rsp_conn_send_str(&S.gdb, "vCont;c") == 0);
	usleep(20000);
	CU_ASSERT_FATAL(write(S.gdb.t.out_fd, "\x03", 1) == 1);
	const char *payload;
	size_t len;
	CU_ASSERT_EQUAL_FATAL(rsp_conn_recv(&S.gdb, &payload, &len),
			      RSP_RECV_PACKET);
	CU_ASSERT_NSTRING_EQUAL(payload, "T02", 3);
	CU_ASSERT_TRUE(fk.round > 1);
	CU_ASSERT_EQUAL(fk.retraps, 0);
	CU_ASSERT_EQUAL(fk.bp_refs, 1);
	session_end();
}

static void test_stop_filter(void)
{
	session_start(true, 100);
	req("qSupported:swbreak+");
	CU_ASSERT_EQUAL(fk.filter_sets, 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(fk.filter);
	/* no breakpoint there: any hit is visible */
	CU_ASSERT_TRUE(fk.filter(fk.filter_ctx, TID_A, BP_ADDR));
	z0(RDI_EQ_37, "OK");
	fk.regs[0].gpr[X86_RDI] = 36;
	CU_ASSERT_FALSE(fk.filter(fk.filter_ctx, TID_A, BP_ADDR));
	fk.regs[0].gpr[X86_RDI] = 37;
	CU_ASSERT_TRUE(fk.filter(fk.filter_ctx, TID_A, BP_ADDR));
	CU_ASSERT_TRUE(fk.filter(fk.filter_ctx, TID_A, BP_ADDR + 1));
	/* evaluated in the thread it names */
	fk.regs[1].gpr[X86_RDI] = 37;
	fk.regs[0].gpr[X86_RDI] = 1;
	CU_ASSERT_TRUE(fk.filter(fk.filter_ctx, TID_B, BP_ADDR));
	CU_ASSERT_FALSE(fk.filter(fk.filter_ctx, TID_A, BP_ADDR));
	/* a reverse stop at a false condition is reported as it is: the
	 * target filters its own scans */
	fk.reverse_to_bp = true;
	CU_ASSERT_STRING_EQUAL(req("Hc0"), "OK");
	const char *r = req("bc");
	CU_ASSERT_NSTRING_EQUAL(r, "T05", 3);
	CU_ASSERT_TRUE(has(r, "swbreak:;"));
	CU_ASSERT_EQUAL(fk.nresumes, 1);
	CU_ASSERT_EQUAL(fk.removes, 0);
	session_end();
	/* the stub unregisters itself when the session ends */
	CU_ASSERT_EQUAL(fk.filter_sets, 2);
	CU_ASSERT_PTR_NULL(fk.filter);
}

static const struct unit_test reverse_tests[] = {
	{ "qSupported follows reverse_supported", test_qsupported_reverse },
	{ "bc with Hc0/Hc-1", test_bc_any_thread },
	{ "bs with a named thread", test_bs_named_thread },
	{ "bc/bs refused without reverse", test_reverse_unsupported },
	{ NULL, NULL },
};

static const struct unit_test condition_tests[] = {
	{ "register condition hides false hits", test_condition_register },
	{ "Z0 again replaces the conditions", test_condition_replaced },
	{ "malformed and extra Z0 options", test_condition_malformed },
	{ "0x03 during hidden hits", test_condition_interrupt },
	{ "the target's stop filter", test_stop_filter },
	{ NULL, NULL },
};

static int ignore_sigpipe(void)
{
	signal(SIGPIPE, SIG_IGN);
	return 0;
}

static const struct unit_suite suites[] = {
	{ "stub reverse packets", reverse_tests, ignore_sigpipe, NULL },
	{ "stub breakpoint conditions", condition_tests, ignore_sigpipe, NULL },
};

UNIT_MAIN(suites)
