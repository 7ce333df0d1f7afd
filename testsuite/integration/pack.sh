#!/usr/bin/env bash
# xrr pack / xrr unpack: a recorded program whose binary and separate
# debug info are deleted after packing still replays and debugs from the
# unpacked trace (GDB reads the binary and its debug file from the trace
# through vFile: by build-id, and by .gnu_debuglink in place); tar opens
# the archive; packing in place twice adds once; damaged, truncated,
# escaping and foreign archives are refused, leaving nothing behind.
. "${top_srcdir:-$(dirname "$0")/../..}/testsuite/lib.sh"
command -v "$GDB" >/dev/null || skip_all "gdb not installed"
command -v objcopy >/dev/null || skip_all "objcopy (binutils) not installed"
tar --help 2>/dev/null | grep -q -- --zstd || skip_all "tar without --zstd"
plan 37

export XRR_TRACE_DIR="$TEST_TMP/traces"
T="$TEST_TMP"
cd "$T" || exit 1

# build_id FILE: its GNU build-id in hex.
build_id() { readelf -n "$1" | sed -n 's/^ *Build ID: *//p'; }

# A copy of hello whose DWARF lives in a separate file found by build-id
# under a private debug directory (XRR_DEBUG_FILE_DIRECTORY).
mkdir -p app debug
cp "$PROGS/hello" app/hello
bid=$(build_id app/hello)
mkdir -p "debug/.build-id/${bid:0:2}"
dbg="debug/.build-id/${bid:0:2}/${bid:2}.debug"
objcopy --only-keep-debug app/hello "$dbg" && objcopy --strip-debug app/hello
if [ -z "$bid" ] || readelf -S app/hello | grep -q debug_info; then
	skip_all "could not split hello's debug info by build-id"
fi
dbg_sha=$(sha256sum "$dbg" | cut -d' ' -f1)

"$XRR" record -o "$T/t1" -- app/hello >rec.out 2>rec.err
[ "$(cat rec.out)" = "hello 43" ] && ok "recorded hello" || fail "recorded hello ($(cat rec.out rec.err))"

XRR_DEBUG_FILE_DIRECTORY="$T/debug" "$XRR" pack -o t1.xrr "$T/t1" >pack.out 2>pack.err
st=$?
[ $st -eq 0 ] && ok "pack -o exits 0" || fail "pack -o exits 0 (got $st: $(cat pack.err))"
check "pack summary counts files and debug files" pack.err '^xrr: packed .*t1 into t1.xrr: [0-9]+ files, .* compressed\), [1-9][0-9]* separate debug files'
check_not "no progress line when stderr is not a terminal" pack.err $'\r'
[ ! -e "$T/t1/files/$dbg_sha" ] && ok "pack -o leaves the trace directory as it was" || fail "pack -o changed the trace directory"

tar --zstd -tf t1.xrr >list.out 2>list.err
st=$?
[ $st -eq 0 ] && ok "tar --zstd -tf reads the archive" || fail "tar --zstd -tf reads the archive ($(cat list.err))"
check "the archive holds the trace header" list.out '^t1/version$'
check "the archive holds the separate debug file by content" list.out "^t1/files/$dbg_sha\$"
n=$(grep -c '^t1/files/.' list.out)
[ "$n" -eq "$(sort -u list.out | grep -c '^t1/files/.')" ] && [ "$n" -ge 3 ] &&
	ok "stored files listed once each ($n)" || fail "stored files listed once each ($n)"

# The program and its debug info are gone; the trace moves elsewhere.
rm -rf app debug
"$XRR" unpack t1.xrr "$T/elsewhere/t1" >unpack.out 2>unpack.err
st=$?
[ $st -eq 0 ] && ok "unpack exits 0 (replayable here)" || fail "unpack exits 0 (got $st: $(cat unpack.err))"
check "unpack says where" unpack.err "^xrr: unpacked t1.xrr into $T/elsewhere/t1: [0-9]+ files"
check "unpack prints xrr check's verdict" unpack.out '^verdict +replayable'
[ -z "$(ls -A "$T/elsewhere" | grep -v '^t1$')" ] && ok "no temporary directory left" || fail "left behind: $(ls -A "$T/elsewhere")"

timeout -k 5 120 "$XRR" replay -a "$T/elsewhere/t1" >replay.out 2>replay.err </dev/null
[ "$(cat replay.out)" = "hello 43" ] && ok "replay -a of the unpacked trace prints what the recording did" ||
	fail "replay -a of the unpacked trace ($(cat replay.out replay.err | head -5))"

cat >t1.gdb <<GDB
target extended-remote | $XRR replay -q --stdio $T/elsewhere/t1
break add
continue
bt
monitor when
GDB
run_gdb t1-gdb.out t1.gdb
check "GDB reads the debug file from the trace by build-id" t1-gdb.out "Reading symbols from target:/usr/lib/debug/\\.build-id/${bid:0:2}/${bid:2}\\.debug"
check "breakpoint by function name, with its source line" t1-gdb.out 'Breakpoint 1, add \(a=42, b=1\) at .*hello\.c:[0-9]+'
check "bt shows main with its source line" t1-gdb.out '^#1 .*main \(\) at .*hello\.c:[0-9]+'
check "monitor when" t1-gdb.out '^Current event: [0-9]+$'

