/* Instruction kinds and memory accesses (replay/insn_access.h): assembled
 * instructions against a known register set, then a sequence run for
 * real under PTRACE_SINGLESTEP in a child, where every byte an
 * instruction changed must lie in an access listed as a write, every
 * listed store must change its (poisoned) bytes, and every value listed
 * as read must arrive in a register or the stored bytes. */
#include "config.h"

#include <CUnit/CUnit.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <unistd.h>

#include "replay/insn_access.h"
#include "replay/insn_virt.h"   /* both headers build together */
#include "testsuite/unit/cunit_main.h"

#define RIP 0x401000ULL

static struct user_regs_struct known_regs(void)
{
	struct user_regs_struct r;

	memset(&r, 0, sizeof(r));
	r.rax = 0x10000;
	r.rbx = 0x20000;
	r.rcx = 3;
	r.rdx = 0x5555;
	r.rsi = 0x30000;
	r.rdi = 0x40000;
	r.rsp = 0x7ffe0000;
	r.rbp = 0x7ffe0100;
	r.fs_base = 0x7f0000001000;
	r.gs_base = 0x7f0000002000;
	r.eflags = 0x202;
	r.rip = RIP;
	return r;
}

static int decode_with(const struct user_regs_struct *r, const uint8_t *b,
		       size_t n, struct insn_info *info)
{
	return insn_decode_access(b, n, RIP, r, info);
}

/* DECODE(info, bytes...) with the known registers. */
#define DECODE(info, ...) do { \
		static const uint8_t b_[] = { __VA_ARGS__ }; \
		struct user_regs_struct r_ = known_regs(); \
		CU_ASSERT_EQUAL_FATAL(decode_with(&r_, b_, sizeof(b_), \
						  &(info)), 0); \
		CU_ASSERT_EQUAL((info).len, sizeof(b_)); \
	} while (0)

static void check_access(const struct insn_info *info, size_t i,
			 uint64_t addr, uint64_t len, bool read, bool write)
{
	CU_ASSERT_FATAL(i < info->naccess);
	CU_ASSERT_EQUAL(info->access[i].addr, addr);
	CU_ASSERT_EQUAL(info->access[i].len, len);
	CU_ASSERT_EQUAL(info->access[i].read, read);
	CU_ASSERT_EQUAL(info->access[i].write, write);
}

static void test_mov(void)
{
	struct insn_info i;

	/* mov rax, [rbx+rcx*4+0x10] */
	DECODE(i, 0x48, 0x8b, 0x44, 0x8b, 0x10);
	CU_ASSERT_EQUAL(i.naccess, 1);
	CU_ASSERT_EQUAL(i.flags, 0);
	check_access(&i, 0, 0x20000 + 3 * 4 + 0x10, 8, true, false);
	CU_ASSERT_STRING_EQUAL(insn_info_mnemonic(&i), "mov");
	/* mov [rbx+rcx*8-8], edx */
	DECODE(i, 0x89, 0x54, 0xcb, 0xf8);
	CU_ASSERT_EQUAL(i.naccess, 1);
	check_access(&i, 0, 0x20000 + 3 * 8 - 8, 4, false, true);
	/* mov rax, [rip+0x100]: relative to the next instruction */
	DECODE(i, 0x48, 0x8b, 0x05, 0x00, 0x01, 0x00, 0x00);
	check_access(&i, 0, RIP + 7 + 0x100, 8, true, false);
	CU_ASSERT_EQUAL(i.flags & INSN_RELATIVE, 0);  /* no branch */
	/* mov rax, fs:[0x28]: the stack protector canary */
	DECODE(i, 0x64, 0x48, 0x8b, 0x04, 0x25, 0x28, 0x00, 0x00, 0x00);
	check_access(&i, 0, 0x7f0000001000 + 0x28, 8, true, false);
	/* mov eax, gs:[rdi] */
	DECODE(i, 0x65, 0x8b, 0x07);
	check_access(&i, 0, 0x7f0000002000 + 0x40000, 4, true, false);
}

static void test_address_size(void)
{
	struct user_regs_struct r = known_regs();
	struct insn_info i;
	/* mov eax, [ebx]: a 0x67 prefix uses the low 32 bits of rbx */
	static const uint8_t b[] = { 0x67, 0x8b, 0x03 };

	r.rbx = 0x100001000ULL;
	CU_ASSERT_EQUAL_FATAL(decode_with(&r, b, sizeof(b), &i), 0);
	check_access(&i, 0, 0x1000, 4, true, false);
}

