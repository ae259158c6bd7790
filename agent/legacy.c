/* legacy: discovery of the hand-made VFIO settings that `vfiohost import` replaces. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "legacy.h"

#define FILE_MAX (1 << 20)

static struct vh_leg_item *add(struct vh_legacy *l, uint8_t src, const char *text, size_t len)
{
	struct vh_leg_item *it;

	if (l->n == VH_LEG_MAX) {
		l->dropped++;
		return NULL;
	}
	it = &l->it[l->n++];
	memset(it, 0, sizeof(*it));
	it->src = src;
	if (len >= sizeof(it->text))
		len = sizeof(it->text) - 1;
	memcpy(it->text, text, len);
	return it;
}

static bool starts(const char *s, size_t len, const char *prefix)
{
	size_t pl = strlen(prefix);

	return len >= pl && strncmp(s, prefix, pl) == 0;
}

static bool cmdline_word(const char *s, size_t len)
{
	return starts(s, len, "vfio-pci.") || starts(s, len, "vfio_pci.") ||
	       starts(s, len, "modprobe.blacklist=") || starts(s, len, "hugepages=") ||
	       starts(s, len, "hugepagesz=") || starts(s, len, "default_hugepagesz=");
}

static void read_cmdline(const struct vh_root *r, struct vh_legacy *l)
{
	char buf[4096] = "";
	struct vh_leg_item *it;

	vh_read_cmdline(r, buf, sizeof(buf));
	for (const char *s = buf; *s;) {
		size_t len;
		while (*s == ' ' || *s == '\t' || *s == '\n')
			s++;
		len = strcspn(s, " \t\n");
		if (len && cmdline_word(s, len) && (it = add(l, VH_LEG_CMDLINE, s, len)))
			snprintf(it->where, sizeof(it->where), "/proc/cmdline");
		s += len;
	}
}

/* Does this modprobe.d line configure vfio-pci: its options, or a softdep on it? */
static bool modprobe_line(const char *s)
{
	const char *pre;

	if (!strncmp(s, "options vfio-pci ", 17) || !strncmp(s, "options vfio_pci ", 17))
		return true;
	if (strncmp(s, "softdep ", 8) || !(pre = strstr(s, " pre:")))
		return false;
	return strstr(pre, " vfio-pci") || strstr(pre, " vfio_pci");
}

static bool initrd_line(const char *s)
{
	return !strncmp(s, "vfio", 4);
}

/* Trims a comment and the blanks around a line in place; returns its start. */
static char *trim(char *line)
{
	size_t len;

	line[strcspn(line, "#")] = '\0';
	while (*line == ' ' || *line == '\t')
		line++;
	len = strlen(line);
	while (len && (line[len - 1] == ' ' || line[len - 1] == '\t' || line[len - 1] == '\r'))
		line[--len] = '\0';
	return line;
}

/* Each line of the file rel that want() picks becomes an item named rel:LINE. */
static void read_lines(const struct vh_root *r, const char *rel, uint8_t src,
		       bool (*want)(const char *), struct vh_legacy *l, struct vh_msgs *warn)
{
	struct vh_leg_item *it;
	char *text, *next;
	size_t len;
	int rc = vh_read_whole_at(r->fd, rel, &text, &len, FILE_MAX), no = 0;

	if (rc < 0) {
		if (rc != -ENOENT)
			vh_msgs_add(warn, "/%s: cannot read it: %s", rel, strerror(-rc));
		return;
	}
	for (char *p = text; p; p = next) {
		char *line;
		next = strchr(p, '\n');
		if (next)
			*next++ = '\0';
		no++;
		line = trim(p);
		if (*line && want(line) && (it = add(l, src, line, strlen(line))))
			snprintf(it->where, sizeof(it->where), "/%s:%d", rel, no);
	}
	free(text);
}

struct names {
	char name[64][128];
	int n;
	const char *suffix; /* only names ending so, or NULL */
};

static int add_name(const char *name, void *arg)
{
	struct names *ns = arg;
	size_t len = strlen(name), sl = ns->suffix ? strlen(ns->suffix) : 0;

	if (len < sl || (sl && strcmp(name + len - sl, ns->suffix)) || len >= 128 || ns->n == 64)
		return 0;
	memcpy(ns->name[ns->n++], name, len + 1);
	return 0;
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* The names in the folder rel, sorted (modprobe reads modprobe.d in that order). */
static int list_names(const struct vh_root *r, const char *rel, struct names *ns,
		      struct vh_msgs *warn)
{
	int rc = vh_dir_each(r->fd, rel, add_name, ns);

	if (rc < 0 && rc != -ENOENT)
		vh_msgs_add(warn, "/%s: cannot list it: %s", rel, strerror(-rc));
	qsort(ns->name, (size_t)ns->n, sizeof(ns->name[0]), cmp_name);
	return rc;
}

static void read_modprobe(const struct vh_root *r, struct vh_legacy *l, struct vh_msgs *warn)
{
	struct names *ns = calloc(1, sizeof(*ns));
	char rel[192];

	if (!ns)
		return;
	ns->suffix = ".conf";
	list_names(r, "etc/modprobe.d", ns, warn);
	for (int i = 0; i < ns->n; i++)
		if (vh_fmt(rel, sizeof(rel), "etc/modprobe.d/%s", ns->name[i]) == 0)
			read_lines(r, rel, VH_LEG_MODPROBE, modprobe_line, l, warn);
	free(ns);
}

/* driverctl keeps one override a file: /etc/driverctl.d/pci-BDF holding the driver. */
static void read_driverctl(const struct vh_root *r, struct vh_legacy *l, struct vh_msgs *warn)
{
	struct names *ns = calloc(1, sizeof(*ns));
	char rel[192], drv[64], text[256];
	struct vh_leg_item *it;

	if (!ns)
		return;
	list_names(r, "etc/driverctl.d", ns, warn);
	for (int i = 0; i < ns->n; i++) {
		if (vh_fmt(rel, sizeof(rel), "etc/driverctl.d/%s", ns->name[i]) < 0)
			continue;
		if (vh_read_str_at(r->fd, rel, drv, sizeof(drv)) < 0) {
			vh_msgs_add(warn, "/%s: cannot read it", rel);
			continue;
		}
		snprintf(text, sizeof(text), "%s %s", ns->name[i], trim(drv));
		if ((it = add(l, VH_LEG_DRIVERCTL, text, strlen(text))))
			snprintf(it->where, sizeof(it->where), "/%s", rel);
	}
	free(ns);
}

int vh_legacy_read(const struct vh_root *r, struct vh_legacy *l, struct vh_msgs *warn)
{
	memset(l, 0, sizeof(*l));
	read_cmdline(r, l);
	read_modprobe(r, l, warn);
	read_driverctl(r, l, warn);
	read_lines(r, "etc/initramfs-tools/modules", VH_LEG_INITRD, initrd_line, l, warn);
	if (l->dropped)
		vh_msgs_add(warn, "%d more settings than import keeps (%d) were left out",
			    l->dropped, VH_LEG_MAX);
	return 0;
}
