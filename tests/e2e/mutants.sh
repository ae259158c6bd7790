#!/bin/bash
# tests/e2e/mutants.sh [AGENT]: shows that the boot tests can fail. Each mutant breaks
# one thing on purpose in an initramfs-tools image, boots it, and expects the run.sh
# assertion that guards that thing to FAIL. TAP on stdout; not part of `make test`
# (three more builds and boots, about 2-3 minutes).
#   after-udev     the init-top script is named "vfiohost", which tsort puts after udev
#   no-companions  the policy says companions = no: the HDMI audio is left behind
#   isolation-warn the policy says isolation = warn: the NIC groups are taken
set -u
# shellcheck source=tests/e2e/run.sh
E2E_LIB_ONLY=1 . "$(dirname "${BASH_SOURCE[0]}")/run.sh"

# expect_fail NAME CHECK ARGS...: ok when the check fails on the mutant.
expect_fail() {
	local name=$1
	shift
	if "$@" 2> >(sed 's/^/#   caught: /' >&2); then
		tap not-ok "$name (the check passed: the mutant went unnoticed)"
	else
		tap ok "$name"
	fi
}

mutant() { # mutant NAME POLICY: build and boot one initramfs-tools mutant
	local img=$OUT/img/mutant-$1.img
	build_itools "$2" "$img" "$OUT/log/build-mutant-$1.log" ||
		{ log "mutant $1: build failed"; return 1; }
	boot_vm "$img" "mutant-$1" "" && report_ok "mutant-$1"
}

main() {
	local agent=${1:-$REPO/build/vfiohost} why p=$OUT/tmp
	echo "1..6"
	why=$(e2e_missing jq)
	[ -z "$why" ] || { log "$why"; return 1; }
	e2e_setup "$agent" || return 1
	install -m 0644 -o 0 -g 0 "$GUEST/vfiohost.conf" "$p/policy.conf"
	sed 's/^companions = yes/companions = no/' "$GUEST/vfiohost.conf" >"$p/no-companions.conf"
	sed 's/^companions = yes/&\nisolation = warn/' "$GUEST/vfiohost.conf" >"$p/isolation-warn.conf"
	chmod 0644 "$p"/*.conf

	E2E_INIT_TOP_NAME=vfiohost mutant after-udev "$p/policy.conf"
	E2E_INIT_TOP_NAME=vfiohost expect_fail "after-udev: the ORDER check fails" \
		t_order "$OUT/img/mutant-after-udev.img"
	expect_fail "after-udev: the native-driver-first check fails" t_no_native_first mutant-after-udev
	expect_fail "after-udev: the before-udev timestamp check fails" t_before_udev mutant-after-udev

	mutant no-companions "$p/no-companions.conf"
	expect_fail "no-companions: the pairs-on-vfio-pci check fails" t_pairs_on_vfio mutant-no-companions

	mutant isolation-warn "$p/isolation-warn.conf"
	expect_fail "isolation-warn: the NIC-group-refused check fails" t_nic_refused mutant-isolation-warn
	expect_fail "isolation-warn: the NIC-in-the-slot-refused check fails" t_slotnic_refused mutant-isolation-warn
	rm -f "$OUT"/img/mutant-*.img
	((failed == 0))
}

main "$@"
