#!/usr/bin/env bash
# The goals of the in-process syscall buffer (syscallbuf/preload.c,
# replay/syscallbuf.c), side by side in one run: each workload natively,
# under `xrr record` (buffer on), under `xrr record --no-syscall-buffer`,
# and `xrr replay -a` of the buffered trace.  The four runs of a workload
# are interleaved (native, record, record without the buffer, replay of
# that recording; REPEAT times) and each column keeps its best time, so
# that a slow moment of the machine does not land on one column only.
#   sb_heavy     testsuite/bench/sb_heavy: 400,000 small calls through
#                glibc's wrappers (getppid, 64-byte pread, 16-byte write
#                to /dev/null, clock_gettime): record <= 2x native (aim),
#                <= 3x (hard limit: the script exits 1 if it is exceeded)
#   cp           cp of a 200 MiB file of random data to a new name on the
#                same filesystem (the copy is compared and removed after
#                each run, untimed): record <= 2x native (aim)
#   tar          tar cf - /usr/share/doc, stdout /dev/null (GNU tar then
#                skips reading the files' contents): record <= 2x (aim)
#   sqlite3      sqlite3 DB < script: a table and 10,000 INSERTs in one
#                transaction (BEGIN ... COMMIT, as for a bulk load), the
#                default rollback journal next to DB in the temporary
#                directory, then a SELECT of the count and a sum; DB is
#                removed before each run: record <= 2x native (aim)
#   compute      testsuite/progs/preempt_compute COMPUTE_ROUNDS (default
#                40000): record <= 1.05x native (aim)
#   hello        testsuite/progs/hello, start-up alone: no record goal;
#                it shows the fixed cost that short workloads carry
#   every row    replay of the buffered trace <= its record time (aim)
# and the trace cost of buffered calls: events+data stream bytes (as
# `xrr info` prints them) of the last buffered trace of each workload,
# divided by the buffered calls it counts.
# Prints Markdown tables and PASS or FAIL per goal.  A missed aim does not
# fail the script; its status is 1 if the hard limit is exceeded, or if a
# run fails (non-zero status, output differing between native, recorded
# and replayed runs, a wrong copy) or hangs (SB_BENCH_TIMEOUT seconds,
# default 120).  Numbers are best of REPEAT runs (default 3).
#
# Usage: syscallbuf-bench.sh [BUILDDIR]   (default: the current directory)
# shellcheck disable=SC2317  # hooks called through BEFORE and AFTER
set -u
B=${1:-.}
. "$(dirname "$0")/lib.sh"
LIMIT=${SB_BENCH_TIMEOUT:-120}
SB_ITERS=${SB_ITERS:-100000}
CP_MIB=${CP_MIB:-200}
SQL_ROWS=${SQL_ROWS:-10000}
COMPUTE_ROUNDS=${COMPUTE_ROUNDS:-40000}
TAR_DIR=${TAR_DIR:-/usr/share/doc}
SB_HEAVY="$B/testsuite/bench/sb_heavy"
status=0

for f in "$XRR" "$SB_HEAVY" "$P/preempt_compute" "$P/hello"; do
	[ -x "$f" ] || { echo "$(basename "$0"): $f is missing (make check builds it)" >&2; exit 1; }
done
for t in cp tar sqlite3; do
	command -v $t >/dev/null || { echo "$(basename "$0"): $t is not installed" >&2; exit 1; }
done

isnum() { case $1 in '' | *[!0-9.]*) return 1 ;; *) return 0 ;; esac; }
# within A B F: A <= F * B, both numbers.
within() { isnum "$1" && isnum "$2" && awk -v a="$1" -v b="$2" -v f="$3" 'BEGIN { exit !(a <= f * b) }'; }
rat() { if isnum "$1" && isnum "$2"; then echo "$(ratio "$1" "$2")x"; else echo "-"; fi; }
secs() { awk -v n="$1" 'BEGIN { printf "%.4f", n / 1e6 }'; }

