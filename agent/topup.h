/* topup: the hugepages the initramfs could not reserve, taken after the switch to the real
 * root (cmd_topup.c acts; topup.c holds the rules, free of I/O). */
#ifndef VFIOHOST_TOPUP_H
#define VFIOHOST_TOPUP_H

#include "jsonread.h"
#include "vfiohost.h"

/* The time the top-up may spend when --deadline is not given (seconds). */
#define VH_TOPUP_TIME_S 120

/* The boot's plan, read back from its report D into HP (present, size, pages and nodes as the
 * boot asked them: never more). Returns 0 when pages are missing, 1 when there is nothing to
 * top up (why says so), -EINVAL for a report without what it needs (why says what). */
int vh_topup_plan(const struct vh_jdoc *d, struct vh_hp_plan *hp, char *why, size_t size);
/* The pages the report says were reserved: after the last top-up if there was one, else
 * at boot; -1 without a [hugepages] stage. */
long long vh_topup_obtained(const struct vh_jdoc *d);
/* How much of a report's TEXT (LEN bytes) to keep before its "topup" member is appended:
 * up to its closing brace, an earlier top-up's member left out. 0 when TEXT is no object. */
size_t vh_topup_keep(const char *text, size_t len);

/* The member a top-up writes last in the report (vh_topup_keep looks for it). */
#define VH_TOPUP_MEMBER ",\n  \"topup\": {"

/* Reads the report under R into *TEXT (owned by the caller) and parses it into D; says what
 * failed on ERRF (NULL: quiet). */
int vh_report_load(const struct vh_root *r, char **text, struct vh_jdoc *d, FILE *errf);

#endif
