/* bind: put the functions whose action is bind on the VFIO driver chosen for each (vfio-pci,
 * or a variant: variant.c). Each IOMMU group's chain runs in a worker child (worker.c), all
 * groups at once: claim (driver_override, and an unbind where another driver holds it),
 * then, once the parent has loaded the modules, name the variant's driver, probe, verify,
 * and wait until each function is a VFIO device a VMM can open (vfiodev.c). The parent
 * keeps every deadline, says what happened, and rolls back a group that cannot be claimed
 * whole, never touching again a device whose step hung (its lock may be held for good).
 *
 * The claim of a function meant for a variant writes the variant's module name, which no
 * driver registers but, at most, the variant itself: vfio-pci, loaded for the other
 * functions, can never take it before driver_override names the variant's driver. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vfiohost.h"

#define VFIO_DEV_WAIT_US 2000000

enum { S_OVERRIDE = 1, S_UNBIND, S_PROBE, S_VERIFY, S_NODE, S_ROLLBACK, S_RESOLVE, S_NAME };
enum { F_CLAIMED = 1, F_VERIFIED = 2 }; /* vh_binder.st, per function */

static const char *step_name(int step)
{
	static const char *const names[] = {"a worker",
					    "writing driver_override",
					    "unbinding from its driver",
					    "writing drivers_probe",
					    "checking its driver",
					    "waiting for its VFIO device",
					    "rolling back",
					    "naming its VFIO driver",
					    "writing its driver to driver_override"};

	return step > 0 && step <= S_NAME ? names[step] : names[0];
}

static void fail(struct vh_fn *fn, struct vh_log *lg, const char *step, int rc)
{
	char label[64];

	vh_fn_label(fn, label, sizeof(label));
	vh_fmt(fn->note->result, sizeof(fn->note->result), "failed: %s: %s", step, vh_step_why(rc));
	vh_log(lg, VH_ERR, "%s: %s failed: %s", label, step, vh_step_why(rc));
}

static struct vh_fn *run_fn(const struct vh_binder *b, const struct vh_grun *g, size_t k)
{
	return &b->pl->host->fn[b->pl->host->bygroup[g->first + k].idx];
}

static int fn_index(const struct vh_binder *b, const struct vh_fn *fn)
{
	return (int)(fn - b->pl->host->fn);
}

static bool is_variant(const struct vh_fn *fn)
{
	return fn->note->vmod >= 0;
}

/* What the claim writes: "vfio-pci", or the variant's module name (see the top). */
static const char *claim_name(const struct vh_binder *b, const struct vh_fn *fn)
{
	return is_variant(fn) ? vh_fn_module(b->pl->host, fn) : VH_GENERIC_DRIVER;
}

/* ---- in the worker child: system calls only, reported through c ---- */

/* Reads driver_override first: where a hung probe holds the device lock the read waits,
 * and a child abandoned there is killed before it could write. */
static int claim_fn(struct vh_wctx *c, struct vh_binder *b, struct vh_fn *fn)
{
	int devfd = b->pl->host->devfd, idx = fn_index(b, fn), rc;
	char path[64], old[32] = "";

	vh_wbegin(c, idx, S_OVERRIDE);
	vh_fmt(path, sizeof(path), "%s/driver_override", fn->bdf);
	rc = vh_read_str_wait_at(devfd, path, old, sizeof(old));
	if (rc >= 0)
		rc = vh_write_at(devfd, path, claim_name(b, fn));
	vh_wend(c, idx, S_OVERRIDE, rc, old);
	if (rc < 0)
		return rc;
	b->st[idx] |= F_CLAIMED;
	if (!fn->driver[0]) /* to bind, so not on the driver chosen for it */
		return 0;
	vh_wbegin(c, idx, S_UNBIND);
	vh_fmt(path, sizeof(path), "%s/driver/unbind", fn->bdf);
	rc = vh_write_at(devfd, path, fn->bdf);
	vh_wend(c, idx, S_UNBIND, rc, NULL);
	return rc;
}

