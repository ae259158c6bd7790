#!/usr/bin/env bats
# hook/vfiohost-boot and the scripts that run in the initramfs, without a VM: the hook
# always returns 0, prints one console line only when the agent reports a problem, and
# runs under busybox ash and dash. The boots themselves are tests/e2e/run.sh.

REPO="$(cd "$BATS_TEST_DIRNAME/../.." && pwd)"
HOOK="$REPO/hook/vfiohost-boot"

setup() {
	T="$BATS_TEST_TMPDIR"
	export VFIOHOST_RUN="$T/run/vfiohost" VFIOHOST_CONSOLE="$T/console"
	: >"$VFIOHOST_CONSOLE"
}

# fake_agent STATUS: an agent that records its arguments and exits STATUS.
fake_agent() {
	printf '#!/bin/sh\necho "$*" >"%s/args"\nexit %s\n' "$T" "$1" >"$T/vfiohost"
	chmod +x "$T/vfiohost"
	export VFIOHOST_BIN="$T/vfiohost"
}

run_hook() { # run_hook SHELL
	run "$1" "$HOOK"
}

@test "hook: runs 'vfiohost boot', makes /run/vfiohost, prints nothing when all is well" {
	fake_agent 0
	run_hook sh
	[ "$status" -eq 0 ]
	[ "$(cat "$T/args")" = boot ]
	[ -d "$VFIOHOST_RUN" ]
	[ ! -s "$VFIOHOST_CONSOLE" ]
	[ -z "$output" ]
}

@test "hook: exit 1 from the agent gives one console line and status 0" {
	fake_agent 1
	run_hook sh
	[ "$status" -eq 0 ]
	[ "$(wc -l <"$VFIOHOST_CONSOLE")" -eq 1 ]
	grep -q '^vfiohost: finished with warnings or failures (exit 1)' "$VFIOHOST_CONSOLE"
}

@test "hook: an invalid policy (exit 2) gives one console line and status 0" {
	fake_agent 2
	run_hook sh
	[ "$status" -eq 0 ]
	[ "$(wc -l <"$VFIOHOST_CONSOLE")" -eq 1 ]
	grep -q '^vfiohost: policy invalid, nothing applied (exit 2)' "$VFIOHOST_CONSOLE"
}

@test "hook: an agent killed by a signal gives one console line and status 0" {
	fake_agent 139
	run_hook sh
	[ "$status" -eq 0 ]
	grep -q '^vfiohost: agent failed (exit 139)' "$VFIOHOST_CONSOLE"
}

@test "hook: a missing agent gives one console line and status 0" {
	export VFIOHOST_BIN="$T/nowhere/vfiohost"
	run_hook sh
	[ "$status" -eq 0 ]
	[ "$(wc -l <"$VFIOHOST_CONSOLE")" -eq 1 ]
	grep -q "is missing from the initramfs" "$VFIOHOST_CONSOLE"
}

@test "hook: without a writable console the line goes to stderr" {
	fake_agent 1
	export VFIOHOST_CONSOLE="$T/no/console"
	run_hook sh
	[ "$status" -eq 0 ]
	[ "$output" = "vfiohost: finished with warnings or failures (exit 1); see 'dmesg | grep vfiohost' and $VFIOHOST_RUN/report.json" ]
}

@test "hook: runs the same under busybox ash and dash" {
	for sh in "busybox sh" dash; do
		fake_agent 2
		: >"$VFIOHOST_CONSOLE"
		run $sh "$HOOK"
		[ "$status" -eq 0 ]
		[ "$(wc -l <"$VFIOHOST_CONSOLE")" -eq 1 ]
	done
}

@test "initramfs scripts: sh -n and shellcheck clean" {
	for f in "$HOOK" "$REPO/dracut-module/vfiohost-pre-udev.sh" \
		"$REPO/initramfs-tools/hooks/vfiohost" "$REPO/initramfs-tools/scripts/init-top/00-vfiohost" \
		"$REPO/tests/e2e/guest/e2e-report" "$REPO/tests/e2e/guest/udev-mark"; do
		sh -n "$f"
		busybox sh -n "$f"
		shellcheck -x "$f"
	done
	shellcheck -s bash "$REPO/dracut-module/module-setup.sh"
}

@test "init-top: the script answers prereqs with nothing, as the order needs" {
	run sh "$REPO/initramfs-tools/scripts/init-top/00-vfiohost" prereqs
	[ "$status" -eq 0 ]
	[ -z "$output" ]
}

@test "init-top: tsort puts 00-vfiohost before udev, even when udev gains a PREREQ" {
	# the pairs hook-functions' get_prereq_pairs feeds to tsort
	run tsort <<-EOF
		00-vfiohost 00-vfiohost
		all_generic_ide all_generic_ide
		blacklist blacklist
		keymap keymap
		udev udev
		zz-late zz-late
		udev zz-late
	EOF
	[ "$(printf '%s\n' "$output" | grep -n -x -e 00-vfiohost -e udev | cut -d: -f2 | tr '\n' ' ')" = "00-vfiohost udev " ]
	run tsort <<-EOF
		00-vfiohost 00-vfiohost
		blacklist blacklist
		udev udev
		blacklist udev
	EOF
	[ "$(printf '%s\n' "$output" | head -n 1)" = 00-vfiohost ]
}
