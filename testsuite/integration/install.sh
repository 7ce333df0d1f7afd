#!/bin/bash
# `make install` into a staging directory (DESTDIR): the program, its
# private files, the manual page, the bash completion and the GDB helper
# land where they belong; the installed xrr records and replays with
# nothing from the build tree; `make uninstall` takes everything away.
. "${top_srcdir:-$(dirname "$0")/../..}/testsuite/lib.sh"

plan 14

stage=$TEST_TMP/stage
prefix=$(sed -n 's/^prefix = //p' "$top_builddir/Makefile")
root=$stage$prefix
if make -C "$top_builddir" install DESTDIR="$stage" >"$TEST_TMP/install.log" 2>&1; then
	ok "make install DESTDIR=... succeeds"
else
	fail "make install failed"
	tail -n 30 "$TEST_TMP/install.log" | sed 's/^/#   /'
fi

bin=$root/bin/xrr
if [ -x "$bin" ] && "$bin" --version >"$TEST_TMP/version" 2>&1; then
	ok "installed $prefix/bin/xrr runs ($(head -n1 "$TEST_TMP/version"))"
else
	fail "no runnable $prefix/bin/xrr"
fi

# Private files where install_paths.c looks for them.
missing=
for f in lib/xrr/xrr-preload.so lib/xrr/xrr-checksum.so libexec/xrr/xrr-exec-stub; do
	[ -f "$root/$f" ] || missing="$missing $f"
done
if [ -z "$missing" ]; then
	ok "private files installed (preload library, checksum implant, exec stub)"
else
	fail "not installed:$missing"
fi

# The installed program alone: copy the test program away from the build
# tree and record/replay it with the staged binary.
cp "$PROGS/conf_proc_pipeline" "$TEST_TMP/prog"
(cd "$TEST_TMP" && "$bin" record -o "$TEST_TMP/trace" ./prog >"$TEST_TMP/rec.out" 2>"$TEST_TMP/rec.err")
rec=$?
(cd "$TEST_TMP" && ./prog >"$TEST_TMP/native.out" 2>/dev/null)
if [ $rec -eq 0 ] && cmp -s "$TEST_TMP/native.out" "$TEST_TMP/rec.out"; then
	ok "installed xrr records a program (output as native)"
else
	fail "installed xrr record: status $rec"
	sed 's/^/#   /' "$TEST_TMP/rec.err" | tail -n 10
fi
"$bin" replay -a "$TEST_TMP/trace" >"$TEST_TMP/rep.out" 2>"$TEST_TMP/rep.err"
rep=$?
if [ $rep -eq 0 ] && cmp -s "$TEST_TMP/native.out" "$TEST_TMP/rep.out"; then
	ok "installed xrr replays it (output as native)"
else
	fail "installed xrr replay -a: status $rep"
	sed 's/^/#   /' "$TEST_TMP/rep.err" | tail -n 10
fi

# The manual page: installed, renders without warnings, covers every
# command the program lists.
man1=$root/share/man/man1/xrr.1
if [ -f "$man1" ] &&
   MANWIDTH=100 man --warnings -l "$man1" >"$TEST_TMP/man.txt" 2>"$TEST_TMP/man.err" &&
   [ ! -s "$TEST_TMP/man.err" ]; then
	ok "man page installed and renders without warnings"
else
	fail "man page missing or warns"
	sed 's/^/#   /' "$TEST_TMP/man.err" | head -n 10
fi
"$bin" --help | awk '/^Commands:/ { on = 1; next } on && !NF { exit } on { print $1 }' >"$TEST_TMP/commands"
undocumented=
while read -r c; do
	grep -Eq "^ +xrr $c( |$)" "$TEST_TMP/man.txt" || undocumented="$undocumented $c"
done <"$TEST_TMP/commands"
if [ -s "$TEST_TMP/commands" ] && [ -z "$undocumented" ]; then
	ok "man page has a section for each of the $(wc -l <"$TEST_TMP/commands") commands"
else
	fail "commands without a man page section:$undocumented"
fi
# Every long option a command's --help names appears in the man page.
undocumented=
while read -r c; do
	for o in $("$bin" "$c" --help 2>&1 | grep -oE -- '--[a-z][a-z0-9-]+' | sort -u); do
		[ "$o" = --help ] && continue
		grep -qF -- "$o" "$TEST_TMP/man.txt" || undocumented="$undocumented $c:$o"
	done
done <"$TEST_TMP/commands"
if [ -z "$undocumented" ]; then
	ok "man page documents every long option of every command"
else
	fail "options missing from the man page:$undocumented"
fi

# GDB helper, in $(pkgdatadir).
if [ -f "$root/share/xrr/xrr-gdb.py" ]; then
	ok "xrr-gdb.py installed in $prefix/share/xrr"