/* Clears the claimed functions' driver_override (but SKIP's) so native drivers take them. */
static void roll_back_run(struct vh_wctx *c, struct vh_binder *b, const struct vh_grun *g, int skip)
{
	int devfd = b->pl->host->devfd;

	for (size_t k = 0; k < g->n; k++) {
		struct vh_fn *fn = run_fn(b, g, k);
		int idx = fn_index(b, fn), rc;
		char path[64];
		if (!(b->st[idx] & F_CLAIMED) || idx == skip)
			continue;
		vh_wbegin(c, idx, S_ROLLBACK);
		vh_fmt(path, sizeof(path), "%s/driver_override", fn->bdf);
		rc = vh_write_at(devfd, path, "\n");
		if (rc >= 0)
			rc = vh_write_at(devfd, "../drivers_probe", fn->bdf);
		vh_wend(c, idx, S_ROLLBACK, rc, NULL);
	}
}

static bool claim_run(struct vh_wctx *c, struct vh_binder *b, const struct vh_grun *g)
{
	for (size_t k = 0; k < g->n; k++) {
		struct vh_fn *fn = run_fn(b, g, k);
		if (fn->action == VH_BIND && claim_fn(c, b, fn) < 0) {
			roll_back_run(c, b, g, -1);
			return false;
		}
	}
	return true;
}

/* Waits, bounded, until every function to bind of the group is a VFIO device a VMM can open
 * (vfiodev.c): the group's node appears only once vfio-pci holds the whole group. */
static int wait_usable(const struct vh_binder *b, const struct vh_grun *g, char *cdev, size_t size)
{
	uint64_t until = vh_now_us() + b->wait_us;
	int rc;

	for (;;) {
		rc = 0;
		for (size_t k = 0; k < g->n && rc == 0; k++) {
			const struct vh_fn *fn = run_fn(b, g, k);
			if (fn->action == VH_BIND)
				rc = vh_vfio_usable(b->r, b->pl->host->devfd, fn->bdf, fn->group,
						    cdev, size);
		}
		if (rc == 0 || vh_now_us() >= until)
			return rc;
		usleep(10000);
	}
}

/* The driver a variant's module registered (its module is loaded now), written to
 * driver_override in place of the claim's module name; WANT gets it. */
static bool name_variant(struct vh_wctx *c, struct vh_binder *b, struct vh_fn *fn, char *want,
			 size_t size)
{
	int idx = fn_index(b, fn), rc;
	char path[64];

	vh_wbegin(c, idx, S_RESOLVE);
	rc = vh_module_driver(b->r->fd, vh_fn_module(b->pl->host, fn), want, size);
	vh_wend(c, idx, S_RESOLVE, rc, want);
	if (rc < 0 || strcmp(want, claim_name(b, fn)) == 0)
		return rc == 0;
	vh_wbegin(c, idx, S_NAME);
	vh_fmt(path, sizeof(path), "%s/driver_override", fn->bdf);
	rc = vh_write_at(b->pl->host->devfd, path, want);
	vh_wend(c, idx, S_NAME, rc, want);
	return rc == 0;
}

/* Asks the kernel to probe, then trusts only the driver link: a write to drivers_probe
 * succeeds even when no driver takes the device. */
static bool probe_fn(struct vh_wctx *c, struct vh_binder *b, struct vh_fn *fn)
{
	int devfd = b->pl->host->devfd, idx = fn_index(b, fn), rc;
	char path[64], drv[32] = "", want[32] = VH_GENERIC_DRIVER;

	if (is_variant(fn) && !name_variant(c, b, fn, want, sizeof(want)))
		return false;
	vh_fmt(path, sizeof(path), "%s/driver", fn->bdf);
	if (vh_link_base_at(devfd, path, drv, sizeof(drv)) < 0 || strcmp(drv, want) != 0) {
		vh_wbegin(c, idx, S_PROBE);
		rc = vh_write_at(devfd, "../drivers_probe", fn->bdf);
		vh_wend(c, idx, S_PROBE, rc, NULL);
		if (rc < 0)
			return false;
	}
	if (vh_link_base_at(devfd, path, drv, sizeof(drv)) < 0)
		vh_fmt(drv, sizeof(drv), "no driver");
	rc = strcmp(drv, want) == 0 ? 0 : -ENODEV;
	vh_wend(c, idx, S_VERIFY, rc, drv);
	return rc == 0;
}

