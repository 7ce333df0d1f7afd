#!/usr/bin/env bash
# Diversions under real GDB on replays: inferior calls, explicit
# diversions with the host's XCR0, ZMM writes, the replay left untouched,
# implants (load, call, crash, errors), checksums against xxhsum, and
# xrr checksum --at giving the monitor command's hashes.
. "${top_srcdir:-$(dirname "$0")/../..}/testsuite/lib.sh"
command -v "$GDB" >/dev/null || skip_all "gdb not installed"
plan 28

# ---- inferior calls and writes on a replay of hello ----
h="$TEST_TMP/hello"
"$XRR" record -o "$h" "$PROGS/hello" >"$TEST_TMP/h.rec" 2>&1
cat >"$TEST_TMP/h.gdb" <<GDB
target extended-remote | $XRR replay --stdio $h 2>$TEST_TMP/h.stub
break add
continue
delete
p add(2, 3)
monitor diversion status
set var hello_global = 7
p hello_global
monitor diversion end
p hello_global
p a
continue
continue
GDB
run_gdb "$TEST_TMP/h.out" "$TEST_TMP/h.gdb" "$PROGS/hello"
out="$TEST_TMP/h.out"
check "p add(2, 3) at a breakpoint returns 5" "$out" '^\$1 = 5$'
check "the call ran in a diversion" "$out" '^diversion: active, copy pid [0-9]+ of thread [0-9]+'
check "a write in a diversion reads back" "$out" '^\$2 = 7$'
check "after diversion end the recorded value is back" "$out" '^\$3 = 42$'
check "the replay's registers are untouched" "$out" '^\$4 = 42$'
check "continuing reproduces the recorded output" "$TEST_TMP/h.stub" '^hello 43$'
check "end of history with the recorded status" "$out" 'end of the recording: the program exited with status 0'
check "then the recorded exit" "$out" 'exited normally'

# ---- XCR0: the replay's, the host's in a diversion, the replay's again ----
if grep -qw avx512f /proc/cpuinfo; then
	x7="$TEST_TMP/x7"
	"$XRR" record --xcr0 0x7 -o "$x7" "$PROGS/xcr0_probe" >/dev/null 2>&1
	cat >"$TEST_TMP/x.gdb" <<GDB
target extended-remote | $XRR replay -q --stdio $x7
break main
continue
p/x \$xcr0
monitor diversion start
maint flush register-cache
p/x \$xcr0
set var \$zmm3.v8_int64[7] = 0x1234
p/x \$zmm3.v8_int64[7]
set var \$k2 = 0x55
p/x \$k2
monitor diversion end
maint flush register-cache
p/x \$xcr0
p \$zmm3.v8_int64[7]
GDB
	run_gdb "$TEST_TMP/x.out" "$TEST_TMP/x.gdb" "$PROGS/xcr0_probe"
	out="$TEST_TMP/x.out"
	check "xcr0 is 0x7 in the replay" "$out" '^\$1 = 0x7$'
	check "xcr0 is the host's 0xe7 in the diversion" "$out" '^\$2 = 0xe7$'
	check "a ZMM write in the diversion reads back" "$out" '^\$3 = 0x1234$'
	check "a k register write reads back" "$out" '^\$4 = 0x55$'
	check "xcr0 is 0x7 after diversion end" "$out" '^\$5 = 0x7$'
	check "zmm upper halves are unavailable again" "$out" '^\$6 = <unavailable>$'
else
	for i in 1 2 3 4 5 6; do skip "host has no AVX-512: no XCR0 to compare"; done
fi

# ---- checksums and implants on a 64 MiB heap buffer ----
b="$TEST_TMP/buf"
"$XRR" record -o "$b" "$PROGS/div_buffer" >"$TEST_TMP/b.rec" 2>&1
# A late event where the program is still alive: its exit_group (event
# numbers depend on the machine's libc start-up).
wev=$("$XRR" dump "$b" | awk '/ write\(1, "buffer/ { print $1 }')
# Over loopback TCP: through a pipe GDB reads about 1 MiB/s, too slow
# for dumping 64 MiB within the test's time on a loaded machine.
"$XRR" replay -q -s 0 "$b" >"$TEST_TMP/b.serve.out" 2>"$TEST_TMP/b.serve.err" &
b_server=$!
b_port=
for _ in $(seq 100); do
	b_port=$(sed -n 's/.*listening on 127.0.0.1:\([0-9]*\).*/\1/p' "$TEST_TMP/b.serve.err")
	[ -n "$b_port" ] && break
	sleep 0.1
