# Shared by the bats files: build fake hosts and run vfiohost against them.
#   VFIOHOST  the binary under test (default: build/vfiohost of this checkout)
#   GUIDE     the seed guide (host-setup-guide.txt): someone else's text, not in the
#             project; the tests that compare with it or its script run only when it is set
load '/usr/lib/bats/bats-support/load'
load '/usr/lib/bats/bats-assert/load'

TESTS_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_DIR="$(dirname "$TESTS_DIR")"
VFIOHOST="${VFIOHOST:-$REPO_DIR/build/vfiohost}"
case "$VFIOHOST" in /*) ;; *) VFIOHOST="$PWD/$VFIOHOST" ;; esac # tests may cd
TOPOLOGIES="$TESTS_DIR/hosts/topologies" # real hosts, as published (see its README)
GUIDE="${GUIDE:-}"

# need_guide WHAT: skips the test unless GUIDE= names the seed guide; WHAT is what of the
# guide the test compares with.  A GUIDE that is set but unreadable is a failure, not a skip.
need_guide() {
	[ -n "$GUIDE" ] ||
		skip "GUIDE= does not name the seed guide (host-setup-guide.txt): the comparison with $1 needs it"
	[ -r "$GUIDE" ] || fail "GUIDE=$GUIDE: cannot read the seed guide there"
}

# mkhost NAME|PATH: builds tests/hosts/NAME.host, or PATH (one with a '/'), into $ROOT.
mkhost() {
	ROOT="$BATS_TEST_TMPDIR/root"
	rm -rf "$ROOT"
	python3 "$TESTS_DIR/mkhost" "$1" "$ROOT" >/dev/null
}

# mkhost_text: builds a host from the description on stdin.
mkhost_text() {
	cat >"$BATS_TEST_TMPDIR/inline.host"
	mkhost "$BATS_TEST_TMPDIR/inline.host"
}

# policy: writes the policy on stdin to $ROOT/etc/vfiohost.conf (mode 0644).
policy() {
	mkdir -p "$ROOT/etc"
	cat >"$ROOT/etc/vfiohost.conf"
	chmod 0644 "$ROOT/etc/vfiohost.conf"
}

# vh ARGS...: runs vfiohost against $ROOT (use with `run vh ...`).
vh() {
	"$VFIOHOST" --root "$ROOT" "$@"
}

# jqr FILTER: jq on $output (the last `run`).
jqr() {
	printf '%s\n' "$output" | jq -r "$@"
}
