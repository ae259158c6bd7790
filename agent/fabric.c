/* fabric: check's discovery of an HGX baseboard's NVSwitches (NVIDIA, class 0680) and of the
 * host's Fabric Manager service, which owns them unless a guest does. It only reads. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "findings.h"

/* Where an enabled nvidia-fabricmanager.service is linked (systemctl enable), and where its
 * packages put the daemon. The link is not followed: its target is outside a --root. */
static const char *const fm_units[] = {
    "etc/systemd/system/multi-user.target.wants/nvidia-fabricmanager.service",
    "etc/systemd/system/default.target.wants/nvidia-fabricmanager.service",
};
static const char *const fm_binaries[] = {"usr/bin/nv-fabricmanager", "usr/sbin/nv-fabricmanager"};

static const char *first_present(const struct vh_root *r, const char *const *paths, size_t n)
{
	struct stat st;

	for (size_t i = 0; i < n; i++)
		if (fstatat(r->fd, paths[i], &st, AT_SYMLINK_NOFOLLOW) == 0)
			return paths[i];
	return NULL;
}

static void read_fabricmanager(struct vh_ready *rd, const struct vh_root *r)
{
	const char *unit = first_present(r, fm_units, sizeof(fm_units) / sizeof(fm_units[0]));
	const char *bin =
	    first_present(r, fm_binaries, sizeof(fm_binaries) / sizeof(fm_binaries[0]));

	vh_fmt(rd->fm_enabled, sizeof(rd->fm_enabled), "%s", unit ? unit : "");
	vh_fmt(rd->fm_binary, sizeof(rd->fm_binary), "%s", bin ? bin : "");
}

/* Every NVSwitch, with its numa_node (the model has it only for selected slots). */
int vh_ready_fabric(struct vh_ready *rd, const struct vh_host *h, const struct vh_root *r)
{
	size_t n = 0;

	read_fabricmanager(rd, r);
	for (size_t i = 0; i < h->nfn; i++)
		n += vh_is_nvswitch(h->fn[i].vendor, h->fn[i].class) && !h->fn[i].unreadable;
	rd->nvsw = n ? calloc(n, sizeof(*rd->nvsw)) : NULL;
	if (n && !rd->nvsw)
		return -ENOMEM;
	for (size_t i = 0; i < h->nfn; i++) {
		struct vh_nvswitch_facts *s;
		char path[64];
		long long v;
		if (!vh_is_nvswitch(h->fn[i].vendor, h->fn[i].class) || h->fn[i].unreadable)
			continue;
		s = &rd->nvsw[rd->nnvsw++];
		s->idx = i;
		vh_fmt(path, sizeof(path), "%s/numa_node", h->fn[i].bdf);
		s->numa =
		    vh_read_int_at(h->devfd, path, &v) == 0 && v >= 0 && v < 4096 ? (int)v : -1;
	}
	return 0;
}
