# shellcheck shell=bash
# tests/e2e/lib.sh: builds the test initramfs images with private configuration folders
# (the machine's /etc and /boot are only read) and boots them in QEMU. Sourced by run.sh
# and demo.sh; bash.

E2E_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$E2E_DIR/../.." && pwd)
OUT=${E2E_OUT:-$REPO/build/e2e}
# The newest Debian kernel installed (linux-image-amd64), whatever its ABI number today.
newest_kernel() {
	local k best=
	for k in /boot/vmlinuz-*-amd64; do
		[ -e "$k" ] && [ -d "/lib/modules/${k#/boot/vmlinuz-}" ] && best+="${k#/boot/vmlinuz-}"$'\n'
	done
	printf '%s' "$best" | sort -V | tail -n 1
}
KVER=${E2E_KVER:-$(newest_kernel)}
KERNEL=${E2E_KERNEL:-/boot/vmlinuz-$KVER}
GUEST=$E2E_DIR/guest
BOOT_TIMEOUT=${E2E_BOOT_TIMEOUT:-240}
QEMU_LOCK=${E2E_QEMU_LOCK:-/tmp/vfiohost-e2e-qemu.lock}

# The PCI functions of the test VM (fixed by the -device lines of boot_vm):
# - the boot display on the root bus;
# - two "GPUs with HDMI audio": a std VGA and an ich9-intel-hda in one multifunction slot
#   behind their own root port (one IOMMU group each);
# - a VGA whose IOMMU group also holds an e1000e NIC: two root ports without ACS in one
#   multifunction slot, the VGA below one and the NIC below the other. The NIC is in the
#   group but not in the VGA's slot, so no companion rule can take it: the isolation rule
#   must refuse the group;
# - a VGA with an e1000e NIC as function 1 of its own multifunction slot, behind its own
#   root port (one IOMMU group). vfiohost takes only display, audio, USB and serial-bus
#   functions as companions (README, "One deliberate narrowing of the contract"), so the
#   NIC stays unselected and the isolation rule refuses the group here too;
# - the stand-in for a GPU with a VFIO variant driver: a pci-testdev (1b36:0005, which no
#   kernel driver claims) behind its own root port (one IOMMU group). The test variant
#   driver tests/e2e/kmod/vfiohost_e2e_vfio_pci.c (driver e2e-vfio-pci) is for it alone;
#   the other bound functions stay on vfio-pci.
# shellcheck disable=SC2034 # used by run.sh and demo.sh
BOOT_VGA=0000:00:01.0
# shellcheck disable=SC2034
PAIR1_VGA=0000:01:00.0 PAIR1_HDA=0000:01:00.1
# shellcheck disable=SC2034
PAIR2_VGA=0000:02:00.0 PAIR2_HDA=0000:02:00.1
# shellcheck disable=SC2034
NIC_VGA=0000:03:00.0 NIC_NIC=0000:04:00.0
# shellcheck disable=SC2034
SLOTNIC_VGA=0000:05:00.0 SLOTNIC_NIC=0000:05:00.1
# shellcheck disable=SC2034
VARIANT_FN=0000:06:00.0

# MANY_DEVICES: the extra QEMU arguments of the many-functions boot (the rate limit of
# /dev/kmsg, issue 3): eight pci-testdev functions (1b36:0005, class 00ff) in each of the
# root-bus slots MANY_SLOTS. No kernel driver claims a pci-testdev and it is no bridge (no
# bus number, no I/O window), so they cost the TCG boot next to nothing; with the 20
# functions of the main VM that makes 52.
MANY_SLOTS=(2 3 4 5)
MANY_DEVICES=()
for _s in "${MANY_SLOTS[@]}"; do
	MANY_DEVICES+=(-device "pci-testdev,id=td$_s.0,bus=pcie.0,addr=0x$_s.0x0,multifunction=on")
	for _f in 1 2 3 4 5 6 7; do
		MANY_DEVICES+=(-device "pci-testdev,id=td$_s.$_f,bus=pcie.0,addr=0x$_s.0x$_f")
	done
done
unset _s _f

log() { echo "e2e: $*" >&2; }

# e2e_setup AGENT: output folders, and a snapshot of the agent in $AGENT so that a
# rebuild of build/vfiohost during the run cannot mix two agents.
e2e_setup() {
	if [ ! -f "$1" ] || [ ! -x "$1" ]; then
		log "agent $1 is not an executable file"
		return 1
	fi
	mkdir -p "$OUT/img" "$OUT/log" "$OUT/tmp" "$OUT/bin"
	install -m 0755 "$1" "$OUT/bin/vfiohost" || return 1
	AGENT=$OUT/bin/vfiohost
}

