/* What bpf(2) commands write, for the syscall table's SC_OUT_BPF rules
 * (the command table is bpf_cmds in replay/syscall_table.c).
 *
 * bpf(cmd, attr, size) writes through pointers inside union bpf_attr, and
 * the lengths are bounded by sizes in that union or in the object info
 * the caller passes: all of them are read at syscall entry (the kernel
 * overwrites some), together with a description of the map, program or
 * link a descriptor names (syscall_set_bpf_describer). At exit the
 * regions are derived from that copy. Every length is a bound the kernel
 * never writes past (the caller's buffer sizes, the map's sizes), so the
 * regions may over-approximate, never under-approximate; buffers whose
 * used part the kernel does not report (logs, names, arrays) are cut at
 * the first unreadable page, where the kernel cannot have written.
 * Offsets are offsetof on this system's <linux/bpf.h>; fields newer than
 * it that would make the kernel write elsewhere are refused at entry. */
#include "config.h"

#include "replay/syscall_bpf.h"
#include "replay/syscall_internal.h"
#include "replay/syscalls.h"

#include <errno.h>
#include <inttypes.h>
#include <linux/bpf.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define PAGE_BYTES 4096ULL
#define INFO_MAX 256            /* bytes of object info kept from entry */

#define ATTR_OFF(m) ((uint64_t)offsetof(union bpf_attr, m))
#define ATTR_END(m) (ATTR_OFF(m) + sizeof(((union bpf_attr *)0)->m))

/* Linux 6.4 put the verifier's log_true_size right after the last
 * PROG_LOAD field this header has, and btf_log_true_size right after
 * btf_log_level: the kernel stores them when `size` covers them. */
#define LOG_TRUE_SIZE_OFF     ATTR_END(core_relo_rec_size)
#define BTF_LOG_TRUE_SIZE_OFF ATTR_END(btf_log_level)

enum { BE_ATTR = 1, BE_INFO = 2 };

/* What the entry keeps (in struct sc_entry_state's blob). */
struct bpf_entry {
	uint32_t flags;          /* BE_* */
	uint32_t attr_len;       /* bytes of attr read (the kernel's copy) */
	uint32_t info_len;       /* bytes of info read */
	uint32_t fd;             /* the descriptor described */
	struct sc_bpf_obj obj;
	union bpf_attr attr;
	uint8_t info[INFO_MAX];
};

_Static_assert(sizeof(struct bpf_entry) <= SC_ENTRY_BLOB,
	       "struct sc_entry_state's blob holds the bpf entry state");

static sc_bpf_describe_fn describer;

void syscall_set_bpf_describer(sc_bpf_describe_fn fn)
{
	describer = fn;
}

uint64_t sc_bpf_lookup_value_size(const struct sc_bpf_obj *m)
{
	switch (m->map_type) {
	case BPF_MAP_TYPE_PERCPU_HASH:
	case BPF_MAP_TYPE_PERCPU_ARRAY:
	case BPF_MAP_TYPE_LRU_PERCPU_HASH:
	case BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE:
		return (((uint64_t)m->value_size + 7) & ~7ULL) * m->ncpus;
	case BPF_MAP_TYPE_PROG_ARRAY:
	case BPF_MAP_TYPE_PERF_EVENT_ARRAY:
	case BPF_MAP_TYPE_CGROUP_ARRAY:
	case BPF_MAP_TYPE_ARRAY_OF_MAPS:
	case BPF_MAP_TYPE_HASH_OF_MAPS:
		return m->value_size > 4 ? m->value_size : 4;
	default:
		return m->value_size;
	}
}

static bool is_percpu(uint32_t map_type)
{
	return map_type == BPF_MAP_TYPE_PERCPU_HASH ||
	       map_type == BPF_MAP_TYPE_PERCPU_ARRAY ||
	       map_type == BPF_MAP_TYPE_LRU_PERCPU_HASH ||
	       map_type == BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE;
}

static const char *cmd_name(const uint64_t *args)
{
	const struct sc_subtable *t = &sc_subtables[SCT_BPF];

	for (size_t i = 0; i < t->n; i++)
		if (t->ops[i].code == (uint32_t)args[0])
			return t->ops[i].name;
	return "an unknown command";
}

