/* Tests of the ptrace task layer and the XSAVE model on real processes
 * (the programs of testsuite/progs). */
#include "config.h"

#include <cpuid.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/personality.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "replay/task.h"
#include "replay/xsave.h"
#include "testsuite/unit/cunit_main.h"

#ifndef PROGS_DIR
#error "PROGS_DIR must name the directory of the test programs"
#endif

/* Like CU_ASSERT, and leaves the test (through its cleanup) on failure. */
#define REQUIRE(cond) do { \
	bool ok_ = (cond); \
	CU_assertImplementation(ok_, __LINE__, #cond, __FILE__, "", CU_FALSE); \
	if (!ok_) \
		goto out; \
} while (0)

static char prog_path[PATH_MAX];

static const char *prog(const char *name)
{
	snprintf(prog_path, sizeof(prog_path), "%s/%s", PROGS_DIR, name);
	return prog_path;
}

static bool host_has_avx512f(void)
{
	__builtin_cpu_init();
	return __builtin_cpu_supports("avx512f") &&
	       (xsave_host_xcr0() & XCR0_AVX512) == XCR0_AVX512;
}

/* ---- process helpers ------------------------------------------------------ */

/* Spawned processes' output would clutter CUnit's; it goes to /dev/null. */
static struct process *spawn_quiet(char *const argv[], char *err, size_t errlen)
{
	struct process *p = calloc(1, sizeof(*p));
	int saved = dup(STDOUT_FILENO);
	int null = open("/dev/null", O_WRONLY);

	fflush(stdout);
	dup2(null, STDOUT_FILENO);
	int rc = process_spawn(p, argv, NULL, NULL, err, errlen);
	dup2(saved, STDOUT_FILENO);
	close(saved);
	close(null);
	if (rc < 0) {
		free(p);
		return NULL;
	}
	return p;
}

static struct process *spawn(const char *name, const char *arg1,
			     const char *arg2)
{
	char err[256];
	char *argv[] = { (char *)prog(name), (char *)arg1, (char *)arg2, NULL };
	struct process *p = spawn_quiet(argv, err, sizeof(err));

	if (!p)
		fprintf(stderr, "spawn %s: %s\n", name, err);
	return p;
}

static void finish(struct process *p)
{
	if (!p)
		return;
	process_kill(p);
	process_free(p);
	free(p);
}

static struct task *leader(struct process *p)
{
	return process_find_task(p, p->pid);
}

/* Continue every stopped task, passing signals on, until the next stop
 * that is not a clone event or a signal to pass on; exits count. */
static int next_stop(struct process *p, struct task_stop *st)
{
	for (;;) {
		for (size_t i = 0; i < p->ntasks; i++) {
			struct task *t = &p->tasks[i];
			if (t->exited || !t->stopped)
				continue;
			int sig = 0;
			if (t->last_stop.kind == TASK_STOP_SIGNAL &&
			    t->last_stop.signo != SIGTRAP)
				sig = t->last_stop.signo;
			if (task_resume(p, t, TASK_RESUME_CONT, sig) < 0)
				return -1;
		}
		if (process_wait(p, st, 0) != 1)
			return -1;
		if (st->kind == TASK_STOP_CLONE || st->kind == TASK_STOP_INTERRUPT)
			continue;
		if (st->kind == TASK_STOP_SIGNAL && st->signo != SIGTRAP)
			continue;
		if ((st->kind == TASK_STOP_EXITED || st->kind == TASK_STOP_KILLED)
		    && st->tid != p->pid)
			continue;
		return 0;
	}
}

/* Continue until the whole process ended; returns its wait status. */
static int run_to_exit(struct process *p)
{
	struct task_stop st;

	while (!p->exited)
		if (next_stop(p, &st) < 0)
			return -1;
	return p->exit_status;
}

/* ---- symbols (libelf) --------------------------------------------------------- */

static bool elf_symbol(const char *path, const char *name, uint64_t *value,
		       bool *pie)
{
	bool found = false;
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		return false;
	elf_version(EV_CURRENT);
	Elf *e = elf_begin(fd, ELF_C_READ, NULL);
	GElf_Ehdr eh;
	if (e && gelf_getehdr(e, &eh)) {
		*pie = eh.e_type == ET_DYN;
		Elf_Scn *scn = NULL;
		while (!found && (scn = elf_nextscn(e, scn))) {
			GElf_Shdr sh;
			if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_SYMTAB)
				continue;
			Elf_Data *d = elf_getdata(scn, NULL);
			size_t n = sh.sh_entsize ? sh.sh_size / sh.sh_entsize : 0;
			for (size_t i = 0; d && i < n && !found; i++) {
				GElf_Sym sym;
				if (!gelf_getsym(d, (int)i, &sym))
					continue;
				const char *s = elf_strptr(e, sh.sh_link, sym.st_name);
				if (s && strcmp(s, name) == 0 && sym.st_value) {
					*value = sym.st_value;
					found = true;
				}
			}
		}
	}
	if (e)
		elf_end(e);
	close(fd);
	return found;
}

/* Load base of the executable: start of its mapping at file offset 0. */
static uint64_t exe_base(struct process *p, const char *path)
{
	char maps[64], line[512], real[PATH_MAX];
	uint64_t base = 0;

	if (!realpath(path, real))
		return 0;
	snprintf(maps, sizeof(maps), "/proc/%d/maps", (int)p->pid);
	FILE *f = fopen(maps, "r");
	while (f && !base && fgets(line, sizeof(line), f)) {
		unsigned long start, offset;
		int name_at = 0;
		if (sscanf(line, "%lx-%*x %*s %lx %*s %*s %n", &start, &offset,
			   &name_at) < 2 || offset != 0 || !name_at)
			continue;
		line[strcspn(line, "\n")] = 0;
		if (strcmp(line + name_at, real) == 0)
			base = start;
	}
	if (f)
		fclose(f);
	return base;
}

static uint64_t symbol_address(struct process *p, const char *name,
			       const char *sym)
{
	uint64_t value;
	bool pie;

	if (!elf_symbol(prog(name), sym, &value, &pie))
		return 0;
	return pie ? exe_base(p, prog(name)) + value : value;
}

/* Run to a software breakpoint at addr and leave rip there. */
static bool run_to_address(struct process *p, uint64_t addr)
{
	struct task_stop st;
	struct user_regs_struct r;

	if (process_insert_breakpoint(p, addr) < 0)
		return false;
	if (next_stop(p, &st) < 0 || st.kind != TASK_STOP_SIGNAL ||
	    st.signo != SIGTRAP)
		return false;
	struct task *t = process_find_task(p, st.tid);
	if (task_get_gregs(p, t, &r) < 0 || r.rip != addr + 1)
		return false;
	r.rip = addr;
	return task_set_gregs(p, t, &r) == 0 &&
	       process_remove_breakpoint(p, addr) == 0;
}

static bool run_to_symbol(struct process *p, const char *name,
			  const char *sym)
{
	uint64_t addr = symbol_address(p, name, sym);

	return addr && run_to_address(p, addr);
}

/* ---- spawning and exits ---------------------------------------------------------- */

static void test_spawn_exit_status(void)
{
	struct process *p = spawn("exitcode", "7", NULL);
	struct task *t;

	REQUIRE(p);
	t = leader(p);
	REQUIRE(t);
	CU_ASSERT(t->stopped);
	CU_ASSERT_EQUAL(t->last_stop.kind, TASK_STOP_EXEC);
	int status = run_to_exit(p);
	CU_ASSERT(WIFEXITED(status));
	CU_ASSERT_EQUAL(WEXITSTATUS(status), 7);
	CU_ASSERT_EQUAL(leader(p)->last_stop.kind, TASK_STOP_EXITED);
	CU_ASSERT_EQUAL(leader(p)->last_stop.exit_status, 7);
out:
	finish(p);
}

