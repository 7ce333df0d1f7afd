/* The trace header: what was recorded, and on what machine.
 *
 * Serialised as one ASCII line "xrr-trace MAJOR.MINOR\n" followed by
 * entries {u16 key, u16 flags, u32 length, value}; the last entry (key 0)
 * holds a CRC32C of every byte before its value.  Arrays are repeated
 * entries.  Unknown keys are skipped unless flagged required; values may
 * be longer than a reader expects (later minor versions append fields).
 * See docs/trace-format.md for the key table. */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "replay/trace.h"
#include "replay/trace_codec.h"

enum header_key {
	HK_END = 0,
	HK_UUID = 1,
	HK_XRR_VERSION = 2,
	HK_ARGV = 3,
	HK_ENVP = 4,
	HK_CWD = 5,
	HK_UNAME_SYSNAME = 6,
	HK_UNAME_NODENAME = 7,
	HK_UNAME_RELEASE = 8,
	HK_UNAME_VERSION = 9,
	HK_UNAME_MACHINE = 10,
	HK_PAGE_SIZE = 11,
	HK_CPUID = 12,
	HK_HOST_XCR0 = 13,
	HK_INITIAL_XCR0 = 14,
	HK_THREAD_XCR0 = 15,
	HK_XSAVE = 16,
	HK_XSAVE_COMPONENT = 17,
	HK_CPUID_FAULTING = 18,
	HK_KERNEL_XCR0_CONTROL = 19,
	HK_INSN_VIRT = 20,
	HK_TICK_SOURCE = 21,
	HK_BOUND_CPU = 22,
	HK_RDTSC_TRAPPED = 23,
};

/* A reader that does not know a key with this flag must refuse the trace. */
#define HK_FLAG_REQUIRED 1u

#define ENTRY_HEADER_SIZE 8
#define MAGIC_LINE "xrr-trace "
#define MAX_FIRST_LINE 64

/* ---- building a header --------------------------------------------------- */

void trace_header_init(struct trace_header *h)
{
	memset(h, 0, sizeof(*h));
	h->format_major = TRACE_FORMAT_MAJOR;
	h->format_minor = TRACE_FORMAT_MINOR;
	h->bound_cpu = -1;
	h->rdtsc_trapped = true;        /* what traces before 2.0 assumed */
	h->tick_source = strdup("none");
}

static void strv_free(char **v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		free(v[i]);
	free(v);
}

void trace_header_free(struct trace_header *h)
{
	free(h->xrr_version);
	strv_free(h->argv, h->argc);
	strv_free(h->envp, h->envc);
	free(h->cwd);
	free(h->uname.sysname);
	free(h->uname.nodename);
	free(h->uname.release);
	free(h->uname.version);
	free(h->uname.machine);
	free(h->cpuid);
	free(h->thread_xcr0);
	free(h->tick_source);
	memset(h, 0, sizeof(*h));
}

int trace_header_set_string(char **field, const char *value)
{
	char *copy = value ? strdup(value) : NULL;
	if (value && !copy)
		return -1;
	free(*field);
	*field = copy;
	return 0;
}

/* Append s to the NULL-terminated vector *v of *n entries. */
static int strv_push(char ***v, size_t *n, const char *s)
{
	char **grown = realloc(*v, (*n + 2) * sizeof(char *));
	if (!grown)
		return -1;
	*v = grown;
	if (!(grown[*n] = strdup(s)))
		return -1;
	grown[++*n] = NULL;
	return 0;
}

static int strv_set(char ***v, size_t *n, char *const src[])
{
	strv_free(*v, *n);
	*v = NULL;
	*n = 0;
	for (size_t i = 0; src && src[i]; i++)
		if (strv_push(v, n, src[i]) < 0)
			return -1;
	return 0;
}

int trace_header_set_argv(struct trace_header *h, char *const argv[])
{
	return strv_set(&h->argv, &h->argc, argv);
}

int trace_header_set_envp(struct trace_header *h, char *const envp[])
{
	return strv_set(&h->envp, &h->envc, envp);
}

int trace_header_add_cpuid(struct trace_header *h, const struct cpuid_leaf *l)
{
	struct cpuid_leaf *grown = realloc(h->cpuid,
					   (h->ncpuid + 1) * sizeof(*grown));
	if (!grown)
		return -1;
	h->cpuid = grown;
	h->cpuid[h->ncpuid++] = *l;
	return 0;
}

const struct cpuid_leaf *trace_header_find_cpuid(const struct trace_header *h,
						 uint32_t leaf,
						 uint32_t subleaf)
{
	for (size_t i = 0; i < h->ncpuid; i++)
		if (h->cpuid[i].leaf == leaf && h->cpuid[i].subleaf == subleaf)
			return &h->cpuid[i];
	return NULL;
}

