#!/usr/bin/env bash
# XCR0 fidelity (docs/xcr0.md): recording under a smaller XCR0 makes
# XGETBV, CPUID and XSAVE agree so glibc takes its AVX2 paths; illegal
# masks are refused naming the rule; xrr check and xrr replay refuse a
# trace needing components this host lacks (XRR_HOST_XCR0 pretends); the
# ARCH_SET_XCR0 probe never hands 0x1021 an XCR0 value (strace); the
# recorder suite passes under --xcr0 0x7.
. "${top_srcdir:-$(dirname "$0")/../..}/testsuite/lib.sh"

export XRR_TRACE_DIR="$TEST_TMP/traces"
T="$TEST_TMP"
PROBE="$PROGS/xcr0_probe"

"$PROBE" >"$T/native.out" 2>&1 || skip_all "xcr0_probe does not run"
grep -q '^xgetbv0 0xe7$' "$T/native.out" || grep -q '^avx512f 1$' "$T/native.out" ||
	skip_all "this host has no AVX-512 enabled (XCR0 $(sed -n 's/^xgetbv0 //p' "$T/native.out")): nothing to mask"
plan 27
diag "native: $(tr '\n' ' ' <"$T/native.out")"

# ---- recording under --xcr0 0x7 ---------------------------------------------
timeout -k 5 60 "$XRR" record -o "$T/masked" --xcr0 0x7 "$PROBE" >"$T/masked.out" 2>"$T/masked.err"
rc=$?
[ $rc -eq 0 ] && ok "record --xcr0 0x7 exits 0" || fail "record --xcr0 0x7 exits $rc"
check "XGETBV(0) reads 0x7" "$T/masked.out" '^xgetbv0 0x7$'
check "__builtin_cpu_supports(avx512f) is 0" "$T/masked.out" '^avx512f 0$'
check "AVX2 still reported" "$T/masked.out" '^avx2 1$'
check "CPUID(0xD,0).EBX is 832" "$T/masked.out" '^xsave_size 832$'
check "glibc chose an AVX2 memcpy" "$T/masked.out" '^memcpy __mem(cpy|move)_avx_unaligned'
check_not "no AVX-512/EVEX memcpy" "$T/masked.out" '^memcpy .*(avx512|evex)'
diag "masked: $(tr '\n' ' ' <"$T/masked.out")"

# A process tree under --xcr0: a shell's exec'd children see 0x7 too
# (each process has its own patched sites), and replay the same.
timeout -k 5 60 "$XRR" record -o "$T/tree" --xcr0 0x7 -- /bin/sh -c "$PROBE; $PROBE" >"$T/tree.out" 2>"$T/tree.err"
rc=$?
n=$(grep -c '^xgetbv0 0x7$' "$T/tree.out")
[ $rc -eq 0 ] && [ "$n" = 2 ] && ok "--xcr0 0x7 reaches every exec'd child" ||
	fail "--xcr0 0x7 reaches every exec'd child (exit $rc, $n of 2)"
timeout -k 5 60 "$XRR" replay -a "$T/tree" >"$T/tree-rep.out" 2>"$T/tree-rep.err"
rc=$?
[ $rc -eq 0 ] && cmp -s "$T/tree.out" "$T/tree-rep.out" &&
	ok "--xcr0 0x7 process tree replays the same" ||
	{ fail "--xcr0 0x7 process tree replays the same (exit $rc)"; tail -n 3 "$T/tree-rep.err" | sed 's/^/#   /'; }
[ "$("$XRR" ps "$T/tree" | awk '$2 != "-" && $NF ~ /xcr0_probe$/' | wc -l)" = 2 ] &&
	ok "--xcr0: xrr ps lists both children" || fail "--xcr0: xrr ps lists both children"

timeout -k 5 60 "$XRR" record -o "$T/noavx512" --disable-avx512 "$PROBE" >"$T/noavx512.out" 2>&1
check "--disable-avx512: XGETBV(0) without bits 5-7" "$T/noavx512.out" '^xgetbv0 0x7$'

"$XRR" check "$T/masked" >"$T/check-masked.out" 2>&1
rc=$?
[ $rc -eq 0 ] && ok "check: masked trace replayable here" || fail "check: masked trace exit $rc"
check "check: instruction virtualisation recorded" "$T/check-masked.out" '^insn virtualisation used'
check "check: program XCR0 0x7" "$T/check-masked.out" '^XCR0 \(program saw\) +0x7 '

# ---- illegal masks, refused before anything starts ----------------------------
refused() {
	local name=$1 mask=$2 words=$3
	"$XRR" record -o "$T/bad-$mask" --xcr0 "$mask" "$PROBE" >"$T/bad.out" 2>&1
	local rc=$?
	if [ $rc -ne 0 ] && grep -qF -- "$words" "$T/bad.out" && [ ! -e "$T/bad-$mask" ] &&
	   ! grep -q '^xgetbv0' "$T/bad.out"; then
		ok "refused $mask: $name"
	else
		fail "refused $mask: $name (exit $rc)"
		sed 's/^/#   /' "$T/bad.out"
	fi
}
refused "opmask/ZMM together" 0x27 "opmask, ZMM_Hi256 and Hi16_ZMM must be enabled together"
refused "AVX-512 needs AVX" 0xe3 "AVX-512 (opmask, ZMM_Hi256, Hi16_ZMM) requires AVX"
refused "x87 bit" 0x6 "bit 0 (x87) must be set"
refused "AVX needs SSE" 0x5 "AVX requires SSE"
refused "unsupported AMX" 0x60007 "not supported by this CPU"

