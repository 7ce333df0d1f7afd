#!/usr/bin/env bash
# Bad input to `xrr serve`: unknown and malformed packets, unmapped
# memory, bad checksums, oversize packets (the connection survives all of
# them); a program that cannot be started; GDB vanishing mid-session.
. "${top_srcdir:-$(dirname "$0")/../..}/testsuite/lib.sh"
PROBE="$top_builddir/testsuite/integration/rsp_probe"
plan 19

start_serve() {   # start_serve PROG...: sets xrr_pid and port
	"$XRR" serve --port 0 --once -- "$@" >"$TEST_TMP/prog.out" 2>"$TEST_TMP/serve.err" &
	xrr_pid=$!
	port=
	for _ in $(seq 50); do
		port=$(sed -n 's/.*listening on 127.0.0.1:\([0-9]*\).*/\1/p' "$TEST_TMP/serve.err")
		[ -n "$port" ] && break
		sleep 0.1
	done
}

start_serve "$PROGS/hello"
"$PROBE" "$port" \
	'xyzzy' \
	'mzz,4' \
	'm10,4' \
	'm0' \
	'Z0,zz,1' \
	'Hgzz' \
	'p9999' \
	'vCont;q' \
	'qXfer:features:read:target.xml:zz' \
	'raw:$g#00' \
	'big:4000000' \
	'qRcmd,7a7a' \
	'g' \
	'vKill;1' >"$TEST_TMP/probe.out" 2>&1
probe_status=$?
wait "$xrr_pid"
out="$TEST_TMP/probe.out"
reply_after() {   # reply_after REQUEST: the reply line that follows it
	awk -v req="> $1" 'found { print; exit } $0 == req { found = 1 }' "$out"
}
[ "$(reply_after xyzzy)" = "< " ] && ok "unknown packet answers empty" || fail "unknown packet answers empty (got '$(reply_after xyzzy)')"
for req in 'mzz,4' 'm0' 'Z0,zz,1' 'Hgzz' 'p9999' 'vCont;q' 'qXfer:features:read:target.xml:zz'; do
	[[ "$(reply_after "$req")" =~ ^\<\ E[0-9a-f]{2}$ ]] && ok "malformed '$req' answers E.." ||
		fail "malformed '$req' answers E.. (got '$(reply_after "$req")')"
done
[[ "$(reply_after 'm10,4')" =~ ^\<\ E[0-9a-f]{2}$ ]] && ok "unmapped memory answers E.." ||
	fail "unmapped memory answers E.. (got '$(reply_after 'm10,4')')"
[ "$(reply_after 'raw:$g#00')" = "= -" ] && ok "bad checksum is nak'd" || fail "bad checksum is nak'd (got '$(reply_after 'raw:$g#00')')"
[ "$(reply_after 'big packet')" = "= -" ] && ok "oversize packet is nak'd" || fail "oversize packet is nak'd (got '$(reply_after 'big packet')')"
check "unknown monitor command explained" "$out" "^O xrr: unknown monitor command 'zz'"
[[ "$(reply_after g)" =~ ^\<\ [0-9a-fx]{200,}$ ]] && ok "connection still serves registers after all that" ||
	fail "connection still serves registers after all that"
[ "$(reply_after 'vKill;1')" = "< OK" ] && [ $probe_status -eq 0 ] && ok "kill acknowledged, connection intact throughout" ||
	fail "kill acknowledged, connection intact throughout (status $probe_status)"
check "the stub logged the oversize packet" "$TEST_TMP/serve.err" 'ignored a packet'

# A program that cannot be started.
"$XRR" serve --stdio -- /nonexistent/program </dev/null >/dev/null 2>"$TEST_TMP/nostart.err"
st=$?
[ $st -eq 1 ] && ok "unstartable program: exit status 1" || fail "unstartable program: exit status 1 (got $st)"
check "unstartable program: errno text" "$TEST_TMP/nostart.err" "cannot start '/nonexistent/program': No such file or directory"

# GDB vanishing mid-session leaves nothing traced behind.
cat >"$TEST_TMP/vanish.gdb" <<GDB
target remote | $XRR serve --stdio -- $PROGS/threads 2 spin
continue
GDB
"$GDB" -nx -batch -q -iex 'set debuginfod enabled off' -x "$TEST_TMP/vanish.gdb" \
	"$PROGS/threads" >"$TEST_TMP/vanish.out" 2>&1 </dev/null &
gdb_pid=$!
sleep 2
kill -KILL "$gdb_pid"
wait "$gdb_pid" 2>/dev/null
no_strays "GDB killed: no traced program left" "$PROGS/threads 2 spin"
no_strays "GDB killed: xrr serve exits" "serve --stdio -- $PROGS/threads 2 spin"
finish
