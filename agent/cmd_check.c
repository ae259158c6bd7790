/* cmd_check: `vfiohost check`, the host sanity check of the seed guide, without lspci. */
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "context.h"

#define KLOG_MAX (8u << 20)

struct check {
	char vendor[32];
	bool pdpe1gb;
	bool intel_on, amd_on, iommu_pt;
	bool k_enabled, k_disabled, k_irq;
	char enabled_line[256], disabled_line[256];
	struct vh_msgs warn;
};

/* The words of pattern appear in line in this order, ignoring case (the script's egrep -i 'a.*b'). */
static bool match_seq(const char *line, const char *const *words)
{
	for (; *words; words++) {
		line = strcasestr(line, *words);
		if (!line)
			return false;
		line += strlen(*words);
	}
	return true;
}

static void klog_line(struct check *ck, const char *line)
{
	static const char *const dis[][4] = {{"IOMMU", "disabled by BIOS", NULL},
					     {"DMAR:", "disabled", NULL},
					     {"AMD-Vi:", "disabled", NULL}};
	static const char *const en[][4] = {{"DMAR: IOMMU enabled", NULL},
					    {"AMD-Vi:", "IOMMU", "enabled", NULL},
					    {"IOMMU: ", "enabled", NULL}};
	static const char *const irq[] = {"Interrupt remapping enabled", NULL};

	for (size_t i = 0; i < 3; i++) {
		if (!ck->k_disabled && match_seq(line, dis[i])) {
			ck->k_disabled = true;
			vh_fmt(ck->disabled_line, sizeof(ck->disabled_line), "%.200s", line);
		}
		if (!ck->k_enabled && match_seq(line, en[i])) {
			ck->k_enabled = true;
			vh_fmt(ck->enabled_line, sizeof(ck->enabled_line), "%.200s", line);
		}
	}
	ck->k_irq |= match_seq(line, irq);
}

/* Splits a chunk of /dev/kmsg records ("PRI,SEQ,TS,FLAGS;text") or plain lines. */
static void klog_chunk(struct check *ck, char *buf)
{
	for (char *line = buf, *next; line && *line; line = next) {
		char *semi;
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		if (line[0] == ' ')
			continue; /* a record's dictionary continuation */
		semi = strchr(line, ';');
		if (semi && strspn(line, "0123456789,-c") == (size_t)(semi - line))
			line = semi + 1;
		klog_line(ck, line);
	}
}

/* Reads the kernel log from dev/kmsg: one record per read on the real device, EAGAIN at its end. */
/* A regular file (a fake tree) has no record boundaries: a line cut by a read waits in buf
 * for the rest. */
static void read_klog(struct check *ck, const struct vh_root *r)
{
	char buf[8193];
	size_t total = 0, kept = 0;
	int fd = openat(r->fd, "dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);

	if (fd < 0)
		return;
	while (total < KLOG_MAX) {
		ssize_t n = read(fd, buf + kept, sizeof(buf) - 1 - kept);
		char *last;
		if (n < 0 && (errno == EINTR || errno == EPIPE))
			continue; /* EPIPE: a record was overwritten; the next read goes on */
		if (n <= 0)
			break;
		total += (size_t)n;
		n += (ssize_t)kept;
		buf[n] = '\0';
		last = strrchr(buf, '\n');
		if (!last && (size_t)n < sizeof(buf) - 1) {
			kept = (size_t)n;
			continue;
		}
		kept = last ? (size_t)(buf + n - (last + 1)) : 0;
		if (last)
			*last = '\0';
		klog_chunk(ck, buf);
		if (kept)
			memmove(buf, last + 1, kept);
	}
	buf[kept] = '\0';
	klog_chunk(ck, buf);
	close(fd);
}

static void read_cpu(struct check *ck, const struct vh_root *r)
{
	char buf[16384], *s;
	ssize_t n = vh_read_at(r->fd, "proc/cpuinfo", buf, sizeof(buf) - 1);

	vh_fmt(ck->vendor, sizeof(ck->vendor), "(unknown)");
	if (n <= 0)
		return;
	buf[n] = '\0';
	s = strstr(buf, "vendor_id");
	if (s && (s = strchr(s, ':'))) {
		s += strspn(s, ": \t");
		vh_fmt(ck->vendor, sizeof(ck->vendor), "%.*s", (int)strcspn(s, " \t\n"), s);
	}
	s = strstr(buf, "\nflags");
	if (s) {
		size_t len = strcspn(s + 1, "\n");
		s[1 + len] = '\0';
		ck->pdpe1gb = strstr(s, " pdpe1gb") != NULL;
	}
}

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
		    strcmp(ck->vendor, "GenuineIntel") == 0 ? ", and intel_iommu=on" : "");
	if (ck->k_disabled)
		vh_msgs_add(&ck->warn, "the kernel log says the IOMMU is disabled: %s",
			    ck->disabled_line);
	each_gpu_group(h, warn_group, ck);
}

struct text_out {
	FILE *f;
	const struct vh_pciids *db;
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
		fprintf(out->f, "%s %s [%04x]: %s %s [%04x:%04x] (driver: %s)\n", fn->bdf + 5,
			vh_class_name(fn->class), fn->class >> 8, vname,
			dname[0] ? dname : "Device", fn->vendor, fn->device,
			fn->driver[0] ? fn->driver : "none");
	}
}