static void test_stack(void)
{
	struct insn_info i;

	DECODE(i, 0x50);                                /* push rax */
	CU_ASSERT_EQUAL(i.naccess, 1);
	check_access(&i, 0, 0x7ffe0000 - 8, 8, false, true);
	DECODE(i, 0x66, 0x50);                          /* push ax */
	check_access(&i, 0, 0x7ffe0000 - 2, 2, false, true);
	DECODE(i, 0xff, 0x73, 0x08);                    /* push [rbx+8] */
	CU_ASSERT_EQUAL(i.naccess, 2);
	check_access(&i, 0, 0x20008, 8, true, false);
	check_access(&i, 1, 0x7ffe0000 - 8, 8, false, true);
	DECODE(i, 0x59);                                /* pop rcx */
	CU_ASSERT_EQUAL(i.naccess, 1);
	check_access(&i, 0, 0x7ffe0000, 8, true, false);
	/* pop [rsp+8]: addressed with rsp after the pop */
	DECODE(i, 0x8f, 0x44, 0x24, 0x08);
	CU_ASSERT_EQUAL(i.naccess, 2);
	check_access(&i, 0, 0x7ffe0000 + 8 + 8, 8, false, true);
	check_access(&i, 1, 0x7ffe0000, 8, true, false);
	DECODE(i, 0xe8, 0x00, 0x01, 0x00, 0x00);        /* call rel32 */
	CU_ASSERT_EQUAL(i.naccess, 1);
	check_access(&i, 0, 0x7ffe0000 - 8, 8, false, true);
	CU_ASSERT_EQUAL(i.flags, INSN_BRANCH | INSN_RELATIVE);
	CU_ASSERT_EQUAL(i.branch_target, RIP + 5 + 0x100);
	DECODE(i, 0xc3);                                /* ret */
	check_access(&i, 0, 0x7ffe0000, 8, true, false);
	CU_ASSERT_EQUAL(i.flags, INSN_BRANCH);
	DECODE(i, 0xc2, 0x10, 0x00);                    /* ret 16 */
	check_access(&i, 0, 0x7ffe0000, 8, true, false);
	DECODE(i, 0x48, 0xcf);                          /* iretq */
	check_access(&i, 0, 0x7ffe0000, 40, true, false);
	CU_ASSERT(i.flags & INSN_BRANCH);
	DECODE(i, 0xc9);                                /* leave */
	CU_ASSERT_EQUAL(i.naccess, 1);
	check_access(&i, 0, 0x7ffe0100, 8, true, false);
	/* enter 32, 2: push rbp, one frame pointer copied from [rbp-8],
	 * push the new frame pointer */
	DECODE(i, 0xc8, 0x20, 0x00, 0x02);
	CU_ASSERT_EQUAL(i.naccess, 2);
	check_access(&i, 0, 0x7ffe0000 - 24, 24, false, true);
	check_access(&i, 1, 0x7ffe0100 - 8, 8, true, false);
	DECODE(i, 0xc8, 0x20, 0x00, 0x00);              /* enter 32, 0 */
	CU_ASSERT_EQUAL(i.naccess, 1);
	check_access(&i, 0, 0x7ffe0000 - 8, 8, false, true);
}

static void test_read_write(void)
{
	struct insn_info i;

	DECODE(i, 0x01, 0x03);                          /* add [rbx], eax */
	CU_ASSERT_EQUAL(i.naccess, 1);
	check_access(&i, 0, 0x20000, 4, true, true);
	DECODE(i, 0xf0, 0x48, 0x0f, 0xb1, 0x0f);        /* lock cmpxchg [rdi], rcx */
	CU_ASSERT_EQUAL(i.naccess, 1);
	check_access(&i, 0, 0x40000, 8, true, true);
	CU_ASSERT_EQUAL(i.flags, 0);
	DECODE(i, 0x87, 0x4e, 0x04);                    /* xchg [rsi+4], ecx */
	check_access(&i, 0, 0x30004, 4, true, true);
	DECODE(i, 0x48, 0x8d, 0x44, 0x8b, 0x08);        /* lea */
	CU_ASSERT_EQUAL(i.naccess, 0);
	DECODE(i, 0x0f, 0x18, 0x08);                    /* prefetcht0 [rax] */
	CU_ASSERT_EQUAL(i.naccess, 0);
	DECODE(i, 0x0f, 0x1f, 0x04, 0x00);              /* nop [rax+rax] */
	CU_ASSERT_EQUAL(i.naccess, 0);
}

static void test_implicit_extent(void)
{
	struct user_regs_struct r = known_regs();
	static const uint8_t xlat[] = { 0xd7 };
	static const uint8_t clzero[] = { 0x0f, 0x01, 0xfc };
	struct insn_info i;

	r.rax = 0x10025;
	CU_ASSERT_EQUAL_FATAL(decode_with(&r, xlat, 1, &i), 0);
	check_access(&i, 0, 0x20000 + 0x25, 1, true, false);    /* [rbx+al] */
	CU_ASSERT_EQUAL_FATAL(decode_with(&r, clzero, 3, &i), 0);
	check_access(&i, 0, 0x10000, 64, false, true);  /* rax's line */
}

