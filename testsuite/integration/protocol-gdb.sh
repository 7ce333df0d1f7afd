#!/usr/bin/env bash
# Real GDB against a test server built on the protocol library and the
# stub: per-thread XCR0 in one target description, unavailable AVX-512
# halves in the 0x7 thread, thread listing, registers, memory, monitor,
# breakpoints, exit — over stdio, TCP and a Unix socket.
. "${top_srcdir:-$(dirname "$0")/../..}/testsuite/lib.sh"
SERVER="$top_builddir/testsuite/integration/fake_target_server"
command -v "$GDB" >/dev/null || skip_all "gdb not installed"
plan 22

cat >"$TEST_TMP/session.gdb" <<GDB
set architecture i386:x86-64
target remote | $SERVER --stdio
info threads
thread 1
p/x \$xcr0
p \$xcr0
p/x \$zmm0.v8_int64
p/x \$ymm0.v4_int64
p/x \$rip
thread 2
p/x \$xcr0
p/x \$zmm0.v8_int64
p/x \$zmm31.v8_int64
p/x \$k1
p/x \$rip
x/4xb 0x401000
monitor xcr0
monitor fake-hello
monitor no-such-command
set var \$rax = 0x1234
p/x \$rax
break *0x401100
continue
p/x \$pc
delete
continue
GDB
run_gdb "$TEST_TMP/out" "$TEST_TMP/session.gdb"
out="$TEST_TMP/out"

check "info threads lists both threads" "$out" 'Thread 4242\.4242 .*xcr0=0x7'
check "info threads shows the second thread's xcr0" "$out" 'Thread 4242\.4243 .*xcr0=0xe7'
check "p/x \$xcr0 is 0x7 in thread 1" "$out" '^\$1 = 0x7$'
check "xcr0 flags name the components" "$out" '^\$2 = \[ (X87|x87) (SSE|sse) (AVX|avx) \]$'
check "zmm0 upper lanes unavailable in the 0x7 thread" "$out" \
	'^\$3 = \{0x100000000000000, 0x100000000000001, 0x100000000000002, 0x100000000000003, <unavailable>, <unavailable>, <unavailable>, <unavailable>\}'
check "ymm0 available in the 0x7 thread" "$out" \
	'^\$4 = \{0x100000000000000, 0x100000000000001, 0x100000000000002, 0x100000000000003\}'
check "rip of thread 1" "$out" '^\$5 = 0x401000$'
check "p/x \$xcr0 is 0xe7 in thread 2" "$out" '^\$6 = 0xe7$'
check "zmm0 complete in the 0xe7 thread" "$out" \
	'^\$7 = \{0x200000000000000, 0x200000000000001, 0x200000000000002, 0x200000000000003, 0x200000000000004, 0x200000000000005, 0x200000000000006, 0x200000000000007\}'
check "zmm31 (Hi16_ZMM) in the 0xe7 thread" "$out" '^\$8 = \{0x211f1f1f1f1f1f1f, '
check "k1 in the 0xe7 thread" "$out" '^\$9 = 0x200$'
check "rip of thread 2" "$out" '^\$10 = 0x401010$'
check "memory read" "$out" '0x401000:[[:space:]]+0x90[[:space:]]+0x90[[:space:]]+0x90[[:space:]]+0x90'
check "monitor xcr0 lists thread 4242" "$out" 'thread 4242: xcr0 = 0x7 \(x87\|sse\|avx\)'
check "monitor xcr0 lists thread 4243" "$out" 'thread 4243: xcr0 = 0xe7 \(x87\|sse\|avx\|opmask\|zmm_hi256\|hi16_zmm\)'
check "target monitor command" "$out" 'hello from the fake target'
check "unknown monitor command explained" "$out" "unknown monitor command 'no-such-command'"
check "register write reads back" "$out" '^\$11 = 0x1234$'
check "breakpoint hit" "$out" 'Breakpoint 1, 0x0*401100 in \?\? \(\)'
check "pc at the breakpoint" "$out" '^\$12 = 0x401100$'
check "exit status reported" "$out" '\[Inferior 1 \(process 4242\) exited with code 07\]'

# The same server over TCP on loopback (port 0 picks a free port).
"$SERVER" --port 0 2>"$TEST_TMP/tcp.err" &
pid=$!
port=
for _ in $(seq 50); do
	port=$(sed -n 's/.*listening on port \([0-9]*\).*/\1/p' "$TEST_TMP/tcp.err")
	[ -n "$port" ] && break
	sleep 0.1
done
cat >"$TEST_TMP/tcp.gdb" <<GDB
set architecture i386:x86-64
target remote 127.0.0.1:$port
thread 2
p/x \$xcr0
kill
GDB
run_gdb "$TEST_TMP/tcp.out" "$TEST_TMP/tcp.gdb"
wait $pid 2>/dev/null
check "tcp transport with a picked port" "$TEST_TMP/tcp.out" '^\$1 = 0xe7$'
finish
