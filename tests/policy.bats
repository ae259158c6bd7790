#!/usr/bin/env bats
# The policy grammar of SPEC section 3: what is accepted, and every error as FILE:LINE.
# A bad policy must make both `validate` and `plan` exit 2 and write nothing.

bats_require_minimum_version 1.5.0
load helpers

CONF=/etc/vfiohost.conf

setup_file() {
	export BATS_NO_PARALLELIZE_WITHIN_FILE=true
}

# Every test starts on the desktop host (built once for this file) without a policy.
setup() {
	ROOT="$BATS_FILE_TMPDIR/desktop"
	[ -d "$ROOT" ] || python3 "$TESTS_DIR/mkhost" "$TESTS_DIR/hosts/desktop-1gpu.host" "$ROOT" >/dev/null
	rm -rf "$ROOT/etc/vfiohost.conf"
}

# Every path, type, mode, size, mtime and link target of the tree (any write changes an mtime).
snapshot() {
	(cd "$ROOT" && find . -printf '%p %y %m %s %T@ %l\n' | sort)
}

# stderr_has REGEX: a line of $stderr matches the extended regex.
stderr_has() {
	grep -Eq -- "$1" <<<"$stderr" || fail "no line of stderr matches /$1/; stderr: $stderr"
}

# refused LINE REGEX: validate and plan --json exit 2, print nothing on stdout,
# say "/etc/vfiohost.conf:LINE: ..." matching REGEX on stderr, and leave the tree as it was.
refused() {
	local line="$1" re="$2" before
	before="$(snapshot)"
	for cmd in validate "plan --json"; do
		# shellcheck disable=SC2086
		run --separate-stderr vh $cmd
		[ "$status" -eq 2 ] || fail "$cmd: exit $status, want 2; stderr: $stderr"
		assert_equal "$output" ""
		stderr_has "^$CONF:$line: .*$re"
	done
	assert_equal "$(snapshot)" "$before"
}

# accepted: validate and plan both take the policy (plan exits 0 or 1, never 2).
accepted() {
	run --separate-stderr vh validate
	assert_success
	assert_regex "$output" "valid"
	assert_equal "$stderr" ""
	run --separate-stderr vh plan --json
	[ "$status" -le 1 ] || fail "plan: exit $status; stderr: $stderr"
}

# ---------------------------------------------------------------- accepted forms

@test "the example policy of SPEC section 3, comments and all, is valid" {
	policy <<-'EOF'
		[vfio]
		bind = 10de:* class=03        # all NVIDIA display controllers (VGA 0300, 3D 0302)
		bind = 0000:81:00             # a whole slot (every function), or 0000:81:00.1 one function
		skip = 0000:c1:00.0           # never this one, whatever a bind line says
		companions = yes              # also take the other functions of each selected function's slot (audio, USB-C, UCSI)
		isolation = strict            # strict | warn
		boot-vga = skip               # skip | allow
		options = disable_vga=1       # module options for vfio-pci (optional)
		expect = 8                    # how many functions should end up on vfio-pci (optional)

		[hugepages]
		size = 1G                     # 1G | 2M
		pages = max                   # max | N | N%   (of the budget)
		keep-free = auto              # auto | a size such as 64G or 512M
		nodes = auto                  # auto | even
	EOF
	accepted
}

@test "an empty [vfio] section binds nothing: plan exits 0 with no functions" {
	policy <<<'[vfio]'
	accepted
	assert_success
	assert_equal "$(jqr '.functions | length')" 0
	assert_equal "$(jqr '.hugepages')" null
}

@test "an empty policy file is valid and binds nothing" {
	: | policy
	accepted
	assert_success
	assert_equal "$(jqr '.functions | length')" 0
}

@test "bind and skip are repeatable" {
	policy <<-'EOF'
		[vfio]
		bind = 10de:2484
		bind = 10de:228b
		skip = 0000:03:00.0
		skip = 0000:02:00.0
	EOF
	accepted
}

@test "key names are case-insensitive" {
	policy <<-'EOF'
		[vfio]
		BIND = 10de:2484
		Companions = no
		ISOLATION = warn
	EOF
	accepted
	assert_equal "$(jqr '[.functions[].bdf] | join(" ")')" "0000:01:00.0"
	assert_equal "$(jqr '.functions[0].action')" bind
}

@test "section names are case-insensitive" {
	policy <<-'EOF'
		[VFIO]
		bind = 10de:2484
		[HugePages]
		size = 2M
	EOF
	accepted
	assert_equal "$(jqr '.functions | length')" 2
	assert_equal "$(jqr '.hugepages.size_kib')" 2048
}

@test "spaces around the section name and the = sign are optional" {
	policy <<-'EOF'
		[ vfio ]
		bind=10de:2484
		  companions	=	no
	EOF
	accepted
	assert_equal "$(jqr '[.functions[].bdf] | join(" ")')" "0000:01:00.0"
}

