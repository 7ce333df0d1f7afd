/* Every system call wrapper the syscall buffer library
 * (syscallbuf/xrr-preload.so) interposes, with real effects, checked
 * against each other.  One line per check, "sb_calls: ok" at the end and
 * exit 0; exit 1 after any mismatch.  The output is the same natively,
 * with LD_PRELOAD alone and under a recorder (nothing non-deterministic is
 * printed; such values would go on "v:" lines).
 *
 * `sb_calls bench N`: N getppid() calls, "v: ..." with the time per call. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

static int failures;

#define CHECK(cond, name) do { \
	if (cond) { \
		printf("%s: ok\n", name); \
	} else { \
		printf("%s: FAIL at line %d (errno %d)\n", name, __LINE__, \
		       errno); \
		failures++; \
	} \
} while (0)

static void pause_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };
	nanosleep(&ts, NULL);
}

/* ---- identity and time ---------------------------------------------- */

static void check_ids(void)
{
	CHECK(getpid() == syscall(SYS_getpid), "getpid");
	CHECK(getppid() == syscall(SYS_getppid), "getppid");
	CHECK(gettid() == getpid() && gettid() == syscall(SYS_gettid), "gettid");
	CHECK(getuid() == (uid_t)syscall(SYS_getuid) &&
	      geteuid() == (uid_t)syscall(SYS_geteuid), "uids");
	CHECK(getgid() == (gid_t)syscall(SYS_getgid) &&
	      getegid() == (gid_t)syscall(SYS_getegid), "gids");
}

static void check_time(void)
{
	struct timespec a, b;
	struct timeval tv;
	struct timezone tz;
	time_t t = 0;

	CHECK(clock_gettime(CLOCK_MONOTONIC, &a) == 0 &&
	      clock_gettime(CLOCK_MONOTONIC, &b) == 0 &&
	      (b.tv_sec > a.tv_sec ||
	       (b.tv_sec == a.tv_sec && b.tv_nsec >= a.tv_nsec)) &&
	      a.tv_nsec >= 0 && a.tv_nsec < 1000000000, "clock_gettime monotonic");
	CHECK(clock_gettime(12345, &a) == -1 && errno == EINVAL,
	      "clock_gettime bad clock");
	CHECK(gettimeofday(&tv, &tz) == 0 && tv.tv_usec >= 0 &&
	      tv.tv_usec < 1000000, "gettimeofday");
	time_t r = time(&t);
	CHECK(r == t && r >= tv.tv_sec && r <= tv.tv_sec + 5, "time");
	CHECK(time(NULL) >= r, "time(NULL)");
	CHECK(syscall(SYS_clock_gettime, CLOCK_REALTIME, &a) == 0 &&
	      a.tv_sec >= r, "syscall(clock_gettime)");
}

/* ---- files ---------------------------------------------------------- */

#define FILE_LEN 10000

static char dir[64];
static char path[128];

static void fill(char *buf, size_t n, unsigned seed)
{
	for (size_t i = 0; i < n; i++)
		buf[i] = (char)('a' + (i * 7 + seed) % 26);
}

