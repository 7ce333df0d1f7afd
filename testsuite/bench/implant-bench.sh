#!/usr/bin/env bash
# Implants and diversions, side by side in one run:
#  - XXH3-64 of 256 MiB of a stopped tracee by the checksum implant, per
#    path (scalar, SSE2, AVX2, AVX-512), against the way without implants:
#    GDB `dump binary memory` of the same 256 MiB through `xrr serve` over
#    loopback TCP, then `xxhsum -H3` on the host;
#  - diversion (fork copy) creation with 1 GiB resident.
# Prints a Markdown section for docs/benchmarks.md.
set -u
: "${top_builddir:?}" "${GDB:=gdb}"
XRR="$top_builddir/xrr"
PROG="$top_builddir/testsuite/progs/implant_target"
BENCH="$top_builddir/testsuite/bench/implant_bench"
IMPLANT="$top_builddir/implants/xrr-checksum.so"
MIB=${MIB:-256}
FORK_MIB=${FORK_MIB:-1024}
REPEAT=${REPEAT:-3}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# One GDB session: run to the program's int3 (rdi = buffer, rsi = length),
# dump the buffer; prints
# the dump's wall time in seconds.
gdb_dump() {
	local port server_pid
	port=$(free_port)
	"$XRR" serve --once --port "$port" -- "$PROG" bigmem "$MIB" >/dev/null 2>&1 &
	server_pid=$!
	for _ in $(seq 50); do
		grep -q ":$(printf '%04X' "$port") 00000000:0000 0A" /proc/net/tcp && break
		sleep 0.1
	done
	cat >"$tmp/s.gdb" <<GDB
set confirm off
set pagination off
target remote 127.0.0.1:$port
continue
python import time; t0 = time.monotonic()
dump binary memory $tmp/dump.bin \$rdi \$rdi+\$rsi
python print("MEASURED %.6f" % (time.monotonic() - t0))
kill
GDB
	"$GDB" -nx -batch -q -iex 'set debuginfod enabled off' -iex 'set sysroot /' \
		-x "$tmp/s.gdb" "$PROG" 2>&1 </dev/null | sed -n 's/^MEASURED //p'
	wait "$server_pid" 2>/dev/null
}

now() { date +%s.%N; }

"$BENCH" "$PROG" "$IMPLANT" "$MIB" "$FORK_MIB" >"$tmp/bench.out" || {
	echo "implant_bench failed" >&2
	exit 1
}

best_dump= best_hash= best_total=
for _ in $(seq "$REPEAT"); do
	d=$(gdb_dump)
	[ -n "$d" ] || { echo "GDB dump failed" >&2; exit 1; }
	t0=$(now)
	h=$(xxhsum -H3 "$tmp/dump.bin" | sed -n 's/.* = //p')
	t1=$(now)
	hs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.6f", b - a }')
	total=$(awk -v a="$d" -v b="$hs" 'BEGIN { printf "%.6f", a + b }')
	if [ -z "$best_total" ] || awk -v a="$total" -v b="$best_total" 'BEGIN { exit !(a < b) }'; then
		best_total=$total best_dump=$d best_hash=$hs
	fi
	xxh=$h
	rm -f "$tmp/dump.bin"
done

field() { awk -v k="$1" -v n="$2" '$1 == "path" && $2 == k { print $n }' "$tmp/bench.out"; }
auto_hash=$(awk '$1 == "path" { h = $5 } END { print h }' "$tmp/bench.out")
host_line=$(grep '^host ' "$tmp/bench.out")
read -r _ fork_best fork_median < <(grep '^fork ' "$tmp/bench.out")
bytes=$((MIB << 20))
same=no
[ "$xxh" = "$auto_hash" ] && same=yes

echo "## Implants and diversions"
echo
echo "Measured $(date -u +%Y-%m-%d) on $(nproc) cores, $(uname -r), $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //'),"
echo "in one run of testsuite/bench/implant-bench.sh (program: testsuite/progs/implant_target)."
echo "Checksum: XXH3-64 (seed 0) of $MIB MiB of a stopped tracee, best of 5 implant calls per"
echo "path (each call includes its ptrace save/restore); the GDB way is best of $REPEAT."
echo "The implant's hash equals \`xxhsum -H3\` of GDB's dump: $same ($xxh)."
echo
echo "| way | time | throughput | vs GDB dump + xxhsum | goal |"
echo "|---|---|---|---|---|"
for path in scalar sse2 avx2 avx512; do
	s=$(field "$path" 3)
	[ -n "$s" ] || continue
	goal=
	[ "$path" = avx512 ] && goal=">= 5 GB/s, >= 50x"
	awk -v p="$path" -v s="$s" -v b="$bytes" -v g="$best_total" -v goal="$goal" \
		'BEGIN { printf "| implant, %s path | %.1f ms | %.2f GB/s | %.0fx | %s |\n", p, s * 1e3, b / s / 1e9, g / s, goal }'
done
awk -v l="$host_line" -v b="$bytes" -v g="$best_total" \
	'BEGIN { split(l, f, " "); printf "| tracer reads (process_vm_readv) + libxxhash, no debugger | %.1f ms | %.2f GB/s | %.0fx | |\n", f[2] * 1e3, f[3], g / f[2] }'
awk -v d="$best_dump" -v h="$best_hash" -v b="$bytes" \
	'BEGIN { printf "| GDB `dump binary memory` via xrr serve (TCP) + `xxhsum -H3` | %.0f ms (dump %.0f + hash %.0f) | %.2f GB/s | 1x | |\n", (d + h) * 1e3, d * 1e3, h * 1e3, b / (d + h) / 1e9 }'
echo
echo "| diversion | best of 9 | median | goal |"
echo "|---|---|---|---|"
echo "| \`diversion_fork\` with $FORK_MIB MiB resident (injected clone + seize + state copy) | $fork_best ms | $fork_median ms | <= 20 ms |"

# Diversion creation through the replay target (monitor diversion start
# under GDB) on a replay of div_buffer with FORK_MIB MiB resident.
DIVPROG="$top_builddir/testsuite/progs/div_buffer"
if [ -x "$DIVPROG" ]; then
	"$XRR" record -o "$tmp/divtrace" "$DIVPROG" "$FORK_MIB" >/dev/null 2>&1
	{
		echo "target extended-remote | $XRR replay -q --stdio $tmp/divtrace"
		echo "break checkpoint"
		echo "continue"
		for _ in 1 2 3 4 5; do
			echo "monitor diversion start"
			echo "monitor diversion end"
		done
	} >"$tmp/div.gdb"
	"$GDB" -nx -batch -q -iex 'set debuginfod enabled off' -x "$tmp/div.gdb" \
		"$DIVPROG" 2>&1 </dev/null |
		sed -n 's/.* in \([0-9.]*\) ms, xcr0.*/\1/p' | sort -n >"$tmp/div.ms"
	if [ -s "$tmp/div.ms" ]; then
		echo "| \`monitor diversion start\` on a replay with $FORK_MIB MiB resident (GDB, replay target; fork + unpatch) | $(head -1 "$tmp/div.ms") ms | $(sed -n 3p "$tmp/div.ms") ms (of $(wc -l <"$tmp/div.ms")) | <= 20 ms |"
	fi
fi
