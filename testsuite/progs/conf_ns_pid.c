/* A pid namespace with its own init.  unshare(CLONE_NEWPID) (in a new
 * user namespace when not root) puts our next child into a new pid
 * namespace: it is pid 1 there, with parent 0.  As init it forks and
 * reaps children, reaps an orphan re-parented to it, is not killed by a
 * signal it has no handler for, and runs a thread (tid 7 there).  A second child of ours in the
 * namespace has its parent outside it.  When init exits, the kernel
 * kills every other process of the namespace with SIGKILL: our second
 * child's status says so, init's own children are gone (a pipe only they
 * held reaches EOF), and forking into the dead namespace fails.
 *
 * Pids inside the namespace are numbered from 1 in creation order, and
 * every fork here waits for the previous step, so "is 2" and the like
 * are facts of every run; pids outside it are never printed. */
#include "conf_ns.h"

#include <pthread.h>
#include <stdint.h>

/* A child of init that forks a grandchild and exits at once: the
 * grandchild is re-parented to init, tells init its pid and exits 5. */
static void orphan_maker(int report_w)
{
	fflush(stdout);
	pid_t g = fork();
	if (g < 0)
		_exit(30);
	if (g == 0) {
		/* Wait until our parent is gone (re-parented to init). */
		struct timespec ms = { 0, 1000000 };
		int tries = 0;
		while (getppid() != 1 && tries++ < 10000)
			nanosleep(&ms, NULL);
		pid_t me = getpid();
		int ok = getppid() == 1;
		if (write_full(report_w, &me, sizeof me) < 0 ||
		    write_full(report_w, &ok, sizeof ok) < 0)
			_exit(31);
		_exit(5);
	}
	_exit(0);
}

/* A thread of init: its tid in the namespace comes next (7). */
static void *init_thread(void *arg)
{
	int *ok = arg;
	*ok = syscall(SYS_gettid) == 7 && getpid() == 1;
	return NULL;
}

/* pid 1: reaps what it forks and what is re-parented to it; then starts
 * two processes that block until they are killed, says it is ready and
 * exits with 3 when told to. */
static void run_init(int ready_w, int go_r, int death_w)
{
	check("init: getpid() is 1", getpid() == 1);
	check("init: getppid() is 0 (its parent is outside the namespace)",
	      getppid() == 0);

	/* A child: pid 2, exits with 7, reaped by pid. */
	fflush(stdout);
	pid_t a = fork();
	if (a == 0) {
		int ok = getpid() == 2 && getppid() == 1;
		/* Init has no handler for SIGTERM: from inside its
		 * namespace the signal does not reach it. */
		int sent = kill(1, SIGTERM) == 0;
		_exit(ok && sent ? 7 : 8);
	}
	check("init: first child is pid 2", a == 2);
	int st;
	check("init: waitpid returns the first child", wait_for(a, &st, 0) == a);
	describe_status("init: first child", st);
	check("init: still alive after SIGTERM from its namespace", 1);

	/* An orphan: pid 3 forks pid 4 and exits; 4 is re-parented to 1. */
	int rep[2];
	if (pipe(rep) < 0) {
		conf_fail("pipe");
		_exit(1);
	}
	fflush(stdout);
	pid_t b = fork();
	if (b == 0) {
		close(rep[0]);
		orphan_maker(rep[1]);
	}
	close(rep[1]);
	check("init: orphan maker is pid 3", b == 3);
	pid_t gpid = 0;
	int gok = 0;
	int got = read_full(rep[0], &gpid, sizeof gpid) == sizeof gpid &&
		  read_full(rep[0], &gok, sizeof gok) == sizeof gok;
	close(rep[0]);
	check("init: the orphan reported", got);
	check("init: the orphan is pid 4", gpid == 4);
	check("init: the orphan saw init as its parent", gok);
	/* Reap both, in whatever order they come: by pid -1. */
	int seen_b = 0, seen_g = 0;
	for (int i = 0; i < 2; i++) {
		pid_t w = wait_for(-1, &st, 0);
		if (w == b && WIFEXITED(st) && WEXITSTATUS(st) == 0)
			seen_b = 1;
		else if (w == gpid && WIFEXITED(st) && WEXITSTATUS(st) == 5)
			seen_g = 1;
	}
	check("init: reaped the orphan maker (status 0)", seen_b);
	check("init: reaped the re-parented orphan (status 5)", seen_g);
	check("init: no children left", wait_for(-1, &st, WNOHANG) < 0 &&
					errno == ECHILD);

	/* Two that block until init's death kills them: pid 5 and its
	 * child, pid 6 (both hold death_w). */
	int up[2];
	if (pipe(up) < 0) {
		conf_fail("pipe");
		_exit(1);
	}
	fflush(stdout);
	pid_t d = fork();
	if (d == 0) {
		close(up[0]);
		pid_t e = fork();
		if (e == 0) {
			send_token(up[1]);
			for (;;)
				pause();
		}
		send_token(up[1]);
		for (;;)
			pause();
	}
	close(up[1]);
	close(death_w);
	int both = wait_token(up[0]) && wait_token(up[0]);
	close(up[0]);
	check("init: two sleepers started", both);
	check("init: the first sleeper is pid 5", d == 5);
	pthread_t th;
	int th_ok = 0;
	check("init: a thread started", pthread_create(&th, NULL, init_thread, &th_ok) == 0 &&
	      pthread_join(th, NULL) == 0);
	check("init: the thread's tid is 7, its pid 1", th_ok);
	send_token(ready_w);
	close(ready_w);
	/* Exit when told to: the sleepers die with us. */
	int told = wait_token(go_r);
	printf("init exits now (told: %s)\n", told ? "yes" : "no");
	fflush(stdout);
	_exit(conf_failed ? 1 : 3);
}

