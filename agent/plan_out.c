/* plan_out: the plan (and boot report) as JSON (SPEC section 5) or as a table. */
#include <string.h>

#include "vfiohost.h"

/* "bdf", "id" and "class", as plan and check both show a function. */
void vh_json_fn_ids(struct vh_json *j, const struct vh_fn *fn)
{
	char s[16];

	vh_json_str(j, "bdf", fn->bdf);
	vh_fmt(s, sizeof(s), "%04x:%04x", fn->vendor, fn->device);
	vh_json_str(j, "id", s);
	vh_fmt(s, sizeof(s), "%04x", fn->class >> 8);
	vh_json_str(j, "class", s);
}

/* The VFIO module chosen, and at boot the driver written to driver_override (SPEC 5). */
static void json_vfio(struct vh_json *j, const struct vh_host *h, const struct vh_fn *fn,
		      bool report)
{
	if (fn->action != VH_BIND && fn->action != VH_KEEP)
		return;
	vh_json_str(j, "vfio_module", vh_fn_module(h, fn));
	if (report)
		vh_json_str(j, "vfio_driver", fn->note->used[0] ? fn->note->used : NULL);
}

static void json_function(struct vh_json *j, const struct vh_host *h, const struct vh_fn *fn,
			  bool report)
{
	vh_json_open(j, NULL, '{');
	vh_json_fn_ids(j, fn);
	if (fn->group >= 0)
		vh_json_num(j, "group", fn->group);
	else
		vh_json_null(j, "group");
	vh_json_str(j, "driver", fn->driver[0] ? fn->driver : NULL);
	vh_json_str(j, "driver_override", fn->override[0] ? fn->override : NULL);
	vh_json_num(j, "numa_node", fn->numa);
	vh_json_str(j, "action", vh_action_name(fn->action));
	vh_json_str(j, "reason", fn->note->reason);
	json_vfio(j, h, fn, report);
	if (report)
		vh_json_str(j, "result", fn->note->result[0] ? fn->note->result : "none");
	vh_power_json(j, fn, report);
	vh_json_close(j, '}');
}

/* Why the boot got fewer pages than it asked for (the first short target's reason), or
 * "budget" when all it asked came but the policy wanted more than the budget; null else. */
static void json_short(struct vh_json *j, const struct vh_hp_plan *hp)
{
	enum vh_hp_short why = hp->nnodes ? VH_HP_FULL : hp->why;

	for (int i = 0; i < hp->nnodes && why == VH_HP_FULL; i++)
		why = hp->node[i].why;
	if (why != VH_HP_FULL)
		vh_json_str(j, "short", vh_hp_short_name(why));
	else if (hp->requested > hp->pages)
		vh_json_str(j, "short", "budget");
	else
		vh_json_null(j, "short");
}

static void json_hugepages(struct vh_json *j, const struct vh_hp_plan *hp, bool report)
{
	if (!hp->present) {
		vh_json_null(j, "hugepages");
		return;
	}
	vh_json_open(j, "hugepages", '{');
	vh_json_num(j, "size_kib", (long long)hp->size_kib);
	vh_json_num(j, "memtotal_kib", (long long)hp->memtotal_kib);
	vh_json_num(j, "keep_free_kib", (long long)hp->keep_free_kib);
	vh_json_num(j, "budget", (long long)hp->budget);
	vh_json_num(j, "requested", (long long)hp->requested);
	vh_json_num(j, "pages", (long long)hp->pages);
	if (report) {
		vh_json_num(j, "obtained", (long long)hp->got);
		json_short(j, hp);
		vh_json_num(j, "time_ms", (long long)hp->time_ms);
		vh_json_num(j, "ms", (long long)hp->ms);
	}
	vh_json_open(j, "nodes", '[');
	for (int i = 0; i < hp->nnodes; i++) {
		vh_json_open(j, NULL, '{');
		vh_json_num(j, "node", hp->node[i].node);
		vh_json_num(j, "pages", (long long)hp->node[i].pages);
		if (report) {
			vh_json_num(j, "obtained", (long long)hp->node[i].got);
			if (hp->node[i].why == VH_HP_FULL)
				vh_json_null(j, "short");
			else
				vh_json_str(j, "short", vh_hp_short_name(hp->node[i].why));
			vh_json_num(j, "tries", hp->node[i].tries);
			vh_json_num(j, "ms", (long long)hp->node[i].ms);
		}
		vh_json_close(j, '}');
	}
	vh_json_close(j, ']');
	vh_json_close(j, '}');
}

