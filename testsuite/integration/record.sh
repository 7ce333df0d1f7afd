#!/usr/bin/env bash
# xrr record and the trace readers (info, dump, ps, ls): programs recorded
# with output and exit status unchanged versus a native run, the events
# the trace must show, a recorder killed mid-run, damaged streams, a
# refused syscall, and the diagnostic for a thread that never yields.
# XRR_RECORD_ARGS (e.g. "--xcr0 0x7") is added to every xrr record.
. "${top_srcdir:-$(dirname "$0")/../..}/testsuite/lib.sh"
plan 72

export XRR_TRACE_DIR="$TEST_TMP/traces"
T="$TEST_TMP"

# record_cmp NAME CMD...: native and recorded runs give the same stdout
# and exit status; the recorded trace is then the latest one.
record_cmp() {
	local name=$1
	shift
	"$@" >"$T/native.out" 2>"$T/native.err" </dev/null
	local native=$?
	timeout -k 5 120 "$XRR" record ${XRR_RECORD_ARGS:-} -- "$@" >"$T/rec.out" 2>"$T/rec.err" </dev/null
	local rec=$?
	if [ $native -eq $rec ] && cmp -s "$T/native.out" "$T/rec.out"; then
		ok "$name: output and exit status $rec as native"
	else
		fail "$name: native status $native, recorded $rec"
		diff "$T/native.out" "$T/rec.out" | head -n 10 | sed 's/^/#   /'
		sed 's/^/#   /' "$T/rec.err" | tail -n 5
	fi
}

dump_latest() { "$XRR" dump >"$T/$1.dump" 2>&1; }

# ---- a first program -------------------------------------------------------------
record_cmp "hello" "$PROGS/hello"
check "says where the trace goes" "$T/rec.err" "^xrr: saving trace to $XRR_TRACE_DIR/hello-0\$"
if [ -L "$XRR_TRACE_DIR/latest-trace" ] && [ -f "$XRR_TRACE_DIR/hello-0/version" ]; then
	ok "trace directory and latest-trace"
else
	fail "trace directory and latest-trace"
fi
"$XRR" info >"$T/info.out" 2>&1
check "info: complete" "$T/info.out" '^state: +complete$'
check "info: xcr0 decoded" "$T/info.out" '^host xcr0: +0x[0-9a-f]+ \(x87\|sse'
check "info: tick source none, bound cpu" "$T/info.out" '^tick source: +none$'
check "info: xsave layout per component" "$T/info.out" '^  component 2  avx +offset +576 size +256'
check "info: cpu summary" "$T/info.out" '^cpu: +(AuthenticAMD|GenuineIntel), family'
dump_latest hello
check "dump: exec first" "$T/hello.dump" '^ +0 +[0-9]+ exec rip=0x'
check "dump: the program's write" "$T/hello.dump" 'write\(1, "hello 43\\n", 9\) = 9$'
check "dump: exit last" "$T/hello.dump" 'exit \(exited with status 0\)$'
"$XRR" ps >"$T/ps.out" 2>&1
check "ps: the process and its end" "$T/ps.out" '^[0-9]+ +- +0 +- +0 +1 +.*/hello$'

# ---- files, mmap, directories ------------------------------------------------------
record_cmp "files, mmap, directories" "$PROGS/rec_files" "$T/filesdir"
dump_latest files
check "dump: openat of the file" "$T/files.dump" "openat\(AT_FDCWD, \"$T/filesdir/file2.txt\", O_RDONLY\) = [0-9]+"
check "dump: mmap of the file" "$T/files.dump" 'mmap\(NULL, [0-9]+, PROT_READ, MAP_PRIVATE, [0-9]+, 0\) = 0x'
check "dump: directory read" "$T/files.dump" 'getdents64\([0-9]+, 0x[0-9a-f]+, [0-9]+\) = [1-9]'

# ---- time, rdtsc, getrandom ----------------------------------------------------------
record_cmp "time, rdtsc, getrandom" "$PROGS/rec_time"
dump_latest time
check "dump: vdso clock_gettime became a syscall" "$T/time.dump" 'clock_gettime\(CLOCK_MONOTONIC, 0x[0-9a-f]+\) = 0'
check "dump: gettimeofday" "$T/time.dump" 'gettimeofday\(0x[0-9a-f]+, NULL\) = 0'
check "dump: time" "$T/time.dump" ' time\((NULL|0x[0-9a-f]+)\) = [0-9]+'
if rdtsc_trapped "$(readlink -f "$XRR_TRACE_DIR/latest-trace")"; then
	check "dump: rdtsc and rdtscp" "$T/time.dump" 'rdtscp = 0x[0-9a-f]+ aux='
