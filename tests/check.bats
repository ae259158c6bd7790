#!/usr/bin/env bats
# `vfiohost check`: the seed guide's host check (section 2) without lspci, as `check --json`
# (SPEC section 5) reports it: CPU, boot flags, IOMMU state, kernel log, GPU groups, warnings.

bats_require_minimum_version 1.5.0
load helpers


# host NAME|PATH: $ROOT is tests/hosts/NAME.host (or PATH, one with a '/'), built once for
# this file (check only reads it).
host() {
	ROOT="$BATS_FILE_TMPDIR/$(basename "$1")"
	[ -d "$ROOT" ] || python3 "$TESTS_DIR/mkhost" "$1" "$ROOT" >/dev/null
}

# The shared hosts are built up front, side by side, to save time.
setup_file() {
	export BATS_NO_PARALLELIZE_WITHIN_FILE=true
	local h
	for h in seed-amd-5gpu seed-amd-bridges shared-group iommu-off desktop-1gpu efifb-3d \
		"$TOPOLOGIES/renoir-apu-usb-sata-group.topo"; do
		(host "$h") &
	done
	wait
}

# check_json: runs `check --json`; $output is the JSON.
check_json() {
	run --separate-stderr vh check --json
}

# guide_listing FROM TO: "GROUP BDF CLASS ID" for each device line the guide prints between a
# line starting with FROM and one starting with TO.
guide_listing() {
	awk -v from="$1" -v to="$2" '
		index($0, from) == 1 { on = 1; next }
		on && index($0, to) == 1 { exit }
		on && /^IOMMU Group [0-9]+:$/ { g = $3; sub(":", "", g); next }
		on && /^[0-9a-f][0-9a-f]:[0-9a-f][0-9a-f]\.[0-7] / {
			match($0, /\[[0-9a-f][0-9a-f][0-9a-f][0-9a-f]\]/); class = substr($0, RSTART + 1, 4)
			match($0, /\[[0-9a-f][0-9a-f][0-9a-f][0-9a-f]:[0-9a-f][0-9a-f][0-9a-f][0-9a-f]\]/)
			print g, "0000:" $1, class, substr($0, RSTART + 1, 9)
		}' "$GUIDE" | sort
}

# check_listing: the same from check --json ($output).
check_listing() {
	jqr '.gpu_groups[] | .group as $g | .functions[] | "\($g) \(.bdf) \(.class) \(.id)"' | sort
}

# guide_script: the guide's check script, reading the tree at $R instead of the live system
# (the kernel log from dev/kmsg, /proc and /sys under $R, lspci on $R's sysfs).
guide_script() {
	sed -n '/^#!\/usr\/bin\/env bash/,/^Here is what a good summary/p' "$GUIDE" | sed '$d' |
		sed -e 's|^if have journalctl; then journalctl -k -b 0 2>/dev/null$|sed "s/^[^;]*;//" "$R/dev/kmsg"|' \
			-e '/^else dmesg 2>\/dev\/null$/d' -e '/^(lscpu /d' \
			-e 's|/proc/|$R/proc/|g' -e 's|GROUPS_DIR="/sys|GROUPS_DIR="$R/sys|' \
			-e 's|lspci -nns|lspci -A linux-sysfs -O sysfs.path=$R/sys/bus/pci -nns|' |
		awk 'prev ~ /dev\/kmsg"$/ && $0 == "fi" { prev = $0; next } { print; prev = $0 }'
}

