#!/usr/bin/env bash
# xrr serve against Debian's gdbserver, side by side in one run, on the
# same program: GDB `dump binary memory` of 64 MiB, and 1,000 `stepi`.
# Prints a Markdown section for docs/benchmarks.md.
set -u
: "${top_builddir:?}" "${GDB:=gdb}" "${GDBSERVER:=gdbserver}"
XRR="$top_builddir/xrr"
PROG="$top_builddir/testsuite/bench/bigmem"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
REPEAT=${REPEAT:-3}

free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Start a server on loopback TCP (GDB reads pipes a byte at a time, which
# would hide both servers behind GDB's own cost).
start_server() {   # start_server xrr|gdbserver -> sets server_pid, port
	port=$(free_port)
	# The server's own CPU time (user+sys) is less noisy than wall time
	# on a loaded 2-core machine.
	local TIMEFORMAT='%U %S'
	if [ "$1" = xrr ]; then
		{ time "$XRR" serve --once --port "$port" -- "$PROG" >/dev/null 2>&1; } 2>"$tmp/cpu" &
	else
		{ time "$GDBSERVER" --once "127.0.0.1:$port" "$PROG" >/dev/null 2>&1; } 2>"$tmp/cpu" &
	fi
	server_pid=$!
	for _ in $(seq 50); do
		# Look without connecting: --once servers take one connection.
		grep -q ":$(printf '%04X' "$port") 00000000:0000 0A" /proc/net/tcp && break
		sleep 0.1
	done
}

session() {   # session xrr|gdbserver KIND -> seconds for the measured part
	local kind=$2
	local measured
	if [ "$kind" = dump ]; then
		measured='dump binary memory '"$tmp"'/dump.bin bench_buffer bench_buffer+67108864'
	else
		measured='stepi 1000'
	fi
	start_server "$1"
	cat >"$tmp/s.gdb" <<GDB
set confirm off
set pagination off
target remote 127.0.0.1:$port
break bench_checkpoint
continue
finish
python import time; t0 = time.monotonic()
$measured
python print("MEASURED %.6f" % (time.monotonic() - t0))
kill
GDB
	"$GDB" -nx -batch -q -iex 'set debuginfod enabled off' -iex 'set sysroot /' \
		-x "$tmp/s.gdb" "$PROG" 2>&1 </dev/null | sed -n 's/^MEASURED //p'
	wait "$server_pid" 2>/dev/null
	awk '{ printf "CPU %.3f\n", $1 + $2 }' "$tmp/cpu" >&2
}

# Interleave the two servers REPEAT times; keep each one's best wall time
# and best server CPU time.
measure() {   # measure KIND -> "xrr_wall xrr_cpu gs_wall gs_cpu"
	local kind=$1 w c srv
	declare -A wall cpu
	for _ in $(seq "$REPEAT"); do
		for srv in xrr gdbserver; do
			w=$(session "$srv" "$kind" 2>"$tmp/cpu.out")
			c=$(sed -n 's/^CPU //p' "$tmp/cpu.out")
			[ -z "$w" ] && w=FAILED
			if [ -z "${wall[$srv]:-}" ] || awk -v a="$w" -v b="${wall[$srv]}" 'BEGIN { exit !(a < b) }'; then wall[$srv]=$w; fi
			if [ -z "${cpu[$srv]:-}" ] || awk -v a="$c" -v b="${cpu[$srv]}" 'BEGIN { exit !(a < b) }'; then cpu[$srv]=$c; fi
		done
	done
	echo "${wall[xrr]} ${cpu[xrr]} ${wall[gdbserver]} ${cpu[gdbserver]}"
}

read -r xrr_dump xrr_dump_cpu gs_dump gs_dump_cpu < <(measure dump)
read -r xrr_step xrr_step_cpu gs_step gs_step_cpu < <(measure step)

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }

cat <<MD
## Live debugging: xrr serve vs gdbserver

Measured $(date -u +%Y-%m-%d) on $(nproc) cores, $(uname -r), both servers in the
same run through GDB $($GDB --version | head -1 | awk '{print $NF}') over loopback TCP, best of $REPEAT
runs each.  (Over a pipe, \`target remote | ...\`, GDB reads a byte at a time
and both servers take about 1 s per MiB: GDB is then the bottleneck.)
Program: testsuite/bench/bigmem.c.

Wall time is GDB's view of the operation; server CPU is user+sys of the
server process over the whole session (start, breakpoint, operation, kill).

| operation | xrr serve wall | gdbserver wall | ratio | xrr CPU | gdbserver CPU | ratio | goal |
|---|---|---|---|---|---|---|---|
| \`dump binary memory\` of 64 MiB | ${xrr_dump} s | ${gs_dump} s | $(ratio "$xrr_dump" "$gs_dump") | ${xrr_dump_cpu} s | ${gs_dump_cpu} s | $(ratio "$xrr_dump_cpu" "$gs_dump_cpu") | <= 1.0 |
| 1,000 \`stepi\` | ${xrr_step} s | ${gs_step} s | $(ratio "$xrr_step" "$gs_step") | ${xrr_step_cpu} s | ${gs_step_cpu} s | $(ratio "$xrr_step_cpu" "$gs_step_cpu") | <= 1.5 |
MD