static void check_file(void)
{
	static char want[FILE_LEN + 64], got[FILE_LEN + 64];
	char tail[16];

	snprintf(path, sizeof(path), "%s/data", dir);
	int fd = open(path, O_CREAT | O_RDWR | O_TRUNC, 0600);
	CHECK(fd > 2, "open O_CREAT");
	fill(want, FILE_LEN, 0);
	CHECK(write(fd, want, 6000) == 6000, "write");
	struct iovec wv[2] = { { want + 6000, 1000 }, { want + 7000, 3000 } };
	CHECK(writev(fd, wv, 2) == 4000, "writev");
	CHECK(lseek(fd, 0, SEEK_CUR) == FILE_LEN, "lseek SEEK_CUR");
	memcpy(want + 100, "XYZ", 3);
	CHECK(pwrite(fd, "XYZ", 3, 100) == 3, "pwrite");
	memcpy(want + 200, "0123456789", 10);
	struct iovec pv[2] = { { "01234", 5 }, { "56789", 5 } };
	CHECK(pwritev(fd, pv, 2, 200) == 10, "pwritev");
	CHECK(lseek(fd, 0, SEEK_CUR) == FILE_LEN, "pwrite keeps position");
	CHECK(lseek64(fd, 0, SEEK_SET) == 0, "lseek64 SEEK_SET");

	memset(got, 0, sizeof(got));
	CHECK(read(fd, got, FILE_LEN + 64) == FILE_LEN &&
	      memcmp(got, want, FILE_LEN) == 0, "read back");
	CHECK(read(fd, got, 10) == 0, "read at end of file");
	memset(got, 0, sizeof(got));
	CHECK(pread(fd, got, 500, 50) == 500 &&
	      memcmp(got, want + 50, 500) == 0, "pread");
	CHECK(pread64(fd, got, 10, FILE_LEN - 4) == 4, "pread64 short at end");
	CHECK(pread(fd, got, 10, -1) == -1 && errno == EINVAL,
	      "pread negative offset");
	lseek(fd, 190, SEEK_SET);
	memset(got, 0, sizeof(got));
	struct iovec rv[3] = { { got, 5 }, { got + 5, 0 }, { tail, 16 } };
	CHECK(readv(fd, rv, 3) == 21 && memcmp(got, want + 190, 5) == 0 &&
	      memcmp(tail, want + 195, 16) == 0, "readv");
	memset(got, 0, sizeof(got));
	struct iovec prv[2] = { { got, 3 }, { got + 3, 7 } };
	CHECK(preadv(fd, prv, 2, 100) == 10 &&
	      memcmp(got, want + 100, 10) == 0, "preadv");
	CHECK(lseek(fd, 0, SEEK_CUR) == 211, "positional reads keep position");

	/* More than half a buffer: the library takes the traced path. */
	size_t big = 700000;
	char *b1 = malloc(big), *b2 = malloc(big);
	fill(b1, big, 3);
	CHECK(pwrite(fd, b1, big, 0) == (ssize_t)big &&
	      pread(fd, b2, big, 0) == (ssize_t)big &&
	      memcmp(b1, b2, big) == 0, "large pwrite/pread");
	CHECK(ftruncate(fd, FILE_LEN) == 0 && pwrite(fd, want, FILE_LEN, 0)
	      == FILE_LEN, "restore file");

	struct stat fs, ss, ls, as;
	struct statx sx;
	CHECK(fstat(fd, &fs) == 0 && fs.st_size == FILE_LEN &&
	      S_ISREG(fs.st_mode), "fstat");
	CHECK(stat(path, &ss) == 0 && ss.st_ino == fs.st_ino &&
	      ss.st_dev == fs.st_dev && ss.st_size == fs.st_size, "stat");
	CHECK(lstat(path, &ls) == 0 && ls.st_ino == fs.st_ino, "lstat");
	CHECK(fstatat(AT_FDCWD, path, &as, 0) == 0 && as.st_ino == fs.st_ino,
	      "fstatat");
	CHECK(statx(AT_FDCWD, path, 0, STATX_BASIC_STATS, &sx) == 0 &&
	      sx.stx_ino == fs.st_ino && sx.stx_size == FILE_LEN, "statx");
	CHECK(stat("/nonexistent/sb_calls", &ss) == -1 && errno == ENOENT,
	      "stat ENOENT");
	CHECK(access(path, R_OK | W_OK) == 0, "access");
	CHECK(access("/nonexistent/sb_calls", F_OK) == -1 && errno == ENOENT,
	      "access ENOENT");
	CHECK(faccessat(AT_FDCWD, path, R_OK, 0) == 0 &&
	      faccessat(AT_FDCWD, path, R_OK, AT_EACCESS) == 0, "faccessat");
	CHECK(syscall(SYS_fstat, fd, &as) == 0 && as.st_ino == fs.st_ino &&
	      syscall(SYS_lseek, fd, 5, SEEK_SET) == 5, "syscall(fstat, lseek)");

	/* A symbolic link: stat follows it, lstat does not. */
	char link[160];
	snprintf(link, sizeof(link), "%s/link", dir);
	CHECK(symlink("data", link) == 0 && stat(link, &ss) == 0 &&
	      ss.st_ino == fs.st_ino && lstat(link, &ls) == 0 &&
	      S_ISLNK(ls.st_mode), "stat vs lstat on a link");
	CHECK(close(fd) == 0, "close");
	CHECK(close(fd) == -1 && errno == EBADF, "close EBADF");

	int dfd = open(dir, O_RDONLY | O_DIRECTORY);
	CHECK(dfd > 2, "open directory");
	int fd2 = openat(dfd, "data", O_RDONLY);
	memset(got, 0, sizeof(got));
	CHECK(fd2 > 2 && read(fd2, got, 64) == 64 &&
	      memcmp(got, want, 64) == 0, "openat relative");
	close(fd2);
	fd2 = openat64(dfd, "created", O_CREAT | O_EXCL | O_WRONLY, 0640);
	CHECK(fd2 > 2 && fstat(fd2, &ss) == 0 && (ss.st_mode & 0777) ==
	      0640, "openat64 O_CREAT mode");
	close(fd2);
	CHECK(openat(dfd, "created", O_CREAT | O_EXCL | O_WRONLY, 0640) == -1 &&
	      errno == EEXIST, "openat O_EXCL EEXIST");
	CHECK(open64("/nonexistent/sb_calls", O_RDONLY) == -1 &&
	      errno == ENOENT, "open64 ENOENT");
	fd2 = creat(path, 0600);
	CHECK(fd2 > 2 && fstat(fd2, &ss) == 0 && ss.st_size == 0, "creat truncates");
	close(fd2);
	close(dfd);
}

