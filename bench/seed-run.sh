#!/bin/sh
# seed-run.sh: run the seed guide's check script ($SEED_SCRIPT, verbatim: bench/run.sh
# takes it from the guide GUIDE= names into the build folder) against a fake root, as if
# that root were the machine's.
#
# usage: SEED_SCRIPT=FILE seed-run.sh [-m ns|sed] [-k COUNTFILE] ROOT
#   -m ns   (default when `unshare -m` works, i.e. as root) a private mount namespace in
#           which ROOT/sys is bind-mounted on /sys and ROOT/proc/{cmdline,cpuinfo} on
#           /proc/{cmdline,cpuinfo}: the script and the real lspci and lscpu run unchanged
#           and read the paths they would read on a real host.
#   -m sed  (without privileges) a copy of the script with its absolute paths
#           /sys/kernel/iommu_groups, /proc/cmdline and /proc/cpuinfo rewritten to ROOT,
#           and an lspci shim that adds -A linux-sysfs -O sysfs.path=ROOT/sys/bus/pci.
#           lscpu then reports this machine's CPU vendor (text only; no decision uses it).
#   -k F    count the script's lspci calls, a line per call appended to F (used to
#           extrapolate a run stopped by a timeout; adds a small sh per call).
# In both modes journalctl (and dmesg) are shims printing ROOT/dev/kmsg (bench/shim).
set -u
here=$(cd "$(dirname "$0")" && pwd)
mode=
count=
while [ $# -gt 1 ]; do
	case $1 in
	-m) mode=$2; shift 2 ;;
	-k) count=$2; shift 2 ;;
	*) break ;;
	esac
done
if [ $# -ne 1 ] || [ ! -d "$1/sys" ]; then
	echo "usage: seed-run.sh [-m ns|sed] [-k COUNTFILE] ROOT" >&2
	exit 2
fi
root=$(cd "$1" && pwd)
script=${SEED_SCRIPT:-}
if [ ! -r "$script" ]; then
	echo "seed-run.sh: SEED_SCRIPT= does not name the seed guide's check script (bench/run.sh takes it from GUIDE=)" >&2
	exit 2
fi
if [ -z "$mode" ]; then
	mode="sed"
	unshare -m --propagation private true 2>/dev/null && mode="ns"
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/seed-run.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM
mkdir "$tmp/bin"
lspci=$(command -v lspci) || { echo "seed-run.sh: lspci is missing (pciutils)" >&2; exit 1; }
case $mode in
ns) opts= ;;
sed) opts="-A linux-sysfs -O sysfs.path=$root/sys/bus/pci" ;;
*) echo "seed-run.sh: -m ns or -m sed" >&2; exit 2 ;;
esac
if [ -n "$count" ] || [ "$mode" = sed ]; then
	# shellcheck disable=SC2016 # expanded by the shim
	printf '#!/bin/sh\n%sexec %s %s "$@"\n' "${count:+echo >>$count; }" "$lspci" "$opts" \
		>"$tmp/bin/lspci"
	chmod +x "$tmp/bin/lspci"
fi
export BENCH_ROOT="$root" PATH="$tmp/bin:$here/shim:$PATH" LC_ALL=C
if [ "$mode" = sed ]; then
	sed -e "s|/sys/kernel/iommu_groups|$root/sys/kernel/iommu_groups|g" \
		-e "s|/proc/cmdline|$root/proc/cmdline|g" -e "s|/proc/cpuinfo|$root/proc/cpuinfo|g" \
		"$script" >"$tmp/seed-check.bash"
	bash "$tmp/seed-check.bash"
	exit $?
fi
# shellcheck disable=SC2016 # expanded by the inner sh
unshare -m --propagation private sh -c '
	mount --bind "$BENCH_ROOT/sys" /sys &&
	mount --bind "$BENCH_ROOT/proc/cmdline" /proc/cmdline &&
	mount --bind "$BENCH_ROOT/proc/cpuinfo" /proc/cpuinfo || exit 1
	exec bash "$1"' sh "$script"
