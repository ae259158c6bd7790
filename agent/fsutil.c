/* fsutil: careful sysfs/procfs I/O relative to a root directory fd. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "vfiohost.h"

/* Opens the root; the one message for a root that cannot be opened goes to errf. */
int vh_root_open(struct vh_root *r, const char *path, FILE *errf)
{
	int err;

	r->path = path;
	r->is_slash = strcmp(path, "/") == 0;
	r->fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (r->fd >= 0)
		return 0;
	err = errno;
	fprintf(errf, "vfiohost: cannot open the root %s: %s\n", path, strerror(err));
	return -err;
}

void vh_root_close(struct vh_root *r)
{
	if (r->fd >= 0)
		close(r->fd);
	r->fd = -1;
}

int vh_fmt(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= size)
		return -ENAMETOOLONG;
	return 0;
}

uint64_t vh_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* Reads from fd until EOF or size bytes; returns the count or -errno. */
static ssize_t read_all(int fd, char *buf, size_t size)
{
	size_t got = 0;
	ssize_t n;

	while (got < size) {
		n = read(fd, buf + got, size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

/* One read(2); returns the count or -errno. */
static ssize_t read_once(int fd, char *buf, size_t size)
{
	ssize_t n;

	do
		n = read(fd, buf, size);
	while (n < 0 && errno == EINTR);
	return n < 0 ? -errno : n;
}

/* WAIT: open without O_NONBLOCK, for an attribute whose read may wait in the kernel. */
static ssize_t read_file_at(int dirfd, const char *rel, char *buf, size_t size, bool one_read,
			    bool wait)
{
	ssize_t n;
	int fd;

	do
		fd = openat(dirfd, rel, O_RDONLY | O_CLOEXEC | O_NOCTTY | (wait ? 0 : O_NONBLOCK));
	while (fd < 0 && errno == EINTR);
	if (fd < 0)
		return -errno;
	n = one_read ? read_once(fd, buf, size) : read_all(fd, buf, size);
	close(fd);
	return n;
}

/* Reads at most size bytes of a file; returns the count or -errno. */
ssize_t vh_read_at(int dirfd, const char *rel, char *buf, size_t size)
{
	return read_file_at(dirfd, rel, buf, size, false, false);
}

/* A sysfs attribute gives all it has in one read: no second read to see the end. */
ssize_t vh_read_attr_at(int dirfd, const char *rel, char *buf, size_t size)
{
	return read_file_at(dirfd, rel, buf, size, true, false);
}

static int read_str(int dirfd, const char *rel, char *buf, size_t size, bool wait)
{
	ssize_t n = read_file_at(dirfd, rel, buf, size - 1, false, wait);

	if (n < 0) {
		buf[0] = '\0';
		return (int)n;
	}
	buf[n] = '\0';
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = '\0';
	return 0;
}

/* Reads a one-line attribute, without its trailing newline. */
int vh_read_str_at(int dirfd, const char *rel, char *buf, size_t size)
{
	return read_str(dirfd, rel, buf, size, false);
}

/* The same, for an attribute whose read may wait in the kernel (driver_override takes the
 * device lock): only a worker child calls it, and a fake tree's FIFO then waits too, as the
 * device lock would. */
int vh_read_str_wait_at(int dirfd, const char *rel, char *buf, size_t size)
{
	return read_str(dirfd, rel, buf, size, true);
}

int vh_read_int_at(int dirfd, const char *rel, long long *out)
{
	char buf[64], *end;
	int err = vh_read_str_at(dirfd, rel, buf, sizeof(buf));

	if (err < 0)
		return err;
	errno = 0;
	*out = strtoll(buf, &end, 0);
	if (errno || end == buf || *end != '\0')
		return -EINVAL;
	return 0;
}

/* One write(2) of the whole string, as sysfs wants it. */
int vh_write_at(int dirfd, const char *rel, const char *data)
{
	size_t len = strlen(data);
	ssize_t n;
	int fd, err = 0;

	fd = openat(dirfd, rel, O_WRONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	do
		n = write(fd, data, len);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		err = -errno;
	else if ((size_t)n != len)
		err = -EIO;
	if (close(fd) < 0 && err == 0 && errno != EINTR)
		err = -errno;
	return err;
}

/* The last component of a symlink's target (e.g. the group of iommu_group). */
int vh_link_base_at(int dirfd, const char *rel, char *buf, size_t size)
{
	char target[512];
	const char *base;
	ssize_t n = readlinkat(dirfd, rel, target, sizeof(target) - 1);

	if (n < 0)
		return -errno;
	if ((size_t)n >= sizeof(target) - 1)
		return -ENAMETOOLONG;
	target[n] = '\0';
	base = strrchr(target, '/');
	base = base ? base + 1 : target;
	return vh_fmt(buf, size, "%s", base);
}

/* Reads a whole file into a malloc'd, NUL-terminated buffer owned by the caller. */
int vh_read_whole_at(int dirfd, const char *rel, char **out, size_t *len, size_t max)
{
	struct stat st;
	char *buf;
	ssize_t n;
	int fd;

	fd = openat(dirfd, rel, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		int err = -errno;
		close(fd);
		return err;
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return S_ISDIR(st.st_mode) ? -EISDIR : -EINVAL;
	}
	if ((uint64_t)st.st_size > max) {
		close(fd);
		return -EFBIG;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	n = read_all(fd, buf, (size_t)st.st_size);
	close(fd);
	if (n < 0) {
		free(buf);
		return (int)n;
	}
	buf[n] = '\0';
	*out = buf;
	*len = (size_t)n;
	return 0;
}

/* Reads a file whose size stat cannot tell (procfs) into a malloc'd, NUL-terminated buffer
 * owned by the caller, growing it up to max bytes. */
int vh_read_stream_at(int dirfd, const char *rel, char **out, size_t *len, size_t max)
{
	size_t cap = 16384, got = 0;
	char *buf = malloc(cap), *bigger;
	ssize_t n;
	int fd = openat(dirfd, rel, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);

	if (fd < 0 || !buf) {
		int err = fd < 0 ? -errno : -ENOMEM;
		if (fd >= 0)
			close(fd);
		free(buf);
		return err;
	}
	while ((n = read_all(fd, buf + got, cap - 1 - got)) > 0) {
		got += (size_t)n;
		if (got < cap - 1 || cap >= max)
			break;
		bigger = realloc(buf, cap * 2);
		if (!bigger)
			break;
		buf = bigger;
		cap *= 2;
	}
	close(fd);
	buf[got] = '\0';
	*out = buf;
	*len = got;
	return 0;
}

/* Calls fn(name, arg) for each entry of the directory rel under dirfd but those whose name
 * starts with a dot, until fn returns non-zero. Returns that value, 0 once every entry was
 * seen, or -errno when the directory cannot be opened or read (a readdir error included). */
int vh_dir_each(int dirfd, const char *rel, int (*fn)(const char *name, void *arg), void *arg)
{
	int fd = openat(dirfd, rel, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct dirent *e;
	DIR *d;
	int rc = 0;

	if (fd < 0)
		return -errno;
	d = fdopendir(fd);
	if (!d) {
		rc = -errno;
		close(fd);
		return rc;
	}
	for (;;) {
		errno = 0;
		e = readdir(d);
		if (!e) {
			rc = errno ? -errno : 0;
			break;
		}
		if (e->d_name[0] != '.' && (rc = fn(e->d_name, arg)) != 0)
			break;
	}
	closedir(d);
	return rc;
}

static int count_entry(const char *name, void *arg)
{
	(void)name;
	(*(size_t *)arg)++;
	return 0;
}

/* How many entries the directory holds, dot files aside. */
int vh_dir_count(int dirfd, const char *rel, size_t *n)
{
	*n = 0;
	return vh_dir_each(dirfd, rel, count_entry, n);
}

/* mkdir -p of a relative path under dirfd. */
int vh_mkdirs_at(int dirfd, const char *rel)
{
	char path[512];
	char *p;

	if (vh_fmt(path, sizeof(path), "%s", rel) < 0)
		return -ENAMETOOLONG;
	for (p = path + 1;; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		char c = *p;
		*p = '\0';
		if (mkdirat(dirfd, path, 0755) < 0 && errno != EEXIST)
			return -errno;
		*p = c;
		if (c == '\0')
			break;
	}
	return 0;
}
