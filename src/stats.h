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
#include "datatype/timestamp.h"

/* minimum cache lookups in the window before LOW_CACHE_HIT_RATE is judged */
#define STATS_MIN_LOOKUPS	100

/*
 * Run the stats job.  Called inside a transaction with SPI connected;
 * returns the one-line summary allocated in result_cxt.
 */
extern char *stats_run(MemoryContext result_cxt);

/* one row into cognomega.job_history (transaction open, SPI connected) */
extern void stats_record_job(const char *job, TimestampTz started, const char *status,
							 int sqlerrcode, const char *message, const char *result,
							 bool by_worker);

/* the stats job's settings (alerts, histories), from _PG_init */
extern void stats_init(void);

#endif							/* COGNOMEGA_STATS_H */
