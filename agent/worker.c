/* worker: one child process per IOMMU group runs that group's blocking sysfs steps, all
 * groups at once. The child reports each step's start and end on a pipe and the parent
 * keeps the time, so a step stuck in the kernel (a device lock held by a hung probe) costs
 * only its own group, never the boot. Children do no logging: the parent says what they
 * did, one line a step, in the order it learns it. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vfiohost.h"

static int write_all(int fd, const void *buf, size_t len)
{
	ssize_t n;

	do
		n = write(fd, buf, len);
	while (n < 0 && errno == EINTR);
	return n == (ssize_t)len ? 0 : -EPIPE;
}

/* One record per write (smaller than PIPE_BUF): records never mix on the pipe. */
static void send_msg(struct vh_wctx *c, int fn, int step, int kind, int rc, const char *text)
{
	struct vh_wmsg m = {.fn = fn, .step = (uint8_t)step, .kind = (uint8_t)kind, .rc = rc};

	if (text)
		vh_fmt(m.text, sizeof(m.text), "%s", text);
	(void)write_all(c->out, &m, sizeof(m));
}

void vh_wbegin(struct vh_wctx *c, int fn, int step)
{
	send_msg(c, fn, step, VH_W_BEGIN, 0, NULL);
}

void vh_wend(struct vh_wctx *c, int fn, int step, int rc, const char *text)
{
	send_msg(c, fn, step, VH_W_END, rc, text);
}

void vh_wphase(struct vh_wctx *c, int rc)
{
	send_msg(c, -1, 0, VH_W_PHASE, rc, NULL);
}

/* The parent's next command ('g' go on, 'q' stop); 'q' when the parent is gone. */
char vh_wawait(struct vh_wctx *c)
{
	char cmd;
	ssize_t n;

	do
		n = read(c->in, &cmd, 1);
	while (n < 0 && errno == EINTR);
	return n == 1 ? cmd : 'q';
}

/* A child stuck in the kernel may outlive the agent: it must not hold the caller's
 * terminal or pipes open (a `vfiohost boot | tee` would never end). It says nothing
 * anyway (the parent logs): /dev/null read-only, so a stray write fails rather than lands. */
static void quiet(void)
{
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return;
	for (int i = 0; i < 3; i++)
		dup2(fd, i); /* dup2 clears O_CLOEXEC on the copies */
	if (fd > 2)
		close(fd);
}

int vh_worker_start(struct vh_worker *w, void (*body)(struct vh_wctx *c, void *arg), void *arg)
{
	int up[2], down[2];

	*w = (struct vh_worker){.pid = -1, .rfd = -1, .wfd = -1, .fn = -1};
	if (pipe2(up, O_CLOEXEC) < 0)
		return -errno;
	if (pipe2(down, O_CLOEXEC) < 0) {
		int rc = -errno;
		close(up[0]);
		close(up[1]);
		return rc;
	}
	fflush(NULL);
	w->pid = fork();
	if (w->pid == 0) {
		struct vh_wctx c = {.out = up[1], .in = down[0]};
		close(up[0]);
		close(down[1]);
		quiet();
		body(&c, arg);
		_exit(0);
	}
	close(up[1]);
	close(down[0]);
	if (w->pid < 0) {
		int rc = -errno;
		close(up[0]);
		close(down[1]);
		return rc;
	}
	w->rfd = up[0];
	w->wfd = down[1];
	return 0;
}

void vh_worker_send(struct vh_worker *w, char cmd)
{
	if (w->gone || w->wfd < 0)
		return;
	if (write_all(w->wfd, &cmd, 1) == 0)
		w->phase_done = false;
}

/* Lets the child go: it is done, dead, or stuck in the kernel (SIGKILL then takes it
 * when its system call returns, before it can take another step). Never waits. */
static void drop(struct vh_worker *w)
{
	if (w->pid > 0) {
		kill(w->pid, SIGKILL);
		waitpid(w->pid, NULL, WNOHANG);
	}
	if (w->rfd >= 0)
		close(w->rfd);
	if (w->wfd >= 0)
		close(w->wfd);
	w->rfd = w->wfd = -1;
	w->gone = true;
}

