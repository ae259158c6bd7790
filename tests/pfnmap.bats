#!/usr/bin/env bats
# bench/pfnmap.c, which the hugepage benchmark runs in the test VM: what occupies each
# 1 GiB range of a /proc/kpageflags file. Here on files made by hand.

load helpers

setup() {
	PFNMAP=$BATS_TEST_TMPDIR/pfnmap
	cc -std=c11 -Wall -Wextra -Werror -o "$PFNMAP" "$BATS_TEST_DIRNAME/../bench/pfnmap.c"
	FLAGS=$BATS_TEST_TMPDIR/kpageflags
}

# flags SPEC...: a kpageflags file; each SPEC is GIB:PFN:BITS (the page's flag bits, as
# a number), every other page of the first GIB+1 GiB is a free page's tail (0), and each
# GiB starts with a free block's head (bit 10, KPF_BUDDY).
flags() {
	python3 - "$FLAGS" "$@" <<-'PY'
		import struct, sys
		out, specs = sys.argv[1], sys.argv[2:]
		n = 1 << 18
		gibs = 1 + max(int(s.split(":")[0]) for s in specs)
		pages = [0] * (gibs * n)
		for g in range(gibs):
		    pages[g * n] = 1 << 10
		for s in specs:
		    g, pfn, bits = (int(x, 0) for x in s.split(":"))
		    pages[g * n + pfn] = bits
		open(out, "wb").write(struct.pack("<%dQ" % len(pages), *pages))
	PY
}

@test "pfnmap: a range of free pages is all buddy; a reserved, slab or unknown page is named" {
	flags 0:0:0x400 1:5:0x100000000 1:6:0x80 1:7:0x8 2:9:0x40020
	run "$PFNMAP" "$FLAGS"
	assert_success
	assert_line --index 0 "pfnmap GiB=0 present=262144 buddy=262144 lru=0 unevict=0 slab=0 pgtable=0 reserved=0 huge=0 other=0 whole=yes"
	# after the reserved page at 5 the free run ends: 6 is slab, 7 has a flag none names,
	# and the zeros after it are counted as the unknown pages they may be.
	assert_line --index 1 "pfnmap GiB=1 present=262144 buddy=5 lru=0 unevict=0 slab=1 pgtable=0 reserved=1 huge=0 other=262137 whole=no"
	# 0x40020: KPF_LRU and KPF_UNEVICTABLE (ramfs); the zeros after it are unknown again
	assert_line --index 2 "pfnmap GiB=2 present=262144 buddy=9 lru=0 unevict=1 slab=0 pgtable=0 reserved=0 huge=0 other=262134 whole=no"
}

@test "pfnmap: a range whose other pages are on an LRU list or huge is whole; an unevictable one is not" {
	# 0x20 KPF_LRU; 0x20000 KPF_HUGE; each followed by a free block's head (0x400)
	flags 0:5:0x20 0:6:0x400 0:9:0x20000 0:10:0x400 1:5:0x40020 1:6:0x400
	run "$PFNMAP" "$FLAGS"
	assert_success
	assert_line --index 0 "pfnmap GiB=0 present=262144 buddy=262142 lru=1 unevict=0 slab=0 pgtable=0 reserved=0 huge=1 other=0 whole=yes"
	assert_line --index 1 --partial " unevict=1 "
	assert_line --index 1 --partial " whole=no"
}

@test "pfnmap: holes (KPF_NOPAGE) are not present; a range with none is left out" {
	python3 -c '
import struct, sys
n = 1 << 18
pages = [1 << 20] * n + [1 << 20] * (n // 2) + [1 << 10] + [0] * (n // 2 - 1)
open(sys.argv[1], "wb").write(struct.pack("<%dQ" % len(pages), *pages))' "$FLAGS"
	run "$PFNMAP" "$FLAGS"
	assert_success
	assert_output "pfnmap GiB=1 present=131072 buddy=131072 lru=0 unevict=0 slab=0 pgtable=0 reserved=0 huge=0 other=0 whole=no"
}

@test "pfnmap: MAX_GIB stops early; an unreadable file is an error naming it" {
	flags 0:0:0x400 3:0:0x400
	run "$PFNMAP" "$FLAGS" 2
	assert_success
	assert_equal "${#lines[@]}" 2
	run "$PFNMAP" "$BATS_TEST_TMPDIR/none"
	assert_failure 1
	assert_output --partial "pfnmap: $BATS_TEST_TMPDIR/none: No such file"
}
