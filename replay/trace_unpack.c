/* xrr unpack: an archive written by xrr pack back into a trace
 * directory, read with libarchive.
 *
 * Nothing in the archive is trusted: only a zstd-compressed tar is
 * read, every member name is classified (trace_pack_member_kind) before
 * anything is written, only regular files and directories are made,
 * each with O_EXCL|O_NOFOLLOW inside a fresh temporary directory, and
 * every stored file must hash to its name.  The temporary directory
 * becomes the trace only once the header reads and every stored file
 * the filemap names is there. */
#include "config.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "replay/trace_codec.h"
#include "replay/trace_internal.h"
#include "replay/trace_pack_int.h"

struct unpacker {
	struct archive *a;
	const char *archive_name;
	const char *archive_path;       /* "-": stdin */
	char stage[4200];
	int stagefd;
	char top[256];
	char last_member[4200];         /* for messages */
	const struct trace_pack_opts *opts;
	struct trace_pack_progress p;
};

static mode_t current_umask(void)
{
	mode_t m = umask(0);
	umask(m);
	return m;
}

/* Absent, or an empty directory (rename replaces that). */
static bool free_for_trace(const char *path)
{
	DIR *d = opendir(path);
	if (!d)
		return errno == ENOENT;
	struct dirent *e;
	bool empty = true;
	while (empty && (e = readdir(d)))
		empty = !strcmp(e->d_name, ".") || !strcmp(e->d_name, "..");
	closedir(d);
	return empty;
}

/* Only what unpacking made: regular files at two levels, files/. */
static void remove_level(int stagefd, const char *sub)
{
	int fd = sub ? openat(stagefd, sub, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
			      O_CLOEXEC) : dup(stagefd);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	if (!d) {
		if (fd >= 0)
			close(fd);
		return;
	}
	struct dirent *e;
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			unlinkat(dirfd(d), e->d_name, 0);
	closedir(d);
}

static void remove_stage(struct unpacker *u)
{
	if (u->stagefd < 0)
		return;
	remove_level(u->stagefd, TRACE_FILES_DIR);
	unlinkat(u->stagefd, TRACE_FILES_DIR, AT_REMOVEDIR);
	remove_level(u->stagefd, NULL);
	close(u->stagefd);
	u->stagefd = -1;
	rmdir(u->stage);
}

static int damaged(struct unpacker *u, const char *what, char *err,
		   size_t errlen)
{
	const char *why = archive_error_string(u->a);
	snprintf(err, errlen, "%s: damaged or truncated archive (%s%s): %s",
		 u->archive_name, what, u->last_member,
		 why ? why : "unexpected end of data");
	return -1;
}

static const char *type_name(mode_t t)
{
	switch (t) {
	case AE_IFLNK: return "a symbolic link";
	case AE_IFCHR: return "a character device";
	case AE_IFBLK: return "a block device";
	case AE_IFIFO: return "a FIFO";
	case AE_IFSOCK: return "a socket";
	case AE_IFDIR: return "a directory";
	case AE_IFREG: return "a regular file";
	}
	return "of an unknown type";
}

/* Copy the current member's data to fd; a stored file's bytes must hash
 * to its name. */
static int extract_data(struct unpacker *u, int fd, const char *id,
			char *err, size_t errlen)
{
	struct trace_sha256 h;
	const void *buf;
	size_t size;
	la_int64_t offset, expected = 0;
	int r;

	trace_sha256_init(&h);
	while ((r = archive_read_data_block(u->a, &buf, &size, &offset)) ==
	       ARCHIVE_OK) {
		if (offset != expected) {
			snprintf(err, errlen, "%s: member %s is sparse: not an"
				 " archive xrr pack wrote", u->archive_name,
				 u->last_member);
			return -1;
		}
		for (size_t done = 0; done < size;) {
			ssize_t w = write(fd, (const uint8_t *)buf + done,
					  size - done);
			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0) {
				snprintf(err, errlen, "%s/%s: write failed: %s",
					 u->stage, u->last_member,
					 strerror(errno));
				return -1;
			}
			done += (size_t)w;
		}
		if (id)
			trace_sha256_update(&h, buf, size);
		expected += (la_int64_t)size;
		u->p.bytes += size;
		pack_progress(u->opts, &u->p);
	}
	if (r != ARCHIVE_EOF)
		return damaged(u, "in member ", err, errlen);
	if (id) {
		uint8_t digest[TRACE_SHA256_SIZE];
		char hex[TRACE_FILE_ID_LEN + 1];
		trace_sha256_final(&h, digest);
		trace_hex(hex, digest, sizeof(digest));
		if (strcmp(hex, id) != 0) {
			snprintf(err, errlen, "%s: member %s: content hashes to"
				 " %s (archive damaged)", u->archive_name,
				 u->last_member, hex);
			return -1;
		}
	}
	return 0;
}

