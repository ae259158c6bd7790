/* decide: the selection rules of SPEC section 3, steps 1 to 7, in that order. */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "vfiohost.h"

void vh_plan_init(struct vh_plan *pl, const struct vh_policy *p, struct vh_host *h)
{
	memset(pl, 0, sizeof(*pl));
	pl->policy = p;
	pl->host = h;
	pl->cmd_pages = -1;
	pl->rebuild = -1;
}

/* vfiohost.skip= and vfiohost.hugepages= from the kernel command line. */
void vh_plan_cmdline(struct vh_plan *pl, FILE *errf)
{
	char buf[1024], *end;
	const char *v;

	v = vh_cmdline_get(pl->host->cmdline, "vfiohost.skip", buf, sizeof(buf));
	for (const char *s = v; s && *s;) {
		size_t len = strcspn(s, ",");
		if (pl->ncmdskip < VH_MAX_CMDSKIP &&
		    vh_addr_parse(s, len, &pl->cmdskip[pl->ncmdskip]) == 0) {
			pl->ncmdskip++;
		} else {
			fprintf(errf,
				"/proc/cmdline: vfiohost.skip: ignoring '%.*s' (want BB:SS.F)\n",
				(int)(len > 40 ? 40 : len), s);
		}
		s += len + (s[len] == ',');
	}
	v = vh_cmdline_get(pl->host->cmdline, "vfiohost.hugepages", buf, sizeof(buf));
	if (v) {
		long n = strtol(v, &end, 10);
		if (end == v || *end || n < 0 || n > 100000000) {
			fprintf(errf, "/proc/cmdline: vfiohost.hugepages: ignoring '%s'\n", v);
		} else {
			pl->cmd_pages = n;
		}
	}
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

/* First and one-past-last index of the slot holding fn (functions are sorted). */
static void slot_range(const struct vh_host *h, size_t i, size_t *lo, size_t *hi)
{
	const struct vh_fn *f = &h->fn[i];

	*lo = i;
	while (*lo > 0 && h->fn[*lo - 1].domain == f->domain && h->fn[*lo - 1].bus == f->bus &&
	       h->fn[*lo - 1].slot == f->slot)
		(*lo)--;
	*hi = i + 1;
	while (*hi < h->nfn && h->fn[*hi].domain == f->domain && h->fn[*hi].bus == f->bus &&
	       h->fn[*hi].slot == f->slot)
		(*hi)++;
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
		slot_range(h, i, &lo, &hi);
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

/* Gives every selected function its note (one block, owned by the host) and first reason;
 * without memory nothing is selected, which is safe. */
static void note_selection(struct vh_plan *pl)
{
	struct vh_host *h = pl->host;
	size_t n = 0, k = 0;

	for (size_t i = 0; i < h->nfn; i++)
		n += h->fn[i].selected;
	free(h->notes);
	h->notes = n ? calloc(n, sizeof(*h->notes)) : NULL;
	for (size_t i = 0; i < h->nfn; i++) {
		struct vh_fn *fn = &h->fn[i];
		if (!fn->selected)
			continue;
		if (!h->notes) {
			fn->selected = false;
			continue;
		}
		fn->note = &h->notes[k++];
		if (fn->companion_of < 0)
			set(fn, VH_BIND, "bind at line %d", fn->line);
		else
			set(fn, VH_BIND, "companion of %s (bind at line %d)",
			    h->fn[fn->companion_of].bdf, fn->line);
	}
	if (n && !h->notes)
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
		for (int s = 0; s < pl->ncmdskip && fn->action != VH_SKIP; s++)
			if (vh_addr_match(&pl->cmdskip[s], fn))
				set(fn, VH_SKIP, "vfiohost.skip= on the kernel command line");
	}
}

/* The framebuffer name of one /proc/iomem line held by a memory range, or NULL. */
static const char *framebuffer_in(const char *line, const uint64_t *start, const uint64_t *end,
				  int n)
{
	static const char *const fbnames[] = {"BOOTFB", "efifb", "simple-framebuffer", "vesafb"};
	unsigned long long a, b;
	char *s, *dash;

	a = strtoull(line, &dash, 16);
	if (*dash != '-')
		return NULL;
	b = strtoull(dash + 1, &s, 16);
	if (strncmp(s, " : ", 3) != 0 || a > b)
		return NULL;
	for (size_t k = 0; k < sizeof(fbnames) / sizeof(fbnames[0]); k++) {
		if (strncmp(s + 3, fbnames[k], strlen(fbnames[k])) != 0)
			continue;
		for (int i = 0; i < n; i++)
			if (a >= start[i] && b <= end[i])
				return fbnames[k];
	}
	return NULL;
}

/* Does the function hold the firmware framebuffer listed in /proc/iomem? */
static bool holds_framebuffer(struct vh_host *h, const struct vh_fn *fn, const struct vh_root *r,
			      char *name, size_t size)
{
	uint64_t start[16], end[16];
	const char *fb = NULL;
	size_t len;
	int n;

	if (!h->iomem_read) { /* once per run: a large host has a long /proc/iomem */
		h->iomem_read = true;
		if (vh_read_stream_at(r->fd, "proc/iomem", &h->iomem, &len, 16u << 20) < 0)
			h->iomem = NULL;
	}
	if (!h->iomem || !(n = vh_pci_resources(h, fn, start, end, 16)))
		return false;
	for (const char *line = h->iomem; line && *line && !fb;
	     line = strchr(line, '\n'), line = line ? line + 1 : NULL)
		fb = framebuffer_in(line, start, end, n);
	if (fb)
		vh_fmt(name, size, "%s", fb);
	return fb != NULL;
}

bool vh_boot_display(struct vh_host *h, struct vh_fn *fn, const struct vh_root *r, char *why,
		     size_t size)
{
	char fb[32];

	vh_pci_detail(h, fn);
	if (fn->boot_vga == 1) {
		vh_fmt(why, size, "boot_vga=1");
		return true;
	}
	if (holds_framebuffer(h, fn, r, fb, sizeof(fb))) {
		vh_fmt(why, size, "it holds the firmware framebuffer '%s' of /proc/iomem", fb);
		return true;
	}
	return false;
}

/* Step 3: with boot-vga = skip the boot display and its slot stay with the host. */
static void protect_boot_display(struct vh_plan *pl, const struct vh_root *r)
{
	struct vh_host *h = pl->host;
	char why[128];

	if (!pl->policy->bootvga_skip)
		return;
	for (size_t i = 0; i < h->nfn; i++) {
		size_t lo, hi, b;
		if (!h->fn[i].selected || h->fn[i].action == VH_SKIP)
			continue;
		slot_range(h, i, &lo, &hi);
		for (b = lo; b < hi; b++)
			if (vh_boot_display(h, &h->fn[b], r, why, sizeof(why)))
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
		       vh_class_name(m->class), m->class >> 8, m->driver[0] ? " (" : "", m->driver,
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

/* Steps 4 and 5: the IOMMU must be on, and each group wholly selected or bridges. */
/* A group that the iommu_group links name must exist (a dangling link is no group). */
static bool group_exists(const struct vh_root *r, int group)
{
	char path[64];
	struct stat st;

	vh_fmt(path, sizeof(path), "sys/kernel/iommu_groups/%d", group);
	return fstatat(r->fd, path, &st, 0) == 0 && S_ISDIR(st.st_mode);
}

static void refuse_pending(struct vh_host *h, size_t first, size_t n, const char *why)
{
	for (size_t k = 0; k < n; k++)
		if (pending(&h->fn[h->bygroup[first + k].idx]))
			set(&h->fn[h->bygroup[first + k].idx], VH_REFUSE, "%s", why);
}

static void check_isolation(struct vh_plan *pl, const struct vh_root *r)
{
	struct vh_host *h = pl->host;
	size_t i = 0;

	while (i < h->nfn) {
		int group = h->bygroup[i].group;
		size_t n = 1;
		bool any = false;
		while (i + n < h->nfn && h->bygroup[i + n].group == group)
			n++;
		for (size_t k = 0; k < n; k++) {
			struct vh_fn *fn = &h->fn[h->bygroup[i + k].idx];
			if (!pending(fn))
				continue;
			any = true;
			if (!h->iommu_active)
				set(fn, VH_REFUSE,
				    "the IOMMU is not active (no groups in /sys/kernel/iommu_groups)");
			else if (group < 0)
				set(fn, VH_REFUSE, "it has no IOMMU group");
		}
		if (any && group >= 0 && h->iommu_active && !group_exists(r, group))
			refuse_pending(
			    h, i, n,
			    "its iommu_group link names a group that /sys/kernel/iommu_groups does not hold");
		else if (any && group >= 0 && h->iommu_active)
			judge_group(pl, i, n);
		i += n;
	}
}

/* Step 6 and 7: bind or keep, count, and compare with expect. */
static void finish(struct vh_plan *pl)
{
	struct vh_host *h = pl->host;
	size_t took;

	for (size_t i = 0; i < h->nfn; i++) {
		struct vh_fn *fn = &h->fn[i];
		if (!fn->selected)
			continue;
		pl->nselected++;
		if (fn->action == VH_BIND && strcmp(fn->driver, "vfio-pci") == 0) {
			size_t l = strlen(fn->note->reason);
			fn->action = VH_KEEP;
			vh_fmt(fn->note->reason + l, sizeof(fn->note->reason) - l,
			       "; already on vfio-pci");
		}
		pl->count[fn->action]++;
	}
	took = pl->count[VH_BIND] + pl->count[VH_KEEP];
	if (pl->policy->expect >= 0 && took != (size_t)pl->policy->expect)
		vh_msgs_add(&pl->warn, "expect = %ld, but %zu function%s would be on vfio-pci",
			    pl->policy->expect, took, took == 1 ? "" : "s");
}

void vh_decide(struct vh_plan *pl, const struct vh_root *r)
{
	select_functions(pl);
	note_selection(pl);
	apply_skips(pl);
	protect_boot_display(pl, r);
	for (size_t i = 0; i < pl->host->nfn; i++)
		if (pl->host->fn[i].selected)
			vh_pci_detail(pl->host, &pl->host->fn[i]);
	check_isolation(pl, r);
	finish(pl);
	vh_hugepages_plan(pl, r);
}
