#!/usr/bin/env bats
# The [hugepages] rules of SPEC section 3 as `plan --json` shows them (section 5): the
# keep-free and budget arithmetic, the seed guide's table, pages, the command line, NUMA nodes.

bats_require_minimum_version 1.5.0
load helpers

GIB=1048576 # KiB

# host NAME: $ROOT is tests/hosts/NAME.host, built once for this file (plan only reads it).
host() {
	ROOT="$BATS_FILE_TMPDIR/$1"
	[ -d "$ROOT" ] || python3 "$TESTS_DIR/mkhost" "$TESTS_DIR/hosts/$1.host" "$ROOT" >/dev/null
	rm -rf "$ROOT/etc/vfiohost.conf"
}

# gpu_host MEMTOTAL_KIB GPUS_NODE0 [GPUS_NODE1 [NODE_MEM0,NODE_MEM1]] [HEADER...]: $ROOT is a
# host with that much memory and VGA GPUs 10de:2230, each in a group of its own;
# with a third argument it has two NUMA nodes and the GPUs sit on them as given. Extra
# arguments are header lines (e.g. "# cmdline: ..."). Each description is built once per file.
gpu_host() {
	local mem="$1" n0="$2" n1="${3:-}" nodemem="${4:-}" i desc
	shift $(($# < 4 ? $# : 4))
	desc="$(
		echo "# note: $n0 GPUs on node 0${n1:+, $n1 on node 1}; MemTotal $mem KiB"
		echo "# memtotal_kib: $mem"
		if [ -n "$n1" ]; then
			echo "# numa_nodes: 2"
			[ -z "$nodemem" ] || echo "# node_memtotal_kib: $nodemem"
		fi
		[ $# -eq 0 ] || printf '%s\n' "$@"
		echo "0000:00:00.0 group=0 class=0600 id=8086:09a2"
		for ((i = 1; i <= n0; i++)); do
			printf '0000:%02x:00.0 class=0300 id=10de:2230%s\n' "$i" "${n1:+ numa=0}"
		done
		for ((i = 1; i <= ${n1:-0}; i++)); do
			printf '0000:%02x:00.0 class=0300 id=10de:2230 numa=1\n' $((0x80 + i))
		done
	)"
	ROOT="$BATS_FILE_TMPDIR/gpus-$(cksum <<<"$desc" | cut -d' ' -f1)"
	if [ ! -d "$ROOT" ]; then
		printf '%s\n' "$desc" >"$ROOT.host"
		python3 "$TESTS_DIR/mkhost" "$ROOT.host" "$ROOT" >/dev/null
	fi
	rm -rf "$ROOT/etc/vfiohost.conf"
}

# The hosts of this file are built up front, side by side, to save time.
setup_file() {
	export BATS_NO_PARALLELIZE_WITHIN_FILE=true
	local h gb
	for h in desktop-1gpu seed-amd-5gpu server-8gpu shared-group; do
		(host "$h") &
	done
	for gb in 768 1024 1256 1512 2048 4096; do
		(gpu_host $((gb * GIB)) 8) &
	done
	(gpu_host 792723456 4 4 396894208,395829248) &
	(gpu_host 792723456 4 4) &
	(gpu_host 805306368 6 2) &
	(gpu_host 805306368 1 1 536870912,268435456) &
	(gpu_host 805306368 1 1) &
	(gpu_host 33554432 1 "" "" "# cmdline: ro quiet intel_iommu=on vfiohost.hugepages=5") &
	(gpu_host 33554432 1 "" "" "# cmdline: ro quiet intel_iommu=on vfiohost.hugepages=500") &
	(gpu_host 33554432 1 "" "" "# hugepages: 2048") &
	wait
}

# plan_json: runs `plan --json`; $output is the JSON.
plan_json() {
	run --separate-stderr vh plan --json
}

hp() {
	jqr ".hugepages.$1"
}

# nodes: "NODE:PAGES ..." of the plan.
nodes() {
	jqr '[.hugepages.nodes[] | "\(.node):\(.pages)"] | join(" ")'
}

# keep_auto MEMTOTAL_KIB DISPLAYS: SPEC's keep-free = auto, in shell integer arithmetic.
keep_auto() {
	local pct=$(($1 * 7 / 100))
	echo $(((pct > 8 * GIB ? pct : 8 * GIB) + $2 * 2 * GIB))
}

# ---------------------------------------------------------------- presence

@test "without a [hugepages] section, hugepages is null and nothing is planned" {
	host desktop-1gpu
	policy <<<$'[vfio]\nbind = 10de:2484'
	plan_json
	assert_success
	assert_equal "$(jqr '.hugepages')" null
}

@test "an empty [hugepages] section means the defaults: 1G pages, max, keep-free auto" {
	host desktop-1gpu
	policy <<<$'[hugepages]'
	plan_json
	assert_success
	assert_equal "$(hp size_kib) $(hp memtotal_kib)" "1048576 32719064"
	assert_equal "$(hp keep_free_kib)" $((8 * GIB))
	assert_equal "$(hp budget) $(hp pages)" "23 23"
}

@test "a single-node host lists no nodes (the global count is used)" {
	host desktop-1gpu
	policy <<<$'[hugepages]'
	plan_json
	assert_equal "$(jqr '.hugepages.nodes | length')" 0
}

# ---------------------------------------------------------------- keep-free = auto

@test "keep-free auto on a small host: the 8 GiB floor plus 2 GiB for the bound GPU" {
	host desktop-1gpu
	policy <<<$'[vfio]\nbind = 10de:2484\n[hugepages]'
	plan_json
	assert_success
	assert_equal "$(hp keep_free_kib)" $((10 * GIB))
	assert_equal "$(hp budget)" $(((32719064 - 10 * GIB) / GIB))
	assert_equal "$(hp budget)" 21
}

@test "keep-free auto: 7% of MemTotal rounded down to a KiB, plus 2 GiB per kept GPU" {
	host seed-amd-5gpu
	policy <<<$'[vfio]\nbind = class=03\n[hugepages]'
	plan_json
	assert_success
	# 805306368 * 7 / 100 = 56371445.76: four RTX VGA functions kept; their audio and the
	# skipped ASPEED boot VGA count for nothing.
	assert_equal "$(hp keep_free_kib)" $((56371445 + 4 * 2 * GIB))
	assert_equal "$(hp keep_free_kib)" "$(keep_auto 805306368 4)"
	assert_equal "$(hp budget)" $(((805306368 - 64760053) / GIB))
}

@test "keep-free auto counts 3D controllers (0302) as display functions" {
	host server-8gpu
	policy <<<$'[vfio]\nbind = 10de:2330\n[hugepages]'
	plan_json
	assert_success
	assert_equal "$(hp keep_free_kib)" $((150323855 + 8 * 2 * GIB))
	assert_equal "$(hp budget)" 1888
}

@test "keep-free auto does not count a refused GPU" {
	host shared-group
	policy <<<$'[vfio]\nbind = 10de:1c82\n[hugepages]'
	plan_json
	assert_failure 1
	assert_equal "$(jqr '.functions[0].action')" refuse
	assert_equal "$(hp keep_free_kib)" $((8 * GIB))
}

@test "keep-free auto counts the same GPU once it is bound (isolation = warn)" {
	host shared-group
	policy <<<$'[vfio]\nbind = 10de:1c82\nisolation = warn\n[hugepages]'
	plan_json
	assert_equal "$(jqr '.functions[0].action')" bind
	assert_equal "$(hp keep_free_kib)" $((10 * GIB))
}

@test "keep-free auto does not count a skipped GPU" {
	host desktop-1gpu
	policy <<<$'[vfio]\nbind = class=0300\nskip = 01:00\n[hugepages]'
	plan_json
	assert_equal "$(jqr '[.functions[].action] | unique | join(" ")')" skip
	assert_equal "$(hp keep_free_kib)" $((8 * GIB))
}

@test "SPEC section 5: 756 GiB and 8 GPUs give keep_free_kib 72267857, budget 687, nodes 344 + 343" {
	gpu_host 792723456 4 4 396894208,395829248
	policy <<<$'[vfio]\nbind = 10de:2230\n[hugepages]'
	plan_json
	assert_success
	assert_equal "$(jqr -c '.hugepages | {size_kib, memtotal_kib, keep_free_kib, budget, pages, nodes}')" \
		'{"size_kib":1048576,"memtotal_kib":792723456,"keep_free_kib":72267857,"budget":687,"pages":687,"nodes":[{"node":0,"pages":344},{"node":1,"pages":343}]}'
}

# ---------------------------------------------------------------- the seed guide's table

# The rows of the guide's table (section 3.2): RAM in GiB and the huge pages it used with 8
# GPUs bound, copied as facts; the last test checks them against the guide when GUIDE= is set.
SEED_TABLE=(768 700 1024 880 1256 1140 1512 1300 2048 1920 4096 3880)

# guide_row GB WANT: the budget for a host of GB GiB with 8 GPUs bound is within 7% of WANT,
# the "Huge Pages" column of the guide's table for that row.
guide_row() {
	local gb="$1" want="$2" budget diff
	gpu_host $((gb * GIB)) 8
	policy <<<$'[vfio]\nbind = 10de:2230\n[hugepages]'
	plan_json
	assert_success
	assert_equal "$(jqr '[.functions[] | select(.action == "bind" and .class == "0300")] | length')" 8
	budget="$(hp budget)"
	assert_equal "$(hp keep_free_kib)" "$(keep_auto $((gb * GIB)) 8)"
	diff=$((budget > want ? budget - want : want - budget))
	((diff * 100 <= 7 * want)) ||
		fail "$gb GB: the guide says $want pages, vfiohost's budget is $budget: off by $diff ($((diff * 1000 / want))‰ > 70‰)"
}

@test "seed table, 768 GB with 8 GPUs: the budget is within 7% of the guide's 700 pages" { guide_row 768 700; }
@test "seed table, 1024 GB with 8 GPUs: the budget is within 7% of the guide's 880 pages" { guide_row 1024 880; }
@test "seed table, 1256 GB with 8 GPUs: the budget is within 7% of the guide's 1140 pages" { guide_row 1256 1140; }
@test "seed table, 1512 GB with 8 GPUs: the budget is within 7% of the guide's 1300 pages" { guide_row 1512 1300; }
@test "seed table, 2048 GB with 8 GPUs: the budget is within 7% of the guide's 1920 pages" { guide_row 2048 1920; }
@test "seed table, 4096 GB with 8 GPUs: the budget is within 7% of the guide's 3880 pages" { guide_row 4096 3880; }

@test "seed table: the rows above are the guide's (RAM and Huge Pages columns)" {
	need_guide "its huge pages table"
	local i gb want row got
	for ((i = 0; i < ${#SEED_TABLE[@]}; i += 2)); do
		gb=${SEED_TABLE[i]} want=${SEED_TABLE[i + 1]}
		row="$(grep -E "^$gb GB \|" "$GUIDE")" || fail "no row '$gb GB' in $GUIDE"
		got="$(cut -d'|' -f4 <<<"$row" | tr -d ' ')"
		assert_equal "$gb GB: $got" "$gb GB: $want"
	done
}

# ---------------------------------------------------------------- pages

@test "pages = max reserves the whole budget" {
	host desktop-1gpu
	policy <<<$'[vfio]\nbind = 10de:2484\n[hugepages]\npages = max'
	plan_json
	assert_success
	assert_equal "$(hp budget) $(hp pages)" "21 21"
}

@test "pages = N below the budget reserves N, without a warning" {
	host desktop-1gpu
	policy <<<$'[vfio]\nbind = 10de:2484\n[hugepages]\npages = 10'
	plan_json
	assert_success
	assert_equal "$(hp budget) $(hp pages)" "21 10"
	assert_equal "$(jqr '.warnings | length')" 0
}

@test "pages = 0 reserves nothing" {
	host desktop-1gpu
	policy <<<$'[hugepages]\npages = 0'
	plan_json
	assert_success
	assert_equal "$(hp pages)" 0
}

@test "pages = N% reserves floor(budget x N / 100)" {
	host desktop-1gpu
	policy <<<$'[vfio]\nbind = 10de:2484\n[hugepages]\npages = 33%'
	plan_json
	assert_success
	assert_equal "$(hp budget) $(hp pages)" "21 $((21 * 33 / 100))"
	assert_equal "$(hp pages)" 6
}

@test "pages = 100% reserves the whole budget" {
	host desktop-1gpu
	policy <<<$'[vfio]\nbind = 10de:2484\n[hugepages]\npages = 100%'
	plan_json
	assert_equal "$(hp pages)" 21
}

@test "pages above the budget are capped to it, with a warning naming both (exit 1)" {
	host desktop-1gpu
	policy <<<$'[vfio]\nbind = 10de:2484\n[hugepages]\npages = 100'
	plan_json
	assert_failure 1
	assert_equal "$(hp budget) $(hp pages)" "21 21"
	local w
	w="$(jqr '.warnings | join("\n")')"
	assert_regex "$w" "100"
	assert_regex "$w" "21"
}

@test "vfiohost.hugepages=N on the command line overrides pages" {
	gpu_host 33554432 1 "" "" "# cmdline: ro quiet intel_iommu=on vfiohost.hugepages=5"
	policy <<<$'[vfio]\nbind = 10de:2230\n[hugepages]\npages = 10'
	plan_json
	assert_success
	assert_equal "$(hp budget)" 22
	assert_equal "$(hp pages)" 5
}

@test "vfiohost.hugepages=N on the command line is still capped by the budget" {
	gpu_host 33554432 1 "" "" "# cmdline: ro quiet intel_iommu=on vfiohost.hugepages=500"
	policy <<<$'[vfio]\nbind = 10de:2230\n[hugepages]\npages = 10'
	plan_json
	assert_failure 1
	assert_equal "$(hp budget) $(hp pages)" "22 22"
	assert_regex "$(jqr '.warnings | join("\n")')" "500"
}

# ---------------------------------------------------------------- size and keep-free

@test "size = 2M counts the budget in 2 MiB pages" {
	host desktop-1gpu
	policy <<<$'[vfio]\nbind = 10de:2484\n[hugepages]\nsize = 2M'
	plan_json
	assert_success
	assert_equal "$(hp size_kib) $(hp keep_free_kib)" "2048 $((10 * GIB))"
	assert_equal "$(hp budget) $(hp pages)" "$(((32719064 - 10 * GIB) / 2048)) 10856"
}

@test "keep-free = 16G is taken as given, without the 2 GiB per GPU" {
	host desktop-1gpu
	policy <<<$'[vfio]\nbind = 10de:2484\n[hugepages]\nkeep-free = 16G'
	plan_json
	assert_success
	assert_equal "$(hp keep_free_kib) $(hp budget)" "$((16 * GIB)) 15"
}

@test "keep-free = 512M with 2M pages" {
	host desktop-1gpu
	policy <<<$'[hugepages]\nsize = 2M\nkeep-free = 512M'
	plan_json
	assert_success
	assert_equal "$(hp keep_free_kib) $(hp budget)" "524288 $(((32719064 - 524288) / 2048))"
}

@test "keep-free larger than MemTotal gives a budget of 0, never below" {
	host desktop-1gpu
	policy <<<$'[hugepages]\nkeep-free = 1T'
	plan_json
	assert_equal "$(hp keep_free_kib) $(hp budget) $(hp pages)" "$((1024 * GIB)) 0 0"
}

# ---------------------------------------------------------------- NUMA nodes

# Two nodes of 384 GiB (caps of 349 pages each), 8 GPUs: 6 on node 0, 2 on node 1.
six_two() {
	gpu_host 805306368 6 2
	printf '[vfio]\nbind = 10de:2230\n[hugepages]\n%s\n' "$1" | policy
	plan_json
	assert_equal "$(hp budget)" 698
}

@test "nodes = auto splits the pages by bound GPUs per node (6 on node 0, 2 on node 1)" {
	six_two "pages = 400"
	assert_success
	assert_equal "$(nodes)" "0:300 1:100"
	assert_equal "$(hp pages)" 400
}

@test "nodes = auto caps a node at its share and gives the rest to the other node" {
	six_two "pages = 600"
	assert_success
	# each node's cap: floor((402653184 - 73148661 * 402653184 / 805306368) / 1 GiB) = 349
	assert_equal "$(nodes)" "0:349 1:251"
	assert_equal "$(hp pages)" 600
}

@test "nodes = auto with pages = max fills both nodes up to their caps" {
	six_two "pages = max"
	assert_equal "$(nodes)" "0:349 1:349"
	assert_equal "$(hp pages)" 698
}

@test "nodes = even splits evenly whatever the GPUs" {
	six_two $'pages = 400\nnodes = even'
	assert_success
	assert_equal "$(nodes)" "0:200 1:200"
}

@test "nodes = auto without a bound GPU splits by node memory (2:1)" {
	gpu_host 805306368 1 1 536870912,268435456
	policy <<<$'[vfio]\n[hugepages]\npages = 300'
	plan_json
	assert_success
	assert_equal "$(nodes)" "0:200 1:100"
}

@test "nodes = auto puts every page on the only node with bound GPUs, within its cap" {
	gpu_host 805306368 1 1
	policy <<<$'[vfio]\nbind = 0000:01:00\n[hugepages]\npages = 100'
	plan_json
	assert_success
	assert_equal "$(nodes)" "0:100 1:0"
}

@test "pages is the sum of the nodes, which the caps can make lower than the budget" {
	gpu_host 792723456 4 4
	policy <<<$'[vfio]\nbind = 10de:2230\n[hugepages]'
	plan_json
	assert_success
	# even nodes of 396361728 KiB: each cap is floor((396361728 - 36133928) / 1 GiB) = 343
	assert_equal "$(hp budget)" 687
	assert_equal "$(nodes)" "0:343 1:343"
	assert_equal "$(hp pages)" 686
	assert_equal "$(jqr '[.hugepages.nodes[].pages] | add')" "$(hp pages)"
}

@test "the 2-node server splits 8 H100s evenly and the sum is the total" {
	host server-8gpu
	policy <<<$'[vfio]\nbind = 10de:2330\n[hugepages]\npages = 1001'
	plan_json
	assert_success
	assert_equal "$(jqr '[.hugepages.nodes[].pages | tostring] | sort | join(" ")')" "500 501"
	assert_equal "$(hp pages)" 1001
}

# ---------------------------------------------------------------- hosts that cannot

@test "a host without 1G pages reserves none and warns (exit 1)" {
	gpu_host 33554432 1 "" "" "# hugepages: 2048"
	policy <<<$'[vfio]\nbind = 10de:2230\n[hugepages]'
	plan_json
	assert_failure 1
	assert_equal "$(hp pages)" 0
	assert_regex "$(jqr '.warnings | join("\n")')" "1G|1048576"
}

@test "a host without 1G pages can still reserve 2M pages" {
	gpu_host 33554432 1 "" "" "# hugepages: 2048"
	policy <<<$'[vfio]\nbind = 10de:2230\n[hugepages]\nsize = 2M'
	plan_json
	assert_success
	assert_equal "$(hp pages)" $(((33554432 - 10 * GIB) / 2048))
}

@test "a host without MemTotal in /proc/meminfo reserves nothing and warns" {
	# mkhost always writes MemTotal: this copy of a built host loses it (a broken procfs)
	gpu_host 33554432 1
	cp -a "$ROOT" "$BATS_TEST_TMPDIR/root"
	ROOT="$BATS_TEST_TMPDIR/root"
	sed -i '/^MemTotal:/d' "$ROOT/proc/meminfo"
	printf '[vfio]\nbind = 10de:2230\n[hugepages]\npages = max\n' >"$ROOT/etc/vfiohost.conf"
	plan_json
	assert_failure 1
	assert_equal "$(hp memtotal_kib)" 0
	assert_equal "$(hp budget)" 0
	assert_equal "$(hp pages)" 0
	assert_equal "$(jqr '.warnings[]' | grep -c 'no MemTotal in /proc/meminfo')" 1
}
