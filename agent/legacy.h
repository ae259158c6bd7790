/* legacy: the hand-made VFIO settings of a host (command line, modprobe.d, driverctl,
 * initramfs-tools modules), read by legacy.c and turned into a policy by import.c. */
#ifndef VH_LEGACY_H
#define VH_LEGACY_H

#include "vfiohost.h"

#define VH_LEG_MAX 128 /* settings kept from one host */

enum vh_leg_src { VH_LEG_CMDLINE, VH_LEG_MODPROBE, VH_LEG_DRIVERCTL, VH_LEG_INITRD };

struct vh_leg_item {
	uint8_t src;
	char where[200]; /* "/proc/cmdline", "/etc/modprobe.d/vfio.conf:3", ... */
	char text[256];	 /* the setting as written: a word, a line, "pci-BDF DRIVER" */
	bool keep;	 /* import: the policy cannot say (all of) it */
	char note[200];	 /* import: what to do with it, or "" */
};

struct vh_legacy {
	struct vh_leg_item it[VH_LEG_MAX];
	int n;
	int dropped; /* settings beyond VH_LEG_MAX */
};

/* What import makes of them: policy lines and warnings. */
struct vh_import {
	char bind[VH_MAX_SEL][48];
	char bind_from[VH_MAX_SEL][200];
	int nbind;
	char options[256];
	uint64_t hp_kib; /* 0: no [hugepages] */
	long hp_pages;
	char hp_from[240];
	struct vh_msgs warn;
};

/* legacy.c: reads the settings under the root; 0 or -errno (a file that cannot be read
 * is a warning in im->warn, not an error). */
int vh_legacy_read(const struct vh_root *r, struct vh_legacy *l, struct vh_msgs *warn);
/* import.c: the rules, no I/O. */
void vh_import_rules(struct vh_legacy *l, struct vh_import *im);

#endif
