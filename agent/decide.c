/* decide: the selection rules of SPEC section 3, steps 1 to 7, in that order. They read the
 * host model only (discovery and vh_host_detail fill it) and touch nothing. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "vfiohost.h"

void vh_plan_init(struct vh_plan *pl, const struct vh_policy *p, struct vh_host *h)
{
	memset(pl, 0, sizeof(*pl));
	pl->policy = p;
	pl->host = h;
	pl->rebuild = -1;
}

void vh_plan_free(struct vh_plan *pl)
{
	free(pl->notes);
	pl->notes = NULL;
}

static void set(struct vh_fn *fn, int action, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void set(struct vh_fn *fn, int action, const char *fmt, ...)
{
	va_list ap;

	fn->action = (uint8_t)action;
	va_start(ap, fmt);
	vsnprintf(fn->note->reason, sizeof(fn->note->reason), fmt, ap);
	va_end(ap);
}

/* What a GPU brings along in its slot: display, audio, USB-C and UCSI functions. Storage and
 * network are never taken as companions: a selector must name them (see README). */
static bool companion_class(uint32_t class)
{
	uint32_t c = class >> 8;

	return vh_is_display(class) || c == 0x0401 || c == 0x0403 || c == 0x0480 || c == 0x0c03 ||
	       c == 0x0c80;
}

/* Step 1: bind selectors, then companions. */
static void select_functions(struct vh_plan *pl)
{
	const struct vh_policy *p = pl->policy;
	struct vh_host *h = pl->host;

	for (size_t i = 0; i < h->nfn; i++)
		for (int s = 0; s < p->nbind && !h->fn[i].unreadable; s++)
			if (vh_selector_match(&p->bind[s], &h->fn[i])) {
				h->fn[i].selected = true;
				h->fn[i].line = p->bind[s].line;
				h->fn[i].companion_of = -1;
				break;
			}
	for (size_t i = 0; i < h->nfn && p->companions; i++) {
		size_t lo, hi;
		if (!h->fn[i].selected || h->fn[i].companion_of >= 0)
			continue; /* a companion's slot is its binder's: nothing new */
		vh_slot_range(h, i, &lo, &hi);
		for (size_t j = lo; j < hi; j++) {
			if (h->fn[j].selected || h->fn[j].unreadable ||
			    !companion_class(h->fn[j].class))
				continue;
			h->fn[j].selected = true;
			h->fn[j].line = h->fn[i].line;
			h->fn[j].companion_of = (long)i;
		}
	}
}

/* Gives every selected function its note (one block, owned by the plan) and first reason;
 * without memory nothing is selected, which is safe. */
static void note_selection(struct vh_plan *pl)
{
	struct vh_host *h = pl->host;
	size_t n = 0, k = 0;

	for (size_t i = 0; i < h->nfn; i++)
		n += h->fn[i].selected;
	free(pl->notes);
	pl->notes = n ? calloc(n, sizeof(*pl->notes)) : NULL;
	for (size_t i = 0; i < h->nfn; i++) {
		struct vh_fn *fn = &h->fn[i];
		if (!fn->selected)
			continue;
		if (!pl->notes) {
			fn->selected = false;
			continue;
		}
		fn->note = &pl->notes[k++];
		if (fn->companion_of < 0)
			set(fn, VH_BIND, "bind at line %d", fn->line);
		else
			set(fn, VH_BIND, "companion of %s (bind at line %d)",
			    h->fn[fn->companion_of].bdf, fn->line);
	}
	if (n && !pl->notes)
		vh_msgs_add(&pl->warn, "out of memory for %zu selected functions: nothing selected",
			    n);
}

/* Step 2: skip lines and vfiohost.skip=. */
static void apply_skips(struct vh_plan *pl)
{
	struct vh_host *h = pl->host;

	for (size_t i = 0; i < h->nfn; i++) {
		struct vh_fn *fn = &h->fn[i];
		if (!fn->selected)
			continue;
		for (int s = 0; s < pl->policy->nskip; s++)
			if (vh_selector_match(&pl->policy->skip[s], fn)) {
				set(fn, VH_SKIP, "skip at line %d", pl->policy->skip[s].line);
				break;
			}
		for (int s = 0; s < h->args.nskip && fn->action != VH_SKIP; s++)
			if (vh_addr_match(&h->args.skip[s], fn))
				set(fn, VH_SKIP, "vfiohost.skip= on the kernel command line");
	}
}

/* A boot display has boot_vga = 1 or holds the firmware framebuffer (SPEC section 3). */
static bool boot_display(const struct vh_fn *fn, char *why, size_t size)
{
	if (fn->boot_vga == 1)
		vh_fmt(why, size, "boot_vga=1");
	else if (fn->framebuffer)
		vh_fmt(why, size, "it holds the firmware framebuffer '%s' of /proc/iomem",
		       fn->framebuffer);
	return fn->boot_vga == 1 || fn->framebuffer;
}

/* Step 3: with boot-vga = skip the boot display and its slot stay with the host. */
static void protect_boot_display(struct vh_plan *pl)
{
	struct vh_host *h = pl->host;
	char why[128];

	if (!pl->policy->bootvga_skip)
		return;
	for (size_t i = 0; i < h->nfn; i++) {
		size_t lo, hi, b;
		if (!h->fn[i].selected || h->fn[i].action == VH_SKIP)
			continue;
		vh_slot_range(h, i, &lo, &hi);
		for (b = lo; b < hi; b++)
			if (boot_display(&h->fn[b], why, sizeof(why)))
				break;
		if (b == hi)
			continue;
		if (b == i)
			set(&h->fn[i], VH_SKIP, "boot display (%s); boot-vga = skip", why);
		else
			set(&h->fn[i], VH_SKIP, "companion of the boot display %s; boot-vga = skip",
			    h->fn[b].bdf);
	}
}

