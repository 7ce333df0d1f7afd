#include "stub/signals.h"

#include <signal.h>
#include <stddef.h>

/* Linux signal -> GDB signal number, for the classic signals.  Index is
 * the host number. */
static const struct {
	int host;
	int gdb;
} signal_map[] = {
	{ SIGHUP, 1 },   { SIGINT, 2 },     { SIGQUIT, 3 },  { SIGILL, 4 },
	{ SIGTRAP, 5 },  { SIGABRT, 6 },    { SIGFPE, 8 },   { SIGKILL, 9 },
	{ SIGBUS, 10 },  { SIGSEGV, 11 },   { SIGSYS, 12 },  { SIGPIPE, 13 },
	{ SIGALRM, 14 }, { SIGTERM, 15 },   { SIGURG, 16 },  { SIGSTOP, 17 },
	{ SIGTSTP, 18 }, { SIGCONT, 19 },   { SIGCHLD, 20 }, { SIGTTIN, 21 },
	{ SIGTTOU, 22 }, { SIGIO, 23 },     { SIGXCPU, 24 }, { SIGXFSZ, 25 },
	{ SIGVTALRM, 26 }, { SIGPROF, 27 }, { SIGWINCH, 28 }, { SIGUSR1, 30 },
	{ SIGUSR2, 31 }, { SIGPWR, 32 },    { SIGSTKFLT, 0 },
};

/* Real-time signals are in two runs in GDB's numbering. */
#define GDB_REALTIME_32 77
#define GDB_REALTIME_33 45
#define GDB_REALTIME_63 75
#define GDB_REALTIME_64 78
#define GDB_REALTIME_127 141
#define GDB_SIGNAL_UNKNOWN 143

int gdb_signal_from_host(int signo)
{
	if (signo == 0)
		return 0;
	for (size_t i = 0; i < sizeof(signal_map) / sizeof(signal_map[0]); i++)
		if (signal_map[i].host == signo)
			return signal_map[i].gdb ? signal_map[i].gdb
						 : GDB_SIGNAL_UNKNOWN;
	if (signo == 32)
		return GDB_REALTIME_32;
	if (signo >= 33 && signo <= 63)
		return GDB_REALTIME_33 + (signo - 33);
	if (signo >= 64 && signo <= 127)
		return GDB_REALTIME_64 + (signo - 64);
	return GDB_SIGNAL_UNKNOWN;
}

int gdb_signal_to_host(int gdb_signo)
{
	if (gdb_signo == 0)
		return 0;
	for (size_t i = 0; i < sizeof(signal_map) / sizeof(signal_map[0]); i++)
		if (signal_map[i].gdb == gdb_signo)
			return signal_map[i].host;
	if (gdb_signo == GDB_REALTIME_32)
		return 32;
	if (gdb_signo >= GDB_REALTIME_33 && gdb_signo <= GDB_REALTIME_63)
		return 33 + (gdb_signo - GDB_REALTIME_33);
	if (gdb_signo >= GDB_REALTIME_64 && gdb_signo <= GDB_REALTIME_127)
		return 64 + (gdb_signo - GDB_REALTIME_64);
	return 0;
}
