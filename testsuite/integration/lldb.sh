#!/usr/bin/env bash
# Real LLDB (`gdb-remote HOST:PORT`) on replays and on live programs, with
# no copy of the program where LLDB could find it: the program recorded
# is a copy that is deleted before the replay, the trace is moved away
# from where it was recorded, and LLDB runs in an empty directory.
# Breakpoints by name, backtraces with function names, rip/xcr0/zmm
# registers (AVX-512 values checked), stepping, and continuing to the
# exit with its status; a --xcr0 0x7 replay has no zmm registers.  At
# the protocol level: LLDB's queries are answered, GDB's qSupported
# reply is unchanged.
. "${top_srcdir:-$(dirname "$0")/../..}/testsuite/lib.sh"
PROBE="$top_builddir/testsuite/integration/rsp_probe"
: "${LLDB:=no}"
plan 42

# run_lldb OUT PORT COMMAND...: LLDB in batch mode connected to PORT,
# in a directory holding nothing, transcript in OUT.
run_lldb() {
	local out=$1 port=$2 args=() c
	shift 2
	for c in "gdb-remote 127.0.0.1:$port" "$@"; do
		args+=(-o "$c")
	done
	mkdir -p "$TEST_TMP/empty"
	(cd "$TEST_TMP/empty" && timeout -k 5 120 "$LLDB" --no-lldbinit -b "${args[@]}") \
		>"$out" 2>&1 </dev/null
	echo "# lldb exit status $?" >>"$out"
}

# listen_port LOG: the port a `--port 0` / `-s 127.0.0.1:0` server printed.
listen_port() {
	local port= i
	for i in $(seq 100); do
		port=$(sed -n 's/.*listening on 127.0.0.1:\([0-9]*\).*/\1/p' "$1")
		[ -n "$port" ] && break
		sleep 0.1
	done
	echo "$port"
}

# rip_values OUT: the rip values `register read rip` printed, in order.
rip_values() {
	sed -n 's/^ *rip = \(0x[0-9a-f]*\).*/\1/p' "$1"
}

# ---- protocol level (no LLDB needed) -------------------------------------
"$XRR" serve --port 0 --once -- "$PROGS/hello" >"$TEST_TMP/probe-prog.out" 2>"$TEST_TMP/probe-serve.err" &
probe_xrr=$!
port=$(listen_port "$TEST_TMP/probe-serve.err")
hexpath() { printf '%s' "$1" | od -An -tx1 | tr -d ' \n'; }
hello_hex=$(hexpath "$PROGS/hello")
none_hex=$(hexpath "$TEST_TMP/no-such-file")
"$PROBE" "$port" \
	'qSupported:multiprocess+;swbreak+;hwbreak+;xmlRegisters=i386' \
	'qSupported:xmlRegisters=i386,arm,mips,arc;multiprocess+' \
	'qHostInfo' \
	'qProcessInfo' \
	'jThreadsInfo' \
	'QThreadSuffixSupported' \
	'qXfer:libraries-svr4:read::0,fff' \
	'qXfer:features:read:target.xml:0,fffff' \
	"vFile:size:$hello_hex" "vFile:exists:$hello_hex" \
	"vFile:size:$none_hex" "vFile:exists:$none_hex" \
	'vKill;1' >"$TEST_TMP/probe.out" 2>&1
wait "$probe_xrr"
out="$TEST_TMP/probe.out"
reply_after() {   # reply_after REQUEST: the reply line that follows it
	awk -v req="> $1" 'found { print; exit } $0 == req { found = 1 }' "$out"
}
gdb_sup=$(reply_after 'qSupported:multiprocess+;swbreak+;hwbreak+;xmlRegisters=i386')
lldb_sup=$(reply_after 'qSupported:xmlRegisters=i386,arm,mips,arc;multiprocess+')
[[ "$gdb_sup" == "< PacketSize="* && "$gdb_sup" != *libraries-svr4* ]] &&
	ok "GDB's qSupported reply offers no LLDB library list" ||
	fail "GDB's qSupported reply offers no LLDB library list (got '$gdb_sup')"
[[ "$lldb_sup" == *"qXfer:libraries-svr4:read+"* ]] &&
	ok "LLDB's qSupported reply offers the library list" ||
	fail "LLDB's qSupported reply offers the library list (got '$lldb_sup')"
