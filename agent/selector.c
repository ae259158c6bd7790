/* selector: parse and match the terms of `bind` and `skip` lines. */
#include <ctype.h>
#include <errno.h>
#include <string.h>
#include <strings.h>

#include "vfiohost.h"

/* Parses exactly len hex digits (1..8); -1 on anything else. */
static long hex_n(const char *s, size_t len)
{
	long v = 0;

	if (len == 0 || len > 8)
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (!isxdigit((unsigned char)s[i]))
			return -1;
		v = v * 16 + (isdigit((unsigned char)s[i])
				  ? s[i] - '0'
				  : tolower((unsigned char)s[i]) - 'a' + 10);
	}
	return v;
}

/* "[DDDD:]BB:SS[.F]"; returns 0 or -EINVAL. */
int vh_addr_parse(const char *t, size_t len, struct vh_addr *a)
{
	const char *c1 = memchr(t, ':', len), *c2, *dot;
	long dom = 0, bus, slot, fn = -1;

	if (!c1)
		return -EINVAL;
	c2 = memchr(c1 + 1, ':', len - (size_t)(c1 + 1 - t));
	if (c2) {
		if (c1 - t != 4 || (dom = hex_n(t, 4)) < 0)
			return -EINVAL;
		len -= (size_t)(c1 + 1 - t);
		t = c1 + 1;
		c1 = c2;
	}
	dot = memchr(c1, '.', len - (size_t)(c1 - t));
	bus = c1 - t == 2 ? hex_n(t, 2) : -1;
	slot = hex_n(c1 + 1, (size_t)((dot ? dot : t + len) - (c1 + 1)));
	if (dot) {
		if (t + len - dot != 2 || dot[1] < '0' || dot[1] > '7')
			return -EINVAL;
		fn = dot[1] - '0';
	}
	if (bus < 0 || slot < 0 || slot > 0x1f || (dot ? dot : t + len) - (c1 + 1) != 2)
		return -EINVAL;
	a->domain = (uint32_t)dom;
	a->bus = (uint8_t)bus;
	a->slot = (uint8_t)slot;
	a->func = (int8_t)fn;
	return 0;
}

/* "VVVV:DDDD" with either half "*". */
static int id_parse(const char *t, size_t len, struct vh_idpat *id)
{
	const char *c = memchr(t, ':', len);
	size_t l1, l2;

	if (!c)
		return -EINVAL;
	l1 = (size_t)(c - t);
	l2 = len - l1 - 1;
	long v = (l1 == 1 && t[0] == '*') ? -1 : (l1 == 4 ? hex_n(t, 4) : -2);
	long d = (l2 == 1 && c[1] == '*') ? -1 : (l2 == 4 ? hex_n(c + 1, 4) : -2);

	/* hex_n says -1 for "not hex", which must not read as the wildcard */
	if ((v == -1 && t[0] != '*') || (d == -1 && c[1] != '*') || v < -1 || d < -1)
		return -EINVAL;
	id->vendor = (int32_t)v;
	id->device = (int32_t)d;
	return 0;
}

static int class_parse(const char *t, size_t len, struct vh_classpat *c)
{
	long v;

	if (len != 2 && len != 4 && len != 6)
		return -EINVAL;
	v = hex_n(t, len);
	if (v < 0)
		return -EINVAL;
	c->value = (uint32_t)v;
	c->digits = (uint8_t)len;
	return 0;
}

/* An id term looks like 4hex:4hex (or with '*'); an address has 2-digit parts. */
static bool looks_like_id(const char *t, size_t len)
{
	const char *c = memchr(t, ':', len);

	if (!c || memchr(c + 1, ':', len - (size_t)(c + 1 - t)) || memchr(t, '.', len))
		return false;
	return (c - t != 2) || (t + len - c - 1 != 2);
}

