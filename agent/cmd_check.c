/* cmd_check: `vfiohost check`, the seed guide's host check without lspci, and the readiness
 * verdict (findings.c) under it. */
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "context.h"
#include "findings.h"

struct check {
	bool intel_on, amd_on, iommu_pt;
	struct vh_ready rd;
	struct vh_findings fs;
	struct vh_hp_advice adv;
	struct vh_hgx hgx;
	struct vh_msgs warn;
};

static void read_flags(struct check *ck, const char *cmdline)
{
	char v[64];

	ck->intel_on = vh_cmdline_get(cmdline, "intel_iommu", v, sizeof(v)) && strstr(v, "on");
	ck->amd_on = vh_cmdline_get(cmdline, "amd_iommu", v, sizeof(v)) && strstr(v, "on");
	ck->iommu_pt = vh_cmdline_get(cmdline, "iommu", v, sizeof(v)) && strcmp(v, "pt") == 0;
}

/* Walks the groups holding a GPU: fn(group, first, n, gpus, others, arg) for each. */
typedef void (*group_fn)(const struct vh_host *h, size_t first, size_t n, int gpus, bool others,
			 void *arg);

static bool allowlisted(uint32_t class)
{
	uint32_t c = class >> 8;

	return c == 0x0300 || c == 0x0302 || c == 0x0403 || c == 0x0600 || c == 0x0604;
}

static void each_gpu_group(const struct vh_host *h, group_fn fn, void *arg)
{
	for (size_t i = 0, n; i < h->nfn; i += n) {
		int gpus = 0;
		bool others = false;
		n = vh_group_span(h, i);
		for (size_t k = 0; k < n && h->bygroup[i].group >= 0; k++) {
			uint32_t class = h->fn[h->bygroup[i + k].idx].class;
			gpus += vh_is_gpu(class);
			others |= !allowlisted(class);
		}
		if (gpus)
			fn(h, i, n, gpus, others, arg);
	}
}

static void warn_group(const struct vh_host *h, size_t first, size_t n, int gpus, bool others,
		       void *arg)
{
	struct check *ck = arg;
	int group = h->bygroup[first].group;

	(void)n;
	if (others)
		vh_msgs_add(
		    &ck->warn,
		    "group %d contains non-GPU, non-audio, non-bridge devices (consider a different slot or CPU root complex, or ACS)",
		    group);
	if (gpus > 1)
		vh_msgs_add(&ck->warn, "group %d holds %d GPUs (prefer one GPU per group for VFIO)",
			    group, gpus);
}

static void collect_warnings(struct check *ck, const struct vh_host *h)
{
	if (!h->iommu_active)
		vh_msgs_add(
		    &ck->warn,
		    "the IOMMU is not active: no groups in /sys/kernel/iommu_groups (enable VT-d / AMD-Vi in the firmware%s)",
		    strcmp(ck->rd.vendor, "GenuineIntel") == 0 ? ", and intel_iommu=on" : "");
	if (ck->rd.k_disabled)
		vh_msgs_add(&ck->warn, "the kernel log says the IOMMU is disabled: %s",
			    ck->rd.disabled_line);
	each_gpu_group(h, warn_group, ck);
}

/* What check knows of a display function's Resizable BAR, or NULL. */
static const struct vh_gpu_facts *rebar_of(const struct vh_ready *rd, const struct vh_fn *fn,
					   const struct vh_host *h)
{
	size_t idx = (size_t)(fn - h->fn);

	for (size_t i = 0; i < rd->ngpu; i++)
		if (rd->gpu[i].idx == idx)
			return rd->gpu[i].rebar >= 0 ? &rd->gpu[i] : NULL;
	return NULL;
}

struct text_out {
	FILE *f;
	const struct vh_pciids *db;
	const struct vh_ready *rd;
};

struct json_out {
	struct vh_json *j;
	const struct vh_ready *rd;
};