static void finish_run(struct vh_wctx *c, struct vh_binder *b, const struct vh_grun *g)
{
	int ok = 0, bad = 0, first = -1;

	for (size_t k = 0; k < g->n; k++) {
		struct vh_fn *fn = run_fn(b, g, k);
		if (fn->action != VH_BIND)
			continue;
		if (first < 0)
			first = fn_index(b, fn);
		if (probe_fn(c, b, fn))
			ok++;
		else
			bad++;
	}
	if (ok > 0 && bad == 0) {
		char cdev[32];
		int rc;
		vh_wbegin(c, first, S_NODE);
		rc = wait_usable(b, g, cdev, sizeof(cdev));
		vh_wend(c, first, S_NODE, rc, cdev);
	}
}

struct job {
	struct vh_binder *b;
	size_t wi;    /* this worker's runs: wi, wi + nw, wi + 2 nw, ... */
	int rollback; /* a rollback job: the function to leave alone, or -1; -2: no */
};

static void worker_body(struct vh_wctx *c, void *arg)
{
	struct job *j = arg;
	struct vh_binder *b = j->b; /* the child's own copy: what it marks stays here */

	if (j->rollback > -2) {
		for (size_t g = j->wi; g < b->nruns; g += b->nw)
			roll_back_run(c, b, &b->runs[g], j->rollback);
		vh_wphase(c, 0);
		return;
	}
	for (size_t g = j->wi; g < b->nruns; g += b->nw)
		b->runs[g].claimed = claim_run(c, b, &b->runs[g]);
	vh_wphase(c, 0);
	if (vh_wawait(c) != 'g')
		return;
	for (size_t g = j->wi; g < b->nruns; g += b->nw)
		if (b->runs[g].claimed)
			finish_run(c, b, &b->runs[g]);
	vh_wphase(c, 0);
}

/* ---- in the parent: what the workers say, and the deadlines ---- */

static struct vh_grun *run_of(struct vh_binder *b, const struct vh_fn *fn)
{
	for (size_t g = 0; g < b->nruns; g++)
		if (run_fn(b, &b->runs[g], 0)->group == fn->group)
			return &b->runs[g];
	return NULL;
}

/* A worker gave up or died between steps: whatever of its runs is unfinished fails. */
static void worker_lost(struct vh_binder *b, const struct vh_worker *w, int rc)
{
	for (size_t g = (size_t)(w - b->w); g < b->nruns; g += b->nw)
		for (size_t k = 0; k < b->runs[g].n; k++) {
			struct vh_fn *fn = run_fn(b, &b->runs[g], k);
			if (fn->action == VH_BIND && !fn->note->result[0])
				fail(fn, b->lg, step_name(0), rc);
		}
}

/* A variant's driver named, or not: the module, and the file that should have named it. */
static void on_resolved(struct vh_binder *b, struct vh_fn *fn, const struct vh_wmsg *m)
{
	const char *mod = vh_fn_module(b->pl->host, fn);
	char label[64];

	vh_fn_label(fn, label, sizeof(label));
	if (m->rc == 0) {
		vh_fmt(fn->note->used, sizeof(fn->note->used), "%s", m->text);
		vh_log(b->lg, VH_INFO,
		       "%s: %s registered the driver %s (/sys/module/%s/drivers/pci:%s)", label,
		       mod, m->text, mod, m->text);
		return;
	}
	vh_fmt(fn->note->result, sizeof(fn->note->result),
	       "failed: %s names no pci driver in /sys/module/%s/drivers", mod, mod);
	vh_log(
	    b->lg, VH_ERR,
	    "%s: %s names no pci driver in /sys/module/%s/drivers (%s): not bound, left claimed (driver = vfio-pci would take the generic vfio-pci)",
	    label, mod, mod, m->rc == -ENOENT ? "the module is not loaded" : strerror(-m->rc));
}

