#!/bin/sh
# bind-vfio.sh: the job of `vfiohost boot`, done the common way, as an initramfs script
# (POSIX sh, run by busybox sh): loop over /sys/bus/pci/devices, select by vendor and
# class, take the slot's companions, leave the boot display alone, check each IOMMU group,
# write driver_override. The reference the benchmark times against vfiohost.
#
# usage: bind-vfio.sh [-n] [-c] [ROOT]
#   -n    decide and print, write nothing (what `vfiohost plan` does)
#   -c    read each attribute with $(cat FILE), as most published scripts do (a fork per
#         attribute); without -c the `read` builtin reads them (no fork: the fastest shell)
#   ROOT  a fake root (default: the real one); sysfs is taken at ROOT/sys
# Prints one line per selected function: ACTION BDF, ACTION among bind, keep, skip, refuse.
#
# The selection is bench/policy.conf's, hard-coded as such scripts do:
#   bind = 10de:* class=03, companions = yes, boot-vga = skip, isolation = strict.
# Written to be fair to the shell: the class is read only for NVIDIA functions, each
# group is scanned only for selected functions, and without -c no attribute read forks.

dry=
cat=
while [ $# -gt 0 ]; do
	case $1 in
	-n) dry=1 ;;
	-c) cat=1 ;;
	*) break ;;
	esac
	shift
done
if [ -n "$cat" ]; then
	attr() { v=$(cat "$1" 2>/dev/null); }
else
	attr() { read -r v <"$1"; }
fi
devs=${1:-}/sys/bus/pci/devices
groups=${1:-}/sys/kernel/iommu_groups

sel=" "  # selected functions, space-separated, with a space on each side
skip=" " # of those, the ones left to the host (boot display and its slot)

# 1. NVIDIA (0x10de) display controllers (class 0x03xxxx).
for d in "$devs"/*; do
	attr "$d/vendor" || continue
	[ "$v" = 0x10de ] || continue
	attr "$d/class" || continue
	case $v in 0x03*) sel="$sel${d##*/} " ;; esac
done

# 2. Companions: display, audio, USB and UCSI functions of a selected function's slot.
for s in $sel; do
	for f in "$devs/${s%.*}".*; do
		b=${f##*/}
		case $sel in *" $b "*) continue ;; esac
		attr "$f/class" || continue
		case $v in
		0x03* | 0x0401* | 0x0403* | 0x0480* | 0x0c03* | 0x0c80*) sel="$sel$b " ;;
		esac
	done
done

# 3. boot-vga = skip: a slot holding the boot display stays with the host.
for s in $sel; do
	for f in "$devs/${s%.*}".*; do
		[ -r "$f/boot_vga" ] || continue
		attr "$f/boot_vga"
		[ "$v" = 1 ] && skip="$skip$s "
	done
done

# 4. The IOMMU must be active; 5. every other member of the group selected or a bridge.
iommu=
for g in "$groups"/*; do
	[ -e "$g" ] && iommu=1
	break
done
pending=" "
for s in $sel; do
	case $skip in *" $s "*) continue ;; esac
	pending="$pending$s "
done
refuse=" "
for s in $pending; do
	if [ -z "$iommu" ] || [ ! -d "$devs/$s/iommu_group/devices" ]; then
		refuse="$refuse$s "
		continue
	fi
	for m in "$devs/$s/iommu_group/devices"/*; do
		b=${m##*/}
		case $pending in *" $b "*) continue ;; esac
		attr "$m/class"
		case $v in 0x0600* | 0x0604*) continue ;; esac
		refuse="$refuse$s "
		break
	done
done

# 6. Bind what remains (keep what is already on vfio-pci); print every decision.
for s in $sel; do
	case $skip in *" $s "*)
		echo "skip $s"
		continue
		;;
	esac
	case $refuse in *" $s "*)
		echo "refuse $s"
		continue
		;;
	esac
	drv=
	if [ -n "$cat" ]; then
		[ -e "$devs/$s/driver" ] && drv=$(basename "$(readlink "$devs/$s/driver")")
	else
		while IFS='=' read -r k v; do
			[ "$k" = DRIVER ] && drv=$v
		done <"$devs/$s/uevent"
	fi
	if [ "$drv" = vfio-pci ]; then
		echo "keep $s"
		continue
	fi
	echo "bind $s"
	[ -n "$dry" ] && continue
	echo vfio-pci >"$devs/$s/driver_override"
	echo "$s" >"$devs/../drivers_probe"
done
exit 0
