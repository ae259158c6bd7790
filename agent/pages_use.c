/* pages_use: how a VM takes the hugepages a boot reserved, in the words of libvirt,
 * Proxmox VE and KubeVirt, and whether the hugetlbfs mount libvirt needs is there. */
#include <stdbool.h>

#include "pages.h"

void vh_pages_use_text(FILE *f, long long size_kib, const char *mount)
{
	bool giga = size_kib == 1024 * 1024;

	if (!giga && size_kib != 2048)
		return;
	fprintf(f, "to use these %s pages in a VM:\n", giga ? "1 GiB" : "2 MiB");
	fprintf(
	    f,
	    "  libvirt:  <memoryBacking><hugepages><page size='%s' unit='%s'/></hugepages></memoryBacking>\n",
	    giga ? "1" : "2", giga ? "G" : "M");
	fprintf(f, "  Proxmox:  qm set <vmid> --hugepages %s\n", giga ? "1024" : "2");
	fprintf(f, "  KubeVirt: spec.domain.memory.hugepages.pageSize: %s\n", giga ? "1Gi" : "2Mi");
	if (mount)
		fprintf(f, "hugetlbfs pagesize=%s: mounted on %s\n", giga ? "1G" : "2M", mount);
	else if (giga)
		fprintf(
		    f,
		    "hugetlbfs pagesize=1G: none mounted; libvirt needs one: systemctl enable --now dev-hugepages1G.mount\n");
	else
		fprintf(
		    f,
		    "hugetlbfs pagesize=2M: none mounted; libvirt needs one: systemd's dev-hugepages.mount\n");
}
