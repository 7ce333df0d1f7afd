/* Two threads that compute without system calls, each calling a short
 * name compare from straight code longer than the recorder's probe (256
 * instructions), the shape of GDB's DWARF-reading worker threads.  A
 * preemption that lands in the straight code finds no loop; where the
 * probe ends is often inside the compare, which the thread passes
 * millions of times in a time slice: a point replay must find there at
 * the speed of the code, not at one ptrace stop per arrival
 * (docs/preemption.md, "Place").
 *
 * argv[1]: outer steps per thread (default 2000000, about 0.4 s of CPU).  Prints
 * each thread's result (deterministic) and "ok". */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define NTHREADS 2
#define NNAMES 16

static const char *const names[NNAMES] = {
	"dwarf2_per_cu_data_lookup", "dwarf2_per_cu_data_lookup_end",
	"DWARF2_PER_CU_DATA_LOOKUP", "dwarf2_per_cu_Data_Lookup_x",
	"dwarf2_per_objfile_read", "dwarf2_per_objfile_read_all",
	"Dwarf2_Per_Objfile_Read", "dwarf2_per_objfile_READ_ALL",
	"cooked_index_entry_find", "cooked_index_entry_find_all",
	"COOKED_INDEX_ENTRY_FIND", "cooked_index_entry_Finder",
	"symbol_search_name_cmp", "symbol_search_name_cmp_iw",
	"SYMBOL_SEARCH_NAME_CMP", "symbol_search_name_Cmp_Iw",
};

static unsigned char fold[256];

/* Case-insensitive compare, one byte a turn: a hot, short loop of short
 * instructions. */
static __attribute__((noinline)) int name_cmp(const char *a, const char *b)
{
	while (*a && fold[(unsigned char)*a] == fold[(unsigned char)*b]) {
		a++;
		b++;
	}
	return fold[(unsigned char)*a] - fold[(unsigned char)*b];
}

static uint64_t words[64];

/* One serial chain per MIX: the compiler can neither vectorise nor fold
 * it, so each step is a few hundred instructions of straight code. */
#define MIX(k) h = (h ^ words[(i + (k)) & 63]) * 0x100000001b3ull; h ^= h >> 29;
#define MIX8(k) MIX(k) MIX(k + 1) MIX(k + 2) MIX(k + 3) MIX(k + 4) \
	MIX(k + 5) MIX(k + 6) MIX(k + 7)

static __attribute__((noinline)) uint64_t step(uint64_t h, unsigned i)
{
	MIX8(0) MIX8(8) MIX8(16) MIX8(24) MIX8(32) MIX8(40) MIX8(48) MIX8(56)
	h += (uint64_t)(int64_t)name_cmp(names[i % NNAMES],
					  names[(i * 7 + 3) % NNAMES]);
	h += (uint64_t)(int64_t)name_cmp(names[(i + 1) % NNAMES],
					  names[(i * 5 + 1) % NNAMES]);
	return h;
}

static long steps = 2000000;
static uint64_t results[NTHREADS];

static void *worker(void *arg)
{
	long id = (long)arg;
	uint64_t h = 0xcbf29ce484222325ull + (uint64_t)id;

	for (long i = 0; i < steps; i++)
		h = step(h, (unsigned)(i + id));
	results[id] = h;
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t th[NTHREADS];

	if (argc > 1)
		steps = atol(argv[1]);
	for (int c = 0; c < 256; c++)
		fold[c] = (unsigned char)(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
	for (int k = 0; k < 64; k++)
		words[k] = (uint64_t)k * 0x9e3779b97f4a7c15ull;
	for (long id = 0; id < NTHREADS; id++)
		if (pthread_create(&th[id], NULL, worker, (void *)id)) {
			printf("pthread_create failed\nFAILED\n");
			return 1;
		}
	for (int id = 0; id < NTHREADS; id++)
		pthread_join(th[id], NULL);
	for (int id = 0; id < NTHREADS; id++)
		printf("thread %d: %016llx\n", id, (unsigned long long)results[id]);
	printf("ok\n");
	return 0;
}
