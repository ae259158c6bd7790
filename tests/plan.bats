#!/usr/bin/env bats
# `vfiohost plan`: the selection rules of SPEC section 3 (steps 1 to 7) on fake hosts
# (tests/hosts) and on real ones (tests/hosts/topologies), read from `plan --json` (section 5).

bats_require_minimum_version 1.5.0
load helpers

# host NAME|PATH: $ROOT is tests/hosts/NAME.host (or PATH, with a '/'), built once for this file;
# plan only reads it (a test below checks that), so tests share it, each with its own policy.
host() {
	ROOT="$BATS_FILE_TMPDIR/$(basename "$1")"
	[ -d "$ROOT" ] || python3 "$TESTS_DIR/mkhost" "$1" "$ROOT" >/dev/null
	rm -rf "$ROOT/etc/vfiohost.conf"
}

# The shared hosts are built up front, side by side, to save time.
setup_file() {
	export BATS_NO_PARALLELIZE_WITHIN_FILE=true
	local h
	for h in desktop-1gpu gpu-4func efifb-3d iommu-off shared-group seed-amd-5gpu gh200 \
		seed-amd-bridges server-8gpu hgx-h200 "$TOPOLOGIES"/*.topo; do
		(host "$h") &
	done
	wait
}

# plan_json: runs `plan --json` on $ROOT; $output is the JSON, $stderr the rest (jqr reads it).
plan_json() {
	run --separate-stderr vh plan --json
}

# actions: "BDF ACTION" for every listed function, one per line, in address order.
actions() {
	jqr '.functions[] | "\(.bdf) \(.action)"'
}

# want LINE...: the actions are exactly these lines.
want() {
	assert_equal "$(actions)" "$(printf '%s\n' "$@")"
}

# field BDF KEY: one field of one listed function.
field() {
	jqr --arg b "$1" --arg k "$2" '.functions[] | select(.bdf == $b) | .[$k]'
}

snapshot() {
	(cd "$ROOT" && find . -printf '%p %y %m %s %T@ %l\n' | sort &&
		find . -type f -exec sha256sum {} + | sort)
}

# ---------------------------------------------------------------- vendor:device

@test "VVVV:DDDD selects that function (and its slot companions)" {
	host desktop-1gpu
	policy <<<$'[vfio]\nbind = 10de:2484'
	plan_json
	assert_success
	want "0000:01:00.0 bind" "0000:01:00.1 bind"
	assert_equal "$(field 0000:01:00.0 reason)" "bind at line 2"
}

@test "VVVV:* selects every function of that vendor" {
	host "$TOPOLOGIES/x570-gtx1080ti-gt710.topo"
	policy <<<$'[vfio]\nbind = 10de:*\ncompanions = no'
	plan_json
	assert_success
	want "0000:0b:00.0 bind" "0000:0b:00.1 bind" "0000:0c:00.0 bind" "0000:0c:00.1 bind"
}

@test "*:DDDD selects that device of any vendor" {
	host seed-amd-bridges
	policy <<<$'[vfio]\nbind = *:2b85\ncompanions = no\nisolation = warn'
	plan_json
	want "0000:25:00.0 keep" "0000:41:00.0 keep"
}

@test "a comma list of ids matches any of them" {
	host "$TOPOLOGIES/x570-gtx1080ti-gt710.topo"
	policy <<<$'[vfio]\nbind = 10de:1b06,10de:0e0f\ncompanions = no\nisolation = warn'
	plan_json
	want "0000:0b:00.0 bind" "0000:0c:00.1 bind"
}

@test "ids are matched whatever the case of their hex digits" {
	host "$TOPOLOGIES/x570-gtx1080ti-gt710.topo"
	policy <<<$'[vfio]\nbind = 10DE:1B06'
	plan_json
	want "0000:0b:00.0 bind" "0000:0b:00.1 bind"
}

@test "an id that matches nothing selects nothing: exit 0, empty list" {
	host desktop-1gpu
	policy <<<$'[vfio]\nbind = 1234:5678'
	plan_json
	assert_success
	assert_equal "$(jqr '.functions | length')" 0
}

# ---------------------------------------------------------------- addresses

@test "BB:SS (no domain) selects every function of the slot" {
	host "$TOPOLOGIES/x570-gtx1080ti-gt710.topo"
	policy <<<$'[vfio]\nbind = 0b:00\ncompanions = no'
	plan_json
	assert_success
	want "0000:0b:00.0 bind" "0000:0b:00.1 bind"
}

@test "DDDD:BB:SS selects every function of the slot" {
	host gpu-4func
	policy <<<$'[vfio]\nbind = 0000:01:00\ncompanions = no'
	plan_json
	assert_success
	want "0000:01:00.0 bind" "0000:01:00.1 bind" "0000:01:00.2 bind" "0000:01:00.3 bind"
}

@test "DDDD:BB:SS.F selects one function" {
	host "$TOPOLOGIES/x570-gtx1080ti-gt710.topo"
	policy <<<$'[vfio]\nbind = 0000:0c:00.1\ncompanions = no\nisolation = warn'
	plan_json
	want "0000:0c:00.1 bind"
}

@test "BB:SS.F (no domain) selects one function of domain 0000" {
	host "$TOPOLOGIES/x570-gtx1080ti-gt710.topo"
	policy <<<$'[vfio]\nbind = 0c:00.1\ncompanions = no\nisolation = warn'
	plan_json
	want "0000:0c:00.1 bind"
}

@test "an address in another domain does not match domain 0000" {
	host "$TOPOLOGIES/x570-gtx1080ti-gt710.topo"
	policy <<<$'[vfio]\nbind = 0001:0b:00.0'
	plan_json
	assert_success
	assert_equal "$(jqr '.functions | length')" 0
}

@test "an address with upper-case hex matches" {
	host seed-amd-5gpu
	policy <<<$'[vfio]\nbind = 0000:C1:00'
	plan_json
	want "0000:c1:00.0 keep" "0000:c1:00.1 keep"
}

# ---------------------------------------------------------------- classes

@test "class=CC matches every function of that base class (0300 and 0302)" {
	host efifb-3d
	policy <<<$'[vfio]\nbind = class=03\nboot-vga = allow\ncompanions = no'
	plan_json
	want "0000:00:02.0 bind" "0000:01:00.0 bind"
}

@test "class=CCSS matches that subclass only" {
	host "$TOPOLOGIES/x570-gtx1080ti-gt710.topo"
	policy <<<$'[vfio]\nbind = class=0403\ncompanions = no\nisolation = warn'
	plan_json
	want "0000:0b:00.1 bind" "0000:0c:00.1 bind" "0000:0e:00.4 bind"
}

@test "class=0300 does not match a 0302 3D controller" {
	host efifb-3d
	policy <<<$'[vfio]\nbind = class=0300'
	plan_json
	assert_equal "$(jqr '.functions | length')" 0
}

@test "a class comma list matches any of them" {
	host gpu-4func
	policy <<<$'[vfio]\nbind = class=0c80,0403\ncompanions = no\nisolation = warn'
	plan_json
	want "0000:00:1f.3 bind" "0000:01:00.1 bind" "0000:01:00.3 bind"
}

# ---------------------------------------------------------------- terms are ANDed

@test "terms are ANDed: vendor and class" {
	host "$TOPOLOGIES/x570-gtx1080ti-gt710.topo"
	policy <<<$'[vfio]\nbind = 10de:* class=0403\ncompanions = no\nisolation = warn'
	plan_json
	want "0000:0b:00.1 bind" "0000:0c:00.1 bind"
}

@test "terms are ANDed: slot and class" {
	host gpu-4func
	policy <<<$'[vfio]\nbind = 01:00 class=03\ncompanions = no\nisolation = warn'
	plan_json
	want "0000:01:00.0 bind"
}

@test "terms that cannot all match one function select nothing" {
	host gpu-4func
	policy <<<$'[vfio]\nbind = 10de:1f02 class=0403'
	plan_json
	assert_success
	assert_equal "$(jqr '.functions | length')" 0
}

# ---------------------------------------------------------------- companions

@test "companions = yes (default): the audio, USB and UCSI of a 4-function GPU come along" {
	host gpu-4func
	policy <<<$'[vfio]\nbind = 10de:1f02'
	plan_json
	assert_success
	want "0000:01:00.0 bind" "0000:01:00.1 bind" "0000:01:00.2 bind" "0000:01:00.3 bind"
	assert_regex "$(field 0000:01:00.3 reason)" "companion of 0000:01:00.0"
}

@test "companions = yes on a real 4-function GTX 1660 (boot-vga allowed)" {
	host "$TOPOLOGIES/skylake-hd530-gtx1660-4func.topo"
	policy <<<$'[vfio]\nbind = 10de:2184\nboot-vga = allow'
	plan_json
	assert_success
	want "0000:01:00.0 bind" "0000:01:00.1 bind" "0000:01:00.2 bind" "0000:01:00.3 bind"
}

@test "companions = no: only the named function, so its group is not isolated" {
	host gpu-4func
	policy <<<$'[vfio]\nbind = 10de:1f02\ncompanions = no'
	plan_json
	assert_failure 1
	want "0000:01:00.0 refuse"
}

@test "a function selected by an audio selector brings the slot's GPU as companion" {
	host desktop-1gpu
	policy <<<$'[vfio]\nbind = class=0403 10de:*'
	plan_json
	want "0000:01:00.0 bind" "0000:01:00.1 bind"
}

# ---------------------------------------------------------------- skip

@test "a skip line removes a function from the selection (action skip)" {
	host "$TOPOLOGIES/x570-gtx1080ti-gt710.topo"
	policy <<<$'[vfio]\nbind = 10de:*\nskip = 0000:0c:00'
	plan_json
	assert_success
	want "0000:0b:00.0 bind" "0000:0b:00.1 bind" "0000:0c:00.0 skip" "0000:0c:00.1 skip"
	assert_regex "$(field 0000:0c:00.0 reason)" "skip at line 3"
}

@test "a skip line also removes a companion" {
	host gpu-4func
	policy <<<$'[vfio]\nbind = 10de:1f02\nskip = class=0c03\nisolation = warn'
	plan_json
	want "0000:01:00.0 bind" "0000:01:00.1 bind" "0000:01:00.2 skip" "0000:01:00.3 bind"
}

@test "a skipped function left in the group makes the others not isolated" {
	host gpu-4func
	policy <<<$'[vfio]\nbind = 10de:1f02\nskip = 01:00.2'
	plan_json
	assert_failure 1
	want "0000:01:00.0 refuse" "0000:01:00.1 refuse" "0000:01:00.2 skip" "0000:01:00.3 refuse"
	assert_regex "$(field 0000:01:00.0 reason)" "0000:01:00.2"
}

@test "vfiohost.skip= on the kernel command line skips, in both address forms" {
	sed 's/^# cmdline: .*/# cmdline: ro quiet intel_iommu=on vfiohost.skip=0000:01:00.1,01:00.2/' \
		"$TESTS_DIR/hosts/gpu-4func.host" >"$BATS_TEST_TMPDIR/cmdskip.host"
	host "$BATS_TEST_TMPDIR/cmdskip.host"
	policy <<<$'[vfio]\nbind = 10de:1f02\nisolation = warn'
	plan_json
	want "0000:01:00.0 bind" "0000:01:00.1 skip" "0000:01:00.2 skip" "0000:01:00.3 bind"
	assert_regex "$(field 0000:01:00.1 reason)" "vfiohost.skip"
	assert_regex "$(field 0000:01:00.2 reason)" "vfiohost.skip"
}

