/* power: the rules of reset-method and d3cold. Which setting applies to a function to bind
 * ([vfio], then every matching [function SELECTOR] section in file order, the later one
 * winning key by key), and whether the function can take it. Touches nothing. */
#include <errno.h>
#include <string.h>
#include <strings.h>

#include "vfiohost.h"

/* The kernel's names (drivers/pci/pci.c, 6.x), in its own order. */
static const char *const methods[] = {"device_specific", "acpi", "flr", "af_flr", "pm", "bus",
				      "cxl_bus"};
#define NMETHODS (sizeof(methods) / sizeof(methods[0]))
#define SEPS	 " \t,"

static int method_index(const char *word, size_t len)
{
	for (size_t m = 0; m < NMETHODS; m++)
		if (strlen(methods[m]) == len && strncasecmp(word, methods[m], len) == 0)
			return (int)m;
	return -1;
}

/* Appends one method to the canonical list being built. */
static void append(char *out, size_t size, const char *name)
{
	size_t used = strlen(out);

	vh_fmt(out + used, size - used, "%s%s", used ? " " : "", name);
}

int vh_reset_parse(const char *val, char *out, size_t size, char *err, size_t errsize)
{
	bool seen[NMETHODS] = {false};
	int n = 0;

	out[0] = '\0';
	if (strcasecmp(val, "default") == 0)
		return vh_fmt(out, size, "default") < 0 ? -EINVAL : 0;
	for (const char *p = val + strspn(val, SEPS); *p; p += strspn(p, SEPS)) {
		size_t len = strcspn(p, SEPS);
		int m = method_index(p, len);
		if (len == 7 && strncasecmp(p, "default", 7) == 0) {
			vh_fmt(err, errsize, "'default' stands alone: it restores every method");
			return -EINVAL;
		}
		if (m < 0) {
			vh_fmt(
			    err, errsize,
			    "unknown reset method '%.*s' (want default, or a list of device_specific, acpi, flr, af_flr, pm, bus, cxl_bus)",
			    (int)(len > 20 ? 20 : len), p);
			return -EINVAL;
		}
		if (seen[m]) {
			vh_fmt(err, errsize, "reset method '%s' is listed twice", methods[m]);
			return -EINVAL;
		}
		seen[m] = true;
		append(out, size, methods[m]);
		n++;
		p += len;
	}
	if (n == 0) {
		vh_fmt(err, errsize, "no reset method named");
		return -EINVAL;
	}
	return 0;
}

/* Is WORD one of the space-separated words of LIST? */
static bool listed(const char *list, const char *word, size_t len)
{
	for (const char *p = list + strspn(list, " "); *p; p += strspn(p, " ")) {
		size_t l = strcspn(p, " ");
		if (l == len && strncmp(p, word, len) == 0)
			return true;
		p += l;
	}
	return false;
}

bool vh_reset_offered(const char *want, const char *offered, char *missing, size_t size)
{
	missing[0] = '\0';
	for (const char *p = want; *p; p += strspn(p, " ")) {
		size_t len = strcspn(p, " ");
		char name[24];
		if (!listed(offered, p, len)) {
			vh_fmt(name, sizeof(name), "%.*s", (int)len, p);
			append(missing, size, name);
		}
		p += len;
	}
	return missing[0] == '\0';
}

/* [vfio]'s settings, then each matching [function] section's, key by key. */
static void resolve(const struct vh_policy *p, const struct vh_fn *fn, struct vh_power_set *out)
{
	*out = p->power;
	for (int s = 0; s < p->nfnsec; s++) {
		const struct vh_power_set *set = &p->fnsec[s].set;
		if (!vh_selector_match(&p->fnsec[s].sel, fn))
			continue;
		if (set->reset_line) {
			memcpy(out->reset, set->reset, sizeof(out->reset));
			out->reset_line = set->reset_line;
		}
		if (set->d3cold_line) {
			out->d3cold = set->d3cold;
			out->d3cold_line = set->d3cold_line;
		}
	}
}

/* A method the function does not offer refuses the setting, not the function: the bind is
 * the policy's main job, and the kernel would reject the whole write anyway. */
static void decide_reset(struct vh_plan *pl, struct vh_fn *fn, const struct vh_power_set *s)
{
	struct vh_power_fn *pw = &fn->note->power;
	char label[64], missing[VH_RESET_LEN];
	bool dflt = strcmp(s->reset, "default") == 0;

	if (!s->reset_line)
		return;
	vh_fn_label(fn, label, sizeof(label));
	if (!pw->reset_file) {
		if (!dflt) /* default on a function without reset methods holds already */
			vh_msgs_add(
			    &pl->warn,
			    "%s: reset-method = %s (line %d) not written: it has no reset_method file (no reset method, or a kernel before 5.15)",
			    label, s->reset, s->reset_line);
		return;
	}
	if (!dflt && !vh_reset_offered(s->reset, pw->reset_offered, missing, sizeof(missing))) {
		vh_msgs_add(
		    &pl->warn,
		    "%s: reset-method = %s (line %d) not written: it does not offer %s (its reset_method: %s)",
		    label, s->reset, s->reset_line, missing,
		    pw->reset_offered[0] ? pw->reset_offered : "empty");
		return;
	}
	memcpy(pw->reset_write, s->reset, sizeof(pw->reset_write));
	pw->reset_line = s->reset_line;
}

static void decide_d3cold(struct vh_plan *pl, struct vh_fn *fn, const struct vh_power_set *s)
{
	struct vh_power_fn *pw = &fn->note->power;
	char label[64];

	if (!s->d3cold_line)
		return;
	if (pw->d3cold_now < 0) {
		vh_fn_label(fn, label, sizeof(label));
		vh_msgs_add(&pl->warn,
			    "%s: d3cold = %s (line %d) not written: it has no d3cold_allowed file",
			    label, s->d3cold ? "yes" : "no", s->d3cold_line);
		return;
	}
	pw->d3cold_write = s->d3cold;
	pw->d3cold_line = s->d3cold_line;
}

void vh_power_decide(struct vh_plan *pl)
{
	struct vh_host *h = pl->host;
	struct vh_power_set s;

	for (size_t i = 0; i < h->nfn; i++) {
		struct vh_fn *fn = &h->fn[i];
		if (!fn->selected || !fn->note)
			continue;
		fn->note->power.d3cold_write = -1;
		if (!fn->note->power.read)
			fn->note->power.d3cold_now = -1;
		if (fn->action != VH_BIND)
			continue;
		resolve(pl->policy, fn, &s);
		decide_reset(pl, fn, &s);
		decide_d3cold(pl, fn, &s);
	}
}
