/* policy: parse /etc/vfiohost.conf (SPEC section 3), reporting every error as FILE:LINE; and
 * the policy file itself: whether it is safe to apply, the copy a boot keeps, and whether the
 * file still matches that copy. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vfiohost.h"

#define MAX_LINE  4096
#define MAX_FILE  (4u << 20)
#define MAX_SHOWN 100
#define COPY	  "policy.conf" /* under VH_RUN_DIR: the policy the last boot applied */

enum section { SEC_NONE, SEC_VFIO, SEC_HUGE, SEC_FUNC, SEC_UNKNOWN };

#define SECTIONS "[vfio], [function SELECTOR] or [hugepages]"

enum key {
	K_BIND,
	K_SKIP,
	K_COMPANIONS,
	K_ISOLATION,
	K_BOOTVGA,
	K_OPTIONS,
	K_EXPECT,
	K_DRIVER,
	K_SIZE,
	K_PAGES,
	K_KEEPFREE,
	K_NODES,
	K_TIME,
	K_RESET,
	K_D3COLD,
	K_COUNT
};

static const struct {
	const char *name;
	enum section sec;
} keys[K_COUNT] = {
    [K_BIND] = {"bind", SEC_VFIO},
    [K_SKIP] = {"skip", SEC_VFIO},
    [K_COMPANIONS] = {"companions", SEC_VFIO},
    [K_ISOLATION] = {"isolation", SEC_VFIO},
    [K_BOOTVGA] = {"boot-vga", SEC_VFIO},
    [K_OPTIONS] = {"options", SEC_VFIO},
    [K_EXPECT] = {"expect", SEC_VFIO},
    [K_DRIVER] = {"driver", SEC_VFIO},
    [K_SIZE] = {"size", SEC_HUGE},
    [K_PAGES] = {"pages", SEC_HUGE},
    [K_KEEPFREE] = {"keep-free", SEC_HUGE},
    [K_NODES] = {"nodes", SEC_HUGE},
    [K_TIME] = {"time", SEC_HUGE},
    [K_RESET] = {"reset-method", SEC_VFIO}, /* and in [function] sections */
    [K_D3COLD] = {"d3cold", SEC_VFIO},
};

struct parser {
	struct vh_policy *p;
	FILE *errf;
	int line;
	int errors;
	enum section sec;
	int seen[K_COUNT]; /* line where a single-value key was set */
};

void vh_policy_init(struct vh_policy *p, const char *path)
{
	memset(p, 0, sizeof(*p));
	p->path = path;
	p->companions = true;
	p->isolation_strict = true;
	p->bootvga_skip = true;
	p->driver_auto = true;
	p->expect = -1;
	p->hp.size_kib = 1048576;
	p->hp.mode = VH_PAGES_MAX;
	p->hp.keep_auto = true;
	p->hp.time_s = -1;
	p->power.d3cold = -1;
}

static void perr(struct parser *ps, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void perr(struct parser *ps, const char *fmt, ...)
{
	va_list ap;

	if (++ps->errors > MAX_SHOWN) {
		if (ps->errors == MAX_SHOWN + 1)
			fprintf(ps->errf, "%s:%d: too many errors; the rest are not shown\n",
				ps->p->path, ps->line);
		return;
	}
	fprintf(ps->errf, "%s:%d: ", ps->p->path, ps->line);
	va_start(ap, fmt);
	vfprintf(ps->errf, fmt, ap);
	va_end(ap);
	fputc('\n', ps->errf);
}

static char *trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
		*--e = '\0';
	return s;
}

/* Decimal without sign or overflow; -1 if not a number. */
static long long parse_count(const char *s, long long max)
{
	long long v = 0;

	if (!*s)
		return -1;
	for (; *s; s++) {
		if (!isdigit((unsigned char)*s))
			return -1;
		v = v * 10 + (*s - '0');
		if (v > max)
			return -2;
	}
	return v;
}

/* "90", "90s" or "2m": seconds, at most max; -1 if malformed or over max. */
long long vh_parse_seconds(const char *s, long long max)
{
	char num[24];
	size_t n = strspn(s, "0123456789");
	long long v, unit = 1;

	if (n == 0 || n >= sizeof(num))
		return -1;
	if (strcasecmp(s + n, "m") == 0)
		unit = 60;
	else if (s[n] && strcasecmp(s + n, "s") != 0)
		return -1;
	memcpy(num, s, n);
	num[n] = '\0';
	v = parse_count(num, max);
	return v < 0 || v * unit > max ? -1 : v * unit;
}

