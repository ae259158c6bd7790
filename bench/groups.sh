#!/bin/bash
# bench/groups.sh BUILD: `boot` on fake hosts with 1, 4 and 8 GPU groups (a GPU and its
# audio function, each on a native driver) whose native drivers take SLOW_MS (300) ms
# to let a device go (tests/fakekernel --unbind-ms: a slow remove(), which the claim's
# unbind fallback waits for), measured two ways in one run: one worker per group (the
# agent as built) and one worker for all groups (the same sources built with
# VH_MAX_WORKERS=1: the groups in turn, as the agent did before). (The fake kernel cannot
# slow down one device's vfio-pci probe: it learns which device a drivers_probe write names
# only once the write is through, so a probe there binds every waiting device at once.)
# Prints, per host: the median boot time of each, the ratio to the floor (the slowest
# single group, 2 x SLOW_MS, plus the agent's own time with instant unbinds), forks per
# boot and system calls per PCI function. Goals (issue 10): within 1.5x of the floor, and
# fewer forks than groups + 2.
# Results also in BUILD/bench/groups.csv. Environment: RUNS (default 5) boots per figure.
set -u
build=${1:-build}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
out=$build/bench/groups
SLOW_MS=${SLOW_MS:-300}
RUNS=${RUNS:-5}
mkdir -p "$out" || exit 1
out=$(cd "$out" && pwd)

for t in strace python3 cc; do
	command -v "$t" >/dev/null || { echo "bench/groups: missing $t (sh tests/deps.sh bench)" >&2; exit 1; }
done

# The two agents, built the same way (glibc, -O2) from the same sources.
build_agent() { # build_agent OUT [CFLAGS...]
	local o=$1
	shift
	# shellcheck disable=SC2046 # the agent's sources, one word each
	cc -std=c11 -D_GNU_SOURCE -O2 "$@" -o "$o" $(ls "$repo"/agent/*.c) -lkmod ||
		{ echo "bench/groups: cannot build $o" >&2; exit 1; }
}
build_agent "$out/vfiohost-parallel"
build_agent "$out/vfiohost-sequential" -DVH_MAX_WORKERS=1

# host_file N: N groups of a GPU and its HDMI audio, on native drivers. Each function has a
# driver of its own name: writers to one fake unbind file held at the same time would write
# over each other's address (a kernel takes each write whole), so none share one.
host_file() {
	local g
	echo "# memtotal_kib: 67108864"
	for ((g = 1; g <= $1; g++)); do
		printf '0000:%02x:00.0 group=%d class=0300 id=10de:2684 driver=gpu%d\n' "$g" "$g" "$g"
		printf '0000:%02x:00.1 group=%d class=0403 id=10de:22ba driver=hda%d\n' "$g" "$g" "$g"
	done
}

# fresh N: a pristine tree for N groups in $out/root-N (boot changes the tree it runs on).
fresh() {
	local r=$out/root-$1
	rm -rf "$r" "$r.fakekernel.log"
	host_file "$1" >"$out/host-$1.host"
	"$repo/tests/mkhost" "$out/host-$1.host" "$r" >/dev/null || exit 1
	mkdir -p "$r/etc"
	printf '[vfio]\nbind = 10de:*\n' >"$r/etc/vfiohost.conf"
	chmod 0644 "$r/etc/vfiohost.conf"
	ROOT=$r
}

# serve SLOW_MS: the fake kernel on $ROOT; waits until it serves.
serve() {
	FK_LOG=$ROOT.fakekernel.log
	"$repo/tests/fakekernel" "$ROOT" --log "$FK_LOG" --timeout 60 --unbind-ms "$1" &
	FK_PID=$!
	for _ in $(seq 1 500); do
		grep -q '^ready' "$FK_LOG" 2>/dev/null && return 0
		sleep 0.01
	done
	echo "bench/groups: fakekernel did not start: $(cat "$FK_LOG")" >&2
	exit 1
}

unserve() { kill "$FK_PID" 2>/dev/null; wait "$FK_PID" 2>/dev/null; }

# one AGENT N SLOW_MS [WRAP...]: one boot; prints its wall time in seconds; checks that
# every function was bound.
one() {
	local agent=$1 n=$2 ms=$3 t0 t1 bound
	shift 3
	fresh "$n"
	serve "$ms"
	t0=$(date +%s.%N)
	"$@" "$agent" --root "$ROOT" --deadline 20 boot >/dev/null 2>&1
	t1=$(date +%s.%N)
	unserve
	bound=$(grep -c '"result": *"bound"' "$ROOT/run/vfiohost/report.json" 2>/dev/null)
	[ "${bound:-0}" = $((2 * n)) ] ||
		{ echo "bench/groups: $agent bound ${bound:-0} of $((2 * n)) functions" >&2; exit 1; }
	awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.4f\n", b - a }'
}

median() { sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

# runs AGENT N SLOW_MS: the median of RUNS boots.
runs() {
	local i
	for ((i = 0; i < RUNS; i++)); do one "$@"; done | median
}

# traced AGENT N: forks per boot and system calls per PCI function (instant unbinds).
traced() {
	local agent=$1 n=$2 forks calls
	one "$agent" "$n" 0 strace -f -qq -o "$out/trace-$n" -e trace=all >/dev/null
	forks=$(grep -cE '^[0-9]+ +(clone|clone3|fork|vfork)\(' "$out/trace-$n")
	calls=$(grep -cE '^[0-9]+ +[a-z_0-9]+\(' "$out/trace-$n")
	echo "$forks $(awk -v c="$calls" -v f=$((2 * n)) 'BEGIN { printf "%.1f", c / f }')"
}

echo "bench/groups: boot on fake hosts whose native drivers take $SLOW_MS ms to let each device go (median of $RUNS)"
printf '%-7s %12s %12s %10s %9s %9s %8s %13s\n' groups sequential parallel "own time" floor \
	"par/floor" forks "syscalls/fn"
echo "groups,sequential_s,parallel_s,own_s,floor_s,ratio,forks,syscalls_per_fn" >"$build/bench/groups.csv"
for n in 1 4 8; do
	seq_t=$(runs "$out/vfiohost-sequential" "$n" "$SLOW_MS")
	par_t=$(runs "$out/vfiohost-parallel" "$n" "$SLOW_MS")
	own=$(runs "$out/vfiohost-parallel" "$n" 0)
	read -r forks spf < <(traced "$out/vfiohost-parallel" "$n")
	floor=$(awk -v o="$own" -v p="$SLOW_MS" 'BEGIN { printf "%.4f", o + 2 * p / 1000 }')
	ratio=$(awk -v a="$par_t" -v b="$floor" 'BEGIN { printf "%.2f", a / b }')
	printf '%-7s %11.3fs %11.3fs %9.3fs %8.3fs %9s %8s %13s\n' "$n" "$seq_t" "$par_t" "$own" \
		"$floor" "${ratio}x" "$forks" "$spf"
	echo "$n,$seq_t,$par_t,$own,$floor,$ratio,$forks,$spf" >>"$build/bench/groups.csv"
done
echo "goals: parallel within 1.5x of the floor; fewer forks than groups + 2"
