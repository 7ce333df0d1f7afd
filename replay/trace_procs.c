/* The process table of a trace (replay/trace_procs.h). */
#include "config.h"

#include "replay/trace_procs.h"
#include "replay/trace_events.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct scan {
	struct trace_proc *procs;
	size_t n, cap;
	/* Which process each live thread belongs to. */
	struct { pid_t tid; size_t proc; } *threads;
	size_t nthreads, tcap;
	bool failed;
};

static struct trace_proc *add_proc(struct scan *s, pid_t pid)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 16;
		struct trace_proc *p = realloc(s->procs, cap * sizeof(*p));
		if (!p) {
			s->failed = true;
			return NULL;
		}
		s->procs = p;
		s->cap = cap;
	}
	struct trace_proc *p = &s->procs[s->n++];
	memset(p, 0, sizeof(*p));
	p->pid = pid;
	p->fork_event = p->exec_event = p->exit_event = TRACE_NO_EVENT;
	return p;
}

/* Thread tid now belongs to process index proc (a reused tid moves). */
static void set_thread(struct scan *s, pid_t tid, size_t proc)
{
	for (size_t i = 0; i < s->nthreads; i++)
		if (s->threads[i].tid == tid) {
			s->threads[i].proc = proc;
			return;
		}
	if (s->nthreads == s->tcap) {
		size_t cap = s->tcap ? 2 * s->tcap : 32;
		void *p = realloc(s->threads, cap * sizeof(*s->threads));
		if (!p) {
			s->failed = true;
			return;
		}
		s->threads = p;
		s->tcap = cap;
	}
	s->threads[s->nthreads].tid = tid;
	s->threads[s->nthreads].proc = proc;
	s->nthreads++;
	s->procs[proc].nthreads++;
}

static struct trace_proc *proc_of_thread(struct scan *s, pid_t tid)
{
	for (size_t i = 0; i < s->nthreads; i++)
		if (s->threads[i].tid == tid)
			return &s->procs[s->threads[i].proc];
	return NULL;
}

static void set_argv(struct scan *s, struct trace_proc *p, char **argv,
		     size_t argc)
{
	for (size_t i = 0; i < p->argc; i++)
		free(p->argv[i]);
	free(p->argv);
	p->argv = NULL;
	p->argc = 0;
	if (!argc)
		return;
	p->argv = calloc(argc, sizeof(*p->argv));
	if (!p->argv) {
		s->failed = true;
		return;
	}
	for (size_t i = 0; i < argc; i++) {
		p->argv[i] = strdup(argv[i] ? argv[i] : "");
		if (!p->argv[i]) {
			s->failed = true;
			return;
		}
		p->argc++;
	}
}

static void on_event(struct scan *s, const struct trace_event *e,
		     uint64_t index, const struct trace_header *h)
{
	struct trace_proc *p = proc_of_thread(s, e->tid);

	switch (e->type) {
	case EV_EXEC:
		if (!p) {       /* the first process */
			p = add_proc(s, e->tid);
			if (!p)
				return;
			set_thread(s, e->tid, s->n - 1);
		}
		if (p->exec_event == TRACE_NO_EVENT)
			p->exec_event = index;
		p->nexecs++;
		if (e->u.exec.argc)
			set_argv(s, p, e->u.exec.argv, e->u.exec.argc);
		else if (index == 0)
			set_argv(s, p, h->argv, h->argc);
		break;
	case EV_FORK: {
		pid_t ppid = p ? p->pid : 0;
		size_t parent = p ? (size_t)(p - s->procs) : SIZE_MAX;
		struct trace_proc *c = add_proc(s, e->u.fork.new_tid);
		if (!c)
			return;
		c->ppid = ppid;
		c->ns_pid = e->u.fork.ns_tid;
		c->fork_event = index;
		if (parent != SIZE_MAX)
			set_argv(s, c, s->procs[parent].argv,
				 s->procs[parent].argc);
		set_thread(s, e->u.fork.new_tid, s->n - 1);
		break;
	}
	case EV_THREAD_CREATE:
		if (p)
			set_thread(s, e->u.thread_create.new_tid,
				   (size_t)(p - s->procs));
		break;
	case EV_EXIT:
		if (p && p->exit_event == TRACE_NO_EVENT) {
			p->exit_event = index;
			p->exit_status = e->u.exit.status;
		}
		break;
	default:
		break;
	}
}

int trace_procs_read(const struct trace *t, struct trace_proc **procs,
		     size_t *n, bool *complete, char *err, size_t errlen)
{
	struct trace_reader *rd = trace_stream_reader(t, TRACE_STREAM_EVENTS,
						      err, errlen);
	struct scan s = { 0 };
	struct trace_event e;
	enum trace_status st;
	uint64_t index = 0;

	*procs = NULL;
	*n = 0;
	if (!rd)
		return -1;
	while ((st = trace_event_read(rd, &e, err, errlen)) == TRACE_RECORD) {
		on_event(&s, &e, index++, trace_header(t));
		trace_event_free(&e);
		if (s.failed)
			break;
	}
	trace_reader_close(rd);
	free(s.threads);
	if (s.failed) {
		snprintf(err, errlen, "reading the process table: out of memory");
		trace_procs_free(s.procs, s.n);
		return -1;
	}
	if (st == TRACE_CORRUPT) {
		trace_procs_free(s.procs, s.n);
		return -1;
	}
	if (complete)
		*complete = st == TRACE_EOF;
	*procs = s.procs;
	*n = s.n;
	return 0;
}

void trace_procs_free(struct trace_proc *procs, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		for (size_t k = 0; k < procs[i].argc; k++)
			free(procs[i].argv[k]);
		free(procs[i].argv);
	}
	free(procs);
}

const struct trace_proc *trace_procs_find(const struct trace_proc *procs,
					  size_t n, pid_t pid)
{
	for (size_t i = n; i-- > 0;)
		if (procs[i].pid == pid)
			return &procs[i];
	return NULL;
}