/* "64G", "512M", "1024K", "2T" (optionally followed by B or iB) into KiB. */
static int parse_size_kib(const char *s, uint64_t *kib)
{
	char unit[4] = "";
	size_t n = strspn(s, "0123456789");
	long long v;
	int shift;

	if (n == 0 || n > 12 || strlen(s + n) > 3)
		return -EINVAL;
	strcpy(unit, s + n);
	if (unit[0] == '\0' || (unit[1] && strcasecmp(unit + 1, "B") && strcasecmp(unit + 1, "iB")))
		return -EINVAL;
	switch (toupper((unsigned char)unit[0])) {
	case 'K': shift = 0; break;
	case 'M': shift = 10; break;
	case 'G': shift = 20; break;
	case 'T': shift = 30; break;
	default: return -EINVAL;
	}
	char digits[16];
	memcpy(digits, s, n);
	digits[n] = '\0';
	v = parse_count(digits, 1000000000000LL);
	if (v < 0 || (uint64_t)v > (1ULL << 50) >> shift) /* over an exbibyte is a typo */
		return -EINVAL;
	*kib = (uint64_t)v << shift;
	return 0;
}

static int choose(const char *val, const char *a, const char *b)
{
	if (strcasecmp(val, a) == 0)
		return 1;
	if (strcasecmp(val, b) == 0)
		return 0;
	return -1;
}

static void set_choice(struct parser *ps, bool *dst, const char *key, const char *val,
		       const char *yes, const char *no)
{
	int c = choose(val, yes, no);

	if (c < 0)
		perr(ps, "%s must be %s or %s, not '%s'", key, yes, no, val);
	else
		*dst = c;
}

static void add_selector(struct parser *ps, struct vh_selector *list, int *n, const char *key,
			 const char *val)
{
	char err[160];

	if (*n == VH_MAX_SEL) {
		perr(ps, "more than %d %s lines", VH_MAX_SEL, key);
		return;
	}
	if (vh_selector_parse(val, &list[*n], err, sizeof(err)) < 0) {
		perr(ps, "%s: %s", key, err);
		return;
	}
	list[*n].line = ps->line;
	(*n)++;
}

static void set_pages(struct parser *ps, const char *val)
{
	struct vh_hp_policy *hp = &ps->p->hp;
	size_t len = strlen(val);
	long long v;

	if (strcasecmp(val, "max") == 0) {
		hp->mode = VH_PAGES_MAX;
		return;
	}
	if (len > 1 && val[len - 1] == '%') {
		char num[24];
		if (len > sizeof(num)) {
			perr(ps, "pages: bad percentage '%s'", val);
			return;
		}
		memcpy(num, val, len - 1);
		num[len - 1] = '\0';
		v = parse_count(num, 100);
		if (v < 0)
			perr(ps, "pages: percentage must be 0%% to 100%%, not '%s'", val);
		else
			hp->mode = VH_PAGES_PCT, hp->pages = (uint64_t)v;
		return;
	}
	v = parse_count(val, 100000000);
	if (v < 0)
		perr(ps, "pages must be max, N (0 to 100000000) or N%%, not '%s'", val);
	else
		hp->mode = VH_PAGES_N, hp->pages = (uint64_t)v;
}

/* reset-method or d3cold, into [vfio]'s settings or the current [function] section's. */
static void set_power(struct parser *ps, enum key k, const char *val)
{
	struct vh_power_set *set =
	    ps->sec == SEC_FUNC ? &ps->p->fnsec[ps->p->nfnsec - 1].set : &ps->p->power;
	int *line = k == K_RESET ? &set->reset_line : &set->d3cold_line;
	char err[200];
	int c;

	if (*line) {
		perr(ps, "'%s' is already set at line %d", keys[k].name, *line);
		return;
	}
	if (k == K_RESET &&
	    vh_reset_parse(val, set->reset, sizeof(set->reset), err, sizeof(err)) < 0) {
		perr(ps, "reset-method: %s", err);
		set->reset[0] = '\0';
		return;
	}
	c = k == K_D3COLD ? choose(val, "yes", "no") : 1;
	if (c < 0) {
		perr(ps, "d3cold must be yes or no, not '%s'", val);
		return;
	}
	if (k == K_D3COLD)
		set->d3cold = (int8_t)c;
	*line = ps->line;
}

