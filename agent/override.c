/* override: the driver_override of the functions plan shows. The kernel takes the device
 * lock to show it, and a driver whose probe or remove hangs holds that lock for good, so
 * the reads run in one worker child with a time limit; a read that does not come back is
 * a warning that names the function. (boot reads it in its group workers instead.) */
#include <errno.h>
#include <string.h>

#include "vfiohost.h"

#define OVERRIDE_BUDGET_US 1000000

struct reads {
	struct vh_plan *pl;
};

static void body(struct vh_wctx *c, void *arg)
{
	const struct reads *rd = arg;
	const struct vh_host *h = rd->pl->host;

	for (size_t i = 0; i < h->nfn; i++) {
		char path[64], value[32] = "";
		int rc;
		if (!h->fn[i].detailed)
			continue;
		vh_wbegin(c, (int)i, 1);
		vh_fmt(path, sizeof(path), "%s/driver_override", h->fn[i].bdf);
		rc = vh_read_str_wait_at(h->devfd, path, value, sizeof(value));
		vh_wend(c, (int)i, 1, rc < 0 ? rc : 0, value);
	}
	vh_wphase(c, 0);
}

static void on_msg(void *ctx, struct vh_worker *w, const struct vh_wmsg *m)
{
	struct reads *rd = ctx;
	struct vh_fn *fn;
	char label[64];

	(void)w;
	if (m->kind != VH_W_END || m->fn < 0 || (size_t)m->fn >= rd->pl->host->nfn)
		return;
	fn = &rd->pl->host->fn[m->fn];
	if (m->rc == 0 && strcmp(m->text, "(null)") != 0)
		vh_fmt(fn->override, sizeof(fn->override), "%s", m->text);
	if (m->rc == -ETIMEDOUT) {
		vh_fn_label(fn, label, sizeof(label));
		vh_msgs_add(
		    &rd->pl->warn,
		    "%s: reading driver_override hung: a driver holds the device's lock (a probe or remove that never ends?); boot will fail this function",
		    label);
	}
}

void vh_read_overrides(struct vh_plan *pl)
{
	struct reads rd = {.pl = pl};
	struct vh_worker w;
	struct vh_wpool p = {.w = &w, .n = 1, .on_msg = on_msg, .ctx = &rd};
	uint64_t now = vh_now_us();
	struct vh_deadline dl = {now + OVERRIDE_BUDGET_US, OVERRIDE_BUDGET_US};

	if (vh_worker_start(&w, body, &rd) < 0) {
		vh_msgs_add(&pl->warn, "cannot start a child to read driver_override");
		return;
	}
	vh_workers_wait(&p, &dl);
	vh_worker_end(&w);
}
