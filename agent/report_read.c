/* report_read: the last boot's report, /run/vfiohost/report.json, read back for status and
 * topup. */
#include <errno.h>
#include <string.h>

#include "topup.h"

#define REPORT VH_RUN_DIR "/report.json"

int vh_report_load(const struct vh_root *r, char **text, struct vh_jdoc *d, FILE *errf)
{
	size_t len;
	int rc = vh_read_whole_at(r->fd, REPORT, text, &len, 256u << 20);

	if (rc < 0) {
		if (errf)
			fprintf(
			    errf,
			    "vfiohost: no report at /%s (%s): vfiohost did not run at this boot\n",
			    REPORT, strerror(-rc));
		return rc;
	}
	rc = vh_json_parse(d, *text);
	if (rc < 0 || d->node[0].type != VH_J_OBJ) {
		if (errf)
			fprintf(errf, "vfiohost: /%s is not a report vfiohost wrote\n", REPORT);
		return -EINVAL;
	}
	return 0;
}
