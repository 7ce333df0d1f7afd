/* Lookups in the syscall and ioctl tables, the entry check that refuses
 * what the tables do not know, and the memory effects of a syscall exit. */
#include "config.h"

#include "replay/syscalls.h"
#include "replay/syscall_internal.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

/* Kernel-internal restart codes a tracer can see at syscall exit. */
#define K_ERESTARTSYS           512
#define K_ERESTARTNOINTR        513
#define K_ERESTARTNOHAND        514
#define K_ERESTART_RESTARTBLOCK 516

#define CLONE_PIDFD_FLAG        0x00001000ULL
#define CLONE_PARENT_SETTID_FLAG 0x00100000ULL
#define FUTEX_CMD_MASK_BITS     0x7f
#define PAGE_BYTES              4096ULL
#define IOV_MAX_KERNEL          1024    /* UIO_MAXIOV */

static const struct syscall_desc *find_row(long nr)
{
	size_t lo = 0, hi = syscall_table_len;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (syscall_table[mid].nr == nr)
			return &syscall_table[mid];
		if (syscall_table[mid].nr < nr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

const struct syscall_desc *syscall_lookup(long nr)
{
	const struct syscall_desc *d = find_row(nr);

	return d && d->replay != SC_UNSUPPORTED ? d : NULL;
}

const char *syscall_name(long nr)
{
	const struct syscall_desc *d = find_row(nr);

	return d ? d->name : NULL;
}

long syscall_number(const char *name)
{
	for (size_t i = 0; i < syscall_table_len; i++)
		if (strcmp(syscall_table[i].name, name) == 0)
			return syscall_table[i].nr;
	return -1;
}

const struct ioctl_desc *ioctl_lookup(uint64_t request)
{
	/* the kernel takes the request as unsigned int */
	uint32_t req = (uint32_t)request;
	size_t lo = 0, hi = ioctl_table_len;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (ioctl_table[mid].request == req)
			return &ioctl_table[mid];
		if (ioctl_table[mid].request < req)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static const struct sc_subop *find_subop(const struct sc_subop *t, size_t n,
					 uint32_t code)
{
	for (size_t i = 0; i < n; i++)
		if (t[i].code == code)
			return &t[i];
	return NULL;
}

/* The row's sub-operation rule, if it has one. */
static const struct sc_out *subop_rule(const struct syscall_desc *d)
{
	for (int i = 0; i < SC_MAX_OUTS && d->out[i].kind; i++)
		if (d->out[i].kind == SC_OUT_SUBOP)
			return &d->out[i];
	return NULL;
}

/* The sub-operation table a row dispatches on, and the code. */
static bool subop_of(const struct syscall_desc *d, const uint64_t *args,
		     const struct sc_subtable **table, uint32_t *code)
{
	const struct sc_out *o = subop_rule(d);

	if (!o || o->size >= SCT_COUNT || o->arg < 0 || o->arg >= SC_MAX_ARGS)
		return false;
	*table = &sc_subtables[o->size];
	*code = ((uint32_t)args[o->arg] >> (*table)->shift) & (*table)->mask;
	return true;
}

static const struct sc_subop *subop_lookup(const struct syscall_desc *d,
					   const uint64_t *args, uint32_t *code)
{
	const struct sc_subtable *t;
	uint32_t c = 0;

	if (!subop_of(d, args, &t, &c))
		return NULL;
	if (code)
		*code = c;
	return find_subop(t->ops, t->n, c);
}

static const char *ioc_dir_name(uint32_t req)
{
	static const char *const dirs[] = { "none", "write", "read", "read|write" };

	return dirs[(req >> 30) & 3];
}

static void unknown_ioctl_message(char *err, size_t errlen, const uint64_t *args)
{
	uint32_t req = (uint32_t)args[1];
	unsigned type = (req >> 8) & 0xff;

	snprintf(err, errlen,
		 "ioctl (16): unknown request 0x%" PRIx32 " on fd %d "
		 "(_IOC dir %s, type 0x%02x '%c', nr %u, size %u)",
		 req, (int)args[0], ioc_dir_name(req), type,
		 type >= 0x20 && type < 0x7f ? (int)type : '?',
		 req & 0xff, (req >> 16) & 0x3fff);
}

/* Refusal message for a known syscall whose sub-operation is refused;
 * false when the sub-operation may run.  An unknown code or ioctl request
 * may: programs probe with them (LTP passes invalid commands on purpose),
 * and the kernel's refusal is data, as ENOSYS is for an unknown number;
 * subop_effects stops the recording at the exit if it succeeded. */
static bool subop_refused(const struct syscall_desc *d, const uint64_t *args,
			  char *err, size_t errlen)
{
	const struct sc_subtable *t;
	const struct sc_subop *op;
	uint32_t code;

	if (d->out[0].kind == SC_OUT_IOCTL || !subop_of(d, args, &t, &code))
		return false;
	op = find_subop(t->ops, t->n, code);
	if (!op || !(op->flags & SC_SUB_REFUSE))
		return false;
	snprintf(err, errlen, "%s (%d): %s %s: %s", d->name, d->nr, t->what,
		 op->name, op->why ? op->why : "not supported");
	return true;
}


/* Numbers without a row: the kernel has no such call (negative, past the
 * end, a hole such as 337-423) unless it is newer than this table or an
 * x32 number; either way only ENOSYS is a known answer. */
const struct syscall_desc syscall_invalid = {
	.nr = -1,
	.name = "syscall",
	.nargs = SC_MAX_ARGS,
	.replay = SC_EMULATE,
	.flags = SC_F_ENOSYS,
	.arg = { SA_HEX, SA_HEX, SA_HEX, SA_HEX, SA_HEX, SA_HEX },
	.why = "no x86-64 system call has this number",
};

const struct syscall_desc *syscall_check(long nr, const uint64_t args[SC_MAX_ARGS],
					 uint64_t event, char *err, size_t errlen)
{
	const struct syscall_desc *row = find_row(nr);
	char why[256];

	if (!row)
		return &syscall_invalid;
	if (row->replay == SC_UNSUPPORTED) {
		snprintf(err, errlen, "event %" PRIu64 ": unsupported system call "
			 "%s (%ld): %s; refusing to record it", event, row->name, nr,
			 row->why ? row->why : "not described");
		return NULL;
	}
	if (subop_refused(row, args, why, sizeof(why))) {
		snprintf(err, errlen, "event %" PRIu64 ": %s; refusing to record it",
			 event, why);
		return NULL;
	}
	return row;
}

enum sc_replay syscall_replay_kind(const struct syscall_desc *d,
				   const uint64_t args[SC_MAX_ARGS])
{
	const struct sc_subop *op;

	if (d->replay != SC_PERFORM_IF)
		return (enum sc_replay)d->replay;
	if (!(op = subop_lookup(d, args, NULL)))
		return SC_EMULATE;      /* unknown: recorded only as refused */
	return op->perform ? SC_PERFORM : SC_EMULATE;
}

bool syscall_may_block(const struct syscall_desc *d,
		       const uint64_t args[SC_MAX_ARGS])
{
	const struct sc_subop *op;

	if (!(d->flags & SC_F_BLOCKING))
		return false;
	op = subop_lookup(d, args, NULL);
	return !op || !(op->flags & SC_SUB_NONBLOCK);
}

/* ---- entry state ------------------------------------------------------ */

static bool needs_entry(uint8_t kind)
{
	return kind == SC_OUT_VALRES || kind == SC_OUT_MSGHDR;
}

int syscall_entry(const struct syscall_desc *d, const uint64_t args[SC_MAX_ARGS],
		  sc_read_fn read, void *ctx, struct sc_entry_state *st,
		  char *err, size_t errlen)
{
	memset(st, 0, sizeof(*st));
	for (int i = 0; i < SC_MAX_OUTS && d->out[i].kind; i++) {
		const struct sc_out *o = &d->out[i];

		if (!needs_entry(o->kind))
			continue;
		uint64_t ptr = o->kind == SC_OUT_VALRES ? args[o->param] : args[o->arg];
		uint64_t at = o->kind == SC_OUT_VALRES ? ptr : ptr + MSGHDR_NAMELEN;
		uint32_t v = 0;

		if (!ptr)
			continue;
		if (!read) {
			snprintf(err, errlen, "%s: entry state needs tracee memory", d->name);
			return -1;
		}
		/* An unreadable length makes the kernel fail with EFAULT before
		 * writing anything, so 0 is the right "before" value then. */
		if (read(ctx, at, &v, sizeof(v)) < 0)
			v = 0;
		st->val[i] = v;
	}
	/* a sub-operation that reads its arguments' structures (bpf) */
	const struct sc_subop *op = subop_lookup(d, args, NULL);
	for (int i = 0; op && i < SC_SUB_OUTS && op->out[i].kind; i++)
		if (op->out[i].kind == SC_OUT_BPF &&
		    sc_bpf_entry(&op->out[i], args, read, ctx, st, err, errlen) < 0)
			return -1;
	st->valid = true;
	return 0;
}

/* ---- exit: memory effects ----------------------------------------------- */

struct effects {
	const struct syscall_desc *d;
	const uint64_t *args;
	int64_t result;
	const struct sc_entry_state *st;
	sc_read_fn read;
	void *ctx;
	struct sc_region *out;
	size_t max, n;
	char *err;
	size_t errlen;
};

static bool is_error(int64_t r)
{
	return r < 0 && r >= -4095;
}

static bool is_interrupted(int64_t r)
{
	return r == -EINTR || r == -K_ERESTARTSYS || r == -K_ERESTARTNOINTR ||
	       r == -K_ERESTARTNOHAND || r == -K_ERESTART_RESTARTBLOCK;
}

static bool when_holds(uint8_t when, int64_t r)
{
	switch (when) {
	case SC_WHEN_OK:       return !is_error(r);
	case SC_WHEN_POSITIVE: return r > 0;
	case SC_WHEN_INTR:     return is_interrupted(r);
	case SC_WHEN_ANY:      return r != -EFAULT;
	default:               return true;   /* unknown rule: over-approximate */
	}
}

static int fail(struct effects *e, const char *what)
{
	snprintf(e->err, e->errlen, "%s (%d): %s", e->d->name, e->d->nr, what);
	return -1;
}

static int add(struct effects *e, uint64_t addr, uint64_t len)
{
	if (!addr || !len)
		return 0;
	if (e->n == e->max)
		return fail(e, "more written regions than the caller can hold");
	e->out[e->n++] = (struct sc_region){ addr, len };
	return 0;
}

static int read_u64(struct effects *e, uint64_t addr, uint64_t *v)
{
	if (!e->read || e->read(e->ctx, addr, v, sizeof(*v)) < 0)
		return fail(e, "cannot read tracee memory to size a written region");
	return 0;
}

static int read_u32(struct effects *e, uint64_t addr, uint32_t *v)
{
	if (!e->read || e->read(e->ctx, addr, v, sizeof(*v)) < 0)
		return fail(e, "cannot read tracee memory to size a written region");
	return 0;
}

/* The readable prefix of [addr, addr + len): what the kernel may have
 * written there (it cannot write where nothing is mapped). */
static uint64_t readable(struct effects *e, uint64_t addr, uint64_t len)
{
	uint64_t ok = 0;
	uint8_t byte;

	if (!e->read)
		return 0;
	while (ok < len) {
		uint64_t at = addr + ok;
		uint64_t chunk = PAGE_BYTES - (at & (PAGE_BYTES - 1));

		if (e->read(e->ctx, at, &byte, 1) < 0)
			break;
		ok += chunk;
	}
	return ok < len ? ok : len;
}

static int add_clipped(struct effects *e, uint64_t addr, uint64_t len)
{
	return addr ? add(e, addr, readable(e, addr, len)) : 0;
}

static uint64_t cap(uint64_t n, const struct effects *e, int8_t param)
{
	return param >= 0 && e->args[param] < n ? e->args[param] : n;
}

/* Spread `bytes` over the iovec array in order, as readv fills it;
 * clipped, each piece is cut to its readable prefix. */
static int iovec_effects_x(struct effects *e, uint64_t iov, uint64_t count,
			   uint64_t bytes, bool clipped)
{
	if (count > IOV_MAX_KERNEL)
		count = IOV_MAX_KERNEL;
	for (uint64_t i = 0; i < count && bytes; i++) {
		uint64_t base, len;

		if (read_u64(e, iov + 16 * i, &base) < 0 ||
		    read_u64(e, iov + 16 * i + 8, &len) < 0)
			return -1;
		if (len > bytes)
			len = bytes;
		if ((clipped ? add_clipped(e, base, len) : add(e, base, len)) < 0)
			return -1;
		bytes -= len;
	}
	return 0;
}

static int iovec_effects(struct effects *e, uint64_t iov, uint64_t count, uint64_t bytes)
{
	return iovec_effects_x(e, iov, count, bytes, false);
}

static int valres_effects(struct effects *e, const struct sc_out *o, uint64_t before)
{
	uint64_t buf = e->args[o->arg], lenp = e->args[o->param];
	uint32_t after;

	if (!lenp)
		return 0;
	if (read_u32(e, lenp, &after) < 0)
		return -1;
	/* the kernel copies min(buffer, actual) and stores the actual length */
	if (add(e, lenp, 4) < 0)
		return -1;
	return add(e, buf, after < before ? after : before);
}

static int msghdr_effects(struct effects *e, const struct sc_out *o, uint64_t namelen_before)
{
	uint64_t m = e->args[o->arg], name, iov, iovlen, control, controllen;
	uint32_t namelen;

	if (read_u64(e, m + MSGHDR_NAME, &name) < 0 ||
	    read_u32(e, m + MSGHDR_NAMELEN, &namelen) < 0 ||
	    read_u64(e, m + MSGHDR_IOV, &iov) < 0 ||
	    read_u64(e, m + MSGHDR_IOVLEN, &iovlen) < 0 ||
	    read_u64(e, m + MSGHDR_CONTROL, &control) < 0 ||
	    read_u64(e, m + MSGHDR_CONTROLLEN, &controllen) < 0)
		return -1;
	/* the kernel stores msg_namelen, msg_controllen and msg_flags */
	if (add(e, m, SZ_MSGHDR) < 0)
		return -1;
	if (add(e, name, namelen < namelen_before ? namelen : namelen_before) < 0)
		return -1;
	if (add(e, control, controllen) < 0)
		return -1;
	return iovec_effects(e, iov, iovlen, e->result > 0 ? (uint64_t)e->result : 0);
}

/* recvmmsg: the first `result` entries were filled like recvmsg's, and
 * msg_len says how many bytes each received. The caller's msg_namelen of
 * each entry is gone by now: the address is recorded up to the length the
 * kernel stored, at most a sockaddr_storage, cut where memory ends. */
static int mmsg_recv_effects(struct effects *e, const struct sc_out *o)
{
	uint64_t vec = e->args[o->arg];
	uint64_t n = e->result > 0 ? (uint64_t)e->result : 0;

	if (add(e, vec, n * o->size) < 0)
		return -1;
	for (uint64_t i = 0; i < n; i++) {
		uint64_t m = vec + i * o->size, name, iov, iovlen, control, controllen;
		uint32_t namelen, got;

		if (read_u64(e, m + MSGHDR_NAME, &name) < 0 ||
		    read_u32(e, m + MSGHDR_NAMELEN, &namelen) < 0 ||
		    read_u64(e, m + MSGHDR_IOV, &iov) < 0 ||
		    read_u64(e, m + MSGHDR_IOVLEN, &iovlen) < 0 ||
		    read_u64(e, m + MSGHDR_CONTROL, &control) < 0 ||
		    read_u64(e, m + MSGHDR_CONTROLLEN, &controllen) < 0 ||
		    read_u32(e, m + MMSGHDR_LEN, &got) < 0)
			return -1;
		if (add_clipped(e, name, namelen < SZ_SOCKADDR_MAX ? namelen
							      : SZ_SOCKADDR_MAX) < 0 ||
		    add(e, control, controllen) < 0 ||
		    iovec_effects(e, iov, iovlen, got) < 0)
			return -1;
	}
	return 0;
}

/* A NUL-terminated string stored by the kernel: up to and including the
 * NUL, at most max bytes (all of them when no NUL is there). */
static int cstring_effects(struct effects *e, uint64_t addr, uint32_t max)
{
	uint8_t buf[256];
	uint64_t len = readable(e, addr, max), at = 0;

	while (at < len) {
		size_t chunk = len - at < sizeof(buf) ? (size_t)(len - at) : sizeof(buf);
		uint8_t *nul;

		if (e->read(e->ctx, addr + at, buf, chunk) < 0)
			return fail(e, "cannot read the string the kernel stored");
		if ((nul = memchr(buf, 0, chunk)))
			return add(e, addr, at + (uint64_t)(nul - buf) + 1);
		at += chunk;
	}
	return add(e, addr, len);
}

/* An unknown code the kernel accepted: its effects are not described. */
static int unknown_succeeded(struct effects *e, const char *what)
{
	size_t n = strlen(e->err);

	snprintf(e->err + n, e->errlen - n, "%s returned %" PRId64 ": %s is "
		 "not described (only the kernel's refusal of it is); refusing "
		 "to record it", n ? " " : "", e->result, what);
	return -1;
}

static int one_effect(struct effects *e, const struct sc_out *o, uint64_t entry_val);

static int subop_effects(struct effects *e)
{
	const struct sc_subop *op;
	uint32_t code;

	if (e->d->out[0].kind == SC_OUT_IOCTL) {
		const struct ioctl_desc *io = ioctl_lookup(e->args[1]);
		uint64_t len;

		if (!io) {
			if (is_error(e->result))
				return 0;
			unknown_ioctl_message(e->err, e->errlen, e->args);
			return unknown_succeeded(e, "the request");
		}
		if (is_error(e->result) || !e->args[2])
			return 0;
		len = io->out_size;
		if (io->elem_size) {
			uint32_t count;

			if (read_u32(e, e->args[2] + io->count_off, &count) < 0)
				return -1;
			len += (uint64_t)count * io->elem_size;
		}
		return add(e, e->args[2], len);
	}
	if (!(op = subop_lookup(e->d, e->args, &code))) {
		if (is_error(e->result))
			return 0;
		const struct sc_subtable *t;
		uint32_t c = 0;
		bool known = subop_of(e->d, e->args, &t, &c);
		snprintf(e->err, e->errlen, "%s (%d): unknown %s %" PRIu32
			 " (0x%" PRIx32 ")", e->d->name, e->d->nr,
			 known ? t->what : "operation", c, c);
		return unknown_succeeded(e, "the operation");
	}
	if (op->flags & SC_SUB_REFUSE)
		return fail(e, op->why ? op->why : "refused operation");
	if ((op->flags & SC_SUB_ENOSYS) && e->result != -ENOSYS) {
		snprintf(e->err, e->errlen, "%s (%d): %s returned %" PRId64 ", not "
			 "ENOSYS: its effects are not described; refusing to record it",
			 e->d->name, e->d->nr, op->name, e->result);
		return -1;
	}
	if ((op->flags & SC_SUB_FAIL_ONLY) && !is_error(e->result)) {
		snprintf(e->err, e->errlen, "%s (%d): %s succeeded: %s; refusing to "
			 "record it", e->d->name, e->d->nr, op->name,
			 op->why ? op->why : "replay cannot reproduce it");
		return -1;
	}
	for (int i = 0; i < SC_SUB_OUTS && op->out[i].kind; i++) {
		if (!when_holds(op->out[i].when, e->result))
			continue;
		if (one_effect(e, &op->out[i], 0) < 0)
			return -1;
	}
	return 0;
}

static int clone_effects(struct effects *e, uint64_t flags, uint64_t pidfd, uint64_t ptid)
{
	if (e->result <= 0)     /* the child's side or a failure */
		return 0;
	if ((flags & CLONE_PIDFD_FLAG) && add(e, pidfd, 4) < 0)
		return -1;
	if ((flags & CLONE_PARENT_SETTID_FLAG) && add(e, ptid, 4) < 0)
		return -1;
	return 0;
}

static int clone3_effects(struct effects *e)
{
	uint64_t a = e->args[0], flags, pidfd, ptid;

	if (e->result <= 0)
		return 0;
	if (read_u64(e, a + CLONE_ARGS_FLAGS, &flags) < 0 ||
	    read_u64(e, a + CLONE_ARGS_PIDFD, &pidfd) < 0 ||
	    read_u64(e, a + CLONE_ARGS_PTID, &ptid) < 0)
		return -1;
	return clone_effects(e, flags, pidfd, ptid);
}

static int bpf_effects(struct effects *e, const struct sc_out *o)
{
	struct sc_region r[32];
	int n;

	if (!e->st || !e->st->valid)
		return fail(e, "bpf needs the entry state (call syscall_entry at "
			    "syscall entry)");
	n = sc_bpf_effects(o, e->args, e->result, e->st, e->read, e->ctx, r,
			   sizeof(r) / sizeof(r[0]), e->err, e->errlen);
	for (int i = 0; i < n; i++)
		if (add(e, r[i].addr, r[i].len) < 0)
			return -1;
	return n < 0 ? -1 : 0;
}

static int one_effect(struct effects *e, const struct sc_out *o, uint64_t entry_val)
{
	const uint64_t *a = e->args;
	uint64_t r = (uint64_t)e->result;

	switch (o->kind) {
	case SC_OUT_FIXED:
		return add(e, a[o->arg], o->size);
	case SC_OUT_RESULT:
		return add(e, a[o->arg], cap(r, e, o->param));
	case SC_OUT_RESULT_TIMES:
		return add(e, a[o->arg], cap(r, e, o->param) * o->size);
	case SC_OUT_ARG:
		return add(e, a[o->arg], a[o->param]);
	case SC_OUT_ARG_TIMES:
		return add(e, a[o->arg], (uint32_t)a[o->param] * (uint64_t)o->size);
	case SC_OUT_PAGES:
		return add(e, a[o->arg], (a[o->param] + PAGE_BYTES - 1) / PAGE_BYTES);
	case SC_OUT_FDSET: {
		int nfds = (int)a[o->param];
		return nfds <= 0 ? 0 : add(e, a[o->arg], ((uint64_t)nfds + 63) / 64 * 8);
	}
	case SC_OUT_VALRES:
		return valres_effects(e, o, entry_val);
	case SC_OUT_IOVEC:
		return iovec_effects(e, a[o->arg], a[o->param], r);
	case SC_OUT_MSGHDR:
		return msghdr_effects(e, o, entry_val);
	case SC_OUT_MMSG_LEN:
		for (uint64_t i = 0; i < r; i++)
			if (add(e, a[o->arg] + i * o->size + MMSGHDR_LEN, 4) < 0)
				return -1;
		return 0;
	case SC_OUT_MMSG_RECV:
		return mmsg_recv_effects(e, o);
	case SC_OUT_RESULT_PLUS:
		return add(e, a[o->arg], o->size + cap(r, e, o->param));
	case SC_OUT_CSTRING:
		return a[o->arg] ? cstring_effects(e, a[o->arg], o->size) : 0;
	case SC_OUT_UPTO:
	case SC_OUT_FIXED_CLIP:
		return add_clipped(e, a[o->arg], o->size);
	case SC_OUT_IOVEC_CLIP:
		return iovec_effects_x(e, a[o->arg], a[o->param], r, true);
	case SC_OUT_HDR_U32: {
		uint32_t n;
		if (!a[o->arg])
			return 0;
		if (read_u32(e, a[o->arg] + (uint64_t)o->param, &n) < 0)
			return -1;
		return add(e, a[o->arg], o->size + (uint64_t)n);
	}
	case SC_OUT_XATTR_ARGS: {
		uint64_t value;
		uint32_t size;
		if (read_u64(e, a[o->arg], &value) < 0 ||
		    read_u32(e, a[o->arg] + 8, &size) < 0)
			return -1;
		return add(e, value, r < size ? r : size);
	}
	case SC_OUT_CLONE:
		/* x86-64 clone(flags, stack, parent_tid, child_tid, tls); a
		 * pidfd is stored through parent_tid */
		return clone_effects(e, a[0], a[2], a[2]);
	case SC_OUT_CLONE3:
		return clone3_effects(e);
	case SC_OUT_BPF:
		return bpf_effects(e, o);
	default:
		return fail(e, "table row has an unknown output rule");
	}
}

int syscall_memory_effects(const struct syscall_desc *d,
			   const uint64_t args[SC_MAX_ARGS], int64_t result,
			   const struct sc_entry_state *st, sc_read_fn read, void *ctx,
			   struct sc_region *out, size_t max, char *err, size_t errlen)
{
	struct effects e = { d, args, result, st, read, ctx, out, max, 0, err, errlen };

	if (!d || d->replay == SC_UNSUPPORTED) {
		snprintf(err, errlen, "unsupported system call %s",
			 d ? d->name : "(unknown)");
		return -1;
	}
	if ((d->flags & SC_F_RESTART) && is_interrupted(result))
		return fail(&e, "interrupted again: the writes of the restarted "
			    "call are not known here");
	if ((d->flags & SC_F_ENOSYS) && result != -ENOSYS) {
		if (d == &syscall_invalid)
			snprintf(err, errlen, "a system call number xrr does not know "
				 "returned %" PRId64 ", not ENOSYS: this kernel implements "
				 "it and its effects are not described; refusing to "
				 "record it", result);
		else
			snprintf(err, errlen, "%s (%d) returned %" PRId64 ", not ENOSYS: "
				 "its effects are not described; refusing to record it",
				 d->name, d->nr, result);
		return -1;
	}
	if ((d->flags & SC_F_FAIL_ONLY) && !is_error(result)) {
		snprintf(err, errlen, "%s (%d) succeeded: %s; refusing to record it",
			 d->name, d->nr, d->why ? d->why : "replay cannot reproduce it");
		return -1;
	}
	for (int i = 0; i < SC_MAX_OUTS && d->out[i].kind; i++) {
		const struct sc_out *o = &d->out[i];

		if (o->kind == SC_OUT_IOCTL || o->kind == SC_OUT_SUBOP) {
			if (subop_effects(&e) < 0)
				return -1;
			continue;
		}
		if (!when_holds(o->when, result))
			continue;
		if (needs_entry(o->kind) && (!st || !st->valid))
			return fail(&e, "value-result length needs the entry state "
				    "(call syscall_entry at syscall entry)");
		if (one_effect(&e, o, st ? st->val[i] : 0) < 0)
			return -1;
	}
	return (int)e.n;
}