# e2e_missing [TOOL...]: why the boots cannot run on this machine (empty when they can).
e2e_missing() {
	local why="" t
	for t in qemu-system-x86_64 mkinitramfs unmkinitramfs lsinitramfs dracut cpio zstd flock \
		timeout truncate "$@"; do
		command -v "$t" >/dev/null || why+=" $t"
	done
	[ -r "$KERNEL" ] || why+=" $KERNEL"
	[ -d "/lib/modules/$KVER" ] || why+=" /lib/modules/$KVER"
	[ -n "$why" ] && echo "missing:$why (tests/deps.sh e2e)"
}

# build_kmods: the test modules of tests/e2e/kmod built against this kernel's headers,
# in $OUT/kmod/$KVER; sets E2E_KMOD to that folder, or says why not (and leaves it empty).
build_kmods() {
	local src=$E2E_DIR/kmod dir=$OUT/kmod/$KVER logf=$OUT/log/build-kmod.log
	E2E_KMOD=
	if [ ! -d "/lib/modules/$KVER/build" ]; then
		log "no kernel headers for $KVER (/lib/modules/$KVER/build; linux-headers-amd64)"
		return 1
	fi
	rm -rf "$dir" && mkdir -p "$dir" && cp "$src"/Kbuild "$src"/*.c "$dir"/ || return 1
	if ! make -C "/lib/modules/$KVER/build" M="$dir" modules >"$logf" 2>&1; then
		log "the test modules do not build against $KVER: see $logf"
		return 1
	fi
	E2E_KMOD=$dir
}

# inputs_stamp: a digest of everything an image is built from; demo.sh reuses images
# whose stamp matches.
inputs_stamp() {
	{
		sha256sum "$AGENT" "$GUEST/vfiohost.conf" "$REPO/hook/vfiohost-boot" \
			"$REPO"/dracut-module/* "$REPO"/initramfs-tools/hooks/* \
			"$REPO"/initramfs-tools/scripts/init-top/* "$E2E_DIR/lib.sh" \
			"$GUEST"/e2e-report "$GUEST"/udev-mark "$GUEST"/*.rules \
			"$GUEST"/dracut/*/* "$GUEST"/initramfs-tools/*/* "$GUEST"/initramfs-tools/*/*/* \
			"$GUEST"/vfiohost-e2e-locker "$E2E_DIR"/kmod/* \
			"$KERNEL" 2>/dev/null | awk '{print $1}'
		dpkg-query -W -f='${Version}\n' initramfs-tools-core dracut-core 2>/dev/null
	} | sha256sum | awk '{print $1}'
}

# with_extra_cpio IMAGE OUTPUT FILE DEST: IMAGE followed by a small uncompressed cpio
# archive holding FILE at DEST; the kernel unpacks concatenated archives in order, so
# DEST replaces the image's own copy. This is how the test smuggles in a policy the
# build hooks would refuse.
with_extra_cpio() {
	local img=$1 out=$2 file=$3 dest=$4 dir
	dir=$(mktemp -d "$OUT/tmp/cpio.XXXXXX") || return 1
	mkdir -p "$dir/$(dirname "$dest")"
	install -m 0644 "$file" "$dir/$dest"
	# The kernel only looks for a cpio header at a 4-byte aligned offset, and skips the
	# zeros in between: pad the image to a multiple of 512 bytes first.
	cp "$img" "$out" &&
		truncate -s %512 "$out" &&
		(cd "$dir" && find . -mindepth 1 | sed 's|^\./||' | LC_ALL=C sort |
			cpio --quiet -o -H newc -R 0:0) >>"$out"
	local rc=$?
	rm -rf "$dir"
	return "$rc"
}

# build_itools POLICY IMAGE LOG: an initramfs-tools image from a private CONFDIR holding
# the product hook and init-top script (as `make install` puts them in /usr/share) and
# the test-only hook and report script.
build_itools() {
	local policy=$1 img=$2 logf=$3 conf=$OUT/conf/initramfs-tools
	rm -rf "$conf"
	mkdir -p "$conf/hooks" "$conf/scripts/init-top" "$conf/conf.d"
	cat >"$conf/initramfs.conf" <<-'EOF'
		MODULES=most
		BUSYBOX=y
		KEYMAP=n
		COMPRESS=zstd
		RUNSIZE=10%
		FSTYPE=auto
	EOF
	# Native drivers forced as an admin would in /etc/initramfs-tools/modules: init loads
	# them after init-top, so after vfiohost (and udev) whatever the script order.
	printf '%s\n' bochs snd_hda_intel e1000e >"$conf/modules"
	install -m 0755 "$REPO/initramfs-tools/hooks/vfiohost" "$conf/hooks/vfiohost"
	# E2E_INIT_TOP_NAME: mutants.sh installs the script under another name.
	install -m 0755 "$REPO/initramfs-tools/scripts/init-top/00-vfiohost" \
		"$conf/scripts/init-top/${E2E_INIT_TOP_NAME:-00-vfiohost}"
	install -m 0755 "$GUEST/initramfs-tools/hooks/vfiohost-e2e" "$conf/hooks/"
	install -m 0755 "$GUEST/initramfs-tools/scripts/init-top/zz-vfiohost-e2e" \
		"$GUEST/initramfs-tools/scripts/init-top/00-e2e-locker" \
		"$GUEST/initramfs-tools/scripts/init-top/00-e2e-pfnmap" "$conf/scripts/init-top/"
	VFIOHOST_BIN=$AGENT VFIOHOST_CONF=$policy VFIOHOST_HOOK=$REPO/hook/vfiohost-boot \
		E2E_GUEST=$GUEST E2E_KMOD=${E2E_KMOD:-} E2E_PFNMAP=${E2E_PFNMAP:-} TMPDIR=$OUT/tmp \
		mkinitramfs -d "$conf" -o "$img" "$KVER" >"$logf" 2>&1
}

# dracut_mode_args MODE: dracut's options for one of the three ways dracut is run:
# systemd (systemd in the image, dracut's default where the host has systemd), nosystemd
# (dracut's own shell init) and hostonly (Fedora's and RHEL's default: only the modules
# the running host uses, unless a module forces its own).
dracut_mode_args() {
	case $1 in
	systemd) echo --no-hostonly ;;
	nosystemd) echo --no-hostonly --omit "'systemd systemd-initrd dracut-systemd'" ;;
	hostonly) echo --hostonly ;;
	*) log "unknown dracut mode '$1' (systemd, nosystemd, hostonly)"; return 1 ;;
	esac
}

# build_dracut POLICY IMAGE LOG [MODE]: a dracut image from a private copy of
# /usr/lib/dracut (dracut has no option for an extra module folder) holding 90vfiohost
# and the test-only 99vfiohost-e2e, with private --conf/--confdir, in MODE (default
# systemd, see dracut_mode_args). The native drivers are added (udev would load them)
# and, under systemd, 99vfiohost-e2e also lists bochs and snd_hda_intel in
# modules-load.d (systemd-modules-load loads them at once).
build_dracut() {
	local policy=$1 img=$2 logf=$3 mode=${4:-systemd} base=$OUT/dracut-base conf=$OUT/conf/dracut
	local -a margs
	eval "margs=($(dracut_mode_args "$mode"))" || return 1
	rm -rf "$base" "$conf"
	mkdir -p "$conf/conf.d"
	cp -a /usr/lib/dracut "$base"
	mkdir -p "$base/modules.d/90vfiohost"
	install -m 0755 "$REPO"/dracut-module/*.sh "$base/modules.d/90vfiohost/"
	install -m 0644 "$REPO"/dracut-module/*.conf "$base/modules.d/90vfiohost/"
	cp -a "$GUEST/dracut/99vfiohost-e2e" "$base/modules.d/"
	: >"$conf/dracut.conf"
	VFIOHOST_BIN=$AGENT VFIOHOST_CONF=$policy VFIOHOST_HOOK=$REPO/hook/vfiohost-boot \
		E2E_GUEST=$GUEST E2E_KMOD=${E2E_KMOD:-} dracutbasedir=$base \
		dracut --force "${margs[@]}" --conf "$conf/dracut.conf" --confdir "$conf/conf.d" \
		--tmpdir "$OUT/tmp" --add "vfiohost vfiohost-e2e" \
		--add-drivers "bochs snd_hda_intel e1000e" --zstd \
		--kver "$KVER" "$img" >"$logf" 2>&1
}

# build_image NAME POLICY IMAGE LOG: NAME is itools, dracut (systemd in the image),
# dracut-nosystemd or dracut-hostonly.
build_image() {
	case $1 in
	itools) build_itools "$2" "$3" "$4" ;;
	dracut) build_dracut "$2" "$3" "$4" systemd ;;
	dracut-*) build_dracut "$2" "$3" "$4" "${1#dracut-}" ;;
	*) log "unknown image '$1'"; return 1 ;;
	esac
}

# boot_vm IMAGE NAME EXTRA_CMDLINE [QEMU_ARG...]: boot once; the console goes to
# log/NAME.console, the guest's report (second serial port) to log/NAME.report. Fails on
# timeout. QEMU_ARGs (more devices) come after the VM's own.
boot_vm() {
	local img=$1 name=$2 extra=$3 rc
	shift 3
	local cmdline="console=ttyS0 intel_iommu=on dyndbg=\"file drivers/base/dd.c +p\""
	cmdline+=" log_buf_len=4M systemd.log_target=kmsg root=/dev/disk/by-label/vfiohost-e2e-none"
	# init_on_alloc=0: Debian's kernels zero every page they allocate, and under TCG a 1 GiB
	# page then took 6 to 27 s with the only vCPU held, as the host's load varied; 1 s a page
	# without it (measured in a busybox initramfs); no deadline of the agent's can cut it short.
	# no_timer_check: a loaded TCG host can make the kernel's IO-APIC timer check fail and
	# panic at 0.07 s ("timer doesn't work"), as KVM guests are told to skip it.
	cmdline+=" init_on_alloc=0 no_timer_check rd.shell=0 panic=-1 $extra"
	rm -f "$OUT/log/$name.console" "$OUT/log/$name.report"
	(
		flock 9
		timeout --kill-after=10 "$BOOT_TIMEOUT" qemu-system-x86_64 \
			-M q35,kernel-irqchip=split -accel tcg -cpu max -m "${E2E_MEM:-6G}" -smp "${E2E_SMP:-1}" \
			-nodefaults -display none -no-reboot \
			-serial "file:$OUT/log/$name.console" -serial "file:$OUT/log/$name.report" \
			-device intel-iommu,intremap=on \
			-device VGA,id=bootvga,bus=pcie.0,addr=0x1 \
			-device pcie-root-port,id=rp1,bus=pcie.0,chassis=1,addr=0x10 \
			-device VGA,id=gpu1,bus=rp1,addr=0x0.0x0,multifunction=on \
			-device ich9-intel-hda,id=hda1,bus=rp1,addr=0x0.0x1 \
			-device pcie-root-port,id=rp2,bus=pcie.0,chassis=2,addr=0x11 \
			-device VGA,id=gpu2,bus=rp2,addr=0x0.0x0,multifunction=on \
			-device ich9-intel-hda,id=hda2,bus=rp2,addr=0x0.0x1 \
			-device pcie-root-port,id=rp3,bus=pcie.0,chassis=3,addr=0x12.0x0,multifunction=on,disable-acs=on \
			-device pcie-root-port,id=rp4,bus=pcie.0,chassis=4,addr=0x12.0x1,disable-acs=on \
			-device VGA,id=gpu3,bus=rp3,addr=0x0 \
			-device e1000e,id=nic4,bus=rp4,addr=0x0,netdev=nonet \
			-netdev user,id=nonet,restrict=on \
			-device pcie-root-port,id=rp5,bus=pcie.0,chassis=5,addr=0x13 \
			-device VGA,id=gpu5,bus=rp5,addr=0x0.0x0,multifunction=on \
			-device e1000e,id=nic5,bus=rp5,addr=0x0.0x1,netdev=nonet5 \
			-netdev user,id=nonet5,restrict=on \
			-device pcie-root-port,id=rp6,bus=pcie.0,chassis=6,addr=0x14 \
			-device pci-testdev,id=var6,bus=rp6,addr=0x0 \
			"$@" \
			-kernel "$KERNEL" -initrd "$img" -append "$cmdline"
	) 9>"$QEMU_LOCK" 2>"$OUT/log/$name.qemu"
	rc=$?
	((rc == 124 || rc == 137)) && log "$name: boot timed out after ${BOOT_TIMEOUT}s"
	return "$rc"
}

# --- reading a guest report (log/NAME.report) ---------------------------------------

# rep NAME: the guest report without the serial line's carriage returns.
rep() { tr -d '\r' <"$OUT/log/$1.report" 2>/dev/null; }

# report_ok NAME: the guest got as far as the report step and wrote all of it.
report_ok() {
	rep "$1" | grep -q '^=== VFIOHOST-E2E BEGIN ===' &&
		rep "$1" | grep -q '^=== VFIOHOST-E2E END ==='
}

# pci NAME BDF FIELD: a field (id, class, driver, override, group, boot_vga) of a function.
pci() {
	rep "$1" | awk -v bdf="$2" -v f="$3" '$1 == "pci" && $2 == bdf {
		for (i = 3; i <= NF; i++) if (index($i, f "=") == 1) { print substr($i, length(f) + 2); exit }
	}'
}

# pci_bdfs NAME: every PCI function the guest listed.
pci_bdfs() { rep "$1" | awk '$1 == "pci" { print $2 }'; }

# hugepages NAME SIZE_KB: nr_hugepages of that size in the guest.
hugepages() {
	rep "$1" | awk -v s="hugepages $2kB" 'index($0, s " ") == 1 { sub(/.*nr=/, ""); sub(/ .*/, ""); print }'
}