/* ---- pipes: reads and writes that would block ------------------------ */

struct pipe_job {
	int fd;
	size_t len;
	long delay_ms;
	size_t done;
};

static void *late_writer(void *arg)
{
	struct pipe_job *j = arg;
	pause_ms(j->delay_ms);
	j->done = (size_t)write(j->fd, "late", 4);
	return NULL;
}

static void *drain(void *arg)
{
	struct pipe_job *j = arg;
	char buf[4096];
	while (j->done < j->len) {
		ssize_t n = read(j->fd, buf, sizeof(buf));
		if (n <= 0)
			break;
		for (ssize_t i = 0; i < n; i++)
			if (buf[i] != (char)('a' + (j->done + i) * 7 % 26))
				return NULL;
		j->done += (size_t)n;
	}
	return NULL;
}

static void check_pipes(void)
{
	int p[2];
	char buf[16];
	pthread_t t;

	CHECK(pipe(p) == 0, "pipe");
	struct pipe_job lw = { p[1], 4, 50, 0 };
	pthread_create(&t, NULL, late_writer, &lw);
	memset(buf, 0, sizeof(buf));
	ssize_t n = read(p[0], buf, sizeof(buf));   /* empty: falls back */
	pthread_join(t, NULL);
	CHECK(n == 4 && memcmp(buf, "late", 4) == 0 && lw.done == 4,
	      "blocking read of an empty pipe");

	/* Bigger than the pipe: a partial write, the rest blocking. */
	size_t len = 300000;
	char *data = malloc(len);
	fill(data, len, 0);
	struct pipe_job dr = { p[0], len, 0, 0 };
	pthread_create(&t, NULL, drain, &dr);
	n = write(p[1], data, len);
	pthread_join(t, NULL);
	CHECK(n == (ssize_t)len && dr.done == len, "write larger than a pipe");
	free(data);

	/* poll and epoll, without and with data. */
	struct pollfd pfd = { p[0], POLLIN, 0 };
	CHECK(poll(&pfd, 1, 0) == 0 && pfd.revents == 0, "poll empty, 0 ms");
	CHECK(poll(&pfd, 1, 20) == 0, "poll empty, 20 ms");
	struct timespec zero = { 0, 0 };
	CHECK(ppoll(&pfd, 1, &zero, NULL) == 0, "ppoll empty");
	int ep = epoll_create1(EPOLL_CLOEXEC);
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = 0x1234 };
	struct epoll_event out[4];
	CHECK(ep > 2 && epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev) == 0,
	      "epoll_ctl");
	CHECK(epoll_wait(ep, out, 4, 0) == 0, "epoll_wait empty, 0 ms");
	CHECK(epoll_wait(ep, out, 4, 20) == 0, "epoll_wait empty, 20 ms");
	CHECK(write(p[1], "x", 1) == 1, "write one byte");
	CHECK(poll(&pfd, 1, -1) == 1 && pfd.revents == POLLIN, "poll ready");
	CHECK(ppoll(&pfd, 1, NULL, NULL) == 1 && pfd.revents == POLLIN,
	      "ppoll ready");
	memset(out, 0, sizeof(out));
	CHECK(epoll_wait(ep, out, 4, -1) == 1 && out[0].events == EPOLLIN &&
	      out[0].data.u64 == 0x1234, "epoll_wait ready");
	memset(out, 0, sizeof(out));
	CHECK(epoll_pwait(ep, out, 4, 0, NULL) == 1 &&
	      out[0].data.u64 == 0x1234, "epoll_pwait ready");
	CHECK(read(p[0], buf, 16) == 1 && buf[0] == 'x', "read the byte");

	/* A non-blocking pipe says EAGAIN. */
	fcntl(p[0], F_SETFL, O_NONBLOCK);
	CHECK(read(p[0], buf, 16) == -1 && errno == EAGAIN,
	      "read O_NONBLOCK EAGAIN");
	close(ep);
	close(p[0]);
	close(p[1]);
}

