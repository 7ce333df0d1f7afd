/* Shared helpers of the conformance programs for process and signal
 * patterns (conf_proc_*.c, conf_sig_*.c).  Every line they print is
 * deterministic: relations ("yes"/"no"), never pids, addresses or times.
 * A program ends with "PASS <name>" and status 0 when every check held,
 * "FAIL <name>" and status 1 otherwise.  A program whose point is a death
 * by signal N prints "DIE <name> by signal N" last, then dies. */
#ifndef CONF_PROC_H
#define CONF_PROC_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

static int conf_failed;

/* check: print "WHAT: yes|no" and count a failure on "no". */
static inline int check(const char *what, int ok)
{
	printf("%s: %s\n", what, ok ? "yes" : "no");
	if (!ok)
		conf_failed++;
	return ok;
}

/* A failure that is not a printed relation (a system call that failed). */
static inline void conf_fail(const char *what)
{
	printf("error: %s: %s\n", what, strerror(errno));
	conf_failed++;
}

static inline int conf_finish(const char *name)
{
	if (conf_failed) {
		printf("FAIL %s (%d checks failed)\n", name, conf_failed);
		fflush(stdout);
		return 1;
	}
	printf("PASS %s\n", name);
	fflush(stdout);
	return 0;
}

/* Print a wait status as a deterministic phrase. */
static inline void describe_status(const char *who, int st)
{
	if (WIFEXITED(st))
		printf("%s exited with %d\n", who, WEXITSTATUS(st));
	else if (WIFSIGNALED(st))
		printf("%s killed by signal %d\n", who, WTERMSIG(st));
	else if (WIFSTOPPED(st))
		printf("%s stopped by signal %d\n", who, WSTOPSIG(st));
	else if (WIFCONTINUED(st))
		printf("%s continued\n", who);
	else
		printf("%s: unknown status\n", who);
}

/* waitpid that retries on EINTR; returns the pid or -1. */
static inline pid_t wait_for(pid_t pid, int *st, int flags)
{
	pid_t r;
	do
		r = waitpid(pid, st, flags);
	while (r < 0 && errno == EINTR);
	return r;
}

/* Read exactly N bytes (or to EOF); returns the count. */
static inline ssize_t read_full(int fd, void *buf, size_t n)
{
	size_t got = 0;
	while (got < n) {
		ssize_t r = read(fd, (char *)buf + got, n - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	return (ssize_t)got;
}

static inline int write_full(int fd, const void *buf, size_t n)
{
	size_t done = 0;
	while (done < n) {
		ssize_t r = write(fd, (const char *)buf + done, n - done);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		done += (size_t)r;
	}
	return 0;
}

static inline int write_str(int fd, const char *s)
{
	return write_full(fd, s, strlen(s));
}

/* Read one byte (a go/ready token); 1 when one came. */
static inline int wait_token(int fd)
{
	char c;
	return read_full(fd, &c, 1) == 1;
}

static inline void send_token(int fd)
{
	char c = 't';
	if (write_full(fd, &c, 1) < 0)
		_exit(120);
}

#endif
