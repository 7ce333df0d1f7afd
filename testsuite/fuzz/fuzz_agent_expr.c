/* libFuzzer target: the agent-expression evaluator on arbitrary
 * bytecode.  Registers and memory come from the input itself, so loads
 * see varied values; every run must end (the step bound), with a known
 * status, and never read outside the code or the stack (ASan). */
#include "config.h"

#include <string.h>

#include "protocol/agent_expr.h"
#include "testsuite/fuzz/fuzz_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct input {
	const uint8_t *data;
	size_t size;
};

/* Register n is 8 bytes of the input from n; registers past 64 fail. */
static int in_reg(void *ctx, unsigned regnum, uint64_t *value)
{
	const struct input *in = ctx;
	uint8_t b[8] = { 0 };
	if (regnum >= 64)
		return -1;
	for (size_t i = 0; i < 8 && regnum + i < in->size; i++)
		b[i] = in->data[regnum + i];
	memcpy(value, b, sizeof(b));
	return 0;
}

/* Memory is the input, mapped at 0x1000. */
static int in_mem(void *ctx, uint64_t addr, void *buf, size_t len)
{
	const struct input *in = ctx;
	check(len == 1 || len == 2 || len == 4 || len == 8);
	if (addr < 0x1000 || addr - 0x1000 > in->size ||
	    len > in->size - (addr - 0x1000))
		return -1;
	memcpy(buf, in->data + (addr - 0x1000), len);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in = { data, size };
	const struct ax_access acc = { in_reg, in_mem, &in };
	uint64_t v = 0;
	enum ax_status st = ax_eval(data, size, &acc, &v);
	check(strcmp(ax_status_text(st), "unknown status") != 0);
	check(size > 0 || st == AX_ERR_EMPTY);
	check(ax_condition_true(data, size, &acc) == (st != AX_OK || v != 0));
	return 0;
}
