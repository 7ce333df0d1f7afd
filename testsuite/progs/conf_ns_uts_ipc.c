/* UTS, IPC, cgroup and time namespaces.  In a child:
 *  - a new UTS namespace: sethostname and setdomainname; uname and
 *    gethostname see the new names, the parent keeps its own;
 *  - a new IPC namespace: a SysV message queue the parent made under a
 *    key is not there, a queue made there under the same key carries a
 *    message and is gone with the namespace; the parent's is untouched;
 *  - a new cgroup namespace: /proc/self/cgroup says "/" from inside it;
 *  - a new time namespace: offsets for CLOCK_MONOTONIC and
 *    CLOCK_BOOTTIME written before its first process (a grandchild)
 *    starts; that process sees its clocks shifted by them.
 * The machine's host name, queue ids and clock values are never
 * printed. */
#include "conf_ns.h"

#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/utsname.h>
#include <time.h>

#define KEY 0x58524e53          /* "XRNS" */
#define NEW_HOST "xrr-ns-host"
#define NEW_DOMAIN "xrr-ns-domain"

struct msg {
	long type;
	char text[32];
};

static void uts(void)
{
	struct utsname u;
	char host[256];

	check("sethostname", sethostname(NEW_HOST, strlen(NEW_HOST)) == 0);
	check("setdomainname", setdomainname(NEW_DOMAIN, strlen(NEW_DOMAIN)) == 0);
	check("uname sees the new host name",
	      uname(&u) == 0 && strcmp(u.nodename, NEW_HOST) == 0);
	check("uname sees the new domain name",
	      strcmp(u.domainname, NEW_DOMAIN) == 0);
	check("gethostname agrees",
	      gethostname(host, sizeof host) == 0 && strcmp(host, NEW_HOST) == 0);
}

static void ipc(void)
{
	check("the parent's queue is not in the new namespace",
	      msgget(KEY, 0) < 0 && errno == ENOENT);
	int q = msgget(KEY, IPC_CREAT | IPC_EXCL | 0600);
	check("a queue under the same key made here", q >= 0);
	struct msg m = { 7, "inside" }, back;
	check("a message sent", msgsnd(q, &m, sizeof m.text, 0) == 0);
	memset(&back, 0, sizeof back);
	check("... and received",
	      msgrcv(q, &back, sizeof back.text, 7, IPC_NOWAIT) ==
	      (ssize_t)sizeof back.text && strcmp(back.text, "inside") == 0);
	/* Left there: it dies with the namespace. */
}

static void cgroup(void)
{
	char buf[512];
	int fd = open("/proc/self/cgroup", O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, buf, sizeof buf - 1) : -1;
	if (fd >= 0)
		close(fd);
	buf[n > 0 ? n : 0] = 0;
	/* cgroup v2: "0::/"; v1 hierarchies: each ends in ":/". */
	char *nl = strchr(buf, '\n');
	if (nl)
		*nl = 0;
	size_t len = strlen(buf);
	check("its cgroup is the root of the new cgroup namespace",
	      len >= 2 && strcmp(buf + len - 2, ":/") == 0);
}

static double secs(clockid_t c)
{
	struct timespec ts;
	clock_gettime(c, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void timens(void)
{
	if (unshare(CLONE_NEWTIME) < 0) {
		printf("time namespace: unavailable (%s)\n", errname(errno));
		return;
	}
	printf("time namespace: entered (for our children)\n");
	check("offsets written before its first process",
	      write_file("/proc/self/timens_offsets",
			 "monotonic 100000 0\nboottime 200000 0\n") == 0);
	double mono = secs(CLOCK_MONOTONIC), boot = secs(CLOCK_BOOTTIME);
	int p[2];
	if (pipe(p) < 0) {
		conf_fail("pipe");
		return;
	}
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		double v[2] = { secs(CLOCK_MONOTONIC), secs(CLOCK_BOOTTIME) };
		_exit(write_full(p[1], v, sizeof v) < 0);
	}
	close(p[1]);
	double v[2] = { 0, 0 };
	check("the child reported its clocks", read_full(p[0], v, sizeof v) == sizeof v);
	close(p[0]);
	int st;
	wait_for(pid, &st, 0);
	/* Allow a minute for the time between our reading and its. */
	check("its CLOCK_MONOTONIC is ahead by the offset",
	      v[0] - mono > 100000 - 60 && v[0] - mono < 100000 + 60);
	check("its CLOCK_BOOTTIME is ahead by the offset",
	      v[1] - boot > 200000 - 60 && v[1] - boot < 200000 + 60);
	check("our own clocks are not shifted",
	      secs(CLOCK_MONOTONIC) - mono < 60);
}

int main(void)
{
	struct utsname before, after;
	int st;

	uname(&before);
	int parent_q = msgget(KEY, IPC_CREAT | 0600);
	check("the parent's queue made", parent_q >= 0);

	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		if (ns_unshare("UTS and IPC", CLONE_NEWUTS | CLONE_NEWIPC, 0)) {
			uts();
			ipc();
		}
		if (ns_unshare("cgroup", CLONE_NEWCGROUP, 0))
			cgroup();
		timens();
		fflush(stdout);
		_exit(conf_failed ? 1 : 0);
	}
	check("the namespace child passed", wait_for(pid, &st, 0) == pid &&
	      WIFEXITED(st) && WEXITSTATUS(st) == 0);
	uname(&after);
	check("our host name is unchanged",
	      strcmp(before.nodename, after.nodename) == 0);
	check("our domain name is unchanged",
	      strcmp(before.domainname, after.domainname) == 0);
	struct msqid_ds ds;
	check("our queue is still there, empty",
	      msgctl(parent_q, IPC_STAT, &ds) == 0 && ds.msg_qnum == 0);
	check("our queue removed", msgctl(parent_q, IPC_RMID, NULL) == 0);
	return conf_finish("ns_uts_ipc");
}
