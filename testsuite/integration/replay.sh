#!/usr/bin/env bash
# xrr replay -a: every recorded program replays to the output and exit
# status of its recording (test programs, the recorder's rec_* programs,
# Debian programs); a trace altered on purpose reports a divergence with
# its event number; replaying twice gives the same output; -q; errors.
. "${top_srcdir:-$(dirname "$0")/../..}/testsuite/lib.sh"
plan 43

export XRR_TRACE_DIR="$TEST_TMP/traces"
T="$TEST_TMP"
cd "$T" || exit 1

# record_replay NAME CMD...: record CMD, then replay the trace with -a;
# both runs must print the same stdout and end with the same status.
# The trace is then the latest one.
record_replay() {
	local name=$1
	shift
	if [ "$1" = --xcr0 ]; then
		timeout -k 5 120 "$XRR" record "$@" >"$T/rec.out" 2>"$T/rec.err" </dev/null
	else
		timeout -k 5 120 "$XRR" record -- "$@" >"$T/rec.out" 2>"$T/rec.err" </dev/null
	fi
	local rec=$?
	if ! grep -q '^xrr: saving trace to' "$T/rec.err" || grep -q '^xrr: record' "$T/rec.err"; then
		fail "$name: recording failed (status $rec)"
		sed 's/^/#   /' "$T/rec.err" | tail -n 5
		return
	fi
	timeout -k 5 120 "$XRR" replay -a >"$T/rep.out" 2>"$T/rep.err" </dev/null
	local rep=$?
	if [ $rec -eq $rep ] && cmp -s "$T/rec.out" "$T/rep.out"; then
		ok "$name: replay prints the recorded output, status $rep"
	else
		fail "$name: recorded status $rec, replayed $rep"
		diff "$T/rec.out" "$T/rep.out" | head -n 10 | sed 's/^/#   /'
		sed 's/^/#   /' "$T/rep.err" | tail -n 5
	fi
}

# ---- the test programs ---------------------------------------------------------------
record_replay "hello" "$PROGS/hello"
record_replay "exit status 3" "$PROGS/exitcode" 3
record_replay "death by SIGKILL (137)" "$PROGS/exitcode" --signal 9
record_replay "death by SIGTERM (143)" "$PROGS/exitcode" --signal 15
record_replay "signal handlers and an interval timer" "$PROGS/signals"
record_replay "watch" "$PROGS/watch"
record_replay "avx512 registers" "$PROGS/avx512"
record_replay "four threads" "$PROGS/threads" 4

# Recorded under a smaller XCR0 (instruction virtualisation: CPUID,
# XGETBV and XSAVE patched to ud2): replay patches the same sites.
if "$XRR" record -o "$T/xcr0-probe" --xcr0 0x7 -- "$PROGS/hello" >/dev/null 2>&1; then
	XRR_RECORD_XCR0=1
else
	XRR_RECORD_XCR0=
fi
record_replay_xcr0() {
	if [ -n "$XRR_RECORD_XCR0" ]; then
		local name=$1
		shift
		record_replay "$name" --xcr0 0x7 -- "$@"
	else
		skip "xrr record --xcr0 0x7 does not work on this host"
	fi
}
record_replay_xcr0 "threads recorded with --xcr0 0x7" "$PROGS/threads" 3
record_replay_xcr0 "avx512 recorded with --xcr0 0x7 (no AVX-512 seen)" "$PROGS/avx512"

# ---- the recorder's programs -------------------------------------------------------------
record_replay "rec_files (files, mmap of a file, directories)" "$PROGS/rec_files"
record_replay "rec_time (vdso time, rdtsc, rdtscp, getrandom)" "$PROGS/rec_time"
record_replay "rec_condvar (futexes between threads)" "$PROGS/rec_condvar"
record_replay "rec_sigtimer (timers, SA_SIGINFO, caught SIGSEGV)" "$PROGS/rec_sigtimer"
record_replay "rec_bigout (1 MiB of output)" "$PROGS/rec_bigout" 1
record_replay "rec_exit code 5" "$PROGS/rec_exit" code 5
record_replay "rec_exit signal 6 (134)" "$PROGS/rec_exit" signal 6
record_replay "rec_exit segv (139)" "$PROGS/rec_exit" segv
record_replay "rec_spin (a thread computing while another waits)" "$PROGS/rec_spin" 1
record_replay "rec_compute" "$PROGS/rec_compute" 20
record_replay "rec_syscalls" "$PROGS/rec_syscalls" 2000

