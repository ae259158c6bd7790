/* modload: make sure vfio-pci, and each VFIO variant module the plan chose, is there.
 * libkmod resolves each (alias, dependencies, soft
 * dependencies, /etc/modprobe.d options); the agent inserts each module itself with
 * finit_module, asking the kernel to decompress a .ko.xz, .ko.zst or .ko.gz where the kernel
 * says it can (/sys/module/compression), so any libkmod build loads any module format. */
#include <errno.h>
#include <fcntl.h>
#include <libkmod.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "vfiohost.h"

#ifndef MODULE_INIT_COMPRESSED_FILE
#define MODULE_INIT_COMPRESSED_FILE 4 /* linux/module.h, 5.17+ */
#endif

/* Soft and hard dependencies nest only a few levels; a loop in them must end. */
#define MAX_DEPTH 16

struct load {
	int rootfd;
	const char *name;    /* what to look up: "vfio-pci", or a variant's module name */
	const char *options; /* the policy's (vfio-pci only), for the top module only */
	struct vh_log *lg;
	char kernel_comp[16]; /* what /sys/module/compression names, or "" */
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

/* The compression of a module file from its magic bytes: "xz", "zstd", "gzip", or NULL. */
static const char *file_compression(int fd)
{
	static const unsigned char xz[] = {0xfd, '7', 'z', 'X', 'Z', 0};
	static const unsigned char zstd[] = {0x28, 0xb5, 0x2f, 0xfd};
	static const unsigned char gzip[] = {0x1f, 0x8b};
	unsigned char m[6];

	if (pread(fd, m, sizeof(m), 0) != (ssize_t)sizeof(m))
		return NULL;
	if (!memcmp(m, xz, sizeof(xz)))
		return "xz";
	if (!memcmp(m, zstd, sizeof(zstd)))
		return "zstd";
	if (!memcmp(m, gzip, sizeof(gzip)))
		return "gzip";
	return NULL;
}

static int finit(int fd, const char *options, int flags)
{
	long rc;

	do
		rc = syscall(SYS_finit_module, fd, options, flags);
	while (rc < 0 && errno == EINTR);
	return rc < 0 ? -errno : 0;
}

/* Inserts one module file with OPTIONS; a module the kernel already has is fine. */
static int insert_file(struct load *ld, const char *name, const char *path, const char *options)
{
	const char *comp;
	int fd, rc, flags = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		rc = -errno;
		vh_log(ld->lg, VH_ERR, "cannot open the module %s: %s", path, strerror(-rc));
		return rc;
	}
	comp = file_compression(fd);
	if (comp && strcmp(comp, ld->kernel_comp) != 0) {
		vh_log(ld->lg, VH_ERR,
		       "cannot load %s: %s is %s-compressed, the kernel decompresses %s", name,
		       path, comp, ld->kernel_comp[0] ? ld->kernel_comp : "no modules");
		close(fd);
		return -ENOEXEC;
	}
	if (comp)
		flags = MODULE_INIT_COMPRESSED_FILE;
	rc = finit(fd, options, flags);
	close(fd);
	if (rc == -EEXIST)
		return 0;
	if (rc < 0) {
		vh_log(ld->lg, VH_ERR, "%s: finit_module failed: %s", path, strerror(-rc));
		return rc;
	}
	vh_log(ld->lg, VH_INFO, "inserted %s from %s%s%s%s%s%s", name, path, comp ? " (" : "",
	       comp ? comp : "", comp ? ", decompressed by the kernel)" : "",
	       options[0] ? " with " : "", options);
	return 0;
}

/* The module's /etc/modprobe.d options, then EXTRA (the policy's), then async_probe: without
 * it the kernel ends every module's init by waiting for all asynchronous probes in the
 * system (async_synchronize_full), so one hung probe anywhere (a driver holding a GPU's
 * lock) would hold vfio-pci's load past the deadline. Devices still being probed when the
 * load returns are probed again, and verified, by their group's worker. */
static int module_options(struct kmod_module *m, const char *extra, char *buf, size_t size)
{
	const char *conf = kmod_module_get_options(m);

	if (!conf)
		conf = "";
	if (vh_fmt(buf, size, "%s%s%s%sasync_probe", conf, conf[0] ? " " : "", extra,
		   extra[0] ? " " : "") < 0)
		return -E2BIG;
	return 0;
}

static int insert_tree(struct load *ld, struct kmod_module *m, const char *extra, int depth);

/* Inserts every module of LIST; with REQUIRED, the first failure ends it. */
static int insert_list(struct load *ld, struct kmod_list *list, bool required, int depth)
{
	struct kmod_list *l;
	int rc;

	kmod_list_foreach(l, list)
	{
		struct kmod_module *d = kmod_module_get_module(l);

		rc = insert_tree(ld, d, "", depth + 1);
		if (rc < 0 && !required)
			vh_log(ld->lg, VH_WARNING, "soft dependency %s not loaded: %s",
			       kmod_module_get_name(d), strerror(-rc));
		kmod_module_unref(d);
		if (rc < 0 && required)
			return rc;
	}
	return 0;
}

