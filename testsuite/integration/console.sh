#!/usr/bin/env bash
# xrr console: scripts on stdin against its own replay server (TRACE)
# and against a running `xrr replay -s` (HOST:PORT), registers from the
# target description (xcr0, composed zmm), the stop-at-first-failure
# rule, and a readline session on a pseudo-terminal completing names.
. "${top_srcdir:-$(dirname "$0")/../..}/testsuite/lib.sh"
plan 33

console() { timeout -k 5 120 "$XRR" console -q "$@"; }

h="$TEST_TMP/hello"
"$XRR" record -o "$h" "$PROGS/hello" >"$TEST_TMP/h.rec" 2>&1 ||
	{ cat "$TEST_TMP/h.rec"; skip_all "cannot record hello here"; }
# A late event at which hello is still alive: its write of "hello 43".
wev=$("$XRR" dump "$h" | awk '/ write\(1, "hello/ { print $1; exit }')
diag "write event: $wev"

# ---- a script: the tour ----
cat >"$TEST_TMP/tour.xrr" <<SCRIPT
# comments and blank lines are skipped

when
break add
continue
regs rip
regs xcr0
regs zmm0
x add 16
bt
goto $wev
when
diversion start
checksum --writable
diversion end
quit
when
SCRIPT
console "$h" <"$TEST_TMP/tour.xrr" >"$TEST_TMP/tour.out" 2>"$TEST_TMP/tour.err"
status=$?
out="$TEST_TMP/tour.out"
[ $status = 0 ] && ok "the script runs to quit with status 0" ||
	{ fail "the script runs to quit with status 0 (status $status)"; sed 's/^/#   /' "$TEST_TMP/tour.err"; }
check "when prints the current event" "$out" '^Current event: [0-9]+'
check "break resolves the symbol from the executable (read through vFile)" "$out" \
	'^breakpoint 1 at 0x[0-9a-f]+ \(add\+0\)$'
check "continue stops in the function" "$out" \
	'^breakpoint 1: stopped at add\+0 .*event [0-9]+ \[pc 0x[0-9a-f]+, thread [0-9]+\]$'
bp=$(sed -n 's/^breakpoint 1 at \(0x[0-9a-f]*\) .*/\1/p' "$out")
check "regs rip is the breakpoint address" "$out" "^rip = $bp <add\\+0>\$"
rec_xcr0=$("$XRR" info "$h" | sed -n 's/^  thread [0-9]* *\(0x[0-9a-f]*\) .*/\1/p' | head -1)
check "regs xcr0 is the recorded XCR0 ($rec_xcr0)" "$out" "^xcr0 = $rec_xcr0\$"
lane='(0x[0-9a-f]+|<unavailable>)'
if grep -qw avx512f /proc/cpuinfo; then
	check "regs zmm0 shows 8 lanes" "$out" "^zmm0 = \\{$lane(, $lane){7}\\}\$"
else
	check "regs zmm0 without AVX-512 is a clear error" "$TEST_TMP/tour.err" "no register 'zmm0'"
fi
check "x ADDR 16 dumps 16 bytes at the symbol's address" "$out" \
	"^0x0*${bp#0x}:( [0-9a-f]{2}){16}  .{16}\$"
if grep -Eq '^#0 .*add' "$out"; then
	ok "bt shows the function (frame 0)"
else
	fail "bt shows the function (frame 0)"
	sed 's/^/#   /' "$out"
fi
check "goto then when says the event" "$out" "^Current event: $wev( |\$)"
check "diversion start" "$out" '^xrr: diversion started$'
check "checksum --writable prints a hash" "$out" '^[0-9a-f]{16}  [0-9]+ bytes in [0-9]+ ranges? '
check "diversion end" "$out" "^xrr: diversion ended; back in the replay at event $wev\$"
check_not "the replay target's GDB hint is not shown" "$out" 'maint flush'
[ "$(grep -c '^Current event' "$out")" = 2 ] && ok "nothing runs after quit" ||
	fail "nothing runs after quit ($(grep -c '^Current event' "$out") whens)"

# The source location: the server's (monitor when) where it has one,
# else the console's own reading of the executable's line table; the
# line addr2line gives for add's entry.
add_off=$(nm "$PROGS/hello" | awk '$3 == "add" { print $1 }')
want=$(addr2line -e "$PROGS/hello" "0x$add_off" 2>/dev/null | sed 's|.*/||')
if [ -n "$want" ] && [ "${want#*:}" != 0 ] && [ "${want#*:}" != "?" ]; then
	check "the stop in add has its source location ($want)" "$out" \
		"^breakpoint 1: stopped at add\\+0 \\($want\\) event"
else
	skip "addr2line cannot tell add's line here"
fi

# ---- errors: the first failure ends a script with status 1 ----
printf 'when\nfrobnicate 3\nwhen\n' | console "$h" >"$TEST_TMP/bad.out" 2>"$TEST_TMP/bad.err"
[ $? = 1 ] && ok "a bad command exits with status 1" || fail "a bad command exits with status 1"
check "it says what was wrong" "$TEST_TMP/bad.err" "unknown command 'frobnicate' \\(help lists them\\)"
[ "$(grep -c '^Current event' "$TEST_TMP/bad.out")" = 1 ] &&
	ok "commands after the failure do not run" ||
	fail "commands after the failure do not run"
