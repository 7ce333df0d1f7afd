/* Where xrr finds its private files (the syscall buffer library, the
 * checksum implant): an environment variable naming the file, else next
 * to the running xrr in the build tree, else in the installed pkglibdir.
 * One rule for all of them, so a build tree and an installed xrr behave
 * the same way. */
#ifndef XRR_REPLAY_INSTALL_PATHS_H
#define XRR_REPLAY_INSTALL_PATHS_H

#include <stddef.h>

/* name: the file ("xrr-preload.so"); build_dir: its folder in the build
 * tree ("syscallbuf"); env: the overriding variable; what: how errors
 * name it ("syscall buffer library").  0 with the absolute path in out,
 * or -1 with a message naming the places looked at and the variable. */
int install_find_private_file(const char *name, const char *build_dir,
			      const char *env, const char *what, char *out,
			      size_t len, char *err, size_t errlen);

/* A data file (GDB's helper xrr-gdb.py): $env, else next to the running
 * xrr (the build tree keeps a copy there), else in the installed
 * pkgdatadir (<dir of xrr>/../share/xrr).  Same results as above. */
int install_find_data_file(const char *name, const char *env,
			   const char *what, char *out, size_t len, char *err,
			   size_t errlen);

#endif
