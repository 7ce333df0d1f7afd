/* Pure decisions of the replay engine: where our scratch pages go, in what
 * order and how recorded mappings are recreated, whether a syscall matches
 * its record, and the test hook that alters one record. */
#include "config.h"

#include "replay/replay_int.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "replay/syscalls.h"

/* ---- scratch pages ------------------------------------------------------- */

static bool overlaps(const struct replay_range *used, size_t n, uint64_t start,
		     uint64_t end)
{
	for (size_t i = 0; i < n; i++)
		if (start < used[i].end && used[i].start < end)
			return true;
	return false;
}

/* Candidates far from where kernels put things (0x400000 executables,
 * 0x5555... PIE, 0x7fff... libraries and stack), each tried with a margin
 * so that neighbouring recorded mappings cannot grow into the pages. */
uint64_t replay_plan_scratch(const struct replay_range *used, size_t nused)
{
	static const uint64_t candidates[] = {
		0x6ffff0000000ull, 0x3ffff0000000ull, 0x1ffff0000000ull,
		0x100000000ull, 0x10000000ull,
	};
	const uint64_t margin = 16 * REPLAY_PAGE;

	for (size_t c = 0; c < sizeof(candidates) / sizeof(candidates[0]); c++)
		for (uint64_t a = candidates[c];
		     a < candidates[c] + 4096 * REPLAY_PAGE; a += 64 * REPLAY_PAGE)
			if (!overlaps(used, nused, a - margin,
				      a + REPLAY_SCRATCH_LEN + margin))
				return a;
	return 0;
}

/* ---- recreating mappings --------------------------------------------------- */

static bool is_pseudo(const struct trace_mapping *m, const char *name)
{
	return m->path && strcmp(m->path, name) == 0;
}

enum replay_map_kind replay_map_kind(const struct trace_mapping *m)
{
	if (is_pseudo(m, "[vsyscall]") || m->start >= REPLAY_USER_TOP)
		return REPLAY_MAP_SKIP;
	if (is_pseudo(m, "[stack]"))
		return REPLAY_MAP_STACK;
	if (m->file.hex[0])
		return REPLAY_MAP_FILE;
	return REPLAY_MAP_ANON;
}

int replay_map_flags(const struct trace_mapping *m)
{
	switch (replay_map_kind(m)) {
	case REPLAY_MAP_FILE:
		/* The stored copy is read-only and must never change:
		 * a shared file mapping becomes private. */
		return MAP_PRIVATE | MAP_FIXED;
	case REPLAY_MAP_STACK:
		return MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_GROWSDOWN;
	case REPLAY_MAP_ANON:
		return ((m->flags & MAP_SHARED) ? MAP_SHARED : MAP_PRIVATE) |
		       MAP_ANONYMOUS | MAP_FIXED;
	case REPLAY_MAP_SKIP:
		break;
	}
	return 0;
}

static const struct trace_mapping *sort_maps;

static int by_stack_then_address(const void *a, const void *b)
{
	const struct trace_mapping *ma = &sort_maps[*(const size_t *)a];
	const struct trace_mapping *mb = &sort_maps[*(const size_t *)b];
	bool sa = replay_map_kind(ma) == REPLAY_MAP_STACK;
	bool sb = replay_map_kind(mb) == REPLAY_MAP_STACK;

	if (sa != sb)
		return sa ? -1 : 1;
	return ma->start < mb->start ? -1 : ma->start > mb->start;
}

void replay_plan_order(const struct trace_mapping *maps, size_t n,
		       size_t *order)
{
	for (size_t i = 0; i < n; i++)
		order[i] = i;
	sort_maps = maps;
	qsort(order, n, sizeof(*order), by_stack_then_address);
	sort_maps = NULL;
}

/* ---- matching -------------------------------------------------------------- */

static void describe_call(char *buf, size_t size, long nr,
			  const uint64_t args[6])
{
	const char *name = syscall_name(nr);
	char num[32];

	if (!name) {
		snprintf(num, sizeof(num), "syscall_%ld", nr);
		name = num;
	}
	snprintf(buf, size, "%s(0x%" PRIx64 ", 0x%" PRIx64 ", 0x%" PRIx64
		 ", 0x%" PRIx64 ", 0x%" PRIx64 ", 0x%" PRIx64 ")", name,
		 args[0], args[1], args[2], args[3], args[4], args[5]);
}

/* The address space is rebuilt identically, so every argument, pointers
 * included, must be what it was. */
bool replay_syscall_matches(const struct ev_syscall *rec, long nr,
			    const uint64_t args[6], char *msg, size_t msglen)
{
	bool same = rec->number == nr;
	/* Only the arguments the call has: the other registers hold
	 * whatever user code left there (an rdtsc value the machine could
	 * not trap, a value a replayed child inherits differently), which
	 * the kernel never looks at.  Unknown numbers: all six. */
	const struct syscall_desc *d = syscall_lookup(nr);
	int nargs = d && d->nargs <= 6 ? d->nargs : 6;

	for (int i = 0; i < nargs && same; i++)
		same = rec->args[i] == args[i];
	if (same)
		return true;
	char want[192], got[192];
	describe_call(want, sizeof(want), (long)rec->number, rec->args);
	describe_call(got, sizeof(got), nr, args);
	snprintf(msg, msglen, "expected %s, got %s", want, got);
	return false;
}

/* ---- test hook ---------------------------------------------------------------- */

static bool valid_field(const char *f)
{
	static const char *const fields[] = {
		"result", "nr", "arg0", "arg1", "arg2", "arg3", "arg4", "arg5",
	};
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		if (strcmp(f, fields[i]) == 0)
			return true;
	return false;
}

int replay_alter_parse(const char *spec, struct replay_alter *a, char *err,
		       size_t errlen)
{
	char field[16];
	unsigned long long ev;
	long long v;
	int used = 0;

	memset(a, 0, sizeof(*a));
	if (!spec || !*spec)
		return 0;
	if (sscanf(spec, "%llu:%15[a-z0-9]=%lli%n", &ev, field, &v, &used) != 3 ||
	    spec[used] != '\0' || !valid_field(field)) {
		snprintf(err, errlen, "XRR_TEST_ALTER_EVENT=%s: expected "
			 "N:FIELD=VALUE with FIELD result, nr or arg0..arg5",
			 spec);
		return -1;
	}
	a->active = true;
	a->event = ev;
	a->value = v;
	snprintf(a->field, sizeof(a->field), "%s", field);
	return 0;
}

void replay_alter_apply(const struct replay_alter *a, uint64_t index,
			struct trace_event *ev)
{
	if (!a->active || a->event != index || ev->type != EV_SYSCALL)
		return;
	struct ev_syscall *s = &ev->u.syscall;
	if (strcmp(a->field, "result") == 0)
		s->result = a->value;
	else if (strcmp(a->field, "nr") == 0)
		s->number = a->value;
	else
		s->args[a->field[3] - '0'] = (uint64_t)a->value;
}
