/* host: what the rules need beyond PCI: memory, NUMA nodes, command line, IOMMU groups. */
#include <dirent.h>
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

int vh_read_meminfo(const struct vh_root *r, uint64_t *memtotal_kib)
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

/* NUMA nodes with their memory, from sys/devices/system/node/nodeN/meminfo. */
int vh_read_nodes(struct vh_host *h, const struct vh_root *r)
{
	int fd = openat(r->fd, "sys/devices/system/node", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fd < 0 ? NULL : fdopendir(fd);
	struct dirent *e;

	h->nnodes = 0;
	if (!d) {
		if (fd >= 0)
			close(fd);
		return -ENOENT;
	}
	while ((e = readdir(d)) && h->nnodes < VH_MAX_NODES) {
		char *end;
		long id;
		if (strncmp(e->d_name, "node", 4) != 0)
			continue;
		id = strtol(e->d_name + 4, &end, 10);
		if (end == e->d_name + 4 || *end || id < 0 || id > 4095)
			continue;
		h->node_id[h->nnodes++] = (int)id;
	}
	closedir(d);
	qsort(h->node_id, (size_t)h->nnodes, sizeof(int), cmp_int);
	for (int i = 0; i < h->nnodes; i++) {
		char path[96], buf[4096];
		ssize_t n;
		vh_fmt(path, sizeof(path), "sys/devices/system/node/node%d/meminfo", h->node_id[i]);
		n = vh_read_at(r->fd, path, buf, sizeof(buf) - 1);
		buf[n > 0 ? n : 0] = '\0';
		if (memtotal_in(buf, &h->node_mem_kib[i]) < 0)
			h->node_mem_kib[i] = 0;
	}
	return 0;
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

static int count_groups(const struct vh_root *r)
{
	int fd = openat(r->fd, "sys/kernel/iommu_groups", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fd < 0 ? NULL : fdopendir(fd);
	struct dirent *e;
	int n = 0;

	if (!d) {
		if (fd >= 0)
			close(fd);
		return 0;
	}
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
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

int vh_host_discover(struct vh_host *h, const struct vh_root *r, FILE *errf)
{
	int rc;

	memset(h, 0, sizeof(*h));
	h->devfd = -1;
	rc = vh_pci_scan(h, r, errf);
	if (rc < 0)
		return rc;
	rc = vh_host_index(h);
	if (rc < 0)
		return rc;
	h->ngroups = count_groups(r);
	h->iommu_active = h->ngroups > 0;
	if (vh_read_meminfo(r, &h->memtotal_kib) < 0)
		h->memtotal_kib = 0;
	vh_read_nodes(h, r);
	vh_read_cmdline(r, h->cmdline, sizeof(h->cmdline));
	return 0;
}

void vh_host_free(struct vh_host *h)
{
	free(h->fn);
	free(h->bygroup);
	free(h->iomem);
	free(h->notes);
	if (h->devfd >= 0)
		close(h->devfd);
	memset(h, 0, sizeof(*h));
	h->devfd = -1;
}
