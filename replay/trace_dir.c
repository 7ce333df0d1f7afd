/* Where traces live: the default root, PROG-N names, latest-trace, and
 * turning a user's TRACE argument into a directory. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "replay/trace.h"
#include "replay/trace_internal.h"

#define LATEST_LINK "latest-trace"

static int set_path(char *out, size_t outlen, char *err, size_t errlen,
		    const char *fmt, const char *a, const char *b)
{
	int n = snprintf(out, outlen, fmt, a, b);
	if (n < 0 || (size_t)n >= outlen) {
		snprintf(err, errlen, "trace directory name too long: %s%s", a, b);
		return -1;
	}
	return 0;
}

int trace_default_root(char *out, size_t outlen, char *err, size_t errlen)
{
	const char *env = getenv("XRR_TRACE_DIR");
	if (env && *env)
		return set_path(out, outlen, err, errlen, "%s%s", env, "");
	env = getenv("XDG_DATA_HOME");
	if (env && *env)
		return set_path(out, outlen, err, errlen, "%s%s", env, "/xrr");
	env = getenv("HOME");
	if (env && *env)
		return set_path(out, outlen, err, errlen, "%s%s", env,
				"/.local/share/xrr");
	snprintf(err, errlen, "no trace directory: set XRR_TRACE_DIR (HOME is"
		 " not set either)");
	return -1;
}

/* mkdir -p (trace_internal.h). */
int trace_make_dirs(const char *path)
{
	char buf[PATH_MAX];
	if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		if (mkdir(buf, 0755) < 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	return mkdir(buf, 0755) < 0 && errno != EEXIST ? -1 : 0;
}

/* N of "PROG-N", or -1 if name is not one of prog's traces. */
static long trace_number(const char *name, const char *prog)
{
	size_t n = strlen(prog);
	if (strncmp(name, prog, n) != 0 || name[n] != '-' || !name[n + 1])
		return -1;
	char *end;
	errno = 0;
	long v = strtol(name + n + 1, &end, 10);
	if (*end || errno || v < 0 || name[n + 1] == '+' || name[n + 1] == '-')
		return -1;
	return v;
}

static long next_number(const char *root, const char *prog)
{
	DIR *d = opendir(root);
	long next = 0;
	struct dirent *e;
	while (d && (e = readdir(d))) {
		long v = trace_number(e->d_name, prog);
		if (v >= next && v < LONG_MAX)
			next = v + 1;
	}
	if (d)
		closedir(d);
	return next;
}

int trace_make_dir(const char *root, const char *prog, char *out,
		   size_t outlen, char *err, size_t errlen)
{
	const char *slash = strrchr(prog, '/');
	const char *base = slash ? slash + 1 : prog;
	if (!*base || !strcmp(base, ".") || !strcmp(base, ".."))
		base = "trace";
	if (trace_make_dirs(root) < 0) {
		snprintf(err, errlen, "trace directory %s: cannot create: %s",
			 root, strerror(errno));
		return -1;
	}
	/* Numbers only grow (a deleted PROG-0 is not reused); mkdir claims a
	 * name atomically against concurrent recorders. */
	for (long n = next_number(root, base);; n++) {
		int k = snprintf(out, outlen, "%s/%s-%ld", root, base, n);
		if (k < 0 || (size_t)k >= outlen) {
			snprintf(err, errlen, "trace directory name too long under %s",
				 root);
			return -1;
		}
		if (mkdir(out, 0755) == 0)
			return 0;
		if (errno != EEXIST) {
			snprintf(err, errlen, "trace %s: cannot create: %s", out,
				 strerror(errno));
			return -1;
		}
	}
}

int trace_set_latest(const char *root, const char *trace_dir, char *err,
		     size_t errlen)
{
	char link[PATH_MAX], tmp[PATH_MAX];
	/* Relative when the trace is directly under root, so the root can be
	 * moved as a whole. */
	size_t rl = strlen(root);
	const char *target = trace_dir;
	if (!strncmp(trace_dir, root, rl) && trace_dir[rl] == '/' &&
	    !strchr(trace_dir + rl + 1, '/'))
		target = trace_dir + rl + 1;
	if (snprintf(link, sizeof(link), "%s/" LATEST_LINK, root) >= (int)sizeof(link) ||
	    snprintf(tmp, sizeof(tmp), "%s/." LATEST_LINK ".%d", root,
		     (int)getpid()) >= (int)sizeof(tmp)) {
		snprintf(err, errlen, "trace directory name too long: %s", root);
		return -1;
	}
	unlink(tmp);
	if (symlink(target, tmp) < 0 || rename(tmp, link) < 0) {
		snprintf(err, errlen, "%s: cannot update: %s", link, strerror(errno));
		unlink(tmp);
		return -1;
	}
	return 0;
}

static bool is_dir(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static int canonical(const char *path, char *out, size_t outlen, char *err,
		     size_t errlen)
{
	char buf[PATH_MAX];
	if (!realpath(path, buf)) {
		snprintf(err, errlen, "trace %s: %s", path, strerror(errno));
		return -1;
	}
	if (snprintf(out, outlen, "%s", buf) >= (int)outlen) {
		snprintf(err, errlen, "trace %s: path too long", buf);
		return -1;
	}
	return 0;
}

int trace_resolve(const char *root, const char *arg, char *out, size_t outlen,
		  char *err, size_t errlen)
{
	char path[PATH_MAX];
	if (!arg || !*arg) {
		snprintf(path, sizeof(path), "%s/" LATEST_LINK, root);
		if (!is_dir(path)) {
			snprintf(err, errlen, "no trace given and %s does not exist"
				 " (record one first)", path);
			return -1;
		}
		return canonical(path, out, outlen, err, errlen);
	}
	bool is_path = strchr(arg, '/') || !strcmp(arg, ".") || !strcmp(arg, "..");
	if (!is_path) {
		snprintf(path, sizeof(path), "%s/%s", root, arg);
		if (is_dir(path))
			return canonical(path, out, outlen, err, errlen);
	}
	if (is_dir(arg))
		return canonical(arg, out, outlen, err, errlen);
	if (is_path)
		snprintf(err, errlen, "trace %s: no such directory", arg);
	else
		snprintf(err, errlen, "no trace named %s (looked for %s/%s and"
			 " ./%s)", arg, root, arg, arg);
	return -1;
}