done
cat >"$TEST_TMP/b.gdb" <<GDB
source $top_srcdir/scripts/xrr-gdb.py
target extended-remote 127.0.0.1:$b_port
break checkpoint
continue
printf "event %s\n", "at-checkpoint"
monitor when
eval "monitor checksum 0x%lx %lu", buf, len
eval "dump binary memory $TEST_TMP/buf.bin 0x%lx 0x%lx", buf, buf + len
printf "buffer at 0x%lx\n", buf
xrr-checksum buf len
xrr-implant load $top_builddir/implants/xrr-test-implant.so
p (unsigned long) add6(1, 2, 3, 4, 5, 6)
monitor implant call crash 0x10
monitor implant call add 2 0x28
monitor implant call nosuch 1
monitor implant load /etc/passwd
monitor diversion end
monitor goto $wev
monitor checksum --writable
GDB
run_gdb "$TEST_TMP/b.out" "$TEST_TMP/b.gdb" "$PROGS/div_buffer"
kill "$b_server" 2>/dev/null
wait "$b_server" 2>/dev/null
out="$TEST_TMP/b.out"
hash=$(xxhsum -H3 "$TEST_TMP/buf.bin" 2>/dev/null | sed -n 's/.*= \([0-9a-f]\{16\}\)$/\1/p')
[ -n "$hash" ] || hash=$(xxhsum -H3 "$TEST_TMP/buf.bin" 2>/dev/null | awk '{print $NF}' | sed 's/^XXH3_//')
diag "xxhsum -H3 of the dumped buffer: $hash"
check "monitor checksum equals xxhsum -H3 of the GDB dump" "$out" "^$hash  67108864 bytes in 1 range  [0-9.]+ GB/s  path "
if grep -qw avx512f /proc/cpuinfo; then
	check "the checksum ran its AVX-512 path" "$out" "^$hash .* path avx512$"
else
	skip "host has no AVX-512"
fi
check "xrr-checksum (scripts/xrr-gdb.py) gives the same hash" "$out" "^$hash .*$"
[ "$(grep -c "^$hash " "$out")" = 2 ] && ok "both checksum commands ran" || fail "both checksum commands ran"
check "xrr-implant load prints the add-symbol-file command" "$out" '^add-symbol-file .*xrr-test-implant.so -o 0x[0-9a-f]+$'
check "call of an implant function by name" "$out" '^\$1 = 654321$'
check "a crashing implant is reported with signal, address, symbol" "$out" 'implant crashed: SIGSEGV at 0x[0-9a-f]+ \(in crash\+0x[0-9a-f]+\), fault address 0x10'
check "the diversion goes on after the crash" "$out" '^add = 0x2a \(42\)$'
check "a missing symbol is a clear error" "$out" "no loaded implant defines 'nosuch'"
check "a bad ELF file is a clear error" "$out" 'implant load /etc/passwd: .*not an ELF file'

addr=$(sed -n 's/^buffer at \(0x[0-9a-f]*\)$/\1/p' "$out")
ev=$(sed -n 's/^Current event: \([0-9]*\)$/\1/p' "$out")
"$XRR" checksum "$b" --at "$ev" --range "$addr:67108864" >"$TEST_TMP/cs.out" 2>&1
check "xrr checksum --at --range equals the monitor's hash" "$TEST_TMP/cs.out" "^event $ev $hash 67108864 bytes [a-z0-9]+$"
whash=$(sed -n 's/^\([0-9a-f]\{16\}\)  \([0-9]*\) bytes in [0-9]* ranges  .*/\1 \2/p' "$out" | tail -1)
"$XRR" checksum "$b" --at "$wev" --writable >"$TEST_TMP/cw.out" 2>&1
# The writable ranges include ld.so's data, where glibc keeps the rdtsc
# values of its start-up timing: recorded (and equal) only where rdtsc
# traps.
if rdtsc_trapped "$b"; then
	check "xrr checksum --at $wev --writable equals monitor goto $wev + checksum" "$TEST_TMP/cw.out" "^event $wev ${whash% *} ${whash#* } bytes "
else
	skip "xrr checksum --writable equals monitor checksum --writable: $NO_RDTSC_TRAP (ld.so's data holds start-up TSC values)"
fi
"$XRR" checksum "$b" --at 999 --writable >"$TEST_TMP/ce.out" 2>&1 && fail "an event past the end fails" || check "an event past the end fails" "$TEST_TMP/ce.out" 'recording ends at event'
no_strays "no replayed or diverted process left" "$TEST_TMP"
finish
