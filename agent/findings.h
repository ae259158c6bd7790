/* findings: check's readiness verdict. readiness.c (discovery) reads the facts the model of
 * vfiohost.h lacks; findings.c (rules, no I/O) turns them, the host and the policy into
 * findings, each with a stable id, a severity, what was seen and the fix. */
#ifndef VFIOHOST_FINDINGS_H
#define VFIOHOST_FINDINGS_H

#include "vfiohost.h"

#define VH_MAX_FINDINGS 128
#define VH_MAX_BARMSG	32 /* kernel log lines about BARs that could not be assigned */
#define VH_MAX_NATIVE	8  /* native GPU drivers the boot image is configured with */
#define VH_NBARS	6

enum vh_severity { VH_SEV_ERROR, VH_SEV_WARNING, VH_SEV_INFO };
enum vh_bar_state { VH_BAR_ABSENT, VH_BAR_ASSIGNED, VH_BAR_UNSET };

struct vh_finding {
	const char *id; /* static */
	uint8_t severity;
	char bdf[16]; /* "" for the host */
	char what[400];
	char fix[400];
};

struct vh_findings {
	int n;
	int dropped; /* past VH_MAX_FINDINGS */
	struct vh_finding f[VH_MAX_FINDINGS];
};

/* "pci BDF: BAR N ...: no space / failed to assign / can't assign" in the kernel log. */
struct vh_bar_msg {
	char bdf[16];
	int bar;
	uint64_t size; /* bytes, 0: not said */
	bool assigned; /* a later line says it was assigned after all */
	char line[200];
};

/* What check knows of one display-class (03xx) function beyond the PCI model. */
struct vh_gpu_facts {
	size_t idx;   /* into vh_host.fn */
	int boot_vga; /* -1: no attribute */
	bool resource_read;
	uint8_t bar[VH_NBARS];		   /* vh_bar_state, from the resource file */
	uint64_t bar_size[VH_NBARS];	   /* bytes */
	int rebar;			   /* the BAR that config space says is resizable, or -1 */
	uint64_t rebar_mib, rebar_max_mib; /* its current and largest supported sizes */
};

/* An NVSwitch of an HGX baseboard (fabric.c). */
struct vh_nvswitch_facts {
	size_t idx; /* into vh_host.fn */
	int numa;   /* -1: unknown */
};

/* A native GPU driver that the next boot image is configured to hold. */
struct vh_native {
	char driver[32];
	char where[128]; /* FILE:LINE, relative to the root */
};

struct vh_ready {
	char vendor[32];
	bool pdpe1gb;
	/* kernel log (dev/kmsg) */
	bool klog_read, klog_from_boot; /* it still holds this boot's "Linux version" record */
	bool k_enabled, k_disabled, k_irq, k_irq_script; /* k_irq_script: the guide's wording */
	char enabled_line[256], disabled_line[256], irq_line[256];
	struct vh_bar_msg barmsg[VH_MAX_BARMSG];
	int nbarmsg;
	/* sys/class/iommu: Intel units tell interrupt remapping support (ecap bit 3) */
	int ir_units, ir_units_without;
	char ir_unit_without[32], ir_ecap_without[32];
	/* the kernel, its modules and modprobe files */
	char release[96];
	int kmajor, kminor; /* -1: unknown */
	bool modules_dep_read;
	char nvidia_module[128]; /* first NVIDIA module of modules.dep, or "" */
	bool nvidia_loaded;	 /* sys/module/nvidia */
	char nvidia_modprobe[128];
	/* hugepages */
	bool mounts_read;
	char hugetlbfs_1g[128]; /* a hugetlbfs mount with 1 GiB pages, or "" */
	long long nr_1g;	/* 1 GiB pages reserved now, -1: no such pool */
	/* the boot image, from its generators' configuration (the image is not read) */
	struct vh_native native[VH_MAX_NATIVE];
	int nnative;
	char image_config[160]; /* the configuration files read, for the report */
	/* GPUs */
	struct vh_gpu_facts *gpu; /* owned (vh_ready_free) */
	size_t ngpu;
	/* NVSwitches and the host's Fabric Manager (fabric.c) */
	struct vh_nvswitch_facts *nvsw; /* owned (vh_ready_free), NULL when there is none */
	size_t nnvsw;
	char fm_enabled[96]; /* the enabled nvidia-fabricmanager.service link, or "" */
	char fm_binary[32];  /* nv-fabricmanager, or "" */
};

/* Which of NVIDIA's HGX virtualization models a policy implements (hgx.c). */
enum vh_hgx_model {
	VH_HGX_NONE,	  /* no NVSwitch: not an HGX baseboard */
	VH_HGX_UNDECIDED, /* no valid policy */
	VH_HGX_HOST,	  /* nothing of the baseboard bound: bare metal or vGPU */
	VH_HGX_FULL,	  /* every GPU and every NVSwitch bound */
	VH_HGX_SHARED,	  /* GPUs bound, every NVSwitch left to the host's Fabric Manager */
	VH_HGX_MIXED,	  /* some NVSwitches bound, or all of them without every GPU */
};

struct vh_hgx {
	int model;
	int gpus, gpus_bound; /* NVIDIA GPUs (0300, 0302); bound: action bind or keep */
	int switches, switches_bound;
};

/* The seed guide's hugepage table row nearest this host, beside vfiohost's budget. */
struct vh_hp_advice {
	uint64_t memtotal_kib;
	unsigned displays; /* the display functions the budget keeps 2 GiB for */
	uint64_t keep_free_kib, budget;
	int row_ram_gb, row_pages, row_left_gb; /* 0: no row near this host */
};

/* readiness.c: discovery. Reads everything check needs beyond h (which must be discovered). */
int vh_ready_read(struct vh_ready *rd, const struct vh_host *h, const struct vh_root *r);
void vh_ready_free(struct vh_ready *rd);
/* bootimage.c: the native GPU drivers the generators' configuration puts in the image. */
void vh_ready_image(struct vh_ready *rd, const struct vh_root *r);
/* fabric.c: the NVSwitches' numa_node and the Fabric Manager service. */
int vh_ready_fabric(struct vh_ready *rd, const struct vh_host *h, const struct vh_root *r);
/* One kernel log line (the text after a record's ';'). */
void vh_ready_klog_line(struct vh_ready *rd, const char *line);
/* Parses config space (len bytes) for the Resizable BAR capability into g. */
void vh_ready_rebar(struct vh_gpu_facts *g, const unsigned char *cfg, size_t len);

/* findings.c: the rules. p is NULL without a valid policy; its selection (vh_select) and
 * decisions (vh_decide) are read from h. policy_rc is vh_policy_load's. */
void vh_findings_judge(const struct vh_ready *rd, const struct vh_host *h,
		       const struct vh_policy *p, int policy_rc, struct vh_findings *out);
void vh_hp_advise(const struct vh_ready *rd, const struct vh_host *h, const struct vh_policy *p,
		  struct vh_hp_advice *a);
const char *vh_severity_name(int severity);
/* hgx.c: the model, from the decisions in h (decided: a valid policy was applied to it). */
void vh_hgx_classify(const struct vh_host *h, bool decided, struct vh_hgx *x);
const char *vh_hgx_model_id(int model);
const char *vh_hgx_model_text(int model);
/* Whether a function counts as bound for the model: bind or keep. */
bool vh_hgx_bound(const struct vh_fn *fn);
/* Errors first, then warnings, then info; the order of the rules within each. */
void vh_findings_sort(struct vh_findings *out);

#endif