triple_hex=$(printf 'x86_64-pc-linux-gnu' | od -An -tx1 | tr -d ' \n')
[[ "$(reply_after qHostInfo)" == *"triple:$triple_hex;"*"ptrsize:8;endian:little;ostype:linux;"* ]] &&
	ok "qHostInfo names x86_64 Linux" || fail "qHostInfo names x86_64 Linux (got '$(reply_after qHostInfo)')"
[[ "$(reply_after qProcessInfo)" =~ ^\<\ pid:[0-9a-f]+\;triple:$triple_hex\; ]] &&
	ok "qProcessInfo gives the pid and triple" || fail "qProcessInfo gives the pid and triple (got '$(reply_after qProcessInfo)')"
[ "$(reply_after jThreadsInfo)" = "< " ] && [ "$(reply_after QThreadSuffixSupported)" = "< " ] &&
	ok "unsupported LLDB packets answer empty" || fail "unsupported LLDB packets answer empty"
libs=$(reply_after 'qXfer:libraries-svr4:read::0,fff')
[[ "$libs" == *"<library name=\"$PROGS/hello\" lm=\"0\" l_addr=\"0x"* && "$libs" == *ld-linux* ]] &&
	ok "the library list starts with the program, then the interpreter" ||
	fail "the library list starts with the program, then the interpreter (got '$libs')"
[ "$(reply_after "vFile:size:$hello_hex")" = "< F$(printf '%x' "$(stat -c %s "$PROGS/hello")")" ] &&
	[ "$(reply_after "vFile:exists:$hello_hex")" = "< F,1" ] &&
	ok "vFile:size and vFile:exists of the program" ||
	fail "vFile:size and vFile:exists of the program (got '$(reply_after "vFile:size:$hello_hex")' '$(reply_after "vFile:exists:$hello_hex")')"
[ "$(reply_after "vFile:size:$none_hex")" = "< F-1,2" ] && [ "$(reply_after "vFile:exists:$none_hex")" = "< F,0" ] &&
	ok "vFile:size and vFile:exists of a missing file" ||
	fail "vFile:size and vFile:exists of a missing file (got '$(reply_after "vFile:size:$none_hex")' '$(reply_after "vFile:exists:$none_hex")')"
if grep -qw avx512f /proc/cpuinfo; then
	check "LLDB's target description assembles zmm0 from its pieces" "$out" \
		'<reg name="zmm0" bitsize="512" regnum="[0-9]+" value_regnums="[0-9]+,[0-9]+,[0-9]+"'
else
	check_not "no zmm registers without AVX-512" "$out" '<reg name="zmm0"'
fi

if [ "$LLDB" = no ] || ! command -v "$LLDB" >/dev/null 2>&1; then
	for _ in $(seq 33); do skip "LLDB is not installed (configure found none; LLDB=$LLDB)"; done
	finish
fi

# ---- a replay whose program exists nowhere but in the trace ---------------
mkdir -p "$TEST_TMP/bin" "$TEST_TMP/rec"
cp "$PROGS/hello" "$TEST_TMP/bin/hello-copy"
(cd "$TEST_TMP/rec" && "$XRR" record -o trace "$TEST_TMP/bin/hello-copy" >/dev/null 2>"$TEST_TMP/record.err")
rm -f "$TEST_TMP/bin/hello-copy"
mv "$TEST_TMP/rec/trace" "$TEST_TMP/moved-trace"
mkdir -p "$TEST_TMP/stubtmp"
TMPDIR="$TEST_TMP/stubtmp" "$XRR" replay -q -s 127.0.0.1:0 "$TEST_TMP/moved-trace" >"$TEST_TMP/replay.out" 2>"$TEST_TMP/replay.err" &
replay_pid=$!
port=$(listen_port "$TEST_TMP/replay.err")
run_lldb "$TEST_TMP/replay.lldb" "$port" \
	'image list' 'b add' 'continue' 'bt' 'register read rip' 'si' \
	'register read rip' 'register read xcr0' 'register read zmm0' \
	'thread step-out' 'next' 'continue'