static bool pending(const struct vh_fn *fn)
{
	return fn->selected && fn->action == VH_BIND;
}

/* Lists the members of a group that are in the way of isolating it. */
static int list_intruders(const struct vh_host *h, int group, char *buf, size_t size)
{
	size_t first, n = vh_group_members(h, group, &first), used = 0;
	int count = 0;

	int shown = 0;
	char one[128];

	buf[0] = '\0';
	for (size_t k = 0; k < n; k++) {
		const struct vh_fn *m = &h->fn[h->bygroup[first + k].idx];
		if (pending(m) || vh_is_bridge(m->class))
			continue;
		count++;
		vh_fmt(one, sizeof(one), "%s%s %s [%04x]%s%s%s", count > 1 ? ", " : "", m->bdf,
		       vh_fn_kind_name(m), m->class >> 8, m->driver[0] ? " (" : "", m->driver,
		       m->driver[0] ? ")" : "");
		if (used + strlen(one) + 24 < size) { /* room for ", and N more" */
			memcpy(buf + used, one, strlen(one) + 1);
			used += strlen(one);
			shown++;
		}
	}
	if (shown < count)
		vh_fmt(buf + used, size - used, ", and %d more", count - shown);
	return count;
}

/* Applies the isolation verdict to every pending member of one group. */
static void judge_group(struct vh_plan *pl, size_t first, size_t n)
{
	struct vh_host *h = pl->host;
	int group = h->bygroup[first].group;
	char who[sizeof(((struct vh_note *)0)->reason) - 96]; /* the reason adds at most 96 */

	if (list_intruders(h, group, who, sizeof(who)) == 0)
		return;
	for (size_t k = 0; k < n; k++) {
		struct vh_fn *fn = &h->fn[h->bygroup[first + k].idx];
		size_t l;
		if (!pending(fn))
			continue;
		l = strlen(fn->note->reason);
		if (pl->policy->isolation_strict) {
			set(fn, VH_REFUSE,
			    "group %d is not isolated: %s in the way (isolation = strict)", group,
			    who);
			continue;
		}
		vh_fmt(fn->note->reason + l, sizeof(fn->note->reason) - l,
		       "; group %d not isolated (isolation = warn)", group);
		vh_msgs_add(&pl->warn, "%s: group %d is not isolated: %s (isolation = warn)",
			    fn->bdf, group, who);
	}
}

static void refuse_pending(struct vh_host *h, size_t first, size_t n, const char *why)
{
	for (size_t k = 0; k < n; k++)
		if (pending(&h->fn[h->bygroup[first + k].idx]))
			set(&h->fn[h->bygroup[first + k].idx], VH_REFUSE, "%s", why);
}

/* Steps 4 and 5: the IOMMU must be on, and each group listed, and wholly selected or bridges. */
static void check_isolation(struct vh_plan *pl)
{
	struct vh_host *h = pl->host;

	for (size_t i = 0, n; i < h->nfn; i += n) {
		int group = h->bygroup[i].group;
		bool any = false, listed = false;
		n = vh_group_span(h, i);
		for (size_t k = 0; k < n; k++) {
			struct vh_fn *fn = &h->fn[h->bygroup[i + k].idx];
			if (!pending(fn))
				continue;
			any = true;
			listed |= fn->group_listed;
			if (!h->iommu_active)
				set(fn, VH_REFUSE,
				    "the IOMMU is not active (no groups in /sys/kernel/iommu_groups)");
			else if (group < 0)
				set(fn, VH_REFUSE, "it has no IOMMU group");
		}
		if (!any || group < 0 || !h->iommu_active)
			continue;
		if (!listed)
			refuse_pending(
			    h, i, n,
			    "its iommu_group link names a group that /sys/kernel/iommu_groups does not hold");
		else
			judge_group(pl, i, n);
	}
}

/* Step 6 and 7: bind, or keep what is already on the VFIO driver chosen for it (variant.c);
 * count, and compare with expect. */
static void finish(struct vh_plan *pl)
{
	struct vh_host *h = pl->host;
	size_t took;

	for (size_t i = 0; i < h->nfn; i++) {
		struct vh_fn *fn = &h->fn[i];
		const char *want;
		if (!fn->selected)
			continue;
		pl->nselected++;
		want = vh_fn_vfio_driver(h, fn);
		if (fn->action == VH_BIND && want && strcmp(fn->driver, want) == 0) {
			size_t l = strlen(fn->note->reason);
			fn->action = VH_KEEP;
			vh_fmt(fn->note->reason + l, sizeof(fn->note->reason) - l,
			       "; already on %s", want);
		}
		pl->count[fn->action]++;
	}
	took = pl->count[VH_BIND] + pl->count[VH_KEEP];
	if (pl->policy->expect >= 0 && took != (size_t)pl->policy->expect)
		vh_msgs_add(&pl->warn, "expect = %ld, but %zu function%s would be on a VFIO driver",
			    pl->policy->expect, took, took == 1 ? "" : "s");
}

void vh_select(struct vh_plan *pl)
{
	select_functions(pl);
	note_selection(pl);
	apply_skips(pl);
}

void vh_decide(struct vh_plan *pl)
{
	protect_boot_display(pl);
	check_isolation(pl);
	vh_choose_modules(pl);
	finish(pl);
	vh_power_decide(pl);
	vh_hugepages_plan(pl);
}
