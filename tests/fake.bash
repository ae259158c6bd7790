# Shared by the bats files that make `vfiohost boot` act: the kernel's side of a fake tree
# (tests/fakekernel), snapshots of a tree, faults, and timing.  Load after helpers.bash:
#   load helpers
#   load fake
# and clean up in teardown:  teardown() { fake_teardown; }

FAKEKERNEL="$TESTS_DIR/fakekernel"

# mkhost NAME|PATH [MIN_MB]: replaces the one of helpers.bash (mkhost_text uses it too): the
# same tree, but on tmpfs (/dev/shm) when that has MIN_MB (default 256) free, as these tests
# build, write and snapshot whole trees, several times faster there than on a disk.  A file
# that loads fake.bash must call fake_teardown in its teardown, which removes it.
mkhost() {
	local src="$1" dir="$BATS_TEST_TMPDIR"
	if [ "$(df -Pm /dev/shm 2>/dev/null | awk 'NR == 2 { print $4 }')" -ge "${2:-256}" ] 2>/dev/null; then
		FAKE_SHM=${FAKE_SHM:-$(mktemp -d /dev/shm/vfiohost-test.XXXXXX)}
		dir=$FAKE_SHM
	fi
	ROOT="$dir/root"
	rm -rf "$ROOT"
	python3 "$TESTS_DIR/mkhost" "$src" "$ROOT" >/dev/null
}

# fake_teardown: stops the fake kernel and removes a tree on tmpfs (every file's teardown).
fake_teardown() {
	local rc=0
	fk_stop || rc=$?
	[ -z "${FAKE_SHM:-}" ] || rm -rf "$FAKE_SHM"
	FAKE_SHM=
	return "$rc"
}

# vh_run ARGS...: `run vh ARGS...`, failing on any sanitizer report in the output: the ASan
# build exits 1 on an error, which a test expecting exit 1 would take for the agent's answer.
vh_run() {
	run vh "$@"
	# shellcheck disable=SC2154 # $output is set by bats' run
	if grep -q 'Sanitizer\|runtime error:' <<<"$output"; then
		printf '%s\n' "$output" >&2
		return 1
	fi
}

# fk_start [OPTIONS]: serves $ROOT with tests/fakekernel (OPTIONS as in its header) and returns
# once it is serving; its log is $FK_LOG.  fd 3 is closed for it, or bats would wait on it.
fk_start() {
	FK_LOG="$BATS_TEST_TMPDIR/fakekernel.log"
	: >"$FK_LOG"
	"$FAKEKERNEL" "$ROOT" --log "$FK_LOG" --timeout "${FK_TIMEOUT:-60}" "$@" 3>&- &
	FK_PID=$!
	local _
	for _ in $(seq 1 1000); do
		grep -q '^ready' "$FK_LOG" && return 0
		if ! kill -0 "$FK_PID" 2>/dev/null; then
			wait "$FK_PID" || true
			FK_PID=
			echo "fakekernel did not start: $(cat "$FK_LOG")" >&2
			return 1
		fi
		sleep 0.01
	done
	echo "fakekernel not ready after 10 s" >&2
	return 1
}

# fk_stop: stops the fake kernel (SIGTERM); fails unless it stopped cleanly.
fk_stop() {
	local rc=0
	[ -n "${FK_PID:-}" ] || return 0
	kill -TERM "$FK_PID" 2>/dev/null || true
	wait "$FK_PID" || rc=$?
	FK_PID=
	if [ "$rc" -ne 0 ] || ! grep -q '^stop SIGTERM$' "$FK_LOG"; then
		echo "fakekernel stopped badly (status $rc): $(tail -3 "$FK_LOG")" >&2
		return 1
	fi
}

# fk_events WORD: the fake kernel's log lines starting with WORD, without it (e.g. fk_events bind).
fk_events() {
	sed -n "s/^$1 //p" "$FK_LOG"
}

# fk_move BDF DRIVER|none: what a driver taking a device (or letting it go) does to the tree.
fk_move() {
	"$FAKEKERNEL" "$ROOT" --log "$BATS_TEST_TMPDIR/fakekernel-move.log" --move "$1=$2" --no-serve
}

# dev_rel BDF: the device directory of BDF, relative to $ROOT (sys/devices/pciDDDD:BB/BDF).
dev_rel() {
	realpath --relative-to="$ROOT" "$ROOT/sys/bus/pci/devices/$1"
}

# driver_of BDF: the driver holding BDF now, or "none".
driver_of() {
	local link
	link=$(readlink "$ROOT/sys/bus/pci/devices/$1/driver") && basename "$link" || echo none
}

# kmsg_vh: the records vfiohost wrote to the fake /dev/kmsg.
kmsg_vh() {
	grep 'vfiohost\[[0-9]*\]: ' "$ROOT/dev/kmsg" || true
}

# result BDF: the boot report's result for BDF.
result() {
	jq -r --arg b "$1" '.functions[] | select(.bdf == $b) | .result' "$ROOT/run/vfiohost/report.json"
}

# snapshot FILE: every path under $ROOT with its type, mode and content digest or link target.
# FIFOs are never opened (a hung one would block the snapshot).
snapshot() {
	python3 - "$ROOT" >"$1" <<'EOF'
import hashlib, os, stat, sys
root = sys.argv[1]
for top, dirs, files in os.walk(root):
    for name in dirs + files:
        path = os.path.join(top, name)
        st = os.lstat(path)
        mode = stat.S_IMODE(st.st_mode)
        if stat.S_ISLNK(st.st_mode):
            what = "link " + os.readlink(path)
        elif stat.S_ISREG(st.st_mode):
            with open(path, "rb") as f:
                what = "file %o %s" % (mode, hashlib.sha1(f.read()).hexdigest())
        elif stat.S_ISDIR(st.st_mode):
            what = "dir %o" % mode
        else:
            what = "special %o %o" % (stat.S_IFMT(st.st_mode), mode)
        print(os.path.relpath(path, root) + "\t" + what)
EOF
	sort -o "$1" "$1"
}

