#!/usr/bin/env bats
# Reset and power per function (issue 11 part 4): reset-method and d3cold in [vfio] and in
# [function SELECTOR] sections; their errors as FILE:LINE; what `plan` says boot will write
# to reset_method and d3cold_allowed, in the table and in --json. (Boot and status:
# power-boot.bats.)

bats_require_minimum_version 1.5.0
load helpers
load fake

teardown() {
	fake_teardown
}

CONF=/etc/vfiohost.conf

# power_host: an RTX 3070 (flr bus) with its audio (no reset method), a Tesla T4 (pm bus,
# no d3cold_allowed: a kernel without CONFIG_PM would show none), the boot iGPU.
power_host() {
	mkhost_text <<'EOF2'
# cmdline: BOOT_IMAGE=/boot/vmlinuz-6.1.0-28-amd64 root=/dev/sda1 ro quiet intel_iommu=on
0000:00:01.0 group=1 class=0604 id=8086:1901 driver=pcieport
0000:01:00.0 group=1 class=0300 id=10de:2484 driver=nouveau reset_method="flr bus"
0000:01:00.1 group=1 class=0403 id=10de:228b driver=snd_hda_intel
0000:02:00.0 group=2 class=0302 id=10de:1eb8 reset_method="pm bus" d3cold_allowed=none
0000:03:00.0 group=3 class=0302 id=10de:1eb8 driver=vfio-pci reset_method="flr"
0000:00:02.0 group=5 class=0300 id=8086:3e98 driver=i915 boot_vga=1 reset_method="flr"
EOF2
}

@test "plan shows what boot writes to reset_method and d3cold_allowed, per function" {
	power_host
	printf '[vfio]\nbind = 10de:2484\nd3cold = no\nreset-method = bus\n[function 01:00.1]\nreset-method = default\n' | policy
	vh_run plan
	assert_success
	assert_output --partial "before binding, boot writes:
  0000:01:00.0  reset_method = bus  (line 4; it offers flr bus)
  0000:01:00.0  d3cold_allowed = 0  (line 3; now 1)
  0000:01:00.1  d3cold_allowed = 0  (line 3; now 1)"
	refute_output --partial "warning"
}

@test "plan --json has reset_method, d3cold_allowed and reset_offered for each function, or null" {
	power_host
	printf '[vfio]\nbind = 10de:*\nd3cold = no\n[function class=0302]\nreset-method = pm, bus\n' | policy
	vh_run plan --json
	assert_failure 1 # 02:00.0 has no d3cold_allowed: a warning
	run jqr -c '.functions[] | [.bdf, .action, .reset_method, .d3cold_allowed, .reset_offered]'
	assert_output '["0000:01:00.0","bind",null,0,"flr bus"]
["0000:01:00.1","bind",null,0,null]
["0000:02:00.0","bind","pm bus",null,"pm bus"]
["0000:03:00.0","keep",null,null,"flr"]'
}

@test "a function without d3cold_allowed: d3cold is not written, plan warns, exit 1" {
	power_host
	printf '[vfio]\nbind = 0000:02:00.0\nd3cold = no\n' | policy
	vh_run plan
	assert_failure 1
	assert_line "warning: 0000:02:00.0 10de:1eb8 3D: d3cold = no (line 3) not written: it has no d3cold_allowed file"
	refute_output --partial "before binding"
}

@test "a reset method the function does not offer is refused with a clear line; the function is still bound" {
	power_host
	printf '[vfio]\nbind = 10de:2484\n[function 10de:2484]\nreset-method = bus pm\n' | policy
	vh_run plan
	assert_failure 1
	assert_line --regexp '^0000:01:00.0 .* bind +bind at line 2$'
	assert_line "warning: 0000:01:00.0 10de:2484 VGA: reset-method = bus pm (line 4) not written: it does not offer pm (its reset_method: flr bus)"
	vh_run plan --json
	run jqr -c '[.functions[0].reset_method, (.warnings | length)]'
	assert_output '[null,1]'
}

