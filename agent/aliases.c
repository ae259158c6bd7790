/* aliases: discovery of the kernel's VFIO variant drivers: the vfio_pci: lines of
 * lib/modules/RELEASE/modules.alias (RELEASE from proc/sys/kernel/osrelease), and for each
 * of their modules the pci driver it has registered, where sys/module shows one. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vfiohost.h"

#define MAX_ALIAS_FILE (64u << 20)
#define PREFIX	       "alias vfio_pci:"

/* A name that may become a path component: sysfs and depmod names only. */
static bool plain_name(const char *s, size_t len, const char *extra)
{
	if (len == 0 || s[0] == '.')
		return false;
	for (size_t i = 0; i < len; i++)
		if (!(s[i] >= 'a' && s[i] <= 'z') && !(s[i] >= 'A' && s[i] <= 'Z') &&
		    !(s[i] >= '0' && s[i] <= '9') && !strchr(extra, s[i]))
			return false;
	return true;
}

struct pick {
	char *name;
	size_t size;
	int found;
};

/* Takes the first "pci:NAME" entry in byte order: directories list in no set order. */
static int take_pci(const char *name, void *arg)
{
	struct pick *p = arg;

	if (strncmp(name, "pci:", 4) != 0 || !plain_name(name + 4, strlen(name + 4), "_-.:"))
		return 0;
	if (p->found && strcmp(name + 4, p->name) >= 0)
		return 0;
	if (vh_fmt(p->name, p->size, "%s", name + 4) == 0)
		p->found = 1;
	return 0;
}

int vh_module_driver(int rootfd, const char *module, char *buf, size_t size)
{
	char path[128];
	struct pick p = {buf, size, 0};
	int rc;

	buf[0] = '\0';
	if (!plain_name(module, strlen(module), "_-") ||
	    vh_fmt(path, sizeof(path), "sys/module/%s/drivers", module) < 0)
		return -EINVAL;
	rc = vh_dir_each(rootfd, path, take_pci, &p);
	if (rc < 0)
		return rc;
	return p.found ? 0 : -ENODEV;
}

static int find_module(struct vh_variants *v, const char *name, size_t len)
{
	for (size_t i = 0; i < v->nmod; i++)
		if (strlen(v->mod[i].name) == len && memcmp(v->mod[i].name, name, len) == 0)
			return (int)i;
	if (len >= sizeof(v->mod[0].name))
		return -1;
	memcpy(v->mod[v->nmod].name, name, len);
	v->mod[v->nmod].name[len] = '\0';
	return (int)v->nmod++;
}

/* One "alias vfio_pci:PATTERN MODULE" line into the tables; false when it does not fit. */
static bool add_alias(struct vh_variants *v, const char *line, size_t len)
{
	const char *pat = line + 6, *sp = memchr(pat, ' ', len - 6), *name;
	struct vh_valias *a = &v->alias[v->nalias];
	size_t plen, nlen;
	int m;

	if (!sp)
		return false;
	plen = (size_t)(sp - pat);
	name = sp + 1;
	nlen = len - (size_t)(name - line);
	if (plen >= sizeof(a->pattern) || !plain_name(name, nlen, "_-"))
		return false;
	m = find_module(v, name, nlen);
	if (m < 0)
		return false;
	memcpy(a->pattern, pat, plen);
	a->pattern[plen] = '\0';
	a->stars = 0;
	for (size_t i = 0; i < plen; i++)
		a->stars += pat[i] == '*';
	a->mod = (uint16_t)m;
	v->nalias++;
	return true;
}

/* Counts (tables NULL) or keeps the vfio_pci: lines of TEXT; returns how many were
 * counted, and the lines that did not fit in *bad. */
static size_t scan(struct vh_variants *v, const char *text, size_t len, size_t *bad)
{
	size_t n = 0;

	*bad = 0;
	for (const char *s = text, *end = text + len; s < end;) {
		const char *nl = memchr(s, '\n', (size_t)(end - s));
		size_t l = (size_t)((nl ? nl : end) - s);
		if (l > strlen(PREFIX) && memcmp(s, PREFIX, strlen(PREFIX)) == 0 &&
		    n < VH_MAX_VALIASES) {
			n++;
			if (v->alias && !add_alias(v, s, l))
				(*bad)++;
		}
		s += l + 1;
	}
	return n;
}

/* The release whose modules.alias is read: the one given (plan --kernel, for an image of
 * another kernel), else the running kernel's. */
static int read_release(struct vh_variants *v, const struct vh_root *r, const char *release)
{
	int rc = 0;

	if (release)
		vh_fmt(v->release, sizeof(v->release), "%s", release);
	else
		rc = vh_read_str_at(r->fd, "proc/sys/kernel/osrelease", v->release,
				    sizeof(v->release));
	if (rc < 0)
		return rc;
	return vh_release_valid(v->release) ? 0 : -EINVAL;
}

bool vh_release_valid(const char *release)
{
	size_t len = strlen(release);

	return len > 0 && len < VH_RELEASE_LEN && release[0] != '.' &&
	       plain_name(release, len, "._+-");
}

static int keep_aliases(struct vh_variants *v, const struct vh_root *r, const char *path,
			const char *text, size_t len, FILE *errf)
{
	size_t bad, n = scan(v, text, len, &bad);

	v->alias = calloc(n ? n : 1, sizeof(*v->alias));
	v->mod = calloc(n ? n : 1, sizeof(*v->mod));
	if (!v->alias || !v->mod)
		return -ENOMEM;
	scan(v, text, len, &bad);
	if (bad)
		fprintf(errf, "vfiohost: /%s: %zu vfio_pci: lines malformed or too long: ignored\n",
			path, bad);
	if (n == VH_MAX_VALIASES)
		fprintf(errf, "vfiohost: /%s: only the first %d vfio_pci: aliases are used\n", path,
			VH_MAX_VALIASES);
	for (size_t i = 0; i < v->nmod; i++)
		vh_module_driver(r->fd, v->mod[i].name, v->mod[i].driver, sizeof(v->mod[i].driver));
	return 0;
}

void vh_variants_read(struct vh_variants *v, const struct vh_root *r, const char *release,
		      FILE *errf)
{
	char path[128], *text = NULL;
	size_t len;
	int rc;

	vh_variants_free(v);
	rc = read_release(v, r, release);
	if (rc < 0) {
		fprintf(
		    errf,
		    "vfiohost: %s: cannot read a kernel release (%s): the generic vfio_pci for every function\n",
		    release ? "--kernel" : "proc/sys/kernel/osrelease", strerror(-rc));
		v->rc = rc;
		return;
	}
	vh_fmt(path, sizeof(path), "lib/modules/%s/modules.alias", v->release);
	rc = vh_read_whole_at(r->fd, path, &text, &len, MAX_ALIAS_FILE);
	if (rc == 0)
		rc = keep_aliases(v, r, path, text, len, errf);
	free(text);
	if (rc < 0 && rc != -ENOENT)
		fprintf(
		    errf,
		    "vfiohost: /%s: cannot read it (%s): the generic vfio_pci for every function\n",
		    path, strerror(-rc));
	v->rc = rc;
}

void vh_variants_free(struct vh_variants *v)
{
	free(v->alias);
	free(v->mod);
	memset(v, 0, sizeof(*v));
	v->rc = 1;
}