static void test_strings(void)
{
	struct user_regs_struct r = known_regs();
	static const uint8_t rep_movsb[] = { 0xf3, 0xa4 };
	static const uint8_t movsb[] = { 0xa4 };
	static const uint8_t rep_movsq[] = { 0xf3, 0x48, 0xa5 };
	static const uint8_t repne_scasb[] = { 0xf2, 0xae };
	struct insn_info i;

	r.rcx = 100;
	CU_ASSERT_EQUAL_FATAL(decode_with(&r, rep_movsb, 2, &i), 0);
	CU_ASSERT_EQUAL(i.flags, INSN_REP);
	CU_ASSERT_EQUAL(i.naccess, 2);
	check_access(&i, 0, 0x40000, 100, false, true);  /* es:[rdi] */
	check_access(&i, 1, 0x30000, 100, true, false);  /* [rsi] */
	/* Backwards: the 100 bytes ending at (and including) rsi/rdi */
	r.eflags |= 0x400;
	CU_ASSERT_EQUAL_FATAL(decode_with(&r, rep_movsb, 2, &i), 0);
	check_access(&i, 0, 0x40000 - 99, 100, false, true);
	check_access(&i, 1, 0x30000 - 99, 100, true, false);
	/* Without rep: one element whatever rcx is. */
	CU_ASSERT_EQUAL_FATAL(decode_with(&r, movsb, 1, &i), 0);
	CU_ASSERT_EQUAL(i.flags, 0);
	check_access(&i, 0, 0x40000, 1, false, true);
	check_access(&i, 1, 0x30000, 1, true, false);
	r.eflags &= ~0x400ULL;
	/* rcx = 0: nothing touched; still a rep instruction. */
	r.rcx = 0;
	CU_ASSERT_EQUAL_FATAL(decode_with(&r, rep_movsb, 2, &i), 0);
	CU_ASSERT_EQUAL(i.flags, INSN_REP);
	CU_ASSERT_EQUAL(i.naccess, 0);
	/* A huge count is cut at INSN_REP_MAX_BYTES and flagged. */
	r.rcx = 1ULL << 40;
	CU_ASSERT_EQUAL_FATAL(decode_with(&r, rep_movsq, 3, &i), 0);
	CU_ASSERT_EQUAL(i.flags, INSN_REP | INSN_UNKNOWN_MEM);
	check_access(&i, 0, 0x40000, INSN_REP_MAX_BYTES, false, true);
	/* repne scasb: reads es:[rdi] up to rcx bytes */
	r.rcx = 10;
	CU_ASSERT_EQUAL_FATAL(decode_with(&r, repne_scasb, 2, &i), 0);
	CU_ASSERT_EQUAL(i.flags, INSN_REP);
	CU_ASSERT_EQUAL(i.naccess, 1);
	check_access(&i, 0, 0x40000, 10, true, false);
}

static void test_vector(void)
{
	struct insn_info i;

	/* vmovdqu64 zmm1, [rax] */
	DECODE(i, 0x62, 0xf1, 0xfe, 0x48, 0x6f, 0x08);
	check_access(&i, 0, 0x10000, 64, true, false);
	/* vmovdqu64 [rax+0x40]{k1}, zmm1: masked, listed at full size,
	 * disp8*64 compression */
	DECODE(i, 0x62, 0xf1, 0xfe, 0x49, 0x7f, 0x48, 0x01);
	check_access(&i, 0, 0x10040, 64, false, true);
	/* vaddps zmm0, zmm1, [rax]{1to16}: one float read */
	DECODE(i, 0x62, 0xf1, 0x74, 0x58, 0x58, 0x00);
	check_access(&i, 0, 0x10000, 4, true, false);
	/* vgatherdps ymm0, [rax+ymm1*4], ymm2: cannot be bounded */
	DECODE(i, 0xc4, 0xe2, 0x6d, 0x92, 0x04, 0x88);
	CU_ASSERT_EQUAL(i.naccess, 0);
	CU_ASSERT_EQUAL(i.flags, INSN_UNKNOWN_MEM);
	/* tileloadd tmm0, [rax+rcx]: rows and stride from the tile config */
	DECODE(i, 0xc4, 0xe2, 0x7b, 0x4b, 0x04, 0x08);
	CU_ASSERT_EQUAL(i.naccess, 0);
	CU_ASSERT_EQUAL(i.flags, INSN_UNKNOWN_MEM);
}

