/* Measurements for testsuite/bench/implant-bench.sh:
 *
 *   implant_bench TARGET CHECKSUM_SO MIB FORK_MIB
 *
 * TARGET is testsuite/progs/implant_target.  Prints, one per line:
 *   path NAME SECONDS GBPS HASH   checksum implant over MIB MiB (best of 5)
 *   host SECONDS GBPS HASH        the same bytes read out with
 *                                 process_vm_readv and hashed here by
 *                                 libxxhash (in-process, no debugger)
 *   fork MS_BEST MS_MEDIAN        diversion_fork with FORK_MIB resident */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <xxhash.h>

#include "replay/diversion.h"
#include "replay/implant.h"
#include "replay/task.h"

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Spawn TARGET bigmem MIB and run it to its int3 (rdi, rsi: buffer). */
static struct process *start(const char *target, const char *mib,
			     struct implant_range *buf)
{
	char *argv[] = { (char *)target, "bigmem", (char *)mib, NULL };
	char err[256];
	struct process *p = calloc(1, sizeof(*p));
	struct task_stop st;
	struct user_regs_struct r;

	if (process_spawn(p, argv, NULL, NULL, err, sizeof(err)) < 0) {
		fprintf(stderr, "implant_bench: %s\n", err);
		exit(1);
	}
	struct task *t = process_find_task(p, p->pid);
	do {
		if (task_resume(p, t, TASK_RESUME_CONT, 0) < 0 ||
		    process_wait(p, &st, 0) != 1 || p->exited) {
			fprintf(stderr, "implant_bench: target did not stop\n");
			exit(1);
		}
	} while (!(st.kind == TASK_STOP_SIGNAL && st.signo == SIGTRAP));
	task_get_gregs(p, t, &r);
	buf->addr = r.rdi;
	buf->len = r.rsi;
	return p;
}

static void paths(const char *target, const char *so, const char *mib)
{
	struct implant_range buf;
	struct process *p = start(target, mib, &buf);
	struct task *t = process_find_task(p, p->pid);
	struct implant *im = implant_load(p, t, so);

	if (!im) {
		fprintf(stderr, "implant_bench: %s\n", p->err);
		exit(1);
	}
	for (int path = CHECKSUM_PATH_SCALAR; path <= CHECKSUM_PATH_AVX512;
	     path++) {
		double best = 1e9;
		uint64_t h = 0;
		int used = 0;
		for (int i = 0; i < 5; i++) {
			double t0 = now();
			if (implant_checksum(p, t, im, &buf, 1, path, &h,
					     &used) < 0) {
				fprintf(stderr, "implant_bench: %s\n", p->err);
				exit(1);
			}
			double dt = now() - t0;
			best = dt < best ? dt : best;
		}
		if (used != path)       /* not on this CPU */
			continue;
		printf("path %s %.6f %.2f %016llx\n",
		       implant_checksum_path_name(path), best,
		       buf.len / best / 1e9, (unsigned long long)h);
	}
	/* The same bytes hashed by the tracer itself, for comparison. */
	uint8_t *copy = malloc(buf.len);
	double t0 = now();
	process_read_memory(p, buf.addr, copy, buf.len);
	uint64_t h = XXH3_64bits(copy, buf.len);
	double dt = now() - t0;
	printf("host %.6f %.2f %016llx\n", dt, buf.len / dt / 1e9,
	       (unsigned long long)h);
	free(copy);
	implant_unload(p, t, im);
	process_kill(p);
	process_free(p);
	free(p);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void forks(const char *target, const char *mib)
{
	struct implant_range buf;
	struct process *p = start(target, mib, &buf);
	struct task *t = process_find_task(p, p->pid);
	struct process *copy = calloc(1, sizeof(*copy));
	double ms[9];

	for (int i = 0; i < 9; i++) {
		double t0 = now();
		if (diversion_fork(p, t, copy) < 0) {
			fprintf(stderr, "implant_bench: %s\n", p->err);
			exit(1);
		}
		ms[i] = (now() - t0) * 1e3;
		diversion_kill(copy);
	}
	qsort(ms, 9, sizeof(ms[0]), cmp_double);
	printf("fork %.2f %.2f\n", ms[0], ms[4]);
	free(copy);
	process_kill(p);
	process_free(p);
	free(p);
}

int main(int argc, char **argv)
{
	if (argc != 5) {
		fprintf(stderr, "usage: implant_bench TARGET CHECKSUM_SO MIB "
			"FORK_MIB\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	paths(argv[1], argv[2], argv[3]);
	forks(argv[1], argv[4]);
	return 0;
}
