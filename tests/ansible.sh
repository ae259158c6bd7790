#!/bin/bash
# tests/ansible.sh: the Ansible example (docs/ansible/), as TAP. Builds the .deb, makes a
# fresh Debian root of the host's release with a kernel, initramfs-tools and python3-apt,
# gives it a fake host's /sys and /proc (tests/mkhost desktop-1gpu: one RTX 3070 and its
# HDMI audio beside the boot iGPU), and runs docs/ansible/vfiohost.yml with
# ansible-playbook into it through Ansible's chroot connection (community.general.chroot),
# as a fleet would run it, with the reboot off (a root cannot boot). Checks: the policy is
# templated from the variables and the image holds the agent and that policy; a value
# vfiohost validate refuses, and a plan with a warning, each stop the play with the policy
# and the image (its checksum and mtime) as they were; the post-reboot part (--tags
# status) fails the play on a boot report with a failed function or with no report, and
# passes on one where all is bound and still holds.
# Skips (and says why) when not root or when a tool is missing. ANSIBLE=0 skips it too.
# The root and the build copy are deleted on every exit, an interrupt included.
# Logs: build/ansible/.
set -u
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
LOGS=$REPO/build/ansible
PLAY=$REPO/docs/ansible/vfiohost.yml
n=0
# shellcheck source=tests/debroot.bash
. "$REPO/tests/debroot.bash"

# tests/run.sh wants one result line, so a skip is an ok line that says why.
skip_all() { printf 'ok 1 - the Ansible example # SKIP %s\n1..1\n' "$*"; exit 0; }
bail() { echo "1..$n"; exit 1; }

[ "${ANSIBLE:-1}" != 0 ] || skip_all "ANSIBLE=0 was given${SKIP_WHY:+ ($SKIP_WHY)}"
[ "$(id -u)" = 0 ] || skip_all "needs root (mmdebstrap and Ansible's chroot connection)"
for t in mmdebstrap dpkg-buildpackage dh ansible-playbook python3; do
	command -v "$t" >/dev/null || skip_all "$t missing: sh tests/deps.sh test"
done