/* ---- sockets -------------------------------------------------------- */

static void *late_sender(void *arg)
{
	struct pipe_job *j = arg;
	pause_ms(j->delay_ms);
	j->done = (size_t)send(j->fd, "later", 5, 0);
	return NULL;
}

static void check_sockets(void)
{
	int sv[2];
	char buf[64];
	pthread_t t;

	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0, "socketpair");
	CHECK(send(sv[0], "abc", 3, 0) == 3, "send");
	memset(buf, 0, sizeof(buf));
	CHECK(recv(sv[1], buf, sizeof(buf), MSG_PEEK) == 3 &&
	      memcmp(buf, "abc", 3) == 0, "recv MSG_PEEK");
	memset(buf, 0, sizeof(buf));
	CHECK(recv(sv[1], buf, sizeof(buf), 0) == 3 &&
	      memcmp(buf, "abc", 3) == 0, "recv");
	CHECK(recv(sv[1], buf, sizeof(buf), MSG_DONTWAIT) == -1 &&
	      errno == EAGAIN, "recv MSG_DONTWAIT EAGAIN");

	struct pipe_job ls = { sv[0], 5, 50, 0 };
	pthread_create(&t, NULL, late_sender, &ls);
	memset(buf, 0, sizeof(buf));
	ssize_t n = recv(sv[1], buf, sizeof(buf), 0);   /* falls back */
	pthread_join(t, NULL);
	CHECK(n == 5 && memcmp(buf, "later", 5) == 0, "blocking recv");

	struct sockaddr_storage from;
	socklen_t fromlen = sizeof(from);
	CHECK(sendto(sv[0], "xyz", 3, 0, NULL, 0) == 3, "sendto");
	memset(buf, 0, sizeof(buf));
	CHECK(recvfrom(sv[1], buf, sizeof(buf), 0, (struct sockaddr *)&from,
		       &fromlen) == 3 && memcmp(buf, "xyz", 3) == 0 &&
	      fromlen <= sizeof(from), "recvfrom");

	/* A stream send bigger than the socket buffer, with a reader. */
	size_t len = 600000;
	char *data = malloc(len);
	fill(data, len, 0);
	struct pipe_job dr = { sv[1], len, 0, 0 };
	pthread_create(&t, NULL, drain, &dr);
	n = send(sv[0], data, len, 0);
	pthread_join(t, NULL);
	CHECK(n == (ssize_t)len && dr.done == len, "send larger than the buffer");
	free(data);

	/* SCM_RIGHTS through sendmsg/recvmsg. */
	int fd = open(path, O_RDONLY);
	struct stat fs, rs;
	fstat(fd, &fs);
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} ctl, rctl;
	memset(&ctl, 0, sizeof(ctl));
	struct iovec iov = { "fd!", 3 };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
			      .msg_control = ctl.buf,
			      .msg_controllen = sizeof(ctl.buf) };
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	CHECK(sendmsg(sv[0], &msg, 0) == 3, "sendmsg SCM_RIGHTS");
	memset(buf, 0, sizeof(buf));
	memset(&rctl, 0, sizeof(rctl));
	struct iovec riov[2] = { { buf, 1 }, { buf + 1, 10 } };
	struct msghdr rmsg = { .msg_iov = riov, .msg_iovlen = 2,
			       .msg_control = rctl.buf,
			       .msg_controllen = sizeof(rctl.buf) };
	n = recvmsg(sv[1], &rmsg, MSG_CMSG_CLOEXEC);
	struct cmsghdr *rc = CMSG_FIRSTHDR(&rmsg);
	int rfd = -1;
	if (rc && rc->cmsg_type == SCM_RIGHTS)
		memcpy(&rfd, CMSG_DATA(rc), sizeof(int));
	CHECK(n == 3 && memcmp(buf, "fd!", 3) == 0 && rc &&
	      rc->cmsg_level == SOL_SOCKET &&
	      (rmsg.msg_flags & (MSG_CTRUNC | MSG_TRUNC)) == 0 &&
	      rfd > 2 && fstat(rfd, &rs) == 0 && rs.st_ino == fs.st_ino,
	      "recvmsg SCM_RIGHTS");
	CHECK(fcntl(rfd, F_GETFD) == FD_CLOEXEC, "MSG_CMSG_CLOEXEC");
	close(rfd);
	close(fd);
	close(sv[0]);
	close(sv[1]);

	/* Datagrams: MSG_TRUNC says the real length. */
	CHECK(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv) == 0, "socketpair dgram");
	CHECK(send(sv[0], "0123456789", 10, 0) == 10, "send datagram");
	memset(buf, 0, sizeof(buf));
	CHECK(recv(sv[1], buf, 4, MSG_TRUNC) == 10 &&
	      memcmp(buf, "0123", 4) == 0 && buf[4] == 0, "recv MSG_TRUNC");
	close(sv[0]);
	close(sv[1]);
}

