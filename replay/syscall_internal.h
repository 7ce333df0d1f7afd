/* Shared between syscalls.c and the data tables: x86-64 kernel ABI sizes
 * and the tables of sub-operations (fcntl commands, futex ops, prctl
 * options, arch_prctl codes). Not part of the public API. */
#ifndef XRR_REPLAY_SYSCALL_INTERNAL_H
#define XRR_REPLAY_SYSCALL_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "replay/syscalls.h"

/* Sizes of what the kernel copies out on x86-64. */
#define SZ_STAT          144   /* struct stat */
#define SZ_STATX         256   /* struct statx */
#define SZ_STATFS        120   /* struct statfs */
#define SZ_TIMESPEC       16
#define SZ_TIMEVAL        16
#define SZ_TIMEZONE        8
#define SZ_ITIMERVAL      32
#define SZ_ITIMERSPEC     32
#define SZ_RUSAGE        144
#define SZ_SYSINFO       112
#define SZ_UTSNAME       390   /* 6 fields of 65 */
#define SZ_RLIMIT         16
#define SZ_KSIGACTION     32   /* kernel sigaction: handler, flags, restorer, mask */
#define SZ_SIGINFO       128
#define SZ_STACK_T        24
#define SZ_TMS            32
#define SZ_EPOLL_EVENT    12   /* packed on x86-64 */
#define SZ_POLLFD          8
#define SZ_TIMEX         208
#define SZ_CAPHDR          8
#define SZ_CAPDATA        24   /* two 12-byte elements (v2/v3) */
#define SZ_FDPAIR          8   /* int[2] */
#define SZ_MSGHDR         56
#define SZ_MMSGHDR        64
#define SZ_KTERMIOS       36   /* kernel struct termios, not glibc's 60 */
#define SZ_KTERMIOS2      44
#define SZ_KTERMIO        18   /* struct termio (TCGETA) */
#define SZ_WINSIZE         8
#define SZ_FLOCK          32
#define SZ_F_OWNER_EX      8
#define SZ_IFREQ          40
#define SZ_CLONE_ARGS_MIN 64   /* CLONE_ARGS_SIZE_VER0 */
#define SZ_SHMID_DS      112   /* struct shmid64_ds */
#define SZ_SHMINFO        72   /* struct shminfo64 */
#define SZ_SHM_INFO       48
#define SZ_SEMID_DS      104   /* struct semid64_ds */
#define SZ_SEMINFO        40
#define SZ_MSQID_DS      120   /* struct msqid64_ds */
#define SZ_MSGINFO        32
#define SZ_MQ_ATTR        64
#define SZ_USER_DESC      16   /* struct user_desc (set/get_thread_area) */
#define SZ_USTAT          32
#define SZ_CACHESTAT      40   /* struct cachestat: 5 u64 */
#define SZ_PKEY_QUERY     56   /* struct keyctl_pkey_query */
#define SZ_IF_DQBLK       72   /* struct if_dqblk */
#define SZ_IF_NEXTDQBLK   72
#define SZ_IF_DQINFO      24
#define SZ_FS_DISK_QUOTA 112
#define SZ_FS_QUOTA_STAT  80
#define SZ_FS_QUOTA_STATV 160
#define SZ_FIEMAP         32   /* struct fiemap header */
#define SZ_FIEMAP_EXTENT  56
#define FIEMAP_EXTENT_COUNT 24 /* offset of fm_extent_count */
#define SZ_FSXATTR        28
#define SZ_SERIAL        72   /* struct serial_struct */
#define SZ_ICOUNTER       80   /* struct serial_icounter_struct */
#define SZ_RS485          32
#define SZ_LOOP_INFO     168   /* struct loop_info (LOOP_GET_STATUS) */
#define SZ_LOOP_INFO64   232   /* struct loop_info64 */
#define SZ_FDC_STATE      40   /* struct floppy_fdc_state (FDGETFDCSTAT) */
#define SZ_SOCKADDR_MAX  128   /* struct sockaddr_storage */
#define SZ_FILE_HANDLE_HDR 8   /* handle_bytes, handle_type */
#define SEM_SET_MAX    32000   /* SEMMSL: semaphores in one set (GETALL) */