int trace_header_set_thread_xcr0(struct trace_header *h, int32_t tid,
				 uint64_t xcr0)
{
	for (size_t i = 0; i < h->nthread_xcr0; i++) {
		if (h->thread_xcr0[i].tid == tid) {
			h->thread_xcr0[i].xcr0 = xcr0;
			return 0;
		}
	}
	struct trace_thread_xcr0 *grown =
		realloc(h->thread_xcr0, (h->nthread_xcr0 + 1) * sizeof(*grown));
	if (!grown)
		return -1;
	h->thread_xcr0 = grown;
	h->thread_xcr0[h->nthread_xcr0++] = (struct trace_thread_xcr0){ tid, xcr0 };
	return 0;
}

int trace_header_fill_host(struct trace_header *h)
{
	struct utsname u;
	char cwd[4096];
	if (getrandom(h->uuid, sizeof(h->uuid), 0) != sizeof(h->uuid) ||
	    uname(&u) < 0 || !getcwd(cwd, sizeof(cwd)))
		return -1;
	/* RFC 4122 version 4 (random) uuid. */
	h->uuid[6] = (h->uuid[6] & 0x0f) | 0x40;
	h->uuid[8] = (h->uuid[8] & 0x3f) | 0x80;
	long page = sysconf(_SC_PAGESIZE);
	h->page_size = page > 0 ? (uint64_t)page : 4096;
	if (trace_header_set_string(&h->xrr_version, PACKAGE_VERSION) < 0 ||
	    trace_header_set_string(&h->cwd, cwd) < 0 ||
	    trace_header_set_string(&h->uname.sysname, u.sysname) < 0 ||
	    trace_header_set_string(&h->uname.nodename, u.nodename) < 0 ||
	    trace_header_set_string(&h->uname.release, u.release) < 0 ||
	    trace_header_set_string(&h->uname.version, u.version) < 0 ||
	    trace_header_set_string(&h->uname.machine, u.machine) < 0)
		return -1;
	return 0;
}

/* ---- encoding ------------------------------------------------------------ */

static void put_entry(struct trace_buf *b, uint16_t key, const void *value,
		      size_t len)
{
	trace_buf_put_u16(b, key);
	trace_buf_put_u16(b, 0);
	trace_buf_put_u32(b, (uint32_t)len);
	trace_buf_put_bytes(b, value, len);
}

static void put_str_entry(struct trace_buf *b, uint16_t key, const char *s)
{
	if (s)
		put_entry(b, key, s, strlen(s));
}

/* An entry whose value is built in scratch (emptied first). */
static void put_scratch_entry(struct trace_buf *b, uint16_t key,
			      struct trace_buf *scratch)
{
	if (scratch->failed)
		b->failed = true;
	put_entry(b, key, scratch->data, scratch->len);
	trace_buf_reset(scratch);
}

static void put_u64_entry(struct trace_buf *b, uint16_t key, uint64_t v,
			  struct trace_buf *scratch)
{
	trace_buf_put_u64(scratch, v);
	put_scratch_entry(b, key, scratch);
}

static void put_cpuid_entries(struct trace_buf *b, const struct trace_header *h,
			      struct trace_buf *s)
{
	for (size_t i = 0; i < h->ncpuid; i++) {
		const struct cpuid_leaf *l = &h->cpuid[i];
		trace_buf_put_u32(s, l->leaf);
		trace_buf_put_u32(s, l->subleaf);
		trace_buf_put_u32(s, l->eax);
		trace_buf_put_u32(s, l->ebx);
		trace_buf_put_u32(s, l->ecx);
		trace_buf_put_u32(s, l->edx);
		put_scratch_entry(b, HK_CPUID, s);
	}
}

static void put_xcr0_entries(struct trace_buf *b, const struct trace_header *h,
			     struct trace_buf *s)
{
	put_u64_entry(b, HK_HOST_XCR0, h->host_xcr0, s);
	put_u64_entry(b, HK_INITIAL_XCR0, h->initial_xcr0, s);
	for (size_t i = 0; i < h->nthread_xcr0; i++) {
		trace_buf_put_u32(s, (uint32_t)h->thread_xcr0[i].tid);
		trace_buf_put_u64(s, h->thread_xcr0[i].xcr0);
		put_scratch_entry(b, HK_THREAD_XCR0, s);
	}
}