/* ---- FIFOs, syscall() ----------------------------------------------- */

static void check_fifo(void)
{
	char fifo[160], buf[8];

	snprintf(fifo, sizeof(fifo), "%s/fifo", dir);
	CHECK(mkfifo(fifo, 0600) == 0, "mkfifo");
	int fd = open(fifo, O_RDWR);    /* must not hang */
	CHECK(fd > 2, "open FIFO O_RDWR");
	memset(buf, 0, sizeof(buf));
	CHECK(write(fd, "fif", 3) == 3 && read(fd, buf, 8) == 3 &&
	      memcmp(buf, "fif", 3) == 0, "FIFO write/read");
	close(fd);
	unlink(fifo);
}

static void check_syscall(void)
{
	static uint32_t word = 7;

	CHECK(syscall(SYS_getpid) == getpid(), "syscall(getpid)");
	CHECK(syscall(SYS_futex, &word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0)
	      == 0, "syscall(futex WAKE_PRIVATE)");
	CHECK(syscall(SYS_futex, &word, FUTEX_WAKE, 1, NULL, NULL, 0) == 0,
	      "syscall(futex WAKE)");
	CHECK(syscall(SYS_futex, &word, FUTEX_WAIT_PRIVATE, 8, NULL, NULL, 0)
	      == -1 && errno == EAGAIN, "syscall(futex WAIT, value changed)");
	CHECK(syscall(SYS_close, 9999) == -1 && errno == EBADF,
	      "syscall(close) EBADF");
	char b[4] = { 0 };
	int p[2];
	pipe(p);
	CHECK(syscall(SYS_write, p[1], "sys", 3) == 3 &&
	      syscall(SYS_read, p[0], b, 4) == 3 && memcmp(b, "sys", 3) == 0,
	      "syscall(write, read)");
	close(p[0]);
	close(p[1]);
}

static int bench(long n)
{
	struct timespec a, b;
	long sum = 0;

	clock_gettime(CLOCK_MONOTONIC, &a);
	for (long i = 0; i < n; i++)
		sum += getppid();
	clock_gettime(CLOCK_MONOTONIC, &b);
	double ns = ((double)(b.tv_sec - a.tv_sec) * 1e9 +
		     (double)(b.tv_nsec - a.tv_nsec)) / (double)n;
	printf("v: getppid x %ld: %.1f ns/call (sum %ld)\n", n, ns, sum);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "bench") == 0)
		return bench(atol(argv[2]));

	const char *tmp = getenv("TMPDIR");
	snprintf(dir, sizeof(dir), "%s/sb_calls.XXXXXX", tmp && *tmp &&
		 strlen(tmp) < 40 ? tmp : "/tmp");
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	check_ids();
	check_time();
	check_file();
	check_pipes();
	check_sockets();
	check_fifo();
	check_syscall();

	char p[160];
	snprintf(p, sizeof(p), "%s/link", dir);
	unlink(p);
	snprintf(p, sizeof(p), "%s/created", dir);
	unlink(p);
	unlink(path);
	rmdir(dir);
	if (failures) {
		printf("sb_calls: %d FAILED\n", failures);
		return 1;
	}
	printf("sb_calls: ok\n");
	return 0;
}
