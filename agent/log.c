/* log: every decision to the kernel log through /dev/kmsg, as "vfiohost[PID]: ...".
 * The kernel rate-limits each open /dev/kmsg file (a burst of 10 lines per 5 s), so the
 * file is reopened before that burst runs out: a long story is kept whole. A forked child
 * (the module load) opens a file of its own: sharing the parent's, its lines would use up
 * a burst the parent does not count. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <string.h>
#include <unistd.h>

#include "vfiohost.h"

#define LINES_PER_OPEN 8 /* under the kernel's burst of 10 */
#define LOG_USER       8 /* facility LOG_USER << 3 */

void vh_log_open(struct vh_log *lg, const struct vh_root *r, bool echo)
{
	memset(lg, 0, sizeof(*lg));
	lg->rootfd = r->fd;
	lg->fd = -1;
	lg->echo = echo;
}

static int kmsg_fd(struct vh_log *lg)
{
	pid_t me = getpid();

	if (lg->fd >= 0 && lg->written < LINES_PER_OPEN && lg->pid == me)
		return lg->fd;
	if (lg->fd >= 0)
		close(lg->fd); /* in a child, its copy of the descriptor only */
	lg->fd = openat(lg->rootfd, "dev/kmsg", O_WRONLY | O_APPEND | O_CLOEXEC | O_NOCTTY);
	lg->written = 0;
	lg->pid = me;
	return lg->fd;
}

void vh_log(struct vh_log *lg, int level, const char *fmt, ...)
{
	char msg[900], line[1000];
	va_list ap;
	int fd, n;

	va_start(ap, fmt);
	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (n >= (int)sizeof(msg)) /* a message cut short says so */
		memcpy(msg + sizeof(msg) - 4, "...", 4);
	for (char *p = msg; *p; p++)
		if (*p == '\n')
			*p = ' '; /* one record, one line */
	n = snprintf(line, sizeof(line), "<%d>vfiohost[%d]: %s\n", LOG_USER | level, (int)getpid(),
		     msg);
	fd = kmsg_fd(lg);
	if (fd >= 0) {
		ssize_t w;
		do
			w = write(fd, line, (size_t)n);
		while (w < 0 && errno == EINTR);
		lg->written++;
	}
	if (lg->echo || fd < 0)
		fprintf(stderr, "vfiohost: %s%s\n", level <= VH_WARNING ? "warning: " : "", msg);
}

void vh_log_close(struct vh_log *lg)
{
	if (lg->fd >= 0)
		close(lg->fd);
	lg->fd = -1;
}
