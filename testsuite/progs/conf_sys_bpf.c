/* bpf(2) as root: an array map, a hash map and a per-CPU array (update,
 * lookup, get_next_key, delete, lookup_and_delete, a batch lookup, map
 * info), a socket filter program "r0 = 0; exit" loaded with a verifier
 * log (and one the verifier rejects, with its log), program info with
 * its translated instructions, a test run, ids and fds by id. Ids, fds,
 * addresses and times are never printed. Where bpf is not available
 * (no privilege, no kernel support) one category line is printed. */
#include "conf_sys.h"

#include <linux/bpf.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <unistd.h>

static long sys_bpf(int cmd, union bpf_attr *attr)
{
	return syscall(SYS_bpf, cmd, attr, sizeof(*attr));
}

static int map_create(uint32_t type, uint32_t key, uint32_t value,
		      uint32_t max, const char *name)
{
	union bpf_attr a;

	memset(&a, 0, sizeof(a));
	a.map_type = type;
	a.key_size = key;
	a.value_size = value;
	a.max_entries = max;
	snprintf(a.map_name, sizeof(a.map_name), "%s", name);
	return (int)sys_bpf(BPF_MAP_CREATE, &a);
}

static long elem(int cmd, int fd, const void *key, void *value, uint64_t flags)
{
	union bpf_attr a;

	memset(&a, 0, sizeof(a));
	a.map_fd = (uint32_t)fd;
	a.key = (uint64_t)(uintptr_t)key;
	a.value = (uint64_t)(uintptr_t)value;
	a.flags = flags;
	return sys_bpf(cmd, &a);
}

static long info_by_fd(int fd, void *info, uint32_t *len)
{
	union bpf_attr a;
	long rc;

	memset(&a, 0, sizeof(a));
	a.info.bpf_fd = (uint32_t)fd;
	a.info.info_len = *len;
	a.info.info = (uint64_t)(uintptr_t)info;
	rc = sys_bpf(BPF_OBJ_GET_INFO_BY_FD, &a);
	*len = a.info.info_len;
	return rc;
}

static uint32_t possible_cpus(void)
{
	FILE *f = fopen("/sys/devices/system/cpu/possible", "re");
	unsigned a, b;
	uint32_t n = 0;
	int c;

	if (!f)
		return 0;
	while (fscanf(f, "%u", &a) == 1) {
		b = a;
		if ((c = fgetc(f)) == '-') {
			if (fscanf(f, "%u", &b) != 1)
				break;
			c = fgetc(f);
		}
		n += b - a + 1;
		if (c != ',')
			break;
	}
	fclose(f);
	return n;
}