# ---------------------------------------------------------------- boot display

@test "boot-vga = skip (default) leaves the boot_vga=1 function to the host" {
	host desktop-1gpu
	policy <<<$'[vfio]\nbind = class=03'
	plan_json
	assert_success
	want "0000:00:02.0 skip" "0000:01:00.0 bind" "0000:01:00.1 bind"
	assert_regex "$(field 0000:00:02.0 reason)" "boot"
}

@test "boot-vga = skip also leaves the boot display's slot companions to the host" {
	host shared-group
	policy <<<$'[vfio]\nbind = 1002:*'
	plan_json
	assert_success
	want "0000:26:00.0 skip" "0000:26:00.1 skip"
}

@test "boot-vga = skip protects the boot display's audio even when only the audio is named" {
	host shared-group
	policy <<<$'[vfio]\nbind = 1002:aaf0\ncompanions = no'
	plan_json
	assert_success
	want "0000:26:00.1 skip"
	assert_regex "$(field 0000:26:00.1 reason)" "0000:26:00.0"
}

@test "boot-vga = skip on a real 4-function GPU that is the boot display skips all four" {
	host "$TOPOLOGIES/skylake-hd530-gtx1660-4func.topo"
	policy <<<$'[vfio]\nbind = 10de:2184'
	plan_json
	assert_success
	want "0000:01:00.0 skip" "0000:01:00.1 skip" "0000:01:00.2 skip" "0000:01:00.3 skip"
}