# Per-workload settings, set by each workload before `measure`:
#   IN        the runs' stdin (default /dev/null)
#   OUT       where the runs' stdout goes: "file" to compare it between
#             the native, recorded and replayed runs, or a path (/dev/null)
#   BEFORE    a function run (untimed) before every run, with the mode
#   AFTER     a function run (untimed) after every run, with the mode;
#             a non-zero status marks the workload's runs as wrong
IN=/dev/null OUT=file BEFORE=: AFTER=:

# Timing: bash's EPOCHREALTIME in microseconds, read without starting a
# process (on this kind of VM starting `date` or `timeout` costs 5-7 ms,
# which would count in every native run).  It is the wall clock, not a
# monotonic one: a clock step during a run would show as an outlier.
mkfifo "$TMP/watchdog"

# once MODE CMD...: one run of CMD, its wall time in us in $D and its exit
# status in $ST ("hang" if it was killed after LIMIT s, by a watchdog
# started before the clock: bash's `read -t` on a FIFO nobody writes);
# stdout in $TMP/out.MODE when OUT=file.
once() {
	local mode=$1 t0 t1 out=$OUT pid wd
	shift
	[ "$out" = file ] && out="$TMP/out.$mode"
	$BEFORE "$mode" >/dev/null 2>&1 </dev/null
	rm -f "$TMP/pid" "$TMP/killed"
	(
		read -r -t "$LIMIT" <>"$TMP/watchdog"
		[ -f "$TMP/pid" ] && : >"$TMP/killed" && kill -KILL "$(cat "$TMP/pid")"
	) 2>/dev/null &
	wd=$!
	t0=${EPOCHREALTIME/[.,]/}
	"$@" <"$IN" >"$out" 2>"$TMP/err.$mode" &
	pid=$!
	echo "$pid" >"$TMP/pid"
	{ wait "$pid"; } 2>/dev/null
	ST=$?
	t1=${EPOCHREALTIME/[.,]/}
	{ kill "$wd" && wait "$wd"; } 2>/dev/null
	D=$((t1 - t0))
	[ -e "$TMP/killed" ] && ST=hang
	if ! $AFTER "$mode" >>"$TMP/err.$mode" 2>&1 </dev/null && [ "$ST" = 0 ]; then
		ST=wrong
	fi
}

