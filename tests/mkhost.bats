#!/usr/bin/env bats
# Tests of the fake-host builder tests/mkhost: the trees it writes must read like Linux sysfs.

load helpers # TOPOLOGIES, GUIDE and need_guide

MKHOST="$BATS_TEST_DIRNAME/mkhost"
HOSTS="$BATS_TEST_DIRNAME/hosts"

setup() {
	ROOT="$BATS_TEST_TMPDIR/root"
}

# Build the host description read on stdin into $ROOT.
build_stdin() {
	cat >"$BATS_TEST_TMPDIR/t.host"
	"$MKHOST" "$BATS_TEST_TMPDIR/t.host" "$ROOT"
}

# lspci reading the tree at $1 instead of /sys.
lspci_at() {
	local root="$1"
	shift
	lspci -A linux-sysfs -O sysfs.path="$root/sys/bus/pci" "$@"
}

# "bdf class id" of every function line of host file $1, sorted.
expected_ids() {
	awk '!/^#/ && NF {
		bdf = tolower($1); if (length(bdf) == 7) bdf = "0000:" bdf
		for (i = 2; i <= NF; i++) {
			if ($i ~ /^class=/) c = substr($i, 7, 4)
			if ($i ~ /^id=/) id = tolower(substr($i, 4))
		}
		print bdf, c, id
	}' "$1" | sort
}

# The same triples as lspci reads them from the tree at $1.
lspci_ids() {
	lspci_at "$1" -Dn | awk '{ print $1, substr($2, 1, 4), $3 }' | sort
}

# The seed guide's check script, made to read the tree in $R instead of the live system.
guide_script() {
	sed -n '/^#!\/usr\/bin\/env bash/,/^Here is what a good summary/p' "$GUIDE" | sed '$d' |
		sed -e 's|^if have journalctl; then journalctl -k -b 0 2>/dev/null$|sed "s/^[^;]*;//" "$R/dev/kmsg"|' \
			-e '/^else dmesg 2>\/dev\/null$/d' -e '/^(lscpu /d' \
			-e 's|/proc/|$R/proc/|g' -e 's|GROUPS_DIR="/sys|GROUPS_DIR="$R/sys|' \
			-e 's|lspci -nns|lspci -A linux-sysfs -O sysfs.path=$R/sys/bus/pci -nns|' |
		awk 'prev == "sed \"s/^[^;]*;//\" \"$R/dev/kmsg\"" && $0 == "fi" { prev = $0; next } { print; prev = $0 }'
}

# Device names vary with the pci.ids on the machine: keep address, class, ids and revision.
strip_names() {
	sed -E 's/^([0-9a-f]{2}:[0-9a-f]{2}\.[0-7]) .*(\[[0-9a-f]{4}\]): .*(\[[0-9a-f]{4}:[0-9a-f]{4}\])/\1 \2 \3/' | grep -v '^$'
}

