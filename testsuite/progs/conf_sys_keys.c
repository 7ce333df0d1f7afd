/* Kernel keys: add_key, request_key and keyctl reading operations. A
 * container may refuse keys altogether; the outcome category is printed. */
#include "conf_sys.h"

#include <linux/keyctl.h>
#include <sys/syscall.h>
#include <unistd.h>

static long add_key(const char *type, const char *desc, const void *payload,
		    size_t len, int keyring)
{
	return syscall(SYS_add_key, type, desc, payload, len, keyring);
}

static long keyctl(int op, unsigned long a2, unsigned long a3, unsigned long a4,
		   unsigned long a5)
{
	return syscall(SYS_keyctl, op, a2, a3, a4, a5);
}

int main(void)
{
	char buf[256];
	unsigned char caps[8];
	long key = add_key("user", "xrr-conf-key", "secret", 6, KEY_SPEC_PROCESS_KEYRING);

	if (key < 0) {
		printf("add_key: keys unavailable here (%s)\n", conf_errname(errno));
		errno = 0;
		long r = keyctl(KEYCTL_READ, 12345, (unsigned long)buf, sizeof(buf), 0);
		CHECK(r == -1, "keyctl READ of a bad key fails");
		return conf_finish("conf_sys_keys");
	}
	printf("add_key: succeeded\n");
	long ring = keyctl(KEYCTL_GET_KEYRING_ID, (unsigned long)KEY_SPEC_PROCESS_KEYRING, 0, 0, 0);
	CHECK(ring > 0, "KEYCTL_GET_KEYRING_ID of the process keyring");
	memset(buf, 0, sizeof(buf));
	CHECK(keyctl(KEYCTL_READ, (unsigned long)key, (unsigned long)buf, sizeof(buf), 0) == 6 &&
	      memcmp(buf, "secret", 6) == 0, "KEYCTL_READ: secret");
	memset(buf, 0, sizeof(buf));
	/* a short buffer gets the full size (its contents vary by kernel) */
	CHECK(keyctl(KEYCTL_READ, (unsigned long)key, (unsigned long)buf, 3, 0) == 6 &&
	      buf[3] == 0, "KEYCTL_READ short buffer: size 6");
	memset(buf, 0, sizeof(buf));
	long n = keyctl(KEYCTL_DESCRIBE, (unsigned long)key, (unsigned long)buf, sizeof(buf), 0);
	CHECK(n > 0 && strncmp(buf, "user;", 5) == 0 && strstr(buf, ";xrr-conf-key"),
	      "KEYCTL_DESCRIBE: user;...;xrr-conf-key");
	long found = syscall(SYS_request_key, "user", "xrr-conf-key", NULL,
			     KEY_SPEC_PROCESS_KEYRING);
	CHECK(found == key, "request_key finds it");
	errno = 0;
	CHECK(syscall(SYS_request_key, "user", "xrr-conf-no-such-key", NULL, 0) == -1 &&
	      errno == ENOKEY, "request_key of a missing key: ENOKEY");
	CHECK(keyctl(KEYCTL_UPDATE, (unsigned long)key, (unsigned long)"other!", 6, 0) == 0,
	      "KEYCTL_UPDATE");
	memset(buf, 0, sizeof(buf));
	CHECK(keyctl(KEYCTL_READ, (unsigned long)key, (unsigned long)buf, sizeof(buf), 0) == 6 &&
	      memcmp(buf, "other!", 6) == 0, "KEYCTL_READ after update: other!");
	n = keyctl(KEYCTL_CAPABILITIES, (unsigned long)caps, sizeof(caps), 0, 0);
	OUTCOME("KEYCTL_CAPABILITIES", n);
	CHECK(keyctl(KEYCTL_SET_TIMEOUT, (unsigned long)key, 3600, 0, 0) == 0, "KEYCTL_SET_TIMEOUT");
	CHECK(keyctl(KEYCTL_REVOKE, (unsigned long)key, 0, 0, 0) == 0, "KEYCTL_REVOKE");
	errno = 0;
	CHECK(keyctl(KEYCTL_READ, (unsigned long)key, (unsigned long)buf, sizeof(buf), 0) == -1 &&
	      errno == EKEYREVOKED, "KEYCTL_READ revoked: EKEYREVOKED");
	CHECK(keyctl(KEYCTL_UNLINK, (unsigned long)key, (unsigned long)ring, 0, 0) == 0 ||
	      errno == ENOENT || errno == EKEYREVOKED, "KEYCTL_UNLINK");
	return conf_finish("conf_sys_keys");
}
