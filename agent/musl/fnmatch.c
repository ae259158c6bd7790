/* fnmatch for the static build: libkmod matches ASCII module aliases against ASCII
 * patterns (*, ?, [set]); musl's fnmatch brings some 15 KB of wide-character tables for
 * what an initramfs agent never needs. Same contract for what libkmod uses (flags 0). */
#include <fnmatch.h>
#include <stdbool.h>
#include <stddef.h>

/* Matches one [set] at p against c; returns the pattern after the set, or NULL. */
static const char *match_set(const char *p, unsigned char c, bool *hit)
{
	bool negate = *p == '!' || *p == '^';

	*hit = false;
	if (negate)
		p++;
	for (bool first = true; *p && (first || *p != ']'); first = false) {
		unsigned char lo = (unsigned char)*p++, hi = lo;
		if (*p == '-' && p[1] && p[1] != ']') {
			hi = (unsigned char)p[1];
			p += 2;
		}
		if (c >= lo && c <= hi)
			*hit = true;
	}
	if (*p != ']')
		return NULL; /* no closing bracket: not a set */
	*hit ^= negate;
	return p + 1;
}

int fnmatch(const char *p, const char *s, int flags)
{
	(void)flags;
	for (; *p; p++, s++) {
		const char *next;
		bool hit;
		switch (*p) {
		case '*':
			while (p[1] == '*')
				p++;
			for (const char *t = s;; t++) {
				if (fnmatch(p + 1, t, flags) == 0)
					return 0;
				if (!*t)
					return FNM_NOMATCH;
			}
		case '?':
			if (!*s)
				return FNM_NOMATCH;
			break;
		case '[':
			next = *s ? match_set(p + 1, (unsigned char)*s, &hit) : NULL;
			if (!next && *s == '[')
				break; /* an unclosed [ is itself */
			if (!next || !hit)
				return FNM_NOMATCH;
			p = next - 1;
			break;
		case '\\':
			if (p[1])
				p++;
			/* fall through */
		default:
			if (*p != *s)
				return FNM_NOMATCH;
		}
	}
	return *s ? FNM_NOMATCH : 0;
}
