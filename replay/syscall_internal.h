/* Shared between syscalls.c and the data tables: x86-64 kernel ABI sizes
 * and the tables of sub-operations (fcntl commands, futex ops, prctl
 * options, arch_prctl codes). Not part of the public API. */
#ifndef XRR_REPLAY_SYSCALL_INTERNAL_H
#define XRR_REPLAY_SYSCALL_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

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

/* One sub-operation of a multiplexing syscall: it writes size bytes
 * through args[out_arg] (when out_arg >= 0) under the `when` rule, and
 * replay must perform it when perform is set. */
struct sc_subop {
	uint32_t code;
	const char *name;
	int8_t out_arg;
	uint8_t when;      /* enum sc_when */
	uint8_t perform;
	uint32_t size;
};

extern const struct sc_subop sc_fcntl_cmds[];
extern const size_t sc_fcntl_cmds_len;
extern const struct sc_subop sc_futex_ops[];
extern const size_t sc_futex_ops_len;
extern const struct sc_subop sc_prctl_opts[];
extern const size_t sc_prctl_opts_len;
extern const struct sc_subop sc_arch_prctl_codes[];
extern const size_t sc_arch_prctl_codes_len;

#endif
