#!/usr/bin/env bats
# `vfiohost boot` on fake hosts (issue 3): what it writes (driver_override, unbind, probe,
# hugepage counts, the kmsg log, the report) and nothing else; the kernel command line;
# bad and unsafe policies; a second run; a complete log.  tests/fakekernel plays the kernel's
# part (unbind, probe, /dev/vfio) where a test needs functions to end up on vfio-pci.

bats_require_minimum_version 1.5.0
load helpers
load fake

teardown() {
	fake_teardown
}

HP1G=sys/kernel/mm/hugepages/hugepages-1048576kB/nr_hugepages
HP2M=sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages

# bound_changes BDF...: the paths a boot plus the fake kernel change when they bind these
# functions on mkhost_act (old drivers from the tree before the boot): driver_override is the
# agent's; driver, uevent and the drivers/ links are the fake kernel's.
bound_changes() {
	local bdf dev old
	for bdf in "$@"; do
		dev=$(dev_rel "$bdf")
		old=$(driver_of "$bdf")
		echo "$dev/driver_override"
		echo "$dev/driver"
		echo "$dev/uevent"
		echo "sys/bus/pci/drivers/vfio-pci/$bdf"
		[ "$old" = none ] || echo "sys/bus/pci/drivers/$old/$bdf"
	done
}

# vfio_dev_changes BDF=N...: the entries vfio-dev/vfioN of each function, and their class.
vfio_dev_changes() {
	local spec dev
	echo sys/class/vfio-dev
	for spec in "$@"; do
		dev=$(dev_rel "${spec%=*}")
		echo "$dev/vfio-dev"
		echo "$dev/vfio-dev/vfio${spec#*=}"
		echo "$dev/vfio-dev/vfio${spec#*=}/dev"
		echo "sys/class/vfio-dev/vfio${spec#*=}"
	done
}

@test "boot binds the selected functions and reports bound and already" {
	mkhost_act
	policy_act
	fk_start
	vh_run --deadline 5 boot
	assert_success
	for bdf in 0000:01:00.0 0000:01:00.1 0000:02:00.0 0000:03:00.0; do
		[ "$(driver_of $bdf)" = vfio-pci ]
	done
	[ -e "$ROOT/dev/vfio/1" ] && [ -e "$ROOT/dev/vfio/2" ] && [ -e "$ROOT/dev/vfio/3" ]
	run jq -r '.functions[] | "\(.bdf) \(.action) \(.result)"' "$ROOT/run/vfiohost/report.json"
	assert_output "0000:01:00.0 bind bound
0000:01:00.1 bind bound
0000:02:00.0 bind bound
0000:03:00.0 keep already"
}

@test "the report is plan's object plus results, pages obtained, why short, and phase times (SPEC 5)" {
	mkhost server-8gpu
	printf '[vfio]\nbind = 10de:2330\n[hugepages]\npages = 10\n' | policy
	vh_run plan --json
	plan=$output
	fk_start
	vh_run --deadline 5 boot
	assert_success
	# Without what boot adds, the report is the plan made before it.
	run jq -S --argjson plan "$plan" -n '
		input | del(.mode, .expect, .phases_us) | del(.functions[].result, .functions[].vfio_driver, .functions[].power_result)
		| del(.hugepages.obtained, .hugepages.short, .hugepages.time_ms, .hugepages.ms)
		| del(.hugepages.nodes[].obtained, .hugepages.nodes[].short,
			.hugepages.nodes[].tries, .hugepages.nodes[].ms)
		| . == ($plan | del(.mode, .expect, .rebuild_needed))' "$ROOT/run/vfiohost/report.json"
	assert_output true
	run jq -r '[.mode, ([.functions[].result] | unique | join(",")), .hugepages.obtained,
		([.hugepages.nodes[].obtained] | join(",")),
		(.phases_us | length > 1), (.phases_us.total | type),
		(.phases_us | [.[] | type] | unique | join(","))] | join(" ")' "$ROOT/run/vfiohost/report.json"
	assert_output "apply bound 10 5,5 true number number"
	run jq -c '.hugepages | [.short, (.time_ms > 0), ([.nodes[] | .short, .tries] )]' \
		"$ROOT/run/vfiohost/report.json"
	assert_output '[null,true,[null,5,null,5]]'
}

