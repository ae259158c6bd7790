/* libFuzzer target: any bytes as a policy, parsed, then decided on a small host held in
 * memory (a GPU with audio, a boot display, a GPU sharing its group with a NIC); nothing is
 * read from disk. */
#include <stdlib.h>
#include <string.h>

#include "memhost.h"

static void add(struct vh_host *h, const char *bdf, unsigned v, unsigned d, unsigned class,
		int group, int boot_vga)
{
	struct vh_fn *fn = memhost_add(h, bdf, v, d, class, group);

	fn->numa = group % 2;
	fn->boot_vga = boot_vga;
}

static void host(struct vh_host *h, struct vh_fn *fns)
{
	memset(h, 0, sizeof(*h));
	h->fn = fns;
	h->devfd = -1;
	h->iommu_active = true;
	h->ngroups = 4;
	h->memtotal_kib = 512ULL << 20;
	h->nnodes = 2;
	h->node_id[1] = 1;
	h->node_mem_kib[0] = h->node_mem_kib[1] = 256ULL << 20;
	h->hp_sizes_kib[0] = 2048;
	h->nhpsizes = 1;
	strcpy(h->cmdline, "vfiohost.skip=01:00.1 vfiohost.hugepages=7");
	add(h, "0000:00:02.0", 0x8086, 0x1912, 0x030000, 0, 1);
	add(h, "0000:01:00.0", 0x10de, 0x2b85, 0x030000, 1, 0);
	add(h, "0000:01:00.1", 0x10de, 0x22e8, 0x040300, 1, -1);
	add(h, "0000:02:00.0", 0x10de, 0x1401, 0x030200, 2, -1);
	add(h, "0000:02:00.1", 0x8086, 0x10d3, 0x020000, 2, -1);
	add(h, "0000:03:00.0", 0x1022, 0x1483, 0x060400, 3, -1);
	vh_host_index(h);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static FILE *devnull;
	struct vh_policy *p = malloc(sizeof(*p));
	struct vh_fn fns[8];
	struct vh_host h;
	struct vh_plan pl;

	if (!devnull)
		devnull = fopen("/dev/null", "w");
	vh_policy_init(p, "/etc/vfiohost.conf");
	if (vh_policy_parse(p, (const char *)data, size, devnull) == 0) {
		host(&h, fns);
		vh_cmdline_args(h.cmdline, &h.args, devnull);
		vh_plan_init(&pl, p, &h);
		vh_select(&pl);
		vh_decide(&pl);
		vh_plan_json(&pl, devnull, true, NULL, 0);
		free(h.bygroup);
		vh_plan_free(&pl);
	}
	free(p);
	return 0;
}
