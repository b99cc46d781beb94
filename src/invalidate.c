/*-------------------------------------------------------------------------
 *
 * invalidate.c
 *		Write tracking and commit-time invalidation for the result cache.
 *
 * Design
 * ------
 * Shared memory holds a logical clock and a fixed array of generation
 * slots.  A relation maps to the slot hash(database, partition root): a
 * write to any partition invalidates every entry depending on any member of
 * its tree, and two relations sharing a slot only over-invalidate.  Every
 * database has an epoch slot (hash(database, InvalidOid)) that all entries
 * with dependencies also depend on; DDL and COMMIT PREPARED bump it.  A
 * global epoch slot (cache_clear) is part of every validity check.
 *
 * Each slot holds a generation (the logical time of the last commit that
 * wrote it) and a pending count (commits in flight).  The clock is
 * microseconds, like TimestampTz: a bump returns max(clock + 1, now), so
 * generations are >= the wall clock at the moment of the bump and strictly
 * increasing.
 *
 * A backend collects the slots it writes in a local write set: the
 * ExecutorStart hook sees every INSERT/UPDATE/DELETE/MERGE (also those run
 * by triggers, FK cascades, functions and writable CTEs: they start
 * executors of their own), the ProcessUtility hook sees COPY FROM, TRUNCATE
 * and DDL (anything that is not on a short harmless list bumps the
 * database's epoch).  Then, from the transaction callback:
 *
 *	PRE_COMMIT	pending += 1 on each written slot (before the commit record,
 *				so before any other session can see the commit)
 *	COMMIT		(runs after ProcArrayEndTransaction: the commit is visible)
 *				g = bump(clock); generation = max(generation, g);
 *				then pending -= 1
 *	ABORT		pending -= 1 if taken; a rollback changes nothing visible
 *
 * An entry stores a fence F taken BEFORE the snapshot its value was computed
 * from.  It is valid while, for each of its slots and the global epoch,
 * pending == 0 and generation < F.  Readers load pending first, then (after
 * a read barrier) the generation; writers raise the generation before they
 * drop pending (both atomic read-modify-write ops: full barriers).
 *
 * Why no stale entry is served: let W commit a write to a dependency after
 * the entry's snapshot was taken (so the value misses W).  W became visible
 * after that snapshot, hence after F, so W's bump g >= F.  Take a lookup
 * that starts after W is visible.  If it reads pending == 0 then W already
 * dropped its pending count, so its generation store happened before and
 * the lookup reads generation >= g >= F: a miss.  Otherwise it reads
 * pending > 0: a miss.  A store is checked the same way (refused when the
 * check fails), but its correctness does not depend on that check: an entry
 * stored "too late" is simply never valid.
 *
 * "W's bump g >= F": a bump is max(clock + 1, now).  A READ COMMITTED fence
 * is min(statement start, inval_fence()), and inval_fence() raises the clock
 * to max(clock, now) before the snapshot that computes the value is taken;
 * so g > F even if the wall clock steps backwards in between.  Under REPEATABLE READ / SERIALIZABLE, and for
 * cache_put, the fence is the transaction's start timestamp (the snapshot
 * is the transaction's, taken after it): there, and only there, a backward
 * step of the wall clock between that start and W's bump could let g < F.
 *
 * PREPARE TRANSACTION forgets the write set (nothing is visible yet);
 * COMMIT PREPARED, from any session and even after a restart, holds the
 * database epoch pending while it runs and bumps it afterwards: a blunt,
 * rare, full invalidation of the database.
 *
 * Locking contract: no locks.  Slots are pg_atomic variables; the write set
 * is backend-local.  Catalog lookups (partition root) happen only when a
 * write is recorded or an entry stored, never on the hit path.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/parallel.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/partition.h"
#include "catalog/pg_class.h"
#include "catalog/pg_inherits.h"
#include "common/hashfn.h"
#include "executor/executor.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "parser/parsetree.h"
#include "port/atomics.h"
#include "replication/logicalworker.h"
#include "storage/ipc.h"
#include "storage/shmem.h"
#include "utils/lsyscache.h"
#include "utils/timestamp.h"

#include "cognomega.h"
#include "invalidate.h"

#define INVAL_NSLOTS		8192
#define INVAL_GLOBAL_SLOT	INVAL_NSLOTS	/* one past the hashed ones */
#define INVAL_MAX_WRITES	64		/* then the database epoch instead */

typedef struct InvalSlot
{
	pg_atomic_uint64 generation;
	pg_atomic_uint32 pending;
} InvalSlot;

