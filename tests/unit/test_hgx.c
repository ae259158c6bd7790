/* Unit tests: NVSwitches in the selection rules (agent/decide.c: an endpoint, never a bridge
 * or a companion) and the HGX model and findings (agent/hgx.c, agent/findings.c), on hosts
 * built in memory: nothing is read. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "findings.h"
#include "memhost.h"
#include "tap.h"

static struct {
	struct vh_policy pol;
	struct vh_host host;
	struct vh_plan plan;
	struct vh_fn fn[16];
	struct vh_ready rd;
	struct vh_findings out;
	struct vh_hgx x;
} fx;

/* A small HGX: two GPUs behind their own switch ports, two NVSwitches, each in a group of its
 * own, and the BMC's VGA. */
static void hgx(const char *policy)
{
	vh_plan_free(&fx.plan);
	memset(&fx, 0, sizeof(fx));
	fx.host.fn = fx.fn;
	fx.host.devfd = -1;
	fx.host.iommu_active = true;
	fx.host.ngroups = 7;
	memhost_add(&fx.host, "0000:02:00.0", 0x1a03, 0x2000, 0x030000, 1)->boot_vga = 1;
	memhost_add(&fx.host, "0000:05:00.0", 0x10de, 0x22a3, 0x068000, 2);
	memhost_add(&fx.host, "0000:06:00.0", 0x10de, 0x22a3, 0x068000, 3);
	memhost_add(&fx.host, "0000:17:00.0", 0x1000, 0xc030, 0x060400, 4);
	memhost_add(&fx.host, "0000:18:00.0", 0x10de, 0x2330, 0x030200, 5);
	memhost_add(&fx.host, "0000:29:00.0", 0x1000, 0xc030, 0x060400, 6);
	memhost_add(&fx.host, "0000:2a:00.0", 0x10de, 0x2330, 0x030200, 7);
	strcpy(fx.rd.vendor, "GenuineIntel");
	vh_policy_init(&fx.pol, "/etc/vfiohost.conf");
	if (vh_policy_parse(&fx.pol, policy, strlen(policy), stdout) != 0)
		tap_failed_checks++;
}

static void decide(void)
{
	vh_host_index(&fx.host);
	vh_plan_init(&fx.plan, &fx.pol, &fx.host);
	vh_select(&fx.plan);
	vh_decide(&fx.plan);
	vh_hgx_classify(&fx.host, true, &fx.x);
}

/* The findings on the decided host; the one with this id, or NULL. */
static const struct vh_finding *judge(const char *id)
{
	vh_findings_judge(&fx.rd, &fx.host, &fx.pol, 0, &fx.out);
	for (int i = 0; i < fx.out.n; i++)
		if (strcmp(fx.out.f[i].id, id) == 0)
			return &fx.out.f[i];
	return NULL;
}

static void done(void)
{
	free(fx.host.bygroup);
	fx.host.bygroup = NULL;
}

static void an_nvswitch_is_no_bridge(void)
{
	CHECK(vh_is_nvswitch(0x10de, 0x068000));
	CHECK(!vh_is_bridge(0x068000));
	CHECK(!vh_is_nvswitch(0x8086, 0x068000)); /* another vendor's "other bridge" */
	CHECK(!vh_is_nvswitch(0x10de, 0x060400));
	hgx("[vfio]\nbind = 10de:2330\n");
	fx.fn[1].group = 5; /* the first NVSwitch in the first GPU's group */
	decide();
	CHECK_EQ_U(fx.fn[4].action, VH_REFUSE);
	CHECK(strstr(fx.fn[4].note->reason, "0000:05:00.0 NVSwitch [0680]") != NULL);
	CHECK(strstr(fx.fn[4].note->reason, "Bridge") == NULL);
	CHECK_EQ_U(fx.fn[6].action, VH_BIND);
	done();
}

static void a_group_of_gpu_and_nvswitch_binds_when_both_are_selected(void)
{
	hgx("[vfio]\nbind = 10de:2330\nbind = 10de:22a3\n");
	fx.fn[1].group = 5;
	decide();
	CHECK_EQ_U(fx.fn[1].action, VH_BIND);
	CHECK_EQ_U(fx.fn[4].action, VH_BIND);
	done();
}

