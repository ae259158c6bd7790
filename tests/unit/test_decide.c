/* Unit tests: the selection rules (agent/decide.c) on hosts built in memory: no file is made
 * or read. */
#include <stdlib.h>
#include <string.h>

#include "memhost.h"
#include "tap.h"
#include "vfiohost.h"

struct fixture {
	struct vh_policy pol;
	struct vh_host host;
	struct vh_plan plan;
	struct vh_fn fn[32];
};

static struct fixture fx;

static void add(const char *bdf, unsigned vendor, unsigned device, unsigned class, int group,
		const char *driver)
{
	strcpy(memhost_add(&fx.host, bdf, vendor, device, class, group)->driver, driver);
}

static void setup(const char *policy)
{
	vh_plan_free(&fx.plan);
	memset(&fx, 0, sizeof(fx));
	fx.host.fn = fx.fn;
	fx.host.devfd = -1;
	fx.host.iommu_active = true;
	fx.host.ngroups = 10;
	vh_policy_init(&fx.pol, "/etc/vfiohost.conf");
	if (vh_policy_parse(&fx.pol, policy, strlen(policy), stdout) != 0)
		tap_failed_checks++;
}

static const struct vh_fn *decide(void)
{
	vh_host_index(&fx.host);
	vh_plan_init(&fx.plan, &fx.pol, &fx.host);
	vh_select(&fx.plan);
	vh_decide(&fx.plan); /* on the facts memhost gave: no vh_host_detail, nothing read */
	free(fx.host.bygroup);
	return fx.fn;
}

/* A desktop: iGPU boot display, a GPU with audio, a GPU sharing its group with a NIC. */
static void desktop(void)
{
	add("0000:00:01.0", 0x1022, 0x1483, 0x060400, 1, "pcieport");
	add("0000:00:02.0", 0x8086, 0x1912, 0x030000, 2, "i915");
	add("0000:01:00.0", 0x10de, 0x2b85, 0x030000, 1, "nouveau");
	add("0000:01:00.1", 0x10de, 0x22e8, 0x040300, 1, "snd_hda_intel");
	add("0000:05:00.0", 0x10de, 0x1401, 0x030000, 5, "");
	add("0000:05:00.1", 0x8086, 0x10d3, 0x020000, 5, "e1000e");
	fx.fn[1].boot_vga = 1;
}

static void companions_follow_their_slot(void)
{
	setup("[vfio]\nbind = 10de:2b85\n");
	desktop();
	const struct vh_fn *f = decide();
	CHECK_EQ_U(f[2].action, VH_BIND);
	CHECK_EQ_U(f[3].action, VH_BIND);
	CHECK_STR(f[3].note->reason, "companion of 0000:01:00.0 (bind at line 2)");
	CHECK(!f[0].selected && !f[1].selected);
}

static void companions_no_takes_only_matches(void)
{
	setup("[vfio]\nbind = 10de:2b85\ncompanions = no\n");
	desktop();
	const struct vh_fn *f = decide();
	CHECK_EQ_U(f[2].action, VH_REFUSE); /* its audio, unselected, is in the way */
	CHECK(strstr(f[2].note->reason, "0000:01:00.1 Audio device [0403]") != NULL);
	CHECK(!f[3].selected);
}

static void boot_display_and_its_slot_are_skipped(void)
{
	setup("[vfio]\nbind = class=03\n");
	desktop();
	const struct vh_fn *f = decide();
	CHECK_EQ_U(f[1].action, VH_SKIP);
	CHECK(strstr(f[1].note->reason, "boot display") != NULL);
	CHECK_EQ_U(f[2].action, VH_BIND);
}

static void boot_vga_allow_binds_the_boot_display(void)
{
	setup("[vfio]\nbind = 8086:1912\nboot-vga = allow\n");
	desktop();
	CHECK_EQ_U(decide()[1].action, VH_BIND);
}

static void strict_isolation_refuses_a_shared_group(void)
{
	setup("[vfio]\nbind = 10de:1401\n");
	desktop();
	const struct vh_fn *f = decide();
	CHECK_EQ_U(f[4].action, VH_REFUSE);
	CHECK(strstr(f[4].note->reason, "0000:05:00.1 Ethernet controller [0200] (e1000e)") !=
	      NULL);
	CHECK_EQ_U(f[5].action, VH_NONE); /* the NIC is not selected */
	CHECK(!f[5].selected);
}

