#!/usr/bin/env bash
# The in-process syscall buffer (issue 13, docs/syscallbuf.md): calls
# that xrr-preload.so makes without ptrace stops are recorded, replayed
# with the same results and memory effects, and debuggable.
#   - sb_calls (every wrapped call, with fallbacks to the ptrace path for
#     calls that would block) records and replays with native output,
#     buffered calls listed by xrr dump with their paths, and the same
#     with --no-syscall-buffer (then nothing is buffered);
#   - sb_threads: threads with a buffer each, a reader blocked on an
#     empty pipe, a fork whose child buffers in its own copy, SIGALRM
#     handlers interrupting loops of buffered calls;
#   - a static program (no library loaded) records through ptrace;
#   - sb_sites: the program's own syscall instructions (libgomp's and
#     glibc's shape) are patched to go through the buffer (EV_PATCH in
#     xrr dump), a shared site declines a call the buffer cannot make,
#     and GDB stops in the patched code path;
#   - under real GDB: a breakpoint on getppid hits every buffered call,
#     `monitor when` names the event, `print getppid()` runs in a
#     diversion (real calls, the buffer off) and the replay goes on,
#     reverse-continue steps back to the previous buffered call.
. "${top_srcdir:-$(dirname "$0")/../..}/testsuite/lib.sh"
plan 40

T="$TEST_TMP"
deterministic() { grep -v '^v: ' "$1"; }

# record_and_replay NAME PROG [RECORD-ARGS...]: native, record, replay;
# 3 tests.  Outputs in $T/NAME.{native,rec,rep}, trace in $T/NAME.
record_and_replay() {
	local name=$1 prog=$2 native rec rep
	shift 2
	"$prog" >"$T/$name.native" 2>&1 </dev/null
	native=$?
	if [ $native -eq 0 ]; then
		ok "$name: native run passes its own checks"
	else
		fail "$name: native run exited $native"
		tail -n 5 "$T/$name.native" | sed 's/^/#   /'
	fi
	timeout -k 5 120 "$XRR" record "$@" -o "$T/$name" -- "$prog" \
		>"$T/$name.rec" 2>"$T/$name.rec.err" </dev/null
	rec=$?
	if [ $rec -eq $native ] &&
	   cmp -s <(deterministic "$T/$name.native") <(deterministic "$T/$name.rec"); then
		ok "$name: recorded output and status $rec as native"
	else
		fail "$name: recorded status $rec (native $native), output differs"
		diff <(deterministic "$T/$name.native") <(deterministic "$T/$name.rec") |
			head -n 8 | sed 's/^/#   /'
		grep -v 'warning: rdtsc' "$T/$name.rec.err" | tail -n 3 | sed 's/^/#   /'
	fi
	timeout -k 5 120 "$XRR" replay -a "$T/$name" >"$T/$name.rep" 2>"$T/$name.rep.err" </dev/null
	rep=$?
	if [ $rep -eq $rec ] && cmp -s "$T/$name.rec" "$T/$name.rep"; then
		ok "$name: replay prints the recorded output, status $rep"
	else
		fail "$name: replay status $rep (recorded $rec), output differs"
		diff "$T/$name.rec" "$T/$name.rep" | head -n 8 | sed 's/^/#   /'
		tail -n 3 "$T/$name.rep.err" | sed 's/^/#   /'
	fi
	"$XRR" info "$T/$name" >"$T/$name.info" 2>&1
	"$XRR" dump "$T/$name" >"$T/$name.dump" 2>&1
}

# buffered_count NAME: the calls `xrr info` says were buffered.
buffered_count() {
	sed -n 's/^buffered: *\([0-9]*\) syscalls.*/\1/p' "$T/$1.info"
}

# ---- every wrapped call ----------------------------------------------------------------
record_and_replay sb_calls "$PROGS/sb_calls"
n=$(buffered_count sb_calls)
if [ "${n:-0}" -ge 100 ]; then
	ok "sb_calls: $n calls went through the buffer"
else
	fail "sb_calls: ${n:-no} calls went through the buffer (want >= 100)"
	grep -E '^(events|buffered):' "$T/sb_calls.info" | sed 's/^/#   /'
fi
check "sb_calls: xrr dump lists buffered opens with their paths" "$T/sb_calls.dump" \
	'buffered #[0-9]+: openat\(AT_FDCWD, "/[^"]+", [A-Z_|]+\) = [0-9]+'
check "sb_calls: a read that would block on an empty pipe fell back to the ptrace path" \
	"$T/sb_calls.dump" '^ *[0-9]+ +[0-9]+ read\([0-9]+, '

record_and_replay sb_calls_nobuf "$PROGS/sb_calls" --no-syscall-buffer
check_not "--no-syscall-buffer: nothing buffered" "$T/sb_calls_nobuf.info" '^buffered:'

# ---- threads, a blocked reader, fork, signals ---------------------------------------------
record_and_replay sb_threads "$PROGS/sb_threads"
nbuf=$(grep -o 'syscallbuf: .*(buffer 0x[0-9a-f]*' "$T/sb_threads.dump" |
	sed 's/.*buffer //' | sort -u | wc -l)
