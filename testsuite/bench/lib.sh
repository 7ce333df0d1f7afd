# Shared by the benchmark scripts: sourced after B (the build directory)
# is set.  Provides XRR, P (test programs), REPEAT, TMP (removed at exit,
# also XRR_TRACE_DIR's parent), now, best and ratio.
XRR="$B/xrr"
P="$B/testsuite/progs"
REPEAT=${REPEAT:-3}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/xrr-bench.XXXXXX")
trap '[ -n "${KEEP:-}" ] || rm -rf "$TMP"' EXIT
export XRR_TRACE_DIR="$TMP/traces"

now() { date +%s%N; }

# best CMD...: best wall time in seconds over REPEAT runs.  With
# EXPECT_STATUS set, a run ending otherwise fails the whole benchmark:
# no number without a result.  With BEFORE set to a command or function
# name (e.g. one running `make clean`), it runs before each run, untimed.
best() {
	local b=0 i t0 t1 d st
	for i in $(seq "$REPEAT"); do
		rm -rf "$TMP/tr"
		if [ -n "${BEFORE:-}" ]; then $BEFORE >/dev/null 2>&1 </dev/null; fi
		t0=$(now)
		"$@" >/dev/null 2>"$TMP/err" </dev/null
		st=$?
		t1=$(now)
		if [ -n "${EXPECT_STATUS:-}" ] && [ $st -ne "$EXPECT_STATUS" ]; then
			echo "$(basename "$0"): '$*' exited $st" >&2
			cat "$TMP/err" >&2
			exit 1
		fi
		d=$((t1 - t0))
		if [ "$b" -eq 0 ] || [ "$d" -lt "$b" ]; then b=$d; fi
	done
	awk -v n="$b" 'BEGIN { printf "%.4f", n / 1e9 }'
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }
