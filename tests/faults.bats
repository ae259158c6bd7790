#!/usr/bin/env bats
# `vfiohost boot` under faults (issue 5): writes that hang or fail, probes that do not bind,
# bad host trees, and a trace of every path boot writes.  Each: no crash, the exit status of
# SPEC section 2, a log line naming the function, a report entry, and the rest still done.
# The hang tests use deadlines of 1-2 s and check a bound with generous slack: not benchmarks.

bats_require_minimum_version 1.5.0
load helpers
load fake

LOCKED=()

teardown() {
	unlock_overrides
	fake_teardown
}

# mkhost_faults [LINES...]: three groups to bind and a NIC, plus the lines given.
#   group 1  01:00.0  Tesla T4, no driver (early boot)
#   group 2  02:00.0  RTX 3070 on nouveau, 02:00.1 its audio on snd_hda_intel
#   group 3  03:00.0  RTX 3070 on nvidia,  03:00.1 its audio on snd_hda_intel
#   group 4  04:00.0  a NIC on igb
mkhost_faults() {
	{
		cat <<'EOF'
# note: faults: a GPU with no driver, two GPUs with audio on native drivers, a NIC
# memtotal_kib: 67108864
0000:01:00.0 group=1 class=0302 id=10de:1eb8
0000:02:00.0 group=2 class=0300 id=10de:2484 driver=nouveau
0000:02:00.1 group=2 class=0403 id=10de:228b driver=snd_hda_intel
0000:03:00.0 group=3 class=0300 id=10de:2484 driver=nvidia
0000:03:00.1 group=3 class=0403 id=10de:228b driver=snd_hda_intel
0000:04:00.0 group=4 class=0200 id=8086:1539 driver=igb
EOF
		local line
		for line in "$@"; do echo "$line"; done
	} >"$BATS_TEST_TMPDIR/faults.host"
	mkhost "$BATS_TEST_TMPDIR/faults.host"
	printf '[vfio]\nbind = 10de:*\n' | policy
}

# assert_bound BDF...: each is on vfio-pci and the report says bound.
assert_bound() {
	local bdf
	for bdf in "$@"; do
		[ "$(driver_of "$bdf")" = vfio-pci ] || { echo "$bdf is on $(driver_of "$bdf")" >&2; return 1; }
		[ "$(result "$bdf")" = bound ] || { echo "$bdf: $(result "$bdf")" >&2; return 1; }
	done
}

# boot_timed DEADLINE: boot with that --deadline; $elapsed is how long it took.
boot_timed() {
	local t0
	t0=$(now)
	vh_run --deadline "$1" boot
	elapsed=$(since "$t0")
}

# ---------------------------------------------------------------- writes that hang

@test "a hung unbind: boot ends by its deadline, names the function and reports it failed" {
	mkhost_faults
	fk_start --hang-unbind 0000:02:00.0
	boot_timed 1
	assert_failure 1
	less_than "$elapsed" 2.5
	run kmsg_vh
	assert_line --regexp "^<11>vfiohost\[[0-9]+\]: 0000:02:00.0 10de:2484 VGA: unbinding from its driver failed: it hung"
	[[ "$(result 0000:02:00.0)" == "failed: unbinding from its driver: "*hung* ]]
	[[ "$(result 0000:02:00.1)" == "failed: group 2 rolled back"* ]]
}

@test "a hung unbind leaves the other groups bound" {
	mkhost_faults
	fk_start --hang-unbind 0000:02:00.0
	boot_timed 1
	assert_failure 1
	less_than "$elapsed" 2.5
	assert_bound 0000:01:00.0 0000:03:00.0 0000:03:00.1
}

@test "after a hung unbind, only the function that hung is said to have hung" {
	mkhost_faults
	fk_start --hang-unbind 0000:02:00.0
	boot_timed 1
	run kmsg_vh
	assert_line --partial "0000:02:00.0 10de:2484 VGA: unbinding from its driver failed: it hung"
	refute_line --regexp "0000:0[13]:00\.[01] .*hung"
}

