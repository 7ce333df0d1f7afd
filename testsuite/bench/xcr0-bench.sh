#!/usr/bin/env bash
# XCR0 virtualisation cost: decoding and patching at startup, and per
# trapped instruction, for ls, python3 and sqlite3 recorded with and
# without --xcr0 0x7 (XRR_INSN_VIRT_STATS=1 makes the recorder report
# its own counters).  Usage: xcr0-bench.sh [XRR] [RUNS]
set -u
XRR=${1:-${top_builddir:-.}/xrr}
RUNS=${2:-5}
T=$(mktemp -d "${TMPDIR:-/tmp}/xcr0-bench.XXXXXX")
trap 'rm -rf "$T"' EXIT

ms() { date +%s%N; }

# bench NAME CMD...: median wall ms without/with --xcr0 0x7, then stats.
bench() {
	local name=$1 i t0 plain=() masked=() stats
	shift
	for i in $(seq "$RUNS"); do
		rm -rf "$T/p" "$T/m"
		t0=$(ms); "$XRR" record -o "$T/p" -- "$@" >/dev/null 2>&1 </dev/null
		plain+=($(( ($(ms) - t0) / 1000 )))
		t0=$(ms); XRR_INSN_VIRT_STATS=1 "$XRR" record -o "$T/m" --xcr0 0x7 -- "$@" \
			>/dev/null 2>"$T/stats" </dev/null
		masked+=($(( ($(ms) - t0) / 1000 )))
	done
	stats=$(grep 'insn-virt:' "$T/stats" | sed 's/.*insn-virt: //')
	median() { printf '%s\n' "$@" | sort -n | sed -n "$(( ($# + 1) / 2 ))p"; }
	printf '%-8s plain_us %s masked_us %s | %s\n' "$name" \
		"$(median "${plain[@]}")" "$(median "${masked[@]}")" "$stats"
}

bench ls ls -l /usr/bin
bench python3 python3 -c 'import json, sqlite3; print(json.dumps([1]))'
bench sqlite3 sqlite3 :memory: 'create table t(x); insert into t values(1); select * from t;'