static const char *kind_name(uint32_t kind)
{
	static const char *const names[] = {
		[SC_BPF_UNKNOWN] = "undescribed descriptor",
		[SC_BPF_MAP] = "map", [SC_BPF_PROG] = "program",
		[SC_BPF_LINK] = "link", [SC_BPF_BTF] = "BTF object",
		[SC_BPF_OTHER] = "descriptor that is no bpf object",
	};
	return kind < sizeof(names) / sizeof(names[0]) ? names[kind] : "?";
}

/* ---- object info: where the kernel writes through struct *_info ------ */

/* A buffer the info names: pointer, count, element size (or the offset
 * of a record-size field, whichever is larger). */
struct info_buf {
	uint16_t ptr, count, elem, rec;
};
#define NO_REC 0xffff
#define PROG_BUF(p, n, sz) { offsetof(struct bpf_prog_info, p), \
	offsetof(struct bpf_prog_info, n), sz, NO_REC }
#define PROG_REC(p, n, sz, r) { offsetof(struct bpf_prog_info, p), \
	offsetof(struct bpf_prog_info, n), sz, offsetof(struct bpf_prog_info, r) }

static const struct info_buf prog_bufs[] = {
	PROG_BUF(jited_prog_insns, jited_prog_len, 1),
	PROG_BUF(xlated_prog_insns, xlated_prog_len, 1),
	PROG_BUF(map_ids, nr_map_ids, 4),
	PROG_BUF(jited_ksyms, nr_jited_ksyms, 8),
	PROG_BUF(jited_func_lens, nr_jited_func_lens, 4),
	PROG_REC(func_info, nr_func_info, sizeof(struct bpf_func_info),
		 func_info_rec_size),
	PROG_REC(line_info, nr_line_info, sizeof(struct bpf_line_info),
		 line_info_rec_size),
	PROG_REC(jited_line_info, nr_jited_line_info, 8, jited_line_info_rec_size),
	PROG_BUF(prog_tags, nr_prog_tags, BPF_TAG_SIZE),
};

/* name buffers: the kernel copies at most the caller's length */
static const struct info_buf btf_bufs[] = {
	{ offsetof(struct bpf_btf_info, btf), offsetof(struct bpf_btf_info, btf_size), 1, NO_REC },
	{ offsetof(struct bpf_btf_info, name), offsetof(struct bpf_btf_info, name_len), 1, NO_REC },
};
static const struct info_buf raw_tp_bufs[] = {
	{ offsetof(struct bpf_link_info, raw_tracepoint.tp_name),
	  offsetof(struct bpf_link_info, raw_tracepoint.tp_name_len), 1, NO_REC },
};
static const struct info_buf iter_bufs[] = {
	{ offsetof(struct bpf_link_info, iter.target_name),
	  offsetof(struct bpf_link_info, iter.target_name_len), 1, NO_REC },
};

/* Link types whose info has no pointer: tracing, cgroup, netns, xdp,
 * struct_ops, and (newer than this system's headers) netfilter, tcx,
 * netkit, sockmap. perf_event, kprobe_multi, uprobe_multi and later
 * types write through pointers laid out past this header's union. */
static bool link_without_pointers(uint32_t type)
{
	switch (type) {
	case BPF_LINK_TYPE_TRACING:
	case BPF_LINK_TYPE_CGROUP:
	case BPF_LINK_TYPE_NETNS:
	case BPF_LINK_TYPE_XDP:
	case BPF_LINK_TYPE_STRUCT_OPS:
	case 10:        /* BPF_LINK_TYPE_NETFILTER */
	case 11:        /* BPF_LINK_TYPE_TCX */
	case 13:        /* BPF_LINK_TYPE_NETKIT */
	case 14:        /* BPF_LINK_TYPE_SOCKMAP */
		return true;
	default:
		return false;
	}
}

static size_t info_struct_size(uint32_t kind)
{
	switch (kind) {
	case SC_BPF_PROG: return sizeof(struct bpf_prog_info);
	case SC_BPF_MAP:  return sizeof(struct bpf_map_info);
	case SC_BPF_BTF:  return sizeof(struct bpf_btf_info);
	case SC_BPF_LINK: return sizeof(struct bpf_link_info);
	default:          return 0;
	}
}

