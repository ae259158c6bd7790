/* Unit tests: the hugepage budget and its split over nodes (agent/hugepages.c). */
#include <stdlib.h>
#include <string.h>

#include "memhost.h"
#include "tap.h"
#include "vfiohost.h"

#define GIB (1ULL << 20) /* in KiB */

static void spec_example_is_reproduced(void)
{
	/* SPEC section 5: 756 GiB, eight GPUs to bind. */
	uint64_t mem = 792723456, keep = vh_keep_free_auto(mem, 8);

	CHECK_EQ_U(keep, 72267857);
	CHECK_EQ_U(vh_budget(mem, keep, GIB), 687);
}

static void small_hosts_keep_eight_gib(void)
{
	CHECK_EQ_U(vh_keep_free_auto(32 * GIB, 0), 8 * GIB);
	CHECK_EQ_U(vh_keep_free_auto(32 * GIB, 1), 10 * GIB);
	CHECK_EQ_U(vh_budget(8 * GIB, 10 * GIB, GIB), 0);
}

/* The seed guide's table (section 3.2): RAM in GB, the huge pages it used, eight GPUs. */
static void seed_table_within_seven_percent(void)
{
	static const unsigned rows[][2] = {{768, 700},	 {1024, 880},  {1256, 1140},
					   {1512, 1300}, {2048, 1920}, {4096, 3880}};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		uint64_t mem = rows[i][0] * GIB;
		uint64_t budget = vh_budget(mem, vh_keep_free_auto(mem, 8), GIB);
		double diff = ((double)budget - rows[i][1]) / rows[i][1];
		printf("#   %u GB: budget %llu, table %u (%+.1f%%)\n", rows[i][0],
		       (unsigned long long)budget, rows[i][1], diff * 100);
		CHECK(diff < 0.07 && diff > -0.07);
	}
}

static void split_follows_weights_with_largest_remainders(void)
{
	uint64_t w[2] = {4, 4}, cap[2] = {1000, 1000}, mem[2] = {1, 1}, out[2];

	vh_split_pages(687, 2, w, cap, mem, out);
	CHECK_EQ_U(out[0], 344);
	CHECK_EQ_U(out[1], 343);
	w[0] = 6;
	w[1] = 2;
	vh_split_pages(100, 2, w, cap, mem, out);
	CHECK_EQ_U(out[0], 75);
	CHECK_EQ_U(out[1], 25);
}

static void split_moves_what_a_capped_node_cannot_take(void)
{
	uint64_t w[2] = {8, 0}, cap[2] = {300, 400}, mem[2] = {1, 1}, out[2];

	vh_split_pages(500, 2, w, cap, mem, out);
	CHECK_EQ_U(out[0], 300);
	CHECK_EQ_U(out[1], 200);
	vh_split_pages(900, 2, w, cap, mem, out);
	CHECK_EQ_U(out[0] + out[1], 700);
}

static void split_without_gpus_follows_node_memory(void)
{
	uint64_t w[2] = {0, 0}, cap[2] = {1000, 1000}, mem[2] = {3 * GIB, 1 * GIB}, out[2];

	vh_split_pages(100, 2, w, cap, mem, out);
	CHECK_EQ_U(out[0], 75);
	CHECK_EQ_U(out[1], 25);
}

/* Plans policy on a 512 GiB host of two nodes with two GPUs on node 1, held in memory. */
static void plan_two_nodes(const char *policy, uint64_t size_offered, struct vh_plan *pl)
{
	static struct vh_policy pol;
	static struct vh_host h;
	static struct vh_fn fn[4];

	vh_plan_free(pl);
	memset(&h, 0, sizeof(h));
	h.fn = fn;
	h.iommu_active = true;
	h.memtotal_kib = 512 * GIB;
	h.nnodes = 2;
	h.node_id[1] = 1;
	h.node_mem_kib[0] = h.node_mem_kib[1] = 256 * GIB;
	h.hp_sizes_kib[h.nhpsizes++] = size_offered;
	memhost_add(&h, "0000:01:00.0", 0x10de, 0x2330, 0x030200, 1)->numa = 1;
	memhost_add(&h, "0000:02:00.0", 0x10de, 0x2330, 0x030200, 2)->numa = 1;
	vh_policy_init(&pol, "/etc/vfiohost.conf");
	if (vh_policy_parse(&pol, policy, strlen(policy), stdout) != 0)
		tap_failed_checks++;
	vh_host_index(&h);
	vh_plan_init(pl, &pol, &h);
	vh_select(pl);
	vh_decide(pl);
	free(h.bygroup);
}

