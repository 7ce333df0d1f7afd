/* xrr check as a function: replay calls it to refuse a trace up front. */
#ifndef XRR_FRONTEND_CHECK_H
#define XRR_FRONTEND_CHECK_H

#include <stdbool.h>
#include <stdio.h>

/* Print the report for the trace in dir; 0 replayable here, 1 not, 2 the
 * trace could not be read. */
int xrr_check_trace(const char *dir, bool json, FILE *out);
/* The same without output unless it is not replayable (then the report
 * goes to out). */
int xrr_check_before_replay(const char *dir, FILE *out);

#endif