static void test_xstate(void)
{
	struct insn_info i;

	DECODE(i, 0x0f, 0xae, 0x00);                    /* fxsave [rax] */
	CU_ASSERT_EQUAL(i.flags, INSN_XSTATE);
	check_access(&i, 0, 0x10000, 512, false, true);
	DECODE(i, 0x0f, 0xae, 0x20);                    /* xsave [rax] */
	CU_ASSERT_EQUAL(i.flags, INSN_XSTATE | INSN_UNKNOWN_MEM);
	CU_ASSERT(i.naccess == 1 && i.access[0].addr == 0x10000 &&
		  i.access[0].write);
}

static void test_kinds(void)
{
	struct insn_info i;

	DECODE(i, 0x0f, 0x05);                          /* syscall */
	CU_ASSERT_EQUAL(i.flags, INSN_SYSCALL);
	DECODE(i, 0x0f, 0x34);                          /* sysenter */
	CU_ASSERT_EQUAL(i.flags, INSN_SYSCALL);
	DECODE(i, 0xcd, 0x80);                          /* int 0x80 */
	CU_ASSERT_EQUAL(i.flags, INSN_SYSCALL);
	DECODE(i, 0xcd, 0x03);                          /* int 3 */
	CU_ASSERT_EQUAL(i.flags, INSN_TRAPS);
	DECODE(i, 0x0f, 0xa2);                          /* cpuid */
	CU_ASSERT_EQUAL(i.flags, INSN_TRAPS);
	DECODE(i, 0x0f, 0x31);                          /* rdtsc */
	CU_ASSERT_EQUAL(i.flags, INSN_TRAPS);
	DECODE(i, 0x0f, 0x01, 0xf9);                    /* rdtscp */
	CU_ASSERT_EQUAL(i.flags, INSN_TRAPS);
	DECODE(i, 0x0f, 0x01, 0xd0);                    /* xgetbv */
	CU_ASSERT_EQUAL(i.flags, INSN_TRAPS);
	DECODE(i, 0xcc);                                /* int3 */
	CU_ASSERT_EQUAL(i.flags, INSN_TRAPS);
	DECODE(i, 0x0f, 0x0b);                          /* ud2 */
	CU_ASSERT_EQUAL(i.flags, INSN_TRAPS);
	DECODE(i, 0xf4);                                /* hlt */
	CU_ASSERT_EQUAL(i.flags, INSN_TRAPS);
	DECODE(i, 0xec);                                /* in al, dx */
	CU_ASSERT_EQUAL(i.flags, INSN_TRAPS);
	DECODE(i, 0x0f, 0x01, 0x10);                    /* lgdt [rax] */
	CU_ASSERT_EQUAL(i.flags, INSN_TRAPS);
	DECODE(i, 0x0f, 0xc7, 0xf0);                    /* rdrand eax */
	CU_ASSERT_EQUAL(i.flags, INSN_TRAPS);
	DECODE(i, 0x48, 0x89, 0xd8);                    /* mov rax, rbx */
	CU_ASSERT_EQUAL(i.flags, 0);
	CU_ASSERT_EQUAL(i.naccess, 0);
}

static void test_branches(void)
{
	struct insn_info i;

	DECODE(i, 0x75, 0xee);                          /* jne .-0x10 */
	CU_ASSERT_EQUAL(i.flags, INSN_BRANCH | INSN_RELATIVE);
	CU_ASSERT_EQUAL(i.branch_target, RIP - 0x10);
	CU_ASSERT_EQUAL(i.naccess, 0);
	DECODE(i, 0xe9, 0xfb, 0x0f, 0x00, 0x00);        /* jmp .+0x1000 */
	CU_ASSERT_EQUAL(i.branch_target, RIP + 0x1000);
	DECODE(i, 0xe2, 0xfe);                          /* loop . */
	CU_ASSERT_EQUAL(i.flags, INSN_BRANCH | INSN_RELATIVE);
	CU_ASSERT_EQUAL(i.branch_target, RIP);
	DECODE(i, 0xff, 0x20);                          /* jmp [rax] */
	CU_ASSERT_EQUAL(i.flags, INSN_BRANCH);
	check_access(&i, 0, 0x10000, 8, true, false);
	DECODE(i, 0xff, 0xd0);                          /* call rax */
	CU_ASSERT_EQUAL(i.flags, INSN_BRANCH);
	check_access(&i, 0, 0x7ffe0000 - 8, 8, false, true);
}

