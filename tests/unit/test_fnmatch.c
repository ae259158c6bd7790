/* Unit tests: the static build's fnmatch (agent/musl/fnmatch.c) answers as the C library's
 * does for what libkmod asks (flags 0): fixed cases, and every alias of an installed kernel's
 * modules.alias against the modaliases of the devices vfiohost meets. */
#include <fnmatch.h>
#include <glob.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"

int small_fnmatch(const char *p, const char *s, int flags);
#define fnmatch small_fnmatch
#include "../../agent/musl/fnmatch.c"
#undef fnmatch

static void same(const char *pattern, const char *s)
{
	int want = fnmatch(pattern, s, 0) == 0, got = small_fnmatch(pattern, s, 0) == 0;

	if (want != got) {
		printf("#   '%s' on '%s': libc %d, ours %d\n", pattern, s, want, got);
		tap_failed_checks++;
	}
}

static const char *const strings[] = {
    "pci:v000010DEd00002B85sv00001458sd0000416Fbc03sc00i00",
    "pci:v00001234d00001111sv00001AF4sd00001100bc03sc00i00",
    "pci:v00008086d0000293Esv00001AF4sd00001100bc04sc03i00",
    "pci:v00008086d000010D3sv00008086sd00000000bc02sc00i00",
    "vfio_pci",
    "vfio-pci",
    "snd_hda_intel",
    "",
    "a",
    "abc",
    "[x]",
    "a*b",
    "a\\b",
};

static void fixed_cases_match_libc(void)
{
	static const char *const patterns[] = {
	    "*",
	    "?",
	    "a*",
	    "*c",
	    "a?c",
	    "a[bc]c",
	    "a[!b]c",
	    "a[^b]c",
	    "[a-c]bc",
	    "[]]",
	    "[x]",
	    "\\[x]",
	    "a\\*b",
	    "a\\\\b",
	    "[",
	    "a[",
	    "**",
	    "*?*",
	    "vfio?pci",
	    "vfio*",
	    "pci:v000010DEd*sv*sd*bc03sc*i*",
	    "pci:v*d*sv*sd*bc04sc03i*",
	    "pci:v00008086d000010D[0-9]sv*sd*bc*sc*i*",
	    "[!a-z]*",
	    "*[0-9]*",
	};

	for (size_t i = 0; i < sizeof(patterns) / sizeof(patterns[0]); i++)
		for (size_t j = 0; j < sizeof(strings) / sizeof(strings[0]); j++)
			same(patterns[i], strings[j]);
}

/* Every pattern of a real modules.alias, where the machine has one. */
static void kernel_aliases_match_libc(void)
{
	glob_t g;
	char line[1024];
	size_t n = 0;

	if (glob("/lib/modules/*/modules.alias", 0, NULL, &g) != 0) {
		printf("#   no /lib/modules/*/modules.alias here: fixed cases only\n");
		return;
	}
	FILE *f = fopen(g.gl_pathv[0], "r");
	while (f && fgets(line, sizeof(line), f)) {
		char *pattern = strtok(line + 6, " "); /* "alias PATTERN module" */
		if (strncmp(line, "alias ", 6) != 0 || !pattern)
			continue;
		for (size_t j = 0; j < sizeof(strings) / sizeof(strings[0]); j++)
			same(pattern, strings[j]);
		n++;
	}
	if (f)
		fclose(f);
	printf("#   %zu aliases of %s checked\n", n, g.gl_pathv[0]);
	globfree(&g);
}

const struct tap_case fnmatch_cases[] = {
    {"fnmatch: the static build's fnmatch agrees with libc on fixed cases", fixed_cases_match_libc},
    {"fnmatch: it agrees with libc on every alias of modules.alias", kernel_aliases_match_libc},
    {NULL, NULL},
};