static void put_xsave_entries(struct trace_buf *b, const struct xsave_layout *l,
			      struct trace_buf *s)
{
	trace_buf_put_u64(s, l->supported_xcr0);
	trace_buf_put_u32(s, l->max_size);
	put_scratch_entry(b, HK_XSAVE, s);
	for (uint32_t i = 0; i < XSAVE_MAX_COMPONENTS; i++) {
		const struct xsave_component_layout *c = &l->comp[i];
		if (!c->supported)
			continue;
		trace_buf_put_u32(s, i);
		trace_buf_put_u32(s, c->offset);
		trace_buf_put_u32(s, c->size);
		trace_buf_put_u32(s, c->align64 ? 1 : 0);
		put_scratch_entry(b, HK_XSAVE_COMPONENT, s);
	}
}

static void put_identity_entries(struct trace_buf *b,
				 const struct trace_header *h,
				 struct trace_buf *s)
{
	put_entry(b, HK_UUID, h->uuid, sizeof(h->uuid));
	put_str_entry(b, HK_XRR_VERSION, h->xrr_version);
	for (size_t i = 0; i < h->argc; i++)
		put_str_entry(b, HK_ARGV, h->argv[i]);
	for (size_t i = 0; i < h->envc; i++)
		put_str_entry(b, HK_ENVP, h->envp[i]);
	put_str_entry(b, HK_CWD, h->cwd);
	put_str_entry(b, HK_UNAME_SYSNAME, h->uname.sysname);
	put_str_entry(b, HK_UNAME_NODENAME, h->uname.nodename);
	put_str_entry(b, HK_UNAME_RELEASE, h->uname.release);
	put_str_entry(b, HK_UNAME_VERSION, h->uname.version);
	put_str_entry(b, HK_UNAME_MACHINE, h->uname.machine);
	put_u64_entry(b, HK_PAGE_SIZE, h->page_size, s);
}

static void put_control_entries(struct trace_buf *b,
				const struct trace_header *h,
				struct trace_buf *s)
{
	put_u64_entry(b, HK_CPUID_FAULTING, h->cpuid_faulting, s);
	put_u64_entry(b, HK_KERNEL_XCR0_CONTROL, h->kernel_xcr0_control, s);
	put_u64_entry(b, HK_INSN_VIRT, h->insn_virt, s);
	put_str_entry(b, HK_TICK_SOURCE, h->tick_source);
	put_u64_entry(b, HK_BOUND_CPU, (uint64_t)(int64_t)h->bound_cpu, s);
	put_u64_entry(b, HK_RDTSC_TRAPPED, h->rdtsc_trapped, s);
}

int trace_header_encode(const struct trace_header *h, struct trace_buf *out)
{
	struct trace_buf s;
	trace_buf_init(&s);
	char line[MAX_FIRST_LINE];
	int n = snprintf(line, sizeof(line), MAGIC_LINE "%u.%u\n",
			 TRACE_FORMAT_MAJOR, TRACE_FORMAT_MINOR);
	trace_buf_put_bytes(out, line, (size_t)n);
	put_identity_entries(out, h, &s);
	put_cpuid_entries(out, h, &s);
	put_xcr0_entries(out, h, &s);
	put_xsave_entries(out, &h->xsave, &s);
	put_control_entries(out, h, &s);
	trace_buf_free(&s);
	/* END: key 0, flags 0, length 4, CRC32C of all bytes before it. */
	trace_buf_put_u16(out, HK_END);
	trace_buf_put_u16(out, 0);
	trace_buf_put_u32(out, 4);
	if (!out->failed)
		trace_buf_put_u32(out, trace_crc32c(0, out->data, out->len));
	return out->failed ? -1 : 0;
}

/* ---- decoding ------------------------------------------------------------ */

struct header_parse {
	const char *name;
	const uint8_t *data;
	size_t len;
	char *err;
	size_t errlen;
};

__attribute__((format(printf, 2, 3)))
static int parse_fail(const struct header_parse *p, const char *fmt, ...)
{
	int n = snprintf(p->err, p->errlen, "trace %s: ", p->name);
	va_list ap;
	va_start(ap, fmt);
	if (n >= 0 && (size_t)n < p->errlen)
		vsnprintf(p->err + n, p->errlen - n, fmt, ap);
	va_end(ap);
	return -1;
}

