#!/usr/bin/env bats
# `vfiohost check`'s findings (SPEC section 5, issue 13): each id on a fake host that has its
# condition, none of the host-level ones on a clean Intel and a clean AMD host.

bats_require_minimum_version 1.5.0
load helpers

# host NAME: $ROOT is a fresh build of tests/hosts/NAME.host (tests add policies to it).
host() {
	mkhost "$1"
}

# check_json: runs `check --json`; $output is the JSON.
check_json() {
	run --separate-stderr vh check --json
}

# ids: the ids found, in order, one line.
ids() {
	jqr '[.findings[].id] | join(" ")'
}

# finding ID: the first finding with that id, as compact JSON.
finding() {
	# shellcheck disable=SC2016 # $id is jq's
	jqr -c --arg id "$1" '[.findings[] | select(.id == $id)][0]'
}

# has ID [BDF]: a finding ID (about BDF) is there.
has() {
	# shellcheck disable=SC2016 # $id and $bdf are jq's
	jq -e --arg id "$1" --arg bdf "${2:-}" \
		'any(.findings[]; .id == $id and ($bdf == "" or .bdf == $bdf))' <<<"$output" >/dev/null ||
		fail "no finding $1 ${2:-}: $(ids)"
}

# hasnt ID: no finding ID.
hasnt() {
	# shellcheck disable=SC2016 # $id is jq's
	jq -e --arg id "$1" 'all(.findings[]; .id != $id)' <<<"$output" >/dev/null ||
		fail "finding $1 is there: $(finding "$1")"
}

# nvidia_policy: a policy passing the NVIDIA GPUs through, with 1 GiB pages.
nvidia_policy() {
	policy <<-'EOF2'
		[vfio]
		bind = 10de:* class=03
		[hugepages]
		size = 1G
	EOF2
}

# intel_host LINES: an Intel host with IRQ remapping on, one GPU, plus the header lines given.
intel_host() {
	{
		echo "# note: an Intel host for one finding"
		echo "# kmsg: DMAR: IOMMU enabled"
		echo "# kmsg: DMAR-IR: Enabled IRQ remapping in x2apic mode"
		printf '%s\n' "$@"
		echo "0000:00:01.0 group=1 class=0604 id=8086:1901"
		echo "0000:01:00.0 group=1 class=0300 id=10de:2484"
		echo "0000:01:00.1 group=1 class=0403 id=10de:228b"
	} >"$BATS_TEST_TMPDIR/intel.host"
	mkhost_text <"$BATS_TEST_TMPDIR/intel.host" # not in a pipe: mkhost sets $ROOT
}

# ---------------------------------------------------------------- clean hosts

@test "a clean Intel host with its policy: no host-level finding, exit 0" {
	host clean-intel
	nvidia_policy
	check_json
	assert_success
	assert_equal "$(jqr '[.findings[] | select(.bdf == null) | .id] | join(" ")')" ""
	assert_equal "$(ids)" ""
}

@test "a clean AMD host with its policy: no host-level finding, exit 0" {
	host clean-amd
	nvidia_policy
	check_json
	assert_success
	assert_equal "$(jqr '[.findings[] | select(.bdf == null) | .id] | join(" ")')" ""
	assert_equal "$(ids)" ""
}

@test "the clean hosts without a policy: no finding either" {
	host clean-intel
	check_json
	assert_success
	assert_equal "$(ids)" ""
	host clean-amd
	check_json
	assert_success
	assert_equal "$(ids)" ""
}

@test "each finding has an id, a severity, a bdf or null, what and fix" {
	host unready-server
	nvidia_policy
	check_json
	assert_failure 1
	jq -e '.findings | length > 10 and all(
		(.id | test("^[a-z0-9-]+$")) and (.severity | IN("error", "warning", "info")) and
		(.bdf == null or (.bdf | test("^[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\\.[0-7]$"))) and
		(.what | length > 10) and (.fix | length > 10))' <<<"$output" >/dev/null || fail "$output"
}

@test "findings come errors first, then warnings, then info" {
	host unready-server
	nvidia_policy
	check_json
	assert_equal "$(jqr '[.findings[].severity] | . == (sort_by({error: 0, warning: 1, info: 2}[.]))')" true
	assert_equal "$(jqr '[.findings[].severity] | unique | length')" 3
}