static void test_spawn_killed_by_signal(void)
{
	struct process *p = spawn("exitcode", "--signal", "15");
	struct task_stop st;
	bool saw_delivery = false;

	REQUIRE(p);
	REQUIRE(task_resume(p, leader(p), TASK_RESUME_CONT, 0) == 0);
	for (;;) {
		REQUIRE(process_wait(p, &st, 0) == 1);
		if (st.kind != TASK_STOP_SIGNAL)
			break;
		saw_delivery |= st.signo == SIGTERM &&
				st.siginfo.si_signo == SIGTERM;
		REQUIRE(task_resume(p, leader(p), TASK_RESUME_CONT, st.signo) == 0);
	}
	CU_ASSERT(saw_delivery);
	CU_ASSERT_EQUAL(st.kind, TASK_STOP_KILLED);
	CU_ASSERT_EQUAL(st.signo, SIGTERM);
	CU_ASSERT(p->exited && WIFSIGNALED(p->exit_status));
out:
	finish(p);
}

static void test_spawn_enoent(void)
{
	char err[256] = "";
	char *argv[] = { "/nonexistent/xrr-no-such-program", NULL };
	struct process *p = spawn_quiet(argv, err, sizeof(err));

	CU_ASSERT_PTR_NULL(p);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "xrr-no-such-program"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, strerror(ENOENT)));
	finish(p);
	/* The failed child was reaped. */
	CU_ASSERT_EQUAL(waitpid(-1, NULL, __WALL | WNOHANG), -1);
}

static void test_spawn_eacces(void)
{
	char path[] = "/tmp/xrr-test-noexec-XXXXXX";
	char err[256] = "";
	int fd = mkstemp(path);
	char *argv[] = { path, NULL };

	REQUIRE(fd >= 0);
	close(fd);
	chmod(path, 0644);
	struct process *p = spawn_quiet(argv, err, sizeof(err));
	CU_ASSERT_PTR_NULL(p);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, path));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, strerror(EACCES)));
	finish(p);
	unlink(path);
out:;
}

static void test_spawn_options(void)
{
	char err[256];
	char *argv[] = { (char *)prog("hello"), NULL };
	struct spawn_options o = SPAWN_OPTIONS_DEFAULT;
	struct process *p = calloc(1, sizeof(*p));
	char buf[64];

	o.disable_aslr = true;
	o.cpu = 0;
	o.cwd = "/tmp";
	REQUIRE(process_spawn(p, argv, NULL, &o, err, sizeof(err)) == 0);
	snprintf(buf, sizeof(buf), "/proc/%d/cwd", (int)p->pid);
	char cwd[PATH_MAX] = "";
	CU_ASSERT(readlink(buf, cwd, sizeof(cwd) - 1) > 0);
	CU_ASSERT_STRING_EQUAL(cwd, "/tmp");
	cpu_set_t set;
	CU_ASSERT(sched_getaffinity(p->pid, sizeof(set), &set) == 0);
	CU_ASSERT(CPU_ISSET(0, &set) && CPU_COUNT(&set) == 1);
	snprintf(buf, sizeof(buf), "/proc/%d/personality", (int)p->pid);
	FILE *f = fopen(buf, "r");
	unsigned long pers = 0;
	CU_ASSERT(f && fscanf(f, "%lx", &pers) == 1);
	if (f)
		fclose(f);
	CU_ASSERT(pers & ADDR_NO_RANDOMIZE);
out:
	finish(p);
}

/* ---- XSAVE layouts ----------------------------------------------------------------- */

static void test_layout_host_matches_cpuid(void)
{
	struct xsave_layout l;
	unsigned a, b, c, d;

	REQUIRE(xsave_layout_host(&l) == 0);
	__cpuid_count(0xd, 0, a, b, c, d);
	CU_ASSERT_EQUAL(l.supported_xcr0, ((uint64_t)d << 32) | a);
	CU_ASSERT_EQUAL(l.max_size, c);
	for (int i = 2; i < 64; i++) {
		if (!(l.supported_xcr0 & (1ull << i)))
			continue;
		__cpuid_count(0xd, i, a, b, c, d);
		CU_ASSERT(l.comp[i].supported);
		CU_ASSERT_EQUAL(l.comp[i].offset, b);
		CU_ASSERT_EQUAL(l.comp[i].size, a);
	}
	uint64_t xcr0 = xsave_host_xcr0();
	CU_ASSERT((xcr0 & 3) == 3);
	CU_ASSERT((xcr0 & ~l.supported_xcr0) == 0);
	printf("\n    host XCR0 %#llx, XSAVE size %u ",
	       (unsigned long long)xcr0, l.max_size);

	/* This development machine: AMD Zen 4, XCR0 0xe7. */
	char vendor[13] = "";
	__cpuid(0, a, b, c, d);
	memcpy(vendor, &b, 4); memcpy(vendor + 4, &d, 4); memcpy(vendor + 8, &c, 4);
	if (strcmp(vendor, "AuthenticAMD") == 0 && xcr0 == 0xe7) {
		CU_ASSERT_EQUAL(l.comp[XCR0_BIT_AVX].offset, 576);
		CU_ASSERT_EQUAL(l.comp[XCR0_BIT_OPMASK].offset, 832);
		CU_ASSERT_EQUAL(l.comp[XCR0_BIT_ZMM_HI256].offset, 896);
		CU_ASSERT_EQUAL(l.comp[XCR0_BIT_HI16_ZMM].offset, 1408);
	}
out:;
}

/* The regset's software bytes carry the XCR0 the thread runs with. */
static void test_regset_xcr0(void)
{
	struct process *p = spawn("hello", NULL, NULL);
	uint8_t *img = NULL;

	REQUIRE(p);
	img = calloc(1, p->layout.max_size);
	ssize_t n = task_get_xstate(p, leader(p), img, p->layout.max_size);
	REQUIRE(n >= 576);
	uint64_t xcr0;
	memcpy(&xcr0, img + XSAVE_SW_XCR0_OFFSET, 8);
	CU_ASSERT_EQUAL(xcr0, xsave_host_xcr0());
	struct x86_regfile rf;
	CU_ASSERT(task_get_regfile(p, leader(p), &rf) == 0);
	CU_ASSERT_EQUAL(rf.xcr0, xcr0);
	CU_ASSERT_EQUAL(rf.fctrl, 0x37f);
	CU_ASSERT_EQUAL(rf.mxcsr, 0x1f80);
	CU_ASSERT_EQUAL(rf.ftag, 0xffff);
	struct user_regs_struct r;
	CU_ASSERT(task_get_gregs(p, leader(p), &r) == 0);
	CU_ASSERT_EQUAL(rf.gpr[X86_RIP], r.rip);
	CU_ASSERT_EQUAL(rf.gpr[X86_RSP], r.rsp);
	CU_ASSERT_EQUAL(rf.cs, r.cs);
	CU_ASSERT_EQUAL(rf.fs_base, r.fs_base);
out:
	free(img);
	finish(p);
}

/* A CPUID source answering leaf 0xD like an Intel or an AMD AVX-512 CPU. */
struct fake_cpu {
	uint64_t xcr0;
	uint32_t size;
	uint32_t offset[10];
};

static const struct fake_cpu intel_skx = {
	0x2e7, 2696, { [2] = 576, [5] = 1088, [6] = 1152, [7] = 1664, [9] = 2688 },
};
static const struct fake_cpu amd_zen4 = {
	0x2e7, 2440, { [2] = 576, [5] = 832, [6] = 896, [7] = 1408, [9] = 2432 },
};

static bool fake_cpuid(void *ctx, uint32_t leaf, uint32_t sub,
		       struct cpuid_leaf *out)
{
	const struct fake_cpu *cpu = ctx;
	static const uint32_t sizes[10] = { [2] = 256, [5] = 64, [6] = 512,
					    [7] = 1024, [9] = 8 };