static void on_end(struct vh_binder *b, struct vh_fn *fn, const struct vh_wmsg *m)
{
	struct vh_grun *g = run_of(b, fn);
	int idx = fn_index(b, fn);
	char label[64];

	vh_fn_label(fn, label, sizeof(label));
	if (m->step == S_OVERRIDE && m->rc == 0) {
		b->st[idx] |= F_CLAIMED;
		vh_fmt(fn->override, sizeof(fn->override), "%s",
		       strcmp(m->text, "(null)") == 0 ? "" : m->text);
		if (!is_variant(fn))
			vh_fmt(fn->note->used, sizeof(fn->note->used), VH_GENERIC_DRIVER);
		vh_log(b->lg, VH_INFO, "%s: driver_override set to %s", label, claim_name(b, fn));
	} else if (m->step == S_RESOLVE) {
		on_resolved(b, fn, m);
	} else if (m->step == S_NAME && m->rc == 0) {
		vh_log(b->lg, VH_INFO, "%s: driver_override set to %s", label, m->text);
	} else if (m->step == S_VERIFY && m->rc == 0) {
		b->st[idx] |= F_VERIFIED;
	} else if (m->step == S_VERIFY) {
		vh_fmt(fn->note->result, sizeof(fn->note->result),
		       "failed: not on %s after probing (%s)", fn->note->used, m->text);
		vh_log(b->lg, VH_ERR, "%s: not on %s after probing (%s)", label, fn->note->used,
		       m->text);
	} else if (m->step == S_NODE) {
		g->node = m->rc == 0 ? 1 : -1;
		g->node_rc = m->rc;
		vh_fmt(g->node_cdev, sizeof(g->node_cdev), "%s", m->text);
	} else if (m->rc < 0 && m->step != S_ROLLBACK) {
		fail(fn, b->lg, step_name(m->step), m->rc);
		if (m->step != S_PROBE && g->culprit < 0)
			g->culprit = idx;
		if (m->rc == -ETIMEDOUT || m->rc == -ECHILD)
			g->hung = idx;
	}
}

static void on_msg(void *ctx, struct vh_worker *w, const struct vh_wmsg *m)
{
	struct vh_binder *b = ctx;
	struct vh_fn *fn;
	char label[64];

	if (m->fn < 0 || (size_t)m->fn >= b->pl->host->nfn) {
		if (m->kind == VH_W_END && w >= b->w && w < b->w + b->nw) /* not a rollback's */
			worker_lost(b, w, m->rc);
		return;
	}
	fn = &b->pl->host->fn[m->fn];
	if (m->kind == VH_W_BEGIN && m->step == S_UNBIND && strcmp(fn->driver, "vfio-pci") == 0) {
		vh_fn_label(fn, label, sizeof(label));
		vh_log(b->lg, VH_INFO, "%s: on vfio-pci, but %s is chosen for it: unbinding it",
		       label, vh_fn_module(b->pl->host, fn));
	} else if (m->kind == VH_W_BEGIN && m->step == S_UNBIND) {
		vh_fn_label(fn, label, sizeof(label));
		vh_log(b->lg, VH_WARNING, "%s: %s got there first: unbinding it (fallback path)",
		       label, fn->driver);
	} else if (m->kind == VH_W_END) {
		on_end(b, fn, m);
	}
}

/* The groups that hold a function to bind, as runs of h->bygroup, spread over at most
 * VH_MAX_WORKERS workers (a host with more groups shares workers between them). */
static int plan_runs(struct vh_binder *b)
{
	struct vh_host *h = b->pl->host;
	size_t n = 0;

	for (size_t i = 0, span; i < h->nfn; i += span) {
		span = vh_group_span(h, i);
		for (size_t k = 0; k < span; k++)
			if (h->fn[h->bygroup[i + k].idx].action == VH_BIND) {
				if (b->runs)
					b->runs[n] = (struct vh_grun){.first = i,
								      .n = span,
								      .culprit = -1,
								      .hung = -1,
								      .node_rc = -ENOENT};
				n++;
				break;
			}
	}
	return (int)n;
}

static int binder_init(struct vh_binder *b)
{
	size_t n = (size_t)plan_runs(b);

	b->runs = calloc(n ? n : 1, sizeof(*b->runs));
	b->st = calloc(b->pl->host->nfn, 1);
	if (!b->runs || !b->st)
		return -ENOMEM;
	b->nruns = (size_t)plan_runs(b);
	b->nw = b->nruns < VH_MAX_WORKERS ? b->nruns : VH_MAX_WORKERS;
	return 0;
}

