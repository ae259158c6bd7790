#!/usr/bin/env bats
# The command line of vfiohost (SPEC section 2): help, version, usage errors, option order.

bats_require_minimum_version 1.5.0
load helpers

setup_file() {
	export BATS_NO_PARALLELIZE_WITHIN_FILE=true
}

# host NAME: $ROOT is tests/hosts/NAME.host, built once for this file (these commands only read it).
host() {
	ROOT="$BATS_FILE_TMPDIR/$1"
	[ -d "$ROOT" ] || python3 "$TESTS_DIR/mkhost" "$TESTS_DIR/hosts/$1.host" "$ROOT" >/dev/null
	rm -rf "$ROOT/etc/vfiohost.conf"
}

# The usage text's first line, which every usage error must show on stderr.
USAGE_RE='usage: vfiohost \[--root DIR\] \[--config FILE\] COMMAND'

@test "--help prints the usage on stdout and exits 0" {
	run --separate-stderr "$VFIOHOST" --help
	assert_success
	assert_regex "$output" "$USAGE_RE"
	for cmd in check plan boot status; do
		grep -q "^  $cmd " <<<"$output" || fail "no line for $cmd in the usage"
	done
	assert_equal "$stderr" ""
}

@test "-h is --help" {
	run --separate-stderr "$VFIOHOST" -h
	assert_success
	assert_regex "$output" "$USAGE_RE"
}

@test "--help after a command still prints the usage and exits 0" {
	run --separate-stderr "$VFIOHOST" plan --help
	assert_success
	assert_regex "$output" "$USAGE_RE"
}

@test "--version prints one line 'vfiohost X.Y.Z' and exits 0" {
	run --separate-stderr "$VFIOHOST" --version
	assert_success
	assert_regex "$output" '^vfiohost [0-9]+\.[0-9]+\.[0-9]+$'
	assert_equal "$stderr" ""
}

@test "-V is --version" {
	run --separate-stderr "$VFIOHOST" -V
	assert_success
	assert_regex "$output" '^vfiohost [0-9]+\.[0-9]+\.[0-9]+$'
}

@test "no command: exit 2, the usage on stderr, nothing on stdout" {
	run --separate-stderr "$VFIOHOST"
	assert_failure 2
	assert_equal "$output" ""
	assert_regex "$stderr" "$USAGE_RE"
}

@test "only options and no command: exit 2 with the usage on stderr" {
	host desktop-1gpu
	run --separate-stderr "$VFIOHOST" --root "$ROOT" --json
	assert_failure 2
	assert_equal "$output" ""
	assert_regex "$stderr" "$USAGE_RE"
}

@test "an unknown command: exit 2, names it, usage on stderr" {
	host desktop-1gpu
	run --separate-stderr vh frobnicate
	assert_failure 2
	assert_equal "$output" ""
	assert_regex "$stderr" "frobnicate"
	assert_regex "$stderr" "$USAGE_RE"
}

@test "commands are case-sensitive: PLAN is an unknown command" {
	host desktop-1gpu
	run --separate-stderr vh PLAN
	assert_failure 2
	assert_regex "$stderr" "PLAN"
}

@test "an unknown long option: exit 2, names it, usage on stderr" {
	host desktop-1gpu
	run --separate-stderr vh plan --frobnicate
	assert_failure 2
	assert_equal "$output" ""
	assert_regex "$stderr" "frobnicate"
	assert_regex "$stderr" "$USAGE_RE"
}

@test "an unknown option before the command: exit 2 with the usage" {
	host desktop-1gpu
	run --separate-stderr "$VFIOHOST" --bogus --root "$ROOT" check
	assert_failure 2
	assert_equal "$output" ""
	assert_regex "$stderr" "$USAGE_RE"
}

@test "an unknown short option: exit 2 with the usage" {
	host desktop-1gpu
	run --separate-stderr vh check -q
	assert_failure 2
	assert_regex "$stderr" "$USAGE_RE"
}

@test "a second command word: exit 2, names the extra argument" {
	host desktop-1gpu
	run --separate-stderr vh plan check
	assert_failure 2
	assert_equal "$output" ""
	assert_regex "$stderr" "'check'"
}

@test "--root without its argument: exit 2" {
	run --separate-stderr "$VFIOHOST" check --root
	assert_failure 2
	assert_regex "$stderr" "root"
}

@test "options may come before the command" {
	host desktop-1gpu
	policy <<<$'[vfio]\nbind = 10de:2484'
	run --separate-stderr "$VFIOHOST" --root "$ROOT" --config /etc/vfiohost.conf --json plan
	assert_success
	assert_equal "$(jqr '[.functions[].bdf] | join(" ")')" "0000:01:00.0 0000:01:00.1"
}

