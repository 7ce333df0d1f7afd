/* Finding xrr's private files: see replay/install_paths.h. */
#include "config.h"

#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "replay/install_paths.h"

/* Absolute: a tracee's loader opens it from whatever directory the
 * program changed to. */
static int found(char *out, size_t len)
{
	char real[PATH_MAX];

	if (access(out, R_OK) != 0)
		return 0;
	if (realpath(out, real))
		snprintf(out, len, "%s", real);
	return 1;
}

/* The variable's file (1), a failure (-1), or 0 when it is not set;
 * else dir is where the running xrr is. */
static int from_env_or_self(const char *env, const char *what, char *out,
			    size_t len, char *self, size_t selflen, char *err,
			    size_t errlen)
{
	const char *set = getenv(env);

	if (set && *set) {
		snprintf(out, len, "%s", set);
		if (found(out, len))
			return 1;
		snprintf(err, errlen, "%s %s (%s): %s", what, set, env,
			 strerror(errno));
		return -1;
	}
	ssize_t n = readlink("/proc/self/exe", self, selflen - 1);
	if (n < 0) {
		snprintf(err, errlen, "readlink /proc/self/exe: %s",
			 strerror(errno));
		return -1;
	}
	self[n] = '\0';
	return 0;
}

int install_find_private_file(const char *name, const char *build_dir,
			      const char *env, const char *what, char *out,
			      size_t len, char *err, size_t errlen)
{
	char self[PATH_MAX];
	int rc = from_env_or_self(env, what, out, len, self, sizeof(self), err,
				  errlen);
	if (rc != 0)
		return rc > 0 ? 0 : -1;
	const char *dir = dirname(self);
	static const char *const places[] = {
		"%s/%s/%s",             /* build tree */
		"%s/../%s/xrr/%s",      /* installed pkglibdir */
	};
	static const char *const libdirs[] = { "lib", "lib64" };
	snprintf(out, len, places[0], dir, build_dir, name);
	if (found(out, len))
		return 0;
	for (size_t i = 0; i < sizeof(libdirs) / sizeof(libdirs[0]); i++) {
		snprintf(out, len, places[1], dir, libdirs[i], name);
		if (found(out, len))
			return 0;
	}
	snprintf(err, errlen, "%s %s not found in %s/%s or %s/../lib/xrr "
		 "(set %s)", what, name, dir, build_dir, dir, env);
	return -1;
}

int install_find_data_file(const char *name, const char *env,
			   const char *what, char *out, size_t len, char *err,
			   size_t errlen)
{
	char self[PATH_MAX];
	int rc = from_env_or_self(env, what, out, len, self, sizeof(self), err,
				  errlen);
	if (rc != 0)
		return rc > 0 ? 0 : -1;
	const char *dir = dirname(self);
	snprintf(out, len, "%s/%s", dir, name);          /* build tree */
	if (found(out, len))
		return 0;
	snprintf(out, len, "%s/../share/xrr/%s", dir, name);   /* pkgdatadir */
	if (found(out, len))
		return 0;
	snprintf(err, errlen, "%s %s not found in %s or %s/../share/xrr "
		 "(set %s)", what, name, dir, dir, env);
	return -1;
}