@test "boot changes only driver_override, unbind, drivers_probe, hugepages, kmsg and run/vfiohost" {
	mkhost_act
	policy_act $'[hugepages]\npages = 4\n'
	expected=$(
		bound_changes 0000:01:00.0 0000:01:00.1 0000:02:00.0
		echo sys/bus/pci/drivers/nouveau/unbind
		echo sys/bus/pci/drivers/snd_hda_intel/unbind
		echo sys/bus/pci/drivers_probe
		echo dev/vfio/1
		echo dev/vfio/2
		echo dev/vfio/3 # the fake kernel's, at its start: group 3 was on vfio-pci already
		# what the VFIO core registers: 03:00.0 (on vfio-pci already) at the fake kernel's
		# start, then each bound function in address order
		vfio_dev_changes 0000:03:00.0=0 0000:01:00.0=1 0000:01:00.1=2 0000:02:00.0=3
		echo sys/class/vfio
		echo dev/kmsg
		echo $HP1G
		echo run/vfiohost
		echo run/vfiohost/report.json
		echo run/vfiohost/policy.conf
	)
	snapshot "$BATS_TEST_TMPDIR/before"
	fk_start
	vh_run --deadline 5 boot
	assert_success
	fk_stop # the served files are plain files again, holding what was written to them
	snapshot "$BATS_TEST_TMPDIR/after"
	run changed "$BATS_TEST_TMPDIR/before" "$BATS_TEST_TMPDIR/after"
	assert_output "$(sort <<<"$expected")"
	[ "$(cat "$ROOT/sys/bus/pci/drivers/nouveau/unbind")" = 0000:01:00.0 ]
	[ "$(cat "$ROOT/sys/bus/pci/drivers/snd_hda_intel/unbind")" = 0000:01:00.1 ]
}

@test "boot writes exactly vfio-pci into the driver_override of each function it binds" {
	mkhost_act
	policy_act
	fk_start
	vh_run --deadline 5 boot
	assert_success
	for bdf in 0000:01:00.0 0000:01:00.1 0000:02:00.0; do
		[ "$(cat "$ROOT/$(dev_rel $bdf)/driver_override")" = vfio-pci ]
	done
	for bdf in 0000:03:00.0 0000:04:00.0 0000:00:02.0 0000:00:1f.3 0000:00:01.0; do
		[ "$(cat "$ROOT/$(dev_rel $bdf)/driver_override")" = "(null)" ]
	done
}

@test "boot unbinds only the functions a driver holds, each from its own driver" {
	mkhost_act
	policy_act
	fk_start
	vh_run --deadline 5 boot
	assert_success
	run grep '/unbind ' "$FK_LOG"
	assert_output "write sys/bus/pci/drivers/nouveau/unbind 0000:01:00.0
write sys/bus/pci/drivers/snd_hda_intel/unbind 0000:01:00.1"
	[ "$(driver_of 0000:00:1f.3)" = snd_hda_intel ]
	[ "$(driver_of 0000:04:00.0)" = igb ]
}

@test "boot logs the fallback path when a driver got there first, and not otherwise" {
	mkhost_act
	policy_act
	fk_start
	vh_run --deadline 5 boot
	run kmsg_vh
	assert_line --partial "0000:01:00.0 10de:2484 VGA: nouveau got there first"
	assert_line --partial "0000:01:00.1 10de:228b Audio: snd_hda_intel got there first"
	refute_line --regexp "0000:02:00.0.*got there first"
}

