/* cmd_status: `vfiohost status`: what the last boot did (its report), and whether it
 * still holds now (drivers, hugepages, the policy against the image's copy). */
#include <errno.h>
#include <stdarg.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>

#include "context.h"
#include "topup.h"
#include "pages.h"
#include "prom.h"

struct status {
	struct vh_root root;
	struct vh_jdoc doc;
	char *text; /* the report, owned; the document points into it */
	struct vh_msgs problem;
};

/* The driver holding a function now: its name, "none", or "gone" if it left the bus. */
static void driver_now(const struct status *st, const char *bdf, char *buf, size_t size)
{
	char path[96];

	if (strlen(bdf) != 12 || strchr(bdf, '/')) {
		vh_fmt(buf, size, "gone");
		return;
	}
	vh_fmt(path, sizeof(path), "sys/bus/pci/devices/%s/driver", bdf);
	if (vh_link_base_at(st->root.fd, path, buf, size) == 0)
		return;
	vh_fmt(path, sizeof(path), "sys/bus/pci/devices/%s", bdf);
	vh_fmt(buf, size, faccessat(st->root.fd, path, F_OK, 0) == 0 ? "none" : "gone");
}

/* The boot's verification (vfiodev.c), now: on its VFIO driver is not enough. */
static bool usable(struct status *st, const char *bdf, const char *drv, int group)
{
	char dev[64], cdev[32], why[128];
	int rc;

	vh_fmt(dev, sizeof(dev), "sys/bus/pci/devices/%s", bdf);
	rc = vh_vfio_usable(&st->root, st->root.fd, dev, group, cdev, sizeof(cdev));
	if (rc == 0)
		return true;
	vh_vfio_why(why, sizeof(why), rc, group, cdev);
	vh_msgs_add(&st->problem, "%s is on %s, but %s", bdf, drv, why);
	return false;
}

static bool took(const char *result)
{
	return result && (strcmp(result, "bound") == 0 || strcmp(result, "already") == 0);
}

struct row {
	const char *bdf, *action, *result;
	const char *want; /* the VFIO driver the boot used (vfio-pci in reports before it said) */
	char now[64];
};

/* Checks each function of the report against the live driver; returns how many hold. */
static long check_functions(struct status *st, struct row *rows, int *nrows)
{
	const struct vh_jdoc *d = &st->doc;
	int arr = vh_jget(d, 0, "functions");
	long holding = 0;

	*nrows = 0;
	for (int c = arr >= 0 ? d->node[arr].first : -1; c >= 0; c = d->node[c].next) {
		struct row *r = &rows[*nrows];
		r->bdf = vh_jstr(d, c, "bdf");
		r->action = vh_jstr(d, c, "action");
		r->result = vh_jstr(d, c, "result");
		r->want = vh_jstr(d, c, "vfio_driver");
		if (!r->want)
			r->want = VH_GENERIC_DRIVER;
		if (!r->bdf)
			continue;
		(*nrows)++;
		driver_now(st, r->bdf, r->now, sizeof(r->now));
		if (took(r->result) && strcmp(r->now, r->want) == 0)
			holding += usable(st, r->bdf, r->want, (int)vh_jnum(d, c, "group", -1));
		else if (took(r->result))
			vh_msgs_add(&st->problem, "%s was put on %s at boot, but is now %s%s",
				    r->bdf, r->want, strcmp(r->now, "gone") == 0 ? "" : "on ",
				    r->now);
		else if (r->result && strncmp(r->result, "failed", 6) == 0)
			vh_msgs_add(&st->problem, "%s %s at boot", r->bdf, r->result);
	}
	return holding;
}

static long long live_pages(const struct status *st, long long size_kib, int node)
{
	char path[128];
	long long v = -1;

	if (node < 0)
		vh_fmt(path, sizeof(path), "sys/kernel/mm/hugepages/hugepages-%lldkB/nr_hugepages",
		       size_kib);
	else
		vh_fmt(path, sizeof(path),
		       "sys/devices/system/node/node%d/hugepages/hugepages-%lldkB/nr_hugepages",
		       node, size_kib);
	return vh_read_int_at(st->root.fd, path, &v) == 0 ? v : -1;
}

/* The top-up's shortfall, if it ran and came up short. */
static void topup_problem(struct status *st, int hp)
{
	const struct vh_jdoc *d = &st->doc;
	int top = vh_jget(d, 0, "topup");
	long long pages = vh_jnum(d, hp, "pages", 0), got = vh_topup_obtained(d);
	const char *why = vh_jstr(d, top, "short");

	if (top >= 0 && got < pages)
		vh_msgs_add(&st->problem, "hugepages: the top-up got %lld of %lld (%s)", got, pages,
			    why ? why : "?");
}

