/* findings: the rules of check's readiness verdict (SPEC section 5, `findings`). They read
 * the facts of readiness.c, the host model and the policy, and touch nothing. */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "findings.h"

#define GIB_KIB (1ULL << 20)
#define NVIDIA	0x10de

struct judge {
	const struct vh_ready *rd;
	const struct vh_host *h;
	const struct vh_policy *p; /* NULL: no valid policy */
	struct vh_findings *out;
	struct vh_hgx hgx; /* the HGX model the policy implements */
};

static struct vh_finding *add(struct judge *j, const char *id, int sev, const char *bdf,
			      const char *fix, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

static struct vh_finding *add(struct judge *j, const char *id, int sev, const char *bdf,
			      const char *fix, const char *fmt, ...)
{
	struct vh_finding *f;
	va_list ap;

	if (j->out->n == VH_MAX_FINDINGS) {
		j->out->dropped++;
		return NULL;
	}
	f = &j->out->f[j->out->n++];
	f->id = id;
	f->severity = (uint8_t)sev;
	vh_fmt(f->bdf, sizeof(f->bdf), "%s", bdf ? bdf : "");
	vh_fmt(f->fix, sizeof(f->fix), "%s", fix);
	va_start(ap, fmt);
	vsnprintf(f->what, sizeof(f->what), fmt, ap);
	va_end(ap);
	return f;
}

const char *vh_severity_name(int severity)
{
	return severity == VH_SEV_ERROR ? "error" : severity == VH_SEV_WARNING ? "warning" : "info";
}

static bool intel(const struct judge *j)
{
	return strcmp(j->rd->vendor, "GenuineIntel") == 0;
}

static const char *cmd(const struct judge *j, const char *key, char *buf, size_t size)
{
	return vh_cmdline_get(j->h->cmdline, key, buf, size);
}

/* ---------------------------------------------------------------- the policy */

static void judge_policy(struct judge *j, int policy_rc)
{
	if (policy_rc == 0 || policy_rc == -ENOENT)
		return;
	add(j, "policy-invalid", VH_SEV_ERROR, NULL,
	    "correct the lines named on standard error (vfiohost validate says them again)",
	    "the policy cannot be read or parsed: boot would do nothing; the findings that depend on it are left out");
}

/* ---------------------------------------------------------------- BIOS and firmware */

static void judge_iommu(struct judge *j)
{
	char v[64];
	const char *off = cmd(j, "intel_iommu", v, sizeof(v));

	if (!(off && strcmp(v, "off") == 0))
		off = cmd(j, "amd_iommu", v, sizeof(v));
	if (!(off && strcmp(v, "off") == 0))
		off = cmd(j, "iommu", v, sizeof(v));
	off = off && strcmp(v, "off") == 0 ? v : NULL;
	if (j->h->iommu_active) {
		if (j->rd->k_disabled)
			add(j, "iommu-log-disabled", VH_SEV_WARNING, NULL,
			    "check the firmware's VT-d / AMD-Vi setting and the command line; the groups in /sys/kernel/iommu_groups are what vfiohost goes by",
			    "IOMMU groups exist, but the kernel log says: %s",
			    j->rd->disabled_line);
		return;
	}
	add(j, "iommu-off", VH_SEV_ERROR, NULL,
	    intel(j)
		? "enable VT-d in the firmware setup and boot with intel_iommu=on (Debian's and Ubuntu's kernels leave the Intel IOMMU off by default); remove any intel_iommu=off or iommu=off"
		: "enable the IOMMU (AMD-Vi, often under AMD CBS / NBIO) in the firmware setup; remove any amd_iommu=off or iommu=off",
	    "no IOMMU groups in /sys/kernel/iommu_groups: without an IOMMU nothing can be passed through%s%s%s",
	    off ? "; the command line has an IOMMU =off" : "",
	    j->rd->k_disabled ? "; the kernel log says: " : "",
	    j->rd->k_disabled ? j->rd->disabled_line : "");
}

#define IR_FIX                                                                                     \
	"enable interrupt remapping in the firmware setup (Intel: VT-d with interrupt remapping and x2APIC; AMD: the IOMMU and x2APIC), update the firmware, and remove intremap=off; vfio_iommu_type1.allow_unsafe_interrupts=1 assigns anyway, but lets a guest's device send the host forged interrupts"

static void judge_irq(struct judge *j)
{
	const struct vh_ready *rd = j->rd;
	char v[64];
	bool unsafe = cmd(j, "vfio_iommu_type1.allow_unsafe_interrupts", v, sizeof(v)) &&
		      (strcmp(v, "1") == 0 || strcmp(v, "Y") == 0 || strcmp(v, "y") == 0);
	const char *tail = unsafe ? "; allow_unsafe_interrupts is set on the command line" : "";

	if (!j->h->iommu_active || rd->k_irq)
		return;
	if (rd->ir_units_without)
		add(j, "interrupt-remapping-off", VH_SEV_ERROR, NULL, IR_FIX,
		    "the IOMMU unit %s cannot remap interrupts (its ecap %s lacks bit 3): VFIO refuses to assign devices without it%s",
		    rd->ir_unit_without, rd->ir_ecap_without, tail);
	else if (cmd(j, "intremap", v, sizeof(v)) && strcmp(v, "off") == 0)
		add(j, "interrupt-remapping-off", VH_SEV_ERROR, NULL, IR_FIX,
		    "intremap=off on the command line turns interrupt remapping off: VFIO refuses to assign devices without it%s",
		    tail);
	else if (rd->klog_from_boot)
		add(j, "interrupt-remapping-off", VH_SEV_ERROR, NULL, IR_FIX,
		    "the kernel log of this boot never says 'DMAR-IR: Enabled IRQ remapping in x2apic/xapic mode' (Intel) or 'AMD-Vi: Interrupt remapping enabled' (AMD): VFIO refuses to assign devices without interrupt remapping%s",
		    tail);
	else
		add(j, "interrupt-remapping-unknown", VH_SEV_INFO, NULL,
		    "look for 'DMAR-IR: Enabled IRQ remapping' or 'AMD-Vi: Interrupt remapping enabled' in journalctl -k -b",
		    "%s: whether interrupt remapping is on cannot be told",
		    rd->klog_read ? "the kernel log no longer holds this boot's first messages"
				  : "the kernel log (/dev/kmsg) cannot be read");
}

static void size_text(char *buf, size_t size, uint64_t bytes)
{
	if (bytes >= (1ULL << 30) && bytes % (1ULL << 30) == 0)
		vh_fmt(buf, size, "%llu GiB", (unsigned long long)(bytes >> 30));
	else if (bytes >= (1ULL << 20))
		vh_fmt(buf, size, "%llu MiB", (unsigned long long)(bytes >> 20));
	else
		vh_fmt(buf, size, "%llu KiB", (unsigned long long)(bytes >> 10));
}

static const struct vh_bar_msg *bar_msg(const struct judge *j, const char *bdf, int bar)
{
	for (int i = 0; i < j->rd->nbarmsg; i++)
		if (j->rd->barmsg[i].bar == bar && strcmp(j->rd->barmsg[i].bdf, bdf) == 0 &&
		    !j->rd->barmsg[i].assigned)
			return &j->rd->barmsg[i];
	return NULL;
}

static void judge_bar(struct judge *j, const struct vh_gpu_facts *g, int bar)
{
	const struct vh_fn *fn = &j->h->fn[g->idx];
	const struct vh_bar_msg *m = bar_msg(j, fn->bdf, bar);
	bool unset = g->bar[bar] == VH_BAR_UNSET;
	uint64_t size = unset ? g->bar_size[bar] : m ? m->size : 0;
	char sz[32] = "";
	bool realloc = vh_cmdline_has(j->h->cmdline, "pci=realloc");

	if (!unset && !(m && g->bar[bar] != VH_BAR_ASSIGNED))
		return;
	if (size)
		size_text(sz, sizeof(sz), size);
	add(j, "bar-unassigned", VH_SEV_ERROR, fn->bdf,
	    realloc
		? "enable Above 4G decoding (and Resizable BAR) in the firmware setup: pci=realloc is already on the command line, so the firmware's window is too small"
		: "enable Above 4G decoding (and Resizable BAR) in the firmware setup; if the BAR is still unassigned, boot with pci=realloc",
	    "BAR %d%s%s%s has no address%s%s", bar, sz[0] ? " (" : "", sz, sz[0] ? ")" : "",
	    m ? "; the kernel said: " : ": its resource line has a size but no start",
	    m ? m->line : "");
}

static void judge_bars(struct judge *j)
{
	for (size_t i = 0; i < j->rd->ngpu; i++)
		for (int bar = 0; bar < VH_NBARS; bar++)
			judge_bar(j, &j->rd->gpu[i], bar);
}

static void judge_rebar(struct judge *j)
{
	for (size_t i = 0; i < j->rd->ngpu; i++) {
		const struct vh_gpu_facts *g = &j->rd->gpu[i];
		char cur[32], max[32];
		if (g->rebar < 0 || g->rebar_mib >= g->rebar_max_mib)
			continue;
		size_text(cur, sizeof(cur), g->rebar_mib << 20);
		size_text(max, sizeof(max), g->rebar_max_mib << 20);
		add(j, "rebar-not-largest", VH_SEV_INFO, j->h->fn[g->idx].bdf,
		    "enable Resizable BAR (and Above 4G decoding) in the firmware setup; since Linux 6.1 a BAR of a function without a driver can also be resized through its resourceN_resize file",
		    "BAR %d is %s; its Resizable BAR capability allows up to %s", g->rebar, cur,
		    max);
	}
}

/* ---------------------------------------------------------------- groups */

static void in_the_way(const struct vh_host *h, size_t first, size_t n, char *buf, size_t size)
{
	size_t len = 0;
	int shown = 0;

	buf[0] = '\0';
	for (size_t k = 0; k < n; k++) {
		const struct vh_fn *fn = &h->fn[h->bygroup[first + k].idx];
		uint32_t c = fn->class >> 8;
		if (c == 0x0300 || c == 0x0302 || c == 0x0403 || vh_is_bridge(fn->class))
			continue;
		if (shown++ == 4) {
			vh_fmt(buf + len, size - len, ", ...");
			return;
		}
		if (vh_fmt(buf + len, size - len, "%s%s (%s)", len ? ", " : "", fn->bdf,
			   vh_fn_kind(fn)) < 0)
			return;
		len += strlen(buf + len);
	}
}

static void judge_group(struct judge *j, size_t first, size_t n)
{
	const struct vh_host *h = j->h;
	const char *gpu = NULL;
	char others[200];
	int gpus = 0;

	for (size_t k = 0; k < n; k++) {
		const struct vh_fn *fn = &h->fn[h->bygroup[first + k].idx];
		if (vh_is_gpu(fn->class) && gpus++ == 0)
			gpu = fn->bdf;
	}
	if (!gpus)
		return;
	in_the_way(h, first, n, others, sizeof(others));
	if (others[0])
		add(j, "group-not-isolated", VH_SEV_WARNING, gpu,
		    "put the card in a slot wired to the CPU's own root port, enable ACS in the firmware setup, or, if those functions may go to the same guest, bind them too (bind = their slot)",
		    "IOMMU group %d holds %s besides the GPU: it can only be passed through whole, and isolation = strict refuses it",
		    h->bygroup[first].group, others);
	if (gpus > 1)
		add(j, "gpus-share-group", VH_SEV_WARNING, gpu,
		    "use slots behind different root ports (or enable ACS), or pass these GPUs to one guest together",
		    "IOMMU group %d holds %d GPUs: they can only go to one guest together",
		    h->bygroup[first].group, gpus);
}

static void judge_groups(struct judge *j)
{
	for (size_t i = 0, n; i < j->h->nfn; i += n) {
		n = vh_group_span(j->h, i);
		if (j->h->bygroup[i].group >= 0)
			judge_group(j, i, n);
	}
}

/* ---------------------------------------------------------------- drivers */

static bool passes_nvidia(const struct judge *j)
{
	for (size_t i = 0; j->p && i < j->h->nfn; i++)
		if (j->h->fn[i].selected && j->h->fn[i].vendor == NVIDIA &&
		    vh_is_display(j->h->fn[i].class))
			return true;
	return false;
}

static void judge_nvidia(struct judge *j)
{
	const struct vh_ready *rd = j->rd;

	if (!passes_nvidia(j) ||
	    !(rd->nvidia_module[0] || rd->nvidia_modprobe[0] || rd->nvidia_loaded))
		return;
	if (j->hgx.model == VH_HGX_SHARED) {
		add(j, "nvidia-driver-installed", VH_SEV_INFO, NULL,
		    "keep it: vfiohost claims the GPUs before the driver loads, so it gets only the NVSwitches",
		    "the NVIDIA driver is on this host, and the host's Fabric Manager needs it for the NVSwitches that the policy leaves to the host (shared NVSwitch)");
		return;
	}
	add(j, "nvidia-driver-installed", VH_SEV_WARNING, NULL,
	    "on a headless host, remove the NVIDIA driver (its packages, or nvidia-uninstall for a .run install) and its modprobe files, then rebuild the initramfs; a desktop whose own display needs it may keep it",
	    "the NVIDIA driver is on a host whose policy passes NVIDIA GPUs through:%s%s%s%s%s",
	    rd->nvidia_module[0] ? " /" : "", rd->nvidia_module, rd->nvidia_modprobe[0] ? " /" : "",
	    rd->nvidia_modprobe, rd->nvidia_loaded ? " (the nvidia module is loaded)" : "");
}

static void judge_image(struct judge *j)
{
	for (int i = 0; i < j->rd->nnative; i++)
		add(j, "initramfs-native-driver", VH_SEV_INFO, NULL,
		    "vfiohost claims the GPUs it binds before drivers load, so this is safe for them; remove the line unless the host's own display needs that driver early",
		    "the boot image is configured to hold the native GPU driver %s (/%s)",
		    j->rd->native[i].driver, j->rd->native[i].where);
}

/* ---------------------------------------------------------------- NVSwitches (HGX) */

/* The NVSwitches (or NVIDIA GPUs) that are not bound, "BDF (action)" each; the first's BDF. */
static const char *unbound(const struct vh_host *h, bool nvswitch, char *buf, size_t size)
{
	const char *first = NULL;
	size_t len = 0;
	int shown = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < h->nfn; i++) {
		const struct vh_fn *fn = &h->fn[i];
		bool kind = nvswitch ? vh_is_nvswitch(fn->vendor, fn->class)
				     : fn->vendor == NVIDIA && vh_is_gpu(fn->class);
		if (!kind || fn->unreadable || vh_hgx_bound(fn))
			continue;
		first = first ? first : fn->bdf;
		if (shown++ == 4) {
			vh_fmt(buf + len, size - len, ", ...");
			break;
		}
		if (vh_fmt(buf + len, size - len, "%s%s (%s)", len ? ", " : "", fn->bdf,
			   fn->selected ? vh_action_name(fn->action) : "not selected") < 0)
			break;
		len += strlen(buf + len);
	}
	return first;
}

