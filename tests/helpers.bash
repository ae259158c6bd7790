# Shared by the bats files: build fake hosts and run vfiohost against them.
#   VFIOHOST  the binary under test (default: build/vfiohost of this checkout)
load '/usr/lib/bats/bats-support/load'
load '/usr/lib/bats/bats-assert/load'

TESTS_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_DIR="$(dirname "$TESTS_DIR")"
VFIOHOST="${VFIOHOST:-$REPO_DIR/build/vfiohost}"
case "$VFIOHOST" in /*) ;; *) VFIOHOST="$PWD/$VFIOHOST" ;; esac # tests may cd
TOPOLOGIES="${TOPOLOGIES:-$REPO_DIR/../shared/topologies}"

# mkhost NAME|PATH: builds tests/hosts/NAME.host (or a path) into $ROOT.
mkhost() {
	local src="$1"
	[ -f "$src" ] || src="$TESTS_DIR/hosts/$1.host"
	ROOT="$BATS_TEST_TMPDIR/root"
	rm -rf "$ROOT"
	python3 "$TESTS_DIR/mkhost" "$src" "$ROOT" >/dev/null
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
