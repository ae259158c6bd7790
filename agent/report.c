/* report: /run/vfiohost/report.json and the policy copy, each written whole or not at all
 * (a temporary file, then rename). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "vfiohost.h"

/* Writes a file under run/vfiohost through a writer callback, atomically. */
int vh_run_file_write(const struct vh_root *r, const char *name,
		      void (*writer)(FILE *f, const void *arg), const void *arg)
{
	char tmp[96], dst[96];
	FILE *f;
	int fd, rc = 0;

	rc = vh_mkdirs_at(r->fd, VH_RUN_DIR);
	if (rc < 0)
		return rc;
	if (vh_fmt(dst, sizeof(dst), "%s/%s", VH_RUN_DIR, name) < 0 ||
	    vh_fmt(tmp, sizeof(tmp), "%s/.%s.tmp", VH_RUN_DIR, name) < 0)
		return -ENAMETOOLONG; /* a cut name would write another file */
	fd = openat(r->fd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0)
		return -errno;
	f = fdopen(fd, "w");
	if (!f) {
		close(fd);
		return -ENOMEM;
	}
	writer(f, arg);
	if (fflush(f) != 0 || ferror(f))
		rc = -EIO;
	if (fclose(f) != 0 && rc == 0)
		rc = -errno;
	if (rc == 0 && renameat(r->fd, tmp, r->fd, dst) < 0)
		rc = -errno;
	if (rc < 0)
		unlinkat(r->fd, tmp, 0);
	return rc;
}

struct blob {
	const char *data;
	size_t len;
};

static void write_blob(FILE *f, const void *arg)
{
	const struct blob *b = arg;

	fwrite(b->data, 1, b->len, f);
}

int vh_run_copy_write(const struct vh_root *r, const char *name, const char *data, size_t len)
{
	struct blob b = {data, len};

	return vh_run_file_write(r, name, write_blob, &b);
}