#define HGX_MODELS_FIX                                                                             \
	"pick one model (vfiohost.conf(5), HGX): full passthrough binds every GPU and every NVSwitch (bind = 10de:* class=0680 beside the GPUs' line); shared NVSwitch binds no NVSwitch and leaves them to the host's Fabric Manager (FABRIC_MODE=1)"

static void judge_hgx_partial(struct judge *j)
{
	const struct vh_hgx *x = &j->hgx;
	char left[128];
	const char *bdf;

	if (x->switches_bound < x->switches) {
		bdf = unbound(j->h, true, left, sizeof(left));
		add(j, "nvswitch-partial", VH_SEV_WARNING, bdf, HGX_MODELS_FIX,
		    "NVSwitches bound: %d of %d; left with the host: %s; neither full passthrough nor shared NVSwitch; Fabric Manager, the host's or a guest's, expects every NVSwitch of the baseboard, so the %d GPU%s bound may get no NVLink fabric",
		    x->switches_bound, x->switches, left, x->gpus_bound,
		    x->gpus_bound == 1 ? "" : "s");
		return;
	}
	bdf = unbound(j->h, false, left, sizeof(left));
	add(j, "nvswitch-partial", VH_SEV_WARNING, bdf, HGX_MODELS_FIX,
	    "every NVSwitch (%d) is bound but only %d of the %d GPUs (not bound: %s): neither full passthrough nor shared NVSwitch; the GPUs left out get no NVLink fabric, since the host keeps no NVSwitch for its Fabric Manager",
	    x->switches, x->gpus_bound, x->gpus, left);
}

