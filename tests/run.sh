#!/bin/sh
# Runs every test suite (each speaks TAP), keeps their output under BUILD/tests, and
# prints "N passed, N failed, N skipped" as the last line. Exit 1 if anything failed.
#   usage: tests/run.sh [BUILD]
# Each of these left out says so as a skipped test: E2E=0 the QEMU boots (E2E_ROOT=0 only
# the one on to a real root), SANITIZERS=0 the ASan and valgrind runs, FUZZ=0 the fuzzer,
# PACKAGE=0 the Debian package, ANSIBLE=0 the Ansible role; SKIP_WHY adds a reason.
set -u
BUILD=${1:-build}
OUT=$BUILD/tests
mkdir -p "$OUT"
: >"$OUT/all.tap"

# suite NAME COMMAND...: runs one suite, shows and keeps its TAP, and says how long it took
# (a comment line, which CI's log keeps).
suite() {
	name=$1
	shift
	echo "# ---- $name" | tee -a "$OUT/all.tap"
	t0=$(date +%s)
	"$@" 2>"$OUT/$name.stderr" | tee "$OUT/$name.tap" | tee -a "$OUT/all.tap"
	if ! grep -q '^\(not \)\{0,1\}ok ' "$OUT/$name.tap"; then
		echo "not ok - $name produced no result (see $OUT/$name.stderr)" | tee -a "$OUT/all.tap"
		tail -n 20 "$OUT/$name.stderr" | sed 's/^/# /'
	fi
	echo "# ---- $name took $(($(date +%s) - t0)) s" | tee -a "$OUT/all.tap"
}

# skipped NAME VAR: a suite left out by VAR=0, as one skipped test saying so.
skipped() {
	echo "ok - $1 # SKIP $2=0 was given${SKIP_WHY:+ ($SKIP_WHY)}" | tee -a "$OUT/all.tap"
}

suite unit "$BUILD/dev/unit"
suite bats env VFIOHOST="$BUILD/vfiohost" bats --tap tests tests/e2e/hook.bats
# SANITIZERS=0 leaves out the two runs below (CI gives it to its Debian 12 root: they
# check the agent's C, the same on both releases, and run in its Debian 13 root).
if [ "${SANITIZERS:-1}" = 0 ]; then
	skipped "every bats file against the ASan/UBSan build, and the fake hosts under valgrind" SANITIZERS
else
	suite bats-asan env VFIOHOST="$BUILD/dev/vfiohost" bats --tap tests
	# The fake-host files once more under valgrind's memcheck (glibc build, no sanitizers).
	suite valgrind env VFIOHOST="$PWD/tests/valgrind.sh" VG_AGENT="$PWD/$BUILD/vg/vfiohost" \
		bats --tap tests/plan.bats tests/check.bats tests/hugepages.bats tests/status.bats \
		tests/boot.bats
fi
suite lint sh tests/lint.sh
if [ "${FUZZ:-1}" = 0 ]; then
	skipped "libFuzzer over the parser and the decisions" FUZZ
elif [ -x tests/fuzz/run.sh ]; then
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