# script_findings: what the guide's script finds on $ROOT, one finding per line, sorted.
script_findings() {
	R="$ROOT" bash <(guide_script) 2>/dev/null | awk '
		/^CPU vendor/ { print "vendor " $NF }
		/^Boot flags/ { print "flags " $4, $5, $6 }
		/^IOMMU group count/ { print "groups " $NF }
		/^Kernel says enabled/ { print "enabled " $NF }
		/^Interrupt remapping/ { print "irq " $NF }
		/^Kernel says disabled/ { print "disabled " $NF }
		/^IOMMU ACTIVE/ { print "active " $NF }
		/^IOMMU Group [0-9]+:$/ { g = $3; sub(":", "", g) }
		/^[0-9a-f][0-9a-f]:[0-9a-f][0-9a-f]\.[0-7] / {
			match($0, /\[[0-9a-f][0-9a-f][0-9a-f][0-9a-f]\]/)
			print "member " g " " $1 " " substr($0, RSTART + 1, 4)
		}
		/^WARN: Multiple GPUs share these IOMMU groups:/ {
			for (i = 8; i <= NF && $i !~ /^\(/; i++) print "multi " $i
		}
		/^WARN: Group [0-9]+ contains/ { print "others " $3 }' | sort
}

# check_findings: the same findings from check --json ($output).
check_findings() {
	jqr 'def yn: if . then "yes" else "no" end;
		"vendor \(.cpu_vendor)",
		"flags intel_iommu=\(.boot_flags.intel_iommu | yn) amd_iommu=\(.boot_flags.amd_iommu | yn) iommu=pt=\(.boot_flags.iommu_pt | yn)",
		"groups \(.iommu.groups)", "enabled \(.iommu.kernel_enabled | yn)",
		"irq \(.iommu.interrupt_remapping | yn)", "disabled \(.iommu.kernel_disabled | yn)",
		"active \(.iommu.active | yn)",
		(.gpu_groups[] | .group as $g | .functions[] | "member \($g) \(.bdf[5:]) \(.class)"),
		(.gpu_groups[] | select(.gpus > 1) | "multi \(.group)"),
		(.gpu_groups[] | select(.others) | "others \(.group)")' | sort
}

# same_as_script: check --json finds on $ROOT what the guide's script finds (GUIDE= needed).
same_as_script() {
	need_guide "its script"
	command -v lspci >/dev/null || skip "lspci (pciutils) is needed to run the guide's script"
	script_findings >"$BATS_TEST_TMPDIR/script"
	grep -q '^groups ' "$BATS_TEST_TMPDIR/script" || fail "the guide's script did not run"
	check_json
	check_findings >"$BATS_TEST_TMPDIR/check"
	diff -u "$BATS_TEST_TMPDIR/script" "$BATS_TEST_TMPDIR/check"
}

# ---------------------------------------------------------------- the seed guide's first example

@test "seed host 1: the CPU vendor comes from /proc/cpuinfo" {
	host seed-amd-5gpu
	check_json
	assert_equal "$(jqr .cpu_vendor)" AuthenticAMD
}

@test "seed host 1: the boot flags are amd_iommu and iommu=pt" {
	host seed-amd-5gpu
	check_json
	assert_equal "$(jqr -c .boot_flags)" '{"intel_iommu":false,"amd_iommu":true,"iommu_pt":true}'
}

@test "seed host 1: the command line is the guide's" {
	need_guide "its command line"
	host seed-amd-5gpu
	check_json
	assert_equal "$(jqr .cmdline)" "$(sed -n 's/^Kernel cmdline : //p' "$GUIDE")"
}

@test "seed host 1: 57 IOMMU groups, so the IOMMU is active" {
	host seed-amd-5gpu
	check_json
	assert_equal "$(jqr '.iommu | "\(.active) \(.groups)"')" "true 57"
}

@test "seed host 1: the kernel log says neither enabled nor disabled, no interrupt remapping" {
	host seed-amd-5gpu
	check_json
	assert_equal "$(jqr -c '.iommu | [.kernel_enabled, .kernel_disabled, .interrupt_remapping]')" \
		'[false,false,false]'
}

@test "seed host 1: the GPU-containing groups are 13, 16, 27, 42 and 54" {
	host seed-amd-5gpu
	check_json
	assert_equal "$(jqr '[.gpu_groups[].group | tostring] | join(" ")')" "13 16 27 42 54"
	assert_equal "$(jqr '[.gpu_groups[].gpus | tostring] | join(" ")')" "1 1 1 1 1"
}

@test "seed host 1: each GPU group holds exactly the functions the guide lists" {
	need_guide "its listing of the GPU groups"
	host seed-amd-5gpu
	check_json
	guide_listing "Here is what a good summary" "As we can see" >"$BATS_TEST_TMPDIR/guide"
	[ "$(wc -l <"$BATS_TEST_TMPDIR/guide")" -eq 10 ] || fail "could not read the guide's listing"
	check_listing >"$BATS_TEST_TMPDIR/check"
	diff -u "$BATS_TEST_TMPDIR/guide" "$BATS_TEST_TMPDIR/check"
}

@test "seed host 1: no group warnings; its findings are the hand-made command line and no IRQ remapping line (exit 1)" {
	host seed-amd-5gpu
	check_json
	assert_failure 1
	assert_equal "$(jqr '.warnings | length')" 0
	assert_equal "$(jqr '[.gpu_groups[].others] | any')" false
	assert_equal "$(jqr '[.findings[].id] | join(" ")')" \
		"interrupt-remapping-off cmdline-vfio-ids cmdline-hugepages cmdline-outdated cmdline-outdated"
}

@test "seed host 1: check agrees with the guide's own script" {
	host seed-amd-5gpu
	same_as_script
}

# ---------------------------------------------------------------- the seed guide's second example

@test "seed host 2: the GPU groups 13 and 32 hold the bridges and functions the guide lists" {
	need_guide "its listing of the GPU groups"
	host seed-amd-bridges
	check_json
	guide_listing "Sometimes you may see PCI bridges" "3. Leverage 1G Huge Pages" >"$BATS_TEST_TMPDIR/guide"
	[ "$(wc -l <"$BATS_TEST_TMPDIR/guide")" -eq 8 ] || fail "could not read the guide's listing"
	check_listing >"$BATS_TEST_TMPDIR/check"
	diff -u "$BATS_TEST_TMPDIR/guide" "$BATS_TEST_TMPDIR/check"
}

@test "seed host 2: bridges in a GPU group are allowed: no warnings, no group finding" {
	host seed-amd-bridges
	check_json
	assert_equal "$(jqr '.warnings | length')" 0
	assert_equal "$(jqr '[.findings[].id] | join(" ")')" "cmdline-vfio-ids cmdline-outdated cmdline-outdated"
}

@test "seed host 2: 'AMD-Vi: Interrupt remapping enabled' in the log is interrupt remapping" {
	host seed-amd-bridges
	check_json
	assert_equal "$(jqr '.iommu.interrupt_remapping')" true
	assert_equal "$(jqr '.iommu.kernel_enabled')" false
}

@test "seed host 2: check agrees with the guide's own script" {
	host seed-amd-bridges
	same_as_script
}

# ---------------------------------------------------------------- warnings

@test "a GPU group holding a USB controller, a NIC and SATA is flagged (others, warning, exit 1)" {
	host shared-group
	check_json
	assert_failure 1
	assert_equal "$(jqr '[.gpu_groups[] | "\(.group):\(.others)"] | join(" ")')" "9:true 10:false"
	assert_equal "$(jqr '.warnings | length')" 1
	assert_regex "$(jqr '.warnings[0]')" "group 9"
}

@test "the shared-group host: check agrees with the guide's own script" {
	host shared-group
	same_as_script
}

@test "the real Renoir group (iGPU with USB, SATA and PSP) is flagged" {
	host "$TOPOLOGIES/renoir-apu-usb-sata-group.topo"
	check_json
	assert_failure 1
	assert_equal "$(jqr -c '[.gpu_groups[] | [.group, .gpus, .others]]')" '[[2,1,true]]'
	assert_regex "$(jqr '.warnings | join("\n")')" "group 2"
}

# two_gpus_one_group: builds the host of the next two tests.
two_gpus_one_group() {
	mkhost_text <<-'EOF'
		# note: two GPUs with their audio behind one bridge, all in group 5
		# cmdline: ro quiet intel_iommu=on
		# kmsg: DMAR: IOMMU enabled
		0000:00:01.0 group=5 class=0604 id=8086:1901
		0000:01:00.0 group=5 class=0300 id=10de:2484
		0000:01:00.1 group=5 class=0403 id=10de:228b
		0000:02:00.0 group=5 class=0302 id=10de:1eb8
		0000:03:00.0 group=6 class=0300 id=10de:2484
	EOF
}

@test "several GPUs in one group are a warning (exit 1)" {
	two_gpus_one_group
	check_json
	assert_failure 1
	assert_equal "$(jqr -c '[.gpu_groups[] | [.group, .gpus, .others]]')" '[[5,2,false],[6,1,false]]'
	assert_equal "$(jqr '.warnings | length')" 1
	assert_regex "$(jqr '.warnings[0]')" "group 5"
}

@test "several GPUs in one group: check agrees with the guide's own script" {
	two_gpus_one_group
	same_as_script
}

@test "a display controller (0380) is not a GPU for the check, as in the guide's script" {
	host efifb-3d
	check_json
	assert_equal "$(jqr '[.findings[].id] | join(" ")')" "interrupt-remapping-off"
	assert_equal "$(jqr '[.gpu_groups[].group | tostring] | join(" ")')" "1"
}

@test "a clean desktop: GPU with its audio and root port, iGPU alone: exit 0" {
	host desktop-1gpu
	check_json
	assert_success
	assert_equal "$(jqr -c '[.gpu_groups[] | [.group, .gpus, .others]]')" '[[1,1,false],[2,1,false]]'
	assert_equal "$(jqr -c .boot_flags)" '{"intel_iommu":true,"amd_iommu":false,"iommu_pt":true}'
	assert_equal "$(jqr .cpu_vendor)" GenuineIntel
}

# ---------------------------------------------------------------- the IOMMU off

@test "IOMMU off: not active, 0 groups, no GPU group, a warning (exit 1)" {
	host iommu-off
	check_json
	assert_failure 1
	assert_equal "$(jqr '.iommu | "\(.active) \(.groups)"')" "false 0"
	assert_equal "$(jqr '.gpu_groups | length')" 0
	assert_regex "$(jqr '.warnings | join("\n")')" "IOMMU"
}

@test "IOMMU off: check agrees with the guide's own script" {
	host iommu-off
	same_as_script
}

# ---------------------------------------------------------------- the kernel log

@test "kernel log 'DMAR: IOMMU enabled' is kernel_enabled" {
	host desktop-1gpu
	check_json
	assert_equal "$(jqr '.iommu | "\(.kernel_enabled) \(.kernel_disabled)"')" "true false"
}

@test "the kernel log is matched without regard to case, like the script's egrep -i" {
	mkhost_text <<-'EOF'
		# note: an old kernel's wording, in another case
		# kmsg: intel-iommu: Enabled
		0000:01:00.0 group=1 class=0300 id=10de:2484
	EOF
	check_json
	assert_equal "$(jqr '.iommu.kernel_enabled')" true
}

# amd_enabled_log: builds the host of the next two tests.
amd_enabled_log() {
	mkhost_text <<-'EOF'
		# note: AMD wording of the enable line
		# cpu_vendor: AuthenticAMD
		# kmsg: AMD-Vi: AMD IOMMUv2 loaded and enabled
		0000:01:00.0 group=1 class=0300 id=10de:2484
	EOF
}

@test "kernel log 'AMD-Vi: ... IOMMU ... enabled' is kernel_enabled" {
	amd_enabled_log
	check_json
	assert_equal "$(jqr '.iommu.kernel_enabled')" true
}

@test "kernel log 'AMD-Vi: ... IOMMU ... enabled': check agrees with the guide's own script" {
	amd_enabled_log
	same_as_script
}

# dmar_disabled_log: builds the host of the next two tests.
dmar_disabled_log() {
	mkhost_text <<-'EOF'
		# note: booted with intel_iommu=off
		# cmdline: ro quiet intel_iommu=off
		# kmsg: DMAR: IOMMU disabled
		# iommu: off
		0000:01:00.0 class=0300 id=10de:2484
	EOF
}

@test "kernel log 'DMAR: IOMMU disabled' is kernel_disabled, and a warning (exit 1)" {
	dmar_disabled_log
	check_json
	assert_failure 1
	assert_equal "$(jqr '.iommu | "\(.kernel_enabled) \(.kernel_disabled)"')" "false true"
	assert_regex "$(jqr '.warnings | join("\n")')" "disabled"
}

@test "kernel log 'DMAR: IOMMU disabled': check agrees with the guide's own script" {
	dmar_disabled_log
	same_as_script
}

@test "kernel log 'AMD-Vi: AMD IOMMU disabled' is kernel_disabled even with groups present" {
	mkhost_text <<-'EOF'
		# note: a log that contradicts the groups: the log is reported as it is
		# cpu_vendor: AuthenticAMD
		# kmsg: AMD-Vi: AMD IOMMU disabled
		0000:01:00.0 group=1 class=0300 id=10de:2484
	EOF
	check_json
	assert_failure 1
	assert_equal "$(jqr '.iommu | "\(.active) \(.kernel_disabled)"')" "true true"
}

@test "kernel log at a lower level (<3>) is read as well" {
	mkhost_text <<-'EOF'
		# note: the interrupt remapping line at level 3
		# kmsg: <3>AMD-Vi: Interrupt remapping enabled
		0000:01:00.0 group=1 class=0300 id=10de:2484
	EOF
	check_json
	assert_equal "$(jqr '.iommu.interrupt_remapping')" true
}

# kmsg_host PAD: a host whose kernel log holds 40 filler records, then one 'Interrupt remapping
# enabled' record padded with PAD characters (records stay under the kernel's 1 KiB).
kmsg_host() {
	{
		echo "# note: the remapping record lies where the file is cut into 8 KiB reads"
		seq -f "# kmsg: filler record %03g $(head -c 150 /dev/zero | tr '\0' x)" 40
		echo "# kmsg: AMD-Vi: $(head -c "$1" /dev/zero | tr '\0' y) Interrupt remapping enabled"
		echo "0000:01:00.0 group=1 class=0300 id=10de:2484"
	} >"$BATS_TEST_TMPDIR/kmsg.host"
	rm -rf "$BATS_TEST_TMPDIR/root"
	mkhost_text <"$BATS_TEST_TMPDIR/kmsg.host"
}

# kmsg_offset: where the phrase starts in the tree's dev/kmsg.
kmsg_offset() {
	grep -bo 'Interrupt remapping enabled' "$ROOT/dev/kmsg" | cut -d: -f1
}

@test "a kernel log record across an 8 KiB boundary of a regular-file dev/kmsg still counts" {
	local pad off
	kmsg_host 10
	pad=$((10 + 8192 - 10 - $(kmsg_offset)))
	((pad > 0 && pad < 900)) || fail "fixture: the filler records do not fit (pad $pad)"
	kmsg_host "$pad"
	off="$(kmsg_offset)"
	((off < 8192 && off + 27 > 8192)) || fail "fixture: the phrase is at $off, not across byte 8192"
	check_json
	assert_equal "$(jqr '.iommu.interrupt_remapping')" true
}

@test "a flag on the command line is not the kernel saying the IOMMU is enabled" {
	mkhost_text <<-'EOF'
		# note: intel_iommu=on on the command line (so in the 'Kernel command line' record), nothing else
		# cmdline: ro quiet intel_iommu=on iommu=pt
		0000:01:00.0 group=1 class=0300 id=10de:2484
	EOF
	check_json
	assert_equal "$(jqr -c '[.boot_flags.intel_iommu, .iommu.kernel_enabled]')" '[true,false]'
}

# ---------------------------------------------------------------- CPU and command line

@test "pdpe1gb is true when /proc/cpuinfo lists it" {
	host desktop-1gpu
	check_json
	assert_equal "$(jqr '.pdpe1gb')" true
}

@test "pdpe1gb is false when /proc/cpuinfo does not list it" {
	mkhost_text <<-'EOF'
		# note: an old CPU without 1 GiB pages
		# cpu_flags: fpu vme de pse tsc msr pae mce cx8 apic sep mtrr pge mca cmov pse36 lm vmx
		0000:01:00.0 group=1 class=0300 id=10de:2484
	EOF
	check_json
	assert_equal "$(jqr '.pdpe1gb')" false
}

@test "cmdline_vfio gives vfio-pci.ids, modprobe.blacklist and the hugepage options" {
	host seed-amd-5gpu
	check_json
	assert_equal "$(jqr -c '.cmdline_vfio')" \
		'{"vfio-pci.ids":"10de:0000,10de:204b,10de:22e8,10de:2bb1","modprobe.blacklist":"nouveau,nvidia,nvidiafb,snd_hda_intel","hugepages":"576","hugepagesz":"1G","default_hugepagesz":"1G"}'
}

@test "cmdline_vfio fields are null when the command line lacks them" {
	host desktop-1gpu
	check_json
	assert_equal "$(jqr -c '.cmdline_vfio | [.[]] | unique')" '[null]'
	assert_equal "$(jqr -c '.cmdline_vfio | keys')" \
		'["default_hugepagesz","hugepages","hugepagesz","modprobe.blacklist","vfio-pci.ids"]'
}

# ---------------------------------------------------------------- the output itself

@test "check --json is one JSON object with the keys and types of SPEC section 5" {
	host seed-amd-5gpu
	check_json
	jq -e '
		(.cpu_vendor | type == "string") and (.cmdline | type == "string") and
		(.boot_flags | (.intel_iommu | type == "boolean") and (.amd_iommu | type == "boolean") and
			(.iommu_pt | type == "boolean")) and
		(.iommu | (.active | type == "boolean") and (.groups | type == "number") and
			(.kernel_enabled | type == "boolean") and (.kernel_disabled | type == "boolean") and
			(.interrupt_remapping | type == "boolean")) and
		(.pdpe1gb | type == "boolean") and
		(.gpu_groups | type == "array" and all(
			(.group | type == "number") and (.gpus | type == "number") and
			(.others | type == "boolean") and (.functions | all(
				(.bdf | test("^[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\\.[0-7]$")) and
				(.id | test("^[0-9a-f]{4}:[0-9a-f]{4}$")) and (.class | test("^[0-9a-f]{4}$")) and
				(.driver | type == "string" or . == null))))) and
		(.warnings | type == "array")
	' <<<"$output" >/dev/null || fail "$output"
}

@test "check needs no lspci: it runs with a PATH whose lspci would fail" {
	host seed-amd-5gpu
	mkdir -p "$BATS_TEST_TMPDIR/bin"
	printf '#!/bin/sh\ntouch "%s/lspci-ran"\nexit 1\n' "$BATS_TEST_TMPDIR" >"$BATS_TEST_TMPDIR/bin/lspci"
	chmod +x "$BATS_TEST_TMPDIR/bin/lspci"
	run --separate-stderr env PATH="$BATS_TEST_TMPDIR/bin" "$VFIOHOST" --root "$ROOT" check --json
	assert_failure 1 # its findings, as in the seed host 1 test
	assert_equal "$(jqr '[.gpu_groups[].group | tostring] | join(" ")')" "13 16 27 42 54"
	[ ! -e "$BATS_TEST_TMPDIR/lspci-ran" ] || fail "check ran lspci"
}

@test "check writes nothing to the tree" {
	host shared-group
	local before
	before="$(cd "$ROOT" && find . -printf '%p %y %m %s %T@ %l\n' | sort)"
	run --separate-stderr vh check
	assert_failure 1
	run --separate-stderr vh check --json
	assert_equal "$(cd "$ROOT" && find . -printf '%p %y %m %s %T@ %l\n' | sort)" "$before"
}

# ---------------------------------------------------------------- NVSwitches and the HGX model

# hgx_host NAME [EXAMPLE]: a fresh build of NAME (tests add policies), with
# docs/examples/EXAMPLE.conf as its policy when named.
hgx_host() {
	ROOT="$BATS_TEST_TMPDIR/$1"
	python3 "$TESTS_DIR/mkhost" "$1" "$ROOT" >/dev/null
	if [ -n "${2:-}" ]; then
		mkdir -p "$ROOT/etc"
		cp "$REPO_DIR/docs/examples/$2.conf" "$ROOT/etc/vfiohost.conf"
	fi
}

@test "check lists the NVSwitches: address, id, group, NUMA node, driver, and the plan's action" {
	hgx_host hgx-h200 hgx-shared-nvswitch
	run --separate-stderr vh check
	assert_line "=== NVSwitches (HGX) ==="
	assert_line --regexp '^ADDRESS +ID +GROUP +NODE +DRIVER +PLAN$'
	local s
	for s in c1 c2 c3 c4; do
		assert_line --regexp "^0000:$s:00\.0  10de:22a3  +20  +1  nvidia-nvswitch +-$"
	done
	assert_equal "$(grep -c '10de:22a3' <<<"$output")" 4
	check_json
	assert_equal "$(jqr -c '.nvswitches[0]')" \
		'{"bdf":"0000:c1:00.0","id":"10de:22a3","class":"0680","group":20,"numa_node":1,"driver":"nvidia-nvswitch","action":null}'
	assert_equal "$(jqr '.nvswitches | length')" 4
}

@test "check says the full-passthrough example implements full passthrough" {
	hgx_host server-8gpu hgx-full-passthrough
	run --separate-stderr vh check
	assert_line --regexp '^HGX model +: full passthrough: '
	assert_line --regexp '^Bound to vfio +: 8 of 8 GPUs, 4 of 4 NVSwitches$'
	assert_line --regexp '^0000:05:00\.0  10de:22a3  +3  +0  none +bind$'
	check_json
	assert_equal "$(jqr -c .hgx)" \
		'{"model":"full-passthrough","gpus":8,"gpus_bound":8,"nvswitches":4,"nvswitches_bound":4,"fabricmanager_enabled":null}'
	assert_equal "$(jqr '[.nvswitches[].action] | unique | join(" ")')" bind
}

@test "check says the shared-NVSwitch example implements shared NVSwitch" {
	hgx_host server-8gpu hgx-shared-nvswitch
	run --separate-stderr vh check
	assert_line --regexp '^HGX model +: shared NVSwitch: '
	assert_line --regexp '^Bound to vfio +: 8 of 8 GPUs, 0 of 4 NVSwitches$'
	check_json
	assert_equal "$(jqr .hgx.model)" shared-nvswitch
	assert_equal "$(jqr '.hgx.nvswitches_bound')" 0
}

@test "check says when the policy implements neither model, and when nothing is bound" {
	hgx_host server-8gpu
	policy <<<$'[vfio]\nbind = 10de:2330\nbind = 0000:05:00.0'
	run --separate-stderr vh check
	assert_failure 1
	assert_line --regexp '^HGX model +: neither full passthrough nor shared NVSwitch \(finding nvswitch-partial\)$'
	policy <<<$'[vfio]'
	check_json
	assert_equal "$(jqr .hgx.model)" host
}

@test "check without a policy lists the NVSwitches and says the model is unknown" {
	hgx_host server-8gpu
	run --separate-stderr vh check
	assert_line --regexp '^HGX model +: unknown: no valid policy$'
	refute_line --partial "Bound to vfio"
	check_json
	assert_equal "$(jqr .hgx.model)" unknown
	assert_equal "$(jqr '.nvswitches | length')" 4
}

@test "check on a host without NVSwitches: no NVSwitch section, nvswitches empty, hgx null" {
	host desktop-1gpu
	run --separate-stderr vh check
	refute_output --partial "NVSwitch"
	refute_output --partial "HGX"
	check_json
	assert_equal "$(jqr -c '[.nvswitches, .hgx]')" '[[],null]'
}

@test "check says whether the host's Fabric Manager is enabled" {
	hgx_host hgx-h200
	run --separate-stderr vh check
	assert_line "Fabric Manager       : enabled on the host (/etc/systemd/system/multi-user.target.wants/nvidia-fabricmanager.service)"
	hgx_host server-8gpu
	run --separate-stderr vh check
	assert_line "Fabric Manager       : not enabled on the host"
}
