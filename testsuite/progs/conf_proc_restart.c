/* Calls the kernel restarts with restart_syscall after a signal that
 * has no handler interrupted them (under a tracer, even the SIGCHLD a
 * default disposition ignores interrupts): a timed futex wait, a
 * nanosleep and a poll, each while several children exit one after the
 * other, so that the restarted call is interrupted again. The restarted
 * poll returns the descriptor a last child made readable: its revents
 * are written by the restart. */
#include "conf_proc.h"
#include <linux/futex.h>
#include <poll.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <time.h>

static void sleep_ms(int ms)
{
	struct timespec ts = { 0, ms * 1000000L };
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* n children that exit after 10, 20, ... ms. */
static void exiting_children(int n)
{
	for (int i = 0; i < n; i++) {
		pid_t pid = fork();
		if (pid == 0) {
			sleep_ms(10 * (i + 1));
			_exit(0);
		}
		if (pid < 0)
			conf_fail("fork");
	}
}

static void reap(int n)
{
	int st;
	for (int i = 0; i < n; i++)
		if (wait_for(-1, &st, 0) < 0)
			conf_fail("wait");
}

int main(void)
{
	uint32_t word = 0;
	struct timespec t = { 0, 150 * 1000000L };

	exiting_children(3);
	long rc = syscall(SYS_futex, &word, FUTEX_WAIT, 0, &t, NULL, 0);
	check("timed futex wait ran to its timeout", rc == -1 && errno == ETIMEDOUT);
	reap(3);

	exiting_children(3);
	struct timespec ts = { 0, 150 * 1000000L }, rem = { 7, 7 };
	check("nanosleep slept through", nanosleep(&ts, &rem) == 0);
	reap(3);

	int p[2];
	if (pipe(p) < 0) {
		conf_fail("pipe");
		return conf_finish("restart");
	}
	exiting_children(3);
	pid_t writer = fork();
	if (writer == 0) {
		sleep_ms(60);
		_exit(write(p[1], "x", 1) == 1 ? 0 : 1);
	}
	struct pollfd pf = { p[0], POLLIN, 0 };
	int n = poll(&pf, 1, 5000);
	check("poll: one descriptor ready", n == 1);
	check("its revents: POLLIN", pf.revents == POLLIN);
	reap(4);
	return conf_finish("restart");
}
