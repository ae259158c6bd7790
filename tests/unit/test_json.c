/* Unit tests: the JSON writer (agent/json.c) read back by the reader (agent/jsonread.c). */
#include <stdlib.h>
#include <string.h>

#include "jsonread.h"
#include "tap.h"
#include "vfiohost.h"

static void written_json_reads_back(void)
{
	char *text = NULL;
	size_t len;
	FILE *f = open_memstream(&text, &len);
	struct vh_json j;
	struct vh_jdoc d;

	vh_json_begin(&j, f);
	vh_json_open(&j, NULL, '{');
	vh_json_str(&j, "s", "a \"quoted\"\\ line\nand \x01 byte \xff");
	vh_json_num(&j, "n", -42);
	vh_json_null(&j, "z");
	vh_json_open(&j, "a", '[');
	vh_json_bool(&j, NULL, true);
	vh_json_close(&j, ']');
	vh_json_open(&j, "e", '[');
	vh_json_close(&j, ']');
	vh_json_close(&j, '}');
	vh_json_end(&j);
	fclose(f);
	CHECK(vh_json_parse(&d, text) == 0);
	CHECK_STR(vh_jstr(&d, 0, "s"), "a \"quoted\"\\ line\nand \x01 byte \xff");
	CHECK(vh_jnum(&d, 0, "n", 0) == -42);
	CHECK(d.node[vh_jget(&d, 0, "z")].type == VH_J_NULL);
	CHECK(d.node[d.node[vh_jget(&d, 0, "a")].first].type == VH_J_BOOL);
	CHECK(d.node[vh_jget(&d, 0, "e")].first == -1);
	vh_json_free(&d);
	free(text);
}

static void broken_json_is_refused(void)
{
	static const char *const bad[] = {"{", "{\"a\":}", "[1,]x", "{\"a\" 1}", "\"\\u12\"", ""};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *t = strdup(bad[i]);
		struct vh_jdoc d = {0};
		if (vh_json_parse(&d, t) == 0) {
			printf("#   '%s' was accepted\n", bad[i]);
			tap_failed_checks++;
		}
		vh_json_free(&d);
		free(t);
	}
}

const struct tap_case json_cases[] = {
    {"json: what the writer writes, the reader reads back", written_json_reads_back},
    {"json: broken documents are refused", broken_json_is_refused},
    {NULL, NULL},
};