static const struct info_buf *info_bufs(const struct bpf_entry *be, size_t *n)
{
	*n = 0;
	switch (be->obj.kind) {
	case SC_BPF_PROG:
		*n = sizeof(prog_bufs) / sizeof(prog_bufs[0]);
		return prog_bufs;
	case SC_BPF_BTF:
		*n = sizeof(btf_bufs) / sizeof(btf_bufs[0]);
		return btf_bufs;
	case SC_BPF_LINK:
		if (be->obj.link_type == BPF_LINK_TYPE_RAW_TRACEPOINT) {
			*n = 1;
			return raw_tp_bufs;
		}
		if (be->obj.link_type == BPF_LINK_TYPE_ITER) {
			*n = 1;
			return iter_bufs;
		}
		return NULL;
	default:
		return NULL;
	}
}

/* ---- entry ------------------------------------------------------------ */

static void describe(struct bpf_entry *be, void *ctx, uint32_t fd)
{
	be->fd = fd;
	if (!describer || describer(ctx, (int)fd, &be->obj) < 0)
		memset(&be->obj, 0, sizeof(be->obj));
}

static int entry_info(struct bpf_entry *be, const uint64_t *args, sc_read_fn read,
		      void *ctx, char *err, size_t errlen)
{
	uint32_t len = be->attr.info.info_len;
	size_t known;

	describe(be, ctx, be->attr.info.bpf_fd);
	be->info_len = len < INFO_MAX ? len : INFO_MAX;
	if (!be->attr.info.info || !be->info_len ||
	    read(ctx, be->attr.info.info, be->info, be->info_len) < 0) {
		be->info_len = 0;
		return 0;       /* the kernel answers EFAULT or EINVAL */
	}
	be->flags |= BE_INFO;
	if (be->obj.kind == SC_BPF_LINK && !link_without_pointers(be->obj.link_type) &&
	    be->obj.link_type != BPF_LINK_TYPE_RAW_TRACEPOINT &&
	    be->obj.link_type != BPF_LINK_TYPE_ITER) {
		if (!be->obj.link_type)
			snprintf(err, errlen, "bpf (321): %s on a link whose type "
				 "the recorder could not learn: what its info "
				 "writes is not known; refusing to record it",
				 cmd_name(args));
		else
			snprintf(err, errlen, "bpf (321): %s on a link of type %"
				 PRIu32 ": its info writes through pointers this "
				 "system's <linux/bpf.h> does not lay out "
				 "(perf_event, kprobe_multi, uprobe_multi and later "
				 "types); refusing to record it", cmd_name(args),
				 be->obj.link_type);
		return -1;
	}
	/* Fields past the struct this header knows: the kernel reads them
	 * as the caller set them; set ones may be pointers it writes
	 * through (bpf_map_info's hash), which are not described. */
	known = info_struct_size(be->obj.kind);
	for (size_t i = known; known && i < be->info_len; i++)
		if (be->info[i]) {
			snprintf(err, errlen, "bpf (321): %s on a %s: info_len %"
				 PRIu32 " passes fields past this system's struct "
				 "(%zu bytes) and byte %zu is set: what the kernel "
				 "writes through them is not described; refusing to "
				 "record it", cmd_name(args), kind_name(be->obj.kind),
				 len, known, i);
			return -1;
		}
	return 0;
}

/* PROG_QUERY: later kernels also fill link_ids and link_attach_flags
 * arrays, laid out after prog_attach_flags (past this header). */
static int entry_query(struct bpf_entry *be, const uint64_t *args, sc_read_fn read,
		       void *ctx, char *err, size_t errlen)
{
	uint64_t from = ATTR_END(query.prog_attach_flags);
	uint64_t size = args[2] < PAGE_BYTES ? args[2] : PAGE_BYTES;
	uint8_t tail[32];

	if (size <= from)
		return 0;
	size_t n = size - from < sizeof(tail) ? (size_t)(size - from) : sizeof(tail);
	if (read(ctx, args[1] + from, tail, n) < 0)
		return 0;
	/* link_ids and link_attach_flags: two u64 right after */
	for (size_t i = 0; i < n && i < 16; i++)
		if (tail[i]) {
			snprintf(err, errlen, "bpf (321): %s with arrays past this "
				 "system's <linux/bpf.h> (link_ids, "
				 "link_attach_flags): what the kernel writes there is "
				 "not described; refusing to record it", cmd_name(args));
			return -1;
		}
	return 0;
}

