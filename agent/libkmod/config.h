/* Hand-written stand-in for the config.h that kmod 30's configure makes,
 * for building libkmod (no tools, no compression, no openssl) with musl-gcc. */
#pragma once

#define _GNU_SOURCE 1

#define PACKAGE "kmod"
#define VERSION "30"
#define KMOD_FEATURES ""

/* Debian configures with --sysconfdir=/etc; libkmod reads /etc/modprobe.d. */
#ifndef SYSCONFDIR
#define SYSCONFDIR "/etc"
#endif

/* Errors go to the log function the caller sets; debug messages stay out. */
#define ENABLE_LOGGING 1

/* What configure finds with gcc 12 and musl 1.2.x. */
#define HAVE_SECURE_GETENV 1
#define HAVE___BUILTIN_CLZ 1
#define HAVE___BUILTIN_TYPES_COMPATIBLE_P 1
#define HAVE___BUILTIN_UADDL_OVERFLOW 1
#define HAVE___BUILTIN_UADDLL_OVERFLOW 1
#define HAVE_STRUCT_STAT_ST_MTIM 1
#define HAVE_DECL_BE32TOH 1
#define HAVE_LINUX_MODULE_H 1
#define HAVE_STATIC_ASSERT 1
#define HAVE_NORETURN 1

/* musl has no strndupa: shared/missing.h then defines one with alloca. */
#define HAVE_DECL_STRNDUPA 0

/* musl has no finit_module() wrapper: shared/missing.h calls the syscall. */
#undef HAVE_FINIT_MODULE

/* kmod relies on GNU basename() from <string.h> on a const path. musl only
 * has the POSIX one, which may write into its argument, and musl 1.2.4
 * dropped even its <string.h> declaration. Declare string.h's functions
 * first, then route kmod's calls to a GNU-style version. */
#include <string.h>

static inline char *kmod_gnu_basename(const char *path)
{
	const char *slash = strrchr(path, '/');

	return (char *)(slash ? slash + 1 : path);
}

#define basename(path) kmod_gnu_basename(path)
