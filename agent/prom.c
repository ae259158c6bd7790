/* prom: renders what `status` found as node_exporter textfile metrics (Prometheus text
 * format 0.0.4), one HELP and TYPE per family, every family present even when zero, so
 * that a fleet's alerts need no absent() for a host whose GPUs did not land. */
#include <errno.h>
#include <string.h>

#include "prom.h"
#include "vfiohost.h"

enum { O_BOUND, O_ALREADY, O_FAILED, O_REFUSED, O_SKIPPED, O_PLANNED, O_N };
static const char *const outcome_name[O_N] = {"bound",	 "already", "failed",
					      "refused", "skipped", "planned"};

static void family(FILE *f, const char *name, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s gauge\n", name, help, name);
}

/* What became of one function of the report; planned: decided, not acted on (dry-run). */
static int outcome(const struct vh_jdoc *d, int fn)
{
	const char *result = vh_jstr(d, fn, "result"), *action = vh_jstr(d, fn, "action");

	if (result && strcmp(result, "bound") == 0)
		return O_BOUND;
	if (result && strcmp(result, "already") == 0)
		return O_ALREADY;
	if (result && strncmp(result, "failed", 6) == 0)
		return O_FAILED;
	if (action && strcmp(action, "refuse") == 0)
		return O_REFUSED;
	if (action && strcmp(action, "skip") == 0)
		return O_SKIPPED;
	return O_PLANNED;
}

static void functions(FILE *f, const struct vh_prom_facts *p)
{
	const struct vh_jdoc *d = p->doc;
	int arr = d ? vh_jget(d, 0, "functions") : -1;
	long count[O_N] = {0};

	for (int c = arr >= 0 ? d->node[arr].first : -1; c >= 0; c = d->node[c].next)
		count[outcome(d, c)]++;
	family(
	    f, "vfiohost_functions",
	    "PCI functions of the last boot's report by outcome: bound (put on its VFIO driver), already (was on it), failed, refused (group not isolated, no IOMMU), skipped, planned (dry-run or off).");
	for (int i = 0; i < O_N; i++)
		fprintf(f, "vfiohost_functions{outcome=\"%s\"} %ld\n", outcome_name[i], count[i]);
	family(f, "vfiohost_functions_on_vfio",
	       "Functions the last boot bound or found bound that are on their VFIO driver now.");
	fprintf(f, "vfiohost_functions_on_vfio %ld\n", p->holding);
	if (d && vh_jnum(d, 0, "expect", -1) >= 0) {
		family(f, "vfiohost_functions_expected",
		       "The policy's expect = N at the last boot.");
		fprintf(f, "vfiohost_functions_expected %lld\n", vh_jnum(d, 0, "expect", -1));
	}
}

/* Asked and obtained per NUMA node; node="all" is the global count of a one-node host. */
static void hugepage_nodes(FILE *f, const struct vh_jdoc *d, int hp, const char *key)
{
	int nodes = vh_jget(d, hp, "nodes");

	if (nodes < 0 || d->node[nodes].first < 0) {
		fprintf(f, "vfiohost_hugepages_%s{node=\"all\"} %lld\n", key,
			vh_jnum(d, hp, strcmp(key, "asked") == 0 ? "pages" : key, 0));
		return;
	}
	for (int c = d->node[nodes].first; c >= 0; c = d->node[c].next)
		fprintf(f, "vfiohost_hugepages_%s{node=\"%lld\"} %lld\n", key,
			vh_jnum(d, c, "node", 0),
			vh_jnum(d, c, strcmp(key, "asked") == 0 ? "pages" : key, 0));
}

static void hugepages(FILE *f, const struct vh_prom_facts *p)
{
	const struct vh_jdoc *d = p->doc;
	int hp = d ? vh_jget(d, 0, "hugepages") : -1, top = d ? vh_jget(d, 0, "topup") : -1;

	if (hp < 0 || d->node[hp].type != VH_J_OBJ)
		return;
	family(f, "vfiohost_hugepage_size_bytes", "Size of the hugepages the policy reserves.");
	fprintf(f, "vfiohost_hugepage_size_bytes %lld\n", vh_jnum(d, hp, "size_kib", 0) * 1024);
	family(f, "vfiohost_hugepages_budget",
	       "Hugepages the host can spare after keep-free, at the last boot.");
	fprintf(f, "vfiohost_hugepages_budget %lld\n", vh_jnum(d, hp, "budget", 0));
	family(
	    f, "vfiohost_hugepages_asked",
	    "Hugepages the last boot asked the kernel for, per NUMA node (all: a one-node host).");
	hugepage_nodes(f, d, hp, "asked");
	family(
	    f, "vfiohost_hugepages_obtained",
	    "Hugepages the kernel gave at the last boot, the top-up after the switch root included, per NUMA node (all: a one-node host).");
	hugepage_nodes(f, d, top >= 0 && d->node[top].type == VH_J_OBJ ? top : hp, "obtained");
	family(f, "vfiohost_hugepages_reserved",
	       "Hugepages of that size reserved now, over all nodes (-1: unreadable).");
	fprintf(f, "vfiohost_hugepages_reserved %lld\n", p->hp_now);
}

/* Report text becomes a label value: only names such as the agent writes are taken. */
static bool label_ok(const char *s)
{
	if (!s || !*s || strlen(s) > 32)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || *s == '_' || *s == '-'))
			return false;
	return true;
}

static void phases(FILE *f, const struct vh_jdoc *d)
{
	int ph = d ? vh_jget(d, 0, "phases_us") : -1;

	if (ph < 0 || d->node[ph].type != VH_J_OBJ)
		return;
	family(f, "vfiohost_boot_phase_seconds",
	       "Time each phase of the last boot took (decide, claim, hugepages, bind, total).");
	for (int c = d->node[ph].first; c >= 0; c = d->node[c].next)
		if (d->node[c].type == VH_J_NUM && label_ok(d->node[c].key))
			fprintf(f, "vfiohost_boot_phase_seconds{phase=\"%s\"} %lld.%06lld\n",
				d->node[c].key, d->node[c].num / 1000000, d->node[c].num % 1000000);
}

int vh_prom_write(FILE *f, const struct vh_prom_facts *p)
{
	const char *mode = p->doc ? vh_jstr(p->doc, 0, "mode") : NULL;

	family(
	    f, "vfiohost_report",
	    "1 when the last boot left its report in /run/vfiohost/report.json, 0 when vfiohost did not run at this boot.");
	fprintf(f, "vfiohost_report %d\n", p->doc != NULL);
	family(f, "vfiohost_info",
	       "The agent's version and the last boot's mode (apply, dry-run, off).");
	fprintf(f, "vfiohost_info{version=\"%s\",mode=\"%s\"} 1\n", VH_VERSION,
		label_ok(mode) ? mode : "none");
	functions(f, p);
	hugepages(f, p);
	phases(f, p->doc);
	family(
	    f, "vfiohost_image_stale",
	    "1 when /etc/vfiohost.conf differs from the copy the running image booted with: rebuild the initramfs.");
	fprintf(f, "vfiohost_image_stale %d\n", p->stale == 1);
	family(f, "vfiohost_problems", "Problems vfiohost status lists; 0 when all holds.");
	fprintf(f, "vfiohost_problems %d\n", p->problems);
	return fflush(f) == 0 && !ferror(f) ? 0 : -EIO;
}
