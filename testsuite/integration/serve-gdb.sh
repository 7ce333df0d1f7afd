#!/usr/bin/env bash
# Real GDB 13 debugging live programs through `xrr serve --stdio`:
# breakpoints, backtrace, locals, step/next/finish, watchpoints, threads
# with their xcr0, AVX-512 registers, signals, interrupting, exit status,
# detach and kill.  Each session must leave no process behind.
. "${top_srcdir:-$(dirname "$0")/../..}/testsuite/lib.sh"
command -v "$GDB" >/dev/null || skip_all "gdb not installed"
plan 41

serve() { echo "target remote | $XRR serve --stdio -- $*"; }

# ---- breakpoints, stepping, backtrace, locals, exit status --------------
cat >"$TEST_TMP/hello.gdb" <<GDB
$(serve "$PROGS/hello")
break main
continue
step
bt
p a
p b
info locals
finish
next
p hello_global
continue
GDB
run_gdb "$TEST_TMP/hello.out" "$TEST_TMP/hello.gdb" "$PROGS/hello"
out="$TEST_TMP/hello.out"
check "breakpoint at main" "$out" 'Breakpoint 1, main \(\) at .*hello\.c:[0-9]+'
check "step into add" "$out" '^add \(a=(a@entry=)?42, b=(b@entry=)?1\) at .*hello\.c:[0-9]+'
check "backtrace through main" "$out" '^#1  0x[0-9a-f]+ in main \(\) at .*hello\.c:[0-9]+'
check "print argument a" "$out" '^\$1 = 42$'
check "print argument b" "$out" '^\$2 = 1$'
check "finish returns the value" "$out" 'Value returned is \$3 = 43'
check "next and print a global" "$out" '^\$4 = 43$'
check "program output reaches the terminal" "$out" '^hello 43$'
check "exit reported" "$out" '\[Inferior 1 \(process [0-9]+\) exited normally\]'
check_not "no protocol errors" "$out" 'Remote (connection closed|replied unexpectedly)|Ignoring packet error|bad register'

# ---- locals in a worker thread, info threads with xcr0 ----------------------
cat >"$TEST_TMP/threads.gdb" <<GDB
$(serve "$PROGS/threads" 3)
break worker
continue
continue
continue
info threads
next
p job->id >= 0
next
next
info locals
delete
continue
GDB
run_gdb "$TEST_TMP/threads.out" "$TEST_TMP/threads.gdb" "$PROGS/threads"
out="$TEST_TMP/threads.out"
host_xcr0=$(printf '%#x' "$(( $(grep -c avx512f /proc/cpuinfo) > 0 ? 0xe7 : 0x7 ))")
check "breakpoint in a worker thread" "$out" 'Thread [0-9]+ "threads" hit Breakpoint 1, worker \(arg=0x[0-9a-f]+\)'
check "print an expression on a local" "$out" '^\$1 = 1$'
check "info locals in the worker" "$out" '^sum = [0-9]+$'
check "threaded program output" "$out" '^thread 2: 4501500$'
check "threaded program exits" "$out" 'exited normally'

# Every thread with its xcr0: three workers that stay alive.
cat >"$TEST_TMP/spin.gdb" <<GDB
$(serve "$PROGS/threads" 3 spin)
break worker
continue
continue
continue
info threads
kill
GDB
run_gdb "$TEST_TMP/spin.out" "$TEST_TMP/spin.gdb" "$PROGS/threads"
out="$TEST_TMP/spin.out"
n=$(grep -cE '^[* ] +[0-9]+ +Thread [0-9]+\.[0-9]+ "threads" \(xcr0=0x[0-9a-f]+\)' "$out")
[ "$n" -eq 4 ] && ok "info threads lists main and three workers with xcr0" ||
	{ fail "info threads lists main and three workers with xcr0 (saw $n)"; sed 's/^/#   /' "$out" | tail -n 20; }
