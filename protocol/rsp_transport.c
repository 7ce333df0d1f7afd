/* Transports: TCP and Unix-domain sockets (listen, accept, connect) and
 * stdio pipes.  Each ends up as an in/out pair of file descriptors. */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "protocol/rsp.h"

#define DEFAULT_HOST "127.0.0.1"

static void set_err(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* "127.0.0.1:1234" or "[::1]:1234" for a socket address. */
static void format_sockaddr(char *out, size_t outlen,
			    const struct sockaddr *sa, int *port_out)
{
	char host[INET6_ADDRSTRLEN] = "?";
	int port = 0;

	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
		inet_ntop(AF_INET, &in->sin_addr, host, sizeof(host));
		port = ntohs(in->sin_port);
		snprintf(out, outlen, "%s:%d", host, port);
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
		inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof(host));
		port = ntohs(in6->sin6_port);
		snprintf(out, outlen, "[%s]:%d", host, port);
	} else {
		snprintf(out, outlen, "unknown address family %d", sa->sa_family);
	}
	if (port_out)
		*port_out = port;
}

/* Accept "[::1]" as well as "::1", as users copy addresses from URLs. */
static const char *strip_brackets(const char *host, char *buf, size_t buflen)
{
	size_t n = strlen(host);

	if (n >= 2 && host[0] == '[' && host[n - 1] == ']' && n - 2 < buflen) {
		memcpy(buf, host + 1, n - 2);
		buf[n - 2] = '\0';
		return buf;
	}
	return host;
}

static int resolve(const char *host, int port, bool passive,
		   struct addrinfo **res, char *err, size_t errlen)
{
	struct addrinfo hints = {
		.ai_family = AF_UNSPEC,
		.ai_socktype = SOCK_STREAM,
		.ai_flags = AI_NUMERICSERV | (passive ? AI_PASSIVE : 0),
	};
	char portstr[16], hostbuf[256];

	if (port < 0 || port > 65535) {
		set_err(err, errlen, "invalid TCP port %d", port);
		return -1;
	}
	snprintf(portstr, sizeof(portstr), "%d", port);
	host = strip_brackets(host ? host : DEFAULT_HOST, hostbuf,
			      sizeof(hostbuf));
	int rc = getaddrinfo(host, portstr, &hints, res);
	if (rc != 0) {
		set_err(err, errlen, "cannot resolve %s: %s", host,
			gai_strerror(rc));
		return -1;
	}
	return 0;
}

static void listener_reset(struct rsp_listener *l)
{
	l->fd = -1;
	l->port = 0;
	l->description[0] = '\0';
	l->unix_path[0] = '\0';
}

static int bind_and_listen(const struct addrinfo *ai, char *err,
			   size_t errlen)
{
	int one = 1;
	int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
			ai->ai_protocol);
	if (fd < 0) {
		set_err(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	/* Restarting a stub on the same port must not fail on TIME_WAIT. */
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 || listen(fd, 1) < 0) {
		char addr[96];
		int saved = errno;
		format_sockaddr(addr, sizeof(addr), ai->ai_addr, NULL);
		set_err(err, errlen, "cannot listen on %s: %s", addr,
			strerror(saved));
		close(fd);
		return -1;
	}
	return fd;
}

int rsp_listen_tcp(struct rsp_listener *l, const char *host, int port,
		   char *err, size_t errlen)
{
	struct addrinfo *res;

	listener_reset(l);
	if (resolve(host, port, true, &res, err, errlen) < 0)
		return -1;
	for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
		int fd = bind_and_listen(ai, err, errlen);
		if (fd < 0)
			continue;
		struct sockaddr_storage ss;
		socklen_t sslen = sizeof(ss);
		char addr[96];
		if (getsockname(fd, (struct sockaddr *)&ss, &sslen) < 0) {
			set_err(err, errlen, "getsockname: %s", strerror(errno));
			close(fd);
			continue;
		}
		format_sockaddr(addr, sizeof(addr), (struct sockaddr *)&ss,
				&l->port);
		snprintf(l->description, sizeof(l->description), "tcp %s", addr);
		l->fd = fd;
		freeaddrinfo(res);
		return 0;
	}
	freeaddrinfo(res);
	return -1;
}

static int make_unix_addr(struct sockaddr_un *sa_un, const char *path,
			  char *err, size_t errlen)
{
	memset(sa_un, 0, sizeof(*sa_un));
	sa_un->sun_family = AF_UNIX;
	if (!path || !*path || strlen(path) >= sizeof(sa_un->sun_path)) {
		set_err(err, errlen, "unix socket path \"%s\" is empty or longer "
			"than %zu bytes", path ? path : "",
			sizeof(sa_un->sun_path) - 1);
		return -1;
	}
	strcpy(sa_un->sun_path, path);
	return 0;
}

/* A socket file left by a crashed stub refuses connections; only then is
 * it safe to remove (a live one belongs to someone else). */
static bool unix_socket_is_stale(const struct sockaddr_un *sa_un)
{
	struct stat st;

	if (stat(sa_un->sun_path, &st) < 0 || !S_ISSOCK(st.st_mode))
		return false;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return false;
	int rc = connect(fd, (const struct sockaddr *)sa_un, sizeof(*sa_un));
	int saved = errno;
	close(fd);
	return rc < 0 && saved == ECONNREFUSED;
}