static const char *yes(bool b)
{
	return b ? "yes" : "no";
}

static void check_text(const struct check *ck, const struct vh_host *h, const struct vh_root *r,
		       FILE *f)
{
	struct vh_pciids db;
	struct text_out out = {f, &db};
	char v[512];

	fprintf(f, "=== IOMMU Summary ===\n");
	fprintf(f, "CPU vendor           : %s\n", ck->vendor);
	fprintf(f, "Kernel cmdline       : %s\n", h->cmdline);
	fprintf(f, "Boot flags           : intel_iommu=%s amd_iommu=%s iommu=pt=%s\n",
		yes(ck->intel_on), yes(ck->amd_on), yes(ck->iommu_pt));
	fprintf(f, "IOMMU group count    : %d\n", h->ngroups);
	fprintf(f, "Kernel says enabled  : %s\n", yes(ck->k_enabled));
	fprintf(f, "Interrupt remapping  : %s\n", yes(ck->k_irq));
	fprintf(f, "Kernel says disabled : %s\n", yes(ck->k_disabled));
	fprintf(f, "IOMMU ACTIVE?        : %s\n", yes(h->iommu_active));
	fprintf(f, "1 GiB pages (pdpe1gb): %s\n", yes(ck->pdpe1gb));
	fprintf(f, "vfio-pci.ids=        : %s\n",
		vh_cmdline_get(h->cmdline, "vfio-pci.ids", v, sizeof(v)) ? v : "-");
	fprintf(f, "modprobe.blacklist=  : %s\n",
		vh_cmdline_get(h->cmdline, "modprobe.blacklist", v, sizeof(v)) ? v : "-");
	fprintf(f, "hugepages=           : %s\n",
		vh_cmdline_get(h->cmdline, "hugepages", v, sizeof(v)) ? v : "-");
	if (ck->k_enabled)
		fprintf(f, "\n--- Kernel enable line ---\n%s\n", ck->enabled_line);
	if (ck->k_disabled)
		fprintf(f, "\n--- Kernel disable line ---\n%s\n", ck->disabled_line);
	fprintf(f, "\n=== GPU-Containing IOMMU Groups ===\n");
	if (!h->iommu_active)
		fprintf(f, "(no IOMMU groups found)\n");
	vh_pciids_open(&db, r);
	each_gpu_group(h, text_group, &out);
	vh_pciids_close(&db);
	for (int i = 0; i < ck->warn.n; i++)
		fprintf(f, "%sWARN: %s\n", i == 0 ? "\n" : "", ck->warn.msg[i]);
}

static void json_group(const struct vh_host *h, size_t first, size_t n, int gpus, bool others,
		       void *arg)
{
	struct vh_json *j = arg;

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

static void check_json(const struct check *ck, const struct vh_host *h, FILE *f)
{
	struct vh_json j;

	vh_json_begin(&j, f);
	vh_json_open(&j, NULL, '{');
	vh_json_str(&j, "cpu_vendor", ck->vendor);
	vh_json_str(&j, "cmdline", h->cmdline);
	vh_json_open(&j, "boot_flags", '{');
	vh_json_bool(&j, "intel_iommu", ck->intel_on);
	vh_json_bool(&j, "amd_iommu", ck->amd_on);
	vh_json_bool(&j, "iommu_pt", ck->iommu_pt);
	vh_json_close(&j, '}');
	vh_json_open(&j, "iommu", '{');
	vh_json_bool(&j, "active", h->iommu_active);
	vh_json_num(&j, "groups", h->ngroups);
	vh_json_bool(&j, "kernel_enabled", ck->k_enabled);
	vh_json_bool(&j, "kernel_disabled", ck->k_disabled);
	vh_json_bool(&j, "interrupt_remapping", ck->k_irq);
	vh_json_close(&j, '}');
	vh_json_bool(&j, "pdpe1gb", ck->pdpe1gb);
	json_cmdline_vfio(&j, h->cmdline);
	vh_json_open(&j, "gpu_groups", '[');
	each_gpu_group(h, json_group, &j);
	vh_json_close(&j, ']');
	vh_json_open(&j, "warnings", '[');
	for (int i = 0; i < ck->warn.n; i++)
		vh_json_str(&j, NULL, ck->warn.msg[i]);
	vh_json_close(&j, ']');
	vh_json_close(&j, '}');
	vh_json_end(&j);
}

int vh_cmd_check(const struct vh_opts *o)
{
	struct check *ck;
	struct vh_root r;
	struct vh_host h;
	int rc = 1;

	if (vh_root_open(&r, o->root, stderr) < 0)
		return 2;
	ck = calloc(1, sizeof(*ck));
	if (!ck) {
		fprintf(stderr, "vfiohost: check: %s\n", strerror(ENOMEM));
		vh_root_close(&r);
		return 1;
	}
	if (vh_host_discover(&h, &r, stderr) == 0) {
		read_cpu(ck, &r);
		read_flags(ck, h.cmdline);
		read_klog(ck, &r);
		collect_warnings(ck, &h);
		if (o->json)
			check_json(ck, &h, stdout);
		else
			check_text(ck, &h, &r, stdout);
		rc = ck->warn.n ? 1 : 0;
	}
	vh_host_free(&h);
	vh_root_close(&r);
	free(ck);
	return rc;
}
