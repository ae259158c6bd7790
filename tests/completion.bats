#!/usr/bin/env bats
# Bash completion (docs/completion/vfiohost, issue 12): commands, each command's options,
# directories after --root and policy files after --config, through bash-completion's
# own loader functions as an interactive shell would use them.

load helpers

COMPLETION="$REPO_DIR/docs/completion/vfiohost"

setup() {
	[ -r /usr/share/bash-completion/bash_completion ] ||
		skip "bash-completion missing: sh tests/deps.sh test"
}

# completes WORD...: what <Tab> offers for `vfiohost WORD...`, the cursor at the end of the
# last word, one candidate a line, sorted.
completes() {
	run bash -c '
		. /usr/share/bash-completion/bash_completion
		. "$1"
		shift
		COMP_WORDS=(vfiohost "$@")
		COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
		COMP_LINE="${COMP_WORDS[*]}"
		COMP_POINT=${#COMP_LINE}
		_vfiohost vfiohost "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
		printf "%s\n" "${COMPREPLY[@]}" | sort' _ "$COMPLETION" "$@"
	assert_success
}

@test "completion offers every command of vfiohost --help" {
	completes ""
	local want
	want=$("$VFIOHOST" --help | awk '/^commands:/ { on = 1; next } on && /^$/ { exit } on { print $1 }' | sort)
	[ -n "$want" ]
	assert_output "$want"
}

@test "completion completes a command's prefix" {
	completes st
	assert_output "status"
}

@test "completion offers status's options, --prometheus among them" {
	completes status --
	assert_line --index 0 --regexp '^--'
	assert_line -- "--prometheus"
	assert_line -- "--json"
	refute_line -- "--deadline"
}

@test "completion offers plan's options: --json and --modules" {
	completes plan --
	assert_line -- "--modules"
	assert_line -- "--json"
	refute_line -- "--prometheus"
}

@test "completion offers boot's options: --deadline and --verbose, not --json" {
	completes boot --
	assert_line -- "--deadline"
	assert_line -- "--verbose"
	refute_line -- "--json"
}

@test "completion offers every long option of vfiohost --help before a command" {
	completes --
	local o
	for o in $("$VFIOHOST" --help | grep -o -- '--[a-z]*' | sort -u); do
		assert_line -- "$o"
	done
}

@test "completion offers directories only after --root" {
	mkdir -p "$BATS_TEST_TMPDIR/c/tree"
	touch "$BATS_TEST_TMPDIR/c/file"
	cd "$BATS_TEST_TMPDIR/c"
	completes --root ""
	assert_output "tree"
}

@test "completion offers policy files and folders after --config" {
	mkdir -p "$BATS_TEST_TMPDIR/c/sub"
	touch "$BATS_TEST_TMPDIR/c/gpu.conf" "$BATS_TEST_TMPDIR/c/notes.txt"
	cd "$BATS_TEST_TMPDIR/c"
	completes --config ""
	assert_output $'gpu.conf\nsub'
}

@test "completion takes the command after --config FILE, not the file" {
	completes --config plan.conf status --p
	assert_output -- "--prometheus"
}

@test "make install puts the completion where bash-completion looks" {
	D="$BATS_TEST_TMPDIR/dest"
	make -s -C "$REPO_DIR" install DESTDIR="$D" PREFIX=/usr >/dev/null
	cmp "$COMPLETION" "$D/usr/share/bash-completion/completions/vfiohost"
	make -s -C "$REPO_DIR" uninstall DESTDIR="$D" PREFIX=/usr >/dev/null
	[ ! -e "$D/usr/share/bash-completion/completions/vfiohost" ]
}

@test "the completion script is shellcheck clean (bash)" {
	command -v shellcheck >/dev/null || skip "shellcheck missing"
	run shellcheck -s bash "$COMPLETION"
	assert_success
}

@test "completion offers the installed kernels after --kernel, and still finds the command after it" {
	[ -d /lib/modules ] && [ -n "$(ls /lib/modules)" ] || skip "no /lib/modules folders on this machine"
	completes --kernel ""
	assert_line "$(ls /lib/modules | head -n 1)"
	completes --kernel "$(ls /lib/modules | head -n 1)" plan --
	assert_line -- "--modules"
	refute_line -- "--prometheus"
}