@test "lspci lists every function of every host and topology with its class and ids" {
	for f in "$HOSTS"/*.host "$TOPOLOGIES"/*.topo; do
		rm -rf "$ROOT"
		"$MKHOST" "$f" "$ROOT"
		diff -u <(expected_ids "$f") <(lspci_ids "$ROOT") || fail "lspci disagrees with $f"
	done
}

@test "lspci shows the revision and subsystem ids of the host file" {
	build_stdin <<-'EOF'
		0000:01:00.0 class=0300 id=10de:2b85 subsys=1458:4104 rev=a1
	EOF
	run lspci_at "$ROOT" -nnv -s 01:00.0
	assert_success
	assert_line --partial '[10de:2b85] (rev a1)'
	assert_line --regexp 'Subsystem: .*\[1458:4104\]'
}

@test "the seed guide's check script prints the guide's first summary on seed-amd-5gpu" {
	need_guide "its script"
	"$MKHOST" "$HOSTS/seed-amd-5gpu.host" "$ROOT"
	R="$ROOT" bash <(guide_script) | sed "s|$ROOT||" | strip_names >"$BATS_TEST_TMPDIR/got"
	sed -n '/^Here is what a good summary/,/^As we can see/p' "$GUIDE" | sed '1d;$d' | strip_names >"$BATS_TEST_TMPDIR/want"
	diff -u "$BATS_TEST_TMPDIR/want" "$BATS_TEST_TMPDIR/got"
}

@test "the seed guide's check script lists the guide's bridge groups on seed-amd-bridges" {
	need_guide "its script"
	"$MKHOST" "$HOSTS/seed-amd-bridges.host" "$ROOT"
	R="$ROOT" bash <(guide_script) | sed -n '/GPU-Containing/,$p' | strip_names >"$BATS_TEST_TMPDIR/got"
	sed -n '/^Sometimes you may see PCI bridges/,/^3\. /p' "$GUIDE" | sed '1d;$d' | strip_names >"$BATS_TEST_TMPDIR/want"
	diff -u "$BATS_TEST_TMPDIR/want" "$BATS_TEST_TMPDIR/got"
}

@test "every link in a built tree is relative and resolves inside the tree" {
	"$MKHOST" "$HOSTS/seed-amd-5gpu.host" "$ROOT"
	run find "$ROOT" -type l -lname '/*'
	assert_output ''
	run find "$ROOT" -type l -exec realpath -e -- {} +
	assert_success
	root="$(realpath "$ROOT")"
	for target in "${lines[@]}"; do
		[[ "$target" == "$root"/* ]] || fail "link to $target leaves the tree"
	done
}

@test "device, driver and group links point at each other" {
	build_stdin <<-'EOF'
		0000:01:00.0 group=3 class=0300 id=10de:2b85 driver=nouveau
	EOF
	dev="$(realpath "$ROOT/sys/bus/pci/devices/0000:01:00.0")"
	assert_equal "$(realpath "$dev/driver")" "$ROOT/sys/bus/pci/drivers/nouveau"
	assert_equal "$(realpath "$ROOT/sys/bus/pci/drivers/nouveau/0000:01:00.0")" "$dev"
	assert_equal "$(realpath "$dev/iommu_group")" "$ROOT/sys/kernel/iommu_groups/3"
	assert_equal "$(realpath "$ROOT/sys/kernel/iommu_groups/3/devices/0000:01:00.0")" "$dev"
	assert_equal "$(realpath "$dev/subsystem")" "$ROOT/sys/bus/pci"
}

@test "group=? gives each slot one new group, in address order after the highest explicit group" {
	build_stdin <<-'EOF'
		0000:01:00.1 group=? class=0403 id=10de:22e8
		0000:01:00.0 group=? class=0300 id=10de:2b85
		0000:00:01.0 group=4 class=0604 id=8086:1901
		0000:00:14.0 class=0c03 id=8086:a36d
		0000:02:00.0 group=2 class=0108 id=144d:a808
	EOF
	groups=""
	for f in 00:01.0 00:14.0 01:00.0 01:00.1 02:00.0; do
		groups="$groups $(basename "$(readlink "$ROOT/sys/bus/pci/devices/0000:$f/iommu_group")")"
	done
	assert_equal "$groups" " 4 5 6 6 2"
}

@test "group=none leaves a function without an iommu_group link" {
	build_stdin <<-'EOF'
		0000:00:00.2 group=none class=0806 id=1022:1481
	EOF
	assert [ ! -e "$ROOT/sys/bus/pci/devices/0000:00:00.2/iommu_group" ]
	assert [ -d "$ROOT/sys/bus/pci/devices/0000:00:00.2" ]
}

@test "iommu off leaves iommu_groups empty and no function in a group" {
	"$MKHOST" "$HOSTS/iommu-off.host" "$ROOT"
	run ls -A "$ROOT/sys/kernel/iommu_groups"
	assert_success
	assert_output ''
	run find "$ROOT/sys/devices" -name iommu_group
	assert_output ''
}

@test "numa_node is -1 on a one-node host" {
	build_stdin <<-'EOF'
		0000:01:00.0 class=0300 id=10de:2b85
	EOF
	assert_equal "$(cat "$ROOT/sys/bus/pci/devices/0000:01:00.0/numa_node")" "-1"
	assert [ ! -e "$ROOT/sys/devices/system/node" ]
}

@test "numa_node follows numa= on a two-node host, node 0 by default" {
	build_stdin <<-'EOF'
		# numa_nodes: 2
		0000:01:00.0 class=0300 id=10de:2b85 numa=1
		0000:02:00.0 class=0300 id=10de:2b85
	EOF
	assert_equal "$(cat "$ROOT/sys/bus/pci/devices/0000:01:00.0/numa_node")" "1"
	assert_equal "$(cat "$ROOT/sys/bus/pci/devices/0000:02:00.0/numa_node")" "0"
}

@test "node meminfo splits MemTotal in the kernel's format" {
	build_stdin <<-'EOF'
		# memtotal_kib: 792723457
		# numa_nodes: 2
	EOF
	run head -1 "$ROOT/sys/devices/system/node/node0/meminfo"
	assert_output 'Node 0 MemTotal:       396361729 kB'
	run head -1 "$ROOT/sys/devices/system/node/node1/meminfo"
	assert_output 'Node 1 MemTotal:       396361728 kB'
	assert_equal "$(cat "$ROOT/sys/devices/system/node/online")" "0-1"
	assert [ -f "$ROOT/sys/devices/system/node/node1/hugepages/hugepages-1048576kB/nr_hugepages" ]
}

@test "proc/meminfo starts with MemTotal" {
	build_stdin <<-'EOF'
		# memtotal_kib: 32719064
	EOF
	run head -1 "$ROOT/proc/meminfo"
	assert_output 'MemTotal:       32719064 kB'
}

@test "hugepages lists the page-size directories that exist" {
	build_stdin <<-'EOF'
		# hugepages: 2048
	EOF
	run ls "$ROOT/sys/kernel/mm/hugepages"
	assert_output 'hugepages-2048kB'
	assert_equal "$(cat "$ROOT/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages")" "0"
}

@test "uevent and modalias read as the kernel writes them" {
	build_stdin <<-'EOF'
		0000:c1:00.0 class=0300 id=10de:2b85 subsys=1458:4104 driver=vfio-pci
	EOF
	run cat "$ROOT/sys/bus/pci/devices/0000:c1:00.0/uevent"
	assert_output - <<-'EOF'
		DRIVER=vfio-pci
		PCI_CLASS=30000
		PCI_ID=10DE:2B85
		PCI_SUBSYS_ID=1458:4104
		PCI_SLOT_NAME=0000:c1:00.0
		MODALIAS=pci:v000010DEd00002B85sv00001458sd00004104bc03sc00i00
	EOF
	assert_equal "$(cat "$ROOT/sys/bus/pci/devices/0000:c1:00.0/class")" "0x030000"
}

@test "a four-digit class gets the usual prog-if" {
	build_stdin <<-'EOF'
		0000:00:14.0 class=0c03 id=8086:a36d
		0000:01:00.0 class=010802 id=144d:a808
	EOF
	assert_equal "$(cat "$ROOT/sys/bus/pci/devices/0000:00:14.0/class")" "0x0c0330"
	assert_equal "$(cat "$ROOT/sys/bus/pci/devices/0000:01:00.0/class")" "0x010802"
}

@test "driver_override reads (null) unless override= is given" {
	build_stdin <<-'EOF'
		0000:01:00.0 class=0300 id=10de:2b85
		0000:01:00.1 class=0403 id=10de:22e8 override=vfio-pci
	EOF
	assert_equal "$(cat "$ROOT/sys/bus/pci/devices/0000:01:00.0/driver_override")" "(null)"
	assert_equal "$(cat "$ROOT/sys/bus/pci/devices/0000:01:00.1/driver_override")" "vfio-pci"
}

@test "boot_vga exists only for class 0300 functions" {
	build_stdin <<-'EOF'
		0000:00:02.0 class=0300 id=8086:3e98 boot_vga=1
		0000:01:00.0 class=0300 id=10de:2b85
		0000:02:00.0 class=0302 id=10de:2330
	EOF
	assert_equal "$(cat "$ROOT/sys/bus/pci/devices/0000:00:02.0/boot_vga")" "1"
	assert_equal "$(cat "$ROOT/sys/bus/pci/devices/0000:01:00.0/boot_vga")" "0"
	assert [ ! -e "$ROOT/sys/bus/pci/devices/0000:02:00.0/boot_vga" ]
}

@test "config space has ids, class, and the multifunction bit on function 0 of a multi-function slot" {
	build_stdin <<-'EOF'
		0000:01:00.0 class=0300 id=10de:2b85 rev=a1
		0000:01:00.1 class=0403 id=10de:22e8
		0000:02:00.0 class=0108 id=144d:a808
	EOF
	cfg() { od -An -tx1 -N16 "$ROOT/sys/bus/pci/devices/$1/config" | tr -d ' \n'; }
	assert_equal "$(stat -c %s "$ROOT/sys/bus/pci/devices/0000:01:00.0/config")" 256
	assert_equal "$(cfg 0000:01:00.0)" "de10852b06000000a100000300008000"
	assert_equal "$(cfg 0000:01:00.1)" "de10e822060000000000030400000000"
	assert_equal "$(cfg 0000:02:00.0)" "4d1408a8060000000002080100000000"
}

@test "a PCI bridge has header type 1 and a 17-line resource file" {
	build_stdin <<-'EOF'
		0000:00:01.0 class=0604 id=8086:1901
	EOF
	run od -An -tx1 -j14 -N1 "$ROOT/sys/bus/pci/devices/0000:00:01.0/config"
	assert_output ' 01'
	assert_equal "$(wc -l <"$ROOT/sys/bus/pci/devices/0000:00:01.0/resource")" 17
}

@test "resource has 13 lines with BAR0 a memory range" {
	build_stdin <<-'EOF'
		0000:01:00.0 class=0300 id=10de:2b85 bar0=0xf6000000-0xf6ffffff
	EOF
	run cat "$ROOT/sys/bus/pci/devices/0000:01:00.0/resource"
	assert_equal "${#lines[@]}" 13
	assert_equal "${lines[0]}" "0x00000000f6000000 0x00000000f6ffffff 0x0000000000040200"
	assert_equal "${lines[1]}" "0x0000000000000000 0x0000000000000000 0x0000000000000000"
}

@test "default BARs are distinct and avoid explicit BARs and iomem entries" {
	build_stdin <<-'EOF'
		# iomem: 80000000-80ffffff BOOTFB
		0000:01:00.0 class=0300 id=10de:2b85
		0000:02:00.0 class=0300 id=10de:2b85 bar0=0x81000000-0x81ffffff
		0000:03:00.0 class=0200 id=8086:1539
	EOF
	run sh -c "head -qn1 '$ROOT'/sys/bus/pci/devices/*/resource | cut -d' ' -f1-2"
	assert_output - <<-'EOF'
		0x0000000082000000 0x0000000082ffffff
		0x0000000081000000 0x0000000081ffffff
		0x0000000083000000 0x00000000830fffff
	EOF
}

