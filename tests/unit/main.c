/* Unit tests of the agent's modules, as TAP on stdout. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tap.h"

int tap_failed_checks;

int tap_groups_root(void)
{
	static int fd = -1;
	char dir[] = "/tmp/vfiohost-unit-XXXXXX", path[96];

	if (fd >= 0)
		return fd;
	if (!mkdtemp(dir))
		return -1;
	for (int g = 0; g < 32; g++) {
		snprintf(path, sizeof(path), "%s/sys/kernel/iommu_groups/%d", dir, g);
		for (char *p = path + strlen(dir) + 1; *p; p++)
			if (*p == '/') {
				*p = '\0';
				mkdir(path, 0755);
				*p = '/';
			}
		mkdir(path, 0755);
	}
	fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	return fd;
}

static const struct tap_case *const suites[] = {selector_cases, policy_cases, decide_cases,
						hugepages_cases, json_cases};

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
