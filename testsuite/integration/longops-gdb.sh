#!/usr/bin/env bash
# Long requests never break the debugger's connection: with the replay
# slowed down (XRR_TEST_SLOW_REPLAY_MS), reaching -g's event and `monitor
# goto` take several times GDB's remotetimeout (set to 1 s here: GDB
# gives up on a reply after 3 tries), over stdio and TCP, with a
# diversion and `run` in the same session; a slow restart (vRun) and
# monitor command on a test target; LLDB with a 1 s packet timeout; a
# raw client that retransmits a request gets one reply.
. "${top_srcdir:-$(dirname "$0")/../..}/testsuite/lib.sh"
command -v "$GDB" >/dev/null || skip_all "gdb not installed"
PROBE="$top_builddir/testsuite/integration/rsp_probe"
plan 22

trace="$TEST_TMP/values"
"$XRR" record -o "$trace" "$PROGS/replay_values" >"$TEST_TMP/rec.out" 2>&1
# 100 ms an event: -g 70 takes 7 s, goto 10 -> 90 takes 8 s.
export XRR_TEST_SLOW_REPLAY_MS=100

# What a desynchronised or timed-out connection looks like in GDB.
no_protocol_trouble() {   # no_protocol_trouble WHAT FILE
	if grep -qE 'Remote replied unexpectedly|Ignoring packet error|Remote connection closed|Remote communication error|[Tt]imed out|[Tt]imeout' "$2"; then
		fail "$1: no timeout or desynchronised reply"
		grep -E 'unexpectedly|Ignoring|closed|communication|imed out|imeout' "$2" | sed 's/^/# /'
	else
		ok "$1: no timeout or desynchronised reply"
	fi
}

# ---- stdio: GDB writes at once, the replay to -g's event takes 7 s ----
cat >"$TEST_TMP/stdio.gdb" <<GDB
set remotetimeout 1
target extended-remote | $XRR replay -q --stdio -g 70 $trace 2>$TEST_TMP/stdio.stub
monitor when
monitor goto 10
monitor when
monitor goto 90
monitor when
monitor diversion start
monitor diversion status
monitor diversion end
break values_ready
run
monitor when
p g_pid
GDB
start=$SECONDS
run_gdb "$TEST_TMP/stdio.out" "$TEST_TMP/stdio.gdb" "$PROGS/replay_values"
elapsed=$((SECONDS - start))
out="$TEST_TMP/stdio.out"
[ "$elapsed" -ge 15 ] && ok "the session was slow ($elapsed s)" ||
	fail "the session was slow (took only $elapsed s: is XRR_TEST_SLOW_REPLAY_MS honoured?)"
check "stdio -g 70: GDB starts at event 70" "$out" '^Current event: 70$'
check "monitor goto 10 (back)" "$out" '^Current event: 10$'
check "monitor goto 90 (8 s forward)" "$out" '^Current event: 90$'
check "monitor diversion start" "$out" '^xrr: diversion started'
check "monitor diversion end" "$out" '^xrr: diversion ended; back in the replay at event 90'
check "run restarts and stops at the breakpoint" "$out" '^Breakpoint 1, values_ready \(\)'
check "the restarted replay's values" "$out" "^\\\$1 = $(sed -n 's/^pid //p' "$TEST_TMP/rec.out")\$"
no_protocol_trouble "stdio" "$out"

# ---- TCP: GDB connects while the replay to -g's event runs ----
XRR_TRACE_PACKETS=1 "$XRR" replay -q -s 0 -g 70 "$trace" 2>"$TEST_TMP/tcp.stub" &
xrr_pid=$!
port=
for _ in $(seq 100); do
	port=$(sed -n 's/.*listening on 127.0.0.1:\([0-9]*\).*/\1/p' "$TEST_TMP/tcp.stub")
	[ -n "$port" ] && break
	sleep 0.1
