#!/bin/sh
# Lint as TAP: shell scripts with shellcheck (POSIX sh where they run at boot), C with
# clang-format (the style of .clang-format).
set -u
cd "$(dirname "$0")/.." || exit 1
n=0
for f in hook/* dracut-module/*.sh initramfs-tools/hooks/* initramfs-tools/scripts/*/* \
	tests/deps.sh tests/run.sh tests/lint.sh tests/valgrind.sh tests/fuzz/run.sh agent/libkmod/fetch.sh \
	agent/libkmod/apt-sources.sh; do
	[ -f "$f" ] || continue
	n=$((n + 1))
	if out=$(shellcheck -s sh "$f" 2>&1) && sh -n "$f"; then
		echo "ok $n - shellcheck -s sh $f"
	else
		echo "not ok $n - shellcheck -s sh $f"
		printf '%s\n' "$out" | sed 's/^/# /'
	fi
done
# The bash scripts of the tests (the QEMU boots, the fresh roots).
for f in .ci/run tests/fresh.sh tests/package.sh tests/ansible.sh tests/debroot.bash tests/e2e/*.sh bench/*.sh; do
	n=$((n + 1))
	if out=$(shellcheck -x -s bash "$f" 2>&1) && bash -n "$f"; then
		echo "ok $n - shellcheck -s bash $f"
	else
		echo "not ok $n - shellcheck -s bash $f"
		printf '%s\n' "$out" | sed 's/^/# /'
	fi
done
n=$((n + 1))
if out=$(clang-format --dry-run --Werror agent/*.c agent/*.h agent/musl/*.c tests/unit/*.c tests/unit/*.h bench/*.c 2>&1); then
	echo "ok $n - clang-format agent/ tests/unit/"
else
	echo "not ok $n - clang-format agent/ tests/unit/"
	printf '%s\n' "$out" | head -n 20 | sed 's/^/# /'
fi
echo "1..$n"