@test "a 0380 display holding the BOOTFB/efifb range of /proc/iomem is the boot display" {
	host efifb-3d
	policy <<<$'[vfio]\nbind = class=03'
	plan_json
	assert_success
	want "0000:00:02.0 skip" "0000:01:00.0 bind"
	assert_regex "$(field 0000:00:02.0 reason)" "BOOTFB|efifb"
}

@test "a 0302 3D controller holding the firmware framebuffer is the boot display" {
	mkhost_text <<-'EOF'
		# note: the only display is a 3D controller whose bar0 holds the firmware framebuffer
		# iomem: 0xd0000000-0xd07e8fff BOOTFB
		0000:00:00.0 group=0 class=0600 id=8086:191f
		0000:01:00.0 group=1 class=0302 id=10de:1eb8 bar0=0xd0000000-0xd0ffffff
		0000:02:00.0 group=2 class=0302 id=10de:1eb8
	EOF
	policy <<<$'[vfio]\nbind = 10de:1eb8'
	plan_json
	assert_success
	want "0000:01:00.0 skip" "0000:02:00.0 bind"
}

@test "a simple-framebuffer entry in /proc/iomem marks the boot display too" {
	mkhost_text <<-'EOF'
		# note: simple-framebuffer instead of BOOTFB
		# iomem: 0xd0000000-0xd07e8fff simple-framebuffer
		0000:00:02.0 group=0 class=0380 id=8086:1912 bar0=0xd0000000-0xd0ffffff
		0000:01:00.0 group=1 class=0302 id=10de:1eb8
	EOF
	policy <<<$'[vfio]\nbind = class=03'
	plan_json
	want "0000:00:02.0 skip" "0000:01:00.0 bind"
}

@test "the framebuffer is found even when /proc/iomem is long (600 reserved ranges before it)" {
	{
		echo '# note: a server-sized /proc/iomem: the BOOTFB line comes after 17 KiB of entries'
		echo '# iomem: c0000000-c07e8fff BOOTFB'
		python3 -c 'for i in range(600): print("# iomem: %08x-%08x Reserved" % (0x90000000 + i * 4096, 0x90000fff + i * 4096))'
		echo '0000:00:02.0 group=0 class=0380 id=8086:1912 bar0=0xc0000000-0xcfffffff'
		echo '0000:01:00.0 group=1 class=0302 id=10de:1eb8'
	} >"$BATS_TEST_TMPDIR/long-iomem.host"
	mkhost_text <"$BATS_TEST_TMPDIR/long-iomem.host"
	[ "$(stat -c %s "$ROOT/proc/iomem")" -gt 16384 ] || fail "the fixture's iomem is too short"
	policy <<<$'[vfio]\nbind = class=03'
	plan_json
	want "0000:00:02.0 skip" "0000:01:00.0 bind"
}

@test "a 0300 without boot_vga=1 and without the framebuffer is not the boot display" {
	host efifb-3d
	policy <<<$'[vfio]\nbind = class=0302'
	plan_json
	assert_success
	want "0000:01:00.0 bind"
}

@test "boot-vga = allow binds the boot display" {
	host desktop-1gpu
	policy <<<$'[vfio]\nbind = 8086:3e98\nboot-vga = allow'
	plan_json
	assert_success
	want "0000:00:02.0 bind"
}

