#!/usr/bin/env bash
# The goals of issue 11 (reverse execution and checkpoints without a
# PMU), measured side by side in one GDB session per tool on
# testsuite/bench/rev_bench (ROUNDS rounds, an event each):
#   bc to the previous hit of a breakpoint in a loop: <= 2x the forward
#       time between the two hits + 50 ms
#   bc to a watchpoint trigger ROUNDS/2 events back: <= 3x the forward
#       replay of that span
#   reverse-stepi, reverse-step, reverse-next: median <= 0.3 s
#   checkpoints: resident cost as `monitor checkpoints` reports it
# and GDB's own `record full` on the same program where it can run (the
# rounds between two hits of the breakpoint; it is run natively).
# Prints a Markdown table.  Usage: reverse-bench.sh [BUILDDIR]
set -u
B=${1:-.}
. "$(dirname "$0")/lib.sh"
ROUNDS=${ROUNDS:-20000}
PROG="$B/testsuite/bench/rev_bench"
GDB=${GDB:-gdb}

"$XRR" record -o "$TMP/tr" "$PROG" "$ROUNDS" >/dev/null 2>"$TMP/rec.err" ||
	{ echo "recording failed"; cat "$TMP/rec.err"; exit 1; }

# T NAME: print the seconds since the last T0.
cat >"$TMP/xrr.gdb" <<GDB
python import time
python T=lambda n: print("TIME %s %.4f" % (n, time.time() - t0))
target extended-remote | $XRR replay -q --stdio $TMP/tr
break mark
continue
python t0 = time.time()
continue
python T("fwd_hit")
delete
python t0 = time.time()
continue
python T("fwd_to_end")
break mark
reverse-continue
python t0 = time.time()
reverse-continue
python T("bc_hit")
python t0 = time.time()
reverse-stepi
python T("rsi1")
python t0 = time.time()
reverse-stepi
python T("rsi2")
python t0 = time.time()
reverse-stepi
python T("rsi3")
continue
delete
next
next
python t0 = time.time()
reverse-next
python T("rnext")
python t0 = time.time()
reverse-step
python T("rstep")
python t0 = time.time()
reverse-finish
python T("rfinish")
delete
python t0 = time.time()
continue
python T("fwd_to_end2")
watch flag_page.v
python t0 = time.time()
reverse-continue
python T("bc_watch")
print flag_page.v
delete
python t0 = time.time()
continue
python T("fwd_watch_span")
monitor checkpoints
GDB
timeout 900 "$GDB" -nx -batch -q -iex 'set pagination off' -iex 'set confirm off' \
	-x "$TMP/xrr.gdb" "$PROG" >"$TMP/xrr.out" 2>&1 </dev/null
t() { sed -n "s/^TIME $1 //p" "$TMP/xrr.out" | head -1; }

# GDB record full: natively, the same hundred rounds between two hits.
cat >"$TMP/full.gdb" <<GDB
python import time
python T=lambda n: print("TIME %s %.4f" % (n, time.time() - t0))
break main
run $ROUNDS
record full
set record full insn-number-max unlimited
break mark
continue
python t0 = time.time()
continue
python T("full_fwd_hit")
python t0 = time.time()
reverse-continue
python T("full_bc_hit")
python t0 = time.time()
reverse-stepi
python T("full_rsi")
GDB
timeout 900 "$GDB" -nx -batch -q -iex 'set pagination off' -iex 'set confirm off' \
	-x "$TMP/full.gdb" "$PROG" >"$TMP/full.out" 2>&1 </dev/null
tf() { sed -n "s/^TIME $1 //p" "$TMP/full.out" | head -1; }

# And on AVX-512 code (testsuite/progs/avx512): GDB's recorder stops.
avx_full=$(timeout 60 "$GDB" -nx -batch -q -ex 'break main' -ex run \
	-ex 'record full' -ex continue "$B/testsuite/progs/avx512" 2>&1 |
	grep -m1 'does not support instruction' || echo "ran")

verdict() { awk -v a="$1" -v b="$2" 'BEGIN { print (a != "" && a <= b) ? "PASS" : "MISS" }'; }
fwd_hit=$(t fwd_hit); bc_hit=$(t bc_hit)
span=$(t fwd_watch_span); bc_watch=$(t bc_watch)
goal_hit=$(awk -v f="$fwd_hit" 'BEGIN { printf "%.4f", 2 * f + 0.05 }')
goal_watch=$(awk -v f="$span" 'BEGIN { printf "%.4f", 3 * f }')
median=$(printf '%s\n' "$(t rsi1)" "$(t rsi2)" "$(t rsi3)" "$(t rnext)" "$(t rstep)" | sort -g | sed -n 3p)
echo "| what | xrr (s) | goal (s) | verdict | GDB record full (s) |"
echo "|---|---|---|---|---|"
echo "| forward continue between two hits ($((100)) rounds) | $fwd_hit | | | $(tf full_fwd_hit) |"
echo "| reverse-continue to the previous hit | $bc_hit | $goal_hit | $(verdict "$bc_hit" "$goal_hit") | $(tf full_bc_hit) |"
echo "| forward replay of the watch span ($((ROUNDS / 2)) events) | $span | | | |"
echo "| reverse-continue to the watch trigger | $bc_watch | $goal_watch | $(verdict "$bc_watch" "$goal_watch") | |"
echo "| reverse-stepi (3 in a row) | $(t rsi1), $(t rsi2), $(t rsi3) | | | $(tf full_rsi) |"
echo "| reverse-next, reverse-step (one line each) | $(t rnext), $(t rstep) | | | |"
echo "| median of these five | $median | 0.3 | $(verdict "$median" 0.3) | |"
echo "| reverse-finish | $(t rfinish) | | | |"
echo "| forward to the end (first time, then after reverse) | $(t fwd_to_end), $(t fwd_to_end2) | | | |"
echo
echo "GDB record full on testsuite/progs/avx512: $avx_full"
echo
echo "monitor checkpoints at the end:"
sed -n '/^[0-9]*:\|^No checkpoints\|^Automatic checkpoints/p' "$TMP/xrr.out" | sed 's/^/    /'
grep -q 'print flag_page' "$TMP/xrr.gdb" && grep -E '^\$[0-9]+ = ' "$TMP/xrr.out" | head -1 | sed 's/^/    watch stop: flag /'
