#!/usr/bin/env bash
# Source locations from the trace's stored files (replay/symbols*):
# `xrr dump` names each syscall's function and file:line without
# replaying; `xrr dump --backtrace` replays and shows the call stack
# inner -> outer -> main with the lines the source's LINE: markers
# name (through libc's CFI too, with --no-syscall-buffer); a stripped
# copy gives ELF symbols or says "no symbols"; separate debug info is
# found by .gnu_debuglink and, once `xrr pack` stored it, in the trace;
# GDB's `monitor when` and `monitor bt` show file:line at a breakpoint.
. "${top_srcdir:-$(dirname "$0")/../..}/testsuite/lib.sh"
plan 21

src="$top_srcdir/testsuite/progs/backtrace.c"
# The line of a marker in the program's source: never a hard-coded number.
line_of() { grep -n "LINE:$1 " "$src" | cut -d: -f1; }
L_INNER=$(line_of inner_write)
L_OUTER=$(line_of outer_call)
L_MAIN=$(line_of main_call)
L_LIBC=$(line_of libc_write)
L_MAIN_LIBC=$(line_of main_libc)

trace="$TEST_TMP/bt"
"$XRR" record -o "$trace" "$PROGS/backtrace" >"$TEST_TMP/rec.out" 2>"$TEST_TMP/rec.err"
st=$?
[ $st -eq 0 ] && ok "recorded the call chain" || fail "recorded the call chain (status $st: $(tail -1 "$TEST_TMP/rec.err"))"

# ---- xrr dump: no replay ----
"$XRR" dump "$trace" >"$TEST_TMP/dump.out" 2>&1
check "dump: the raw write is at inner in backtrace.c:$L_INNER" "$TEST_TMP/dump.out" \
	"^ +[0-9]+ +at inner\+0x[0-9a-f]+ \(backtrace\.c:$L_INNER\)$"
# Libraries without DWARF show symbol+offset and the file; with a debug
# file in /usr/lib/debug, file:line.
check "dump: the exit is named in the C library" "$TEST_TMP/dump.out" \
	'^ +[0-9]+ +at _?_?[a-z_]*exit[a-z_]*(\+0x[0-9a-f]+)? \((libc\.so\.6|[a-z_]+\.c:[0-9]+)\)$'
grep -A1 -E ' write\(1, "backtrace: inner' "$TEST_TMP/dump.out" >"$TEST_TMP/dump.write"
check "dump: the location line follows its event" "$TEST_TMP/dump.write" 'at inner\+'

# ---- xrr dump --backtrace: replayed stacks ----
"$XRR" dump --backtrace "$trace" >"$TEST_TMP/bt.out" 2>&1
grep -A4 -E ' write\(1, "backtrace: inner' "$TEST_TMP/bt.out" >"$TEST_TMP/bt.write"
check "backtrace: #0 inner (backtrace.c:$L_INNER)" "$TEST_TMP/bt.write" \
	"#0  0x[0-9a-f]{16} in inner \(backtrace\.c:$L_INNER\)$"
check "backtrace: #1 outer (backtrace.c:$L_OUTER)" "$TEST_TMP/bt.write" \
	"#1  0x[0-9a-f]{16} in outer \(backtrace\.c:$L_OUTER\)$"
check "backtrace: #2 main (backtrace.c:$L_MAIN)" "$TEST_TMP/bt.write" \
	"#2  0x[0-9a-f]{16} in main \(backtrace\.c:$L_MAIN\)$"
check "backtrace: the exit_group's stack reaches __libc_start_main" "$TEST_TMP/bt.out" \
	'#[0-9]+ +0x[0-9a-f]{16} in __libc_start_(main|call_main)'
check_not "backtrace: the replay went to the end" "$TEST_TMP/bt.out" 'no backtrace'

# A divergence names where the thread went astray.
ev=$(awk '/ write\(1, "backtrace: inner/ { print $1; exit }' "$TEST_TMP/dump.out")
XRR_TEST_ALTER_EVENT="$ev:arg2=9" "$XRR" replay -a -q "$trace" >/dev/null 2>"$TEST_TMP/div.err"
check "divergence message ends with the source location" "$TEST_TMP/div.err" \
	"^xrr: replay diverged at event $ev .*\[at inner\+0x[0-9a-f]+ \(backtrace\.c:$L_INNER\)\]$"
XRR_TEST_ALTER_EVENT="$ev:arg2=9" "$XRR" dump --backtrace "$trace" >"$TEST_TMP/divbt.out" 2>&1
grep -A3 -E ' write\(1, "backtrace: inner' "$TEST_TMP/divbt.out" >"$TEST_TMP/divbt.write"
check "dump --backtrace at a divergence: the diverging thread's stack" "$TEST_TMP/divbt.write" \
	"#1  0x[0-9a-f]{16} in outer \(backtrace\.c:$L_OUTER\)$"

