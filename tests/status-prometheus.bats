#!/usr/bin/env bats
# `vfiohost status --prometheus` (issue 12, fleet monitoring): node_exporter textfile metrics
# after a boot on a fake host, checked by a real parser (promtool check metrics, from
# Debian's prometheus package), and the timer's writer that puts them in node_exporter's
# folder atomically.

bats_require_minimum_version 1.5.0
load helpers
load fake

teardown() {
	fake_teardown
}

# promtool_ok: promtool accepts $output as metrics (lint problems included).
promtool_ok() {
	command -v promtool >/dev/null || skip "promtool missing: sh tests/deps.sh test"
	run promtool check metrics <<<"$output"
	assert_success
	assert_output ""
}

# booted [FAKEKERNEL OPTIONS]: mkhost_act with bind = 10de:* and a boot under the fake kernel.
booted() {
	mkhost_act
	policy_act $'[hugepages]\npages = 4\n'
	fk_start "$@"
	vh_run --deadline 5 boot
	fk_stop
}

@test "status --prometheus after a boot: promtool accepts it" {
	booted
	vh_run status --prometheus
	assert_success
	promtool_ok
}

@test "status --prometheus counts functions bound, already bound, failed and refused" {
	booted --refuse 0000:02:00.0
	vh_run status --prometheus
	assert_failure 1
	assert_line 'vfiohost_functions{outcome="bound"} 2'
	assert_line 'vfiohost_functions{outcome="already"} 1'
	assert_line 'vfiohost_functions{outcome="failed"} 1'
	assert_line 'vfiohost_functions{outcome="refused"} 0'
	assert_line 'vfiohost_functions_on_vfio 3'
	assert_line 'vfiohost_problems 1'
	promtool_ok
}

@test "status --prometheus counts a group refused for a NIC in it" {
	mkhost shared-group
	printf '[vfio]\nbind = 10de:*\n' | policy
	fk_start
	vh_run --deadline 5 boot
	fk_stop
	vh_run status --prometheus
	refute_line 'vfiohost_functions{outcome="refused"} 0'
	assert_line --regexp '^vfiohost_functions\{outcome="refused"\} [1-9][0-9]*$'
	promtool_ok
}

@test "status --prometheus gives hugepages asked and obtained (node all on a one-node host)" {
	booted
	vh_run status --prometheus
	assert_line 'vfiohost_hugepage_size_bytes 1073741824'
	assert_line 'vfiohost_hugepages_asked{node="all"} 4'
	assert_line 'vfiohost_hugepages_obtained{node="all"} 4'
	assert_line 'vfiohost_hugepages_reserved 4'
}

@test "status --prometheus gives hugepages asked and obtained per NUMA node" {
	mkhost server-8gpu
	printf '[vfio]\nbind = 10de:2330\n[hugepages]\npages = 10\nnodes = even\n' | policy
	fk_start
	vh_run --deadline 5 boot
	fk_stop
	echo 2 >"$ROOT/sys/devices/system/node/node1/hugepages/hugepages-1048576kB/nr_hugepages"
	vh_run status --prometheus
	assert_failure 1
	assert_line 'vfiohost_hugepages_asked{node="0"} 5'
	assert_line 'vfiohost_hugepages_asked{node="1"} 5'
	assert_line 'vfiohost_hugepages_obtained{node="1"} 5'
	assert_line 'vfiohost_hugepages_reserved 7'
	assert_line 'vfiohost_functions{outcome="bound"} 8'
	promtool_ok
}

@test "status --prometheus gives the last boot's phase times in seconds" {
	booted
	vh_run status --prometheus
	for p in decide claim hugepages bind total; do
		assert_line --regexp "^vfiohost_boot_phase_seconds\{phase=\"$p\"\} [0-9]+\.[0-9]{6}$"
	done
}

@test "status --prometheus: image_stale is 0, then 1 once the policy changed after boot" {
	booted
	vh_run status --prometheus
	assert_line 'vfiohost_image_stale 0'
	echo "skip = 0000:02:00.0" >>"$ROOT/etc/vfiohost.conf"
	vh_run status --prometheus
	assert_failure 1
	assert_line 'vfiohost_image_stale 1'
	promtool_ok
}

@test "status --prometheus without a report: vfiohost_report 0, exit 1, still valid metrics" {
	mkhost_act
	policy_act
	vh_run status --prometheus
	assert_failure 1
	assert_line 'vfiohost_report 0'
	assert_line 'vfiohost_functions{outcome="bound"} 0'
	assert_line 'vfiohost_problems 1'
	# stderr says why, as plain status does; the metrics must still parse without it.
	run --separate-stderr vh status --prometheus
	promtool_ok
}