int sc_bpf_entry(const struct sc_out *o, const uint64_t *args, sc_read_fn read,
		 void *ctx, struct sc_entry_state *st, char *err, size_t errlen)
{
	struct bpf_entry be;

	memset(&be, 0, sizeof(be));
	if (!read) {
		snprintf(err, errlen, "bpf (321): entry state needs tracee memory");
		return -1;
	}
	/* The kernel copies min(size, its union) and sees zeros past it. */
	be.attr_len = args[2] < sizeof(be.attr) ? (uint32_t)args[2] : sizeof(be.attr);
	if (!be.attr_len ||
	    (args[1] && read(ctx, args[1], &be.attr, be.attr_len) == 0))
		be.flags |= BE_ATTR;
	else
		memset(&be.attr, 0, sizeof(be.attr));
	if (be.flags & BE_ATTR) {
		switch (o->size) {
		case SCB_MAP_VALUE:
		case SCB_NEXT_KEY:
			describe(&be, ctx, be.attr.map_fd);
			break;
		case SCB_BATCH_LOOKUP:
			describe(&be, ctx, be.attr.batch.map_fd);
			break;
		case SCB_TEST_RUN:
			describe(&be, ctx, be.attr.test.prog_fd);
			break;
		case SCB_INFO:
			if (entry_info(&be, args, read, ctx, err, errlen) < 0)
				return -1;
			break;
		case SCB_QUERY:
			if (entry_query(&be, args, read, ctx, err, errlen) < 0)
				return -1;
			break;
		default:
			break;
		}
	}
	memcpy(st->blob, &be, sizeof(be));
	st->blob_len = sizeof(be);
	return 0;
}

/* ---- exit ------------------------------------------------------------- */

struct out {
	const uint64_t *args;
	sc_read_fn read;
	void *ctx;
	struct sc_region *r;
	size_t max, n;
	char *err;
	size_t errlen;
};

static int put(struct out *o, uint64_t addr, uint64_t len)
{
	if (!addr || !len)
		return 0;
	if (o->n == o->max) {
		snprintf(o->err, o->errlen, "bpf (321): %s: more written regions "
			 "than the caller can hold", cmd_name(o->args));
		return -1;
	}
	o->r[o->n++] = (struct sc_region){ addr, len };
	return 0;
}

/* The readable prefix of [addr, addr + len), by pages. */
static int put_clipped(struct out *o, uint64_t addr, uint64_t len)
{
	uint64_t ok = 0;
	uint8_t byte;

	if (!addr || !len)
		return 0;
	while (ok < len) {
		uint64_t at = addr + ok;

		if (o->read(o->ctx, at, &byte, 1) < 0)
			break;
		ok += PAGE_BYTES - (at & (PAGE_BYTES - 1));
	}
	return put(o, addr, ok < len ? ok : len);
}

/* The attr as passed, and at least up to `end` (fields the kernel
 * stores at fixed offsets whatever `size` says). */
static int put_attr(struct out *o, uint64_t end)
{
	uint64_t size = o->args[2] < PAGE_BYTES ? o->args[2] : PAGE_BYTES;

	return put_clipped(o, o->args[1], size > end ? size : end);
}

static int read_u32(struct out *o, uint64_t addr, uint32_t *v)
{
	if (o->read(o->ctx, addr, v, sizeof(*v)) < 0) {
		snprintf(o->err, o->errlen, "bpf (321): %s: cannot read tracee "
			 "memory to size a written region", cmd_name(o->args));
		return -1;
	}
	return 0;
}

static int undescribed(struct out *o, const struct bpf_entry *be, const char *what)
{
	snprintf(o->err, o->errlen, "bpf (321): %s on fd %" PRIu32 " succeeded, "
		 "but the recorder could not describe that %s at entry (%s): "
		 "what the kernel wrote is not known; refusing to record it",
		 cmd_name(o->args), be->fd, kind_name(be->obj.kind), what);
	return -1;
}

static bool is_err(int64_t r, int e)
{
	return r == -(int64_t)e;
}

