/* readiness: check's discovery beyond the PCI model: CPU, kernel log, IOMMU units, the
 * kernel's modules and modprobe files, hugetlbfs mounts, the boot image's configuration, and
 * the BARs and Resizable BAR capability of each display function. It only reads. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "findings.h"

#define KLOG_MAX      (8u << 20)
#define MODDEP_MAX    (32u << 20)
#define MOUNTS_MAX    (4u << 20)
#define CONF_MAX      (1u << 20)
#define RES_IO	      0x100
#define RES_MEM	      0x200
#define RES_UNSET     0x20000000
#define EXT_CAP_REBAR 0x15

/* The words appear in line in this order, ignoring case (the guide script's egrep -i 'a.*b'). */
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

static void keep_line(char *dst, size_t size, const char *line)
{
	vh_fmt(dst, size, "%.200s", line);
}

/* "pci 0000:41:00.0: BAR 1: no space for [mem size 0x1000000000 64bit pref]" (up to 6.7),
 * "pci 0000:41:00.0: BAR 1 [mem size 0x1000000000 64bit pref]: can't assign; no space"
 * (6.8 on), "... failed to assign"; a later "... assigned" line clears it. */
static void klog_bar(struct vh_ready *rd, const char *line)
{
	bool failed = strstr(line, "no space") || strstr(line, "failed to assign") ||
		      strstr(line, "can't assign");
	struct vh_bar_msg *m;
	const char *s;
	char *end;
	long bar;

	if (strncmp(line, "pci ", 4) != 0 || strlen(line) < 23 || strncmp(line + 16, ": BAR ", 6))
		return;
	bar = strtol(line + 22, &end, 10);
	if (end == line + 22 || bar < 0 || bar >= VH_NBARS)
		return;
	if (!failed) {
		for (int i = 0; i < rd->nbarmsg; i++)
			if (strstr(line, "assigned") && rd->barmsg[i].bar == bar &&
			    strncmp(rd->barmsg[i].bdf, line + 4, 12) == 0)
				rd->barmsg[i].assigned = true;
		return;
	}
	if (rd->nbarmsg == VH_MAX_BARMSG)
		return;
	m = &rd->barmsg[rd->nbarmsg++];
	memset(m, 0, sizeof(*m));
	vh_fmt(m->bdf, sizeof(m->bdf), "%.12s", line + 4);
	m->bar = (int)bar;
	s = strstr(line, "size 0x");
	m->size = s ? strtoull(s + 5, NULL, 16) : 0;
	keep_line(m->line, sizeof(m->line), line);
}

void vh_ready_klog_line(struct vh_ready *rd, const char *line)
{
	static const char *const dis[][4] = {{"IOMMU", "disabled by BIOS", NULL},
					     {"DMAR:", "disabled", NULL},
					     {"AMD-Vi:", "disabled", NULL}};
	static const char *const en[][4] = {{"DMAR: IOMMU enabled", NULL},
					    {"AMD-Vi:", "IOMMU", "enabled", NULL},
					    {"IOMMU: ", "enabled", NULL}};
	static const char *const script_irq[] = {"Interrupt remapping enabled", NULL};
	static const char *const intel_irq[] = {"DMAR-IR: Enabled IRQ remapping in ", NULL};
	bool irq;

	for (size_t i = 0; i < 3; i++) {
		if (!rd->k_disabled && match_seq(line, dis[i])) {
			rd->k_disabled = true;
			keep_line(rd->disabled_line, sizeof(rd->disabled_line), line);
		}
		if (!rd->k_enabled && match_seq(line, en[i])) {
			rd->k_enabled = true;
			keep_line(rd->enabled_line, sizeof(rd->enabled_line), line);
		}
	}
	rd->k_irq_script |= match_seq(line, script_irq);
	irq = match_seq(line, script_irq) || match_seq(line, intel_irq);
	if (irq && !rd->k_irq)
		keep_line(rd->irq_line, sizeof(rd->irq_line), line);
	rd->k_irq |= irq;
	rd->klog_from_boot |= strncmp(line, "Linux version ", 14) == 0;
	klog_bar(rd, line);
}

/* Splits a chunk of /dev/kmsg records ("PRI,SEQ,TS,FLAGS;text") or plain lines. */
static void klog_chunk(struct vh_ready *rd, char *buf)
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
		vh_ready_klog_line(rd, line);
	}
}

/* Reads the kernel log from dev/kmsg: one record per read on the real device, EAGAIN at its
 * end. A regular file (a fake tree) has no record boundaries: a line cut by a read waits in
 * buf for the rest. */