@test "a hung probe: boot ends by its deadline and reports failed: writing drivers_probe" {
	mkhost_faults
	fk_start --hang-probe
	boot_timed 1
	assert_failure 1
	less_than "$elapsed" 2.5
	[[ "$(result 0000:01:00.0)" == "failed: writing drivers_probe: "*hung* ]]
	run kmsg_vh
	assert_line --regexp "0000:01:00.0 10de:1eb8 3D: writing drivers_probe failed: it hung"
}

# ------------------------------------------------- a device whose lock a hung probe holds
# On a kernel, driver_override's show and store take the device lock, which a driver whose
# probe or remove never ends holds for good. A FIFO nobody writes stands for that: its
# open(2) blocks. Deadline 4 s: boot must return in under 6, report, name the function, and
# claim every other one; plan must not wait for it either.

# lock_override BDF: BDF's driver_override blocks every reader and writer, until
# unlock_overrides (teardown) lets the lock go, as the hung probe would in the end.
lock_override() {
	local f="$ROOT/sys/bus/pci/devices/$1/driver_override"
	rm -f "$f" && mkfifo -m 0644 "$f"
	LOCKED+=("$f")
}

unlock_overrides() {
	local f
	for f in "${LOCKED[@]}"; do
		# Opening a FIFO for reading and writing never blocks, and lets its waiters through.
		[ -p "$f" ] && timeout 2 sh -c 'exec 5<>"$1"; sleep 0.2' sh "$f"
	done
	LOCKED=()
}

# claimed BDF...: each is on vfio-pci, or at least has driver_override vfio-pci.
claimed() {
	local bdf f
	for bdf in "$@"; do
		f="$ROOT/sys/bus/pci/devices/$bdf/driver_override"
		[ "$(driver_of "$bdf")" = vfio-pci ] || [ "$(head -n 1 "$f")" = vfio-pci ] ||
			{ echo "$bdf is neither on vfio-pci nor claimed ($(driver_of "$bdf"))" >&2; return 1; }
	done
}

# locked_boot BDF: boot --deadline 4 with BDF's lock held; checks the bound and the naming.
locked_boot() {
	mkhost_faults
	lock_override "$1"
	fk_start
	boot_timed 4
	assert_failure 1
	less_than "$elapsed" 6
	[ -s "$ROOT/run/vfiohost/report.json" ]
	[[ "$(result "$1")" == "failed: writing driver_override: "*hung* ]]
	run kmsg_vh
	assert_line --regexp "^<11>vfiohost\[[0-9]+\]: $1 [0-9a-f:]+ [A-Za-z0-9]+: writing driver_override failed: it hung"
}

@test "a locked first GPU: boot returns in time, names it, and claims every other function" {
	locked_boot 0000:01:00.0
	assert_bound 0000:02:00.0 0000:02:00.1 0000:03:00.0 0000:03:00.1
}

@test "a locked last GPU: boot returns in time, names it, rolls back its audio, binds the rest" {
	locked_boot 0000:03:00.0
	[[ "$(result 0000:03:00.1)" == "failed: group 3 rolled back (0000:03:00.0 failed)" ]]
	assert_bound 0000:01:00.0 0000:02:00.0 0000:02:00.1
}

@test "a locked second function of a group: its partner is rolled back to its driver, the rest bound" {
	locked_boot 0000:02:00.1
	[ "$(result 0000:02:00.0)" = "failed: group 2 rolled back (0000:02:00.1 failed)" ]
	# Taken from nouveau by the claim, given back by the rollback.
	[ "$(driver_of 0000:02:00.0)" = nouveau ]
	[ -z "$(head -n 1 "$ROOT/sys/bus/pci/devices/0000:02:00.0/driver_override")" ]
	assert_bound 0000:01:00.0 0000:03:00.0 0000:03:00.1
}

@test "a locked device is never written again: the rollback leaves it alone" {
	mkhost_faults
	lock_override 0000:02:00.1
	fk_start
	run strace -f -qq -e trace=openat -o "$BATS_TEST_TMPDIR/open.trace" \
		"$VFIOHOST" --root "$ROOT" --deadline 4 boot
	# One open of the FIFO (the claim's read, abandoned), never a second.
	[ "$(grep -c '0000:02:00.1/driver_override' "$BATS_TEST_TMPDIR/open.trace")" = 1 ]
}

