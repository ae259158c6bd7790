/* hugepages: the safe budget and its split over NUMA nodes (SPEC section 3), from the host
 * model alone (its page sizes and node memory are read by discovery). */
#include <string.h>

#include "vfiohost.h"

#define GIB_KIB (1ULL << 20)

/* max(8 GiB, 7% of MemTotal) + 2 GiB per display function on vfio-pci. */
uint64_t vh_keep_free_auto(uint64_t memtotal_kib, unsigned displays)
{
	uint64_t pct = memtotal_kib * 7 / 100;

	return (pct > 8 * GIB_KIB ? pct : 8 * GIB_KIB) + (uint64_t)displays * 2 * GIB_KIB;
}

uint64_t vh_budget(uint64_t memtotal_kib, uint64_t keep_free_kib, uint64_t size_kib)
{
	return memtotal_kib > keep_free_kib ? (memtotal_kib - keep_free_kib) / size_kib : 0;
}

/* Shares x over the open nodes in proportion to w, largest remainders first. */
static bool share(uint64_t x, int n, const uint64_t *w, const bool *open, uint64_t *out)
{
	unsigned __int128 sum = 0, rem[VH_MAX_NODES];
	uint64_t given = 0;

	for (int i = 0; i < n; i++)
		sum += open[i] ? w[i] : 0;
	if (sum == 0)
		return false;
	for (int i = 0; i < n; i++) {
		unsigned __int128 part = open[i] ? (unsigned __int128)x * w[i] : 0;
		out[i] += (uint64_t)(part / sum);
		given += (uint64_t)(part / sum);
		rem[i] = part % sum;
	}
	for (; given < x; given++) {
		int best = -1;
		for (int i = 0; i < n; i++)
			if (open[i] && w[i] && (best < 0 || rem[i] > rem[best]))
				best = i;
		out[best]++;
		rem[best] = 0;
	}
	return true;
}

static void share_any(uint64_t x, int n, const uint64_t *w, const uint64_t *fallback,
		      const bool *open, uint64_t *out)
{
	uint64_t ones[VH_MAX_NODES];

	if (share(x, n, w, open, out) || share(x, n, fallback, open, out))
		return;
	for (int i = 0; i < n; i++)
		ones[i] = 1;
	share(x, n, ones, open, out);
}

/* Splits total by weight (fallback weights when those are all zero), each node capped;
 * what a capped node cannot take goes to the others. */
void vh_split_pages(uint64_t total, int n, const uint64_t *weight, const uint64_t *cap,
		    const uint64_t *fallback, uint64_t *out)
{
	bool open[VH_MAX_NODES];
	uint64_t excess = total;

	for (int i = 0; i < n; i++) {
		out[i] = 0;
		open[i] = cap[i] > 0;
	}
	while (excess > 0) {
		bool any = false;
		for (int i = 0; i < n; i++)
			any |= open[i];
		if (!any)
			break;
		share_any(excess, n, weight, fallback, open, out);
		excess = 0;
		for (int i = 0; i < n; i++)
			if (open[i] && out[i] >= cap[i]) {
				excess += out[i] - cap[i];
				out[i] = cap[i];
				open[i] = false;
			}
	}
}

static unsigned bound_displays(const struct vh_host *h, int node, bool any_node)
{
	unsigned n = 0;

	for (size_t i = 0; i < h->nfn; i++) {
		const struct vh_fn *fn = &h->fn[i];
		if ((fn->action == VH_BIND || fn->action == VH_KEEP) && vh_is_display(fn->class) &&
		    (any_node || fn->numa == node))
			n++;
	}
	return n;
}