	if (leaf != 0xd)
		return false;
	memset(out, 0, sizeof(*out));
	if (sub == 0) {
		out->eax = (uint32_t)cpu->xcr0;
		out->edx = (uint32_t)(cpu->xcr0 >> 32);
		out->ebx = out->ecx = cpu->size;
	} else if (sub < 10 && (cpu->xcr0 & (1ull << sub))) {
		out->eax = sizes[sub];
		out->ebx = cpu->offset[sub];
	}
	return true;
}

static void fill_pattern(struct x86_regfile *rf, unsigned seed)
{
	uint8_t *bytes = (uint8_t *)rf;

	for (size_t i = 0; i < sizeof(*rf); i++)
		bytes[i] = (uint8_t)(seed + i * 7 + (i >> 8));
	/* Fields with fewer meaningful bits than their storage. */
	rf->fctrl &= 0xffff; rf->fstat &= 0xffff; rf->fop &= 0x7ff;
	/* A tag word consistent with the contents: every register empty. */
	rf->ftag = 0xffff;
	rf->xcr0 = 0x2e7;
}

static bool regfile_equal(const struct x86_regfile *a,
			  const struct x86_regfile *b)
{
#define SAME(f) (memcmp(&a->f, &b->f, sizeof(a->f)) == 0)
	bool same = SAME(gpr) && SAME(eflags) && SAME(cs) && SAME(ss) &&
		    SAME(ds) && SAME(es) && SAME(fs) && SAME(gs) && SAME(st) &&
		    SAME(fctrl) && SAME(fstat) && SAME(ftag) && SAME(fiseg) &&
		    SAME(fioff) && SAME(foseg) && SAME(fooff) && SAME(fop) &&
		    SAME(xmm) && SAME(mxcsr) && SAME(orig_rax) &&
		    SAME(fs_base) && SAME(gs_base) && SAME(ymmh) &&
		    SAME(zmmh) && SAME(k) && SAME(pkru) && SAME(xcr0);
#undef SAME
	return same;
}

static void test_fake_layouts_intel_vs_amd(void)
{
	struct xsave_layout li, la;
	uint8_t img_i[4096] = { 0 }, img_a[4096] = { 0 };
	struct x86_regfile rf, di, da;

	REQUIRE(xsave_layout_from_cpuid(&li, fake_cpuid, (void *)&intel_skx) == 0);
	REQUIRE(xsave_layout_from_cpuid(&la, fake_cpuid, (void *)&amd_zen4) == 0);
	CU_ASSERT_EQUAL(li.comp[XCR0_BIT_OPMASK].offset, 1088);
	CU_ASSERT_EQUAL(la.comp[XCR0_BIT_OPMASK].offset, 832);
	fill_pattern(&rf, 3);
	uint64_t xcr0 = 0x2e7;
	memcpy(img_i + XSAVE_SW_XCR0_OFFSET, &xcr0, 8);
	memcpy(img_a + XSAVE_SW_XCR0_OFFSET, &xcr0, 8);
	REQUIRE(xsave_encode(&li, &rf, img_i, intel_skx.size, NULL) == 0);
	REQUIRE(xsave_encode(&la, &rf, img_a, amd_zen4.size, NULL) == 0);
	/* k1 sits where each CPU's CPUID says. */
	uint64_t k1_i, k1_a;
	memcpy(&k1_i, img_i + 1088 + 8, 8);
	memcpy(&k1_a, img_a + 832 + 8, 8);
	CU_ASSERT_EQUAL(k1_i, rf.k[1]);
	CU_ASSERT_EQUAL(k1_a, rf.k[1]);
	CU_ASSERT(memcmp(img_a + 1408 + 64 * 4, rf.xmm[20], 16) == 0);
	CU_ASSERT(memcmp(img_i + 1664 + 64 * 4, rf.xmm[20], 16) == 0);
	REQUIRE(xsave_decode(&li, img_i, intel_skx.size, NULL, &di) == 0);
	REQUIRE(xsave_decode(&la, img_a, amd_zen4.size, NULL, &da) == 0);
	CU_ASSERT(regfile_equal(&di, &da));
	CU_ASSERT(memcmp(di.zmmh, rf.zmmh, sizeof(rf.zmmh)) == 0);
	CU_ASSERT_EQUAL(di.pkru, rf.pkru);
	/* Decoding an AMD image with Intel offsets gives wrong values:
	 * the mistake GDB 13 makes on this machine. */
	struct x86_regfile wrong;
	REQUIRE(xsave_decode(&li, img_a, amd_zen4.size, NULL, &wrong) == -EINVAL ||
		memcmp(wrong.k, rf.k, sizeof(rf.k)) != 0);
out:;
}

static void test_encode_decode_round_trip(void)
{
	struct xsave_layout l;
	uint8_t img[4096] = { 0 };
	struct x86_regfile rf, back;
	struct user_regs_struct regs;

	REQUIRE(xsave_layout_from_cpuid(&l, fake_cpuid, (void *)&amd_zen4) == 0);
	fill_pattern(&rf, 11);
	REQUIRE(xsave_encode(&l, &rf, img, sizeof(img), &regs) == 0);
	uint64_t bv;
	memcpy(&bv, img + 512, 8);
	CU_ASSERT_EQUAL(bv, 0x2e7);
	/* The software bytes were 0: decode takes x87|SSE only. */
	REQUIRE(xsave_decode(&l, img, sizeof(img), &regs, &back) == 0);
	CU_ASSERT_EQUAL(back.xcr0, 3);
	uint64_t xcr0 = 0x2e7;
	memcpy(img + XSAVE_SW_XCR0_OFFSET, &xcr0, 8);
	REQUIRE(xsave_decode(&l, img, sizeof(img), &regs, &back) == 0);
	/* eflags and segments go through 64-bit kernel fields unchanged. */
	CU_ASSERT(regfile_equal(&rf, &back));
	/* And the test can tell a difference. */
	back.zmmh[31][31] ^= 1;
	CU_ASSERT(!regfile_equal(&rf, &back));
out:;
}

static void test_decode_init_state(void)
{
	struct xsave_layout l;
	uint8_t img[4096];
	struct x86_regfile rf;
	uint64_t xcr0 = 0x2e7, bv = 0;

	REQUIRE(xsave_layout_from_cpuid(&l, fake_cpuid, (void *)&amd_zen4) == 0);
	memset(img, 0x5a, sizeof(img));
	memcpy(img + XSAVE_SW_XCR0_OFFSET, &xcr0, 8);
	memcpy(img + 512, &bv, 8);
	memset(img + 520, 0, 56);
	REQUIRE(xsave_decode(&l, img, sizeof(img), NULL, &rf) == 0);
	CU_ASSERT_EQUAL(rf.fctrl, 0x37f);
	CU_ASSERT_EQUAL(rf.fstat, 0);
	CU_ASSERT_EQUAL(rf.ftag, 0xffff);
	CU_ASSERT_EQUAL(rf.mxcsr, 0x1f80);
	CU_ASSERT_EQUAL(rf.k[3], 0);
	CU_ASSERT_EQUAL(rf.xmm[5][0], 0);
	CU_ASSERT_EQUAL(rf.ymmh[20][3], 0);
	CU_ASSERT_EQUAL(rf.zmmh[9][31], 0);
	CU_ASSERT_EQUAL(rf.pkru, 0);
	CU_ASSERT_EQUAL(rf.xcr0, 0x2e7);

	/* MXCSR is saved with AVX too: AVX in use, SSE in init state. */
	bv = XCR0_AVX;
	memcpy(img + 512, &bv, 8);
	uint32_t mxcsr = 0x9fc0;
	memcpy(img + 24, &mxcsr, 4);
	REQUIRE(xsave_decode(&l, img, sizeof(img), NULL, &rf) == 0);
	CU_ASSERT_EQUAL(rf.mxcsr, 0x9fc0);
	CU_ASSERT_EQUAL(rf.xmm[5][0], 0);
	CU_ASSERT_EQUAL(rf.ymmh[5][0], 0x5a);
	CU_ASSERT_EQUAL(rf.zmmh[5][0], 0);

	/* A component the layout does not know is an error. */
	xcr0 = 0x2e7 | (1ull << 18);
	memcpy(img + XSAVE_SW_XCR0_OFFSET, &xcr0, 8);
	CU_ASSERT_EQUAL(xsave_decode(&l, img, sizeof(img), NULL, &rf), -EINVAL);
	CU_ASSERT_EQUAL(xsave_decode(&l, img, 512, NULL, &rf), -EINVAL);
out:;
}