static void array_map(void)
{
	int fd = map_create(BPF_MAP_TYPE_ARRAY, 4, 8, 4, "xrr_array");
	uint32_t k = 1, next = 99;
	uint64_t v = 0x1122334455667788ULL, got = 0;
	struct bpf_map_info info;
	uint32_t len = sizeof(info);

	CHECK(fd >= 0, "array: BPF_MAP_CREATE");
	CHECK(elem(BPF_MAP_UPDATE_ELEM, fd, &k, &v, BPF_ANY) == 0, "array: update key 1");
	CHECK(elem(BPF_MAP_LOOKUP_ELEM, fd, &k, &got, 0) == 0 && got == v,
	      "array: lookup key 1 gives the value");
	k = 2;
	got = 7;
	CHECK(elem(BPF_MAP_LOOKUP_ELEM, fd, &k, &got, 0) == 0 && got == 0,
	      "array: lookup key 2 gives zeros");
	k = 0;
	CHECK(elem(BPF_MAP_GET_NEXT_KEY, fd, &k, &next, 0) == 0 && next == 1,
	      "array: next key after 0 is 1");
	k = 3;
	errno = 0;
	CHECK(elem(BPF_MAP_GET_NEXT_KEY, fd, &k, &next, 0) == -1 && errno == ENOENT,
	      "array: no key after 3 (ENOENT)");
	errno = 0;
	CHECK(elem(BPF_MAP_DELETE_ELEM, fd, &k, NULL, 0) == -1 && errno == EINVAL,
	      "array: delete is EINVAL");
	memset(&info, 0, sizeof(info));
	CHECK(info_by_fd(fd, &info, &len) == 0 && len == sizeof(info) &&
	      info.type == BPF_MAP_TYPE_ARRAY && info.key_size == 4 &&
	      info.value_size == 8 && info.max_entries == 4 &&
	      strcmp(info.name, "xrr_array") == 0,
	      "array: BPF_OBJ_GET_INFO_BY_FD (type, sizes, name)");
	/* the same map by its id */
	union bpf_attr a;
	memset(&a, 0, sizeof(a));
	a.map_id = info.id;
	int fd2 = (int)sys_bpf(BPF_MAP_GET_FD_BY_ID, &a);
	k = 1;
	got = 0;
	CHECK(fd2 >= 0 && elem(BPF_MAP_LOOKUP_ELEM, fd2, &k, &got, 0) == 0 && got == v,
	      "array: BPF_MAP_GET_FD_BY_ID, lookup through it");
	memset(&a, 0, sizeof(a));
	CHECK(sys_bpf(BPF_MAP_GET_NEXT_ID, &a) == 0 && a.next_id > 0,
	      "BPF_MAP_GET_NEXT_ID from 0");
	CHECK(elem(BPF_MAP_FREEZE, fd, NULL, NULL, 0) == 0, "array: BPF_MAP_FREEZE");
	errno = 0;
	CHECK(elem(BPF_MAP_UPDATE_ELEM, fd, &k, &v, BPF_ANY) == -1 && errno == EPERM,
	      "array: update after freeze is EPERM");
	close(fd2);
	close(fd);
}

static void hash_map(void)
{
	int fd = map_create(BPF_MAP_TYPE_HASH, 4, 16, 8, "xrr_hash");
	uint32_t keys[8], k, next, count = 0, sum = 0;
	uint8_t v[16], got[16], values[8 * 16];
	union bpf_attr a;

	CHECK(fd >= 0, "hash: BPF_MAP_CREATE");
	for (k = 10; k < 13; k++) {
		memset(v, (int)k, sizeof(v));
		if (elem(BPF_MAP_UPDATE_ELEM, fd, &k, v, BPF_NOEXIST) != 0)
			break;
	}
	CHECK(k == 13, "hash: three updates");
	k = 11;
	CHECK(elem(BPF_MAP_LOOKUP_ELEM, fd, &k, got, 0) == 0 && got[0] == 11 &&
	      got[15] == 11, "hash: lookup key 11");
	errno = 0;
	CHECK(elem(BPF_MAP_UPDATE_ELEM, fd, &k, v, BPF_NOEXIST) == -1 && errno == EEXIST,
	      "hash: BPF_NOEXIST on a present key is EEXIST");
	/* walk: the order is the map's, the set is not */
	const void *prev = NULL;
	while (elem(BPF_MAP_GET_NEXT_KEY, fd, prev, &next, 0) == 0 && count < 10) {
		count++;
		sum += next;
		k = next;
		prev = &k;
	}
	printf("hash: walk found %u keys, sum %u\n", count, sum);
	k = 10;
	CHECK(elem(BPF_MAP_DELETE_ELEM, fd, &k, NULL, 0) == 0, "hash: delete key 10");
	errno = 0;
	CHECK(elem(BPF_MAP_LOOKUP_ELEM, fd, &k, got, 0) == -1 && errno == ENOENT,
	      "hash: deleted key is ENOENT");
	k = 12;
	memset(got, 0, sizeof(got));
	CHECK(elem(BPF_MAP_LOOKUP_AND_DELETE_ELEM, fd, &k, got, 0) == 0 && got[7] == 12,
	      "hash: BPF_MAP_LOOKUP_AND_DELETE_ELEM key 12");
	/* a batch: what is left (key 11) */
	memset(&a, 0, sizeof(a));
	memset(keys, 0, sizeof(keys));
	memset(values, 0, sizeof(values));
	uint32_t out_batch = 0;
	a.batch.map_fd = (uint32_t)fd;
	a.batch.out_batch = (uint64_t)(uintptr_t)&out_batch;
	a.batch.keys = (uint64_t)(uintptr_t)keys;
	a.batch.values = (uint64_t)(uintptr_t)values;
	a.batch.count = 8;
	long rc = sys_bpf(BPF_MAP_LOOKUP_BATCH, &a);
	CHECK((rc == 0 || errno == ENOENT) && a.batch.count == 1 && keys[0] == 11 &&
	      values[0] == 11 && values[15] == 11,
	      "hash: BPF_MAP_LOOKUP_BATCH gives key 11 and its value");
	close(fd);
}

