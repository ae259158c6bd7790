/* power_read: discovery of what reset and power a selected function has now: its
 * reset_method (absent when the function has no reset method, or before Linux 5.15) and
 * its d3cold_allowed. Neither read takes the device lock. */
#include <string.h>

#include "vfiohost.h"

void vh_power_read(int devfd, struct vh_fn *fn)
{
	struct vh_power_fn *pw = &fn->note->power;
	char path[64];
	long long v;

	pw->read = true;
	vh_fmt(path, sizeof(path), "%s/reset_method", fn->bdf);
	pw->reset_file =
	    vh_read_str_at(devfd, path, pw->reset_offered, sizeof(pw->reset_offered)) == 0;
	pw->reset_offered[strcspn(pw->reset_offered, "\n")] = '\0'; /* one line, as the kernel's */
	vh_fmt(path, sizeof(path), "%s/d3cold_allowed", fn->bdf);
	pw->d3cold_now = vh_read_int_at(devfd, path, &v) == 0 ? (v != 0) : -1;
}
