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
 * How many range partitions of parent start after 'at': premade_ahead of
 * partition_status as it was at that time, with today's partitions.  -1 when
 * the parent no longer exists, INT_MAX when its lock is held (maintenance
 * at work: never waited for).  zone is part_config.time_zone.  Takes
 * AccessShareLock on the parent if free; needs no privilege on it; no SPI.
 */
extern int	partman_premade_ahead_at(Oid parent, const char *zone, TimestampTz at);

#endif							/* COGNOMEGA_PARTMAN_H */
