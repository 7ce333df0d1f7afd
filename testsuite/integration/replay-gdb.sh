#!/usr/bin/env bash
# Real GDB on replays (`target extended-remote | xrr replay --stdio`):
# values that came from syscalls and rdtsc read at a breakpoint equal the
# recorded ones, again after `run` restarts the replay; a watchpoint fires
# at the same place every time; a conditional breakpoint in a worker
# thread; info threads; end of history; monitor when/goto; writes go to a diversion.
. "${top_srcdir:-$(dirname "$0")/../..}/testsuite/lib.sh"
command -v "$GDB" >/dev/null || skip_all "gdb not installed"
plan 32

trace="$TEST_TMP/values"
"$XRR" record -o "$trace" "$PROGS/replay_values" >"$TEST_TMP/recorded.out" 2>"$TEST_TMP/record.err"
st=$?
[ $st -eq 3 ] && ok "recorded with the program's exit status" || fail "recorded with the program's exit status (got $st)"
rec() { sed -n "s/^$1 //p" "$TEST_TMP/recorded.out"; }

# Watchpoints: the debug registers where they fire, else the replay
# checks them step by step (replay/timeline.c): they work everywhere.
watch1=$'watch g_watched\ncontinue\ncontinue\nbt 1'
watch2=$'watch g_watched\ncontinue\nbt 1'
cat >"$TEST_TMP/values.gdb" <<GDB
target extended-remote | $XRR replay -q --stdio $trace
break values_ready
continue
printf "GOT random 0x%lx\n", g_random
printf "GOT pid %ld\n", g_pid
printf "GOT nsec %ld\n", g_ts.tv_nsec
printf "GOT tsc 0x%lx\n", g_tsc
$watch1
delete
break worker_step if id == 2
continue
p id
p round
info threads
delete
monitor when
continue
continue
break values_ready
run
printf "AGAIN random 0x%lx\n", g_random
printf "AGAIN tsc 0x%lx\n", g_tsc
$watch2
GDB
run_gdb "$TEST_TMP/values.out" "$TEST_TMP/values.gdb" "$PROGS/replay_values"
out="$TEST_TMP/values.out"
check "breakpoint in the replay" "$out" 'Breakpoint 1, values_ready \(\)'
check "getrandom value equals the recorded one" "$out" "^GOT random $(rec random)\$"
check "getpid value equals the recorded one" "$out" "^GOT pid $(rec pid)\$"
check "clock_gettime value equals the recorded one" "$out" "^GOT nsec $(rec nsec)\$"
if rdtsc_trapped "$trace"; then
	check "rdtsc value equals the recorded one" "$out" "^GOT tsc $(rec tsc)\$"
else
	skip "rdtsc value equals the recorded one: $NO_RDTSC_TRAP"
fi
check "watchpoint fires: old value 0" "$out" '^Old value = 0$'
check "watchpoint new value 100" "$out" '^New value = 100$'
check "watchpoint second hit 100 -> 200" "$out" '^New value = 200$'
check "watchpoint stops in main" "$out" '^#0  main \(\) at .*replay_values\.c:[0-9]+'
check "conditional breakpoint in a worker thread" "$out" 'Thread [0-9]+ (".*" )?hit Breakpoint [0-9]+, worker_step \(id=2, round=0\)'
check "condition holds in the stopped thread" "$out" '^\$1 = 2$'
n=$(grep -cE '^[* ] +[0-9]+ +Thread [0-9]+\.[0-9]+ .*\(xcr0=0x[0-9a-f]+\)' "$out")
[ "$n" -ge 3 ] && ok "info threads lists the replayed threads with xcr0 ($n)" || fail "info threads lists the replayed threads with xcr0 (saw $n)"
check "monitor when shows the event" "$out" '^Current event: [0-9]+$'
check "end of history reported" "$out" 'No more reverse-execution history\.'
check "exit status shown at the end" "$out" 'xrr: end of the recording: the program exited with status 3'
check "continuing past the end exits with the recorded status" "$out" 'exited with code 03\]'
check "run restarts the replay" "$out" '^AGAIN random '
check "getrandom again equal after run" "$out" "^AGAIN random $(rec random)\$"
if rdtsc_trapped "$trace"; then
	check "rdtsc again equal after run" "$out" "^AGAIN tsc $(rec tsc)\$"
