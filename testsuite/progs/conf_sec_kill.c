/* Seccomp answers that end a thread or process, each in a child whose
 * wait status the parent checks: SECCOMP_MODE_STRICT (write allowed,
 * anything else SIGKILL, exit allowed), KILL_PROCESS and KILL_THREAD
 * (SIGSYS), TRAP without a handler (SIGSYS); and TSYNC: a filter put on
 * a thread that already runs, against one without TSYNC that does not
 * reach it. */
#include "conf_sys.h"
#include "conf_sec.h"

#include <pthread.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>

static int child_status(void (*body)(void))
{
	int st = -1;

	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		body();
		_exit(99);
	}
	if (pid < 0 || waitpid(pid, &st, 0) != pid)
		return -1;
	return st;
}

static void strict_then_getpid(void)
{
	static const char msg[] = "strict child: write allowed\n";

	if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_STRICT, 0, 0, 0) != 0)
		_exit(98);
	syscall(SYS_write, 1, msg, sizeof(msg) - 1);
	syscall(SYS_getpid);
}

static void strict_then_exit(void)
{
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_STRICT, 0, NULL) != 0)
		_exit(98);
	syscall(SYS_exit, 3);
}

static void filter_answer(uint32_t answer)
{
	struct sec_filter f;

	sec_begin(&f);
	sec_rule(&f, SYS_getpriority, answer);
	sec_end(&f);
	if (sec_install(&f, -1) != 0)
		_exit(98);
	syscall(SYS_getpriority, PRIO_PROCESS, 0);
}

static void kill_process(void) { filter_answer(SECCOMP_RET_KILL_PROCESS); }
static void kill_thread(void) { filter_answer(SECCOMP_RET_KILL_THREAD); }
static void trap_unhandled(void) { filter_answer(SECCOMP_RET_TRAP | 1); }

/* KILL_THREAD in a second thread: that thread ends, the process goes on
 * (the kernel clears its tid, so the join returns). */
static void *killed_thread(void *arg)
{
	(void)arg;
	struct sec_filter f;

	sec_begin(&f);
	sec_rule(&f, SYS_getpriority, SECCOMP_RET_KILL_THREAD);
	sec_end(&f);
	if (sec_install(&f, 0) != 0)
		return (void *)1;
	syscall(SYS_getpriority, PRIO_PROCESS, 0);
	return (void *)2;       /* not reached */
}

static void kill_one_thread(void)
{
	pthread_t th;
	void *ret = NULL;

	pthread_create(&th, NULL, killed_thread, NULL);
	pthread_join(th, &ret);
	/* The main thread has no filter: its getpriority works. */
	errno = 0;
	long prio = syscall(SYS_getpriority, PRIO_PROCESS, 0);
	_exit(ret == NULL && prio >= 0 ? 40 : 41);
}

static pthread_barrier_t installed, checked;
static volatile int thread_errno;

static void *other_thread(void *arg)
{
	(void)arg;
	pthread_barrier_wait(&installed);
	errno = 0;
	thread_errno = syscall(SYS_getpriority, PRIO_PROCESS, 0) == -1 ? errno : 0;
	pthread_barrier_wait(&checked);
	return NULL;
}

/* The answer the already running thread gets after the main thread
 * installs a filter (flags: 0 or SECCOMP_FILTER_FLAG_TSYNC). */
static int thread_sees(long flags)
{
	pthread_t th;
	struct sec_filter f;

	pthread_barrier_init(&installed, NULL, 2);
	pthread_barrier_init(&checked, NULL, 2);
	thread_errno = -1;
	pthread_create(&th, NULL, other_thread, NULL);
	sec_begin(&f);
	sec_rule(&f, SYS_getpriority, SECCOMP_RET_ERRNO | EDOM);
	sec_end(&f);
	long rc = sec_install(&f, flags);
	pthread_barrier_wait(&installed);
	pthread_barrier_wait(&checked);
	pthread_join(th, NULL);
	return rc == 0 ? thread_errno : -2;
}

static void tsync_child(void)
{
	_exit(thread_sees(SECCOMP_FILTER_FLAG_TSYNC) == EDOM ? 20 : 21);
}

static void no_tsync_child(void)
{
	_exit(thread_sees(0) == 0 ? 30 : 31);
}

int main(void)
{
	struct rlimit no_core = { 0, 0 };
	setrlimit(RLIMIT_CORE, &no_core);

	int st = child_status(strict_then_getpid);
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL,
	      "strict mode, getpid: killed by SIGKILL");
	st = child_status(strict_then_exit);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 3, "strict mode, exit(3): status 3");
	st = child_status(kill_process);
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS,
	      "SECCOMP_RET_KILL_PROCESS: killed by SIGSYS");
	st = child_status(kill_thread);
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS,
	      "SECCOMP_RET_KILL_THREAD: killed by SIGSYS");
	st = child_status(trap_unhandled);
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS,
	      "SECCOMP_RET_TRAP without a handler: killed by SIGSYS");
	st = child_status(kill_one_thread);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 40,
	      "SECCOMP_RET_KILL_THREAD in a second thread: the process goes on");
	st = child_status(tsync_child);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 20,
	      "TSYNC: the running thread gets the filter");
	st = child_status(no_tsync_child);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 30,
	      "without TSYNC: the running thread does not");
	return conf_finish("conf_sec_kill");
}