static void test_undecodable(void)
{
	struct user_regs_struct r = known_regs();
	struct insn_info i;
	static const uint8_t push_es[] = { 0x06 };      /* invalid in 64-bit */
	static const uint8_t cut[] = { 0x48, 0x8b };    /* mov, no ModRM */
	uint8_t prefixes[16];

	memset(prefixes, 0x66, sizeof(prefixes));       /* longer than 15 */
	CU_ASSERT_EQUAL(insn_decode_access(push_es, 1, RIP, &r, &i), -1);
	CU_ASSERT_EQUAL(insn_decode_access(cut, 2, RIP, &r, &i), -1);
	CU_ASSERT_EQUAL(insn_decode_access(prefixes, 16, RIP, &r, &i), -1);
	CU_ASSERT_EQUAL(insn_decode_access(cut, 0, RIP, &r, &i), -1);
}

/* ---- against real execution -------------------------------------------- */

/* Stepped from after the int3 to probe_end; rbx holds probe_buf. */
__asm__(
	".pushsection .text\n"
	".intel_syntax noprefix\n"
	".globl xrr_probe_seq\n"
	".type xrr_probe_seq, @function\n"
	"xrr_probe_seq:\n"
	"	push rbx\n"
	"	push rbp\n"
	"	mov rbx, rdi\n"
	"	int3\n"
	"	mov ecx, 3\n"
	"	movabs rax, 0x1122334455667788\n"
	"	mov [rbx+rcx*8+16], rax\n"
	"	mov rdx, [rbx+rcx*8+16]\n"
	"	mov rdx, [rip+xrr_probe_data]\n"
	"	mov rdx, fs:[0]\n"              /* the TCB's pointer to itself */
	"	mov eax, 0x01020304\n"
	"	add [rbx+8], eax\n"
	"	lea rdx, [rbx+64]\n"
	"	xor eax, eax\n"
	"	mov edx, 0x07070707\n"
	"	lock cmpxchg [rbx+40], edx\n"
	"	push qword ptr [rbx+8]\n"
	"	pop rdx\n"
	"	push rax\n"
	"	push 0x33\n"
	"	pop qword ptr [rsp]\n"         /* lands where rax was pushed */
	"	pop rax\n"
	"	call 1f\n"
	"	jmp 2f\n"
	"1:	ret\n"
	"2:	lea rsi, [rbx+256]\n"
	"	lea rdi, [rbx+1024]\n"
	"	mov ecx, 100\n"
	"	cld\n"
	"	rep movsb\n"
	"	lea rsi, [rbx+511]\n"
	"	lea rdi, [rbx+2047]\n"
	"	mov ecx, 100\n"
	"	std\n"
	"	rep movsb\n"
	"	cld\n"
	"	movsb\n"
	"	lodsb\n"
	"	lea rbp, [rbx+128]\n"        /* enter copies [rbp-8] */
	"	enter 16, 2\n"
	"	leave\n"
	"	xchg [rbx+48], ecx\n"
	"	mov ecx, 2\n"
	"3:	dec ecx\n"
	"	jne 3b\n"
	"	pop rbp\n"
	"	pop rbx\n"
	".globl xrr_probe_end\n"
	"xrr_probe_end:\n"
	"	ret\n"
	".size xrr_probe_seq, .-xrr_probe_seq\n"
	".att_syntax prefix\n"
	".popsection\n"
	".pushsection .rodata\n"
	".globl xrr_probe_data\n"
	"xrr_probe_data: .quad 0x0123456789abcdef\n"
	".popsection\n");

void xrr_probe_seq(uint8_t *buf);
extern const char xrr_probe_end[];

#define POISON 0xaa
#define STACK_WINDOW 512

static uint8_t probe_buf[4096] __attribute__((aligned(4096)));

struct region {
	uint64_t addr;
	uint8_t before[4096], after[4096];
	size_t len;
};

struct stepper {
	pid_t pid;
	int mem;                /* /proc/PID/mem */
	unsigned checked_reads, checked_writes, taken, steps;
	/* A rep instruction's first prediction, checked when it ends. */
	uint64_t rep_rip;
	struct insn_access rep_write;
};

static int peek(const struct stepper *s, uint64_t addr, void *buf, size_t n)
{
	return pread(s->mem, buf, n, (off_t)addr) == (ssize_t)n ? 0 : -1;
}

static void poke(const struct stepper *s, uint64_t addr, const void *buf,
		 size_t n)
{
	CU_ASSERT(pwrite(s->mem, buf, n, (off_t)addr) == (ssize_t)n);
}

static bool pure_write(const struct insn_access *a)
{
	return a->write && !a->read;
}

static bool pure_read(const struct insn_access *a)
{
	return a->read && !a->write;
}

static bool in_writes(const struct insn_info *info, uint64_t addr)
{
	for (size_t k = 0; k < info->naccess; k++) {
		const struct insn_access *a = &info->access[k];
		if (a->write && addr >= a->addr && addr - a->addr < a->len)
			return true;
	}
	return false;
}

