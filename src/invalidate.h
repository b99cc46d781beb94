/*-------------------------------------------------------------------------
 *
 * invalidate.h
 *		Write tracking and commit-time invalidation: the generation slots the
 *		result cache (cache.c) validates its entries against.
 *
 * A "slot" is an index into a fixed shared array of generations.  Every
 * relation maps to the slot of its partition root in its database; slot
 * collisions only over-invalidate.  Each database also has an "epoch" slot
 * (DDL, COMMIT PREPARED), and there is one global epoch (cache_clear).
 *
 *-------------------------------------------------------------------------
 */
#ifndef COGNOMEGA_INVALIDATE_H
#define COGNOMEGA_INVALIDATE_H

#include "postgres.h"
#include "datatype/timestamp.h"
#include "executor/execdesc.h"
#include "nodes/plannodes.h"

/* load time (cognomega.c): settings and callbacks; shared memory */
extern void invalidate_init(void);
extern void invalidate_shmem_request(void);
extern void invalidate_shmem_startup(void);

/* slot of rel's partition root (catalog lookups: not for the hit path) */
extern uint32 inval_slot_for_relation(Oid relid);

/*
 * A dependency slot with this bit is checked by inval_written_by_me only:
 * an entry depending on keys of R lists R's relation slot so, for own
 * writes, but not for validity (UNKEYED(R) and the KEY slots are checked).
 */
#define INVAL_SLOT_OWN_ONLY	0x80000000U

/*
 * KEY(root, column, value) and UNKEYED(root) of relid's partition root for
 * an entry depending on "column = value" (value: the key's text output);
 * false when writes to relid do not report column (depend on the relation)
 */
extern bool inval_key_slots(Oid relid, const char *column, const char *value,
							uint32 *key_slot, uint32 *unkeyed_slot);

/* ALL and UNKEYED of relid's partition root (cache_invalidate_relation) */
extern void inval_relation_slots(Oid relid, uint32 *all_slot,
								 uint32 *unkeyed_slot);

/* the epoch slot of the current database */
extern uint32 inval_db_epoch_slot(void);

/*
 * A fence published in the shared clock: every later commit bumps
 * generations strictly above it, even if the wall clock steps backwards.
 * For a value computed from a snapshot taken after this call.
 */
extern TimestampTz inval_fence(void);

/*
 * true when no slot has a commit in flight and every generation is strictly
 * older than fence (the global epoch included)
 */
extern bool inval_slots_valid(const uint32 *slots, int nslots,
							  TimestampTz fence);

/* true when every generation is >= fence for none of them (pending ignored) */
extern bool inval_slots_stale(const uint32 *slots, int nslots,
							  TimestampTz fence);

/* true when this transaction has written (or DDL'd) one of the slots */
extern bool inval_written_by_me(const uint32 *slots, int nslots);

/* immediate invalidation (cache_invalidate_relation, cache_clear) */
extern void inval_bump_slot(uint32 slot);
extern void inval_bump_global(void);

/* hook bodies, chained from cognomega.c */
extern void invalidate_executor_start(QueryDesc *queryDesc, int eflags);
extern bool invalidate_utility_begin(PlannedStmt *pstmt);
extern void invalidate_utility_end(bool two_phase);

#endif							/* COGNOMEGA_INVALIDATE_H */
