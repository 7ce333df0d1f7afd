/* A socketpair between parent and child: ping/pong rounds on a stream
 * socket, a datagram pair keeping message boundaries, and a pipe's read
 * end created by the child passed to the parent with SCM_RIGHTS (as a
 * fourth datagram). */
#include "conf_proc.h"
#include <sys/socket.h>

static int send_fd(int sock, int fd)
{
	char byte = 'F';
	struct iovec iov = { &byte, 1 };
	union { struct cmsghdr h; char buf[CMSG_SPACE(sizeof(int))]; } u;
	memset(&u, 0, sizeof u);
	struct msghdr m = { 0 };
	m.msg_iov = &iov;
	m.msg_iovlen = 1;
	m.msg_control = u.buf;
	m.msg_controllen = sizeof u.buf;
	struct cmsghdr *c = CMSG_FIRSTHDR(&m);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof fd);
	return sendmsg(sock, &m, 0) == 1 ? 0 : -1;
}

static int recv_fd(int sock)
{
	char byte;
	struct iovec iov = { &byte, 1 };
	union { struct cmsghdr h; char buf[CMSG_SPACE(sizeof(int))]; } u;
	struct msghdr m = { 0 };
	m.msg_iov = &iov;
	m.msg_iovlen = 1;
	m.msg_control = u.buf;
	m.msg_controllen = sizeof u.buf;
	if (recvmsg(sock, &m, 0) != 1)
		return -1;
	struct cmsghdr *c = CMSG_FIRSTHDR(&m);
	if (!c || c->cmsg_type != SCM_RIGHTS)
		return -1;
	int fd;
	memcpy(&fd, CMSG_DATA(c), sizeof fd);
	return fd;
}

int main(void)
{
	int sv[2], dg[2];
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0 || socketpair(AF_UNIX, SOCK_DGRAM, 0, dg) < 0) {
		conf_fail("socketpair");
		return conf_finish("socketpair");
	}
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		close(sv[0]);
		close(dg[0]);
		char buf[32];
		for (int i = 0; i < 5; i++) {
			ssize_t n = read(sv[1], buf, sizeof buf - 1);
			if (n <= 0)
				_exit(2);
			buf[n] = 0;
			int v = atoi(buf + 5);
			char out[32];
			int len = snprintf(out, sizeof out, "pong %d", v * v);
			write_full(sv[1], out, (size_t)len);
		}
		/* Three datagrams, boundaries kept. */
		send(dg[1], "one", 3, 0);
		send(dg[1], "two!", 4, 0);
		send(dg[1], "three", 5, 0);
		int p[2];
		if (pipe(p) < 0)
			_exit(3);
		write_str(p[1], "through a passed descriptor");
		close(p[1]);
		if (send_fd(dg[1], p[0]) < 0)
			_exit(4);
		close(p[0]);
		_exit(0);
	}
	close(sv[1]);
	close(dg[1]);
	int good = 1;
	for (int i = 1; i <= 5; i++) {
		char out[32], in[32];
		int len = snprintf(out, sizeof out, "ping %d", i);
		write_full(sv[0], out, (size_t)len);
		ssize_t n = read(sv[0], in, sizeof in - 1);
		in[n > 0 ? n : 0] = 0;
		printf("sent \"%s\", received \"%s\"\n", out, in);
		good &= n > 5 && atoi(in + 5) == i * i;
	}
	check("five pongs with squares", good);
	const char *want[] = { "one", "two!", "three" };
	for (int i = 0; i < 3; i++) {
		char in[16] = { 0 };
		ssize_t n = recv(dg[0], in, sizeof in, 0);
		check(want[i], n == (ssize_t)strlen(want[i]) && memcmp(in, want[i], (size_t)n) == 0);
	}
	int fd = recv_fd(dg[0]);
	check("descriptor received", fd >= 0);
	if (fd >= 0) {
		char buf[64] = { 0 };
		read_full(fd, buf, sizeof buf - 1);
		printf("read from the passed pipe: %s\n", buf);
		check("passed pipe content", strcmp(buf, "through a passed descriptor") == 0);
		close(fd);
	}
	char c;
	check("EOF once the child is gone", read(sv[0], &c, 1) == 0);
	int st;
	check("child collected", wait_for(pid, &st, 0) == pid);
	check("child exited 0", WIFEXITED(st) && WEXITSTATUS(st) == 0);
	return conf_finish("socketpair");
}
