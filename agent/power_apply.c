/* power_apply: boot writes reset_method and d3cold_allowed of the functions to bind, before
 * they are claimed, so that vfio-pci's probe finds them set. The writes run in worker
 * children (worker.c), each a step with its own time limit: d3cold_allowed wakes the device
 * and may wait on it. A failed write is a warning and the function is bound all the same;
 * a write that hung leaves its device's group alone, as a device stuck in the kernel is
 * never touched again. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vfiohost.h"

enum { S_RESET = 1, S_D3COLD };

struct papply {
	struct vh_plan *pl;
	struct vh_log *lg;
	size_t *todo; /* indices into h->fn of the functions with something to write; owned */
	size_t n, nw;
	size_t wi; /* the worker being started: its child's copy says which one it is */
	struct vh_worker w[VH_MAX_WORKERS];
	int failed;
};

static const char *file_of(int step)
{
	return step == S_RESET ? "reset_method" : "d3cold_allowed";
}

/* ---- in the worker child ---- */

static void write_step(struct vh_wctx *c, int devfd, const struct vh_fn *fn, int idx, int step)
{
	const struct vh_power_fn *pw = &fn->note->power;
	char path[64], value[VH_RESET_LEN + 2];
	int rc;

	vh_fmt(path, sizeof(path), "%s/%s", fn->bdf, file_of(step));
	/* a newline ends the value, as the kernel parses it, whatever the file held before */
	if (step == S_RESET)
		vh_fmt(value, sizeof(value), "%s\n", pw->reset_write);
	else
		vh_fmt(value, sizeof(value), "%d\n", pw->d3cold_write);
	vh_wbegin(c, idx, step);
	rc = vh_write_at(devfd, path, value);
	vh_wend(c, idx, step, rc, NULL);
}

static void body(struct vh_wctx *c, void *arg)
{
	const struct papply *a = arg;
	const struct vh_host *h = a->pl->host;
	for (size_t k = a->wi; k < a->n; k += a->nw) {
		const struct vh_fn *fn = &h->fn[a->todo[k]];
		if (fn->note->power.reset_write[0])
			write_step(c, h->devfd, fn, (int)a->todo[k], S_RESET);
		if (fn->note->power.d3cold_write >= 0)
			write_step(c, h->devfd, fn, (int)a->todo[k], S_D3COLD);
	}
	vh_wphase(c, 0);
}

/* ---- in the parent ---- */

static char *result_of(struct vh_fn *fn, int step)
{
	return step == S_RESET ? fn->note->power.reset_result : fn->note->power.d3cold_result;
}

static void value_of(const struct vh_fn *fn, int step, char *buf, size_t size)
{
	if (step == S_RESET)
		vh_fmt(buf, size, "%s", fn->note->power.reset_write);
	else
		vh_fmt(buf, size, "%d", fn->note->power.d3cold_write);
}

/* A group one of whose devices is stuck in the kernel is not bound: every function of it
 * still to bind is refused, and says why. */
static void leave_group(struct papply *a, const struct vh_fn *hung, int step)
{
	struct vh_plan *pl = a->pl;
	struct vh_host *h = pl->host;

	for (size_t i = 0; i < h->nfn; i++) {
		struct vh_fn *fn = &h->fn[i];
		size_t l;
		if (fn->group != hung->group || fn->action != VH_BIND || !fn->note)
			continue;
		fn->action = VH_REFUSE;
		pl->count[VH_BIND]--;
		pl->count[VH_REFUSE]++;
		l = strlen(fn->note->reason);
		vh_fmt(fn->note->reason + l, sizeof(fn->note->reason) - l,
		       "; left alone: writing %s of %s hung", file_of(step), hung->bdf);
		vh_fmt(fn->note->result, sizeof(fn->note->result),
		       "failed: not bound: writing %s of %s hung", file_of(step), hung->bdf);
	}
	vh_log(a->lg, VH_ERR, "group %d: left to its drivers: writing %s of %s hung", hung->group,
	       file_of(step), hung->bdf);
}

