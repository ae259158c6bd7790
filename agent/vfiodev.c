/* vfiodev: is a function a VFIO device a VMM can open? Trusts what the VFIO core registers,
 * whichever VFIO driver holds the function (vfio-pci, a variant, a vendor's): the device's
 * vfio-dev/vfioN entry (6.1 and later), and the node a VMM opens: /dev/vfio/<group> where the
 * kernel has VFIO groups (the group code registers the class sys/class/vfio), otherwise
 * (no CONFIG_VFIO_GROUP) /dev/vfio/devices/vfioN, whose number must be vfio-dev/vfioN/dev's. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "vfiohost.h"

struct entry {
	char *name;
	size_t size;
};

static int take_vfio(const char *name, void *arg)
{
	struct entry *e = arg;

	if (strncmp(name, "vfio", 4) != 0 || !name[4])
		return 0;
	return vh_fmt(e->name, e->size, "%s", name) < 0 ? 0 : 1;
}

bool vh_vfio_has_groups(const struct vh_root *r)
{
	return faccessat(r->fd, "sys/class/vfio", F_OK, 0) == 0;
}

static int group_node(const struct vh_root *r, int group)
{
	char path[48];
	struct stat st;

	if (group < 0)
		return -EINVAL;
	vh_fmt(path, sizeof(path), "dev/vfio/%d", group);
	return fstatat(r->fd, path, &st, 0) == 0 ? 0 : -ENOENT;
}

/* dev/vfio/devices/NAME is the character device DEV/vfio-dev/NAME/dev names. */
static int cdev_node(const struct vh_root *r, int dirfd, const char *dev, const char *name)
{
	char path[128], num[32];
	unsigned maj, min;
	struct stat st;

	if (vh_fmt(path, sizeof(path), "%s/vfio-dev/%s/dev", dev, name) < 0)
		return -ENAMETOOLONG;
	if (vh_read_str_at(dirfd, path, num, sizeof(num)) < 0 ||
	    sscanf(num, "%u:%u", &maj, &min) != 2)
		return -ENODEV;
	vh_fmt(path, sizeof(path), "dev/vfio/devices/%s", name);
	if (fstatat(r->fd, path, &st, 0) < 0)
		return -ENOENT;
	if (!S_ISCHR(st.st_mode) || st.st_rdev != makedev(maj, min))
		return -EXDEV;
	return 0;
}

int vh_vfio_usable(const struct vh_root *r, int dirfd, const char *dev, int group, char *cdev,
		   size_t size)
{
	char rel[96];
	struct entry e = {cdev, size};
	int rc;

	cdev[0] = '\0';
	if (vh_fmt(rel, sizeof(rel), "%s/vfio-dev", dev) < 0)
		return -ENAMETOOLONG;
	rc = vh_dir_each(dirfd, rel, take_vfio, &e);
	if (rc < 0 && rc != -ENOENT)
		return rc;
	if (!cdev[0])
		return -ENODEV;
	if (vh_vfio_has_groups(r)) {
		cdev[0] = '\0';
		return group_node(r, group);
	}
	return cdev_node(r, dirfd, dev, cdev);
}

void vh_vfio_why(char *buf, size_t size, int rc, int group, const char *cdev)
{
	if (rc == -ENODEV)
		vh_fmt(buf, size, "no vfio-dev entry: the VFIO core did not register it");
	else if (rc == -ENOENT && cdev && cdev[0])
		vh_fmt(buf, size, "/dev/vfio/devices/%s did not appear", cdev);
	else if (rc == -ENOENT)
		vh_fmt(buf, size, "/dev/vfio/%d did not appear", group);
	else if (rc == -EXDEV)
		vh_fmt(buf, size, "/dev/vfio/devices/%s is not the device vfio-dev/%s/dev names",
		       cdev, cdev);
	else if (rc == -ETIMEDOUT)
		vh_fmt(buf, size, "the wait for its VFIO device hung, abandoned at the deadline");
	else if (rc == -EINVAL)
		vh_fmt(buf, size, "it has no IOMMU group");
	else
		vh_fmt(buf, size, "%s", strerror(-rc));
}
