/* power_status: for `vfiohost status`, the live reset_method and d3cold_allowed of each
 * function against what the boot report says was written (a driver or a tool may have
 * changed them since), and the writes that failed at boot. */
#include <string.h>
#include <unistd.h>

#include "jsonread.h"
#include "vfiohost.h"

/* The first line of an attribute of BDF; -errno when it cannot be read. */
static int live(const struct vh_root *r, const char *bdf, const char *name, char *buf, size_t size)
{
	char path[96];
	int rc;

	if (vh_fmt(path, sizeof(path), "sys/bus/pci/devices/%s/%s", bdf, name) < 0)
		return -1;
	rc = vh_read_str_at(r->fd, path, buf, size);
	buf[strcspn(buf, "\n")] = '\0';
	return rc;
}

static void check_reset(const struct vh_root *r, const struct vh_jdoc *d, int c, const char *bdf,
			struct vh_msgs *problem)
{
	const char *want = vh_jstr(d, c, "reset_method"), *offered = vh_jstr(d, c, "reset_offered");
	const char *expect = want && strcmp(want, "default") == 0 ? offered : want;
	char now[96];

	if (!expect)
		return;
	if (live(r, bdf, "reset_method", now, sizeof(now)) < 0)
		vh_msgs_add(problem, "%s: reset_method was set to '%s' at boot, but is gone now",
			    bdf, want);
	else if (strcmp(now, expect) != 0)
		vh_msgs_add(problem, "%s: reset_method is '%s' now, but boot wrote '%s'%s%s%s", bdf,
			    now, want, expect != want ? " (" : "", expect != want ? expect : "",
			    expect != want ? ")" : "");
}

static void check_d3cold(const struct vh_root *r, const struct vh_jdoc *d, int c, const char *bdf,
			 struct vh_msgs *problem)
{
	long long want = vh_jnum(d, c, "d3cold_allowed", -1);
	char now[16];

	if (want < 0)
		return;
	if (live(r, bdf, "d3cold_allowed", now, sizeof(now)) < 0)
		vh_msgs_add(problem, "%s: d3cold_allowed was set to %lld at boot, but is gone now",
			    bdf, want);
	else if (strcmp(now, want ? "1" : "0") != 0)
		vh_msgs_add(problem, "%s: d3cold_allowed is %s now, but boot wrote %lld", bdf, now,
			    want);
}

/* One function of the report: a failed write, or a written value that no longer holds. */
static void check_one(const struct vh_root *r, const struct vh_jdoc *d, int c,
		      struct vh_msgs *problem)
{
	const char *bdf = vh_jstr(d, c, "bdf");
	int pr = vh_jget(d, c, "power_result");
	char dev[64];

	if (!bdf || strlen(bdf) != 12 || strchr(bdf, '/') || pr < 0 || d->node[pr].type != VH_J_OBJ)
		return;
	for (int k = 0; k < 2; k++) {
		const char *file = k ? "d3cold_allowed" : "reset_method";
		const char *res = vh_jstr(d, pr, file);
		if (res && strncmp(res, "failed", 6) == 0)
			vh_msgs_add(problem, "%s: writing %s %s at boot", bdf, file, res);
	}
	vh_fmt(dev, sizeof(dev), "sys/bus/pci/devices/%s", bdf);
	if (faccessat(r->fd, dev, F_OK, 0) < 0)
		return; /* gone: the driver check says so */
	if (vh_jstr(d, pr, "reset_method") &&
	    strcmp(vh_jstr(d, pr, "reset_method"), "written") == 0)
		check_reset(r, d, c, bdf, problem);
	if (vh_jstr(d, pr, "d3cold_allowed") &&
	    strcmp(vh_jstr(d, pr, "d3cold_allowed"), "written") == 0)
		check_d3cold(r, d, c, bdf, problem);
}

void vh_power_status(const struct vh_root *r, const struct vh_jdoc *d, struct vh_msgs *problem)
{
	int arr = vh_jget(d, 0, "functions");

	for (int c = arr >= 0 ? d->node[arr].first : -1; c >= 0; c = d->node[c].next)
		check_one(r, d, c, problem);
}
