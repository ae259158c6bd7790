/* bootimage: which native GPU drivers the next boot image is configured to hold, from the
 * generators' own configuration: initramfs-tools' modules file, dracut's add_drivers and
 * force_drivers, and modules-load.d (which dracut copies in and loads early). The image
 * itself is not read: it is compressed (zstd, xz, gzip) and may not exist yet under --root. */
#include <stdlib.h>
#include <string.h>

#include "findings.h"

#define CONF_MAX (1u << 20)

/* Native drivers of display functions, with '-' read as '_' as modprobe does. */
static bool native_driver(const char *word, size_t len)
{
	static const char *const names[] = {"nouveau",	      "nvidia",		"nvidia_drm",
					    "nvidia_modeset", "nvidia_current", "amdgpu",
					    "radeon",	      "i915",		"xe"};
	char buf[32];

	if (len == 0 || len >= sizeof(buf))
		return false;
	for (size_t i = 0; i < len; i++)
		buf[i] = word[i] == '-' ? '_' : word[i];
	buf[len] = '\0';
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(buf, names[i]) == 0)
			return true;
	return false;
}

static void add_native(struct vh_ready *rd, const char *word, size_t len, const char *file,
		       int line)
{
	struct vh_native *n;

	if (!native_driver(word, len) || rd->nnative == VH_MAX_NATIVE)
		return;
	n = &rd->native[rd->nnative++];
	vh_fmt(n->driver, sizeof(n->driver), "%.*s", (int)len, word);
	vh_fmt(n->where, sizeof(n->where), "%.100s:%d", file, line);
}

/* Every word of s (up to a '#') that names a native driver; quotes and '=' separate words. */
static void scan_words(struct vh_ready *rd, const char *s, size_t len, const char *file, int line)
{
	static const char seps[] = " \t\"'=+";
	size_t end = strcspn(s, "#");

	if (end < len)
		len = end;
	for (size_t i = 0; i < len;) {
		size_t w = 0;
		i += strspn(s + i, seps);
		while (i + w < len && !strchr(seps, s[i + w]))
			w++;
		if (i >= len)
			break;
		add_native(rd, s + i, w, file, line);
		i += w;
	}
}

/* kind 'm': every line names modules; kind 'd': only dracut's add_drivers and
 * force_drivers assignments do. */
static void scan_file(struct vh_ready *rd, const struct vh_root *r, const char *file, char kind)
{
	char *text = NULL;
	size_t len;
	int lineno = 0;

	if (vh_read_whole_at(r->fd, file, &text, &len, CONF_MAX) < 0)
		return;
	for (const char *l = text; l && *l; lineno++) {
		const char *nl = strchr(l, '\n');
		size_t n = nl ? (size_t)(nl - l) : strlen(l);
		const char *s = l + strspn(l, " \t");
		if (kind == 'm')
			scan_words(rd, l, n, file, lineno + 1);
		else if (strncmp(s, "add_drivers", 11) == 0 || strncmp(s, "force_drivers", 13) == 0)
			scan_words(rd, s + strcspn(s, "="), n - (size_t)(s - l) - strcspn(s, "="),
				   file, lineno + 1);
		l = nl ? nl + 1 : NULL;
	}
	free(text);
}

struct conf_dir {
	struct vh_ready *rd;
	const struct vh_root *r;
	const char *dir;
	char kind;
};

static int scan_entry(const char *name, void *arg)
{
	struct conf_dir *d = arg;
	size_t len = strlen(name);
	char path[160];

	if (len < 6 || strcmp(name + len - 5, ".conf") != 0 ||
	    vh_fmt(path, sizeof(path), "%s/%s", d->dir, name) < 0)
		return 0;
	scan_file(d->rd, d->r, path, d->kind);
	return 0;
}

static void scan_dir(struct vh_ready *rd, const struct vh_root *r, const char *dir, char kind)
{
	struct conf_dir d = {rd, r, dir, kind};

	vh_dir_each(r->fd, dir, scan_entry, &d);
}

void vh_ready_image(struct vh_ready *rd, const struct vh_root *r)
{
	scan_file(rd, r, "etc/initramfs-tools/modules", 'm');
	scan_file(rd, r, "etc/dracut.conf", 'd');
	scan_dir(rd, r, "etc/dracut.conf.d", 'd');
	scan_dir(rd, r, "etc/modules-load.d", 'm');
	vh_fmt(rd->image_config, sizeof(rd->image_config), "%s",
	       "/etc/initramfs-tools/modules, /etc/dracut.conf{,.d/*.conf}, "
	       "/etc/modules-load.d/*.conf");
}
