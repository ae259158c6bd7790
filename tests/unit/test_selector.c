/* Unit tests: selector parsing and matching (agent/selector.c). */
#include <string.h>

#include "tap.h"
#include "vfiohost.h"

static struct vh_fn fn_at(const char *bdf, unsigned vendor, unsigned device, unsigned class)
{
	struct vh_fn fn;
	struct vh_addr a;

	memset(&fn, 0, sizeof(fn));
	strcpy(fn.bdf, bdf);
	vh_addr_parse(bdf, strlen(bdf), &a);
	fn.domain = a.domain;
	fn.bus = a.bus;
	fn.slot = a.slot;
	fn.func = (uint8_t)a.func;
	fn.vendor = (uint16_t)vendor;
	fn.device = (uint16_t)device;
	fn.class = class;
	return fn;
}

static bool matches(const char *text, const struct vh_fn *fn)
{
	struct vh_selector sel;
	char err[160];

	if (vh_selector_parse(text, &sel, err, sizeof(err)) < 0) {
		printf("#   unexpected parse error for '%s': %s\n", text, err);
		return false;
	}
	return vh_selector_match(&sel, fn);
}

static bool parses(const char *text)
{
	struct vh_selector sel;
	char err[160];

	return vh_selector_parse(text, &sel, err, sizeof(err)) == 0;
}

static void id_wildcards_match_either_half(void)
{
	struct vh_fn gpu = fn_at("0000:01:00.0", 0x10de, 0x2b85, 0x030000);

	CHECK(matches("10de:2b85", &gpu));
	CHECK(matches("10de:*", &gpu));
	CHECK(matches("*:2b85", &gpu));
	CHECK(matches("*:*", &gpu));
	CHECK(!matches("1002:*", &gpu));
	CHECK(matches("1002:1234,10de:2b85", &gpu));
	CHECK(matches("10DE:2B85", &gpu));
}

static void class_prefixes_of_two_four_six_digits(void)
{
	struct vh_fn gpu = fn_at("0000:01:00.0", 0x10de, 0x2330, 0x030200);

	CHECK(matches("class=03", &gpu));
	CHECK(matches("class=0302", &gpu));
	CHECK(matches("class=030200", &gpu));
	CHECK(!matches("class=0300", &gpu));
	CHECK(matches("class=0300,0302", &gpu));
	CHECK(!parses("class=030"));
	CHECK(!parses("class="));
}

static void addresses_match_slots_and_functions(void)
{
	struct vh_fn f1 = fn_at("0000:81:00.1", 0x10de, 0x22e8, 0x040300);
	struct vh_fn other = fn_at("0001:81:00.1", 0x10de, 0x22e8, 0x040300);

	CHECK(matches("0000:81:00", &f1));
	CHECK(matches("81:00", &f1));
	CHECK(matches("81:00.1", &f1));
	CHECK(!matches("81:00.0", &f1));
	CHECK(!matches("81:00", &other));
	CHECK(matches("0001:81:00.1", &other));
}

static void terms_are_anded(void)
{
	struct vh_fn gpu = fn_at("0000:01:00.0", 0x10de, 0x2b85, 0x030000);
	struct vh_fn audio = fn_at("0000:01:00.1", 0x10de, 0x22e8, 0x040300);

	CHECK(matches("10de:* class=03", &gpu));
	CHECK(!matches("10de:* class=03", &audio));
	CHECK(matches("10de:* 01:00", &audio));
}

static void malformed_selectors_are_refused(void)
{
	static const char *const bad[] = {
	    "../../../dev/sda", "10de1:2b85", "10de:2b851",  "xyz",	 "0000:81:00.8",
	    "0000:81:20.0",	"081:00.0",   "00000:81:00", "10de:",	 ":2b85",
	    "1 2 3 4 5",	"81:0.0",     "g0de:2b85",   "class=zz", "",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (parses(bad[i])) {
			printf("#   '%s' was accepted\n", bad[i]);
			tap_failed_checks++;
		}
}

const struct tap_case selector_cases[] = {
    {"selector: vendor:device with * halves and comma lists", id_wildcards_match_either_half},
    {"selector: class= prefixes of 2, 4 or 6 digits", class_prefixes_of_two_four_six_digits},
    {"selector: slot and function addresses, domain defaults to 0000",
     addresses_match_slots_and_functions},
    {"selector: all terms must match", terms_are_anded},
    {"selector: malformed and path-like selectors are refused", malformed_selectors_are_refused},
    {NULL, NULL},
};
