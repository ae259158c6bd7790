#!/usr/bin/env bats
# `vfiohost import`: a host's hand-made VFIO settings (the seed guide's own and common forum
# recipes, tests/hosts/import-*.host) become a policy that validates and binds the same
# functions in `plan`; the settings it replaces are listed in the order to remove them, and
# what the policy cannot say is a warning (exit 1).

bats_require_minimum_version 1.5.0
load helpers

# import_on HOST: builds HOST, runs import; $output is the policy, $stderr the warnings.
import_on() {
	mkhost "$1"
	run --separate-stderr vh import
}

# bound: after import_on, the policy made is installed and plan's "BDF ACTION" lines for
# what it binds (bind or keep), in address order.
bound() {
	printf '%s\n' "$output" | policy
	run --separate-stderr vh validate
	assert_success
	run --separate-stderr vh plan --json
	jqr '.functions[] | select(.action == "bind" or .action == "keep") | .bdf'
}

# want BDF...: what the old setup bound, read off the host file by hand.
want() {
	assert_equal "$(bound)" "$(printf '%s\n' "$@")"
}

@test "seed guide: vfio-pci.ids= becomes one bind line per id and keeps the four RTX slots" {
	import_on seed-amd-5gpu
	assert_equal "$status" 1 # default_hugepagesz= is a warning
	assert_line "bind = 10de:2bb1                # /proc/cmdline"
	assert_line "bind = 10de:0000                # /proc/cmdline"
	want 0000:01:00.0 0000:01:00.1 0000:41:00.0 0000:41:00.1 0000:81:00.0 0000:81:00.1 \
		0000:c1:00.0 0000:c1:00.1
}

@test "seed guide: the output is the golden policy" {
	import_on seed-amd-5gpu
	diff -u "$TESTS_DIR/import/seed-amd-5gpu.conf" <(printf '%s\n' "$output")
}

@test "seed guide: hugepages=576 after default_hugepagesz=1G is 576 pages of 1 GiB" {
	import_on seed-amd-5gpu
	assert_line "size = 1G"
	assert_regex "$output" $'\npages = 576 '
	printf '%s\n' "$output" | policy
	run --separate-stderr vh plan --json
	assert_equal "$(jqr .hugepages.size_kib)" 1048576
}

@test "seed guide: default_hugepagesz= is kept, with a warning that names it" {
	import_on seed-amd-5gpu
	assert_regex "$stderr" "WARNING: /proc/cmdline: default_hugepagesz=1G: the policy does not set the default hugepage size"
	refute_regex "$(printf '%s\n' "$output" | sed -n '/^# Redundant/,/^$/p')" "default_hugepagesz"
}

@test "seed guide: removal order: policy, rebuild, reboot, status, then the command line" {
	import_on seed-amd-5gpu
	steps=$(printf '%s\n' "$output" | grep -E '^#   [0-9]\.' | awk '{print $2, $3, $4}')
	assert_equal "$steps" "$(printf '%s\n' '1. install this' '2. rebuild the' '3. reboot; vfiohost' \
		'4. drop from' '5. reboot; vfiohost')"
	assert_line "#       vfio-pci.ids=10de:0000,10de:204b,10de:22e8,10de:2bb1"
	assert_line "#       hugepagesz=1G"
	assert_line "#       modprobe.blacklist=nouveau,nvidia,nvidiafb,snd_hda_intel"
}

@test "modprobe.d recipe: options ids= and disable_vga=1 are taken, softdeps and initramfs vfio lines are redundant" {
	import_on import-modprobe
	assert_success
	assert_equal "$stderr" ""
	assert_line "options = disable_vga=1"
	assert_line "#       /etc/modprobe.d/vfio.conf:3: softdep nouveau pre: vfio-pci (the policy binds in the initramfs before any native driver loads)"
	assert_line --partial "#       /etc/initramfs-tools/modules:3: vfio_pci ("
	refute_regex "$output" "nvme|alsa-base|model=auto"
	want 0000:01:00.0 0000:01:00.1
}

@test "modprobe.d recipe: the files go before the command line, with a rebuild between" {
	import_on import-modprobe
	assert_line "#   4. remove these settings, then rebuild the initramfs again:"
	assert_line "#   5. reboot; vfiohost status must exit 0 again"
}

@test "driverctl recipe: vfio-pci overrides become function binds, another driver's is a warning" {
	import_on import-driverctl
	assert_equal "$status" 1
	assert_line "bind = 0000:01:00.0             # /etc/driverctl.d/pci-0000:01:00.0"
	assert_regex "$stderr" "pci-0000:03:00.0: an override to 'igbvf', not vfio-pci"
	refute_regex "$(printf '%s\n' "$output" | sed -n '/^# Redundant/,/^$/p')" "03:00.0"
	want 0000:01:00.0 0000:01:00.1
}

@test "command-line recipe: vfio_pci.* options, 2 MiB pages, and a blacklist kept for the module that is not a GPU's" {
	import_on import-cmdline-2m
	assert_equal "$status" 1
	assert_line "options = disable_idle_d3=1"
	assert_line "size = 2M"
	assert_line "#       modprobe.blacklist=nouveau,pcspkr: keep modprobe.blacklist=pcspkr"
	assert_regex "$stderr" "keeps pcspkr from loading"
	want 0000:01:00.0 0000:01:00.1
}

@test "Proxmox recipe: ids= in modprobe.d and in initramfs modules are one bind line; eight H100 bound" {
	import_on import-proxmox
	assert_success
	assert_equal "$(printf '%s\n' "$output" | grep -c '^bind = ')" 1
	assert_line "size = 1G"
	assert_equal "$(bound | wc -l)" 8
	assert_equal "$(bound >/dev/null; jqr '[.functions[] | select(.action == "bind") | .id] | unique | join(" ")')" "10de:2330"
}

@test "subsystem ids: a wildcard subsystem is a plain id, a real one is a warning and its line stays" {
	import_on import-subsys
	assert_equal "$status" 1
	assert_line "bind = 10de:2484                # /etc/modprobe.d/vfio.conf:1"
	assert_regex "$stderr" "'10de:228b:1458:403b' names subsystem ids"
	refute_line --partial "#       /etc/modprobe.d/vfio.conf:1:"
	want 0000:01:00.0
}

@test "hugepages= before any hugepagesz= is of the default size, 2 MiB" {
	import_on import-subsys
	assert_line "size = 2M"
	assert_regex "$output" $'\npages = 512 '
}

@test "a host with no hand-made settings: a policy that binds nothing, exit 0" {
	import_on desktop-1gpu
	assert_success
	assert_line "# (none found: this policy binds nothing)"
	refute_regex "$output" "bind =|hugepages|Redundant"
	assert_equal "$(bound)" ""
}

@test "import writes nothing under the root" {
	mkhost import-modprobe
	before=$(cd "$ROOT" && find . -newer "$ROOT/proc/cmdline" | sort)
	run vh import
	after=$(cd "$ROOT" && find . -newer "$ROOT/proc/cmdline" | sort)
	assert_equal "$after" "$before"
}