static void on_end(struct papply *a, struct vh_fn *fn, int step, int rc)
{
	char label[64], value[VH_RESET_LEN];

	vh_fn_label(fn, label, sizeof(label));
	value_of(fn, step, value, sizeof(value));
	if (rc == 0) {
		vh_fmt(result_of(fn, step), sizeof(fn->note->power.reset_result), "written");
		vh_log(a->lg, VH_INFO, "%s: wrote '%s' to %s", label, value, file_of(step));
		return;
	}
	a->failed++;
	vh_fmt(result_of(fn, step), sizeof(fn->note->power.reset_result), "failed: %s",
	       vh_step_why(rc));
	vh_log(a->lg, VH_ERR, "%s: writing '%s' to %s failed: %s", label, value, file_of(step),
	       vh_step_why(rc));
	if (rc == -ETIMEDOUT || rc == -ECHILD)
		leave_group(a, fn, step);
	else
		vh_log(a->lg, VH_WARNING, "%s: binding it anyway, with its %s as it was", label,
		       file_of(step));
}

static void on_msg(void *ctx, struct vh_worker *w, const struct vh_wmsg *m)
{
	struct papply *a = ctx;

	(void)w;
	if (m->kind != VH_W_END || m->fn < 0 || (size_t)m->fn >= a->pl->host->nfn)
		return;
	if (m->step == S_RESET || m->step == S_D3COLD)
		on_end(a, &a->pl->host->fn[m->fn], m->step, m->rc);
}

/* Writes a worker never got to (it could not start, died, or the deadline came first). */
static void not_tried(struct papply *a)
{
	for (size_t k = 0; k < a->n; k++) {
		struct vh_fn *fn = &a->pl->host->fn[a->todo[k]];
		struct vh_power_fn *pw = &fn->note->power;
		char label[64];
		bool reset = pw->reset_write[0] && !pw->reset_result[0];
		bool d3cold = pw->d3cold_write >= 0 && !pw->d3cold_result[0];
		if (!reset && !d3cold)
			continue;
		if (reset)
			vh_fmt(pw->reset_result, sizeof(pw->reset_result), "failed: not tried");
		if (d3cold)
			vh_fmt(pw->d3cold_result, sizeof(pw->d3cold_result), "failed: not tried");
		a->failed++;
		vh_fn_label(fn, label, sizeof(label));
		vh_log(a->lg, VH_ERR, "%s: %s not written: no worker got to it in time", label,
		       reset && d3cold ? "reset_method and d3cold_allowed"
		       : reset	       ? "reset_method"
				       : "d3cold_allowed");
	}
}

static int collect(struct papply *a)
{
	const struct vh_host *h = a->pl->host;

	for (int pass = 0; pass < 2; pass++) {
		a->n = 0;
		for (size_t i = 0; i < h->nfn; i++) {
			const struct vh_fn *fn = &h->fn[i];
			if (fn->selected && fn->note && fn->action == VH_BIND &&
			    (fn->note->power.reset_write[0] || fn->note->power.d3cold_write >= 0)) {
				if (a->todo)
					a->todo[a->n] = i;
				a->n++;
			}
		}
		if (pass == 0 && a->n && !(a->todo = calloc(a->n, sizeof(*a->todo))))
			return -ENOMEM;
		if (a->n == 0)
			return 0;
	}
	return 0;
}

int vh_power_apply(struct vh_plan *pl, const struct vh_root *r, struct vh_log *lg,
		   const struct vh_deadline *dl)
{
	struct papply a = {.pl = pl, .lg = lg};
	struct vh_wpool p = {.w = a.w, .on_msg = on_msg, .ctx = &a};

	(void)r;
	if (collect(&a) < 0) {
		vh_log(lg, VH_ERR, "cannot write reset_method or d3cold_allowed: out of memory");
		return -ENOMEM;
	}
	a.nw = a.n < VH_MAX_WORKERS ? a.n : VH_MAX_WORKERS;
	for (size_t wi = 0; wi < a.nw; wi++) {
		int rc;
		a.wi = wi;
		rc = vh_worker_start(&a.w[wi], body, &a);
		if (rc < 0) {
			vh_log(lg, VH_ERR, "cannot start a worker: %s", strerror(-rc));
			a.w[wi].gone = true;
		}
	}
	p.n = a.nw;
	vh_workers_wait(&p, dl);
	for (size_t wi = 0; wi < a.nw; wi++)
		vh_worker_end(&a.w[wi]);
	not_tried(&a);
	free(a.todo);
	return a.failed ? -EIO : 0;
}
