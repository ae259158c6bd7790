/* variant: which VFIO driver module each function to bind gets (SPEC section 3, "Which VFIO
 * driver"). With driver = auto, the kernel's vfio_pci: alias that matches the function's
 * modalias with the fewest '*' wins; a tie goes to the module name first in byte order, so
 * the order of modules.alias never matters. The generic vfio_pci otherwise. No I/O. */
#include <fnmatch.h>
#include <string.h>

#include "vfiohost.h"

int vh_vfio_modalias(const struct vh_fn *fn, char *buf, size_t size)
{
	return vh_fmt(buf, size, "vfio_pci:v%08Xd%08Xsv%08Xsd%08Xbc%02Xsc%02Xi%02X", fn->vendor,
		      fn->device, fn->subvendor, fn->subdevice, fn->class >> 16,
		      fn->class >> 8 & 0xff, fn->class & 0xff);
}

/* Does alias A beat the best so far (index BEST into v->alias, or -1)? */
static bool better(const struct vh_variants *v, const struct vh_valias *a, int best)
{
	const struct vh_valias *b = best >= 0 ? &v->alias[best] : NULL;

	if (!b || a->stars != b->stars)
		return !b || a->stars < b->stars;
	return strcmp(v->mod[a->mod].name, v->mod[b->mod].name) < 0;
}

int vh_variant_choose(const struct vh_variants *v, const struct vh_fn *fn)
{
	char alias[96];
	int best = -1;

	if (v->nalias == 0 || vh_vfio_modalias(fn, alias, sizeof(alias)) < 0)
		return -1;
	for (size_t i = 0; i < v->nalias; i++)
		if (fnmatch(v->alias[i].pattern, alias, 0) == 0 && better(v, &v->alias[i], best))
			best = (int)i;
	if (best < 0 || strcmp(v->mod[v->alias[best].mod].name, VH_GENERIC_MODULE) == 0)
		return -1;
	return v->alias[best].mod;
}

void vh_choose_modules(struct vh_plan *pl)
{
	struct vh_host *h = pl->host;

	for (size_t i = 0; i < h->nfn; i++) {
		struct vh_fn *fn = &h->fn[i];
		if (!fn->selected)
			continue;
		fn->note->vmod = -1;
		if (fn->action == VH_BIND && pl->policy->driver_auto)
			fn->note->vmod = vh_variant_choose(&h->var, fn);
	}
}

const char *vh_fn_module(const struct vh_host *h, const struct vh_fn *fn)
{
	int m = fn->note ? fn->note->vmod : -1;

	return m >= 0 && (size_t)m < h->var.nmod ? h->var.mod[m].name : VH_GENERIC_MODULE;
}

const char *vh_fn_vfio_driver(const struct vh_host *h, const struct vh_fn *fn)
{
	int m = fn->note ? fn->note->vmod : -1;

	if (m < 0 || (size_t)m >= h->var.nmod)
		return VH_GENERIC_DRIVER;
	return h->var.mod[m].driver[0] ? h->var.mod[m].driver : NULL;
}