# section NAME TITLE: the lines of one "--- TITLE" section.
section() {
	rep "$1" | awk -v t="--- $2" '$0 == t { on = 1; next } /^--- / || /^=== VFIOHOST-E2E END/ { on = 0 } on'
}

# report_json NAME: /run/vfiohost/report.json as the guest printed it.
report_json() { section "$1" report.json; }

# kmsg NAME: the guest's kernel log.
kmsg() { section "$1" kmsg; }

# vfiohost_lines NAME: the agent's own lines of the kernel log.
vfiohost_lines() { kmsg "$1" | grep -E '\] vfiohost\[[0-9]+\]: '; }

# probes NAME BDF: every driver the kernel probed BDF with, one a line. 6.1 logs
# "bus: 'pci': really_probe: probing driver D with device BDF", 6.12 (dev_dbg) puts the
# device first: "pci BDF: bus: 'pci': really_probe: probing driver D with device".
probes() {
	kmsg "$1" | sed -n -e "s/.*really_probe: probing driver \\(.*\\) with device $2\$/\\1/p" \
		-e "s/.* $2: bus: '[a-z]*': really_probe: probing driver \\(.*\\) with device\$/\\1/p"
}

# first_probe NAME BDF: the driver of the first probe the kernel logged for BDF.
first_probe() { probes "$1" "$2" | head -n 1; }

