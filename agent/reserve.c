/* reserve: reserve the planned hugepages, the global file or one file per NUMA node. Each
 * target is filled in a child of its own, all at once, so that a large node does not hold
 * up the others and a write stuck in compaction costs at most the time limit. A child
 * compacts its memory first (a gigantic page needs a free, aligned range: compaction makes
 * them, bench/hugepages.sh measures it), then asks for 1 GiB more at a time while another
 * step fits in the time, and compacts again after a step that gained nothing. The parent
 * reads back the counts and says why a count came up short: time, fragmentation, memory,
 * or a write the kernel refused. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vfiohost.h"

struct progress {
	int tries;	  /* writes made */
	int err;	  /* the last write's, 0 or -errno */
	bool out_of_time; /* stopped as another step would not fit */
};

struct target {
	char nr[128], compact[96], meminfo[64], where[24];
	uint64_t want, start, got, ms, size_kib, end_us;
	struct progress last;
	bool out_of_time;
	pid_t pid;
	int fd; /* the child's progress records; -1 once it ended */
};

/* One write and its read back; returns the count after it. */
static uint64_t ask(const struct vh_root *r, const struct target *t, uint64_t n, struct progress *p)
{
	char value[32];
	long long now;

	vh_fmt(value, sizeof(value), "%llu", (unsigned long long)n);
	p->err = vh_write_at(r->fd, t->nr, value);
	p->tries++;
	return vh_read_int_at(r->fd, t->nr, &now) == 0 && now >= 0 ? (uint64_t)now : 0;
}

/* In the child: a step at a time, while the time allows another step as long as the last;
 * a step that gains nothing is tried again after compaction, VH_HP_TRIES times at most.
 * Compaction is best effort: the file may be missing (CONFIG_COMPACTION=n). */
static void fill(const struct vh_root *r, const struct target *t, int fd)
{
	struct progress p = {0, 0, false};
	uint64_t got = t->start, step = vh_hp_step(t->size_kib), last_us = 0;
	int misses = 0;

	(void)vh_write_at(r->fd, t->compact, "1");
	while (got < t->want && misses < VH_HP_TRIES) {
		uint64_t t0 = vh_now_us(), n = got + step < t->want ? got + step : t->want, now;
		if (!vh_hp_time_for_more(t0, t->end_us, last_us)) {
			p.out_of_time = true;
			break;
		}
		now = ask(r, t, n, &p);
		last_us = vh_now_us() - t0;
		if (now > got) {
			got = now;
		} else if (++misses < VH_HP_TRIES) {
			(void)vh_write_at(r->fd, t->compact, "1");
			last_us = vh_now_us() - t0;
		}
		if (p.err < 0)
			break;
		(void)!write(fd, &p, sizeof(p));
	}
	(void)!write(fd, &p, sizeof(p));
}

static int spawn(const struct vh_root *r, struct target *t)
{
	int pfd[2];

	if (pipe2(pfd, O_CLOEXEC) < 0)
		return -errno;
	fflush(NULL);
	t->pid = fork();
	if (t->pid < 0) {
		close(pfd[0]);
		close(pfd[1]);
		return -errno;
	}
	if (t->pid == 0) {
		close(pfd[0]);
		fill(r, t, pfd[1]);
		_exit(0);
	}
	close(pfd[1]);
	t->fd = pfd[0];
	return 0;
}

/* Reads what a child sent; false once it ended. */
static bool take(struct target *t, uint64_t t0)
{
	struct progress p;
	ssize_t n = read(t->fd, &p, sizeof(p));

	if (n < 0 && errno == EINTR)
		return true;
	if (n == sizeof(p)) {
		t->last = p;
		return true;
	}
	close(t->fd);
	t->fd = -1;
	waitpid(t->pid, NULL, 0);
	t->ms = (vh_now_us() - t0) / 1000;
	return false;
}

