/* cmd_boot: `vfiohost boot`, run from the initramfs before udev: decide, reserve hugepages,
 * bind, verify, log every step, write the report. Never the reason a machine fails to boot. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "context.h"

enum { PH_DECIDE, PH_POWER, PH_CLAIM, PH_HUGEPAGES, PH_BIND, PH_TOTAL, PH_COUNT };

/* Hugepages may use this share of the deadline; the rest is kept for binding. A time set by
 * [hugepages] time = or vfiohost.hugepages_time= replaces it, and the deadline grows by
 * what it adds, so that binding keeps its own time. */
#define HUGEPAGE_SHARE 60
/* One blocking write may take this share of the deadline before it is abandoned. */
#define STEP_SHARE 25

struct boot {
	struct vh_root logroot; /* for the log, open before the policy is read */
	struct vh_ctx c;
	struct vh_log lg;
	struct vh_binder bind;
	const char *mode;
	struct vh_timing t[PH_COUNT];
	char *errtext; /* what the policy parser and discovery said, owned */
	size_t errlen;
};

static void report_writer(FILE *f, const void *arg)
{
	const struct boot *b = arg;

	vh_plan_json(&b->c.plan, f, true, b->t, PH_COUNT);
}

/* The short report of a boot that decided nothing (off, no policy, bad policy). */
static void short_writer(FILE *f, const void *arg)
{
	const struct boot *b = arg;
	struct vh_json j;

	vh_json_begin(&j, f);
	vh_json_open(&j, NULL, '{');
	vh_json_str(&j, "policy", b->c.policy ? b->c.policy->path : NULL);
	vh_json_str(&j, "mode", b->mode);
	vh_json_open(&j, "functions", '[');
	vh_json_close(&j, ']');
	vh_json_null(&j, "hugepages");
	vh_json_open(&j, "errors", '[');
	for (const char *s = b->errtext; s && *s;) {
		size_t len = strcspn(s, "\n");
		char line[512];
		vh_fmt(line, sizeof(line), "%.*s", (int)(len < 500 ? len : 500), s);
		vh_json_str(&j, NULL, line);
		s += len + (s[len] == '\n');
	}
	vh_json_close(&j, ']');
	vh_json_close(&j, '}');
	vh_json_end(&j);
}

static void write_report(struct boot *b, bool full)
{
	int rc =
	    vh_run_file_write(&b->c.root, "report.json", full ? report_writer : short_writer, b);

	if (rc < 0)
		vh_log(&b->lg, VH_ERR, "/%s/report.json: writing failed: %s", VH_RUN_DIR,
		       strerror(-rc));
}

/* Sends what the parser and discovery printed to the kernel log, a line a record. */
static void log_errtext(struct boot *b, int level)
{
	for (const char *s = b->errtext; s && *s;) {
		size_t len = strcspn(s, "\n");
		if (strncmp(s, "vfiohost: ", 10) == 0 && len >= 10) /* the log names us already */
			s += 10, len -= 10;
		vh_log(&b->lg, level, "%.*s", (int)len, s);
		s += len + (s[len] == '\n');
	}
}

/* Where the choice of VFIO drivers came from (SPEC section 3, "Which VFIO driver"). */
static void log_aliases(struct boot *b)
{
	const struct vh_variants *v = &b->c.host.var;

	if (!b->c.policy->driver_auto)
		vh_log(&b->lg, VH_INFO,
		       "driver = vfio-pci: the generic vfio-pci for every function");
	else if (v->rc == 0)
		vh_log(&b->lg, VH_INFO,
		       "/lib/modules/%s/modules.alias: %zu vfio_pci: aliases of %zu modules",
		       v->release, v->nalias, v->nmod);
	else if (v->rc == -ENOENT)
		vh_log(&b->lg, VH_INFO,
		       "no /lib/modules/%s/modules.alias: the generic vfio-pci for every function",
		       v->release);
}

static void log_decisions(struct boot *b)
{
	const struct vh_host *h = &b->c.host;
	char label[64];

	log_aliases(b);
	for (size_t i = 0; i < h->nfn; i++) {
		const struct vh_fn *fn = &h->fn[i];
		bool vfio = fn->action == VH_BIND || fn->action == VH_KEEP;
		if (!fn->selected)
			continue;
		vh_fn_label(fn, label, sizeof(label));
		vh_log(&b->lg, fn->action == VH_REFUSE ? VH_WARNING : VH_INFO, "%s: %s: %s%s%s",
		       label, vh_action_name(fn->action), fn->note->reason, vfio ? "; module " : "",
		       vfio ? vh_fn_module(h, fn) : "");
	}
	for (int i = 0; i < b->c.plan.warn.n; i++)
		vh_log(&b->lg, VH_WARNING, "%s", b->c.plan.warn.msg[i]);
}

