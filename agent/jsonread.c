/* jsonread: a small JSON reader for the boot report (status reads what boot wrote).
 * Parses in place into a fixed node table; strings are unescaped where they lie. */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "jsonread.h"

struct reader {
	char *s;
	struct vh_jdoc *d;
	int depth;
};

static void skip_ws(struct reader *r)
{
	while (isspace((unsigned char)*r->s))
		r->s++;
}

static int new_node(struct reader *r, int type)
{
	struct vh_jnode *n;

	if (r->d->n == r->d->cap)
		return -E2BIG;
	n = &r->d->node[r->d->n];
	memset(n, 0, sizeof(*n));
	n->type = type;
	n->first = n->next = -1;
	return r->d->n++;
}

/* Unescapes a string in place; r->s points after its opening quote. */
static int read_string(struct reader *r, char **out)
{
	char *dst = r->s, *src = r->s;

	*out = dst;
	for (; *src && *src != '"'; src++) {
		if (*src != '\\') {
			*dst++ = *src;
			continue;
		}
		src++;
		switch (*src) {
		case 'n': *dst++ = '\n'; break;
		case 't': *dst++ = '\t'; break;
		case 'u':
			if (!isxdigit((unsigned char)src[1]) || !isxdigit((unsigned char)src[2]) ||
			    !isxdigit((unsigned char)src[3]) || !isxdigit((unsigned char)src[4]))
				return -EINVAL;
			*dst++ = (char)strtol((char[3]){src[3], src[4], 0}, NULL, 16);
			src += 4;
			break;
		case '\0': return -EINVAL;
		default: *dst++ = *src; break;
		}
	}
	if (*src != '"')
		return -EINVAL;
	*dst = '\0';
	r->s = src + 1;
	return 0;
}

static int parse_value(struct reader *r);

/* Parses the members of an object or array into the children of node idx. */
static int parse_members(struct reader *r, int idx, char close, bool keys)
{
	int last = -1;

	skip_ws(r);
	if (*r->s == close) {
		r->s++;
		return 0;
	}
	for (;;) {
		char *key = NULL;
		int child;
		skip_ws(r);
		if (keys) {
			if (*r->s++ != '"' || read_string(r, &key) < 0)
				return -EINVAL;
			skip_ws(r);
			if (*r->s++ != ':')
				return -EINVAL;
		}
		child = parse_value(r);
		if (child < 0)
			return child;
		r->d->node[child].key = key;
		if (last < 0)
			r->d->node[idx].first = child;
		else
			r->d->node[last].next = child;
		last = child;
		skip_ws(r);
		if (*r->s == ',') {
			r->s++;
			continue;
		}
		if (*r->s++ != close)
			return -EINVAL;
		return 0;
	}
}

static int parse_value(struct reader *r)
{
	int idx, rc = 0;

	skip_ws(r);
	if (++r->depth > 32)
		return -EINVAL;
	if (*r->s == '{' || *r->s == '[') {
		char open = *r->s++;
		idx = new_node(r, open == '{' ? VH_J_OBJ : VH_J_ARR);
		if (idx >= 0)
			rc = parse_members(r, idx, open == '{' ? '}' : ']', open == '{');
	} else if (*r->s == '"') {
		r->s++;
		idx = new_node(r, VH_J_STR);
		if (idx >= 0)
			rc = read_string(r, &r->d->node[idx].str);
	} else if (strncmp(r->s, "null", 4) == 0 || strncmp(r->s, "true", 4) == 0 ||
		   strncmp(r->s, "false", 5) == 0) {
		idx = new_node(r, *r->s == 'n' ? VH_J_NULL : VH_J_BOOL);
		if (idx >= 0)
			r->d->node[idx].num = *r->s == 't';
		r->s += *r->s == 'f' ? 5 : 4;
	} else {
		char *end;
		idx = new_node(r, VH_J_NUM);
		if (idx >= 0)
			r->d->node[idx].num = strtoll(r->s, &end, 10);
		if (idx >= 0 && end == r->s)
			rc = -EINVAL;
		if (idx >= 0)
			r->s = end;
	}
	r->depth--;
	return rc < 0 ? rc : idx;
}

int vh_json_parse(struct vh_jdoc *d, char *text)
{
	struct reader r = {.s = text, .d = d};
	int rc, cap = 2;

	for (const char *p = text; *p; p++)
		cap += *p == ',' || *p == ':' ||
		       *p == '['; /* every value follows one, or is the root */
	d->n = 0;
	d->cap = cap;
	d->node = calloc((size_t)cap, sizeof(*d->node));
	if (!d->node)
		return -ENOMEM;
	rc = parse_value(&r);
	if (rc < 0)
		return rc;
	skip_ws(&r);
	return *r.s ? -EINVAL : 0;
}

void vh_json_free(struct vh_jdoc *d)
{
	free(d->node);
	d->node = NULL;
	d->n = d->cap = 0;
}

/* The member key of object idx, or -1. */
int vh_jget(const struct vh_jdoc *d, int idx, const char *key)
{
	if (idx < 0 || d->node[idx].type != VH_J_OBJ)
		return -1;
	for (int c = d->node[idx].first; c >= 0; c = d->node[c].next)
		if (d->node[c].key && strcmp(d->node[c].key, key) == 0)
			return c;
	return -1;
}

const char *vh_jstr(const struct vh_jdoc *d, int idx, const char *key)
{
	int c = vh_jget(d, idx, key);

	return c >= 0 && d->node[c].type == VH_J_STR ? d->node[c].str : NULL;
}

long long vh_jnum(const struct vh_jdoc *d, int idx, const char *key, long long dflt)
{
	int c = vh_jget(d, idx, key);

	return c >= 0 && d->node[c].type == VH_J_NUM ? d->node[c].num : dflt;
}
