#!/usr/bin/env bash
# Conformance: every conf_* program of the build tree (process and signal
# patterns conf_proc_* / conf_sig_*, syscall families conf_sys_*) and a
# few real process trees (a shell pipeline, make -j2 compiling and
# running a program, python3's subprocess) are run three ways:
#
#   native:  PROG                          (stdout and exit status)
#   record:  xrr record -o DIR -- PROG     (must print and exit as native)
#   replay:  xrr replay -a DIR             (must print and exit as native)
#
# Two TAP lines per case: record, replay.  A conf_* program must pass on
# its own first: its native run ends with "PASS <name>" (or
# "<prog>: all checks passed") and status 0, or with "DIE <name> by
# signal N" and status 128+N; otherwise both lines fail and say that the
# program itself is broken.
#
# stdout is a pipe read by cat in every run, so that output written by
# processes that outlive the first one (orphans, daemons) is waited for.
# Cases run in parallel ($XRR_CONF_JOBS, default 2), each into its own
# directory; the TAP lines are printed afterwards in a fixed order.
# XRR_CONF_ONLY=REGEX restricts the cases (by name) when debugging.
. "${top_srcdir:-$(dirname "$0")/../..}/testsuite/lib.sh"

T="$TEST_TMP"
export XRR_TRACE_DIR="$T/traces"
JOBS=${XRR_CONF_JOBS:-2}
NATIVE_TIMEOUT=60
XRR_TIMEOUT=240
ulimit -c 0 2>/dev/null
# make check's own make must not leak into the make case (sub-make mode
# prints directories, a jobserver is not ours).
unset MAKEFLAGS MFLAGS MAKELEVEL MAKEOVERRIDES

[ -x "$XRR" ] || skip_all "no xrr binary at $XRR"

# ---- the cases -------------------------------------------------------------------
# NAME[i], KIND[i] (prog | sh | make | python), ARG[i] (the program),
# EXPECT[i] (for non-conf cases: the last line of a correct native run).
NAME=()
KIND=()
ARG=()
EXPECT=()
add_case() {
	NAME+=("$1")
	KIND+=("$2")
	ARG+=("$3")
	EXPECT+=("$4")
}

for f in "$PROGS"/conf_*; do
	[ -f "$f" ] && [ -x "$f" ] || continue
	case $f in
	*.o | *.c | *.h | *.inc | *.sh) continue ;;
	esac
	add_case "$(basename "$f")" prog "$f" ""
done
nprogs=${#NAME[@]}
add_case "sh pipeline (seq | sort -r | head -3)" sh "" "997"
add_case "make -j2 (two C files compiled, linked, run)" make "" "sum is 42"
add_case "python3 subprocess.run(echo)" python "" "hi"

if [ -n "${XRR_CONF_ONLY:-}" ]; then
	keep=()
	for i in "${!NAME[@]}"; do
		[[ ${NAME[$i]} =~ $XRR_CONF_ONLY ]] && keep+=("$i")
	done
else
	keep=("${!NAME[@]}")
fi

plan $((2 * ${#keep[@]}))
[ "$nprogs" -gt 0 ] || diag "no conf_* program found under $PROGS (make check builds them)"

# A small project for the make case: two objects, a link, a run.
write_make_project() {
	cat >a.c <<'EOF'
#include <stdio.h>
int b_value(void);
int main(void)
{
	printf("sum is %d\n", 40 + b_value());
	return 0;
}
EOF
	cat >b.c <<'EOF'
int b_value(void) { return 2; }
EOF
	printf '%s\n' \
		'all: prog' \
		'	./prog' \
		'prog: a.o b.o' \
		'	cc -o prog a.o b.o' \
		'a.o: a.c' \
		'	cc -c a.c' \
		'b.o: b.c' \
		'	cc -c b.c' >Makefile
}

# case_command I: prepare the current directory for case I and set the
# array `cmd` to its command line.
case_command() {
	case ${KIND[$1]} in
	prog) cmd=("${ARG[$1]}") ;;
	sh) cmd=(sh -c 'seq 1000 | sort -r | head -3') ;;
	make)
		write_make_project
		cmd=(make -j2 --no-print-directory)
		;;
	python)
		cmd=("$PYTHON" -c 'import subprocess; print(subprocess.run(["echo","hi"],capture_output=True).stdout.decode().strip())')
		;;
	esac
}

# capture DIR TIMEOUT CMD...: run CMD (stdin /dev/null) with stdout into
# a pipe read by cat into DIR/out, stderr into DIR/err, status in
# DIR/status.  The cat outlives CMD until every writer is gone.
capture() {
	local d=$1 to=$2
	shift 2
	{
		timeout -k 5 "$to" "$@" </dev/null 2>"$d/err"
		echo $? >"$d/status"
	} 2>"$d/shell.err" | timeout -k 5 $((to + 30)) cat >"$d/out"
}