check "threads show this host's xcr0" "$out" "\\(xcr0=$host_xcr0\\)"
no_strays "spinning program killed" "$PROGS/threads 3 spin"

# ---- watchpoint with old and new value ------------------------------------------
cat >"$TEST_TMP/watch.gdb" <<GDB
$(serve "$PROGS/watch")
break main
continue
watch watched_counter
continue
continue
continue
delete
continue
GDB
run_gdb "$TEST_TMP/watch.out" "$TEST_TMP/watch.gdb" "$PROGS/watch"
out="$TEST_TMP/watch.out"
check "hardware watchpoint set" "$out" 'Hardware watchpoint 2: watched_counter'
if hw_watch_works; then
	check "first hit: 0 -> 1" "$out" 'Old value = 0.*|^Old value = 0$'
	check "new value 1" "$out" '^New value = 1$'
	check "third hit: 2 -> 4" "$out" '^New value = 4$'
else
	skip "first hit: 0 -> 1: $NO_HW_WATCH"
	skip "new value 1: $NO_HW_WATCH"
	skip "third hit: 2 -> 4: $NO_HW_WATCH"
fi
check "watched program output" "$out" '^watched_counter 16$'

# ---- AVX-512 registers and xcr0 --------------------------------------------------
if grep -qw avx512f /proc/cpuinfo; then
	cat >"$TEST_TMP/avx.gdb" <<GDB
$(serve "$PROGS/avx512")
break avx512_checkpoint
continue
p/x \$zmm7.v8_int64
p/x \$zmm20.v8_int64
p/x \$k1
p/x \$xcr0
p \$xcr0
continue
GDB
	run_gdb "$TEST_TMP/avx.out" "$TEST_TMP/avx.gdb" "$PROGS/avx512"
	out="$TEST_TMP/avx.out"
	check "zmm7 holds what the program loaded (all 8 lanes)" "$out" \
		'^\$1 = \{0x1111111111111111, 0x2222222222222222, 0x3333333333333333, 0x4444444444444444, 0x5555555555555555, 0x6666666666666666, 0x7777777777777777, 0x8888888888888888\}$'
	check "zmm20 (Hi16_ZMM) holds what the program loaded" "$out" \
		'^\$2 = \{0x1010101010101010, 0x1111111111111111, 0x1212121212121212, 0x1313131313131313, 0x1414141414141414, 0x1515151515151515, 0x1616161616161616, 0x1717171717171717\}$'
	check "k1 holds what the program loaded" "$out" '^\$3 = 0xa5c3$'
	check "p/x \$xcr0 is the host's" "$out" "^\\\$4 = $host_xcr0\$"
	check "xcr0 flags decode" "$out" '^\$5 = \[ x87 sse avx opmask zmm_hi256 hi16_zmm \]$'
else
	for i in 1 2 3 4 5; do skip "host has no AVX-512"; done
fi

# ---- a signal handled by the program ------------------------------------------------
cat >"$TEST_TMP/sig.gdb" <<GDB
$(serve "$PROGS/signals")
handle SIGALRM nostop noprint pass
continue
p \$_siginfo.si_signo
continue
continue
continue
GDB
run_gdb "$TEST_TMP/sig.out" "$TEST_TMP/sig.gdb" "$PROGS/signals"
out="$TEST_TMP/sig.out"
check "SIGUSR1 stops the program" "$out" 'Program received signal SIGUSR1'
check "siginfo readable" "$out" '^\$1 = 10$'
check "handlers ran with the signals passed" "$out" '^usr1 3 alrm 3$'
check "signal program exits" "$out" 'exited normally'

# ---- interrupting a running program --------------------------------------------------
cat >"$TEST_TMP/irq.gdb" <<GDB
$(serve "$PROGS/threads" 2 spin)
set debug remote 1
continue
set debug remote 0
info threads
kill
GDB
run_gdb_bg() { timeout -k 5 60 "$GDB" -nx -batch -q -iex 'set debuginfod enabled off' \
	-x "$TEST_TMP/irq.gdb" "$PROGS/threads" >"$TEST_TMP/irq.out" 2>&1 </dev/null & }
