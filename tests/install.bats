#!/usr/bin/env bats
# make install / uninstall with DESTDIR and PREFIX (SPEC section 1).

load helpers

setup() {
	D="$BATS_TEST_TMPDIR/dest"
}

inst() {
	make -s -C "$REPO_DIR" "$@" DESTDIR="$D" >/dev/null
}

@test "install with PREFIX=/usr puts every file where SPEC section 1 says" {
	inst install PREFIX=/usr
	for f in usr/sbin/vfiohost usr/lib/dracut/modules.d/90vfiohost/module-setup.sh \
		usr/lib/dracut/modules.d/90vfiohost/vfiohost-pre-udev.sh \
		usr/lib/dracut/modules.d/90vfiohost/vfiohost-modules-load.conf \
		usr/share/initramfs-tools/hooks/vfiohost \
		usr/share/initramfs-tools/scripts/init-top/00-vfiohost \
		usr/lib/vfiohost/vfiohost-boot usr/share/man/man8/vfiohost.8 \
		usr/share/man/man5/vfiohost.conf.5 etc/vfiohost.conf \
		usr/share/doc/vfiohost/examples/hgx-full-passthrough.conf \
		usr/share/doc/vfiohost/examples/hgx-shared-nvswitch.conf; do
		[ -f "$D/$f" ] || fail "missing $f"
	done
	[ -x "$D/usr/sbin/vfiohost" ]
	[ -x "$D/usr/share/initramfs-tools/hooks/vfiohost" ]
}

@test "the installed example policy is valid and binds nothing" {
	inst install PREFIX=/usr
	run "$VFIOHOST" --config "$D/etc/vfiohost.conf" validate
	assert_success
	assert_output --partial "0 bind"
}

@test "the installed HGX example policies are valid" {
	inst install PREFIX=/usr
	local f
	for f in "$D"/usr/share/doc/vfiohost/examples/*.conf; do
		run "$VFIOHOST" --config "$f" validate
		assert_success
		assert_output --partial "valid ("
	done
	[ "$(find "$D/usr/share/doc/vfiohost/examples" -name '*.conf' | wc -l)" -eq 2 ]
}

@test "install puts the hugepage top-up unit where systemd looks, running the installed agent" {
	inst install PREFIX=/usr/local SYSTEMDUNITDIR=/usr/lib/systemd/system
	local unit="$D/usr/lib/systemd/system/vfiohost-topup.service"
	[ -f "$unit" ]
	run grep -x 'ExecStart=/usr/local/sbin/vfiohost topup' "$unit"
	assert_success
	run grep -x 'Before=libvirtd.service virtqemud.service pve-guests.service kubelet.service' "$unit"
	assert_success
	run grep -x 'WantedBy=multi-user.target' "$unit"
	assert_success
}

@test "systemd-analyze verify finds nothing wrong with the top-up unit" {
	command -v systemd-analyze >/dev/null || skip "no systemd-analyze (systemd) on this machine"
	inst install PREFIX=/usr
	# A copy whose ExecStart names this checkout's agent: verify checks that it exists.
	local dir="$BATS_TEST_TMPDIR/units"
	mkdir -p "$dir"
	sed "s|^ExecStart=/usr/sbin/vfiohost|ExecStart=$VFIOHOST|" \
		"$(find "$D" -name vfiohost-topup.service)" >"$dir/vfiohost-topup.service"
	grep -q "^ExecStart=$VFIOHOST topup\$" "$dir/vfiohost-topup.service"
	run systemd-analyze verify --man=no "$dir/vfiohost-topup.service"
	assert_success
	assert_output ""
}

@test "install never overwrites an existing policy" {
	mkdir -p "$D/etc"
	echo "# the admin's" >"$D/etc/vfiohost.conf"
	inst install PREFIX=/usr
	run cat "$D/etc/vfiohost.conf"
	assert_output "# the admin's"
}

@test "install with PREFIX=/usr/local: hooks where the generators look, pointing at /usr/local" {
	inst install PREFIX=/usr/local
	[ -x "$D/usr/local/sbin/vfiohost" ]
	[ -x "$D/usr/local/lib/vfiohost/vfiohost-boot" ]
	run grep -h '^vfiohost_prefix=' "$D/usr/lib/dracut/modules.d/90vfiohost/module-setup.sh" \
		"$D/usr/share/initramfs-tools/hooks/vfiohost"
	assert_output $'vfiohost_prefix=/usr/local\nvfiohost_prefix=/usr/local'
	[ -f "$D/etc/vfiohost.conf" ]
}

@test "uninstall removes what install put, and keeps the policy" {
	inst install PREFIX=/usr
	inst uninstall PREFIX=/usr
	run find "$D" -type f
	assert_output "$D/etc/vfiohost.conf"
}

@test "the man pages render without warnings" {
	for page in "$REPO_DIR/docs/vfiohost.8" "$REPO_DIR/docs/vfiohost.conf.5"; do
		run bash -c "LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l '$page' 2>&1 >/dev/null"
		assert_output ""
	done
}