@test "the text report lists the findings under the guide's report, errors first, each with its fix" {
	host unready-server
	nvidia_policy
	run --separate-stderr vh check
	assert_failure 1
	assert_regex "$output" $'=== GPU-Containing IOMMU Groups ===\n.*=== Findings: 2 errors, 7 warnings, 3 info ==='
	assert_equal "$(sed -n '/^=== Findings/{n;p}' <<<"$output" | cut -c1-7)" "error  "
	assert_equal "$(grep -c '^        fix: ' <<<"$output")" 12
	assert_equal "$(awk '/^=== Findings/ { on = 1; next } on && /^[a-z]/ { print $1 }' <<<"$output" | uniq | tr '\n' ' ')" \
		"error warning info "
}

@test "only info findings: exit 0" {
	intel_host "# cmdline: ro quiet intel_iommu=on video=efifb:off"
	check_json
	assert_success
	assert_equal "$(ids)" "cmdline-outdated"
	assert_equal "$(jqr '.findings[0].severity')" info
}

# ---------------------------------------------------------------- BIOS and firmware

@test "iommu-off: no IOMMU groups is an error with the firmware fix" {
	mkhost iommu-off
	check_json
	assert_failure 1
	has iommu-off
	assert_equal "$(finding iommu-off | jq -r '.severity, .bdf')" $'error\nnull'
	assert_regex "$(finding iommu-off | jq -r .fix)" "VT-d.*intel_iommu=on"
}

@test "iommu-log-disabled: groups, but the kernel log says the IOMMU is disabled" {
	mkhost_text <<-'EOF'
		# note: a log that contradicts the groups
		# cpu_vendor: AuthenticAMD
		# kmsg: AMD-Vi: AMD IOMMU disabled
		# kmsg: AMD-Vi: Interrupt remapping enabled
		0000:01:00.0 group=1 class=0300 id=10de:2484
	EOF
	check_json
	assert_failure 1
	assert_equal "$(ids)" iommu-log-disabled
}

@test "interrupt-remapping-off: an Intel unit whose ecap lacks bit 3" {
	host unready-server
	check_json
	has interrupt-remapping-off
	assert_regex "$(finding interrupt-remapping-off | jq -r .what)" "dmar0.*ecap f050d2"
}

@test "interrupt-remapping-off: a boot log with neither vendor's IRQ remapping line" {
	mkhost_text <<-'EOF'
		# note: VT-d on, interrupt remapping never said
		# kmsg: DMAR: IOMMU enabled
		0000:01:00.0 group=1 class=0300 id=10de:2484
	EOF
	check_json
	assert_failure 1
	assert_equal "$(ids)" interrupt-remapping-off
	assert_equal "$(finding interrupt-remapping-off | jq -r .severity)" error
	assert_regex "$(finding interrupt-remapping-off | jq -r .fix)" "allow_unsafe_interrupts"
}

@test "interrupt-remapping-off: intremap=off on the command line" {
	mkhost_text <<-'EOF'
		# note: interrupt remapping turned off by hand
		# cmdline: ro quiet intel_iommu=on intremap=off
		# kmsg: DMAR: IOMMU enabled
		0000:01:00.0 group=1 class=0300 id=10de:2484
	EOF
	check_json
	assert_regex "$(finding interrupt-remapping-off | jq -r .what)" "intremap=off"
}

@test "Intel's 'DMAR-IR: Enabled IRQ remapping in x2apic mode' is interrupt remapping" {
	host desktop-1gpu
	check_json
	assert_success
	assert_equal "$(jqr .iommu.interrupt_remapping)" true
	hasnt interrupt-remapping-off
}

@test "Intel's 'DMAR-IR: Enabled IRQ remapping in xapic mode' is interrupt remapping" {
	mkhost_text <<-'EOF'
		# note: xAPIC mode
		# kmsg: DMAR: IOMMU enabled
		# kmsg: DMAR-IR: Enabled IRQ remapping in xapic mode
		0000:01:00.0 group=1 class=0300 id=10de:2484
	EOF
	check_json
	assert_success
	assert_equal "$(jqr .iommu.interrupt_remapping)" true
}

@test "AMD's 'AMD-Vi: Interrupt remapping enabled' is interrupt remapping" {
	host clean-amd
	check_json
	assert_equal "$(jqr .iommu.interrupt_remapping)" true
	hasnt interrupt-remapping-off
}

@test "no interrupt-remapping finding without an IOMMU: iommu-off says it all" {
	mkhost iommu-off
	check_json
	assert_equal "$(ids)" iommu-off
}

