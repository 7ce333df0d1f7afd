/* futex(2) operations with and without FUTEX_PRIVATE_FLAG and
 * FUTEX_CLOCK_REALTIME, the PI family on an uncontended word, a real
 * wait/wake between two threads, and the futex2 calls (futex_waitv,
 * futex_wake, futex_wait, futex_requeue) where the kernel has them. */
#include "conf_sys.h"

#include <linux/futex.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#ifndef FUTEX_LOCK_PI2
#define FUTEX_LOCK_PI2 13
#endif
#define NR_futex_wake    454
#define NR_futex_wait    455
#define NR_futex_requeue 456
#define FUTEX2_SIZE_U32  0x02
#define FUTEX2_PRIVATE   128

static uint32_t word, word2, ready;

static long futex(uint32_t *uaddr, int op, uint32_t val, const void *timeout_or_val2,
		  uint32_t *uaddr2, uint32_t val3)
{
	return syscall(SYS_futex, uaddr, op, val, timeout_or_val2, uaddr2, val3);
}

static void *waiter(void *arg)
{
	(void)arg;
	__atomic_store_n(&ready, 1, __ATOMIC_SEQ_CST);
	while (__atomic_load_n(&word, __ATOMIC_SEQ_CST) == 0)
		futex(&word, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0);
	return NULL;
}

static void basic(int flags, const char *tag)
{
	char name[96];
	struct timespec rel = { 0, 1000000 };
	struct timespec abs_past = { 1, 0 };

	word = 5;
	if (flags & FUTEX_CLOCK_REALTIME) {
		/* only the waits with absolute deadlines take the flag */
		snprintf(name, sizeof(name), "%s FUTEX_WAKE: ENOSYS", tag);
		errno = 0;
		CHECK(futex(&word, FUTEX_WAKE | flags, 1, NULL, NULL, 0) == -1 &&
		      errno == ENOSYS, name);
	} else {
		snprintf(name, sizeof(name), "%s FUTEX_WAKE with no waiters: 0", tag);
		CHECK(futex(&word, FUTEX_WAKE | flags, 1, NULL, NULL, 0) == 0, name);
		snprintf(name, sizeof(name), "%s FUTEX_WAIT on a changed value: EAGAIN", tag);
		errno = 0;
		CHECK(futex(&word, FUTEX_WAIT | flags, 4, NULL, NULL, 0) == -1 &&
		      errno == EAGAIN, name);
		snprintf(name, sizeof(name), "%s FUTEX_WAIT times out: ETIMEDOUT", tag);
		errno = 0;
		CHECK(futex(&word, FUTEX_WAIT | flags, 5, &rel, NULL, 0) == -1 &&
		      errno == ETIMEDOUT, name);
	}
	snprintf(name, sizeof(name), "%s FUTEX_WAIT_BITSET past deadline: ETIMEDOUT", tag);
	errno = 0;
	CHECK(futex(&word, FUTEX_WAIT_BITSET | flags, 5, &abs_past, NULL,
		    FUTEX_BITSET_MATCH_ANY) == -1 && errno == ETIMEDOUT, name);
	if (flags & FUTEX_CLOCK_REALTIME)
		return;
	snprintf(name, sizeof(name), "%s FUTEX_WAKE_BITSET: 0", tag);
	CHECK(futex(&word, FUTEX_WAKE_BITSET | flags, 1, NULL, NULL, 1) == 0, name);
	snprintf(name, sizeof(name), "%s FUTEX_REQUEUE: 0", tag);
	CHECK(futex(&word, FUTEX_REQUEUE | flags, 1, (void *)1, &word2, 0) == 0, name);
	snprintf(name, sizeof(name), "%s FUTEX_CMP_REQUEUE mismatch: EAGAIN", tag);
	errno = 0;
	CHECK(futex(&word, FUTEX_CMP_REQUEUE | flags, 1, (void *)1, &word2, 99) == -1 &&
	      errno == EAGAIN, name);
	snprintf(name, sizeof(name), "%s FUTEX_CMP_REQUEUE match: 0", tag);
	CHECK(futex(&word, FUTEX_CMP_REQUEUE | flags, 1, (void *)1, &word2, 5) == 0, name);
	/* WAKE_OP: *word2 += 3, wake if the old value was 0 */
	word2 = 0;
	snprintf(name, sizeof(name), "%s FUTEX_WAKE_OP adds 3 to the second word", tag);
	CHECK(futex(&word, FUTEX_WAKE_OP | flags, 1, (void *)1, &word2,
		    FUTEX_OP(FUTEX_OP_ADD, 3, FUTEX_OP_CMP_EQ, 0)) == 0 && word2 == 3, name);
}