else
	skip "dump: rdtsc and rdtscp: $NO_RDTSC_TRAP"
fi
check "dump: getrandom" "$T/time.dump" 'getrandom\(".*", 16, 0\) = 16'

# ---- threads -------------------------------------------------------------------------
record_cmp "threads with mutexes and condition variables" "$PROGS/rec_condvar"
dump_latest condvar
check "dump: thread creation" "$T/condvar.dump" 'thread-create [0-9]+ flags=0x'
check "dump: futex waits" "$T/condvar.dump" 'futex\(0x[0-9a-f]+, FUTEX_WAIT'
"$XRR" ps >"$T/ps2.out" 2>&1
n=$(awk '/rec_condvar/ { print $6 }' "$T/ps2.out")
[ "$n" = 6 ] && ok "ps: the main thread and five more" || fail "ps: the main thread and five more (saw $n)"

# ---- signals and timers ------------------------------------------------------------------
record_cmp "signal handlers with timers" "$PROGS/rec_sigtimer"
dump_latest sig
check "dump: SIGALRM handler frame" "$T/sig.dump" 'signal SIGALRM frame 0x[0-9a-f]+ \([0-9]+ bytes\) handler 0x'
check "dump: POSIX timer signal" "$T/sig.dump" 'signal SIGRT[A-Z_0-9+]* frame'
check "dump: synchronous SIGSEGV" "$T/sig.dump" 'signal SIGSEGV frame'
check "dump: rt_sigreturn" "$T/sig.dump" 'rt_sigreturn\(\)'

# ---- children, large output, exits -----------------------------------------------------------
record_cmp "posix_spawn and system() children" "$PROGS/rec_spawn"
record_cmp "16 MiB of output" "$PROGS/rec_bigout" 16
record_cmp "exit status 7" "$PROGS/rec_exit" code 7
record_cmp "death by SIGTERM" "$PROGS/rec_exit" signal 15
check "death reported like a shell" "$T/rec.err" 'killed by SIGTERM'
record_cmp "death by SIGSEGV" "$PROGS/rec_exit" segv

# ---- Debian's programs ----------------------------------------------------------------------
record_cmp "ls -l" ls -l /usr/share/doc/coreutils
seq 1 30000 | awk '{ print ($1 * 7919) % 30011 }' >"$T/unsorted"
record_cmp "sort" sort "$T/unsorted"
dump_latest sort
check "dump: sort opens its input" "$T/sort.dump" "openat\(AT_FDCWD, \"$T/unsorted\", O_RDONLY(\|O_CLOEXEC)?\) = [0-9]+"
record_cmp "sha256sum" sha256sum "$T/unsorted"
PY=$(command -v python3)
[ -x /usr/bin/python3 ] && PY=/usr/bin/python3
if [ -n "$PY" ]; then
	record_cmp "python3" "$PY" -c 'import os, hashlib, threading, json
t = threading.Thread(target=lambda: print("thread"))
t.start(); t.join()
print(sum(range(10**6)), hashlib.sha256(b"xrr" * 999).hexdigest(), json.dumps(sorted(os.listdir("/usr"))[:3]))'
else
	skip "python3 not installed"
fi
if command -v sqlite3 >/dev/null; then
	record_cmp "sqlite3" sqlite3 :memory: "create table t(a, b); insert into t values (1, 'one'), (2, 'two'), (3, 'three'); select b, a * a from t order by a desc; select count(*) from t;"
else
	skip "sqlite3 not installed"
fi

# ---- refused syscall -----------------------------------------------------------------------
timeout -k 5 60 "$XRR" record ${XRR_RECORD_ARGS:-} -o "$T/uring" "$PROGS/rec_uring" >"$T/uring.out" 2>"$T/uring.err"
rc=$?
[ $rc -ne 0 ] && ok "unknown syscall: non-zero status ($rc)" || fail "unknown syscall: status 0"
check "unknown syscall: named in the error" "$T/uring.err" 'unsupported system call io_uring_setup \(425\)'
check_not "unknown syscall: the program did not go on" "$T/uring.out" 'io_uring_setup returned'

