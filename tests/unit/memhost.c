/* memhost: hosts held in memory for the unit tests and the fuzz target; nothing on disk. */
#include <string.h>

#include "memhost.h"

struct vh_fn *memhost_add(struct vh_host *h, const char *bdf, unsigned vendor, unsigned device,
			  unsigned class, int group)
{
	struct vh_fn *fn = &h->fn[h->nfn++];
	struct vh_addr a;

	memset(fn, 0, sizeof(*fn));
	strcpy(fn->bdf, bdf);
	vh_addr_parse(bdf, 12, &a);
	fn->domain = a.domain;
	fn->bus = a.bus;
	fn->slot = a.slot;
	fn->func = (uint8_t)a.func;
	fn->vendor = (uint16_t)vendor;
	fn->device = (uint16_t)device;
	fn->class = class;
	fn->group = group;
	fn->numa = -1;
	fn->boot_vga = (class >> 8) == 0x0300 ? 0 : -1;
	fn->group_listed = group >= 0;
	fn->detailed = true;
	return fn;
}