static int make_files_dir(struct unpacker *u, char *err, size_t errlen)
{
	if (mkdirat(u->stagefd, TRACE_FILES_DIR, 0755) < 0 && errno != EEXIST) {
		snprintf(err, errlen, "%s/" TRACE_FILES_DIR ": cannot create: %s",
			 u->stage, strerror(errno));
		return -1;
	}
	return 0;
}

static int extract_member(struct unpacker *u, struct archive_entry *e,
			  char *err, size_t errlen)
{
	const char *name = archive_entry_pathname(e);
	char why[600];
	size_t toplen = 0;

	if (!name) {
		snprintf(err, errlen, "%s: a member without a name",
			 u->archive_name);
		return -1;
	}
	snprintf(u->last_member, sizeof(u->last_member), "%s", name);
	enum trace_pack_member kind = trace_pack_member_kind(name, u->top,
							     &toplen, why,
							     sizeof(why));
	if (kind == TRACE_MEMBER_BAD) {
		snprintf(err, errlen, "%s: %s: refusing to unpack it",
			 u->archive_name, why);
		return -1;
	}
	if (!u->top[0]) {
		if (toplen >= sizeof(u->top)) {
			snprintf(err, errlen, "%s: member %s: trace name too long",
				 u->archive_name, name);
			return -1;
		}
		memcpy(u->top, name, toplen);
		u->top[toplen] = 0;
	}
	bool want_dir = kind == TRACE_MEMBER_TOP_DIR ||
			kind == TRACE_MEMBER_FILES_DIR;
	mode_t type = archive_entry_filetype(e);
	if (archive_entry_hardlink(e) || type != (want_dir ? AE_IFDIR : AE_IFREG)) {
		snprintf(err, errlen, "%s: member %s is %s (a trace archive holds"
			 " only regular files in directories): refusing to"
			 " unpack it", u->archive_name, name,
			 archive_entry_hardlink(e) ? "a hard link"
						   : type_name(type));
		return -1;
	}
	if (kind == TRACE_MEMBER_TOP_DIR)
		return 0;
	if (kind == TRACE_MEMBER_FILES_DIR || kind == TRACE_MEMBER_STORED_FILE)
		if (make_files_dir(u, err, errlen) < 0)
			return -1;
	if (kind == TRACE_MEMBER_FILES_DIR)
		return 0;
	const char *rel = name + toplen + 1;
	bool stored = kind == TRACE_MEMBER_STORED_FILE;
	int fd = openat(u->stagefd, rel, O_WRONLY | O_CREAT | O_EXCL |
			O_NOFOLLOW | O_CLOEXEC, stored ? 0444 : 0644);
	if (fd < 0) {
		snprintf(err, errlen, errno == EEXIST
			 ? "%s: member %s appears twice: refusing to unpack it"
			 : "%s: member %s: cannot create: %s", u->archive_name,
			 name, strerror(errno));
		return -1;
	}
	int rc = extract_data(u, fd, stored ? strrchr(rel, '/') + 1 : NULL,
			      err, errlen);
	if (close(fd) < 0 && rc == 0) {
		snprintf(err, errlen, "%s/%s: %s", u->stage, rel, strerror(errno));
		rc = -1;
	}
	u->p.files++;
	pack_progress(u->opts, &u->p);
	return rc;
}

static bool filter_is_zstd(struct archive *a)
{
	for (int i = 0; i < archive_filter_count(a); i++)
		if (archive_filter_code(a, i) == ARCHIVE_FILTER_ZSTD)
			return true;
	return false;
}