@test "a hung drivers_probe with --deadline 4: boot returns in under 6 s, every function claimed" {
	mkhost_faults
	fk_start --hang-probe
	boot_timed 4
	assert_failure 1
	less_than "$elapsed" 6
	[[ "$(result 0000:02:00.0)" == "failed: writing drivers_probe: "*hung* ]]
	claimed 0000:01:00.0 0000:02:00.0 0000:02:00.1 0000:03:00.0 0000:03:00.1
}

@test "plan does not wait for a locked device: it warns, naming the function" {
	mkhost_faults
	lock_override 0000:03:00.0
	local t0
	t0=$(now)
	vh_run plan
	less_than "$(since "$t0")" 3
	assert_failure 1
	assert_output --partial "0000:03:00.0 10de:2484 VGA: reading driver_override hung"
}

# ---------------------------------------------------------------- writes that fail

@test "driver_override that cannot be written (EISDIR): logged, reported, group rolled back, others bound" {
	mkhost_faults
	fk_start --fail-write sys/bus/pci/devices/0000:02:00.1/driver_override=EISDIR
	vh_run --deadline 5 boot
	assert_failure 1
	run kmsg_vh
	assert_line --regexp "^<11>vfiohost\[[0-9]+\]: 0000:02:00.1 10de:228b Audio: writing driver_override failed: Is a directory$"
	assert_line --partial "group 2: rolled back"
	[ "$(result 0000:02:00.1)" = "failed: writing driver_override: Is a directory" ]
	[ "$(result 0000:02:00.0)" = "failed: group 2 rolled back (0000:02:00.1 failed)" ]
	# Rolled back: 02:00.0 was taken from nouveau, and went back to it.
	[ "$(driver_of 0000:02:00.0)" = nouveau ] && [ "$(driver_of 0000:02:00.1)" = snd_hda_intel ]
	assert_bound 0000:01:00.0 0000:03:00.0 0000:03:00.1
}

@test "driver_override refused by its mode (EACCES): logged, reported, others bound" {
	mkhost_faults
	fk_start --fail-write sys/bus/pci/devices/0000:03:00.0/driver_override=EACCES
	run vh_nodac --deadline 5 boot
	refute_output --regexp 'Sanitizer|runtime error:'
	assert_failure 1
	run kmsg_vh
	assert_line --partial "0000:03:00.0 10de:2484 VGA: writing driver_override failed: Permission denied"
	[ "$(result 0000:03:00.0)" = "failed: writing driver_override: Permission denied" ]
	[[ "$(result 0000:03:00.1)" == "failed: group 3 rolled back"* ]]
	[ "$(driver_of 0000:03:00.0)" = nvidia ] && [ "$(driver_of 0000:03:00.1)" = snd_hda_intel ]
	assert_bound 0000:01:00.0 0000:02:00.0 0000:02:00.1
}

@test "driver_override gone with its device (ENOENT for ENODEV): logged, reported, others bound" {
	mkhost_faults
	fk_start --fail-write sys/bus/pci/devices/0000:01:00.0/driver_override=ENOENT
	vh_run --deadline 5 boot
	assert_failure 1
	[ "$(result 0000:01:00.0)" = "failed: writing driver_override: No such file or directory" ]
	run kmsg_vh
	assert_line --partial "0000:01:00.0 10de:1eb8 3D: writing driver_override failed"
	assert_bound 0000:02:00.0 0000:02:00.1 0000:03:00.0 0000:03:00.1
}

@test "an unbind that fails with EBUSY: logged, reported, group left to its drivers, others bound" {
	mkhost_faults
	fk_start
	run vh_inject EBUSY sys/bus/pci/drivers/nouveau/unbind --deadline 5 boot
	refute_output --regexp 'Sanitizer|runtime error:'
	assert_failure 1
	# strerror(EBUSY): "Device or resource busy" (glibc), "Resource busy" (musl)
	[[ "$(result 0000:02:00.0)" =~ ^"failed: unbinding from its driver: "(Device or resource|Resource)" busy"$ ]]
	run kmsg_vh
	assert_line --regexp "0000:02:00.0 10de:2484 VGA: unbinding from its driver failed: (Device or resource|Resource) busy"
	[ "$(driver_of 0000:02:00.0)" = nouveau ] && [ "$(driver_of 0000:02:00.1)" = snd_hda_intel ]
	assert_bound 0000:01:00.0 0000:03:00.0 0000:03:00.1
}