typedef struct InvalShared
{
	pg_atomic_uint64 clock;
	InvalSlot	slots[INVAL_NSLOTS + 1];
} InvalShared;

static InvalShared *inval_shared = NULL;

/* this transaction's written slots; inval_held: pending counts taken */
static uint32 inval_writes[INVAL_MAX_WRITES];
static int	inval_nwrites = 0;
static bool inval_held = false;
static bool inval_exit_registered = false;

/* COMMIT PREPARED in progress: database epoch slot held pending */
static bool inval_2pc_held = false;
static uint32 inval_2pc_slot = 0;

static void inval_xact_callback(XactEvent event, void *arg);
static void inval_release_at_exit(int code, Datum arg);

Size
invalidate_shmem_size(void)
{
	return MAXALIGN(sizeof(InvalShared));
}

void
invalidate_shmem_startup(void)
{
	bool		found;

	inval_shared = ShmemInitStruct("cognomega invalidation",
								   sizeof(InvalShared), &found);
	if (!found)
	{
		pg_atomic_init_u64(&inval_shared->clock, 0);
		for (int i = 0; i <= INVAL_NSLOTS; i++)
		{
			pg_atomic_init_u64(&inval_shared->slots[i].generation, 0);
			pg_atomic_init_u32(&inval_shared->slots[i].pending, 0);
		}
	}
}

void
invalidate_init(void)
{
	if (cognomega_is_preloaded)
		RegisterXactCallback(inval_xact_callback, NULL);
}

/*
 * Before a pending count is taken: a FATAL exit skips the transaction
 * callbacks and PG_FINALLY, and a count left behind would disable the slot's
 * entries until the server restarts.
 */
static void
inval_register_exit(void)
{
	if (inval_exit_registered)
		return;
	before_shmem_exit(inval_release_at_exit, (Datum) 0);
	inval_exit_registered = true;
}

/* ---- clock and slots ---- */

static uint32
inval_slot_of(Oid dbid, Oid relid)
{
	uint32		h = hash_combine(hash_uint32(dbid), hash_uint32(relid));

	return h % INVAL_NSLOTS;
}

uint32
inval_db_epoch_slot(void)
{
	return inval_slot_of(MyDatabaseId, InvalidOid);
}

uint32
inval_slot_for_relation(Oid relid)
{
	Oid			root = relid;

	if (get_rel_relispartition(relid))
	{
		List	   *ancestors = get_partition_ancestors(relid);

		if (ancestors != NIL)
			root = llast_oid(ancestors);
		list_free(ancestors);
	}
	return inval_slot_of(MyDatabaseId, root);
}

/* the wall clock, as this session reads it (see cognomega.debug_clock_skew) */
static TimestampTz
inval_wall_now(void)
{
	return TimestampTzPlusMilliseconds(GetCurrentTimestamp(), cognomega_debug_clock_skew_ms);
}

/*
 * A fence no later bump can reach: max(clock, now), with the clock raised
 * to it.  Every bump is then > it whatever the wall clock does afterwards.
 * One CAS on the shared clock: for the miss path, never the hit path.
 */
TimestampTz
inval_fence(void)
{
	uint64		now = (uint64) inval_wall_now();
	uint64		old = pg_atomic_read_u64(&inval_shared->clock);

	while (old < now && !pg_atomic_compare_exchange_u64(&inval_shared->clock, &old, now))
		;
	return (TimestampTz) Max(old, now);
}

/* advance the clock: max(clock + 1, now), returned */
static uint64
inval_clock_bump(void)
{
	uint64		now = (uint64) inval_wall_now();
	uint64		old = pg_atomic_read_u64(&inval_shared->clock);
	uint64		next;

	do
	{
		next = Max(old + 1, now);
	} while (!pg_atomic_compare_exchange_u64(&inval_shared->clock, &old, next));
	return next;
}

static void
inval_raise_generation(uint32 slot, uint64 g)
{
	pg_atomic_uint64 *gen = &inval_shared->slots[slot].generation;
	uint64		old = pg_atomic_read_u64(gen);

	while (old < g && !pg_atomic_compare_exchange_u64(gen, &old, g))
		;
}

static bool
inval_slot_valid(uint32 slot, TimestampTz fence)
{
	InvalSlot  *s = &inval_shared->slots[slot];

	if (pg_atomic_read_u32(&s->pending) != 0)
		return false;
	pg_read_barrier();
	return pg_atomic_read_u64(&s->generation) < (uint64) fence;
}

