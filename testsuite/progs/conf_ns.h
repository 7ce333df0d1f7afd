/* Shared by the namespace conformance programs (conf_ns_*.c): entering
 * namespaces, with a user namespace first when not root, and lines that
 * stay the same from run to run.  Namespace ids, pids and host names of
 * the machine are never printed, only relations ("yes"/"no") and
 * categories ("entered", "unavailable (EPERM)").  A namespace kind the
 * machine refuses (no privilege, a kernel without it) is reported as
 * unavailable and the program still passes: natively, recorded and
 * replayed the answer is the same. */
#ifndef CONF_NS_H
#define CONF_NS_H

#include "conf_proc.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/syscall.h>
#include <time.h>

#ifndef CLONE_NEWCGROUP
#define CLONE_NEWCGROUP 0x02000000
#endif
#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

static inline const char *errname(int e)
{
	const char *n = strerrorname_np(e);
	return n ? n : "?";
}

/* Write a small file in one write (uid_map, gid_map, setgroups). */
static inline int write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = write(fd, text, strlen(text));
	int e = errno;
	close(fd);
	errno = e;
	return n == (ssize_t)strlen(text) ? 0 : -1;
}

/* In a new user namespace: map its uid and gid 0 to the ids we had
 * (setgroups denied first, as an unprivileged gid_map write needs). */
static inline int map_root(uid_t uid, gid_t gid)
{
	char line[64];

	if (write_file("/proc/self/setgroups", "deny") < 0)
		return -1;
	snprintf(line, sizeof line, "0 %u 1", (unsigned)uid);
	if (write_file("/proc/self/uid_map", line) < 0)
		return -1;
	snprintf(line, sizeof line, "0 %u 1", (unsigned)gid);
	return write_file("/proc/self/gid_map", line);
}

/* unshare(flags), inside a new user namespace (ids mapped to 0) when
 * with_user is set or we are not root.  Prints "WHAT namespace:
 * entered" or "... unavailable (ERRNO)"; 1 when entered. */
static inline int ns_unshare(const char *what, int flags, int with_user)
{
	uid_t uid = geteuid();
	gid_t gid = getegid();

	if (uid != 0)
		with_user = 1;
	if (with_user) {
		if (unshare(CLONE_NEWUSER) < 0 || map_root(uid, gid) < 0) {
			printf("%s namespace: unavailable (user namespace: %s)\n",
			       what, errname(errno));
			fflush(stdout);
			return 0;
		}
	}
	if (flags && unshare(flags) < 0) {
		printf("%s namespace: unavailable (%s)\n", what, errname(errno));
		fflush(stdout);
		return 0;
	}
	printf("%s namespace: entered\n", what);
	fflush(stdout);
	return 1;
}

/* Two /proc/.../ns/ links name the same namespace. */
static inline int same_ns(const char *a, const char *b)
{
	char x[128], y[128];
	ssize_t n = readlink(a, x, sizeof x - 1);
	ssize_t m = readlink(b, y, sizeof y - 1);
	if (n <= 0 || m <= 0)
		return -1;
	x[n] = 0;
	y[m] = 0;
	return strcmp(x, y) == 0;
}

#endif