@test "bar-unassigned: a BAR with a size and no address, with the kernel's 6.8 words" {
	host unready-server
	check_json
	has bar-unassigned 0000:41:00.0
	assert_equal "$(finding bar-unassigned | jq -r .severity)" error
	assert_regex "$(finding bar-unassigned | jq -r .what)" "^BAR 1 \(64 GiB\) has no address; the kernel said: pci 0000:41:00.0: BAR 1 \[mem size 0x1000000000 64bit pref\]: can't assign; no space"
	assert_regex "$(finding bar-unassigned | jq -r .fix)" "Above 4G decoding.*pci=realloc"
}

@test "bar-unassigned: the resource file alone tells it" {
	mkhost_text <<-'EOF'
		# note: an unassigned BAR the log does not mention
		# kmsg: DMAR-IR: Enabled IRQ remapping in x2apic mode
		0000:01:00.0 group=1 class=0300 id=10de:2484 bar1=unset:16G
	EOF
	check_json
	assert_equal "$(ids)" bar-unassigned
	assert_regex "$(finding bar-unassigned | jq -r .what)" "BAR 1 \(16 GiB\) has no address: its resource line"
}

@test "bar-unassigned: the kernel's old words ('BAR 1: no space for', 'failed to assign')" {
	mkhost_text <<-'EOF'
		# note: a 6.1 kernel's words for a BAR it could not place
		# kmsg: DMAR-IR: Enabled IRQ remapping in x2apic mode
		# kmsg: pci 0000:01:00.0: BAR 1: no space for [mem size 0x800000000 64bit pref]
		# kmsg: pci 0000:01:00.0: BAR 1: failed to assign [mem size 0x800000000 64bit pref]
		0000:01:00.0 group=1 class=0300 id=10de:2484
	EOF
	check_json
	assert_equal "$(ids)" bar-unassigned
	assert_equal "$(finding bar-unassigned | jq -r .bdf)" 0000:01:00.0
	assert_regex "$(finding bar-unassigned | jq -r .what)" "^BAR 1 \(32 GiB\).*no space for"
}

@test "bar-unassigned: not when a later line says the BAR was assigned after all" {
	mkhost_text <<-'EOF'
		# note: pci=realloc found room on the second pass
		# cmdline: ro quiet pci=realloc
		# kmsg: DMAR-IR: Enabled IRQ remapping in x2apic mode
		# kmsg: pci 0000:01:00.0: BAR 1 [mem size 0x800000000 64bit pref]: can't assign; no space
		# kmsg: pci 0000:01:00.0: BAR 1 [mem 0x38000000000-0x387ffffffff 64bit pref]: assigned
		0000:01:00.0 group=1 class=0300 id=10de:2484 bar1=32G
	EOF
	check_json
	assert_success
	assert_equal "$(ids)" ""
}

@test "bar-unassigned: with pci=realloc already on the command line the fix is the firmware" {
	mkhost_text <<-'EOF'
		# note: pci=realloc did not help
		# cmdline: ro quiet pci=realloc
		# kmsg: DMAR-IR: Enabled IRQ remapping in x2apic mode
		0000:01:00.0 group=1 class=0300 id=10de:2484 bar1=unset:32G
	EOF
	check_json
	assert_regex "$(finding bar-unassigned | jq -r .fix)" "pci=realloc is already on the command line"
}

@test "rebar-not-largest: a Resizable BAR below its largest size is info" {
	host unready-server
	check_json
	has rebar-not-largest 0000:81:00.0
	assert_equal "$(finding rebar-not-largest | jq -r '.severity, .what')" \
		$'info\nBAR 1 is 256 MiB; its Resizable BAR capability allows up to 32 GiB'
	assert_equal "$(jqr -c '.gpu_groups[].functions[] | select(.bdf == "0000:81:00.0") | .rebar')" \
		'{"bar":1,"mib":256,"max_mib":32768,"largest":false}'
}

@test "a Resizable BAR at its largest size is said in gpu_groups, and no finding" {
	host clean-intel
	check_json
	assert_equal "$(jqr -c '.gpu_groups[].functions[] | select(.bdf == "0000:01:00.0") | .rebar')" \
		'{"bar":1,"mib":32768,"max_mib":32768,"largest":true}'
	hasnt rebar-not-largest
	run --separate-stderr vh check
	assert_regex "$output" "01:00.0 VGA .*\(ReBAR: BAR 1 at 32768 of 32768 MiB\)"
}

# ---------------------------------------------------------------- drivers

