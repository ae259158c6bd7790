/* bind: put the functions whose action is bind on vfio-pci, one IOMMU group at a time.
 * driver_override is set before vfio-pci loads and before udev's coldplug, so native drivers
 * never see the device; unbinding a driver that got there first is the fallback. */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vfiohost.h"

#define VFIO_DEV_WAIT_US 2000000

static const char *why(int rc)
{
	return rc == -ETIMEDOUT ? "it hung, abandoned at the deadline" : strerror(-rc);
}

static void fail(struct vh_fn *fn, struct vh_log *lg, const char *step, int rc)
{
	char label[64];

	vh_fn_label(fn, label, sizeof(label));
	vh_fmt(fn->note->result, sizeof(fn->note->result), "failed: %s: %s", step, why(rc));
	vh_log(lg, VH_ERR, "%s: %s failed: %s", label, step, why(rc));
}

/* Sets driver_override and takes the function from a driver that holds it. */
static int prepare(struct vh_host *h, struct vh_fn *fn, struct vh_log *lg,
		   const struct vh_deadline *dl)
{
	char path[64], label[64];
	int rc;

	vh_fn_label(fn, label, sizeof(label));
	vh_fmt(path, sizeof(path), "%s/driver_override", fn->bdf);
	rc = vh_write_at(h->devfd, path, "vfio-pci");
	if (rc < 0) {
		fail(fn, lg, "writing driver_override", rc);
		return rc;
	}
	vh_log(lg, VH_INFO, "%s: driver_override set to vfio-pci", label);
	if (!fn->driver[0] || strcmp(fn->driver, "vfio-pci") == 0)
		return 0;
	vh_log(lg, VH_WARNING, "%s: %s got there first: unbinding it (fallback path)", label,
	       fn->driver);
	vh_fmt(path, sizeof(path), "%s/driver/unbind", fn->bdf);
	rc = vh_child_write(h->devfd, path, fn->bdf, dl);
	if (rc < 0)
		fail(fn, lg, "unbinding from its driver", rc);
	return rc;
}

/* Undoes prepare() for a group that cannot be bound whole: native drivers take it back. */
static void roll_back(struct vh_host *h, size_t first, size_t n, const struct vh_fn *culprit,
		      struct vh_log *lg, const struct vh_deadline *dl)
{
	for (size_t k = 0; k < n; k++) {
		struct vh_fn *fn = &h->fn[h->bygroup[first + k].idx];
		char path[64];
		if (fn->action != VH_BIND)
			continue;
		vh_fmt(path, sizeof(path), "%s/driver_override", fn->bdf);
		vh_write_at(h->devfd, path, "\n");
		vh_child_write(h->devfd, "../drivers_probe", fn->bdf, dl);
		if (fn != culprit)
			vh_fmt(fn->note->result, sizeof(fn->note->result),
			       "failed: group %d rolled back (%s failed)", fn->group, culprit->bdf);
	}
	vh_log(lg, VH_ERR, "group %d: rolled back, left to its drivers", culprit->group);
}

/* Returns false when the group had to be rolled back. */
static bool prepare_group(struct vh_host *h, size_t first, size_t n, struct vh_log *lg,
			  const struct vh_deadline *dl)
{
	for (size_t k = 0; k < n; k++) {
		struct vh_fn *fn = &h->fn[h->bygroup[first + k].idx];
		if (fn->action == VH_BIND && prepare(h, fn, lg, dl) < 0) {
			roll_back(h, first, n, fn, lg, dl);
			return false;
		}
	}
	return true;
}

/* Asks the kernel to probe, then trusts only the driver link: a write to drivers_probe
 * succeeds even when no driver takes the device. */
static bool probe_and_verify(struct vh_host *h, struct vh_fn *fn, struct vh_log *lg,
			     const struct vh_deadline *dl)
{
	char path[64], drv[64], label[64];
	int rc;

	vh_fn_label(fn, label, sizeof(label));
	vh_fmt(path, sizeof(path), "%s/driver", fn->bdf);
	if (vh_link_base_at(h->devfd, path, drv, sizeof(drv)) < 0 || strcmp(drv, "vfio-pci") != 0) {
		rc = vh_child_write(h->devfd, "../drivers_probe", fn->bdf, dl);
		if (rc < 0) {
			fail(fn, lg, "writing drivers_probe", rc);
			return false;
		}
	}
	if (vh_link_base_at(h->devfd, path, drv, sizeof(drv)) < 0)
		vh_fmt(drv, sizeof(drv), "no driver");
	if (strcmp(drv, "vfio-pci") != 0) {
		vh_fmt(fn->note->result, sizeof(fn->note->result),
		       "failed: not on vfio-pci after probing (%s)", drv);
		vh_log(lg, VH_ERR, "%s: not on vfio-pci after probing (%s)", label, drv);
		return false;
	}
	return true;
}

