/* detail: the second discovery pass, between selection and judgment. It reads what the rules
 * need, for the slots that hold a selected function only: numa_node, boot_vga,
 * the firmware framebuffer their memory holds, whether their IOMMU group
 * is listed; and the hugepage sizes the kernel offers. The rules then read only the model. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "vfiohost.h"

#define MAX_RANGES 16

struct detail {
	struct vh_host *h;
	const struct vh_root *r;
	char *iomem; /* /proc/iomem, read once when first needed (it is long on a large host) */
	bool iomem_read;
};

/* Memory ranges of the function's resource file; returns how many. */
static int read_resources(int devfd, const struct vh_fn *fn, uint64_t *start, uint64_t *end)
{
	char path[64], buf[2048], *s, *next;
	ssize_t len;
	int n = 0;

	vh_fmt(path, sizeof(path), "%s/resource", fn->bdf);
	len = vh_read_at(devfd, path, buf, sizeof(buf) - 1);
	if (len < 0)
		return 0;
	buf[len] = '\0';
	for (s = buf; *s && n < MAX_RANGES; s = next) {
		unsigned long long a, b, flags;
		next = strchr(s, '\n');
		next = next ? next + 1 : s + strlen(s);
		a = strtoull(s, &s, 16);
		b = strtoull(s, &s, 16);
		flags = strtoull(s, &s, 16);
		if ((flags & 0x200) && b > a) { /* IORESOURCE_MEM */
			start[n] = a;
			end[n] = b;
			n++;
		}
	}
	return n;
}

/* The framebuffer name of one /proc/iomem line held by a memory range, or NULL. */
static const char *framebuffer_in(const char *line, const uint64_t *start, const uint64_t *end,
				  int n)
{
	static const char *const fbnames[] = {"BOOTFB", "efifb", "simple-framebuffer", "vesafb"};
	unsigned long long a, b;
	char *s, *dash;

	a = strtoull(line, &dash, 16);
	if (*dash != '-')
		return NULL;
	b = strtoull(dash + 1, &s, 16);
	if (strncmp(s, " : ", 3) != 0 || a > b)
		return NULL;
	for (size_t k = 0; k < sizeof(fbnames) / sizeof(fbnames[0]); k++) {
		if (strncmp(s + 3, fbnames[k], strlen(fbnames[k])) != 0)
			continue;
		for (int i = 0; i < n; i++)
			if (a >= start[i] && b <= end[i])
				return fbnames[k];
	}
	return NULL;
}

/* The firmware framebuffer of /proc/iomem that the function's memory holds, or NULL. */
static const char *held_framebuffer(struct detail *d, const struct vh_fn *fn)
{
	uint64_t start[MAX_RANGES], end[MAX_RANGES];
	const char *fb = NULL;
	size_t len;
	int n = read_resources(d->h->devfd, fn, start, end);

	if (n == 0)
		return NULL;
	if (!d->iomem_read) {
		d->iomem_read = true;
		if (vh_read_stream_at(d->r->fd, "proc/iomem", &d->iomem, &len, 16u << 20) < 0)
			d->iomem = NULL;
	}
	for (const char *line = d->iomem; line && *line && !fb;
	     line = strchr(line, '\n'), line = line ? line + 1 : NULL)
		fb = framebuffer_in(line, start, end, n);
	return fb;
}

/* A group that the iommu_group links name must exist (a dangling link is no group). */
static bool group_listed(const struct vh_root *r, int group)
{
	char path[64];
	struct stat st;

	if (group < 0)
		return false;
	vh_fmt(path, sizeof(path), "sys/kernel/iommu_groups/%d", group);
	return fstatat(r->fd, path, &st, 0) == 0 && S_ISDIR(st.st_mode);
}

static void detail_fn(struct detail *d, struct vh_fn *fn)
{
	int devfd = d->h->devfd;
	char path[64];
	long long v;

	if (fn->detailed)
		return;
	fn->detailed = true;
	vh_fmt(path, sizeof(path), "%s/numa_node", fn->bdf);
	fn->numa = vh_read_int_at(devfd, path, &v) == 0 && v >= 0 && v < 4096 ? (int)v : -1;
	vh_fmt(path, sizeof(path), "%s/boot_vga", fn->bdf);
	fn->boot_vga = vh_read_int_at(devfd, path, &v) == 0 ? (v == 1) : -1;
	fn->framebuffer = held_framebuffer(d, fn);
	fn->group_listed = group_listed(d->r, fn->group);
	if (fn->note)
		vh_power_read(devfd, fn);
}

/* "hugepages-2048kB" in sys/kernel/mm/hugepages: one size the kernel offers. */
static int add_page_size(const char *name, void *arg)
{
	struct vh_host *h = arg;
	unsigned long long kib;
	char *end;

	if (strncmp(name, "hugepages-", 10) != 0 || h->nhpsizes == VH_MAX_HPSIZES)
		return 0;
	kib = strtoull(name + 10, &end, 10);
	if (end != name + 10 && strcmp(end, "kB") == 0 && kib > 0)
		h->hp_sizes_kib[h->nhpsizes++] = kib;
	return 0;
}

void vh_host_detail(struct vh_host *h, const struct vh_root *r)
{
	struct detail d = {.h = h, .r = r};

	for (size_t i = 0; i < h->nfn; i++) {
		size_t lo, hi;
		if (!h->fn[i].selected)
			continue;
		vh_slot_range(h, i, &lo, &hi);
		for (size_t j = lo; j < hi; j++)
			detail_fn(&d, &h->fn[j]);
	}
	free(d.iomem);
	h->nhpsizes = 0;
	vh_dir_each(r->fd, "sys/kernel/mm/hugepages", add_page_size, h);
}
