#!/usr/bin/env bash
# Real GDB on the replay of a program with its own seccomp filter
# (conf_sec_filter): the filter's SIGSYS stops GDB at the syscall, with
# the recorded $_siginfo (syscall number, call address, the filter's data
# in si_errno); reverse-stepi goes back onto the syscall instruction,
# stepi forward meets the SIGSYS again and enters the handler.
. "${top_srcdir:-$(dirname "$0")/../..}/testsuite/lib.sh"
command -v "$GDB" >/dev/null || skip_all "gdb not installed"
plan 9

trace="$TEST_TMP/sec"
"$XRR" record -o "$trace" "$PROGS/conf_sec_filter" >"$TEST_TMP/recorded.out" 2>"$TEST_TMP/record.err"
st=$?
[ $st -eq 0 ] && ok "recorded (status 0)" || fail "recorded (status $st)"

cat >"$TEST_TMP/sec.gdb" <<GDB
target extended-remote | $XRR replay -q --stdio $trace
continue
printf "SYSCALL %d\n", \$_siginfo._sifields._sigsys._syscall
printf "DATA %d\n", \$_siginfo.si_errno
printf "CALLADDR %d\n", \$_siginfo._sifields._sigsys._call_addr == \$pc
reverse-stepi
x/i \$pc
stepi
stepi
bt 1
GDB
run_gdb "$TEST_TMP/sec.out" "$TEST_TMP/sec.gdb" "$PROGS/conf_sec_filter"
out="$TEST_TMP/sec.out"
check "the filter's SIGSYS stops GDB" "$out" 'Program received signal SIGSYS, Bad system call\.'
check "\$_siginfo: the syscall (getpriority, 140)" "$out" '^SYSCALL 140$'
check "\$_siginfo: the filter's data in si_errno" "$out" '^DATA 42$'
check "\$_siginfo: call address is the pc after syscall" "$out" '^CALLADDR 1$'
check "reverse-stepi: back on the syscall instruction" "$out" '=> 0x[0-9a-f]+ <[^>]*>:[[:space:]]+syscall'
n=$(grep -c 'Program received signal SIGSYS' "$out")
[ "$n" = 2 ] && ok "stepi forward: the SIGSYS again" || fail "stepi forward: the SIGSYS again (seen $n times)"
check "then the handler" "$out" '^#0 .*on_sigsys \(sig=31'
check_not "no replay error" "$out" 'diverged|replay failed'
