/* POSIX message queues: open, send with priorities, receive in priority
 * order, attributes, notification registration, timeouts, unlink. */
#include "conf_sys.h"

#include <fcntl.h>
#include <mqueue.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

int main(void)
{
	char name[64], buf[128];
	struct mq_attr attr = { .mq_maxmsg = 4, .mq_msgsize = 64 }, got;
	unsigned prio = 0;

	snprintf(name, sizeof(name), "/xrr-conf-mq-%d", (int)getpid());
	mqd_t q = mq_open(name, O_CREAT | O_EXCL | O_RDWR, 0600, &attr);
	if (q == (mqd_t)-1 && (errno == ENOSYS || errno == EACCES)) {
		printf("mq_open: POSIX message queues unavailable here (%s)\n",
		       conf_errname(errno));
		return conf_finish("conf_sys_mq");
	}
	CHECK(q != (mqd_t)-1, "mq_open O_CREAT");
	if (q == (mqd_t)-1)
		return conf_finish("conf_sys_mq");
	CHECK(mq_send(q, "low", 4, 1) == 0, "mq_send priority 1");
	CHECK(mq_send(q, "high", 5, 7) == 0, "mq_send priority 7");
	struct timespec soon = { 0 };
	clock_gettime(CLOCK_REALTIME, &soon);
	soon.tv_sec += 5;
	CHECK(mq_timedsend(q, "mid", 4, 3, &soon) == 0, "mq_timedsend priority 3");
	CHECK(mq_getattr(q, &got) == 0 && got.mq_curmsgs == 3 && got.mq_maxmsg == 4 &&
	      got.mq_msgsize == 64, "mq_getattr: 3 messages, 4 x 64");
	memset(buf, 0, sizeof(buf));
	CHECK(mq_receive(q, buf, sizeof(buf), &prio) == 5 && prio == 7 &&
	      strcmp(buf, "high") == 0, "mq_receive: high, priority 7");
	memset(buf, 0, sizeof(buf));
	CHECK(mq_timedreceive(q, buf, sizeof(buf), &prio, &soon) == 4 && prio == 3 &&
	      strcmp(buf, "mid") == 0, "mq_timedreceive: mid, priority 3");
	memset(buf, 0, sizeof(buf));
	CHECK(mq_receive(q, buf, sizeof(buf), NULL) == 4 && strcmp(buf, "low") == 0,
	      "mq_receive: low");
	struct timespec past = { 1, 0 };
	errno = 0;
	CHECK(mq_timedreceive(q, buf, sizeof(buf), NULL, &past) == -1 && errno == ETIMEDOUT,
	      "mq_timedreceive on an empty queue: ETIMEDOUT");
	errno = 0;
	CHECK(mq_receive(q, buf, 8, NULL) == -1 && errno == EMSGSIZE,
	      "mq_receive into a short buffer: EMSGSIZE");
	struct sigevent sev = { .sigev_notify = SIGEV_NONE };
	CHECK(mq_notify(q, &sev) == 0, "mq_notify SIGEV_NONE");
	CHECK(mq_notify(q, NULL) == 0, "mq_notify unregister");
	struct mq_attr nb = { .mq_flags = O_NONBLOCK }, old;
	CHECK(mq_setattr(q, &nb, &old) == 0 && old.mq_flags == 0, "mq_setattr O_NONBLOCK");
	errno = 0;
	CHECK(mq_receive(q, buf, sizeof(buf), NULL) == -1 && errno == EAGAIN,
	      "nonblocking receive: EAGAIN");
	CHECK(mq_close(q) == 0, "mq_close");
	CHECK(mq_unlink(name) == 0, "mq_unlink");
	errno = 0;
	CHECK(mq_unlink(name) == -1 && errno == ENOENT, "mq_unlink again: ENOENT");
	errno = 0;
	CHECK(mq_open(name, O_RDONLY) == (mqd_t)-1 && errno == ENOENT, "mq_open gone: ENOENT");
	return conf_finish("conf_sys_mq");
}