done
cat >"$TEST_TMP/tcp.gdb" <<GDB
set remotetimeout 1
target extended-remote 127.0.0.1:$port
monitor when
kill
GDB
run_gdb "$TEST_TMP/tcp.out" "$TEST_TMP/tcp.gdb" "$PROGS/replay_values"
kill "$xrr_pid" 2>/dev/null
wait "$xrr_pid" 2>/dev/null
out="$TEST_TMP/tcp.out"
check "-s PORT -g 70: GDB starts at event 70" "$out" '^Current event: 70$'
no_protocol_trouble "tcp" "$out"
n=$(grep -c '<- qSupported' "$TEST_TMP/tcp.stub")
[ "$n" -eq 1 ] && ok "the stub answered qSupported once" ||
	fail "the stub answered qSupported once (saw $n)"

# ---- a raw client retransmits a long request: one reply ----
hex() { printf '%s' "$1" | od -An -tx1 | tr -d ' \n'; }
"$XRR" replay -q -s 0 "$trace" 2>"$TEST_TMP/probe.stub" &
xrr_pid=$!
port=
for _ in $(seq 100); do
	port=$(sed -n 's/.*listening on 127.0.0.1:\([0-9]*\).*/\1/p' "$TEST_TMP/probe.stub")
	[ -n "$port" ] && break
	sleep 0.1
done
"$PROBE" "$port" "twice:2500:qRcmd,$(hex 'goto 60')" "qRcmd,$(hex when)" \
	'qC' 'vKill;1' >"$TEST_TMP/probe.out" 2>&1
probe_status=$?
kill "$xrr_pid" 2>/dev/null
wait "$xrr_pid" 2>/dev/null
out="$TEST_TMP/probe.out"
[ $probe_status -eq 0 ] && ok "the probe kept its connection" || fail "the probe kept its connection (status $probe_status)"
n=$(grep -c 'now at event 60' "$out")
[ "$n" -eq 1 ] && ok "a retransmitted goto is answered once" ||
	fail "a retransmitted goto is answered once (saw $n answers)"
check "the next request gets its own reply" "$out" '^O Current event: 60'
check "and the one after too" "$out" '^< QC[0-9a-f]+$'

# ---- a restart (vRun) and a monitor command of 5 s each, on the test
# target of protocol-gdb.sh (a replay restarts from a checkpoint: fast) ----
cat >"$TEST_TMP/fake.gdb" <<GDB
set remotetimeout 1
target extended-remote | FAKE_RESTART_MS=5000 $top_builddir/testsuite/integration/fake_target_server --stdio
monitor fake-sleep 5000
run
GDB
run_gdb "$TEST_TMP/fake.out" "$TEST_TMP/fake.gdb" "$PROGS/hello"
out="$TEST_TMP/fake.out"
check "a 5 s monitor command answers" "$out" '^slept$'
check "a 5 s run restarts, and the program runs to its exit" "$out" 'exited with code 07\]'
no_protocol_trouble "restart" "$out"

# ---- LLDB: a packet timeout of 1 s, monitor goto taking 8 s ----
if [ -z "${LLDB:-}" ] || ! command -v "$LLDB" >/dev/null; then
	skip "LLDB survives a long monitor goto: LLDB not installed"
	skip "LLDB: the answer is right: LLDB not installed"
	skip "LLDB: no timeout: LLDB not installed"
else
	"$XRR" replay -q -s 0 "$trace" 2>"$TEST_TMP/lldb.stub" &
	xrr_pid=$!
	port=
	for _ in $(seq 100); do
		port=$(sed -n 's/.*listening on 127.0.0.1:\([0-9]*\).*/\1/p' "$TEST_TMP/lldb.stub")
		[ -n "$port" ] && break
		sleep 0.1
	done
	timeout -k 5 120 "$LLDB" -b -x \
		-o 'settings set plugin.process.gdb-remote.packet-timeout 1' \
		-o "gdb-remote 127.0.0.1:$port" \
		-o "process plugin packet monitor goto 90" \
		-o "process plugin packet monitor when" \
		-o 'process kill' >"$TEST_TMP/lldb.out" 2>&1 </dev/null
	kill "$xrr_pid" 2>/dev/null
	wait "$xrr_pid" 2>/dev/null
	out="$TEST_TMP/lldb.out"
	check "LLDB survives a long monitor goto" "$out" 'now at event 90'
	check "LLDB: the answer is right" "$out" '^Current event: 90$'
	check_not "LLDB: no timeout" "$out" 'timed out|failed to get response|shut down|error:'
fi