/* The function whose step hung in one of worker WI's groups, or -1. */
static int worker_hung(const struct vh_binder *b, size_t wi)
{
	for (size_t g = wi; g < b->nruns; g += b->nw)
		if (b->runs[g].hung >= 0)
			return b->runs[g].hung;
	return -1;
}

/* Starts the chain workers in W, or (WHICH given) rollback workers for those WHICH names;
 * W[i] serves the runs i, i + nw, i + 2 nw, ... either way. */
static void start_workers(struct vh_binder *b, struct vh_worker *w, const bool *which)
{
	for (size_t wi = 0; wi < b->nw; wi++) {
		struct job j = {.b = b, .wi = wi, .rollback = which ? worker_hung(b, wi) : -2};
		int rc;
		if (which && !which[wi]) {
			w[wi] = (struct vh_worker){.pid = -1, .rfd = -1, .wfd = -1, .gone = true};
			continue;
		}
		rc = vh_worker_start(&w[wi], worker_body, &j);
		if (rc < 0) {
			vh_log(b->lg, VH_ERR, "cannot start a worker: %s", strerror(-rc));
			w[wi].gone = true;
			if (!which)
				worker_lost(b, &w[wi], rc);
		}
	}
}

static void wait_workers(struct vh_binder *b, struct vh_worker *w, const struct vh_deadline *dl)
{
	struct vh_wpool p = {.w = w, .n = b->nw, .on_msg = on_msg, .ctx = b};

	vh_workers_wait(&p, dl);
}

/* A worker that gave up during the claim: its groups are rolled back by a new worker,
 * which leaves the device whose step hung alone. */
static void roll_back_lost(struct vh_binder *b, const struct vh_deadline *dl)
{
	struct vh_worker rb[VH_MAX_WORKERS];
	bool lost[VH_MAX_WORKERS] = {false}, any = false;

	for (size_t wi = 0; wi < b->nw; wi++) {
		lost[wi] = b->w[wi].gone && !b->w[wi].phase_done;
		for (size_t g = wi; lost[wi] && g < b->nruns; g += b->nw)
			if (b->runs[g].culprit < 0)
				b->runs[g].culprit = worker_hung(b, wi);
		any |= lost[wi];
	}
	if (!any)
		return;
	start_workers(b, rb, lost);
	wait_workers(b, rb, dl);
	for (size_t wi = 0; wi < b->nw; wi++)
		vh_worker_end(&rb[wi]);
}

/* Says which groups were rolled back, and why, for each of their functions. */
static void report_rollbacks(struct vh_binder *b)
{
	for (size_t g = 0; g < b->nruns; g++) {
		const struct vh_grun *r = &b->runs[g];
		const struct vh_fn *culprit;
		if (r->culprit < 0)
			continue;
		culprit = &b->pl->host->fn[r->culprit];
		for (size_t k = 0; k < r->n; k++) {
			struct vh_fn *fn = run_fn(b, r, k);
			if (fn->action == VH_BIND && !fn->note->result[0])
				vh_fmt(fn->note->result, sizeof(fn->note->result),
				       "failed: group %d rolled back (%s failed)", fn->group,
				       culprit->bdf);
		}
		vh_log(b->lg, VH_ERR, "group %d: rolled back, left to its drivers",
		       run_fn(b, r, 0)->group);
	}
}

/* Claims every function to bind, all groups at once: from here on no native driver can
 * take them, whatever happens to the rest of the boot. Cheap, so it comes before anything
 * slow; a claim that hangs costs its own step's share of the deadline. */
void vh_bind_claim(struct vh_binder *b, struct vh_plan *pl, const struct vh_root *r,
		   struct vh_log *lg, const struct vh_deadline *dl)
{
	memset(b, 0, sizeof(*b));
	b->pl = pl;
	b->r = r;
	b->lg = lg;
	/* a wait that outlives its step is killed and could no longer say what was missing */
	b->wait_us =
	    dl->step_us * 3 / 4 < VFIO_DEV_WAIT_US ? dl->step_us * 3 / 4 : VFIO_DEV_WAIT_US;
	if (pl->count[VH_BIND] == 0)
		return;
	if (binder_init(b) < 0) {
		vh_log(lg, VH_ERR, "cannot bind: out of memory");
		b->nruns = b->nw = 0;
		return;
	}
	start_workers(b, b->w, NULL);
	wait_workers(b, b->w, dl);
	roll_back_lost(b, dl);
	report_rollbacks(b);
}