static void text_group(const struct vh_host *h, size_t first, size_t n, int gpus, bool others,
		       void *arg)
{
	const struct text_out *out = arg;

	(void)gpus;
	(void)others;
	fprintf(out->f, "IOMMU Group %d:\n", h->bygroup[first].group);
	for (size_t k = 0; k < n; k++) {
		const struct vh_fn *fn = &h->fn[h->bygroup[first + k].idx];
		char vname[128], dname[128];
		if (vh_pciids_lookup(out->db, fn->vendor, fn->device, vname, sizeof(vname), dname,
				     sizeof(dname)) < 0)
			vh_fmt(vname, sizeof(vname), "%s",
			       vh_vendor_name(fn->vendor) ? vh_vendor_name(fn->vendor) : "Vendor");
		const struct vh_gpu_facts *g = rebar_of(out->rd, fn, h);
		fprintf(out->f, "%s %s [%04x]: %s %s [%04x:%04x] (driver: %s)", fn->bdf + 5,
			vh_class_name(fn->class), fn->class >> 8, vname,
			dname[0] ? dname : "Device", fn->vendor, fn->device,
			fn->driver[0] ? fn->driver : "none");
		if (g)
			fprintf(out->f, " (ReBAR: BAR %d at %llu of %llu MiB)", g->rebar,
				(unsigned long long)g->rebar_mib,
				(unsigned long long)g->rebar_max_mib);
		fputc('\n', out->f);
	}
}

static void text_findings(const struct vh_findings *fs, FILE *f)
{
	int count[3] = {0, 0, 0};

	for (int i = 0; i < fs->n; i++)
		count[fs->f[i].severity]++;
	if (fs->n == 0) {
		fprintf(f, "\n=== Findings: none ===\n");
		return;
	}
	fprintf(f, "\n=== Findings: %d error%s, %d warning%s, %d info ===\n", count[0],
		count[0] == 1 ? "" : "s", count[1], count[1] == 1 ? "" : "s", count[2]);
	for (int i = 0; i < fs->n; i++) {
		const struct vh_finding *x = &fs->f[i];
		fprintf(f, "%-7s %s%s%s: %s\n        fix: %s\n", vh_severity_name(x->severity),
			x->id, x->bdf[0] ? " " : "", x->bdf, x->what, x->fix);
	}
	if (fs->dropped)
		fprintf(f, "(%d more findings not shown)\n", fs->dropped);
}

/* What the plan does with a function, for check's listings: its action, or "-". */
static const char *fn_action(const struct vh_fn *fn, bool decided)
{
	return decided && fn->selected ? vh_action_name(fn->action) : "-";
}

/* An HGX baseboard's NVSwitches, and the model the policy implements on them. */
static void text_nvswitches(const struct check *ck, const struct vh_host *h, FILE *f)
{
	const struct vh_hgx *x = &ck->hgx;
	bool decided = x->model != VH_HGX_UNDECIDED;

	if (ck->rd.nnvsw == 0)
		return;
	fprintf(f, "\n=== NVSwitches (HGX) ===\n");
	fprintf(f, "%-12s  %-9s  %5s  %4s  %-16s  %s\n", "ADDRESS", "ID", "GROUP", "NODE", "DRIVER",
		"PLAN");
	for (size_t i = 0; i < ck->rd.nnvsw; i++) {
		const struct vh_fn *fn = &h->fn[ck->rd.nvsw[i].idx];
		char id[16], group[16], node[16];
		vh_fmt(id, sizeof(id), "%04x:%04x", fn->vendor, fn->device);
		vh_fmt(group, sizeof(group), "%d", fn->group);
		vh_fmt(node, sizeof(node), "%d", ck->rd.nvsw[i].numa);
		fprintf(f, "%-12s  %-9s  %5s  %4s  %-16s  %s\n", fn->bdf, id,
			fn->group >= 0 ? group : "-", ck->rd.nvsw[i].numa >= 0 ? node : "-",
			fn->driver[0] ? fn->driver : "none", fn_action(fn, decided));
	}
	fprintf(f, "HGX model            : %s\n", vh_hgx_model_text(x->model));
	if (decided)
		fprintf(f, "Bound to vfio        : %d of %d GPUs, %d of %d NVSwitches\n",
			x->gpus_bound, x->gpus, x->switches_bound, x->switches);
	fprintf(f, "Fabric Manager       : %s%s%s\n",
		ck->rd.fm_enabled[0] ? "enabled on the host (/" : "not enabled on the host",
		ck->rd.fm_enabled, ck->rd.fm_enabled[0] ? ")" : "");
}

