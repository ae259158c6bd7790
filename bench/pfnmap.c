/* pfnmap: what occupies each 1 GiB-aligned range of physical memory, from /proc/kpageflags
 * (bench/hugepages.sh runs it in the test VM; never installed). A 1 GiB page can only be
 * made of a range with no reserved, slab or page-table page in it; pages on an LRU list
 * can be migrated away. One line a range:
 *   pfnmap GiB=4 present=262144 buddy=… lru=… unevict=… slab=… pgtable=… reserved=… other=… whole=no
 * whole=yes: the range is all there and holds only free, LRU or huge pages, so a 1 GiB page
 * could be made of it (the most any run-time reservation could get).
 * "buddy" counts the pages of free blocks (a free block's head has KPF_BUDDY, and its
 * order is read from the next head: the pages up to it are counted free when they carry no
 * flag), "other" the pages with flags none of the others name.
 * usage: pfnmap [FILE [MAX_GIB]]   (default /proc/kpageflags, to its end). Exit 1 when FILE
 * cannot be read. */
#define _XOPEN_SOURCE 700
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define PAGES_PER_GIB	(1u << 18) /* 4 KiB pages */
#define F(b)		(1ull << (b))
#define KPF_LRU		F(5)
#define KPF_SLAB	F(7)
#define KPF_BUDDY	F(10)
#define KPF_HUGE	F(17)
#define KPF_UNEVICTABLE F(18)
#define KPF_NOPAGE	F(20)
#define KPF_PGTABLE	F(26)
#define KPF_RESERVED	F(32)

struct tally {
	unsigned present, buddy, lru, unevict, slab, pgtable, reserved, huge, other;
};

static void count(struct tally *t, uint64_t f, int *in_free)
{
	if (f & KPF_NOPAGE)
		return;
	t->present++;
	if (f & KPF_BUDDY) {
		*in_free = 1;
		t->buddy++;
		return;
	}
	if (f == 0 && *in_free) {
		t->buddy++;
		return;
	}
	*in_free = 0;
	if (f & KPF_RESERVED)
		t->reserved++;
	else if (f & KPF_SLAB)
		t->slab++;
	else if (f & KPF_PGTABLE)
		t->pgtable++;
	else if (f & KPF_HUGE)
		t->huge++;
	else if (f & KPF_LRU)
		(f & KPF_UNEVICTABLE) ? t->unevict++ : t->lru++;
	else
		t->other++;
}

/* Could the range become one 1 GiB page: all of it present, nothing in it that cannot move. */
static int whole(const struct tally *t)
{
	return t->present == PAGES_PER_GIB && t->buddy + t->lru + t->huge == t->present;
}

int main(int argc, char **argv)
{
	static uint64_t f[PAGES_PER_GIB];
	const char *file = argc > 1 ? argv[1] : "/proc/kpageflags";
	unsigned long max = argc > 2 ? strtoul(argv[2], NULL, 10) : 1ul << 20;
	int fd = open(file, O_RDONLY);

	if (fd < 0) {
		fprintf(stderr, "pfnmap: %s: ", file);
		perror(NULL);
		return 1;
	}
	for (unsigned long g = 0; g < max; g++) {
		struct tally t = {0};
		int in_free = 0;
		ssize_t n = pread(fd, f, sizeof(f), (off_t)(g * PAGES_PER_GIB * sizeof(f[0])));
		if (n < 0) {
			fprintf(stderr, "pfnmap: %s: reading GiB %lu: ", file, g);
			perror(NULL);
			return 1;
		}
		if (n == 0)
			break;
		for (size_t i = 0; i < (size_t)n / sizeof(f[0]); i++)
			count(&t, f[i], &in_free);
		if (t.present == 0)
			continue;
		printf("pfnmap GiB=%lu present=%u buddy=%u lru=%u unevict=%u slab=%u pgtable=%u "
		       "reserved=%u huge=%u other=%u whole=%s\n",
		       g, t.present, t.buddy, t.lru, t.unevict, t.slab, t.pgtable, t.reserved,
		       t.huge, t.other, whole(&t) ? "yes" : "no");
	}
	close(fd);
	return 0;
}
