/* Subcommands of the xrr command-line frontend.  Each takes the argv
 * that follows the subcommand name (argv[0] is the subcommand) and
 * returns the process exit status. */
#ifndef XRR_FRONTEND_H
#define XRR_FRONTEND_H

struct subcommand {
	const char *name;
	const char *summary;
	int (*run)(int argc, char **argv);
};

/* Defined by the subcommand table in xrr.c; NULL-terminated. */
extern const struct subcommand xrr_subcommands[];

/* "xrr: " + message on stderr. */
void xrr_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#include <stddef.h>

/* A TRACE argument (NULL: latest-trace) to a trace directory under the
 * default root.  0, or -1 with a message in err. */
int xrr_resolve_trace(const char *arg, char *dir, size_t dirlen, char *err,
		      size_t errlen);

/* A wait status as a shell reports it: the exit code, or 128 + signal. */
int xrr_shell_status(int wait_status);

int cmd_serve(int argc, char **argv);

int cmd_record(int argc, char **argv);
int cmd_replay(int argc, char **argv);
int cmd_info(int argc, char **argv);
int cmd_dump(int argc, char **argv);
int cmd_ps(int argc, char **argv);
int cmd_ls(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_checksum(int argc, char **argv);
int cmd_console(int argc, char **argv);
int cmd_pack(int argc, char **argv);
int cmd_unpack(int argc, char **argv);

#endif
