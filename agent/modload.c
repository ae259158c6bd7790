/* modload: make sure vfio-pci is there, through libkmod: dependencies, soft dependencies and
 * /etc/modprobe.d options included, plus the policy's options; a built-in vfio-pci is fine. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <fcntl.h>
#include <libkmod.h>
#include <string.h>
#include <sys/stat.h>

#include "vfiohost.h"

struct load {
	const char *options;
	struct vh_log *lg;
};

static void kmod_to_log(void *data, int priority, const char *file, int line, const char *fn,
			const char *format, va_list args)
{
	struct load *ld = data;
	char msg[512];

	(void)file;
	(void)line;
	(void)fn;
	vsnprintf(msg, sizeof(msg), format, args);
	vh_log(ld->lg, priority <= 3 ? VH_ERR : VH_INFO, "libkmod: %s", msg);
}

/* Runs in a child (see child.c): module init probes devices and may block. */
static int insert_vfio_pci(void *arg)
{
	struct load *ld = arg;
	struct kmod_ctx *ctx = kmod_new(NULL, NULL);
	struct kmod_list *list = NULL;
	int rc;

	if (!ctx)
		return -ENOMEM;
	kmod_set_log_fn(ctx, kmod_to_log, ld);
	rc = kmod_module_new_from_lookup(ctx, "vfio-pci", &list);
	if (rc == 0 && !list)
		rc = -ENOENT;
	if (rc == 0) {
		struct kmod_module *mod = kmod_module_get_module(list);
		rc = kmod_module_probe_insert_module(mod, 0, ld->options[0] ? ld->options : NULL,
						     NULL, NULL, NULL);
		kmod_module_unref(mod);
		if (rc > 0)
			rc = -EPERM; /* blacklisted or refused by an install command */
	}
	kmod_module_unref_list(list);
	kmod_unref(ctx);
	return rc < 0 ? rc : 0;
}

int vh_load_vfio_pci(const struct vh_root *r, const char *options, struct vh_log *lg,
		     const struct vh_deadline *dl)
{
	struct load ld = {.options = options, .lg = lg};
	struct stat st;
	int rc;

	if (fstatat(r->fd, "sys/bus/pci/drivers/vfio-pci", &st, 0) == 0) {
		vh_log(lg, VH_INFO, "vfio-pci is already loaded or built in");
		return 0;
	}
	if (!r->is_slash) {
		vh_log(lg, VH_INFO, "would load vfio-pci%s%s (not under --root %s)",
		       options[0] ? " with " : "", options, r->path);
		return 0;
	}
	rc = vh_child_run(insert_vfio_pci, &ld, dl);
	if (rc == 0)
		vh_log(lg, VH_INFO, "loaded vfio-pci with libkmod%s%s", options[0] ? " with " : "",
		       options);
	else
		vh_log(lg, VH_ERR, "cannot load vfio-pci: %s",
		       rc == -ETIMEDOUT ? "it hung past the deadline" : strerror(-rc));
	return rc;
}
