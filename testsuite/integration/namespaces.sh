#!/usr/bin/env bash
# Pid namespaces in a recording (docs/recording.md, "Namespaces"):
# conf_ns_pid is recorded; `xrr ps` shows each process's pid inside its
# own pid namespace (NSPID) next to the recorded pid: 1 for the init,
# the numbers the namespace gave the others, nothing for processes
# outside it; a trace without pid namespaces has no such column.  Replay
# reproduces the deaths of the namespace's processes when its init dies,
# and real GDB sees the tid the kernel stored at CLONE_CHILD_SETTID in a
# child that is a new namespace's init (1, not the recorded pid).
. "${top_srcdir:-$(dirname "$0")/../..}/testsuite/lib.sh"
prog="$PROGS/conf_ns_pid"
[ -x "$prog" ] || skip_all "no $prog (make check builds it)"
"$prog" >"$TEST_TMP/native.out" 2>&1 </dev/null
grep -q '^pid namespace: entered$' "$TEST_TMP/native.out" ||
	skip_all "no pid namespaces here ($(grep -m1 'namespace' "$TEST_TMP/native.out"))"
plan 19

T="$TEST_TMP"
trace="$T/pid"
timeout -k 5 120 "$XRR" record -o "$trace" -- "$prog" >"$T/rec.out" 2>"$T/rec.err" </dev/null
st=$?
[ $st -eq 0 ] && ok "conf_ns_pid: recorded, status 0" ||
	fail "conf_ns_pid: recorded, status 0 (got $st)"
check "conf_ns_pid: passes under recording" "$T/rec.out" '^PASS ns_pid$'

"$XRR" ps "$trace" >"$T/ps.out" 2>&1
check "ps: an NSPID column after PID" "$T/ps.out" '^PID +NSPID +PPID +EXIT '
root=$(awk 'NR == 2 { print $1 }' "$T/ps.out")
check "ps: the first process: no pid of its own namespace" "$T/ps.out" "^$root +- +- +0 "
init=$(awk '$2 == "1" && $4 == "3" { print $1 }' "$T/ps.out")
[ -n "$init" ] && [ "$init" != 1 ] &&
	ok "ps: the init (status 3): NSPID 1, recorded pid $init" ||
	fail "ps: the init (status 3) has NSPID 1 and a recorded pid other than 1"
check "ps: the init's parent is the first process" "$T/ps.out" "^$init +1 +$root +3 "
check "ps: its first child: NSPID 2, parent the init, status 7" "$T/ps.out" "^[0-9]+ +2 +$init +7 "
orphan_maker=$(awk '$2 == "3" { print $1 }' "$T/ps.out")
check "ps: the orphan: NSPID 4, recorded parent the orphan maker, status 5" "$T/ps.out" \
	"^[0-9]+ +4 +$orphan_maker +5 "
check "ps: the sleepers, NSPID 5 and 6, killed when the init died" "$T/ps.out" \
	"^[0-9]+ +5 +$init +-9 \\(SIGKILL\\)"
check "ps: the second child, NSPID 8, parent outside the namespace, killed" "$T/ps.out" \
	"^[0-9]+ +8 +$root +-9 \\(SIGKILL\\)"
check "ps: the init had two threads" "$T/ps.out" "^$init +1 +$root +3 +[0-9]+ +- +2 "

# The SIGTERM a child sends its init: no handler, so the kernel drops it
# (traced, only after reporting it to the recorder): no signal event.
"$XRR" dump "$trace" >"$T/dump.out" 2>&1
check "dump: the child's kill(1, SIGTERM) is recorded" "$T/dump.out" 'kill\(1, SIGTERM\) = 0'
check_not "dump: no SIGTERM delivered to the init" "$T/dump.out" 'signal SIGTERM'

"$XRR" record -o "$T/plain" -- "$PROGS/conf_proc_fork_tree" >/dev/null 2>&1 </dev/null
"$XRR" ps "$T/plain" >"$T/plain-ps.out" 2>&1
check_not "ps: no NSPID column without pid namespaces" "$T/plain-ps.out" 'NSPID'

timeout -k 5 120 "$XRR" replay -a "$trace" >"$T/rep.out" 2>"$T/rep.err" </dev/null
st=$?
if [ $st -eq 0 ] && cmp -s "$T/rec.out" "$T/rep.out"; then
	ok "replay -a: the recorded output and status 0"
else
	fail "replay -a: the recorded output and status 0 (got $st)"
	diff "$T/rec.out" "$T/rep.out" | head -n 10 | sed 's/^/#   /'
	tail -n 5 "$T/rep.err" | sed 's/^/#   /'
fi
timeout -k 5 120 "$XRR" replay -a -q -p "$init" "$trace" >/dev/null 2>&1 </dev/null
st=$?
[ $st -eq 3 ] && ok "replay -a -p INIT: the init's status (3)" ||
	fail "replay -a -p INIT: the init's status (3; got $st)"
second=$(awk '$2 == "8" { print $1 }' "$T/ps.out")
timeout -k 5 120 "$XRR" replay -a -q -p "$second" "$trace" >/dev/null 2>&1 </dev/null
st=$?
[ $st -eq 137 ] && ok "replay -a -p: the second child killed by SIGKILL (137)" ||
	fail "replay -a -p: the second child killed by SIGKILL (137; got $st)"

# The first NSPID-1 process: the clone(CLONE_NEWPID|CLONE_CHILD_SETTID)
# child, whose settid_word the kernel set to 1.
settid=$(awk '$2 == "1" { print $1; exit }' "$T/ps.out")
if command -v "$GDB" >/dev/null; then
	cat >"$T/f.gdb" <<GDB
target extended-remote | $XRR replay -q --stdio -f $settid $trace
break settid_child
continue
print settid_word
GDB
	run_gdb "$T/f.out" "$T/f.gdb" "$prog"
	check "-f the clone(CLONE_NEWPID) child: its breakpoint" "$T/f.out" 'Breakpoint 1, settid_child'
	check "-f: its CLONE_CHILD_SETTID word is 1, its pid in its namespace" "$T/f.out" '^\$1 = 1$'
else
	skip "-f the clone(CLONE_NEWPID) child: gdb not installed"
	skip "-f: its CLONE_CHILD_SETTID word: gdb not installed"
fi
finish
