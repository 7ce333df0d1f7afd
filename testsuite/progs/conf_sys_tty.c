/* Terminal and pseudo-terminal ioctls on a pty pair made with
 * posix_openpt/grantpt/unlockpt/ptsname. Names and numbers of the pty
 * are not printed. */
#include "conf_sys.h"

#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#define TCGETS2_REQ 0x802c542aU /* <asm/termbits.h> clashes with <termios.h> */

int main(void)
{
	struct termios t, back;
	struct winsize ws = { .ws_row = 33, .ws_col = 101 }, got = { 0 };
	int master = posix_openpt(O_RDWR | O_NOCTTY);
	int n, lock, one = 1, zero = 0;
	unsigned char t2[64];
	char buf[16] = { 0 };

	CHECK(master >= 0, "posix_openpt");
	if (master < 0)
		return conf_finish("conf_sys_tty");
	CHECK(grantpt(master) == 0, "grantpt");
	CHECK(unlockpt(master) == 0, "unlockpt");
	const char *name = ptsname(master);
	CHECK(name && strncmp(name, "/dev/pts/", 9) == 0, "ptsname under /dev/pts");
	CHECK(ioctl(master, TIOCGPTN, &n) == 0 && n >= 0, "TIOCGPTN");
	CHECK(ioctl(master, TIOCGPTLCK, &lock) == 0 && lock == 0, "TIOCGPTLCK: unlocked");
	int slave = open(name, O_RDWR | O_NOCTTY);
	CHECK(slave >= 0, "open the slave");
	int peer = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY);
	CHECK(peer >= 0, "TIOCGPTPEER opens the slave too");
	if (peer >= 0)
		close(peer);
	CHECK(isatty(slave) == 1, "isatty (TCGETS) on the slave");

	CHECK(tcgetattr(slave, &t) == 0, "TCGETS");
	back = t;
	cfmakeraw(&t);
	CHECK(tcsetattr(slave, TCSANOW, &t) == 0, "TCSETS raw");
	CHECK(tcsetattr(slave, TCSADRAIN, &t) == 0, "TCSETSW");
	CHECK(tcsetattr(slave, TCSAFLUSH, &t) == 0, "TCSETSF");
	memset(&t, 0, sizeof(t));
	CHECK(tcgetattr(slave, &t) == 0 && !(t.c_lflag & ICANON) && !(t.c_lflag & ECHO),
	      "raw mode read back");
	memset(t2, 0, sizeof(t2));
	CHECK(ioctl(slave, TCGETS2_REQ, t2) == 0, "TCGETS2");
	CHECK(ioctl(slave, TIOCSWINSZ, &ws) == 0, "TIOCSWINSZ 33x101");
	CHECK(ioctl(master, TIOCGWINSZ, &got) == 0 && got.ws_row == 33 && got.ws_col == 101,
	      "TIOCGWINSZ on the master: 33x101");

	CHECK(write(slave, "hello", 5) == 5, "write to the slave");
	struct pollfd p = { .fd = master, .events = POLLIN };
	CHECK(poll(&p, 1, 5000) == 1, "master readable");
	CHECK(ioctl(master, FIONREAD, &n) == 0 && n >= 1 && n <= 5, "FIONREAD on the master");
	n = 0;
	while (n < 5) {
		ssize_t k = read(master, buf + n, sizeof(buf) - 1 - (size_t)n);
		if (k <= 0)
			break;
		n += (int)k;
	}
	CHECK(n == 5 && strcmp(buf, "hello") == 0, "read hello from the master");
	CHECK(ioctl(slave, TIOCOUTQ, &n) == 0 && n == 0, "TIOCOUTQ empty");
	CHECK(write(master, "xy", 2) == 2, "write to the master");
	p = (struct pollfd){ .fd = slave, .events = POLLIN };
	CHECK(poll(&p, 1, 5000) == 1, "slave readable");
	CHECK(ioctl(slave, FIONREAD, &n) == 0 && n >= 1, "FIONREAD on the slave");
	CHECK(tcflush(slave, TCIOFLUSH) == 0, "TCFLSH");
	CHECK(ioctl(slave, FIONREAD, &n) == 0 && n == 0, "FIONREAD after flush: 0");
	CHECK(tcflow(slave, TCOON) == 0, "TCXONC");
	CHECK(tcdrain(slave) == 0, "TCSBRK (tcdrain)");
	CHECK(ioctl(slave, TIOCGETD, &n) == 0 && n == 0, "TIOCGETD: N_TTY");
	CHECK(ioctl(slave, TIOCSETD, &zero) == 0, "TIOCSETD N_TTY");
	CHECK(ioctl(slave, TIOCEXCL) == 0 && ioctl(slave, TIOCNXCL) == 0, "TIOCEXCL and TIOCNXCL");
	CHECK(ioctl(slave, FIONBIO, &one) == 0 && (fcntl(slave, F_GETFL) & O_NONBLOCK),
	      "FIONBIO on");
	errno = 0;
	CHECK(read(slave, buf, 1) == -1 && errno == EAGAIN, "nonblocking read: EAGAIN");
	CHECK(ioctl(slave, FIONBIO, &zero) == 0 && !(fcntl(slave, F_GETFL) & O_NONBLOCK),
	      "FIONBIO off");
	CHECK(ioctl(slave, FIOCLEX) == 0 && (fcntl(slave, F_GETFD) & FD_CLOEXEC), "FIOCLEX");
	CHECK(ioctl(slave, FIONCLEX) == 0 && !(fcntl(slave, F_GETFD) & FD_CLOEXEC), "FIONCLEX");
	CHECK(ioctl(slave, FIOASYNC, &zero) == 0, "FIOASYNC off");
	/* not our controlling terminal */
	errno = 0;
	CHECK(ioctl(slave, TIOCGPGRP, &n) == -1 && errno == ENOTTY, "TIOCGPGRP: ENOTTY");
	errno = 0;
	CHECK(ioctl(slave, TIOCGSID, &n) == -1 && errno == ENOTTY, "TIOCGSID: ENOTTY");
	errno = 0;
	n = ioctl(slave, TIOCMGET, &lock);
	OUTCOME("TIOCMGET on a pty", n);
	CHECK(ioctl(master, TIOCSPTLCK, &one) == 0 && ioctl(master, TIOCGPTLCK, &lock) == 0 &&
	      lock == 1, "TIOCSPTLCK locks");
	CHECK(tcsetattr(slave, TCSANOW, &back) == 0, "restore settings");
	/* a file is not a terminal */
	int f = open("/proc/self/stat", O_RDONLY);
	errno = 0;
	CHECK(f >= 0 && tcgetattr(f, &t) == -1 && errno == ENOTTY, "TCGETS on a file: ENOTTY");
	close(f);
	close(slave);
	close(master);
	return conf_finish("conf_sys_tty");
}
