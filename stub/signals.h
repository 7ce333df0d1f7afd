/* Host (Linux x86-64) signal numbers <-> GDB's remote-protocol numbers.
 * GDB numbers signals the BSD way (SIGUSR1 is 30 on the wire, 10 here). */
#ifndef XRR_STUB_SIGNALS_H
#define XRR_STUB_SIGNALS_H

int gdb_signal_from_host(int signo);
/* 0 for GDB signals that have no host equivalent. */
int gdb_signal_to_host(int gdb_signo);

#endif
