/*-------------------------------------------------------------------------
 *
 * stats.h
 *		The stats job: one row into cognomega.stats_history, then the alerts
 *		of cognomega.alerts raised and resolved.
 *
 *-------------------------------------------------------------------------
 */
#ifndef COGNOMEGA_STATS_H
#define COGNOMEGA_STATS_H

#include "postgres.h"

/* minimum cache lookups in the window before LOW_CACHE_HIT_RATE is judged */
#define STATS_MIN_LOOKUPS	100

/*
 * Run the stats job.  Called inside a transaction with SPI connected;
 * returns the one-line summary allocated in result_cxt.
 */
extern char *stats_run(MemoryContext result_cxt);

#endif							/* COGNOMEGA_STATS_H */
