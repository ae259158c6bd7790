/* Unit tests of the agent's modules, as TAP on stdout. */
#include <string.h>

#include "tap.h"

int tap_failed_checks;

static const struct tap_case *const suites[] = {
    selector_cases, policy_cases, decide_cases, hugepages_cases, json_cases,	fnmatch_cases,
    findings_cases, hgx_cases,	  import_cases, topup_cases,	 variant_cases, power_cases};

int main(void)
{
	int n = 0, failed = 0;

	for (size_t s = 0; s < sizeof(suites) / sizeof(suites[0]); s++)
		for (const struct tap_case *c = suites[s]; c->name; c++)
			n++;
	printf("1..%d\n", n);
	n = 0;
	for (size_t s = 0; s < sizeof(suites) / sizeof(suites[0]); s++)
		for (const struct tap_case *c = suites[s]; c->name; c++) {
			tap_failed_checks = 0;
			c->fn();
			printf("%s %d - %s\n", tap_failed_checks ? "not ok" : "ok", ++n, c->name);
			failed += tap_failed_checks != 0;
		}
	return failed ? 1 : 0;
}