else
	fail "xrr-gdb.py not installed in $prefix/share/xrr"
fi

# A user's own implant, built as xrr-implant.h says against the installed
# headers, loaded and called in a diversion of a replay by the installed
# xrr under GDB.
inc=$root/include/xrr
if [ -f "$inc/xrr-implant.h" ] && [ -f "$inc/checksum.h" ]; then
	ok "implant headers installed in $prefix/include/xrr"
else
	fail "implant headers missing from $prefix/include/xrr"
fi
cat >"$TEST_TMP/mine.c" <<'EOF'
#include <xrr-implant.h>
XRR_IMPLANT_EXPORT uint64_t weigh(const uint8_t *p, uint64_t n, uint64_t k)
{
	uint64_t s = 0;
	for (uint64_t i = 0; i < n; i++)
		s += p[i] * k;
	return s;
}
EOF
cc -O2 -ffreestanding -fPIC -fno-stack-protector -fvisibility=hidden \
	-nostdlib -shared -I"$inc" -o "$TEST_TMP/mine.so" "$TEST_TMP/mine.c" 2>"$TEST_TMP/cc.err"
cat >"$TEST_TMP/implant.gdb" <<GDB
target extended-remote | $bin replay -q --stdio $TEST_TMP/trace
break main
continue
monitor diversion start
monitor implant load $TEST_TMP/mine.so
eval "monitor implant call weigh 0x%lx 4 3", &main
p/x ((unsigned char *)&main)[0] * 3 + ((unsigned char *)&main)[1] * 3 + ((unsigned char *)&main)[2] * 3 + ((unsigned char *)&main)[3] * 3
monitor diversion end
GDB
timeout -k 5 120 "$GDB" -nx -batch -q -iex 'set debuginfod enabled off' \
	-x "$TEST_TMP/implant.gdb" "$TEST_TMP/prog" >"$TEST_TMP/implant.out" 2>&1 </dev/null
want=$(sed -n 's/^\$1 = 0x\([0-9a-f]*\)$/\1/p' "$TEST_TMP/implant.out")
if [ -n "$want" ] && grep -Eq "^weigh = 0x0*$want \(" "$TEST_TMP/implant.out"; then
	ok "a user implant built against the installed header runs in a diversion (weigh = 0x$want)"
else
	fail "user implant: expected weigh = 0x$want"
	sed 's/^/#   /' "$TEST_TMP/cc.err" "$TEST_TMP/implant.out" | tail -n 20
fi

# Bash completion: commands, options and trace names.
comp=$root/share/bash-completion/completions/xrr
if [ ! -f /usr/share/bash-completion/bash_completion ]; then
	skip "bash-completion is not installed here"
	skip "bash-completion is not installed here"
elif [ ! -f "$comp" ]; then
	fail "bash completion not installed"
	fail "bash completion not installed"
else
	mkdir -p "$TEST_TMP/traces/hello-1" "$TEST_TMP/traces/hello-2" "$TEST_TMP/traces/world-1"
	cat >"$TEST_TMP/comp.sh" <<EOF
source /usr/share/bash-completion/bash_completion
source "$comp"
PATH="$root/bin:\$PATH"
export XRR_TRACE_DIR="$TEST_TMP/traces"
comp() {
	COMP_WORDS=("\$@"); COMP_CWORD=\$((\${#COMP_WORDS[@]} - 1))
	COMP_LINE="\$*"; COMP_POINT=\${#COMP_LINE}; COMPREPLY=()
	_xrr
	printf '%s\n' "\${COMPREPLY[@]}" | sort | tr '\n' ' '; echo
}
comp xrr re
comp xrr replay hel
comp xrr record --x
EOF
	bash "$TEST_TMP/comp.sh" >"$TEST_TMP/comp.out" 2>&1
	if [ "$(sed -n 1p "$TEST_TMP/comp.out")" = "record replay " ]; then
		ok "completion: 'xrr re' offers record and replay"
	else
		fail "completion of 'xrr re': $(sed -n 1p "$TEST_TMP/comp.out")"
	fi
	if [ "$(sed -n 2p "$TEST_TMP/comp.out")" = "hello-1 hello-2 " ] &&
	   [ "$(sed -n 3p "$TEST_TMP/comp.out")" = "--xcr0 " ]; then
		ok "completion: trace names and a command's options"
	else
		fail "completion: '$(sed -n 2p "$TEST_TMP/comp.out")' / '$(sed -n 3p "$TEST_TMP/comp.out")'"
	fi
fi

if make -C "$top_builddir" uninstall DESTDIR="$stage" >"$TEST_TMP/uninstall.log" 2>&1 &&
   [ -z "$(find "$stage" -type f)" ]; then
	ok "make uninstall removes every installed file"
else
	fail "left after make uninstall: $(find "$stage" -type f | tr '\n' ' ')"
fi
