/* Tracee memory and software breakpoints.
 *
 * process_vm_readv/writev are fast but honour page protections; the
 * /proc/PID/mem file (opened as the tracer) can write read-only code
 * pages and is the fallback for everything they refuse. */
#include "config.h"

#include "replay/task.h"
#include "replay/task_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#define INT3 0xcc

static int mem_fd(struct process *p)
{
	if (p->mem_fd < 0) {
		char path[64];
		snprintf(path, sizeof(path), "/proc/%d/mem", (int)p->pid);
		p->mem_fd = open(path, O_RDWR | O_CLOEXEC);
	}
	return p->mem_fd;
}

void task_mem_forget(struct process *p)
{
	/* The open file still refers to the old address space. */
	if (p->mem_fd >= 0)
		close(p->mem_fd);
	p->mem_fd = -1;
	p->nbps = 0;
	p->rsys_addr = 0;
}

/* pread/pwrite on /proc/PID/mem until done or the first failure. */
static ssize_t mem_file_rw(struct process *p, uint64_t addr, void *buf,
			   size_t len, bool write)
{
	int fd = mem_fd(p);
	size_t done = 0;

	if (fd < 0)
		return -errno;
	while (done < len) {
		/* Addresses above 2^63 do not fit an off_t. */
		if (addr + done > (uint64_t)INT64_MAX)
			break;
		ssize_t n = write ?
			pwrite(fd, (const uint8_t *)buf + done, len - done,
			       (off_t)(addr + done)) :
			pread(fd, (uint8_t *)buf + done, len - done,
			      (off_t)(addr + done));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (done == 0)
				return n < 0 ? -errno : -EIO;
			break;
		}
		done += (size_t)n;
	}
	return (ssize_t)done;
}

static ssize_t vm_rw(struct process *p, uint64_t addr, void *buf, size_t len,
		     bool write)
{
	struct iovec local = { buf, len };
	struct iovec remote = { (void *)(uintptr_t)addr, len };

	return write ? process_vm_writev(p->pid, &local, 1, &remote, 1, 0)
		     : process_vm_readv(p->pid, &local, 1, &remote, 1, 0);
}

/* Fast path first; what it could not do goes through /proc/PID/mem.  A
 * short count means the rest is unmapped. */
static ssize_t mem_rw(struct process *p, uint64_t addr, void *buf, size_t len,
		      bool write)
{
	if (len == 0)
		return 0;
	ssize_t n = vm_rw(p, addr, buf, len, write);
	size_t done = n > 0 ? (size_t)n : 0;

	if (done < len) {
		ssize_t m = mem_file_rw(p, addr + done, (uint8_t *)buf + done,
					len - done, write);
		if (m > 0)
			done += (size_t)m;
		else if (done == 0)
			return m < 0 ? m : -EIO;
	}
	return (ssize_t)done;
}

ssize_t task_mem_read_raw(struct process *p, uint64_t addr, void *buf,
			  size_t len)
{
	return mem_rw(p, addr, buf, len, false);
}

ssize_t task_mem_write_raw(struct process *p, uint64_t addr, const void *buf,
			   size_t len)
{
	return mem_rw(p, addr, (void *)buf, len, true);
}

ssize_t process_read_memory(struct process *p, uint64_t addr, void *buf,
			    size_t len)
{
	ssize_t n = task_mem_read_raw(p, addr, buf, len);

	if (n < 0)
		task_fail(p, (int)-n, "process_read_memory(%d, 0x%llx, %zu)",
			  (int)p->pid, (unsigned long long)addr, len);
	return n;
}

static bool in_range(uint64_t a, uint64_t start, size_t len)
{
	return a >= start && a - start < len;
}

ssize_t process_read_memory_clean(struct process *p, uint64_t addr,
				  void *buf, size_t len)
{
	ssize_t n = process_read_memory(p, addr, buf, len);

	for (size_t i = 0; n > 0 && i < p->nbps; i++)
		if (in_range(p->bps[i].addr, addr, (size_t)n))
			((uint8_t *)buf)[p->bps[i].addr - addr] = p->bps[i].saved;
	return n;
}

/* Writes keep breakpoints in place: bytes meant for a breakpoint address
 * become its saved byte and the int3 stays. */
ssize_t process_write_memory(struct process *p, uint64_t addr,
			     const void *buf, size_t len)
{
	uint8_t small[256];
	uint8_t *copy = NULL;
	const uint8_t *src = buf;
	bool covers_bp = false;

	for (size_t i = 0; i < p->nbps && !covers_bp; i++)
		covers_bp = in_range(p->bps[i].addr, addr, len);
	if (covers_bp) {
		if (len > sizeof(small))
			return task_fail(p, E2BIG, "process_write_memory(%d): "
					 "write over a breakpoint too long",
					 (int)p->pid);
		copy = small;
		memcpy(copy, buf, len);
		for (size_t i = 0; i < p->nbps; i++) {
			if (!in_range(p->bps[i].addr, addr, len))
				continue;
			p->bps[i].saved = copy[p->bps[i].addr - addr];
			copy[p->bps[i].addr - addr] = INT3;
		}
		src = copy;
	}
	ssize_t n = task_mem_write_raw(p, addr, src, len);
	if (n < 0)
		task_fail(p, (int)-n, "process_write_memory(%d, 0x%llx, %zu)",
			  (int)p->pid, (unsigned long long)addr, len);
	return n;
}

/* ---- software breakpoints ----------------------------------------------------- */

static struct breakpoint *find_bp(struct process *p, uint64_t addr)
{
	for (size_t i = 0; i < p->nbps; i++)
		if (p->bps[i].addr == addr)
			return &p->bps[i];
	return NULL;
}

bool process_has_breakpoint(const struct process *p, uint64_t addr)
{
	return find_bp((struct process *)p, addr) != NULL;
}

int process_insert_breakpoint(struct process *p, uint64_t addr)
{
	struct breakpoint *bp = find_bp(p, addr);
	uint8_t orig, int3 = INT3;

	if (bp) {
		bp->refcount++;
		return 0;
	}
	if (p->nbps == TASK_MAX_BREAKPOINTS)
		return task_fail(p, ENOSPC, "process_insert_breakpoint(%d)",
				 (int)p->pid);
	ssize_t n = task_mem_read_raw(p, addr, &orig, 1);
	if (n == 1)
		n = task_mem_write_raw(p, addr, &int3, 1);
	if (n != 1)
		return task_fail(p, n < 0 ? (int)-n : EIO,
				 "process_insert_breakpoint(%d, 0x%llx)",
				 (int)p->pid, (unsigned long long)addr);
	p->bps[p->nbps++] = (struct breakpoint){ addr, orig, 1 };
	return 0;
}

int process_remove_breakpoint(struct process *p, uint64_t addr)
{
	struct breakpoint *bp = find_bp(p, addr);

	if (!bp)
		return task_fail(p, ENOENT, "process_remove_breakpoint(%d, "
				 "0x%llx)", (int)p->pid,
				 (unsigned long long)addr);
	if (--bp->refcount > 0)
		return 0;
	ssize_t n = task_mem_write_raw(p, addr, &bp->saved, 1);
	*bp = p->bps[--p->nbps];
	if (n != 1 && !p->exited)
		return task_fail(p, n < 0 ? (int)-n : EIO,
				 "process_remove_breakpoint(%d, 0x%llx)",
				 (int)p->pid, (unsigned long long)addr);
	return 0;
}
