#!/bin/sh
# Install the Debian packages a target needs: apt-get when root, otherwise print the command.
# Debian 12 and 13 (and unstable) differ only where a name carries a version: clang's
# runtime is libclang-rt-N-dev for the release's default clang N.
# usage: tests/deps.sh build|test|e2e|bench|all
set -u

pkgs_build="make gcc musl-tools musl-dev linux-libc-dev libkmod-dev pkgconf dpkg-dev xz-utils"
pkgs_test="bats bats-support bats-assert pciutils busybox jq python3 shellcheck clang @clang-rt
	clang-format valgrind strace file man-db
	build-essential debhelper lintian devscripts equivs mmdebstrap fakeroot prometheus bash-completion
	ansible"
# systemd: dracut puts systemd in the image where the host has it (its default mode).
# e2fsprogs, mmdebstrap: the boot on to a real root (an ext4 image of a fresh Debian root).
# linux-headers-amd64: the test kernel modules (tests/e2e/kmod) build against them.
pkgs_e2e="linux-image-amd64 linux-headers-amd64 qemu-system-x86 dracut-core initramfs-tools
	busybox zstd xz-utils cpio kmod jq systemd e2fsprogs mmdebstrap"
pkgs_bench="hyperfine strace gnuplot-nox busybox pciutils"

want=""
for t in "$@"; do
	case "$t" in
	build) want="$want $pkgs_build" ;;
	test) want="$want $pkgs_build $pkgs_test" ;;
	e2e) want="$want $pkgs_build $pkgs_e2e" ;;
	bench) want="$want $pkgs_build $pkgs_test $pkgs_bench" ;;
	all) want="$want $pkgs_build $pkgs_test $pkgs_e2e $pkgs_bench" ;;
	*) echo "deps.sh: unknown target '$t' (build|test|e2e|bench|all)" >&2; exit 2 ;;
	esac
done

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }

# The major version of the release's default clang: from the installed clang package,
# else from the archive's (needs apt lists); empty when neither tells.
clang_major() {
	{
		dpkg-query -W -f='${Depends}\n' clang 2>/dev/null
		apt-cache depends clang 2>/dev/null
	} | grep -o 'clang-[0-9][0-9]*' | head -n 1 | cut -d- -f2
}

updated=0
update() {
	[ "$updated" = 1 ] && return 0
	echo "vfiohost: apt-get update" >&2
	DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null ||
		{ echo "deps.sh: apt-get update failed" >&2; exit 1; }
	updated=1
}

missing=""
for p in $want; do
	if [ "$p" = @clang-rt ]; then
		v=$(clang_major)
		if [ -z "$v" ] && [ "$(id -u)" = 0 ]; then
			update
			v=$(clang_major)
		fi
		[ -n "$v" ] || { echo "deps.sh: cannot tell the default clang's version (apt-get update?)" >&2; exit 1; }
		p=libclang-rt-$v-dev
	fi
	case " $missing " in *" $p "*) continue ;; esac
	installed "$p" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" != 0 ]; then
	echo "vfiohost: missing Debian packages; run as root:" >&2
	echo "  apt-get update && apt-get install -y --no-install-recommends$missing" >&2
	exit 1
fi
echo "vfiohost: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
update
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing >/dev/null ||
	{ echo "deps.sh: apt-get install$missing failed" >&2; exit 1; }