/* Below the guide's report: the boot image, the hugepage budget, the verdict. */
static void text_more(const struct check *ck, FILE *f)
{
	const struct vh_hp_advice *a = &ck->adv;

	fprintf(f, "\n=== Boot image and hugepages ===\n");
	fprintf(f, "Native GPU drivers   : ");
	for (int i = 0; i < ck->rd.nnative; i++)
		fprintf(f, "%s%s (/%s)", i ? ", " : "", ck->rd.native[i].driver,
			ck->rd.native[i].where);
	fprintf(f, "%s (from %s; the image itself is not read)\n", ck->rd.nnative ? "" : "none",
		ck->rd.image_config);
	fprintf(f, "hugetlbfs pagesize=1G: %s\n",
		ck->rd.hugetlbfs_1g[0] ? ck->rd.hugetlbfs_1g : "not mounted");
	fprintf(
	    f,
	    "1 GiB page budget    : %llu (MemTotal %llu GiB, %u GPU%s, %llu GiB kept for the host)\n",
	    (unsigned long long)a->budget, (unsigned long long)(a->memtotal_kib >> 20), a->displays,
	    a->displays == 1 ? "" : "s", (unsigned long long)(a->keep_free_kib >> 20));
	if (a->row_ram_gb)
		fprintf(f, "The guide's table    : %d GB: %d pages, %d GB left (eight GPUs)\n",
			a->row_ram_gb, a->row_pages, a->row_left_gb);
	else
		fprintf(
		    f, "The guide's table    : no row near this host (its rows start at 768 GB)\n");
	text_findings(&ck->fs, f);
}

static const char *yes(bool b)
{
	return b ? "yes" : "no";
}

static void check_text(const struct check *ck, const struct vh_host *h, const struct vh_root *r,
		       FILE *f)
{
	struct vh_pciids db;
	struct text_out out = {f, &db, &ck->rd};
	char v[512];

	fprintf(f, "=== IOMMU Summary ===\n");
	fprintf(f, "CPU vendor           : %s\n", ck->rd.vendor);
	fprintf(f, "Kernel cmdline       : %s\n", h->cmdline);
	fprintf(f, "Boot flags           : intel_iommu=%s amd_iommu=%s iommu=pt=%s\n",
		yes(ck->intel_on), yes(ck->amd_on), yes(ck->iommu_pt));
	fprintf(f, "IOMMU group count    : %d\n", h->ngroups);
	fprintf(f, "Kernel says enabled  : %s\n", yes(ck->rd.k_enabled));
	fprintf(f, "Interrupt remapping  : %s\n", yes(ck->rd.k_irq));
	fprintf(f, "Kernel says disabled : %s\n", yes(ck->rd.k_disabled));
	fprintf(f, "IOMMU ACTIVE?        : %s\n", yes(h->iommu_active));
	fprintf(f, "1 GiB pages (pdpe1gb): %s\n", yes(ck->rd.pdpe1gb));
	fprintf(f, "vfio-pci.ids=        : %s\n",
		vh_cmdline_get(h->cmdline, "vfio-pci.ids", v, sizeof(v)) ? v : "-");
	fprintf(f, "modprobe.blacklist=  : %s\n",
		vh_cmdline_get(h->cmdline, "modprobe.blacklist", v, sizeof(v)) ? v : "-");
	fprintf(f, "hugepages=           : %s\n",
		vh_cmdline_get(h->cmdline, "hugepages", v, sizeof(v)) ? v : "-");
	if (ck->rd.k_enabled)
		fprintf(f, "\n--- Kernel enable line ---\n%s\n", ck->rd.enabled_line);
	if (ck->rd.k_disabled)
		fprintf(f, "\n--- Kernel disable line ---\n%s\n", ck->rd.disabled_line);
	fprintf(f, "\n=== GPU-Containing IOMMU Groups ===\n");
	if (!h->iommu_active)
		fprintf(f, "(no IOMMU groups found)\n");
	vh_pciids_open(&db, r);
	each_gpu_group(h, text_group, &out);
	vh_pciids_close(&db);
	for (int i = 0; i < ck->warn.n; i++)
		fprintf(f, "%sWARN: %s\n", i == 0 ? "\n" : "", ck->warn.msg[i]);
	text_nvswitches(ck, h, f);
	text_more(ck, f);
}

/* Display functions only: null without the capability. */
static void json_rebar(struct vh_json *j, const struct vh_gpu_facts *g)
{
	if (!g)
		return;
	vh_json_open(j, "rebar", '{');
	vh_json_num(j, "bar", g->rebar);
	vh_json_num(j, "mib", (long long)g->rebar_mib);
	vh_json_num(j, "max_mib", (long long)g->rebar_max_mib);
	vh_json_bool(j, "largest", g->rebar_mib >= g->rebar_max_mib);
	vh_json_close(j, '}');
}