/* Whether the top-up made the boot's own hugepage shortfall good. */
static bool topup_complete(const struct status *st)
{
	const struct vh_jdoc *d = &st->doc;
	int top = vh_jget(d, 0, "topup");

	return top >= 0 &&
	       vh_topup_obtained(d) >= vh_jnum(d, vh_jget(d, 0, "hugepages"), "pages", 0);
}

/* Hugepages now against what boot obtained; returns false without a [hugepages] section. */
static bool check_hugepages(struct status *st, long long *got, long long *now)
{
	const struct vh_jdoc *d = &st->doc;
	int hp = vh_jget(d, 0, "hugepages"), nodes = vh_jget(d, hp, "nodes");
	long long size = vh_jnum(d, hp, "size_kib", 0);

	if (hp < 0 || d->node[hp].type != VH_J_OBJ)
		return false;
	*got = vh_topup_obtained(d); /* the last stage's count: the top-up's, if it ran */
	*now = live_pages(st, size, -1);
	if (nodes >= 0 && d->node[nodes].first >= 0) {
		*now = 0;
		for (int c = d->node[nodes].first; c >= 0; c = d->node[c].next) {
			long long n = live_pages(st, size, (int)vh_jnum(d, c, "node", 0));
			*now += n > 0 ? n : 0;
		}
	}
	if (*now < *got)
		vh_msgs_add(&st->problem, "hugepages: %lld reserved at boot, %lld now", *got, *now);
	topup_problem(st, hp);
	return true;
}

/* Warnings the boot itself logged (expect, hugepage shortfall) still count. */
static void report_warnings(struct status *st)
{
	const struct vh_jdoc *d = &st->doc;
	int arr = vh_jget(d, 0, "warnings"), errs = vh_jget(d, 0, "errors");

	for (int c = arr >= 0 ? d->node[arr].first : -1; c >= 0; c = d->node[c].next)
		if (d->node[c].type == VH_J_STR &&
		    !(strncmp(d->node[c].str, "hugepages", 9) == 0 && topup_complete(st)))
			vh_msgs_add(&st->problem, "at boot: %s", d->node[c].str);
	for (int c = errs >= 0 ? d->node[errs].first : -1; c >= 0; c = d->node[c].next)
		if (d->node[c].type == VH_J_STR)
			vh_msgs_add(&st->problem, "at boot: %s", d->node[c].str);
}

static void check_expect(struct status *st, long holding)
{
	long long expect = vh_jnum(&st->doc, 0, "expect", -1);

	if (expect >= 0 && holding != expect)
		vh_msgs_add(&st->problem,
			    "expect = %lld, but %ld function%s on their VFIO driver now", expect,
			    holding, holding == 1 ? " is" : "s are");
}

static long long pages_size(const struct status *st)
{
	return vh_jnum(&st->doc, vh_jget(&st->doc, 0, "hugepages"), "size_kib", 0);
}

/* Where a hugetlbfs of the report's page size is mounted now (in where), or NULL. */
static const char *pages_mount(const struct status *st, char *where, size_t size)
{
	return vh_hugetlbfs_find(&st->root, pages_size(st), where, size) == 1 ? where : NULL;
}

static void status_text(const struct status *st, const struct row *rows, int n, bool hp,
			long long got, long long now)
{
	const char *mode = vh_jstr(&st->doc, 0, "mode");
	char where[256];

	printf("last boot: %s (policy %s)\n", mode ? mode : "?",
	       vh_jstr(&st->doc, 0, "policy") ? vh_jstr(&st->doc, 0, "policy") : "-");
	if (n)
		printf("%-12s  %-6s  %-34s  %s\n", "ADDRESS", "ACTION", "RESULT AT BOOT",
		       "DRIVER NOW");
	for (int i = 0; i < n; i++)
		printf("%-12s  %-6s  %-34s  %s\n", rows[i].bdf,
		       rows[i].action ? rows[i].action : "-", rows[i].result ? rows[i].result : "-",
		       rows[i].now);
	if (hp && vh_jget(&st->doc, 0, "topup") >= 0)
		printf(
		    "hugepages: %lld reserved in the initramfs, %lld after the top-up, %lld now\n",
		    vh_jnum(&st->doc, vh_jget(&st->doc, 0, "topup"), "boot_obtained", 0), got, now);
	else if (hp)
		printf("hugepages: %lld reserved at boot, %lld now\n", got, now);
	if (hp && (got > 0 || now > 0))
		vh_pages_use_text(stdout, pages_size(st), pages_mount(st, where, sizeof(where)));
	for (int i = 0; i < st->problem.n; i++)
		printf("problem: %s\n", st->problem.msg[i]);
	if (st->problem.n == 0)
		printf("all holds\n");
}

