#!/bin/bash
# tests/package.sh: the Debian package, as TAP. Builds vfiohost_*.deb from a copy of
# the tree (dpkg-buildpackage -us -uc -b), checks it with lintian (no errors), makes a
# fresh Debian root of the host's release (mmdebstrap --variant=apt with a kernel and
# initramfs-tools, the host's own archive as tests/fresh.sh takes it), installs the
# .deb there with apt-get, checks with lsinitramfs that the image holds the agent, its
# libkmod and the policy, then removes and purges the package and checks that the image
# was rebuilt without them and the conffile went only with the purge.
# Skips (and says why) when not root or when a tool is missing. PACKAGE=0 skips it too.
# The root and the build copy are deleted on every exit, an interrupt included.
# Logs: build/package/.
set -u
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
LOGS=$REPO/build/package
n=0
# shellcheck source=tests/debroot.bash
. "$REPO/tests/debroot.bash"

# tests/run.sh wants one result line, so a skip is an ok line that says why.
skip_all() { printf 'ok 1 - the Debian package # SKIP %s\n1..1\n' "$*"; exit 0; }

[ "${PACKAGE:-1}" != 0 ] || skip_all "PACKAGE=0 was given${SKIP_WHY:+ ($SKIP_WHY)}"
[ "$(id -u)" = 0 ] || skip_all "needs root (mmdebstrap and chroot)"
for t in mmdebstrap dpkg-buildpackage dh lintian; do
	command -v "$t" >/dev/null || skip_all "$t missing: sh tests/deps.sh test"
done

mkdir -p "$LOGS" && rm -f "$LOGS"/*.log
s=$SECONDS
build_deb package
check "dpkg-buildpackage -us -uc -b builds vfiohost_*.deb ($((SECONDS - s)) s)" test -n "$deb"
[ -n "$deb" ] || { tail -n 20 "$LOGS/build.log" | sed 's/^/# /'; echo "1..$n"; exit 1; }

lintian --fail-on error "$work"/vfiohost_*.changes >"$LOGS/lintian.log" 2>&1
rc=$?
sed 's/^/# lintian: /' "$LOGS/lintian.log"
check "lintian reports no errors ($(grep -c '^[EW]:' "$LOGS/lintian.log") errors and warnings)" \
	test "$rc" = 0
check "the package links the agent against libkmod2 (shlibs:Depends)" \
	sh -c "dpkg-deb -f '$deb' Depends | grep -q 'libkmod2'"
# ships PATH-END...: the package holds a file whose path ends so, for each.
ships() {
	local f list
	list=$(dpkg-deb -c "$deb" | awk '{ print $NF }')
	for f in "$@"; do grep -q -- "$f\$" <<<"$list" || return 1; done
}
check "the package ships the hugepage top-up, the metrics service and timer, the 1 GiB hugetlbfs mount, the completion" \
	ships systemd/system/vfiohost-topup.service \
	systemd/system/vfiohost-metrics.service systemd/system/vfiohost-metrics.timer \
	systemd/system/dev-hugepages1G.mount /usr/lib/vfiohost/vfiohost-metrics \
	/usr/share/bash-completion/completions/vfiohost
check "/etc/vfiohost.conf is a conffile" \
	sh -c "dpkg-deb --ctrl-tarfile '$deb' | tar -xO ./conffiles | grep -qx /etc/vfiohost.conf"

s=$SECONDS
if ! make_root package linux-image-amd64,initramfs-tools; then
	notok "mmdebstrap makes a fresh $dist root with a kernel and initramfs-tools"
	echo "1..$n"
	exit 1
fi
ok "mmdebstrap makes a fresh $dist root with a kernel and initramfs-tools ($((SECONDS - s)) s)"

kver=$(root_kver)
image=/boot/initrd.img-$kver
sum() { sha256sum "$root$image" | cut -d' ' -f1; }
# has FILE: the image lists FILE (a path without the leading slash).
has() { in_root lsinitramfs "$image" | grep -qx "$1"; }
has_hooks() { has usr/lib/vfiohost/vfiohost-boot && has scripts/init-top/00-vfiohost; }
has_libkmod() { in_root lsinitramfs "$image" | grep -q '/libkmod\.so\.2$'; }
lacks() { ! has "$1"; }
before=$(sum)

cp "$deb" "$root/tmp/" || exit 1
s=$SECONDS
in_root apt-get install -y -q "/tmp/${deb##*/}" >"$LOGS/install.log" 2>&1
rc=$?
check "apt-get installs the package into the fresh root ($((SECONDS - s)) s)" test "$rc" = 0
check "the install rebuilt $image (update-initramfs trigger)" test "$(sum)" != "$before"
check "the image holds usr/sbin/vfiohost" has usr/sbin/vfiohost
check "the image holds etc/vfiohost.conf" has etc/vfiohost.conf
check "the image holds the boot hook and the init-top script" has_hooks
check "the image holds libkmod for the dynamically linked agent (copy_exec)" has_libkmod
validates() { in_root vfiohost validate >/dev/null; }
check "the installed agent runs and validates the shipped policy" validates
# Installed disabled: no unit of the package is linked into a target.
enabled_none() { [ -z "$(find "$root/etc/systemd" -name 'vfiohost-metrics.*' -o -name 'dev-hugepages1G.mount' 2>/dev/null)" ]; }
check "the install enables neither the metrics timer nor the hugetlbfs mount" enabled_none
# The top-up is the one unit that runs at every boot: enabled by the install.
topup_enabled() { [ -L "$root/etc/systemd/system/multi-user.target.wants/vfiohost-topup.service" ]; }
check "the install enables the hugepage top-up (multi-user.target.wants)" topup_enabled

before=$(sum)
s=$SECONDS
in_root apt-get remove -y -q vfiohost >"$LOGS/remove.log" 2>&1
rc=$?
check "apt-get removes the package ($((SECONDS - s)) s)" test "$rc" = 0
check "the removal rebuilt $image" test "$(sum)" != "$before"
check "after removal the image no longer holds usr/sbin/vfiohost" lacks usr/sbin/vfiohost
check "after removal the image no longer holds etc/vfiohost.conf" lacks etc/vfiohost.conf
check "removal keeps the admin's /etc/vfiohost.conf (a conffile)" test -f "$root/etc/vfiohost.conf"
in_root apt-get purge -y -q vfiohost >"$LOGS/purge.log" 2>&1
check "purge deletes /etc/vfiohost.conf" test ! -e "$root/etc/vfiohost.conf"
echo "1..$n"
