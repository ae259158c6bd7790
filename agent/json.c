/* json: a small streaming JSON writer (objects, arrays, strings, numbers). */
#include <string.h>

#include "vfiohost.h"

void vh_json_begin(struct vh_json *j, FILE *f)
{
	memset(j, 0, sizeof(*j));
	j->f = f;
	j->first[0] = true;
}

static void indent(struct vh_json *j)
{
	fputc('\n', j->f);
	for (int i = 0; i < j->depth; i++)
		fputs("  ", j->f);
}

static void put_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", f);
		else if (c < 0x20 || c >= 0x7f) /* bytes, not UTF-8: keep the output valid */
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

/* Separator, indentation and key of the next member. */
static void member(struct vh_json *j, const char *key)
{
	if (j->depth > 0) {
		if (!j->first[j->depth])
			fputc(',', j->f);
		indent(j);
	}
	j->first[j->depth] = false;
	if (key) {
		put_string(j->f, key);
		fputs(": ", j->f);
	}
}

void vh_json_open(struct vh_json *j, const char *key, char brace)
{
	member(j, key);
	fputc(brace, j->f);
	if (j->depth < 31)
		j->depth++;
	j->first[j->depth] = true;
}

void vh_json_close(struct vh_json *j, char brace)
{
	bool empty = j->first[j->depth];

	if (j->depth > 0)
		j->depth--;
	if (!empty)
		indent(j);
	fputc(brace, j->f);
}

void vh_json_str(struct vh_json *j, const char *key, const char *val)
{
	member(j, key);
	if (val)
		put_string(j->f, val);
	else
		fputs("null", j->f);
}

void vh_json_num(struct vh_json *j, const char *key, long long val)
{
	member(j, key);
	fprintf(j->f, "%lld", val);
}

void vh_json_bool(struct vh_json *j, const char *key, bool val)
{
	member(j, key);
	fputs(val ? "true" : "false", j->f);
}

void vh_json_null(struct vh_json *j, const char *key)
{
	member(j, key);
	fputs("null", j->f);
}

void vh_json_end(struct vh_json *j)
{
	fputc('\n', j->f);
}