bool
inval_slots_valid(const uint32 *slots, int nslots, TimestampTz fence)
{
	if (fence <= 0 || !inval_slot_valid(INVAL_GLOBAL_SLOT, fence))
		return false;
	for (int i = 0; i < nslots; i++)
		if (!inval_slot_valid(slots[i], fence))
			return false;
	return true;
}

bool
inval_slots_stale(const uint32 *slots, int nslots, TimestampTz fence)
{
	if (pg_atomic_read_u64(&inval_shared->slots[INVAL_GLOBAL_SLOT].generation) >= (uint64) fence)
		return true;
	for (int i = 0; i < nslots; i++)
		if (pg_atomic_read_u64(&inval_shared->slots[slots[i]].generation) >= (uint64) fence)
			return true;
	return false;
}

void
inval_bump_slot(uint32 slot)
{
	inval_raise_generation(slot, inval_clock_bump());
}

void
inval_bump_global(void)
{
	inval_bump_slot(INVAL_GLOBAL_SLOT);
}

/* ---- the write set ---- */

static void
inval_note_slot(uint32 slot)
{
	for (int i = 0; i < inval_nwrites; i++)
		if (inval_writes[i] == slot)
			return;
	if (inval_nwrites == INVAL_MAX_WRITES - 1)
		slot = inval_db_epoch_slot();	/* the last place: blunt but safe */
	if (inval_nwrites < INVAL_MAX_WRITES)
		inval_writes[inval_nwrites++] = slot;
}

static void
inval_note_relation(Oid relid)
{
	if (OidIsValid(relid))
		inval_note_slot(inval_slot_for_relation(relid));
	else
		inval_note_slot(inval_db_epoch_slot());
}

bool
inval_written_by_me(const uint32 *slots, int nslots)
{
	for (int i = 0; i < nslots; i++)
		for (int j = 0; j < inval_nwrites; j++)
			if (slots[i] == inval_writes[j])
				return true;
	return false;
}

void
invalidate_executor_start(QueryDesc *queryDesc, int eflags)
{
	PlannedStmt *stmt = queryDesc->plannedstmt;

	if (inval_shared == NULL || (eflags & EXEC_FLAG_EXPLAIN_ONLY) ||
		IsParallelWorker() || stmt->resultRelations == NIL)
		return;

	for (int i = 0; i < list_length(stmt->resultRelations); i++)
	{
		RangeTblEntry *rte = rt_fetch(list_nth_int(stmt->resultRelations, i),
									  stmt->rtable);

		if (rte->rtekind == RTE_RELATION)
			inval_note_relation(rte->relid);
	}
}

/* utility statements that change no existing relation's contents or meaning */
static bool
inval_utility_harmless(Node *node)
{
	switch (nodeTag(node))
	{
		case T_TransactionStmt:
		case T_VariableSetStmt:
		case T_VariableShowStmt:
		case T_ExplainStmt:		/* EXPLAIN ANALYZE runs the executor hook */
		case T_PrepareStmt:
		case T_ExecuteStmt:
		case T_DeallocateStmt:
		case T_ListenStmt:
		case T_UnlistenStmt:
		case T_NotifyStmt:
		case T_VacuumStmt:
		case T_ClusterStmt:
		case T_ReindexStmt:
		case T_CheckPointStmt:
		case T_DoStmt:			/* its statements pass the hooks themselves */
		case T_CallStmt:
		case T_DeclareCursorStmt:
		case T_FetchStmt:
		case T_ClosePortalStmt:
		case T_LockStmt:
		case T_DiscardStmt:
		case T_LoadStmt:
		case T_ConstraintsSetStmt:
		case T_CreateStmt:		/* a new relation: no entry depends on it */
		case T_CreateTableAsStmt:
		case T_IndexStmt:
		case T_CreateSeqStmt:
		case T_CreateSchemaStmt:	/* sub-statements pass the hook */
		case T_CommentStmt:
		case T_CreateRoleStmt:	/* a new role has no entries */
		case T_AlterRoleSetStmt:	/* defaults for later sessions */
		case T_DropRoleStmt:
			return true;
			/*
			 * Not GRANT/REVOKE of a membership nor ALTER ROLE: they change
			 * what a role may read or execute (hits re-check privileges as
			 * well; entries of other databases rely on that alone).
			 */
		default:
			return false;
	}
}

/*
 * CREATE TABLE ... INHERITS adds a child whose writes entries on the parent
 * do not yet list (a new partition is mapped to its root's slot instead).
 */
static bool
inval_creates_inheritor(Node *node)
{
	return IsA(node, CreateStmt) &&
		((CreateStmt *) node)->inhRelations != NIL &&
		((CreateStmt *) node)->partbound == NULL;
}

