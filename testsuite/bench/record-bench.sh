#!/usr/bin/env bash
# Recording overhead, side by side in one run: native vs `xrr record` on a
# compute-bound and a syscall-heavy program, trace bytes per event, and
# GDB's `record full` on the same compute-bound program (scaled down so it
# finishes).  Prints a Markdown table; numbers are best of REPEAT runs.
#
# Usage: record-bench.sh [BUILDDIR]   (default: the current directory)
set -u
B=${1:-.}
. "$(dirname "$0")/lib.sh"
COMPUTE_ROUNDS=${COMPUTE_ROUNDS:-40000}
SYSCALL_ITERS=${SYSCALL_ITERS:-20000}
GDB_ROUNDS=${GDB_ROUNDS:-1}

events_of() { "$XRR" info "$1" | sed -n 's/^events: *\([0-9]*\).*/\1/p'; }
stream_bytes() { cat "$1/events" "$1/data" "$1/mmaps" | wc -c; }

c_native=$(best "$P/rec_compute" "$COMPUTE_ROUNDS")
c_rec=$(best "$XRR" record -o "$TMP/tr" -- "$P/rec_compute" "$COMPUTE_ROUNDS")
s_native=$(best "$P/rec_syscalls" "$SYSCALL_ITERS")
s_rec=$(best "$XRR" record -o "$TMP/tr" -- "$P/rec_syscalls" "$SYSCALL_ITERS")
"$XRR" record -o "$TMP/sys" -- "$P/rec_syscalls" "$SYSCALL_ITERS" >/dev/null 2>&1
s_events=$(events_of "$TMP/sys")
s_bytes=$(stream_bytes "$TMP/sys")
"$XRR" record -o "$TMP/comp" -- "$P/rec_compute" "$COMPUTE_ROUNDS" >/dev/null 2>&1
c_events=$(events_of "$TMP/comp")
c_bytes=$(stream_bytes "$TMP/comp")

echo "| workload | native (s) | recorded (s) | ratio |"
echo "|---|---|---|---|"
echo "| compute-bound: rec_compute $COMPUTE_ROUNDS | $c_native | $c_rec | $(ratio "$c_rec" "$c_native")x |"
echo "| syscall-heavy: rec_syscalls $SYSCALL_ITERS ($((2 * SYSCALL_ITERS)) syscalls) | $s_native | $s_rec | $(ratio "$s_rec" "$s_native")x |"
if command -v gdb >/dev/null; then
	g_native=$(best "$P/rec_compute" "$GDB_ROUNDS")
	g_plain=$(best gdb -nx -batch -ex 'break main' -ex run -ex continue --args "$P/rec_compute" "$GDB_ROUNDS")
	# record full single-steps everything: one run is enough.  GDB 13
	# cannot record EVEX (AVX-512) instructions, so on AVX-512 hosts it
	# stops at glibc's first evex string function (in printf, after the
	# compute loop): the time covers the loop, not the program's end.
	g_full=$(REPEAT=1 best timeout 120 gdb -nx -batch -ex 'break main' -ex run -ex 'record full' \
		-ex 'set record full insn-number-max unlimited' -ex continue --args "$P/rec_compute" "$GDB_ROUNDS")
	g_xrr=$(best "$XRR" record -o "$TMP/tr" -- "$P/rec_compute" "$GDB_ROUNDS")
	echo "| compute-bound scaled down: rec_compute $GDB_ROUNDS, gdb without recording | $g_native | $g_plain | $(ratio "$g_plain" "$g_native")x |"
	echo "| same, gdb \`record full\` | $g_native | $g_full | $(ratio "$g_full" "$g_native")x |"
	echo "| same, xrr record | $g_native | $g_xrr | $(ratio "$g_xrr" "$g_native")x |"
else
	echo "| gdb record full | - | - | gdb not installed |"
fi
echo
echo "| trace | events | bytes (events+data+mmaps, compressed) | bytes/event |"
echo "|---|---|---|---|"
echo "| rec_syscalls $SYSCALL_ITERS | $s_events | $s_bytes | $(ratio "$s_bytes" "$s_events") |"
echo "| rec_compute $COMPUTE_ROUNDS | $c_events | $c_bytes | $(ratio "$c_bytes" "$c_events") |"