run_case() {
	local i=$1 d="$T/case$1" cmd
	mkdir -p "$d/native" "$d/record" "$d/replay"
	(cd "$d/native" && case_command "$i" && capture "$d/native" "$NATIVE_TIMEOUT" "${cmd[@]}")
	(cd "$d/record" && case_command "$i" &&
		capture "$d/record" "$XRR_TIMEOUT" "$XRR" record -o "$d/trace" -- "${cmd[@]}")
	if [ -d "$d/trace" ]; then
		(cd "$d/replay" && capture "$d/replay" "$XRR_TIMEOUT" "$XRR" replay -a "$d/trace")
	fi
}

# The interpreter itself, not a wrapper script (pyenv shims) in front of it.
python_ok=
PYTHON=$(python3 -c 'import subprocess, sys; print(sys.executable)' 2>/dev/null </dev/null) &&
	[ -x "$PYTHON" ] && python_ok=1

running=0
for i in "${keep[@]}"; do
	if [ "${KIND[$i]}" = python ] && [ -z "$python_ok" ]; then
		continue
	fi
	run_case "$i" &
	running=$((running + 1))
	if [ "$running" -ge "$JOBS" ]; then
		wait -n
		running=$((running - 1))
	fi
done
wait

# ---- verdicts ----------------------------------------------------------------------
status_of() { cat "$1/status" 2>/dev/null || echo "none"; }

# native_verdict I: sets native_ok (1/empty) and native_why.
native_verdict() {
	local i=$1 d="$T/case$1/native" st last n
	st=$(status_of "$d")
	last=$(tail -n 1 "$d/out" 2>/dev/null)
	native_ok=
	native_why=
	if [ "${KIND[$i]}" != prog ]; then
		if [ "$st" = 0 ] && [ "$last" = "${EXPECT[$i]}" ]; then
			native_ok=1
		else
			native_why="native run: status $st, last line '$last' (expected status 0, '${EXPECT[$i]}')"
		fi
		return
	fi
	case $last in
	"PASS "* | *": all checks passed")
		if [ "$st" = 0 ]; then native_ok=1; else native_why="PASS line but status $st"; fi
		;;
	"DIE "*" by signal "*)
		n=${last##* }
		if [ "$st" = $((128 + n)) ]; then
			native_ok=1
		else
			native_why="expected death by signal $n (status $((128 + n))), got status $st"
		fi
		;;
	*)
		if [ "$st" = 124 ] || [ "$st" = 137 ]; then
			native_why="native run timed out or was killed (status $st)"
		else
			native_why="native run did not end with its PASS line (status $st, last line '$last')"
		fi
		;;
	esac
}

show_tail() { # FILE LABEL
	if [ -s "$1" ]; then
		diag "$2 (last lines):"
		tail -n 6 "$1" | sed 's/^/#     /'
	fi
}

show_diff() { # EXPECTED GOT
	diag "output diff (native vs this run):"
	diff "$1" "$2" | head -n 8 | sed 's/^/#     /'
}

native_broken=()
for i in "${keep[@]}"; do
	name=${NAME[$i]}
	d="$T/case$i"
	if [ "${KIND[$i]}" = python ] && [ -z "$python_ok" ]; then
		skip "$name: record (no python3 with subprocess)"
		skip "$name: replay (no python3 with subprocess)"
		continue
	fi
	native_verdict "$i"
	nst=$(status_of "$d/native")
	rst=$(status_of "$d/record")
	pst=$(status_of "$d/replay")
	if [ -z "$native_ok" ]; then
		native_broken+=("$name")
		fail "$name: record: PROGRAM FAILS NATIVELY: $native_why"
		show_tail "$d/native/out" "native stdout"
		show_tail "$d/native/err" "native stderr"
		fail "$name: replay: not judged, the program fails natively"
		continue
	fi

	# record
	rec_ok=
	if ! grep -q '^xrr: saving trace to' "$d/record/err" 2>/dev/null ||
		grep -q '^xrr: record' "$d/record/err" 2>/dev/null; then
		fail "$name: record: the recording failed (status $rst)"
		show_tail "$d/record/err" "xrr record stderr"
	elif [ "$rst" = "$nst" ] && cmp -s "$d/native/out" "$d/record/out"; then
		ok "$name: record: output and status ($rst) as native"
		rec_ok=1
	else
		fail "$name: record: status $rst (native $nst)$(cmp -s "$d/native/out" "$d/record/out" || echo ', output differs')"
		show_diff "$d/native/out" "$d/record/out"
		show_tail "$d/record/err" "xrr record stderr"
	fi

	# replay
	if [ ! -d "$d/trace" ]; then
		fail "$name: replay: no trace to replay"
	elif [ "$pst" = "$nst" ] && cmp -s "$d/native/out" "$d/replay/out"; then
		ok "$name: replay: output and status ($pst) as native"
	else
		why="status $pst (native $nst)"
		cmp -s "$d/native/out" "$d/replay/out" || why="$why, output differs"
		if [ -z "$rec_ok" ] && [ "$pst" = "$rst" ] && cmp -s "$d/record/out" "$d/replay/out"; then
			why="$why; same as the recording"
		fi
		fail "$name: replay: $why"
		show_diff "$d/native/out" "$d/replay/out"
		show_tail "$d/replay/err" "xrr replay stderr"
	fi
done

if [ ${#native_broken[@]} -gt 0 ]; then
	diag "programs that fail natively (bugs of the programs, not of xrr): ${native_broken[*]}"
fi
finish