/* Stores are poisoned first so that every byte they write changes. */
static void poison_writes(const struct stepper *s, const struct insn_info *info)
{
	uint8_t p[4096];

	memset(p, POISON, sizeof(p));
	for (size_t k = 0; k < info->naccess; k++)
		if (pure_write(&info->access[k]) &&
		    info->access[k].len <= sizeof(p))
			poke(s, info->access[k].addr, p, info->access[k].len);
}

/* Every byte that changed lies in a listed write. */
static void check_changes(const struct region *rg,
			  const struct insn_info *info, uint64_t rip)
{
	for (size_t k = 0; k < rg->len; k++) {
		if (rg->before[k] == rg->after[k])
			continue;
		if (!in_writes(info, rg->addr + k)) {
			fprintf(stderr, "at %#llx (%s): %#llx changed, not listed\n",
				(unsigned long long)rip, insn_info_mnemonic(info),
				(unsigned long long)(rg->addr + k));
			CU_FAIL("a changed byte is not in a listed write");
			return;
		}
	}
}

/* Every listed store (not rep: one iteration per step) changed bytes. */
static void check_stores(struct stepper *s, const struct insn_info *info)
{
	if (info->flags & INSN_REP)
		return;
	for (size_t k = 0; k < info->naccess; k++) {
		const struct insn_access *a = &info->access[k];
		uint8_t buf[64];
		bool changed = false;
		if (!pure_write(a) || a->len > sizeof(buf))
			continue;
		CU_ASSERT_FATAL(peek(s, a->addr, buf, a->len) == 0);
		for (size_t j = 0; j < a->len; j++)
			changed |= buf[j] != POISON;
		CU_ASSERT(changed);
		s->checked_writes++;
	}
}

static bool value_in_regs(const struct user_regs_struct *r, const void *v,
			  size_t n)
{
	const unsigned long long *reg = (const unsigned long long *)r;

	for (size_t k = 0; k < sizeof(*r) / sizeof(*reg); k++)
		if (memcmp(&reg[k], v, n) == 0)
			return true;
	return false;
}

static bool value_in_writes(const struct stepper *s,
			    const struct insn_info *info, const void *v,
			    size_t n)
{
	for (size_t k = 0; k < info->naccess; k++) {
		const struct insn_access *a = &info->access[k];
		uint8_t buf[64];
		if (!a->write || a->len > sizeof(buf) ||
		    peek(s, a->addr, buf, a->len) < 0)
			continue;
		for (size_t j = 0; j + n <= a->len; j++)
			if (memcmp(buf + j, v, n) == 0)
				return true;
	}
	return false;
}

struct read_value {
	uint8_t v[8];
	size_t n;
};

static void save_reads(const struct stepper *s, const struct insn_info *info,
		       struct read_value *rv)
{
	for (size_t k = 0; k < info->naccess; k++) {
		const struct insn_access *a = &info->access[k];
		rv[k].n = 0;
		if (!pure_read(a) || a->len > 8)
			continue;
		/* The instruction is about to read it: it must be mapped. */
		CU_ASSERT(peek(s, a->addr, rv[k].v, a->len) == 0);
		rv[k].n = a->len;
	}
}

/* What a load read went somewhere: a register (rip for ret) or a store. */
static void check_reads(struct stepper *s, const struct insn_info *info,
			const struct read_value *rv,
			const struct user_regs_struct *after)
{
	if (info->flags & INSN_REP)
		return;
	for (size_t k = 0; k < info->naccess; k++) {
		if (!rv[k].n)
			continue;
		bool arrived = value_in_regs(after, rv[k].v, rv[k].n) ||
			       value_in_writes(s, info, rv[k].v, rv[k].n);
		if (!arrived)
			fprintf(stderr, "%s: %zu bytes read at %#llx arrived "
				"nowhere\n", insn_info_mnemonic(info), rv[k].n,
				(unsigned long long)info->access[k].addr);
		CU_ASSERT(arrived);
		s->checked_reads++;
	}
}

static void check_rip(struct stepper *s, const struct insn_info *info,
		      const struct user_regs_struct *before,
		      const struct user_regs_struct *after)
{
	uint64_t next = before->rip + info->len;

	if (info->flags & INSN_RELATIVE) {
		CU_ASSERT(after->rip == info->branch_target ||
			  after->rip == next);
		s->taken += after->rip == info->branch_target;
	} else if (info->flags & INSN_REP) {
		CU_ASSERT(after->rip == before->rip || after->rip == next);
	} else if (!(info->flags & INSN_BRANCH)) {
		CU_ASSERT_EQUAL(after->rip, next);
	}
}

/* A rep instruction runs one iteration per step: its first prediction
 * must be exactly the bytes all iterations together stored. */