@test "driver_override that fails with EINVAL: logged, reported, group rolled back, others bound" {
	mkhost_faults
	fk_start
	run vh_inject EINVAL sys/bus/pci/devices/0000:03:00.1/driver_override --deadline 5 boot
	refute_output --regexp 'Sanitizer|runtime error:'
	assert_failure 1
	[ "$(result 0000:03:00.1)" = "failed: writing driver_override: Invalid argument" ]
	[ "$(result 0000:03:00.0)" = "failed: group 3 rolled back (0000:03:00.1 failed)" ]
	[ "$(driver_of 0000:03:00.0)" = nvidia ] && [ "$(driver_of 0000:03:00.1)" = snd_hda_intel ]
	assert_bound 0000:01:00.0 0000:02:00.0 0000:02:00.1
}

@test "drivers_probe that fails with ENODEV: each function logged and reported, the rest done" {
	mkhost_faults
	printf '[hugepages]\npages = 2\n' >>"$ROOT/etc/vfiohost.conf"
	fk_start
	run vh_inject_probe ENODEV --deadline 5 boot
	refute_output --regexp 'Sanitizer|runtime error:'
	assert_failure 1
	run kmsg_vh
	for bdf in 0000:01:00.0 0000:02:00.0 0000:02:00.1 0000:03:00.0 0000:03:00.1; do
		[ "$(result $bdf)" = "failed: writing drivers_probe: No such device" ]
		assert_line --regexp "^<11>vfiohost\[[0-9]+\]: $bdf .*: writing drivers_probe failed: No such device$"
	done
	[ "$(cat "$ROOT/sys/kernel/mm/hugepages/hugepages-1048576kB/nr_hugepages")" = 2 ]
}

@test "a probe that leaves the function unbound: failed: not on vfio-pci after probing" {
	mkhost_faults
	fk_start --refuse 0000:01:00.0
	vh_run --deadline 5 boot
	assert_failure 1
	[ "$(result 0000:01:00.0)" = "failed: not on vfio-pci after probing (no driver)" ]
	run kmsg_vh
	assert_line --regexp "^<11>vfiohost\[[0-9]+\]: 0000:01:00.0 10de:1eb8 3D: not on vfio-pci after probing"
	assert_bound 0000:02:00.0 0000:02:00.1 0000:03:00.0 0000:03:00.1
}

@test "a probe that vfio-pci fails (EBUSY in its probe): the function stays unbound and is reported" {
	mkhost_faults
	fk_start --fail-probe 0000:01:00.0=EBUSY
	vh_run --deadline 5 boot
	assert_failure 1
	[ "$(result 0000:01:00.0)" = "failed: not on vfio-pci after probing (no driver)" ]
	grep -q "vfio-pci 0000:01:00.0: probe with driver vfio-pci failed with error -16" "$ROOT/dev/kmsg"
	assert_bound 0000:02:00.0 0000:02:00.1 0000:03:00.0 0000:03:00.1
}

# ---------------------------------------------------------------- bad hosts

@test "a function with no modalias file is named and never taken; the rest is bound" {
	mkhost_faults
	rm "$ROOT/$(dev_rel 0000:04:00.0)/modalias"
	fk_start
	vh_run --deadline 5 boot
	assert_success
	run kmsg_vh
	assert_line --regexp "0000:04:00.0: cannot read its modalias \\(No such file.*never taken"
	assert_bound 0000:01:00.0 0000:02:00.0 0000:02:00.1 0000:03:00.0 0000:03:00.1
}

@test "a function to bind without numa_node, boot_vga or resource files is still bound" {
	mkhost_faults
	rm "$ROOT/$(dev_rel 0000:02:00.0)"/{numa_node,boot_vga,resource}
	fk_start
	vh_run --deadline 5 boot
	assert_success
	assert_bound 0000:02:00.0 0000:02:00.1
	[ "$(jq '.functions[] | select(.bdf == "0000:02:00.0") | .numa_node' "$ROOT/run/vfiohost/report.json")" = -1 ]
}

