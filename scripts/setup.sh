# Sourced by scripts/check and scripts/demo: install what is missing on a
# Debian 12 machine, then bootstrap the autotools build.  Idempotent.

XRR_DEBIAN_PACKAGES="build-essential autoconf automake libtool pkg-config
 libelf-dev libdwarf-dev libreadline-dev libcunit1-dev libzstd-dev libssl-dev
 libzydis-dev clang libclang-rt-14-dev gdb gdbserver strace xxhash libxxhash-dev
 sqlite3 python3 procps libseccomp-dev bubblewrap man-db
 libarchive-dev lldb-15 bash-completion libexpat1-dev"

xrr_install_deps() {
	local missing=() pkg
	for pkg in $XRR_DEBIAN_PACKAGES; do
		dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'ok installed' ||
			missing+=("$pkg")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	echo "xrr: installing missing packages: ${missing[*]}"
	local sudo=
	[ "$(id -u)" -eq 0 ] || sudo=sudo
	$sudo apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

xrr_bootstrap() {
	if [ ! -x configure ] || [ configure.ac -nt configure ] || [ ! -f build-aux/tap-driver.sh ] || [ ! -f build-aux/test-driver ]; then
		autoreconf -fi >/dev/null
	fi
}

# xrr_configure BUILDDIR [configure args...]: out-of-tree build directory.
xrr_configure() {
	local dir=$1
	shift
	mkdir -p "$dir"
	local src
	src=$(pwd)
	if [ ! -f "$dir/Makefile" ] || [ "$dir/config.status" -ot configure ] ||
	   [ "$(cat "$dir/.xrr-configure-args" 2>/dev/null)" != "$*" ]; then
		(cd "$dir" && "$src/configure" "$@" >configure.out 2>&1) || {
			tail -n 30 "$dir/configure.out"
			return 1
		}
		echo "$*" >"$dir/.xrr-configure-args"
	fi
}