@test "boot asks the kernel to probe only the functions it binds" {
	mkhost_act
	policy_act
	fk_start
	vh_run --deadline 5 boot
	assert_success
	# Every address written to drivers_probe is one the agent was binding.
	run fk_events write
	refute_line --regexp "drivers_probe 0000:0[03-9]"
	assert_line --regexp "drivers_probe 0000:0[12]:00\.[01]"
}

@test "boot reserves the planned hugepages in the global file on a one-node host" {
	mkhost_act
	policy_act $'[hugepages]\nsize = 1G\npages = 4\n'
	fk_start
	vh_run --deadline 5 boot
	assert_success
	[ "$(cat "$ROOT/$HP1G")" = 4 ]
	[ "$(cat "$ROOT/$HP2M")" = 0 ]
	[ "$(jq '.hugepages | .pages, .obtained' "$ROOT/run/vfiohost/report.json" | xargs)" = "4 4" ]
	run kmsg_vh
	assert_line --partial "hugepages: 4 reserved"
}

@test "boot writes 2M pages to the hugepages-2048kB file" {
	mkhost_act
	policy_act $'[hugepages]\nsize = 2M\npages = 300\n'
	fk_start
	vh_run --deadline 5 boot
	assert_success
	[ "$(cat "$ROOT/$HP2M")" = 300 ]
	[ "$(cat "$ROOT/$HP1G")" = 0 ]
}

@test "boot reserves the whole budget of SPEC section 3 with pages = max" {
	mkhost_act
	policy_act $'[hugepages]\nsize = 1G\npages = max\n'
	# 64 GiB: keep-free = max(8 GiB, 7%) + 2 GiB x 3 display functions bound or kept
	mem=67108864 pct=$((67108864 * 7 / 100)) eight=$((8 * 1048576))
	keep=$(((pct > eight ? pct : eight) + 3 * 2 * 1048576))
	budget=$(((mem - keep) / 1048576))
	[ "$budget" = 50 ]
	fk_start
	vh_run --deadline 5 boot
	assert_success
	[ "$(cat "$ROOT/$HP1G")" = "$budget" ]
	[ "$(jq .hugepages.keep_free_kib "$ROOT/run/vfiohost/report.json")" = "$keep" ]
}

@test "boot caps a page count above the budget, and the log says so" {
	mkhost_act
	policy_act $'[hugepages]\nsize = 1G\npages = 1000\n'
	fk_start
	vh_run --deadline 5 boot
	[ "$(cat "$ROOT/$HP1G")" = 50 ]
	run kmsg_vh
	assert_line --regexp "1000 .*budget is 50.*capped to 50"
}

@test "boot splits pages over the node files of a NUMA host and leaves the global file alone" {
	mkhost server-8gpu
	printf '[vfio]\nbind = 10de:2330\n[hugepages]\nsize = 1G\npages = 10\nnodes = even\n' | policy
	fk_start
	vh_run --deadline 5 boot
	assert_success
	[ "$(cat "$ROOT/sys/devices/system/node/node0/hugepages/hugepages-1048576kB/nr_hugepages")" = 5 ]
	[ "$(cat "$ROOT/sys/devices/system/node/node1/hugepages/hugepages-1048576kB/nr_hugepages")" = 5 ]
	[ "$(cat "$ROOT/$HP1G")" = 0 ]
	run jq -c '[.hugepages.nodes[] | [.node, .pages, .obtained]]' "$ROOT/run/vfiohost/report.json"
	assert_output '[[0,5,5],[1,5,5]]'
}

@test "boot follows the bound GPUs' nodes with nodes = auto" {
	mkhost server-8gpu
	# Only the two H100s of node 1 at 9a and ab: every page goes to node 1.
	printf '[vfio]\nbind = 0000:9a:00.0\nbind = 0000:ab:00.0\n[hugepages]\npages = 6\n' | policy
	fk_start
	vh_run --deadline 5 boot
	assert_success
	[ "$(cat "$ROOT/sys/devices/system/node/node0/hugepages/hugepages-1048576kB/nr_hugepages")" = 0 ]
	[ "$(cat "$ROOT/sys/devices/system/node/node1/hugepages/hugepages-1048576kB/nr_hugepages")" = 6 ]
}

