/* The recorder's bpf describer: what a traced process's descriptor is,
 * asked of the kernel.
 *
 * The kind comes from the anonymous inode's name (/proc/TID/fd/N:
 * "anon_inode:bpf-map", "bpf-prog", "bpf_link", "btf"). For maps,
 * programs and links the descriptor is duplicated into xrr with
 * pidfd_getfd and BPF_OBJ_GET_INFO_BY_FD gives the map's type and sizes,
 * the program's type, the link's type; where that fails (an older
 * kernel, a security module) /proc/TID/fdinfo/N gives the map and program
 * fields. Per-CPU maps need the kernel's possible CPUs
 * (/sys/devices/system/cpu/possible). */
#include "config.h"

#include "replay/syscall_bpf.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd 438
#endif

/* "0-7", "0,2-5": how many CPUs; 0 when unreadable. */
static uint32_t possible_cpus(void)
{
	static uint32_t cached;
	char buf[512];
	FILE *f;
	uint32_t n = 0;

	if (cached)
		return cached;
	if (!(f = fopen("/sys/devices/system/cpu/possible", "re")))
		return 0;
	if (!fgets(buf, sizeof(buf), f)) {
		fclose(f);
		return 0;
	}
	fclose(f);
	for (char *p = buf; *p && *p != '\n';) {
		char *end;
		unsigned long a = strtoul(p, &end, 10), b = a;

		if (end == p)
			return 0;
		if (*end == '-') {
			p = end + 1;
			b = strtoul(p, &end, 10);
			if (end == p || b < a)
				return 0;
		}
		n += (uint32_t)(b - a + 1);
		p = *end == ',' ? end + 1 : end;
		if (p == end && *p && *p != '\n')
			return 0;
	}
	cached = n;
	return n;
}

static int kind_of(int pid, int fd, uint32_t *kind, char *err, size_t errlen)
{
	char path[64], target[128];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/fd/%d", pid, fd);
	if ((n = readlink(path, target, sizeof(target) - 1)) < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	target[n] = 0;
	if (strcmp(target, "anon_inode:bpf-map") == 0)
		*kind = SC_BPF_MAP;
	else if (strcmp(target, "anon_inode:bpf-prog") == 0)
		*kind = SC_BPF_PROG;
	else if (strcmp(target, "anon_inode:bpf_link") == 0)
		*kind = SC_BPF_LINK;
	else if (strcmp(target, "anon_inode:btf") == 0)
		*kind = SC_BPF_BTF;
	else
		*kind = SC_BPF_OTHER;
	return 0;
}

/* BPF_OBJ_GET_INFO_BY_FD on our duplicate of the tracee's fd. */
static int info_by_dup(int pid, int fd, struct sc_bpf_obj *o)
{
	union {
		struct bpf_map_info map;
		struct bpf_prog_info prog;
		struct bpf_link_info link;
	} info;
	union bpf_attr attr;
	int pidfd, dup, rc = -1;

	if ((pidfd = (int)syscall(SYS_pidfd_open, pid, 0)) < 0)
		return -1;
	dup = (int)syscall(SYS_pidfd_getfd, pidfd, fd, 0);
	close(pidfd);
	if (dup < 0)
		return -1;
	memset(&info, 0, sizeof(info));
	memset(&attr, 0, sizeof(attr));
	attr.info.bpf_fd = (uint32_t)dup;
	attr.info.info = (uint64_t)(uintptr_t)&info;
	attr.info.info_len = o->kind == SC_BPF_MAP ? sizeof(info.map)
			     : o->kind == SC_BPF_PROG ? sizeof(info.prog)
						      : sizeof(info.link);
	if (syscall(SYS_bpf, BPF_OBJ_GET_INFO_BY_FD, &attr, sizeof(attr)) == 0) {
		if (o->kind == SC_BPF_MAP) {
			o->map_type = info.map.type;
			o->key_size = info.map.key_size;
			o->value_size = info.map.value_size;
			o->map_flags = info.map.map_flags;
		} else if (o->kind == SC_BPF_PROG) {
			o->prog_type = info.prog.type;
		} else {
			o->link_type = info.link.type;
		}
		rc = 0;
	}
	close(dup);
	return rc;
}

/* /proc/TID/fdinfo/N: "map_type:\t1", "key_size:\t4", "prog_type:\t1" */
static int info_from_fdinfo(int pid, int fd, struct sc_bpf_obj *o)
{
	char path[64], line[256];
	FILE *f;
	unsigned found = 0;

	snprintf(path, sizeof(path), "/proc/%d/fdinfo/%d", pid, fd);
	if (!(f = fopen(path, "re")))
		return -1;
	while (fgets(line, sizeof(line), f)) {
		unsigned long v;
		long flags;

		if (sscanf(line, "map_type: %lu", &v) == 1) {
			o->map_type = (uint32_t)v;
			found |= 1;
		} else if (sscanf(line, "key_size: %lu", &v) == 1) {
			o->key_size = (uint32_t)v;
			found |= 2;
		} else if (sscanf(line, "value_size: %lu", &v) == 1) {
			o->value_size = (uint32_t)v;
			found |= 4;
		} else if (sscanf(line, "map_flags: %li", &flags) == 1) {
			o->map_flags = (uint32_t)flags;
		} else if (sscanf(line, "prog_type: %lu", &v) == 1) {
			o->prog_type = (uint32_t)v;
			found |= 8;
		}
	}
	fclose(f);
	if (o->kind == SC_BPF_MAP)
		return (found & 7) == 7 ? 0 : -1;
	return o->kind == SC_BPF_PROG && (found & 8) ? 0 : -1;
}

int bpf_obj_describe_pid(int pid, int tid, int fd, struct sc_bpf_obj *o,
			 char *err, size_t errlen)
{
	memset(o, 0, sizeof(*o));
	if (fd < 0) {
		snprintf(err, errlen, "fd %d: not a descriptor", fd);
		return -1;
	}
	/* the thread's view (a thread-group leader that exited has no fd
	 * table left); pidfds name thread groups */
	if (kind_of(tid, fd, &o->kind, err, errlen) < 0)
		return -1;
	if (o->kind == SC_BPF_BTF || o->kind == SC_BPF_OTHER)
		return 0;
	if (info_by_dup(pid, fd, o) < 0 &&
	    (o->kind == SC_BPF_LINK || info_from_fdinfo(tid, fd, o) < 0)) {
		if (o->kind != SC_BPF_LINK) {
			snprintf(err, errlen, "fd %d of process %d: neither "
				 "BPF_OBJ_GET_INFO_BY_FD nor fdinfo describe the %s",
				 fd, pid, o->kind == SC_BPF_MAP ? "map" : "program");
			o->kind = SC_BPF_UNKNOWN;
			return -1;
		}
		o->link_type = 0;       /* kind known, type not */
	}
	if (o->kind == SC_BPF_MAP)
		o->ncpus = possible_cpus();
	return 0;
}