@test "iomem nests a BOOTFB range under the BAR holding it" {
	"$MKHOST" "$HOSTS/efifb-3d.host" "$ROOT"
	run grep -A2 ' : 0000:00:02.0$' "$ROOT/proc/iomem"
	assert_output - <<-'EOF'
		c0000000-cfffffff : 0000:00:02.0
		  c0000000-c07e8fff : BOOTFB
		    c0000000-c07e8fff : efifb
	EOF
}

@test "dev/kmsg holds the kmsg lines as records after the kernel banner" {
	build_stdin <<-'EOF'
		# cmdline: ro intel_iommu=on
		# kmsg: DMAR: IOMMU enabled
		# kmsg: <3>DMAR: DRHD: handling fault status reg 3
	EOF
	run cat "$ROOT/dev/kmsg"
	assert_equal "${#lines[@]}" 4
	assert_regex "${lines[0]}" '^5,0,0,-;Linux version '
	assert_equal "${lines[1]}" "5,1,1013,-;Kernel command line: ro intel_iommu=on"
	assert_equal "${lines[2]}" "6,2,2026,-;DMAR: IOMMU enabled"
	assert_equal "${lines[3]}" "3,3,3039,-;DMAR: DRHD: handling fault status reg 3"
	assert_equal "$(cat "$ROOT/proc/cmdline")" "ro intel_iommu=on"
}

