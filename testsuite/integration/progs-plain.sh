#!/usr/bin/env bash
# Programs that tests record, replay or debug must be plain: a sanitizer
# runtime in them (LeakSanitizer's ptrace-based exit check, ASan's
# terabytes of shadow mappings) makes recordings nondeterministic and
# memory scans endless.  Every test program is checked here.
. "${top_srcdir:-$(dirname "$0")/../..}/testsuite/lib.sh"
progs=$(find "$PROGS" -maxdepth 1 -type f -perm -u+x | sort)
[ -n "$progs" ] || skip_all "no test programs built"
plan "$(echo "$progs" | wc -l)"
for p in $progs; do
	if ldd "$p" 2>/dev/null | grep -qE 'lib(asan|ubsan|lsan|tsan)'; then
		fail "$(basename "$p") links a sanitizer runtime (give it _LDFLAGS = \$(TEST_PROGS_LINK_FLAGS))"
	else
		ok "$(basename "$p") is a plain program"
	fi
done
finish
