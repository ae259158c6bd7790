/* Unit tests: which VFIO module a function gets (agent/variant.c), from alias tables held in
 * memory, with real-world aliases of modules.alias; and what decide makes of the choice. */
#include <stdlib.h>
#include <string.h>

#include "memhost.h"
#include "tap.h"
#include "vfiohost.h"

/* As depmod writes them (6.12): the generic one, Grace Hopper's, a ConnectX VF's. */
#define GENERIC "vfio_pci:v*d*sv*sd*bc*sc*i*"
#define NVGRACE "vfio_pci:v000010DEd00002342sv*sd*bc*sc*i*"
#define MLX5_VF "vfio_pci:v000015B3d0000101Esv*sd*bc*sc*i*"

static struct vh_valias aliases[8];
static struct vh_vmodule modules[8];
static struct vh_variants var;

static void table_reset(void)
{
	memset(&var, 0, sizeof(var));
	var.alias = aliases;
	var.mod = modules;
}

/* Adds "alias PATTERN MODULE" as aliases.c keeps it, the module's driver (or "") with it. */
static void alias(const char *pattern, const char *module, const char *driver)
{
	struct vh_valias *a = &var.alias[var.nalias++];
	size_t m = 0;

	while (m < var.nmod && strcmp(var.mod[m].name, module) != 0)
		m++;
	if (m == var.nmod) {
		strcpy(var.mod[m].name, module);
		strcpy(var.mod[m].driver, driver);
		var.nmod++;
	}
	strcpy(a->pattern, pattern);
	a->stars = 0;
	for (const char *s = pattern; *s; s++)
		a->stars += *s == '*';
	a->mod = (uint16_t)m;
}

static struct vh_fn fn_of(unsigned vendor, unsigned device, unsigned sv, unsigned sd,
			  unsigned class)
{
	struct vh_fn fn = {.vendor = (uint16_t)vendor,
			   .device = (uint16_t)device,
			   .subvendor = (uint16_t)sv,
			   .subdevice = (uint16_t)sd,
			   .class = class};
	return fn;
}

static const char *chosen(const struct vh_fn *fn)
{
	int m = vh_variant_choose(&var, fn);

	return m < 0 ? VH_GENERIC_MODULE : var.mod[m].name;
}

static void modalias_is_the_kernels_with_vfio_pci_prefix(void)
{
	struct vh_fn gh = fn_of(0x10de, 0x2342, 0x10de, 0x16eb, 0x030200);
	char buf[96];

	CHECK_EQ_U(vh_vfio_modalias(&gh, buf, sizeof(buf)), 0);
	CHECK_STR(buf, "vfio_pci:v000010DEd00002342sv000010DEsd000016EBbc03sc02i00");
}

static void grace_hopper_gets_nvgrace_over_the_generic(void)
{
	struct vh_fn gh = fn_of(0x10de, 0x2342, 0x10de, 0x16eb, 0x030200);
	struct vh_fn h100 = fn_of(0x10de, 0x2330, 0x10de, 0x16c1, 0x030200);

	table_reset();
	alias(GENERIC, "vfio_pci", "vfio-pci");
	alias(NVGRACE, "nvgrace_gpu_vfio_pci", "");
	CHECK_STR(chosen(&gh), "nvgrace_gpu_vfio_pci");
	CHECK_STR(chosen(&h100), "vfio_pci");
	table_reset(); /* the order of modules.alias does not matter */
	alias(NVGRACE, "nvgrace_gpu_vfio_pci", "");
	alias(GENERIC, "vfio_pci", "vfio-pci");
	CHECK_STR(chosen(&gh), "nvgrace_gpu_vfio_pci");
}

static void a_connectx_vf_gets_mlx5_vfio_pci(void)
{
	struct vh_fn vf = fn_of(0x15b3, 0x101e, 0x15b3, 0x0025, 0x020000);
	struct vh_fn pf = fn_of(0x15b3, 0x101d, 0x15b3, 0x0025, 0x020000);

	table_reset();
	alias(GENERIC, "vfio_pci", "vfio-pci");
	alias(NVGRACE, "nvgrace_gpu_vfio_pci", "");
	alias(MLX5_VF, "mlx5_vfio_pci", "mlx5_vfio_pci");
	CHECK_STR(chosen(&vf), "mlx5_vfio_pci");
	CHECK_STR(chosen(&pf), "vfio_pci");
}

static void fewest_stars_win_and_ties_go_to_the_first_name(void)
{
	struct vh_fn fn = fn_of(0x8086, 0x56c0, 0x8086, 0x4905, 0x038000);

	table_reset();
	alias("vfio_pci:v00008086d*sv*sd*bc03sc*i*", "b_vfio_pci", "");
	alias("vfio_pci:v00008086d000056C0sv*sd*bc03sc*i*", "c_vfio_pci", "");
	alias("vfio_pci:v*d000056C0sv*sd*bc*sc*i*", "a_vfio_pci", "");
	CHECK_STR(chosen(&fn), "c_vfio_pci"); /* 4 stars against 5 and 6 */
	table_reset();
	alias("vfio_pci:v00008086d*sv*sd*bc03sc*i*", "b_vfio_pci", "");
	alias("vfio_pci:v*d000056C0sv*sd*bc03sc*i*", "a_vfio_pci", "");
	CHECK_STR(chosen(&fn), "a_vfio_pci"); /* a tie of 5: the name first in byte order */
	table_reset();
	alias("vfio_pci:v*d000056C0sv*sd*bc03sc*i*", "a_vfio_pci", "");
	alias("vfio_pci:v00008086d*sv*sd*bc03sc*i*", "b_vfio_pci", "");
	CHECK_STR(chosen(&fn), "a_vfio_pci");
}

