#!/usr/bin/env bats
# The agent's output does not depend on its environment (locale, HOME, PATH, LD_*).

load helpers

setup() {
	mkhost seed-amd-5gpu
	policy <<-'EOF2'
		[vfio]
		bind = 10de:* class=03
		[hugepages]
		pages = 50%
	EOF2
}

@test "plan and check give the same output under a hostile environment" {
	run vh plan --json
	local plan="$output"
	run vh check --json
	local check="$output"
	local ld=()
	# the loader of a dynamic (development) build rightly complains about LD_PRELOAD
	file "$VFIOHOST" | grep -q 'statically linked' && ld=(LD_PRELOAD=/nonexistent.so LD_LIBRARY_PATH=/nonexistent)
	run env -i LANG=tr_TR.UTF-8 LC_ALL=tr_TR.UTF-8 HOME=/nonexistent PATH=/nonexistent \
		"${ld[@]}" KMOD_LOG=debug "$VFIOHOST" --root "$ROOT" plan --json
	assert_output "$plan"
	run env -i LANG=tr_TR.UTF-8 HOME=/nonexistent PATH=/nonexistent "$VFIOHOST" --root "$ROOT" check --json
	assert_output "$check"
}

@test "the static agent needs no shared library" {
	run file "$VFIOHOST"
	[[ "$VFIOHOST" == */dev/* ]] && skip "the development build is dynamic (ASan)"
	assert_output --partial "statically linked"
}