else
	skip "rdtsc again equal after run: $NO_RDTSC_TRAP"
fi
[ "$(grep -c '^New value = 100$' "$out")" -eq 2 ] && ok "watchpoint fires again after run" || fail "watchpoint fires again after run"
[ "$(grep -cE '^#0  main \(\) at .*replay_values\.c:[0-9]+' "$out" | head -1)" -ge 2 ] &&
	[ "$(grep -E '^#0  main \(\) at' "$out" | sort -u | wc -l)" -eq 1 ] &&
	ok "watchpoint stops at the same place every time" || fail "watchpoint stops at the same place every time"

# monitor goto: jump to an event, then the registers follow.
cat >"$TEST_TMP/goto.gdb" <<GDB
target extended-remote | $XRR replay -q --stdio $trace
monitor goto 20
maint flush register-cache
monitor when
monitor goto 5
monitor when
monitor goto 99999999
set var g_pid = 1
p g_pid
monitor diversion end
p g_pid
GDB
run_gdb "$TEST_TMP/goto.out" "$TEST_TMP/goto.gdb" "$PROGS/replay_values"
check "monitor goto moves forward" "$TEST_TMP/goto.out" 'xrr: now at event 20'
check "monitor goto moves backward (restart)" "$TEST_TMP/goto.out" 'xrr: now at event 5'
check "monitor when after goto" "$TEST_TMP/goto.out" '^Current event: 5$'
check "goto past the end is explained" "$TEST_TMP/goto.out" 'xrr: the recording ends at event [0-9]+; stopped there'
# Writes go to a diversion (docs/diversions.md), never to the replay.
check "a write goes to a diversion" "$TEST_TMP/goto.out" '^\$1 = 1$'
check "the replay keeps its recorded value" "$TEST_TMP/goto.out" '^\$2 = ([02-9]|[0-9]{2,})$'

# `xrr replay TRACE` launches GDB itself (here a wrapper adding batch
# commands), connected over loopback with the trace's program loaded.
cat >"$TEST_TMP/gdb-wrapper" <<WRAP
#!/bin/sh
exec "$GDB" -nx -batch "\$@" -iex 'set debuginfod enabled off' \
	-ex 'break values_ready' -ex continue \
	-ex 'printf "LAUNCHED random 0x%lx\\n", g_random' -ex kill
WRAP
chmod +x "$TEST_TMP/gdb-wrapper"
timeout -k 5 120 "$XRR" replay -q --gdb "$TEST_TMP/gdb-wrapper" "$trace" \
	>"$TEST_TMP/launch.out" 2>&1 </dev/null
check "xrr replay launches GDB on the replay" "$TEST_TMP/launch.out" "^LAUNCHED random $(rec random)\$"
check "the launched GDB found the program's symbols" "$TEST_TMP/launch.out" 'Breakpoint 1, values_ready \(\)'

# -s PORT serves only and says how to connect.
"$XRR" replay -q -s 0 "$trace" >"$TEST_TMP/serve.out" 2>"$TEST_TMP/serve.err" &
srv=$!
port=
for _ in $(seq 50); do
	port=$(sed -n 's/.*listening on 127.0.0.1:\([0-9]*\).*/\1/p' "$TEST_TMP/serve.err")
	[ -n "$port" ] && break
	sleep 0.1
done
check "-s prints the command to connect" "$TEST_TMP/serve.err" "target extended-remote 127.0.0.1:$port"
printf 'target extended-remote 127.0.0.1:%s\nbreak values_ready\ncontinue\nprintf "SERVED tsc 0x%%lx\\n", g_tsc\ndetach\n' "$port" >"$TEST_TMP/s.gdb"
run_gdb "$TEST_TMP/s.out" "$TEST_TMP/s.gdb" "$PROGS/replay_values"
if rdtsc_trapped "$trace"; then
	check "GDB connects to xrr replay -s" "$TEST_TMP/s.out" "^SERVED tsc $(rec tsc)\$"
else
	check "GDB connects to xrr replay -s" "$TEST_TMP/s.out" "^SERVED tsc 0x[0-9a-f]+\$"
fi
kill "$srv" 2>/dev/null
wait "$srv" 2>/dev/null
finish