ntid=$(awk '$3 == "syscallbuf:" { print $2 }' "$T/sb_threads.dump" | sort -u | wc -l)
if [ "$nbuf" -ge 4 ]; then
	ok "sb_threads: each thread buffers in its own buffer ($nbuf buffers)"
else
	fail "sb_threads: $nbuf distinct buffers (want one per thread: >= 4)"
fi
if [ "$ntid" -ge 5 ]; then
	ok "sb_threads: threads and the forked child all buffered calls ($ntid tids)"
else
	fail "sb_threads: buffered calls from $ntid tids (want main, 3 workers, child: >= 5)"
fi
nalrm=$(grep -c 'signal SIGALRM frame' "$T/sb_threads.dump")
if [ "$nalrm" -ge 5 ]; then
	ok "sb_threads: $nalrm SIGALRM handlers ran between buffered calls"
else
	fail "sb_threads: $nalrm SIGALRM deliveries recorded (want >= 5)"
fi

# ---- patched syscall sites ---------------------------------------------------------------
record_and_replay sb_sites "$PROGS/sb_sites"
npatch=$(grep -c 'patched the syscall at' "$T/sb_sites.dump")
if [ "$npatch" -ge 4 ]; then
	ok "sb_sites: $npatch of the program's syscall sites patched"
else
	fail "sb_sites: $npatch syscall sites patched (want the wake, getpid, clock and shared sites: >= 4)"
	grep -i 'patch' "$T/sb_sites.rec.err" | head -n 5 | sed 's/^/#   /'
fi
n=$(buffered_count sb_sites)
if [ "${n:-0}" -ge 80000 ]; then
	ok "sb_sites: $n calls went through the buffer (80,000 raw futex wakes)"
else
	fail "sb_sites: ${n:-no} calls buffered (want >= 80000)"
fi
check "sb_sites: the shared site declines FUTEX_WAIT to the ptrace path" "$T/sb_sites.dump" \
	'^ *[0-9]+ +[0-9]+ futex\(0x[0-9a-f]+, FUTEX_WAIT_PRIVATE, 1, NULL.*= -1 EAGAIN'
check "sb_sites: the shared site buffers getppid" "$T/sb_sites.dump" \
	'buffered #[0-9]+: getppid\(\) = [0-9]+'
record_and_replay sb_sites_nobuf "$PROGS/sb_sites" --no-syscall-buffer
check_not "--no-syscall-buffer: no site patched" "$T/sb_sites_nobuf.dump" 'patched the syscall'
if command -v "$GDB" >/dev/null && [ -f "$T/sb_sites/version" ]; then
	cat >"$T/gs.gdb" <<GDB
target extended-remote | $XRR replay -q --stdio $T/sb_sites
break round_done if id == 2 && i == 5000
continue
printf "SITE id=%ld i=%d w=%ld\n", id, i, w
bt 2
delete
continue
GDB
	run_gdb "$T/gs.out" "$T/gs.gdb" "$PROGS/sb_sites"
	check "GDB: a conditional breakpoint after patched wakes stops at thread 2's round 5000" "$T/gs.out" '^SITE id=2 i=5000 w=0$'
	check "GDB: the caller is the program's worker" "$T/gs.out" '^#1 .*worker'
	check "GDB: the replay runs on to the recorded end" "$T/gs.out" 'exited normally|end of the recording'
else
	for i in 1 2 3; do skip "gdb not installed or no trace"; done
fi

# ---- a static program: no library, the ptrace path ---------------------------------------
record_and_replay sb_static "$PROGS/sb_calls_static"
check_not "static program: nothing buffered" "$T/sb_static.info" '^buffered:'

# ---- under GDB --------------------------------------------------------------------------
if command -v "$GDB" >/dev/null && [ -f "$T/sb_threads/version" ]; then
	cat >"$T/g.gdb" <<GDB
target extended-remote | $XRR replay -q --stdio $T/sb_threads
handle SIGALRM nostop noprint pass
break getppid
ignore 1 999
continue
up
printf "HIT i=%d\n", i
monitor when
disable 1
printf "CALL %d\n", (int) getppid()
monitor diversion end
enable 1
reverse-continue
up
printf "BACK i=%d\n", i
delete
continue
GDB
	run_gdb "$T/g.out" "$T/g.gdb" "$PROGS/sb_threads"
	check "GDB: the 1000th stop at getppid is main's last call (i=999)" "$T/g.out" '^HIT i=999$'
	check "GDB: monitor when names the event" "$T/g.out" '^Current event: [0-9]+$'
	check "GDB: print getppid() runs in a diversion" "$T/g.out" '^CALL [1-9][0-9]*$'
	check "GDB: reverse-continue goes back one buffered call (i=998)" "$T/g.out" '^BACK i=998$'
	check "GDB: the replay runs on to the recorded end" "$T/g.out" 'exited normally|end of the recording'
else
	for i in 1 2 3 4 5; do skip "gdb not installed or no trace"; done
fi

no_strays "no sb_ program left running" "$PROGS/sb_"
finish