wait "$replay_pid"
replay_status=$?
out="$TEST_TMP/replay.lldb"
check "the program is the trace's copy" "$out" "^\\[ *0\\] .* 0x[0-9a-f]+ $TEST_TMP/stubtmp/xrr-lldb-[^/]+$TEST_TMP/bin/hello-copy"
check "breakpoint by name resolves" "$out" '^Breakpoint 1: where = hello-copy`add .* at hello\.c:[0-9]+'
check "continue stops in add" "$out" 'stop reason = breakpoint 1\.1'
check "bt shows add with its arguments" "$out" 'frame #0: 0x[0-9a-f]+ hello-copy`add\(a=42, b=1\) at hello\.c:[0-9]+'
check "bt reaches main" "$out" 'frame #1: 0x[0-9a-f]+ hello-copy`main at hello\.c:[0-9]+'
check "bt goes on into libc" "$out" 'frame #2: 0x[0-9a-f]+ libc\.so\.6`'
rips=($(rip_values "$out"))
[ "${#rips[@]}" -eq 2 ] && [ "${rips[0]}" != "${rips[1]}" ] &&
	ok "si moves rip (${rips[*]})" || fail "si moves rip (saw '${rips[*]}')"
check "xcr0 reads as a register" "$out" '^ *xcr0 = 0x[0-9a-f]{16}$'
if grep -qw avx512f /proc/cpuinfo; then
	check "zmm0 reads as 64 bytes" "$out" '^ *zmm0 = \{(0x[0-9a-f]{2} ){63}0x[0-9a-f]{2}\}$'
else
	check "no zmm0 without AVX-512" "$out" "Invalid register name 'zmm0'"
fi
check "step out of add back to main" "$out" 'hello-copy`main at hello\.c:[0-9]+'
check "continue runs to the recorded exit" "$out" '^Process [0-9]+ exited with status = 0 \(0x00000000\)'
check_not "no errors in the session" "$out" '^error:|failed to set breakpoint|= error'
[ "$replay_status" -eq 0 ] && ok "xrr replay ends when LLDB is done" || fail "xrr replay ends when LLDB is done (status $replay_status)"
[ -z "$(ls -A "$TEST_TMP/stubtmp")" ] &&
	ok "the copies made for LLDB are removed" || fail "the copies made for LLDB are removed"

# ---- fixed-address and static programs ------------------------------------------
for kind in nopie static; do
	cp "$PROGS/hello_$kind" "$TEST_TMP/bin/h-$kind"
	"$XRR" record -o "$TEST_TMP/h-$kind" "$TEST_TMP/bin/h-$kind" >/dev/null 2>&1
	rm -f "$TEST_TMP/bin/h-$kind"
	"$XRR" replay -q -s 127.0.0.1:0 "$TEST_TMP/h-$kind" >/dev/null 2>"$TEST_TMP/h-$kind.err" &
	replay_pid=$!
	port=$(listen_port "$TEST_TMP/h-$kind.err")
	run_lldb "$TEST_TMP/h-$kind.lldb" "$port" 'b add' 'continue' 'bt' 'continue'
	wait "$replay_pid"
	out="$TEST_TMP/h-$kind.lldb"
	check "$kind: continue stops in add" "$out" "frame #0: 0x[0-9a-f]+ h-$kind\`add\\(a=42, b=1\\) at hello\\.c"
	check "$kind: bt reaches main" "$out" "frame #1: 0x[0-9a-f]+ h-$kind\`main at hello\\.c"
	check "$kind: continue runs to the exit" "$out" '^Process [0-9]+ exited with status = 0 '
done

# ---- AVX-512 values in a replay ------------------------------------------------
"$XRR" record -o "$TEST_TMP/avx" "$PROGS/avx512" >"$TEST_TMP/avx-rec.out" 2>&1
if [ $? -eq 77 ] || grep -q 'no avx512' "$TEST_TMP/avx-rec.out"; then
	skip "AVX-512 zmm values: this CPU has no AVX-512F"
	skip "AVX-512 zmm20 value: this CPU has no AVX-512F"
	skip "AVX-512 k1 value: this CPU has no AVX-512F"