/*
 * TRUNCATE rv: without ONLY it also empties rv's plain inheritance children,
 * whose slots are their own (a partition is mapped to its root's slot).
 */
static void
inval_note_truncated(RangeVar *rv)
{
	Oid			relid = RangeVarGetRelid(rv, NoLock, true);
	List	   *children;

	inval_note_relation(relid);
	if (!OidIsValid(relid) || !rv->inh ||
		get_rel_relkind(relid) != RELKIND_RELATION || !has_subclass(relid))
		return;
	children = find_all_inheritors(relid, NoLock, NULL);
	for (int i = 1; i < list_length(children); i++)
		inval_note_relation(list_nth_oid(children, i));
	list_free(children);
}

/*
 * Called by the ProcessUtility hook before the statement runs.  Returns true
 * for COMMIT PREPARED: the caller must then call invalidate_utility_end()
 * however the statement ends.
 */
bool
invalidate_utility_begin(PlannedStmt *pstmt)
{
	Node	   *node = pstmt->utilityStmt;

	if (inval_shared == NULL || node == NULL)
		return false;

	if (IsA(node, TransactionStmt))
	{
		TransactionStmt *ts = (TransactionStmt *) node;

		if (ts->kind != TRANS_STMT_COMMIT_PREPARED || inval_2pc_held)
			return false;
		inval_register_exit();
		inval_2pc_slot = inval_db_epoch_slot();
		pg_atomic_fetch_add_u32(&inval_shared->slots[inval_2pc_slot].pending, 1);
		inval_2pc_held = true;
		return true;
	}
	if (IsA(node, CopyStmt))
	{
		CopyStmt   *cs = (CopyStmt *) node;

		if (cs->is_from)
			inval_note_relation(cs->relation ?
								RangeVarGetRelid(cs->relation, NoLock, true) :
								InvalidOid);
		return false;
	}
	if (IsA(node, TruncateStmt))
	{
		TruncateStmt *ts = (TruncateStmt *) node;

		for (int i = 0; i < list_length(ts->relations); i++)
			inval_note_truncated(list_nth_node(RangeVar, ts->relations, i));
		if (ts->behavior == DROP_CASCADE)
			inval_note_slot(inval_db_epoch_slot());
		return false;
	}
	if (!inval_utility_harmless(node) || inval_creates_inheritor(node))
		inval_note_slot(inval_db_epoch_slot());
	return false;
}

/* COMMIT PREPARED finished (or failed): bump the epoch, drop pending */
void
invalidate_utility_end(bool two_phase)
{
	if (!two_phase || !inval_2pc_held)
		return;
	inval_bump_slot(inval_2pc_slot);
	pg_atomic_fetch_sub_u32(&inval_shared->slots[inval_2pc_slot].pending, 1);
	inval_2pc_held = false;
}

/* ---- transaction end ---- */

static void
inval_take_pending(void)
{
	if (inval_nwrites == 0 || inval_held)
		return;
	inval_register_exit();
	for (int i = 0; i < inval_nwrites; i++)
		pg_atomic_fetch_add_u32(&inval_shared->slots[inval_writes[i]].pending, 1);
	inval_held = true;
}

static void
inval_drop_pending(bool committed)
{
	if (inval_held)
	{
		if (committed)
		{
			uint64		g = inval_clock_bump();

			for (int i = 0; i < inval_nwrites; i++)
				inval_raise_generation(inval_writes[i], g);
		}
		for (int i = 0; i < inval_nwrites; i++)
			pg_atomic_fetch_sub_u32(&inval_shared->slots[inval_writes[i]].pending, 1);
		inval_held = false;
	}
	inval_nwrites = 0;
}

static void
inval_xact_callback(XactEvent event, void *arg)
{
	if (inval_shared == NULL)
		return;

	switch (event)
	{
		case XACT_EVENT_PRE_COMMIT:
			/* logical replication apply writes without the executor hook */
			if (IsLogicalWorker() &&
				TransactionIdIsValid(GetTopTransactionIdIfAny()))
				inval_note_slot(inval_db_epoch_slot());
			inval_take_pending();
			break;
		case XACT_EVENT_COMMIT:
			inval_drop_pending(true);
			break;
		case XACT_EVENT_ABORT:
		case XACT_EVENT_PREPARE:
			inval_drop_pending(false);
			break;
		default:
			break;
	}
}

/* a bump too many is harmless; a pending count left behind is not */
static void
inval_release_at_exit(int code, Datum arg)
{
	inval_drop_pending(true);
	invalidate_utility_end(inval_2pc_held);
}