# Children of posix_spawn (CLONE_VM|CLONE_VFORK) and system() are
# recorded and replayed: their own output is part of the replay.
record_replay "rec_spawn: posix_spawn and system() children" "$PROGS/rec_spawn"
if "$XRR" ps >"$T/spawn-ps.out" 2>&1 &&
   [ "$(grep -c . "$T/spawn-ps.out")" -ge 5 ] &&
   grep -Eq '^[0-9]+ +[0-9]+ +0 +[0-9]+ +[0-9]+ +1 +echo from the child$' "$T/spawn-ps.out" &&
   grep -Eq '^[0-9]+ +[0-9]+ +3 +[0-9]+ +[0-9]+ +1 +sh -c exit 3$' "$T/spawn-ps.out"; then
	ok "rec_spawn: xrr ps lists echo and sh with their parents and statuses"
else
	fail "rec_spawn: xrr ps lists echo and sh with their parents and statuses"
	sed 's/^/#   /' "$T/spawn-ps.out"
fi

# ---- Debian programs ---------------------------------------------------------------------------
record_replay "ls -la" /bin/ls -la /usr/share/doc
record_replay "sort" /usr/bin/sort /etc/passwd
if command -v python3 >/dev/null; then
	record_replay "python3" python3 -c 'import json, random, time; print(json.dumps(sorted(random.sample(range(1000), 5))), time.time())'
	PY_TRACE=$(readlink -f "$XRR_TRACE_DIR/latest-trace")
else
	skip "python3 not installed"
	PY_TRACE=
fi
if command -v sqlite3 >/dev/null; then
	record_replay "sqlite3" sqlite3 :memory: 'create table t(x); insert into t values (1), (2), (40); select sum(x), random() from t;'
else
	skip "sqlite3 not installed"
fi

# ---- replaying twice ---------------------------------------------------------------------------
if [ -n "$PY_TRACE" ]; then
	"$XRR" replay -a "$PY_TRACE" >"$T/once.out" 2>&1
	s1=$?
	"$XRR" replay -a "$PY_TRACE" >"$T/twice.out" 2>&1
	s2=$?
	if [ $s1 -eq 0 ] && [ $s2 -eq 0 ] && [ -s "$T/once.out" ] && cmp -s "$T/once.out" "$T/twice.out"; then
		ok "replaying twice gives identical output"
	else
		fail "replaying twice: statuses $s1 $s2"
		diff "$T/once.out" "$T/twice.out" | head -n 5 | sed 's/^/#   /'
	fi
else
	skip "python3 not installed"
fi

# ---- -q and the trace argument -----------------------------------------------------------------
"$XRR" record -- "$PROGS/exitcode" 7 >/dev/null 2>&1
EXIT7=$(readlink -f "$XRR_TRACE_DIR/latest-trace")
"$XRR" record -- "$PROGS/hello" >/dev/null 2>&1
HELLO=$(readlink -f "$XRR_TRACE_DIR/latest-trace")
"$XRR" replay -a -q "$HELLO" >"$T/quiet.out" 2>&1
if [ $? -eq 0 ] && [ ! -s "$T/quiet.out" ]; then
	ok "-q replays without echoing the output"
else
	fail "-q printed something or failed"
	sed 's/^/#   /' "$T/quiet.out" | head -n 5
fi
"$XRR" replay -a "$(basename "$EXIT7")" >/dev/null 2>&1
st=$?
if [ $st -eq 7 ]; then ok "a trace named by its name replays (status 7)"; else fail "named trace: status $st"; fi

