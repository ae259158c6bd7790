/* tap: a tiny TAP producer for the C unit tests: one "ok N - name" per test function. */
#ifndef VFIOHOST_TAP_H
#define VFIOHOST_TAP_H

#include <stdio.h>

struct tap_case {
	const char *name;
	void (*fn)(void);
};

extern int tap_failed_checks; /* checks failed in the running test */

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			printf("#   %s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);        \
			tap_failed_checks++;                                                       \
		}                                                                                  \
	} while (0)

#define CHECK_EQ_U(a, b)                                                                           \
	do {                                                                                       \
		unsigned long long va_ = (a), vb_ = (b);                                           \
		if (va_ != vb_) {                                                                  \
			printf("#   %s:%d: %s == %llu, want %llu\n", __FILE__, __LINE__, #a, va_,  \
			       vb_);                                                               \
			tap_failed_checks++;                                                       \
		}                                                                                  \
	} while (0)

#define CHECK_STR(a, b)                                                                            \
	do {                                                                                       \
		const char *sa_ = (a), *sb_ = (b);                                                 \
		if (!sa_ || strcmp(sa_, sb_) != 0) {                                               \
			printf("#   %s:%d: %s == \"%s\", want \"%s\"\n", __FILE__, __LINE__, #a,   \
			       sa_ ? sa_ : "(null)", sb_);                                         \
			tap_failed_checks++;                                                       \
		}                                                                                  \
	} while (0)

/* Each test file exports its cases; main.c runs them all. */
extern const struct tap_case selector_cases[], policy_cases[], decide_cases[], hugepages_cases[],
    json_cases[], fnmatch_cases[], findings_cases[], hgx_cases[], import_cases[], topup_cases[],
    variant_cases[], power_cases[];

#endif
