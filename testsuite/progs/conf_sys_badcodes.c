/* Invalid command codes, as test suites pass them on purpose: an unknown
 * fcntl command, prctl option, SysV IPC command, keyctl operation, futex
 * operation, seccomp operation and bpf command, and an ioctl request no
 * driver has; and a userfaultfd made and closed.  The kernel refuses
 * each code; xrr records its answer and
 * replay gives the same (docs/syscalls.md: the kernel's refusal is
 * data).  Each check wants a failure; the errno is printed, being the
 * kernel's word. */
#include "conf_sys.h"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/prctl.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/syscall.h>
#include <unistd.h>

static void refused(const char *name, long rc)
{
	char line[96];

	snprintf(line, sizeof(line), "%s refused", name);
	CHECK(rc == -1, line);
	if (rc == -1)
		printf("%s: %s\n", name, conf_errname(errno));
}

int main(void)
{
	int fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	int word = 0;

	CHECK(fd >= 0, "open /dev/null");
	errno = 0;
	refused("fcntl 9999", fcntl(fd, 9999, 0));
	refused("prctl 9999", prctl(9999, 0, 0, 0, 0));
	refused("ioctl 0xc0de4242", ioctl(fd, 0xc0de4242, &word));
	refused("futex op 99", syscall(SYS_futex, &word, 99, 0, NULL, NULL, 0));
	refused("keyctl 999", syscall(SYS_keyctl, 999, 0, 0, 0, 0));
	refused("seccomp op 99", syscall(SYS_seccomp, 99, 0, NULL));
	refused("bpf command 99", syscall(SYS_bpf, 99, NULL, 0));

	int sem = semget(IPC_PRIVATE, 1, IPC_CREAT | 0600);
	int shm = shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0600);
	int msq = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
	CHECK(sem >= 0 && shm >= 0 && msq >= 0, "SysV objects made");
	refused("semctl 77", semctl(sem, 0, 77));
	refused("shmctl 77", shmctl(shm, 77, NULL));
	refused("msgctl 77", msgctl(msq, 77, NULL));
	semctl(sem, 0, IPC_RMID);
	shmctl(shm, IPC_RMID, NULL);
	msgctl(msq, IPC_RMID, NULL);
	/* A userfaultfd is made and closed (test suites make one of every
	 * kind of descriptor); an invalid request on it is refused. */
	long uffd = syscall(SYS_userfaultfd, O_CLOEXEC);
	OUTCOME("userfaultfd", uffd);
	if (uffd >= 0) {
		refused("userfaultfd ioctl 0xc0de4242",
			ioctl((int)uffd, 0xc0de4242, &word));
		close((int)uffd);
	}
	/* The program goes on normally after them. */
	CHECK(fcntl(fd, F_GETFD) == FD_CLOEXEC, "fcntl F_GETFD after them");
	close(fd);
	return conf_finish("conf_sys_badcodes");
}
