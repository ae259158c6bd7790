/* Unit tests: check's readiness rules (agent/findings.c) and the parsers of readiness.c that
 * take text, on hosts and facts built in memory: nothing is read. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "findings.h"
#include "memhost.h"
#include "tap.h"

static struct {
	struct vh_host host;
	struct vh_fn fn[16];
	struct vh_ready rd;
	struct vh_gpu_facts gpu[4];
	struct vh_findings out;
} fx;

/* A clean Intel host: IOMMU and IRQ remapping on, one GPU with its audio and root port. */
static void clean(void)
{
	memset(&fx, 0, sizeof(fx));
	fx.host.fn = fx.fn;
	fx.host.devfd = -1;
	fx.host.iommu_active = true;
	fx.host.ngroups = 3;
	fx.host.memtotal_kib = 32ULL << 20;
	strcpy(fx.host.cmdline, "ro quiet intel_iommu=on");
	memhost_add(&fx.host, "0000:00:01.0", 0x8086, 0x1901, 0x060400, 1);
	memhost_add(&fx.host, "0000:01:00.0", 0x10de, 0x2484, 0x030000, 1);
	memhost_add(&fx.host, "0000:01:00.1", 0x10de, 0x228b, 0x040300, 1);
	strcpy(fx.rd.vendor, "GenuineIntel");
	fx.rd.pdpe1gb = true;
	fx.rd.klog_read = fx.rd.klog_from_boot = true;
	fx.rd.kmajor = 6;
	fx.rd.mounts_read = true;
	fx.rd.nr_1g = 0;
	fx.rd.gpu = fx.gpu;
	fx.rd.ngpu = 1;
	fx.gpu[0].idx = 1;
	fx.gpu[0].boot_vga = 0;
	fx.gpu[0].rebar = -1;
	vh_ready_klog_line(&fx.rd, "DMAR-IR: Enabled IRQ remapping in x2apic mode");
}

static const struct vh_finding *judge(const char *id)
{
	vh_host_index(&fx.host);
	vh_findings_judge(&fx.rd, &fx.host, NULL, -ENOENT, &fx.out);
	free(fx.host.bygroup);
	for (int i = 0; i < fx.out.n; i++)
		if (strcmp(fx.out.f[i].id, id) == 0)
			return &fx.out.f[i];
	return NULL;
}

static void clean_host_has_no_finding(void)
{
	clean();
	judge("");
	CHECK_EQ_U(fx.out.n, 0);
}

static void intel_and_amd_words_are_interrupt_remapping(void)
{
	clean();
	fx.rd.k_irq = false;
	CHECK(judge("interrupt-remapping-off") != NULL);
	vh_ready_klog_line(&fx.rd, "DMAR-IR: Enabled IRQ remapping in xapic mode");
	CHECK(fx.rd.k_irq && !fx.rd.k_irq_script);
	fx.rd.k_irq = false;
	vh_ready_klog_line(&fx.rd, "AMD-Vi: Interrupt remapping enabled");
	CHECK(fx.rd.k_irq && fx.rd.k_irq_script);
	CHECK(judge("interrupt-remapping-off") == NULL);
}

static void a_log_without_the_boot_cannot_tell(void)
{
	clean();
	fx.rd.k_irq = false;
	fx.rd.klog_from_boot = false;
	CHECK(judge("interrupt-remapping-off") == NULL);
	CHECK(judge("interrupt-remapping-unknown") != NULL);
	CHECK_EQ_U(fx.out.f[0].severity, VH_SEV_INFO);
}

static void kernel_bar_words_old_and_new(void)
{
	clean();
	vh_ready_klog_line(
	    &fx.rd, "pci 0000:01:00.0: BAR 1: no space for [mem size 0x800000000 64bit pref]");
	vh_ready_klog_line(
	    &fx.rd,
	    "pci 0000:02:00.0: BAR 3 [mem size 0x1000000000 64bit pref]: can't assign; no space");
	vh_ready_klog_line(
	    &fx.rd,
	    "pci 0000:02:00.0: BAR 3 [mem 0x38000000000-0x38fffffffff 64bit pref]: assigned");
	CHECK_EQ_U(fx.rd.nbarmsg, 2);
	CHECK_STR(fx.rd.barmsg[0].bdf, "0000:01:00.0");
	CHECK_EQ_U(fx.rd.barmsg[0].bar, 1);
	CHECK_EQ_U(fx.rd.barmsg[0].size, 0x800000000ULL);
	CHECK(!fx.rd.barmsg[0].assigned);
	CHECK_EQ_U(fx.rd.barmsg[1].size, 0x1000000000ULL);
	CHECK(fx.rd.barmsg[1].assigned);
	const struct vh_finding *f = judge("bar-unassigned");
	CHECK(f != NULL);
	CHECK_STR(f ? f->bdf : NULL, "0000:01:00.0");
	CHECK(f && strncmp(f->what, "BAR 1 (32 GiB) has no address; the kernel said: ", 48) == 0);
}

