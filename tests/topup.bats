#!/usr/bin/env bats
# `vfiohost topup` (issue 15): after the switch to the real root, vfiohost-topup.service
# reserves what the initramfs could not of the boot's hugepage plan, logs it as boot does,
# adds a "topup" member to the report, and status shows both stages. The fake kernel's
# --page-ms makes each 1 GiB page take time, so a boot with too little time stops part way
# and the top-up finishes the plan.

bats_require_minimum_version 1.5.0
load helpers
load fake

teardown() {
	fake_teardown
}

NODE=sys/devices/system/node
NR1G=hugepages/hugepages-1048576kB/nr_hugepages
GLOBAL=sys/kernel/mm/hugepages/hugepages-1048576kB/nr_hugepages
REPORT=run/vfiohost/report.json

# one_node PAGES TIME: mkhost_act with its GPUs bound and PAGES 1 GiB pages in TIME seconds.
one_node() {
	mkhost_act
	policy_act "$(printf '[hugepages]\nsize = 1G\npages = %s\ntime = %s\n' "$1" "$2")"
}

rep() { jq -c "$@" "$ROOT/$REPORT"; }

@test "a boot given too little time for its pages stops part way, and topup reserves the rest" {
	one_node 6 1
	fk_start --page-ms 300
	vh_run --deadline 5 boot
	assert_success
	boot_got=$(rep .hugepages.obtained)
	[ "$boot_got" -ge 1 ] && [ "$boot_got" -lt 6 ]
	[ "$(rep .hugepages.short)" = '"time"' ]
	vh_run topup
	assert_success
	[ "$(cat "$ROOT/$GLOBAL")" = 6 ]
	run rep '.topup | [.boot_obtained, .before, .pages, .obtained, .short]'
	assert_output "[$boot_got,$boot_got,6,6,null]"
	run kmsg_vh
	assert_line --partial "topup: the initramfs reserved $boot_got of 6 hugepages; reserving the rest, in 120000 ms at most"
	assert_line --regexp "topup: done in [0-9]+ ms: hugepages 6 of 6 \\($boot_got before the top-up\\)"
	# The split, as the report gives it: both stages together took every page of the plan.
	printf '# initramfs %s pages in %s ms, top-up %s pages in %s ms\n' "$boot_got" \
		"$(rep .hugepages.ms)" "$((6 - boot_got))" "$(rep .topup.ms)" >&3
}

@test "status shows both stages and holds once the top-up completed the plan" {
	one_node 4 1
	fk_start --page-ms 400
	vh_run --deadline 5 boot
	boot_got=$(rep .hugepages.obtained)
	[ "$boot_got" -lt 4 ]
	vh_run status
	assert_failure 1
	assert_output --partial "problem: at boot: hugepages: asked for 4, got $boot_got (time)"
	vh_run topup
	assert_success
	fk_stop
	vh_run status
	assert_success
	assert_output --partial "hugepages: $boot_got reserved in the initramfs, 4 after the top-up, 4 now"
	assert_output --partial "all holds"
	vh_run status --json
	run jqr -c '.hugepages | [.initramfs_obtained, .topup_obtained, .obtained, .now]'
	assert_output "[$boot_got,4,4,4]"
}

@test "topup never asks for more than the boot's plan, whatever the policy says now" {
	one_node 3 0
	vh_run --deadline 5 boot
	[ "$(rep .hugepages.obtained)" = 0 ]
	policy_act $'[hugepages]\nsize = 1G\npages = 20\n'
	vh_run topup
	assert_success
	[ "$(cat "$ROOT/$GLOBAL")" = 3 ]
	[ "$(rep .topup.obtained)" = 3 ]
}

@test "topup fills each NUMA node of the plan side by side" {
	mkhost server-8gpu
	printf '[vfio]\nbind = 10de:2330\n[hugepages]\nsize = 1G\npages = 6\nnodes = even\ntime = 0\n' | policy
	fk_start --page-ms 300
	vh_run --deadline 5 boot
	[ "$(rep .hugepages.obtained)" = 0 ]
	t0=$(now)
	vh_run topup
	elapsed=$(since "$t0")
	assert_success
	[ "$(cat "$ROOT/$NODE/node0/$NR1G")" = 3 ]
	[ "$(cat "$ROOT/$NODE/node1/$NR1G")" = 3 ]
	run rep '.topup.nodes | map([.node, .before, .obtained, .short])'
	assert_output '[[0,0,3,null],[1,0,3,null]]'
	# Three pages a node at 0.3 s each: about 1 s side by side, about 2 s one after the other.
	less_than "$elapsed" 1.8
}

