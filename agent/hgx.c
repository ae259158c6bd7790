/* hgx: which of NVIDIA's HGX virtualization models a policy implements on this host, from
 * the decisions alone (rules, no I/O). Full passthrough gives every GPU and every NVSwitch to
 * vfio-pci, for the guests (or a service VM) whose Fabric Manager drives the fabric; shared
 * NVSwitch gives the GPUs only, and the host's Fabric Manager keeps the NVSwitches. */
#include <string.h>

#include "findings.h"

#define NVIDIA 0x10de

bool vh_hgx_bound(const struct vh_fn *fn)
{
	return fn->selected && (fn->action == VH_BIND || fn->action == VH_KEEP);
}

static int model_of(const struct vh_hgx *x, bool decided)
{
	if (x->switches == 0)
		return VH_HGX_NONE;
	if (!decided)
		return VH_HGX_UNDECIDED;
	if (x->switches_bound == 0)
		return x->gpus_bound ? VH_HGX_SHARED : VH_HGX_HOST;
	if (x->switches_bound == x->switches && x->gpus_bound == x->gpus)
		return VH_HGX_FULL;
	return VH_HGX_MIXED;
}

void vh_hgx_classify(const struct vh_host *h, bool decided, struct vh_hgx *x)
{
	memset(x, 0, sizeof(*x));
	for (size_t i = 0; i < h->nfn; i++) {
		const struct vh_fn *fn = &h->fn[i];
		if (fn->unreadable)
			continue;
		if (vh_is_nvswitch(fn->vendor, fn->class)) {
			x->switches++;
			x->switches_bound += decided && vh_hgx_bound(fn);
		} else if (fn->vendor == NVIDIA && vh_is_gpu(fn->class)) {
			x->gpus++;
			x->gpus_bound += decided && vh_hgx_bound(fn);
		}
	}
	x->model = model_of(x, decided);
}

/* The stable names of check --json's hgx.model. */
const char *vh_hgx_model_id(int model)
{
	static const char *const ids[] = {
	    "none", "unknown", "host", "full-passthrough", "shared-nvswitch", "mixed"};

	return model >= VH_HGX_NONE && model <= VH_HGX_MIXED ? ids[model] : "?";
}

const char *vh_hgx_model_text(int model)
{
	static const char *const texts[] = {
	    "not an HGX baseboard (no NVSwitch)",
	    "unknown: no valid policy",
	    "none: the GPUs and NVSwitches stay with the host (bare metal or vGPU)",
	    "full passthrough: every GPU and every NVSwitch to vfio-pci, Fabric Manager in the guest or service VM that gets the NVSwitches",
	    "shared NVSwitch: GPUs to vfio-pci, the NVSwitches left to the host's Fabric Manager",
	    "neither full passthrough nor shared NVSwitch (finding nvswitch-partial)",
	};

	return model >= VH_HGX_NONE && model <= VH_HGX_MIXED ? texts[model] : "?";
}
