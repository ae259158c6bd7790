/* Unit tests: the hugepage budget and its split over nodes (agent/hugepages.c). */
#include <stdlib.h>
#include <string.h>

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

const struct tap_case hugepages_cases[] = {
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
    {NULL, NULL},
};
