/* OpenMP (gcc -fopenmp, libgomp) parallel loops with reductions, barriers,
 * tasks and a hand-made spin ordering between the team's threads.  Run
 * with OMP_WAIT_POLICY=active (idle threads spin instead of sleeping in
 * futex waits) and OMP_NUM_THREADS=4, as testsuite/integration/preempt.sh
 * does.  All results are integers, the same whatever thread ran which
 * iteration, so the output is deterministic.  argv[1] repeats the whole
 * sequence (default 1; benchmarks use more).  Output convention:
 * preempt_common.h.
 *
 * libgomp spins only about 1000 times before a futex wait when it has
 * more threads than CPUs (GOMP_SPINCOUNT in its manual), which is the
 * case under a recorder that binds the program to one CPU; the ticket
 * ordering below spins without limit, so the program needs preemption
 * whatever libgomp decides. */
#include "preempt_common.h"

#include <omp.h>
#include <stdatomic.h>
#include <stdlib.h>

#define N 1000000
#define BARRIER_STEPS 8
#define SPIN_ROUNDS 4
#define MAX_THREADS 64

static uint64_t h(uint64_t x)
{
	return preempt_mix(0x243f6a8885a308d3ull, x);
}

static long fib(int n)
{
	if (n < 2)
		return n;
	long a, b;
#pragma omp task shared(a)
	a = fib(n - 1);
#pragma omp task shared(b)
	b = fib(n - 2);
#pragma omp taskwait
	return a + b;
}

static long fib_serial(int n) { return n < 2 ? n : fib_serial(n - 1) + fib_serial(n - 2); }

struct results {
	uint64_t sum, min, max, xor_all, spin_hash;
	long atomic_count, critical_count, barrier_errors, spin_errors, fib20;
};

static void run(struct results *r)
{
	uint64_t sum = 0, mn = UINT64_MAX, mx = 0, x = 0;
	long barrier_errors = 0, spin_errors = 0, atomic_count = 0, critical_count = 0;

#pragma omp parallel for schedule(static) reduction(+ : sum)
	for (long i = 0; i < N; i++)
		sum += h((uint64_t)i) % 1000;

#pragma omp parallel for schedule(guided) reduction(min : mn) reduction(max : mx)
	for (long i = 0; i < N; i++) {
		uint64_t v = h((uint64_t)i * 7 + 1);
		if (v < mn)
			mn = v;
		if (v > mx)
			mx = v;
	}

#pragma omp parallel for schedule(dynamic, 997) reduction(^ : x)
	for (long i = 0; i < N; i++)
		x ^= h((uint64_t)i * 3 + 2);

	/* Barriers: each thread writes its slot, and after the barrier reads
	 * its neighbour's. */
	static long slot[MAX_THREADS];
#pragma omp parallel reduction(+ : barrier_errors)
	{
		int tid = omp_get_thread_num(), nt = omp_get_num_threads();
		for (int step = 0; step < BARRIER_STEPS; step++) {
			slot[tid] = step * 100 + tid;
#pragma omp barrier
			int nb = (tid + 1) % nt;
			if (slot[nb] != step * 100 + nb)
				barrier_errors++;
#pragma omp barrier
		}
	}

	/* A spin ordering: tickets go round the team, each thread spinning
	 * (pause, no system call) until its ticket comes up.  Few rounds:
	 * with more threads than CPUs each pass can wait for a time slice,
	 * natively too. */
	static atomic_long ticket;
	uint64_t spin_hash = 0;
	atomic_store(&ticket, 0);
#pragma omp parallel reduction(+ : spin_errors)
	{
		int tid = omp_get_thread_num(), nt = omp_get_num_threads();
		for (long round = 0; round < SPIN_ROUNDS; round++) {
			long mine = round * nt + tid;
			while (atomic_load_explicit(&ticket, memory_order_acquire) != mine)
				__builtin_ia32_pause();
			/* Only the ticket holder touches spin_hash. */
			spin_hash = preempt_mix(spin_hash, (uint64_t)mine);
			if (atomic_fetch_add_explicit(&ticket, 1, memory_order_release) != mine)
				spin_errors++;
		}
	}

#pragma omp parallel for schedule(static, 1)
	for (long i = 0; i < 10000; i++) {
#pragma omp atomic
		atomic_count++;
		if (i % 10 == 0) {
#pragma omp critical
			critical_count += i % 7;
		}
	}

	long f = 0;
#pragma omp parallel
#pragma omp single
	f = fib(20);

	r->sum += sum;
	r->min = mn;
	r->max = mx;
	r->xor_all ^= x;
	r->spin_hash = preempt_mix(r->spin_hash, spin_hash);
	r->atomic_count += atomic_count;
	r->critical_count += critical_count;
	r->barrier_errors += barrier_errors;
	r->spin_errors += spin_errors;
	r->fib20 = f;
}

