#!/bin/bash
# bench/hugepages.sh BUILD: 1 GiB pages from the kernel's own command line (hugepagesz=1G
# hugepages=N, taken from memblock at boot) against vfiohost's `pages = max` (at run time,
# in the initramfs), in the boot tests' VM: 6 GiB on one node, and 12 GiB on two NUMA nodes.
# Each size boots three times with the same initramfs-tools image (tests/e2e/lib.sh): with
# vfiohost=off and the kernel's count, with vfiohost, and with vfiohost on to a real root,
# where vfiohost-topup.service asks for the rest of the plan. A table on stdout and in
# BUILD/bench/hugepages.txt; the consoles and reports under BUILD/bench/hp/log. Needs what the boot tests need (sh tests/deps.sh e2e) and
# BUILD/vfiohost; 6 boots, about 5 minutes.
set -u
build=${1:-build}
export E2E_OUT
E2E_OUT=$(mkdir -p "$build/bench/hp" && cd "$build/bench/hp" && pwd)
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../tests/e2e/lib.sh"

why=$(e2e_missing jq)
[ -z "$why" ] || { echo "bench: hugepages: skipped: $why" >&2; exit 0; }
e2e_setup "$build/vfiohost" || exit 1
# What occupies each 1 GiB range when the agent starts (bench/pfnmap.c, in the image; the
# boots ask for it with vfiohost-e2e.pfnmap): the ceiling of any run-time reservation.
cc=musl-gcc
command -v "$cc" >/dev/null || cc=cc
export E2E_PFNMAP=$OUT/bin/pfnmap
"$cc" -static -Os -o "$E2E_PFNMAP" "$(dirname "${BASH_SOURCE[0]}")/pfnmap.c" ||
	{ log "cannot build bench/pfnmap.c"; exit 1; }
policy=$OUT/hugepages.conf
# keep-free = 512M as in issue 15's measurement; time = 120 so that time is not what stops it.
printf '[vfio]\nbind = 1234:1111 class=0300\n[hugepages]\nsize = 1G\npages = max\nkeep-free = 512M\ntime = 120\n' >"$policy"
chmod 0644 "$policy"
img=$OUT/img/hugepages.img
log "building the image"
build_itools "$policy" "$img" "$OUT/log/build.log" || { log "image build failed: $OUT/log/build.log"; exit 1; }

# numa_args SHAPE: the QEMU arguments that make two NUMA nodes of 6 GiB each.
numa_args() {
	[ "$1" = 12G-2n ] || return 0
	echo "-object memory-backend-ram,id=m0,size=6G -object memory-backend-ram,id=m1,size=6G"
	echo "-numa node,nodeid=0,cpus=0,memdev=m0 -numa node,nodeid=1,cpus=1,memdev=m1"
}

# kernel_count NAME: the 1 GiB pages a boot with vfiohost=off ended with (the kernel's own).
kernel_count() { hugepages "$1" 1048576; }

# before NAME: the pfnmap lines printed just before the agent ran (init-top/00-e2e-pfnmap).
before() { rep "$1" | sed -n '/^=== PFNMAP BEFORE/,/^=== PFNMAP END/p' | grep '^pfnmap '; }

# free_ranges: of pfnmap lines, the 1 GiB ranges a 1 GiB page could be made of (whole=yes).
free_ranges() { grep -c ' whole=yes$'; }

# spoilers: of pfnmap lines, each range that is not whole and what in it cannot move.
spoilers() {
	grep ' whole=no$' |
		awk 'function amount(p) { return p >= 256 ? sprintf("%d MiB", p / 256) : sprintf("%d pages", p) }
		{ for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
		s = ""
		if (v["present"] < 262144) s = s ", " amount(262144 - v["present"]) " absent"
		if (v["reserved"]) s = s ", " amount(v["reserved"]) " reserved"
		if (v["unevict"]) s = s ", " amount(v["unevict"]) " unevictable"
		if (v["slab"]) s = s ", " amount(v["slab"]) " slab"
		if (v["pgtable"]) s = s ", " amount(v["pgtable"]) " page tables"
		if (v["other"]) s = s ", " amount(v["other"]) " other"
		printf "GiB %s: %s;", v["GiB"], substr(s, 3) }'
}

