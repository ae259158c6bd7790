#!/bin/bash
# dracut module 90vfiohost: puts the vfiohost agent, its policy and the vfio modules (with
# each VFIO variant module the policy chooses on this host) in the initramfs and runs the
# agent at pre-udev, before udev can hand a GPU to its native driver. An invalid policy
# fails the build; a missing one builds an image that does nothing. VFIOHOST_BIN,
# VFIOHOST_CONF and VFIOHOST_HOOK override the host paths (tests); inside the image the
# paths are always the installed ones.
# dracut sources this file into its bash, but it is written in POSIX sh (no local: the
# variables it sets are prefixed _vfiohost_ so that they cannot clobber dracut's own).
# shellcheck disable=SC2154 # moddir, hostonly and systemdsystemunitdir are dracut's

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
    if [ -n "$hostonly" ] && [ ! -s "$(vfiohost_conf)" ]; then
        return 255
    fi
    return 0
}

# called by dracut
depends() {
    return 0
}

# The VFIO variant modules the policy chooses on this host (`vfiohost plan --modules`, one
# a line), but the generic vfio_pci, which is always installed. Names that are not module
# names are dropped, so that nothing else reaches instmods. KERNEL: the image's kernel
# (dracut's $kernel), whose modules the variants come from, not the running kernel's.
# vfiohost_variants AGENT POLICY [KERNEL]
vfiohost_variants() {
    [ -e "$2" ] || return 0
    "$1" --config "$2" ${3:+--kernel "$3"} plan --modules 2>/dev/null | while IFS= read -r _vfiohost_m; do
        case $_vfiohost_m in
        vfio_pci | '' | -* | *[!a-z0-9_-]*) ;;
        *) echo "$_vfiohost_m" ;;
        esac
    done
}

# called by dracut
installkernel() {
    # The host need not have vfio loaded now, so never filter these by host-only.
    hostonly='' instmods -c vfio vfio_pci vfio_iommu_type1 || return 1
    hostonly='' instmods vfio_pci_core vfio_virqfd irqbypass
    # Each variant the plan chooses, with its dependencies: without it the image's
    # modules.alias knows only vfio_pci, and boot would take the generic driver silently.
    # shellcheck disable=SC2154 # kernel: set by dracut
    _vfiohost_mods=$(vfiohost_variants "$(vfiohost_bin)" "$(vfiohost_conf)" "${kernel:-}")
    for _vfiohost_m in $_vfiohost_mods; do
        dinfo "vfiohost: adding the VFIO variant module $_vfiohost_m and its dependencies"
        hostonly='' instmods "$_vfiohost_m" ||
            dwarn "vfiohost: cannot add $_vfiohost_m: the functions it is chosen for will fail at boot"
    done
    return 0
}

# The agent checks the policy now, so a mistake fails the build instead of the boot
# (exit 2). Exit 1 is its warning about a policy someone other than root could change,
# which boot refuses: the build goes on, the warning is shown.
# vfiohost_validate AGENT POLICY
vfiohost_validate() {
    _vfiohost_out=$("$1" --config "$2" validate 2>&1)
    _vfiohost_rc=$?
    printf '%s\n' "$_vfiohost_out" | while IFS= read -r _vfiohost_line; do
        [ -n "$_vfiohost_line" ] || continue
        case $_vfiohost_rc:$_vfiohost_line in
        *:*WARNING:*) dwarn "$_vfiohost_line" ;;
        [01]:*) dinfo "vfiohost: $_vfiohost_line" ;;
        *) dfatal "$_vfiohost_line" ;;
        esac
    done
    if [ "$_vfiohost_rc" -le 1 ]; then
        return 0
    fi
    dfatal "vfiohost: $2 is not a valid policy (validate exit $_vfiohost_rc); fix it, then rebuild the initramfs"
    return 1
}

# called by dracut
install() {
    _vfiohost_bin=$(vfiohost_bin)
    _vfiohost_conf=$(vfiohost_conf)
    _vfiohost_hook=$(vfiohost_hook)

    inst_binary "$_vfiohost_bin" /usr/sbin/vfiohost || {
        dfatal "vfiohost: cannot install the agent $_vfiohost_bin"
        exit 1
    }
    inst_simple "$_vfiohost_hook" /usr/lib/vfiohost/vfiohost-boot || {
        dfatal "vfiohost: cannot install the boot hook $_vfiohost_hook"
        exit 1
    }
    if [ -e "$_vfiohost_conf" ]; then
        # dracut ignores the status of install(); exit is how a module stops the build.
        vfiohost_validate "$_vfiohost_bin" "$_vfiohost_conf" || exit 1
        inst_simple "$_vfiohost_conf" /etc/vfiohost.conf
    else
        dinfo "vfiohost: no policy $_vfiohost_conf: the image will bind nothing"
    fi
    inst_hook pre-udev 05 "$moddir/vfiohost-pre-udev.sh"
    # Under systemd, drivers listed in modules-load.d are loaded in parallel with the
    # pre-udev hook; make them wait for vfiohost.
    if dracut_module_included systemd; then
        inst_simple "$moddir/vfiohost-modules-load.conf" \
            "$systemdsystemunitdir/systemd-modules-load.service.d/90-vfiohost.conf"
    fi
}