@test "boot-vga = allow binds a framebuffer-holding 0380 display" {
	host efifb-3d
	policy <<<$'[vfio]\nbind = class=0380\nboot-vga = allow'
	plan_json
	assert_success
	want "0000:00:02.0 bind"
}

# ---------------------------------------------------------------- IOMMU and isolation

@test "IOMMU off: every selected function is refused, and iommu.active is false" {
	host iommu-off
	policy <<<$'[vfio]\nbind = 10de:*'
	plan_json
	assert_failure 1
	want "0000:01:00.0 refuse" "0000:01:00.1 refuse"
	assert_equal "$(jqr '.iommu | "\(.active) \(.groups)"')" "false 0"
	assert_regex "$(field 0000:01:00.0 reason)" "IOMMU"
	assert_equal "$(field 0000:01:00.0 group)" null
}

@test "strict isolation refuses a GPU whose group holds a USB controller, a NIC and SATA" {
	host shared-group
	policy <<<$'[vfio]\nbind = 10de:1c82'
	plan_json
	assert_failure 1
	want "0000:25:00.0 refuse" "0000:25:00.1 refuse"
}

@test "the refusal names each function in the way with its class, and no bridge" {
	host shared-group
	policy <<<$'[vfio]\nbind = 10de:1c82'
	plan_json
	local reason
	reason="$(field 0000:25:00.0 reason)"
	assert_regex "$reason" "0000:03:00.0 [^,]*0c03"
	assert_regex "$reason" "0000:03:00.1 [^,]*0106"
	assert_regex "$reason" "0000:22:00.0 [^,]*0200"
	refute_regex "$reason" "0000:00:01.3|0000:03:00.2|0000:20:0"
}

@test "the refusal names every function in the way on the real Renoir group (6 of them)" {
	host "$TOPOLOGIES/renoir-apu-usb-sata-group.topo"
	policy <<<$'[vfio]\nbind = 1002:1636\ncompanions = no\nboot-vga = allow'
	plan_json
	assert_failure 1
	want "0000:05:00.0 refuse"
	local reason b
	reason="$(field 0000:05:00.0 reason)"
	for b in 05:00.1 05:00.2 05:00.3 05:00.4 05:00.6 06:00.0; do
		assert_regex "$reason" "0000:$b [^,]*\[[0-9a-f]{4}\]"
	done
}

@test "strict isolation refuses the whole group, including its companions" {
	host "$TOPOLOGIES/msi-b450m-mortar-rx580-raven.topo"
	policy <<<$'[vfio]\nbind = 1002:15de\ncompanions = no'
	plan_json
	assert_failure 1
	want "0000:38:00.1 refuse"
	assert_regex "$(field 0000:38:00.1 reason)" "0000:38:00.3 [^,]*0c03"
}

@test "a GPU alone in its group is bound (real B450M topology)" {
	host "$TOPOLOGIES/msi-b450m-mortar-rx580-raven.topo"
	policy <<<$'[vfio]\nbind = 1002:67df'
	plan_json
	assert_success
	want "0000:10:00.0 bind"
}

@test "a GPU sharing its group only with its root port is bound (real ASRock Z170 topology)" {
	host "$TOPOLOGIES/asrock-z170-igpu-gtx960.topo"
	policy <<<$'[vfio]\nbind = 10de:1401'
	plan_json
	assert_success
	want "0000:01:00.0 bind" "0000:01:00.1 bind"
}

@test "a PCI bridge (0604) in the group does not break isolation" {
	host desktop-1gpu
	policy <<<$'[vfio]\nbind = 10de:2484'
	plan_json
	assert_success
	want "0000:01:00.0 bind" "0000:01:00.1 bind"
	assert_equal "$(jqr '.warnings | length')" 0
}

@test "a host bridge (0600) and a PCI bridge (0604) in the group do not break isolation" {
	host seed-amd-bridges
	policy <<<$'[vfio]\nbind = 10de:2b85'
	plan_json
	assert_success
	want "0000:25:00.0 keep" "0000:25:00.1 keep" "0000:41:00.0 keep" "0000:41:00.1 keep"
}

@test "isolation = warn binds a non-isolated group and warns (exit 1)" {
	host shared-group
	policy <<<$'[vfio]\nbind = 10de:1c82\nisolation = warn'
	plan_json
	assert_failure 1
	want "0000:25:00.0 bind" "0000:25:00.1 bind"
	assert_regex "$(jqr '.warnings | join("\n")')" "group 9"
}

@test "a function without an IOMMU group is refused and listed with group null" {
	host seed-amd-5gpu
	policy <<<$'[vfio]\nbind = 0000:00:00.2\ncompanions = no'
	plan_json
	assert_failure 1
	want "0000:00:00.2 refuse"
	assert_equal "$(field 0000:00:00.2 group)" null
	assert_equal "$(jqr '.functions[0].group | type')" null
}

# ---------------------------------------------------------------- keep, expect

@test "a function already on vfio-pci is keep" {
	host seed-amd-5gpu
	policy <<<$'[vfio]\nbind = 10de:2bb1'
	plan_json
	assert_success
	assert_equal "$(jqr '[.functions[].action] | unique | join(" ")')" keep
	assert_equal "$(jqr '.functions | length')" 8
}