@test "vfiohost=off on the kernel command line: nothing but the log and the report" {
	mkhost_act "BOOT_IMAGE=/vmlinuz ro intel_iommu=on vfiohost=off"
	policy_act $'[hugepages]\npages = 4\n'
	boot_changes 0 dev/kmsg run/vfiohost run/vfiohost/report.json
	run kmsg_vh
	assert_line --partial "vfiohost=off"
	[ "$(jq -r .mode "$ROOT/run/vfiohost/report.json")" = off ]
}

@test "vfiohost=dry-run: decisions logged and reported, no driver_override or hugepage written" {
	mkhost_act "BOOT_IMAGE=/vmlinuz ro intel_iommu=on vfiohost=dry-run"
	policy_act $'[hugepages]\npages = 4\n'
	boot_changes 0 dev/kmsg run/vfiohost run/vfiohost/policy.conf run/vfiohost/report.json
	run jq -r '[.mode, (.functions[] | .result)] | join(" ")' "$ROOT/run/vfiohost/report.json"
	assert_output "dry-run dry-run dry-run dry-run dry-run"
	run kmsg_vh
	assert_line --partial "0000:01:00.0 10de:2484 VGA: bind: bind at line 2"
	assert_line --partial "vfiohost=dry-run"
}

@test "vfiohost.skip= on the kernel command line leaves that function alone for this boot" {
	mkhost_act "BOOT_IMAGE=/vmlinuz ro intel_iommu=on vfiohost.skip=02:00.0"
	policy_act
	fk_start
	vh_run --deadline 5 boot
	assert_success
	[ "$(cat "$ROOT/$(dev_rel 0000:02:00.0)/driver_override")" = "(null)" ]
	[ "$(driver_of 0000:02:00.0)" = none ]
	[ "$(jq -r '.functions[] | select(.bdf == "0000:02:00.0") | .action' "$ROOT/run/vfiohost/report.json")" = skip ]
	[ "$(driver_of 0000:01:00.0)" = vfio-pci ]
	run kmsg_vh
	assert_line --regexp "0000:02:00.0 .*: skip: vfiohost.skip="
}

@test "vfiohost.skip= of a GPU keeps its whole group from being bound" {
	mkhost_act "BOOT_IMAGE=/vmlinuz ro intel_iommu=on vfiohost.skip=0000:01:00.0"
	policy_act
	fk_start
	vh_run --deadline 5 boot
	# The audio function is left alone with the GPU in its group: refused, not half-bound.
	[ "$(result 0000:01:00.0)" != bound ] && [ "$(result 0000:01:00.1)" != bound ]
	[ "$(driver_of 0000:01:00.0)" = nouveau ] && [ "$(driver_of 0000:01:00.1)" = snd_hda_intel ]
	[ "$(cat "$ROOT/$(dev_rel 0000:01:00.1)/driver_override")" = "(null)" ]
	[ "$(driver_of 0000:02:00.0)" = vfio-pci ]
}

@test "vfiohost.hugepages= on the kernel command line sets this boot's page count" {
	mkhost_act "BOOT_IMAGE=/vmlinuz ro intel_iommu=on vfiohost.hugepages=2"
	policy_act $'[hugepages]\npages = 4\n'
	fk_start
	vh_run --deadline 5 boot
	assert_success
	[ "$(cat "$ROOT/$HP1G")" = 2 ]
}

@test "vfiohost.hugepages= above the budget is capped like the policy's count" {
	mkhost_act "BOOT_IMAGE=/vmlinuz ro intel_iommu=on vfiohost.hugepages=100000"
	policy_act $'[hugepages]\npages = 4\n'
	fk_start
	vh_run --deadline 5 boot
	[ "$(cat "$ROOT/$HP1G")" = 50 ]
}

