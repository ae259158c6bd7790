#!/usr/bin/env bats
# `vfiohost status` after a boot on a fake host (issue 3): does what the boot did still hold?
# Exit 0 when it does, 1 otherwise (SPEC section 2), a table or --json.  The boot runs with
# tests/fakekernel serving the tree; changes after boot are made the way the kernel would
# show them (fk_move re-points a driver link, a smaller nr_hugepages).

bats_require_minimum_version 1.5.0
load helpers
load fake

teardown() {
	fake_teardown
}

HP1G=sys/kernel/mm/hugepages/hugepages-1048576kB/nr_hugepages

# booted [POLICY EXTRA LINES]: mkhost_act, bind = 10de:* plus the lines, and a boot that bound
# 01:00.0, 01:00.1 and 02:00.0 and kept 03:00.0.
booted() {
	mkhost_act
	policy_act "${1:-}"
	fk_start
	vh_run --deadline 5 boot
	assert_success
	fk_stop
}

@test "status after a boot that still holds: all holds, exit 0" {
	booted $'[hugepages]\npages = 4\n'
	vh_run status
	assert_success
	assert_line --regexp "^0000:01:00.0 +bind +bound +vfio-pci$"
	assert_line --regexp "^0000:03:00.0 +keep +already +vfio-pci$"
	assert_line "hugepages: 4 reserved at boot, 4 now"
	assert_line "all holds"
	refute_line --partial "problem"
}

@test "status says so when a bound function drifted back to another driver, exit 1" {
	booted
	fk_move 0000:01:00.0 nouveau
	vh_run status
	assert_failure 1
	assert_line --regexp "^0000:01:00.0 +bind +bound +nouveau$"
	assert_line --regexp "problem: 0000:01:00.0 .*vfio-pci at boot.* now on nouveau"
	refute_line "all holds"
}

@test "status says so when a kept function drifted to another driver, exit 1" {
	booted
	fk_move 0000:03:00.0 nvidia
	vh_run status
	assert_failure 1
	assert_line --regexp "problem: 0000:03:00.0 .* now on nvidia"
}

@test "status says so when a bound function lost its driver, exit 1" {
	booted
	fk_move 0000:02:00.0 none
	vh_run status
	assert_failure 1
	assert_line --regexp "problem: 0000:02:00.0 .* now on none"
}

@test "status after a boot that found everything bound still sees a drift, exit 1" {
	booted
	vh_run --deadline 5 boot # the second boot: every function is kept
	assert_success
	fk_move 0000:01:00.0 nouveau
	vh_run status
	assert_failure 1
	assert_line --regexp "problem: 0000:01:00.0 .* now on nouveau"
}

@test "status says so when hugepages were given back after boot, exit 1" {
	booted $'[hugepages]\npages = 4\n'
	echo 1 >"$ROOT/$HP1G"
	vh_run status
	assert_failure 1
	assert_line "hugepages: 4 reserved at boot, 1 now"
	assert_line --partial "problem: hugepages: 4 reserved at boot, 1 now"
}

@test "status sees hugepages given back on one node of a NUMA host, exit 1" {
	mkhost server-8gpu
	printf '[vfio]\nbind = 10de:2330\n[hugepages]\npages = 10\nnodes = even\n' | policy
	fk_start
	vh_run --deadline 5 boot
	assert_success
	vh_run status
	assert_success
	echo 2 >"$ROOT/sys/devices/system/node/node1/hugepages/hugepages-1048576kB/nr_hugepages"
	vh_run status
	assert_failure 1
	assert_line --partial "problem: hugepages: 10 reserved at boot, 7 now"
}

@test "status says to rebuild the initramfs when the policy changed after boot, exit 1" {
	booted
	echo "skip = 0000:02:00.0" >>"$ROOT/etc/vfiohost.conf"
	vh_run status
	assert_failure 1
	assert_line --regexp "problem: /etc/vfiohost.conf changed since boot: rebuild the initramfs"
}

@test "status without a report: exit 1 and says vfiohost did not run" {
	mkhost_act
	policy_act
	vh_run status
	assert_failure 1
	assert_output --regexp "no report at /run/vfiohost/report.json.*did not run"
}