int rsp_listen_unix(struct rsp_listener *l, const char *path,
		    char *err, size_t errlen)
{
	struct sockaddr_un sa_un;

	listener_reset(l);
	if (make_unix_addr(&sa_un, path, err, errlen) < 0)
		return -1;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		set_err(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	int rc = bind(fd, (struct sockaddr *)&sa_un, sizeof(sa_un));
	if (rc < 0 && errno == EADDRINUSE && unix_socket_is_stale(&sa_un)) {
		unlink(sa_un.sun_path);
		rc = bind(fd, (struct sockaddr *)&sa_un, sizeof(sa_un));
	}
	if (rc < 0 || listen(fd, 1) < 0) {
		set_err(err, errlen, "cannot listen on unix socket %s: %s",
			path, strerror(errno));
		close(fd);
		return -1;
	}
	l->fd = fd;
	snprintf(l->unix_path, sizeof(l->unix_path), "%s", path);
	snprintf(l->description, sizeof(l->description), "unix %s", path);
	return 0;
}

/* RSP is many tiny request/reply exchanges: Nagle would add a delay to
 * nearly every one. */
static void set_nodelay(int fd)
{
	int one = 1;

	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

int rsp_accept(struct rsp_listener *l, struct rsp_transport *t,
	       char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	socklen_t sslen = sizeof(ss);
	int fd;

	do
		fd = accept4(l->fd, (struct sockaddr *)&ss, &sslen,
			     SOCK_CLOEXEC);
	while (fd < 0 && errno == EINTR);
	if (fd < 0) {
		set_err(err, errlen, "accept on %s: %s", l->description,
			strerror(errno));
		return -1;
	}
	t->in_fd = t->out_fd = fd;
	if (ss.ss_family == AF_INET || ss.ss_family == AF_INET6) {
		char peer[96];
		set_nodelay(fd);
		format_sockaddr(peer, sizeof(peer), (struct sockaddr *)&ss, NULL);
		snprintf(t->description, sizeof(t->description), "tcp %s", peer);
	} else {
		snprintf(t->description, sizeof(t->description), "%s",
			 l->description);
	}
	return 0;
}

void rsp_listener_close(struct rsp_listener *l)
{
	if (l->fd >= 0)
		close(l->fd);
	if (l->unix_path[0])
		unlink(l->unix_path);
	listener_reset(l);
}

void rsp_transport_stdio(struct rsp_transport *t)
{
	t->in_fd = STDIN_FILENO;
	t->out_fd = STDOUT_FILENO;
	snprintf(t->description, sizeof(t->description), "stdio");
}

int rsp_connect_tcp(struct rsp_transport *t, const char *host, int port,
		    char *err, size_t errlen)
{
	struct addrinfo *res;
	int saved = 0;

	t->in_fd = t->out_fd = -1;
	if (resolve(host, port, false, &res, err, errlen) < 0)
		return -1;
	for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
		int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
				ai->ai_protocol);
		if (fd < 0) {
			saved = errno;
			continue;
		}
		int rc;
		do
			rc = connect(fd, ai->ai_addr, ai->ai_addrlen);
		while (rc < 0 && errno == EINTR);
		if (rc < 0) {
			saved = errno;
			close(fd);
			continue;
		}
		char addr[96];
		set_nodelay(fd);
		format_sockaddr(addr, sizeof(addr), ai->ai_addr, NULL);
		snprintf(t->description, sizeof(t->description), "tcp %s", addr);
		t->in_fd = t->out_fd = fd;
		freeaddrinfo(res);
		return 0;
	}
	freeaddrinfo(res);
	set_err(err, errlen, "cannot connect to %s port %d: %s",
		host ? host : DEFAULT_HOST, port, strerror(saved));
	return -1;
}

int rsp_connect_unix(struct rsp_transport *t, const char *path,
		     char *err, size_t errlen)
{
	struct sockaddr_un sa_un;

	t->in_fd = t->out_fd = -1;
	if (make_unix_addr(&sa_un, path, err, errlen) < 0)
		return -1;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		set_err(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	if (connect(fd, (struct sockaddr *)&sa_un, sizeof(sa_un)) < 0) {
		set_err(err, errlen, "cannot connect to unix socket %s: %s",
			path, strerror(errno));
		close(fd);
		return -1;
	}
	t->in_fd = t->out_fd = fd;
	snprintf(t->description, sizeof(t->description), "unix %s", path);
	return 0;
}

void rsp_transport_close(struct rsp_transport *t)
{
	if (t->out_fd >= 0 && t->out_fd != t->in_fd)
		close(t->out_fd);
	if (t->in_fd >= 0)
		close(t->in_fd);
	t->in_fd = t->out_fd = -1;
}

static bool ipv4_is_loopback(const struct in_addr *a)
{
	return (ntohl(a->s_addr) >> 24) == 127;
}

bool rsp_host_is_loopback(const char *host)
{
	char buf[INET6_ADDRSTRLEN + 2];
	struct in_addr a4;
	struct in6_addr a6;

	if (!host)
		return true;    /* NULL means the 127.0.0.1 default */
	if (!strcasecmp(host, "localhost") || !strcasecmp(host, "localhost.") ||
	    !strcasecmp(host, "ip6-localhost"))
		return true;
	host = strip_brackets(host, buf, sizeof(buf));
	if (inet_pton(AF_INET, host, &a4) == 1)
		return ipv4_is_loopback(&a4);
	if (inet_pton(AF_INET6, host, &a6) == 1) {
		if (IN6_IS_ADDR_LOOPBACK(&a6))
			return true;
		if (IN6_IS_ADDR_V4MAPPED(&a6)) {
			memcpy(&a4, &a6.s6_addr[12], sizeof(a4));
			return ipv4_is_loopback(&a4);
		}
	}
	/* Anything else, names included, may reach the network; resolving
	 * names here would make the answer depend on DNS. */
	return false;
}