static void an_nvswitch_in_a_gpus_slot_is_no_companion(void)
{
	hgx("[vfio]\nbind = 10de:2330\n");
	memhost_add(&fx.host, "0000:2a:00.1", 0x10de, 0x22a3, 0x068000, 7);
	decide();
	CHECK(!fx.fn[7].selected);
	CHECK_EQ_U(fx.fn[6].action, VH_REFUSE); /* it is in the way instead */
	CHECK(strstr(fx.fn[6].note->reason, "0000:2a:00.1 NVSwitch") != NULL);
	done();
}

static void the_models(void)
{
	static const struct {
		const char *policy;
		int model, gpus_bound, switches_bound;
	} cases[] = {
	    {"[vfio]\nbind = 10de:* class=03\nbind = 10de:* class=0680\n", VH_HGX_FULL, 2, 2},
	    {"[vfio]\nbind = 10de:* class=03\n", VH_HGX_SHARED, 2, 0},
	    {"[vfio]\n", VH_HGX_HOST, 0, 0},
	    {"[vfio]\nbind = 10de:* class=03\nbind = 0000:05:00.0\n", VH_HGX_MIXED, 2, 1},
	    {"[vfio]\nbind = 10de:* class=0302\nbind = 10de:22a3\nskip = 0000:2a:00.0\n",
	     VH_HGX_MIXED, 1, 2},
	    {"[vfio]\nbind = 0000:18:00.0\n", VH_HGX_SHARED, 1, 0}, /* some GPUs, no switch */
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		hgx(cases[i].policy);
		decide();
		CHECK_EQ_U(fx.x.model, cases[i].model);
		CHECK_EQ_U(fx.x.gpus, 2); /* NVIDIA's only: the BMC's VGA is no HGX GPU */
		CHECK_EQ_U(fx.x.switches, 2);
		CHECK_EQ_U(fx.x.gpus_bound, cases[i].gpus_bound);
		CHECK_EQ_U(fx.x.switches_bound, cases[i].switches_bound);
		done();
	}
	CHECK_STR(vh_hgx_model_id(VH_HGX_FULL), "full-passthrough");
	CHECK_STR(vh_hgx_model_id(VH_HGX_SHARED), "shared-nvswitch");
	CHECK_STR(vh_hgx_model_id(VH_HGX_MIXED), "mixed");
}

static void no_nvswitch_or_no_policy(void)
{
	hgx("[vfio]\nbind = 10de:* class=03\n");
	decide();
	vh_hgx_classify(&fx.host, false, &fx.x);
	CHECK_EQ_U(fx.x.model, VH_HGX_UNDECIDED);
	CHECK_EQ_U(fx.x.gpus_bound, 0);
	fx.fn[1].class = fx.fn[2].class = 0x058000; /* no NVSwitch left */
	vh_hgx_classify(&fx.host, true, &fx.x);
	CHECK_EQ_U(fx.x.model, VH_HGX_NONE);
	CHECK(judge("nvswitch-partial") == NULL);
	CHECK(judge("nvswitch-no-fabricmanager") == NULL);
	done();
}

static void partial_switches_are_a_warning_naming_those_left(void)
{
	const struct vh_finding *f;

	hgx("[vfio]\nbind = 10de:* class=03\nbind = 0000:05:00.0\n");
	decide();
	f = judge("nvswitch-partial");
	CHECK(f != NULL);
	CHECK_EQ_U(f ? f->severity : 9, VH_SEV_WARNING);
	CHECK_STR(f ? f->bdf : NULL, "0000:06:00.0");
	CHECK(f && strstr(f->what, "NVSwitches bound: 1 of 2") != NULL);
	CHECK(f && strstr(f->what, "0000:06:00.0 (not selected)") != NULL);
	CHECK(f && strstr(f->fix, "full passthrough") && strstr(f->fix, "shared NVSwitch"));
	done();
}

static void all_switches_without_every_gpu_is_partial(void)
{
	const struct vh_finding *f;

	hgx("[vfio]\nbind = 10de:* class=03\nbind = 10de:* class=0680\nskip = 0000:2a:00.0\n");
	decide();
	f = judge("nvswitch-partial");
	CHECK_STR(f ? f->bdf : NULL, "0000:2a:00.0");
	CHECK(f && strstr(f->what, "only 1 of the 2 GPUs") != NULL);
	CHECK(f && strstr(f->what, "0000:2a:00.0 (skip)") != NULL);
	done();
}