static void set_st(uint8_t st[10], uint64_t mantissa, uint16_t sign_exp)
{
	memcpy(st, &mantissa, 8);
	memcpy(st + 8, &sign_exp, 2);
}

static void test_ftag_expansion(void)
{
	uint8_t st[8][10];

	memset(st, 0, sizeof(st));
	/* TOP = 6: st0 is physical 6, st1 physical 7, st2 physical 0. */
	uint32_t fstat = 6u << 11;
	set_st(st[0], 0x8000000000000000ull, 0x3fff);   /* 1.0: valid */
	set_st(st[1], 0, 0);                            /* +0: zero */
	set_st(st[2], 0xc000000000000000ull, 0x7fff);   /* NaN: special */
	set_st(st[3], 0x4000000000000000ull, 0x3fff);   /* unnormal: special */
	set_st(st[4], 1, 0);                            /* denormal: special */
	/* Physical 6, 7, 0, 1, 2 are in use; 3, 4, 5 empty. */
	uint8_t abridged = 0xc7;
	uint32_t tag = xsave_expand_ftag(abridged, fstat,
					 (const uint8_t (*)[10])st);
	uint32_t want = (0u << 12) |    /* phys 6 = st0 valid */
			(1u << 14) |    /* phys 7 = st1 zero */
			(2u << 0) |     /* phys 0 = st2 special */
			(2u << 2) |     /* phys 1 = st3 special */
			(2u << 4) |     /* phys 2 = st4 special */
			(3u << 6) | (3u << 8) | (3u << 10);
	CU_ASSERT_EQUAL(tag, want);
	CU_ASSERT_EQUAL(xsave_abridge_ftag(tag), abridged);
	CU_ASSERT_EQUAL(xsave_expand_ftag(0, 0, (const uint8_t (*)[10])st), 0xffff);
	CU_ASSERT_EQUAL(xsave_abridge_ftag(0xffff), 0);
}

/* x87 state of a real thread: push 1.0 and 0.0 through remote-free means:
 * write the image, read it back through the kernel. */
static void test_x87_on_real_thread(void)
{
	struct process *p = spawn("hello", NULL, NULL);
	struct x86_regfile rf, back;

	REQUIRE(p);
	REQUIRE(task_get_regfile(p, leader(p), &rf) == 0);
	/* Two registers pushed: TOP = 6, st0 = 1.0, st1 = 0.0. */
	memset(rf.st, 0, sizeof(rf.st));
	set_st(rf.st[0], 0x8000000000000000ull, 0x3fff);
	rf.fstat = 6u << 11;
	rf.ftag = 0x0fff | (0u << 12) | (1u << 14);
	rf.xmm[3][0] = 0x42;
	rf.mxcsr = 0x1fa0;
	REQUIRE(task_set_regfile(p, leader(p), &rf) == 0);
	REQUIRE(task_get_regfile(p, leader(p), &back) == 0);
	CU_ASSERT_EQUAL(back.ftag, rf.ftag);
	CU_ASSERT_EQUAL(back.fstat, rf.fstat);
	CU_ASSERT(memcmp(back.st, rf.st, sizeof(rf.st)) == 0);
	CU_ASSERT_EQUAL(back.xmm[3][0], 0x42);
	CU_ASSERT_EQUAL(back.mxcsr, 0x1fa0);
out:
	finish(p);
}

/* ---- AVX-512 on a real thread ------------------------------------------------------ */

static void test_avx512_decode_real(void)
{
	struct process *p = NULL;
	struct x86_regfile rf;

	if (!host_has_avx512f()) {
		printf("\n    skipped: no AVX-512F on this host ");
		return;
	}
	p = spawn("avx512", NULL, NULL);
	REQUIRE(p);
	REQUIRE(run_to_symbol(p, "avx512", "avx512_checkpoint"));
	REQUIRE(task_get_regfile(p, leader(p), &rf) == 0);
	CU_ASSERT((rf.xcr0 & XCR0_AVX512) == XCR0_AVX512);
	for (int lane = 0; lane < 8; lane++) {
		uint64_t want7 = 0x1111111111111111ull * (uint64_t)(lane + 1);
		uint64_t want20 = 0x0101010101010101ull * (uint64_t)(lane + 0x10);
		uint64_t got7, got20;
		const uint8_t *src7 = lane < 2 ? rf.xmm[7] + 8 * lane :
				      lane < 4 ? rf.ymmh[7] + 8 * (lane - 2) :
				      rf.zmmh[7] + 8 * (lane - 4);
		const uint8_t *src20 = lane < 2 ? rf.xmm[20] + 8 * lane :
				       lane < 4 ? rf.ymmh[20] + 8 * (lane - 2) :
				       rf.zmmh[20] + 8 * (lane - 4);
		memcpy(&got7, src7, 8);
		memcpy(&got20, src20, 8);
		CU_ASSERT_EQUAL(got7, want7);
		CU_ASSERT_EQUAL(got20, want20);
	}
	CU_ASSERT_EQUAL(rf.k[1], 0xa5c3);

	/* Writing zmm7's top lane through the regfile reaches the thread. */
	rf.zmmh[7][31] = 0xee;
	REQUIRE(task_set_regfile(p, leader(p), &rf) == 0);
	struct x86_regfile back;
	REQUIRE(task_get_regfile(p, leader(p), &back) == 0);
	CU_ASSERT_EQUAL(back.zmmh[7][31], 0xee);
	CU_ASSERT(memcmp(back.zmmh, rf.zmmh, sizeof(rf.zmmh)) == 0);
	CU_ASSERT(memcmp(back.k, rf.k, sizeof(rf.k)) == 0);
	int status = run_to_exit(p);
	CU_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
out:
	finish(p);
}

/* ---- memory -------------------------------------------------------------------------- */

static void test_memory_read_write(void)
{
	struct process *p = spawn("hello", NULL, NULL);
	int value = 0;

	REQUIRE(p);
	uint64_t global = symbol_address(p, "hello", "hello_global");
	REQUIRE(global);
	CU_ASSERT_EQUAL(process_read_memory(p, global, &value, 4), 4);
	CU_ASSERT_EQUAL(value, 42);
	value = 1000;
	CU_ASSERT_EQUAL(process_write_memory(p, global, &value, 4), 4);
	value = 0;
	CU_ASSERT_EQUAL(process_read_memory(p, global, &value, 4), 4);
	CU_ASSERT_EQUAL(value, 1000);
	/* Wholly unmapped. */
	ssize_t n = process_read_memory(p, 8, &value, 4);
	CU_ASSERT(n == -EIO || n == -EFAULT);
	CU_ASSERT(process_write_memory(p, 8, &value, 4) < 0);
	int status = run_to_exit(p);
	CU_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
out:
	finish(p);
}

static void test_memory_write_text(void)
{
	struct process *p = spawn("hello", NULL, NULL);
	uint8_t orig[4], patched[4] = { 0x90, 0x90, 0x90, 0x90 }, back[4];

	REQUIRE(p);
	uint64_t add = symbol_address(p, "hello", "add");
	REQUIRE(add);
	REQUIRE(process_read_memory(p, add, orig, 4) == 4);
	CU_ASSERT_EQUAL(process_write_memory(p, add, patched, 4), 4);
	CU_ASSERT_EQUAL(process_read_memory(p, add, back, 4), 4);
	CU_ASSERT(memcmp(back, patched, 4) == 0);
	CU_ASSERT_EQUAL(process_write_memory(p, add, orig, 4), 4);
	CU_ASSERT_EQUAL(process_read_memory(p, add, back, 4), 4);
	CU_ASSERT(memcmp(back, orig, 4) == 0);
out:
	finish(p);
}