@test "cpuinfo carries the vendor and the pdpe1gb flag by default" {
	build_stdin <<-'EOF'
		# cpu_vendor: AuthenticAMD
	EOF
	run grep -c '^vendor_id	: AuthenticAMD$' "$ROOT/proc/cpuinfo"
	assert_output 2
	run grep -m1 '^flags' "$ROOT/proc/cpuinfo"
	assert_output --partial ' pdpe1gb '
}

@test "drivers: creates driver directories with no devices" {
	build_stdin <<-'EOF'
		# drivers: vfio-pci
	EOF
	run ls "$ROOT/sys/bus/pci/drivers/vfio-pci"
	assert_output - <<-'EOF'
		bind
		new_id
		remove_id
		uevent
		unbind
	EOF
}

@test "the root has empty etc, run and dev/vfio, and the bus control files" {
	build_stdin </dev/null
	for d in etc run dev/vfio; do
		assert [ -d "$ROOT/$d" ]
		assert [ -z "$(ls -A "$ROOT/$d")" ]
	done
	assert [ -f "$ROOT/sys/bus/pci/drivers_probe" ]
	assert [ -f "$ROOT/sys/bus/pci/rescan" ]
}

@test "a bad host line is reported as FILE:LINE and exits 2 without building" {
	printf '# note: x\n0000:01:00.0 class=0300 id=10de:2b85\n0000:01:00.1 class=0403 id=nvidia\n' >"$BATS_TEST_TMPDIR/bad.host"
	run "$MKHOST" "$BATS_TEST_TMPDIR/bad.host" "$ROOT"
	assert_failure 2
	assert_output "$BATS_TEST_TMPDIR/bad.host:3: 'nvidia' is not vvvv:dddd"
	assert [ ! -e "$ROOT" ]
}