@test "a function with no reset_method file: a list is refused, default needs nothing" {
	power_host
	printf '[vfio]\nbind = 10de:2484\n[function 01:00.1]\nreset-method = flr\n' | policy
	vh_run plan
	assert_failure 1
	assert_line "warning: 0000:01:00.1 10de:228b Audio: reset-method = flr (line 4) not written: it has no reset_method file (no reset method, or a kernel before 5.15)"
	printf '[vfio]\nbind = 10de:2484\nreset-method = default\n' | policy
	vh_run plan --json
	assert_success
	run jqr -c '[.functions[] | .reset_method]'
	assert_output '["default",null]'
}

@test "the last [function] section that matches wins over earlier ones and over [vfio], key by key" {
	power_host
	printf '%s\n' '[vfio]' 'bind = 10de:*' 'reset-method = flr' 'd3cold = no' \
		'[function class=03]' 'reset-method = bus' \
		'[function 10de:1eb8]' 'reset-method = pm' 'd3cold = yes' \
		'[function 0000:02:00.0]' 'reset-method = bus pm' | policy
	vh_run plan --json
	run jqr -c '.functions[] | [.bdf, .reset_method, .d3cold_allowed]'
	assert_output '["0000:01:00.0","bus",0]
["0000:01:00.1",null,0]
["0000:02:00.0","bus pm",null]
["0000:03:00.0",null,null]'
	vh_run plan --json
	run jqr -r '.warnings[]'
	assert_output --partial "0000:01:00.1 10de:228b Audio: reset-method = flr (line 3) not written"
	assert_output --partial "0000:02:00.0 10de:1eb8 3D: d3cold = yes (line 9) not written"
}

@test "options = disable_idle_d3=1 is accepted: vfio-pci's way to keep idle devices out of D3" {
	mkhost_text <<<'0000:02:00.0 group=2 class=0302 id=10de:1eb8 reset_method="pm bus"'
	printf '[vfio]\nbind = 10de:1eb8\noptions = disable_vga=1 disable_idle_d3=1\n' | policy
	run vh validate
	assert_success
	fk_start
	vh_run --deadline 5 boot
	assert_success
	run kmsg_vh
	assert_output --partial "would load vfio-pci with disable_vga=1 disable_idle_d3=1 (not under --root"
}

# refused LINE REGEX: validate and plan exit 2 and say CONF:LINE: REGEX on stderr.
refused() {
	for cmd in validate plan; do
		run --separate-stderr vh $cmd
		[ "$status" -eq 2 ] || fail "$cmd: exit $status, want 2; stderr: $stderr"
		grep -Eq -- "^$CONF:$1: $2" <<<"$stderr" || fail "$cmd: no /$CONF:$1: $2/ in: $stderr"
	done
}

@test "power errors are FILE:LINE, every one of them, and nothing is applied" {
	power_host
	printf '%s\n' '[vfio]' 'bind = 10de:*' 'reset-method = warm' 'd3cold = off' \
		'reset-method = flr flr' '[function]' '[function 10de:2484]' 'options = x=1' \
		'reset-method = flr' 'reset-method = bus' '[function 10de:2484]' \
		'[function 01:00.0 class=zz]' 'd3cold = no' '[hugepages]' 'd3cold = no' | policy
	refused 3 "reset-method: unknown reset method 'warm'"
	refused 4 "d3cold must be yes or no, not 'off'"
	refused 5 "reset-method: reset method 'flr' is listed twice"
	refused 6 "\[function\] needs a selector"
	refused 8 "unknown key 'options' in \[function\] \(want reset-method or d3cold\)"
	refused 10 "'reset-method' is already set at line 9"
	refused 11 "\[function 10de:2484\] is already at line 7"
	refused 12 "\[function\]: bad class"
	refused 15 "unknown key 'd3cold' in \[hugepages\]"
	run --separate-stderr vh validate
	[ "$(grep -c "^$CONF:" <<<"$stderr")" -eq 9 ]
}

@test "default stands alone, and a [function] section selects nothing by itself" {
	power_host
	printf '[vfio]\nreset-method = flr default\n' | policy
	refused 2 "reset-method: 'default' stands alone"
	printf '[vfio]\nbind = 0000:02:00.0\n[function 10de:2484]\nreset-method = bus\n' | policy
	vh_run plan --json
	run jqr -c '[.functions[] | .bdf]'
	assert_output '["0000:02:00.0"]'
}
