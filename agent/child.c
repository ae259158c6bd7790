/* child: run a step that may block in the kernel (unbind, probe, module load) in a child
 * process, so that a hang costs at most the deadline: the child is abandoned, the boot goes on. */
#include <errno.h>
#include <string.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vfiohost.h"

#define REAP_WAIT_US 300000

/* Kills a child that ran out of time and gives it a moment to go: a write that the kernel
 * was still carrying out (a hugepage being put together) must be over before the caller
 * reads back what it did. A task stuck in the kernel may not die: it is left behind. */
void vh_child_reap(pid_t pid)
{
	uint64_t until = vh_now_us() + REAP_WAIT_US;

	kill(pid, SIGKILL);
	while (waitpid(pid, NULL, WNOHANG) == 0 && vh_now_us() < until)
		usleep(5000);
}

/* Returns fn's result (0 or -errno), -ETIMEDOUT if it did not finish within its step or by
 * the end of the deadline. */
int vh_child_run(int (*fn)(void *), void *arg, const struct vh_deadline *dl)
{
	int pfd[2], rc = -ECHILD;
	struct pollfd p;
	uint64_t now = vh_now_us(), deadline_us;
	pid_t pid;

	if (now >= dl->end_us)
		return -ETIMEDOUT;
	deadline_us = now + dl->step_us < dl->end_us ? now + dl->step_us : dl->end_us;
	if (pipe2(pfd, O_CLOEXEC) < 0)
		return -errno;
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		rc = -errno;
		close(pfd[0]);
		close(pfd[1]);
		return rc;
	}
	if (pid == 0) {
		close(pfd[0]);
		rc = fn(arg);
		(void)!write(pfd[1], &rc, sizeof(rc));
		_exit(0);
	}
	close(pfd[1]);
	p.fd = pfd[0];
	p.events = POLLIN;
	for (;;) {
		int ms = (int)((deadline_us - now + 999) / 1000), n;
		n = poll(&p, 1, ms > 0 ? ms : 0);
		if (n < 0 && errno == EINTR) {
			now = vh_now_us();
			continue;
		}
		if (n > 0 && read(pfd[0], &rc, sizeof(rc)) == sizeof(rc)) {
			waitpid(pid, NULL, 0);
			break;
		}
		if (n > 0) { /* the child died without answering */
			waitpid(pid, NULL, 0);
			rc = -ECHILD;
			break;
		}
		vh_child_reap(pid);
		rc = -ETIMEDOUT;
		break;
	}
	close(pfd[0]);
	return rc;
}

struct child_write {
	int dirfd;
	const char *path, *value; /* the caller's: a forked child sees them as they are */
};

static int do_write(void *arg)
{
	const struct child_write *w = arg;

	return vh_write_at(w->dirfd, w->path, w->value);
}

/* A sysfs write that may block in a driver or in memory compaction, in a child. */
int vh_child_write(int dirfd, const char *path, const char *value, const struct vh_deadline *dl)
{
	struct child_write w = {dirfd, path, value};

	return vh_child_run(do_write, &w, dl);
}

/* What a bounded step's -errno means, for the log: a step the deadline cut off or whose
 * worker died says so; any other is the kernel's error. */
const char *vh_step_why(int rc)
{
	if (rc == -ETIMEDOUT)
		return "it hung, abandoned at the deadline";
	if (rc == -ECHILD)
		return "its worker died";
	return strerror(-rc);
}