mkdir -p "$LOGS" && rm -f "$LOGS"/*.log
s=$SECONDS
build_deb ansible
check "dpkg-buildpackage builds vfiohost_*.deb ($((SECONDS - s)) s)" test -n "$deb"
[ -n "$deb" ] || { tail -n 20 "$LOGS/build.log" | sed 's/^/# /'; bail; }

s=$SECONDS
if ! make_root ansible linux-image-amd64,initramfs-tools,python3,python3-apt; then
	notok "mmdebstrap makes a fresh $dist root with a kernel, initramfs-tools and python3-apt"
	bail
fi
ok "mmdebstrap makes a fresh $dist root with a kernel, initramfs-tools and python3-apt ($((SECONDS - s)) s)"

# The fake host's kernel files stand in for the root's /sys and /proc (nothing is mounted
# there: Ansible's chroot connection mounts nothing either).
fake_host() {
	"$REPO/tests/mkhost" desktop-1gpu "$work/host" >"$LOGS/mkhost.log" 2>&1 &&
		cp -a "$work/host/sys/." "$root/sys/" && cp -a "$work/host/proc/." "$root/proc/"
}
fake_host || { notok "tests/mkhost desktop-1gpu gives the root a fake /sys and /proc"; bail; }

image=/boot/initrd.img-$(root_kver)
sum() { sha256sum "$root$image" | cut -d' ' -f1; }
mtime() { stat -c %Y "$root$image"; }
has() { in_root lsinitramfs "$image" | grep -qx "$1"; }

# The fleet's variables for this host, in the inventory as a fleet keeps them: both
# NVIDIA functions on the generic vfio-pci, no D3cold but for the audio function, two
# 1 GiB pages, no reboot.
cat >"$work/inventory.yml" <<INV
gpu_hosts:
  hosts:
    $root:
      ansible_connection: community.general.chroot
      ansible_python_interpreter: /usr/bin/python3
      # root already, and a fresh root has no sudo
      ansible_become: false
      vfiohost_deb: $deb
      vfiohost_bind: ["10de:*"]
      vfiohost_driver: vfio-pci
      vfiohost_d3cold: no
      vfiohost_expect: 2
      vfiohost_hugepages: {size: 1G, pages: 2}
      vfiohost_functions: [{select: "10de:228b", d3cold: yes}]
      vfiohost_reboot: false
INV
# No ansible.cfg of the host's or the caller's counts, only Ansible's defaults.
: >"$work/ansible.cfg"
# play LOG ARGS...: ansible-playbook with the example's playbook and the root's
# inventory (-e in ARGS wins over it), into LOG; returns its status.
play() {
	local log=$1
	shift
	env HOME="$work" ANSIBLE_LOCAL_TEMP="$work/ansible-tmp" ANSIBLE_NOCOLOR=1 \
		ANSIBLE_RETRY_FILES_ENABLED=0 ANSIBLE_CONFIG="$work/ansible.cfg" \
		ansible-playbook -i "$work/inventory.yml" "$@" "$PLAY" \
		>"$LOGS/$log.log" 2>&1
}
# in_log LOG REGEX: the play's log has a line matching REGEX.
in_log() { grep -Eq -- "$2" "$LOGS/$1.log"; }
show_tail() { tail -n 25 "$LOGS/$1.log" | sed 's/^/# /'; }

s=$SECONDS
play install
rc=$?
check "ansible-playbook installs, templates, plans and rebuilds through the chroot connection ($((SECONDS - s)) s)" \
	test "$rc" = 0
((rc == 0)) || show_tail install
installed() { in_root dpkg-query -W vfiohost >/dev/null; }
check "the play installed the package" installed
expected=$(printf '%s\n' '[vfio]' 'bind = 10de:*' 'companions = yes' 'isolation = strict' \
	'boot-vga = skip' 'driver = vfio-pci' 'd3cold = no' 'expect = 2' '' '[hugepages]' \
	'size = 1G' 'pages = 2' '' '[function 10de:228b]' 'd3cold = yes')
policy_body() { grep -v '^#' "$root/etc/vfiohost.conf" | sed '/./,$!d'; }
check "/etc/vfiohost.conf is the template with the host's variables" \
	test "$(policy_body)" = "$expected"
plan_shown() { in_log install '0000:01:00\.0.*bind' && in_log install '0000:01:00\.1.*bind'; }
check "the play showed vfiohost plan binding the GPU and its HDMI audio" plan_shown
check "the image holds usr/sbin/vfiohost" has usr/sbin/vfiohost
check "the image holds etc/vfiohost.conf" has etc/vfiohost.conf
# The image's copy of the policy is the templated one: the play's rebuild made it (the
# package's own trigger ran before the template, with the shipped policy).
image_policy() {
	rm -rf "$root/tmp/unpacked"
	in_root unmkinitramfs "$image" /tmp/unpacked >/dev/null 2>&1 || return 1
	find "$root/tmp/unpacked" -path '*/etc/vfiohost.conf' -exec cat {} + 2>/dev/null
}
same_policy() {
	local p
	p=$(image_policy) && [ -n "$p" ] && [ "$p" = "$(cat "$root/etc/vfiohost.conf")" ]
}
check "the image's etc/vfiohost.conf is the templated policy" same_policy

# Stops before the rebuild: LOG; the policy and the image stay as they were.
cp "$root/etc/vfiohost.conf" "$work/policy.before"
before_sum=$(sum) before_mtime=$(mtime)
unchanged() {
	cmp -s "$root/etc/vfiohost.conf" "$work/policy.before" &&
		[ "$(sum)" = "$before_sum" ] && [ "$(mtime)" = "$before_mtime" ]
}
no_rebuild() { ! in_log "$1" 'TASK \[Rebuild the boot image'; }
sleep 1 # an image rebuilt now would show another mtime

