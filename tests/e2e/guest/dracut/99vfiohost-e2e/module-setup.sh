#!/bin/bash
# TEST ONLY (tests/e2e; never installed): print the state the e2e harness asserts on once
# udev has settled, then power off: a systemd unit where the image has systemd, an
# initqueue/settled hook of dracut's own init where it has not.
# shellcheck disable=SC2154 # moddir, initdir, kernel, systemdsystemunitdir, udevrulesdir are dracut's

# called by dracut
check() {
    return 255
}

# called by dracut
depends() {
    return 0
}

# The test VFIO variant driver (tests/e2e/kmod/vfiohost_e2e_vfio_pci.c), when it was
# built, as a real module of the image's kernel: modprobe and the agent find it through
# modules.alias ("vfio_pci:..."), which dracut's depmod on the image (dracut_kernel_post,
# after every module's installkernel) writes. instmods only finds modules under the
# host's /lib/modules, so inst_simple puts it in updates/; vfio_pci_core, which it needs,
# is never filtered by host-only (the host need not have it loaded).
# called by dracut
installkernel() {
    [ -f "${E2E_KMOD:-/nonexistent}/vfiohost_e2e_vfio_pci.ko" ] || return 0
    hostonly='' instmods vfio_pci_core || return 1
    inst_simple "$E2E_KMOD/vfiohost_e2e_vfio_pci.ko" \
        "/lib/modules/$kernel/updates/vfiohost_e2e_vfio_pci.ko"
}

# called by dracut
install() {
    inst_multiple cat readlink dmesg sleep sync udevadm
    inst_multiple -o poweroff
    inst_simple "${E2E_GUEST:?}/e2e-report" /usr/lib/vfiohost-e2e/e2e-report
    inst_simple "$E2E_GUEST/udev-mark" /usr/lib/vfiohost-e2e/udev-mark
    inst_simple "$E2E_GUEST/00-vfiohost-e2e.rules" "$udevrulesdir/00-vfiohost-e2e.rules"
    inst_simple "$E2E_GUEST/vfiohost-e2e-locker" /usr/lib/vfiohost-e2e/vfiohost-e2e-locker
    inst_multiple insmod
    # E2E_KMOD: the test modules built for this kernel (tests/e2e/run.sh), if any. The
    # locker is insmod'ed by path; the VFIO variant driver is a kernel module of the image
    # (installkernel above).
    for ko in "${E2E_KMOD:-/nonexistent}"/*.ko; do
        [ "${ko##*/}" = vfiohost_e2e_vfio_pci.ko ] && continue
        [ -f "$ko" ] && inst_simple "$ko" "/usr/lib/vfiohost-e2e/${ko##*/}"
    done
    inst_hook cmdline 01 "$moddir/vfiohost-e2e-cmdline.sh"
    if ! dracut_module_included systemd; then
        inst_hook initqueue/settled 99 "$moddir/vfiohost-e2e-settled.sh"
        return 0
    fi
    inst_simple "$moddir/vfiohost-e2e.service" "$systemdsystemunitdir/vfiohost-e2e.service"
    # Like a package shipping /usr/lib/modules-load.d/gpu.conf: systemd-modules-load loads
    # these native drivers early, in parallel with the pre-udev hook unless ordered.
    mkdir -p "$initdir/etc/modules-load.d"
    printf '%s\n' bochs snd_hda_intel >"$initdir/etc/modules-load.d/vfiohost-e2e.conf"
    mkdir -p "$initdir$systemdsystemunitdir/sysinit.target.wants"
    ln_r "$systemdsystemunitdir/vfiohost-e2e.service" \
        "$systemdsystemunitdir/sysinit.target.wants/vfiohost-e2e.service"
}