run_gdb_bg
timeout_pid=$!
# ^C only once GDB has resumed the program for good (a fixed wait was too
# short on a loaded machine): the last packet it sent is a vCont;c (not
# one of the stops for shared libraries, followed by file transfers), and
# nothing has been said for half a second.
last_size=-1
for i in $(seq 120); do
	size=$(stat -c %s "$TEST_TMP/irq.out" 2>/dev/null || echo 0)
	if [ "$size" = "$last_size" ] &&
	   grep 'Sending packet:' "$TEST_TMP/irq.out" | tail -1 | grep -q '\$vCont;c'; then
		break
	fi
	last_size=$size
	sleep 0.5
done
# Signal GDB itself (timeout would pass the signal on to its whole group).
kill -INT "$(pgrep -P "$timeout_pid" -x gdb)"
wait "$timeout_pid"
out="$TEST_TMP/irq.out"
check "interrupt stops the program with SIGINT" "$out" 'received signal SIGINT'
check "all threads listed after the interrupt" "$out" '^[* ] +3 +Thread'
no_strays "killed program is gone" "$PROGS/threads 2 spin"

# ---- exit status and death by signal ---------------------------------------------------
printf '%s\ncontinue\n' "$(serve "$PROGS/exitcode" 3)" >"$TEST_TMP/exit.gdb"
run_gdb "$TEST_TMP/exit.out" "$TEST_TMP/exit.gdb" "$PROGS/exitcode"
check "exit status 3" "$TEST_TMP/exit.out" 'exited with code 03\]'
printf '%s\ncontinue\ncontinue\n' "$(serve "$PROGS/exitcode" --signal 6)" >"$TEST_TMP/abrt.gdb"
run_gdb "$TEST_TMP/abrt.out" "$TEST_TMP/abrt.gdb" "$PROGS/exitcode"
check "death by signal" "$TEST_TMP/abrt.out" 'terminated with signal SIGABRT'

# ---- detach lets the program finish; kill leaves nothing -------------------------------
# (Over TCP: in --stdio mode the program's output goes through GDB's
# stderr pipe, which closes when GDB exits after the detach.)
"$XRR" serve --port 0 -- "$PROGS/watch" >"$TEST_TMP/detach.prog" 2>"$TEST_TMP/detach.err" &
xrr_pid=$!
port=
for _ in $(seq 50); do
	port=$(sed -n 's/.*listening on 127.0.0.1:\([0-9]*\).*/\1/p' "$TEST_TMP/detach.err")
	[ -n "$port" ] && break
	sleep 0.1
done
cat >"$TEST_TMP/detach.gdb" <<GDB
target remote 127.0.0.1:$port
break main
continue
detach
GDB
run_gdb "$TEST_TMP/detach.out" "$TEST_TMP/detach.gdb" "$PROGS/watch"
wait "$xrr_pid"
check "detach reported" "$TEST_TMP/detach.out" '\[Inferior 1 \(process [0-9]+\) detached\]'
for _ in $(seq 20); do grep -q watched "$TEST_TMP/detach.prog" && break; sleep 0.1; done
check "detached program runs to completion" "$TEST_TMP/detach.prog" '^watched_counter 16$'

cat >"$TEST_TMP/kill.gdb" <<GDB
$(serve "$PROGS/threads" 2 spin)
break worker
continue
kill
GDB
run_gdb "$TEST_TMP/kill.out" "$TEST_TMP/kill.gdb" "$PROGS/threads"
check "kill acknowledged" "$TEST_TMP/kill.out" '\[Inferior 1 \(process [0-9]+\) killed\]'
no_strays "no traced process after kill" "$PROGS/threads 2 spin"
finish
