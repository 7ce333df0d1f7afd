/* Tick sources: "none" (no PMU, the only one so far). */
#include "config.h"

#include "replay/tick_source.h"

static int none_attach(void *state, pid_t tid)
{
	(void)state;
	(void)tid;
	return 0;
}

static void none_detach(void *state, pid_t tid)
{
	(void)state;
	(void)tid;
}

static uint64_t none_read(void *state, pid_t tid)
{
	(void)state;
	(void)tid;
	return 0;
}

static bool none_interrupt_after(void *state, pid_t tid, uint64_t ticks)
{
	(void)state;
	(void)tid;
	(void)ticks;
	return false;
}

static const struct tick_source_ops tick_source_none = {
	.name = "none",
	.attach = none_attach,
	.detach = none_detach,
	.read = none_read,
	.interrupt_after = none_interrupt_after,
};

const struct tick_source_ops *tick_source_select(void)
{
	/* A PMU source would be probed here (perf_event_open of retired
	 * conditional branches on the bound CPU) and preferred. */
	return &tick_source_none;
}
