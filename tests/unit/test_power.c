/* Unit tests: reset-method and d3cold (agent/power.c, and their grammar in agent/policy.c):
 * parsing, which section applies, and the check against what a function offers. Hosts are
 * held in memory; the discovered attributes are set by hand. */
#include <stdlib.h>
#include <string.h>

#include "memhost.h"
#include "tap.h"
#include "vfiohost.h"

static struct vh_policy pol;
static struct vh_host host;
static struct vh_plan plan;
static struct vh_fn fns[8];
static char *errs;

static int parse(const char *text)
{
	size_t len;
	FILE *f = open_memstream(&errs, &len);
	int n;

	vh_policy_init(&pol, "/etc/test.conf");
	n = vh_policy_parse(&pol, text, strlen(text), f);
	fclose(f);
	return n;
}

static bool said(const char *needle)
{
	bool found = errs && strstr(errs, needle);

	if (!found)
		printf("#   wanted '%s' in: %s\n", needle, errs ? errs : "(nothing)");
	return found;
}

static bool warned(const char *needle)
{
	for (int i = 0; i < plan.warn.n; i++)
		if (strstr(plan.warn.msg[i], needle))
			return true;
	printf("#   wanted a warning '%s' (%d warnings)\n", needle, plan.warn.n);
	return false;
}

/* A GPU (flr bus) with its audio (no reset method), and a T4 (pm bus, no d3cold_allowed). */
static void decide(const char *policy)
{
	vh_plan_free(&plan);
	memset(&host, 0, sizeof(host));
	memset(fns, 0, sizeof(fns));
	host.fn = fns;
	host.devfd = -1;
	host.iommu_active = true;
	CHECK_EQ_U(parse(policy), 0);
	free(errs);
	memhost_add(&host, "0000:01:00.0", 0x10de, 0x2484, 0x030000, 1);
	memhost_add(&host, "0000:01:00.1", 0x10de, 0x228b, 0x040300, 1);
	memhost_add(&host, "0000:02:00.0", 0x10de, 0x1eb8, 0x030200, 2);
	vh_host_index(&host);
	vh_plan_init(&plan, &pol, &host);
	vh_select(&plan);
	for (int i = 0; i < 3; i++) {
		struct vh_power_fn *pw = fns[i].note ? &fns[i].note->power : NULL;
		if (!pw)
			continue;
		pw->read = true;
		pw->reset_file = i != 1;
		strcpy(pw->reset_offered, i == 0 ? "flr bus" : i == 2 ? "pm bus" : "");
		pw->d3cold_now = i == 2 ? -1 : 1;
	}
	vh_decide(&plan);
	free(host.bygroup);
}

static const struct vh_power_fn *pw(int i)
{
	return &fns[i].note->power;
}

static void reset_method_values_are_the_kernels(void)
{
	char out[VH_RESET_LEN], err[200];

	CHECK(vh_reset_parse("bus", out, sizeof(out), err, sizeof(err)) == 0);
	CHECK_STR(out, "bus");
	CHECK(vh_reset_parse(" FLR,  bus\tpm ", out, sizeof(out), err, sizeof(err)) == 0);
	CHECK_STR(out, "flr bus pm");
	CHECK(vh_reset_parse("device_specific acpi flr af_flr pm bus cxl_bus", out, sizeof(out),
			     err, sizeof(err)) == 0);
	CHECK_STR(out, "device_specific acpi flr af_flr pm bus cxl_bus");
	CHECK(vh_reset_parse("Default", out, sizeof(out), err, sizeof(err)) == 0);
	CHECK_STR(out, "default");
	CHECK(vh_reset_parse("flr warm", out, sizeof(out), err, sizeof(err)) < 0);
	CHECK(strstr(err, "unknown reset method 'warm'") != NULL);
	CHECK(vh_reset_parse("bus bus", out, sizeof(out), err, sizeof(err)) < 0);
	CHECK(strstr(err, "'bus' is listed twice") != NULL);
	CHECK(vh_reset_parse("flr default", out, sizeof(out), err, sizeof(err)) < 0);
	CHECK(strstr(err, "'default' stands alone") != NULL);
	CHECK(vh_reset_parse(", ,", out, sizeof(out), err, sizeof(err)) < 0);
}

static void power_keys_and_function_sections_are_read(void)
{
	CHECK_EQ_U(parse("[vfio]\nbind = 10de:*\nreset-method = bus\nd3cold = no\n"
			 "[Function 10de:2335 class=0302]\nReset-Method = flr, bus\n"
			 "[function 0000:02:00.0]\nd3cold = yes\n"),
		   0);
	CHECK_STR(pol.power.reset, "bus");
	CHECK(pol.power.reset_line == 3 && pol.power.d3cold == 0 && pol.power.d3cold_line == 4);
	CHECK_EQ_U(pol.nfnsec, 2);
	CHECK_EQ_U(pol.fnsec[0].sel.line, 5);
	CHECK_STR(pol.fnsec[0].set.reset, "flr bus");
	CHECK(pol.fnsec[0].set.d3cold == -1 && pol.fnsec[0].set.d3cold_line == 0);
	CHECK(pol.fnsec[1].set.reset_line == 0 && pol.fnsec[1].set.d3cold == 1);
	free(errs);
}

