#!/usr/bin/env bats
# The image build hooks ask the agent (`vfiohost validate`) about the policy: its owner and
# mode are the agent's rule, said once; a warning lets the build go on, an error stops it.

bats_require_minimum_version 1.5.0
load helpers

# dracut_validate CONF: the dracut module's vfiohost_validate, with dracut's log functions
# as plain lines ("I: ", "W: ", "F: ").
dracut_validate() {
	dinfo() { echo "I: $*"; }
	dwarn() { echo "W: $*"; }
	dfatal() { echo "F: $*"; }
	# shellcheck source=/dev/null
	. "$TESTS_DIR/../dracut-module/module-setup.sh"
	vfiohost_validate "$VFIOHOST" "$1"
}

@test "dracut: a policy others can write builds, with the agent's warning" {
	local conf="$BATS_TEST_TMPDIR/vfiohost.conf"
	printf '[vfio]\nbind = 10de:*\n' >"$conf"
	chown 65534 "$conf"
	chmod 0664 "$conf"
	run dracut_validate "$conf"
	assert_success
	assert_line "W: vfiohost: WARNING: $conf is owned by uid 65534, not root, and writable by its group (mode 0664): boot will refuse to apply it"
	assert_line --regexp "^I: vfiohost: $conf: valid "
}

@test "dracut: an invalid policy stops the build with the agent's FILE:LINE errors" {
	local conf="$BATS_TEST_TMPDIR/vfiohost.conf"
	printf '[vfio]\nbind = nonsense\n' >"$conf"
	chmod 0644 "$conf"
	run dracut_validate "$conf"
	assert_failure 1
	assert_line --regexp "^F: $conf:2: "
	assert_line --regexp "^F: vfiohost: $conf is not a valid policy \(validate exit 2\)"
	refute_line --partial "WARNING"
}

@test "the build hooks carry no owner or mode check of their own" {
	run grep -n 'stat ' "$TESTS_DIR/../dracut-module/module-setup.sh" \
		"$TESTS_DIR/../initramfs-tools/hooks/vfiohost"
	assert_failure 1
}

# ---------------------------------------------------------------- VFIO variant modules (issue 11)

# fake_agent: $AGENT runs the agent on the fake host $ROOT, as the hooks run it on a real
# one: the --config they pass names the policy inside the tree.
fake_agent() {
	AGENT="$BATS_TEST_TMPDIR/agent"
	cat >"$AGENT" <<-EOF2
		#!/bin/sh
		conf=\$2
		shift 2
		exec "$VFIOHOST" --root "$ROOT" --config "\${conf#"$ROOT"}" "\$@"
	EOF2
	chmod +x "$AGENT"
}

# gh200 [EXTRA POLICY LINES]: tests/hosts/gh200.host with a policy binding its GPUs and VF.
gh200() {
	mkhost gh200
	printf '[vfio]\nbind = 10de:* class=03\nbind = 15b3:101e\n%s' "${1:-}" | policy
	fake_agent
}

# dracut_installkernel: the dracut module's installkernel, instmods and dracut's log
# functions as plain lines.
dracut_installkernel() {
	instmods() { echo "instmods $*"; }
	dinfo() { echo "I: $*"; }
	dwarn() { echo "W: $*"; }
	# shellcheck source=/dev/null
	. "$TESTS_DIR/../dracut-module/module-setup.sh"
	VFIOHOST_BIN="$AGENT" VFIOHOST_CONF="$ROOT/etc/vfiohost.conf" installkernel
}

# initramfs_hook: the initramfs-tools hook, with a stand-in for hook-functions that says
# what it was asked to copy.
initramfs_hook() {
	local stub="$BATS_TEST_TMPDIR/hook-functions"
	cat >"$stub" <<-'EOF2'
		copy_exec() { echo "copy_exec $*"; }
		copy_file() { echo "copy_file $*"; }
		manual_add_modules() { echo "manual_add_modules $*"; }
	EOF2
	VFIOHOST_BIN="$AGENT" VFIOHOST_CONF="$ROOT/etc/vfiohost.conf" \
		VFIOHOST_HOOK="$TESTS_DIR/../hook/vfiohost-boot" VFIOHOST_HOOK_FUNCTIONS="$stub" \
		sh "$TESTS_DIR/../initramfs-tools/hooks/vfiohost"
}