/* Reads across the end of a mapping into a hole stop at the hole. */
static void test_memory_short_read(void)
{
	struct process *p = spawn("hello", NULL, NULL);
	char maps[64], line[512];
	uint64_t boundary = 0, prev_end = 0;
	uint8_t buf[64];

	REQUIRE(p);
	snprintf(maps, sizeof(maps), "/proc/%d/maps", (int)p->pid);
	FILE *f = fopen(maps, "r");
	REQUIRE(f);
	while (!boundary && fgets(line, sizeof(line), f)) {
		unsigned long start, end;
		char perms[5];
		if (sscanf(line, "%lx-%lx %4s", &start, &end, perms) != 3)
			continue;
		if (prev_end && start > prev_end)
			boundary = prev_end;
		prev_end = perms[0] == 'r' ? end : 0;
	}
	fclose(f);
	REQUIRE(boundary);
	CU_ASSERT_EQUAL(process_read_memory(p, boundary - 16, buf, sizeof(buf)), 16);
	ssize_t n = process_read_memory(p, boundary, buf, sizeof(buf));
	CU_ASSERT(n == -EIO || n == -EFAULT);
out:
	finish(p);
}

/* ---- breakpoints ---------------------------------------------------------------------- */

static void test_breakpoint_hidden_and_refcounted(void)
{
	struct process *p = spawn("hello", NULL, NULL);
	uint8_t orig[8], raw[8], clean[8];

	REQUIRE(p);
	uint64_t add = symbol_address(p, "hello", "add");
	REQUIRE(add);
	REQUIRE(process_read_memory(p, add - 2, orig, 8) == 8);
	REQUIRE(process_insert_breakpoint(p, add) == 0);
	REQUIRE(process_insert_breakpoint(p, add) == 0);
	CU_ASSERT(process_has_breakpoint(p, add));
	CU_ASSERT_EQUAL(process_read_memory(p, add - 2, raw, 8), 8);
	CU_ASSERT_EQUAL(raw[2], 0xcc);
	CU_ASSERT_EQUAL(process_read_memory_clean(p, add - 2, clean, 8), 8);
	CU_ASSERT(memcmp(clean, orig, 8) == 0);
	/* A write over the breakpoint changes the saved byte, keeps int3. */
	uint8_t b = orig[2];
	CU_ASSERT_EQUAL(process_write_memory(p, add, &b, 1), 1);
	CU_ASSERT_EQUAL(process_read_memory(p, add, raw, 1), 1);
	CU_ASSERT_EQUAL(raw[0], 0xcc);
	REQUIRE(process_remove_breakpoint(p, add) == 0);
	CU_ASSERT(process_has_breakpoint(p, add));
	REQUIRE(process_remove_breakpoint(p, add) == 0);
	CU_ASSERT(!process_has_breakpoint(p, add));
	CU_ASSERT_EQUAL(process_read_memory(p, add - 2, raw, 8), 8);
	CU_ASSERT(memcmp(raw, orig, 8) == 0);
	CU_ASSERT(process_remove_breakpoint(p, add) < 0);
out:
	finish(p);
}

static void test_breakpoint_hit(void)
{
	struct process *p = spawn("hello", NULL, NULL);
	struct user_regs_struct r;

	REQUIRE(p);
	REQUIRE(run_to_symbol(p, "hello", "add"));
	REQUIRE(task_get_gregs(p, leader(p), &r) == 0);
	CU_ASSERT_EQUAL(r.rip, symbol_address(p, "hello", "add"));
	CU_ASSERT_EQUAL(r.rdi, 42);
	CU_ASSERT_EQUAL(r.rsi, 1);
	int status = run_to_exit(p);
	CU_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
out:
	finish(p);
}

/* Stepping through add() reaches its return address; every step is a
 * SIGTRAP that moves rip and is no watchpoint hit. */
static void test_single_step(void)
{
	struct process *p = spawn("hello", NULL, NULL);
	struct user_regs_struct before, after;
	struct task_stop st;
	uint64_t ret = 0;
	int steps = 0;

	REQUIRE(p);
	REQUIRE(run_to_symbol(p, "hello", "add"));
	struct task *t = leader(p);
	REQUIRE(task_get_gregs(p, t, &before) == 0);
	REQUIRE(process_read_memory(p, before.rsp, &ret, 8) == 8);
	while (before.rip != ret && steps < 32) {
		REQUIRE(task_resume(p, t, TASK_RESUME_SINGLESTEP, 0) == 0);
		REQUIRE(process_wait(p, &st, 0) == 1);
		CU_ASSERT_EQUAL(st.kind, TASK_STOP_SIGNAL);
		CU_ASSERT_EQUAL(st.signo, SIGTRAP);
		REQUIRE(task_get_gregs(p, t, &after) == 0);
		CU_ASSERT(after.rip != before.rip);
		CU_ASSERT_EQUAL(task_hw_hit(p, t, NULL, NULL), -1);
		before = after;
		steps++;
	}
	CU_ASSERT(steps >= 2);
	CU_ASSERT_EQUAL(before.rip, ret);
	/* add(42, 1) returned 43. */
	CU_ASSERT_EQUAL(before.rax & 0xffffffff, 43);
out:
	finish(p);
}

/* Debug registers that never fire (some VMs): the hit tests skip. */
static bool hw_watch_skipped(void)
{
	static int works = -2;

	if (works == -2)
		works = task_probe_hw_watch();
	if (works == 1)
		return false;
	printf("\n    skipped: hardware watchpoints do not fire on this machine ");
	return true;
}

static void test_hw_watchpoint_write(void)
{
	if (hw_watch_skipped())
		return;
	struct process *p = spawn("watch", NULL, NULL);
	long seen[8];
	int nseen = 0;
	struct task_stop st;

	REQUIRE(p);
	uint64_t counter = symbol_address(p, "watch", "watched_counter");
	REQUIRE(counter);
	REQUIRE(process_insert_hw(p, HW_WRITE, counter, 8) == 0);
	CU_ASSERT(leader(p)->debugreg[7] & 1);
	for (;;) {
		REQUIRE(next_stop(p, &st) == 0);
		if (st.kind != TASK_STOP_SIGNAL)
			break;
		uint64_t addr = 0;
		enum hw_type type = HW_EXECUTE;
		int slot = task_hw_hit(p, leader(p), &addr, &type);
		CU_ASSERT_EQUAL(slot, 0);
		CU_ASSERT_EQUAL(addr, counter);
		CU_ASSERT_EQUAL(type, HW_WRITE);
		REQUIRE(nseen < 8);
		REQUIRE(process_read_memory(p, counter, &seen[nseen], 8) == 8);
		nseen++;
	}
	CU_ASSERT_EQUAL(st.kind, TASK_STOP_EXITED);
	REQUIRE(nseen == 5);
	for (int i = 0; i < 5; i++)
		CU_ASSERT_EQUAL(seen[i], 1L << i);
out:
	finish(p);
}

