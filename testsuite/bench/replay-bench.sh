#!/usr/bin/env bash
# Replay speed, side by side in one run: native vs `xrr record` vs
# `xrr replay -a` on the compute-bound and syscall-heavy programs of the
# recorder's benchmark, plus start-up alone (hello).  Prints a Markdown
# table; numbers are best of REPEAT runs.  Replay echoes the program's
# output (to /dev/null here, like the native and recorded runs).
#
# Usage: replay-bench.sh [BUILDDIR]   (default: the current directory)
set -u
B=${1:-.}
. "$(dirname "$0")/lib.sh"
COMPUTE_ROUNDS=${COMPUTE_ROUNDS:-40000}
SYSCALL_ITERS=${SYSCALL_ITERS:-20000}

# row NAME PROG ARGS...: native, record, replay of one program.
row() {
	local name=$1
	shift
	local native rec rep
	native=$(EXPECT_STATUS=0 best "$@") || exit 1
	rec=$(EXPECT_STATUS=0 best "$XRR" record -o "$TMP/tr" -- "$@") || exit 1
	"$XRR" record -o "$TMP/keep" -- "$@" >/dev/null 2>&1 </dev/null
	rep=$(EXPECT_STATUS=0 best "$XRR" replay -a "$TMP/keep") || exit 1
	rm -rf "$TMP/keep"
	echo "| $name | $native | $rec | $rep | $(ratio "$rec" "$native")x | $(ratio "$rep" "$native")x | $(ratio "$rep" "$rec")x |"
}

echo "| workload | native (s) | recorded (s) | replayed (s) | record/native | replay/native | replay/record |"
echo "|---|---|---|---|---|---|---|"
row "compute-bound: rec_compute $COMPUTE_ROUNDS" "$P/rec_compute" "$COMPUTE_ROUNDS"
row "syscall-heavy: rec_syscalls $SYSCALL_ITERS ($((2 * SYSCALL_ITERS)) syscalls)" "$P/rec_syscalls" "$SYSCALL_ITERS"
row "start-up only: hello" "$P/hello"