@test "every error of a host file is reported, in line order" {
	printf '# memtotal_kb: 1\n0000:01:00.0 class=0302 id=10de:2330 boot_vga=1\n0000:01:00.0 class=0300 id=10de:2b85 colour=red\n' >"$BATS_TEST_TMPDIR/bad.host"
	run "$MKHOST" "$BATS_TEST_TMPDIR/bad.host" "$ROOT"
	assert_failure 2
	assert_output - <<-EOF
		$BATS_TEST_TMPDIR/bad.host:1: unknown header 'memtotal_kb'
		$BATS_TEST_TMPDIR/bad.host:2: 0000:01:00.0: boot_vga exists only for class 0300 (this is 0302)
		$BATS_TEST_TMPDIR/bad.host:3: unknown attribute 'colour'
	EOF
}

@test "a bare name is a host of tests/hosts" {
	run "$MKHOST" desktop-1gpu "$ROOT"
	assert_success
	assert [ -e "$ROOT/sys/bus/pci/devices/0000:01:00.0" ]
	run "$MKHOST" no-such-host "$BATS_TEST_TMPDIR/none"
	assert_failure 2
	assert_output "mkhost: cannot read $HOSTS/no-such-host.host: No such file or directory"
}

@test "a path with a slash is used as it is, never joined onto tests/hosts" {
	cp "$TOPOLOGIES/x570-gtx1080ti-gt710.topo" "$BATS_TEST_TMPDIR/x570.topo"
	run "$MKHOST" "$BATS_TEST_TMPDIR/x570.topo" "$ROOT"
	assert_success
	assert [ -e "$ROOT/sys/bus/pci/devices/0000:0b:00.0" ]
	cd "$BATS_TEST_TMPDIR"
	run "$MKHOST" ./x570.topo rel
	assert_success
	assert [ -e rel/sys/bus/pci/devices/0000:0b:00.0 ]
	run "$MKHOST" "$BATS_TEST_TMPDIR/missing.topo" "$BATS_TEST_TMPDIR/none"
	assert_failure 2
	assert_output "mkhost: cannot read $BATS_TEST_TMPDIR/missing.topo: No such file or directory"
	run "$MKHOST" ./desktop-1gpu.host "$BATS_TEST_TMPDIR/none"
	assert_failure 2
	assert_output "mkhost: cannot read ./desktop-1gpu.host: No such file or directory"
}

