# Shared helpers for integration tests.  Each test script sources this
# file, declares its plan with `plan N`, and reports with ok/fail/skip in
# TAP, which automake's tap-driver counts one by one.
#
# Environment (set by `make check`): top_srcdir, top_builddir, GDB.

set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
: "${GDB:=gdb}"
export DEBUGINFOD_URLS=

XRR="$top_builddir/xrr"
PROGS="$top_builddir/testsuite/progs"
TEST_TMP=$(mktemp -d "${TMPDIR:-/tmp}/xrr-test.XXXXXX")
_tap_n=0
_tap_failed=0

cleanup_test_tmp() {
	# Leave nothing running that this test started.
	pkill -KILL -f "$TEST_TMP" 2>/dev/null || true
	rm -rf "$TEST_TMP"
}
trap cleanup_test_tmp EXIT

plan() { echo "1..$1"; }

ok() {
	_tap_n=$((_tap_n + 1))
	echo "ok $_tap_n - $*"
}

fail() {
	_tap_n=$((_tap_n + 1))
	_tap_failed=1
	echo "not ok $_tap_n - $*"
}

skip() {
	_tap_n=$((_tap_n + 1))
	echo "ok $_tap_n - # SKIP $*"
}

# Skip every remaining test of the plan, with a reason, and exit.
skip_all() {
	echo "1..0 # SKIP $*"
	exit 0
}

diag() { printf '# %s\n' "$@"; }

# check NAME FILE PATTERN: pass when the extended regex matches FILE.
check() {
	local name=$1 file=$2 pattern=$3
	if grep -Eq -- "$pattern" "$file"; then
		ok "$name"
	else
		fail "$name (no match for /$pattern/ in $(basename "$file"))"
		sed 's/^/#   /' "$file" | tail -n 40
	fi
}

# check_not NAME FILE PATTERN: pass when the regex does not match.
check_not() {
	local name=$1 file=$2 pattern=$3
	if grep -Eq -- "$pattern" "$file"; then
		fail "$name (unexpected /$pattern/ in $(basename "$file"))"
		grep -E -- "$pattern" "$file" | sed 's/^/#   /' | head -n 10
	else
		ok "$name"
	fi
}

# run_gdb OUT SCRIPT [ARGS...]: run real GDB in batch mode with the
# commands in SCRIPT, transcript (stdout and stderr) in OUT.  Bounded in
# time so a hung stub fails the test instead of the whole suite.
run_gdb() {
	local out=$1 script=$2
	shift 2
	timeout -k 5 120 "$GDB" -nx -batch -q \
		-iex 'set debuginfod enabled off' \
		-iex 'set confirm off' \
		-iex 'set pagination off' \
		-iex 'set width 0' \
		-x "$script" "$@" >"$out" 2>&1 </dev/null
	echo "# gdb exit status $?" >>"$out"
}

# no_strays NAME PATTERN: no process whose command line matches remains.
no_strays() {
	local name=$1 pattern=$2 i
	for i in 1 2 3 4 5 6 7 8 9 10; do
		pgrep -f -- "$pattern" >/dev/null 2>&1 || { ok "$name"; return; }
		sleep 0.2
	done
	fail "$name (still running: $(pgrep -af -- "$pattern" | head -3))"
}

finish() { exit $_tap_failed; }

# rdtsc_trapped TRACE: did the recording machine trap rdtsc (PR_SET_TSC)?
# Some VMs ignore it; then rdtsc values are not in the trace.
rdtsc_trapped() {
	"$XRR" info "$1" 2>/dev/null | grep -q '^rdtsc: *trapped'
}
NO_RDTSC_TRAP="this machine does not trap rdtsc (PR_SET_TSC has no effect): rdtsc values are not recorded here"

# hw_watch_works: do debug-register watchpoints fire here?  Some VMs
# accept DR7 and never trap; NO_HW_WATCH says so in skips.
hw_watch_works() {
	NO_HW_WATCH=$("$top_builddir/testsuite/integration/hw_probe")
}