@test "nvidia-driver-installed: NVIDIA's modules and modprobe file, and a policy passing NVIDIA GPUs" {
	host unready-server
	nvidia_policy
	check_json
	has nvidia-driver-installed
	assert_regex "$(finding nvidia-driver-installed | jq -r .what)" \
		"/lib/modules/6.8.0-71-generic/updates/dkms/nvidia.ko.zst /etc/modprobe.d/nvidia-graphics-drivers-kms.conf"
}

@test "nvidia-driver-installed: not without a policy passing NVIDIA GPUs through" {
	host unready-server
	check_json
	hasnt nvidia-driver-installed
	policy <<-'EOF'
		[vfio]
		bind = 1a03:2000
	EOF
	check_json
	hasnt nvidia-driver-installed
}

@test "nvidia-driver-installed: a modprobe file alone is enough; the kernel's nvidiafb is not NVIDIA's driver" {
	intel_host "# modules: kernel/drivers/video/fbdev/nvidia/nvidiafb.ko.xz"
	nvidia_policy
	check_json
	hasnt nvidia-driver-installed
	intel_host "# file: lib/modprobe.d/nvidia-kernel-common.conf options nvidia NVreg_DeviceFileMode=0660"
	nvidia_policy
	check_json
	has nvidia-driver-installed
	assert_regex "$(finding nvidia-driver-installed | jq -r .what)" "/lib/modprobe.d/nvidia-kernel-common.conf"
}

@test "nvidia-driver-installed: Debian's nvidia-current.ko counts" {
	intel_host "# modules: updates/dkms/nvidia-current.ko.xz"
	nvidia_policy
	check_json
	has nvidia-driver-installed
}

@test "initramfs-native-driver: nouveau in initramfs-tools' modules file, with its line" {
	host unready-server
	check_json
	has initramfs-native-driver
	assert_equal "$(jqr -c .boot_image)" \
		'{"native_drivers":[{"driver":"nouveau","where":"etc/initramfs-tools/modules:2"}],"image_read":false}'
}

@test "initramfs-native-driver: dracut's add_drivers and modules-load.d count too" {
	intel_host '# file: etc/dracut.conf.d/gpu.conf add_drivers+=" amdgpu "' \
		'# file: etc/modules-load.d/nvidia.conf nvidia-drm'
	check_json
	assert_equal "$(jqr -c '[.boot_image.native_drivers[] | "\(.driver) \(.where)"]')" \
		'["amdgpu etc/dracut.conf.d/gpu.conf:1","nvidia-drm etc/modules-load.d/nvidia.conf:1"]'
	assert_equal "$(ids)" "initramfs-native-driver initramfs-native-driver"
}

# ---------------------------------------------------------------- the command line

@test "cmdline-vfio-ids: vfio-pci.ids= is a warning that points to vfiohost import" {
	intel_host "# cmdline: ro quiet intel_iommu=on vfio-pci.ids=10de:2484,10de:228b"
	check_json
	assert_failure 1
	assert_equal "$(ids)" cmdline-vfio-ids
	assert_regex "$(finding cmdline-vfio-ids | jq -r .fix)" "vfiohost import"
}

@test "cmdline-hugepages: hugepages= is a warning that points to vfiohost import" {
	intel_host "# cmdline: ro quiet intel_iommu=on hugepagesz=2M hugepages=1024"
	check_json
	assert_failure 1
	assert_equal "$(ids)" cmdline-hugepages
	assert_regex "$(finding cmdline-hugepages | jq -r '.what, .fix')" "stops the boot.*vfiohost import"
}

@test "cmdline-outdated: video=efifb:off and vesafb:off on a 6.x kernel, since Linux 6.0" {
	intel_host "# cmdline: BOOT_IMAGE=/boot/vmlinuz-6.12.12-amd64 ro video=vesafb:off,efifb:off"
	check_json
	assert_equal "$(ids)" cmdline-outdated
	assert_regex "$(finding cmdline-outdated | jq -r .what)" "since Linux 6.0.*this kernel is 6.12.12-amd64"
}

@test "cmdline-outdated: not on a kernel before 6.0, where video=efifb:off still matters" {
	intel_host "# cmdline: BOOT_IMAGE=/boot/vmlinuz-5.15.0-131-generic ro video=efifb:off"
	check_json
	assert_equal "$(ids)" ""
}