@test "options may come after the command, with the same result" {
	host desktop-1gpu
	policy <<<$'[vfio]\nbind = 10de:2484'
	run --separate-stderr "$VFIOHOST" --root "$ROOT" --json plan
	local before="$output"
	run --separate-stderr "$VFIOHOST" plan --json --root "$ROOT" --config /etc/vfiohost.conf
	assert_success
	assert_equal "$output" "$before"
	assert_equal "$(jqr '[.functions[].bdf] | join(" ")')" "0000:01:00.0 0000:01:00.1"
}

@test "options may surround the command" {
	host desktop-1gpu
	run --separate-stderr "$VFIOHOST" --json check --root "$ROOT"
	assert_success
	assert_equal "$(jqr '.iommu.groups')" 9
}

@test "--config FILE (absolute) is read under --root" {
	host desktop-1gpu
	policy <<<$'[vfio]\nbind = 10de:2484'
	printf '[vfio]\n\n\nbind = 10de:2484\n' >"$ROOT/etc/other.conf"
	run --separate-stderr vh --config /etc/other.conf plan --json
	assert_success
	assert_equal "$(jqr '.policy')" "/etc/other.conf"
	assert_equal "$(jqr '.functions[0] | "\(.bdf) \(.reason)"')" "0000:01:00.0 bind at line 4"
}

@test "--config FILE (relative) is read from the working directory" {
	host desktop-1gpu
	mkdir -p "$BATS_TEST_TMPDIR/cwd"
	printf '[vfio]\nbind = 01:00\n' >"$BATS_TEST_TMPDIR/cwd/mine.conf"
	VFIOHOST="$(readlink -f "$VFIOHOST")" # it may be given relative to the checkout
	cd "$BATS_TEST_TMPDIR/cwd"
	run --separate-stderr vh plan --json --config mine.conf
	assert_success
	assert_equal "$(jqr '.policy')" "mine.conf"
	assert_equal "$(jqr '[.functions[].bdf] | join(" ")')" "0000:01:00.0 0000:01:00.1"
}

@test "--config naming a missing file means no policy: exit 0" {
	host desktop-1gpu
	run --separate-stderr vh --config /etc/none.conf validate
	assert_success
	assert_regex "$output" "/etc/none.conf"
}

@test "a --root that does not exist: check exits 2 naming it" {
	run --separate-stderr "$VFIOHOST" --root "$BATS_TEST_TMPDIR/nowhere" check
	assert_failure 2
	assert_regex "$stderr" "nowhere"
}

@test "a --root that does not exist: validate exits 2 naming it" {
	run --separate-stderr "$VFIOHOST" --root "$BATS_TEST_TMPDIR/nowhere" validate
	assert_failure 2
	assert_regex "$stderr" "nowhere"
}

@test "a --root that does not exist: plan exits 2 naming it (nothing was done, so not 1)" {
	run --separate-stderr "$VFIOHOST" --root "$BATS_TEST_TMPDIR/nowhere" plan
	assert_regex "$stderr" "nowhere"
	assert_failure 2
}

@test "--json makes plan print one JSON object" {
	host desktop-1gpu
	policy <<<$'[vfio]\nbind = 10de:2484'
	run --separate-stderr vh plan --json
	assert_success
	jq -e 'type == "object"' <<<"$output"
}

@test "--deadline takes a number of seconds: 5, 0.5 and 3600 are accepted" {
	host desktop-1gpu
	for d in 5 0.5 3600; do
		run --separate-stderr vh validate --deadline "$d"
		assert_success
	done
}

@test "--deadline refuses what is not a number: exit 2 naming --deadline" {
	host desktop-1gpu
	for d in abc '' 5s nan inf; do
		run --separate-stderr vh --deadline "$d" validate
		[ "$status" -eq 2 ] || fail "--deadline '$d': exit $status, want 2"
		assert_regex "$stderr" "deadline"
		assert_equal "$output" ""
	done
}

@test "--deadline refuses zero and negative numbers: exit 2" {
	host desktop-1gpu
	for d in 0 -1 -0.5; do
		run --separate-stderr vh --deadline "$d" validate
		[ "$status" -eq 2 ] || fail "--deadline '$d': exit $status, want 2"
		assert_regex "$stderr" "deadline"
	done
}

@test "--deadline refuses more than an hour: exit 2" {
	host desktop-1gpu
	for d in 3601 1e9; do
		run --separate-stderr vh --deadline "$d" validate
		[ "$status" -eq 2 ] || fail "--deadline '$d': exit $status, want 2"
		assert_regex "$stderr" "deadline"
	done
}

@test "--deadline without its argument: exit 2" {
	host desktop-1gpu
	run --separate-stderr vh validate --deadline
	assert_failure 2
	assert_regex "$stderr" "deadline"
}

@test "a bad --deadline is refused before any command runs (boot changes nothing)" {
	host desktop-1gpu
	policy <<<$'[vfio]\nbind = 10de:2484'
	local before
	before="$(cd "$ROOT" && find . -printf '%p %y %s %T@\n' | sort)"
	run --separate-stderr vh boot --deadline 0
	assert_failure 2
	assert_equal "$(cd "$ROOT" && find . -printf '%p %y %s %T@\n' | sort)" "$before"
}
