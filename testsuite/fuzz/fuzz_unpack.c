/* libFuzzer target: `xrr unpack` (replay/trace_unpack.c) on archives a
 * colleague sent, whatever they hold.  Unpacking must either make a
 * trace directory that opens, or fail with a message and leave nothing
 * behind; it never writes outside the destination's parent, never
 * crashes, leaks memory or file descriptors.
 *
 * Input: one mode byte, then
 *   mode & 1 == 0  the archive file's bytes verbatim (libarchive's tar and
 *                  zstd readers on anything);
 *   mode & 1 == 1  members { u8 kind, u8 len, name-or-content bytes... }
 *                  written here into a valid tar (pax, or ustar when
 *                  mode & 2) compressed with zstd (none when mode & 4),
 *                  so that unpack's own checks are reached: member names,
 *                  types, stored files' hashes, the trace header.
 *
 * Member kinds (kind % 10): 0 the top directory "t/", 1 every file of a
 * valid empty trace (header and streams, made at start-up with
 * trace_create), 2 "t/version" with the bytes, 3 "t/events" with
 * the bytes, 4 "t/files/", 5 "t/files/<sha256 of the bytes>", 6
 * "t/files/<64 hex of the bytes>" (a wrong hash), 7 a member named by
 * the bytes (a regular file), 8 a symbolic link named "t/l" to the bytes,
 * 9 a directory named by the bytes. */
#include "config.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "replay/trace.h"
#include "replay/trace_codec.h"
#include "replay/trace_pack.h"
#include "testsuite/fuzz/fuzz_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static char base[256];          /* this process's scratch directory */

/* The files of a valid, empty trace directory. */
#define MAX_TEMPLATE 16
static struct { char name[64]; uint8_t *bytes; size_t len; } tmpl[MAX_TEMPLATE];
static size_t ntmpl;

static void remove_tree(const char *path)
{
	struct stat st;
	if (lstat(path, &st) != 0)
		return;
	if (S_ISDIR(st.st_mode)) {
		DIR *d = opendir(path);
		if (d) {
			struct dirent *e;
			while ((e = readdir(d))) {
				if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
					continue;
				char sub[4096];
				snprintf(sub, sizeof(sub), "%s/%s", path, e->d_name);
				remove_tree(sub);
			}
			closedir(d);
		}
		chmod(path, 0700);
		rmdir(path);
	} else {
		unlink(path);
	}
}

static size_t count_entries(const char *dir)
{
	size_t n = 0;
	DIR *d = opendir(dir);
	check(d != NULL);
	struct dirent *e;
	while ((e = readdir(d)))
		n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
	closedir(d);
	return n;
}

static size_t open_fds(void)
{
	return count_entries("/proc/self/fd");
}

static void make_template(void)
{
	char dir[512], err[256];
	snprintf(dir, sizeof(dir), "%s/template", base);
	struct trace_header h;
	trace_header_init(&h);
	check(trace_header_set_string(&h.xrr_version, "fuzz") == 0);
	struct trace *t = trace_create(dir, &h, err, sizeof(err));
	check(t != NULL);
	check(trace_close(t, err, sizeof(err)) == 0);
	trace_header_free(&h);
	DIR *d = opendir(dir);
	check(d != NULL);
	struct dirent *e;
	while ((e = readdir(d)) && ntmpl < MAX_TEMPLATE) {
		char path[1024];
		struct stat st;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
			continue;
		int fd = open(path, O_RDONLY);
		check(fd >= 0);
		tmpl[ntmpl].bytes = malloc((size_t)st.st_size + 1);
		check(tmpl[ntmpl].bytes != NULL);
		check(read(fd, tmpl[ntmpl].bytes, (size_t)st.st_size) == st.st_size);
		close(fd);
		tmpl[ntmpl].len = (size_t)st.st_size;
		snprintf(tmpl[ntmpl].name, sizeof(tmpl[ntmpl].name), "t/%s", e->d_name);
		ntmpl++;
	}
	closedir(d);
	check(ntmpl > 0);
	remove_tree(dir);
}

static void remove_base(void)
{
	remove_tree(base);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	const char *tmp = getenv("TMPDIR");
	snprintf(base, sizeof(base), "%s/fuzz-unpack.%d", tmp && *tmp ? tmp : "/tmp",
		 (int)getpid());
	remove_tree(base);
	check(mkdir(base, 0700) == 0);
	atexit(remove_base);
	make_template();
	return 0;
}

