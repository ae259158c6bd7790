/* pci: walk /sys/bus/pci/devices, one uevent read and one group link per function. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vfiohost.h"

#define DEVICES "sys/bus/pci/devices"

/* "0000:01:00.0" -> numbers; sysfs names only, so a strict parse. */
static int bdf_parse(const char *name, struct vh_fn *fn)
{
	struct vh_addr a;

	if (strlen(name) != 12 || name[4] != ':' || vh_addr_parse(name, 12, &a) < 0 || a.func < 0)
		return -EINVAL;
	memcpy(fn->bdf, name, 13);
	fn->domain = a.domain;
	fn->bus = a.bus;
	fn->slot = a.slot;
	fn->func = (uint8_t)a.func;
	return 0;
}

static const char *uevent_get(const char *text, const char *key, size_t *len)
{
	size_t kl = strlen(key);

	for (const char *s = text; s && *s; s = strchr(s, '\n'), s = s ? s + 1 : s) {
		if (strncmp(s, key, kl) == 0 && s[kl] == '=') {
			*len = strcspn(s + kl + 1, "\n");
			return s + kl + 1;
		}
	}
	return NULL;
}

/* The kernel's uevent holds class, ids and driver in one read. */
static int read_uevent(int devfd, struct vh_fn *fn)
{
	char path[64], buf[1024], *end;
	const char *v;
	size_t len;
	ssize_t n;

	vh_fmt(path, sizeof(path), "%s/uevent", fn->bdf);
	n = vh_read_attr_at(devfd, path, buf, sizeof(buf) - 1);
	if (n < 0)
		return (int)n;
	buf[n] = '\0';
	v = uevent_get(buf, "PCI_CLASS", &len);
	if (!v)
		return -EINVAL;
	fn->class = (uint32_t)strtoul(v, &end, 16);
	if (end != v + len || len == 0 || len > 6)
		return -EINVAL;
	v = uevent_get(buf, "PCI_ID", &len);
	if (!v || len != 9 || v[4] != ':')
		return -EINVAL;
	fn->vendor = (uint16_t)strtoul(v, &end, 16);
	if (end != v + 4)
		return -EINVAL;
	fn->device = (uint16_t)strtoul(v + 5, &end, 16);
	if (end != v + 9)
		return -EINVAL;
	v = uevent_get(buf, "DRIVER", &len);
	if (v && len < sizeof(fn->driver)) {
		memcpy(fn->driver, v, len);
		fn->driver[len] = '\0';
	}
	return 0;
}

static void read_group(int devfd, struct vh_fn *fn)
{
	char path[64], base[32], *end;
	long g;

	fn->group = -1;
	vh_fmt(path, sizeof(path), "%s/iommu_group", fn->bdf);
	if (vh_link_base_at(devfd, path, base, sizeof(base)) < 0)
		return;
	g = strtol(base, &end, 10);
	if (end != base && *end == '\0' && g >= 0 && g < 1000000000)
		fn->group = (int)g;
}

struct sort_key {
	uint64_t addr; /* domain, bus, slot, function packed in address order */
	size_t idx;
};

static int cmp_key(const void *a, const void *b)
{
	uint64_t x = ((const struct sort_key *)a)->addr, y = ((const struct sort_key *)b)->addr;

	return x < y ? -1 : x > y;
}

/* Sorts the functions by address: small keys are sorted, then the records moved once. */
static int sort_functions(struct vh_host *h)
{
	struct sort_key *k = malloc((h->nfn ? h->nfn : 1) * sizeof(*k));
	struct vh_fn *sorted = malloc((h->nfn ? h->nfn : 1) * sizeof(*sorted));

	if (!k || !sorted) {
		free(k);
		free(sorted);
		return -ENOMEM;
	}
	for (size_t i = 0; i < h->nfn; i++) {
		const struct vh_fn *f = &h->fn[i];
		k[i].addr =
		    (uint64_t)f->domain << 16 | (uint64_t)f->bus << 8 | f->slot << 3 | f->func;
		k[i].idx = i;
	}
	qsort(k, h->nfn, sizeof(*k), cmp_key);
	for (size_t i = 0; i < h->nfn; i++)
		sorted[i] = h->fn[k[i].idx];
	free(k);
	free(h->fn);
	h->fn = sorted;
	return 0;
}

struct walk {
	struct vh_host *h;
	size_t cap;
	FILE *errf;
};

/* One entry of the devices directory into h->fn; a function that cannot be read is kept,
 * with a warning. Returns 1 (stop) once the table is full. */
static int add_device(const char *name, void *arg)
{
	struct walk *w = arg;
	struct vh_fn *fn = &w->h->fn[w->h->nfn];
	int rc;

	if (w->h->nfn == w->cap)
		return 1;
	memset(fn, 0, sizeof(*fn));
	if (bdf_parse(name, fn) < 0) {
		fprintf(w->errf, "vfiohost: ignoring %s/%s: not a PCI address\n", DEVICES, name);
		return 0;
	}
	rc = read_uevent(w->h->devfd, fn);
	if (rc < 0) {
		/* Kept, never selected: a device we cannot read still blocks its group. */
		fprintf(
		    w->errf,
		    "vfiohost: %s: cannot read its uevent (%s): an unknown device, never taken, and its IOMMU group is not isolated\n",
		    fn->bdf, strerror(-rc));
		fn->unreadable = true;
		fn->vendor = fn->device = 0xffff;
		fn->class = 0xffffff;
		fn->driver[0] = '\0';
	}
	read_group(w->h->devfd, fn);
	fn->numa = -1;
	fn->boot_vga = -1;
	w->h->nfn++;
	return 0;
}

int vh_pci_scan(struct vh_host *h, const struct vh_root *r, FILE *errf)
{
	struct walk walk = {.h = h, .errf = errf};
	size_t cap = 0;
	int rc;

	h->devfd = openat(r->fd, DEVICES, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (h->devfd < 0) {
		rc = -errno;
		fprintf(errf, "vfiohost: cannot open %s under %s: %s\n", DEVICES, r->path,
			strerror(-rc));
		return rc;
	}
	rc = vh_dir_count(h->devfd, ".", &cap);
	if (rc < 0) {
		fprintf(errf, "vfiohost: cannot read %s: %s\n", DEVICES, strerror(-rc));
		return rc;
	}
	if (cap > VH_MAX_FUNCS)
		cap = VH_MAX_FUNCS;
	cap += 16; /* a device that appears during the walk still fits */
	h->fn = calloc(cap, sizeof(*h->fn));
	if (!h->fn)
		return -ENOMEM;
	walk.cap = cap;
	rc = vh_dir_each(h->devfd, ".", add_device, &walk);
	if (rc < 0)
		fprintf(errf, "vfiohost: cannot read %s: %s\n", DEVICES, strerror(-rc));
	return sort_functions(h);
}