static void companion_nic_is_taken_only_when_selected(void)
{
	setup("[vfio]\nbind = 05:00\n");
	desktop();
	const struct vh_fn *f = decide();
	CHECK_EQ_U(f[4].action, VH_BIND);
	CHECK_EQ_U(f[5].action, VH_BIND);
}

static void warn_isolation_binds_and_warns(void)
{
	setup("[vfio]\nbind = 10de:1401\ncompanions = no\nisolation = warn\n");
	desktop();
	CHECK_EQ_U(decide()[4].action, VH_BIND);
	CHECK_EQ_U(fx.plan.warn.n, 1);
}

static void skip_lines_and_cmdline_skip(void)
{
	setup("[vfio]\nbind = 10de:*\nskip = 01:00.1\n");
	desktop();
	const struct vh_fn *f = decide();
	CHECK_EQ_U(f[3].action, VH_SKIP);
	CHECK_STR(f[3].note->reason, "skip at line 3");
	CHECK_EQ_U(f[2].action, VH_REFUSE); /* its skipped audio shares the group */
}

static void iommu_off_refuses_everything(void)
{
	setup("[vfio]\nbind = 10de:2b85\n");
	desktop();
	fx.host.iommu_active = false;
	const struct vh_fn *f = decide();
	CHECK_EQ_U(f[2].action, VH_REFUSE);
	CHECK_EQ_U(f[3].action, VH_REFUSE);
}

static void already_on_vfio_is_kept(void)
{
	setup("[vfio]\nbind = 10de:2b85\nexpect = 3\n");
	desktop();
	strcpy(fx.fn[2].driver, "vfio-pci");
	const struct vh_fn *f = decide();
	CHECK_EQ_U(f[2].action, VH_KEEP);
	CHECK_EQ_U(f[3].action, VH_BIND);
	CHECK_EQ_U(fx.plan.warn.n, 1); /* expect = 3, but 2 */
}

static void framebuffer_holder_is_the_boot_display(void)
{
	setup("[vfio]\nbind = 10de:2b85\n");
	desktop();
	fx.fn[2].framebuffer = "efifb"; /* the detail step found efifb in its memory */
	const struct vh_fn *f = decide();
	CHECK_EQ_U(f[2].action, VH_SKIP);
	CHECK(strstr(f[2].note->reason, "firmware framebuffer 'efifb'") != NULL);
	CHECK_EQ_U(f[3].action, VH_SKIP); /* its audio stays with it */
}

static void an_unlisted_group_is_refused(void)
{
	setup("[vfio]\nbind = 10de:1401\ncompanions = no\nisolation = warn\n");
	desktop();
	fx.fn[4].group_listed = false; /* its iommu_group link names a group sysfs lacks */
	const struct vh_fn *f = decide();
	CHECK_EQ_U(f[4].action, VH_REFUSE);
	CHECK(strstr(f[4].note->reason, "does not hold") != NULL);
}

const struct tap_case decide_cases[] = {
    {"decide: companions follow their slot", companions_follow_their_slot},
    {"decide: companions = no takes only what matches", companions_no_takes_only_matches},
    {"decide: the boot display and its slot are skipped", boot_display_and_its_slot_are_skipped},
    {"decide: boot-vga = allow binds the boot display", boot_vga_allow_binds_the_boot_display},
    {"decide: strict isolation refuses a group shared with a NIC",
     strict_isolation_refuses_a_shared_group},
    {"decide: a NIC is taken only when a selector names its slot",
     companion_nic_is_taken_only_when_selected},
    {"decide: isolation = warn binds and warns", warn_isolation_binds_and_warns},
    {"decide: skip lines win over bind lines", skip_lines_and_cmdline_skip},
    {"decide: no IOMMU, every selected function refused", iommu_off_refuses_everything},
    {"decide: a function on vfio-pci is kept; expect counts", already_on_vfio_is_kept},
    {"decide: a function holding the firmware framebuffer is the boot display",
     framebuffer_holder_is_the_boot_display},
    {"decide: a group sysfs does not list is refused", an_unlisted_group_is_refused},
    {NULL, NULL},
};
