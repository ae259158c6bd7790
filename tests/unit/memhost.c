/* memhost: hosts held in memory for the unit tests and the fuzz target. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "memhost.h"

struct vh_fn *memhost_add(struct vh_host *h, const char *bdf, unsigned vendor, unsigned device,
			  unsigned class, int group)
{
	struct vh_fn *fn = &h->fn[h->nfn++];
	struct vh_addr a;

	memset(fn, 0, sizeof(*fn));
	strcpy(fn->bdf, bdf);
	vh_addr_parse(bdf, 12, &a);
	fn->domain = a.domain;
	fn->bus = a.bus;
	fn->slot = a.slot;
	fn->func = (uint8_t)a.func;
	fn->vendor = (uint16_t)vendor;
	fn->device = (uint16_t)device;
	fn->class = class;
	fn->group = group;
	fn->numa = -1;
	fn->boot_vga = (class >> 8) == 0x0300 ? 0 : -1;
	fn->detailed = true;
	return fn;
}

int memhost_root(void)
{
	static int fd = -1;
	char dir[] = "/tmp/vfiohost-memhost-XXXXXX", path[96];

	if (fd >= 0 || !mkdtemp(dir))
		return fd;
	for (int g = 0; g < 32; g++) {
		snprintf(path, sizeof(path), "%s/sys/kernel/iommu_groups/%d", dir, g);
		for (char *p = path + strlen(dir) + 1; *p; p++)
			if (*p == '/') {
				*p = '\0';
				mkdir(path, 0755);
				*p = '/';
			}
		mkdir(path, 0755);
	}
	fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	return fd;
}