static void set_value(struct parser *ps, enum key k, const char *val)
{
	struct vh_policy *p = ps->p;
	long long v;

	switch (k) {
	case K_BIND: add_selector(ps, p->bind, &p->nbind, "bind", val); break;
	case K_SKIP: add_selector(ps, p->skip, &p->nskip, "skip", val); break;
	case K_COMPANIONS: set_choice(ps, &p->companions, "companions", val, "yes", "no"); break;
	case K_ISOLATION:
		set_choice(ps, &p->isolation_strict, "isolation", val, "strict", "warn");
		break;
	case K_BOOTVGA: set_choice(ps, &p->bootvga_skip, "boot-vga", val, "skip", "allow"); break;
	case K_NODES: set_choice(ps, &p->hp.nodes_even, "nodes", val, "even", "auto"); break;
	case K_DRIVER: set_choice(ps, &p->driver_auto, "driver", val, "auto", "vfio-pci"); break;
	case K_OPTIONS:
		if (strlen(val) >= sizeof(p->options) ||
		    strspn(
			val,
			"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-=,.: ") !=
			strlen(val))
			perr(
			    ps,
			    "options: want module options like 'disable_vga=1' (letters, digits, _-=,.: and spaces, under %zu bytes)",
			    sizeof(p->options));
		else
			strcpy(p->options, val);
		break;
	case K_EXPECT:
		v = parse_count(val, 100000);
		if (v < 0)
			perr(ps, "expect must be a count from 0 to 100000, not '%s'", val);
		else
			p->expect = (long)v;
		break;
	case K_SIZE:
		if (strcasecmp(val, "1G") == 0)
			p->hp.size_kib = 1048576;
		else if (strcasecmp(val, "2M") == 0)
			p->hp.size_kib = 2048;
		else
			perr(ps, "size must be 1G or 2M, not '%s'", val);
		break;
	case K_PAGES: set_pages(ps, val); break;
	case K_KEEPFREE:
		if (strcasecmp(val, "auto") == 0)
			p->hp.keep_auto = true;
		else if (parse_size_kib(val, &p->hp.keep_kib) == 0)
			p->hp.keep_auto = false;
		else
			perr(ps, "keep-free must be auto or a size such as 64G or 512M, not '%s'",
			     val);
		break;
	case K_TIME:
		if (strcasecmp(val, "auto") == 0) {
			p->hp.time_s = -1;
			break;
		}
		v = vh_parse_seconds(val, VH_HP_TIME_MAX_S);
		if (v < 0)
			perr(
			    ps,
			    "time must be auto or seconds from 0 to %d such as 90 or 90s, not '%s'",
			    VH_HP_TIME_MAX_S, val);
		else
			p->hp.time_s = (long)v;
		break;
	case K_RESET:
	case K_D3COLD: set_power(ps, k, val); break;
	case K_COUNT: break;
	}
}

static int find_key(const char *name)
{
	for (int k = 0; k < K_COUNT; k++)
		if (strcasecmp(name, keys[k].name) == 0)
			return k;
	return -1;
}

/* [function SELECTOR]: the settings that follow apply to the functions it matches. */
static void parse_function_section(struct parser *ps, const char *sel)
{
	struct vh_policy *p = ps->p;
	struct vh_fnsec *sec = &p->fnsec[p->nfnsec];
	char err[160];

	ps->sec = SEC_UNKNOWN; /* until the selector is good */
	if (*sel == '\0') {
		perr(ps, "[function] needs a selector, e.g. [function 10de:2335 class=0302]");
		return;
	}
	if (p->nfnsec == VH_MAX_SEL) {
		perr(ps, "more than %d [function] sections", VH_MAX_SEL);
		return;
	}
	memset(sec, 0, sizeof(*sec));
	if (vh_selector_parse(sel, &sec->sel, err, sizeof(err)) < 0) {
		perr(ps, "[function]: %s", err);
		return;
	}
	for (int i = 0; i < p->nfnsec; i++)
		if (memcmp(p->fnsec[i].sel.terms, sec->sel.terms, sizeof(sec->sel.terms)) == 0 &&
		    p->fnsec[i].sel.nterms == sec->sel.nterms) {
			perr(ps, "[function %.60s] is already at line %d", sel,
			     p->fnsec[i].sel.line);
			return;
		}
	sec->sel.line = ps->line;
	sec->set.d3cold = -1;
	p->nfnsec++;
	ps->sec = SEC_FUNC;
}