static void track_rep(struct stepper *s, const struct insn_info *info,
		      const struct user_regs_struct *before,
		      const struct user_regs_struct *after)
{
	uint8_t buf[4096];

	if ((info->flags & INSN_REP) && s->rep_rip != before->rip) {
		s->rep_rip = before->rip;
		s->rep_write = info->access[0];
		CU_ASSERT(s->rep_write.write);
	}
	if (!s->rep_rip || after->rip == s->rep_rip)
		return;
	CU_ASSERT_FATAL(s->rep_write.len <= sizeof(buf));
	CU_ASSERT_FATAL(peek(s, s->rep_write.addr, buf, s->rep_write.len) == 0);
	for (size_t j = 0; j < s->rep_write.len; j++)
		CU_ASSERT(buf[j] != POISON);
	/* Just outside it, nothing was stored. */
	CU_ASSERT_FATAL(peek(s, s->rep_write.addr - 1, buf, 1) == 0);
	CU_ASSERT_EQUAL(buf[0], 1 + (s->rep_write.addr - 1 -
				     (uint64_t)(uintptr_t)probe_buf) % 0x50);
	s->checked_writes++;
	s->rep_rip = 0;
}

static void snapshot(const struct stepper *s, struct region *rg, bool after)
{
	CU_ASSERT_FATAL(peek(s, rg->addr, after ? rg->after : rg->before,
			     rg->len) == 0);
}

static void step_one(struct stepper *s, const struct user_regs_struct *r0)
{
	struct region rg[2] = {
		{ .addr = (uintptr_t)probe_buf, .len = sizeof(probe_buf) },
		{ .addr = r0->rsp - STACK_WINDOW, .len = 2 * STACK_WINDOW },
	};
	struct read_value rv[INSN_MAX_ACCESS];
	struct user_regs_struct r1;
	struct insn_info info;
	uint8_t code[16];
	int status;

	CU_ASSERT_FATAL(peek(s, r0->rip, code, sizeof(code)) == 0);
	CU_ASSERT_EQUAL_FATAL(insn_decode_access(code, sizeof(code), r0->rip,
						 r0, &info), 0);
	poison_writes(s, &info);
	save_reads(s, &info, rv);
	for (int k = 0; k < 2; k++)
		snapshot(s, &rg[k], false);
	CU_ASSERT_FATAL(ptrace(PTRACE_SINGLESTEP, s->pid, 0, 0) == 0);
	CU_ASSERT_FATAL(waitpid(s->pid, &status, 0) == s->pid);
	CU_ASSERT_FATAL(WIFSTOPPED(status) && WSTOPSIG(status) == SIGTRAP);
	CU_ASSERT_FATAL(ptrace(PTRACE_GETREGS, s->pid, 0, &r1) == 0);
	for (int k = 0; k < 2; k++) {
		snapshot(s, &rg[k], true);
		check_changes(&rg[k], &info, r0->rip);
	}
	check_stores(s, &info);
	check_reads(s, &info, rv, &r1);
	check_rip(s, &info, r0, &r1);
	track_rep(s, &info, r0, &r1);
	s->steps++;
}

/* Fault in the stack below the probe's, so that the window the tracer
 * reads around rsp is mapped (ptrace reads do not grow the stack). */
static void __attribute__((noinline)) touch_stack(void)
{
	volatile uint8_t stack[16384];

	for (size_t k = 0; k < sizeof(stack); k++)
		stack[k] = 0;
}

static void child(void)
{
	touch_stack();
	if (ptrace(PTRACE_TRACEME, 0, 0, 0) < 0)
		_exit(2);
	xrr_probe_seq(probe_buf);
	_exit(0);
}