/* The first member did not read: a zstd stream that breaks off is a
 * damaged archive; anything else is not one of ours. */
static bool starts_like_zstd(const char *path)
{
	uint8_t magic[4];
	int fd = strcmp(path, "-") ? open(path, O_RDONLY | O_CLOEXEC) : -1;
	bool yes = fd >= 0 && pread(fd, magic, 4, 0) == 4 &&
		   !memcmp(magic, "\x28\xb5\x2f\xfd", 4);
	if (fd >= 0)
		close(fd);
	return yes;
}

static int bad_start(struct unpacker *u, char *err, size_t errlen)
{
	const char *why = archive_error_string(u->a);
	/* libarchive forgets the filter when opening fails: the frame
	 * magic tells a cut zstd stream from something else. */
	if (filter_is_zstd(u->a) || starts_like_zstd(u->archive_path))
		snprintf(err, errlen, "%s: damaged or truncated archive (at its"
			 " start): %s", u->archive_name,
			 why ? why : "unreadable");
	else
		snprintf(err, errlen, "%s: not an xrr trace archive (xrr pack"
			 " writes a zstd-compressed tar): %s", u->archive_name,
			 why ? why : "unreadable");
	return -1;
}

static int extract_all(struct unpacker *u, char *err, size_t errlen)
{
	struct archive_entry *e;
	bool first = true;
	int r;

	while ((r = archive_read_next_header(u->a, &e)) != ARCHIVE_EOF) {
		if (r < ARCHIVE_WARN && first)
			return bad_start(u, err, errlen);
		if (r < ARCHIVE_WARN) {
			snprintf(u->last_member + strlen(u->last_member),
				 sizeof(u->last_member) - strlen(u->last_member),
				 " and before the next");
			return damaged(u, "after member ", err, errlen);
		}
		if (first && !filter_is_zstd(u->a)) {
			snprintf(err, errlen, "%s: not an xrr trace archive: a"
				 " tar, but not zstd-compressed (xrr pack writes"
				 " tar+zstd)", u->archive_name);
			return -1;
		}
		first = false;
		if (extract_member(u, e, err, errlen) < 0)
			return -1;
	}
	if (first) {
		snprintf(err, errlen, "%s: an empty archive: no trace in it",
			 u->archive_name);
		return -1;
	}
	return 0;
}

/* The header reads, and every file the filemap names is stored. */
static int verify_stage(struct unpacker *u, char *err, size_t errlen)
{
	char e2[512];
	if (faccessat(u->stagefd, "version", F_OK, 0) < 0 &&
	    faccessat(u->stagefd, "incomplete", F_OK, 0) < 0) {
		snprintf(err, errlen, "%s: no trace header (%s/version) in the"
			 " archive: not an xrr trace", u->archive_name, u->top);
		return -1;
	}
	struct trace *t = trace_open(u->stage, e2, sizeof(e2));
	if (!t) {
		snprintf(err, errlen, "%s: the trace in it does not read: %s",
			 u->archive_name, e2);
		return -1;
	}
	struct trace_file_entry *v;
	size_t n;
	int rc = trace_filemap_load(t, &v, &n, e2, sizeof(e2));
	if (rc < 0)
		snprintf(err, errlen, "%s: %s", u->archive_name, e2);
	for (size_t i = 0; rc == 0 && i < n; i++) {
		char rel[sizeof(TRACE_FILES_DIR) + TRACE_FILE_ID_LEN + 2];
		snprintf(rel, sizeof(rel), TRACE_FILES_DIR "/%s", v[i].id.hex);
		if (faccessat(u->stagefd, rel, F_OK, 0) < 0) {
			snprintf(err, errlen, "%s: %s/%s is missing (the trace's"
				 " copy of %s): archive incomplete",
				 u->archive_name, u->top, rel, v[i].path);
			rc = -1;
		}
	}
	trace_file_entries_free(v, n);
	trace_close(t, e2, sizeof(e2));
	return rc;
}

