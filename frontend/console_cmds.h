/* The console's commands, as a table: names, usage, help, completion. */
#ifndef XRR_FRONTEND_CONSOLE_CMDS_H
#define XRR_FRONTEND_CONSOLE_CMDS_H

#include <stdbool.h>

#include "frontend/console.h"

/* What tab completes in a command's arguments. */
enum console_complete {
	COMPLETE_NONE,
	COMPLETE_SYMBOL,        /* the executable's functions and objects */
	COMPLETE_EVENT,         /* the current event and checkpoints' */
	COMPLETE_REGISTER,
	COMPLETE_FILE,
	COMPLETE_WORDS,         /* `words` */
	COMPLETE_COMMAND,
};

struct console_command {
	const char *name;
	const char *alias;           /* short form, or NULL */
	const char *usage;
	const char *help;
	int (*run)(struct console *con, int argc, char **argv);
	enum console_complete complete;
	const char *words;           /* space-separated, for COMPLETE_WORDS */
};

extern const struct console_command console_commands[];

/* Run one line.  0 done, -1 the command failed (message printed), 1 quit. */
int console_run_line(struct console *con, const char *line);

/* Register names for completion: the description's and zmm/ymm. */
const char *console_register_name(const struct console *con, size_t i);

#endif
