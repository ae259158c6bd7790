/* Unit tests: the policy parser (agent/policy.c): values, defaults, and FILE:LINE errors. */
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "vfiohost.h"

static struct vh_policy pol;
static char *errs;

/* Parses text as /etc/test.conf; returns the error count, messages in errs. */
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

static void defaults_when_keys_are_absent(void)
{
	CHECK_EQ_U(parse("[vfio]\n"), 0);
	CHECK(pol.companions);
	CHECK(pol.isolation_strict);
	CHECK(pol.bootvga_skip);
	CHECK(pol.driver_auto);
	CHECK(pol.expect == -1);
	CHECK(!pol.hp.present);
	free(errs);
}

static void full_policy_is_read(void)
{
	CHECK_EQ_U(parse("[VFIO]\n"
			 "Bind = 10de:* class=03   # NVIDIA displays\n"
			 "bind = 0000:81:00\n"
			 "skip = 0000:c1:00.0\n"
			 "companions = no\n"
			 "isolation = warn\n"
			 "boot-vga = allow\n"
			 "options = disable_vga=1\n"
			 "expect = 8\n"
			 "Driver = VFIO-PCI\n"
			 "[hugepages]\n"
			 "size = 2M\n"
			 "pages = 50%\n"
			 "keep-free = 64G\n"
			 "nodes = even\n"),
		   0);
	CHECK_EQ_U(pol.nbind, 2);
	CHECK_EQ_U(pol.bind[1].line, 3);
	CHECK_EQ_U(pol.nskip, 1);
	CHECK(!pol.companions && !pol.isolation_strict && !pol.bootvga_skip && !pol.driver_auto);
	CHECK_STR(pol.options, "disable_vga=1");
	CHECK(pol.expect == 8);
	CHECK(pol.hp.present && pol.hp.size_kib == 2048 && pol.hp.mode == VH_PAGES_PCT);
	CHECK_EQ_U(pol.hp.pages, 50);
	CHECK(!pol.hp.keep_auto);
	CHECK_EQ_U(pol.hp.keep_kib, 64ULL << 20);
	CHECK(pol.hp.nodes_even);
	free(errs);
}

static void every_error_is_reported_with_its_line(void)
{
	CHECK_EQ_U(parse("bind = 10de:*\n"
			 "[vfio]\n"
			 "bind = ../../../dev/sda\n"
			 "companions = maybe\n"
			 "frobnicate = 1\n"
			 "[hugepages]\n"
			 "pages = 99999999999999999999\n"
			 "keep-free = 12Q\n"
			 "size = 3G\n"
			 "[extra]\n"),
		   8);
	CHECK(said("/etc/test.conf:1: 'bind' is outside a section"));
	CHECK(said("/etc/test.conf:3: bind: bad selector term '../../../dev/sda'"));
	CHECK(said("/etc/test.conf:4: companions must be yes or no, not 'maybe'"));
	CHECK(said("/etc/test.conf:5: unknown key 'frobnicate' in [vfio]"));
	CHECK(said("/etc/test.conf:7: pages must be"));
	CHECK(said("/etc/test.conf:8: keep-free must be auto or a size"));
	CHECK(said("/etc/test.conf:9: size must be 1G or 2M, not '3G'"));
	CHECK(said("/etc/test.conf:10: unknown section [extra]"));
	free(errs);
}

static void repeated_single_keys_are_errors(void)
{
	CHECK_EQ_U(parse("[vfio]\nexpect = 1\nexpect = 2\nbind = 01:00\nbind = 02:00\n"), 1);
	CHECK(said("/etc/test.conf:3: 'expect' is already set at line 2"));
	free(errs);
}

static void empty_values_and_negative_numbers_are_errors(void)
{
	CHECK_EQ_U(parse("[vfio]\nbind =\nexpect = -1\n[hugepages]\npages = -1\n"), 3);
	CHECK(said("/etc/test.conf:2: empty value for 'bind'"));
	CHECK(said("/etc/test.conf:3: expect must be"));
	CHECK(said("/etc/test.conf:5: pages must be"));
	free(errs);
	CHECK_EQ_U(parse("[hugepages]\npages = 250%\n"), 1);
	CHECK(said("/etc/test.conf:2: pages: percentage must be 0% to 100%, not '250%'"));
	free(errs);
}

