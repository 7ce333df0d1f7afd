/* The syscall buffer's edges (testsuite/integration/syscallbuf.sh):
 * threads that each buffer calls (one buffer each), a reader that must
 * fall back to a blocking read on an empty pipe while another thread
 * writes it later, a fork whose child buffers calls in its own copy,
 * and a SIGALRM handler that makes calls while the loop it interrupts
 * makes buffered ones.  Self-checking; deterministic output ("v: "
 * lines aside).  main() calls getppid exactly SB_MAIN_GETPPID times. */
#define _GNU_SOURCE
/* -O0 whatever CFLAGS say: the GDB check reads main's loop counter. */
#pragma GCC optimize("O0")
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define SB_MAIN_GETPPID 1000
#define WORKERS 3
#define WORKER_CALLS 20000

static int failures;

#define CHECK(cond, what) do { \
	if (cond) printf("ok: %s\n", what); \
	else { printf("FAIL: %s\n", what); failures++; } \
} while (0)

static const char *file_path;
static int pipefd[2];

/* Buffered calls, many: pread of a known file, clock_gettime, getppid. */
static void *worker(void *arg)
{
	long id = (long)arg;
	int fd = open(file_path, O_RDONLY);
	char buf[16];
	long good = 0;
	struct timespec last = { 0, 0 }, now;

	for (int i = 0; i < WORKER_CALLS && fd >= 0; i++) {
		good += pread(fd, buf, 8, i % 8) == 8 && buf[0] == "abcdefgh"[i % 8];
		clock_gettime(CLOCK_MONOTONIC, &now);
		good += now.tv_sec > last.tv_sec ||
			(now.tv_sec == last.tv_sec && now.tv_nsec >= last.tv_nsec);
		last = now;
		good += getppid() > 0;
	}
	if (fd >= 0)
		close(fd);
	return (void *)(good == 3L * WORKER_CALLS ? id : -1);
}

/* Reads the pipe before anything is in it: the buffered attempt finds
 * nothing and the read blocks through the ptrace path. */
static void *reader(void *arg)
{
	char buf[32] = "";
	ssize_t n = read(pipefd[0], buf, sizeof(buf) - 1);
	(void)arg;
	return (void *)(n == 5 && memcmp(buf, "hello", 5) == 0 ? 1L : 0L);
}

static volatile sig_atomic_t alarms;
static volatile sig_atomic_t handler_pid_ok = 1;

static void on_alarm(int sig)
{
	(void)sig;
	/* A call from a handler that may interrupt a buffered one. */
	if (getpid() <= 0)
		handler_pid_ok = 0;
	alarms++;
}

int main(int argc, char **argv)
{
	char tmpl[] = "/tmp/sb_threads.XXXXXX";
	int fd = mkstemp(tmpl);
	file_path = tmpl;
	CHECK(fd >= 0 && write(fd, "abcdefghabcdefgh", 16) == 16, "a file to read");
	close(fd);
	(void)argc;
	(void)argv;

	/* main's own buffered calls, counted (the GDB check counts them) */
	long ppid_ok = 0;
	for (int i = 0; i < SB_MAIN_GETPPID; i++)
		ppid_ok += getppid() > 0;
	CHECK(ppid_ok == SB_MAIN_GETPPID, "getppid from main");

	pthread_t w[WORKERS], rd;
	CHECK(pipe(pipefd) == 0, "a pipe");
	CHECK(pthread_create(&rd, NULL, reader, NULL) == 0, "reader started");
	for (long i = 0; i < WORKERS; i++)
		pthread_create(&w[i], NULL, worker, (void *)i);
	long done = 0;
	for (long i = 0; i < WORKERS; i++) {
		void *ret;
		pthread_join(w[i], &ret);
		done += (long)ret == i;
	}
	CHECK(done == WORKERS, "every worker's buffered calls returned what it expected");
	struct timespec pause = { 0, 20 * 1000 * 1000 };
	nanosleep(&pause, NULL);
	CHECK(write(pipefd[1], "hello", 5) == 5, "wrote the pipe late");
	void *got;
	pthread_join(rd, &got);
	CHECK(got == (void *)1L, "the blocked reader got the bytes written later");

	/* fork: the child buffers calls in its copy of the buffer */
	pid_t child = fork();
	if (child == 0) {
		int f = open(tmpl, O_RDONLY);
		char b[4];
		int good = f >= 0;
		for (int i = 0; i < 500 && good; i++)
			good = pread(f, b, 4, 4) == 4 && memcmp(b, "efgh", 4) == 0 &&
			       getppid() > 1;
		_exit(good ? 7 : 1);
	}
	int status = 0;
	waitpid(child, &status, 0);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 7,
	      "the forked child's buffered calls");

	/* a timer interrupts a loop of buffered calls */
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	sa.sa_flags = SA_RESTART;
	sigaction(SIGALRM, &sa, NULL);
	struct itimerval it = { { 0, 2000 }, { 0, 2000 } };
	setitimer(ITIMER_REAL, &it, NULL);
	struct timespec t0, t;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	long calls = 0;
	do {
		getppid();
		clock_gettime(CLOCK_MONOTONIC, &t);
		calls++;
	} while (alarms < 5 && t.tv_sec - t0.tv_sec < 20);
	struct itimerval off = { { 0, 0 }, { 0, 0 } };
	setitimer(ITIMER_REAL, &off, NULL);
	CHECK(alarms >= 5, "five timer signals arrived during buffered calls");
	CHECK(handler_pid_ok, "getpid in the handler");
	printf("v: %ld loop iterations until the fifth alarm\n", calls);

	unlink(tmpl);
	printf("sb_threads: %s\n", failures ? "FAILED" : "all checks passed");
	return failures ? 1 : 0;
}