/* Waits for every child until the end of dl; those still at work then are stopped. */
static void wait_all(struct target *t, int n, const struct vh_deadline *dl, uint64_t t0)
{
	struct pollfd p[VH_MAX_NODES];
	int live = 0;

	for (int i = 0; i < n; i++)
		live += t[i].fd >= 0;
	while (live > 0) {
		uint64_t now = vh_now_us();
		int k = 0, ms = now < dl->end_us ? (int)((dl->end_us - now + 999) / 1000) : 0;
		for (int i = 0; i < n; i++)
			if (t[i].fd >= 0)
				p[k++] = (struct pollfd){.fd = t[i].fd, .events = POLLIN};
		if (ms == 0 || poll(p, (nfds_t)k, ms) == 0)
			break;
		for (int i = 0, j = 0; i < n; i++)
			if (t[i].fd >= 0 && (p[j++].revents & (POLLIN | POLLHUP)))
				live -= !take(&t[i], t0);
	}
	for (int i = 0; i < n; i++) {
		if (t[i].fd < 0)
			continue;
		vh_child_reap(t[i].pid); /* a page being put together is finished first */
		close(t[i].fd);
		t[i].fd = -1;
		t[i].out_of_time = true;
		t[i].ms = (vh_now_us() - t0) / 1000;
	}
}

/* MemFree of the target's meminfo file, in KiB (0 if unreadable). */
static uint64_t mem_free(const struct vh_root *r, const struct target *t)
{
	char buf[4096];
	ssize_t n = vh_read_at(r->fd, t->meminfo, buf, sizeof(buf) - 1);
	const char *s;

	if (n <= 0)
		return 0;
	buf[n] = '\0';
	s = strstr(buf, "MemFree:");
	return s ? strtoull(s + 8, NULL, 10) : 0;
}

static void say(struct vh_plan *pl, struct vh_log *lg, const struct target *t, enum vh_hp_short why,
		uint64_t free_kib)
{
	char detail[160];
	const char *size = pl->hp.size_kib == 1048576 ? "1 GiB" : "2 MiB";

	if (why == VH_HP_FULL) {
		vh_log(lg, VH_INFO, "hugepages%s: %llu reserved (%d write%s, %llu ms)", t->where,
		       (unsigned long long)t->got, t->last.tries, t->last.tries == 1 ? "" : "s",
		       (unsigned long long)t->ms);
		return;
	}
	if (why == VH_HP_TIME)
		vh_fmt(detail, sizeof(detail), "time: still reserving at the limit of %llu ms",
		       (unsigned long long)pl->hp.time_ms);
	else if (why == VH_HP_ERROR)
		vh_fmt(detail, sizeof(detail), "writing /%s failed: %s", t->nr,
		       strerror(-t->last.err));
	else if (why == VH_HP_FRAGMENTED)
		vh_fmt(
		    detail, sizeof(detail),
		    "fragmentation: %llu MiB free, but no free %s range after %d write%s with compaction",
		    (unsigned long long)(free_kib / 1024), size, t->last.tries,
		    t->last.tries == 1 ? "" : "s");
	else
		vh_fmt(detail, sizeof(detail), "memory: only %llu MiB free",
		       (unsigned long long)(free_kib / 1024));
	vh_log(lg, VH_WARNING, "hugepages%s: asked for %llu, got %llu in %llu ms (%s)", t->where,
	       (unsigned long long)t->want, (unsigned long long)t->got, (unsigned long long)t->ms,
	       detail);
	vh_msgs_add(&pl->warn, "hugepages%s: asked for %llu, got %llu (%s)", t->where,
		    (unsigned long long)t->want, (unsigned long long)t->got, vh_hp_short_name(why));
}

/* After the children: the counts as the kernel holds them, and why any came up short. */
static enum vh_hp_short settle(struct vh_plan *pl, const struct vh_root *r, struct vh_log *lg,
			       struct target *t)
{
	long long now;
	enum vh_hp_short why;
	uint64_t free_kib = 0;

	if (vh_read_int_at(r->fd, t->nr, &now) == 0 && now >= 0)
		t->got = (uint64_t)now;
	if (t->got < t->want && !t->out_of_time && t->last.err < 0)
		why = VH_HP_ERROR;
	else {
		free_kib = t->got < t->want ? mem_free(r, t) : 0;
		why = vh_hp_why(t->want, t->got, t->out_of_time || t->last.out_of_time, free_kib,
				pl->hp.size_kib);
	}
	say(pl, lg, t, why, free_kib);
	return why;
}

