#!/usr/bin/env bats
# `vfiohost boot` reserving hugepages (issue 15): memory is compacted before each attempt,
# the NUMA nodes are filled side by side, a short count says why, and the reservation has a
# time of its own ([hugepages] time =, vfiohost.hugepages_time=) that never takes binding's.
# A FIFO in place of a node's `compact` file stands for compaction that does not end: its
# writer blocks in open(2) until someone reads it, and nobody does.

bats_require_minimum_version 1.5.0
load helpers
load fake

teardown() {
	fake_teardown
}

NODE=sys/devices/system/node
NR1G=hugepages/hugepages-1048576kB/nr_hugepages

# two_nodes POLICY_HUGEPAGES_LINES: the HGX host (two nodes), its GPUs bound, and the lines
# given in [hugepages].
two_nodes() {
	mkhost server-8gpu
	printf '[vfio]\nbind = 10de:2330\n[hugepages]\nsize = 1G\nnodes = even\n%s\n' "$1" | policy
}

@test "boot compacts each node's memory before asking it for pages" {
	two_nodes 'pages = 10'
	: >"$ROOT/$NODE/node0/compact"
	: >"$ROOT/$NODE/node1/compact"
	fk_start
	vh_run --deadline 5 boot
	assert_success
	[ "$(cat "$ROOT/$NODE/node0/compact")" = 1 ]
	[ "$(cat "$ROOT/$NODE/node1/compact")" = 1 ]
	run jq -c '.hugepages | [.obtained, .short, [.nodes[] | .obtained, .short, .tries]]' \
		"$ROOT/run/vfiohost/report.json"
	# 1 GiB a write: five writes a node.
	assert_output '[10,null,[5,null,5,5,null,5]]'
	run kmsg_vh
	assert_line --regexp 'hugepages on node 0: 5 reserved \(5 writes, [0-9]+ ms\)'
}

@test "a one-node host compacts through /proc/sys/vm/compact_memory" {
	mkhost_act
	printf '[hugepages]\nsize = 1G\npages = 3\n' | policy
	mkdir -p "$ROOT/proc/sys/vm"
	: >"$ROOT/proc/sys/vm/compact_memory"
	vh_run --deadline 5 boot
	assert_success
	[ "$(cat "$ROOT/proc/sys/vm/compact_memory")" = 1 ]
	[ "$(jq -c '.hugepages | [.obtained, .short]' "$ROOT/run/vfiohost/report.json")" = '[3,null]' ]
}

@test "a node stuck in compaction is cut off at the time limit, and the other node is filled" {
	two_nodes $'pages = 10\ntime = 2'
	mkfifo "$ROOT/$NODE/node0/compact"
	fk_start
	t0=$(now)
	vh_run --deadline 5 boot
	elapsed=$(since "$t0")
	assert_success
	less_than "$elapsed" 4
	[ "$(cat "$ROOT/$NODE/node1/$NR1G")" = 5 ]
	[ "$(cat "$ROOT/$NODE/node0/$NR1G")" = 0 ]
	run jq -c '.hugepages | [.obtained, .short, .time_ms, [.nodes[] | .obtained, .short]]' \
		"$ROOT/run/vfiohost/report.json"
	assert_output '[5,"time",2000,[0,"time",5,null]]'
	run kmsg_vh
	assert_line --regexp 'hugepages on node 0: asked for 5, got 0 in [0-9]+ ms \(time: still reserving at the limit of 2000 ms\)'
	assert_line --partial 'hugepages on node 1: 5 reserved'
	# Binding kept its own time: the GPUs are on vfio-pci.
	[ "$(result 0000:18:00.0)" = bound ]
}

@test "vfiohost.hugepages_time= on the command line sets this boot's time over the policy's" {
	two_nodes $'pages = 10\ntime = 5'
	mkfifo "$ROOT/$NODE/node0/compact"
	printf 'ro quiet vfiohost.hugepages_time=1\n' >"$ROOT/proc/cmdline"
	fk_start
	vh_run --deadline 5 boot
	assert_success
	[ "$(jq .hugepages.time_ms "$ROOT/run/vfiohost/report.json")" = 1000 ]
}

@test "a time longer than the deadline's share extends the boot by the difference only" {
	two_nodes $'pages = 10\ntime = 3'
	mkfifo "$ROOT/$NODE/node0/compact"
	fk_start
	t0=$(now)
	vh_run --deadline 2 boot
	elapsed=$(since "$t0")
	assert_success
	# 3 s for hugepages, where the share would have been about 1.2 s of the 2 s.
	[ "$(jq .hugepages.time_ms "$ROOT/run/vfiohost/report.json")" = 3000 ]
	less_than "$elapsed" 5
	[ "$(result 0000:18:00.0)" = bound ]
}

@test "time = 0 leaves hugepages alone in the initramfs and says so" {
	two_nodes $'pages = 10\ntime = 0'
	fk_start
	vh_run --deadline 5 boot
	assert_success
	[ "$(cat "$ROOT/$NODE/node1/$NR1G")" = 0 ]
	[ "$(jq -c '.hugepages | [.obtained, .short]' "$ROOT/run/vfiohost/report.json")" = '[0,"time"]' ]
}

@test "a write the kernel refuses is reported as an error, with the file and the reason" {
	mkhost_act
	printf '[hugepages]\nsize = 1G\npages = 3\n' | policy
	chmod 0444 "$ROOT/sys/kernel/mm/hugepages/hugepages-1048576kB/nr_hugepages"
	run vh_nodac --deadline 5 boot
	assert_success
	[ "$(jq -c '.hugepages | [.obtained, .short]' "$ROOT/run/vfiohost/report.json")" = '[0,"error"]' ]
	run kmsg_vh
	assert_line --regexp 'asked for 3, got 0 in [0-9]+ ms \(writing /sys/kernel/mm/hugepages/hugepages-1048576kB/nr_hugepages failed: Permission denied\)'
}

@test "[hugepages] time is checked by validate, with the file and the line" {
	mkhost_act
	printf '[hugepages]\npages = 3\ntime = forever\n' | policy
	vh_run validate
	assert_failure 2
	assert_output --partial 'etc/vfiohost.conf:3: time must be auto or seconds from 0 to 600'
}
