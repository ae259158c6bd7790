/* cmd_plan: `vfiohost plan` and `vfiohost validate`: decide and show; write nothing. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "context.h"

/* The policy's syntax, and the owner and mode that boot would refuse (the image build
 * hooks run this: exit 2 stops the build, exit 1 is a warning). */
int vh_cmd_validate(const struct vh_opts *o)
{
	struct vh_policy *p;
	const char *unsafe;
	char buf[256];
	struct vh_root r;
	int rc;

	if (vh_root_open(&r, o->root, stderr) < 0)
		return 2;
	p = malloc(sizeof(*p));
	if (!p) {
		fprintf(stderr, "vfiohost: validate: %s\n", strerror(ENOMEM));
		vh_root_close(&r);
		return 1;
	}
	vh_policy_init(p, o->config);
	rc = vh_policy_load(p, &r, stderr);
	unsafe = vh_policy_unsafe(&r, o->config, buf, sizeof(buf));
	if (unsafe)
		fprintf(stderr, "vfiohost: WARNING: %s: boot will refuse to apply it\n", unsafe);
	if (rc == -ENOENT)
		printf("%s: no policy: boot will do nothing\n", o->config);
	else if (rc == 0)
		printf("%s: valid (%d bind, %d skip, hugepages %s)\n", o->config, p->nbind,
		       p->nskip, p->hp.present ? "on" : "off");
	free(p);
	vh_root_close(&r);
	return rc == -EINVAL ? 2 : unsafe ? 1 : 0;
}

/* Notes that do not change the plan: rebuild reminder, unsafe file. */
static void plan_notes(struct vh_ctx *c)
{
	char buf[256];
	const char *unsafe = vh_policy_unsafe(&c->root, c->policy->path, buf, sizeof(buf));

	if (unsafe)
		vh_msgs_add(&c->plan.warn, "%s: boot will refuse to apply it", unsafe);
	vh_read_overrides(&c->plan);
	c->plan.rebuild = vh_policy_changed(&c->root, c->policy->path);
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* plan --modules: the VFIO modules boot would load, one a line in byte order, for the image
 * build hooks (POSIX sh) to put in the initramfs with their dependencies. */
static void print_modules(const struct vh_host *h)
{
	const char **names = calloc(h->var.nmod + 1, sizeof(*names));
	size_t n = 0;

	if (!names) {
		fprintf(stderr, "vfiohost: plan --modules: %s\n", strerror(ENOMEM));
		return;
	}
	for (size_t i = 0; i < h->nfn; i++) {
		const struct vh_fn *fn = &h->fn[i];
		const char *m;
		size_t k = 0;
		if (!fn->selected || (fn->action != VH_BIND && fn->action != VH_KEEP))
			continue;
		m = vh_fn_module(h, fn);
		while (k < n && strcmp(names[k], m) != 0)
			k++;
		if (k == n && n <= h->var.nmod)
			names[n++] = m;
	}
	qsort(names, n, sizeof(*names), cmp_name);
	for (size_t k = 0; k < n; k++)
		printf("%s\n", names[k]);
	free(names);
}

int vh_cmd_plan(const struct vh_opts *o)
{
	struct vh_ctx c;
	int rc = vh_ctx_open(&c, o, stderr);

	if (rc < 0) {
		rc = c.root.fd < 0 ? 2 : 1; /* a --root that is not there is a usage error */
		vh_ctx_close(&c);
		return rc;
	}
	if (c.policy_rc == -EINVAL) {
		vh_ctx_close(&c);
		return 2;
	}
	if (c.policy_rc == -ENOENT && o->modules) {
		vh_ctx_close(&c);
		return 0;
	}
	if (c.policy_rc == -ENOENT) {
		vh_msgs_add(&c.plan.warn, "%s: no policy: boot will do nothing", o->config);
		if (o->json)
			vh_plan_json(&c.plan, stdout, false, NULL, 0);
		else
			printf("%s: no policy: boot will do nothing\n", o->config);
		vh_ctx_close(&c);
		return 0;
	}
	if (o->modules) {
		print_modules(&c.host);
		vh_ctx_close(&c);
		return 0;
	}
	plan_notes(&c);
	if (o->json)
		vh_plan_json(&c.plan, stdout, false, NULL, 0);
	else
		vh_plan_table(&c.plan, stdout);
	if (c.plan.rebuild == 1 && !o->json)
		printf("note: %s differs from the policy of the last boot: %s\n", o->config,
		       VH_REBUILD_HINT);
	rc = c.plan.warn.n || c.plan.count[VH_REFUSE] ? 1 : 0;
	vh_ctx_close(&c);
	return rc;
}