static void judge_hgx(struct judge *j)
{
	const struct vh_hgx *x = &j->hgx;
	const struct vh_ready *rd = j->rd;

	if (x->model == VH_HGX_MIXED)
		judge_hgx_partial(j);
	if (x->switches_bound && rd->fm_enabled[0])
		add(j, "nvswitch-fabricmanager", VH_SEV_WARNING, NULL,
		    "full passthrough: disable it on the host (systemctl disable --now nvidia-fabricmanager) and run Fabric Manager in the guest that gets the NVSwitches; shared NVSwitch: bind no NVSwitch, so that the host's Fabric Manager keeps them",
		    "the policy binds %d NVSwitch%s to vfio-pci, but the host's Fabric Manager is enabled (/%s): it needs the NVSwitches, and fails to start without them",
		    x->switches_bound, x->switches_bound == 1 ? "" : "es", rd->fm_enabled);
	if (x->model == VH_HGX_SHARED && !rd->fm_enabled[0])
		add(j, "nvswitch-no-fabricmanager", VH_SEV_INFO, NULL,
		    "install NVIDIA's Fabric Manager of the guests' driver version, set FABRIC_MODE=1 in its fabricmanager.cfg, and enable it (systemctl enable --now nvidia-fabricmanager)",
		    "the policy leaves the %d NVSwitches to the host (shared NVSwitch), but no nvidia-fabricmanager.service is enabled%s: the guests' GPUs get no NVLink fabric until one runs",
		    x->switches,
		    rd->fm_binary[0] ? "" : " (and nv-fabricmanager is not installed)");
}

