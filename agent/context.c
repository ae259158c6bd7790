/* context: what every command that decides shares: root, policy, host, plan. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "context.h"

static bool any_selected(const struct vh_host *h)
{
	for (size_t i = 0; i < h->nfn; i++)
		if (h->fn[i].selected)
			return true;
	return false;
}

/* Loads the policy and the host and decides; the policy outcome is in c->policy_rc
 * (0, -ENOENT: no policy, -EINVAL: invalid). Returns -errno only when the host
 * itself cannot be read. */
int vh_ctx_open(struct vh_ctx *c, const struct vh_opts *o, FILE *errf)
{
	int rc;

	memset(c, 0, sizeof(*c));
	c->host.devfd = -1;
	rc = vh_root_open(&c->root, o->root, errf);
	if (rc < 0)
		return rc;
	c->policy = malloc(sizeof(*c->policy));
	if (!c->policy)
		return -ENOMEM;
	vh_policy_init(c->policy, o->config);
	c->policy_rc = vh_policy_load(c->policy, &c->root, errf);
	rc = vh_host_discover(&c->host, &c->root, errf);
	if (rc < 0)
		return rc;
	vh_cmdline_args(c->host.cmdline, &c->host.args, errf);
	vh_plan_init(&c->plan, c->policy, &c->host);
	if (c->policy_rc == 0) {
		vh_select(&c->plan);
		vh_host_detail(&c->host, &c->root); /* what the rules need of what was selected */
		if (c->policy->driver_auto && any_selected(&c->host))
			vh_variants_read(&c->host.var, &c->root, o->kernel, errf);
		vh_decide(&c->plan);
	}
	return 0;
}

void vh_ctx_close(struct vh_ctx *c)
{
	vh_plan_free(&c->plan);
	vh_host_free(&c->host);
	free(c->policy);
	c->policy = NULL;
	vh_root_close(&c->root);
}