# measure CMD...: REPEAT rounds of native, record, record without the
# buffer and replay of that round's buffered trace; sets NATIVE, REC,
# NOBUF, REP to the best times in seconds (or "failed (...)" / "hang"),
# and keeps the last buffered trace in $TMP/keep for `xrr info`.
measure() {
	local i m best_native=0 best_rec=0 best_nobuf=0 best_rep=0 v
	NATIVE='' REC='' NOBUF='' REP='' NOTE=''
	rm -rf "$TMP/keep"
	for i in $(seq "$REPEAT"); do
		for m in native rec nobuf rep; do
			# A mode that failed once is not run again.
			case $m in
			native) [ -n "$NATIVE" ] && continue ;;
			rec) [ -n "$REC" ] && continue ;;
			nobuf) [ -n "$NOBUF" ] && continue ;;
			rep) { [ -n "$REP" ] || [ ! -d "$TMP/tr.rec" ]; } && continue ;;
			esac
			case $m in
			native) once native "$@" ;;
			rec) rm -rf "$TMP/tr.rec"; once rec "$XRR" record -o "$TMP/tr.rec" -- "$@" ;;
			nobuf) rm -rf "$TMP/tr.nobuf"
				once nobuf "$XRR" record --no-syscall-buffer -o "$TMP/tr.nobuf" -- "$@"
				rm -rf "$TMP/tr.nobuf" ;;
			rep) once rep "$XRR" replay -a "$TMP/tr.rec" ;;
			esac
			if [ "$ST" = 0 ]; then
				eval "v=\$best_$m"
				if [ "$v" -eq 0 ] || [ "$D" -lt "$v" ]; then eval "best_$m=$D"; fi
			else
				case $ST in
				hang) v="hang (>${LIMIT} s)" ;;
				wrong) v="wrong result" ;;
				*) v="failed (status $ST)" ;;
				esac
				NOTE="$NOTE $m: $v: $(grep -v -e '^xrr: saving trace' -e 'rdtsc does not trap' "$TMP/err.$m" | tail -n 3 | tr '\n' ' ')"
				case $m in
				native) NATIVE=$v ;; rec) REC=$v; rm -rf "$TMP/tr.rec" ;;
				nobuf) NOBUF=$v ;; rep) REP=$v ;;
				esac
			fi
		done
		# Native, recorded and replayed runs print the same output.
		if [ "$OUT" = file ] && [ -z "$NATIVE$REC$REP" ]; then
			for m in rec rep; do
				if ! cmp -s "$TMP/out.native" "$TMP/out.$m"; then
					NOTE="$NOTE $m: output differs from the native run's:"
					NOTE="$NOTE $(head -c 200 "$TMP/out.$m" | tr '\n' ' ')"
					if [ $m = rec ]; then REC="wrong output"; else REP="wrong output"; fi
				fi
			done
		fi
		if [ "$i" -eq "$REPEAT" ] && [ -d "$TMP/tr.rec" ]; then
			mv "$TMP/tr.rec" "$TMP/keep"
		fi
		rm -rf "$TMP/tr.rec"
	done
	[ -z "$NATIVE" ] && NATIVE=$(secs $best_native)
	[ -z "$REC" ] && REC=$(secs $best_rec)
	[ -z "$NOBUF" ] && NOBUF=$(secs $best_nobuf)
	[ -z "$REP" ] && { if [ $best_rep -gt 0 ]; then REP=$(secs $best_rep); else REP=-; fi; }
	isnum "$NATIVE" && isnum "$REC" && isnum "$NOBUF" && isnum "$REP" || status=1
}

# row NAME GOAL: print the timing row of the last `measure`, with PASS or
# FAIL for the record goal (RECORD_OK) and the replay goal (replay of the
# buffered trace <= its record time).
RESULTS=
row() {
	local name=$1 goal=$2 rv=FAIL pv=FAIL
	[ "$RECORD_OK" = 1 ] && rv=PASS
	[ "$RECORD_OK" = - ] && rv=-
	isnum "$REP" && within "$REP" "$REC" 1 && pv=PASS
	echo "| $name | $NATIVE | $REC | $NOBUF | $REP | $(rat "$REC" "$NATIVE") | $(rat "$NOBUF" "$NATIVE") | $(rat "$REP" "$REC") | $goal: $rv | replay <= record: $pv |"
	[ -n "$NOTE" ] && NOTES="$NOTES
- $name:$NOTE"
	# The trace cost of the buffered recording.
	local info ev data bufd batches evs
	info=$("$XRR" info "$TMP/keep" 2>/dev/null)
	ev=$(printf '%s\n' "$info" | sed -n 's/^streams:.* events \([0-9]*\) B.*/\1/p')
	data=$(printf '%s\n' "$info" | sed -n 's/^streams:.* data \([0-9]*\) B.*/\1/p')
	evs=$(printf '%s\n' "$info" | sed -n 's/^events: *\([0-9]*\) (\([0-9]*\) syscalls.*/\1 events, \2 traced syscalls/p')
	bufd=$(printf '%s\n' "$info" | sed -n 's/^buffered: *\([0-9]*\) syscalls.*/\1/p')
	batches=$(printf '%s\n' "$info" | sed -n 's/^buffered: *[0-9]* syscalls in \([0-9]*\) batches.*/\1/p')
	if isnum "${ev:-}" && isnum "${data:-}"; then
		local per=-
		isnum "${bufd:-}" && [ "$bufd" -gt 0 ] && per=$(awk -v a=$((ev + data)) -v b="$bufd" 'BEGIN { printf "%.2f", a / b }')
		RESULTS="$RESULTS
| $name | ${evs:--} | ${bufd:-0} | ${batches:-0} | $ev | $data | $per |"
	fi
	rm -rf "$TMP/keep"
}
NOTES=

