#!/usr/bin/env bash
# The journey of a trace, end to end, as a user makes it: a program built
# with -g is recorded, packed into one file, the program is deleted, the
# archive is unpacked in another directory, and the unpacked trace is
# replayed and debugged by GDB (no /proc warning, `monitor when` with
# file:line, a breakpoint and bt with source lines), by LLDB with no copy
# of the program, by `xrr dump --backtrace` (main with file:line) and by
# `xrr console` (a stop in a function with its source location).
. "${top_srcdir:-$(dirname "$0")/../..}/testsuite/lib.sh"
: "${LLDB:=no}"
command -v "$GDB" >/dev/null || skip_all "gdb not installed"
plan 14

T=$TEST_TMP
mkdir -p "$T/sender" "$T/receiver"
cp "$PROGS/backtrace" "$T/sender/prog"
src=$top_srcdir/testsuite/progs/backtrace.c
# line_of MARKER: the line of /* LINE:MARKER */ in the source.
line_of() { grep -n "LINE:$1 " "$src" | cut -d: -f1; }
inner_line=$(line_of inner_write)
main_line=$(line_of main_call)

(cd "$T/sender" && ./prog >native.out 2>&1; echo $? >native.status)
(cd "$T/sender" && "$XRR" record -o trace ./prog >rec.out 2>rec.err)
if cmp -s "$T/sender/native.out" "$T/sender/rec.out"; then
	ok "recorded (output as native)"
else
	fail "record: $(cat "$T/sender/rec.err")"
fi
"$XRR" pack -o "$T/sender/prog.xrr" "$T/sender/trace" >/dev/null 2>"$T/pack.err" &&
	ok "packed into one file" || fail "pack: $(cat "$T/pack.err")"
cp "$T/sender/prog.xrr" "$T/receiver/"
cp "$T/sender/native.out" "$T/native.out"
rm -rf "$T/sender"
"$XRR" unpack "$T/receiver/prog.xrr" "$T/receiver/trace" >"$T/unpack.out" 2>&1
st=$?
[ $st -eq 0 ] && grep -Eq '^verdict +replayable' "$T/unpack.out" &&
	ok "unpacked elsewhere; check says replayable" || fail "unpack: status $st"
R=$T/receiver/trace

"$XRR" replay -a "$R" >"$T/replay.out" 2>/dev/null
cmp -s "$T/native.out" "$T/replay.out" &&
	ok "replays with the program deleted (output as native)" || fail "replay -a output differs"

# GDB, connected by hand, with nothing local but the trace.
cat >"$T/gdb.cmd" <<GDB
target extended-remote | $XRR replay -q --stdio $R
break inner
continue
monitor when
bt
GDB
(cd "$T/receiver" && run_gdb "$T/gdb.out" "$T/gdb.cmd")
out=$T/gdb.out
check_not "GDB: no /proc warning" "$out" "unable to open /proc file"
check "GDB: breakpoint by name in the deleted program" "$out" '^Breakpoint 1, inner \('
check "GDB: monitor when names file:line" "$out" '^Thread [0-9]+ at inner(\+0x[0-9a-f]+)? \(backtrace\.c:[0-9]+\)$'
check "GDB: bt reaches main with its line" "$out" "in main \\(\\) at .*backtrace\\.c:$main_line\$"

# xrr dump --backtrace.
"$XRR" dump --backtrace "$R" >"$T/bt.out" 2>&1
check "dump --backtrace: inner at its line" "$T/bt.out" "#0  0x[0-9a-f]{16} in inner \\(backtrace\\.c:$inner_line\\)\$"
check "dump --backtrace: main with file:line" "$T/bt.out" "#2  0x[0-9a-f]{16} in main \\(backtrace\\.c:$main_line\\)\$"

# The console.
printf 'break inner\ncontinue\nbt\nquit\n' >"$T/console.script"
"$XRR" console -q "$R" <"$T/console.script" >"$T/console.out" 2>&1
check "console: stops in inner with its source location" "$T/console.out" \
	"stopped at inner\\+0x?[0-9a-f]* \\(backtrace\\.c:[0-9]+\\)"
check "console: bt names main with its line" "$T/console.out" "in main \\(backtrace\\.c:$main_line\\)"

# LLDB, in an empty directory, with no copy of the program.
if [ "$LLDB" = no ] || ! command -v "$LLDB" >/dev/null 2>&1; then
	skip "LLDB is not installed"
	skip "LLDB is not installed"
else
	"$XRR" replay -q -s 127.0.0.1:0 "$R" >"$T/lldb-serve.out" 2>"$T/lldb-serve.err" &
	server=$!
	port=
	for _ in $(seq 100); do
		port=$(sed -n 's/.*listening on 127.0.0.1:\([0-9]*\).*/\1/p' "$T/lldb-serve.err")
		[ -n "$port" ] && break
		sleep 0.1
	done
	mkdir -p "$T/empty"
	(cd "$T/empty" && timeout -k 5 120 "$LLDB" --no-lldbinit -b \
		-o "gdb-remote 127.0.0.1:$port" -o 'b inner' -o continue -o bt -o continue) \
		>"$T/lldb.out" 2>&1 </dev/null
	wait "$server"
	check "LLDB: stops in inner with its line" "$T/lldb.out" 'frame #0: 0x[0-9a-f]+ prog`inner.* at backtrace\.c:[0-9]+'
	check "LLDB: bt reaches main" "$T/lldb.out" "prog\`main.* at backtrace\\.c:$main_line"
fi
