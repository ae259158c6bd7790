#!/bin/bash
# dracut module 90vfiohost: puts the vfiohost agent, its policy and the vfio modules in
# the initramfs and runs the agent at pre-udev, before udev can hand a GPU to its
# native driver. An invalid policy fails the build; a missing one builds an image
# that does nothing. VFIOHOST_BIN, VFIOHOST_CONF and VFIOHOST_HOOK override the host
# paths (tests); inside the image the paths are always the installed ones.
# shellcheck disable=SC2154 # moddir and hostonly are dracut's

# Where the host has the agent and the boot hook: `make install` rewrites this line for a
# PREFIX other than /usr.
vfiohost_prefix=/usr

vfiohost_bin() { echo "${VFIOHOST_BIN:-$vfiohost_prefix/sbin/vfiohost}"; }
vfiohost_conf() { echo "${VFIOHOST_CONF:-/etc/vfiohost.conf}"; }
vfiohost_hook() { echo "${VFIOHOST_HOOK:-$vfiohost_prefix/lib/vfiohost/vfiohost-boot}"; }

# called by dracut
check() {
    require_binaries "$(vfiohost_bin)" || return 1
    # A host-only image carries the module only where there is a policy to apply.
    if [[ $hostonly ]] && [[ ! -s $(vfiohost_conf) ]]; then
        return 255
    fi
    return 0
}

# called by dracut
depends() {
    return 0
}

# called by dracut
installkernel() {
    # The host need not have vfio loaded now, so never filter these by host-only.
    hostonly='' instmods -c vfio vfio_pci vfio_iommu_type1 || return 1
    hostonly='' instmods vfio_pci_core vfio_virqfd irqbypass
}

# Warn, without failing, about a policy that someone other than root could change:
# it decides which devices the host loses at boot.
vfiohost_check_owner() {
    local conf=$1 uid mode
    read -r uid mode < <(stat -L -c '%u %a' "$conf")
    if [[ $uid != 0 ]]; then
        dwarn "vfiohost: WARNING: $conf is owned by uid $uid, not root: whoever owns it chooses which devices the host loses at boot"
    fi
    if ((8#$mode & 8#022)); then
        dwarn "vfiohost: WARNING: $conf is group- or world-writable (mode $mode): whoever can write it chooses which devices the host loses at boot"
    fi
}

# The agent checks the policy now, so a mistake fails the build instead of the boot.
vfiohost_validate() {
    local bin=$1 conf=$2 errs rc
    errs=$("$bin" --config "$conf" validate 2>&1)
    rc=$?
    if ((rc == 0)); then
        dinfo "vfiohost: $errs"
        return 0
    fi
    while IFS= read -r line; do
        [[ $line ]] && dfatal "$line"
    done <<< "$errs"
    dfatal "vfiohost: $conf is not a valid policy (validate exit $rc); fix it, then rebuild the initramfs"
    return 1
}

# called by dracut
install() {
    local bin conf hook
    bin=$(vfiohost_bin)
    conf=$(vfiohost_conf)
    hook=$(vfiohost_hook)

    inst_binary "$bin" /usr/sbin/vfiohost || {
        dfatal "vfiohost: cannot install the agent $bin"
        exit 1
    }
    inst_simple "$hook" /usr/lib/vfiohost/vfiohost-boot || {
        dfatal "vfiohost: cannot install the boot hook $hook"
        exit 1
    }
    if [[ -e $conf ]]; then
        vfiohost_check_owner "$conf"
        # dracut ignores the status of install(); exit is how a module stops the build.
        vfiohost_validate "$bin" "$conf" || exit 1
        inst_simple "$conf" /etc/vfiohost.conf
    else
        dinfo "vfiohost: no policy $conf: the image will bind nothing"
    fi
    inst_hook pre-udev 05 "$moddir/vfiohost-pre-udev.sh"
}