static void an_assigned_bar_outweighs_an_old_message(void)
{
	clean();
	vh_ready_klog_line(
	    &fx.rd, "pci 0000:01:00.0: BAR 1: failed to assign [mem size 0x800000000 64bit pref]");
	fx.gpu[0].bar[1] = VH_BAR_ASSIGNED;
	fx.gpu[0].bar_size[1] = 0x800000000ULL;
	CHECK(judge("bar-unassigned") == NULL);
	fx.gpu[0].bar[1] = VH_BAR_UNSET;
	CHECK(judge("bar-unassigned") != NULL);
}

static void rebar_capability_is_parsed(void)
{
	unsigned char cfg[4096] = {0};
	struct vh_gpu_facts g;

	/* 0x100: ReBAR, version 1; BAR 1, 256 MiB now, 256 MiB to 32 GiB supported */
	memcpy(cfg + 0x100, "\x15\x00\x01\x00\x00\xf0\x0f\x00\x21\x08\x00\x00", 12);
	vh_ready_rebar(&g, cfg, sizeof(cfg));
	CHECK_EQ_U(g.rebar, 1);
	CHECK_EQ_U(g.rebar_mib, 256);
	CHECK_EQ_U(g.rebar_max_mib, 32768);
	vh_ready_rebar(&g, cfg, 256); /* a non-root read: 256 bytes, no extended space */
	CHECK_EQ_U((unsigned long long)(g.rebar + 1), 0);
	memset(cfg + 0x100, 0xff, 4);
	vh_ready_rebar(&g, cfg, sizeof(cfg));
	CHECK_EQ_U((unsigned long long)(g.rebar + 1), 0);
}

static void rebar_below_largest_is_info(void)
{
	clean();
	fx.gpu[0].rebar = 1;
	fx.gpu[0].rebar_mib = 256;
	fx.gpu[0].rebar_max_mib = 32768;
	const struct vh_finding *f = judge("rebar-not-largest");
	CHECK(f && f->severity == VH_SEV_INFO);
	fx.gpu[0].rebar_mib = 32768;
	CHECK(judge("rebar-not-largest") == NULL);
}

static void outdated_only_from_linux_6(void)
{
	clean();
	strcpy(fx.host.cmdline, "ro video=efifb:off");
	fx.rd.kmajor = 5;
	CHECK(judge("cmdline-outdated") == NULL);
	fx.rd.kmajor = 6;
	CHECK(judge("cmdline-outdated") != NULL);
}

static void findings_sort_by_severity_keeping_order(void)
{
	struct vh_findings *o = &fx.out;
	static const int sev[] = {VH_SEV_INFO, VH_SEV_ERROR, VH_SEV_WARNING, VH_SEV_ERROR,
				  VH_SEV_INFO};
	static const char *const ids[] = {"i1", "e1", "w1", "e2", "i2"};

	memset(o, 0, sizeof(*o));
	for (int i = 0; i < 5; i++) {
		o->f[i].id = ids[i];
		o->f[i].severity = (uint8_t)sev[i];
	}
	o->n = 5;
	vh_findings_sort(o);
	CHECK_STR(o->f[0].id, "e1");
	CHECK_STR(o->f[1].id, "e2");
	CHECK_STR(o->f[2].id, "w1");
	CHECK_STR(o->f[3].id, "i1");
	CHECK_STR(o->f[4].id, "i2");
}

static void budget_beside_the_guide_row(void)
{
	struct vh_hp_advice a;

	clean();
	fx.host.memtotal_kib = 768ULL << 20;
	vh_hp_advise(&fx.rd, &fx.host, NULL, &a);
	CHECK_EQ_U(a.displays, 1);
	CHECK_EQ_U(a.row_ram_gb, 768);
	CHECK_EQ_U(a.row_pages, 700);
	CHECK_EQ_U(a.budget, vh_budget(768ULL << 20, vh_keep_free_auto(768ULL << 20, 1), 1 << 20));
	fx.host.memtotal_kib = 64ULL << 20;
	vh_hp_advise(&fx.rd, &fx.host, NULL, &a);
	CHECK_EQ_U(a.row_ram_gb, 0);
}

const struct tap_case findings_cases[] = {
    {"findings: a clean host has none", clean_host_has_no_finding},
    {"findings: Intel's and AMD's words both mean interrupt remapping",
     intel_and_amd_words_are_interrupt_remapping},
    {"findings: a log without this boot's start cannot tell interrupt remapping",
     a_log_without_the_boot_cannot_tell},
    {"findings: the kernel's BAR words, old and new, and a later assignment",
     kernel_bar_words_old_and_new},
    {"findings: an assigned BAR outweighs an earlier failure line",
     an_assigned_bar_outweighs_an_old_message},
    {"findings: the Resizable BAR capability is read from config space",
     rebar_capability_is_parsed},
    {"findings: a Resizable BAR below its largest size is info", rebar_below_largest_is_info},
    {"findings: video=efifb:off is outdated from Linux 6.0 only", outdated_only_from_linux_6},
    {"findings: errors first, then warnings, then info, each in the rules' order",
     findings_sort_by_severity_keeping_order},
    {"findings: the budget beside the guide's table row", budget_beside_the_guide_row},
    {NULL, NULL},
};