# ---- a program's own seccomp filter --------------------------------------------------------
record_cmp "seccomp filter" "$PROGS/conf_sec_filter"
dump_latest sec
check "dump: the filter's install" "$T/sec.dump" 'seccomp\(SECCOMP_SET_MODE_FILTER, 0, 0x[0-9a-f]+\) = 0$'
check "dump: a call the filter answered" "$T/sec.dump" 'uname\(0x[0-9a-f]+\) = -1 EACCES .*\[seccomp filter\]$'
check "dump: the filter's SIGSYS" "$T/sec.dump" 'signal SIGSYS frame 0x[0-9a-f]+ \([0-9]+ bytes\) handler 0x'

# man-db sandboxes its children with libseccomp filters (TSYNC, probes).
if env MANPAGER=cat MANWIDTH=80 man ls >/dev/null 2>&1; then
	record_cmp "man ls (man-db's seccomp sandbox)" env MANPAGER=cat MANWIDTH=80 man ls
	dump_latest man
	check "dump: man-db's filter installed" "$T/man.dump" 'seccomp\(SECCOMP_SET_MODE_FILTER, 0, 0x[0-9a-f]+\) = 0$'
	timeout -k 5 120 "$XRR" replay -a >"$T/man.replay" 2>"$T/man.replay.err"
	st=$?
	if [ $st -eq 0 ] && cmp -s "$T/native.out" "$T/man.replay"; then
		ok "man ls: replay prints the same"
	else
		fail "man ls: replay status $st"
		tail -n 3 "$T/man.replay.err" | sed 's/^/#   /'
	fi
else
	skip "man ls: no manual pages on this machine"
	skip "dump: man-db's filter installed: no manual pages"
	skip "man ls: replay: no manual pages"
fi

# bubblewrap: new pid, UTS and mount namespaces, and a seccomp filter
# read from a file (uname denied with EPERM) for the sandboxed program.
if command -v bwrap >/dev/null && command -v python3 >/dev/null &&
   bwrap --ro-bind / / /bin/true 2>/dev/null; then
	python3 - "$T/deny_uname.bpf" <<'PY'
import struct, sys
ld = lambda k: struct.pack('<HBBI', 0x20, 0, 0, k)
jeq = lambda k, jt, jf: struct.pack('<HBBI', 0x15, jt, jf, k)
ret = lambda k: struct.pack('<HBBI', 0x06, 0, 0, k)
open(sys.argv[1], 'wb').write(ld(4) + jeq(0xc000003e, 1, 0) + ret(0x80000000) +
    ld(0) + jeq(63, 0, 1) + ret(0x00050000 | 1) + ret(0x7fff0000))
PY
	bw="bwrap --ro-bind / / --unshare-pid --unshare-uts --hostname sandbox --proc /proc --dev /dev --seccomp 9 9<$T/deny_uname.bpf /bin/sh -c 'cat /proc/sys/kernel/hostname; echo pid \$\$; uname -s 2>&1; echo status \$?'"
	record_cmp "bwrap sandbox (namespaces, seccomp filter)" sh -c "$bw"
	check "bwrap: the filter's EPERM" "$T/rec.out" 'cannot get system name: Operation not permitted'
	timeout -k 5 120 "$XRR" replay -a >"$T/bw.replay" 2>/dev/null
	cmp -s "$T/rec.out" "$T/bw.replay" && ok "bwrap: replay prints the same" ||
		fail "bwrap: replay prints the same"
else
	skip "bwrap sandbox: bubblewrap cannot run here"
	skip "bwrap: the filter's EPERM: bubblewrap cannot run here"
	skip "bwrap: replay: bubblewrap cannot run here"
fi

# A seccomp filter with a notification fd: refused, saying why.
timeout -k 5 60 "$XRR" record ${XRR_RECORD_ARGS:-} -o "$T/notif" "$PROGS/sec_notif" >"$T/notif.out" 2>"$T/notif.err"
rc=$?
[ $rc -ne 0 ] && ok "seccomp USER_NOTIF: non-zero status ($rc)" || fail "seccomp USER_NOTIF: status 0"
check "seccomp USER_NOTIF: the reason" "$T/notif.err" 'NEW_LISTENER: a supervisor answering syscalls through a notification fd is not recorded'
check "seccomp USER_NOTIF: the trace says so" "$T/notif/error" 'notification fd'

