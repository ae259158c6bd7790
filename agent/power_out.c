/* power_out: what boot writes to reset_method and d3cold_allowed, in the plan and the report
 * (per function) and in plan's table. */
#include <string.h>

#include "vfiohost.h"

static bool writes(const struct vh_power_fn *pw)
{
	return pw->reset_write[0] || pw->d3cold_write >= 0;
}

/* The boot's result of one write: what power_apply said, or the function's dry-run. */
static const char *result(const struct vh_fn *fn, const char *r)
{
	if (r[0])
		return r;
	return strcmp(fn->note->result, "dry-run") == 0 ? "dry-run" : "none";
}

void vh_power_json(struct vh_json *j, const struct vh_fn *fn, bool report)
{
	const struct vh_power_fn *pw = &fn->note->power;

	vh_json_str(j, "reset_method", pw->reset_write[0] ? pw->reset_write : NULL);
	if (pw->d3cold_write >= 0)
		vh_json_num(j, "d3cold_allowed", pw->d3cold_write);
	else
		vh_json_null(j, "d3cold_allowed");
	vh_json_str(j, "reset_offered", pw->read && pw->reset_file ? pw->reset_offered : NULL);
	if (!report)
		return;
	if (!writes(pw)) {
		vh_json_null(j, "power_result");
		return;
	}
	vh_json_open(j, "power_result", '{');
	if (pw->reset_write[0])
		vh_json_str(j, "reset_method", result(fn, pw->reset_result));
	if (pw->d3cold_write >= 0)
		vh_json_str(j, "d3cold_allowed", result(fn, pw->d3cold_result));
	vh_json_close(j, '}');
}

void vh_power_table(const struct vh_plan *pl, FILE *f)
{
	const struct vh_host *h = pl->host;
	bool any = false;

	for (size_t i = 0; i < h->nfn; i++) {
		const struct vh_fn *fn = &h->fn[i];
		const struct vh_power_fn *pw = fn->selected && fn->note ? &fn->note->power : NULL;
		if (!pw || !writes(pw))
			continue;
		if (!any)
			fputs("before binding, boot writes:\n", f);
		any = true;
		if (pw->reset_write[0])
			fprintf(f, "  %s  reset_method = %s  (line %d; it offers %s)\n", fn->bdf,
				pw->reset_write, pw->reset_line, pw->reset_offered);
		if (pw->d3cold_write >= 0)
			fprintf(f, "  %s  d3cold_allowed = %d  (line %d; now %d)\n", fn->bdf,
				pw->d3cold_write, pw->d3cold_line, pw->d3cold_now);
	}
}
