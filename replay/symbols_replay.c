/* Source locations of a replayed thread (replay/symbols.h): its
 * registers and memory through the task layer, its address space from
 * /proc/PID/maps (the replay maps the trace's stored files). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "replay/symbols.h"
#include "replay/task.h"

struct task_mem {
	struct process *p;
};

static int read_task_mem(void *ctx, uint64_t addr, void *buf, size_t len)
{
	struct task_mem *m = ctx;
	return process_read_memory(m->p, addr, buf, len) == (ssize_t)len ? 0 : -1;
}

static struct sym_space *task_space(struct sym_table *st, struct process *p,
				    struct task *t,
				    struct user_regs_struct *regs, char *err,
				    size_t errlen)
{
	if (!t || task_get_gregs(p, t, regs) < 0) {
		snprintf(err, errlen, "cannot read the thread's registers%s%s",
			 t ? ": " : "", t ? p->err : "");
		return NULL;
	}
	struct sym_space *s = sym_space_new();
	if (!s) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (sym_space_from_proc(s, st, p->pid, err, errlen) < 0) {
		sym_space_free(s);
		return NULL;
	}
	return s;
}

int sym_task_location(struct sym_table *st, struct process *p,
		      struct task *t, struct sym_location *loc, char *err,
		      size_t errlen)
{
	struct user_regs_struct regs;
	struct sym_space *s = task_space(st, p, t, &regs, err, errlen);

	if (!s)
		return -1;
	sym_lookup(st, s, regs.rip, false, loc);
	sym_space_free(s);
	return 0;
}

ssize_t sym_task_backtrace(struct sym_table *st, struct process *p,
			   struct task *t, struct sym_frame *out, size_t max,
			   char *err, size_t errlen)
{
	struct user_regs_struct regs;
	struct sym_space *s = task_space(st, p, t, &regs, err, errlen);
	struct task_mem m = { p };

	if (!s)
		return -1;
	size_t n = sym_backtrace(st, s, &regs, read_task_mem, &m, out, max);
	sym_space_free(s);
	return (ssize_t)n;
}