/* Splits a comma list and parses each alternative with the term's parser. */
static int term_list(const char *t, size_t len, struct vh_term *term, const char *what, char *err,
		     size_t errsize)
{
	const char *p = t, *end = t + len;

	term->n = 0;
	while (p <= end) {
		const char *comma = memchr(p, ',', (size_t)(end - p));
		size_t l = (size_t)((comma ? comma : end) - p);
		int rc;

		if (term->n == VH_MAX_ALT) {
			vh_fmt(err, errsize, "more than %d alternatives in one %s list", VH_MAX_ALT,
			       what);
			return -E2BIG;
		}
		rc = term->kind == VH_T_ID ? id_parse(p, l, &term->u.ids[term->n])
					   : class_parse(p, l, &term->u.classes[term->n]);
		if (rc < 0) {
			vh_fmt(err, errsize, "bad %s '%.*s'", what, (int)(l > 40 ? 40 : l), p);
			return rc;
		}
		term->n++;
		if (!comma)
			break;
		p = comma + 1;
	}
	return 0;
}

static int term_parse(const char *t, size_t len, struct vh_term *term, char *err, size_t errsize)
{
	if (len > 6 && strncasecmp(t, "class=", 6) == 0) {
		term->kind = VH_T_CLASS;
		return term_list(t + 6, len - 6, term, "class (2, 4 or 6 hex digits)", err,
				 errsize);
	}
	if (looks_like_id(t, len) || memchr(t, ',', len)) {
		term->kind = VH_T_ID;
		return term_list(t, len, term, "vendor:device id (VVVV:DDDD)", err, errsize);
	}
	term->kind = VH_T_ADDR;
	term->n = 1;
	if (vh_addr_parse(t, len, &term->u.addr) == 0)
		return 0;
	vh_fmt(err, errsize,
	       "bad selector term '%.*s' (want VVVV:DDDD, [DDDD:]BB:SS[.F] or class=CC[SS])",
	       (int)(len > 40 ? 40 : len), t);
	return -EINVAL;
}

int vh_selector_parse(const char *text, struct vh_selector *sel, char *err, size_t errsize)
{
	const char *p = text;

	sel->nterms = 0;
	for (;;) {
		size_t len;
		int rc;

		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\0')
			break;
		len = strcspn(p, " \t");
		if (sel->nterms == VH_MAX_TERMS) {
			vh_fmt(err, errsize, "more than %d terms in one selector", VH_MAX_TERMS);
			return -E2BIG;
		}
		rc = term_parse(p, len, &sel->terms[sel->nterms], err, errsize);
		if (rc < 0)
			return rc;
		sel->nterms++;
		p += len;
	}
	if (sel->nterms == 0) {
		vh_fmt(err, errsize, "empty selector");
		return -EINVAL;
	}
	return 0;
}

bool vh_addr_match(const struct vh_addr *a, const struct vh_fn *fn)
{
	return a->domain == fn->domain && a->bus == fn->bus && a->slot == fn->slot &&
	       (a->func < 0 || a->func == fn->func);
}

static bool term_match(const struct vh_term *t, const struct vh_fn *fn)
{
	for (int i = 0; i < (t->kind == VH_T_ADDR ? 1 : t->n); i++) {
		const struct vh_idpat *id = &t->u.ids[i];
		const struct vh_classpat *c = &t->u.classes[i];

		switch (t->kind) {
		case VH_T_ADDR: return vh_addr_match(&t->u.addr, fn);
		case VH_T_ID:
			if ((id->vendor < 0 || id->vendor == fn->vendor) &&
			    (id->device < 0 || id->device == fn->device))
				return true;
			break;
		case VH_T_CLASS:
			if (fn->class >> (4 * (6 - c->digits)) == c->value)
				return true;
			break;
		}
	}
	return false;
}

bool vh_selector_match(const struct vh_selector *sel, const struct vh_fn *fn)
{
	for (int i = 0; i < sel->nterms; i++)
		if (!term_match(&sel->terms[i], fn))
			return false;
	return sel->nterms > 0;
}
