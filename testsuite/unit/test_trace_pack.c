/* Unit tests for packed traces (replay/trace_pack.h): member names,
 * a pack/unpack round trip of a real trace directory with a separate
 * debug file found by build-id, packing in place twice, and archives
 * unpack must refuse (not zstd, damaged, truncated, escaping names,
 * links, no header) without leaving anything behind. */
#include "config.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "replay/trace.h"
#include "replay/trace_pack.h"
#include "testsuite/unit/cunit_main.h"

#define FMT(buf, ...) \
	CU_ASSERT_FATAL(snprintf(buf, sizeof(buf), __VA_ARGS__) < (int)sizeof(buf))

static char tmp_root[PATH_MAX];

static int remove_entry(const char *path, const struct stat *st, int type,
			struct FTW *ftw)
{
	(void)st, (void)type, (void)ftw;
	chmod(path, 0700);
	return remove(path);
}

static int suite_init(void)
{
	strcpy(tmp_root, "/tmp/xrr-test-pack.XXXXXX");
	return mkdtemp(tmp_root) ? 0 : -1;
}

static int suite_cleanup(void)
{
	return nftw(tmp_root, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* ---- member names ---------------------------------------------------------------- */

static void test_member_names(void)
{
	static const struct {
		const char *name, *top;
		enum trace_pack_member kind;
		const char *why;        /* part of the reason, for BAD */
	} cases[] = {
		{ "prog-0/", "", TRACE_MEMBER_TOP_DIR, NULL },
		{ "prog-0", "", TRACE_MEMBER_TOP_DIR, NULL },
		{ "prog-0/version", "", TRACE_MEMBER_TOP_FILE, NULL },
		{ "prog-0/version", "prog-0", TRACE_MEMBER_TOP_FILE, NULL },
		{ "prog-0/files/", "prog-0", TRACE_MEMBER_FILES_DIR, NULL },
		{ "prog-0/files/0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
		  "prog-0", TRACE_MEMBER_STORED_FILE, NULL },
		{ "prog-0/files/0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef",
		  "prog-0", TRACE_MEMBER_BAD, "unexpected member" },
		{ "prog-0/files/tmp.1.2", "prog-0", TRACE_MEMBER_BAD, "unexpected member" },
		{ "prog-0/sub/x", "prog-0", TRACE_MEMBER_BAD, "unexpected member" },
		{ "other/version", "prog-0", TRACE_MEMBER_BAD, "outside" },
		{ "prog-01/version", "prog-0", TRACE_MEMBER_BAD, "outside" },
		{ "/etc/passwd", "", TRACE_MEMBER_BAD, "absolute" },
		{ "../evil", "", TRACE_MEMBER_BAD, "'..'" },
		{ "prog-0/../evil", "prog-0", TRACE_MEMBER_BAD, "'..'" },
		{ "prog-0/./version", "prog-0", TRACE_MEMBER_BAD, "'.'" },
		{ "./prog-0/version", "", TRACE_MEMBER_BAD, "'.'" },
		{ "prog-0//version", "prog-0", TRACE_MEMBER_BAD, "empty path component" },
		{ "", "", TRACE_MEMBER_BAD, "empty member name" },
		{ "a/b/c/d/e", "", TRACE_MEMBER_BAD, "too deep" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char why[512] = "";
		size_t toplen = 99;
		enum trace_pack_member k = trace_pack_member_kind(
			cases[i].name, cases[i].top, &toplen, why, sizeof(why));
		if (k != cases[i].kind)
			fprintf(stderr, "\n%s: got %d, want %d (%s)\n",
				cases[i].name, k, cases[i].kind, why);
		CU_ASSERT_EQUAL(k, cases[i].kind);
		if (cases[i].why) {
			CU_ASSERT_PTR_NOT_NULL(strstr(why, cases[i].why));
		} else {
			CU_ASSERT_EQUAL(toplen, strlen("prog-0"));
		}
	}
}

/* ---- a trace to pack ----------------------------------------------------------------- */

static void write_file(const char *path, const void *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_FATAL(write(fd, data, len) == (ssize_t)len);
	close(fd);
}

static char *read_all(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	char *buf = NULL;
	size_t cap = 0;
	FILE *m = open_memstream(&buf, &cap);
	char chunk[65536];
	size_t n;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		fwrite(chunk, 1, n, m);
	fclose(f);
	fclose(m);
	*len = cap;
	return buf;
}

/* The GNU build-id of this test program (the toolchain default), as
 * binutils' readelf shows it: an independent reading of the note the
 * code under test parses with libelf. */
static int self_build_id(char *hex, size_t len)
{
	char self[PATH_MAX], cmd[PATH_MAX + 64], line[512];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n < 0)
		return -1;
	self[n] = 0;
	snprintf(cmd, sizeof(cmd), "readelf -n '%s' 2>/dev/null", self);
	FILE *p = popen(cmd, "r");
	int found = -1;
	while (p && fgets(line, sizeof(line), p))
		if (sscanf(line, " Build ID: %127s", hex) == 1 && strlen(hex) < len)
			found = 0;
	if (p)
		pclose(p);
	return found;
}

/* A trace with this program stored as a mapped file, and a debug dir
 * holding a "debug file" for it under its build-id. */
static void make_trace(const char *dir, const char *debug_dir, char *bid,
		       size_t bidlen)
{
	char err[512], path[PATH_MAX];
	struct trace_header h;
	trace_header_init(&h);
	CU_ASSERT_FATAL(trace_header_fill_host(&h) == 0);
	char *argv[] = { "/bin/prog", NULL };
	CU_ASSERT_FATAL(trace_header_set_argv(&h, argv) == 0);
	struct trace *t = trace_create(dir, &h, err, sizeof(err));
	CU_ASSERT_FATAL(t != NULL);
	struct trace_file_id id;
	CU_ASSERT_FATAL(trace_store_file_as(t, "/proc/self/exe", "/opt/app/prog",
					    &id, err, sizeof(err)) == 0);
	CU_ASSERT_FATAL(trace_close(t, err, sizeof(err)) == 0);
	trace_header_free(&h);

	CU_ASSERT_FATAL(self_build_id(bid, bidlen) == 0);
	FMT(path, "%s/.build-id", debug_dir);
	CU_ASSERT_FATAL(mkdir(debug_dir, 0755) == 0 && mkdir(path, 0755) == 0);
	FMT(path, "%s/.build-id/%.2s", debug_dir, bid);
	CU_ASSERT_FATAL(mkdir(path, 0755) == 0);
	FMT(path, "%s/.build-id/%.2s/%s.debug", debug_dir, bid, bid + 2);
	write_file(path, "separate debug info", 19);
}

/* The stored file the filemap names `path`, read whole; NULL if none. */
static char *stored_by_path(const char *dir, const char *path, size_t *len)
{
	char err[512], file[PATH_MAX * 2];
	struct trace *t = trace_open(dir, err, sizeof(err));
	CU_ASSERT_FATAL(t != NULL);
	struct trace_reader *r = trace_stream_reader(t, TRACE_STREAM_FILEMAP,
						     err, sizeof(err));
	CU_ASSERT_FATAL(r != NULL);
	struct trace_record rec;
	char *data = NULL;
	int n = 0;
	while (trace_reader_next(r, &rec) == TRACE_RECORD) {
		struct trace_file_entry e;
		CU_ASSERT_FATAL(trace_file_entry_decode(&e, rec.data, rec.len) == 0);
		if (strcmp(e.path, path) == 0 && !data) {
			FMT(file, "%s/files/%s", dir, e.id.hex);
			data = read_all(file, len);
		}
		n += strcmp(e.path, path) == 0;
		trace_file_entry_free(&e);
	}
	CU_ASSERT(n <= 1);      /* never named twice */
	trace_reader_close(r);
	trace_close(t, err, sizeof(err));
	return data;
}

static int count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	int n = 0;
	struct dirent *e;
	while (d && (e = readdir(d)))
		n += e->d_name[0] != '.' || strncmp(e->d_name, ".xrr-unpack", 11) == 0;
	if (d)
		closedir(d);
	return n;
}

static void test_round_trip_with_debug_file(void)
{
	char dir[PATH_MAX], dbg[PATH_MAX], arch[PATH_MAX], out[PATH_MAX],
	     gdb_path[PATH_MAX], bid[130], err[1024], got[PATH_MAX];
	FMT(dir, "%s/rt/app-3", tmp_root);
	FMT(dbg, "%s/rt-debug", tmp_root);
	FMT(arch, "%s/rt.xrr", tmp_root);
	FMT(out, "%s/elsewhere/restored", tmp_root);
	FMT(got, "%s/rt", tmp_root);
	CU_ASSERT_FATAL(mkdir(got, 0755) == 0);
	make_trace(dir, dbg, bid, sizeof(bid));
	FMT(gdb_path, "/usr/lib/debug/.build-id/%.2s/%s.debug", bid, bid + 2);

	struct trace_pack_opts opts = { .debug_dirs = dbg };
	struct trace_pack_stats st;
	int rc = trace_pack_write(dir, arch, &opts, &st, err, sizeof(err));
	if (rc)
		fprintf(stderr, "\n%s\n", err);
	CU_ASSERT_FATAL(rc == 0);
	CU_ASSERT_EQUAL(st.debug_files, 1);
	CU_ASSERT(st.archive_bytes > 0);
	size_t len;
	/* Packing to an archive leaves the trace as it was. */
	CU_ASSERT_PTR_NULL(stored_by_path(dir, gdb_path, &len));

	rc = trace_unpack(arch, out, false, got, sizeof(got), &opts, &st, err,
			  sizeof(err));
	if (rc)
		fprintf(stderr, "\n%s\n", err);
	CU_ASSERT_FATAL(rc == 0);
	CU_ASSERT_STRING_EQUAL(got, out);
	char *data = stored_by_path(out, gdb_path, &len);
	CU_ASSERT_FATAL(data != NULL);
	CU_ASSERT(len == 19 && memcmp(data, "separate debug info", 19) == 0);
	free(data);
	data = stored_by_path(out, "/opt/app/prog", &len);
	CU_ASSERT_PTR_NOT_NULL(data);
	free(data);

	/* Into a parent: the trace's own name; then that name is taken. */
	char parent[PATH_MAX];
	FMT(parent, "%s/root", tmp_root);
	CU_ASSERT_FATAL(trace_unpack(arch, parent, true, got, sizeof(got), NULL,
				     NULL, err, sizeof(err)) == 0);
	FMT(out, "%s/app-3", parent);
	CU_ASSERT_STRING_EQUAL(got, out);
	CU_ASSERT_EQUAL(trace_unpack(arch, parent, true, got, sizeof(got), NULL,
				     NULL, err, sizeof(err)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "not an empty directory"));
	CU_ASSERT_EQUAL(count_entries(parent), 1);      /* no temporary left */
}

static void test_in_place_twice(void)
{
	char dir[PATH_MAX], dbg[PATH_MAX], gdb_path[PATH_MAX], bid[130], err[1024];
	FMT(dir, "%s/inplace", tmp_root);
	FMT(dbg, "%s/inplace-debug", tmp_root);
	make_trace(dir, dbg, bid, sizeof(bid));
	FMT(gdb_path, "/usr/lib/debug/.build-id/%.2s/%s.debug", bid, bid + 2);
	struct trace_pack_opts opts = { .debug_dirs = dbg };
	struct trace_pack_stats st;
	CU_ASSERT_FATAL(trace_pack_in_place(dir, &opts, &st, err, sizeof(err)) == 0);
	CU_ASSERT_EQUAL(st.debug_files, 1);
	size_t len;
	char *data = stored_by_path(dir, gdb_path, &len);
	CU_ASSERT_PTR_NOT_NULL(data);
	free(data);
	CU_ASSERT_FATAL(trace_pack_in_place(dir, &opts, &st, err, sizeof(err)) == 0);
	CU_ASSERT_EQUAL(st.debug_files, 0);
	data = stored_by_path(dir, gdb_path, &len);     /* still once */
	CU_ASSERT_PTR_NOT_NULL(data);
	free(data);
}

/* ---- archives unpack refuses ---------------------------------------------------------- */

struct member_spec {
	const char *name;
	mode_t type;
	const char *data;       /* regular files; symlink target for links */
};

static void write_archive(const char *path, bool zstd,
			  const struct member_spec *m, size_t n)
{
	struct archive *a = archive_write_new();
	if (zstd)
		archive_write_add_filter_zstd(a);
	else
		archive_write_add_filter_gzip(a);
	archive_write_set_format_pax_restricted(a);
	CU_ASSERT_FATAL(archive_write_open_filename(a, path) == ARCHIVE_OK);
	struct archive_entry *e = archive_entry_new();
	for (size_t i = 0; i < n; i++) {
		archive_entry_clear(e);
		archive_entry_set_pathname(e, m[i].name);
		archive_entry_set_filetype(e, m[i].type);
		archive_entry_set_perm(e, 0644);
		if (m[i].type == AE_IFLNK)
			archive_entry_set_symlink(e, m[i].data);
		size_t len = m[i].type == AE_IFREG ? strlen(m[i].data) : 0;
		archive_entry_set_size(e, (la_int64_t)len);
		CU_ASSERT_FATAL(archive_write_header(a, e) == ARCHIVE_OK);
		if (len)
			archive_write_data(a, m[i].data, len);
	}
	archive_entry_free(e);
	archive_write_close(a);
	archive_write_free(a);
}

/* Unpacking fails with a message holding `want`, and leaves neither
 * the destination nor a temporary directory. */
static void expect_refused(const char *archive, const char *want)
{
	char parent[PATH_MAX], dest[PATH_MAX], got[PATH_MAX], err[1024] = "";
	static int n;
	FMT(parent, "%s/refused-%d", tmp_root, n++);
	FMT(dest, "%s/trace", parent);
	CU_ASSERT_FATAL(mkdir(parent, 0755) == 0);
	CU_ASSERT_EQUAL(trace_unpack(archive, dest, false, got, sizeof(got),
				     NULL, NULL, err, sizeof(err)), -1);
	if (!strstr(err, want))
		fprintf(stderr, "\nwanted \"%s\" in: %s\n", want, err);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, want));
	CU_ASSERT_EQUAL(count_entries(parent), 0);
}