@test "a comment after a value is not part of the value" {
	policy <<-'EOF'
		[vfio]
		bind = 10de:2484   # the RTX 3070
		isolation = warn# no space before the hash
		expect = 2 # the GPU and its audio
	EOF
	accepted
	assert_success
	assert_equal "$(jqr '[.functions[].bdf] | join(" ")')" "0000:01:00.0 0000:01:00.1"
	assert_equal "$(jqr '.warnings | length')" 0
}

@test "a UTF-8 byte order mark at the start is accepted" {
	printf '\xef\xbb\xbf[vfio]\nbind = 10de:2484\n' | policy
	accepted
	assert_equal "$(jqr '.functions | length')" 2
}

@test "CRLF line endings are accepted" {
	printf '[vfio]\r\nbind = 10de:2484\r\nexpect = 2\r\n' | policy
	accepted
	assert_success
	assert_equal "$(jqr '.functions[0].reason')" "bind at line 2"
}

@test "UTF-8 text in comments is accepted" {
	printf '# politique de l\xe2\x80\x99h\xc3\xb4te \xe2\x9c\x93\n[vfio]\nbind = 10de:2484 # \xc3\xa9cran\n' | policy
	accepted
}

@test "100,000 comment lines parse, and line numbers still count them" {
	{
		seq 100000 | sed 's/^/# comment /'
		printf '[vfio]\nbind = 10de:2484\n'
	} | policy
	accepted
	assert_equal "$(jqr '.functions[0].reason')" "bind at line 100002"
}

# ---------------------------------------------------------------- a missing or unreadable policy

@test "a missing policy means do nothing: validate exits 0 and says so" {
	run --separate-stderr vh validate
	assert_success
	assert_regex "$output" "$CONF: no policy"
}

@test "a missing policy means do nothing: plan exits 0, says so, writes nothing" {
	local before
	before="$(snapshot)"
	run --separate-stderr vh plan
	assert_success
	assert_regex "$output" "$CONF: no policy"
	assert_equal "$(snapshot)" "$before"
}

@test "a missing policy: plan --json still prints a JSON object" {
	run --separate-stderr vh plan --json
	assert_success
	jq -e 'type == "object"' <<<"$output" >/dev/null || fail "plan --json printed: $output"
}

@test "a policy that is a directory is an error naming the file (exit 2)" {
	mkdir -p "$ROOT$CONF"
	for cmd in validate plan; do
		run --separate-stderr vh $cmd
		assert_failure 2
		stderr_has "^$CONF: .*directory"
	done
}

@test "a policy that is a FIFO is an error naming the file, without hanging (exit 2)" {
	mkfifo "$ROOT$CONF"
	for cmd in validate plan; do
		run --separate-stderr timeout 10 "$VFIOHOST" --root "$ROOT" $cmd
		assert_failure 2
		stderr_has "^$CONF: "
	done
}

@test "a policy that is a dangling symlink is an error naming the file (exit 2)" {
	mkdir -p "$ROOT/etc"
	ln -s vfiohost.conf.gone "$ROOT$CONF"
	for cmd in validate plan; do
		run --separate-stderr vh $cmd
		assert_failure 2
		stderr_has "^$CONF: "
	done
}

# ---------------------------------------------------------------- structure errors

@test "an unknown section is an error at its line" {
	policy <<-'EOF'
		[vfio]
		bind = 10de:2484

		[grub]
		cmdline = quiet
	EOF
	refused 4 "grub"
}

