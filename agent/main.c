/* main: the command line of vfiohost(8); only here is an exit status chosen. */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "vfiohost.h"

static const char usage[] =
    "usage: vfiohost [--root DIR] [--config FILE] COMMAND [--json]\n"
    "\n"
    "commands:\n"
    "  check      is this host ready for VFIO? IOMMU, boot flags, GPU groups, warnings\n"
    "  plan       what `boot` would do with the policy on this host; writes nothing\n"
    "  boot       apply the policy (run from the initramfs at every boot)\n"
    "  status     what the last boot did, and whether it still holds\n"
    "  validate   check the policy's syntax, owner and mode (the image build hooks use it)\n"
    "  import     print the policy equivalent to this host's hand-made vfio settings\n"
    "  topup      reserve the hugepages the initramfs could not (after the switch root)\n"
    "\n"
    "options:\n"
    "  --root DIR       take every absolute path under DIR (fake trees for tests)\n"
    "  --config FILE    the policy (default /etc/vfiohost.conf, under --root)\n"
    "  --json           machine-readable output (check, plan, status)\n"
    "  --prometheus     status: node_exporter textfile metrics\n"
    "  --modules        plan: the VFIO modules boot would load, one a line\n"
    "  --kernel RELEASE plan: choose VFIO variants from lib/modules/RELEASE (an image\n"
    "                   for another kernel) instead of the running kernel's\n"
    "  --deadline SECS  boot: give up on hung writes after SECS seconds (default 20);\n"
    "                   topup: the time it may take (default 120)\n"
    "  -v, --verbose    boot: also print the log on stderr\n"
    "  -h, --help       this text\n"
    "  -V, --version    the version\n"
    "\n"
    "exit status: 0 all good; 1 warnings, refusals or failures; 2 bad policy or usage\n";

static const struct option longopts[] = {
    {"root", required_argument, NULL, 'r'},
    {"config", required_argument, NULL, 'c'},
    {"json", no_argument, NULL, 'j'},
    {"deadline", required_argument, NULL, 'd'},
    {"verbose", no_argument, NULL, 'v'},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, 'V'},
    {"prometheus", no_argument, NULL, 'P'},
    {"modules", no_argument, NULL, 'M'},
    {"kernel", required_argument, NULL, 'k'},
    {NULL, 0, NULL, 0},
};

static const struct {
	const char *name;
	int (*run)(const struct vh_opts *o);
} commands[] = {
    {"check", vh_cmd_check},   {"plan", vh_cmd_plan},	      {"boot", vh_cmd_boot},
    {"status", vh_cmd_status}, {"validate", vh_cmd_validate}, {"import", vh_cmd_import},
    {"topup", vh_cmd_topup},
};

/* Seconds as "N" or "N.D" (to the millisecond), 0 < SECS <= 3600. */
static int parse_deadline(const char *s, unsigned *ms)
{
	unsigned long v = 0, frac = 0, scale = 1000;
	const char *p = s;

	for (; *p >= '0' && *p <= '9' && v <= 3600; p++)
		v = v * 10 + (unsigned long)(*p - '0');
	if (*p == '.')
		for (p++; *p >= '0' && *p <= '9'; p++)
			if (scale > 1)
				frac += (unsigned long)(*p - '0') * (scale /= 10);
	if (p == s || *p || v > 3600 || (v == 3600 && frac) || v * 1000 + frac == 0)
		return -EINVAL;
	*ms = (unsigned)(v * 1000 + frac);
	return 0;
}

/* Options may come before or after the command, as admins type them. */
static int parse_args(int argc, char **argv, struct vh_opts *o, const char **cmd)
{
	int c;

	while ((c = getopt_long(argc, argv, "+hVvj", longopts, NULL)) != -1 || optind < argc) {
		if (c == -1) {
			if (*cmd) {
				fprintf(stderr, "vfiohost: unexpected argument '%s'\n%s",
					argv[optind], usage);
				return -EINVAL;
			}
			*cmd = argv[optind++];
			continue;
		}
		switch (c) {
		case 'r': o->root = optarg; break;
		case 'c': o->config = optarg; break;
		case 'j': o->json = true; break;
		case 'P': o->prometheus = true; break;
		case 'M': o->modules = true; break;
		case 'k':
			if (!vh_release_valid(optarg)) {
				fprintf(stderr,
					"vfiohost: --kernel: '%s' is not a kernel release\n",
					optarg);
				return -EINVAL;
			}
			o->kernel = optarg;
			break;
		case 'v': o->verbose = true; break;
		case 'd':
			if (parse_deadline(optarg, &o->deadline_ms) < 0) {
				fprintf(
				    stderr,
				    "vfiohost: --deadline: '%s' is not a number of seconds (0 to 3600)\n",
				    optarg);
				return -EINVAL;
			}
			o->deadline_set = true;
			break;
		case 'h': fputs(usage, stdout); exit(0);
		case 'V': printf("vfiohost %s\n", VH_VERSION); exit(0);
		default: fputs(usage, stderr); return -EINVAL;
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct vh_opts o = {.root = "/", .config = VH_DEFAULT_CONFIG, .deadline_ms = 20000};
	const char *cmd = NULL;

	if (parse_args(argc, argv, &o, &cmd) < 0)
		return 2;
	if (!cmd) {
		fprintf(stderr, "vfiohost: no command given\n%s", usage);
		return 2;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(cmd, commands[i].name) == 0)
			return commands[i].run(&o);
	fprintf(stderr, "vfiohost: unknown command '%s'\n%s", cmd, usage);
	return 2;
}
