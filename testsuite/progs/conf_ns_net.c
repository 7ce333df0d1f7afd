/* A new network namespace (in a user namespace when not root) has only
 * lo, and lo is down: if_nameindex (netlink) and /proc/net/dev list it
 * alone, SIOCGIFFLAGS says down, and 127.0.0.1 is unreachable.  Brought
 * up with SIOCSIFFLAGS, it carries a TCP connection.  In a child; our
 * own interfaces (machine-dependent) are never printed. */
#include "conf_ns.h"

#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

static int lo_flags(int s, short *flags)
{
	struct ifreq ifr;
	memset(&ifr, 0, sizeof ifr);
	snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "lo");
	if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0)
		return -1;
	*flags = ifr.ifr_flags;
	return 0;
}

static void interfaces(void)
{
	struct if_nameindex *ifs = if_nameindex();
	int n = 0, lo = 0;
	for (struct if_nameindex *i = ifs; i && i->if_index; i++) {
		n++;
		lo += strcmp(i->if_name, "lo") == 0;
	}
	if (ifs)
		if_freenameindex(ifs);
	check("if_nameindex lists one interface, lo", n == 1 && lo == 1);

	char buf[4096];
	int fd = open("/proc/net/dev", O_RDONLY | O_CLOEXEC);
	ssize_t len = fd >= 0 ? read_full(fd, buf, sizeof buf - 1) : -1;
	if (fd >= 0)
		close(fd);
	buf[len > 0 ? len : 0] = 0;
	int lines = 0;
	for (char *p = buf; *p; p++)
		lines += *p == '\n';
	check("/proc/net/dev: two header lines and lo",
	      lines == 3 && strstr(buf, " lo:") != NULL);
}

static void loopback(void)
{
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	short flags = 0;
	check("lo's flags read", lo_flags(s, &flags) == 0);
	check("lo is down at first", !(flags & IFF_UP));

	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(9) };
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	int u = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int rc = connect(u, (struct sockaddr *)&a, sizeof a);
	printf("connect to 127.0.0.1 with lo down: %s\n",
	       rc < 0 ? errname(errno) : "succeeded");
	close(u);

	struct ifreq ifr;
	memset(&ifr, 0, sizeof ifr);
	snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "lo");
	ifr.ifr_flags = (short)(flags | IFF_UP);
	check("lo brought up (SIOCSIFFLAGS)", ioctl(s, SIOCSIFFLAGS, &ifr) == 0);
	check("lo is up now", lo_flags(s, &flags) == 0 && (flags & IFF_UP));
	close(s);

	int l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	a.sin_port = 0;
	socklen_t alen = sizeof a;
	check("listening on 127.0.0.1",
	      bind(l, (struct sockaddr *)&a, sizeof a) == 0 && listen(l, 1) == 0 &&
	      getsockname(l, (struct sockaddr *)&a, &alen) == 0);
	int c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	check("connected", connect(c, (struct sockaddr *)&a, sizeof a) == 0);
	int x = accept4(l, NULL, NULL, SOCK_CLOEXEC);
	check("accepted", x >= 0);
	char buf[8] = { 0 };
	check("bytes across lo",
	      write_full(c, "ping", 4) == 0 && read_full(x, buf, 4) == 4 &&
	      memcmp(buf, "ping", 4) == 0);
	close(x);
	close(c);
	close(l);
}

int main(void)
{
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		if (ns_unshare("network", CLONE_NEWNET, 0)) {
			interfaces();
			loopback();
		}
		fflush(stdout);
		_exit(conf_failed ? 1 : 0);
	}
	int st;
	check("the namespace child passed", pid > 0 && wait_for(pid, &st, 0) == pid &&
	      WIFEXITED(st) && WEXITSTATUS(st) == 0);
	return conf_finish("ns_net");
}
