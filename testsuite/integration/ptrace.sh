#!/usr/bin/env bash
# Debian's strace recorded as a program (ptrace inside a recording,
# replay/recorder_ptrace.c): `strace PROG` and `strace -f sh -c PIPELINE`
# record with the program's output and status as native, the trace
# strace prints shows the program's calls, and the replay prints the
# same trace; and GDB running a program to a breakpoint and stepping,
# recorded and replayed.
. "${top_srcdir:-$(dirname "$0")/../..}/testsuite/lib.sh"
command -v strace >/dev/null || skip_all "strace not installed"
plan 20

T="$TEST_TMP"
export XRR_TRACE_DIR="$T/traces"
cd "$T" || exit 1

# strace_case NAME ARGS...: record `strace ARGS`, replay it, compare.
strace_case() {
	local name=$1
	shift
	strace "$@" >"$T/$name.native" 2>/dev/null </dev/null
	local native=$?
	timeout -k 5 120 "$XRR" record -o "$T/$name" -- strace "$@" \
		>"$T/$name.out" 2>"$T/$name.err" </dev/null
	local rec=$?
	if [ $rec -eq $native ] && cmp -s "$T/$name.native" "$T/$name.out"; then
		ok "$name: recorded, the program's output and status ($rec) as native"
	else
		fail "$name: recorded status $rec (native $native)"
		grep '^xrr:' "$T/$name.err" | tail -n 3 | sed 's/^/#   /'
	fi
	timeout -k 5 120 "$XRR" replay -a "$T/$name" >"$T/$name.rep" \
		2>"$T/$name.rep.err" </dev/null
	local rep=$?
	grep -v '^xrr:' "$T/$name.err" >"$T/$name.trace"
	grep -v '^xrr:' "$T/$name.rep.err" >"$T/$name.rep.trace"
	if [ $rep -eq $rec ] && cmp -s "$T/$name.out" "$T/$name.rep" &&
	   cmp -s "$T/$name.trace" "$T/$name.rep.trace"; then
		ok "$name: the replay prints the same trace and output (status $rep)"
	else
		fail "$name: replay status $rep"
		diff "$T/$name.trace" "$T/$name.rep.trace" | head -n 8 | sed 's/^/#   /'
		grep '^xrr:' "$T/$name.rep.err" | tail -n 3 | sed 's/^/#   /'
	fi
}

strace_case echo /bin/echo hello from strace
check "strace saw execve" "$T/echo.trace" '^execve\("/bin/echo", \["/bin/echo", "hello", "from", "strace"\]'
check "strace saw the write" "$T/echo.trace" '^write\(1, "hello from strace\\n", 18\) += 18$'
check "strace saw the exit" "$T/echo.trace" '^\+\+\+ exited with 0 \+\+\+$'

strace_case pipeline -f sh -c 'echo piped | cat; exit 3'
check "strace -f: the children's lines" "$T/pipeline.trace" '^\[pid +[0-9]+\] execve\("/usr/bin/cat"|^\[pid +[0-9]+\] execve\("/bin/cat"'
n=$(grep -c 'exited with 0 +++' "$T/pipeline.trace")
[ "$n" -ge 2 ] && ok "strace -f: each child's exit ($n)" || fail "strace -f: each child's exit (saw $n)"
check "strace -f: the shell's exit status" "$T/pipeline.trace" '^\+\+\+ exited with 3 \+\+\+$'
"$XRR" dump "$T/pipeline" >"$T/pipeline.dump" 2>&1
check "dump: requests answered by the recorder" "$T/pipeline.dump" 'ptrace\(.*\[ptrace emulated\]$'

# GDB as a recorded program running a program to a breakpoint: int3s
# written through /proc/PID/mem, the breakpoint's fault, registers set
# back, single-steps for `next`.  GDB's DWARF worker threads are on (its
# default): they are preempted in hot name compares, points replay must
# find at the speed of the code (docs/preemption.md, "Place").
if command -v "${GDB:-gdb}" >/dev/null; then
	gdb_cmd=("${GDB:-gdb}" -nx -batch
		 -ex 'break main' -ex run -ex bt -ex next
		 -ex 'print hello_global' -ex continue "$PROGS/hello")
	timeout -k 5 120 "$XRR" record -o "$T/gdb" -- "${gdb_cmd[@]}" \
		>"$T/gdb.out" 2>"$T/gdb.err" </dev/null
	rc=$?
	[ $rc -eq 0 ] && ok "gdb as a recorded program: status 0" ||
		{ fail "gdb as a recorded program: status $rc"; grep '^xrr:' "$T/gdb.err" | tail -n 3 | sed 's/^/#   /'; }
	check "gdb: the breakpoint hit" "$T/gdb.out" '^Breakpoint 1, main \(\) at .*hello\.c:[0-9]+$'
	check "gdb: next stepped a line" "$T/gdb.out" '^[0-9]+	+printf\("hello %d\\n", hello_global\);$'
	check "gdb: the program's output and exit" "$T/gdb.out" '^\[Inferior 1 \(process [0-9]+\) exited normally\]$'
	timeout -k 5 120 "$XRR" replay -a "$T/gdb" >"$T/gdb.rep" 2>"$T/gdb.rep.err" </dev/null
	rc2=$?
	if [ $rc2 -eq $rc ] && cmp -s "$T/gdb.out" "$T/gdb.rep"; then
		ok "gdb: the replay prints the same session"
	else
		fail "gdb: replay status $rc2"
		diff "$T/gdb.out" "$T/gdb.rep" | head -n 8 | sed 's/^/#   /'
		grep '^xrr:' "$T/gdb.rep.err" | tail -n 3 | sed 's/^/#   /'
	fi
	"$XRR" dump "$T/gdb" >"$T/gdb.dump" 2>&1
	check "dump: the breakpoint's fault taken for the tracer" "$T/gdb.dump" 'stopped for its tracer \(ptrace\) at its signal SIGTRAP'
	check "dump: a step for the tracer" "$T/gdb.dump" 'stopped for its tracer \(ptrace\) after one step'
	check "dump: registers the tracer set" "$T/gdb.dump" 'registers set'
	check "dump: GDB's threads preempted at points" "$T/gdb.dump" 'point \(preemption\)'
else
	for i in 1 2 3 4 5 6 7 8 9; do skip "gdb not installed"; done
fi