static void no_aliases_or_no_match_is_the_generic(void)
{
	struct vh_fn gh = fn_of(0x10de, 0x2342, 0x10de, 0x16eb, 0x030200);

	table_reset();
	CHECK(vh_variant_choose(&var, &gh) == -1);
	alias(MLX5_VF, "mlx5_vfio_pci", "");
	CHECK(vh_variant_choose(&var, &gh) == -1);
}

struct fixture {
	struct vh_policy pol;
	struct vh_host host;
	struct vh_plan plan;
	struct vh_fn fn[8];
};

static struct fixture fx;

/* A Grace Hopper node: the GPU (on DRIVER), and an H100 NVL beside it on vfio-pci. */
static const struct vh_fn *decide_gh(const char *policy, const char *driver, const char *known)
{
	vh_plan_free(&fx.plan);
	memset(&fx, 0, sizeof(fx));
	fx.host.fn = fx.fn;
	fx.host.devfd = -1;
	fx.host.iommu_active = true;
	fx.host.ngroups = 4;
	strcpy(memhost_add(&fx.host, "0009:01:00.0", 0x10de, 0x2342, 0x030200, 1)->driver, driver);
	strcpy(memhost_add(&fx.host, "0019:01:00.0", 0x10de, 0x2321, 0x030200, 2)->driver,
	       "vfio-pci");
	table_reset();
	alias(GENERIC, "vfio_pci", "vfio-pci");
	alias(NVGRACE, "nvgrace_gpu_vfio_pci", known);
	fx.host.var = var;
	vh_policy_init(&fx.pol, "/etc/vfiohost.conf");
	if (vh_policy_parse(&fx.pol, policy, strlen(policy), stdout) != 0)
		tap_failed_checks++;
	vh_host_index(&fx.host);
	vh_plan_init(&fx.plan, &fx.pol, &fx.host);
	vh_select(&fx.plan);
	vh_decide(&fx.plan);
	free(fx.host.bygroup);
	return fx.fn;
}

static void decide_gives_each_function_its_module(void)
{
	const struct vh_fn *f = decide_gh("[vfio]\nbind = 10de:*\n", "", "");

	CHECK_STR(vh_fn_module(&fx.host, &f[0]), "nvgrace_gpu_vfio_pci");
	CHECK(vh_fn_vfio_driver(&fx.host, &f[0]) == NULL); /* not loaded: not known yet */
	CHECK_EQ_U(f[0].action, VH_BIND);
	CHECK_STR(vh_fn_module(&fx.host, &f[1]), "vfio_pci");
	CHECK_STR(vh_fn_vfio_driver(&fx.host, &f[1]), "vfio-pci");
	CHECK_EQ_U(f[1].action, VH_KEEP);
}

static void driver_vfio_pci_forces_the_generic(void)
{
	const struct vh_fn *f = decide_gh("[vfio]\nbind = 10de:*\ndriver = vfio-pci\n", "", "");

	CHECK_STR(vh_fn_module(&fx.host, &f[0]), "vfio_pci");
	CHECK_STR(vh_fn_vfio_driver(&fx.host, &f[0]), "vfio-pci");
}

static void keep_means_on_the_chosen_driver(void)
{
	const struct vh_fn *f =
	    decide_gh("[vfio]\nbind = 10de:*\n", "vfio-pci", "nvgrace-gpu-vfio-pci");

	CHECK_EQ_U(f[0].action, VH_BIND); /* on vfio-pci, but its variant is chosen */
	f = decide_gh("[vfio]\nbind = 10de:*\n", "nvgrace-gpu-vfio-pci", "nvgrace-gpu-vfio-pci");
	CHECK_EQ_U(f[0].action, VH_KEEP);
	CHECK(strstr(f[0].note->reason, "already on nvgrace-gpu-vfio-pci") != NULL);
	f = decide_gh("[vfio]\nbind = 10de:*\ndriver = vfio-pci\n", "nvgrace-gpu-vfio-pci",
		      "nvgrace-gpu-vfio-pci");
	CHECK_EQ_U(f[0].action, VH_BIND); /* on the variant, but the generic is asked for */
	vh_plan_free(&fx.plan);
}

const struct tap_case variant_cases[] = {
    {"variant: the modalias globbed is vfio_pci: and the kernel's fields",
     modalias_is_the_kernels_with_vfio_pci_prefix},
    {"variant: 10de:2342 gets nvgrace_gpu_vfio_pci, not the generic vfio_pci",
     grace_hopper_gets_nvgrace_over_the_generic},
    {"variant: a ConnectX VF gets mlx5_vfio_pci, its PF the generic",
     a_connectx_vf_gets_mlx5_vfio_pci},
    {"variant: fewest '*' wins; a tie goes to the module name first in byte order",
     fewest_stars_win_and_ties_go_to_the_first_name},
    {"variant: no alias table, or no match, is the generic", no_aliases_or_no_match_is_the_generic},
    {"variant: decide gives each function to bind its module",
     decide_gives_each_function_its_module},
    {"variant: driver = vfio-pci forces the generic", driver_vfio_pci_forces_the_generic},
    {"variant: keep means already on the driver chosen", keep_means_on_the_chosen_driver},
    {NULL, NULL},
};