void vh_worker_end(struct vh_worker *w)
{
	if (w->pid > 0 && !w->gone && w->wfd >= 0) {
		close(w->wfd); /* EOF: a child waiting for a command stops */
		w->wfd = -1;
		waitpid(w->pid, NULL, 0);
		w->pid = -1;
	}
	drop(w);
}

/* Reads what one child said; false once it has nothing more to say. */
static bool take(struct vh_worker *w, const struct vh_wpool *p)
{
	struct vh_wmsg m[8];
	ssize_t n = read(w->rfd, m, sizeof(m));

	if (n < 0 && errno == EINTR)
		return true;
	if (n <= 0) { /* the child ended (or died) without finishing the phase */
		struct vh_wmsg died = {
		    .fn = w->fn, .step = (uint8_t)w->step, .kind = VH_W_END, .rc = -ECHILD};
		if (w->fn >= 0 || !w->phase_done)
			p->on_msg(p->ctx, w, &died);
		drop(w);
		return false;
	}
	for (size_t i = 0; i < (size_t)n / sizeof(m[0]); i++) {
		if (m[i].kind == VH_W_BEGIN) {
			w->fn = m[i].fn;
			w->step = m[i].step;
			w->step_t0 = vh_now_us();
			w->in_step = true;
		} else if (m[i].kind == VH_W_END) {
			w->in_step = false;
			w->fn = -1;
		} else {
			w->phase_done = true;
		}
		p->on_msg(p->ctx, w, &m[i]);
	}
	return true;
}

/* When the first worker's time is up: its step's limit, or the end of the deadline. */
static uint64_t next_limit(const struct vh_wpool *p, const struct vh_deadline *dl)
{
	uint64_t limit = dl->end_us;

	for (size_t i = 0; i < p->n; i++) {
		const struct vh_worker *w = &p->w[i];
		if (!w->gone && !w->phase_done && w->in_step && w->step_t0 + dl->step_us < limit)
			limit = w->step_t0 + dl->step_us;
	}
	return limit;
}

/* Gives up on every worker whose step (or the whole deadline) is past its time. */
static void expire(struct vh_wpool *p, const struct vh_deadline *dl, uint64_t now)
{
	for (size_t i = 0; i < p->n; i++) {
		struct vh_worker *w = &p->w[i];
		struct vh_wmsg hung = {.kind = VH_W_END, .rc = -ETIMEDOUT};
		if (w->gone || w->phase_done)
			continue;
		if (now < dl->end_us && !(w->in_step && now >= w->step_t0 + dl->step_us))
			continue;
		hung.fn = w->in_step ? w->fn : -1;
		hung.step = (uint8_t)(w->in_step ? w->step : 0);
		p->on_msg(p->ctx, w, &hung);
		drop(w);
	}
}

/* Waits until every worker has finished its phase, ended, or run out of time. */
void vh_workers_wait(struct vh_wpool *p, const struct vh_deadline *dl)
{
	struct pollfd pfd[VH_MAX_WORKERS];
	struct vh_worker *who[VH_MAX_WORKERS];

	for (;;) {
		uint64_t now = vh_now_us(), limit;
		size_t np = 0;
		int ms, n;
		for (size_t i = 0; i < p->n; i++) {
			if (p->w[i].gone || p->w[i].phase_done)
				continue;
			pfd[np] = (struct pollfd){.fd = p->w[i].rfd, .events = POLLIN};
			who[np++] = &p->w[i];
		}
		if (np == 0)
			return;
		limit = next_limit(p, dl);
		ms = limit > now ? (int)((limit - now + 999) / 1000) : 0;
		n = poll(pfd, np, ms);
		if (n < 0 && errno != EINTR)
			ms = 0;
		for (size_t k = 0; n > 0 && k < np; k++)
			if (pfd[k].revents)
				take(who[k], p);
		expire(p, dl, vh_now_us());
	}
}