@test "the seed host: ASPEED boot VGA skipped, the four RTX slots kept (exit 0)" {
	host seed-amd-5gpu
	policy <<<$'[vfio]\nbind = class=03\nexpect = 8'
	plan_json
	assert_success
	want "0000:01:00.0 keep" "0000:01:00.1 keep" "0000:41:00.0 keep" "0000:41:00.1 keep" \
		"0000:81:00.0 keep" "0000:81:00.1 keep" "0000:c1:00.0 keep" "0000:c1:00.1 keep" \
		"0000:c7:00.0 skip"
}

@test "expect = N that matches bind + keep: no warning, exit 0" {
	host server-8gpu
	policy <<<$'[vfio]\nbind = 10de:2330\nexpect = 8'
	plan_json
	assert_success
	assert_equal "$(jqr '[.functions[] | select(.action == "bind")] | length')" 8
	assert_equal "$(jqr '.warnings | length')" 0
}

@test "expect = N mismatch is a warning (exit 1) that changes no decision" {
	host server-8gpu
	policy <<<$'[vfio]\nbind = 10de:2330'
	plan_json
	assert_success
	local without
	without="$(jqr -c .functions)"
	policy <<<$'[vfio]\nbind = 10de:2330\nexpect = 9'
	plan_json
	assert_failure 1
	assert_equal "$(jqr -c .functions)" "$without"
	assert_regex "$(jqr '.warnings | join("\n")')" "9"
}

@test "expect counts keep as well as bind" {
	host seed-amd-5gpu
	policy <<<$'[vfio]\nbind = 10de:2bb1\nexpect = 8'
	plan_json
	assert_success
	assert_equal "$(jqr '.warnings | length')" 0
}

@test "expect does not count refused or skipped functions" {
	host shared-group
	policy <<<$'[vfio]\nbind = class=03\nexpect = 4'
	plan_json
	assert_failure 1
	want "0000:25:00.0 refuse" "0000:25:00.1 refuse" "0000:26:00.0 skip" "0000:26:00.1 skip"
	assert_regex "$(jqr '.warnings | join("\n")')" "expect"
}

@test "expect = 0 on a host where nothing matches: no warning" {
	host desktop-1gpu
	policy <<<$'[vfio]\nbind = 1234:5678\nexpect = 0'
	plan_json
	assert_success
	assert_equal "$(jqr '.warnings | length')" 0
}

# ---------------------------------------------------------------- the JSON object

@test "functions lists only the selected functions" {
	host desktop-1gpu
	policy <<<$'[vfio]\nbind = 10de:2484'
	plan_json
	assert_equal "$(jqr '.functions | length')" 2
	assert_equal "$(find "$ROOT/sys/bus/pci/devices" -mindepth 1 | wc -l)" 11
}

@test "plan --json has the keys and types of SPEC section 5" {
	host server-8gpu
	policy <<<$'[vfio]\nbind = 10de:2330\n[hugepages]'
	plan_json
	assert_success
	jq -e '
		(.policy == "/etc/vfiohost.conf") and
		(.iommu | (.active == true) and (.groups == 29)) and
		(.functions | length == 8) and
		(.functions | all(
			(.bdf | test("^[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\\.[0-7]$")) and
			(.id | test("^[0-9a-f]{4}:[0-9a-f]{4}$")) and
			(.class | test("^[0-9a-f]{4}$")) and
			(.group | type == "number") and (.driver | type == "string") and
			(.numa_node | type == "number") and
			(.action | IN("bind", "keep", "skip", "refuse")) and (.reason | type == "string"))) and
		(.hugepages | (.size_kib | type == "number") and (.memtotal_kib | type == "number") and
			(.keep_free_kib | type == "number") and (.budget | type == "number") and
			(.pages | type == "number") and (.nodes | type == "array"))
	' <<<"$output" >/dev/null || fail "$output"
}

@test "id, class, driver and numa_node come from sysfs" {
	host server-8gpu
	policy <<<$'[vfio]\nbind = 0000:9a:00.0'
	plan_json
	assert_equal "$(jqr '.functions[0] | "\(.id) \(.class) \(.group) \(.driver) \(.numa_node)"')" \
		"10de:2330 0302 20 nvidia 1"
}

@test "driver is null for a function without a driver" {
	host efifb-3d
	policy <<<$'[vfio]\nbind = 10de:1eb8'
	plan_json
	assert_equal "$(jqr '.functions[0].driver | type')" null
}

@test "plan writes nothing: the whole tree is the same before and after" {
	host server-8gpu
	policy <<<$'[vfio]\nbind = 10de:2330\noptions = disable_vga=1\n[hugepages]'
	local before
	before="$(snapshot)"
	run --separate-stderr vh plan
	assert_success
	run --separate-stderr vh plan --json
	assert_success
	assert_equal "$(snapshot)" "$before"
}

@test "plan writes nothing even when it refuses and warns" {
	host shared-group
	policy <<<$'[vfio]\nbind = class=03\nexpect = 3\n[hugepages]\npages = 99999'
	local before
	before="$(snapshot)"
	run --separate-stderr vh plan --json
	assert_failure 1
	assert_equal "$(snapshot)" "$before"
}

@test "plan exits 0 when every selected function is bound, kept or skipped" {
	host gpu-4func
	policy <<<$'[vfio]\nbind = class=03'
	plan_json
	assert_success
	want "0000:00:02.0 skip" "0000:01:00.0 bind" "0000:01:00.1 bind" "0000:01:00.2 bind" \
		"0000:01:00.3 bind"
	assert_equal "$(jqr '.warnings | length')" 0
}