@test "an unreadable modalias (EACCES) is named; the rest is bound" {
	mkhost_faults
	chmod 000 "$ROOT/$(dev_rel 0000:04:00.0)/modalias"
	fk_start
	run vh_nodac --deadline 5 boot
	refute_output --regexp 'Sanitizer|runtime error:'
	assert_success
	run kmsg_vh
	assert_line --regexp "0000:04:00.0: cannot read its modalias \\(Permission denied\\)"
	assert_bound 0000:01:00.0 0000:02:00.0 0000:02:00.1 0000:03:00.0 0000:03:00.1
}

@test "garbage in the class of a modalias: that function is named and never taken; the rest is bound" {
	mkhost_faults
	sed -i 's/bc[0-9A-F]*sc/bczz\x01sc/' "$ROOT/$(dev_rel 0000:04:00.0)/modalias"
	fk_start
	vh_run --deadline 5 boot
	assert_success
	run kmsg_vh
	assert_line --regexp "0000:04:00.0: cannot read its modalias \\(.*never taken"
	assert_bound 0000:01:00.0 0000:02:00.0 0000:02:00.1 0000:03:00.0 0000:03:00.1
}

@test "a vendor id past 16 bits in a modalias: that function is named; the rest is bound" {
	mkhost_faults
	sed -i 's/^pci:v00008086/pci:v00080860/' "$ROOT/$(dev_rel 0000:04:00.0)/modalias"
	fk_start
	vh_run --deadline 5 boot
	assert_success
	run kmsg_vh
	assert_line --regexp "0000:04:00.0: cannot read its modalias \\(.*never taken"
	assert_bound 0000:01:00.0 0000:02:00.0 0000:02:00.1 0000:03:00.0 0000:03:00.1
}

@test "a group member that cannot be read keeps its group from being bound (isolation = strict)" {
	# The NIC shares group 2 with the GPU; with its modalias garbled the agent cannot know what
	# it is, so the group cannot be shown to be isolated: it must be refused, not half taken.
	mkhost_faults "0000:02:00.2 group=2 class=0200 id=8086:1539 driver=igb"
	echo garbage >"$ROOT/$(dev_rel 0000:02:00.2)/modalias"
	fk_start
	vh_run --deadline 1 boot
	[ "$(driver_of 0000:02:00.0)" = nouveau ] && [ "$(driver_of 0000:02:00.1)" = snd_hda_intel ]
	[ "$(cat "$ROOT/$(dev_rel 0000:02:00.0)/driver_override")" = "(null)" ]
	[ "$(jq -r '.functions[] | select(.bdf == "0000:02:00.0") | .action' "$ROOT/run/vfiohost/report.json")" = refuse ]
	assert_bound 0000:01:00.0 0000:03:00.0 0000:03:00.1
}

@test "a dangling iommu_group link: that function is not bound and is named; the rest is bound" {
	mkhost_faults
	ln -sfn ../../../kernel/iommu_groups/99 "$ROOT/$(dev_rel 0000:01:00.0)/iommu_group"
	fk_start
	boot_timed 1
	[ "$status" -le 1 ] # refused (0) or failed (1): either way not a crash
	less_than "$elapsed" 2.5
	[ "$(result 0000:01:00.0)" != bound ] && [ -n "$(result 0000:01:00.0)" ]
	run kmsg_vh
	assert_line --regexp "^<1[12]>vfiohost\[[0-9]+\]: 0000:01:00.0 10de:1eb8 3D: .*(/dev/vfio/99|group)"
	assert_bound 0000:02:00.0 0000:02:00.1 0000:03:00.0 0000:03:00.1
}

@test "a device that left the bus (dangling devices link) is named; the rest is bound" {
	mkhost_faults
	rm -r "${ROOT:?}/$(dev_rel 0000:04:00.0)"
	fk_start
	vh_run --deadline 5 boot
	assert_success
	run kmsg_vh
	assert_line --partial "0000:04:00.0: cannot read its modalias"
	assert_bound 0000:01:00.0 0000:02:00.0 0000:02:00.1 0000:03:00.0 0000:03:00.1
}

