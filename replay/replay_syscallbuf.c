/* Replaying calls the in-process syscall buffer made (replay/syscallbuf.h,
 * docs/syscallbuf.md).
 *
 * The recorder writes a thread's buffered calls as an EV_SYSCALLBUF at
 * its first ptrace stop after them, so in the event stream the batch
 * comes before the thread's next event.  The replayer meets it while the
 * thread still stands at its previous event and writes the records back
 * into the thread's buffer: the library, in replay mode, takes each
 * call's result and output bytes from there, without a syscall and
 * without a ptrace stop.  Rarely the thread runs its stretch before the
 * batch is reached (it was already running when an earlier event of
 * another thread came); the library then finds no record and asks with
 * XRR_SYS_SB_WAIT, and the thread waits, like a parked one, until the
 * batch arrives. */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <sys/syscall.h>

#include "replay/fdtable.h"
#include "replay/replay_int.h"
#include "replay/syscallbuf.h"

static int no_memory(void *ctx, uint64_t addr, void *buf, size_t len)
{
	(void)ctx;
	(void)addr;
	(void)buf;
	(void)len;
	return -1;
}

/* What a buffered write handed the kernel (XRR_SB_REC_INPUT), or NULL. */
static const uint8_t *written_bytes(const struct xrr_sb_record *rec,
				    const uint8_t *data, size_t ndata,
				    uint64_t *len)
{
	size_t off = 0;
	uint64_t n;

	if (!(rec->flags & XRR_SB_REC_INPUT))
		return NULL;
	if (rec->flags & XRR_SB_REC_PATH) {
		const uint8_t *nul = memchr(data, 0, ndata);
		if (!nul)
			return NULL;
		off = ((size_t)(nul - data) + 1 + 7) & ~(size_t)7;
	}
	if (off + 8 > ndata)
		return NULL;
	memcpy(&n, data + off, 8);
	if (n > ndata - off - 8)
		return NULL;
	*len = n;
	return data + off + 8;
}

/* The batch's calls, in order: writes that reached the recorder's
 * stdout or stderr are shown again (replay -a), and buffered close,
 * openat, fcntl... change which fds do. */
static void echo_and_track(struct replayer *r, struct replay_thread *th,
			   const struct ev_syscallbuf *sb)
{
	struct xrr_sb_record rec;
	const uint8_t *data, *bytes;
	size_t pos = 0, ndata;
	uint64_t len;

	while (syscallbuf_next_record(sb, &pos, &rec, &data, &ndata) == 1) {
		FILE *out;
		if (rec.nr == SYS_pwritev2 && rec.result > 0 &&
		    (bytes = written_bytes(&rec, data, ndata, &len)) &&
		    (out = replay_echo_stream(r, rec.args[0]))) {
			fwrite(bytes, 1, (uint64_t)rec.result < len
			       ? (size_t)rec.result : (size_t)len, out);
			fflush(out);
		}
		if (th->fdt)
			fdtable_syscall(&th->fdt, (long)rec.nr,
					(const uint64_t *)rec.args, rec.result,
					no_memory, NULL);
	}
}

int replay_syscallbuf_batch(struct replayer *r, struct replay_stop *stop)
{
	const struct ev_syscallbuf *sb = &r->ev.u.syscallbuf;
	struct replay_thread *th = replay_thread_by_rec(r, r->ev.tid);
	char err[256];

	if (!th || th->exited || !th->rp)
		return replay_diverged(r, stop, "calls buffered by thread %d, "
				       "which is not running", (int)r->ev.tid);
	replay_use_thread(r, th);
	if (syscallbuf_prefill(&th->rp->proc, sb, err, sizeof(err)) < 0)
		return replay_error(r, stop, "event %" PRIu64 ": thread %d: %s",
				    r->ev_index, (int)th->rec_tid, err);
	echo_and_track(r, th, sb);
	if (th->sb_waiting) {
		/* Its XRR_SYS_SB_WAIT returns and the library looks again. */
		struct task *t = process_find_task(&th->rp->proc, th->real_tid);
		if (!t || replay_set_rax(r, t, 0) < 0)
			return replay_error(r, stop, "thread %d: ending its wait "
					    "for buffered calls: %s",
					    (int)th->rec_tid, th->rp->proc.err);
		th->sb_waiting = false;
		replay_runq_push(r, th->rec_tid, true);
	}
	return 0;
}

int replay_syscallbuf_wait(struct replayer *r, struct replay_thread *th,
			   struct task *t, struct replay_stop *stop)
{
	struct user_regs_struct g;

	if (task_get_gregs(r->proc, t, &g) < 0)
		return replay_error(r, stop, "%s", r->proc->err);
	/* Its own next event is due: no batch is coming before it. */
	if (r->have_ev && r->ev.tid == th->rec_tid)
		return replay_diverged(r, stop, "thread %d's syscall buffer "
				       "wants record %llu (syscall %lld) but "
				       "the trace has %s next: the program "
				       "buffered other calls than in the "
				       "recording", (int)th->rec_tid,
				       (unsigned long long)g.rsi,
				       (long long)g.rdi,
				       trace_event_name(r->ev.type));
	th->sb_waiting = true;
	replay_runq_remove(r, th->rec_tid);
	return 0;
}