@test "plan without --json prints a table and exits as plan --json does" {
	host shared-group
	policy <<<$'[vfio]\nbind = 10de:1c82'
	run --separate-stderr vh plan
	assert_failure 1
	assert_regex "$output" "0000:25:00.0"
	assert_regex "$output" "refuse"
}

@test "plan says whether the policy differs from the one the last boot used (rebuild_needed)" {
	host desktop-1gpu
	ROOT_COPY="$BATS_TEST_TMPDIR/root"
	cp -a "$ROOT" "$ROOT_COPY"
	ROOT="$ROOT_COPY"
	printf '[vfio]\nbind = 10de:*\n' | policy
	plan_json
	assert_equal "$(jqr '.rebuild_needed')" null # no boot copy to compare with
	mkdir -p "$ROOT/run/vfiohost"
	cp "$ROOT/etc/vfiohost.conf" "$ROOT/run/vfiohost/policy.conf"
	plan_json
	assert_equal "$(jqr '.rebuild_needed')" false
	echo 'expect = 2' >>"$ROOT/etc/vfiohost.conf"
	plan_json
	assert_equal "$(jqr '.rebuild_needed')" true
	run vh plan
	assert_line --partial "differs from the policy of the last boot: rebuild the initramfs"
}

@test "plan warns that boot will refuse a policy others can write (exit 1, decisions unchanged)" {
	host desktop-1gpu
	ROOT_COPY="$BATS_TEST_TMPDIR/root"
	cp -a "$ROOT" "$ROOT_COPY"
	ROOT="$ROOT_COPY"
	printf '[vfio]\nbind = 10de:*\n' | policy
	plan_json
	assert_success
	local clean="$output"
	chmod 0666 "$ROOT/etc/vfiohost.conf"
	plan_json
	assert_failure 1
	assert_equal "$(jqr '.warnings[]')" "/etc/vfiohost.conf is writable by everyone (mode 0666): boot will refuse to apply it"
	assert_equal "$(jqr '.functions')" "$(printf '%s\n' "$clean" | jq -r '.functions')"
}

@test "plan shows a function's driver_override, null when the kernel says (null)" {
	mkhost_text <<-'EOF2'
		# note: one GPU whose audio already has an override
		0000:01:00.0 group=1 class=0300 id=10de:2b85
		0000:01:00.1 group=1 class=0403 id=10de:22e8 override=vfio-pci
	EOF2
	printf '[vfio]\nbind = 10de:2b85\n' | policy
	plan_json
	assert_equal "$(jqr '[.functions[].driver_override] | map(tostring) | join(" ")')" "null vfio-pci"
}

# ---------------------------------------------------------------- HGX: NVSwitches and the example policies

# example NAME: docs/examples/NAME.conf is the policy of $ROOT.
example() {
	policy <"$REPO_DIR/docs/examples/$1.conf"
}

# bound CLASS: the addresses of that class (0302, 0680) whose action is bind, one line.
bound() {
	# shellcheck disable=SC2016 # $c is jq's
	jqr --arg c "$1" '[.functions[] | select(.class == $c and .action == "bind") | .bdf] | join(" ")'
}

H100_GPUS="0000:18:00.0 0000:2a:00.0 0000:3a:00.0 0000:5d:00.0 0000:9a:00.0 0000:ab:00.0 0000:ba:00.0 0000:db:00.0"
H100_SWITCHES="0000:05:00.0 0000:06:00.0 0000:07:00.0 0000:08:00.0"
H200_GPUS="0000:12:00.0 0000:22:00.0 0000:32:00.0 0000:42:00.0 0000:82:00.0 0000:92:00.0 0000:a2:00.0 0000:b2:00.0"
H200_SWITCHES="0000:c1:00.0 0000:c2:00.0 0000:c3:00.0 0000:c4:00.0"

@test "HGX H100, full-passthrough example: the 8 GPUs and the 4 NVSwitches are bound, expect = 12 holds (exit 0)" {
	host server-8gpu
	example hgx-full-passthrough
	plan_json
	assert_success
	assert_equal "$(bound 0302)" "$H100_GPUS"
	assert_equal "$(bound 0680)" "$H100_SWITCHES"
	assert_equal "$(jqr '.functions | length')" 12
	assert_equal "$(jqr '.warnings | length')" 0
}

@test "HGX H100, shared-NVSwitch example: the 8 GPUs only; no NVSwitch is selected (exit 0)" {
	host server-8gpu
	example hgx-shared-nvswitch
	plan_json
	assert_success
	assert_equal "$(bound 0302)" "$H100_GPUS"
	assert_equal "$(jqr '[.functions[] | select(.class == "0680")] | length')" 0
	assert_equal "$(jqr '.functions | length')" 8
	assert_equal "$(jqr '.warnings | length')" 0
}

@test "HGX H200, full-passthrough example: the NVSwitches' shared group binds whole, its switch port being a bridge" {
	host hgx-h200
	example hgx-full-passthrough
	plan_json
	assert_success
	assert_equal "$(bound 0302)" "$H200_GPUS"
	assert_equal "$(bound 0680)" "$H200_SWITCHES"
	assert_equal "$(jqr '[.functions[] | select(.class == "0680") | .group] | unique | join(" ")')" 20
	assert_equal "$(field 0000:c1:00.0 driver)" nvidia-nvswitch
	assert_equal "$(jqr '.functions | length')" 12
}