@test "an invalid policy: exit 2, nothing applied, every error in the kernel log and the report" {
	mkhost_act
	printf '[vfio]\nbind = 10de:*\nisolation = sometimes\nbind = ../../../dev/sda\n[hugepages]\npages = 4\n' | policy
	fk_start
	boot_changes 2 dev/kmsg run/vfiohost run/vfiohost/report.json
	run kmsg_vh
	assert_line --regexp '^<11>vfiohost\[[0-9]+\]: /etc/vfiohost.conf:3: '
	assert_line --regexp '^<11>vfiohost\[[0-9]+\]: /etc/vfiohost.conf:4: '
	assert_line --partial "invalid: nothing applied"
	run jq -r '.errors[]' "$ROOT/run/vfiohost/report.json"
	assert_line --regexp '^/etc/vfiohost.conf:3: '
	assert_line --regexp '^/etc/vfiohost.conf:4: '
	[ "$(jq '.functions | length' "$ROOT/run/vfiohost/report.json")" = 0 ]
}

@test "a policy writable by everyone (mode 0666) is refused: nothing applied" {
	mkhost_act
	policy_act $'[hugepages]\npages = 4\n'
	chmod 0666 "$ROOT/etc/vfiohost.conf"
	boot_changes nonzero dev/kmsg run/vfiohost run/vfiohost/report.json
	run kmsg_vh
	assert_line --regexp "refusing to apply the policy: /etc/vfiohost.conf is writable by everyone"
}

@test "a policy owned by another user than root is refused: nothing applied" {
	mkhost_act
	policy_act $'[hugepages]\npages = 4\n'
	chown 1000:1000 "$ROOT/etc/vfiohost.conf"
	boot_changes nonzero dev/kmsg run/vfiohost run/vfiohost/report.json
	run kmsg_vh
	assert_line --partial "owned by uid 1000"
}

@test "no policy: nothing done, said once, exit 0" {
	mkhost_act
	boot_changes 0 dev/kmsg run/vfiohost run/vfiohost/report.json
	[ "$(kmsg_vh | grep -c 'no policy')" = 1 ]
}

@test "boot twice: the second run changes nothing and logs that nothing needed doing" {
	mkhost_act
	policy_act $'[hugepages]\npages = 4\n'
	fk_start
	vh_run --deadline 5 boot
	assert_success
	snapshot "$BATS_TEST_TMPDIR/first"
	lines_first=$(wc -l <"$ROOT/dev/kmsg")
	vh_run --deadline 5 boot
	assert_success
	snapshot "$BATS_TEST_TMPDIR/second"
	run changed "$BATS_TEST_TMPDIR/first" "$BATS_TEST_TMPDIR/second"
	assert_output "dev/kmsg
run/vfiohost/report.json"
	run bash -c "tail -n +$((lines_first + 1)) '$ROOT/dev/kmsg'"
	assert_line --partial "nothing needed doing"
	refute_line --partial "driver_override set"
}

@test "a second boot reports each function it found on vfio-pci as already" {
	mkhost_act
	policy_act
	fk_start
	vh_run --deadline 5 boot
	assert_success
	vh_run --deadline 5 boot
	assert_success
	run jq -r '.functions[] | "\(.bdf) \(.action) \(.result)"' "$ROOT/run/vfiohost/report.json"
	assert_output "0000:01:00.0 keep already
0000:01:00.1 keep already
0000:02:00.0 keep already
0000:03:00.0 keep already"
}

@test "the log names every function of the report, with its result" {
	mkhost_act
	policy_act
	fk_start
	vh_run --deadline 5 boot
	assert_success
	run jq -r '.functions[] | .bdf' "$ROOT/run/vfiohost/report.json"
	[ "${#lines[@]}" = 4 ]
	log=$(kmsg_vh)
	for bdf in "${lines[@]}"; do
		grep -q "$bdf .*: \(bind\|keep\): " <<<"$log"
	done
	for bdf in 0000:01:00.0 0000:01:00.1 0000:02:00.0; do
		grep -q "$bdf .*: bound to vfio-pci (group [0-9]*)" <<<"$log"
	done
	# Every record is a user-facility record of the kmsg format.
	run bash -c "grep 'vfiohost\[' '$ROOT/dev/kmsg' | grep -vc '^<1[1-5]>vfiohost\[[0-9]*\]: '"
	assert_output 0
}