# changed BEFORE AFTER: the paths that were added, removed or changed between two snapshots.
changed() {
	diff "$1" "$2" | sed -n 's/^[<>] \([^	]*\)	.*/\1/p' | sort -u
}

# boot_changes STATUS PATH...: `boot` (deadline 2 s) exits STATUS (a number, or nonzero)
# and changes exactly these paths of the tree, nothing else.
boot_changes() {
	local want="$1"
	shift
	snapshot "$BATS_TEST_TMPDIR/before"
	vh_run --deadline 2 boot
	if [ "$want" = nonzero ]; then assert_failure; else assert_equal "$status" "$want"; fi
	snapshot "$BATS_TEST_TMPDIR/after"
	run changed "$BATS_TEST_TMPDIR/before" "$BATS_TEST_TMPDIR/after"
	assert_output "$(printf '%s\n' "$@" | sort -u)"
}

# vh_nodac ARGS...: vfiohost as root without CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH, so
# file modes bind it (how a fake tree gets EACCES: root ignores modes otherwise).
vh_nodac() {
	setpriv --inh-caps=-dac_override,-dac_read_search \
		--bounding-set=-dac_override,-dac_read_search -- "$VFIOHOST" --root "$ROOT" "$@"
}

# vh_inject ERRNO PATH ARGS...: vfiohost with every write(2) to $ROOT/PATH failing with ERRNO
# (strace fault injection: the exact errors a plain tree cannot give).  LeakSanitizer cannot
# run under a tracer, so leak checking is off for this run only.
vh_inject() {
	local err="$1" path
	path=$(realpath "$ROOT/$2")
	shift 2
	ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
		strace -f -qq -o /dev/null -e trace=write -e inject=write:error="$err" -P "$path" \
		"$VFIOHOST" --root "$ROOT" "$@"
}

# vh_inject_probe ERRNO ARGS...: vfiohost with every open of drivers_probe failing with ERRNO.
# The write cannot be matched (the fake kernel swaps the file under the writer: the writer's
# descriptor names "drivers_probe (deleted)"), so the open is, by the string the agent passes
# (../drivers_probe, from sys/bus/pci/devices), with strace run from that directory.
vh_inject_probe() {
	local err="$1"
	shift
	(cd "$ROOT/sys/bus/pci/devices" &&
		ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
			strace -f -qq -o /dev/null -e trace=openat -e inject=openat:error="$err" \
			-P ../drivers_probe "$VFIOHOST" --root "$ROOT" "$@")
}

# now: seconds since the epoch, with nanoseconds.  since T0: seconds elapsed since T0.
now() {
	date +%s.%N
}
since() {
	awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.3f\n", b - a }'
}

# less_than A B: succeeds when A < B (decimals), and says the figures when not.
less_than() {
	awk -v a="$1" -v b="$2" 'BEGIN { exit !(a < b) }' || {
		echo "expected $1 < $2" >&2
		return 1
	}
}

# mkhost_act [CMDLINE]: the host most acting tests use, built into $ROOT.
#   group 1  a CPU root port, an RTX 3070 on nouveau and its audio on snd_hda_intel
#   group 2  a Tesla T4 with no driver (early boot)
#   group 3  a Tesla T4 already on vfio-pci
#   group 4  a NIC on igb; group 5 the boot iGPU on i915; group 6 the board's audio on
#            snd_hda_intel (the same driver as the GPU's audio, never to be touched)
# 64 GiB on one node.  `bind = 10de:*` binds 01:00.0, 01:00.1 and 02:00.0 and keeps 03:00.0.
mkhost_act() {
	mkhost_text <<EOF
# note: acting tests: one GPU on native drivers, one with no driver, one already on vfio-pci
# memtotal_kib: 67108864
# cmdline: ${1:-BOOT_IMAGE=/boot/vmlinuz-6.1.0-28-amd64 root=/dev/sda1 ro quiet intel_iommu=on iommu=pt}
0000:00:00.0 group=0 class=0600 id=8086:3e30 driver=skl_uncore
0000:00:01.0 group=1 class=0604 id=8086:1901 driver=pcieport
0000:01:00.0 group=1 class=0300 id=10de:2484 driver=nouveau
0000:01:00.1 group=1 class=0403 id=10de:228b driver=snd_hda_intel
0000:02:00.0 group=2 class=0302 id=10de:1eb8
0000:03:00.0 group=3 class=0302 id=10de:1eb8 driver=vfio-pci
0000:04:00.0 group=4 class=0200 id=8086:1539 driver=igb
0000:00:02.0 group=5 class=0300 id=8086:3e98 driver=i915 boot_vga=1
0000:00:1f.3 group=6 class=0403 id=8086:a348 driver=snd_hda_intel
EOF
}

# policy_act [EXTRA LINES]: `bind = 10de:*`, then the lines given (e.g. a [hugepages] section).
policy_act() {
	printf '[vfio]\nbind = 10de:*\n%s' "${1:-}" | policy
}

# boot_without_groups: mkhost_act booted with policy_act on a fake kernel without VFIO
# groups (only /dev/vfio/devices/vfioN); the fake kernel stopped after. Skips unless root.
boot_without_groups() {
	[ "$(id -u)" = 0 ] || skip "the fake kernel makes character devices with mknod: root only"
	mkhost_act
	policy_act
	fk_start --no-vfio-group
	vh_run --deadline 5 boot
	assert_success
	fk_stop
}
