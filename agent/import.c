/* import: the rules that turn a host's hand-made VFIO settings into a policy, what of them
 * becomes redundant, and what the policy cannot say. No I/O: the model only. */
#include <stdlib.h>
#include <string.h>

#include "legacy.h"

/* Drivers that hand-made setups keep off the GPUs they pass through: the policy binds
 * those GPUs before any of them can load, so the blacklist is no longer needed. */
static const char *const gpu_drivers[] = {
    "nouveau",	     "nvidia",	   "nvidia_drm",     "nvidia_modeset", "nvidia_uvm",
    "nvidiafb",	     "rivafb",	   "radeon",	     "amdgpu",	       "snd_hda_intel",
    "snd-hda-intel", "nvidia-drm", "nvidia-modeset",
};

static bool is_gpu_driver(const char *s, size_t len)
{
	for (size_t i = 0; i < sizeof(gpu_drivers) / sizeof(gpu_drivers[0]); i++)
		if (strlen(gpu_drivers[i]) == len && !strncmp(gpu_drivers[i], s, len))
			return true;
	return false;
}

static void add_bind(struct vh_import *im, const char *sel, const char *from)
{
	for (int i = 0; i < im->nbind; i++)
		if (!strcmp(im->bind[i], sel))
			return;
	if (im->nbind == VH_MAX_SEL) {
		vh_msgs_add(&im->warn, "%s: more than %d bind lines: '%s' left out", from,
			    VH_MAX_SEL, sel);
		return;
	}
	snprintf(im->bind[im->nbind], sizeof(im->bind[0]), "%s", sel);
	snprintf(im->bind_from[im->nbind++], sizeof(im->bind_from[0]), "%s", from);
}

/* One hex field of an id: 1 to 8 digits; 0xffffffff (PCI_ANY_ID) is -1. */
static int hexfield(const char *s, size_t len, long long *v)
{
	char *end;

	if (len == 0 || len > 8 || strspn(s, "0123456789abcdefABCDEF") < len)
		return -1;
	*v = strtoll(s, &end, 16);
	if (*v == 0xffffffffLL)
		*v = -1;
	return 0;
}

/* The class term of a vfio-pci id's class and mask, "" for none, or -1 (the mask is not
 * a whole number of leading bytes, which a class= prefix cannot say). */
static int class_term(long long cls, long long mask, char *buf, size_t size)
{
	if (mask == 0) {
		buf[0] = '\0';
		return 0;
	}
	if (mask == 0xff0000)
		return snprintf(buf, size, " class=%02llx", cls >> 16 & 0xff), 0;
	if (mask == 0xffff00)
		return snprintf(buf, size, " class=%04llx", cls >> 8 & 0xffff), 0;
	if (mask == 0xffffff || mask == -1)
		return snprintf(buf, size, " class=%06llx", cls & 0xffffff), 0;
	return -1;
}

/* One entry of vfio-pci's ids=: vendor:device[:subvendor[:subdevice[:class[:mask]]]]. */
static int id_selector(const char *s, size_t len, char *sel, size_t size)
{
	long long f[6] = {-1, -1, -1, -1, 0, 0};
	char vend[20] = "*", dev[20] = "*", cls[16];
	int n = 0;

	for (size_t i = 0; i <= len && n < 6; n++) {
		size_t fl = strcspn(s + i, ":,");
		if (fl > len - i)
			fl = len - i;
		if (hexfield(s + i, fl, &f[n]) < 0)
			return -1;
		i += fl + 1;
	}
	if (n < 2 || f[2] != -1 || f[3] != -1 || f[0] > 0xffff || f[1] > 0xffff)
		return -1; /* subsystem ids: no selector term matches them */
	if (class_term(f[4], f[5], cls, sizeof(cls)) < 0 || (f[0] < 0 && f[1] < 0 && !cls[0]))
		return -1;
	if (f[0] >= 0)
		snprintf(vend, sizeof(vend), "%04llx", f[0]);
	if (f[1] >= 0)
		snprintf(dev, sizeof(dev), "%04llx", f[1]);
	if (f[0] < 0 && f[1] < 0)
		return vh_fmt(sel, size, "%s", cls + 1);
	return vh_fmt(sel, size, "%s:%s%s", vend, dev, cls);
}