static void percpu_map(void)
{
	uint32_t ncpus = possible_cpus();
	int fd = map_create(BPF_MAP_TYPE_PERCPU_ARRAY, 4, 12, 2, "xrr_percpu");
	uint32_t k = 1;
	bool ok = true;

	CHECK(fd >= 0 && ncpus > 0, "percpu: BPF_MAP_CREATE");
	if (fd < 0 || !ncpus)
		return;
	/* 12 bytes rounded to 16, one slot per possible CPU */
	uint8_t *v = calloc(ncpus, 16), *got = calloc(ncpus, 16);
	for (uint32_t c = 0; c < ncpus; c++)
		memset(v + 16 * c, (int)(c + 1), 12);
	CHECK(elem(BPF_MAP_UPDATE_ELEM, fd, &k, v, BPF_ANY) == 0, "percpu: update");
	CHECK(elem(BPF_MAP_LOOKUP_ELEM, fd, &k, got, 0) == 0, "percpu: lookup");
	for (uint32_t c = 0; c < ncpus; c++)
		ok = ok && got[16 * c] == (uint8_t)(c + 1) && got[16 * c + 11] == (uint8_t)(c + 1);
	CHECK(ok, "percpu: every CPU's value");
	free(v);
	free(got);
	close(fd);
}