static void read_klog(struct vh_ready *rd, const struct vh_root *r)
{
	char buf[8193];
	size_t total = 0, kept = 0;
	int fd = openat(r->fd, "dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);

	if (fd < 0)
		return;
	rd->klog_read = true;
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
		klog_chunk(rd, buf);
		if (kept)
			memmove(buf, last + 1, kept);
	}
	buf[kept] = '\0';
	klog_chunk(rd, buf);
	close(fd);
}

static void read_cpu(struct vh_ready *rd, const struct vh_root *r)
{
	char buf[16384], *s;
	ssize_t n = vh_read_at(r->fd, "proc/cpuinfo", buf, sizeof(buf) - 1);

	vh_fmt(rd->vendor, sizeof(rd->vendor), "(unknown)");
	if (n <= 0)
		return;
	buf[n] = '\0';
	s = strstr(buf, "vendor_id");
	if (s && (s = strchr(s, ':'))) {
		s += strspn(s, ": \t");
		vh_fmt(rd->vendor, sizeof(rd->vendor), "%.*s", (int)strcspn(s, " \t\n"), s);
	}
	s = strstr(buf, "\nflags");
	if (s) {
		size_t len = strcspn(s + 1, "\n");
		s[1 + len] = '\0';
		rd->pdpe1gb = strstr(s, " pdpe1gb") != NULL;
	}
}

/* An Intel unit's ecap (hex, no 0x) has bit 3 for interrupt remapping; AMD units say
 * nothing of it in sysfs, so only the kernel log speaks for them. */
static int add_iommu_unit(const char *name, void *arg)
{
	struct vh_ready *rd = ((void **)arg)[0];
	const struct vh_root *r = ((void **)arg)[1];
	char path[128], v[32], *end;
	unsigned long long ecap;

	if (vh_fmt(path, sizeof(path), "sys/class/iommu/%s/intel-iommu/ecap", name) < 0 ||
	    vh_read_str_at(r->fd, path, v, sizeof(v)) < 0)
		return 0;
	ecap = strtoull(v, &end, 16);
	if (end == v)
		return 0;
	rd->ir_units++;
	if (!(ecap & 0x8) && rd->ir_units_without++ == 0) {
		vh_fmt(rd->ir_unit_without, sizeof(rd->ir_unit_without), "%.24s", name);
		vh_fmt(rd->ir_ecap_without, sizeof(rd->ir_ecap_without), "%.24s", v);
	}
	return 0;
}

static void read_iommu_units(struct vh_ready *rd, const struct vh_root *r)
{
	void *arg[2] = {rd, (void *)r};

	vh_dir_each(r->fd, "sys/class/iommu", add_iommu_unit, arg);
}

static void read_release(struct vh_ready *rd, const struct vh_root *r)
{
	char *end;

	rd->kmajor = rd->kminor = -1;
	if (vh_read_str_at(r->fd, "proc/sys/kernel/osrelease", rd->release, sizeof(rd->release)) <
	    0)
		return;
	rd->kmajor = (int)strtol(rd->release, &end, 10);
	if (end == rd->release || *end != '.') {
		rd->kmajor = -1;
		return;
	}
	rd->kminor = (int)strtol(end + 1, NULL, 10);
}

/* NVIDIA's own modules: nvidia.ko and nvidia-*.ko (Debian's nvidia-current.ko, nvidia-drm,
 * nvidia-modeset, nvidia-uvm), compressed or not; never the kernel's own nvidiafb. */
static bool nvidia_module(const char *path, size_t len)
{
	const char *base = path, *ko;

	for (size_t i = 0; i < len; i++)
		if (path[i] == '/')
			base = path + i + 1;
	len -= (size_t)(base - path);
	ko = memmem(base, len, ".ko", 3);
	if (!ko)
		return false;
	return (ko - base == 6 && strncmp(base, "nvidia", 6) == 0) ||
	       (ko - base > 7 && strncmp(base, "nvidia-", 7) == 0) ||
	       (ko - base > 7 && strncmp(base, "nvidia_", 7) == 0);
}

/* modules.dep lists every module modprobe can load, one "path: deps" line each. */
static void read_modules(struct vh_ready *rd, const struct vh_root *r)
{
	char path[160], *text = NULL;
	struct stat st;
	size_t len;

	rd->nvidia_loaded = fstatat(r->fd, "sys/module/nvidia", &st, 0) == 0;
	if (!rd->release[0] ||
	    vh_fmt(path, sizeof(path), "lib/modules/%s/modules.dep", rd->release) < 0 ||
	    vh_read_stream_at(r->fd, path, &text, &len, MODDEP_MAX) < 0)
		return;
	rd->modules_dep_read = true;
	for (const char *line = text; line && *line && !rd->nvidia_module[0];) {
		size_t n = strcspn(line, ":\n");
		if (nvidia_module(line, n))
			vh_fmt(rd->nvidia_module, sizeof(rd->nvidia_module), "lib/modules/%s/%.*s",
			       rd->release, (int)(n > 80 ? 80 : n), line);
		line = strchr(line, '\n');
		line = line ? line + 1 : NULL;
	}
	free(text);
}

