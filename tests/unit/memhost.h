/* memhost: hosts held in memory for the unit tests and the fuzz target. */
#ifndef VFIOHOST_MEMHOST_H
#define VFIOHOST_MEMHOST_H

#include "vfiohost.h"

/* Adds a function (in address order) whose attributes are given, never read: numa -1,
 * boot_vga 0 for class 0300 (else absent), its group listed, no framebuffer, no driver.
 * Returns it for changes. */
struct vh_fn *memhost_add(struct vh_host *h, const char *bdf, unsigned vendor, unsigned device,
			  unsigned class, int group);

#endif