/* Soft dependencies before, hard dependencies, the module, soft dependencies after. */
static int insert_tree(struct load *ld, struct kmod_module *m, const char *extra, int depth)
{
	struct kmod_list *pre = NULL, *post = NULL, *deps;
	const char *name = kmod_module_get_name(m), *path;
	char opts[512];
	int state = kmod_module_get_initstate(m), rc;

	if (state == KMOD_MODULE_LIVE || state == KMOD_MODULE_BUILTIN ||
	    state == KMOD_MODULE_COMING)
		return 0;
	if (depth > MAX_DEPTH) {
		vh_log(ld->lg, VH_ERR, "cannot load %s: dependencies nest deeper than %d", name,
		       MAX_DEPTH);
		return -ELOOP;
	}
	path = kmod_module_get_path(m);
	if (!path) {
		vh_log(ld->lg, VH_ERR, "cannot load %s: not in modules.dep", name);
		return -ENOENT;
	}
	if (kmod_module_get_install_commands(m))
		vh_log(ld->lg, VH_WARNING,
		       "%s has an install command in modprobe.d: not run, the agent inserts it",
		       name);
	rc = module_options(m, extra, opts, sizeof(opts));
	if (rc < 0) {
		vh_log(ld->lg, VH_ERR, "cannot load %s: its options are longer than %zu bytes",
		       name, sizeof(opts) - 1);
		return rc;
	}
	if (kmod_module_get_softdeps(m, &pre, &post) == 0)
		insert_list(ld, pre, false, depth);
	deps = kmod_module_get_dependencies(m);
	rc = insert_list(ld, deps, true, depth);
	kmod_module_unref_list(deps);
	if (rc == 0)
		rc = insert_file(ld, name, path, opts);
	if (rc == 0)
		insert_list(ld, post, false, depth);
	kmod_module_unref_list(pre);
	kmod_module_unref_list(post);
	return rc;
}

/* Runs in a child (see child.c): module init probes devices and may block. */
static int insert_module(void *arg)
{
	struct load *ld = arg;
	struct kmod_ctx *ctx = kmod_new(NULL, NULL);
	struct kmod_list *list = NULL;
	int rc;

	if (!ctx)
		return -ENOMEM;
	kmod_set_log_fn(ctx, kmod_to_log, ld);
	rc = kmod_module_new_from_lookup(ctx, ld->name, &list);
	if (rc == 0 && !list)
		rc = -ENOENT;
	if (rc == 0) {
		struct kmod_module *mod = kmod_module_get_module(list);
		rc = insert_tree(ld, mod, ld->options, 0);
		kmod_module_unref(mod);
	}
	kmod_module_unref_list(list);
	kmod_unref(ctx);
	return rc;
}

/* What /sys/module/compression names ("xz", "zstd", "gzip"), or "" where the kernel
 * decompresses no modules (no CONFIG_MODULE_DECOMPRESS). */
static void kernel_compression(int rootfd, char *buf, size_t size)
{
	if (vh_read_str_at(rootfd, "sys/module/compression", buf, size) < 0)
		buf[0] = '\0';
}

/* Loads NAME with OPTIONS through libkmod, in a child with the deadline; under a root other
 * than "/" only says what it would load. */
static int load(const struct vh_root *r, const char *name, const char *options, struct vh_log *lg,
		const struct vh_deadline *dl)
{
	struct load ld = {.rootfd = r->fd, .name = name, .options = options, .lg = lg};
	int rc;

	if (!r->is_slash) {
		vh_log(lg, VH_INFO, "would load %s%s%s (not under --root %s)", name,
		       options[0] ? " with " : "", options, r->path);
		return 0;
	}
	kernel_compression(r->fd, ld.kernel_comp, sizeof(ld.kernel_comp));
	rc = vh_child_run(insert_module, &ld, dl);
	if (rc == 0)
		vh_log(lg, VH_INFO, "loaded %s with libkmod%s%s", name, options[0] ? " with " : "",
		       options);
	else
		vh_log(lg, VH_ERR, "%s: loading failed: %s", name,
		       rc == -ETIMEDOUT ? "it hung past the deadline" : strerror(-rc));
	return rc;
}

int vh_load_vfio_pci(const struct vh_root *r, const char *options, struct vh_log *lg,
		     const struct vh_deadline *dl)
{
	struct stat st;

	if (fstatat(r->fd, "sys/bus/pci/drivers/vfio-pci", &st, 0) == 0) {
		vh_log(lg, VH_INFO, "vfio-pci is already loaded or built in");
		return 0;
	}
	return load(r, "vfio-pci", options, lg, dl);
}

/* A variant is there once sys/module/NAME/drivers names its pci driver: then it is said. */
int vh_load_variant(const struct vh_root *r, const char *module, struct vh_log *lg,
		    const struct vh_deadline *dl)
{
	char drv[32];
	int rc;

	if (vh_module_driver(r->fd, module, drv, sizeof(drv)) == 0) {
		vh_log(lg, VH_INFO, "%s is already loaded or built in: its pci driver is %s",
		       module, drv);
		return 0;
	}
	rc = load(r, module, "", lg, dl);
	if (rc < 0)
		return rc;
	rc = vh_module_driver(r->fd, module, drv, sizeof(drv));
	if (rc == 0)
		vh_log(lg, VH_INFO,
		       "%s registered the pci driver %s (/sys/module/%s/drivers/pci:%s)", module,
		       drv, module, drv);
	else
		vh_log(lg, VH_ERR, "%s: /sys/module/%s/drivers names no pci driver (%s)", module,
		       module, rc == -ENOENT ? "the module is not loaded" : strerror(-rc));
	return rc;
}
