/* cmd_import: `vfiohost import`: prints the policy equivalent to the host's hand-made VFIO
 * settings, the order in which to remove those it makes redundant, and what it cannot say. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "legacy.h"

static const char *size_name(uint64_t kib)
{
	return kib == 1048576 ? "1G" : "2M";
}

static void print_vfio(const struct vh_import *im, FILE *f)
{
	fprintf(f, "[vfio]\n");
	for (int i = 0; i < im->nbind; i++)
		fprintf(f, "bind = %-24s # %s\n", im->bind[i], im->bind_from[i]);
	if (im->nbind) {
		fprintf(f, "companions = no          # the old setup took only what it named\n");
		fprintf(f,
			"boot-vga = allow         # it bound the boot display too, when named\n");
		fprintf(f, "isolation = warn         # it bound whatever shared the IOMMU group\n");
	}
	if (im->options[0])
		fprintf(f, "options = %s\n", im->options);
}

static void print_hugepages(const struct vh_import *im, FILE *f)
{
	if (!im->hp_kib)
		return;
	fprintf(f, "\n[hugepages]\n");
	fprintf(f, "size = %s\n", size_name(im->hp_kib));
	fprintf(f, "pages = %-8ld              # %s; capped at the budget\n", im->hp_pages,
		im->hp_from);
	fprintf(f, "keep-free = auto\n");
	fprintf(f, "nodes = auto\n");
}

static void print_item(const struct vh_leg_item *it, FILE *f)
{
	bool note = it->note[0];

	if (it->src == VH_LEG_CMDLINE)
		fprintf(f, "#       %s%s%s\n", it->text, note ? ": " : "", it->note);
	else
		fprintf(f, "#       %s: %s%s%s%s\n", it->where, it->text, note ? " (" : "",
			it->note, note ? ")" : "");
}

/* The steps, each old setting in its place: files first, the command line last. */
static void print_removal(const struct vh_legacy *l, FILE *f)
{
	int files = 0, words = 0;

	for (int i = 0; i < l->n; i++)
		if (!l->it[i].keep || l->it[i].note[0])
			l->it[i].src == VH_LEG_CMDLINE ? words++ : files++;
	if (!files && !words)
		return;
	fprintf(f, "\n# Redundant once this policy is in force. Remove them in this order:\n");
	fprintf(
	    f,
	    "#   1. install this file as /etc/vfiohost.conf; check it: vfiohost validate; vfiohost plan\n");
	fprintf(f, "#   2. rebuild the initramfs: update-initramfs -u (or dracut -f)\n");
	fprintf(f, "#   3. reboot; vfiohost status must exit 0\n");
	if (files) {
		fprintf(f, "#   4. remove these settings, then rebuild the initramfs again:\n");
		for (int i = 0; i < l->n; i++)
			if (l->it[i].src != VH_LEG_CMDLINE && (!l->it[i].keep || l->it[i].note[0]))
				print_item(&l->it[i], f);
	}
	if (words) {
		fprintf(
		    f,
		    "#   %d. drop from the boot loader's command line (GRUB_CMDLINE_LINUX in /etc/default/grub, then update-grub):\n",
		    files ? 5 : 4);
		for (int i = 0; i < l->n; i++)
			if (l->it[i].src == VH_LEG_CMDLINE && (!l->it[i].keep || l->it[i].note[0]))
				print_item(&l->it[i], f);
	}
	fprintf(f, "#   %d. reboot; vfiohost status must exit 0 again\n", files && words ? 6 : 5);
}

static void print_warnings(const struct vh_import *im, const struct vh_msgs *read, FILE *f)
{
	if (!im->warn.n && !read->n)
		return;
	fprintf(f, "\n# What the policy cannot say (kept as it is):\n");
	for (int i = 0; i < read->n; i++)
		fprintf(f, "#   %s\n", read->msg[i]);
	for (int i = 0; i < im->warn.n; i++)
		fprintf(f, "#   %s\n", im->warn.msg[i]);
}

static void print_all(const struct vh_legacy *l, const struct vh_import *im,
		      const struct vh_msgs *read, FILE *f)
{
	fprintf(f, "# /etc/vfiohost.conf made by vfiohost import from the hand-made settings of\n");
	fprintf(
	    f,
	    "# /proc/cmdline, /etc/modprobe.d, /etc/driverctl.d and /etc/initramfs-tools/modules\n");
	if (!l->n)
		fprintf(f, "# (none found: this policy binds nothing)\n");
	print_vfio(im, f);
	print_hugepages(im, f);
	print_removal(l, f);
	print_warnings(im, read, f);
}

/* The output is a policy: it must parse, or import has a bug to report, not to print. */
static int self_check(const char *text, size_t len)
{
	struct vh_policy *p = malloc(sizeof(*p));
	int errs;

	if (!p)
		return -ENOMEM;
	vh_policy_init(p, "vfiohost import");
	errs = vh_policy_parse(p, text, len, stderr);
	free(p);
	return errs ? -EINVAL : 0;
}

int vh_cmd_import(const struct vh_opts *o)
{
	struct vh_legacy *l = malloc(sizeof(*l));
	struct vh_import *im = malloc(sizeof(*im));
	struct vh_msgs read = {0};
	char *text = NULL;
	size_t len = 0;
	struct vh_root r;
	FILE *mem;
	int rc = 1;

	if (!l || !im || vh_root_open(&r, o->root, stderr) < 0) {
		free(l);
		free(im);
		return 2;
	}
	vh_legacy_read(&r, l, &read);
	vh_import_rules(l, im);
	mem = open_memstream(&text, &len);
	if (mem) {
		print_all(l, im, &read, mem);
		fclose(mem);
	}
	if (!mem || !text || self_check(text, len) < 0) {
		fprintf(stderr, "vfiohost: import: the policy made does not parse (a bug)\n");
	} else {
		fwrite(text, 1, len, stdout);
		for (int i = 0; i < read.n; i++)
			fprintf(stderr, "vfiohost: import: WARNING: %s\n", read.msg[i]);
		for (int i = 0; i < im->warn.n; i++)
			fprintf(stderr, "vfiohost: import: WARNING: %s\n", im->warn.msg[i]);
		rc = read.n || im->warn.n ? 1 : 0;
	}
	free(text);
	free(l);
	free(im);
	vh_root_close(&r);
	return rc;
}
