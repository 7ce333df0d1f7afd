#!/usr/bin/env bash
# Reverse execution with real GDB on replays (docs/reverse.md): from the
# end of a recording, breakpoints, conditional breakpoints and
# watchpoints backwards (values compared with what the program itself
# computed), reverse-finish out of a callee and out of a signal handler,
# reverse-next over a call, reverse-stepi over a syscall instruction,
# watchpoints on memory a replayed read() filled, two threads, the start
# of history, forward again, and user checkpoints.
. "${top_srcdir:-$(dirname "$0")/../..}/testsuite/lib.sh"
command -v "$GDB" >/dev/null || skip_all "gdb not installed"
plan 64

record() {  # record NAME PROG: the trace in $TEST_TMP/NAME, output NAME.out
	"$XRR" record -o "$TEST_TMP/$1" "$PROGS/$2" >"$TEST_TMP/$1.out" \
		2>"$TEST_TMP/$1.err"
}
record loop rev_loop && ok "rev_loop recorded" || fail "rev_loop recorded"
# What the program computed: history[r] is counter after round r.
h() { sed -n "s/^round $1 counter //p" "$TEST_TMP/loop.out"; }
sum_to() {  # the sum of bump's results for rounds 0 .. $1-1
	local s=0 r
	for ((r = 0; r < $1; r++)); do s=$((s + $(h $r))); done
	echo $s
}
connect="target extended-remote | $XRR replay -q --stdio"

# ---- breakpoints, conditions, finish, next, forward again, begin ----
cat >"$TEST_TMP/bp.gdb" <<GDB
$connect $TEST_TMP/loop
break bump
continue
printf "FWD round %ld\n", round
delete
continue
break bump
reverse-continue
printf "RC1 round %ld counter %ld\n", round, counter
reverse-continue
printf "RC2 round %ld counter %ld\n", round, counter
delete
break bump if round == 20
reverse-continue
printf "COND round %ld counter %ld\n", round, counter
delete
next
next
printf "INSIDE counter %ld\n", counter
reverse-finish
printf "FINISH round %d sum %ld\n", round, sum
break rev_loop.c:49 if round == 10
reverse-continue
printf "AT48 round %d sum %ld\n", round, sum
delete
reverse-next
printf "RNEXT round %d sum %ld\n", round, sum
frame
break bump if round == 30
continue
printf "FWD2 round %ld counter %ld\n", round, counter
delete
continue
printf "END\n"
reverse-continue
x/i \$pc
continue
GDB
run_gdb "$TEST_TMP/bp.out" "$TEST_TMP/bp.gdb" "$PROGS/rev_loop"
out="$TEST_TMP/bp.out"
check "forward to the first call" "$out" '^FWD round 0$'
check "end of the recording reached" "$out" 'xrr: end of the recording: the program exited with status 0'
check "reverse-continue from the end: the last call" "$out" "^RC1 round 49 counter $(h 48)\$"
check "reverse-continue again: the call before" "$out" "^RC2 round 48 counter $(h 47)\$"
check "conditional breakpoint backwards" "$out" "^COND round 20 counter $(h 19)\$"
check "forward inside the callee after going back" "$out" "^INSIDE counter $(( ($(h 19) * 3 + 20) ))\$"
check "reverse-finish back to the call" "$out" "^FINISH round 20 sum $(sum_to 20)\$"
check "conditional breakpoint on a line backwards" "$out" "^AT48 round 10 sum $(sum_to 11)\$"
check "reverse-next over the call of bump" "$out" "^RNEXT round 10 sum $(sum_to 10)\$"
check "reverse-next stops on the calling line" "$out" 'rev_loop\.c:48|^48[[:space:]]+sum \+= bump'
check "forward again after reverse" "$out" "^FWD2 round 30 counter $(h 29)\$"
check "the end again going forward" "$out" '^END$'
check "reverse-continue to the start of history" "$out" 'No more reverse-execution history\.'
check "the start is the program's first instruction" "$out" '^=> 0x[0-9a-f]+ <_start>:'
check "breakpoint hits reported by GDB" "$out" 'Breakpoint [0-9]+, bump \(round=49\)'
check_not "no replay error" "$out" 'xrr: timeline|diverged|replay position is lost'