# In a fake tree dev/kmsg is a plain file, so this proves only that the agent writes every
# line; the kernel's rate limit on /dev/kmsg (10 lines per 5 s for one open file) is proven
# in the QEMU boots of tests/e2e by the engineer of the initramfs issue.
@test "a policy touching 40 functions leaves all their lines in the log" {
	{
		echo "# note: 40 functions to bind: 20 GPUs with their audio, one group each, no driver yet"
		for i in $(seq 1 20); do
			printf '0000:%02x:00.0 group=%d class=0300 id=10de:2484\n' "$i" "$i"
			printf '0000:%02x:00.1 group=%d class=0403 id=10de:228b\n' "$i" "$i"
		done
	} >"$BATS_TEST_TMPDIR/40.host"
	mkhost "$BATS_TEST_TMPDIR/40.host"
	policy_act
	fk_start
	vh_run --deadline 10 boot
	assert_success
	log=$(kmsg_vh)
	for i in $(seq 1 20); do
		for f in 0 1; do
			bdf=$(printf '0000:%02x:00.%d' "$i" "$f")
			[ "$(grep -c "$bdf " <<<"$log")" -ge 3 ] # decision, driver_override, bound
			grep -q "$bdf .*: bound to vfio-pci" <<<"$log"
		done
	done
	grep -q "done in .* 40 bound, 0 kept, 0 skipped, 0 refused, 0 failed" <<<"$log"
}

# ---------------------------------------------------------------- verification (issue 11)

# jq_result BDF: that function's result in the report.
jq_result() {
	jq -r --arg b "$1" '.functions[] | select(.bdf == $b) | .result' "$ROOT/run/vfiohost/report.json"
}

@test "boot: a function on vfio-pci without a vfio-dev entry is not bound, and says why" {
	mkhost_act
	policy_act
	fk_start --no-vfio-dev 0000:02:00.0
	vh_run --deadline 5 boot
	assert_failure 1
	fk_stop
	[ "$(driver_of 0000:02:00.0)" = vfio-pci ]
	[ "$(jq_result 0000:02:00.0)" = "failed: no vfio-dev entry: the VFIO core did not register it" ]
	[ "$(jq_result 0000:01:00.0)" = bound ]
	grep -q "0000:02:00.0 .*on vfio-pci, but no vfio-dev entry" "$ROOT/dev/kmsg"
}

@test "boot on a kernel without VFIO groups verifies /dev/vfio/devices/vfioN, not /dev/vfio/GROUP" {
	boot_without_groups
	[ "$(jq -r '[.functions[].result] | unique | join(",")' "$ROOT/run/vfiohost/report.json")" = "already,bound" ]
	[ ! -e "$ROOT/sys/class/vfio" ]
	[ ! -e "$ROOT/dev/vfio/1" ]
	[ -c "$ROOT/dev/vfio/devices/vfio1" ]
}

@test "boot without VFIO groups: a /dev/vfio/devices node of another device number fails the bind" {
	[ "$(id -u)" = 0 ] || skip "the fake kernel makes character devices with mknod: root only"
	mkhost_act
	policy_act
	fk_start --no-vfio-group --bad-cdev 0000:02:00.0
	vh_run --deadline 5 boot
	assert_failure 1
	fk_stop
	[ "$(jq_result 0000:02:00.0)" = "failed: /dev/vfio/devices/vfio3 is not the device vfio-dev/vfio3/dev names" ]
	[ "$(jq_result 0000:01:00.0)" = bound ]
}

# ---------------------------------------------------------------- VFIO variant drivers (issue 11)