static void pages_follow_the_bound_gpus_node(void)
{
	static struct vh_plan pl;

	plan_two_nodes("[vfio]\nbind = 10de:*\n[hugepages]\nsize = 1G\npages = 100\n", GIB, &pl);
	CHECK(pl.hp.supported);
	CHECK_EQ_U(pl.hp.nnodes, 2);
	CHECK_EQ_U(pl.hp.node[0].pages, 0);
	CHECK_EQ_U(pl.hp.node[1].pages, 100);
	vh_plan_free(&pl);
}

static void a_size_the_kernel_lacks_plans_none(void)
{
	static struct vh_plan pl;

	plan_two_nodes("[vfio]\nbind = 10de:*\n[hugepages]\nsize = 1G\n", 2048, &pl);
	CHECK(!pl.hp.supported);
	CHECK_EQ_U(pl.hp.pages, 0);
	CHECK(pl.warn.n == 1 && strstr(pl.warn.msg[0], "no 1G pages") != NULL);
	vh_plan_free(&pl);
}

static void filling_goes_a_gib_at_a_time_while_the_time_allows(void)
{
	CHECK_EQ_U(vh_hp_step(GIB), 1);
	CHECK_EQ_U(vh_hp_step(2048), 512);
	CHECK(vh_hp_time_for_more(0, 1000, 0));	     /* the first step always goes */
	CHECK(vh_hp_time_for_more(400, 1000, 600));  /* one more as long as the last fits */
	CHECK(!vh_hp_time_for_more(401, 1000, 600)); /* it would end past the limit */
	CHECK(!vh_hp_time_for_more(1000, 1000, 0));  /* no time left at all */
}

static void a_short_count_names_its_cause(void)
{
	CHECK(vh_hp_why(4, 4, false, 0, GIB) == VH_HP_FULL);
	CHECK(vh_hp_why(4, 4, true, 0, GIB) == VH_HP_FULL); /* done, then stopped: still full */
	CHECK(vh_hp_why(4, 2, true, 100 * GIB, GIB) == VH_HP_TIME);
	/* Two pages missing, 2.5 GiB free: the memory is there, but not in aligned ranges. */
	CHECK(vh_hp_why(4, 2, false, 2 * GIB + GIB / 2, GIB) == VH_HP_FRAGMENTED);
	CHECK(vh_hp_why(4, 2, false, GIB, GIB) == VH_HP_MEMORY);
	CHECK(strcmp(vh_hp_short_name(VH_HP_FRAGMENTED), "fragmentation") == 0);
	CHECK(strcmp(vh_hp_short_name(VH_HP_TIME), "time") == 0);
}

const struct tap_case hugepages_cases[] = {
    {"hugepages: filling goes 1 GiB a step while another step fits in the time",
     filling_goes_a_gib_at_a_time_while_the_time_allows},
    {"hugepages: a short count is put down to time, fragmentation or memory",
     a_short_count_names_its_cause},
    {"hugepages: the SPEC example (756 GiB, 8 GPUs) gives 687", spec_example_is_reproduced},
    {"hugepages: small hosts keep 8 GiB plus 2 GiB a GPU", small_hosts_keep_eight_gib},
    {"hugepages: keep-free = auto is within 7% of the seed guide's table",
     seed_table_within_seven_percent},
    {"hugepages: pages split by weight, largest remainders first",
     split_follows_weights_with_largest_remainders},
    {"hugepages: what a capped node cannot take goes to the others",
     split_moves_what_a_capped_node_cannot_take},
    {"hugepages: with no GPU bound the split follows node memory",
     split_without_gpus_follows_node_memory},
    {"hugepages: pages go to the NUMA node of the bound GPUs", pages_follow_the_bound_gpus_node},
    {"hugepages: a page size the kernel does not offer plans none, with a warning",
     a_size_the_kernel_lacks_plans_none},
    {NULL, NULL},
};