# Through libc: write() is a ptrace stop without the syscall buffer.
"$XRR" record --no-syscall-buffer -o "$trace-nosb" "$PROGS/backtrace" >/dev/null 2>&1
"$XRR" dump --backtrace "$trace-nosb" >"$TEST_TMP/nosb.out" 2>&1
grep -A6 -E ' write\(1, "backtrace: libc' "$TEST_TMP/nosb.out" >"$TEST_TMP/nosb.write"
check "backtrace through libc's CFI: libc_outer (backtrace.c:$L_LIBC)" "$TEST_TMP/nosb.write" \
	"#[12]  0x[0-9a-f]{16} in libc_outer \(backtrace\.c:$L_LIBC\)$"
check "backtrace through libc's CFI: main (backtrace.c:$L_MAIN_LIBC)" "$TEST_TMP/nosb.write" \
	"#[23]  0x[0-9a-f]{16} in main \(backtrace\.c:$L_MAIN_LIBC\)$"

# ---- a stripped copy: no DWARF, no .symtab ----
if command -v strip >/dev/null; then
	strip -o "$TEST_TMP/stripped" "$PROGS/backtrace"
	"$XRR" record -o "$trace-stripped" "$TEST_TMP/stripped" >/dev/null 2>&1
	"$XRR" dump --backtrace "$trace-stripped" >"$TEST_TMP/stripped.out" 2>&1
	grep -A3 -E ' write\(1, "backtrace: inner' "$TEST_TMP/stripped.out" >"$TEST_TMP/stripped.write"
	check "stripped: frame #0 says the program has no symbols" "$TEST_TMP/stripped.write" \
		'#0  0x[0-9a-f]{16} in \?\? \(stripped\+0x[0-9a-f]+, no symbols\)'
	check_not "stripped: no source lines claimed" "$TEST_TMP/stripped.write" 'backtrace\.c:'
else
	skip "stripped: frame #0 says the program has no symbols: no strip"
	skip "stripped: no source lines claimed: no strip"
fi

# ---- separate debug info: .gnu_debuglink beside the file, then the
# copy `xrr pack` stores in the trace ----
if command -v objcopy >/dev/null; then
	mkdir "$TEST_TMP/split"
	cp "$PROGS/backtrace" "$TEST_TMP/split/prog"
	objcopy --only-keep-debug "$TEST_TMP/split/prog" "$TEST_TMP/split/prog.debug"
	objcopy --strip-all --add-gnu-debuglink="$TEST_TMP/split/prog.debug" "$TEST_TMP/split/prog"
	"$XRR" record -o "$trace-split" "$TEST_TMP/split/prog" >/dev/null 2>&1
	"$XRR" dump "$trace-split" >"$TEST_TMP/split.out" 2>&1
	check "split debug: lines from the debuglink file beside the program" "$TEST_TMP/split.out" \
		"at inner\+0x[0-9a-f]+ \(backtrace\.c:$L_INNER\)$"
	"$XRR" pack -q "$trace-split" >/dev/null 2>&1
	mv "$TEST_TMP/split/prog.debug" "$TEST_TMP/split/moved.debug"
	"$XRR" dump "$trace-split" >"$TEST_TMP/packed.out" 2>&1
	check "split debug: lines from the debug file xrr pack stored" "$TEST_TMP/packed.out" \
		"at inner\+0x[0-9a-f]+ \(backtrace\.c:$L_INNER\)$"
else
	skip "split debug: lines from the debuglink file: no objcopy"
	skip "split debug: lines from the stored debug file: no objcopy"
fi

# ---- GDB: monitor when, monitor bt ----
if command -v "$GDB" >/dev/null; then
	cat >"$TEST_TMP/gdb.cmd" <<GDB
target extended-remote | $XRR replay -q --stdio $trace
break inner
continue
monitor when
monitor bt
monitor help
GDB
	run_gdb "$TEST_TMP/gdb.out" "$TEST_TMP/gdb.cmd" "$PROGS/backtrace"
	check "gdb: monitor when keeps its first line" "$TEST_TMP/gdb.out" '^Current event: [0-9]+$'
	check "gdb: monitor when names the place" "$TEST_TMP/gdb.out" \
		'^Thread [0-9]+ at inner\+0x[0-9a-f]+ \(backtrace\.c:[0-9]+\)$'
	check "gdb: monitor bt shows outer and main with lines" "$TEST_TMP/gdb.out" \
		"#2  0x[0-9a-f]{16} in main \(backtrace\.c:$L_MAIN\)$"
	check "gdb: monitor help lists backtrace" "$TEST_TMP/gdb.out" '^  backtrace \[TID\]'
else
	for i in 1 2 3 4; do skip "gdb not installed"; done
fi
finish
