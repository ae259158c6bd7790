/* vfiohost: internal interfaces shared by the agent's files. */
#ifndef VFIOHOST_H
#define VFIOHOST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#define VH_VERSION	  "0.1.0"
#define VH_DEFAULT_CONFIG "/etc/vfiohost.conf"
#define VH_RUN_DIR	  "run/vfiohost"

#define VH_MAX_SEL     64 /* bind or skip lines in a policy */
#define VH_MAX_TERMS   4  /* terms in one selector */
#define VH_MAX_ALT     16 /* alternatives in one comma list */
#define VH_MAX_NODES   64 /* NUMA nodes */
#define VH_MAX_CMDSKIP 32 /* addresses in vfiohost.skip= */
#define VH_MAX_WARN    64 /* warnings kept for output */
#define VH_MAX_HPSIZES 8  /* hugepage sizes a kernel offers */
#define VH_MAX_FUNCS   1000000

/* ---- root: every absolute path is taken under it (fsutil.c) ---- */
struct vh_root {
	int fd;		  /* O_PATH|O_DIRECTORY fd of the root, owned */
	bool is_slash;	  /* the real "/": modules may be loaded */
	const char *path; /* as given, for messages */
};

int vh_root_open(struct vh_root *r, const char *path, FILE *errf);
void vh_root_close(struct vh_root *r);
/* Paths below are relative to a directory fd (no leading slash). */
ssize_t vh_read_at(int dirfd, const char *rel, char *buf, size_t size);
ssize_t vh_read_attr_at(int dirfd, const char *rel, char *buf, size_t size);
int vh_read_str_at(int dirfd, const char *rel, char *buf, size_t size);
int vh_read_str_wait_at(int dirfd, const char *rel, char *buf, size_t size);
int vh_read_int_at(int dirfd, const char *rel, long long *out);
int vh_write_at(int dirfd, const char *rel, const char *data);
int vh_link_base_at(int dirfd, const char *rel, char *buf, size_t size);
int vh_read_whole_at(int dirfd, const char *rel, char **out, size_t *len, size_t max);
int vh_read_stream_at(int dirfd, const char *rel, char **out, size_t *len, size_t max);
int vh_mkdirs_at(int dirfd, const char *rel);
int vh_dir_each(int dirfd, const char *rel, int (*fn)(const char *name, void *arg), void *arg);
int vh_dir_count(int dirfd, const char *rel, size_t *n);
int vh_fmt(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
uint64_t vh_now_us(void);

/* ---- selectors (selector.c) ---- */
enum vh_term_kind { VH_T_ID, VH_T_ADDR, VH_T_CLASS };

struct vh_idpat {
	int32_t vendor; /* -1 matches any */
	int32_t device;
};

struct vh_classpat {
	uint32_t value;
	uint8_t digits; /* 2, 4 or 6 hex digits of the 24-bit class */
};

struct vh_addr {
	uint32_t domain;
	uint8_t bus, slot;
	int8_t func; /* -1: every function of the slot */
};

struct vh_term {
	uint8_t kind;
	uint8_t n;
	union {
		struct vh_idpat ids[VH_MAX_ALT];
		struct vh_classpat classes[VH_MAX_ALT];
		struct vh_addr addr;
	} u;
};

struct vh_selector {
	int line;
	uint8_t nterms;
	struct vh_term terms[VH_MAX_TERMS];
};

struct vh_fn;
int vh_selector_parse(const char *text, struct vh_selector *sel, char *err, size_t errsize);
bool vh_selector_match(const struct vh_selector *sel, const struct vh_fn *fn);
int vh_addr_parse(const char *text, size_t len, struct vh_addr *a);
bool vh_addr_match(const struct vh_addr *a, const struct vh_fn *fn);

/* ---- reset and power per function (power.c, power_read.c, power_apply.c, power_out.c,
 * power_status.c): reset_method and d3cold_allowed, written before the bind ---- */
#define VH_RESET_LEN 64 /* a reset_method list: the kernel's names, each once, fit */

/* The settings of [vfio] (every bound function) or of one [function SELECTOR] section. */
struct vh_power_set {
	char reset[VH_RESET_LEN]; /* "bus flr" (single spaces) or "default"; "": not set */
	int reset_line;		  /* where it was set, 0: not set */
	int8_t d3cold;		  /* 0 no, 1 yes, -1 not set */
	int d3cold_line;
};

struct vh_fnsec { /* [function SELECTOR]: sel.line is the header's line */
	struct vh_selector sel;
	struct vh_power_set set;
};

/* What is read, decided and done for one selected function. */
struct vh_power_fn {
	bool read;			/* discovery read the attributes below */
	bool reset_file;		/* it has a reset_method file (no file: no reset method) */
	char reset_offered[80];		/* what reset_method lists, in order */
	int8_t d3cold_now;		/* d3cold_allowed: 0 or 1; -1: no such file */
	char reset_write[VH_RESET_LEN]; /* what boot writes to reset_method; "": nothing */
	int reset_line;
	int8_t d3cold_write; /* what boot writes to d3cold_allowed; -1: nothing */
	int d3cold_line;
	char reset_result[96]; /* boot: "written", "failed: ..."; "": not tried */
	char d3cold_result[96];
};

/* Parses a reset-method value into its canonical form (single spaces); 0 or -EINVAL with
 * err saying why. */
int vh_reset_parse(const char *val, char *out, size_t size, char *err, size_t errsize);
/* Does the list WANT (canonical) hold only methods that OFFERED lists? MISSING gets the
 * others. */
bool vh_reset_offered(const char *want, const char *offered, char *missing, size_t size);

/* ---- policy (policy.c) ---- */
enum vh_pages_mode { VH_PAGES_MAX, VH_PAGES_N, VH_PAGES_PCT };

struct vh_hp_policy {
	bool present;
	uint64_t size_kib;
	enum vh_pages_mode mode;
	uint64_t pages; /* N, or the percentage */
	bool keep_auto;
	uint64_t keep_kib;
	bool nodes_even;
	long time_s; /* time = N: seconds the initramfs may spend reserving; -1: auto */
};

/* The cap on [hugepages] time and vfiohost.hugepages_time= (seconds). */
#define VH_HP_TIME_MAX_S 600
long long vh_parse_seconds(const char *s, long long max);

struct vh_policy {
	const char *path; /* as shown in messages */
	bool present;	  /* the file existed */
	struct vh_selector bind[VH_MAX_SEL];
	int nbind;
	struct vh_selector skip[VH_MAX_SEL];
	int nskip;
	bool companions;
	bool isolation_strict;
	bool bootvga_skip;
	bool driver_auto; /* driver = auto: a VFIO variant driver where the kernel has one */
	char options[256];
	long expect; /* -1: not set */
	struct vh_hp_policy hp;
	struct vh_power_set power;	   /* [vfio] reset-method, d3cold */
	struct vh_fnsec fnsec[VH_MAX_SEL]; /* [function SELECTOR] sections, in file order */
	int nfnsec;
};

void vh_policy_init(struct vh_policy *p, const char *path);
/* Parses text; reports every error as "FILE:LINE: msg" to errf; returns the
 * number of errors (0: valid). */
int vh_policy_parse(struct vh_policy *p, const char *text, size_t len, FILE *errf);
/* Reads and parses p->path under the root; -ENOENT when there is no policy. */
int vh_policy_load(struct vh_policy *p, const struct vh_root *r, FILE *errf);
/* Why the policy file itself is unsafe to apply (owner, mode), or NULL. */
const char *vh_policy_unsafe(const struct vh_root *r, const char *path, char *buf, size_t size);
/* Keeps the policy a boot applies under VH_RUN_DIR, for vh_policy_changed. */
int vh_policy_keep_copy(const struct vh_root *r, const char *path);
/* Does the policy differ from the copy the last boot kept? 1, 0, or -1: no such copy. */
int vh_policy_changed(const struct vh_root *r, const char *path);

#define VH_REBUILD_HINT                                                                            \
	"rebuild the initramfs (update-initramfs -u, or dracut -f) to use it, unless that was done since the edit"

/* ---- discovery (pci.c, host.c, detail.c) ---- */
enum vh_action { VH_NONE, VH_BIND, VH_KEEP, VH_SKIP, VH_REFUSE };

/* What is said of a selected function: most functions of a large host never need it. */
struct vh_note {
	char reason[640];
	char result[128]; /* boot */
	int vmod;	  /* the VFIO module chosen: index into vh_host.var.mod, -1 the generic */
	char used[32];	  /* boot: the VFIO driver written to driver_override, or "" */
	struct vh_power_fn power;
};

struct vh_fn {
	char bdf[16];
	uint32_t domain;
	uint8_t bus, slot, func;
	uint16_t vendor, device;
	uint16_t subvendor, subdevice; /* with the ids and class: its modalias */
	uint32_t class;		       /* 24-bit */
	int group;		       /* -1: none */
	bool unreadable;	       /* its uevent could not be read: never selected */
	char driver[32];
	/* read by vh_host_detail, for the functions of selected slots only */
	bool detailed;
	int numa;		 /* -1: unknown */
	int boot_vga;		 /* -1: no attribute */
	bool group_listed;	 /* sys/kernel/iommu_groups holds its group */
	const char *framebuffer; /* /proc/iomem's framebuffer in its memory (static), or NULL */
	char override[32];	 /* plan: vh_read_overrides; boot: the claim read it */
	/* decision */
	bool selected;
	uint8_t action;
	int line;	      /* policy line that selected it */
	long companion_of;    /* index of the function whose slot it came with, or -1 */
	struct vh_note *note; /* only for selected functions: into vh_plan.notes */
};

/* What the kernel command line asks of vfiohost (SPEC section 4). */
struct vh_cmdargs {
	struct vh_addr skip[VH_MAX_CMDSKIP]; /* vfiohost.skip= */
	int nskip;
	bool pages_set; /* vfiohost.hugepages= */
	long pages;
	long hp_time_s; /* vfiohost.hugepages_time=: seconds; -1 when not given */
};

/* The kernel's VFIO variant drivers (aliases.c reads them, variant.c chooses). */
#define VH_GENERIC_MODULE "vfio_pci"
#define VH_GENERIC_DRIVER "vfio-pci"
#define VH_MAX_VALIASES	  4096 /* vfio_pci: lines of modules.alias kept */

struct vh_vmodule {
	char name[56];	 /* as modules.alias spells it (with '_'): MODULE_NAME_LEN */
	char driver[32]; /* what sys/module/NAME/drivers/pci:DRIVER names, or "" */
};

struct vh_valias {
	char pattern[96]; /* "vfio_pci:v...", as in modules.alias */
	uint16_t stars;	  /* its '*' */
	uint16_t mod;	  /* into vh_variants.mod */
};

#define VH_RELEASE_LEN 65 /* a kernel release and its NUL, as utsname has it */

struct vh_variants {
	int rc; /* 0: read; -ENOENT: no modules.alias; else why not; 1: not asked */
	char release[VH_RELEASE_LEN]; /* --kernel's, else proc/sys/kernel/osrelease */
	struct vh_valias *alias;      /* owned */
	size_t nalias;
	struct vh_vmodule *mod; /* owned */
	size_t nmod;
};

/* Reads the vfio_pci: aliases of lib/modules/RELEASE/modules.alias under the root, and the
 * driver each of their modules has registered (if loaded); says what went wrong to errf.
 * RELEASE is release (plan --kernel), or the running kernel's when it is NULL. */
void vh_variants_read(struct vh_variants *v, const struct vh_root *r, const char *release,
		      FILE *errf);
/* A kernel release that can name a folder of lib/modules: letters, digits, ._+-, not
 * starting with a dot, shorter than VH_RELEASE_LEN. */
bool vh_release_valid(const char *release);
void vh_variants_free(struct vh_variants *v);
/* The pci driver sys/module/MODULE/drivers lists (under the root fd), into buf. */
int vh_module_driver(int rootfd, const char *module, char *buf, size_t size);

struct vh_gidx {
	int group;
	size_t idx; /* into vh_host.fn */
};

struct vh_host {
	struct vh_fn *fn; /* sorted by address, owned */
	size_t nfn;
	struct vh_gidx *bygroup; /* sorted by group, owned */
	bool iommu_active;
	int ngroups;
	uint64_t memtotal_kib;
	int nnodes;
	int node_id[VH_MAX_NODES];
	uint64_t node_mem_kib[VH_MAX_NODES];
	char cmdline[4096];
	struct vh_cmdargs args;		       /* parsed from cmdline by vh_cmdline_args */
	uint64_t hp_sizes_kib[VH_MAX_HPSIZES]; /* read by vh_host_detail */
	int nhpsizes;
	struct vh_variants var; /* read by vh_variants_read, with driver = auto */
	int devfd;		/* sys/bus/pci/devices, owned */
};

int vh_host_discover(struct vh_host *h, const struct vh_root *r, FILE *errf);
void vh_host_free(struct vh_host *h);
/* Builds h->bygroup from h->fn (sorted by address). */
int vh_host_index(struct vh_host *h);
int vh_pci_scan(struct vh_host *h, const struct vh_root *r, FILE *errf);
/* The detail step, between selection and judgment: what the rules need of the selected
 * slots (see detail.c), and the hugepage sizes the kernel offers. */
void vh_host_detail(struct vh_host *h, const struct vh_root *r);
/* reset_method and d3cold_allowed of a selected function, into fn->note->power. */
void vh_power_read(int devfd, struct vh_fn *fn);
int vh_read_cmdline(const struct vh_root *r, char *buf, size_t size);
const char *vh_cmdline_get(const char *cmdline, const char *key, char *buf, size_t size);
bool vh_cmdline_has(const char *cmdline, const char *word);
void vh_cmdline_args(const char *cmdline, struct vh_cmdargs *a, FILE *errf);
/* Members of a group: the count, and where they start in h->bygroup. */
size_t vh_group_members(const struct vh_host *h, int group, size_t *first);
/* How many positions of h->bygroup from first hold first's group: walk with i += span. */
size_t vh_group_span(const struct vh_host *h, size_t first);
/* First and one-past-last index in h->fn of the slot holding h->fn[i]. */
void vh_slot_range(const struct vh_host *h, size_t i, size_t *lo, size_t *hi);

/* ---- names (names.c) ---- */
const char *vh_class_short(uint32_t class);
const char *vh_class_name(uint32_t class);
const char *vh_vendor_name(uint16_t vendor);
bool vh_is_bridge(uint32_t class);
bool vh_is_display(uint32_t class);
bool vh_is_gpu(uint32_t class);
bool vh_is_nvswitch(uint16_t vendor, uint32_t class);
const char *vh_fn_kind(const struct vh_fn *fn);
const char *vh_fn_kind_name(const struct vh_fn *fn);
void vh_fn_label(const struct vh_fn *fn, char *buf, size_t size);
const char *vh_action_name(int action);

struct vh_pciids {
	char *text; /* the whole database, owned; NULL when there is none */
};

int vh_pciids_open(struct vh_pciids *db, const struct vh_root *r);
void vh_pciids_close(struct vh_pciids *db);
int vh_pciids_lookup(const struct vh_pciids *db, uint16_t vendor, uint16_t device, char *vname,
		     size_t vsize, char *dname, size_t dsize);

/* ---- messages kept for output (msgs.c) ---- */
struct vh_msgs {
	int n;
	char msg[VH_MAX_WARN][256];
};

void vh_msgs_add(struct vh_msgs *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---- decisions (decide.c, hugepages.c): no root, no I/O, only the model ---- */
/* Why a reservation came up short: out of time, no free range of the page size although
 * enough memory is free (fragmentation), not enough free memory, or a failed write. */
enum vh_hp_short { VH_HP_FULL, VH_HP_TIME, VH_HP_FRAGMENTED, VH_HP_MEMORY, VH_HP_ERROR };
#define VH_HP_TRIES 3 /* writes in a row that may gain nothing, each after compaction */

struct vh_hp_node {
	int node;
	uint64_t cap;
	uint64_t pages;	 /* asked */
	uint64_t got;	 /* read back (boot) */
	uint64_t before; /* held before the reservation began */
	int tries;	 /* boot: attempts made */
	enum vh_hp_short why;
	uint64_t ms; /* boot: time spent */
};

struct vh_hp_plan {
	bool present;
	uint64_t size_kib;
	uint64_t memtotal_kib;
	uint64_t keep_free_kib;
	uint64_t budget;
	uint64_t requested; /* before capping */
	uint64_t pages;	    /* total asked of the kernel */
	uint64_t got;
	uint64_t before;      /* held before the reservation began */
	enum vh_hp_short why; /* boot, one-node hosts: as in vh_hp_node */
	uint64_t ms;
	uint64_t time_ms; /* boot: the time the reservation was given (set by the caller) */
	bool supported;	  /* the kernel offers this page size */
	int nnodes;	  /* 0: the global file is used */
	struct vh_hp_node node[VH_MAX_NODES];
};

struct vh_plan {
	const struct vh_policy *policy;
	struct vh_host *host;
	const char *mode; /* boot: apply or dry-run */
	int rebuild; /* plan: the policy differs from the last boot's (1), not (0), unknown (-1) */
	struct vh_note *notes; /* one per selected function, owned (vh_plan_free) */
	struct vh_hp_plan hp;
	struct vh_msgs warn;
	size_t nselected;
	size_t count[5]; /* per vh_action */
};

void vh_plan_init(struct vh_plan *pl, const struct vh_policy *p, struct vh_host *h);
void vh_plan_free(struct vh_plan *pl);
/* Steps 1 and 2: bind selectors, companions, skips. Then vh_host_detail, then: */
void vh_select(struct vh_plan *pl);
/* Steps 3 to 7 and the hugepage plan, on the facts vh_host_detail read. */
void vh_decide(struct vh_plan *pl);
/* reset-method and d3cold for every function to bind: what boot writes (power.c). */
void vh_power_decide(struct vh_plan *pl);
uint64_t vh_keep_free_auto(uint64_t memtotal_kib, unsigned displays);
uint64_t vh_budget(uint64_t memtotal_kib, uint64_t keep_free_kib, uint64_t size_kib);
void vh_hugepages_plan(struct vh_plan *pl);
uint64_t vh_hp_step(uint64_t size_kib);
bool vh_hp_time_for_more(uint64_t now_us, uint64_t end_us, uint64_t last_us);
enum vh_hp_short vh_hp_why(uint64_t want, uint64_t got, bool out_of_time, uint64_t free_kib,
			   uint64_t size_kib);
const char *vh_hp_short_name(enum vh_hp_short s);
/* variant.c: "vfio_pci:" and FN's modalias without "pci:" */
int vh_vfio_modalias(const struct vh_fn *fn, char *buf, size_t size);
/* The module the kernel's aliases give FN (index into v->mod), or -1: the generic one. */
int vh_variant_choose(const struct vh_variants *v, const struct vh_fn *fn);
/* Gives every function to bind its module (note->vmod), as the policy's driver = says. */
void vh_choose_modules(struct vh_plan *pl);
/* A selected function's module name, and its driver name where known (else NULL). */
const char *vh_fn_module(const struct vh_host *h, const struct vh_fn *fn);
const char *vh_fn_vfio_driver(const struct vh_host *h, const struct vh_fn *fn);
void vh_split_pages(uint64_t total, int n, const uint64_t *weight, const uint64_t *cap,
		    const uint64_t *fallback, uint64_t *out);

/* ---- output (json.c, plan_out.c) ---- */
struct vh_json {
	FILE *f;
	int depth;
	bool first[32];
	bool pretty;
};

void vh_json_begin(struct vh_json *j, FILE *f);
void vh_json_open(struct vh_json *j, const char *key, char brace);
void vh_json_close(struct vh_json *j, char brace);
void vh_json_str(struct vh_json *j, const char *key, const char *val);
void vh_json_num(struct vh_json *j, const char *key, long long val);
void vh_json_bool(struct vh_json *j, const char *key, bool val);
void vh_json_null(struct vh_json *j, const char *key);
void vh_json_end(struct vh_json *j);

struct vh_timing {
	const char *name;
	uint64_t us;
};

void vh_plan_json(const struct vh_plan *pl, FILE *f, bool report, const struct vh_timing *t,
		  int nt);
void vh_plan_table(const struct vh_plan *pl, FILE *f);
void vh_json_fn_ids(struct vh_json *j, const struct vh_fn *fn);
void vh_power_json(struct vh_json *j, const struct vh_fn *fn, bool report);
void vh_power_table(const struct vh_plan *pl, FILE *f);

/* ---- logging (log.c) ---- */
enum vh_level { VH_ERR = 3, VH_WARNING = 4, VH_INFO = 6 };

struct vh_log {
	int rootfd;
	int fd;	     /* /dev/kmsg, reopened to stay under its rate limit */
	int written; /* lines on this fd */
	pid_t pid;   /* the process that opened fd: a forked child opens its own */
	bool echo;   /* also to stderr */
};

void vh_log_open(struct vh_log *lg, const struct vh_root *r, bool echo);
void vh_log(struct vh_log *lg, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void vh_log_close(struct vh_log *lg);

/* ---- acting (child.c, modload.c) ---- */
/* When blocking steps must give up: each step may take at most step_us, and all of them
 * together end by end_us, so one hung driver cannot starve the other groups. */
struct vh_deadline {
	uint64_t end_us;
	uint64_t step_us;
};

int vh_child_run(int (*fn)(void *), void *arg, const struct vh_deadline *dl);
/* Why a bounded step failed, for the log (-ETIMEDOUT: hung; -ECHILD: its worker died). */
const char *vh_step_why(int rc);
/* Kills a child that ran out of time and waits a moment for it to go. */
void vh_child_reap(pid_t pid);
int vh_child_write(int dirfd, const char *path, const char *value, const struct vh_deadline *dl);
int vh_load_vfio_pci(const struct vh_root *r, const char *options, struct vh_log *lg,
		     const struct vh_deadline *dl);
/* Loads a VFIO variant module (no options); 0 once sys/module names its pci driver. */
int vh_load_variant(const struct vh_root *r, const char *module, struct vh_log *lg,
		    const struct vh_deadline *dl);

void vh_hugepages_reserve(struct vh_plan *pl, const struct vh_root *r, struct vh_log *lg,
			  const struct vh_deadline *dl);
/* Writes reset_method and d3cold_allowed of the functions to bind, each write a bounded step;
 * a group whose write hung is left alone. -EIO when a write failed. */
int vh_power_apply(struct vh_plan *pl, const struct vh_root *r, struct vh_log *lg,
		   const struct vh_deadline *dl);
/* status: the live reset_method and d3cold_allowed against what the report says boot wrote;
 * every difference, and every write that failed at boot, goes to problem. */
struct vh_jdoc;
void vh_power_status(const struct vh_root *r, const struct vh_jdoc *d, struct vh_msgs *problem);
/* ---- verification (vfiodev.c) ---- */
/* Does the kernel have VFIO groups (CONFIG_VFIO_GROUP)? */
bool vh_vfio_has_groups(const struct vh_root *r);
/* 0 when the device at DEV (a path under DIRFD) is a VFIO device a VMM can open, else why
 * as -errno for vh_vfio_why; CDEV gets its vfioN where the kernel has no groups, else "". */
int vh_vfio_usable(const struct vh_root *r, int dirfd, const char *dev, int group, char *cdev,
		   size_t size);
void vh_vfio_why(char *buf, size_t size, int rc, int group, const char *cdev);

/* ---- group workers (worker.c) ---- */
/* At most this many children at once; a host with more groups shares workers. (bench/
 * builds it with 1 too: one worker for all groups, in turn, to compare.) */
#ifndef VH_MAX_WORKERS
#define VH_MAX_WORKERS 64
#endif

enum { VH_W_BEGIN, VH_W_END, VH_W_PHASE };

/* What a worker child says: a step begun or ended, or its phase done. */
struct vh_wmsg {
	int32_t fn;    /* index into vh_host.fn, or -1 */
	uint8_t step;  /* the caller's step number */
	uint8_t kind;  /* VH_W_* */
	int32_t rc;    /* 0 or -errno, with VH_W_END */
	char text[32]; /* a value the step read, with VH_W_END */
};

struct vh_wctx { /* the child's side */
	int out, in;
};

struct vh_worker { /* the parent's side */
	pid_t pid;
	int rfd, wfd; /* its records; commands to it */
	int fn, step; /* the step it is in, when in_step */
	uint64_t step_t0;
	bool in_step, phase_done, gone;
};

struct vh_wpool {
	struct vh_worker *w;
	size_t n;
	void (*on_msg)(void *ctx, struct vh_worker *w, const struct vh_wmsg *m);
	void *ctx;
};

int vh_worker_start(struct vh_worker *w, void (*body)(struct vh_wctx *c, void *arg), void *arg);
void vh_worker_send(struct vh_worker *w, char cmd);
void vh_workers_wait(struct vh_wpool *p, const struct vh_deadline *dl);
void vh_worker_end(struct vh_worker *w);
void vh_wbegin(struct vh_wctx *c, int fn, int step);
void vh_wend(struct vh_wctx *c, int fn, int step, int rc, const char *text);
void vh_wphase(struct vh_wctx *c, int rc);
char vh_wawait(struct vh_wctx *c);

/* plan: the detailed functions' driver_override, read in a child with a time limit. */
void vh_read_overrides(struct vh_plan *pl);

/* ---- binding (bind.c) ---- */
struct vh_grun { /* one IOMMU group to bind: a run of vh_host.bygroup */
	size_t first, n;
	int culprit; /* the function whose failure rolled the group back, or -1 */
	int hung;    /* the function whose step hung (never touched again), or -1 */
	int node;    /* usable (vfiodev.c): 1 every function, -1 not, 0 not waited for */
	int node_rc; /* why not, for vh_vfio_why */
	char node_cdev[32];
	bool claimed; /* in the worker child: every claim succeeded */
};

struct vh_binder { /* from vh_bind_claim to vh_bind_finish */
	struct vh_plan *pl;
	const struct vh_root *r;
	struct vh_log *lg;
	struct vh_grun *runs; /* owned */
	size_t nruns;
	uint8_t *st;	  /* per function: claimed, verified; owned */
	uint64_t wait_us; /* the longest wait for a VFIO device: within a step's share */
	struct vh_worker w[VH_MAX_WORKERS];
	size_t nw;
};

void vh_bind_claim(struct vh_binder *b, struct vh_plan *pl, const struct vh_root *r,
		   struct vh_log *lg, const struct vh_deadline *dl);
void vh_bind_load(struct vh_binder *b, const struct vh_deadline *dl);
int vh_bind_finish(struct vh_binder *b, const struct vh_deadline *dl);

/* ---- run files (report.c) ---- */
int vh_run_file_write(const struct vh_root *r, const char *name,
		      void (*writer)(FILE *f, const void *arg), const void *arg);
int vh_run_copy_write(const struct vh_root *r, const char *name, const char *data, size_t len);

/* ---- commands ---- */
struct vh_opts {
	const char *root;
	const char *config;
	bool json;
	bool prometheus;    /* status: node_exporter textfile metrics */
	bool modules;	    /* plan: only the VFIO modules boot would load */
	const char *kernel; /* --kernel: whose modules.alias names the variants (NULL: running) */
	bool verbose;
	unsigned deadline_ms;
	bool deadline_set; /* --deadline was given */
};

int vh_cmd_plan(const struct vh_opts *o);
int vh_cmd_check(const struct vh_opts *o);
int vh_cmd_boot(const struct vh_opts *o);
int vh_cmd_status(const struct vh_opts *o);
int vh_cmd_validate(const struct vh_opts *o);
int vh_cmd_import(const struct vh_opts *o);
int vh_cmd_topup(const struct vh_opts *o);

#endif
