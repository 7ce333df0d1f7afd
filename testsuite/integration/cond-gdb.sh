#!/usr/bin/env bash
# Target-side breakpoint conditions (ConditionalBreakpoints+) with real
# GDB, on a live program (`xrr serve`) and on a replay (`xrr replay`):
# with `set breakpoint condition-evaluation target` GDB sends each
# condition as agent bytecode in its Z0 packet (`;X`), and the stub
# evaluates it, so GDB sees one stop per breakpoint instead of one per
# hit.  Conditions on a local of main (memory through rbp), a global and
# a register.
. "${top_srcdir:-$(dirname "$0")/../..}/testsuite/lib.sh"
command -v "$GDB" >/dev/null || skip_all "gdb not installed"
plan 17

prog="$PROGS/cond_loop"
call_line=$(grep -n 'line CALL' "$top_srcdir/testsuite/progs/cond_loop.c" | cut -d: -f1)

# session NAME TARGET-COMMAND [ENDING]: three conditional breakpoints in
# turn, each deleted after its stop, then the program runs on to its end
# (ENDING: what it takes).  The packets go to NAME.rsp.
session() {
	local name=$1 target=$2 ending=${3:-continue}
	cat >"$TEST_TMP/$name.gdb" <<GDB
set remotelogfile $TEST_TMP/$name.rsp
$target
set breakpoint condition-evaluation target
break cond_loop.c:$call_line if i == 37
continue
printf "LOCAL i=%d calls=%d\n", i, cond_calls
delete
break visit if cond_calls == 50
continue
printf "GLOBAL i=%d calls=%d\n", i, cond_calls
delete
break *visit if \$rdi == 73
continue
printf "REGISTER rdi=%ld calls=%d\n", \$rdi, cond_calls
delete
$ending
GDB
	run_gdb "$TEST_TMP/$name.out" "$TEST_TMP/$name.gdb" "$prog"
}

# le_hex ADDR: a 64-bit address as the little-endian hex of a stop reply.
le_hex() {
	local h i out=
	h=$(printf '%016x' "0x$1")
	for i in 14 12 10 8 6 4 2 0; do out+=${h:$i:2}; done
	echo "$out"
}

# cond_stops RSP: breakpoint stops GDB received at the addresses it sent
# conditions for (the dynamic linker's own breakpoint stops too).
cond_stops() {
	local rsp=$1 addr n=0
	for addr in $(sed -n 's/.*\$Z0,\([0-9a-f]*\),1;X.*/\1/p' "$rsp" | sort -u); do
		n=$((n + $(grep -c "^r .*\\\$T05.*;10:$(le_hex "$addr");.*swbreak:" "$rsp")))
	done
	echo "$n"
}

# checks NAME: what both targets must show.
checks() {
	local name=$1 out="$TEST_TMP/$1.out" rsp="$TEST_TMP/$1.rsp"
	check "$name: the Z0 packets carry the conditions" "$rsp" \
		'\$Z0,[0-9a-f]+,1;X[0-9a-f]+,[0-9a-f]+#'
	check "$name: stop where the local i == 37" "$out" '^LOCAL i=37 calls=37$'
	check "$name: stop where the global cond_calls == 50" "$out" '^GLOBAL i=50 calls=50$'
	check "$name: stop where the register rdi == 73" "$out" '^REGISTER rdi=73 calls=73$'
	# Host-side evaluation would show GDB 38 + 14 + 23 breakpoint stops.
	local n
	n=$(cond_stops "$rsp")
	[ "$n" -eq 3 ] && ok "$name: GDB saw only the three stops the stub let through" ||
		{ fail "$name: GDB saw only the three stops the stub let through (saw $n)"; grep '^r .*\$T' "$rsp" | head -n 20 | sed 's/^/#   /'; }
	check_not "$name: no protocol errors" "$out" \
		'Remote (connection closed|replied unexpectedly|failure reply)|Ignoring packet error|Error in re-setting'
}

# ---- a live program ------------------------------------------------------------
session live "target remote | $XRR serve --stdio -- $prog"
checks live
check "live: the program ran to its end" "$TEST_TMP/live.out" '^cond_loop 100 4950$'
check "live: exit reported" "$TEST_TMP/live.out" 'exited normally'
no_strays "live: nothing left running" "$prog"

# ---- a replay ------------------------------------------------------------------------
trace="$TEST_TMP/cond"
"$XRR" record -o "$trace" "$prog" >"$TEST_TMP/record.out" 2>"$TEST_TMP/record.err"
st=$?
[ $st -eq 0 ] && ok "recorded" || { fail "recorded (status $st)"; sed 's/^/#   /' "$TEST_TMP/record.err"; }
session replay "target extended-remote | $XRR replay -q --stdio $trace" \
	$'continue\ncontinue'
checks replay
check "replay: the end of the recording is reached" "$TEST_TMP/replay.out" \
	'xrr: end of the recording: the program exited with status 0'
finish