/* ---------------------------------------------------------------- the command line */

static void judge_cmdline(struct judge *j)
{
	char v[512];

	if (cmd(j, "vfio-pci.ids", v, sizeof(v)) || cmd(j, "vfio_pci.ids", v, sizeof(v)))
		add(j, "cmdline-vfio-ids", VH_SEV_WARNING, NULL,
		    "write bind lines in /etc/vfiohost.conf (vfiohost import prints them from this command line), then remove vfio-pci.ids= from the boot loader's command line (GRUB_CMDLINE_LINUX in /etc/default/grub, then update-grub)",
		    "vfio-pci.ids=%.200s binds every function with these ids, the boot display and a NIC of the same model included, and no group is checked: the policy replaces it",
		    v);
	if (cmd(j, "hugepages", v, sizeof(v)))
		add(j, "cmdline-hugepages", VH_SEV_WARNING, NULL,
		    "reserve from a [hugepages] section of /etc/vfiohost.conf (vfiohost import prints it from this command line), which caps the count at a safe budget, then remove hugepages= and hugepagesz= from the boot loader's command line",
		    "hugepages=%.100s reserves a fixed count at boot: more than the memory allows stops the boot",
		    v);
}

/* Options that do nothing on the running kernel. */
static void judge_outdated(struct judge *j)
{
	const struct vh_ready *rd = j->rd;
	bool six = rd->kmajor < 0 || rd->kmajor >= 6;
	char v[256], running[128];

	vh_fmt(running, sizeof(running), "%s%s%s", rd->release[0] ? " (this kernel is " : "",
	       rd->release, rd->release[0] ? ")" : "");
	if (six && cmd(j, "video", v, sizeof(v)) &&
	    (strstr(v, "efifb:off") || strstr(v, "vesafb:off") || strstr(v, "simplefb:off")))
		add(j, "cmdline-outdated", VH_SEV_INFO, NULL,
		    "remove it from the boot loader's command line",
		    "video=%.100s has had no use for passthrough since Linux 6.0, whose vfio-pci removes the firmware framebuffer (efifb, vesafb, simplefb, simpledrm) from a GPU it binds%s",
		    v, running);
	if (cmd(j, "amd_iommu", v, sizeof(v)) && strcmp(v, "on") == 0)
		add(j, "cmdline-outdated", VH_SEV_INFO, NULL,
		    "remove it from the boot loader's command line",
		    "amd_iommu=on does nothing: 'on' is no value of amd_iommu=, and the AMD IOMMU is on whenever the firmware enables it");
	if (cmd(j, "pcie_acs_override", v, sizeof(v)))
		add(j, "cmdline-outdated", VH_SEV_INFO, NULL,
		    "remove it unless this kernel carries the ACS override patch (Proxmox's and linux-zen do; Debian's and Ubuntu's do not); it splits groups by pretending isolation that the hardware may not have",
		    "pcie_acs_override=%.100s is not a mainline kernel parameter: no kernel.org release has it",
		    v);
}