static void test_unpack_refuses(void)
{
	char path[PATH_MAX], good[PATH_MAX], dir[PATH_MAX], dbg[PATH_MAX],
	     bid[130], err[1024];
	const char *id = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
	char stored[200];
	FMT(stored, "t/files/%s", id);

	FMT(path, "%s/junk.xrr", tmp_root);
	write_file(path, "this is not an archive at all, just text\n", 42);
	expect_refused(path, "not an xrr trace archive");

	FMT(path, "%s/gzip.xrr", tmp_root);
	write_archive(path, false, (struct member_spec[]){
		{ "t/", AE_IFDIR, NULL } }, 1);
	expect_refused(path, "not an xrr trace archive");

	FMT(path, "%s/escape.xrr", tmp_root);
	write_archive(path, true, (struct member_spec[]){
		{ "t/", AE_IFDIR, NULL }, { "t/../evil", AE_IFREG, "x" } }, 2);
	expect_refused(path, "'..'");
	FMT(path, "%s/evil", tmp_root);
	CU_ASSERT(access(path, F_OK) != 0);

	FMT(path, "%s/absolute.xrr", tmp_root);
	write_archive(path, true, (struct member_spec[]){
		{ "/tmp/evil", AE_IFREG, "x" } }, 1);
	expect_refused(path, "absolute");

	FMT(path, "%s/link.xrr", tmp_root);
	write_archive(path, true, (struct member_spec[]){
		{ "t/", AE_IFDIR, NULL }, { "t/version", AE_IFLNK, "/etc/passwd" } }, 2);
	expect_refused(path, "symbolic link");

	FMT(path, "%s/noheader.xrr", tmp_root);
	write_archive(path, true, (struct member_spec[]){
		{ "t/", AE_IFDIR, NULL }, { "t/events", AE_IFREG, "x" } }, 2);
	expect_refused(path, "no trace header");

	FMT(path, "%s/badhash.xrr", tmp_root);
	write_archive(path, true, (struct member_spec[]){
		{ "t/", AE_IFDIR, NULL }, { stored, AE_IFREG, "not that" } }, 2);
	expect_refused(path, "hashes to");

	/* A real archive cut short, and one with a flipped byte. */
	FMT(dir, "%s/cut/prog-0", tmp_root);
	FMT(dbg, "%s/cut-debug", tmp_root);
	FMT(path, "%s/cut", tmp_root);
	CU_ASSERT_FATAL(mkdir(path, 0755) == 0);
	make_trace(dir, dbg, bid, sizeof(bid));
	FMT(good, "%s/good.xrr", tmp_root);
	struct trace_pack_opts opts = { .debug_dirs = dbg };
	CU_ASSERT_FATAL(trace_pack_write(dir, good, &opts, NULL, err, sizeof(err)) == 0);
	size_t len;
	char *bytes = read_all(good, &len);
	CU_ASSERT_FATAL(bytes && len > 1000);
	FMT(path, "%s/truncated.xrr", tmp_root);
	write_file(path, bytes, len / 2);
	expect_refused(path, "damaged or truncated");
	bytes[len / 2] ^= 0x55;
	FMT(path, "%s/flipped.xrr", tmp_root);
	write_file(path, bytes, len);
	expect_refused(path, "damaged");
	free(bytes);
}

static const struct unit_test tests[] = {
	{ "member names: kinds and refusals", test_member_names },
	{ "pack, unpack: debug file by build-id travels", test_round_trip_with_debug_file },
	{ "pack in place twice adds once", test_in_place_twice },
	{ "unpack refuses bad archives, leaves nothing", test_unpack_refuses },
	{ NULL, NULL },
};

static const struct unit_suite suites[] = {
	{ "trace_pack", tests, suite_init, suite_cleanup },
};

UNIT_MAIN(suites)