static void power_errors_say_file_and_line(void)
{
	CHECK_EQ_U(parse("[vfio]\nreset-method = warm\nd3cold = off\nreset-method = bus\n"
			 "reset-method = flr\n"
			 "[function]\nd3cold = no\n"
			 "[function 10de:zzzz]\n"
			 "[function 10de:2335]\nbind = 10de:*\nd3cold = no\nd3cold = yes\n"
			 "[function 10de:2335]\n"
			 "[hugepages]\nd3cold = no\n"),
		   9);
	CHECK(said("/etc/test.conf:2: reset-method: unknown reset method 'warm'"));
	CHECK(said("/etc/test.conf:3: d3cold must be yes or no, not 'off'"));
	CHECK(said("/etc/test.conf:5: 'reset-method' is already set at line 4"));
	CHECK(said("/etc/test.conf:6: [function] needs a selector"));
	CHECK(said("/etc/test.conf:8: [function]: bad vendor:device id"));
	CHECK(said(
	    "/etc/test.conf:10: unknown key 'bind' in [function] (want reset-method or d3cold)"));
	CHECK(said("/etc/test.conf:12: 'd3cold' is already set at line 11"));
	CHECK(said("/etc/test.conf:13: [function 10de:2335] is already at line 9"));
	CHECK(said("/etc/test.conf:15: unknown key 'd3cold' in [hugepages]"));
	free(errs);
}

static void vfio_settings_apply_to_every_function_to_bind(void)
{
	decide("[vfio]\nbind = 10de:2484\nreset-method = bus\nd3cold = no\n");
	CHECK_STR(pw(0)->reset_write, "bus");
	CHECK(pw(0)->reset_line == 3 && pw(0)->d3cold_write == 0 && pw(0)->d3cold_line == 4);
	/* the companion has no reset method: the setting is refused, the function bound */
	CHECK_STR(pw(1)->reset_write, "");
	CHECK(fns[1].action == VH_BIND && pw(1)->d3cold_write == 0);
	CHECK(warned(
	    "0000:01:00.1 10de:228b Audio: reset-method = bus (line 3) not written: it has no reset_method file"));
	CHECK(!fns[2].selected);
}

static void the_last_matching_section_wins_key_by_key(void)
{
	decide("[vfio]\nbind = 10de:*\nreset-method = bus\nd3cold = no\n"
	       "[function class=03]\nreset-method = default\n"
	       "[function 0000:02:00.0]\nreset-method = pm\n");
	CHECK_STR(pw(0)->reset_write, "default");
	CHECK_EQ_U(pw(0)->reset_line, 6);
	CHECK_STR(pw(2)->reset_write, "pm");
	CHECK_EQ_U(pw(2)->reset_line, 8);
	CHECK(pw(0)->d3cold_write == 0 && pw(0)->d3cold_line == 4); /* from [vfio] still */
	/* class=03 is not the audio function's: [vfio]'s bus, which it cannot take */
	CHECK_STR(pw(1)->reset_write, "");
	CHECK(warned(
	    "0000:02:00.0 10de:1eb8 3D: d3cold = no (line 4) not written: it has no d3cold_allowed file"));
	CHECK_EQ_U(plan.warn.n, 2);
	/* default on a function without reset methods holds already: no warning */
	decide("[vfio]\nbind = 10de:2484\nreset-method = default\n");
	CHECK_STR(pw(0)->reset_write, "default");
	CHECK_STR(pw(1)->reset_write, "");
	CHECK_EQ_U(plan.warn.n, 0);
}

static void a_method_not_offered_refuses_the_setting(void)
{
	decide(
	    "[vfio]\nbind = 10de:2484 class=0300\n[function 01:00.0]\nreset-method = bus pm flr\n");
	CHECK_STR(pw(0)->reset_write, "");
	CHECK(fns[0].action == VH_BIND);
	CHECK(warned(
	    "0000:01:00.0 10de:2484 VGA: reset-method = bus pm flr (line 4) not written: it does not offer pm (its reset_method: flr bus)"));
	decide("[vfio]\nbind = 10de:2484\n[function 01:00.0]\nreset-method = bus flr\n");
	CHECK_STR(pw(0)->reset_write, "bus flr");
	CHECK_EQ_U(plan.warn.n, 0);
}

static void only_functions_to_bind_get_settings(void)
{
	decide("[vfio]\nbind = 10de:*\nskip = 02:00.0\nreset-method = bus\nd3cold = no\n");
	CHECK(fns[2].action == VH_SKIP);
	CHECK_STR(pw(2)->reset_write, "");
	CHECK(pw(2)->d3cold_write == -1);
	vh_plan_free(&plan);
}

const struct tap_case power_cases[] = {
    {"power: reset-method takes the kernel's names, a list, or default",
     reset_method_values_are_the_kernels},
    {"power: reset-method, d3cold and [function SELECTOR] sections are read",
     power_keys_and_function_sections_are_read},
    {"power: every power error is FILE:LINE", power_errors_say_file_and_line},
    {"power: [vfio]'s settings apply to every function to bind",
     vfio_settings_apply_to_every_function_to_bind},
    {"power: the last matching [function] section wins, key by key",
     the_last_matching_section_wins_key_by_key},
    {"power: a method the function does not offer refuses the setting, not the bind",
     a_method_not_offered_refuses_the_setting},
    {"power: functions skipped, kept or refused get no setting",
     only_functions_to_bind_get_settings},
    {NULL, NULL},
};