/* ---------------------------------------------------------------- hugepages */

static bool cmdline_1g(const struct judge *j)
{
	char v[64], d[64];

	return cmd(j, "hugepages", v, sizeof(v)) &&
	       ((cmd(j, "hugepagesz", v, sizeof(v)) && strcmp(v, "1G") == 0) ||
		(cmd(j, "default_hugepagesz", d, sizeof(d)) && strcmp(d, "1G") == 0));
}

static void judge_pages(struct judge *j)
{
	bool policy_1g = j->p && j->p->hp.present && j->p->hp.size_kib == GIB_KIB;
	bool asked = policy_1g || cmdline_1g(j);

	if (asked && !j->rd->pdpe1gb)
		add(j, "no-1g-pages", VH_SEV_ERROR, NULL,
		    "use size = 2M in [hugepages], or a CPU with 1 GiB pages (a VM's host must pass the pdpe1gb flag through)",
		    "1 GiB pages are asked for (%s), but /proc/cpuinfo has no pdpe1gb flag: none can be reserved",
		    policy_1g ? "size = 1G in the policy" : "the command line");
	if ((asked || j->rd->nr_1g > 0) && j->rd->mounts_read && !j->rd->hugetlbfs_1g[0])
		add(j, "no-hugetlbfs-1g", VH_SEV_WARNING, NULL,
		    "mount one: mount -t hugetlbfs -o pagesize=1G none /dev/hugepages1G (and the same line in /etc/fstab), or boot with default_hugepagesz=1G so that systemd's /dev/hugepages has 1 GiB pages",
		    "1 GiB pages are %s, but /proc/mounts has no hugetlbfs with pagesize=1G: libvirt cannot back a guest with them",
		    asked ? "asked for" : "reserved");
}

