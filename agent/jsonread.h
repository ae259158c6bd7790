/* jsonread: read back the JSON that vfiohost writes (the boot report). */
#ifndef VFIOHOST_JSONREAD_H
#define VFIOHOST_JSONREAD_H

#include <stdbool.h>
#include <stddef.h>

enum { VH_J_NULL, VH_J_BOOL, VH_J_NUM, VH_J_STR, VH_J_OBJ, VH_J_ARR };

struct vh_jnode {
	int type;
	int first; /* first child, -1 */
	int next;  /* next sibling, -1 */
	char *key; /* in an object; points into the text */
	char *str;
	long long num;
};

struct vh_jdoc {
	struct vh_jnode *node; /* owned; sized by a counting pass */
	int n, cap;
};

/* Parses text in place (the text must outlive the document); node 0 is the root. */
int vh_json_parse(struct vh_jdoc *d, char *text);
void vh_json_free(struct vh_jdoc *d);
int vh_jget(const struct vh_jdoc *d, int idx, const char *key);
const char *vh_jstr(const struct vh_jdoc *d, int idx, const char *key);
long long vh_jnum(const struct vh_jdoc *d, int idx, const char *key, long long dflt);

#endif