/* The comma list of ids= of item it. */
static void take_ids(struct vh_import *im, struct vh_leg_item *it, const char *v, size_t vlen)
{
	char sel[48];

	for (size_t i = 0; i < vlen;) {
		size_t len = strcspn(v + i, ",");
		if (len > vlen - i)
			len = vlen - i;
		if (len && id_selector(v + i, len, sel, sizeof(sel)) == 0)
			add_bind(im, sel, it->where);
		else if (len) {
			vh_msgs_add(
			    &im->warn,
			    "%s: vfio-pci id '%.*s' names subsystem ids or a class mask that a bind selector cannot say: keep it",
			    it->where, (int)len, v + i);
			it->keep = true;
		}
		i += len + 1;
	}
}

/* One vfio-pci parameter, "ids=..." or "key=value". */
static void take_param(struct vh_import *im, struct vh_leg_item *it, const char *p, size_t len)
{
	size_t used = strlen(im->options);

	if (len > 4 && !strncmp(p, "ids=", 4)) {
		take_ids(im, it, p + 4, len - 4);
		return;
	}
	if (used + len + 2 > sizeof(im->options)) {
		vh_msgs_add(&im->warn,
			    "%s: vfio-pci option '%.*s' does not fit in options =", it->where,
			    (int)len, p);
		it->keep = true;
		return;
	}
	for (const char *o = im->options; *o; o += strcspn(o, " "), o += *o == ' ')
		if (strcspn(o, " ") == len && !strncmp(o, p, len))
			return; /* said already */
	snprintf(im->options + used, sizeof(im->options) - used, "%s%.*s", used ? " " : "",
		 (int)len, p);
}

/* The words of "options vfio-pci A B ..." (and "vfio_pci A B ..." in initramfs modules). */
static void take_params(struct vh_import *im, struct vh_leg_item *it, const char *s)
{
	while (*s) {
		size_t len;
		while (*s == ' ' || *s == '\t')
			s++;
		len = strcspn(s, " \t");
		if (len)
			take_param(im, it, s, len);
		s += len;
	}
}

/* modprobe.blacklist=: the GPU drivers in it are redundant; any other module is not the
 * policy's business, and the word stays with those. */
static void take_blacklist(struct vh_import *im, struct vh_leg_item *it, const char *v)
{
	char others[150] = "";
	size_t on = 0;

	for (const char *s = v; *s;) {
		size_t len = strcspn(s, ",");
		if (len && !is_gpu_driver(s, len) && on + len + 2 < sizeof(others))
			on += (size_t)snprintf(others + on, sizeof(others) - on, "%s%.*s",
					       on ? "," : "", (int)len, s);
		s += len + (s[len] == ',');
	}
	if (!on)
		return;
	it->keep = true;
	snprintf(it->note, sizeof(it->note), "keep modprobe.blacklist=%s", others);
	vh_msgs_add(
	    &im->warn,
	    "%s: modprobe.blacklist= also keeps %s from loading, which is not a GPU driver the policy replaces: keep modprobe.blacklist=%s",
	    it->where, others, others);
}

/* A hugepage size as the kernel takes it (1G, 2M, 2048K): KiB, or 0. */
static uint64_t hp_size(const char *s)
{
	char *end;
	unsigned long long v = strtoull(s, &end, 10);

	if (end == s)
		return 0;
	if (*end == 'G' || *end == 'g')
		v <<= 20;
	else if (*end == 'M' || *end == 'm')
		v <<= 10;
	else if (*end != 'K' && *end != 'k')
		v >>= 10;
	return v == 2048 || v == 1048576 ? v : 0;
}

struct hp_walk {
	uint64_t def, cur; /* default_hugepagesz=, the last hugepagesz= */
	struct vh_leg_item *cur_item;
};

/* hugepages=N applies to the size of the last hugepagesz= before it, or to the default
 * size (default_hugepagesz=, else 2 MiB on x86) when none came first. */
