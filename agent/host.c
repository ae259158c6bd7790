/* host: what the rules need beyond PCI: memory, NUMA nodes, command line, IOMMU groups. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vfiohost.h"

/* "MemTotal:  N kB" anywhere in a meminfo-style text (node files prefix "Node N "). */
static int memtotal_in(const char *text, uint64_t *kib)
{
	const char *s = strstr(text, "MemTotal:");
	char *end;

	if (!s)
		return -ENOENT;
	*kib = strtoull(s + 9, &end, 10);
	if (end == s + 9 || *kib == 0)
		return -EINVAL;
	return 0;
}

static int read_meminfo(const struct vh_root *r, uint64_t *memtotal_kib)
{
	char buf[4096];
	ssize_t n = vh_read_at(r->fd, "proc/meminfo", buf, sizeof(buf) - 1);

	*memtotal_kib = 0;
	if (n < 0)
		return (int)n;
	buf[n] = '\0';
	return memtotal_in(buf, memtotal_kib);
}

static int cmp_int(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

#define NODES "sys/devices/system/node"

struct node_walk {
	struct vh_host *h;
	int seen;
};

/* Keeps the VH_MAX_NODES lowest node numbers, whatever order the directory lists them in. */
static int add_node(const char *name, void *arg)
{
	struct node_walk *w = arg;
	struct vh_host *h = w->h;
	int *top = &h->node_id[0];
	char *end;
	long id;

	if (strncmp(name, "node", 4) != 0)
		return 0;
	id = strtol(name + 4, &end, 10);
	if (end == name + 4 || *end || id < 0 || id > 4095)
		return 0;
	if (w->seen++ < VH_MAX_NODES) {
		h->node_id[h->nnodes++] = (int)id;
		return 0;
	}
	for (int i = 1; i < h->nnodes; i++)
		if (h->node_id[i] > *top)
			top = &h->node_id[i];
	if (id < *top)
		*top = (int)id;
	return 0;
}

/* NUMA nodes with their memory, from NODES/nodeN/meminfo. A host without that folder, or
 * one that cannot be read, has no nodes: hugepages then go through the global count. */
static void read_nodes(struct vh_host *h, const struct vh_root *r, FILE *errf)
{
	struct node_walk w = {.h = h};
	int rc = vh_dir_each(r->fd, NODES, add_node, &w);

	if (rc < 0) {
		if (rc != -ENOENT)
			fprintf(errf, "vfiohost: cannot read %s: %s\n", NODES, strerror(-rc));
		h->nnodes = 0;
		return;
	}
	if (w.seen > VH_MAX_NODES)
		fprintf(
		    errf,
		    "vfiohost: %s lists %d NUMA nodes: hugepages are split over the %d lowest-numbered only\n",
		    NODES, w.seen, VH_MAX_NODES);
	qsort(h->node_id, (size_t)h->nnodes, sizeof(int), cmp_int);
	for (int i = 0; i < h->nnodes; i++) {
		char path[96], buf[4096];
		ssize_t n;
		vh_fmt(path, sizeof(path), NODES "/node%d/meminfo", h->node_id[i]);
		n = vh_read_at(r->fd, path, buf, sizeof(buf) - 1);
		buf[n > 0 ? n : 0] = '\0';
		if (memtotal_in(buf, &h->node_mem_kib[i]) < 0)
			h->node_mem_kib[i] = 0;
	}
}

int vh_read_cmdline(const struct vh_root *r, char *buf, size_t size)
{
	return vh_read_str_at(r->fd, "proc/cmdline", buf, size);
}

/* Value of "key=value" among the words of the command line, or NULL. */
const char *vh_cmdline_get(const char *cmdline, const char *key, char *buf, size_t size)
{
	size_t kl = strlen(key);
	const char *s = cmdline, *found = NULL;

	while (*s) {
		size_t len;
		while (*s == ' ' || *s == '\t' || *s == '\n')
			s++;
		len = strcspn(s, " \t\n");
		if (len > kl && strncmp(s, key, kl) == 0 && s[kl] == '=') {
			size_t vl = len - kl - 1;
			if (vl >= size)
				vl = size - 1;
			memcpy(buf, s + kl + 1, vl);
			buf[vl] = '\0';
			found = buf; /* the last one wins, as for the kernel */
		}
		s += len;
	}
	return found;
}

/* vfiohost.skip=, vfiohost.hugepages= and vfiohost.hugepages_time=: what a word is wrong is said to errf and ignored. */
void vh_cmdline_args(const char *cmdline, struct vh_cmdargs *a, FILE *errf)
{
	char buf[1024], *end;
	const char *v = vh_cmdline_get(cmdline, "vfiohost.skip", buf, sizeof(buf));

	memset(a, 0, sizeof(*a));
	a->hp_time_s = -1;
	for (const char *s = v; s && *s;) {
		size_t len = strcspn(s, ",");
		if (a->nskip < VH_MAX_CMDSKIP && vh_addr_parse(s, len, &a->skip[a->nskip]) == 0)
			a->nskip++;
		else
			fprintf(errf,
				"/proc/cmdline: vfiohost.skip: ignoring '%.*s' (want BB:SS.F)\n",
				(int)(len > 40 ? 40 : len), s);
		s += len + (s[len] == ',');
	}
	v = vh_cmdline_get(cmdline, "vfiohost.hugepages_time", buf, sizeof(buf));
	if (v) {
		a->hp_time_s = (long)vh_parse_seconds(v, VH_HP_TIME_MAX_S);
		if (a->hp_time_s < 0)
			fprintf(
			    errf,
			    "/proc/cmdline: vfiohost.hugepages_time: ignoring '%s' (want seconds from 0 to %d)\n",
			    v, VH_HP_TIME_MAX_S);
	}
	v = vh_cmdline_get(cmdline, "vfiohost.hugepages", buf, sizeof(buf));
	if (!v)
		return;
	a->pages = strtol(v, &end, 10);
	a->pages_set = end != v && !*end && a->pages >= 0 && a->pages <= 100000000;
	if (!a->pages_set)
		fprintf(errf, "/proc/cmdline: vfiohost.hugepages: ignoring '%s'\n", v);
}

bool vh_cmdline_has(const char *cmdline, const char *word)
{
	size_t wl = strlen(word);

	for (const char *s = cmdline; *s;) {
		size_t len;
		while (*s == ' ' || *s == '\t' || *s == '\n')
			s++;
		len = strcspn(s, " \t\n");
		if (len == wl && strncmp(s, word, wl) == 0)
			return true;
		s += len;
	}
	return false;
}

#define GROUPS "sys/kernel/iommu_groups"

/* The IOMMU groups the kernel lists; none when the folder is missing or cannot be read. */
static int count_groups(const struct vh_root *r, FILE *errf)
{
	size_t n = 0;
	int rc = vh_dir_count(r->fd, GROUPS, &n);

	if (rc < 0 && rc != -ENOENT)
		fprintf(errf, "vfiohost: cannot read %s: %s: the IOMMU is taken as not active\n",
			GROUPS, strerror(-rc));
	return rc < 0 || n > 1000000000 ? 0 : (int)n;
}

static int cmp_group(const void *a, const void *b)
{
	const struct vh_gidx *x = a, *y = b;

	if (x->group != y->group)
		return x->group < y->group ? -1 : 1;
	return x->idx < y->idx ? -1 : (x->idx > y->idx);
}

int vh_host_index(struct vh_host *h)
{
	h->bygroup = malloc((h->nfn ? h->nfn : 1) * sizeof(*h->bygroup));
	if (!h->bygroup)
		return -ENOMEM;
	for (size_t i = 0; i < h->nfn; i++) {
		h->bygroup[i].group = h->fn[i].group;
		h->bygroup[i].idx = i;
	}
	qsort(h->bygroup, h->nfn, sizeof(*h->bygroup), cmp_group);
	return 0;
}

/* Members of a group: returns the count and the first position in h->bygroup. */
size_t vh_group_members(const struct vh_host *h, int group, size_t *first)
{
	size_t lo = 0, hi = h->nfn, n = 0;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (h->bygroup[mid].group < group)
			lo = mid + 1;
		else
			hi = mid;
	}
	*first = lo;
	while (lo + n < h->nfn && h->bygroup[lo + n].group == group)
		n++;
	return n;
}