static void split_nodes(struct vh_plan *pl)
{
	struct vh_hp_plan *hp = &pl->hp;
	const struct vh_host *h = pl->host;
	uint64_t w[VH_MAX_NODES], cap[VH_MAX_NODES], mem[VH_MAX_NODES], out[VH_MAX_NODES];

	hp->nnodes = h->nnodes;
	for (int i = 0; i < h->nnodes; i++) {
		uint64_t m = h->node_mem_kib[i];
		uint64_t keep =
		    (uint64_t)((unsigned __int128)hp->keep_free_kib * m / hp->memtotal_kib);
		mem[i] = m;
		cap[i] = m > keep ? (m - keep) / hp->size_kib : 0;
		w[i] = pl->policy->hp.nodes_even ? 1 : bound_displays(h, h->node_id[i], false);
	}
	vh_split_pages(hp->pages, h->nnodes, w, cap, mem, out);
	hp->pages = 0;
	for (int i = 0; i < h->nnodes; i++) {
		hp->node[i].node = h->node_id[i];
		hp->node[i].cap = cap[i];
		hp->node[i].pages = out[i];
		hp->pages += out[i];
	}
}

static bool size_supported(const struct vh_host *h, uint64_t size_kib)
{
	for (int i = 0; i < h->nhpsizes; i++)
		if (h->hp_sizes_kib[i] == size_kib)
			return true;
	return false;
}

void vh_hugepages_plan(struct vh_plan *pl)
{
	const struct vh_hp_policy *hpp = &pl->policy->hp;
	struct vh_hp_plan *hp = &pl->hp;

	memset(hp, 0, sizeof(*hp));
	if (!hpp->present)
		return;
	hp->present = true;
	hp->size_kib = hpp->size_kib;
	hp->memtotal_kib = pl->host->memtotal_kib;
	hp->keep_free_kib =
	    hpp->keep_auto ? vh_keep_free_auto(hp->memtotal_kib, bound_displays(pl->host, 0, true))
			   : hpp->keep_kib;
	hp->budget = vh_budget(hp->memtotal_kib, hp->keep_free_kib, hp->size_kib);
	hp->supported = size_supported(pl->host, hp->size_kib);
	if (hp->memtotal_kib == 0)
		vh_msgs_add(&pl->warn,
			    "no MemTotal in /proc/meminfo: no hugepages will be reserved");
	if (!hp->supported)
		vh_msgs_add(&pl->warn,
			    "this kernel offers no %s pages (no %s): none will be reserved",
			    hp->size_kib == GIB_KIB ? "1G" : "2M",
			    hp->size_kib == GIB_KIB ? "hugepages-1048576kB" : "hugepages-2048kB");
	hp->requested = hpp->mode == VH_PAGES_MAX ? hp->budget
			: hpp->mode == VH_PAGES_N ? hpp->pages
						  : hp->budget * hpp->pages / 100;
	if (pl->host->args.pages_set)
		hp->requested = (uint64_t)pl->host->args.pages;
	hp->pages = hp->requested < hp->budget ? hp->requested : hp->budget;
	if (!hp->supported)
		hp->pages = 0;
	if (hp->requested > hp->budget)
		vh_msgs_add(&pl->warn,
			    "%llu hugepages asked, but the budget is %llu: capped to %llu",
			    (unsigned long long)hp->requested, (unsigned long long)hp->budget,
			    (unsigned long long)hp->budget);
	if (pl->host->nnodes > 1 && hp->memtotal_kib > 0)
		split_nodes(pl);
}

/* Pages asked for in one write: 1 GiB's worth, so that each write is a short piece of
 * kernel work and the time can be checked between them (a gigantic page alone can take
 * seconds where compaction must move its memory). */
uint64_t vh_hp_step(uint64_t size_kib)
{
	return size_kib >= GIB_KIB ? 1 : GIB_KIB / size_kib;
}

/* Another write fits if the last one, taken again, would end by the limit. */
bool vh_hp_time_for_more(uint64_t now_us, uint64_t end_us, uint64_t last_us)
{
	return now_us < end_us && last_us <= end_us - now_us;
}

/* Why a target came up short, from what was seen once its filling stopped. */
enum vh_hp_short vh_hp_why(uint64_t want, uint64_t got, bool out_of_time, uint64_t free_kib,
			   uint64_t size_kib)
{
	if (got >= want)
		return VH_HP_FULL;
	if (out_of_time)
		return VH_HP_TIME;
	return free_kib >= (want - got) * size_kib ? VH_HP_FRAGMENTED : VH_HP_MEMORY;
}

const char *vh_hp_short_name(enum vh_hp_short s)
{
	static const char *const names[] = {"", "time", "fragmentation", "memory", "error"};

	return names[s];
}
