#!/usr/bin/env bash
# Process trees: every process of a tree is recorded and replayed (a
# forked child with a random number sent through a pipe, an exec'd shell,
# the program exec'ing itself); `xrr ps` lists them; output reaches the
# terminal in replay exactly where it did in the recording (fds pointed at
# /dev/null, files and pipes); real GDB debugs one process of the tree
# with `xrr replay -p PID` (from its exec) and `-f PID` (from its fork),
# and `run` replays the whole tree again.
. "${top_srcdir:-$(dirname "$0")/../..}/testsuite/lib.sh"
command -v "$GDB" >/dev/null || skip_all "gdb not installed"
plan 31

T="$TEST_TMP"
trace="$T/tree"
timeout -k 5 120 "$XRR" record -o "$trace" -- "$PROGS/tree" >"$T/rec.out" 2>"$T/rec.err" </dev/null
st=$?
[ $st -eq 0 ] && ok "tree: recorded, status 0" || fail "tree: recorded, status 0 (got $st)"
check "tree: the forked child's output was recorded" "$T/rec.out" '^forked child sent a random number$'
check "tree: the shell's output" "$T/rec.out" '^shell says 42$'
check "tree: the exec'd child's output" "$T/rec.out" "^exec'd child reports 42\$"

timeout -k 5 120 "$XRR" replay -a "$trace" >"$T/rep.out" 2>"$T/rep.err" </dev/null
st=$?
if [ $st -eq 0 ] && cmp -s "$T/rec.out" "$T/rep.out"; then
	ok "tree: replay -a prints every process's output in the recorded order, status 0"
else
	fail "tree: replay -a prints every process's output (status $st)"
	diff "$T/rec.out" "$T/rep.out" | head -n 10 | sed 's/^/#   /'
	tail -n 5 "$T/rep.err" | sed 's/^/#   /'
fi
grep -q '^random from the child: [0-9a-f]\{16\}$' "$T/rep.out" &&
	ok "tree: the child's random number came back the same" ||
	fail "tree: the child's random number came back the same"

"$XRR" ps "$trace" >"$T/ps.out" 2>&1
root=$(awk 'NR == 2 { print $1 }' "$T/ps.out")
check "ps: the first process, no parent, status 0" "$T/ps.out" "^$root +- +0 +- +0 +1 +.*/tree\$"
check "ps: the forked child, status 5, never exec'd" "$T/ps.out" "^[0-9]+ +$root +5 +[0-9]+ +- +1 +.*/tree\$"
check "ps: the shell, status 4, its command line" "$T/ps.out" "^[0-9]+ +$root +4 +[0-9]+ +[0-9]+ +1 +/bin/sh -c echo shell says"
check "ps: the exec'd child" "$T/ps.out" "^[0-9]+ +$root +0 +[0-9]+ +[0-9]+ +1 +.*/tree child 21\$"
child=$(awk '/tree child 21$/ { print $1 }' "$T/ps.out")
forked=$(awk -v r="$root" '$2 == r && $5 == "-" { print $1 }' "$T/ps.out")

# ---- GDB on one process of the tree ----------------------------------------------------
cat >"$T/p.gdb" <<GDB
target extended-remote | $XRR replay -q --stdio -p $child $trace
break child_report
continue
p value
p who
info threads
continue
break child_report
run
p value
GDB
run_gdb "$T/p.out" "$T/p.gdb" "$PROGS/tree"
check "-p: the breakpoint hits in the exec'd child" "$T/p.out" 'Breakpoint 1, child_report \(value=(value@entry=)?42'
check "-p: its variable" "$T/p.out" '^\$1 = 42$'
check "-p: its string argument" "$T/p.out" "^\\\$2 = 0x[0-9a-f]+ \"exec'd child\"\$"
check "-p: info threads shows the child's pid" "$T/p.out" "Thread $child\\.$child .*child_report"
check "-p: its recorded end" "$T/p.out" 'exited with status 0'
check "-p: run replays the tree again to the same place" "$T/p.out" '^\$3 = 42$'

cat >"$T/f.gdb" <<GDB
target extended-remote | $XRR replay -q --stdio -f $forked $trace
info threads
break getrandom
continue
bt 3
finish
GDB
run_gdb "$T/f.out" "$T/f.gdb" "$PROGS/tree"
check "-f: starts in the forked child" "$T/f.out" "Thread $forked\\.$forked "
# (Two locations where GDB reads the vdso's symbols, as it now does
# through the replayed /proc maps: Linux 6.11+ has a vdso getrandom.)
check "-f: its getrandom" "$T/f.out" 'Breakpoint 1(\.[0-9]+)?, .*getrandom'
check "-f: called from random_child" "$T/f.out" 'in random_child \(fd_out=[0-9]+\) at .*tree\.c'