@test "status --prometheus takes no label from a tampered report" {
	booted
	local r="$ROOT/run/vfiohost/report.json"
	jq '.mode = "x\ny" | .phases_us["de\"cide}"] = 5' "$r" >"$r.new" && mv "$r.new" "$r"
	vh_run status --prometheus
	refute_output --partial 'cide}'
	assert_line --partial 'mode="none"'
	promtool_ok
}

# ---- the timer's writer (docs/systemd/vfiohost-metrics)

METRICS="$REPO_DIR/docs/systemd/vfiohost-metrics"

@test "vfiohost-metrics writes DIR/vfiohost.prom and leaves no temporary file" {
	booted
	mkdir "$BATS_TEST_TMPDIR/tf"
	VFIOHOST_BIN="$VFIOHOST" run sh "$METRICS" "$BATS_TEST_TMPDIR/tf" --root "$ROOT"
	assert_success
	run ls -A "$BATS_TEST_TMPDIR/tf"
	assert_output "vfiohost.prom"
	[ "$(stat -c %a "$BATS_TEST_TMPDIR/tf/vfiohost.prom")" = 644 ]
	output=$(cat "$BATS_TEST_TMPDIR/tf/vfiohost.prom")
	promtool_ok
}

@test "vfiohost-metrics keeps the previous file when the agent fails (exit 2)" {
	booted
	mkdir "$BATS_TEST_TMPDIR/tf"
	echo "old" >"$BATS_TEST_TMPDIR/tf/vfiohost.prom"
	VFIOHOST_BIN="$VFIOHOST" run sh "$METRICS" "$BATS_TEST_TMPDIR/tf" --root "$ROOT" --bogus
	assert_failure 1
	assert_output --partial "left as it was"
	run ls -A "$BATS_TEST_TMPDIR/tf"
	assert_output "vfiohost.prom"
	[ "$(cat "$BATS_TEST_TMPDIR/tf/vfiohost.prom")" = old ]
}

@test "vfiohost-metrics writes the file when status finds a problem (exit 1 is data)" {
	mkhost_act
	policy_act
	mkdir "$BATS_TEST_TMPDIR/tf"
	VFIOHOST_BIN="$VFIOHOST" run sh "$METRICS" "$BATS_TEST_TMPDIR/tf" --root "$ROOT"
	assert_success
	grep -qx 'vfiohost_report 0' "$BATS_TEST_TMPDIR/tf/vfiohost.prom"
}

@test "vfiohost-metrics says so when node_exporter's folder is missing" {
	VFIOHOST_BIN="$VFIOHOST" run sh "$METRICS" "$BATS_TEST_TMPDIR/nowhere"
	assert_failure 1
	assert_output --partial "no folder $BATS_TEST_TMPDIR/nowhere"
}

@test "make install puts the metrics service and timer, pointed at PREFIX, none enabled" {
	D="$BATS_TEST_TMPDIR/dest"
	make -s -C "$REPO_DIR" install DESTDIR="$D" PREFIX=/usr/local \
		SYSTEMDUNITDIR=/usr/lib/systemd/system >/dev/null
	[ -x "$D/usr/local/lib/vfiohost/vfiohost-metrics" ]
	grep -qx 'vfiohost_prefix=/usr/local' "$D/usr/local/lib/vfiohost/vfiohost-metrics"
	grep -qx 'ExecStart=/usr/local/lib/vfiohost/vfiohost-metrics /var/lib/prometheus/node-exporter' \
		"$D/usr/lib/systemd/system/vfiohost-metrics.service"
	[ -f "$D/usr/lib/systemd/system/vfiohost-metrics.timer" ]
	# Disabled: nothing under /etc/systemd links to them.
	[ ! -e "$D/etc/systemd" ]
}

@test "the metrics units pass systemd-analyze verify" {
	command -v systemd-analyze >/dev/null || skip "systemd-analyze missing"
	D="$BATS_TEST_TMPDIR/dest"
	make -s -C "$REPO_DIR" install DESTDIR="$D" PREFIX=/usr \
		SYSTEMDUNITDIR=/usr/lib/systemd/system >/dev/null
	# verify looks for ExecStart's program on this host: point it into DESTDIR.
	mkdir "$BATS_TEST_TMPDIR/units"
	sed "s|^ExecStart=|ExecStart=$D|" "$D/usr/lib/systemd/system/vfiohost-metrics.service" \
		>"$BATS_TEST_TMPDIR/units/vfiohost-metrics.service"
	cp "$D/usr/lib/systemd/system/vfiohost-metrics.timer" "$BATS_TEST_TMPDIR/units/"
	run systemd-analyze verify --man=no "$BATS_TEST_TMPDIR/units/vfiohost-metrics.service" \
		"$BATS_TEST_TMPDIR/units/vfiohost-metrics.timer"
	assert_success
	refute_output --partial vfiohost
}