static int map_value(struct out *o, const struct bpf_entry *be, bool next_key)
{
	if (be->obj.kind != SC_BPF_MAP ||
	    (is_percpu(be->obj.map_type) && !be->obj.ncpus))
		return undescribed(o, be, "map key and value sizes");
	if (next_key)
		return put(o, be->attr.next_key, be->obj.key_size);
	return put(o, be->attr.value, sc_bpf_lookup_value_size(&be->obj));
}

static int log_effects(struct out *o, uint32_t level, uint64_t buf, uint32_t size,
		       uint64_t true_size_off)
{
	/* the log is written whatever the verdict (a failed load is when
	 * it matters); its used length is not reported reliably: all of it */
	if (level && put_clipped(o, buf, size) < 0)
		return -1;
	if (o->args[2] >= true_size_off + 4)
		return put(o, o->args[1] + true_size_off, 4);
	return 0;
}

static int info_effects(struct out *o, const struct bpf_entry *be)
{
	uint64_t at = o->args[1];
	uint32_t after;
	size_t n;
	const struct info_buf *bufs;

	if (be->obj.kind < SC_BPF_MAP || be->obj.kind > SC_BPF_BTF ||
	    !(be->flags & BE_INFO))
		return undescribed(o, be, "kind of bpf object");
	/* info_len is stored back: the bytes of info copied */
	if (put(o, at + ATTR_OFF(info.info_len), 4) < 0 ||
	    read_u32(o, at + ATTR_OFF(info.info_len), &after) < 0)
		return -1;
	if (put_clipped(o, be->attr.info.info,
			after < be->attr.info.info_len ? after
						       : be->attr.info.info_len) < 0)
		return -1;
	bufs = info_bufs(be, &n);
	for (size_t i = 0; i < n; i++) {
		uint64_t ptr;
		uint32_t count, rec = 0;
		uint64_t elem = bufs[i].elem;

		if ((size_t)bufs[i].ptr + 8 > be->info_len ||
		    (size_t)bufs[i].count + 4 > be->info_len)
			continue;       /* the kernel saw zeros there */
		memcpy(&ptr, be->info + bufs[i].ptr, 8);
		memcpy(&count, be->info + bufs[i].count, 4);
		if (bufs[i].rec != NO_REC && (size_t)bufs[i].rec + 4 <= be->info_len)
			memcpy(&rec, be->info + bufs[i].rec, 4);
		if (rec > elem)
			elem = rec;
		if (put_clipped(o, ptr, (uint64_t)count * elem) < 0)
			return -1;
	}
	return 0;
}

static int query_effects(struct out *o, const struct bpf_entry *be)
{
	uint64_t cnt = be->attr.query.prog_cnt;

	if (put_attr(o, ATTR_END(query.prog_attach_flags)) < 0 ||
	    put_clipped(o, be->attr.query.prog_ids, cnt * 4) < 0)
		return -1;
	if (o->args[2] >= ATTR_END(query.prog_attach_flags))
		return put_clipped(o, be->attr.query.prog_attach_flags, cnt * 4);
	return 0;
}

static int test_run_effects(struct out *o, const struct bpf_entry *be)
{
	uint32_t data_after, ctx_after;
	uint32_t data_before = be->attr.test.data_size_out;
	uint32_t ctx_before = be->attr.test.ctx_size_out;

	if (put_attr(o, ATTR_END(test)) < 0 ||
	    read_u32(o, o->args[1] + ATTR_OFF(test.data_size_out), &data_after) < 0 ||
	    read_u32(o, o->args[1] + ATTR_OFF(test.ctx_size_out), &ctx_after) < 0)
		return -1;
	/* data_out: the output, cut at data_size_out when the caller gave
	 * one (0: all of it, the old behaviour); ctx_out: at most
	 * ctx_size_out. */
	uint32_t data = data_before && data_before < data_after ? data_before : data_after;
	uint32_t ctxn = ctx_after < ctx_before ? ctx_after : ctx_before;
	if (put_clipped(o, be->attr.test.data_out, data) < 0 ||
	    put_clipped(o, be->attr.test.ctx_out, ctxn) < 0)
		return -1;
	/* BPF_PROG_TYPE_SYSCALL programs write their context back to ctx_in */
	if (be->obj.kind != SC_BPF_PROG || be->obj.prog_type == BPF_PROG_TYPE_SYSCALL)
		return put_clipped(o, be->attr.test.ctx_in, be->attr.test.ctx_size_in);
	return 0;
}

