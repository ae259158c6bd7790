/* reserve: write the planned hugepage counts (global, or per NUMA node) and read them back. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vfiohost.h"

/* Sets one nr_hugepages file to want (never lowering it); returns what it holds after. */
static uint64_t reserve_one(const struct vh_root *r, const char *path, uint64_t want,
			    struct vh_log *lg, const struct vh_deadline *dl)
{
	char value[32];
	long long now = 0;
	int rc = vh_read_int_at(r->fd, path, &now);

	if (rc < 0) {
		vh_log(lg, VH_ERR, "/%s: reading failed: %s (hugepages not reserved)", path,
		       strerror(-rc));
		return 0;
	}
	if ((uint64_t)now >= want) {
		vh_log(lg, VH_INFO, "/%s already holds %lld pages (%llu planned): left as is", path,
		       now, (unsigned long long)want);
		return (uint64_t)now;
	}
	vh_fmt(value, sizeof(value), "%llu", (unsigned long long)want);
	rc = vh_child_write(r->fd, path, value, dl); /* compaction may take long */
	if (rc < 0)
		vh_log(lg, VH_ERR, "/%s: writing %s failed: %s", path, value,
		       rc == -ETIMEDOUT ? "still running at the deadline" : strerror(-rc));
	if (vh_read_int_at(r->fd, path, &now) < 0 || now < 0)
		now = 0;
	return (uint64_t)now;
}

static void note_shortfall(struct vh_plan *pl, struct vh_log *lg, const char *where, uint64_t want,
			   uint64_t got)
{
	if (got >= want) {
		vh_log(lg, VH_INFO, "hugepages%s: %llu reserved", where, (unsigned long long)got);
		return;
	}
	vh_log(lg, VH_WARNING, "hugepages%s: asked for %llu, got %llu", where,
	       (unsigned long long)want, (unsigned long long)got);
	vh_msgs_add(&pl->warn, "hugepages%s: asked for %llu, got %llu", where,
		    (unsigned long long)want, (unsigned long long)got);
}

void vh_hugepages_reserve(struct vh_plan *pl, const struct vh_root *r, struct vh_log *lg,
			  const struct vh_deadline *dl)
{
	struct vh_hp_plan *hp = &pl->hp;
	unsigned long long size = (unsigned long long)hp->size_kib;
	char path[128], where[32];

	if (!hp->present || !hp->supported)
		return;
	if (hp->nnodes == 0) {
		vh_fmt(path, sizeof(path), "sys/kernel/mm/hugepages/hugepages-%llukB/nr_hugepages",
		       size);
		hp->got = reserve_one(r, path, hp->pages, lg, dl);
		note_shortfall(pl, lg, "", hp->pages, hp->got);
		return;
	}
	hp->got = 0;
	for (int i = 0; i < hp->nnodes; i++) {
		struct vh_hp_node *n = &hp->node[i];
		vh_fmt(path, sizeof(path),
		       "sys/devices/system/node/node%d/hugepages/hugepages-%llukB/nr_hugepages",
		       n->node, size);
		vh_fmt(where, sizeof(where), " on node %d", n->node);
		n->got = reserve_one(r, path, n->pages, lg, dl);
		hp->got += n->got;
		note_shortfall(pl, lg, where, n->pages, n->got);
	}
}