/* The seed guide's table (section 3.2): RAM in GB, the huge pages it used, what was left. */
static const int guide_rows[][3] = {{768, 700, 68},    {1024, 880, 144},  {1256, 1140, 116},
				    {1512, 1300, 212}, {2048, 1920, 128}, {4096, 3880, 216}};

static unsigned budget_displays(const struct vh_ready *rd, const struct vh_host *h,
				const struct vh_policy *p)
{
	unsigned n = 0;

	if (p) {
		for (size_t i = 0; i < h->nfn; i++)
			n += (h->fn[i].action == VH_BIND || h->fn[i].action == VH_KEEP) &&
			     vh_is_display(h->fn[i].class);
		return n;
	}
	for (size_t i = 0; i < rd->ngpu; i++)
		n += rd->gpu[i].boot_vga != 1 && !h->fn[rd->gpu[i].idx].framebuffer;
	return n;
}

void vh_hp_advise(const struct vh_ready *rd, const struct vh_host *h, const struct vh_policy *p,
		  struct vh_hp_advice *a)
{
	uint64_t gb = (h->memtotal_kib + GIB_KIB / 2) / GIB_KIB;
	int best = -1;

	memset(a, 0, sizeof(*a));
	a->memtotal_kib = h->memtotal_kib;
	a->displays = budget_displays(rd, h, p);
	a->keep_free_kib = vh_keep_free_auto(h->memtotal_kib, a->displays);
	a->budget = vh_budget(h->memtotal_kib, a->keep_free_kib, GIB_KIB);
	for (int i = 0; i < 6 && gb >= 640; i++)
		if (best < 0 || llabs((long long)gb - guide_rows[i][0]) <
				    llabs((long long)gb - guide_rows[best][0]))
			best = i;
	if (best < 0)
		return;
	a->row_ram_gb = guide_rows[best][0];
	a->row_pages = guide_rows[best][1];
	a->row_left_gb = guide_rows[best][2];
}

