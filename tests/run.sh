#!/bin/sh
# Runs every test suite (each speaks TAP), keeps their output under BUILD/tests, and
# prints "N passed, N failed, N skipped" as the last line. Exit 1 if anything failed.
#   usage: tests/run.sh [BUILD]      E2E=0 skips the QEMU boots (they say so)
set -u
BUILD=${1:-build}
OUT=$BUILD/tests
mkdir -p "$OUT"
: >"$OUT/all.tap"

# suite NAME COMMAND...: runs one suite, shows and keeps its TAP.
suite() {
	name=$1
	shift
	echo "# ---- $name" | tee -a "$OUT/all.tap"
	"$@" 2>"$OUT/$name.stderr" | tee "$OUT/$name.tap" | tee -a "$OUT/all.tap"
	if ! grep -q '^\(not \)\{0,1\}ok ' "$OUT/$name.tap"; then
		echo "not ok - $name produced no result (see $OUT/$name.stderr)" | tee -a "$OUT/all.tap"
		tail -n 20 "$OUT/$name.stderr" | sed 's/^/# /'
	fi
}

suite unit "$BUILD/dev/unit"
suite bats env VFIOHOST="$BUILD/vfiohost" bats --tap tests tests/e2e/hook.bats
suite bats-asan env VFIOHOST="$BUILD/dev/vfiohost" bats --tap tests
# The fake-host files once more under valgrind's memcheck (glibc build, no sanitizers).
suite valgrind env VFIOHOST="$PWD/tests/valgrind.sh" VG_AGENT="$PWD/$BUILD/vg/vfiohost" \
	bats --tap tests/plan.bats tests/check.bats tests/hugepages.bats tests/status.bats tests/boot.bats
suite lint sh tests/lint.sh
if [ -x tests/fuzz/run.sh ]; then
	suite fuzz sh tests/fuzz/run.sh "$BUILD" 60
fi
# The Debian package: built, checked by lintian, installed into and removed from a fresh
# Debian root (root only, minutes; PACKAGE=0 skips it and says so).
suite package bash tests/package.sh
# The Ansible example (docs/ansible/) played into a fresh Debian root through Ansible's
# chroot connection (root only, minutes; ANSIBLE=0 skips it and says so).
suite ansible bash tests/ansible.sh
if [ "${E2E:-1}" = 0 ]; then
	echo "ok - QEMU boot tests # SKIP E2E=0 was given" | tee -a "$OUT/all.tap"
else
	suite e2e bash tests/e2e/run.sh "$BUILD/vfiohost"
fi

passed=$(grep -c '^ok .*' "$OUT/all.tap" | tr -d ' ')
skipped=$(grep -ci '^ok .*# skip' "$OUT/all.tap" | tr -d ' ')
failed=$(grep -c '^not ok ' "$OUT/all.tap" | tr -d ' ')
passed=$((passed - skipped))
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