/* Names a target's files; false (logged) when its count cannot be read, or when it holds
 * enough already (then it is left as it is). */
static bool prepare(const struct vh_root *r, struct vh_log *lg, struct target *t, int node,
		    uint64_t size_kib, uint64_t want)
{
	long long now = 0;
	int rc;

	memset(t, 0, sizeof(*t));
	t->fd = -1;
	t->want = want;
	t->size_kib = size_kib;
	if (node < 0) {
		vh_fmt(t->nr, sizeof(t->nr),
		       "sys/kernel/mm/hugepages/hugepages-%llukB/nr_hugepages",
		       (unsigned long long)size_kib);
		vh_fmt(t->compact, sizeof(t->compact), "proc/sys/vm/compact_memory");
		vh_fmt(t->meminfo, sizeof(t->meminfo), "proc/meminfo");
	} else {
		vh_fmt(t->nr, sizeof(t->nr),
		       "sys/devices/system/node/node%d/hugepages/hugepages-%llukB/nr_hugepages",
		       node, (unsigned long long)size_kib);
		vh_fmt(t->compact, sizeof(t->compact), "sys/devices/system/node/node%d/compact",
		       node);
		vh_fmt(t->meminfo, sizeof(t->meminfo), "sys/devices/system/node/node%d/meminfo",
		       node);
		vh_fmt(t->where, sizeof(t->where), " on node %d", node);
	}
	rc = vh_read_int_at(r->fd, t->nr, &now);
	if (rc < 0) {
		vh_log(lg, VH_ERR, "/%s: reading failed: %s (hugepages not reserved)", t->nr,
		       strerror(-rc));
		return false;
	}
	t->start = t->got = now > 0 ? (uint64_t)now : 0;
	if (t->start >= want) {
		vh_log(lg, VH_INFO, "/%s already holds %lld pages (%llu planned): left as is",
		       t->nr, now, (unsigned long long)want);
		return false;
	}
	return true;
}

void vh_hugepages_reserve(struct vh_plan *pl, const struct vh_root *r, struct vh_log *lg,
			  const struct vh_deadline *dl)
{
	struct vh_hp_plan *hp = &pl->hp;
	struct target t[VH_MAX_NODES];
	bool go[VH_MAX_NODES];
	int n = hp->nnodes ? hp->nnodes : 1;
	uint64_t t0 = vh_now_us();

	if (!hp->present || !hp->supported)
		return;
	hp->ms = 0;
	for (int i = 0; i < n; i++) {
		go[i] = prepare(r, lg, &t[i], hp->nnodes ? hp->node[i].node : -1, hp->size_kib,
				hp->nnodes ? hp->node[i].pages : hp->pages);
		t[i].end_us = dl->end_us;
		if (go[i] && dl->end_us <= t0) {
			t[i].out_of_time = true; /* time = 0: nothing asked here */
		} else if (go[i] && spawn(r, &t[i]) < 0) {
			vh_log(lg, VH_ERR, "hugepages%s: cannot start a worker: %s", t[i].where,
			       strerror(errno));
			go[i] = false;
		}
	}
	wait_all(t, n, dl, t0);
	hp->got = hp->before = 0;
	for (int i = 0; i < n; i++) {
		enum vh_hp_short why = go[i] ? settle(pl, r, lg, &t[i]) : VH_HP_FULL;
		if (!go[i] && t[i].got < t[i].want)
			why = VH_HP_ERROR;
		hp->got += t[i].got;
		hp->before += t[i].start;
		hp->ms = t[i].ms > hp->ms ? t[i].ms : hp->ms; /* the nodes go side by side */
		if (hp->nnodes) {
			hp->node[i].got = t[i].got;
			hp->node[i].before = t[i].start;
			hp->node[i].tries = t[i].last.tries;
			hp->node[i].why = why;
			hp->node[i].ms = t[i].ms;
		} else {
			hp->why = why;
		}
	}
}