struct conf_walk {
	struct vh_ready *rd;
	const char *dir;
};

static int add_modprobe_file(const char *name, void *arg)
{
	struct conf_walk *w = arg;
	size_t len = strlen(name);

	if (w->rd->nvidia_modprobe[0] || strncmp(name, "nvidia", 6) != 0 || len < 11 ||
	    strcmp(name + len - 5, ".conf") != 0)
		return 0;
	vh_fmt(w->rd->nvidia_modprobe, sizeof(w->rd->nvidia_modprobe), "%s/%.100s", w->dir, name);
	return 0;
}

static void read_modprobe(struct vh_ready *rd, const struct vh_root *r)
{
	static const char *const dirs[] = {"etc/modprobe.d", "run/modprobe.d", "lib/modprobe.d",
					   "usr/lib/modprobe.d"};

	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		struct conf_walk w = {rd, dirs[i]};
		vh_dir_each(r->fd, dirs[i], add_modprobe_file, &w);
	}
}

/* "pagesize=1024M" (the kernel prints K, M or G) in KiB; 0 when the option is absent. */
static long long pagesize_kib(const char *opts, size_t len)
{
	char buf[256], *p, *end;
	long long v;

	if (len >= sizeof(buf))
		len = sizeof(buf) - 1;
	memcpy(buf, opts, len);
	buf[len] = '\0';
	p = strstr(buf, "pagesize=");
	if (!p || (p != buf && p[-1] != ','))
		return 0;
	v = strtoll(p + 9, &end, 10);
	return *end == 'G' ? v << 20 : *end == 'M' ? v << 10 : *end == 'K' ? v : v >> 10;
}

/* A hugetlbfs line of /proc/mounts ("what where hugetlbfs opts 0 0") with 1 GiB pages. */
static void mounts_line(struct vh_ready *rd, const char *line, size_t len, long long dflt)
{
	const char *f[4];
	size_t flen[4], pos = 0;
	long long kib;

	for (int i = 0; i < 4; i++) {
		pos += strspn(line + pos, " ");
		f[i] = line + pos;
		flen[i] = strcspn(f[i], " \n");
		pos += flen[i];
		if (pos > len || flen[i] == 0)
			return;
	}
	if (flen[2] != 9 || strncmp(f[2], "hugetlbfs", 9) != 0)
		return;
	kib = pagesize_kib(f[3], flen[3]);
	if ((kib ? kib : dflt) == 1 << 20)
		vh_fmt(rd->hugetlbfs_1g, sizeof(rd->hugetlbfs_1g), "%.*s",
		       (int)(flen[1] > 100 ? 100 : flen[1]), f[1]);
}

/* meminfo's Hugepagesize: the page size of a hugetlbfs mount without pagesize=. */
static long long default_pagesize(const struct vh_root *r)
{
	char buf[4096], *p;
	ssize_t n = vh_read_at(r->fd, "proc/meminfo", buf, sizeof(buf) - 1);

	if (n <= 0)
		return 0;
	buf[n] = '\0';
	p = strstr(buf, "Hugepagesize:");
	return p ? strtoll(p + 13, NULL, 10) : 0;
}

static void read_hugepages(struct vh_ready *rd, const struct vh_root *r)
{
	char *text = NULL;
	size_t len;
	long long dflt;

	if (vh_read_int_at(r->fd, "sys/kernel/mm/hugepages/hugepages-1048576kB/nr_hugepages",
			   &rd->nr_1g) < 0)
		rd->nr_1g = -1;
	if (vh_read_stream_at(r->fd, "proc/mounts", &text, &len, MOUNTS_MAX) < 0)
		return;
	rd->mounts_read = true;
	dflt = default_pagesize(r);
	for (const char *line = text; line && *line && !rd->hugetlbfs_1g[0];) {
		const char *nl = strchr(line, '\n');
		mounts_line(rd, line, nl ? (size_t)(nl - line) : strlen(line), dflt);
		line = nl ? nl + 1 : NULL;
	}
	free(text);
}

static int count_gpus(const struct vh_host *h)
{
	int n = 0;

	for (size_t i = 0; i < h->nfn; i++)
		n += vh_is_display(h->fn[i].class) && !h->fn[i].unreadable;
	return n;
}

static uint32_t le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static int highest_bit(uint32_t v)
{
	int b = -1;

	while (v) {
		v >>= 1;
		b++;
	}
	return b;
}

/* The Resizable BAR extended capability (ID 0x15): per BAR, a capability word whose bits
 * 4..31 are the supported sizes (bit 4 + n: 2^n MiB) and a control word with the BAR index
 * (bits 0..2), the count of resizable BARs (bits 5..7, first entry) and the current size
 * (bits 8..13, as n). The BAR kept is the one with the largest supported size. */