# ---- watchpoints backwards, memory written by read(), reverse-stepi ----
# The writes to counter going backwards from the end: before each write
# that changed it, the value GDB shows as "New value".
expected_news() {
	local r prev x
	for ((r = 49; r >= 0; r--)); do
		prev=$([ $r -gt 0 ] && h $((r - 1)) || echo 0)
		x=$((prev * 3 + r))
		[ $x -ne $(h $r) ] && echo "$x"
		[ $x -ne "$prev" ] && echo "$prev"
	done
}
news=($(expected_news | head -3))
cat >"$TEST_TMP/watch.gdb" <<GDB
$connect $TEST_TMP/loop
break main
continue
delete
continue
watch counter
reverse-continue
reverse-continue
reverse-continue
printf "W3 counter %ld\n", counter
bt 1
delete
watch filled[0]
reverse-continue
bt 16
printf "FILLED %d\n", filled[0]
delete
continue
GDB
run_gdb "$TEST_TMP/watch.out" "$TEST_TMP/watch.gdb" "$PROGS/rev_loop"
out="$TEST_TMP/watch.out"
got=($(sed -n 's/^New value = //p' "$out" | head -3))
[ "${got[*]}" = "${news[*]}" ] && ok "watchpoint backwards to each of the last three writes (${got[*]})" ||
	fail "watchpoint backwards to each of the last three writes (got '${got[*]}', want '${news[*]}')"
check "the watch stop shows the value before the write" "$out" "^W3 counter ${news[2]}\$"
check "the watch stops in bump" "$out" '^#0  (0x[0-9a-f]+ in )?bump \(round=4[789]\)'
# (With the syscall buffer the copy is the library's, a few frames
# deeper: frame numbers get two digits.)
check "watchpoint on memory filled by read(): stops in the read" "$out" '#[0-9]+ +.*checkpoint_syscall \(round=9\)'
check "before the read the buffer was empty" "$out" '^FILLED 0$'
check_not "no replay error (watch)" "$out" 'xrr: timeline|diverged|replay position is lost'

# Stack, heap, read and access watchpoints, backwards from after the loop.
cat >"$TEST_TMP/kinds.gdb" <<GDB
$connect $TEST_TMP/loop
break rev_loop.c:53
continue
delete
monitor checkpoint after-loop
watch sum
reverse-continue
printf "SUM round %d\n", round
delete
monitor restart after-loop
maint flush register-cache
maint flush dcache
watch *heap
reverse-continue
printf "HEAP %ld\n", *heap
delete
monitor restart after-loop
maint flush register-cache
maint flush dcache
rwatch counter
reverse-continue
printf "RW round %d\n", round
delete
monitor restart after-loop
maint flush register-cache
maint flush dcache
awatch history[49]
reverse-continue
printf "AW %ld round %d\n", history[49], round
delete
monitor restart after-loop
maint flush register-cache
maint flush dcache
watch sum
reverse-continue
delete
watch *heap
reverse-continue
printf "CHAIN heap round %d\n", round
delete
rwatch counter
reverse-continue
printf "CHAIN read round %d\n", round
delete
monitor restart after-loop
maint flush register-cache
maint flush dcache
watch counter
reverse-continue
delete
rwatch counter
reverse-continue
printf "SAME read round %d\n", round
x/i \$pc
GDB
run_gdb "$TEST_TMP/kinds.out" "$TEST_TMP/kinds.gdb" "$PROGS/rev_loop"
out="$TEST_TMP/kinds.out"
check "stack watchpoint backwards: the value before the last write" "$out" "^New value = $(sum_to 49)\$"
check "stack watchpoint backwards: in the last round" "$out" '^SUM round 49$'
check "heap watchpoint backwards" "$out" "^HEAP $(sum_to 49)\$"
check "read watchpoint backwards: stops" "$out" 'read watchpoint [0-9]+: counter'
check "read watchpoint backwards: the last read" "$out" '^RW round 49$'
check "access watchpoint backwards: stops" "$out" 'access \(read/write\) watchpoint [0-9]+: history\[49\]'
check "access watchpoint backwards: before the write" "$out" '^AW 0 round 49$'
check "watch sets changed between reverse-continues: the heap's last write before" "$out" '^CHAIN heap round 48$'
check "then a read watchpoint: the read just before" "$out" '^CHAIN read round 48$'
check "watch then rwatch on the same variable: the read before the write" "$out" '^SAME read round 49$'
check "... stopped on an instruction reading it" "$out" '=> 0x[0-9a-f]+ <bump\+[0-9]+>:[[:space:]]+mov[[:space:]]+0x[0-9a-f]+\(%rip\),%r[a-z0-9]+[[:space:]]+# 0x[0-9a-f]+ <counter>'
check_not "no replay error (kinds)" "$out" 'xrr: timeline|diverged|replay position is lost'

# reverse-stepi over a syscall instruction: run forward to just past one
# (stepi until the bytes before pc are 0f 05), then back by one.
cat >"$TEST_TMP/stepi.gdb" <<GDB
$connect $TEST_TMP/loop-nobuf
break checkpoint_syscall
continue
delete
break read
continue
delete
while *(unsigned short *)(\$pc - 2) != 0x050f
  stepi