GH200_POLICY=$'[vfio]\nbind = 10de:* class=03\nbind = 15b3:101e\n'

# gh200_with SED: tests/hosts/gh200.host changed by the sed script SED, built into $ROOT.
gh200_with() {
	sed "$1" "$TESTS_DIR/hosts/gh200.host" >"$BATS_TEST_TMPDIR/gh200.host"
	mkhost "$BATS_TEST_TMPDIR/gh200.host"
}

# report_vfio: "BDF RESULT VFIO_MODULE VFIO_DRIVER" for every function of the report.
report_vfio() {
	jq -r '.functions[] | "\(.bdf) \(.result) \(.vfio_module) \(.vfio_driver)"' \
		"$ROOT/run/vfiohost/report.json"
}

@test "boot binds the GH200 GPU to nvgrace-gpu-vfio-pci, the VF to mlx5_vfio_pci, the L40S to vfio-pci" {
	mkhost gh200
	policy <<<"$GH200_POLICY"
	fk_start
	vh_run --deadline 5 boot
	assert_success
	[ "$(driver_of 0009:01:00.0)" = nvgrace-gpu-vfio-pci ]
	[ "$(driver_of 0000:01:00.2)" = mlx5_vfio_pci ]
	[ "$(driver_of 0011:01:00.0)" = vfio-pci ]
	[ -e "$ROOT/dev/vfio/4" ] && [ -e "$ROOT/dev/vfio/1" ] && [ -e "$ROOT/dev/vfio/5" ]
	[ -d "$ROOT/$(dev_rel 0009:01:00.0)/vfio-dev" ]
	run report_vfio
	assert_output "0000:01:00.2 bound mlx5_vfio_pci mlx5_vfio_pci
0009:01:00.0 bound nvgrace_gpu_vfio_pci nvgrace-gpu-vfio-pci
0011:01:00.0 bound vfio_pci vfio-pci"
}

@test "boot writes the variant's driver name, read from sys/module, not its module name" {
	mkhost gh200
	policy <<<"$GH200_POLICY"
	fk_start
	vh_run --deadline 5 boot
	assert_success
	[ "$(cat "$ROOT/$(dev_rel 0009:01:00.0)/driver_override")" = nvgrace-gpu-vfio-pci ]
	[ "$(cat "$ROOT/$(dev_rel 0011:01:00.0)/driver_override")" = vfio-pci ]
	run kmsg_vh
	assert_line --partial "0009:01:00.0 10de:2342 3D: bind: bind at line 2; module nvgrace_gpu_vfio_pci"
	assert_line --partial "0009:01:00.0 10de:2342 3D: nvgrace_gpu_vfio_pci registered the driver nvgrace-gpu-vfio-pci (/sys/module/nvgrace_gpu_vfio_pci/drivers/pci:nvgrace-gpu-vfio-pci)"
	assert_line --partial "0009:01:00.0 10de:2342 3D: bound to nvgrace-gpu-vfio-pci (group 4)"
	assert_line --partial "/lib/modules/6.11.0-1013-nvidia-64k/modules.alias: 7 vfio_pci: aliases of 4 modules"
}

# The hazard: claimed with "vfio-pci", the GH200 function would be taken by vfio-pci at the
# first probe while it waits (the fake kernel binds every waiting device at each probe, as
# loading vfio-pci does on a kernel), before its driver_override names its variant. A
# vfio-pci function comes first in its group, so its worker has it probed (by its own probe
# or another group's) before it names the GH200's driver: with a wrong claim, always.
@test "a variant's function is never bound to vfio-pci, even probed after a vfio-pci one of its group" {
	gh200_with 's/^0011:01:00.0 .*/0009:00:02.0 group=4 class=0302 id=10de:26b9 numa=0/'
	policy <<<"$GH200_POLICY"
	fk_start
	vh_run --deadline 5 boot
	assert_success
	run fk_events bind
	assert_line "0009:00:02.0 vfio-pci"
	assert_line "0009:01:00.0 nvgrace-gpu-vfio-pci"
	refute_line "0009:01:00.0 vfio-pci"
	[ "$(sed -n '/^bind 0009:00:02.0 /=' "$FK_LOG")" -lt "$(sed -n '/^bind 0009:01:00.0 /=' "$FK_LOG")" ]
	[ -e "$ROOT/dev/vfio/4" ]
}

