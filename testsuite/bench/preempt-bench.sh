#!/usr/bin/env bash
# The goals of issue 12 (preemption and asynchronous signals without a
# PMU), side by side in one run: native vs `xrr record` vs `xrr replay -a`
# of the preempt_* programs, each against its goal:
#   preempt_turns       two threads passing a turn 400 times by spinning:
#                       record <= 5 s, replay <= record
#   preempt_spinlock    4 threads, test-and-set spinlock:   record <= 10x native
#   preempt_pthread_spin  the same with pthread_spin_lock:  record <= 10x native
#   preempt_omp         OpenMP, OMP_WAIT_POLICY=active, 4 threads:
#                       record <= 10x native
#   preempt_sigprof     compute loop with a 2 ms SIGPROF timer: record <= 2x
#                       native, and the recorded run says "inside: most"
#                       (most signals delivered inside the loop)
#   preempt_compute     one thread, no timers: record <= 1.05x native
# Prints a Markdown table with the ratios and PASS or MISS per goal; a
# MISS does not fail the script (its status is 1 only if a program fails
# natively).  Numbers are best of REPEAT runs.  A run longer than
# PREEMPT_BENCH_TIMEOUT seconds (default 60) is killed and shown as a hang;
# a recording that fails or hangs is not repeated.
#
# Sizes are larger than the test's defaults so that start-up (about
# 50 ms to record) does not decide the ratios: SPINLOCK_ITERS (per
# thread, default 1000000), OMP_REPS (default 2), SIGPROF_MILLIONS
# (default 280, about 0.3 s), COMPUTE_ROUNDS (default 40000, about 0.9 s).
#
# Usage: preempt-bench.sh [BUILDDIR]   (default: the current directory)
set -u
B=${1:-.}
. "$(dirname "$0")/lib.sh"
LIMIT=${PREEMPT_BENCH_TIMEOUT:-60}
SPINLOCK_ITERS=${SPINLOCK_ITERS:-1000000}
OMP_REPS=${OMP_REPS:-2}
SIGPROF_MILLIONS=${SIGPROF_MILLIONS:-280}
COMPUTE_ROUNDS=${COMPUTE_ROUNDS:-40000}
OMP_ENV="OMP_NUM_THREADS=4 OMP_WAIT_POLICY=active"
status=0

# timed CMD...: best wall time in seconds over REPEAT runs, printed to
# stdout; the last run's output is in $TMP/last.out.  A run that exits
# non-zero prints "failed (status N, T s)", one killed after LIMIT s
# prints "hang (>LIMIT s)"; either stops the repetitions and returns 1.
timed() {
	local b=0 i t0 t1 d st
	for i in $(seq "$REPEAT"); do
		rm -rf "$TMP/tr"
		t0=$(now)
		timeout -k 5 "$LIMIT" "$@" >"$TMP/last.out" 2>"$TMP/last.err" </dev/null
		st=$?
		t1=$(now)
		if [ $st -eq 124 ] || [ $st -eq 137 ]; then
			echo "hang (>${LIMIT} s)"
			return 1
		elif [ $st -ne 0 ]; then
			awk -v st=$st -v n=$((t1 - t0)) 'BEGIN { printf "failed (status %d, %.4f s)", st, n / 1e9 }'
			return 1
		fi
		d=$((t1 - t0))
		if [ "$b" -eq 0 ] || [ "$d" -lt "$b" ]; then b=$d; fi
	done
	awk -v n="$b" 'BEGIN { printf "%.4f", n / 1e9 }'
}

isnum() { case $1 in '' | *[!0-9.]*) return 1 ;; *) return 0 ;; esac; }
le() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a <= b) }'; }
# within A B F: A <= F * B, both numbers.
within() { isnum "$1" && isnum "$2" && awk -v a="$1" -v b="$2" -v f="$3" 'BEGIN { exit !(a <= f * b) }'; }
rat() { if isnum "$1" && isnum "$2"; then echo "$(ratio "$1" "$2")x"; else echo "-"; fi; }

# row NAME GOAL ENV PROG ARGS...: native, record and replay of one
# program; sets NATIVE, REC, REP (times or "hang"/"failed") and
# REC_OUT (the recorded run's output) for the goal check that follows.
row() {
	local name=$1 goal=$2 envs=$3
	shift 3
	# shellcheck disable=SC2086  # ENV is a list of words
	NATIVE=$(timed env $envs "$@") || status=1
	# shellcheck disable=SC2086
	REC=$(timed env $envs "$XRR" record -o "$TMP/tr" -- "$@")
	REC_OUT=$(cat "$TMP/last.out")
	REP=-
	if isnum "$REC"; then
		rm -rf "$TMP/keep"
		# shellcheck disable=SC2086
		timeout -k 5 "$LIMIT" env $envs "$XRR" record -o "$TMP/keep" -- "$@" >/dev/null 2>&1 </dev/null
		REP=$(timed "$XRR" replay -a "$TMP/keep")
		rm -rf "$TMP/keep"
	fi
	ROW_NAME=$name
	ROW_GOAL=$goal
}

# verdict OK: print the row with PASS or MISS (and say so when the
# replay, which only preempt_turns' goal times, failed or hung).
verdict() {
	local v=MISS
	[ "$1" = 1 ] && v=PASS
	if [ "$REP" != - ] && ! isnum "$REP"; then v="$v (replay failed)"; fi
	echo "| $ROW_NAME | $NATIVE | $REC | $REP | $(rat "$REC" "$NATIVE") | $(rat "$REP" "$REC") | $ROW_GOAL | $v |"
}

echo "| workload | native (s) | recorded (s) | replayed (s) | record/native | replay/record | goal | result |"
echo "|---|---|---|---|---|---|---|---|"

row "two threads pass a turn 400 times by spinning: preempt_turns" "record <= 5 s, replay <= record" "" \
	"$P/preempt_turns" 400
ok=0
isnum "$REC" && isnum "$REP" && le "$REC" 5 && le "$REP" "$REC" && ok=1
verdict $ok

for prog in preempt_spinlock preempt_pthread_spin; do
	row "4 threads x $SPINLOCK_ITERS increments under a spinlock: $prog" "record <= 10x native" "" \
		"$P/$prog" "$SPINLOCK_ITERS"
	ok=0
	within "$REC" "$NATIVE" 10 && ok=1
	verdict $ok
done

row "OpenMP, 4 threads, OMP_WAIT_POLICY=active, $OMP_REPS repetitions: preempt_omp" "record <= 10x native" \
	"$OMP_ENV" "$P/preempt_omp" "$OMP_REPS"
ok=0
within "$REC" "$NATIVE" 10 && ok=1
verdict $ok

row "2 ms SIGPROF into a loop of $SIGPROF_MILLIONS M iterations: preempt_sigprof" \
	"record <= 2x native, signals inside the loop" "" "$P/preempt_sigprof" "$SIGPROF_MILLIONS"
ok=0
within "$REC" "$NATIVE" 2 &&
	printf '%s\n' "$REC_OUT" | grep -q '^inside: most$' && ok=1
verdict $ok
sigprof_rec=$(printf '%s\n' "$REC_OUT" | grep -E '^(inside|signals delivered|v: signals)' | tr '\n' ';')

row "one thread, no timers, $COMPUTE_ROUNDS rounds: preempt_compute" "record <= 1.05x native" "" \
	"$P/preempt_compute" "$COMPUTE_ROUNDS"
ok=0
within "$REC" "$NATIVE" 1.05 && ok=1
verdict $ok

echo
echo "preempt_sigprof under record: ${sigprof_rec:-no output}"
exit $status