end
printf "AFTER rax %ld\n", \$rax
reverse-stepi
printf "BEFORE rax %ld\n", \$rax
x/i \$pc
reverse-stepi
printf "BEFORE2 pc-ok\n"
stepi
stepi
printf "AGAIN rax %ld\n", \$rax
GDB
# The program's read() is a real syscall instruction only without the
# syscall buffer (with it, replay takes the call's result from the
# buffer's record: no instruction to step back onto).
"$XRR" record --no-syscall-buffer -o "$TEST_TMP/loop-nobuf" "$PROGS/rev_loop" \
	>"$TEST_TMP/loop-nobuf.out" 2>&1
run_gdb "$TEST_TMP/stepi.out" "$TEST_TMP/stepi.gdb" "$PROGS/rev_loop"
out="$TEST_TMP/stepi.out"
check "forward over the read syscall: its result" "$out" '^AFTER rax [1-9][0-9]*$'
check "reverse-stepi lands on the syscall instruction" "$out" '=> 0x[0-9a-f]+ <[^>]*read[^>]*>:[[:space:]]+syscall'
check "before the syscall rax holds its number (read = 0)" "$out" '^BEFORE rax 0$'
check "reverse-stepi twice, then forward: the same result" "$out" "^AGAIN rax $(sed -n 's/^AFTER rax //p' "$out")\$"

# ---- a signal handler ----
record sig rev_signal && ok "rev_signal recorded" || fail "rev_signal recorded"
cat >"$TEST_TMP/sig.gdb" <<GDB
$connect $TEST_TMP/sig
handle SIGUSR1 nostop noprint pass
break on_usr1
continue
continue
printf "H2 handled %ld\n", handled
next
printf "H2b handled %ld\n", handled
delete
reverse-finish
printf "OUT handled %ld\n", handled
bt 2
delete
break rev_signal.c:25
continue
printf "AFTER handled %ld\n", handled
break on_usr1
reverse-continue
printf "BACK handled %ld\n", handled
GDB
run_gdb "$TEST_TMP/sig.out" "$TEST_TMP/sig.gdb" "$PROGS/rev_signal"
out="$TEST_TMP/sig.out"
check "breakpoint at a handler's first instruction" "$out" '^H2 handled 20$'
check "inside the handler" "$out" '^H2b handled 30$'
check "reverse-finish out of the handler: before it ran" "$out" '^OUT handled 20$'
check "reverse-finish lands where the signal came" "$out" '#0  .*(raise|pthread_kill|__pthread_kill_implementation)'
check "forward after the handler" "$out" '^AFTER handled 30$'
check "reverse-continue into the handler's entry" "$out" '^BACK handled 20$'

# ---- two threads ----
record thr rev_threads && ok "rev_threads recorded" || fail "rev_threads recorded"
cat >"$TEST_TMP/thr.gdb" <<GDB
$connect $TEST_TMP/thr
break main
continue
delete
continue
break set_right
reverse-continue
printf "RIGHT v %ld\n", v
info threads
delete
continue
watch left_value
reverse-continue
printf "LEFT %ld\n", left_value
GDB
run_gdb "$TEST_TMP/thr.out" "$TEST_TMP/thr.gdb" "$PROGS/rev_threads"
out="$TEST_TMP/thr.out"
check "reverse-continue to the other thread's last call" "$out" '^RIGHT v 140$'
check "the stop names the thread that hit" "$out" 'Thread [0-9]+ .*hit Breakpoint [0-9]+, set_right'
check "watchpoint backwards in the main thread" "$out" '^Old value = 100$'
check "its value before the write" "$out" '^LEFT 95$'

# ---- ^C during a long reverse-continue ----
# A watchpoint checked by single steps (XRR_WATCH_STEP) whose last change
# is thousands of events back: interrupted, the replay goes back to where
# the reverse-continue started.
"$XRR" record -o "$TEST_TMP/bench" "$top_builddir/testsuite/bench/rev_bench" 4000 \
	>"$TEST_TMP/bench.out" 2>&1 && ok "rev_bench recorded" || fail "rev_bench recorded"
cat >"$TEST_TMP/irq.gdb" <<GDB
$connect $TEST_TMP/bench
continue
printf "PC0 %p\n", \$pc
watch flag_page.v
reverse-continue
printf "PC1 %p\n", \$pc
GDB
XRR_WATCH_STEP=1 timeout -k 5 120 "$GDB" -nx -batch -q -iex 'set debuginfod enabled off' \
	-x "$TEST_TMP/irq.gdb" "$top_builddir/testsuite/bench/rev_bench" \
	>"$TEST_TMP/irq.out" 2>&1 </dev/null &
