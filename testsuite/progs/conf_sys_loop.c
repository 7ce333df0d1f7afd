/* Loop devices, as test suites use them to get a block device for a
 * file system: the control device hands out a free loop device, a file
 * is attached to it, its status is set and read back in both layouts
 * (LOOP_GET_STATUS64 and the old LOOP_GET_STATUS write structs the
 * replay must reproduce), its size is read as a block device, and it is
 * detached. mkfs's probing of the device (is it a floppy, a CD-ROM?)
 * and its discards come in between. Without root or the loop driver the first outcome prints
 * as a category and nothing else is tried. */
#include "conf_sys.h"

#include <fcntl.h>
#include <linux/cdrom.h>
#include <linux/fd.h>
#include <linux/fs.h>
#include <linux/loop.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <unistd.h>

#define BACKING_SIZE (1 << 20)

/* A free loop device with FILE attached: its fd, or -1. Another
 * process may take the device between GET_FREE and SET_FD (EBUSY):
 * then ask again. */
static int attach(int ctl, int file)
{
	for (int tries = 0; tries < 20; tries++) {
		char dev[64];
		int n = ioctl(ctl, LOOP_CTL_GET_FREE);
		if (n < 0)
			return -1;
		snprintf(dev, sizeof(dev), "/dev/loop%d", n);
		int fd = open(dev, O_RDWR);
		if (fd < 0)
			return -1;
		if (ioctl(fd, LOOP_SET_FD, file) == 0)
			return fd;
		int e = errno;
		close(fd);
		if (e != EBUSY) {
			errno = e;
			return -1;
		}
	}
	return -1;
}

static void status_round_trip(int loop)
{
	struct loop_info64 in64 = { 0 }, out64;
	struct loop_info old;

	snprintf((char *)in64.lo_file_name, sizeof(in64.lo_file_name), "xrr-conf-loop");
	CHECK(ioctl(loop, LOOP_SET_STATUS64, &in64) == 0, "LOOP_SET_STATUS64");
	memset(&out64, 0x5a, sizeof(out64));
	CHECK(ioctl(loop, LOOP_GET_STATUS64, &out64) == 0 &&
		      strcmp((char *)out64.lo_file_name, "xrr-conf-loop") == 0 &&
		      out64.lo_offset == 0 && out64.lo_sizelimit == 0 &&
		      (out64.lo_flags & LO_FLAGS_READ_ONLY) == 0,
	      "LOOP_GET_STATUS64: the name set, offset 0, no limit, writable");
	memset(&old, 0x5a, sizeof(old));
	CHECK(ioctl(loop, LOOP_GET_STATUS, &old) == 0 &&
		      strcmp(old.lo_name, "xrr-conf-loop") == 0 && old.lo_offset == 0,
	      "LOOP_GET_STATUS: the name set, offset 0");
}

/* What mke2fs's libblkid asks before it writes a file system. */
static void probed_like_mkfs(int loop)
{
	struct floppy_fdc_state fdc;
	long last = 0;
	uint64_t range[2] = { 0, 65536 };

	OUTCOME("FDGETFDCSTAT", ioctl(loop, FDGETFDCSTAT, &fdc));
	OUTCOME("CDROM_GET_CAPABILITY", ioctl(loop, CDROM_GET_CAPABILITY, 0));
	OUTCOME("CDROM_LAST_WRITTEN", ioctl(loop, CDROM_LAST_WRITTEN, &last));
	OUTCOME("BLKDISCARD of 64 KiB", ioctl(loop, BLKDISCARD, range));
	OUTCOME("BLKZEROOUT of 64 KiB", ioctl(loop, BLKZEROOUT, range));
}

static void as_block_device(int loop)
{
	uint64_t bytes = 0;
	char block[512], back[512];

	CHECK(ioctl(loop, BLKGETSIZE64, &bytes) == 0 && bytes == BACKING_SIZE,
	      "BLKGETSIZE64: 1 MiB");
	int ro = 1, now = -1;
	CHECK(ioctl(loop, BLKROSET, &ro) == 0 && ioctl(loop, BLKROGET, &now) == 0 &&
		      now == 1, "BLKROSET 1, BLKROGET: 1");
	ro = 0;
	CHECK(ioctl(loop, BLKROSET, &ro) == 0 && ioctl(loop, BLKROGET, &now) == 0 &&
		      now == 0, "BLKROSET 0, BLKROGET: 0");
	long ra = -1;
	CHECK(ioctl(loop, BLKRASET, 64UL) == 0 && ioctl(loop, BLKRAGET, &ra) == 0 &&
		      ra == 64, "BLKRASET 64, BLKRAGET: 64");
	CHECK(ioctl(loop, LOOP_SET_CAPACITY, 0) == 0, "LOOP_SET_CAPACITY");
	CHECK(ioctl(loop, LOOP_SET_DIRECT_IO, 0) == 0, "LOOP_SET_DIRECT_IO 0");
	memset(block, 'L', sizeof(block));
	CHECK(pwrite(loop, block, sizeof(block), 4096) == (ssize_t)sizeof(block) &&
		      fsync(loop) == 0, "write a block through the device");
	memset(back, 0, sizeof(back));
	CHECK(pread(loop, back, sizeof(back), 4096) == (ssize_t)sizeof(back) &&
		      memcmp(block, back, sizeof(back)) == 0,
	      "read it back");
}

int main(void)
{
	char path[] = "/tmp/xrr-conf-loop-XXXXXX";
	int ctl = open("/dev/loop-control", O_RDWR | O_CLOEXEC);

	if (ctl < 0) {
		printf("loop-control: unavailable (%s)\n", conf_errname(errno));
		return conf_finish("conf_sys_loop");
	}
	int file = mkstemp(path);
	CHECK(file >= 0 && ftruncate(file, BACKING_SIZE) == 0, "backing file of 1 MiB");
	if (file < 0)
		return conf_finish("conf_sys_loop");
	unlink(path);
	int loop = attach(ctl, file);
	OUTCOME("LOOP_CTL_GET_FREE and LOOP_SET_FD", loop);
	if (loop >= 0) {
		status_round_trip(loop);
		probed_like_mkfs(loop);
		as_block_device(loop);
		CHECK(ioctl(loop, LOOP_CLR_FD, 0) == 0, "LOOP_CLR_FD");
		close(loop);
	}
	close(file);
	close(ctl);
	return conf_finish("conf_sys_loop");
}