static void driver_is_auto_or_vfio_pci_once(void)
{
	CHECK_EQ_U(parse("[vfio]\ndriver = auto\n"), 0);
	CHECK(pol.driver_auto);
	free(errs);
	CHECK_EQ_U(parse("[vfio]\ndriver = vfio-pci\n"), 0);
	CHECK(!pol.driver_auto);
	free(errs);
	CHECK_EQ_U(parse("[vfio]\ndriver = nvgrace_gpu_vfio_pci\ndriver = auto\ndriver = vfio-pci\n"
			 "[hugepages]\ndriver = auto\n"),
		   4);
	CHECK(
	    said("/etc/test.conf:2: driver must be auto or vfio-pci, not 'nvgrace_gpu_vfio_pci'"));
	CHECK(said("/etc/test.conf:3: 'driver' is already set at line 2"));
	CHECK(said("/etc/test.conf:4: 'driver' is already set at line 2"));
	CHECK(said("/etc/test.conf:6: unknown key 'driver' in [hugepages]"));
	free(errs);
}

static void bom_and_crlf_are_accepted(void)
{
	CHECK_EQ_U(parse("\xef\xbb\xbf[vfio]\r\nbind = 10de:*\r\ncompanions = no\r\n"), 0);
	CHECK_EQ_U(pol.nbind, 1);
	CHECK(!pol.companions);
	free(errs);
}

static void nul_bytes_and_garbage_are_errors(void)
{
	size_t len;
	FILE *f = open_memstream(&errs, &len);
	static const char text[] = "[vfio]\nbind = 10de:*\0junk\n\x01\x02\n";

	vh_policy_init(&pol, "/etc/test.conf");
	CHECK_EQ_U(vh_policy_parse(&pol, text, sizeof(text) - 1, f), 2);
	fclose(f);
	CHECK(said("/etc/test.conf:2: unexpected byte 0x00"));
	CHECK(said("/etc/test.conf:3: unexpected byte 0x01"));
	free(errs);
}

static void long_lines_are_errors(void)
{
	char *text = malloc(1 << 20);

	memset(text, 'a', (1 << 20) - 1);
	text[(1 << 20) - 1] = '\0';
	memcpy(text, "[vfio]\n", 7);
	CHECK_EQ_U(parse(text), 1);
	CHECK(said("/etc/test.conf:2: line longer than"));
	free(errs);
	free(text);
}

static void hugepage_time_is_seconds_with_a_cap(void)
{
	CHECK_EQ_U(parse("[hugepages]\npages = 4\n"), 0);
	CHECK(pol.hp.time_s == -1); /* auto: a share of the boot's deadline */
	free(errs);
	CHECK_EQ_U(parse("[hugepages]\ntime = 90s\n"), 0);
	CHECK(pol.hp.time_s == 90);
	free(errs);
	CHECK_EQ_U(parse("[hugepages]\ntime = 2m\n"), 0);
	CHECK(pol.hp.time_s == 120);
	free(errs);
	CHECK_EQ_U(parse("[hugepages]\nTime = 0\n"), 0);
	CHECK(pol.hp.time_s == 0); /* all of it left to the top-up after the switch */
	free(errs);
	CHECK_EQ_U(parse("[hugepages]\ntime = auto\n"), 0);
	CHECK(pol.hp.time_s == -1);
	free(errs);
	CHECK_EQ_U(parse("[hugepages]\ntime = 601\ntime = 11m\n"), 2);
	CHECK(said("/etc/test.conf:2: time must be auto or seconds from 0 to 600"));
	free(errs);
	CHECK_EQ_U(parse("[hugepages]\ntime = 1.5s\n[vfio]\ntime = 5\n"), 2);
	CHECK(said("/etc/test.conf:2: time must be"));
	CHECK(said("/etc/test.conf:4:"));
	free(errs);
	CHECK(vh_parse_seconds("600", 600) == 600 && vh_parse_seconds("10m", 600) == 600);
	CHECK(vh_parse_seconds("", 600) == -1 && vh_parse_seconds("s", 600) == -1);
	CHECK(vh_parse_seconds("-5", 600) == -1 && vh_parse_seconds("5x", 600) == -1);
}

const struct tap_case policy_cases[] = {
    {"policy: [hugepages] time is seconds or minutes, auto, at most 600 s",
     hugepage_time_is_seconds_with_a_cap},
    {"policy: defaults when keys are absent", defaults_when_keys_are_absent},
    {"policy: every key and section is read, case-insensitively", full_policy_is_read},
    {"policy: every error is reported as FILE:LINE", every_error_is_reported_with_its_line},
    {"policy: a repeated single-value key is an error", repeated_single_keys_are_errors},
    {"policy: empty values and negative numbers are errors",
     empty_values_and_negative_numbers_are_errors},
    {"policy: driver is auto or vfio-pci, set once", driver_is_auto_or_vfio_pci_once},
    {"policy: a UTF-8 BOM and CRLF line ends are accepted", bom_and_crlf_are_accepted},
    {"policy: NUL bytes and control bytes are errors", nul_bytes_and_garbage_are_errors},
    {"policy: a 1 MiB line is an error", long_lines_are_errors},
    {NULL, NULL},
};
