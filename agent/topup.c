/* topup: the rules of the top-up after the switch to the real root. The boot's report says
 * what was planned and what the initramfs got; the top-up asks for the rest of that plan, and
 * never for more. No I/O here. */
#include <errno.h>
#include <string.h>

#include "topup.h"

static int fail(char *why, size_t size, const char *what)
{
	vh_fmt(why, size, "%s", what);
	return -EINVAL;
}

/* Nodes as the boot planned them; false when the report's node list does not fit. */
static bool plan_nodes(const struct vh_jdoc *d, int nodes, struct vh_hp_plan *hp)
{
	hp->nnodes = 0;
	for (int c = nodes >= 0 ? d->node[nodes].first : -1; c >= 0; c = d->node[c].next) {
		long long node = vh_jnum(d, c, "node", -1), pages = vh_jnum(d, c, "pages", -1);
		if (hp->nnodes == VH_MAX_NODES || node < 0 || node >= 1024 || pages < 0)
			return false;
		hp->node[hp->nnodes].node = (int)node;
		hp->node[hp->nnodes].pages = (uint64_t)pages;
		hp->nnodes++;
	}
	return true;
}

long long vh_topup_obtained(const struct vh_jdoc *d)
{
	int hp = vh_jget(d, 0, "hugepages"), top = vh_jget(d, 0, "topup");

	if (hp < 0 || d->node[hp].type != VH_J_OBJ)
		return -1;
	if (top >= 0 && d->node[top].type == VH_J_OBJ)
		return vh_jnum(d, top, "obtained", 0);
	return vh_jnum(d, hp, "obtained", 0);
}

int vh_topup_plan(const struct vh_jdoc *d, struct vh_hp_plan *hp, char *why, size_t size)
{
	const char *mode = vh_jstr(d, 0, "mode");
	int h = vh_jget(d, 0, "hugepages");
	long long size_kib, pages, got;

	memset(hp, 0, sizeof(*hp));
	if (!mode || strcmp(mode, "apply") != 0) {
		vh_fmt(why, size, "the boot ran in mode %s: nothing to top up", mode ? mode : "?");
		return 1;
	}
	if (h < 0 || d->node[h].type != VH_J_OBJ) {
		vh_fmt(why, size, "the policy of the boot has no [hugepages]: nothing to top up");
		return 1;
	}
	size_kib = vh_jnum(d, h, "size_kib", 0);
	pages = vh_jnum(d, h, "pages", -1);
	if ((size_kib != 2048 && size_kib != 1048576) || pages < 0)
		return fail(why, size, "its hugepages object has no size_kib or pages");
	if (!plan_nodes(d, vh_jget(d, h, "nodes"), hp))
		return fail(why, size, "its hugepages nodes are not as vfiohost writes them");
	hp->present = hp->supported = true;
	hp->size_kib = (uint64_t)size_kib;
	hp->pages = hp->requested = (uint64_t)pages;
	got = vh_topup_obtained(d);
	if (got >= pages) {
		vh_fmt(why, size, "the boot reserved all %lld pages: nothing to top up", pages);
		return 1;
	}
	return 0;
}

size_t vh_topup_keep(const char *text, size_t len)
{
	const char *m = NULL;
	size_t end = len, mlen = strlen(VH_TOPUP_MEMBER);

	while (end > 0 && text[end - 1] != '}')
		end--;
	if (end == 0 || text[0] != '{')
		return 0;
	end--; /* the report's closing brace */
	for (size_t i = 0; i + mlen <= end; i++)
		if (memcmp(text + i, VH_TOPUP_MEMBER, mlen) == 0)
			m = text + i;
	if (m)
		return (size_t)(m - text);
	while (end > 0 && (text[end - 1] == '\n' || text[end - 1] == ' '))
		end--;
	return end;
}
