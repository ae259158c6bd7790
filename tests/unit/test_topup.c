/* Unit tests: the top-up's rules (agent/topup.c): the plan read back from a boot report,
 * never more than the boot asked, and where the report is cut to append the top-up. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "topup.h"

static int plan_of(const char *json, struct vh_hp_plan *hp, char *why, size_t size)
{
	char *text = strdup(json);
	struct vh_jdoc d;
	int rc = vh_json_parse(&d, text) == 0 ? vh_topup_plan(&d, hp, why, size) : -99;

	vh_json_free(&d);
	free(text);
	return rc;
}

static void the_plan_is_the_boots_per_node(void)
{
	struct vh_hp_plan hp;
	char why[160] = "";

	CHECK(plan_of("{\"mode\": \"apply\", \"hugepages\": {\"size_kib\": 1048576, \"budget\": 9,"
		      " \"pages\": 8, \"obtained\": 3, \"nodes\": [{\"node\": 0, \"pages\": 4,"
		      " \"obtained\": 3}, {\"node\": 2, \"pages\": 4, \"obtained\": 0}]}}",
		      &hp, why, sizeof(why)) == 0);
	CHECK(hp.present && hp.supported);
	CHECK_EQ_U(hp.size_kib, 1048576);
	CHECK_EQ_U(hp.pages, 8);
	CHECK_EQ_U(hp.nnodes, 2);
	CHECK_EQ_U(hp.node[1].node, 2);
	CHECK_EQ_U(hp.node[1].pages, 4);
}

static void a_complete_or_inactive_boot_needs_nothing(void)
{
	struct vh_hp_plan hp;
	char why[160] = "";

	CHECK(plan_of("{\"mode\": \"apply\", \"hugepages\": {\"size_kib\": 2048, \"pages\": 512,"
		      " \"obtained\": 512, \"nodes\": []}}",
		      &hp, why, sizeof(why)) == 1);
	CHECK_STR(why, "the boot reserved all 512 pages: nothing to top up");
	CHECK(plan_of("{\"mode\": \"apply\", \"hugepages\": {\"size_kib\": 2048, \"pages\": 512,"
		      " \"obtained\": 0, \"nodes\": []}, \"topup\": {\"obtained\": 512}}",
		      &hp, why, sizeof(why)) == 1);
	CHECK(plan_of("{\"mode\": \"dry-run\", \"hugepages\": {\"size_kib\": 2048, \"pages\": 5}}",
		      &hp, why, sizeof(why)) == 1);
	CHECK_STR(why, "the boot ran in mode dry-run: nothing to top up");
	CHECK(plan_of("{\"mode\": \"apply\", \"hugepages\": null}", &hp, why, sizeof(why)) == 1);
}

static void a_report_without_sizes_is_refused(void)
{
	struct vh_hp_plan hp;
	char why[160] = "";

	CHECK(plan_of("{\"mode\": \"apply\", \"hugepages\": {\"size_kib\": 4, \"pages\": 5}}", &hp,
		      why, sizeof(why)) == -EINVAL);
	CHECK(plan_of("{\"mode\": \"apply\", \"hugepages\": {\"size_kib\": 2048, \"pages\": 5,"
		      " \"nodes\": [{\"node\": -1, \"pages\": 5}]}}",
		      &hp, why, sizeof(why)) == -EINVAL);
}

static void the_report_is_cut_before_its_brace_or_an_earlier_topup(void)
{
	const char *plain = "{\n  \"mode\": \"apply\"\n}\n";
	const char *again =
	    "{\n  \"mode\": \"apply\",\n  \"topup\": {\n    \"obtained\": 2\n  }\n}\n";

	CHECK_EQ_U(vh_topup_keep(plain, strlen(plain)), strlen("{\n  \"mode\": \"apply\""));
	CHECK_EQ_U(vh_topup_keep(again, strlen(again)), strlen("{\n  \"mode\": \"apply\""));
	CHECK_EQ_U(vh_topup_keep("junk", 4), 0);
}

const struct tap_case topup_cases[] = {
    {"topup: the plan is the boot's, node by node", the_plan_is_the_boots_per_node},
    {"topup: nothing to do after a complete, dry-run or hugepage-less boot",
     a_complete_or_inactive_boot_needs_nothing},
    {"topup: a report without a valid size or node is refused", a_report_without_sizes_is_refused},
    {"topup: the report is cut before its closing brace, or an earlier top-up",
     the_report_is_cut_before_its_brace_or_an_earlier_topup},
    {NULL, NULL},
};