@test "cmdline-outdated: amd_iommu=on and pcie_acs_override=" {
	intel_host "# cmdline: ro amd_iommu=on pcie_acs_override=downstream,multifunction"
	check_json
	assert_equal "$(ids)" "cmdline-outdated cmdline-outdated"
	assert_regex "$(jqr '.findings[1].what')" "not a mainline kernel parameter"
}

# ---------------------------------------------------------------- hugepages

@test "no-1g-pages: the policy asks for 1 GiB pages on a CPU without pdpe1gb" {
	intel_host "# cpu_flags: fpu vme de pse tsc msr pae mce cx8 apic lm vmx" \
		"# cmdline: ro quiet default_hugepagesz=1G"
	nvidia_policy
	check_json
	assert_failure 1
	assert_equal "$(ids)" no-1g-pages
	assert_regex "$(finding no-1g-pages | jq -r .what)" "size = 1G in the policy"
}

@test "no-1g-pages: hugepagesz=1G hugepages=N on the command line asks too" {
	intel_host "# cpu_flags: fpu vme de pse tsc msr pae mce cx8 apic lm vmx" \
		"# cmdline: ro quiet default_hugepagesz=1G hugepagesz=1G hugepages=4"
	check_json
	has no-1g-pages
}

@test "no-hugetlbfs-1g: 1 GiB pages asked for, /dev/hugepages at 2 MiB and no other mount" {
	intel_host
	nvidia_policy
	check_json
	assert_failure 1
	assert_equal "$(ids)" no-hugetlbfs-1g
	assert_regex "$(finding no-hugetlbfs-1g | jq -r .fix)" "pagesize=1G"
}

@test "no-hugetlbfs-1g: a mount with pagesize=1G (or 1024M) is enough" {
	intel_host "# mounts: none /dev/hugepages1G hugetlbfs rw,relatime,pagesize=1G 0 0"
	nvidia_policy
	check_json
	assert_success
	assert_equal "$(jqr .hugetlbfs_1g)" /dev/hugepages1G
	intel_host "# cmdline: ro quiet default_hugepagesz=1G"
	nvidia_policy
	check_json
	assert_success
	assert_equal "$(jqr .hugetlbfs_1g)" /dev/hugepages
}

@test "hugepages_advice: the budget for this host beside the guide's table row" {
	host unready-server
	nvidia_policy
	check_json
	assert_equal "$(jqr -c .hugepages_advice)" \
		'{"memtotal_kib":1056964608,"gpus":4,"keep_free_kib":82376130,"budget_1g":929,"guide_row":{"ram_gb":1024,"pages":880,"left_gb":144}}'
	run --separate-stderr vh check
	assert_regex "$output" "1 GiB page budget    : 929 \(MemTotal 1008 GiB, 4 GPUs, 78 GiB kept for the host\)"
	assert_regex "$output" "The guide's table    : 1024 GB: 880 pages, 144 GB left"
}

@test "hugepages_advice: a desktop has no guide row" {
	host desktop-1gpu
	check_json
	assert_equal "$(jqr -c '.hugepages_advice | [.gpus, .budget_1g, .guide_row]')" '[1,21,null]'
}

@test "hugepages-over-budget: hugepages= above the budget" {
	host unready-server
	check_json
	has hugepages-over-budget
	assert_regex "$(finding hugepages-over-budget | jq -r .what)" "hugepages=1000 .* budget of"
}

@test "hugepages-recommended: more than 512 GiB and no hugepages at all is info" {
	intel_host "# memtotal_kib: 805306368"
	check_json
	assert_success
	assert_equal "$(ids)" hugepages-recommended
}

# ---------------------------------------------------------------- groups and the policy

@test "group-not-isolated: a GPU grouped with a NIC, which the finding names" {
	host unready-server
	check_json
	has group-not-isolated 0000:c1:00.0
	assert_regex "$(finding group-not-isolated | jq -r .what)" "group 4 holds 0000:c2:00.0 \(Ethernet\)"
}

@test "gpus-share-group: two GPUs in one group" {
	host unready-server
	check_json
	has gpus-share-group 0000:01:00.0
	assert_regex "$(finding gpus-share-group | jq -r .what)" "group 1 holds 2 GPUs"
}

@test "the group findings stand beside gpu_groups' others and gpus" {
	host shared-group
	check_json
	assert_equal "$(jqr -c '[.gpu_groups[] | select(.others) | .group]')" '[9]'
	assert_equal "$(jqr -c '[.findings[] | select(.id == "group-not-isolated") | .what | test("group 9")]')" '[true]'
}

# ---------------------------------------------------------------- NVSwitches (HGX)