static void judge_budget(struct judge *j)
{
	struct vh_hp_advice a;
	char v[64], *end;
	unsigned long long n;

	vh_hp_advise(j->rd, j->h, j->p, &a);
	if (cmd(j, "hugepages", v, sizeof(v)) && cmdline_1g(j)) {
		n = strtoull(v, &end, 10);
		if (end != v && n > a.budget)
			add(j, "hugepages-over-budget", VH_SEV_WARNING, NULL,
			    "ask for at most the budget: [hugepages] pages = max caps it for you",
			    "hugepages=%llu asks for more 1 GiB pages than this host's budget of %llu (MemTotal %llu GiB, %llu GiB kept for the host)",
			    n, (unsigned long long)a.budget,
			    (unsigned long long)(a.memtotal_kib / GIB_KIB),
			    (unsigned long long)(a.keep_free_kib / GIB_KIB));
		return;
	}
	if (a.memtotal_kib > 512 * GIB_KIB && !(j->p && j->p->hp.present))
		add(j, "hugepages-recommended", VH_SEV_INFO, NULL,
		    "add a [hugepages] section (size = 1G, pages = max) to /etc/vfiohost.conf",
		    "this host has %llu GiB and reserves no hugepages: above 512 GB the seed guide recommends 1 GiB pages; the budget here is %llu",
		    (unsigned long long)(a.memtotal_kib / GIB_KIB), (unsigned long long)a.budget);
}

void vh_findings_judge(const struct vh_ready *rd, const struct vh_host *h,
		       const struct vh_policy *p, int policy_rc, struct vh_findings *out)
{
	struct judge j = {rd, h, p, out, {0}};

	memset(out, 0, sizeof(*out));
	vh_hgx_classify(h, p != NULL, &j.hgx);
	judge_policy(&j, policy_rc);
	judge_iommu(&j);
	judge_irq(&j);
	judge_bars(&j);
	judge_rebar(&j);
	judge_groups(&j);
	judge_nvidia(&j);
	judge_hgx(&j);
	judge_image(&j);
	judge_cmdline(&j);
	judge_outdated(&j);
	judge_pages(&j);
	judge_budget(&j);
	vh_findings_sort(out);
}

/* An insertion sort: stable, so the rules' order stays within a severity. */
void vh_findings_sort(struct vh_findings *out)
{
	for (int i = 1; i < out->n; i++) {
		struct vh_finding f = out->f[i];
		int k = i;
		for (; k > 0 && out->f[k - 1].severity > f.severity; k--)
			out->f[k] = out->f[k - 1];
		out->f[k] = f;
	}
}