@test "vfiohost plan --modules lists what the hooks add: the variants and vfio_pci" {
	gh200
	run "$AGENT" --config "$ROOT/etc/vfiohost.conf" plan --modules
	assert_success
	assert_output $'mlx5_vfio_pci\nnvgrace_gpu_vfio_pci\nvfio_pci'
}

@test "dracut: installkernel adds each variant module the plan chooses, with instmods" {
	gh200
	run dracut_installkernel
	assert_success
	assert_line "instmods mlx5_vfio_pci"
	assert_line "instmods nvgrace_gpu_vfio_pci"
	assert_line "I: vfiohost: adding the VFIO variant module nvgrace_gpu_vfio_pci and its dependencies"
	assert_line "instmods -c vfio vfio_pci vfio_iommu_type1"
	[ "$(grep -c '^instmods' <<<"$output")" = 4 ]
}

@test "initramfs-tools: the hook adds each variant module the plan chooses, with manual_add_modules" {
	gh200
	run initramfs_hook
	assert_success
	assert_line "manual_add_modules vfio vfio_pci vfio_iommu_type1 vfio_pci_core vfio_virqfd irqbypass"
	assert_line "manual_add_modules mlx5_vfio_pci"
	assert_line "manual_add_modules nvgrace_gpu_vfio_pci"
	[ "$(grep -c '^manual_add_modules' <<<"$output")" = 3 ]
}

@test "the hooks take the variants of the image's kernel, not the running one's (a kernel upgrade)" {
	gh200
	local rel other=6.12.0-99-amd64
	rel=$(cat "$ROOT/proc/sys/kernel/osrelease")
	mkdir -p "$ROOT/lib/modules/$other"
	grep -v nvgrace "$ROOT/lib/modules/$rel/modules.alias" >"$ROOT/lib/modules/$other/modules.alias"
	kernel=$other run dracut_installkernel
	assert_success
	assert_line "instmods mlx5_vfio_pci"
	refute_line "instmods nvgrace_gpu_vfio_pci"
	version=$other run initramfs_hook
	assert_success
	assert_line "manual_add_modules mlx5_vfio_pci"
	refute_line "manual_add_modules nvgrace_gpu_vfio_pci"
	# the running kernel's own image still gets both
	version=$rel run initramfs_hook
	assert_line "manual_add_modules nvgrace_gpu_vfio_pci"
}

@test "the hooks add no variant with driver = vfio-pci, or without a policy" {
	gh200 $'driver = vfio-pci\n'
	run dracut_installkernel
	assert_success
	[ "$(grep -c '^instmods' <<<"$output")" = 2 ]
	run initramfs_hook
	[ "$(grep -c '^manual_add_modules' <<<"$output")" = 1 ]
	rm "$ROOT/etc/vfiohost.conf"
	run dracut_installkernel
	[ "$(grep -c '^instmods' <<<"$output")" = 2 ]
	run initramfs_hook
	assert_success
	[ "$(grep -c '^manual_add_modules' <<<"$output")" = 1 ]
}

@test "the hooks pass nothing but module names on to instmods and manual_add_modules" {
	gh200
	AGENT="$BATS_TEST_TMPDIR/liar"
	printf '#!/bin/sh\n[ "$3" = plan ] || exit 0\nprintf "%%s\\n" "../../etc/shadow" "a b" "-x" "*" "ok_vfio_pci"\n' >"$AGENT"
	chmod +x "$AGENT"
	run dracut_installkernel
	assert_line "instmods ok_vfio_pci"
	refute_line "instmods -x" # an option, not a module
	refute_line --partial "shadow"
	refute_line "instmods a b"
	refute_line --regexp '^instmods \*$'
	run initramfs_hook
	assert_line "manual_add_modules ok_vfio_pci"
	refute_line --partial "shadow"
}