/* "xrr-trace M.N\n": the version, and where the entries start. */
static int parse_first_line(const struct header_parse *p,
			    struct trace_header *h, size_t *entries_at)
{
	size_t magic = strlen(MAGIC_LINE);
	const uint8_t *nl = memchr(p->data, '\n',
				   p->len < MAX_FIRST_LINE ? p->len : MAX_FIRST_LINE);
	unsigned major, minor;
	char line[MAX_FIRST_LINE + 1], tail;
	if (!nl || p->len < magic || memcmp(p->data, MAGIC_LINE, magic) != 0)
		return parse_fail(p, "not an xrr trace header (no \"%s\" line at"
				  " offset 0)", MAGIC_LINE "M.N");
	memcpy(line, p->data, (size_t)(nl - p->data));
	line[nl - p->data] = 0;
	if (sscanf(line + magic, "%u.%u%c", &major, &minor, &tail) != 2)
		return parse_fail(p, "bad version line \"%s\" at offset 0", line);
	if (major > TRACE_FORMAT_MAJOR || major < TRACE_FORMAT_MAJOR_OLDEST)
		return parse_fail(p, "trace format version %u.%u is not supported"
				  " (this xrr reads formats %u.x to %u.x)", major,
				  minor, TRACE_FORMAT_MAJOR_OLDEST,
				  TRACE_FORMAT_MAJOR);
	h->format_major = major;
	h->format_minor = minor;
	*entries_at = (size_t)(nl - p->data) + 1;
	return 0;
}

/* First pass: the entries are well-formed and the CRC matches, so the
 * second pass can trust lengths. */
static int check_structure(const struct header_parse *p, size_t at)
{
	while (p->len - at >= ENTRY_HEADER_SIZE) {
		struct trace_cursor c;
		trace_cursor_init(&c, p->data + at, p->len - at);
		uint16_t key = trace_cursor_u16(&c);
		trace_cursor_u16(&c);
		uint32_t len = trace_cursor_u32(&c);
		if (len > trace_cursor_left(&c))
			return parse_fail(p, "header entry %u at offset %zu: length"
					  " %u runs past the end (file truncated"
					  " or corrupted?)", key, at, len);
		if (key == HK_END) {
			if (len < 4)
				return parse_fail(p, "header end entry at offset"
						  " %zu too short", at);
			uint32_t want = trace_crc32c(0, p->data, at + ENTRY_HEADER_SIZE);
			if (trace_cursor_u32(&c) != want)
				return parse_fail(p, "header checksum mismatch (end"
						  " entry at offset %zu; file"
						  " corrupted?)", at);
			if (at + ENTRY_HEADER_SIZE + len != p->len)
				return parse_fail(p, "unexpected data at offset %zu"
						  " after the header end entry",
						  at + ENTRY_HEADER_SIZE + len);
			return 0;
		}
		at += ENTRY_HEADER_SIZE + len;
	}
	return parse_fail(p, "header cut short at offset %zu (no end entry;"
			  " file truncated?)", at);
}

static int take_string(struct trace_cursor *v, char **field)
{
	if (memchr(v->data, 0, v->len))
		return -1;
	char *s = strndup((const char *)v->data, v->len);
	if (!s)
		return -1;
	free(*field);
	*field = s;
	return 0;
}

static int take_strv(struct trace_cursor *v, char ***vec, size_t *n)
{
	char *s = NULL;
	if (take_string(v, &s) < 0)
		return -1;
	int rc = strv_push(vec, n, s);
	free(s);
	return rc;
}

static int take_cpuid(struct trace_cursor *v, struct trace_header *h)
{
	struct cpuid_leaf l;
	l.leaf = trace_cursor_u32(v);
	l.subleaf = trace_cursor_u32(v);
	l.eax = trace_cursor_u32(v);
	l.ebx = trace_cursor_u32(v);
	l.ecx = trace_cursor_u32(v);
	l.edx = trace_cursor_u32(v);
	return v->failed ? -1 : trace_header_add_cpuid(h, &l);
}

static int take_thread_xcr0(struct trace_cursor *v, struct trace_header *h)
{
	int32_t tid = (int32_t)trace_cursor_u32(v);
	uint64_t xcr0 = trace_cursor_u64(v);
	return v->failed ? -1 : trace_header_set_thread_xcr0(h, tid, xcr0);
}

static int take_xsave_component(struct trace_cursor *v, struct xsave_layout *l)
{
	uint32_t i = trace_cursor_u32(v);
	struct xsave_component_layout c = { .supported = true };
	c.offset = trace_cursor_u32(v);
	c.size = trace_cursor_u32(v);
	c.align64 = trace_cursor_u32(v) & 1;
	if (v->failed || i >= XSAVE_MAX_COMPONENTS)
		return -1;
	l->comp[i] = c;
	return 0;
}

