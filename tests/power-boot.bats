#!/usr/bin/env bats
# Reset and power per function at boot and after (issue 11 part 4): boot writes
# reset_method and d3cold_allowed of the functions to bind before it claims them, each write
# a bounded step; the report says what was written and how it went; status says when the
# live value no longer is what boot wrote. tests/fakekernel shows reset_method as the
# kernel would (a written `default` reads back as the methods offered).

bats_require_minimum_version 1.5.0
load helpers
load fake

teardown() {
	fake_teardown
}

DEV=sys/bus/pci/devices

# power_host: an RTX 3070 (flr bus) with its audio (no reset method) in group 1, a Tesla
# T4 (pm bus) alone in group 2.
power_host() {
	mkhost_text <<'EOF2'
# cmdline: BOOT_IMAGE=/boot/vmlinuz-6.1.0-28-amd64 root=/dev/sda1 ro quiet intel_iommu=on
0000:00:01.0 group=1 class=0604 id=8086:1901 driver=pcieport
0000:01:00.0 group=1 class=0300 id=10de:2484 driver=nouveau reset_method="flr bus"
0000:01:00.1 group=1 class=0403 id=10de:228b driver=snd_hda_intel
0000:02:00.0 group=2 class=0302 id=10de:1eb8 reset_method="pm bus"
0000:00:02.0 group=5 class=0300 id=8086:3e98 driver=i915 boot_vga=1 reset_method="flr"
EOF2
}

# booted POLICY_LINES...: power_host, [vfio] bind = 10de:* and the lines, a boot on the fake
# kernel (exit status in $status), the fake kernel stopped.
booted() {
	power_host
	printf '%s\n' '[vfio]' 'bind = 10de:*' "$@" | policy
	fk_start
	vh_run --deadline 5 boot
	boot_status=$status
	fk_stop
}

@test "boot writes reset_method and d3cold_allowed before the bind, and logs function, file and value" {
	booted 'd3cold = no' '[function class=03]' 'reset-method = bus'
	[ "$boot_status" -eq 0 ]
	assert_equal "$(cat "$ROOT/$DEV/0000:01:00.0/reset_method")" bus
	assert_equal "$(cat "$ROOT/$DEV/0000:02:00.0/reset_method")" bus
	assert_equal "$(cat "$ROOT/$DEV/0000:01:00.0/d3cold_allowed")" 0
	assert_equal "$(cat "$ROOT/$DEV/0000:01:00.1/d3cold_allowed")" 0
	assert_equal "$(cat "$ROOT/$DEV/0000:00:02.0/reset_method")" flr # not selected: untouched
	assert_equal "$(driver_of 0000:01:00.0)" vfio-pci
	run kmsg_vh
	assert_output --partial "0000:01:00.0 10de:2484 VGA: wrote 'bus' to reset_method"
	assert_output --partial "0000:01:00.1 10de:228b Audio: wrote '0' to d3cold_allowed"
	# before the claim: every write is logged before the first driver_override
	run awk '/wrote /{w=NR} /driver_override set/ && !d {d=NR} END {print (w < d)}' "$ROOT/dev/kmsg"
	assert_output 1
	run jq -c '.functions[] | [.bdf, .result, .reset_method, .d3cold_allowed, .power_result]' \
		"$ROOT/run/vfiohost/report.json"
	assert_output '["0000:01:00.0","bound","bus",0,{"reset_method":"written","d3cold_allowed":"written"}]
["0000:01:00.1","bound",null,0,{"d3cold_allowed":"written"}]
["0000:02:00.0","bound","bus",0,{"reset_method":"written","d3cold_allowed":"written"}]'
}

@test "boot refuses a reset method the function does not offer, with a clear line, and binds it" {
	booted '[function 0000:02:00.0]' 'reset-method = flr'
	[ "$boot_status" -eq 0 ]
	assert_equal "$(cat "$ROOT/$DEV/0000:02:00.0/reset_method")" "pm bus"
	assert_equal "$(driver_of 0000:02:00.0)" vfio-pci
	run kmsg_vh
	assert_line --regexp '^<12>vfiohost\[[0-9]+\]: 0000:02:00.0 10de:1eb8 3D: reset-method = flr \(line 4\) not written: it does not offer flr \(its reset_method: pm bus\)$'
	run jq -c '.functions[2] | [.reset_method, .power_result]' "$ROOT/run/vfiohost/report.json"
	assert_output '[null,null]'
}

@test "a function without a reset_method file gets no write, and a clear line" {
	booted 'reset-method = bus'
	[ ! -e "$ROOT/$DEV/0000:01:00.1/reset_method" ]
	assert_equal "$(driver_of 0000:01:00.1)" vfio-pci
	run kmsg_vh
	assert_output --partial "0000:01:00.1 10de:228b Audio: reset-method = bus (line 3) not written: it has no reset_method file"
}

