#!/bin/sh
# Install the Debian packages a target needs: apt-get when root, otherwise print the command.
# usage: tests/deps.sh build|test|e2e|bench|all
set -u

pkgs_build="make gcc musl-tools musl-dev linux-libc-dev libkmod-dev pkg-config dpkg-dev"
pkgs_test="bats bats-support bats-assert pciutils busybox jq python3 shellcheck clang libclang-rt-14-dev clang-format valgrind strace file man-db"
pkgs_e2e="linux-image-amd64 qemu-system-x86 dracut-core initramfs-tools zstd cpio kmod jq"
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

missing=""
for p in $want; do
	case " $missing " in *" $p "*) continue ;; esac
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" != 0 ]; then
	echo "vfiohost: missing Debian packages; run as root:" >&2
	echo "  apt-get update && apt-get install -y --no-install-recommends$missing" >&2
	exit 1
fi
echo "vfiohost: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >/dev/null || { echo "deps.sh: apt-get update failed" >&2; exit 1; }
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing >/dev/null ||
	{ echo "deps.sh: apt-get install$missing failed" >&2; exit 1; }