@test "HGX H200, shared-NVSwitch example: the GPUs are bound, the NVSwitches keep nvidia-nvswitch" {
	host hgx-h200
	example hgx-shared-nvswitch
	plan_json
	assert_success
	assert_equal "$(bound 0302)" "$H200_GPUS"
	assert_equal "$(jqr '.functions | length')" 8
	run --separate-stderr vh plan
	assert_success
	refute_output --partial "NVSwitch"
	refute_output --partial "0000:c1:00.0"
}

@test "an NVSwitch is no bridge: binding one of a group of NVSwitches refuses it, naming the others" {
	host hgx-h200
	policy <<<$'[vfio]\nbind = 0000:c1:00.0'
	plan_json
	assert_failure 1
	want "0000:c1:00.0 refuse"
	local why
	why="$(field 0000:c1:00.0 reason)"
	assert_regex "$why" "0000:c2:00.0 NVSwitch \\[0680\\] \\(nvidia-nvswitch\\)"
	assert_regex "$why" "0000:c4:00.0 NVSwitch"
	[[ "$why" != *0000:c0:00.0* ]] || fail "the switch port above them is a bridge, never in the way: $why"
	[[ "$why" != *Bridge* ]] || fail "an NVSwitch is not named a bridge: $why"
}

@test "a GPU grouped with an NVSwitch is refused unless the NVSwitch is bound too" {
	mkhost_text <<-'EOF2'
		# note: an H100 whose group holds an NVSwitch and the switch port above both
		0000:17:00.0 group=7 class=0604 id=1000:c030 driver=pcieport
		0000:18:00.0 group=7 class=0302 id=10de:2330 driver=nvidia
		0000:19:00.0 group=7 class=0680 id=10de:22a3 driver=nvidia-nvswitch
	EOF2
	policy <<<$'[vfio]\nbind = 10de:2330'
	plan_json
	assert_failure 1
	want "0000:18:00.0 refuse"
	assert_regex "$(field 0000:18:00.0 reason)" "0000:19:00.0 NVSwitch \\[0680\\]"
	policy <<<$'[vfio]\nbind = 10de:2330\nbind = 10de:22a3'
	plan_json
	assert_success
	want "0000:18:00.0 bind" "0000:19:00.0 bind"
}

@test "an NVSwitch in a GPU's slot is no companion: the slot's group is refused" {
	mkhost_text <<-'EOF2'
		# note: an H100 and an NVSwitch as two functions of one slot
		0000:18:00.0 group=7 class=0302 id=10de:2330 driver=nvidia
		0000:18:00.1 group=7 class=0680 id=10de:22a3 driver=nvidia-nvswitch
	EOF2
	policy <<<$'[vfio]\nbind = 10de:2330'
	plan_json
	assert_failure 1
	want "0000:18:00.0 refuse"
	assert_regex "$(field 0000:18:00.0 reason)" "0000:18:00.1 NVSwitch"
}

@test "plan's table names an NVSwitch NVSwitch, not by its class's name Bridge" {
	host server-8gpu
	policy <<<$'[vfio]\nbind = 10de:22a3'
	run --separate-stderr vh plan
	assert_success
	assert_line --regexp '^0000:05:00\.0  10de:22a3  NVSwitch  '
	refute_output --partial "Bridge"
}

# ---------------------------------------------------------------- VFIO variant drivers (issue 11)

GH200_POLICY=$'[vfio]\nbind = 10de:* class=03\nbind = 15b3:101e'

# gh200_with SED: tests/hosts/gh200.host changed by the sed script SED, built into $ROOT.
gh200_with() {
	sed "$1" "$TESTS_DIR/hosts/gh200.host" >"$BATS_TEST_TMPDIR/gh200.host"
	mkhost "$BATS_TEST_TMPDIR/gh200.host"
}

# modules: "BDF MODULE" for every function to bind or keep.
modules() {
	jqr '.functions[] | select(.action == "bind" or .action == "keep") | "\(.bdf) \(.vfio_module)"'
}

@test "plan gives the GH200 GPU nvgrace_gpu_vfio_pci, a ConnectX VF mlx5_vfio_pci, the L40S vfio_pci" {
	host gh200
	policy <<<"$GH200_POLICY"
	plan_json
	assert_success
	assert_equal "$(modules)" "0000:01:00.2 mlx5_vfio_pci
0009:01:00.0 nvgrace_gpu_vfio_pci
0011:01:00.0 vfio_pci"
}

@test "plan --json has vfio_module for bind and keep only (SPEC 5)" {
	host gh200
	policy <<<$'[vfio]\nbind = 10de:*\nisolation = warn'
	plan_json
	run jq -r '.functions[] | "\(.action) \(has("vfio_module"))"' <<<"$output"
	assert_output --regexp '^(bind true|refuse false)(
(bind true|refuse false))*$'
	assert_line "refuse false"
	assert_line "bind true"
}

@test "plan's table has the VFIO module column" {
	host gh200
	policy <<<"$GH200_POLICY"
	run --separate-stderr vh plan
	assert_success
	assert_line --regexp '^ADDRESS +ID +CLASS +GROUP +DRIVER +VFIO MODULE +ACTION +REASON$'
	assert_line --regexp '^0009:01:00\.0  10de:2342  3D +4  -  +nvgrace_gpu_vfio_pci  bind  '
	assert_line --regexp '^0011:01:00\.0  10de:26b9  3D +5  -  +vfio_pci  +bind  '
}