/* r0 = 0; exit  (and a program the verifier rejects: exit with r0 unset) */
static const struct bpf_insn prog_ok[] = {
	{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
	{ .code = BPF_JMP | BPF_EXIT },
};
static const struct bpf_insn prog_bad[] = {
	{ .code = BPF_JMP | BPF_EXIT },
};

static int prog_load(const struct bpf_insn *insns, uint32_t n, char *log,
		     uint32_t log_size, uint32_t *true_size)
{
	union bpf_attr a;
	int fd;

	memset(&a, 0, sizeof(a));
	a.prog_type = BPF_PROG_TYPE_SOCKET_FILTER;
	a.insns = (uint64_t)(uintptr_t)insns;
	a.insn_cnt = n;
	a.license = (uint64_t)(uintptr_t)"GPL";
	a.log_level = 1;
	a.log_buf = (uint64_t)(uintptr_t)log;
	a.log_size = log_size;
	snprintf(a.prog_name, sizeof(a.prog_name), "xrr_filter");
	fd = (int)sys_bpf(BPF_PROG_LOAD, &a);
	/* Linux 6.4 stores log_true_size right after core_relo_rec_size */
	memcpy(true_size, (char *)&a + offsetof(union bpf_attr, core_relo_rec_size) + 4, 4);
	return fd;
}

static void programs(void)
{
	static char log[4096];
	uint32_t true_size = 0;
	struct bpf_prog_info info;
	uint32_t len;
	union bpf_attr a;

	memset(log, 'x', sizeof(log));
	errno = 0;
	int bad = prog_load(prog_bad, 1, log, sizeof(log), &true_size);
	CHECK(bad == -1 && errno == EACCES, "prog: the verifier rejects exit without r0 (EACCES)");
	CHECK(strstr(log, "R0 !read_ok") != NULL, "prog: its log says R0 !read_ok");
	CHECK(true_size == 0 || true_size == strlen(log) + 1,
	      "prog: log_true_size is the log's length (or not stored)");

	memset(log, 'x', sizeof(log));
	int fd = prog_load(prog_ok, 2, log, sizeof(log), &true_size);
	CHECK(fd >= 0, "prog: BPF_PROG_LOAD socket filter r0 = 0; exit");
	if (fd < 0)
		return;
	CHECK(strstr(log, "processed 2 insns") != NULL, "prog: its log says processed 2 insns");

	memset(&info, 0, sizeof(info));
	len = sizeof(info);
	CHECK(info_by_fd(fd, &info, &len) == 0 && info.type == BPF_PROG_TYPE_SOCKET_FILTER &&
	      strcmp(info.name, "xrr_filter") == 0 && info.xlated_prog_len > 0 &&
	      info.nr_map_ids == 0, "prog: BPF_OBJ_GET_INFO_BY_FD (type, name)");
	/* the translated instructions, into a buffer the info names */
	uint32_t xlen = info.xlated_prog_len;
	struct bpf_insn xl[16];
	memset(xl, 0, sizeof(xl));
	memset(&info, 0, sizeof(info));
	info.xlated_prog_len = xlen < sizeof(xl) ? xlen : sizeof(xl);
	info.xlated_prog_insns = (uint64_t)(uintptr_t)xl;
	len = sizeof(info);
	CHECK(info_by_fd(fd, &info, &len) == 0 &&
	      xl[0].code == (BPF_ALU64 | BPF_MOV | BPF_K) &&
	      xl[xlen / sizeof(xl[0]) - 1].code == (BPF_JMP | BPF_EXIT),
	      "prog: xlated instructions are mov, exit");

	/* a test run on a 64-byte packet */
	uint8_t pkt[64], out[128];
	for (size_t i = 0; i < sizeof(pkt); i++)
		pkt[i] = (uint8_t)(i * 7);
	memset(out, 0, sizeof(out));
	memset(&a, 0, sizeof(a));
	a.test.prog_fd = (uint32_t)fd;
	a.test.data_in = (uint64_t)(uintptr_t)pkt;
	a.test.data_size_in = sizeof(pkt);
	a.test.data_out = (uint64_t)(uintptr_t)out;
	a.test.data_size_out = sizeof(out);
	a.test.repeat = 1;
	a.test.retval = 42;
	long rc = sys_bpf(BPF_PROG_TEST_RUN, &a);
	OUTCOME("prog: BPF_PROG_TEST_RUN", rc);
	if (rc == 0) {
		CHECK(a.test.retval == 0, "prog: test run retval 0");
		printf("prog: test run data_size_out %u\n", a.test.data_size_out);
		/* the kernel rebuilds the 14-byte Ethernet header of a
		 * program that does not see it */
		CHECK(memcmp(out + 14, pkt + 14, sizeof(pkt) - 14) == 0,
		      "prog: test run data_out is the packet past its Ethernet header");
	}
	memset(&a, 0, sizeof(a));
	CHECK(sys_bpf(BPF_PROG_GET_NEXT_ID, &a) == 0 && a.next_id > 0,
	      "BPF_PROG_GET_NEXT_ID from 0");
	close(fd);
}

int main(void)
{
	int probe = map_create(BPF_MAP_TYPE_ARRAY, 4, 4, 1, "xrr_probe");

	if (probe < 0 && (errno == EPERM || errno == ENOSYS || errno == EACCES)) {
		printf("bpf: unavailable (%s)\n", conf_errname(errno));
		return conf_finish("conf_sys_bpf");
	}
	CHECK(probe >= 0, "bpf: BPF_MAP_CREATE works");
	close(probe);
	array_map();
	hash_map();
	percpu_map();
	programs();
	return conf_finish("conf_sys_bpf");
}
