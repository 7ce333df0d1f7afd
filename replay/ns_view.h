/* A recorded task as it sees itself across namespaces: its pid in its
 * own pid namespace, and files by the names it uses in its own mount
 * namespace and root (docs/recording.md, "Namespaces").  The recorder
 * reads everything through /proc of its own namespace; these helpers
 * say what those answers mean for the task. */
#ifndef XRR_REPLAY_NS_VIEW_H
#define XRR_REPLAY_NS_VIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* tid's number in its own pid namespace: the last field of NSpid in
 * /proc/TID/status (1 for the init of a new pid namespace).  tid itself
 * when the kernel has no NSpid line; 0 when the task is gone. */
pid_t ns_view_tid(pid_t tid);

/* Parse the NSpid line of a status text: its last field, 0 if none. */
pid_t ns_view_parse_nspid(const char *status_text);

/* From a /proc/PID[/task/TID]/status text: is the process the init of
 * its pid namespace (NStgid's last field is 1)?  The kernel delivers
 * such a process no signal whose action is the default one, SIGKILL
 * and SIGSTOP excepted (docs/recording.md, "Namespaces"). */
bool ns_view_is_pid_ns_init(const char *status_text);

/* Is task pid in the recorder's mount namespace? */
bool ns_view_same_mount_ns(pid_t pid);

/* A name under which the recorder opens the file that /proc/PID/maps
 * (read by the recorder) calls `path`, and finds a regular file with
 * inode ino.  The kernel writes that path relative to the reader's root
 * when it can reach it, i.e. when pid is in the recorder's mount
 * namespace (chroot or not): then `path` itself.  Otherwise it is the
 * path inside pid's mount namespace, from its root after a pivot_root:
 * /proc/PID/root/path.  false when that does not lead to the inode (a
 * file gone or replaced, a chroot inside another mount namespace):
 * /proc/PID/map_files still reaches it, with privilege. */
bool ns_view_path(pid_t pid, const char *path, uint64_t ino, char *out,
		  size_t outlen);
/* The same name without the inode check; false if it does not fit. */
bool ns_view_name(pid_t pid, const char *path, char *out, size_t outlen);

#endif