size_t vh_group_span(const struct vh_host *h, size_t first)
{
	size_t n = 1;

	while (first + n < h->nfn && h->bygroup[first + n].group == h->bygroup[first].group)
		n++;
	return n;
}

static bool same_slot(const struct vh_fn *a, const struct vh_fn *b)
{
	return a->domain == b->domain && a->bus == b->bus && a->slot == b->slot;
}

void vh_slot_range(const struct vh_host *h, size_t i, size_t *lo, size_t *hi)
{
	*lo = i;
	while (*lo > 0 && same_slot(&h->fn[*lo - 1], &h->fn[i]))
		(*lo)--;
	*hi = i + 1;
	while (*hi < h->nfn && same_slot(&h->fn[*hi], &h->fn[i]))
		(*hi)++;
}

int vh_host_discover(struct vh_host *h, const struct vh_root *r, FILE *errf)
{
	int rc;

	memset(h, 0, sizeof(*h));
	h->devfd = -1;
	h->var.rc = 1;
	rc = vh_pci_scan(h, r, errf);
	if (rc < 0)
		return rc;
	rc = vh_host_index(h);
	if (rc < 0)
		return rc;
	h->ngroups = count_groups(r, errf);
	h->iommu_active = h->ngroups > 0;
	if (read_meminfo(r, &h->memtotal_kib) < 0)
		h->memtotal_kib = 0;
	read_nodes(h, r, errf);
	vh_read_cmdline(r, h->cmdline, sizeof(h->cmdline));
	return 0;
}

void vh_host_free(struct vh_host *h)
{
	free(h->fn);
	free(h->bygroup);
	vh_variants_free(&h->var);
	if (h->devfd >= 0)
		close(h->devfd);
	memset(h, 0, sizeof(*h));
	h->devfd = -1;
}
