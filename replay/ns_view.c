/* The recorded task's view across namespaces (replay/ns_view.h). */
#include "config.h"

#include "replay/ns_view.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The last number of the line starting with key (0: none). */
static pid_t last_field(const char *text, const char *key)
{
	const char *p = strstr(text, key);

	if (!p)
		return 0;
	p += strlen(key);
	pid_t last = 0;
	for (;;) {
		char *end;
		while (*p == ' ' || *p == '\t')
			p++;
		long v = strtol(p, &end, 10);
		if (end == p || v <= 0)
			break;
		last = (pid_t)v;
		p = end;
	}
	return last;
}

pid_t ns_view_parse_nspid(const char *text)
{
	return last_field(text, "\nNSpid:");
}

bool ns_view_is_pid_ns_init(const char *text)
{
	return last_field(text, "\nNStgid:") == 1;
}

pid_t ns_view_tid(pid_t tid)
{
	char path[64], text[4096];

	snprintf(path, sizeof(path), "/proc/%d/status", (int)tid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	ssize_t n = read(fd, text, sizeof(text) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	text[n] = 0;
	pid_t v = ns_view_parse_nspid(text);
	return v ? v : tid;
}

static bool same_inode(const char *a, const char *b)
{
	struct stat x, y;

	return stat(a, &x) == 0 && stat(b, &y) == 0 && x.st_dev == y.st_dev &&
	       x.st_ino == y.st_ino;
}

bool ns_view_same_mount_ns(pid_t pid)
{
	char ns[64];

	snprintf(ns, sizeof(ns), "/proc/%d/ns/mnt", (int)pid);
	return same_inode(ns, "/proc/self/ns/mnt");
}

static bool is_inode(const char *path, uint64_t ino)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode) &&
	       (uint64_t)st.st_ino == ino;
}

bool ns_view_name(pid_t pid, const char *path, char *out, size_t outlen)
{
	int n;

	if (path[0] != '/')
		return false;
	if (ns_view_same_mount_ns(pid))
		n = snprintf(out, outlen, "%s", path);
	else
		n = snprintf(out, outlen, "/proc/%d/root%s", (int)pid, path);
	return n > 0 && (size_t)n < outlen;
}

bool ns_view_path(pid_t pid, const char *path, uint64_t ino, char *out,
		  size_t outlen)
{
	return ns_view_name(pid, path, out, outlen) && is_inode(out, ino);
}
