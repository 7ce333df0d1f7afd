/* sendmmsg/recvmmsg: a unix datagram socketpair (payloads, lengths,
 * timeout) and a UDP socket sending to itself on loopback (addresses). */
#include "conf_sys.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

static void unix_pair(void)
{
	int sv[2];
	char out[3][8] = { "one", "three", "fifteen" };
	char in[4][16];
	struct iovec iov[4], oiov[3];
	struct mmsghdr msgs[4], omsgs[3];
	struct timespec timeout = { 5, 0 };

	CHECK(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv) == 0, "socketpair AF_UNIX SOCK_DGRAM");
	memset(omsgs, 0, sizeof(omsgs));
	for (int i = 0; i < 3; i++) {
		oiov[i] = (struct iovec){ out[i], strlen(out[i]) };
		omsgs[i].msg_hdr.msg_iov = &oiov[i];
		omsgs[i].msg_hdr.msg_iovlen = 1;
	}
	CHECK(sendmmsg(sv[0], omsgs, 3, 0) == 3, "sendmmsg 3 datagrams");
	CHECK(omsgs[0].msg_len == 3 && omsgs[1].msg_len == 5 && omsgs[2].msg_len == 7,
	      "sendmmsg msg_len 3 5 7");
	memset(msgs, 0, sizeof(msgs));
	memset(in, 0, sizeof(in));
	for (int i = 0; i < 4; i++) {
		iov[i] = (struct iovec){ in[i], sizeof(in[i]) - 1 };
		msgs[i].msg_hdr.msg_iov = &iov[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
	}
	CHECK(recvmmsg(sv[1], msgs, 4, MSG_DONTWAIT, &timeout) == 3, "recvmmsg gets 3");
	CHECK(msgs[0].msg_len == 3 && msgs[1].msg_len == 5 && msgs[2].msg_len == 7,
	      "recvmmsg msg_len 3 5 7");
	CHECK(strcmp(in[0], "one") == 0 && strcmp(in[1], "three") == 0 &&
	      strcmp(in[2], "fifteen") == 0, "recvmmsg payloads");
	CHECK(in[3][0] == 0, "fourth entry untouched");
	errno = 0;
	CHECK(recvmmsg(sv[1], msgs, 4, MSG_DONTWAIT, NULL) == -1 && errno == EAGAIN,
	      "recvmmsg on an empty socket: EAGAIN");
	/* a truncated datagram: MSG_TRUNC in msg_flags */
	CHECK(send(sv[0], "abcdefghij", 10, 0) == 10, "send 10 bytes");
	char small[4] = { 0 };
	iov[0] = (struct iovec){ small, sizeof(small) };
	msgs[0].msg_hdr.msg_flags = 0;
	CHECK(recvmmsg(sv[1], msgs, 1, 0, NULL) == 1 && msgs[0].msg_len == 4 &&
	      (msgs[0].msg_hdr.msg_flags & MSG_TRUNC) && memcmp(small, "abcd", 4) == 0,
	      "recvmmsg truncated: MSG_TRUNC");
	close(sv[0]);
	close(sv[1]);
}

static void udp_loopback(void)
{
	struct sockaddr_in me = { .sin_family = AF_INET }, from[2];
	socklen_t len = sizeof(me);
	char a[8] = "alpha", b[8] = "beta", ra[2][16];
	struct iovec oiov[2] = { { a, 5 }, { b, 4 } }, iov[2];
	struct mmsghdr out[2], in[2];
	int s = socket(AF_INET, SOCK_DGRAM, 0);

	CHECK(s >= 0, "UDP socket");
	if (s < 0)
		return;
	me.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	CHECK(bind(s, (struct sockaddr *)&me, sizeof(me)) == 0, "bind 127.0.0.1:0");
	CHECK(getsockname(s, (struct sockaddr *)&me, &len) == 0 && me.sin_port != 0,
	      "getsockname: a port");
	memset(out, 0, sizeof(out));
	for (int i = 0; i < 2; i++) {
		out[i].msg_hdr.msg_name = &me;
		out[i].msg_hdr.msg_namelen = sizeof(me);
		out[i].msg_hdr.msg_iov = &oiov[i];
		out[i].msg_hdr.msg_iovlen = 1;
	}
	CHECK(sendmmsg(s, out, 2, 0) == 2, "sendmmsg to ourselves");
	memset(in, 0, sizeof(in));
	memset(ra, 0, sizeof(ra));
	memset(from, 0, sizeof(from));
	for (int i = 0; i < 2; i++) {
		iov[i] = (struct iovec){ ra[i], sizeof(ra[i]) - 1 };
		in[i].msg_hdr.msg_name = &from[i];
		in[i].msg_hdr.msg_namelen = sizeof(from[i]);
		in[i].msg_hdr.msg_iov = &iov[i];
		in[i].msg_hdr.msg_iovlen = 1;
	}
	CHECK(recvmmsg(s, in, 2, MSG_WAITFORONE, NULL) >= 1, "recvmmsg MSG_WAITFORONE");
	CHECK(strcmp(ra[0], "alpha") == 0, "first datagram: alpha");
	CHECK(in[0].msg_hdr.msg_namelen == sizeof(struct sockaddr_in) &&
	      from[0].sin_addr.s_addr == htonl(INADDR_LOOPBACK) && from[0].sin_port == me.sin_port,
	      "sender is ourselves");
	close(s);
}

int main(void)
{
	unix_pair();
	udp_loopback();
	return conf_finish("conf_sys_mmsg");
}
