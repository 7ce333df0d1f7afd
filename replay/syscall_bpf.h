/* bpf(2) objects as the syscall table needs to know them.
 *
 * What a bpf command writes often depends on the object a descriptor
 * names, not on the call: a map lookup writes the map's value size
 * (times the possible CPUs for per-CPU maps), BPF_OBJ_GET_INFO_BY_FD
 * writes a struct bpf_prog_info, bpf_map_info, bpf_btf_info or
 * bpf_link_info. The table (replay/syscall_bpf.c) asks through one narrow
 * callback at syscall entry; the recorder implements it with
 * bpf_obj_describe_pid (replay/bpf_objs.c), which asks the kernel about
 * the tracee's descriptor. Without a describer, or when it fails, a
 * command that needs one is recorded only when the kernel refuses it. */
#ifndef XRR_REPLAY_SYSCALL_BPF_H
#define XRR_REPLAY_SYSCALL_BPF_H

#include <stddef.h>
#include <stdint.h>

enum sc_bpf_kind {
	SC_BPF_UNKNOWN,         /* not described */
	SC_BPF_MAP,
	SC_BPF_PROG,
	SC_BPF_LINK,
	SC_BPF_BTF,
	SC_BPF_OTHER,           /* a descriptor, but not of those four */
};

struct sc_bpf_obj {
	uint32_t kind;          /* enum sc_bpf_kind */
	uint32_t map_type;      /* maps: enum bpf_map_type */
	uint32_t key_size;
	uint32_t value_size;
	uint32_t map_flags;
	uint32_t ncpus;         /* the kernel's possible CPUs (per-CPU maps) */
	uint32_t prog_type;     /* programs: enum bpf_prog_type */
	uint32_t link_type;     /* links: enum bpf_link_type; 0 unknown */
};

/* Describes descriptor fd of the traced process; ctx is the read
 * callback's. 0, or -1 when it cannot. */
typedef int (*sc_bpf_describe_fn)(void *ctx, int fd, struct sc_bpf_obj *out);

/* The describer syscall_entry uses for bpf commands (NULL: none). */
void syscall_set_bpf_describer(sc_bpf_describe_fn fn);

/* Bytes a lookup writes for one value of map m: value_size, rounded up
 * to 8 and times the possible CPUs for per-CPU maps, 4 (an id) at
 * least for maps of descriptors. */
uint64_t sc_bpf_lookup_value_size(const struct sc_bpf_obj *m);

/* The recorder's describer: what fd is for thread tid of process pid,
 * asked of the kernel (pidfd_getfd and BPF_OBJ_GET_INFO_BY_FD, else
 * /proc/TID/fdinfo). 0, or -1 with err. */
int bpf_obj_describe_pid(int pid, int tid, int fd, struct sc_bpf_obj *out,
			 char *err, size_t errlen);

#endif
