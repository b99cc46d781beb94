/*-------------------------------------------------------------------------
 *
 * partman.h
 *		Partition management (docs/partman.md): the API other
 *		capabilities (the maintenance job of jobs.c, the stats job, setup)
 *		use.  Its internals are behind partman_int.h.
 *
 *-------------------------------------------------------------------------
 */
#ifndef COGNOMEGA_PARTMAN_H
#define COGNOMEGA_PARTMAN_H

#include "postgres.h"

#include "datatype/timestamp.h"
#include "nodes/pg_list.h"

/*
 * How many range partitions of parent start after 'at' within the premade
 * window seen from 'at': premade_ahead of partition_status as it was at
 * that time, with today's partitions.  -1 when the parent no longer exists
 * or is not managed, INT_MAX when its lock is held (maintenance at work:
 * never waited for).  zone is part_config.time_zone.  Takes AccessShareLock
 * on the parent if free; needs no privilege on it; SPI connected (reads
 * part_config).
 */
extern int	partman_premade_ahead_at(Oid parent, const char *zone, TimestampTz at);

/*
 * What other capabilities read and write of cognomega.part_config: only
 * through these.  Each needs SPI connected and runs as the current user.
 */

/* is parent managed?  false too when part_config does not exist */
extern bool partman_is_managed(Oid parent);
/* every managed parent (OIDs) */
extern List *partman_parents(void);

/*
 * The parents due for maintenance, by OID, and their names (regclass as
 * text) in *names: every one when all, else those whose own
 * maintenance_interval (or interval_s) has nine tenths elapsed.
 */
extern List *partman_due_parents(int interval_s, bool all, List **names);
/* when the first parent with a maintenance_interval of its own is due */
extern bool partman_next_due(TimestampTz *at);
/* parent's last_error (NULL when none) in *error; false if not managed */
extern bool partman_last_error(Oid parent, char **error);
/* stamp a maintenance run of parent that failed whole, with its error */
extern void partman_record_failure(Oid parent, const char *error);
/* keep parent's retention at retention_min minutes */
extern void partman_set_retention(Oid parent, int retention_min);
/* jsonb {"parent": premake, ...} of every managed parent */
extern Datum partman_premakes(void);

/*
 * text[] of the managed parents in managed (jsonb, partition_status by
 * parent) that are short of future partitions maintenance should have made
 * by now (stats.c's alert MISSING_FUTURE_PARTITIONS); interval_s is the
 * maintenance interval of parents without their own.
 */
extern Datum partman_late_parents(Datum managed, int interval_s);

#endif							/* COGNOMEGA_PARTMAN_H */