@test "a symlink loop in sys/bus/pci/devices is named; the rest is bound" {
	mkhost_faults
	ln -s 0000:05:00.0 "$ROOT/sys/bus/pci/devices/0000:05:00.0"
	fk_start
	vh_run --deadline 5 boot
	assert_success
	run kmsg_vh
	# strerror(ELOOP): "Too many levels of symbolic links" (glibc), "Symbolic link loop" (musl)
	assert_line --regexp "0000:05:00.0: cannot read its modalias \\((Too many levels of symbolic links|Symbolic link loop)"
	assert_bound 0000:01:00.0 0000:02:00.0 0000:02:00.1 0000:03:00.0 0000:03:00.1
}

@test "an iommu_group link that loops: that function is refused for want of a group; the rest is bound" {
	mkhost_faults
	ln -sfn iommu_group "$ROOT/$(dev_rel 0000:01:00.0)/iommu_group"
	fk_start
	vh_run --deadline 5 boot
	assert_success
	[ "$(jq -r '.functions[] | select(.bdf == "0000:01:00.0") | .action' "$ROOT/run/vfiohost/report.json")" = refuse ]
	run kmsg_vh
	assert_line --partial "0000:01:00.0 10de:1eb8 3D: refuse: it has no IOMMU group"
	assert_bound 0000:02:00.0 0000:02:00.1 0000:03:00.0 0000:03:00.1
}

@test "no MemTotal in /proc/meminfo: no hugepages, a clear message, binding done" {
	mkhost_faults
	printf '[hugepages]\npages = 4\n' >>"$ROOT/etc/vfiohost.conf"
	sed -i '/^MemTotal:/d' "$ROOT/proc/meminfo"
	fk_start
	vh_run --deadline 5 boot
	assert_success # a warning, not a failure: boot's exit 1 is for failures (SPEC section 2)
	[ "$(cat "$ROOT/sys/kernel/mm/hugepages/hugepages-1048576kB/nr_hugepages")" = 0 ]
	run kmsg_vh
	assert_line --partial "no MemTotal in /proc/meminfo"
	assert_bound 0000:01:00.0 0000:02:00.0 0000:02:00.1 0000:03:00.0 0000:03:00.1
}

@test "no MemTotal on a NUMA host: no hugepages, a clear message, binding done" {
	mkhost_faults "# numa_nodes: 2"
	printf '[hugepages]\npages = 4\n' >>"$ROOT/etc/vfiohost.conf"
	sed -i '/^MemTotal:/d' "$ROOT/proc/meminfo"
	fk_start
	vh_run --deadline 5 boot
	assert_success # a warning, not a failure: boot's exit 1 is for failures (SPEC section 2)
	for n in 0 1; do
		[ "$(cat "$ROOT/sys/devices/system/node/node$n/hugepages/hugepages-1048576kB/nr_hugepages")" = 0 ]
	done
	run kmsg_vh
	assert_line --partial "no MemTotal in /proc/meminfo"
	assert_bound 0000:01:00.0 0000:02:00.0 0000:02:00.1 0000:03:00.0 0000:03:00.1
}

@test "no NUMA node folders: the global hugepage file is used, binding done" {
	mkhost_faults "# numa_nodes: 2"
	printf '[hugepages]\npages = 4\n' >>"$ROOT/etc/vfiohost.conf"
	rm -r "$ROOT/sys/devices/system/node"
	fk_start
	vh_run --deadline 5 boot
	assert_success
	[ "$(cat "$ROOT/sys/kernel/mm/hugepages/hugepages-1048576kB/nr_hugepages")" = 4 ]
	assert_bound 0000:01:00.0 0000:02:00.0 0000:02:00.1 0000:03:00.0 0000:03:00.1
}