static int batch_effects(struct out *o, const struct bpf_entry *be)
{
	uint64_t count = be->attr.batch.count;

	if (put_attr(o, ATTR_END(batch)) < 0)
		return -1;
	if (be->obj.kind != SC_BPF_MAP ||
	    (is_percpu(be->obj.map_type) && !be->obj.ncpus))
		return undescribed(o, be, "map key and value sizes");
	/* the resume token: a key (arrays, tries) or a u32 bucket (hashes) */
	uint64_t token = be->obj.key_size > 4 ? be->obj.key_size : 4;
	if (put_clipped(o, be->attr.batch.out_batch, token) < 0 ||
	    put_clipped(o, be->attr.batch.keys, count * be->obj.key_size) < 0)
		return -1;
	return put_clipped(o, be->attr.batch.values,
			   count * sc_bpf_lookup_value_size(&be->obj));
}

int sc_bpf_effects(const struct sc_out *rule, const uint64_t *args, int64_t result,
		   const struct sc_entry_state *st, sc_read_fn read, void *ctx,
		   struct sc_region *regions, size_t max, char *err, size_t errlen)
{
	struct out o = { args, read, ctx, regions, max, 0, err, errlen };
	struct bpf_entry be;
	bool ok = result >= 0;
	int rc = 0;

	if (!st || st->blob_len != sizeof(be)) {
		snprintf(err, errlen, "bpf (321): %s: no entry state (call "
			 "syscall_entry at syscall entry)", cmd_name(args));
		return -1;
	}
	memcpy(&be, st->blob, sizeof(be));
	if (result < 0 && result >= -4095 && !(be.flags & BE_ATTR))
		return 0;       /* the kernel could not read the attr either */
	if (!(be.flags & BE_ATTR)) {
		snprintf(err, errlen, "bpf (321): %s returned %" PRId64 " but its "
			 "union bpf_attr was unreadable at entry; refusing to "
			 "record it", cmd_name(args), result);
		return -1;
	}
	if (!read) {
		snprintf(err, errlen, "bpf (321): exit needs tracee memory");
		return -1;
	}
	switch (rule->size) {
	case SCB_MAP_VALUE:
		rc = ok ? map_value(&o, &be, false) : 0;
		break;
	case SCB_NEXT_KEY:
		rc = ok ? map_value(&o, &be, true) : 0;
		break;
	case SCB_PROG_LOG:
		rc = log_effects(&o, be.attr.log_level, be.attr.log_buf,
				 be.attr.log_size, LOG_TRUE_SIZE_OFF);
		break;
	case SCB_BTF_LOG:
		rc = log_effects(&o, be.attr.btf_log_level, be.attr.btf_log_buf,
				 be.attr.btf_log_size, BTF_LOG_TRUE_SIZE_OFF);
		break;
	case SCB_NEXT_ID:
		rc = ok ? put(&o, args[1] + ATTR_OFF(next_id), 4) : 0;
		break;
	case SCB_INFO:
		/* -ENOSPC: a name was cut, after being written */
		if (ok || is_err(result, ENOSPC))
			rc = info_effects(&o, &be);
		break;
	case SCB_QUERY:
		if (ok || is_err(result, ENOSPC))
			rc = query_effects(&o, &be);
		break;
	case SCB_TEST_RUN:
		if (ok || is_err(result, ENOSPC))
			rc = test_run_effects(&o, &be);
		break;
	case SCB_TASK_FD_QUERY:
		if (ok || is_err(result, ENOSPC))
			rc = put_attr(&o, ATTR_END(task_fd_query)) < 0 ? -1 :
			     put_clipped(&o, be.attr.task_fd_query.buf,
					 be.attr.task_fd_query.buf_len);
		break;
	case SCB_BATCH_LOOKUP:
		/* ENOENT: the last elements came with the end of the map */
		if (ok || is_err(result, ENOENT) || is_err(result, ENOSPC))
			rc = batch_effects(&o, &be);
		break;
	case SCB_BATCH_COUNT:
		rc = put_attr(&o, ATTR_END(batch));
		break;
	default:
		snprintf(err, errlen, "bpf (321): table rule %" PRIu32 " unknown",
			 rule->size);
		return -1;
	}
	return rc < 0 ? -1 : (int)o.n;
}