@test "driver = vfio-pci: boot binds the GH200 GPU to the generic vfio-pci" {
	mkhost gh200
	policy <<<"$GH200_POLICY"$'driver = vfio-pci\n'
	fk_start
	vh_run --deadline 5 boot
	assert_success
	[ "$(driver_of 0009:01:00.0)" = vfio-pci ]
	[ "$(driver_of 0000:01:00.2)" = vfio-pci ]
	[ "$(jq -r '[.functions[] | .vfio_driver] | unique | join(",")' "$ROOT/run/vfiohost/report.json")" = vfio-pci ]
}

@test "no modules folder: boot binds everything to the generic vfio-pci" {
	mkhost gh200
	rm -r "$ROOT/lib/modules"
	policy <<<"$GH200_POLICY"
	fk_start
	vh_run --deadline 5 boot
	assert_success
	[ "$(driver_of 0009:01:00.0)" = vfio-pci ]
	run kmsg_vh
	assert_line --partial "no /lib/modules/6.11.0-1013-nvidia-64k/modules.alias: the generic vfio-pci for every function"
}

@test "a variant that registers no pci driver fails its function, named with the module and the file" {
	gh200_with 's/ driver=nvgrace-gpu-vfio-pci$//'
	policy <<<"$GH200_POLICY"
	fk_start
	vh_run --deadline 5 boot
	assert_failure 1
	fk_stop
	[ "$(driver_of 0009:01:00.0)" = none ] # not on vfio-pci: half a GH200 is no use
	[ "$(cat "$ROOT/$(dev_rel 0009:01:00.0)/driver_override")" = nvgrace_gpu_vfio_pci ]
	[ "$(result 0009:01:00.0)" = "failed: nvgrace_gpu_vfio_pci names no pci driver in /sys/module/nvgrace_gpu_vfio_pci/drivers" ]
	[ "$(result 0011:01:00.0)" = bound ] && [ "$(result 0000:01:00.2)" = bound ]
	run kmsg_vh
	assert_line --partial "would load nvgrace_gpu_vfio_pci (not under --root"
	assert_line --regexp "0009:01:00.0 10de:2342 3D: nvgrace_gpu_vfio_pci names no pci driver in /sys/module/nvgrace_gpu_vfio_pci/drivers \(the module is not loaded\)"
}

@test "a GPU on vfio-pci whose variant is chosen is moved to the variant" {
	gh200_with 's/^0009:01:00.0 /&driver=vfio-pci /'
	policy <<<"$GH200_POLICY"
	fk_start
	vh_run --deadline 5 boot
	assert_success
	[ "$(driver_of 0009:01:00.0)" = nvgrace-gpu-vfio-pci ]
	run kmsg_vh
	assert_line --partial "0009:01:00.0 10de:2342 3D: on vfio-pci, but nvgrace_gpu_vfio_pci is chosen for it: unbinding it"
	refute_line --partial "got there first"
}

@test "a second boot keeps the functions on their variants: already, with the driver used" {
	mkhost gh200
	policy <<<"$GH200_POLICY"
	fk_start
	vh_run --deadline 5 boot
	assert_success
	vh_run --deadline 5 boot
	assert_success
	run report_vfio
	assert_output "0000:01:00.2 already mlx5_vfio_pci mlx5_vfio_pci
0009:01:00.0 already nvgrace_gpu_vfio_pci nvgrace-gpu-vfio-pci
0011:01:00.0 already vfio_pci vfio-pci"
	run kmsg_vh
	assert_line --partial "nothing needed doing"
}