/* Both stages: what the initramfs got and, if it ran, what the top-up brought it to. */
static void topup_json(struct vh_json *j, const struct vh_jdoc *d)
{
	int top = vh_jget(d, 0, "topup");

	if (top < 0) {
		vh_json_num(j, "initramfs_obtained",
			    vh_jnum(d, vh_jget(d, 0, "hugepages"), "obtained", 0));
		vh_json_null(j, "topup_obtained");
		return;
	}
	vh_json_num(j, "initramfs_obtained", vh_jnum(d, top, "boot_obtained", 0));
	vh_json_num(j, "topup_obtained", vh_jnum(d, top, "obtained", 0));
}

static void status_json(const struct status *st, const struct row *rows, int n, bool hp,
			long long got, long long now)
{
	struct vh_json j;
	char where[256];

	vh_json_begin(&j, stdout);
	vh_json_open(&j, NULL, '{');
	vh_json_str(&j, "mode", vh_jstr(&st->doc, 0, "mode"));
	vh_json_str(&j, "policy", vh_jstr(&st->doc, 0, "policy"));
	vh_json_open(&j, "functions", '[');
	for (int i = 0; i < n; i++) {
		vh_json_open(&j, NULL, '{');
		vh_json_str(&j, "bdf", rows[i].bdf);
		vh_json_str(&j, "action", rows[i].action);
		vh_json_str(&j, "result", rows[i].result);
		vh_json_str(&j, "driver_now", rows[i].now);
		vh_json_close(&j, '}');
	}
	vh_json_close(&j, ']');
	if (hp) {
		vh_json_open(&j, "hugepages", '{');
		vh_json_num(&j, "obtained", got);
		topup_json(&j, &st->doc);
		vh_json_num(&j, "now", now);
		vh_json_str(&j, "hugetlbfs_mount", pages_mount(st, where, sizeof(where)));
		vh_json_close(&j, '}');
	} else {
		vh_json_null(&j, "hugepages");
	}
	vh_json_open(&j, "problems", '[');
	for (int i = 0; i < st->problem.n; i++)
		vh_json_str(&j, NULL, st->problem.msg[i]);
	vh_json_close(&j, ']');
	vh_json_bool(&j, "holds", st->problem.n == 0);
	vh_json_close(&j, '}');
	vh_json_end(&j);
}

/* Metrics even without a report: a host where vfiohost did not run must show up too. */
static void status_prom(const struct status *st, bool have, long holding, long long hp_now,
			int stale)
{
	struct vh_prom_facts f = {
	    .doc = have ? &st->doc : NULL,
	    .holding = holding,
	    .hp_now = hp_now,
	    .stale = stale,
	    .problems = have ? st->problem.n : 1,
	};

	if (vh_prom_write(stdout, &f) < 0)
		fprintf(stderr, "vfiohost: status --prometheus: cannot write the metrics: %s\n",
			strerror(EIO));
}

int vh_cmd_status(const struct vh_opts *o)
{
	struct status *st = calloc(1, sizeof(*st));
	struct row *rows = NULL;
	long long got = 0, now = 0;
	int n = 0, rc = 1;
	bool hp;

	if (!st) {
		fprintf(stderr, "vfiohost: status: %s\n", strerror(ENOMEM));
		return 1;
	}
	if (vh_root_open(&st->root, o->root, stderr) < 0) {
		free(st);
		return 2;
	}
	if (vh_report_load(&st->root, &st->text, &st->doc, stderr) == 0 &&
	    (rows = calloc((size_t)st->doc.n, sizeof(*rows)))) {
		long holding = check_functions(st, rows, &n);
		vh_power_status(&st->root, &st->doc, &st->problem);
		hp = check_hugepages(st, &got, &now);
		report_warnings(st);
		check_expect(st, holding);
		int stale = vh_policy_changed(&st->root, o->config);
		if (stale == 1)
			vh_msgs_add(&st->problem, "%s changed since boot: %s", o->config,
				    VH_REBUILD_HINT);
		if (o->prometheus)
			status_prom(st, true, holding, hp ? now : -1, stale);
		else if (o->json)
			status_json(st, rows, n, hp, got, now);
		else
			status_text(st, rows, n, hp, got, now);
		rc = st->problem.n ? 1 : 0;
	} else if (o->prometheus) {
		status_prom(st, false, 0, -1, vh_policy_changed(&st->root, o->config));
	}
	free(rows);
	vh_json_free(&st->doc);
	free(st->text);
	vh_root_close(&st->root);
	free(st);
	return rc;
}
