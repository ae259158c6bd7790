/* pci: walk /sys/bus/pci/devices: one modalias read, the driver link and the group link per
 * function, none of which waits for the device lock. */
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

/* N hex digits at *s, advancing it; -1 when they are not there. */
static long hex_field(const char **s, const char *tag, int n)
{
	size_t tl = strlen(tag);
	long v = 0;

	if (strncmp(*s, tag, tl) != 0)
		return -1;
	*s += tl;
	for (int i = 0; i < n; i++, (*s)++) {
		int c = **s;
		int d = c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
		if (d < 0)
			return -1;
		v = v * 16 + d;
	}
	return v;
}

/* modalias holds ids and class in one read, and the kernel shows it without the device
 * lock (uevent takes it on some kernels: 6.1 waits there for a probe that hangs). The
 * driver is the driver link, also read without the lock. */
static int read_modalias(int devfd, struct vh_fn *fn)
{
	char path[64], buf[128];
	const char *s = buf;
	long v, d, sv, sd, bc, sc, pi;
	ssize_t n;

	vh_fmt(path, sizeof(path), "%s/modalias", fn->bdf);
	n = vh_read_attr_at(devfd, path, buf, sizeof(buf) - 1);
	if (n < 0)
		return (int)n;
	buf[n] = '\0';
	v = hex_field(&s, "pci:v", 8);
	d = hex_field(&s, "d", 8);
	sv = hex_field(&s, "sv", 8);
	sd = hex_field(&s, "sd", 8);
	if (v < 0 || v > 0xffff || d < 0 || d > 0xffff || sv < 0 || sv > 0xffff || sd < 0 ||
	    sd > 0xffff)
		return -EINVAL;
	bc = hex_field(&s, "bc", 2);
	sc = hex_field(&s, "sc", 2);
	pi = hex_field(&s, "i", 2);
	if (bc < 0 || sc < 0 || pi < 0 || (*s != '\n' && *s != '\0'))
		return -EINVAL;
	fn->vendor = (uint16_t)v;
	fn->device = (uint16_t)d;
	fn->subvendor = (uint16_t)sv;
	fn->subdevice = (uint16_t)sd;
	fn->class = (uint32_t)(bc << 16 | sc << 8 | pi);
	vh_fmt(path, sizeof(path), "%s/driver", fn->bdf);
	if (vh_link_base_at(devfd, path, fn->driver, sizeof(fn->driver)) < 0)
		fn->driver[0] = '\0';
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
	rc = read_modalias(w->h->devfd, fn);
	if (rc < 0) {
		/* Kept, never selected: a device we cannot read still blocks its group. */
		fprintf(
		    w->errf,
		    "vfiohost: %s: cannot read its modalias (%s): an unknown device, never taken, and its IOMMU group is not isolated\n",
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