@test "a non-empty output directory is refused" {
	mkdir -p "$ROOT"
	touch "$ROOT/keep"
	run "$MKHOST" /dev/null "$ROOT"
	assert_failure 1
	assert_output --partial 'not empty'
}

@test "every real topology builds" {
	for f in "$TOPOLOGIES"/*.topo; do
		run "$MKHOST" "$f" "$BATS_TEST_TMPDIR/$(basename "$f")"
		assert_success
	done
}

@test "every host file starts with a note and builds" {
	for f in "$HOSTS"/*.host; do
		run head -c 8 "$f"
		assert_output '# note: '
		run "$MKHOST" "$f" "$BATS_TEST_TMPDIR/$(basename "$f")"
		assert_success
	done
}

# ---------------------------------------------------------------- what check's findings read

@test "osrelease is the BOOT_IMAGE's release, Debian 12's without one, or the header's" {
	build_stdin <<<'# cmdline: BOOT_IMAGE=/boot/vmlinuz-6.8.0-71-generic ro quiet'
	assert_equal "$(cat "$ROOT/proc/sys/kernel/osrelease")" 6.8.0-71-generic
	rm -rf "$ROOT"
	build_stdin <<<'# cmdline: ro quiet'
	assert_equal "$(cat "$ROOT/proc/sys/kernel/osrelease")" 6.1.0-28-amd64
	rm -rf "$ROOT"
	build_stdin <<<'# osrelease: 6.12.12-amd64'
	assert_equal "$(cat "$ROOT/proc/sys/kernel/osrelease")" 6.12.12-amd64
}

@test "modules: the files under lib/modules/RELEASE and their modules.dep lines" {
	build_stdin <<<'# modules: updates/dkms/nvidia.ko.zst,kernel/drivers/gpu/drm/nouveau/nouveau.ko.xz'
	assert_equal "$(cat "$ROOT/lib/modules/6.1.0-28-amd64/modules.dep")" \
		$'updates/dkms/nvidia.ko.zst:\nkernel/drivers/gpu/drm/nouveau/nouveau.ko.xz:'
	[ -f "$ROOT/lib/modules/6.1.0-28-amd64/updates/dkms/nvidia.ko.zst" ]
	[ -f "$ROOT/lib/modules/6.1.0-28-amd64/kernel/drivers/gpu/drm/nouveau/nouveau.ko.xz" ]
}

@test "module: a stand-in ELF module with its .modinfo, indexed by the real depmod" {
	build_stdin <<-'EOF'
		# osrelease: 6.12.12-amd64
		# module: vfio_pci alias=vfio_pci:v*d*sv*sd*bc*sc*i*
		# module: nvgrace_gpu_vfio_pci alias=vfio_pci:v000010DEd00002342sv*sd*bc*sc*i* alias=vfio_pci:v000010DEd00002345sv*sd*bc*sc*i*
	EOF
	local mods="$ROOT/lib/modules/6.12.12-amd64"
	run modinfo -F alias "$mods/kernel/drivers/vfio/pci/nvgrace-gpu-vfio-pci.ko"
	assert_output $'vfio_pci:v000010DEd00002342sv*sd*bc*sc*i*\nvfio_pci:v000010DEd00002345sv*sd*bc*sc*i*'
	assert_equal "$(modinfo -F license "$mods/kernel/drivers/vfio/pci/vfio-pci.ko")" GPL
	run grep -v '^#' "$mods/modules.alias"
	assert_output "alias vfio_pci:v*d*sv*sd*bc*sc*i* vfio_pci
alias vfio_pci:v000010DEd00002342sv*sd*bc*sc*i* nvgrace_gpu_vfio_pci
alias vfio_pci:v000010DEd00002345sv*sd*bc*sc*i* nvgrace_gpu_vfio_pci"
	[ -s "$mods/modules.alias.bin" ] && [ -s "$mods/modules.dep.bin" ]
	assert_equal "$(modprobe -d "$ROOT" -S 6.12.12-amd64 -R vfio_pci:v000010DEd00002342sv000010DEsd000016EBbc03sc02i00 | sort | xargs)" \
		"nvgrace_gpu_vfio_pci vfio_pci"
	[ ! -e "$ROOT/sys/module/nvgrace_gpu_vfio_pci" ] # not loaded without driver=
}

@test "module: driver= is a loaded module's pci driver, in sys/module and sys/bus/pci/drivers" {
	build_stdin <<-'EOF'
		# module: xe_vfio_pci alias=vfio_pci:v00008086d0000E20Bsv*sd*bc*sc*i* driver=xe-vfio-pci path=kernel/drivers/vfio/pci/xe/xe-vfio-pci.ko
	EOF
	[ -f "$ROOT/lib/modules/6.1.0-28-amd64/kernel/drivers/vfio/pci/xe/xe-vfio-pci.ko" ]
	assert_equal "$(readlink "$ROOT/sys/module/xe_vfio_pci/drivers/pci:xe-vfio-pci")" \
		../../../bus/pci/drivers/xe-vfio-pci
	assert_equal "$(readlink "$ROOT/sys/bus/pci/drivers/xe-vfio-pci/module")" ../../../../module/xe_vfio_pci
	[ -f "$ROOT/sys/bus/pci/drivers/xe-vfio-pci/unbind" ]
	assert_equal "$(cat "$ROOT/sys/module/xe_vfio_pci/initstate")" live
}

@test "module: bad names, no alias, repeats and '# modules:' beside it are FILE:LINE errors" {
	run build_stdin <<-'EOF'
		# module: Bad-Name alias=vfio_pci:v*
		# module: a_vfio_pci driver=a
		# module: b_vfio_pci alias=vfio_pci:v* colour=blue
		# module: c_vfio_pci alias=vfio_pci:v* path=../x.ko
		# module: d_vfio_pci alias=vfio_pci:v*
		# module: d_vfio_pci alias=vfio_pci:v*
		# modules: kernel/x.ko
	EOF
	assert_failure 2
	assert_line --partial "t.host:1: 'Bad-Name' is not a module name"
	assert_line --partial "t.host:2: module a_vfio_pci: give at least one alias="
	assert_line --partial "t.host:3: 'colour=' is unknown or repeated"
	assert_line --partial "t.host:4: '../x.ko' is not a module path"
	assert_line --partial "t.host:6: module d_vfio_pci already described"
	assert_line --partial "t.host:7: '# modules:' and '# module:' cannot be combined"
	[ ! -e "$ROOT" ]
}

@test "file: appends its lines to a file under etc/, lib/, usr/ or run/, and refuses others" {
	build_stdin <<-'EOF'
		# file: etc/initramfs-tools/modules # a comment
		# file: etc/initramfs-tools/modules nouveau
	EOF
	assert_equal "$(cat "$ROOT/etc/initramfs-tools/modules")" $'# a comment\nnouveau'
	rm -rf "$ROOT"
	run build_stdin <<<'# file: proc/../../x y'
	assert_failure 2
	assert_output --partial "is not a path under etc/, lib/, usr/ or run/"
}

@test "mounts: /dev/hugepages at the default page size, then the given lines" {
	build_stdin <<-'EOF'
		# cmdline: ro default_hugepagesz=1G
		# mounts: none /mnt/huge hugetlbfs rw,relatime,pagesize=2M 0 0
	EOF
	run grep hugetlbfs "$ROOT/proc/mounts"
	assert_output - <<-'EOF'
		hugetlbfs /dev/hugepages hugetlbfs rw,nosuid,nodev,relatime,pagesize=1024M 0 0
		none /mnt/huge hugetlbfs rw,relatime,pagesize=2M 0 0
	EOF
}

@test "iommu_units: Intel's dmar0 has ecap bit 3 for ir, not for noir; AMD's ivhd0; none when off" {
	build_stdin <<<'# note: x'
	assert_equal "$(cat "$ROOT/sys/class/iommu/dmar0/intel-iommu/ecap")" f050da
	rm -rf "$ROOT"
	build_stdin <<<'# iommu_units: noir'
	assert_equal "$(cat "$ROOT/sys/class/iommu/dmar0/intel-iommu/ecap")" f050d2
	rm -rf "$ROOT"
	build_stdin <<<'# cpu_vendor: AuthenticAMD'
	[ -f "$ROOT/sys/class/iommu/ivhd0/amd-iommu/features" ]
	rm -rf "$ROOT"
	build_stdin <<<'# iommu: off'
	assert_equal "$(ls -A "$ROOT/sys/class/iommu")" ""
}

@test "bar1=SIZE gets a 64-bit address in resource and iomem; unset:SIZE a size and no address" {
	build_stdin <<-'EOF'
		0000:01:00.0 class=0300 id=10de:2b85 bar1=32G bar3=unset:64G
	EOF
	run cat "$ROOT/sys/bus/pci/devices/0000:01:00.0/resource"
	assert_regex "${lines[1]}" "^0x0000[0-9a-f]{12} 0x0000[0-9a-f]{12} 0x000000000014220c$"
	assert_equal "${lines[3]}" "0x0000000000000000 0x0000000fffffffff 0x000000002014220c"
	grep -q "$(printf '%x' "$(cut -d' ' -f1 <<<"${lines[1]}")")-.* : 0000:01:00.0" "$ROOT/proc/iomem"
	run build_stdin <<<'0000:02:00.0 class=0300 id=10de:2b85 bar2=3G'
	assert_failure 2
}

@test "rebar=N:CUR-MAX writes a Resizable BAR capability in a 4 KiB config space" {
	build_stdin <<<'0000:01:00.0 class=0300 id=10de:2b85 rebar=1:256M-32G'
	local cfg="$ROOT/sys/bus/pci/devices/0000:01:00.0/config"
	assert_equal "$(stat -c %s "$cfg")" 4096
	# header 0x15 version 1; sizes 256M..32G are bits 12..19; control: BAR 1, one BAR, size 8
	assert_equal "$(od -An -tx4 -j256 -N12 "$cfg" | tr -s ' ')" " 00010015 000ff000 00000821"
	assert_regex "$(sed -n 2p "$ROOT/sys/bus/pci/devices/0000:01:00.0/resource")" " 0x000000000014220c$"
	run build_stdin <<<'0000:02:00.0 class=0300 id=10de:2b85 rebar=1:64G-32G'
	assert_failure 2
}