@test "topup has a time of its own (--deadline), and says a short count is time" {
	one_node 8 0
	fk_start --page-ms 500
	vh_run --deadline 5 boot
	vh_run --deadline 1.2 topup
	assert_failure 1
	got=$(cat "$ROOT/$GLOBAL")
	[ "$got" -ge 1 ] && [ "$got" -lt 8 ]
	[ "$(rep .topup.short)" = '"time"' ]
	[ "$(rep .topup.time_ms)" = 1200 ]
	fk_stop
	vh_run status
	assert_failure 1
	assert_output --partial "problem: hugepages: the top-up got $got of 8 (time)"
}

@test "a second topup replaces the first one's stage in the report, which stays valid JSON" {
	one_node 2 0
	vh_run --deadline 5 boot
	vh_run topup
	assert_success
	echo 0 >"$ROOT/$GLOBAL"
	vh_run topup
	assert_success
	run rep '[keys[] | select(. == "topup")] | length'
	assert_output 1
	[ "$(rep '.topup | [.before, .obtained]')" = '[0,2]' ]
	[ "$(rep '.functions | length')" -gt 0 ]
}

@test "topup does nothing, and says why, when the boot reserved every page" {
	one_node 2 5
	vh_run --deadline 5 boot
	[ "$(rep .hugepages.obtained)" = 2 ]
	before=$(cat "$ROOT/$REPORT")
	vh_run topup
	assert_success
	[ "$(cat "$ROOT/$REPORT")" = "$before" ]
	run kmsg_vh
	assert_line --partial 'topup: /run/vfiohost/report.json: the boot reserved all 2 pages: nothing to top up'
}

@test "topup does nothing after a boot with vfiohost=off, in dry-run, or with no report" {
	one_node 2 0
	vh_run topup
	assert_success
	run kmsg_vh
	assert_line --partial 'topup: no report of this boot at /run/vfiohost/report.json: nothing to top up'
	printf 'ro quiet vfiohost=dry-run\n' >"$ROOT/proc/cmdline"
	vh_run --deadline 5 boot
	vh_run topup
	assert_success
	[ "$(cat "$ROOT/$GLOBAL")" = 0 ]
	run kmsg_vh
	assert_line --partial 'topup: /run/vfiohost/report.json: the boot ran in mode dry-run: nothing to top up'
	printf 'ro quiet vfiohost=off\n' >"$ROOT/proc/cmdline"
	vh_run --deadline 5 boot
	vh_run topup
	assert_success
	[ "$(cat "$ROOT/$GLOBAL")" = 0 ]
	run kmsg_vh
	assert_line --partial 'topup: /run/vfiohost/report.json: the boot ran in mode off: nothing to top up'
}

@test "a report that is not vfiohost's is named, and nothing is reserved" {
	one_node 2 0
	mkdir -p "$ROOT/run/vfiohost"
	echo 'not json' >"$ROOT/$REPORT"
	vh_run topup
	assert_failure 1
	[ "$(cat "$ROOT/$GLOBAL")" = 0 ]
	run kmsg_vh
	assert_line --partial 'topup: /run/vfiohost/report.json is not a report vfiohost wrote'
}

@test "status --prometheus counts the top-up's pages as obtained, per node" {
	mkhost server-8gpu
	printf '[vfio]\nbind = 10de:2330\n[hugepages]\nsize = 1G\npages = 4\nnodes = even\ntime = 0\n' | policy
	vh_run --deadline 5 boot
	vh_run status --prometheus
	assert_line 'vfiohost_hugepages_obtained{node="0"} 0'
	vh_run topup
	assert_success
	vh_run status --prometheus
	assert_line 'vfiohost_hugepages_obtained{node="0"} 2'
	assert_line 'vfiohost_hugepages_obtained{node="1"} 2'
}
