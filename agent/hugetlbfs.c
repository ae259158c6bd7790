/* hugetlbfs: is there a hugetlbfs mount for a page size? libvirt backs guest memory with
 * a file on such a mount; read from /proc/mounts under the root. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "pages.h"

#define MOUNTS_MAX (4u << 20)

/* "pagesize=1G" (the kernel writes K, M or G) in a mount's options, in KiB; 0 if absent. */
static long long option_pagesize_kib(const char *opts)
{
	const char *p = strstr(opts, "pagesize=");
	char *end;
	long long v;

	if (!p || (p != opts && p[-1] != ','))
		return 0;
	v = strtoll(p + 9, &end, 10);
	switch (*end) {
	case 'K': return v;
	case 'M': return v * 1024;
	case 'G': return v * 1024 * 1024;
	default: return -1;
	}
}

/* The default hugepage size (meminfo's Hugepagesize), which a mount without pagesize= has. */
static long long default_pagesize_kib(const struct vh_root *r)
{
	char buf[4096], *p;
	ssize_t n = vh_read_at(r->fd, "proc/meminfo", buf, sizeof(buf) - 1);

	if (n <= 0)
		return -1;
	buf[n] = '\0';
	if (!(p = strstr(buf, "Hugepagesize:")))
		return -1;
	return strtoll(p + 13, NULL, 10);
}

/* One line of /proc/mounts: "what where type options 0 0". */
static bool line_matches(const struct vh_root *r, char *line, long long size_kib, char **where)
{
	char *save = NULL, *what = strtok_r(line, " ", &save);
	char *mnt = strtok_r(NULL, " ", &save), *type = strtok_r(NULL, " ", &save);
	char *opts = strtok_r(NULL, " ", &save);
	long long kib;

	if (!what || !mnt || !type || !opts || strcmp(type, "hugetlbfs") != 0)
		return false;
	kib = option_pagesize_kib(opts);
	if (kib == 0)
		kib = default_pagesize_kib(r);
	*where = mnt;
	return kib == size_kib;
}

int vh_hugetlbfs_find(const struct vh_root *r, long long size_kib, char *where, size_t size)
{
	char *text = NULL, *save = NULL, *mnt = NULL;
	size_t len;
	int rc = vh_read_whole_at(r->fd, "proc/mounts", &text, &len, MOUNTS_MAX);

	if (rc < 0)
		return rc;
	rc = 0;
	for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
		if (line_matches(r, l, size_kib, &mnt)) {
			rc = vh_fmt(where, size, "%s", mnt) < 0 ? -ENAMETOOLONG : 1;
			break;
		}
	free(text);
	return rc;
}
