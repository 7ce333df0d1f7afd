/* Time sources the recorder must capture: vdso clock_gettime,
 * gettimeofday, time; rdtsc and rdtscp; getrandom.  Prints only facts
 * that hold on every run (monotonic, plausible), so output can be compared
 * with a native run; with "show" prints the raw values too. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/time.h>
#include <time.h>
#include <x86intrin.h>

int main(int argc, char **argv)
{
	int show = argc > 1 && strcmp(argv[1], "show") == 0;
	struct timespec a, b;
	clock_gettime(CLOCK_MONOTONIC, &a);
	clock_gettime(CLOCK_MONOTONIC, &b);
	struct timeval tv;
	gettimeofday(&tv, NULL);
	time_t t = time(NULL);
	uint64_t t1 = __rdtsc();
	unsigned aux;
	uint64_t t2 = __rdtscp(&aux);
	unsigned char rnd[16];
	ssize_t got = getrandom(rnd, sizeof(rnd), 0);
	int mono = b.tv_sec > a.tv_sec || (b.tv_sec == a.tv_sec && b.tv_nsec >= a.tv_nsec);
	printf("monotonic %s\n", mono ? "ok" : "BACKWARDS");
	printf("gettimeofday %s\n", tv.tv_sec > 1600000000 ? "ok" : "bad");
	printf("time %s\n", t > 1600000000 && t - tv.tv_sec <= 2 ? "ok" : "bad");
	printf("rdtsc %s\n", t2 > t1 ? "ok" : "bad");
	printf("getrandom %zd\n", got);
	if (show)
		printf("values %lld.%09ld %lld %llu %llu %u %02x%02x%02x%02x\n",
		       (long long)a.tv_sec, a.tv_nsec, (long long)t,
		       (unsigned long long)t1, (unsigned long long)t2, aux,
		       rnd[0], rnd[1], rnd[2], rnd[3]);
	return 0;
}
