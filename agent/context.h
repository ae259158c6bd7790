/* context: the state one command works on, opened and closed in one place. */
#ifndef VFIOHOST_CONTEXT_H
#define VFIOHOST_CONTEXT_H

#include "vfiohost.h"

struct vh_ctx {
	struct vh_root root;
	struct vh_policy *policy; /* owned; large, so on the heap */
	int policy_rc;
	struct vh_host host;
	struct vh_plan plan;
};

int vh_ctx_open(struct vh_ctx *c, const struct vh_opts *o, FILE *errf);
void vh_ctx_close(struct vh_ctx *c);

#endif