/* Offsets inside struct msghdr and struct clone_args. */
#define MSGHDR_NAME        0
#define MSGHDR_NAMELEN     8
#define MSGHDR_IOV        16
#define MSGHDR_IOVLEN     24
#define MSGHDR_CONTROL    32
#define MSGHDR_CONTROLLEN 40
#define MMSGHDR_LEN       56
#define CLONE_ARGS_FLAGS   0
#define CLONE_ARGS_PIDFD   8
#define CLONE_ARGS_PTID   24

/* One sub-operation of a multiplexing syscall: what it writes (rules as
 * for a row, SC_OUT_NONE terminates), whether replay must perform it and
 * whether recording may take it at all. */
enum sc_subop_flags {
	SC_SUB_REFUSE    = 1 << 0,   /* refused at entry, for `why` */
	SC_SUB_FAIL_ONLY = 1 << 1,   /* only a failure is recorded (see SC_F_FAIL_ONLY) */
	SC_SUB_ENOSYS    = 1 << 2,   /* only ENOSYS is known (removed operation) */
	SC_SUB_NONBLOCK  = 1 << 3,   /* of a blocking call, never sleeps (a futex
	                                wake): the thread keeps the turn */
};

#define SC_SUB_OUTS 2

struct sc_subop {
	uint32_t code;
	const char *name;
	uint8_t perform;
	uint8_t flags;     /* enum sc_subop_flags */
	struct sc_out out[SC_SUB_OUTS];
	const char *why;
};

/* A sub-operation table and how a row's code argument selects in it. */
struct sc_subtable {
	const struct sc_subop *ops;
	size_t n;
	uint32_t mask;     /* applied after the shift */
	uint8_t shift;
	const char *what;  /* "command", "option", ... for messages */
};

extern const struct sc_subtable sc_subtables[SCT_COUNT];

extern const struct sc_subop sc_fcntl_cmds[];
extern const size_t sc_fcntl_cmds_len;
extern const struct sc_subop sc_futex_ops[];
extern const size_t sc_futex_ops_len;
extern const struct sc_subop sc_prctl_opts[];
extern const size_t sc_prctl_opts_len;
extern const struct sc_subop sc_arch_prctl_codes[];
extern const size_t sc_arch_prctl_codes_len;

/* What a bpf command writes (struct sc_out.size of an SC_OUT_BPF rule);
 * replay/syscall_bpf.c reads the union bpf_attr at entry and derives the
 * regions at exit. */
enum sc_bpf_rule {
	SCB_MAP_VALUE = 1,   /* the map's lookup value size at attr.value */
	SCB_NEXT_KEY,        /* key_size bytes at attr.next_key */
	SCB_PROG_LOG,        /* PROG_LOAD: verifier log, log_true_size */
	SCB_BTF_LOG,         /* BTF_LOAD: log, btf_log_true_size */
	SCB_NEXT_ID,         /* *_GET_NEXT_ID: attr.next_id */
	SCB_INFO,            /* OBJ_GET_INFO_BY_FD: info, its arrays, info_len */
	SCB_QUERY,           /* PROG_QUERY: counts, flags, prog ids */
	SCB_TEST_RUN,        /* PROG_TEST_RUN: retval, duration, data/ctx out */
	SCB_TASK_FD_QUERY,   /* TASK_FD_QUERY: ids, offsets, the name in buf */
	SCB_BATCH_LOOKUP,    /* MAP_LOOKUP(_AND_DELETE)_BATCH: keys, values,
	                        out_batch, count */
	SCB_BATCH_COUNT,     /* MAP_UPDATE/DELETE_BATCH: count */
};

/* Entry: reads the attr (and an object's info) into st; -1 with err
 * when the call uses fields this build cannot describe. */
int sc_bpf_entry(const struct sc_out *o, const uint64_t *args, sc_read_fn read,
		 void *ctx, struct sc_entry_state *st, char *err, size_t errlen);
/* Exit: regions into out[0..max); their count, or -1 with err. */
int sc_bpf_effects(const struct sc_out *o, const uint64_t *args, int64_t result,
		   const struct sc_entry_state *st, sc_read_fn read, void *ctx,
		   struct sc_region *out, size_t max, char *err, size_t errlen);

#endif
