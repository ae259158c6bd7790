/* pciids: vendor and device names from the pci.ids database, when the host has one. */
#include <stdlib.h>
#include <string.h>

#include "vfiohost.h"

static const char *const paths[] = {"usr/share/misc/pci.ids", "usr/share/hwdata/pci.ids"};

int vh_pciids_open(struct vh_pciids *db, const struct vh_root *r)
{
	size_t len;

	db->text = NULL;
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
		if (vh_read_whole_at(r->fd, paths[i], &db->text, &len, 16u << 20) == 0)
			return 0;
	return -1;
}

void vh_pciids_close(struct vh_pciids *db)
{
	free(db->text);
	db->text = NULL;
}

/* Copies the name after "xxxx  " on the line at s. */
static void copy_name(const char *s, char *buf, size_t size)
{
	size_t len = strcspn(s, "\n");

	vh_fmt(buf, size, "%.*s", (int)(len < size ? len : size - 1), s);
}

/* Fills vendor and device names; returns 0 when the vendor is known. */
int vh_pciids_lookup(const struct vh_pciids *db, uint16_t vendor, uint16_t device, char *vname,
		     size_t vsize, char *dname, size_t dsize)
{
	char key[8];
	const char *s;

	dname[0] = vname[0] = '\0';
	if (!db->text)
		return -1;
	vh_fmt(key, sizeof(key), "\n%04x ", vendor);
	s = strstr(db->text, key);
	if (!s)
		return -1;
	copy_name(s + 7, vname, vsize);
	vh_fmt(key, sizeof(key), "\t%04x ", device);
	for (s = strchr(s + 1, '\n'); s && (s[1] == '\t' || s[1] == '#'); s = strchr(s + 1, '\n'))
		if (strncmp(s + 1, key, 6) == 0) {
			copy_name(s + 8, dname, dsize);
			break;
		}
	return 0;
}