echo "| workload | native (s) | record (s) | record, no buffer (s) | replay of record (s) | record/native | no buffer/native | replay/record | record goal | replay goal |"
echo "|---|---|---|---|---|---|---|---|---|---|"

# 1. sb_heavy: its own 4 KiB file in $TMP.
measure "$SB_HEAVY" "$SB_ITERS"
RECORD_OK=0
within "$REC" "$NATIVE" 2 && RECORD_OK=1
hard=FAIL
within "$REC" "$NATIVE" 3 && hard=PASS
[ $hard = PASS ] || status=1
row "sb_heavy $SB_ITERS ($((4 * SB_ITERS)) calls)" "record <= 2x native"
SB_HARD="sb_heavy hard limit, record <= 3x native: $hard ($(rat "$REC" "$NATIVE"))"

# 2. cp of a file of random data, to a new name each run.
head -c "$((CP_MIB * 1024 * 1024))" /dev/urandom >"$TMP/cp.src"
cp_before() { rm -f "$TMP/cp.dst"; sync; }
cp_after() {
	[ -e "$TMP/cp.dst" ] || [ "$1" = rep ] || { echo "no copy"; return 1; }
	[ -e "$TMP/cp.dst" ] || return 0
	cmp -s "$TMP/cp.src" "$TMP/cp.dst" || { echo "the copy differs"; rm -f "$TMP/cp.dst"; return 1; }
	rm -f "$TMP/cp.dst"
}
# Replay must not make the copy: removed before it, checked after it.
OUT=/dev/null BEFORE=cp_before AFTER=cp_after measure cp "$TMP/cp.src" "$TMP/cp.dst"
rm -f "$TMP/cp.src" "$TMP/cp.dst"
RECORD_OK=0
within "$REC" "$NATIVE" 2 && RECORD_OK=1
row "cp of a $CP_MIB MiB file" "record <= 2x native"

# 3. tar to /dev/null.
OUT=/dev/null measure tar cf - "$TAR_DIR"
RECORD_OK=0
within "$REC" "$NATIVE" 2 && RECORD_OK=1
row "tar cf - $TAR_DIR > /dev/null" "record <= 2x native"

# 4. sqlite3: SQL_ROWS INSERTs in one transaction.
{
	echo "CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT, value REAL);"
	echo "BEGIN;"
	awk -v n="$SQL_ROWS" 'BEGIN { for (i = 1; i <= n; i++) printf "INSERT INTO t(name, value) VALUES (%cname %d%c, %d.5);\n", 39, i, 39, i }'
	echo "COMMIT;"
	echo "SELECT count(*), sum(value) FROM t;"
} >"$TMP/insert.sql"
sql_before() { rm -f "$TMP/bench.db" "$TMP/bench.db-journal"; }
IN="$TMP/insert.sql" BEFORE=sql_before measure sqlite3 "$TMP/bench.db"
sql_before
RECORD_OK=0
within "$REC" "$NATIVE" 2 && RECORD_OK=1
row "sqlite3: $SQL_ROWS INSERTs in one transaction" "record <= 2x native"

# 5. compute-bound.
measure "$P/preempt_compute" "$COMPUTE_ROUNDS"
RECORD_OK=0
within "$REC" "$NATIVE" 1.05 && RECORD_OK=1
row "compute-bound: preempt_compute $COMPUTE_ROUNDS" "record <= 1.05x native"

# 6. start-up alone.
measure "$P/hello"
RECORD_OK=-
row "start-up only: hello" "no record goal"

echo
echo "$SB_HARD"
echo
echo "Buffered traces (the last buffered recording of each workload; stream bytes as \`xrr info\` prints them):"
echo
echo "| workload | events | buffered calls | batches | events stream (B) | data stream (B) | events+data bytes per buffered call |"
echo "|---|---|---|---|---|---|---|"
echo "${RESULTS#?}"
if [ -n "$NOTES" ]; then
	echo
	echo "Failures:$NOTES"
fi
exit $status