play broken -e vfiohost_isolation=loose
rc=$?
check "a value vfiohost validate refuses (isolation = loose) fails the play" test "$rc" != 0
check "the play shows vfiohost validate's error, with the line" in_log broken ':[0-9]+: isolation must be strict or warn'
((rc != 0)) || show_tail broken
check "after it the play stopped before the rebuild" no_rebuild broken
check "after it /etc/vfiohost.conf and the image (checksum, mtime) are as they were" unchanged

play warned -e vfiohost_expect=5
rc=$?
check "a plan with a warning (expect = 5, 2 would be bound) fails the play" test "$rc" != 0
check "the play shows the plan's warning" in_log warned 'warning: expect = 5, but 2 functions'
((rc != 0)) || show_tail warned
check "after it the play stopped before the rebuild" no_rebuild warned
check "after it /etc/vfiohost.conf and the image (checksum, mtime) are as they were" unchanged

# The post-reboot part (--tags status) on boot reports as a boot writes them.
# report RESULT1 RESULT2: /run/vfiohost/report.json for the plan above, with these results.
report() {
	mkdir -p "$root/run/vfiohost"
	cat >"$root/run/vfiohost/report.json" <<JSON
{ "mode": "boot", "policy": "/etc/vfiohost.conf", "expect": 2,
  "iommu": { "active": true, "groups": 9 },
  "functions": [
    { "bdf": "0000:01:00.0", "id": "10de:2484", "class": "0300", "group": 2, "driver": "nouveau",
      "numa_node": 0, "action": "bind", "reason": "bind at line 5", "vfio_module": "vfio_pci",
      "result": "$1" },
    { "bdf": "0000:01:00.1", "id": "10de:228b", "class": "0403", "group": 2, "driver": "snd_hda_intel",
      "numa_node": 0, "action": "bind", "reason": "companion of 0000:01:00.0", "vfio_module": "vfio_pci",
      "result": "$2" } ],
  "hugepages": { "size_kib": 1048576, "memtotal_kib": 32719064, "keep_free_kib": 10485760,
                 "budget": 21, "pages": 2, "obtained": 2, "nodes": [] },
  "warnings": [], "errors": [] }
JSON
	# The boot keeps the policy it applied; the kernel shows what it reserved.
	cp "$root/etc/vfiohost.conf" "$root/run/vfiohost/policy.conf"
	echo 2 >"$root/sys/kernel/mm/hugepages/hugepages-1048576kB/nr_hugepages"
}
move() { "$REPO/tests/fakekernel" "$root" --log "$LOGS/fakekernel.log" --move "$1=$2" --no-serve; }

rm -rf "$root/run/vfiohost"
play noreport --tags status
rc=$?
check "after a boot without vfiohost (no report) the status part fails the play" test "$rc" != 0
check "the play says vfiohost did not run at this boot" in_log noreport 'did not run at this boot'
((rc != 0)) || show_tail noreport

report bound "failed: probe: vfio-pci did not bind (-ENODEV)"
move 0000:01:00.0 vfio-pci
play failed --tags status
rc=$?
check "a report with a failed function fails the play (--tags status)" test "$rc" != 0
check "the play names the failed function" in_log failed '0000:01:00\.1 failed: probe'
((rc != 0)) || show_tail failed
check "--tags status ran the status part only" \
	eval '! in_log failed "TASK \[(Install|Template|Rebuild)"'

report bound bound
move 0000:01:00.1 vfio-pci
play holds --tags status
rc=$?
check "a report with both functions bound, still on vfio-pci, passes the play (--tags status)" \
	test "$rc" = 0
((rc == 0)) || show_tail holds

move 0000:01:00.1 snd_hda_intel
play drifted --tags status
rc=$?
check "the same report with the audio function back on snd_hda_intel fails the play" test "$rc" != 0
check "the play says the function is now on snd_hda_intel" in_log drifted '0000:01:00\.1.*now on snd_hda_intel'
echo "1..$n"