@test "30,000 functions: boot binds the one GPU in reasonable time" {
	python3 - "$BATS_TEST_TMPDIR/big.host" <<'EOF'
import sys
with open(sys.argv[1], "w") as f:
    f.write("# note: 30,000 functions: 29,998 NICs on i40e, a slot each 8 functions, and one GPU with audio\n")
    n = 0
    for bus in range(1, 0xff):
        for slot in range(32):
            for fn in range(8):
                if n < 29998:
                    f.write(f"0000:{bus:02x}:{slot:02x}.{fn} class=0200 id=8086:1572 driver=i40e\n")
                    n += 1
    f.write("0000:ff:00.0 group=90000 class=0300 id=10de:2484 driver=nouveau\n")
    f.write("0000:ff:00.1 group=90000 class=0403 id=10de:228b driver=snd_hda_intel\n")
EOF
	mkhost "$BATS_TEST_TMPDIR/big.host" 3072
	[ "$(find "$ROOT/sys/bus/pci/devices" -mindepth 1 | wc -l)" = 30000 ]
	printf '[vfio]\nbind = 10de:*\n' | policy
	fk_start
	boot_timed 20
	assert_success
	less_than "$elapsed" 15
	assert_bound 0000:ff:00.0 0000:ff:00.1
	[ "$(jq '.functions | length' "$ROOT/run/vfiohost/report.json")" = 2 ]
}

# ---------------------------------------------------------------- what boot writes

@test "boot writes only to paths that sysfs listed, the compaction file, the kernel log and /run/vfiohost" {
	mkhost_faults
	printf '[hugepages]\npages = 2\n' >>"$ROOT/etc/vfiohost.conf"
	fk_start
	# -ff: a file per process, so no call is split by another process's (<unfinished ...>).
	ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" run strace -ff -qq -y \
		-o "$BATS_TEST_TMPDIR/trace" -e trace=openat,open,creat,truncate,ftruncate,rename,renameat,renameat2,unlink,unlinkat,mkdir,mkdirat,symlink,symlinkat,link,linkat,chmod,fchmodat,chown,fchownat,lchown,mknod,mknodat \
		"$VFIOHOST" --root "$ROOT" --deadline 5 boot
	refute_output --regexp 'Sanitizer|runtime error:'
	assert_success
	# Every path opened for writing or changed, relative to the root (resolved by strace -y
	# where the call returned a descriptor).
	ls "$BATS_TEST_TMPDIR"/trace.* >/dev/null
	run python3 - "$(realpath "$ROOT")" "$BATS_TEST_TMPDIR"/trace.* <<'EOF'
import os, re, sys
root, traces = sys.argv[1], sys.argv[2:]
CALL = re.compile(r'^(\w+)\((.*)\) += (-?\d+)(?:<([^>]*)>)?')
for line in (l for t in traces for l in open(t)):
    m = CALL.match(line)
    if not m:
        continue
    call, args, ret, resolved = m.groups()
    if call in ("openat", "open", "creat"):
        if call != "creat" and not re.search(r"O_WRONLY|O_RDWR|O_CREAT|O_TRUNC", args):
            continue
    dirs = re.findall(r'(?:^|, )(?:AT_FDCWD|\d+<([^>]*)>), "([^"]*)"', args)
    if resolved and resolved.endswith(" (deleted)"):  # drivers_probe: see tests/fakekernel
        resolved = resolved[:-len(" (deleted)")]
    paths = [resolved] if resolved and call in ("openat", "open", "creat") else \
        [os.path.normpath(os.path.join(d or os.getcwd(), p)) for d, p in dirs] or [args]
    for p in paths:
        print(os.path.relpath(p, root) if p.startswith(root + "/") else "OUTSIDE " + p)
EOF
	assert_success
	actual=$(sort -u <<<"$output")
	expected=$(
		for bdf in 0000:01:00.0 0000:02:00.0 0000:02:00.1 0000:03:00.0 0000:03:00.1; do
			echo "$(dev_rel "$bdf")/driver_override"
		done
		printf '%s\n' sys/bus/pci/drivers/nouveau/unbind sys/bus/pci/drivers/nvidia/unbind \
			sys/bus/pci/drivers/snd_hda_intel/unbind sys/bus/pci/drivers_probe \
			sys/kernel/mm/hugepages/hugepages-1048576kB/nr_hugepages proc/sys/vm/compact_memory \
			dev/kmsg run run/vfiohost \
			run/vfiohost/.report.json.tmp run/vfiohost/report.json \
			run/vfiohost/.policy.conf.tmp run/vfiohost/policy.conf
	)
	[ "$actual" = "$(sort -u <<<"$expected")" ] || {
		diff <(echo "$actual") <(sort -u <<<"$expected") >&2
		return 1
	}
}
