#!/bin/bash
# bench/run.sh BUILD: `make bench`. Builds the benchmark hosts (bench/genhosts.py, with
# tests/mkhost) into BUILD/bench, then measures vfiohost against the shell way
# (bench/measure.py): tables on stdout, BUILD/bench/results.csv and BUILD/bench/scaling.png.
# Environment: GUIDE=FILE the seed guide (host-setup-guide.txt), whose check script is the
# reference every table compares with (the project does not carry it: without GUIDE the
# bench is skipped, with the reason); BENCH_FULL=1 lifts the caps on the slow references;
# BENCH_CAP=S sets them.
set -u
build=${1:-build}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
start=$(date +%s)

# Groups in parallel against in turn (issue 10): needs no seed guide.
bash "$here/groups.sh" "$build" || exit 1
echo
# 1 GiB pages, the kernel's hugepages= against vfiohost, in the test VM (issue 15): 4 boots.
bash "$here/hugepages.sh" "$build" || exit 1
echo

if [ -z "${GUIDE:-}" ]; then
	echo "bench: the rest skipped: GUIDE= does not name the seed guide (host-setup-guide.txt): the seed check it is measured against is that guide's script (GUIDE=/path/to/host-setup-guide.txt make bench)" >&2
	exit 0
fi
if [ ! -r "$GUIDE" ]; then
	echo "bench: GUIDE=$GUIDE: cannot read the seed guide there" >&2
	exit 1
fi

missing=
for t in python3 busybox lspci lscpu strace valgrind gnuplot unshare bash sed; do
	command -v "$t" >/dev/null || missing+=" $t"
done
if [ -n "$missing" ]; then
	echo "bench: missing:$missing (sh tests/deps.sh bench)" >&2
	exit 1
fi
if [ ! -x "$build/vfiohost" ]; then
	echo "bench: no $build/vfiohost (make)" >&2
	exit 1
fi

# out/tmp holds the temporary folders of seed-run.sh; a capped (killed) run leaves its own.
rm -rf "$build/bench/out/tmp"
mkdir -p "$build/bench/out/tmp"
# The peak-RSS helper: static and tiny, so that its own pages do not count (bench/maxrss.c).
cc=musl-gcc
command -v "$cc" >/dev/null || cc=cc
"$cc" -static -Os -o "$build/bench/maxrss" "$here/maxrss.c" 2>/dev/null ||
	cc -Os -o "$build/bench/maxrss" "$here/maxrss.c" || exit 1
# The seed check: the guide's script (section 2, from its shebang to the sample summary),
# byte for byte, into the build folder; seed-run.sh and measure.py read it there.
SEED_SCRIPT=$(cd "$build/bench" && pwd)/seed-check.bash
sed -n '/^#!\/usr\/bin\/env bash$/,/^Here is what a good summary should look like:$/p' "$GUIDE" |
	sed '$d' >"$SEED_SCRIPT" || exit 1
if [ "$(head -n 1 "$SEED_SCRIPT")" != "#!/usr/bin/env bash" ]; then
	echo "bench: GUIDE=$GUIDE: no check script found in it (section 2)" >&2
	exit 1
fi
export GUIDE SEED_SCRIPT
echo "bench: building the hosts into $build/bench (the first time takes a few minutes:"
echo "       the 30,000-function tree holds ~800,000 files; later runs reuse it)"
python3 "$here/genhosts.py" "$build/bench" | sed 's/^/  /' || exit 1
echo "  hosts built in $(($(date +%s) - start)) s"
echo
TMPDIR=$PWD/$build/bench/out/tmp python3 "$here/measure.py" "$build" || exit 1
echo
echo "make bench took $(($(date +%s) - start)) s; table above, $build/bench/results.csv,"
echo "plot: $build/bench/scaling.png"