static void json_group(const struct vh_host *h, size_t first, size_t n, int gpus, bool others,
		       void *arg)
{
	const struct json_out *out = arg;
	struct vh_json *j = out->j;

	vh_json_open(j, NULL, '{');
	vh_json_num(j, "group", h->bygroup[first].group);
	vh_json_num(j, "gpus", gpus);
	vh_json_bool(j, "others", others);
	vh_json_open(j, "functions", '[');
	for (size_t k = 0; k < n; k++) {
		const struct vh_fn *fn = &h->fn[h->bygroup[first + k].idx];
		vh_json_open(j, NULL, '{');
		vh_json_fn_ids(j, fn);
		vh_json_str(j, "driver", fn->driver[0] ? fn->driver : NULL);
		json_rebar(j, rebar_of(out->rd, fn, h));
		vh_json_close(j, '}');
	}
	vh_json_close(j, ']');
	vh_json_close(j, '}');
}

static void json_cmdline_vfio(struct vh_json *j, const char *cmdline)
{
	static const char *const keys[] = {"vfio-pci.ids", "modprobe.blacklist", "hugepages",
					   "hugepagesz", "default_hugepagesz"};
	char v[512];

	vh_json_open(j, "cmdline_vfio", '{');
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		vh_json_str(j, keys[i], vh_cmdline_get(cmdline, keys[i], v, sizeof(v)));
	vh_json_close(j, '}');
}

static void json_findings(const struct vh_findings *fs, struct vh_json *j)
{
	vh_json_open(j, "findings", '[');
	for (int i = 0; i < fs->n; i++) {
		const struct vh_finding *x = &fs->f[i];
		vh_json_open(j, NULL, '{');
		vh_json_str(j, "id", x->id);
		vh_json_str(j, "severity", vh_severity_name(x->severity));
		vh_json_str(j, "bdf", x->bdf[0] ? x->bdf : NULL);
		vh_json_str(j, "what", x->what);
		vh_json_str(j, "fix", x->fix);
		vh_json_close(j, '}');
	}
	vh_json_close(j, ']');
}

static void json_nvswitches(const struct check *ck, const struct vh_host *h, struct vh_json *j)
{
	const struct vh_hgx *x = &ck->hgx;
	bool decided = x->model != VH_HGX_UNDECIDED;

	vh_json_open(j, "nvswitches", '[');
	for (size_t i = 0; i < ck->rd.nnvsw; i++) {
		const struct vh_fn *fn = &h->fn[ck->rd.nvsw[i].idx];
		vh_json_open(j, NULL, '{');
		vh_json_fn_ids(j, fn);
		if (fn->group >= 0)
			vh_json_num(j, "group", fn->group);
		else
			vh_json_null(j, "group");
		if (ck->rd.nvsw[i].numa >= 0)
			vh_json_num(j, "numa_node", ck->rd.nvsw[i].numa);
		else
			vh_json_null(j, "numa_node");
		vh_json_str(j, "driver", fn->driver[0] ? fn->driver : NULL);
		vh_json_str(j, "action",
			    decided && fn->selected ? vh_action_name(fn->action) : NULL);
		vh_json_close(j, '}');
	}
	vh_json_close(j, ']');
	if (x->model == VH_HGX_NONE) {
		vh_json_null(j, "hgx");
		return;
	}
	vh_json_open(j, "hgx", '{');
	vh_json_str(j, "model", vh_hgx_model_id(x->model));
	vh_json_num(j, "gpus", x->gpus);
	vh_json_num(j, "gpus_bound", x->gpus_bound);
	vh_json_num(j, "nvswitches", x->switches);
	vh_json_num(j, "nvswitches_bound", x->switches_bound);
	vh_json_str(j, "fabricmanager_enabled", ck->rd.fm_enabled[0] ? ck->rd.fm_enabled : NULL);
	vh_json_close(j, '}');
}

static void json_more(const struct check *ck, struct vh_json *j)
{
	const struct vh_hp_advice *a = &ck->adv;

	vh_json_open(j, "boot_image", '{');
	vh_json_open(j, "native_drivers", '[');
	for (int i = 0; i < ck->rd.nnative; i++) {
		vh_json_open(j, NULL, '{');
		vh_json_str(j, "driver", ck->rd.native[i].driver);
		vh_json_str(j, "where", ck->rd.native[i].where);
		vh_json_close(j, '}');
	}
	vh_json_close(j, ']');
	vh_json_bool(j, "image_read", false);
	vh_json_close(j, '}');
	vh_json_str(j, "hugetlbfs_1g", ck->rd.hugetlbfs_1g[0] ? ck->rd.hugetlbfs_1g : NULL);
	vh_json_open(j, "hugepages_advice", '{');
	vh_json_num(j, "memtotal_kib", (long long)a->memtotal_kib);
	vh_json_num(j, "gpus", a->displays);
	vh_json_num(j, "keep_free_kib", (long long)a->keep_free_kib);
	vh_json_num(j, "budget_1g", (long long)a->budget);
	if (a->row_ram_gb) {
		vh_json_open(j, "guide_row", '{');
		vh_json_num(j, "ram_gb", a->row_ram_gb);
		vh_json_num(j, "pages", a->row_pages);
		vh_json_num(j, "left_gb", a->row_left_gb);
		vh_json_close(j, '}');
	} else {
		vh_json_null(j, "guide_row");
	}
	vh_json_close(j, '}');
	json_findings(&ck->fs, j);
}