static void parse_section(struct parser *ps, char *s)
{
	char *end = strchr(s, ']');
	char *name;

	if (!end || *trim(end + 1) != '\0') {
		perr(ps, "malformed section header (want " SECTIONS ")");
		ps->sec = SEC_UNKNOWN;
		return;
	}
	*end = '\0';
	name = trim(s + 1);
	if (strcasecmp(name, "vfio") == 0) {
		ps->sec = SEC_VFIO;
	} else if (strcasecmp(name, "hugepages") == 0) {
		ps->sec = SEC_HUGE;
		ps->p->hp.present = true;
	} else if (strncasecmp(name, "function", 8) == 0 &&
		   (name[8] == '\0' || name[8] == ' ' || name[8] == '\t')) {
		parse_function_section(ps, trim(name + 8));
	} else {
		perr(ps, "unknown section [%.40s] (want " SECTIONS ")", name);
		ps->sec = SEC_UNKNOWN;
	}
}

static void parse_assignment(struct parser *ps, char *s)
{
	char *eq = strchr(s, '='), *name, *val;
	int k;

	if (!eq) {
		perr(ps, "expected 'key = value' or a [section] header");
		return;
	}
	*eq = '\0';
	name = trim(s);
	val = trim(eq + 1);
	if (ps->sec == SEC_UNKNOWN)
		return; /* already reported at the header */
	k = find_key(name);
	if (ps->sec == SEC_NONE) {
		perr(ps, "'%.40s' is outside a section (start with [vfio] or [hugepages])", name);
		return;
	}
	if (ps->sec == SEC_FUNC && k != K_RESET && k != K_D3COLD) {
		perr(ps, "unknown key '%.40s' in [function] (want reset-method or d3cold)", name);
		return;
	}
	if (k < 0 || (keys[k].sec != ps->sec && ps->sec != SEC_FUNC)) {
		perr(ps, "unknown key '%.40s' in [%s]", name,
		     ps->sec == SEC_VFIO ? "vfio" : "hugepages");
		return;
	}
	if (*val == '\0') {
		perr(ps, "empty value for '%s'", keys[k].name);
		return;
	}
	if (k != K_BIND && k != K_SKIP && k != K_RESET && k != K_D3COLD) { /* set_power checks */
		if (ps->seen[k]) {
			perr(ps, "'%s' is already set at line %d", keys[k].name, ps->seen[k]);
			return;
		}
		ps->seen[k] = ps->line;
	}
	set_value(ps, (enum key)k, val);
}

/* Rejects bytes that have no place in a policy outside comments. */
static bool line_is_clean(struct parser *ps, const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '#')
			return true;
		if ((c < 0x20 && c != '\t') || c >= 0x7f) {
			perr(ps, "unexpected byte 0x%02x at column %zu", c, i + 1);
			return false;
		}
	}
	return true;
}

static void parse_line(struct parser *ps, const char *start, size_t len)
{
	char buf[MAX_LINE + 1];
	char *s, *hash;

	if (len && start[len - 1] == '\r')
		len--; /* CRLF: the CR is not part of the line */
	if (len > MAX_LINE) {
		perr(ps, "line longer than %d bytes", MAX_LINE);
		return;
	}
	if (!line_is_clean(ps, start, len))
		return;
	memcpy(buf, start, len);
	buf[len] = '\0';
	hash = strchr(buf, '#');
	if (hash)
		*hash = '\0';
	s = trim(buf);
	if (*s == '\0')
		return;
	if (*s == '[')
		parse_section(ps, s);
	else
		parse_assignment(ps, s);
}