/* Plain stores, as guards run them without the hardware. */
static void test_plain_store(void)
{
	struct user_regs_struct r = known_regs();
	struct insn_store st;
	/* mov %rax, (%rdi) */
	static const uint8_t m1[] = { 0x48, 0x89, 0x07 };
	CU_ASSERT_EQUAL_FATAL(insn_plain_store(m1, sizeof(m1), RIP, &r, &st), 0);
	CU_ASSERT_EQUAL(st.addr, r.rdi);
	CU_ASSERT_EQUAL(st.len, 8);
	CU_ASSERT_EQUAL(st.insn_len, 3);
	uint64_t v;
	memcpy(&v, st.bytes, 8);
	CU_ASSERT_EQUAL(v, r.rax);
	/* movl $-2, 0x10(%rbx) */
	static const uint8_t m2[] = { 0xc7, 0x43, 0x10, 0xfe, 0xff, 0xff, 0xff };
	CU_ASSERT_EQUAL_FATAL(insn_plain_store(m2, sizeof(m2), RIP, &r, &st), 0);
	CU_ASSERT_EQUAL(st.addr, r.rbx + 0x10);
	CU_ASSERT_EQUAL(st.len, 4);
	uint32_t v32;
	memcpy(&v32, st.bytes, 4);
	CU_ASSERT_EQUAL(v32, 0xfffffffeu);
	/* mov %cl, (%rsi): the low byte of rcx */
	static const uint8_t m3[] = { 0x88, 0x0e };
	CU_ASSERT_EQUAL_FATAL(insn_plain_store(m3, sizeof(m3), RIP, &r, &st), 0);
	CU_ASSERT_EQUAL(st.len, 1);
	CU_ASSERT_EQUAL(st.bytes[0], (uint8_t)r.rcx);
	/* mov %eax, 0x100(%rip) */
	static const uint8_t m4[] = { 0x89, 0x05, 0x00, 0x01, 0x00, 0x00 };
	CU_ASSERT_EQUAL_FATAL(insn_plain_store(m4, sizeof(m4), RIP, &r, &st), 0);
	CU_ASSERT_EQUAL(st.addr, RIP + 6 + 0x100);
	/* Not plain: add %rax, (%rdi) reads too; mov %ah, (%rdi) is a high
	 * byte; mov (%rdi), %rax loads; push stores through rsp. */
	static const uint8_t n1[] = { 0x48, 0x01, 0x07 };
	static const uint8_t n2[] = { 0x88, 0x27 };
	static const uint8_t n3[] = { 0x48, 0x8b, 0x07 };
	static const uint8_t n4[] = { 0x50 };
	CU_ASSERT_EQUAL(insn_plain_store(n1, sizeof(n1), RIP, &r, &st), -1);
	CU_ASSERT_EQUAL(insn_plain_store(n2, sizeof(n2), RIP, &r, &st), -1);
	CU_ASSERT_EQUAL(insn_plain_store(n3, sizeof(n3), RIP, &r, &st), -1);
	CU_ASSERT_EQUAL(insn_plain_store(n4, sizeof(n4), RIP, &r, &st), -1);
}

static void test_real_execution(void)
{
	struct stepper s = { 0 };
	struct user_regs_struct r;
	char path[64];
	int status;

	for (size_t k = 0; k < sizeof(probe_buf); k++)
		probe_buf[k] = (uint8_t)(1 + k % 0x50);  /* never POISON */
	s.pid = fork();
	CU_ASSERT_FATAL(s.pid >= 0);
	if (s.pid == 0)
		child();
	CU_ASSERT_FATAL(waitpid(s.pid, &status, 0) == s.pid);
	CU_ASSERT_FATAL(WIFSTOPPED(status) && WSTOPSIG(status) == SIGTRAP);
	snprintf(path, sizeof(path), "/proc/%d/mem", (int)s.pid);
	s.mem = open(path, O_RDWR);
	CU_ASSERT_FATAL(s.mem >= 0);
	for (int guard = 0; guard < 2000; guard++) {
		CU_ASSERT_FATAL(ptrace(PTRACE_GETREGS, s.pid, 0, &r) == 0);
		if (r.rip == (uintptr_t)xrr_probe_end)
			break;
		step_one(&s, &r);
	}
	CU_ASSERT_EQUAL(r.rip, (uintptr_t)xrr_probe_end);
	/* 43 instructions besides the two rep movsb, which trap after
	 * each of their 100 iterations (SDM: TF with rep string). */
	CU_ASSERT_EQUAL(s.steps, 43 + 2 * 100);
	CU_ASSERT(s.checked_reads >= 14);
	CU_ASSERT(s.checked_writes >= 10);
	CU_ASSERT(s.taken >= 3);        /* call, jmp, jne */
	close(s.mem);
	kill(s.pid, SIGKILL);
	waitpid(s.pid, &status, 0);
}

static const struct unit_test tests[] = {
	{ "mov: base+index*scale+disp, rip-relative, fs/gs", test_mov },
	{ "address-size prefix uses 32-bit registers", test_address_size },
	{ "push/pop/call/ret/enter/leave stack slots", test_stack },
	{ "read-modify-write, lea, hints", test_read_write },
	{ "xlat and clzero extents", test_implicit_extent },
	{ "string instructions, rep ranges and direction", test_strings },
	{ "AVX-512 loads, masked stores, broadcast, gather", test_vector },
	{ "fxsave exact, xsave unbounded", test_xstate },
	{ "syscalls and trapping instructions", test_kinds },
	{ "branch targets", test_branches },
	{ "undecodable bytes", test_undecodable },
	{ "accesses match single-stepped execution", test_real_execution },
	{ "plain stores for guards", test_plain_store },
	{ NULL, NULL },
};
static const struct unit_suite suites[] = {
	{ "insn access", tests, NULL, NULL },
};
UNIT_MAIN(suites)