static void take_hugepages(struct vh_import *im, struct hp_walk *w, struct vh_leg_item *it,
			   const char *v)
{
	uint64_t size = w->cur ? w->cur : w->def ? w->def : 2048;
	char *end;
	long n = strtol(v, &end, 10);

	if (end == v || *end || n < 0) {
		it->keep = true;
		vh_msgs_add(
		    &im->warn,
		    "%s: hugepages=%s: per-node counts (or this form) the policy cannot say (it splits the pages with nodes = auto or even): keep it or drop it by hand",
		    it->where, v);
		return;
	}
	if (im->hp_kib && im->hp_kib != size) {
		it->keep = true;
		if (w->cur_item && w->cur)
			w->cur_item->keep = true;
		vh_msgs_add(
		    &im->warn,
		    "%s: hugepages=%s of another size than the first: the policy reserves one size: keep it",
		    it->where, v);
		return;
	}
	if (n == 0)
		return;
	im->hp_kib = size;
	im->hp_pages = n;
	snprintf(im->hp_from, sizeof(im->hp_from), "hugepages=%ld on %s", n, it->where);
}

static void take_cmdline(struct vh_import *im, struct hp_walk *w, struct vh_leg_item *it)
{
	const char *t = it->text, *eq = strchr(t, '=');

	if (!strncmp(t, "vfio-pci.", 9) || !strncmp(t, "vfio_pci.", 9)) {
		take_param(im, it, t + 9, strlen(t + 9));
	} else if (!strncmp(t, "modprobe.blacklist=", 19)) {
		take_blacklist(im, it, eq + 1);
	} else if (!strncmp(t, "hugepagesz=", 11)) {
		if (!(w->cur = hp_size(eq + 1))) {
			it->keep = true;
			vh_msgs_add(&im->warn,
				    "%s: %s: not a size the policy says (1G or 2M): keep it",
				    it->where, t);
		}
		w->cur_item = it;
	} else if (!strncmp(t, "default_hugepagesz=", 19)) {
		w->def = hp_size(eq + 1);
		it->keep = true;
		vh_msgs_add(
		    &im->warn,
		    "%s: %s: the policy does not set the default hugepage size (the page size of /dev/hugepages and of MAP_HUGETLB): keep it, or mount a hugetlbfs with pagesize= that size (vfiohost ships dev-hugepages1G.mount) before dropping it",
		    it->where, t);
	} else if (!strncmp(t, "hugepages=", 10)) {
		take_hugepages(im, w, it, eq + 1);
	}
}

/* driverctl's "pci-BDF DRIVER": vfio-pci becomes a bind of that function. */
static void take_driverctl(struct vh_import *im, struct vh_leg_item *it)
{
	char bdf[32];
	const char *drv;
	size_t len = strcspn(it->text, " ");

	drv = it->text + len + (it->text[len] == ' ');
	if (len > 4 && len - 4 < sizeof(bdf) && !strncmp(it->text, "pci-", 4) &&
	    (!strcmp(drv, "vfio-pci") || !strcmp(drv, "vfio_pci"))) {
		snprintf(bdf, sizeof(bdf), "%.*s", (int)(len - 4), it->text + 4);
		add_bind(im, bdf, it->where);
		snprintf(
		    it->note, sizeof(it->note),
		    "remove the file: driverctl unset-override would give the device back to its driver at once");
		return;
	}
	it->keep = true;
	vh_msgs_add(
	    &im->warn,
	    "%s: an override to '%s', not vfio-pci: the policy binds only to VFIO drivers: keep it",
	    it->where, drv);
}

static void take_modprobe(struct vh_import *im, struct vh_leg_item *it)
{
	if (!strncmp(it->text, "options ", 8)) {
		take_params(im, it, it->text + 17);
		return;
	}
	snprintf(it->note, sizeof(it->note),
		 "the policy binds in the initramfs before any native driver loads");
}

static void take_initrd(struct vh_import *im, struct vh_leg_item *it)
{
	size_t len = strcspn(it->text, " \t");

	if (it->text[len])
		take_params(im, it, it->text + len);
	snprintf(it->note, sizeof(it->note),
		 "vfiohost's hook puts the vfio modules in the image and loads them itself");
}

void vh_import_rules(struct vh_legacy *l, struct vh_import *im)
{
	struct hp_walk w = {0};

	memset(im, 0, sizeof(*im));
	for (int i = 0; i < l->n; i++) {
		struct vh_leg_item *it = &l->it[i];
		switch (it->src) {
		case VH_LEG_CMDLINE: take_cmdline(im, &w, it); break;
		case VH_LEG_MODPROBE: take_modprobe(im, it); break;
		case VH_LEG_DRIVERCTL: take_driverctl(im, it); break;
		default: take_initrd(im, it); break;
		}
	}
	/* A hugepagesz= no count followed says nothing the kernel acts on. */
}
