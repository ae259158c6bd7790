/* cmd_topup: `vfiohost topup`, run once the real root is up (vfiohost-topup.service, ordered
 * before libvirtd, pve-guests and kubelet): reserves what the initramfs could not of the
 * boot's hugepage plan, logs it as boot does, and adds a "topup" member to the report. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "topup.h"

struct topup {
	struct vh_root root;
	struct vh_log lg;
	struct vh_jdoc doc;
	char *text;	   /* the report, parsed in place; owned */
	char *orig;	   /* the report as it was, for the rewrite; owned */
	struct vh_plan pl; /* only its hugepages and warnings are used */
	uint64_t boot_got, us;
};

static void json_stage(struct vh_json *j, const struct vh_hp_plan *hp, const char *shortname)
{
	vh_json_num(j, "pages", (long long)hp->pages);
	vh_json_num(j, "before", (long long)hp->before);
	vh_json_num(j, "obtained", (long long)hp->got);
	vh_json_str(j, "short", shortname);
	vh_json_num(j, "time_ms", (long long)hp->time_ms);
	vh_json_num(j, "ms", (long long)hp->ms);
	vh_json_open(j, "nodes", '[');
	for (int i = 0; i < hp->nnodes; i++) {
		const struct vh_hp_node *n = &hp->node[i];
		vh_json_open(j, NULL, '{');
		vh_json_num(j, "node", n->node);
		vh_json_num(j, "pages", (long long)n->pages);
		vh_json_num(j, "before", (long long)n->before);
		vh_json_num(j, "obtained", (long long)n->got);
		vh_json_str(j, "short", n->why == VH_HP_FULL ? NULL : vh_hp_short_name(n->why));
		vh_json_num(j, "tries", n->tries);
		vh_json_num(j, "ms", (long long)n->ms);
		vh_json_close(j, '}');
	}
	vh_json_close(j, ']');
}

static const char *short_name(const struct vh_hp_plan *hp)
{
	for (int i = 0; i < hp->nnodes; i++)
		if (hp->node[i].why != VH_HP_FULL)
			return vh_hp_short_name(hp->node[i].why);
	if (!hp->nnodes && hp->why != VH_HP_FULL)
		return vh_hp_short_name(hp->why);
	return hp->got < hp->pages ? "memory" : NULL;
}

/* The report as it was, its closing brace replaced by this top-up's member. */
static void report_writer(FILE *f, const void *arg)
{
	const struct topup *t = arg;
	size_t keep = vh_topup_keep(t->orig, strlen(t->orig));
	struct vh_json j;

	fwrite(t->orig, 1, keep, f);
	vh_json_begin(&j, f);
	j.depth = 1; /* inside the report's object, after its members */
	vh_json_open(&j, "topup", '{');
	vh_json_num(&j, "boot_obtained", (long long)t->boot_got);
	json_stage(&j, &t->pl.hp, short_name(&t->pl.hp));
	vh_json_close(&j, '}');
	fputs("\n}\n", f);
}

static int reserve(struct topup *t, const struct vh_opts *o)
{
	struct vh_hp_plan *hp = &t->pl.hp;
	uint64_t t0 = vh_now_us(), ms = o->deadline_set ? o->deadline_ms : VH_TOPUP_TIME_S * 1000;
	struct vh_deadline dl = {t0 + ms * 1000, ms * 1000};
	int rc;

	hp->time_ms = ms;
	vh_log(
	    &t->lg, VH_INFO,
	    "topup: the initramfs reserved %llu of %llu hugepages; reserving the rest, in %llu ms at most",
	    (unsigned long long)t->boot_got, (unsigned long long)hp->pages, (unsigned long long)ms);
	vh_hugepages_reserve(&t->pl, &t->root, &t->lg, &dl);
	t->us = vh_now_us() - t0;
	vh_log(&t->lg, hp->got < hp->pages ? VH_WARNING : VH_INFO,
	       "topup: done in %llu ms: hugepages %llu of %llu (%llu before the top-up)",
	       (unsigned long long)(t->us / 1000), (unsigned long long)hp->got,
	       (unsigned long long)hp->pages, (unsigned long long)hp->before);
	rc = vh_run_file_write(&t->root, "report.json", report_writer, t);
	if (rc < 0)
		vh_log(&t->lg, VH_ERR, "/%s/report.json: writing failed: %s", VH_RUN_DIR,
		       strerror(-rc));
	return hp->got < hp->pages ? 1 : 0;
}

static int topup_run(struct topup *t, const struct vh_opts *o)
{
	char why[160];
	size_t len;
	int rc;

	if (vh_read_whole_at(t->root.fd, VH_RUN_DIR "/report.json", &t->orig, &len, 256u << 20) <
	    0) {
		vh_log(&t->lg, VH_INFO,
		       "topup: no report of this boot at /%s/report.json: nothing to top up",
		       VH_RUN_DIR);
		return 0;
	}
	t->text = strdup(t->orig); /* parsed in place; orig is kept for the rewrite */
	if (!t->text || vh_json_parse(&t->doc, t->text) < 0 || t->doc.node[0].type != VH_J_OBJ) {
		vh_log(&t->lg, VH_ERR, "topup: /%s/report.json is not a report vfiohost wrote",
		       VH_RUN_DIR);
		return 1;
	}
	rc = vh_topup_plan(&t->doc, &t->pl.hp, why, sizeof(why));
	if (rc != 0) {
		vh_log(&t->lg, rc < 0 ? VH_ERR : VH_INFO, "topup: /%s/report.json: %s", VH_RUN_DIR,
		       why);
		return rc < 0 ? 1 : 0;
	}
	t->boot_got = (uint64_t)vh_topup_obtained(&t->doc);
	return reserve(t, o);
}

int vh_cmd_topup(const struct vh_opts *o)
{
	struct topup *t = calloc(1, sizeof(*t));
	int rc;

	if (!t) {
		fprintf(stderr, "vfiohost: topup: %s\n", strerror(ENOMEM));
		return 1;
	}
	if (vh_root_open(&t->root, o->root, stderr) < 0) {
		free(t);
		return 2;
	}
	vh_log_open(&t->lg, &t->root, o->verbose);
	rc = topup_run(t, o);
	vh_log_close(&t->lg);
	vh_json_free(&t->doc);
	free(t->text);
	free(t->orig);
	vh_root_close(&t->root);
	free(t);
	return rc;
}