# ---- a trace needing more than this host has ----------------------------------
timeout -k 5 60 "$XRR" record -o "$T/full" "$PROBE" >/dev/null 2>&1
XRR_HOST_XCR0=0x7 "$XRR" check "$T/full" >"$T/check-full.out" 2>&1
rc=$?
[ $rc -eq 1 ] && ok "check: unmasked trace on a 0x7 host exits 1" || fail "check: exit $rc"
check "check: says not replayable" "$T/check-full.out" '^verdict +not replayable'
check "check: gives the re-record command" "$T/check-full.out" "^portable recording +xrr record --xcr0 0x7 -- $PROBE\$"
XRR_HOST_XCR0=0x7 "$XRR" check --json "$T/full" >"$T/check.json" 2>&1
if python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if d["replayable"] is False and d["missing"]=="0xe0" else 1)' "$T/check.json"; then
	ok "check --json: valid, replayable false, missing 0xe0"
else
	fail "check --json"; sed 's/^/#   /' "$T/check.json"
fi
XRR_HOST_XCR0=0x7 timeout -k 5 60 "$XRR" replay -a "$T/full" >"$T/replay-full.out" 2>&1
rc=$?
if [ $rc -ne 0 ] && grep -q 'can not be replayed on this host' "$T/replay-full.out" &&
   ! grep -q '^xgetbv0' "$T/replay-full.out"; then
	ok "replay refuses up front with the check report"
else
	fail "replay of an unmasked trace on a 0x7 host (exit $rc)"; sed 's/^/#   /' "$T/replay-full.out" | head
fi

# ---- ARCH_SET_XCR0 detection under strace --------------------------------------
if command -v strace >/dev/null; then
	# raw: strace shows the argument itself, not what it points to.
	XRR_ARCH_SET_XCR0=0x1021 strace -f -qq -e trace=arch_prctl -e raw=arch_prctl \
		-o "$T/strace.out" "$XRR" check "$T/masked" >/dev/null 2>&1
	XRR_ARCH_SET_XCR0=0x1021 strace -f -qq -e trace=arch_prctl -e raw=arch_prctl \
		-o "$T/strace2.out" "$XRR" record -o "$T/straced" --xcr0 0x7 "$PROBE" >/dev/null 2>&1
	cat "$T/strace2.out" >>"$T/strace.out"
	# Every arch_prctl(0x1021, ARG): ARG must be an address, never a mask.
	n=0 bad=
	for arg in $(sed -nE 's/.*arch_prctl\(0x1021, *([^,)]*)\).*/\1/p' "$T/strace.out"); do
		n=$((n + 1))
		[ $((arg)) -lt 65536 ] && bad="$bad $arg"
	done
	if [ "$n" -gt 0 ] && [ -z "$bad" ]; then
		ok "strace: arch_prctl 0x1021 called $n times, only with a pointer"
	else
		fail "strace: arch_prctl 0x1021 calls: $n, non-pointer args:$bad"
		grep arch_prctl "$T/strace.out" | sed 's/^/#   /' | head
	fi
	grep -E 'arch_prctl\(0x1021' "$T/strace.out" | head -n 2 | sed 's/^/# /'
else
	skip "strace not installed"
fi

# ---- replay of the masked trace -------------------------------------------------
timeout -k 5 60 "$XRR" replay -a "$T/masked" >"$T/replay.out" 2>"$T/replay.err"
if cmp -s "$T/masked.out" "$T/replay.out"; then
	ok "replay of the --xcr0 0x7 trace prints the same"
else
	# The replayer does not apply the recorded sites yet (docs/xcr0.md,
	# "Replay integration"): expected to fail until it does.
	echo "not ok $((_tap_n + 1)) - replay of the --xcr0 0x7 trace prints the same # TODO replayer integration: $(head -c 200 "$T/replay.err" | tr '\n' ' ')"
	_tap_n=$((_tap_n + 1))
fi

# ---- the recorder suite under --xcr0 0x7 -----------------------------------------
XRR_RECORD_ARGS="--xcr0 0x7" bash "$top_srcdir/testsuite/integration/record.sh" >"$T/record-suite.out" 2>&1
total=$(grep -cE '^(not )?ok ' "$T/record-suite.out")
failed=$(grep -c '^not ok' "$T/record-suite.out")
if [ "$total" -gt 40 ] && [ "$failed" -eq 0 ]; then
	ok "record.sh under --xcr0 0x7: $total tests pass"
else
	fail "record.sh under --xcr0 0x7: $failed of $total failed"
	# The failing tests with their own diagnostics (diffs, stderr).
	awk '/^not ok/ { show = 1 } /^ok/ { show = 0 } show' "$T/record-suite.out" |
		sed 's/^/#   /' | head -n 40
fi
exit $_tap_failed