static void the_models_themselves_are_no_finding(void)
{
	hgx("[vfio]\nbind = 10de:* class=03\nbind = 10de:* class=0680\n");
	decide();
	CHECK(judge("nvswitch-partial") == NULL);
	CHECK(judge("nvswitch-fabricmanager") == NULL);
	CHECK(judge("nvswitch-no-fabricmanager") == NULL);
	done();
	hgx("[vfio]\nbind = 10de:* class=03\n");
	strcpy(fx.rd.fm_enabled, "etc/systemd/system/multi-user.target.wants/x.service");
	decide();
	CHECK(judge("nvswitch-partial") == NULL);
	CHECK(judge("nvswitch-fabricmanager") == NULL);
	CHECK(judge("nvswitch-no-fabricmanager") == NULL);
	done();
}

static void switches_bound_while_the_host_fabricmanager_is_enabled(void)
{
	const struct vh_finding *f;

	hgx("[vfio]\nbind = 10de:* class=03\nbind = 10de:* class=0680\n");
	strcpy(fx.rd.fm_enabled, "etc/systemd/system/multi-user.target.wants/fm.service");
	decide();
	f = judge("nvswitch-fabricmanager");
	CHECK_EQ_U(f ? f->severity : 9, VH_SEV_WARNING);
	CHECK(f && strstr(f->what, "binds 2 NVSwitches") && strstr(f->what, "/etc/systemd/"));
	CHECK(f && strstr(f->fix, "systemctl disable") != NULL);
	done();
}

static void shared_without_a_fabricmanager_is_info(void)
{
	const struct vh_finding *f;

	hgx("[vfio]\nbind = 10de:* class=03\n");
	decide();
	f = judge("nvswitch-no-fabricmanager");
	CHECK_EQ_U(f ? f->severity : 9, VH_SEV_INFO);
	CHECK(f && strstr(f->what, "not installed") != NULL);
	CHECK(f && strstr(f->fix, "FABRIC_MODE=1") != NULL);
	strcpy(fx.rd.fm_binary, "usr/bin/nv-fabricmanager");
	f = judge("nvswitch-no-fabricmanager");
	CHECK(f && strstr(f->what, "not installed") == NULL);
	done();
}

static void shared_nvswitch_keeps_the_nvidia_driver(void)
{
	const struct vh_finding *f;

	hgx("[vfio]\nbind = 10de:* class=03\n");
	strcpy(fx.rd.nvidia_module, "lib/modules/6.8.0/updates/dkms/nvidia.ko");
	decide();
	f = judge("nvidia-driver-installed");
	CHECK_EQ_U(f ? f->severity : 9, VH_SEV_INFO);
	CHECK(f && strstr(f->fix, "keep it") != NULL);
	done();
	hgx("[vfio]\nbind = 10de:* class=03\nbind = 10de:* class=0680\n");
	strcpy(fx.rd.nvidia_module, "lib/modules/6.8.0/updates/dkms/nvidia.ko");
	decide();
	f = judge("nvidia-driver-installed");
	CHECK_EQ_U(f ? f->severity : 9, VH_SEV_WARNING); /* full passthrough: the host needs none */
	done();
}

const struct tap_case hgx_cases[] = {
    {"hgx: an NVSwitch is no bridge: a GPU grouped with one is refused, naming it",
     an_nvswitch_is_no_bridge},
    {"hgx: a group of a GPU and an NVSwitch binds when both are selected",
     a_group_of_gpu_and_nvswitch_binds_when_both_are_selected},
    {"hgx: an NVSwitch in a GPU's slot is no companion",
     an_nvswitch_in_a_gpus_slot_is_no_companion},
    {"hgx: full passthrough, shared NVSwitch, host, mixed", the_models},
    {"hgx: no NVSwitch, or no valid policy, is no model", no_nvswitch_or_no_policy},
    {"hgx: some NVSwitches bound is nvswitch-partial, naming those left",
     partial_switches_are_a_warning_naming_those_left},
    {"hgx: every NVSwitch without every GPU is nvswitch-partial",
     all_switches_without_every_gpu_is_partial},
    {"hgx: full passthrough and shared NVSwitch themselves are no finding",
     the_models_themselves_are_no_finding},
    {"hgx: NVSwitches bound while the host's Fabric Manager is enabled",
     switches_bound_while_the_host_fabricmanager_is_enabled},
    {"hgx: shared NVSwitch without a Fabric Manager service is info",
     shared_without_a_fabricmanager_is_info},
    {"hgx: shared NVSwitch keeps the NVIDIA driver the host's Fabric Manager needs",
     shared_nvswitch_keeps_the_nvidia_driver},
    {NULL, NULL},
};