"$XRR" replay -a -q -p "$forked" "$trace" >"$T/ap.out" 2>&1
st=$?
[ $st -eq 5 ] && ok "replay -a -p PID exits with that process's status (5)" ||
	fail "replay -a -p PID exits with that process's status (got $st)"

"$XRR" replay -a -p 999999999 "$trace" >"$T/bad.out" 2>&1
st=$?
[ $st -ne 0 ] && grep -q 'no process 999999999 .*xrr ps' "$T/bad.out" &&
	ok "-p of a process not in the trace: an error naming xrr ps" ||
	fail "-p of a process not in the trace (status $st)"
"$XRR" replay -a -p nope "$trace" >"$T/bad2.out" 2>&1
[ $? -eq 2 ] && grep -q 'not a process id' "$T/bad2.out" &&
	ok "-p nope: usage error" || fail "-p nope: usage error"

# A posix_spawn child runs in its parent's memory (CLONE_VM|CLONE_VFORK),
# int3s of the debugged parent included: they are not its stops.
"$XRR" record -o "$T/spawn" -- "$PROGS/rec_spawn" >/dev/null 2>&1 </dev/null
cat >"$T/s.gdb" <<GDB
target extended-remote | $XRR replay -q --stdio $T/spawn
break main
continue
break __spawni_child
break execve
continue
GDB
run_gdb "$T/s.out" "$T/s.gdb" "$PROGS/rec_spawn"
check "vfork child: the parent's breakpoints in shared code do not stop it" "$T/s.out" 'end of the recording: the program exited with status 0'
if grep -q 'diverged\|Breakpoint [23],' "$T/s.out"; then
	fail "vfork child: no divergence, no foreign breakpoint hit"
	sed 's/^/#   /' "$T/s.out" | tail -n 10
else
	ok "vfork child: no divergence, no foreign breakpoint hit"
fi

# ---- a death by signal: the trace is complete, GDB sees the signal, then the end
"$XRR" record -o "$T/abort" -- "$PROGS/conf_sig_abort_thread" >"$T/abort.out" 2>&1 </dev/null
st=$?
[ $st -eq 134 ] && ok "abort() in a thread: xrr record exits 134" || fail "abort() in a thread: xrr record exits 134 (got $st)"
"$XRR" info "$T/abort" >"$T/abort.info" 2>&1
check "abort() in a thread: the trace is complete" "$T/abort.info" '^state: +complete'
cat >"$T/a.gdb" <<GDB
target extended-remote | $XRR replay -q --stdio $T/abort
continue
continue
continue
GDB
run_gdb "$T/a.out" "$T/a.gdb" "$PROGS/conf_sig_abort_thread"
check "GDB sees SIGABRT in the thread that called abort" "$T/a.out" 'Thread [0-9]+ received signal SIGABRT'
check "then: Program terminated with signal SIGABRT" "$T/a.out" 'Program terminated with signal SIGABRT'

# ---- descriptors --------------------------------------------------------------------------
timeout -k 5 120 "$XRR" record -o "$T/redirect" -- "$PROGS/redirect" >"$T/r1.out" 2>"$T/r1.err" </dev/null
rec=$?
timeout -k 5 120 "$XRR" replay -a "$T/redirect" >"$T/r2.out" 2>"$T/r2.err" </dev/null
rep=$?
grep -v '^xrr: ' "$T/r1.err" >"$T/r1-prog.err"
if [ $rec -eq 0 ] && [ $rep -eq 0 ] && cmp -s "$T/r1.out" "$T/r2.out"; then
	ok "redirect: replay's stdout is the recorded stdout"
else
	fail "redirect: replay's stdout is the recorded stdout ($rec, $rep)"
	diff "$T/r1.out" "$T/r2.out" | sed 's/^/#   /'
fi
if cmp -s "$T/r1-prog.err" "$T/r2.err"; then
	ok "redirect: replay's stderr is the recorded stderr"
else
	fail "redirect: replay's stderr is the recorded stderr"
	diff "$T/r1-prog.err" "$T/r2.err" | sed 's/^/#   /'
fi
if grep -q hidden "$T/r1.out" "$T/r2.out" "$T/r1-prog.err" "$T/r2.err"; then
	fail "redirect: nothing written to /dev/null, a file or a pipe shows"
else
	ok "redirect: nothing written to /dev/null, a file or a pipe shows"
fi