/* The group's device node appears once vfio-pci holds the whole group. */
static bool wait_group_node(const struct vh_root *r, int group, const struct vh_deadline *dl)
{
	char path[48];
	uint64_t until = vh_now_us() + VFIO_DEV_WAIT_US;
	struct stat st;

	if (until > dl->end_us)
		until = dl->end_us;
	vh_fmt(path, sizeof(path), "dev/vfio/%d", group);
	while (fstatat(r->fd, path, &st, 0) < 0) {
		if (vh_now_us() >= until)
			return false;
		usleep(10000);
	}
	return true;
}

static void finish_group(struct vh_host *h, size_t first, size_t n, const struct vh_root *r,
			 struct vh_log *lg, const struct vh_deadline *dl)
{
	int group = h->bygroup[first].group, ok = 0, bad = 0;
	bool node;

	for (size_t k = 0; k < n; k++) {
		struct vh_fn *fn = &h->fn[h->bygroup[first + k].idx];
		if (fn->action != VH_BIND || fn->note->result[0])
			continue;
		if (probe_and_verify(h, fn, lg, dl))
			ok++;
		else
			bad++;
	}
	if (ok == 0)
		return;
	node = bad == 0 && wait_group_node(r, group, dl);
	for (size_t k = 0; k < n; k++) {
		struct vh_fn *fn = &h->fn[h->bygroup[first + k].idx];
		char label[64];
		if (fn->action != VH_BIND || fn->note->result[0])
			continue;
		vh_fn_label(fn, label, sizeof(label));
		if (node) {
			vh_fmt(fn->note->result, sizeof(fn->note->result), "bound");
			vh_log(lg, VH_INFO, "%s: bound to vfio-pci (group %d)", label, group);
		} else {
			vh_fmt(fn->note->result, sizeof(fn->note->result),
			       "failed: /dev/vfio/%d did not appear", group);
			vh_log(lg, VH_ERR, "%s: on vfio-pci, but /dev/vfio/%d did not appear",
			       label, group);
		}
	}
}

/* Does the run of h->bygroup from first hold a function to bind? */
static bool binds_any(const struct vh_host *h, size_t first, size_t n)
{
	for (size_t k = 0; k < n; k++)
		if (h->fn[h->bygroup[first + k].idx].action == VH_BIND)
			return true;
	return false;
}

/* Claims every function to bind: driver_override, and an unbind where a driver got there
 * first. Cheap, so it comes before anything slow: from here on no native driver can take
 * them, whatever happens to the rest of the boot. */
void vh_bind_claim(struct vh_plan *pl, struct vh_log *lg, const struct vh_deadline *dl)
{
	struct vh_host *h = pl->host;

	for (size_t i = 0, n; i < h->nfn && pl->count[VH_BIND] > 0; i += n) {
		n = vh_group_span(h, i);
		if (binds_any(h, i, n))
			prepare_group(h, i, n, lg, dl);
	}
}

/* Loads vfio-pci, probes and verifies what vh_bind_claim() claimed. */
int vh_bind_finish(struct vh_plan *pl, const struct vh_root *r, struct vh_log *lg,
		   const struct vh_deadline *dl)
{
	struct vh_host *h = pl->host;
	int failed = 0;

	if (pl->count[VH_BIND] > 0 && vh_load_vfio_pci(r, pl->policy->options, lg, dl) < 0)
		vh_log(lg, VH_WARNING,
		       "probing anyway: vfio-pci may be built in under another name");
	for (size_t i = 0, n; i < h->nfn && pl->count[VH_BIND] > 0; i += n) {
		n = vh_group_span(h, i);
		if (binds_any(h, i, n))
			finish_group(h, i, n, r, lg, dl);
	}
	for (size_t i = 0; i < h->nfn; i++) {
		if (h->fn[i].action == VH_KEEP)
			vh_fmt(h->fn[i].note->result, sizeof(h->fn[i].note->result), "already");
		failed +=
		    h->fn[i].action == VH_BIND && strncmp(h->fn[i].note->result, "failed", 6) == 0;
	}
	return failed ? -EIO : 0;
}
