/*-------------------------------------------------------------------------
 *
 * invalidate.c
 *		Write tracking and commit-time invalidation for the result cache.
 *
 * Design
 * ------
 * Shared memory holds a logical clock and a fixed array of generation
 * slots (cognomega.cache_key_slots of them, and a global one).  A relation maps to the slot hash(database, partition root): a
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
 * executors of their own), the ProcessUtility hook sees COPY FROM and
 * TRUNCATE, and the object access hook sees what DDL creates, alters or
 * drops: a relation or what belongs to one (column, constraint, trigger,
 * rule, row type, ...) marks the relation's slot, a temporary object or a
 * new relation nothing, any other object (function, type, schema, ...) the
 * database's epoch.  DDL that finds nothing to do (DROP ... IF EXISTS)
 * reports nothing, so invalidates nothing.  Utility statements whose
 * effects that hook may not report, and are not on a short harmless list,
 * bump the database's epoch.  Then, from the transaction callback:
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
 * Key-level invalidation (since 0.3).  Per relation R (its partition root)
 * there are two more kinds of slot: UNKEYED(R) = hash(db, R, 'UNKY') and
 * KEY(R, column, value) = hash(db, R, column name, value's text output).
 * A write to R always notes ALL(R), the relation slot above.  It is
 * "keyed" when R's key trigger (cognomega_cache_keys, our C function, see
 * cache_key_column) fires on every leaf of R's tree with the root's
 * arguments whatever session_replication_role is (enabled ALWAYS: the role
 * can change between two rows of a statement, see inval_trigger_fires):
 * then the trigger notes KEY(R, c, v) for the old and the new row of each
 * changed row; otherwise (and for TRUNCATE, DDL, cache_invalidate_relation)
 * UNKEYED(R) is noted.  The decision is taken again at PRE_COMMIT, so a
 * trigger disabled on a leaf after a statement started (seen when the
 * statement locked that leaf) makes the write unkeyed.  An entry depending
 * on keys of R checks KEY(R, c, v) and UNKEYED(R) instead of ALL(R), which
 * it keeps, flagged INVAL_SLOT_OWN_ONLY, for the own-writes check only.
 * The argument above holds per slot: a commit that changes rows with c = v
 * of R holds KEY(R, c, v) or UNKEYED(R), and bumps it as it would ALL(R).
 * Too many keys in one transaction (INVAL_MAX_KEY_WRITES) degrade to
 * UNKEYED(R), not to the database epoch.
 *
 * PREPARE TRANSACTION forgets the write set (nothing is visible yet);
 * COMMIT PREPARED, from any session and even after a restart, holds the
 * database epoch pending while it runs and bumps it afterwards: a blunt,
 * rare, full invalidation of the database.  Unless the transaction wrote
 * nothing: a PREPARE with an empty write set records (database, GID) as
 * clean in shared memory, after it succeeded and while this backend still
 * holds the GID, and its COMMIT PREPARED then invalidates nothing (else any
 * role could wipe the database's entries with an empty prepared
 * transaction).  A restart forgets the records: the epoch again.
 *
 * Hot standbys (replica.c): with cognomega.replica_invalidation on, the
 * write set is also logged in WAL at PRE_COMMIT (after the pending counts
 * are taken) and at PRE_PREPARE; a standby's replay holds and bumps the same
 * slots through inval_hold_slot / inval_bump_slots / inval_release_slot.
 *
 * Locking contract: no locks.  Slots are pg_atomic variables; the write set
 * is backend-local.  Catalog lookups (partition root) happen only when a
 * write is recorded or an entry stored, never on the hit path.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/parallel.h"
#include "access/relation.h"
#include "access/table.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/objectaddress.h"
#include "catalog/objectaccess.h"
#include "catalog/partition.h"
#include "catalog/pg_attrdef.h"
#include "catalog/pg_cast.h"
#include "catalog/pg_collation.h"
#include "catalog/pg_class.h"
#include "catalog/pg_constraint.h"
#include "catalog/pg_conversion.h"
#include "catalog/pg_default_acl.h"
#include "catalog/pg_inherits.h"
#include "catalog/pg_namespace.h"
#include "catalog/pg_operator.h"
#include "catalog/pg_policy.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_rewrite.h"
#include "catalog/pg_statistic_ext.h"
#include "catalog/pg_trigger.h"
#include "catalog/pg_ts_config.h"
#include "catalog/pg_ts_dict.h"
#include "catalog/pg_language.h"
#include "commands/event_trigger.h"
#include "commands/extension.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "common/hashfn.h"
#include "executor/executor.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "nodes/parsenodes.h"
#include "parser/parse_func.h"
#include "parser/parser.h"
#include "parser/parse_type.h"
#include "parser/parsetree.h"
#include "port/atomics.h"
#include "replication/logicalworker.h"
#include "storage/ipc.h"
#include "storage/lmgr.h"
#include "storage/shmem.h"
#include "storage/spin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/guc.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/memutils.h"
#include "utils/syscache.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#include "cognomega.h"
#include "cache.h"
#include "invalidate.h"
#include "replica.h"
#include "spi_util.h"

/* settings (invalidate_init) */
static int	cognomega_cache_key_slots = 65536;
static int	cognomega_debug_clock_skew_ms = 0;

#define INVAL_NSLOTS		((uint32) cognomega_cache_key_slots)
#define INVAL_GLOBAL_SLOT	INVAL_NSLOTS	/* one past the hashed ones */
#define INVAL_MAX_WRITES	128		/* then the database epoch instead */
#define INVAL_MAX_KEY_WRITES 112	/* then a relation's keys: UNKEYED */
#define INVAL_MAX_NEST		64		/* utility statements inside each other */
#define INVAL_MAX_KEYED		16		/* keyed roots rechecked at PRE_COMMIT */

/* what the key trigger's C function is called (pg_proc.prosrc) */
#define INVAL_KEY_TRIGGER_SRC "cognomega_cache_key_trigger"

typedef struct InvalSlot
{
	pg_atomic_uint64 generation;
	pg_atomic_uint32 pending;
} InvalSlot;

/*
 * Prepared transactions that wrote nothing the cache tracks: their COMMIT
 * PREPARED need not bump the database epoch.  Lost at a restart, when a
 * COMMIT PREPARED bumps the epoch as before.
 */
#define INVAL_CLEAN_2PC		64

typedef struct InvalClean2pc
{
	Oid			dbid;			/* InvalidOid: a free place */
	char		gid[GIDSIZE];
} InvalClean2pc;

typedef struct InvalShared
{
	pg_atomic_uint64 clock;
	slock_t		clean_lock;
	InvalClean2pc clean[INVAL_CLEAN_2PC];
	InvalSlot	slots[FLEXIBLE_ARRAY_MEMBER];	/* INVAL_NSLOTS + 1, last */
} InvalShared;

static InvalShared *inval_shared = NULL;

/* this transaction's written slots; inval_held: pending counts taken */
static uint32 inval_writes[INVAL_MAX_WRITES];
static int	inval_nwrites = 0;
static bool inval_held = false;
static bool inval_exit_registered = false;

/*
 * Roots whose writes this transaction counted as keyed (their key triggers
 * report the keys): rechecked at PRE_COMMIT, see inval_recheck_keyed().
 */
static Oid	inval_keyed_roots[INVAL_MAX_KEYED];
static int	inval_nkeyed = 0;

/*
 * Per backend: whether a root's key triggers fire on every member of its
 * tree (for session_replication_role replica or not), and its key
 * columns; flushed by any relcache invalidation.
 */
