/*-------------------------------------------------------------------------
 *
 * partman.h
 *		Partition management (DESIGN.md section 2): the API other
 *		capabilities (the maintenance job of worker.c, the stats job) use.
 *
 *-------------------------------------------------------------------------
 */
#ifndef COGNOMEGA_PARTMAN_H
#define COGNOMEGA_PARTMAN_H

#include "postgres.h"

#include "datatype/timestamp.h"

/*
 * Maintain every managed parent the current user may maintain (every one
 * for a superuser), each in its own subtransaction: a parent that fails
 * (lock_timeout, dropped behind our back, any error) is reported with a
 * WARNING, its failure recorded in part_config.last_error, and the others
 * are still maintained.  Its two steps (creating partitions, retention)
 * are subtransactions of their own: one failing ("retention: ..." in
 * last_error) does not undo the other, and counts as the parent failing.  With only_due, parents whose maintenance interval
 * (part_config.maintenance_interval, NULL = cognomega.maintenance_interval)
 * has not elapsed since last_maintenance are skipped.
 *
 * Runs in the caller's transaction and connects to SPI itself (nested
 * inside the caller's SPI connection, if any).  Returns the number of parents that failed; *nactions (if not NULL)
 * receives the number of actions taken (created, dropped, ...).  When a
 * parent failed and first_error is not NULL, *first_error receives its
 * message (palloc'd in the caller's context).
 */
extern int	partman_run_maintenance_all(bool only_due, int64 *nactions,
										char **first_error);

/*
 * How many range partitions of parent start after 'at': premade_ahead of
 * partition_status as it was at that time, with today's partitions.  -1 when
 * the parent no longer exists.  zone is part_config.time_zone.  Takes
 * AccessShareLock on the parent; needs no privilege on it; no SPI.
 */
extern int	partman_premade_ahead_at(Oid parent, const char *zone, TimestampTz at);

#endif							/* COGNOMEGA_PARTMAN_H */