@test "a malformed section header is an error at its line" {
	policy <<-'EOF'
		[vfio
		bind = 10de:2484
	EOF
	refused 1 "section"
}

@test "an unknown key is an error at its line, naming it" {
	policy <<-'EOF'
		[vfio]
		bind = 10de:2484
		bind-all = yes
	EOF
	refused 3 "bind-all"
}

@test "a [hugepages] key in [vfio] is an unknown key" {
	policy <<-'EOF'
		[vfio]
		size = 1G
	EOF
	refused 2 "size"
}

@test "a [vfio] key in [hugepages] is an unknown key" {
	policy <<-'EOF'
		[hugepages]
		bind = 10de:2484
	EOF
	refused 2 "bind"
}

@test "a key outside a section is an error at its line" {
	policy <<-'EOF'
		# no section yet
		bind = 10de:2484
		[vfio]
	EOF
	refused 2 "bind"
}

@test "a line that is neither a header nor key = value is an error" {
	policy <<-'EOF'
		[vfio]
		bind 10de:2484
	EOF
	refused 2 "."
}

# ---------------------------------------------------------------- repeated single-value keys

# repeated KEY VALUE SECTION: the key set twice (lines 2 and 4) is an error at line 4 naming it.
repeated() {
	printf '[%s]\n%s = %s\n# between\n%s = %s\n' "$3" "$1" "$2" "$1" "$2" | policy
	refused 4 "$1"
}

@test "companions set twice is an error at the second line" { repeated companions yes vfio; }
@test "isolation set twice is an error at the second line" { repeated isolation strict vfio; }
@test "boot-vga set twice is an error at the second line" { repeated boot-vga skip vfio; }
@test "options set twice is an error at the second line" { repeated options disable_vga=1 vfio; }
@test "expect set twice is an error at the second line" { repeated expect 2 vfio; }
@test "size set twice is an error at the second line" { repeated size 1G hugepages; }
@test "pages set twice is an error at the second line" { repeated pages max hugepages; }
@test "keep-free set twice is an error at the second line" { repeated keep-free auto hugepages; }
@test "nodes set twice is an error at the second line" { repeated nodes auto hugepages; }

@test "a key repeated in a second [vfio] section is still repeated" {
	policy <<-'EOF'
		[vfio]
		companions = no
		[hugepages]
		[vfio]
		companions = yes
	EOF
	refused 5 "companions"
}

@test "a key repeated with different case is still repeated" {
	policy <<-'EOF'
		[vfio]
		expect = 2
		EXPECT = 2
	EOF
	refused 3 "expect"
}

# ---------------------------------------------------------------- values

@test "an empty bind value is an error at its line" {
	policy <<<$'[vfio]\nbind =   '
	refused 2 "bind"
}

@test "an empty companions value is an error at its line" {
	policy <<<$'[vfio]\ncompanions =  # nothing'
	refused 2 "companions"
}

@test "an empty pages value is an error at its line" {
	policy <<<$'[hugepages]\npages ='
	refused 2 "pages"
}

@test "companions = true is not a boolean of the grammar (yes | no)" {
	policy <<<$'[vfio]\ncompanions = true'
	refused 2 "true"
}

@test "isolation must be strict or warn" {
	policy <<<$'[vfio]\nisolation = loose'
	refused 2 "loose"
}

@test "boot-vga must be skip or allow" {
	policy <<<$'[vfio]\nboot-vga = no'
	refused 2 "'no'"
}

@test "size must be 1G or 2M" {
	policy <<<$'[hugepages]\nsize = 4K'
	refused 2 "4K"
}

@test "nodes must be auto or even" {
	policy <<<$'[hugepages]\nnodes = maybe'
	refused 2 "maybe"
}

@test "pages must be max, N or N%" {
	policy <<<$'[hugepages]\npages = lots'
	refused 2 "lots"
}

@test "pages = 99999999999999999999 (overflows 64 bits) is an error" {
	policy <<<$'[hugepages]\npages = 99999999999999999999'
	refused 2 "99999999999999999999"
}

@test "pages = -1 is an error" {
	policy <<<$'[hugepages]\npages = -1'
	refused 2 "-1"
}

@test "pages = 250% is an error (a percentage of the budget is at most 100)" {
	policy <<<$'[hugepages]\npages = 250%'
	refused 2 "250%"
}

@test "pages = 1.5 is an error" {
	policy <<<$'[hugepages]\npages = 1.5'
	refused 2 "1.5"
}

@test "expect = -1 is an error" {
	policy <<<$'[vfio]\nexpect = -1'
	refused 2 "-1"
}

@test "expect = 99999999999999999999 (overflows) is an error" {
	policy <<<$'[vfio]\nexpect = 99999999999999999999'
	refused 2 "expect"
}

@test "keep-free = 12Q (an unknown unit) is an error" {
	policy <<<$'[hugepages]\nkeep-free = 12Q'
	refused 2 "12Q"
}

@test "keep-free without a unit is an error" {
	policy <<<$'[hugepages]\nkeep-free = 64'
	refused 2 "64"
}

@test "keep-free = 17179869184T (2^64 KiB, overflows) is an error, not 0 KiB" {
	policy <<<$'[hugepages]\nkeep-free = 17179869184T'
	refused 2 "17179869184T"
}

@test "options with shell characters are an error" {
	policy <<<$'[vfio]\noptions = disable_vga=1; reboot'
	refused 2 "options"
}

# ---------------------------------------------------------------- selectors

@test "a five-digit vendor id is an error" {
	policy <<<$'[vfio]\nbind = 10de1:2484'
	refused 2 "10de1:2484"
}

@test "a five-digit device id is an error" {
	policy <<<$'[vfio]\nbind = 10de:24840'
	refused 2 "10de:24840"
}

@test "a non-hex id is an error" {
	policy <<<$'[vfio]\nbind = 10dg:2484'
	refused 2 "10dg:2484"
}

@test "a bad id inside a comma list is an error" {
	policy <<<$'[vfio]\nbind = 10de:2484,10de:xyz1'
	refused 2 "10de:xyz1"
}

@test "an address with a three-digit bus is an error" {
	policy <<<$'[vfio]\nbind = 0000:001:00.0'
	refused 2 "0000:001:00.0"
}

@test "an address with a slot above 1f is an error" {
	policy <<<$'[vfio]\nbind = 0000:01:20.0'
	refused 2 "0000:01:20.0"
}

@test "an address with function 8 is an error" {
	policy <<<$'[vfio]\nbind = 01:00.8'
	refused 2 "01:00.8"
}

@test "an address with a three-digit domain is an error" {
	policy <<<$'[vfio]\nbind = 000:01:00.0'
	refused 2 "000:01:00.0"
}

@test "a path-like selector is an error (a selector never becomes a path)" {
	policy <<<$'[vfio]\nbind = ../../../dev/sda'
	refused 2 "\.\./\.\./\.\./dev/sda"
}

@test "a sysfs path as a skip selector is an error" {
	policy <<<$'[vfio]\nskip = /sys/bus/pci/devices/0000:01:00.0'
	refused 2 "skip"
}

@test "class with three digits is an error" {
	policy <<<$'[vfio]\nbind = class=030'
	refused 2 "030"
}

@test "class with five digits is an error" {
	policy <<<$'[vfio]\nbind = class=03000'
	refused 2 "03000"
}

@test "class with an empty value is an error" {
	policy <<<$'[vfio]\nbind = 10de:* class='
	refused 2 "class"
}

@test "five terms in one selector are too many" {
	policy <<<$'[vfio]\nbind = 10de:* class=03 01:00 0000:01:00.0 class=0300'
	refused 2 "terms"
}

@test "four terms in one selector are accepted" {
	policy <<<$'[vfio]\nbind = 10de:* class=03 01:00 0000:01:00.0'
	accepted
	assert_equal "$(jqr '.functions[0].bdf')" "0000:01:00.0"
}

# ---------------------------------------------------------------- hostile bytes

@test "binary garbage is an error at its line, not a crash" {
	{
		printf '[vfio]\nbind = 10de:2484\n'
		printf '\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe\n'
	} | policy
	refused 3 "."
}

@test "a NUL byte in a value is an error at its line" {
	printf '[vfio]\nbind = 10de:2484\x00 class=03\n' | policy
	refused 2 "."
}

@test "a 1 MiB line is an error at its line, and the lines after it are still checked" {
	{
		printf '[vfio]\nbind = '
		head -c 1048576 /dev/zero | tr '\0' 'a'
		printf '\nbogus = 1\n'
	} | policy
	refused 2 "."
	refused 3 "bogus"
}

# ---------------------------------------------------------------- every error, not the first

@test "every error of a file is reported, each at its own line, in order" {
	policy <<-'EOF'
		bind = 10de:2484
		[vfio]
		bind = 10de1:2484
		companions = maybe
		isolation = loose
		frobnicate = 1

		[hugepages]
		pages = 250%
		keep-free = 12Q
		[bogus]
	EOF
	refused 1 "bind"
	run --separate-stderr vh validate
	assert_failure 2
	local lines
	lines="$(grep -Eo "^$CONF:[0-9]+:" <<<"$stderr" | cut -d: -f2 | paste -sd' ')"
	assert_equal "$lines" "1 3 4 5 6 9 10 11"
}

@test "an error does not stop the valid lines around it from being checked" {
	policy <<-'EOF'
		[vfio]
		bind = nonsense
		bind = 10de:2484
		bind = 01:20.0
	EOF
	refused 2 "nonsense"
	refused 4 "01:20.0"
}

# ---------------------------------------------------------------- owner and mode: boot's refusal, said by validate

@test "validate warns that boot will refuse a policy its group can write (exit 1, still valid)" {
	printf '[vfio]\nbind = 10de:*\n' | policy
	chmod 0664 "$ROOT$CONF"
	run --separate-stderr vh validate
	assert_failure 1
	assert_regex "$output" "valid"
	assert_equal "$stderr" "vfiohost: WARNING: $CONF is writable by its group (mode 0664): boot will refuse to apply it"
}

@test "validate names the owner and the mode of an unsafe policy, an invalid one too (exit 2)" {
	printf '[vfio]\nbind = nonsense\n' | policy
	chown 65534 "$ROOT$CONF"
	chmod 0666 "$ROOT$CONF"
	run --separate-stderr vh validate
	assert_failure 2
	stderr_has "^vfiohost: WARNING: $CONF is owned by uid 65534, not root, and writable by everyone \(mode 0666\): boot will refuse to apply it$"
	stderr_has "^$CONF:2: "
}
