/* msgs: a bounded list of messages (warnings, problems) kept for the output. */
#include <stdarg.h>
#include <string.h>

#include "vfiohost.h"

void vh_msgs_add(struct vh_msgs *m, const char *fmt, ...)
{
	char *msg = m->msg[m->n];
	va_list ap;
	int n;

	if (m->n == VH_MAX_WARN)
		return;
	va_start(ap, fmt);
	n = vsnprintf(msg, sizeof(m->msg[0]), fmt, ap);
	va_end(ap);
	if (n >= (int)sizeof(m->msg[0])) /* a message cut short says so */
		memcpy(msg + sizeof(m->msg[0]) - 4, "...", 4);
	m->n++;
}