void vh_ready_rebar(struct vh_gpu_facts *g, const unsigned char *cfg, size_t len)
{
	size_t off = 0x100;

	g->rebar = -1;
	for (int hops = 0; hops < 512 && off >= 0x100 && off + 12 <= len; hops++) {
		uint32_t hdr = le32(cfg + off);
		if (hdr == 0 || hdr == 0xffffffff)
			return;
		if ((hdr & 0xffff) == EXT_CAP_REBAR) {
			int nbars = (int)(le32(cfg + off + 8) >> 5 & 7);
			for (int i = 0; i < nbars && off + 12 + 8 * (size_t)i <= len; i++) {
				uint32_t cap = le32(cfg + off + 4 + 8 * (size_t)i);
				uint32_t ctrl = le32(cfg + off + 8 + 8 * (size_t)i);
				int max = highest_bit(cap >> 4);
				if (max < 0 || (g->rebar >= 0 && (1ULL << max) <= g->rebar_max_mib))
					continue;
				g->rebar = (int)(ctrl & 7);
				g->rebar_max_mib = 1ULL << max;
				g->rebar_mib = 1ULL << (ctrl >> 8 & 0x3f);
			}
			return;
		}
		off = hdr >> 20 & 0xffc;
	}
}

/* The resource file's first six lines are the BARs: "start end flags" in hex. A BAR whose
 * flags say memory or I/O but that has no start (or IORESOURCE_UNSET) got no address. */
static void read_bars(struct vh_gpu_facts *g, int devfd, const struct vh_fn *fn)
{
	char path[64], buf[2048], *s = buf;
	ssize_t n;

	vh_fmt(path, sizeof(path), "%s/resource", fn->bdf);
	n = vh_read_at(devfd, path, buf, sizeof(buf) - 1);
	if (n < 0)
		return;
	buf[n] = '\0';
	g->resource_read = true;
	for (int i = 0; i < VH_NBARS && *s; i++) {
		unsigned long long a = strtoull(s, &s, 16), b = strtoull(s, &s, 16);
		unsigned long long flags = strtoull(s, &s, 16);
		s += strcspn(s, "\n");
		s += *s == '\n';
		if (!(flags & (RES_MEM | RES_IO)) || b == 0)
			continue;
		g->bar[i] = (flags & RES_UNSET) || a == 0 ? VH_BAR_UNSET : VH_BAR_ASSIGNED;
		g->bar_size[i] = b - a + 1;
	}
}

static void read_gpu(struct vh_gpu_facts *g, int devfd, const struct vh_fn *fn)
{
	unsigned char cfg[4096];
	char path[64];
	long long v;
	ssize_t n;

	vh_fmt(path, sizeof(path), "%s/boot_vga", fn->bdf);
	g->boot_vga = vh_read_int_at(devfd, path, &v) == 0 ? v == 1 : -1;
	read_bars(g, devfd, fn);
	vh_fmt(path, sizeof(path), "%s/config", fn->bdf);
	n = vh_read_at(devfd, path, (char *)cfg, sizeof(cfg));
	g->rebar = -1;
	if (n > 0)
		vh_ready_rebar(g, cfg, (size_t)n);
}

static int read_gpus(struct vh_ready *rd, const struct vh_host *h)
{
	int n = count_gpus(h);

	rd->gpu = calloc(n ? (size_t)n : 1, sizeof(*rd->gpu));
	if (!rd->gpu)
		return -ENOMEM;
	for (size_t i = 0; i < h->nfn; i++) {
		struct vh_gpu_facts *g;
		if (!vh_is_display(h->fn[i].class) || h->fn[i].unreadable)
			continue;
		g = &rd->gpu[rd->ngpu++];
		g->idx = i;
		read_gpu(g, h->devfd, &h->fn[i]);
	}
	return 0;
}

int vh_ready_read(struct vh_ready *rd, const struct vh_host *h, const struct vh_root *r)
{
	memset(rd, 0, sizeof(*rd));
	read_cpu(rd, r);
	read_klog(rd, r);
	read_iommu_units(rd, r);
	read_release(rd, r);
	read_modules(rd, r);
	read_modprobe(rd, r);
	read_hugepages(rd, r);
	vh_ready_image(rd, r);
	if (vh_ready_fabric(rd, h, r) < 0)
		return -ENOMEM;
	return read_gpus(rd, h);
}

void vh_ready_free(struct vh_ready *rd)
{
	free(rd->gpu);
	rd->gpu = NULL;
	rd->ngpu = 0;
	free(rd->nvsw);
	rd->nvsw = NULL;
	rd->nnvsw = 0;
}