static void add_member(struct archive *a, const char *name, int type,
		       const void *bytes, size_t len, const char *link)
{
	struct archive_entry *e = archive_entry_new();
	check(e != NULL);
	archive_entry_set_pathname(e, name);
	archive_entry_set_filetype(e, (unsigned)type);
	archive_entry_set_perm(e, type == AE_IFDIR ? 0755 : 0644);
	archive_entry_set_size(e, type == AE_IFREG ? (la_int64_t)len : 0);
	if (link)
		archive_entry_set_symlink(e, link);
	if (archive_write_header(a, e) == ARCHIVE_OK && type == AE_IFREG && len)
		archive_write_data(a, bytes, len);
	archive_entry_free(e);
}

/* A string of at most 255 bytes from the input, NUL-free. */
static void input_string(char *out, const uint8_t *p, size_t n)
{
	size_t k = 0;
	for (size_t i = 0; i < n && k < 255; i++)
		if (p[i])
			out[k++] = (char)p[i];
	out[k] = 0;
}

static void build_archive(const char *path, unsigned mode, const uint8_t *p,
			  size_t n)
{
	struct archive *a = archive_write_new();
	check(a != NULL);
	if (mode & 2)
		archive_write_set_format_ustar(a);
	else
		archive_write_set_format_pax_restricted(a);
	if (!(mode & 4))
		archive_write_add_filter_zstd(a);
	check(archive_write_open_filename(a, path) == ARCHIVE_OK);
	size_t i = 0;
	while (i + 2 <= n) {
		unsigned kind = p[i] % 10;
		size_t len = p[i + 1];
		i += 2;
		if (len > n - i)
			len = n - i;
		const uint8_t *b = p + i;
		i += len;
		char name[512], s[256];
		uint8_t digest[TRACE_SHA256_SIZE];
		char hex[2 * TRACE_SHA256_SIZE + 1];
		struct trace_sha256 h;
		switch (kind) {
		case 0: add_member(a, "t/", AE_IFDIR, NULL, 0, NULL); break;
		case 1:
			for (size_t k = 0; k < ntmpl; k++)
				add_member(a, tmpl[k].name, AE_IFREG, tmpl[k].bytes,
					   tmpl[k].len, NULL);
			break;
		case 2: add_member(a, "t/version", AE_IFREG, b, len, NULL); break;
		case 3: add_member(a, "t/events", AE_IFREG, b, len, NULL); break;
		case 4: add_member(a, "t/files/", AE_IFDIR, NULL, 0, NULL); break;
		case 5:
			trace_sha256_init(&h);
			trace_sha256_update(&h, b, len);
			trace_sha256_final(&h, digest);
			trace_hex(hex, digest, sizeof(digest));
			snprintf(name, sizeof(name), "t/files/%s", hex);
			add_member(a, name, AE_IFREG, b, len, NULL);
			break;
		case 6:
			memset(digest, 0, sizeof(digest));
			memcpy(digest, b, len < sizeof(digest) ? len : sizeof(digest));
			trace_hex(hex, digest, sizeof(digest));
			snprintf(name, sizeof(name), "t/files/%s", hex);
			add_member(a, name, AE_IFREG, b, len, NULL);
			break;
		case 7:
			input_string(s, b, len);
			add_member(a, s, AE_IFREG, b, len, NULL);
			break;
		case 8:
			input_string(s, b, len);
			add_member(a, "t/l", AE_IFLNK, NULL, 0, s);
			break;
		default:
			input_string(s, b, len);
			add_member(a, s, AE_IFDIR, NULL, 0, NULL);
			break;
		}
	}
	archive_write_close(a);
	archive_write_free(a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	unsigned mode = data[0];
	char archive[512], work[512], dest[600], made[4096], err[1024];
	snprintf(archive, sizeof(archive), "%s/in.xrr", base);
	snprintf(work, sizeof(work), "%s/work", base);
	snprintf(dest, sizeof(dest), "%s/trace", work);
	remove_tree(work);
	check(mkdir(work, 0700) == 0);
	if (mode & 1) {
		build_archive(archive, mode, data + 1, size - 1);
	} else {
		int fd = open(archive, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		check(fd >= 0);
		check(write(fd, data + 1, size - 1) == (ssize_t)(size - 1));
		close(fd);
	}
	size_t fds = open_fds();
	struct trace_pack_opts opts = { 0 };
	struct trace_pack_stats stats;
	memset(&stats, 0, sizeof(stats));
	err[0] = 0;
	int rc = trace_unpack(archive, dest, false, made, sizeof(made), &opts,
			      &stats, err, sizeof(err));
	check(open_fds() == fds);
	if (rc < 0) {
		/* A message, and nothing left behind next to the destination. */
		check(err[0] != 0);
		check(count_entries(work) == 0);
	} else {
		check(rc == 0);
		/* Only the destination, and it opens as a trace. */
		check(count_entries(work) == 1);
		struct trace *t = trace_open(dest, err, sizeof(err));
		check(t != NULL);
		check(trace_close(t, err, sizeof(err)) == 0);
	}
	remove_tree(work);
	return 0;
}