int vh_policy_parse(struct vh_policy *p, const char *text, size_t len, FILE *errf)
{
	struct parser ps = {.p = p, .errf = errf, .line = 0, .sec = SEC_NONE};
	const char *s = text, *end = text + len;

	if (len >= 3 && memcmp(s, "\xef\xbb\xbf", 3) == 0)
		s += 3; /* a UTF-8 byte order mark is not content */
	while (s < end) {
		const char *nl = memchr(s, '\n', (size_t)(end - s));
		size_t l = (size_t)((nl ? nl : end) - s);

		ps.line++;
		parse_line(&ps, s, l);
		s += l + 1;
	}
	return ps.errors;
}

/* Opens the policy: absolute paths under the root, relative ones from the cwd. */
static int policy_dirfd(const struct vh_root *r, const char *path, const char **rel)
{
	if (path[0] == '/') {
		*rel = path + 1;
		return r->fd;
	}
	*rel = path;
	return AT_FDCWD;
}

/* The whole policy file into a malloc'd buffer owned by the caller. */
static int policy_read(const struct vh_root *r, const char *path, char **text, size_t *len)
{
	const char *rel;
	int dirfd = policy_dirfd(r, path, &rel);

	return vh_read_whole_at(dirfd, rel, text, len, MAX_FILE);
}

int vh_policy_load(struct vh_policy *p, const struct vh_root *r, FILE *errf)
{
	const char *rel;
	int dirfd = policy_dirfd(r, p->path, &rel);
	struct stat st;
	char *text;
	size_t len;
	int rc;

	if (fstatat(dirfd, rel, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	rc = policy_read(r, p->path, &text, &len);
	if (rc < 0) {
		const char *why = rc == -ENOENT	  ? "a symlink to nothing"
				  : rc == -EISDIR ? "a directory"
				  : rc == -EFBIG  ? "larger than 4 MiB"
				  : rc == -EINVAL ? "not a regular file"
						  : strerror(-rc);
		fprintf(errf, "%s: cannot read the policy: %s\n", p->path, why);
		return -EINVAL;
	}
	p->present = true;
	rc = vh_policy_parse(p, text, len, errf);
	free(text);
	return rc ? -EINVAL : 0;
}

/* Boot refuses such a policy; plan and validate warn (SPEC: whoever can write it chooses
 * which devices the host loses). Says every reason: the owner, then the mode. */
const char *vh_policy_unsafe(const struct vh_root *r, const char *path, char *buf, size_t size)
{
	char owner[48] = "", mode[48] = "";
	const char *rel, *and;
	int dirfd = policy_dirfd(r, path, &rel);
	struct stat st;

	if (fstatat(dirfd, rel, &st, 0) < 0)
		return NULL;
	if (st.st_uid != 0)
		vh_fmt(owner, sizeof(owner), "owned by uid %u, not root", (unsigned)st.st_uid);
	if (st.st_mode & 022)
		vh_fmt(mode, sizeof(mode), "writable by %s (mode %04o)",
		       (st.st_mode & 002) ? "everyone" : "its group",
		       (unsigned)(st.st_mode & 07777));
	if (!owner[0] && !mode[0])
		return NULL;
	and = owner[0] && mode[0] ? ", and " : "";
	/* A path cut short would name another file: then the message names none. */
	if (vh_fmt(buf, size, "%s is %s%s%s", path, owner, and, mode) < 0)
		vh_fmt(buf, size, "the policy is %s%s%s", owner, and, mode);
	return buf;
}

int vh_policy_keep_copy(const struct vh_root *r, const char *path)
{
	char *text;
	size_t len;
	int rc = policy_read(r, path, &text, &len);

	if (rc < 0)
		return rc;
	rc = vh_run_copy_write(r, COPY, text, len);
	free(text);
	return rc;
}

int vh_policy_changed(const struct vh_root *r, const char *path)
{
	char *now = NULL, *kept = NULL;
	size_t ln = 0, lk = 0;
	int changed;

	if (vh_read_whole_at(r->fd, VH_RUN_DIR "/" COPY, &kept, &lk, MAX_FILE) < 0)
		return -1;
	changed = policy_read(r, path, &now, &ln) < 0 || ln != lk || memcmp(now, kept, ln) != 0;
	free(now);
	free(kept);
	return changed;
}