# ts LINE...: the timestamp of a kernel log line, in seconds.
ts() { sed -n 's/^\[ *\([0-9.]*\)\].*/\1/p' | head -n 1; }

# --- the real root (the hugepage top-up after the switch root) ----------------------

# make_root_disk DISK: an ext4 image DISK of a fresh Debian root of the host's release
# (mmdebstrap, as tests/debroot.bash makes them) with systemd, vfiohost installed by
# `make install` with its top-up unit enabled as the package enables it, a libvirtd
# stand-in, and the report step of the real root. Log: log/root-disk.log.
make_root_disk() {
	local disk=$1 dir rc=0 wants
	LOGS=$OUT/log
	# shellcheck source=tests/debroot.bash
	. "$REPO/tests/debroot.bash"
	make_root e2e systemd-sysv,udev,kmod >>"$OUT/log/root-disk.log" 2>&1 || return 1
	dir=$root
	rm -f "$dir/usr/sbin/policy-rc.d"
	{
		make -s -C "$REPO" install DESTDIR="$dir" PREFIX=/usr \
			SYSTEMDUNITDIR=/usr/lib/systemd/system &&
			install -m 0755 "$AGENT" "$dir/usr/sbin/vfiohost" &&
			install -m 0644 "$GUEST/vfiohost.conf" "$dir/etc/vfiohost.conf" &&
			install -D -m 0755 "$GUEST/root/e2e-root-report" \
				"$dir/usr/lib/vfiohost-e2e/e2e-root-report" &&
			install -m 0644 "$GUEST/root/libvirtd.service" \
				"$GUEST/root/e2e-root-report.service" "$dir/etc/systemd/system/"
	} >>"$OUT/log/root-disk.log" 2>&1 || rc=1
	wants=$dir/etc/systemd/system/multi-user.target.wants
	mkdir -p "$wants"
	ln -sf /usr/lib/systemd/system/vfiohost-topup.service "$wants/"
	ln -sf /etc/systemd/system/libvirtd.service /etc/systemd/system/e2e-root-report.service \
		"$wants/"
	echo vfiohost-e2e >"$dir/etc/hostname"
	rm -f "$disk"
	((rc == 0)) && mke2fs -q -t ext4 -L vfiohost-e2e-root -d "$dir" "$disk" 2G \
		>>"$OUT/log/root-disk.log" 2>&1 || rc=1
	debroot_cleanup
	root=""
	return "$rc"
}
