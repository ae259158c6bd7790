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