static int open_archive(struct unpacker *u, const char *archive, char *err,
			size_t errlen)
{
	u->a = archive_read_new();
	if (!u->a) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	archive_read_support_filter_zstd(u->a);
	archive_read_support_format_tar(u->a);
	int r = strcmp(archive, "-") == 0
		? archive_read_open_fd(u->a, 0, 1 << 16)
		: archive_read_open_filename(u->a, archive, 1 << 16);
	if (r != ARCHIVE_OK) {
		const char *why = archive_error_string(u->a);
		int e = archive_errno(u->a);
		if (e == ENOENT || e == EACCES || e == EISDIR) {
			snprintf(err, errlen, "%s: cannot open: %s", archive,
				 strerror(e));
			return -1;
		}
		(void)why;
		return bad_start(u, err, errlen);
	}
	return 0;
}

/* Where the trace goes, now that the archive named it. */
static int final_path(const struct unpacker *u, const char *dest, bool into,
		      char *out, size_t outlen, char *err, size_t errlen)
{
	if (snprintf(out, outlen, into ? "%s/%s" : "%s", dest, u->top) >=
	    (int)outlen) {
		snprintf(err, errlen, "%s: path too long", dest);
		return -1;
	}
	if (!free_for_trace(out)) {
		snprintf(err, errlen, "%s exists and is not an empty directory:"
			 " give another place to unpack to", out);
		return -1;
	}
	return 0;
}

int trace_unpack(const char *archive, const char *dest, bool into,
		 char *out, size_t outlen, const struct trace_pack_opts *opts,
		 struct trace_pack_stats *stats, char *err, size_t errlen)
{
	struct trace_pack_stats ignored;
	if (!stats)
		stats = &ignored;
	memset(stats, 0, sizeof(*stats));
	struct unpacker u = {
		.archive_name = strcmp(archive, "-") ? archive : "stdin",
		.archive_path = archive,
		.stagefd = -1, .opts = opts,
	};
	/* Refuse an occupied destination before reading anything. */
	if (!into && !free_for_trace(dest)) {
		snprintf(err, errlen, "%s exists and is not an empty directory:"
			 " give another place to unpack to", dest);
		return -1;
	}
	char parent[4096], copy[4096];
	snprintf(copy, sizeof(copy), "%s", dest);
	snprintf(parent, sizeof(parent), "%s", into ? dest : dirname(copy));
	if (trace_make_dirs(parent) < 0) {
		snprintf(err, errlen, "%s: cannot create: %s", parent,
			 strerror(errno));
		return -1;
	}
	snprintf(u.stage, sizeof(u.stage), "%s/.xrr-unpack.XXXXXX", parent);
	if (!mkdtemp(u.stage) ||
	    (u.stagefd = open(u.stage, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		snprintf(err, errlen, "%s: cannot create a temporary directory:"
			 " %s", parent, strerror(errno));
		if (u.stage[0] && !strstr(u.stage, "XXXXXX"))
			rmdir(u.stage);
		return -1;
	}
	int rc = open_archive(&u, archive, err, errlen);
	if (rc == 0)
		rc = extract_all(&u, err, errlen);
	if (rc == 0)
		rc = verify_stage(&u, err, errlen);
	if (rc == 0)
		rc = final_path(&u, dest, into, out, outlen, err, errlen);
	/* mkdtemp made it private; a trace directory is as xrr record
	 * makes one. */
	if (rc == 0 && fchmod(u.stagefd, 0755 & ~current_umask()) < 0) {
		snprintf(err, errlen, "%s: %s", u.stage, strerror(errno));
		rc = -1;
	}
	if (rc == 0 && rename(u.stage, out) < 0) {
		snprintf(err, errlen, "%s: cannot rename to %s: %s", u.stage, out,
			 strerror(errno));
		rc = -1;
	}
	u.p.done = true;
	pack_progress(opts, &u.p);
	stats->files = u.p.files;
	stats->bytes = u.p.bytes;
	if (u.a) {
		if (rc == 0)
			stats->archive_bytes = (uint64_t)archive_filter_bytes(u.a, -1);
		archive_read_free(u.a);
	}
	if (rc == 0) {
		close(u.stagefd);
		u.stagefd = -1;
	} else {
		remove_stage(&u);
	}
	return rc;
}
