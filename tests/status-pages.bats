#!/usr/bin/env bats
# `vfiohost status` on using the reserved pages (issue 12): how a VM takes them (libvirt,
# Proxmox, KubeVirt) and whether a hugetlbfs mount of that page size exists, read from
# /proc/mounts under --root; the dev-hugepages1G.mount unit that provides one.

bats_require_minimum_version 1.5.0
load helpers
load fake

teardown() {
	fake_teardown
}

# booted SIZE: mkhost_act, bind = 10de:*, 4 pages of SIZE (1G or 2M), a boot.
booted() {
	mkhost_act
	policy_act "$(printf '[hugepages]\nsize = %s\npages = 4\n' "$1")"
	fk_start
	vh_run --deadline 5 boot
	assert_success
	fk_stop
}

# mounts LINE...: /proc/mounts as the kernel would show it now.
mounts() {
	mkdir -p "$ROOT/proc"
	printf '%s\n' "sysfs /sys sysfs rw,nosuid,nodev,noexec,relatime 0 0" "$@" >"$ROOT/proc/mounts"
}

@test "status with 1 GiB pages says how libvirt, Proxmox and KubeVirt use them" {
	booted 1G
	mounts
	vh_run status
	assert_success
	assert_line "to use these 1 GiB pages in a VM:"
	assert_line "  libvirt:  <memoryBacking><hugepages><page size='1' unit='G'/></hugepages></memoryBacking>"
	assert_line "  Proxmox:  qm set <vmid> --hugepages 1024"
	assert_line "  KubeVirt: spec.domain.memory.hugepages.pageSize: 1Gi"
}

@test "status finds a hugetlbfs mount with pagesize=1G" {
	booted 1G
	mounts "hugetlbfs /dev/hugepages hugetlbfs rw,nosuid,nodev,relatime,pagesize=2M 0 0" \
		"hugetlbfs /dev/hugepages1G hugetlbfs rw,nosuid,nodev,relatime,pagesize=1024M 0 0"
	vh_run status
	assert_success
	assert_line "hugetlbfs pagesize=1G: mounted on /dev/hugepages1G"
}

@test "status says when no hugetlbfs has 1 GiB pages, and names the unit; not a problem" {
	booted 1G
	mounts "hugetlbfs /dev/hugepages hugetlbfs rw,nosuid,nodev,relatime,pagesize=2M 0 0"
	vh_run status
	assert_success
	assert_line --partial "hugetlbfs pagesize=1G: none mounted; libvirt needs one: systemctl enable --now dev-hugepages1G.mount"
	assert_line "all holds"
}

@test "status takes a hugetlbfs without pagesize= as the default size (meminfo's Hugepagesize)" {
	booted 1G
	mounts "hugetlbfs /dev/hugepages hugetlbfs rw,relatime 0 0"
	printf 'MemTotal:       67108864 kB\nHugepagesize:    1048576 kB\n' >"$ROOT/proc/meminfo"
	vh_run status
	assert_line "hugetlbfs pagesize=1G: mounted on /dev/hugepages"
}

@test "status with 2 MiB pages gives the 2 MiB words" {
	booted 2M
	mounts "hugetlbfs /dev/hugepages hugetlbfs rw,relatime,pagesize=2M 0 0"
	vh_run status
	assert_line "  Proxmox:  qm set <vmid> --hugepages 2"
	assert_line "  KubeVirt: spec.domain.memory.hugepages.pageSize: 2Mi"
	assert_line "hugetlbfs pagesize=2M: mounted on /dev/hugepages"
}

@test "status without reserved pages says nothing about using them" {
	booted 1G
	echo 0 >"$ROOT/sys/kernel/mm/hugepages/hugepages-1048576kB/nr_hugepages"
	sed -i 's/"obtained": *4/"obtained":0/g' "$ROOT/run/vfiohost/report.json"
	jq -e '.hugepages.obtained == 0' "$ROOT/run/vfiohost/report.json" >/dev/null ||
		fail "the report still says pages were obtained"
	vh_run status
	refute_line --partial "to use these"
}

@test "status without a readable /proc/mounts says none mounted" {
	booted 1G
	rm -f "$ROOT/proc/mounts"
	vh_run status
	assert_success
	assert_line --partial "hugetlbfs pagesize=1G: none mounted"
}

@test "status --json gives the hugetlbfs mount, or null" {
	booted 1G
	mounts "hugetlbfs /dev/hugepages1G hugetlbfs rw,relatime,pagesize=1024M 0 0"
	vh_run status --json
	[ "$(jqr '.hugepages.hugetlbfs_mount')" = /dev/hugepages1G ]
	mounts
	vh_run status --json
	[ "$(jqr '.hugepages.hugetlbfs_mount')" = null ]
}

@test "make install puts dev-hugepages1G.mount, not enabled, and verify accepts it" {
	D="$BATS_TEST_TMPDIR/dest"
	make -s -C "$REPO_DIR" install DESTDIR="$D" PREFIX=/usr \
		SYSTEMDUNITDIR=/usr/lib/systemd/system >/dev/null
	local u="$D/usr/lib/systemd/system/dev-hugepages1G.mount"
	grep -qx 'Where=/dev/hugepages1G' "$u"
	grep -qx 'Options=pagesize=1G,nosuid,nodev' "$u"
	[ ! -e "$D/etc/systemd" ]
	if command -v systemd-analyze >/dev/null; then
		run systemd-analyze verify --man=no "$u"
		assert_success
	fi
}
