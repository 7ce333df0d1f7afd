#!/usr/bin/env bash
# Process trees, side by side in one run: native vs `xrr record` vs
# `xrr replay -a` on a shell loop starting LOOP_N processes and on a
# `make -j2` build of a small generated C project (make clean, untimed,
# before every run), then the size of each trace per recorded process.
# A kept recording of each workload is replayed once first: the replay
# must exit 0 and print what the recording printed (stdout, and stderr
# without xrr's own "xrr:" lines), else the benchmark fails.  Prints
# Markdown tables; times are best of REPEAT runs.
#
# Usage: tree-bench.sh [BUILDDIR]   (default: the current directory)
set -u
B=${1:-.}
. "$(dirname "$0")/lib.sh"
LOOP_N=${LOOP_N:-200}
NFILES=${NFILES:-8}
PROJ="$TMP/proj"

# A header, NFILES small .c files and main.c, linked into one program.
gen_proj() {
	local i calls=0
	mkdir -p "$PROJ"
	: >"$PROJ/proj.h"
	for i in $(seq "$NFILES"); do
		echo "int f$i(int x);" >>"$PROJ/proj.h"
		cat >"$PROJ/m$i.c" <<EOF
#include "proj.h"
int f$i(int x)
{
	int s = 0;
	for (int k = 0; k < x; k++)
		s += k * $i + (x ^ k);
	return s;
}
EOF
		calls="$calls + f$i(100)"
	done
	cat >"$PROJ/main.c" <<EOF
#include <stdio.h>
#include "proj.h"
int main(void)
{
	printf("%d\n", $calls);
	return 0;
}
EOF
	{
		printf 'OBJS = main.o'
		for i in $(seq "$NFILES"); do printf ' m%d.o' "$i"; done
		printf '\nprog: $(OBJS)\n\tcc -O1 -o $@ $(OBJS)\n'
		printf '%%.o: %%.c proj.h\n\tcc -O1 -c -o $@ $<\n'
		printf 'clean:\n\trm -f prog $(OBJS)\n'
	} >"$PROJ/Makefile"
}
clean_proj() { make -C "$PROJ" clean; }
no_clean() { :; }

events_of() { "$XRR" info "$1" | sed -n 's/^events: *\([0-9]*\).*/\1/p'; }
procs_of() { "$XRR" ps "$1" | tail -n +2 | wc -l; }
bytes_of() { du --apparent-size -bs "$1" | cut -f1; }
per() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.0f", a / b; else print "n/a" }'; }

TIMES=()
SIZES=()
# row NAME BEFORE CMD...: check a kept recording's replay, time native,
# record and replay, measure the kept trace.
row() {
	local name=$1 before=$2
	shift 2
	local native rec rep st np ev total files
	$before >/dev/null 2>&1
	"$XRR" record -o "$TMP/keep" -- "$@" >"$TMP/rec.out" 2>"$TMP/rec.err" </dev/null
	st=$?
	if [ $st -ne 0 ]; then
		echo "$(basename "$0"): recording '$*' exited $st" >&2
		cat "$TMP/rec.err" >&2
		exit 1
	fi
	$before >/dev/null 2>&1
	"$XRR" replay -a "$TMP/keep" >"$TMP/rep.out" 2>"$TMP/rep.err" </dev/null
	st=$?
	if [ $st -ne 0 ]; then
		echo "$(basename "$0"): 'xrr replay -a' of '$*' exited $st" >&2
		cat "$TMP/rep.err" >&2
		exit 1
	fi
	if ! cmp -s "$TMP/rec.out" "$TMP/rep.out" ||
	   ! cmp -s <(grep -v '^xrr:' "$TMP/rec.err") <(grep -v '^xrr:' "$TMP/rep.err"); then
		echo "$(basename "$0"): replay of '$*' printed otherwise than the recording:" >&2
		diff "$TMP/rec.out" "$TMP/rep.out" >&2
		diff <(grep -v '^xrr:' "$TMP/rec.err") <(grep -v '^xrr:' "$TMP/rep.err") >&2
		exit 1
	fi
	native=$(BEFORE=$before EXPECT_STATUS=0 best "$@") || exit 1
	rec=$(BEFORE=$before EXPECT_STATUS=0 best "$XRR" record -o "$TMP/tr" -- "$@") || exit 1
	rep=$(BEFORE=$before EXPECT_STATUS=0 best "$XRR" replay -a "$TMP/keep") || exit 1
	TIMES+=("| $name | $native | $rec | $rep | $(ratio "$rec" "$native")x | $(ratio "$rep" "$native")x | $(ratio "$rep" "$rec")x |")

	np=$(procs_of "$TMP/keep")
	ev=$(events_of "$TMP/keep")
	total=$(bytes_of "$TMP/keep")
	files=$(bytes_of "$TMP/keep/files")
	SIZES+=("| $name | $np | $ev | $(per "$ev" "$np") | $total | $(per "$total" "$np") | $files | $(per "$files" "$np") | $((total - files)) | $(per "$((total - files))" "$np") |")
	rm -rf "$TMP/keep"
}

gen_proj
row "sh loop: $LOOP_N x /bin/true" no_clean sh -c "for i in \$(seq $LOOP_N); do /bin/true; done"
row "make -j2: $NFILES+1 .c files, cc -O1, one link" clean_proj make -C "$PROJ" -j2

echo "| workload | native (s) | recorded (s) | replayed (s) | record/native | replay/native | replay/record |"
echo "|---|---|---|---|---|---|---|"
printf '%s\n' "${TIMES[@]}"
echo
echo "| trace | processes | events | events/process | trace bytes | bytes/process | files/ bytes | files/ per process | streams+header bytes | streams+header per process |"
echo "|---|---|---|---|---|---|---|---|---|---|"
printf '%s\n' "${SIZES[@]}"