@test "reset-method = default reads back as every method offered, and status holds" {
	booted 'reset-method = default'
	[ "$boot_status" -eq 0 ]
	assert_equal "$(cat "$ROOT/$DEV/0000:01:00.0/reset_method")" "flr bus"
	vh_run status
	assert_success
	assert_line "all holds"
}

@test "a failed write is logged and the report says so; the function is bound, boot exits 1" {
	power_host
	printf '[vfio]\nbind = 10de:*\nd3cold = no\n' | policy
	fk_start
	run vh_inject EINVAL "$DEV/0000:02:00.0/d3cold_allowed" --deadline 5 boot
	assert_failure 1
	fk_stop
	assert_equal "$(driver_of 0000:02:00.0)" vfio-pci
	run kmsg_vh
	assert_output --partial "0000:02:00.0 10de:1eb8 3D: writing '0' to d3cold_allowed failed: Invalid argument"
	assert_output --partial "0000:02:00.0 10de:1eb8 3D: binding it anyway, with its d3cold_allowed as it was"
	run result 0000:02:00.0
	assert_output bound
	run jq -r '.functions[2].power_result.d3cold_allowed' "$ROOT/run/vfiohost/report.json"
	assert_output "failed: Invalid argument"
	vh_run status
	assert_failure 1
	assert_line "problem: 0000:02:00.0: writing d3cold_allowed failed: Invalid argument at boot"
}

@test "a write that hangs is abandoned at its step's limit, and its group is left alone" {
	power_host
	printf '[vfio]\nbind = 10de:*\nreset-method = default\n' | policy
	rm "$ROOT/$DEV/0000:01:00.0/reset_method"
	mkfifo "$ROOT/$DEV/0000:01:00.0/reset_method" # a writer's open(2) blocks: nobody reads
	fk_start
	t0=$(now)
	vh_run --deadline 2 boot
	assert_failure 1
	less_than "$(since "$t0")" 2.5
	fk_stop
	assert_equal "$(driver_of 0000:01:00.0)" nouveau
	assert_equal "$(driver_of 0000:01:00.1)" snd_hda_intel
	assert_equal "$(driver_of 0000:02:00.0)" vfio-pci
	run kmsg_vh
	assert_output --partial "0000:01:00.0 10de:2484 VGA: writing 'default' to reset_method failed: it hung, abandoned at the deadline"
	assert_output --partial "group 1: left to its drivers: writing reset_method of 0000:01:00.0 hung"
	run jq -c '.functions[] | [.bdf, .action, .result]' "$ROOT/run/vfiohost/report.json"
	assert_output '["0000:01:00.0","refuse","failed: not bound: writing reset_method of 0000:01:00.0 hung"]
["0000:01:00.1","refuse","failed: not bound: writing reset_method of 0000:01:00.0 hung"]
["0000:02:00.0","bind","bound"]'
}

@test "status reports a reset_method that drifted from what boot wrote, exit 1" {
	booted 'reset-method = bus'
	echo "flr bus" >"$ROOT/$DEV/0000:01:00.0/reset_method"
	vh_run status
	assert_failure 1
	assert_line "problem: 0000:01:00.0: reset_method is 'flr bus' now, but boot wrote 'bus'"
	vh_run status --json
	run jqr -r '.holds, (.problems | length)'
	assert_output "false
2" # and the audio function's refused reset-method, a warning at boot
}

@test "status reports a d3cold_allowed that drifted, and one that is gone, exit 1" {
	booted 'd3cold = no'
	echo 1 >"$ROOT/$DEV/0000:01:00.0/d3cold_allowed"
	rm "$ROOT/$DEV/0000:02:00.0/d3cold_allowed"
	vh_run status
	assert_failure 1
	assert_line "problem: 0000:01:00.0: d3cold_allowed is 1 now, but boot wrote 0"
	assert_line "problem: 0000:02:00.0: d3cold_allowed was set to 0 at boot, but is gone now"
	refute_line --partial "0000:01:00.1: d3cold"
}

@test "vfiohost=dry-run writes neither reset_method nor d3cold_allowed, and the report says dry-run" {
	power_host
	printf '[vfio]\nbind = 10de:*\nd3cold = no\nreset-method = bus\n' | policy
	echo "BOOT_IMAGE=/boot/vmlinuz-6.1.0-28-amd64 ro intel_iommu=on vfiohost=dry-run" >"$ROOT/proc/cmdline"
	vh_run --deadline 2 boot
	assert_success
	assert_equal "$(cat "$ROOT/$DEV/0000:01:00.0/reset_method")" "flr bus"
	assert_equal "$(cat "$ROOT/$DEV/0000:01:00.0/d3cold_allowed")" 1
	run jq -c '.functions[0].power_result' "$ROOT/run/vfiohost/report.json"
	assert_output '{"reset_method":"dry-run","d3cold_allowed":"dry-run"}'
}
