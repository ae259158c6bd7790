/* msgs: a bounded list of messages (warnings, problems) kept for the output. */
#include <stdarg.h>

#include "vfiohost.h"

void vh_msgs_add(struct vh_msgs *m, const char *fmt, ...)
{
	va_list ap;

	if (m->n == VH_MAX_WARN)
		return;
	va_start(ap, fmt);
	vsnprintf(m->msg[m->n++], sizeof(m->msg[0]), fmt, ap);
	va_end(ap);
}