/* Scalars; returns 1 when key is not one of them. */
static int take_scalar(uint16_t key, struct trace_cursor *v,
		       struct trace_header *h)
{
	switch (key) {
	case HK_UUID: trace_cursor_bytes(v, h->uuid, sizeof(h->uuid)); break;
	case HK_PAGE_SIZE: h->page_size = trace_cursor_u64(v); break;
	case HK_HOST_XCR0: h->host_xcr0 = trace_cursor_u64(v); break;
	case HK_INITIAL_XCR0: h->initial_xcr0 = trace_cursor_u64(v); break;
	case HK_CPUID_FAULTING: h->cpuid_faulting = trace_cursor_u64(v) != 0; break;
	case HK_KERNEL_XCR0_CONTROL:
		h->kernel_xcr0_control = trace_cursor_u64(v) != 0;
		break;
	case HK_INSN_VIRT: h->insn_virt = (uint32_t)trace_cursor_u64(v); break;
	case HK_BOUND_CPU: h->bound_cpu = (int32_t)trace_cursor_u64(v); break;
	case HK_RDTSC_TRAPPED: h->rdtsc_trapped = trace_cursor_u64(v) != 0; break;
	case HK_XSAVE:
		h->xsave.supported_xcr0 = trace_cursor_u64(v);
		h->xsave.max_size = trace_cursor_u32(v);
		break;
	default:
		return 1;
	}
	return v->failed ? -1 : 0;
}

/* 0 taken, 1 unknown key, -1 bad value. */
static int take_entry(uint16_t key, struct trace_cursor *v,
		      struct trace_header *h)
{
	switch (key) {
	case HK_XRR_VERSION: return take_string(v, &h->xrr_version);
	case HK_ARGV: return take_strv(v, &h->argv, &h->argc);
	case HK_ENVP: return take_strv(v, &h->envp, &h->envc);
	case HK_CWD: return take_string(v, &h->cwd);
	case HK_UNAME_SYSNAME: return take_string(v, &h->uname.sysname);
	case HK_UNAME_NODENAME: return take_string(v, &h->uname.nodename);
	case HK_UNAME_RELEASE: return take_string(v, &h->uname.release);
	case HK_UNAME_VERSION: return take_string(v, &h->uname.version);
	case HK_UNAME_MACHINE: return take_string(v, &h->uname.machine);
	case HK_TICK_SOURCE: return take_string(v, &h->tick_source);
	case HK_CPUID: return take_cpuid(v, h);
	case HK_THREAD_XCR0: return take_thread_xcr0(v, h);
	case HK_XSAVE_COMPONENT: return take_xsave_component(v, &h->xsave);
	default: return take_scalar(key, v, h);
	}
}

static int take_entries(const struct header_parse *p, size_t at,
			struct trace_header *h)
{
	for (;;) {
		struct trace_cursor c, v;
		trace_cursor_init(&c, p->data + at, p->len - at);
		uint16_t key = trace_cursor_u16(&c);
		uint16_t flags = trace_cursor_u16(&c);
		uint32_t len = trace_cursor_u32(&c);
		if (key == HK_END)
			return 0;
		trace_cursor_init(&v, p->data + at + ENTRY_HEADER_SIZE, len);
		int rc = take_entry(key, &v, h);
		if (rc < 0)
			return parse_fail(p, "header entry %u at offset %zu: bad"
					  " value (%u bytes)", key, at, len);
		if (rc > 0 && (flags & HK_FLAG_REQUIRED))
			return parse_fail(p, "header entry %u at offset %zu is"
					  " required but unknown to this xrr"
					  " (trace format %u.%u, this xrr %u.%u)",
					  key, at, h->format_major,
					  h->format_minor, TRACE_FORMAT_MAJOR,
					  TRACE_FORMAT_MINOR);
		at += ENTRY_HEADER_SIZE + len;
	}
}

int trace_header_decode(struct trace_header *h, const void *data, size_t len,
			const char *name, char *err, size_t errlen)
{
	struct header_parse p = { name, data, len, err, errlen };
	size_t at = 0;
	trace_header_init(h);
	if (parse_first_line(&p, h, &at) < 0 || check_structure(&p, at) < 0 ||
	    take_entries(&p, at, h) < 0) {
		trace_header_free(h);
		return -1;
	}
	return 0;
}

int trace_header_copy(struct trace_header *dst, const struct trace_header *src)
{
	/* Through the serialised form: one code path to keep correct. */
	struct trace_buf b;
	char err[256];
	trace_buf_init(&b);
	int rc = trace_header_encode(src, &b);
	if (rc == 0)
		rc = trace_header_decode(dst, b.data, b.len, "(copy)", err,
					 sizeof(err));
	else
		trace_header_init(dst);
	trace_buf_free(&b);
	return rc;
}
