/* fcntl's query commands of recent kernels, which answer through the
 * result only: F_DUPFD_QUERY (do two descriptors share one open file?)
 * and F_CREATED_QUERY (did this open create the file?). A kernel
 * without them says EINVAL, printed as a category. */
#include "conf_sys.h"

#include <fcntl.h>
#include <unistd.h>

#ifndef F_DUPFD_QUERY
#define F_DUPFD_QUERY (1024 + 3)
#endif
#ifndef F_CREATED_QUERY
#define F_CREATED_QUERY (1024 + 4)
#endif

int main(void)
{
	char path[] = "/tmp/xrr-conf-fcntl-XXXXXX";
	int fd = mkstemp(path);

	CHECK(fd >= 0, "mkstemp");
	if (fd < 0)
		return conf_finish("conf_sys_fcntl");
	int dup_fd = dup(fd);
	int other = open(path, O_RDONLY | O_CLOEXEC);

	long same = fcntl(fd, F_DUPFD_QUERY, dup_fd);
	if (same < 0) {
		OUTCOME("F_DUPFD_QUERY", same);
	} else {
		CHECK(same == 1, "F_DUPFD_QUERY of a dup: 1");
		CHECK(fcntl(fd, F_DUPFD_QUERY, other) == 0,
		      "F_DUPFD_QUERY of another open: 0");
	}
	long created = fcntl(other, F_CREATED_QUERY, 0);
	if (created < 0) {
		OUTCOME("F_CREATED_QUERY", created);
	} else {
		CHECK(created == 0, "F_CREATED_QUERY of an existing file: 0");
		unlink(path);
		int fresh = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		CHECK(fresh >= 0 && fcntl(fresh, F_CREATED_QUERY, 0) == 1,
		      "F_CREATED_QUERY of a file this open created: 1");
		if (fresh >= 0)
			close(fresh);
	}
	unlink(path);
	close(other);
	close(dup_fd);
	close(fd);
	return conf_finish("conf_sys_fcntl");
}