@test "status with expect = N and fewer functions on vfio-pci now: exit 1" {
	booted $'expect = 4\n'
	vh_run status
	assert_success
	fk_move 0000:02:00.0 none
	vh_run status
	assert_failure 1
	assert_line --regexp "problem: expect = 4, but 3 functions are on their VFIO driver now"
}

@test "status after a boot whose count missed expect: exit 1" {
	mkhost_act
	policy_act $'expect = 5\n'
	fk_start
	vh_run --deadline 5 boot
	fk_stop
	vh_run status
	assert_failure 1
	assert_line --regexp "problem: .*expect = 5"
}

@test "status reports a function that failed at boot, exit 1" {
	mkhost_act
	policy_act
	fk_start --refuse 0000:02:00.0
	vh_run --deadline 5 boot
	assert_failure 1
	fk_stop
	vh_run status
	assert_failure 1
	assert_line --regexp "problem: 0000:02:00.0 failed: not on vfio-pci after probing"
}

@test "status --json: a valid object with each function's driver now, and holds" {
	booted $'[hugepages]\npages = 4\n'
	vh_run status --json
	assert_success
	jq -e . <<<"$output" >/dev/null
	[ "$(jqr '.holds')" = true ]
	[ "$(jqr '.problems | length')" = 0 ]
	[ "$(jqr '.hugepages | "\(.obtained) \(.now)"')" = "4 4" ]
	run jqr -c '[.functions[] | [.bdf, .result, .driver_now]]'
	assert_output '[["0000:01:00.0","bound","vfio-pci"],["0000:01:00.1","bound","vfio-pci"],["0000:02:00.0","bound","vfio-pci"],["0000:03:00.0","already","vfio-pci"]]'
}

@test "status --json after a drift: holds is false and the problem is listed, exit 1" {
	booted
	fk_move 0000:01:00.1 snd_hda_intel
	vh_run status --json
	assert_failure 1
	[ "$(jqr '.holds')" = false ]
	[ "$(jqr '.functions[] | select(.bdf == "0000:01:00.1") | .driver_now')" = snd_hda_intel ]
	[ "$(jqr '.problems[]' | grep -c '0000:01:00.1')" = 1 ]
}

# ---------------------------------------------------------------- verification (issue 11)

@test "status: a function on vfio-pci whose group node is gone does not hold, exit 1" {
	booted
	rm "$ROOT/dev/vfio/2"
	vh_run status
	assert_failure 1
	assert_line --regexp "^problem: 0000:02:00.0 is on vfio-pci, but /dev/vfio/2 did not appear$"
	refute_line "all holds"
}

@test "status on a kernel without VFIO groups: all holds through /dev/vfio/devices/vfioN" {
	boot_without_groups
	vh_run status
	assert_success
	assert_line "all holds"
	rm "$ROOT/dev/vfio/devices/vfio1"
	vh_run status
	assert_failure 1
	assert_line --regexp "^problem: 0000:01:00.0 is on vfio-pci, but /dev/vfio/devices/vfio1 did not appear$"
}

# ---------------------------------------------------------------- VFIO variant drivers (issue 11)

# booted_gh200: tests/hosts/gh200.host booted: the GPU on nvgrace-gpu-vfio-pci, the VF on
# mlx5_vfio_pci, the L40S on vfio-pci.
booted_gh200() {
	mkhost gh200
	printf '[vfio]\nbind = 10de:* class=03\nbind = 15b3:101e\nexpect = 3\n' | policy
	fk_start
	vh_run --deadline 5 boot
	assert_success
	fk_stop
}

@test "status after a boot onto variant drivers: all holds, each on the driver the report names" {
	booted_gh200
	vh_run status
	assert_success
	assert_line --regexp "^0009:01:00.0 +bind +bound +nvgrace-gpu-vfio-pci$"
	assert_line --regexp "^0000:01:00.2 +bind +bound +mlx5_vfio_pci$"
	assert_line --regexp "^0011:01:00.0 +bind +bound +vfio-pci$"
	assert_line "all holds"
}

@test "status: a GPU moved from its variant to vfio-pci is drift, and expect counts it out" {
	booted_gh200
	fk_move 0009:01:00.0 vfio-pci
	vh_run status
	assert_failure 1
	assert_line "problem: 0009:01:00.0 was put on nvgrace-gpu-vfio-pci at boot, but is now on vfio-pci"
	assert_line "problem: expect = 3, but 2 functions are on their VFIO driver now"
}