static void test_hw_arguments(void)
{
	struct process *p = spawn("watch", NULL, NULL);

	REQUIRE(p);
	uint64_t counter = symbol_address(p, "watch", "watched_counter");
	REQUIRE(counter);
	CU_ASSERT_EQUAL(process_insert_hw(p, HW_WRITE, counter + 2, 4), -EINVAL);
	CU_ASSERT_EQUAL(process_insert_hw(p, HW_WRITE, counter, 3), -EINVAL);
	CU_ASSERT_EQUAL(process_insert_hw(p, HW_EXECUTE, counter, 4), -EINVAL);
	for (int i = 0; i < 4; i++)
		CU_ASSERT_EQUAL(process_insert_hw(p, HW_ACCESS, counter, 1 << (i % 4)), 0);
	CU_ASSERT_EQUAL(process_insert_hw(p, HW_WRITE, counter, 8), -ENOSPC);
	/* DR7: L0-L3 enabled; slot 3 is R/W=11, LEN=10 (8 bytes). */
	uint64_t dr7 = leader(p)->debugreg[7];
	CU_ASSERT_EQUAL(dr7 & 0xff, 0x55);
	CU_ASSERT_EQUAL((dr7 >> 28) & 0xf, 0xb);
	CU_ASSERT_EQUAL(process_remove_hw(p, HW_ACCESS, counter, 2), 0);
	CU_ASSERT_EQUAL(leader(p)->debugreg[7] & 0xff, 0x51);
	CU_ASSERT(process_remove_hw(p, HW_ACCESS, counter, 2) < 0);
	errno = 0;
	long dr7_live = ptrace(PTRACE_PEEKUSER, p->pid,
			       (void *)offsetof(struct user, u_debugreg[7]), 0);
	CU_ASSERT_EQUAL(errno, 0);
	CU_ASSERT_EQUAL((uint64_t)dr7_live & 0xff, 0x51);
out:
	finish(p);
}

/* ---- threads ------------------------------------------------------------------------------ */

static void test_threads_followed(void)
{
	struct process *p = spawn("threads", "4", NULL);
	pid_t tids[16];
	int nclone = 0, nexit = 0;
	struct task_stop st;

	REQUIRE(p);
	REQUIRE(task_resume(p, leader(p), TASK_RESUME_CONT, 0) == 0);
	while (!p->exited) {
		REQUIRE(process_wait(p, &st, 0) == 1);
		struct task *t = process_find_task(p, st.tid);
		REQUIRE(t);
		int sig = 0;
		switch (st.kind) {
		case TASK_STOP_CLONE: {
			REQUIRE(nclone < 16);
			tids[nclone++] = st.new_tid;
			struct task *nt = process_find_task(p, st.new_tid);
			CU_ASSERT_PTR_NOT_NULL(nt);
			if (nt && nt->stopped)
				CU_ASSERT(task_resume(p, nt, TASK_RESUME_CONT, 0) == 0);
			break;
		}
		case TASK_STOP_EXITED:
			if (st.tid != p->pid)
				nexit++;
			continue;
		case TASK_STOP_KILLED:
			continue;
		case TASK_STOP_SIGNAL:
			sig = st.signo;
			break;
		default:
			break;
		}
		REQUIRE(task_resume(p, t, TASK_RESUME_CONT, sig) == 0);
	}
	CU_ASSERT_EQUAL(nclone, 4);
	CU_ASSERT_EQUAL(nexit, 4);
	for (int i = 0; i < nclone; i++) {
		CU_ASSERT(tids[i] != p->pid);
		for (int j = 0; j < i; j++)
			CU_ASSERT(tids[i] != tids[j]);
	}
	CU_ASSERT(WIFEXITED(p->exit_status) && WEXITSTATUS(p->exit_status) == 0);
out:
	finish(p);
}

/* Break in worker() in every thread: hardware and software breakpoints
 * reach threads created after they were set. */
static void test_threads_breakpoint_in_workers(void)
{
	if (hw_watch_skipped())
		return;
	struct process *p = spawn("threads", "3", NULL);
	struct task_stop st;
	int hits = 0;

	REQUIRE(p);
	uint64_t worker = symbol_address(p, "threads", "worker");
	REQUIRE(worker);
	REQUIRE(process_insert_hw(p, HW_EXECUTE, worker, 1) == 0);
	for (;;) {
		REQUIRE(next_stop(p, &st) == 0);
		if (st.kind != TASK_STOP_SIGNAL)
			break;
		struct task *t = process_find_task(p, st.tid);
		CU_ASSERT(st.tid != p->pid);
		CU_ASSERT_EQUAL(task_hw_hit(p, t, NULL, NULL), 0);
		hits++;
		/* Go on past the breakpoint. */
		struct user_regs_struct r;
		REQUIRE(task_get_gregs(p, t, &r) == 0);
		CU_ASSERT_EQUAL(r.rip, worker);
		r.eflags |= 0x10000;    /* RF: do not trap here again */
		REQUIRE(task_set_gregs(p, t, &r) == 0);
	}
	CU_ASSERT_EQUAL(hits, 3);
	CU_ASSERT(p->exited && WIFEXITED(p->exit_status));
out:
	finish(p);
}

static void test_stop_all_spinning(void)
{
	struct process *p = spawn("threads", "3", "spin");
	struct task_stop st;
	int nclone = 0;

	REQUIRE(p);
	REQUIRE(task_resume(p, leader(p), TASK_RESUME_CONT, 0) == 0);
	while (nclone < 3) {
		REQUIRE(process_wait(p, &st, 0) == 1);
		struct task *t = process_find_task(p, st.tid);
		if (st.kind == TASK_STOP_CLONE) {
			nclone++;
			REQUIRE(task_resume(p, process_find_task(p, st.new_tid),
					    TASK_RESUME_CONT, 0) == 0);
		}
		REQUIRE(task_resume(p, t, TASK_RESUME_CONT, 0) == 0);
	}
	usleep(20000);
	for (int round = 0; round < 3; round++) {
		REQUIRE(process_stop_all(p) == 0);
		size_t live = 0;
		for (size_t i = 0; i < p->ntasks; i++) {
			if (p->tasks[i].exited)
				continue;
			live++;
			CU_ASSERT(p->tasks[i].stopped);
			char path[64], state = 0;
			snprintf(path, sizeof(path), "/proc/%d/task/%d/stat",
				 (int)p->pid, (int)p->tasks[i].tid);
			FILE *f = fopen(path, "r");
			CU_ASSERT(f && fscanf(f, "%*d %*s %c", &state) == 1);
			if (f)
				fclose(f);
			CU_ASSERT_EQUAL(state, 't');
		}
		CU_ASSERT_EQUAL(live, 4);
		CU_ASSERT_EQUAL(p->npending, 0);
		for (size_t i = 0; i < p->ntasks; i++)
			if (!p->tasks[i].exited)
				REQUIRE(task_resume(p, &p->tasks[i],
						    TASK_RESUME_CONT, 0) == 0);
		usleep(5000);
	}
	CU_ASSERT_EQUAL(process_wait(p, &st, WNOHANG), 0);
out:
	finish(p);
}

/* A stop that happened before stop_all is queued, not lost, and the
 * interrupt that came too late never shows up. */
static void test_stop_all_queues_other_stops(void)
{
	struct process *p = spawn("hello", NULL, NULL);
	struct task_stop st;

	REQUIRE(p);
	uint64_t add = symbol_address(p, "hello", "add");
	REQUIRE(add && process_insert_breakpoint(p, add) == 0);
	REQUIRE(task_resume(p, leader(p), TASK_RESUME_CONT, 0) == 0);
	usleep(100000);         /* it reaches add() and waits for us */
	REQUIRE(process_stop_all(p) == 0);
	CU_ASSERT(leader(p)->stopped);
	REQUIRE(p->npending == 1);
	REQUIRE(process_wait(p, &st, 0) == 1);
	CU_ASSERT_EQUAL(st.kind, TASK_STOP_SIGNAL);
	CU_ASSERT_EQUAL(st.signo, SIGTRAP);
	CU_ASSERT_EQUAL(p->npending, 0);
	struct user_regs_struct r;
	REQUIRE(task_get_gregs(p, leader(p), &r) == 0);
	CU_ASSERT_EQUAL(r.rip, add + 1);
	r.rip = add;
	REQUIRE(task_set_gregs(p, leader(p), &r) == 0);
	REQUIRE(process_remove_breakpoint(p, add) == 0);
	REQUIRE(task_resume(p, leader(p), TASK_RESUME_CONT, 0) == 0);
	REQUIRE(process_wait(p, &st, 0) == 1);
	CU_ASSERT_EQUAL(st.kind, TASK_STOP_EXITED);
	CU_ASSERT(p->exited);
out:
	finish(p);
}