# The third boot of each size goes on to a real root (tests/e2e/lib.sh, make_root_disk: a
# fresh Debian root with vfiohost installed and its top-up unit enabled): what the top-up
# adds once the initramfs is gone. BENCH_ROOT=0 leaves it out.
disk=$OUT/img/root.img
if [ "${BENCH_ROOT:-1}" = 0 ]; then
	disk=
elif ! make_root_disk "$disk"; then
	log "no real root (see $OUT/log/root-disk.log): the top-up column is left empty"
	disk=
fi

# topup_count NAME: the pages after the top-up in a real-root boot (empty without one).
topup_count() { report_json "$1" | jq -r '.topup.obtained // empty'; }

rows=() spoilt=()
for shape in 6G 12G-2n; do
	mem=${shape%%G*}
	smp=1
	[ "$shape" = 6G ] || smp=2
	# shellcheck disable=SC2046 # numa_args gives words
	E2E_MEM=${mem}G E2E_SMP=$smp boot_vm "$img" "kernel-$shape" \
		"vfiohost=off vfiohost-e2e.pfnmap hugepagesz=1G hugepages=$mem" $(numa_args "$shape") ||
		log "kernel-$shape: boot failed"
	# shellcheck disable=SC2046
	E2E_MEM=${mem}G E2E_SMP=$smp boot_vm "$img" "vfiohost-$shape" vfiohost-e2e.pfnmap $(numa_args "$shape") ||
		log "vfiohost-$shape: boot failed"
	top=
	if [ -n "$disk" ]; then
		cp "$disk" "$OUT/img/root-run.img"
		# shellcheck disable=SC2046
		E2E_MEM=${mem}G E2E_SMP=$smp boot_vm "$img" "topup-$shape" \
			"vfiohost-e2e.root root=/dev/vda rw" $(numa_args "$shape") \
			-drive "file=$OUT/img/root-run.img,if=virtio,format=raw" || log "topup-$shape: boot failed"
		top=$(topup_count "topup-$shape")
		top="${top:-?} (initramfs $(report_json "topup-$shape" | jq -r '.hugepages.obtained // "?"'))"
	fi
	k=$(kernel_count "kernel-$shape")
	v=$(report_json "vfiohost-$shape" | jq -r '.hugepages.obtained // empty')
	asked=$(report_json "vfiohost-$shape" | jq -r '.hugepages.pages // empty')
	ms=$(report_json "vfiohost-$shape" | jq -r '.hugepages.ms // empty')
	short=$(report_json "vfiohost-$shape" | jq -r '.hugepages.short // "-"')
	pernode=$(report_json "vfiohost-$shape" |
		jq -r '[.hugepages.nodes[] | "\(.node):\(.obtained)"] | join(" ")')
	ceiling=$(before "vfiohost-$shape" | free_ranges)
	spoilt+=("$shape, at the agent's start: $(before "vfiohost-$shape" | spoilers)")
	ratio=$(awk -v a="${v:-0}" -v b="${k:-0}" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }')
	rows+=("$(printf '| %-7s | %-3s | %-3s at boot (before timekeeping) | %-3s | %-3s of %-3s | %-6s ms | %-13s | %-9s | %s | %s |' \
		"$shape" "$mem" "${k:-?}" "${ceiling:-?}" "${v:-?}" "${asked:-?}" "${ms:-?}" "$short" "${pernode:--}" "$ratio" "${top:--}")")
done

{
	echo "1 GiB hugepages: the kernel's hugepages=N against vfiohost pages = max (keep-free = 512M),"
	echo "same image, same VM (q35, TCG, init_on_alloc=0, kernel $KVER)"
	echo
	echo "| VM      | N   | kernel hugepages=N               | free 1 GiB ranges at the agent's start | vfiohost | time       | short         | per node  | vfiohost / kernel | after the top-up, real root |"
	echo "| ---     | --- | ---                              | ---                                    | ---      | ---        | ---           | ---       | --- | --- |"
	printf '%s\n' "${rows[@]}"
	echo
	echo "The 1 GiB ranges that were not free when the agent started (bench/pfnmap.c over /proc/kpageflags):"
	printf '%s\n' "${spoilt[@]}" | sed 's/;$//; s/;/;\n    /g'
} | tee "$build/bench/hugepages.txt"
