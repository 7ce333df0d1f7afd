/* ioctls on namespace files and pidfds, and a tun device's features:
 * NS_GET_NSTYPE, NS_GET_OWNER_UID (an _IO request that writes a uid),
 * NS_GET_USERNS and NS_GET_PARENT (new descriptors), PIDFD_GET_INFO
 * (Linux 6.13: a struct written back) and the PIDFD_GET_*_NAMESPACE
 * requests (new descriptors), TUNGETFEATURES. Machine-dependent
 * outcomes print as categories. */
#include "conf_sys.h"

#include <fcntl.h>
#include <sched.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define NSIO 0xb7
#define NS_GET_USERNS _IO(NSIO, 0x1)
#define NS_GET_PARENT _IO(NSIO, 0x2)
#define NS_GET_NSTYPE _IO(NSIO, 0x3)
#define NS_GET_OWNER_UID _IO(NSIO, 0x4)
#define PIDFS_IOCTL_MAGIC 0xFF
#define PIDFD_GET_UTS_NAMESPACE _IO(PIDFS_IOCTL_MAGIC, 10)
#define TUNGETFEATURES _IOR('T', 207, unsigned int)

struct pidfd_info_v0 {          /* Linux 6.13's struct pidfd_info */
	uint64_t mask, cgroupid;
	uint32_t pid, tgid, ppid, ruid, rgid, euid, egid, suid, sgid;
	uint32_t fsuid, fsgid;
	int32_t exit_code;
	uint32_t coredump_mask, spare;
};
#define PIDFD_GET_INFO _IOWR(PIDFS_IOCTL_MAGIC, 11, struct pidfd_info_v0)
#define PIDFD_INFO_PID 1

static int same_file(int a, int b)
{
	struct stat sa, sb;
	return fstat(a, &sa) == 0 && fstat(b, &sb) == 0 &&
	       sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

static void nsfs(void)
{
	int pidns = open("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC);
	int userns = open("/proc/self/ns/user", O_RDONLY | O_CLOEXEC);
	int uts = open("/proc/self/ns/uts", O_RDONLY | O_CLOEXEC);
	uid_t owner = (uid_t)-7;

	if (pidns < 0 || userns < 0 || uts < 0) {
		printf("/proc/self/ns: unavailable\n");
		return;
	}
	CHECK(ioctl(pidns, NS_GET_NSTYPE) == CLONE_NEWPID, "NS_GET_NSTYPE: CLONE_NEWPID");
	long rc = ioctl(userns, NS_GET_OWNER_UID, &owner);
	OUTCOME("NS_GET_OWNER_UID", rc);
	if (rc == 0)
		printf("owner uid of my user namespace: %u\n", (unsigned)owner);
	int mine = ioctl(uts, NS_GET_USERNS);
	CHECK(mine >= 0 && same_file(mine, userns),
	      "NS_GET_USERNS of my uts namespace: my user namespace");
	/* a descriptor of its own: the echo model must not take it for
	   another file */
	CHECK(mine >= 0 && write(mine, "x", 1) < 0, "writing to it fails");
	if (mine >= 0)
		close(mine);
	int parent = ioctl(pidns, NS_GET_PARENT);
	OUTCOME("NS_GET_PARENT of my pid namespace", parent);
	if (parent >= 0)
		close(parent);
	close(pidns);
	close(userns);
	close(uts);
}

static void pidfd(void)
{
	int fd = (int)syscall(SYS_pidfd_open, getpid(), 0);
	struct pidfd_info_v0 info;

	if (fd < 0) {
		OUTCOME("pidfd_open", fd);
		return;
	}
	memset(&info, 0x5a, sizeof(info));
	info.mask = PIDFD_INFO_PID;
	long rc = ioctl(fd, PIDFD_GET_INFO, &info);
	OUTCOME("PIDFD_GET_INFO", rc);
	if (rc == 0)
		CHECK(info.pid == (uint32_t)getpid() && info.tgid == (uint32_t)getpid() &&
			      info.ppid == (uint32_t)getppid() &&
			      info.ruid == (uint32_t)getuid() && info.egid == (uint32_t)getegid(),
		      "PIDFD_GET_INFO: my pid, tgid, parent, uid, gid");
	int uts = ioctl(fd, PIDFD_GET_UTS_NAMESPACE);
	OUTCOME("PIDFD_GET_UTS_NAMESPACE", uts);
	if (uts >= 0) {
		int byname = open("/proc/self/ns/uts", O_RDONLY | O_CLOEXEC);
		CHECK(same_file(uts, byname), "it is my uts namespace");
		close(byname);
		close(uts);
	}
	close(fd);
}

static void tun(void)
{
	int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	unsigned features = 0;

	if (fd < 0) {
		printf("/dev/net/tun: unavailable\n");
		return;
	}
	long rc = ioctl(fd, TUNGETFEATURES, &features);
	OUTCOME("TUNGETFEATURES", rc);
	if (rc == 0)
		CHECK((features & 0x0001) != 0, "TUNGETFEATURES: IFF_TUN among them");
	close(fd);
}

int main(void)
{
	nsfs();
	pidfd();
	tun();
	return conf_finish("conf_sys_nsfs");
}