/* ---- remote syscalls -------------------------------------------------------------------------- */

struct snapshot {
	struct user_regs_struct regs;
	uint8_t xstate[8192];
	ssize_t xlen;
	uint64_t mask;
	uint8_t code[3];
};

static bool take_snapshot(struct process *p, struct task *t, struct snapshot *s)
{
	memset(s, 0, sizeof(*s));
	uint64_t where = p->rsys_addr;
	return task_get_gregs(p, t, &s->regs) == 0 &&
	       (s->xlen = task_get_xstate(p, t, s->xstate, sizeof(s->xstate))) > 0 &&
	       ptrace(PTRACE_GETSIGMASK, t->tid, (void *)8, &s->mask) == 0 &&
	       (!where || process_read_memory(p, where, s->code, 3) == 3);
}

static bool same_snapshot(const struct snapshot *a, const struct snapshot *b)
{
	return memcmp(&a->regs, &b->regs, sizeof(a->regs)) == 0 &&
	       a->xlen == b->xlen &&
	       memcmp(a->xstate, b->xstate, (size_t)a->xlen) == 0 &&
	       a->mask == b->mask && memcmp(a->code, b->code, 3) == 0;
}

static long remote(struct process *p, struct task *t, long nr, long a0,
		   long a1, long a2, long a3, long a4, long a5, int *rc)
{
	long args[6] = { a0, a1, a2, a3, a4, a5 };
	long result = 0;

	*rc = task_remote_syscall(p, t, nr, args, &result);
	if (*rc < 0)
		fprintf(stderr, "remote syscall: %s\n", p->err);
	return result;
}

static void test_remote_getpid_after_exec(void)
{
	struct process *p = spawn("hello", NULL, NULL);
	struct snapshot before, after;
	int rc;

	REQUIRE(p);
	struct task *t = leader(p);
	long pid = remote(p, t, SYS_getpid, 0, 0, 0, 0, 0, 0, &rc);
	CU_ASSERT_EQUAL(rc, 0);
	CU_ASSERT_EQUAL(pid, p->pid);
	REQUIRE(take_snapshot(p, t, &before));
	pid = remote(p, t, SYS_gettid, 0, 0, 0, 0, 0, 0, &rc);
	CU_ASSERT_EQUAL(rc, 0);
	CU_ASSERT_EQUAL(pid, t->tid);
	REQUIRE(take_snapshot(p, t, &after));
	CU_ASSERT(same_snapshot(&before, &after));
	int status = run_to_exit(p);
	CU_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
out:
	finish(p);
}

static bool maps_has(pid_t pid, uint64_t addr)
{
	char path[64], line[512];
	bool found = false;

	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	FILE *f = fopen(path, "r");
	while (f && !found && fgets(line, sizeof(line), f)) {
		unsigned long start;
		found = sscanf(line, "%lx-", &start) == 1 && start == addr;
	}
	if (f)
		fclose(f);
	return found;
}

static void test_remote_mmap_and_errors(void)
{
	struct process *p = spawn("hello", NULL, NULL);
	int rc;

	REQUIRE(p);
	struct task *t = leader(p);
	long addr = remote(p, t, SYS_mmap, 0, 8192, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0, &rc);
	CU_ASSERT_EQUAL(rc, 0);
	REQUIRE(addr > 0 && (addr & 0xfff) == 0);
	CU_ASSERT(maps_has(p->pid, (uint64_t)addr));
	uint32_t v = 0xdeadbeef, back = 0;
	CU_ASSERT_EQUAL(process_write_memory(p, (uint64_t)addr + 4096, &v, 4), 4);
	CU_ASSERT_EQUAL(process_read_memory(p, (uint64_t)addr + 4096, &back, 4), 4);
	CU_ASSERT_EQUAL(back, v);
	long r = remote(p, t, SYS_close, -1, 0, 0, 0, 0, 0, &rc);
	CU_ASSERT_EQUAL(rc, 0);
	CU_ASSERT_EQUAL(r, -EBADF);
	r = remote(p, t, SYS_munmap, addr, 8192, 0, 0, 0, 0, &rc);
	CU_ASSERT_EQUAL(r, 0);
	CU_ASSERT(!maps_has(p->pid, (uint64_t)addr));
	int status = run_to_exit(p);
	CU_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
out:
	finish(p);
}

/* A session runs several syscalls under one save/restore. */
static void test_remote_session(void)
{
	struct process *p = spawn("hello", NULL, NULL);
	struct remote_session s;
	struct snapshot before, after;
	long r1 = 0, r2 = 0;

	REQUIRE(p);
	struct task *t = leader(p);
	REQUIRE(take_snapshot(p, t, &before));
	REQUIRE(task_remote_begin(&s, p, t) == 0);
	long args[6] = { 0 };
	CU_ASSERT_EQUAL(task_remote_call(&s, SYS_getppid, args, &r1), 0);
	CU_ASSERT_EQUAL(task_remote_call(&s, SYS_getpid, args, &r2), 0);
	CU_ASSERT_EQUAL(task_remote_end(&s), 0);
	CU_ASSERT_EQUAL(r1, getpid());
	CU_ASSERT_EQUAL(r2, p->pid);
	/* rsys_addr is now chosen: compare its bytes too.  At the exec stop
	 * execve had not returned yet; it has now, with 0 in rax. */
	REQUIRE(take_snapshot(p, t, &after));
	REQUIRE(process_read_memory(p, p->rsys_addr, before.code, 3) == 3);
	CU_ASSERT_EQUAL(after.regs.rax, 0);
	before.regs.rax = 0;
	CU_ASSERT(same_snapshot(&before, &after));
	CU_ASSERT_EQUAL(t->last_stop.kind, TASK_STOP_INTERRUPT);
	CU_ASSERT(!(before.code[0] == 0x0f && before.code[1] == 0x05));
out:
	finish(p);
}

/* Stopped at the entry of write(2): the remote syscall must leave the task
 * at that same entry, and the write must still happen. */
static void test_remote_at_syscall_entry(void)
{
	struct process *p = spawn("hello", NULL, NULL);
	struct task_stop st;
	struct snapshot before, after;
	int rc;

	REQUIRE(p);
	struct task *t = leader(p);
	for (;;) {
		REQUIRE(task_resume(p, t, TASK_RESUME_SYSCALL, 0) == 0);
		REQUIRE(process_wait(p, &st, 0) == 1);
		REQUIRE(st.kind == TASK_STOP_SYSCALL);
		struct user_regs_struct r;
		REQUIRE(task_get_gregs(p, t, &r) == 0);
		if (st.in_syscall_entry && r.orig_rax == SYS_write)
			break;
	}
	/* The snapshot's code bytes: choose the site first. */
	remote(p, t, SYS_getpid, 0, 0, 0, 0, 0, 0, &rc);
	REQUIRE(rc == 0);
	REQUIRE(take_snapshot(p, t, &before));
	long pid = remote(p, t, SYS_getpid, 0, 0, 0, 0, 0, 0, &rc);
	CU_ASSERT_EQUAL(rc, 0);
	CU_ASSERT_EQUAL(pid, p->pid);
	REQUIRE(take_snapshot(p, t, &after));
	CU_ASSERT(same_snapshot(&before, &after));
	struct __ptrace_syscall_info info;
	CU_ASSERT(ptrace(PTRACE_GET_SYSCALL_INFO, t->tid, sizeof(info), &info) > 0);
	CU_ASSERT_EQUAL(info.op, PTRACE_SYSCALL_INFO_ENTRY);
	CU_ASSERT_EQUAL(info.entry.nr, SYS_write);
	/* The write itself runs: its exit returns the length written. */
	REQUIRE(task_resume(p, t, TASK_RESUME_SYSCALL, 0) == 0);
	REQUIRE(process_wait(p, &st, 0) == 1);
	CU_ASSERT(st.kind == TASK_STOP_SYSCALL && !st.in_syscall_entry);
	struct user_regs_struct r;
	REQUIRE(task_get_gregs(p, t, &r) == 0);
	CU_ASSERT_EQUAL((long)r.rax, (long)strlen("hello 43\n"));
	int status = run_to_exit(p);
	CU_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
out:
	finish(p);
}