# ---- recorder killed mid-run ------------------------------------------------------------------
"$XRR" record ${XRR_RECORD_ARGS:-} -o "$T/killed" "$PROGS/rec_long" 30 >"$T/long.out" 2>/dev/null &
xpid=$!
sleep 2
kill -KILL $xpid
wait $xpid 2>/dev/null
"$XRR" info "$T/killed" >"$T/killed.info" 2>&1
check "killed recorder: info says incomplete" "$T/killed.info" '^state: +incomplete'
"$XRR" dump "$T/killed" >"$T/killed.dump" 2>"$T/killed.err"
rc=$?
[ $rc -eq 0 ] && ok "killed recorder: dump reads the prefix" || fail "killed recorder: dump status $rc"
check "killed recorder: prefix has the program's writes" "$T/killed.dump" 'write\(1, "tick 10\\n", 8\) = 8'

# ---- damaged streams ----------------------------------------------------------------------
cp -r "$XRR_TRACE_DIR/hello-0" "$T/flipped"
# Invert the byte (writing a constant leaves it as it was when it held
# that value already: pids and random bytes vary between recordings).
b=$(od -An -tu1 -j60 -N1 "$T/flipped/events" | tr -d ' ')
printf "\\$(printf %03o $((255 - b)))" | dd of="$T/flipped/events" bs=1 seek=60 conv=notrunc 2>/dev/null
"$XRR" dump "$T/flipped" >/dev/null 2>"$T/flipped.err"
rc=$?
[ $rc -ne 0 ] && ok "flipped byte: dump fails" || fail "flipped byte: dump status 0"
check "flipped byte: error names the file" "$T/flipped.err" "trace $T/flipped/events: .*(checksum|corrupt)"
cp -r "$XRR_TRACE_DIR/hello-0" "$T/cut"
truncate -s 100 "$T/cut/events"
"$XRR" dump "$T/cut" >/dev/null 2>"$T/cut.err"
rc=$?
[ $rc -ne 0 ] && ok "truncated stream: dump fails on a complete trace" || fail "truncated: status 0"
check "truncated stream: error names the file" "$T/cut.err" "trace $T/cut/events: .*cut short"

# ---- a thread that never yields: preempted (docs/preemption.md) ------------------------------
timeout -k 5 60 "$XRR" record ${XRR_RECORD_ARGS:-} -o "$T/spin" "$PROGS/rec_spin" 1 >"$T/spin.out" 2>"$T/spin.err"
rc=$?
[ $rc -eq 0 ] && grep -qx spun "$T/spin.out" && ok "a thread computing while another waits: recorded (status 0)" ||
	fail "a thread computing while another waits: status $rc"
if grep -q 'without a system call' "$T/spin.err"; then
	fail "no watchdog warning when the computing thread is preempted"
	sed 's/^/#   /' "$T/spin.err"
else
	ok "no watchdog warning when the computing thread is preempted"
fi
"$XRR" dump "$T/spin" >"$T/spin.dump" 2>&1
check "dump: the computing thread preempted at a point" "$T/spin.dump" 'point \(preemption\) rip=0x[0-9a-f]+ rsp=0x[0-9a-f]+ loop'
check "dump: and resumed from it" "$T/spin.dump" 'resume \(runs on from its point\)'
# The other thread's nanosleep returns while main still computes: it
# ends after main's first point, and main resumes from a point after that.
first=$(awk '/point \(preemption\)/ { print NR; exit }' "$T/spin.dump")
other=$(awk '/thread-exit/ { print NR; exit }' "$T/spin.dump")
last=$(awk '/resume \(runs on/ { n = NR } END { print n }' "$T/spin.dump")
[ -n "$first" ] && [ -n "$other" ] && [ -n "$last" ] && [ "$first" -lt "$other" ] && [ "$other" -lt "$last" ] &&
	ok "dump: the other thread ran and ended while main computed" ||
	fail "dump: the other thread ran and ended while main computed (first point $first, exit $other, last resume $last)"

"$XRR" ls >"$T/ls.out" 2>&1
check "ls lists traces with state" "$T/ls.out" '^\* +sqlite3-0 +[0-9]+ +complete|hello-0 +[0-9]+ +complete'

finish