# In place: a copy with a .gnu_debuglink to a file beside it.
mkdir -p app2
cp "$PROGS/hello" app2/hello2
objcopy --only-keep-debug app2/hello2 app2/hello2.debug &&
	objcopy --strip-debug --add-gnu-debuglink=app2/hello2.debug app2/hello2
"$XRR" record -o "$T/t2" -- app2/hello2 >/dev/null 2>rec2.err
"$XRR" pack "$T/t2" >inplace.out 2>inplace.err
st=$?
[ $st -eq 0 ] && ok "pack in place exits 0" || fail "pack in place exits 0 (got $st: $(cat inplace.err))"
check "pack in place copies the debug files in" inplace.err 'is self-contained: [1-9][0-9]* separate debug files .* copied in'
"$XRR" pack "$T/t2" >inplace2.out 2>inplace2.err
check "pack in place again adds nothing" inplace2.err 'is self-contained \(it holds every mapped file; no separate debug files to add\)'
rm -rf app2
cat >t2.gdb <<GDB
target extended-remote | $XRR replay -q --stdio $T/t2
break add
continue
bt
GDB
run_gdb t2-gdb.out t2.gdb
check "GDB reads the debuglink file from the trace" t2-gdb.out "Reading symbols from target:$T/app2/hello2\\.debug"
check "in place: breakpoint with its source line" t2-gdb.out 'Breakpoint 1, add \(a=42, b=1\) at .*hello\.c:[0-9]+'
check "in place: bt with source lines" t2-gdb.out '^#1 .*main \(\) at .*hello\.c:[0-9]+'

"$XRR" pack -q -o - "$T/t2" 2>pipe.err | "$XRR" unpack -q - "$T/piped" >/dev/null 2>>pipe.err &&
	[ "$("$XRR" replay -a "$T/piped" 2>>pipe.err </dev/null)" = "hello 43" ] &&
	ok "pack -o - | unpack -: through a pipe" || fail "pack -o - | unpack - ($(cat pipe.err))"

# Without DIR: into the trace directory under the trace's name, and
# latest-trace points there.
"$XRR" unpack -q t1.xrr >/dev/null 2>default.err
[ "$(readlink -f "$XRR_TRACE_DIR/latest-trace")" = "$(readlink -f "$XRR_TRACE_DIR/t1")" ] &&
	ok "unpack without DIR: the trace root, latest-trace" || fail "unpack without DIR ($(cat default.err))"
"$XRR" unpack t1.xrr "$T/elsewhere/t1" >/dev/null 2>occupied.err
st=$?
[ $st -eq 2 ] && grep -q 'exists and is not an empty directory' occupied.err &&
	ok "unpack refuses an occupied directory" || fail "unpack refuses an occupied directory ($st: $(cat occupied.err))"

# refused NAME ARCHIVE PATTERN: unpack fails with status 2 and the
# message, and leaves neither the trace nor a temporary directory.
refused() {
	local name=$1 archive=$2 pattern=$3
	rm -rf "$T/bad"
	mkdir -p "$T/bad"
	"$XRR" unpack "$archive" "$T/bad/trace" >bad.out 2>bad.err
	local st=$?
	if [ $st -eq 2 ] && grep -Eq -- "$pattern" bad.err && [ -z "$(ls -A "$T/bad")" ]; then
		ok "$name"
	else
		fail "$name (status $st, left: $(ls -A "$T/bad"))"
		sed 's/^/#   /' bad.err
	fi
}

refused "a text file is not an archive" t1.gdb 'not an xrr trace archive'
head -c "$(($(stat -c %s t1.xrr) / 2))" t1.xrr >truncated.xrr
refused "a truncated archive" truncated.xrr 'damaged or truncated archive'
mkdir -p src/t3 && cp "$T/elsewhere/t1/version" src/t3/
tar -C src -czf gzip.tgz t3
refused "a gzip tar" gzip.tgz 'not an xrr trace archive'
echo evil >src/evil
(cd src/t3 && tar --zstd -P -cf "$T/escape.xrr" ../evil)
refused "a member escaping with .." escape.xrr "member \.\./evil has a '\.' or '\.\.' component"
[ ! -e "$T/bad/evil" ] && [ ! -e "$T/evil" ] && ok "nothing written outside" || fail "a file was written outside"
tar --zstd -P -cf abs.xrr "$T/src/evil"
refused "an absolute member" abs.xrr 'has an absolute path'
ln -s /etc/passwd src/t3/events
tar --zstd -C src -cf link.xrr t3
refused "a symbolic link member" link.xrr 'is a symbolic link'
rm -f src/t3/version src/t3/events && echo x >src/t3/events
tar --zstd -C src -cf nohdr.xrr t3
refused "an archive without a trace header" nohdr.xrr 'no trace header \(t3/version\)'

"$XRR" pack --help >help.out
check "pack --help documents -o" help.out '-o, --output FILE'
check "pack --help documents the debug directory" help.out 'XRR_DEBUG_FILE_DIRECTORY'

finish