/* At a signal-delivery-stop the signal and its siginfo survive. */
static void test_remote_at_signal_stop(void)
{
	struct process *p = spawn("signals", NULL, NULL);
	struct task_stop st;
	int rc, usr1 = 0;

	REQUIRE(p);
	struct task *t = leader(p);
	REQUIRE(task_resume(p, t, TASK_RESUME_CONT, 0) == 0);
	while (!p->exited) {
		REQUIRE(process_wait(p, &st, 0) == 1);
		if (st.kind == TASK_STOP_EXITED || st.kind == TASK_STOP_KILLED)
			break;
		int sig = st.kind == TASK_STOP_SIGNAL ? st.signo : 0;
		if (sig == SIGUSR1) {
			usr1++;
			long pid = remote(p, t, SYS_getpid, 0, 0, 0, 0, 0, 0, &rc);
			CU_ASSERT_EQUAL(rc, 0);
			CU_ASSERT_EQUAL(pid, p->pid);
			siginfo_t si;
			CU_ASSERT(ptrace(PTRACE_GETSIGINFO, t->tid, 0, &si) == 0);
			CU_ASSERT_EQUAL(si.si_signo, SIGUSR1);
			CU_ASSERT_EQUAL(si.si_code, st.siginfo.si_code);
			CU_ASSERT_EQUAL(si.si_pid, st.siginfo.si_pid);
		}
		REQUIRE(task_resume(p, t, TASK_RESUME_CONT, sig) == 0);
	}
	CU_ASSERT_EQUAL(usr1, 3);
	/* The program checks its handler counts. */
	CU_ASSERT(WIFEXITED(p->exit_status) && WEXITSTATUS(p->exit_status) == 0);
out:
	finish(p);
}

static void test_remote_after_breakpoint(void)
{
	struct process *p = spawn("hello", NULL, NULL);
	struct snapshot before, after;
	int rc;

	REQUIRE(p);
	REQUIRE(run_to_symbol(p, "hello", "add"));
	struct task *t = leader(p);
	long addr = remote(p, t, SYS_mmap, 0, 4096, PROT_READ,
			   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0, &rc);
	REQUIRE(rc == 0 && addr > 0);
	REQUIRE(take_snapshot(p, t, &before));
	remote(p, t, SYS_munmap, addr, 4096, 0, 0, 0, 0, &rc);
	CU_ASSERT_EQUAL(rc, 0);
	REQUIRE(take_snapshot(p, t, &after));
	CU_ASSERT(same_snapshot(&before, &after));
	int status = run_to_exit(p);
	CU_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
out:
	finish(p);
}

/* The injected code must not outlive a remote syscall whose task dies. */
static void test_remote_exit_reported(void)
{
	struct process *p = spawn("hello", NULL, NULL);
	long args[6] = { 3, 0, 0, 0, 0, 0 }, result = 0;

	REQUIRE(p);
	int rc = task_remote_syscall(p, leader(p), SYS_exit_group, args, &result);
	CU_ASSERT_EQUAL(rc, -ESRCH);
	CU_ASSERT_PTR_NOT_NULL(strstr(p->err, "ended"));
	CU_ASSERT(leader(p)->exited);
out:
	finish(p);
}

/* Detach removes breakpoints and debug registers; the program finishes
 * on its own (it is still our child, so its status can be collected). */
static void test_detach(void)
{
	struct process *p = spawn("watch", NULL, NULL);
	int status = -1;

	REQUIRE(p);
	REQUIRE(run_to_symbol(p, "watch", "main"));
	uint64_t counter = symbol_address(p, "watch", "watched_counter");
	REQUIRE(process_insert_hw(p, HW_WRITE, counter, 8) == 0);
	uint64_t main_addr = symbol_address(p, "watch", "main");
	REQUIRE(process_insert_breakpoint(p, main_addr + 1) == 0);
	pid_t pid = p->pid;
	CU_ASSERT_EQUAL(process_detach(p), 0);
	CU_ASSERT_EQUAL(waitpid(pid, &status, 0), pid);
	CU_ASSERT(WIFEXITED(status));
	if (WIFEXITED(status)) {
		CU_ASSERT_EQUAL(WEXITSTATUS(status), 0);
	} else {
		printf("\n    status %#x ", status);
	}
	p->exited = true;
out:
	finish(p);
}

static void test_no_stray_children(void)
{
	CU_ASSERT_EQUAL(waitpid(-1, NULL, __WALL | WNOHANG), -1);
	CU_ASSERT_EQUAL(errno, ECHILD);
}

static int suite_init(void)
{
	/* A hung tracee must fail the run, not block it. */
	alarm(300);
	return 0;
}

static const struct unit_test spawn_tests[] = {
	{ "spawn and exit status", test_spawn_exit_status },
	{ "killed by signal", test_spawn_killed_by_signal },
	{ "spawn ENOENT names program", test_spawn_enoent },
	{ "spawn EACCES names program", test_spawn_eacces },
	{ "spawn options applied", test_spawn_options },
	{ NULL, NULL },
};

static const struct unit_test xsave_tests[] = {
	{ "host layout matches CPUID 0xD", test_layout_host_matches_cpuid },
	{ "regset carries XCR0", test_regset_xcr0 },
	{ "Intel vs AMD layouts", test_fake_layouts_intel_vs_amd },
	{ "encode/decode round trip", test_encode_decode_round_trip },
	{ "init state and MXCSR", test_decode_init_state },
	{ "ftag expansion", test_ftag_expansion },
	{ "x87 on a real thread", test_x87_on_real_thread },
	{ "AVX-512 decode on a real thread", test_avx512_decode_real },
	{ NULL, NULL },
};

static const struct unit_test memory_tests[] = {
	{ "read and write data", test_memory_read_write },
	{ "write read-only text", test_memory_write_text },
	{ "short read at a hole", test_memory_short_read },
	{ "breakpoints hidden, refcounted", test_breakpoint_hidden_and_refcounted },
	{ "breakpoint hit", test_breakpoint_hit },
	{ "single-step", test_single_step },
	{ "hw write watchpoint", test_hw_watchpoint_write },
	{ "hw arguments and DR7", test_hw_arguments },
	{ NULL, NULL },
};

static const struct unit_test thread_tests[] = {
	{ "threads followed", test_threads_followed },
	{ "hw breakpoint in new threads", test_threads_breakpoint_in_workers },
	{ "stop_all spinning threads", test_stop_all_spinning },
	{ "stop_all queues other stops", test_stop_all_queues_other_stops },
	{ NULL, NULL },
};

static const struct unit_test remote_tests[] = {
	{ "getpid after exec", test_remote_getpid_after_exec },
	{ "mmap, errors", test_remote_mmap_and_errors },
	{ "session of several", test_remote_session },
	{ "at syscall entry", test_remote_at_syscall_entry },
	{ "at signal stop", test_remote_at_signal_stop },
	{ "after breakpoint", test_remote_after_breakpoint },
	{ "task exits", test_remote_exit_reported },
	{ "detach", test_detach },
	{ "no stray children", test_no_stray_children },
	{ NULL, NULL },
};

static const struct unit_suite suites[] = {
	{ "spawn", spawn_tests, suite_init, NULL },
	{ "xsave", xsave_tests, NULL, NULL },
	{ "memory", memory_tests, NULL, NULL },
	{ "threads", thread_tests, NULL, NULL },
	{ "remote", remote_tests, NULL, NULL },
};

UNIT_MAIN(suites)
