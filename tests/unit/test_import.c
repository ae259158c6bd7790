/* Unit tests: import's rules (agent/import.c) on hand-made settings built in memory. */
#include <stdlib.h>
#include <string.h>

#include "legacy.h"
#include "tap.h"

static void item(struct vh_legacy *l, uint8_t src, const char *where, const char *text)
{
	struct vh_leg_item *it = &l->it[l->n++];

	memset(it, 0, sizeof(*it));
	it->src = src;
	snprintf(it->where, sizeof(it->where), "%s", where);
	snprintf(it->text, sizeof(it->text), "%s", text);
}

static struct vh_legacy *fresh(void)
{
	return calloc(1, sizeof(struct vh_legacy));
}

static void ids_become_selectors(void)
{
	struct vh_legacy *l = fresh();
	struct vh_import *im = malloc(sizeof(*im));

	item(l, VH_LEG_CMDLINE, "/proc/cmdline",
	     "vfio-pci.ids=10DE:2484,ffffffff:ffffffff:ffffffff:ffffffff:030000:ff0000,"
	     "1002:ffffffff:ffffffff:ffffffff:040300:ffff00,10de:2484");
	vh_import_rules(l, im);
	CHECK_EQ_U(im->nbind, 3); /* the repeated id once */
	CHECK_STR(im->bind[0], "10de:2484");
	CHECK_STR(im->bind[1], "class=03");
	CHECK_STR(im->bind[2], "1002:* class=0403");
	CHECK_EQ_U(im->warn.n, 0);
	free(l);
	free(im);
}

static void what_no_selector_says_is_kept(void)
{
	struct vh_legacy *l = fresh();
	struct vh_import *im = malloc(sizeof(*im));

	item(l, VH_LEG_MODPROBE, "/etc/modprobe.d/a.conf:1",
	     "options vfio-pci ids=10de:228b:1458:403b,10de:2484::::030000:f00000");
	vh_import_rules(l, im);
	CHECK_EQ_U(im->nbind, 0);
	CHECK_EQ_U(im->warn.n, 2);
	CHECK(l->it[0].keep);
	free(l);
	free(im);
}

static void hugepages_follow_the_kernel_order(void)
{
	struct vh_legacy *l = fresh();
	struct vh_import *im = malloc(sizeof(*im));

	item(l, VH_LEG_CMDLINE, "/proc/cmdline", "hugepages=64"); /* default size: 2M */
	item(l, VH_LEG_CMDLINE, "/proc/cmdline", "hugepagesz=1G");
	item(l, VH_LEG_CMDLINE, "/proc/cmdline", "hugepages=16"); /* another size: kept */
	vh_import_rules(l, im);
	CHECK_EQ_U(im->hp_kib, 2048);
	CHECK_EQ_U(im->hp_pages, 64);
	CHECK(!l->it[0].keep);
	CHECK(l->it[1].keep && l->it[2].keep);
	CHECK_EQ_U(im->warn.n, 1);
	free(l);
	free(im);
}

static void options_and_blacklist(void)
{
	struct vh_legacy *l = fresh();
	struct vh_import *im = malloc(sizeof(*im));

	item(l, VH_LEG_CMDLINE, "/proc/cmdline", "vfio_pci.disable_vga=1");
	item(l, VH_LEG_MODPROBE, "/m:1", "options vfio-pci disable_vga=1 disable_idle_d3=1");
	item(l, VH_LEG_CMDLINE, "/proc/cmdline", "modprobe.blacklist=nouveau,amdgpu");
	item(l, VH_LEG_CMDLINE, "/proc/cmdline", "modprobe.blacklist=nouveau,r8169");
	vh_import_rules(l, im);
	CHECK_STR(im->options, "disable_vga=1 disable_idle_d3=1");
	CHECK(!l->it[2].keep);
	CHECK(l->it[3].keep);
	CHECK_STR(l->it[3].note, "keep modprobe.blacklist=r8169");
	free(l);
	free(im);
}

static void driverctl_overrides(void)
{
	struct vh_legacy *l = fresh();
	struct vh_import *im = malloc(sizeof(*im));

	item(l, VH_LEG_DRIVERCTL, "/etc/driverctl.d/pci-0000:41:00.0", "pci-0000:41:00.0 vfio-pci");
	item(l, VH_LEG_DRIVERCTL, "/etc/driverctl.d/pci-0000:42:00.0", "pci-0000:42:00.0 nvme");
	vh_import_rules(l, im);
	CHECK_EQ_U(im->nbind, 1);
	CHECK_STR(im->bind[0], "0000:41:00.0");
	CHECK(!l->it[0].keep && l->it[1].keep);
	free(l);
	free(im);
}

const struct tap_case import_cases[] = {
    {"import: vfio-pci ids (case, wildcards, class masks) become bind selectors, once each",
     ids_become_selectors},
    {"import: subsystem ids and odd class masks are warnings and their line is kept",
     what_no_selector_says_is_kept},
    {"import: hugepages= takes the size before it, the default 2M first; a second size is kept",
     hugepages_follow_the_kernel_order},
    {"import: vfio-pci options once each; a blacklist naming a non-GPU module is kept",
     options_and_blacklist},
    {"import: a driverctl vfio-pci override binds its function; another driver's is kept",
     driverctl_overrides},
    {NULL, NULL},
};