# example NAME: docs/examples/NAME.conf is the policy.
example() {
	policy <"$REPO_DIR/docs/examples/$1.conf"
}

@test "nvswitch-partial: some NVSwitches bound is a warning naming those left with the host" {
	host server-8gpu
	policy <<<$'[vfio]\nbind = 10de:2330\nbind = 0000:05:00.0'
	check_json
	assert_failure 1
	has nvswitch-partial 0000:06:00.0
	assert_equal "$(finding nvswitch-partial | jq -r .severity)" warning
	assert_regex "$(finding nvswitch-partial | jq -r .what)" "NVSwitches bound: 1 of 4; left with the host: 0000:06:00.0 \(not selected\), 0000:07:00.0"
	assert_regex "$(finding nvswitch-partial | jq -r .fix)" "full passthrough.*shared NVSwitch"
}

@test "nvswitch-partial: every NVSwitch without every GPU, naming the GPU left out and why" {
	host server-8gpu
	policy <<<$'[vfio]\nbind = 10de:2330\nbind = 10de:22a3\nskip = 0000:9a:00.0'
	check_json
	has nvswitch-partial 0000:9a:00.0
	assert_regex "$(finding nvswitch-partial | jq -r .what)" "every NVSwitch \(4\) is bound but only 7 of the 8 GPUs \(not bound: 0000:9a:00.0 \(skip\)\)"
}

@test "the two HGX example policies raise no nvswitch-partial" {
	host server-8gpu
	example hgx-full-passthrough
	check_json
	hasnt nvswitch-partial
	hasnt nvswitch-fabricmanager
	example hgx-shared-nvswitch
	check_json
	hasnt nvswitch-partial
}

@test "nvswitch-fabricmanager: NVSwitches bound while the host's Fabric Manager is enabled" {
	host hgx-h200
	example hgx-full-passthrough
	check_json
	assert_failure 1
	has nvswitch-fabricmanager
	assert_equal "$(finding nvswitch-fabricmanager | jq -r .severity)" warning
	assert_regex "$(finding nvswitch-fabricmanager | jq -r .what)" "binds 4 NVSwitches .*nvidia-fabricmanager.service"
	assert_regex "$(finding nvswitch-fabricmanager | jq -r .fix)" "systemctl disable --now nvidia-fabricmanager"
	example hgx-shared-nvswitch
	check_json
	hasnt nvswitch-fabricmanager
	hasnt nvswitch-no-fabricmanager
}

@test "nvswitch-no-fabricmanager: shared NVSwitch on a host with no Fabric Manager service is info" {
	host server-8gpu
	example hgx-shared-nvswitch
	check_json
	has nvswitch-no-fabricmanager
	assert_equal "$(finding nvswitch-no-fabricmanager | jq -r .severity)" info
	assert_regex "$(finding nvswitch-no-fabricmanager | jq -r .fix)" "FABRIC_MODE=1"
}

@test "nvidia-driver-installed: info under shared NVSwitch (the host's Fabric Manager needs it), a warning under full passthrough" {
	host hgx-h200
	example hgx-shared-nvswitch
	check_json
	assert_equal "$(finding nvidia-driver-installed | jq -r .severity)" info
	assert_regex "$(finding nvidia-driver-installed | jq -r .fix)" "^keep it"
	example hgx-full-passthrough
	check_json
	assert_equal "$(finding nvidia-driver-installed | jq -r .severity)" warning
}

@test "policy-invalid: a broken policy is an error finding, its lines on stderr" {
	host clean-intel
	policy <<<'frobnicate = yes'
	check_json
	assert_failure 1
	assert_equal "$(ids)" policy-invalid
	# shellcheck disable=SC2154 # $stderr is set by bats' run --separate-stderr
	assert_regex "$stderr" "vfiohost.conf:1:"
}

@test "every finding id of agent/findings.c has its entry in vfiohost(8)'s FINDINGS" {
	local ids id missing=""
	ids="$(grep -o 'add(j, "[a-z0-9-]*"' "$REPO_DIR/agent/findings.c" | sed 's/^add(j, "//; s/"$//' | sort -u)"
	[ "$(wc -l <<<"$ids")" -ge 20 ] || fail "too few ids read from findings.c: $ids"
	for id in $ids; do
		grep -qF ".BR ${id//-/\\-} \"" "$REPO_DIR/docs/vfiohost.8" || missing="$missing $id"
	done
	[ -z "$missing" ] || fail "not in docs/vfiohost.8:$missing"
}