timeout_pid=$!
for i in $(seq 100); do grep -q '^PC0' "$TEST_TMP/irq.out" && break; sleep 0.2; done
sleep 2
kill -INT "$(pgrep -P "$timeout_pid" -x gdb)"
wait "$timeout_pid"
out="$TEST_TMP/irq.out"
check "^C interrupts a long reverse-continue" "$out" 'received signal SIGINT'
pc0=$(sed -n 's/^PC0 //p' "$out"); pc1=$(sed -n 's/^PC1 //p' "$out")
[ -n "$pc0" ] && [ "$pc0" = "$pc1" ] && ok "after ^C the replay is back where it was ($pc1)" ||
	fail "after ^C the replay is back where it was ('$pc0' then '$pc1')"

# ---- checkpoints ----
cat >"$TEST_TMP/ckpt.gdb" <<GDB
$connect $TEST_TMP/loop
break bump if round == 5
continue
monitor checkpoint five
delete
break bump if round == 40
continue
monitor checkpoint
monitor checkpoints
monitor restart five
maint flush register-cache
maint flush dcache
printf "R5 round %ld counter %ld\n", round, counter
monitor restart 2
maint flush register-cache
maint flush dcache
printf "R40 round %ld counter %ld\n", round, counter
monitor delete-checkpoint five
monitor checkpoints
monitor restart 9
monitor goto 3
maint flush register-cache
maint flush dcache
monitor when
GDB
run_gdb "$TEST_TMP/ckpt.out" "$TEST_TMP/ckpt.gdb" "$PROGS/rev_loop"
out="$TEST_TMP/ckpt.out"
check "monitor checkpoint names it" "$out" "^Checkpoint 1 'five' at event [0-9]+"
check "monitor checkpoints lists them with their cost" "$out" "^2: event [0-9]+, pc 0x[0-9a-f]+, [0-9]+ KiB resident"
check "monitor restart NAME goes back" "$out" "^R5 round 5 counter $(h 4)\$"
check "monitor restart N goes forward" "$out" "^R40 round 40 counter $(h 39)\$"
check "delete-checkpoint" "$out" '^xrr: deleted checkpoint 1$'
check "an unknown checkpoint is explained" "$out" "^xrr: no checkpoint '9'"
check "monitor goto backwards" "$out" '^Current event: 3$'

# ---- the checkpoints' memory budget ----
# Checkpoints are made at events; with the syscall buffer rev_mem's
# calls make no events (docs/syscallbuf.md), so this budget test records
# it without.
"$XRR" record --no-syscall-buffer -o "$TEST_TMP/mem" "$PROGS/rev_mem" \
	>"$TEST_TMP/mem.out" 2>&1 && ok "rev_mem recorded" || fail "rev_mem recorded"
cat >"$TEST_TMP/mem.gdb" <<GDB
$connect $TEST_TMP/mem
continue
monitor checkpoints
GDB
# Checkpoints every 10 ms (growing as they get expensive), so that a
# fast machine makes several too.
export XRR_CHECKPOINT_MS=10
run_gdb "$TEST_TMP/mem.out" "$TEST_TMP/mem.gdb" "$PROGS/rev_mem"
XRR_CHECKPOINT_MIB=20 run_gdb "$TEST_TMP/mem20.out" "$TEST_TMP/mem.gdb" "$PROGS/rev_mem"
autos() { sed -n 's/^Automatic checkpoints: \([0-9]*\);.*/\1/p' "$1"; }
kib() { sed -n 's/.*together: \([0-9]*\) KiB.*/\1/p' "$1"; }
diag "default budget: $(autos "$TEST_TMP/mem.out") checkpoints, $(kib "$TEST_TMP/mem.out") KiB;" \
     "20 MiB: $(autos "$TEST_TMP/mem20.out") checkpoints, $(kib "$TEST_TMP/mem20.out") KiB"
[ "$(autos "$TEST_TMP/mem.out")" -ge 3 ] 2>/dev/null &&
	ok "checkpoints made while continuing ($(autos "$TEST_TMP/mem.out"))" ||
	fail "checkpoints made while continuing: $(grep -i checkpoints "$TEST_TMP/mem.out")"
[ "$(kib "$TEST_TMP/mem20.out")" -le $(( (20 + 32) * 1024 )) ] 2>/dev/null &&
	[ "$(autos "$TEST_TMP/mem20.out")" -lt "$(autos "$TEST_TMP/mem.out")" ] &&
	ok "a smaller budget keeps fewer checkpoints, within it" ||
	fail "a smaller budget keeps fewer checkpoints, within it: $(grep -i checkpoints "$TEST_TMP/mem20.out")"
unset XRR_CHECKPOINT_MS
finish