void vh_plan_json(const struct vh_plan *pl, FILE *f, bool report, const struct vh_timing *t, int nt)
{
	const struct vh_host *h = pl->host;
	struct vh_json j;

	vh_json_begin(&j, f);
	vh_json_open(&j, NULL, '{');
	vh_json_str(&j, "policy", pl->policy->path);
	if (!report && pl->rebuild >= 0)
		vh_json_bool(&j, "rebuild_needed", pl->rebuild == 1);
	else if (!report)
		vh_json_null(&j, "rebuild_needed"); /* no copy from a boot to compare with */
	if (report) {
		vh_json_str(&j, "mode", pl->mode);
		if (pl->policy->expect >= 0)
			vh_json_num(&j, "expect", pl->policy->expect);
		else
			vh_json_null(&j, "expect");
	}
	vh_json_open(&j, "iommu", '{');
	vh_json_bool(&j, "active", h->iommu_active);
	vh_json_num(&j, "groups", h->ngroups);
	vh_json_close(&j, '}');
	vh_json_open(&j, "functions", '[');
	for (size_t i = 0; i < h->nfn; i++)
		if (h->fn[i].selected)
			json_function(&j, h, &h->fn[i], report);
	vh_json_close(&j, ']');
	json_hugepages(&j, &pl->hp, report);
	vh_json_open(&j, "warnings", '[');
	for (int i = 0; i < pl->warn.n; i++)
		vh_json_str(&j, NULL, pl->warn.msg[i]);
	vh_json_close(&j, ']');
	if (report) {
		vh_json_open(&j, "phases_us", '{');
		for (int i = 0; i < nt; i++)
			vh_json_num(&j, t[i].name, (long long)t[i].us);
		vh_json_close(&j, '}');
	}
	vh_json_close(&j, '}');
	vh_json_end(&j);
}

static void table_hugepages(const struct vh_hp_plan *hp, FILE *f)
{
	if (!hp->present) {
		fputs("hugepages: none ([hugepages] is not in the policy)\n", f);
		return;
	}
	fprintf(f, "hugepages: %llu x %s (budget %llu; MemTotal %llu KiB, keep-free %llu KiB)\n",
		(unsigned long long)hp->pages, hp->size_kib == 1048576 ? "1G" : "2M",
		(unsigned long long)hp->budget, (unsigned long long)hp->memtotal_kib,
		(unsigned long long)hp->keep_free_kib);
	for (int i = 0; i < hp->nnodes; i++)
		fprintf(f, "  node %d: %llu pages (node cap %llu)\n", hp->node[i].node,
			(unsigned long long)hp->node[i].pages, (unsigned long long)hp->node[i].cap);
}

void vh_plan_table(const struct vh_plan *pl, FILE *f)
{
	const struct vh_host *h = pl->host;

	fprintf(f, "policy: %s\n", pl->policy->path);
	fprintf(f, "iommu: %s, %d groups\n", h->iommu_active ? "active" : "NOT active", h->ngroups);
	if (pl->nselected == 0)
		fputs("no function is selected\n", f);
	else
		fprintf(f, "%-12s  %-9s  %-10s  %5s  %-14s  %-20s  %-6s  %s\n", "ADDRESS", "ID",
			"CLASS", "GROUP", "DRIVER", "VFIO MODULE", "ACTION", "REASON");
	for (size_t i = 0; i < h->nfn; i++) {
		const struct vh_fn *fn = &h->fn[i];
		char id[16], group[16];
		if (!fn->selected)
			continue;
		vh_fmt(id, sizeof(id), "%04x:%04x", fn->vendor, fn->device);
		if (fn->group >= 0)
			vh_fmt(group, sizeof(group), "%d", fn->group);
		else
			vh_fmt(group, sizeof(group), "-");
		fprintf(f, "%-12s  %-9s  %-10s  %5s  %-14s  %-20s  %-6s  %s\n", fn->bdf, id,
			vh_fn_kind(fn), group, fn->driver[0] ? fn->driver : "-",
			fn->action == VH_BIND || fn->action == VH_KEEP ? vh_fn_module(h, fn) : "-",
			vh_action_name(fn->action), fn->note->reason);
	}
	vh_power_table(pl, f);
	table_hugepages(&pl->hp, f);
	for (int i = 0; i < pl->warn.n; i++)
		fprintf(f, "warning: %s\n", pl->warn.msg[i]);
}