/* Keeps the policy this boot used, so plan and status can tell when the image is stale. */
static void save_policy_copy(struct boot *b)
{
	int rc = vh_policy_keep_copy(&b->c.root, b->c.policy->path);

	if (rc < 0)
		vh_log(&b->lg, VH_WARNING, "%s: keeping a copy in /%s failed: %s",
		       b->c.policy->path, VH_RUN_DIR, strerror(-rc));
}

/* Stops early for vfiohost=off, a missing, invalid or unsafe policy; returns the exit
 * status, or -1 to go on. */
static int early_exit(struct boot *b)
{
	char buf[256];
	const char *unsafe;

	if (b->c.policy_rc == -ENOENT) {
		vh_log(&b->lg, VH_INFO, "no policy at %s: nothing to do", b->c.policy->path);
		b->mode = "no-policy";
		write_report(b, false);
		return 0;
	}
	if (b->c.policy_rc < 0) {
		log_errtext(b, VH_ERR);
		vh_log(&b->lg, VH_ERR, "the policy %s is invalid: nothing applied",
		       b->c.policy->path);
		b->mode = "invalid-policy";
		write_report(b, false);
		return 2;
	}
	log_errtext(b, VH_WARNING);
	unsafe = vh_policy_unsafe(&b->c.root, b->c.policy->path, buf, sizeof(buf));
	if (unsafe) {
		vh_log(&b->lg, VH_ERR, "refusing to apply the policy: %s", unsafe);
		b->mode = "unsafe-policy";
		write_report(b, false);
		return 1;
	}
	return -1;
}

static void log_summary(struct boot *b)
{
	const struct vh_plan *pl = &b->c.plan;
	size_t bound = 0, failed = 0;

	for (size_t i = 0; i < b->c.host.nfn; i++) {
		const struct vh_fn *fn = &b->c.host.fn[i];
		if (!fn->note)
			continue;
		bound += strcmp(fn->note->result, "bound") == 0;
		failed += strncmp(fn->note->result, "failed", 6) == 0;
	}
	if (pl->count[VH_BIND] == 0 && (!pl->hp.present || pl->hp.got >= pl->hp.pages))
		vh_log(&b->lg, VH_INFO,
		       "nothing needed doing: the state already matches the policy");
	vh_log(
	    &b->lg, failed ? VH_WARNING : VH_INFO,
	    "done in %llu ms: %zu bound, %zu kept, %zu skipped, %zu refused, %zu failed; hugepages %llu of %llu",
	    (unsigned long long)(b->t[PH_TOTAL].us / 1000), bound, pl->count[VH_KEEP],
	    pl->count[VH_SKIP], pl->count[VH_REFUSE], failed, (unsigned long long)pl->hp.got,
	    (unsigned long long)pl->hp.pages);
}

/* Claim first (microseconds, and it keeps native drivers away), then load vfio-pci (which
 * binds what was claimed at once, with little memory), then hugepages, then probe what is
 * left and verify. A slow reservation may use only part of what remains of the deadline,
 * and the kernel work it leaves behind cannot starve the module load, so binding always
 * gets its turn. */
/* The time hugepages get, in microseconds: the command line's, the policy's, or the share
 * of what is left. */
static uint64_t hugepage_time_us(const struct boot *b, uint64_t left)
{
	long s = b->c.host.args.hp_time_s >= 0 ? b->c.host.args.hp_time_s : b->c.policy->hp.time_s;

	return s >= 0 ? (uint64_t)s * 1000000 : left * HUGEPAGE_SHARE / 100;
}