else
	"$XRR" replay -q -s 127.0.0.1:0 "$TEST_TMP/avx" >/dev/null 2>"$TEST_TMP/avx-replay.err" &
	replay_pid=$!
	port=$(listen_port "$TEST_TMP/avx-replay.err")
	run_lldb "$TEST_TMP/avx.lldb" "$port" 'b avx512_checkpoint' 'continue' \
		'register read zmm7 zmm20 k1' 'continue'
	wait "$replay_pid"
	out="$TEST_TMP/avx.lldb"
	z7=$(for i in 1 2 3 4 5 6 7 8; do for _ in 1 2 3 4 5 6 7 8; do printf '0x%02x ' $((i * 0x11)); done; done)
	z20=$(for i in 16 17 18 19 20 21 22 23; do for _ in 1 2 3 4 5 6 7 8; do printf '0x%02x ' "$i"; done; done)
	check "zmm7 holds the loaded lanes" "$out" "zmm7 = \\{${z7% }\\}"
	check "zmm20 holds the loaded lanes" "$out" "zmm20 = \\{${z20% }\\}"
	check "k1 holds the loaded mask" "$out" '^ *k1 = 0x000000000000a5c3$'
fi

# ---- a --xcr0 0x7 replay: no zmm registers, xcr0 = 0x7 ------------------------
"$XRR" record --xcr0 0x7 -o "$TEST_TMP/x7" "$PROGS/hello" >/dev/null 2>&1
"$XRR" replay -q -s 127.0.0.1:0 "$TEST_TMP/x7" >/dev/null 2>"$TEST_TMP/x7-replay.err" &
replay_pid=$!
port=$(listen_port "$TEST_TMP/x7-replay.err")
run_lldb "$TEST_TMP/x7.lldb" "$port" 'b main' 'continue' 'register read xcr0' \
	'register read xmm0' 'register read zmm0' 'continue'
wait "$replay_pid"
out="$TEST_TMP/x7.lldb"
check "xcr0 is the recorded 0x7" "$out" '^ *xcr0 = 0x0000000000000007$'
check "xmm0 still reads" "$out" '^ *xmm0 = \{(0x[0-9a-f]{2} ){15}0x[0-9a-f]{2}\}$'
# The description covers the host's AVX-512 (diversions run with it);
# the recorded thread has none, and LLDB shows no value for its zmm.
if grep -qw avx512f /proc/cpuinfo; then
	check "zmm0 is unavailable in a 0x7 replay" "$out" '^zmm0 += error: unavailable$'
else
	check "zmm0 does not exist in a 0x7 replay" "$out" "Invalid register name 'zmm0'"
fi
check "the 0x7 replay runs to its exit" "$out" '^Process [0-9]+ exited with status = 0 '

# ---- a live program through xrr serve ----------------------------------------
cp "$PROGS/replay_values" "$TEST_TMP/bin/values-live"
"$XRR" serve --port 0 --once -- "$TEST_TMP/bin/values-live" >"$TEST_TMP/live-prog.out" 2>"$TEST_TMP/live-serve.err" &
serve_pid=$!
port=$(listen_port "$TEST_TMP/live-serve.err")
run_lldb "$TEST_TMP/live.lldb" "$port" 'b values_ready' 'continue' 'bt' \
	'register read rip' 'si' 'register read rip' 'register read xcr0' \
	'breakpoint delete 1' 'continue'
wait "$serve_pid"
serve_status=$?
out="$TEST_TMP/live.lldb"
check "live: breakpoint by name resolves" "$out" '^Breakpoint 1: where = values-live`values_ready'
check "live: stops in values_ready" "$out" 'frame #0: 0x[0-9a-f]+ values-live`values_ready'
check "live: bt reaches main" "$out" 'frame #1: 0x[0-9a-f]+ values-live`main'
rips=($(rip_values "$out"))
[ "${#rips[@]}" -eq 2 ] && [ "${rips[0]}" != "${rips[1]}" ] &&
	ok "live: si moves rip (${rips[*]})" || fail "live: si moves rip (saw '${rips[*]}')"
check "live: continue runs to the exit status 3" "$out" '^Process [0-9]+ exited with status = 3 \(0x00000003\)'
[ "$serve_status" -eq 0 ] && ok "live: xrr serve --once ends after LLDB" || fail "live: xrr serve --once ends after LLDB (status $serve_status)"
finish