printf 'set keep-going on\nbreak no_such_function\ngoto 99999999\ncall add 1 2\nwhen\n' |
	console "$h" >"$TEST_TMP/kg.out" 2>"$TEST_TMP/kg.err"
[ $? = 1 ] && ok "keep-going still ends with status 1" || fail "keep-going still ends with status 1"
check "keep-going runs the rest" "$TEST_TMP/kg.out" '^Current event: '
check "an unknown symbol is a clear error" "$TEST_TMP/kg.err" "no symbol 'no_such_function' in the executable"
check "call outside a diversion says what to do" "$TEST_TMP/kg.err" \
	"calls run in a diversion with an implant loaded: 'diversion start', then 'implant load FILE'"

# ---- the end of the recording, and back ----
printf 'continue\ncontinue\ngoto 5\nbreak add\ncontinue\n' |
	console -k "$h" >"$TEST_TMP/end.out" 2>"$TEST_TMP/end.err"
check "continue reaches the end of the recording, then the exit" "$TEST_TMP/end.out" \
	'^the program exited with status 0$'
check "after goto the program runs again to the breakpoint" "$TEST_TMP/end.out" \
	'^breakpoint 1: stopped at add\+0 '

# ---- a trace recorded with XCR0 0x7: the AVX-512 state is unavailable ----
x7="$TEST_TMP/x7"
if "$XRR" record --xcr0 0x7 -o "$x7" "$PROGS/xcr0_probe" >"$TEST_TMP/x7.rec" 2>&1; then
	printf 'break main\ncontinue\nregs xcr0\nregs zmm0\nregs k1\n' |
		console "$x7" >"$TEST_TMP/x7.out" 2>"$TEST_TMP/x7.err"
	check "regs xcr0 is 0x7" "$TEST_TMP/x7.out" '^xcr0 = 0x7$'
	if grep -qw avx512f /proc/cpuinfo; then
		check "zmm0: the xmm and ymm halves are there, the zmm half unavailable" \
			"$TEST_TMP/x7.out" '^zmm0 = \{(0x[0-9a-f]+, ){4}<unavailable>, <unavailable>, <unavailable>, <unavailable>\}$'
		check "k1 is unavailable" "$TEST_TMP/x7.out" '^k1 = <unavailable>$'
	else
		skip "host has no AVX-512"
		skip "host has no AVX-512"
	fi
else
	for i in 1 2 3; do skip "cannot record with --xcr0 0x7 here"; done
fi

# ---- HOST:PORT: a running xrr replay -s ----
"$XRR" replay -q -s 0 "$h" >"$TEST_TMP/srv.out" 2>"$TEST_TMP/srv.err" &
server=$!
port=
for _ in $(seq 100); do
	port=$(sed -n 's/.*listening on 127.0.0.1:\([0-9]*\).*/\1/p' "$TEST_TMP/srv.err")
	[ -n "$port" ] && break
	sleep 0.1
done
printf 'break add\ncontinue\nregs rip\n' | console "127.0.0.1:$port" >"$TEST_TMP/tcp.out" 2>&1
check "HOST:PORT: break and continue against xrr replay -s" "$TEST_TMP/tcp.out" \
	'^breakpoint 1: stopped at add\+0 '
printf 'when\n' | console ":$port" >"$TEST_TMP/tcp2.out" 2>&1
check "the server is still there for the next console (:PORT form)" "$TEST_TMP/tcp2.out" \
	'^Current event: [0-9]+'
kill "$server" 2>/dev/null
wait "$server" 2>/dev/null

# ---- readline on a pseudo-terminal: history and tab completion ----
if command -v python3 >/dev/null; then
	XRR_CONSOLE_HISTORY="$TEST_TMP/history" timeout -k 5 120 python3 - "$XRR" "$h" \
		>"$TEST_TMP/pty.out" 2>&1 <<'PY'
import os, pty, sys, time, select
pid, fd = pty.fork()
if pid == 0:
    os.environ["TERM"] = "dumb"
    os.execv(sys.argv[1], [sys.argv[1], "console", "-q", sys.argv[2]])
def read_until(marker, timeout=60):
    buf = b""
    end = time.time() + timeout
    while marker not in buf and time.time() < end:
        r, _, _ = select.select([fd], [], [], 0.5)
        if r:
            try:
                buf += os.read(fd, 4096)
            except OSError:
                break
    sys.stdout.write(buf.decode(errors="replace"))
    return buf
read_until(b"(xrr) ")
os.write(fd, b"whe\t\n")          # completes to "when"
read_until(b"(xrr) ")
os.write(fd, b"break ad\t\n")     # completes the symbol "add"
read_until(b"(xrr) ")
os.write(fd, b"quit\n")
read_until(b"\x00", timeout=10)
os.waitpid(pid, 0)
PY
	check "tab completes a command name (whe -> when)" "$TEST_TMP/pty.out" 'Current event: [0-9]+'
	check "tab completes a symbol (break ad -> add)" "$TEST_TMP/pty.out" 'breakpoint 1 at 0x[0-9a-f]+ \(add\+0\)'
	check "history is saved" "$TEST_TMP/history" '^break add$'
else
	for i in 1 2 3; do skip "python3 is needed for the pseudo-terminal"; done
fi
finish