static int apply(struct boot *b, uint64_t t0, uint64_t deadline_us)
{
	struct vh_plan *pl = &b->c.plan;
	uint64_t t = vh_now_us(), left = deadline_us > t ? deadline_us - t : 0, bind_us, hp_us;
	struct vh_deadline dl = {deadline_us, left * STEP_SHARE / 100}, hp;
	int rc, prc;

	b->t[PH_DECIDE].us = t - t0;
	prc = vh_power_apply(pl, &b->c.root, &b->lg, &dl); /* before vfio-pci sees them */
	b->t[PH_POWER].us = vh_now_us() - t;
	t = vh_now_us();
	vh_bind_claim(&b->bind, pl, &b->c.root, &b->lg, &dl);
	b->t[PH_CLAIM].us = vh_now_us() - t;
	t = vh_now_us();
	vh_bind_load(&b->bind, &dl);
	bind_us = vh_now_us() - t;
	t = vh_now_us();
	left = deadline_us > t ? deadline_us - t : 0;
	hp_us = hugepage_time_us(b, left);
	if (hp_us > left * HUGEPAGE_SHARE / 100)
		dl.end_us = deadline_us += hp_us - left * HUGEPAGE_SHARE / 100;
	hp = (struct vh_deadline){t + hp_us, hp_us};
	pl->hp.time_ms = hp_us / 1000;
	vh_hugepages_reserve(pl, &b->c.root, &b->lg, &hp);
	b->t[PH_HUGEPAGES].us = vh_now_us() - t;
	t = vh_now_us();
	rc = vh_bind_finish(&b->bind, &dl);
	b->t[PH_BIND].us = bind_us + (vh_now_us() - t);
	b->t[PH_TOTAL].us = vh_now_us() - t0;
	log_summary(b);
	write_report(b, true);
	return rc < 0 || prc < 0 ? 1 : 0; /* warnings: the log and the report; 1: failures */
}

static int boot_run(struct boot *b, const struct vh_opts *o, uint64_t t0)
{
	uint64_t deadline_us = t0 + (uint64_t)o->deadline_ms * 1000;
	FILE *errf = open_memstream(&b->errtext, &b->errlen);
	int rc;

	if (!errf)
		return 1;
	rc = vh_ctx_open(&b->c, o, errf);
	fclose(errf);
	if (rc < 0) {
		log_errtext(b, VH_ERR);
		vh_log(&b->lg, VH_ERR, "cannot read this host's PCI devices: nothing done");
		return 1;
	}
	rc = early_exit(b);
	if (rc >= 0)
		return rc;
	save_policy_copy(b);
	log_decisions(b);
	if (vh_cmdline_has(b->c.host.cmdline, "vfiohost=dry-run")) {
		vh_log(&b->lg, VH_INFO,
		       "vfiohost=dry-run on the kernel command line: nothing changed");
		b->mode = "dry-run";
		b->c.plan.mode = b->mode;
		for (size_t i = 0; i < b->c.host.nfn; i++)
			if (b->c.host.fn[i].note)
				vh_fmt(b->c.host.fn[i].note->result,
				       sizeof(b->c.host.fn[i].note->result), "dry-run");
		b->t[PH_DECIDE].us = b->t[PH_TOTAL].us = vh_now_us() - t0;
		write_report(b, true);
		return 0;
	}
	b->mode = "apply";
	b->c.plan.mode = b->mode;
	return apply(b, t0, deadline_us);
}

int vh_cmd_boot(const struct vh_opts *o)
{
	static const char *const names[PH_COUNT] = {"decide",	 "power", "claim",
						    "hugepages", "bind",  "total"};
	struct boot *b = calloc(1, sizeof(*b));
	uint64_t t0 = vh_now_us();
	char cmdline[4096] = "";
	int rc = 1;

	if (!b || vh_root_open(&b->logroot, o->root, stderr) < 0) {
		if (!b)
			fprintf(stderr, "vfiohost: boot: %s\n", strerror(ENOMEM));
		free(b);
		return 1;
	}
	for (int i = 0; i < PH_COUNT; i++)
		b->t[i].name = names[i];
	b->c.root.fd = -1;
	b->c.host.devfd = -1;
	vh_log_open(&b->lg, &b->logroot, o->verbose);
	vh_read_cmdline(&b->logroot, cmdline, sizeof(cmdline));
	if (vh_cmdline_has(cmdline, "vfiohost=off")) {
		vh_log(&b->lg, VH_INFO, "vfiohost=off on the kernel command line: doing nothing");
		b->mode = "off";
		b->c.root = b->logroot;
		write_report(b, false);
		b->c.root.fd = -1;
		rc = 0;
	} else {
		rc = boot_run(b, o, t0);
	}
	vh_log_close(&b->lg);
	vh_ctx_close(&b->c);
	vh_root_close(&b->logroot);
	free(b->errtext);
	free(b);
	return rc;
}
