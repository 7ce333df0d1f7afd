/* Loads known values into zmm7 (lane i = 0x1111111111111111 * (i + 1)),
 * zmm20 (lane i = 0x0101010101010101 * (i + 0x10)) and k1 (0xa5c3), then
 * calls avx512_checkpoint() where a debugger breaks and checks them.
 * Exits 77 (skip) without AVX-512F. */

/* Code as written for debuggers: automake puts the user's CFLAGS (-O2 by
 * default) after the program's -O0. */
#ifndef __clang__
#pragma GCC optimize("O0")
#endif
#include <stdint.h>
#include <stdio.h>

void avx512_checkpoint(void);

static uint64_t zmm7_pattern[8];
static uint64_t zmm20_pattern[8];
static const uint64_t k1_pattern = 0xa5c3;

/* Empty: a debugger's breakpoint here sees the registers as loaded. */
__attribute__((noinline)) void avx512_checkpoint(void)
{
	__asm__ volatile("" ::: "memory");
}

__attribute__((target("avx512f")))
static void load_and_check(void)
{
	__asm__ volatile(
		"vmovdqu64 %0, %%zmm7\n\t"
		"vmovdqu64 %1, %%zmm20\n\t"
		"kmovw %2, %%k1\n\t"
		"call avx512_checkpoint\n\t"
		:
		: "m"(zmm7_pattern), "m"(zmm20_pattern), "m"(k1_pattern)
		: "xmm7", "xmm20", "k1", "memory", "rax", "rcx", "rdx", "rsi",
		  "rdi", "r8", "r9", "r10", "r11");
}

int main(void)
{
	if (!__builtin_cpu_supports("avx512f")) {
		printf("no avx512\n");
		return 77;
	}
	for (int i = 0; i < 8; i++) {
		zmm7_pattern[i] = 0x1111111111111111ull * (uint64_t)(i + 1);
		zmm20_pattern[i] = 0x0101010101010101ull * (uint64_t)(i + 0x10);
	}
	load_and_check();
	printf("avx512 loaded\n");
	return 0;
}