/* clone and clone3 with CLONE_NEWPID|CLONE_CHILD_SETTID: the kernel
 * stores the child's tid as its own namespace numbers it (1), not as
 * ours; the child checks its copy.  In a helper process, so that a user
 * namespace entered for the privilege stays there. */
struct clone_args_v0 {
	uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack,
		 stack_size, tls;
};

static volatile pid_t settid_word;

static int settid_child(void)
{
	int ok = settid_word == 1 && getpid() == 1 && getppid() == 0;
	_exit(ok ? 0 : 1);
}

static void settid_checks(void)
{
	fflush(stdout);
	pid_t h = fork();
	if (h < 0) {
		conf_fail("fork");
		return;
	}
	if (h == 0) {
		if (geteuid() != 0 &&
		    (unshare(CLONE_NEWUSER) < 0 || map_root(geteuid(), getegid()) < 0))
			_exit(20);
		int st, bits = 0;
		settid_word = 0;
		long c = syscall(SYS_clone, CLONE_NEWPID | CLONE_CHILD_SETTID | SIGCHLD,
				 0, NULL, &settid_word, 0);
		if (c == 0)
			settid_child();
		if (c > 0 && wait_for((pid_t)c, &st, 0) == c && WIFEXITED(st) &&
		    WEXITSTATUS(st) == 0)
			bits |= 1;
		settid_word = 0;
		struct clone_args_v0 ca = { 0 };
		ca.flags = CLONE_NEWPID | CLONE_CHILD_SETTID;
		ca.child_tid = (uint64_t)(uintptr_t)&settid_word;
		ca.exit_signal = SIGCHLD;
		c = syscall(SYS_clone3, &ca, sizeof ca);
		if (c == 0)
			settid_child();
		if (c > 0 && wait_for((pid_t)c, &st, 0) == c && WIFEXITED(st) &&
		    WEXITSTATUS(st) == 0)
			bits |= 2;
		else if (c < 0 && errno == ENOSYS)
			bits |= 2;      /* no clone3: nothing to check */
		_exit(bits == 3 ? 0 : 10 + bits);
	}
	int st;
	if (wait_for(h, &st, 0) != h) {
		conf_fail("waitpid");
		return;
	}
	if (WIFEXITED(st) && WEXITSTATUS(st) == 20) {
		printf("clone(CLONE_NEWPID): unavailable\n");
		return;
	}
	check("clone and clone3 with CLONE_NEWPID: the child is pid 1 and "
	      "its CLONE_CHILD_SETTID word says 1",
	      WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

int main(void)
{
	pid_t self = getpid();
	settid_checks();
	if (!ns_unshare("pid", CLONE_NEWPID, 0))
		return conf_finish("ns_pid");
	check("own pid unchanged by unshare", getpid() == self);

	int ready[2], go[2], death[2], qready[2];
	if (pipe(ready) < 0 || pipe(go) < 0 || pipe(death) < 0 ||
	    pipe(qready) < 0) {
		conf_fail("pipe");
		return conf_finish("ns_pid");
	}
	fflush(stdout);
	pid_t init = fork();
	if (init < 0) {
		conf_fail("fork");
		return conf_finish("ns_pid");
	}
	if (init == 0) {
		close(ready[0]);
		close(go[1]);
		close(death[0]);
		close(qready[0]);
		close(qready[1]);
		run_init(ready[1], go[0], death[1]);
	}
	close(ready[1]);
	close(go[0]);
	check("parent: init's pid in our namespace is not 1", init != 1);
	check("parent: init is ready", wait_token(ready[0]));
	close(ready[0]);

	/* A second child in the namespace, whose parent (we) is outside. */
	fflush(stdout);
	pid_t q = fork();
	if (q == 0) {
		close(qready[0]);
		close(go[1]);
		int ok = getpid() == 8 && getppid() == 0;
		char c = ok ? 'y' : 'n';
		if (write_full(qready[1], &c, 1) < 0)
			_exit(40);
		for (;;)
			pause();
	}
	close(qready[1]);
	close(death[1]);
	char c = 0;
	check("second child: started", read_full(qready[0], &c, 1) == 1);
	check("second child: pid 8 in the namespace, parent 0", c == 'y');
	close(qready[0]);

	/* Init exits: the kernel kills the rest of the namespace. */
	send_token(go[1]);
	close(go[1]);
	int st;
	/* The second child first: init's exit waits until every process
	 * of its namespace has been reaped, ours included. */
	check("parent: waitpid returns the second child", wait_for(q, &st, 0) == q);
	describe_status("second child", st);
	check("parent: waitpid returns init", wait_for(init, &st, 0) == init);
	describe_status("init", st);
	check("parent: init's children are gone too (EOF on their pipe)",
	      read(death[0], &c, 1) == 0);
	close(death[0]);
	pid_t late = fork();
	if (late == 0)
		_exit(0);
	int late_errno = errno;
	if (late > 0)
		wait_for(late, &st, 0);
	check("parent: fork into the dead namespace fails with ENOMEM",
	      late < 0 && late_errno == ENOMEM);
	return conf_finish("ns_pid");
}