/* What became of each function to bind, once its worker is done. */
static void settle(struct vh_binder *b)
{
	for (size_t g = 0; g < b->nruns; g++) {
		const struct vh_grun *r = &b->runs[g];
		for (size_t k = 0; k < r->n; k++) {
			struct vh_fn *fn = run_fn(b, r, k);
			char label[64];
			if (fn->action != VH_BIND || fn->note->result[0])
				continue;
			vh_fn_label(fn, label, sizeof(label));
			if (!(b->st[fn_index(b, fn)] & F_VERIFIED)) {
				fail(fn, b->lg, "probing", -ECHILD);
			} else if (r->node == 1) {
				vh_fmt(fn->note->result, sizeof(fn->note->result), "bound");
				vh_log(b->lg, VH_INFO, "%s: bound to %s (group %d)", label,
				       fn->note->used, fn->group);
			} else {
				char why[96];
				vh_vfio_why(why, sizeof(why), r->node_rc, fn->group, r->node_cdev);
				vh_fmt(fn->note->result, sizeof(fn->note->result), "failed: %s",
				       why);
				vh_log(b->lg, VH_ERR, "%s: on %s, but %s", label, fn->note->used,
				       why);
			}
		}
	}
}

/* Does a function to bind use module M (index into var.mod, -1: the generic), before I? */
static bool module_needed(const struct vh_host *h, int m, size_t before)
{
	for (size_t i = 0; i < before; i++)
		if (h->fn[i].action == VH_BIND && h->fn[i].note->vmod == m)
			return true;
	return false;
}

/* Loads vfio-pci if a function needs it (the kernel then binds at once every function
 * claimed for it that no driver holds), then each variant module once. A variant that does
 * not load fails its functions when their worker finds no driver to name (on_resolved). */
void vh_bind_load(struct vh_binder *b, const struct vh_deadline *dl)
{
	const struct vh_host *h = b->pl->host;

	if (b->nruns == 0)
		return;
	if (module_needed(h, -1, h->nfn) &&
	    vh_load_vfio_pci(b->r, b->pl->policy->options, b->lg, dl) < 0)
		vh_log(b->lg, VH_WARNING,
		       "probing anyway: vfio-pci may be built in under another name");
	for (size_t i = 0; i < h->nfn; i++) {
		const struct vh_fn *fn = &h->fn[i];
		if (fn->action == VH_BIND && fn->note->vmod >= 0 &&
		    !module_needed(h, fn->note->vmod, i))
			vh_load_variant(b->r, vh_fn_module(h, fn), b->lg, dl);
	}
}

/* Lets every worker probe and verify what it claimed. */
int vh_bind_finish(struct vh_binder *b, const struct vh_deadline *dl)
{
	struct vh_host *h = b->pl->host;
	int failed = 0;

	for (size_t wi = 0; wi < b->nw; wi++)
		vh_worker_send(&b->w[wi], 'g');
	wait_workers(b, b->w, dl);
	settle(b);
	for (size_t wi = 0; wi < b->nw; wi++)
		vh_worker_end(&b->w[wi]);
	free(b->runs);
	free(b->st);
	b->runs = NULL;
	b->st = NULL;
	for (size_t i = 0; i < h->nfn; i++) {
		if (h->fn[i].action == VH_KEEP) {
			vh_fmt(h->fn[i].note->result, sizeof(h->fn[i].note->result), "already");
			vh_fmt(h->fn[i].note->used, sizeof(h->fn[i].note->used), "%s",
			       h->fn[i].driver);
		}
		failed +=
		    h->fn[i].action == VH_BIND && strncmp(h->fn[i].note->result, "failed", 6) == 0;
	}
	return failed ? -EIO : 0;
}
