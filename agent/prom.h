/* prom: `status --prometheus`, the last boot's report and today's facts as node_exporter
 * textfile metrics (the Prometheus text format, version 0.0.4). */
#ifndef VFIOHOST_PROM_H
#define VFIOHOST_PROM_H

#include <stdio.h>

#include "jsonread.h"

/* What status found; prom only renders it. */
struct vh_prom_facts {
	const struct vh_jdoc *doc; /* the boot report, or NULL when there is none; not owned */
	long holding;		   /* functions on vfio-pci now */
	long long hp_now;	   /* hugepages reserved now, summed over the nodes; -1 unknown */
	int stale;		   /* the policy differs from the image's copy: 1, 0, -1 unknown */
	int problems;		   /* what status would list as problems */
};

/* Writes every metric to f; 0 or -EIO. */
int vh_prom_write(FILE *f, const struct vh_prom_facts *p);

#endif