int main(int argc, char **argv)
{
	int reps = argc > 1 ? atoi(argv[1]) : 1;
	int nt = omp_get_max_threads();
	if (nt > MAX_THREADS) {
		printf("more than %d threads\n", MAX_THREADS);
		return 1;
	}
	struct results r = { 0 };
	for (int i = 0; i < reps; i++)
		run(&r);

	/* The same, serially, for the checks. */
	uint64_t sum = 0, mn = UINT64_MAX, mx = 0, x = 0, spin_hash = 0, spin_all = 0;
	for (long i = 0; i < N; i++) {
		sum += h((uint64_t)i) % 1000;
		uint64_t v = h((uint64_t)i * 7 + 1);
		mn = v < mn ? v : mn;
		mx = v > mx ? v : mx;
		x ^= h((uint64_t)i * 3 + 2);
	}
	for (long t = 0; t < (long)SPIN_ROUNDS * nt; t++)
		spin_hash = preempt_mix(spin_hash, (uint64_t)t);
	long critical = 0;
	for (long i = 0; i < 10000; i += 10)
		critical += i % 7;
	for (int i = 0; i < reps; i++)
		spin_all = preempt_mix(spin_all, spin_hash);

	int ok_sum = r.sum == sum * (uint64_t)reps;
	int ok_minmax = r.min == mn && r.max == mx;
	int ok_xor = r.xor_all == (reps % 2 ? x : 0);
	int ok_spin = r.spin_hash == spin_all && r.spin_errors == 0;
	int ok_atomic = r.atomic_count == 10000L * reps && r.critical_count == critical * reps;
	int ok_fib = r.fib20 == fib_serial(20);
	printf("threads: %d\n", nt);
	printf("sum: %llu (%s)\n", (unsigned long long)r.sum, ok_sum ? "ok" : "WRONG");
	printf("min: %#llx max: %#llx (%s)\n", (unsigned long long)r.min, (unsigned long long)r.max,
	       ok_minmax ? "ok" : "WRONG");
	printf("xor: %#llx (%s)\n", (unsigned long long)r.xor_all, ok_xor ? "ok" : "WRONG");
	printf("barrier errors: %ld\n", r.barrier_errors);
	printf("spin ordering: %#llx, errors %ld (%s)\n", (unsigned long long)r.spin_hash, r.spin_errors,
	       ok_spin ? "ok" : "WRONG");
	printf("atomic: %ld critical: %ld (%s)\n", r.atomic_count, r.critical_count, ok_atomic ? "ok" : "WRONG");
	printf("fib(20) with tasks: %ld (%s)\n", r.fib20, ok_fib ? "ok" : "WRONG");
	int ok = ok_sum && ok_minmax && ok_xor && ok_spin && ok_atomic && ok_fib && r.barrier_errors == 0;
	printf("%s\n", ok ? "ok" : "FAILED");
	return ok ? 0 : 1;
}