typedef struct InvalKeyedInfo
{
	Oid			root;			/* hash key */
	int8		keyed[2];		/* [replica]: -1 unknown, 0 no, 1 yes */
	List	   *columns;		/* the root's key trigger arguments (names) */
	bool		columns_known;
	bool		has_trigger;
} InvalKeyedInfo;

static HTAB *inval_keyed_htab = NULL;
static MemoryContext inval_keyed_cxt = NULL;
static uint64 inval_keyed_resets = 0;	/* relcache invalidations seen */

/* the last partition whose root the key trigger looked up */
static Oid	inval_last_leaf = InvalidOid;
static Oid	inval_last_root = InvalidOid;

/* COMMIT PREPARED in progress: database epoch slot held pending */
static bool inval_2pc_held = false;
static uint32 inval_2pc_slot = 0;

/* the GID of the PREPARE TRANSACTION being run, "" when none */
static char inval_prepare_gid[GIDSIZE];

/*
 * The utility statements being run, innermost last: true where the catalog
 * changes it makes are to be ignored (a statement on the harmless list).
 */
static bool inval_ddl_ignore[INVAL_MAX_NEST];
static int	inval_ddl_depth = 0;

static object_access_hook_type prev_object_access_hook = NULL;

static void inval_xact_callback(XactEvent event, void *arg);
static void inval_release_at_exit(int code, Datum arg);
static void inval_object_access(ObjectAccessType access, Oid classId,
								Oid objectId, int subId, void *arg);
static void inval_relcache_callback(Datum arg, Oid relid);

static Size
invalidate_shmem_size(void)
{
	return MAXALIGN(add_size(offsetof(InvalShared, slots),
							 mul_size(INVAL_NSLOTS + 1, sizeof(InvalSlot))));
}

void
invalidate_shmem_request(void)
{
	RequestAddinShmemSpace(invalidate_shmem_size());
}

void
invalidate_shmem_startup(void)
{
	bool		found;

	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	inval_shared = ShmemInitStruct("cognomega invalidation",
								   invalidate_shmem_size(), &found);
	if (!found)
	{
		pg_atomic_init_u64(&inval_shared->clock, 0);
		for (int i = 0; i <= INVAL_NSLOTS; i++)
		{
			pg_atomic_init_u64(&inval_shared->slots[i].generation, 0);
			pg_atomic_init_u32(&inval_shared->slots[i].pending, 0);
		}
		SpinLockInit(&inval_shared->clean_lock);
		for (int i = 0; i < INVAL_CLEAN_2PC; i++)
			inval_shared->clean[i].dbid = InvalidOid;
	}
	LWLockRelease(AddinShmemInitLock);
}

/*
 * The settings of invalidation, and when preloaded its callbacks, from
 * _PG_init.  cognomega.cache_key_slots sizes shared memory: only definable
 * while preloading.
 */
