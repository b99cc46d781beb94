/*-------------------------------------------------------------------------
 *
 * replica.h
 *		The result cache on hot standbys (docs/cache.md "Replicas"): a custom WAL
 *		resource manager carries each writing transaction's invalidation
 *		slots from the primary to its standbys (replica.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef COGNOMEGA_REPLICA_H
#define COGNOMEGA_REPLICA_H

#include "postgres.h"

/*
 * The resource manager's ID, in PostgreSQL's custom range (128 is the
 * experimental one); see README ("Replicas").
 */
#define REPLICA_RM_ID		217
#define REPLICA_RM_NAME		"cognomega"

/* cognomega.replica_invalidation (PGC_POSTMASTER) */
extern bool replica_invalidation;

/*
 * From _PG_init: defines the setting and, when preloading, registers the
 * resource manager and shared memory.
 */
extern void replica_init(void);

/*
 * PRE_COMMIT / PRE_PREPARE of a transaction with this write set (slots of
 * invalidate.c): on the primary, with the setting on, a record of them
 * precedes the commit (prepare) record.
 */
extern void replica_log_writes(const uint32 *slots, int nslots, bool prepare);

/*
 * In recovery: whether this standby may serve and store entries now.
 * Always false when not in recovery (the primary's rules apply there).
 */
extern bool replica_serving(void);

/*
 * The miss path of a standby (before a fence is taken): release the slots
 * of replayed transactions that have since finished.
 */
extern void replica_sweep(void);

#endif							/* COGNOMEGA_REPLICA_H */
