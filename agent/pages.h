/* pages: what a VM needs to use the hugepages a boot reserved: a hugetlbfs mount of that
 * page size (hugetlbfs.c, discovery) and the words libvirt, Proxmox and KubeVirt use
 * (pages_use.c, output). */
#ifndef VFIOHOST_PAGES_H
#define VFIOHOST_PAGES_H

#include <stdio.h>

#include "vfiohost.h"

/* Finds a hugetlbfs mount of pages of size_kib in /proc/mounts (under the root); copies
 * its mount point to where. 1 found, 0 none, or -errno when /proc/mounts is unreadable. */
int vh_hugetlbfs_find(const struct vh_root *r, long long size_kib, char *where, size_t size);

/* How a VM uses pages of size_kib, and whether they are mounted (mount NULL: not). */
void vh_pages_use_text(FILE *f, long long size_kib, const char *mount);

#endif
