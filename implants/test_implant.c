/* Test implant (testsuite/unit/test_implant.c): built both as a shared
 * object and as a relocatable object.  Calls between functions and a
 * table of pointers exercise the relocations; `crash` faults on purpose. */
#include <stdint.h>

#define EXPORT __attribute__((visibility("default")))

EXPORT uint64_t add(uint64_t a, uint64_t b);
EXPORT uint64_t add6(uint64_t a, uint64_t b, uint64_t c, uint64_t d,
		     uint64_t e, uint64_t f);
EXPORT uint64_t apply(int which, uint64_t a, uint64_t b);
EXPORT uint64_t crash(uint64_t addr);
EXPORT uint64_t counter_bump(void);
EXPORT uint64_t spin(void);
EXPORT uint64_t stack_probe(void);

uint64_t counter = 40;          /* writable data, default visibility */

EXPORT uint64_t add(uint64_t a, uint64_t b)
{
	return a + b;
}

static uint64_t mul(uint64_t a, uint64_t b)
{
	return a * b;
}

EXPORT uint64_t add6(uint64_t a, uint64_t b, uint64_t c, uint64_t d,
		     uint64_t e, uint64_t f)
{
	return a + 10 * b + 100 * c + 1000 * d + 10000 * e + 100000 * f;
}

/* Function pointers in data need absolute relocations. */
static uint64_t (*const ops[])(uint64_t, uint64_t) = { add, mul };

EXPORT uint64_t apply(int which, uint64_t a, uint64_t b)
{
	return ops[which & 1](a, b);
}

EXPORT uint64_t counter_bump(void)
{
	return ++counter;
}

/* Writes through the pointer it is given: 0 faults in crash+something. */
EXPORT uint64_t crash(uint64_t addr)
{
	*(volatile uint64_t *)(uintptr_t)addr = 42;
	return 1;
}

EXPORT uint64_t spin(void)
{
	for (;;)
		__asm__ volatile("" ::: "memory");
}

/* The stack pointer at entry + 8 must be 16-byte aligned (SysV ABI). */
EXPORT uint64_t stack_probe(void)
{
	uint64_t sp;

	__asm__ volatile("mov %%rsp, %0" : "=r"(sp));
	return sp;
}