# ---- divergence --------------------------------------------------------------------------------
# The write of "hello 43": change its recorded length, so the program's
# own write no longer matches the record at that very event.
"$XRR" dump "$HELLO" >"$T/hello.dump" 2>&1
N=$(awk '/ write\(1, "hello 43/ { print $1; exit }' "$T/hello.dump")
if [ -n "$N" ]; then
	XRR_TEST_ALTER_EVENT="$N:arg2=99" "$XRR" replay -a "$HELLO" >"$T/alter.out" 2>"$T/alter.err"
	st=$?
	check "changed argument: divergence at event $N" "$T/alter.err" \
		"^xrr: replay diverged at event $N \\(tid [0-9]+\\): expected write\\(0x1, 0x[0-9a-f]+, 0x63, .*got write\\(0x1, 0x[0-9a-f]+, 0x9, "
	if [ $st -eq 1 ]; then ok "divergence exits with status 1"; else fail "divergence exited $st"; fi
	check_not "nothing printed after the divergence" "$T/alter.out" "hello 43"
else
	fail "no write event found in the dump"; fail "(skipped)"; fail "(skipped)"
fi
# A changed result: openat of libc gets another fd; the program then
# reads from that fd, which is not what was recorded.  (The recorded fd
# depends on what the test inherited: 3, or 4 under make -j.)
M=$(awk '/ openat\(.*libc\.so\.6.*= [0-9]+$/ { print $1; exit }' "$T/hello.dump")
if [ -n "$M" ]; then
	XRR_TEST_ALTER_EVENT="$M:result=9" "$XRR" replay -a "$HELLO" >"$T/alter2.out" 2>"$T/alter2.err"
	st=$?
	K=$(sed -n 's/^xrr: replay diverged at event \([0-9]*\) .*got [a-z0-9_]*(0x9,.*/\1/p' "$T/alter2.err")
	if [ $st -eq 1 ] && [ -n "$K" ] && [ "$K" -gt "$M" ]; then
		ok "changed result of event $M: divergence at the next use of the fd (event $K)"
	else
		fail "changed result of event $M: status $st"
		sed 's/^/#   /' "$T/alter2.err" | head -n 5
	fi
else
	fail "no openat of libc found in the dump"
	grep -E 'openat|libc' "$T/hello.dump" | head -n 5 | sed 's/^/#   /'
fi
# A changed syscall number at the exit: still caught.
L=$(awk '/ exit_group\(/ { print $1; exit }' "$T/hello.dump")
XRR_TEST_ALTER_EVENT="$L:nr=60" "$XRR" replay -a "$HELLO" >/dev/null 2>"$T/alter3.err"
check "changed syscall number at event $L" "$T/alter3.err" \
	"^xrr: replay diverged at event $L .*expected exit\\(0x0.*got exit_group\\(0x0"
XRR_TEST_ALTER_EVENT="nonsense" "$XRR" replay -a "$HELLO" >/dev/null 2>"$T/alter4.err"
check "a malformed alteration is refused" "$T/alter4.err" "XRR_TEST_ALTER_EVENT=nonsense: expected N:FIELD=VALUE"

# ---- errors ---------------------------------------------------------------------------------------
"$XRR" replay -a "$T/no-such-trace" >/dev/null 2>"$T/missing.err"
st=$?
check "a missing trace is an error" "$T/missing.err" "^xrr: replay: .*no-such-trace"
if [ $st -eq 1 ]; then ok "missing trace: status 1"; else fail "missing trace: status $st"; fi
XRR_EXEC_STUB="$T/nowhere" "$XRR" replay -a "$HELLO" >/dev/null 2>"$T/stub.err"
check "a missing exec stub is named" "$T/stub.err" "exec stub $T/nowhere: No such file"
"$XRR" replay -g later "$HELLO" >/dev/null 2>"$T/goto.err"
check "-g wants an event number" "$T/goto.err" "-g later: not an event number"
"$XRR" replay -a -s 1234 "$HELLO" >/dev/null 2>"$T/usage.err"
check "-a with -s is a usage error" "$T/usage.err" "-a runs without a debugger"
"$XRR" replay --help >"$T/help.out" 2>&1
check "--help documents the exit status" "$T/help.out" "1 after a divergence"

# Replayed processes map the trace's file copies: none may be left.
# (Their command lines are the recorded ones, so pgrep would not do.)
strays=
for i in 1 2 3 4 5 6 7 8 9 10; do
	strays=$(grep -l -- "$T/traces/" /proc/[0-9]*/maps 2>/dev/null)
	[ -z "$strays" ] && break
	sleep 0.2
done
if [ -z "$strays" ]; then
	ok "no replayed process left"
else
	fail "replayed processes left: $strays"
fi
finish