static void pi(int flags, const char *tag)
{
	char name[96];
	uint32_t tid = (uint32_t)syscall(SYS_gettid);
	struct timespec abs_past = { 1, 0 };

	word = 0;
	snprintf(name, sizeof(name), "%s FUTEX_LOCK_PI takes a free lock", tag);
	CHECK(futex(&word, FUTEX_LOCK_PI | flags, 0, NULL, NULL, 0) == 0 &&
	      (word & FUTEX_TID_MASK) == tid, name);
	snprintf(name, sizeof(name), "%s FUTEX_TRYLOCK_PI on our own lock: EDEADLK", tag);
	errno = 0;
	CHECK(futex(&word, FUTEX_TRYLOCK_PI | flags, 0, NULL, NULL, 0) == -1 &&
	      errno == EDEADLK, name);
	snprintf(name, sizeof(name), "%s FUTEX_UNLOCK_PI frees it", tag);
	CHECK(futex(&word, FUTEX_UNLOCK_PI | flags, 0, NULL, NULL, 0) == 0 && word == 0, name);
	snprintf(name, sizeof(name), "%s FUTEX_TRYLOCK_PI takes it", tag);
	CHECK(futex(&word, FUTEX_TRYLOCK_PI | flags, 0, NULL, NULL, 0) == 0 &&
	      (word & FUTEX_TID_MASK) == tid, name);
	snprintf(name, sizeof(name), "%s FUTEX_UNLOCK_PI again", tag);
	CHECK(futex(&word, FUTEX_UNLOCK_PI | flags, 0, NULL, NULL, 0) == 0 && word == 0, name);
	snprintf(name, sizeof(name), "%s FUTEX_LOCK_PI2 with a past deadline", tag);
	long rc = futex(&word, FUTEX_LOCK_PI2 | flags, 0, &abs_past, NULL, 0);
	CHECK(rc == 0 && (word & FUTEX_TID_MASK) == tid, name);
	futex(&word, FUTEX_UNLOCK_PI | flags, 0, NULL, NULL, 0);
	snprintf(name, sizeof(name), "%s FUTEX_UNLOCK_PI of a free lock: EPERM", tag);
	errno = 0;
	CHECK(futex(&word, FUTEX_UNLOCK_PI | flags, 0, NULL, NULL, 0) == -1 && errno == EPERM,
	      name);
	word = 7, word2 = 0;
	snprintf(name, sizeof(name), "%s FUTEX_WAIT_REQUEUE_PI mismatch: EAGAIN", tag);
	errno = 0;
	CHECK(futex(&word, FUTEX_WAIT_REQUEUE_PI | flags, 6, NULL, &word2, 0) == -1 &&
	      errno == EAGAIN, name);
	snprintf(name, sizeof(name), "%s FUTEX_CMP_REQUEUE_PI mismatch: EAGAIN", tag);
	errno = 0;
	CHECK(futex(&word, FUTEX_CMP_REQUEUE_PI | flags, 1, (void *)0, &word2, 6) == -1 &&
	      errno == EAGAIN, name);
}

static void futex2(void)
{
	struct futex_waitv w = { .val = 4, .uaddr = (uintptr_t)&word,
				 .flags = FUTEX2_SIZE_U32 | FUTEX2_PRIVATE };
	struct futex_waitv rq[2] = {
		{ .uaddr = (uintptr_t)&word, .flags = FUTEX2_SIZE_U32 | FUTEX2_PRIVATE },
		{ .uaddr = (uintptr_t)&word2, .flags = FUTEX2_SIZE_U32 | FUTEX2_PRIVATE },
	};

	word = 5;
	errno = 0;
	CHECK(syscall(SYS_futex_waitv, &w, 1, 0, NULL, CLOCK_MONOTONIC) == -1 && errno == EAGAIN,
	      "futex_waitv on a changed value: EAGAIN");
	errno = 0;
	long rc = syscall(NR_futex_wake, &word, 0xffffffffUL, 1, FUTEX2_SIZE_U32 | FUTEX2_PRIVATE);
	if (rc == -1 && errno == ENOSYS) {
		printf("futex_wake, futex_wait, futex_requeue: not in this kernel\n");
		return;
	}
	CHECK(rc == 0, "futex_wake with no waiters: 0");
	errno = 0;
	CHECK(syscall(NR_futex_wait, &word, 4, 0xffffffffUL, FUTEX2_SIZE_U32 | FUTEX2_PRIVATE, NULL,
		      CLOCK_MONOTONIC) == -1 && errno == EAGAIN,
	      "futex_wait on a changed value: EAGAIN");
	rq[0].val = 5;
	CHECK(syscall(NR_futex_requeue, rq, 0, 1, 1) == 0, "futex_requeue: 0");
}

int main(void)
{
	pthread_t th;

	basic(0, "shared");
	basic(FUTEX_PRIVATE_FLAG, "private");
	basic(FUTEX_CLOCK_REALTIME, "realtime");
	basic(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME, "private realtime");
	pi(0, "shared");
	pi(FUTEX_PRIVATE_FLAG, "private");
	futex2();

	word = 0;
	CHECK(pthread_create(&th, NULL, waiter, NULL) == 0, "start a waiting thread");
	while (!__atomic_load_n(&ready, __ATOMIC_SEQ_CST))
		sched_yield();
	__atomic_store_n(&word, 1, __ATOMIC_SEQ_CST);
	long woken = futex(&word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
	CHECK(woken == 0 || woken == 1, "FUTEX_WAKE the waiter");
	CHECK(pthread_join(th, NULL) == 0, "waiter finished");
	return conf_finish("conf_sys_futex");
}