@test "driver = vfio-pci forces the generic vfio_pci for every function" {
	host gh200
	policy <<<"$GH200_POLICY"$'\ndriver = vfio-pci'
	plan_json
	assert_success
	assert_equal "$(modules)" "0000:01:00.2 vfio_pci
0009:01:00.0 vfio_pci
0011:01:00.0 vfio_pci"
}

@test "no modules folder for the running kernel: the generic vfio_pci, silently" {
	gh200_with ''
	rm -r "$ROOT/lib/modules"
	policy <<<"$GH200_POLICY"
	plan_json
	assert_success
	assert_equal "$stderr" ""
	assert_equal "$(modules)" "0000:01:00.2 vfio_pci
0009:01:00.0 vfio_pci
0011:01:00.0 vfio_pci"
}

@test "plan reads the modules.alias of the release in proc/sys/kernel/osrelease" {
	gh200_with ''
	policy <<<"$GH200_POLICY"
	echo 6.8.0-other >"$ROOT/proc/sys/kernel/osrelease"
	plan_json
	assert_equal "$(field 0009:01:00.0 vfio_module)" vfio_pci # no lib/modules/6.8.0-other
	mv "$ROOT/lib/modules/6.11.0-1013-nvidia-64k" "$ROOT/lib/modules/6.8.0-other"
	plan_json
	assert_equal "$(field 0009:01:00.0 vfio_module)" nvgrace_gpu_vfio_pci
}

@test "a GPU on vfio-pci whose variant is chosen is bound again; one on the variant is kept" {
	gh200_with 's/^0009:01:00.0 /&driver=vfio-pci /; s/^0011:01:00.0 /&driver=nvgrace-gpu-vfio-pci /'
	policy <<<$'[vfio]\nbind = 10de:* class=03'
	plan_json
	assert_success
	want "0009:01:00.0 bind" "0011:01:00.0 bind"
	policy <<<$'[vfio]\nbind = 10de:* class=03\ndriver = vfio-pci'
	plan_json
	want "0009:01:00.0 keep" "0011:01:00.0 bind"
	gh200_with 's/^0009:01:00.0 /&driver=nvgrace-gpu-vfio-pci /'
	policy <<<$'[vfio]\nbind = 10de:* class=03'
	plan_json
	want "0009:01:00.0 keep" "0011:01:00.0 bind"
	assert_equal "$(field 0009:01:00.0 reason)" "bind at line 2; already on nvgrace-gpu-vfio-pci"
}

@test "expect = N counts the functions bound or kept on any VFIO driver" {
	host gh200
	policy <<<"$GH200_POLICY"$'\nexpect = 3'
	plan_json
	assert_success
	policy <<<"$GH200_POLICY"$'\nexpect = 2'
	plan_json
	assert_failure 1
	jqr '.warnings[]' | grep -q "expect = 2, but 3 functions would be on a VFIO driver"
}

@test "plan --modules: the VFIO modules boot would load, one a line, in byte order" {
	host gh200
	policy <<<"$GH200_POLICY"
	run --separate-stderr vh plan --modules
	assert_success
	assert_output "mlx5_vfio_pci
nvgrace_gpu_vfio_pci
vfio_pci"
	policy <<<"$GH200_POLICY"$'\ndriver = vfio-pci'
	run --separate-stderr vh plan --modules
	assert_output vfio_pci
	policy <<<$'[vfio]\nbind = 10de:2342\nskip = 10de:2342'
	run --separate-stderr vh plan --modules
	assert_success
	assert_output ""
}

@test "plan --modules: nothing without a policy, exit 2 with the errors for a bad one" {
	host gh200
	run --separate-stderr vh plan --modules
	assert_success
	assert_output ""
	policy <<<$'[vfio]\ndriver = nvgrace'
	run --separate-stderr vh plan --modules
	assert_failure 2
	assert_output ""
	assert_equal "$stderr" "/etc/vfiohost.conf:2: driver must be auto or vfio-pci, not 'nvgrace'"
}

@test "plan --kernel RELEASE: the variants of that kernel's modules (an image built for another kernel)" {
	gh200_with ''
	policy <<<"$GH200_POLICY"
	local rel other=6.12.0-99-amd64
	rel=$(cat "$ROOT/proc/sys/kernel/osrelease")
	mkdir -p "$ROOT/lib/modules/$other"
	grep -v nvgrace "$ROOT/lib/modules/$rel/modules.alias" >"$ROOT/lib/modules/$other/modules.alias"
	run --separate-stderr vh --kernel "$other" plan --modules
	assert_success
	assert_output $'mlx5_vfio_pci\nvfio_pci'
	run --separate-stderr vh --kernel "$rel" plan --modules
	assert_output $'mlx5_vfio_pci\nnvgrace_gpu_vfio_pci\nvfio_pci'
	# a release with no modules folder: the generic vfio_pci, as for a running kernel without one
	run --separate-stderr vh --kernel 6.99.0-1-amd64 plan --modules
	assert_success
	assert_output vfio_pci
	run --separate-stderr vh --kernel ../../etc plan --modules
	assert_failure 2
	assert_equal "$stderr" "vfiohost: --kernel: '../../etc' is not a kernel release"
	run --separate-stderr vh --kernel .. plan --modules
	assert_failure 2
	# longer than a kernel release can be (64 characters)
	run --separate-stderr vh --kernel "$(printf '6%.0s' {1..65})" plan --modules
	assert_failure 2
}
