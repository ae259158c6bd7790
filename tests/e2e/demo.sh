#!/bin/bash
# tests/e2e/demo.sh [AGENT]: the body of `make demo`. Builds (or reuses) the dracut and
# initramfs-tools images of the e2e tests, boots the demo VM without vfiohost
# (vfiohost=off) and with it from each image, and prints which driver holds each PCI
# function in each case, and where to read the story. AGENT defaults to build/vfiohost.
set -u
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

describe() { # describe BDF CLASS: what the function stands for in the demo VM
	case $1 in
	"$BOOT_VGA") echo "VGA, the boot display" ;;
	"$PAIR1_VGA") echo "GPU 1 (VGA)" ;;
	"$PAIR1_HDA") echo "GPU 1 HDMI audio" ;;
	"$PAIR2_VGA") echo "GPU 2 (VGA)" ;;
	"$PAIR2_HDA") echo "GPU 2 HDMI audio" ;;
	"$NIC_VGA") echo "GPU 3 (VGA), group with NIC" ;;
	"$NIC_NIC") echo "NIC in GPU 3's group" ;;
	"$SLOTNIC_VGA") echo "GPU 4 (VGA), slot with NIC" ;;
	"$SLOTNIC_NIC") echo "NIC in GPU 4's slot" ;;
	"$VARIANT_FN") echo "GPU 5, a VFIO variant's" ;;
	*)
		case $2 in
		0600*) echo "host bridge" ;;
		0601*) echo "ISA bridge" ;;
		0604*) echo "PCIe root port" ;;
		0106*) echo "SATA controller" ;;
		0c05*) echo "SMBus" ;;
		*) echo "class $2" ;;
		esac
		;;
	esac
}

# image GEN: reuse build/e2e/img/GEN.img when it was built from the same inputs.
image() {
	local g=$1 img=$OUT/img/$1.img stamp s=$SECONDS
	stamp=$(inputs_stamp)
	if [ -s "$img" ] && [ "$(cat "$OUT/img/$g.stamp" 2>/dev/null)" = "$stamp" ]; then
		log "reusing $img (same agent, policy and scripts)"
		return 0
	fi
	log "building $img ..."
	build_image "$g" "$POLICY" "$img" "$OUT/log/build-$g.log" ||
		{ log "the $g build failed: see $OUT/log/build-$g.log"; return 1; }
	echo "$stamp" >"$OUT/img/$g.stamp"
	log "built $img in $((SECONDS - s)) s"
}

boot() { # boot IMAGE NAME EXTRA
	local s=$SECONDS
	log "booting $2 ..."
	boot_vm "$1" "$2" "$3"
	report_ok "$2" || { log "$2 did not reach the report step: see $OUT/log/$2.console"; return 1; }
	log "$2 booted and reported in $((SECONDS - s)) s"
}

row() { printf '%-13s %-9s %-28s %-16s %-16s %-16s\n' "$@"; }

table() {
	local b id class
	row "PCI function" "id" "what" "without" "initramfs-tools" "dracut"
	row "" "" "" "(vfiohost=off)" "with vfiohost" "with vfiohost"
	for b in $(pci_bdfs demo-off); do
		id=$(pci demo-off "$b" id)
		class=$(pci demo-off "$b" class)
		row "$b" "$id" "$(describe "$b" "$class")" "$(pci demo-off "$b" driver)" \
			"$(pci demo-itools "$b" driver)" "$(pci demo-dracut "$b" driver)"
	done
	row "1 GiB pages" "" "reserved for guests" "$(hugepages demo-off 1048576)" \
		"$(hugepages demo-itools 1048576)" "$(hugepages demo-dracut 1048576)"
}

main() {
	local agent=${1:-$REPO/build/vfiohost} why start=$SECONDS
	# shellcheck disable=SC2119 # no extra tools: the demo needs no jq
	why=$(e2e_missing)
	[ -z "$why" ] || { log "$why"; return 1; }
	e2e_setup "$agent" || return 1
	POLICY=$OUT/tmp/policy.conf
	install -m 0644 -o 0 -g 0 "$GUEST/vfiohost.conf" "$POLICY"

	image itools && image dracut || return 1
	boot "$OUT/img/itools.img" demo-off "vfiohost=off" &&
		boot "$OUT/img/itools.img" demo-itools "" &&
		boot "$OUT/img/dracut.img" demo-dracut "" || return 1

	echo
	echo "The policy ($GUEST/vfiohost.conf):"
	grep -v '^#' "$GUEST/vfiohost.conf" | sed '/^$/d; s/^/    /'
	echo
	table
	echo
	echo "What vfiohost logged in the initramfs-tools boot (the kernel log, before udev):"
	vfiohost_lines demo-itools | sed 's/^/    /'
	echo
	echo "Where to look:"
	echo "    $OUT/log/demo-*.report   each boot's PCI state, /run/vfiohost/report.json, whole kernel log"
	echo "    $OUT/log/demo-*.console  each boot's serial console"
	echo "    on a real host:  dmesg | grep vfiohost;  journalctl -b -t vfiohost;"
	echo "                     /run/vfiohost/report.json;  vfiohost status"
	echo
	echo "demo took $((SECONDS - start)) s"
	verdict
}

# verdict: both GPU pairs on vfio-pci in both images, or one line saying where not.
verdict() {
	local b g d bad=""
	for g in demo-itools demo-dracut; do
		for b in "$PAIR1_VGA" "$PAIR1_HDA" "$PAIR2_VGA" "$PAIR2_HDA"; do
			d=$(pci "$g" "$b" driver)
			[ "$d" = vfio-pci ] || bad+=" ${g#demo-}:$b(${d:-none})"
		done
	done
	if [ -n "$bad" ]; then
		echo "demo: FAILED: GPU functions not on vfio-pci:$bad (see $OUT/log/demo-*.report)" >&2
		return 1
	fi
	echo "demo: both GPU pairs are on vfio-pci in the initramfs-tools and the dracut image"
}

main "$@"