void
invalidate_init(void)
{
	if (cognomega_is_preloaded)
		DefineCustomIntVariable("cognomega.cache_key_slots",
								"Generation slots relations and keys are hashed to for cache invalidation.",
								"Two keys sharing a slot only invalidate each other's entries (a miss, never a stale hit); 16 bytes of shared memory each.",
								&cognomega_cache_key_slots,
								65536, 1024, 1 << 28,
								PGC_POSTMASTER, 0,
								NULL, NULL, NULL);

	DefineCustomIntVariable("cognomega.debug_clock_skew",
							"Developer option: shift the wall clock the cache's invalidation reads in this session.",
							"Lets tests simulate a system clock stepped backwards.",
							&cognomega_debug_clock_skew_ms,
							0, -INT_MAX, INT_MAX,
							PGC_SUSET, GUC_UNIT_MS | GUC_NOT_IN_SAMPLE,
							NULL, NULL, NULL);

	if (!cognomega_is_preloaded)
		return;
	RegisterXactCallback(inval_xact_callback, NULL);
	CacheRegisterRelcacheCallback(inval_relcache_callback, (Datum) 0);
	prev_object_access_hook = object_access_hook;
	object_access_hook = inval_object_access;
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

/* the partition root of relid (relid itself when it is no partition) */
static Oid
inval_tree_root(Oid relid)
{
	Oid			root = relid;

	if (get_rel_relispartition(relid))
	{
		List	   *ancestors = get_partition_ancestors(relid);

		if (ancestors != NIL)
			root = llast_oid(ancestors);
		list_free(ancestors);
	}
	return root;
}

/*
 * The relation whose slots stand for relid: its partition root; for a
 * Citus shard (whose own partitions are shards too), the partition root of
 * the Citus table it is a shard of, so that a write to a shard on this
 * node invalidates what this node cached over the table (docs/cache.md,
 * Citus).
 */
static Oid
inval_partition_root(Oid relid)
{
	Oid			root = inval_tree_root(relid);
	Oid			table = cache_citus_shard_of(root);

	return OidIsValid(table) ? inval_tree_root(table) : root;
}

uint32
inval_slot_for_relation(Oid relid)
{
	return inval_slot_of(MyDatabaseId, inval_partition_root(relid));
}

/*
 * UNKEYED(root): bumped by the writes to root's tree whose keys are not
 * known; every entry depending on a key of root checks it.
 */
static uint32
inval_unkeyed_slot_of(Oid root)
{
	uint32		h = hash_combine(hash_uint32(MyDatabaseId), hash_uint32(root));

	return hash_combine(h, hash_uint32(0x554e4b59)) % INVAL_NSLOTS;
}

/* KEY(root, column, value): value is the key's text output */
static uint32
inval_key_slot_of(Oid root, const char *column, const char *value)
{
	uint32		h = hash_combine(hash_uint32(MyDatabaseId), hash_uint32(root));

	h = hash_combine(h, hash_bytes((const unsigned char *) column, strlen(column)));
	h = hash_combine(h, hash_bytes((const unsigned char *) value, strlen(value)));
	return h % INVAL_NSLOTS;
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
		if (!(slots[i] & INVAL_SLOT_OWN_ONLY) &&
			!inval_slot_valid(slots[i], fence))
			return false;
	return true;
}

bool
inval_slots_stale(const uint32 *slots, int nslots, TimestampTz fence)
{
	if (pg_atomic_read_u64(&inval_shared->slots[INVAL_GLOBAL_SLOT].generation) >= (uint64) fence)
		return true;
	for (int i = 0; i < nslots; i++)
		if (!(slots[i] & INVAL_SLOT_OWN_ONLY) &&
			pg_atomic_read_u64(&inval_shared->slots[slots[i]].generation) >= (uint64) fence)
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

/* ---- for replica.c: the slots of a standby ---- */

uint32
inval_nslots(void)
{
	return INVAL_NSLOTS;
}

uint32
inval_global_slot(void)
{
	return INVAL_GLOBAL_SLOT;
}

uint32
inval_db_epoch_slot_of(Oid dbid)
{
	return inval_slot_of(dbid, InvalidOid);
}

void
inval_hold_slot(uint32 slot)
{
	pg_atomic_fetch_add_u32(&inval_shared->slots[slot].pending, 1);
}

void
inval_release_slot(uint32 slot)
{
	pg_atomic_fetch_sub_u32(&inval_shared->slots[slot].pending, 1);
}

/* one clock bump raised on every slot (a commit becoming visible) */
void
inval_bump_slots(const uint32 *slots, int nslots)
{
	uint64		g = inval_clock_bump();

	for (int i = 0; i < nslots; i++)
		inval_raise_generation(slots[i], g);
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

/* a write whose keys are not known: ALL and UNKEYED of the root */
static void
inval_note_relation(Oid relid)
{
	Oid			root;

	if (!OidIsValid(relid))
	{
		inval_note_slot(inval_db_epoch_slot());
		return;
	}
	root = inval_partition_root(relid);
	inval_note_slot(inval_slot_of(MyDatabaseId, root));
	inval_note_slot(inval_unkeyed_slot_of(root));
}

static bool
inval_in_write_set(uint32 slot)
{
	for (int i = 0; i < inval_nwrites; i++)
		if (inval_writes[i] == slot)
			return true;
	return false;
}

bool
inval_written_by_me(const uint32 *slots, int nslots)
{
	for (int i = 0; i < nslots; i++)
		for (int j = 0; j < inval_nwrites; j++)
			if ((slots[i] & ~INVAL_SLOT_OWN_ONLY) == inval_writes[j])
				return true;
	return false;
}

/* ---- key-level invalidation ---- */

static void
inval_relcache_callback(Datum arg, Oid relid)
{
	/* a trigger, a partition or a relation changed: decide again */
	inval_keyed_resets++;
	if (inval_keyed_cxt != NULL)
	{
		MemoryContextReset(inval_keyed_cxt);
		inval_keyed_htab = NULL;
	}
	inval_last_leaf = InvalidOid;
	inval_last_root = InvalidOid;
}

/* is tgfoid our key trigger's C function? */
static bool
inval_is_key_function(Oid funcid)
{
	HeapTuple	tup = SearchSysCache1(PROCOID, ObjectIdGetDatum(funcid));
	bool		result = false;

	if (!HeapTupleIsValid(tup))
		return false;
	if (((Form_pg_proc) GETSTRUCT(tup))->prolang == ClanguageId)
	{
		bool		isnull;
		Datum		src = SysCacheGetAttr(PROCOID, tup, Anum_pg_proc_prosrc, &isnull);

		result = !isnull &&
			strcmp(TextDatumGetCString(src), INVAL_KEY_TRIGGER_SRC) == 0;
	}
	ReleaseSysCache(tup);
	return result;
}

/*
 * The key trigger of rel: an AFTER INSERT OR UPDATE OR DELETE FOR EACH ROW
 * trigger on our function, without WHEN or a column list.  NULL if none.
 */
static Trigger *
inval_key_trigger(Relation rel)
{
	TriggerDesc *td = rel->trigdesc;

	if (td == NULL)
		return NULL;
	for (int i = 0; i < td->numtriggers; i++)
	{
		Trigger    *t = &td->triggers[i];

		if (TRIGGER_FOR_ROW(t->tgtype) && TRIGGER_FOR_AFTER(t->tgtype) &&
			TRIGGER_FOR_INSERT(t->tgtype) && TRIGGER_FOR_UPDATE(t->tgtype) &&
			TRIGGER_FOR_DELETE(t->tgtype) && t->tgqual == NULL &&
			t->tgnattr == 0 && inval_is_key_function(t->tgfoid))
			return t;
	}
	return NULL;
}

/*
 * Whether the key trigger fires for every row, whatever
 * session_replication_role is when the row is stored: only when enabled
 * ALWAYS.  TriggerEnabled() reads the role per row, and a statement can
 * change it between rows (set_config(..., true) in an expression) and a
 * later SET LOCAL back before COMMIT, so the role seen at ExecutorStart or
 * PRE_COMMIT says nothing about the rows in between.
 */
static bool
inval_trigger_fires(const Trigger *t, bool replica)
{
	(void) replica;
	return t->tgenabled == TRIGGER_FIRES_ALWAYS;
}

static bool
inval_same_args(const Trigger *t, List *columns)
{
	if (t->tgnargs != list_length(columns))
		return false;
	for (int i = 0; i < t->tgnargs; i++)
		if (strcmp(t->tgargs[i], strVal(list_nth(columns, i))) != 0)
			return false;
	return true;
}

/*
 * Whether rows written to relid are reported by a key trigger with the
 * root's columns: false when in doubt (its lock is taken, it is gone).
 * The lock is only held while the trigger descriptor is read.
 */
static bool
inval_member_keyed(Oid relid, List *columns, bool replica)
{
	Relation	rel;
	Trigger    *t;
	bool		result;

	if (!ConditionalLockRelationOid(relid, AccessShareLock))
		return false;
	rel = try_relation_open(relid, NoLock);
	if (rel == NULL)
	{
		UnlockRelationOid(relid, AccessShareLock);
		return false;
	}
	t = inval_key_trigger(rel);
	result = t != NULL && inval_trigger_fires(t, replica) &&
		inval_same_args(t, columns);
	relation_close(rel, NoLock);
	UnlockRelationOid(relid, AccessShareLock);
	return result;
}

static InvalKeyedInfo *
inval_keyed_info(Oid root)
{
	InvalKeyedInfo *info;
	bool		found;

	if (inval_keyed_htab == NULL)
	{
		HASHCTL		ctl;

		if (inval_keyed_cxt == NULL)
			inval_keyed_cxt = AllocSetContextCreate(TopMemoryContext,
													"cognomega key triggers",
													ALLOCSET_SMALL_SIZES);
		ctl.keysize = sizeof(Oid);
		ctl.entrysize = sizeof(InvalKeyedInfo);
		ctl.hcxt = inval_keyed_cxt;
		inval_keyed_htab = hash_create("cognomega key triggers", 32, &ctl,
									   HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	}
	info = hash_search(inval_keyed_htab, &root, HASH_ENTER, &found);
	if (!found)
	{
		info->keyed[0] = info->keyed[1] = -1;
		info->columns = NIL;
		info->columns_known = false;
		info->has_trigger = false;
	}
	return info;
}

/*
 * The arguments of root's key trigger (copied into the caller's memory
 * context): false when it has none, or when in doubt (its lock is taken).
 * Remembered until the next relcache invalidation.  Locking may process
 * invalidations, which reset the table: the entry is looked up again, and
 * nothing learnt across a reset is remembered (inval_keyed_resets).
 */
static bool
inval_root_columns(Oid root, List **columns)
{
	InvalKeyedInfo *info = inval_keyed_info(root);
	uint64		resets = inval_keyed_resets;
	Relation	rel;
	Trigger    *t;
	bool		has = false;

	*columns = NIL;
	if (info->columns_known)
	{
		for (int i = 0; i < list_length(info->columns); i++)
			*columns = lappend(*columns, makeString(pstrdup(strVal(list_nth(info->columns, i)))));
		return info->has_trigger;
	}
	if (!ConditionalLockRelationOid(root, AccessShareLock))
		return false;			/* in doubt, and asked again */
	resets = inval_keyed_resets;	/* what the lock took in is seen below */
	rel = try_relation_open(root, NoLock);
	if (rel != NULL)
	{
		t = inval_key_trigger(rel);
		if (t != NULL)
		{
			for (int i = 0; i < t->tgnargs; i++)
				*columns = lappend(*columns, makeString(pstrdup(t->tgargs[i])));
			has = true;
		}
		relation_close(rel, NoLock);
	}
	UnlockRelationOid(root, AccessShareLock);
	if (rel == NULL)
		return false;
	if (resets == inval_keyed_resets)
	{
		MemoryContext old;

		info = inval_keyed_info(root);
		old = MemoryContextSwitchTo(inval_keyed_cxt);
		for (int i = 0; i < list_length(*columns); i++)
			info->columns = lappend(info->columns,
									makeString(pstrdup(strVal(list_nth(*columns, i)))));
		MemoryContextSwitchTo(old);
		info->has_trigger = has;
		info->columns_known = true;
	}
	return has;
}

/*
 * Will the key triggers report the keys of every row written to root's
 * tree, with session_replication_role as it is now?  Every leaf that can
 * receive rows must fire a key trigger with the root's columns.
 */
static bool
inval_root_keyed(Oid root)
{
	bool		replica = SessionReplicationRole == SESSION_REPLICATION_ROLE_REPLICA;
	InvalKeyedInfo *info = inval_keyed_info(root);
	uint64		resets;
	bool		keyed;
	List	   *columns;
	List	   *members;

	if (info->keyed[replica] >= 0)
		return info->keyed[replica] == 1;
	/* a Citus table's rows are written on its shards, without its triggers */
	if (!inval_root_columns(root, &columns) || cache_citus_relation(root))
		return false;
	resets = inval_keyed_resets;
	keyed = true;
	if (get_rel_relkind(root) == RELKIND_PARTITIONED_TABLE)
	{
		members = find_all_inheritors(root, NoLock, NULL);
		for (int i = 0; keyed && i < list_length(members); i++)
		{
			Oid			m = list_nth_oid(members, i);

			if (get_rel_relkind(m) == RELKIND_PARTITIONED_TABLE)
				continue;
			keyed = inval_member_keyed(m, columns, replica);
		}
		list_free(members);
	}
	else
		keyed = inval_member_keyed(root, columns, replica);

	/* remembered only if no invalidation came in meanwhile */
	if (resets == inval_keyed_resets)
		inval_keyed_info(root)->keyed[replica] = keyed ? 1 : 0;
	return keyed;
}

/*
 * relid (or a member of its partition tree) is being written by the
 * executor or COPY: ALL(root), and UNKEYED(root) unless the key triggers
 * will report the keys of every row.
 */
static void
inval_note_written(Oid relid)
{
	Oid			root = inval_partition_root(relid);
	uint32		unkeyed = inval_unkeyed_slot_of(root);

	inval_note_slot(inval_slot_of(MyDatabaseId, root));
	if (inval_in_write_set(unkeyed))
		return;
	if (inval_root_keyed(root))
	{
		for (int i = 0; i < inval_nkeyed; i++)
			if (inval_keyed_roots[i] == root)
				return;
		if (inval_nkeyed < INVAL_MAX_KEYED)
		{
			inval_keyed_roots[inval_nkeyed++] = root;
			return;
		}
	}
	inval_note_slot(unkeyed);
}

/*
 * PRE_COMMIT: a trigger disabled (or a partition attached) after a
 * statement decided "keyed" has been seen by now (the lock on the member
 * it wrote took in the invalidation): decide again, UNKEYED if in doubt.
 */
static void
inval_recheck_keyed(void)
{
	if (inval_nkeyed == 0)
		return;
	AcceptInvalidationMessages();
	for (int i = 0; i < inval_nkeyed; i++)
		if (!inval_root_keyed(inval_keyed_roots[i]))
			inval_note_slot(inval_unkeyed_slot_of(inval_keyed_roots[i]));
	inval_nkeyed = 0;
}

/* the key trigger: KEY(root, column, value) of a changed row */
static void
inval_note_key(Oid root, const char *column, const char *value)
{
	if (inval_nwrites >= INVAL_MAX_KEY_WRITES)
		inval_note_slot(inval_unkeyed_slot_of(root));
	else
		inval_note_slot(inval_key_slot_of(root, column, value));
}

static void
inval_note_tuple_keys(Oid root, Relation rel, HeapTuple tup, TriggerData *td)
{
	TupleDesc	desc = RelationGetDescr(rel);

	for (int i = 0; i < td->tg_trigger->tgnargs; i++)
	{
		const char *col = td->tg_trigger->tgargs[i];
		int			attnum = SPI_fnumber(desc, col);
		Form_pg_attribute att;
		bool		isnull;
		Datum		d;
		Oid			typoutput;
		bool		varlena;

		if (attnum <= 0)
		{
			/* renamed or dropped since: the keys are not known */
			inval_note_slot(inval_unkeyed_slot_of(root));
			return;
		}
		att = TupleDescAttr(desc, attnum - 1);
		d = heap_getattr(tup, attnum, desc, &isnull);
		if (isnull)
			continue;			/* no entry depends on col = NULL */
		getTypeOutputInfo(att->atttypid, &typoutput, &varlena);
		inval_note_key(root, col, OidOutputFunctionCall(typoutput, d));
	}
}

PG_FUNCTION_INFO_V1(cognomega_cache_key_trigger);

/*
 * AFTER INSERT OR UPDATE OR DELETE FOR EACH ROW, arguments: the key column
 * names (cognomega.cache_key_column).  Adds KEY(root, column, value) of the
 * old and the new row to the write set.
 */
Datum
cognomega_cache_key_trigger(PG_FUNCTION_ARGS)
{
	TriggerData *td = (TriggerData *) fcinfo->context;
	Relation	rel;
	Oid			relid;
	Oid			root;

	if (!CALLED_AS_TRIGGER(fcinfo) || !TRIGGER_FIRED_AFTER(td->tg_event) ||
		!TRIGGER_FIRED_FOR_ROW(td->tg_event))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("cognomega._cache_key_trigger() must be called as an AFTER ... FOR EACH ROW trigger")));
	if (inval_shared == NULL || IsParallelWorker())
		return PointerGetDatum(NULL);

	rel = td->tg_relation;
	relid = RelationGetRelid(rel);
	if (!rel->rd_rel->relispartition)
		root = relid;
	else if (relid == inval_last_leaf)
		root = inval_last_root;
	else
	{
		root = inval_partition_root(relid);
		inval_last_leaf = relid;
		inval_last_root = root;
	}
	if (inval_in_write_set(inval_unkeyed_slot_of(root)))
		return PointerGetDatum(NULL);	/* already the whole relation */

	inval_note_tuple_keys(root, rel, td->tg_trigtuple, td);
	if (TRIGGER_FIRED_BY_UPDATE(td->tg_event))
		inval_note_tuple_keys(root, rel, td->tg_newtuple, td);
	return PointerGetDatum(NULL);
}

/*
 * The slots of an entry depending on "column = value" of relid: KEY and
 * UNKEYED of its partition root.  False when the root has no key trigger
 * on column (then the entry depends on the relation).  Catalog lookups:
 * the store path only.
 */
bool
inval_key_slots(Oid relid, const char *column, const char *value,
				uint32 *key_slot, uint32 *unkeyed_slot)
{
	Oid			root;
	List	   *columns;
	bool		tracked = false;

	if (inval_shared == NULL)
		return false;
	root = inval_partition_root(relid);
	if (!inval_root_columns(root, &columns))
		return false;
	for (int i = 0; i < list_length(columns); i++)
		if (strcmp(strVal(list_nth(columns, i)), column) == 0)
			tracked = true;
	if (!tracked)
		return false;
	*key_slot = inval_key_slot_of(root, column, value);
	*unkeyed_slot = inval_unkeyed_slot_of(root);
	return true;
}

/* ALL and UNKEYED of relid's root: what cache_invalidate_relation bumps */
void
inval_relation_slots(Oid relid, uint32 *all_slot, uint32 *unkeyed_slot)
{
	Oid			root = inval_partition_root(relid);

	*all_slot = inval_slot_of(MyDatabaseId, root);
	*unkeyed_slot = inval_unkeyed_slot_of(root);
}

void
invalidate_executor_start(QueryDesc *queryDesc, int eflags)
{
	PlannedStmt *stmt = queryDesc->plannedstmt;

	if (inval_shared == NULL || (eflags & EXEC_FLAG_EXPLAIN_ONLY) ||
		IsParallelWorker())
		return;
	/*
	 * A write planned by Citus (its plan has no result relation): where it
	 * lands on shards of this node their own executors note them, but a
	 * COPY into a local shard (INSERT ... SELECT through Citus) has none;
	 * the whole database, as for a write whose target is not known.
	 */
	if (stmt->resultRelations == NIL)
	{
		if (stmt->commandType != CMD_SELECT && stmt->commandType != CMD_UTILITY &&
			OidIsValid(get_relname_relid("pg_dist_partition", PG_CATALOG_NAMESPACE)))
			inval_note_relation(InvalidOid);
		return;
	}

	for (int i = 0; i < list_length(stmt->resultRelations); i++)
	{
		RangeTblEntry *rte = rt_fetch(list_nth_int(stmt->resultRelations, i),
									  stmt->rtable);

		if (rte->rtekind == RTE_RELATION)
			inval_note_written(rte->relid);
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
		case T_AlterRoleStmt:
			{
				/* a password, its expiry, a connection limit: no privilege */
				ListCell   *lc;

				foreach(lc, ((AlterRoleStmt *) node)->options)
				{
					DefElem    *d = lfirst_node(DefElem, lc);

					if (strcmp(d->defname, "password") != 0 &&
						strcmp(d->defname, "validUntil") != 0 &&
						strcmp(d->defname, "connectionlimit") != 0)
						return false;
				}
				return true;
			}
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

/* ---- DDL: what the objects a statement changed can invalidate ---- */

/*
 * One row of a catalog by OID, seen with SnapshotSelf (a post-create hook
 * runs before the command counter moves on), and up to two of its OID
 * columns.  False when there is no such row.
 */
static bool
inval_catalog_row(Oid catalog, Oid index, AttrNumber oidatt, Oid objectId,
				  AttrNumber att1, Oid *val1, AttrNumber att2, Oid *val2)
{
	Relation	rel = table_open(catalog, AccessShareLock);
	ScanKeyData key;
	SysScanDesc scan;
	HeapTuple	tup;
	bool		found;

	ScanKeyInit(&key, oidatt, BTEqualStrategyNumber, F_OIDEQ,
				ObjectIdGetDatum(objectId));
	scan = systable_beginscan(rel, index, true, SnapshotSelf, 1, &key);
	tup = systable_getnext(scan);
	found = HeapTupleIsValid(tup);
	if (found)
	{
		bool		isnull;
		Datum		d;

		d = heap_getattr(tup, att1, RelationGetDescr(rel), &isnull);
		*val1 = isnull ? InvalidOid : DatumGetObjectId(d);
		if (val2)
		{
			d = heap_getattr(tup, att2, RelationGetDescr(rel), &isnull);
			*val2 = isnull ? InvalidOid : DatumGetObjectId(d);
		}
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return found;
}

/*
 * What a change to relation relid invalidates: nothing for a temporary
 * relation (no entry ever depends on one), the relation's slot for one
 * entries can depend on; a composite type is a type (false: the caller
 * falls back).  *nsp is set to its schema, *found to whether it exists.
 */
static bool
inval_relation_change(Oid relid, Oid *nsp, bool *found)
{
	Relation	rel = table_open(RelationRelationId, AccessShareLock);
	ScanKeyData key;
	SysScanDesc scan;
	HeapTuple	tup;
	bool		handled = false;

	ScanKeyInit(&key, Anum_pg_class_oid, BTEqualStrategyNumber, F_OIDEQ,
				ObjectIdGetDatum(relid));
	scan = systable_beginscan(rel, ClassOidIndexId, true, SnapshotSelf, 1, &key);
	tup = systable_getnext(scan);
	*found = HeapTupleIsValid(tup);
	if (*found)
	{
		Form_pg_class form = (Form_pg_class) GETSTRUCT(tup);

		*nsp = form->relnamespace;
		if (form->relpersistence == RELPERSISTENCE_TEMP)
			handled = true;
		else if (form->relkind != RELKIND_COMPOSITE_TYPE)
		{
			inval_note_relation(relid);
			handled = true;
		}
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return handled;
}

/* a type: its relation if it is a row type (or an array of one), else *nsp */
static Oid
inval_type_relation(Oid typid, Oid *nsp)
{
	Oid			relid = InvalidOid;
	Oid			elem = InvalidOid;

	if (!inval_catalog_row(TypeRelationId, TypeOidIndexId, Anum_pg_type_oid,
						   typid, Anum_pg_type_typrelid, &relid,
						   Anum_pg_type_typnamespace, nsp))
		return InvalidOid;
	if (OidIsValid(relid))
		return relid;
	if (inval_catalog_row(TypeRelationId, TypeOidIndexId, Anum_pg_type_oid,
						  typid, Anum_pg_type_typelem, &elem, 0, NULL) &&
		OidIsValid(elem))
	{
		Oid			elemnsp;

		if (inval_catalog_row(TypeRelationId, TypeOidIndexId, Anum_pg_type_oid,
							  elem, Anum_pg_type_typrelid, &relid,
							  Anum_pg_type_typnamespace, &elemnsp))
			return relid;
	}
	return InvalidOid;
}

/*
 * A catalog object was created, altered or dropped.  Entries depend on
 * relations (their slots), and through the database epoch on everything
 * else a query can use: a change to a relation, or to something that
 * belongs to one (column, default, constraint, trigger, rule, policy,
 * statistics, row type), invalidates that relation's entries; a change to
 * a temporary object invalidates nothing (no entry depends on a temporary
 * relation, and temporary functions and types are private to the session);
 * anything else (functions, operators, other types, schemas, casts, ...),
 * whose dependents are not recorded, the database epoch.  A new relation
 * or schema has no dependents.
 */
static void
inval_note_object(ObjectAccessType access, Oid classId, Oid objectId,
				  int subId)
{
	Oid			relid = InvalidOid;
	Oid			other = InvalidOid;
	Oid			nsp = InvalidOid;

	switch (classId)
	{
		case RelationRelationId:
			if (access == OAT_POST_CREATE && subId == 0)
				return;
			relid = objectId;
			break;
		case NamespaceRelationId:
			if (access == OAT_POST_CREATE)
				return;
			break;
		case TypeRelationId:
			relid = inval_type_relation(objectId, &nsp);
			break;
		case AttrDefaultRelationId:
			inval_catalog_row(classId, AttrDefaultOidIndexId, Anum_pg_attrdef_oid,
							  objectId, Anum_pg_attrdef_adrelid, &relid, 0, NULL);
			break;
		case TriggerRelationId:
			inval_catalog_row(classId, TriggerOidIndexId, Anum_pg_trigger_oid,
							  objectId, Anum_pg_trigger_tgrelid, &relid, 0, NULL);
			break;
		case RewriteRelationId:
			inval_catalog_row(classId, RewriteOidIndexId, Anum_pg_rewrite_oid,
							  objectId, Anum_pg_rewrite_ev_class, &relid, 0, NULL);
			break;
		case PolicyRelationId:
			inval_catalog_row(classId, PolicyOidIndexId, Anum_pg_policy_oid,
							  objectId, Anum_pg_policy_polrelid, &relid, 0, NULL);
			break;
		case StatisticExtRelationId:
			inval_catalog_row(classId, StatisticExtOidIndexId,
							  Anum_pg_statistic_ext_oid, objectId,
							  Anum_pg_statistic_ext_stxrelid, &relid, 0, NULL);
			break;
		case ConstraintRelationId:
			/* a domain's constraint is the domain's */
			if (inval_catalog_row(classId, ConstraintOidIndexId,
								  Anum_pg_constraint_oid, objectId,
								  Anum_pg_constraint_conrelid, &relid,
								  Anum_pg_constraint_contypid, &other) &&
				!OidIsValid(relid) && OidIsValid(other))
				relid = inval_type_relation(other, &nsp);
			break;
		case ProcedureRelationId:
			inval_catalog_row(classId, ProcedureOidIndexId, Anum_pg_proc_oid,
							  objectId, Anum_pg_proc_pronamespace, &nsp, 0, NULL);
			break;
		case OperatorRelationId:
			inval_catalog_row(classId, OperatorOidIndexId, Anum_pg_operator_oid,
							  objectId, Anum_pg_operator_oprnamespace, &nsp, 0, NULL);
			break;
		case CollationRelationId:
			inval_catalog_row(classId, CollationOidIndexId, Anum_pg_collation_oid,
							  objectId, Anum_pg_collation_collnamespace, &nsp, 0, NULL);
			break;
		case ConversionRelationId:
			inval_catalog_row(classId, ConversionOidIndexId, Anum_pg_conversion_oid,
							  objectId, Anum_pg_conversion_connamespace, &nsp, 0, NULL);
			break;
		case TSConfigRelationId:
			inval_catalog_row(classId, TSConfigOidIndexId, Anum_pg_ts_config_oid,
							  objectId, Anum_pg_ts_config_cfgnamespace, &nsp, 0, NULL);
			break;
		case TSDictionaryRelationId:
			inval_catalog_row(classId, TSDictionaryOidIndexId, Anum_pg_ts_dict_oid,
							  objectId, Anum_pg_ts_dict_dictnamespace, &nsp, 0, NULL);
			break;
		case CastRelationId:
			{
				/* a cast from or to a temporary type is the session's */
				Oid			src = InvalidOid;
				Oid			dst = InvalidOid;
				Oid			tnsp = InvalidOid;

				if (inval_catalog_row(classId, CastOidIndexId, Anum_pg_cast_oid,
									  objectId, Anum_pg_cast_castsource, &src,
									  Anum_pg_cast_casttarget, &dst))
					for (int i = 0; i < 2; i++)
						if (inval_catalog_row(TypeRelationId, TypeOidIndexId,
											  Anum_pg_type_oid, i ? dst : src,
											  Anum_pg_type_typnamespace, &tnsp,
											  0, NULL) &&
							isAnyTempNamespace(tnsp))
							nsp = tnsp;
				break;
			}
		case DefaultAclRelationId:
			return;				/* only objects created later: no entries */
		default:
			break;
	}
	if (OidIsValid(relid))
	{
		bool		found;

		if (inval_relation_change(relid, &nsp, &found))
			return;
		/* the row type of a relation being created, before its pg_class row */
		if (!found && access == OAT_POST_CREATE)
			return;
	}
	if (OidIsValid(nsp) && isAnyTempNamespace(nsp))
		return;
	inval_note_slot(inval_db_epoch_slot());
}

/* the object access hook: creations, changes and drops of catalog objects */
static void
inval_object_access(ObjectAccessType access, Oid classId, Oid objectId,
					int subId, void *arg)
{
	if (prev_object_access_hook)
		prev_object_access_hook(access, classId, objectId, subId, arg);
	if (inval_shared == NULL || IsParallelWorker() ||
		!IsTransactionState() ||
		(access != OAT_POST_CREATE && access != OAT_DROP &&
		 access != OAT_POST_ALTER))
		return;
	if (inval_ddl_depth > 0 && inval_ddl_depth <= INVAL_MAX_NEST &&
		inval_ddl_ignore[inval_ddl_depth - 1])
		return;
	inval_note_object(access, classId, objectId, subId);
}

/* a statement's own target relation, if it exists (and is not temporary) */
static void
inval_note_rangevar(RangeVar *rv)
{
	Oid			relid = rv ? RangeVarGetRelid(rv, NoLock, true) : InvalidOid;
	Oid			nsp;
	bool		found;

	if (OidIsValid(relid) && !inval_relation_change(relid, &nsp, &found))
		inval_note_slot(inval_db_epoch_slot());
}

/*
 * GRANT/REVOKE that cannot change an answer: on objects no cached answer
 * reads (languages, tablespaces, databases, foreign servers and wrappers,
 * parameters, and large objects and sequences, which a query entry never
 * reads), or on schemas, types or functions on which the caller holds no
 * grant option (it grants or revokes nothing: PostgreSQL only warns).
 */
static bool
inval_grant_harmless(GrantStmt *gs)
{
	switch (gs->objtype)
	{
		case OBJECT_LANGUAGE:
		case OBJECT_TABLESPACE:
		case OBJECT_DATABASE:
		case OBJECT_FDW:
		case OBJECT_FOREIGN_SERVER:
		case OBJECT_PARAMETER_ACL:
		case OBJECT_LARGEOBJECT:
		case OBJECT_SEQUENCE:
			return true;
		case OBJECT_SCHEMA:
		case OBJECT_TYPE:
		case OBJECT_DOMAIN:
		case OBJECT_FUNCTION:
		case OBJECT_PROCEDURE:
		case OBJECT_ROUTINE:
			break;
		default:
			return false;
	}
	if (gs->targtype != ACL_TARGET_OBJECT || superuser())
		return false;
	for (int i = 0; i < list_length(gs->objects); i++)
	{
		Node	   *obj = list_nth(gs->objects, i);
		Oid			oid;
		AclMode		goptions;

		if (gs->objtype == OBJECT_SCHEMA)
		{
			oid = get_namespace_oid(strVal(obj), true);
			if (!OidIsValid(oid))
				continue;		/* the statement fails */
			goptions = cognomega_aclmask_any(NamespaceRelationId, oid, GetUserId(),
											 ACL_GRANT_OPTION_FOR(ACL_ALL_RIGHTS_SCHEMA));
		}
		else if (gs->objtype == OBJECT_FUNCTION ||
				 gs->objtype == OBJECT_PROCEDURE ||
				 gs->objtype == OBJECT_ROUTINE)
		{
			oid = LookupFuncWithArgs(gs->objtype, (ObjectWithArgs *) obj, true);
			if (!OidIsValid(oid))
				continue;
			if (isAnyTempNamespace(get_func_namespace(oid)))
				continue;		/* the session's own */
			goptions = cognomega_aclmask_any(ProcedureRelationId, oid, GetUserId(),
											 ACL_GRANT_OPTION_FOR(ACL_ALL_RIGHTS_FUNCTION));
		}
		else
		{
			oid = LookupTypeNameOid(NULL,
									makeTypeNameFromNameList((List *) obj),
									true);
			if (!OidIsValid(oid))
				continue;
			{
				Oid			tnsp = InvalidOid;

				inval_catalog_row(TypeRelationId, TypeOidIndexId,
								  Anum_pg_type_oid, oid,
								  Anum_pg_type_typnamespace, &tnsp, 0, NULL);
				if (isAnyTempNamespace(tnsp))
					continue;	/* the session's own */
			}
			goptions = cognomega_aclmask_any(TypeRelationId, oid, GetUserId(),
											 ACL_GRANT_OPTION_FOR(ACL_ALL_RIGHTS_TYPE));
		}
		if (goptions != 0)
			return false;
	}
	return true;
}

/*
 * DDL whose effect the object access hook reports: every object it creates,
 * alters or drops passes inval_note_object() (DROP, which finds nothing with
 * IF EXISTS, reports nothing).  Some name their relation as well, noted
 * whether or not a hook reports it (ATTACH/DETACH, CREATE OR REPLACE VIEW,
 * REFRESH, which writes without the executor).
 */
static bool
inval_utility_by_objects(Node *node)
{
	switch (nodeTag(node))
	{
		case T_AlterTableStmt:
			inval_note_rangevar(((AlterTableStmt *) node)->relation);
			return true;
		case T_ViewStmt:
			inval_note_rangevar(((ViewStmt *) node)->view);
			return true;
		case T_RuleStmt:
			inval_note_rangevar(((RuleStmt *) node)->relation);
			return true;
		case T_CreateTrigStmt:
			inval_note_rangevar(((CreateTrigStmt *) node)->relation);
			return true;
		case T_CreatePolicyStmt:
			inval_note_rangevar(((CreatePolicyStmt *) node)->table);
			return true;
		case T_AlterPolicyStmt:
			inval_note_rangevar(((AlterPolicyStmt *) node)->table);
			return true;
		case T_RefreshMatViewStmt:
			inval_note_rangevar(((RefreshMatViewStmt *) node)->relation);
			return true;
		case T_GrantStmt:
			{
				GrantStmt  *gs = (GrantStmt *) node;

				if (inval_grant_harmless(gs))
					return true;
				/* privileges on relations are checked on every hit */
				if (gs->objtype != OBJECT_TABLE ||
					gs->targtype != ACL_TARGET_OBJECT)
					return false;
				for (int i = 0; i < list_length(gs->objects); i++)
					inval_note_rangevar(list_nth_node(RangeVar, gs->objects, i));
				return true;
			}
		case T_DropStmt:
		case T_RenameStmt:
		case T_AlterObjectSchemaStmt:
		case T_AlterOwnerStmt:
		case T_CreateFunctionStmt:
		case T_AlterFunctionStmt:
		case T_DefineStmt:
		case T_CompositeTypeStmt:
		case T_CreateEnumStmt:
		case T_CreateRangeStmt:
		case T_AlterEnumStmt:
		case T_AlterTypeStmt:
		case T_CreateDomainStmt:
		case T_AlterDomainStmt:
		case T_DropOwnedStmt:
		case T_ReassignOwnedStmt:
		case T_CreateStatsStmt:
		case T_AlterStatsStmt:
		case T_AlterSeqStmt:
		case T_AlterDefaultPrivilegesStmt:
		case T_CreateCastStmt:
		case T_CreateConversionStmt:
			return true;
		default:
			return false;
	}
}

/*
 * The record of a clean prepared transaction of this database: forget it
 * (returning whether there was one), or add it (when no place is free, it
 * is not recorded: its COMMIT PREPARED bumps the epoch, which is safe).
 */
static bool
inval_clean_2pc_take(const char *gid)
{
	bool		found = false;

	SpinLockAcquire(&inval_shared->clean_lock);
	for (int i = 0; i < INVAL_CLEAN_2PC; i++)
		if (inval_shared->clean[i].dbid == MyDatabaseId &&
			strcmp(inval_shared->clean[i].gid, gid) == 0)
		{
			inval_shared->clean[i].dbid = InvalidOid;
			found = true;
		}
	SpinLockRelease(&inval_shared->clean_lock);
	return found;
}

static void
inval_clean_2pc_add(const char *gid)
{
	SpinLockAcquire(&inval_shared->clean_lock);
	for (int i = 0; i < INVAL_CLEAN_2PC; i++)
		if (inval_shared->clean[i].dbid == InvalidOid)
		{
			strlcpy(inval_shared->clean[i].gid, gid, GIDSIZE);
			inval_shared->clean[i].dbid = MyDatabaseId;
			break;
		}
	SpinLockRelease(&inval_shared->clean_lock);
}

/*
 * Called by the ProcessUtility hook before the statement runs; always
 * paired with invalidate_utility_end().  Returns true for COMMIT PREPARED:
 * the caller passes that on to invalidate_utility_end().
 */
bool
invalidate_utility_begin(PlannedStmt *pstmt)
{
	Node	   *node = pstmt->utilityStmt;
	bool		ignore = node != NULL && inval_utility_harmless(node) &&
		!inval_creates_inheritor(node);

	if (inval_ddl_depth < INVAL_MAX_NEST)
		inval_ddl_ignore[inval_ddl_depth] = ignore;
	inval_ddl_depth++;

	if (inval_shared == NULL || node == NULL)
		return false;

	if (IsA(node, TransactionStmt))
	{
		TransactionStmt *ts = (TransactionStmt *) node;

		if (ts->kind == TRANS_STMT_PREPARE)
			strlcpy(inval_prepare_gid, ts->gid, GIDSIZE);
		if (ts->kind == TRANS_STMT_ROLLBACK_PREPARED)
			(void) inval_clean_2pc_take(ts->gid);
		if (ts->kind != TRANS_STMT_COMMIT_PREPARED || inval_2pc_held)
			return false;
		/* a transaction that wrote nothing tracked changes nothing */
		if (inval_clean_2pc_take(ts->gid))
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
		{
			Oid			relid = cs->relation ?
				RangeVarGetRelid(cs->relation, NoLock, true) : InvalidOid;

			/* COPY FROM fires the row triggers as INSERT does */
			if (OidIsValid(relid))
				inval_note_written(relid);
			else
				inval_note_relation(InvalidOid);
		}
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
	if (ignore || inval_utility_by_objects(node))
		return false;
	/* anything else: its effects are not known, the whole database */
	inval_note_slot(inval_db_epoch_slot());
	return false;
}

/* the statement ended; COMMIT PREPARED finished (or failed): bump, release */
void
invalidate_utility_end(bool two_phase)
{
	if (inval_ddl_depth > 0)
		inval_ddl_depth--;
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
	inval_nkeyed = 0;
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
			inval_recheck_keyed();
			inval_take_pending();
			/* then the record standbys replay before the commit's */
			replica_log_writes(inval_writes, inval_nwrites, false);
			break;
		case XACT_EVENT_COMMIT:
			inval_drop_pending(true);
			break;
		case XACT_EVENT_PRE_PREPARE:
			/* an older record under this GID is not this transaction's */
			if (inval_prepare_gid[0] != '\0')
				(void) inval_clean_2pc_take(inval_prepare_gid);
			/*
			 * Standbys learn the write set now (the primary forgets it and
			 * bumps the epoch at COMMIT PREPARED): complete it as at
			 * PRE_COMMIT first.  A PREPARE with no write set is a clean
			 * prepare here as well.
			 */
			if (IsLogicalWorker() &&
				TransactionIdIsValid(GetTopTransactionIdIfAny()))
				inval_note_slot(inval_db_epoch_slot());
			inval_recheck_keyed();
			replica_log_writes(inval_writes, inval_nwrites, true);
			break;
		case XACT_EVENT_PREPARE:
			/*
			 * Prepared: nothing written, by a session whose writes all pass
			 * the hooks (not logical replication's apply), is recorded as
			 * clean.  Until the callback returns the GID stays locked by
			 * this backend, so no COMMIT PREPARED can read the record early.
			 */
			if (inval_prepare_gid[0] != '\0' && inval_nwrites == 0 &&
				!IsLogicalWorker())
				inval_clean_2pc_add(inval_prepare_gid);
			inval_prepare_gid[0] = '\0';
			inval_drop_pending(false);
			break;
		case XACT_EVENT_ABORT:
			inval_prepare_gid[0] = '\0';
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

/* ---- cognomega.cache_key_column ---- */

#define INVAL_KEY_TRIGGER_NAME "cognomega_cache_keys"

PG_FUNCTION_INFO_V1(cognomega_cache_key_column);

/*
 * cognomega.cache_key_column(rel regclass, col name) RETURNS void
 *
 * Declares col a key column of rel: (re)creates rel's key trigger
 * cognomega_cache_keys with col added to its arguments.  The trigger is
 * the declaration (pg_dump keeps it with the table; the view
 * cognomega.cache_key_columns reads it); on a partitioned table it is
 * cloned to every partition, present and future.  Idempotent.
 */
Datum
cognomega_cache_key_column(PG_FUNCTION_ARGS)
{
	Oid			relid = PG_GETARG_OID(0);
	char	   *col = NameStr(*PG_GETARG_NAME(1));
	Relation	rel;
	char		relkind;
	bool		relispartition;
	Trigger    *t;
	List	   *columns = NIL;
	StringInfoData sql;
	char	   *qualified;
	AttrNumber	attnum;

	rel = try_relation_open(relid, AccessShareLock);
	if (rel == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("relation with OID %u does not exist", relid)));
	relkind = rel->rd_rel->relkind;
	relispartition = rel->rd_rel->relispartition;
	qualified = quote_qualified_identifier(get_namespace_name(RelationGetNamespace(rel)),
										   RelationGetRelationName(rel));
	if (relkind != RELKIND_RELATION && relkind != RELKIND_PARTITIONED_TABLE)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("\"%s\" is not a table or a partitioned table",
						RelationGetRelationName(rel)),
				 errdetail("Key columns are declared on tables.")));
	if (relispartition)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("\"%s\" is a partition", RelationGetRelationName(rel)),
				 errhint("Declare the key column on the partitioned table at the root of its tree.")));
	if (!pg_class_ownercheck(relid, GetUserId()))
		aclcheck_error(ACLCHECK_NOT_OWNER, get_relkind_objtype(relkind),
					   RelationGetRelationName(rel));
	attnum = get_attnum(relid, col);
	if (attnum == InvalidAttrNumber || attnum <= 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_COLUMN),
				 errmsg("column \"%s\" of relation \"%s\" does not exist",
						col, RelationGetRelationName(rel))));

	/* the key trigger there already, by name */
	t = NULL;
	if (rel->trigdesc)
		for (int i = 0; i < rel->trigdesc->numtriggers; i++)
			if (strcmp(rel->trigdesc->triggers[i].tgname, INVAL_KEY_TRIGGER_NAME) == 0)
				t = &rel->trigdesc->triggers[i];
	if (t != NULL && !inval_is_key_function(t->tgfoid))
		ereport(ERROR,
				(errcode(ERRCODE_DUPLICATE_OBJECT),
				 errmsg("trigger \"%s\" on relation \"%s\" is not cognomega's key trigger",
						INVAL_KEY_TRIGGER_NAME, RelationGetRelationName(rel)),
				 errhint("Rename or drop that trigger.")));
	if (t != NULL)
	{
		bool		declared = false;

		for (int i = 0; i < t->tgnargs; i++)
		{
			if (strcmp(t->tgargs[i], col) == 0)
				declared = true;
			columns = lappend(columns, pstrdup(t->tgargs[i]));
		}
		/*
		 * Declared already: done if it is enabled ALWAYS; else (ENABLE
		 * TRIGGER ALL after a DISABLE, pg_restore --disable-triggers) it is
		 * recreated so, or its writes would stay relation-level.
		 */
		if (declared && t->tgenabled == TRIGGER_FIRES_ALWAYS)
		{
			relation_close(rel, AccessShareLock);
			PG_RETURN_VOID();
		}
		if (!declared)
			columns = lappend(columns, pstrdup(col));
	}
	else
		columns = lappend(columns, pstrdup(col));
	relation_close(rel, AccessShareLock);

	if (t != NULL)
	{
		initStringInfo(&sql);
		appendStringInfo(&sql, "DROP TRIGGER %s ON %s",
						 INVAL_KEY_TRIGGER_NAME, qualified);
		spi_connect();
		spi_exec(sql.data, false, SPI_OK_UTILITY);
		SPI_finish();
	}
	initStringInfo(&sql);
	appendStringInfo(&sql, "CREATE TRIGGER %s AFTER INSERT OR UPDATE OR DELETE ON %s"
					 " FOR EACH ROW EXECUTE FUNCTION cognomega._cache_key_trigger(",
					 INVAL_KEY_TRIGGER_NAME, qualified);
	for (int i = 0; i < list_length(columns); i++)
		appendStringInfo(&sql, "%s%s", i > 0 ? ", " : "",
						 quote_literal_cstr((char *) list_nth(columns, i)));
	appendStringInfoChar(&sql, ')');

	/*
	 * Enabled ALWAYS from the start (it must fire whatever
	 * session_replication_role is, see inval_trigger_fires): CREATE TRIGGER
	 * has no such clause, and an ALTER TABLE ... ENABLE ALWAYS TRIGGER after
	 * it would fail (55006) when the calling statement reads the table.
	 * CreateTrigger() does the privilege checks and clones it to partitions
	 * with the same state.
	 */
	{
		RawStmt    *raw = linitial_node(RawStmt, raw_parser(sql.data, RAW_PARSE_DEFAULT));

		(void) CreateTriggerFiringOn(castNode(CreateTrigStmt, raw->stmt), sql.data,
									 InvalidOid, InvalidOid, InvalidOid, InvalidOid,
									 InvalidOid, InvalidOid, NULL, false, false,
									 TRIGGER_FIRES_ALWAYS);
		CommandCounterIncrement();
	}
	PG_RETURN_VOID();
}

/*
 * DROP EXTENSION cognomega: the key triggers on the platform's (and
 * others') tables depend on our trigger function and would make the drop
 * fail (or, with CASCADE, be dropped anyway).  Drop them first, in the same
 * transaction, so that a plain DROP EXTENSION keeps working and keeps the
 * tables.  An event trigger (ddl_command_start, DROP EXTENSION) calls it,
 * so it works with the library preloaded or not.
 */
static void
inval_before_drop_extension(Node *node)
{
	DropStmt   *ds;
	bool		ours = false;
	List	   *stmts = NIL;

	if (node == NULL || !IsA(node, DropStmt))
		return;
	ds = (DropStmt *) node;
	if (ds->removeType != OBJECT_EXTENSION)
		return;
	for (int i = 0; i < list_length(ds->objects); i++)
		if (strcmp(strVal(list_nth(ds->objects, i)), "cognomega") == 0)
			ours = true;
	if (!ours || !OidIsValid(get_extension_oid("cognomega", true)))
		return;

	spi_connect();
	spi_exec(psprintf("SELECT pg_catalog.format('DROP TRIGGER %%I ON %%s', t.tgname,"
					  " t.tgrelid::pg_catalog.regclass)"
					  " FROM pg_catalog.pg_trigger t JOIN pg_catalog.pg_proc p ON p.oid = t.tgfoid"
					  " WHERE p.prolang = %u AND p.prosrc = '%s' AND t.tgparentid = 0",
					  ClanguageId, INVAL_KEY_TRIGGER_SRC),
			 true, SPI_OK_SELECT);
	for (uint64 i = 0; i < SPI_processed; i++)
		stmts = lappend(stmts, SPI_getvalue(SPI_tuptable->vals[i],
											SPI_tuptable->tupdesc, 1));
	for (int i = 0; i < list_length(stmts); i++)
		spi_exec((char *) list_nth(stmts, i), false, SPI_OK_UTILITY);
	SPI_finish();
}

PG_FUNCTION_INFO_V1(cognomega_drop_extension_event);

/* event trigger cognomega_drop_key_triggers: see inval_before_drop_extension */
Datum
cognomega_drop_extension_event(PG_FUNCTION_ARGS)
{
	if (!CALLED_AS_EVENT_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("cognomega._drop_key_triggers() must be called as an event trigger")));
	inval_before_drop_extension(((EventTriggerData *) fcinfo->context)->parsetree);
	PG_RETURN_VOID();
}