static void check_json(const struct check *ck, const struct vh_host *h, FILE *f)
{
	struct vh_json j;

	vh_json_begin(&j, f);
	vh_json_open(&j, NULL, '{');
	vh_json_str(&j, "cpu_vendor", ck->rd.vendor);
	vh_json_str(&j, "cmdline", h->cmdline);
	vh_json_open(&j, "boot_flags", '{');
	vh_json_bool(&j, "intel_iommu", ck->intel_on);
	vh_json_bool(&j, "amd_iommu", ck->amd_on);
	vh_json_bool(&j, "iommu_pt", ck->iommu_pt);
	vh_json_close(&j, '}');
	vh_json_open(&j, "iommu", '{');
	vh_json_bool(&j, "active", h->iommu_active);
	vh_json_num(&j, "groups", h->ngroups);
	vh_json_bool(&j, "kernel_enabled", ck->rd.k_enabled);
	vh_json_bool(&j, "kernel_disabled", ck->rd.k_disabled);
	vh_json_bool(&j, "interrupt_remapping", ck->rd.k_irq);
	vh_json_close(&j, '}');
	vh_json_bool(&j, "pdpe1gb", ck->rd.pdpe1gb);
	json_cmdline_vfio(&j, h->cmdline);
	vh_json_open(&j, "gpu_groups", '[');
	struct json_out out = {&j, &ck->rd};
	each_gpu_group(h, json_group, &out);
	vh_json_close(&j, ']');
	vh_json_open(&j, "warnings", '[');
	for (int i = 0; i < ck->warn.n; i++)
		vh_json_str(&j, NULL, ck->warn.msg[i]);
	vh_json_close(&j, ']');
	json_nvswitches(ck, h, &j);
	json_more(ck, &j);
	vh_json_close(&j, '}');
	vh_json_end(&j);
}

static bool any_problem(const struct vh_findings *fs)
{
	for (int i = 0; i < fs->n; i++)
		if (fs->f[i].severity != VH_SEV_INFO)
			return true;
	return false;
}

/* The facts (readiness.c), then the verdict on them (findings.c): check writes nothing. */
static int judge(struct check *ck, struct vh_ctx *c)
{
	const struct vh_policy *p = c->policy_rc == 0 ? c->policy : NULL;
	int rc = vh_ready_read(&ck->rd, &c->host, &c->root);

	if (rc < 0) {
		fprintf(stderr, "vfiohost: check: %s\n", strerror(-rc));
		return rc;
	}
	read_flags(ck, c->host.cmdline);
	collect_warnings(ck, &c->host);
	vh_findings_judge(&ck->rd, &c->host, p, c->policy_rc, &ck->fs);
	vh_hp_advise(&ck->rd, &c->host, p, &ck->adv);
	vh_hgx_classify(&c->host, p != NULL, &ck->hgx);
	return 0;
}

int vh_cmd_check(const struct vh_opts *o)
{
	struct vh_ctx c;
	struct check *ck = NULL;
	int rc = vh_ctx_open(&c, o, stderr);

	if (rc < 0) {
		rc = c.root.fd < 0 ? 2 : 1; /* a --root that is not there is a usage error */
		goto out;
	}
	rc = 1;
	ck = calloc(1, sizeof(*ck));
	if (!ck) {
		fprintf(stderr, "vfiohost: check: %s\n", strerror(ENOMEM));
		goto out;
	}
	if (judge(ck, &c) < 0)
		goto out;
	if (o->json)
		check_json(ck, &c.host, stdout);
	else
		check_text(ck, &c.host, &c.root, stdout);
	rc = ck->warn.n || any_problem(&ck->fs) ? 1 : 0;
out:
	if (ck)
		vh_ready_free(&ck->rd);
	free(ck);
	vh_ctx_close(&c);
	return rc;
}
