#!/usr/bin/env bash
# What a program sees of the world inside a diversion (GDB inferior calls
# on a replay): its recorded pid, no new processes, no signals to other
# processes, and the replay unchanged afterwards.
. "${top_srcdir:-$(dirname "$0")/../..}/testsuite/lib.sh"
command -v "$GDB" >/dev/null || skip_all "gdb not installed"
plan 10

trace="$TEST_TMP/hello"
"$XRR" record -o "$trace" "$PROGS/hello" >"$TEST_TMP/rec.out" 2>&1
pid=$("$XRR" dump "$trace" | awk '$3 == "exec" { print $2; exit }')
cat >"$TEST_TMP/pol.gdb" <<GDB
target extended-remote | $XRR replay -q --stdio $trace
break add
continue
printf "GETPID %d\n", (int) getpid()
printf "FORK %d\n", (int) fork()
printf "FORK_ERRNO %d\n", *(int *) __errno_location()
printf "KILL %d\n", (int) kill(1, 0)
printf "KILL_ERRNO %d\n", *(int *) __errno_location()
printf "KILLSELF %d\n", (int) kill((int) getpid(), 0)
monitor diversion end
maint flush register-cache
printf "AFTER a=%d b=%d\n", a, b
set unwindonsignal on
python
try:
    gdb.execute("call ((void (*)(void)) 0)()")
except gdb.error as e:
    print("CALL FAILED:", str(e).splitlines()[0])
end
delete
printf "CALL AFTER CRASH %d\n", add(2, 3)
continue
GDB
run_gdb "$TEST_TMP/pol.out" "$TEST_TMP/pol.gdb" "$PROGS/hello"
out="$TEST_TMP/pol.out"
check "getpid in a diversion returns the recorded pid" "$out" "^GETPID $pid\$"
check "fork in a diversion fails" "$out" '^FORK -1$'
check "fork fails with ENOSYS" "$out" '^FORK_ERRNO 38$'
check "a signal to another process is refused" "$out" '^KILL -1$'
check "... with ENOSYS" "$out" '^KILL_ERRNO 38$'
check "a signal to itself (recorded pid) is allowed" "$out" '^KILLSELF 0$'
check "the replay's values are untouched afterwards" "$out" '^AFTER a=42 b=1$'
check "a crash in an inferior call is reported" "$out" '^CALL FAILED: The program being debugged was signaled'
check "the session goes on: another call works" "$out" '^CALL AFTER CRASH 5$'
check "and the replay still runs to its recorded end" "$out" 'xrr: end of the recording: the program exited with status 0'
finish
