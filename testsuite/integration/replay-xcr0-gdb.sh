#!/usr/bin/env bash
# GDB on a replay recorded with a smaller XCR0 (--xcr0 0x7) on an AVX-512
# host: $xcr0 reads 0x7, ZMM upper halves are <unavailable> while YMM is
# available, info threads shows xcr0=0x7, and GDB sees the original
# CPUID instruction, not the trap xrr patched in.
. "${top_srcdir:-$(dirname "$0")/../..}/testsuite/lib.sh"
command -v "$GDB" >/dev/null || skip_all "gdb not installed"
grep -qw avx512f /proc/cpuinfo || skip_all "host has no AVX-512: nothing to mask"
plan 8

trace="$TEST_TMP/x7"
"$XRR" record --xcr0 0x7 -o "$trace" "$PROGS/xcr0_probe" >"$TEST_TMP/rec.out" 2>"$TEST_TMP/rec.err"
check "the program saw XCR0 0x7" "$TEST_TMP/rec.out" '^xgetbv0 0x7$'

cat >"$TEST_TMP/x.gdb" <<GDB
target extended-remote | $XRR replay -q --stdio $trace
break main
continue
p/x \$xcr0
p \$xcr0
p/x \$zmm0.v8_int64
p/x \$ymm0.v4_int64
info threads
x/16i \$pc
GDB
run_gdb "$TEST_TMP/x.out" "$TEST_TMP/x.gdb" "$PROGS/xcr0_probe"
out="$TEST_TMP/x.out"
check "p/x \$xcr0 is 0x7 in the replay" "$out" '^\$1 = 0x7$'
check "xcr0 flags" "$out" '^\$2 = \[ x87 sse avx \]$'
check "zmm0 upper half unavailable" "$out" '^\$3 = \{0x[0-9a-f]+, 0x[0-9a-f]+, 0x[0-9a-f]+, 0x[0-9a-f]+, <unavailable>, <unavailable>, <unavailable>, <unavailable>\}$'
check "ymm0 available" "$out" '^\$4 = \{0x[0-9a-f]+, 0x[0-9a-f]+, 0x[0-9a-f]+, 0x[0-9a-f]+\}$'
check "info threads shows xcr0=0x7" "$out" 'Thread [0-9]+\.[0-9]+ .*\(xcr0=0x7\)'
check "GDB sees the original cpuid instruction" "$out" '^ +0x[0-9a-f]+ <main\+[0-9]+>:[[:space:]]+cpuid'
check_not "GDB never sees the ud2 traps" "$out" 'ud2'
finish
