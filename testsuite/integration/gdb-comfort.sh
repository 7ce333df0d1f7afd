#!/usr/bin/env bash
# GDB comfort on replays and live programs: the /proc files GDB reads
# (no "unable to open /proc file" warning, info proc mappings), catch
# syscall (QCatchSyscalls) on replays and on xrr serve, the xrr-diversion
# command of the GDB helper xrr replay loads, and GDB staying alive after
# the recorded exit.
. "${top_srcdir:-$(dirname "$0")/../..}/testsuite/lib.sh"
command -v "$GDB" >/dev/null || skip_all "gdb not installed"
plan 20

h="$TEST_TMP/hello"
"$XRR" record -o "$h" "$PROGS/hello" >"$TEST_TMP/h.rec" 2>&1

# ---- /proc files of a replay ----
cat >"$TEST_TMP/p.gdb" <<GDB
target extended-remote | $XRR replay -q --stdio $h
break main
continue
info proc mappings
info proc cmdline
info proc exe
GDB
run_gdb "$TEST_TMP/p.out" "$TEST_TMP/p.gdb" "$PROGS/hello"
out="$TEST_TMP/p.out"
check_not "no /proc warning on a replay" "$out" 'unable to open /proc file'
check "info proc mappings lists the program's binary" "$out" \
	"^ +0x[0-9a-f]+ +0x[0-9a-f]+ .* r-xp +$PROGS/hello\$"
check "the libraries by their recorded paths, not the trace's copies" "$out" \
	'r-xp +/.*libc\.so\.6$'
check_not "no path into the trace directory" "$out" "$h/files"
check "the stack has its name" "$out" ' rw-p +\[stack\]$'
check "info proc cmdline is the recorded command line" "$out" \
	"^cmdline = '$PROGS/hello'\$"
check "info proc exe is the recorded executable" "$out" "^exe = '$PROGS/hello'\$"

# ---- catch syscall, on a replay and on xrr serve ----
for where in replay serve; do
	if [ $where = replay ]; then
		conn="target extended-remote | $XRR replay -q --stdio $h"
	else
		conn="target extended-remote | $XRR serve --stdio -- $PROGS/hello"
	fi
	cat >"$TEST_TMP/c-$where.gdb" <<GDB
$conn
catch syscall write
continue
p \$rax
continue
p \$rax
GDB
	run_gdb "$TEST_TMP/c-$where.out" "$TEST_TMP/c-$where.gdb" "$PROGS/hello"
	out="$TEST_TMP/c-$where.out"
	check "$where: catch syscall write stops at the call" "$out" \
		'^Catchpoint 1 \(call to syscall write\), '
	check "$where: ...and at its return with the result" "$out" \
		'^Catchpoint 1 \(returned from syscall write\), '
	check "$where: write of 'hello 43\\n' returned 9" "$out" '^\$2 = 9$'
done

# ---- after the recorded exit: GDB stays alive ----
# -ex commands go on after an error ("no registers"), unlike a script.
timeout -k 5 120 "$GDB" -nx -batch -q -iex 'set debuginfod enabled off' \
	-ex "target extended-remote | $XRR replay -q --stdio $h" \
	-ex continue -ex continue -ex 'info sharedlibrary' \
	-ex 'info registers rip' -ex bt -ex 'x/2x 0x555555554000' \
	-ex 'info threads' -ex 'p 6*7' "$PROGS/hello" >"$TEST_TMP/e.out" 2>&1 </dev/null
echo "# gdb exit status $?" >>"$TEST_TMP/e.out"
out="$TEST_TMP/e.out"
check "the replay reaches the recorded exit" "$out" 'exited normally'
check "info sharedlibrary after the exit prints the libraries" "$out" \
	'ld-linux-x86-64\.so\.2'
check "registers after the exit: GDB's own message" "$out" \
	'The program has no registers now'
check_not "GDB does not crash" "$out" 'Fatal signal|internal-error|fatal error'
check "GDB still answers afterwards" "$out" '^\$1 = 42$'

# ---- xrr-diversion from the helper xrr replay loads ----
if grep -qw avx512f /proc/cpuinfo; then
	x7="$TEST_TMP/x7"
	"$XRR" record --xcr0 0x7 -o "$x7" "$PROGS/xcr0_probe" >/dev/null 2>&1
	cat >"$TEST_TMP/d.gdb" <<'GDB'
break main
continue
p/x $xcr0
xrr-diversion start
p/x $xcr0
xrr-diversion end
p/x $xcr0
GDB
	# The GDB xrr replay launches, in batch mode with our commands last.
	cat >"$TEST_TMP/gdb-wrapper" <<SH
#!/bin/sh
exec "$GDB" -nx -batch -iex 'set debuginfod enabled off' "\$@" -x "$TEST_TMP/d.gdb"
SH
	chmod +x "$TEST_TMP/gdb-wrapper"
	XRR_GDB="$TEST_TMP/gdb-wrapper" timeout -k 5 120 "$XRR" replay -q "$x7" \
		>"$TEST_TMP/d.out" 2>&1 </dev/null
	out="$TEST_TMP/d.out"
	check "xcr0 is 0x7 in the replay before the diversion" \
		"$out" '^\$1 = 0x7$'
	if grep -q '^\$2 = 0xe7$' "$out" && grep -q '^\$3 = 0x7$' "$out"; then
		ok "xrr-diversion start/end make GDB reread \$xcr0 (0xe7, then 0x7)"
	else
		fail "xrr-diversion start/end make GDB reread \$xcr0"
		sed 's/^/#   /' "$out" | tail -n 20
	fi
else
	skip "host has no AVX-512: no XCR0 to compare"
	skip "host has no AVX-512: no XCR0 to compare"
fi
finish
